//! Every read and write of the landing zone and the outputs, through `object_store`, so that
//! local paths, `file://`, `az://`, `s3://` and `gs://` behave alike.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("`{location}` is not a usable location: {message}")]
    Location { location: String, message: String },
    #[error("failed to {action} `{key}` in {location}")]
    Store {
        action: &'static str,
        key: String,
        location: String,
        #[source]
        source: Box<object_store::Error>,
    },
}

/// One object found under a location: its key relative to the location, and its size.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub key: String,
    pub size: u64,
}

/// A folder on local disk or a prefix in an object store.
#[derive(Debug, Clone)]
pub struct Location {
    store: Arc<dyn ObjectStore>,
    root: StorePath,
    display: String,
    local: Option<PathBuf>,
}

impl Location {
    /// Opens `spec`: a local path, or a URL whose scheme object_store knows. `options` are the
    /// store's settings (for example `azure_storage_use_emulator`), gathered by the caller.
    /// With `create`, a missing local folder is made (for outputs).
    pub fn open(
        spec: &str,
        options: &[(String, String)],
        create: bool,
    ) -> Result<Self, StorageError> {
        let fail = |message: String| StorageError::Location {
            location: spec.to_string(),
            message,
        };
        let url = Url::parse(spec).ok().filter(|u| u.scheme().len() > 1);
        let local_path = match &url {
            None => Some(PathBuf::from(spec)),
            Some(u) if u.scheme() == "file" => Some(
                u.to_file_path()
                    .map_err(|()| fail("not a local file URL".into()))?,
            ),
            Some(_) => None,
        };
        if let Some(path) = local_path {
            if create {
                fs_err::create_dir_all(&path).map_err(|e| fail(e.to_string()))?;
            }
            if !path.is_dir() {
                return Err(fail("no such folder".into()));
            }
            let path = fs_err::canonicalize(&path).map_err(|e| fail(e.to_string()))?;
            let store = LocalFileSystem::new_with_prefix(&path).map_err(|e| fail(e.to_string()))?;
            return Ok(Location {
                store: Arc::new(store),
                root: StorePath::default(),
                display: path.display().to_string(),
                local: Some(path),
            });
        }
        let url = url.expect("a non-local location has a URL");
        let (store, root) = object_store::parse_url_opts(&url, options.iter().cloned())
            .map_err(|e| fail(e.to_string()))?;
        Ok(Location {
            store: Arc::from(store),
            root,
            display: spec.to_string(),
            local: None,
        })
    }

    /// The location as the user named it (a canonical path on local disk).
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The folder on local disk, when the location is local.
    pub fn local_path(&self) -> Option<&std::path::Path> {
        self.local.as_deref()
    }

    /// A location below this one.
    pub fn join(&self, relative: &str) -> Location {
        let mut root = self.root.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            root = root.join(part);
        }
        Location {
            store: self.store.clone(),
            display: format!("{}/{}", self.display.trim_end_matches('/'), relative),
            local: self.local.as_ref().map(|p| p.join(relative)),
            root,
        }
    }

    fn key(&self, relative: &str) -> StorePath {
        let mut key = self.root.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            key = key.join(part);
        }
        key
    }

    fn error(&self, action: &'static str, key: &str, source: object_store::Error) -> StorageError {
        StorageError::Store {
            action,
            key: key.to_string(),
            location: self.display.clone(),
            source: Box::new(source),
        }
    }

    /// Every object below the location, sorted by key.
    pub async fn list(&self) -> Result<Vec<Entry>, StorageError> {
        let prefix = (!self.root.as_ref().is_empty()).then_some(&self.root);
        let mut listing = self.store.list(prefix);
        let mut entries: Vec<Entry> = Vec::new();
        while let Some(item) = listing.next().await {
            match item {
                Ok(meta) => {
                    if let Some(parts) = meta.location.prefix_match(&self.root) {
                        let parts: Vec<String> = parts.map(|p| p.as_ref().to_string()).collect();
                        entries.push(Entry {
                            key: parts.join("/"),
                            size: meta.size,
                        });
                    }
                }
                // A name the store itself refuses (a control character, say) must not stop the
                // listing of every other file: it is listed as it is, and the batch reports it
                // as unsafe and never reads it.
                Err(object_store::Error::InvalidPath {
                    source: object_store::path::Error::BadSegment { path, .. },
                }) => entries.push(Entry {
                    key: path.trim_start_matches('/').to_string(),
                    size: 0,
                }),
                Err(e) => return Err(self.error("list", "", e)),
            }
        }
        entries.sort();
        Ok(entries)
    }

    /// The names of the folders directly below the location.
    pub async fn folders(&self) -> Result<Vec<String>, StorageError> {
        let prefix = (!self.root.as_ref().is_empty()).then_some(&self.root);
        let listing = self
            .store
            .list_with_delimiter(prefix)
            .await
            .map_err(|e| self.error("list", "", e))?;
        let mut names: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    pub async fn read(&self, relative: &str) -> Result<Bytes, StorageError> {
        let key = self.key(relative);
        let result = self
            .store
            .get(&key)
            .await
            .map_err(|e| self.error("read", relative, e))?;
        result
            .bytes()
            .await
            .map_err(|e| self.error("read", relative, e))
    }

    pub async fn write(&self, relative: &str, bytes: impl Into<Bytes>) -> Result<(), StorageError> {
        let key = self.key(relative);
        self.store
            .put(&key, PutPayload::from_bytes(bytes.into()))
            .await
            .map_err(|e| self.error("write", relative, e))?;
        Ok(())
    }

    pub async fn delete(&self, relative: &str) -> Result<(), StorageError> {
        let key = self.key(relative);
        self.store
            .delete(&key)
            .await
            .map_err(|e| self.error("delete", relative, e))
    }
}

//! Every read and write of the landing zone and the outputs, through `object_store`, so that
//! local paths, `file://`, `az://`, `s3://` and `gs://` behave alike.
//!
//! On local disk a symbolic link is never followed: object_store's local store follows links
//! when it lists and reads, so whoever can write to a landing zone could make the batch read
//! (and echo, and quarantine) any file of the server. Local folders are listed and read here
//! instead, with links reported as entries that are never read.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
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

impl StorageError {
    /// The error and its causes on one line, as a warning or an issue shows it.
    pub fn explained(self) -> String {
        format!("{:#}", anyhow::Error::new(self))
    }

    /// Whether the object asked for does not exist (as opposed to a store that failed).
    pub fn is_not_found(&self) -> bool {
        let StorageError::Store { source, .. } = self else {
            return false;
        };
        match source.as_ref() {
            object_store::Error::NotFound { .. } => true,
            object_store::Error::Generic { source, .. } => source
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound),
            _ => false,
        }
    }
}

/// One object found under a location: its key relative to the location, its size and when it
/// was last written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
    /// A symbolic link on local disk: listed so it can be reported, never read or followed.
    pub link: bool,
}

impl Entry {
    pub fn new(key: impl Into<String>, size: u64) -> Self {
        Entry {
            key: key.into(),
            size,
            last_modified: None,
            link: false,
        }
    }
}

/// Chunks in which files are copied and read from local disk.
const COPY_CHUNK: usize = 8 << 20;

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

    /// Every object below the location, sorted by key. On local disk, links are listed (with
    /// `link` set) and never followed.
    pub async fn list(&self) -> Result<Vec<Entry>, StorageError> {
        let mut entries = match &self.local {
            Some(root) => {
                let root = root.clone();
                tokio::task::spawn_blocking(move || local::list(&root))
                    .await
                    .map_err(|e| self.io_error("list", "", std::io::Error::other(e)))?
                    .map_err(|e| self.io_error("list", "", e))?
            }
            None => self.list_store().await?,
        };
        entries.sort();
        Ok(entries)
    }

    async fn list_store(&self) -> Result<Vec<Entry>, StorageError> {
        let prefix = (!self.root.as_ref().is_empty()).then_some(&self.root);
        let mut listing = self.store.list(prefix);
        let mut entries: Vec<Entry> = Vec::new();
        while let Some(item) = listing.next().await {
            match item {
                Ok(meta) => {
                    if let Some(parts) = meta.location.prefix_match(&self.root) {
                        let parts: Vec<String> = parts.map(|p| p.as_ref().to_string()).collect();
                        entries.push(Entry {
                            last_modified: Some(meta.last_modified),
                            ..Entry::new(parts.join("/"), meta.size)
                        });
                    }
                }
                // A name the store itself refuses (a control character, say) must not stop the
                // listing of every other file: it is listed as it is, and the batch reports it
                // as unsafe and never reads it.
                Err(object_store::Error::InvalidPath {
                    source: object_store::path::Error::BadSegment { path, .. },
                }) => entries.push(Entry::new(path.trim_start_matches('/'), 0)),
                Err(e) => return Err(self.error("list", "", e)),
            }
        }
        Ok(entries)
    }

    /// The names of the folders directly below the location. On local disk a link counts
    /// as a folder, broken or not (published periods are links), and is not followed.
    pub async fn folders(&self) -> Result<Vec<String>, StorageError> {
        if let Some(root) = &self.local {
            let mut names = Vec::new();
            let listing = fs_err::read_dir(root).map_err(|e| self.io_error("list", "", e))?;
            for item in listing {
                let item = item.map_err(|e| self.io_error("list", "", e))?;
                let kind = item.file_type().map_err(|e| self.io_error("list", "", e))?;
                if kind.is_dir() || kind.is_symlink() {
                    names.push(item.file_name().to_string_lossy().into_owned());
                }
            }
            names.sort();
            return Ok(names);
        }
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

    /// The whole object. On local disk a path with a link anywhere in it is refused.
    pub async fn read(&self, relative: &str) -> Result<Bytes, StorageError> {
        if let Some(root) = &self.local {
            let (root, key) = (root.clone(), relative.to_string());
            return tokio::task::spawn_blocking(move || local::read(&root, &key))
                .await
                .map_err(|e| self.io_error("read", relative, std::io::Error::other(e)))?
                .map_err(|e| self.io_error("read", relative, e));
        }
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

    /// Reads many objects, each result in the order of `keys`, and hands each object, with its
    /// key, to `then` on the thread that read it (so work such as a digest is spread too). On
    /// local disk they are read on rayon's pool from one blocking task, as
    /// [`Location::write_all`] writes; elsewhere `concurrency` gets run at a time.
    pub async fn read_many<T, F>(
        &self,
        keys: Vec<String>,
        concurrency: usize,
        then: F,
    ) -> Vec<Result<T, StorageError>>
    where
        T: Send + 'static,
        F: Fn(&str, Bytes) -> T + Send + Sync + 'static,
    {
        let Some(root) = self.local.clone() else {
            let then = &then;
            return futures::stream::iter(keys)
                .map(|key| async move { self.read(&key).await.map(|b| then(&key, b)) })
                .buffered(concurrency.max(1))
                .collect()
                .await;
        };
        let count = keys.len();
        let read = tokio::task::spawn_blocking(move || {
            use rayon::prelude::*;
            let results: Vec<std::io::Result<T>> = keys
                .par_iter()
                .map(|key| local::read(&root, key).map(|b| then(key, b)))
                .collect();
            (keys, results)
        })
        .await;
        match read {
            Ok((keys, results)) => keys
                .iter()
                .zip(results)
                .map(|(key, result)| result.map_err(|e| self.io_error("read", key, e)))
                .collect(),
            Err(e) => std::iter::repeat_with(|| {
                Err(self.io_error("read", "files", std::io::Error::other(e.to_string())))
            })
            .take(count)
            .collect(),
        }
    }

    pub async fn write(&self, relative: &str, bytes: impl Into<Bytes>) -> Result<(), StorageError> {
        let key = self.key(relative);
        self.store
            .put(&key, PutPayload::from_bytes(bytes.into()))
            .await
            .map_err(|e| self.error("write", relative, e))?;
        Ok(())
    }

    /// Writes many files (paths relative to here). On local disk they are written straight
    /// through the file system on rayon's pool (a thread per core), from one blocking task, rather
    /// than one blocking task and a staging file with a rename per file; elsewhere
    /// `concurrency` puts run at a time.
    pub async fn write_all(
        &self,
        files: Vec<(String, Vec<u8>)>,
        concurrency: usize,
    ) -> Result<(), StorageError> {
        if let Some(root) = self.local.clone() {
            let written = tokio::task::spawn_blocking(move || local::write_all(&root, &files))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()));
            return match written.and_then(|r| r) {
                Ok(()) => Ok(()),
                Err(e) => Err(self.io_error("write", "files", e)),
            };
        }
        use futures::{StreamExt, TryStreamExt};
        futures::stream::iter(
            files
                .into_iter()
                .map(|(path, bytes)| async move { self.write(&path, bytes).await }),
        )
        .buffer_unordered(concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
        Ok(())
    }

    /// Writes `relative` only if nothing is there yet (an atomic create-only put, on local disk
    /// and in every object store): `Ok(false)` when an object already holds the key, which is
    /// then left exactly as it was.
    pub async fn create(
        &self,
        relative: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<bool, StorageError> {
        let key = self.key(relative);
        let options = object_store::PutOptions::from(object_store::PutMode::Create);
        match self
            .store
            .put_opts(&key, PutPayload::from_bytes(bytes.into()), options)
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.error("create", relative, e)),
        }
    }

    /// The whole object, or `None` when there is none at `relative`.
    pub async fn read_if_exists(&self, relative: &str) -> Result<Option<Bytes>, StorageError> {
        match self.read(relative).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Copies `relative` of `source` to `target` here as a stream, so a file of any size costs
    /// a chunk of memory, never its size. The target appears whole or not at all.
    pub async fn copy_from(
        &self,
        source: &Location,
        relative: &str,
        target: &str,
    ) -> Result<(), StorageError> {
        let upload = self
            .store
            .put_multipart(&self.key(target))
            .await
            .map_err(|e| self.error("write", target, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, COPY_CHUNK);
        let copied = source.stream_into(relative, &mut writer).await;
        if let Err(e) = copied {
            let _ = writer.abort().await;
            return Err(e);
        }
        writer
            .finish()
            .await
            .map_err(|e| self.error("write", target, e))?;
        Ok(())
    }

    /// Feeds the object's bytes to `writer`, a chunk at a time.
    async fn stream_into(
        &self,
        relative: &str,
        writer: &mut WriteMultipart,
    ) -> Result<(), StorageError> {
        let Some(root) = &self.local else {
            let mut stream = self
                .store
                .get(&self.key(relative))
                .await
                .map_err(|e| self.error("read", relative, e))?
                .into_stream();
            while let Some(chunk) = stream.next().await {
                writer.put(chunk.map_err(|e| self.error("read", relative, e))?);
                bounded(writer).await?;
            }
            return Ok(());
        };
        let fail = |e| self.io_error("read", relative, e);
        let mut file = local::open(root, relative).map_err(fail)?;
        loop {
            // The file moves to the blocking thread for each chunk and comes back with it.
            let (returned, chunk) = tokio::task::spawn_blocking(move || {
                let chunk = local::read_chunk(&mut file, COPY_CHUNK);
                (file, chunk)
            })
            .await
            .map_err(|e| fail(std::io::Error::other(e)))?;
            file = returned;
            let chunk = chunk.map_err(fail)?;
            if chunk.is_empty() {
                return Ok(());
            }
            writer.put(Bytes::from(chunk));
            bounded(writer).await?;
        }
    }

    fn io_error(&self, action: &'static str, key: &str, source: std::io::Error) -> StorageError {
        self.error(
            action,
            key,
            object_store::Error::Generic {
                store: "local",
                source: Box::new(source),
            },
        )
    }

    pub async fn delete(&self, relative: &str) -> Result<(), StorageError> {
        let key = self.key(relative);
        self.store
            .delete(&key)
            .await
            .map_err(|e| self.error("delete", relative, e))
    }
}

/// Waits until at most two chunks of a copy are in flight.
async fn bounded(writer: &mut WriteMultipart) -> Result<(), StorageError> {
    writer
        .wait_for_capacity(2)
        .await
        .map_err(|e| StorageError::Store {
            action: "write",
            key: String::new(),
            location: "the copy".into(),
            source: Box::new(e),
        })
}

/// Local disk without following links.
mod local {
    use std::io::{Error, ErrorKind, Read};
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::Path;

    use bytes::Bytes;

    use super::Entry;

    /// Every file below `root`, with links as entries of their own (never followed).
    pub fn list(root: &Path) -> std::io::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        let mut folders = vec![(root.to_path_buf(), String::new())];
        while let Some((folder, prefix)) = folders.pop() {
            let listing = match fs_err::read_dir(&folder) {
                Ok(listing) => listing,
                // Nothing there yet, or a folder removed while listing.
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for item in listing {
                let item = item?;
                let name = item.file_name().to_string_lossy().into_owned();
                let key = format!("{prefix}{name}");
                // The entry's own type: a link is not resolved.
                let kind = item.file_type()?;
                if kind.is_symlink() {
                    entries.push(Entry {
                        link: true,
                        ..Entry::new(key, 0)
                    });
                } else if kind.is_dir() {
                    folders.push((item.path(), format!("{key}/")));
                } else if kind.is_file() {
                    let meta = item.metadata()?;
                    entries.push(Entry {
                        last_modified: meta.modified().ok().map(Into::into),
                        ..Entry::new(key, meta.len())
                    });
                }
            }
        }
        Ok(entries)
    }

    /// Opens `root/relative` for reading, refusing a link at any point of the path: every
    /// folder below `root` is checked, and the file itself is opened with `O_NOFOLLOW`.
    pub fn open(root: &Path, relative: &str) -> std::io::Result<std::fs::File> {
        let mut path = root.to_path_buf();
        let parts: Vec<&str> = relative.split('/').filter(|p| !p.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            if matches!(*part, "." | "..") {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "a path part is . or ..",
                ));
            }
            path.push(part);
            if i + 1 < parts.len() && fs_err::symlink_metadata(&path)?.is_symlink() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "the path goes through a symbolic link, which is never followed",
                ));
            }
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        if !file.metadata()?.is_file() {
            return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
        }
        Ok(file)
    }

    /// The whole of `root/relative`, opened as [`open`] does.
    pub fn read(root: &Path, relative: &str) -> std::io::Result<Bytes> {
        // `read_to_end` on a file reserves its size first.
        let mut bytes = Vec::new();
        open(root, relative)?.read_to_end(&mut bytes)?;
        Ok(Bytes::from(bytes))
    }

    /// Writes each (relative path, bytes) below `root`, making the folders first. A part that
    /// is `.` or `..` is refused, and no link is followed at the file itself.
    pub fn write_all(root: &Path, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
        use rayon::prelude::*;
        let mut folders = std::collections::BTreeSet::new();
        for (relative, _) in files {
            if relative.split('/').any(|p| matches!(p, "" | "." | "..")) {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("{relative}: a path part is empty, . or .."),
                ));
            }
            if let Some((folder, _)) = relative.rsplit_once('/') {
                folders.insert(folder);
            }
        }
        for folder in folders {
            fs_err::create_dir_all(root.join(folder))?;
        }
        files.par_iter().try_for_each(|(relative, bytes)| {
            let path = root.join(relative);
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
                .map_err(|e| Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            std::io::Write::write_all(&mut file, bytes)
        })
    }

    /// Up to `size` bytes from where `file` stands; empty at its end.
    pub fn read_chunk(file: &mut std::fs::File, size: usize) -> std::io::Result<Vec<u8>> {
        let mut chunk = Vec::with_capacity(size);
        file.take(size as u64).read_to_end(&mut chunk)?;
        Ok(chunk)
    }
}

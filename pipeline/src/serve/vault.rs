//! The service's state: credentials, sessions, receipts, the audit log and refused files, all
//! under one location (a local folder or an object-store prefix) so that several instances
//! behind a load balancer share it. Every record is a small JSON object; records that must
//! never change (receipts, audit entries, refused files) are written create-only.
//!
//! ```text
//! service.key                          32 random bytes (hex): the key of every MAC below
//! tokens/{id}.json                     a credential: keyed hash, organisation, role, dates
//! tokens/{id}.used                     when it was last used
//! sessions/{nonce}.json                a signed-in browser (deleted on sign-out)
//! receipts/{org}/{receipt_id}.json     every upload's receipt, accepted or refused
//! index/{org}/{digest}.json            same name and bytes again → the same receipt
//! refused/{org}/{receipt_id}/{name}    the bytes of a refused upload, kept for audit
//! audit/{YYYY-MM-DD}/{time}-{n}.json   one event each
//! ```

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

use super::ServeError;
use crate::storage::Location;

type HmacSha256 = Hmac<Sha256>;

const KEY_FILE: &str = "service.key";

/// The state location and the key read from it.
#[derive(Clone)]
pub struct Vault {
    root: Location,
    key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("root", &self.root.display())
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Opens the state at `root`, creating its key on first use. Two instances starting at
    /// once agree on one key: the key is written create-only and read back.
    pub async fn open(root: Location) -> Result<Vault, ServeError> {
        let fresh = hex(&random_bytes::<32>()?);
        root.create(KEY_FILE, fresh).await?;
        let text = root.read(KEY_FILE).await?;
        let key = unhex(std::str::from_utf8(&text).unwrap_or_default().trim())
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .ok_or_else(|| {
                ServeError::State(format!(
                    "{KEY_FILE} in {} is not 64 hex digits",
                    root.display()
                ))
            })?;
        Ok(Vault { root, key })
    }

    pub fn display(&self) -> &str {
        self.root.display()
    }

    /// HMAC-SHA-256 of `data` for `purpose` (so a MAC made for one use never passes another).
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        self.keyed(purpose, data).finalize().into_bytes().into()
    }

    /// Whether `mac` is the MAC of `data` for `purpose`, compared in constant time.
    pub fn verify(&self, purpose: &str, data: &[u8], mac: &[u8]) -> bool {
        self.keyed(purpose, data).verify_slice(mac).is_ok()
    }

    fn keyed(&self, purpose: &str, data: &[u8]) -> HmacSha256 {
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        mac
    }

    /// A JSON record, or `None` when there is none.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ServeError> {
        let Some(bytes) = self.root.read_if_exists(key).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ServeError::State(format!("{key} in {} is damaged: {e}", self.display())))
    }

    /// Writes a record that may be replaced later.
    pub async fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<(), ServeError> {
        Ok(self.root.write(key, to_json(value)).await?)
    }

    /// Writes a record that never changes; `false` when one is already there.
    pub async fn create<T: Serialize>(&self, key: &str, value: &T) -> Result<bool, ServeError> {
        Ok(self.root.create(key, to_json(value)).await?)
    }

    /// Writes bytes that never change; `false` when something is already there.
    pub async fn create_bytes(&self, key: &str, bytes: Bytes) -> Result<bool, ServeError> {
        Ok(self.root.create(key, bytes).await?)
    }

    pub async fn delete(&self, key: &str) -> Result<(), ServeError> {
        match self.root.delete(key).await {
            Err(e) if !e.is_not_found() => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Every record under `prefix` (a folder), in key order; damaged ones are skipped with a
    /// warning in the log.
    pub async fn all<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<T>, ServeError> {
        let folder = self.root.join(prefix);
        let mut records = Vec::new();
        for entry in folder.list().await? {
            if !entry.key.ends_with(".json") {
                continue;
            }
            let bytes = folder.read(&entry.key).await?;
            match serde_json::from_slice(&bytes) {
                Ok(record) => records.push(record),
                Err(e) => tracing::warn!(key = %entry.key, prefix, "skipped a damaged record: {e}"),
            }
        }
        Ok(records)
    }
}

fn to_json<T: Serialize>(value: &T) -> Bytes {
    serde_json::to_vec_pretty(value)
        .expect("records are plain structs")
        .into()
}

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ServeError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServeError::State(format!("no random numbers from the system: {e}")))?;
    Ok(bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Lower- or upper-case hex digits to bytes; `None` for anything else.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Whether `text` is exactly `len` lower-case hex digits: the only shape of an id the service
/// turns into a state key.
pub fn is_hex_id(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_other_text() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&bytes), "0001abff");
        assert_eq!(unhex("0001abff").unwrap(), bytes);
        assert_eq!(unhex("0001ABFF").unwrap(), bytes);
        for bad in ["0", "zz", "../", "0g"] {
            assert_eq!(unhex(bad), None, "{bad}");
        }
        assert!(is_hex_id("0123456789abcdef", 16));
        assert!(!is_hex_id("0123456789ABCDEF", 16));
        assert!(!is_hex_id("../../etc/passwd", 16));
    }
}

//! Ingest: find the files of a period in the landing zone and read them, many at a time.
//!
//! Files are recognised by name alone ([`names`]); returns become [`returns::RawReturn`]s and
//! inventories typed polars frames ([`inventory`]). Nothing here judges content: that is
//! validation's job.

pub mod counts;
pub mod inventory;
mod inventory_cells;
mod limits;
pub mod names;
mod parquet_footer;
mod plain_csv;
pub mod records;
pub mod returns;

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;

use crate::contract::Contract;
use crate::period::Period;
use crate::storage::{Entry, Location, StorageError};
pub use limits::{Limits, json_depth, unpacks_past};
use names::FileName;

/// What the listing of a landing zone holds, before any file is read.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Recognised files, with what their names say, sorted by key.
    pub recognised: Vec<(Entry, FileName)>,
    /// Files that are neither a return nor an inventory by name, files whose key is not safe
    /// to use as a path (`names::is_safe_key`), and symbolic links on local disk.
    pub unrecognised: Vec<Entry>,
}

impl Listing {
    pub fn from_entries(entries: Vec<Entry>) -> Self {
        let mut listing = Listing::default();
        for entry in entries {
            // A key unsafe to rebuild as a path, or a link, is never read, whatever its name
            // says.
            if entry.link || !names::is_safe_key(&entry.key) {
                listing.unrecognised.push(entry);
                continue;
            }
            match names::recognise(names::base_name(&entry.key)) {
                Some(name) => listing.recognised.push((entry, name)),
                None => listing.unrecognised.push(entry),
            }
        }
        listing
    }

    /// The latest period any recognised file is named for: the default period of a run.
    pub fn latest_period(&self) -> Option<Period> {
        self.recognised.iter().map(|(_, name)| name.period).max()
    }

    /// The recognised files named for `period`.
    pub fn for_period(&self, period: Period) -> impl Iterator<Item = &(Entry, FileName)> {
        self.recognised
            .iter()
            .filter(move |(_, name)| name.period == period)
    }
}

pub async fn list(landing: &Location) -> Result<Listing, StorageError> {
    Ok(Listing::from_entries(landing.list().await?))
}

/// A file's bytes with its SHA-256, as read from the landing zone.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub entry: Entry,
    pub name: FileName,
    /// Empty when the file was not read (see `unread`).
    pub bytes: Bytes,
    /// Empty when the file was not read.
    pub sha256: String,
    /// Why the file was not read, if it was not.
    pub unread: Option<Unread>,
    /// How many bytes were read (0 when the file was not read).
    pub read_bytes: u64,
    /// A CSV inventory already read, on the thread that read its bytes, when [`read_all`] was
    /// given [`EarlyInventories`]: its `bytes` are then empty, let go as soon as read.
    pub early: Option<Result<inventory::Inventory, returns::ReadFault>>,
}

/// What [`read_all`] needs to read each CSV inventory of the local disk as soon as its bytes
/// are read, on the same thread: the bytes are still in the cache, and are let go at once, so
/// the next file is read into memory already mapped (a fresh page costs a page fault; they
/// were a twelfth of a national run). The result is the one the validator would get.
#[derive(Debug, Clone)]
pub struct EarlyInventories {
    pub contract: Arc<Contract>,
    pub period: Period,
    pub limits: Limits,
}

impl EarlyInventories {
    pub fn new(contract: &Contract, period: Period, limits: Limits) -> Self {
        EarlyInventories {
            contract: Arc::new(contract.clone()),
            period,
            limits,
        }
    }

    /// Whether a file of `landing` is read early: a CSV inventory on local disk (Parquet needs
    /// the parser pool's larger stack; on an object store the reads run on the async runtime).
    pub fn reads(landing: &Location, name: &FileName) -> bool {
        landing.local_path().is_some()
            && name.kind == names::FileKind::Inventory(names::InventoryFormat::Csv)
    }

    fn read(&self, bytes: Bytes) -> Result<inventory::Inventory, returns::ReadFault> {
        let format = names::InventoryFormat::Csv;
        inventory::read_counted(format, bytes, &self.contract, self.period, &self.limits)
    }
}

/// Why a recognised file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// The listing gave a size over the limit: no file is ever held in memory whole before its
    /// size is known to be acceptable.
    TooLarge,
    /// The store refused the read (the file vanished, or became a link, after the listing):
    /// the file is reported, and the batch goes on without it.
    Failed(String),
}

pub use crate::digest::sha256_hex;

/// Splits `files` into consecutive chunks of at most `max_files` files and, unless a single
/// file is larger, at most `max_bytes` bytes as listed: the unit in which inventories are read
/// and validated, so that memory follows the chunk, not the landing zone.
pub fn chunks(
    files: Vec<(Entry, FileName)>,
    max_files: usize,
    max_bytes: u64,
) -> Vec<Vec<(Entry, FileName)>> {
    let mut chunks: Vec<Vec<(Entry, FileName)>> = Vec::new();
    let mut bytes = 0;
    for file in files {
        let size = file.0.size;
        match chunks.last_mut() {
            Some(last) if last.len() < max_files && bytes + size <= max_bytes => {
                bytes += size;
                last.push(file);
            }
            _ => {
                bytes = size;
                chunks.push(vec![file]);
            }
        }
    }
    chunks
}

/// Reads `files` with at most `concurrency` reads in flight (on local disk, one per core);
/// the result is in input order. A file whose listed size is over `limit` of its name, or that
/// the store fails to read, is not read (`Loaded::unread`): one file never stops the batch.
/// With `early`, CSV inventories on local disk are read as they are read ([`Loaded::early`]).
/// `on_read` hears how many files have been read, once they all have.
pub async fn read_all(
    landing: &Location,
    files: Vec<(Entry, FileName)>,
    concurrency: usize,
    limit: impl Fn(&FileName) -> u64,
    early: Option<EarlyInventories>,
    on_read: impl Fn(usize),
) -> Vec<Loaded> {
    let fits: Vec<bool> = files
        .iter()
        .map(|(e, name)| e.size <= limit(name))
        .collect();
    let wanted: Vec<String> = files
        .iter()
        .zip(&fits)
        .filter(|(_, fits)| **fits)
        .map(|((entry, _), _)| entry.key.clone())
        .collect();
    let early = early.map(|e| {
        let keys: HashSet<String> = files
            .iter()
            .filter(|(_, name)| EarlyInventories::reads(landing, name))
            .map(|(entry, _)| entry.key.clone())
            .collect();
        (e, keys)
    });
    let mut read = landing
        .read_many(wanted, concurrency, move |key, bytes| {
            let sha256 = sha256_hex(&bytes);
            let read_bytes = bytes.len() as u64;
            match &early {
                Some((early, keys)) if keys.contains(key) => {
                    (Bytes::new(), sha256, read_bytes, Some(early.read(bytes)))
                }
                _ => (bytes, sha256, read_bytes, None),
            }
        })
        .await
        .into_iter();
    let loaded: Vec<Loaded> = files
        .into_iter()
        .zip(fits)
        .map(|((entry, name), fits)| {
            let outcome = match fits {
                // `read_many` gives one result per key, in order.
                true => read.next().map_or_else(
                    || Err(Unread::Failed("the store gave no result".to_string())),
                    |r| r.map_err(|e| Unread::Failed(e.explained())),
                ),
                false => Err(Unread::TooLarge),
            };
            match outcome {
                Ok((bytes, sha256, read_bytes, early)) => Loaded {
                    entry,
                    name,
                    bytes,
                    sha256,
                    unread: None,
                    read_bytes,
                    early,
                },
                Err(why) => Loaded {
                    entry,
                    name,
                    bytes: Bytes::new(),
                    sha256: String::new(),
                    unread: Some(why),
                    read_bytes: 0,
                    early: None,
                },
            }
        })
        .collect();
    on_read(loaded.len());
    loaded
}

//! Limits on what a submitted file may hold, each with a safe default and each settable in
//! `baseline.toml` under `[limits]`. A file over a limit is rejected with `file_too_large` (or
//! `unreadable_file` where its structure, not its size, is the problem) before it can take the
//! batch's memory: sizes are checked from the listing before a file is read, an XLSX return's
//! unpacked size before it is parsed, and rows, columns and nesting before values are built.

use serde::Deserialize;

use super::names::FileKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Bytes of a return file (a real one is a few kilobytes).
    pub max_return_bytes: u64,
    /// Bytes of an inventory file.
    pub max_inventory_bytes: u64,
    /// Bytes an XLSX return unpacks to (a zip bomb unpacks to gigabytes).
    pub max_xlsx_unpacked_bytes: u64,
    /// Data rows of a CSV or XLSX return, or measures of a JSON return.
    pub max_return_rows: usize,
    /// Columns of a CSV or XLSX return or of an inventory.
    pub max_columns: usize,
    /// Device rows of an inventory.
    pub max_inventory_rows: u64,
    /// Nesting of objects and arrays in a JSON return (a return needs 2).
    pub max_json_depth: usize,
    /// Characters of one comment.
    pub max_comment_chars: usize,
    /// Bytes a Parquet inventory may decode to (a few hundred kilobytes of compressed,
    /// dictionary-encoded Parquet can decode to gigabytes). Checked in the child process that
    /// decodes it first, whose address space is also capped (twice this, plus 1 GiB).
    pub max_inventory_decoded_bytes: u64,
    /// Seconds the child process may take to decode a Parquet inventory before it is stopped
    /// and the file rejected.
    pub parquet_check_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_return_bytes: 10 << 20,
            max_inventory_bytes: 1 << 30,
            max_xlsx_unpacked_bytes: 50 << 20,
            max_return_rows: 10_000,
            max_columns: 100,
            max_inventory_rows: 5_000_000,
            max_json_depth: 16,
            max_comment_chars: 2_000,
            max_inventory_decoded_bytes: 2 << 30,
            parquet_check_seconds: 120,
        }
    }
}

impl Limits {
    /// The size limit of a file of this kind (a plan is held to a return's).
    pub fn max_bytes(&self, kind: FileKind) -> u64 {
        if kind.is_inventory() {
            self.max_inventory_bytes
        } else {
            self.max_return_bytes
        }
    }
}

/// The deepest nesting of `{` and `[` outside strings, counting no further than `stop` (a
/// pass over the bytes before any value is built).
pub fn json_depth(bytes: &[u8], stop: usize) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > stop {
                    return deepest;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The most deflate can unpack one packed byte to: a length and distance pair takes at least
/// two bits and copies at most 258 bytes.
const DEFLATE_MAX_RATIO: u64 = 1032;

/// Whether a zip archive unpacks to more than `limit` bytes; `false` when it is not a readable
/// archive (the XLSX reader then says so).
///
/// The sizes an archive declares for its unpacked entries can lie; its packed sizes cannot
/// raise what is read, because the zip reader inflates each entry from a `Take` of its packed
/// size, and this build reads only stored and deflated entries (the zip crate's `deflate`
/// feature alone; the tests below pin both). So an archive whose packed sizes, times
/// [`DEFLATE_MAX_RATIO`], add up to no more than `limit` passes without being unpacked. Any
/// other is measured by unpacking each entry into nothing, stopping once past `limit`.
pub fn unpacks_past(bytes: &[u8], limit: u64) -> bool {
    let Ok(archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return false;
    };
    let packed = (0..archive.len())
        .map(|i| {
            archive
                .by_index_data(i)
                .map_or(u64::MAX, |e| e.compressed_size())
        })
        .fold(0u64, u64::saturating_add);
    if packed.saturating_mul(DEFLATE_MAX_RATIO) <= limit {
        return false;
    }
    unpacked_size(archive, limit).is_some_and(|size| size > limit)
}

/// The bytes an archive unpacks to, counted by unpacking each entry into nothing and stopping
/// once past `stop`. `None` when an entry cannot be read.
fn unpacked_size(mut archive: zip::ZipArchive<std::io::Cursor<&[u8]>>, stop: u64) -> Option<u64> {
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).ok()?;
        let budget = stop.saturating_sub(total) + 1;
        let read = std::io::copy(
            &mut std::io::Read::take(&mut entry, budget),
            &mut std::io::sink(),
        )
        .ok()?;
        total += read;
        if total > stop {
            return Some(total);
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_depth_ignores_brackets_in_strings() {
        assert_eq!(json_depth(br#"{"a": {"b": "[[[{{{"}}"#, 10), 2);
        assert_eq!(json_depth(br#"{"a": "\"{"}"#, 10), 1);
        let deep = "[".repeat(100_000);
        assert_eq!(
            json_depth(deep.as_bytes(), 16),
            17,
            "counting stops past the limit"
        );
    }

    /// An archive of one deflated entry: `size` bytes of one letter.
    fn bomb(size: usize) -> Vec<u8> {
        let mut zipped = std::io::Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut zipped);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        writer.start_file("big.xml", options).unwrap();
        std::io::Write::write_all(&mut writer, &vec![b'a'; size]).unwrap();
        writer.finish().unwrap();
        zipped.into_inner()
    }

    fn archive(bytes: &[u8]) -> zip::ZipArchive<std::io::Cursor<&[u8]>> {
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap()
    }

    /// Writes `value` at `offset` into the header that starts with `signature`, in both the
    /// entry's local header (`PK\x03\x04`) and its central directory header (`PK\x01\x02`).
    fn patch(bytes: &mut [u8], (local, central): (usize, usize), value: &[u8]) {
        for (signature, offset) in [(b"PK\x03\x04", local), (b"PK\x01\x02", central)] {
            let at = bytes.windows(4).position(|w| w == signature).unwrap() + offset;
            bytes[at..at + value.len()].copy_from_slice(value);
        }
    }

    /// Every byte an entry yields until its end or its first error.
    fn read_all(entry: &mut impl std::io::Read) -> u64 {
        let (mut read, mut buf) = (0u64, [0u8; 1 << 16]);
        while let Ok(n @ 1..) = entry.read(&mut buf) {
            read += n as u64;
        }
        read
    }

    #[test]
    fn an_archive_is_measured_by_what_it_unpacks_to() {
        let bytes = bomb(5 << 20);
        assert!(bytes.len() < 64 << 10, "5 MiB of one byte packs small");
        assert_eq!(unpacked_size(archive(&bytes), 100 << 20), Some(5 << 20));
        assert_eq!(unpacked_size(archive(&bytes), 1 << 20), Some((1 << 20) + 1));
    }

    #[test]
    fn an_archive_past_the_limit_is_refused_whether_or_not_it_is_unpacked() {
        let bytes = bomb(5 << 20);
        let packed = archive(&bytes).by_index_data(0).unwrap().compressed_size();
        assert!(
            packed * DEFLATE_MAX_RATIO >= 5 << 20,
            "deflate stays within its largest ratio"
        );
        assert!(unpacks_past(&bytes, 1 << 20));
        assert!(unpacks_past(&bytes, (5 << 20) - 1), "one byte over");
        assert!(!unpacks_past(&bytes, 5 << 20), "measured, at the limit");
        assert!(!unpacks_past(&bytes, packed * DEFLATE_MAX_RATIO), "bounded");
        assert!(!unpacks_past(b"not a zip", 10));
    }

    /// What [`unpacks_past`] rests on: an entry is inflated from no more than its packed size,
    /// whatever the bytes after it hold.
    #[test]
    fn an_entry_is_inflated_from_no_more_than_its_packed_size() {
        let mut bytes = bomb(5 << 20);
        let packed = 100u32;
        patch(&mut bytes, (18, 20), &packed.to_le_bytes());
        let mut archive = archive(&bytes);
        let read = archive.by_index(0).map_or(0, |mut e| read_all(&mut e));
        assert!(read > 0, "the first packed bytes still inflate");
        assert!(
            read <= u64::from(packed) * DEFLATE_MAX_RATIO,
            "{read} bytes"
        );
    }

    /// The other half: no method that packs tighter than deflate (bzip2, deflate64, LZMA,
    /// zstd, xz, PPMd) can be read in this build.
    #[test]
    fn only_stored_and_deflated_entries_can_be_read() {
        for method in [12u16, 9, 14, 93, 95, 98] {
            let mut bytes = bomb(1 << 10);
            patch(&mut bytes, (8, 10), &method.to_le_bytes());
            let mut archive = archive(&bytes);
            let read = archive.by_index(0).map_or(0, |mut e| read_all(&mut e));
            assert_eq!(read, 0, "method {method} was read");
        }
    }
}

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

/// The bytes a zip archive unpacks to, counted by unpacking each entry into nothing and
/// stopping once past `stop` (the sizes an archive declares can lie). `None` when it is not a
/// readable archive: the XLSX reader then says so.
pub fn unpacked_size(bytes: &[u8], stop: u64) -> Option<u64> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
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

    #[test]
    fn an_archive_is_measured_by_what_it_unpacks_to() {
        let mut zipped = std::io::Cursor::new(Vec::new());
        {
            let mut writer = zip::ZipWriter::new(&mut zipped);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            writer.start_file("big.xml", options).unwrap();
            std::io::Write::write_all(&mut writer, &vec![b'a'; 5 << 20]).unwrap();
            writer.finish().unwrap();
        }
        let bytes = zipped.into_inner();
        assert!(bytes.len() < 64 << 10, "5 MiB of one byte packs small");
        assert_eq!(unpacked_size(&bytes, 100 << 20), Some(5 << 20));
        assert_eq!(unpacked_size(&bytes, 1 << 20), Some((1 << 20) + 1));
        assert_eq!(unpacked_size(b"not a zip", 10), None);
    }
}

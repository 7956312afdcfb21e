//! File names of the landing zone: how the batch recognises returns, inventories and plans
//! (`{org_code}_{YYYY-MM}_return.{json|csv|xlsx}`, `{org_code}_{YYYY-MM}_inventory.{csv|parquet}`,
//! `{org_code}_{YYYY-MM}_plan.{csv|xlsx}`).

use chrono::{DateTime, Utc};

use crate::period::Period;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReturnFormat {
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InventoryFormat {
    Csv,
    Parquet,
}

/// An improvement plan is a table: CSV, or the `Plan` sheet of a workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlanFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Return(ReturnFormat),
    Inventory(InventoryFormat),
    Plan(PlanFormat),
}

impl FileKind {
    pub fn is_return(self) -> bool {
        matches!(self, FileKind::Return(_))
    }

    pub fn is_inventory(self) -> bool {
        matches!(self, FileKind::Inventory(_))
    }

    pub fn is_plan(self) -> bool {
        matches!(self, FileKind::Plan(_))
    }
}

/// Whether a landing-zone key is safe to read and to rebuild as a path (the quarantine copies
/// rejected files under their own keys): relative, no empty, `.` or `..` segment, and only
/// letters, digits, spaces and `._-()+,` in each segment. Anything else is reported and
/// skipped, never read.
pub fn is_safe_key(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('/')
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " ._-()+,".contains(c))
        })
}

/// A key as it can be shown safely in an issue: control characters escaped, and clipped to
/// what an object store allows a key (1,024 characters).
pub fn printable(key: &str) -> String {
    crate::text::echo(key, 1024)
}

/// What a recognised file name says: organisation code (as written), period and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    pub org_code: String,
    pub period: Period,
    pub kind: FileKind,
}

/// Recognises a file by its base name alone; `None` for anything that is not named as a return,
/// an inventory or a plan. Extension and the words `return`/`inventory`/`plan` are case-insensitive.
pub fn recognise(base_name: &str) -> Option<FileName> {
    let (stem, extension) = base_name.rsplit_once('.')?;
    let mut parts = stem.split('_');
    let (org_code, period, word) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || org_code.is_empty()
        || !org_code.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    let period: Period = period.parse().ok()?;
    let kind = match (
        word.to_ascii_lowercase().as_str(),
        extension.to_ascii_lowercase().as_str(),
    ) {
        ("return", "json") => FileKind::Return(ReturnFormat::Json),
        ("return", "csv") => FileKind::Return(ReturnFormat::Csv),
        ("return", "xlsx") => FileKind::Return(ReturnFormat::Xlsx),
        ("inventory", "csv") => FileKind::Inventory(InventoryFormat::Csv),
        ("inventory", "parquet") => FileKind::Inventory(InventoryFormat::Parquet),
        ("plan", "csv") => FileKind::Plan(PlanFormat::Csv),
        ("plan", "xlsx") => FileKind::Plan(PlanFormat::Xlsx),
        _ => return None,
    };
    Some(FileName {
        org_code: org_code.to_string(),
        period,
        kind,
    })
}

/// The last segment of a `/`-separated key.
pub fn base_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// How the submission service names the folder of each file it stores: the server's receipt
/// time, then 16 hex digits (`20261109T142501.042Z-9f2c4e1a7b3d5f60`). The receipt id is that
/// folder name, so a landing-zone key says when the service received it.
pub const RECEIPT_TIME: &str = "%Y%m%dT%H%M%S%.3fZ";

/// A receipt id for a file received at `at`, with `suffix` (16 hex digits) to tell apart
/// files received in the same millisecond.
pub fn receipt_id(at: DateTime<Utc>, suffix: &str) -> String {
    format!("{}-{suffix}", at.format(RECEIPT_TIME))
}

/// When the submission service received the file at `key`: read from its folder's name, for
/// a key the service wrote (`{period}/{org}/{receipt_id}/{file_name}`); `None` for any other.
pub fn receipt_time(key: &str) -> Option<DateTime<Utc>> {
    let mut segments = key.rsplit('/');
    let (_, folder) = (segments.next()?, segments.next()?);
    let (time, suffix) = folder.split_once('-')?;
    if suffix.len() != 16 || !suffix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    chrono::NaiveDateTime::parse_from_str(time, RECEIPT_TIME)
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_keys_are_told_apart() {
        for safe in [
            "2026-10/RA0_2026-10_return.json",
            "late ones/Covering letter (v2).pdf",
        ] {
            assert!(is_safe_key(safe), "{safe}");
        }
        for unsafe_key in [
            "../RA0_2026-10_return.json",
            "2026-10/../../etc/RA0_2026-10_return.json",
            "/abs/RA0_2026-10_return.json",
            "2026-10//RA0_2026-10_return.json",
            "2026-10/./RA0_2026-10_return.json",
            "2026-10/RA0_2026-10_return.json\n",
            "2026-10/R\u{202e}A0_2026-10_return.json",
            "2026-10\\RA0_2026-10_return.json",
            "",
        ] {
            assert!(!is_safe_key(unsafe_key), "{unsafe_key:?}");
        }
    }

    #[test]
    fn recognises_returns_and_inventories_case_insensitively() {
        let name = recognise("R0A_2026-10_RETURN.Json").unwrap();
        assert_eq!(name.org_code, "R0A");
        assert_eq!(name.period.to_string(), "2026-10");
        assert_eq!(name.kind, FileKind::Return(ReturnFormat::Json));
        assert_eq!(
            recognise("K82057_2026-09_inventory.parquet").unwrap().kind,
            FileKind::Inventory(InventoryFormat::Parquet)
        );
    }

    #[test]
    fn receipt_times_are_read_from_the_service_folder_only() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-09T14:25:01.042Z")
            .unwrap()
            .to_utc();
        let id = receipt_id(at, "9f2c4e1a7b3d5f60");
        assert_eq!(id, "20261109T142501.042Z-9f2c4e1a7b3d5f60");
        let key = format!("2026-10/RA0/{id}/RA0_2026-10_return.json");
        assert_eq!(receipt_time(&key), Some(at));
        for other in [
            "RA0_2026-10_return.json",
            "2026-10/RA0_2026-10_return.json",
            "x/20261109T142501.042Z-9f2c4e1a7b3d5f6/RA0_2026-10_return.json",
            "x/20261109T142501.042Z-9f2c4e1a7b3d5f6g/RA0_2026-10_return.json",
            "x/20261399T142501.042Z-9f2c4e1a7b3d5f60/RA0_2026-10_return.json",
        ] {
            assert_eq!(receipt_time(other), None, "{other}");
        }
    }

    #[test]
    fn rejects_other_names() {
        for name in [
            "R0A_2026-10_return.txt",
            "R0A_2026-10_inventory.json",
            "R0A_2026-13_return.csv",
            "R0A_2026-10_return",
            "R0A-2026-10_return.csv",
            "R0A_2026-10_return_v2.csv",
            "../R0A_2026-10_return.csv",
            "_2026-10_return.csv",
            "notes.txt",
        ] {
            assert!(recognise(name).is_none(), "{name} should not be recognised");
        }
    }
}

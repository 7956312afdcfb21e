//! Writing tables safely: CSV with every cell neutralised against formula injection, the
//! validation issues, and the quarantine of rejected files with their issues beside them.

use crate::storage::{Location, StorageError};
use crate::table::{CsvTable, Table};
use crate::validate::{Issue, Rejected};

pub const ISSUE_COLUMNS: [&str; 8] = [
    "period", "file", "org_code", "measure", "line", "severity", "code", "message",
];

/// The rows of `validation/issues.csv` (or of a quarantined file's own issues).
pub fn issues_table<'a>(period: &str, issues: impl IntoIterator<Item = &'a Issue>) -> Table {
    Table {
        columns: ISSUE_COLUMNS.to_vec(),
        rows: issues
            .into_iter()
            .map(|i| {
                vec![
                    period.to_string(),
                    i.file.clone(),
                    i.org_code.clone(),
                    i.measure.clone(),
                    i.line.map(|l| l.to_string()).unwrap_or_default(),
                    i.severity.as_str().to_string(),
                    i.code.as_str().to_string(),
                    i.message.clone(),
                ]
            })
            .collect(),
    }
}

/// `validation/issues.csv` (or a quarantined file's own issues) for `issues`.
pub fn issues_csv<'a>(period: &str, issues: impl IntoIterator<Item = &'a Issue>) -> Vec<u8> {
    issues_table(period, issues).to_csv()
}

/// Where a rejected file goes in the quarantine: `quarantine/{h}/{name}`, with `h` 16 hex
/// digits of the SHA-256 of its landing-zone key and `name` its base name clipped to 100
/// bytes, so the path always fits a file system and an object store (1,024 bytes a key), and
/// two files never share one, whatever their names. `quarantine/index.csv` maps each back to
/// its key; its own issues are `quarantine/{h}/issues.csv`.
pub fn quarantine_folder(key: &str) -> String {
    let hash = crate::digest::sha256_hex(key.as_bytes());
    format!("quarantine/{}", &hash[..16])
}

/// The name a quarantined file keeps inside its folder: its base name, clipped on a character
/// boundary to 100 bytes and never `issues.csv`.
fn quarantine_name(key: &str) -> String {
    let base = crate::ingest::names::base_name(key);
    let mut end = base.len().min(100);
    while !base.is_char_boundary(end) {
        end -= 1;
    }
    match &base[..end] {
        "" | "issues.csv" | "." | ".." => "file".to_string(),
        name => name.to_string(),
    }
}

/// Copies each rejected file to the quarantine (see [`quarantine_folder`]), unchanged and as a
/// stream, with its issues beside it and `quarantine/index.csv` listing them all. A copy that
/// fails does not stop the run: it is returned as a warning for the run summary, and the index
/// says the file was not copied.
pub async fn write_quarantine(
    run: &Location,
    landing: &Location,
    period: &str,
    rejected: &[Rejected],
    issues: &[Issue],
) -> Result<Vec<String>, StorageError> {
    let mut warnings = Vec::new();
    let mut index = CsvTable::new(&["file", "quarantined_as", "issues", "copied"]);
    for file in rejected {
        let folder = quarantine_folder(&file.file);
        let copy = format!("{folder}/{}", quarantine_name(&file.file));
        let own = issues.iter().filter(|i| i.file == file.file);
        let copied = match run.copy_from(landing, &file.file, &copy).await {
            Ok(()) => "yes",
            Err(e) => {
                warnings.push(format!(
                    "{} was not copied to the quarantine: {:#}",
                    crate::ingest::names::printable(&file.file),
                    anyhow::Error::new(e)
                ));
                "no"
            }
        };
        run.write(&format!("{folder}/issues.csv"), issues_csv(period, own))
            .await?;
        index.row([
            file.file.as_str(),
            copy.as_str(),
            &format!("{folder}/issues.csv"),
            copied,
        ]);
    }
    run.write("quarantine/index.csv", index.into_bytes())
        .await?;
    Ok(warnings)
}

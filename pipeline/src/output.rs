//! Writing tables safely: CSV with every cell neutralised against formula injection, the
//! validation issues, and the quarantine of rejected files with their issues beside them.

use std::borrow::Cow;

use crate::storage::{Location, StorageError};
use crate::tables::Table;
use crate::validate::{Issue, Rejected};

/// Prefixes `'` to a cell a spreadsheet would run as a formula (SPEC: a cell starting with
/// `=`, `+`, `-`, `@`, tab or carriage return).
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A CSV document built in memory, every cell neutralised.
pub struct CsvTable {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvTable {
    pub fn new(header: &[&str]) -> Self {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        writer
            .write_record(header)
            .expect("writing to memory cannot fail");
        CsvTable { writer }
    }

    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| neutralise(c.as_ref()).into_owned())
            .collect();
        self.writer
            .write_record(&cells)
            .expect("writing to memory cannot fail");
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.writer
            .into_inner()
            .expect("writing to memory cannot fail")
    }
}

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

/// Copies each rejected file to `quarantine/{its path in the landing zone}`, unchanged, with
/// `{that path}.issues.csv` beside it. Landing-zone paths are unique, so no rejected file can
/// overwrite another.
pub async fn write_quarantine(
    run: &Location,
    landing: &Location,
    period: &str,
    rejected: &[Rejected],
    issues: &[Issue],
) -> Result<(), StorageError> {
    for file in rejected {
        let own = issues.iter().filter(|i| i.file == file.file);
        let bytes = landing.read(&file.file).await?;
        run.write(&format!("quarantine/{}", file.file), bytes)
            .await?;
        run.write(
            &format!("quarantine/{}.issues.csv", file.file),
            issues_csv(period, own),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_formula_starts_only() {
        for cell in ["=1+1", "+44", "-3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["R0A", "", "1-2", "a=b"] {
            assert_eq!(neutralise(cell), cell);
        }
    }
}

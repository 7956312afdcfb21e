//! Validate: judge every file of the period against the contract and turn each problem into
//! an [`Issue`] with a stable code. A problem in one submission is data, never an error of the
//! run: rejected files are kept for quarantine and the batch goes on.

mod batch;
mod header;
mod measures;
mod single;
pub mod values;

pub use batch::{
    AcceptedInventory, AcceptedReturn, Batch, Disposition, FileRecord, INVENTORY_BATCH, Limits,
    PARSER_STACK, Rejected, Validated,
};
pub use header::{HeaderCheck, check_header};
pub use measures::{Applicability, CheckedMeasures, check_measures};
pub use single::check_file;
pub use values::Value;

use crate::contract::{Code, CodeBook, Severity};

/// One validation finding, as written to `validation/issues.csv`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    pub file: String,
    pub org_code: String,
    pub measure: String,
    pub line: Option<u64>,
    pub severity: Severity,
    pub code: Code,
    pub message: String,
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl serde::Serialize for Severity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Issue {
    /// The order issues are written in: by file, then line, then measure and code.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.file,
            self.line,
            &self.measure,
            self.code,
            &self.message,
            &self.org_code,
        )
    }
}

/// Where issues about one file are being raised: the file and the organisation.
#[derive(Debug, Clone)]
pub struct Site {
    pub file: String,
    pub org_code: String,
}

impl Site {
    /// A file of the landing zone, with the organisation its name gives.
    pub fn of(file: &crate::ingest::Loaded) -> Self {
        Site {
            file: file.entry.key.clone(),
            org_code: file.name.org_code.clone(),
        }
    }
}

/// Collects issues, giving each the severity the code book declares.
#[derive(Debug)]
pub struct Issues<'c> {
    codes: &'c CodeBook,
    pub list: Vec<Issue>,
}

impl<'c> Issues<'c> {
    pub fn new(codes: &'c CodeBook) -> Self {
        Issues {
            codes,
            list: Vec::new(),
        }
    }

    /// An issue about the file as a whole.
    pub fn file(&mut self, site: &Site, code: Code, message: impl Into<String>) {
        self.push(site, code, "", None, message);
    }

    pub fn push(
        &mut self,
        site: &Site,
        code: Code,
        measure: &str,
        line: Option<u64>,
        message: impl Into<String>,
    ) {
        self.list.push(Issue {
            file: site.file.clone(),
            org_code: site.org_code.clone(),
            measure: measure.to_string(),
            line,
            severity: self.codes.severity(code),
            code,
            message: message.into(),
        });
    }

    /// Whether any issue from index `from` on rejects a file.
    pub fn rejects_file_since(&self, from: usize) -> bool {
        self.list[from..]
            .iter()
            .any(|i| self.codes.scope(i.code) == crate::contract::Scope::File)
    }

    pub fn into_sorted(mut self) -> Vec<Issue> {
        self.list.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.list
    }
}

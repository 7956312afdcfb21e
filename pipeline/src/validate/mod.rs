//! Validate: judge every file of the period against the contract and turn each problem into
//! an [`Issue`] with a stable code. A problem in one submission is data, never an error of the
//! run: rejected files are kept for quarantine and the batch goes on.

mod batch;
mod header;
mod measures;
pub mod plans;
mod single;
pub mod values;

pub use batch::{
    AcceptedInventory, AcceptedReturn, Batch, Disposition, FileCounts, FileRecord, INVENTORY_BATCH,
    Limits, PARSER_STACK, Rejected, Submission, Validated,
};
pub use header::{HeaderCheck, HeaderContext, check_header};
pub use measures::{Applicability, CheckedMeasures, check_measures};
pub use single::{Context, check_file};
pub use values::Value;

use std::collections::HashMap;

use crate::contract::{Code, CodeBook, Organisations, Severity};
use crate::text::echo;

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

/// How many issues of one code are listed for one file; the rest are counted in one more
/// issue, so a file built to raise millions of issues cannot fill the outputs.
pub const LISTED_PER_CODE: usize = 50;

/// Collects issues, giving each the severity the code book declares, clipping what they echo
/// and listing at most [`LISTED_PER_CODE`] of a code per file.
#[derive(Debug)]
pub struct Issues<'c> {
    codes: &'c CodeBook,
    pub list: Vec<Issue>,
    /// Issues raised per file and code, listed or not, with the organisation of the first.
    raised: HashMap<(String, Code), (usize, String)>,
}

impl<'c> Issues<'c> {
    pub fn new(codes: &'c CodeBook) -> Self {
        Issues {
            codes,
            list: Vec::new(),
            raised: HashMap::new(),
        }
    }

    /// An issue about the file as a whole.
    pub fn file(&mut self, site: &Site, code: Code, message: impl Into<String>) {
        self.push(site, code, "", None, message);
    }

    /// An issue about the file as a whole, in the code's graver form (see
    /// `validation-codes.toml`); the ordinary form when the code has none.
    pub fn file_graver(&mut self, site: &Site, code: Code, message: impl Into<String>) {
        let severity = self
            .codes
            .graver(code)
            .map_or(self.codes.severity(code), |g| g.severity);
        self.raise(site, code, "", None, severity, message.into());
    }

    pub fn push(
        &mut self,
        site: &Site,
        code: Code,
        measure: &str,
        line: Option<u64>,
        message: impl Into<String>,
    ) {
        let severity = self.codes.severity(code);
        self.raise(site, code, measure, line, severity, message.into());
    }

    fn raise(
        &mut self,
        site: &Site,
        code: Code,
        measure: &str,
        line: Option<u64>,
        severity: Severity,
        message: String,
    ) {
        let org_code = echo(&site.org_code, 60);
        let raised = self
            .raised
            .entry((site.file.clone(), code))
            .or_insert_with(|| (0, org_code.clone()));
        raised.0 += 1;
        if raised.0 > LISTED_PER_CODE {
            return;
        }
        self.list.push(Issue {
            file: site.file.clone(),
            org_code,
            measure: echo(measure, 100),
            line,
            severity,
            code,
            message: echo(&message, 2_000),
        });
    }

    /// Takes in the issues raised in `other`, as if each had been raised here, in order, after
    /// those already here: a code's issues in a file past [`LISTED_PER_CODE`] are counted, not
    /// listed, wherever they were raised. Lets files be checked apart (in parallel) and their
    /// issues gathered in file order with the same result.
    pub fn absorb(&mut self, other: Issues) {
        let mut listed_here: HashMap<(String, Code), usize> = HashMap::new();
        for issue in other.list {
            let key = (issue.file.clone(), issue.code);
            *listed_here.entry(key.clone()).or_default() += 1;
            let raised = self
                .raised
                .entry(key)
                .or_insert_with(|| (0, issue.org_code.clone()));
            raised.0 += 1;
            if raised.0 <= LISTED_PER_CODE {
                self.list.push(issue);
            }
        }
        // What `other` counted without listing it.
        for (key, (count, org_code)) in other.raised {
            let listed = listed_here.get(&key).copied().unwrap_or(0);
            let raised = self.raised.entry(key).or_insert_with(|| (0, org_code));
            raised.0 += count - listed;
        }
    }

    /// Whether any issue from index `from` on rejects a file.
    pub fn rejects_file_since(&self, from: usize) -> bool {
        self.list[from..]
            .iter()
            .any(|i| self.codes.rejects_file(i.code, i.severity))
    }

    /// The issues in order, with one more for each file and code over the listed number, and
    /// every organisation code spelt as the reference table spells it (`orgs`, when at hand).
    pub fn into_sorted(mut self, orgs: Option<&Organisations>) -> Vec<Issue> {
        let mut unlisted: Vec<_> = self
            .raised
            .iter()
            .filter(|(_, (n, _))| *n > LISTED_PER_CODE)
            .collect();
        unlisted.sort();
        for ((file, code), (n, org_code)) in unlisted {
            self.list.push(Issue {
                file: file.clone(),
                org_code: org_code.clone(),
                measure: String::new(),
                line: None,
                severity: self.codes.severity(*code),
                code: *code,
                message: format!(
                    "{} more {code} issues in this file are not listed; correct the ones above and check the file for the same fault",
                    n - LISTED_PER_CODE
                ),
            });
        }
        if let Some(orgs) = orgs {
            for issue in &mut self.list {
                if let Some(org) = orgs.get(&issue.org_code) {
                    issue.org_code.clone_from(&org.org_code);
                }
            }
        }
        self.list.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_absorbed_in_order_are_the_issues_raised_in_order() {
        // 300 issues over two files and two codes, 75 of each pair (past the 50 listed), split
        // at points before, inside and after the cap into those raised here and those raised
        // apart and absorbed.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../schemas/validation-codes.toml");
        let codes = CodeBook::load(&path).expect("the bundled codes load");
        let raise = |issues: &mut Issues, i: usize| {
            let site = Site {
                file: ["a.csv", "b.csv"][i % 2].to_string(),
                org_code: "RXX".to_string(),
            };
            let code = [Code::InvalidValue, Code::MissingMeasure][i / 2 % 2];
            issues.push(&site, code, "m", Some(i as u64), format!("issue {i}"));
        };
        let mut whole = Issues::new(&codes);
        (0..300).for_each(|i| raise(&mut whole, i));
        let whole = whole.into_sorted(None);
        assert!(whole.iter().any(|i| i.message.starts_with("25 more")));
        for split in [0, 1, 150, 199, 200, 201, 299, 300] {
            let (mut here, mut apart) = (Issues::new(&codes), Issues::new(&codes));
            (0..split).for_each(|i| raise(&mut here, i));
            (split..300).for_each(|i| raise(&mut apart, i));
            here.absorb(apart);
            assert_eq!(here.into_sorted(None), whole, "split at {split}");
        }
    }
}

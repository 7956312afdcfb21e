//! The data contract, loaded from `schemas/` and the organisation reference table.
//!
//! Everything SPEC fixes as data (measures, validation codes, OS lifecycle, organisations)
//! lives in files; this module reads and checks them once, before any stage runs, so the
//! stages work on typed, already-validated contract values.

mod codes;
mod dictionary;
mod insights;
mod plan;
mod reference;

pub use codes::{Code, CodeBook, Scope, Severity};
pub use dictionary::{Dictionary, InventorySpec, Measure, MeasureType, OrgTypes};
pub use insights::{Insights, Risk, Spend, SpendColumn};
pub use plan::{PlanColumn, PlanColumnType, PlanRules, PlanSpec};
pub use reference::{Lifecycle, Organisation, Organisations, normalise_os};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A problem with a contract file: the run cannot start until it is fixed.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl ContractError {
    pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> Self {
        ContractError::Invalid {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

pub(crate) fn read_text(path: &Path) -> Result<String, ContractError> {
    fs_err::read_to_string(path).map_err(|source| ContractError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The contract files under `schemas/`, loaded and cross-checked.
#[derive(Debug, Clone)]
pub struct Contract {
    pub dictionary: Dictionary,
    pub codes: CodeBook,
    pub lifecycle: Lifecycle,
    pub insights: Insights,
    pub plan: PlanSpec,
    /// Where the contract was loaded from, and the SHA-256 of each of its files, so a run's
    /// manifest says exactly which contract judged it.
    pub source: ContractSource,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ContractSource {
    pub dir: PathBuf,
    /// File name -> SHA-256.
    pub sha256: BTreeMap<String, String>,
}

/// The files of a contract folder.
const FILES: [&str; 5] = [
    "dictionary.toml",
    "validation-codes.toml",
    "os-lifecycle.csv",
    "insights.toml",
    "plan.toml",
];

impl Contract {
    /// Loads `dictionary.toml`, `validation-codes.toml`, `os-lifecycle.csv`, `insights.toml`
    /// and `plan.toml` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, ContractError> {
        let dictionary = Dictionary::load(&dir.join(FILES[0]))?;
        let mut sha256 = BTreeMap::new();
        for file in FILES {
            let text = read_text(&dir.join(file))?;
            sha256.insert(file.to_string(), crate::digest::sha256_hex(text.as_bytes()));
        }
        Ok(Contract {
            codes: CodeBook::load(&dir.join(FILES[1]))?,
            lifecycle: Lifecycle::load(&dir.join(FILES[2]))?,
            insights: Insights::load(&dir.join(FILES[3]), &dictionary)?,
            plan: PlanSpec::load(&dir.join(FILES[4]))?,
            dictionary,
            source: ContractSource {
                dir: dir.to_path_buf(),
                sha256,
            },
        })
    }
}

//! The data contract, loaded from `schemas/` and the organisation reference table.
//!
//! Everything SPEC fixes as data (measures, validation codes, OS lifecycle, organisations)
//! lives in files; this module reads and checks them once, before any stage runs, so the
//! stages work on typed, already-validated contract values.

mod codes;
mod dictionary;
mod insights;
mod reference;

pub use codes::{Code, CodeBook, Scope, Severity};
pub use dictionary::{Dictionary, InventorySpec, Measure, MeasureType, OrgTypes};
pub use insights::{Insights, Risk, Spend, SpendColumn};
pub use reference::{Lifecycle, Organisation, Organisations, normalise_os};

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
    std::fs::read_to_string(path).map_err(|source| ContractError::Io {
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
}

impl Contract {
    /// Loads `dictionary.toml`, `validation-codes.toml`, `os-lifecycle.csv` and
    /// `insights.toml` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, ContractError> {
        let dictionary = Dictionary::load(&dir.join("dictionary.toml"))?;
        Ok(Contract {
            insights: Insights::load(&dir.join("insights.toml"), &dictionary)?,
            codes: CodeBook::load(&dir.join("validation-codes.toml"))?,
            lifecycle: Lifecycle::load(&dir.join("os-lifecycle.csv"))?,
            dictionary,
        })
    }
}

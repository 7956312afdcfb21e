//! The one place that decides exit codes: every failure of a command is a [`Failure`], and
//! [`Failure::exit_code`] matches it exhaustively (0 success, 1 the work failed, 2 usage or
//! configuration). A rejected file is an outcome of a run, never a failure.

use crate::assess::CatalogueError;
use crate::contract::ContractError;
use crate::run::RunError;

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// A flag, a setting or a path the user gave is not usable.
    #[error("{0}")]
    Config(String),
    /// A file of the data contract (`schemas/`, the reference table) is missing or invalid.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// A standards catalogue is invalid.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// The monthly run failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// Any other work that failed (writing a file asked for, say).
    #[error(transparent)]
    Work(#[from] anyhow::Error),
}

impl Failure {
    pub fn config(message: impl Into<String>) -> Self {
        Failure::Config(message.into())
    }

    /// 2 for anything the user must fix in what they gave (flags, settings, the contract, a
    /// catalogue); 1 when the work itself failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Config(_) | Failure::Contract(_) | Failure::Catalogue(_) => 2,
            Failure::Run(run) => match run {
                RunError::Catalogue(_) => 2,
                RunError::Storage(_)
                | RunError::NoPeriod(_)
                | RunError::EmptyPeriod { .. }
                | RunError::Publish(_)
                | RunError::Report(_)
                | RunError::Compute { .. } => 1,
            },
            Failure::Work(_) => 1,
        }
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

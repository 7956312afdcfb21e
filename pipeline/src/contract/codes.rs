//! Validation codes: the closed set Baseline can emit, with severities read from
//! `schemas/validation-codes.toml` so that the file stays the one place they are decided.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::{ContractError, read_text};

/// A stable validation code. The set is closed because each one is raised by a specific
/// check in the code; the schema file is checked to list exactly these (see the tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    UnreadableFile,
    EmptyFile,
    FileTooLarge,
    MissingField,
    UnknownOrg,
    PeriodMismatch,
    InvalidSubmittedAt,
    InconsistentHeader,
    ConflictingResubmission,
    MissingMeasure,
    DuplicateMeasure,
    InvalidValue,
    OutOfRange,
    DateAfterPeriodEnd,
    Inconsistent,
    UnknownMeasure,
    LateSubmission,
    FilenameMismatch,
    UnrecognisedFile,
    Discrepancy,
    UnknownOs,
    InventoryWithoutReturn,
    Superseded,
    DuplicateFile,
    PlanInvalidField,
    PlanUnknownStandard,
    PlanDuplicateAction,
    PlanTargetTooFar,
    PlanMissingAction,
    PlanOverdue,
    PlanDoneButUnmet,
}

impl Code {
    pub const ALL: [Code; 31] = [
        Code::UnreadableFile,
        Code::EmptyFile,
        Code::FileTooLarge,
        Code::MissingField,
        Code::UnknownOrg,
        Code::PeriodMismatch,
        Code::InvalidSubmittedAt,
        Code::InconsistentHeader,
        Code::ConflictingResubmission,
        Code::MissingMeasure,
        Code::DuplicateMeasure,
        Code::InvalidValue,
        Code::OutOfRange,
        Code::DateAfterPeriodEnd,
        Code::Inconsistent,
        Code::UnknownMeasure,
        Code::LateSubmission,
        Code::FilenameMismatch,
        Code::UnrecognisedFile,
        Code::Discrepancy,
        Code::UnknownOs,
        Code::InventoryWithoutReturn,
        Code::Superseded,
        Code::DuplicateFile,
        Code::PlanInvalidField,
        Code::PlanUnknownStandard,
        Code::PlanDuplicateAction,
        Code::PlanTargetTooFar,
        Code::PlanMissingAction,
        Code::PlanOverdue,
        Code::PlanDoneButUnmet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::UnreadableFile => "unreadable_file",
            Code::EmptyFile => "empty_file",
            Code::FileTooLarge => "file_too_large",
            Code::MissingField => "missing_field",
            Code::UnknownOrg => "unknown_org",
            Code::PeriodMismatch => "period_mismatch",
            Code::InvalidSubmittedAt => "invalid_submitted_at",
            Code::InconsistentHeader => "inconsistent_header",
            Code::ConflictingResubmission => "conflicting_resubmission",
            Code::MissingMeasure => "missing_measure",
            Code::DuplicateMeasure => "duplicate_measure",
            Code::InvalidValue => "invalid_value",
            Code::OutOfRange => "out_of_range",
            Code::DateAfterPeriodEnd => "date_after_period_end",
            Code::Inconsistent => "inconsistent",
            Code::UnknownMeasure => "unknown_measure",
            Code::LateSubmission => "late_submission",
            Code::FilenameMismatch => "filename_mismatch",
            Code::UnrecognisedFile => "unrecognised_file",
            Code::Discrepancy => "discrepancy",
            Code::UnknownOs => "unknown_os",
            Code::InventoryWithoutReturn => "inventory_without_return",
            Code::Superseded => "superseded",
            Code::DuplicateFile => "duplicate_file",
            Code::PlanInvalidField => "plan_invalid_field",
            Code::PlanUnknownStandard => "plan_unknown_standard",
            Code::PlanDuplicateAction => "plan_duplicate_action",
            Code::PlanTargetTooFar => "plan_target_too_far",
            Code::PlanMissingAction => "plan_missing_action",
            Code::PlanOverdue => "plan_overdue",
            Code::PlanDoneButUnmet => "plan_done_but_unmet",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// What a code rejects: the whole file, one measure, one row of a plan, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    File,
    Measure,
    Row,
    Notice,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CodeEntry {
    pub code: String,
    pub severity: Severity,
    pub scope: Scope,
    /// What the submitter should change, shown in the organisation's report.
    pub fix: String,
    /// The graver form of the code, raised in the case the file's `[code.graver]` describes.
    pub graver: Option<Graver>,
    /// What the code means, in words, for the contract document.
    pub summary: String,
}

/// The severity and scope of a code in its graver case (`filename_mismatch` naming another
/// organisation is an error that rejects the file; naming another period only a warning).
#[derive(Debug, Clone, Deserialize)]
pub struct Graver {
    pub severity: Severity,
    pub scope: Scope,
    /// The case, in words, for the contract document.
    pub when: String,
}

#[derive(Deserialize)]
struct CodeFile {
    code: Vec<CodeEntry>,
}

/// Severity and scope of every code, as `validation-codes.toml` declares them.
#[derive(Debug, Clone)]
pub struct CodeBook {
    entries: HashMap<Code, CodeEntry>,
}

impl CodeBook {
    pub fn load(path: &Path) -> Result<Self, ContractError> {
        let file: CodeFile = toml::from_str(&read_text(path)?)
            .map_err(|e| ContractError::invalid(path, e.to_string()))?;
        let mut entries = HashMap::new();
        for entry in file.code {
            let Some(code) = Code::ALL.into_iter().find(|c| c.as_str() == entry.code) else {
                return Err(ContractError::invalid(
                    path,
                    format!("code `{}` is not one Baseline raises", entry.code),
                ));
            };
            if entries.insert(code, entry).is_some() {
                return Err(ContractError::invalid(
                    path,
                    format!("code `{code}` is listed twice"),
                ));
            }
        }
        if let Some(missing) = Code::ALL.into_iter().find(|c| !entries.contains_key(c)) {
            return Err(ContractError::invalid(
                path,
                format!("code `{missing}` is not listed"),
            ));
        }
        Ok(CodeBook { entries })
    }

    fn entry(&self, code: Code) -> &CodeEntry {
        // `load` guarantees every code has an entry.
        &self.entries[&code]
    }

    pub fn severity(&self, code: Code) -> Severity {
        self.entry(code).severity
    }

    pub fn scope(&self, code: Code) -> Scope {
        self.entry(code).scope
    }

    /// The graver severity and scope of `code`, when it has them.
    pub fn graver(&self, code: Code) -> Option<&Graver> {
        self.entry(code).graver.as_ref()
    }

    /// Whether an issue of `code` raised at `severity` rejects its whole file.
    pub fn rejects_file(&self, code: Code, severity: Severity) -> bool {
        let entry = self.entry(code);
        entry.scope == Scope::File
            || entry
                .graver
                .as_ref()
                .is_some_and(|g| g.scope == Scope::File && severity == g.severity)
    }

    /// Every code's entry, in the order of `Code::ALL`.
    pub fn entries(&self) -> impl Iterator<Item = &CodeEntry> {
        Code::ALL.into_iter().map(|c| self.entry(c))
    }

    pub fn fix(&self, code: Code) -> &str {
        &self.entry(code).fix
    }
}

//! The improvement plan's layout and rules (`schemas/plan.toml`): its columns with their
//! types, the statuses an action can have, which of them leave a gap covered, how far ahead a
//! target date may be, and which outcomes are gaps to plan for.

use std::path::Path;

use serde::Deserialize;

use super::{ContractError, read_text};

/// What a plan column holds, and so how its cells are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanColumnType {
    Code,
    Period,
    Text,
    Standard,
    Date,
    Status,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: PlanColumnType,
    pub required: bool,
    pub max_chars: Option<usize>,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRules {
    pub statuses: Vec<String>,
    pub open: Vec<String>,
    pub max_target_months: u32,
    pub gap_outcomes: Vec<String>,
}

/// The plan contract, checked when it loads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    pub sheet: String,
    #[serde(rename = "column")]
    pub columns: Vec<PlanColumn>,
    pub rules: PlanRules,
}

/// The columns the plan reader needs by role; the schema must give each exactly once.
const ROLES: [(&str, PlanColumnType); 7] = [
    ("org_code", PlanColumnType::Code),
    ("period", PlanColumnType::Period),
    ("action_id", PlanColumnType::Text),
    ("standard_id", PlanColumnType::Standard),
    ("target_date", PlanColumnType::Date),
    ("status", PlanColumnType::Status),
    ("action", PlanColumnType::Text),
];

impl PlanSpec {
    pub fn load(path: &Path) -> Result<Self, ContractError> {
        let spec: PlanSpec = toml::from_str(&read_text(path)?)
            .map_err(|e| ContractError::invalid(path, e.to_string()))?;
        spec.check().map_err(|m| ContractError::invalid(path, m))?;
        Ok(spec)
    }

    fn check(&self) -> Result<(), String> {
        for (name, kind) in ROLES {
            match self.columns.iter().find(|c| c.name == name) {
                Some(c) if c.kind == kind && c.required => {}
                Some(_) => return Err(format!("column `{name}` must be required, of its type")),
                None => return Err(format!("no column `{name}`")),
            }
        }
        if let Some(s) = self
            .rules
            .open
            .iter()
            .find(|s| !self.rules.statuses.contains(s))
        {
            return Err(format!("open status `{s}` is not one of the statuses"));
        }
        for needed in ["done", "cancelled"] {
            if !self.rules.statuses.iter().any(|s| s == needed) {
                return Err(format!("the statuses must include `{needed}`"));
            }
        }
        Ok(())
    }

    pub fn column(&self, name: &str) -> Option<&PlanColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn is_open(&self, status: &str) -> bool {
        self.rules.open.iter().any(|s| s == status)
    }

    pub fn is_status(&self, status: &str) -> bool {
        self.rules.statuses.iter().any(|s| s == status)
    }

    /// Whether an outcome (as the tables write it) is a gap that an action should cover.
    pub fn is_gap(&self, outcome: &str) -> bool {
        self.rules.gap_outcomes.iter().any(|o| o == outcome)
    }
}

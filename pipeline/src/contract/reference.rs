//! Reference tables: the organisations of the sector and the OS lifecycle (end of support).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use super::{ContractError, OrgTypes, read_text};

/// One row of the organisation reference table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Organisation {
    pub org_code: String,
    pub org_name: String,
    pub org_type: String,
    pub region_code: String,
    pub region_name: String,
    pub icb_code: String,
}

/// The organisation reference table, keyed by upper-case ODS code.
#[derive(Debug, Clone, Default)]
pub struct Organisations {
    /// In code order.
    rows: Vec<Organisation>,
    /// Each code's place in `rows`: hashed, as a run looks codes up about 408,000 times.
    by_code: HashMap<String, usize>,
    /// SHA-256 of the table's text, for the manifest.
    pub sha256: String,
}

impl Organisations {
    /// Reads `organisations.csv` and checks every row against the dictionary's types and
    /// code shapes, so that a bad reference table stops the run before any work.
    pub fn load(path: &Path, org_types: &OrgTypes) -> Result<Self, ContractError> {
        Self::parse(&read_text(path)?, org_types).map_err(|m| ContractError::invalid(path, m))
    }

    pub fn parse(text: &str, org_types: &OrgTypes) -> Result<Self, String> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut by_code = BTreeMap::new();
        for row in reader.deserialize::<Organisation>() {
            let org = row.map_err(|e| e.to_string())?;
            let line = by_code.len() + 2;
            if !org_types.is_ods_code(&org.org_code) {
                return Err(format!(
                    "line {line}: `{}` is not an ODS organisation code",
                    org.org_code
                ));
            }
            if !org_types.is_type(&org.org_type) {
                return Err(format!(
                    "line {line}: `{}` has unknown org_type `{}`",
                    org.org_code, org.org_type
                ));
            }
            if let Some(old) = by_code.insert(org.org_code.clone(), org) {
                return Err(format!("line {line}: `{}` is listed twice", old.org_code));
            }
        }
        let rows: Vec<Organisation> = by_code.into_values().collect();
        let by_code = rows
            .iter()
            .enumerate()
            .map(|(i, org)| (org.org_code.clone(), i))
            .collect();
        Ok(Organisations {
            rows,
            by_code,
            sha256: crate::digest::sha256_hex(text.as_bytes()),
        })
    }

    /// Looks an organisation up by code, case-insensitively.
    pub fn get(&self, code: &str) -> Option<&Organisation> {
        // Codes are nearly always written as the table writes them: looked up as they are.
        let canonical =
            code.len() == code.trim().len() && !code.bytes().any(|b| b.is_ascii_lowercase());
        let place = match canonical {
            true => self.by_code.get(code),
            false => self.by_code.get(&code.trim().to_ascii_uppercase()),
        };
        place.and_then(|&i| self.rows.get(i))
    }

    /// Every organisation, in code order.
    pub fn iter(&self) -> impl Iterator<Item = &Organisation> {
        self.rows.iter()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Normalises an OS name or version for matching: trimmed, inner white space collapsed to
/// one space, lower case (SPEC: "compared case-insensitively after trimming and collapsing").
pub fn normalise_os(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[derive(Debug, Clone, Deserialize)]
struct LifecycleRow {
    os_name: String,
    os_version: String,
    end_of_support: NaiveDate,
}

/// Vendor end of support per operating system, keyed by normalised `(os_name, os_version)`.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    pub end_of_support: BTreeMap<(String, String), NaiveDate>,
}

impl Lifecycle {
    pub fn load(path: &Path) -> Result<Self, ContractError> {
        let text = read_text(path)?;
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut end_of_support = BTreeMap::new();
        for row in reader.deserialize::<LifecycleRow>() {
            let row = row.map_err(|e| ContractError::invalid(path, e.to_string()))?;
            let key = (normalise_os(&row.os_name), normalise_os(&row.os_version));
            if end_of_support.insert(key, row.end_of_support).is_some() {
                return Err(ContractError::invalid(
                    path,
                    format!("{} {} is listed twice", row.os_name, row.os_version),
                ));
            }
        }
        Ok(Lifecycle { end_of_support })
    }
}

//! `manifest.json`: what a run read and did, so a run can be traced and audited: the period,
//! editions, tool version, every input with its size and SHA-256, counts and timings per
//! stage. The only file of a run that may hold wall-clock values.

use serde::Serialize;

use std::collections::BTreeMap;

use crate::assess::{Assessment, Catalogue, Status};
use crate::contract::{ContractSource, Severity};
use crate::ingest::Listing;
use crate::validate::Validated;

/// What a run read besides the landing zone's files: where, and which contract.
#[derive(Debug, Clone, Copy)]
pub struct Provenance<'a> {
    pub run_id: &'a str,
    pub input: &'a str,
    pub reference: &'a std::path::Path,
    pub reference_sha256: &'a str,
    pub contract: &'a ContractSource,
    pub dictionary_edition: &'a str,
    pub settings: Option<&'a (String, String)>,
}

/// The counts of a run, as the summary prints them and the manifest records them.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub returns: crate::validate::FileCounts,
    pub inventories: crate::validate::FileCounts,
    pub plans: crate::validate::FileCounts,
    /// Files under the landing zone that are not a return, an inventory or a plan by name (or not
    /// safe to read): reported, never read.
    pub unrecognised: usize,
    /// Rejected files of every kind: what the quarantine holds.
    pub files_rejected: usize,
    /// Changes against the last run of the period and the previous period, by kind
    /// (`last_run_status`, `previous_period_status`, ...; see `aggregate::changes`).
    pub changes: BTreeMap<String, usize>,
    pub issues_by_severity: BTreeMap<Severity, usize>,
    pub organisations: usize,
    pub status_counts: BTreeMap<Status, usize>,
}

#[derive(Debug, Serialize)]
pub struct Input {
    pub file: String,
    pub size: u64,
    /// Absent for files that were not read (unrecognised, or named for another period).
    pub sha256: Option<String>,
    pub kind: String,
    pub disposition: String,
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub period: String,
    pub standards_edition: String,
    pub dictionary_edition: String,
    pub tool: String,
    pub tool_version: String,
    pub run_id: String,
    pub input: String,
    pub reference: String,
    pub reference_sha256: String,
    /// The contract folder and the SHA-256 of each of its files.
    pub contract: crate::contract::ContractSource,
    pub standards_file: String,
    pub standards_sha256: String,
    /// The settings file used, if any, with its SHA-256.
    pub settings: Option<(String, String)>,
    pub inputs: Vec<Input>,
    pub counts: serde_json::Value,
    pub timings_ms: serde_json::Map<String, serde_json::Value>,
}

impl Manifest {
    pub fn new(
        run: Provenance,
        listing: &Listing,
        validated: &Validated,
        assessment: &Assessment,
        catalogue: &Catalogue,
        summary: &Counts,
        timings: &[(&'static str, u128)],
    ) -> Self {
        let mut inputs: Vec<Input> = validated
            .files
            .iter()
            .map(|f| Input {
                file: f.file.clone(),
                size: f.size,
                sha256: Some(f.sha256.clone()),
                kind: f.kind.as_str().to_string(),
                disposition: f.disposition.as_str().to_string(),
            })
            .collect();
        inputs.extend(listing.unrecognised.iter().map(|e| Input {
            file: e.key.clone(),
            size: e.size,
            sha256: None,
            kind: "unrecognised".into(),
            disposition: "ignored".into(),
        }));
        inputs.sort_by(|a, b| a.file.cmp(&b.file));
        let issues: serde_json::Map<String, serde_json::Value> = summary
            .issues_by_severity
            .iter()
            .map(|(s, n)| (s.as_str().to_string(), (*n).into()))
            .collect();
        let status: serde_json::Map<String, serde_json::Value> = summary
            .status_counts
            .iter()
            .map(|(s, n)| (s.as_str().to_string(), (*n).into()))
            .collect();
        Manifest {
            period: validated.period.to_string(),
            standards_edition: catalogue.id.clone(),
            dictionary_edition: run.dictionary_edition.to_string(),
            tool: env!("CARGO_PKG_NAME").to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            run_id: run.run_id.to_string(),
            input: run.input.to_string(),
            reference: run.reference.display().to_string(),
            reference_sha256: run.reference_sha256.to_string(),
            contract: run.contract.clone(),
            standards_file: catalogue.path.display().to_string(),
            standards_sha256: catalogue.sha256.clone(),
            settings: run.settings.cloned(),
            inputs,
            counts: serde_json::json!({
                "files_listed": listing.recognised.len() + listing.unrecognised.len(),
                "returns": summary.returns,
                "inventories": summary.inventories,
                "plans": summary.plans,
                "unrecognised": summary.unrecognised,
                "files_rejected": summary.files_rejected,
                "changes": summary.changes,
                "issues": issues,
                "organisations": summary.organisations,
                "outcomes": assessment.outcomes.len(),
                "status": status,
            }),
            timings_ms: timings
                .iter()
                .map(|(stage, ms)| (stage.to_string(), (*ms as u64).into()))
                .collect(),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a manifest serialises");
        bytes.push(b'\n');
        bytes
    }
}

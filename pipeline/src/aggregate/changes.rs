//! What changed: this run against the run of the same period published before it (files newly
//! used or set aside, organisations whose status or any outcome moved), and against the
//! previous period (status moves). `tables/changes.csv`, the run summary, the manifest and
//! the reports all draw on [`compare`].

use std::collections::BTreeMap;

use crate::assess::Assessment;
use crate::period::Period;
use crate::table::Table;
use crate::validate::Validated;

/// What a published run decided, as far as a later run compares with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// File → disposition.
    pub files: BTreeMap<String, String>,
    /// Organisation → status.
    pub status: BTreeMap<String, String>,
    /// (organisation, standard) → outcome.
    pub outcomes: BTreeMap<(String, String), String>,
}

impl Snapshot {
    /// This run's decisions.
    pub fn of_run(validated: &Validated, assessment: &Assessment) -> Self {
        Snapshot {
            files: validated
                .files
                .iter()
                .map(|f| (f.file.clone(), f.disposition.as_str().to_string()))
                .collect(),
            status: assessment
                .status
                .iter()
                .map(|s| (s.org_code.clone(), s.status.as_str().to_string()))
                .collect(),
            outcomes: assessment
                .outcomes
                .iter()
                .map(|o| {
                    let key = (o.org_code.clone(), o.standard_id.clone());
                    (key, o.outcome.as_str().to_string())
                })
                .collect(),
        }
    }

    /// A published run's decisions, from its `manifest.json` (files), `tables/org_status.csv`
    /// and `tables/outcomes.csv`; a part not given is left empty.
    pub fn from_outputs(
        manifest: Option<&[u8]>,
        status: &[u8],
        outcomes: Option<&[u8]>,
    ) -> Result<Self, String> {
        let mut snapshot = Snapshot::default();
        if let Some(manifest) = manifest {
            let value: serde_json::Value =
                serde_json::from_slice(manifest).map_err(|e| format!("manifest.json: {e}"))?;
            for input in value["inputs"].as_array().into_iter().flatten() {
                // Files that are not submissions by name were never part of the batch.
                if input["kind"] == "unrecognised" {
                    continue;
                }
                if let (Some(file), Some(d)) =
                    (input["file"].as_str(), input["disposition"].as_str())
                {
                    snapshot.files.insert(file.to_string(), d.to_string());
                }
            }
        }
        for row in csv_rows(status, &["org_code", "status"])? {
            snapshot.status.insert(row[0].clone(), row[1].clone());
        }
        if let Some(outcomes) = outcomes {
            for row in csv_rows(outcomes, &["org_code", "standard_id", "outcome"])? {
                let [org, standard, outcome] = [&row[0], &row[1], &row[2]].map(String::clone);
                snapshot.outcomes.insert((org, standard), outcome);
            }
        }
        Ok(snapshot)
    }
}

/// The named columns of every row of a CSV table, in that order.
pub(crate) fn csv_rows(bytes: &[u8], columns: &[&str]) -> Result<Vec<Vec<String>>, String> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader.headers().map_err(|e| e.to_string())?.clone();
    let index: Vec<usize> = columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == *c)
                .ok_or_else(|| format!("no column {c}"))
        })
        .collect::<Result<_, _>>()?;
    reader
        .records()
        .map(|r| {
            let r = r.map_err(|e| e.to_string())?;
            Ok(index
                .iter()
                .map(|&i| r.get(i).unwrap_or_default().to_string())
                .collect())
        })
        .collect()
}

/// What this run is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Against {
    /// The run of the same period published before this one.
    LastRun,
    /// The previous period's published run.
    PreviousPeriod,
}

impl Against {
    pub fn as_str(self) -> &'static str {
        match self {
            Against::LastRun => "last_run",
            Against::PreviousPeriod => "previous_period",
        }
    }
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    File,
    Status,
    Outcome,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::File => "file",
            ChangeKind::Status => "status",
            ChangeKind::Outcome => "outcome",
        }
    }
}

/// One change: a file's disposition, an organisation's status, or one outcome.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub against: Against,
    pub kind: ChangeKind,
    /// The file, or the organisation.
    pub subject: String,
    /// The standard, for an outcome.
    pub item: String,
    /// Empty when there was none (a new file).
    pub before: String,
    /// Empty when there is none now (a file gone from the landing zone).
    pub after: String,
}

/// The changes from `before` to `now`: against the last run, files, statuses and outcomes;
/// against the previous period, statuses only (files and outcomes of another month are not
/// the same things).
pub fn compare(before: &Snapshot, now: &Snapshot, against: Against) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut differ = |kind, subject: &str, item: &str, a: Option<&String>, b: Option<&String>| {
        if a != b {
            changes.push(Change {
                against,
                kind,
                subject: subject.to_string(),
                item: item.to_string(),
                before: a.cloned().unwrap_or_default(),
                after: b.cloned().unwrap_or_default(),
            });
        }
    };
    for org in now.status.keys() {
        differ(
            ChangeKind::Status,
            org,
            "",
            before.status.get(org),
            now.status.get(org),
        );
    }
    if against == Against::LastRun {
        let files: std::collections::BTreeSet<&String> =
            before.files.keys().chain(now.files.keys()).collect();
        for file in files {
            differ(
                ChangeKind::File,
                file,
                "",
                before.files.get(file),
                now.files.get(file),
            );
        }
        let keys: std::collections::BTreeSet<&(String, String)> =
            before.outcomes.keys().chain(now.outcomes.keys()).collect();
        for key in keys {
            differ(
                ChangeKind::Outcome,
                &key.0,
                &key.1,
                before.outcomes.get(key),
                now.outcomes.get(key),
            );
        }
    }
    changes.sort();
    changes
}

/// `tables/changes.csv`.
pub fn changes_table(period: Period, changes: &[Change]) -> Table {
    Table {
        columns: vec![
            "period", "against", "kind", "subject", "item", "before", "after",
        ],
        rows: changes
            .iter()
            .map(|c| {
                vec![
                    period.to_string(),
                    c.against.as_str().to_string(),
                    c.kind.as_str().to_string(),
                    c.subject.clone(),
                    c.item.clone(),
                    c.before.clone(),
                    c.after.clone(),
                ]
            })
            .collect(),
    }
}

/// How many changes of each kind against each comparison, for the summary and the manifest.
pub fn counts(changes: &[Change]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for c in changes {
        *counts
            .entry(format!("{}_{}", c.against.as_str(), c.kind.as_str()))
            .or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(files: &[(&str, &str)], status: &[(&str, &str)]) -> Snapshot {
        let own = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        Snapshot {
            files: own(files),
            status: own(status),
            outcomes: BTreeMap::new(),
        }
    }

    #[test]
    fn a_resubmission_shows_as_files_and_status_changed() {
        let before = snapshot(
            &[("A_return.csv", "accepted")],
            &[("A", "standards_not_met")],
        );
        let now = snapshot(
            &[
                ("A_return.csv", "superseded"),
                ("A_return_v2.csv", "accepted"),
            ],
            &[("A", "standards_met")],
        );
        let changes = compare(&before, &now, Against::LastRun);
        let shown: Vec<(&str, &str, &str, &str)> = changes
            .iter()
            .map(|c| {
                (
                    c.kind.as_str(),
                    c.subject.as_str(),
                    c.before.as_str(),
                    c.after.as_str(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("file", "A_return.csv", "accepted", "superseded"),
                ("file", "A_return_v2.csv", "", "accepted"),
                ("status", "A", "standards_not_met", "standards_met"),
            ]
        );
        assert!(compare(&now, &now, Against::LastRun).is_empty());
        // Against the previous period only statuses count.
        let moves = compare(&before, &now, Against::PreviousPeriod);
        assert_eq!(moves.len(), 1);
        assert_eq!(moves[0].kind, ChangeKind::Status);
    }
}

//! The batch of one period: every recognised file named for it, judged together, because
//! byte-equal copies, resubmissions and inventories are decisions across files.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use super::header::{HeaderCheck, check_header};
use super::measures::{Applicability, CheckedMeasures, check_measures};
use super::{Issue, Issues, Site};
use crate::assess::evidence::{DeviceSummary, summarise};
use crate::contract::{Code, Contract, InventorySpec, Organisations};
use crate::ingest::Loaded;
use crate::ingest::inventory::{Inventory, read_inventory};
use crate::ingest::names::FileKind;
use crate::ingest::returns::ReadFault;
use crate::ingest::returns::{RawReturn, read_return};
use crate::period::Period;
use crate::storage::Entry;

/// What became of a file of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Accepted,
    Rejected,
    Superseded,
    Duplicate,
    /// Readable and valid but not used (an inventory without a return).
    NotUsed,
}

/// A file of the period with its fate, for the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileRecord {
    pub file: String,
    pub size: u64,
    pub sha256: String,
    pub kind: &'static str,
    pub disposition: Disposition,
}

/// The return used for an organisation this period.
#[derive(Debug, Clone)]
pub struct AcceptedReturn {
    pub file: String,
    /// The organisation's code as the reference table spells it.
    pub org_code: String,
    pub submitted_at: DateTime<Utc>,
    pub late: bool,
    pub measures: CheckedMeasures,
}

/// An inventory that passed validation and whose organisation has an accepted return, reduced
/// to its device counts as soon as it passed: no device row outlives its file.
#[derive(Debug, Clone)]
pub struct AcceptedInventory {
    pub file: String,
    pub org_code: String,
    pub summary: DeviceSummary,
}

/// A file to copy to quarantine, unchanged, from the landing zone (its bytes are not held
/// through the batch: they are read again when the quarantine is written).
#[derive(Debug, Clone)]
pub struct Rejected {
    pub file: String,
}

/// The outcome of validating a period's batch.
#[derive(Debug, Clone)]
pub struct Validated {
    pub period: Period,
    /// One per organisation with an accepted return, sorted by organisation code.
    pub returns: Vec<AcceptedReturn>,
    /// Sorted by organisation code.
    pub inventories: Vec<AcceptedInventory>,
    /// Sorted by file, line, measure and code.
    pub issues: Vec<Issue>,
    /// Sorted by file.
    pub rejected: Vec<Rejected>,
    /// Every file of the period, sorted by file.
    pub files: Vec<FileRecord>,
}

/// Inventories parsed and counted together: enough to amortise a polars query, few enough
/// that their device rows stay a small share of memory.
pub const INVENTORY_BATCH: usize = 256;

/// Stack of the threads that parse files.
pub const PARSER_STACK: usize = 64 << 20;

pub use crate::ingest::Limits;

/// Everything a batch is judged against.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub contract: &'a Contract,
    pub orgs: &'a Organisations,
    pub period: Period,
    pub limits: Limits,
}

struct Candidate<'o> {
    loaded: Loaded,
    raw: RawReturn,
    header: HeaderCheck<'o>,
}

impl Batch<'_> {
    /// Validates the period's files. `unrecognised` are the listing's unrecognised files;
    /// `loaded` the recognised files named for the period, in any order.
    pub fn validate(&self, unrecognised: &[Entry], loaded: Vec<Loaded>) -> Validated {
        self.validate_streaming(unrecognised, loaded, std::iter::empty())
    }

    /// As [`Batch::validate`], with more inventories arriving in chunks as they are read (in
    /// landing-zone order, after every file of `loaded`): each chunk is parsed, counted and
    /// dropped before the next is taken, so device rows never accumulate.
    pub fn validate_streaming(
        &self,
        unrecognised: &[Entry],
        mut loaded: Vec<Loaded>,
        inventory_chunks: impl IntoIterator<Item = Vec<Loaded>>,
    ) -> Validated {
        let mut issues = Issues::new(&self.contract.codes);
        let mut records: BTreeMap<String, FileRecord> = BTreeMap::new();

        for entry in unrecognised {
            let site = Site {
                file: crate::ingest::names::printable(&entry.key),
                org_code: String::new(),
            };
            if crate::ingest::names::is_safe_key(&entry.key) {
                issues.file(
                    &site,
                    Code::UnrecognisedFile,
                    "the file is not named as a return ({org_code}_{YYYY-MM}_return.json, .csv or .xlsx) or an inventory ({org_code}_{YYYY-MM}_inventory.csv or .parquet) and is ignored; rename it if it is one",
                );
            } else {
                issues.file(
                    &site,
                    Code::UnrecognisedFile,
                    "the file's path has a part Baseline does not accept (`..`, an absolute or empty part, or a character other than letters, digits, spaces and ._-()+,); it was not read: rename it",
                );
            }
        }

        // Byte-equal copies are one submission: the first path in sorted order is used.
        loaded.sort_by(|a, b| a.entry.key.cmp(&b.entry.key));
        let mut first_of: HashMap<(bool, String), String> = HashMap::new();
        let mut returns = Vec::new();
        let mut inventories = Vec::new();
        for f in loaded {
            if let Some(f) = self.admit(f, &mut first_of, &mut issues, &mut records) {
                match f.name.kind {
                    FileKind::Return(_) => returns.push(f),
                    FileKind::Inventory(_) => inventories.push(f),
                }
            }
        }

        // Returns: read and check headers; the readable, valid ones compete per organisation.
        let mut candidates: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
        // Parsing is the costly part and independent per file: it runs on every core, in a
        // pool whose threads have the stack polars' query planning needs (a spawned thread's
        // default 2 MiB overflows on it).
        let pool = rayon::ThreadPoolBuilder::new()
            .stack_size(PARSER_STACK)
            .build()
            .expect("a thread pool can be built");
        let parsed: Vec<_> = pool.install(|| {
            returns
                .into_par_iter()
                .map(|mut f| {
                    let parsed = match f.name.kind {
                        FileKind::Return(format) => {
                            read_return(format, &std::mem::take(&mut f.bytes), &self.limits)
                        }
                        FileKind::Inventory(_) => unreachable!("split above"),
                    };
                    (f, parsed)
                })
                .collect()
        });
        for (f, parsed) in parsed {
            let site = Site::of(&f);
            let raw = match parsed {
                Ok(raw) => raw,
                Err(fault) => {
                    issues.file(&site, fault.code, fault.message);
                    record(&mut records, &f, Disposition::Rejected);
                    continue;
                }
            };
            let header = check_header(
                &raw,
                &f.entry.key,
                Some(&f.name),
                Some(self.period),
                Some(self.orgs),
                &mut issues,
            );
            match (header.valid, header.organisation, header.submitted_at) {
                (true, Some(org), Some(_)) => {
                    candidates
                        .entry(org.org_code.clone())
                        .or_default()
                        .push(Candidate {
                            loaded: f,
                            raw,
                            header,
                        });
                }
                _ => {
                    record(&mut records, &f, Disposition::Rejected);
                }
            }
        }

        let mut chosen: Vec<Candidate> = Vec::new();
        for (_, mut group) in candidates {
            group.sort_by(|a, b| {
                (a.header.submitted_at, &a.loaded.entry.key)
                    .cmp(&(b.header.submitted_at, &b.loaded.entry.key))
            });
            let latest = group.last().and_then(|c| c.header.submitted_at);
            let (tied, earlier): (Vec<Candidate>, Vec<Candidate>) = group
                .into_iter()
                .partition(|c| c.header.submitted_at == latest);
            let used = (tied.len() == 1).then(|| &tied[0].loaded.entry.key);
            for c in &earlier {
                let site = Site {
                    file: c.loaded.entry.key.clone(),
                    org_code: c.header.org_code.clone(),
                };
                let by = match used {
                    Some(key) => format!("by {key}, submitted later"),
                    None => "by later returns".to_string(),
                };
                issues.file(
                    &site,
                    Code::Superseded,
                    format!("this return was replaced {by}; it is not used"),
                );
                record(&mut records, &c.loaded, Disposition::Superseded);
            }
            if tied.len() > 1 {
                let files: Vec<&str> = tied.iter().map(|c| c.loaded.entry.key.as_str()).collect();
                for c in &tied {
                    let site = Site {
                        file: c.loaded.entry.key.clone(),
                        org_code: c.header.org_code.clone(),
                    };
                    issues.file(
                        &site,
                        Code::ConflictingResubmission,
                        format!(
                            "{} returns with the same submitted_at differ ({}); none is used: resubmit one with a later submitted_at",
                            tied.len(),
                            files.join(", ")
                        ),
                    );
                    record(&mut records, &c.loaded, Disposition::Rejected);
                }
            } else {
                chosen.extend(tied);
            }
        }

        // Inventories: readable, every cell valid, one per organisation.
        let spec = &self.contract.dictionary.inventory;
        let mut inventory_candidates: BTreeMap<String, Vec<(Loaded, DeviceSummary)>> =
            BTreeMap::new();
        // Inventories go in batches: parsed on every core, then the clean ones counted with one
        // polars query per batch, so at most a batch of device rows is held at once.
        let mut remaining = inventories;
        let mut streamed = inventory_chunks.into_iter();
        loop {
            let batch = if remaining.is_empty() {
                let Some(mut chunk) = streamed.next() else {
                    break;
                };
                chunk.sort_by(|a, b| a.entry.key.cmp(&b.entry.key));
                chunk
                    .into_iter()
                    .filter_map(|f| self.admit(f, &mut first_of, &mut issues, &mut records))
                    .collect()
            } else {
                let rest = remaining.split_off(remaining.len().min(INVENTORY_BATCH));
                std::mem::replace(&mut remaining, rest)
            };
            let parsed: Vec<_> = pool.install(|| {
                batch
                    .into_par_iter()
                    .map(|mut f| {
                        let parsed = match f.name.kind {
                            FileKind::Inventory(format) => read_inventory(
                                format,
                                std::mem::take(&mut f.bytes),
                                spec,
                                &self.limits,
                            ),
                            FileKind::Return(_) => unreachable!("split above"),
                        };
                        (f, parsed)
                    })
                    .collect()
            });
            let mut parsed: Vec<(Loaded, Result<Inventory, ReadFault>)> = parsed;
            let clean: Vec<(String, polars::prelude::DataFrame)> = parsed
                .iter_mut()
                .filter_map(|(f, p)| match p {
                    Ok(inventory) if inventory.bad_cell_count == 0 => Some((
                        f.entry.key.clone(),
                        std::mem::replace(
                            &mut inventory.frame,
                            polars::prelude::DataFrame::empty(),
                        ),
                    )),
                    _ => None,
                })
                .collect();
            let mut summaries = match summarise(clean, self.contract, self.period) {
                Ok(summaries) => summaries,
                Err(e) => {
                    // Not expected for typed frames; every file of the batch is then unreadable
                    // rather than the run failing.
                    let message = format!("the inventory cannot be counted: {e}");
                    for (_, p) in parsed.iter_mut() {
                        if matches!(p, Ok(i) if i.bad_cell_count == 0) {
                            *p = Err(ReadFault::unreadable(message.clone()));
                        }
                    }
                    BTreeMap::new()
                }
            };
            for (f, parsed) in parsed {
                let site = Site::of(&f);
                let Some(org) = self.orgs.get(&f.name.org_code) else {
                    issues.file(
                        &site,
                        Code::UnknownOrg,
                        format!("organisation code {} in the file name is not in the organisation reference table; check the ODS code", f.name.org_code),
                    );
                    record(&mut records, &f, Disposition::Rejected);
                    continue;
                };
                match parsed {
                    Err(fault) => {
                        issues.file(&site, fault.code, fault.message);
                        record(&mut records, &f, Disposition::Rejected);
                    }
                    Ok(inventory) if report_bad_cells(&site, &inventory, spec, &mut issues) => {
                        record(&mut records, &f, Disposition::Rejected);
                    }
                    Ok(_) => {
                        let summary = summaries.remove(&f.entry.key).unwrap_or_default();
                        inventory_candidates
                            .entry(org.org_code.clone())
                            .or_default()
                            .push((f, summary));
                    }
                }
            }
        }
        let mut accepted_inventories: BTreeMap<String, AcceptedInventory> = BTreeMap::new();
        for (org_code, group) in inventory_candidates {
            if group.len() > 1 {
                let files: Vec<&str> = group.iter().map(|(f, _)| f.entry.key.as_str()).collect();
                for (f, _) in &group {
                    let site = Site {
                        file: f.entry.key.clone(),
                        org_code: org_code.clone(),
                    };
                    issues.file(&site, Code::ConflictingResubmission, format!("{} different inventories were sent for {org_code} ({}); none is used: send one", group.len(), files.join(", ")));
                    record(&mut records, f, Disposition::Rejected);
                }
                continue;
            }
            let (f, summary) = group.into_iter().next().expect("a group has a member");
            accepted_inventories.insert(
                org_code.clone(),
                AcceptedInventory {
                    file: f.entry.key.clone(),
                    org_code,
                    summary,
                },
            );
            record(&mut records, &f, Disposition::Accepted);
        }

        // Measures of the returns that are used.
        let dict = &self.contract.dictionary;
        let inventory_measures: BTreeSet<String> = dict
            .measures()
            .iter()
            .filter(|m| m.derive.is_some())
            .map(|m| m.name.clone())
            .collect();
        let none = BTreeSet::new();
        let deadline = self.period.deadline(dict.due_day);
        let mut accepted_returns = Vec::new();
        for c in chosen {
            let org = c
                .header
                .organisation
                .expect("candidates have an organisation");
            let site = Site {
                file: c.loaded.entry.key.clone(),
                org_code: c.header.org_code.clone(),
            };
            let supplied = if accepted_inventories.contains_key(&org.org_code) {
                &inventory_measures
            } else {
                &none
            };
            let measures = check_measures(
                &c.raw,
                &site,
                dict,
                self.period,
                Applicability::OrgType(&org.org_type),
                supplied,
                &mut issues,
            );
            let submitted_at = c
                .header
                .submitted_at
                .expect("candidates have a submission time");
            let late = submitted_at > deadline;
            if late {
                issues.file(
                    &site,
                    Code::LateSubmission,
                    format!(
                        "submitted {} after the deadline of {}; the return is accepted",
                        submitted_at.format("%Y-%m-%dT%H:%M:%SZ"),
                        deadline.format("%Y-%m-%dT%H:%M:%SZ")
                    ),
                );
            }
            record(&mut records, &c.loaded, Disposition::Accepted);
            accepted_returns.push(AcceptedReturn {
                file: c.loaded.entry.key.clone(),
                org_code: org.org_code.clone(),
                submitted_at,
                late,
                measures,
            });
        }
        accepted_returns.sort_by(|a, b| a.org_code.cmp(&b.org_code));

        let returned: BTreeSet<&str> = accepted_returns
            .iter()
            .map(|r| r.org_code.as_str())
            .collect();
        let mut inventories = Vec::new();
        for (org_code, inv) in accepted_inventories {
            if returned.contains(org_code.as_str()) {
                inventories.push(inv);
                continue;
            }
            let site = Site {
                file: inv.file.clone(),
                org_code: org_code.clone(),
            };
            issues.file(&site, Code::InventoryWithoutReturn, format!("{org_code} has no accepted return for {}, so the inventory is not assessed; submit a return too", self.period));
            if let Some(r) = records.get_mut(&inv.file) {
                r.disposition = Disposition::NotUsed;
            }
        }

        Validated {
            period: self.period,
            returns: accepted_returns,
            inventories,
            issues: issues.into_sorted(),
            // Every file recorded as rejected, in file order: derived, so the two cannot disagree.
            rejected: records
                .values()
                .filter(|r| r.disposition == Disposition::Rejected)
                .map(|r| Rejected {
                    file: r.file.clone(),
                })
                .collect(),
            files: records.into_values().collect(),
        }
    }
}

impl Batch<'_> {
    /// Lets a file through to parsing unless it is over its size limit (`file_too_large`) or a
    /// byte-equal copy of one already seen (`duplicate_file`; the first path in sorted order is
    /// used).
    fn admit(
        &self,
        f: Loaded,
        first_of: &mut HashMap<(bool, String), String>,
        issues: &mut Issues,
        records: &mut BTreeMap<String, FileRecord>,
    ) -> Option<Loaded> {
        let site = Site::of(&f);
        let limit = self.limits.max_bytes(f.name.kind);
        let size = f.entry.size.max(f.bytes.len() as u64);
        if f.unread || size > limit {
            issues.file(
                &site,
                Code::FileTooLarge,
                format!("the file is {size} bytes, over the limit of {limit} bytes, and was not read; remove anything that is not part of the submission"),
            );
            record(records, &f, Disposition::Rejected);
            return None;
        }
        let key = (f.name.kind.is_return(), f.sha256.clone());
        if let Some(original) = first_of.get(&key) {
            issues.file(
                &site,
                Code::DuplicateFile,
                format!("the file is a byte-for-byte copy of {original}, which is used instead"),
            );
            record(records, &f, Disposition::Duplicate);
            return None;
        }
        first_of.insert(key, f.entry.key.clone());
        Some(f)
    }
}

/// Notes what became of a file.
fn record(records: &mut BTreeMap<String, FileRecord>, f: &Loaded, disposition: Disposition) {
    let kind = if f.name.kind.is_return() {
        "return"
    } else {
        "inventory"
    };
    records.insert(
        f.entry.key.clone(),
        FileRecord {
            file: f.entry.key.clone(),
            size: f.entry.size,
            sha256: f.sha256.clone(),
            kind,
            disposition,
        },
    );
}

/// Raises `invalid_value` for the bad cells of an inventory (the first few one by one, the
/// rest counted); true when there was any.
pub(super) fn report_bad_cells(
    site: &Site,
    inventory: &Inventory,
    spec: &InventorySpec,
    issues: &mut Issues,
) -> bool {
    for cell in &inventory.bad_cells {
        let expected = if spec.date_columns.contains(&cell.column) {
            "a date written YYYY-MM-DD or DD/MM/YYYY, or empty".to_string()
        } else {
            format!(
                "one of {}",
                spec.device_classes
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        issues.push(
            site,
            Code::InvalidValue,
            "",
            Some(cell.line),
            format!(
                "{} '{}' is not {expected}",
                cell.column,
                crate::ingest::returns::clip(&cell.value)
            ),
        );
    }
    let unlisted = inventory.bad_cell_count - inventory.bad_cells.len();
    if unlisted > 0 {
        issues.push(
            site,
            Code::InvalidValue,
            "",
            None,
            format!("{unlisted} more cells are invalid in the same way; the inventory is not used until every row is valid"),
        );
    }
    inventory.bad_cell_count > 0
}

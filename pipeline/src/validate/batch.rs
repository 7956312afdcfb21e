//! The batch of one period: every recognised file named for it, judged together, because
//! byte-equal copies, resubmissions and inventories are decisions across files.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use super::header::{HeaderCheck, HeaderContext, check_header};
use super::measures::{Applicability, CheckedMeasures, check_measures};
use super::{Issue, Issues, Site};
use crate::contract::{Code, Contract, InventorySpec, Organisations};
use crate::ingest::counts::{DeviceSummary, Tally, summarise};
use crate::ingest::inventory::{Inventory, read_counted};
use crate::ingest::names::{self, FileKind};
use crate::ingest::returns::ReadFault;
use crate::ingest::returns::{RawReturn, clip, read_return};
use crate::ingest::{Loaded, Unread};
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

impl Disposition {
    /// As the manifest and the tables write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Accepted => "accepted",
            Disposition::Rejected => "rejected",
            Disposition::Superseded => "superseded",
            Disposition::Duplicate => "duplicate",
            Disposition::NotUsed => "not_used",
        }
    }
}

/// What a recognised file is, as the manifest writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Submission {
    Return,
    Inventory,
    Plan,
}

impl Submission {
    pub fn as_str(self) -> &'static str {
        match self {
            Submission::Return => "return",
            Submission::Inventory => "inventory",
            Submission::Plan => "plan",
        }
    }
}

/// A file of the period with its fate, for the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileRecord {
    pub file: String,
    pub size: u64,
    pub sha256: String,
    pub kind: Submission,
    pub disposition: Disposition,
}

/// What became of a period's files of one kind, defined once for the run summary, the manifest
/// and the reports: `received` is every recognised file of the kind named for the period, and
/// it is the sum of the others.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileCounts {
    pub received: usize,
    pub accepted: usize,
    pub superseded: usize,
    pub duplicate: usize,
    pub rejected: usize,
    pub not_used: usize,
}

impl FileCounts {
    /// The counts of `kind` among `files`.
    pub fn of(files: &[FileRecord], kind: Submission) -> Self {
        let mut counts = FileCounts::default();
        for file in files.iter().filter(|f| f.kind == kind) {
            counts.received += 1;
            *match file.disposition {
                Disposition::Accepted => &mut counts.accepted,
                Disposition::Superseded => &mut counts.superseded,
                Disposition::Duplicate => &mut counts.duplicate,
                Disposition::Rejected => &mut counts.rejected,
                Disposition::NotUsed => &mut counts.not_used,
            } += 1;
        }
        counts
    }

    /// `12 received: 9 accepted, 1 superseded, 2 rejected` (the parts that are not zero).
    pub fn breakdown(&self) -> String {
        let parts: Vec<String> = [
            (self.accepted, "accepted"),
            (self.superseded, "superseded"),
            (self.duplicate, "duplicate"),
            (self.rejected, "rejected"),
            (self.not_used, "not used"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            return format!("{} received", self.received);
        }
        format!("{} received: {}", self.received, parts.join(", "))
    }
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
    /// The plan used for each organisation that sent one, sorted by organisation code.
    pub plans: Vec<super::plans::AcceptedPlan>,
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
    /// The run's clock: no return can have been sent after it.
    pub now: DateTime<Utc>,
    /// The standard ids of the edition in force, which plans may name.
    pub standards: &'a BTreeSet<String>,
}

struct Candidate<'o> {
    loaded: Loaded,
    raw: RawReturn,
    header: HeaderCheck<'o>,
}

/// An inventory that passed its own checks, waiting for the decision between an
/// organisation's inventories.
struct InventoryCandidate {
    loaded: Loaded,
    summary: DeviceSummary,
}

/// The state of judging one batch: the issues raised and what became of each file so far.
pub(super) struct Judging<'b, 'a> {
    pub(super) batch: &'b Batch<'a>,
    pub(super) issues: Issues<'a>,
    records: BTreeMap<String, FileRecord>,
    /// The first file of each (kind, organisation, SHA-256): a later byte-equal file of the
    /// same organisation is a copy.
    first_of: HashMap<(bool, String, String), String>,
    /// The first inventory of each SHA-256 with its organisation: the same bytes under another
    /// organisation's name make both suspect.
    inventory_owner: HashMap<String, (String, String)>,
    /// Inventories found byte-equal to another organisation's, with that file.
    suspect: BTreeMap<String, String>,
    pub(super) pool: rayon::ThreadPool,
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
        loaded: Vec<Loaded>,
        inventory_chunks: impl IntoIterator<Item = Vec<Loaded>>,
    ) -> Validated {
        let mut judging = Judging::new(self);
        judging.report_unrecognised(unrecognised);
        let (plans, loaded): (Vec<_>, Vec<_>) = judging
            .admit_all(loaded)
            .into_iter()
            .partition(|f| f.name.kind.is_plan());
        let (returns, inventories): (Vec<_>, Vec<_>) =
            loaded.into_iter().partition(|f| f.name.kind.is_return());
        let plans = judging.read_plans(plans);
        let plans = judging.choose_plans(plans);
        let candidates = judging.read_returns(returns);
        let chosen = judging.choose_returns(candidates);
        let inventories = judging.read_inventories(inventories, inventory_chunks);
        let inventories = judging.choose_inventories(inventories);
        let returns = judging.check_chosen(chosen, &inventories);
        judging.finish(returns, inventories, plans)
    }
}

impl<'b, 'a> Judging<'b, 'a> {
    fn new(batch: &'b Batch<'a>) -> Self {
        // Parsing is the costly part and independent per file: it runs on every core, in a
        // pool whose threads have the stack polars' query planning needs (a spawned thread's
        // default 2 MiB overflows on it).
        let pool = rayon::ThreadPoolBuilder::new()
            .stack_size(PARSER_STACK)
            .build()
            .expect("a thread pool can be built");
        Judging {
            batch,
            issues: Issues::new(&batch.contract.codes),
            records: BTreeMap::new(),
            first_of: HashMap::new(),
            inventory_owner: HashMap::new(),
            suspect: BTreeMap::new(),
            pool,
        }
    }

    /// `unrecognised_file` for each file that is not named as a submission, is not safe to
    /// read, or is a link.
    fn report_unrecognised(&mut self, unrecognised: &[Entry]) {
        for entry in unrecognised {
            let site = Site {
                file: crate::ingest::names::printable(&entry.key),
                org_code: String::new(),
            };
            let message = if entry.link {
                "the file is a symbolic link, which Baseline never follows or reads; put the file itself in the landing zone"
            } else if crate::ingest::names::is_safe_key(&entry.key) {
                "the file is not named as a return ({org_code}_{YYYY-MM}_return.json, .csv or .xlsx), an inventory ({org_code}_{YYYY-MM}_inventory.csv or .parquet) or a plan ({org_code}_{YYYY-MM}_plan.csv or .xlsx) and is ignored; rename it if it is one"
            } else {
                "the file's path has a part Baseline does not accept (`..`, an absolute or empty part, or a character other than letters, digits, spaces and ._-()+,); it was not read: rename it"
            };
            self.issues.file(&site, Code::UnrecognisedFile, message);
        }
    }

    /// The files that pass [`Judging::admit`], in key order (byte-equal copies are one
    /// submission: the first path in sorted order is used).
    fn admit_all(&mut self, mut loaded: Vec<Loaded>) -> Vec<Loaded> {
        loaded.sort_by(|a, b| a.entry.key.cmp(&b.entry.key));
        loaded.into_iter().filter_map(|f| self.admit(f)).collect()
    }

    /// Lets a file through to parsing unless it could not be read, is over its size limit
    /// (`file_too_large`) or is a byte-equal copy of one of the same organisation already seen
    /// (`duplicate_file`). An inventory byte-equal to another organisation's is let through but
    /// marked suspect: neither is used (see [`Judging::choose_inventories`]).
    fn admit(&mut self, f: Loaded) -> Option<Loaded> {
        let site = Site::of(&f);
        let limit = self.batch.limits.max_bytes(f.name.kind);
        let size = f.entry.size.max(f.read_bytes);
        if let Some(Unread::Failed(why)) = &f.unread {
            self.issues.file(
                &site,
                Code::UnreadableFile,
                format!(
                    "the file could not be read from the landing zone ({}); send it again",
                    clip(why)
                ),
            );
            self.record(&f, Disposition::Rejected);
            return None;
        }
        if f.unread.is_some() || size > limit {
            self.issues.file(
                &site,
                Code::FileTooLarge,
                format!("the file is {size} bytes, over the limit of {limit} bytes, and was not read; remove anything that is not part of the submission"),
            );
            self.record(&f, Disposition::Rejected);
            return None;
        }
        let org = self.org_key(&f);
        let key = (f.name.kind.is_return(), org.clone(), f.sha256.clone());
        if let Some(original) = self.first_of.get(&key) {
            self.issues.file(
                &site,
                Code::DuplicateFile,
                format!("the file is a byte-for-byte copy of {original}, which is used instead"),
            );
            self.record(&f, Disposition::Duplicate);
            return None;
        }
        self.first_of.insert(key, f.entry.key.clone());
        if !f.name.kind.is_return() {
            self.note_owner(&f, org);
        }
        Some(f)
    }

    /// The organisation a file's name gives, as the reference table spells it.
    fn org_key(&self, f: &Loaded) -> String {
        self.batch.orgs.get(&f.name.org_code).map_or_else(
            || f.name.org_code.to_ascii_uppercase(),
            |o| o.org_code.clone(),
        )
    }

    /// Remembers which organisation an inventory's bytes came under first; the same bytes
    /// under another organisation make both files suspect.
    fn note_owner(&mut self, f: &Loaded, org: String) {
        match self.inventory_owner.get(&f.sha256) {
            Some((first, first_org)) if *first_org != org => {
                let first = first.clone();
                self.suspect.insert(f.entry.key.clone(), first.clone());
                self.suspect.entry(first).or_insert(f.entry.key.clone());
            }
            Some(_) => {}
            None => {
                self.inventory_owner
                    .insert(f.sha256.clone(), (f.entry.key.clone(), org));
            }
        }
    }

    /// Reads each return and checks its header; the readable, valid ones become candidates of
    /// their organisation.
    fn read_returns(&mut self, returns: Vec<Loaded>) -> BTreeMap<String, Vec<Candidate<'a>>> {
        let limits = self.batch.limits;
        let parsed: Vec<_> = self.pool.install(|| {
            returns
                .into_par_iter()
                .map(|mut f| {
                    let parsed = match f.name.kind {
                        FileKind::Return(format) => {
                            read_return(format, &std::mem::take(&mut f.bytes), &limits)
                        }
                        FileKind::Inventory(_) | FileKind::Plan(_) => {
                            unreachable!("returns only")
                        }
                    };
                    (f, parsed)
                })
                .collect()
        });
        let mut candidates: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
        for (f, parsed) in parsed {
            let raw = match parsed {
                Ok(raw) => raw,
                Err(fault) => {
                    self.issues.file(&Site::of(&f), fault.code, fault.message);
                    self.record(&f, Disposition::Rejected);
                    continue;
                }
            };
            let context = HeaderContext {
                batch_period: Some(self.batch.period),
                orgs: Some(self.batch.orgs),
                now: self.batch.now,
            };
            let header = check_header(&raw, &f.entry.key, Some(&f.name), context, &mut self.issues);
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
                _ => self.record(&f, Disposition::Rejected),
            }
        }
        candidates
    }

    /// The return used for each organisation: the latest `submitted_at`; earlier ones are
    /// `superseded`, and a tie between different returns is `conflicting_resubmission`.
    fn choose_returns(
        &mut self,
        candidates: BTreeMap<String, Vec<Candidate<'a>>>,
    ) -> Vec<Candidate<'a>> {
        let mut chosen = Vec::new();
        for (_, mut group) in candidates {
            group.sort_by(|a, b| {
                (a.header.submitted_at, &a.loaded.entry.key)
                    .cmp(&(b.header.submitted_at, &b.loaded.entry.key))
            });
            let latest = group.last().and_then(|c| c.header.submitted_at);
            let (tied, earlier): (Vec<Candidate>, Vec<Candidate>) = group
                .into_iter()
                .partition(|c| c.header.submitted_at == latest);
            let used = (tied.len() == 1).then(|| tied[0].loaded.entry.key.as_str());
            for c in &earlier {
                let by = match used {
                    Some(key) => format!("by {key}, submitted later"),
                    None => "by later returns".to_string(),
                };
                self.issues.file(
                    &candidate_site(c),
                    Code::Superseded,
                    format!("this return was replaced {by}; it is not used"),
                );
                self.record(&c.loaded, Disposition::Superseded);
            }
            if tied.len() > 1 {
                let files: Vec<&str> = tied.iter().map(|c| c.loaded.entry.key.as_str()).collect();
                let message = format!(
                    "{} returns with the same submitted_at differ ({}); none is used: resubmit one with a later submitted_at",
                    tied.len(),
                    files.join(", ")
                );
                for c in &tied {
                    self.issues
                        .file(&candidate_site(c), Code::ConflictingResubmission, &message);
                    self.record(&c.loaded, Disposition::Rejected);
                }
            } else {
                chosen.extend(tied);
            }
        }
        chosen
    }

    /// Reads and counts inventories in batches (parsed on every core, then the clean ones
    /// counted with one polars query per batch, so at most a batch of device rows is held at
    /// once); those with every cell valid become candidates of their organisation.
    fn read_inventories(
        &mut self,
        mut remaining: Vec<Loaded>,
        chunks: impl IntoIterator<Item = Vec<Loaded>>,
    ) -> BTreeMap<String, Vec<InventoryCandidate>> {
        let mut candidates: BTreeMap<String, Vec<InventoryCandidate>> = BTreeMap::new();
        let mut streamed = chunks.into_iter();
        loop {
            let batch = if remaining.is_empty() {
                let Some(chunk) = streamed.next() else {
                    break;
                };
                self.admit_all(chunk)
            } else {
                let rest = remaining.split_off(remaining.len().min(INVENTORY_BATCH));
                std::mem::replace(&mut remaining, rest)
            };
            for (org, candidate) in self.read_inventory_batch(batch) {
                candidates.entry(org).or_default().push(candidate);
            }
        }
        candidates
    }

    fn read_inventory_batch(&mut self, batch: Vec<Loaded>) -> Vec<(String, InventoryCandidate)> {
        let spec = &self.batch.contract.dictionary.inventory;
        let (contract, period, limits) =
            (self.batch.contract, self.batch.period, self.batch.limits);
        let mut parsed: Vec<(Loaded, Result<Inventory, ReadFault>)> = self.pool.install(|| {
            batch
                .into_par_iter()
                .map(|mut f| {
                    let parsed = match (f.early.take(), f.name.kind) {
                        (Some(parsed), _) => parsed,
                        (None, FileKind::Inventory(format)) => {
                            let bytes = std::mem::take(&mut f.bytes);
                            read_counted(format, bytes, contract, period, &limits)
                        }
                        (None, FileKind::Return(_) | FileKind::Plan(_)) => {
                            unreachable!("inventories only")
                        }
                    };
                    (f, parsed)
                })
                .collect()
        });
        let mut summaries = self.count_devices(&mut parsed);
        let mut candidates = Vec::new();
        for (f, parsed) in parsed {
            let site = Site::of(&f);
            let Some(org) = self.batch.orgs.get(&f.name.org_code) else {
                self.issues.file(
                    &site,
                    Code::UnknownOrg,
                    format!("organisation code {} in the file name is not in the organisation reference table; check the ODS code", f.name.org_code),
                );
                self.record(&f, Disposition::Rejected);
                continue;
            };
            match parsed {
                Err(fault) => {
                    self.issues.file(&site, fault.code, fault.message);
                    self.record(&f, Disposition::Rejected);
                }
                Ok(inventory) if report_bad_cells(&site, &inventory, spec, &mut self.issues) => {
                    self.record(&f, Disposition::Rejected);
                }
                Ok(_) => {
                    let summary = summaries.remove(&f.entry.key).unwrap_or_default();
                    candidates.push((
                        org.org_code.clone(),
                        InventoryCandidate { loaded: f, summary },
                    ));
                }
            }
        }
        candidates
    }

    /// The device counts of the clean inventories of a batch, by file.
    fn count_devices(
        &self,
        parsed: &mut [(Loaded, Result<Inventory, ReadFault>)],
    ) -> BTreeMap<String, DeviceSummary> {
        let clean: Vec<(String, Tally)> = parsed
            .iter_mut()
            .filter_map(|(f, p)| match p {
                Ok(inventory) if inventory.bad_cell_count == 0 => {
                    Some((f.entry.key.clone(), std::mem::take(&mut inventory.tally)))
                }
                _ => None,
            })
            .collect();
        match summarise(clean, self.batch.contract) {
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
        }
    }

    /// The inventory used for each organisation: none that is byte-equal to another
    /// organisation's; of several different ones, the latest written (a tie between them is
    /// `conflicting_resubmission`), the others `superseded`.
    fn choose_inventories(
        &mut self,
        candidates: BTreeMap<String, Vec<InventoryCandidate>>,
    ) -> BTreeMap<String, AcceptedInventory> {
        let mut accepted = BTreeMap::new();
        for (org_code, group) in candidates {
            let mut group: Vec<InventoryCandidate> = group
                .into_iter()
                .filter(|c| !self.reject_suspect(&c.loaded, &org_code))
                .collect();
            group.sort_by(|a, b| {
                (written(&a.loaded.entry), &a.loaded.entry.key)
                    .cmp(&(written(&b.loaded.entry), &b.loaded.entry.key))
            });
            let latest = group.last().map(|c| written(&c.loaded.entry));
            let tied = group
                .iter()
                .filter(|c| Some(written(&c.loaded.entry)) == latest)
                .count();
            if tied > 1 {
                self.conflicting_inventories(&org_code, &group);
                continue;
            }
            let Some(used) = group.pop() else {
                continue;
            };
            let older = group.iter().map(|c| &c.loaded);
            self.supersede(&org_code, older, &used.loaded.entry.key, "inventory");
            self.record(&used.loaded, Disposition::Accepted);
            accepted.insert(
                org_code.clone(),
                AcceptedInventory {
                    file: used.loaded.entry.key.clone(),
                    org_code,
                    summary: used.summary,
                },
            );
        }
        accepted
    }

    /// Rejects an inventory that is byte-equal to another organisation's; true if it was.
    fn reject_suspect(&mut self, f: &Loaded, org_code: &str) -> bool {
        let Some(other) = self.suspect.get(&f.entry.key).cloned() else {
            return false;
        };
        let other_org = crate::ingest::names::recognise(crate::ingest::names::base_name(&other))
            .map(|n| n.org_code)
            .unwrap_or_default();
        let site = Site {
            file: f.entry.key.clone(),
            org_code: org_code.to_string(),
        };
        self.issues.file_graver(
            &site,
            Code::DuplicateFile,
            format!("the inventory is byte-for-byte the same as {other}, sent under {other_org}'s name: one organisation's devices cannot be another's, so neither {org_code}'s nor {other_org}'s copy is used; each organisation should send its own inventory"),
        );
        self.record(f, Disposition::Rejected);
        true
    }

    fn conflicting_inventories(&mut self, org_code: &str, group: &[InventoryCandidate]) {
        let files: Vec<&str> = group.iter().map(|c| c.loaded.entry.key.as_str()).collect();
        let message = format!(
            "{} different inventories were sent for {org_code} at the same time ({}); none is used: send one",
            group.len(),
            files.join(", ")
        );
        for c in group {
            let site = Site {
                file: c.loaded.entry.key.clone(),
                org_code: org_code.to_string(),
            };
            self.issues
                .file(&site, Code::ConflictingResubmission, &message);
            self.record(&c.loaded, Disposition::Rejected);
        }
    }

    /// Checks the measures of each chosen return (the device measures are not required from
    /// an organisation whose inventory was accepted) and whether it came late.
    fn check_chosen(
        &mut self,
        chosen: Vec<Candidate<'a>>,
        inventories: &BTreeMap<String, AcceptedInventory>,
    ) -> Vec<AcceptedReturn> {
        let dict = &self.batch.contract.dictionary;
        let inventory_measures: BTreeSet<String> = dict
            .measures()
            .iter()
            .filter(|m| m.derive.is_some())
            .map(|m| m.name.clone())
            .collect();
        let none = BTreeSet::new();
        let deadline = self.batch.period.deadline(dict.due_day);
        let (period, codes) = (self.batch.period, &self.batch.contract.codes);
        // Each return's measures are checked apart, in parallel, and their issues gathered in
        // the returns' order below, as if checked one after another.
        let checked: Vec<Option<(CheckedMeasures, Issues)>> = self.pool.install(|| {
            chosen
                .par_iter()
                .map(|c| {
                    let org = c.header.organisation?;
                    c.header.submitted_at?;
                    let supplied = if inventories.contains_key(&org.org_code) {
                        &inventory_measures
                    } else {
                        &none
                    };
                    let mut issues = Issues::new(codes);
                    let measures = check_measures(
                        &c.raw,
                        &candidate_site(c),
                        dict,
                        period,
                        Applicability::OrgType(&org.org_type),
                        supplied,
                        &mut issues,
                    );
                    Some((measures, issues))
                })
                .collect()
        });
        let mut accepted = Vec::new();
        for (c, checked) in chosen.iter().zip(checked) {
            let (Some(org), Some(submitted_at), Some((measures, issues))) =
                (c.header.organisation, c.header.submitted_at, checked)
            else {
                continue;
            };
            self.issues.absorb(issues);
            let site = candidate_site(c);
            let received = names::receipt_time(&c.loaded.entry.key);
            let late = received.unwrap_or(submitted_at) > deadline;
            if late {
                self.issues.file(
                    &site,
                    Code::LateSubmission,
                    format!(
                        "{}; the return is accepted",
                        lateness(submitted_at, received, deadline)
                    ),
                );
            }
            self.record(&c.loaded, Disposition::Accepted);
            accepted.push(AcceptedReturn {
                file: c.loaded.entry.key.clone(),
                org_code: org.org_code.clone(),
                submitted_at,
                late,
                measures,
            });
        }
        accepted.sort_by(|a, b| a.org_code.cmp(&b.org_code));
        accepted
    }

    /// The batch's outcome: an inventory whose organisation has no accepted return is
    /// `inventory_without_return` and not used.
    fn finish(
        mut self,
        returns: Vec<AcceptedReturn>,
        accepted_inventories: BTreeMap<String, AcceptedInventory>,
        plans: Vec<super::plans::AcceptedPlan>,
    ) -> Validated {
        let returned: BTreeSet<&str> = returns.iter().map(|r| r.org_code.as_str()).collect();
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
            self.issues.file(&site, Code::InventoryWithoutReturn, format!("{org_code} has no accepted return for {}, so the inventory is not assessed; submit a return too", self.batch.period));
            if let Some(r) = self.records.get_mut(&inv.file) {
                r.disposition = Disposition::NotUsed;
            }
        }
        Validated {
            period: self.batch.period,
            returns,
            inventories,
            plans,
            issues: self.issues.into_sorted(Some(self.batch.orgs)),
            // Every file recorded as rejected, in file order: derived, so the two cannot disagree.
            rejected: self
                .records
                .values()
                .filter(|r| r.disposition == Disposition::Rejected)
                .map(|r| Rejected {
                    file: r.file.clone(),
                })
                .collect(),
            files: self.records.into_values().collect(),
        }
    }

    /// `superseded` for each of `older`, replaced by the file `used` of the same kind (`what`:
    /// an inventory or a plan), written later.
    pub(super) fn supersede<'f>(
        &mut self,
        org_code: &str,
        older: impl Iterator<Item = &'f Loaded>,
        used: &str,
        what: &str,
    ) {
        for f in older {
            let site = Site {
                file: f.entry.key.clone(),
                org_code: org_code.to_string(),
            };
            self.issues.file(
                &site,
                Code::Superseded,
                format!("this {what} was replaced by {used}, written later; it is not used"),
            );
            self.record(f, Disposition::Superseded);
        }
    }

    pub(super) fn record(&mut self, f: &Loaded, disposition: Disposition) {
        record(&mut self.records, f, disposition);
    }
}

/// Issues about a candidate return name the organisation its header gives.
fn candidate_site(c: &Candidate) -> Site {
    Site {
        file: c.loaded.entry.key.clone(),
        org_code: c.header.org_code.clone(),
    }
}

/// Notes what became of a file.
fn record(records: &mut BTreeMap<String, FileRecord>, f: &Loaded, disposition: Disposition) {
    let kind = match f.name.kind {
        FileKind::Return(_) => Submission::Return,
        FileKind::Inventory(_) => Submission::Inventory,
        FileKind::Plan(_) => Submission::Plan,
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
        let expected = if spec.date_columns().contains(&cell.column.as_str()) {
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

/// When a file arrived: its receipt time when the submission service stored it, else the time
/// the store last wrote it.
pub(super) fn written(entry: &Entry) -> Option<DateTime<Utc>> {
    names::receipt_time(&entry.key).or(entry.last_modified)
}

/// Why a return is late: the receipt time of the submission service when there is one (the
/// time the batch goes by), else the return's own `submitted_at`.
pub(super) fn lateness(
    submitted_at: DateTime<Utc>,
    received: Option<DateTime<Utc>>,
    deadline: DateTime<Utc>,
) -> String {
    let shown = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    match received {
        Some(at) => format!(
            "received by the submission service at {} (the return says it was submitted at {}), after the deadline of {}",
            shown(at),
            shown(submitted_at),
            shown(deadline)
        ),
        None => format!(
            "submitted {} after the deadline of {}",
            shown(submitted_at),
            shown(deadline)
        ),
    }
}

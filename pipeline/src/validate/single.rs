//! Checking files one at a time, as a submitter does before sending them (`baseline
//! validate`): the same readers and checks as the batch, without the decisions that need the
//! whole batch (copies, resubmissions).

use std::collections::BTreeSet;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::batch::report_bad_cells;
use super::header::{HeaderContext, check_header};
use super::measures::{Applicability, check_measures};
use super::{Issue, Issues, Limits, Site};
use crate::contract::{Code, Contract, Organisations};
use crate::ingest::inventory::read_inventory;
use crate::ingest::names::{self, FileKind, InventoryFormat, ReturnFormat};
use crate::ingest::returns::read_return;
use crate::period::Period;

/// What a file on its own is checked against, besides the contract.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The organisation reference table, when at hand.
    pub orgs: Option<&'a Organisations>,
    /// The period the file must report, when known.
    pub period: Option<Period>,
    /// The clock a `submitted_at` may not be after.
    pub now: DateTime<Utc>,
}

/// Checks one file. `file` is the name shown in issues; `orgs` and `period` are optional
/// context (without them, `unknown_org` and `period_mismatch` against a batch cannot arise);
/// `now` is the clock a `submitted_at` may not be after.
pub fn check_file(
    file: &str,
    bytes: Bytes,
    contract: &Contract,
    context: Context<'_>,
    limits: Limits,
) -> Vec<Issue> {
    let Context { orgs, period, now } = context;
    let mut issues = Issues::new(&contract.codes);
    let base = names::base_name(file);
    let name = names::recognise(base);
    let stem_org = base.split('_').next().unwrap_or_default().to_string();
    let site = Site {
        file: file.to_string(),
        org_code: name.as_ref().map_or(stem_org, |n| n.org_code.clone()),
    };
    let kind = match &name {
        Some(n) => n.kind,
        None => {
            issues.file(
                &site,
                Code::UnrecognisedFile,
                "the file is not named {org_code}_{YYYY-MM}_return.json/.csv/.xlsx or {org_code}_{YYYY-MM}_inventory.csv/.parquet; the batch would ignore it",
            );
            let extension = base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
            match extension.as_deref() {
                Some("json") => FileKind::Return(ReturnFormat::Json),
                Some("csv") => FileKind::Return(ReturnFormat::Csv),
                Some("xlsx") => FileKind::Return(ReturnFormat::Xlsx),
                Some("parquet") => FileKind::Inventory(InventoryFormat::Parquet),
                _ => return issues.into_sorted(orgs),
            }
        }
    };
    let limit = limits.max_bytes(kind);
    if bytes.len() as u64 > limit {
        issues.file(
            &site,
            Code::FileTooLarge,
            format!(
                "the file is {} bytes, over the limit of {limit} bytes",
                bytes.len()
            ),
        );
        return issues.into_sorted(orgs);
    }

    match kind {
        FileKind::Return(format) => match read_return(format, &bytes, &limits) {
            Err(fault) => issues.file(&site, fault.code, fault.message),
            Ok(raw) => {
                let header = check_header(
                    &raw,
                    file,
                    name.as_ref(),
                    HeaderContext {
                        batch_period: period,
                        orgs,
                        now,
                    },
                    &mut issues,
                );
                let measure_period = period.or(header.period).or(name.as_ref().map(|n| n.period));
                if let (true, Some(measure_period)) = (header.valid, measure_period) {
                    let applicability = match header.organisation {
                        Some(org) => Applicability::OrgType(&org.org_type),
                        None => Applicability::CodeShape(&header.org_code),
                    };
                    let site = Site {
                        file: file.to_string(),
                        org_code: header.org_code.clone(),
                    };
                    check_measures(
                        &raw,
                        &site,
                        &contract.dictionary,
                        measure_period,
                        applicability,
                        &BTreeSet::new(),
                        &mut issues,
                    );
                    if let Some(at) = header.submitted_at {
                        let deadline = measure_period.deadline(contract.dictionary.due_day);
                        if at > deadline {
                            issues.file(
                                &site,
                                Code::LateSubmission,
                                format!(
                                    "submitted after the deadline of {}",
                                    deadline.format("%Y-%m-%dT%H:%M:%SZ")
                                ),
                            );
                        }
                    }
                }
            }
        },
        FileKind::Inventory(format) => {
            match read_inventory(format, bytes, &contract.dictionary.inventory, &limits) {
                Err(fault) => issues.file(&site, fault.code, fault.message),
                Ok(inventory) => {
                    report_bad_cells(
                        &site,
                        &inventory,
                        &contract.dictionary.inventory,
                        &mut issues,
                    );
                }
            }
        }
    }
    issues.into_sorted(orgs)
}

//! Checking files one at a time, as a submitter does before sending them (`baseline
//! validate`): the same readers and checks as the batch, without the decisions that need the
//! whole batch (copies, resubmissions).

use std::collections::BTreeSet;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::batch::{lateness, report_bad_cells};
use super::header::{HeaderCheck, HeaderContext, check_header};
use super::measures::{Applicability, check_measures};
use super::plans::{PlanContext, check_plan, read_plan};
use super::{Issue, Issues, Limits, Site};
use crate::contract::{Code, Contract, Organisations};
use crate::ingest::inventory::read_inventory;
use crate::ingest::names::{self, FileKind, InventoryFormat, PlanFormat, ReturnFormat};
use crate::ingest::returns::{RawReturn, read_return};
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
    /// The standard ids a plan may name (the edition in force); `None` skips that check.
    pub standards: Option<&'a BTreeSet<String>>,
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
    let mut issues = Issues::new(&contract.codes);
    let base = names::base_name(file);
    let name = names::recognise(base);
    let stem_org = base.split('_').next().unwrap_or_default().to_string();
    let site = Site {
        file: file.to_string(),
        org_code: name.as_ref().map_or(stem_org, |n| n.org_code.clone()),
    };
    let Some(kind) = kind_of(name.as_ref(), base) else {
        unrecognised(&site, None, &mut issues);
        return issues.into_sorted(context.orgs);
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
        return issues.into_sorted(context.orgs);
    }
    let mut named_for = None;
    match kind {
        FileKind::Return(format) => match read_return(format, &bytes, &limits) {
            Err(fault) => issues.file(&site, fault.code, fault.message),
            Ok(raw) => {
                let header =
                    check_return(&raw, file, name.as_ref(), contract, context, &mut issues);
                named_for = header.period.map(|period| {
                    let extension = base.rsplit_once('.').map_or("", |(_, e)| e);
                    let org = context
                        .orgs
                        .and_then(|orgs| orgs.get(&header.org_code))
                        .map_or(header.org_code.as_str(), |o| o.org_code.as_str());
                    format!("{org}_{period}_return.{}", extension.to_ascii_lowercase())
                });
            }
        },
        FileKind::Plan(format) => check_plan_file(
            format,
            &bytes,
            &site,
            name.as_ref(),
            contract,
            context,
            &limits,
            &mut issues,
        ),
        FileKind::Inventory(format) => {
            let spec = &contract.dictionary.inventory;
            match read_inventory(format, bytes, spec, &limits, None) {
                Err(fault) => issues.file(&site, fault.code, fault.message),
                Ok(inventory) => {
                    report_bad_cells(&site, &inventory, spec, &mut issues);
                }
            }
        }
    }
    if name.is_none() {
        unrecognised(&site, named_for.as_deref(), &mut issues);
    }
    issues.into_sorted(context.orgs)
}

/// A name the batch would not recognise, with the name to use when the content says it.
fn unrecognised(site: &Site, named_for: Option<&str>, issues: &mut Issues) {
    let rule = "the file is not named {org_code}_{YYYY-MM}_return.json/.csv/.xlsx, {org_code}_{YYYY-MM}_inventory.csv/.parquet or {org_code}_{YYYY-MM}_plan.csv/.xlsx; the batch would ignore it";
    let message = match named_for {
        Some(name) => format!("{rule}: name it {name}"),
        None => rule.to_string(),
    };
    issues.file(site, Code::UnrecognisedFile, message);
}

/// What the file is by its name, or by its extension when the name is not one the batch
/// recognises (so that it is still checked).
fn kind_of(name: Option<&names::FileName>, base: &str) -> Option<FileKind> {
    if let Some(name) = name {
        return Some(name.kind);
    }
    let extension = base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("json") => Some(FileKind::Return(ReturnFormat::Json)),
        Some("csv") => Some(FileKind::Return(ReturnFormat::Csv)),
        Some("xlsx") => Some(FileKind::Return(ReturnFormat::Xlsx)),
        Some("parquet") => Some(FileKind::Inventory(InventoryFormat::Parquet)),
        _ => None,
    }
}

/// A readable return's header, then (when the header is valid) its measures and lateness;
/// gives the header.
fn check_return<'a>(
    raw: &RawReturn,
    file: &str,
    name: Option<&names::FileName>,
    contract: &Contract,
    context: Context<'a>,
    issues: &mut Issues,
) -> HeaderCheck<'a> {
    let header_context = HeaderContext {
        batch_period: context.period,
        orgs: context.orgs,
        now: context.now,
    };
    let header = check_header(raw, file, name, header_context, issues);
    let period = context.period.or(header.period).or(name.map(|n| n.period));
    let (true, Some(period)) = (header.valid, period) else {
        return header;
    };
    let applicability = match header.organisation {
        Some(org) => Applicability::OrgType(&org.org_type),
        None => Applicability::CodeShape(&header.org_code),
    };
    let site = Site {
        file: file.to_string(),
        org_code: header.org_code.clone(),
    };
    let dict = &contract.dictionary;
    check_measures(
        raw,
        &site,
        dict,
        period,
        applicability,
        &BTreeSet::new(),
        issues,
    );
    // A file the submission service stored is late by its receipt time, as in the batch.
    let received = names::receipt_time(file);
    let deadline = period.deadline(dict.due_day);
    if let Some(at) = header.submitted_at
        && received.unwrap_or(at) > deadline
    {
        issues.file(
            &site,
            Code::LateSubmission,
            format!(
                "{}; the return is accepted",
                lateness(at, received, deadline)
            ),
        );
    }
    header
}

/// A plan on its own: its rows against the plan contract, for the organisation and period its
/// name gives (an unrecognised name is reported separately and its rows not checked).
#[allow(clippy::too_many_arguments)]
fn check_plan_file(
    format: PlanFormat,
    bytes: &[u8],
    site: &Site,
    name: Option<&names::FileName>,
    contract: &Contract,
    context: Context<'_>,
    limits: &Limits,
    issues: &mut Issues,
) {
    let Some(name) = name else {
        return;
    };
    let org_code = context
        .orgs
        .and_then(|orgs| orgs.get(&name.org_code))
        .map_or(name.org_code.as_str(), |o| o.org_code.as_str());
    if let Some(orgs) = context.orgs
        && orgs.get(&name.org_code).is_none()
    {
        issues.file(
            site,
            Code::UnknownOrg,
            format!("organisation code {} in the file name is not in the organisation reference table; check the ODS code", name.org_code),
        );
        return;
    }
    let plan_context = PlanContext {
        org_code,
        period: context.period.unwrap_or(name.period),
        standards: context.standards,
    };
    match read_plan(format, bytes, &contract.plan, limits) {
        Err(fault) => issues.file(site, fault.code, fault.message),
        Ok(rows) => {
            check_plan(rows, &contract.plan, plan_context, site, issues);
        }
    }
}

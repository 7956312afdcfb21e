//! Return-level checks of the header fields: presence, the organisation, the period, the
//! submission time, agreement between rows, and agreement with the file name.

use chrono::{DateTime, Utc};

use super::{Issues, Site};
use crate::contract::{Code, Organisation, Organisations};
use crate::ingest::names::FileName;
use crate::ingest::returns::{Field, HEADER_FIELDS, RawReturn, clip};
use crate::period::Period;

/// What the header of a return says once checked.
#[derive(Debug, Clone)]
pub struct HeaderCheck<'o> {
    /// The organisation code as submitted (or from the file name when absent).
    pub org_code: String,
    /// The organisation, when the code is in the reference table.
    pub organisation: Option<&'o Organisation>,
    pub period: Option<Period>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// No return-level error was found.
    pub valid: bool,
}

/// What a header is checked against.
#[derive(Debug, Clone, Copy)]
pub struct HeaderContext<'o> {
    /// The run's period (`None` when a submitter checks a file on its own).
    pub batch_period: Option<Period>,
    /// `None` when no reference table is at hand, and then no `unknown_org` is raised.
    pub orgs: Option<&'o Organisations>,
    /// The run's clock: a return cannot have been sent after it.
    pub now: DateTime<Utc>,
}

/// Checks the header of `ret`, raising every return-level error that applies.
pub fn check_header<'o>(
    ret: &RawReturn,
    file: &str,
    name: Option<&FileName>,
    context: HeaderContext<'o>,
    issues: &mut Issues,
) -> HeaderCheck<'o> {
    // Issues carry the reference table's spelling of a known code (`r9b` is R9B).
    let org_code = ret
        .org_code
        .value()
        .map(|code| {
            context
                .orgs
                .and_then(|o| o.get(code))
                .map_or_else(|| code.to_string(), |org| org.org_code.clone())
        })
        .or_else(|| name.map(|n| n.org_code.clone()))
        .unwrap_or_default();
    let site = Site {
        file: file.to_string(),
        org_code: org_code.clone(),
    };
    let first_issue = issues.list.len();
    check_present(ret, &site, issues);
    let organisation = check_organisation(ret, context.orgs, &site, issues);
    let period = check_period(ret, context.batch_period, &site, issues);
    let submitted_at = ret.submitted_at.value().and_then(|text| {
        check_submitted_at(
            text,
            context.batch_period.or(period),
            context.now,
            &site,
            issues,
        )
    });
    check_rows_agree(ret, &site, issues);
    if let Some(name) = name {
        check_name(ret, name, &site, issues);
    }
    HeaderCheck {
        org_code,
        organisation,
        period,
        submitted_at,
        valid: !issues.rejects_file_since(first_issue),
    }
}

/// `missing_field` for each header field that is absent or blank.
fn check_present(ret: &RawReturn, site: &Site, issues: &mut Issues) {
    let fields = [&ret.org_code, &ret.period, &ret.submitted_at];
    for (field_name, field) in HEADER_FIELDS.iter().zip(fields) {
        if let Field::Missing(reason) = field {
            issues.file(
                site,
                Code::MissingField,
                format!("{reason}; give {field_name} (see the template) and resubmit"),
            );
        }
    }
}

/// The organisation of the return, when the reference table has it (`unknown_org` when it
/// does not; nothing is looked up without a reference table).
fn check_organisation<'o>(
    ret: &RawReturn,
    orgs: Option<&'o Organisations>,
    site: &Site,
    issues: &mut Issues,
) -> Option<&'o Organisation> {
    let (code, orgs) = (ret.org_code.value()?, orgs?);
    let found = orgs.get(code);
    if found.is_none() {
        issues.file(
            site,
            Code::UnknownOrg,
            format!(
                "organisation code {} is not in the organisation reference table; check the ODS code",
                clip(code)
            ),
        );
    }
    found
}

/// The period the return gives: a month, and the batch's when there is a batch.
fn check_period(
    ret: &RawReturn,
    batch_period: Option<Period>,
    site: &Site,
    issues: &mut Issues,
) -> Option<Period> {
    let text = ret.period.value()?;
    let Ok(period) = text.parse::<Period>() else {
        issues.file(
            site,
            Code::PeriodMismatch,
            format!(
                "period '{}' is not a month written YYYY-MM; give the month the return covers",
                clip(text)
            ),
        );
        return None;
    };
    if let Some(batch) = batch_period.filter(|b| *b != period) {
        issues.file(
            site,
            Code::PeriodMismatch,
            format!("the return's period is {period}, but it is checked as a return for {batch}; correct the period, or send it for {period}"),
        );
    }
    Some(period)
}

/// The submission time: a timestamp with a zone, no earlier than the period's start and no
/// later than `now`.
fn check_submitted_at(
    text: &str,
    period: Option<Period>,
    now: DateTime<Utc>,
    site: &Site,
    issues: &mut Issues,
) -> Option<DateTime<Utc>> {
    let parsed = DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc));
    let Ok(at) = parsed else {
        issues.file(
            site,
            Code::InvalidSubmittedAt,
            format!("submitted_at '{}' is not a timestamp with a time zone; write it like 2026-11-04T09:12:00Z", clip(text)),
        );
        return None;
    };
    let problem = match period {
        Some(p) if at < p.start_utc() => format!("is before the period {p} began"),
        _ if at > now => format!("is later than now ({})", now.format("%Y-%m-%dT%H:%M:%SZ")),
        _ => return Some(at),
    };
    issues.file(
        site,
        Code::InvalidSubmittedAt,
        format!(
            "submitted_at {} {problem}; give the time the return was sent",
            clip(text)
        ),
    );
    None
}

/// `inconsistent_header` for each row of a CSV or XLSX return that disagrees with the first.
fn check_rows_agree(ret: &RawReturn, site: &Site, issues: &mut Issues) {
    for d in &ret.disagreements {
        let found = if d.found.is_empty() {
            "blank".to_string()
        } else {
            format!("'{}'", clip(&d.found))
        };
        issues.push(
            site,
            Code::InconsistentHeader,
            "",
            Some(d.line),
            format!("{} is {found} on this row but '{}' on the first data row; every row must repeat the same {}", d.field, clip(&d.expected), d.field),
        );
    }
}

/// The file name against the content: another organisation is the graver `filename_mismatch`
/// (the file counts for neither: a file named for one organisation must not replace another's
/// return); another period alone is the ordinary warning.
fn check_name(ret: &RawReturn, name: &FileName, site: &Site, issues: &mut Issues) {
    let other_org = ret
        .org_code
        .value()
        .filter(|code| !code.eq_ignore_ascii_case(&name.org_code));
    let other_period = ret
        .period
        .value()
        .filter(|text| *text != name.period.to_string());
    let name_org = clip(&name.org_code);
    match (other_org, other_period) {
        (Some(code), _) => issues.file_graver(
            site,
            Code::FilenameMismatch,
            format!(
                "the file is named for {name_org} but its content is {}'s return; it counts for neither organisation: name it {}_{{period}}_return as its content says, and send it from {}",
                clip(code),
                clip(code),
                clip(code)
            ),
        ),
        (None, Some(text)) => issues.file(
            site,
            Code::FilenameMismatch,
            format!(
                "the content gives period {} (the name says {}); name the file {name_org}_{}_return as its content says",
                clip(text),
                name.period,
                clip(text)
            ),
        ),
        (None, None) => {}
    }
}

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

/// Checks the header of `ret`, raising every return-level error that applies.
///
/// `batch_period` is the run's period (`None` when a submitter checks a file on its own);
/// `orgs` is `None` when no reference table is at hand, and then no `unknown_org` is raised.
pub fn check_header<'o>(
    ret: &RawReturn,
    file: &str,
    name: Option<&FileName>,
    batch_period: Option<Period>,
    orgs: Option<&'o Organisations>,
    issues: &mut Issues,
) -> HeaderCheck<'o> {
    let org_code = ret
        .org_code
        .value()
        .map(str::to_string)
        .or_else(|| name.map(|n| n.org_code.clone()))
        .unwrap_or_default();
    let site = Site {
        file: file.to_string(),
        org_code: org_code.clone(),
    };
    let first_issue = issues.list.len();

    for (field_name, field) in
        HEADER_FIELDS
            .iter()
            .zip([&ret.org_code, &ret.period, &ret.submitted_at])
    {
        if let Field::Missing(reason) = field {
            issues.file(
                &site,
                Code::MissingField,
                format!("{reason}; give {field_name} (see the template) and resubmit"),
            );
        }
    }

    let organisation = match (ret.org_code.value(), orgs) {
        (Some(code), Some(orgs)) => {
            let found = orgs.get(code);
            if found.is_none() {
                issues.file(
                    &site,
                    Code::UnknownOrg,
                    format!("organisation code {code} is not in the organisation reference table; check the ODS code"),
                );
            }
            found
        }
        _ => None,
    };

    let period = ret.period.value().and_then(|text| match text.parse::<Period>() {
        Err(_) => {
            issues.file(
                &site,
                Code::PeriodMismatch,
                format!("period '{}' is not a month written YYYY-MM; give the month the return covers", clip(text)),
            );
            None
        }
        Ok(period) => {
            if let Some(batch) = batch_period.filter(|b| *b != period) {
                issues.file(
                    &site,
                    Code::PeriodMismatch,
                    format!("the file is named for {batch} but its period is {period}; correct the period or the file name"),
                );
            }
            Some(period)
        }
    });

    let submitted_at = ret.submitted_at.value().and_then(|text| {
        let parsed = DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc));
        let Ok(at) = parsed else {
            issues.file(
                &site,
                Code::InvalidSubmittedAt,
                format!("submitted_at '{}' is not a timestamp with a time zone; write it like 2026-11-04T09:12:00Z", clip(text)),
            );
            return None;
        };
        match batch_period.or(period) {
            Some(p) if at < p.start_utc() => {
                issues.file(
                    &site,
                    Code::InvalidSubmittedAt,
                    format!("submitted_at {text} is before the period {p} began; give the time the return was sent"),
                );
                None
            }
            _ => Some(at),
        }
    });

    for d in &ret.disagreements {
        let found = if d.found.is_empty() {
            "blank".to_string()
        } else {
            format!("'{}'", clip(&d.found))
        };
        issues.push(
            &site,
            Code::InconsistentHeader,
            "",
            Some(d.line),
            format!("{} is {found} on this row but '{}' on the first data row; every row must repeat the same {}", d.field, d.expected, d.field),
        );
    }

    if let Some(name) = name {
        let mut differences = Vec::new();
        if let Some(code) = ret.org_code.value()
            && !code.eq_ignore_ascii_case(&name.org_code)
        {
            differences.push(format!("organisation {code} (name says {})", name.org_code));
        }
        if let Some(text) = ret.period.value()
            && text != name.period.to_string()
        {
            differences.push(format!("period {text} (name says {})", name.period));
        }
        if !differences.is_empty() {
            issues.file(
                &site,
                Code::FilenameMismatch,
                format!("the content gives {}; name the file {{org_code}}_{{period}}_return as its content says", differences.join(" and ")),
            );
        }
    }

    let valid = !issues.rejects_file_since(first_issue);
    HeaderCheck {
        org_code,
        organisation,
        period,
        submitted_at,
        valid,
    }
}

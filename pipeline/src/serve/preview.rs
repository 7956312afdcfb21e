//! What counts, before the deadline: the files an organisation has in the landing zone for a
//! period, judged together by the batch's own validation (so "which file the batch will use
//! and why" is the batch's decision, not a second copy of its rules), then assessed by the
//! batch's own assessment.

use serde::Serialize;

use super::{App, ServeError, on_parser_thread};
use crate::assess::{self, evidence};
use crate::contract::Organisation;
use crate::ingest::{self, Listing, names};
use crate::period::Period;
use crate::validate::{Batch, Issues};

/// A file of the period and what the batch will do with it.
#[derive(Debug, Clone, Serialize)]
pub struct FileFate {
    pub receipt_id: String,
    pub file_name: String,
    /// `accepted` (used), `superseded`, `rejected`, `duplicate` or `not_used`.
    pub disposition: String,
    /// Why, in the batch's words (the issues that decided it).
    pub why: Vec<String>,
}

/// One standard's preview outcome.
#[derive(Debug, Clone, Serialize)]
pub struct StandardPreview {
    pub standard_id: String,
    pub title: String,
    pub outcome: String,
    pub value: String,
}

/// An organisation's period as the batch would see it now.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub period: String,
    pub edition: String,
    pub files: Vec<FileFate>,
    /// The status the return would give (`not_submitted` without a usable return).
    pub status: String,
    pub standards: Vec<StandardPreview>,
}

/// The organisation's files for `period` in the landing zone (those the service stored, under
/// `{period}/{org}/`), validated and assessed as one organisation's batch.
pub async fn preview(app: &App, org: &Organisation, period: Period) -> Result<Preview, ServeError> {
    let config = &app.config;
    let folder = app.landing.join(&format!("{period}/{}", org.org_code));
    let listing = Listing::from_entries(folder.list().await?);
    let files: Vec<_> = listing
        .recognised
        .into_iter()
        .filter(|(_, name)| name.period == period)
        .collect();
    let limits = config.limits;
    let loaded = ingest::read_all(
        &folder,
        files,
        4,
        |n| limits.max_bytes(n.kind),
        None,
        |_| {},
    )
    .await;
    let catalogue = app.catalogue(period)?;
    let (app, code) = (app.clone(), org.org_code.clone());
    on_parser_thread(move || {
        let config = &app.config;
        let batch = Batch {
            contract: &config.contract,
            orgs: &config.orgs,
            period,
            limits,
            now: chrono::Utc::now(),
            standards: &catalogue.ids(),
        };
        let validated = batch.validate(&[], loaded);
        let mut issues = Issues::new(&config.contract.codes);
        let derived = evidence::derive(&validated, &config.contract, &mut issues);
        let assessment = assess::assess(
            &validated,
            &config.contract,
            &config.orgs,
            &catalogue,
            &derived,
        )
        .map_err(|e| ServeError::State(format!("the preview could not be assessed: {e}")))?;
        let fates = validated
            .files
            .iter()
            .map(|f| FileFate {
                receipt_id: receipt_folder(&f.file),
                file_name: names::base_name(&f.file).to_string(),
                disposition: f.disposition.as_str().to_string(),
                why: validated
                    .issues
                    .iter()
                    .filter(|i| i.file == f.file)
                    .map(|i| format!("{}: {}", i.code.as_str(), i.message))
                    .collect(),
            })
            .collect();
        let status = assessment
            .status
            .iter()
            .find(|s| s.org_code == code)
            .map_or("not_submitted", |s| s.status.as_str());
        let standards = catalogue
            .standards
            .iter()
            .map(|c| {
                let row = assessment
                    .outcomes
                    .iter()
                    .find(|o| o.org_code == code && o.standard_id == c.standard.id);
                StandardPreview {
                    standard_id: c.standard.id.clone(),
                    title: c.standard.title.clone(),
                    outcome: row.map_or("not_submitted", |r| r.outcome.as_str()).into(),
                    value: row.map(assess::OutcomeRow::value_text).unwrap_or_default(),
                }
            })
            .collect();
        Ok(Preview {
            period: period.to_string(),
            edition: catalogue.id.clone(),
            files: fates,
            status: status.to_string(),
            standards,
        })
    })
    .await?
}

/// The receipt id of a key `{receipt_id}/{file_name}` (empty for a file placed otherwise).
fn receipt_folder(key: &str) -> String {
    match key.rsplit_once('/') {
        Some((folder, _)) if names::receipt_time(key).is_some() => {
            folder.rsplit('/').next().unwrap_or_default().to_string()
        }
        _ => String::new(),
    }
}

/// Submissions of one group of organisations (a region or a type).
#[derive(Debug, Clone, Serialize)]
pub struct GroupCount {
    pub name: String,
    pub submitted: usize,
    pub expected: usize,
}

/// An organisation in the analyst's view.
#[derive(Debug, Clone, Serialize)]
pub struct OrgEntry {
    pub org_code: String,
    pub org_name: String,
    pub region_name: String,
    pub org_type: String,
}

/// Who has submitted a return for a period: every organisation of the reference table with a
/// recognised return of its own in the landing zone (stored by the service or placed there).
#[derive(Debug, Clone, Serialize)]
pub struct PeriodStatus {
    pub period: String,
    pub expected: usize,
    pub submitted: Vec<OrgEntry>,
    pub not_submitted: Vec<OrgEntry>,
    pub by_region: Vec<GroupCount>,
    pub by_type: Vec<GroupCount>,
    pub latest: Vec<super::submit::Receipt>,
}

pub async fn period_status(app: &App, period: Period) -> Result<PeriodStatus, ServeError> {
    let listing = Listing::from_entries(app.landing.list().await?);
    let sent: std::collections::BTreeSet<String> = listing
        .for_period(period)
        .filter(|(_, name)| name.kind.is_return())
        .filter_map(|(_, name)| app.config.orgs.get(&name.org_code))
        .map(|org| org.org_code.clone())
        .collect();
    let (mut submitted, mut not_submitted) = (Vec::new(), Vec::new());
    let mut regions = std::collections::BTreeMap::<String, (usize, usize)>::new();
    let mut types = std::collections::BTreeMap::<String, (usize, usize)>::new();
    for org in app.config.orgs.iter() {
        let done = sent.contains(&org.org_code);
        for (groups, name) in [
            (&mut regions, &org.region_name),
            (&mut types, &org.org_type),
        ] {
            let counts = groups.entry(name.clone()).or_default();
            counts.0 += usize::from(done);
            counts.1 += 1;
        }
        let entry = OrgEntry {
            org_code: org.org_code.clone(),
            org_name: org.org_name.clone(),
            region_name: org.region_name.clone(),
            org_type: org.org_type.clone(),
        };
        if done {
            submitted.push(entry);
        } else {
            not_submitted.push(entry);
        }
    }
    let counted = |groups: std::collections::BTreeMap<String, (usize, usize)>| {
        groups
            .into_iter()
            .map(|(name, (submitted, expected))| GroupCount {
                name,
                submitted,
                expected,
            })
            .collect()
    };
    Ok(PeriodStatus {
        period: period.to_string(),
        expected: app.config.orgs.len(),
        submitted,
        not_submitted,
        by_region: counted(regions),
        by_type: counted(types),
        latest: super::submit::latest_receipts(app, &period.to_string(), 20).await?,
    })
}

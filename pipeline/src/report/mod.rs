//! Render: the reports of a run, from the templates in `reports/` (minijinja, strict about
//! undefined values, HTML auto-escaped). The Rust side prepares every figure and word of a
//! report as a model; templates only lay the model out.
//!
//! - `national.html`: the sector for national bodies, organisations named (OFFICIAL-SENSITIVE)
//! - `public.html` and `public/*.csv`: region and type only, with disclosure control (OFFICIAL)
//! - `orgs/{org_code}.html`: feedback to each organisation
//! - `analyst.xlsx`: every table of the run as a sheet

pub mod disclosure;
mod facts;
pub mod model;
mod national;
mod org;
pub mod oscal;
mod plans;
pub mod public;
pub mod svg;
mod workbook;

use std::collections::HashMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use rayon::prelude::*;
use serde::Serialize;

use crate::aggregate::GapRow;
use crate::aggregate::insights::PeriodFigures;
use crate::aggregate::plans::PlanRow;
use crate::assess::{Assessment, Catalogue};
use crate::contract::{Contract, Organisations};
use crate::period::Period;
use crate::table::Table;
use crate::validate::{Issue, Validated};

use facts::Facts;
use model::{Classification, Page, period_label};

/// The templates, compiled into the binary so that a report never depends on where Baseline
/// runs from.
const TEMPLATES: [(&str, &str); 5] = [
    ("layout.html", include_str!("../../../reports/layout.html")),
    ("macros.html", include_str!("../../../reports/macros.html")),
    (
        "national.html",
        include_str!("../../../reports/national.html"),
    ),
    ("public.html", include_str!("../../../reports/public.html")),
    ("org.html", include_str!("../../../reports/org.html")),
];
pub(crate) const STYLESHEET: &str = include_str!("../../../reports/style.css");

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("report template {name} failed: {source:#}")]
    Template {
        name: String,
        #[source]
        source: minijinja::Error,
    },
    #[error("the analyst workbook could not be written: {0}")]
    Workbook(#[from] rust_xlsxwriter::XlsxError),
    #[error("an OSCAL export could not be serialised: {0}")]
    Export(serde_json::Error),
}

/// What the period's assessment gives every report and export: the organisations, the
/// standards, the judged files, the outcomes and the plans. The OSCAL exports need nothing
/// more, so they are made from it alongside the aggregate stage.
#[derive(Clone, Copy)]
pub struct Basis<'a> {
    pub period: Period,
    pub contract: &'a Contract,
    pub orgs: &'a Organisations,
    pub catalogue: &'a Catalogue,
    pub validated: &'a Validated,
    pub assessment: &'a Assessment,
    /// The improvement plans' rows: this period's and the periods' before it.
    pub plans: &'a [PlanRow],
}

/// Everything the reports are drawn from: the [`Basis`] and the aggregate stage's figures.
pub struct Inputs<'a> {
    pub basis: Basis<'a>,
    pub gaps: &'a [GapRow],
    /// National figures of every published period up to and including this one.
    pub series: &'a [(Period, PeriodFigures)],
    /// Non-response, data quality and risk, typed.
    pub insights: &'a crate::aggregate::Insights,
    /// What changed since the last run of the period and since the previous period.
    pub changes: &'a [crate::aggregate::changes::Change],
    /// The day of the run: shown only in a revision note, when a release replaces another.
    pub today: chrono::NaiveDate,
    /// Every table the run wrote, by name, in the order the workbook lists them.
    pub tables: &'a [(&'a str, &'a Table)],
}

/// A headline number in a box.
#[derive(Debug, Serialize)]
pub struct KeyFigure {
    pub label: String,
    pub value: String,
    pub note: String,
    pub tag: String,
}

/// The template environment: strict about undefined values, escaping HTML everywhere.
pub fn environment() -> Result<Environment<'static>, ReportError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .map_err(|source| ReportError::Template {
                name: name.to_string(),
                source,
            })?;
    }
    env.add_global(
        "stylesheet",
        Value::from_safe_string(STYLESHEET.to_string()),
    );
    Ok(env)
}

fn render(env: &Environment, name: &str, model: &impl Serialize) -> Result<Vec<u8>, ReportError> {
    env.get_template(name)
        .and_then(|t| t.render(minijinja::value::Serde(model)))
        .map(String::into_bytes)
        .map_err(|source| ReportError::Template {
            name: name.to_string(),
            source,
        })
}

/// Every report file of the run: (path under `reports/`, bytes), in a stable order.
pub fn render_all(inputs: &Inputs) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let env = environment()?;
    // The workbook is built and deflated on one thread, the longest single task of the stage:
    // started first, it runs alongside everything else instead of finishing last.
    std::thread::scope(|scope| {
        let workbook = std::thread::Builder::new()
            .name("analyst-workbook".into())
            .spawn_scoped(scope, || workbook::analyst(inputs.tables))
            .expect("a thread can be started");
        let mut files = pages(inputs, &env)?;
        let workbook = workbook
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        files.push(("analyst.xlsx".to_string(), workbook?));
        Ok(files)
    })
}

/// The national and public reports (with the public CSVs) and every organisation's page.
fn pages(inputs: &Inputs, env: &Environment) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let facts = Facts::of(inputs);
    let page = |title: String, classification: Classification, root: &'static str| Page {
        title,
        classification,
        classification_note: classification.note().to_string(),
        period: inputs.basis.period.to_string(),
        period_label: period_label(inputs.basis.period),
        edition: inputs.basis.catalogue.id.clone(),
        edition_title: inputs.basis.catalogue.title.clone(),
        root,
    };
    let label = period_label(inputs.basis.period);
    let mut files = Vec::new();

    let national = national::build(
        inputs,
        &facts,
        page(
            format!("Cyber security minimum standards: national report, {label}"),
            Classification::OfficialSensitive,
            "",
        ),
    );
    files.push((
        "national.html".to_string(),
        render(env, "national.html", &national)?,
    ));

    let (public, downloads) = public::build(
        inputs,
        &facts,
        page(
            format!("Cyber security minimum standards in the NHS, {label}"),
            Classification::Official,
            "",
        ),
    );
    files.push((
        "public.html".to_string(),
        render(env, "public.html", &public)?,
    ));
    files.extend(downloads);
    files.extend(org_pages(inputs, env, &page)?);
    Ok(files)
}

/// Where each organisation's rows are in the assessment's outcomes (sorted by organisation).
fn outcome_ranges(assessment: &Assessment) -> HashMap<&str, std::ops::Range<usize>> {
    let mut outcomes: HashMap<&str, std::ops::Range<usize>> = HashMap::new();
    for (i, o) in assessment.outcomes.iter().enumerate() {
        outcomes
            .entry(o.org_code.as_str())
            .and_modify(|r| r.end = i + 1)
            .or_insert(i..i + 1);
    }
    outcomes
}

/// One page per organisation of the reference table, rendered in parallel.
fn org_pages(
    inputs: &Inputs,
    env: &Environment,
    page: &(dyn Fn(String, Classification, &'static str) -> Page + Sync),
) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let common = org::Common::of(inputs);
    let outcomes = outcome_ranges(inputs.basis.assessment);
    let mut issues: HashMap<&str, Vec<&Issue>> = HashMap::new();
    for issue in &inputs.basis.validated.issues {
        issues
            .entry(issue.org_code.as_str())
            .or_default()
            .push(issue);
    }
    let mut plans: HashMap<&str, Vec<&PlanRow>> = HashMap::new();
    for row in inputs.basis.plans {
        plans.entry(row.org_code.as_str()).or_default().push(row);
    }
    let org_types = &inputs.basis.contract.dictionary.org_types;
    inputs.basis
        .assessment
        .status
        .par_iter()
        .filter_map(|status| {
            let org = inputs.basis.orgs.get(&status.org_code)?;
            // A code becomes part of a path only once it has the shape of an ODS code.
            if !org_types.is_ods_code(&org.org_code) {
                tracing::warn!(org_code = %org.org_code, "not an ODS code; no report written");
                return None;
            }
            let rows = outcomes
                .get(org.org_code.as_str())
                .map_or(&[][..], |r| &inputs.basis.assessment.outcomes[r.clone()]);
            let code = org.org_code.as_str();
            let own = org::Own {
                status,
                outcomes: rows,
                issues: issues.get(code).map_or(&[][..], Vec::as_slice),
                plans: plans.get(code).map_or(&[][..], Vec::as_slice),
            };
            let model = org::build(
                inputs,
                &common,
                org,
                own,
                Page {
                    // Meant for the organisation itself as much as for national bodies.
                    classification_note: format!(
                        "Shows this organisation's weaknesses: for {} and national bodies only. Do not publish.",
                        org.org_name
                    ),
                    ..page(
                        format!(
                            "{} ({}): cyber security standards, {}",
                            org.org_name,
                            org.org_code,
                            period_label(inputs.basis.period)
                        ),
                        Classification::OfficialSensitive,
                        "../",
                    )
                },
            );
            Some(
                render(env, "org.html", &model)
                    .map(|bytes| (format!("orgs/{}.html", org.org_code), bytes)),
            )
        })
        .collect()
}

//! `reports/orgs/{org_code}.html`: feedback to one organisation: its outcome and value for
//! each standard beside the median of its peers, its validation issues with what to change,
//! and the remediation advice of every standard it did not meet.

use std::collections::HashMap;

use serde::Serialize;

use super::Inputs;
use super::model::{
    Cell, Page, TableModel, format_value, outcome_label, status_label, threshold_text,
};
use crate::aggregate::plans::PlanRow;
use crate::assess::catalogue::ValueFormat;
use crate::assess::{Outcome, OutcomeRow, Status, StatusRow};
use crate::contract::Organisation;
use crate::validate::Issue;

#[derive(Debug, Serialize)]
pub struct OrgPage {
    pub page: Page,
    pub org: OrgFacts,
    pub status: String,
    pub status_tag: String,
    pub submitted: bool,
    pub late: bool,
    /// When a return is due, in words, from the dictionary's due day.
    pub due: String,
    pub summary: String,
    pub outcomes: TableModel,
    pub issues: TableModel,
    pub remediation: Vec<Remedy>,
    pub min_group: u64,
    /// Its improvement plan, each action beside the evidence.
    pub plan: TableModel,
}

#[derive(Debug, Serialize)]
pub struct OrgFacts {
    pub code: String,
    pub name: String,
    pub org_type: String,
    pub region: String,
}

#[derive(Debug, Serialize)]
pub struct Remedy {
    pub id: String,
    pub title: String,
    pub outcome: String,
    pub tag: String,
    pub advice: String,
}

/// The median value of each standard among organisations of each type, as shown to them:
/// `None` when fewer than the dictionary's `min_group` peers have a value (a median of fewer would tell an
/// organisation too much about a named few).
pub struct Peers {
    /// By organisation type, then by standard.
    medians: HashMap<String, HashMap<String, Option<String>>>,
    min_group: u64,
    /// Each standard's thresholds in words, by standard: the same on every page, so worded
    /// once.
    thresholds: HashMap<String, String>,
}

impl Peers {
    pub fn of(inputs: &Inputs) -> Self {
        let mut values: HashMap<(&str, &str), Vec<f64>> = HashMap::new();
        for o in &inputs.assessment.outcomes {
            let (Some(org), Some(v)) = (inputs.orgs.get(&o.org_code), o.value) else {
                continue;
            };
            values
                .entry((org.org_type.as_str(), o.standard_id.as_str()))
                .or_default()
                .push(v);
        }
        let formats: HashMap<&str, ValueFormat> = inputs
            .catalogue
            .standards
            .iter()
            .map(|s| (s.standard.id.as_str(), s.standard.value_format))
            .collect();
        let min_group = inputs.contract.dictionary.min_group;
        let mut medians: HashMap<String, HashMap<String, Option<String>>> = HashMap::new();
        for ((org_type, id), mut v) in values {
            let shown = (v.len() as u64 >= min_group).then(|| {
                let format = formats.get(id).copied().unwrap_or(ValueFormat::Ratio);
                match format {
                    ValueFormat::Bool => {
                        let yes = v.iter().filter(|x| **x >= 0.5).count() as u64;
                        format!(
                            "{}% answer yes",
                            crate::aggregate::insights::pct(yes, v.len() as u64)
                        )
                    }
                    _ => format_value(format, median(&mut v)),
                }
            });
            medians
                .entry(org_type.to_string())
                .or_default()
                .insert(id.to_string(), shown);
        }
        let thresholds = inputs
            .catalogue
            .standards
            .iter()
            .map(|s| (s.standard.id.clone(), threshold_text(&s.standard)))
            .collect();
        Peers {
            medians,
            min_group,
            thresholds,
        }
    }

    fn of_standard(&self, org_type: &str, id: &str) -> String {
        match self.medians.get(org_type).and_then(|m| m.get(id)) {
            Some(Some(m)) => m.clone(),
            Some(None) => format!("[c] fewer than {} peers", self.min_group),
            None => "[x]".to_string(),
        }
    }
}

/// "the 10th of the following month" for day 10.
fn due_in_words(day: u32) -> String {
    let suffix = match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("the {day}{suffix} of the following month")
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// What the run holds of one organisation, found once for its page.
pub struct Own<'a> {
    pub status: &'a StatusRow,
    pub outcomes: &'a [OutcomeRow],
    pub issues: &'a [&'a Issue],
    /// Its rows of the plans table, every period.
    pub plans: &'a [&'a PlanRow],
}

/// The page of one organisation: its outcomes beside its peers', the advice for each standard
/// it falls short of, and the issues in its files with what to change.
pub fn build(inputs: &Inputs, peers: &Peers, org: &Organisation, own: Own, page: Page) -> OrgPage {
    let Own {
        status,
        outcomes,
        issues,
        plans,
    } = own;
    let dictionary = &inputs.contract.dictionary;
    let submitted = status.status != Status::NotSubmitted;
    let met = status.counts.get(&Outcome::Met).copied().unwrap_or(0);
    let applicable: usize = status
        .counts
        .iter()
        .filter(|(o, _)| **o != Outcome::NotApplicable)
        .map(|(_, n)| n)
        .sum();
    let summary = if submitted {
        format!("You met {met} of the {applicable} standards that apply to your organisation.")
    } else {
        format!(
            "No return from {} was accepted for {}, so no standard could be assessed.",
            org.org_name, page.period_label
        )
    };
    OrgPage {
        org: OrgFacts {
            code: org.org_code.clone(),
            name: org.org_name.clone(),
            org_type: dictionary.org_types.label(&org.org_type).to_string(),
            region: org.region_name.clone(),
        },
        status: status_label(status.status).to_string(),
        status_tag: status.status.as_str().to_string(),
        submitted,
        late: status.late,
        due: due_in_words(dictionary.due_day),
        summary,
        outcomes: outcome_table(inputs, peers, org, outcomes, &page.period_label),
        issues: issue_table(inputs, issues),
        remediation: remedies(inputs, outcomes),
        min_group: dictionary.min_group,
        plan: super::plans::organisation(inputs, &org.org_code, plans),
        page,
    }
}

/// One row per standard: outcome, value, the peers' median, threshold and source.
fn outcome_table(
    inputs: &Inputs,
    peers: &Peers,
    org: &Organisation,
    outcomes: &[OutcomeRow],
    period_label: &str,
) -> TableModel {
    let mut table = TableModel::new(
        "outcomes",
        format!("Your outcome for each standard, {period_label}"),
        vec![
            Cell::text("Standard"),
            Cell::text("Outcome"),
            Cell::num("Your value"),
            Cell::num("Median of your peers"),
            Cell::text("Threshold"),
            Cell::text("Source"),
        ],
    )
    .when_empty("No standard was assessed: no return was accepted.");
    for s in &inputs.catalogue.standards {
        let standard = &s.standard;
        let Some(o) = outcomes.iter().find(|o| o.standard_id == standard.id) else {
            continue;
        };
        let not_applicable = o.outcome == Outcome::NotApplicable;
        let value = o.value.map_or_else(
            || "[x]".to_string(),
            |v| format_value(standard.value_format, v),
        );
        let critical = if standard.critical { " (critical)" } else { "" };
        table.rows.push(vec![
            Cell::text(format!("{}: {}{critical}", standard.id, standard.title)),
            Cell::tagged(outcome_label(o.outcome), o.outcome.as_str()),
            Cell::num(if not_applicable { "[z]".into() } else { value }),
            Cell::num(if not_applicable {
                "[z]".into()
            } else {
                peers.of_standard(&org.org_type, &standard.id)
            }),
            Cell::text(
                peers
                    .thresholds
                    .get(&standard.id)
                    .cloned()
                    .unwrap_or_default(),
            ),
            Cell::text(if o.derived {
                "Device inventory"
            } else {
                "Your return"
            }),
        ]);
    }
    table
}

/// The advice for each standard not met, partially met or not assessed.
fn remedies(inputs: &Inputs, outcomes: &[OutcomeRow]) -> Vec<Remedy> {
    let mut remediation = Vec::new();
    for s in &inputs.catalogue.standards {
        let standard = &s.standard;
        let Some(o) = outcomes.iter().find(|o| o.standard_id == standard.id) else {
            continue;
        };
        if !matches!(
            o.outcome,
            Outcome::NotMet | Outcome::PartiallyMet | Outcome::NotAssessed
        ) {
            continue;
        }
        remediation.push(Remedy {
            id: standard.id.clone(),
            title: standard.title.clone(),
            outcome: outcome_label(o.outcome).to_string(),
            tag: o.outcome.as_str().to_string(),
            advice: if o.outcome == Outcome::NotAssessed {
                format!(
                    "This standard could not be assessed because a measure it needs was missing or rejected: correct the issues listed below. {}",
                    standard.remediation
                )
            } else {
                standard.remediation.clone()
            },
        });
    }
    remediation
}

/// The issues in the organisation's files, each with what to change.
fn issue_table(inputs: &Inputs, issues: &[&Issue]) -> TableModel {
    let mut table = TableModel::new(
        "issues",
        "Validation issues in your files",
        vec![
            Cell::text("File"),
            Cell::text("Measure"),
            Cell::num("Line"),
            Cell::text("Severity"),
            Cell::text("Issue"),
            Cell::text("What to change"),
        ],
    )
    .when_empty("No issue was found in your files.");
    for issue in issues {
        table.rows.push(vec![
            Cell::text(issue.file.clone()),
            Cell::text(issue.measure.clone()),
            Cell::num(issue.line.map_or(String::new(), |l| l.to_string())),
            Cell::tagged(issue.severity.as_str(), issue.severity.as_str()),
            Cell::text(issue.message.clone()),
            Cell::text(inputs.contract.codes.fix(issue.code)),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_due_day_reads_as_an_ordinal() {
        assert_eq!(due_in_words(10), "the 10th of the following month");
        assert_eq!(due_in_words(1), "the 1st of the following month");
        assert_eq!(due_in_words(22), "the 22nd of the following month");
        assert_eq!(due_in_words(13), "the 13th of the following month");
    }
}

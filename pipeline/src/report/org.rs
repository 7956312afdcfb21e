//! `reports/orgs/{org_code}.html`: feedback to one organisation: its outcome and value for
//! each standard beside the median of its peers, its validation issues with what to change,
//! and the remediation advice of every standard it did not meet.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;

use super::Inputs;
use super::model::{
    Cell, Page, RowCell, Shared, Table, format_value, outcome_label, period_label, status_label,
    threshold_text,
};
use crate::aggregate::plans::PlanRow;
use crate::assess::catalogue::ValueFormat;
use crate::assess::{Outcome, OutcomeRow, Status, StatusRow};
use crate::contract::Organisation;
use crate::validate::Issue;

#[derive(Debug, Serialize)]
pub struct OrgPage<'a> {
    pub page: Page,
    pub org: OrgFacts<'a>,
    pub status: &'static str,
    pub status_tag: &'static str,
    pub submitted: bool,
    pub late: bool,
    /// When a return is due, in words, from the dictionary's due day.
    pub due: &'a str,
    pub summary: String,
    pub outcomes: Table<'a, RowCell<'a>>,
    pub issues: Table<'a>,
    /// The advice for each standard not met, partially met or not assessed.
    pub remediation: Vec<&'a Shared>,
    pub min_group: u64,
    /// Its improvement plan, each action beside the evidence.
    pub plan: Table<'a>,
}

#[derive(Debug, Serialize)]
pub struct OrgFacts<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub org_type: &'a str,
    pub region: &'a str,
}

#[derive(Debug, Serialize)]
pub struct Remedy<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub outcome: &'static str,
    pub tag: &'static str,
    pub advice: Cow<'a, str>,
}

/// What every page shows alike, made into template values once for the run: the median value
/// of each standard among organisations of each type, each standard's name, thresholds and
/// advice, and the cells every outcome row draws from.
pub struct Common {
    /// The median's cell by organisation type, then by standard: `[c]` when fewer than the
    /// dictionary's `min_group` peers have a value (a median of fewer would tell an
    /// organisation too much about a named few).
    medians: HashMap<String, HashMap<String, Shared>>,
    /// Each standard of the catalogue, in its order.
    standards: Vec<StandardParts>,
    /// `[x]`, a value not available.
    missing: Shared,
    /// `[z]`, a value of a standard that does not apply.
    not_applicable: Shared,
    /// Each outcome's tagged cell, in the order of [`Outcome::ALL`].
    outcomes: Vec<Shared>,
    /// Where a value came from: the return, or the device inventory.
    from_return: Shared,
    from_inventory: Shared,
    /// The headings of the three tables, and the outcome table's caption.
    outcomes_head: Shared,
    outcomes_caption: String,
    issues_head: Shared,
    plan_head: Shared,
    /// When a return is due, in words.
    due: String,
}

/// A standard's cells and advice, as every page shows them.
struct StandardParts {
    id: String,
    /// `MCS-01: Title (critical)`.
    label: Shared,
    threshold: Shared,
    /// The advice for each outcome short of met (not met, partially met, not assessed).
    remedies: Vec<(Outcome, Shared)>,
}

impl Common {
    pub fn of(inputs: &Inputs) -> Self {
        let standards = inputs.basis.catalogue.standards.iter();
        Common {
            medians: medians(inputs),
            standards: standards.map(|s| StandardParts::of(&s.standard)).collect(),
            missing: Shared::of(&Cell::num("[x]")),
            not_applicable: Shared::of(&Cell::num("[z]")),
            outcomes: (Outcome::ALL.iter())
                .map(|o| Shared::of(&Cell::tagged(outcome_label(*o), o.as_str())))
                .collect(),
            from_return: Shared::of(&Cell::text("Your return")),
            from_inventory: Shared::of(&Cell::text("Device inventory")),
            outcomes_head: Shared::of(&[
                Cell::text("Standard"),
                Cell::text("Outcome"),
                Cell::num("Your value"),
                Cell::num("Median of your peers"),
                Cell::text("Threshold"),
                Cell::text("Source"),
            ]),
            outcomes_caption: format!(
                "Your outcome for each standard, {}",
                period_label(inputs.basis.period)
            ),
            issues_head: Shared::of(&[
                Cell::text("File"),
                Cell::text("Measure"),
                Cell::num("Line"),
                Cell::text("Severity"),
                Cell::text("Issue"),
                Cell::text("What to change"),
            ]),
            plan_head: Shared::of(&super::plans::organisation_head(inputs.basis.period)),
            due: due_in_words(inputs.basis.contract.dictionary.due_day),
        }
    }

    fn of_standard(&self, org_type: &str, id: &str) -> &Shared {
        (self.medians.get(org_type).and_then(|m| m.get(id))).unwrap_or(&self.missing)
    }

    fn outcome(&self, outcome: Outcome) -> &Shared {
        &self.outcomes[outcome.index()]
    }
}

/// The cell of the median value of each standard among organisations of each type, by type
/// and then standard: `[c]` where fewer than `min_group` of them have a value.
fn medians(inputs: &Inputs) -> HashMap<String, HashMap<String, Shared>> {
    let mut values: HashMap<(&str, &str), Vec<f64>> = HashMap::new();
    for o in &inputs.basis.assessment.outcomes {
        let (Some(org), Some(v)) = (inputs.basis.orgs.get(&o.org_code), o.value) else {
            continue;
        };
        values
            .entry((org.org_type.as_str(), o.standard_id.as_str()))
            .or_default()
            .push(v);
    }
    let formats: HashMap<&str, ValueFormat> = inputs
        .basis
        .catalogue
        .standards
        .iter()
        .map(|s| (s.standard.id.as_str(), s.standard.value_format))
        .collect();
    let min_group = inputs.basis.contract.dictionary.min_group;
    let too_few = Shared::of(&Cell::num(format!("[c] fewer than {min_group} peers")));
    let mut medians: HashMap<String, HashMap<String, Shared>> = HashMap::new();
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
        medians.entry(org_type.to_string()).or_default().insert(
            id.to_string(),
            shown.map_or_else(|| too_few.clone(), |m| Shared::of(&Cell::num(m))),
        );
    }
    medians
}

impl StandardParts {
    fn of(standard: &crate::assess::catalogue::Standard) -> Self {
        let critical = if standard.critical { " (critical)" } else { "" };
        let remedy = |outcome: Outcome| {
            let advice = if outcome == Outcome::NotAssessed {
                Cow::Owned(format!(
                    "This standard could not be assessed because a measure it needs was missing or rejected: correct the issues listed below. {}",
                    standard.remediation
                ))
            } else {
                Cow::Borrowed(standard.remediation.as_str())
            };
            let remedy = Remedy {
                id: &standard.id,
                title: &standard.title,
                outcome: outcome_label(outcome),
                tag: outcome.as_str(),
                advice,
            };
            (outcome, Shared::of(&remedy))
        };
        StandardParts {
            id: standard.id.clone(),
            label: Shared::of(&Cell::text(format!(
                "{}: {}{critical}",
                standard.id, standard.title
            ))),
            threshold: Shared::of(&Cell::text(threshold_text(standard))),
            remedies: [Outcome::NotMet, Outcome::PartiallyMet, Outcome::NotAssessed]
                .map(remedy)
                .into(),
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
pub fn build<'a>(
    inputs: &Inputs<'a>,
    common: &'a Common,
    org: &'a Organisation,
    own: Own<'a>,
    page: Page,
) -> OrgPage<'a> {
    let Own {
        status,
        outcomes,
        issues,
        plans,
    } = own;
    let dictionary = &inputs.basis.contract.dictionary;
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
            code: &org.org_code,
            name: &org.org_name,
            org_type: dictionary.org_types.label(&org.org_type),
            region: &org.region_name,
        },
        status: status_label(status.status),
        status_tag: status.status.as_str(),
        submitted,
        late: status.late,
        due: &common.due,
        summary,
        outcomes: outcome_table(inputs, common, org, outcomes),
        issues: issue_table(inputs, common, issues),
        remediation: remedies(common, outcomes),
        min_group: dictionary.min_group,
        plan: super::plans::organisation(inputs, common.plan_head.clone(), &org.org_code, plans),
        page,
    }
}

/// One row per standard: outcome, value, the peers' median, threshold and source. Every cell
/// but the value is shared with other pages.
fn outcome_table<'a>(
    inputs: &Inputs<'a>,
    common: &'a Common,
    org: &Organisation,
    outcomes: &[OutcomeRow],
) -> Table<'a, RowCell<'a>> {
    let mut table = Table::new(
        "outcomes",
        common.outcomes_caption.as_str(),
        common.outcomes_head.clone(),
    )
    .when_empty("No standard was assessed: no return was accepted.");
    let shared = |part: &Shared| RowCell::Shared(part.clone());
    for (s, parts) in inputs
        .basis
        .catalogue
        .standards
        .iter()
        .zip(&common.standards)
    {
        let standard = &s.standard;
        let Some(o) = outcomes.iter().find(|o| o.standard_id == standard.id) else {
            continue;
        };
        let median = shared(common.of_standard(&org.org_type, &standard.id));
        let (value, median) = match o.value {
            _ if o.outcome == Outcome::NotApplicable => (
                shared(&common.not_applicable),
                shared(&common.not_applicable),
            ),
            Some(v) => (
                RowCell::Own(Cell::num(format_value(standard.value_format, v))),
                median,
            ),
            None => (shared(&common.missing), median),
        };
        let source = if o.derived {
            &common.from_inventory
        } else {
            &common.from_return
        };
        table.rows.push(vec![
            shared(&parts.label),
            shared(common.outcome(o.outcome)),
            value,
            median,
            shared(&parts.threshold),
            shared(source),
        ]);
    }
    table
}

/// The advice for each standard not met, partially met or not assessed, in the catalogue's
/// order.
fn remedies<'a>(common: &'a Common, outcomes: &[OutcomeRow]) -> Vec<&'a Shared> {
    let advice = |parts: &'a StandardParts| {
        let o = outcomes.iter().find(|o| o.standard_id == parts.id)?;
        let remedy = parts
            .remedies
            .iter()
            .find(|(outcome, _)| *outcome == o.outcome);
        remedy.map(|(_, advice)| advice)
    };
    common.standards.iter().filter_map(advice).collect()
}

/// The issues in the organisation's files, each with what to change.
fn issue_table<'a>(inputs: &Inputs<'a>, common: &Common, issues: &[&'a Issue]) -> Table<'a> {
    let mut table = Table::new(
        "issues",
        "Validation issues in your files",
        common.issues_head.clone(),
    )
    .when_empty("No issue was found in your files.");
    for issue in issues {
        table.rows.push(vec![
            Cell::text(issue.file.as_str()),
            Cell::text(issue.measure.as_str()),
            Cell::num(issue.line.map_or(String::new(), |l| l.to_string())),
            Cell::tagged(issue.severity.as_str(), issue.severity.as_str()),
            Cell::text(issue.message.as_str()),
            Cell::text(inputs.basis.contract.codes.fix(issue.code)),
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

//! Improvement plans: each row of a plan checked against `schemas/plan.toml`. A row with a bad
//! cell is an error on that row and is left out; the rest of the plan is used. What a plan
//! says about the organisation's outcomes (gaps without an action, overdue actions) needs the
//! assessment and is judged later, by `aggregate::plans`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Months, NaiveDate};

use super::batch::{Disposition, Judging, written};
use super::{Issues, Site};
use crate::contract::{Code, PlanColumnType, PlanSpec};
use crate::ingest::Loaded;
use crate::ingest::names::{FileKind, PlanFormat};
use crate::ingest::returns::{RawValue, Rows, clip, read_table};
use crate::period::Period;
use crate::period::parse_date;

/// One action of a plan, as accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanAction {
    pub action_id: String,
    pub standard_id: String,
    pub action: String,
    pub owner_role: String,
    pub target_date: NaiveDate,
    pub status: String,
    pub comment: String,
    pub line: u64,
}

/// What a plan's rows are checked against besides the plan contract.
#[derive(Debug, Clone, Copy)]
pub struct PlanContext<'a> {
    /// The organisation the file is named for, as the reference table spells it.
    pub org_code: &'a str,
    pub period: Period,
    /// The standard ids of the edition in force; `None` when not known (no check).
    pub standards: Option<&'a BTreeSet<String>>,
}

/// Checks a plan's header and rows; `None` when the file as a whole cannot be used (a missing
/// column, no row), else the actions of every row without an error.
pub fn check_plan(
    (columns, rows): Rows,
    spec: &PlanSpec,
    context: PlanContext<'_>,
    site: &Site,
    issues: &mut Issues,
) -> Option<Vec<PlanAction>> {
    let position: HashMap<&str, usize> = spec
        .columns
        .iter()
        .filter_map(|c| Some((c.name.as_str(), columns.iter().position(|h| *h == c.name)?)))
        .collect();
    if let Some(missing) = spec
        .columns
        .iter()
        .find(|c| c.required && !position.contains_key(c.name.as_str()))
    {
        let message = format!(
            "the plan has no {} column; its header must name {}",
            missing.name,
            spec.columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        issues.file(site, Code::MissingField, message);
        return None;
    }
    if rows.is_empty() {
        issues.file(
            site,
            Code::MissingField,
            "the plan has no action rows; a plan lists one action a row",
        );
        return None;
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut actions = Vec::new();
    for (line, cells) in rows {
        let row = RowCheck {
            spec,
            context,
            site,
            line,
            cells: &cells,
            position: &position,
        };
        let Some(action) = row.check(issues) else {
            continue;
        };
        if let Some(first) = seen.get(&action.action_id) {
            issues.push(
                site,
                Code::PlanDuplicateAction,
                &action.standard_id,
                Some(line),
                format!(
                    "action_id {} is also on line {first}; each action has its own id, so this row is not used",
                    clip(&action.action_id)
                ),
            );
            continue;
        }
        seen.insert(action.action_id.clone(), line);
        check_target(&action, spec, context.period, site, issues);
        actions.push(action);
    }
    Some(actions)
}

/// `plan_target_too_far` for a target date further after the period's end than the schema
/// allows; the action is still used.
fn check_target(
    action: &PlanAction,
    spec: &PlanSpec,
    period: Period,
    site: &Site,
    issues: &mut Issues,
) {
    let months = spec.rules.max_target_months;
    let Some(limit) = period.end().checked_add_months(Months::new(months)) else {
        return;
    };
    if action.target_date > limit {
        issues.push(
            site,
            Code::PlanTargetTooFar,
            &action.standard_id,
            Some(action.line),
            format!(
                "action {}'s target date {} is more than {months} months after the end of {period} ({limit}); set a nearer date, or split the action into steps that each finish within {months} months",
                clip(&action.action_id),
                action.target_date
            ),
        );
    }
}

/// One row being checked: each cell by its column's type.
struct RowCheck<'r> {
    spec: &'r PlanSpec,
    context: PlanContext<'r>,
    site: &'r Site,
    line: u64,
    cells: &'r [RawValue],
    position: &'r HashMap<&'r str, usize>,
}

impl RowCheck<'_> {
    /// The row's action, or `None` after raising an error for each bad cell.
    fn check(&self, issues: &mut Issues) -> Option<PlanAction> {
        let standard_id = self.text("standard_id");
        let mut ok = true;
        for column in &self.spec.columns {
            if let Err((code, message)) = self.cell_error(column, &self.text(&column.name)) {
                let action = self.text("action_id");
                let which = if action.is_empty() {
                    String::new()
                } else {
                    format!("action {}: ", clip(&action))
                };
                issues.push(
                    self.site,
                    code,
                    &standard_id,
                    Some(self.line),
                    format!("{which}{message}; the row is not used"),
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        Some(PlanAction {
            action_id: self.text("action_id"),
            standard_id,
            action: self.text("action"),
            owner_role: self.text("owner_role"),
            target_date: self.date("target_date")?,
            status: self.text("status").to_ascii_lowercase(),
            comment: self.text("comment"),
            line: self.line,
        })
    }

    /// Whether one cell holds what its column's type allows.
    fn cell_error(
        &self,
        column: &crate::contract::PlanColumn,
        text: &str,
    ) -> Result<(), (Code, String)> {
        let name = &column.name;
        let invalid = |m: String| Err((Code::PlanInvalidField, m));
        if text.is_empty() {
            return if column.required {
                invalid(format!("{name} is blank"))
            } else {
                Ok(())
            };
        }
        if let Some(max) = column.max_chars
            && text.chars().count() > max
        {
            return invalid(format!("{name} is longer than {max} characters"));
        }
        match column.kind {
            PlanColumnType::Text => Ok(()),
            PlanColumnType::Code if !text.eq_ignore_ascii_case(self.context.org_code) => {
                invalid(format!(
                    "org_code {} is not the organisation the file is named for ({})",
                    clip(text),
                    self.context.org_code
                ))
            }
            PlanColumnType::Period if text != self.context.period.to_string() => invalid(format!(
                "period {} is not the period the file is named for ({})",
                clip(text),
                self.context.period
            )),
            PlanColumnType::Standard
                if self.context.standards.is_some_and(|s| !s.contains(text)) =>
            {
                Err((
                    Code::PlanUnknownStandard,
                    format!(
                        "standard_id {} is not a standard of the edition in force for {}",
                        clip(text),
                        self.context.period
                    ),
                ))
            }
            PlanColumnType::Date if self.date(name).is_none() => invalid(format!(
                "{name} {} is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                clip(text)
            )),
            PlanColumnType::Status if !self.spec.is_status(&text.to_ascii_lowercase()) => {
                invalid(format!(
                    "status {} is not one of {}",
                    clip(text),
                    self.spec.rules.statuses.join(", ")
                ))
            }
            _ => Ok(()),
        }
    }

    fn cell(&self, name: &str) -> Option<&RawValue> {
        self.cells.get(*self.position.get(name)?)
    }

    /// A cell as trimmed text; a spreadsheet date as `YYYY-MM-DD`, or `YYYY-MM` in the period
    /// column (spreadsheets turn a typed `2026-10` into 1 October 2026).
    fn text(&self, name: &str) -> String {
        match self.cell(name) {
            None | Some(RawValue::Empty) => String::new(),
            Some(RawValue::Text(t)) => t.trim().to_string(),
            Some(RawValue::Date(d)) if name == "period" => d.format("%Y-%m").to_string(),
            Some(RawValue::Date(d)) => d.to_string(),
            Some(RawValue::Number(n)) if n.fract() == 0.0 => format!("{n:.0}"),
            Some(other) => other.shown(),
        }
    }

    fn date(&self, name: &str) -> Option<NaiveDate> {
        match self.cell(name)? {
            RawValue::Date(d) => Some(*d),
            RawValue::Text(t) => parse_date(t.trim()),
            _ => None,
        }
    }
}

/// The plan used for an organisation this period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedPlan {
    pub file: String,
    /// As the reference table spells it.
    pub org_code: String,
    /// In file order.
    pub actions: Vec<PlanAction>,
}

/// A plan that could be read, waiting for the choice between an organisation's plans.
pub(super) struct PlanCandidate {
    loaded: Loaded,
    actions: Vec<PlanAction>,
}

/// Reads a plan file's table: CSV, or the plan sheet of a workbook.
pub fn read_plan(
    format: PlanFormat,
    bytes: &[u8],
    spec: &PlanSpec,
    limits: &crate::ingest::Limits,
) -> Result<Rows, crate::ingest::returns::ReadFault> {
    read_table(format == PlanFormat::Xlsx, bytes, &spec.sheet, limits)
}

impl Judging<'_, '_> {
    /// Reads and checks each plan; the ones of a known organisation that can be used become
    /// candidates of that organisation.
    pub(super) fn read_plans(
        &mut self,
        plans: Vec<Loaded>,
    ) -> BTreeMap<String, Vec<PlanCandidate>> {
        let mut candidates: BTreeMap<String, Vec<PlanCandidate>> = BTreeMap::new();
        let (contract, limits) = (self.batch.contract, self.batch.limits);
        // Parsing (a workbook's above all) is the costly part: on every core, as for returns.
        let parsed: Vec<_> = self.pool.install(|| {
            use rayon::prelude::*;
            plans
                .into_par_iter()
                .map(|f| {
                    let rows = match f.name.kind {
                        FileKind::Plan(format) => {
                            read_plan(format, &f.bytes, &contract.plan, &limits)
                        }
                        _ => unreachable!("plans only"),
                    };
                    (f, rows)
                })
                .collect()
        });
        for (f, rows) in parsed {
            let site = Site::of(&f);
            let Some(org) = self.batch.orgs.get(&f.name.org_code) else {
                self.issues.file(
                    &site,
                    Code::UnknownOrg,
                    format!("organisation code {} in the file name is not in the organisation reference table; check the ODS code", clip(&f.name.org_code)),
                );
                self.record(&f, Disposition::Rejected);
                continue;
            };
            let context = PlanContext {
                org_code: &org.org_code,
                period: self.batch.period,
                standards: Some(self.batch.standards),
            };
            let actions = match rows {
                Err(fault) => {
                    self.issues.file(&site, fault.code, fault.message);
                    None
                }
                Ok(rows) => check_plan(rows, &contract.plan, context, &site, &mut self.issues),
            };
            match actions {
                None => self.record(&f, Disposition::Rejected),
                Some(actions) => candidates
                    .entry(org.org_code.clone())
                    .or_default()
                    .push(PlanCandidate { loaded: f, actions }),
            }
        }
        candidates
    }

    /// The plan used for each organisation: the latest written (by receipt time, else the
    /// time the object was written, then by name); any other is `superseded`.
    pub(super) fn choose_plans(
        &mut self,
        candidates: BTreeMap<String, Vec<PlanCandidate>>,
    ) -> Vec<AcceptedPlan> {
        let mut accepted = Vec::new();
        for (org_code, mut group) in candidates {
            group.sort_by(|a, b| {
                (written(&a.loaded.entry), &a.loaded.entry.key)
                    .cmp(&(written(&b.loaded.entry), &b.loaded.entry.key))
            });
            let Some(used) = group.pop() else {
                continue;
            };
            let older = group.iter().map(|c| &c.loaded);
            self.supersede(&org_code, older, &used.loaded.entry.key, "plan");
            self.record(&used.loaded, Disposition::Accepted);
            accepted.push(AcceptedPlan {
                file: used.loaded.entry.key.clone(),
                org_code,
                actions: used.actions,
            });
        }
        accepted
    }
}

//! Improvement plans against the evidence: each action of this period's plans beside its
//! standard's outcome, the history the plans table carries from the periods published before
//! (when an action was first seen, how often its target moved later), and the issues that
//! need the assessment (gaps without an open action, overdue actions, actions done while the
//! standard is still unmet).

use polars::prelude::PlHashMap;

use chrono::NaiveDate;

use crate::assess::Assessment;
use crate::contract::{Code, PlanSpec};
use crate::period::Period;
use crate::table::Table;
use crate::validate::plans::{AcceptedPlan, PlanAction};
use crate::validate::{AcceptedReturn, Issues, Site};

/// Where an action stands this period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlanState {
    /// Open, and its target date not yet passed (or its standard met).
    OnTrack,
    /// Open, past its target date, and its standard still a gap.
    Overdue,
    DoneAndMet,
    DoneButUnmet,
    Cancelled,
}

impl PlanState {
    pub const ALL: [PlanState; 5] = [
        PlanState::OnTrack,
        PlanState::Overdue,
        PlanState::DoneAndMet,
        PlanState::DoneButUnmet,
        PlanState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanState::OnTrack => "on_track",
            PlanState::Overdue => "overdue",
            PlanState::DoneAndMet => "done_and_met",
            PlanState::DoneButUnmet => "done_but_unmet",
            PlanState::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One row of `tables/plans.csv`: an action in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub period: Period,
    pub org_code: String,
    pub action_id: String,
    pub standard_id: String,
    /// The action and who owns it, as the plan words them.
    pub action: String,
    pub owner_role: String,
    pub status: String,
    pub target_date: NaiveDate,
    /// The standard's outcome that period, as the tables write it; empty when the organisation
    /// had no return assessed.
    pub outcome: String,
    pub first_period: Period,
    /// How many times the target date moved later since the action was first seen.
    pub target_moves: u32,
    pub state: PlanState,
}

const COLUMNS: [&str; 12] = [
    "period",
    "org_code",
    "action_id",
    "standard_id",
    "action",
    "owner_role",
    "status",
    "target_date",
    "outcome",
    "first_period",
    "target_moves",
    "state",
];

/// The period's plan rows and the issues they raise; `earlier` are the rows of the periods
/// published before (from the previous period's table).
pub fn review(
    plans: &[AcceptedPlan],
    returns: &[AcceptedReturn],
    assessment: &Assessment,
    spec: &PlanSpec,
    earlier: &[PlanRow],
    issues: &mut Issues,
) -> Vec<PlanRow> {
    let outcomes: PlHashMap<(&str, &str), &str> = assessment
        .outcomes
        .iter()
        .map(|o| {
            let key = (o.org_code.as_str(), o.standard_id.as_str());
            (key, o.outcome.as_str())
        })
        .collect();
    let last_seen = last_seen(earlier, assessment.period);
    let mut rows = Vec::new();
    for plan in plans {
        let site = Site {
            file: plan.file.clone(),
            org_code: plan.org_code.clone(),
        };
        for action in &plan.actions {
            let outcome = outcomes
                .get(&(plan.org_code.as_str(), action.standard_id.as_str()))
                .copied()
                .unwrap_or_default();
            let row = plan_row(assessment.period, plan, action, outcome, spec, &last_seen);
            raise_for_action(&row, action, &site, issues);
            rows.push(row);
        }
    }
    uncovered_gaps(plans, returns, assessment, spec, issues);
    rows
}

/// The latest row before `period` of each organisation's action.
fn last_seen(earlier: &[PlanRow], period: Period) -> PlHashMap<(&str, &str), &PlanRow> {
    let mut last: PlHashMap<(&str, &str), &PlanRow> = PlHashMap::default();
    for row in earlier.iter().filter(|r| r.period < period) {
        let key = (row.org_code.as_str(), row.action_id.as_str());
        if last.get(&key).is_none_or(|seen| seen.period < row.period) {
            last.insert(key, row);
        }
    }
    last
}

fn plan_row(
    period: Period,
    plan: &AcceptedPlan,
    action: &PlanAction,
    outcome: &str,
    spec: &PlanSpec,
    last_seen: &PlHashMap<(&str, &str), &PlanRow>,
) -> PlanRow {
    let before = last_seen.get(&(plan.org_code.as_str(), action.action_id.as_str()));
    let moved = before.is_some_and(|b| action.target_date > b.target_date);
    let gap = spec.is_gap(outcome);
    let state = match action.status.as_str() {
        "done" if gap => PlanState::DoneButUnmet,
        "done" => PlanState::DoneAndMet,
        "cancelled" => PlanState::Cancelled,
        _ if gap && action.target_date < period.end() => PlanState::Overdue,
        _ => PlanState::OnTrack,
    };
    PlanRow {
        period,
        org_code: plan.org_code.clone(),
        action_id: action.action_id.clone(),
        standard_id: action.standard_id.clone(),
        action: action.action.clone(),
        owner_role: action.owner_role.clone(),
        status: action.status.clone(),
        target_date: action.target_date,
        outcome: outcome.to_string(),
        first_period: before.map_or(period, |b| b.first_period),
        target_moves: before.map_or(0, |b| b.target_moves) + u32::from(moved),
        state,
    }
}

/// `plan_overdue` and `plan_done_but_unmet` on the plan's row.
fn raise_for_action(row: &PlanRow, action: &PlanAction, site: &Site, issues: &mut Issues) {
    let id = crate::ingest::returns::clip(&action.action_id);
    let (code, message) = match row.state {
        PlanState::Overdue => (
            Code::PlanOverdue,
            format!(
                "action {id} was due by {} and is {}, and {} is still {} in {}",
                action.target_date, action.status, action.standard_id, row.outcome, row.period
            ),
        ),
        PlanState::DoneButUnmet => (
            Code::PlanDoneButUnmet,
            format!(
                "action {id} is marked done, but {} is still {} in {}",
                action.standard_id, row.outcome, row.period
            ),
        ),
        _ => return,
    };
    issues.push(site, code, &action.standard_id, Some(action.line), message);
}

/// `plan_missing_action` on the organisation's return, for each standard it does not meet
/// that its plan has no open action for. An organisation that sent no plan is not warned: a
/// plan is asked of those that fall short, and their gaps count as uncovered in the reports.
fn uncovered_gaps(
    plans: &[AcceptedPlan],
    returns: &[AcceptedReturn],
    assessment: &Assessment,
    spec: &PlanSpec,
    issues: &mut Issues,
) {
    let plan_of: PlHashMap<&str, &AcceptedPlan> =
        plans.iter().map(|p| (p.org_code.as_str(), p)).collect();
    let file_of: PlHashMap<&str, &str> = returns
        .iter()
        .map(|r| (r.org_code.as_str(), r.file.as_str()))
        .collect();
    for o in assessment
        .outcomes
        .iter()
        .filter(|o| spec.is_gap(o.outcome.as_str()))
    {
        let (Some(plan), Some(file)) = (
            plan_of.get(o.org_code.as_str()),
            file_of.get(o.org_code.as_str()),
        ) else {
            continue;
        };
        let covered = plan
            .actions
            .iter()
            .any(|a| a.standard_id == o.standard_id && spec.is_open(&a.status));
        if covered {
            continue;
        }
        let site = Site {
            file: file.to_string(),
            org_code: o.org_code.clone(),
        };
        issues.push(
            &site,
            Code::PlanMissingAction,
            &o.standard_id,
            None,
            format!(
                "{} is {} in {} and the plan ({}) has no open action for it",
                o.standard_id,
                o.outcome.as_str(),
                assessment.period,
                plan.file
            ),
        );
    }
}

/// `tables/plans.csv`: every row up to this period (see [`up_to`]), sorted by period,
/// organisation and action.
pub fn plans_table(rows: &[PlanRow]) -> Table {
    let mut rows: Vec<&PlanRow> = rows.iter().collect();
    rows.sort_by(|a, b| {
        (a.period, &a.org_code, &a.action_id).cmp(&(b.period, &b.org_code, &b.action_id))
    });
    Table {
        columns: COLUMNS.to_vec(),
        rows: rows
            .into_iter()
            .map(|r| {
                vec![
                    r.period.to_string(),
                    r.org_code.clone(),
                    r.action_id.clone(),
                    r.standard_id.clone(),
                    r.action.clone(),
                    r.owner_role.clone(),
                    r.status.clone(),
                    r.target_date.to_string(),
                    r.outcome.clone(),
                    r.first_period.to_string(),
                    r.target_moves.to_string(),
                    r.state.as_str().to_string(),
                ]
            })
            .collect(),
    }
}

/// The rows of the periods before this period's `current` rows, then those rows: a rerun of
/// a period replaces its rows from an earlier run.
pub fn up_to(earlier: &[PlanRow], current: &[PlanRow]) -> Vec<PlanRow> {
    let period = current.first().map(|r| r.period);
    earlier
        .iter()
        .filter(|r| period.is_none_or(|p| r.period < p))
        .chain(current)
        .cloned()
        .collect()
}

/// The rows of a published `tables/plans.csv`, as [`plans_table`] wrote them.
pub fn parse_table(bytes: &[u8]) -> Result<Vec<PlanRow>, String> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(str::to_string)
        .collect();
    if header != COLUMNS {
        return Err(format!("its columns are {}", header.join(",")));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| e.to_string())?;
        let bad = || format!("row {} cannot be read", i + 2);
        let cell = |n: usize| unguarded(record.get(n).unwrap_or_default());
        rows.push(PlanRow {
            period: cell(0).parse().map_err(|_| bad())?,
            org_code: cell(1).to_string(),
            action_id: cell(2).to_string(),
            standard_id: cell(3).to_string(),
            action: cell(4).to_string(),
            owner_role: cell(5).to_string(),
            status: cell(6).to_string(),
            target_date: cell(7).parse().map_err(|_| bad())?,
            outcome: cell(8).to_string(),
            first_period: cell(9).parse().map_err(|_| bad())?,
            target_moves: cell(10).parse().map_err(|_| bad())?,
            state: PlanState::parse(cell(11)).ok_or_else(bad)?,
        });
    }
    Ok(rows)
}

/// A CSV cell without the `'` the formula guard put before it.
fn unguarded(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

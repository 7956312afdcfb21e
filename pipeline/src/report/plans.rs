//! The improvement plans in the reports: how much of the sector's unmet critical standards an
//! open action covers, overdue and slipped actions by region and type, the organisations with
//! the most overdue actions on critical standards (national report only), and an
//! organisation's own plan beside the evidence.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Inputs;
use super::disclosure::{Grid, SUPPRESSED, suppress};
use super::facts::Facts;
use super::model::{Cell, Shared, TableModel, count_and_pct};
use crate::aggregate::plans::{PlanRow, PlanState};
use crate::format::pct;
use crate::period::Period;

/// The plans section of the national report.
#[derive(Debug, Serialize)]
pub struct PlansSection {
    /// One sentence: the share of unmet critical standards covered by an open action.
    pub coverage: String,
    pub by_region: TableModel,
    pub by_type: TableModel,
    pub most_overdue: TableModel,
}

/// Per organisation: its unmet critical standards, those an open action covers, and its
/// actions this period by state and whether their target has moved.
#[derive(Debug, Default, Clone)]
struct OrgPlanFigures {
    /// Organisations with a critical standard not met or a plan: what disclosure counts.
    orgs: u64,
    critical_gaps: u64,
    covered: u64,
    open: u64,
    overdue: u64,
    overdue_critical: u64,
    slipped: u64,
    actions: u64,
}

impl OrgPlanFigures {
    fn add(&mut self, other: &OrgPlanFigures) {
        self.orgs += other.orgs;
        self.critical_gaps += other.critical_gaps;
        self.covered += other.covered;
        self.open += other.open;
        self.overdue += other.overdue;
        self.overdue_critical += other.overdue_critical;
        self.slipped += other.slipped;
        self.actions += other.actions;
    }
}

/// The actions of `period` among `rows`.
fn current(rows: &[PlanRow], period: Period) -> impl Iterator<Item = &PlanRow> {
    rows.iter().filter(move |r| r.period == period)
}

fn figures_by_org(inputs: &Inputs) -> BTreeMap<String, OrgPlanFigures> {
    let spec = &inputs.basis.contract.plan;
    let critical: BTreeSet<&str> = inputs
        .basis
        .catalogue
        .standards
        .iter()
        .filter(|s| s.standard.critical)
        .map(|s| s.standard.id.as_str())
        .collect();
    let actions: Vec<&PlanRow> = current(inputs.basis.plans, inputs.basis.period).collect();
    let open: BTreeSet<(&str, &str)> = actions
        .iter()
        .filter(|a| spec.is_open(&a.status))
        .map(|a| (a.org_code.as_str(), a.standard_id.as_str()))
        .collect();
    let mut by_org: BTreeMap<String, OrgPlanFigures> = BTreeMap::new();
    for o in &inputs.basis.assessment.outcomes {
        if !critical.contains(o.standard_id.as_str()) || !spec.is_gap(o.outcome.as_str()) {
            continue;
        }
        let f = by_org.entry(o.org_code.clone()).or_default();
        f.critical_gaps += 1;
        let covered = open.contains(&(o.org_code.as_str(), o.standard_id.as_str()));
        f.covered += u64::from(covered);
    }
    for a in actions {
        let f = by_org.entry(a.org_code.clone()).or_default();
        f.actions += 1;
        let open = spec.is_open(&a.status);
        f.open += u64::from(open);
        f.slipped += u64::from(open && a.target_moves > 0);
        if a.state == PlanState::Overdue {
            f.overdue += 1;
            f.overdue_critical += u64::from(critical.contains(a.standard_id.as_str()));
        }
    }
    for f in by_org.values_mut() {
        f.orgs = u64::from(f.critical_gaps > 0 || f.actions > 0);
    }
    by_org
}

pub fn national(inputs: &Inputs, facts: &Facts) -> PlansSection {
    let by_org = figures_by_org(inputs);
    let total = total_of(&by_org);
    let coverage = if total.critical_gaps == 0 {
        "No organisation that made a return fell short of a critical standard.".to_string()
    } else {
        format!(
            "Of the {} critical standards not met by an organisation ({}), {} ({}%) are covered by an open action in the organisation's improvement plan; {} actions are overdue and {} open actions have had their target date moved later.",
            total.critical_gaps,
            gap_words(&inputs.basis.contract.plan.rules.gap_outcomes),
            total.covered,
            pct(total.covered, total.critical_gaps),
            total.overdue,
            total.slipped
        )
    };
    let groups = by_group(inputs, facts, &by_org, None);
    PlansSection {
        coverage,
        by_region: groups.by_region,
        by_type: groups.by_type,
        most_overdue: most_overdue(inputs, facts, &by_org),
    }
}

/// The public report's plan figures: the same by region and by type, a group of fewer
/// organisations with an unmet critical standard than the disclosure threshold shown as `[c]`
/// (with the next smallest where one hidden figure could be recovered from England's).
#[derive(Debug, Serialize)]
pub struct PublicPlans {
    pub by_region: TableModel,
    pub by_type: TableModel,
}

pub fn public(inputs: &Inputs, facts: &Facts) -> PublicPlans {
    let min_group = inputs.basis.contract.dictionary.min_group;
    by_group(inputs, facts, &figures_by_org(inputs), Some(min_group))
}

fn total_of(by_org: &BTreeMap<String, OrgPlanFigures>) -> OrgPlanFigures {
    let mut total = OrgPlanFigures::default();
    by_org.values().for_each(|f| total.add(f));
    total
}

/// The tables by region and by type, with disclosure control when `min_group` is given.
fn by_group(
    inputs: &Inputs,
    facts: &Facts,
    by_org: &BTreeMap<String, OrgPlanFigures>,
    min_group: Option<u64>,
) -> PublicPlans {
    let total = total_of(by_org);
    let types = &inputs.basis.contract.dictionary.org_types;
    let region = |o: &crate::contract::Organisation| facts.region_name(&o.region_code).clone();
    let org_type = |o: &crate::contract::Organisation| types.label(&o.org_type).to_string();
    PublicPlans {
        by_region: group_table(
            "region",
            grouped(inputs, by_org, &region),
            &total,
            min_group,
        ),
        by_type: group_table(
            "organisation type",
            grouped(inputs, by_org, &org_type),
            &total,
            min_group,
        ),
    }
}

/// The organisations' figures summed by the group `key` names.
fn grouped(
    inputs: &Inputs,
    by_org: &BTreeMap<String, OrgPlanFigures>,
    key: &dyn Fn(&crate::contract::Organisation) -> String,
) -> BTreeMap<String, OrgPlanFigures> {
    let mut groups: BTreeMap<String, OrgPlanFigures> = BTreeMap::new();
    for (code, f) in by_org {
        if let Some(org) = inputs.basis.orgs.get(code) {
            groups.entry(key(org)).or_default().add(f);
        }
    }
    groups
}

/// A group's row per group, then England's; with `min_group`, the rows disclosure control
/// hides show `[c]` in every figure.
fn group_table(
    kind: &str,
    groups: BTreeMap<String, OrgPlanFigures>,
    total: &OrgPlanFigures,
    min_group: Option<u64>,
) -> TableModel {
    let mut table = TableModel::new(
        format!("plans-by-{}", kind.replace(' ', "-")),
        format!(
            "Improvement plans by {kind}: unmet critical standards covered by an open action, and actions overdue or slipped"
        ),
        vec![
            Cell::text(capitalised(kind)),
            Cell::num("Critical standards not met"),
            Cell::num("Covered by an open action"),
            Cell::num("Open actions"),
            Cell::num("Overdue"),
            Cell::num("Slipped"),
        ],
    );
    let hidden: Vec<bool> = match min_group {
        None => vec![false; groups.len() + 1],
        Some(min_group) => {
            let grid = Grid {
                sizes: groups
                    .values()
                    .chain([total])
                    .map(|f| vec![f.orgs])
                    .collect(),
                min_group,
                row_totals: false,
                column_totals: true,
            };
            suppress(&grid).into_iter().map(|r| r[0]).collect()
        }
    };
    let row = |name: &str, f: &OrgPlanFigures, hide: bool| {
        if hide {
            let mut cells = vec![Cell::text(name.to_string())];
            cells.extend((0..5).map(|_| Cell::num(SUPPRESSED)));
            return cells;
        }
        vec![
            Cell::text(name.to_string()),
            Cell::num(f.critical_gaps.to_string()),
            covered_cell(f),
            Cell::num(f.open.to_string()),
            Cell::num(f.overdue.to_string()),
            Cell::num(f.slipped.to_string()),
        ]
    };
    for (i, (name, f)) in groups.iter().enumerate() {
        table.rows.push(row(name, f, hidden[i]));
    }
    table.rows.push(row("England", total, hidden[groups.len()]));
    table
}

fn covered_cell(f: &OrgPlanFigures) -> Cell<'static> {
    if f.critical_gaps == 0 {
        return Cell::num("[z]");
    }
    Cell::num(count_and_pct(f.covered, f.critical_gaps))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The organisations with overdue actions on critical standards, most first (at most ten).
fn most_overdue(
    inputs: &Inputs,
    facts: &Facts,
    by_org: &BTreeMap<String, OrgPlanFigures>,
) -> TableModel {
    let mut table = TableModel::new(
        "plans-overdue",
        "Organisations with the most overdue actions on critical standards",
        vec![
            Cell::text("Organisation"),
            Cell::text("Code"),
            Cell::text("Type"),
            Cell::text("Region"),
            Cell::num("Overdue on critical standards"),
            Cell::num("Actions in the plan"),
        ],
    )
    .when_empty("No action on a critical standard is overdue.");
    let mut ranked: Vec<(&String, &OrgPlanFigures)> = by_org
        .iter()
        .filter(|(_, f)| f.overdue_critical > 0)
        .collect();
    ranked.sort_by(|a, b| {
        b.1.overdue_critical
            .cmp(&a.1.overdue_critical)
            .then(a.0.cmp(b.0))
    });
    for (code, f) in ranked.into_iter().take(10) {
        let Some(org) = inputs.basis.orgs.get(code) else {
            continue;
        };
        let mut row = Vec::from(facts.named(inputs, org));
        row.extend([
            Cell::num(f.overdue_critical.to_string()),
            Cell::num(f.actions.to_string()),
        ]);
        table.rows.push(row);
    }
    table
}

/// An organisation's plan: each action this period with its standard's outcome now and in
/// the three periods before (as the plans table recorded it), what is overdue first. `own` is
/// the organisation's rows of the plans table.
/// The three periods before this one, oldest first.
fn earlier_periods(period: Period) -> [Period; 3] {
    let before = period.previous();
    [before.previous().previous(), before.previous(), before]
}

/// The heading of an organisation's plan table: the same on every page.
pub fn organisation_head(period: Period) -> Vec<Cell<'static>> {
    let mut head = vec![
        Cell::text("Action"),
        Cell::text("Standard"),
        Cell::text("Owner"),
        Cell::text("Target"),
        Cell::text("Status"),
        Cell::text("Where it stands"),
    ];
    head.extend(
        earlier_periods(period)
            .iter()
            .map(|p| Cell::text(p.to_string())),
    );
    head.push(Cell::text(format!("{period} (this period)")));
    head
}

/// An organisation's plan table, under `head` (from [`organisation_head`]).
pub fn organisation(inputs: &Inputs, head: Shared, org_code: &str, own: &[&PlanRow]) -> TableModel {
    let earlier = earlier_periods(inputs.basis.period);
    let mut table = TableModel::new(
        "plan",
        "Your improvement plan, each action beside its standard's outcome",
        head,
    )
    .when_empty(format!(
        "No improvement plan was received for {0}. If a standard is not met, send {org_code}_{0}_plan.csv or .xlsx with an action for each.",
        inputs.basis.period
    ));
    let outcome_in = |period: Period, standard: &str| {
        own.iter()
            .find(|r| r.period == period && r.standard_id == standard)
            .map_or("[x]".to_string(), |r| outcome_word(&r.outcome))
    };
    let mut actions: Vec<&PlanRow> = own
        .iter()
        .copied()
        .filter(|r| r.period == inputs.basis.period)
        .collect();
    actions.sort_by_key(|r| (r.state != PlanState::Overdue, r.action_id.clone()));
    for a in actions {
        let mut row = vec![
            Cell::text(a.action_id.clone()),
            Cell::text(a.standard_id.clone()),
            Cell::text(action_owner(inputs, a)),
            Cell::text(a.target_date.to_string()),
            Cell::text(a.status.replace('_', " ")),
            Cell::tagged(state_label(a), state_tag(a.state)),
        ];
        row.extend(
            earlier
                .iter()
                .map(|p| Cell::text(outcome_in(*p, &a.standard_id))),
        );
        row.push(Cell::text(outcome_word(&a.outcome)));
        table.rows.push(row);
    }
    table
}

/// The owner role as the plan gave it (from the accepted plan of this period).
fn action_owner(inputs: &Inputs, row: &PlanRow) -> String {
    // One plan per organisation, sorted by organisation code.
    let plans = &inputs.basis.validated.plans;
    plans
        .binary_search_by(|p| p.org_code.cmp(&row.org_code))
        .ok()
        .map(|i| &plans[i])
        .into_iter()
        .flat_map(|p| &p.actions)
        .find(|a| a.action_id == row.action_id)
        .map_or(String::new(), |a| a.owner_role.clone())
}

fn state_label(row: &PlanRow) -> String {
    let moved = match row.target_moves {
        0 => String::new(),
        1 => ", target moved once".to_string(),
        n => format!(", target moved {n} times"),
    };
    let state = match row.state {
        PlanState::OnTrack => "on track",
        PlanState::Overdue => "overdue",
        PlanState::DoneAndMet => "done, standard met",
        PlanState::DoneButUnmet => "done, standard still not met",
        PlanState::Cancelled => "cancelled",
    };
    format!("{state}{moved}")
}

fn state_tag(state: PlanState) -> &'static str {
    match state {
        PlanState::OnTrack => "info",
        PlanState::Overdue | PlanState::DoneButUnmet => "not_met",
        PlanState::DoneAndMet => "met",
        PlanState::Cancelled => "not_applicable",
    }
}

fn outcome_word(outcome: &str) -> String {
    if outcome.is_empty() {
        "no return".to_string()
    } else {
        outcome.replace('_', " ")
    }
}

/// The outcomes that count as gaps, as words: `partially met, not met or not assessed`.
fn gap_words(outcomes: &[String]) -> String {
    let words: Vec<String> = outcomes.iter().map(|o| o.replace('_', " ")).collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => words.join(""),
    }
}

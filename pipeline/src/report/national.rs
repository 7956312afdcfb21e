//! `reports/national.html`: the whole sector for national bodies, organisations named
//! (OFFICIAL-SENSITIVE).

use std::collections::BTreeMap;

use serde::Serialize;

use super::disclosure::{Disclosure, NATIONAL, SUPPRESSED};
use super::facts::{Facts, gap};
use super::model::{Cell, Chart, Page, TableModel, count_and_pct, status_label};
use super::svg::{self, Bar, Segment};
use super::{Inputs, KeyFigure};
use crate::aggregate::GroupKind;
use crate::assess::catalogue::Standard;
use crate::assess::{Outcome, Status};
use crate::format::pct;

#[derive(Debug, Serialize)]
pub struct National {
    pub page: Page,
    pub headline: Vec<String>,
    pub key_figures: Vec<KeyFigure>,
    pub status_chart: Chart,
    pub standards_chart: Chart,
    pub region_chart: Chart,
    pub by_region: TableModel,
    pub by_type: TableModel,
    pub trends: Option<Chart>,
    pub trends_table: TableModel,
    pub critical: TableModel,
    pub non_response: TableModel,
    pub non_submitters: TableModel,
    pub data_quality: TableModel,
    pub risk: TableModel,
    pub changes_note: String,
    /// The critical standards of the edition by name, for the section about them.
    pub critical_standards: String,
    pub changes: TableModel,
    pub plans: super::plans::PlansSection,
}

pub fn build(inputs: &Inputs, facts: &Facts, page: Page) -> National {
    National {
        headline: headline(inputs, facts, &Disclosure::none()),
        key_figures: key_figures(facts),
        status_chart: status_chart(facts),
        standards_chart: standards_chart(inputs, &Disclosure::none()),
        region_chart: region_status_chart(inputs, facts),
        by_region: standards_by_group(
            inputs,
            GroupKind::Region,
            facts.regions.iter().map(|g| (&g.code, &g.name)),
        ),
        by_type: standards_by_group(
            inputs,
            GroupKind::OrgType,
            facts.types.iter().map(|g| (&g.code, &g.name)),
        ),
        trends: trends_chart(inputs, &Disclosure::none()),
        trends_table: trends_table(inputs, &Disclosure::none()),
        critical: critical(inputs, facts),
        non_response: non_response(inputs, facts),
        non_submitters: non_submitters(inputs, facts),
        data_quality: data_quality(inputs),
        risk: risk(inputs, facts),
        changes_note: changes_note(inputs),
        critical_standards: inputs
            .basis
            .catalogue
            .standards
            .iter()
            .filter(|s| s.standard.critical)
            .map(|s| s.standard.title.to_lowercase())
            .collect::<Vec<_>>()
            .join("; "),
        changes: changes(inputs),
        plans: super::plans::national(inputs, facts),
        page,
    }
}

/// The sentences a reader needs first: how many met the standards, the weakest standard (of
/// those `disclosure` shows), and how many did not respond.
pub fn headline(inputs: &Inputs, facts: &Facts, disclosure: &Disclosure) -> Vec<String> {
    let mut lines = Vec::new();
    let met = facts.status[&Status::StandardsMet];
    let not_met = facts.status[&Status::StandardsNotMet];
    lines.push(format!(
        "{} of the {} organisations that made a return met every minimum standard that applies to them; {} did not meet the standards.",
        count_and_pct(met, facts.submitted),
        facts.submitted,
        count_and_pct(not_met, facts.submitted),
    ));
    let weakest = national_rows(inputs)
        .into_iter()
        .filter(|(_, g)| {
            g.orgs > 0 && !disclosure.hides(&g.standard_id, GroupKind::National, NATIONAL)
        })
        .min_by_key(|(_, g)| (g.met * 1_000_000) / g.orgs);
    if let Some((title, g)) = weakest {
        lines.push(format!(
            "The standard least often met was \u{201c}{title}\u{201d}: {} of {} organisations ({}%) met it.",
            g.met,
            g.orgs,
            g.pct_met()
        ));
    }
    if let Some(trend) = headline_trend(inputs) {
        lines.push(trend);
    }
    let missing = facts.status[&Status::NotSubmitted];
    lines.push(format!(
        "{} of {} organisations ({}%) did not make a return for {}.",
        missing,
        facts.organisations,
        pct(missing, facts.organisations),
        super::model::period_label(inputs.basis.period)
    ));
    lines
}

pub fn key_figures(facts: &Facts) -> Vec<KeyFigure> {
    let mut figures = vec![KeyFigure {
        label: "Returns made".into(),
        value: facts.submitted.to_string(),
        note: format!("of {} organisations", facts.organisations),
        tag: "neutral".into(),
    }];
    for (status, tag) in [
        (Status::StandardsMet, "met"),
        (Status::ApproachingStandards, "partially_met"),
        (Status::StandardsNotMet, "not_met"),
    ] {
        figures.push(KeyFigure {
            label: status_label(status).into(),
            value: facts.status[&status].to_string(),
            note: format!(
                "{}% of returns",
                pct(facts.status[&status], facts.submitted)
            ),
            tag: tag.into(),
        });
    }
    figures
}

/// Every standard's national gap row, with its title, in catalogue order.
fn national_rows<'a>(inputs: &'a Inputs) -> Vec<(&'a str, &'a crate::aggregate::GapRow)> {
    inputs
        .basis
        .catalogue
        .standards
        .iter()
        .filter_map(|s| {
            let g = gap(inputs.gaps, &s.standard.id, GroupKind::National, NATIONAL)?;
            Some((s.standard.title.as_str(), g))
        })
        .collect()
}

pub fn status_chart(facts: &Facts) -> Chart {
    let mut table = TableModel::new(
        "status-data",
        "Organisations by status",
        vec![
            Cell::text("Status"),
            Cell::num("Organisations"),
            Cell::num("Percentage of all organisations"),
        ],
    );
    let mut bars = Vec::new();
    for status in Status::ALL {
        let n = facts.status[&status];
        let share = pct(n, facts.organisations);
        table.rows.push(vec![
            Cell::tagged(status_label(status), status.as_str()),
            Cell::num(n.to_string()),
            Cell::num(format!("{share}%")),
        ]);
        bars.push(Bar {
            label: status_label(status).to_string(),
            segments: vec![Segment {
                share: share.parse().unwrap_or(0.0),
                class: status.as_str(),
                label: "",
            }],
            text: format!("{n} ({share}%)"),
        });
    }
    let title = "Organisations by status";
    Chart {
        id: "status".into(),
        title: title.into(),
        subtitle: format!(
            "Percentage of all {} organisations in the reference table",
            facts.organisations
        ),
        svg: svg::bars("status", title, &bars, None),
        table,
    }
}

/// Every standard's national figures; those `disclosure` hides are `[c]` in the table and a
/// bar with no length.
pub fn standards_chart(inputs: &Inputs, disclosure: &Disclosure) -> Chart {
    let mut table = TableModel::new(
        "standards-data",
        "Organisations meeting each standard, England",
        vec![
            Cell::text("Standard"),
            Cell::num("Organisations assessed"),
            Cell::num("Met"),
            Cell::num("Partially met"),
            Cell::num("Not met"),
            Cell::num("Not assessed"),
            Cell::num("Percentage met"),
        ],
    );
    let mut bars = Vec::new();
    for s in &inputs.basis.catalogue.standards {
        let Some(g) = gap(inputs.gaps, &s.standard.id, GroupKind::National, NATIONAL) else {
            continue;
        };
        let critical = if s.standard.critical {
            " (critical)"
        } else {
            ""
        };
        let label = format!("{}: {}{critical}", s.standard.id, s.standard.title);
        if disclosure.hides(&s.standard.id, GroupKind::National, NATIONAL) {
            let mut row = vec![Cell::text(label)];
            row.extend((0..6).map(|_| Cell::num(SUPPRESSED)));
            table.rows.push(row);
            bars.push(Bar::single(s.standard.short.clone(), 0.0, SUPPRESSED));
            continue;
        }
        table.rows.push(vec![
            Cell::text(label),
            Cell::num(g.orgs.to_string()),
            Cell::num(g.met.to_string()),
            Cell::num(g.partially_met.to_string()),
            Cell::num(g.not_met.to_string()),
            Cell::num(g.not_assessed.to_string()),
            Cell::num(format!("{}%", g.pct_met())),
        ]);
        bars.push(Bar::single(
            s.standard.short.clone(),
            g.pct_met().parse().unwrap_or(0.0),
            format!("{}%", g.pct_met()),
        ));
    }
    let title = "Percentage of organisations meeting each standard";
    Chart {
        id: "standards".into(),
        title: title.into(),
        subtitle: "Of organisations that made a return and to which the standard applies".into(),
        svg: svg::bars("standards", title, &bars, None),
        table,
    }
}

fn region_status_chart(inputs: &Inputs, facts: &Facts) -> Chart {
    let mut counts: BTreeMap<&str, BTreeMap<Status, u64>> = BTreeMap::new();
    for row in &inputs.basis.assessment.status {
        if let Some(org) = inputs.basis.orgs.get(&row.org_code) {
            *counts
                .entry(org.region_code.as_str())
                .or_default()
                .entry(row.status)
                .or_default() += 1;
        }
    }
    let mut head = vec![Cell::text("Region")];
    head.extend(Status::ALL.iter().map(|s| Cell::num(status_label(*s))));
    head.push(Cell::num("Organisations"));
    let mut table = TableModel::new(
        "region-status-data",
        "Organisations by status and region",
        head,
    );
    let mut bars = Vec::new();
    for region in &facts.regions {
        let Some(c) = counts.get(region.code.as_str()) else {
            continue;
        };
        let total: u64 = c.values().sum();
        let mut row = vec![Cell::text(region.name.clone())];
        let mut segments = Vec::new();
        for s in Status::ALL {
            let n = c.get(&s).copied().unwrap_or(0);
            row.push(Cell::num(count_and_pct(n, total)));
            segments.push(Segment {
                share: pct(n, total).parse().unwrap_or(0.0),
                class: s.as_str(),
                label: status_label(s),
            });
        }
        row.push(Cell::num(total.to_string()));
        table.rows.push(row);
        let met = c.get(&Status::StandardsMet).copied().unwrap_or(0);
        bars.push(Bar {
            label: region.name.clone(),
            segments,
            text: format!("{}% met", pct(met, total)),
        });
    }
    let title = "Status of organisations by region";
    Chart {
        id: "region-status".into(),
        title: title.into(),
        subtitle:
            "Percentage of the organisations of each region, including those that made no return"
                .into(),
        svg: svg::bars("region-status", title, &bars, None),
        table,
    }
}

/// Standards (rows) by groups (columns): the percentage met and the organisations assessed.
fn standards_by_group<'a>(
    inputs: &Inputs,
    kind: GroupKind,
    groups: impl Iterator<Item = (&'a String, &'a String)>,
) -> TableModel {
    let groups: Vec<_> = groups.collect();
    let mut head = vec![Cell::text("Standard")];
    head.extend(groups.iter().map(|(_, name)| Cell::num((*name).clone())));
    head.push(Cell::num("England"));
    let what = if kind == GroupKind::Region {
        "region"
    } else {
        "organisation type"
    };
    let mut table = TableModel::new(
        format!("by-{}", kind.as_str()),
        format!(
            "Percentage of organisations meeting each standard, by {what} (organisations assessed in brackets)"
        ),
        head,
    );
    for s in &inputs.basis.catalogue.standards {
        let id = &s.standard.id;
        let mut row = vec![Cell::text(id.clone())];
        for (code, _) in &groups {
            row.push(match gap(inputs.gaps, id, kind, code) {
                Some(g) => Cell::share(&g.pct_met(), g.orgs),
                None => Cell::num("[z]"),
            });
        }
        row.push(match gap(inputs.gaps, id, GroupKind::National, NATIONAL) {
            Some(g) => Cell::share(&g.pct_met(), g.orgs),
            None => Cell::num("[z]"),
        });
        table.rows.push(row);
    }
    table
}

/// The national percentage met of each critical standard over the periods published so far;
/// a standard with any period `disclosure` hides is left out of the chart (its data table says
/// `[c]`).
pub fn trends_chart(inputs: &Inputs, disclosure: &Disclosure) -> Option<Chart> {
    if inputs.series.len() < 2 {
        return None;
    }
    let periods: Vec<String> = inputs.series.iter().map(|(p, _)| p.to_string()).collect();
    let critical: Vec<&Standard> = inputs
        .basis
        .catalogue
        .standards
        .iter()
        .map(|s| &s.standard)
        .filter(|s| s.critical)
        .filter(|s| {
            !inputs
                .series
                .iter()
                .any(|(p, _)| disclosure.hides_trend(*p, &s.id))
        })
        .collect();
    let series: Vec<(String, Vec<f64>)> = critical
        .iter()
        .map(|standard| {
            let values = inputs
                .series
                .iter()
                .map(|(_, f)| {
                    f.standards
                        .get(&standard.id)
                        .and_then(|(o, m)| pct(*m, *o).parse().ok())
                        .unwrap_or(0.0)
                })
                .collect();
            (standard.short.clone(), values)
        })
        .collect();
    let title = "Percentage of organisations meeting each critical standard, by period";
    Some(Chart {
        id: "trends".into(),
        title: title.into(),
        subtitle: format!(
            "England, {} to {}; of organisations assessed in each period",
            periods[0],
            periods[periods.len() - 1]
        ),
        svg: svg::lines("trends", title, &periods, &series),
        table: trends_table(inputs, disclosure),
    })
}

/// The national percentage met of every standard by period, `[c]` where `disclosure` hides it.
pub fn trends_table(inputs: &Inputs, disclosure: &Disclosure) -> TableModel {
    let mut head = vec![Cell::text("Standard")];
    head.extend(inputs.series.iter().map(|(p, _)| Cell::num(p.to_string())));
    head.push(Cell::num("Change since the previous period"));
    let mut table = TableModel::new(
        "trends-data",
        "Percentage of organisations meeting each standard, by period, England",
        head,
    )
    .when_empty("No period has been published yet.");
    for s in &inputs.basis.catalogue.standards {
        let id = &s.standard.id;
        let mut row = vec![Cell::text(id.clone())];
        let mut values: Vec<Option<String>> = Vec::new();
        for (period, figures) in inputs.series {
            if disclosure.hides_trend(*period, id) {
                row.push(Cell::num(SUPPRESSED));
                values.push(None);
                continue;
            }
            let v = figures.standards.get(id).map(|(o, m)| pct(*m, *o));
            row.push(Cell::num(
                v.clone().map_or("[x]".into(), |v| format!("{v}%")),
            ));
            values.push(v);
        }
        let change = match values.as_slice() {
            [.., Some(before), Some(now)] => change_text(before, now),
            [.., _, _]
                if inputs
                    .series
                    .iter()
                    .rev()
                    .take(2)
                    .any(|(p, _)| disclosure.hides_trend(*p, id)) =>
            {
                SUPPRESSED.to_string()
            }
            _ => "[x]".to_string(),
        };
        row.push(Cell::num(change));
        table.rows.push(row);
    }
    table
}

/// "up 2.5 points", "down 0.4 points" or "no change", from two one-decimal percentages.
fn change_text(before: &str, now: &str) -> String {
    let tenths = |s: &str| -> i64 { s.replace('.', "").parse().unwrap_or(0) };
    let d = tenths(now) - tenths(before);
    let size = format!("{}.{}", d.abs() / 10, d.abs() % 10);
    match d.signum() {
        1 => format!("up {size} points"),
        -1 => format!("down {size} points"),
        _ => "no change".to_string(),
    }
}

fn critical(inputs: &Inputs, facts: &Facts) -> TableModel {
    let critical: BTreeMap<&str, &str> = inputs
        .basis
        .catalogue
        .standards
        .iter()
        .filter(|s| s.standard.critical)
        .map(|s| (s.standard.id.as_str(), s.standard.title.as_str()))
        .collect();
    let mut failing: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for o in &inputs.basis.assessment.outcomes {
        if o.outcome == Outcome::NotMet && critical.contains_key(o.standard_id.as_str()) {
            failing.entry(&o.org_code).or_default().push(&o.standard_id);
        }
    }
    let mut table = TableModel::new(
        "critical",
        format!(
            "Organisations not meeting a critical standard ({} of {} that made a return)",
            failing.len(),
            facts.submitted
        ),
        vec![
            Cell::text("Organisation"),
            Cell::text("Code"),
            Cell::text("Type"),
            Cell::text("Region"),
            Cell::text("Critical standards not met"),
        ],
    )
    .when_empty("Every organisation that made a return met its critical standards.");
    for (code, standards) in failing {
        let Some(org) = inputs.basis.orgs.get(code) else {
            continue;
        };
        let mut row = Vec::from(facts.named(inputs, org));
        row.push(Cell::text(standards.join(", ")));
        table.rows.push(row);
    }
    table
}

fn non_response(inputs: &Inputs, facts: &Facts) -> TableModel {
    let mut table = TableModel::new(
        "non-response",
        "Organisations that made no return, by region and type",
        vec![
            Cell::text("Group"),
            Cell::num("Organisations"),
            Cell::num("Returns used"),
            Cell::num("Only rejected files"),
            Cell::num("Sent nothing"),
            Cell::num("Percentage responding"),
        ],
    );
    for row in &inputs.insights.non_response {
        let name = match row.group_kind {
            GroupKind::National => "England".to_string(),
            GroupKind::Region => facts.region_name(&row.group_code),
            GroupKind::OrgType => inputs
                .basis
                .contract
                .dictionary
                .org_types
                .label(&row.group_code)
                .to_string(),
        };
        table.rows.push(vec![
            Cell::text(name),
            Cell::num(row.orgs.to_string()),
            Cell::num(row.submitted.to_string()),
            Cell::num(row.only_rejected.to_string()),
            Cell::num(row.sent_nothing().to_string()),
            Cell::num(format!("{}%", pct(row.submitted, row.orgs))),
        ]);
    }
    table
}

fn non_submitters(inputs: &Inputs, facts: &Facts) -> TableModel {
    let senders = crate::aggregate::insights::senders(inputs.basis.validated, inputs.basis.orgs);
    let mut table = TableModel::new(
        "non-submitters",
        "Organisations without a return used: those whose files were all rejected (see their pages for what to correct), and those that sent nothing",
        vec![
            Cell::text("Organisation"),
            Cell::text("Code"),
            Cell::text("Type"),
            Cell::text("Region"),
            Cell::text("What arrived"),
        ],
    )
    .when_empty("Every organisation made a return that was used.");
    for row in inputs
        .basis
        .assessment
        .status
        .iter()
        .filter(|s| s.status == Status::NotSubmitted)
    {
        let Some(org) = inputs.basis.orgs.get(&row.org_code) else {
            continue;
        };
        let mut row = Vec::from(facts.named(inputs, org));
        row.push(Cell::text(if senders.contains(&org.org_code) {
            "only rejected files"
        } else {
            "nothing"
        }));
        table.rows.push(row);
    }
    // Rejected first: those are the ones to chase with a correction.
    table
        .rows
        .sort_by_key(|row| row.last().is_some_and(|c| c.text == "nothing"));
    table
}

/// Data-quality indicators in words.
pub fn data_quality(inputs: &Inputs) -> TableModel {
    let mut table = TableModel::new(
        "data-quality",
        "Quality of the returns and inventories received",
        vec![
            Cell::text("Indicator"),
            Cell::num("Count"),
            Cell::num("Out of"),
            Cell::num("Percentage"),
        ],
    );
    for row in &inputs.insights.data_quality {
        let label = match row.indicator {
            "returns_received" => "Returns received",
            "returns_rejected" => "Returns rejected (quarantined)",
            "returns_late" => "Returns made after the deadline",
            "returns_with_measure_errors" => "Returns with a rejected measure",
            "inventories_used" => "Returns backed by a device inventory",
            "inventories_with_discrepancy" => "Inventories disagreeing with the return",
            other => other,
        };
        table.rows.push(vec![
            Cell::text(label),
            Cell::num(row.count.to_string()),
            Cell::num(row.base.to_string()),
            Cell::num(if row.base_description.is_empty() {
                "[z]".into()
            } else {
                format!("{}%", pct(row.count, row.base))
            }),
        ]);
    }
    table
}

fn risk(inputs: &Inputs, facts: &Facts) -> TableModel {
    let mut table = TableModel::new(
        "risk",
        "Where the risks WannaCry exploited concentrate",
        vec![
            Cell::text("Organisation"),
            Cell::text("Type"),
            Cell::text("Region"),
            Cell::text("Risk"),
            Cell::text("Detail"),
        ],
    )
    .when_empty("No organisation shows these risks.");
    for row in &inputs.insights.risks {
        let Some(org) = inputs.basis.orgs.get(&row.org_code) else {
            continue;
        };
        let risk = inputs
            .basis
            .contract
            .insights
            .risk
            .iter()
            .find(|r| r.id == row.risk)
            .map_or(row.risk.as_str(), |r| r.label.as_str());
        let [name, _code, org_type, region] = facts.named(inputs, org);
        table.rows.push(vec![
            name,
            org_type,
            region,
            Cell::text(risk.to_string()),
            Cell::text(row.detail.clone()),
        ]);
    }
    table
}

/// What the "What changed" section says before its table.
fn changes_note(inputs: &Inputs) -> String {
    use crate::aggregate::changes::{Against, ChangeKind};
    let count = |against, kind| {
        inputs
            .changes
            .iter()
            .filter(|c| c.against == against && c.kind == kind)
            .count()
    };
    let period = inputs.basis.period;
    let rerun = match (
        count(Against::LastRun, ChangeKind::File),
        count(Against::LastRun, ChangeKind::Status),
        count(Against::LastRun, ChangeKind::Outcome),
    ) {
        (0, 0, 0) => format!("Nothing changed since the last run of {period}, if there was one."),
        (files, statuses, outcomes) => format!(
            "Since the last run of {period}: {files} files newly used, set aside or gone, {statuses} organisations changed status and {outcomes} outcomes changed."
        ),
    };
    format!(
        "{rerun} Since {}: {} organisations changed status (listed in tables/changes.csv).",
        period.previous(),
        count(Against::PreviousPeriod, ChangeKind::Status)
    )
}

/// The changes since the last run of the period, one row each.
fn changes(inputs: &Inputs) -> TableModel {
    use crate::aggregate::changes::Against;
    let mut table = TableModel::new(
        "changes-table",
        "Changes since the last run of this period",
        vec![
            Cell::text("What"),
            Cell::text("File or organisation"),
            Cell::text("Standard"),
            Cell::text("Before"),
            Cell::text("Now"),
        ],
    )
    .when_empty("No change since the last run of this period.");
    let shown = |text: &str| {
        if text.is_empty() {
            "(none)".to_string()
        } else {
            text.replace('_', " ")
        }
    };
    for c in inputs
        .changes
        .iter()
        .filter(|c| c.against == Against::LastRun)
    {
        table.rows.push(vec![
            Cell::text(c.kind.as_str()),
            Cell::text(c.subject.clone()),
            Cell::text(c.item.clone()),
            Cell::text(shown(&c.before)),
            Cell::text(shown(&c.after)),
        ]);
    }
    table
}

/// How the share of responding organisations meeting the standards moved since the previous
/// published period, when there is one (a national figure, hidden when it covers fewer
/// organisations than disclosure control allows).
fn headline_trend(inputs: &Inputs) -> Option<String> {
    let min_group = inputs.basis.contract.dictionary.min_group;
    let [.., (before_period, before), (_, now)] = inputs.series else {
        return None;
    };
    let share = |figures: &crate::aggregate::PeriodFigures| {
        let met = figures.status.get(Status::StandardsMet.as_str()).copied()?;
        let responding: u64 = figures
            .status
            .iter()
            .filter(|(status, _)| status.as_str() != Status::NotSubmitted.as_str())
            .map(|(_, n)| n)
            .sum();
        (responding >= min_group).then(|| (met * 1000 / responding.max(1), responding))
    };
    let ((now_share, _), (before_share, _)) = (share(now)?, share(before)?);
    let shown = |tenths: u64| format!("{}.{}%", tenths / 10, tenths % 10);
    let moved = match now_share.cmp(&before_share) {
        std::cmp::Ordering::Greater => "rose",
        std::cmp::Ordering::Less => "fell",
        std::cmp::Ordering::Equal => "was unchanged",
    };
    Some(format!(
        "The share of responding organisations meeting the standards {moved}: {} in {}, {} in {}.",
        shown(before_share),
        super::model::period_label(*before_period),
        shown(now_share),
        super::model::period_label(inputs.basis.period)
    ))
}

//! `reports/public.html` and its downloads (`reports/public/*.csv`): the national picture at
//! region and type level only, for publication (OFFICIAL). No organisation is named, and
//! every group of fewer than five organisations is shown as `[c]`, with secondary suppression
//! so that no hidden figure can be recovered from the totals (see [`super::disclosure`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::disclosure::{self, Disclosure, Grid, NATIONAL};
use super::facts::{Facts, Group, gap};
use super::model::{Cell, Chart, Page, TableModel, period_label, status_label};
use super::{Inputs, KeyFigure, national};
use crate::aggregate::GroupKind;
use crate::assess::Status;
use crate::format::pct;
use crate::period::Period;
use crate::table::CsvTable;

pub use super::disclosure::SUPPRESSED;
pub const NOT_APPLICABLE: &str = "[z]";

#[derive(Debug, Serialize)]
pub struct Public {
    pub page: Page,
    pub headline: Vec<String>,
    pub key_figures: Vec<KeyFigure>,
    pub status_chart: Chart,
    pub standards_chart: Chart,
    pub status_by_region: TableModel,
    pub by_region: TableModel,
    pub by_type: TableModel,
    pub response: TableModel,
    pub trends: Option<Chart>,
    pub trends_table: TableModel,
    pub data_quality: TableModel,
    pub downloads: Vec<Download>,
    pub min_group: u64,
    /// Set when this release replaces one published earlier for the period.
    pub revision: Option<Revision>,
    pub release: Release,
    pub plans: super::plans::PublicPlans,
}

/// The release as a statistical release states it: its pre-announced date, when its returns
/// were due, the next release, and who to contact.
#[derive(Debug, Serialize)]
pub struct Release {
    pub date: String,
    pub due: String,
    pub next_period: String,
    pub next_due: String,
    pub next_date: String,
    pub publisher: String,
    pub contact: String,
}

/// A revision note, as statistics producers put at the top of a revised release.
#[derive(Debug, Serialize)]
pub struct Revision {
    pub date: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Download {
    pub href: String,
    pub title: String,
    pub rows: usize,
}

/// The public report's model and its CSV downloads (file name under `public/`, bytes).
pub fn build(inputs: &Inputs, facts: &Facts, page: Page) -> (Public, Vec<(String, Vec<u8>)>) {
    let period = inputs.basis.period.to_string();
    let codes = |groups: &[Group]| groups.iter().map(|g| g.code.clone()).collect::<Vec<_>>();
    let (regions, types) = (codes(&facts.regions), codes(&facts.types));
    // One decision for every figure of the page and its downloads.
    let disclosure = Disclosure::public(
        inputs.gaps,
        inputs.series,
        [(GroupKind::Region, &regions), (GroupKind::OrgType, &types)],
        inputs.basis.contract.dictionary.min_group,
    );
    let mut files = Vec::new();
    let (status_by_region, csv) = status_by_region(inputs, facts, &period);
    files.push((
        "status_by_region.csv",
        "Organisations by status and region",
        csv,
    ));
    let (by_region, by_type, csv) = standards_by_group(inputs, facts, &disclosure, &period);
    files.push((
        "standards_by_group.csv",
        "Organisations meeting each standard, by region and by type",
        csv,
    ));
    let (response, csv) = response(inputs, facts, &period);
    files.push(("response.csv", "Returns made, by region and type", csv));
    files.push((
        "trends.csv",
        "Organisations meeting each standard, England, by period",
        trends_csv(inputs, &disclosure),
    ));
    let downloads = files
        .iter()
        .map(|(name, title, (_, rows))| Download {
            href: format!("public/{name}"),
            title: title.to_string(),
            rows: *rows,
        })
        .collect();
    let model = Public {
        headline: national::headline(inputs, facts, &disclosure)
            .into_iter()
            .take(3)
            .filter(|line| !line.contains("did not make a return"))
            .chain(std::iter::once(format!(
                "{} of {} organisations ({}%) made a return.",
                facts.submitted,
                facts.organisations,
                pct(facts.submitted, facts.organisations)
            )))
            .collect(),
        key_figures: national::key_figures(facts),
        status_chart: national::status_chart(facts),
        standards_chart: national::standards_chart(inputs, &disclosure),
        status_by_region,
        by_region,
        by_type,
        response,
        trends: national::trends_chart(inputs, &disclosure),
        trends_table: national::trends_table(inputs, &disclosure),
        data_quality: national::data_quality(inputs),
        downloads,
        min_group: inputs.basis.contract.dictionary.min_group,
        revision: revision(inputs),
        release: release(inputs),
        plans: super::plans::public(inputs, facts),
        page,
    };
    let files = files
        .into_iter()
        .map(|(name, _, (bytes, _))| (format!("public/{name}"), bytes))
        .collect();
    (model, files)
}

/// Hides the groups of one line whose last size is the line's total.
fn hide_line(sizes: Vec<u64>, min_group: u64) -> Vec<bool> {
    disclosure::suppress(&Grid {
        sizes: vec![sizes],
        min_group,
        row_totals: true,
        column_totals: false,
    })
    .remove(0)
}

fn shown(hidden: bool, text: String) -> String {
    if hidden { SUPPRESSED.to_string() } else { text }
}

fn status_by_region(
    inputs: &Inputs,
    facts: &Facts,
    period: &str,
) -> (TableModel, (Vec<u8>, usize)) {
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
    let size = |c: Option<&BTreeMap<Status, u64>>| c.map_or(0, |c| c.values().sum::<u64>());
    let mut sizes: Vec<u64> = facts
        .regions
        .iter()
        .map(|r| size(counts.get(r.code.as_str())))
        .collect();
    sizes.push(facts.organisations);
    let hidden = hide_line(sizes, inputs.basis.contract.dictionary.min_group);

    let mut head = vec![Cell::text("Region")];
    head.extend(Status::ALL.iter().map(|s| Cell::num(status_label(*s))));
    head.push(Cell::num("Organisations"));
    let mut table = TableModel::new(
        "status-by-region",
        "Organisations by status and region",
        head,
    );
    let mut columns = vec!["period", "region_code", "region_name"];
    columns.extend(Status::ALL.iter().map(|s| s.as_str()));
    columns.push("organisations");
    let mut csv = CsvTable::new(&columns);
    let national = Group {
        code: NATIONAL.into(),
        name: "England".into(),
    };
    let mut rows = 0;
    for (i, region) in facts
        .regions
        .iter()
        .chain(std::iter::once(&national))
        .enumerate()
    {
        let c = if region.code == NATIONAL {
            Some(&facts.status)
        } else {
            counts.get(region.code.as_str())
        };
        let total = size(c);
        let mut cells = vec![Cell::text(region.name.clone())];
        let mut record = vec![period.to_string(), region.code.clone(), region.name.clone()];
        for s in Status::ALL {
            let n = c.and_then(|c| c.get(&s)).copied().unwrap_or(0);
            let text = shown(hidden[i], n.to_string());
            cells.push(Cell::num(text.clone()));
            record.push(text);
        }
        let text = shown(hidden[i], total.to_string());
        cells.push(Cell::num(text.clone()));
        record.push(text);
        table.rows.push(cells);
        csv.row(&record);
        rows += 1;
    }
    (table, (csv.into_bytes(), rows))
}

/// Standards by region and by type: the tables for the page and one CSV with both.
fn standards_by_group(
    inputs: &Inputs,
    facts: &Facts,
    disclosure: &Disclosure,
    period: &str,
) -> (TableModel, TableModel, (Vec<u8>, usize)) {
    let mut csv = CsvTable::new(&[
        "period",
        "standard_id",
        "group_kind",
        "group_code",
        "group_name",
        "orgs",
        "met",
        "partially_met",
        "not_met",
        "not_assessed",
        "pct_met",
    ]);
    let mut rows = 0;
    let mut tables = Vec::new();
    for (kind, groups, what) in [
        (GroupKind::Region, &facts.regions, "region"),
        (GroupKind::OrgType, &facts.types, "organisation type"),
    ] {
        let mut head = vec![Cell::text("Standard")];
        head.extend(groups.iter().map(|g| Cell::num(g.name.clone())));
        head.push(Cell::num("England"));
        let mut table = TableModel::new(
            format!("by-{}", kind.as_str()),
            format!(
                "Percentage of organisations meeting each standard, by {what} (organisations assessed in brackets)"
            ),
            head,
        );
        for s in &inputs.basis.catalogue.standards {
            let id = &s.standard.id;
            let national = gap(inputs.gaps, id, GroupKind::National, NATIONAL);
            let mut cells: Vec<_> = groups
                .iter()
                .map(|g| (g, gap(inputs.gaps, id, kind, &g.code)))
                .collect();
            let england = Group {
                code: NATIONAL.into(),
                name: "England".into(),
            };
            cells.push((&england, national));
            let hidden: Vec<bool> = cells
                .iter()
                .map(|(group, _)| match group.code.as_str() {
                    NATIONAL => disclosure.hides(id, GroupKind::National, NATIONAL),
                    code => disclosure.hides(id, kind, code),
                })
                .collect();
            let mut row = vec![Cell::text(id.clone())];
            for (i, (group, g)) in cells.iter().enumerate() {
                let Some(g) = g else {
                    row.push(Cell::num(NOT_APPLICABLE));
                    continue;
                };
                row.push(if hidden[i] {
                    Cell::num(SUPPRESSED)
                } else {
                    Cell::share(&g.pct_met(), g.orgs)
                });
                let (group_kind, group_code) = if group.code == NATIONAL {
                    (GroupKind::National, NATIONAL)
                } else {
                    (kind, group.code.as_str())
                };
                if group_kind == GroupKind::National && kind != GroupKind::Region {
                    continue; // the national row is written once, with the regions
                }
                let figures = [g.orgs, g.met, g.partially_met, g.not_met, g.not_assessed];
                let mut record = vec![
                    period.to_string(),
                    id.clone(),
                    group_kind.as_str().to_string(),
                    group_code.to_string(),
                    group.name.clone(),
                ];
                record.extend(figures.iter().map(|n| shown(hidden[i], n.to_string())));
                record.push(shown(hidden[i], g.pct_met()));
                csv.row(&record);
                rows += 1;
            }
            table.rows.push(row);
        }
        tables.push(table);
    }
    let by_type = tables.pop().expect("two tables");
    let by_region = tables.pop().expect("two tables");
    (by_region, by_type, (csv.into_bytes(), rows))
}

/// Returns made by region (rows) and type (columns), with both margins: a cross table, so
/// suppression runs over rows and columns together.
fn response(inputs: &Inputs, facts: &Facts, period: &str) -> (TableModel, (Vec<u8>, usize)) {
    let r = facts.regions.len();
    let t = facts.types.len();
    // (orgs, submitted) for every cell, with the totals in the last row and column.
    let mut cells = vec![vec![(0u64, 0u64); t + 1]; r + 1];
    for row in &inputs.basis.assessment.status {
        let Some(org) = inputs.basis.orgs.get(&row.org_code) else {
            continue;
        };
        let (Some(i), Some(j)) = (
            facts.regions.iter().position(|g| g.code == org.region_code),
            facts.types.iter().position(|g| g.code == org.org_type),
        ) else {
            continue;
        };
        let submitted = u64::from(row.status != Status::NotSubmitted);
        for (a, b) in [(i, j), (i, t), (r, j), (r, t)] {
            cells[a][b].0 += 1;
            cells[a][b].1 += submitted;
        }
    }
    let hidden = disclosure::suppress(&Grid {
        sizes: cells
            .iter()
            .map(|row| row.iter().map(|c| c.0).collect())
            .collect(),
        min_group: inputs.basis.contract.dictionary.min_group,
        row_totals: true,
        column_totals: true,
    });
    let mut head = vec![Cell::text("Region")];
    head.extend(facts.types.iter().map(|g| Cell::num(g.name.clone())));
    head.push(Cell::num("All types"));
    let mut table = TableModel::new(
        "response",
        "Returns made, by region and organisation type (organisations in brackets)",
        head,
    );
    let mut csv = CsvTable::new(&[
        "period",
        "region_code",
        "region_name",
        "org_type",
        "org_type_name",
        "orgs",
        "submitted",
        "pct_submitted",
    ]);
    let all_types = Group {
        code: "all".into(),
        name: "All types".into(),
    };
    let england = Group {
        code: NATIONAL.into(),
        name: "England".into(),
    };
    let mut rows = 0;
    for (a, region) in facts
        .regions
        .iter()
        .chain(std::iter::once(&england))
        .enumerate()
    {
        let mut row = vec![Cell::text(region.name.clone())];
        for (b, org_type) in facts
            .types
            .iter()
            .chain(std::iter::once(&all_types))
            .enumerate()
        {
            let (orgs, submitted) = cells[a][b];
            let h = hidden[a][b];
            row.push(Cell::num(if orgs == 0 {
                NOT_APPLICABLE.to_string()
            } else {
                shown(h, format!("{submitted} ({orgs})"))
            }));
            csv.row([
                period.to_string(),
                region.code.clone(),
                region.name.clone(),
                org_type.code.clone(),
                org_type.name.clone(),
                shown(h, orgs.to_string()),
                shown(h, submitted.to_string()),
                if orgs == 0 {
                    NOT_APPLICABLE.to_string()
                } else {
                    shown(h, pct(submitted, orgs))
                },
            ]);
            rows += 1;
        }
        table.rows.push(row);
    }
    (table, (csv.into_bytes(), rows))
}

fn trends_csv(inputs: &Inputs, disclosure: &Disclosure) -> (Vec<u8>, usize) {
    let mut csv = CsvTable::new(&["period", "standard_id", "orgs", "met", "pct_met"]);
    let mut rows = 0;
    for (period, figures) in inputs.series {
        for s in &inputs.basis.catalogue.standards {
            if let Some((orgs, met)) = figures.standards.get(&s.standard.id) {
                if disclosure.hides_trend(*period, &s.standard.id) {
                    csv.row([
                        period.to_string(),
                        s.standard.id.clone(),
                        SUPPRESSED.into(),
                        SUPPRESSED.into(),
                        SUPPRESSED.into(),
                    ]);
                    rows += 1;
                    continue;
                }
                csv.row([
                    period.to_string(),
                    s.standard.id.clone(),
                    orgs.to_string(),
                    met.to_string(),
                    pct(*met, *orgs),
                ]);
                rows += 1;
            }
        }
    }
    (csv.into_bytes(), rows)
}

/// The revision note, when this run changed any organisation's status or outcome since the
/// release published before it for the period (counts only: no organisation is named).
fn revision(inputs: &Inputs) -> Option<Revision> {
    use crate::aggregate::changes::{Against, ChangeKind};
    let revised = |kind| {
        let mut orgs: Vec<&str> = inputs
            .changes
            .iter()
            .filter(|c| c.against == Against::LastRun && c.kind == kind)
            .map(|c| c.subject.as_str())
            .collect();
        orgs.dedup();
        orgs.len()
    };
    let (statuses, outcomes) = (revised(ChangeKind::Status), revised(ChangeKind::Outcome));
    (statuses + outcomes > 0).then(|| Revision {
        date: inputs.today.format("%-d %B %Y").to_string(),
        text: format!(
            "This release replaces the one published earlier for {}, after returns were corrected or sent late: the status of {statuses} organisation{} and the outcomes of {outcomes} organisation{} changed, and every figure below includes them.",
            period_label(inputs.basis.period),
            if statuses == 1 { "" } else { "s" },
            if outcomes == 1 { "" } else { "s" },
        ),
    })
}

fn release(inputs: &Inputs) -> Release {
    let dictionary = &inputs.basis.contract.dictionary;
    let publication = &dictionary.publication;
    let long = "%-d %B %Y";
    let due = |p: Period| p.deadline(dictionary.due_day).format(long).to_string();
    let published = |p: Period| {
        p.day_of_following_month(publication.release_day_of_following_month)
            .format(long)
            .to_string()
    };
    let next = inputs.basis.period.next();
    Release {
        date: published(inputs.basis.period),
        due: due(inputs.basis.period),
        next_period: period_label(next),
        next_due: due(next),
        next_date: published(next),
        publisher: publication.publisher.clone(),
        contact: publication.contact.clone(),
    }
}

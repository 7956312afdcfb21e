//! The figures the reports need beyond the gaps, computed once per run: trends across the
//! periods already published (their figures handed in by the run), non-response, data quality, the concentration of
//! the risks WannaCry exploited, and compliance against reported spend.

use std::collections::BTreeMap;

use super::{GapRow, GroupKind};
use crate::assess::{Assessment, Outcome, Status};
use crate::contract::{Code, Contract, Organisations, Severity};
pub use crate::format::pct;
use crate::period::Period;
use crate::table::Table;
use crate::validate::{Submission, Validated, Value};

/// National figures of one period, as published (`figures.json` of its run).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PeriodFigures {
    /// standard id -> (organisations assessed, met)
    pub standards: BTreeMap<String, (u64, u64)>,
    /// status -> organisations
    pub status: BTreeMap<String, u64>,
}

impl PeriodFigures {
    pub fn of_run(gaps: &[GapRow], assessment: &Assessment) -> Self {
        let mut figures = PeriodFigures::default();
        for g in gaps
            .iter()
            .filter(|g| g.group_kind == super::GroupKind::National)
        {
            figures
                .standards
                .insert(g.standard_id.clone(), (g.orgs, g.met));
        }
        for s in Status::ALL {
            let n = assessment.status.iter().filter(|r| r.status == s).count() as u64;
            figures.status.insert(s.as_str().to_string(), n);
        }
        figures
    }
}

/// `tables/trends.csv`: per period, every standard's national share met and every status's
/// count, with the signed change in percentage points from the period before it.
pub fn trends_table(series: &[(Period, PeriodFigures)]) -> Table {
    let mut rows = Vec::new();
    let mut previous: Option<&PeriodFigures> = None;
    for (period, figures) in series {
        for (id, (orgs, met)) in &figures.standards {
            let now = pct(*met, *orgs);
            let change = previous
                .and_then(|p| p.standards.get(id))
                .map(|(o, m)| change(&now, &pct(*m, *o)))
                .unwrap_or_default();
            rows.push(vec![
                period.to_string(),
                "standard".into(),
                id.clone(),
                orgs.to_string(),
                met.to_string(),
                now,
                change,
            ]);
        }
        let total: u64 = figures.status.values().sum();
        for (status, n) in &figures.status {
            let now = pct(*n, total);
            let change = previous
                .and_then(|p| Some((p.status.get(status)?, p.status.values().sum::<u64>())))
                .map(|(m, o)| change(&now, &pct(*m, o)))
                .unwrap_or_default();
            rows.push(vec![
                period.to_string(),
                "status".into(),
                status.clone(),
                total.to_string(),
                n.to_string(),
                now,
                change,
            ]);
        }
        previous = Some(figures);
    }
    Table {
        columns: vec![
            "period",
            "kind",
            "item",
            "orgs",
            "count",
            "pct",
            "change_pct_points",
        ],
        rows,
    }
}

/// The difference of two one-decimal percentages in percentage points, signed: `2.5`,
/// `-2.5`, `0.0`. In Parquet it is a number; the CSV keeps its text form, where SPEC's
/// formula-injection rule prefixes a negative one with `'`.
fn change(now: &str, before: &str) -> String {
    let tenths = |s: &str| -> Option<i64> {
        let (w, f) = s.split_once('.')?;
        Some(w.parse::<i64>().ok()? * 10 + f.parse::<i64>().ok()?)
    };
    match (tenths(now), tenths(before)) {
        (Some(a), Some(b)) => {
            let d = a - b;
            let sign = if d < 0 { "-" } else { "" };
            format!("{sign}{}.{}", d.abs() / 10, d.abs() % 10)
        }
        _ => String::new(),
    }
}

/// Organisations expected in a group, how many made a return that was used, and of the rest
/// how many sent only files that were rejected (a different thing to chase from silence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonResponse {
    pub group_kind: GroupKind,
    pub group_code: String,
    pub orgs: u64,
    pub submitted: u64,
    /// Without a return used, but with at least one file named for them this period.
    pub only_rejected: u64,
}

impl NonResponse {
    /// Organisations that sent nothing at all.
    pub fn sent_nothing(&self) -> u64 {
        self.orgs - self.submitted - self.only_rejected
    }
}

/// The organisations (reference spelling) with at least one file named for them this period.
pub fn senders(validated: &Validated, orgs: &Organisations) -> std::collections::BTreeSet<String> {
    validated
        .files
        .iter()
        .filter_map(|f| crate::ingest::names::recognise(crate::ingest::names::base_name(&f.file)))
        .filter_map(|name| orgs.get(&name.org_code))
        .map(|org| org.org_code.clone())
        .collect()
}

/// Non-response nationally, by region and by type, in that order, codes sorted.
pub fn non_response(
    assessment: &Assessment,
    orgs: &Organisations,
    validated: &Validated,
) -> Vec<NonResponse> {
    let senders = senders(validated, orgs);
    let mut groups: BTreeMap<(GroupKind, String), [u64; 3]> = BTreeMap::new();
    for s in &assessment.status {
        let Some(org) = orgs.get(&s.org_code) else {
            continue;
        };
        let submitted = s.status != Status::NotSubmitted;
        let only_rejected = !submitted && senders.contains(&org.org_code);
        for key in [
            (GroupKind::National, super::NATIONAL.to_string()),
            (GroupKind::Region, org.region_code.clone()),
            (GroupKind::OrgType, org.org_type.clone()),
        ] {
            let entry = groups.entry(key).or_default();
            entry[0] += 1;
            entry[1] += u64::from(submitted);
            entry[2] += u64::from(only_rejected);
        }
    }
    groups
        .into_iter()
        .map(
            |((group_kind, group_code), [orgs, submitted, only_rejected])| NonResponse {
                group_kind,
                group_code,
                orgs,
                submitted,
                only_rejected,
            },
        )
        .collect()
}

/// `tables/groups.csv`: the key to every group code the tables use (regions and organisation
/// types), with its name as the reports show it and the organisations of the reference table
/// in it, so a table of codes can be read, or joined, without the reference file.
pub fn groups_table(orgs: &Organisations, contract: &Contract) -> Table {
    let mut regions: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
    let mut types: BTreeMap<&str, u64> = BTreeMap::new();
    for org in orgs.iter() {
        regions
            .entry(&org.region_code)
            .or_insert((&org.region_name, 0))
            .1 += 1;
        *types.entry(&org.org_type).or_default() += 1;
    }
    let labels = &contract.dictionary.org_types;
    let row = |kind: GroupKind, code: &str, name: &str, n: u64| {
        vec![
            kind.as_str().to_string(),
            code.to_string(),
            name.to_string(),
            n.to_string(),
        ]
    };
    let rows = regions
        .iter()
        .map(|(code, (name, n))| row(GroupKind::Region, code, name, *n))
        .chain(
            types
                .iter()
                .map(|(code, n)| row(GroupKind::OrgType, code, labels.label(code), *n)),
        )
        .collect();
    Table {
        columns: vec!["group_kind", "group_code", "group_name", "orgs"],
        rows,
    }
}

/// `tables/non_response.csv`: organisations expected, with a return used and without; of those
/// without, the ones whose files were all rejected and the ones that sent nothing.
pub fn non_response_table(period: Period, rows: &[NonResponse]) -> Table {
    Table {
        columns: vec![
            "period",
            "group_kind",
            "group_code",
            "orgs",
            "submitted",
            "not_submitted",
            "only_rejected",
            "sent_nothing",
            "pct_submitted",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    period.to_string(),
                    r.group_kind.as_str().to_string(),
                    r.group_code.clone(),
                    r.orgs.to_string(),
                    r.submitted.to_string(),
                    (r.orgs - r.submitted).to_string(),
                    r.only_rejected.to_string(),
                    r.sent_nothing().to_string(),
                    pct(r.submitted, r.orgs),
                ]
            })
            .collect(),
    }
}

/// One indicator of how clean the period's submissions were: a count out of a base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityIndicator {
    pub indicator: &'static str,
    pub count: u64,
    pub base: u64,
    /// What the base is; empty when the count is not a share of anything.
    pub base_description: &'static str,
}

/// How clean the period's submissions were.
pub fn data_quality(validated: &Validated) -> Vec<QualityIndicator> {
    // The same counts as the run summary and the manifest.
    let returns = crate::validate::FileCounts::of(&validated.files, Submission::Return);
    let (received, rejected) = (returns.received as u64, returns.rejected as u64);
    let accepted = validated.returns.len() as u64;
    let late = validated.returns.iter().filter(|r| r.late).count() as u64;
    let with_inventory = validated.inventories.len() as u64;
    let orgs_with = |code: Code| {
        let mut orgs: Vec<&str> = validated
            .issues
            .iter()
            .filter(|i| i.code == code)
            .map(|i| i.org_code.as_str())
            .collect();
        orgs.sort();
        orgs.dedup();
        orgs.len() as u64
    };
    let discrepant = orgs_with(Code::Discrepancy);
    let used_files: std::collections::BTreeSet<&str> =
        validated.returns.iter().map(|r| r.file.as_str()).collect();
    let with_errors = {
        let mut orgs: Vec<&str> = validated
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Error && used_files.contains(i.file.as_str()))
            .map(|i| i.org_code.as_str())
            .collect();
        orgs.sort();
        orgs.dedup();
        orgs.len() as u64
    };
    let rows = [
        ("returns_received", received, received, ""),
        (
            "returns_rejected",
            rejected,
            received,
            "of returns received",
        ),
        ("returns_late", late, accepted, "of returns accepted"),
        (
            "returns_with_measure_errors",
            with_errors,
            accepted,
            "of returns accepted",
        ),
        (
            "inventories_used",
            with_inventory,
            accepted,
            "of returns accepted",
        ),
        (
            "inventories_with_discrepancy",
            discrepant,
            with_inventory,
            "of inventories used",
        ),
    ];
    rows.iter()
        .map(
            |&(indicator, count, base, base_description)| QualityIndicator {
                indicator,
                count,
                base,
                base_description,
            },
        )
        .collect()
}

/// `tables/data_quality.csv`.
pub fn data_quality_table(period: Period, rows: &[QualityIndicator]) -> Table {
    Table {
        columns: vec![
            "period",
            "indicator",
            "count",
            "base",
            "pct",
            "base_description",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    period.to_string(),
                    r.indicator.to_string(),
                    r.count.to_string(),
                    r.base.to_string(),
                    if r.base_description.is_empty() {
                        String::new()
                    } else {
                        pct(r.count, r.base)
                    },
                    r.base_description.to_string(),
                ]
            })
            .collect(),
    }
}

/// The organisations where the WannaCry risks concentrate (`tables/risk.csv`), as
/// `schemas/insights.toml` declares the risks (unsupported medical devices not all isolated,
/// both patching and unsupported systems not met). Names organisations: for national bodies
/// only, never the public report.
pub fn risks(
    validated: &Validated,
    assessment: &Assessment,
    contract: &Contract,
    derived: &super::super::assess::evidence::Derived,
) -> Vec<RiskRow> {
    let mut rows = Vec::new();
    let returns: BTreeMap<&str, &crate::validate::AcceptedReturn> = validated
        .returns
        .iter()
        .map(|r| (r.org_code.as_str(), r))
        .collect();
    let outcomes: BTreeMap<(&str, &str), Outcome> = assessment
        .outcomes
        .iter()
        .map(|o| ((o.org_code.as_str(), o.standard_id.as_str()), o.outcome))
        .collect();
    let count = |org: &str, measure: &str| -> Option<u64> {
        match derived.get(org) {
            Some(d) if d.contains_key(measure) => d.get(measure).copied().flatten(),
            _ => returns
                .get(org)?
                .measures
                .values
                .get(measure)
                .and_then(|v| v.as_count()),
        }
    };
    for ret in &validated.returns {
        let org = ret.org_code.as_str();
        for risk in &contract.insights.risk {
            let detail = match (&risk.whole, &risk.part) {
                (Some(whole), Some(part)) => match (count(org, whole), count(org, part)) {
                    (Some(w), Some(p)) if w > p => Some(
                        risk.detail
                            .replace("{gap}", &(w - p).to_string())
                            .replace("{whole}", &w.to_string()),
                    ),
                    _ => None,
                },
                _ => risk
                    .not_met
                    .iter()
                    .all(|id| outcomes.get(&(org, id.as_str())) == Some(&Outcome::NotMet))
                    .then(|| risk.detail.clone()),
            };
            if let Some(detail) = detail {
                rows.push(RiskRow {
                    org_code: org.to_string(),
                    risk: risk.id.clone(),
                    detail,
                });
            }
        }
    }
    rows
}

/// One organisation where one of the risks concentrates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskRow {
    pub org_code: String,
    /// The risk's id in `schemas/insights.toml`.
    pub risk: String,
    pub detail: String,
}

/// `tables/risk.csv`, with each organisation's name, type and region.
pub fn risk_table(period: Period, rows: &[RiskRow], orgs: &Organisations) -> Table {
    let rows = rows
        .iter()
        .filter_map(|r| {
            let org = orgs.get(&r.org_code)?;
            Some(vec![
                period.to_string(),
                r.org_code.clone(),
                org.org_name.clone(),
                org.org_type.clone(),
                org.region_code.clone(),
                r.risk.clone(),
                r.detail.clone(),
            ])
        })
        .collect();
    Table {
        columns: vec![
            "period",
            "org_code",
            "org_name",
            "org_type",
            "region_code",
            "risk",
            "detail",
        ],
        rows,
    }
}

/// `tables/spend.csv`: reported spend per endpoint beside each organisation's status, for
/// organisations that reported spend (the measures of `schemas/insights.toml`'s `[spend]`).
pub fn spend_table(
    period: Period,
    validated: &Validated,
    assessment: &Assessment,
    contract: &Contract,
) -> Table {
    let spend = &contract.insights.spend;
    let status: BTreeMap<&str, &crate::assess::StatusRow> = assessment
        .status
        .iter()
        .map(|s| (s.org_code.as_str(), s))
        .collect();
    let per_unit = |value: Option<&Value>, units: Option<u64>| match (value, units) {
        (Some(Value::Money(m)), Some(u)) if u > 0 => format!("{:.2}", m / u as f64),
        _ => String::new(),
    };
    let rows = validated
        .returns
        .iter()
        .filter_map(|r| {
            let v = &r.measures.values;
            let values: Vec<Option<&Value>> =
                spend.column.iter().map(|c| v.get(&c.measure)).collect();
            if values.iter().all(Option::is_none) {
                return None;
            }
            let units = v.get(&spend.per).and_then(|e| e.as_count());
            let row_status = status.get(r.org_code.as_str());
            let mut row = vec![
                period.to_string(),
                r.org_code.clone(),
                units.map(|e| e.to_string()).unwrap_or_default(),
            ];
            row.extend(values.into_iter().map(|value| per_unit(value, units)));
            row.push(
                row_status
                    .map_or(0, |s| s.counts.get(&Outcome::Met).copied().unwrap_or(0))
                    .to_string(),
            );
            row.push(row_status.map_or("", |s| s.status.as_str()).to_string());
            Some(row)
        })
        .collect();
    Table {
        columns: spend.header.clone(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_signed_percentage_points() {
        let c = |a, b| change(a, b);
        assert_eq!(c("52.5", "50.0"), "2.5");
        assert_eq!(c("40.0", "42.5"), "-2.5");
        assert_eq!(c("40.0", "40.0"), "0.0");
        assert_eq!(c("0.4", "1.0"), "-0.6");
        assert_eq!(c("40.0", ""), "");
        assert_eq!(pct(1, 3), "33.3");
        assert_eq!(pct(0, 0), "");
    }
}

//! Aggregate: the sector-wide gaps by standard, nationally, by region and by organisation
//! type (`tables/gaps.*`), computed once with polars from the outcome rows.

pub mod changes;
pub mod insights;
pub mod plans;

pub use insights::{NonResponse, PeriodFigures, QualityIndicator, RiskRow};

/// The figures the reports draw on beyond the gaps, typed.
#[derive(Debug, Clone, Default)]
pub struct Insights {
    pub non_response: Vec<NonResponse>,
    pub data_quality: Vec<QualityIndicator>,
    pub risks: Vec<RiskRow>,
}

use polars::prelude::*;

use crate::assess::{Assessment, Outcome};
use crate::contract::Organisations;
use crate::table::Table;

/// The code of the national group (`group_code` of a national row).
pub const NATIONAL: &str = "national";

/// The kinds of group a gap row summarises, in the order rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupKind {
    National,
    Region,
    OrgType,
}

impl GroupKind {
    pub const ALL: [GroupKind; 3] = [GroupKind::National, GroupKind::Region, GroupKind::OrgType];

    /// As `tables/gaps.csv` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::National => "national",
            GroupKind::Region => "region",
            GroupKind::OrgType => "org_type",
        }
    }
}

/// One row of `tables/gaps.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapRow {
    pub standard_id: String,
    pub group_kind: GroupKind,
    pub group_code: String,
    pub orgs: u64,
    pub met: u64,
    pub partially_met: u64,
    pub not_met: u64,
    pub not_assessed: u64,
}

impl GapRow {
    /// 100 x met / orgs to one decimal, halves rounded up, in exact integer arithmetic.
    pub fn pct_met(&self) -> String {
        insights::pct(self.met, self.orgs)
    }
}

/// Gap rows for every standard and group with at least one organisation that submitted and
/// to which the standard applies; ordered by standard (catalogue order), kind, then code.
pub fn gaps(
    assessment: &Assessment,
    orgs: &Organisations,
    standard_order: &[String],
) -> PolarsResult<Vec<GapRow>> {
    let frame = outcome_frame(assessment, orgs)?;
    let mut out = Vec::new();
    for kind in GroupKind::ALL {
        out.extend(group_rows(&frame, kind)?);
    }
    let position = |id: &str| {
        standard_order
            .iter()
            .position(|s| s == id)
            .unwrap_or(usize::MAX)
    };
    out.sort_by(|a, b| {
        (position(&a.standard_id), a.group_kind, &a.group_code).cmp(&(
            position(&b.standard_id),
            b.group_kind,
            &b.group_code,
        ))
    });
    Ok(out)
}

/// One row per applicable outcome, with the organisation's group of every kind (a column
/// named for each kind).
fn outcome_frame(assessment: &Assessment, orgs: &Organisations) -> PolarsResult<DataFrame> {
    let rows: Vec<_> = assessment
        .outcomes
        .iter()
        .filter(|o| o.outcome != Outcome::NotApplicable)
        .collect();
    let group = |kind: GroupKind, code: &str| match (kind, orgs.get(code)) {
        (GroupKind::National, _) => NATIONAL,
        (GroupKind::Region, Some(o)) => o.region_code.as_str(),
        (GroupKind::OrgType, Some(o)) => o.org_type.as_str(),
        (_, None) => "",
    };
    let mut columns: Vec<Column> = vec![Column::new(
        "standard_id".into(),
        rows.iter()
            .map(|o| o.standard_id.as_str())
            .collect::<Vec<_>>(),
    )];
    for kind in GroupKind::ALL {
        columns.push(Column::new(
            kind.as_str().into(),
            rows.iter()
                .map(|o| group(kind, &o.org_code))
                .collect::<Vec<_>>(),
        ));
    }
    columns.push(Column::new(
        "outcome".into(),
        rows.iter().map(|o| o.outcome.as_str()).collect::<Vec<_>>(),
    ));
    DataFrame::new(rows.len(), columns)
}

/// The gap rows of one kind of group: each standard's outcomes counted per group.
fn group_rows(frame: &DataFrame, kind: GroupKind) -> PolarsResult<Vec<GapRow>> {
    let count = |outcome: Outcome| {
        col("outcome")
            .eq(lit(outcome.as_str()))
            .cast(DataType::UInt64)
            .sum()
            .alias(outcome.as_str())
    };
    let grouped = frame
        .clone()
        .lazy()
        .group_by([col("standard_id"), col(kind.as_str()).alias("group_code")])
        .agg([
            len().cast(DataType::UInt64).alias("orgs"),
            count(Outcome::Met),
            count(Outcome::PartiallyMet),
            count(Outcome::NotMet),
            count(Outcome::NotAssessed),
        ])
        .collect()?;
    let column =
        |name: &str| -> PolarsResult<UInt64Chunked> { Ok(grouped.column(name)?.u64()?.clone()) };
    let (standards, codes) = (
        grouped.column("standard_id")?.str()?.clone(),
        grouped.column("group_code")?.str()?.clone(),
    );
    let (n, met, partial, not_met, not_assessed) = (
        column("orgs")?,
        column("met")?,
        column("partially_met")?,
        column("not_met")?,
        column("not_assessed")?,
    );
    Ok((0..grouped.height())
        .map(|i| GapRow {
            standard_id: standards.get(i).unwrap_or_default().to_string(),
            group_kind: kind,
            group_code: codes.get(i).unwrap_or_default().to_string(),
            orgs: n.get(i).unwrap_or(0),
            met: met.get(i).unwrap_or(0),
            partially_met: partial.get(i).unwrap_or(0),
            not_met: not_met.get(i).unwrap_or(0),
            not_assessed: not_assessed.get(i).unwrap_or(0),
        })
        .collect())
}

pub fn gaps_table(period: &str, rows: &[GapRow]) -> Table {
    Table {
        columns: vec![
            "period",
            "standard_id",
            "group_kind",
            "group_code",
            "orgs",
            "met",
            "partially_met",
            "not_met",
            "not_assessed",
            "pct_met",
        ],
        rows: rows
            .iter()
            .map(|g| {
                vec![
                    period.to_string(),
                    g.standard_id.clone(),
                    g.group_kind.as_str().to_string(),
                    g.group_code.clone(),
                    g.orgs.to_string(),
                    g.met.to_string(),
                    g.partially_met.to_string(),
                    g.not_met.to_string(),
                    g.not_assessed.to_string(),
                    g.pct_met(),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(orgs: u64, met: u64) -> GapRow {
        GapRow {
            standard_id: "X".into(),
            group_kind: GroupKind::National,
            group_code: "national".into(),
            orgs,
            met,
            partially_met: 0,
            not_met: orgs - met,
            not_assessed: 0,
        }
    }

    #[test]
    fn pct_met_rounds_halves_up() {
        assert_eq!(row(8, 1).pct_met(), "12.5");
        assert_eq!(row(16, 1).pct_met(), "6.3"); // 6.25
        assert_eq!(row(3, 1).pct_met(), "33.3");
        assert_eq!(row(3, 2).pct_met(), "66.7");
        assert_eq!(row(7, 7).pct_met(), "100.0");
        assert_eq!(row(7, 0).pct_met(), "0.0");
        assert_eq!(row(2000, 1).pct_met(), "0.1"); // 0.05
    }
}

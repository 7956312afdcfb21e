//! Assess: every organisation with an accepted return against the standards in force, all at
//! once. Measures become one wide polars frame (one row per organisation, one column per
//! measure); each standard's declared expression is evaluated over it, with thresholds and
//! applicability from the catalogue. Status per organisation follows SPEC's rules.

pub mod catalogue;
pub mod evidence;

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use rayon::prelude::*;

pub use catalogue::{Catalogue, CatalogueError, Compiled, Rule, Standard, ValueFormat};

use crate::contract::{Contract, MeasureType, Organisations};
use crate::period::{Period, day_number};
use crate::validate::{Validated, Value};
use evidence::Derived;

/// The outcome of one standard for one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Met,
    PartiallyMet,
    NotMet,
    NotAssessed,
    NotApplicable,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Met,
        Outcome::PartiallyMet,
        Outcome::NotMet,
        Outcome::NotAssessed,
        Outcome::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::PartiallyMet => "partially_met",
            Outcome::NotMet => "not_met",
            Outcome::NotAssessed => "not_assessed",
            Outcome::NotApplicable => "not_applicable",
        }
    }

    /// Its place in [`Outcome::ALL`] (the order it is declared in).
    pub fn index(self) -> usize {
        self as usize
    }

    fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

/// One row of `tables/outcomes.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeRow {
    pub org_code: String,
    pub standard_id: String,
    pub outcome: Outcome,
    /// The standard's value as published: a ratio rounded to 4 decimals, a whole day count, or
    /// 1/0 for yes/no; `None` when not assessed or not applicable. A number until a table or a
    /// page writes it (see [`OutcomeRow::value_text`]).
    pub value: Option<f64>,
    /// How the value is written.
    pub format: ValueFormat,
    pub derived: bool,
}

impl OutcomeRow {
    /// The value as `tables/outcomes.csv` writes it: a ratio to at most 4 decimals, a day
    /// count, or true/false; empty when there is none.
    pub fn value_text(&self) -> String {
        self.value
            .map(|v| value_text(v, self.format))
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    StandardsMet,
    ApproachingStandards,
    StandardsNotMet,
    NotSubmitted,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::StandardsMet,
        Status::ApproachingStandards,
        Status::StandardsNotMet,
        Status::NotSubmitted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::StandardsMet => "standards_met",
            Status::ApproachingStandards => "approaching_standards",
            Status::StandardsNotMet => "standards_not_met",
            Status::NotSubmitted => "not_submitted",
        }
    }
}

/// One row of `tables/org_status.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusRow {
    pub org_code: String,
    pub status: Status,
    pub counts: BTreeMap<Outcome, usize>,
    pub late: bool,
}

/// The assessment of a period.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub period: Period,
    pub edition: String,
    /// Sorted by organisation, then standard in catalogue order.
    pub outcomes: Vec<OutcomeRow>,
    /// One per organisation of the reference table, sorted by code.
    pub status: Vec<StatusRow>,
}

/// The wide frame: org_code, org_type, period_end, has_inventory, then one column per measure
/// (counts and money as Float64 so ratios divide, booleans, dates as day numbers).
fn measure_frame(
    validated: &Validated,
    contract: &Contract,
    orgs: &Organisations,
    derived: &Derived,
) -> PolarsResult<DataFrame> {
    let returns = &validated.returns;
    let org_type = |code: &str| orgs.get(code).map_or("", |o| o.org_type.as_str());
    let mut columns: Vec<Column> = vec![
        Series::new(
            "org_code".into(),
            returns
                .iter()
                .map(|r| r.org_code.as_str())
                .collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "org_type".into(),
            returns
                .iter()
                .map(|r| org_type(&r.org_code))
                .collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            catalogue::PERIOD_END.into(),
            vec![i64::from(day_number(validated.period.end())); returns.len()],
        )
        .into(),
    ];
    // Each return's derived measures found once, not once per measure; the columns are
    // then made in parallel.
    let derived_of: Vec<_> = returns.iter().map(|r| derived.get(&r.org_code)).collect();
    let measures = contract.dictionary.measures();
    columns.extend(
        measures
            .par_iter()
            .map(|measure| measure_column(measure, returns, &derived_of).into())
            .collect::<Vec<Column>>(),
    );
    DataFrame::new(returns.len(), columns)
}

/// One measure over every return: the derived value when the return's inventory was accepted
/// (even where it is unusable, `None`), the reported one otherwise.
fn measure_column(
    measure: &crate::contract::Measure,
    returns: &[crate::validate::AcceptedReturn],
    derived_of: &[Option<&BTreeMap<String, Option<u64>>>],
) -> Series {
    let name = measure.name.as_str();
    let values = returns
        .iter()
        .zip(derived_of)
        .map(|(r, derived)| match derived {
            Some(d) if measure.derive.is_some() => d.get(name).copied().flatten().map(Value::Count),
            _ => r.measures.values.get(name).copied(),
        });
    match measure.kind {
        MeasureType::Count | MeasureType::Money => series(name, values, |v| match v {
            Value::Count(n) => Some(n as f64),
            Value::Money(m) => Some(m),
            _ => None,
        }),
        MeasureType::Bool => series(name, values, |v| match v {
            Value::Bool(b) => Some(b),
            _ => None,
        }),
        MeasureType::Date => series(name, values, |v| match v {
            Value::Date(d) => Some(i64::from(day_number(d))),
            _ => None,
        }),
    }
}

/// A column of `values`, each taken as `T` by `as_t` (missing where it is not one).
fn series<T>(
    name: &str,
    values: impl Iterator<Item = Option<Value>>,
    as_t: impl Fn(Value) -> Option<T>,
) -> Series
where
    Series: NamedFrom<Vec<Option<T>>, [Option<T>]>,
{
    Series::new(
        name.into(),
        values.map(|v| v.and_then(&as_t)).collect::<Vec<_>>(),
    )
}

/// The outcome expression of a standard: applicability, missing inputs, the condition, then
/// the thresholds, all from the catalogue.
fn outcome_expr(s: &Compiled, contract: &Contract) -> Expr {
    let applicable = contract
        .dictionary
        .org_types
        .group(&s.standard.applies_to)
        .iter()
        .map(|t| col("org_type").eq(lit(t.as_str())))
        .reduce(polars::prelude::Expr::or)
        .unwrap_or(lit(false));
    let missing = s
        .inputs
        .iter()
        .map(|m| col(m.as_str()).is_null())
        .reduce(polars::prelude::Expr::or)
        .unwrap_or(lit(false));
    let value = s.value.clone();
    let threshold = |t: Option<f64>| match (s.standard.rule, t) {
        (Rule::AtLeast, Some(t)) => value.clone().cast(DataType::Float64).gt_eq(lit(t)),
        (Rule::AtMost, Some(t)) => value.clone().cast(DataType::Float64).lt_eq(lit(t)),
        (Rule::IsTrue, _) => value.clone().eq(lit(true)),
        (_, None) => lit(false),
    };
    let met = threshold(s.standard.met);
    let partially = match s.standard.rule {
        Rule::IsTrue => lit(false),
        _ => threshold(s.standard.partially_met),
    };
    let requires = s.requires.clone().unwrap_or(lit(true));
    when(applicable.not())
        .then(lit(Outcome::NotApplicable.as_str()))
        .when(missing)
        .then(lit(Outcome::NotAssessed.as_str()))
        .when(requires.fill_null(lit(false)).not())
        .then(lit(Outcome::NotMet.as_str()))
        .when(met.fill_null(lit(false)))
        .then(lit(Outcome::Met.as_str()))
        .when(partially.fill_null(lit(false)))
        .then(lit(Outcome::PartiallyMet.as_str()))
        .otherwise(lit(Outcome::NotMet.as_str()))
}

/// A value rounded as it is published: ratios to 4 decimals, day counts to whole days, yes/no
/// to 1 or 0.
fn published(value: f64, format: ValueFormat) -> f64 {
    match format {
        ValueFormat::Ratio => (value * 10_000.0).round() / 10_000.0,
        ValueFormat::Days => value.round(),
        ValueFormat::Bool => f64::from(u8::from(value != 0.0)),
    }
}

/// Writes a value as the tables show it: ratios to at most 4 decimals, whole day counts,
/// true/false.
pub fn value_text(value: f64, format: ValueFormat) -> String {
    match format {
        ValueFormat::Ratio => {
            let text = crate::format::fixed(value, 4);
            let text = text.trim_end_matches('0').trim_end_matches('.');
            if text == "-0" {
                "0".into()
            } else {
                text.to_string()
            }
        }
        ValueFormat::Days => format!("{}", value.round() as i64),
        ValueFormat::Bool => (value != 0.0).to_string(),
    }
}

/// Assesses every organisation with an accepted return; gives every organisation of the
/// reference table a status.
pub fn assess(
    validated: &Validated,
    contract: &Contract,
    orgs: &Organisations,
    catalogue: &Catalogue,
    derived: &Derived,
) -> PolarsResult<Assessment> {
    let frame = measure_frame(validated, contract, orgs, derived)?;
    let outcomes = outcome_rows(frame, validated, contract, catalogue, derived)?;
    let status = status_rows(&outcomes, validated, orgs, catalogue);
    Ok(Assessment {
        period: validated.period,
        edition: catalogue.id.clone(),
        outcomes,
        status,
    })
}

/// Every standard of the catalogue evaluated for every organisation at once (one polars
/// select over the wide frame of measures), as outcome rows in return order.
fn outcome_rows(
    frame: DataFrame,
    validated: &Validated,
    contract: &Contract,
    catalogue: &Catalogue,
    derived: &Derived,
) -> PolarsResult<Vec<OutcomeRow>> {
    let derivable = |s: &Compiled| {
        s.inputs.iter().any(|i| {
            contract
                .dictionary
                .get(i)
                .is_some_and(|m| m.derive.is_some())
        })
    };
    let selections: Vec<Expr> = catalogue
        .standards
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            [
                outcome_expr(s, contract).alias(format!("outcome_{i}")),
                s.value
                    .clone()
                    .cast(DataType::Float64)
                    .alias(format!("value_{i}")),
            ]
        })
        .collect();
    let evaluated = frame.lazy().select(selections).collect()?;
    let mut per_standard = Vec::new();
    for i in 0..catalogue.standards.len() {
        let outcome = evaluated.column(&format!("outcome_{i}"))?.str()?.clone();
        let value = evaluated.column(&format!("value_{i}"))?.f64()?.clone();
        per_standard.push((outcome, value));
    }
    let derivable: Vec<bool> = catalogue.standards.iter().map(derivable).collect();
    // The rows of each return, built in parallel and kept in return order.
    let outcomes = validated
        .returns
        .par_iter()
        .enumerate()
        .flat_map_iter(|(row, ret)| {
            let has_inventory = derived.contains_key(&ret.org_code);
            let standards = catalogue.standards.iter().zip(&per_standard);
            standards
                .zip(&derivable)
                .map(move |((s, (outcome, value)), &derivable)| {
                    let outcome = outcome
                        .get(row)
                        .and_then(Outcome::parse)
                        .unwrap_or(Outcome::NotAssessed);
                    let format = s.standard.value_format;
                    let value = match outcome {
                        Outcome::NotApplicable | Outcome::NotAssessed => None,
                        _ => value.get(row).map(|v| published(v, format)),
                    };
                    OutcomeRow {
                        org_code: ret.org_code.clone(),
                        standard_id: s.standard.id.clone(),
                        outcome,
                        value,
                        format,
                        derived: has_inventory && derivable,
                    }
                })
        })
        .collect();
    Ok(outcomes)
}

/// A status row for every organisation of the reference table, from its outcome rows.
fn status_rows(
    outcomes: &[OutcomeRow],
    validated: &Validated,
    orgs: &Organisations,
    catalogue: &Catalogue,
) -> Vec<StatusRow> {
    let late: HashMap<&str, bool> = validated
        .returns
        .iter()
        .map(|r| (r.org_code.as_str(), r.late))
        .collect();
    let critical: BTreeMap<&str, bool> = catalogue
        .standards
        .iter()
        .map(|s| (s.standard.id.as_str(), s.standard.critical))
        .collect();
    // An organisation's rows are together (those of its return): found a run at a time.
    let mut by_org: HashMap<&str, Vec<&OutcomeRow>> = HashMap::new();
    for rows in outcomes.chunk_by(|a, b| a.org_code == b.org_code) {
        by_org
            .entry(rows[0].org_code.as_str())
            .or_default()
            .extend(rows);
    }
    orgs.iter()
        .map(|org| {
            let rows = by_org.get(org.org_code.as_str());
            let mut counts: BTreeMap<Outcome, usize> =
                Outcome::ALL.iter().map(|o| (*o, 0)).collect();
            for o in rows.into_iter().flatten() {
                *counts.entry(o.outcome).or_default() += 1;
            }
            StatusRow {
                org_code: org.org_code.clone(),
                status: rows.map_or(Status::NotSubmitted, |rows| {
                    status_of(rows, &critical, catalogue)
                }),
                counts,
                late: late.get(org.org_code.as_str()).copied().unwrap_or(false),
            }
        })
        .collect()
}

/// The status of an organisation that submitted, from its outcomes (the catalogue's rules:
/// `critical` says which standards are critical).
fn status_of(
    rows: &[&OutcomeRow],
    critical: &BTreeMap<&str, bool>,
    catalogue: &Catalogue,
) -> Status {
    let failing: Vec<&&OutcomeRow> = rows
        .iter()
        .filter(|o| matches!(o.outcome, Outcome::NotMet | Outcome::NotAssessed))
        .collect();
    let critical_failing = failing.iter().any(|o| {
        critical
            .get(o.standard_id.as_str())
            .copied()
            .unwrap_or(false)
    });
    if critical_failing || failing.len() >= catalogue.status.not_met_limit {
        Status::StandardsNotMet
    } else if rows
        .iter()
        .all(|o| matches!(o.outcome, Outcome::Met | Outcome::NotApplicable))
    {
        Status::StandardsMet
    } else {
        Status::ApproachingStandards
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_s_index_is_its_place_in_all() {
        for (i, outcome) in Outcome::ALL.into_iter().enumerate() {
            assert_eq!(outcome.index(), i, "{outcome:?}");
        }
    }

    #[test]
    fn ratios_have_at_most_four_decimals() {
        assert_eq!(value_text(0.95, ValueFormat::Ratio), "0.95");
        assert_eq!(value_text(2.0 / 3.0, ValueFormat::Ratio), "0.6667");
        assert_eq!(value_text(1.0, ValueFormat::Ratio), "1");
        assert_eq!(value_text(0.0, ValueFormat::Ratio), "0");
        assert_eq!(value_text(365.0, ValueFormat::Days), "365");
        assert_eq!(value_text(1.0, ValueFormat::Bool), "true");
    }
}

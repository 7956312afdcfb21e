//! The assessment tables (`tables/outcomes.*`, `tables/org_status.*`): the same rows as CSV for
//! people and spreadsheets, and as Parquet for analysts' own tools.

use polars::prelude::*;

use crate::assess::{Assessment, Outcome};
use crate::contract::Organisations;
use crate::output::CsvTable;

/// A table as named string columns, written to both formats from one source.
pub struct Table {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn to_csv(&self) -> Vec<u8> {
        let mut csv = CsvTable::new(&self.columns);
        for row in &self.rows {
            csv.row(row);
        }
        csv.into_bytes()
    }

    /// Parquet with typed columns: `kinds` says which columns are integers or booleans; the rest
    /// are text.
    pub fn to_parquet(&self, integer: &[&str], boolean: &[&str]) -> PolarsResult<Vec<u8>> {
        let mut columns: Vec<Column> = Vec::with_capacity(self.columns.len());
        for (i, name) in self.columns.iter().enumerate() {
            let cells = self.rows.iter().map(|r| r[i].as_str());
            let series = if integer.contains(name) {
                Series::new(
                    (*name).into(),
                    cells.map(|c| c.parse::<i64>().ok()).collect::<Vec<_>>(),
                )
            } else if boolean.contains(name) {
                Series::new(
                    (*name).into(),
                    cells.map(|c| c == "true").collect::<Vec<_>>(),
                )
            } else {
                Series::new((*name).into(), cells.collect::<Vec<_>>())
            };
            columns.push(series.into());
        }
        let mut frame = DataFrame::new(self.rows.len(), columns)?;
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes).finish(&mut frame)?;
        Ok(bytes)
    }
}

pub fn outcomes(a: &Assessment) -> Table {
    let period = a.period.to_string();
    Table {
        columns: vec![
            "period",
            "org_code",
            "standard_id",
            "outcome",
            "value",
            "source",
        ],
        rows: a
            .outcomes
            .iter()
            .map(|o| {
                vec![
                    period.clone(),
                    o.org_code.clone(),
                    o.standard_id.clone(),
                    o.outcome.as_str().to_string(),
                    o.value.clone(),
                    if o.derived { "derived" } else { "reported" }.to_string(),
                ]
            })
            .collect(),
    }
}

pub fn org_status(a: &Assessment, orgs: &Organisations) -> Table {
    let period = a.period.to_string();
    let order = [
        Outcome::Met,
        Outcome::PartiallyMet,
        Outcome::NotMet,
        Outcome::NotAssessed,
        Outcome::NotApplicable,
    ];
    Table {
        columns: vec![
            "period",
            "org_code",
            "org_name",
            "org_type",
            "region_code",
            "status",
            "met",
            "partially_met",
            "not_met",
            "not_assessed",
            "not_applicable",
            "late",
        ],
        rows: a
            .status
            .iter()
            .filter_map(|s| {
                let org = orgs.get(&s.org_code)?;
                let mut row = vec![
                    period.clone(),
                    s.org_code.clone(),
                    org.org_name.clone(),
                    org.org_type.clone(),
                    org.region_code.clone(),
                    s.status.as_str().to_string(),
                ];
                row.extend(
                    order
                        .iter()
                        .map(|o| s.counts.get(o).copied().unwrap_or(0).to_string()),
                );
                row.push(s.late.to_string());
                Some(row)
            })
            .collect(),
    }
}

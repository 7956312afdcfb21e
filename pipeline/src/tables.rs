//! The assessment tables (`tables/outcomes.*`, `tables/org_status.*`): the same rows as CSV for
//! people and spreadsheets, and as Parquet for analysts' own tools.

use crate::assess::{Assessment, Outcome};
use crate::contract::Organisations;
pub use crate::table::{ColumnKind, Table};

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
                    o.value_text(),
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

//! `schemas/insights.toml`: the measures and standards the risk and spend tables read.

use std::path::Path;

use serde::Deserialize;

use super::{ContractError, Dictionary, MeasureType, read_text};

/// A risk of `tables/risk.csv`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    pub id: String,
    pub label: String,
    pub whole: Option<String>,
    pub part: Option<String>,
    #[serde(default)]
    pub not_met: Vec<String>,
    pub detail: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpendColumn {
    pub column: String,
    pub measure: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spend {
    /// The count spend is divided by.
    pub per: String,
    pub column: Vec<SpendColumn>,
    /// The header of `tables/spend.csv`, made once when the contract loads (tables name their
    /// columns with `&'static str`; the contract lives as long as the process).
    #[serde(skip)]
    pub header: Vec<&'static str>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insights {
    pub risk: Vec<Risk>,
    pub spend: Spend,
}

impl Insights {
    /// Loads the file and checks every measure it names against the dictionary (standard ids
    /// are checked against the catalogue in force by `baseline standards check`'s tests).
    pub fn load(path: &Path, dict: &Dictionary) -> Result<Self, ContractError> {
        let mut insights: Insights = toml::from_str(&read_text(path)?)
            .map_err(|e| ContractError::invalid(path, e.to_string()))?;
        let measure = |name: &str, kind: MeasureType| match dict.get(name) {
            Some(m) if m.kind == kind => Ok(()),
            Some(_) => Err(ContractError::invalid(
                path,
                format!("`{name}` is not a {kind:?} measure"),
            )),
            None => Err(ContractError::invalid(
                path,
                format!("`{name}` is not a measure of the dictionary"),
            )),
        };
        for risk in &insights.risk {
            match (&risk.whole, &risk.part, risk.not_met.is_empty()) {
                (Some(whole), Some(part), true) => {
                    measure(whole, MeasureType::Count)?;
                    measure(part, MeasureType::Count)?;
                }
                (None, None, false) => {}
                _ => {
                    return Err(ContractError::invalid(
                        path,
                        format!("risk `{}` needs either whole and part, or not_met", risk.id),
                    ));
                }
            }
        }
        measure(&insights.spend.per, MeasureType::Count)?;
        for c in &insights.spend.column {
            measure(&c.measure, MeasureType::Money)?;
        }
        let spend = &insights.spend;
        let named: Vec<String> = std::iter::once(spend.per.clone())
            .chain(spend.column.iter().map(|c| c.column.clone()))
            .collect();
        let mut header = vec!["period", "org_code"];
        header.extend(named.into_iter().map(|n| &*Box::leak(n.into_boxed_str())));
        header.extend(["standards_met", "status"]);
        insights.spend.header = header;
        Ok(insights)
    }
}

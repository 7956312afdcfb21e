//! Inventory evidence: the seven device measures derived from accepted inventories with polars
//! lazy queries (one pass over every device row of the period), the OS lifecycle joined in,
//! and the `unknown_os` and `discrepancy` warnings.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::contract::{Code, Contract};
use crate::period::Period;
use crate::validate::{Issues, Site, Validated, Value};

/// Derived device measures by organisation; `None` where SPEC makes the value unusable (a
/// derived `endpoints_total` of 0).
pub type Derived = BTreeMap<String, BTreeMap<String, Option<u64>>>;

fn day_number(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch")).num_days() as i32
}

/// Trimmed, inner white space collapsed, lower case: the key an OS is matched on.
fn os_key(column: &str) -> Expr {
    col(column)
        .str()
        .strip_chars(lit(NULL))
        .str()
        .replace_all(lit(r"\s+"), lit(" "), false)
        .str()
        .to_lowercase()
}

fn lifecycle_frame(contract: &Contract) -> PolarsResult<DataFrame> {
    let rows = &contract.lifecycle.end_of_support;
    let names: Vec<&str> = rows.keys().map(|(n, _)| n.as_str()).collect();
    let versions: Vec<&str> = rows.keys().map(|(_, v)| v.as_str()).collect();
    let days: Vec<i32> = rows.values().map(|d| day_number(*d)).collect();
    DataFrame::new_infer_height(vec![
        Series::new("os_name_key".into(), names).into(),
        Series::new("os_version_key".into(), versions).into(),
        Series::new("end_of_support".into(), days).into(),
    ])
}

/// Derives the device measures of every organisation with an accepted inventory and raises
/// `unknown_os` (per organisation and OS) and `discrepancy` (per measure) warnings.
pub fn derive(
    validated: &Validated,
    contract: &Contract,
    period: Period,
    issues: &mut Issues,
) -> PolarsResult<Derived> {
    let mut derived = Derived::new();
    if validated.inventories.is_empty() {
        return Ok(derived);
    }
    let spec = &contract.dictionary.inventory;
    let end = day_number(period.end());

    let devices = concat(
        validated
            .inventories
            .iter()
            .map(|inv| {
                inv.inventory
                    .frame
                    .clone()
                    .lazy()
                    .with_column(lit(inv.org_code.as_str()).alias("org_code"))
            })
            .collect::<Vec<_>>(),
        UnionArgs::default(),
    )?;
    let family = spec
        .device_classes
        .iter()
        .fold(lit("none"), |otherwise, (class, family)| {
            when(col("device_class").eq(lit(class.as_str())))
                .then(lit(family.as_str()))
                .otherwise(otherwise)
        });
    let day = |c: &str| col(c).cast(DataType::Int32);
    let patch_column = &spec.date_columns[0];
    let antimalware_column = &spec.date_columns[1];
    let devices = devices
        .with_column(family.alias("family"))
        .filter(col("family").neq(lit("none")));
    // Normalising text is the costly step: do it once per distinct (name, version) pair, not
    // once per device, then join the pairs back on the text as given.
    let pairs = devices
        .clone()
        .select([col("os_name"), col("os_version")])
        .unique_generic(None, UniqueKeepStrategy::Any)
        .with_columns([
            os_key("os_name").alias("os_name_key"),
            os_key("os_version").alias("os_version_key"),
        ])
        .join(
            lifecycle_frame(contract)?.lazy(),
            [col("os_name_key"), col("os_version_key")],
            [col("os_name_key"), col("os_version_key")],
            JoinArgs::new(JoinType::Left),
        );
    let rows = devices
        .join(
            pairs,
            [col("os_name"), col("os_version")],
            [col("os_name"), col("os_version")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("end_of_support").is_null().alias("unknown_os"),
            (col("end_of_support")
                .is_null()
                .or(col("end_of_support").lt_eq(lit(end))))
            .alias("unsupported"),
            (day(patch_column)
                .is_null()
                .or(day(patch_column).gt(lit(end - spec.patch_window_days as i32))))
            .alias("patched"),
            day(antimalware_column)
                .gt_eq(lit(end - spec.antimalware_window_days as i32))
                .fill_null(lit(false))
                .alias("antimalware_current"),
            col("network_zone")
                .eq(lit(spec.isolated_zone.as_str()))
                .fill_null(lit(false))
                .alias("isolated"),
        ]);

    // One pass: every derived measure is a count of the rows its condition holds for.
    let measures: Vec<(&str, &str)> = contract
        .dictionary
        .measures()
        .iter()
        .filter_map(|m| m.derive.as_deref().map(|d| (m.name.as_str(), d)))
        .collect();
    let mut aggregations = Vec::with_capacity(measures.len());
    for (name, condition) in &measures {
        aggregations.push(
            polars::sql::sql_expr(condition)?
                .cast(DataType::UInt32)
                .sum()
                .cast(DataType::UInt64)
                .alias(*name),
        );
    }
    let counts = rows
        .clone()
        .group_by([col("org_code")])
        .agg(aggregations)
        .sort(["org_code"], Default::default())
        .collect()?;
    let unknown = rows
        .filter(col("unknown_os"))
        .group_by([col("org_code"), col("os_name_key"), col("os_version_key")])
        .agg([
            col("os_name").first(),
            col("os_version").first(),
            len().alias("devices"),
        ])
        .sort(
            ["org_code", "os_name_key", "os_version_key"],
            Default::default(),
        )
        .collect()?;

    let orgs = counts.column("org_code")?.str()?.clone();
    for (name, _) in &measures {
        let values = counts.column(name)?.u64()?.clone();
        for (org, value) in orgs.iter().zip(values.iter()) {
            if let (Some(org), Some(value)) = (org, value) {
                derived
                    .entry(org.to_string())
                    .or_default()
                    .insert(name.to_string(), Some(value));
            }
        }
    }
    // SPEC: a derived endpoints_total of 0 makes the endpoint standards not_assessed.
    for values in derived.values_mut() {
        for measure in contract.dictionary.measures() {
            if measure.derive.is_some()
                && measure.min > 0
                && values.get(&measure.name) == Some(&Some(0))
            {
                values.insert(measure.name.clone(), None);
            }
        }
    }

    let file_of: BTreeMap<&str, &str> = validated
        .inventories
        .iter()
        .map(|i| (i.org_code.as_str(), i.file.as_str()))
        .collect();
    let (u_org, u_name, u_version, u_devices) = (
        unknown.column("org_code")?.str()?,
        unknown.column("os_name")?.str()?,
        unknown.column("os_version")?.str()?,
        unknown.column("devices")?.cast(&DataType::UInt64)?,
    );
    for (((org, name), version), devices) in u_org
        .iter()
        .zip(u_name.iter())
        .zip(u_version.iter())
        .zip(u_devices.u64()?.iter())
    {
        let org = org.unwrap_or_default();
        let site = Site {
            file: file_of.get(org).copied().unwrap_or_default().to_string(),
            org_code: org.to_string(),
        };
        let os = format!(
            "{} {}",
            name.unwrap_or("(blank)"),
            version.unwrap_or("(blank)")
        );
        issues.file(
            &site,
            Code::UnknownOs,
            format!("{} devices run '{os}', which is not in the OS lifecycle reference, so they count as unsupported; check the OS name and version", devices.unwrap_or(0)),
        );
    }

    for ret in &validated.returns {
        let Some(values) = derived.get(&ret.org_code) else {
            continue;
        };
        let site = Site {
            file: ret.file.clone(),
            org_code: ret.org_code.clone(),
        };
        for (name, value) in values {
            let (Some(Value::Count(reported)), Some(d)) = (ret.measures.values.get(name), value)
            else {
                continue;
            };
            let tolerance = (spec.discrepancy_tolerance as f64)
                .max(spec.discrepancy_tolerance_share * *d as f64);
            if (*reported as f64 - *d as f64).abs() > tolerance {
                issues.push(
                    &site,
                    Code::Discrepancy,
                    name,
                    ret.measures.lines.get(name).copied(),
                    format!("{name} is reported as {reported} but the inventory gives {d}; the inventory figure is used: check both"),
                );
            }
        }
    }
    Ok(derived)
}

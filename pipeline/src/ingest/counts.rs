//! Device counts: each typed inventory frame reduced, as soon as it is read, to the count of
//! every derivable measure (the dictionary's `derive` conditions over the device rows, with the
//! OS lifecycle joined in) and its operating systems missing from the lifecycle reference. No
//! device row outlives its batch; assessment works on these counts.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::inventory::role;
use crate::contract::Contract;
use crate::period::Period;

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

/// What an inventory contributes once reduced: the count for every derivable measure, and
/// the operating systems missing from the lifecycle reference with their device counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceSummary {
    pub counts: BTreeMap<String, u64>,
    /// (OS name, OS version, devices), as first written in the inventory: the
    /// [`LISTED_UNKNOWN_OS`] with most devices.
    pub unknown_os: Vec<(String, String, u64)>,
    /// The unknown operating systems not listed, and their devices.
    pub unknown_os_unlisted: (u64, u64),
}

/// How many operating systems missing from the lifecycle reference are named one by one per
/// inventory (each is an `unknown_os` warning); the rest are counted in one more.
pub const LISTED_UNKNOWN_OS: usize = 20;

/// Reduces typed inventory frames (see [`super::inventory`]), keyed by file, to one
/// [`DeviceSummary`] each, with one polars query for the lot: a batch of inventories amortises
/// the cost of a query, and no device row needs to outlive its batch.
pub fn summarise(
    frames: Vec<(String, DataFrame)>,
    contract: &Contract,
    period: Period,
) -> PolarsResult<BTreeMap<String, DeviceSummary>> {
    if frames.is_empty() {
        return Ok(BTreeMap::new());
    }
    let files: Vec<String> = frames.iter().map(|(f, _)| f.clone()).collect();
    let rows = device_rows(frames, contract, period)?;
    let measures: Vec<(&str, &str)> = contract
        .dictionary
        .measures()
        .iter()
        .filter_map(|m| m.derive.as_deref().map(|d| (m.name.as_str(), d)))
        .collect();
    let counts = count_measures(rows.clone(), &measures)?;
    let unknown = unknown_systems(rows)?;

    // A file with no counted device (only network kit) has no group: it counts zero.
    let mut summaries: BTreeMap<String, DeviceSummary> = files
        .into_iter()
        .map(|f| {
            let zero = measures.iter().map(|(n, _)| (n.to_string(), 0)).collect();
            let summary = DeviceSummary {
                counts: zero,
                ..DeviceSummary::default()
            };
            (f, summary)
        })
        .collect();
    add_counts(&mut summaries, &counts, &measures)?;
    add_unknown(&mut summaries, &unknown)?;
    for s in summaries.values_mut() {
        keep_most_used(s);
    }
    Ok(summaries)
}

/// Every counted device row of the frames, with its file, its family and the flags the
/// dictionary's `derive` conditions read (`unknown_os`, `unsupported`, `patched`,
/// `antimalware_current`, `isolated`).
fn device_rows(
    frames: Vec<(String, DataFrame)>,
    contract: &Contract,
    period: Period,
) -> PolarsResult<LazyFrame> {
    let frame = concat(
        frames
            .into_iter()
            .map(|(file, frame)| frame.lazy().with_column(lit(file).alias("file")))
            .collect::<Vec<_>>(),
        UnionArgs::default(),
    )?;
    let spec = &contract.dictionary.inventory;
    let end = day_number(period.end());
    let family = spec
        .device_classes
        .iter()
        .fold(lit("none"), |otherwise, (class, family)| {
            when(col(role::DEVICE_CLASS).eq(lit(class.as_str())))
                .then(lit(family.as_str()))
                .otherwise(otherwise)
        });
    let day = |c: &str| col(c).cast(DataType::Int32);
    let devices = frame
        .with_column(family.alias("family"))
        .filter(col("family").neq(lit("none")));
    let rows = devices
        .clone()
        .join(
            os_pairs(devices, contract)?,
            [col(role::OS_NAME), col(role::OS_VERSION)],
            [col(role::OS_NAME), col(role::OS_VERSION)],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("end_of_support").is_null().alias("unknown_os"),
            (col("end_of_support")
                .is_null()
                .or(col("end_of_support").lt_eq(lit(end))))
            .alias("unsupported"),
            (day(role::PATCH_DATE)
                .is_null()
                .or(day(role::PATCH_DATE).gt(lit(end - spec.patch_window_days as i32))))
            .alias("patched"),
            day(role::ANTIMALWARE_DATE)
                .gt_eq(lit(end - spec.antimalware_window_days as i32))
                .fill_null(lit(false))
                .alias("antimalware_current"),
            col(role::NETWORK_ZONE)
                .eq(lit(spec.isolated_zone.as_str()))
                .fill_null(lit(false))
                .alias("isolated"),
        ]);
    Ok(rows)
}

/// Each distinct (OS name, version) of the devices with its end of support. Normalising text
/// is the costly step: it is done once per distinct pair, not once per device, and the pairs
/// are joined back on the text as given.
fn os_pairs(devices: LazyFrame, contract: &Contract) -> PolarsResult<LazyFrame> {
    Ok(devices
        .select([col(role::OS_NAME), col(role::OS_VERSION)])
        .unique_generic(None, UniqueKeepStrategy::Any)
        .with_columns([
            os_key(role::OS_NAME).alias("os_name_key"),
            os_key(role::OS_VERSION).alias("os_version_key"),
        ])
        .join(
            lifecycle_frame(contract)?.lazy(),
            [col("os_name_key"), col("os_version_key")],
            [col("os_name_key"), col("os_version_key")],
            JoinArgs::new(JoinType::Left),
        ))
}

/// Every derived measure by file: a count of the rows its condition holds for, in one select.
fn count_measures(rows: LazyFrame, measures: &[(&str, &str)]) -> PolarsResult<DataFrame> {
    let mut aggregations = Vec::with_capacity(measures.len());
    for (name, condition) in measures {
        aggregations.push(
            polars::sql::sql_expr(condition)?
                .cast(DataType::UInt64)
                .sum()
                .alias(*name),
        );
    }
    rows.group_by([col("file")]).agg(aggregations).collect()
}

/// The devices of each file and operating system missing from the lifecycle reference.
fn unknown_systems(rows: LazyFrame) -> PolarsResult<DataFrame> {
    rows.filter(col("unknown_os"))
        .group_by([col("file"), col("os_name_key"), col("os_version_key")])
        .agg([
            col(role::OS_NAME).first().alias("os_name"),
            col(role::OS_VERSION).first().alias("os_version"),
            len().cast(DataType::UInt64).alias("devices"),
        ])
        .sort(
            ["file", "os_name_key", "os_version_key"],
            Default::default(),
        )
        .collect()
}

fn add_counts(
    summaries: &mut BTreeMap<String, DeviceSummary>,
    counts: &DataFrame,
    measures: &[(&str, &str)],
) -> PolarsResult<()> {
    let files = counts.column("file")?.str()?.clone();
    for (name, _) in measures {
        let values = counts.column(name)?.u64()?.clone();
        for (file, value) in files.iter().zip(values.iter()) {
            if let (Some(s), Some(value)) = (file.and_then(|f| summaries.get_mut(f)), value) {
                s.counts.insert(name.to_string(), value);
            }
        }
    }
    Ok(())
}

fn add_unknown(
    summaries: &mut BTreeMap<String, DeviceSummary>,
    unknown: &DataFrame,
) -> PolarsResult<()> {
    let (files, names, versions, devices) = (
        unknown.column("file")?.str()?,
        unknown.column("os_name")?.str()?,
        unknown.column("os_version")?.str()?,
        unknown.column("devices")?.u64()?,
    );
    for (((file, name), version), n) in files
        .iter()
        .zip(names.iter())
        .zip(versions.iter())
        .zip(devices.iter())
    {
        if let Some(s) = file.and_then(|f| summaries.get_mut(f)) {
            s.unknown_os.push((
                crate::text::echo(name.unwrap_or("(blank)"), 60),
                crate::text::echo(version.unwrap_or("(blank)"), 60),
                n.unwrap_or(0),
            ));
        }
    }
    Ok(())
}

/// Keeps the [`LISTED_UNKNOWN_OS`] unknown operating systems with most devices; counts the
/// rest.
fn keep_most_used(summary: &mut DeviceSummary) {
    if summary.unknown_os.len() <= LISTED_UNKNOWN_OS {
        return;
    }
    summary.unknown_os.sort_by_key(|u| std::cmp::Reverse(u.2));
    let rest = summary.unknown_os.split_off(LISTED_UNKNOWN_OS);
    summary.unknown_os_unlisted = (rest.len() as u64, rest.iter().map(|r| r.2).sum());
    summary
        .unknown_os
        .sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
}

//! Device counts. Each inventory is reduced as it is read (see [`super::inventory_cells`]) to a
//! [`Tally`]: its devices grouped by the flags the dictionary's `derive` conditions read, and
//! its operating systems missing from the lifecycle reference. No device row outlives its
//! file. A batch of tallies is then counted with one polars query, each `derive` condition
//! summing the devices of the groups it holds for; assessment works on these counts.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use crate::contract::{Contract, normalise_os};
use crate::period::{Period, day_number};

/// What every device row is judged against: the period's end, the windows, the lifecycle.
#[derive(Debug, Clone)]
pub struct Counting<'c> {
    pub contract: &'c Contract,
    /// The period's last day, as a day number.
    pub end: i32,
}

impl<'c> Counting<'c> {
    pub fn new(contract: &'c Contract, period: Period) -> Self {
        Counting {
            contract,
            end: day_number(period.end()),
        }
    }

    /// The end of support of an operating system as written, as a day number; `None` when the
    /// lifecycle reference does not list it.
    pub fn end_of_support(&self, name: Option<&str>, version: Option<&str>) -> Option<i32> {
        let key = (normalise_os(name?), normalise_os(version?));
        let end = self.contract.lifecycle.end_of_support.get(&key)?;
        Some(day_number(*end))
    }
}

/// The flags of a counted device (its family is not `none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flags {
    /// Index into the dictionary's families, in [`families`] order.
    pub family: u8,
    pub unsupported: bool,
    pub patched: bool,
    pub antimalware_current: bool,
    pub isolated: bool,
}

/// An operating system missing from the lifecycle reference: as first written, and devices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownOs {
    pub name: Option<String>,
    pub version: Option<String>,
    pub devices: u64,
}

/// An inventory reduced to what is counted of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub devices: PlHashMap<Flags, u64>,
    /// By normalised (name, version); a blank name or version is `None`.
    pub unknown: BTreeMap<(Option<String>, Option<String>), UnknownOs>,
}

/// The families a device class counts in, other than `none`, in a stable order.
pub fn families(contract: &Contract) -> Vec<&str> {
    let mut all: Vec<&str> = contract
        .dictionary
        .inventory
        .device_classes
        .values()
        .map(String::as_str)
        .filter(|f| *f != "none")
        .collect();
    all.sort_unstable();
    all.dedup();
    all
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

/// Counts the tallies of a batch of inventories, keyed by file, into one [`DeviceSummary`]
/// each, with one polars query for the lot.
pub fn summarise(
    tallies: Vec<(String, Tally)>,
    contract: &Contract,
) -> PolarsResult<BTreeMap<String, DeviceSummary>> {
    let measures: Vec<(&str, &str)> = contract
        .dictionary
        .measures()
        .iter()
        .filter_map(|m| m.derive.as_deref().map(|d| (m.name.as_str(), d)))
        .collect();
    let counts = count_measures(&tallies, contract, &measures)?;
    let mut summaries = BTreeMap::new();
    for (file, tally) in tallies {
        // A file with no counted device (only network kit) counts zero.
        let counted = counts.get(&file);
        let mut summary = DeviceSummary {
            counts: measures
                .iter()
                .enumerate()
                .map(|(i, (n, _))| (n.to_string(), counted.map_or(0, |c| c[i])))
                .collect(),
            ..DeviceSummary::default()
        };
        summary.unknown_os = tally
            .unknown
            .into_values()
            .map(|u| {
                (
                    crate::text::echo(u.name.as_deref().unwrap_or("(blank)"), 60),
                    crate::text::echo(u.version.as_deref().unwrap_or("(blank)"), 60),
                    u.devices,
                )
            })
            .collect();
        keep_most_used(&mut summary);
        summaries.insert(file, summary);
    }
    Ok(summaries)
}

/// Every derived measure by file, in `measures` order: the devices of the groups its
/// condition holds for.
fn count_measures(
    tallies: &[(String, Tally)],
    contract: &Contract,
    measures: &[(&str, &str)],
) -> PolarsResult<HashMap<String, Vec<u64>>> {
    let families = families(contract);
    let groups: Vec<(&str, &Flags, u64)> = tallies
        .iter()
        .flat_map(|(file, t)| t.devices.iter().map(move |(f, n)| (file.as_str(), f, *n)))
        .collect();
    let flag = |name: &str, get: fn(&Flags) -> bool| -> Column {
        Series::new(
            name.into(),
            groups.iter().map(|g| get(g.1)).collect::<Vec<_>>(),
        )
        .into()
    };
    let frame = DataFrame::new_infer_height(vec![
        Series::new(
            "file".into(),
            groups.iter().map(|g| g.0).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "family".into(),
            groups
                .iter()
                .map(|g| families[usize::from(g.1.family)])
                .collect::<Vec<_>>(),
        )
        .into(),
        flag("unsupported", |f| f.unsupported),
        flag("patched", |f| f.patched),
        flag("antimalware_current", |f| f.antimalware_current),
        flag("isolated", |f| f.isolated),
        Series::new(
            "devices".into(),
            groups.iter().map(|g| g.2).collect::<Vec<_>>(),
        )
        .into(),
    ])?;
    let mut aggregations = Vec::with_capacity(measures.len());
    for (name, condition) in measures {
        aggregations.push(
            when(polars::sql::sql_expr(condition)?)
                .then(col("devices"))
                .otherwise(lit(0u64))
                .sum()
                .alias(*name),
        );
    }
    let counted = frame
        .lazy()
        .group_by([col("file")])
        .agg(aggregations)
        .collect()?;
    let files = counted.column("file")?.str()?;
    let mut by_file: HashMap<String, Vec<u64>> = HashMap::new();
    for (i, file) in files.iter().enumerate() {
        let row = measures
            .iter()
            .map(|(name, _)| Ok(counted.column(name)?.u64()?.get(i).unwrap_or(0)))
            .collect::<PolarsResult<Vec<u64>>>()?;
        by_file.insert(file.unwrap_or_default().to_string(), row);
    }
    Ok(by_file)
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

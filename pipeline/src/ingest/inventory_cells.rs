//! The cells of an inventory, checked and typed in one pass over its rows: the device class
//! folded and checked against the dictionary's classes, the two dates parsed (as in returns),
//! the network zone folded, the operating system kept as given. Cells are appended straight to
//! the columns of the typed frame, so no row allocates.

use polars::prelude::*;

use super::inventory::{BadCell, LISTED_BAD_CELLS, role};
use crate::contract::InventorySpec;
use crate::period::parse_date;

/// The cells of one row, by role, as read (`None` for a missing value).
#[derive(Debug, Clone, Copy, Default)]
pub struct Row<'a> {
    pub device_class: Option<&'a str>,
    pub os_name: Option<&'a str>,
    pub os_version: Option<&'a str>,
    pub patch_date: Option<&'a str>,
    pub antimalware_date: Option<&'a str>,
    pub network_zone: Option<&'a str>,
}

/// The checked columns, in [`role`] order, and the bad cells of each checked column.
pub struct Cells<'s> {
    spec: &'s InventorySpec,
    line: u64,
    class: StringChunkedBuilder,
    os_name: StringChunkedBuilder,
    os_version: StringChunkedBuilder,
    patch: Vec<Option<i32>>,
    antimalware: Vec<Option<i32>>,
    zone: StringChunkedBuilder,
    /// Per checked column (device class, then the dates): the first bad cells, and how many.
    bad: [(Vec<BadCell>, usize); 3],
    folded: String,
}

const EPOCH: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch");

impl<'s> Cells<'s> {
    pub fn new(spec: &'s InventorySpec, rows: usize) -> Self {
        let text = |name: &str| StringChunkedBuilder::new(name.into(), rows);
        Cells {
            spec,
            line: 1,
            class: text(role::DEVICE_CLASS),
            os_name: text(role::OS_NAME),
            os_version: text(role::OS_VERSION),
            patch: Vec::with_capacity(rows),
            antimalware: Vec::with_capacity(rows),
            zone: text(role::NETWORK_ZONE),
            bad: Default::default(),
            folded: String::new(),
        }
    }

    /// Appends one row; its line is the row's number counting the header as line 1.
    pub fn push(&mut self, row: Row) {
        self.line += 1;
        let roles = &self.spec.roles;
        match row.device_class {
            None => self.class.append_null(),
            Some(raw) => {
                fold(raw, &mut self.folded);
                self.class.append_value(&self.folded);
                if !self.spec.device_classes.contains_key(&self.folded) {
                    self.flag(0, &roles.device_class, raw);
                }
            }
        }
        self.os_name.append_option(row.os_name);
        self.os_version.append_option(row.os_version);
        let patch = self.date(1, row.patch_date);
        self.patch.push(patch);
        let antimalware = self.date(2, row.antimalware_date);
        self.antimalware.push(antimalware);
        match row.network_zone {
            None => self.zone.append_null(),
            Some(raw) => {
                fold(raw, &mut self.folded);
                self.zone.append_value(&self.folded);
            }
        }
    }

    /// A date as a day number; a cell that is not blank and not a date is a bad cell.
    fn date(&mut self, check: usize, raw: Option<&str>) -> Option<i32> {
        let text = raw?.trim();
        if text.is_empty() {
            return None;
        }
        let parsed = parse_date(text).map(|d| (d - EPOCH).num_days() as i32);
        if parsed.is_none() {
            let column = self.spec.date_columns()[check - 1].to_string();
            self.flag(check, &column, raw.unwrap_or_default());
        }
        parsed
    }

    fn flag(&mut self, check: usize, column: &str, raw: &str) {
        let (listed, count) = &mut self.bad[check];
        *count += 1;
        if listed.len() < LISTED_BAD_CELLS {
            listed.push(BadCell {
                line: self.line,
                column: column.to_string(),
                value: crate::text::echo(raw, 60),
            });
        }
    }

    /// The typed frame (one column per [`role`]), the first bad cells by line (those of the
    /// device class first, then of each date, up to [`LISTED_BAD_CELLS`]) and how many there
    /// are in all.
    pub fn finish(self) -> PolarsResult<(DataFrame, Vec<BadCell>, usize)> {
        let date = |name: &str, days: Vec<Option<i32>>| -> PolarsResult<Column> {
            Ok(
                Int32Chunked::from_iter_options(name.into(), days.into_iter())
                    .into_series()
                    .cast(&DataType::Date)?
                    .into(),
            )
        };
        let frame = DataFrame::new_infer_height(vec![
            self.class.finish().into_series().into(),
            self.os_name.finish().into_series().into(),
            self.os_version.finish().into_series().into(),
            date(role::PATCH_DATE, self.patch)?,
            date(role::ANTIMALWARE_DATE, self.antimalware)?,
            self.zone.finish().into_series().into(),
        ])?;
        let count = self.bad.iter().map(|(_, n)| n).sum();
        let mut listed: Vec<BadCell> = self
            .bad
            .into_iter()
            .flat_map(|(cells, _)| cells)
            .take(LISTED_BAD_CELLS)
            .collect();
        listed.sort_by(|a, b| (a.line, &a.column).cmp(&(b.line, &b.column)));
        Ok((frame, listed, count))
    }
}

/// Trimmed and lower-cased, into `out`.
fn fold(raw: &str, out: &mut String) {
    out.clear();
    out.extend(raw.trim().chars().flat_map(char::to_lowercase));
}

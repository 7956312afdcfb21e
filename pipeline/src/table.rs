//! A table as the outputs write it: named columns of cells, written as CSV for people and
//! spreadsheets (every cell neutralised against formula injection) and as Parquet for
//! analysts' tools, where each column has its type, so numbers are numbers.

use std::borrow::Cow;

use polars::prelude::*;

/// What a Parquet column holds. Text is the default for a column not named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Integer,
    /// A number; in CSV `true`/`false` stand for 1 and 0.
    Float,
    Boolean,
}

/// A table of text cells, written to both formats from one source.
#[derive(Debug, Clone, Default)]
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

    /// Parquet with the columns of `kinds` typed; an empty cell is null.
    pub fn to_parquet(&self, kinds: &[(&str, ColumnKind)]) -> PolarsResult<Vec<u8>> {
        let kind = |name: &str| {
            kinds
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(ColumnKind::Text, |(_, k)| *k)
        };
        let columns: Vec<Column> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, name)| column(name, kind(name), self.rows.iter().map(|r| r[i].as_str())))
            .collect();
        let mut frame = DataFrame::new(self.rows.len(), columns)?;
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes).finish(&mut frame)?;
        Ok(bytes)
    }

    /// Parquet where a column is a number when every one of its cells is one (codes, periods
    /// and ids stay text): for the figure tables, whose columns are all counts, shares or
    /// words.
    pub fn to_parquet_inferred(&self) -> PolarsResult<Vec<u8>> {
        let kinds: Vec<(&str, ColumnKind)> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, name)| (*name, infer(name, self.rows.iter().map(|r| r[i].as_str()))))
            .collect();
        self.to_parquet(&kinds)
    }
}

fn column<'a>(name: &str, kind: ColumnKind, cells: impl Iterator<Item = &'a str>) -> Column {
    let blank = |c: &str| c.is_empty();
    match kind {
        ColumnKind::Text => Column::new(name.into(), cells.collect::<Vec<_>>()),
        ColumnKind::Integer => Column::new(
            name.into(),
            cells
                .map(|c| (!blank(c)).then(|| c.parse::<i64>().ok()).flatten())
                .collect::<Vec<_>>(),
        ),
        ColumnKind::Float => {
            Column::new(name.into(), cells.map(number).collect::<Vec<Option<f64>>>())
        }
        ColumnKind::Boolean => Column::new(
            name.into(),
            cells
                .map(|c| (!blank(c)).then_some(c == "true"))
                .collect::<Vec<_>>(),
        ),
    }
}

/// A cell as a number: `true`/`false` as 1/0, empty as none.
fn number(cell: &str) -> Option<f64> {
    match cell {
        "" => None,
        "true" => Some(1.0),
        "false" => Some(0.0),
        other => other.parse().ok(),
    }
}

/// Whether a column (by its name and cells) holds numbers.
pub fn is_code_column(name: &str) -> bool {
    name.ends_with("code") || name == "period" || name.ends_with("_id")
}

fn infer<'a>(name: &str, mut cells: impl Iterator<Item = &'a str> + Clone) -> ColumnKind {
    let plain = |c: &str| {
        c.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    };
    let numeric = cells
        .clone()
        .all(|c| c.is_empty() || (plain(c) && c.parse::<f64>().is_ok()));
    if is_code_column(name) || !numeric || cells.clone().all(str::is_empty) {
        ColumnKind::Text
    } else if cells.all(|c| c.is_empty() || c.parse::<i64>().is_ok()) {
        ColumnKind::Integer
    } else {
        ColumnKind::Float
    }
}

/// Prefixes `'` to a cell a spreadsheet would run as a formula (a cell starting with `=`, `+`,
/// `-`, `@`, tab or carriage return).
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A CSV document built in memory, every cell neutralised.
pub struct CsvTable {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvTable {
    pub fn new(header: &[&str]) -> Self {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        writer
            .write_record(header)
            .expect("writing to memory cannot fail");
        CsvTable { writer }
    }

    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| neutralise(c.as_ref()).into_owned())
            .collect();
        self.writer
            .write_record(&cells)
            .expect("writing to memory cannot fail");
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.writer
            .into_inner()
            .expect("writing to memory cannot fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_formula_starts_only() {
        for cell in ["=1+1", "+44", "-3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["R0A", "", "1-2", "a=b"] {
            assert_eq!(neutralise(cell), cell);
        }
    }

    #[test]
    fn columns_of_numbers_are_numbers_and_codes_stay_text() {
        let cells = ["1", "2", ""];
        assert_eq!(infer("orgs", cells.iter().copied()), ColumnKind::Integer);
        assert_eq!(
            infer("pct", ["1.5", "2"].iter().copied()),
            ColumnKind::Float
        );
        assert_eq!(
            infer("region_code", cells.iter().copied()),
            ColumnKind::Text
        );
        assert_eq!(
            infer("kind", ["standard", "1"].iter().copied()),
            ColumnKind::Text
        );
    }
}

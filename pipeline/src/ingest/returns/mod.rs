//! Readers of returns: JSON, CSV and XLSX all become one [`RawReturn`], with the value of each
//! measure as the submitter gave it and the line it came from, ready for validation.

mod csv;
mod json;
mod xlsx;

use chrono::{Datelike, NaiveDate};

use super::names::ReturnFormat;
use crate::contract::Code;

/// A header field (org_code, period, submitted_at) as found in the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Present(String),
    /// Absent or blank, with the reason shown to the submitter.
    Missing(String),
}

impl Field {
    pub fn value(&self) -> Option<&str> {
        match self {
            Field::Present(v) => Some(v),
            Field::Missing(_) => None,
        }
    }
}

/// A value as given, before the dictionary gives it a type.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    /// Absent, empty text or JSON `null`: counts as not given.
    Empty,
    Text(String),
    Bool(bool),
    /// A spreadsheet number cell.
    Number(f64),
    /// A spreadsheet date cell.
    Date(NaiveDate),
    /// Something no measure can hold (a JSON object or array, a spreadsheet error), described.
    Other(String),
}

impl RawValue {
    /// How the value reads in a message to the submitter.
    pub fn shown(&self) -> String {
        match self {
            RawValue::Empty => "(empty)".into(),
            RawValue::Text(t) => format!("'{t}'"),
            RawValue::Bool(b) => b.to_string(),
            RawValue::Number(n) => n.to_string(),
            RawValue::Date(d) => d.to_string(),
            RawValue::Other(what) => what.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawMeasure {
    /// The measure name, trimmed.
    pub name: String,
    pub value: RawValue,
    pub line: Option<u64>,
    pub comment: Option<String>,
}

/// A row of a CSV or XLSX return whose header fields disagree with the first data row.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderDisagreement {
    pub line: u64,
    pub field: &'static str,
    pub found: String,
    pub expected: String,
}

/// A return as read from its file, in any format.
#[derive(Debug, Clone, PartialEq)]
pub struct RawReturn {
    pub format: ReturnFormat,
    pub org_code: Field,
    pub period: Field,
    pub submitted_at: Field,
    pub measures: Vec<RawMeasure>,
    pub disagreements: Vec<HeaderDisagreement>,
}

/// Why a file could not be read as a return at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFault {
    pub code: Code,
    pub message: String,
}

impl ReadFault {
    pub(crate) fn unreadable(message: impl Into<String>) -> Self {
        ReadFault {
            code: Code::UnreadableFile,
            message: message.into(),
        }
    }
}

/// The names of the header fields, in the order they are reported.
pub const HEADER_FIELDS: [&str; 3] = ["org_code", "period", "submitted_at"];

/// Reads a return of the given format.
pub fn read_return(format: ReturnFormat, bytes: &[u8]) -> Result<RawReturn, ReadFault> {
    let content = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if content.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadFault {
            code: Code::EmptyFile,
            message: "the file is empty: export the return again and resubmit it".into(),
        });
    }
    match format {
        ReturnFormat::Json => json::read(content),
        ReturnFormat::Csv => csv::read(content),
        ReturnFormat::Xlsx => xlsx::read(bytes),
    }
}

/// Tabular returns (CSV and XLSX) share their layout: a header row naming the columns, then
/// one measure a row. This turns their rows of cells into a [`RawReturn`].
struct Table {
    format: ReturnFormat,
    columns: Vec<String>,
    /// (line, cells) for every non-blank row after the header.
    rows: Vec<(u64, Vec<RawValue>)>,
}

impl Table {
    fn into_return(self) -> Result<RawReturn, ReadFault> {
        let position = |name: &str| self.columns.iter().position(|c| c == name);
        let (Some(measure_col), Some(value_col)) = (position("measure"), position("value")) else {
            return Err(ReadFault::unreadable(format!(
                "the header row must name the columns measure and value (found: {}); start from the template",
                self.columns.join(", ")
            )));
        };
        let comment_col = position("comment");
        let header_cols = HEADER_FIELDS.map(position);

        let cell = |row: &[RawValue], col: usize| row.get(col).cloned().unwrap_or(RawValue::Empty);
        let header_text = |row: &[RawValue], col: usize| match cell(row, col) {
            RawValue::Empty => String::new(),
            RawValue::Text(t) => t.trim().to_string(),
            // Spreadsheets turn a typed `2026-10` into the date 1 October 2026.
            RawValue::Date(d) if Some(col) == header_cols[1] && d.day() == 1 => {
                d.format("%Y-%m").to_string()
            }
            other => other.shown(),
        };

        let first = self.rows.first();
        let mut fields: Vec<Field> = Vec::with_capacity(3);
        for (name, col) in HEADER_FIELDS.iter().zip(header_cols) {
            let field = match (col, first) {
                (None, _) => Field::Missing(format!("the file has no {name} column")),
                (Some(_), None) => Field::Missing("the file has no data rows".into()),
                (Some(col), Some((_, row))) => match header_text(row, col) {
                    text if text.is_empty() => {
                        Field::Missing(format!("{name} is blank on the first data row"))
                    }
                    text => Field::Present(text),
                },
            };
            fields.push(field);
        }

        let mut disagreements = Vec::new();
        if let Some((_, first_row)) = first {
            for (line, row) in self.rows.iter().skip(1) {
                for (name, col) in HEADER_FIELDS.iter().zip(header_cols) {
                    let Some(col) = col else { continue };
                    let (found, expected) = (header_text(row, col), header_text(first_row, col));
                    if found != expected {
                        disagreements.push(HeaderDisagreement {
                            line: *line,
                            field: name,
                            found,
                            expected,
                        });
                    }
                }
            }
        }

        let measures = self
            .rows
            .iter()
            .map(|(line, row)| RawMeasure {
                name: header_text(row, measure_col),
                value: match cell(row, value_col) {
                    RawValue::Text(t) if t.trim().is_empty() => RawValue::Empty,
                    RawValue::Text(t) => RawValue::Text(t.trim().to_string()),
                    other => other,
                },
                line: Some(*line),
                comment: comment_col
                    .map(|c| header_text(row, c))
                    .filter(|c| !c.is_empty()),
            })
            .collect();

        let [org_code, period, submitted_at]: [Field; 3] =
            fields.try_into().expect("three header fields");
        Ok(RawReturn {
            format: self.format,
            org_code,
            period,
            submitted_at,
            measures,
            disagreements,
        })
    }
}

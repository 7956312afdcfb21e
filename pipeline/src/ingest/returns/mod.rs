//! Readers of returns: JSON, CSV and XLSX all become one [`RawReturn`], with the value of each
//! measure as the submitter gave it and the line it came from, ready for validation.

mod csv;
mod json;
mod xlsx;

use chrono::{Datelike, NaiveDate};

use super::names::ReturnFormat;
use super::{Limits, json_depth, unpacks_past};
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

/// Submitted text as an issue message quotes it: at most 60 characters, control characters
/// escaped, so that one hostile cell cannot fill the issues table.
pub fn clip(text: &str) -> String {
    crate::text::echo(text, 60)
}

impl RawValue {
    /// How the value reads in a message to the submitter.
    pub fn shown(&self) -> String {
        match self {
            RawValue::Empty => "(empty)".into(),
            RawValue::Text(t) => format!("'{}'", clip(t)),
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
    pub(crate) fn too_large(message: impl Into<String>) -> Self {
        ReadFault {
            code: Code::FileTooLarge,
            message: message.into(),
        }
    }

    pub(crate) fn unreadable(message: impl Into<String>) -> Self {
        ReadFault {
            code: Code::UnreadableFile,
            message: message.into(),
        }
    }
}

/// The names of the header fields, in the order they are reported.
pub const HEADER_FIELDS: [&str; 3] = ["org_code", "period", "submitted_at"];

/// Reads a return of the given format, within `limits`. A reader that fails on a file in a way
/// nobody foresaw makes it unreadable; it never stops the batch.
pub fn read_return(
    format: ReturnFormat,
    bytes: &[u8],
    limits: &Limits,
) -> Result<RawReturn, ReadFault> {
    std::panic::catch_unwind(|| read_within(format, bytes, limits)).unwrap_or_else(|_| {
        Err(ReadFault::unreadable(
            "the file could not be read: the reader failed on its content; export it again from the template",
        ))
    })
}

fn read_within(
    format: ReturnFormat,
    bytes: &[u8],
    limits: &Limits,
) -> Result<RawReturn, ReadFault> {
    let content = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if content.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadFault {
            code: Code::EmptyFile,
            message: "the file is empty: export the return again and resubmit it".into(),
        });
    }
    let raw = match format {
        ReturnFormat::Json => {
            let depth = json_depth(content, limits.max_json_depth);
            if depth > limits.max_json_depth {
                return Err(ReadFault::unreadable(format!(
                    "the JSON is nested more than {} levels deep; a return needs 2 (the return object and its measures)",
                    limits.max_json_depth
                )));
            }
            json::read(content, limits)?
        }
        ReturnFormat::Csv => csv::read(content, limits)?,
        ReturnFormat::Xlsx => {
            if unpacks_past(bytes, limits.max_xlsx_unpacked_bytes) {
                return Err(ReadFault::too_large(format!(
                    "the workbook unpacks to more than {} bytes, over the limit of {}; a return workbook unpacks to kilobytes",
                    limits.max_xlsx_unpacked_bytes, limits.max_xlsx_unpacked_bytes
                )));
            }
            xlsx::read(bytes, limits)?
        }
    };
    if raw.measures.len() > limits.max_return_rows {
        return Err(ReadFault::too_large(format!(
            "the return has {} measures, over the limit of {}",
            raw.measures.len(),
            limits.max_return_rows
        )));
    }
    if let Some(m) = raw.measures.iter().find(|m| {
        m.comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > limits.max_comment_chars)
    }) {
        let line = m.line.map_or(String::new(), |l| format!(" on line {l}"));
        return Err(ReadFault::too_large(format!(
            "the comment on {}{line} is longer than {} characters; shorten it",
            m.name, limits.max_comment_chars
        )));
    }
    Ok(raw)
}

/// A tabular file's lower-cased header names and its non-blank rows with their lines.
pub type Rows = (Vec<String>, Vec<(u64, Vec<RawValue>)>);

/// Reads a table other than a return (a plan): CSV, or the sheet `sheet` of a workbook, with
/// the same readers, limits and faults as a return's.
pub fn read_table(
    xlsx: bool,
    bytes: &[u8],
    sheet: &str,
    limits: &Limits,
) -> Result<Rows, ReadFault> {
    std::panic::catch_unwind(|| {
        let content = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if content.iter().all(u8::is_ascii_whitespace) {
            return Err(ReadFault {
                code: Code::EmptyFile,
                message: "the file is empty: export it again and resubmit it".into(),
            });
        }
        let table = if xlsx {
            if unpacks_past(bytes, limits.max_xlsx_unpacked_bytes) {
                return Err(ReadFault::too_large(format!(
                    "the workbook unpacks to more than {} bytes, the limit",
                    limits.max_xlsx_unpacked_bytes
                )));
            }
            xlsx::table(bytes, sheet, limits)?
        } else {
            csv::table(content, limits)?
        };
        Ok((table.columns, table.rows))
    })
    .unwrap_or_else(|_| {
        Err(ReadFault::unreadable(
            "the file could not be read: the reader failed on its content; export it again",
        ))
    })
}

/// Rejects a table of more than `limits.max_columns` columns or `limits.max_return_rows` rows.
fn check_shape(columns: usize, rows: usize, limits: &Limits) -> Result<(), ReadFault> {
    if columns > limits.max_columns {
        return Err(ReadFault::too_large(format!(
            "the header row has {columns} columns, over the limit of {}; a return needs 6",
            limits.max_columns
        )));
    }
    if rows > limits.max_return_rows {
        return Err(ReadFault::too_large(format!(
            "the return has more than {} rows; a return has one row a measure",
            limits.max_return_rows
        )));
    }
    Ok(())
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

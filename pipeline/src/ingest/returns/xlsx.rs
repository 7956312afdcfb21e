//! XLSX returns: the sheet named `Return`, with the same columns as a CSV return. Cells keep
//! their spreadsheet type (number, date, yes/no) so validation can accept real Excel dates.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::{RawReturn, RawValue, ReadFault, Table, check_shape};
use crate::ingest::Limits;
use crate::ingest::names::ReturnFormat;

const SHEET: &str = "Return";

pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<RawReturn, ReadFault> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        ReadFault::unreadable(format!(
            "the file is not a readable XLSX workbook ({e}); save it as .xlsx"
        ))
    })?;
    if !workbook.sheet_names().iter().any(|s| s == SHEET) {
        return Err(ReadFault::unreadable(format!(
            "the workbook has no sheet named `{SHEET}` (found: {}); start from the template",
            workbook.sheet_names().join(", ")
        )));
    }
    let range = workbook
        .worksheet_range(SHEET)
        .map_err(|e| ReadFault::unreadable(format!("the `{SHEET}` sheet cannot be read: {e}")))?;
    check_shape(range.width(), range.height().saturating_sub(1), limits)?;
    let first_row = range.start().map_or(0, |(row, _)| row as u64);
    let first_col = range.start().map_or(0, |(_, col)| col as usize);

    let mut columns: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        if cells.iter().all(|c| {
            matches!(c, Data::Empty) || matches!(c, Data::String(s) if s.trim().is_empty())
        }) {
            continue;
        }
        // Columns before the used range are empty; keep positions as the sheet has them.
        let mut values = vec![RawValue::Empty; first_col];
        values.extend(cells.iter().map(cell_value));
        let line = first_row + i as u64 + 1;
        match &columns {
            None => {
                columns = Some(
                    values
                        .iter()
                        .map(|v| match v {
                            RawValue::Text(t) => t.trim().to_ascii_lowercase(),
                            _ => String::new(),
                        })
                        .collect(),
                )
            }
            Some(_) => rows.push((line, values)),
        }
    }
    let Some(columns) = columns else {
        return Err(ReadFault::unreadable(format!(
            "the `{SHEET}` sheet is empty; start from the template"
        )));
    };
    Table {
        format: ReturnFormat::Xlsx,
        columns,
        rows,
    }
    .into_return()
}

fn cell_value(cell: &Data) -> RawValue {
    match cell {
        Data::Empty => RawValue::Empty,
        Data::String(s) if s.trim().is_empty() => RawValue::Empty,
        Data::String(s) => RawValue::Text(s.clone()),
        Data::Int(i) => RawValue::Number(*i as f64),
        Data::Float(f) => RawValue::Number(*f),
        Data::Bool(b) => RawValue::Bool(*b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(dt) => RawValue::Date(dt.date()),
            None => RawValue::Other(format!("a date cell Excel cannot show ({dt})")),
        },
        Data::DateTimeIso(text) | Data::DurationIso(text) => RawValue::Text(text.clone()),
        Data::Error(e) => RawValue::Other(format!("a spreadsheet error ({e})")),
    }
}

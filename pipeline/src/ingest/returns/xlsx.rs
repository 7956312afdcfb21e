//! XLSX returns: the sheet named `Return`, with the same columns as a CSV return. Cells keep
//! their spreadsheet type (number, date, yes/no) so validation can accept real Excel dates.
//! The sheet is read a cell at a time, never as calamine's grid (see [`rows_of`]).

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};

use super::{RawReturn, RawValue, ReadFault, Table, check_shape};
use crate::ingest::Limits;
use crate::ingest::names::ReturnFormat;

const SHEET: &str = "Return";

pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<RawReturn, ReadFault> {
    table(bytes, SHEET, limits)?.into_return()
}

/// The header and the non-empty rows of the sheet named `sheet` (`Return`, or a plan's
/// `Plan`), with their row numbers.
pub(super) fn table(bytes: &[u8], sheet: &str, limits: &Limits) -> Result<Table, ReadFault> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        ReadFault::unreadable(format!(
            "the file is not a readable XLSX workbook ({e}); save it as .xlsx"
        ))
    })?;
    if !workbook.sheet_names().iter().any(|s| s == sheet) {
        return Err(ReadFault::unreadable(format!(
            "the workbook has no sheet named `{sheet}` (found: {}); start from the template",
            workbook.sheet_names().join(", ")
        )));
    }
    let mut cells = workbook
        .worksheet_cells_reader(sheet)
        .map_err(|e| ReadFault::unreadable(format!("the `{sheet}` sheet cannot be read: {e}")))?;
    let by_row = rows_of(&mut cells, sheet, limits)?;
    let mut rows = by_row.into_iter().map(|(row, cells)| {
        let width = cells.last().map_or(0, |(col, _)| col + 1);
        let mut values = vec![RawValue::Empty; width];
        for (col, value) in cells {
            values[col] = value;
        }
        (u64::from(row) + 1, values)
    });
    let Some((_, header)) = rows.next() else {
        return Err(ReadFault::unreadable(format!(
            "the `{sheet}` sheet is empty; start from the template"
        )));
    };
    let columns = header
        .iter()
        .map(|v| match v {
            RawValue::Text(t) => t.trim().to_ascii_lowercase(),
            _ => String::new(),
        })
        .collect();
    Ok(Table {
        format: ReturnFormat::Xlsx,
        columns,
        rows: rows.collect(),
    })
}

/// The sheet's non-empty cells by row, read one cell at a time, so memory follows the cells
/// present and never the span between them: calamine's own grid is sized from the corner
/// cells, and a workbook with cells at `A1` and `XFD1048576` would ask for half a terabyte.
/// A cell past the column limit, or more non-empty rows than the row limit, is refused as soon
/// as it is seen.
fn rows_of<R: std::io::Read + std::io::Seek>(
    cells: &mut calamine::XlsxCellReader<'_, R>,
    sheet: &str,
    limits: &Limits,
) -> Result<BTreeMap<u32, Vec<(usize, RawValue)>>, ReadFault> {
    let mut rows: BTreeMap<u32, Vec<(usize, RawValue)>> = BTreeMap::new();
    loop {
        let cell = cells.next_cell().map_err(|e| {
            ReadFault::unreadable(format!("the `{sheet}` sheet cannot be read: {e}"))
        })?;
        let Some(cell) = cell else {
            break;
        };
        let value = cell_value(cell.get_value());
        if value == RawValue::Empty {
            continue;
        }
        let (row, col) = cell.get_position();
        if col as usize >= limits.max_columns {
            return Err(ReadFault::too_large(format!(
                "the `{sheet}` sheet has a value in column {} (row {}), past the limit of {} columns; clear the cells beyond the table",
                col + 1,
                u64::from(row) + 1,
                limits.max_columns
            )));
        }
        rows.entry(row).or_default().push((col as usize, value));
        check_shape(0, rows.len().saturating_sub(1), limits)?;
    }
    for cells in rows.values_mut() {
        cells.sort_by_key(|(col, _)| *col);
        cells.dedup_by_key(|(col, _)| *col);
    }
    Ok(rows)
}

fn cell_value(cell: &DataRef) -> RawValue {
    match cell {
        DataRef::Empty => RawValue::Empty,
        DataRef::String(s) if s.trim().is_empty() => RawValue::Empty,
        DataRef::SharedString(s) if s.trim().is_empty() => RawValue::Empty,
        DataRef::String(s) => RawValue::Text(s.clone()),
        DataRef::SharedString(s) => RawValue::Text((*s).to_string()),
        DataRef::Int(i) => RawValue::Number(*i as f64),
        DataRef::Float(f) => RawValue::Number(*f),
        DataRef::Bool(b) => RawValue::Bool(*b),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(dt) => RawValue::Date(dt.date()),
            None => RawValue::Other(format!("a date cell Excel cannot show ({dt})")),
        },
        DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => RawValue::Text(text.clone()),
        DataRef::Error(e) => RawValue::Other(format!("a spreadsheet error ({e})")),
    }
}

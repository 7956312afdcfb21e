//! `reports/analyst.xlsx`: every table of the run as a sheet, headers bold and frozen, numbers
//! as numbers, and text as text cells (a text cell is never run as a formula, so it needs no
//! neutralising prefix). Whatever the tables hold, the sheet stays inside Excel's limits: text
//! is clipped to what a cell can hold and rows past the sheet's last are counted, not written.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::table::Table;

/// Characters of a cell (Excel's limit is 32,767).
const MAX_CELL_CHARS: usize = 32_000;

/// Data rows of a sheet (Excel's limit is 1,048,576 rows, the header and a note included).
const MAX_ROWS: usize = 1_048_574;

/// How hard the workbook's parts are deflated: zlib's level 2 instead of rust_xlsxwriter's
/// default, 6. Deflating 24 MB of sheet XML was the longest single task of the render stage;
/// at level 2 the file is 22% larger (3.0 MB against 2.5 MB at scale 1) and the whole run about
/// a tenth quicker. The parts themselves are the same bytes at any level.
const ZIP_LEVEL: u8 = 2;

/// The workbook of `tables`, one sheet per (name, table) in order.
pub fn analyst(tables: &[(&str, &Table)]) -> Result<Vec<u8>, XlsxError> {
    packed_at(tables, ZIP_LEVEL)
}

fn packed_at(tables: &[(&str, &Table)], level: u8) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    book.set_zip_compression_level(level);
    // No wall-clock time in the file: the same run gives the same bytes.
    book.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title("Baseline analyst tables")
            .set_creation_datetime(&rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 1)?),
    );
    let bold = Format::new().set_bold();
    for (name, table) in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(*name)?;
        for (c, column) in table.columns.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
            sheet.write_string_with_format(0, c, *column, &bold)?;
            sheet.set_column_width(c, (column.len() as f64 + 4.0).max(12.0))?;
        }
        for (r, row) in table.rows.iter().take(MAX_ROWS).enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                if cell.is_empty() {
                    continue;
                }
                match number(table.columns[c as usize], cell) {
                    Some(n) => sheet.write_number(r, c, n)?,
                    None => sheet.write_string(r, c, clipped(cell))?,
                };
            }
        }
        if table.rows.len() > MAX_ROWS {
            let note = format!(
                "{} more rows are not shown: the sheet is full; the CSV table has them all",
                table.rows.len() - MAX_ROWS
            );
            sheet.write_string(MAX_ROWS as u32 + 1, 0, note)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        if !table.rows.is_empty() {
            let last_row = table.rows.len().min(MAX_ROWS) as u32;
            sheet.autofilter(0, 0, last_row, (table.columns.len() - 1) as u16)?;
        }
    }
    book.save_to_buffer()
}

/// Text as a cell can hold it.
fn clipped(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.char_indices().nth(MAX_CELL_CHARS) {
        Some((end, _)) => format!("{}... (clipped)", &cell[..end]).into(),
        None => cell.into(),
    }
}

/// A cell written as a number: a finite decimal in a column that is not a code or a period.
fn number(column: &str, cell: &str) -> Option<f64> {
    if crate::table::is_code_column(column) {
        return None;
    }
    let plain = cell
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    if !plain {
        return None;
    }
    cell.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each part of a workbook, by name, unpacked.
    fn parts(xlsx: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut part = archive.by_index(i).unwrap();
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut part, &mut bytes).unwrap();
                (part.name().unwrap().to_string(), bytes)
            })
            .collect()
    }

    #[test]
    fn the_zip_level_changes_the_packing_not_the_parts() {
        let table = Table {
            columns: vec!["org_code", "standard_id", "value", "outcome"],
            rows: (0..2000)
                .map(|i| {
                    vec![
                        format!("R{:02}", i % 97),
                        format!("STD-{}", i % 12),
                        format!("0.{}", i % 1000),
                        ["met", "not_met", "partially_met"][i % 3].to_string(),
                    ]
                })
                .collect(),
        };
        let tables = [("outcomes", &table)];
        let chosen = analyst(&tables).unwrap();
        let default = packed_at(&tables, 6).unwrap();
        assert_ne!(chosen, default, "the level is applied");
        assert_eq!(parts(&chosen), parts(&default));
        assert!(
            parts(&chosen)
                .iter()
                .any(|(name, _)| name == "xl/worksheets/sheet1.xml")
        );
    }
}

//! CSV returns: long form, one measure a row, UTF-8 with an optional byte order mark.

use super::{RawReturn, RawValue, ReadFault, Table, check_shape};
use crate::ingest::Limits;
use crate::ingest::names::ReturnFormat;
use crate::ingest::records::Records;

pub(super) fn read(content: &[u8], limits: &Limits) -> Result<RawReturn, ReadFault> {
    table(content, limits)?.into_return()
}

/// The header and the non-blank rows of a CSV table (a return or a plan), with their lines.
pub(super) fn table(content: &[u8], limits: &Limits) -> Result<Table, ReadFault> {
    // Rows are counted before any is parsed (blank lines too: a bound, not a count).
    let lines = crate::text::line_breaks(content);
    check_shape(0, lines.saturating_sub(1), limits)?;
    if let Err(e) = std::str::from_utf8(content) {
        let line = crate::text::line_breaks(&content[..e.valid_up_to()]) + 1;
        return Err(ReadFault::unreadable(format!(
            "the file is not UTF-8 text (first bad byte on line {line}); save it as CSV UTF-8"
        )));
    }
    let mut records = Records::new(content);
    let mut columns: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    // The physical line of a record, from its byte offset.
    let (mut counted_to, mut line) = (0usize, 1u64);
    while let Some(record) = records.next_record() {
        // Whole fields of UTF-8 text (checked above) are UTF-8.
        let Some(fields) = record.texts() else {
            return Err(ReadFault::unreadable(format!(
                "the file is not UTF-8 text (line {line}); save it as CSV UTF-8"
            )));
        };
        if fields.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        // A record's recorded start can sit on the line ending that closed the one before.
        let mut start = record.start.min(content.len());
        while start < content.len() && matches!(content[start], b'\r' | b'\n') {
            start += 1;
        }
        line += crate::text::line_breaks(&content[counted_to..start.max(counted_to)]) as u64;
        counted_to = start.max(counted_to);
        match &columns {
            None => {
                check_shape(fields.len(), 0, limits)?;
                columns = Some(
                    fields
                        .iter()
                        .map(|c| c.trim().to_ascii_lowercase())
                        .collect(),
                );
            }
            Some(_) => rows.push((
                line,
                fields
                    .iter()
                    .map(|c| {
                        if c.is_empty() {
                            RawValue::Empty
                        } else {
                            RawValue::Text(c.to_string())
                        }
                    })
                    .collect(),
            )),
        }
    }
    let Some(columns) = columns else {
        return Err(ReadFault::unreadable(
            "the file has no header row; start from the template",
        ));
    };
    Ok(Table {
        format: ReturnFormat::Csv,
        columns,
        rows,
    })
}

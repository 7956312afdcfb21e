//! Device inventories (CSV or Parquet): the file's shape checked against the limits before any
//! row is parsed, then every record read once (the csv crate; Parquet through polars) into
//! [`Cells`], which checks each cell and, in a batch run, counts the device into the file's
//! [`Tally`]. Cells that do not fit are listed with their line so validation can report them.

use std::io::Cursor;

use bytes::Bytes;
use polars::prelude::*;

use super::Limits;
use super::counts::{Counting, Tally};
use super::inventory_cells::{Cells, Row};
use super::names::InventoryFormat;
use super::plain_csv::plain_rows;
use super::records::Records;
use super::returns::ReadFault;
use crate::contract::InventorySpec;

/// How many bad cells of one inventory are listed one by one; the rest are counted.
pub const LISTED_BAD_CELLS: usize = 20;

/// A cell that does not fit its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCell {
    pub line: u64,
    pub column: String,
    pub value: String,
}

/// A readable inventory: what is counted of it and the cells that did not fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    /// Empty unless the inventory was read with a [`Counting`].
    pub tally: Tally,
    pub bad_cells: Vec<BadCell>,
    /// All bad cells, listed or not.
    pub bad_cell_count: usize,
}

fn polars_fault(what: &str, e: PolarsError) -> ReadFault {
    ReadFault::unreadable(format!("{what}: {e}"))
}

/// Reads an inventory. CSV lines count the header as line 1; Parquet "lines" are row numbers
/// counted the same way, so that row 1 of data is line 2 in both.
/// A reader that fails on a file in a way nobody foresaw makes it unreadable; it never stops
/// the batch.
pub fn read_inventory(
    format: InventoryFormat,
    bytes: Bytes,
    spec: &InventorySpec,
    limits: &Limits,
    counting: Option<&Counting>,
) -> Result<Inventory, ReadFault> {
    let read = || read_within(format, bytes, spec, limits, counting);
    std::panic::catch_unwind(read).unwrap_or_else(|_| {
        Err(ReadFault::unreadable(
            "the inventory could not be read: the reader failed on its content; export it again",
        ))
    })
}

/// An inventory read and counted for `period`, as the batch reads every one (whether as soon
/// as it is read, see `ingest::EarlyInventories`, or by the validator).
pub fn read_counted(
    format: InventoryFormat,
    bytes: Bytes,
    contract: &crate::contract::Contract,
    period: crate::period::Period,
    limits: &Limits,
) -> Result<Inventory, ReadFault> {
    let counting = Counting::new(contract, period);
    let spec = &contract.dictionary.inventory;
    read_inventory(format, bytes, spec, limits, Some(&counting))
}

static PARQUET_ISOLATION: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Decodes every Parquet inventory first in a child process, `{executable} check-parquet`,
/// before the run decodes it itself. polars' Parquet decoder trusts sizes written in the file
/// and can abort the whole process on a crafted one (an allocation failure, which no
/// `catch_unwind` stops; found by fuzzing): in the child, that ends only the child, and the
/// file is `unreadable_file`. The `baseline` binary turns this on for itself; without it (a
/// library caller) Parquet is decoded in-process only.
pub fn isolate_parquet_with(executable: std::path::PathBuf) {
    let _ = PARQUET_ISOLATION.set(executable);
}

/// What `baseline check-parquet` does in the child: cap its own address space, decode the
/// whole file, keep nothing, and refuse a file that decodes to more than `max_decoded` bytes.
pub fn decode_parquet(bytes: Bytes, max_decoded: u64) -> Result<(), String> {
    cap_address_space(max_decoded.saturating_mul(2).saturating_add(1 << 30));
    let frame = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|e| e.to_string())?;
    let decoded = frame.estimated_size() as u64;
    if decoded > max_decoded {
        return Err(format!(
            "it decodes to {decoded} bytes, over the limit of {max_decoded}; send it as CSV or with fewer, shorter values"
        ));
    }
    Ok(())
}

/// Caps the process's address space, so an allocation past it fails (and ends the child)
/// rather than taking the machine's memory. One of the crate's two `unsafe` blocks (the other
/// is in `plain_csv`): no safe wrapper of `setrlimit` is among its dependencies.
#[allow(unsafe_code)]
fn cap_address_space(bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: setrlimit reads the struct it is given and changes only this process's limit.
    let _ = unsafe { libc::setrlimit(libc::RLIMIT_AS, &raw const limit) };
}

fn decodes_in_isolation(bytes: &Bytes, limits: &Limits) -> Result<(), ReadFault> {
    match PARQUET_ISOLATION.get() {
        Some(executable) => decode_with(executable, bytes, limits),
        None => Ok(()),
    }
}

/// Decodes `bytes` in a child process, `{executable} check-parquet`, within the limits'
/// decoded size, memory and time.
pub fn decode_with(
    executable: &std::path::Path,
    bytes: &Bytes,
    limits: &Limits,
) -> Result<(), ReadFault> {
    use std::process::{Command, Stdio};
    let failed = |why: String| {
        ReadFault::unreadable(format!(
            "the inventory is not a readable Parquet file: {why}"
        ))
    };
    let mut child = Command::new(executable)
        .arg("check-parquet")
        .arg(limits.max_inventory_decoded_bytes.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("its decoder could not be started ({e})")))?;
    // Written from a thread: a child that hangs before reading must not hang the run.
    let writer = child.stdin.take().map(|mut input| {
        let bytes = bytes.clone();
        std::thread::spawn(move || {
            let _ = std::io::Write::write_all(&mut input, &bytes);
        })
    });
    let status = wait_within(&mut child, limits.parquet_check_seconds);
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut err, &mut stderr);
    }
    match status {
        None => Err(failed(format!(
            "decoding it took longer than {} seconds, so it was stopped",
            limits.parquet_check_seconds
        ))),
        Some(Some(0)) => Ok(()),
        Some(Some(1)) => Err(failed(crate::text::echo(stderr.trim(), 300))),
        Some(_) => Err(failed(
            "its content makes the Parquet decoder fail (it was decoded apart from the run, which carried on)".into(),
        )),
    }
}

/// The child's exit code (`Some(None)` when it was ended by a signal), or `None` when it did
/// not finish within `seconds` and was killed.
fn wait_within(child: &mut std::process::Child, seconds: u64) -> Option<Option<i32>> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status.code()),
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Rows and columns, from the bytes or the Parquet footer, before any row is parsed.
fn check_shape(
    format: InventoryFormat,
    bytes: &Bytes,
    spec: &InventorySpec,
    limits: &Limits,
) -> Result<(), ReadFault> {
    let (rows, columns) = match format {
        InventoryFormat::Csv => {
            let header = bytes
                .split(|&b| b == b'\n' || b == b'\r')
                .next()
                .unwrap_or_default();
            let rows = crate::text::line_breaks(bytes) as u64;
            (
                rows.saturating_sub(1),
                header.iter().filter(|&&b| b == b',').count() + 1,
            )
        }
        InventoryFormat::Parquet => {
            super::parquet_footer::check(bytes).map_err(|why| {
                ReadFault::unreadable(format!(
                    "the inventory is not a readable Parquet file: {why}"
                ))
            })?;
            decodes_in_isolation(bytes, limits)?;
            let mut reader = ParquetReader::new(Cursor::new(bytes.clone()));
            let rows = reader
                .num_rows()
                .map_err(|e| polars_fault("the inventory is not a readable Parquet file", e))?;
            let columns = reader
                .schema()
                .map_err(|e| polars_fault("the inventory is not a readable Parquet file", e))?
                .len();
            (rows as u64, columns)
        }
    };
    if rows > limits.max_inventory_rows {
        return Err(ReadFault::too_large(format!(
            "the inventory has {rows} rows, over the limit of {}; split it by site and send the largest devices first",
            limits.max_inventory_rows
        )));
    }
    if columns > limits.max_columns {
        return Err(ReadFault::too_large(format!(
            "the inventory has {columns} columns, over the limit of {}; keep the {} columns of the contract",
            limits.max_columns,
            spec.columns.len()
        )));
    }
    Ok(())
}

fn read_within(
    format: InventoryFormat,
    bytes: Bytes,
    spec: &InventorySpec,
    limits: &Limits,
    counting: Option<&Counting>,
) -> Result<Inventory, ReadFault> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadFault {
            code: crate::contract::Code::EmptyFile,
            message: "the inventory is empty: export it again and resubmit it".into(),
        });
    }
    check_shape(format, &bytes, spec, limits)?;
    let cells = Cells::new(spec, counting);
    let cells = match format {
        InventoryFormat::Csv => csv_cells(&bytes, spec, cells)?,
        InventoryFormat::Parquet => parquet_cells(bytes, spec, cells)?,
    };
    let (tally, bad_cells, bad_cell_count) = cells.finish();
    Ok(Inventory {
        tally,
        bad_cells,
        bad_cell_count,
    })
}

/// Where each role's column is among `names`: matched by name, trimmed and case-insensitively;
/// extra columns are ignored, a missing one makes the inventory unreadable.
fn role_positions<'a>(
    names: impl Iterator<Item = &'a str>,
    spec: &InventorySpec,
) -> Result<[usize; 6], ReadFault> {
    let present: Vec<String> = names.map(|c| c.trim().to_ascii_lowercase()).collect();
    let missing: Vec<&str> = spec
        .columns
        .iter()
        .filter(|c| !present.contains(c))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(ReadFault::unreadable(format!(
            "the inventory has no column {}; its header must name {}",
            missing.join(", "),
            spec.columns.join(", ")
        )));
    }
    let r = &spec.roles;
    let at = |name: &str| present.iter().position(|p| p == name).unwrap_or(0);
    Ok([
        at(&r.device_class),
        at(&r.os_name),
        at(&r.os_version),
        at(&r.patch_date),
        at(&r.antimalware_date),
        at(&r.network_zone),
    ])
}

/// A CSV inventory, read record by record into [`Cells`]; an empty cell is a missing value.
/// A file that is UTF-8 throughout (nearly every one) has its header read by
/// [`Records`], and is then taken apart in place when it has no quote character
/// ([`plain_rows`]). Any other file is read by the csv crate: as text records, or, when it is
/// not UTF-8, with each role cell checked, so that the first bad one is named by its line.
fn csv_cells<'s>(
    bytes: &[u8],
    spec: &InventorySpec,
    mut cells: Cells<'s>,
) -> Result<Cells<'s>, ReadFault> {
    let text = std::str::from_utf8(bytes).ok();
    if let Some(text) = text {
        let mut records = Records::new(bytes);
        let header = records.next_record().and_then(|r| r.texts());
        let at = role_positions(header.unwrap_or_default().into_iter(), spec)?;
        if plain_rows(text, records.position(), at, |row| cells.push(row)).is_some() {
            return Ok(cells);
        }
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let at = role_positions(reader.headers().map_err(unreadable_csv)?.iter(), spec)?;
    if text.is_some() {
        text_rows(reader, at, |row| cells.push(row))?;
    } else {
        byte_rows(reader, at, |row| cells.push(row))?;
    }
    Ok(cells)
}

/// The records of a UTF-8 file, as csv text records.
fn text_rows(
    mut reader: csv::Reader<&[u8]>,
    at: [usize; 6],
    mut each: impl FnMut(Row),
) -> Result<(), ReadFault> {
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(unreadable_csv)? {
        each(Row::from_roles(
            at.map(|i| record.get(i).filter(|c| !c.is_empty())),
        ));
    }
    Ok(())
}

/// The records of a file that is not UTF-8 throughout, each role cell checked: a bad byte in a
/// column that is read names its line, one in an ignored column changes nothing.
fn byte_rows(
    mut reader: csv::Reader<&[u8]>,
    at: [usize; 6],
    mut each: impl FnMut(Row),
) -> Result<(), ReadFault> {
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(unreadable_csv)?
    {
        let cell = |i: usize| -> Result<Option<&str>, ReadFault> {
            match record.get(i) {
                None | Some(b"") => Ok(None),
                Some(b) => std::str::from_utf8(b).map(Some).map_err(|_| {
                    let line = record.position().map_or(0, csv::Position::line);
                    ReadFault::unreadable(format!(
                        "the inventory is not a readable CSV file: line {line} is not UTF-8 text; export it as UTF-8"
                    ))
                }),
            }
        };
        let mut roles = [None; 6];
        for (role, &i) in roles.iter_mut().zip(&at) {
            *role = cell(i)?;
        }
        each(Row::from_roles(roles));
    }
    Ok(())
}

fn unreadable_csv(e: csv::Error) -> ReadFault {
    ReadFault::unreadable(format!("the inventory is not a readable CSV file: {e}"))
}

/// A Parquet inventory, read with polars, its role columns as text into [`Cells`].
fn parquet_cells<'s>(
    bytes: Bytes,
    spec: &InventorySpec,
    mut cells: Cells<'s>,
) -> Result<Cells<'s>, ReadFault> {
    let frame = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|e| polars_fault("the inventory is not a readable Parquet file", e))?;
    let names: Vec<&str> = frame
        .get_column_names()
        .into_iter()
        .map(PlSmallStr::as_str)
        .collect();
    let at = role_positions(names.iter().copied(), spec)?;
    let text = |i: usize| -> Result<StringChunked, ReadFault> {
        frame.columns()[at[i]]
            .cast(&DataType::String)
            .and_then(|c| Ok(c.str()?.clone()))
            .map_err(|e| polars_fault("the inventory's columns cannot be read as text", e))
    };
    let columns = [text(0)?, text(1)?, text(2)?, text(3)?, text(4)?, text(5)?];
    let mut iters = columns.each_ref().map(ChunkedArray::iter);
    for _ in 0..frame.height() {
        cells.push(Row::from_roles(std::array::from_fn(|i| {
            iters[i].next().flatten()
        })));
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::plain_csv::PLAIN_WIDTH;

    /// What a reader makes of a body, as owned role cells.
    type Read = Vec<[Option<String>; 6]>;

    fn collect(into: &mut Read) -> impl FnMut(Row) + '_ {
        |row: Row| {
            let cells = [
                row.device_class,
                row.os_name,
                row.os_version,
                row.patch_date,
                row.antimalware_date,
                row.network_zone,
            ];
            into.push(cells.map(|c| c.map(str::to_string)));
        }
    }

    fn both(text: &str, at: [usize; 6]) -> (Read, Read) {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        reader.headers().unwrap();
        let body = reader.position().byte() as usize;
        let (mut plain, mut records) = (Vec::new(), Vec::new());
        plain_rows(text, body, at, collect(&mut plain)).unwrap();
        text_rows(reader, at, collect(&mut records)).unwrap();
        (plain, records)
    }

    #[test]
    fn plain_rows_read_what_the_csv_crate_reads_from_every_short_body() {
        // Every body of up to 7 bytes over a cell character, a comma and both line ends,
        // after headers ended each way, a byte-order mark among them.
        let heads = [
            "a,b,c\n",
            "a,b,c\r\n",
            "a,b,c\r",
            "\u{feff}a,b,c\n",
            "\n\na,b,c\r\n",
        ];
        let at = [2, 0, 1, 2, 5, 1];
        for head in heads {
            for len in 0..=7u32 {
                for n in 0..4usize.pow(len) {
                    let body: String = (0..len)
                        .map(|i| ['x', ',', '\r', '\n'][n / 4usize.pow(i) % 4])
                        .collect();
                    let text = format!("{head}{body}");
                    let (plain, records) = both(&text, at);
                    assert_eq!(plain, records, "{text:?}");
                }
            }
        }
    }

    #[test]
    fn plain_rows_read_what_the_csv_crate_reads_across_blocks() {
        // Bodies of up to 300 bytes, read 64 at a time: records and fields of every length
        // end at every place in a block and across blocks, blank lines and `\r\n` among them,
        // after headers that move where the body's first block starts.
        let pieces = ["", "x", "wxyz", "Windows 11 23H2", "2026-10-27", "é"];
        let ends = [",", ",", ",", "\n", "\r", "\r\n", "\n\n", ",,"];
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for case in 0..3_000 {
            let head = ["a,b,c,d,e,f,g\n", "a\r\n", "device_id,x\n"][case % 3];
            let mut text = head.to_string();
            while text.len() < head.len() + next(300) {
                text.push_str(pieces[next(pieces.len())]);
                text.push_str(ends[next(ends.len())]);
            }
            for at in [[1, 2, 3, 4, 5, 6], [6, 0, 2, 2, 9, 1]] {
                let (plain, records) = both(&text, at);
                assert_eq!(plain, records, "{text:?}");
            }
        }
    }

    #[test]
    fn a_quote_or_a_far_column_leaves_the_file_to_the_csv_crate() {
        let read = |text: &str, at| plain_rows(text, 0, at, |_| {}).is_some();
        assert!(read("a,b\n1,2\n", [0, 1, 0, 1, 0, 1]));
        assert!(!read("a,b\n\"1\",2\n", [0, 1, 0, 1, 0, 1]));
        assert!(!read("a,b\n1,2\n", [0, 1, 0, 1, 0, PLAIN_WIDTH]));
    }
}

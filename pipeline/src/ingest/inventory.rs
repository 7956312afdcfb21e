//! Device inventories (CSV or Parquet) read with polars into one typed frame: device class,
//! normalised OS, the two dates parsed, network zone. Cells that do not fit are listed with
//! their line so validation can report them; the frame itself is the input of assessment.

use std::io::Cursor;

use bytes::Bytes;
use polars::prelude::*;

use super::Limits;
use super::names::InventoryFormat;
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

/// The columns of a typed inventory frame, named for the role each plays (the dictionary's
/// `[inventory.roles]` says which submitted column plays it).
pub mod role {
    /// Trimmed and lower-cased.
    pub const DEVICE_CLASS: &str = "device_class";
    /// As given.
    pub const OS_NAME: &str = "os_name";
    /// As given.
    pub const OS_VERSION: &str = "os_version";
    /// A `Date`.
    pub const PATCH_DATE: &str = "patch_date";
    /// A `Date`.
    pub const ANTIMALWARE_DATE: &str = "antimalware_date";
    /// Trimmed and lower-cased.
    pub const NETWORK_ZONE: &str = "network_zone";
}

/// A readable inventory: the typed frame and the cells that did not fit.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The columns of [`role`].
    pub frame: DataFrame,
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
) -> Result<Inventory, ReadFault> {
    std::panic::catch_unwind(|| read_within(format, bytes, spec, limits)).unwrap_or_else(|_| {
        Err(ReadFault::unreadable(
            "the inventory could not be read: the reader failed on its content; export it again",
        ))
    })
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
/// rather than taking the machine's memory. The one `unsafe` call of the crate: no safe
/// wrapper of `setrlimit` is among its dependencies.
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
) -> Result<Inventory, ReadFault> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadFault {
            code: crate::contract::Code::EmptyFile,
            message: "the inventory is empty: export it again and resubmit it".into(),
        });
    }
    check_shape(format, &bytes, spec, limits)?;
    let frame = match format {
        InventoryFormat::Csv => CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .into_reader_with_file_handle(Cursor::new(bytes))
            .finish()
            .map_err(|e| polars_fault("the inventory is not a readable CSV file", e))?,
        InventoryFormat::Parquet => ParquetReader::new(Cursor::new(bytes))
            .finish()
            .map_err(|e| polars_fault("the inventory is not a readable Parquet file", e))?,
    };

    // Columns are matched by name, case-insensitively; extra columns are ignored.
    let present: Vec<(String, String)> = frame
        .get_column_names()
        .into_iter()
        .map(|c| (c.trim().to_ascii_lowercase(), c.to_string()))
        .collect();
    let mut selected = Vec::with_capacity(spec.columns.len());
    let mut missing = Vec::new();
    for wanted in &spec.columns {
        match present.iter().find(|(lower, _)| lower == wanted) {
            Some((_, original)) => selected.push(
                col(original.as_str())
                    .cast(DataType::String)
                    .alias(wanted.as_str()),
            ),
            None => missing.push(wanted.as_str()),
        }
    }
    if !missing.is_empty() {
        return Err(ReadFault::unreadable(format!(
            "the inventory has no column {}; its header must name {}",
            missing.join(", "),
            spec.columns.join(", ")
        )));
    }

    let (checked, checks) = check_cells(frame.lazy().select(selected), spec)?;
    let (bad_cells, bad_cell_count) = bad_cells(&checked, &checks)?;
    let frame = typed_frame(checked, spec)?;
    Ok(Inventory {
        frame,
        bad_cells,
        bad_cell_count,
    })
}

/// Trimmed and lower-cased text.
fn folded(column: &str) -> Expr {
    col(column)
        .str()
        .strip_chars(lit(NULL))
        .str()
        .to_lowercase()
}

/// The inventory with a line number, each checked column's parsed value (`typed_{column}`)
/// and a flag for each cell that does not fit (`bad_{column}`), in one query; and the
/// checked columns.
fn check_cells(
    frame: LazyFrame,
    spec: &InventorySpec,
) -> Result<(DataFrame, Vec<String>), ReadFault> {
    let roles = &spec.roles;
    let class = folded(&roles.device_class);
    let class_known = spec
        .device_classes
        .keys()
        .map(|c| class.clone().eq(lit(c.as_str())))
        .reduce(polars::prelude::Expr::or)
        .unwrap_or(lit(false));
    let mut exprs = vec![
        col("*"),
        class.alias(typed_name(&roles.device_class)),
        class_known
            .not()
            .alias(format!("bad_{}", roles.device_class)),
    ];
    let mut checks = vec![roles.device_class.clone()];
    for date in spec.date_columns() {
        let raw = col(date).str().strip_chars(lit(NULL));
        let parsed = parse_date(raw.clone());
        exprs.push(
            raw.neq(lit(""))
                .and(parsed.clone().is_null())
                .fill_null(lit(false))
                .alias(format!("bad_{date}")),
        );
        exprs.push(parsed.alias(typed_name(date)));
        checks.push(date.to_string());
    }
    let checked = frame
        .with_row_index("line", Some(2))
        .select(exprs)
        .collect()
        .map_err(|e| polars_fault("the inventory cannot be checked", e))?;
    Ok((checked, checks))
}

fn typed_name(column: &str) -> String {
    format!("typed_{column}")
}

/// The cells flagged by [`check_cells`]: the first [`LISTED_BAD_CELLS`] with their line, and
/// how many there are in all.
fn bad_cells(checked: &DataFrame, checks: &[String]) -> Result<(Vec<BadCell>, usize), ReadFault> {
    let lines = checked
        .column("line")
        .and_then(|c| c.cast(&DataType::UInt64))
        .map_err(|e| polars_fault("line numbers", e))?;
    let lines = lines.u64().map_err(|e| polars_fault("line numbers", e))?;
    let mut bad_cells = Vec::new();
    let mut bad_cell_count = 0;
    for column in checks {
        let flags = checked
            .column(&format!("bad_{column}"))
            .and_then(|c| Ok(c.bool()?.clone()));
        let flags = flags.map_err(|e| polars_fault("checks", e))?;
        if !flags.any() {
            continue;
        }
        let values = checked
            .column(column)
            .and_then(|c| Ok(c.str()?.clone()))
            .map_err(|e| polars_fault("values", e))?;
        for (i, flag) in flags.iter().enumerate() {
            if flag != Some(true) {
                continue;
            }
            bad_cell_count += 1;
            if bad_cells.len() < LISTED_BAD_CELLS {
                bad_cells.push(BadCell {
                    line: lines.get(i).unwrap_or(0),
                    column: column.clone(),
                    value: crate::text::echo(values.get(i).unwrap_or(""), 60),
                });
            }
        }
    }
    bad_cells.sort_by(|a, b| (a.line, &a.column).cmp(&(b.line, &b.column)));
    Ok((bad_cells, bad_cell_count))
}

/// The frame assessment reads: one column per [`role`].
fn typed_frame(checked: DataFrame, spec: &InventorySpec) -> Result<DataFrame, ReadFault> {
    let roles = &spec.roles;
    checked
        .lazy()
        .select([
            col(typed_name(&roles.device_class)).alias(role::DEVICE_CLASS),
            col(roles.os_name.as_str()).alias(role::OS_NAME),
            col(roles.os_version.as_str()).alias(role::OS_VERSION),
            col(typed_name(&roles.patch_date)).alias(role::PATCH_DATE),
            col(typed_name(&roles.antimalware_date)).alias(role::ANTIMALWARE_DATE),
            folded(&roles.network_zone).alias(role::NETWORK_ZONE),
        ])
        .collect()
        .map_err(|e| polars_fault("the inventory cannot be typed", e))
}

/// `YYYY-MM-DD` or `DD/MM/YYYY`, as for dates in returns; anything else is null.
fn parse_date(raw: Expr) -> Expr {
    let with = |format: &str| {
        raw.clone().str().to_date(StrptimeOptions {
            format: Some(format.into()),
            strict: false,
            exact: true,
            cache: true,
        })
    };
    let iso = with("%Y-%m-%d");
    when(iso.clone().is_not_null())
        .then(iso)
        .otherwise(with("%d/%m/%Y"))
}

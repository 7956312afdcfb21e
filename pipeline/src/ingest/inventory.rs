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

/// A readable inventory: the typed frame and the cells that did not fit.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// Columns: `device_class`, `os_name`, `os_version` (as given), the date columns as
    /// `Date`, and `network_zone`, lower-cased.
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

/// What `baseline check-parquet` does in the child: decode the whole file, keep nothing.
pub fn decode_parquet(bytes: Bytes) -> Result<(), String> {
    ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map(drop)
        .map_err(|e| e.to_string())
}

fn decodes_in_isolation(bytes: &Bytes) -> Result<(), ReadFault> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let Some(executable) = PARQUET_ISOLATION.get() else {
        return Ok(());
    };
    let failed = |why: String| {
        ReadFault::unreadable(format!(
            "the inventory is not a readable Parquet file: {why}"
        ))
    };
    let mut child = Command::new(executable)
        .arg("check-parquet")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("its decoder could not be started ({e})")))?;
    // The child reads all of its input before it writes anything, so writing first is safe.
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(bytes);
    }
    let output = child
        .wait_with_output()
        .map_err(|e| failed(format!("its decoder did not finish ({e})")))?;
    match output.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(failed(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        )),
        _ => Err(failed(
            "its content makes the Parquet decoder fail (it was decoded apart from the run, which carried on)".into(),
        )),
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
            let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
            let rows = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
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
            decodes_in_isolation(bytes)?;
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

    let class = col("device_class")
        .str()
        .strip_chars(lit(NULL))
        .str()
        .to_lowercase();
    let class_known = spec
        .device_classes
        .keys()
        .map(|c| class.clone().eq(lit(c.as_str())))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    // One query per inventory: typed columns (prefixed) and one flag per checked column.
    let typed_name = |c: &str| format!("typed_{c}");
    let mut exprs = vec![
        col("*"),
        class.alias(typed_name("device_class")),
        class_known.not().alias("bad_device_class"),
        col("network_zone")
            .str()
            .strip_chars(lit(NULL))
            .str()
            .to_lowercase()
            .alias(typed_name("network_zone")),
    ];
    for date in &spec.date_columns {
        let raw = col(date.as_str()).str().strip_chars(lit(NULL));
        let parsed = parse_date(raw.clone());
        exprs.push(
            raw.neq(lit(""))
                .and(parsed.clone().is_null())
                .fill_null(lit(false))
                .alias(format!("bad_{date}")),
        );
        exprs.push(parsed.alias(typed_name(date)));
    }
    let checked = frame
        .lazy()
        .select(selected)
        .with_row_index("line", Some(2))
        .select(exprs)
        .collect()
        .map_err(|e| polars_fault("the inventory cannot be checked", e))?;

    let mut checks = vec!["device_class".to_string()];
    checks.extend(spec.date_columns.iter().cloned());
    let lines = checked
        .column("line")
        .and_then(|c| c.cast(&DataType::UInt64))
        .map_err(|e| polars_fault("line numbers", e))?;
    let lines = lines.u64().map_err(|e| polars_fault("line numbers", e))?;
    let mut bad_cells = Vec::new();
    let mut bad_cell_count = 0;
    for column in &checks {
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
                    value: values.get(i).unwrap_or("").to_string(),
                });
            }
        }
    }
    bad_cells.sort_by(|a, b| (a.line, &a.column).cmp(&(b.line, &b.column)));

    let mut names: Vec<String> = vec!["device_class".into(), "os_name".into(), "os_version".into()];
    names.extend(spec.date_columns.iter().cloned());
    names.push("network_zone".into());
    let frame = checked
        .select(names.iter().map(|n| {
            if n == "os_name" || n == "os_version" {
                n.clone()
            } else {
                typed_name(n)
            }
        }))
        .and_then(|mut f| {
            for n in &names {
                if f.get_column_index(&typed_name(n)).is_some() {
                    f.rename(&typed_name(n), n.as_str().into())?;
                }
            }
            Ok(f)
        })
        .map_err(|e| polars_fault("the inventory cannot be typed", e))?;
    Ok(Inventory {
        frame,
        bad_cells,
        bad_cell_count,
    })
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

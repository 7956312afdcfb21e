//! `baseline generate --hostile`: every kind of hostile or careless input that once stopped the
//! national run, displaced another organisation's file or leaked past disclosure control
//! (docs/BAD-INPUT.md), at full size, planted into a generated landing zone under
//! `{period}/hostile/`. A run over it must publish every other organisation's results; the
//! test `a_landing_zone_holding_every_hostile_input_still_publishes` and `docs/BAD-INPUT.md`'s
//! figures use it.

use std::fmt::Write as _;
use std::path::Path;

use crate::period::Period;

const INVENTORY_HEADER: &str = "device_id,device_class,os_name,os_version,oldest_missing_critical_patch_released_on,antimalware_signatures_updated_on,network_zone\n";

/// Plants the hostile files for `period` under `root/landing/{period}/hostile/`, naming the
/// organisations of `root/reference/organisations.csv`; returns the organisation codes the
/// files name, whose results they may change.
pub fn plant(root: &Path, period: Period) -> std::io::Result<Vec<String>> {
    let reference = fs_err::read_to_string(root.join("reference/organisations.csv"))?;
    let codes: Vec<&str> = reference
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    let trusts: Vec<&str> = codes
        .iter()
        .copied()
        .filter(|c| c.starts_with('R'))
        .collect();
    let practices: Vec<&str> = codes.iter().copied().filter(|c| c.len() == 6).collect();
    let [a, b, ..] = trusts[..] else {
        return Err(std::io::Error::other("the estate needs two trusts"));
    };
    let [p1, p2, p3, p4, p5, p6, ..] = practices[..] else {
        return Err(std::io::Error::other("the estate needs six GP practices"));
    };
    let dir = root
        .join("landing")
        .join(period.to_string())
        .join("hostile");
    fs_err::create_dir_all(&dir)?;
    let name = |org: &str, kind: &str, ext: &str| format!("{org}_{period}_{kind}.{ext}");
    let submitted = format!("{}-05T09:00:00Z", period.next());

    far_apart_workbook(&dir.join(name(p1, "return", "xlsx")))?;
    long_text(&dir, period, p2, a, &submitted)?;
    distinct_os_inventory(&dir.join(name(b, "inventory", "csv")), 1_050_000)?;
    escaped_keys(
        &dir.join(name(p3, "return", "json")),
        period,
        p3,
        &submitted,
        9_000,
    )?;
    carriage_returns(&dir.join(name(p4, "return", "csv")), period, p4, &submitted)?;
    // Another organisation's return under p5's name, sent "in the future".
    let mut forged = String::from("org_code,period,submitted_at,measure,value,comment\n");
    let _ = writeln!(forged, "{p6},{period},9999-12-31T00:00:00Z,staff_total,10,");
    fs_err::write(dir.join(name(p5, "return", "csv")), forged)?;
    quarantine_names(&dir, period, p6)?;
    Ok(vec![a, b, p1, p2, p3, p4, p5, p6]
        .into_iter()
        .map(str::to_string)
        .collect())
}

/// A `Return` sheet with a cell at `A1` and one at `XFD1048576`.
fn far_apart_workbook(path: &Path) -> std::io::Result<()> {
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("Return")
        .and_then(|s| s.write_string(0, 0, "org_code"))
        .and_then(|s| s.write_string(1_048_575, 16_383, "far"))
        .map_err(std::io::Error::other)?;
    let bytes = book.save_to_buffer().map_err(std::io::Error::other)?;
    fs_err::write(path, bytes)
}

/// A 40,000-character measure name, a 33,000-character `org_code` and a 33,000-character OS
/// name: each past what an Excel cell holds.
fn long_text(dir: &Path, period: Period, gp: &str, trust: &str, at: &str) -> std::io::Result<()> {
    let mut csv = String::from("org_code,period,submitted_at,measure,value,comment\n");
    let _ = writeln!(csv, "{gp},{period},{at},{},1,", "m".repeat(40_000));
    fs_err::write(dir.join(format!("{gp}_{period}_return.csv")), csv)?;
    let json = format!(
        "{{\"org_code\": \"{}\", \"period\": \"{period}\", \"submitted_at\": \"{at}\", \"measures\": {{}}}}",
        "Q".repeat(33_000)
    );
    fs_err::create_dir_all(dir.join("json"))?;
    fs_err::write(dir.join(format!("json/{gp}_{period}_return.json")), json)?;
    let mut inventory = String::from(INVENTORY_HEADER);
    let os = "o".repeat(33_000);
    let _ = writeln!(inventory, "x1,endpoint,{os},1,,{period}-28,corporate");
    fs_err::create_dir_all(dir.join("long-os"))?;
    fs_err::write(
        dir.join(format!("long-os/{trust}_{period}_inventory.csv")),
        &inventory,
    )?;
    // The same bytes under another organisation's name.
    fs_err::write(
        dir.join(format!("long-os/{gp}_{period}_inventory.csv")),
        inventory,
    )
}

/// An inventory whose every device runs an operating system of its own (26 MB at a million).
fn distinct_os_inventory(path: &Path, rows: usize) -> std::io::Result<()> {
    let mut text = String::with_capacity(rows * 26 + 200);
    text.push_str(INVENTORY_HEADER);
    for i in 0..rows {
        let _ = writeln!(text, "d{i},endpoint,OS{i},1,,,corporate");
    }
    fs_err::write(path, text)
}

/// A JSON return of `keys` measures each written with an escape (`"\u006d..."`).
fn escaped_keys(
    path: &Path,
    period: Period,
    org: &str,
    at: &str,
    keys: usize,
) -> std::io::Result<()> {
    let mut text = format!(
        "{{\"org_code\": \"{org}\", \"period\": \"{period}\", \"submitted_at\": \"{at}\",\n\"measures\": {{\n"
    );
    for i in 0..keys {
        let comma = if i + 1 < keys { "," } else { "" };
        let _ = writeln!(text, "\"\\u006d{i:0>90}\": {i}{comma}");
    }
    text.push_str("}}\n");
    fs_err::write(path, text)
}

/// A 10 MB CSV return whose lines end with a carriage return alone.
fn carriage_returns(path: &Path, period: Period, org: &str, at: &str) -> std::io::Result<()> {
    let mut text = String::from("org_code,period,submitted_at,measure,value,comment\r");
    while text.len() < 10 << 20 {
        let _ = write!(text, "{org},{period},{at},staff_total,1,\r");
    }
    fs_err::write(path, text)
}

/// A 252-character file name (its `.issues.csv` would be past 255), and a file beside a folder
/// named like its issues file.
fn quarantine_names(dir: &Path, period: Period, org: &str) -> std::io::Result<()> {
    let long = format!("{}_{period}_return.csv", "X".repeat(233));
    fs_err::write(dir.join(long), "not a return")?;
    let plain = format!("{org}_{period}_return.csv");
    let beside = dir.join("beside");
    fs_err::create_dir_all(beside.join(format!("{plain}.issues.csv")))?;
    fs_err::write(beside.join(&plain), "broken")?;
    fs_err::write(
        beside.join(format!("{plain}.issues.csv")).join(&plain),
        "broken too",
    )
}

//! Data-driven validation cases: each folder of `tests/cases/` holds a landing zone and the
//! issues a run of period 2026-10 must report (`expected.csv`), so a case is added by adding
//! a folder. The run's quarantine must hold exactly the rejected files, unchanged.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use baseline::contract::Code;
use baseline::validate::Limits;
use common::*;

const PERIOD: &str = "2026-10";

fn limits(case: &Path) -> Limits {
    let mut limits = Limits::default();
    if let Ok(text) = std::fs::read_to_string(case.join("case.toml")) {
        let table: toml::Table = text.parse().expect("case.toml is TOML");
        if let Some(v) = table
            .get("max_return_bytes")
            .and_then(toml::Value::as_integer)
        {
            limits.max_return_bytes = v as u64;
        }
    }
    limits
}

/// The issue columns a case pins down (messages may be reworded freely).
fn pinned(rows: Vec<Vec<String>>, columns: &[&str]) -> Vec<Vec<String>> {
    let header = &rows[0];
    let index: Vec<usize> = columns
        .iter()
        .map(|c| header.iter().position(|h| h == c).expect("column present"))
        .collect();
    let mut out: Vec<Vec<String>> = rows[1..]
        .iter()
        .map(|r| index.iter().map(|&i| r[i].clone()).collect())
        .collect();
    out.sort();
    out
}

fn run_case(case: &Path) -> Result<(), String> {
    let contract = contract();
    let out = tempfile::tempdir().expect("a temp dir");
    let validated = run_batch(
        local(&case.join("landing")),
        local(out.path()),
        Some(PERIOD),
        orgs(&case.join("../organisations.csv"), &contract),
        limits(case),
    )
    .validated;
    let run_dir = out.path().join(PERIOD);
    let columns = ["file", "org_code", "measure", "line", "severity", "code"];
    let actual = pinned(
        read_csv(
            &std::fs::read(run_dir.join("validation/issues.csv")).expect("issues.csv written"),
        ),
        &columns,
    );
    let expected = pinned(
        read_csv(&std::fs::read(case.join("expected.csv")).expect("expected.csv")),
        &columns,
    );
    if actual != expected {
        return Err(format!(
            "issues differ\n  expected: {expected:?}\n  actual:   {actual:?}\n  all:      {:#?}",
            validated.issues
        ));
    }

    // Quarantine: every file rejected as a whole, and every inventory with an error.
    let rejected: BTreeSet<String> = validated
        .issues
        .iter()
        .filter(|i| {
            contract.codes.rejects_file(i.code, i.severity)
                || (i.file.contains("_inventory.")
                    && i.severity == baseline::contract::Severity::Error)
        })
        .map(|i| i.file.clone())
        .collect();
    let index = quarantined(&run_dir);
    let kept: BTreeSet<String> = index.keys().cloned().collect();
    if rejected != kept {
        return Err(format!("quarantine holds {kept:?}, expected {rejected:?}"));
    }
    for (file, (copy, issues)) in &index {
        let original = std::fs::read(case.join("landing").join(file)).expect("original");
        if original != std::fs::read(copy).expect("copy") {
            return Err(format!("quarantined {file} differs from the original"));
        }
        let own = read_csv(&std::fs::read(issues).expect("issues beside it"));
        if own.len() < 2 || own[1..].iter().any(|r| r[1] != *file) {
            return Err(format!("issues beside {file} are not its own: {own:?}"));
        }
    }
    Ok(())
}

/// One test per case folder, so a case runs alone (`cargo test --test validation_cases
/// unknown_os`); `every_case_folder_has_its_test` keeps the list and the folders equal.
macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let case = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/cases")
                    .join(stringify!($name));
                if let Err(e) = run_case(&case) {
                    panic!("{}: {e}", stringify!($name));
                }
            }
        )*
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

cases!(
    conflicting_resubmission,
    date_after_period_end,
    discrepancy,
    duplicate_file,
    duplicate_measure,
    empty_file,
    file_too_large,
    filename_mismatch,
    inconsistent,
    inconsistent_header,
    invalid_submitted_at,
    invalid_value,
    inventory_invalid_value,
    inventory_unreadable,
    inventory_without_return,
    late_submission,
    missing_field,
    missing_measure,
    out_of_range,
    period_mismatch,
    plan_done_but_unmet,
    plan_duplicate_action,
    plan_invalid_field,
    plan_missing_action,
    plan_overdue,
    plan_target_too_far,
    plan_unknown_standard,
    superseded,
    unknown_measure,
    unknown_org,
    unknown_os,
    unreadable_file,
    unrecognised_file,
    valid_batch,
    xlsx_lines,
    xlsx_without_return_sheet,
);

#[test]
fn every_case_folder_has_its_test() {
    let cases_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut folders: Vec<String> = std::fs::read_dir(&cases_dir)
        .expect("tests/cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(folders, CASES, "add the new case folder to `cases!`");
}

/// Every code Baseline can raise has at least one case that expects it.
#[test]
fn every_code_has_a_case() {
    let cases_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut covered = BTreeSet::new();
    for entry in std::fs::read_dir(&cases_dir).expect("tests/cases") {
        let expected = entry.expect("entry").path().join("expected.csv");
        if let Ok(bytes) = std::fs::read(&expected) {
            for row in read_csv(&bytes).into_iter().skip(1) {
                covered.insert(row[5].clone());
            }
        }
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(*c))
        .collect();
    assert!(missing.is_empty(), "codes without a case: {missing:?}");
}

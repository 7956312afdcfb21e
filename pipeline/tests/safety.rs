//! Hostile and careless input that once stopped the run, displaced another organisation's
//! return or leaked the server's files (see docs/BAD-INPUT.md): each test names what it guards.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use baseline::contract::{Code, Severity};
use baseline::run::RunOutput;
use baseline::validate::{Issue, Limits};
use common::*;

const PERIOD: &str = "2026-10";

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

/// A landing zone holding the clean returns of the `valid_batch` case.
fn landing(dir: &Path) -> PathBuf {
    let landing = dir.join("landing");
    std::fs::create_dir_all(&landing).unwrap();
    for name in ["K82057_2026-10_return.csv", "R0A_2026-10_return.csv"] {
        std::fs::copy(
            cases().join("valid_batch/landing").join(name),
            landing.join(name),
        )
        .unwrap();
    }
    landing
}

fn clean_return(org: &str) -> String {
    std::fs::read_to_string(cases().join("valid_batch/landing/K82057_2026-10_return.csv"))
        .unwrap()
        .replace("K82057", org)
}

fn run_with(dir: &Path, limits: Limits) -> RunOutput {
    let contract = contract();
    run_batch(
        local(&dir.join("landing")),
        local(&dir.join("out")),
        Some(PERIOD),
        orgs(&cases().join("organisations.csv"), &contract),
        limits,
    )
}

fn run(dir: &Path) -> RunOutput {
    run_with(dir, Limits::default())
}

fn issues_of<'a>(output: &'a RunOutput, file: &str) -> Vec<&'a Issue> {
    output
        .validated
        .issues
        .iter()
        .filter(|i| i.file == file)
        .collect()
}

fn used_return(output: &RunOutput, org: &str) -> Option<String> {
    output
        .validated
        .returns
        .iter()
        .find(|r| r.org_code == org)
        .map(|r| r.file.clone())
}

/// Guards: a link in a local landing zone was followed, so whoever could write there could
/// make the batch read, echo and quarantine any file of the server.
#[test]
fn links_in_a_local_landing_zone_are_reported_and_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    let secret_dir = dir.path().join("secret");
    std::fs::create_dir_all(secret_dir.join("inner")).unwrap();
    let secret = secret_dir.join("secret.csv");
    std::fs::write(&secret, "TOPSECRET-LINE,with,the,server's,data\n").unwrap();
    std::fs::write(secret_dir.join("inner/TOPSECRET-NAME.txt"), "x").unwrap();
    std::os::unix::fs::symlink(&secret, landing.join("K82058_2026-10_return.csv")).unwrap();
    std::os::unix::fs::symlink(&secret_dir, landing.join("linked-folder")).unwrap();
    std::fs::create_dir_all(landing.join("sub")).unwrap();
    std::os::unix::fs::symlink(&secret, landing.join("sub/QWE_2026-10_return.csv")).unwrap();

    let output = run(dir.path());
    let run_dir = dir.path().join("out").join(PERIOD);
    let mut everything = String::new();
    for file in files_below(&run_dir) {
        everything.push_str(&String::from_utf8_lossy(
            &std::fs::read(run_dir.join(&file)).unwrap(),
        ));
        everything.push_str(&file);
    }
    assert!(
        !everything.contains("TOPSECRET"),
        "nothing behind a link is read or listed"
    );
    for link in [
        "K82058_2026-10_return.csv",
        "linked-folder",
        "sub/QWE_2026-10_return.csv",
    ] {
        let issues = issues_of(&output, link);
        assert!(
            issues.len() == 1
                && issues[0].code == Code::UnrecognisedFile
                && issues[0].message.contains("symbolic link"),
            "{link}: {issues:?}"
        );
    }
    assert_eq!(
        output.validated.returns.len(),
        2,
        "the real returns are used"
    );
}

/// Guards: a file replaced by a link after the listing (a race with the run) is not read
/// through the link, and the batch goes on without it.
#[test]
fn a_file_that_becomes_a_link_after_the_listing_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    let secret = dir.path().join("secret.csv");
    std::fs::write(&secret, "TOPSECRET\n").unwrap();
    let location = local(&landing);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listing = runtime.block_on(baseline::ingest::list(&location)).unwrap();
    let victim = landing.join("R0A_2026-10_return.csv");
    std::fs::remove_file(&victim).unwrap();
    std::os::unix::fs::symlink(&secret, &victim).unwrap();
    let files: Vec<_> = listing.recognised.clone();
    let loaded = runtime.block_on(baseline::ingest::read_all(
        &location,
        files,
        4,
        |_| u64::MAX,
        None,
        |_| {},
    ));
    let r0a = loaded
        .iter()
        .find(|f| f.entry.key.starts_with("R0A"))
        .unwrap();
    assert!(r0a.bytes.is_empty(), "nothing was read through the link");
    assert!(
        matches!(r0a.unread, Some(baseline::ingest::Unread::Failed(_))),
        "{:?}",
        r0a.unread
    );
    let contract = contract();
    let orgs = orgs(&cases().join("organisations.csv"), &contract);
    let validated = baseline::validate::Batch {
        contract: &contract,
        orgs: &orgs,
        period: PERIOD.parse().unwrap(),
        limits: Limits::default(),
        now: chrono::Utc::now(),
        standards: &Default::default(),
    }
    .validate(&listing.unrecognised, loaded);
    let issue = validated
        .issues
        .iter()
        .find(|i| i.file == "R0A_2026-10_return.csv")
        .unwrap();
    assert_eq!(issue.code, Code::UnreadableFile);
    assert_eq!(validated.returns.len(), 1, "the other return is used");
}

/// Guards: issues of a return written with a lower-case code kept that spelling, so no table
/// joined on them and the organisation's own page showed none.
#[test]
fn every_output_uses_the_reference_tables_spelling_of_a_code() {
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    let text = clean_return("k82058").replace(",endpoints_total,40,", ",endpoints_total,forty,");
    std::fs::write(landing.join("k82058_2026-10_return.csv"), text).unwrap();
    let output = run(dir.path());
    let own = issues_of(&output, "k82058_2026-10_return.csv");
    assert!(!own.is_empty());
    assert!(own.iter().all(|i| i.org_code == "K82058"), "{own:?}");
    let issues =
        std::fs::read_to_string(dir.path().join("out/2026-10/validation/issues.csv")).unwrap();
    assert!(!issues.contains(",k82058,"), "{issues}");
    let page =
        std::fs::read_to_string(dir.path().join("out/2026-10/reports/orgs/K82058.html")).unwrap();
    assert!(
        page.contains("forty"),
        "the organisation's page shows its issue"
    );
}

/// Guards: a file named for one organisation holding another's return, with a far-future
/// `submitted_at`, replaced that organisation's genuine return for good.
#[test]
fn a_return_named_for_another_organisation_counts_for_neither() {
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    std::fs::create_dir_all(landing.join("other")).unwrap();
    let forged = clean_return("K82057").replace("2026-11-04T09:12:00Z", "9999-12-31T00:00:00Z");
    std::fs::write(landing.join("other/K82058_2026-10_return.csv"), forged).unwrap();
    let later = clean_return("K82057").replace("2026-11-04T09:12:00Z", "2026-11-30T00:00:00Z");
    std::fs::write(landing.join("Z_K82057_2026-10_return.csv"), &later).unwrap();
    std::fs::write(landing.join("other/K82058_2026-10_return.csv.bak"), "").unwrap();

    let output = run(dir.path());
    let forged_issues = issues_of(&output, "other/K82058_2026-10_return.csv");
    let mismatch = forged_issues
        .iter()
        .find(|i| i.code == Code::FilenameMismatch)
        .expect("the name is reported");
    assert_eq!(mismatch.severity, Severity::Error);
    assert!(mismatch.message.contains("K82058") && mismatch.message.contains("K82057"));
    assert!(
        output
            .validated
            .rejected
            .iter()
            .any(|r| r.file == "other/K82058_2026-10_return.csv"),
        "the forged file is quarantined"
    );
    assert_eq!(
        used_return(&output, "K82057").as_deref(),
        Some("K82057_2026-10_return.csv"),
        "the genuine return stays in use"
    );
    assert_eq!(
        used_return(&output, "K82058"),
        None,
        "nor does it count for K82058"
    );
}

/// Guards: a `submitted_at` after the run's own clock won every resubmission contest.
#[test]
fn a_return_sent_in_the_future_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    let text = clean_return("K82057").replace("2026-11-04T09:12:00Z", "9999-12-31T00:00:00Z");
    std::fs::create_dir_all(landing.join("again")).unwrap();
    std::fs::write(landing.join("again/K82057_2026-10_return.csv"), text).unwrap();
    let output = run(dir.path());
    let issues = issues_of(&output, "again/K82057_2026-10_return.csv");
    assert!(
        issues
            .iter()
            .any(|i| i.code == Code::InvalidSubmittedAt && i.message.contains("later than now")),
        "{issues:?}"
    );
    assert_eq!(
        used_return(&output, "K82057").as_deref(),
        Some("K82057_2026-10_return.csv")
    );
}

fn inventory(org: &str, os: &str) -> String {
    let mut text = String::from(
        "device_id,device_class,os_name,os_version,oldest_missing_critical_patch_released_on,antimalware_signatures_updated_on,network_zone\n",
    );
    for i in 0..40 {
        text.push_str(&format!("{org}-{i},endpoint,{os},,2026-10-30,corporate\n"));
    }
    text
}

/// Guards: a byte-for-byte copy of one organisation's inventory saved under another's name
/// made the genuine one a `duplicate_file` and gave its devices to the other organisation.
#[test]
fn an_inventory_copied_under_another_name_is_used_for_neither() {
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    let genuine = inventory("R0A", "Windows,11 24H2 Enterprise");
    std::fs::write(landing.join("R0A_2026-10_inventory.csv"), &genuine).unwrap();
    std::fs::write(landing.join("K82057_2026-10_inventory.csv"), &genuine).unwrap();
    let output = run(dir.path());
    assert!(
        output.validated.inventories.is_empty(),
        "neither inventory is used"
    );
    for (file, other) in [
        ("R0A_2026-10_inventory.csv", "K82057"),
        ("K82057_2026-10_inventory.csv", "R0A"),
    ] {
        let issues = issues_of(&output, file);
        assert!(
            issues.iter().any(|i| i.code == Code::DuplicateFile
                && i.severity == Severity::Error
                && i.message.contains(other)),
            "{file}: {issues:?}"
        );
    }
}

/// Guards: two different inventories of one organisation were both rejected, so anyone able to
/// drop a file could veto an organisation's evidence. The latest written is used.
#[test]
fn of_two_inventories_of_one_organisation_the_latest_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    std::fs::create_dir_all(landing.join("older")).unwrap();
    let older = landing.join("older/R0A_2026-10_inventory.csv");
    let newer = landing.join("R0A_2026-10_inventory.csv");
    std::fs::write(&older, inventory("R0A", "Windows,7")).unwrap();
    std::fs::write(&newer, inventory("R0A", "Windows,11 24H2 Enterprise")).unwrap();
    let at = |secs| std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    // The file listed first is the one written later.
    std::fs::File::options()
        .write(true)
        .open(&newer)
        .unwrap()
        .set_modified(at(1_800_000_000))
        .unwrap();
    std::fs::File::options()
        .write(true)
        .open(&older)
        .unwrap()
        .set_modified(at(1_700_000_000))
        .unwrap();
    let output = run(dir.path());
    assert_eq!(output.validated.inventories.len(), 1);
    assert_eq!(
        output.validated.inventories[0].file,
        "R0A_2026-10_inventory.csv"
    );
    let issues = issues_of(&output, "older/R0A_2026-10_inventory.csv");
    assert!(
        issues
            .iter()
            .any(|i| i.code == Code::Superseded && i.message.contains("R0A_2026-10_inventory.csv")),
        "{issues:?}"
    );
}

/// Guards: an XLSX with a cell at A1 and one at XFD1048576 made calamine ask for ~550 GB and
/// aborted the process; one at ALL50000 cost 1.5 GB before the file was rejected.
#[test]
fn far_apart_cells_in_a_workbook_are_refused_without_a_grid() {
    for (row, col) in [(1_048_575u32, 16_383u16), (49_999, 999)] {
        let dir = tempfile::tempdir().unwrap();
        let landing = landing(dir.path());
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("Return").unwrap();
        sheet.write_string(0, 0, "org_code").unwrap();
        sheet.write_string(row, col, "far").unwrap();
        std::fs::write(
            landing.join("K82058_2026-10_return.xlsx"),
            book.save_to_buffer().unwrap(),
        )
        .unwrap();
        let output = run(dir.path());
        let issues = issues_of(&output, "K82058_2026-10_return.xlsx");
        assert!(
            issues.len() == 1
                && issues[0].code == Code::FileTooLarge
                && issues[0].message.contains("column"),
            "{issues:?}"
        );
        assert_eq!(output.validated.returns.len(), 2, "the batch goes on");
    }
}

/// Guards: submitter text over Excel's 32,767 characters reached `analyst.xlsx` unclipped, the
/// workbook could not be written and nothing was published.
#[test]
fn very_long_submitter_text_is_clipped_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    let long = "m".repeat(40_000);
    let mut csv = clean_return("K82058");
    csv.push_str(&format!("K82058,2026-10,2026-11-04T09:12:00Z,{long},1,\n"));
    std::fs::write(landing.join("K82058_2026-10_return.csv"), csv).unwrap();
    let json = format!(
        "{{\"org_code\": \"{}\", \"period\": \"2026-10\", \"submitted_at\": \"2026-11-04T09:12:00Z\", \"measures\": {{}}}}",
        "Q".repeat(33_000)
    );
    std::fs::write(landing.join("QWE_2026-10_return.json"), json).unwrap();
    let os = "o".repeat(33_000);
    std::fs::write(
        landing.join("R0A_2026-10_inventory.csv"),
        inventory("R0A", &format!("{os},1")),
    )
    .unwrap();
    let output = run(dir.path());
    let longest = output
        .validated
        .issues
        .iter()
        .map(|i| i.measure.len().max(i.org_code.len()).max(i.message.len()))
        .max()
        .unwrap();
    assert!(
        longest < 3_000,
        "every echoed value is clipped ({longest} characters)"
    );
    let book = dir.path().join("out/2026-10/reports/analyst.xlsx");
    assert!(
        book.is_file(),
        "the workbook is written and the run published"
    );
    let issues =
        std::fs::read_to_string(dir.path().join("out/2026-10/validation/issues.csv")).unwrap();
    assert!(issues.contains("(40000 characters)") && issues.contains("(33000 characters)"));
}

/// Guards: one `unknown_os` per distinct OS name, uncapped (a million distinct names ran 41 s
/// at 5.9 GB and broke the workbook), and likewise any code raised once a row.
#[test]
fn issues_are_capped_per_file_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    let mut text = String::from(
        "device_id,device_class,os_name,os_version,oldest_missing_critical_patch_released_on,antimalware_signatures_updated_on,network_zone\n",
    );
    for i in 0..3_000 {
        text.push_str(&format!(
            "R0A-{i},endpoint,Odd OS {i},1,,2026-10-30,corporate\n"
        ));
    }
    std::fs::write(landing.join("R0A_2026-10_inventory.csv"), text).unwrap();
    let mut csv = clean_return("K82058");
    for i in 0..500 {
        csv.push_str(&format!(
            "K82058,2026-10,2026-11-04T09:12:00Z,made_up_{i},1,\n"
        ));
    }
    std::fs::write(landing.join("K82058_2026-10_return.csv"), csv).unwrap();
    let output = run(dir.path());
    let count = |file: &str, code: Code| {
        issues_of(&output, file)
            .into_iter()
            .filter(|i| i.code == code)
            .count()
    };
    let unknown_os = count("R0A_2026-10_inventory.csv", Code::UnknownOs);
    assert_eq!(unknown_os, baseline::ingest::counts::LISTED_UNKNOWN_OS + 1);
    assert!(
        issues_of(&output, "R0A_2026-10_inventory.csv")
            .iter()
            .any(|i| i
                .message
                .starts_with("2980 more operating systems on 2980 devices"))
    );
    assert_eq!(
        count("K82058_2026-10_return.csv", Code::UnknownMeasure),
        baseline::validate::LISTED_PER_CODE + 1
    );
}

/// Guards: a rejected file's quarantine path was built from its name, so a 252-character name
/// (its `.issues.csv` too long) or a folder named like an issues file made the write fail and
/// stopped the run.
#[test]
fn quarantine_names_always_fit_and_never_collide() {
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    let long = format!("{}_2026-10_return.csv", "X".repeat(233));
    assert_eq!(long.len(), 252);
    let long_folder = landing.join("x".repeat(200));
    std::fs::create_dir_all(&long_folder).unwrap();
    std::fs::write(
        long_folder.join("K82058_2026-10_return.csv"),
        "not, a return\n",
    )
    .unwrap();
    std::fs::write(landing.join(&long), "").unwrap();
    std::fs::write(landing.join("QWE_2026-10_return.csv"), "broken").unwrap();
    std::fs::create_dir_all(landing.join("QWE_2026-10_return.csv.issues.csv")).unwrap();
    std::fs::write(
        landing.join("QWE_2026-10_return.csv.issues.csv/QWE_2026-10_return.csv"),
        "also broken",
    )
    .unwrap();
    let output = run(dir.path());
    let index = quarantined(&dir.path().join("out/2026-10"));
    for rejected in &output.validated.rejected {
        let (copy, _) = &index[&rejected.file];
        assert_eq!(
            std::fs::read(copy).unwrap(),
            std::fs::read(landing.join(&rejected.file)).unwrap()
        );
    }
    assert!(index.contains_key(&long), "{index:?}");
    assert!(index.len() >= 4, "{index:?}");
}

/// Guards: a return with `\r` line ends skipped the row count, and 10 MB of them cost 554 MB.
#[test]
fn carriage_return_line_ends_count_as_rows() {
    let limits = Limits {
        max_return_rows: 100,
        ..Limits::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    let mut text = String::from("org_code,period,submitted_at,measure,value,comment\r");
    for i in 0..200 {
        text.push_str(&format!("K82058,2026-10,2026-11-04T09:12:00Z,m{i},1,\r"));
    }
    std::fs::write(landing.join("K82058_2026-10_return.csv"), text).unwrap();
    let output = run_with(dir.path(), limits);
    let issues = issues_of(&output, "K82058_2026-10_return.csv");
    assert!(
        issues.iter().any(|i| i.code == Code::FileTooLarge),
        "{issues:?}"
    );
}

/// Guards: control characters in submitted text (ESC sequences) reached `issues.csv`, the
/// pages and the terminal.
#[test]
fn control_characters_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let landing = landing(dir.path());
    let mut csv = clean_return("K82058");
    csv.push_str("K82058,2026-10,2026-11-04T09:12:00Z,\u{1b}[31mred,1,\n");
    std::fs::write(landing.join("K82058_2026-10_return.csv"), csv).unwrap();
    run(dir.path());
    let run_dir = dir.path().join("out/2026-10");
    for file in ["validation/issues.csv", "reports/orgs/K82058.html"] {
        let text = std::fs::read_to_string(run_dir.join(file)).unwrap();
        assert!(!text.contains('\u{1b}'), "{file} carries a raw ESC");
        assert!(text.contains("\\u{1b}[31mred"), "{file} shows it escaped");
    }
}

/// Guards: every contract file's hash is in the manifest, so a `schemas/` folder in the working
/// folder cannot silently replace the contract.
#[test]
fn the_manifest_records_every_contract_file() {
    let dir = tempfile::tempdir().unwrap();
    landing(dir.path());
    run(dir.path());
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/2026-10/manifest.json")).unwrap(),
    )
    .unwrap();
    let files = manifest["contract"]["sha256"].as_object().unwrap();
    let expected = baseline::digest::sha256_hex(
        &std::fs::read(workspace().join("schemas/dictionary.toml")).unwrap(),
    );
    assert_eq!(files["dictionary.toml"], expected.as_str());
    assert_eq!(
        files.len(),
        5,
        "dictionary, codes, OS lifecycle, insights, plan"
    );
    assert_eq!(manifest["standards_sha256"].as_str().unwrap().len(), 64);
}

/// Guards: the Parquet check child had no timeout, so a decoder that looped hung the run.
#[test]
fn a_parquet_decode_that_does_not_finish_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("slow");
    std::fs::write(&slow, "#!/bin/sh\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&slow, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let limits = Limits {
        parquet_check_seconds: 1,
        ..Limits::default()
    };
    let fault = baseline::ingest::inventory::decode_with(
        &slow,
        &bytes::Bytes::from_static(b"PAR1"),
        &limits,
    )
    .expect_err("a decoder that does not finish fails the file");
    assert!(
        fault.message.contains("longer than 1 seconds"),
        "{}",
        fault.message
    );
}

/// Guards: 434 KB of compressed, dictionary-encoded Parquet decoded to 4.2 GB in the main
/// process. The child that decodes it first refuses what decodes past the limit.
#[test]
fn a_parquet_inventory_that_inflates_is_refused_before_the_run_decodes_it() {
    use polars::prelude::*;
    let rows = 20_000;
    let long = "e".repeat(1_000);
    let column = |name: &str, value: &str| Column::new(name.into(), vec![value; rows]);
    let mut frame = DataFrame::new(
        rows,
        vec![
            column("device_id", "d"),
            column("device_class", &long),
            column("os_name", "Windows"),
            column("os_version", "11 24H2 Enterprise"),
            column("oldest_missing_critical_patch_released_on", ""),
            column("antimalware_signatures_updated_on", "2026-10-30"),
            column("network_zone", "corporate"),
        ],
    )
    .unwrap();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut frame).unwrap();
    assert!(
        bytes.len() < 200_000,
        "small on disk: {} bytes",
        bytes.len()
    );
    baseline::ingest::inventory::isolate_parquet_with(env!("CARGO_BIN_EXE_baseline").into());
    let limits = Limits {
        max_inventory_decoded_bytes: 4 << 20,
        ..Limits::default()
    };
    let contract = contract();
    let issues = baseline::validate::check_file(
        "R0A_2026-10_inventory.parquet",
        bytes.into(),
        &contract,
        baseline::validate::Context {
            orgs: None,
            period: PERIOD.parse().ok(),
            now: chrono::Utc::now(),
            standards: None,
        },
        limits,
    );
    assert!(
        issues
            .iter()
            .any(|i| i.code == Code::UnreadableFile && i.message.contains("decodes to")),
        "{issues:?}"
    );
}

fn binary(args: &[&str], dir: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .args(args)
        .current_dir(dir)
        .env("BASELINE_LOG", "info")
        .output()
        .expect("the binary runs")
}

/// Guards: outside the repository, `baseline run` fell back to the samples of the folder it was
/// built in; defaults now come from the working folder only.
#[test]
fn the_binary_never_reaches_into_its_build_tree() {
    let dir = tempfile::tempdir().unwrap();
    let out = binary(&["run"], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no contract folder at `schemas`"),
        "{stderr}"
    );
    let schemas = workspace().join("schemas");
    let out = binary(&["run", "--schemas", schemas.to_str().unwrap()], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`data-samples/landing` is not a usable location"),
        "{stderr}"
    );
}

/// Guards: an invalid catalogue exited 2 from `standards check` but 1 from `run`; log lines
/// carried colour codes into files and pipes; and `BASELINE_CRASH_AT` could stop a production
/// run from its environment.
#[test]
fn exit_codes_logs_and_crash_points_as_a_production_run_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "id = \"X\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .args(["run", "--out"])
        .arg(dir.path().join("out"))
        .arg("--standards")
        .arg(&bad)
        .current_dir(workspace())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .args(["run", "--out"])
        .arg(dir.path().join("out"))
        .current_dir(workspace())
        .env("BASELINE_LOG", "info")
        .env("BASELINE_CRASH_AT", "render")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the environment cannot stop a run: {stderr}"
    );
    assert!(stderr.contains("published"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes in a pipe: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for named in ["input:", "reference:", "contract:", "MCS-2026"] {
        assert!(
            stdout.contains(named),
            "the summary names the {named}\n{stdout}"
        );
    }
}

/// Guards: a dictionary with fewer than two inventory date columns panicked, and swapping them
/// swapped the patch and anti-malware windows; each column's part is now named.
#[test]
fn a_dictionary_without_an_inventory_role_is_a_contract_error() {
    let dir = tempfile::tempdir().unwrap();
    let schemas = dir.path().join("schemas");
    std::fs::create_dir_all(&schemas).unwrap();
    for file in ["validation-codes.toml", "os-lifecycle.csv", "insights.toml"] {
        std::fs::copy(workspace().join("schemas").join(file), schemas.join(file)).unwrap();
    }
    let dictionary = std::fs::read_to_string(workspace().join("schemas/dictionary.toml")).unwrap();
    let without = dictionary.replace(
        "antimalware_date = \"antimalware_signatures_updated_on\"\n",
        "",
    );
    assert_ne!(without, dictionary);
    std::fs::write(schemas.join("dictionary.toml"), without).unwrap();
    let error = baseline::contract::Contract::load(&schemas).expect_err("a role is missing");
    assert!(
        format!("{error:#}").contains("antimalware_date"),
        "{error:#}"
    );
    let out = binary(&["validate", "x.csv"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

/// Every hostile input at once, at full size (`baseline generate --hostile`): the run publishes,
/// and every organisation no hostile file names keeps the result it has without them.
#[test]
fn a_landing_zone_holding_every_hostile_input_still_publishes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("estate");
    let contract = contract();
    let plan = baseline::generate::Plan::small(3, 40, 0.0, PERIOD.parse().unwrap(), 1);
    baseline::generate::generate(&plan, &contract.dictionary, &root).unwrap();
    let status = |out: &Path| {
        let run = baseline::run::RunOutput::clone(&run_batch(
            local(&root.join("landing")),
            local(out),
            Some(PERIOD),
            orgs(&root.join("reference/organisations.csv"), &contract),
            Limits::default(),
        ));
        run.assessment
            .status
            .iter()
            .map(|s| (s.org_code.clone(), s.status))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let clean = status(&dir.path().join("clean"));
    let named = baseline::hostile::plant(&root, PERIOD.parse().unwrap()).unwrap();
    let hostile = status(&dir.path().join("hostile"));
    assert_eq!(clean.len(), hostile.len());
    let mut compared = 0;
    for (org, before) in &clean {
        if !named.contains(org) {
            assert_eq!(hostile[org], *before, "{org} keeps its status");
            compared += 1;
        }
    }
    assert!(compared > 25, "{compared}");
    let index = quarantined(&dir.path().join("hostile").join(PERIOD));
    assert!(
        index.len() >= 8,
        "the hostile files are quarantined: {:?}",
        index.keys()
    );
}

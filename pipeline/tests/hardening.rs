//! Hostile and broken input: every limit, path safety, and the parts of the batch that must
//! survive them. Each test fails without the protection it names.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::Path;

use baseline::contract::Code;
use baseline::validate::{Issue, Limits, check_file};
use common::*;

fn case_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases/valid_batch/landing")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn check(name: &str, bytes: Vec<u8>, limits: Limits) -> Vec<Issue> {
    // As the binary does: Parquet is decoded first in a child process.
    baseline::ingest::inventory::isolate_parquet_with(env!("CARGO_BIN_EXE_baseline").into());
    let contract = contract();
    check_file(
        name,
        bytes.into(),
        &contract,
        baseline::validate::Context {
            orgs: None,
            period: "2026-10".parse().ok(),
            now: chrono::Utc::now(),
            standards: None,
        },
        limits,
    )
}

fn only(issues: &[Issue], code: Code, words: &str) {
    assert!(
        issues
            .iter()
            .any(|i| i.code == code && i.message.contains(words)),
        "expected {code} saying \"{words}\": {issues:#?}"
    );
}

#[test]
fn a_zip_bomb_is_rejected_before_it_is_unpacked() {
    // 200 MiB of one byte deflates to about 200 KiB: a return workbook that unpacks to gigabytes
    // would take the batch's memory in the XLSX reader.
    let mut zipped = std::io::Cursor::new(Vec::new());
    {
        let mut writer = zip::ZipWriter::new(&mut zipped);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        writer
            .start_file("xl/worksheets/sheet1.xml", options)
            .unwrap();
        let block = vec![b' '; 1 << 20];
        for _ in 0..200 {
            writer.write_all(&block).unwrap();
        }
        writer.finish().unwrap();
    }
    let bytes = zipped.into_inner();
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    let issues = check("R0A_2026-10_return.xlsx", bytes, Limits::default());
    only(&issues, Code::FileTooLarge, "unpacks to more than");
}

#[test]
fn deep_json_is_refused_before_it_is_parsed() {
    let deep = format!(
        r#"{{"org_code": "R0A", "measures": {{"endpoints_total": {}1{}}}}}"#,
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let issues = check(
        "R0A_2026-10_return.json",
        deep.into_bytes(),
        Limits::default(),
    );
    only(&issues, Code::UnreadableFile, "nested more than 16 levels");
}

#[test]
fn rows_columns_and_comments_have_limits() {
    let text = case_text("R0A_2026-10_return.csv");
    let limits = Limits {
        max_return_rows: 5,
        ..Limits::default()
    };
    only(
        &check("R0A_2026-10_return.csv", text.clone().into_bytes(), limits),
        Code::FileTooLarge,
        "rows",
    );

    let wide = text.replacen("comment", &format!("comment{}", ",extra".repeat(300)), 1);
    only(
        &check(
            "R0A_2026-10_return.csv",
            wide.into_bytes(),
            Limits::default(),
        ),
        Code::FileTooLarge,
        "columns",
    );

    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let long = "A".repeat(2_001);
    lines[1].push_str(&long); // the row ends with an empty comment: now it has a long one
    let commented = lines.join("\n");
    only(
        &check(
            "R0A_2026-10_return.csv",
            commented.into_bytes(),
            Limits::default(),
        ),
        Code::FileTooLarge,
        "comment on",
    );

    let inventory = "device_id,device_class,os_name,os_version,oldest_missing_critical_patch_released_on,antimalware_signatures_updated_on,network_zone\n".to_string()
        + &"d1,endpoint,Windows,11 24H2 Enterprise,,2026-10-30,corporate\n".repeat(20);
    let limits = Limits {
        max_inventory_rows: 10,
        ..Limits::default()
    };
    only(
        &check("R0A_2026-10_inventory.csv", inventory.into_bytes(), limits),
        Code::FileTooLarge,
        "20 rows",
    );
}

#[test]
fn a_file_over_its_size_limit_is_never_read() {
    let out = tempfile::tempdir().unwrap();
    let landing = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/valid_batch/landing");
    let limits = Limits {
        max_return_bytes: 300,
        ..Limits::default()
    };
    let contract = contract();
    let output = run_batch(
        local(&landing),
        local(out.path()),
        Some("2026-10"),
        orgs(&landing.join("../../organisations.csv"), &contract),
        limits,
    );
    let too_large: Vec<_> = output
        .validated
        .issues
        .iter()
        .filter(|i| i.code == Code::FileTooLarge)
        .collect();
    assert!(!too_large.is_empty());
    assert!(
        too_large.iter().all(|i| i.message.contains("was not read")),
        "{too_large:#?}"
    );
    // Not read, so not hashed: the manifest says so rather than inventing a digest.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("2026-10/manifest.json")).unwrap())
            .unwrap();
    let text = manifest.to_string();
    assert!(text.contains(&too_large[0].file));
}

#[test]
fn unsafe_paths_in_the_landing_zone_are_reported_and_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let landing = dir.path().join("landing");
    let odd = landing.join("2026-10/\u{1b}[31mred");
    std::fs::create_dir_all(&odd).unwrap();
    let valid = case_text("K82057_2026-10_return.csv");
    // The same organisation's return under an odd folder, with different bytes.
    std::fs::write(
        odd.join("K82057_2026-10_return.csv"),
        valid.replace("2026-11-0", "2026-11-2"),
    )
    .unwrap();
    std::fs::write(landing.join("2026-10/K82057_2026-10_return.csv"), &valid).unwrap();
    let contract = contract();
    let output = run_batch(
        local(&landing),
        local(&dir.path().join("out")),
        Some("2026-10"),
        orgs(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/organisations.csv"),
            &contract,
        ),
        Limits::default(),
    );
    let issues = &output.validated.issues;
    let odd_issue = issues
        .iter()
        .find(|i| i.message.contains("does not accept"))
        .expect("the odd path is reported");
    assert_eq!(odd_issue.code, Code::UnrecognisedFile);
    assert!(
        odd_issue.file.contains("\\u{1b}[31mred/"),
        "control characters are not echoed: {:?}",
        odd_issue.file
    );
    // The odd file took no part: no superseded or conflicting return, the plain one is used.
    assert!(
        issues
            .iter()
            .all(|i| i.code != Code::Superseded && i.code != Code::ConflictingResubmission)
    );
    assert_eq!(output.validated.returns.len(), 1);
    assert_eq!(
        output.validated.returns[0].file,
        "2026-10/K82057_2026-10_return.csv"
    );
}

#[test]
fn limits_are_read_from_baseline_toml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("baseline.toml"),
        "[limits]\nmax_return_rows = 3\n",
    )
    .unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases/valid_batch/landing/R0A_2026-10_return.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .args(["validate", file.to_str().unwrap(), "--schemas"])
        .arg(workspace().join("schemas"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("file_too_large"), "{stdout}");

    std::fs::write(dir.path().join("baseline.toml"), "[limits]\nmax_rows = 3\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .args(["validate", file.to_str().unwrap(), "--schemas"])
        .arg(workspace().join("schemas"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a misspelt limit is a configuration error"
    );
}

/// Inputs the fuzz targets found (`ci/fuzz`), kept as cases: each made a reader panic (an
/// `expect` in polars' Parquet footer reader; an overflow in calamine's cell references under
/// overflow checks). Validated as the file its target reads, each is rejected with an error,
/// and nothing panics out of the batch.
#[test]
fn fuzz_findings_are_rejected_not_panics() {
    let findings = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-findings");
    let names = [
        ("return_json", "R0A_2026-10_return.json"),
        ("return_csv", "R0A_2026-10_return.csv"),
        ("return_xlsx", "R0A_2026-10_return.xlsx"),
        ("inventory_csv", "R0A_2026-10_inventory.csv"),
        ("inventory_parquet", "R0A_2026-10_inventory.parquet"),
    ];
    let mut checked = 0;
    for (target, name) in names {
        let Ok(files) = std::fs::read_dir(findings.join(target)) else {
            continue;
        };
        for file in files.flatten() {
            let bytes = std::fs::read(file.path()).unwrap();
            let issues = check(name, bytes, Limits::default());
            assert!(
                issues
                    .iter()
                    .any(|i| i.severity == baseline::contract::Severity::Error),
                "{}: {issues:#?}",
                file.path().display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "the findings are where this test looks");
}

/// The footer guard lets real Parquet through: an inventory written as Parquet by polars reads
/// as its CSV does (the same issues), and a damaged footer is refused, not trusted.
#[test]
fn parquet_inventories_pass_the_footer_guard_and_damaged_ones_do_not() {
    use polars::prelude::*;
    let csv_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases/inventory_without_return/landing/QWE_2026-10_inventory.csv");
    let csv = std::fs::read(&csv_path).unwrap();
    let mut frame = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .into_reader_with_file_handle(std::io::Cursor::new(csv.clone()))
        .finish()
        .unwrap();
    let mut parquet = Vec::new();
    ParquetWriter::new(&mut parquet).finish(&mut frame).unwrap();

    let codes = |issues: Vec<Issue>| issues.into_iter().map(|i| i.code).collect::<Vec<_>>();
    let from_csv = codes(check("QWE_2026-10_inventory.csv", csv, Limits::default()));
    let from_parquet = codes(check(
        "QWE_2026-10_inventory.parquet",
        parquet.clone(),
        Limits::default(),
    ));
    assert_eq!(from_parquet, from_csv);
    assert!(!from_parquet.contains(&Code::UnreadableFile));

    // The same file with the length of its footer's first list raised past its bytes.
    let footer_len = u32::from_le_bytes(
        parquet[parquet.len() - 8..parquet.len() - 4]
            .try_into()
            .unwrap(),
    ) as usize;
    let footer_start = parquet.len() - 8 - footer_len;
    let mut damaged = parquet.clone();
    let list = (footer_start..parquet.len() - 8)
        .find(|&i| damaged[i] & 0x0f == 9)
        .expect("the footer has a list field");
    damaged[list + 1] = 0xfc; // a list of 15+ structs, length in a varint that follows
    damaged.splice(list + 2..list + 2, [0xff, 0xff, 0xff, 0xff, 0x0f]);
    let len = (footer_len + 5) as u32;
    let at = damaged.len() - 8;
    damaged[at..at + 4].copy_from_slice(&len.to_le_bytes());
    only(
        &check("QWE_2026-10_inventory.parquet", damaged, Limits::default()),
        Code::UnreadableFile,
        "Parquet",
    );
}

/// A Parquet inventory crafted to make polars reserve 2^61 bytes (found by fuzzing) would abort
/// any process that decodes it. `baseline run` decodes Parquet in a child first: the run
/// completes, the file is rejected and the other organisations are assessed.
#[test]
fn a_parquet_file_that_aborts_its_decoder_does_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let landing = dir.path().join("landing");
    std::fs::create_dir_all(&landing).unwrap();
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    for name in ["K82057_2026-10_return.csv", "R0A_2026-10_return.csv"] {
        std::fs::copy(
            cases.join("valid_batch/landing").join(name),
            landing.join(name),
        )
        .unwrap();
    }
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "tests/fuzz-findings/inventory_parquet/crash-e2035046ea2be48894acfd954b1352502799fdd8",
        ),
        landing.join("R0A_2026-10_inventory.parquet"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baseline"))
        .args(["run", "--input", "landing", "--out", "out", "--reference"])
        .arg(cases.join("organisations.csv"))
        .arg("--schemas")
        .arg(workspace().join("schemas"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let issues =
        std::fs::read_to_string(dir.path().join("out/2026-10/validation/issues.csv")).unwrap();
    assert!(
        issues.contains("R0A_2026-10_inventory.parquet,R0A,,,error,unreadable_file"),
        "{issues}"
    );
    let status =
        std::fs::read_to_string(dir.path().join("out/2026-10/tables/org_status.csv")).unwrap();
    assert!(
        status
            .lines()
            .any(|l| l.contains(",R0A,") && !l.contains("not_submitted")),
        "{status}"
    );
}

/// An inventory that is not UTF-8 throughout is read cell by cell: a byte that is not UTF-8
/// in a column Baseline reads makes the file unreadable, naming its line; one in a column it
/// ignores (`device_id`) changes nothing. Both differ from the UTF-8 file only there.
#[test]
fn an_inventory_not_in_utf8_is_refused_only_for_the_columns_read() {
    let csv_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases/inventory_without_return/landing/QWE_2026-10_inventory.csv");
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let codes = |issues: &[Issue]| issues.iter().map(|i| i.code).collect::<Vec<_>>();
    let name = "QWE_2026-10_inventory.csv";
    let clean = check(name, text.clone().into_bytes(), Limits::default());
    assert!(!codes(&clean).contains(&Code::UnreadableFile));

    // Line 3 is the second device: its first cell (the device id) and then its OS name.
    let third = text.lines().nth(2).unwrap();
    let (id, rest) = third.split_once(',').unwrap();
    let latin1 = |cell: &str| {
        let mut bytes = cell.as_bytes().to_vec();
        bytes.push(0xe9);
        bytes
    };
    let with = |line: Vec<u8>| {
        let mut bytes = Vec::new();
        for (i, l) in text.lines().enumerate() {
            match i {
                2 => bytes.extend_from_slice(&line),
                _ => bytes.extend_from_slice(l.as_bytes()),
            }
            bytes.push(b'\n');
        }
        bytes
    };

    let mut in_ignored = latin1(id);
    in_ignored.extend_from_slice(format!(",{rest}").as_bytes());
    assert_eq!(
        codes(&check(name, with(in_ignored), Limits::default())),
        codes(&clean)
    );

    let (class, after_class) = rest.split_once(',').unwrap();
    let (os_name, after_os) = after_class.split_once(',').unwrap();
    let mut in_read = format!("{id},{class},").into_bytes();
    in_read.extend(latin1(os_name));
    in_read.extend_from_slice(format!(",{after_os}").as_bytes());
    only(
        &check(name, with(in_read), Limits::default()),
        Code::UnreadableFile,
        "line 3 is not UTF-8 text",
    );
}

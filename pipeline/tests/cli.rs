//! The binary as submitters use it: `baseline validate` (human and JSON output, exit codes)
//! and `baseline template` (a workbook with the spreadsheet's own data validation).

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};

fn baseline(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baseline"))
        .args(args)
        .arg("--schemas")
        .arg(common::workspace().join("schemas"))
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

fn case_file(case: &str, name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(case)
        .join("landing")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn validate_accepts_a_good_return_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = baseline(
        &[
            "validate",
            &case_file("valid_batch", "K82057_2026-10_return.csv"),
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("no problems found"));
}

#[test]
fn validate_reports_errors_with_lines_and_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = case_file("invalid_value", "K82057_2026-10_return.csv");
    let human = baseline(&["validate", &file], dir.path());
    assert_eq!(human.status.code(), Some(1));
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("5 errors"), "{text}");
    assert!(
        text.contains("line 2") && text.contains("invalid_value"),
        "{text}"
    );

    let json = baseline(&["validate", "--format", "json", &file], dir.path());
    assert_eq!(json.status.code(), Some(1));
    let issues: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON output");
    let issues = issues.as_array().expect("an array of issues");
    assert_eq!(issues.len(), 5);
    assert!(
        issues.iter().all(|i| i["code"] == "invalid_value"
            && i["severity"] == "error"
            && i["line"].is_u64())
    );
}

/// A misnamed file fails `validate` (the batch would never read it), and since its content
/// names the organisation and period, the message gives the name to use.
#[test]
fn validate_fails_a_misnamed_file_and_gives_the_name_to_use() {
    let dir = tempfile::tempdir().unwrap();
    let good = case_file("valid_batch", "K82057_2026-10_return.csv");
    let misnamed = dir.path().join("october return.csv");
    std::fs::copy(&good, &misnamed).unwrap();
    let out = baseline(&["validate", misnamed.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 error,"), "{text}");
    assert!(text.contains("name it K82057_2026-10_return.csv"), "{text}");
}

#[test]
fn validate_without_reference_judges_trust_measures_by_code_shape() {
    let dir = tempfile::tempdir().unwrap();
    // A trust's return without its medical device measures.
    let file = case_file("missing_measure", "R0A_2026-10_return.csv");
    let out = baseline(&["validate", "--format", "json", &file], dir.path());
    let issues: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let missing: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == "missing_measure")
        .map(|i| i["measure"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        [
            "medical_devices_total",
            "medical_devices_unsupported_isolated",
            "medical_devices_unsupported_os"
        ]
    );
}

#[test]
fn template_has_data_validation_on_every_value_cell() {
    let dir = tempfile::tempdir().unwrap();
    let out = baseline(
        &["template", "--org", "R0A", "--period", "2026-10"],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.path().join("R0A_2026-10_return.xlsx");

    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut workbook: Xlsx<_> = open_workbook(&path).expect("an XLSX workbook");
    let range = workbook.worksheet_range("Return").expect("a Return sheet");
    let rows: Vec<&[Data]> = range.rows().collect();
    let header: Vec<String> = rows[0]
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    assert_eq!(
        &header[..6],
        [
            "org_code",
            "period",
            "submitted_at",
            "measure",
            "value",
            "comment"
        ]
    );
    let contract = common::contract();
    // A trust gets every measure, the medical device ones included.
    let measures: Vec<String> = rows[1..].iter().map(|r| r[3].to_string()).collect();
    let all: Vec<String> = contract
        .dictionary
        .measures()
        .iter()
        .map(|m| m.name.clone())
        .collect();
    assert_eq!(measures, all);
    assert!(rows[1..].iter().all(|r| r[0] == "R0A" && r[1] == "2026-10"));

    let mut sheet_xml = String::new();
    zip::ZipArchive::new(std::fs::File::open(&path).unwrap())
        .unwrap()
        .by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet_xml)
        .unwrap();
    // Protected, with the submitted_at, value and comment cells left editable.
    assert!(
        sheet_xml.contains("<sheetProtection"),
        "the sheet is protected"
    );
    let mut styles = String::new();
    zip::ZipArchive::new(std::fs::File::open(&path).unwrap())
        .unwrap()
        .by_name("xl/styles.xml")
        .unwrap()
        .read_to_string(&mut styles)
        .unwrap();
    assert!(styles.contains("locked=\"0\""), "some cells are unlocked");
    // One rule per value cell, plus one over the submitted_at column.
    assert_eq!(sheet_xml.matches("<dataValidation ").count(), all.len() + 1);
    assert!(
        sheet_xml.contains("type=\"whole\"")
            && sheet_xml.contains("type=\"list\"")
            && sheet_xml.contains("type=\"date\"")
    );

    // An unfilled template is caught by validate: submitted_at is not yet filled in.
    let check = baseline(
        &["validate", "--format", "json", path.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(check.status.code(), Some(1));
    let issues: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(issues[0]["code"], "missing_field");
}

#[test]
fn template_refuses_a_code_that_is_not_an_ods_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = baseline(
        &["template", "--org", "../../etc", "--period", "2026-10"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an ODS organisation code"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing is written"
    );
}

#[test]
fn run_reads_its_settings_from_baseline_toml() {
    let dir = tempfile::tempdir().unwrap();
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let settings = format!(
        "input = {:?}\nout = \"monthly\"\nreference = {:?}\n",
        cases.join("valid_batch/landing").display().to_string(),
        cases.join("organisations.csv").display().to_string()
    );
    std::fs::write(dir.path().join("baseline.toml"), settings).unwrap();
    let out = baseline(&["run", "--period", "2026-10"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("returns:      3 received: 3 accepted"),
        "{summary}"
    );
    assert!(dir.path().join("monthly/2026-10/tables/gaps.csv").is_file());
}

/// A mistyped period (one the landing zone holds no file for) stops the run with exit 1 and
/// names the periods it does hold; `--allow-empty` reports it anyway.
#[test]
fn run_stops_on_a_period_with_no_submissions_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let landing = cases.join("valid_batch/landing").display().to_string();
    let reference = cases.join("organisations.csv").display().to_string();
    let args = [
        "run",
        "--period",
        "2026-11",
        "--input",
        &landing,
        "--reference",
        &reference,
    ];
    let stopped = baseline(&args, dir.path());
    assert_eq!(stopped.status.code(), Some(1));
    let message = String::from_utf8_lossy(&stopped.stderr);
    assert!(message.contains("named for 2026-11"), "{message}");
    assert!(
        message.contains("it holds files for 2026-09, 2026-10"),
        "{message}"
    );
    assert!(message.contains(&landing), "{message}");
    assert!(!dir.path().join("out/2026-11").exists());

    let allowed = baseline(&[&args[..], &["--allow-empty"]].concat(), dir.path());
    assert!(
        allowed.status.success(),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    assert!(String::from_utf8_lossy(&allowed.stdout).contains("0 received"));
}

#[test]
fn run_exits_two_on_an_unusable_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = baseline(&["run", "--input", "/nonexistent/landing"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such folder"));
}

#[test]
fn generate_is_deterministic_for_a_seed_and_its_faults_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b"] {
        let out = baseline(
            &[
                "generate",
                "--out",
                name,
                "--orgs",
                "60",
                "--seed",
                "3",
                "--fault-rate",
                "0.3",
                "--periods",
                "2",
            ],
            dir.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let files = common::files_below(&dir.path().join("a"));
    assert_eq!(files, common::files_below(&dir.path().join("b")));
    assert!(
        files.iter().any(|f| f.ends_with("_inventory.csv"))
            && files.iter().any(|f| f.ends_with(".xlsx"))
    );
    for f in &files {
        let (a, b) = (
            std::fs::read(dir.path().join("a").join(f)).unwrap(),
            std::fs::read(dir.path().join("b").join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs between two runs with the same seed");
    }

    let reference = dir.path().join("a/reference/organisations.csv");
    let out = baseline(
        &[
            "run",
            "--input",
            "a/landing",
            "--out",
            "out",
            "--reference",
            reference.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every fault the generator planted in the period is reported on its file, with its code;
    // nothing else is rejected.
    let issues = common::read_csv(
        &std::fs::read(dir.path().join("out/2026-10/validation/issues.csv")).unwrap(),
    );
    let planted = common::read_csv(&std::fs::read(dir.path().join("a/faults.csv")).unwrap());
    let planted: Vec<&Vec<String>> = planted[1..]
        .iter()
        .filter(|f| f[0].starts_with("2026-10"))
        .collect();
    assert!(planted.len() > 5, "a 30% fault rate plants faults");
    for fault in &planted {
        assert!(
            issues.iter().any(|i| i[1] == fault[0] && i[6] == fault[2]),
            "{} is not reported for {}",
            fault[2],
            fault[0]
        );
    }
    for error in issues.iter().filter(|i| i[5] == "error") {
        assert!(
            planted.iter().any(|f| f[0] == error[1]),
            "an error on a file with no planted fault: {error:?}"
        );
    }
}

/// The help of every command, as a user reads it: a change to a flag or its words shows here.
#[test]
fn help_texts_match_their_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("help", &["--help"][..]),
        ("help-run", &["run", "--help"]),
        ("help-validate", &["validate", "--help"]),
        ("help-template", &["template", "--help"]),
        ("help-generate", &["generate", "--help"]),
        ("help-standards", &["standards", "--help"]),
        ("help-standards-check", &["standards", "check", "--help"]),
        ("help-standards-list", &["standards", "list", "--help"]),
        ("help-contract", &["contract", "--help"]),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_baseline"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}");
        insta::assert_snapshot!(name, String::from_utf8_lossy(&out.stdout));
    }
}

/// Guards: running `template` again in the same folder emptied a trust's filled-in return.
#[test]
fn template_never_overwrites_a_file_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["template", "--org", "R0A", "--period", "2026-10"];
    assert!(baseline(&args, dir.path()).status.success());
    let path = dir.path().join("R0A_2026-10_return.xlsx");
    std::fs::write(&path, "filled in").unwrap();
    let again = baseline(&args, dir.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read(&path).unwrap(), b"filled in");
    let forced = baseline(&[&args[..], &["--force"]].concat(), dir.path());
    assert!(forced.status.success());
    assert_ne!(std::fs::read(&path).unwrap(), b"filled in");
}

/// The submission time is typed once: the first row's cell is the only editable one of its
/// column and every later row copies it by formula. Saved as a spreadsheet saves it (the
/// formulas' results stored), the return has one submission time; with the results not
/// recalculated (a script that writes the cell and never recalculates), the rows disagree and
/// validate says so rather than guessing.
#[test]
fn template_takes_the_submission_time_once() {
    use calamine::{Reader, Xlsx, open_workbook};
    let dir = tempfile::tempdir().unwrap();
    let args = ["template", "--org", "R0A", "--period", "2026-10"];
    assert!(baseline(&args, dir.path()).status.success());
    let path = dir.path().join("R0A_2026-10_return.xlsx");
    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    let formulas = workbook.worksheet_formula("Return").unwrap();
    let rows = workbook.worksheet_range("Return").unwrap().height();
    let copies: Vec<String> = (2..rows as u32)
        .map(|row| formulas.get_value((row, 2)).cloned().unwrap_or_default())
        .collect();
    assert_eq!(copies.len(), rows - 2);
    assert!(copies.iter().all(|f| f == "$C$2"), "{copies:?}");
    assert_eq!(formulas.get_value((1, 2)).map_or("", String::as_str), "");

    let time = "2026-11-04T09:12:00Z";
    let first = format!(r#"<c r="C2" s="3" t="inlineStr"><is><t>{time}</t></is></c>"#);
    let saved = rewrite_sheet(&path, "saved", |xml| {
        xml.replace(r#"<c r="C2" s="3"/>"#, &first)
            .replace("<f>$C$2</f><v></v>", &format!("<f>$C$2</f><v>{time}</v>"))
    });
    let header_issues = |file: &Path| -> Vec<String> {
        let out = baseline(
            &["validate", "--format", "json", file.to_str().unwrap()],
            dir.path(),
        );
        let issues: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        issues
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["message"].as_str().unwrap().contains("submitted_at"))
            .map(|i| i["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(header_issues(&saved), Vec::<String>::new());
    let scripted = rewrite_sheet(&path, "scripted", |xml| {
        xml.replace(r#"<c r="C2" s="3"/>"#, &first)
    });
    assert_eq!(
        header_issues(&scripted),
        vec!["inconsistent_header"; rows - 2],
        "each row whose copy was never recalculated"
    );
}

/// A copy of the workbook at `path` with its first sheet's XML changed by `edit`.
/// The copy has the same name, in a folder `folder` beside it.
fn rewrite_sheet(path: &Path, folder: &str, edit: impl Fn(&str) -> String) -> std::path::PathBuf {
    use std::io::Write;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let target = path
        .parent()
        .unwrap()
        .join(folder)
        .join(path.file_name().unwrap());
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&target).unwrap());
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        let name = entry.name().unwrap().to_string();
        if name == "xl/worksheets/sheet1.xml" {
            bytes = edit(std::str::from_utf8(&bytes).unwrap()).into_bytes();
        }
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(&bytes).unwrap();
    }
    writer.finish().unwrap();
    target
}

/// `validate` checks a plan as the batch would: rows against the plan contract and the
/// standards of the edition in force for its period; an error exits 1.
#[test]
fn validate_checks_an_improvement_plan() {
    let good = case_file("plan_overdue", "K82057_2026-10_plan.csv");
    let out = baseline(&["validate", "--format", "json", &good], Path::new("."));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let bad = case_file("plan_unknown_standard", "K82057_2026-10_plan.csv");
    let out = baseline(&["validate", "--format", "json", &bad], Path::new("."));
    assert_eq!(out.status.code(), Some(1));
    let issues: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(issues[0]["code"], "plan_unknown_standard");
    assert_eq!(issues[0]["line"], 2);
}

/// The plan template starts from the last published period: the organisation's open actions
/// as its plan gave them, then each gap no open action covers, left for it to complete.
#[test]
fn plan_template_starts_from_the_last_published_plan_and_gaps() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let dir = tempfile::tempdir().unwrap();
    let samples = common::workspace().join("data-samples");
    let (landing, reference) = (
        samples.join("landing"),
        samples.join("reference/organisations.csv"),
    );
    let args = [
        "run",
        "--period",
        "2026-09",
        "--out",
        "out",
        "--input",
        landing.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
    ];
    assert!(baseline(&args, dir.path()).status.success());
    let table = |name: &str| {
        common::read_csv(
            &std::fs::read(dir.path().join(format!("out/2026-09/tables/{name}.csv"))).unwrap(),
        )
    };
    let contract = common::contract();
    let (plans, outcomes) = (table("plans"), table("outcomes"));
    let column = |rows: &[Vec<String>], name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let (org, action, standard, status) = (
        column(&plans, "org_code"),
        column(&plans, "action_id"),
        column(&plans, "standard_id"),
        column(&plans, "status"),
    );
    let open: Vec<&Vec<String>> = plans[1..]
        .iter()
        .filter(|r| contract.plan.is_open(&r[status]))
        .collect();
    let code = open.first().expect("the samples have open actions")[org].clone();
    let open: Vec<(String, String)> = open
        .iter()
        .filter(|r| r[org] == code)
        .map(|r| (r[action].clone(), r[standard].clone()))
        .collect();
    let (o_org, o_standard, o_outcome) = (
        column(&outcomes, "org_code"),
        column(&outcomes, "standard_id"),
        column(&outcomes, "outcome"),
    );
    let gaps: Vec<(String, String)> = outcomes[1..]
        .iter()
        .filter(|r| r[o_org] == code && contract.plan.is_gap(&r[o_outcome]))
        .filter(|r| !open.iter().any(|(_, s)| *s == r[o_standard]))
        .map(|r| (String::new(), r[o_standard].clone()))
        .collect();
    assert!(!gaps.is_empty(), "{code} has an uncovered gap to plan for");

    let made = baseline(
        &[
            "template", "--plan", "--org", &code, "--period", "2026-10", "--out", "out",
        ],
        dir.path(),
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let path = dir.path().join(format!("{code}_2026-10_plan.xlsx"));
    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    let sheet = workbook.worksheet_range(&contract.plan.sheet).unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(Data::to_string).collect())
        .collect();
    let names: Vec<&str> = contract
        .plan
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(rows[0][..names.len()], names[..]);
    let started: Vec<(String, String)> = rows[1..]
        .iter()
        .map(|r| (r[2].clone(), r[3].clone()))
        .collect();
    assert_eq!(started, [open.clone(), gaps.clone()].concat());

    // Its open actions are a valid plan as they stand; each gap row waits for its action.
    let check = baseline(
        &["validate", "--format", "json", path.to_str().unwrap()],
        dir.path(),
    );
    let issues: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let lines: std::collections::BTreeSet<u64> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["line"].as_u64().unwrap())
        .collect();
    let gap_lines: std::collections::BTreeSet<u64> = (0..gaps.len() as u64)
        .map(|i| open.len() as u64 + 2 + i)
        .collect();
    assert_eq!(lines, gap_lines, "{issues}");
    assert!(
        issues
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["code"] == "plan_invalid_field")
    );
}

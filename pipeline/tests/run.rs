//! The monthly run end to end: gaps checked against hand-computed figures, the manifest,
//! atomic publication and reruns, and byte-identical outputs whatever the file order.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use baseline::ingest::counts::Counting;
use baseline::ingest::inventory::read_inventory;
use baseline::ingest::names::InventoryFormat;
use baseline::validate::Limits;
use common::*;

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn run_case(case: &str, out: &Path) -> baseline::run::RunOutput {
    let contract = contract();
    run_batch(
        local(&cases().join(case).join("landing")),
        local(out),
        Some("2026-10"),
        orgs(&cases().join("organisations.csv"), &contract),
        Limits::default(),
    )
}

/// On local disk a CSV inventory is read as soon as its bytes are (`EarlyInventories`), its
/// bytes let go; what that gives is what the validator gets from the same bytes, for every
/// inventory of the samples and of the test cases (bad cells, an unknown system, a value that
/// is not a date among them).
#[test]
fn inventories_read_early_are_read_as_the_validator_reads_them() {
    let contract = contract();
    let period = "2026-10".parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let early = baseline::ingest::EarlyInventories::new(&contract, period, Limits::default());
    let counting = Counting::new(&contract, period);
    let mut bad_cells = 0;
    let mut landings = vec![workspace().join("data-samples/landing")];
    landings.extend(
        ["inventory_invalid_value", "unknown_os", "discrepancy"]
            .map(|case| cases().join(case).join("landing")),
    );
    for landing in landings {
        let landing = local(&landing);
        let listing = runtime.block_on(baseline::ingest::list(&landing)).unwrap();
        let files: Vec<_> = listing.for_period(period).cloned().collect();
        let read = |early| {
            runtime.block_on(baseline::ingest::read_all(
                &landing,
                files.clone(),
                2,
                |_| u64::MAX,
                early,
                |_| {},
            ))
        };
        let (with, without) = (read(Some(early.clone())), read(None));
        let inventories = files.iter().filter(|(_, n)| n.kind.is_inventory()).count();
        assert!(inventories > 0, "{}", landing.display());
        assert_eq!(
            with.iter().filter(|f| f.early.is_some()).count(),
            inventories
        );
        for (early, plain) in with.iter().zip(&without) {
            assert!(plain.early.is_none());
            assert_eq!(early.sha256, plain.sha256);
            assert_eq!(early.read_bytes, plain.bytes.len() as u64);
            let Some(parsed) = &early.early else {
                assert_eq!(early.bytes, plain.bytes, "{}", early.entry.key);
                continue;
            };
            assert!(early.bytes.is_empty(), "{}", early.entry.key);
            let spec = &contract.dictionary.inventory;
            let limits = Limits::default();
            let format = InventoryFormat::Csv;
            let bytes = plain.bytes.clone();
            let validator = read_inventory(format, bytes, spec, &limits, Some(&counting));
            assert_eq!(parsed, &validator, "{}", early.entry.key);
            bad_cells += parsed.as_ref().map_or(0, |i| i.bad_cell_count);
        }
    }
    assert!(bad_cells > 0, "some inventory has bad cells");
}

#[test]
fn gaps_match_hand_computed_figures() {
    // valid_batch: GP practices K82057 and K82058 and acute trust R0A submitted (London, Y56);
    // the ICB QWE did not. Every return reports 39 of 40 endpoints patched (0.975: met) and
    // 24 of 25 staff trained (0.96: met); the trust's 20 unsupported medical devices are all isolated.
    let out = tempfile::tempdir().unwrap();
    run_case("valid_batch", out.path());
    let gaps = read_csv(&std::fs::read(out.path().join("2026-10/tables/gaps.csv")).unwrap());
    assert_eq!(
        gaps[0],
        [
            "period",
            "standard_id",
            "group_kind",
            "group_code",
            "orgs",
            "met",
            "partially_met",
            "not_met",
            "not_assessed",
            "pct_met"
        ]
    );
    let rows_of = |standard: &str| -> Vec<Vec<String>> {
        gaps.iter()
            .filter(|r| r[1] == standard)
            .map(|r| r[2..].to_vec())
            .collect()
    };
    let expect = |rows: &[[&str; 8]]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(std::string::ToString::to_string).collect())
            .collect()
    };
    assert_eq!(
        rows_of("PATCH-14D"),
        expect(&[
            ["national", "national", "3", "3", "0", "0", "0", "100.0"],
            ["region", "Y56", "3", "3", "0", "0", "0", "100.0"],
            ["org_type", "acute_trust", "1", "1", "0", "0", "0", "100.0"],
            ["org_type", "gp_practice", "2", "2", "0", "0", "0", "100.0"],
        ])
    );
    // Medical devices apply to the trust alone; groups without an organisation are omitted.
    assert_eq!(
        rows_of("MEDDEV-ISOLATION"),
        expect(&[
            ["national", "national", "1", "1", "0", "0", "0", "100.0"],
            ["region", "Y56", "1", "1", "0", "0", "0", "100.0"],
            ["org_type", "acute_trust", "1", "1", "0", "0", "0", "100.0"],
        ])
    );
    // 2 of 2 alerts acknowledged and remediated, 3 of 3 privileged accounts with MFA.
    assert_eq!(
        rows_of("MFA-PRIVILEGED")[0],
        expect(&[["national", "national", "3", "3", "0", "0", "0", "100.0"]])[0]
    );
    assert_eq!(
        gaps.len() - 1,
        11 * 4 + 3,
        "12 standards: 11 with four groups, MEDDEV with three"
    );
}

#[test]
fn gaps_count_partial_and_failing_organisations() {
    // missing_measure: K82057 lacks staff_total (STAFF-TRAINING not assessed), R0A lacks its
    // medical device measures (MEDDEV-ISOLATION not assessed).
    let out = tempfile::tempdir().unwrap();
    run_case("missing_measure", out.path());
    let gaps = read_csv(&std::fs::read(out.path().join("2026-10/tables/gaps.csv")).unwrap());
    let national = |standard: &str| {
        gaps.iter()
            .find(|r| r[1] == standard && r[2] == "national")
            .unwrap()[4..]
            .to_vec()
    };
    assert_eq!(
        national("STAFF-TRAINING"),
        ["2", "1", "0", "0", "1", "50.0"]
    );
    assert_eq!(
        national("MEDDEV-ISOLATION"),
        ["1", "0", "0", "0", "1", "0.0"]
    );
}

#[test]
fn manifest_lists_every_input_with_its_hash() {
    let out = tempfile::tempdir().unwrap();
    run_case("duplicate_file", out.path());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("2026-10/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["period"], "2026-10");
    assert_eq!(manifest["standards_edition"], "MCS-2026");
    assert_eq!(manifest["tool_version"], env!("CARGO_PKG_VERSION"));
    let inputs = manifest["inputs"].as_array().unwrap();
    let files: Vec<&str> = inputs.iter().map(|i| i["file"].as_str().unwrap()).collect();
    assert_eq!(
        files,
        [
            "K82057_2026-10_return.csv",
            "copy/K82057_2026-10_return.csv"
        ]
    );
    let bytes =
        std::fs::read(cases().join("duplicate_file/landing/K82057_2026-10_return.csv")).unwrap();
    assert_eq!(inputs[0]["sha256"], baseline::ingest::sha256_hex(&bytes));
    assert_eq!(inputs[0]["size"], bytes.len());
    assert_eq!(inputs[1]["disposition"], "duplicate");
    assert_eq!(manifest["counts"]["returns"]["accepted"], 1);
    for stage in ["ingest", "validate", "assess", "aggregate", "write"] {
        assert!(
            manifest["timings_ms"][stage].is_u64(),
            "no timing for {stage}"
        );
    }
}

#[test]
fn the_same_inputs_give_byte_identical_outputs_whatever_the_order() {
    let samples = workspace().join("data-samples");
    let contract = contract();
    let reference = samples.join("reference/organisations.csv");
    let first = tempfile::tempdir().unwrap();
    run_batch(
        local(&samples.join("landing")),
        local(first.path()),
        None,
        orgs(&reference, &contract),
        Limits::default(),
    );

    // The same files, created in reverse order in another folder, read one at a time.
    let shuffled = tempfile::tempdir().unwrap();
    let mut files = files_below(&samples.join("landing"));
    files.reverse();
    for f in &files {
        let to = shuffled.path().join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(samples.join("landing").join(f), to).unwrap();
    }
    let second = tempfile::tempdir().unwrap();
    let config_out = local(second.path());
    let output = {
        let config = baseline::run::RunConfig {
            input: local(shuffled.path()),
            out: config_out,
            period: None,
            contract: contract.clone(),
            orgs: orgs(&reference, &contract),
            reference: reference.clone(),
            settings: None,
            standards: workspace().join("schemas/standards"),
            limits: Limits::default(),
            run_id: next_run_id(),
            concurrency: 1,
            now: chrono::Utc::now(),
            crash_at: None,
            allow_empty: false,
            progress: None,
        };
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(baseline::run::run(&config))
            .unwrap()
    };
    assert_eq!(output.summary.period.to_string(), "2026-10");
    let (a, b) = (published(first.path()), published(second.path()));
    for expected in [
        "tables/outcomes.parquet",
        "reports/national.html",
        "reports/public.html",
        "reports/analyst.xlsx",
    ] {
        assert!(
            a.iter().any(|(f, _)| f == expected),
            "{expected} is written"
        );
    }
    assert_eq!(a.len(), b.len());
    for ((fa, ba), (fb, bb)) in a.iter().zip(&b) {
        assert_eq!(fa, fb);
        assert!(ba == bb, "{fa} differs between the two runs");
    }
}

#[test]
fn a_rerun_replaces_the_published_run_atomically() {
    let out = tempfile::tempdir().unwrap();
    run_case("valid_batch", out.path());
    let link = out.path().join("2026-10");
    let first_target = std::fs::read_link(&link).expect("the period is a link to its run");
    assert!(first_target.starts_with(".runs/2026-10/"));

    // A resubmission arrives: the rerun's outputs replace the first's.
    run_case("late_submission", out.path());
    let second_target = std::fs::read_link(&link).unwrap();
    assert_ne!(first_target, second_target);
    let issues = std::fs::read_to_string(link.join("validation/issues.csv")).unwrap();
    assert!(issues.contains("late_submission"));
    assert!(
        out.path().join(&first_target).is_dir(),
        "the previous run stays for readers still on it"
    );

    run_case("valid_batch", out.path());
    let runs = std::fs::read_dir(out.path().join(".runs/2026-10"))
        .unwrap()
        .count();
    assert_eq!(runs, 2, "only the current and the previous run are kept");
    assert!(!out.path().join(&first_target).exists());
}

#[test]
fn an_in_place_output_folder_is_replaced_by_the_first_published_run() {
    let out = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(out.path().join("2026-10/tables")).unwrap();
    std::fs::write(out.path().join("2026-10/tables/stale.csv"), "old").unwrap();
    run_case("valid_batch", out.path());
    assert!(
        std::fs::symlink_metadata(out.path().join("2026-10"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(!out.path().join("2026-10/tables/stale.csv").exists());
    assert!(out.path().join("2026-10/tables/gaps.csv").exists());
}

fn table(out: &Path, name: &str) -> Vec<Vec<String>> {
    read_csv(&std::fs::read(out.join(format!("2026-10/tables/{name}.csv"))).unwrap())
}

#[test]
fn trends_cover_every_period_published_before() {
    let samples = workspace().join("data-samples");
    let contract = contract();
    let out = tempfile::tempdir().unwrap();
    for period in ["2026-08", "2026-09", "2026-10"] {
        run_batch(
            local(&samples.join("landing")),
            local(out.path()),
            Some(period),
            orgs(&samples.join("reference/organisations.csv"), &contract),
            Limits::default(),
        );
    }
    let trends = table(out.path(), "trends");
    assert_eq!(
        trends[0],
        [
            "period",
            "kind",
            "item",
            "orgs",
            "count",
            "pct",
            "change_pct_points"
        ]
    );
    let patch: Vec<&Vec<String>> = trends.iter().filter(|r| r[2] == "PATCH-14D").collect();
    assert_eq!(
        patch.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        ["2026-08", "2026-09", "2026-10"]
    );
    assert_eq!(patch[0][6], "", "no change for the first period");
    // Each change is the signed difference of the two published percentages: a number in
    // Parquet, and in the CSV text whose negative values carry the formula guard.
    let frame = {
        use polars::prelude::*;
        let bytes = std::fs::read(out.path().join("2026-10/tables/trends.parquet")).unwrap();
        ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .unwrap()
    };
    let typed: Vec<Option<f64>> = frame
        .column("change_pct_points")
        .unwrap()
        .f64()
        .expect("the change is a number in Parquet")
        .iter()
        .collect();
    let tenths = |s: &str| (s.parse::<f64>().unwrap() * 10.0).round() as i64;
    let mut negatives = 0;
    for (i, row) in trends[1..].iter().enumerate() {
        let text = row[6].strip_prefix('\'').unwrap_or(&row[6]);
        assert_eq!(row[6].starts_with('\''), text.starts_with('-'), "{row:?}");
        negatives += usize::from(text.starts_with('-'));
        assert_eq!(
            typed[i].map(|v| (v * 10.0).round() as i64),
            (!text.is_empty()).then(|| tenths(text)),
            "{row:?}"
        );
    }
    assert!(negatives > 0, "the samples have a falling share");
    for pair in patch.windows(2) {
        let text = pair[1][6].trim_start_matches('\'');
        assert_eq!(
            tenths(text),
            tenths(&pair[1][5]) - tenths(&pair[0][5]),
            "{pair:?}"
        );
    }
    // The status rows of a period count every organisation of the reference table.
    let statuses: u64 = trends
        .iter()
        .filter(|r| r[0] == "2026-10" && r[1] == "status")
        .map(|r| r[4].parse::<u64>().unwrap())
        .sum();
    let reference = read_csv(&std::fs::read(samples.join("reference/organisations.csv")).unwrap());
    assert_eq!(statuses, reference.len() as u64 - 1);
}

#[test]
fn non_response_and_data_quality() {
    let out = tempfile::tempdir().unwrap();
    run_case("valid_batch", out.path());
    let non_response = table(out.path(), "non_response");
    let row = |kind: &str, code: &str| {
        non_response
            .iter()
            .find(|r| r[1] == kind && r[2] == code)
            .unwrap()[3..]
            .to_vec()
    };
    // orgs, submitted, not submitted = only rejected + sent nothing, % submitted
    assert_eq!(
        row("national", "national"),
        ["4", "3", "1", "0", "1", "75.0"]
    );
    assert_eq!(row("org_type", "icb"), ["1", "0", "1", "0", "1", "0.0"]);
    assert_eq!(row("region", "Y56"), ["4", "3", "1", "0", "1", "75.0"]);

    // An organisation whose only return was rejected is not one that sent nothing.
    let out = tempfile::tempdir().unwrap();
    run_case("empty_file", out.path());
    let non_response = table(out.path(), "non_response");
    let national = non_response.iter().find(|r| r[1] == "national").unwrap();
    let (not_submitted, only_rejected, nothing) = (&national[5], &national[6], &national[7]);
    assert_eq!(only_rejected, "1", "{national:?}");
    assert_eq!(
        not_submitted.parse::<u64>().unwrap(),
        only_rejected.parse::<u64>().unwrap() + nothing.parse::<u64>().unwrap()
    );

    let out = tempfile::tempdir().unwrap();
    run_case("late_submission", out.path());
    let quality = table(out.path(), "data_quality");
    let late = quality.iter().find(|r| r[1] == "returns_late").unwrap();
    assert_eq!(late[2..5], ["1", "2", "50.0"]);
}

#[test]
fn risk_names_unsupported_medical_devices_left_on_the_network() {
    // discrepancy: R0A's inventory has two Windows 7 medical devices, one isolated.
    let out = tempfile::tempdir().unwrap();
    run_case("discrepancy", out.path());
    let risk = table(out.path(), "risk");
    assert_eq!(risk.len(), 2, "{risk:?}");
    assert_eq!(risk[1][1], "R0A");
    assert_eq!(risk[1][5], "unsupported_medical_devices_not_isolated");
    assert!(risk[1][6].starts_with("1 of 2"), "{:?}", risk[1]);
}

/// `groups.csv` keys every group code of the gaps to its name: regions as the reference table
/// names them, types as the reports label them, with the organisations in each.
#[test]
fn groups_key_every_group_code_to_its_name() {
    let out = tempfile::tempdir().unwrap();
    run_case("valid_batch", out.path());
    let groups = table(out.path(), "groups");
    assert_eq!(
        groups[0],
        ["group_kind", "group_code", "group_name", "orgs"]
    );
    let reference = read_csv(&std::fs::read(cases().join("organisations.csv")).unwrap());
    let gaps = table(out.path(), "gaps");
    for gap in gaps[1..].iter().filter(|g| g[2] != "national") {
        assert!(
            groups[1..].iter().any(|g| g[0] == gap[2] && g[1] == gap[3]),
            "{gap:?} has no key"
        );
    }
    let region = |code: &str| {
        groups[1..]
            .iter()
            .find(|g| g[0] == "region" && g[1] == code)
            .unwrap()
    };
    let mut total = 0;
    for org in &reference[1..] {
        assert_eq!(region(&org[3])[2], org[4], "{org:?}");
    }
    for g in groups[1..].iter().filter(|g| g[0] == "org_type") {
        total += g[3].parse::<usize>().unwrap();
        assert_ne!(g[2], g[1], "{g:?} has a display name");
    }
    assert_eq!(total, reference.len() - 1);
}

/// Every table comes as Parquet too, and in Parquet numbers are numbers: analysts' tools need
/// no casts (`avg(pct_met)` failed on text before).
#[test]
fn parquet_tables_have_typed_columns() {
    use polars::prelude::*;
    let out = tempfile::tempdir().unwrap();
    let samples = workspace().join("data-samples");
    let contract = contract();
    run_batch(
        local(&samples.join("landing")),
        local(out.path()),
        Some("2026-10"),
        orgs(&samples.join("reference/organisations.csv"), &contract),
        Limits::default(),
    );
    let tables = out.path().join("2026-10/tables");
    let read = |name: &str| {
        let bytes = std::fs::read(tables.join(format!("{name}.parquet"))).unwrap();
        ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .unwrap()
    };
    let dtype = |frame: &DataFrame, column: &str| frame.column(column).unwrap().dtype().clone();
    let gaps = read("gaps");
    assert_eq!(dtype(&gaps, "pct_met"), DataType::Float64);
    assert_eq!(dtype(&gaps, "orgs"), DataType::Int64);
    assert_eq!(dtype(&gaps, "standard_id"), DataType::String);
    let mean = gaps
        .column("pct_met")
        .unwrap()
        .f64()
        .unwrap()
        .mean()
        .unwrap();
    assert!((0.0..=100.0).contains(&mean), "{mean}");
    let outcomes = read("outcomes");
    assert_eq!(dtype(&outcomes, "value"), DataType::Float64);
    let status = read("org_status");
    assert_eq!(dtype(&status, "late"), DataType::Boolean);
    assert_eq!(dtype(&status, "not_met"), DataType::Int64);
    // The CSV and the Parquet hold the same rows.
    let csv = read_csv(&std::fs::read(tables.join("outcomes.csv")).unwrap());
    assert_eq!(csv.len() - 1, outcomes.height());
    let values = outcomes.column("value").unwrap().f64().unwrap();
    for (row, value) in csv[1..].iter().zip(values.iter()) {
        let expected = match row[4].as_str() {
            "" => None,
            "true" => Some(1.0),
            "false" => Some(0.0),
            text => Some(text.parse::<f64>().unwrap()),
        };
        assert_eq!(value, expected, "{row:?}");
    }
    for name in ["trends", "non_response", "data_quality", "risk", "spend"] {
        let csv = read_csv(&std::fs::read(tables.join(format!("{name}.csv"))).unwrap());
        assert_eq!(read(name).height(), csv.len() - 1, "{name}");
    }
    let non_response = read("non_response");
    assert!(
        non_response
            .dtypes()
            .iter()
            .any(|t| matches!(t, DataType::Int64)),
        "counts are numbers"
    );
}

/// Guards: an earlier period that could not be read was silently left out of the trends, and
/// a damaged pointer or link was silently replaced by a default path.
#[test]
fn an_unreadable_earlier_period_is_a_warning_not_a_silence() {
    let out = tempfile::tempdir().unwrap();
    let samples = workspace().join("data-samples");
    let contract = contract();
    let run = |period: &str| {
        run_batch(
            local(&samples.join("landing")),
            local(out.path()),
            Some(period),
            orgs(&samples.join("reference/organisations.csv"), &contract),
            Limits::default(),
        )
    };
    run("2026-08");
    run("2026-09");
    // 2026-09's figures damaged, 2026-08's link pointing nowhere.
    let september = std::fs::canonicalize(out.path().join("2026-09")).unwrap();
    std::fs::write(september.join("figures.json"), "{ not json").unwrap();
    std::fs::remove_file(out.path().join("2026-08")).unwrap();
    std::os::unix::fs::symlink(".runs/2026-08/missing", out.path().join("2026-08")).unwrap();
    let output = run("2026-10");
    let warnings = output.summary.warnings.join("\n");
    assert!(
        warnings.contains("2026-09 is left out of the trends") && warnings.contains("not valid"),
        "{warnings}"
    );
    assert!(
        warnings.contains("2026-08 is left out of the trends"),
        "{warnings}"
    );
    let trends = read_csv(&std::fs::read(out.path().join("2026-10/tables/trends.csv")).unwrap());
    assert!(
        trends[1..].iter().all(|r| r[0] == "2026-10"),
        "only this period is trended"
    );
}

/// Periods run out of order: publishing 2026-08 after 2026-10 says that 2026-10's trends leave
/// it out, and which period to rerun.
#[test]
fn publishing_an_earlier_period_names_the_trends_to_refresh() {
    let out = tempfile::tempdir().unwrap();
    let samples = workspace().join("data-samples");
    let contract = contract();
    let run = |period: &str| {
        run_batch(
            local(&samples.join("landing")),
            local(out.path()),
            Some(period),
            orgs(&samples.join("reference/organisations.csv"), &contract),
            Limits::default(),
        )
        .summary
        .warnings
        .join("\n")
    };
    assert_eq!(run("2026-10"), "");
    let warnings = run("2026-08");
    assert!(
        warnings.contains("2026-10 already published")
            && warnings.contains("leave out 2026-08")
            && warnings.contains("rerun 2026-10"),
        "{warnings}"
    );
    assert_eq!(run("2026-10"), "", "in order again, nothing to say");
}

/// A rerun after a resubmission says what changed: the new file used and the old one
/// superseded, the organisation's outcome and status, in `tables/changes.csv`, the manifest,
/// the national report, and a revision note on the public report; a rerun with nothing new
/// says nothing.
#[test]
fn a_rerun_after_a_resubmission_says_what_changed() {
    let landing = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let case = cases().join("valid_batch/landing");
    for file in files_below(&case) {
        std::fs::copy(case.join(&file), landing.path().join(&file)).unwrap();
    }
    let contract = contract();
    let run = || {
        run_batch(
            local(landing.path()),
            local(out.path()),
            Some("2026-10"),
            orgs(&cases().join("organisations.csv"), &contract),
            Limits::default(),
        )
    };
    let first = run();
    assert!(
        first.summary.counts.changes.is_empty(),
        "nothing to compare with yet"
    );

    // K82057 resubmits later: half its staff trained instead of all but one.
    let original = std::fs::read_to_string(case.join("K82057_2026-10_return.csv")).unwrap();
    let corrected = original
        .replace("2026-11-04T09:12:00Z", "2026-11-08T10:00:00Z")
        .replace("staff_trained_12m,24", "staff_trained_12m,12");
    std::fs::create_dir(landing.path().join("resubmitted")).unwrap();
    std::fs::write(
        landing.path().join("resubmitted/K82057_2026-10_return.csv"),
        corrected,
    )
    .unwrap();
    let second = run();
    let published = out.path().join("2026-10");
    let changes = read_csv(&std::fs::read(published.join("tables/changes.csv")).unwrap());
    let rows: Vec<(&str, &str, &str, &str, &str, &str)> = changes[1..]
        .iter()
        .filter(|r| r[1] == "last_run")
        .map(|r| {
            (
                r[2].as_str(),
                r[3].as_str(),
                r[4].as_str(),
                r[5].as_str(),
                r[6].as_str(),
                "",
            )
        })
        .collect();
    assert!(
        rows.contains(&(
            "file",
            "K82057_2026-10_return.csv",
            "",
            "accepted",
            "superseded",
            ""
        )),
        "{rows:?}"
    );
    assert!(
        rows.contains(&(
            "file",
            "resubmitted/K82057_2026-10_return.csv",
            "",
            "",
            "accepted",
            ""
        )),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.0 == "outcome" && r.1 == "K82057" && r.2 == "STAFF-TRAINING"),
        "{rows:?}"
    );
    assert!(
        second.summary.counts.changes["last_run_file"] == 2,
        "{:?}",
        second.summary.counts.changes
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(published.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["changes"]["last_run_file"], 2);
    let national = std::fs::read_to_string(published.join("reports/national.html")).unwrap();
    assert!(national.contains("resubmitted&#x2f;K82057_2026-10_return.csv"));
    let public = std::fs::read_to_string(published.join("reports/public.html")).unwrap();
    assert!(
        public.contains("Revised "),
        "the public report carries a revision note"
    );
    assert!(!public.contains("K82057"), "the note names no organisation");

    // The same inputs again: nothing changed, no revision note.
    let third = run();
    assert!(
        third
            .summary
            .counts
            .changes
            .keys()
            .all(|k| !k.starts_with("last_run")),
        "{:?}",
        third.summary.counts.changes
    );
    let public = std::fs::read_to_string(published.join("reports/public.html")).unwrap();
    assert!(!public.contains("Revised "));
}

/// Plans across three periods: each action's row per period beside its standard's outcome,
/// when it was first seen, how often its target moved later, and where it stands.
#[test]
fn the_plans_table_follows_each_action_across_periods() {
    let landing = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let base =
        std::fs::read_to_string(cases().join("valid_batch/landing/K82057_2026-10_return.csv"))
            .unwrap();
    // PATCH-14D is not met in every period (30 of 40 patched); STAFF-TRAINING is met.
    let gap = base.replace(
        "endpoints_critical_patched_14d,39,",
        "endpoints_critical_patched_14d,30,",
    );
    let header =
        "org_code,period,action_id,standard_id,action,owner_role,target_date,status,comment\n";
    let plans = [
        (
            "2026-08",
            "PATCH-1,PATCH-14D,2026-09-30,planned;TRAIN-1,STAFF-TRAINING,2026-12-31,planned",
        ),
        (
            "2026-09",
            "PATCH-1,PATCH-14D,2026-10-31,in_progress;TRAIN-1,STAFF-TRAINING,2026-12-31,in_progress",
        ),
        (
            "2026-10",
            "PATCH-1,PATCH-14D,2026-10-20,in_progress;TRAIN-1,STAFF-TRAINING,2026-10-10,done;PATCH-2,PATCH-14D,2027-01-31,planned",
        ),
    ];
    for (period, actions) in plans {
        let next: baseline::period::Period =
            period.parse::<baseline::period::Period>().unwrap().next();
        let ret = gap
            .replace("2026-10,", &format!("{period},"))
            .replace("2026-11-04T09:12:00Z", &format!("{next}-04T09:12:00Z"));
        std::fs::write(
            landing.path().join(format!("K82057_{period}_return.csv")),
            ret,
        )
        .unwrap();
        let mut plan = header.to_string();
        for a in actions.split(';') {
            let f: Vec<&str> = a.split(',').collect();
            plan.push_str(&format!(
                "K82057,{period},{},{},Fix it,Head of IT,{},{},\n",
                f[0], f[1], f[2], f[3]
            ));
        }
        std::fs::write(
            landing.path().join(format!("K82057_{period}_plan.csv")),
            plan,
        )
        .unwrap();
    }
    let contract = contract();
    for period in ["2026-08", "2026-09", "2026-10"] {
        run_batch(
            local(landing.path()),
            local(out.path()),
            Some(period),
            orgs(&cases().join("organisations.csv"), &contract),
            Limits::default(),
        );
    }
    let rows = table(out.path(), "plans");
    let expected = [
        "period,org_code,action_id,standard_id,action,owner_role,status,target_date,outcome,first_period,target_moves,state",
        "2026-08,K82057,PATCH-1,PATCH-14D,Fix it,Head of IT,planned,2026-09-30,not_met,2026-08,0,on_track",
        "2026-08,K82057,TRAIN-1,STAFF-TRAINING,Fix it,Head of IT,planned,2026-12-31,met,2026-08,0,on_track",
        "2026-09,K82057,PATCH-1,PATCH-14D,Fix it,Head of IT,in_progress,2026-10-31,not_met,2026-08,1,on_track",
        "2026-09,K82057,TRAIN-1,STAFF-TRAINING,Fix it,Head of IT,in_progress,2026-12-31,met,2026-08,0,on_track",
        "2026-10,K82057,PATCH-1,PATCH-14D,Fix it,Head of IT,in_progress,2026-10-20,not_met,2026-08,1,overdue",
        "2026-10,K82057,PATCH-2,PATCH-14D,Fix it,Head of IT,planned,2027-01-31,not_met,2026-10,0,on_track",
        "2026-10,K82057,TRAIN-1,STAFF-TRAINING,Fix it,Head of IT,done,2026-10-10,met,2026-08,0,done_and_met",
    ];
    let actual: Vec<String> = rows.iter().map(|r| r.join(",")).collect();
    assert_eq!(actual, expected);
    // The overdue action is an issue of the period, on the plan's row.
    let issues =
        read_csv(&std::fs::read(out.path().join("2026-10/validation/issues.csv")).unwrap());
    let overdue: Vec<&Vec<String>> = issues.iter().filter(|i| i[6] == "plan_overdue").collect();
    assert_eq!(overdue.len(), 1, "{issues:?}");
    assert_eq!(overdue[0][1], "K82057_2026-10_plan.csv");
    assert_eq!(overdue[0][4], "2");

    // The national report: coverage of the unmet critical standard, and the organisation
    // with an overdue action on it, named.
    let reports = out.path().join("2026-10/reports");
    let national = std::fs::read_to_string(reports.join("national.html")).unwrap();
    assert!(
        national.contains("Of the 1 critical standards not met by an organisation (partially met, not met or not assessed), 1 (100.0%) are covered by an open action"),
        "coverage sentence"
    );
    let overdue_table = &national[national.find(r#"<table id="plans-overdue">"#).unwrap()..];
    let overdue_table = &overdue_table[..overdue_table.find("</table>").unwrap()];
    assert!(overdue_table.contains(r#"<a href="orgs&#x2f;K82057.html">Ashcombe Surgery</a>"#));
    // The organisation's page: the overdue action first, beside the outcomes before it.
    let page = std::fs::read_to_string(reports.join("orgs/K82057.html")).unwrap();
    let plan = &page[page.find(r#"<table id="plan">"#).unwrap()..];
    let plan = &plan[..plan.find("</table>").unwrap()];
    let rows: Vec<&str> = plan.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 3, "{plan}");
    assert!(
        rows[0].contains(">PATCH-1<") && rows[0].contains("overdue, target moved once"),
        "{}",
        rows[0]
    );
    let cells: Vec<&str> = rows[0]
        .split("<td>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap())
        .collect();
    assert_eq!(
        cells[cells.len() - 4..],
        ["[x]", "not met", "not met", "not met"],
        "{cells:?}"
    );
}

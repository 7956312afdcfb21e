//! The default run over `data-samples/`: the latest period is chosen, and the faults planted
//! in the samples are each reported where they are.

mod common;

use baseline::validate::{Disposition, Limits};
use common::*;

fn has(issues: &[baseline::validate::Issue], file_part: &str, code: &str) -> bool {
    issues
        .iter()
        .any(|i| i.file.contains(file_part) && i.code.as_str() == code)
}

#[test]
fn default_run_validates_the_latest_period() {
    let contract = contract();
    let samples = workspace().join("data-samples");
    let out = tempfile::tempdir().unwrap();
    let output = run_batch(
        local(&samples.join("landing")),
        local(out.path()),
        None,
        orgs(&samples.join("reference/organisations.csv"), &contract),
        Limits::default(),
    );
    let (validated, summary) = (&output.validated, &output.summary);
    assert_eq!(summary.period.to_string(), "2026-10");
    let issues = &validated.issues;
    for (file, code) in [
        ("covering-letter.txt", "unrecognised_file"),
        ("copies/", "duplicate_file"),
        ("resubmissions/", "late_submission"),
        ("B81037_2026-10_return.json", "unreadable_file"),
        ("F81740_2026-10_return.csv", "empty_file"),
        ("R99_2026-10_return.json", "unknown_org"),
        ("QFZ_2026-10_return.json", "filename_mismatch"),
        ("RL7_2026-10_return.csv", "inconsistent_header"),
        ("RL7_2026-10_inventory.csv", "inventory_without_return"),
        ("RA0_2026-10_inventory.csv", "invalid_value"),
    ] {
        assert!(has(issues, file, code), "expected {code} for {file}");
    }
    // The measure errors planted in one CSV return.
    for code in [
        "invalid_value",
        "inconsistent",
        "date_after_period_end",
        "out_of_range",
        "missing_measure",
        "unknown_measure",
        "duplicate_measure",
    ] {
        assert!(
            issues
                .iter()
                .any(|i| i.code.as_str() == code && i.file.ends_with("_return.csv")),
            "expected {code}"
        );
    }
    // The resubmitted organisation's first return is superseded by the later one.
    let superseded: Vec<_> = issues
        .iter()
        .filter(|i| i.code.as_str() == "superseded")
        .collect();
    assert_eq!(superseded.len(), 1);
    let org = &superseded[0].org_code;
    let used = validated
        .returns
        .iter()
        .find(|r| &r.org_code == org)
        .expect("the later return is used");
    assert!(used.file.contains("/resubmissions/") && used.late);

    // Files of other periods are not part of this run; every file of the period has a fate.
    assert!(validated.files.iter().all(|f| f.file.contains("2026-10")));
    let count = |d| {
        validated
            .files
            .iter()
            .filter(|f| f.disposition == d)
            .count()
    };
    assert_eq!(count(Disposition::Rejected), validated.rejected.len());
    assert_eq!(summary.returns_accepted, validated.returns.len());
    assert!(
        validated.returns.len() >= 50,
        "most sample returns are accepted"
    );

    let issues_csv = std::fs::read(out.path().join("2026-10/validation/issues.csv")).unwrap();
    assert_eq!(read_csv(&issues_csv).len(), issues.len() + 1);

    // Tables: 12 outcome rows per accepted return, a status row per organisation.
    let outcomes =
        read_csv(&std::fs::read(out.path().join("2026-10/tables/outcomes.csv")).unwrap());
    assert_eq!(
        outcomes[0],
        [
            "period",
            "org_code",
            "standard_id",
            "outcome",
            "value",
            "source"
        ]
    );
    assert_eq!(outcomes.len() - 1, validated.returns.len() * 12);
    let status =
        read_csv(&std::fs::read(out.path().join("2026-10/tables/org_status.csv")).unwrap());
    assert_eq!(status.len() - 1, summary.organisations);
    assert!(out.path().join("2026-10/tables/outcomes.parquet").is_file());
    assert!(
        out.path()
            .join("2026-10/tables/org_status.parquet")
            .is_file()
    );
    // The trusts whose inventories were accepted are assessed from them.
    assert!(outcomes.iter().any(|r| r[5] == "derived"));
}

#[test]
fn an_earlier_period_can_be_run() {
    let contract = contract();
    let samples = workspace().join("data-samples");
    let out = tempfile::tempdir().unwrap();
    let validated = run_batch(
        local(&samples.join("landing")),
        local(out.path()),
        Some("2026-09"),
        orgs(&samples.join("reference/organisations.csv"), &contract),
        Limits::default(),
    )
    .validated;
    assert!(has(&validated.issues, "2026-09", "invalid_submitted_at"));
    assert!(has(&validated.issues, "2026-09", "duplicate_measure"));
    assert!(!has(&validated.issues, "2026-10", "superseded"));
}

//! The default run over `data-samples/`: the latest period is chosen, and every fault the
//! generator planted in the samples (`data-samples/faults.csv`) is reported where it is.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use baseline::validate::{Disposition, Limits};
use common::*;

/// The faults `data-samples/faults.csv` says were planted in `period`: (file, code).
fn planted(samples: &std::path::Path, period: &str) -> Vec<(String, String)> {
    let rows = read_csv(&std::fs::read(samples.join("faults.csv")).unwrap());
    assert_eq!(rows[0], ["file", "org_code", "code"]);
    rows[1..]
        .iter()
        .filter(|r| r[0].starts_with(period))
        .map(|r| (r[0].clone(), r[2].clone()))
        .collect()
}

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
    // Every fault the generator planted in the period is reported, on its file.
    let faults = planted(&samples, "2026-10");
    assert!(
        faults.len() >= 20,
        "the samples carry a fault of most kinds"
    );
    for (file, code) in &faults {
        assert!(has(issues, file, code), "expected {code} for {file}");
    }
    let codes: std::collections::BTreeSet<&str> = issues.iter().map(|i| i.code.as_str()).collect();
    assert!(
        codes.len() >= 22,
        "the latest period shows nearly every code: {codes:?}"
    );

    // A resubmitting organisation's first return is superseded, and the later one is used.
    let superseded: Vec<_> = issues
        .iter()
        .filter(|i| i.code.as_str() == "superseded")
        .collect();
    assert!(!superseded.is_empty());
    for earlier in superseded {
        let used = validated
            .returns
            .iter()
            .find(|r| r.org_code == earlier.org_code)
            .expect("the later return is used");
        assert!(used.file != earlier.file && !used.file.contains("/superseded/"));
    }

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
    let returns = summary.counts.returns;
    assert_eq!(returns.accepted, validated.returns.len());
    assert_eq!(
        returns.received,
        returns.accepted
            + returns.superseded
            + returns.duplicate
            + returns.rejected
            + returns.not_used,
        "the counts add up"
    );
    // The report's data-quality figures count the same way.
    let quality =
        read_csv(&std::fs::read(out.path().join("2026-10/tables/data_quality.csv")).unwrap());
    let received = quality
        .iter()
        .find(|r| r.contains(&"returns_received".to_string()))
        .unwrap();
    assert!(
        received.contains(&returns.received.to_string()),
        "{received:?}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("2026-10/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["counts"]["returns"]["received"], returns.received);
    assert_eq!(
        manifest["counts"]["returns"]["superseded"],
        returns.superseded
    );
    assert!(
        validated.returns.len() >= 50,
        "most sample returns are accepted"
    );

    // Every rejected file is in quarantine, unchanged, in a folder of its own: the conflicting
    // pair `X` and `conflict/X` share a name and both are kept.
    let index = quarantined(&out.path().join("2026-10"));
    for rejected in &validated.rejected {
        let (copy, issues) = &index[&rejected.file];
        let kept = std::fs::read(copy)
            .unwrap_or_else(|e| panic!("{} is not quarantined: {e}", rejected.file));
        assert!(kept == std::fs::read(samples.join("landing").join(&rejected.file)).unwrap());
        assert!(issues.is_file());
    }
    let names: Vec<&str> = validated
        .rejected
        .iter()
        .map(|r| r.file.rsplit('/').next().unwrap())
        .collect();
    assert!(
        names
            .iter()
            .enumerate()
            .any(|(i, n)| names[i + 1..].contains(n)),
        "two rejected files share a name: {names:?}"
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
    assert_eq!(status.len() - 1, summary.counts.organisations);
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
    for (file, code) in planted(&samples, "2026-09") {
        assert!(
            has(&validated.issues, &file, &code),
            "expected {code} for {file}"
        );
    }
    assert!(
        validated
            .issues
            .iter()
            .filter(|i| i.code.as_str() != "unrecognised_file")
            .all(|i| !i.file.contains("2026-10"))
    );
}

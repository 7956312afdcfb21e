//! Assessment against SPEC: every standard at and just beyond its boundaries, the
//! zero-denominator rules, applicability, each status rule, derived against reported values,
//! and editions. Each case writes real returns to a landing zone and runs the batch.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use baseline::assess::{Outcome, Status};
use baseline::run::RunOutput;
use baseline::validate::Limits;
use common::*;

/// A GP practice's return that meets every standard (period 2026-10, ends 2026-10-31).
const GOOD: [(&str, &str); 16] = [
    ("endpoints_total", "100"),
    ("endpoints_critical_patched_14d", "100"),
    ("endpoints_unsupported_os", "0"),
    ("endpoints_antimalware_current", "100"),
    ("hsa_received", "2"),
    ("hsa_acknowledged_48h", "2"),
    ("hsa_remediated_14d", "2"),
    ("privileged_accounts_total", "3"),
    ("privileged_accounts_mfa", "3"),
    ("remote_access_mfa_enforced", "yes"),
    ("staff_total", "100"),
    ("staff_trained_12m", "100"),
    ("backup_restore_tested_on", "2026-06-01"),
    ("bcp_exercised_on", "2026-06-01"),
    ("board_cyber_briefing_on", "2026-06-01"),
    ("siro_in_post", "yes"),
];
const MEDICAL: [(&str, &str); 3] = [
    ("medical_devices_total", "50"),
    ("medical_devices_unsupported_os", "10"),
    ("medical_devices_unsupported_isolated", "10"),
];

fn return_csv(org: &str, overrides: &[(&str, &str)], with_medical: bool) -> String {
    let mut measures: BTreeMap<&str, &str> = GOOD.into_iter().collect();
    if with_medical {
        measures.extend(MEDICAL);
    }
    for (k, v) in overrides {
        measures.insert(k, v);
    }
    let mut text = String::from("org_code,period,submitted_at,measure,value\n");
    for (k, v) in measures.iter().filter(|(_, v)| !v.is_empty()) {
        text.push_str(&format!("{org},2026-10,2026-11-04T09:00:00Z,{k},{v}\n"));
    }
    text
}

/// Runs period 2026-10 over the given files (name -> content).
fn run_files(files: &[(String, String)]) -> RunOutput {
    let landing = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(landing.path().join(name), content).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let contract = contract();
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/organisations.csv");
    run_batch(
        local(landing.path()),
        local(out.path()),
        Some("2026-10"),
        orgs(&reference, &contract),
        Limits::default(),
    )
}

/// Outcome and value of one standard for `org`'s return with the given overrides.
fn outcome(
    org: &str,
    with_medical: bool,
    standard: &str,
    overrides: &[(&str, &str)],
) -> (Outcome, String) {
    let out = run_files(&[(
        format!("{org}_2026-10_return.csv"),
        return_csv(org, overrides, with_medical),
    )]);
    let row = out
        .assessment
        .outcomes
        .iter()
        .find(|o| o.standard_id == standard)
        .expect("an outcome row");
    (row.outcome, row.value_text())
}

/// For a GP practice (K82057).
fn gp(standard: &str, overrides: &[(&str, &str)]) -> (Outcome, String) {
    outcome("K82057", false, standard, overrides)
}

/// For an acute trust (R0A), medical device measures included.
fn trust(standard: &str, overrides: &[(&str, &str)]) -> (Outcome, String) {
    outcome("R0A", true, standard, overrides)
}

use Outcome::*;

#[test]
fn ratio_standards_at_and_beyond_their_thresholds() {
    let cases: &[(&str, &str, &str, &str, Outcome, &str)] = &[
        // standard, part, whole, (part, whole) values via overrides below
        (
            "PATCH-14D",
            "endpoints_critical_patched_14d",
            "9500",
            "10000",
            Met,
            "0.95",
        ),
        (
            "PATCH-14D",
            "endpoints_critical_patched_14d",
            "9499",
            "10000",
            PartiallyMet,
            "0.9499",
        ),
        (
            "PATCH-14D",
            "endpoints_critical_patched_14d",
            "8500",
            "10000",
            PartiallyMet,
            "0.85",
        ),
        (
            "PATCH-14D",
            "endpoints_critical_patched_14d",
            "8499",
            "10000",
            NotMet,
            "0.8499",
        ),
        (
            "UNSUPPORTED-OS",
            "endpoints_unsupported_os",
            "100",
            "10000",
            Met,
            "0.01",
        ),
        (
            "UNSUPPORTED-OS",
            "endpoints_unsupported_os",
            "101",
            "10000",
            PartiallyMet,
            "0.0101",
        ),
        (
            "UNSUPPORTED-OS",
            "endpoints_unsupported_os",
            "500",
            "10000",
            PartiallyMet,
            "0.05",
        ),
        (
            "UNSUPPORTED-OS",
            "endpoints_unsupported_os",
            "501",
            "10000",
            NotMet,
            "0.0501",
        ),
        (
            "ANTIMALWARE",
            "endpoints_antimalware_current",
            "9800",
            "10000",
            Met,
            "0.98",
        ),
        (
            "ANTIMALWARE",
            "endpoints_antimalware_current",
            "9799",
            "10000",
            PartiallyMet,
            "0.9799",
        ),
        (
            "ANTIMALWARE",
            "endpoints_antimalware_current",
            "9000",
            "10000",
            PartiallyMet,
            "0.9",
        ),
        (
            "ANTIMALWARE",
            "endpoints_antimalware_current",
            "8999",
            "10000",
            NotMet,
            "0.8999",
        ),
    ];
    for (standard, part, p, w, outcome, value) in cases {
        let others = [
            ("endpoints_critical_patched_14d", *w),
            ("endpoints_antimalware_current", *w),
            ("endpoints_unsupported_os", "0"),
        ];
        let mut overrides: Vec<(&str, &str)> =
            others.into_iter().filter(|(k, _)| k != part).collect();
        overrides.push((part, p));
        overrides.push(("endpoints_total", w));
        assert_eq!(
            gp(standard, &overrides),
            (*outcome, value.to_string()),
            "{standard} with {p}/{w}"
        );
    }
    let staff = |trained| {
        gp(
            "STAFF-TRAINING",
            &[("staff_total", "10000"), ("staff_trained_12m", trained)],
        )
    };
    assert_eq!(staff("9500"), (Met, "0.95".into()));
    assert_eq!(staff("9499"), (PartiallyMet, "0.9499".into()));
    assert_eq!(staff("8500"), (PartiallyMet, "0.85".into()));
    assert_eq!(staff("8499"), (NotMet, "0.8499".into()));
}

#[test]
fn alert_and_mfa_standards_with_their_zero_denominator_rules() {
    let ack = |r, a| {
        gp(
            "ALERT-ACK-48H",
            &[
                ("hsa_received", r),
                ("hsa_acknowledged_48h", a),
                ("hsa_remediated_14d", "0"),
            ],
        )
    };
    assert_eq!(ack("0", "0"), (Met, "1".into()));
    assert_eq!(ack("10", "10"), (Met, "1".into()));
    assert_eq!(ack("10", "9"), (PartiallyMet, "0.9".into()));
    assert_eq!(ack("100", "89"), (NotMet, "0.89".into()));
    let fix = |r, f| {
        gp(
            "ALERT-REMEDIATE-14D",
            &[
                ("hsa_received", r),
                ("hsa_acknowledged_48h", "0"),
                ("hsa_remediated_14d", f),
            ],
        )
    };
    assert_eq!(fix("0", "0"), (Met, "1".into()));
    assert_eq!(fix("10", "9"), (Met, "0.9".into()));
    assert_eq!(fix("100", "89"), (PartiallyMet, "0.89".into()));
    assert_eq!(fix("100", "75"), (PartiallyMet, "0.75".into()));
    assert_eq!(fix("100", "74"), (NotMet, "0.74".into()));
    let mfa = |t, m| {
        gp(
            "MFA-PRIVILEGED",
            &[
                ("privileged_accounts_total", t),
                ("privileged_accounts_mfa", m),
            ],
        )
    };
    assert_eq!(mfa("0", "0"), (Met, "1".into()));
    assert_eq!(mfa("100", "99"), (PartiallyMet, "0.99".into()));
    assert_eq!(mfa("100", "95"), (PartiallyMet, "0.95".into()));
    assert_eq!(mfa("100", "94"), (NotMet, "0.94".into()));
    assert_eq!(
        gp("MFA-REMOTE", &[("remote_access_mfa_enforced", "Y")]),
        (Met, "true".into())
    );
    assert_eq!(
        gp("MFA-REMOTE", &[("remote_access_mfa_enforced", "no")]),
        (NotMet, "false".into())
    );
    // An input missing: not assessed, even where the zero-denominator rule would apply.
    assert_eq!(ack("0", ""), (NotAssessed, String::new()));
}

#[test]
fn day_count_standards_at_365_and_548_days() {
    // The period ends 2026-10-31.
    let backup = |d| gp("BACKUP-RESTORE", &[("backup_restore_tested_on", d)]);
    assert_eq!(backup("2025-10-31"), (Met, "365".into()));
    assert_eq!(backup("30/10/2025"), (PartiallyMet, "366".into()));
    assert_eq!(backup("2025-05-01"), (PartiallyMet, "548".into()));
    assert_eq!(backup("2025-04-30"), (NotMet, "549".into()));
    assert_eq!(backup("2026-10-31"), (Met, "0".into()));
    let exercise = |d| gp("CONTINGENCY-EXERCISE", &[("bcp_exercised_on", d)]);
    assert_eq!(exercise("2025-10-31"), (Met, "365".into()));
    assert_eq!(exercise("2025-10-30"), (PartiallyMet, "366".into()));
    let board = |d, siro| {
        gp(
            "BOARD-ASSURANCE",
            &[("board_cyber_briefing_on", d), ("siro_in_post", siro)],
        )
    };
    assert_eq!(board("2025-10-31", "yes"), (Met, "365".into()));
    assert_eq!(board("2025-05-01", "yes"), (PartiallyMet, "548".into()));
    assert_eq!(board("2025-04-30", "yes"), (NotMet, "549".into()));
    assert_eq!(board("2026-10-01", "no"), (NotMet, "30".into()));
    assert_eq!(board("2026-10-01", ""), (NotAssessed, String::new()));
}

#[test]
fn medical_devices_apply_to_trusts_only() {
    assert_eq!(gp("MEDDEV-ISOLATION", &[]), (NotApplicable, String::new()));
    let meddev = |u, i| {
        trust(
            "MEDDEV-ISOLATION",
            &[
                ("medical_devices_total", "1000"),
                ("medical_devices_unsupported_os", u),
                ("medical_devices_unsupported_isolated", i),
            ],
        )
    };
    assert_eq!(meddev("0", "0"), (Met, "1".into()));
    assert_eq!(meddev("10", "10"), (Met, "1".into()));
    assert_eq!(meddev("10", "8"), (PartiallyMet, "0.8".into()));
    assert_eq!(meddev("100", "79"), (NotMet, "0.79".into()));
    // A trust without its medical device measures is not assessed (and they are missing).
    let out = run_files(&[(
        "R0A_2026-10_return.csv".into(),
        return_csv("R0A", &[], false),
    )]);
    let row = out
        .assessment
        .outcomes
        .iter()
        .find(|o| o.standard_id == "MEDDEV-ISOLATION")
        .unwrap();
    assert_eq!(row.outcome, NotAssessed);
    assert!(
        out.validated
            .issues
            .iter()
            .any(|i| i.code.as_str() == "missing_measure")
    );
}

fn status_of(overrides: &[(&str, &str)]) -> Status {
    let out = run_files(&[(
        "K82057_2026-10_return.csv".into(),
        return_csv("K82057", overrides, false),
    )]);
    out.assessment
        .status
        .iter()
        .find(|s| s.org_code == "K82057")
        .unwrap()
        .status
}

#[test]
fn each_status_rule() {
    assert_eq!(status_of(&[]), Status::StandardsMet);
    // One non-critical standard partially met.
    assert_eq!(
        status_of(&[("staff_trained_12m", "90")]),
        Status::ApproachingStandards
    );
    // Two non-critical standards not met: still approaching.
    assert_eq!(
        status_of(&[
            ("staff_trained_12m", "10"),
            ("bcp_exercised_on", "2024-01-01")
        ]),
        Status::ApproachingStandards
    );
    // Three: not met.
    assert_eq!(
        status_of(&[
            ("staff_trained_12m", "10"),
            ("bcp_exercised_on", "2024-01-01"),
            ("endpoints_antimalware_current", "10")
        ]),
        Status::StandardsNotMet
    );
    // One critical standard not met, or not assessed.
    assert_eq!(
        status_of(&[("remote_access_mfa_enforced", "no")]),
        Status::StandardsNotMet
    );
    assert_eq!(
        status_of(&[("remote_access_mfa_enforced", "")]),
        Status::StandardsNotMet
    );
    // A critical standard partially met is not a failure.
    assert_eq!(
        status_of(&[("endpoints_critical_patched_14d", "90")]),
        Status::ApproachingStandards
    );

    let out = run_files(&[(
        "K82057_2026-10_return.csv".into(),
        return_csv("K82057", &[], false),
    )]);
    let absent = out
        .assessment
        .status
        .iter()
        .find(|s| s.org_code == "K82058")
        .unwrap();
    assert_eq!(absent.status, Status::NotSubmitted);
    assert!(absent.counts.values().all(|&n| n == 0) && !absent.late);
    assert_eq!(
        out.assessment.status.len(),
        4,
        "one row per organisation of the reference table"
    );
    assert!(
        out.assessment
            .outcomes
            .iter()
            .all(|o| o.org_code == "K82057"),
        "no outcome rows without a return"
    );
}

const INVENTORY_HEADER: &str = "device_id,device_class,os_name,os_version,oldest_missing_critical_patch_released_on,antimalware_signatures_updated_on,network_zone\n";

#[test]
fn inventory_values_replace_reported_ones() {
    // 20 endpoints: 19 patched, 1 on Windows 7; all anti-malware current.
    let mut inventory = String::from(INVENTORY_HEADER);
    for i in 0..20 {
        let (os, version) = if i == 0 {
            ("Windows", "7")
        } else {
            ("Windows", "11 24H2 Enterprise")
        };
        let patch = if i == 1 { "2026-09-01" } else { "" };
        inventory.push_str(&format!(
            "K82057-{i},endpoint,{os},{version},{patch},2026-10-30,corporate\n"
        ));
    }
    inventory.push_str("K82057-net,network,Unknown,1,,,management\n");
    // Reported within tolerance of the derived 20 for the total (|21 - 20| <= 2), far off for patching.
    let reported = [
        ("endpoints_total", "21"),
        ("endpoints_critical_patched_14d", "10"),
        ("endpoints_unsupported_os", "1"),
        ("endpoints_antimalware_current", "20"),
    ];
    let out = run_files(&[
        (
            "K82057_2026-10_return.csv".into(),
            return_csv("K82057", &reported, false),
        ),
        ("K82057_2026-10_inventory.csv".into(), inventory),
    ]);
    let row = |id: &str| {
        out.assessment
            .outcomes
            .iter()
            .find(|o| o.standard_id == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            row("PATCH-14D").outcome,
            row("PATCH-14D").value,
            row("PATCH-14D").derived
        ),
        (Met, Some(0.95), true)
    );
    assert_eq!(
        (row("UNSUPPORTED-OS").outcome, row("UNSUPPORTED-OS").value),
        (PartiallyMet, Some(0.05))
    );
    assert!(
        !row("MFA-REMOTE").derived,
        "standards without device inputs stay reported"
    );
    let discrepancies: Vec<&str> = out
        .validated
        .issues
        .iter()
        .filter(|i| i.code.as_str() == "discrepancy")
        .map(|i| i.measure.as_str())
        .collect();
    assert_eq!(discrepancies, ["endpoints_critical_patched_14d"]);
    assert!(
        !out.validated
            .issues
            .iter()
            .any(|i| i.code.as_str() == "unknown_os"),
        "network devices are ignored"
    );

    // Without the inventory the reported values stand.
    let plain = run_files(&[(
        "K82057_2026-10_return.csv".into(),
        return_csv("K82057", &reported, false),
    )]);
    let patch = plain
        .assessment
        .outcomes
        .iter()
        .find(|o| o.standard_id == "PATCH-14D")
        .unwrap();
    assert_eq!(
        (patch.outcome, patch.value_text().as_str(), patch.derived),
        (NotMet, "0.4762", false)
    );
}

#[test]
fn a_later_edition_applies_from_its_first_period() {
    let dir = tempfile::tempdir().unwrap();
    let current =
        std::fs::read_to_string(workspace().join("schemas/standards/mcs-2026.toml")).unwrap();
    std::fs::write(dir.path().join("mcs-2026.toml"), &current).unwrap();
    let stricter = current
        .replace("id = \"MCS-2026\"", "id = \"MCS-2026B\"")
        .replace("first_period = \"2026-01\"", "first_period = \"2026-10\"")
        .replacen(
            "met = 0.95\npartially_met = 0.85",
            "met = 0.99\npartially_met = 0.95",
            1,
        );
    std::fs::write(dir.path().join("mcs-2026b.toml"), stricter).unwrap();

    let landing = tempfile::tempdir().unwrap();
    for period in ["2026-09", "2026-10"] {
        let text = return_csv("K82057", &[("endpoints_critical_patched_14d", "96")], false)
            .replace("2026-10,", &format!("{period},"));
        std::fs::write(
            landing.path().join(format!("K82057_{period}_return.csv")),
            text,
        )
        .unwrap();
    }
    let contract = contract();
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/organisations.csv");
    let mut seen = Vec::new();
    for period in ["2026-09", "2026-10"] {
        let out_dir = tempfile::tempdir().unwrap();
        let out = run_with_standards(
            local(landing.path()),
            local(out_dir.path()),
            Some(period),
            orgs(&reference, &contract),
            Limits::default(),
            dir.path().to_path_buf(),
        );
        let patch = out
            .assessment
            .outcomes
            .iter()
            .find(|o| o.standard_id == "PATCH-14D")
            .unwrap();
        seen.push((out.assessment.edition.clone(), patch.outcome));
    }
    assert_eq!(
        seen,
        [
            ("MCS-2026".to_string(), Met),
            ("MCS-2026B".to_string(), PartiallyMet)
        ]
    );
}

#[test]
fn an_inventory_without_endpoints_leaves_the_endpoint_standards_not_assessed() {
    // Only network kit: the derived endpoints_total is 0, which SPEC makes unusable, and the
    // reported figures do not stand in for it.
    let inventory = format!("{INVENTORY_HEADER}K82057-1,network,IOS-XE,17.9,,,management\n");
    let out = run_files(&[
        (
            "K82057_2026-10_return.csv".into(),
            return_csv("K82057", &[], false),
        ),
        ("K82057_2026-10_inventory.csv".into(), inventory),
    ]);
    for id in ["PATCH-14D", "UNSUPPORTED-OS", "ANTIMALWARE"] {
        let row = out
            .assessment
            .outcomes
            .iter()
            .find(|o| o.standard_id == id)
            .unwrap();
        assert_eq!((row.outcome, row.derived), (NotAssessed, true), "{id}");
    }
    let mfa = out
        .assessment
        .outcomes
        .iter()
        .find(|o| o.standard_id == "MFA-REMOTE")
        .unwrap();
    assert_eq!(mfa.outcome, Met);
}

//! `baseline standards check` rejects a broken catalogue with a message that names the
//! problem, and `baseline standards list` shows the edition in force.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

fn catalogue() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/standards/mcs-2026.toml"),
    )
    .unwrap()
}

fn check(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalogue.toml");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_baseline"))
        .args(["standards", "check"])
        .arg(&file)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_bundled_catalogue_is_valid() {
    let (code, text) = check(&catalogue());
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("MCS-2026 (12 standards, in force from 2026-01)"),
        "{text}"
    );
}

#[test]
fn rejects_each_kind_of_broken_catalogue() {
    let original = catalogue();
    let cases = [
        (
            original.replacen(
                "endpoints_critical_patched_14d / endpoints_total",
                "endpoints_patched / endpoints_total",
                1,
            ),
            "reads `endpoints_patched`, which is not a measure of the dictionary",
        ),
        (
            original.replacen(
                "staff_trained_12m / staff_total",
                "staff_trained_12m / / staff_total",
                1,
            ),
            "does not parse",
        ),
        (
            original.replacen(
                "met = 0.98\npartially_met = 0.90",
                "met = 0.90\npartially_met = 0.98",
                1,
            ),
            "thresholds in the wrong order",
        ),
        (
            original.replacen("id = \"ANTIMALWARE\"", "id = \"PATCH-14D\"", 1),
            "standard id PATCH-14D is used twice",
        ),
        (
            original.replacen("applies_to = \"trust\"", "applies_to = \"hospices\"", 1),
            "unknown group `hospices`",
        ),
        (
            original.replacen(
                "short = \"Anti-malware current\"",
                "short = \"Anti-malware signatures current on every endpoint\"",
                1,
            ),
            "standard ANTIMALWARE: short must be a plain name of 1 to 30 characters (it has 49)",
        ),
    ];
    for (text, expected) in cases {
        assert_ne!(text, original, "the case must change the catalogue");
        let (code, out) = check(&text);
        assert_eq!(code, Some(2), "{expected}: {out}");
        assert!(out.contains(expected), "expected `{expected}` in:\n{out}");
    }
}

#[test]
fn list_prints_the_edition_in_force() {
    let out = Command::new(env!("CARGO_BIN_EXE_baseline"))
        .args(["standards", "list", "--period", "2026-10"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("MCS-2026")
            && text.contains("PATCH-14D")
            && text.contains("MEDDEV-ISOLATION"),
        "{text}"
    );
    let contract = common::contract();
    let catalogue = baseline::run::catalogue_for(
        &common::workspace().join("schemas/standards"),
        &contract,
        "2026-10".parse().unwrap(),
    )
    .unwrap();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("  ")).count(),
        catalogue.standards.len(),
        "one line per standard in force"
    );
}

//! Crash safety: a run stopped abruptly at any point (as `kill -9` or a power cut would stop
//! it) leaves the previously published output intact, the next run completes normally, and two
//! runs of one period started at once do not corrupt each other.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};

use baseline::crash::CrashPoint;
use common::*;

/// A run of the samples by the binary, as an analyst starts it from the project's folder.
fn baseline_run(out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baseline"))
        .args(["run", "--out", out.to_str().unwrap()])
        .current_dir(workspace())
        .output()
        .expect("the binary runs")
}

/// The same run stopped at `point`: crash points are set only through the library's
/// configuration (never from a production run's environment), so this test binary runs
/// itself, as the child test below, to stop a real process.
fn crashed_run(out: &Path, point: CrashPoint) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env("BASELINE_TEST_CRASH_OUT", out)
        .env("BASELINE_TEST_CRASH_AT", format!("{point:?}"))
        .output()
        .expect("the test binary runs")
}

/// The child side of [`crashed_run`]; does nothing when run as a test of its own.
#[test]
fn crash_child() {
    let (Some(out), Ok(point)) = (
        std::env::var_os("BASELINE_TEST_CRASH_OUT"),
        std::env::var("BASELINE_TEST_CRASH_AT"),
    ) else {
        return;
    };
    let point = CrashPoint::ALL
        .into_iter()
        .find(|p| format!("{p:?}") == point)
        .expect("a crash point");
    let samples = workspace().join("data-samples");
    let contract = contract();
    let mut config = config(
        local(&samples.join("landing")),
        local(Path::new(&out)),
        None,
        orgs(&samples.join("reference/organisations.csv"), &contract),
        baseline::validate::Limits::default(),
        workspace().join("schemas/standards"),
    );
    config.crash_at = Some(point);
    let _ = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(baseline::run::run(&config));
    panic!("the run went past {point:?}");
}

#[test]
fn a_run_stopped_anywhere_leaves_the_published_run_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let first = baseline_run(&out);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = published(&out);
    let target = std::fs::read_link(out.join("2026-10")).unwrap();
    assert!(before.contains_key("reports/national.html") && before.len() > 50);

    for point in CrashPoint::ALL {
        let crashed = crashed_run(&out, point);
        assert_eq!(
            crashed.status.signal(),
            Some(6),
            "{point:?}: stopped by SIGABRT\n{}",
            String::from_utf8_lossy(&crashed.stdout)
        );
        assert_eq!(
            std::fs::read_link(out.join("2026-10")).unwrap(),
            target,
            "{point:?}: readers still see the run published before"
        );
        assert!(
            published(&out) == before,
            "{point:?}: the published files are unchanged"
        );
    }

    let next = baseline_run(&out);
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    assert_ne!(
        std::fs::read_link(out.join("2026-10")).unwrap(),
        target,
        "a new run is published"
    );
    assert!(
        published(&out) == before,
        "the same inputs give the same outputs"
    );
    // No link left half-made, and crashed runs are not mistaken for complete ones: the run
    // published before is kept as the previous one.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".link"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(
        out.join(&target).join("manifest.json").is_file(),
        "the previous complete run is kept"
    );
}

#[test]
fn two_runs_of_a_period_at_once_do_not_corrupt_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let alone = tempfile::tempdir().unwrap();
    let single = alone.path().join("out");
    assert!(baseline_run(&single).status.success());
    let expected = published(&single);

    let start = |out: &Path| {
        Command::new(env!("CARGO_BIN_EXE_baseline"))
            .args(["run", "--out", out.to_str().unwrap()])
            .current_dir(workspace())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start(&out), start(&out));
    for child in [a, b] {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(
        published(&out) == expected,
        "the published run is whole and correct"
    );
    let runs = files_below(&out.join(".runs/2026-10"));
    let manifests = runs
        .iter()
        .filter(|f| f.ends_with("/manifest.json"))
        .count();
    assert_eq!(manifests, 2, "both runs completed: {runs:?}");
}

//! Crash safety: a run stopped abruptly at any point (as `kill -9` or a power cut would stop
//! it) leaves the previously published output intact, the next run completes normally, and two
//! runs of one period started at once do not corrupt each other.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};

use common::{files_below, published};

fn baseline_run(out: &Path, crash_at: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baseline"));
    command
        .args(["run", "--out", out.to_str().unwrap()])
        .current_dir(out.parent().unwrap());
    if let Some(point) = crash_at {
        command.env("BASELINE_CRASH_AT", point);
    }
    command.output().expect("the binary runs")
}

#[test]
fn a_run_stopped_anywhere_leaves_the_published_run_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let first = baseline_run(&out, None);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = published(&out);
    let target = std::fs::read_link(out.join("2026-10")).unwrap();
    assert!(before.contains_key("reports/national.html") && before.len() > 50);

    for point in ["ingest", "render", "write", "publish", "swap"] {
        let crashed = baseline_run(&out, Some(point));
        assert!(!crashed.status.success(), "{point}: the run was stopped");
        assert_eq!(
            crashed.status.signal(),
            Some(6),
            "{point}: stopped by SIGABRT"
        );
        assert_eq!(
            std::fs::read_link(out.join("2026-10")).unwrap(),
            target,
            "{point}: readers still see the run published before"
        );
        assert!(
            published(&out) == before,
            "{point}: the published files are unchanged"
        );
    }

    let next = baseline_run(&out, None);
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
    assert!(baseline_run(&single, None).status.success());
    let expected = published(&single);

    let start = |out: &Path| {
        Command::new(env!("CARGO_BIN_EXE_baseline"))
            .args(["run", "--out", out.to_str().unwrap()])
            .current_dir(dir.path())
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

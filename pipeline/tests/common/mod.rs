//! Shared helpers of the end-to-end tests: the contract, a run over a folder, and reading the
//! CSV tables a run writes.

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use baseline::contract::{Contract, Organisations};
use baseline::run::{RunConfig, RunOutput, run};
use baseline::storage::Location;
use baseline::validate::Limits;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn contract() -> Contract {
    Contract::load(&workspace().join("schemas")).expect("the bundled contract loads")
}

pub fn orgs(path: &Path, contract: &Contract) -> Organisations {
    Organisations::load(path, &contract.dictionary.org_types).expect("the reference table loads")
}

/// Unique, increasing run ids within a test process.
pub fn next_run_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "test-{:06}-{}",
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
        std::process::id()
    )
}

/// Runs the batch synchronously.
pub fn run_batch(
    input: Location,
    out: Location,
    period: Option<&str>,
    orgs: Organisations,
    limits: Limits,
) -> RunOutput {
    run_with_standards(
        input,
        out,
        period,
        orgs,
        limits,
        workspace().join("schemas/standards"),
    )
}

pub fn run_with_standards(
    input: Location,
    out: Location,
    period: Option<&str>,
    orgs: Organisations,
    limits: Limits,
    standards: PathBuf,
) -> RunOutput {
    let config = config(input, out, period, orgs, limits, standards);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(run(&config)).expect("the run succeeds")
}

/// The configuration of a test run.
pub fn config(
    input: Location,
    out: Location,
    period: Option<&str>,
    orgs: Organisations,
    limits: Limits,
    standards: PathBuf,
) -> RunConfig {
    RunConfig {
        input,
        out,
        period: period.map(|p| p.parse().expect("a valid period")),
        contract: contract(),
        orgs,
        reference: PathBuf::from("organisations.csv"),
        settings: None,
        standards,
        limits,
        run_id: next_run_id(),
        concurrency: 8,
        now: chrono::Utc::now(),
        crash_at: None,
        allow_empty: false,
        progress: None,
    }
}

pub fn local(path: &Path) -> Location {
    Location::open(&path.display().to_string(), &[], true).expect("a local folder opens")
}

/// Rows of a CSV file as records of strings, header first.
pub fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| {
            r.expect("a CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Every file below `dir`, as `/`-separated paths relative to it, sorted.
pub fn files_below(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("below root");
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Every file readers see under `{out}/2026-10/`, with its bytes, but the manifest (which holds
/// the run's timings), in path order.
pub fn published(out: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let run = out.join("2026-10");
    files_below(&run)
        .into_iter()
        .filter(|f| f != "manifest.json")
        .map(|f| {
            let bytes = std::fs::read(run.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

/// The quarantine of a run by landing-zone key: where its copy and its issues are, from
/// `quarantine/index.csv`.
pub fn quarantined(run: &Path) -> std::collections::BTreeMap<String, (PathBuf, PathBuf)> {
    let index = std::fs::read(run.join("quarantine/index.csv")).expect("quarantine/index.csv");
    read_csv(&index)
        .into_iter()
        .skip(1)
        .map(|r| {
            assert_eq!(r[3], "yes", "{} was copied", r[0]);
            (r[0].clone(), (run.join(&r[1]), run.join(&r[2])))
        })
        .collect()
}

//! The same landing zone on Azure Blob Storage (a real Azurite, started by `ci/test`) and on
//! local disk gives the same issues, and a run can write its outputs to the object store. (On
//! local disk inventories are read as their bytes are read; from the object store, by the
//! validator: the two paths give the same tables.)

// Tests read and write plain files and unwrap: a failure is a failed test.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

mod common;

use std::path::Path;

use baseline::storage::Location;
use baseline::validate::Limits;
use common::*;

fn azurite_options() -> Vec<(String, String)> {
    vec![("azure_storage_use_emulator".to_string(), "true".to_string())]
}

fn container() -> String {
    std::env::var("BASELINE_TEST_AZURE_CONTAINER")
        .expect("run through ci/test, which starts Azurite")
}

async fn upload(from: &Path, to: &Location) {
    for file in files_below(from) {
        to.write(&file, std::fs::read(from.join(&file)).unwrap())
            .await
            .expect("upload to Azurite");
    }
}

#[test]
#[ignore = "needs Azurite: run ci/test"]
fn az_landing_zone_gives_the_same_issues_as_local_disk() {
    let contract = contract();
    let samples = workspace().join("data-samples");
    let prefix = format!("az://{}/run-{}", container(), std::process::id());
    let landing = Location::open(&format!("{prefix}/landing"), &azurite_options(), false).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(upload(&samples.join("landing"), &landing));

    let reference = samples.join("reference/organisations.csv");
    let az_out = Location::open(&format!("{prefix}/out"), &azurite_options(), false).unwrap();
    let az = run_batch(
        landing,
        az_out.clone(),
        None,
        orgs(&reference, &contract),
        Limits::default(),
    );

    let local_out = tempfile::tempdir().unwrap();
    let disk = run_batch(
        local(&samples.join("landing")),
        local(local_out.path()),
        None,
        orgs(&reference, &contract),
        Limits::default(),
    );

    assert!(!disk.validated.issues.is_empty());
    assert_eq!(az.validated.issues, disk.validated.issues);
    assert_eq!(az.assessment.outcomes, disk.assessment.outcomes);
    // Readers follow the pointer written last to the run's own folder.
    let period = "2026-10".parse().unwrap();
    let az_run = runtime
        .block_on(baseline::publish::resolve(&az_out, period))
        .unwrap();
    assert!(
        az_run.display().contains("/.runs/2026-10/"),
        "{}",
        az_run.display()
    );
    let az_csv = runtime
        .block_on(az_run.read("validation/issues.csv"))
        .unwrap();
    let disk_csv = std::fs::read(local_out.path().join("2026-10/validation/issues.csv")).unwrap();
    assert_eq!(az_csv.as_ref(), disk_csv.as_slice());

    // The quarantine on the object store holds the same files as on disk.
    let az_quarantine: Vec<String> = runtime
        .block_on(az_run.join("quarantine").list())
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(
        az_quarantine,
        files_below(&local_out.path().join("2026-10/quarantine"))
    );
    for table in ["outcomes", "org_status", "gaps"] {
        let az_table = runtime
            .block_on(az_run.read(&format!("tables/{table}.csv")))
            .unwrap();
        let disk_table =
            std::fs::read(local_out.path().join(format!("2026-10/tables/{table}.csv"))).unwrap();
        assert_eq!(az_table.as_ref(), disk_table.as_slice(), "{table}");
    }
}

/// Reruns of a period on the object store keep the run readers see and the one before it;
/// the first run's objects are deleted, as on local disk.
#[test]
#[ignore = "needs Azurite: run ci/test"]
fn az_reruns_keep_the_current_and_the_previous_run() {
    let contract = contract();
    let case = workspace().join("pipeline/tests/cases");
    let out = format!("az://{}/reruns-{}", container(), std::process::id());
    let out = Location::open(&out, &azurite_options(), false).unwrap();
    let rerun = || {
        run_batch(
            local(&case.join("valid_batch/landing")),
            out.clone(),
            Some("2026-10"),
            orgs(&case.join("organisations.csv"), &contract),
            Limits::default(),
        )
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let runs_dir = out.join(".runs/2026-10");
    let runs = || runtime.block_on(runs_dir.folders()).unwrap();
    let published = || {
        let period = "2026-10".parse().unwrap();
        let run = runtime.block_on(baseline::publish::resolve(&out, period));
        run.unwrap().display().to_string()
    };

    rerun();
    let first = runs();
    assert_eq!(first.len(), 1, "{first:?}");
    rerun();
    rerun();
    let kept = runs();
    assert_eq!(
        kept.len(),
        2,
        "the current run and the one before: {kept:?}"
    );
    assert!(!kept.contains(&first[0]), "{kept:?}");
    assert!(published().ends_with(&format!("/.runs/2026-10/{}", kept[1])));
    let left = runtime.block_on(runs_dir.join(&first[0]).list()).unwrap();
    assert!(
        left.is_empty(),
        "the first run's objects are deleted: {left:?}"
    );
}

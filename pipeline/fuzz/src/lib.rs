//! What every fuzz target does: validate the fuzzer's bytes as one submitted file, exactly as
//! `baseline validate` would, against the bundled contract and samples' reference table.

use std::sync::OnceLock;

use baseline::contract::{Contract, Organisations};
use baseline::validate::{Limits, check_file};

fn context() -> &'static (Contract, Organisations) {
    static CONTEXT: OnceLock<(Contract, Organisations)> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        // libfuzzer-sys aborts on every panic, even one Baseline catches on purpose (a reader
        // failing on a file makes it unreadable, it does not stop the batch). Only a panic
        // that escapes `check_file` is a finding: libfuzzer-sys still aborts on those.
        let _ = std::panic::take_hook();
        // Parquet is decoded first in a child, as `baseline run` does, when ci/fuzz says
        // which binary to use.
        if let Some(exe) = std::env::var_os("BASELINE_EXE") {
            baseline::ingest::inventory::isolate_parquet_with(exe.into());
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let contract = Contract::load(&root.join("schemas")).expect("the contract loads");
        let orgs = Organisations::load(
            &root.join("data-samples/reference/organisations.csv"),
            &contract.dictionary.org_types,
        )
        .expect("the reference table loads");
        (contract, orgs)
    })
}

/// Validates `data` as the file `name`; any panic is a finding.
pub fn check(name: &str, data: &[u8]) {
    let (contract, orgs) = context();
    let issues = check_file(
        name,
        bytes::Bytes::copy_from_slice(data),
        contract,
        baseline::validate::Context {
            orgs: Some(orgs),
            period: "2026-10".parse().ok(),
            now: chrono::Utc::now(),
        },
        Limits::default(),
    );
    // Every issue names its file: nothing is reported against nowhere.
    assert!(issues.iter().all(|i| i.file == name));
}

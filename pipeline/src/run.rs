//! The monthly batch for one period: list the landing zone, read the period's files, validate
//! them, and write the outputs under `{out}/{period}/`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::assess::{self, Assessment, Catalogue, CatalogueError, evidence};
use crate::contract::{Contract, Organisations, Severity};
use crate::ingest::{self, Listing};
use crate::output;
use crate::period::Period;
use crate::storage::{Location, StorageError};
use crate::tables;
use crate::validate::{Batch, Disposition, Issues, Limits, Validated};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("no return or inventory is named for any period in {0}; nothing to run")]
    NoPeriod(String),
    #[error("the standards catalogue is not usable")]
    Catalogue(#[from] CatalogueError),
    #[error("failed to compute the {stage}")]
    Compute {
        stage: &'static str,
        #[source]
        source: polars::prelude::PolarsError,
    },
}

/// Everything a run needs, validated before it starts.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub input: Location,
    pub out: Location,
    /// `None`: the latest period named by any file in the input.
    pub period: Option<Period>,
    pub contract: Contract,
    pub orgs: Organisations,
    /// A catalogue file, or a folder of editions from which the one in force is chosen.
    pub standards: PathBuf,
    pub limits: Limits,
    /// Files read at once from the landing zone.
    pub concurrency: usize,
}

/// What a run did, for the closing summary.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub period: Period,
    pub output: String,
    pub returns_received: usize,
    pub returns_accepted: usize,
    pub inventories_received: usize,
    pub inventories_accepted: usize,
    pub files_rejected: usize,
    pub issues_by_severity: BTreeMap<Severity, usize>,
    pub organisations: usize,
    pub edition: String,
    pub status_counts: BTreeMap<assess::Status, usize>,
}

/// Everything a run produced, for callers that go on (reports) and for tests.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub validated: Validated,
    pub assessment: Assessment,
    pub summary: RunSummary,
}

/// The catalogue in force for `period`: `path` is one catalogue file or a folder of editions.
pub fn catalogue_for(
    path: &std::path::Path,
    contract: &Contract,
    period: Period,
) -> Result<Catalogue, CatalogueError> {
    if path.is_dir() {
        Catalogue::in_force(path, &contract.dictionary, period)
    } else {
        Catalogue::load(path, &contract.dictionary)
    }
}

/// Runs the batch for one period.
pub async fn run(config: &RunConfig) -> Result<RunOutput, RunError> {
    let listing: Listing = ingest::list(&config.input).await?;
    let period = match config.period.or_else(|| listing.latest_period()) {
        Some(p) => p,
        None => return Err(RunError::NoPeriod(config.input.display().to_string())),
    };
    tracing::info!(%period, files = listing.recognised.len(), "listed the landing zone");

    let files: Vec<_> = listing.for_period(period).cloned().collect();
    let loaded = ingest::read_all(&config.input, files, config.concurrency).await?;
    tracing::info!(files = loaded.len(), "read the period's files");

    let batch = Batch {
        contract: &config.contract,
        orgs: &config.orgs,
        period,
        limits: config.limits,
    };
    let mut validated = batch.validate(&listing.unrecognised, loaded);
    tracing::info!(
        issues = validated.issues.len(),
        rejected = validated.rejected.len(),
        "validated"
    );

    let catalogue = catalogue_for(&config.standards, &config.contract, period)?;
    let mut evidence_issues = Issues::new(&config.contract.codes);
    let derived = evidence::derive(&validated, &config.contract, period, &mut evidence_issues)
        .map_err(|source| RunError::Compute {
            stage: "device measures from inventories",
            source,
        })?;
    validated.issues.extend(evidence_issues.into_sorted());
    validated
        .issues
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let assessment = assess::assess(
        &validated,
        &config.contract,
        &config.orgs,
        &catalogue,
        &derived,
    )
    .map_err(|source| RunError::Compute {
        stage: "assessment",
        source,
    })?;
    tracing::info!(edition = %catalogue.id, outcomes = assessment.outcomes.len(), "assessed");

    let run_dir = config.out.join(&period.to_string());
    clear(&run_dir).await?;
    let period_text = period.to_string();
    run_dir
        .write(
            "validation/issues.csv",
            output::issues_csv(&period_text, &validated.issues),
        )
        .await?;
    output::write_quarantine(
        &run_dir,
        &period_text,
        &validated.rejected,
        &validated.issues,
    )
    .await?;
    let outcomes = tables::outcomes(&assessment);
    let status = tables::org_status(&assessment, &config.orgs);
    let parquet = |table: &tables::Table, integer: &[&str], boolean: &[&str]| {
        table
            .to_parquet(integer, boolean)
            .map_err(|source| RunError::Compute {
                stage: "Parquet tables",
                source,
            })
    };
    run_dir
        .write("tables/outcomes.csv", outcomes.to_csv())
        .await?;
    run_dir
        .write("tables/outcomes.parquet", parquet(&outcomes, &[], &[])?)
        .await?;
    run_dir
        .write("tables/org_status.csv", status.to_csv())
        .await?;
    run_dir
        .write(
            "tables/org_status.parquet",
            parquet(
                &status,
                &[
                    "met",
                    "partially_met",
                    "not_met",
                    "not_assessed",
                    "not_applicable",
                ],
                &["late"],
            )?,
        )
        .await?;

    let count = |kind: &str, accepted: bool| {
        validated
            .files
            .iter()
            .filter(|f| f.kind == kind && (!accepted || f.disposition == Disposition::Accepted))
            .count()
    };
    let mut issues_by_severity = BTreeMap::new();
    for issue in &validated.issues {
        *issues_by_severity.entry(issue.severity).or_insert(0) += 1;
    }
    let summary = RunSummary {
        period,
        output: run_dir.display().to_string(),
        returns_received: count("return", false),
        returns_accepted: count("return", true),
        inventories_received: count("inventory", false),
        inventories_accepted: count("inventory", true),
        files_rejected: validated.rejected.len(),
        issues_by_severity,
        organisations: config.orgs.len(),
        edition: catalogue.id.clone(),
        status_counts: assessment.status.iter().fold(BTreeMap::new(), |mut m, s| {
            *m.entry(s.status).or_insert(0) += 1;
            m
        }),
    };
    Ok(RunOutput {
        validated,
        assessment,
        summary,
    })
}

/// Removes what an earlier run of the period left, so a rerun leaves no stale file behind.
async fn clear(run_dir: &Location) -> Result<(), StorageError> {
    for entry in run_dir.list().await? {
        run_dir.delete(&entry.key).await?;
    }
    Ok(())
}

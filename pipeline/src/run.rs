//! The monthly batch for one period: list the landing zone, read the period's files, validate
//! and assess them, aggregate the gaps, and publish the outputs under `{out}/{period}/`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use std::time::Instant;

use futures::{StreamExt, TryStreamExt};

use crate::aggregate::{self, GapRow, insights};
use crate::assess::{self, Assessment, Catalogue, CatalogueError, evidence};
use crate::contract::{Contract, Organisations, Severity};
use crate::ingest::names::FileName;
use crate::ingest::{self, Listing};
use crate::manifest;
use crate::output;
use crate::period::Period;
use crate::publish::{self, PublishError};
use crate::report;
use crate::storage::{Location, StorageError};
use crate::tables;
use crate::validate::{
    Batch, Disposition, INVENTORY_BATCH, Issues, Limits, PARSER_STACK, Validated,
};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("no return or inventory is named for any period in {0}; nothing to run")]
    NoPeriod(String),
    #[error("failed to publish the run")]
    Publish(#[from] PublishError),
    #[error("the standards catalogue is not usable")]
    Catalogue(#[from] CatalogueError),
    #[error("failed to render the reports")]
    Report(#[from] crate::report::ReportError),
    #[error("failed to compute the {stage}")]
    Compute {
        stage: &'static str,
        #[source]
        source: polars::prelude::PolarsError,
    },
}

/// Inventory bytes read and validated together: large enough to keep both cores busy, small
/// enough that a national batch's device rows never sit in memory at once.
const INVENTORY_CHUNK_BYTES: u64 = 48 << 20;

/// Where a run reports progress on long work (the command line draws a bar on a terminal).
pub trait Progress: Send + Sync {
    fn start(&self, stage: &str, total: u64);
    fn advance(&self, done: u64);
    fn finish(&self);
}

/// Ends the process abruptly at a named point when `BASELINE_CRASH_AT` names it: the seam the
/// crash-safety tests use to stop a run mid-way (as a power cut or `kill -9` would) and show
/// that what was published before survives.
pub fn crash_point(point: &str) {
    if std::env::var_os("BASELINE_CRASH_AT").is_some_and(|v| v == point) {
        std::process::abort();
    }
}

/// Everything a run needs, validated before it starts.
#[derive(Clone)]
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
    /// Names this run's folder; unique per run and sorting in time order.
    pub run_id: String,
    /// Files read at once from the landing zone.
    pub concurrency: usize,
    pub progress: Option<std::sync::Arc<dyn Progress>>,
}

impl std::fmt::Debug for RunConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunConfig")
            .field("input", &self.input)
            .field("out", &self.out)
            .field("period", &self.period)
            .field("standards", &self.standards)
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
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
    pub gaps: Vec<GapRow>,
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

/// Runs the batch for one period: the stages in order, each timed, the outputs staged in a
/// fresh folder and published atomically at the end.
pub async fn run(config: &RunConfig) -> Result<RunOutput, RunError> {
    let mut timings: Vec<(&'static str, u128)> = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |stage: &'static str, timings: &mut Vec<(&'static str, u128)>| {
        timings.push((stage, clock.elapsed().as_millis()));
        clock = Instant::now();
    };

    let listing: Listing = ingest::list(&config.input).await?;
    let period = match config.period.or_else(|| listing.latest_period()) {
        Some(p) => p,
        None => return Err(RunError::NoPeriod(config.input.display().to_string())),
    };
    tracing::info!(%period, files = listing.recognised.len(), "listed the landing zone");
    let (return_files, inventory_files): (Vec<_>, Vec<_>) = listing
        .for_period(period)
        .cloned()
        .partition(|(_, name)| name.kind.is_return());
    let total = return_files.len() + inventory_files.len();
    if let Some(p) = &config.progress {
        p.start("reading the landing zone", total as u64);
    }
    let advance = |done: usize| {
        if let Some(p) = &config.progress {
            p.advance(done as u64);
        }
    };
    let limit = |name: &FileName| config.limits.max_bytes(name.kind);
    // Returns are small and many: all read at once, concurrently.
    let returns = ingest::read_all(
        &config.input,
        return_files,
        config.concurrency,
        limit,
        advance,
    )
    .await?;
    tracing::info!(files = returns.len(), "read the period's returns");
    lap("ingest", &mut timings);
    crash_point("ingest");

    // Inventories are large: read a chunk at a time while the chunk before is validated, so
    // at most two chunks are held (the memory target in docs/PERFORMANCE.md).
    let batch = Batch {
        contract: &config.contract,
        orgs: &config.orgs,
        period,
        limits: config.limits,
    };
    let read_returns = returns.len();
    let (chunks, received) = std::sync::mpsc::sync_channel::<Vec<ingest::Loaded>>(1);
    let reader = async {
        let mut done = read_returns;
        for chunk in ingest::chunks(inventory_files, INVENTORY_BATCH, INVENTORY_CHUNK_BYTES) {
            let loaded = ingest::read_all(&config.input, chunk, config.concurrency, limit, |n| {
                advance(done + n)
            })
            .await?;
            done += loaded.len();
            if chunks.send(loaded).is_err() {
                break;
            }
        }
        drop(chunks);
        Ok::<_, StorageError>(())
    };
    let (validated, read) = tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let validating = std::thread::Builder::new()
                .stack_size(PARSER_STACK)
                .spawn_scoped(scope, || {
                    batch.validate_streaming(&listing.unrecognised, returns, received)
                })
                .expect("a thread can be started");
            let read = tokio::runtime::Handle::current().block_on(reader);
            (validating.join(), read)
        })
    });
    read?;
    let mut validated = match validated {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    if let Some(p) = &config.progress {
        p.finish();
    }
    tracing::info!(
        issues = validated.issues.len(),
        rejected = validated.rejected.len(),
        "validated"
    );
    lap("validate", &mut timings);

    let catalogue = catalogue_for(&config.standards, &config.contract, period)?;
    let mut evidence_issues = Issues::new(&config.contract.codes);
    let derived = evidence::derive(&validated, &config.contract, &mut evidence_issues);
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
    lap("assess", &mut timings);

    let order: Vec<String> = catalogue
        .standards
        .iter()
        .map(|s| s.standard.id.clone())
        .collect();
    let gaps =
        aggregate::gaps(&assessment, &config.orgs, &order).map_err(|source| RunError::Compute {
            stage: "gaps",
            source,
        })?;
    let mut series = insights::history(&config.out, period).await;
    series.push((period, insights::PeriodFigures::of_run(&gaps, &assessment)));
    let extra_tables: [(&str, tables::Table); 5] = [
        ("trends", insights::trends_table(&series)),
        (
            "non_response",
            insights::non_response_table(period, &assessment, &config.orgs),
        ),
        (
            "data_quality",
            insights::data_quality_table(period, &validated),
        ),
        (
            "risk",
            insights::risk_table(
                period,
                &validated,
                &assessment,
                &config.contract,
                &config.orgs,
                &derived,
            ),
        ),
        (
            "spend",
            insights::spend_table(period, &validated, &assessment, &config.contract),
        ),
    ];
    lap("aggregate", &mut timings);

    let period_text = period.to_string();
    let outcomes = tables::outcomes(&assessment);
    let status = tables::org_status(&assessment, &config.orgs);
    let gaps_table = aggregate::gaps_table(&period_text, &gaps);
    let issues_table = output::issues_table(&period_text, &validated.issues);
    let mut workbook: Vec<(&str, &tables::Table)> = vec![
        ("outcomes", &outcomes),
        ("org_status", &status),
        ("gaps", &gaps_table),
        ("issues", &issues_table),
    ];
    workbook.extend(extra_tables.iter().map(|(name, t)| (*name, t)));
    let reports = report::render_all(&report::Inputs {
        period,
        contract: &config.contract,
        orgs: &config.orgs,
        catalogue: &catalogue,
        validated: &validated,
        assessment: &assessment,
        gaps: &gaps,
        series: &series,
        tables: &workbook,
    })?;
    tracing::info!(files = reports.len(), "rendered the reports");
    lap("render", &mut timings);
    crash_point("render");

    // One run of a period at a time on local disk (a second waits); on object storage the
    // publish protocol is safe under a race (docs/DESIGN.md).
    let _lock = publish::lock(&config.out, period)?;
    let staged = publish::stage(&config.out, period, &config.run_id);
    let dir = &staged.dir;
    dir.write("validation/issues.csv", issues_table.to_csv())
        .await?;
    output::write_quarantine(
        dir,
        &config.input,
        &period_text,
        &validated.rejected,
        &validated.issues,
    )
    .await?;
    let parquet = |table: &tables::Table, integer: &[&str], boolean: &[&str]| {
        table
            .to_parquet(integer, boolean)
            .map_err(|source| RunError::Compute {
                stage: "Parquet tables",
                source,
            })
    };
    let counts = [
        "met",
        "partially_met",
        "not_met",
        "not_assessed",
        "not_applicable",
    ];
    for (name, table, integer, boolean) in [
        ("outcomes", &outcomes, &[][..], &[][..]),
        ("org_status", &status, &counts[..], &["late"][..]),
        (
            "gaps",
            &gaps_table,
            &["orgs", "met", "partially_met", "not_met", "not_assessed"][..],
            &[][..],
        ),
    ] {
        dir.write(&format!("tables/{name}.csv"), table.to_csv())
            .await?;
        dir.write(
            &format!("tables/{name}.parquet"),
            parquet(table, integer, boolean)?,
        )
        .await?;
    }
    // The figures the reports draw on, as CSV for analysts.
    for (name, table) in &extra_tables {
        dir.write(&format!("tables/{name}.csv"), table.to_csv())
            .await?;
    }
    crash_point("write");
    // Reports: thousands of small files, written a few at a time.
    futures::stream::iter(reports.into_iter().map(|(path, bytes)| {
        let path = format!("reports/{path}");
        async move { dir.write(&path, bytes).await }
    }))
    .buffer_unordered(config.concurrency.max(1))
    .try_collect::<Vec<()>>()
    .await?;
    lap("write", &mut timings);

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
    let mut summary = RunSummary {
        period,
        output: String::new(),
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
    let manifest = manifest::Manifest::new(
        config,
        &listing,
        &validated,
        &assessment,
        &catalogue,
        &summary,
        &timings,
    );
    dir.write("manifest.json", manifest.to_json()).await?;
    crash_point("publish");
    let published = publish::publish(&config.out, &staged).await?;
    summary.output = published.display().to_string();
    tracing::info!(output = %summary.output, "published");
    Ok(RunOutput {
        validated,
        assessment,
        gaps,
        summary,
    })
}

//! The monthly batch for one period: list the landing zone, read the period's files, validate
//! and assess them, aggregate the gaps, render the reports, and publish the outputs under
//! `{out}/{period}/`. This module drives the stages in order and is the only one that knows
//! them all; no stage calls a later one.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;

use crate::aggregate::changes::{self, Against, Snapshot};
use crate::aggregate::{self, GapRow, Insights, PeriodFigures, insights, plans};
use crate::assess::{self, Assessment, Catalogue, CatalogueError, evidence};
use crate::contract::{Contract, Organisations};
use crate::crash::{self, CrashPoint};
use crate::ingest::names::FileName;
use crate::ingest::{self, Listing};
use crate::manifest::{self, Counts};
use crate::output;
use crate::period::Period;
use crate::publish::{self, PublishError};
use crate::report;
use crate::storage::{Entry, Location, StorageError};
use crate::tables::{self, ColumnKind, Table};
use crate::validate::{
    Batch, FileCounts, INVENTORY_BATCH, Issues, Limits, PARSER_STACK, Submission, Validated,
};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("no return or inventory is named for any period in {0}; nothing to run")]
    NoPeriod(String),
    #[error(
        "no return or inventory in {input} is named for {period} (it holds {held}); check --period, or give --allow-empty to report a period with no submissions"
    )]
    EmptyPeriod {
        input: String,
        period: Period,
        held: String,
    },
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

fn compute(stage: &'static str) -> impl FnOnce(polars::prelude::PolarsError) -> RunError {
    move |source| RunError::Compute { stage, source }
}

/// Inventory bytes read and validated together: large enough to keep both cores busy, small
/// enough that a national batch's device rows never sit in memory at once.
const INVENTORY_CHUNK_BYTES: u64 = 48 << 20;

/// The file beside the tables that holds the period's national figures, read back by later
/// runs for their trends (so no earlier table is parsed again).
pub const FIGURES: &str = "figures.json";

/// Where a run reports progress on long work (the command line draws a bar on a terminal).
pub trait Progress: Send + Sync {
    fn start(&self, stage: &str, total: u64);
    fn advance(&self, done: u64);
    fn finish(&self);
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
    /// The file `orgs` was read from.
    pub reference: PathBuf,
    /// The settings file the configuration came from, if any, with its SHA-256.
    pub settings: Option<(String, String)>,
    /// A catalogue file, or a folder of editions from which the one in force is chosen.
    pub standards: PathBuf,
    pub limits: Limits,
    /// Names this run's folder; unique per run and sorting in time order.
    pub run_id: String,
    /// Files read at once from the landing zone.
    pub concurrency: usize,
    /// The run's clock: a return sent after it is `invalid_submitted_at`.
    pub now: chrono::DateTime<chrono::Utc>,
    /// Where to stop the run abruptly: for crash-safety tests only (see [`crate::crash`]).
    pub crash_at: Option<CrashPoint>,
    /// Run a period for which the landing zone holds no file (every organisation then has
    /// made no return); without it such a run stops, as a mistyped period would.
    pub allow_empty: bool,
    pub progress: Option<Arc<dyn Progress>>,
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
    pub counts: Counts,
    pub edition: String,
    /// What the run read: the landing zone, the reference table, the standards catalogue, the
    /// contract folder and the settings file, for the summary to name.
    pub input: String,
    pub reference: String,
    pub standards_file: String,
    pub contract_dir: String,
    pub settings: Option<String>,
    /// What went wrong without stopping the run (a file not copied to the quarantine, earlier
    /// periods that could not be read for the trends), for the analyst to look at.
    pub warnings: Vec<String>,
}

/// Everything a run produced, for callers that go on (reports) and for tests.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub validated: Validated,
    pub assessment: Assessment,
    pub gaps: Vec<GapRow>,
    pub summary: RunSummary,
}

/// The period to run: the one asked for, else the latest the landing zone names. A period
/// with no file stops the run unless `allow_empty` (a mistyped `--period`).
fn choose_period(config: &RunConfig, listing: &Listing) -> Result<Period, RunError> {
    let input = || config.input.display().to_string();
    let period = config
        .period
        .or_else(|| listing.latest_period())
        .ok_or_else(|| RunError::NoPeriod(input()))?;
    if !config.allow_empty && listing.for_period(period).next().is_none() {
        return Err(RunError::EmptyPeriod {
            input: input(),
            period,
            held: held_periods(listing),
        });
    }
    Ok(period)
}

/// The periods a landing zone holds files for, for a message: `2026-08, 2026-09` or `no
/// recognised file`.
fn held_periods(listing: &ingest::Listing) -> String {
    let periods: std::collections::BTreeSet<Period> = listing
        .recognised
        .iter()
        .map(|(_, name)| name.period)
        .collect();
    if periods.is_empty() {
        return "no recognised file".into();
    }
    let shown: Vec<String> = periods.iter().map(Period::to_string).collect();
    format!("files for {}", shown.join(", "))
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

/// How long each stage took.
struct Timings {
    clock: Instant,
    laps: Vec<(&'static str, u128)>,
}

impl Timings {
    fn start() -> Self {
        Timings {
            clock: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, stage: &'static str) {
        self.laps.push((stage, self.clock.elapsed().as_millis()));
        self.clock = Instant::now();
    }
}

/// The outputs of the aggregate stage: the gaps, the trend series, the typed figures and the
/// figure tables written from them.
struct Figures {
    gaps: Vec<GapRow>,
    series: Vec<(Period, PeriodFigures)>,
    insights: Insights,
    /// trends, non-response, data quality, risk and spend.
    tables: Vec<(&'static str, Table)>,
}

/// Every table a run writes, in the order the workbook lists them.
struct Tables {
    outcomes: Table,
    status: Table,
    gaps: Table,
    issues: Table,
    figures: Vec<(&'static str, Table)>,
}

impl Tables {
    /// The period's tables: outcomes, statuses, gaps, issues, then `figures`.
    fn of(
        config: &RunConfig,
        validated: &Validated,
        assessment: &Assessment,
        gaps: &[GapRow],
        figures: Vec<(&'static str, Table)>,
    ) -> Self {
        let period = assessment.period.to_string();
        Tables {
            outcomes: tables::outcomes(assessment),
            status: tables::org_status(assessment, &config.orgs),
            gaps: aggregate::gaps_table(&period, gaps),
            issues: output::issues_table(&period, &validated.issues),
            figures,
        }
    }

    fn all(&self) -> Vec<(&str, &Table)> {
        let mut all = vec![
            ("outcomes", &self.outcomes),
            ("org_status", &self.status),
            ("gaps", &self.gaps),
            ("issues", &self.issues),
        ];
        all.extend(self.figures.iter().map(|(name, t)| (*name, t)));
        all
    }
}

/// Runs the batch for one period: the stages in order, each timed, the outputs staged in a
/// fresh folder and published atomically at the end.
pub async fn run(config: &RunConfig) -> Result<RunOutput, RunError> {
    let mut timings = Timings::start();
    let listing = ingest::list(&config.input).await?;
    let period = choose_period(config, &listing)?;
    tracing::info!(%period, files = listing.recognised.len(), "listed the landing zone");
    let catalogue = catalogue_for(&config.standards, &config.contract, period)?;
    let mut validated =
        read_and_validate(config, &listing, period, &catalogue.ids(), &mut timings).await;

    let (derived, assessment) = assess_period(config, &catalogue, &mut validated)?;
    timings.lap("assess");
    let (plan_rows, plan_warning) = review_plans(config, &mut validated, &assessment).await;

    let (history, mut warnings) = load_history(&config.out, period).await;
    let (changes, unreadable) = what_changed(&config.out, period, &validated, &assessment).await;
    warnings.extend(unreadable.into_iter().chain(plan_warning));
    let stage = Stage {
        config,
        catalogue: &catalogue,
        validated: &validated,
        assessment: &assessment,
        derived: &derived,
        changes: &changes,
        plans: &plan_rows,
    };
    let (figures, tables, reports) = stage.aggregate_and_render(history, &mut timings)?;
    tracing::info!(files = reports.len(), "rendered the reports and exports");
    timings.lap("render");
    crash::at(config.crash_at, CrashPoint::Render);

    // One run of a period at a time on local disk (a second waits); on object storage the
    // publish protocol is safe under a race (docs/DESIGN.md).
    let _lock = publish::lock(&config.out, period)?;
    let staged = publish::stage(&config.out, period, &config.run_id);
    let own_figures = figures.series.last().map(|(_, f)| f);
    warnings.extend(
        write_outputs(
            config,
            &staged.dir,
            &tables,
            &validated,
            own_figures,
            reports,
        )
        .await?,
    );
    timings.lap("write");

    let judged = Judged {
        validated: &validated,
        assessment: &assessment,
        unrecognised: listing.unrecognised.len(),
        changes: &changes,
    };
    let summary = summarise(config, judged, &catalogue, warnings);
    let summary = publish_run(
        config, &staged, &listing, judged, &catalogue, summary, &timings,
    )
    .await?;
    Ok(RunOutput {
        validated,
        assessment,
        gaps: figures.gaps,
        summary,
    })
}

/// Files a run writes: (path under the run's folder, bytes).
type Files = Vec<(String, Vec<u8>)>;

/// What the aggregate stage and the reports are made from, once the period is assessed.
struct Stage<'a> {
    config: &'a RunConfig,
    catalogue: &'a Catalogue,
    validated: &'a Validated,
    assessment: &'a Assessment,
    derived: &'a evidence::Derived,
    changes: &'a [changes::Change],
    plans: &'a [plans::PlanRow],
}

impl Stage<'_> {
    /// The aggregate stage, the tables, the reports under `reports/` and the OSCAL exports
    /// under `exports/oscal/`: (path, bytes). The exports need nothing of the aggregate stage,
    /// so they are made alongside it and the reports, from a thread of their own whose work
    /// runs on rayon's pool.
    fn aggregate_and_render(
        &self,
        history: Vec<(Period, PeriodFigures)>,
        timings: &mut Timings,
    ) -> Result<(Figures, Tables, Files), RunError> {
        let basis = report::Basis {
            period: self.assessment.period,
            contract: &self.config.contract,
            orgs: &self.config.orgs,
            catalogue: self.catalogue,
            validated: self.validated,
            assessment: self.assessment,
            plans: self.plans,
        };
        std::thread::scope(|scope| {
            let exports = scope.spawn(|| report::oscal::documents(&basis));
            let aggregated = self.aggregate_and_report(basis, history, timings);
            let exports = exports
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let (figures, tables, mut files) = aggregated?;
            let under = |(path, bytes): (String, Vec<u8>)| (format!("exports/oscal/{path}"), bytes);
            files.extend(exports?.into_iter().map(under));
            Ok((figures, tables, files))
        })
    }

    /// The aggregate stage, the tables and the reports under `reports/`.
    fn aggregate_and_report(
        &self,
        basis: report::Basis,
        history: Vec<(Period, PeriodFigures)>,
        timings: &mut Timings,
    ) -> Result<(Figures, Tables, Files), RunError> {
        let mut figures = aggregate_period(
            self.config,
            self.catalogue,
            self.validated,
            self.assessment,
            self.derived,
            history,
        )?;
        timings.lap("aggregate");
        let period = self.assessment.period;
        let mut figure_tables = std::mem::take(&mut figures.tables);
        figure_tables.push(("changes", changes::changes_table(period, self.changes)));
        figure_tables.push(("plans", plans::plans_table(self.plans)));
        let tables = Tables::of(
            self.config,
            self.validated,
            self.assessment,
            &figures.gaps,
            figure_tables,
        );
        let inputs = report::Inputs {
            basis,
            gaps: &figures.gaps,
            series: &figures.series,
            insights: &figures.insights,
            changes: self.changes,
            today: self.config.now.date_naive(),
            tables: &tables.all(),
        };
        let under = |(path, bytes): (String, Vec<u8>)| (format!("reports/{path}"), bytes);
        let reports = report::render_all(&inputs)?
            .into_iter()
            .map(under)
            .collect();
        Ok((figures, tables, reports))
    }
}

/// Writes the manifest last into the staged run and publishes it; gives the summary with
/// where readers find the outputs (the link on local disk, the pointer's folder on object
/// storage).
async fn publish_run(
    config: &RunConfig,
    staged: &publish::Staged,
    listing: &Listing,
    judged: Judged<'_>,
    catalogue: &Catalogue,
    mut summary: RunSummary,
    timings: &Timings,
) -> Result<RunSummary, RunError> {
    let manifest = manifest::Manifest::new(
        provenance(config),
        listing,
        judged.validated,
        judged.assessment,
        catalogue,
        &summary.counts,
        &timings.laps,
    );
    staged
        .dir
        .write("manifest.json", manifest.to_json())
        .await?;
    crash::at(config.crash_at, CrashPoint::Publish);
    publish::publish(&config.out, staged, config.crash_at).await?;
    let period = judged.validated.period;
    summary.output = config.out.join(&period.to_string()).display().to_string();
    tracing::info!(output = %summary.output, "published");
    Ok(summary)
}

/// What the manifest records of the run's configuration.
fn provenance(config: &RunConfig) -> manifest::Provenance<'_> {
    manifest::Provenance {
        run_id: &config.run_id,
        input: config.input.display(),
        reference: &config.reference,
        reference_sha256: &config.orgs.sha256,
        contract: &config.contract.source,
        dictionary_edition: &config.contract.dictionary.edition,
        settings: config.settings.as_ref(),
    }
}

/// Reads the period's returns, then its inventories a chunk at a time while the chunk before
/// is validated on its own thread, so at most two chunks' bytes are held (the memory target in
/// docs/PERFORMANCE.md; see [`chunks_in_flight`]). One file never stops the batch: a file that
/// cannot be read is an issue.
async fn read_and_validate(
    config: &RunConfig,
    listing: &Listing,
    period: Period,
    standards: &std::collections::BTreeSet<String>,
    timings: &mut Timings,
) -> Validated {
    let (return_files, inventory_files): (Vec<_>, Vec<_>) = listing
        .for_period(period)
        .cloned()
        .partition(|(_, name)| !name.kind.is_inventory());
    let progress = config.progress.as_deref();
    if let Some(p) = progress {
        p.start(
            "reading the landing zone",
            (return_files.len() + inventory_files.len()) as u64,
        );
    }
    let advance = |done: usize| {
        if let Some(p) = progress {
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
        None,
        advance,
    )
    .await;
    tracing::info!(files = returns.len(), "read the period's returns");
    timings.lap("ingest");
    crash::at(config.crash_at, CrashPoint::Ingest);

    let batch = Batch {
        contract: &config.contract,
        orgs: &config.orgs,
        period,
        limits: config.limits,
        now: config.now,
        standards,
    };
    let read_returns = returns.len();
    let early = ingest::EarlyInventories::new(&config.contract, period, config.limits);
    let inventory_chunks = ingest::chunks(inventory_files, INVENTORY_BATCH, INVENTORY_CHUNK_BYTES);
    let (at_once, ahead) = chunks_in_flight(&config.input, &inventory_chunks);
    let (chunks, received) = std::sync::mpsc::sync_channel::<Vec<ingest::Loaded>>(ahead);
    let done = std::sync::atomic::AtomicUsize::new(read_returns);
    let reader = async {
        let mut reads = futures::stream::iter(inventory_chunks)
            .map(|chunk| {
                ingest::read_all(
                    &config.input,
                    chunk,
                    config.concurrency,
                    limit,
                    Some(early.clone()),
                    |n| advance(done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n),
                )
            })
            .buffered(at_once);
        while let Some(loaded) = reads.next().await {
            if chunks.send(loaded).is_err() {
                break;
            }
        }
        drop(chunks);
    };
    let validated = tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let validating = std::thread::Builder::new()
                .stack_size(PARSER_STACK)
                .spawn_scoped(scope, || {
                    batch.validate_streaming(&listing.unrecognised, returns, received)
                })
                .expect("a thread can be started");
            tokio::runtime::Handle::current().block_on(reader);
            validating.join()
        })
    });
    let validated = validated.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    if let Some(p) = progress {
        p.finish();
    }
    // The issue count is logged once every issue is known (after the inventories' evidence).
    tracing::info!(
        files = validated.files.len(),
        rejected = validated.rejected.len(),
        "validated"
    );
    timings.lap("validate");
    validated
}

/// How many chunks of inventories are read at once, and how many may wait for the validator.
/// Chunks read early (every inventory CSV, on local disk) hold no bytes: two are read at once,
/// so that the cores never wait for a chunk's largest file before the next chunk starts, and
/// all may wait, so that the reader never waits for the validator (busy with the returns at
/// first). Any other chunk is read alone, and waits for the one before.
fn chunks_in_flight(input: &Location, chunks: &[Vec<(Entry, FileName)>]) -> (usize, usize) {
    let all_early = chunks
        .iter()
        .flatten()
        .all(|(_, name)| ingest::EarlyInventories::reads(input, name));
    match all_early {
        true => (2, chunks.len().max(1)),
        false => (1, 1),
    }
}

/// Derives the device measures (adding their `unknown_os` and `discrepancy` issues) and
/// assesses every organisation against the catalogue.
fn assess_period(
    config: &RunConfig,
    catalogue: &Catalogue,
    validated: &mut Validated,
) -> Result<(evidence::Derived, Assessment), RunError> {
    let mut evidence_issues = Issues::new(&config.contract.codes);
    let derived = evidence::derive(validated, &config.contract, &mut evidence_issues);
    validated
        .issues
        .extend(evidence_issues.into_sorted(Some(&config.orgs)));
    validated
        .issues
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let assessment = assess::assess(
        validated,
        &config.contract,
        &config.orgs,
        catalogue,
        &derived,
    )
    .map_err(compute("assessment"))?;
    tracing::info!(
        edition = %catalogue.id,
        outcomes = assessment.outcomes.len(),
        issues = validated.issues.len(),
        "assessed"
    );
    Ok((derived, assessment))
}

/// This period's plan rows beside the earlier periods' (from the previous period's published
/// plans table), with the plan issues that need the assessment added to the period's issues;
/// a previous table that cannot be read is a warning, and the history starts again.
async fn review_plans(
    config: &RunConfig,
    validated: &mut Validated,
    assessment: &Assessment,
) -> (Vec<plans::PlanRow>, Option<String>) {
    let previous = assessment.period.previous();
    let (earlier, warning) = match read_plan_rows(&config.out, previous).await {
        Ok(rows) => (rows, None),
        Err(why) => (
            Vec::new(),
            Some(format!(
                "the plans of {previous} and before are not carried into the plans table: {why}"
            )),
        ),
    };
    let mut issues = Issues::new(&config.contract.codes);
    let current = plans::review(
        &validated.plans,
        &validated.returns,
        assessment,
        &config.contract.plan,
        &earlier,
        &mut issues,
    );
    validated
        .issues
        .extend(issues.into_sorted(Some(&config.orgs)));
    validated
        .issues
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    (plans::up_to(&earlier, &current), warning)
}

/// The rows of `period`'s published plans table; none when the period was never published or
/// its run has no plans table.
async fn read_plan_rows(out: &Location, period: Period) -> Result<Vec<plans::PlanRow>, String> {
    let published: Vec<String> = out.folders().await.map_err(StorageError::explained)?;
    if !published.contains(&period.to_string()) {
        return Ok(Vec::new());
    }
    let run = resolved(out, period).await?;
    published_plan_rows(&run).await
}

/// The rows of a published run's plans table; none when the run has no plans table.
async fn published_plan_rows(run: &Location) -> Result<Vec<plans::PlanRow>, String> {
    match run.read("tables/plans.csv").await {
        Ok(bytes) => plans::parse_table(&bytes),
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        Err(e) => Err(e.explained()),
    }
}

/// What was last published for an organisation before `period`, for its plan template: that
/// period, the organisation's outcomes as (standard_id, outcome), and the plans table's rows;
/// `None` when no earlier period was published.
pub async fn published_for_plan(
    out: &Location,
    org_code: &str,
    period: Period,
) -> Result<Option<(Period, Vec<(String, String)>, Vec<plans::PlanRow>)>, String> {
    let folders = out.folders().await.map_err(StorageError::explained)?;
    let Some(last) = folders
        .iter()
        .filter_map(|f| f.parse::<Period>().ok())
        .filter(|p| *p < period)
        .max()
    else {
        return Ok(None);
    };
    let run = resolved(out, last).await?;
    let outcomes = read_published(&run, "tables/outcomes.csv").await?;
    let columns = ["org_code", "standard_id", "outcome"];
    let outcomes = changes::csv_rows(&outcomes, &columns)?
        .into_iter()
        .filter(|r| r[0] == org_code)
        .map(|r| (r[1].clone(), r[2].clone()))
        .collect();
    Ok(Some((last, outcomes, published_plan_rows(&run).await?)))
}

/// What changed since the run of `period` published before this one, and since the previous
/// period's run; a published run that cannot be read is a warning, never a failure.
async fn what_changed(
    out: &Location,
    period: Period,
    validated: &Validated,
    assessment: &Assessment,
) -> (Vec<changes::Change>, Vec<String>) {
    let published: Vec<String> = out.folders().await.unwrap_or_default();
    let earlier: Vec<(Period, Against)> = [
        (period, Against::LastRun),
        (period.previous(), Against::PreviousPeriod),
    ]
    .into_iter()
    .filter(|(when, _)| published.contains(&when.to_string()))
    .collect();
    let (mut found, mut warnings) = (Vec::new(), Vec::new());
    if earlier.is_empty() {
        return (found, warnings);
    }
    let now = &Snapshot::of_run(validated, assessment);
    for (when, against) in earlier {
        match read_snapshot(out, when, against).await {
            Ok(before) => found.extend(changes::compare(&before, now, against)),
            Err(why) => warnings.push(format!(
                "what changed since the published {when} is not shown: {why}"
            )),
        }
    }
    (found, warnings)
}

/// The published run of `period`; an error as text, for a warning.
async fn resolved(out: &Location, period: Period) -> Result<Location, String> {
    publish::resolve(out, period)
        .await
        .map_err(StorageError::explained)
}

/// A file of a published run; an error as text, for a warning.
async fn read_published(run: &Location, name: &str) -> Result<bytes::Bytes, String> {
    run.read(name).await.map_err(StorageError::explained)
}

async fn read_snapshot(out: &Location, when: Period, against: Against) -> Result<Snapshot, String> {
    let run = resolved(out, when).await?;
    let status = read_published(&run, "tables/org_status.csv").await?;
    if against == Against::PreviousPeriod {
        return Snapshot::from_outputs(None, &status, None);
    }
    let manifest = read_published(&run, "manifest.json").await?;
    let outcomes = read_published(&run, "tables/outcomes.csv").await?;
    Snapshot::from_outputs(Some(&manifest), &status, Some(&outcomes))
}

/// The national figures of every published period before `period`, from each run's
/// [`FIGURES`]; a period that cannot be read is left out of the trends with a warning.
async fn load_history(
    out: &Location,
    period: Period,
) -> (Vec<(Period, PeriodFigures)>, Vec<String>) {
    let (mut history, mut warnings) = (Vec::new(), Vec::new());
    let folders = match out.folders().await {
        Ok(folders) => folders,
        Err(e) => {
            warnings.push(format!(
                "earlier periods could not be listed, so the trends show this period only: {:#}",
                anyhow::Error::new(e)
            ));
            return (history, warnings);
        }
    };
    let published: Vec<Period> = folders
        .iter()
        .filter_map(|name| name.parse::<Period>().ok())
        .collect();
    let later: Vec<String> = published
        .iter()
        .filter(|p| **p > period)
        .map(Period::to_string)
        .collect();
    if !later.is_empty() {
        warnings.push(format!(
            "{} already published, so {} trends leave out {period}: rerun {} to refresh them",
            later.join(", "),
            if later.len() == 1 { "its" } else { "their" },
            later.join(", then ")
        ));
    }
    for earlier in published.into_iter().filter(|p| *p < period) {
        match read_figures(out, earlier).await {
            Ok(figures) => history.push((earlier, figures)),
            Err(why) => warnings.push(format!("{earlier} is left out of the trends: {why}")),
        }
    }
    (history, warnings)
}

async fn read_figures(out: &Location, period: Period) -> Result<PeriodFigures, String> {
    let run = resolved(out, period).await?;
    let bytes = read_published(&run, FIGURES).await.map_err(|why| {
        format!("{why} (a run published before figures were kept: run the period again)")
    })?;
    serde_json::from_slice(&bytes).map_err(|e| format!("its {FIGURES} is not valid: {e}"))
}

/// The gaps by standard and group, the trend series ending with this period, and the figure
/// tables the reports draw on.
fn aggregate_period(
    config: &RunConfig,
    catalogue: &Catalogue,
    validated: &Validated,
    assessment: &Assessment,
    derived: &evidence::Derived,
    mut series: Vec<(Period, PeriodFigures)>,
) -> Result<Figures, RunError> {
    let period = assessment.period;
    let order: Vec<String> = catalogue
        .standards
        .iter()
        .map(|s| s.standard.id.clone())
        .collect();
    let gaps = aggregate::gaps(assessment, &config.orgs, &order).map_err(compute("gaps"))?;
    series.push((period, PeriodFigures::of_run(&gaps, assessment)));
    let (contract, orgs) = (&config.contract, &config.orgs);
    let figures = Insights {
        non_response: insights::non_response(assessment, orgs, validated),
        data_quality: insights::data_quality(validated),
        risks: insights::risks(validated, assessment, contract, derived),
    };
    let tables = vec![
        ("trends", insights::trends_table(&series)),
        ("groups", insights::groups_table(orgs, contract)),
        (
            "non_response",
            insights::non_response_table(period, &figures.non_response),
        ),
        (
            "data_quality",
            insights::data_quality_table(period, &figures.data_quality),
        ),
        ("risk", insights::risk_table(period, &figures.risks, orgs)),
        (
            "spend",
            insights::spend_table(period, validated, assessment, contract),
        ),
    ];
    Ok(Figures {
        gaps,
        series,
        insights: figures,
        tables,
    })
}

/// Writes everything but the manifest into the staged run; returns the warnings of what could
/// not be written without stopping the run (quarantine copies).
async fn write_outputs(
    config: &RunConfig,
    dir: &Location,
    tables: &Tables,
    validated: &Validated,
    figures: Option<&PeriodFigures>,
    reports: Vec<(String, Vec<u8>)>,
) -> Result<Vec<String>, RunError> {
    let period = validated.period.to_string();
    dir.write("validation/issues.csv", tables.issues.to_csv())
        .await?;
    let warnings = output::write_quarantine(
        dir,
        &config.input,
        &period,
        &validated.rejected,
        &validated.issues,
    )
    .await?;
    write_tables(dir, tables).await?;
    if let Some(figures) = figures {
        let json = serde_json::to_vec_pretty(figures).map_err(|e| StorageError::Location {
            location: dir.display().to_string(),
            message: format!("the figures could not be serialised: {e}"),
        })?;
        dir.write(FIGURES, json).await?;
    }
    crash::at(config.crash_at, CrashPoint::Write);
    // Reports and exports: thousands of small files.
    dir.write_all(reports, config.concurrency).await?;
    Ok(warnings)
}

/// A table to write under its name, with its columns' types where the contract gives them.
type ToWrite<'a> = (&'a str, &'a Table, Option<Vec<(&'a str, ColumnKind)>>);

/// Every table as CSV and as Parquet: the assessment tables with their columns' types as the
/// contract gives them, the figure tables with numbers wherever a column holds only numbers.
/// The tables are encoded in parallel (the outcomes table alone has a row per organisation
/// and standard), then written in order.
async fn write_tables(dir: &Location, tables: &Tables) -> Result<(), RunError> {
    use ColumnKind::{Boolean, Float, Integer};
    use rayon::prelude::*;
    let counts = [
        ("met", Integer),
        ("partially_met", Integer),
        ("not_met", Integer),
        ("not_assessed", Integer),
        ("not_applicable", Integer),
        ("orgs", Integer),
    ];
    let mut all: Vec<ToWrite> = vec![
        ("outcomes", &tables.outcomes, Some(vec![("value", Float)])),
        (
            "org_status",
            &tables.status,
            Some([&counts[..], &[("late", Boolean)]].concat()),
        ),
        (
            "gaps",
            &tables.gaps,
            Some([&counts[..], &[("pct_met", Float)]].concat()),
        ),
    ];
    // The figure tables' columns are typed from what they hold.
    all.extend(tables.figures.iter().map(|(name, t)| (*name, t, None)));
    let encoded = all
        .par_iter()
        .map(|(name, table, kinds)| {
            let (parquet, csv) = rayon::join(
                || match kinds {
                    Some(kinds) => table.to_parquet(kinds),
                    None => table.to_parquet_inferred(),
                },
                || table.to_csv(),
            );
            Ok((*name, csv, parquet.map_err(compute("Parquet tables"))?))
        })
        .collect::<Result<Vec<_>, RunError>>()?;
    for (name, csv, parquet) in encoded {
        dir.write(&format!("tables/{name}.csv"), csv).await?;
        dir.write(&format!("tables/{name}.parquet"), parquet)
            .await?;
    }
    Ok(())
}

/// What a run decided, for its summary.
#[derive(Clone, Copy)]
struct Judged<'a> {
    validated: &'a Validated,
    assessment: &'a Assessment,
    /// Files of the landing zone that are not submissions by name.
    unrecognised: usize,
    changes: &'a [changes::Change],
}

fn summarise(
    config: &RunConfig,
    judged: Judged<'_>,
    catalogue: &Catalogue,
    warnings: Vec<String>,
) -> RunSummary {
    let Judged {
        validated,
        assessment,
        unrecognised,
        changes,
    } = judged;
    let mut issues_by_severity = BTreeMap::new();
    for issue in &validated.issues {
        *issues_by_severity.entry(issue.severity).or_insert(0) += 1;
    }
    let mut status_counts = BTreeMap::new();
    for s in &assessment.status {
        *status_counts.entry(s.status).or_insert(0) += 1;
    }
    RunSummary {
        period: validated.period,
        output: String::new(),
        counts: Counts {
            returns: FileCounts::of(&validated.files, Submission::Return),
            inventories: FileCounts::of(&validated.files, Submission::Inventory),
            plans: FileCounts::of(&validated.files, Submission::Plan),
            unrecognised,
            files_rejected: validated.rejected.len(),
            changes: changes::counts(changes),
            issues_by_severity,
            organisations: config.orgs.len(),
            status_counts,
        },
        edition: catalogue.id.clone(),
        input: config.input.display().to_string(),
        reference: config.reference.display().to_string(),
        standards_file: catalogue.path.display().to_string(),
        contract_dir: config.contract.source.dir.display().to_string(),
        settings: config.settings.as_ref().map(|(path, _)| path.clone()),
        warnings,
    }
}

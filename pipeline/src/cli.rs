//! The command line: parse flags, build one validated configuration, call the stages, print
//! what happened. Exit codes: 0 success, 1 failure (or errors found by `validate`), 2 usage or
//! configuration error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::contract::{Contract, Organisations, Severity};
use crate::period::Period;
use crate::run::{self, RunConfig, RunSummary};
use crate::storage::Location;
use crate::validate::{Applicability, Issue, Limits};

#[derive(Debug, Parser)]
#[command(
    name = "baseline",
    version,
    about = "National cyber compliance reporting: ingest, validate, assess, aggregate, render."
)]
pub struct Cli {
    /// Folder of the data contract (dictionary, validation codes, OS lifecycle).
    #[arg(long, global = true, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// Settings analysts keep from month to month (input, out, reference, standards,
    /// concurrency); flags override them [default: baseline.toml when it exists].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the monthly batch for one period and write its outputs.
    Run(RunArgs),
    /// Check returns or inventories before sending them, as the batch would.
    Validate(ValidateArgs),
    /// Write the XLSX return template for an organisation to fill in.
    Template(TemplateArgs),
    /// Write a synthetic landing zone and reference table (national scale included).
    Generate(GenerateArgs),
    /// Check or list the standards catalogue.
    #[command(subcommand)]
    Standards(StandardsCommand),
    /// Decode a Parquet file from standard input and keep nothing: the child process in which
    /// runs decode submitted Parquet first (exit 0 readable, 1 not; a crash ends only it).
    #[command(hide = true)]
    CheckParquet,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The folder to write `reference/` and `landing/` into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Devices per organisation, as a multiple of the national estate's.
    #[arg(long, default_value_t = 1)]
    pub scale: u32,
    /// Instead of the national estate, about this many organisations with its mix.
    #[arg(long)]
    pub orgs: Option<usize>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of returns made faulty (0 to 1), spread over the kinds of fault.
    #[arg(long, default_value_t = 0.05)]
    pub fault_rate: f64,
    /// The last period generated.
    #[arg(long, default_value = "2026-10")]
    pub period: Period,
    /// How many consecutive periods, ending with --period.
    #[arg(long, default_value_t = 1)]
    pub periods: u32,
}

#[derive(Debug, Subcommand)]
pub enum StandardsCommand {
    /// Check catalogue files (default: every edition under schemas/standards); exit 2 when any is invalid.
    Check { files: Vec<PathBuf> },
    /// Print the edition in force for a period.
    List {
        /// The period [default: the current month].
        #[arg(long)]
        period: Option<Period>,
        /// A catalogue file or folder of editions [default: schemas/standards].
        #[arg(long, value_name = "PATH")]
        standards: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The period to run, YYYY-MM [default: the latest period named in the input].
    #[arg(long)]
    pub period: Option<Period>,
    /// The landing zone: a folder, file://, az://, s3:// or gs:// URL [default: data-samples/landing].
    #[arg(long, value_name = "URL")]
    pub input: Option<String>,
    /// Where outputs go, under {out}/{period}/ [default: out].
    #[arg(long, value_name = "URL")]
    pub out: Option<String>,
    /// The organisation reference table [default: data-samples/reference/organisations.csv].
    #[arg(long, value_name = "PATH")]
    pub reference: Option<PathBuf>,
    /// A standards catalogue file, or a folder of editions [default: schemas/standards].
    #[arg(long, value_name = "PATH")]
    pub standards: Option<PathBuf>,
    /// Files read from the landing zone at once [default: 32].
    #[arg(long)]
    pub concurrency: Option<usize>,
}

/// `baseline.toml`: the run settings an analyst sets once.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    input: Option<String>,
    out: Option<String>,
    reference: Option<PathBuf>,
    standards: Option<PathBuf>,
    concurrency: Option<usize>,
    /// `[limits]`: what a submitted file may hold (see `ingest::Limits` for each and its default).
    #[serde(default)]
    limits: Limits,
}

fn settings(path: Option<&Path>) -> Result<Settings> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("baseline.toml"), false),
    };
    if !required && !path.exists() {
        return Ok(Settings::default());
    }
    let text = fs_err::read_to_string(&path).map_err(|e| ConfigError(e.to_string()))?;
    toml::from_str(&text)
        .map_err(|e| ConfigError(format!("{} is not valid: {e}", path.display())).into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Returns ({org}_{YYYY-MM}_return.json|csv|xlsx) or inventories ({org}_{YYYY-MM}_inventory.csv|parquet).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// The organisation reference table; without it, organisation codes are not looked up.
    #[arg(long, value_name = "PATH")]
    pub reference: Option<PathBuf>,
    /// The period the files must report.
    #[arg(long)]
    pub period: Option<Period>,
}

#[derive(Debug, clap::Args)]
pub struct TemplateArgs {
    /// The organisation's ODS code.
    #[arg(long)]
    pub org: String,
    #[arg(long)]
    pub period: Period,
    /// Where to write the workbook [default: {org}_{period}_return.xlsx].
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The organisation reference table, to tailor the measures to the organisation's type.
    #[arg(long, value_name = "PATH")]
    pub reference: Option<PathBuf>,
}

/// A failure of configuration (exit 2) rather than of the work (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ConfigError(String);

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::CheckParquet) {
        return check_parquet();
    }
    init_tracing();
    if let Ok(me) = std::env::current_exe() {
        crate::ingest::inventory::isolate_parquet_with(me);
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            if error
                .chain()
                .any(|e| e.is::<ConfigError>() || e.is::<crate::contract::ContractError>())
            {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn check_parquet() -> ExitCode {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    match crate::ingest::inventory::decode_parquet(bytes.into()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("{why}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    // Progress of long work goes to standard error as log lines; the summary to standard output.
    let filter = tracing_subscriber::EnvFilter::try_from_env("BASELINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("baseline=info,warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    let schemas = cli
        .schemas
        .clone()
        .unwrap_or_else(|| default_path("schemas"));
    let contract = Contract::load(&schemas)?;
    match cli.command {
        Command::Run(args) => {
            run_command(args, settings(cli.config.as_deref())?, contract, &schemas)
        }
        Command::Validate(args) => {
            validate_command(args, settings(cli.config.as_deref())?.limits, contract)
        }
        Command::Template(args) => template_command(args, contract),
        Command::Standards(command) => standards_command(command, contract, &schemas),
        Command::Generate(args) => generate_command(args, contract),
        Command::CheckParquet => Ok(check_parquet()),
    }
}

/// A bundled path (`schemas`, `data-samples/...`): relative to the working directory when it
/// exists there, else to the source tree the binary was built from, so `cargo run` works from
/// any folder of the checkout.
fn default_path(relative: &str) -> PathBuf {
    let here = PathBuf::from(relative);
    if here.exists() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// Object-store settings from the environment (`AZURE_*`, `AWS_*`, `GOOGLE_*`), gathered here so
/// that no stage reads the environment.
fn store_options() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| {
            ["AZURE_", "AWS_", "GOOGLE_", "OBJECT_STORE_"]
                .iter()
                .any(|p| k.starts_with(p))
        })
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect()
}

fn load_orgs(path: &Path, contract: &Contract) -> Result<Organisations> {
    Ok(Organisations::load(path, &contract.dictionary.org_types)?)
}

fn run_command(
    args: RunArgs,
    settings: Settings,
    contract: Contract,
    schemas: &Path,
) -> Result<ExitCode> {
    let options = store_options();
    let input_spec = args
        .input
        .or(settings.input)
        .unwrap_or_else(|| default_path("data-samples/landing").display().to_string());
    let out_spec = args
        .out
        .or(settings.out)
        .unwrap_or_else(|| "out".to_string());
    let input =
        Location::open(&input_spec, &options, false).map_err(|e| ConfigError(format!("{e:#}")))?;
    let out =
        Location::open(&out_spec, &options, true).map_err(|e| ConfigError(format!("{e:#}")))?;
    let reference = args
        .reference
        .or(settings.reference)
        .unwrap_or_else(|| default_path("data-samples/reference/organisations.csv"));
    let orgs = load_orgs(&reference, &contract)?;
    let config = RunConfig {
        input,
        out,
        period: args.period,
        contract,
        orgs,
        standards: args
            .standards
            .or(settings.standards)
            .unwrap_or_else(|| schemas.join("standards")),
        limits: settings.limits,
        run_id: run_id(),
        concurrency: args.concurrency.or(settings.concurrency).unwrap_or(32),
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr())
            .then(|| std::sync::Arc::new(Bar::default()) as std::sync::Arc<dyn run::Progress>),
    };
    let runtime = tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
    let output = runtime.block_on(run::run(&config))?;
    print_summary(&output.summary);
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on standard error, drawn only on a terminal (log lines serve elsewhere).
#[derive(Default)]
struct Bar(std::sync::Mutex<Option<indicatif::ProgressBar>>);

impl run::Progress for Bar {
    fn start(&self, stage: &str, total: u64) {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} files ({eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(stage.to_string());
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self, done: u64) {
        if let Ok(slot) = self.0.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.set_position(done);
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.0.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}

/// A run's folder name: UTC time to the microsecond, then the process id, so names are unique
/// and sort in the order runs started.
fn run_id() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
        std::process::id()
    )
}

fn print_summary(s: &RunSummary) {
    let count = |severity| s.issues_by_severity.get(&severity).copied().unwrap_or(0);
    println!("Baseline run for {}", s.period);
    println!(
        "  returns:      {} received, {} accepted",
        s.returns_received, s.returns_accepted
    );
    println!(
        "  inventories:  {} received, {} accepted",
        s.inventories_received, s.inventories_accepted
    );
    println!("  rejected:     {} files (quarantined)", s.files_rejected);
    println!(
        "  issues:       {} errors, {} warnings, {} information",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    println!("  standards:    {}", s.edition);
    let statuses: Vec<String> = s
        .status_counts
        .iter()
        .map(|(status, n)| format!("{n} {}", status.as_str()))
        .collect();
    println!(
        "  organisations ({}): {}",
        s.organisations,
        statuses.join(", ")
    );
    println!("Outputs: {}", s.output);
    println!(
        "  reports/national.html   for national bodies (OFFICIAL-SENSITIVE: names organisations)"
    );
    println!(
        "  reports/public.html     for publication (OFFICIAL), with its CSVs in reports/public/"
    );
    println!("  reports/orgs/           one page of feedback per organisation");
    println!("  reports/analyst.xlsx    every table as a sheet");
    println!("  manifest.json, tables/ (CSV and Parquet), validation/issues.csv, quarantine/");
}

fn validate_command(args: ValidateArgs, limits: Limits, contract: Contract) -> Result<ExitCode> {
    let orgs = args
        .reference
        .as_deref()
        .map(|p| load_orgs(p, &contract))
        .transpose()?;
    let mut all: Vec<Issue> = Vec::new();
    for path in &args.files {
        let bytes = fs_err::read(path).map_err(|e| ConfigError(e.to_string()))?;
        let shown = path.display().to_string();
        all.extend(crate::validate::check_file(
            &shown,
            bytes.into(),
            &contract,
            orgs.as_ref(),
            args.period,
            limits,
        ));
    }
    let errors = all.iter().filter(|i| i.severity == Severity::Error).count();
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&all)?),
        Format::Human => print_issues(&args.files, &all),
    }
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_issues(files: &[PathBuf], issues: &[Issue]) {
    for path in files {
        let shown = path.display().to_string();
        let own: Vec<&Issue> = issues.iter().filter(|i| i.file == shown).collect();
        let count = |s| own.iter().filter(|i| i.severity == s).count();
        if own.is_empty() {
            println!("{shown}: no problems found");
            continue;
        }
        println!(
            "{shown}: {} errors, {} warnings, {} information",
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        );
        for i in own {
            let line = i.line.map(|l| format!("line {l}")).unwrap_or_default();
            println!(
                "  {:<8} {:<9} {:<24} {}",
                i.severity.as_str(),
                line,
                i.code.as_str(),
                i.message
            );
        }
    }
}

fn template_command(args: TemplateArgs, contract: Contract) -> Result<ExitCode> {
    let org_code = args.org.trim().to_ascii_uppercase();
    if !contract.dictionary.org_types.is_ods_code(&org_code) {
        bail!(ConfigError(format!(
            "`{}` is not an ODS organisation code (for example R0A, QWE or K82057)",
            args.org
        )));
    }
    let orgs = args
        .reference
        .as_deref()
        .map(|p| load_orgs(p, &contract))
        .transpose()?;
    let organisation = orgs.as_ref().and_then(|o| o.get(&org_code));
    if orgs.is_some() && organisation.is_none() {
        bail!(ConfigError(format!(
            "{org_code} is not in the organisation reference table"
        )));
    }
    let applicability = match organisation {
        Some(org) => Applicability::OrgType(&org.org_type),
        None => Applicability::CodeShape(&org_code),
    };
    let bytes =
        crate::template::template(&contract.dictionary, &org_code, args.period, applicability)
            .context("failed to build the workbook")?;
    let output = args
        .output
        .unwrap_or_else(|| PathBuf::from(format!("{org_code}_{}_return.xlsx", args.period)));
    fs_err::write(&output, bytes)?;
    println!("Wrote {}", output.display());
    Ok(ExitCode::SUCCESS)
}

fn standards_command(
    command: StandardsCommand,
    contract: Contract,
    schemas: &Path,
) -> Result<ExitCode> {
    use crate::assess::Catalogue;
    match command {
        StandardsCommand::Check { files } => {
            let files = if files.is_empty() {
                let dir = schemas.join("standards");
                let mut found: Vec<PathBuf> = fs_err::read_dir(&dir)?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                    .collect();
                found.sort();
                found
            } else {
                files
            };
            let mut invalid = 0;
            for file in &files {
                match Catalogue::load(file, &contract.dictionary) {
                    Ok(c) => println!(
                        "{}: {} ({} standards, in force from {})",
                        file.display(),
                        c.id,
                        c.standards.len(),
                        c.first_period
                    ),
                    Err(e) => {
                        invalid += 1;
                        println!("{}: invalid", file.display());
                        for problem in &e.problems {
                            println!("  - {problem}");
                        }
                    }
                }
            }
            Ok(if invalid > 0 {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        StandardsCommand::List { period, standards } => {
            let period = period.unwrap_or_else(|| Period::of(chrono::Utc::now().date_naive()));
            let path = standards.unwrap_or_else(|| schemas.join("standards"));
            let catalogue = run::catalogue_for(&path, &contract, period)?;
            println!(
                "{} ({}), in force for {period} (from {})",
                catalogue.title, catalogue.id, catalogue.first_period
            );
            for s in &catalogue.standards {
                let s = &s.standard;
                let thresholds = match (s.met, s.partially_met) {
                    (Some(m), Some(p)) => format!("{:?} met {m}, partially met {p}", s.rule),
                    (Some(m), None) => format!("{:?} met {m}", s.rule),
                    _ => "met when true".to_string(),
                };
                let critical = if s.critical { "critical" } else { "" };
                println!(
                    "  {:<22} {:<5} {:<6} {:<9} {}: {}",
                    s.id, s.caf, s.applies_to, critical, s.title, thresholds
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn generate_command(args: GenerateArgs, contract: Contract) -> Result<ExitCode> {
    use crate::generate::{Plan, generate};
    if !(0.0..=1.0).contains(&args.fault_rate) {
        bail!(ConfigError(
            "--fault-rate is a share between 0 and 1".into()
        ));
    }
    let plan = match args.orgs {
        Some(n) => Plan::small(
            args.seed,
            n,
            args.fault_rate,
            args.period,
            args.periods.max(1),
        ),
        None => Plan::national(
            args.seed,
            args.scale.max(1),
            args.fault_rate,
            args.period,
            args.periods.max(1),
        ),
    };
    let started = std::time::Instant::now();
    let (orgs, files, devices) =
        generate(&plan, &contract.dictionary, &args.out).with_context(|| {
            format!(
                "failed to write the landing zone under {}",
                args.out.display()
            )
        })?;
    println!(
        "Wrote {orgs} organisations, {files} files and {devices} device rows to {} in {:.1} s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

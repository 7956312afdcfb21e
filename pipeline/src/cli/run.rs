//! `baseline run`: the monthly batch, configured from flags, `baseline.toml` and defaults in
//! the working folder, with a progress bar on a terminal and a summary on standard output.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use super::error::Result;
use super::settings::{self, Settings};
use crate::contract::{Contract, Severity};
use crate::period::Period;
use crate::run::{self, RunConfig, RunSummary};

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
    /// A standards catalogue file, or a folder of editions [default: standards/ in the contract folder].
    #[arg(long, value_name = "PATH")]
    pub standards: Option<PathBuf>,
    /// Files read from an object store at once (a local folder is read a file per core)
    /// [default: 32].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Report the period even when the landing zone holds no file for it (every organisation
    /// then has made no return); without it, such a run stops with exit code 1.
    #[arg(long)]
    pub allow_empty: bool,
}

pub fn command(args: RunArgs, settings: Settings, contract: Contract) -> Result<ExitCode> {
    let config = config(args, settings, contract)?;
    let runtime = super::runtime()?;
    let output = runtime.block_on(run::run(&config))?;
    print_summary(&output.summary);
    Ok(ExitCode::SUCCESS)
}

/// Flags over settings over defaults (every default path relative to the working folder).
fn config(args: RunArgs, settings: Settings, contract: Contract) -> Result<RunConfig> {
    let input = args
        .input
        .or(settings.input)
        .unwrap_or_else(|| "data-samples/landing".into());
    let out = args.out.or(settings.out).unwrap_or_else(|| "out".into());
    let (input, out) = (
        settings::location(&input, false)?,
        settings::location(&out, true)?,
    );
    let reference = args
        .reference
        .or(settings.reference)
        .unwrap_or_else(|| PathBuf::from("data-samples/reference/organisations.csv"));
    let orgs = settings::organisations(&reference, &contract)?;
    let standards = args
        .standards
        .or(settings.standards)
        .unwrap_or_else(|| contract.source.dir.join("standards"));
    Ok(RunConfig {
        input,
        out,
        period: args.period,
        orgs,
        reference,
        settings: settings.source,
        standards,
        limits: settings.limits,
        run_id: run_id(),
        concurrency: args.concurrency.or(settings.concurrency).unwrap_or(32),
        now: chrono::Utc::now(),
        crash_at: None,
        allow_empty: args.allow_empty,
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr())
            .then(|| Arc::new(Bar::default()) as Arc<dyn run::Progress>),
        contract,
    })
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
    let c = &s.counts;
    let count = |severity| c.issues_by_severity.get(&severity).copied().unwrap_or(0);
    println!("Baseline run for {}", s.period);
    println!("  input:        {}", s.input);
    println!("  reference:    {}", s.reference);
    println!(
        "  contract:     {} (standards {}: {})",
        s.contract_dir, s.edition, s.standards_file
    );
    if let Some(settings) = &s.settings {
        println!("  settings:     {settings}");
    }
    println!("  returns:      {}", c.returns.breakdown());
    println!("  inventories:  {}", c.inventories.breakdown());
    println!("  plans:        {}", c.plans.breakdown());
    if c.unrecognised > 0 {
        println!(
            "  other files:  {} not a return, an inventory or a plan by name (reported, not read)",
            c.unrecognised
        );
    }
    println!("  rejected:     {} files (quarantined)", c.files_rejected);
    println!(
        "  issues:       {} errors, {} warnings, {} information",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    let statuses: Vec<String> = c
        .status_counts
        .iter()
        .map(|(status, n)| format!("{n} {}", status.as_str()))
        .collect();
    println!(
        "  organisations ({}): {}",
        c.organisations,
        statuses.join(", ")
    );
    if !c.changes.is_empty() {
        let since = |against: &str, label: String| {
            let parts: Vec<String> = c
                .changes
                .iter()
                .filter_map(|(key, n)| {
                    let kind = key.strip_prefix(against)?.strip_prefix('_')?;
                    let plural = match kind {
                        _ if *n == 1 => "",
                        "status" => "es",
                        _ => "s",
                    };
                    Some(format!("{n} {kind}{plural}"))
                })
                .collect();
            (!parts.is_empty()).then(|| format!("{label}: {}", parts.join(", ")))
        };
        let lines = [
            since("last_run", format!("since the last run of {}", s.period)),
            since("previous_period", format!("since {}", s.period.previous())),
        ];
        for line in lines.into_iter().flatten() {
            println!("  changed:      {line} (tables/changes.csv)");
        }
    }
    for warning in &s.warnings {
        println!("  warning:      {warning}");
    }
    println!("Outputs: {}", s.output);
    println!(
        "  reports/national.html   for national bodies (OFFICIAL-SENSITIVE: names organisations)"
    );
    println!(
        "  reports/public.html     for publication (OFFICIAL), with its CSVs in reports/public/"
    );
    println!("  reports/orgs/           one page of feedback per organisation");
    println!("  reports/analyst.xlsx    every table as a sheet");
    println!("  exports/oscal/          OSCAL catalog, assessment results and plans (POA&M)");
    println!("  manifest.json, tables/ (CSV and Parquet), validation/issues.csv, quarantine/");
}

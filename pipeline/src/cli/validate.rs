//! `baseline validate`: a submitter's check of files before sending them, with exactly the
//! readers and checks of the batch; exit 1 when any error is found.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::error::{Failure, Result};
use super::settings;
use crate::contract::{Code, Contract, Severity};
use crate::period::Period;
use crate::validate::{Context, Issue, Limits, check_file};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Returns ({org}_{YYYY-MM}_return.json|csv|xlsx), inventories ({org}_{YYYY-MM}_inventory.csv|parquet) or improvement plans ({org}_{YYYY-MM}_plan.csv|xlsx).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// How to print the issues: lines for people, or JSON for tools.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// The organisation reference table; without it, organisation codes are not looked up.
    #[arg(long, value_name = "PATH")]
    pub reference: Option<PathBuf>,
    /// The period the files must report.
    #[arg(long)]
    pub period: Option<Period>,
}

pub fn command(
    args: ValidateArgs,
    limits: Limits,
    contract: Contract,
    standards: Option<PathBuf>,
) -> Result<ExitCode> {
    let standards = standards.unwrap_or_else(|| contract.source.dir.join("standards"));
    let orgs = args
        .reference
        .as_deref()
        .map(|p| settings::organisations(p, &contract))
        .transpose()?;
    let mut all: Vec<Issue> = Vec::new();
    for path in &args.files {
        let bytes = fs_err::read(path).map_err(|e| Failure::config(e.to_string()))?;
        let shown = path.display().to_string();
        let ids = standard_ids(&standards, &contract, path, args.period);
        let context = Context {
            orgs: orgs.as_ref(),
            period: args.period,
            now: chrono::Utc::now(),
            standards: ids.as_ref(),
        };
        all.extend(check_file(&shown, bytes.into(), &contract, context, limits));
    }
    // A name the batch would not recognise is a warning in a run (the file is reported and
    // ignored) but an error in a check before sending: the file would never be read.
    for issue in all.iter_mut().filter(|i| i.code == Code::UnrecognisedFile) {
        issue.severity = Severity::Error;
    }
    let errors = all.iter().filter(|i| i.severity == Severity::Error).count();
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&all).map_err(anyhow::Error::new)?
        ),
        Format::Human => print_issues(&args.files, &all),
    }
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The standard ids a plan at `path` may name: the edition in force for its period (given, or
/// from its name); `None` when neither says or the catalogue cannot be read.
fn standard_ids(
    standards: &std::path::Path,
    contract: &Contract,
    path: &std::path::Path,
    period: Option<Period>,
) -> Option<std::collections::BTreeSet<String>> {
    let named = path
        .file_name()
        .and_then(|n| crate::ingest::names::recognise(&n.to_string_lossy()));
    let period = period.or(named.map(|n| n.period))?;
    crate::run::catalogue_for(standards, contract, period)
        .ok()
        .map(|c| c.ids())
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
            "{shown}: {}, {}, {} information",
            counted(count(Severity::Error), "error"),
            counted(count(Severity::Warning), "warning"),
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

/// `1 error`, `2 errors`.
fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

//! `baseline standards check|list`: the standards catalogue as analysts see it.

use std::path::PathBuf;
use std::process::ExitCode;

use super::error::Result;
use crate::assess::Catalogue;
use crate::contract::Contract;
use crate::period::Period;

#[derive(Debug, clap::Subcommand)]
pub enum StandardsCommand {
    /// Check catalogue files (default: every edition under the contract's standards/); exit 2 when any is invalid.
    Check {
        /// Catalogue files to check.
        files: Vec<PathBuf>,
    },
    /// Print the edition in force for a period.
    List {
        /// The period [default: the current month].
        #[arg(long)]
        period: Option<Period>,
        /// A catalogue file or folder of editions [default: standards/ in the contract folder].
        #[arg(long, value_name = "PATH")]
        standards: Option<PathBuf>,
    },
}

pub fn command(command: StandardsCommand, contract: Contract) -> Result<ExitCode> {
    let editions = contract.source.dir.join("standards");
    match command {
        StandardsCommand::Check { files } => {
            let files = if files.is_empty() {
                let mut found: Vec<PathBuf> = fs_err::read_dir(&editions)
                    .map_err(anyhow::Error::new)?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                    .collect();
                found.sort();
                found
            } else {
                files
            };
            Ok(check(&files, &contract))
        }
        StandardsCommand::List { period, standards } => {
            let period = period.unwrap_or_else(|| Period::of(chrono::Utc::now().date_naive()));
            let path = standards.unwrap_or(editions);
            let catalogue = crate::run::catalogue_for(&path, &contract, period)?;
            list(&catalogue, period);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Checks each file and prints every problem; exit 2 when any is invalid (the same code an
/// invalid catalogue gives `baseline run`).
fn check(files: &[PathBuf], contract: &Contract) -> ExitCode {
    let mut invalid = 0;
    for file in files {
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
    if invalid > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn list(catalogue: &Catalogue, period: Period) {
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
}

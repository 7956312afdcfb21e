//! The command line: glue. Flags and `baseline.toml` become one validated configuration
//! ([`settings`]), each command calls the stages ([`run`], [`validate`], [`template`],
//! [`standards`], [`generate`], [`contract`], [`serve`]), and [`error::Failure::exit_code`] alone decides the exit code:
//! 0 success, 1 failure (or errors found by `validate`), 2 usage or configuration error.

mod contract;
mod error;
mod generate;
mod run;
mod serve;
mod settings;
mod standards;
mod template;
mod validate;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::Failure;
use settings::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "baseline",
    version,
    about = "National cyber compliance reporting: ingest, validate, assess, aggregate, render."
)]
pub struct Cli {
    /// Folder of the data contract (dictionary, validation codes, OS lifecycle)
    /// [default: `schemas` in baseline.toml, else ./schemas].
    #[arg(long, global = true, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// Settings analysts keep from month to month (schemas, input, out, reference, standards,
    /// concurrency, [limits]); flags override them [default: ./baseline.toml when it exists].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the monthly batch for one period and write its outputs.
    Run(run::RunArgs),
    /// Check returns or inventories before sending them, as the batch would.
    Validate(validate::ValidateArgs),
    /// Write the XLSX return template for an organisation to fill in.
    Template(template::TemplateArgs),
    /// Write a synthetic landing zone and reference table (national scale included).
    Generate(generate::GenerateArgs),
    /// Check or list the standards catalogue.
    #[command(subcommand)]
    Standards(standards::StandardsCommand),
    /// Regenerate (or check) the tables of docs/CONTRACT.md from the contract folder.
    Contract(contract::ContractArgs),
    /// Run the submission service: organisations upload returns and get receipts.
    Serve(serve::ServeArgs),
    /// Issue, list or revoke the service's tokens.
    #[command(subcommand)]
    Tokens(serve::TokensCommand),
    /// Print the service's audit log.
    Audit(serve::AuditArgs),
    /// Decode a Parquet file from standard input and keep nothing: the child process in which
    /// runs decode submitted Parquet first (exit 0 readable, 1 not; a crash ends only it).
    #[command(hide = true)]
    CheckParquet {
        /// Bytes the file may decode to.
        max_decoded_bytes: u64,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::CheckParquet { max_decoded_bytes } = cli.command {
        return check_parquet(max_decoded_bytes);
    }
    init_tracing();
    if let Ok(me) = std::env::current_exe() {
        crate::ingest::inventory::isolate_parquet_with(me);
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(failure) => {
            let code = failure.exit_code();
            eprintln!("error: {:#}", anyhow::Error::new(failure));
            ExitCode::from(code)
        }
    }
}

fn dispatch(cli: Cli) -> error::Result<ExitCode> {
    let settings = Settings::load(cli.config.as_deref())?;
    let contract = settings.contract(cli.schemas.as_deref())?;
    match cli.command {
        Command::Run(args) => run::command(args, settings, contract),
        Command::Validate(args) => {
            validate::command(args, settings.limits, contract, settings.standards)
        }
        Command::Template(args) => template::command(args, contract),
        Command::Standards(command) => standards::command(command, contract),
        Command::Generate(args) => generate::command(args, contract),
        Command::Contract(args) => contract::command(args, contract),
        Command::Serve(args) => serve::serve(args, settings, contract),
        Command::Tokens(command) => serve::tokens_command(command, settings, contract),
        Command::Audit(args) => serve::audit_command(args, settings),
        Command::CheckParquet { max_decoded_bytes } => Ok(check_parquet(max_decoded_bytes)),
    }
}

fn check_parquet(max_decoded_bytes: u64) -> ExitCode {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    match crate::ingest::inventory::decode_parquet(bytes.into(), max_decoded_bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("{why}");
            ExitCode::FAILURE
        }
    }
}

/// Threads kept for blocking work at most. Local reads and writes run on rayon's pool (a
/// thread per core) from one blocking task, so a few threads are enough; tokio's default of
/// 512 let a run start hundreds of short-lived threads for small files.
const BLOCKING_THREADS: usize = 8;

/// The async runtime of every command that needs one.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
        .context("failed to start the async runtime")
}

/// Progress of long work goes to standard error as log lines (colour only on a terminal); the
/// summary goes to standard output.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BASELINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("baseline=info,warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

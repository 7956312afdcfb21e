//! `baseline generate`: a synthetic landing zone for tests, samples and benchmarks.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::error::{Failure, Result};
use crate::contract::Contract;
use crate::generate::{Plan, generate};
use crate::period::Period;

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
    /// Seed of the random choices: the same seed writes the same files.
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
    /// Also plant every kind of hostile input (docs/BAD-INPUT.md), at full size, under
    /// {period}/hostile/ of the last period.
    #[arg(long)]
    pub hostile: bool,
}

pub fn command(args: GenerateArgs, contract: Contract) -> Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err(Failure::config("--fault-rate is a share between 0 and 1"));
    }
    let periods = args.periods.max(1);
    let plan = match args.orgs {
        Some(n) => Plan::small(args.seed, n, args.fault_rate, args.period, periods),
        None => Plan::national(
            args.seed,
            args.scale.max(1),
            args.fault_rate,
            args.period,
            periods,
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
    if args.hostile {
        let named = crate::hostile::plant(&args.out, args.period)
            .context("failed to plant the hostile inputs")?;
        println!("Planted the hostile inputs, naming {}", named.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

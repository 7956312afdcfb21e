//! `baseline template`: the XLSX return for an organisation to fill in.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::error::{Failure, Result};
use super::settings;
use crate::contract::Contract;
use crate::period::Period;
use crate::validate::Applicability;

#[derive(Debug, clap::Args)]
pub struct TemplateArgs {
    /// The organisation's ODS code.
    #[arg(long)]
    pub org: String,
    /// The period the return covers, YYYY-MM.
    #[arg(long)]
    pub period: Period,
    /// Where to write the workbook [default: {org}_{period}_return.xlsx].
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The organisation reference table, to tailor the measures to the organisation's type.
    #[arg(long, value_name = "PATH")]
    pub reference: Option<PathBuf>,
    /// Replace the output file if it exists (a filled-in return is otherwise never overwritten).
    #[arg(long)]
    pub force: bool,
    /// Write the improvement plan workbook ({org}_{period}_plan.xlsx) instead of the return:
    /// its Plan sheet starts with the organisation's open actions and uncovered gaps from the
    /// last period published under --out.
    #[arg(long)]
    pub plan: bool,
    /// Where published outputs are, for --plan [default: out].
    #[arg(long, value_name = "URL", requires = "plan")]
    pub out: Option<String>,
}

pub fn command(args: TemplateArgs, contract: Contract) -> Result<ExitCode> {
    let org_code = args.org.trim().to_ascii_uppercase();
    if !contract.dictionary.org_types.is_ods_code(&org_code) {
        return Err(Failure::config(format!(
            "`{}` is not an ODS organisation code: a trust is R and two letters or digits (R0A), an ICB Q and two (QWE), a GP practice a letter and five digits (K82057)",
            crate::text::echo(&args.org, 60)
        )));
    }
    let orgs = args
        .reference
        .as_deref()
        .map(|p| settings::organisations(p, &contract))
        .transpose()?;
    let organisation = orgs.as_ref().and_then(|o| o.get(&org_code));
    if orgs.is_some() && organisation.is_none() {
        return Err(Failure::config(format!(
            "{org_code} is not in the organisation reference table"
        )));
    }
    let applicability = match organisation {
        Some(org) => Applicability::OrgType(&org.org_type),
        None => Applicability::CodeShape(&org_code),
    };
    let (bytes, kind) = if args.plan {
        let out = args.out.as_deref().unwrap_or("out");
        (
            plan_workbook(out, &org_code, args.period, &contract)?,
            "plan",
        )
    } else {
        let bytes =
            crate::template::template(&contract.dictionary, &org_code, args.period, applicability)
                .context("failed to build the workbook")?;
        (bytes, "return")
    };
    let output = args
        .output
        .unwrap_or_else(|| PathBuf::from(format!("{org_code}_{}_{kind}.xlsx", args.period)));
    if output.exists() && !args.force {
        return Err(Failure::config(format!(
            "{} exists and may hold a filled-in {kind}; it was left as it is: give --output for another file, or --force to replace it",
            output.display()
        )));
    }
    fs_err::write(&output, bytes).map_err(anyhow::Error::new)?;
    println!("Wrote {}", output.display());
    Ok(ExitCode::SUCCESS)
}

/// The plan workbook, started from what was last published under `out` for the organisation
/// (nothing published yet: a Plan sheet with its header only).
fn plan_workbook(
    out: &str,
    org_code: &str,
    period: Period,
    contract: &Contract,
) -> Result<Vec<u8>> {
    use crate::template::plan::{Published, plan_lines};
    // A local folder that does not exist yet means nothing was published.
    let nothing_yet = !out.contains("://") && !std::path::Path::new(out).exists();
    let published = match nothing_yet {
        true => None,
        false => super::runtime()?
            .block_on(crate::run::published_for_plan(
                &settings::location(out, false)?,
                org_code,
                period,
            ))
            .map_err(|e| {
                Failure::config(format!(
                    "the published outputs under {out} cannot be read: {e}"
                ))
            })?,
    };
    let lines = match &published {
        Some((last, outcomes, rows)) => {
            let published = Published {
                period: *last,
                outcomes,
                plan_rows: rows,
            };
            let lines = plan_lines(org_code, &published, &contract.plan);
            println!(
                "Plan sheet: {} rows from the outputs published for {last} under {out}",
                lines.len()
            );
            lines
        }
        None => {
            println!(
                "Plan sheet: no period before {period} is published under {out}; it starts empty"
            );
            Vec::new()
        }
    };
    let bytes = crate::template::plan_workbook(contract, org_code, period, &lines)
        .context("failed to build the workbook")?;
    Ok(bytes)
}

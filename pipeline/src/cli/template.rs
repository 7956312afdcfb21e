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
    let bytes =
        crate::template::template(&contract.dictionary, &org_code, args.period, applicability)
            .context("failed to build the workbook")?;
    let output = args
        .output
        .unwrap_or_else(|| PathBuf::from(format!("{org_code}_{}_return.xlsx", args.period)));
    if output.exists() && !args.force {
        return Err(Failure::config(format!(
            "{} exists and may hold a filled-in return; it was left as it is: give --output for another file, or --force to replace it",
            output.display()
        )));
    }
    fs_err::write(&output, bytes).map_err(anyhow::Error::new)?;
    println!("Wrote {}", output.display());
    Ok(ExitCode::SUCCESS)
}

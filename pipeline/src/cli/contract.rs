//! `baseline contract`: writes the generated tables of `docs/CONTRACT.md` from the contract
//! folder (`--check` only compares, exit 1 when the document is stale).

use std::path::PathBuf;
use std::process::ExitCode;

use super::error::{Failure, Result};
use crate::assess::Catalogue;
use crate::contract::Contract;

#[derive(Debug, clap::Args)]
pub struct ContractArgs {
    /// The document to fill in.
    #[arg(default_value = "docs/CONTRACT.md")]
    pub document: PathBuf,
    /// Compare only: exit 1 when the document's tables differ from the contract's.
    #[arg(long)]
    pub check: bool,
}

pub fn command(args: ContractArgs, contract: Contract) -> Result<ExitCode> {
    let editions =
        Catalogue::load_all(&contract.source.dir.join("standards"), &contract.dictionary)?;
    let text =
        fs_err::read_to_string(&args.document).map_err(|e| Failure::config(e.to_string()))?;
    let sections = crate::contract_doc::sections(&contract, &editions);
    let filled = crate::contract_doc::fill(&text, &sections)
        .map_err(|e| Failure::config(format!("{}: {e}", args.document.display())))?;
    if filled == text {
        println!("{} agrees with the contract", args.document.display());
        return Ok(ExitCode::SUCCESS);
    }
    if args.check {
        println!(
            "{} differs from the contract: run `baseline contract` to regenerate its tables",
            args.document.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    fs_err::write(&args.document, filled).map_err(anyhow::Error::new)?;
    println!("Wrote the tables of {}", args.document.display());
    Ok(ExitCode::SUCCESS)
}

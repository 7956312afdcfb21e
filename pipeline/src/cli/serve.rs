//! `baseline serve`, `baseline tokens` and `baseline audit`: the submission service, its
//! credentials and its audit log, configured from flags, `[service]` in `baseline.toml` and
//! defaults in the working folder.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;

use super::error::{Failure, Result};
use super::runtime;
use super::settings::{self, Settings};
use crate::contract::Contract;
use crate::period::Period;
use crate::serve::audit::{self, Event};
use crate::serve::tokens::{self, Role};
use crate::serve::{App, ServeError, ServiceConfig, Vault};

/// Where the service keeps its state unless told [default: service/state].
const DEFAULT_STATE: &str = "service/state";
/// Where the service stores accepted files unless told [default: service/landing].
const DEFAULT_LANDING: &str = "service/landing";

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080, or `listen` in [service]].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    #[command(flatten)]
    pub state: StateArg,
    /// The landing zone accepted files are stored in, read by `baseline run --input`: a
    /// folder or an object-store URL [default: `input` in baseline.toml, else service/landing].
    #[arg(long, value_name = "URL")]
    pub input: Option<String>,
    /// The organisation reference table [default: data-samples/reference/organisations.csv].
    #[arg(long, value_name = "PATH")]
    pub reference: Option<PathBuf>,
    /// A standards catalogue file, or a folder of editions [default: standards/ in the contract folder].
    #[arg(long, value_name = "PATH")]
    pub standards: Option<PathBuf>,
    /// The period being collected; uploads named for another are refused [default: the month
    /// before today].
    #[arg(long)]
    pub period: Option<Period>,
}

#[derive(Debug, clap::Args)]
pub struct StateArg {
    /// The service's state (credentials, receipts, audit log, refused files): a folder or an
    /// object-store URL [default: `state` in [service], else service/state].
    #[arg(long, value_name = "URL")]
    pub state: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum TokensCommand {
    /// Issue a token and print it once: only a keyed hash of it is kept.
    Issue {
        /// The organisation the token acts for (a submitter's must be in the reference table).
        #[arg(long, value_name = "CODE")]
        org: String,
        /// What the token may do.
        #[arg(long, value_enum, default_value_t = Role::Submitter)]
        role: Role,
        /// Days until the token expires.
        #[arg(long, value_name = "N", default_value_t = 90)]
        expires_days: u32,
        /// The organisation reference table [default: data-samples/reference/organisations.csv].
        #[arg(long, value_name = "PATH")]
        reference: Option<PathBuf>,
        #[command(flatten)]
        state: StateArg,
    },
    /// List every token: id, organisation, role, dates and last use (never the token).
    List {
        #[command(flatten)]
        state: StateArg,
    },
    /// Revoke a token by id: it and its browser sessions stop working at once.
    Revoke {
        /// The token's id (the 16 hex digits after `bsl_`).
        id: String,
        #[command(flatten)]
        state: StateArg,
    },
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only this organisation's events.
    #[arg(long, value_name = "CODE")]
    pub org: Option<String>,
    /// Only events about this period (an event without one counts for its month).
    #[arg(long)]
    pub period: Option<Period>,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub state: StateArg,
}

fn served(e: ServeError) -> Failure {
    Failure::Work(anyhow::Error::new(e))
}

async fn open_vault(state: &StateArg, settings: &Settings) -> Result<Vault> {
    let spec = state
        .state
        .clone()
        .or_else(|| settings.service.state.clone())
        .unwrap_or_else(|| DEFAULT_STATE.into());
    Vault::open(settings::location(&spec, true)?)
        .await
        .map_err(served)
}

fn reference(flag: Option<PathBuf>, settings: &Settings) -> PathBuf {
    flag.or_else(|| settings.reference.clone())
        .unwrap_or_else(|| PathBuf::from("data-samples/reference/organisations.csv"))
}

pub fn serve(args: ServeArgs, settings: Settings, contract: Contract) -> Result<ExitCode> {
    let orgs = settings::organisations(&reference(args.reference, &settings), &contract)?;
    let input = args
        .input
        .or_else(|| settings.input.clone())
        .unwrap_or_else(|| DEFAULT_LANDING.into());
    let landing = settings::location(&input, true)?;
    let standards = args
        .standards
        .or_else(|| settings.standards.clone())
        .unwrap_or_else(|| contract.source.dir.join("standards"));
    let mut service = settings.service.clone();
    if let Some(listen) = args.listen {
        service.listen = listen;
    }
    let period = args
        .period
        .or(service.period)
        .unwrap_or_else(|| Period::of(Utc::now().date_naive()).previous());
    let runtime = runtime()?;
    runtime.block_on(async {
        let vault = open_vault(&args.state, &settings).await?;
        println!("  landing zone: {}", landing.display());
        println!("  state:        {}", vault.display());
        println!("  collecting:   {period}");
        let config = ServiceConfig {
            contract,
            orgs,
            standards,
            limits: settings.limits,
            period,
            settings: service,
        };
        let app = App::new(config, landing, vault);
        app.catalogue(period).map_err(served)?;
        crate::serve::serve(app).await.map_err(served)
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn tokens_command(
    command: TokensCommand,
    settings: Settings,
    contract: Contract,
) -> Result<ExitCode> {
    let runtime = runtime()?;
    runtime.block_on(async {
        match command {
            TokensCommand::Issue {
                org,
                role,
                expires_days,
                reference: path,
                state,
            } => {
                let org = match role {
                    Role::Submitter => {
                        let orgs = settings::organisations(&reference(path, &settings), &contract)?;
                        orgs.get(&org)
                            .map(|o| o.org_code.clone())
                            .ok_or_else(|| {
                                Failure::config(format!(
                                    "{org} is not in the reference table: a submitter's token acts for one organisation of it"
                                ))
                            })?
                    }
                    Role::Analyst => org,
                };
                let vault = open_vault(&state, &settings).await?;
                let now = Utc::now();
                let days = chrono::Duration::days(i64::from(expires_days.max(1)));
                let (token, record) = tokens::issue(&vault, &org, role, days, now)
                    .await
                    .map_err(served)?;
                audit_token(&vault, Event::TokenIssued, &record).await;
                println!("{token}");
                eprintln!(
                    "issued token {} ({} for {}, expires {}): shown once, store it now",
                    record.id,
                    role.as_str(),
                    record.org_code,
                    record.expires_at.format("%Y-%m-%d")
                );
                Ok(ExitCode::SUCCESS)
            }
            TokensCommand::List { state } => {
                let vault = open_vault(&state, &settings).await?;
                print_tokens(&tokens::list(&vault).await.map_err(served)?);
                Ok(ExitCode::SUCCESS)
            }
            TokensCommand::Revoke { id, state } => {
                let vault = open_vault(&state, &settings).await?;
                match tokens::revoke(&vault, &id, Utc::now()).await.map_err(served)? {
                    Some(record) => {
                        audit_token(&vault, Event::TokenRevoked, &record).await;
                        println!("revoked token {} ({})", record.id, record.org_code);
                        Ok(ExitCode::SUCCESS)
                    }
                    None => Err(Failure::config(format!(
                        "there is no token with id `{}`",
                        crate::text::echo(&id, 40)
                    ))),
                }
            }
        }
    })
}

async fn audit_token(vault: &Vault, event: Event, record: &tokens::TokenRecord) {
    let mut entry = audit::Record::new(event, Utc::now());
    entry.token_id.clone_from(&record.id);
    entry.org_code.clone_from(&record.org_code);
    entry.result = format!(
        "{} until {}",
        record.role.as_str(),
        record.expires_at.format("%Y-%m-%d")
    );
    entry.client = "command line".into();
    audit::note(vault, entry).await;
}

fn print_tokens(listed: &[(tokens::TokenRecord, Option<chrono::DateTime<Utc>>)]) {
    println!(
        "{:<16}  {:<10}  {:<9}  {:<10}  {:<10}  {:<10}  last used",
        "id", "org", "role", "created", "expires", "revoked"
    );
    let day = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d").to_string();
    for (record, used) in listed {
        println!(
            "{:<16}  {:<10}  {:<9}  {:<10}  {:<10}  {:<10}  {}",
            record.id,
            record.org_code,
            record.role.as_str(),
            day(record.created_at),
            day(record.expires_at),
            record.revoked_at.map(day).unwrap_or_default(),
            used.map_or_else(
                || "never".into(),
                |t| t.format("%Y-%m-%d %H:%M").to_string()
            )
        );
    }
}

pub fn audit_command(args: AuditArgs, settings: Settings) -> Result<ExitCode> {
    let runtime = runtime()?;
    let records = runtime.block_on(async {
        let vault = open_vault(&args.state, &settings).await?;
        let period = args.period.map(|p| p.to_string());
        audit::read(&vault, args.org.as_deref(), period.as_deref())
            .await
            .map_err(served)
    })?;
    for r in &records {
        if args.json {
            println!("{}", serde_json::to_string(r).map_err(anyhow::Error::new)?);
            continue;
        }
        let event = serde_json::to_value(r.event)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        println!(
            "{}  {:<13}  {:<16}  {:<8}  {:<7}  {:<40}  {}  {}",
            r.at.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
            event,
            r.token_id,
            r.org_code,
            r.period,
            crate::text::echo(&r.file_name, 40),
            crate::text::echo(&r.result, 200),
            r.client
        );
    }
    eprintln!("{} audit records", records.len());
    Ok(ExitCode::SUCCESS)
}

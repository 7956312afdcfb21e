//! Settings: `baseline.toml` in the working folder (or `--config FILE`), then flags, then
//! defaults, turned into one validated configuration before any work starts. Every default
//! path is relative to the working folder: the binary never reaches into the folder it was
//! built in.

use std::path::{Path, PathBuf};

use super::error::{Failure, Result};
use crate::contract::{Contract, Organisations};
use crate::storage::Location;
use crate::validate::Limits;

/// `baseline.toml`: what an analyst sets once.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub schemas: Option<PathBuf>,
    pub input: Option<String>,
    pub out: Option<String>,
    pub reference: Option<PathBuf>,
    pub standards: Option<PathBuf>,
    pub concurrency: Option<usize>,
    /// `[limits]`: what a submitted file may hold (see `ingest::Limits` for each and its default).
    #[serde(default)]
    pub limits: Limits,
    /// `[service]`: how `baseline serve` runs (see `serve::ServiceSettings`).
    #[serde(default)]
    pub service: crate::serve::ServiceSettings,
    /// The file these came from, with its SHA-256 (not part of the file).
    #[serde(skip)]
    pub source: Option<(String, String)>,
}

impl Settings {
    /// Reads `path`, or `baseline.toml` in the working folder when there is one.
    pub fn load(path: Option<&Path>) -> Result<Settings> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("baseline.toml"), false),
        };
        if !required && !path.exists() {
            return Ok(Settings::default());
        }
        let text = fs_err::read_to_string(&path).map_err(|e| Failure::config(e.to_string()))?;
        let mut settings: Settings = toml::from_str(&text)
            .map_err(|e| Failure::config(format!("{} is not valid: {e}", path.display())))?;
        let shown = fs_err::canonicalize(&path).unwrap_or(path);
        settings.source = Some((
            shown.display().to_string(),
            crate::digest::sha256_hex(text.as_bytes()),
        ));
        Ok(settings)
    }

    /// The contract folder: `--schemas`, then `schemas` in the settings, then `schemas/` in the
    /// working folder.
    pub fn contract(&self, flag: Option<&Path>) -> Result<Contract> {
        let dir = flag
            .map(Path::to_path_buf)
            .or_else(|| self.schemas.clone())
            .unwrap_or_else(|| PathBuf::from("schemas"));
        if !dir.is_dir() {
            return Err(Failure::config(format!(
                "there is no contract folder at `{}`: run Baseline from its folder (where `schemas/` is), or give --schemas DIR",
                dir.display()
            )));
        }
        let dir = fs_err::canonicalize(&dir).map_err(|e| Failure::config(e.to_string()))?;
        Ok(Contract::load(&dir)?)
    }
}

/// A location from a flag or setting; a bad one is a configuration error.
pub fn location(spec: &str, create: bool) -> Result<Location> {
    Location::open(spec, &store_options(), create).map_err(|e| Failure::config(e.explained()))
}

/// The organisation reference table at `path`.
pub fn organisations(path: &Path, contract: &Contract) -> Result<Organisations> {
    Ok(Organisations::load(path, &contract.dictionary.org_types)?)
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

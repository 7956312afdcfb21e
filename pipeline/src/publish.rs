//! Atomic publication of a run, so readers of `{out}/{period}/` see the previous complete run
//! or the new complete run, never a mix.
//!
//! Every run is written to its own folder, `{out}/.runs/{period}/{run_id}/`. Then:
//! - on local disk, `{out}/{period}` is a symbolic link to that folder, replaced by an atomic
//!   rename of a new link over the old one: the paths SPEC names are real paths;
//! - on object storage, where no rename is atomic, `{out}/{period}/current.json` (a small
//!   pointer, `{"run": ".runs/{period}/{run_id}"}`) is written last, after every object of
//!   the run. Readers resolve a period through [`resolve`], which follows the pointer.
//!
//! The previous run is kept (a reader may still be reading it); older ones are removed.

use serde::{Deserialize, Serialize};

use crate::period::Period;
use crate::storage::{Location, StorageError};

pub const POINTER: &str = "current.json";
const RUNS: &str = ".runs";
/// Runs kept per period: the current one and the one before.
const KEEP: usize = 2;

#[derive(Debug, Serialize, Deserialize)]
struct Pointer {
    run: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("failed to publish {what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

/// A run being written, not yet visible to readers.
#[derive(Debug, Clone)]
pub struct Staged {
    pub period: Period,
    pub run_id: String,
    /// Where the run's files go.
    pub dir: Location,
    relative: String,
}

/// A fresh folder for a run of `period`. `run_id` must be unique per run (the caller makes it
/// from the clock and process id) and sorts in time order.
pub fn stage(out: &Location, period: Period, run_id: &str) -> Staged {
    let relative = format!("{RUNS}/{period}/{run_id}");
    Staged {
        period,
        run_id: run_id.to_string(),
        dir: out.join(&relative),
        relative,
    }
}

/// Makes the staged run the one readers see, then removes runs older than the previous one.
pub async fn publish(out: &Location, staged: &Staged) -> Result<Location, PublishError> {
    let period = staged.period.to_string();
    match out.local_path() {
        Some(root) => {
            let io = |what: &str| {
                let what = what.to_string();
                move |source| PublishError::Io { what, source }
            };
            let link = root.join(&period);
            let temporary = root.join(format!(".{period}.{}.link", staged.run_id));
            std::os::unix::fs::symlink(&staged.relative, &temporary).map_err(io("the run link"))?;
            // A real folder left by a tool that wrote in place cannot be replaced by a rename;
            // move it aside once, into the runs it belongs with.
            if link.is_dir() && !link.is_symlink() {
                let aside = root
                    .join(RUNS)
                    .join(&period)
                    .join(format!("{}-in-place", staged.run_id));
                std::fs::rename(&link, &aside).map_err(io("the old output folder"))?;
            }
            std::fs::rename(&temporary, &link).map_err(io("the run link"))?;
        }
        None => {
            let pointer = serde_json::to_vec(&Pointer {
                run: staged.relative.clone(),
            })
            .expect("a pointer serialises");
            out.write(&format!("{period}/{POINTER}"), pointer).await?;
        }
    }
    prune(out, staged.period).await?;
    Ok(resolve(out, staged.period).await?)
}

/// The location of the published run of `period`: the followed pointer on object storage, the
/// linked folder on local disk.
pub async fn resolve(out: &Location, period: Period) -> Result<Location, StorageError> {
    if out.local_path().is_some() {
        return Ok(out.join(&period.to_string()));
    }
    match out.read(&format!("{period}/{POINTER}")).await {
        Ok(bytes) => match serde_json::from_slice::<Pointer>(&bytes) {
            Ok(p) if p.run.starts_with(&format!("{RUNS}/{period}/")) && !p.run.contains("..") => {
                Ok(out.join(&p.run))
            }
            _ => Ok(out.join(&period.to_string())),
        },
        Err(_) => Ok(out.join(&period.to_string())),
    }
}

/// Removes every run of `period` but the newest `KEEP`.
async fn prune(out: &Location, period: Period) -> Result<(), StorageError> {
    let runs_dir = out.join(&format!("{RUNS}/{period}"));
    let entries = runs_dir.list().await?;
    let mut runs: Vec<String> = entries
        .iter()
        .filter_map(|e| e.key.split('/').next().map(str::to_string))
        .collect();
    runs.sort();
    runs.dedup();
    if runs.len() <= KEEP {
        return Ok(());
    }
    let old: Vec<&String> = runs[..runs.len() - KEEP].iter().collect();
    for entry in &entries {
        if old
            .iter()
            .any(|run| entry.key.starts_with(&format!("{run}/")))
        {
            runs_dir.delete(&entry.key).await?;
        }
    }
    if let Some(root) = runs_dir.local_path() {
        for run in old {
            // Empty folders left by deleting the objects.
            let _ = std::fs::remove_dir_all(root.join(run));
        }
    }
    Ok(())
}

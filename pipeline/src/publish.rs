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
//! The previous run is kept (a reader may still be reading it); older ones are removed, and
//! so are runs a crash left unpublished, a day later (see [`prune`]).

use serde::{Deserialize, Serialize};

use crate::crash::{self, CrashPoint};
use crate::period::Period;
use crate::storage::{Location, StorageError};

pub const POINTER: &str = "current.json";
const RUNS: &str = ".runs";

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
/// `crash_at` is for tests (see [`crate::crash`]).
pub async fn publish(
    out: &Location,
    staged: &Staged,
    crash_at: Option<CrashPoint>,
) -> Result<(), PublishError> {
    let period = staged.period.to_string();
    let previous = published_run(out, staged.period).await;
    match out.local_path() {
        Some(root) => {
            let io = |what: &str| {
                let what = what.to_string();
                move |source| PublishError::Io { what, source }
            };
            let link = root.join(&period);
            // Links left by a run that stopped between making its link and renaming it.
            if let Ok(names) = fs_err::read_dir(root) {
                for name in names.flatten() {
                    let name = name.file_name().to_string_lossy().into_owned();
                    if name.starts_with(&format!(".{period}.")) && name.ends_with(".link") {
                        let _ = fs_err::remove_file(root.join(name));
                    }
                }
            }
            let temporary = root.join(format!(".{period}.{}.link", staged.run_id));
            std::os::unix::fs::symlink(&staged.relative, &temporary).map_err(io("the run link"))?;
            crash::at(crash_at, CrashPoint::Swap);
            // A real folder left by a tool that wrote in place cannot be replaced by a rename;
            // move it aside once, into the runs it belongs with.
            if link.is_dir() && !link.is_symlink() {
                let aside = root
                    .join(RUNS)
                    .join(&period)
                    .join(format!("{}-in-place", staged.run_id));
                fs_err::rename(&link, &aside).map_err(io("the old output folder"))?;
            }
            fs_err::rename(&temporary, &link).map_err(io("the run link"))?;
        }
        None => {
            let pointer = serde_json::to_vec(&Pointer {
                run: staged.relative.clone(),
            })
            .expect("a pointer serialises");
            out.write(&format!("{period}/{POINTER}"), pointer).await?;
        }
    }
    prune(out, staged.period, &staged.run_id, previous.as_deref()).await?;
    Ok(())
}

/// The id of the run of `period` readers see now, if any.
async fn published_run(out: &Location, period: Period) -> Option<String> {
    let relative = match out.local_path() {
        Some(root) => fs_err::read_link(root.join(period.to_string()))
            .ok()?
            .to_string_lossy()
            .into_owned(),
        None => {
            let bytes = out.read(&format!("{period}/{POINTER}")).await.ok()?;
            serde_json::from_slice::<Pointer>(&bytes).ok()?.run
        }
    };
    relative
        .strip_prefix(&format!("{RUNS}/{period}/"))
        .map(str::to_string)
}

/// The location of the published run of `period`: the run the pointer names on object
/// storage, the run the link names on local disk (a real folder, so reading it follows no
/// link).
pub async fn resolve(out: &Location, period: Period) -> Result<Location, StorageError> {
    let missing = |message: &str| StorageError::Location {
        location: format!("{}/{period}", out.display()),
        message: message.to_string(),
    };
    let run = published_run(out, period)
        .await
        .ok_or_else(|| missing("no run of this period is published (or its pointer is damaged)"))?;
    if run.is_empty() || run.contains('/') || run.starts_with('.') {
        return Err(missing("the published pointer names no run of this period"));
    }
    Ok(out.join(&format!("{RUNS}/{period}/{run}")))
}

/// Holds the lock of a period's runs on local disk until dropped.
pub struct RunLock {
    _held: Option<std::fs::File>,
}

/// Waits for and takes the lock of `period`'s runs under a local `out`: an advisory lock on
/// `{out}/.runs/{period}.lock`, which the operating system releases if the process dies, so a
/// crashed run never blocks the next. On object storage there is no lock (see [`prune`]).
pub fn lock(out: &Location, period: Period) -> Result<RunLock, PublishError> {
    let Some(root) = out.local_path() else {
        return Ok(RunLock { _held: None });
    };
    let io = |source| PublishError::Io {
        what: format!("the lock of {period}"),
        source,
    };
    let dir = root.join(RUNS);
    fs_err::create_dir_all(&dir).map_err(io)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{period}.lock")))
        .map_err(io)?;
    if file.try_lock().is_err() {
        tracing::info!(%period, "another run of this period is publishing; waiting for it");
        file.lock().map_err(io)?;
    }
    Ok(RunLock { _held: Some(file) })
}

/// How long an unpublished run folder is left alone: it may be a run still writing (on object
/// storage, where runs are not locked); older than this it was a crash.
const ABANDONED_AFTER_HOURS: i64 = 24;

/// The time a run id starts with (`20261129T090609.681200Z-...`).
fn run_time(run_id: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(run_id.get(..15)?, "%Y%m%dT%H%M%S").ok()
}

/// Removes runs of `period` no reader can need: every run older than the one published before
/// `current` (the `previous`, kept for readers that resolved it just before), and runs left
/// by a crash, once a day older than `current`. A run newer than `previous` may still be
/// writing on object storage, where runs are not locked, so it is left alone: two runs of a
/// period racing cannot delete each other's files, and the last pointer written names a
/// complete run either way.
async fn prune(
    out: &Location,
    period: Period,
    current: &str,
    previous: Option<&str>,
) -> Result<(), StorageError> {
    let runs_dir = out.join(&format!("{RUNS}/{period}"));
    // The runs' folders only: listing every object would walk the run just written.
    let runs = runs_dir.folders().await?;
    let now = run_time(current);
    let old = runs
        .iter()
        .filter(|r| r.as_str() != current && Some(r.as_str()) != previous)
        .filter(|r| {
            let before_previous = previous.is_some_and(|p| r.as_str() < p);
            let abandoned = matches!((run_time(r), now), (Some(t), Some(n)) if n - t > chrono::Duration::hours(ABANDONED_AFTER_HOURS));
            before_previous || abandoned
        });
    for run in old {
        let run_dir = runs_dir.join(run);
        for entry in run_dir.list().await? {
            run_dir.delete(&entry.key).await?;
        }
        if let Some(root) = run_dir.local_path() {
            // Empty folders left by deleting the objects.
            let _ = fs_err::remove_dir_all(root);
        }
    }
    Ok(())
}

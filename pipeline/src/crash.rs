//! Crash points: named places where a run can be stopped abruptly (as `kill -9` or a power cut
//! would stop it), so tests can show that what was published before survives. A point is set
//! only through [`crate::run::RunConfig::crash_at`], which the command line never sets: no
//! production run can be made to crash from its environment.

/// A place in a run where it can be stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// After the returns are read.
    Ingest,
    /// After the reports are rendered, before anything is written.
    Render,
    /// After the tables are written, before the reports.
    Write,
    /// After every file and the manifest are written, before the run is published.
    Publish,
    /// On local disk, between making the new link and renaming it over the old one.
    Swap,
}

impl CrashPoint {
    pub const ALL: [CrashPoint; 5] = [
        CrashPoint::Ingest,
        CrashPoint::Render,
        CrashPoint::Write,
        CrashPoint::Publish,
        CrashPoint::Swap,
    ];
}

/// Ends the process at once when `configured` is `here`.
pub fn at(configured: Option<CrashPoint>, here: CrashPoint) {
    if configured == Some(here) {
        std::process::abort();
    }
}

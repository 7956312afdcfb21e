//! The `baseline` binary: parse the command line and hand over to [`baseline::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    baseline::cli::main()
}

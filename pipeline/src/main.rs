//! The `baseline` binary: parse the command line and hand over to [`baseline::cli`].

use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    baseline::cli::main()
}

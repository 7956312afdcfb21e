//! Times the return readers alone, on one thread: every return and plan of a folder read as
//! the batch reads it, by format, with the XLSX size guard timed on its own.
//!
//!     cargo run --release --example returns_bench -- FOLDER
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use baseline::ingest::Limits;
use baseline::ingest::names::ReturnFormat;
use baseline::ingest::returns::{read_return, read_table};
use baseline::ingest::unpacks_past;

fn main() {
    let folder = std::env::args().nth(1).expect("a folder of returns");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().contains("_inventory."))
        .collect();
    files.sort();
    let files: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|p| (p.to_string_lossy().into_owned(), std::fs::read(p).unwrap()))
        .collect();
    let limits = Limits::default();
    let mut timed: Vec<(&str, usize, Duration)> = Vec::new();
    let mut time = |label: &'static str, run: &dyn Fn(&str, &[u8]) -> bool| {
        let start = Instant::now();
        let count = files
            .iter()
            .filter(|(name, bytes)| run(name, bytes))
            .count();
        timed.push((label, count, start.elapsed()));
    };
    let format = |name: &str| match name.rsplit('.').next() {
        Some("json") => ReturnFormat::Json,
        Some("xlsx") => ReturnFormat::Xlsx,
        _ => ReturnFormat::Csv,
    };
    for pass in ["json", "csv", "xlsx"] {
        let label = match pass {
            "json" => "returns, json",
            "csv" => "returns and plans, csv",
            _ => "returns and plans, xlsx",
        };
        time(label, &|name, bytes| {
            if !name.ends_with(pass) {
                return false;
            }
            if name.contains("_plan.") {
                read_table(pass == "xlsx", bytes, "Plan", &limits).is_ok()
            } else {
                read_return(format(name), bytes, &limits).is_ok()
            }
        });
    }
    time("xlsx size guard alone", &|name, bytes| {
        name.ends_with("xlsx") && !unpacks_past(bytes, limits.max_xlsx_unpacked_bytes)
    });
    for (label, count, took) in timed {
        println!(
            "{label:<26} {count:>5} files  {:>7.1} ms  {:>6.1} µs a file",
            took.as_secs_f64() * 1e3,
            took.as_secs_f64() * 1e6 / count.max(1) as f64
        );
    }
}

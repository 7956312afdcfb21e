//! Times the inventory path alone: every `*_inventory.csv` of a folder read and checked one
//! by one, then reduced to counts in batches, as the batch does.
//!
//!     cargo run --release --example inventory_bench -- FOLDER [PERIOD]
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

use std::time::Instant;

use baseline::contract::Contract;
use baseline::ingest::counts::{Counting, summarise};
use baseline::ingest::inventory::read_inventory;
use baseline::ingest::names::InventoryFormat;
use baseline::validate::Limits;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let period = args
        .get(2)
        .map_or("2026-10", String::as_str)
        .parse()
        .unwrap();
    let contract = Contract::load(std::path::Path::new("schemas")).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&args[1])
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("_inventory.csv"))
        .collect();
    files.sort();
    let start = Instant::now();
    let bytes: Vec<bytes::Bytes> = files
        .iter()
        .map(|p| std::fs::read(p).unwrap().into())
        .collect();
    let read = start.elapsed();
    let start = Instant::now();
    let spec = &contract.dictionary.inventory;
    let counting = Counting::new(&contract, period);
    let frames: Vec<_> = bytes
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            (
                i.to_string(),
                read_inventory(
                    InventoryFormat::Csv,
                    b,
                    spec,
                    &Limits::default(),
                    Some(&counting),
                )
                .unwrap()
                .tally,
            )
        })
        .collect();
    let parsed = start.elapsed();
    let rows: u64 = frames
        .iter()
        .map(|(_, t)| t.devices.values().sum::<u64>())
        .sum();
    let start = Instant::now();
    let mut frames = frames;
    while !frames.is_empty() {
        let batch: Vec<_> = frames.drain(..frames.len().min(256)).collect();
        summarise(batch, &contract).unwrap();
    }
    let counted = start.elapsed();
    println!(
        "{} files, {rows} rows: read {read:?}, parsed and checked {parsed:?}, counted {counted:?}",
        files.len()
    );
}

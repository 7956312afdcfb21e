#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| baseline_fuzz::check("A10045_2026-10_inventory.parquet", data));

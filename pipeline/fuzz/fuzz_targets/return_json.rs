#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| baseline_fuzz::check("A10015_2026-10_return.json", data));

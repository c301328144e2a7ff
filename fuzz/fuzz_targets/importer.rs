//! See `fuzz/props.rs` for what this target checks.
#![no_main]
#[path = "../props.rs"]
mod props;
libfuzzer_sys::fuzz_target!(|data: &[u8]| props::importer(data));

//! Fuzz target `calendar_import`: see `fuzz/entry_points.rs` for what it drives and asserts.
#![no_main]

#[path = "../entry_points.rs"]
mod entry_points;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry_points::calendar_import(data));

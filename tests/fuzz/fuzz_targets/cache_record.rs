//! A source record of the on-disk cache with its body fuzzed: decoded from memory and from a
//! mapped file alike, never a panic, every accepted map inside its original.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::cache_record(data));

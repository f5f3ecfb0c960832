//! The quote matcher with both pattern and text fuzzed. The input is split at the first NUL:
//! the pattern (pieces separated by `|`; a piece starting with `~` is a gap) and the source text.
//! Whatever is found lies inside the haystack, on char boundaries, segments within the range.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::matcher(data));

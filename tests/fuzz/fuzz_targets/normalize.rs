//! The normaliser and its offset map: `clean_text` (plain and Markdown), `key_of_clean`,
//! `normalize_key`. Every normalised byte maps inside the original onto char boundaries, and
//! `from_original` lands on char boundaries of the normalised text, never going back.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::normalize(data));

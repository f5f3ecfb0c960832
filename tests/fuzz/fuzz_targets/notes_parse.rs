//! The notes parser (citations, quotations, definitions, sentences) on arbitrary text: never
//! panics, and every range it reports lies inside the text on char boundaries.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::notes_parse(data));

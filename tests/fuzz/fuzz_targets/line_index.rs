//! LSP position conversions (`LineIndex`): lines end at `\n`, `\r\n` and a lone `\r`; byte
//! offset → line/column → byte offset round-trips in UTF-8, UTF-16 and UTF-32 for every char
//! boundary not inside `\r\n`, and arbitrary (line, column) pairs give offsets on char
//! boundaries inside the text.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::line_index(data));

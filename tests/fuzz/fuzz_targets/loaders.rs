//! The configuration and bibliography loaders: `ibid.toml` (`Config::parse`), BibTeX and CSL
//! JSON (`parse_bibliography`), YAML frontmatter. Never panic; entry ranges lie in the file.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::loaders(data));

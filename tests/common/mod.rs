//! Shared test helpers.
#![allow(dead_code)]

use std::path::PathBuf;

/// The sample corpus beside the project (`../shared/corpus`). Tests that read it fail loudly when
/// it is missing rather than skipping.
pub fn shared_corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    assert!(
        dir.join("refs.bib").is_file(),
        "the sample corpus is missing: expected {}",
        dir.display()
    );
    dir.canonicalize().expect("canonical shared corpus path")
}

/// Reads one file of the sample corpus.
pub fn shared_source(name: &str) -> String {
    std::fs::read_to_string(shared_corpus().join(name)).expect("read shared corpus file")
}

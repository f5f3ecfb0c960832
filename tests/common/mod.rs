//! Shared test helpers.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

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

/// Runs the `ibid` binary with `args`: exit code, stdout, stderr.
pub fn run_ibid(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ibid"))
        .args(args)
        .output()
        .expect("run ibid");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The bundled example workspace.
pub fn example_workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples")
}

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

/// The cache folder the `ibid` processes of this test run share (`IBID_CACHE_DIR`), so that
/// checking a workspace that is not a temporary folder (the sample corpus, `examples/`) writes no
/// `.ibid/` into it. One per run: nothing is left from a build with another cache format.
pub fn test_cache_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cache-{}", std::process::id()))
    })
    .clone()
}

/// Runs the `ibid` binary with `args`: exit code, stdout, stderr.
pub fn run_ibid(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ibid"))
        .args(args)
        .env("IBID_CACHE_DIR", test_cache_dir())
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

/// `n` words of `file` starting at `anchor`, as a writer copies them: Markdown links and emphasis
/// reduced to their text, double quote marks inside turned into single ones, whitespace (line
/// breaks, blank lines, non-breaking spaces) collapsed.
pub fn passage(file: &str, anchor: &str, n: usize) -> String {
    as_writer_copies(&source_words(file, anchor, n))
}

/// `n` words of sample source `file` starting at `anchor`, exactly as the source has them, joined
/// by single spaces.
pub fn source_words(file: &str, anchor: &str, n: usize) -> String {
    let text = shared_source(file);
    let start = text
        .find(anchor)
        .unwrap_or_else(|| panic!("anchor {anchor:?} not in {file}"));
    let words: Vec<&str> = text[start..].split_whitespace().take(n).collect();
    words.join(" ")
}

/// A passage as a writer copies it (see `passage`).
pub fn as_writer_copies(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    // `[text](target)` → `text`
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|i| open + i) else {
            break;
        };
        let Some(end) = rest[close..].find(')').map(|i| close + i) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out.replace("**", "")
        .replace(['“', '”'], "'")
        .replace('"', "'")
        .replace('\u{a0}', " ")
}

/// The matching key of a text (normalised: case, quote marks, dashes, whitespace...).
pub fn key(text: &str) -> String {
    ibid::corpus::normalize_key(text).text.to_string()
}

//! Integration tests of the on-disk cache through the real binary: a warm `ibid check` prints
//! exactly what a cold one and an uncached one print; `IBID_CACHE_DIR` moves the cache; an
//! unwritable cache folder is a log line, not a failure; `.ibid/` is never read as notes.

use std::path::Path;
use std::process::Command;

use crate::common::{shared_corpus, source_words};

/// A workspace whose `corpus/` is the sample corpus (a symlink) with one note: a quotation copied
/// from a source, the same with a word changed, and an invented one.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(shared_corpus(), dir.path().join("corpus")).expect("symlink");
    std::fs::create_dir(dir.path().join("notes")).expect("mkdir notes");
    let exact = source_words("mahoney2024.txt", "who emphasize", 9);
    let changed = exact.replacen(' ', " very ", 1);
    let note = format!(
        "# Note\n\nAs written, \"{exact}\" [@{k}].\n\nMisquoted, \"{changed}\" [@{k}].\n\n\
         Invented, \"the tide tables were printed on blue paper that year\" [@{k}].\n",
        k = "mahoney2024",
    );
    std::fs::write(dir.path().join("notes/n.md"), note).expect("write note");
    dir
}

/// `ibid check --format json <root> [extra]` with `IBID_CACHE_DIR` set to `cache` (or unset):
/// exit code, stdout, stderr.
fn check(root: &Path, cache: Option<&Path>, extra: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ibid"));
    command
        .args(["check", "--format", "json"])
        .arg(root)
        .args(extra);
    command.env("RUST_LOG", "ibid=info");
    match cache {
        Some(dir) => command.env("IBID_CACHE_DIR", dir),
        None => command.env_remove("IBID_CACHE_DIR"),
    };
    let output = command.output().expect("run ibid");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn warm_cold_and_uncached_checks_print_the_same_bytes() {
    let ws = workspace();
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = cache.path().join("ibid-cache");
    let uncached = check(ws.path(), Some(&dir), &["--no-cache"]);
    assert!(!dir.exists(), "--no-cache wrote a cache");
    assert!(
        uncached.1.contains("quote-not-found") && uncached.1.contains("quote-inexact"),
        "{}",
        uncached.1
    );
    let cold = check(ws.path(), Some(&dir), &[]);
    let warm = check(ws.path(), Some(&dir), &[]);
    assert_eq!(cold.0, uncached.0);
    assert_eq!(cold.1, uncached.1);
    assert_eq!(warm.0, uncached.0);
    assert_eq!(warm.1, uncached.1);
    // IBID_CACHE_DIR holds the cache; the workspace holds none.
    assert_eq!(
        std::fs::read_to_string(dir.join(".gitignore"))
            .ok()
            .as_deref(),
        Some("*\n")
    );
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("cache folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("manifest-")),
        "{names:?}"
    );
    // Records live in packs, each pack with its index.
    let packs: Vec<String> = std::fs::read_dir(dir.join("packs"))
        .expect("packs")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let (indexes, packs): (Vec<&String>, Vec<&String>) =
        packs.iter().partition(|name| name.ends_with(".idx"));
    assert!(!packs.is_empty(), "{packs:?}");
    assert_eq!(indexes.len(), packs.len(), "{indexes:?} {packs:?}");
    assert!(!ws.path().join(".ibid").exists());
}

#[test]
fn the_default_cache_is_ibid_at_the_root_and_is_not_read_as_notes() {
    let ws = workspace();
    let first = check(ws.path(), None, &[]);
    let ibid = ws.path().join(".ibid");
    assert!(ibid.join(".gitignore").is_file());
    // A Markdown file inside the cache folder would be a note if discovery looked there.
    std::fs::write(
        ibid.join("stray.md"),
        "\"an uncited quotation of many words here\"\n",
    )
    .expect("write");
    let second = check(ws.path(), None, &[]);
    assert_eq!((first.0, &first.1), (second.0, &second.1));
    let workspace = ibid::workspace::Workspace::load(ws.path()).expect("workspace");
    assert!(
        workspace
            .notes
            .iter()
            .chain(&workspace.sources)
            .all(|p| !p.starts_with(&ibid)),
        "{:?} {:?}",
        workspace.notes,
        workspace.sources
    );
}

#[test]
fn an_unwritable_cache_folder_is_a_log_line_not_an_error() {
    let ws = workspace();
    let blocker = tempfile::NamedTempFile::new().expect("a file");
    let dir = blocker.path().join("cache");
    let uncached = check(ws.path(), None, &["--no-cache"]);
    let (code, stdout, stderr) = check(ws.path(), Some(&dir), &[]);
    assert_eq!((code, stdout.as_str()), (uncached.0, uncached.1.as_str()));
    assert!(
        stderr.contains("cache folder") && stderr.contains("not written"),
        "{stderr}"
    );
}

/// Sets a file's modification time a minute back: the cache trusts only times older than a
/// couple of seconds.
fn age(path: &Path) {
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
        .expect("set the time");
}

#[test]
fn an_unchanged_check_replays_its_report_and_any_change_is_checked_again() {
    let ws = workspace();
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = cache.path().join("c");
    std::fs::create_dir(ws.path().join("sources")).expect("mkdir");
    let extra = ws.path().join("sources/flood1990.txt");
    std::fs::write(
        &extra,
        "The flood of that spring reached the second floor of the mill.\n",
    )
    .expect("write");
    age(&extra);
    let note = ws.path().join("notes/n.md");
    let mut text = std::fs::read_to_string(&note).expect("read");
    text.push_str("\nThen \"reached the second floor of the mill\" [@flood1990].\n");
    std::fs::write(&note, &text).expect("write");
    let replayed = |stderr: &str| stderr.contains("nothing changed since the last check");

    let first = check(ws.path(), Some(&dir), &[]);
    assert!(!replayed(&first.2), "{}", first.2);
    let second = check(ws.path(), Some(&dir), &[]);
    assert!(replayed(&second.2), "{}", second.2);
    assert_eq!((first.0, &first.1), (second.0, &second.1));
    // Another format is another report.
    let sarif = check(ws.path(), Some(&dir), &["--format", "sarif"]);
    assert!(!replayed(&sarif.2));

    // A note changes: checked again, and the same as without a cache.
    std::fs::write(&note, text.replace("Invented", "Made up")).expect("write");
    let after_note = check(ws.path(), Some(&dir), &[]);
    assert!(!replayed(&after_note.2), "{}", after_note.2);
    assert_eq!(after_note.1, check(ws.path(), None, &["--no-cache"]).1);

    // A source changes: the quotation no longer matches it.
    std::fs::write(
        &extra,
        "The flood of that spring reached the first floor only.\n",
    )
    .expect("write");
    age(&extra);
    let after_source = check(ws.path(), Some(&dir), &[]);
    assert!(!replayed(&after_source.2), "{}", after_source.2);
    let uncached = check(ws.path(), None, &["--no-cache"]);
    assert_eq!(after_source.1, uncached.1);
    assert_ne!(after_source.1, after_note.1);
    assert!(replayed(&check(ws.path(), Some(&dir), &[]).2));
}

//! Integration tests: `ibid check` end to end, through the real binary.
//!
//! Over the sample corpus the notes are assembled at run time from the sources themselves (a short
//! anchor locates a passage; the test copies its words as a writer would), so no sentence of the
//! corpus is stored in the project. Each case sits on its own line; the test asserts the codes
//! reported on each line and, where a diagnostic points into a source, the text of that range.

use std::path::{Path, PathBuf};

use ibid::text::{ColumnEncoding, LineCol, LineIndex};
use serde_json::Value;

use crate::common::{key, passage, run_ibid, shared_corpus};

/// Runs `ibid check <args>`: exit code, stdout, stderr.
fn ibid_check(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    run_ibid(&all)
}

fn check_json(root: &Path) -> (i32, Vec<Value>) {
    let (code, stdout, stderr) = ibid_check(&[root.to_str().unwrap(), "--format", "json"]);
    let value: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    let diagnostics = value["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .clone();
    (code, diagnostics)
}

/// A temporary workspace whose `corpus/` is the sample corpus (a symlink) and whose only note is
/// `note`.
fn workspace_with_note(note: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(shared_corpus(), dir.path().join("corpus")).expect("symlink");
    std::fs::create_dir(dir.path().join("notes")).expect("mkdir notes");
    std::fs::write(dir.path().join("notes/check.md"), note).expect("write note");
    dir
}

/// Builds a note with one case per paragraph; returns the text and each case's (zero-based) line.
fn note_of(cases: &[(&str, String)]) -> (String, Vec<(String, u64)>) {
    let mut text = String::from("# Checks\n\n");
    let mut lines = Vec::new();
    for (name, paragraph) in cases {
        let line = text.matches('\n').count() as u64;
        text.push_str(paragraph);
        text.push_str("\n\n");
        lines.push((name.to_string(), line));
    }
    (text, lines)
}

fn codes_on_line(diagnostics: &[Value], line: u64) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics
        .iter()
        .filter(|d| d["path"] == "notes/check.md" && d["range"]["start"]["line"] == line)
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect();
    codes.sort();
    codes
}

/// The text of a JSON range (UTF-16 columns) in a file of the workspace.
fn slice_of(root: &Path, related: &Value) -> (PathBuf, String) {
    let path = root.join(related["path"].as_str().expect("related path"));
    let text = std::fs::read_to_string(&path).expect("read related file");
    let index = LineIndex::new(&text);
    let pos = |p: &Value| LineCol {
        line: p["line"].as_u64().unwrap() as u32,
        col: p["character"].as_u64().unwrap() as u32,
    };
    let start = index.offset(
        &text,
        pos(&related["range"]["start"]),
        ColumnEncoding::Utf16,
    );
    let end = index.offset(&text, pos(&related["range"]["end"]), ColumnEncoding::Utf16);
    (path, text[start..end].to_string())
}

#[test]
fn shared_corpus_correct_quotes_are_clean_and_each_problem_is_caught() {
    let link = passage("tsjeng2024.md", "At the forefront of China", 24);
    let cjk = passage("mahoney2024.txt", "who emphasize", 9);
    let split = format!(
        "{} {}",
        passage("qiang2024.md", "We believe that it is", 5),
        passage("qiang2024.md", "necessary to advocate common", 8)
    );
    let people = passage("qiang2024.md", "infrastructure connectivity, unimpeded", 10);
    let drop_cap = format!(
        "C{}",
        passage("qiang2024.md", "HARACTERISTICALLY", 12)
            .replace("HARACTERISTICALLY", "haracteristically")
            .replace(" ✓", "")
    );
    let politburo = passage("politburo2023.txt", "Ever since Russia began", 18);
    let voa = passage("voa2023.txt", "Vietnam appears to be showing", 22);
    let elided = format!(
        "{} ... {}",
        passage("tsjeng2024.md", "The pattern is clear", 8),
        passage("tsjeng2024.md", "sweep all tensions", 8)
    );
    // The source breaks "win-win" over a blank line ("win-", blank line, "win"): a writer
    // copies the compound whole.
    let hyphen_split =
        passage("qiang2024.md", "peace, development,", 7).replace("win- win", "win-win");
    assert!(
        hyphen_split.ends_with("win-win solutions,"),
        "{hyphen_split}"
    );
    let block = passage("politburo2023.txt", "Chinese President Xi Jinping met", 16);

    // Problems, derived from real passages by changing them the way writers slip.
    let original = passage("politburo2023.txt", "These have fuelled concerns", 14);
    let misquote = original.replace("concerns", "fears");
    assert_ne!(original, misquote);
    let year = passage("qiang2024.md", "In April 2014", 12);
    let wrong_year = year.replace("2014", "2015");
    let misattributed = passage("voa2023.txt", "In the latest example of Hanoi", 14);
    let uncited = passage("mahoney2024.txt", "Such authentic inclusiveness", 12);

    let cases = vec![
        ("link", format!("Tsjeng writes that \"{link}\" [@tsjeng2024].")),
        ("cjk", format!("Mahoney praises those \"{cjk}\" [@mahoney2024].")),
        ("split", format!("Xi said: \"{split}\" [@qiang2024].")),
        ("people", format!("The essay lists \"{people}\" [@qiang2024, p. 76].")),
        (
            "people-fixed",
            format!(
                "Corrected: \"{}\" [@qiang2024].",
                people.replace("people-topeople", "people-to-people")
            ),
        ),
        ("drop-cap", format!("\"{drop_cap}\" [@qiang2024].")),
        ("politburo", format!("As reported, \"{politburo}\" [@politburo2023].")),
        ("voa", format!("According to VOA, \"{voa}\" [@voa2023].")),
        ("elided", format!("Tsjeng: \"{elided}\" [@tsjeng2024].")),
        ("hyphen-split", format!("They name \"{hyphen_split}\" [@qiang2024].")),
        ("in-text", format!("@voa2023 reports that \"{voa}\".")),
        ("block", format!("> {block}\n\n[@politburo2023]")),
        ("misquote", format!("Observers \"{misquote}\" [@politburo2023].")),
        ("wrong-year", format!("\"{wrong_year}\" [@qiang2024].")),
        (
            "misattributed",
            format!("Tsjeng notes that \"{misattributed}\" [@tsjeng2024]."),
        ),
        (
            "invented",
            "The essay claims the bloc \"pledged to double its budget for maritime patrols before the next spring summit\" [@qiang2024].".to_string(),
        ),
        ("unknown-key", "Nobody wrote this work [@qiang2025].".to_string()),
        ("uncited", format!("One commentator hopes that \"{uncited}\".")),
        (
            "code",
            "Code is not checked: `\"an invented quotation inside code\" [@nobody2020]`."
                .to_string(),
        ),
    ];
    let (note, lines) = note_of(&cases);
    let dir = workspace_with_note(&note);
    let root = dir.path().canonicalize().unwrap();
    let (exit, diagnostics) = check_json(&root);
    assert_eq!(exit, 1, "errors present: exit code 1\n{diagnostics:#?}");

    let expected: &[(&str, &[&str])] = &[
        ("link", &[]),
        ("cjk", &[]),
        ("split", &[]),
        ("people", &[]),
        ("people-fixed", &[]),
        ("drop-cap", &[]),
        ("politburo", &[]),
        ("voa", &[]),
        ("elided", &[]),
        ("hyphen-split", &[]),
        ("in-text", &[]),
        ("block", &[]),
        ("misquote", &["quote-inexact"]),
        ("wrong-year", &["quote-inexact"]),
        ("misattributed", &["quote-misattributed"]),
        ("invented", &["quote-not-found"]),
        ("unknown-key", &["unknown-source"]),
        ("uncited", &["uncited-quote"]),
        ("code", &[]),
    ];
    let mut failures = Vec::new();
    for ((name, line), (expected_name, codes)) in lines.iter().zip(expected) {
        assert_eq!(name, expected_name);
        let got = codes_on_line(&diagnostics, *line);
        if got != *codes {
            failures.push(format!(
                "{name} (line {line}): expected {codes:?}, got {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nnote:\n{note}\n\ndiagnostics: {diagnostics:#?}",
        failures.join("\n")
    );

    // Related ranges point at the passage in the right source.
    let line_of = |name: &str| lines.iter().find(|(n, _)| n == name).unwrap().1;
    let related_of = |name: &str| {
        let line = line_of(name);
        diagnostics
            .iter()
            .find(|d| d["range"]["start"]["line"] == line)
            .map(|d| d["related"][0].clone())
            .unwrap_or_else(|| panic!("no diagnostic for {name}"))
    };
    let (path, slice) = slice_of(&root, &related_of("misattributed"));
    assert!(path.ends_with("voa2023.txt"), "{path:?}");
    assert_eq!(key(&slice), key(&misattributed));
    let (path, slice) = slice_of(&root, &related_of("misquote"));
    assert!(path.ends_with("politburo2023.txt"), "{path:?}");
    assert_eq!(key(&slice), key(&original));
    let (path, slice) = slice_of(&root, &related_of("uncited"));
    assert!(path.ends_with("mahoney2024.txt"), "{path:?}");
    assert_eq!(key(&slice), key(&uncited));
    let (path, slice) = slice_of(&root, &related_of("wrong-year"));
    assert!(path.ends_with("qiang2024.md"), "{path:?}");
    assert_eq!(key(&slice), key(&year));

    // The misquote's message carries the source's real words.
    let misquote_message = diagnostics
        .iter()
        .find(|d| d["range"]["start"]["line"] == line_of("misquote"))
        .and_then(|d| d["message"].as_str())
        .unwrap()
        .to_string();
    assert!(misquote_message.contains("concerns"), "{misquote_message}");
    let year_message = diagnostics
        .iter()
        .find(|d| d["range"]["start"]["line"] == line_of("wrong-year"))
        .and_then(|d| d["message"].as_str())
        .unwrap()
        .to_string();
    assert!(year_message.contains("2014"), "{year_message}");
}

/// An `ibid.toml` reaching the sample corpus outside the workspace: refused (each pattern and
/// the bibliography reported on its line of `ibid.toml`, nothing read from there) unless the user
/// allows it with `--allow-outside-root`.
#[test]
fn ibid_toml_pointing_outside_the_workspace_is_refused_unless_allowed() {
    let corpus = shared_corpus();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "corpus = [\"{c}/*.md\", \"{c}/*.txt\"]\nnotes = [\"*.md\"]\nbibliography = \"{c}/refs.bib\"\n",
        c = corpus.display()
    );
    std::fs::write(dir.path().join("ibid.toml"), config).unwrap();
    let quote = passage("voa2023.txt", "Vietnam appears to be showing", 12);
    std::fs::write(
        dir.path().join("n.md"),
        format!("\"{quote}\" [@voa2023].\n\n\"{quote}\" [@mahoney2024].\n"),
    )
    .unwrap();
    let root = dir.path().canonicalize().unwrap();

    let (exit, diagnostics) = check_json(&root);
    assert_eq!(exit, 1);
    let refused: Vec<(&str, u64)> = diagnostics
        .iter()
        .filter(|d| d["code"] == "outside-workspace")
        .map(|d| {
            assert!(
                d["message"]
                    .as_str()
                    .unwrap()
                    .contains("points outside the workspace"),
                "{d}"
            );
            (
                d["path"].as_str().unwrap(),
                d["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        vec![("ibid.toml", 0), ("ibid.toml", 0), ("ibid.toml", 2)]
    );
    // Nothing was read from outside: both citations name unknown sources.
    let unknown = diagnostics
        .iter()
        .filter(|d| d["code"] == "unknown-source")
        .count();
    assert_eq!(unknown, 2, "{diagnostics:#?}");

    let (code, stdout, stderr) = ibid_check(&[
        root.to_str().unwrap(),
        "--format",
        "json",
        "--allow-outside-root",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let value: Value = serde_json::from_str(&stdout).expect("JSON");
    let codes: Vec<(u64, &str)> = value["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(codes, vec![(2, "quote-misattributed")]);
}

/// The example workspace shows each diagnostic on the line that sets it up.
#[test]
fn example_workspace_reports_each_problem_on_its_line() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let (exit, diagnostics) = check_json(&root);
    assert_eq!(exit, 1);
    let note = std::fs::read_to_string(root.join("notes/briefing.md")).unwrap();
    let line_with = |needle: &str| -> u64 {
        note.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} not in the example note")) as u64
    };
    let mut got: Vec<(u64, String)> = diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d["path"], "notes/briefing.md", "{d:#}");
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut expected = vec![
        (
            line_with("fell to 28 per cent"),
            "quote-inexact".to_string(),
        ),
        (
            line_with("every state sees the same"),
            "quote-misattributed".to_string(),
        ),
        (
            line_with("has never once failed"),
            "quote-not-found".to_string(),
        ),
        (line_with("[@halden2012]"), "unknown-source".to_string()),
        (line_with("We agreed because"), "uncited-quote".to_string()),
        (
            line_with("first put forward by the upstream states"),
            "unsupported-claim".to_string(),
        ),
        (
            line_with("lowest water levels on the Riverbend"),
            "uncited-claim".to_string(),
        ),
    ];
    expected.sort();
    assert_eq!(got, expected, "{diagnostics:#?}");
}

#[test]
fn human_output_shows_code_location_and_source_excerpt() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let (exit, stdout, _) = ibid_check(&[root.to_str().unwrap(), "--color", "never"]);
    assert_eq!(exit, 1);
    assert!(stdout.contains("error[quote-not-found]"), "{stdout}");
    assert!(stdout.contains("warning[quote-inexact]"), "{stdout}");
    assert!(stdout.contains("notes/briefing.md:"), "{stdout}");
    // The related source excerpt is shown with its path.
    assert!(stdout.contains("sources/osei2022.txt:"), "{stdout}");
    assert!(
        stdout.contains("5 errors") || stdout.contains("errors"),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{1b}'), "no colour when asked: {stdout}");
}

/// The human report lists the diagnostics in the JSON report's order (they are rendered side by
/// side, then joined), each under its code and at its note's line.
#[test]
fn human_output_lists_diagnostics_in_report_order() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let (_, diagnostics) = check_json(&root);
    let expected: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            let line = d["range"]["start"]["line"].as_u64().expect("a line") + 1;
            format!(
                "{} {}:{line}",
                d["code"].as_str().expect("a code"),
                d["path"].as_str().expect("a path")
            )
        })
        .collect();
    assert!(expected.len() > 3, "{expected:?}");
    let (_, stdout, _) = ibid_check(&[root.to_str().unwrap(), "--color", "never"]);
    let lines: Vec<&str> = stdout.lines().collect();
    let got: Vec<String> = lines
        .windows(2)
        .filter_map(|pair| {
            let code = pair[0].split_once('[')?.1.split_once(']')?.0;
            let at = pair[1].trim_start().strip_prefix("--> ")?;
            let (place, _column) = at.rsplit_once(':')?;
            (!pair[0].starts_with("note")).then(|| format!("{code} {place}"))
        })
        .collect();
    assert_eq!(got, expected, "{stdout}");
}

#[test]
fn a_workspace_that_cannot_be_read_exits_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ibid.toml"), "corpus = 5\n").unwrap();
    let (exit, stdout, stderr) = ibid_check(&[dir.path().to_str().unwrap()]);
    assert_eq!(exit, 2, "stdout: {stdout}");
    assert!(stderr.contains("ibid.toml"), "{stderr}");
    assert!(stderr.contains("corpus"), "{stderr}");

    let (exit, _, stderr) = ibid_check(&["/no/such/workspace"]);
    assert_eq!(exit, 2);
    assert!(stderr.contains("/no/such/workspace"), "{stderr}");
}

#[test]
fn a_clean_workspace_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sources")).unwrap();
    std::fs::write(
        dir.path().join("sources/plain.txt"),
        "The lighthouse keeper counted ships every night for forty years.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("note.md"),
        "He \"counted ships every night for forty years\" [@plain].\n",
    )
    .unwrap();
    let (exit, diagnostics) = check_json(&dir.path().canonicalize().unwrap());
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(exit, 0);
}

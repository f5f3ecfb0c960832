//! Features end to end through the in-process server over temporary workspaces written from
//! scratch (fixtures as Markdown with a `$0` cursor), and over a copy of the sample corpus.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::harness::{TestClient, file_uri, in_process};

/// A temporary workspace and where its `$0` cursor was.
pub(super) struct Workspace {
    dir: tempfile::TempDir,
    cursor: Option<(String, usize)>,
}

const CONFIG: &str = "corpus = [\"sources/**/*.md\", \"sources/**/*.txt\"]\nnotes = [\"notes/**/*.md\"]\nbibliography = \"refs.bib\"\n";

const LEVEE: &str = "# On levees\n\nThe levee held through the storm of 1987. Then the water fell, slowly, over a week.\n";

const BIB: &str = "@article{smith2020,\n  title = {On Levees},\n  author = {Smith, Jane},\n  date = {2020},\n  file = {sources/smith2020.md}\n}\n";

impl Workspace {
    /// Writes `files` (relative path, text); a `$0` in one of them marks the cursor.
    pub(super) fn new(files: &[(&str, &str)]) -> Workspace {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cursor = None;
        for (relative, text) in files {
            let path = dir.path().join(relative);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            let text = match text.find("$0") {
                Some(offset) => {
                    cursor = Some((relative.to_string(), offset));
                    text.replacen("$0", "", 1)
                }
                None => text.to_string(),
            };
            std::fs::write(&path, text).expect("write fixture file");
        }
        Workspace { dir, cursor }
    }

    /// The standard small workspace plus `notes`.
    pub(super) fn with_notes(notes: &[(&str, &str)]) -> Workspace {
        let mut files = vec![
            ("ibid.toml", CONFIG),
            ("refs.bib", BIB),
            ("sources/smith2020.md", LEVEE),
        ];
        files.extend_from_slice(notes);
        Workspace::new(&files)
    }

    pub(super) fn root(&self) -> &Path {
        self.dir.path()
    }

    pub(super) fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    pub(super) fn uri(&self, relative: &str) -> String {
        file_uri(&self.path(relative))
    }

    pub(super) fn text(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).expect("read fixture file")
    }

    /// The cursor: (uri, UTF-16 position).
    pub(super) fn cursor(&self) -> (String, Value) {
        let (relative, offset) = self.cursor.clone().expect("fixture has no $0");
        let text = self.text(&relative);
        (self.uri(&relative), position(&text, offset))
    }

    pub(super) async fn start(&self) -> TestClient {
        let (client, _server) = in_process();
        client
            .initialize(Some(self.root()), false, Value::Null)
            .await;
        // The load has ended once its progress has.
        client
            .wait_notification("the end of the load", |n| {
                n["method"] == "$/progress" && n["params"]["value"]["kind"] == "end"
            })
            .await;
        client
    }
}

/// The UTF-16 position of a byte offset.
pub(super) fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    json!({"line": line, "character": col})
}

/// The byte offset of a UTF-16 position.
pub(super) fn offset(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().expect("line") as usize;
    let col = position["character"].as_u64().expect("character") as usize;
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[line_start..].char_indices() {
        if units >= col || c == '\n' {
            return line_start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The text a JSON range covers.
pub(super) fn slice<'a>(text: &'a str, range: &Value) -> &'a str {
    &text[offset(text, &range["start"])..offset(text, &range["end"])]
}

/// Applies JSON text edits to `text`, back to front.
pub(super) fn apply(text: &str, edits: &[Value]) -> String {
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(text, &e["range"]["start"]),
                offset(text, &e["range"]["end"]),
                e["newText"].as_str().expect("newText"),
            )
        })
        .collect();
    edits.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    let mut out = text.to_string();
    for (start, end, new_text) in edits {
        out.replace_range(start..end, new_text);
    }
    out
}

pub(super) fn codes(diagnostics: &[Value]) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect();
    codes.sort();
    codes
}

pub(super) fn has_code(code: &'static str) -> impl Fn(&[Value]) -> bool {
    move |diagnostics| codes(diagnostics).iter().any(|c| c == code)
}

pub(super) fn point(uri: &str, position: &Value) -> Value {
    json!({"textDocument": {"uri": uri}, "position": position})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_on_disk_get_diagnostics_without_being_opened() {
    let workspace = Workspace::with_notes(&[(
        "notes/a.md",
        "# A\n\nShe wrote \"the levee collapsed in the storm of 1987\" [@smith2020].\n\nUnknown [@nobody1999].\n",
    )]);
    let client = workspace.start().await;
    let uri = workspace.uri("notes/a.md");
    let diagnostics = client
        .diagnostics_for(&uri, |d| has_code("unknown-source")(d) && d.len() >= 2)
        .await;
    let text = workspace.text("notes/a.md");
    let unknown = diagnostics
        .iter()
        .find(|d| d["code"] == "unknown-source")
        .expect("unknown-source");
    assert_eq!(unknown["source"], "ibid");
    assert!(
        slice(&text, &unknown["range"]).contains("nobody1999"),
        "{unknown}"
    );
    let quote = diagnostics
        .iter()
        .find(|d| d["code"] != "unknown-source")
        .expect("a quotation diagnostic");
    assert!(
        slice(&text, &quote["range"]).contains("the levee collapsed"),
        "{quote}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_updates_diagnostics_with_the_document_version() {
    let workspace = Workspace::with_notes(&[("notes/a.md", "# A\n\nNothing yet.\n")]);
    let client = workspace.start().await;
    let uri = workspace.uri("notes/a.md");
    client.open(&uri, &workspace.text("notes/a.md"));
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": {"start": {"line": 2, "character": 12}, "end": {"line": 2, "character": 12}}, "text": " As [@nobody1999] says."}]
        }),
    );
    client
        .diagnostics_for(&uri, has_code("unknown-source"))
        .await;
    let published = client
        .wait_notification("versioned diagnostics", |n| {
            n["method"] == "textDocument/publishDiagnostics"
                && n["params"]["uri"] == uri.as_str()
                && n["params"]["version"] == 2
        })
        .await;
    assert!(has_code("unknown-source")(
        published["params"]["diagnostics"].as_array().unwrap()
    ));
    // Fixing the key clears the diagnostic.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 3},
            "contentChanges": [{"text": "# A\n\nAs [@smith2020] says.\n"}]
        }),
    );
    client.diagnostics_for(&uri, |d| d.is_empty()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_and_definition_on_a_quotation_and_a_key() {
    let workspace = Workspace::with_notes(&[(
        "notes/a.md",
        "# 笔记 😀\n\nShe wrote \"The levee held$0 through the storm\" [@smith2020].\n",
    )]);
    let client = workspace.start().await;
    let (uri, cursor) = workspace.cursor();
    let found = client
        .result("textDocument/definition", point(&uri, &cursor))
        .await;
    let locations = found.as_array().expect("locations");
    assert_eq!(locations.len(), 1, "{found}");
    assert_eq!(locations[0]["uri"], workspace.uri("sources/smith2020.md"));
    assert_eq!(
        slice(LEVEE, &locations[0]["range"]),
        "The levee held through the storm"
    );
    // Hover on the key: the entry's title, with a range just over the key.
    let text = workspace.text("notes/a.md");
    let key = text.find("smith2020").expect("key") + 2;
    let hover = client
        .result("textDocument/hover", point(&uri, &position(&text, key)))
        .await;
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("On Levees")),
        "{hover}"
    );
    assert_eq!(slice(&text, &hover["range"]), "smith2020");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_offers_keys_after_at() {
    let workspace = Workspace::with_notes(&[("notes/a.md", "# A\n\nAs shown [@smi$0].\n")]);
    let client = workspace.start().await;
    let (uri, cursor) = workspace.cursor();
    let found = client
        .result(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": cursor, "context": {"triggerKind": 1}}),
        )
        .await;
    let items = found.as_array().expect("completion items");
    let item = items
        .iter()
        .find(|i| i["label"] == "smith2020")
        .unwrap_or_else(|| panic!("smith2020 not offered: {found}"));
    let text = workspace.text("notes/a.md");
    assert_eq!(
        apply(&text, std::slice::from_ref(&item["textEdit"])),
        "# A\n\nAs shown [@smith2020].\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quick_fix_restores_the_source_words() {
    let workspace = Workspace::with_notes(&[(
        "notes/a.md",
        "# A\n\nShe wrote \"The levee held$0 during the storm of 1987\" [@smith2020].\n",
    )]);
    let client = workspace.start().await;
    let (uri, cursor) = workspace.cursor();
    let diagnostics = client
        .diagnostics_for(&uri, has_code("quote-inexact"))
        .await;
    let inexact = diagnostics
        .iter()
        .find(|d| d["code"] == "quote-inexact")
        .expect("quote-inexact");
    assert_eq!(inexact["data"]["fix"], "replace-quote", "{inexact}");
    let related = &inexact["relatedInformation"][0]["location"];
    assert_eq!(related["uri"], workspace.uri("sources/smith2020.md"));
    assert!(slice(LEVEE, &related["range"]).contains("through the storm"));
    let actions = client
        .result(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri},
                "range": {"start": cursor, "end": cursor},
                "context": {"diagnostics": [inexact]}
            }),
        )
        .await;
    let action = actions
        .as_array()
        .and_then(|a| a.first())
        .unwrap_or_else(|| panic!("no code action: {actions}"));
    assert_eq!(action["kind"], "quickfix");
    let edits = action["edit"]["changes"][uri.as_str()]
        .as_array()
        .expect("edits in the note");
    let fixed = apply(&workspace.text("notes/a.md"), edits);
    assert!(
        fixed.contains("\"The levee held through the storm of 1987\""),
        "{fixed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_changed_on_disk_rechecks_the_notes() {
    let workspace = Workspace::with_notes(&[(
        "notes/a.md",
        "# A\n\nThey said \"the river will never flood this town\" [@smith2020].\n",
    )]);
    let client = workspace.start().await;
    let uri = workspace.uri("notes/a.md");
    client
        .diagnostics_for(&uri, |d| codes(d).iter().any(|c| c.starts_with("quote-")))
        .await;
    let source = workspace.path("sources/smith2020.md");
    std::fs::write(
        &source,
        format!("{LEVEE}\nLater they said the river will never flood this town again.\n"),
    )
    .expect("rewrite the source");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": workspace.uri("sources/smith2020.md"), "type": 2}]}),
    );
    client.diagnostics_for(&uri, |d| d.is_empty()).await;
}

/// Many files changed at once (a `git pull`): two sources rewritten, one added, events repeated,
/// in one notification. The server reloads once, and the note's quotations follow all three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sources_changed_at_once_are_all_taken_in() {
    let workspace = Workspace::new(&[
        ("ibid.toml", CONFIG),
        ("refs.bib", BIB),
        ("sources/smith2020.md", LEVEE),
        (
            "sources/doe2019.md",
            "# Doe\n\nThe harbour was quiet all winter.\n",
        ),
        (
            "notes/a.md",
            "# A\n\n\"The canal froze in March\" [@smith2020]. \"The harbour reopened in April\" \
             [@doe2019]. \"The ferries ran again at dawn\" [@roe2021].\n",
        ),
    ]);
    let client = workspace.start().await;
    let uri = workspace.uri("notes/a.md");
    client
        .diagnostics_for(&uri, |d| {
            codes(d).iter().filter(|c| *c == "quote-not-found").count() == 2
        })
        .await;
    std::fs::write(
        workspace.path("sources/smith2020.md"),
        format!("{LEVEE}\nThe canal froze in March.\n"),
    )
    .expect("rewrite a source");
    std::fs::write(
        workspace.path("sources/doe2019.md"),
        "# Doe\n\nThe harbour reopened in April.\n",
    )
    .expect("rewrite a source");
    std::fs::write(
        workspace.path("sources/roe2021.md"),
        "# Roe\n\nThe ferries ran again at dawn.\n",
    )
    .expect("add a source");
    let event = |path: &str, kind: u32| json!({"uri": workspace.uri(path), "type": kind});
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [
            event("sources/smith2020.md", 2),
            event("sources/doe2019.md", 2),
            event("sources/smith2020.md", 2),
            event("sources/roe2021.md", 1),
            event("sources/roe2021.md", 2),
        ]}),
    );
    client.diagnostics_for(&uri, |d| d.is_empty()).await;
}

/// Terms are mined off the worker: a hover right after the load waits for them, and after a
/// source changes on disk its new definition of a term shows once they are mined again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_term_hover_follows_a_source_changed_on_disk() {
    let defining = |long: &str| {
        format!("# Basins\n\nThe {long} (RBA) met in May. The RBA shares data weekly.\n")
    };
    let workspace = Workspace::new(&[
        ("ibid.toml", CONFIG),
        ("refs.bib", BIB),
        ("sources/smith2020.md", &defining("River Basin Authority")),
        ("notes/a.md", "# A\n\nThe RB$0A met again.\n"),
    ]);
    let client = workspace.start().await;
    let (uri, cursor) = workspace.cursor();
    let hover_text = || async {
        let hover = client
            .result("textDocument/hover", point(&uri, &cursor))
            .await;
        hover["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let first = hover_text().await;
    assert!(first.contains("River Basin Authority"), "{first}");

    std::fs::write(
        workspace.path("sources/smith2020.md"),
        defining("Regional Barge Association"),
    )
    .expect("rewrite the source");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": workspace.uri("sources/smith2020.md"), "type": 2}]}),
    );
    let mut last = String::new();
    for _ in 0..100 {
        last = hover_text().await;
        if last.contains("Regional Barge Association") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(last.contains("Regional Barge Association"), "{last}");
    assert!(!last.contains("River Basin Authority"), "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_note_on_disk_joins_the_workspace() {
    let workspace = Workspace::with_notes(&[("notes/a.md", "# A\n")]);
    let client = workspace.start().await;
    std::fs::write(workspace.path("notes/b.md"), "# B\n\nSee [@nobody1999].\n")
        .expect("write a new note");
    let uri = workspace.uri("notes/b.md");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri, "type": 1}]}),
    );
    client
        .diagnostics_for(&uri, has_code("unknown-source"))
        .await;
    // Symbols of a note that was never opened.
    let symbols = client
        .result(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(symbols[0]["name"], "B", "{symbols}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_shows_a_code_lens_for_each_quoted_passage() {
    let workspace = Workspace::with_notes(&[
        (
            "notes/a.md",
            "\"The levee held through the storm\" [@smith2020].\n",
        ),
        (
            "notes/b.md",
            "Again \"The levee held through the storm\" [@smith2020].\n",
        ),
    ]);
    let client = workspace.start().await;
    let lenses = client
        .result(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": workspace.uri("sources/smith2020.md")}}),
        )
        .await;
    let lens = lenses
        .as_array()
        .and_then(|l| l.first())
        .unwrap_or_else(|| panic!("no code lens: {lenses}"));
    assert_eq!(lens["command"]["title"], "quoted in 2 notes");
    assert_eq!(
        slice(LEVEE, &lens["range"]),
        "The levee held through the storm"
    );
}

// ---------------------------------------------------------------------------------------------
// The sample corpus.

/// The sample corpus's articles and bibliography, copied into `corpus/` of a new workspace.
pub(super) fn sample_corpus_workspace(note: &str) -> Workspace {
    let corpus = crate::common::shared_corpus();
    let config = "corpus = [\"corpus/*.md\", \"corpus/*.txt\"]\nnotes = [\"notes/**/*.md\"]\nbibliography = \"corpus/refs.bib\"\n";
    let workspace = Workspace::new(&[("ibid.toml", config), ("notes/n.md", note)]);
    std::fs::create_dir(workspace.path("corpus")).expect("mkdir corpus");
    for entry in std::fs::read_dir(&corpus).expect("read the sample corpus") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name == "README.md" {
            continue;
        }
        std::fs::copy(&path, workspace.path("corpus").join(name)).expect("copy");
    }
    workspace
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_corpus_quotation_goes_to_its_source_and_a_misquote_is_fixed() {
    let exact = crate::common::source_words("mahoney2024.txt", "who emphasize", 9);
    let words: Vec<&str> = exact.split(' ').collect();
    // The same passage with one word changed.
    let mut altered = words.clone();
    altered[4] = "carefully";
    let altered = altered.join(" ");
    let note = format!(
        "# Sample\n\n中文 😀 \"{exact}\" [@mahoney2024].\n\nMisquoted: \"{altered}\" [@mahoney2024].\n"
    );
    let workspace = sample_corpus_workspace(&note);
    let client = workspace.start().await;
    let uri = workspace.uri("notes/n.md");
    let text = workspace.text("notes/n.md");
    let diagnostics = client
        .diagnostics_for(&uri, has_code("quote-inexact"))
        .await;
    // Only the altered quotation is flagged.
    let exact_line = 2;
    assert!(
        diagnostics
            .iter()
            .all(|d| d["range"]["start"]["line"] != exact_line),
        "{diagnostics:#?}"
    );
    // Definition of the exact quotation: the source range holds its words.
    let inside = text.find(words[2]).expect("a word of the quotation");
    let found = client
        .result(
            "textDocument/definition",
            point(&uri, &position(&text, inside)),
        )
        .await;
    let location = &found[0];
    assert_eq!(location["uri"], workspace.uri("corpus/mahoney2024.txt"));
    let source = workspace.text("corpus/mahoney2024.txt");
    let target: Vec<&str> = slice(&source, &location["range"])
        .split_whitespace()
        .collect();
    assert_eq!(target, words, "{location}");
    // The quick fix on the misquote restores the source's words.
    let inexact = diagnostics
        .iter()
        .find(|d| d["code"] == "quote-inexact")
        .expect("quote-inexact");
    let actions = client
        .result(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": inexact["range"], "context": {"diagnostics": [inexact]}}),
        )
        .await;
    let edits = actions[0]["edit"]["changes"][uri.as_str()]
        .as_array()
        .unwrap_or_else(|| panic!("no edit: {actions}"));
    let fixed = apply(&text, edits);
    assert!(!fixed.contains("carefully"), "{fixed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_edited_note_reverts_to_the_disk() {
    let workspace = Workspace::with_notes(&[("notes/a.md", "# A\n\nClean [@smith2020].\n")]);
    let client = workspace.start().await;
    let uri = workspace.uri("notes/a.md");
    client.open(&uri, "# A\n\nUnsaved [@nobody1999].\n");
    client
        .diagnostics_for(&uri, has_code("unknown-source"))
        .await;
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    client.diagnostics_for(&uri, |d| d.is_empty()).await;
}

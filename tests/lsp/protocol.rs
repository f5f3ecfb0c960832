//! Protocol behaviour that does not depend on the analysis: encoding negotiation, document
//! synchronisation under bursts of incremental edits, position conversion with CJK and emoji,
//! unknown documents, panics, shutdown and exit.

use serde_json::{Value, json};

use super::harness::{TestClient, in_process};
use ibid::lsp::Outcome;

#[derive(Clone, Copy, Debug)]
pub(super) enum Encoding {
    Utf8,
    Utf16,
}

/// The LSP position of a byte offset, computed independently of the server. Lines end at `\n`,
/// `\r\n` and a lone `\r`, as the protocol says.
pub(super) fn position(text: &str, offset: usize, encoding: Encoding) -> Value {
    let bytes = text.as_bytes();
    let breaks: Vec<usize> = (0..offset)
        .filter(|&i| bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .collect();
    let line = breaks.len();
    let line_start = breaks.last().map_or(0, |i| i + 1);
    let col: usize = text[line_start..offset]
        .chars()
        .map(|c| match encoding {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        })
        .sum();
    json!({"line": line, "character": col})
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Offsets where a client may put a position: char boundaries, never inside `\r\n`.
pub(super) fn edit_points(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .filter(|&i| !(i > 0 && bytes[i - 1] == b'\r' && bytes.get(i) == Some(&b'\n')))
        .collect()
}

const INSERTS: &[&str] = &[
    "",
    "a",
    "xyz",
    "中文",
    "😀",
    "é",
    "\n",
    "line\nbreak",
    "👩‍👩‍👧",
    "𝄞",
    " ",
    "「引用」\n\n",
];

async fn edit_burst(encoding: Encoding, seed: u64) {
    let (client, _server) = in_process();
    let result = client
        .initialize(None, matches!(encoding, Encoding::Utf8), Value::Null)
        .await;
    let expected_encoding = match encoding {
        Encoding::Utf8 => "utf-8",
        Encoding::Utf16 => "utf-16",
    };
    assert_eq!(
        result["capabilities"]["positionEncoding"],
        expected_encoding
    );
    let uri = "file:///nonexistent-ibid-test/notes/burst.md";
    let mut text =
        String::from("# Heading 中文\r\n\nShe wrote “a few 😀 words” [@key, p. 3].\n\nend");
    client.open(uri, &text);
    let mut rng = Rng(seed);
    let mut version = 1;
    for step in 1..=200 {
        version += 1;
        let mut changes = Vec::new();
        for _ in 0..=rng.below(3) {
            let points = edit_points(&text);
            let start_index = rng.below(points.len());
            let span = rng.below(5).min(points.len() - 1 - start_index);
            let (start, end) = (points[start_index], points[start_index + span]);
            let insert = INSERTS[rng.below(INSERTS.len())];
            changes.push(json!({
                "range": {
                    "start": position(&text, start, encoding),
                    "end": position(&text, end, encoding),
                },
                "text": insert,
            }));
            text.replace_range(start..end, insert);
        }
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
        if step % 25 == 0 {
            let document = client.document_text(uri).await;
            assert_eq!(
                document["text"].as_str(),
                Some(text.as_str()),
                "{encoding:?} step {step}"
            );
        }
    }
    assert!(
        text.chars().count() > 100,
        "the edits should grow the text: {text:?}"
    );
    let document = client.document_text(uri).await;
    assert_eq!(document["version"], version);
    assert_eq!(
        document["text"].as_str(),
        Some(text.as_str()),
        "{encoding:?} seed {seed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_of_incremental_edits_under_utf16() {
    edit_burst(Encoding::Utf16, 0x9e37_79b9_7f4a_7c15).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_of_incremental_edits_under_utf8() {
    edit_burst(Encoding::Utf8, 0x2545_f491_4f6c_dd1d).await;
}

#[tokio::test]
async fn utf16_is_negotiated_when_utf8_is_not_offered() {
    let (client, _server) = in_process();
    let result = client.initialize(None, false, Value::Null).await;
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(result["serverInfo"]["name"], "ibid");
    let capabilities = &result["capabilities"];
    assert_eq!(
        capabilities["textDocumentSync"]["change"], 2,
        "incremental sync"
    );
    assert_eq!(
        capabilities["completionProvider"]["triggerCharacters"],
        json!(["@"])
    );
    assert_eq!(capabilities["hoverProvider"], true);
    assert_eq!(capabilities["definitionProvider"], true);
    assert_eq!(capabilities["referencesProvider"], true);
    assert_eq!(
        capabilities["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix"])
    );
}

/// One change and the text it should give, for positions after CJK and emoji.
async fn change_gives(
    client: &TestClient,
    uri: &str,
    version: i32,
    range: Value,
    insert: &str,
    expected: &str,
) {
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"range": range, "text": insert}]}),
    );
    let document = client.document_text(uri).await;
    assert_eq!(
        document["text"], expected,
        "after inserting {insert:?} at {range}"
    );
}

fn at(line: u32, character: u32) -> Value {
    json!({"start": {"line": line, "character": character}, "end": {"line": line, "character": character}})
}

#[tokio::test]
async fn positions_after_cjk_and_emoji_under_utf16() {
    let (client, _server) = in_process();
    client.initialize(None, false, Value::Null).await;
    let uri = "file:///nonexistent-ibid-test/cjk.md";
    client.open(uri, "中文😀x\n😀😀\n");
    // "中文" is 2 UTF-16 units, "😀" 2 more: column 4 is before "x".
    change_gives(&client, uri, 2, at(0, 4), "!", "中文😀!x\n😀😀\n").await;
    // Column 3 falls inside the surrogate pair: the emoji's start.
    change_gives(&client, uri, 3, at(0, 3), "^", "中文^😀!x\n😀😀\n").await;
    // Past the end of a line clamps to the line end; past the last line, to the end of text.
    change_gives(&client, uri, 4, at(1, 99), "$", "中文^😀!x\n😀😀$\n").await;
    change_gives(&client, uri, 5, at(7, 0), "#", "中文^😀!x\n😀😀$\n#").await;
}

#[tokio::test]
async fn positions_after_cjk_and_emoji_under_utf8() {
    let (client, _server) = in_process();
    client.initialize(None, true, Value::Null).await;
    let uri = "file:///nonexistent-ibid-test/cjk.md";
    client.open(uri, "中文😀x\r\nend");
    // 3 + 3 + 4 bytes before "x".
    change_gives(&client, uri, 2, at(0, 10), "!", "中文😀!x\r\nend").await;
    // A column inside "文" lands on its start.
    change_gives(&client, uri, 3, at(0, 4), "^", "中^文😀!x\r\nend").await;
    // Past the line end: before "\r\n".
    change_gives(&client, uri, 4, at(0, 200), "$", "中^文😀!x$\r\nend").await;
    let range = json!({"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 1}});
    change_gives(&client, uri, 5, range, "", "nd").await;
}

#[tokio::test]
async fn requests_for_unknown_documents_are_empty() {
    let (client, _server) = in_process();
    client.initialize(None, false, Value::Null).await;
    let document = json!({"uri": "file:///nonexistent-ibid-test/unknown.md"});
    let position = json!({"line": 3, "character": 7});
    let point = json!({"textDocument": document, "position": position});
    for (method, params) in [
        ("textDocument/hover", point.clone()),
        ("textDocument/definition", point.clone()),
        (
            "textDocument/references",
            json!({"textDocument": document, "position": position, "context": {"includeDeclaration": true}}),
        ),
        ("textDocument/completion", point.clone()),
        (
            "textDocument/documentSymbol",
            json!({"textDocument": document}),
        ),
        ("textDocument/codeLens", json!({"textDocument": document})),
        (
            "textDocument/codeAction",
            json!({"textDocument": document, "range": {"start": position, "end": position}, "context": {"diagnostics": []}}),
        ),
        ("workspace/symbol", json!({"query": "x"})),
        ("ibid/documentText", document.clone()),
    ] {
        let result = client.result(method, params).await;
        assert_eq!(result, Value::Null, "{method}");
    }
}

#[tokio::test]
async fn a_panicking_request_is_an_internal_error_and_the_server_lives_on() {
    let (client, _server) = in_process();
    client.initialize(None, false, Value::Null).await;
    let response = client.request("ibid/debug/panic", Value::Null).await;
    assert_eq!(response["error"]["code"], -32603, "{response}");
    let uri = "file:///nonexistent-ibid-test/alive.md";
    client.open(uri, "still here");
    assert_eq!(client.document_text(uri).await["text"], "still here");
}

#[tokio::test]
async fn shutdown_then_exit_ends_cleanly() {
    let (client, server) = in_process();
    client.initialize(None, false, Value::Null).await;
    client.shutdown_and_exit().await;
    let outcome = tokio::time::timeout(super::harness::TIMEOUT, server)
        .await
        .expect("the server did not stop after exit")
        .expect("the server task failed");
    assert_eq!(outcome, Outcome::Clean);
}

/// Shutdown right after `initialized`, while the server still waits for the client's answers to
/// its file-watcher registration and progress token: the session still ends at `exit` (it used to
/// hang now and then, waiting for those answers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_during_startup_requests_still_exits() {
    let workspace = tempfile::tempdir().expect("tempdir");
    std::fs::write(workspace.path().join("note.md"), "# Note\n").expect("write note");
    for _ in 0..20 {
        let (client, server) = in_process();
        client
            .initialize(Some(workspace.path()), false, Value::Null)
            .await;
        client.shutdown_and_exit().await;
        let outcome = tokio::time::timeout(super::harness::TIMEOUT, server)
            .await
            .expect("the server did not stop after exit")
            .expect("the server task failed");
        assert_eq!(outcome, Outcome::Clean);
    }
}

#[tokio::test]
async fn exit_without_shutdown_is_reported() {
    let (client, server) = in_process();
    client.initialize(None, false, Value::Null).await;
    client.notify("exit", Value::Null);
    let outcome = tokio::time::timeout(super::harness::TIMEOUT, server)
        .await
        .expect("the server did not stop after exit")
        .expect("the server task failed");
    assert_eq!(outcome, Outcome::WithoutShutdown);
}

#[tokio::test]
async fn requests_before_initialize_are_refused() {
    let (client, _server) = in_process();
    let response = client
        .request("textDocument/hover", json!({"textDocument": {"uri": "file:///x.md"}, "position": {"line": 0, "character": 0}}))
        .await;
    assert_eq!(response["error"]["code"], -32002, "{response}");
}

#[tokio::test]
async fn startup_registers_watchers_and_reports_load_progress() {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("note.md"), "# A note\n").unwrap();
    let (client, _server) = in_process();
    client
        .initialize(Some(workspace.path()), false, Value::Null)
        .await;
    let registration = client
        .wait_server_request("registerCapability", |r| {
            r["method"] == "client/registerCapability"
        })
        .await;
    let watchers = &registration["params"]["registrations"][0];
    assert_eq!(watchers["method"], "workspace/didChangeWatchedFiles");
    let globs: Vec<&str> = watchers["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["globPattern"].as_str())
        .collect();
    assert_eq!(
        globs,
        [
            "**/*.md",
            "**/*.txt",
            "**/*.bib",
            "**/*.json",
            "**/ibid.toml"
        ]
    );
    client
        .wait_server_request("progress token", |r| {
            r["method"] == "window/workDoneProgress/create"
        })
        .await;
    let is_progress = |kind: &'static str| {
        move |n: &Value| n["method"] == "$/progress" && n["params"]["value"]["kind"] == kind
    };
    client
        .wait_notification("progress begin", is_progress("begin"))
        .await;
    let end = client
        .wait_notification("progress end", is_progress("end"))
        .await;
    assert!(end["params"]["value"]["message"].is_string(), "{end}");
}

//! Property: any sequence of incremental edits (inserts, deletes, replaces, across lines, with
//! CJK, emoji, combining marks, CRLF and lone CR), sent through the real LSP handlers, leaves the server's
//! copy of the document equal to the client's, under UTF-8 and UTF-16 position encodings.
//!
//! proptest generates and shrinks the sequences. `IBID_PROPTEST_CASES` sets the number of cases
//! (default 48 in `cargo test`; the long run in docs/reliability.md used 10,000).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

use super::harness::{TestClient, in_process};
use super::protocol::{Encoding, edit_points, position};

/// Text fragments: ASCII, CJK, emoji (with ZWJ sequences), astral-plane letters, combining marks,
/// LF, CRLF and lone CR breaks (an edit may join a `\r` and a `\n` into one break, or split
/// one), quotation marks and citations.
const FRAGMENT: &str = "(a|xyz|word |中文|「引用」|😀|👩‍👩‍👧|𝄞|é|e\u{301}|\n|\r\n|\r|x\r|\r\r\n|\n\n|“|”|\"|\\[@key\\]| ){0,5}";

/// One edit: where (an index into the edit points, taken modulo their count), how many points it
/// spans (0 = an insertion), and the text it puts there.
#[derive(Clone, Debug)]
struct Edit {
    at: usize,
    span: usize,
    insert: String,
}

fn edit() -> impl Strategy<Value = Edit> {
    (
        any::<usize>(),
        prop_oneof![Just(0usize), 0usize..4, 0usize..40],
        FRAGMENT,
    )
        .prop_map(|(at, span, insert)| Edit { at, span, insert })
}

/// A session: the initial text, then notifications of one or more edits each.
fn session() -> impl Strategy<Value = (String, Vec<Vec<Edit>>)> {
    (
        prop::collection::vec(FRAGMENT, 0..12).prop_map(|parts| parts.concat()),
        prop::collection::vec(prop::collection::vec(edit(), 1..4), 1..25),
    )
}

fn cases() -> u32 {
    std::env::var("IBID_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// Replays one session against the server; returns the first divergence.
async fn replay(
    client: &TestClient,
    encoding: Encoding,
    case: usize,
    initial: &str,
    notifications: &[Vec<Edit>],
) -> Result<(), TestCaseError> {
    let uri = format!("file:///nonexistent-ibid-test/props/{encoding:?}-{case}.md");
    let mut text = initial.to_string();
    client.open(&uri, &text);
    let mut version = 1;
    for edits in notifications {
        version += 1;
        let mut changes = Vec::new();
        for edit in edits {
            let points = edit_points(&text);
            let start_index = edit.at % points.len();
            let end_index = (start_index + edit.span).min(points.len() - 1);
            let (start, end) = (points[start_index], points[end_index]);
            changes.push(json!({
                "range": {
                    "start": position(&text, start, encoding),
                    "end": position(&text, end, encoding),
                },
                "text": edit.insert,
            }));
            text.replace_range(start..end, &edit.insert);
        }
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }
    let document = client.document_text(&uri).await;
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    prop_assert_eq!(document["version"].as_i64(), Some(version));
    prop_assert_eq!(document["text"].as_str(), Some(text.as_str()));
    Ok(())
}

fn run(encoding: Encoding) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let client = runtime.block_on(async {
        let (client, _server) = in_process();
        client
            .initialize(None, matches!(encoding, Encoding::Utf8), Value::Null)
            .await;
        client
    });
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let case = std::sync::atomic::AtomicUsize::new(0);
    let outcome = runner.run(&session(), |(initial, notifications)| {
        let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        runtime.block_on(replay(&client, encoding, case, &initial, &notifications))
    });
    if let Err(error) = outcome {
        panic!("{encoding:?}: {error}");
    }
}

#[test]
fn random_edit_sequences_keep_the_text_in_sync_under_utf16() {
    run(Encoding::Utf16);
}

#[test]
fn random_edit_sequences_keep_the_text_in_sync_under_utf8() {
    run(Encoding::Utf8);
}

//! Protocol misuse and hostile workspaces, in process: positions past the end, malformed
//! params, unknown methods, cancelled in-flight requests, a burst of a thousand requests, broken
//! files and a broken `ibid.toml` in the workspace. Each is answered per the spec and the server
//! stays alive (checked by asking it for a document's text afterwards).

use std::sync::Arc;

use serde_json::{Value, json};

use super::harness::{TestClient, file_uri, in_process};

async fn assert_alive(client: &TestClient) {
    let uri = "file:///nonexistent-ibid-test/alive-check.md";
    client.open(uri, "still alive");
    assert_eq!(client.document_text(uri).await["text"], "still alive");
}

/// A workspace with one source and one note that quotes and cites it.
pub(super) fn small_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("corpus")).unwrap();
    std::fs::create_dir_all(dir.path().join("notes")).unwrap();
    std::fs::write(
        dir.path().join("corpus/keeper.txt"),
        "The lighthouse keeper counted every passing ship with patient care.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("notes/n.md"),
        "Keepers \"counted every passing ship\" [@keeper].\n",
    )
    .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_past_the_end_of_a_line_or_document_are_answered() {
    let dir = small_workspace();
    let (client, _server) = in_process();
    client.initialize(Some(dir.path()), true, Value::Null).await;
    let uri = file_uri(&dir.path().join("notes/n.md"));
    client.open(
        &uri,
        "Keepers \"counted every passing ship\" [@keeper].\n中😀\n",
    );
    client.diagnostics_for(&uri, |_| true).await;
    let document = json!({"uri": uri});
    for position in [
        json!({"line": 0, "character": 100_000}),
        json!({"line": 1, "character": 3}),
        json!({"line": 2, "character": 0}),
        json!({"line": 99_999, "character": 99_999}),
        json!({"line": 4_294_967_295u32, "character": 4_294_967_295u32}),
    ] {
        let point = json!({"textDocument": document, "position": position});
        for (method, params) in [
            ("textDocument/hover", point.clone()),
            ("textDocument/definition", point.clone()),
            ("textDocument/completion", point.clone()),
            (
                "textDocument/references",
                json!({"textDocument": document, "position": position, "context": {"includeDeclaration": true}}),
            ),
            (
                "textDocument/codeAction",
                json!({"textDocument": document, "range": {"start": position, "end": position}, "context": {"diagnostics": []}}),
            ),
            // A range whose end comes before its start.
            (
                "textDocument/codeAction",
                json!({"textDocument": document, "range": {"start": position, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": []}}),
            ),
        ] {
            let response = client.request(method, params).await;
            assert!(
                response.get("error").is_none(),
                "{method} at {position}: {response}"
            );
        }
    }
    // An edit past the end appends; one with the end before the start is ignored or clamped,
    // never a crash; the server's text stays a valid document.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 50, "character": 9}, "end": {"line": 60, "character": 0}}, "text": "tail"},
            {"range": {"start": {"line": 1, "character": 2}, "end": {"line": 0, "character": 1}}, "text": "?"},
        ]}),
    );
    let text = client.document_text(&uri).await;
    let text = text["text"].as_str().expect("document text");
    assert!(text.starts_with("K"), "{text:?}");
    assert!(text.contains("tail"), "{text:?}");
    assert_alive(&client).await;
}

#[tokio::test]
async fn malformed_params_and_unknown_methods_get_error_responses() {
    let (client, _server) = in_process();
    client.initialize(None, false, Value::Null).await;
    for (method, params) in [
        ("textDocument/hover", json!({"textDocument": 5})),
        ("textDocument/hover", json!({"position": {"line": -1}})),
        ("textDocument/definition", json!("not an object")),
        ("textDocument/completion", json!([1, 2, 3])),
        ("ibid/documentText", json!({"uri": 42})),
    ] {
        let response = client.request(method, params.clone()).await;
        assert_eq!(
            response["error"]["code"], -32602,
            "{method} {params}: {response}"
        );
        assert!(response["error"]["message"].is_string(), "{response}");
    }
    let response = client.request("textDocument/noSuchThing", json!({})).await;
    assert_eq!(response["error"]["code"], -32601, "{response}");
    // Malformed notifications have no response; they must not kill the server.
    client.notify("textDocument/didOpen", json!({"textDocument": "nope"}));
    client.notify("textDocument/didChange", json!({"contentChanges": 3}));
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": 7}]}),
    );
    client.notify("$/unknownNotification", json!({}));
    assert_alive(&client).await;
}

/// A thousand requests sent at once, after the workspace has loaded (`wait_for_load`) or right
/// after `initialized`, while it loads.
async fn burst(wait_for_load: bool) {
    const BURST: u32 = 1_000;
    let dir = small_workspace();
    let (client, _server) = in_process();
    client
        .initialize(Some(dir.path()), false, Value::Null)
        .await;
    let client = Arc::new(client);
    let uri = file_uri(&dir.path().join("notes/n.md"));
    client.open(&uri, "Keepers \"counted every passing ship\" [@keeper].\n");
    if wait_for_load {
        client.diagnostics_for(&uri, |_| true).await;
    }
    let started = std::time::Instant::now();
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..BURST {
        let client = client.clone();
        let uri = uri.clone();
        requests.spawn(async move {
            let point =
                json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": i % 50}});
            let method = match i % 4 {
                0 => "textDocument/hover",
                1 => "textDocument/definition",
                2 => "textDocument/completion",
                _ => "textDocument/documentSymbol",
            };
            let response = client.request(method, point).await;
            (method, response)
        });
    }
    let mut answered = 0;
    while let Some(joined) = requests.join_next().await {
        let (method, response) = joined.expect("request task");
        assert!(response.get("error").is_none(), "{method}: {response}");
        answered += 1;
    }
    assert_eq!(answered, BURST);
    let elapsed = started.elapsed();
    assert!(
        elapsed < std::time::Duration::from_secs(30),
        "the burst took {elapsed:?}"
    );
    assert_alive(&client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_in_a_burst_are_all_answered() {
    burst(true).await;
}

/// Regression: the load waited for the client's answer to `window/workDoneProgress/create`, which
/// tower-lsp does not read while all its handlers are busy, here with requests waiting for the
/// load: each batch of 32 then waited 10 s, and a burst of 1,000 took minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_while_the_workspace_loads_are_all_answered() {
    burst(false).await;
}

/// Cancelling a request still waiting for the analysis (the workspace is still loading a large
/// note) answers it with `RequestCancelled` (-32800); either way it is answered exactly once and
/// the server goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_request_answers_in_flight_work() {
    let dir = small_workspace();
    let mut big = String::new();
    for i in 0..3_000 {
        big.push_str(&format!("\"saw {i} unknown ships tonight\" [@keeper]. "));
    }
    std::fs::write(dir.path().join("notes/big.md"), &big).unwrap();
    let (client, _server) = in_process();
    // initialize is request 1; the requests below are 2, 3, ...
    client
        .initialize(Some(dir.path()), false, Value::Null)
        .await;
    let client = Arc::new(client);
    let uri = file_uri(&dir.path().join("notes/big.md"));
    let mut cancelled = 0;
    for id in 2..=4 {
        let request = {
            let client = client.clone();
            let uri = uri.clone();
            tokio::spawn(async move {
                client
                    .request(
                        "textDocument/hover",
                        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 3}}),
                    )
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        client.notify("$/cancelRequest", json!({"id": id}));
        let response = request.await.expect("request task");
        assert_eq!(response["id"], id, "{response}");
        match response.get("error") {
            Some(error) => {
                assert_eq!(error["code"], -32800, "{response}");
                cancelled += 1;
            }
            None => assert!(response.get("result").is_some(), "{response}"),
        }
    }
    assert!(
        cancelled >= 1,
        "no request was cancelled while the workspace loaded"
    );
    // Cancelling an id that is unknown or already answered is harmless.
    client.notify("$/cancelRequest", json!({"id": 9_999}));
    client.notify("$/cancelRequest", json!({"id": 2}));
    assert_alive(&client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_files_in_the_workspace_are_published_as_diagnostics() {
    let dir = small_workspace();
    std::fs::write(dir.path().join("corpus/bad.txt"), b"caf\xe9 au lait\n").unwrap();
    std::fs::write(
        dir.path().join("corpus/blob.txt"),
        b"\x7fELF\x02\x01\x01\x00",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("refs.bib"),
        "@misc{ok, title = {Fine}}\n@misc{bad, title = {open\n@misc{ok2, title={Two}}\n",
    )
    .unwrap();
    let (client, _server) = in_process();
    client
        .initialize(Some(dir.path()), false, Value::Null)
        .await;
    for (file, code, words) in [
        ("corpus/bad.txt", "unreadable-file", "not valid UTF-8"),
        ("corpus/blob.txt", "unreadable-file", "binary file"),
        ("refs.bib", "bibliography-error", "cannot parse this entry"),
    ] {
        let uri = file_uri(&dir.path().join(file));
        let diagnostics = client.diagnostics_for(&uri, |d| !d.is_empty()).await;
        assert_eq!(diagnostics.len(), 1, "{file}: {diagnostics:#?}");
        assert_eq!(diagnostics[0]["code"], code, "{file}");
        let message = diagnostics[0]["message"].as_str().unwrap();
        assert!(message.contains(words), "{file}: {message}");
    }
    // The good entries are known: completing `@` offers them.
    let uri = file_uri(&dir.path().join("notes/n.md"));
    client.open(&uri, "See [@");
    let completion = client
        .result(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 6}}),
        )
        .await;
    let labels = completion.to_string();
    assert!(
        labels.contains("ok2") && labels.contains("keeper"),
        "{labels}"
    );
    assert_alive(&client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ibid_toml_with_wrong_types_is_shown_and_the_server_lives_on() {
    let dir = small_workspace();
    std::fs::write(dir.path().join("ibid.toml"), "corpus = 3\n").unwrap();
    let (client, _server) = in_process();
    client
        .initialize(Some(dir.path()), false, Value::Null)
        .await;
    let shown = client
        .wait_notification("showMessage", |n| n["method"] == "window/showMessage")
        .await;
    assert_eq!(shown["params"]["type"], 1, "an error: {shown}");
    let message = shown["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("ibid.toml") && message.contains("line 1") && message.contains("corpus"),
        "{message}"
    );
    let uri = file_uri(&dir.path().join("notes/n.md"));
    client.open(&uri, "Keepers [@keeper].\n");
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 10}}),
        )
        .await;
    assert!(hover.get("error").is_none(), "{hover}");
    assert_alive(&client).await;
}

/// A one-line note of hundreds of kilobytes, opened in the editor: diagnostics arrive, requests at
/// its far end are answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_line_note_of_many_quotes_is_analysed() {
    let dir = small_workspace();
    let (client, _server) = in_process();
    client
        .initialize(Some(dir.path()), false, Value::Null)
        .await;
    let mut text = String::new();
    for i in 0..2_000 {
        text.push_str(&format!("\"heard {i} distant foghorns\" [@keeper]. "));
    }
    let uri = file_uri(&dir.path().join("notes/long.md"));
    client.open(&uri, &text);
    let diagnostics = client.diagnostics_for(&uri, |d| d.len() == 2_000).await;
    assert!(diagnostics.iter().all(|d| d["code"] == "quote-not-found"));
    let last = text.encode_utf16().count() - 3;
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": last}}),
        )
        .await;
    assert!(hover.get("error").is_none(), "{hover}");
    assert_alive(&client).await;
}

/// Markdown nested a hundred thousand deep, or too costly to parse, opened and edited: it is
/// reported (`unparsed-markdown`) or parsed, the rest of the note is checked, the server lives.
/// Before session 13 the first overflowed the stack of the thread that parsed it (the process
/// died) and the second took 75 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_or_costly_markdown_is_survived() {
    let dir = small_workspace();
    let (client, _server) = in_process();
    client
        .initialize(Some(dir.path()), false, Value::Null)
        .await;
    let uri = file_uri(&dir.path().join("notes/deep.md"));
    let quoted = "Keepers \"sang to the passing whales\" [@keeper].\n";
    let text = format!(
        "{}\n\n{}x{}\n\n{quoted}",
        "[a](".repeat(100_000),
        "*".repeat(60_000),
        "*".repeat(60_000)
    );
    client.open(&uri, &text);
    let diagnostics = client
        .diagnostics_for(&uri, |d| {
            d.iter().any(|d| d["code"] == "quote-not-found")
                && d.iter().any(|d| d["code"] == "unparsed-markdown")
        })
        .await;
    let unparsed: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "unparsed-markdown")
        .collect();
    assert!(
        unparsed.iter().any(|d| d["range"]["start"]["line"] == 2),
        "{unparsed:?}"
    );
    // An edit after it: the server still follows the document.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": format!("{text}More.\n")}]
        }),
    );
    assert_eq!(
        client.document_text(&uri).await["text"],
        format!("{text}More.\n")
    );
    assert_alive(&client).await;
}

/// A half-typed quotation and citation (and a broken frontmatter) are reported with their own
/// codes at the mark, in UTF-16 columns, while typing; closing them clears the reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unclosed_quotes_citations_and_bad_frontmatter_are_reported_while_typing() {
    let dir = small_workspace();
    let (client, _server) = in_process();
    client
        .initialize(Some(dir.path()), false, Value::Null)
        .await;
    let uri = file_uri(&dir.path().join("notes/n.md"));
    client.open(
        &uri,
        "---\ntitle: a: b\n---\n😀 Keepers “counted every passing ship [@keeper, p. 2\n",
    );
    let diagnostics = client.diagnostics_for(&uri, |d| d.len() >= 3).await;
    let mut found: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {}:{}-{}",
                d["code"].as_str().unwrap_or_default(),
                d["range"]["start"]["line"],
                d["range"]["start"]["character"],
                d["range"]["end"]["character"]
            )
        })
        .collect();
    found.sort();
    // UTF-16: the emoji is two code units, so `“` is at column 11.
    assert_eq!(
        found,
        [
            "invalid-frontmatter 1:0-11",
            "unclosed-citation 3:39-47",
            "unclosed-quote 3:11-12",
        ],
        "{diagnostics:#?}"
    );
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": "---\ntitle: ok\n---\n😀 Keepers “counted every passing ship” [@keeper, p. 2]\n"}]
        }),
    );
    client.diagnostics_for(&uri, |d| d.is_empty()).await;
    assert_alive(&client).await;
}

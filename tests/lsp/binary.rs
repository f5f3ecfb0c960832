//! The real binary: `ibid lsp` over its stdin/stdout, driven by the same test client.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::{Child, Command};

use super::harness::{TIMEOUT, TestClient, file_uri};

fn spawn_server() -> (Child, TestClient) {
    spawn_server_with(&["lsp"], Stdio::null())
}

fn spawn_server_with(args: &[&str], stderr: Stdio) -> (Child, TestClient) {
    let mut command = server_command(args);
    command.stderr(stderr);
    start(command)
}

/// `ibid <args>` with the tests' cache folder and info logs, over pipes.
fn server_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ibid"));
    command
        .args(args)
        .env("IBID_CACHE_DIR", crate::common::test_cache_dir())
        .env("RUST_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// The server `command` starts, and a client over its stdin and stdout.
fn start(mut command: Command) -> (Child, TestClient) {
    let mut child = command.spawn().expect("spawn ibid lsp");
    let stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    (child, TestClient::start(stdout, stdin))
}

async fn exit_code(child: &mut Child) -> Option<i32> {
    let status = tokio::time::timeout(TIMEOUT, child.wait())
        .await
        .expect("ibid lsp did not exit")
        .expect("wait for ibid lsp");
    status.code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_over_stdio_ends_with_exit_code_zero() {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("note.md"), "# Note\n").unwrap();
    let (mut child, client) = spawn_server();
    let result = client
        .initialize(Some(workspace.path()), true, Value::Null)
        .await;
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
    let uri = file_uri(&workspace.path().join("note.md"));
    client.open(&uri, "# Note\n");
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}, "text": "中文 😀 text\n"}]
        }),
    );
    let document = client.document_text(&uri).await;
    assert_eq!(
        document,
        json!({"version": 2, "text": "# Note\n中文 😀 text\n"})
    );
    // A request for a document the server does not know is empty, not an error.
    let hover = client
        .result(
            "textDocument/hover",
            json!({"textDocument": {"uri": "file:///nonexistent-ibid-test/x.md"}, "position": {"line": 0, "character": 0}}),
        )
        .await;
    assert_eq!(hover, Value::Null);
    client.shutdown_and_exit().await;
    assert_eq!(exit_code(&mut child).await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_without_shutdown_fails_the_process() {
    let (mut child, client) = spawn_server();
    client.initialize(None, false, Value::Null).await;
    client.notify("exit", Value::Null);
    let code = exit_code(&mut child).await;
    assert!(matches!(code, Some(c) if c != 0), "exit code {code:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_stdin_stops_the_server() {
    let (mut child, client) = spawn_server();
    client.initialize(None, false, Value::Null).await;
    drop(client);
    // The writer task ends with the client; give it a moment to close the pipe.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let code = exit_code(&mut child).await;
    assert!(
        code.is_some(),
        "the server should exit when its input closes"
    );
}

/// vscode-languageclient appends `--stdio`; logs on a pipe carry no colour escapes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_flag_is_accepted_and_piped_logs_are_plain() {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("note.md"), "# Note\n").unwrap();
    let (mut child, client) = spawn_server_with(&["lsp", "--stdio"], Stdio::piped());
    let mut stderr = child.stderr.take().expect("stderr");
    // Read the logs while the server runs, so that a full pipe never blocks it.
    let logs = tokio::spawn(async move {
        let mut logs = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut logs)
            .await
            .map(|_| logs)
    });
    let result = client
        .initialize(Some(workspace.path()), false, Value::Null)
        .await;
    assert!(
        !result["capabilities"]["hoverProvider"].is_null(),
        "{result}"
    );
    client.shutdown_and_exit().await;
    assert_eq!(exit_code(&mut child).await, Some(0));
    let logs = logs.await.expect("join").expect("read stderr");
    assert!(
        logs.contains("INFO"),
        "expected info logs on stderr: {logs}"
    );
    assert!(
        !logs.contains('\u{1b}'),
        "ANSI escapes in piped logs: {logs:?}"
    );
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS:`, `VmHWM:`).
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Memory stays bounded under bursts: four bursts of 1,000 requests to the real binary leave its
/// resident memory where the first burst left it (nothing is kept per request), every request is
/// answered, and the peak stays small.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_of_requests_leave_the_servers_memory_bounded() {
    const BURST: u32 = 1_000;
    let dir = super::misuse::small_workspace();
    let (mut child, client) = spawn_server();
    let pid = child.id().expect("server pid");
    client
        .initialize(Some(dir.path()), false, Value::Null)
        .await;
    let client = std::sync::Arc::new(client);
    let uri = file_uri(&dir.path().join("notes/n.md"));
    client.open(&uri, "Keepers \"counted every passing ship\" [@keeper].\n");
    client.diagnostics_for(&uri, |_| true).await;
    let mut resident_after = Vec::new();
    for _ in 0..4 {
        let mut requests = tokio::task::JoinSet::new();
        for i in 0..BURST {
            let (client, uri) = (client.clone(), uri.clone());
            requests.spawn(async move {
                let method = match i % 4 {
                    0 => "textDocument/hover",
                    1 => "textDocument/definition",
                    2 => "textDocument/completion",
                    _ => "textDocument/documentSymbol",
                };
                let point = json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": i % 50}});
                (method, client.request(method, point).await)
            });
        }
        while let Some(joined) = requests.join_next().await {
            let (method, response) = joined.expect("request task");
            assert!(response.get("error").is_none(), "{method}: {response}");
        }
        resident_after.push(memory_kib(pid, "VmRSS:"));
    }
    let peak = memory_kib(pid, "VmHWM:");
    let (first, last) = (resident_after[0], resident_after[3]);
    assert!(
        last <= first + 32 * 1024,
        "resident memory grew from {first} KiB to {last} KiB over three more bursts: {resident_after:?}"
    );
    assert!(peak < 512 * 1024, "peak resident memory {peak} KiB");
    client.shutdown_and_exit().await;
    assert_eq!(exit_code(&mut child).await, Some(0));
}

/// On a first start, requests whose answer does not depend on the sources' terms (completion
/// of citation keys, quick fixes, lenses over quoted passages) are answered while the terms
/// are still being mined; a hover on a term only the sources define waits for them. The server
/// is told to hold its terms job (`IBID_HOLD_TERMS_WHILE`) until the test lets it go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_do_not_read_the_terms_do_not_wait_for_them() {
    let workspace = tempfile::tempdir().unwrap();
    let root = workspace.path();
    std::fs::create_dir_all(root.join("corpus")).unwrap();
    std::fs::create_dir_all(root.join("notes")).unwrap();
    let source =
        "# Basins\n\nThe River Basin Authority (RBA) met in May. The RBA shares data weekly.\n";
    std::fs::write(root.join("corpus/smith2020.md"), source).unwrap();
    let note =
        "## The RBA\n\n\"The River Basin Authority (RBA) met in June\" [@smith2020].\n\nSee [@";
    std::fs::write(root.join("notes/n.md"), note).unwrap();
    let held = tempfile::tempdir().unwrap();
    let hold = held.path().join("hold");
    std::fs::write(&hold, "").unwrap();

    let mut command = server_command(&["lsp"]);
    command
        .env("IBID_CACHE_DIR", held.path().join("cache"))
        .env("IBID_HOLD_TERMS_WHILE", &hold)
        .stderr(Stdio::null());
    let (mut child, client) = start(command);
    let client = std::sync::Arc::new(client);
    client.initialize(Some(root), true, Value::Null).await;
    let uri = file_uri(&root.join("notes/n.md"));
    client.open(&uri, note);
    let diagnostics = client
        .diagnostics_for(&uri, |d| d.iter().any(|d| d["code"] == "quote-inexact"))
        .await;
    let inexact = diagnostics
        .iter()
        .find(|d| d["code"] == "quote-inexact")
        .expect("quote-inexact")
        .clone();

    // "RBA" in the heading: only the source defines it.
    let term = json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 8}});
    let hover = tokio::spawn({
        let client = client.clone();
        async move { client.result("textDocument/hover", term).await }
    });
    let end_of_note = json!({"line": 4, "character": 6});
    let completion = client
        .result(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": end_of_note, "context": {"triggerKind": 1}}),
        )
        .await;
    assert!(
        completion
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i["label"] == "smith2020")),
        "{completion}"
    );
    let actions = client
        .result(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": inexact["range"], "context": {"diagnostics": [inexact]}}),
        )
        .await;
    assert!(
        actions.as_array().is_some_and(|a| !a.is_empty()),
        "{actions}"
    );
    let lenses = client
        .result(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": file_uri(&root.join("corpus/smith2020.md"))}}),
        )
        .await;
    assert!(lenses.as_array().is_some_and(|l| !l.is_empty()), "{lenses}");
    assert!(
        !hover.is_finished(),
        "the hover on a term of the sources did not wait for the terms: {:?}",
        hover.await
    );

    std::fs::remove_file(&hold).unwrap();
    let hover = hover.await.expect("hover task");
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains("River Basin Authority"), "{hover}");
    client.shutdown_and_exit().await;
    assert_eq!(exit_code(&mut child).await, Some(0));
}

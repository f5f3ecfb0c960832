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
    let mut child = Command::new(env!("CARGO_BIN_EXE_ibid"))
        .args(args)
        .env("IBID_CACHE_DIR", crate::common::test_cache_dir())
        .env("RUST_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn ibid lsp");
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

//! A tiny LSP client for tests: frames JSON-RPC messages over any byte stream (an in-memory pipe
//! to the in-process server, or a child process's stdio), answers the server's requests with
//! `null`, and records what the server sends.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

pub const TIMEOUT: Duration = Duration::from_secs(60);

type Pending = Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>>;

/// The client side of a session.
pub struct TestClient {
    outgoing: mpsc::UnboundedSender<Value>,
    pending: Pending,
    /// Notifications from the server, in arrival order.
    pub notifications: Arc<Mutex<Vec<Value>>>,
    /// Requests from the server (answered with `null`), in arrival order.
    pub server_requests: Arc<Mutex<Vec<Value>>>,
    next_id: AtomicI64,
}

/// The in-process server, over an in-memory pipe. Resolves to the session's outcome.
pub fn in_process() -> (TestClient, tokio::task::JoinHandle<ibid::lsp::Outcome>) {
    let (client_io, server_io) = tokio::io::duplex(1 << 20);
    let (server_read, server_write) = tokio::io::split(server_io);
    let server = tokio::spawn(ibid::lsp::serve(server_read, server_write));
    let (client_read, client_write) = tokio::io::split(client_io);
    (TestClient::start(client_read, client_write), server)
}

impl TestClient {
    pub fn start<R, W>(reader: R, writer: W) -> TestClient
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let (outgoing, mut outgoing_rx) = mpsc::unbounded_channel::<Value>();
        tokio::spawn(async move {
            let mut writer = writer;
            while let Some(message) = outgoing_rx.recv().await {
                let body = message.to_string();
                let frame = format!("Content-Length: {}\r\n\r\n{}", body.len(), body);
                if writer.write_all(frame.as_bytes()).await.is_err() {
                    break;
                }
                if writer.flush().await.is_err() {
                    break;
                }
            }
        });
        let pending: Pending = Arc::default();
        let notifications: Arc<Mutex<Vec<Value>>> = Arc::default();
        let server_requests: Arc<Mutex<Vec<Value>>> = Arc::default();
        {
            let pending = pending.clone();
            let notifications = notifications.clone();
            let server_requests = server_requests.clone();
            // Weak: dropping the client closes the server's input.
            let replies = outgoing.downgrade();
            tokio::spawn(async move {
                let mut reader = BufReader::new(reader);
                while let Some(message) = read_frame(&mut reader).await {
                    let has_method = message.get("method").is_some();
                    let id = message.get("id").cloned();
                    match (has_method, id) {
                        (true, Some(id)) => {
                            server_requests.lock().unwrap().push(message);
                            if let Some(replies) = replies.upgrade() {
                                let _ = replies
                                    .send(json!({"jsonrpc": "2.0", "id": id, "result": null}));
                            }
                        }
                        (true, None) => notifications.lock().unwrap().push(message),
                        (false, Some(id)) => {
                            let waiter = id
                                .as_i64()
                                .and_then(|id| pending.lock().unwrap().remove(&id));
                            if let Some(waiter) = waiter {
                                let _ = waiter.send(message);
                            }
                        }
                        (false, None) => {}
                    }
                }
            });
        }
        TestClient {
            outgoing,
            pending,
            notifications,
            server_requests,
            next_id: AtomicI64::new(1),
        }
    }

    /// Sends a request and returns the whole response message (`result` or `error`).
    pub async fn request(&self, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        self.outgoing
            .send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .expect("the client writer is gone");
        tokio::time::timeout(TIMEOUT, rx)
            .await
            .unwrap_or_else(|_| panic!("no response to {method} within {TIMEOUT:?}"))
            .expect("the client reader is gone")
    }

    /// Sends a request and returns its `result`, failing on an error response.
    pub async fn result(&self, method: &str, params: Value) -> Value {
        let response = self.request(method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response.get("result").cloned().unwrap_or(Value::Null)
    }

    pub fn notify(&self, method: &str, params: Value) {
        let message = if params.is_null() {
            json!({"jsonrpc": "2.0", "method": method})
        } else {
            json!({"jsonrpc": "2.0", "method": method, "params": params})
        };
        self.outgoing
            .send(message)
            .expect("the client writer is gone");
    }

    /// `initialize` + `initialized`. `utf8` offers UTF-8 (and UTF-16) as position encodings.
    pub async fn initialize(&self, root: Option<&Path>, utf8: bool, options: Value) -> Value {
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let folders = match root {
            Some(root) => json!([{"uri": file_uri(root), "name": "root"}]),
            None => Value::Null,
        };
        let result = self
            .result(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": root.map(file_uri),
                    "workspaceFolders": folders,
                    "initializationOptions": options,
                    "capabilities": {
                        "general": {"positionEncodings": encodings},
                        "window": {"workDoneProgress": true},
                        "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
                        "textDocument": {"publishDiagnostics": {"relatedInformation": true}}
                    }
                }),
            )
            .await;
        self.notify("initialized", json!({}));
        result
    }

    pub fn open(&self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}}),
        );
    }

    pub async fn document_text(&self, uri: &str) -> Value {
        self.result("ibid/documentText", json!({"uri": uri})).await
    }

    /// Waits for a notification accepted by `accept` (already received or yet to come).
    pub async fn wait_notification(&self, what: &str, accept: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if let Some(found) = self
                .notifications
                .lock()
                .unwrap()
                .iter()
                .find(|n| accept(n))
            {
                return found.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {what} within {TIMEOUT:?}; got: {:#?}",
                self.notifications.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for a server request accepted by `accept`.
    pub async fn wait_server_request(&self, what: &str, accept: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if let Some(found) = self
                .server_requests
                .lock()
                .unwrap()
                .iter()
                .find(|n| accept(n))
            {
                return found.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {what} within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The latest `publishDiagnostics` for `uri`, waiting until one accepted by `accept` arrives.
    pub async fn diagnostics_for(
        &self,
        uri: &str,
        accept: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let latest = self
                .notifications
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|n| {
                    n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
                })
                .map(|n| {
                    n["params"]["diagnostics"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                });
            if let Some(diagnostics) = latest
                && accept(&diagnostics)
            {
                return diagnostics;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no matching diagnostics for {uri} within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn shutdown_and_exit(&self) {
        let response = self.request("shutdown", Value::Null).await;
        assert_eq!(response["result"], Value::Null, "{response}");
        self.notify("exit", Value::Null);
    }
}

/// Reads one `Content-Length` framed message; `None` at the end of the stream.
async fn read_frame<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0u8; length?];
    reader.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

pub fn file_uri(path: &Path) -> String {
    // Test paths are plain ASCII temp paths.
    format!("file://{}", path.display())
}

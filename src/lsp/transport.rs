//! The wire: JSON-RPC messages framed by `Content-Length` headers over a byte stream, between the
//! client and tower-lsp-server's `LspService`.
//!
//! It does what tower-lsp-server's own `Server` loop does (requests handled concurrently up to a
//! limit, the service's requests to the client forwarded, the client's answers handed back, a
//! parse error answered and the stream read on, reading stopped after `exit`) with one addition:
//! [`Outgoing`], through which the diagnostics publisher sends `textDocument/publishDiagnostics`
//! serialised straight from its types. tower-lsp-server's `Client` first turns a notification's
//! parameters into a `serde_json::Value` tree, then serialises and drops the tree: for a note
//! with hundreds of diagnostics that was a third of the server's CPU on every keystroke.
//!
//! Every message leaves through one writer task, whole, in the order it was handed over.

use std::future::ready;
use std::io;

use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt,
};
use tokio::sync::{mpsc, oneshot};
use tower_lsp_server::jsonrpc::{Error, Id, Request, Response};
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::{ClientSocket, LspService};
use tower_service::Service;

use super::Server;

/// How many of the client's messages may wait for a free slot among the requests in progress.
const QUEUE: usize = 100;
/// How many outgoing messages the writer takes in one go before flushing.
const WRITE_BATCH: usize = 64;

/// Sends messages to the client, serialised as they are handed over. Cheap to clone; once the
/// session has ended, what is sent is dropped.
#[derive(Debug, Clone)]
pub struct Outgoing {
    bodies: mpsc::UnboundedSender<Vec<u8>>,
}

/// A notification as the protocol frames it, borrowing its parameters.
#[derive(Serialize)]
struct NotificationMessage<'a, P> {
    jsonrpc: &'static str,
    method: &'static str,
    params: &'a P,
}

/// The way out to the client: an `Outgoing` with the receiving end its messages arrive at,
/// which the transport's writer reads.
#[derive(Debug)]
pub struct Wire {
    outgoing: Outgoing,
    bodies: mpsc::UnboundedReceiver<Vec<u8>>,
}

impl Wire {
    pub fn new() -> Wire {
        let (bodies, receiver) = mpsc::unbounded_channel();
        Wire {
            outgoing: Outgoing { bodies },
            bodies: receiver,
        }
    }

    /// A sender of messages onto this wire.
    pub fn outgoing(&self) -> Outgoing {
        self.outgoing.clone()
    }
}

impl Default for Wire {
    fn default() -> Wire {
        Wire::new()
    }
}

impl Outgoing {
    /// The body of notification `N` with `params`, ready for [`Outgoing::send_body`].
    pub fn notification_body<N: Notification>(params: &N::Params) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(&NotificationMessage {
            jsonrpc: "2.0",
            method: N::METHOD,
            params,
        })
    }

    /// Sends a message body serialised beforehand (by `notification_body`). False when the
    /// session has ended.
    pub fn send_body(&self, body: Vec<u8>) -> bool {
        self.bodies.send(body).is_ok()
    }

    /// Serialises `message` and sends it.
    fn send(&self, message: &impl Serialize) {
        match serde_json::to_vec(message) {
            Ok(body) => {
                self.send_body(body);
            }
            Err(error) => {
                tracing::error!(%error, "a message to the client could not be serialised")
            }
        }
    }
}

/// One message from the client: a request or notification, or an answer to one of the server's
/// requests.
#[derive(Deserialize)]
#[serde(untagged)]
enum Incoming {
    Response(Response),
    Request(Request),
}

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
enum FrameError {
    #[error("a message's headers have no Content-Length")]
    MissingLength,
    #[error("bad Content-Length {0:?}")]
    BadLength(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Reads the next frame's body; `None` at the end of the input (between frames).
async fn read_frame<R: AsyncBufRead + Unpin>(
    input: &mut R,
    line: &mut Vec<u8>,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut length = None;
    let mut any_header = false;
    loop {
        line.clear();
        if input.read_until(b'\n', line).await? == 0 {
            if any_header {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
            }
            return Ok(None);
        }
        let header = line.trim_ascii();
        if header.is_empty() {
            if any_header {
                break;
            }
            continue; // blank lines between frames
        }
        any_header = true;
        let header = String::from_utf8_lossy(header);
        let Some((name, value)) = header.split_once(':') else {
            tracing::warn!(%header, "a header line without ':' was skipped");
            continue;
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| FrameError::BadLength(value.to_string()))?,
            );
        }
        // Content-Type is utf-8 (the only charset the protocol has); other headers are ignored.
    }
    let length = length.ok_or(FrameError::MissingLength)?;
    let mut body = vec![0; length];
    input.read_exact(&mut body).await?;
    Ok(Some(body))
}

/// The answer to a frame whose body is not a message: a parse error when it is not JSON, an
/// invalid request when it is JSON of another shape.
fn undecodable(error: &serde_json::Error) -> Response {
    let error = if error.is_data() {
        Error::invalid_request()
    } else {
        Error::parse_error()
    };
    Response::from_error(Id::Null, error)
}

/// Writes every body the channel brings as a frame, until `stop` fires and what was sent before
/// it is written. Flushes whenever the channel is empty.
async fn write_frames<O: AsyncWrite + Unpin>(
    output: O,
    mut bodies: mpsc::UnboundedReceiver<Vec<u8>>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut output = tokio::io::BufWriter::new(output);
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    let mut stopping = false;
    loop {
        let received = if stopping {
            bodies.recv_many(&mut batch, WRITE_BATCH).await
        } else {
            tokio::select! {
                biased;
                received = bodies.recv_many(&mut batch, WRITE_BATCH) => received,
                _ = &mut stop => {
                    stopping = true;
                    bodies.close();
                    continue;
                }
            }
        };
        if received == 0 {
            break;
        }
        for body in batch.drain(..) {
            tracing::trace!(body = %String::from_utf8_lossy(&body), "->");
            let header = format!("Content-Length: {}\r\n\r\n", body.len());
            let written = async {
                output.write_all(header.as_bytes()).await?;
                output.write_all(&body).await
            };
            if let Err(error) = written.await {
                tracing::error!(%error, "writing to the client failed");
                return;
            }
        }
        if bodies.is_empty()
            && let Err(error) = output.flush().await
        {
            tracing::error!(%error, "writing to the client failed");
            return;
        }
    }
    let _ = output.flush().await;
}

/// Serves `service` on `input`/`output` until `exit` or the end of input; every message leaves
/// through `wire` (whose `Outgoing`s the service may hold too).
pub async fn serve_service<I, O>(
    input: I,
    output: O,
    mut service: LspService<Server>,
    socket: ClientSocket,
    Wire { outgoing, bodies }: Wire,
    concurrency: usize,
) where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let (client_requests, mut client_responses) = socket.split();
    let (client_requests, client_abort) = futures::stream::abortable(client_requests);
    let (mut tasks, task_queue) = futures::channel::mpsc::channel(QUEUE);
    let (stop, stopped) = oneshot::channel();

    let answer = {
        let outgoing = outgoing.clone();
        task_queue.buffer_unordered(concurrency.max(1)).for_each(
            move |response: Option<Response>| {
                if let Some(response) = response {
                    outgoing.send(&response);
                }
                ready(())
            },
        )
    };
    let forward = {
        let outgoing = outgoing.clone();
        client_requests.for_each(move |request| {
            outgoing.send(&request);
            ready(())
        })
    };
    let read = async {
        let mut input = tokio::io::BufReader::new(input);
        let mut line = Vec::new();
        loop {
            let body = match read_frame(&mut input, &mut line).await {
                Ok(Some(body)) => body,
                Ok(None) => break,
                Err(FrameError::Io(error)) => {
                    tracing::error!(%error, "reading from the client failed");
                    break;
                }
                Err(error) => {
                    tracing::error!(%error, "a message could not be read");
                    outgoing.send(&Response::from_error(Id::Null, Error::parse_error()));
                    continue;
                }
            };
            tracing::trace!(body = %String::from_utf8_lossy(&body), "<-");
            match serde_json::from_slice::<Incoming>(&body) {
                Ok(Incoming::Request(request)) => {
                    if let Err(error) = futures::future::poll_fn(|cx| service.poll_ready(cx)).await
                    {
                        tracing::error!(%error, "the server stopped taking requests");
                        break;
                    }
                    // The protocol has the server exit right after `exit`, whether or not the
                    // client closes its end.
                    let exit = request.method() == "exit";
                    let call = service.call(request);
                    let task = async move {
                        call.await.unwrap_or_else(|error| {
                            tracing::error!(%error, "a request could not be handled");
                            None
                        })
                    };
                    if tasks.send(task).await.is_err() || exit {
                        break;
                    }
                }
                Ok(Incoming::Response(response)) => {
                    if let Err(error) = client_responses.send(response).await {
                        tracing::error!(%error, "an answer from the client could not be handed on");
                        break;
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "a message could not be decoded");
                    outgoing.send(&undecodable(&error));
                }
            }
        }
        tasks.close_channel();
        client_abort.abort();
    };
    let run = async {
        futures::join!(answer, forward, read);
        let _ = stop.send(());
    };
    futures::join!(run, write_frames(output, bodies, stopped));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `read_frame` gives, frame after frame, until the end of the input or an I/O error.
    #[derive(Debug, PartialEq)]
    enum Frame {
        Body(String),
        End,
        Missing,
        Bad(String),
        Io(io::ErrorKind),
    }

    async fn frames(input: &[u8]) -> Vec<Frame> {
        let mut input = tokio::io::BufReader::new(input);
        let mut line = Vec::new();
        let mut out = Vec::new();
        loop {
            let frame = match read_frame(&mut input, &mut line).await {
                Ok(Some(body)) => Frame::Body(String::from_utf8_lossy(&body).into_owned()),
                Ok(None) => Frame::End,
                Err(FrameError::MissingLength) => Frame::Missing,
                Err(FrameError::BadLength(value)) => Frame::Bad(value),
                Err(FrameError::Io(error)) => Frame::Io(error.kind()),
            };
            let end = matches!(frame, Frame::End | Frame::Io(_));
            out.push(frame);
            if end {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn frames_are_read_by_their_length_whatever_the_headers() {
        let input = b"Content-Length: 2\r\n\r\n{}content-length:3\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[1]\r\n\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(
            frames(input).await,
            [
                Frame::Body("{}".into()),
                Frame::Body("[1]".into()),
                Frame::Body(String::new()),
                Frame::End
            ]
        );
    }

    #[tokio::test]
    async fn a_frame_without_length_is_an_error_and_the_next_one_is_read() {
        let input = b"X-Junk: 1\r\n\r\nContent-Length: x\r\n\r\nContent-Length: 4\r\n\r\nnull";
        assert_eq!(
            frames(input).await,
            [
                Frame::Missing,
                Frame::Bad("x".into()),
                Frame::Body("null".into()),
                Frame::End
            ]
        );
    }

    #[tokio::test]
    async fn input_that_ends_inside_a_frame_is_an_io_error() {
        for input in [
            &b"Content-Length: 10\r\n\r\n{}"[..],
            b"Content-Length: 10\r\n",
        ] {
            assert_eq!(
                frames(input).await,
                [Frame::Io(io::ErrorKind::UnexpectedEof)],
                "{input:?}"
            );
        }
    }

    #[test]
    fn undecodable_bodies_get_the_protocol_errors() {
        let not_json = serde_json::from_slice::<Incoming>(b"{\"jsonrpc\": ").err();
        let not_a_message = serde_json::from_slice::<Incoming>(b"{\"x\": 1}").err();
        let code = |error: Option<serde_json::Error>| {
            error.map(|error| undecodable(&error).error().map(|e| e.code.code()))
        };
        assert_eq!(code(not_json), Some(Some(-32700)));
        assert_eq!(code(not_a_message), Some(Some(-32600)));
    }

    #[test]
    fn notifications_are_framed_as_the_protocol_has_them() {
        use tower_lsp_server::ls_types::notification::PublishDiagnostics;
        use tower_lsp_server::ls_types::{PublishDiagnosticsParams, Uri};
        let uri: Uri = "file:///n.md".parse().expect("a URI");
        let params = PublishDiagnosticsParams::new(uri, Vec::new(), Some(3));
        let body = Outgoing::notification_body::<PublishDiagnostics>(&params).expect("serialised");
        let value: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(
            value,
            serde_json::json!({
                "jsonrpc": "2.0",
                "method": "textDocument/publishDiagnostics",
                "params": {"uri": "file:///n.md", "diagnostics": [], "version": 3}
            })
        );
    }

    #[tokio::test]
    async fn the_writer_frames_what_was_sent_before_it_stopped() {
        let Wire { outgoing, bodies } = Wire::new();
        let (stop, stopped) = oneshot::channel();
        let (client, server) = tokio::io::duplex(1 << 16);
        let writer = tokio::spawn(write_frames(server, bodies, stopped));
        assert!(outgoing.send_body(b"{\"a\":1}".to_vec()));
        assert!(outgoing.send_body(b"[]".to_vec()));
        let _ = stop.send(());
        writer.await.expect("the writer ends");
        assert!(!outgoing.send_body(b"late".to_vec()));
        let mut written = String::new();
        let mut client = client;
        client.read_to_string(&mut written).await.expect("readable");
        assert_eq!(
            written,
            "Content-Length: 7\r\n\r\n{\"a\":1}Content-Length: 2\r\n\r\n[]"
        );
    }
}

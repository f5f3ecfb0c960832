//! The protocol shell: `ibid lsp` over stdio. Converts positions and types, owns document state,
//! schedules analysis off the protocol loop. All logic lives in `analysis`.
//!
//! Modules: `server` (the `LanguageServer` implementation and request plumbing), `state` (open
//! documents, session), `worker` (the `AnalysisHost` owner applying changes in order),
//! `diagnostics` (debounced publishing), `transport` (framing, dispatch, the one writer),
//! `progress` (the initial load), `convert` (encodings, positions, URIs, diagnostics),
//! `settings`, and one module per feature.

pub mod code_action;
pub mod code_lens;
pub mod completion;
pub mod convert;
pub mod definition;
pub mod diagnostics;
pub mod hover;
pub mod progress;
pub mod references;
pub mod server;
pub mod settings;
pub mod state;
pub mod symbols;
pub mod transport;
pub mod worker;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{ClientSocket, LspService};

pub use server::{DocumentText, DocumentTextParams, Server};
pub use transport::{Outgoing, Wire};

/// How many requests are processed at once. Above its default of 4 so that `shutdown` and
/// `$/cancelRequest` are never stuck behind requests waiting for the analysis.
pub const CONCURRENCY: usize = 32;

/// Options of `ibid lsp`.
#[derive(Debug, Clone, Default)]
pub struct LspOptions {
    /// Write the log here instead of stderr.
    pub log_file: Option<PathBuf>,
}

/// How the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `shutdown` then `exit` (exit code 0).
    Clean,
    /// `exit` without `shutdown`, or the input closed (exit code 1 per the protocol).
    WithoutShutdown,
}

/// The service and the client socket, for running the server over any transport (tests use an
/// in-memory pipe); what the server sends past tower-lsp-server goes through `outgoing`. Call
/// inside a tokio runtime. The flag is set when `shutdown` arrives.
pub fn service(outgoing: Outgoing) -> (LspService<Server>, ClientSocket, Arc<AtomicBool>) {
    let shutdown_requested = Arc::new(AtomicBool::new(false));
    let flag = shutdown_requested.clone();
    let (service, socket) = LspService::build(move |client| Server::new(client, outgoing, flag))
        .custom_method("ibid/documentText", Server::document_text)
        .custom_method("ibid/debug/panic", Server::debug_panic)
        .finish();
    (service, socket, shutdown_requested)
}

/// Serves the protocol on `input`/`output` until `exit` or the end of input.
pub async fn serve<I, O>(input: I, output: O) -> Outcome
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let wire = Wire::new();
    let (service, socket, shutdown_requested) = service(wire.outgoing());
    transport::serve_service(input, output, service, socket, wire, CONCURRENCY).await;
    if shutdown_requested.load(Ordering::SeqCst) {
        Outcome::Clean
    } else {
        Outcome::WithoutShutdown
    }
}

/// How many bytes of mapped cache records the server reads (all its threads together) before
/// giving their pages back (`corpus::set_release_batch`).
const SERVER_RELEASE_BATCH: usize = 8 << 20;

/// Runs the language server on stdin/stdout until the client exits.
pub fn run_stdio() -> anyhow::Result<()> {
    run_stdio_with(LspOptions::default())
}

/// Like `run_stdio`, with options. Logs go to stderr (or the log file), filtered by `RUST_LOG`
/// (default `ibid=info`); stdout carries only the protocol. Returns an error when the client
/// exits without `shutdown`.
pub fn run_stdio_with(options: LspOptions) -> anyhow::Result<()> {
    init_logging(&options)?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        "ibid language server starting"
    );
    // A long-lived process beside the editor: the smaller peak over the faster cold start.
    crate::corpus::set_release_batch(SERVER_RELEASE_BATCH);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ibid-lsp")
        .build()
        .map_err(|error| anyhow::anyhow!("cannot start the async runtime: {error}"))?;
    let outcome = runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // Blocking analysis work still running must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_millis(500));
    tracing::info!(?outcome, "ibid language server stopped");
    match outcome {
        Outcome::Clean => Ok(()),
        Outcome::WithoutShutdown => Err(anyhow::anyhow!(
            "the client exited without a shutdown request"
        )),
    }
}

fn init_logging(options: &LspOptions) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("ibid=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    // Another subscriber (set by the CLI or a test) wins: `try_init` errors are ignored.
    match &options.log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
            let _ = builder.with_writer(Mutex::new(file)).try_init();
        }
        None => {
            let _ = builder.with_writer(std::io::stderr).try_init();
        }
    }
    Ok(())
}

#[cfg(test)]
mod feature_tests;

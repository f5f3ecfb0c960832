//! The `LanguageServer` implementation: negotiates capabilities, keeps the open documents (changed
//! synchronously, before any await, so edits apply in arrival order), forwards changes to the
//! analysis worker, and answers requests from the latest snapshot in `spawn_blocking`, turning a
//! panic into an `InternalError` response.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_lsp_server::jsonrpc::{self, ErrorCode};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::code_action::code_actions;
use super::code_lens::{SHOW_QUOTATIONS, code_lenses, first_location};
use super::completion::{TRIGGER_CHARACTERS, completion};
use super::convert::{Converter, PathMapper, encoding_kind, negotiate_encoding};
use super::definition::definition;
use super::diagnostics::run_publisher;
use super::hover::{early_hover, hover};
use super::references::references;
use super::settings::overlay_from_settings;
use super::state::{Documents, Session};
use super::symbols::{document_symbols, workspace_symbols};
use super::transport::Outgoing;
use super::worker::{self, Change, DiskChange, Snapshot, WorkerHandle, panic_message};
use crate::lock;
use crate::text::ColumnEncoding;

/// How long a request waits for the analysis to take in the document's latest version (or to
/// finish loading) before answering from whatever snapshot there is.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a request's answer depends on the terms mined from the sources: such a request waits
/// for the first terms; the others (citation keys to complete, quick fixes of diagnostics, lenses
/// over quoted passages) are answered while they are mined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terms {
    Needed,
    NotNeeded,
}

/// The language server.
pub struct Server {
    client: Client,
    documents: Arc<Mutex<Documents>>,
    session: Arc<Mutex<Session>>,
    worker: WorkerHandle,
    load_requested: AtomicBool,
    shutdown_requested: Arc<AtomicBool>,
    /// Turns true on `shutdown`: requests the server is still waiting on the client for are given
    /// up, so that no handler outlives the session (tower-lsp waits for them before exiting).
    shutdown_signal: tokio::sync::watch::Sender<bool>,
    /// A settings problem met in `initialize`, shown once the client is ready.
    settings_problem: Mutex<Option<String>>,
}

/// Parameters of `ibid/documentText`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DocumentTextParams {
    pub uri: Uri,
}

/// The server's copy of an open document (`ibid/documentText`, for tests and debugging).
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocumentText {
    pub version: i32,
    pub text: String,
}

impl Server {
    /// A server; must be created inside a tokio runtime (it spawns the analysis worker and the
    /// diagnostics publisher). `shutdown_requested` is set when the client sends `shutdown`.
    pub fn new(client: Client, outgoing: Outgoing, shutdown_requested: Arc<AtomicBool>) -> Server {
        let documents = Arc::new(Mutex::new(Documents::default()));
        let session = Arc::new(Mutex::new(Session::default()));
        let (dirty_tx, dirty_rx) = tokio::sync::mpsc::unbounded_channel();
        let worker = worker::spawn(documents.clone(), dirty_tx);
        let publisher_session = session.clone();
        tokio::spawn(run_publisher(
            outgoing,
            worker.clone(),
            dirty_rx,
            move || {
                let session = lock(&publisher_session);
                (session.encoding, session.paths.clone())
            },
        ));
        Server {
            client,
            documents,
            session,
            worker,
            load_requested: AtomicBool::new(false),
            shutdown_requested,
            shutdown_signal: tokio::sync::watch::Sender::new(false),
            settings_problem: Mutex::new(None),
        }
    }

    fn conversion(&self) -> (ColumnEncoding, PathMapper) {
        let session = lock(&self.session);
        (session.encoding, session.paths.clone())
    }

    fn path_of(&self, uri: &Uri) -> Option<PathBuf> {
        lock(&self.session).paths.uri_to_path(uri)
    }

    /// The latest snapshot once it has taken in the open document's current version (and the
    /// workspace is loaded, and its first terms are mined when `terms` says they are needed);
    /// `None` before any load was requested.
    async fn snapshot_for(&self, path: Option<&Path>, terms: Terms) -> Option<Arc<Snapshot>> {
        if !self.load_requested.load(Ordering::SeqCst) {
            return None;
        }
        let target = path.and_then(|path| lock(&self.documents).by_path(path).map(|d| d.version));
        let snapshot = self
            .worker
            .wait_for(CATCH_UP_TIMEOUT, |s| {
                s.loaded
                    && !(terms == Terms::Needed && s.terms_missing)
                    && match (path, target) {
                        (Some(path), Some(version)) => {
                            s.versions.get(path).is_some_and(|&seen| seen >= version)
                        }
                        _ => true,
                    }
            })
            .await;
        Some(snapshot)
    }

    /// Runs `query` over the snapshot for the document `uri`, off the protocol loop, once the
    /// first terms are mined if its answer depends on them (`terms`: mining takes seconds after
    /// a first start). Unknown documents give `None`; a panic gives an `InternalError`.
    async fn query<T, F>(
        &self,
        what: &'static str,
        uri: &Uri,
        terms: Terms,
        query: F,
    ) -> jsonrpc::Result<Option<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Converter, &Path) -> Option<T> + Send + 'static,
    {
        let (encoding, paths) = self.conversion();
        let Some(path) = paths.uri_to_path(uri) else {
            return Ok(None);
        };
        let Some(snapshot) = self.snapshot_for(Some(&path), terms).await else {
            return Ok(None);
        };
        run_on(what, &snapshot, encoding, paths, path, query).await
    }

    /// `query`, answered before the first terms are mined when `early` can answer: mining
    /// takes seconds after a first start, and what a citation or quotation answers does not
    /// depend on the terms. `early` gives `None` where its answer might (then `query` runs once
    /// the terms are there).
    async fn query_early<T, E, F>(
        &self,
        what: &'static str,
        uri: &Uri,
        early: E,
        query: F,
    ) -> jsonrpc::Result<Option<T>>
    where
        T: Send + 'static,
        E: FnOnce(&mut Converter, &Path) -> Option<T> + Send + 'static,
        F: FnOnce(&mut Converter, &Path) -> Option<T> + Send + 'static,
    {
        let (encoding, paths) = self.conversion();
        let Some(path) = paths.uri_to_path(uri) else {
            return Ok(None);
        };
        let Some(snapshot) = self.snapshot_for(Some(&path), Terms::NotNeeded).await else {
            return Ok(None);
        };
        if snapshot.terms_missing
            && let Some(answer) = run_on(what, &snapshot, encoding, paths, path, early).await?
        {
            return Ok(Some(answer));
        }
        self.query(what, uri, Terms::Needed, query).await
    }

    /// `ibid/documentText`: the server's copy of an open document.
    pub async fn document_text(
        &self,
        params: DocumentTextParams,
    ) -> jsonrpc::Result<Option<DocumentText>> {
        let documents = lock(&self.documents);
        Ok(documents.get(&params.uri).map(|document| DocumentText {
            version: document.version,
            text: document.rope.to_string(),
        }))
    }

    /// `ibid/debug/panic`: panics inside a request's blocking work, to check that a panic
    /// becomes an error response and the server lives on.
    pub async fn debug_panic(&self) -> jsonrpc::Result<Option<Value>> {
        run_blocking("ibid/debug/panic", || -> Option<Value> {
            panic!("panic requested by ibid/debug/panic")
        })
        .await
    }

    async fn register_file_watchers(&self) {
        let globs = [
            "**/*.md",
            "**/*.txt",
            "**/*.bib",
            "**/*.json",
            "**/ibid.toml",
        ];
        let watchers: Vec<FileSystemWatcher> = globs
            .iter()
            .map(|glob| FileSystemWatcher {
                glob_pattern: GlobPattern::String((*glob).to_string()),
                kind: None,
            })
            .collect();
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let registration = Registration {
            id: "ibid-watched-files".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(options).ok(),
        };
        let registered = until_shutdown(
            self.shutdown_signal.subscribe(),
            self.client.register_capability(vec![registration]),
        )
        .await;
        match registered {
            Some(Ok(())) => {}
            Some(Err(error)) => {
                tracing::warn!(%error, "the client refused the file watcher registration");
            }
            None => tracing::warn!("no answer to the file watcher registration"),
        }
    }
}

/// How long the server waits for the client to answer one of its requests.
const CLIENT_ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// `request`'s answer, or `None` when the session shuts down (or the client has not answered
/// within `CLIENT_ANSWER_TIMEOUT`) first.
pub(super) async fn until_shutdown<T>(
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    request: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        answer = tokio::time::timeout(CLIENT_ANSWER_TIMEOUT, request) => answer.ok(),
        _ = shutdown.wait_for(|&down| down) => None,
    }
}

/// Runs `query` over `snapshot`'s analysis for the document at `path`, off the protocol loop
/// (`run_blocking`); `None` before any analysis exists.
async fn run_on<T, F>(
    what: &'static str,
    snapshot: &Snapshot,
    encoding: ColumnEncoding,
    paths: PathMapper,
    path: PathBuf,
    query: F,
) -> jsonrpc::Result<Option<T>>
where
    T: Send + 'static,
    F: FnOnce(&mut Converter, &Path) -> Option<T> + Send + 'static,
{
    let Some(analysis) = snapshot.analysis.clone() else {
        return Ok(None);
    };
    run_blocking(what, move || {
        let mut converter = Converter::new(&analysis, encoding, &paths);
        query(&mut converter, &path)
    })
    .await
}

/// Runs `work` in `spawn_blocking`; a panic becomes an `InternalError` response plus a log line.
async fn run_blocking<T, F>(what: &'static str, work: F) -> jsonrpc::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => Ok(value),
        Err(error) => {
            let message = if error.is_panic() {
                panic_message(&error.into_panic())
            } else {
                error.to_string()
            };
            tracing::error!(request = what, error = message, "request failed");
            Err(jsonrpc::Error {
                code: ErrorCode::InternalError,
                message: format!("ibid: {what} failed: {message}").into(),
                data: None,
            })
        }
    }
}

/// The workspace root the client names: the first workspace folder, else `rootUri`, else the
/// deprecated `rootPath`.
fn client_root(params: &InitializeParams) -> Option<PathBuf> {
    let folder = params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|folder| folder.uri.clone());
    #[allow(deprecated)]
    let uri = folder.or_else(|| params.root_uri.clone());
    match uri {
        Some(uri) if uri.scheme().as_str() == "file" => {
            uri.to_file_path().map(|path| path.into_owned())
        }
        Some(_) => None,
        #[allow(deprecated)]
        None => params
            .root_path
            .as_ref()
            .filter(|path| !path.is_empty())
            .map(PathBuf::from),
    }
}

fn server_capabilities(encoding: ColumnEncoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding_kind(encoding)),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                will_save: None,
                will_save_wait_until: None,
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(TRIGGER_CHARACTERS.iter().map(|c| c.to_string()).collect()),
            ..CompletionOptions::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![SHOW_QUOTATIONS.to_string()],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

fn disk_change(kind: FileChangeType) -> Option<DiskChange> {
    match kind {
        FileChangeType::CREATED => Some(DiskChange::Created),
        FileChangeType::CHANGED => Some(DiskChange::Changed),
        FileChangeType::DELETED => Some(DiskChange::Deleted),
        _ => None,
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> jsonrpc::Result<InitializeResult> {
        let encoding = negotiate_encoding(&params.capabilities);
        let root = client_root(&params);
        let capabilities = &params.capabilities;
        let work_done_progress = capabilities
            .window
            .as_ref()
            .and_then(|window| window.work_done_progress)
            .unwrap_or(false);
        let watch_files_dynamically = capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.did_change_watched_files.as_ref())
            .and_then(|watched| watched.dynamic_registration)
            .unwrap_or(false);
        let overlay = match params.initialization_options.as_ref() {
            Some(options) => match overlay_from_settings(options) {
                Ok(overlay) => overlay,
                Err(problem) => {
                    tracing::warn!(problem, "ignoring initializationOptions");
                    *lock(&self.settings_problem) = Some(problem);
                    None
                }
            },
            None => None,
        };
        tracing::info!(
            root = ?root,
            ?encoding,
            work_done_progress,
            watch_files_dynamically,
            "initialize"
        );
        {
            let mut session = lock(&self.session);
            session.encoding = encoding;
            session.paths = PathMapper::new(root);
            session.work_done_progress = work_done_progress;
            session.watch_files_dynamically = watch_files_dynamically;
            session.overlay = overlay;
        }
        Ok(InitializeResult {
            capabilities: server_capabilities(encoding),
            server_info: Some(ServerInfo {
                name: "ibid".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let (root, use_progress, watch, overlay) = {
            let mut session = lock(&self.session);
            session.initialized = true;
            (
                session.paths.root().map(Path::to_path_buf),
                session.work_done_progress,
                session.watch_files_dynamically,
                session.overlay.clone(),
            )
        };
        if let Some(root) = root.clone() {
            self.load_requested.store(true, Ordering::SeqCst);
            // Before any await: settings changes sent later apply after this.
            self.worker.send(Change::Configure {
                root: root.clone(),
                overlay,
            });
            tokio::spawn(super::progress::load_workspace(
                self.client.clone(),
                self.worker.clone(),
                use_progress,
                root,
                self.shutdown_signal.subscribe(),
            ));
        } else {
            tracing::info!("no workspace folder: nothing to analyse");
        }
        let problem = lock(&self.settings_problem).take();
        if let Some(problem) = problem {
            self.client
                .show_message(MessageType::WARNING, format!("ibid settings: {problem}"))
                .await;
        }
        if watch && root.is_some() {
            self.register_file_watchers().await;
        }
    }

    async fn shutdown(&self) -> jsonrpc::Result<()> {
        tracing::info!("shutdown requested");
        self.shutdown_requested.store(true, Ordering::SeqCst);
        self.shutdown_signal.send_replace(true);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        let path = self.path_of(&document.uri);
        lock(&self.documents).open(document.uri, path.clone(), document.version, &document.text);
        if let Some(path) = path {
            self.worker.send(Change::Buffer {
                path,
                version: document.version,
                text: Arc::from(document.text),
            });
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let encoding = lock(&self.session).encoding;
        let changed = lock(&self.documents).change(
            &params.text_document.uri,
            params.text_document.version,
            &params.content_changes,
            encoding,
        );
        if let Some(changed) = changed
            && let Some(path) = changed.path
        {
            self.worker.send(Change::Buffer {
                path,
                version: changed.version,
                text: changed.text,
            });
        }
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        if let Some(path) = self.path_of(&params.text_document.uri) {
            self.worker.send(Change::Disk {
                path,
                kind: DiskChange::Saved,
            });
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let closed = lock(&self.documents).close(&params.text_document.uri);
        if let Some(path) = closed.and_then(|document| document.path) {
            self.worker.send(Change::Closed { path });
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        for event in params.changes {
            let (Some(path), Some(kind)) = (self.path_of(&event.uri), disk_change(event.typ))
            else {
                continue;
            };
            self.worker.send(Change::Disk { path, kind });
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        match overlay_from_settings(&params.settings) {
            Ok(overlay) => {
                {
                    let mut session = lock(&self.session);
                    if session.overlay == overlay {
                        // Clients send their settings right after `initialized`: no reload.
                        return;
                    }
                    session.overlay = overlay.clone();
                }
                self.worker.send(Change::Reload { overlay });
            }
            Err(problem) => {
                tracing::warn!(problem, "ignoring settings");
                self.client
                    .show_message(MessageType::WARNING, format!("ibid settings: {problem}"))
                    .await;
            }
        }
    }

    async fn hover(&self, params: HoverParams) -> jsonrpc::Result<Option<Hover>> {
        let position = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        self.query_early(
            "hover",
            &uri,
            move |converter, path| early_hover(converter, path, position),
            move |converter, path| hover(converter, path, position),
        )
        .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> jsonrpc::Result<Option<GotoDefinitionResponse>> {
        let position = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        // Without terms, a definition found is a citation's or a quotation's: the same with them.
        let answer =
            move |converter: &mut Converter, path: &Path| definition(converter, path, position);
        self.query_early("definition", &uri, answer, answer).await
    }

    async fn references(&self, params: ReferenceParams) -> jsonrpc::Result<Option<Vec<Location>>> {
        let position = params.text_document_position.position;
        let uri = params.text_document_position.text_document.uri;
        self.query("references", &uri, Terms::Needed, move |converter, path| {
            Some(references(converter, path, position))
        })
        .await
    }

    async fn completion(
        &self,
        params: CompletionParams,
    ) -> jsonrpc::Result<Option<CompletionResponse>> {
        let position = params.text_document_position.position;
        let uri = params.text_document_position.text_document.uri;
        self.query(
            "completion",
            &uri,
            Terms::NotNeeded,
            move |converter, path| completion(converter, path, position),
        )
        .await
    }

    async fn code_action(
        &self,
        params: CodeActionParams,
    ) -> jsonrpc::Result<Option<CodeActionResponse>> {
        let range = params.range;
        let context = params.context.diagnostics.clone();
        let wants_quickfix = params.context.only.as_ref().is_none_or(|only| {
            only.iter()
                .any(|kind| CodeActionKind::QUICKFIX.as_str().starts_with(kind.as_str()))
        });
        if !wants_quickfix {
            return Ok(None);
        }
        self.query(
            "codeAction",
            &params.text_document.uri,
            Terms::NotNeeded,
            move |converter, path| {
                let actions = code_actions(converter, path, range, &context);
                (!actions.is_empty()).then_some(actions)
            },
        )
        .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> jsonrpc::Result<Option<DocumentSymbolResponse>> {
        self.query(
            "documentSymbol",
            &params.text_document.uri,
            Terms::Needed,
            document_symbols,
        )
        .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> jsonrpc::Result<Option<WorkspaceSymbolResponse>> {
        let Some(snapshot) = self.snapshot_for(None, Terms::Needed).await else {
            return Ok(None);
        };
        let Some(analysis) = snapshot.analysis.clone() else {
            return Ok(None);
        };
        let (encoding, paths) = self.conversion();
        let query = params.query;
        run_blocking("workspace/symbol", move || {
            let mut converter = Converter::new(&analysis, encoding, &paths);
            Some(workspace_symbols(&mut converter, &query))
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> jsonrpc::Result<Option<Vec<CodeLens>>> {
        self.query(
            "codeLens",
            &params.text_document.uri,
            Terms::NotNeeded,
            |converter, path| {
                let lenses = code_lenses(converter, path);
                (!lenses.is_empty()).then_some(lenses)
            },
        )
        .await
    }

    async fn execute_command(
        &self,
        params: ExecuteCommandParams,
    ) -> jsonrpc::Result<Option<LSPAny>> {
        if params.command != SHOW_QUOTATIONS {
            return Err(jsonrpc::Error::invalid_params(format!(
                "unknown command {}",
                params.command
            )));
        }
        let Some(location) = first_location(&params.arguments) else {
            return Err(jsonrpc::Error::invalid_params(
                "expected [uri, position, locations]",
            ));
        };
        let shown = self
            .client
            .show_document(ShowDocumentParams {
                uri: location.uri,
                external: None,
                take_focus: Some(true),
                selection: Some(location.range),
            })
            .await;
        if let Err(error) = shown {
            tracing::warn!(%error, "the client could not show a quoting note");
        }
        Ok(None)
    }
}

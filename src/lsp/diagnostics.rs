//! Publishing diagnostics: waits until the changes have been quiet for a moment (debounce), takes
//! the latest snapshot, converts the diagnostics of the dirty files off the protocol loop, and
//! drops the results for files that a newer revision has made dirty again. After a load or a
//! change to a source, the bibliography or `ibid.toml`, every note (open or not) and every file
//! with workspace problems is republished; files that no longer have problems are cleared.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tower_lsp_server::ls_types::notification::PublishDiagnostics;
use tower_lsp_server::ls_types::{self as lsp, PublishDiagnosticsParams, Uri};

use super::convert::{Converter, KnownPositions, PathMapper};
use super::transport::Outgoing;
use super::worker::{Dirty, Foreground, Snapshot, WorkerHandle};
use crate::text::ColumnEncoding;

/// Quiet time before publishing. Very short: the worker already folds the changes that arrive
/// while it is busy into one batch, and re-analysing a note after an edit re-parses only the
/// chunks and re-resolves only the quotations the edit touched, so diagnostics follow the typing.
pub const DEBOUNCE: Duration = Duration::from_millis(5);
/// Longest delay while changes keep arriving.
pub const MAX_DELAY: Duration = Duration::from_millis(1000);

/// One file's diagnostics, ready to send.
#[derive(Debug)]
pub struct FileDiagnostics {
    pub path: PathBuf,
    pub uri: Uri,
    pub version: Option<i32>,
    pub diagnostics: Vec<lsp::Diagnostic>,
}

/// One file's `publishDiagnostics` notification, serialised.
struct Publication {
    path: PathBuf,
    /// No diagnostics: the file's earlier ones are cleared.
    clears: bool,
    body: Vec<u8>,
}

impl FileDiagnostics {
    /// The notification that publishes these diagnostics, serialised straight from the protocol's
    /// types (tower-lsp-server's `Client` would build a `serde_json::Value` tree of them first).
    fn into_publication(self) -> Option<Publication> {
        let clears = self.diagnostics.is_empty();
        let params = PublishDiagnosticsParams::new(self.uri, self.diagnostics, self.version);
        match Outgoing::notification_body::<PublishDiagnostics>(&params) {
            Ok(body) => Some(Publication {
                path: self.path,
                clears,
                body,
            }),
            Err(error) => {
                tracing::error!(%error, path = %self.path.display(), "diagnostics could not be serialised");
                None
            }
        }
    }
}

/// Runs until the dirty channel closes.
pub async fn run_publisher(
    outgoing: Outgoing,
    worker: WorkerHandle,
    mut dirty: mpsc::UnboundedReceiver<Dirty>,
    conversion: impl Fn() -> (ColumnEncoding, PathMapper) + Send + 'static,
) {
    let mut published: BTreeSet<PathBuf> = BTreeSet::new();
    let mut pending = Dirty::Nothing;
    let mut known = KnownPositions::default();
    loop {
        if pending == Dirty::Nothing {
            match dirty.recv().await {
                Some(more) => pending.merge(more),
                None => return,
            }
        }
        let deadline = tokio::time::Instant::now() + MAX_DELAY;
        loop {
            let quiet = tokio::time::sleep(DEBOUNCE);
            tokio::select! {
                more = dirty.recv() => match more {
                    Some(more) => pending.merge(more),
                    None => return,
                },
                () = quiet => break,
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
        }
        let snapshot = worker.latest();
        let work = std::mem::take(&mut pending);
        let (encoding, paths) = conversion();
        let previously = published.clone();
        let earlier = std::mem::take(&mut known);
        let computed = tokio::task::spawn_blocking(move || {
            let _foreground = Foreground::start();
            let (files, positions) =
                compute_with(&snapshot, &work, &previously, encoding, &paths, earlier);
            let publications: Vec<Publication> = files
                .into_iter()
                .filter_map(FileDiagnostics::into_publication)
                .collect();
            (publications, positions)
        })
        .await;
        let files = match computed {
            Ok((files, positions)) => {
                known = positions;
                files
            }
            Err(error) => {
                tracing::error!(%error, "computing diagnostics failed");
                continue;
            }
        };
        // Results for files a newer revision touched again are stale: the next round redoes them.
        while let Ok(more) = dirty.try_recv() {
            pending.merge(more);
        }
        for file in files {
            if pending.contains(&file.path) {
                continue;
            }
            if !outgoing.send_body(file.body) {
                return; // the session has ended
            }
            if file.clears {
                published.remove(&file.path);
            } else {
                published.insert(file.path);
            }
        }
    }
}

/// The diagnostics of the files `dirty` names (all notes and problem files for `Everything`),
/// plus empty lists for files published before that have none now.
pub fn compute(
    snapshot: &Snapshot,
    dirty: &Dirty,
    previously: &BTreeSet<PathBuf>,
    encoding: ColumnEncoding,
    paths: &PathMapper,
) -> Vec<FileDiagnostics> {
    compute_with(
        snapshot,
        dirty,
        previously,
        encoding,
        paths,
        KnownPositions::default(),
    )
    .0
}

/// `compute`, re-using what an earlier round converted in sources; returns what this one did,
/// for the next round.
pub(super) fn compute_with(
    snapshot: &Snapshot,
    dirty: &Dirty,
    previously: &BTreeSet<PathBuf>,
    encoding: ColumnEncoding,
    paths: &PathMapper,
    known: KnownPositions,
) -> (Vec<FileDiagnostics>, KnownPositions) {
    let Some(analysis) = snapshot.analysis.as_ref() else {
        // Nothing loaded: clear what was published.
        let cleared = previously
            .iter()
            .filter_map(|path| {
                Some(FileDiagnostics {
                    path: path.clone(),
                    uri: paths.path_to_uri(path)?,
                    version: None,
                    diagnostics: Vec::new(),
                })
            })
            .collect();
        return (cleared, KnownPositions::default());
    };
    let mut problems: BTreeMap<&std::path::Path, Vec<&crate::diagnostic::Diagnostic>> =
        BTreeMap::new();
    for problem in analysis.workspace_problems() {
        problems.entry(&problem.path).or_default().push(problem);
    }
    let files: BTreeSet<PathBuf> = match dirty {
        Dirty::Nothing => BTreeSet::new(),
        Dirty::Files(files) => files.clone(),
        Dirty::Everything => analysis
            .notes()
            .map(|note| note.path.clone())
            .chain(problems.keys().map(|path| path.to_path_buf()))
            .chain(previously.iter().cloned())
            .collect(),
    };
    let mut converter = Converter::with_known(analysis, encoding, paths, known);
    let mut out = Vec::new();
    for path in files {
        let own = analysis.diagnostics(&path);
        let diagnostics: Vec<lsp::Diagnostic> = own
            .iter()
            .chain(problems.get(path.as_path()).into_iter().flatten().copied())
            .filter_map(|diagnostic| converter.diagnostic(diagnostic))
            .collect();
        let is_open = snapshot.versions.contains_key(&path);
        if diagnostics.is_empty() && !previously.contains(&path) && !is_open {
            continue;
        }
        let Some(uri) = paths.path_to_uri(&path) else {
            continue;
        };
        out.push(FileDiagnostics {
            version: snapshot.versions.get(&path).copied(),
            path,
            uri,
            diagnostics,
        });
    }
    (out, converter.into_known())
}

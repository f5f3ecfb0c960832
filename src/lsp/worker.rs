//! The analysis worker: owns the `AnalysisHost`, applies changes (open buffers, files changed on
//! disk, settings) strictly in the order they were sent, off the protocol loop in
//! `spawn_blocking`, and publishes each new snapshot with a revision number. It tells the
//! diagnostics publisher which files each batch made dirty.

use std::collections::{BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};

use super::state::Documents;
use crate::analysis::{Analysis, AnalysisHost, LoadProgress, MinedTerms, NoProgress, TermsState};
use crate::workspace::Config;

/// The thread pool of background work (mining the sources' terms, some seconds after a load),
/// apart from rayon's global pool, which the analysis of edits and requests uses: work queued in
/// one pool does not wait behind the other's. Its threads run at a lower priority (`SCHED_IDLE`
/// on Linux), so that the operating system gives the cores to the edits first. `None` when the
/// pool cannot be built (the work then runs on the global pool).
fn background_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(rayon::current_num_threads())
            .thread_name(|i| format!("ibid-background-{i}"))
            .start_handler(|_| lower_this_thread_priority())
            .build()
            .map_err(|error| tracing::warn!(%error, "no pool for background work"))
            .ok()
    })
    .as_ref()
}

/// Lowers the calling thread's scheduling priority. Linux: the thread's policy becomes
/// `SCHED_IDLE` (it runs when no other thread wants the core: at nice 10 it still took a tenth of
/// a core from an edit's analysis and could hold the core for a time slice once the edit's
/// threads woke, and keystrokes typed while the sources' terms were mined took up to 112 ms);
/// where that is refused, its nice value is raised to 10.
fn lower_this_thread_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: gettid takes nothing; sched_setscheduler reads `param`, which outlives the
        // call, and with a thread's id sets that thread's policy only. setpriority takes no
        // pointers; PRIO_PROCESS with a thread's id sets that thread's nice value only.
        let lowered = unsafe {
            let thread = libc::gettid();
            libc::sched_setscheduler(thread, libc::SCHED_IDLE, &param) == 0
                || libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, 10) == 0
        };
        if !lowered {
            tracing::debug!("could not lower a background thread's priority");
        }
    }
}

/// How much foreground work is under way (changes applied, diagnostics computed): background
/// jobs wait while there is any (`Foreground`).
static FOREGROUND_WORK: AtomicUsize = AtomicUsize::new(0);

/// Foreground work under way for as long as it lives: the terms job pauses between sources
/// meanwhile (`TermsJob::run_pausing`).
pub(crate) struct Foreground(());

impl Foreground {
    pub(crate) fn start() -> Foreground {
        FOREGROUND_WORK.fetch_add(1, Ordering::SeqCst);
        Foreground(())
    }

    /// Whether any foreground work is under way.
    fn under_way() -> bool {
        FOREGROUND_WORK.load(Ordering::SeqCst) > 0
    }
}

/// For tests and debugging: while the file this variable names exists, a terms job waits before
/// it mines (and before each source), so that what the server answers before the sources' terms
/// are there can be watched (`tests/lsp/binary.rs`). Unset, nothing waits.
const HOLD_TERMS_WHILE: &str = "IBID_HOLD_TERMS_WHILE";

/// Whether a terms job is to wait now: foreground work is under way, or the file named by
/// `HOLD_TERMS_WHILE` (`hold`, read once per job) exists.
fn terms_job_paused(hold: Option<&Path>) -> bool {
    Foreground::under_way() || hold.is_some_and(Path::exists)
}

impl Drop for Foreground {
    fn drop(&mut self) {
        FOREGROUND_WORK.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A change for the analysis, in protocol order.
pub enum Change {
    /// The workspace root and the editor settings (sent by `initialized`, before `Load`).
    Configure {
        root: PathBuf,
        overlay: Option<Config>,
    },
    /// Load the configured workspace.
    Load {
        /// Receives the load's progress, when the client shows progress.
        progress: Option<Arc<dyn LoadProgress + Send>>,
    },
    /// Settings changed: reload with the new overlay (once loaded).
    Reload { overlay: Option<Config> },
    /// An open buffer's text.
    Buffer {
        path: PathBuf,
        version: i32,
        text: Arc<str>,
    },
    /// A buffer was closed: the note reverts to its text on disk.
    Closed { path: PathBuf },
    /// A file changed on disk (watcher or save).
    Disk { path: PathBuf, kind: DiskChange },
    /// Sources whose texts changed on disk together (see `coalesce_disk_changes`).
    Sources(Vec<PathBuf>),
    /// Terms mined off the worker (see `AnalysisHost::terms_job`); `None` when the job stopped
    /// because the corpus changed.
    MinedTerms(Option<MinedTerms>),
    /// Mining the terms failed (panicked): keep the terms as they are.
    MiningFailed,
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Configure { root, .. } => write!(f, "Configure({})", root.display()),
            Change::Load { .. } => write!(f, "Load"),
            Change::Reload { .. } => write!(f, "Reload"),
            Change::Buffer { path, version, .. } => {
                write!(f, "Buffer({}, v{version})", path.display())
            }
            Change::Closed { path } => write!(f, "Closed({})", path.display()),
            Change::Disk { path, kind } => write!(f, "Disk({}, {kind:?})", path.display()),
            Change::Sources(paths) => write!(f, "Sources({})", paths.len()),
            Change::MinedTerms(_) => write!(f, "MinedTerms"),
            Change::MiningFailed => write!(f, "MiningFailed"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskChange {
    Created,
    Changed,
    Deleted,
    Saved,
}

/// The files whose diagnostics a batch of changes may have changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Dirty {
    #[default]
    Nothing,
    Files(BTreeSet<PathBuf>),
    Everything,
}

impl Dirty {
    pub fn file(path: PathBuf) -> Dirty {
        Dirty::Files(BTreeSet::from([path]))
    }

    pub fn merge(&mut self, other: Dirty) {
        match (&mut *self, other) {
            (_, Dirty::Nothing) | (Dirty::Everything, _) => {}
            (_, Dirty::Everything) => *self = Dirty::Everything,
            (Dirty::Nothing, other) => *self = other,
            (Dirty::Files(mine), Dirty::Files(theirs)) => mine.extend(theirs),
        }
    }

    pub fn contains(&self, path: &Path) -> bool {
        match self {
            Dirty::Nothing => false,
            Dirty::Files(files) => files.contains(path),
            Dirty::Everything => true,
        }
    }
}

/// One published state of the analysis.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub revision: u64,
    /// `None` until the workspace is loaded (or when loading failed).
    pub analysis: Option<Analysis>,
    /// The version of each open buffer this snapshot has taken in (applied, or ignored because
    /// the file is not a note).
    pub versions: HashMap<PathBuf, i32>,
    /// A load was attempted (successfully or not).
    pub loaded: bool,
    pub load_error: Option<String>,
    /// The terms of the sources are being mined for the first time (queries wait for them; after
    /// a source changed, they answer from the earlier terms meanwhile).
    pub terms_missing: bool,
}

/// The handle the server keeps: send changes, watch snapshots.
#[derive(Debug, Clone)]
pub struct WorkerHandle {
    changes: mpsc::UnboundedSender<Change>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
}

impl WorkerHandle {
    /// Queues a change. Never blocks, so handlers call it before any await and order is kept.
    pub fn send(&self, change: Change) {
        if self.changes.send(change).is_err() {
            tracing::error!("the analysis worker has stopped; change dropped");
        }
    }

    pub fn latest(&self) -> Arc<Snapshot> {
        self.snapshots.borrow().clone()
    }

    /// Waits (up to `timeout`) for a snapshot accepted by `ready`; returns the latest one either
    /// way.
    pub async fn wait_for(
        &self,
        timeout: std::time::Duration,
        ready: impl Fn(&Snapshot) -> bool,
    ) -> Arc<Snapshot> {
        let mut receiver = self.snapshots.clone();
        let waited = tokio::time::timeout(timeout, receiver.wait_for(|s| ready(s))).await;
        match waited {
            Ok(Ok(snapshot)) => snapshot.clone(),
            _ => self.latest(),
        }
    }
}

/// Starts the worker task. `dirty` receives what each applied batch touched.
pub fn spawn(
    documents: Arc<Mutex<Documents>>,
    dirty: mpsc::UnboundedSender<Dirty>,
) -> WorkerHandle {
    let (changes_tx, changes_rx) = mpsc::unbounded_channel();
    let (snapshots_tx, snapshots_rx) = watch::channel(Arc::new(Snapshot::default()));
    tokio::spawn(run(
        changes_rx,
        changes_tx.downgrade(),
        snapshots_tx,
        dirty,
        documents,
    ));
    WorkerHandle {
        changes: changes_tx,
        snapshots: snapshots_rx,
    }
}

async fn run(
    mut changes: mpsc::UnboundedReceiver<Change>,
    // Weak, so that the worker still stops when the server drops its handle.
    resend: mpsc::WeakUnboundedSender<Change>,
    snapshots: watch::Sender<Arc<Snapshot>>,
    dirty: mpsc::UnboundedSender<Dirty>,
    documents: Arc<Mutex<Documents>>,
) {
    let mut state = Some(HostState::default());
    // Whether terms are being mined: one job at a time (each holds a corpus's worth of
    // working memory); a job whose corpus changed meanwhile is followed by one for the new.
    let mut mining = false;
    while let Some(first) = changes.recv().await {
        let mut batch = vec![first];
        while let Ok(change) = changes.try_recv() {
            batch.push(change);
        }
        if batch
            .iter()
            .any(|c| matches!(c, Change::MinedTerms(_) | Change::MiningFailed))
        {
            mining = false;
        }
        let Some(mut host_state) = state.take() else {
            break;
        };
        let documents = documents.clone();
        let applied = tokio::task::spawn_blocking(move || {
            let _foreground = Foreground::start();
            let touched = host_state.apply_batch(batch, &documents);
            (host_state, touched)
        })
        .await;
        match applied {
            Ok((host_state, touched)) => {
                let replaced = snapshots.send_replace(Arc::new(host_state.snapshot()));
                let everything = touched == Dirty::Everything;
                if touched != Dirty::Nothing {
                    let _ = dirty.send(touched);
                }
                // The replaced snapshot is dropped on a blocking thread: when no request holds it
                // any more, dropping it frees a note's analysis (thousands of allocations for a
                // long note: 8 % of the server's CPU per keystroke), which held this task, and so
                // the next change, on the runtime.
                tokio::task::spawn_blocking(move || {
                    drop(replaced);
                    if everything {
                        // The whole analysis was replaced (a source changed, a reload): what
                        // the old one held is free.
                        crate::analysis::give_back_free_memory();
                    }
                });
                // Terms are mined off the worker, so that changes (keystrokes) go on meanwhile;
                // they come back as a change, taken only if the corpus is still theirs.
                if !mining
                    && let Some(job) = host_state.host.as_ref().and_then(AnalysisHost::terms_job)
                    && let Some(resend) = resend.upgrade()
                {
                    mining = true;
                    tokio::task::spawn_blocking(move || {
                        let started = std::time::Instant::now();
                        let hold = std::env::var_os(HOLD_TERMS_WHILE).map(PathBuf::from);
                        let paused = || terms_job_paused(hold.as_deref());
                        let run = || match background_pool() {
                            Some(pool) => pool.install(|| job.run_pausing(&paused)),
                            None => job.run_pausing(&paused),
                        };
                        match catch_unwind(AssertUnwindSafe(run)) {
                            Ok(mined) => {
                                tracing::info!(
                                    elapsed_ms = started.elapsed().as_millis() as u64,
                                    done = mined.is_some(),
                                    "mining the terms of the sources: done, or stopped (the corpus changed)"
                                );
                                let _ = resend.send(Change::MinedTerms(mined));
                            }
                            Err(panic) => {
                                tracing::error!(
                                    panic = panic_message(&panic),
                                    "mining the terms panicked"
                                );
                                let _ = resend.send(Change::MiningFailed);
                            }
                        }
                    });
                }
                state = Some(host_state);
            }
            Err(error) => {
                tracing::error!(%error, "the analysis worker stopped");
                break;
            }
        }
    }
}

/// The host and what the worker remembers next to it.
#[derive(Debug, Default)]
struct HostState {
    host: Option<AnalysisHost>,
    root: Option<PathBuf>,
    overlay: Option<Config>,
    revision: u64,
    versions: HashMap<PathBuf, i32>,
    loaded: bool,
    load_error: Option<String>,
}

impl HostState {
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            revision: self.revision,
            analysis: self.host.as_ref().map(AnalysisHost::snapshot),
            versions: self.versions.clone(),
            loaded: self.loaded,
            load_error: self.load_error.clone(),
            terms_missing: self
                .host
                .as_ref()
                .is_some_and(|host| host.terms_state() == TermsState::Missing),
        }
    }

    fn apply_batch(&mut self, batch: Vec<Change>, documents: &Mutex<Documents>) -> Dirty {
        let batch = match self.host.as_ref().map(AnalysisHost::snapshot) {
            Some(snapshot) => coalesce_disk_changes(batch, self.overlay.as_ref(), |path, kind| {
                DiskCost::of(FileRole::of(&snapshot, path), path, kind)
            }),
            None => batch,
        };
        // Only the last text of each buffer in a batch matters.
        let mut last_buffer: HashMap<PathBuf, usize> = HashMap::new();
        for (i, change) in batch.iter().enumerate() {
            if let Change::Buffer { path, .. } = change {
                last_buffer.insert(path.clone(), i);
            }
        }
        let mut touched = Dirty::Nothing;
        for (i, change) in batch.into_iter().enumerate() {
            if let Change::Buffer { path, .. } = &change
                && last_buffer.get(path) != Some(&i)
            {
                continue;
            }
            let description = format!("{change:?}");
            match catch_unwind(AssertUnwindSafe(|| self.apply(change, documents))) {
                Ok(dirty) => touched.merge(dirty),
                Err(panic) => {
                    tracing::error!(
                        change = description,
                        panic = panic_message(&panic),
                        "the analysis panicked while applying a change"
                    );
                }
            }
        }
        self.revision += 1;
        touched
    }

    fn apply(&mut self, change: Change, documents: &Mutex<Documents>) -> Dirty {
        match change {
            Change::MinedTerms(mined) => {
                if let (Some(host), Some(mined)) = (self.host.as_mut(), mined)
                    && !host.set_mined_terms(mined)
                {
                    tracing::debug!("terms mined from an earlier corpus: dropped");
                }
                // No diagnostic reads the terms.
                Dirty::Nothing
            }
            Change::MiningFailed => {
                if let Some(host) = self.host.as_mut() {
                    host.keep_terms();
                }
                Dirty::Nothing
            }
            Change::Configure { root, overlay } => {
                self.root = Some(root);
                self.overlay = overlay;
                Dirty::Nothing
            }
            Change::Load { progress } => match progress {
                Some(progress) => self.load(documents, progress.as_ref()),
                None => self.load(documents, &NoProgress),
            },
            Change::Reload { overlay } => {
                self.overlay = overlay;
                if self.loaded {
                    self.reload(documents)
                } else {
                    // The pending `Load` uses the new settings.
                    Dirty::Nothing
                }
            }
            Change::Buffer {
                path,
                version,
                text,
            } => {
                self.versions.insert(path.clone(), version);
                let Some(host) = self.host.as_mut() else {
                    return Dirty::Nothing;
                };
                if !takes_buffer(&host.snapshot(), &path) {
                    return Dirty::Nothing;
                }
                host.set_note_text(path.clone(), text);
                Dirty::file(path)
            }
            Change::Closed { path } => {
                self.versions.remove(&path);
                let Some(host) = self.host.as_mut() else {
                    return Dirty::Nothing;
                };
                if !host.snapshot().is_note(&path) {
                    return Dirty::file(path);
                }
                host.remove_note(&path);
                Dirty::file(path)
            }
            Change::Disk { path, kind } => self.disk_change(path, kind, documents),
            Change::Sources(paths) => self.sources_changed(paths),
        }
    }

    fn load(&mut self, documents: &Mutex<Documents>, progress: &dyn LoadProgress) -> Dirty {
        let Some(root) = self.root.clone() else {
            return Dirty::Nothing;
        };
        self.loaded = true;
        let started = std::time::Instant::now();
        let loaded = catch_unwind(AssertUnwindSafe(|| {
            AnalysisHost::load_leaving_terms(&root, self.overlay.as_ref(), progress)
        }));
        match loaded {
            Ok(Ok(host)) => {
                let snapshot = host.snapshot();
                tracing::info!(
                    root = %root.display(),
                    notes = snapshot.notes().count(),
                    sources = snapshot.corpus().sources.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "workspace loaded"
                );
                self.host = Some(host);
                self.load_error = None;
                self.apply_open_buffers(documents);
            }
            Ok(Err(error)) => {
                tracing::error!(root = %root.display(), %error, "cannot load the workspace");
                self.host = None;
                self.load_error = Some(error.to_string());
            }
            Err(panic) => {
                let message = panic_message(&panic);
                tracing::error!(root = %root.display(), panic = message, "loading the workspace panicked");
                self.host = None;
                self.load_error = Some(format!("loading the workspace panicked: {message}"));
            }
        }
        Dirty::Everything
    }

    fn reload(&mut self, documents: &Mutex<Documents>) -> Dirty {
        let Some(host) = self.host.as_mut() else {
            // Never loaded (or loading failed): try again from scratch.
            return self.load(documents, &NoProgress);
        };
        // `None` would keep the host's previous overlay: cleared settings are the defaults.
        let overlay = self.overlay.clone().unwrap_or_default();
        match host.reload(Some(&overlay)) {
            Ok(()) => {
                self.load_error = None;
                self.apply_open_buffers(documents);
            }
            Err(error) => {
                tracing::error!(%error, "cannot reload the workspace");
                self.load_error = Some(error.to_string());
            }
        }
        Dirty::Everything
    }

    /// Gives the analysis the editor's text of every open note (after a load or reload).
    fn apply_open_buffers(&mut self, documents: &Mutex<Documents>) {
        let open = crate::lock(documents).open_files();
        let Some(host) = self.host.as_mut() else {
            return;
        };
        for (path, version, text) in open {
            self.versions.insert(path.clone(), version);
            if takes_buffer(&host.snapshot(), &path) {
                host.set_note_text(path, text);
            }
        }
    }

    /// Sources changed on disk (one, or several together): each read as it is now, then
    /// indexed again, and the notes checked once.
    fn sources_changed(&mut self, paths: Vec<PathBuf>) -> Dirty {
        let Some(host) = self.host.as_mut() else {
            return Dirty::Nothing;
        };
        tracing::debug!(sources = paths.len(), "sources changed on disk");
        if host.reread_sources(paths) {
            Dirty::Everything
        } else {
            Dirty::Nothing
        }
    }

    fn disk_change(
        &mut self,
        path: PathBuf,
        kind: DiskChange,
        documents: &Mutex<Documents>,
    ) -> Dirty {
        let Some(host) = self.host.as_ref() else {
            return Dirty::Nothing;
        };
        let role = FileRole::of(&host.snapshot(), &path);
        let is_open = crate::lock(documents).is_open(&path);
        tracing::debug!(path = %path.display(), ?kind, ?role, is_open, "file changed on disk");
        match DiskCost::of(role, &path, kind) {
            DiskCost::Reload => return self.reload(documents),
            DiskCost::Source => return self.sources_changed(vec![path]),
            DiskCost::Cheap => {}
        }
        // The buffer is the truth while the document is open.
        if role != FileRole::Note || is_open {
            return Dirty::Nothing;
        }
        let Some(host) = self.host.as_mut() else {
            return Dirty::Nothing;
        };
        if kind == DiskChange::Deleted {
            host.remove_note(&path);
            return Dirty::file(path);
        }
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                host.set_note_text(path.clone(), Arc::from(text.as_ref()));
                Dirty::file(path)
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot read a changed note");
                Dirty::Nothing
            }
        }
    }
}

/// What a file is to the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileRole {
    Note,
    Source,
    /// `ibid.toml` or a bibliography file: any change reloads the workspace.
    Configuration,
    Unknown,
}

impl FileRole {
    fn of(analysis: &Analysis, path: &Path) -> FileRole {
        if analysis.is_note(path) {
            return FileRole::Note;
        }
        if analysis.is_source(path) {
            return FileRole::Source;
        }
        let workspace = analysis.workspace();
        let is_config = workspace.config_path.as_deref() == Some(path)
            || (path.file_name().is_some_and(|name| name == "ibid.toml")
                && path.parent() == Some(workspace.root.as_path()));
        let is_bibliography = workspace
            .config
            .bibliography
            .iter()
            .any(|bib| workspace.root.join(bib) == path)
            || (path.extension().is_some_and(|ext| ext == "bib")
                && path.starts_with(&workspace.root));
        if is_config || is_bibliography {
            FileRole::Configuration
        } else {
            FileRole::Unknown
        }
    }
}

/// Whether the analysis takes an open buffer of `path` as a note: a note of the workspace, or a
/// new Markdown file under the root that is not on disk yet (an existing file that discovery left
/// out, such as a README excluded by `ibid.toml`, stays out).
fn takes_buffer(analysis: &Analysis, path: &Path) -> bool {
    if analysis.is_note(path) {
        return true;
    }
    let is_markdown = path
        .extension()
        .is_some_and(|ext| ext == "md" || ext == "markdown");
    is_markdown && path.starts_with(analysis.root()) && !analysis.is_source(path) && !path.exists()
}

/// Whether a new file may be a note or a source (discovery decides).
fn may_join_workspace(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| matches!(ext, "md" | "markdown" | "txt"))
}

/// What a file's change on disk costs the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DiskCost {
    /// A note, or a file that is no part of the workspace.
    Cheap,
    /// A source's text: that source is indexed again and the notes checked again.
    Source,
    /// A source deleted or added, the settings or the bibliography: the workspace is loaded again.
    Reload,
}

impl DiskCost {
    /// What the change `kind` of the file at `path`, `role` to the workspace, costs.
    fn of(role: FileRole, path: &Path, kind: DiskChange) -> DiskCost {
        match (role, kind) {
            (FileRole::Source, DiskChange::Deleted) => DiskCost::Reload,
            (FileRole::Source, _) => DiskCost::Source,
            (FileRole::Configuration, _) => DiskCost::Reload,
            // A new note or source: discovery decides which.
            (FileRole::Unknown, DiskChange::Created) if may_join_workspace(path) => {
                DiskCost::Reload
            }
            _ => DiskCost::Cheap,
        }
    }
}

/// The disk changes of a batch, one per file (the file is read as it is now; a file created and
/// then changed in the batch stays created). When two sources' texts or more changed (a
/// `git pull`, a sync), one `Change::Sources` takes them all: each is indexed again and the notes
/// are checked once, where one change at a time checked them again for each (about 2 s each at
/// 100 MB; 50 sources took 88 s). When, besides, a file would load the workspace again, one reload
/// takes them all.
fn coalesce_disk_changes(
    batch: Vec<Change>,
    overlay: Option<&Config>,
    cost: impl Fn(&Path, DiskChange) -> DiskCost,
) -> Vec<Change> {
    let mut kinds: HashMap<PathBuf, DiskChange> = HashMap::new();
    let mut last: HashMap<PathBuf, usize> = HashMap::new();
    for (i, change) in batch.iter().enumerate() {
        if let Change::Disk { path, kind } = change {
            let merged = match (kinds.get(path), kind) {
                (Some(DiskChange::Created), DiskChange::Changed | DiskChange::Saved) => {
                    DiskChange::Created
                }
                _ => *kind,
            };
            kinds.insert(path.clone(), merged);
            last.insert(path.clone(), i);
        }
    }
    let kinds: HashMap<PathBuf, (DiskChange, DiskCost)> = kinds
        .into_iter()
        .map(|(path, kind)| {
            let cost = cost(&path, kind);
            (path, (kind, cost))
        })
        .collect();
    let costly = || kinds.values().map(|&(_, cost)| cost);
    let together = costly().filter(|&c| c != DiskCost::Cheap).count() >= 2;
    let reload = together && costly().any(|c| c == DiskCost::Reload);
    let mut sources: Vec<PathBuf> = Vec::new();
    let mut placed = false;
    let mut coalesced = Vec::with_capacity(batch.len());
    for (i, change) in batch.into_iter().enumerate() {
        let Change::Disk { path, .. } = change else {
            coalesced.push(change);
            continue;
        };
        let Some(&(kind, cost)) = kinds.get(&path).filter(|_| last.get(&path) == Some(&i)) else {
            continue;
        };
        if !together || cost == DiskCost::Cheap {
            coalesced.push(Change::Disk { path, kind });
            continue;
        }
        if !placed {
            placed = true;
            // Where the first of them was; the sources are filled in below.
            coalesced.push(if reload {
                Change::Reload {
                    overlay: overlay.cloned(),
                }
            } else {
                Change::Sources(Vec::new())
            });
        }
        if !reload {
            sources.push(path);
        }
    }
    if let Some(Change::Sources(slot)) = coalesced
        .iter_mut()
        .find(|change| matches!(change, Change::Sources(_)))
    {
        *slot = sources;
    }
    coalesced
}

/// The message of a caught panic.
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(message) = panic.downcast_ref::<&str>() {
        (*message).to_string()
    } else if let Some(message) = panic.downcast_ref::<String>() {
        message.clone()
    } else {
        "unknown panic".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calling thread's scheduling: whether its policy is `SCHED_IDLE`, and its nice value.
    #[cfg(target_os = "linux")]
    fn this_thread_scheduling() -> (bool, i32) {
        // SAFETY: no pointers; a thread's id reads that thread's policy and nice value.
        unsafe {
            let thread = libc::gettid();
            (
                libc::sched_getscheduler(thread) == libc::SCHED_IDLE,
                libc::getpriority(libc::PRIO_PROCESS, thread as libc::id_t),
            )
        }
    }

    /// Background work runs in its own pool, on threads below the priority of the others (the
    /// analysis of edits, on rayon's global pool, keeps its own).
    #[cfg(target_os = "linux")]
    #[test]
    fn background_work_runs_apart_at_a_lower_priority() {
        let pool = background_pool().expect("a background pool");
        let ((idle, nice), on_pool) = pool.install(|| {
            (
                this_thread_scheduling(),
                pool.current_thread_index().is_some(),
            )
        });
        let global = rayon::scope(|_| this_thread_scheduling());
        assert!(on_pool, "the work ran on one of the pool's threads");
        assert!(!global.0, "the global pool's threads are not idle-only");
        assert!(
            idle || nice >= global.1 + 10 || nice == 19,
            "idle {idle}, nice {nice}, global nice {}",
            global.1
        );
        let edits = rayon::join(this_thread_scheduling, this_thread_scheduling);
        assert_eq!(edits, (global, global));
    }

    fn disk(path: &str, kind: DiskChange) -> Change {
        Change::Disk {
            path: PathBuf::from(path),
            kind,
        }
    }

    fn described(batch: &[Change]) -> Vec<String> {
        batch.iter().map(|change| format!("{change:?}")).collect()
    }

    #[test]
    fn disk_changes_coalesce_per_file_and_into_one_reload() {
        let sources = |path: &Path, kind: DiskChange| match kind {
            _ if !path.starts_with("/ws/sources") => DiskCost::Cheap,
            DiskChange::Deleted | DiskChange::Created => DiskCost::Reload,
            _ => DiskCost::Source,
        };
        // One source changed, with repeated events, and a note: one event each, in order.
        let batch = vec![
            disk("/ws/sources/a.md", DiskChange::Changed),
            disk("/ws/notes/n.md", DiskChange::Changed),
            disk("/ws/sources/a.md", DiskChange::Changed),
        ];
        assert_eq!(
            described(&coalesce_disk_changes(batch, None, sources)),
            [
                "Disk(/ws/notes/n.md, Changed)",
                "Disk(/ws/sources/a.md, Changed)"
            ]
        );
        // Created then changed stays created; changed then deleted is deleted.
        let batch = vec![
            disk("/ws/x.md", DiskChange::Created),
            disk("/ws/x.md", DiskChange::Changed),
            disk("/ws/y.md", DiskChange::Changed),
            disk("/ws/y.md", DiskChange::Deleted),
        ];
        assert_eq!(
            described(&coalesce_disk_changes(batch, None, sources)),
            ["Disk(/ws/x.md, Created)", "Disk(/ws/y.md, Deleted)"]
        );
        // Two sources or more (a `git pull`): one change for all, where the first was; notes stay.
        let pull = || {
            let mut batch = vec![disk("/ws/notes/n.md", DiskChange::Changed)];
            for i in 0..500 {
                batch.push(disk(&format!("/ws/sources/s{i}.md"), DiskChange::Changed));
                batch.push(disk(&format!("/ws/sources/s{i}.md"), DiskChange::Changed));
            }
            batch
        };
        let coalesced = coalesce_disk_changes(pull(), None, sources);
        assert_eq!(
            described(&coalesced),
            ["Disk(/ws/notes/n.md, Changed)", "Sources(500)"]
        );
        let Some(Change::Sources(paths)) = coalesced.get(1) else {
            panic!("a Sources change expected");
        };
        assert_eq!(paths.first(), Some(&PathBuf::from("/ws/sources/s0.md")));
        let mut batch = pull();
        // A source deleted among them: the workspace is loaded again, once.
        batch.push(disk("/ws/sources/gone.md", DiskChange::Deleted));
        assert_eq!(
            described(&coalesce_disk_changes(batch, None, sources)),
            ["Disk(/ws/notes/n.md, Changed)", "Reload"]
        );
    }

    #[test]
    fn dirty_sets_merge() {
        let mut dirty = Dirty::Nothing;
        dirty.merge(Dirty::file("/a".into()));
        dirty.merge(Dirty::file("/b".into()));
        assert!(dirty.contains(Path::new("/a")) && dirty.contains(Path::new("/b")));
        assert!(!dirty.contains(Path::new("/c")));
        dirty.merge(Dirty::Everything);
        dirty.merge(Dirty::file("/d".into()));
        assert_eq!(dirty, Dirty::Everything);
    }
}

//! Analysis over an immutable snapshot. `AnalysisHost` owns the inputs (workspace, corpus, notes'
//! texts) and takes changes; `Analysis` is a cheap, cloneable snapshot that answers queries
//! (diagnostics, hover, definition, references, completion, fixes, symbols) in terms of paths and
//! byte offsets. Nothing here knows about the protocol or the terminal.

pub mod claims;
pub mod diagnostics;
pub mod matcher;
mod memo;
pub mod queries;
pub mod resolve;
pub mod terms;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use queries::{Completion, FileEdit, Fix, Hover, Location, QuotedPassage, Symbol, SymbolKind};
pub use resolve::{QuoteMatch, QuoteResolution};

use rayon::prelude::*;

use crate::corpus::load::SourceRecords;
use crate::corpus::{Corpus, StoredText};
use crate::diagnostic::Diagnostic;
use crate::notes::Note;
use crate::workspace::{CheckSettings, Workspace};
use terms::{SourceTerms, TermIndex};

/// One note and everything computed from its text.
#[derive(Debug)]
pub struct NoteAnalysis {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub note: Note,
    /// One per `note.quotations`, same order.
    pub resolutions: Vec<QuoteResolution>,
    /// The check-worthy sentences and what the sources say of them.
    pub claims: Vec<claims::Claim>,
    pub diagnostics: Vec<Diagnostic>,
    /// What the claim check concluded of every sentence, for the next text of the note.
    pub(crate) claim_memo: claims::ClaimMemo,
}

/// The inputs, and the place changes are applied. Cloning a snapshot out of it is cheap.
#[derive(Debug)]
pub struct AnalysisHost {
    snapshot: Analysis,
    /// Editor settings, kept for reloads.
    overlay: Option<crate::workspace::Config>,
    /// Notes whose text came from `set_note_text` (open buffers), kept across reloads.
    open_notes: BTreeMap<PathBuf, Arc<str>>,
    /// Whether the snapshot's mined terms are those of its corpus.
    terms: TermsState,
    /// Set when the corpus changes: a `TermsJob` for the earlier one stops.
    terms_cancel: Arc<AtomicBool>,
}

/// Where the mined terms of the snapshot stand. Mining takes seconds on a large corpus and only
/// hover, definition, completion and symbols read the terms, so a host may leave it for later
/// (`terms_job`, run off the thread that applies changes, then `set_mined_terms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermsState {
    /// Mined from the snapshot's corpus (or not wanted: `ibid check`).
    Mined,
    /// Mined before a source changed: what they took from the changed sources is left out.
    Stale,
    /// Not mined yet.
    Missing,
}

/// Mining the terms of one corpus, to run on any thread (`AnalysisHost::terms_job`).
pub struct TermsJob {
    corpus: Arc<Corpus>,
    root: PathBuf,
    cache: Option<crate::corpus::CacheDir>,
    cancel: Arc<AtomicBool>,
    /// How long to wait before mining (sources are often saved several in a row).
    delay: std::time::Duration,
}

/// How long a job waits, after a source changed, before mining again: another change within it
/// stops the job before it has spent anything (each pass holds a corpus's worth of working
/// memory, and a second pass beside the next change's analysis pushed the server's peak at
/// 100 MB from about 150 MB to 200 MB and more).
const REMINE_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// How often a paused job looks whether it may go on.
const PAUSE_STEP: std::time::Duration = std::time::Duration::from_millis(1);

impl TermsJob {
    /// Mines (or reads from the cache, and stores there) the terms of the job's corpus; `None`
    /// when the host's corpus changed meanwhile (the job stops then, so that two passes over a
    /// large corpus do not hold their working memory at once).
    pub fn run(self) -> Option<MinedTerms> {
        self.run_pausing(&|| false)
    }

    /// `run`, waiting before each source while `paused` says so (the server pauses the job
    /// while it analyses an edit: however low its threads' priority, a job mining tens of
    /// thousands of small sources beside an edit slowed the edit by a third, and some by three
    /// times).
    pub fn run_pausing(self, paused: &(dyn Fn() -> bool + Sync)) -> Option<MinedTerms> {
        let cancelled = || {
            while paused() && !self.cancel.load(Ordering::Relaxed) {
                std::thread::sleep(PAUSE_STEP);
            }
            self.cancel.load(Ordering::Relaxed)
        };
        // Waits out the delay, and whatever pause there is before the first source (the cache
        // may answer without reading one).
        let waited = std::time::Instant::now();
        loop {
            if cancelled() {
                return None;
            }
            if waited.elapsed() >= self.delay {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let terms = SourceTerms::mine_cached_until(
            &self.corpus,
            &self.root,
            self.cache.as_ref(),
            &cancelled,
        );
        crate::corpus::release_pending();
        give_back_free_memory();
        Some(MinedTerms {
            corpus: self.corpus,
            terms: terms?,
        })
    }
}

/// The terms mined from one corpus, for `AnalysisHost::set_mined_terms`.
pub struct MinedTerms {
    corpus: Arc<Corpus>,
    terms: SourceTerms,
}

/// An immutable view of the whole workspace at one moment.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub(crate) workspace: Arc<Workspace>,
    pub(crate) corpus: Arc<Corpus>,
    /// The corpus's passages for claim checking, built lazily; belongs to `corpus`.
    pub(crate) passages: Arc<claims::PassageIndex>,
    pub(crate) mined_terms: Arc<SourceTerms>,
    pub(crate) terms: Arc<TermIndex>,
    pub(crate) notes: Arc<BTreeMap<PathBuf, Arc<NoteAnalysis>>>,
    /// Workspace-level problems (bibliography, unreadable sources...).
    pub(crate) problems: Arc<Vec<Diagnostic>>,
}

/// A stage of loading a workspace, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadStage {
    /// Reading and normalising the sources (`total` = number of sources).
    ReadingSources,
    /// Mining terms from the sources (`total` = number of sources).
    MiningTerms,
    /// Parsing and checking the notes (`total` = number of notes).
    CheckingNotes,
}

impl LoadStage {
    pub fn describe(self) -> &'static str {
        match self {
            LoadStage::ReadingSources => "reading sources",
            LoadStage::MiningTerms => "finding terms",
            LoadStage::CheckingNotes => "checking notes",
        }
    }
}

/// Receives progress while a workspace loads (a terminal progress bar, LSP `$/progress`).
/// Called from worker threads.
pub trait LoadProgress: Sync {
    /// A stage begins with `total` items.
    fn stage(&self, stage: LoadStage, total: usize);
    /// `n` more items of the current stage are done.
    fn advance(&self, n: usize);
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl LoadProgress for NoProgress {
    fn stage(&self, _: LoadStage, _: usize) {}
    fn advance(&self, _: usize) {}
}

impl AnalysisHost {
    /// Loads the workspace at `root`: reads the corpus, mines terms, analyses every note on disk.
    /// `overlay` carries editor settings (`ibid.toml` wins where both set a value).
    pub fn load(
        root: &Path,
        overlay: Option<&crate::workspace::Config>,
    ) -> Result<AnalysisHost, crate::workspace::WorkspaceError> {
        Self::load_with_progress(root, overlay, &NoProgress)
    }

    /// `load`, reporting progress.
    pub fn load_with_progress(
        root: &Path,
        overlay: Option<&crate::workspace::Config>,
        progress: &dyn LoadProgress,
    ) -> Result<AnalysisHost, crate::workspace::WorkspaceError> {
        Self::load_mining(root, overlay, progress, Terms::Mine)
    }

    /// `load_with_progress`, leaving the mining of the terms for later unless the cache holds
    /// them (see `TermsState`): the language server's load, whose first diagnostics need no
    /// terms.
    pub fn load_leaving_terms(
        root: &Path,
        overlay: Option<&crate::workspace::Config>,
        progress: &dyn LoadProgress,
    ) -> Result<AnalysisHost, crate::workspace::WorkspaceError> {
        Self::load_mining(root, overlay, progress, Terms::FromCache)
    }

    fn load_mining(
        root: &Path,
        overlay: Option<&crate::workspace::Config>,
        progress: &dyn LoadProgress,
        mining: Terms,
    ) -> Result<AnalysisHost, crate::workspace::WorkspaceError> {
        let workspace = Workspace::load_with(root, overlay)?;
        let (snapshot, terms) = build_snapshot(
            workspace,
            &BTreeMap::new(),
            progress,
            mining,
            Passages::Indexed,
        );
        Ok(AnalysisHost {
            snapshot,
            overlay: overlay.cloned(),
            open_notes: BTreeMap::new(),
            terms,
            terms_cancel: Arc::default(),
        })
    }

    /// Where the snapshot's mined terms stand.
    pub fn terms_state(&self) -> TermsState {
        self.terms
    }

    /// The mining to run when the terms are not those of the corpus.
    pub fn terms_job(&self) -> Option<TermsJob> {
        (self.terms != TermsState::Mined).then(|| TermsJob {
            corpus: self.snapshot.corpus.clone(),
            root: self.snapshot.workspace.root.clone(),
            cache: crate::corpus::CacheDir::for_workspace(&self.snapshot.workspace),
            cancel: self.terms_cancel.clone(),
            delay: match self.terms {
                TermsState::Stale => REMINE_DELAY,
                _ => std::time::Duration::ZERO,
            },
        })
    }

    /// The corpus changed: a job mining the earlier one stops.
    fn cancel_terms_job(&mut self) {
        self.terms_cancel.store(true, Ordering::Relaxed);
        self.terms_cancel = Arc::default();
    }

    /// Takes terms mined by a `TermsJob`, unless the corpus changed since the job started (a
    /// later job mines the new one); whether they were taken.
    pub fn set_mined_terms(&mut self, mined: MinedTerms) -> bool {
        if self.terms == TermsState::Mined || !Arc::ptr_eq(&mined.corpus, &self.snapshot.corpus) {
            return false;
        }
        let snap = &mut self.snapshot;
        snap.mined_terms = Arc::new(mined.terms);
        snap.terms = Arc::new(TermIndex::build(
            &snap.mined_terms,
            &glossaries(&snap.notes),
        ));
        self.terms = TermsState::Mined;
        true
    }

    /// Gives up on mining the corpus's terms (a job failed): the terms stay as they are, and
    /// `terms_job` offers no other job until a source changes.
    pub fn keep_terms(&mut self) {
        self.terms = TermsState::Mined;
    }

    /// Mines the terms now if they are not those of the corpus (for callers that do not run
    /// `terms_job` elsewhere).
    pub fn refresh_terms(&mut self) {
        if let Some(mined) = self.terms_job().and_then(TermsJob::run) {
            self.set_mined_terms(mined);
        }
    }

    /// `load` for checking only (`ibid check`, `ibid bib`): the terms of the sources, which only
    /// hover and completion use, are not mined.
    pub fn load_for_check(
        root: &Path,
        progress: &dyn LoadProgress,
    ) -> Result<AnalysisHost, crate::workspace::WorkspaceError> {
        Ok(Self::load_for_check_workspace(
            Workspace::load_with(root, None)?,
            progress,
        ))
    }

    /// `load_for_check` of a workspace already loaded.
    pub fn load_for_check_workspace(
        workspace: Workspace,
        progress: &dyn LoadProgress,
    ) -> AnalysisHost {
        let (snapshot, terms) = build_snapshot(
            workspace,
            &BTreeMap::new(),
            progress,
            Terms::Skip,
            Passages::AnsweredAhead,
        );
        AnalysisHost {
            snapshot,
            overlay: None,
            open_notes: BTreeMap::new(),
            terms,
            terms_cancel: Arc::default(),
        }
    }

    /// The current snapshot (cheap: a handful of `Arc` clones).
    pub fn snapshot(&self) -> Analysis {
        self.snapshot.clone()
    }

    /// Sets a note's text (an open editor buffer, or the file on disk) and re-analyses it.
    pub fn set_note_text(&mut self, path: PathBuf, text: Arc<str>) {
        self.open_notes.insert(path.clone(), text.clone());
        let snap = &mut self.snapshot;
        let analysis = analyse_note_after(
            path.clone(),
            text,
            &Evidence {
                corpus: &snap.corpus,
                passages: &snap.passages,
            },
            &snap.workspace.config.checks,
            snap.notes.get(&path).map(|old| old.as_ref()),
        );
        let glossary_changed = snap
            .notes
            .get(&path)
            .is_none_or(|old| old.note.glossary != analysis.note.glossary);
        Arc::make_mut(&mut snap.notes).insert(path, Arc::new(analysis));
        if glossary_changed {
            snap.terms = Arc::new(TermIndex::build(
                &snap.mined_terms,
                &glossaries(&snap.notes),
            ));
        }
        crate::corpus::release_pending();
    }

    /// Forgets an editor buffer: the note reverts to its on-disk text if it is a workspace note
    /// that still exists, else it is dropped.
    pub fn remove_note(&mut self, path: &Path) {
        self.open_notes.remove(path);
        let on_disk = self
            .snapshot
            .workspace
            .notes
            .iter()
            .any(|p| p == path)
            .then(|| std::fs::read_to_string(path).ok())
            .flatten();
        match on_disk {
            Some(text) => {
                self.set_note_text(path.to_path_buf(), Arc::from(text));
                self.open_notes.remove(path);
            }
            None => {
                let snap = &mut self.snapshot;
                if Arc::make_mut(&mut snap.notes).remove(path).is_some() {
                    snap.terms = Arc::new(TermIndex::build(
                        &snap.mined_terms,
                        &glossaries(&snap.notes),
                    ));
                }
            }
        }
    }

    /// Sets a source's text, as it now is on disk: re-indexes that source only, then re-checks
    /// what may have read it. When its frontmatter changed (it gives the source's key, title and
    /// authors, and is reported on when it is not YAML), the workspace is loaded again instead.
    pub fn set_source_text(&mut self, path: PathBuf, text: String) {
        self.set_source_texts(vec![(path, text)]);
    }

    /// `set_source_text` for several sources at once (files a `git pull` changed): each is
    /// indexed again, and the notes are checked once for all of them.
    pub fn set_source_texts(&mut self, changed: Vec<(PathBuf, String)>) {
        let changed = changed
            .into_iter()
            .map(|(path, text)| (path, NewSourceText::Given(text)))
            .collect();
        self.replace_sources(changed);
    }

    /// Sources changed on disk: `set_source_texts` with each text read from its file, as it is
    /// indexed (so that only as many texts as there are threads are on the heap at once: a
    /// `git pull` may change hundreds of megabytes of sources). A file that cannot be read
    /// keeps its source as it was (logged). Whether any source was replaced.
    pub fn reread_sources(&mut self, paths: Vec<PathBuf>) -> bool {
        let changed = paths
            .into_iter()
            .map(|path| (path, NewSourceText::OnDisk))
            .collect();
        self.replace_sources(changed)
    }

    fn replace_sources(&mut self, changed: Vec<(PathBuf, NewSourceText)>) -> bool {
        let corpus = self.snapshot.corpus.clone();
        let mut found: Vec<(usize, Arc<crate::corpus::Source>, PathBuf, NewSourceText)> =
            Vec::new();
        for (path, text) in changed {
            let Some((index, old)) = corpus
                .source_index_by_path(&path)
                .and_then(|index| corpus.sources.get(index).map(|old| (index, old.clone())))
            else {
                continue;
            };
            found.retain(|(earlier, ..)| *earlier != index);
            found.push((index, old, path, text));
        }
        if found.is_empty() {
            return false;
        }
        // Indexed again side by side, each kept in its cache record as a loaded source is.
        let records = SourceRecords::for_workspace(&self.snapshot.workspace);
        let replaced: Vec<Option<SourceChange>> = found
            .into_par_iter()
            .filter_map(|(index, old, path, text)| {
                let text = text.read(&path)?;
                if frontmatter_of(old.text.as_str()) != frontmatter_of(&text) {
                    // The key, title or authors may have changed: loaded again below.
                    return Some(None);
                }
                let (key, format, meta) = (old.key.clone(), old.format, old.meta.clone());
                let _share = crate::corpus::indexing_share(text.len() as u64);
                let after = Arc::new(match &records {
                    Some(records) => records.source(key, path, format, text, meta),
                    None => crate::corpus::Source::new(key, path, format, text, meta),
                });
                Some(Some(SourceChange {
                    index,
                    before: old,
                    after,
                }))
            })
            .collect();
        drop(records);
        let Some(replaced) = replaced.into_iter().collect::<Option<Vec<_>>>() else {
            if let Err(error) = self.reload(None) {
                tracing::warn!(%error, "cannot load the workspace again after a frontmatter change");
            }
            return true;
        };
        if replaced.is_empty() {
            return false;
        }
        // Mining the corpus before the change is of no use now.
        self.cancel_terms_job();
        let snap = &mut self.snapshot;
        snap.corpus = Arc::new(
            snap.corpus.with_sources_replaced(
                replaced
                    .iter()
                    .map(|change| (change.index, change.after.clone()))
                    .collect(),
            ),
        );
        let indices: Vec<usize> = replaced.iter().map(|change| change.index).collect();
        let paths: Vec<&Path> = replaced
            .iter()
            .map(|change| change.after.path.as_path())
            .collect();
        // Only the changed sources are indexed again: the others' passages are kept.
        snap.passages = Arc::new(snap.passages.with_sources_changed(&indices));
        // Mined again later (`terms_job`); until then the changed sources' excerpts are left out.
        snap.mined_terms = Arc::new(snap.mined_terms.without_sources(&paths));
        reanalyse_after(snap, &replaced);
        if self.terms == TermsState::Mined {
            self.terms = TermsState::Stale;
        }
        give_back_free_memory();
        true
    }

    /// Whether `path` is a source of the corpus.
    pub fn is_source(&self, path: &Path) -> bool {
        self.snapshot.corpus.source_by_path(path).is_some()
    }

    /// Reloads everything from disk (configuration or bibliography changed), keeping the texts of
    /// notes set with `set_note_text` (open buffers). `overlay` replaces the editor settings when
    /// given.
    pub fn reload(
        &mut self,
        overlay: Option<&crate::workspace::Config>,
    ) -> Result<(), crate::workspace::WorkspaceError> {
        if let Some(overlay) = overlay {
            self.overlay = Some(overlay.clone());
        }
        let workspace = Workspace::load_with(&self.snapshot.workspace.root, self.overlay.as_ref())?;
        let (snapshot, terms) = build_snapshot(
            workspace,
            &self.open_notes,
            &NoProgress,
            Terms::FromCache,
            Passages::Indexed,
        );
        self.snapshot = snapshot;
        self.terms = terms;
        self.cancel_terms_job();
        Ok(())
    }
}

/// A changed source's new text: given, or to be read from its file.
enum NewSourceText {
    Given(String),
    OnDisk,
}

impl NewSourceText {
    /// The text (a file's bytes read as UTF-8, invalid sequences replaced); `None` (logged) when
    /// the file cannot be read.
    fn read(self, path: &Path) -> Option<String> {
        match self {
            NewSourceText::Given(text) => Some(text),
            NewSourceText::OnDisk => match std::fs::read(path) {
                Ok(bytes) => Some(match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
                }),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot read a changed source");
                    None
                }
            },
        }
    }
}

/// Whether a load mines the sources' terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terms {
    Mine,
    /// Only if the cache holds them; else they are left `Missing`.
    FromCache,
    Skip,
}

/// How the claims of a snapshot built afresh have their sources' passages retrieved.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Passages {
    /// From each source's passage index, built when a claim first asks and kept for the claims
    /// of later edits (the server).
    Indexed,
    /// Every claim's queries answered up front, each source read once for all of them
    /// (`PassageIndex::answer_ahead`; a claim that asks something else still indexes its
    /// source): `ibid check`, which asks each source a few queries and nothing after.
    AnsweredAhead,
}

/// Reads the corpus and every note, and analyses everything.
fn build_snapshot(
    workspace: Workspace,
    open_notes: &BTreeMap<PathBuf, Arc<str>>,
    progress: &dyn LoadProgress,
    terms: Terms,
    retrieval: Passages,
) -> (Analysis, TermsState) {
    progress.stage(LoadStage::ReadingSources, workspace.sources.len());
    let (corpus, corpus_problems) = Corpus::load_cached(&workspace);
    crate::corpus::release_pending();
    progress.advance(workspace.sources.len());
    let corpus = Arc::new(corpus);
    let cache = crate::corpus::CacheDir::for_workspace(&workspace);
    let (mined_terms, terms_state) = match terms {
        Terms::Mine => {
            progress.stage(LoadStage::MiningTerms, corpus.sources.len());
            let mined = SourceTerms::mine_cached(&corpus, &workspace.root, cache.as_ref());
            crate::corpus::release_pending();
            progress.advance(corpus.sources.len());
            (Arc::new(mined), TermsState::Mined)
        }
        Terms::FromCache => {
            let cached = cache
                .as_ref()
                .and_then(|dir| SourceTerms::from_cache(&corpus, &workspace.root, dir));
            match cached {
                Some(terms) => (Arc::new(terms), TermsState::Mined),
                None => (Arc::new(SourceTerms::default()), TermsState::Missing),
            }
        }
        Terms::Skip => (Arc::new(SourceTerms::default()), TermsState::Mined),
    };
    let mut problems = workspace.problems.clone();
    problems.extend(corpus_problems);
    // Settings apply to workspace problems as to a note's: `off` drops, a severity overrides.
    let problems: Vec<Diagnostic> = problems
        .into_iter()
        .filter_map(|mut problem| {
            problem.severity = workspace.config.checks.severity_of(problem.code)?;
            Some(problem)
        })
        .collect();
    let mut paths: Vec<PathBuf> = workspace.notes.clone();
    for path in open_notes.keys() {
        if !paths.contains(path) && corpus.source_by_path(path).is_none() {
            paths.push(path.clone());
        }
    }
    let settings = &workspace.config.checks;
    let mut passages = claims::PassageIndex::new(&corpus);
    let memo = cache
        .as_ref()
        .map(|dir| memo::ResolutionMemo::load(&corpus, &workspace.root, dir));
    let stored_claims = cache.as_ref().map(|dir| {
        claims::stored::StoredClaims::load(
            &corpus,
            &workspace.bibliography,
            settings,
            &workspace.root,
            dir,
        )
    });
    progress.stage(LoadStage::CheckingNotes, paths.len());
    let read_note = |path: &PathBuf| -> Option<Arc<str>> {
        match open_notes.get(path) {
            Some(text) => Some(text.clone()),
            None => match std::fs::read(path) {
                Ok(bytes) => Some(Arc::from(String::from_utf8_lossy(&bytes).as_ref())),
                Err(error) => {
                    tracing::warn!("cannot read note {}: {error}", path.display());
                    None
                }
            },
        }
    };
    // Every note's quotations resolved and claims rated; then, for a check, what the claims ask
    // of each source answered source by source; then the claims checked.
    let prepared: Vec<PreparedNote<'_>> = {
        let evidence = Evidence {
            corpus: &corpus,
            passages: &passages,
        };
        paths
            .par_iter()
            .filter_map(|path| {
                let text = read_note(path)?;
                Some(prepare_note(
                    path.clone(),
                    text,
                    &evidence,
                    settings,
                    Earlier {
                        note: None,
                        claims: stored_claims.as_ref().map(|s| s.as_previous()),
                        resolutions: memo.as_ref(),
                    },
                    &[],
                ))
            })
            .collect()
    };
    if retrieval == Passages::AnsweredAhead {
        let requests = prepared
            .iter()
            .flat_map(|note| note.claims.requests(&corpus))
            .collect::<Vec<_>>();
        passages.answer_ahead(&corpus, requests, claims::support::PASSAGES_READ);
    }
    let evidence = Evidence {
        corpus: &corpus,
        passages: &passages,
    };
    let notes: BTreeMap<PathBuf, Arc<NoteAnalysis>> = prepared
        .into_par_iter()
        .map(|prepared| {
            let analysis = prepared.finish(&evidence, settings);
            progress.advance(1);
            (analysis.path.clone(), Arc::new(analysis))
        })
        .collect();
    let passages = Arc::new(passages);
    crate::corpus::release_pending();
    if let (Some(memo), Some(dir)) = (memo, &cache) {
        memo.store(&workspace.root, dir);
    }
    if let (Some(stored), Some(dir)) = (stored_claims, &cache) {
        let outcomes = notes
            .values()
            .map(|note| (note.claims.as_slice(), &note.claim_memo));
        stored.store(outcomes, &workspace.root, dir);
    }
    let terms = Arc::new(TermIndex::build(&mined_terms, &glossaries(&notes)));
    let analysis = Analysis {
        workspace: Arc::new(workspace),
        corpus,
        passages,
        mined_terms,
        terms,
        notes: Arc::new(notes),
        problems: Arc::new(problems),
    };
    (analysis, terms_state)
}

/// Hands the allocator's free memory back to the system. Mining runs beside the analysis of
/// edits in a long-lived server, and glibc keeps what a pass freed inside its arenas, between
/// blocks still in use: without this the server's resident memory grew by some 100 MB over six
/// source saves at 100 MB (docs/benchmarks.md, session 12). The server also calls it once a
/// snapshot that replaced a whole analysis is published, when the old one is no longer held.
pub fn give_back_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator's arenas to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The frontmatter block of a source's text, as written.
fn frontmatter_of(text: &str) -> Option<&str> {
    let frontmatter = crate::workspace::frontmatter::parse_frontmatter(text)?;
    text.get(frontmatter.range)
}

/// Analyses every note again after a source changed: what may have read it is computed again.
fn reanalyse_after(snap: &mut Analysis, changes: &[SourceChange]) {
    let evidence = Evidence {
        corpus: &snap.corpus,
        passages: &snap.passages,
    };
    let settings = &snap.workspace.config.checks;
    let notes: BTreeMap<PathBuf, Arc<NoteAnalysis>> = snap
        .notes
        .par_iter()
        .map(|(path, old)| {
            let analysis = analyse_note_with(
                path.clone(),
                old.text.clone(),
                &evidence,
                settings,
                Some(old),
                None,
                changes,
            );
            (path.clone(), Arc::new(analysis))
        })
        .collect();
    snap.notes = Arc::new(notes);
    crate::corpus::release_pending();
    snap.terms = Arc::new(TermIndex::build(
        &snap.mined_terms,
        &glossaries(&snap.notes),
    ));
}

fn glossaries(
    notes: &BTreeMap<PathBuf, Arc<NoteAnalysis>>,
) -> Vec<(PathBuf, Vec<crate::notes::GlossaryEntry>)> {
    notes
        .iter()
        .filter(|(_, n)| !n.note.glossary.is_empty())
        .map(|(path, n)| (path.clone(), n.note.glossary.clone()))
        .collect()
}

/// What notes are checked against: the corpus and its passage index (one snapshot's).
#[derive(Clone, Copy)]
pub struct Evidence<'a> {
    pub corpus: &'a Corpus,
    pub passages: &'a claims::PassageIndex,
}

/// Parses a note, resolves its quotations, checks its claims and computes its diagnostics.
pub fn analyse_note(
    path: PathBuf,
    text: Arc<str>,
    evidence: &Evidence<'_>,
    settings: &CheckSettings,
) -> NoteAnalysis {
    analyse_note_after(path, text, evidence, settings, None)
}

/// `analyse_note` for a new text of a note analysed before against the same corpus: quotations
/// whose words and citations are unchanged keep their resolution, so an edit re-resolves only the
/// quotations it touched.
pub fn analyse_note_after(
    path: PathBuf,
    text: Arc<str>,
    evidence: &Evidence<'_>,
    settings: &CheckSettings,
    previous: Option<&NoteAnalysis>,
) -> NoteAnalysis {
    analyse_note_with(path, text, evidence, settings, previous, None, &[])
}

/// One source whose text changed (its key, path and place in the corpus did not), before and
/// after.
pub struct SourceChange {
    /// Its index in the corpus's sources, before and after.
    pub index: usize,
    pub before: Arc<crate::corpus::Source>,
    pub after: Arc<crate::corpus::Source>,
}

/// `analyse_note_after`, taking resolutions from `memo` (the on-disk cache) when it has them.
/// With `changed`, `previous` was analysed against the corpus before those sources changed: what
/// may have read one of them is computed again, the rest kept.
fn analyse_note_with(
    path: PathBuf,
    text: Arc<str>,
    evidence: &Evidence<'_>,
    settings: &CheckSettings,
    previous: Option<&NoteAnalysis>,
    memo: Option<&memo::ResolutionMemo>,
    changed: &[SourceChange],
) -> NoteAnalysis {
    let earlier = Earlier {
        note: previous,
        claims: None,
        resolutions: memo,
    };
    prepare_note(path, text, evidence, settings, earlier, changed).finish(evidence, settings)
}

/// A note parsed, its quotations resolved and its claims rated, not yet checked against the
/// sources (`prepare_note`).
struct PreparedNote<'p> {
    path: PathBuf,
    text: Arc<str>,
    note: Note,
    resolutions: Vec<QuoteResolution>,
    claims: claims::ClaimPlan<'p>,
}

/// What a note's analysis may take from earlier ones instead of computing it.
struct Earlier<'p, 'm> {
    /// The note's previous analysis (an edit, sources changed).
    note: Option<&'p NoteAnalysis>,
    /// The claim outcomes stored in the cache (a load), for a note without a previous analysis.
    claims: Option<(&'p [claims::Claim], &'p claims::ClaimMemo)>,
    /// The resolutions stored in the cache.
    resolutions: Option<&'m memo::ResolutionMemo>,
}

/// The first part of `analyse_note_with`: everything but reading the sources for the claims.
fn prepare_note<'p>(
    path: PathBuf,
    text: Arc<str>,
    evidence: &Evidence<'_>,
    settings: &CheckSettings,
    earlier: Earlier<'p, '_>,
    changed: &[SourceChange],
) -> PreparedNote<'p> {
    use memo::ResolutionKey;
    let Earlier {
        note: previous,
        claims: stored_claims,
        resolutions: memo,
    } = earlier;
    let corpus = evidence.corpus;
    let note = match previous {
        Some(old) => Note::parse_after(&text, &old.text, &old.note),
        None => Note::parse(&text),
    };
    fn key_of<'a>(note: &'a Note, quotation: &'a crate::notes::Quotation) -> ResolutionKey<'a> {
        use crate::notes::QuotePiece;
        let pieces = quotation
            .pieces
            .iter()
            .map(|piece| match piece {
                QuotePiece::Text { text, .. } => (0, text.as_str()),
                QuotePiece::Elision { .. } => (1, ""),
                QuotePiece::Alteration { text, .. } => (2, text.as_str()),
                QuotePiece::Editorial { .. } => (3, ""),
            })
            .collect();
        (pieces, resolve::cited_keys(note, quotation))
    }
    let known: foldhash::HashMap<ResolutionKey<'_>, &QuoteResolution> = previous
        .map(|old| {
            old.note
                .quotations
                .iter()
                .zip(&old.resolutions)
                .filter(|(quotation, resolution)| {
                    changed.is_empty()
                        || !resolve::may_change_with_sources(
                            &old.note, quotation, resolution, changed, corpus,
                        )
                })
                .map(|(quotation, resolution)| (key_of(&old.note, quotation), resolution))
                .collect()
        })
        .unwrap_or_default();
    let resolutions: Vec<QuoteResolution> = note
        .quotations
        .par_iter()
        .map(|quotation| {
            let key = key_of(&note, quotation);
            match (known.get(&key), memo) {
                (Some(&resolution), _) => resolution.clone(),
                (None, Some(memo)) => {
                    memo.resolve(&key, || resolve::resolve_quote(&note, quotation, corpus))
                }
                (None, None) => resolve::resolve_quote(&note, quotation, corpus),
            }
        })
        .collect();
    let claims = claims::plan_claims(
        &claims::ClaimInput {
            text: &text,
            note: &note,
            corpus,
            passages: evidence.passages,
            settings,
        },
        previous
            .map(|old| (old.claims.as_slice(), &old.claim_memo))
            .or(stored_claims),
        changed,
    );
    PreparedNote {
        path,
        text,
        note,
        resolutions,
        claims,
    }
}

impl PreparedNote<'_> {
    /// The rest of `analyse_note_with`: the claims checked, the diagnostics gathered.
    fn finish(self, evidence: &Evidence<'_>, settings: &CheckSettings) -> NoteAnalysis {
        let PreparedNote {
            path,
            text,
            note,
            resolutions,
            claims,
        } = self;
        let corpus = evidence.corpus;
        let checked = claims.finish(&claims::ClaimInput {
            text: &text,
            note: &note,
            corpus,
            passages: evidence.passages,
            settings,
        });
        let diagnostics = diagnostics::note_diagnostics(&diagnostics::NoteContext {
            path: &path,
            text: &text,
            note: &note,
            resolutions: &resolutions,
            claims: &checked.claims,
            corpus,
            settings,
        });
        NoteAnalysis {
            path,
            text,
            note,
            resolutions,
            claims: checked.claims,
            diagnostics,
            claim_memo: checked.memo,
        }
    }
}

impl Analysis {
    pub fn root(&self) -> &Path {
        &self.workspace.root
    }

    pub fn settings(&self) -> &CheckSettings {
        &self.workspace.config.checks
    }

    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    pub fn corpus(&self) -> &Corpus {
        &self.corpus
    }

    pub fn terms(&self) -> &TermIndex {
        &self.terms
    }

    /// Whether `path` is a source of the corpus.
    pub fn is_source(&self, path: &Path) -> bool {
        self.corpus.source_by_path(path).is_some()
    }

    /// Whether `path` is a note of the workspace (on disk or open).
    pub fn is_note(&self, path: &Path) -> bool {
        self.notes.contains_key(path)
    }

    pub fn note(&self, path: &Path) -> Option<&Arc<NoteAnalysis>> {
        self.notes.get(path)
    }

    pub fn notes(&self) -> impl Iterator<Item = &Arc<NoteAnalysis>> {
        self.notes.values()
    }

    /// The text of a note or source, as analysed (shared, not copied).
    pub fn file_text(&self, path: &Path) -> Option<StoredText> {
        if let Some(note) = self.notes.get(path) {
            return Some(note.text.clone().into());
        }
        self.corpus.source_by_path(path).map(|s| s.text.clone())
    }

    /// Diagnostics of one note (settings applied: `off` codes dropped, severities overridden).
    pub fn diagnostics(&self, path: &Path) -> &[Diagnostic] {
        self.notes
            .get(path)
            .map_or(&[], |n| n.diagnostics.as_slice())
    }

    /// Workspace-level problems (bibliography, unreadable or duplicate sources), by file.
    pub fn workspace_problems(&self) -> &[Diagnostic] {
        &self.problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Source;

    /// A corpus of one source, `halden2021`, with its passage index.
    struct Fixture {
        corpus: Corpus,
        passages: claims::PassageIndex,
    }

    impl Fixture {
        fn new(text: &str) -> Fixture {
            let source = Source::markdown_for_test("halden2021", text);
            let corpus = Corpus::from_sources(vec![source], Vec::new());
            let passages = claims::PassageIndex::new(&corpus);
            Fixture { corpus, passages }
        }

        fn evidence(&self) -> Evidence<'_> {
            Evidence {
                corpus: &self.corpus,
                passages: &self.passages,
            }
        }
    }

    /// Only the quotations an edit touched are resolved again: the untouched one keeps its earlier
    /// resolution (shown here by resolving it first against another corpus, which the real caller
    /// never does), and the result otherwise equals a fresh analysis.
    #[test]
    fn an_edit_re_resolves_only_the_quotations_it_touched() {
        let path = PathBuf::from("/ws/notes/a.md");
        let settings = CheckSettings::default();
        let before: Arc<str> = Arc::from(
            "One \"the levee held through the storm\" [@halden2021].\n\n\
             Two \"the water fell slowly over a week\" [@halden2021].\n",
        );
        let first_fixture =
            Fixture::new("The levee held through the storm. The water fell slowly over a week.");
        let first = first_fixture.evidence();
        let previous = analyse_note(path.clone(), before, &first, &settings);
        assert!(
            previous
                .resolutions
                .iter()
                .all(|r| r.status == resolve::QuoteStatus::Verified)
        );

        let second_fixture = Fixture::new("Nothing here matches.");
        let second = second_fixture.evidence();
        let after: Arc<str> = Arc::from(
            "One \"the levee held through the storm\" [@halden2021].\n\n\
             Two \"the water fell quickly over a week\" [@halden2021].\n",
        );
        let edited = analyse_note_after(
            path.clone(),
            after.clone(),
            &second,
            &settings,
            Some(&previous),
        );
        assert_eq!(edited.resolutions[0], previous.resolutions[0]);
        assert_eq!(edited.resolutions[1].status, resolve::QuoteStatus::NotFound);

        let fresh = analyse_note(path.clone(), after.clone(), &first, &settings);
        let reused = analyse_note_after(path, after, &first, &settings, Some(&previous));
        assert_eq!(reused.resolutions, fresh.resolutions);
        assert_eq!(reused.diagnostics, fresh.diagnostics);
    }

    /// Claims too: a sentence the edit did not touch keeps what was concluded of it (a claim and
    /// its verdict, or that it is no claim), and the result equals a fresh analysis.
    #[test]
    fn an_edit_re_checks_only_the_claims_it_touched() {
        let path = PathBuf::from("/ws/notes/a.md");
        let settings = CheckSettings::default();
        let source = "The Narva Port Authority reported that grain exports rose by 12 per cent in \
                      2019. Storms closed the northern pass twice that winter.";
        let before: Arc<str> = Arc::from(
            "The Narva Port Authority said grain exports rose by 12 per cent in 2019.\n\n\
             I think this is a lovely place.\n\n\
             Storms closed the northern pass twice that winter [@halden2021].\n",
        );
        let first_fixture = Fixture::new(source);
        let first = first_fixture.evidence();
        let previous = analyse_note(path.clone(), before, &first, &settings);
        assert_eq!(previous.claims.len(), 2, "{:?}", previous.claims);
        assert!(matches!(
            previous.claims[0].verdict.as_ref(),
            claims::Verdict::Uncited { backing } if !backing.is_empty()
        ));

        // Against a corpus that backs nothing, only the edited sentence changes its verdict.
        let second_fixture = Fixture::new("Nothing here matches.");
        let second = second_fixture.evidence();
        let after: Arc<str> = Arc::from(
            "The Narva Port Authority said grain exports rose by 12 per cent in 2019.\n\n\
             I think this is a lovely place.\n\n\
             Storms closed the southern pass twice that winter [@halden2021].\n",
        );
        let edited = analyse_note_after(
            path.clone(),
            after.clone(),
            &second,
            &settings,
            Some(&previous),
        );
        assert_eq!(edited.claims[0], previous.claims[0]);
        assert!(matches!(
            edited.claims[1].verdict.as_ref(),
            claims::Verdict::Unsupported { .. }
        ));

        let fresh = analyse_note(path.clone(), after.clone(), &first, &settings);
        let reused = analyse_note_after(path, after, &first, &settings, Some(&previous));
        assert_eq!(reused.claims, fresh.claims);
        assert_eq!(reused.diagnostics, fresh.diagnostics);
    }

    /// After one source's text changes, re-analysing a note from its earlier analysis (keeping
    /// what could not have read the source) gives what a fresh analysis gives, for changes that
    /// turn each kind of outcome into another: a quotation found in a source it does not cite,
    /// an invented one that a source now holds, a claim whose source no longer backs it.
    #[test]
    fn a_source_change_re_analyses_what_read_it_and_equals_a_fresh_analysis() {
        const HALDEN: &str = "The levee held through the storm of that spring. Engineers said \
                              the new pumps removed water twice as fast.";
        const OSEI: &str = "Delegates agreed to share river data every week from then on. The \
                            basin commission met in May.";
        const MBEKI: &str = "Grain exports rose by twelve per cent in the last year. Storms \
                             closed the northern pass twice that winter.";
        let path = PathBuf::from("/ws/notes/a.md");
        let settings = CheckSettings::default();
        let note: Arc<str> = Arc::from(
            "One \"the levee held through the storm\" [@halden2021].\n\n\
             Two \"delegates agreed to share river data every week\" [@halden2021].\n\n\
             Three \"the harbour froze solid for a month\" [@mbeki2019].\n\n\
             Four \"storms closed the northern pass twice\" said someone.\n\n\
             The basin commission met in May [@osei2022].\n\n\
             Grain exports rose by twelve per cent in the last year.\n",
        );
        let corpus_of = |texts: [&str; 3]| {
            let sources = ["halden2021", "osei2022", "mbeki2019"]
                .iter()
                .zip(texts)
                .map(|(key, text)| Source::markdown_for_test(key, text))
                .collect();
            Corpus::from_sources(sources, Vec::new())
        };
        let original = [HALDEN, OSEI, MBEKI];
        let before = corpus_of(original);
        let before_passages = claims::PassageIndex::new(&before);
        let evidence = Evidence {
            corpus: &before,
            passages: &before_passages,
        };
        let previous = analyse_note(path.clone(), note.clone(), &evidence, &settings);
        let statuses: Vec<_> = previous.resolutions.iter().map(|r| r.status).collect();
        use resolve::QuoteStatus::*;
        assert_eq!(statuses, [Verified, Misattributed, NotFound, Uncited]);
        // An untouched source that no outcome read: nothing is recomputed for the first quotation.
        let extra = format!("{MBEKI} Ferries ran late.");
        let with_extra = corpus_of([HALDEN, OSEI, &extra]);
        assert!(!resolve::may_change_with_sources(
            &previous.note,
            &previous.note.quotations[0],
            &previous.resolutions[0],
            &[SourceChange {
                index: 2,
                before: before.sources[2].clone(),
                after: with_extra.sources[2].clone(),
            }],
            &with_extra,
        ));

        let harbour = "The harbour froze solid for a month.";
        let changes: [(usize, String); 7] = [
            (2, format!("{MBEKI} {harbour}")),
            (1, format!("{OSEI} {harbour}")),
            (
                0,
                "Engineers said the new pumps removed water twice as fast.".to_string(),
            ),
            (1, "Nothing about rivers.".to_string()),
            (
                2,
                "Grain exports rose by twelve per cent in the last year.".to_string(),
            ),
            (
                0,
                format!("{HALDEN} Delegates agreed to share river data every week."),
            ),
            (
                2,
                "Storms closed the northern pass twice that winter.".to_string(),
            ),
        ];
        for (index, text) in changes {
            let mut texts = original;
            texts[index] = &text;
            let after = corpus_of(texts);
            let after_passages = claims::PassageIndex::new(&after);
            let evidence = Evidence {
                corpus: &after,
                passages: &after_passages,
            };
            let change = SourceChange {
                index,
                before: before.sources[index].clone(),
                after: after.sources[index].clone(),
            };
            let reused = analyse_note_with(
                path.clone(),
                note.clone(),
                &evidence,
                &settings,
                Some(&previous),
                None,
                std::slice::from_ref(&change),
            );
            let fresh = analyse_note(path.clone(), note.clone(), &evidence, &settings);
            assert_eq!(
                reused.resolutions, fresh.resolutions,
                "source {index}: {text}"
            );
            assert_eq!(reused.claims, fresh.claims, "source {index}: {text}");
            assert_eq!(
                reused.diagnostics, fresh.diagnostics,
                "source {index}: {text}"
            );
            assert!(
                fresh.resolutions != previous.resolutions || fresh.claims != previous.claims,
                "source {index}: the change should change an outcome"
            );
        }
    }

    /// A workspace in a temporary folder: `sources/` (empty) and `notes/a.md`; the folder and its
    /// canonical path.
    fn workspace_on_disk() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical root");
        std::fs::create_dir_all(root.join("sources")).expect("mkdir sources");
        std::fs::create_dir_all(root.join("notes")).expect("mkdir notes");
        std::fs::write(root.join("notes/a.md"), "# A\n\nSome words.\n").expect("write note");
        (dir, root)
    }

    /// A check answers its claims' queries ahead, each cited or tried source read once and not
    /// indexed; the server indexes the sources its claims ask. The claims come out the same:
    /// supported, unsupported and backed by another source, uncited with a source that backs it.
    #[test]
    fn a_check_answers_claims_ahead_as_the_server_s_indexes_answer_them() {
        let (_dir, root) = workspace_on_disk();
        let write = |path: &str, text: &str| {
            std::fs::write(root.join(path), text).expect("write file");
        };
        write(
            "sources/harbour.md",
            "# Harbour\n\nThe Narva Port Authority reported that grain exports rose by 12 per \
             cent in 2019. Most of the grain went to Tallinn. The harbour was dredged again the \
             following spring.\n",
        );
        write(
            "sources/weather.md",
            "# Weather\n\nThe storm of March 2020 closed the Narva port for nine days. Heavy \
             ice blocked the northern channel of the Narva river until April 2021.\n",
        );
        write(
            "notes/a.md",
            "# Notes\n\nThe Narva Port Authority reported that grain exports rose by 12 per \
             cent in 2019 [@harbour].\n\nThe storm of March 2020 closed the Narva port for nine \
             days [@harbour].\n\nHeavy ice blocked the northern channel of the Narva river \
             until April 2021.\n",
        );
        let checked = AnalysisHost::load_for_check(&root, &NoProgress)
            .expect("load for check")
            .snapshot();
        // The check stored its claims' outcomes: the server is to check them itself.
        for entry in std::fs::read_dir(root.join(".ibid")).expect("the cache folder") {
            let path = entry.expect("an entry").path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("claims-"))
            {
                std::fs::remove_file(path).expect("remove the stored claims");
            }
        }
        let served = AnalysisHost::load_leaving_terms(&root, None, &NoProgress)
            .expect("load for the server")
            .snapshot();
        let claims = |analysis: &Analysis| -> Vec<claims::Claim> {
            analysis
                .notes
                .values()
                .flat_map(|note| note.claims.clone())
                .collect()
        };
        let answered_ahead = claims(&checked);
        assert_eq!(answered_ahead, claims(&served));
        let verdicts: Vec<&claims::Verdict> =
            answered_ahead.iter().map(|c| c.verdict.as_ref()).collect();
        assert!(
            matches!(verdicts[..], [
            claims::Verdict::Supported { .. },
            claims::Verdict::Unsupported { elsewhere, .. },
            claims::Verdict::Uncited { backing },
        ] if elsewhere.len() == 1 && backing.len() == 1),
            "{verdicts:?}"
        );
        let harbour = checked.corpus.source_index("harbour").expect("harbour");
        assert!(!checked.passages.is_indexed(harbour), "answered ahead");
        assert!(served.passages.is_indexed(harbour), "indexed when asked");
    }

    /// A changed source leaves the terms stale (what they took from it left out) until terms
    /// mined from the new corpus are set; terms mined from a corpus that changed again meanwhile
    /// are refused.
    #[test]
    fn a_changed_source_leaves_its_terms_stale_until_they_are_mined_again() {
        let (_dir, root) = workspace_on_disk();
        let source = root.join("sources/osei2022.md");
        let defining = |long: &str| {
            format!("# Basin\n\nThe {long} (JBC) met in May. The JBC shares data weekly.\n")
        };
        std::fs::write(&source, defining("Joint Basin Commission")).expect("write source");
        let expansion = |host: &AnalysisHost| {
            host.snapshot
                .mined_terms
                .terms
                .iter()
                .find(|t| t.term == "JBC")
                .and_then(|t| t.expansion.clone())
        };

        let mut host =
            AnalysisHost::load_leaving_terms(&root, None, &NoProgress).expect("load workspace");
        assert_eq!(host.terms_state(), TermsState::Missing);
        assert_eq!(expansion(&host), None);
        host.refresh_terms();
        assert_eq!(host.terms_state(), TermsState::Mined);
        assert_eq!(expansion(&host).as_deref(), Some("Joint Basin Commission"));
        assert!(host.terms_job().is_none());

        host.set_source_text(source.clone(), defining("Joint Board of Canals"));
        assert_eq!(host.terms_state(), TermsState::Stale);
        assert_eq!(
            expansion(&host),
            None,
            "the old excerpts of the changed source are out"
        );
        let late = host.terms_job().expect("a job for the stale terms");
        let stale = host.terms_job().and_then(TermsJob::run).expect("mined");
        host.set_source_text(source.clone(), defining("Joint Barge Council"));
        assert!(late.run().is_none(), "a job whose corpus changed stops");
        assert!(!host.set_mined_terms(stale), "mined from an earlier corpus");
        assert_eq!(host.terms_state(), TermsState::Stale);
        let job = host.terms_job().expect("a job for the new corpus");
        assert!(host.set_mined_terms(job.run().expect("mined")));
        assert_eq!(host.terms_state(), TermsState::Mined);
        assert_eq!(expansion(&host).as_deref(), Some("Joint Barge Council"));
    }

    /// A paused job waits before mining each source and mines once let go; a job whose corpus
    /// changed stops even while it is paused.
    #[test]
    fn a_paused_terms_job_waits_until_let_go() {
        use std::sync::atomic::AtomicUsize;
        let (_dir, root) = workspace_on_disk();
        let source = root.join("sources/osei2022.md");
        std::fs::write(&source, "# B\n\nThe Joint Basin Commission (JBC) met.\n").expect("write");
        let mut host =
            AnalysisHost::load_leaving_terms(&root, None, &NoProgress).expect("load workspace");
        let start = |job: TermsJob, paused: &Arc<AtomicBool>, asked: &Arc<AtomicUsize>| {
            let (paused, asked) = (Arc::clone(paused), Arc::clone(asked));
            std::thread::spawn(move || {
                job.run_pausing(&|| {
                    asked.fetch_add(1, Ordering::SeqCst);
                    paused.load(Ordering::SeqCst)
                })
            })
        };
        // Until the job asked five times whether it is paused, or finished.
        let wait_for_asks = |asked: &AtomicUsize, job: &std::thread::JoinHandle<_>| {
            while asked.load(Ordering::SeqCst) < 5 && !job.is_finished() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        };

        let (paused, asked) = (Arc::new(AtomicBool::new(true)), Arc::default());
        let job = start(host.terms_job().expect("a job"), &paused, &asked);
        wait_for_asks(&asked, &job);
        assert!(!job.is_finished(), "a paused job waits");
        paused.store(false, Ordering::SeqCst);
        let mined = job.join().expect("no panic").expect("mined once let go");
        assert!(host.set_mined_terms(mined));
        assert_eq!(host.terms_state(), TermsState::Mined);

        host.set_source_text(
            source.clone(),
            "# B\n\nThe Joint Barge Council (JBC) met.\n".into(),
        );
        let (paused, asked) = (Arc::new(AtomicBool::new(true)), Arc::default());
        let job = start(host.terms_job().expect("a job"), &paused, &asked);
        wait_for_asks(&asked, &job);
        host.set_source_text(
            source,
            "# B\n\nThe Joint Board of Canals (JBC) met.\n".into(),
        );
        assert!(
            job.join().expect("no panic").is_none(),
            "a paused job whose corpus changed stops"
        );
    }

    /// Several sources changed at once (`set_source_texts`, as after a `git pull`): the notes
    /// then read as after loading the changed workspace afresh: a quotation moves from one
    /// changed source to another, one becomes found, one is lost, one unchanged source's stays.
    #[test]
    fn sources_changed_together_give_what_a_fresh_load_gives() {
        let (_dir, root) = workspace_on_disk();
        let write = |name: &str, text: &str| {
            let path = root.join("sources").join(name);
            std::fs::write(&path, text).expect("write source");
            path
        };
        let first = write(
            "osei2022.md",
            "# O\n\nThe levee held through the long storm.\n",
        );
        let second = write(
            "mensah2023.md",
            "# M\n\nThe harbour stayed quiet all winter.\n",
        );
        write("halden2021.md", "# H\n\nThe ferries ran again at dawn.\n");
        std::fs::write(
            root.join("notes/a.md"),
            "# A\n\n\"The levee held through the long storm\" [@osei2022]. \"The canal froze \
             solid in March\" [@mensah2023]. \"The ferries ran again at dawn\" [@halden2021]. \
             \"The harbour stayed quiet all winter\" [@osei2022].\n",
        )
        .expect("write note");
        let mut host = AnalysisHost::load_leaving_terms(&root, None, &NoProgress).expect("load");
        let codes = |host: &AnalysisHost| -> Vec<String> {
            host.snapshot
                .notes
                .values()
                .flat_map(|note| &note.diagnostics)
                .map(|d| format!("{}@{}:{}", d.code, d.range.start, d.message))
                .collect()
        };
        let before = codes(&host);
        assert!(
            before.iter().any(|c| c.starts_with("quote-misattributed")),
            "{before:?}"
        );

        let first_text = "# O\n\nThe harbour stayed quiet all winter.\n";
        let second_text = "# M\n\nThe canal froze solid in March.\n";
        std::fs::write(&first, first_text).expect("rewrite");
        std::fs::write(&second, second_text).expect("rewrite");
        host.set_source_texts(vec![
            (first.clone(), first_text.to_string()),
            (second.clone(), second_text.to_string()),
        ]);
        let fresh = AnalysisHost::load_leaving_terms(&root, None, &NoProgress).expect("load");
        let after = codes(&host);
        assert_eq!(after, codes(&fresh));
        assert_ne!(after, before);
        // The levee quotation is lost; the canal and harbour ones are found where they cite.
        assert!(after.iter().all(|c| !c.contains("canal")), "{after:?}");
        assert_eq!(
            after
                .iter()
                .filter(|c| c.starts_with("quote-not-found"))
                .count(),
            1,
            "{after:?}"
        );
    }

    /// A source indexed again lives in its cache record, mapped, as a loaded one does: fifty
    /// large sources changed at once held hundreds of megabytes of heap otherwise. Changed
    /// back, it is read from the record it had.
    #[cfg(unix)]
    #[test]
    fn a_source_indexed_again_lives_in_its_cache_record() {
        let (_dir, root) = workspace_on_disk();
        let path = root.join("sources/osei2022.md");
        let original = "# O\n\nThe levee held through the long storm.\n";
        std::fs::write(&path, original).expect("write source");
        let mut host = AnalysisHost::load_leaving_terms(&root, None, &NoProgress).expect("load");
        let records = || crate::corpus::cache::stored_records(&root.join(".ibid"));
        assert_eq!(records(), 1);
        let source_now = |host: &AnalysisHost| {
            host.snapshot
                .corpus
                .source_by_path(&path)
                .expect("source")
                .clone()
        };
        let changed = "# O\n\nThe levee broke in the long storm.\n";
        host.set_source_text(path.clone(), changed.to_string());
        let source = source_now(&host);
        assert_eq!(source.text.as_str(), changed);
        assert!(source.text.is_mapped() && source.key_text.text.is_mapped());
        assert!(source.clean.text.is_mapped() && source.words.is_mapped());
        let fresh = crate::corpus::Source::new(
            source.key.clone(),
            path.clone(),
            source.format,
            changed.to_string(),
            source.meta.clone(),
        );
        assert_eq!(source.key_text.text.as_str(), fresh.key_text.text.as_str());
        assert_eq!(source.clean.text.as_str(), fresh.clean.text.as_str());
        assert_eq!(
            source.words.iter().collect::<Vec<_>>(),
            fresh.words.iter().collect::<Vec<_>>()
        );
        assert_eq!(source.content_hash, fresh.content_hash);
        assert_eq!(records(), 2);
        // Back to the original: its record is read, none is written.
        host.set_source_text(path.clone(), original.to_string());
        let source = source_now(&host);
        assert_eq!(source.text.as_str(), original);
        assert!(source.text.is_mapped());
        assert_eq!(records(), 2);
    }

    /// A source whose frontmatter changes on disk takes its new key (and a frontmatter that is not
    /// YAML is reported): the workspace is loaded again, where a change to the body only
    /// re-indexes the source.
    #[test]
    fn a_source_s_new_frontmatter_gives_it_its_new_key() {
        let (_dir, root) = workspace_on_disk();
        let source = root.join("sources/report.md");
        let with_id = |id: &str| format!("---\nid: {id}\n---\n\nThe levee held.\n");
        std::fs::write(&source, with_id("osei2022")).expect("write source");
        let mut host = AnalysisHost::load_leaving_terms(&root, None, &NoProgress).expect("load");
        let key = |host: &AnalysisHost| {
            host.snapshot
                .corpus
                .source_by_path(&source)
                .map(|s| s.key.clone())
        };
        assert_eq!(key(&host).as_deref(), Some("osei2022"));

        let body_only = format!("{}The water fell.\n", with_id("osei2022"));
        std::fs::write(&source, &body_only).expect("rewrite source");
        host.set_source_text(source.clone(), body_only);
        assert_eq!(key(&host).as_deref(), Some("osei2022"));

        std::fs::write(&source, with_id("mensah2023")).expect("rewrite source");
        host.set_source_text(source.clone(), with_id("mensah2023"));
        assert_eq!(key(&host).as_deref(), Some("mensah2023"));

        let broken = "---\nid: [unclosed\n---\n\nThe levee held.\n";
        std::fs::write(&source, broken).expect("rewrite source");
        host.set_source_text(source.clone(), broken.to_string());
        let codes: Vec<_> = host.snapshot.problems.iter().map(|p| p.code).collect();
        assert!(
            codes.contains(&crate::diagnostic::DiagnosticCode::InvalidFrontmatter),
            "{codes:?}"
        );
    }
}

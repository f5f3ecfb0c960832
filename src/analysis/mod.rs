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

pub use queries::{Completion, FileEdit, Fix, Hover, Location, QuotedPassage, Symbol, SymbolKind};
pub use resolve::{QuoteMatch, QuoteResolution};

use rayon::prelude::*;

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
        let workspace = Workspace::load_with(root, overlay)?;
        Ok(AnalysisHost {
            snapshot: build_snapshot(workspace, &BTreeMap::new(), progress, Terms::Mine),
            overlay: overlay.cloned(),
            open_notes: BTreeMap::new(),
        })
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
        AnalysisHost {
            snapshot: build_snapshot(workspace, &BTreeMap::new(), progress, Terms::Skip),
            overlay: None,
            open_notes: BTreeMap::new(),
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
        release_everywhere();
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

    /// Sets a source's text (edited or changed on disk): re-indexes that source only, then
    /// re-resolves every note.
    pub fn set_source_text(&mut self, path: PathBuf, text: String) {
        let snap = &mut self.snapshot;
        let Some(old) = snap.corpus.source_by_path(&path).cloned() else {
            return;
        };
        let replacement = Arc::new(crate::corpus::Source::new(
            old.key.clone(),
            path.clone(),
            old.format,
            text,
            old.meta.clone(),
        ));
        let sources = snap
            .corpus
            .sources
            .iter()
            .map(|s| {
                if s.path == path {
                    replacement.clone()
                } else {
                    s.clone()
                }
            })
            .collect();
        snap.corpus = Arc::new(Corpus::from_shared(
            sources,
            snap.corpus.bibliography.clone(),
        ));
        snap.passages = Arc::new(claims::PassageIndex::new(&snap.corpus));
        snap.mined_terms = Arc::new(SourceTerms::mine(&snap.corpus));
        reanalyse_all(snap);
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
        self.snapshot = build_snapshot(workspace, &self.open_notes, &NoProgress, Terms::Mine);
        Ok(())
    }
}

/// Whether a load mines the sources' terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terms {
    Mine,
    Skip,
}

/// Reads the corpus and every note, and analyses everything.
fn build_snapshot(
    workspace: Workspace,
    open_notes: &BTreeMap<PathBuf, Arc<str>>,
    progress: &dyn LoadProgress,
    terms: Terms,
) -> Analysis {
    progress.stage(LoadStage::ReadingSources, workspace.sources.len());
    let (corpus, corpus_problems) = Corpus::load_cached(&workspace);
    release_everywhere();
    progress.advance(workspace.sources.len());
    let corpus = Arc::new(corpus);
    let mined_terms = match terms {
        Terms::Mine => {
            progress.stage(LoadStage::MiningTerms, corpus.sources.len());
            let cache = crate::corpus::CacheDir::for_workspace(&workspace);
            let mined = SourceTerms::mine_cached(&corpus, &workspace.root, cache.as_ref());
            release_everywhere();
            progress.advance(corpus.sources.len());
            Arc::new(mined)
        }
        Terms::Skip => Arc::new(SourceTerms::default()),
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
    let passages = Arc::new(claims::PassageIndex::new(&corpus));
    let evidence = Evidence {
        corpus: &corpus,
        passages: &passages,
    };
    let cache = crate::corpus::CacheDir::for_workspace(&workspace);
    let memo = cache
        .as_ref()
        .map(|dir| memo::ResolutionMemo::load(&corpus, &workspace.root, dir));
    progress.stage(LoadStage::CheckingNotes, paths.len());
    let notes: BTreeMap<PathBuf, Arc<NoteAnalysis>> = paths
        .par_iter()
        .filter_map(|path| {
            let text: Arc<str> = match open_notes.get(path) {
                Some(text) => text.clone(),
                None => match std::fs::read(path) {
                    Ok(bytes) => Arc::from(String::from_utf8_lossy(&bytes).as_ref()),
                    Err(error) => {
                        tracing::warn!("cannot read note {}: {error}", path.display());
                        return None;
                    }
                },
            };
            let analysis =
                analyse_note_with(path.clone(), text, &evidence, settings, None, memo.as_ref());
            progress.advance(1);
            Some((path.clone(), Arc::new(analysis)))
        })
        .collect();
    release_everywhere();
    if let (Some(memo), Some(dir)) = (memo, &cache) {
        memo.store(&workspace.root, dir);
    }
    let terms = Arc::new(TermIndex::build(&mined_terms, &glossaries(&notes)));
    Analysis {
        workspace: Arc::new(workspace),
        corpus,
        passages,
        mined_terms,
        terms,
        notes: Arc::new(notes),
        problems: Arc::new(problems),
    }
}

/// Every thread gives back the pages of the sources it read last (see `StoredText::release`):
/// at the end of a pass over the corpus.
fn release_everywhere() {
    rayon::broadcast(|_| crate::corpus::release_pending());
    crate::corpus::release_pending();
}

/// Re-resolves every note against the current corpus (after a source changed).
fn reanalyse_all(snap: &mut Analysis) {
    let evidence = Evidence {
        corpus: &snap.corpus,
        passages: &snap.passages,
    };
    let settings = &snap.workspace.config.checks;
    let notes: BTreeMap<PathBuf, Arc<NoteAnalysis>> = snap
        .notes
        .par_iter()
        .map(|(path, old)| {
            let analysis = analyse_note(path.clone(), old.text.clone(), &evidence, settings);
            (path.clone(), Arc::new(analysis))
        })
        .collect();
    snap.notes = Arc::new(notes);
    release_everywhere();
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
    analyse_note_with(path, text, evidence, settings, previous, None)
}

/// `analyse_note_after`, taking resolutions from `memo` (the on-disk cache) when it has them.
fn analyse_note_with(
    path: PathBuf,
    text: Arc<str>,
    evidence: &Evidence<'_>,
    settings: &CheckSettings,
    previous: Option<&NoteAnalysis>,
    memo: Option<&memo::ResolutionMemo>,
) -> NoteAnalysis {
    use memo::ResolutionKey;
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
    let checked = claims::check_claims(
        &claims::ClaimInput {
            text: &text,
            note: &note,
            corpus,
            passages: evidence.passages,
            settings,
        },
        previous.map(|old| (old.claims.as_slice(), &old.claim_memo)),
    );
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
    pub fn diagnostics(&self, path: &Path) -> Vec<Diagnostic> {
        self.notes
            .get(path)
            .map(|n| n.diagnostics.clone())
            .unwrap_or_default()
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
            previous.claims[0].verdict,
            claims::Verdict::Uncited { ref backing } if !backing.is_empty()
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
            edited.claims[1].verdict,
            claims::Verdict::Unsupported { .. }
        ));

        let fresh = analyse_note(path.clone(), after.clone(), &first, &settings);
        let reused = analyse_note_after(path, after, &first, &settings, Some(&previous));
        assert_eq!(reused.claims, fresh.claims);
        assert_eq!(reused.diagnostics, fresh.diagnostics);
    }
}

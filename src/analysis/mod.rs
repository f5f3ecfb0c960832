//! Analysis over an immutable snapshot. `AnalysisHost` owns the inputs (workspace, corpus, notes'
//! texts) and takes changes; `Analysis` is a cheap, cloneable snapshot that answers queries
//! (diagnostics, hover, definition, references, completion, fixes, symbols) in terms of paths and
//! byte offsets. Nothing here knows about the protocol or the terminal.

pub mod matcher;
pub mod queries;
pub mod resolve;
pub mod terms;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use queries::{Completion, Fix, FileEdit, Hover, Location, QuotedPassage, Symbol, SymbolKind};
pub use resolve::{QuoteMatch, QuoteResolution};

use crate::corpus::Corpus;
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
    pub diagnostics: Vec<Diagnostic>,
}

/// The inputs, and the place changes are applied. Cloning a snapshot out of it is cheap.
#[derive(Debug)]
pub struct AnalysisHost {
    snapshot: Analysis,
}

/// An immutable view of the whole workspace at one moment.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub(crate) workspace: Arc<Workspace>,
    pub(crate) corpus: Arc<Corpus>,
    pub(crate) mined_terms: Arc<SourceTerms>,
    pub(crate) terms: Arc<TermIndex>,
    pub(crate) notes: Arc<BTreeMap<PathBuf, Arc<NoteAnalysis>>>,
    /// Workspace-level problems (bibliography, unreadable sources...).
    pub(crate) problems: Arc<Vec<Diagnostic>>,
}

impl AnalysisHost {
    /// Loads the workspace at `root`: reads the corpus, mines terms, analyses every note on disk.
    /// `overlay` carries editor settings (`ibid.toml` wins where both set a value).
    pub fn load(
        root: &Path,
        overlay: Option<&crate::workspace::Config>,
    ) -> Result<AnalysisHost, crate::workspace::WorkspaceError> {
        let _ = (root, overlay);
        todo!("lead")
    }

    /// The current snapshot (cheap: a handful of `Arc` clones).
    pub fn snapshot(&self) -> Analysis {
        self.snapshot.clone()
    }

    /// Sets a note's text (an open editor buffer, or the file on disk) and re-analyses it.
    pub fn set_note_text(&mut self, path: PathBuf, text: Arc<str>) {
        let _ = (path, text);
        todo!("lead")
    }

    /// Forgets a note (deleted), or reverts it to its on-disk text if it still exists.
    pub fn remove_note(&mut self, path: &Path) {
        let _ = path;
        todo!("lead")
    }

    /// Sets a source's text (edited or changed on disk): re-indexes that source only, then
    /// re-resolves every note.
    pub fn set_source_text(&mut self, path: PathBuf, text: String) {
        let _ = (path, text);
        todo!("lead")
    }

    /// Reloads everything from disk (configuration or bibliography changed).
    pub fn reload(
        &mut self,
        overlay: Option<&crate::workspace::Config>,
    ) -> Result<(), crate::workspace::WorkspaceError> {
        let _ = overlay;
        todo!("lead")
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

    /// The text of a note or source, as analysed.
    pub fn file_text(&self, path: &Path) -> Option<Arc<str>> {
        if let Some(note) = self.notes.get(path) {
            return Some(note.text.clone());
        }
        self.corpus
            .source_by_path(path)
            .map(|s| Arc::from(s.text.as_str()))
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

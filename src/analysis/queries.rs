//! Queries over a snapshot: the result types the LSP shell converts, and their implementations
//! (hover, definition, references, completion, fixes, symbols, quoted passages).

use std::path::PathBuf;

use crate::ByteRange;

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub range: ByteRange,
}

/// Hover content (Markdown) and the range it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Hover {
    pub range: ByteRange,
    pub markdown: String,
}

/// A completion candidate: a citation key.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub label: String,
    /// Authors and title on one line.
    pub detail: String,
    /// Markdown.
    pub documentation: String,
    /// The range the completion replaces (the partial key typed so far).
    pub replace: ByteRange,
}

/// A text edit in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    pub path: PathBuf,
    pub range: ByteRange,
    pub new_text: String,
}

/// A quick fix.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<FileEdit>,
    /// Index of the diagnostic (in `Analysis::diagnostics(path)`) it fixes.
    pub diagnostic: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Heading,
    Term,
    Quotation,
    Source,
}

/// A document or workspace symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub location: Location,
    /// The part to highlight (the name), within `location.range`.
    pub selection: ByteRange,
}

/// A passage of a source that notes quote.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotedPassage {
    pub range: ByteRange,
    /// Each quoting note and the quotation's range there.
    pub quoted_by: Vec<Location>,
}

use std::path::Path;

use super::Analysis;

impl Analysis {
    /// Hover at `offset` in `path` (a note): term, citation or quotation; in a source: the notes
    /// quoting the passage under the cursor.
    pub fn hover(&self, path: &Path, offset: usize) -> Option<Hover> {
        let _ = (path, offset);
        todo!("features helper")
    }

    /// Go-to-source: quotation → the matched source range; citation key → the source (or the
    /// attached quotation's passage); term → glossary entry or best defining sentence.
    pub fn definition(&self, path: &Path, offset: usize) -> Vec<Location> {
        let _ = (path, offset);
        todo!("features helper")
    }

    /// Citation key → every citation of it; term → its uses; in a source → the quotations whose
    /// match covers `offset`.
    pub fn references(&self, path: &Path, offset: usize) -> Vec<Location> {
        let _ = (path, offset);
        todo!("features helper")
    }

    /// Citation keys after `@` in a citation context.
    pub fn completion(&self, path: &Path, offset: usize) -> Vec<Completion> {
        let _ = (path, offset);
        todo!("features helper")
    }

    /// Quick fixes for the diagnostics of `path` overlapping `range`.
    pub fn fixes(&self, path: &Path, range: crate::ByteRange) -> Vec<Fix> {
        let _ = (path, range);
        todo!("features helper")
    }

    /// Headings, glossary terms and quotations (with their status) of a note.
    pub fn document_symbols(&self, path: &Path) -> Vec<Symbol> {
        let _ = path;
        todo!("features helper")
    }

    /// Sources (by key and title) and terms matching `query` (case-insensitive substring).
    pub fn workspace_symbols(&self, query: &str) -> Vec<Symbol> {
        let _ = query;
        todo!("features helper")
    }

    /// The passages of the source at `path` that notes quote (for code lenses).
    pub fn quoted_passages(&self, path: &Path) -> Vec<QuotedPassage> {
        let _ = path;
        todo!("features helper")
    }
}

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

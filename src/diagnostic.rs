//! What every layer reports: a `Diagnostic` with a stable code, a severity, a range in one file,
//! a message a writer understands, related locations, and the data a quick fix needs. Codes are part
//! of ibid's interface: they appear in `ibid check` output, in LSP diagnostics, and as keys in
//! `ibid.toml`'s `[checks]` table.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ByteRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
}

macro_rules! codes {
    ($($variant:ident => $name:literal, $severity:ident, $summary:literal;)*) => {
        /// One rule that ibid checks. `as_str` is the stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum DiagnosticCode { $($variant),* }

        impl DiagnosticCode {
            pub const ALL: &'static [DiagnosticCode] = &[$(DiagnosticCode::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(DiagnosticCode::$variant => $name),* }
            }

            pub fn default_severity(self) -> Severity {
                match self { $(DiagnosticCode::$variant => Severity::$severity),* }
            }

            /// One line saying what the rule checks (SARIF rule metadata, docs).
            pub fn summary(self) -> &'static str {
                match self { $(DiagnosticCode::$variant => $summary),* }
            }

            pub fn from_name(name: &str) -> Option<DiagnosticCode> {
                match name { $($name => Some(DiagnosticCode::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    UnknownSource => "unknown-source", Error, "A citation key that no source or bibliography entry has.";
    QuoteNotFound => "quote-not-found", Error, "A quotation found in no source, not even approximately.";
    QuoteMisattributed => "quote-misattributed", Error, "A quotation not in the cited source(s) but in another source.";
    QuoteInexact => "quote-inexact", Warning, "A quotation that differs from the source's wording.";
    UncitedQuote => "uncited-quote", Warning, "A quotation with no citation, found in a source.";
    UncitedClaim => "uncited-claim", Information, "A statement of fact with no citation.";
    UnsupportedClaim => "unsupported-claim", Warning, "A cited statement that the cited source does not support.";
    DuplicateKey => "duplicate-key", Warning, "Two sources or bibliography entries claim the same key.";
    MissingFile => "missing-file", Warning, "A bibliography entry or setting names a file that does not exist.";
    UnreadableFile => "unreadable-file", Warning, "A source file that cannot be read as text.";
    BibliographyError => "bibliography-error", Warning, "A bibliography entry that cannot be parsed.";
    UnclosedQuote => "unclosed-quote", Warning, "An opening quote mark with no closing mark in its paragraph.";
    UnclosedCitation => "unclosed-citation", Warning, "A citation bracket `[@key` with no `]` in its paragraph.";
    InvalidFrontmatter => "invalid-frontmatter", Warning, "A note's or source's YAML frontmatter that does not parse.";
    UnparsedMarkdown => "unparsed-markdown", Warning, "A block of a note too costly to parse as Markdown (deep nesting, long runs of marks), read as plain text.";
    OutsideWorkspace => "outside-workspace", Error, "A glob, bibliography or cache folder in the settings that points outside the workspace (refused).";
}

impl std::fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in another file that explains a diagnostic (the source passage, the other entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub path: PathBuf,
    pub range: ByteRange,
    pub message: String,
}

/// What a quick fix needs, carried with the diagnostic so that no server-side memory is needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fix", rename_all = "kebab-case")]
pub enum FixData {
    /// Replace the quotation's text (`range`, in the note) with the source's exact words.
    ReplaceQuote {
        range: ByteRange,
        replacement: String,
    },
    /// Cite `key` instead of the keys currently cited (each citation item's key range).
    ChangeCitation {
        key: String,
        key_ranges: Vec<ByteRange>,
    },
    /// Insert a citation `[@key]` at `offset` in the note.
    InsertCitation {
        key: String,
        offset: usize,
        text: String,
    },
    /// Mark a sentence as the writer's own view: insert `text` (`<!-- ibid-ignore -->`) at
    /// `offset`, right after it.
    MarkOwnView { offset: usize, text: String },
}

/// One finding, in one file, with a byte range into that file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub range: ByteRange,
    pub severity: Severity,
    pub code: DiagnosticCode,
    pub message: String,
    pub related: Vec<Related>,
    /// Quick fixes, the preferred one first.
    pub fixes: Vec<FixData>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity and nothing related.
    pub fn new(code: DiagnosticCode, path: PathBuf, range: ByteRange, message: String) -> Self {
        Diagnostic {
            path,
            range,
            severity: code.default_severity(),
            code,
            message,
            related: Vec::new(),
            fixes: Vec::new(),
        }
    }

    pub fn with_related(mut self, related: Related) -> Self {
        self.related.push(related);
        self
    }
}

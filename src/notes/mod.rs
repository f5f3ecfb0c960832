//! Annotated-Markdown notes: block structure from tree-sitter-md, then precise scanners inside prose
//! for Pandoc citations, quotations (with elisions and alterations) and the glossary (definition
//! lists). Code blocks, code spans, frontmatter, link URLs and HTML comments hold no quotation or
//! citation; `<!-- ibid-ignore -->` on the line before a block silences it.

mod attribution;
pub mod blocks;
mod chunks;
pub mod citation;
pub mod glossary;
mod mask;
pub mod quotation;
pub mod sentences;
mod syntax;

pub use citation::{Citation, CitationItem, Locator};
pub use glossary::GlossaryEntry;
pub use quotation::{Quotation, QuotationKind, QuotePiece};

use crate::ByteRange;

/// What a block of the note is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Paragraph,
    Heading(u8),
    ListItem,
    BlockQuote,
    /// A glossary definition (`: text` after a term line).
    Definition,
    Table,
}

/// A block of prose (code blocks, HTML blocks and frontmatter are not blocks here).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: BlockKind,
    pub range: ByteRange,
    /// Sentences of the block, as byte ranges (used for attribution and claims).
    pub sentences: Vec<ByteRange>,
    /// Silenced by `<!-- ibid-ignore -->` on the line before (or at its very start), or by an
    /// `<!-- ibid-ignore-start -->` … `<!-- ibid-ignore-end -->` range around it.
    pub ignored: bool,
}

/// A heading, for document symbols.
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    pub range: ByteRange,
}

/// A parsed note. Every range is a byte range into the text it was parsed from.
#[derive(Debug, Clone, Default)]
pub struct Note {
    pub frontmatter: Option<ByteRange>,
    pub blocks: Vec<Block>,
    pub headings: Vec<Heading>,
    pub citations: Vec<Citation>,
    pub quotations: Vec<Quotation>,
    pub glossary: Vec<GlossaryEntry>,
    /// Likely slips in the note's syntax (a quote mark or citation bracket never closed, a
    /// frontmatter that is not YAML), reported as diagnostics; parsing goes on around them.
    pub problems: Vec<SyntaxProblem>,
    /// The syntax outline, chunk by chunk, for re-use by the next text of the note.
    pub(crate) outline: blocks::OutlineChunks,
    /// The text with every non-prose byte blanked (see [`blocks::masked_note`]), for re-use by
    /// the next text of the note.
    pub(crate) masked: std::sync::Arc<str>,
}

/// What kind of slip a [`SyntaxProblem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxProblemKind {
    /// An opening quote mark with no closing mark in its paragraph.
    UnclosedQuote,
    /// A `[` that starts a citation (`[@key`, `[see @key`) with no `]` in its paragraph.
    UnclosedCitation,
    /// A frontmatter whose YAML does not parse.
    InvalidFrontmatter,
    /// A block tree-sitter-md gave up on (over its time budget), read as plain text.
    UnparsedMarkdown,
}

/// A likely slip in a note's syntax, with a message for the writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxProblem {
    pub kind: SyntaxProblemKind,
    /// The unclosed mark, or the frontmatter line the YAML error is on.
    pub range: ByteRange,
    pub message: String,
}

impl Note {
    /// Parses a note. Never fails: broken Markdown yields what can be recognised.
    pub fn parse(text: &str) -> Note {
        blocks::parse_note(text)
    }

    /// `parse` for a new text of a note parsed before from `old_text`: the Markdown syntax of the
    /// chunks whose text is unchanged, and the sentences of unchanged blocks, are re-used, so an
    /// edit re-parses only what it touched.
    pub fn parse_after(text: &str, old_text: &str, old: &Note) -> Note {
        blocks::parse_note_reusing(text, (old_text, old))
    }

    /// The citation whose range contains `offset`.
    pub fn citation_at(&self, offset: usize) -> Option<&Citation> {
        self.citations
            .iter()
            .find(|c| c.range.start <= offset && offset < c.range.end)
    }

    /// The innermost quotation whose range contains `offset`.
    pub fn quotation_at(&self, offset: usize) -> Option<&Quotation> {
        self.quotations
            .iter()
            .filter(|q| q.range.start <= offset && offset < q.range.end)
            .min_by_key(|q| q.range.len())
    }

    /// The block whose range contains `offset`, with its index.
    pub fn block_at(&self, offset: usize) -> Option<(usize, &Block)> {
        self.blocks
            .iter()
            .enumerate()
            .find(|(_, b)| b.range.start <= offset && offset < b.range.end)
    }

    /// The sentence (of a block) whose range contains `offset`.
    pub fn sentence_at(&self, offset: usize) -> Option<ByteRange> {
        let (_, block) = self.block_at(offset)?;
        block
            .sentences
            .iter()
            .find(|s| s.start <= offset && offset < s.end)
            .cloned()
    }

    /// The citations attributed to `quotation`.
    pub fn citations_of<'n>(
        &'n self,
        quotation: &'n Quotation,
    ) -> impl Iterator<Item = &'n Citation> {
        quotation
            .citations
            .iter()
            .filter_map(|&index| self.citations.get(index))
    }

    /// The glossary entry for `term`, by its spelling or an alias, ignoring case.
    pub fn glossary_entry(&self, term: &str) -> Option<&GlossaryEntry> {
        let wanted = term.trim().to_lowercase();
        self.glossary.iter().find(|entry| {
            entry.term.to_lowercase() == wanted
                || entry
                    .aliases
                    .iter()
                    .any(|alias| alias.to_lowercase() == wanted)
        })
    }
}

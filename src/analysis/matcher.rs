//! Finding a quotation in one source's matching key (see `corpus::normalize`): exactly (honouring
//! elisions, alterations, and paragraph breaks where PDF extraction split a sentence around page
//! furniture), else approximately by word-level alignment, with a floor so that an invented
//! sentence never anchors onto a lookalike passage.

use crate::ByteRange;

/// One element of a quotation pattern, already in matching-key form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternPiece {
    /// Words that must appear (key form: lowercase alphanumeric words, single spaces).
    Text(String),
    /// Any stretch of source text of at most `max` key bytes (elisions, alterations).
    Gap { max: usize },
}

/// The text being searched: one source's matching key and its paragraph-break offsets.
#[derive(Debug, Clone, Copy)]
pub struct Haystack<'a> {
    pub text: &'a str,
    pub breaks: &'a [u32],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    /// Every word as in the source (possibly split over page furniture).
    Exact,
    /// Exact, with elisions or alterations standing for source text.
    Elided,
    /// Found only approximately: words differ.
    Approximate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// A quotation word where the source has another.
    Substituted,
    /// A quotation word the source does not have.
    Inserted,
    /// A source word the quotation leaves out (without an elision mark).
    Omitted,
}

/// One word-level difference between quotation and source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordEdit {
    pub kind: EditKind,
    /// The quotation's word ("" when omitted).
    pub quote_word: String,
    /// The source's word ("" when inserted).
    pub source_word: String,
    /// Where the source's word is, in key offsets (for an insertion: an empty range where it would go).
    pub source_range: ByteRange,
    /// A number or a negation changed: always significant, however small the edit.
    pub critical: bool,
}

/// Where and how a quotation matched, in key offsets of the haystack.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// From the first to the last matched byte.
    pub range: ByteRange,
    /// The matched stretches (more than one when elided or split over page furniture).
    pub segments: Vec<ByteRange>,
    pub kind: MatchKind,
    /// 1.0 for exact; for approximate, the share of the quotation's words matched (0..1).
    pub score: f32,
    /// Word differences (empty unless approximate).
    pub edits: Vec<WordEdit>,
}

/// Finds `pattern` in `haystack`: exact tiers first, then approximate. `None` when no occurrence
/// clears the floor.
pub fn find_quote(pattern: &[PatternPiece], haystack: Haystack<'_>) -> Option<Alignment> {
    let _ = (pattern, haystack);
    todo!("matcher helper")
}

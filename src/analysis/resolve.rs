//! Resolving a note's quotation against the corpus: the cited source(s) first, then the rest of the
//! corpus; the outcome says where it was found and how.

use std::path::PathBuf;

use super::matcher::{MatchKind, WordEdit};
use crate::ByteRange;

/// Where a quotation was found, in the source's original text.
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteMatch {
    pub key: String,
    pub path: PathBuf,
    /// From the first to the last matched byte of the source's original text.
    pub range: ByteRange,
    /// The matched stretches of the original (several when elided).
    pub segments: Vec<ByteRange>,
    pub kind: MatchKind,
    pub score: f32,
    /// Word differences, with source ranges in original offsets.
    pub edits: Vec<WordEdit>,
}

/// What became of one quotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteStatus {
    /// Found in a cited source (exactly or elided).
    Verified,
    /// Found in a cited source only approximately.
    Inexact,
    /// Not in the cited source(s), found in another.
    Misattributed,
    /// No citation; found in a source.
    Uncited,
    /// In no source.
    NotFound,
    /// Cannot be checked: no cited source has text, or nothing to match.
    Unchecked,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuoteResolution {
    pub status: QuoteStatus,
    /// The best match (in a cited source when there is one there).
    pub found: Option<QuoteMatch>,
}

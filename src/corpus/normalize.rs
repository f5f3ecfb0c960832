//! Normalisation with an offset map. Two projections of a text, each mapping every byte back to a
//! byte range of the original:
//!
//! - `clean_text`: Markdown markup stripped (for `.md` sources), NFKC, whitespace runs (including
//!   non-breaking spaces and blank lines) collapsed to one space, line-end hyphenation joined; case
//!   and punctuation kept.
//! - the matching key (`normalize_key`, `key_of_clean`): lowercase words of alphanumeric chars
//!   separated by single spaces. Quote marks, apostrophes, hyphens, and `.`/`,` between two
//!   alphanumerics are deleted (`China's` → `chinas`, `people-to-people` → `peopletopeople`,
//!   `U.S.` → `us`, `4.2` → `42`); every other non-alphanumeric char separates words. No leading
//!   or trailing space.

use crate::ByteRange;

/// A normalised text and, for each of its bytes, where it came from in the original.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MappedText {
    pub text: String,
    /// For each byte of `text`: the original byte offset where the char it belongs to starts...
    starts: Vec<u32>,
    /// ...and ends (exclusive).
    ends: Vec<u32>,
    /// Offsets in `text` of separators that stand for a paragraph break in the original (a blank
    /// line), sorted. Quote matching may jump over page furniture at these points.
    pub breaks: Vec<u32>,
}

impl MappedText {
    /// The original byte range that `range` of the normalised text came from. An empty range maps
    /// to an empty range at the original position.
    pub fn to_original(&self, range: ByteRange) -> ByteRange {
        let _ = range;
        todo!("corpus helper")
    }

    /// The normalised offset nearest to original offset `offset` (first normalised byte whose
    /// original start is at or after it).
    pub fn from_original(&self, offset: usize) -> usize {
        let _ = offset;
        todo!("corpus helper")
    }
}

/// The clean projection of a source (see the module comment).
pub fn clean_text(original: &str, format: super::SourceFormat) -> MappedText {
    let _ = (original, format);
    todo!("corpus helper")
}

/// The matching key of a clean text, mapped to the clean text's original.
pub fn key_of_clean(clean: &MappedText) -> MappedText {
    let _ = clean;
    todo!("corpus helper")
}

/// The matching key of a plain string (a quotation's words), mapped to that string.
pub fn normalize_key(text: &str) -> MappedText {
    let _ = text;
    todo!("corpus helper")
}

//! Finding a quotation in one source's matching key (see `corpus::normalize`): exactly (honouring
//! elisions, alterations, and paragraph breaks where PDF extraction split a sentence around page
//! furniture), else approximately by word-level alignment, with a floor so that an invented
//! sentence never anchors onto a lookalike passage.

mod approximate;
mod exact;
mod words;

pub use approximate::IndexedWords;
pub(crate) use exact::MAX_SPLITS;

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

impl Haystack<'_> {
    /// The `index`'s table of the words at this haystack's paragraph breaks, when it has one
    /// (and it is this haystack's: one entry a break).
    fn words_at_breaks<'i>(
        &self,
        index: Option<&'i dyn IndexedWords>,
    ) -> Option<&'i [crate::corpus::WordsAtBreak]> {
        index
            .and_then(|index| index.words_at_breaks())
            .filter(|table| table.len() == self.breaks.len())
    }
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
///
/// Tiers, the first that succeeds wins:
/// 1. the text verbatim, starting and ending on word boundaries (`Exact`, one segment);
/// 2. the text split over paragraph breaks around page furniture (`Exact`, several segments);
/// 3. for patterns with gaps, every text in order with each gap within its bound, the tightest
///    chain (`Elided`, one or more segments per text);
/// 4. a word-level alignment clearing the floor (`Approximate`; `Exact`/`Elided` with score 1.0
///    when the only differences are extraction noise: drop caps, split or merged words).
///
/// A leading or trailing `Gap` (an alteration such as `[T]he`) frees that end of the match from
/// the word boundary.
pub fn find_quote(pattern: &[PatternPiece], haystack: Haystack<'_>) -> Option<Alignment> {
    find_quote_indexed(pattern, haystack, None)
}

/// `find_quote`, with the haystack's `index` (the same result: the approximate tier does not
/// search for runs of words where the index says they are not).
pub fn find_quote_indexed(
    pattern: &[PatternPiece],
    haystack: Haystack<'_>,
    index: Option<&dyn IndexedWords>,
) -> Option<Alignment> {
    let pattern = Pattern::new(pattern)?;
    find_exact(&pattern, haystack, index)
        .or_else(|| approximate::find_approximate(&pattern, haystack, None, index))
}

/// Tiers 1 to 3 of `find_quote` only: the occurrence with every word as in the source. With the
/// haystack's `index`, the key is read only where the index says the quotation's words may be
/// (the same result).
pub fn find_quote_exact(
    pattern: &[PatternPiece],
    haystack: Haystack<'_>,
    index: Option<&dyn IndexedWords>,
) -> Option<Alignment> {
    find_exact(&Pattern::new(pattern)?, haystack, index)
}

/// Tier 4 of `find_quote` only: for a haystack already known to hold no exact occurrence
/// (`find_quote` gives the same then). With `at_least`, only an alignment scoring that much or
/// more: the same one as without it when the best scores so (ties too), `None` otherwise. A
/// search that only needs to beat what it already holds skips every stretch that cannot. With
/// the haystack's `index`, runs of words it cannot hold side by side are not searched for (the
/// result is the same).
pub fn find_quote_approximate(
    pattern: &[PatternPiece],
    haystack: Haystack<'_>,
    at_least: Option<f32>,
    index: Option<&dyn IndexedWords>,
) -> Option<Alignment> {
    approximate::find_approximate(&Pattern::new(pattern)?, haystack, at_least, index)
}

/// `find_quote_approximate` with its fallback pass reading every window it anchors, not only
/// those where a run of matched words may hide from the trigram anchors: the same result (for
/// the tests and the fuzz checks, which compare the two).
#[doc(hidden)]
pub fn find_quote_approximate_everywhere(
    pattern: &[PatternPiece],
    haystack: Haystack<'_>,
    at_least: Option<f32>,
    index: Option<&dyn IndexedWords>,
) -> Option<Alignment> {
    approximate::find_approximate_reading(
        &Pattern::new(pattern)?,
        haystack,
        at_least,
        index,
        approximate::Fallback::Everywhere,
    )
}

/// Whether `find_quote_approximate` (with `at_least`) may find anything in a source, judged from
/// the source's index alone: `false` only when it cannot. The index must answer for the key's
/// words as the matcher splits them: runs between spaces, with each char of a script written
/// without spaces a word of its own (a `Source` marks the runs glued to such chars).
pub fn may_find_approximately(
    pattern: &[PatternPiece],
    source: &impl IndexedWords,
    at_least: Option<f32>,
) -> bool {
    Pattern::new(pattern)
        .is_some_and(|pattern| approximate::may_find_in_source(&pattern, source, at_least))
}

/// Test words that equal, split, merge and lose drop caps into one another (the approximate
/// bound's tests use them too).
#[cfg(test)]
pub(crate) fn bound_vocabulary() -> &'static [&'static str] {
    approximate::BOUND_VOCABULARY
}

fn find_exact(
    pattern: &Pattern,
    haystack: Haystack<'_>,
    index: Option<&dyn IndexedWords>,
) -> Option<Alignment> {
    let ends = exact::Ends {
        start: !pattern.loose_start,
        end: !pattern.loose_end,
    };
    let (kind, segments) = match pattern.texts.as_slice() {
        [text] => exact::find_text(haystack, text, ends, index)
            .map(|occurrence| (MatchKind::Exact, occurrence.segments)),
        _ => exact::find_elided(haystack, pattern, index)
            .map(|segments| (MatchKind::Elided, segments)),
    }?;
    let range = segments.first()?.start..segments.last()?.end;
    Some(Alignment {
        range,
        segments,
        kind,
        score: 1.0,
        edits: Vec::new(),
    })
}

/// A pattern tidied for matching: its texts (adjacent texts joined, spaces collapsed, empty ones
/// dropped) and the bound of the gap between each two.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    texts: Vec<String>,
    /// `gaps[i]` lies between `texts[i]` and `texts[i + 1]`.
    gaps: Vec<usize>,
    /// The pattern began with a gap: the match may start inside a word.
    loose_start: bool,
    /// The pattern ended with a gap: the match may end inside a word.
    loose_end: bool,
}

impl Pattern {
    /// `None` when the pattern has no words.
    fn new(pieces: &[PatternPiece]) -> Option<Pattern> {
        let mut texts: Vec<String> = Vec::new();
        let mut gaps: Vec<usize> = Vec::new();
        let mut pending_gap: Option<usize> = None;
        let mut loose_start = false;
        for piece in pieces {
            match piece {
                PatternPiece::Gap { max } => {
                    if texts.is_empty() {
                        loose_start = true;
                    } else {
                        *pending_gap.get_or_insert(0) += max;
                    }
                }
                PatternPiece::Text(text) => {
                    let words: Vec<&str> = text.split_whitespace().collect();
                    if words.is_empty() {
                        continue;
                    }
                    let words = words.join(" ");
                    match (texts.last_mut(), pending_gap.take()) {
                        (Some(last), None) => {
                            last.push(' ');
                            last.push_str(&words);
                        }
                        (_, gap) => {
                            if let Some(gap) = gap {
                                gaps.push(gap);
                            }
                            texts.push(words);
                        }
                    }
                }
            }
        }
        if texts.is_empty() {
            return None;
        }
        Some(Pattern {
            texts,
            gaps,
            loose_start,
            loose_end: pending_gap.is_some(),
        })
    }
}

#[cfg(test)]
mod tests;

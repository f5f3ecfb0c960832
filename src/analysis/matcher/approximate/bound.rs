//! An upper bound on what aligning the quotation against a window of the source can score, read
//! from which quotation words the window could match at all. A window whose bound cannot clear the
//! floor, or cannot beat the best alignment found so far, is not aligned: the bound never
//! underestimates, so skipping such a window changes no result, only the time spent.

use foldhash::{HashMap, HashMapExt};

use super::super::words::{is_concatenation, is_drop_cap_remnant};
use super::{MIN_RUN, MIN_SHARE, QuoteWord, SourceWord};

/// The quotation's words, arranged to tell quickly which of them a source word could match.
pub(super) struct QuoteVocabulary<'p> {
    /// Each distinct word → the quotation words spelled so (indices).
    by_word: HashMap<&'p str, Vec<usize>>,
    /// Two adjacent quotation words written as one (extraction merged them in the source) → the
    /// second word's index. Only pairs the alignment may merge: no gap between the two.
    by_pair: HashMap<String, Vec<usize>>,
    /// Bit `n` is set when a quotation word is `n` bytes long (bit 63: 63 or more), so that a
    /// source word split in two is only compared with the words of its joined length.
    lengths: u64,
}

fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

impl<'p> QuoteVocabulary<'p> {
    pub(super) fn new(quote: &[QuoteWord<'p>]) -> QuoteVocabulary<'p> {
        let mut by_word: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_pair: HashMap<String, Vec<usize>> = HashMap::new();
        let mut lengths = 0;
        for (i, word) in quote.iter().enumerate() {
            by_word.entry(word.text).or_default().push(i);
            lengths |= length_bit(word.text.len());
            if let Some(previous) = i.checked_sub(1).and_then(|p| quote.get(p))
                && word.gap_before.is_none()
            {
                let joined = format!("{}{}", previous.text, word.text);
                by_pair.entry(joined).or_default().push(i);
            }
        }
        QuoteVocabulary {
            by_word,
            by_pair,
            lengths,
        }
    }

    /// Whether an alignment against `source` could clear the floor and score at least `to_beat`
    /// (`None`: anything that clears the floor will do).
    ///
    /// The alignment (`align`, read back by `judge`) counts a quotation word as matched only when
    /// it equals a source word, or is a drop cap's remnant at a paragraph start, or two adjacent
    /// source words join into it, or it joins with its neighbour into one source word. A word
    /// for which the window offers none of these stays unmatched whatever the alignment.
    pub(super) fn may_score(
        &self,
        quote: &[QuoteWord<'_>],
        source: &[SourceWord<'_>],
        to_beat: Option<f32>,
    ) -> bool {
        let mut could = vec![false; quote.len()];
        let mut mark = |i: usize| {
            if let Some(slot) = could.get_mut(i) {
                *slot = true;
            }
        };
        let mut previous: Option<&SourceWord<'_>> = None;
        for word in source {
            for &i in self.by_word.get(word.text).into_iter().flatten() {
                mark(i);
            }
            for &i in self.by_pair.get(word.text).into_iter().flatten() {
                mark(i - 1);
                mark(i);
            }
            if word.paragraph_start {
                for (i, q) in quote.iter().enumerate() {
                    if is_drop_cap_remnant(q.text, word.text) {
                        mark(i);
                    }
                }
            }
            if let Some(before) = previous
                && self.lengths & length_bit(before.text.len() + word.text.len()) != 0
            {
                for (i, q) in quote.iter().enumerate() {
                    if is_concatenation(q.text, before.text, word.text) {
                        mark(i);
                    }
                }
            }
            previous = Some(word);
        }
        // The same figures as `judge`, with every word that could match taken as matched.
        let total = quote.len();
        let matched = could.iter().filter(|&&c| c).count();
        let content = quote.iter().filter(|w| w.content).count();
        let content_matched = quote
            .iter()
            .zip(&could)
            .filter(|(w, c)| w.content && **c)
            .count();
        let longest_run = could.split(|&c| !c).map(<[bool]>::len).max().unwrap_or(0);
        let score = matched as f32 / total.max(1) as f32;
        let content_share = if content == 0 {
            1.0
        } else {
            content_matched as f32 / content as f32
        };
        score >= MIN_SHARE
            && content_share >= MIN_SHARE
            && longest_run >= MIN_RUN
            && to_beat.is_none_or(|best| score >= best)
    }
}

/// What a source's word index tells of its words: it may say a word (or a pair) is there when it
/// is not, never the reverse.
pub trait IndexedWords {
    /// Whether the source may hold `word`, whole, as a word of its matching key.
    fn may_hold(&self, word: &str) -> bool;
    /// Whether the source may hold `first` right before `second`, or `first` ending a paragraph
    /// and `second` starting one.
    fn may_hold_adjacent(&self, first: &str, second: &str) -> bool;
}

/// Whether an alignment of the quotation anywhere in a source could clear the floor and score at
/// least `at_least`, from what the source's index says: `may_score` over the whole source, read
/// from the index instead of the words. The index must hold the words as the alignment splits
/// them (a key without chars of scripts written without spaces).
///
/// A quotation word counts as matched only through a source word: itself, its drop cap's
/// remnant, its two halves, or its join with a neighbour; a word none of whose forms the source
/// holds stays unmatched. Two quotation words matched one after the other (in a run, or
/// anywhere in an alignment without edits) are on source words side by side or split over a
/// paragraph break, unless a gap of the pattern lies between them; where both can only be
/// matched as themselves, the source must hold the pair.
pub(super) fn may_score_in_source(
    quote: &[QuoteWord<'_>],
    source: &impl IndexedWords,
    at_least: Option<f32>,
) -> bool {
    // Whether the source holds a form of quotation word `i` other than itself.
    let other_forms = |i: usize| -> bool {
        let Some(word) = quote.get(i) else {
            return false;
        };
        let text = word.text;
        let boundaries = || text.char_indices().map(|(at, _)| at).skip(1);
        let remnant = boundaries().take(2).any(|at| {
            text.get(at..)
                .is_some_and(|rest| is_drop_cap_remnant(text, rest) && source.may_hold(rest))
        });
        let halves = || {
            boundaries().any(|at| match (text.get(..at), text.get(at..)) {
                (Some(first), Some(second)) => source.may_hold(first) && source.may_hold(second),
                _ => false,
            })
        };
        let joined_with = |first: &str, second: &str| source.may_hold(&format!("{first}{second}"));
        let joined_before = || {
            i.checked_sub(1)
                .and_then(|p| quote.get(p))
                .is_some_and(|previous| {
                    word.gap_before.is_none() && joined_with(previous.text, text)
                })
        };
        let joined_after = || {
            quote
                .get(i + 1)
                .is_some_and(|next| next.gap_before.is_none() && joined_with(text, next.text))
        };
        remnant || halves() || joined_before() || joined_after()
    };
    let mut flexible: Vec<Option<bool>> = vec![None; quote.len()];
    let mut is_flexible = |i: usize| -> bool {
        match flexible.get(i).copied().flatten() {
            Some(known) => known,
            None => {
                let known = other_forms(i);
                if let Some(slot) = flexible.get_mut(i) {
                    *slot = Some(known);
                }
                known
            }
        }
    };
    let mut matched = 0usize;
    let mut content_matched = 0usize;
    let mut run = 0usize;
    let mut longest_run = 0usize;
    let mut previous_possible = false;
    for (i, word) in quote.iter().enumerate() {
        let possible = source.may_hold(word.text) || is_flexible(i);
        if !possible {
            run = 0;
            previous_possible = false;
            continue;
        }
        matched += 1;
        content_matched += usize::from(word.content);
        let continues = previous_possible
            && (word.gap_before.is_some()
                || quote
                    .get(i - 1)
                    .is_some_and(|previous| source.may_hold_adjacent(previous.text, word.text))
                || is_flexible(i - 1)
                || is_flexible(i));
        run = if continues { run + 1 } else { 1 };
        longest_run = longest_run.max(run);
        previous_possible = true;
    }
    let total = quote.len();
    let content = quote.iter().filter(|w| w.content).count();
    let score = matched as f32 / total.max(1) as f32;
    let content_share = if content == 0 {
        1.0
    } else {
        content_matched as f32 / content as f32
    };
    // Without edits (the only way to score 1), every word is matched one after the other.
    let whole = at_least.is_some_and(|floor| floor >= 1.0);
    score >= MIN_SHARE
        && content_share >= MIN_SHARE
        && longest_run >= MIN_RUN
        && at_least.is_none_or(|floor| score >= floor)
        && (!whole || longest_run == total)
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::super::{QuoteWord, SourceWord, align, judge};
    use super::QuoteVocabulary;
    use crate::analysis::matcher::words::is_stopword;

    /// Words that equal, split, merge and lose drop caps into one another.
    pub(crate) const VOCABULARY: &[&str] = &[
        "the",
        "tide",
        "ide",
        "ti",
        "de",
        "turned",
        "turn",
        "ed",
        "when",
        "hen",
        "delegates",
        "agreed",
        "to",
        "share",
        "data",
        "sharedata",
        "of",
        "week",
        "every",
        "everyweek",
    ];

    fn quote_words<'a>(texts: &[&'a str], gaps: &[Option<usize>]) -> Vec<QuoteWord<'a>> {
        let mut offset = 0;
        texts
            .iter()
            .enumerate()
            .map(|(i, &text)| {
                let word = QuoteWord {
                    text,
                    offset,
                    gap_before: if i == 0 {
                        None
                    } else {
                        gaps.get(i).copied().flatten()
                    },
                    content: !is_stopword(text),
                };
                offset += text.len() + 1;
                word
            })
            .collect()
    }

    fn source_words<'a>(texts: &[(&'a str, bool)]) -> Vec<SourceWord<'a>> {
        let mut offset = 0;
        texts
            .iter()
            .map(|&(text, paragraph_start)| {
                let word = SourceWord {
                    text,
                    range: offset..offset + text.len(),
                    paragraph_start,
                };
                offset += text.len() + 1;
                word
            })
            .collect()
    }

    fn word() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(VOCABULARY)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the alignment finds, the bound allowed: skipping a window the bound rules out
        /// never loses a match, nor a better one.
        #[test]
        fn the_bound_never_rules_out_what_the_alignment_finds(
            quote in proptest::collection::vec(word(), 4..12),
            gaps in proptest::collection::vec(proptest::option::weighted(0.15, 1usize..30), 12),
            source in proptest::collection::vec((word(), proptest::bool::weighted(0.2)), 0..24),
        ) {
            let quote = quote_words(&quote, &gaps);
            let source = source_words(&source);
            let vocabulary = QuoteVocabulary::new(&quote);
            let elided = quote.iter().any(|w| w.gap_before.is_some());
            let found = align(&quote, &source).and_then(|ops| judge(&ops, &quote, &source, elided));
            if let Some(alignment) = found {
                prop_assert!(vocabulary.may_score(&quote, &source, None));
                prop_assert!(vocabulary.may_score(&quote, &source, Some(alignment.score)));
            }
        }
    }

    #[test]
    fn a_window_without_enough_of_the_words_is_ruled_out() {
        let quote = quote_words(
            &["the", "tide", "turned", "when", "delegates", "agreed"],
            &[],
        );
        let vocabulary = QuoteVocabulary::new(&quote);
        let few = source_words(&[
            ("the", true),
            ("tide", false),
            ("of", false),
            ("data", false),
        ]);
        assert!(!vocabulary.may_score(&quote, &few, None));
        // Split and drop-capped words count: "t ide" at a paragraph start, "turn ed".
        let noisy = source_words(&[
            ("the", false),
            ("ide", true),
            ("turn", false),
            ("ed", false),
            ("when", false),
            ("delegates", false),
        ]);
        assert!(vocabulary.may_score(&quote, &noisy, None));
        assert!(vocabulary.may_score(&quote, &noisy, Some(5.0 / 6.0)));
        // ... but five of six words cannot beat a perfect score.
        assert!(!vocabulary.may_score(&quote, &noisy, Some(1.0)));
    }
}

//! An upper bound on what aligning the quotation against a window of the source can score, read
//! from which quotation words the window could match at all. A window whose bound cannot clear the
//! floor, or cannot beat the best alignment found so far, is not aligned: the bound never
//! underestimates, so skipping such a window changes no result, only the time spent.

use foldhash::{HashMap, HashMapExt};

use super::super::words::{is_concatenation, is_drop_cap_remnant};
use super::{MIN_RUN, MIN_SHARE, NOT_QUOTED, QuoteWord, SourceWord};

/// The quotation's words, arranged to tell quickly which of them a source word could match.
pub(super) struct QuoteVocabulary<'p> {
    /// Each distinct word → its id (`QuoteWord::id`).
    ids: HashMap<&'p str, u32>,
    /// By id: the quotation words spelled so (indices; empty at an index no id has).
    spelled: Vec<Vec<usize>>,
    /// Two adjacent quotation words written as one (extraction merged them in the source) → the
    /// second word's index. Only pairs the alignment may merge: no gap between the two.
    by_pair: HashMap<String, Vec<usize>>,
    /// Bit `n` is set when a key of `by_pair` is `n` bytes long (bit 63: 63 or more).
    pair_lengths: u64,
    /// Bit `n` is set when a quotation word is `n` bytes long (bit 63: 63 or more), so that a
    /// source word split in two is only compared with the words of its joined length...
    lengths: u64,
    /// ... which are these (at `n`; at 63, every word of 63 bytes or more).
    of_length: Vec<Vec<usize>>,
    /// The signatures of the quotation's words, and of the keys of `by_pair`: most source words
    /// are told apart from every one of them without hashing them (most have the length of one).
    word_signatures: Signatures,
    pair_signatures: Signatures,
    /// The quotation's words as bits, for `WordsInOrder` (quotations of up to 128 words).
    bits: Option<QuoteBits>,
}

/// A quotation's words as bits (bit `i` for word `i`).
struct QuoteBits {
    /// By id: the words spelled so.
    spelled: Vec<u128>,
    /// Its content words.
    content: u128,
}

/// How many of the quotation's words, and of its content words, a window holds in the
/// quotation's order at most: the longest common subsequence of the two, computed a window word
/// at a time over bits (Hyyrö's bit-parallel algorithm), one machine word per quotation.
///
/// Every word an alignment matches as itself (`Step::Match`) is on a window word after the one
/// the previous such word is on: these words are a common subsequence of the quotation and the
/// window.
struct WordsInOrder {
    /// Bit `i` is clear once quotation word `i` ends a common subsequence (the low `len` bits).
    all: u128,
    content: u128,
}

impl WordsInOrder {
    fn new() -> WordsInOrder {
        WordsInOrder {
            all: u128::MAX,
            content: u128::MAX,
        }
    }

    /// Reads one window word, spelled as the quotation words of `spelled` (bits) are; `content`
    /// is the bits of the quotation's content words.
    fn read(&mut self, spelled: u128, content: u128) {
        let step = |v: u128, matches: u128| {
            let u = v & matches;
            v.wrapping_add(u) | v.wrapping_sub(u)
        };
        self.all = step(self.all, spelled);
        self.content = step(self.content, spelled & content);
    }

    /// The longest common subsequences' lengths: of all `len` quotation words, of its content
    /// words.
    fn lengths(&self, len: usize) -> (usize, usize) {
        let low = if len >= 128 {
            u128::MAX
        } else {
            (1u128 << len) - 1
        };
        let held = |v: u128| (!v & low).count_ones() as usize;
        (held(self.all), held(self.content))
    }
}

fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

/// A set of words' signatures (length, first and last byte, mixed into 8 bits): a word whose
/// signature is not in the set is none of the words put in; one whose signature is may be.
#[derive(Debug, Default, Clone, Copy)]
struct Signatures([u64; 4]);

impl Signatures {
    /// Where `word`'s signature sits: its word of the set, and its bit there.
    fn slot(word: &str) -> (usize, u64) {
        let bytes = word.as_bytes();
        let first = u32::from(bytes.first().copied().unwrap_or(0));
        let last = u32::from(bytes.last().copied().unwrap_or(0));
        let mixed = (word.len() as u32 ^ first << 8 ^ last << 16).wrapping_mul(0x9e37_79b9);
        let signature = mixed >> 24;
        ((signature >> 6) as usize, 1 << (signature & 63))
    }

    fn insert(&mut self, word: &str) {
        let (at, bit) = Self::slot(word);
        if let Some(bits) = self.0.get_mut(at) {
            *bits |= bit;
        }
    }

    fn may_hold(&self, word: &str) -> bool {
        let (at, bit) = Self::slot(word);
        self.0.get(at).is_some_and(|bits| bits & bit != 0)
    }
}

impl<'p> QuoteVocabulary<'p> {
    /// The vocabulary of `quote`, whose words carry their ids (`spelling_ids`).
    pub(super) fn new(quote: &[QuoteWord<'p>]) -> QuoteVocabulary<'p> {
        let mut ids: HashMap<&str, u32> = HashMap::new();
        let mut spelled: Vec<Vec<usize>> = vec![Vec::new(); quote.len()];
        let mut by_pair: HashMap<String, Vec<usize>> = HashMap::new();
        let mut pair_lengths = 0;
        let mut lengths = 0;
        let mut of_length: Vec<Vec<usize>> = vec![Vec::new(); 64];
        let mut word_signatures = Signatures::default();
        let mut pair_signatures = Signatures::default();
        let mut bits = (quote.len() <= 128).then(|| QuoteBits {
            spelled: vec![0; quote.len()],
            content: 0,
        });
        for (i, word) in quote.iter().enumerate() {
            if let Some(bits) = &mut bits
                && let Some(spelled) = bits.spelled.get_mut(word.id as usize)
            {
                *spelled |= 1 << i;
                if word.content {
                    bits.content |= 1 << i;
                }
            }
            ids.insert(word.text, word.id);
            word_signatures.insert(word.text);
            if let Some(same) = spelled.get_mut(word.id as usize) {
                same.push(i);
            }
            lengths |= length_bit(word.text.len());
            if let Some(long) = of_length.get_mut(word.text.len().min(63)) {
                long.push(i);
            }
            if let Some(previous) = i.checked_sub(1).and_then(|p| quote.get(p))
                && word.gap_before.is_none()
            {
                let joined = format!("{}{}", previous.text, word.text);
                pair_lengths |= length_bit(joined.len());
                pair_signatures.insert(&joined);
                by_pair.entry(joined).or_default().push(i);
            }
        }
        QuoteVocabulary {
            ids,
            spelled,
            by_pair,
            pair_lengths,
            lengths,
            of_length,
            word_signatures,
            pair_signatures,
            bits,
        }
    }

    /// The id of the quotation words spelled `text`; `NOT_QUOTED` when none is. Inlined: called
    /// for every word of every window read, most of them told apart by the first test.
    #[inline(always)]
    pub(super) fn id_of(&self, text: &str) -> u32 {
        if self.lengths & length_bit(text.len()) == 0 || !self.word_signatures.may_hold(text) {
            return NOT_QUOTED;
        }
        self.ids.get(text).copied().unwrap_or(NOT_QUOTED)
    }

    /// Whether an alignment against `source` could clear the floor and score at least `to_beat`
    /// (`None`: anything that clears the floor will do).
    ///
    /// The alignment (`align`, read back by `judge`) counts a quotation word as matched only when
    /// it equals a source word, or is a drop cap's remnant at a paragraph start, or two adjacent
    /// source words join into it, or it joins with its neighbour into one source word. A word
    /// for which the window offers none of these stays unmatched whatever the alignment. And the
    /// words it matches as themselves come in the quotation's order (`WordsInOrder`): it matches
    /// no more words than those plus the words the window offers another form of.
    pub(super) fn may_score(
        &self,
        quote: &[QuoteWord<'_>],
        source: &[SourceWord<'_>],
        to_beat: Option<f32>,
    ) -> bool {
        // By quotation word: whether the window offers it as itself (`AS_ITSELF`), in another
        // form the alignment takes as noise (`OTHER_FORM`), or both.
        let mut offered = vec![0u8; quote.len()];
        let mut mark = |i: usize, form: u8| {
            if let Some(slot) = offered.get_mut(i) {
                *slot |= form;
            }
        };
        let mut in_order = self.bits.as_ref().map(|bits| (bits, WordsInOrder::new()));
        let mut previous: Option<&SourceWord<'_>> = None;
        for word in source {
            if let Some((bits, in_order)) = &mut in_order
                && let Some(&spelled) = bits.spelled.get(word.id as usize)
            {
                in_order.read(spelled, bits.content);
            }
            for &i in self.spelled.get(word.id as usize).into_iter().flatten() {
                mark(i, AS_ITSELF);
            }
            if self.pair_lengths & length_bit(word.text.len()) != 0
                && self.pair_signatures.may_hold(word.text)
            {
                for &i in self.by_pair.get(word.text).into_iter().flatten() {
                    mark(i - 1, OTHER_FORM);
                    mark(i, OTHER_FORM);
                }
            }
            if word.paragraph_start {
                for (i, q) in quote.iter().enumerate() {
                    if is_drop_cap_remnant(q.text, word.text) {
                        mark(i, OTHER_FORM);
                    }
                }
            }
            if let Some(before) = previous {
                let joined = before.text.len() + word.text.len();
                if self.lengths & length_bit(joined) != 0 {
                    for &i in self.of_length.get(joined.min(63)).into_iter().flatten() {
                        if quote
                            .get(i)
                            .is_some_and(|q| is_concatenation(q.text, before.text, word.text))
                        {
                            mark(i, OTHER_FORM);
                        }
                    }
                }
            }
            previous = Some(word);
        }
        let in_order = in_order
            .as_ref()
            .map(|(_, in_order)| in_order.lengths(quote.len()));
        may_clear(quote, &offered, in_order, to_beat)
    }
}

/// By quotation word, in `may_score` and `may_clear`: the window offers the word as itself.
pub(super) const AS_ITSELF: u8 = 1;
/// ... or in another form the alignment takes as noise (a drop cap's remnant, its halves, its
/// join with a neighbour).
pub(super) const OTHER_FORM: u8 = 2;

/// Whether an alignment matching at most the quotation words `offered` says (`AS_ITSELF`,
/// `OTHER_FORM`, by word), and at most `in_order` of them (all, content words) as themselves,
/// could clear the floor and score at least `to_beat`: the same figures as `judge`, with every
/// word that could match taken as matched. More words offered, or no `in_order`, never turns a
/// yes into a no.
pub(super) fn may_clear(
    quote: &[QuoteWord<'_>],
    offered: &[u8],
    in_order: Option<(usize, usize)>,
    to_beat: Option<f32>,
) -> bool {
    let total = quote.len();
    let count = |form: u8, content_only: bool| {
        quote
            .iter()
            .zip(offered)
            .filter(|(w, o)| **o & form != 0 && (w.content || !content_only))
            .count()
    };
    let mut matched = count(AS_ITSELF | OTHER_FORM, false);
    let content = quote.iter().filter(|w| w.content).count();
    let mut content_matched = count(AS_ITSELF | OTHER_FORM, true);
    if let Some((in_order, content_in_order)) = in_order {
        matched = matched.min(in_order + count(OTHER_FORM, false));
        content_matched = content_matched.min(content_in_order + count(OTHER_FORM, true));
    }
    let longest_run = offered
        .split(|&o| o == 0)
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
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

/// Whether `source` may hold quotation word `i` in a form the alignment takes as noise
/// (`OTHER_FORM`): a drop cap's remnant of it, its two halves, or its join with the word before
/// or after it (no gap between), as the source's index tells: never false where it holds one.
pub(super) fn may_hold_other_form(
    quote: &[QuoteWord<'_>],
    i: usize,
    source: &(impl IndexedWords + ?Sized),
) -> bool {
    let Some(word) = quote.get(i) else {
        return false;
    };
    let text = word.text;
    let boundaries = || text.char_indices().map(|(at, _)| at).skip(1);
    // A remnant starts a paragraph; halves are side by side.
    let remnant = boundaries().take(2).any(|at| {
        text.get(at..).is_some_and(|rest| {
            is_drop_cap_remnant(text, rest)
                && source.may_hold(rest)
                && source.may_start_paragraph(rest)
        })
    });
    let halves = || {
        boundaries().any(|at| match (text.get(..at), text.get(at..)) {
            (Some(first), Some(second)) => {
                source.may_hold(first)
                    && source.may_hold(second)
                    && source.may_hold_side_by_side(first, second)
            }
            _ => false,
        })
    };
    let joined_with = |first: &str, second: &str| source.may_hold(&format!("{first}{second}"));
    let joined_before = || {
        i.checked_sub(1)
            .and_then(|p| quote.get(p))
            .is_some_and(|previous| word.gap_before.is_none() && joined_with(previous.text, text))
    };
    let joined_after = || {
        quote
            .get(i + 1)
            .is_some_and(|next| next.gap_before.is_none() && joined_with(text, next.text))
    };
    remnant || halves() || joined_before() || joined_after()
}

/// What a source's word index tells of its words: it may say a word (or a pair) is there when it
/// is not, never the reverse.
pub trait IndexedWords {
    /// Whether the source may hold `word`, whole, as a word of its matching key.
    fn may_hold(&self, word: &str) -> bool;
    /// Whether the source may hold `first` right before `second`, or `first` ending a paragraph
    /// and `second` starting one.
    fn may_hold_adjacent(&self, first: &str, second: &str) -> bool;
    /// Whether the source may hold `first` right before `second`, a paragraph break between
    /// them or not (not across page furniture).
    fn may_hold_side_by_side(&self, first: &str, second: &str) -> bool;
    /// Whether the source may hold `word` as the first word of a paragraph (or of the whole
    /// source). `may_hold` (the default): the index cannot tell more.
    fn may_start_paragraph(&self, word: &str) -> bool {
        self.may_hold(word)
    }
    /// Whether a run of words may be broken between `first` and `second` otherwise than with
    /// them side by side: `first` ending a paragraph and `second` starting one at most `reach`
    /// bytes after that break (page furniture jumped), or either of them inside a word holding
    /// wider chars. `true` (the default): the index cannot tell.
    fn may_break_between(&self, _first: &str, _second: &str, _reach: usize) -> bool {
        true
    }
    /// Where in the source's matching key `words` may start one space apart, ascending: never
    /// leaving out a place where they are. `None` (the default): anywhere.
    fn where_run_may_start(&self, _words: &[&str]) -> Option<Vec<usize>> {
        None
    }
    /// Where `word` starts in the source's matching key, ascending, whole or inside a word
    /// holding chars of a script written without spaces (never leaving out a place where it
    /// is); `None` (the default): the index cannot tell.
    fn places_of_word(&self, _word: &str) -> Option<&[u32]> {
        None
    }
    /// The words at each paragraph break of the source's matching key, in order; `None` (the
    /// default): the key is read at each break.
    fn words_at_breaks(&self) -> Option<&[crate::corpus::WordsAtBreak]> {
        None
    }
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
    let other_forms = |i: usize| may_hold_other_form(quote, i, source);
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

    use super::super::{NOT_QUOTED, QuoteWord, SourceWord, align, judge, spelling_ids};
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
        let mut words: Vec<QuoteWord<'a>> = texts
            .iter()
            .enumerate()
            .map(|(i, &text)| {
                let word = QuoteWord {
                    text,
                    id: NOT_QUOTED,
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
            .collect();
        spelling_ids(&mut words);
        words
    }

    fn source_words<'a>(
        vocabulary: &QuoteVocabulary<'_>,
        texts: &[(&'a str, bool)],
    ) -> Vec<SourceWord<'a>> {
        let mut offset = 0;
        texts
            .iter()
            .map(|&(text, paragraph_start)| {
                let word = SourceWord {
                    text,
                    id: vocabulary.id_of(text),
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
            let vocabulary = QuoteVocabulary::new(&quote);
            let source = source_words(&vocabulary, &source);
            let elided = quote.iter().any(|w| w.gap_before.is_some());
            let found = align(&quote, &source).and_then(|ops| judge(&ops, &quote, &source, elided));
            if let Some(alignment) = found {
                prop_assert!(vocabulary.may_score(&quote, &source, None));
                prop_assert!(vocabulary.may_score(&quote, &source, Some(alignment.score)));
            }
        }
    }

    #[test]
    fn signatures_hold_every_word_put_in_and_rule_out_most_others() {
        let mut signatures = super::Signatures::default();
        let (put, others) = VOCABULARY.split_at(VOCABULARY.len() / 2);
        for word in put {
            signatures.insert(word);
        }
        assert!(put.iter().all(|word| signatures.may_hold(word)));
        let ruled_out = others.iter().filter(|w| !signatures.may_hold(w)).count();
        assert!(
            ruled_out > others.len() / 2,
            "{ruled_out} of {}",
            others.len()
        );
    }

    /// The longest common subsequence's length, by dynamic programming: the reference.
    fn common_subsequence(quote: &[u32], window: &[u32]) -> usize {
        let mut row = vec![0usize; window.len() + 1];
        for &q in quote {
            let mut diagonal = 0;
            for (j, &w) in window.iter().enumerate() {
                let above = row[j + 1];
                row[j + 1] = if q == w {
                    diagonal + 1
                } else {
                    above.max(row[j])
                };
                diagonal = above;
            }
        }
        row[window.len()]
    }

    proptest! {
        /// The words a window holds in order, read over bits, are the longest common
        /// subsequence, of all words and of content words (repeated words too, and quotations
        /// past 64 words).
        #[test]
        fn words_in_order_are_the_longest_common_subsequence(
            quote in proptest::collection::vec((0u32..6, proptest::bool::ANY), 1..130),
            window in proptest::collection::vec(0u32..8, 0..60),
        ) {
            let mut in_order = super::WordsInOrder::new();
            let mut content_bits = 0u128;
            for (i, &(_, content)) in quote.iter().enumerate() {
                if content && i < 128 {
                    content_bits |= 1 << i;
                }
            }
            let quote = &quote[..quote.len().min(128)];
            for &w in &window {
                let spelled = quote
                    .iter()
                    .enumerate()
                    .filter(|(_, (q, _))| *q == w)
                    .fold(0u128, |bits, (i, _)| bits | 1 << i);
                in_order.read(spelled, content_bits);
            }
            let all: Vec<u32> = quote.iter().map(|&(q, _)| q).collect();
            // Content words only: the others never match.
            let content: Vec<u32> = quote
                .iter()
                .map(|&(q, content)| if content { q } else { u32::MAX })
                .collect();
            prop_assert_eq!(
                in_order.lengths(quote.len()),
                (common_subsequence(&all, &window), common_subsequence(&content, &window))
            );
        }
    }

    #[test]
    fn a_window_without_enough_of_the_words_is_ruled_out() {
        let quote = quote_words(
            &["the", "tide", "turned", "when", "delegates", "agreed"],
            &[],
        );
        let vocabulary = QuoteVocabulary::new(&quote);
        let few = source_words(
            &vocabulary,
            &[
                ("the", true),
                ("tide", false),
                ("of", false),
                ("data", false),
            ],
        );
        assert!(!vocabulary.may_score(&quote, &few, None));
        // Split and drop-capped words count: "t ide" at a paragraph start, "turn ed".
        let noisy = source_words(
            &vocabulary,
            &[
                ("the", false),
                ("ide", true),
                ("turn", false),
                ("ed", false),
                ("when", false),
                ("delegates", false),
            ],
        );
        assert!(vocabulary.may_score(&quote, &noisy, None));
        assert!(vocabulary.may_score(&quote, &noisy, Some(5.0 / 6.0)));
        // ... but five of six words cannot beat a perfect score.
        assert!(!vocabulary.may_score(&quote, &noisy, Some(1.0)));
        // Every word there, but out of order: three of six in order at most ("the tide
        // turned"), below the floor.
        let plain = |text: &'static str| -> Vec<(&'static str, bool)> {
            text.split(' ').map(|word| (word, false)).collect()
        };
        let shuffled = source_words(&vocabulary, &plain("agreed delegates when the tide turned"));
        assert!(!vocabulary.may_score(&quote, &shuffled, None));
        // Five of six in order.
        let in_order = source_words(&vocabulary, &plain("the tide turned agreed when delegates"));
        assert!(vocabulary.may_score(&quote, &in_order, None));
    }
}

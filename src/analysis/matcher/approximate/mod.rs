//! The approximate tier: word-level alignment of the quotation against the stretches of the source
//! where three of its consecutive words occur verbatim (every match that clears the floor has
//! such a run, so these anchors miss nothing), then a floor so that an invented sentence sharing a
//! few common words with the source is not taken for a misquotation of it.

mod bound;
mod hidden;

use std::ops::Range;

pub use bound::IndexedWords;
use bound::QuoteVocabulary;
#[cfg(test)]
pub(crate) use bound::tests::VOCABULARY as BOUND_VOCABULARY;

use super::exact::JUNK_MAX_BYTES;
use super::words::{
    is_boundary, is_concatenation, is_critical_change, is_drop_cap_remnant, is_stopword,
    word_ranges,
};
use super::{Alignment, EditKind, Haystack, MatchKind, Pattern, WordEdit};
use crate::ByteRange;

/// Quotations with fewer words are matched exactly or not at all.
pub(super) const MIN_WORDS: usize = 4;
/// Share of the quotation's words, and of its content words, that must match.
const MIN_SHARE: f32 = 0.6;
/// Consecutive quotation words that must match somewhere.
const MIN_RUN: usize = 3;
/// N-grams searched at most (the longest first).
const MAX_NGRAMS: usize = 48;
/// Anchor clusters examined at most (the densest first): for trigram anchors, and for the
/// fallback on pairs of content words (only needed when extraction noise breaks every trigram).
const MAX_CANDIDATES: usize = 400;
const MAX_PAIR_CANDIDATES: usize = 64;
/// Alignment table cells computed at most for one quotation in one source (a safety net for long
/// quotations made of common phrases).
const MAX_CELLS: usize = 4_000_000;

/// One word of the quotation.
#[derive(Debug)]
struct QuoteWord<'p> {
    text: &'p str,
    /// The index of the first quotation word spelled so (`spelling_ids`): two words are spelled
    /// alike exactly when their ids are equal.
    id: u32,
    /// Byte offset in the quotation's texts joined by single spaces.
    offset: usize,
    /// Key bytes the source may skip before this word (an elision or alteration), if any.
    gap_before: Option<usize>,
    content: bool,
}

/// One word of the source window.
#[derive(Debug)]
struct SourceWord<'h> {
    text: &'h str,
    /// The id of the quotation words spelled so (`QuoteWord::id`); `NOT_QUOTED` when none is.
    id: u32,
    range: ByteRange,
    /// First word of a paragraph (where a drop cap may have lost its letter).
    paragraph_start: bool,
}

/// `SourceWord::id` of a word the quotation does not have.
const NOT_QUOTED: u32 = u32::MAX;

fn quote_words(pattern: &Pattern) -> Vec<QuoteWord<'_>> {
    let mut words = Vec::new();
    let mut offset = 0;
    for (i, text) in pattern.texts.iter().enumerate() {
        for (n, range) in word_ranges(text, 0..text.len()).into_iter().enumerate() {
            let gap_before = if n == 0 && i > 0 {
                pattern.gaps.get(i - 1).copied()
            } else {
                None
            };
            let word = text.get(range.clone()).unwrap_or("");
            words.push(QuoteWord {
                text: word,
                id: NOT_QUOTED,
                offset: offset + range.start,
                gap_before,
                content: !is_stopword(word),
            });
        }
        offset += text.len() + 1;
    }
    spelling_ids(&mut words);
    words
}

/// Gives each quotation word its `id`: the index of the first word spelled as it is.
fn spelling_ids(words: &mut [QuoteWord<'_>]) {
    let mut first: foldhash::HashMap<&str, u32> = foldhash::HashMap::default();
    for (i, word) in words.iter_mut().enumerate() {
        let index = u32::try_from(i).unwrap_or(NOT_QUOTED);
        word.id = *first.entry(word.text).or_insert(index);
    }
}

/// A verbatim occurrence of consecutive quotation words (an n-gram).
#[derive(Debug, Clone, Copy)]
struct Anchor {
    /// Where the quotation would start if the anchor is where it says.
    quote_start: usize,
    position: usize,
    trigram: usize,
}

/// The quotation's `n`-grams of words within one text (a gap breaks contiguity), as it spells
/// them, each with the index of its first word (in `words`, the pattern's `quote_words`).
fn ngrams<'p>(pattern: &'p Pattern, words: &[QuoteWord<'_>], n: usize) -> Vec<(&'p str, usize)> {
    let mut grams = Vec::new();
    let mut base = 0;
    for text in &pattern.texts {
        let ranges = word_ranges(text, 0..text.len());
        let count_before = words.iter().take_while(|w| w.offset < base).count();
        for (index, window) in ranges.windows(n).enumerate() {
            if let (Some(first), Some(last)) = (window.first(), window.last())
                && let Some(gram) = text.get(first.start..last.end)
            {
                grams.push((gram, count_before + index));
            }
        }
        base += text.len() + 1;
    }
    grams
}

/// Whether the source's index and a few runs of three words tell that no alignment scoring 1
/// (every quotation word matched, without an edit) is in the source. Such an alignment matches
/// a word that has no other form in the source (no drop cap's remnant, halves or join with a
/// neighbour: `bound::may_hold_other_form`) as itself, on the source word right after the one
/// its predecessor is on, unless page furniture is jumped between the two: the first ending a
/// paragraph, the second starting one within `JUNK_MAX_BYTES`, which the words at the source's
/// paragraph breaks tell (`IndexedWords::may_break_between`). So three such words in a row
/// that cannot be broken so, and that are nowhere verbatim, rule it out. The runs are read
/// rarest first (by their words' places, when the source lists them), at most
/// `WHOLE_RUNS_READ` of them: a source holding the quotation word for word would have them
/// all read again by the search.
fn whole_match_ruled_out(
    pattern: &Pattern,
    words: &[QuoteWord<'_>],
    haystack: Haystack<'_>,
    index: &dyn IndexedWords,
) -> bool {
    let fixed: Vec<bool> = (0..words.len())
        .map(|i| !bound::may_hold_other_form(words, i, index))
        .collect();
    // Whether each word starts a pair of fixed words side by side in a text that the index
    // says no run breaks between (a word with chars from U+0E00 up may be split otherwise than at
    // spaces: the index says a run may break next to it).
    let mut unbroken = vec![false; words.len()];
    for (_, first) in ngrams(pattern, words, 2) {
        if let (Some(a), Some(b), Some(slot)) = (
            words.get(first),
            words.get(first + 1),
            unbroken.get_mut(first),
        ) {
            *slot = fixed.get(first..first + 2) == Some(&[true, true])
                && !index.may_break_between(a.text, b.text, JUNK_MAX_BYTES);
        }
    }
    let unbroken_at = |i: usize| unbroken.get(i).copied().unwrap_or(false);
    let rarity = |word: &QuoteWord<'_>| {
        index
            .places_of_word(word.text)
            .map_or(usize::MAX, <[u32]>::len)
    };
    let mut runs: Vec<(usize, &str)> = ngrams(pattern, words, MIN_RUN)
        .into_iter()
        .filter(|&(_, first)| unbroken_at(first) && unbroken_at(first + 1))
        .map(|(gram, first)| {
            let rarest = words
                .get(first..first + MIN_RUN)
                .and_then(|run| run.iter().map(rarity).min())
                .unwrap_or(usize::MAX);
            (rarest, gram)
        })
        .collect();
    runs.sort_unstable();
    runs.dedup_by_key(|&mut (_, gram)| gram);
    runs.iter()
        .take(WHOLE_RUNS_READ)
        .any(|&(_, gram)| occurrences_of_run(haystack.text, gram, Some(index)).is_empty())
}

/// Runs of three words `whole_match_ruled_out` reads at most.
const WHOLE_RUNS_READ: usize = 6;

/// Occurrences of the quotation's `n`-grams of words (`content_only`: only n-grams of content
/// words) in the source, at word boundaries.
fn anchors(
    pattern: &Pattern,
    words: &[QuoteWord<'_>],
    haystack: Haystack<'_>,
    index: Option<&dyn IndexedWords>,
    n: usize,
    content_only: bool,
) -> Vec<Anchor> {
    let (trigrams, first_word): (Vec<&str>, Vec<usize>) = ngrams(pattern, words, n)
        .into_iter()
        .filter(|&(_, first)| {
            !content_only
                || words
                    .get(first..first + n)
                    .is_some_and(|ws| ws.iter().all(|w| w.content))
        })
        .unzip();
    // Long quotations: the longest n-grams (the rarest, as a rule) are enough to find them.
    let mut order: Vec<usize> = (0..trigrams.len()).collect();
    order.sort_by_key(|&t| std::cmp::Reverse(trigrams.get(t).map_or(0, |g| g.len())));
    let mut searched: Vec<&str> = Vec::new();
    let mut found = Vec::new();
    for t in order {
        let Some(&gram) = trigrams.get(t) else {
            continue;
        };
        if searched.contains(&gram) {
            continue;
        }
        if searched.len() >= MAX_NGRAMS {
            break;
        }
        searched.push(gram);
        let first = first_word.get(t).copied().unwrap_or(0);
        // Words the index cannot hold side by side are not there in a row: nothing to find (the
        // n-gram still counts as searched, so that the same n-grams are searched either way).
        let run = words.get(first..first + n).unwrap_or_default();
        if let Some(index) = index
            && !run
                .windows(2)
                .all(|pair| index.may_hold_adjacent(pair[0].text, pair[1].text))
        {
            continue;
        }
        let offset = words.get(first).map_or(0, |w| w.offset);
        for position in occurrences_of_run(haystack.text, gram, index) {
            found.push(Anchor {
                quote_start: position.saturating_sub(offset),
                position,
                trigram: t,
            });
        }
    }
    found
}

/// Where `needle` starts in `key`, starting and ending at word boundaries, overlapping
/// occurrences included; read only where the `index` says its words may be, when it can tell
/// (a large source searched often): the same places (`exact::verbatim`).
pub(super) fn occurrences_of_run(
    key: &str,
    needle: &str,
    index: Option<&dyn IndexedWords>,
) -> Vec<usize> {
    let ends = super::exact::Ends {
        start: true,
        end: true,
    };
    super::exact::verbatim(key, needle, ends, index)
        .map(|range| range.start)
        .collect()
}

/// Stretches of the source worth aligning: anchors grouped by where they place the quotation.
fn candidate_windows(
    mut anchors: Vec<Anchor>,
    span: usize,
    breaks: &[u32],
    key_len: usize,
    max_candidates: usize,
) -> Vec<Range<usize>> {
    anchors.sort_by_key(|a| (a.quote_start, a.position));
    let mut clusters: Vec<(usize, Range<usize>)> = Vec::new();
    let mut i = 0;
    while let Some(first) = anchors.get(i) {
        let mut distinct: Vec<usize> = Vec::new();
        let mut lowest = first.position;
        let mut highest = first.position;
        let mut j = i;
        while let Some(a) = anchors.get(j) {
            if a.quote_start > first.quote_start + span {
                break;
            }
            if !distinct.contains(&a.trigram) {
                distinct.push(a.trigram);
            }
            lowest = lowest.min(a.position);
            highest = highest.max(a.position);
            j += 1;
        }
        let mut start = first.quote_start.min(lowest).saturating_sub(span / 2 + 16);
        let mut end = (highest + span + span / 2 + 16).min(key_len);
        // A paragraph break inside: the quotation may jump page furniture there.
        let first_break = breaks.partition_point(|&b| (b as usize) < start);
        if breaks.get(first_break).is_some_and(|&b| (b as usize) < end) {
            start = start.saturating_sub(JUNK_MAX_BYTES);
            end = (end + JUNK_MAX_BYTES).min(key_len);
        }
        clusters.push((distinct.len(), start..end));
        i = j;
    }
    // The densest clusters first; ties in source order.
    clusters.sort_by_key(|(distinct, window)| (std::cmp::Reverse(*distinct), window.start));
    clusters.truncate(max_candidates);
    clusters.into_iter().map(|(_, window)| window).collect()
}

/// `window` widened to whole words of `key`.
fn widened(key: &str, window: &Range<usize>) -> Range<usize> {
    let mut start = window.start.min(key.len());
    while start > 0 && !is_boundary(key, start) {
        start -= 1;
    }
    let mut end = window.end.min(key.len());
    while end < key.len() && !is_boundary(key, end) {
        end += 1;
    }
    start..end
}

/// The words `push_source_words` pushes, as a list of their own (windows read alone).
#[cfg(test)]
fn source_words<'h>(
    haystack: Haystack<'h>,
    range: Range<usize>,
    vocabulary: &QuoteVocabulary<'_>,
) -> Vec<SourceWord<'h>> {
    let mut words = Vec::new();
    push_source_words(haystack, range, vocabulary, &mut words);
    words
}

/// Pushes onto `words` the words of `haystack` in `range` (which starts and ends at word
/// boundaries), each with the id of the quotation words spelled so.
fn push_source_words<'h>(
    haystack: Haystack<'h>,
    range: Range<usize>,
    vocabulary: &QuoteVocabulary<'_>,
    words: &mut Vec<SourceWord<'h>>,
) {
    let key = haystack.text;
    // The breaks from the one right before the range on, passed in step with the words (both
    // ascending): a word starts a paragraph when a break sits right before it.
    let from = haystack
        .breaks
        .partition_point(|&b| (b as usize) < range.start.saturating_sub(1));
    let mut breaks = haystack.breaks.get(from..).unwrap_or_default().iter();
    let mut next_break = breaks.next();
    let ranges = word_ranges(key, range);
    words.reserve(ranges.len());
    words.extend(ranges.into_iter().map(|range| {
        let before = range.start.checked_sub(1);
        while let (Some(&b), Some(before)) = (next_break, before)
            && (b as usize) < before
        {
            next_break = breaks.next();
        }
        let paragraph_start =
            before.is_none_or(|before| next_break.is_some_and(|&b| b as usize == before));
        let text = key.get(range.clone()).unwrap_or("");
        SourceWord {
            text,
            id: vocabulary.id_of(text),
            range,
            paragraph_start,
        }
    }));
}

/// The words of each of a source's candidate windows (widened to whole words), read once where
/// windows overlap: overlapping windows are joined into one stretch, whose words each window
/// takes a run of. (Words never straddle a boundary, so a window's run is what reading it
/// alone gives.)
struct WindowWords<'h> {
    words: Vec<SourceWord<'h>>,
    /// Each window's run of `words`.
    runs: Vec<Range<usize>>,
}

impl<'h> WindowWords<'h> {
    fn new(
        haystack: Haystack<'h>,
        windows: &[Range<usize>],
        vocabulary: &QuoteVocabulary<'_>,
    ) -> WindowWords<'h> {
        let widened: Vec<Range<usize>> = windows
            .iter()
            .map(|window| widened(haystack.text, window))
            .collect();
        let mut order: Vec<usize> = (0..widened.len()).collect();
        order.sort_by_key(|&i| widened.get(i).map_or(0, |w| w.start));
        // The stretches (overlapping windows joined), each with its windows, in text order.
        let mut stretches: Vec<(Range<usize>, Range<usize>)> = Vec::new();
        let mut next = order.iter().enumerate().peekable();
        while let Some((at, &first)) = next.next() {
            let Some(mut stretch) = widened.get(first).cloned() else {
                continue;
            };
            let mut end = at + 1;
            while let Some(&(_, &i)) = next.peek()
                && let Some(window) = widened.get(i).filter(|w| w.start <= stretch.end)
            {
                stretch.end = stretch.end.max(window.end);
                end += 1;
                next.next();
            }
            stretches.push((stretch, at..end));
        }
        // Room for all their words at once (some six bytes a word with its space), rather than
        // growing and copying the list stretch after stretch.
        let bytes: usize = stretches.iter().map(|(stretch, _)| stretch.len()).sum();
        let mut words: Vec<SourceWord<'h>> = Vec::with_capacity(bytes / 6 + stretches.len());
        let mut runs = vec![0..0; widened.len()];
        for (stretch, members) in stretches {
            let base = words.len();
            push_source_words(haystack, stretch, vocabulary, &mut words);
            let read = words.get(base..).unwrap_or_default();
            for &i in order.get(members).unwrap_or_default() {
                if let (Some(window), Some(run)) = (widened.get(i), runs.get_mut(i)) {
                    let first = read.partition_point(|w| w.range.start < window.start);
                    let last = read.partition_point(|w| w.range.end <= window.end);
                    *run = base + first..base + last.max(first);
                }
            }
        }
        WindowWords { words, runs }
    }

    /// The words of window `index`.
    fn of(&self, index: usize) -> &[SourceWord<'h>] {
        self.runs
            .get(index)
            .and_then(|run| self.words.get(run.clone()))
            .unwrap_or_default()
    }
}

/// How a cell of the alignment was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Start of the alignment (free leading source words).
    Start,
    Match,
    /// Counted as a match: drop cap, split or merged word.
    Noise {
        quote: usize,
        source: usize,
    },
    Substitute,
    Insert,
    Omit,
    /// Source words skipped by a gap of the pattern, back to this column.
    Skip(usize),
    /// Paragraphs of page furniture jumped, back to this column.
    Junk(usize),
}

/// One aligned pair, as read back from the table.
#[derive(Debug, Clone)]
struct Op {
    step: Step,
    /// The quotation words this step consumes (indices).
    quote: Range<usize>,
    /// The source words this step consumes (indices into the window).
    source: Range<usize>,
}

/// Semi-global alignment: the whole quotation against any stretch of `source`.
fn align(quote: &[QuoteWord<'_>], source: &[SourceWord<'_>]) -> Option<Vec<Op>> {
    let m = quote.len();
    let n = source.len();
    let width = n + 1;
    let mut cost = vec![u32::MAX; (m + 1) * width];
    let mut step = vec![Step::Start; (m + 1) * width];
    for cell in cost.iter_mut().take(width) {
        *cell = 0;
    }
    let at = |i: usize, j: usize| i * width + j;
    // Steps of the rows before gap skips overwrote them: a skip lands on one of these.
    let mut base_steps: Vec<Vec<Step>> = vec![Vec::new(); m + 1];
    for i in 1..=m {
        let q = quote.get(i - 1)?;
        for j in 0..=n {
            let mut best = (u32::MAX, Step::Start);
            let mut consider = |c: u32, s: Step| {
                if c < best.0 {
                    best = (c, s);
                }
            };
            if j > 0 {
                let s = source.get(j - 1)?;
                let diagonal = cost[at(i - 1, j - 1)];
                if q.id == s.id {
                    consider(diagonal, Step::Match);
                } else if s.paragraph_start && is_drop_cap_remnant(q.text, s.text) {
                    consider(
                        diagonal,
                        Step::Noise {
                            quote: 1,
                            source: 1,
                        },
                    );
                }
                if j > 1
                    && let Some(before) = source.get(j - 2)
                    && is_concatenation(q.text, before.text, s.text)
                {
                    consider(
                        cost[at(i - 1, j - 2)],
                        Step::Noise {
                            quote: 1,
                            source: 2,
                        },
                    );
                }
                if i > 1
                    && let Some(previous) = quote.get(i - 2)
                    && q.gap_before.is_none()
                    && is_concatenation(s.text, previous.text, q.text)
                {
                    consider(
                        cost[at(i - 2, j - 1)],
                        Step::Noise {
                            quote: 2,
                            source: 1,
                        },
                    );
                }
                consider(diagonal.saturating_add(1), Step::Substitute);
                consider(cost[at(i, j - 1)].saturating_add(1), Step::Omit);
            }
            consider(cost[at(i - 1, j)].saturating_add(1), Step::Insert);
            cost[at(i, j)] = best.0;
            step[at(i, j)] = best.1;
        }
        let gap = quote.get(i).and_then(|next| next.gap_before);
        let junk_possible = i < m && source.iter().skip(1).any(|w| w.paragraph_start);
        if gap.is_none() && !junk_possible {
            continue;
        }
        // Skips read the row as it was before any skip (so skips do not chain), and traceback
        // after a skip reads the steps of that row.
        let row: Vec<u32> = cost.get(at(i, 0)..at(i, n) + 1)?.to_vec();
        base_steps[i] = step.get(at(i, 0)..at(i, n) + 1)?.to_vec();
        let mut relax = |j: usize, j0: usize, kind: fn(usize) -> Step| {
            let from = row.get(j0).copied().unwrap_or(u32::MAX);
            if let Some(cell) = cost.get_mut(at(i, j))
                && from < *cell
            {
                *cell = from;
                if let Some(s) = step.get_mut(at(i, j)) {
                    *s = kind(j0);
                }
            }
        };
        // A gap after this word lets the source skip words for free (within its bound).
        if let Some(max) = gap {
            for j in 1..=n {
                let mut j0 = j;
                while j0 > 0 {
                    let skipped_start = source.get(j0 - 1)?.range.start;
                    let skipped_end = source.get(j - 1)?.range.end;
                    if skipped_end - skipped_start > max {
                        break;
                    }
                    j0 -= 1;
                    relax(j, j0, Step::Skip);
                }
            }
        }
        // Between two quotation words, whole paragraphs of page furniture may be jumped.
        if junk_possible {
            for j0 in 1..n {
                let Some(first) = source.get(j0).filter(|w| w.paragraph_start) else {
                    continue;
                };
                for j in j0 + 1..n {
                    let Some(resume) = source.get(j) else {
                        break;
                    };
                    if resume.range.start - first.range.start > JUNK_MAX_BYTES {
                        break;
                    }
                    if resume.paragraph_start {
                        relax(j, j0, Step::Junk);
                    }
                }
            }
        }
    }
    // The cheapest end; the earliest among equals.
    let (mut j, _) = (0..=n)
        .map(|j| (j, cost[at(m, j)]))
        .min_by_key(|&(j, c)| (c, j))?;
    let mut i = m;
    let mut ops = Vec::new();
    let mut after_skip = false;
    while i > 0 {
        let s = if after_skip {
            base_steps.get(i).and_then(|row| row.get(j)).copied()?
        } else {
            step[at(i, j)]
        };
        after_skip = matches!(s, Step::Skip(_) | Step::Junk(_));
        let (di, dj) = match s {
            Step::Start => return None,
            Step::Match | Step::Substitute => (1, 1),
            Step::Noise { quote, source } => (quote, source),
            Step::Insert => (1, 0),
            Step::Omit => (0, 1),
            Step::Skip(j0) | Step::Junk(j0) => (0, j - j0),
        };
        ops.push(Op {
            step: s,
            quote: i - di..i,
            source: j - dj..j,
        });
        i -= di;
        j -= dj;
    }
    ops.reverse();
    Some(ops)
}

/// Tier 4: the best alignment over all anchored stretches that clears the floor (and scores at
/// least `at_least`, if given).
pub(super) fn find_approximate(
    pattern: &Pattern,
    haystack: Haystack<'_>,
    at_least: Option<f32>,
    index: Option<&dyn IndexedWords>,
) -> Option<Alignment> {
    find_approximate_reading(pattern, haystack, at_least, index, Fallback::WhereRunsHide)
}

/// Which windows the fallback pass (anchors on pairs of content words) reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fallback {
    /// Only those holding a place where a run of matched words may hide from the trigram
    /// anchors (`hidden::places`): the others cannot hold a match the trigram pass missed.
    WhereRunsHide,
    /// Every one (to check that reading the others changes nothing).
    Everywhere,
}

/// `find_approximate`, its fallback pass reading the windows `fallback` says.
pub(super) fn find_approximate_reading(
    pattern: &Pattern,
    haystack: Haystack<'_>,
    at_least: Option<f32>,
    index: Option<&dyn IndexedWords>,
    fallback: Fallback,
) -> Option<Alignment> {
    let words = quote_words(pattern);
    if words.len() < MIN_WORDS {
        return None;
    }
    if at_least.is_some_and(|floor| floor >= 1.0)
        && let Some(index) = index
        && whole_match_ruled_out(pattern, &words, haystack, index)
    {
        return None;
    }
    // Every match clearing the floor has three consecutive words matched. Where they are
    // verbatim, one space apart, the trigram anchors find them; where extraction noise, page
    // furniture or an elision sits in the run, two content words side by side anchor it, in
    // the windows holding such a place.
    let trigrams = anchors(pattern, &words, haystack, index, MIN_RUN, false);
    let vocabulary = QuoteVocabulary::new(&words);
    best_at_anchors(
        pattern,
        &words,
        &vocabulary,
        haystack,
        trigrams,
        MAX_CANDIDATES,
        at_least,
        None,
        index,
    )
    .or_else(|| {
        let places = match fallback {
            Fallback::WhereRunsHide => hidden::places(&words, haystack, index),
            Fallback::Everywhere => None,
        };
        if places.as_ref().is_some_and(Vec::is_empty) {
            return None;
        }
        let pairs = anchors(pattern, &words, haystack, index, 2, true);
        best_at_anchors(
            pattern,
            &words,
            &vocabulary,
            haystack,
            pairs,
            MAX_PAIR_CANDIDATES,
            at_least,
            places.as_deref(),
            index,
        )
    })
}

/// Whether `find_approximate` (with `at_least`) may find anything in a source, judged from its
/// index alone (`bound::may_score_in_source`, whose terms the index must meet).
pub(super) fn may_find_in_source(
    pattern: &Pattern,
    source: &impl IndexedWords,
    at_least: Option<f32>,
) -> bool {
    let words = quote_words(pattern);
    words.len() >= MIN_WORDS && bound::may_score_in_source(&words, source, at_least)
}

/// The best alignment at the windows of `found` (the `max_candidates` densest), scoring at least
/// `at_least` if given; with `places`, only at the windows holding one of them whole.
#[allow(clippy::too_many_arguments)]
fn best_at_anchors(
    pattern: &Pattern,
    words: &[QuoteWord<'_>],
    vocabulary: &QuoteVocabulary<'_>,
    haystack: Haystack<'_>,
    found: Vec<Anchor>,
    max_candidates: usize,
    at_least: Option<f32>,
    places: Option<&[ByteRange]>,
    index: Option<&dyn IndexedWords>,
) -> Option<Alignment> {
    if found.is_empty() {
        return None;
    }
    let text_len: usize = pattern.texts.iter().map(|t| t.len() + 1).sum();
    let span = text_len + pattern.gaps.iter().sum::<usize>();
    let mut best: Option<Alignment> = None;
    let mut spent = 0usize;
    let mut windows = candidate_windows(
        found,
        span,
        haystack.breaks,
        haystack.text.len(),
        max_candidates,
    );
    if let Some(places) = places {
        windows.retain(|window| hidden::holds_one(&widened(haystack.text, window), places));
    }
    // The windows the source's word places rule out are not read; their words are counted for
    // the work budget all the same.
    let unread = ruled_out_unread(words, &windows, haystack, index, at_least);
    let to_read: Vec<Range<usize>> = windows
        .iter()
        .zip(&unread)
        .filter(|(_, unread)| unread.is_none())
        .map(|(window, _)| window.clone())
        .collect();
    let window_words = WindowWords::new(haystack, &to_read, vocabulary);
    let mut read = 0;
    for unread in unread {
        let (source, count) = match unread {
            Some(count) => (None, count),
            None => {
                let source = window_words.of(read);
                read += 1;
                (Some(source), source.len())
            }
        };
        let cells = words.len() * (count + 1);
        if spent > 0 && spent + cells > MAX_CELLS {
            tracing::debug!(spent, "approximate matching stopped at its work budget");
            break;
        }
        spent += cells;
        // (The budget counts the windows skipped here too, so that skipping changes no result.)
        let Some(source) = source else {
            continue;
        };
        let to_beat = best.as_ref().map(|b| b.score).or(at_least);
        if !vocabulary.may_score(words, source, to_beat) {
            continue;
        }
        let Some(ops) = align(words, source) else {
            continue;
        };
        let Some(alignment) = judge(&ops, words, source, !pattern.gaps.is_empty())
            .filter(|a| at_least.is_none_or(|floor| a.score >= floor))
        else {
            continue;
        };
        let better = match &best {
            None => true,
            Some(b) => {
                alignment.score > b.score
                    || (alignment.score == b.score && alignment.range.start < b.range.start)
            }
        };
        if better {
            best = Some(alignment);
        }
    }
    best
}

/// For each of `windows`, the number of its words when the source's word places rule it out
/// unread, `None` for one to read. A window is ruled out when `bound::may_clear` says no with
/// each quotation word offered as itself unless the places say the window lacks it, and in
/// another form wherever the source may hold one (`bound::may_hold_other_form`): more than
/// `may_score` would find there, so that it would say no too. Only windows without chars from
/// U+0800 up are ruled out (their words are runs between spaces, counted without reading them).
fn ruled_out_unread(
    quote: &[QuoteWord<'_>],
    windows: &[Range<usize>],
    haystack: Haystack<'_>,
    index: Option<&dyn IndexedWords>,
    at_least: Option<f32>,
) -> Vec<Option<usize>> {
    let read_all = || vec![None; windows.len()];
    let Some(index) = index else {
        return read_all();
    };
    let places: Vec<Option<&[u32]>> = quote
        .iter()
        .map(|word| index.places_of_word(word.text))
        .collect();
    if places.iter().all(Option::is_none) {
        return read_all();
    }
    let other: Vec<bool> = (0..quote.len())
        .map(|i| bound::may_hold_other_form(quote, i, index))
        .collect();
    let mut offered = vec![0u8; quote.len()];
    windows
        .iter()
        .map(|window| {
            let range = widened(haystack.text, window);
            for ((slot, places), &other) in offered.iter_mut().zip(&places).zip(&other) {
                let itself = places.is_none_or(|places| {
                    let first = places.partition_point(|&at| (at as usize) < range.start);
                    places
                        .get(first)
                        .is_some_and(|&at| (at as usize) < range.end)
                });
                *slot = if itself { bound::AS_ITSELF } else { 0 }
                    | if other { bound::OTHER_FORM } else { 0 };
            }
            if bound::may_clear(quote, &offered, None, at_least) {
                return None;
            }
            let bytes = haystack.text.as_bytes().get(range)?;
            (!bytes.iter().any(|&b| b >= 0xE0)).then(|| words_between_spaces(bytes))
        })
        .collect()
}

/// The words of a stretch of a matching key holding no char of a script written without
/// spaces: its runs between spaces (a key's words are one space apart).
fn words_between_spaces(bytes: &[u8]) -> usize {
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return 0;
    };
    let spaces = bytecount::count(bytes, b' ');
    (spaces + usize::from(first != b' ')).saturating_sub(usize::from(last == b' '))
}

/// Reads an alignment back: edits, score, and whether it clears the floor.
fn judge(
    ops: &[Op],
    quote: &[QuoteWord<'_>],
    source: &[SourceWord<'_>],
    elided: bool,
) -> Option<Alignment> {
    let mut matched = 0usize;
    let mut content_matched = 0usize;
    let mut run = 0usize;
    let mut longest_run = 0usize;
    let mut edits = Vec::new();
    let mut segments: Vec<ByteRange> = Vec::new();
    let mut open: Option<ByteRange> = None;
    // End of the last source word taken into the alignment (where an insertion goes).
    let mut last_end: Option<usize> = None;
    let word = |j: usize| source.get(j);
    for op in ops {
        let source_span = || -> Option<ByteRange> {
            let first = word(op.source.start)?;
            let last = word(op.source.end.checked_sub(1)?)?;
            Some(first.range.start..last.range.end)
        };
        match op.step {
            Step::Match | Step::Noise { .. } => {
                let count = op.quote.len();
                matched += count;
                content_matched += quote
                    .get(op.quote.clone())
                    .map_or(0, |ws| ws.iter().filter(|w| w.content).count());
                run += count;
                longest_run = longest_run.max(run);
            }
            Step::Substitute | Step::Insert | Step::Omit => {
                run = 0;
                let q = quote.get(op.quote.start).filter(|_| !op.quote.is_empty());
                let s = word(op.source.start).filter(|_| !op.source.is_empty());
                let quote_word = q.map_or("", |w| w.text);
                let source_word = s.map_or("", |w| w.text);
                let source_range = match s {
                    Some(s) => s.range.clone(),
                    None => {
                        let at = last_end
                            .or_else(|| word(op.source.start).map(|w| w.range.start))
                            .unwrap_or(0);
                        at..at
                    }
                };
                edits.push(WordEdit {
                    kind: match op.step {
                        Step::Substitute => EditKind::Substituted,
                        Step::Insert => EditKind::Inserted,
                        _ => EditKind::Omitted,
                    },
                    quote_word: quote_word.to_owned(),
                    source_word: source_word.to_owned(),
                    source_range,
                    critical: is_critical_change(quote_word, source_word),
                });
            }
            Step::Skip(_) | Step::Junk(_) => {
                if matches!(op.step, Step::Skip(_)) {
                    run = 0;
                }
                if let Some(segment) = open.take() {
                    segments.push(segment);
                }
                continue;
            }
            Step::Start => {}
        }
        if let Some(span) = source_span() {
            open = Some(match open.take() {
                Some(segment) => segment.start..span.end,
                None => span.clone(),
            });
            last_end = Some(span.end);
        }
    }
    if let Some(segment) = open {
        segments.push(segment);
    }
    let total = quote.len();
    let content = quote.iter().filter(|w| w.content).count();
    let omitted = edits.iter().filter(|e| e.kind == EditKind::Omitted).count();
    // Source words left out without an elision mark count as unmatched words.
    let score = matched as f32 / (total + omitted).max(1) as f32;
    let content_share = if content == 0 {
        1.0
    } else {
        content_matched as f32 / content as f32
    };
    if score < MIN_SHARE || content_share < MIN_SHARE || longest_run < MIN_RUN {
        return None;
    }
    let range = segments.first()?.start..segments.last()?.end;
    let kind = match (edits.is_empty(), elided) {
        (false, _) => MatchKind::Approximate,
        (true, false) => MatchKind::Exact,
        (true, true) => MatchKind::Elided,
    };
    let score = if edits.is_empty() { 1.0 } else { score };
    Some(Alignment {
        range,
        segments,
        kind,
        score,
        edits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_of(found: &[SourceWord<'_>]) -> Vec<(ByteRange, u32, bool)> {
        found
            .iter()
            .map(|w| (w.range.clone(), w.id, w.paragraph_start))
            .collect()
    }

    proptest::proptest! {
        /// Each window's words, read once with the windows overlapping it, are the words of
        /// the window read alone (ids and paragraph starts too).
        #[test]
        fn windows_read_together_hold_the_words_each_reads_alone(
            key_words in proptest::collection::vec(
                proptest::sample::select(vec!["the", "tide", "turned", "和", "平", "x"]),
                0..40,
            ),
            breaks in proptest::collection::vec(0u32..200, 0..6),
            windows in proptest::collection::vec((0usize..220, 0usize..80), 0..8),
        ) {
            let key = key_words.join(" ");
            let mut breaks: Vec<u32> = breaks
                .into_iter()
                .filter(|&b| key.as_bytes().get(b as usize) == Some(&b' '))
                .collect();
            breaks.sort_unstable();
            breaks.dedup();
            let haystack = Haystack { text: &key, breaks: &breaks };
            let quote = Pattern::new(&[super::super::PatternPiece::Text(
                "the tide turned x".to_string(),
            )])
            .expect("a pattern");
            let quote = quote_words(&quote);
            let vocabulary = QuoteVocabulary::new(&quote);
            let windows: Vec<Range<usize>> =
                windows.into_iter().map(|(start, len)| start..start + len).collect();
            let together = WindowWords::new(haystack, &windows, &vocabulary);
            for (index, window) in windows.iter().enumerate() {
                let alone =
                    source_words(haystack, widened(&key, window), &vocabulary);
                proptest::prop_assert_eq!(words_of(together.of(index)), words_of(&alone));
            }
        }
    }
}

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
    /// Which sources the search of the rest of the corpus read, when there was one that went by
    /// the word index (see `may_change_with_sources`).
    pub searched: Option<SearchPlan>,
}

/// The sources a search of the rest of the corpus reads (as indexes into the corpus's sources),
/// in the order it reads them. The search's outcome depends on these sources' texts alone: the
/// rest of the corpus only decides, through the word index and the pair filters, which sources
/// are read. So once some sources' texts change, an outcome stays as it was when none of them
/// is in its plan and the same search against the new corpus would read the same sources in the
/// same order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPlan {
    /// Searched for the quotation word for word, in corpus order: the sources holding all its
    /// words whose pair filter agrees, up to the first that held it (every one when none did).
    pub exact: Box<[u32]>,
    /// Searched approximately, in order; `None` when a source held the quotation word for word
    /// (no approximate search then).
    pub approximate: Option<Box<[u32]>>,
}

impl SearchPlan {
    fn new(exact: &[usize], approximate: Option<&[usize]>) -> SearchPlan {
        let indexes = |sources: &[usize]| -> Box<[u32]> {
            sources
                .iter()
                .map(|&i| u32::try_from(i).unwrap_or(u32::MAX))
                .collect()
        };
        SearchPlan {
            exact: indexes(exact),
            approximate: approximate.map(indexes),
        }
    }

    /// Whether the search read the source at `index`.
    pub fn reads(&self, index: usize) -> bool {
        let Ok(index) = u32::try_from(index) else {
            return false;
        };
        self.exact.contains(&index)
            || self
                .approximate
                .as_ref()
                .is_some_and(|order| order.contains(&index))
    }
}

use super::SourceChange;
use super::matcher::{
    Alignment, Haystack, IndexedWords, MAX_SPLITS, PatternPiece, find_quote_approximate,
    find_quote_exact, find_quote_indexed, may_find_approximately,
};
use crate::corpus::{
    Corpus, Source, WordsHeld, is_indexed, key_word_hashes, normalize_key, word_hash,
};
use crate::notes::{Note, Quotation, QuotePiece};

/// Longest stretch of source text an elision may stand for, in key bytes.
const ELISION_MAX: usize = 1500;
/// An alteration (`[the SCO]`) stands for at most this much source text beyond its own length.
const ALTERATION_SLACK: usize = 60;

/// The matching pattern of a quotation: its text pieces in key form, elisions and alterations as
/// bounded gaps, editorial marks dropped. An elision at either end is trimmed (the quotation just
/// starts or stops mid-passage); an alteration there is kept, so the match may start or end inside
/// a source word (`[T]he tide` matches "the tide", `[s]` after a stem matches any ending).
pub fn quote_pattern(pieces: &[QuotePiece]) -> Vec<PatternPiece> {
    let meaningful = |piece: &&QuotePiece| match piece {
        QuotePiece::Text { text, .. } => !normalize_key(text).text.is_empty(),
        QuotePiece::Editorial { .. } => false,
        QuotePiece::Elision { .. } | QuotePiece::Alteration { .. } => true,
    };
    let altered_start = matches!(
        pieces.iter().find(meaningful),
        Some(QuotePiece::Alteration { .. })
    );
    let altered_end = matches!(
        pieces.iter().rev().find(meaningful),
        Some(QuotePiece::Alteration { .. })
    );
    let mut pattern: Vec<PatternPiece> = Vec::new();
    for piece in pieces {
        let next = match piece {
            QuotePiece::Text { text, .. } => {
                let key = normalize_key(text).text;
                if key.is_empty() {
                    continue;
                }
                PatternPiece::Text(key.to_string())
            }
            QuotePiece::Elision { .. } => PatternPiece::Gap { max: ELISION_MAX },
            QuotePiece::Alteration { text, .. } => PatternPiece::Gap {
                max: text.len() + ALTERATION_SLACK,
            },
            QuotePiece::Editorial { .. } => continue,
        };
        match (pattern.last_mut(), next) {
            (Some(PatternPiece::Text(prev)), PatternPiece::Text(key)) => {
                prev.push(' ');
                prev.push_str(&key);
            }
            (Some(PatternPiece::Gap { max }), PatternPiece::Gap { max: more }) => *max += more,
            (_, next) => pattern.push(next),
        }
    }
    let is_gap = |piece: Option<&PatternPiece>| matches!(piece, Some(PatternPiece::Gap { .. }));
    if !altered_end || pattern.len() == 1 {
        while is_gap(pattern.last()) {
            pattern.pop();
        }
    }
    if !altered_start || pattern.len() == 1 {
        while is_gap(pattern.first()) {
            pattern.remove(0);
        }
    }
    pattern
}

/// The keys a quotation cites, in order, without repeats.
pub fn cited_keys<'a>(note: &'a Note, quotation: &Quotation) -> Vec<&'a str> {
    let mut keys: Vec<&str> = Vec::new();
    for &index in &quotation.citations {
        let Some(citation) = note.citations.get(index) else {
            continue;
        };
        for item in &citation.items {
            if !keys.contains(&item.key.as_str()) {
                keys.push(&item.key);
            }
        }
    }
    keys
}

/// Finds `pattern` in one source and maps the alignment to the source's original text.
pub fn match_in_source(pattern: &[PatternPiece], source: &Source) -> Option<QuoteMatch> {
    let found = find_quote_indexed(pattern, haystack(source), Some(source))
        .map(|a| to_quote_match(&a, source));
    // Searched: only the few pages a match points at are read again (to show it).
    source.release_pages();
    found
}

/// A source's matching key, as the matcher searches it.
fn haystack(source: &Source) -> Haystack<'_> {
    Haystack {
        text: &source.key_text.text,
        breaks: &source.key_text.breaks,
    }
}

fn to_quote_match(alignment: &Alignment, source: &Source) -> QuoteMatch {
    let map = |r: &ByteRange| source.key_text.to_original(r.clone());
    let edits = alignment
        .edits
        .iter()
        .map(|edit| {
            let mut edit = edit.clone();
            edit.source_range = map(&edit.source_range);
            edit
        })
        .collect();
    QuoteMatch {
        key: source.key.clone(),
        path: source.path.clone(),
        range: map(&alignment.range),
        segments: alignment.segments.iter().map(map).collect(),
        kind: alignment.kind,
        score: alignment.score,
        edits,
    }
}

/// Better of two matches: exact before elided before approximate, then the higher score.
fn better(a: QuoteMatch, b: QuoteMatch) -> QuoteMatch {
    let rank = |m: &QuoteMatch| (m.kind, -(m.score * 1000.0) as i64);
    if rank(&b) < rank(&a) { b } else { a }
}

fn best_in<'a>(
    pattern: &[PatternPiece],
    sources: impl Iterator<Item = &'a std::sync::Arc<Source>>,
) -> Option<QuoteMatch> {
    sources
        .filter_map(|source| match_in_source(pattern, source))
        .reduce(better)
}

/// Sources outside the cited ones searched approximately for a quotation that is exactly nowhere:
/// those holding the most of its words. (Every source holding all its words is searched for an
/// exact occurrence first.)
const FULL_SEARCHES: usize = 24;

/// The quotation's distinct words, hashed for the corpus's word index. A word at an end freed by
/// an alteration (`[T]he`) may be cut in the source, so it is left out.
fn index_words(pattern: &[PatternPiece]) -> Vec<u32> {
    let loose_start = matches!(pattern.first(), Some(PatternPiece::Gap { .. }));
    let loose_end = matches!(pattern.last(), Some(PatternPiece::Gap { .. }));
    let words: Vec<&str> = pattern
        .iter()
        .filter_map(|piece| match piece {
            PatternPiece::Text(text) => Some(text.split(' ')),
            PatternPiece::Gap { .. } => None,
        })
        .flatten()
        .collect();
    let from = usize::from(loose_start);
    let to = words.len().saturating_sub(usize::from(loose_end));
    let mut hashes: Vec<u32> = words
        .get(from..to.max(from))
        .unwrap_or_default()
        .iter()
        .filter(|word| is_indexed(word))
        .map(|word| word_hash(word))
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// How many of a quotation's `total` index words a source must hold to be searched for it.
fn min_held(total: usize) -> usize {
    if total >= 4 { total.div_ceil(2) } else { total }
}

/// Whether `quotation`'s resolution (`resolution`, against a corpus holding the `before` side of
/// `changes`) may differ in `corpus`, which holds their `after` side instead. It may when the quotation cites a changed source; else, when it
/// was found word for word in a source it cites, it read no other source and stays. Otherwise the
/// rest of the corpus was searched: it stays when its search read no changed source and would
/// read the same sources, in the same order, in `corpus` (its `SearchPlan`: checked with the word
/// index and the pair filters alone, reading no text). A resolution whose plan is not known
/// (`searched` is `None`: the quotation has no indexed word, every source was searched) may
/// change with any source.
pub fn may_change_with_sources(
    note: &Note,
    quotation: &Quotation,
    resolution: &QuoteResolution,
    changes: &[SourceChange],
    corpus: &Corpus,
) -> bool {
    let pattern = quote_pattern(&quotation.pieces);
    if pattern.is_empty() {
        return false;
    }
    let keys = cited_keys(note, quotation);
    let cited = |source: &Source| keys.contains(&source.key.as_str());
    if changes
        .iter()
        .any(|change| cited(&change.before) || cited(&change.after))
    {
        return true;
    }
    if resolution.status == QuoteStatus::Verified {
        return false;
    }
    let Some(plan) = &resolution.searched else {
        return true;
    };
    let read_changed = changes.iter().any(|change| plan.reads(change.index));
    read_changed
        || plan_search(&pattern, corpus, outside(corpus, &keys), plan).as_ref() != Some(plan)
}

/// The best match of `pattern` among the corpus's sources that `skip` does not exclude, searching
/// only where the word index says it can be: an exact match needs every word of the quotation in
/// the source, an approximate one most of them (its floor is 60 % of the words; half leaves room
/// for words that extraction noise broke). With it, the sources read (`None` when the quotation
/// has no indexed word: every source was searched).
fn search_corpus(
    pattern: &[PatternPiece],
    corpus: &Corpus,
    skip: impl Fn(usize) -> bool,
    wanted: Wanted,
) -> (Option<QuoteMatch>, Option<SearchPlan>) {
    let Some(SearchCandidates {
        words,
        all: candidates,
        exact: exact_sources,
    }) = search_candidates(pattern, corpus, &skip)
    else {
        // Nothing indexable (a quotation in a script without spaces): search everywhere.
        let rest = (corpus.sources.iter().enumerate()).filter_map(|(i, s)| (!skip(i)).then_some(s));
        let found = best_in(pattern, rest).filter(|found| wanted.takes(found));
        return (found, None);
    };
    // Exact first, wherever every word is held (and enough of the word pairs): an exact match
    // anywhere beats any approximate one, so the costly alignment is not needed then. Every
    // exact match of one pattern ranks alike (its kind is the pattern's, its score 1.0), and
    // `better` keeps the first of equals: the first source holding it is the one named, and the
    // search stops there.
    let mut read = 0;
    let exact = exact_sources.iter().find_map(|&index| {
        read += 1;
        exact_in_source(pattern, corpus.sources.get(index)?)
    });
    if exact.is_some() {
        let read = exact_sources.get(..read).unwrap_or(&exact_sources);
        return (exact, Some(SearchPlan::new(read, None)));
    }
    // No candidate holds it word for word: those that may were searched so, and the others lack
    // a word or a pair of words (the filter never misses one). Only the approximate tier is left.
    let order = approximate_order(pattern, &words, corpus, &candidates);
    // Each source is only asked for what would beat the best so far (`better` keeps the first
    // of equals, so a tie elsewhere changes nothing).
    let mut best: Option<QuoteMatch> = None;
    for source in order.iter().filter_map(|&index| corpus.sources.get(index)) {
        let at_least = match wanted {
            Wanted::WordForWord => Some(1.0),
            Wanted::Best => best.as_ref().map(|b| b.score),
        };
        if let Some(found) = approximate_in_source(pattern, source, at_least) {
            best = Some(match best {
                Some(held) => better(held, found),
                None => found,
            });
        }
    }
    let plan = SearchPlan::new(&exact_sources, Some(&order));
    (best.filter(|found| wanted.takes(found)), Some(plan))
}

/// The plan `search_corpus` would follow now for `pattern` (searching what `skip` does not
/// exclude), if the sources `earlier` read still hold what they held, told apart from `earlier`
/// only as far as needed. When `earlier` found the quotation word for word (in the last source
/// it read), the search stops at the same source if it reads the same ones before it: the
/// exact candidates are cut there and no approximate order is worked out. Otherwise every exact
/// candidate is read, then the approximate order.
fn plan_search(
    pattern: &[PatternPiece],
    corpus: &Corpus,
    skip: impl Fn(usize) -> bool,
    earlier: &SearchPlan,
) -> Option<SearchPlan> {
    let SearchCandidates { words, all, exact } = search_candidates(pattern, corpus, skip)?;
    Some(match &earlier.approximate {
        Some(_) => SearchPlan::new(
            &exact,
            Some(&approximate_order(pattern, &words, corpus, &all)),
        ),
        None => SearchPlan::new(exact.get(..earlier.exact.len()).unwrap_or(&exact), None),
    })
}

/// A source that may hold a quotation.
#[derive(Clone, Copy)]
struct Candidate<'a> {
    /// Its index in the corpus.
    index: usize,
    source: &'a Source,
    /// How many of the quotation's index words it holds, and which.
    held: usize,
    words: WordsHeld,
}

/// What a search of the corpus for a quotation may read.
struct SearchCandidates<'a> {
    /// The quotation's index words (`index_words`).
    words: Vec<u32>,
    /// The sources holding enough of them (`corpus_candidates`).
    all: Vec<Candidate<'a>>,
    /// Those of them searched word for word (`exact_candidates`).
    exact: Vec<usize>,
}

/// The candidates of a search of the corpus for `pattern`; `None` when the quotation has no
/// indexed word (every source is searched then).
fn search_candidates<'a>(
    pattern: &[PatternPiece],
    corpus: &'a Corpus,
    skip: impl Fn(usize) -> bool,
) -> Option<SearchCandidates<'a>> {
    let words = index_words(pattern);
    if words.is_empty() {
        return None;
    }
    let all = corpus_candidates(&words, corpus, skip);
    let exact = exact_candidates(pattern, &all, words.len());
    Some(SearchCandidates { words, all, exact })
}

/// The sources holding enough of a quotation's index `words` to be searched for it (but those
/// `skip` excludes), as (index into the corpus, source, words held), the rarest words first.
/// Sources holding the same words tie; they are ordered by a hash of the source and the words,
/// not in corpus order: when hundreds hold the common words of a passage, the first sources of
/// the corpus would otherwise be searched for every such quotation, and a change to one of them
/// would make every such quotation be searched again (`may_change_with_sources`).
fn corpus_candidates<'a>(
    words: &[u32],
    corpus: &'a Corpus,
    skip: impl Fn(usize) -> bool,
) -> Vec<Candidate<'a>> {
    let mix = |value: u64| {
        let mixed = value.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        mixed ^ (mixed >> 29)
    };
    let seed = words
        .iter()
        .fold(0u64, |seed, &word| mix(seed ^ u64::from(word)));
    corpus
        .word_index()
        .sources_holding(words, min_held(words.len()), |source| {
            mix(seed ^ source as u64)
        })
        .into_iter()
        .filter_map(|(index, held, words)| {
            let source = corpus.sources.get(index)?;
            (!skip(index)).then_some(Candidate {
                index,
                source: source.as_ref(),
                held,
                words,
            })
        })
        .collect()
}

/// The candidates that may hold the pattern word for word: every one of its `total` words, and
/// its word pairs as the pair filter tells; in corpus order (every one is searched: the order
/// only tells which of several sources holding the quotation word for word is named, the first
/// in the corpus).
fn exact_candidates(
    pattern: &[PatternPiece],
    candidates: &[Candidate<'_>],
    total: usize,
) -> Vec<usize> {
    let pairs = exact_pairs(pattern);
    let mut exact: Vec<usize> = candidates
        .iter()
        .filter(|c| c.held == total && may_hold_exactly(&pairs, c.source))
        .map(|c| c.index)
        .collect();
    exact.sort_unstable();
    exact
}

/// The candidates searched approximately, in order: those holding the most of the pattern's
/// word pairs (then its rarest words). In a corpus whose sources share one vocabulary, hundreds
/// hold every word of a passage scattered, and the source it comes from is told apart only by
/// holding its words side by side.
fn approximate_order(
    pattern: &[PatternPiece],
    words: &[u32],
    corpus: &Corpus,
    candidates: &[Candidate<'_>],
) -> Vec<usize> {
    // The pairs of the rarest words first: a candidate that cannot rank is told so after the
    // fewest probes of its filter (how many pairs it holds does not depend on their order).
    let index = corpus.word_index();
    let mut pairs = word_pairs(adjacent_pairs(pattern), words);
    pairs.sort_by_cached_key(|pair| {
        index
            .sources_with(pair.first)
            .len()
            .min(index.sources_with(pair.second).len())
    });
    // The candidates by how many pairs they hold: only the first are taken (at most one per
    // search, and one more for each taken by words first), so only they are ranked unless more
    // are needed.
    let mut by_pairs = most_pairs(&pairs, candidates, FULL_SEARCHES);
    let mut all_ranked = by_pairs.len() == candidates.len();
    let mut pair_rank = 0;
    // Large sources hold most pairs of common words too: the ranking by words keeps half.
    let mut searched = vec![false; candidates.len()];
    let mut order = Vec::with_capacity(FULL_SEARCHES);
    let mut word_ranks = 0..candidates.len();
    while order.len() < FULL_SEARCHES.min(candidates.len()) {
        let next = if order.len() % 2 == 0 {
            if pair_rank == by_pairs.len() && !all_ranked {
                by_pairs = most_pairs(&pairs, candidates, candidates.len());
                all_ranked = true;
            }
            pair_rank += 1;
            by_pairs.get(pair_rank - 1).map(|&(_, position)| position)
        } else {
            word_ranks.next()
        };
        let Some(position) = next else {
            break;
        };
        if let Some(slot) = searched.get_mut(position)
            && !*slot
        {
            *slot = true;
            order.push(position);
        }
    }
    order
        .into_iter()
        .filter_map(|position| candidates.get(position).map(|c| c.index))
        .collect()
}

/// What a search of the rest of the corpus is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    /// The best match there is, approximate or not.
    Best,
    /// Only a match word for word (exact or elided; extraction noise allowed, which only the
    /// alignment sees): the quotation already matches a source it cites approximately, and only
    /// such a match elsewhere changes what is reported. Every alignment with a word edit scores
    /// below 1, so the sources are only asked for alignments scoring 1.
    WordForWord,
}

impl Wanted {
    fn takes(self, found: &QuoteMatch) -> bool {
        self == Wanted::Best || found.kind != MatchKind::Approximate
    }
}

/// Each text of the pattern's pairs of adjacent indexed words, as word hashes.
fn text_pairs(pattern: &[PatternPiece]) -> impl Iterator<Item = Vec<(u32, u32)>> + '_ {
    pattern
        .iter()
        .filter_map(|piece| match piece {
            PatternPiece::Text(text) => Some(text),
            PatternPiece::Gap { .. } => None,
        })
        .map(|text| {
            let words: Vec<Option<u32>> = key_word_hashes(text).collect();
            words
                .windows(2)
                .filter_map(|pair| match pair {
                    [Some(first), Some(second)] => Some((*first, *second)),
                    _ => None,
                })
                .collect()
        })
}

/// Every pair of adjacent indexed words of the pattern's texts, once.
fn adjacent_pairs(pattern: &[PatternPiece]) -> Vec<(u32, u32)> {
    let mut pairs: Vec<(u32, u32)> = text_pairs(pattern).flatten().collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// A pair of adjacent words of a quotation, as hashes, with those of its words among the
/// quotation's index words (`WordsHeld` of that list).
#[derive(Clone, Copy)]
struct WordPair {
    first: u32,
    second: u32,
    needs: WordsHeld,
}

/// `pairs` of a quotation whose index words are `words` (sorted), each with the index words it
/// needs.
fn word_pairs(pairs: Vec<(u32, u32)>, words: &[u32]) -> Vec<WordPair> {
    let needs = |word: u32| {
        words
            .binary_search(&word)
            .map_or(WordsHeld::NONE, WordsHeld::of)
    };
    pairs
        .into_iter()
        .map(|(first, second)| WordPair {
            first,
            second,
            needs: needs(first).with(needs(second)),
        })
        .collect()
}

/// The `k` candidates that may hold the most of `pairs` (side by side, or across a paragraph
/// break: both words held, and the pair in the source's filter), best first, the earlier
/// candidate first among equals: (pairs held, position in `candidates`) — the first `k` of the
/// candidates sorted by pairs held, stably. Once `k` are kept, a later candidate must hold more
/// than the last of them, and counting its pairs stops as soon as it cannot.
fn most_pairs(pairs: &[WordPair], candidates: &[Candidate<'_>], k: usize) -> Vec<(usize, usize)> {
    let mut best: Vec<(usize, usize)> = Vec::with_capacity(k + 1);
    if k == 0 {
        return best;
    }
    for (position, candidate) in candidates.iter().enumerate() {
        let floor = match best.get(k - 1) {
            Some(&(last, _)) => last + 1,
            None => 0,
        };
        let Some(held) = pairs_held_at_least(pairs, candidate, floor) else {
            continue;
        };
        let at = best.partition_point(|&(other, _)| other >= held);
        best.insert(at, (held, position));
        best.truncate(k);
    }
    best
}

/// How many of `pairs` the candidate may hold (both words, and the pair side by side or across
/// a paragraph break as its filter tells), if at least `floor`: `None` as soon as the pairs
/// left cannot make up the difference. In a corpus whose sources share one vocabulary, most
/// candidates lack a word or two of a quotation, which rules out the pairs it is in before
/// any probe of the filter (a probe is a read from memory the cache rarely holds).
fn pairs_held_at_least(
    pairs: &[WordPair],
    candidate: &Candidate<'_>,
    floor: usize,
) -> Option<usize> {
    let possible = |pair: &&WordPair| candidate.words.holds_all(pair.needs);
    let mut left = pairs.iter().filter(possible).count();
    if left < floor {
        return None;
    }
    let filter = &candidate.source.pairs;
    let mut held = 0;
    for pair in pairs.iter().filter(possible) {
        left -= 1;
        if filter.may_hold(pair.first, pair.second) || filter.may_split(pair.first, pair.second) {
            held += 1;
        } else if held + left < floor {
            return None;
        }
    }
    (held >= floor).then_some(held)
}

/// The word pairs an exact occurrence of a quotation needs in a source, text by text: the pairs of
/// adjacent indexed words of each text of the pattern, but the first where a gap comes before
/// the text and the last where one comes after it (next to an alteration or an elision, the
/// text's end word may fall inside a source word).
fn exact_pairs(pattern: &[PatternPiece]) -> Vec<Vec<(u32, u32)>> {
    let is_gap = |at: Option<usize>| {
        at.and_then(|at| pattern.get(at))
            .is_some_and(|piece| matches!(piece, PatternPiece::Gap { .. }))
    };
    let open_ends = pattern
        .iter()
        .enumerate()
        .filter(|(_, piece)| matches!(piece, PatternPiece::Text(_)))
        .map(|(at, _)| (is_gap(at.checked_sub(1)), is_gap(Some(at + 1))));
    text_pairs(pattern)
        .zip(open_ends)
        .map(|(pairs, (open_start, open_end))| {
            let from = usize::from(open_start);
            let to = pairs.len().saturating_sub(usize::from(open_end));
            pairs.get(from..to).unwrap_or_default().to_vec()
        })
        .collect()
}

/// Whether a source may hold a quotation exactly, as its filter of word pairs tells: every pair
/// held, or split over page furniture (the first word ending a paragraph, the second starting
/// one), at most `MAX_SPLITS` times in a text. A source holding words glued to a script written
/// without spaces may hold either word of a pair inside such a word (`中seven eight`): its filter
/// answers for the runs of narrower chars there, not for their pairs.
fn may_hold_exactly(pairs: &[Vec<(u32, u32)>], source: &Source) -> bool {
    pairs.iter().all(|text| {
        let mut splits = 0;
        // A pair held glued is not counted as a split: were it counted first (the filter may
        // say a pair is split where it is glued), a quotation split as often as allowed
        // elsewhere would be ruled out.
        text.iter().all(|&(first, second)| {
            source.pairs.may_hold(first, second)
                || source.pairs.may_hold_glued(first)
                || source.pairs.may_hold_glued(second)
                || (source.pairs.may_split(first, second) && {
                    splits += 1;
                    splits <= MAX_SPLITS
                })
        })
    })
}

/// Like `match_in_source`, the approximate tier only, scoring at least `at_least` if given.
fn approximate_in_source(
    pattern: &[PatternPiece],
    source: &Source,
    at_least: Option<f32>,
) -> Option<QuoteMatch> {
    // The source's index tells when no alignment (or none scoring `at_least`) can be there,
    // without reading the source.
    if !may_find_approximately(pattern, source, at_least) {
        source.release_pages();
        return None;
    }
    let found = find_quote_approximate(pattern, haystack(source), at_least, Some(source))
        .map(|a| to_quote_match(&a, source));
    source.release_pages();
    found
}

/// A source's word hashes and filter of word pairs, as the approximate tier asks them.
impl IndexedWords for Source {
    fn may_hold(&self, word: &str) -> bool {
        self.may_hold_word(word)
    }

    fn may_hold_adjacent(&self, first: &str, second: &str) -> bool {
        self.may_hold_adjacent_words(first, second)
    }

    fn may_hold_side_by_side(&self, first: &str, second: &str) -> bool {
        self.may_hold_words_side_by_side(first, second)
    }

    fn may_start_paragraph(&self, word: &str) -> bool {
        self.may_start_a_paragraph(word)
    }

    fn may_break_between(&self, first: &str, second: &str, reach: usize) -> bool {
        self.may_break_run_between(first, second, reach)
    }

    fn where_run_may_start(&self, words: &[&str]) -> Option<Vec<usize>> {
        Source::where_run_may_start(self, words)
    }

    fn words_at_breaks(&self) -> Option<&[crate::corpus::WordsAtBreak]> {
        Some(Source::words_at_breaks(self))
    }

    fn places_of_word(&self, word: &str) -> Option<&[u32]> {
        Source::places_of_word(self, word)
    }
}

/// Like `match_in_source`, exact tiers only.
fn exact_in_source(pattern: &[PatternPiece], source: &Source) -> Option<QuoteMatch> {
    let found = find_quote_exact(pattern, haystack(source), Some(source))
        .map(|a| to_quote_match(&a, source));
    source.release_pages();
    found
}

/// Resolves one quotation: in its cited source(s) first, then in the rest of the corpus.
pub fn resolve_quote(note: &Note, quotation: &Quotation, corpus: &Corpus) -> QuoteResolution {
    let resolution = |status, found, searched| QuoteResolution {
        status,
        found,
        searched,
    };
    let pattern = quote_pattern(&quotation.pieces);
    if pattern.is_empty() {
        return resolution(QuoteStatus::Unchecked, None, None);
    }
    let keys = cited_keys(note, quotation);
    let cited: Vec<&std::sync::Arc<Source>> =
        keys.iter().filter_map(|key| corpus.source(key)).collect();
    // The rest of the corpus: every source when nothing cited has a text.
    let elsewhere = |wanted| search_corpus(&pattern, corpus, outside(corpus, &keys), wanted);

    if keys.is_empty() {
        return match elsewhere(Wanted::Best) {
            (Some(found), searched) => resolution(QuoteStatus::Uncited, Some(found), searched),
            (None, searched) => resolution(QuoteStatus::NotFound, None, searched),
        };
    }
    if cited.is_empty() {
        // Every cited key is unknown (reported on the citation) or has no readable text: the
        // quotation cannot be checked, but a match elsewhere still serves go-to-source.
        let (found, searched) = elsewhere(Wanted::Best);
        return resolution(QuoteStatus::Unchecked, found, searched);
    }
    let in_cited = best_in(&pattern, cited.iter().copied());
    match in_cited {
        Some(found) if found.kind != MatchKind::Approximate => {
            resolution(QuoteStatus::Verified, Some(found), None)
        }
        Some(approximate) => match elsewhere(Wanted::WordForWord) {
            // Word for word in another source, only roughly in the cited one: misattributed.
            (Some(other), searched) => {
                resolution(QuoteStatus::Misattributed, Some(other), searched)
            }
            (None, searched) => resolution(QuoteStatus::Inexact, Some(approximate), searched),
        },
        None => match elsewhere(Wanted::Best) {
            (Some(other), searched) => {
                resolution(QuoteStatus::Misattributed, Some(other), searched)
            }
            (None, searched) => resolution(QuoteStatus::NotFound, None, searched),
        },
    }
}

/// The sources a quotation citing `keys` is searched for outside of, by their index in the
/// corpus (no source has an unknown key: with none of the keys known, the whole corpus is
/// searched). Told by index: a search asks it of thousands of candidates, and comparing their
/// keys read each one's from memory the cache did not hold.
fn outside(corpus: &Corpus, keys: &[&str]) -> impl Fn(usize) -> bool + use<> {
    let cited: Vec<usize> = keys
        .iter()
        .filter_map(|key| corpus.source_index(key))
        .collect();
    move |index| cited.contains(&index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::matcher::find_quote_approximate_everywhere;
    use crate::analysis::queries::fixture::{Fixture, note_path};

    const SOURCE: &str = "# Report\n\nThe tide turned when the delegates agreed to share the data every week. \
        Their neighbours followed within a year.\n";

    /// The status and matched source text of the note's first quotation.
    fn resolve(note: &str) -> (QuoteStatus, Option<MatchKind>, Option<String>) {
        let built = Fixture::new()
            .source("halden2021", SOURCE)
            .source(
                "osei2022",
                "# Other\n\nNothing in common with the report.\n",
            )
            .note("a.md", note)
            .build();
        let analysis = built.analysis.note(&note_path("a.md")).expect("note");
        let resolution = analysis.resolutions.first().expect("a quotation").clone();
        let found = resolution.found.as_ref();
        (
            resolution.status,
            found.map(|f| f.kind),
            found.map(|f| SOURCE[f.range.clone()].to_string()),
        )
    }

    const HARBOUR: &str = "# Harbours\n\nEvery winter the council decided that it was\n\n14\n\n\
        Annual Review of Harbour Towns\n\nbetter to repair the old pier than to build a new \
        one.\n\nPhoto: a pier at dawn\n\nThe work began in March.\n";
    const SPLIT_QUOTE: &str =
        "the council decided that it was better to repair the old pier than to build a new one";

    /// A quotation found exactly in a source it does not cite, split over page furniture there
    /// (a running header and a caption).
    #[test]
    fn a_quotation_split_over_furniture_is_found_in_a_source_it_does_not_cite() {
        let built = Fixture::new()
            .source("harbour2020", HARBOUR)
            .source(
                "osei2022",
                "# Other\n\nNothing in common with the harbour.\n",
            )
            .note(
                "a.md",
                &format!("They wrote \"{SPLIT_QUOTE}\" [@osei2022].\n"),
            )
            .build();
        let analysis = built.analysis.note(&note_path("a.md")).expect("note");
        let resolution = analysis.resolutions.first().expect("a quotation");
        assert_eq!(resolution.status, QuoteStatus::Misattributed);
        let found = resolution.found.as_ref().expect("found elsewhere");
        assert_eq!(
            (found.key.as_str(), found.kind),
            ("harbour2020", MatchKind::Exact)
        );
        assert_eq!(found.segments.len(), 2);
    }

    /// The filter of word pairs lets through a source holding the quotation split over page
    /// furniture (the pair at the split is not adjacent there), and turns away one holding its
    /// words in another order.
    #[test]
    fn the_word_pairs_tell_which_sources_may_hold_a_quotation_exactly() {
        let source = Source::markdown_for_test("harbour2020", HARBOUR);
        let pairs =
            |quote: &str| exact_pairs(&[PatternPiece::Text(normalize_key(quote).text.to_string())]);
        assert!(may_hold_exactly(&pairs(SPLIT_QUOTE), &source));
        let shuffled =
            "the old pier decided that it was better to repair the council than to build";
        assert!(!may_hold_exactly(&pairs(shuffled), &source));
    }

    #[test]
    fn exact_pairs_leave_out_the_end_pairs_next_to_gaps() {
        let pattern = vec![
            PatternPiece::Text("one two three four".to_string()),
            PatternPiece::Gap { max: 10 },
            PatternPiece::Text("five six 和平 seven eight nine".to_string()),
        ];
        let hash = |w: &str| word_hash(w);
        let pair = |a: &str, b: &str| (hash(a), hash(b));
        assert_eq!(
            exact_pairs(&pattern),
            vec![
                vec![pair("one", "two"), pair("two", "three")],
                vec![pair("seven", "eight"), pair("eight", "nine")],
            ]
        );
        let mut altered = vec![PatternPiece::Gap { max: 3 }];
        altered.extend(pattern);
        altered.push(PatternPiece::Gap { max: 3 });
        assert_eq!(
            exact_pairs(&altered),
            vec![vec![pair("two", "three")], vec![pair("seven", "eight")]]
        );
    }

    /// A quotation is still searched word for word in a source that holds its first or last
    /// word glued to a script written without spaces (its pair with the next word is not in
    /// the filter there), and no longer in one lacking the pair at its end.
    #[test]
    fn the_end_pairs_of_a_quotation_rule_out_sources() {
        let quote = "the delegates agreed to share the data";
        let pairs = exact_pairs(&[PatternPiece::Text(quote.to_string())]);
        let holds = |text: &str| may_hold_exactly(&pairs, &plain_source(text));
        assert!(holds(
            "In May the delegates agreed to share the data weekly."
        ));
        assert!(holds("会议the delegates agreed to share the data再次"));
        // Every word, every pair but the last.
        assert!(!holds("The delegates agreed to share the news and data."));
        // ... and but the first.
        assert!(!holds(
            "Then delegates agreed to share the data, said the chair."
        ));
    }

    #[test]
    fn leading_alteration_matches_inside_a_word() {
        let (status, kind, text) =
            resolve("She says \"[T]he tide turned when the delegates agreed\" [@halden2021].\n");
        assert_eq!(status, QuoteStatus::Verified);
        assert_eq!(kind, Some(MatchKind::Exact), "{text:?}");
        assert!(
            text.unwrap()
                .contains("tide turned when the delegates agreed")
        );
    }

    #[test]
    fn trailing_alteration_matches_a_changed_ending() {
        let (status, kind, _) = resolve(
            "She says \"the delegates agreed to share the data every week[s]\" [@halden2021].\n",
        );
        assert_eq!(status, QuoteStatus::Verified);
        assert_ne!(kind, Some(MatchKind::Approximate));
    }

    #[test]
    fn edge_elisions_are_trimmed_and_words_stay_whole() {
        let (status, kind, text) =
            resolve("She says \"... the delegates agreed to share the data ...\" [@halden2021].\n");
        assert_eq!(status, QuoteStatus::Verified);
        assert_eq!(kind, Some(MatchKind::Exact));
        assert_eq!(
            text.as_deref(),
            Some("the delegates agreed to share the data")
        );
        // Without an alteration the match must start on a word boundary: "ide turned" is not
        // "tide turned" word for word.
        let (status, _, _) =
            resolve("She says \"ide turned when the delegates agreed\" [@halden2021].\n");
        assert_ne!(status, QuoteStatus::Verified);
    }

    #[test]
    fn pattern_keeps_edge_alterations_and_drops_edge_elisions() {
        let text = |s: &str| QuotePiece::Text {
            text: s.to_string(),
            range: 0..0,
        };
        let alteration = QuotePiece::Alteration {
            text: "T".to_string(),
            range: 0..0,
        };
        let elision = QuotePiece::Elision { range: 0..0 };
        let pattern = quote_pattern(&[alteration.clone(), text("he tide"), elision.clone()]);
        assert_eq!(
            pattern,
            vec![
                PatternPiece::Gap {
                    max: 1 + ALTERATION_SLACK
                },
                PatternPiece::Text("he tide".to_string()),
            ]
        );
        assert_eq!(
            quote_pattern(&[elision.clone(), text("the tide"), alteration]),
            vec![
                PatternPiece::Text("the tide".to_string()),
                PatternPiece::Gap {
                    max: 1 + ALTERATION_SLACK
                },
            ]
        );
        assert!(quote_pattern(&[elision]).is_empty());
    }

    /// Many sources hold every word of the quotation, scattered; the one holding the passage comes
    /// last. Past the sources searched in full, those holding every word are still searched for an
    /// exact occurrence, so the passage is found.
    #[test]
    fn the_passage_is_found_past_many_sources_holding_its_words() {
        let quote = "delegates agreed to share the data every week";
        let mut fixture = Fixture::new();
        for i in 0..(FULL_SEARCHES + 6) {
            fixture = fixture.source(
                &format!("decoy{i:02}"),
                "# Decoy\n\nEvery week the data shows what the delegates agreed. To share is hard.\n",
            );
        }
        let built = fixture
            .source("zeta2020", SOURCE)
            .note("a.md", &format!("Uncited: \"{quote}\".\n"))
            .build();
        let analysis = built.analysis.note(&note_path("a.md")).expect("note");
        let resolution = &analysis.resolutions[0];
        assert_eq!(resolution.status, QuoteStatus::Uncited);
        let found = resolution.found.as_ref().expect("found");
        assert_eq!(found.key, "zeta2020");
        assert_eq!(found.kind, MatchKind::Exact);
    }

    /// The resolution of a misquotation of `SOURCE` (one word changed) citing the fourth of 40
    /// decoys (`decoy(i)` is the text of the i-th), `SOURCE` coming after them all.
    fn misquoted_among_decoys(decoy: impl Fn(usize) -> String) -> QuoteResolution {
        let mut fixture = Fixture::new();
        for i in 0..40 {
            fixture = fixture.source(&format!("decoy{i:02}"), &decoy(i));
        }
        let built = fixture
            .source("zeta2020", SOURCE)
            .note(
                "a.md",
                "She wrote \"the delegates agreed to share the numbers every week\" [@decoy03].\n",
            )
            .build();
        let analysis = built.analysis.note(&note_path("a.md")).expect("note");
        analysis.resolutions[0].clone()
    }

    /// A misquotation of a source it does not cite is found approximately among many sources.
    #[test]
    fn an_approximate_match_elsewhere_is_found_among_many_sources() {
        let resolution = misquoted_among_decoys(|i| {
            format!("# Decoy {i}\n\nThe storm of that year left the river low and the towns dry.\n")
        });
        let found = resolution.found.as_ref().expect("found");
        assert_eq!(found.key, "zeta2020", "{resolution:?}");
        assert_eq!(found.kind, MatchKind::Approximate);
    }

    /// Forty sources hold every word of a misquotation, scattered; the one it comes from holds
    /// them side by side and comes last. Ranked by words held, it tied with the forty and was
    /// never searched approximately; ranked by word pairs, it is searched first.
    #[test]
    fn an_approximate_match_is_found_among_many_sources_holding_its_words_scattered() {
        let resolution = misquoted_among_decoys(|i| {
            format!(
                "# Decoy {i}\n\nEvery week the numbers share what delegates agreed. \
                 To the data, {i} agreed.\n"
            )
        });
        assert_eq!(
            resolution.status,
            QuoteStatus::Misattributed,
            "{resolution:?}"
        );
        let found = resolution.found.as_ref().expect("found");
        assert_eq!(found.key, "zeta2020", "{resolution:?}");
        assert_eq!(found.kind, MatchKind::Approximate);
    }

    #[test]
    fn index_words_leave_out_ends_freed_by_alterations() {
        let text = |s: &str| PatternPiece::Text(s.to_string());
        let gap = PatternPiece::Gap { max: 10 };
        let hashes = |words: &[&str]| {
            let mut h: Vec<u32> = words.iter().map(|w| word_hash(w)).collect();
            h.sort_unstable();
            h
        };
        assert_eq!(
            index_words(&[
                gap.clone(),
                text("he tide turned"),
                gap.clone(),
                text("late")
            ]),
            hashes(&["tide", "turned", "late"])
        );
        assert_eq!(
            index_words(&[text("the tides"), gap.clone()]),
            hashes(&["the"])
        );
        assert_eq!(
            index_words(&[text("the tide the tide")]),
            hashes(&["the", "tide"])
        );
        assert!(index_words(&[text("和平")]).is_empty());
    }

    /// The bound's words that equal, split, merge and lose drop caps into one another, and
    /// words of scripts written without spaces, alone and glued to them (which the matcher
    /// splits apart).
    fn vocabulary() -> Vec<&'static str> {
        let glued = ["和", "tide和", "和turned", "中国", "ed中", "한국", "만"];
        crate::analysis::matcher::bound_vocabulary()
            .iter()
            .copied()
            .chain(glued)
            .collect()
    }

    fn plain_source(text: &str) -> Source {
        Source::new(
            "s".into(),
            PathBuf::from("/ws/s.txt"),
            crate::corpus::SourceFormat::Plain,
            text.to_string(),
            crate::corpus::SourceMeta::default(),
        )
    }

    /// A source text holding the quotation's words (`quote`) as extraction and editing leave
    /// them: each word kept, or replaced, split in two, glued to a char of a script written
    /// without spaces, followed by another word, put after a paragraph break, stripped of its
    /// first letter there (a drop cap), inside a longer word, or put after a paragraph of page
    /// furniture (another word); between random words.
    fn garbled(quote: &[&str], edits: &[(u8, &str)], before: &[&str], after: &[&str]) -> String {
        let mut words: Vec<String> = before.iter().map(|w| w.to_string()).collect();
        for (word, &(edit, other)) in quote.iter().zip(edits) {
            let second_char = word.char_indices().nth(1).map(|(at, _)| at);
            match (edit, second_char) {
                (0, _) => words.push(other.to_string()),
                (1, Some(at)) => words.push(format!("{} {}", &word[..at], &word[at..])),
                (2, _) => words.push(format!("{word}和")),
                (3, _) => words.push(format!("和{word}")),
                (4, _) => words.extend([word.to_string(), other.to_string()]),
                (5, _) => words.push(format!("\n\n{word}")),
                (6, Some(at)) => words.push(format!("\n\n{}", &word[at..])),
                (7, _) => words.push(format!("x{word}")),
                (8, _) => words.push(format!("{word}x")),
                (9, _) => words.push(format!("\n\n{other}\n\n{word}")),
                _ => words.push(word.to_string()),
            }
        }
        words.extend(after.iter().map(|w| w.to_string()));
        words.join(" ")
    }

    proptest::prop_compose! {
        /// A quotation of `words` words from `vocabulary` (elided in its middle or not) and a
        /// source text holding it `garbled`, with `around` words before and after it: edit codes
        /// below `edits_below` (codes from 10 up keep the word as it is).
        fn garbled_case(
            words: std::ops::Range<usize>,
            edits_below: u8,
            around: std::ops::Range<usize>,
        )(
            quote in proptest::collection::vec(proptest::sample::select(vocabulary()), words.clone()),
            elided in proptest::option::of(1usize..9),
            edits in proptest::collection::vec(
                (0u8..edits_below, proptest::sample::select(vocabulary())),
                words.end,
            ),
            before in proptest::collection::vec(proptest::sample::select(vocabulary()), around.clone()),
            after in proptest::collection::vec(proptest::sample::select(vocabulary()), around.clone()),
        ) -> (Vec<PatternPiece>, String) {
            (quote_elided_at(&quote, elided), garbled(&quote, &edits, &before, &after))
        }
    }

    /// `quote` as a pattern, elided after its `at`th word when that falls inside it.
    fn quote_elided_at(quote: &[&str], at: Option<usize>) -> Vec<PatternPiece> {
        match at.filter(|&at| at < quote.len()) {
            Some(at) => {
                let (head, tail) = quote.split_at(at);
                vec![
                    PatternPiece::Text(head.join(" ")),
                    PatternPiece::Gap { max: 40 },
                    PatternPiece::Text(tail.join(" ")),
                ]
            }
            None => vec![PatternPiece::Text(quote.join(" "))],
        }
    }

    /// `pattern` with an alteration at its start and at its end where `loose` says (`[T]he`):
    /// there the match may end inside a word.
    fn loosened(mut pattern: Vec<PatternPiece>, loose: (bool, bool)) -> Vec<PatternPiece> {
        if loose.0 {
            pattern.insert(0, PatternPiece::Gap { max: 3 });
        }
        if loose.1 {
            pattern.push(PatternPiece::Gap { max: 3 });
        }
        pattern
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// Wherever the exact tier finds a quotation (next to chars of scripts written without
        /// spaces, over paragraph breaks, inside words where an end is loose), the word pairs
        /// its source holds allow it: the pair filter never rules out an exact match.
        #[test]
        fn the_pair_filter_never_rules_out_what_the_exact_tier_finds(
            quote in proptest::collection::vec(proptest::sample::select(vocabulary()), 2..9),
            elided in proptest::option::of(1usize..9),
            loose in (proptest::bool::ANY, proptest::bool::ANY),
            edits in proptest::collection::vec(
                (
                    proptest::sample::select(vec![2u8, 3, 5, 7, 8, 9, 9, 9, 9]),
                    proptest::sample::select(vocabulary()),
                ),
                10,
            ),
            before in proptest::collection::vec(proptest::sample::select(vocabulary()), 0..6),
            after in proptest::collection::vec(proptest::sample::select(vocabulary()), 0..6),
        ) {
            let pattern = loosened(quote_elided_at(&quote, elided), loose);
            let source = plain_source(&garbled(&quote, &edits, &before, &after));
            if find_quote_exact(&pattern, haystack(&source), None).is_some() {
                proptest::prop_assert!(may_hold_exactly(&exact_pairs(&pattern), &source));
            }
        }

        /// A quotation interrupted by page furniture (a paragraph or two between its parts) is
        /// found the same with the source's table of the words at its breaks as by reading the
        /// key at every break: its parts ending in words glued to chars of scripts written
        /// without spaces, its first word inside a longer one where its start is loose.
        #[test]
        fn split_quotations_are_found_the_same_with_the_table_as_without(
            quote in proptest::collection::vec(proptest::sample::select(vocabulary()), 2..7),
            cuts in proptest::collection::vec(1usize..7, 1..3),
            junk in proptest::collection::vec(proptest::sample::select(vocabulary()), 1..4),
            loose in (proptest::bool::ANY, proptest::bool::ANY),
            inside_a_word in proptest::bool::ANY,
            before in proptest::collection::vec(proptest::sample::select(vocabulary()), 0..3),
        ) {
            let pattern = loosened(vec![PatternPiece::Text(quote.join(" "))], loose);
            let mut text = before.join(" ");
            for (i, word) in quote.iter().enumerate() {
                if i > 0 && cuts.contains(&i) {
                    text.push_str(&format!("\n\n{}\n\n", junk.join(" ")));
                } else {
                    text.push(' ');
                }
                if i == 0 && inside_a_word {
                    text.push('x');
                }
                text.push_str(word);
            }
            let source = plain_source(&text);
            let everywhere = find_quote_exact(&pattern, haystack(&source), None);
            let with_table = find_quote_exact(&pattern, haystack(&source), Some(&source));
            proptest::prop_assert_eq!(with_table, everywhere);
        }

        /// The exact tiers read the key only where the source's places say the quotation's
        /// whole words may be (here from the first search): the same occurrence as reading it
        /// all, with loose ends inside words, glued and split words, and the quotation's words
        /// repeated around it (occurrences that overlap, of which a scan takes the first).
        #[test]
        fn the_exact_tiers_find_the_same_with_the_places_as_without(
            quote in proptest::collection::vec(proptest::sample::select(vocabulary()), 1..7),
            elided in proptest::option::of(1usize..7),
            loose in (proptest::bool::ANY, proptest::bool::ANY),
            edits in proptest::collection::vec(
                (
                    proptest::sample::select(vec![2u8, 3, 5, 7, 8, 9, 9, 9, 9, 9, 9]),
                    proptest::sample::select(vocabulary()),
                ),
                7,
            ),
            repeats in proptest::collection::vec(0usize..7, 0..6),
            after in proptest::collection::vec(proptest::sample::select(vocabulary()), 0..4),
        ) {
            let pattern = loosened(quote_elided_at(&quote, elided), loose);
            // The quotation's own words before it, some repeated.
            let before: Vec<&str> = repeats
                .iter()
                .filter_map(|&i| quote.get(i % quote.len()).copied())
                .chain(quote.iter().copied())
                .collect();
            let source = plain_source(&garbled(&quote, &edits, &before, &after));
            let everywhere = find_quote_exact(&pattern, haystack(&source), None);
            let at_places = find_quote_exact(&pattern, haystack(&source), Some(&source));
            proptest::prop_assert_eq!(at_places, everywhere);
        }

        /// The approximate tier's fallback pass reads only the windows where a run of matched
        /// words may hide from the trigram anchors (extraction noise, page furniture, an
        /// elision the source has nothing for): reading every window it anchors finds the same,
        /// with the source's index or without.
        #[test]
        fn the_fallback_reads_every_window_that_may_hold_a_match(
            (pattern, text) in garbled_case(4..12, 16, 0..30),
            at_least in proptest::option::of(proptest::sample::select(vec![0.7f32, 1.0])),
        ) {
            let source = plain_source(&text);
            for index in [None, Some(&source as &dyn IndexedWords)] {
                proptest::prop_assert_eq!(
                    find_quote_approximate(&pattern, haystack(&source), at_least, index),
                    find_quote_approximate_everywhere(&pattern, haystack(&source), at_least, index)
                );
            }
        }

        /// Whatever the approximate tier finds in a source, its index allowed: ruling a source out
        /// (or a run of words in it) by its index never loses a match, nor a better one.
        #[test]
        fn the_index_never_rules_out_what_the_approximate_tier_finds(
            (pattern, text) in garbled_case(4..10, 16, 0..6),
        ) {
            let source = plain_source(&text);
            let found = find_quote_approximate(&pattern, haystack(&source), None, None);
            // Told the index, the search skips runs of words it cannot hold: the same result.
            proptest::prop_assert_eq!(
                &found,
                &find_quote_approximate(&pattern, haystack(&source), None, Some(&source))
            );
            if let Some(found) = found {
                proptest::prop_assert!(may_find_approximately(&pattern, &source, None));
                proptest::prop_assert!(may_find_approximately(
                    &pattern,
                    &source,
                    Some(found.score)
                ));
            }
        }

        /// Only a match word for word wanted (`at_least` 1): the runs of three words that rule
        /// a source out before any anchor is searched (`whole_match_ruled_out`) never rule out
        /// one that holds such a match, through drop caps, split and glued words, page
        /// furniture and elisions. Most words are kept, so that many sources do hold one.
        #[test]
        fn runs_ruling_out_a_match_word_for_word_never_lose_one(
            (pattern, text) in garbled_case(4..12, 40, 0..30),
        ) {
            let source = plain_source(&text);
            proptest::prop_assert_eq!(
                find_quote_approximate(&pattern, haystack(&source), Some(1.0), None),
                find_quote_approximate(&pattern, haystack(&source), Some(1.0), Some(&source))
            );
        }
    }

    /// Where half of a quotation's words are in the source only in other forms (split in two),
    /// the windows the source's word places rule out unread are still those
    /// that cannot hold a match: the match found reading every window is found.
    #[test]
    fn windows_ruled_out_by_the_places_could_not_hold_a_match() {
        let pattern = [PatternPiece::Text(
            "regional cooperation grew stronger across every river basin".into(),
        )];
        let filler = "the delegates met again in the spring ".repeat(40);
        let text = format!(
            "{filler}regional co operation gr ew stron ger acr oss every river basin. {filler}"
        );
        let source = plain_source(&text);
        let alone = find_quote_approximate(&pattern, haystack(&source), None, None);
        assert!(alone.is_some(), "found reading every window");
        // The first search builds the places (in tests); the second reads them.
        for _ in 0..2 {
            assert_eq!(
                find_quote_approximate(&pattern, haystack(&source), None, Some(&source)),
                alone
            );
        }
        assert!(
            source.places_of_word("river").is_some(),
            "the places are built"
        );
    }

    /// A quotation word for word but for page furniture jumped in its middle (a running head
    /// of over a kilobyte, within the jump's reach) is still found when only such a match is
    /// wanted, with the source's index; a source holding the same words with the furniture too
    /// long to jump has none, with its index or without.
    #[test]
    fn a_match_word_for_word_over_long_page_furniture_is_not_ruled_out() {
        let pattern = [PatternPiece::Text(
            "harbour dues rose sharply after wardens counted barges twice".into(),
        )];
        let paragraphs = "ledger entries were copied by hand.\n\n".repeat(30);
        let source_with = |furniture: usize| {
            let head = "running head ".repeat(furniture / 13);
            plain_source(&format!(
                "{paragraphs}harbour dues rose sharply after\n\n{head}\n\nwardens counted \
                 barges twice.\n\n{paragraphs}"
            ))
        };
        let found = |source: &Source, index: Option<&dyn IndexedWords>| {
            find_quote_approximate(&pattern, haystack(source), Some(1.0), index)
        };
        let within = source_with(1_400);
        assert!(found(&within, None).is_some(), "found reading every window");
        assert_eq!(found(&within, Some(&within)), found(&within, None));
        let beyond = source_with(2_000);
        assert_eq!(found(&beyond, None), None);
        assert_eq!(found(&beyond, Some(&beyond)), None);
    }

    /// A drop cap's remnant as the very first word of a source (no paragraph break before it)
    /// is still a form of the quotation's word the index allows: the match, word for word but
    /// for the lost letter, is found with the index as without it.
    #[test]
    fn a_remnant_opening_the_source_is_allowed_by_the_index() {
        let pattern = [PatternPiece::Text(
            "the tide turned when the delegates agreed".into(),
        )];
        let source = plain_source("he tide turned when the delegates agreed on the text.");
        let alone = find_quote_approximate(&pattern, haystack(&source), Some(1.0), None);
        assert!(alone.is_some(), "found reading the source");
        assert_eq!(
            find_quote_approximate(&pattern, haystack(&source), Some(1.0), Some(&source)),
            alone
        );
        assert!(may_find_approximately(&pattern, &source, Some(1.0)));
    }

    #[test]
    fn the_index_rules_out_sources_lacking_words_or_their_order() {
        let pattern = [PatternPiece::Text(
            "the tide turned when the delegates agreed".into(),
        )];
        let may_find =
            |text: &str, at_least| may_find_approximately(&pattern, &plain_source(text), at_least);
        assert!(may_find(
            "so the tide turned when the delegates agreed to it",
            None
        ));
        // Two words of seven missing: 5/7 still clears the floor, not a perfect score.
        assert!(may_find("the tide turned when the others met", None));
        assert!(!may_find("the tide turned when the others met", Some(1.0)));
        // Every word, but no three of them in a row.
        assert!(!may_find("agreed the delegates when turned tide the", None));
        // Every word, in runs: enough for the floor, not for a match without edits.
        assert!(may_find("the tide turned. when the delegates agreed", None));
        assert!(!may_find(
            "the tide turned then when the delegates agreed",
            Some(1.0)
        ));
        // A word glued to a script written without spaces is still a word of its own.
        assert!(may_find(
            "the tide turned和when the delegates agreed",
            Some(1.0)
        ));
        // A split word ("turn ed") and a drop cap ("ide" starting a paragraph) may still match.
        assert!(may_find(
            "the tide turn ed when the delegates agreed",
            Some(1.0)
        ));
        assert!(may_find(
            "x\n\nide turned when the delegates agreed",
            Some(0.9)
        ));
    }

    /// Words the sources of `corpus_of_words` are made of: few, so that every source holds most
    /// of them and a quotation has more candidates than are searched approximately.
    const PLAIN_WORDS: [&str; 12] = [
        "river",
        "levee",
        "storm",
        "data",
        "week",
        "delegates",
        "agreed",
        "share",
        "town",
        "harbour",
        "grain",
        "winter",
    ];

    /// Sources `s00`, `s01`... holding the words numbered in `texts`, one paragraph each.
    fn corpus_of_words(texts: &[Vec<usize>]) -> Corpus {
        let sources = texts
            .iter()
            .enumerate()
            .map(|(i, words)| {
                let words: Vec<&str> = words
                    .iter()
                    .filter_map(|&w| PLAIN_WORDS.get(w).copied())
                    .collect();
                Source::markdown_for_test(
                    &format!("s{i:02}"),
                    &format!("# S\n\n{}.\n", words.join(" ")),
                )
            })
            .collect();
        Corpus::from_sources(sources, Vec::new())
    }

    /// A note quoting, for each of `quotes` (source, first word, length, kind, cited source), a
    /// run of a source's words (kind 0), that run with one word replaced (kind 1), or words
    /// drawn at random (kind 2), citing the cited source or nothing (past the corpus's end).
    fn note_quoting(texts: &[Vec<usize>], quotes: &[(usize, usize, usize, u8, usize)]) -> Note {
        let mut note = String::new();
        for (i, &(source, start, len, kind, cited)) in quotes.iter().enumerate() {
            let words = texts.get(source % texts.len()).cloned().unwrap_or_default();
            let start = start % words.len().max(1);
            let mut run: Vec<usize> = words.iter().skip(start).take(len).copied().collect();
            match kind {
                1 => {
                    if let Some(word) = run.get_mut(len / 2) {
                        *word = (*word + 5) % PLAIN_WORDS.len();
                    }
                }
                2 => {
                    run = (0..len)
                        .map(|j| (i * 7 + j * 5 + source) % PLAIN_WORDS.len())
                        .collect()
                }
                _ => {}
            }
            let text: Vec<&str> = run
                .iter()
                .filter_map(|&w| PLAIN_WORDS.get(w).copied())
                .collect();
            let citation = if cited < texts.len() {
                format!(" [@s{cited:02}]")
            } else {
                String::new()
            };
            note.push_str(&format!("Quote {i}: \"{}\"{citation}.\n\n", text.join(" ")));
        }
        Note::parse(&note)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// After one source's text changes, every resolution `may_change_with_sources` keeps is
        /// the one a fresh resolution against the new corpus finds (its plan too).
        #[test]
        fn a_resolution_kept_after_a_source_change_equals_one_made_afresh(
            texts in proptest::collection::vec(
                proptest::collection::vec(0..PLAIN_WORDS.len(), 6..30),
                FULL_SEARCHES + 2..FULL_SEARCHES + 10,
            ),
            quotes in proptest::collection::vec(
                (0usize..40, 0usize..30, 4usize..9, 0u8..3, 0usize..60),
                1..6,
            ),
            changed in 0usize..40,
            new_text in proptest::collection::vec(0..PLAIN_WORDS.len(), 0..30),
        ) {
            let note = note_quoting(&texts, &quotes);
            let before = corpus_of_words(&texts);
            let changed = changed % texts.len();
            let mut changed_texts = texts.clone();
            changed_texts[changed] = new_text;
            let after = corpus_of_words(&changed_texts);
            let change = [SourceChange {
                index: changed,
                before: before.sources[changed].clone(),
                after: after.sources[changed].clone(),
            }];
            for quotation in &note.quotations {
                let earlier = resolve_quote(&note, quotation, &before);
                let fresh = resolve_quote(&note, quotation, &after);
                if !may_change_with_sources(&note, quotation, &earlier, &change, &after) {
                    proptest::prop_assert_eq!(&earlier, &fresh);
                }
                if let Some(plan) = &earlier.searched
                    && plan.reads(changed)
                {
                    proptest::prop_assert!(may_change_with_sources(
                        &note, quotation, &earlier, &change, &after
                    ));
                }
            }
        }
    }

    /// A misquotation searched across a corpus whose sources all hold its words is kept when a
    /// source its search did not read changes (and still holds its words), and searched again
    /// when one it read changes.
    #[test]
    fn a_change_to_a_source_the_search_did_not_read_keeps_the_resolution() {
        let texts: Vec<Vec<usize>> = (0..FULL_SEARCHES + 8)
            .map(|i| (0..20).map(|j| (i + j * 7) % PLAIN_WORDS.len()).collect())
            .collect();
        // Six words of the last source, one of them replaced, citing nothing.
        let note = note_quoting(&texts, &[(texts.len() - 1, 3, 6, 1, usize::MAX)]);
        let quotation = &note.quotations[0];
        let before = corpus_of_words(&texts);
        let earlier = resolve_quote(&note, quotation, &before);
        let plan = earlier
            .searched
            .clone()
            .expect("searched by the word index");
        let order = plan.approximate.clone().expect("searched approximately");
        assert_eq!(order.len(), FULL_SEARCHES);
        let change_to = |index: usize, words: Vec<usize>| {
            let mut changed = texts.clone();
            changed[index] = words;
            let after = corpus_of_words(&changed);
            let keeps = !may_change_with_sources(
                &note,
                quotation,
                &earlier,
                &[SourceChange {
                    index,
                    before: before.sources[index].clone(),
                    after: after.sources[index].clone(),
                }],
                &after,
            );
            (keeps, resolve_quote(&note, quotation, &after))
        };
        // A source not read gets its words in another order (the same words: the same ranks).
        let unread = (0..texts.len())
            .find(|&i| !plan.reads(i))
            .expect("a source not read");
        let mut reversed = texts[unread].clone();
        reversed.reverse();
        let (keeps, fresh) = change_to(unread, reversed);
        assert!(keeps);
        assert_eq!(fresh, earlier);
        // A source read is searched again, whatever it now holds.
        let read = order[0] as usize;
        let (keeps, _) = change_to(read, texts[read].clone());
        assert!(!keeps);
    }

    /// A quotation held word for word by several sources is named in the first of them in
    /// corpus order, and the search reads no source after it: a change to a later one keeps
    /// the resolution, one that takes the quotation out of the first moves it to the next.
    #[test]
    fn the_first_source_holding_a_quotation_word_for_word_ends_the_search() {
        // Sources of the same few words in different orders; three of them end with the run
        // quoted (the quotation's pairs are held by many others too).
        let run = [3, 9, 0, 6, 2, 11];
        let texts: Vec<Vec<usize>> = (0..16)
            .map(|i| {
                let mut words: Vec<usize> = (0..24).map(|j| (i * 5 + j * j + j) % 12).collect();
                if [3, 7, 12].contains(&i) {
                    words.extend(run);
                }
                words
            })
            .collect();
        let quoted: Vec<&str> = run.iter().map(|&w| PLAIN_WORDS[w]).collect();
        let note = Note::parse(&format!("Quote: \"{}\".\n", quoted.join(" ")));
        let quotation = &note.quotations[0];
        let before = corpus_of_words(&texts);
        let earlier = resolve_quote(&note, quotation, &before);
        assert_eq!(earlier.status, QuoteStatus::Uncited);
        assert_eq!(earlier.found.as_ref().map(|f| f.key.as_str()), Some("s03"));
        let plan = earlier
            .searched
            .clone()
            .expect("searched by the word index");
        assert_eq!(plan.approximate, None);
        assert_eq!(plan.exact.last(), Some(&3));
        assert!(!plan.reads(7) && !plan.reads(12));
        let change_to = |index: usize, words: Vec<usize>| {
            let mut changed = texts.clone();
            changed[index] = words;
            let after = corpus_of_words(&changed);
            let change = [SourceChange {
                index,
                before: before.sources[index].clone(),
                after: after.sources[index].clone(),
            }];
            let keeps = !may_change_with_sources(&note, quotation, &earlier, &change, &after);
            (keeps, resolve_quote(&note, quotation, &after))
        };
        // A later source holding it loses it: nothing the search read changed.
        let (keeps, fresh) = change_to(12, texts[12][..24].to_vec());
        assert!(keeps);
        assert_eq!(fresh, earlier);
        // The first loses it: searched again, found in the next.
        let (keeps, fresh) = change_to(3, texts[3][..24].to_vec());
        assert!(!keeps);
        assert_eq!(fresh.found.as_ref().map(|f| f.key.as_str()), Some("s07"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// The candidates holding the most word pairs, counted with the early stop and told
        /// which words they hold by the word index, are the first of all candidates sorted
        /// (stably) by the pairs they hold, each source asked for each word.
        #[test]
        fn the_most_pairs_are_the_first_of_a_full_ranking(
            texts in proptest::collection::vec(
                proptest::collection::vec(0..PLAIN_WORDS.len(), 0..24),
                0..40,
            ),
            quote in proptest::collection::vec(0..PLAIN_WORDS.len(), 2..10),
            k in 0usize..45,
        ) {
            let corpus = corpus_of_words(&texts);
            let words: Vec<&str> = quote.iter().map(|&w| PLAIN_WORDS[w]).collect();
            let pattern = [PatternPiece::Text(words.join(" "))];
            let index_words = index_words(&pattern);
            let pairs = word_pairs(adjacent_pairs(&pattern), &index_words);
            let candidates = corpus_candidates(&index_words, &corpus, |_| false);
            let holds = |source: &Source, hash: u32| source.words.contains_sorted(hash);
            let mut all: Vec<(usize, usize)> = candidates
                .iter()
                .enumerate()
                .map(|(position, candidate)| {
                    let source = candidate.source;
                    let held = pairs
                        .iter()
                        .filter(|pair| {
                            let (a, b) = (pair.first, pair.second);
                            holds(source, a)
                                && holds(source, b)
                                && (source.pairs.may_hold(a, b) || source.pairs.may_split(a, b))
                        })
                        .count();
                    (held, position)
                })
                .collect();
            all.sort_by_key(|&(held, _)| std::cmp::Reverse(held));
            all.truncate(k);
            proptest::prop_assert_eq!(most_pairs(&pairs, &candidates, k), all);
        }
    }
}

//! The passage index: every source split into sentences of its clean text, indexed by content-word
//! stems for BM25 retrieval, built lazily (a source is indexed the first time a claim needs it)
//! and shared by every note of a snapshot. A passage is a sentence with its neighbours (the
//! sentence before and after), so a claim that spans two sentences of the source still finds both.
//! Corpus-wide retrieval (which sources to look in for an uncited claim) uses the corpus's word
//! index, weighting each word by how few sources hold it. (A check answers its claims ahead of
//! time without these indexes, with the same results: see `retrieval`.)

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::lexicon::{
    HashedTokens, WordMemo, is_stop_word, lowercase, number_value, remembered, stem_hash,
};
use super::retrieval::AnsweredAhead;
use crate::ByteRange;
use crate::analysis::terms::sentences::split_sentences_with_breaks;
use crate::corpus::{Corpus, Source};
use crate::corpus::{is_indexed, word_hash};

/// BM25 parameters (the usual ones).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// One source's sentences and their BM25 postings.
///
/// Built for every source a claim cites in the server, so it is kept small: at 100 MB of sources,
/// the claims of the benchmark's notes index 1,574 sources, 342,504 sentences and 6.4 million
/// postings.
#[derive(Debug, Default)]
pub struct SourcePassages {
    /// Sentences, as `[start, end)` byte offsets into the source's clean text, in order.
    sentences: Vec<[u32; 2]>,
    /// The distinct stem hashes of the source, ascending. The postings of `stems[i]` start at
    /// byte `starts[i]` of `postings`.
    stems: Vec<u32>,
    starts: Vec<u32>,
    /// Each stem's postings, LEB128 varints: how many sentences hold the stem, then for each
    /// sentence (ascending) the gap from the previous one (from 0 for the first) shifted left
    /// by one, the low bit set when the stem occurs more than once there, then that count. Most
    /// postings take one byte (six as parallel `u32`/`u16` arrays).
    postings: Vec<u8>,
    /// Where to resume reading the postings of stems with more than `SKIP_EVERY` of them: one
    /// `Skip` per `SKIP_EVERY` postings after the first block, stem after stem; `skip_lists` says
    /// whose, by stem index.
    skips: Vec<Skip>,
    skip_lists: Vec<SkipList>,
    /// Content words per sentence.
    lengths: Vec<u16>,
    average_length: f32,
}

impl SourcePassages {
    pub fn build(source: &Source) -> SourcePassages {
        let text = source.clean.text.as_str();
        let sentences = sentence_bounds(source);
        let mut lengths = Vec::with_capacity(sentences.len());
        let mut ids = StemIds::for_text(text.len());
        // Each sentence's postings, sentence after sentence: the stem ids and counts apart (6
        // bytes a posting rather than 12 as tuples), sentence `s`'s up to `posting_ends[s]`.
        // Some one posting in ten bytes of prose: room for them at once (grown from empty, the
        // list was copied some twenty times over for a source of megabytes).
        let mut posting_ids: Vec<u32> = Vec::with_capacity(text.len() / 8);
        let mut posting_counts: Vec<u16> = Vec::with_capacity(text.len() / 8);
        let mut posting_ends: Vec<usize> = Vec::with_capacity(sentences.len());
        let mut counts = SentenceCounts::default();
        for (index, &[start, end]) in (0u32..).zip(&sentences) {
            counts.start(index);
            let mut length: u16 = 0;
            let sentence = text.get(start as usize..end as usize).unwrap_or("");
            for (token, key) in HashedTokens::new(sentence) {
                if let Some(id) = ids.of(sentence, token, key) {
                    counts.add(id);
                    length = length.saturating_add(1);
                }
            }
            for &(id, count) in counts.counted() {
                posting_ids.push(id);
                posting_counts.push(count);
            }
            posting_ends.push(posting_ids.len());
            lengths.push(length);
        }
        let stem_of = ids.stem_of;
        // Group the postings by stem id (a counting sort: each group stays in sentence order),
        // as (sentence, count) apart again.
        let mut group_starts = vec![0usize; stem_of.len() + 1];
        for &id in &posting_ids {
            if let Some(n) = group_starts.get_mut(id as usize + 1) {
                *n += 1;
            }
        }
        let mut total = 0;
        for start in &mut group_starts {
            total += *start;
            *start = total;
        }
        let mut grouped_sentences: Vec<u32> = vec![0; posting_ids.len()];
        let mut grouped_counts: Vec<u16> = vec![0; posting_ids.len()];
        let mut next = group_starts.clone();
        let mut first = 0;
        for (sentence, &end) in (0u32..).zip(&posting_ends) {
            let ids = posting_ids.get(first..end).unwrap_or_default();
            let counts = posting_counts.get(first..end).unwrap_or_default();
            for (&id, &count) in ids.iter().zip(counts) {
                if let Some(at) = next.get_mut(id as usize)
                    && let (Some(slot), Some(count_slot)) =
                        (grouped_sentences.get_mut(*at), grouped_counts.get_mut(*at))
                {
                    *slot = sentence;
                    *count_slot = count;
                    *at += 1;
                }
            }
            first = end;
        }
        drop((posting_ids, posting_counts, posting_ends));
        // The stems in ascending order, each with its group: (stem, id) in one `u64` each, which
        // sorts as the pairs would (the stems are distinct) at half the bytes moved.
        let mut by_stem: Vec<u64> = stem_of
            .iter()
            .zip(0u64..)
            .map(|(&stem, id)| u64::from(stem) << 32 | id)
            .collect();
        by_stem.sort_unstable();
        let mut stems = Vec::with_capacity(by_stem.len());
        let mut starts = Vec::with_capacity(by_stem.len());
        let mut bytes = Vec::with_capacity(grouped_sentences.len() * 2);
        let mut skips = Vec::new();
        let mut skip_lists = Vec::new();
        for packed in by_stem {
            let (stem, id) = (
                (packed >> 32) as u32,
                (packed & u64::from(u32::MAX)) as usize,
            );
            let bounds = group_starts
                .get(id..id + 2)
                .map_or(0..0, |bounds| bounds[0]..bounds[1]);
            let group_sentences = grouped_sentences.get(bounds.clone()).unwrap_or_default();
            let group_counts = grouped_counts.get(bounds).unwrap_or_default();
            let first_skip = skips.len();
            stems.push(stem);
            starts.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
            let held = u32::try_from(group_sentences.len()).unwrap_or(u32::MAX);
            push_varint(&mut bytes, held);
            let first_posting = bytes.len();
            let mut previous = 0;
            for ((&sentence, &count), read) in group_sentences.iter().zip(group_counts).zip(0u32..)
            {
                if read > 0 && (read as usize).is_multiple_of(SKIP_EVERY) {
                    skips.push(Skip {
                        before: previous,
                        at: u32::try_from(bytes.len() - first_posting).unwrap_or(u32::MAX),
                        remaining: held - read,
                    });
                }
                let gap = sentence - previous;
                previous = sentence;
                push_varint(&mut bytes, gap << 1 | u32::from(count > 1));
                if count > 1 {
                    push_varint(&mut bytes, u32::from(count));
                }
            }
            if skips.len() > first_skip {
                let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                skip_lists.push(SkipList {
                    stem: to_u32(stems.len() - 1),
                    first: to_u32(first_skip),
                    count: to_u32(skips.len() - first_skip),
                });
            }
        }
        drop((grouped_sentences, grouped_counts));
        bytes.shrink_to_fit();
        let average_length = average_length(&lengths);
        SourcePassages {
            sentences,
            stems,
            starts,
            postings: bytes,
            skips,
            skip_lists,
            lengths,
            average_length,
        }
    }

    /// How many sentences the source has.
    pub fn sentence_count(&self) -> usize {
        self.sentences.len()
    }

    /// Sentence `index`, as a range of the source's clean text.
    pub fn sentence(&self, index: usize) -> Option<ByteRange> {
        let [start, end] = *self.sentences.get(index)?;
        Some(start as usize..end as usize)
    }

    /// The postings of one stem: the sentences it occurs in (ascending) with how often, and
    /// how many there are.
    fn postings_of(&self, stem: u32) -> Postings<'_> {
        let at = self.stems.binary_search(&stem).ok();
        let found = at.and_then(|i| {
            let start = *self.starts.get(i)? as usize;
            self.postings.get(start..)
        });
        let mut bytes = found.unwrap_or(&[]);
        let remaining = if bytes.is_empty() {
            0
        } else {
            read_varint(&mut bytes)
        };
        let skips = at
            .and_then(|i| {
                let i = u32::try_from(i).ok()?;
                let list = self.skip_lists.binary_search_by_key(&i, |l| l.stem).ok()?;
                let SkipList { first, count, .. } = *self.skip_lists.get(list)?;
                self.skips
                    .get(first as usize..first as usize + count as usize)
            })
            .unwrap_or_default();
        Postings {
            bytes,
            all: bytes,
            remaining,
            sentence: 0,
            skips,
        }
    }

    /// How rare a stem is among this source's sentences (BM25's idf; a stem the source lacks
    /// gets the highest value).
    pub fn idf(&self, stem: u32) -> f32 {
        self.idf_of(self.postings_of(stem).remaining)
    }

    /// BM25's idf of a stem held by `holding` of the source's sentences.
    fn idf_of(&self, holding: u32) -> f32 {
        idf_of(self.sentences.len(), holding as usize)
    }

    /// The `limit` best sentences for `query` (distinct stem hashes), best first, with their
    /// BM25 scores; sentences matching nothing are left out (see `best_sentences`).
    pub fn search(&self, query: &[u32], limit: usize) -> Vec<(usize, f32)> {
        let terms = query
            .iter()
            .map(|&stem| {
                let postings = self.postings_of(stem);
                (self.idf_of(postings.remaining), postings, TERM_MOST)
            })
            .collect();
        best_sentences(terms, limit, &self.lengths, self.average_length)
    }

    /// The passage around sentence `index`: it and its neighbours, as a clean-text range.
    pub fn window(&self, index: usize) -> ByteRange {
        window_of(index, self.sentences.len(), |i| self.sentence(i))
    }
}

/// A source's sentences as the passage index takes them: `[start, end)` offsets into its clean
/// text, in order (those past 4 GB of clean text are not indexed).
pub(super) fn sentence_bounds(source: &Source) -> Vec<[u32; 2]> {
    split_sentences_with_breaks(&source.clean.text, &source.clean.breaks)
        .into_iter()
        .map_while(|range| {
            Some([
                u32::try_from(range.start).ok()?,
                u32::try_from(range.end).ok()?,
            ])
        })
        .collect()
}

/// The average of sentence `lengths` (in content words) that BM25 normalises by: at least 1.
pub(super) fn average_length(lengths: &[u16]) -> f32 {
    let average = if lengths.is_empty() {
        1.0
    } else {
        lengths.iter().map(|&l| f32::from(l)).sum::<f32>() / lengths.len() as f32
    };
    average.max(1.0)
}

/// BM25's idf of a stem held by `holding` of a source's `sentences`.
pub(super) fn idf_of(sentences: usize, holding: usize) -> f32 {
    let n = sentences as f32;
    let df = holding as f32;
    ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
}

/// The passage around sentence `index` of a source's `count` sentences (`sentence` tells where
/// each is): it and its neighbours, as a clean-text range.
pub(super) fn window_of(
    index: usize,
    count: usize,
    sentence: impl Fn(usize) -> Option<ByteRange>,
) -> ByteRange {
    let first = index.saturating_sub(1);
    let last = (index + 1).min(count.saturating_sub(1));
    match (sentence(first), sentence(last)) {
        (Some(a), Some(b)) => a.start..b.end.max(a.start),
        _ => 0..0,
    }
}

/// Dense ids of the stems of a source's tokens, in the order they are met (`stem_of[id]`), so
/// that the postings can be grouped by stem in one counting pass instead of sorted.
struct StemIds {
    stem_of: Vec<u32>,
    id_of_stem: foldhash::HashMap<u32, u32>,
    /// The stem id of each token (`NOT_CONTENT` for stop words and numbers).
    codes: TokenCodes,
}

/// The most distinct words a source's maps of words make room for at first (they grow past
/// them): a source of 4 MB or more.
const MAX_VOCABULARY_ROOM: usize = 1 << 16;

/// The id of a token that is not a content word.
pub(super) const NOT_CONTENT: u32 = u32::MAX;

/// Slots of `TokenCodes`' memo of the words met most (few in tests, so that words share slots
/// and push one another out).
const RECENT_TOKENS: usize = if cfg!(test) { 4 } else { 512 };

impl StemIds {
    /// Room for the words of a text of `bytes` bytes.
    fn for_text(bytes: usize) -> StemIds {
        StemIds {
            stem_of: Vec::new(),
            id_of_stem: foldhash::HashMap::with_capacity_and_hasher(
                vocabulary_room(bytes),
                Default::default(),
            ),
            codes: TokenCodes::for_text(bytes),
        }
    }

    /// The stem id of the token at `range` of `text`, whose `word_key` is `hash`; `None` when
    /// it is no content word.
    fn of(&mut self, text: &str, range: ByteRange, hash: u64) -> Option<u32> {
        let (stem_of, id_of_stem) = (&mut self.stem_of, &mut self.id_of_stem);
        let id = self.codes.code(text, range, hash, |token| {
            match memoized_content_stem(token, hash) {
                Some(stem) => *id_of_stem.entry(stem).or_insert_with(|| {
                    stem_of.push(stem);
                    u32::try_from(stem_of.len() - 1).unwrap_or(NOT_CONTENT)
                }),
                None => NOT_CONTENT,
            }
        });
        (id != NOT_CONTENT).then_some(id)
    }
}

/// How many distinct words a text of `bytes` bytes is given room for at first: some `n / 64`
/// (about a tenth of its words), at most `MAX_VOCABULARY_ROOM`: a source of megabytes has
/// fewer (its vocabulary grows slower than its text), and maps sized for `n / 64` had their every
/// page written (24 MB for a source of 48 MB).
fn vocabulary_room(bytes: usize) -> usize {
    (bytes / 64).min(MAX_VOCABULARY_ROOM)
}

/// What each token of a text is to a pass over it (a stem id, a query's slot, `NOT_CONTENT`...),
/// by its `word_key`, worked out once per distinct token: a source repeats its vocabulary. (No
/// comparison of the tokens themselves: stems are told apart by 32-bit hashes already.)
pub(super) struct TokenCodes {
    of_token: HashMap<u64, u32, HashedAlready>,
    /// The tokens met most, answered before the map (a few kilobytes, always in cache): (word
    /// key, code) by the key's low bits; a key of 0 is never taken from it (empty slots hold 0).
    recent: Vec<(u64, u32)>,
}

impl TokenCodes {
    /// Room for the tokens of a text of `bytes` bytes.
    pub(super) fn for_text(bytes: usize) -> TokenCodes {
        TokenCodes {
            of_token: HashMap::with_capacity_and_hasher(vocabulary_room(bytes), HashedAlready),
            recent: vec![(0, NOT_CONTENT); RECENT_TOKENS],
        }
    }

    /// The code of the token at `range` of `text`, whose `word_key` is `key`: `tell` works it
    /// out from the token the first time the token is met.
    #[inline]
    pub(super) fn code(
        &mut self,
        text: &str,
        range: ByteRange,
        key: u64,
        tell: impl FnOnce(&str) -> u32,
    ) -> u32 {
        let at = key as usize % RECENT_TOKENS;
        if let Some(&(seen, code)) = self.recent.get(at)
            && seen == key
            && seen != 0
        {
            return code;
        }
        let code = match self.of_token.get(&key) {
            Some(&code) => code,
            None => {
                let code = tell(text.get(range).unwrap_or(""));
                self.of_token.insert(key, code);
                code
            }
        };
        if let Some(slot) = self.recent.get_mut(at) {
            *slot = (key, code);
        }
        code
    }
}

/// How often each stem occurs in the sentence being indexed, in the order first met.
#[derive(Default)]
struct SentenceCounts {
    /// (stem id, count).
    counts: Vec<(u32, u16)>,
    /// By stem id: the sentence it was last counted in (`marker`), and where in `counts`.
    seen: Vec<(u32, u32)>,
    /// The sentence at hand, plus one (0 marks no sentence).
    marker: u32,
}

impl SentenceCounts {
    /// Starts counting sentence `index`.
    fn start(&mut self, index: u32) {
        self.counts.clear();
        self.marker = index.saturating_add(1);
    }

    /// Counts one occurrence of stem `id`.
    fn add(&mut self, id: u32) {
        let stem = id as usize;
        if self.seen.len() <= stem {
            self.seen.resize(stem + 1, (0, 0));
        }
        let Some(seen) = self.seen.get_mut(stem) else {
            return;
        };
        if seen.0 == self.marker
            && let Some((_, count)) = self.counts.get_mut(seen.1 as usize)
        {
            *count = count.saturating_add(1);
        } else {
            *seen = (
                self.marker,
                u32::try_from(self.counts.len()).unwrap_or(u32::MAX),
            );
            self.counts.push((id, 1));
        }
    }

    /// The counts of the sentence at hand.
    fn counted(&self) -> &[(u32, u16)] {
        &self.counts
    }
}

/// Builds the hasher of a map whose keys are hashes already (`word_key`): a key is its own hash.
#[derive(Clone, Copy, Default)]
struct HashedAlready;

impl std::hash::BuildHasher for HashedAlready {
    type Hasher = KeyAsHash;

    fn build_hasher(&self) -> KeyAsHash {
        KeyAsHash(0)
    }
}

/// The hasher of `HashedAlready`: the `u64` written is the hash.
struct KeyAsHash(u64);

impl std::hash::Hasher for KeyAsHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed so; anything else is folded in, byte by byte.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

thread_local! {
    /// The `content_stem` of each token this thread met, by the token's `word_key`: sources share
    /// their vocabulary, and telling a new word's stem (its lowercase, whether it is a number or
    /// a stop word, then its stem) cost as much as indexing the rest of a source.
    static CONTENT_STEMS: WordMemo<Option<u32>> = WordMemo::default();
}

/// `content_stem(token)`, remembered by the thread under `key` (the token's `word_key`).
pub(super) fn memoized_content_stem(token: &str, key: u64) -> Option<u32> {
    remembered(&CONTENT_STEMS, key, || content_stem(token))
}

/// The stem hash of a token that is a content word (not a number, not a stop word).
fn content_stem(token: &str) -> Option<u32> {
    // Most tokens are lowercase already: no copy then.
    let plain = token
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let lowered;
    let lower = if plain {
        token
    } else {
        lowered = lowercase(token);
        lowered.as_str()
    };
    (number_value(token).is_none() && !is_stop_word(lower)).then(|| stem_hash(lower))
}

/// The `limit` best sentences for a query whose stems (in query order) have `terms` (each one's
/// idf, postings and the most its term can be in a sentence per unit of idf: `term_most`, or
/// `TERM_MOST` for any stem), best first, with their BM25 scores; sentences matching nothing are
/// left out. Sentence `s` is `lengths[s]` content words long, `average_length` on average.
///
/// Sentence by sentence across the stems' postings, each sentence's terms added in query
/// order (as scoring stem by stem would: the same sums), keeping the best `limit` so far. Once
/// that many are kept, the weakest stems whose terms together cannot reach the last of them
/// (a stem's term is at most its idf × its most) no longer put sentences forward: one holding
/// only those stems cannot rank (MaxScore). A sentence the others put forward looks for the
/// weak stems from the strongest down only while what it holds so far and what the rest could
/// add may still reach the last kept. (The postings of a large source's common stems name a
/// sentence in ten: all scored, then sorted, they took a third of a check of sources of 30 MB;
/// each one put forward looking for every stem, a quarter of a check of sources of 46 MB.)
pub(super) fn best_sentences<C: PostingCursor>(
    terms: Vec<(f32, C, f32)>,
    limit: usize,
    lengths: &[u16],
    average_length: f32,
) -> Vec<(usize, f32)> {
    let mut best: Vec<(usize, f32)> = Vec::with_capacity(limit + 1);
    if limit == 0 {
        return best;
    }
    let mut terms: Vec<QueryTerm<C>> = terms
        .into_iter()
        .filter_map(|(idf, mut postings, most)| {
            let next = postings.next_posting()?;
            Some(QueryTerm {
                idf,
                most: idf * most.min(TERM_MOST),
                postings,
                next: Some(next),
            })
        })
        .collect();
    // The stems from the weakest, and what the weakest `i` can add up to at most (with room
    // for rounding): `reach[i]`.
    let mut by_bound: Vec<usize> = (0..terms.len()).collect();
    by_bound.sort_by(|&a, &b| {
        let most = |t: usize| terms.get(t).map_or(0.0, |term| term.most);
        most(a).total_cmp(&most(b))
    });
    let mut reach = Vec::with_capacity(terms.len() + 1);
    let mut sum = 0.0f32;
    reach.push(sum);
    for &t in &by_bound {
        sum += terms.get(t).map_or(0.0, |term| term.most);
        reach.push(sum * (1.0 + ROUNDING));
    }
    // Each stem's term in the sentence being scored (0 when it does not hold the stem).
    let mut held = vec![0.0f32; terms.len()];
    // The weakest `weak` stems put no sentence forward.
    let mut weak = 0;
    'sentences: loop {
        let (weakest, proposing) = by_bound.split_at(weak.min(by_bound.len()));
        let Some(sentence) = proposing
            .iter()
            .filter_map(|&t| Some(terms.get(t)?.next?.0))
            .min()
        else {
            break;
        };
        let length = f32::from(lengths.get(sentence as usize).copied().unwrap_or(0));
        let norm = K1 * (1.0 - B + B * length / average_length);
        // The score a sentence must pass to rank, once `limit` are kept.
        let floor = best
            .last()
            .filter(|_| best.len() == limit)
            .map(|&(_, last)| last);
        let mut so_far = 0.0f32;
        for &t in proposing {
            if let (Some(term), Some(term_held)) = (terms.get_mut(t), held.get_mut(t)) {
                *term_held = term.take(sentence, norm);
                so_far += *term_held;
            }
        }
        for (i, &t) in weakest.iter().enumerate().rev() {
            // Stems `weakest[..=i]` are still to be looked for.
            if let Some(floor) = floor
                && so_far * (1.0 + ROUNDING) + reach.get(i + 1).copied().unwrap_or(f32::MAX) < floor
            {
                continue 'sentences;
            }
            if let (Some(term), Some(term_held)) = (terms.get_mut(t), held.get_mut(t)) {
                if term.next.is_some_and(|(s, _)| s < sentence) {
                    term.next = term.postings.advance_to(sentence);
                }
                *term_held = term.take(sentence, norm);
                so_far += *term_held;
            }
        }
        // Added in query order (a stem not held adds 0).
        let score = held.iter().fold(0.0f32, |score, &term| score + term);
        // Ties rank in sentence order: a later sentence scoring the same as the last kept
        // does not displace it (most do not reach it).
        let ranks = floor.is_none_or(|last| score.total_cmp(&last).is_gt());
        if ranks {
            let at = best.partition_point(|&(_, kept)| kept.total_cmp(&score).is_ge());
            best.insert(at, (sentence as usize, score));
            best.truncate(limit);
        }
        if best.len() == limit
            && let Some(&(_, floor)) = best.last()
        {
            while reach.get(weak + 1).is_some_and(|&most| most < floor) {
                weak += 1;
            }
        }
    }
    best
}

/// Room for rounding in `best_sentences`' bounds: sums in another order may differ in the last
/// bits.
const ROUNDING: f32 = 1e-3;

/// The most a stem's BM25 term can be in any sentence, per unit of its idf: tf / (tf + norm) is
/// below 1.
pub(super) const TERM_MOST: f32 = K1 + 1.0;

/// The most a stem's BM25 term is, per unit of its idf, in the sentences its `postings` name
/// (sentence `s` being `lengths[s]` content words long, `average_length` on average): what a
/// sentence holding it many times, or a short one, makes of it. Below `TERM_MOST` (1 against
/// 2.2 for a stem held once a sentence, in sentences no shorter than the average): a tighter
/// bound lets `best_sentences` set more stems aside.
pub(super) fn term_most(
    mut postings: impl PostingCursor,
    lengths: &[u16],
    average_length: f32,
) -> f32 {
    let mut most = 0.0f32;
    while let Some((sentence, count)) = postings.next_posting() {
        let length = f32::from(lengths.get(sentence as usize).copied().unwrap_or(0));
        let norm = K1 * (1.0 - B + B * length / average_length);
        let tf = f32::from(count);
        most = most.max(tf * (K1 + 1.0) / (tf + norm));
    }
    most
}

/// A stem of a query being searched for: its idf, and its postings from the next one.
struct QueryTerm<C> {
    idf: f32,
    /// The most its term can be in a sentence.
    most: f32,
    postings: C,
    next: Option<(u32, u16)>,
}

impl<C: PostingCursor> QueryTerm<C> {
    /// The stem's BM25 term in `sentence` (whose length norm is `norm`), read past, when the
    /// next posting is there; 0 otherwise.
    fn take(&mut self, sentence: u32, norm: f32) -> f32 {
        match self.next {
            Some((s, count)) if s == sentence => {
                self.next = self.postings.next_posting();
                let tf = f32::from(count);
                self.idf * tf * (K1 + 1.0) / (tf + norm)
            }
            _ => 0.0,
        }
    }
}

/// A stem's postings, (sentence, count) in sentence order, as `best_sentences` reads them.
pub(super) trait PostingCursor {
    /// The next posting.
    fn next_posting(&mut self) -> Option<(u32, u16)>;
    /// The first posting not read yet whose sentence is `target` or later (those before it
    /// passed over).
    fn advance_to(&mut self, target: u32) -> Option<(u32, u16)>;
}

impl PostingCursor for Postings<'_> {
    fn next_posting(&mut self) -> Option<(u32, u16)> {
        self.next()
    }

    fn advance_to(&mut self, target: u32) -> Option<(u32, u16)> {
        Postings::advance_to(self, target)
    }
}

/// Postings read between skips (`SourcePassages::skips`): a stem's common enough to have them
/// name a sentence in ten or more of a large source's, and the search reads a weak stem's
/// postings only up to the sentences the others put forward.
const SKIP_EVERY: usize = if cfg!(test) { 4 } else { 128 };

/// Where reading a stem's postings may resume: at posting `held - remaining` (a multiple of
/// `SKIP_EVERY`), `at` bytes into them, the posting before it in sentence `before`.
#[derive(Debug, Clone, Copy)]
struct Skip {
    before: u32,
    at: u32,
    remaining: u32,
}

/// The skips of one stem's postings: `skips[first..first + count]`, the stem `stems[stem]`.
#[derive(Debug, Clone, Copy)]
struct SkipList {
    stem: u32,
    first: u32,
    count: u32,
}

/// One stem's postings, decoded as they are read: (sentence, count).
struct Postings<'a> {
    /// The postings not read yet.
    bytes: &'a [u8],
    /// All of them (what a skip's `at` counts from).
    all: &'a [u8],
    remaining: u32,
    /// The sentence of the posting read last (0 before the first).
    sentence: u32,
    /// The skips not passed yet.
    skips: &'a [Skip],
}

impl Postings<'_> {
    /// The first posting not read yet whose sentence is `target` or later; the postings before
    /// it are passed over, a block of `SKIP_EVERY` at a time when the skips allow.
    fn advance_to(&mut self, target: u32) -> Option<(u32, u16)> {
        let mut resume = None;
        while let Some((skip, rest)) = self.skips.split_first()
            && skip.before < target
        {
            // A skip ahead of what was read: every posting up to it comes before `target`.
            if skip.remaining <= self.remaining {
                resume = Some(*skip);
            }
            self.skips = rest;
        }
        if let Some(skip) = resume
            && let Some(bytes) = self.all.get(skip.at as usize..)
        {
            self.bytes = bytes;
            self.remaining = skip.remaining;
            self.sentence = skip.before;
        }
        self.find(|&(sentence, _)| sentence >= target)
    }
}

impl Iterator for Postings<'_> {
    type Item = (u32, u16);

    fn next(&mut self) -> Option<(u32, u16)> {
        if self.remaining == 0 || self.bytes.is_empty() {
            return None;
        }
        self.remaining -= 1;
        let value = read_varint(&mut self.bytes);
        self.sentence = self.sentence.saturating_add(value >> 1);
        let count = if value & 1 == 1 {
            u16::try_from(read_varint(&mut self.bytes)).unwrap_or(u16::MAX)
        } else {
            1
        };
        Some((self.sentence, count))
    }
}

/// Appends `value` as a LEB128 varint (seven bits a byte, low first; the high bit says more).
fn push_varint(bytes: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        bytes.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

/// Reads a LEB128 varint off the front of `bytes` (what is there of it: an encoding cut short
/// reads as what it holds so far).
fn read_varint(bytes: &mut &[u8]) -> u32 {
    let mut value: u32 = 0;
    let mut shift = 0;
    while let Some((&byte, rest)) = bytes.split_first() {
        *bytes = rest;
        if shift < 32 {
            value |= u32::from(byte & 0x7f) << shift;
        }
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    value
}

/// Every source's passages, built on first use, and what some sources answered ahead of time
/// (`answer_ahead`). Belongs to one corpus (same source indices).
#[derive(Debug, Default)]
pub struct PassageIndex {
    pub(super) sources: Vec<OnceLock<Arc<SourcePassages>>>,
    pub(super) answered: AnsweredAhead,
}

impl PassageIndex {
    /// An empty index for `corpus` (nothing is built until asked for).
    pub fn new(corpus: &Corpus) -> PassageIndex {
        PassageIndex {
            sources: (0..corpus.sources.len()).map(|_| OnceLock::new()).collect(),
            answered: AnsweredAhead::default(),
        }
    }

    /// Whether the passages of the source at `index` have been indexed (not merely answered
    /// ahead of time).
    pub fn is_indexed(&self, index: usize) -> bool {
        self.sources
            .get(index)
            .is_some_and(|slot| slot.get().is_some())
    }

    /// The index of a corpus in which only the sources at `changed` differ from the one this
    /// index belongs to (same number and order of sources): the passages built for every other
    /// source are kept, the changed sources' are built again when asked for.
    pub fn with_sources_changed(&self, changed: &[usize]) -> PassageIndex {
        PassageIndex {
            sources: self
                .sources
                .iter()
                .enumerate()
                .map(|(index, slot)| match slot.get() {
                    Some(passages) if !changed.contains(&index) => {
                        OnceLock::from(Arc::clone(passages))
                    }
                    _ => OnceLock::new(),
                })
                .collect(),
            answered: self.answered.without_sources(changed),
        }
    }

    /// The passages of the source at `index` in `corpus`.
    pub fn passages(&self, corpus: &Corpus, index: usize) -> Option<Arc<SourcePassages>> {
        let source = corpus.sources.get(index)?;
        let slot = self.sources.get(index)?;
        Some(
            slot.get_or_init(|| {
                let passages = SourcePassages::build(source);
                // Indexed: only the passages a claim is compared with are read again.
                source.release_pages();
                Arc::new(passages)
            })
            .clone(),
        )
    }
}

/// The sources most likely to hold `text`'s content words, best first: each source scores the
/// sum, over the content words it holds, of `ln(sources / sources holding the word)`.
pub fn rank_sources(corpus: &Corpus, text: &str, limit: usize) -> Vec<usize> {
    let index = corpus.word_index();
    let total = index.source_count();
    if total == 0 {
        return Vec::new();
    }
    let key = crate::corpus::normalize::normalize_key(text);
    let mut words: Vec<u32> = key
        .text
        .split(' ')
        .filter(|w| is_indexed(w) && !is_stop_word(w) && w.chars().count() > 1)
        .map(word_hash)
        .collect();
    words.sort_unstable();
    words.dedup();
    let mut scores = vec![0f32; total];
    for word in words {
        let holders = index.sources_with(word);
        if holders.is_empty() || holders.len() == total && total > 1 {
            continue;
        }
        let weight = (total as f32 / holders.len() as f32).ln() + 0.1;
        for source in holders.iter() {
            if let Some(score) = scores.get_mut(source as usize) {
                *score += weight;
            }
        }
    }
    let ranked = scores
        .into_iter()
        .enumerate()
        .filter(|&(_, score)| score > 0.0)
        .collect();
    best_first(ranked, limit)
        .into_iter()
        .map(|(i, _)| i)
        .collect()
}

/// The `limit` best of `ranked` (items, each once, with their scores), best first and ties in
/// item order. Only they are sorted: a corpus of 16,000 sources may score most of them, a large
/// source's common stems thousands of its sentences.
fn best_first(mut ranked: Vec<(usize, f32)>, limit: usize) -> Vec<(usize, f32)> {
    // A total order: no two items are the same.
    let order = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if limit == 0 {
        return Vec::new();
    }
    if ranked.len() > limit {
        ranked.select_nth_unstable_by(limit - 1, order);
        ranked.truncate(limit);
    }
    ranked.sort_unstable_by(order);
    ranked
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::analysis::claims::lexicon::{WORDS_REMEMBERED, word_key};

    fn source(key: &str, text: &str) -> Source {
        Source::markdown_for_test(key, text)
    }

    fn query(words: &str) -> Vec<u32> {
        let mut q: Vec<u32> = words.split(' ').map(stem_hash).collect();
        q.sort_unstable();
        q.dedup();
        q
    }

    #[test]
    fn bm25_ranks_the_sentence_holding_the_rare_words_first() {
        let s = source(
            "a",
            "The river rose in spring. The levee held through the storm.\n\n\
             Farmers planted late that year. The storm flooded the lower fields.",
        );
        let passages = SourcePassages::build(&s);
        assert_eq!(passages.sentence_count(), 4);
        let best = passages.search(&query("levee storm held"), 2);
        assert_eq!(best.first().map(|b| b.0), Some(1));
        assert_eq!(best.get(1).map(|b| b.0), Some(3));
        assert!(passages.search(&query("absent"), 3).is_empty());
        let window = passages.window(0);
        assert_eq!(
            &s.clean.text[window],
            "The river rose in spring. The levee held through the storm."
        );
    }

    #[test]
    fn postings_read_back_every_sentence_and_count_of_a_stem() {
        // 300 sentences: gaps of more than 63 sentences take two bytes, counts above one a
        // second varint.
        let text: String = (0..300)
            .map(|i| match i {
                0 | 250 => "The harbour froze over.".to_string(),
                _ if i % 7 == 0 => "Barges and barges and more barges waited.".to_string(),
                _ => "Barges waited at the quay.".to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        let passages = SourcePassages::build(&source("a", &text));
        assert_eq!(passages.sentence_count(), 300);
        let postings = |word: &str| passages.postings_of(stem_hash(word)).collect::<Vec<_>>();
        assert_eq!(postings("harbour"), vec![(0, 1), (250, 1)]);
        let expected: Vec<(u32, u16)> = (1..300)
            .filter(|&i| i != 250)
            .map(|i| (i, if i % 7 == 0 { 3 } else { 1 }))
            .collect();
        assert_eq!(postings("barges"), expected);
        assert_eq!(postings("quay").len(), 298 - 42); // all but 0, 250 and the 42 multiples of 7
        assert!(postings("absent").is_empty());
        // A rarer stem weighs more; an absent one most.
        assert!(passages.idf(stem_hash("harbour")) > passages.idf(stem_hash("barges")));
        assert!(passages.idf(stem_hash("absent")) > passages.idf(stem_hash("harbour")));
        assert_eq!(passages.search(&query("harbour froze"), 5).len(), 2);
    }

    /// Up to `sentences` sentences of up to `words` words drawn from `vocabulary`.
    pub(in crate::analysis::claims) fn sentences_of(
        vocabulary: Vec<&'static str>,
        words: usize,
        sentences: usize,
    ) -> impl proptest::strategy::Strategy<Value = Vec<Vec<&'static str>>> {
        proptest::collection::vec(
            proptest::collection::vec(proptest::sample::select(vocabulary), 1..words),
            1..sentences,
        )
    }

    /// The sentences as a source's text, each opened by `Then` (so that none starts with a
    /// word that may not start one) and closed by a full stop.
    /// The sentences as a source's text.
    pub(in crate::analysis::claims) fn text_of(sentences: &[Vec<&str>]) -> String {
        sentences
            .iter()
            .map(|words| format!("Then {}.", words.join(" ")))
            .collect::<Vec<_>>()
            .join(" ")
    }

    proptest::proptest! {
        /// Every stem's postings are the sentences holding it, in order, each with how often:
        /// as read sentence by sentence, word by word.
        #[test]
        fn postings_hold_each_stems_sentences_in_order(
            sentences in sentences_of(
                vec![
                    "Barges", "barges", "barge", "the", "The", "quay", "Quays", "12", "twelve",
                    "froze", "harbour", "Harbours", "and", "waited",
                ],
                8,
                40,
            )
        ) {
            let passages = SourcePassages::build(&source("a", &text_of(&sentences)));
            proptest::prop_assert_eq!(passages.sentence_count(), sentences.len());
            let mut expected: std::collections::BTreeMap<u32, Vec<(u32, u16)>> =
                std::collections::BTreeMap::new();
            for (index, words) in sentences.iter().enumerate() {
                let mut counts: std::collections::BTreeMap<u32, u16> =
                    std::collections::BTreeMap::new();
                for word in std::iter::once(&"Then").chain(words) {
                    if let Some(stem) = content_stem(word) {
                        *counts.entry(stem).or_default() += 1;
                    }
                }
                for (stem, count) in counts {
                    expected.entry(stem).or_default().push((index as u32, count));
                }
            }
            proptest::prop_assert_eq!(&passages.stems, &expected.keys().copied().collect::<Vec<_>>());
            for (stem, postings) in &expected {
                proptest::prop_assert_eq!(&passages.postings_of(*stem).collect::<Vec<_>>(), postings);
            }
        }
    }

    proptest::proptest! {
        /// Advancing through a stem's postings to ever later sentences (over skips where it can)
        /// finds what reading them one by one finds: the first posting at or past each target.
        #[test]
        fn advancing_over_skips_finds_what_reading_one_by_one_finds(
            sentences in sentences_of(vec!["quay", "quay", "quay", "harbour", "froze"], 5, 120),
            steps in proptest::collection::vec(0u32..30, 1..20),
        ) {
            let passages = SourcePassages::build(&source("a", &text_of(&sentences)));
            for stem in [stem_hash("quay"), stem_hash("harbour"), stem_hash("froze")] {
                let all: Vec<(u32, u16)> = passages.postings_of(stem).collect();
                let mut postings = passages.postings_of(stem);
                let mut target = 0;
                let mut read = 0;
                for step in &steps {
                    target += step;
                    let expected = all.iter().skip(read).find(|p| p.0 >= target).copied();
                    proptest::prop_assert_eq!(postings.advance_to(target), expected);
                    read = expected.map_or(all.len(), |p| all.iter().position(|q| *q == p).unwrap_or(0) + 1);
                }
            }
            // Long enough lists have skips (the test's `SKIP_EVERY` is 4).
            let quays = passages.postings_of(stem_hash("quay")).remaining as usize;
            proptest::prop_assert_eq!(
                !passages.postings_of(stem_hash("quay")).skips.is_empty(),
                quays > SKIP_EVERY
            );
        }
    }

    /// The `limit` best sentences for `q` by scoring every sentence holding a stem of it (its
    /// BM25 terms added in query order) and sorting them all.
    fn scored_by_every_sentence(
        passages: &SourcePassages,
        q: &[u32],
        limit: usize,
    ) -> Vec<(usize, f32)> {
        let mut scores: std::collections::BTreeMap<usize, f32> = std::collections::BTreeMap::new();
        for &stem in q {
            let postings = passages.postings_of(stem);
            if postings.remaining == 0 {
                continue;
            }
            let idf = passages.idf_of(postings.remaining);
            for (sentence, count) in postings {
                let length = f32::from(passages.lengths[sentence as usize]);
                let tf = f32::from(count);
                let norm = K1 * (1.0 - B + B * length / passages.average_length);
                *scores.entry(sentence as usize).or_default() +=
                    idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut expected: Vec<(usize, f32)> = scores.into_iter().collect();
        expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        expected.truncate(limit);
        expected
    }

    proptest::proptest! {
        /// The best sentences are those of scoring every sentence holding a stem of the query
        /// and sorting them all.
        #[test]
        fn search_ranks_as_sorting_every_sentence_scored(
            sentences in sentences_of(
                vec!["barges", "quay", "froze", "harbour", "waited", "levee", "storm", "held"],
                6,
                60,
            ),
            query_words in proptest::collection::vec(
                proptest::sample::select(vec!["barges", "quay", "froze", "harbour", "absent"]),
                0..4,
            ),
            limit in 0usize..8,
        ) {
            let passages = SourcePassages::build(&source("a", &text_of(&sentences)));
            let q = query(&query_words.join(" "));
            proptest::prop_assert_eq!(passages.search(&q, limit), scored_by_every_sentence(&passages, &q, limit));
        }

        /// The same with stems from common to rare, where the search stops taking sentences
        /// from the common ones once the best kept are out of their reach.
        #[test]
        fn search_ranks_as_sorting_with_common_and_rare_stems(
            sentences in sentences_of(
                vec![
                    "harbour", "harbour", "harbour", "harbour", "harbour", "harbour", "quay",
                    "quay", "quay", "barges", "barges", "froze", "levee", "storm", "waited",
                ],
                7,
                150,
            ),
            query_words in proptest::collection::vec(
                proptest::sample::select(
                    vec!["harbour", "quay", "barges", "froze", "levee", "storm", "waited"],
                ),
                1..6,
            ),
            limit in 1usize..6,
        ) {
            let passages = SourcePassages::build(&source("a", &text_of(&sentences)));
            let q = query(&query_words.join(" "));
            proptest::prop_assert_eq!(passages.search(&q, limit), scored_by_every_sentence(&passages, &q, limit));
        }
    }

    #[test]
    fn remembered_content_stems_are_the_stems_told_afresh() {
        let tokens = [
            "Treaty", "treaty", "the", "1990s", "twelve", "Xi’s", "signed", "ports", "of", "de",
            "Ports", "harbour", "harbours",
        ];
        // A few tokens asked again and again (remembered), then more than are held.
        for asked in [&tokens[..5], &tokens[..5], &tokens[..], &tokens[..]] {
            for &token in asked {
                assert_eq!(
                    memoized_content_stem(token, word_key(token)),
                    content_stem(token),
                    "{token}"
                );
            }
        }
        assert!(CONTENT_STEMS.with(|memo| memo.borrow().len()) <= WORDS_REMEMBERED);
    }

    #[test]
    fn varints_read_back_what_was_written() {
        let values = [0, 1, 127, 128, 300, 16_383, 16_384, u32::MAX >> 1, u32::MAX];
        let mut bytes = Vec::new();
        for &value in &values {
            push_varint(&mut bytes, value);
        }
        let mut rest = bytes.as_slice();
        let read: Vec<u32> = values.iter().map(|_| read_varint(&mut rest)).collect();
        assert_eq!(read, values);
        assert!(rest.is_empty());
        // Cut short: what there is, never a panic.
        assert_eq!(read_varint(&mut &[0x81][..]), 1);
        assert_eq!(read_varint(&mut &[][..]), 0);
    }

    /// The best few are the head of the whole ranking, ties in source order.
    #[test]
    fn the_best_sources_are_the_head_of_the_whole_ranking() {
        let words = [
            "levee", "river", "town", "storm", "harbour", "canal", "barge",
        ];
        let sources: Vec<Source> = (0..24)
            .map(|i| {
                let text: Vec<&str> = words
                    .iter()
                    .enumerate()
                    .filter(|(w, _)| (i * 7 + w * 3) % 5 < 2)
                    .map(|(_, word)| *word)
                    .collect();
                source(
                    &format!("s{i}"),
                    &format!("The {}.", text.join(" and the ")),
                )
            })
            .collect();
        let corpus = Corpus::from_sources(sources, Vec::new());
        let claim = "The levee and the storm and the canal by the town";
        let all = rank_sources(&corpus, claim, 24);
        assert!(all.len() > 10, "{all:?}");
        for limit in 0..all.len() {
            assert_eq!(rank_sources(&corpus, claim, limit), all[..limit], "{limit}");
        }
    }

    #[test]
    fn corpus_ranking_prefers_sources_holding_rare_words() {
        let corpus = Corpus::from_sources(
            vec![
                source("a", "The levee and the river and the town."),
                source("b", "The town council met on the river bank."),
                source("c", "Nothing about it."),
            ],
            Vec::new(),
        );
        assert_eq!(rank_sources(&corpus, "The levee held", 3), vec![0]);
        assert_eq!(rank_sources(&corpus, "council of the town", 3), vec![1, 0]);
        let index = PassageIndex::new(&corpus);
        let built = index.passages(&corpus, 1).map(|p| p.sentence_count());
        assert_eq!(built, Some(1));
        assert!(index.passages(&corpus, 9).is_none());
    }
}

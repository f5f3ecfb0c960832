//! The corpus's word index: for each word of the matching keys, the sources that hold it. Quote
//! resolution asks it which sources hold enough of a quotation's words, so that a quotation is
//! searched in a handful of sources rather than in all of them.
//!
//! Words are stored as 32-bit hashes: a collision can only make a source look like a better
//! candidate than it is (it is then searched and not found), never hide one.
//!
//! Each source also has a filter of its pairs of adjacent words (`PairFilter`), so that a
//! quotation is searched for word for word only in sources that may hold it: common words are in
//! most sources, their pairs in few.
//!
//! A source saved in the editor does not rebuild the index: the changed sources' words are kept
//! beside the postings the index was built with (`WordIndex::with_sources_replaced`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::cache::{Decoder, Encoder};
use super::{Source, StoredU32s};

/// The distinct word hashes of a matching key (`key_text`), sorted: `word_hash` of each word
/// (between single spaces) that `is_indexed`.
pub fn key_words(key: &str) -> Box<[u32]> {
    index_key(key, &[]).0
}

/// The word hashes of a matching key (`key_words`) and the filter of its word pairs, with the
/// words next to `breaks` (offsets of the separators that stand for paragraph breaks, sorted), in
/// one pass over the key. A key of megabytes is read in parts side by side (as its `WordPlaces`
/// are) when no other source is being indexed: most of the time goes to the filter's bits, each
/// a read from memory the cache does not hold when the filter is of megabytes, and two threads
/// wait on two at once. (Sources of megabytes are indexed one at a time: `budget`.)
pub fn index_key(key: &str, breaks: &[u32]) -> (Box<[u32]>, PairFilter) {
    let parts = parts_to_read(key);
    // (The budget is asked for large keys only: a quotation's words are indexed too.)
    let parts = if parts > 1 && super::budget::indexing_alone() {
        parts
    } else {
        1
    };
    index_key_in_parts(key, breaks, &places_parts(key, parts))
}

/// `index_key`, reading `key` in `parts` (consecutive, each with its offset in the key, cut where
/// a space is: `places_parts`) side by side.
fn index_key_in_parts(
    key: &str,
    breaks: &[u32],
    parts: &[(u32, &str)],
) -> (Box<[u32]>, PairFilter) {
    // Counted many bytes at a time (a filter over the bytes spent 1 % of a cold check here).
    let words = bytecount::count(key.as_bytes(), b' ') + 1;
    let mut indexed = on_threads(parts, |&(offset, part)| {
        index_part(key, breaks, offset as usize, part, words)
    })
    .into_iter();
    let Some(mut whole) = indexed.next() else {
        return (Box::default(), PairFilter::with_room(words));
    };
    for part in indexed {
        whole.filter.0.union(&part.filter.0);
        whole.listed.extend(part.listed);
        whole.wide_chars |= part.wide_chars;
    }
    let IndexedPart {
        mut listed,
        mut filter,
        wide_chars,
    } = whole;
    if wide_chars {
        filter.insert_pair(WIDE_CHARS, WIDE_CHARS);
    }
    radsort::sort(&mut listed);
    listed.dedup();
    (listed.into_boxed_slice(), filter)
}

/// What `index_part` found in a part of a key.
struct IndexedPart {
    /// The part's word hashes, unsorted, each listed at least once.
    listed: Vec<u32>,
    /// The pairs of words starting in the part (with the word before each), in a filter sized
    /// for the whole key (`words` words): the parts' filters are joined bit by bit.
    filter: PairFilter,
    /// Whether a word with chars from U+0E00 up is in the part.
    wide_chars: bool,
}

/// The words of `part`, the part of `key` from byte `offset` (0, or just after a space), and their
/// pairs, each with the word before it (the first with the last word before the part).
fn index_part(key: &str, breaks: &[u32], offset: usize, part: &str, words: usize) -> IndexedPart {
    let mut filter = PairFilter::with_room(words);
    // Prose repeats a few words most of the time: each word's slot in `recent` (by its low
    // bits) holds the last word listed there, and a word found in its slot is listed already.
    // Slots start at 0, so the word hashed 0 is listed each time it is met. The list (a third of the words)
    // is then radix-sorted and its repeats dropped: cheaper than a hash set sorted after.
    let mut listed: Vec<u32> = Vec::with_capacity(part.len() / 12);
    let mut recent = [0u32; RECENT_WORDS];
    let mut block = [0u32; LISTED_BLOCK];
    let mut in_block = 0;
    // The breaks from the separator before the part on.
    let first_break = breaks.partition_point(|&b| (b as usize) + 1 < offset);
    let mut breaks = breaks
        .get(first_break..)
        .unwrap_or_default()
        .iter()
        .map(|&b| b as usize)
        .peekable();
    // The word before the part: the one ending at the space before it.
    let mut previous: Option<u32> = offset.checked_sub(1).and_then(|space| {
        let before = key.get(..space)?;
        let start = before.rfind(' ').map_or(0, |at| at + 1);
        KeyWords::new(before.get(start..)?).next()?.hash
    });
    let mut wide_chars = false;
    for KeyWord {
        start,
        end,
        ascii,
        hash: word,
    } in KeyWords::new(part)
    {
        // Rare: a word with chars from U+0E00 up, which the quotation matcher may split into
        // several (or which is not indexed). Its runs of narrower chars are kept apart, so that
        // a word found in neither place is known to be absent (`Source::may_hold_word`).
        if !ascii
            && let Some(token) = part.get(start..end)
            && token.chars().any(is_wide)
        {
            wide_chars = true;
            for (_, piece) in pieces_of(token) {
                filter.insert_piece(word_hash(piece));
            }
        }
        if let Some(word) = word {
            // Without a branch on whether the word is new (prose makes it a coin toss): it is
            // written at the end of the block either way, and counted only when new.
            let slot = &mut recent[word as usize % RECENT_WORDS];
            let new = *slot != word || word == 0;
            *slot = word;
            if let Some(end) = block.get_mut(in_block) {
                *end = word;
            }
            in_block += usize::from(new);
            if in_block == LISTED_BLOCK {
                listed.extend_from_slice(&block);
                in_block = 0;
            }
        }
        if let (Some(first), Some(second)) = (previous, word) {
            filter.insert_pair(first, second);
        }
        let separator = (offset + start).checked_sub(1);
        while breaks.next_if(|&b| Some(b) < separator).is_some() {}
        if separator.is_some() && breaks.next_if(|&b| Some(b) == separator).is_some() {
            if let Some(first) = previous {
                filter.insert_pair(first, PARAGRAPH_BREAK);
            }
            if let Some(second) = word {
                filter.insert_pair(PARAGRAPH_BREAK, second);
            }
        }
        previous = word;
    }
    listed.extend_from_slice(block.get(..in_block).unwrap_or_default());
    IndexedPart {
        listed,
        filter,
        wide_chars,
    }
}

/// How many new words `index_part` gathers before it adds them to its list.
const LISTED_BLOCK: usize = 64;

/// Slots of `index_key`'s memo of the words it met last (few in tests, so that words share
/// slots and push one another out).
const RECENT_WORDS: usize = if cfg!(test) { 4 } else { 1024 };

/// The words of a matching key (or of a quotation in key form) in order: each one's `word_hash`,
/// `None` for one that is not indexed. What the pair filter was built from, word for word.
pub(crate) fn key_word_hashes(key: &str) -> impl Iterator<Item = Option<u32>> + '_ {
    KeyWords::new(key).map(|word| word.hash)
}

/// One word of a matching key: its byte range and its `word_hash`, `None` when it is not
/// indexed (or empty).
struct KeyWord {
    start: usize,
    end: usize,
    ascii: bool,
    hash: Option<u32>,
}

/// The words of a matching key in order (what lies between single spaces): where each starts and
/// its `word_hash`, `None` for one that is not indexed (or empty). One pass over the bytes,
/// hashing as it goes: a key is mostly short ASCII words, and splitting first would cost a
/// `memchr` call per word.
struct KeyWords<'k> {
    key: &'k str,
    at: usize,
}

impl<'k> KeyWords<'k> {
    fn new(key: &'k str) -> KeyWords<'k> {
        KeyWords { key, at: 0 }
    }
}

impl Iterator for KeyWords<'_> {
    type Item = KeyWord;

    #[inline(always)]
    fn next(&mut self) -> Option<KeyWord> {
        let bytes = self.key.as_bytes();
        let start = self.at;
        if start > bytes.len() {
            return None;
        }
        let mut hash = FNV_OFFSET;
        // Every byte of the word or-ed together: below 0x80 when all are ASCII.
        let mut bits = 0u8;
        let mut end = start;
        for &byte in bytes.get(start..).unwrap_or_default() {
            if byte == b' ' {
                break;
            }
            hash = fnv_step(hash, byte);
            bits |= byte;
            end += 1;
        }
        let ascii = bits.is_ascii();
        self.at = end + 1;
        let indexed = end > start && (ascii || self.key.get(start..end).is_some_and(is_indexed));
        Some(KeyWord {
            start,
            end,
            ascii,
            hash: indexed.then_some(hash),
        })
    }
}

/// Which pairs of adjacent words a matching key holds, and which words end or start a paragraph
/// (are next to one of its breaks): a Bloom filter (it may say a pair is held when it is not,
/// never the reverse). Text found verbatim in a source has its word pairs there, but where it is
/// split over page furniture: there a word ends a paragraph and the next starts one.
#[derive(Clone)]
pub struct PairFilter(fastbloom::BloomFilter);

impl std::fmt::Debug for PairFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PairFilter({} bits)", self.0.num_bits())
    }
}

/// Bits per word of the key. A key has fewer distinct pairs than words (prose repeats "of the"),
/// so at least 6 bits per pair: with three hashes, 3 to 6 % false positives.
const PAIR_BITS_PER_WORD: usize = 6;
const PAIR_HASHES: u32 = 3;

impl PairFilter {
    /// An empty filter sized for a key of `words` words.
    fn with_room(words: usize) -> PairFilter {
        PairFilter(
            fastbloom::BloomFilter::with_num_bits((words * PAIR_BITS_PER_WORD).max(64))
                .hashes(PAIR_HASHES),
        )
    }

    /// Notes the word hashed `first` right before the one hashed `second` (either may be one of
    /// the markers: `PARAGRAPH_BREAK`, `WIDE_CHARS`).
    #[inline]
    fn insert_pair(&mut self, first: u32, second: u32) {
        self.0.insert_hash(pair_hash(first, second));
    }

    /// Notes the word hashed `word` as a run of chars below U+0E00 inside a word holding wider
    /// ones (`may_hold_piece`).
    fn insert_piece(&mut self, word: u32) {
        self.insert_pair(PIECE, word);
    }

    /// A filter read back from `bits` (as `bits` gave them); `None` when there are none.
    pub fn from_bits(bits: Vec<u64>) -> Option<PairFilter> {
        (!bits.is_empty())
            .then(|| PairFilter(fastbloom::BloomFilter::from_vec(bits).hashes(PAIR_HASHES)))
    }

    pub fn bits(&self) -> &[u64] {
        self.0.as_slice()
    }

    /// Whether the key may hold the word hashed `first` right before the one hashed `second`.
    #[inline]
    pub fn may_hold(&self, first: u32, second: u32) -> bool {
        self.0.contains_hash(pair_hash(first, second))
    }

    /// Whether the key may hold a char from U+0E00 up (`is_wide`).
    fn may_hold_wide_chars(&self) -> bool {
        self.0.contains_hash(pair_hash(WIDE_CHARS, WIDE_CHARS))
    }

    /// Whether the key may hold the word hashed `word` as a run of chars below U+0E00 inside a
    /// word holding wider ones.
    #[inline]
    fn may_hold_piece(&self, word: u32) -> bool {
        self.0.contains_hash(pair_hash(PIECE, word))
    }

    /// Whether the key may hold the word hashed `word` as a run of chars below U+0E00 glued to
    /// chars of a script written without spaces (inside a key word holding both).
    pub fn may_hold_glued(&self, word: u32) -> bool {
        self.may_hold_wide_chars() && self.may_hold_piece(word)
    }

    /// Whether the key may hold the word hashed `first` at the end of a paragraph and the one
    /// hashed `second` at the start of one: a text may be split between the two.
    pub fn may_split(&self, first: u32, second: u32) -> bool {
        self.0.contains_hash(pair_hash(first, PARAGRAPH_BREAK))
            && self.0.contains_hash(pair_hash(PARAGRAPH_BREAK, second))
    }
}

/// The search for a run of words in a source at which its `WordPlaces` are built, for a key of
/// `key_len` bytes: the searches before read the whole key. Building them costs about as much
/// as 128 searches, whatever the size; most sources of a corpus of articles are searched a few
/// times, but one of megabytes holds most of a quotation's words and is searched for nearly
/// every quotation aligned anywhere: the larger the key, the sooner (at the 128th search up to
/// 256 KB, the 32nd at 1 MB, the 3rd at 10 MB). In tests, the first search builds them, so that
/// they are always used.
fn searches_before_places(key_len: usize) -> u32 {
    if cfg!(test) {
        return 1;
    }
    u32::try_from((32 << 20) / key_len.max(1))
        .unwrap_or(u32::MAX)
        .clamp(1, 128)
}

/// Whether `WordPlaces` can tell where `word` is: a word of chars below U+0E00 (whole, or a run
/// inside a wider word).
fn is_placed(word: &str) -> bool {
    !word.is_empty() && !word.chars().any(is_wide)
}

/// Keys shorter than this are searched whole: `WordPlaces` would save little.
const MIN_PLACED_BYTES: usize = if cfg!(test) { 1 } else { 64 * 1024 };

/// The runs of chars below U+0E00 in a key word holding wider ones, each with its offset in the
/// word: what `index_key` and `WordPlaces` note as pieces.
fn pieces_of(token: &str) -> impl Iterator<Item = (usize, &str)> {
    token
        .split(is_wide)
        .filter(|piece| !piece.is_empty())
        // (A piece is a part of `token`: its offset is where it starts in memory.)
        .map(move |piece| (piece.as_ptr() as usize - token.as_ptr() as usize, piece))
}

/// Where each word of a large matching key starts: for each distinct word hash, the byte offsets
/// of its occurrences, ascending (four bytes a word of the key); a word holding chars from
/// U+0E00 up is not indexed, but its runs of narrower chars are, where each starts (a run of
/// words may start or end inside such a word). The approximate tier searches every candidate
/// source for each run of three words of a quotation (up to 48 runs a quotation): in a source of
/// megabytes, a run is then looked for only where its rarest word is, with each other word where
/// the run puts it, instead of in the whole key. Built in memory, never cached, as `SearchAids`
/// says.
#[derive(PartialEq, Eq)]
pub struct WordPlaces {
    /// The distinct word hashes, ascending: the places of `hashes[i]` are
    /// `places[starts[i]..starts[i + 1]]`.
    hashes: Vec<u32>,
    starts: Vec<u32>,
    places: Vec<u32>,
    /// The hashes of the words whose places are left out, ascending: the commonest, which would
    /// take a third of the places and rule out little (see `LISTED_SHARE`).
    unlisted: Vec<u32>,
}

/// Each place `WordPlaces` lists in `key` (a key shorter than 4 GB), in key order: the hash of
/// a word and where it starts; for a word holding chars from U+0E00 up (not indexed), those of
/// its runs of narrower chars instead (a run of words may start or end inside such a word).
fn for_each_place(key: &str, mut place: impl FnMut(u32, u32)) {
    for word in KeyWords::new(key) {
        let Ok(start) = u32::try_from(word.start) else {
            continue;
        };
        if !word.ascii
            && let Some(token) = key.get(word.start..word.end)
            && token.chars().any(is_wide)
        {
            for (offset, piece) in pieces_of(token) {
                if let Ok(offset) = u32::try_from(offset) {
                    place(word_hash(piece), start.saturating_add(offset));
                }
            }
        } else if let Some(hash) = word.hash {
            place(hash, start);
        }
    }
}

/// `WordPlaces::build`'s mark of a word whose places are left out.
const UNLISTED: u32 = u32::MAX;

/// A word found in more than one in `LISTED_SHARE` of a key's words (and more than
/// `MIN_UNLISTED` times) has its places left out of `WordPlaces`: `the`, `of`, `and`... (in
/// tests, any word found more than four times).
const LISTED_SHARE: usize = 256;
const MIN_UNLISTED: usize = if cfg!(test) { 4 } else { 1024 };

/// How much of a key one thread reads when a key is read in parts (`parts_to_read`; in tests,
/// keys of a few words are read in parts).
const PLACES_PART_BYTES: usize = if cfg!(test) { 16 } else { 4 << 20 };

/// How many parts side by side a key is read in (its word places, its words and pair filter):
/// one per `PLACES_PART_BYTES`, at most as many as the threads the work is shared by.
fn parts_to_read(key: &str) -> usize {
    (key.len() / PLACES_PART_BYTES).clamp(1, rayon::current_num_threads())
}

/// `key` cut into at most `parts` consecutive parts of about the same length, each with its
/// offset in the key: each but the last ends where a space is (the space is in neither part), so
/// that the parts' words are the key's.
fn places_parts(key: &str, parts: usize) -> Vec<(u32, &str)> {
    let mut cut = Vec::with_capacity(parts);
    let mut start = 0usize;
    for part in 1..parts {
        let target = (key.len() / parts).saturating_mul(part).max(start);
        let Some(space) = key
            .as_bytes()
            .get(target..)
            .and_then(|rest| memchr::memchr(b' ', rest))
            .map(|at| target + at)
        else {
            break;
        };
        if let (Some(piece), Ok(offset)) = (key.get(start..space), u32::try_from(start)) {
            cut.push((offset, piece));
        }
        start = space + 1;
    }
    if let (Some(piece), Ok(offset)) = (key.get(start..), u32::try_from(start)) {
        cut.push((offset, piece));
    }
    cut
}

/// `work` done on each of `jobs`, the first on this thread and each other on a thread of its
/// own, the results in order. Not on rayon's threads: `WordPlaces` are built inside a
/// `OnceLock`'s initialisation, which a rayon thread waiting for its jobs could enter again by
/// taking another quotation's search of the same source.
fn on_threads<J: Send, R: Send>(
    jobs: impl IntoIterator<Item = J>,
    work: impl Fn(J) -> R + Sync,
) -> Vec<R> {
    let mut jobs = jobs.into_iter();
    let Some(first) = jobs.next() else {
        return Vec::new();
    };
    std::thread::scope(|scope| {
        let work = &work;
        let others: Vec<_> = jobs.map(|job| scope.spawn(move || work(job))).collect();
        let mut results = vec![work(first)];
        for other in others {
            match other.join() {
                Ok(result) => results.push(result),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}

impl std::fmt::Debug for WordPlaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WordPlaces({} words, {} distinct)",
            self.places.len(),
            self.hashes.len()
        )
    }
}

impl WordPlaces {
    /// The places of `key`'s words; `None` when the key is too short to need them, or too long
    /// for 32-bit offsets.
    ///
    /// Two passes over the key: the first counts each word's places, the second writes them
    /// where their word's run starts. (A list of every (word, place) sorted by word took, with
    /// the sort's buffer, 16 bytes a word of the key at once: 128 MB for a source of 48 MB.) A
    /// key of megabytes is read in parts side by side, as many as the threads the work is shared
    /// by, each on a thread of its own (see `on_threads`).
    pub fn build(key: &str) -> Option<WordPlaces> {
        if key.len() < MIN_PLACED_BYTES || u32::try_from(key.len()).is_err() {
            return None;
        }
        Self::build_in_parts(&places_parts(key, parts_to_read(key)))
    }

    /// The places of the words of a key cut into `parts` (consecutive, each with its offset in
    /// the key, cut where a space is).
    fn build_in_parts(parts: &[(u32, &str)]) -> Option<WordPlaces> {
        // Each part's count of each word, then where its next place goes (`UNLISTED` for a
        // common word): the parts' places of a word follow one another, in order.
        let mut counts: Vec<foldhash::HashMap<u32, u32>> = on_threads(parts, |&(_, part)| {
            let mut counts: foldhash::HashMap<u32, u32> = foldhash::HashMap::default();
            for_each_place(part, |hash, _| *counts.entry(hash).or_default() += 1);
            counts
        });
        // Each word's count in the whole key (a key read whole: its one part's counts).
        let mut next = match counts.as_mut_slice() {
            [whole] => std::mem::take(whole),
            parts => {
                let mut totals: foldhash::HashMap<u32, u32> = foldhash::HashMap::default();
                for (&hash, &count) in parts.iter().flatten() {
                    let total = totals.entry(hash).or_default();
                    *total = total.saturating_add(count);
                }
                totals
            }
        };
        let total: usize = next.values().map(|&n| n as usize).sum();
        let most = (total / LISTED_SHARE).max(MIN_UNLISTED);
        let mut counted: Vec<(u32, u32)> = next.iter().map(|(&h, &n)| (h, n)).collect();
        counted.sort_unstable();
        let (mut hashes, mut starts, mut unlisted) = (Vec::new(), Vec::new(), Vec::new());
        let mut listed = 0u32;
        // `next` becomes where each word's first place goes.
        for (hash, count) in counted {
            let Some(next) = next.get_mut(&hash) else {
                continue;
            };
            if count as usize > most {
                unlisted.push(hash);
                *next = UNLISTED;
            } else {
                hashes.push(hash);
                starts.push(listed);
                *next = listed;
                listed = listed.checked_add(count)?;
            }
        }
        starts.push(listed);
        // Each part's counts become where its first place of each word goes, after those of
        // the parts before it (a key read whole: `next` as it is).
        let cursors = if counts.len() == 1 {
            vec![next]
        } else {
            for part in &mut counts {
                for (hash, count) in part.iter_mut() {
                    let Some(next) = next.get_mut(hash) else {
                        continue;
                    };
                    let first = *next;
                    if first != UNLISTED {
                        *next = first.saturating_add(*count);
                    }
                    *count = first;
                }
            }
            counts
        };
        // The parts write to places of their own (a word's places, part after part).
        let places: Vec<AtomicU32> = (0..listed).map(|_| AtomicU32::new(0)).collect();
        on_threads(
            parts.iter().copied().zip(cursors),
            |((offset, part), mut cursor)| {
                for_each_place(part, |hash, start| {
                    if let Some(next) = cursor.get_mut(&hash)
                        && *next != UNLISTED
                        && let Some(slot) = places.get(*next as usize)
                    {
                        slot.store(offset.saturating_add(start), Ordering::Relaxed);
                        *next += 1;
                    }
                });
            },
        );
        Some(WordPlaces {
            hashes,
            starts,
            places: places.into_iter().map(AtomicU32::into_inner).collect(),
            unlisted,
        })
    }

    /// Where `word` starts, ascending (none when the key lacks it); `None` when its places are
    /// left out (a common word).
    pub fn places_of(&self, word: &str) -> Option<&[u32]> {
        let hash = word_hash(word);
        match self.hashes.binary_search(&hash) {
            Ok(i) => Some(self.places_at(i)),
            Err(_) if self.unlisted.binary_search(&hash).is_ok() => None,
            Err(_) => Some(&[]),
        }
    }

    /// The places of the word listed `i`th, ascending.
    fn places_at(&self, i: usize) -> &[u32] {
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&start), Some(&end)) => self
                .places
                .get(start as usize..end as usize)
                .unwrap_or_default(),
            _ => &[],
        }
    }

    /// Where the run of `words` (one space apart, none empty) may start, ascending: wherever
    /// each word whose places are listed is at its place in the run. Never leaves out a place
    /// where the run is (hashes may collide: a place given may hold other words). `None` when
    /// no word of the run has its places listed (they are all common words: search the key).
    pub fn where_run_may_start(&self, words: &[&str]) -> Option<Vec<usize>> {
        // Each listed word's places, with its offset in the run; the fewest places lead.
        let mut offset = 0u32;
        let mut lists: Vec<(&[u32], u32)> = Vec::with_capacity(words.len());
        for word in words {
            // (A word the key lacks has no places: the run is nowhere.)
            if let Some(places) = self.places_of(word) {
                lists.push((places, offset));
            }
            let Some(next) = u32::try_from(word.len())
                .ok()
                .and_then(|len| offset.checked_add(len)?.checked_add(1))
            else {
                return Some(Vec::new()); // a run longer than any key
            };
            offset = next;
        }
        lists.sort_by_key(|(places, _)| places.len());
        let ((leading, leading_offset), others) = lists.split_first()?;
        let starts = leading
            .iter()
            .filter_map(|&place| place.checked_sub(*leading_offset))
            .filter(|&start| {
                others.iter().all(|(places, offset)| {
                    start
                        .checked_add(*offset)
                        .is_some_and(|at| places.binary_search(&at).is_ok())
                })
            })
            .map(|start| start as usize)
            .collect();
        Some(starts)
    }
}

/// What a source keeps in memory, once it is searched, to be searched faster: its `WordPlaces`,
/// built at its `searches_before_places`th search for a run of words, and the words at its
/// paragraph breaks (read at every break for each quotation aligned there: from a table, a
/// source of megabytes is not read at thousands of places).
#[derive(Debug, Default)]
pub(super) struct SearchAids {
    places: std::sync::OnceLock<Option<WordPlaces>>,
    whole_key_searches: std::sync::atomic::AtomicU32,
    words_at_breaks: std::sync::OnceLock<Box<[WordsAtBreak]>>,
}

impl SearchAids {
    /// The places of `key`'s words (the source's matching key) for one more search: `None`
    /// until that search is the `searches_before_places`th, or when the key is too short.
    fn places_for_search(&self, key: &str) -> Option<&WordPlaces> {
        if self.places.get().is_none()
            && self
                .whole_key_searches
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                .saturating_add(1)
                < searches_before_places(key.len())
        {
            return None;
        }
        self.places.get_or_init(|| WordPlaces::build(key)).as_ref()
    }
}

impl Source {
    /// Whether the matching key may hold `word` as a word of its own, where a key's words are its
    /// runs between spaces, split further at every char of a script written without spaces (as
    /// the quotation matcher splits them). Never `false` when it does.
    pub fn may_hold_word(&self, word: &str) -> bool {
        if word.chars().any(is_wide) {
            return true; // not indexed, or split otherwise
        }
        let hash = word_hash(word);
        self.words.contains_sorted(hash) || self.pairs.may_hold_glued(hash)
    }

    /// Where in the matching key `words` (none empty) may start, one space apart, ascending: a
    /// superset of where they are (see `WordPlaces`); `None` when the source has no places of
    /// its words yet, or a word holds a char from U+0E00 up (search the whole key then).
    pub fn where_run_may_start(&self, words: &[&str]) -> Option<Vec<usize>> {
        if !words.iter().all(|word| is_placed(word)) {
            return None;
        }
        self.search_aids
            .places_for_search(&self.key_text.text)?
            .where_run_may_start(words)
    }

    /// Where `word` starts in the matching key, ascending (as `WordPlaces` lists places: whole
    /// words, and runs of narrower chars inside words holding chars from U+0E00 up; none when
    /// the key lacks it), once the source's places are built; `None` otherwise, and for a common
    /// word (its places left out) or a word holding such chars. Told by hashes: a place given
    /// may hold another word, never the reverse.
    pub fn places_of_word(&self, word: &str) -> Option<&[u32]> {
        if !is_placed(word) {
            return None;
        }
        self.search_aids.places.get()?.as_ref()?.places_of(word)
    }

    /// The words at each paragraph break of the matching key (`key_text.breaks`, in order).
    pub fn words_at_breaks(&self) -> &[WordsAtBreak] {
        self.search_aids
            .words_at_breaks
            .get_or_init(|| words_at_breaks(&self.key_text.text, &self.key_text.breaks))
    }

    /// Whether the matching key may hold `first` right before `second` (words as
    /// `may_hold_word` reads them), or `first` ending a paragraph and `second` starting one.
    /// Never `false` when it does.
    pub fn may_hold_adjacent_words(&self, first: &str, second: &str) -> bool {
        self.may_hold_pair(first, second, true)
    }

    /// Whether the matching key may hold `first` right before `second` (words as
    /// `may_hold_word` reads them), a paragraph break between them or not. Never `false` when it
    /// does.
    pub fn may_hold_words_side_by_side(&self, first: &str, second: &str) -> bool {
        self.may_hold_pair(first, second, false)
    }

    /// Whether the matching key may hold `word` (as `may_hold_word` reads words) as the first
    /// word of a paragraph or of the whole key, or glued to wider chars. Never `false` when it
    /// does.
    pub fn may_start_a_paragraph(&self, word: &str) -> bool {
        if word.chars().any(is_wide) {
            return true;
        }
        let hash = word_hash(word);
        let key = self.key_text.text.as_str();
        self.pairs.may_hold(PARAGRAPH_BREAK, hash)
            || key.get(..key_word_end(key, 0)) == Some(word)
            || self.pairs.may_hold_glued(hash)
    }

    /// Whether a run of words may be broken in the matching key between `first` and `second`
    /// otherwise than with the two side by side: `first` ending a paragraph and `second`
    /// starting one at most `reach` bytes after that break, or either of them glued to wider
    /// chars (or holding such chars itself). Never `false` when it may. The pair filter rules
    /// most pairs out; a source of many paragraphs has most words at some break, and the words
    /// at each break tell.
    pub fn may_break_run_between(&self, first: &str, second: &str, reach: usize) -> bool {
        if first.chars().any(is_wide) || second.chars().any(is_wide) {
            return true;
        }
        let (first, second) = (word_hash(first), word_hash(second));
        if self.pairs.may_hold_glued(first) || self.pairs.may_hold_glued(second) {
            return true;
        }
        if !self.pairs.may_split(first, second) {
            return false;
        }
        // Each break's words, with where it is.
        let breaks = || (self.words_at_breaks().iter()).zip(self.key_text.breaks.iter().copied());
        breaks().enumerate().any(|(i, (words, from))| {
            words.before == first
                && breaks()
                    .skip(i + 1)
                    .take_while(|&(_, to)| (to.saturating_sub(from) as usize) <= reach)
                    .any(|(later, _)| later.after == second)
        })
    }

    /// `may_hold_adjacent_words` (`split`: also with `first` ending a paragraph and `second`
    /// starting another), or `may_hold_words_side_by_side`.
    fn may_hold_pair(&self, first: &str, second: &str, split: bool) -> bool {
        if first.chars().any(is_wide) || second.chars().any(is_wide) {
            return true;
        }
        let (first, second) = (word_hash(first), word_hash(second));
        // A run inside a wider word: its neighbours were not paired with it.
        let piece = || self.pairs.may_hold_glued(first) || self.pairs.may_hold_glued(second);
        self.pairs.may_hold(first, second)
            || (split && self.pairs.may_split(first, second))
            || piece()
    }
}

/// Stands for a paragraph break in a pair (a word hash may equal it: the filter then holds more
/// than it should, which is allowed).
const PARAGRAPH_BREAK: u32 = 0;

/// Paired with itself, marks a key holding a char from U+0E00 up (a word hash may equal it: the
/// filter then says so of a key that does not, which is allowed).
const WIDE_CHARS: u32 = 1;
/// Paired with a word hash, marks a run of chars below U+0E00 inside a word holding wider ones.
const PIECE: u32 = 2;

/// A char from which a key's words may be split otherwise than at spaces (the scripts written
/// without spaces, which the quotation matcher splits into chars, all lie above), or not indexed
/// (`is_indexed`).
fn is_wide(c: char) -> bool {
    c >= '\u{0E00}'
}

/// Chars of scripts written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar):
/// a quotation may start or end next to one of them in the middle of a run.
#[inline]
pub fn is_unspaced(c: char) -> bool {
    // Every range below starts at U+0E00: most text (Latin, Cyrillic, Arabic…) is ruled out by
    // one comparison.
    if c < '\u{0E00}' {
        return false;
    }
    matches!(
        c as u32,
        0x0E00..=0x0EFF
            | 0x1000..=0x109F
            | 0x1780..=0x17FF
            | 0x3005..=0x3007
            | 0x3040..=0x30FF
            | 0x31F0..=0x31FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xF900..=0xFAFF
            | 0x20000..=0x3134F
    )
}

/// Where the word starting at byte `start` of a key ends: at a space, a char of a script written
/// without spaces (a word of its own), or the end.
pub fn key_word_end(key: &str, start: usize) -> usize {
    let rest = key.get(start..).unwrap_or_default();
    let mut chars = rest.char_indices();
    match chars.next() {
        None => start,
        Some((_, ' ')) => start,
        Some((_, c)) if is_unspaced(c) => start + c.len_utf8(),
        Some(_) => {
            let len = chars
                .find(|&(_, c)| c == ' ' || is_unspaced(c))
                .map_or(rest.len(), |(at, _)| at);
            start + len
        }
    }
}

/// Where the word ending at byte `end` of a key starts (as `key_word_end` reads words).
pub fn key_word_start(key: &str, end: usize) -> usize {
    let before = key.get(..end).unwrap_or_default();
    let mut chars = before.char_indices().rev();
    match chars.next() {
        None => end,
        Some((_, ' ')) => end,
        Some((at, c)) if is_unspaced(c) => at,
        Some(_) => chars
            .find(|&(_, c)| c == ' ' || is_unspaced(c))
            .map_or(0, |(at, c)| at + c.len_utf8()),
    }
}

/// The words on either side of a paragraph break of a matching key, hashed (`word_hash`): the
/// word ending at the break and the word starting after it, as `key_word_start` and
/// `key_word_end` read words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordsAtBreak {
    pub before: u32,
    pub after: u32,
}

/// The words at each of `breaks` (offsets of the separators of `key`), in order.
pub fn words_at_breaks(key: &str, breaks: &[u32]) -> Box<[WordsAtBreak]> {
    breaks
        .iter()
        .map(|&separator| {
            let separator = separator as usize;
            let before = key
                .get(key_word_start(key, separator)..separator)
                .unwrap_or_default();
            let start = separator + 1;
            let after = key.get(start..key_word_end(key, start)).unwrap_or_default();
            WordsAtBreak {
                before: word_hash(before),
                after: word_hash(after),
            }
        })
        .collect()
}

/// Two word hashes as one well-mixed 64-bit hash (the filter derives its probes from it).
fn pair_hash(first: u32, second: u32) -> u64 {
    let joined = (u64::from(first) << 32) | u64::from(second);
    let mixed = joined.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    mixed ^ (mixed >> 29)
}

/// Whether a key word is indexed. Words of scripts written without spaces (CJK, Thai...) are
/// not: a quotation may start or stop inside such a run, so it would not match the run whole.
pub fn is_indexed(word: &str) -> bool {
    !word.is_empty()
        && !word
            .chars()
            .any(|c| ('\u{0E00}'..='\u{0EFF}').contains(&c) || c >= '\u{2E80}')
}

/// FNV-1a: a fixed, fast hash (stored in the cache's records: changing it needs a new cache
/// format version).
pub fn word_hash(word: &str) -> u32 {
    word.bytes().fold(FNV_OFFSET, fnv_step)
}

const FNV_OFFSET: u32 = 0x811c_9dc5;

fn fnv_step(hash: u32, byte: u8) -> u32 {
    (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
}

/// Which sources hold each word: the index built over a corpus at once, plus the sources changed
/// since (an editor saving a source), so that a change neither builds the whole index again
/// (a third of a second over 16,000 sources) nor holds a second copy of it while the old corpus
/// is still in use.
#[derive(Debug, Default, Clone)]
pub struct WordIndex {
    built: Arc<BuiltIndex>,
    /// Empty when built afresh.
    changes: Arc<IndexChanges>,
}

/// For each word hash, a run of source indices in one shared array. One allocation for all the
/// postings rather than a vector per word: a million small vectors freed and allocated anew left
/// the server's heap fragmented (docs/benchmarks.md, session 12).
#[derive(Debug, Default)]
struct BuiltIndex {
    /// Word hash → (start, length) of its run in `holders`, in `SHARDS` maps by the hash's top
    /// bits (`shard_of`).
    runs: Vec<WordRuns>,
    /// Indices (into `Corpus::sources`) of the sources holding each word, word by word,
    /// ascending within a word.
    holders: Holders,
    sources: usize,
}

/// The postings of a `BuiltIndex`: in two bytes each while the corpus has at most 65,536
/// sources (16,000 small sources held 30 MB of postings in four bytes each).
#[derive(Debug)]
enum Holders {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Holders {
    /// How many postings there are.
    fn len(&self) -> usize {
        match self {
            Holders::Narrow(holders) => holders.len(),
            Holders::Wide(holders) => holders.len(),
        }
    }
}

impl Default for Holders {
    fn default() -> Self {
        Holders::Narrow(Vec::new())
    }
}

/// The sources whose words changed since a `BuiltIndex` was built.
#[derive(Debug, Default)]
struct IndexChanges {
    /// The changed sources, ascending, each with the word hashes it held when the index was
    /// built.
    built_words: Vec<(u32, Box<[u32]>)>,
    /// The words the changed sources held then: the index's postings to leave out.
    removed: Postings,
    /// The words they hold now.
    added: Postings,
}

/// (word hash, source index) pairs sorted by word, then source: the sources holding a word are
/// one ascending run.
#[derive(Debug, Default)]
struct Postings {
    words: Vec<u32>,
    sources: Vec<u32>,
}

impl Postings {
    fn of<'a>(sources: impl Iterator<Item = (u32, &'a [u32])>) -> Postings {
        let mut pairs: Vec<(u32, u32)> = sources
            .flat_map(|(source, words)| words.iter().map(move |&word| (word, source)))
            .collect();
        pairs.sort_unstable();
        let (words, sources) = pairs.into_iter().unzip();
        Postings { words, sources }
    }

    fn len(&self) -> usize {
        self.words.len()
    }

    /// The sources holding `word`, ascending.
    fn sources_with(&self, word: u32) -> &[u32] {
        let start = self.words.partition_point(|&w| w < word);
        let end = self.words.partition_point(|&w| w <= word);
        self.sources.get(start..end).unwrap_or_default()
    }
}

/// Beyond this many changed sources, or postings of theirs, the index is built again.
const MAX_CHANGED_SOURCES: usize = 256;
const MAX_CHANGED_POSTINGS: usize = 1 << 20;

/// The sources holding one word (see `WordIndex::sources_with`): the built index's, but the
/// changed sources it held then, and the changed sources that hold it now.
#[derive(Debug, Clone, Copy)]
pub struct SourcesWith<'a> {
    built: BuiltRun<'a>,
    /// A subset of `built`, ascending.
    removed: &'a [u32],
    /// Ascending.
    added: &'a [u32],
}

#[derive(Debug, Clone, Copy)]
enum BuiltRun<'a> {
    Narrow(&'a [u16]),
    Wide(&'a [u32]),
}

impl<'a> SourcesWith<'a> {
    pub fn len(&self) -> usize {
        let built = match self.built {
            BuiltRun::Narrow(holders) => holders.len(),
            BuiltRun::Wide(holders) => holders.len(),
        };
        built.saturating_sub(self.removed.len()) + self.added.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sources' indices, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        let (narrow, wide): (&[u16], &[u32]) = match self.built {
            BuiltRun::Narrow(holders) => (holders, &[]),
            BuiltRun::Wide(holders) => (&[], holders),
        };
        // No source changed since the index was built (always, in a check): the built run as it
        // is, without the merge's steps at every source (the corpus-wide rankings read runs
        // of thousands for each word of a claim or quotation).
        let unchanged = self.removed.is_empty() && self.added.is_empty();
        let (as_built, changed) = if unchanged {
            ((narrow, wide), None)
        } else {
            ((&[][..], &[][..]), Some((narrow, wide)))
        };
        let mut removed = self.removed.iter().copied().peekable();
        let merged = changed.map(move |(narrow, wide)| {
            let kept = narrow
                .iter()
                .map(|&s| u32::from(s))
                .chain(wide.iter().copied())
                .filter(move |&source| {
                    while removed.next_if(|&r| r < source).is_some() {}
                    removed.next_if_eq(&source).is_none()
                });
            merge_ascending(kept, self.added.iter().copied())
        });
        as_built
            .0
            .iter()
            .map(|&s| u32::from(s))
            .chain(as_built.1.iter().copied())
            .chain(merged.into_iter().flatten())
    }
}

/// Two ascending sequences as one.
fn merge_ascending(
    first: impl Iterator<Item = u32>,
    second: impl Iterator<Item = u32>,
) -> impl Iterator<Item = u32> {
    let (mut first, mut second) = (first.peekable(), second.peekable());
    std::iter::from_fn(move || match (first.peek(), second.peek()) {
        (Some(a), Some(b)) if b < a => second.next(),
        (Some(_), _) => first.next(),
        (None, _) => second.next(),
    })
}

impl WordIndex {
    pub fn build(sources: &[Arc<Source>]) -> WordIndex {
        WordIndex::build_reading(sources, &[])
    }

    /// `build`, reading `built_words[i]` instead of source `i`'s own word hashes when it is
    /// there (the same hashes, on the heap).
    pub(crate) fn build_reading(
        sources: &[Arc<Source>],
        built_words: &[Option<StoredU32s>],
    ) -> WordIndex {
        WordIndex::build_narrow_up_to(sources, built_words, usize::from(u16::MAX) + 1)
    }

    /// `build_reading`, with postings in two bytes for a corpus of at most `narrow_max` sources.
    fn build_narrow_up_to(
        sources: &[Arc<Source>],
        built_words: &[Option<StoredU32s>],
        narrow_max: usize,
    ) -> WordIndex {
        WordIndex {
            built: Arc::new(BuiltIndex::build(sources, built_words, narrow_max)),
            changes: Arc::default(),
        }
    }

    /// The index of `sources`, in which only the sources at the indices of `replaced` differ
    /// from the corpus this index belongs to (`replaced` holds what they were): this index's
    /// postings shared, the changed sources' words kept beside them — or built again when too
    /// many sources have changed since it was.
    pub fn with_sources_replaced(
        &self,
        sources: &[Arc<Source>],
        replaced: &[(usize, Arc<Source>)],
    ) -> WordIndex {
        self.with_sources_replaced_up_to(sources, replaced, MAX_CHANGED_SOURCES)
    }

    fn with_sources_replaced_up_to(
        &self,
        sources: &[Arc<Source>],
        replaced: &[(usize, Arc<Source>)],
        max_changed: usize,
    ) -> WordIndex {
        let rebuilt = || WordIndex::build(sources);
        if sources.len() != self.built.sources {
            return rebuilt();
        }
        // What each changed source held when the index was built: known already if it changed
        // before, else what it held until now.
        let mut built_words: std::collections::BTreeMap<u32, Box<[u32]>> =
            self.changes.built_words.iter().cloned().collect();
        for (index, before) in replaced {
            let Ok(index) = u32::try_from(*index) else {
                return rebuilt();
            };
            built_words
                .entry(index)
                .or_insert_with(|| before.words.iter().collect());
            before.release_pages();
        }
        // A source back to the words it held then (a change undone) is no longer a change.
        let mut now: Vec<(u32, Box<[u32]>)> = Vec::new();
        built_words.retain(|&index, then| {
            let Some(source) = sources.get(index as usize) else {
                return false;
            };
            let words: Box<[u32]> = source.words.iter().collect();
            source.release_pages();
            let changed = words != *then;
            if changed {
                now.push((index, words));
            }
            changed
        });
        let postings: usize = built_words
            .values()
            .chain(now.iter().map(|(_, w)| w))
            .map(|w| w.len())
            .sum();
        if built_words.len() > max_changed || postings > MAX_CHANGED_POSTINGS {
            return rebuilt();
        }
        let built_words: Vec<(u32, Box<[u32]>)> = built_words.into_iter().collect();
        let changes = IndexChanges {
            removed: Postings::of(built_words.iter().map(|(i, w)| (*i, &w[..]))),
            added: Postings::of(now.iter().map(|(i, w)| (*i, &w[..]))),
            built_words,
        };
        WordIndex {
            built: Arc::clone(&self.built),
            changes: Arc::new(changes),
        }
    }

    /// How many sources the index covers.
    pub fn source_count(&self) -> usize {
        self.built.sources
    }

    /// How many sources differ from those the shared postings were built from.
    #[cfg(test)]
    fn changed_sources(&self) -> usize {
        self.changes.built_words.len()
    }

    /// The sources (indices into `Corpus::sources`, ascending) holding the word with hash `word`.
    pub fn sources_with(&self, word: u32) -> SourcesWith<'_> {
        let built = &self.built;
        let runs = built.runs.get(shard_of(word));
        let run = runs
            .and_then(|runs| runs.get(&word))
            .map_or(0..0, |&(start, length)| {
                start as usize..start as usize + length as usize
            });
        let built_run = match &built.holders {
            Holders::Narrow(holders) => BuiltRun::Narrow(holders.get(run).unwrap_or_default()),
            Holders::Wide(holders) => BuiltRun::Wide(holders.get(run).unwrap_or_default()),
        };
        let (removed, added) = if self.changes.removed.len() + self.changes.added.len() == 0 {
            (&[][..], &[][..])
        } else {
            (
                self.changes.removed.sources_with(word),
                self.changes.added.sources_with(word),
            )
        };
        SourcesWith {
            built: built_run,
            removed,
            added,
        }
    }

    /// For each source holding at least `min` of `words` (distinct hashes), the source's index,
    /// how many it holds and which (`WordsHeld`); those holding the rarest words first: by the
    /// summed rarity of the words held (a word held by `k` of `n` sources weighs ln(n / k)), then
    /// by how many, then by `tie_break(source)`, then in corpus order. Counting alone ties, in a
    /// corpus whose sources share their vocabulary, the source a passage comes from with dozens
    /// that hold its common words scattered; the rare words it also holds rank it first.
    pub fn sources_holding(
        &self,
        words: &[u32],
        min: usize,
        tie_break: impl Fn(usize) -> u64,
    ) -> Vec<(usize, usize, WordsHeld)> {
        let mut counts = vec![0u32; self.source_count()];
        let mut rarity = vec![0f64; self.source_count()];
        let mut which = vec![WordsHeld::NONE; self.source_count()];
        let sources = self.source_count().max(1) as f64;
        for (at, &word) in words.iter().enumerate() {
            let holders = self.sources_with(word);
            let weight = (sources / holders.len().max(1) as f64).ln();
            let bit = WordsHeld::of(at);
            for source in holders.iter() {
                if let (Some(count), Some(sum), Some(held)) = (
                    counts.get_mut(source as usize),
                    rarity.get_mut(source as usize),
                    which.get_mut(source as usize),
                ) {
                    *count += 1;
                    *sum += weight;
                    held.0 |= bit.0;
                }
            }
        }
        // (source, count, rarity, tie-break, which), the tie-break computed once per source.
        let mut holding: Vec<(usize, usize, f64, u64, WordsHeld)> = counts
            .into_iter()
            .zip(rarity)
            .zip(which)
            .enumerate()
            .filter(|&(_, ((count, _), _))| count as usize >= min.max(1))
            .map(|(source, ((count, sum), held))| {
                (source, count as usize, sum, tie_break(source), held)
            })
            .collect();
        // Every source once: no two compare equal, and an unstable sort gives the same order.
        holding.sort_unstable_by(|a, b| {
            b.2.total_cmp(&a.2)
                .then(b.1.cmp(&a.1))
                .then(a.3.cmp(&b.3))
                .then(a.0.cmp(&b.0))
        });
        holding
            .into_iter()
            .map(|(source, count, _, _, held)| (source, count, held))
            .collect()
    }
}

/// Which of a list of words a source holds, by their place in the list: one bit each for the
/// first 64; a word from the 65th on is taken as held (the set may hold more than the source
/// does, never less).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordsHeld(u64);

impl WordsHeld {
    /// None of the first 64 words.
    pub const NONE: WordsHeld = WordsHeld(0);

    /// The word at `at` in the list alone (no bit: from the 65th on).
    pub fn of(at: usize) -> WordsHeld {
        WordsHeld(
            u32::try_from(at)
                .ok()
                .and_then(|at| 1u64.checked_shl(at))
                .unwrap_or(0),
        )
    }

    /// Whether every word of `words` is held.
    pub fn holds_all(self, words: WordsHeld) -> bool {
        words.0 & !self.0 == 0
    }

    /// The words of both.
    pub fn with(self, other: WordsHeld) -> WordsHeld {
        WordsHeld(self.0 | other.0)
    }
}

/// Bump when what `WordIndex::encode` writes changes.
pub(crate) const WORD_INDEX_VERSION: u8 = 1;

impl WordIndex {
    /// The index as built (`WordIndex::decode` reads it back): each shard's runs (word hash,
    /// start, length), then the postings. Only an index built afresh is meant to be stored (the
    /// changes a server keeps beside it are not written).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let built = &self.built;
        let runs: usize = built.runs.iter().map(|shard| shard.len()).sum();
        let mut out = Encoder::with_capacity(runs * 12 + built.holders.len() * 4 + 64);
        out.u64(built.sources as u64);
        for shard in &built.runs {
            let mut entries: Vec<(u32, u32, u32)> = shard
                .iter()
                .map(|(&word, &(start, len))| (word, start, len))
                .collect();
            entries.sort_unstable();
            out.count(entries.len());
            out.entries(&entries, |&(word, start, len)| {
                let mut bytes = [0u8; 12];
                bytes[..4].copy_from_slice(&word.to_le_bytes());
                bytes[4..8].copy_from_slice(&start.to_le_bytes());
                bytes[8..].copy_from_slice(&len.to_le_bytes());
                bytes
            });
        }
        match &built.holders {
            Holders::Narrow(holders) => {
                out.u8(0);
                out.u16s(holders);
            }
            Holders::Wide(holders) => {
                out.u8(1);
                out.u32s(holders);
            }
        }
        out.into_bytes()
    }

    /// An index `encode` wrote, for a corpus of `sources` sources; `None` when the bytes are
    /// not such an index (cut, damaged, another corpus's size, a run past the postings, a
    /// posting past the sources).
    pub(crate) fn decode(bytes: &[u8], sources: usize) -> Option<WordIndex> {
        let mut input = Decoder::new(bytes);
        if usize::try_from(input.u64()?).ok()? != sources {
            return None;
        }
        let mut shards = Vec::with_capacity(SHARDS);
        for _ in 0..SHARDS {
            let n = input.count()?;
            let table = input.bytes(n.checked_mul(12)?)?;
            let mut runs = WordRuns::default();
            runs.reserve(n);
            for entry in table.chunks_exact(12) {
                let number = |at: usize| -> Option<u32> {
                    Some(u32::from_le_bytes(entry.get(at..at + 4)?.try_into().ok()?))
                };
                runs.insert(number(0)?, (number(4)?, number(8)?));
            }
            shards.push(runs);
        }
        let holders = match input.u8()? {
            0 => Holders::Narrow(input.u16s()?),
            1 => Holders::Wide(input.u32s()?),
            _ => return None,
        };
        let postings = holders.len();
        let runs_fit = shards
            .iter()
            .flat_map(|shard| shard.values())
            .all(|&(start, len)| {
                (start as usize)
                    .checked_add(len as usize)
                    .is_some_and(|end| end <= postings)
            });
        let sources_fit = match &holders {
            Holders::Narrow(holders) => holders.iter().all(|&s| usize::from(s) < sources),
            Holders::Wide(holders) => holders.iter().all(|&s| (s as usize) < sources),
        };
        (input.remaining() == 0 && runs_fit && sources_fit).then(|| WordIndex {
            built: Arc::new(BuiltIndex {
                runs: shards,
                holders,
                sources,
            }),
            changes: Arc::default(),
        })
    }
}

/// Word hash → (start, length) of its run in `BuiltIndex::holders`: one shard of them.
type WordRuns = foldhash::HashMap<u32, (u32, u32)>;

/// How many shards a `BuiltIndex`'s runs are kept in: built side by side, each from the words of
/// its range of hashes (a slice of each source's sorted words). Built on one thread, the index
/// was a third of a second at 100 MB during which the other cores had nothing to do.
const SHARD_BITS: u32 = 4;
const SHARDS: usize = 1 << SHARD_BITS;

/// The shard of a word hash: its top bits.
fn shard_of(word: u32) -> usize {
    (word >> (u32::BITS - SHARD_BITS)) as usize
}

/// The word hashes of `shard`: from its first up to the next shard's first (`None`: the last
/// shard, up to the end).
fn shard_bounds(shard: usize) -> (u32, Option<u32>) {
    let first = |shard: usize| u32::try_from((shard as u64) << (u32::BITS - SHARD_BITS)).ok();
    (first(shard).unwrap_or(u32::MAX), first(shard + 1))
}

/// How many sources each shard reads before their mapped pages are given back.
const SOURCES_PER_BATCH: usize = 64;

impl BuiltIndex {
    /// The index of `sources`, with postings in two bytes if there are at most `narrow_max`.
    fn build(
        sources: &[Arc<Source>],
        built_words: &[Option<StoredU32s>],
        narrow_max: usize,
    ) -> BuiltIndex {
        let sources = sources
            .get(..sources.len().min(u32::MAX as usize))
            .unwrap_or_default();
        let sources = SourceWords {
            sources,
            built_words,
        };
        // Two passes over the sources' word hashes, each shard at once: count, then place.
        let mut runs: Vec<WordRuns> = vec![WordRuns::default(); SHARDS];
        for_each_word_by_shard(&sources, &mut runs, |runs, _, word| {
            runs.entry(word).or_default().1 += 1;
        });
        // Each shard's runs one after the other, in shard order.
        let mut next = 0u32;
        let mut shard_starts = Vec::with_capacity(SHARDS + 1);
        for runs in &mut runs {
            shard_starts.push(next);
            for run in runs.values_mut() {
                let length = run.1;
                *run = (next, 0);
                next = next.saturating_add(length);
            }
        }
        shard_starts.push(next);
        let holders = if sources.sources.len() <= narrow_max.min(usize::from(u16::MAX) + 1) {
            Holders::Narrow(place_holders(&sources, &mut runs, &shard_starts))
        } else {
            Holders::Wide(place_holders(&sources, &mut runs, &shard_starts))
        };
        BuiltIndex {
            runs,
            holders,
            sources: sources.sources.len(),
        }
    }
}

/// The sources an index is built from, and the word hashes it reads of each: those built at
/// load when given (on the heap), else the source's own (mapped from its record, as a rule).
struct SourceWords<'a> {
    sources: &'a [Arc<Source>],
    built_words: &'a [Option<StoredU32s>],
}

impl SourceWords<'_> {
    /// The word hashes of source `index`, and whether they are the source's own (mapped, to be
    /// given back after a batch).
    fn of<'s>(&'s self, index: usize, source: &'s Source) -> (&'s StoredU32s, bool) {
        match self.built_words.get(index) {
            Some(Some(built)) => (built, false),
            _ => (&source.words, true),
        }
    }
}

/// Calls `visit` with each shard's state for every word hash of that shard in every source
/// (with the source's index), in corpus order: the shards side by side, `SOURCES_PER_BATCH`
/// sources at a time, whose mapped pages are given back after each batch.
fn for_each_word_by_shard<S: Send>(
    sources: &SourceWords<'_>,
    shards: &mut [S],
    visit: impl Fn(&mut S, usize, u32) + Sync,
) {
    let mut first = 0;
    for batch in sources.sources.chunks(SOURCES_PER_BATCH) {
        shards
            .par_iter_mut()
            .enumerate()
            .for_each(|(shard, state)| {
                let (low, high) = shard_bounds(shard);
                for (index, source) in (first..).zip(batch) {
                    let (words, _) = sources.of(index, source);
                    for word in words.sorted_range(low, high) {
                        visit(state, index, word);
                    }
                }
            });
        for (index, source) in (first..).zip(batch) {
            if sources.of(index, source).1 {
                source.release_pages();
            }
        }
        first += batch.len();
    }
}

/// The second pass of `BuiltIndex::build`: each source's index placed in the runs of its words,
/// as `T` (narrow enough for every index: checked by the caller). Shard `i`'s runs fill
/// `shard_starts[i]..shard_starts[i + 1]` of the postings.
fn place_holders<T: Copy + Default + Send + TryFrom<usize>>(
    sources: &SourceWords<'_>,
    runs: &mut [WordRuns],
    shard_starts: &[u32],
) -> Vec<T> {
    let total = shard_starts.last().copied().unwrap_or(0) as usize;
    let mut holders = vec![T::default(); total];
    // Each shard's part of the postings, to fill side by side.
    let mut parts: Vec<(&mut [T], u32)> = Vec::with_capacity(SHARDS);
    let mut rest = holders.as_mut_slice();
    for bounds in shard_starts.windows(2) {
        let length = (bounds[1] - bounds[0]) as usize;
        let (part, after) = rest.split_at_mut(length.min(rest.len()));
        parts.push((part, bounds[0]));
        rest = after;
    }
    let mut shards: Vec<_> = runs.iter_mut().zip(parts).collect();
    for_each_word_by_shard(
        sources,
        &mut shards,
        |(runs, (part, part_start)), index, word| {
            if let (Ok(index), Some(run)) = (T::try_from(index), runs.get_mut(&word))
                && let Some(slot) = part.get_mut((run.0 + run.1 - *part_start) as usize)
            {
                *slot = index;
                run.1 += 1;
            }
        },
    );
    holders
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(key: &str, text: &str) -> Arc<Source> {
        Arc::new(Source::markdown_for_test(key, text))
    }

    fn hashes(words: &str) -> Vec<u32> {
        key_words(words).into_vec()
    }

    /// The `WordsHeld` of `held` among `words`, each of them listed there.
    fn held_of(words: &[u32], held: &str) -> WordsHeld {
        hashes(held).iter().fold(WordsHeld::NONE, |which, word| {
            let at = words.iter().position(|w| w == word).expect("a word listed");
            which.with(WordsHeld::of(at))
        })
    }

    #[test]
    fn sources_are_ranked_by_the_words_they_hold() {
        let sources = vec![
            source("a", "The levee held through the storm."),
            source(
                "b",
                "The *storm* passed; the LEVEE held, and the river fell.",
            ),
            source("c", "Nothing of the kind."),
        ];
        let index = WordIndex::build(&sources);
        let words = hashes("the river fell levee");
        let every = held_of(&words, "the river fell levee");
        assert_eq!(
            index.sources_holding(&words, 1, in_corpus_order),
            vec![
                (1, 4, every),
                (0, 2, held_of(&words, "the levee")),
                (2, 1, held_of(&words, "the"))
            ]
        );
        assert_eq!(
            index.sources_holding(&words, 3, in_corpus_order),
            vec![(1, 4, every)]
        );
        assert!(
            index
                .sources_holding(&hashes("absent words"), 1, in_corpus_order)
                .is_empty()
        );
    }

    /// 300 sources `s0`, `s1`... holding `texts` in turn (past 256: postings in two bytes are
    /// tried on more than one byte's worth of sources).
    fn three_hundred_sources(texts: &[&str]) -> Vec<Arc<Source>> {
        (0..300)
            .map(|i| source(&format!("s{i}"), texts[i % texts.len()]))
            .collect()
    }

    /// Postings in two bytes or in four: the same sources for every word.
    #[test]
    fn narrow_and_wide_postings_name_the_same_sources() {
        let texts = [
            "The levee held through the storm.",
            "The storm passed and the river fell.",
            "Nothing of the kind.",
            "A levee, a river, a storm.",
        ];
        let sources = three_hundred_sources(&texts);
        let narrow = WordIndex::build(&sources);
        let wide = WordIndex::build_narrow_up_to(&sources, &[], 0);
        assert!(matches!(narrow.built.holders, Holders::Narrow(_)));
        assert!(matches!(wide.built.holders, Holders::Wide(_)));
        for word in hashes("the levee storm river kind absent a") {
            let named = |index: &WordIndex| index.sources_with(word).iter().collect::<Vec<_>>();
            assert_eq!(named(&narrow), named(&wide));
            assert_eq!(narrow.sources_with(word).len(), named(&narrow).len());
        }
        assert_eq!(named_sources(&narrow, "storm"), vec![0, 1, 3, 4, 5, 7]);
        let words = hashes("the river fell levee");
        assert_eq!(
            narrow.sources_holding(&words, 1, in_corpus_order),
            wide.sources_holding(&words, 1, in_corpus_order)
        );
    }

    /// An index encoded and decoded answers as it did; bytes that are not an index of a corpus
    /// of that size are refused.
    #[test]
    fn an_encoded_index_reads_back_the_same() {
        let texts = [
            "The levee held through the storm.",
            "The storm passed and the river fell.",
            "Nothing of the kind.",
        ];
        let sources = three_hundred_sources(&texts);
        let words = hashes("the river fell levee storm kind absent");
        for (index, narrow) in [
            (WordIndex::build(&sources), true),
            (WordIndex::build_narrow_up_to(&sources, &[], 0), false),
        ] {
            let bytes = index.encode();
            let back = WordIndex::decode(&bytes, sources.len()).expect("decodes");
            assert_eq!(matches!(back.built.holders, Holders::Narrow(_)), narrow);
            for &word in &words {
                let named = |index: &WordIndex| index.sources_with(word).iter().collect::<Vec<_>>();
                assert_eq!(named(&back), named(&index));
            }
            assert_eq!(
                back.sources_holding(&words, 1, in_corpus_order),
                index.sources_holding(&words, 1, in_corpus_order)
            );
            assert!(WordIndex::decode(&bytes, sources.len() + 1).is_none());
            // Said to be of a corpus of 100 sources, its postings name sources up to 299.
            let mut fewer = bytes.clone();
            fewer[..8].copy_from_slice(&100u64.to_le_bytes());
            assert!(WordIndex::decode(&fewer, 100).is_none());
            for cut in [8, bytes.len() / 2, bytes.len() - 1] {
                assert!(WordIndex::decode(&bytes[..cut], sources.len()).is_none());
            }
        }
    }

    /// Ties in corpus order.
    fn in_corpus_order(source: usize) -> u64 {
        source as u64
    }

    fn named_sources(index: &WordIndex, word: &str) -> Vec<u32> {
        let hash = hashes(word).into_iter().next().expect("a word");
        index.sources_with(hash).iter().take(6).collect()
    }

    #[test]
    fn rare_words_held_rank_a_source_before_more_common_ones() {
        let sources = vec![
            source("a", "Alpha and beta."),
            source("b", "Alpha, beta."),
            source("c", "Beta; alpha."),
            source("d", "Gamma alone."),
        ];
        let index = WordIndex::build(&sources);
        // `d` holds one word, held by no other source; `a`, `b`, `c` hold two held by three.
        let words = hashes("alpha beta gamma");
        let ranked = index.sources_holding(&words, 1, in_corpus_order);
        let both = held_of(&words, "alpha beta");
        assert_eq!(
            ranked,
            vec![
                (3, 1, held_of(&words, "gamma")),
                (0, 2, both),
                (1, 2, both),
                (2, 2, both)
            ]
        );
    }

    #[test]
    fn key_words_are_distinct_and_skip_unspaced_scripts() {
        assert_eq!(hashes("a b a").len(), 2);
        assert!(is_indexed("café"));
        assert!(!is_indexed("和平"));
        assert!(!is_indexed(""));
        assert_eq!(hashes("和平 and peace"), hashes("and peace"));
    }

    fn pair_of(words: &str) -> (u32, u32) {
        let mut hashes = words.split(' ').map(word_hash);
        (
            hashes.next().expect("two words"),
            hashes.next().expect("two words"),
        )
    }

    #[test]
    fn the_pair_filter_holds_adjacent_words_and_the_words_at_breaks() {
        let key = "the levee held 和平 through the storm the river fell";
        // A paragraph break before "the river".
        let brk = u32::try_from(key.find(" the river").expect("fixture")).expect("small");
        let filter = index_key(key, &[brk]).1;
        for pair in [
            "the levee",
            "levee held",
            "storm the",
            "the river",
            "river fell",
        ] {
            let (first, second) = pair_of(pair);
            assert!(filter.may_hold(first, second), "{pair}");
        }
        // Pairs the key does not hold (these are answered exactly: nothing collides here).
        for pair in ["levee the", "held through", "the storm_", "fell the"] {
            let (first, second) = pair_of(pair);
            assert!(!filter.may_hold(first, second), "{pair}");
        }
        // Only "storm" ends a paragraph and only "the" (after it) starts one.
        let (storm, the) = pair_of("storm the");
        let (river, levee) = pair_of("river levee");
        assert!(filter.may_split(storm, the));
        assert!(!filter.may_split(river, levee));
        assert!(!filter.may_split(the, storm));
        // Read back from its bits, the filter answers the same.
        let again = PairFilter::from_bits(filter.bits().to_vec()).expect("bits");
        assert!(again.may_hold(storm, the) && again.may_split(storm, the));
        assert!(!again.may_split(river, levee));
    }

    /// The words of `texts` (indices into `VOCABULARY`) as a source's text.
    fn text_of(words: &[usize]) -> String {
        const VOCABULARY: &[&str] = &[
            "levee", "storm", "river", "town", "held", "fell", "the", "canal", "spring", "water",
        ];
        let words: Vec<&str> = words
            .iter()
            .filter_map(|&w| VOCABULARY.get(w % VOCABULARY.len()).copied())
            .collect();
        format!("{}.", words.join(" "))
    }

    /// An index's answers for every word of `words` and for a word no source holds.
    fn answers(index: &WordIndex, words: &str) -> Vec<(Vec<u32>, usize)> {
        hashes(&format!("{words} absent"))
            .into_iter()
            .map(|word| {
                let with = index.sources_with(word);
                (with.iter().collect(), with.len())
            })
            .collect()
    }

    #[test]
    fn changes_undone_leave_the_index_and_too_many_build_it_again() {
        let sources: Vec<Arc<Source>> = (0..6)
            .map(|i| source(&format!("s{i}"), &text_of(&[i, i + 1, i + 2])))
            .collect();
        let index = WordIndex::build(&sources);
        let mut changed = sources.clone();
        changed[2] = source("s2", "The canal froze.");
        let edited = index.with_sources_replaced_up_to(&changed, &[(2, sources[2].clone())], 2);
        assert_eq!(edited.changed_sources(), 1);
        assert!(Arc::ptr_eq(&edited.built, &index.built));
        assert_eq!(named_sources(&edited, "froze"), vec![2]);
        assert_eq!(named_sources(&edited, "canal"), vec![2, 5]);
        assert_eq!(named_sources(&edited, "town"), vec![1, 3]);
        // Saved back as it was: no change left.
        let undone = edited.with_sources_replaced_up_to(&sources, &[(2, changed[2].clone())], 2);
        assert_eq!(undone.changed_sources(), 0);
        assert_eq!(
            answers(&undone, "canal froze spring"),
            answers(&index, "canal froze spring")
        );
        // A third source changed, past the limit of two: built again, with nothing changed.
        let mut more = changed.clone();
        more[0] = source("s0", "Frozen.");
        more[1] = source("s1", "Thawed.");
        let replaced = [(0, sources[0].clone()), (1, sources[1].clone())];
        let rebuilt = edited.with_sources_replaced_up_to(&more, &replaced, 2);
        assert_eq!(rebuilt.changed_sources(), 0);
        assert!(!Arc::ptr_eq(&rebuilt.built, &index.built));
        assert_eq!(
            answers(&rebuilt, "frozen thawed froze levee"),
            answers(&WordIndex::build(&more), "frozen thawed froze levee")
        );
    }

    #[test]
    fn every_hash_falls_in_the_bounds_of_its_own_shard() {
        let edges = (0..=SHARDS as u64).flat_map(|shard| {
            let first = shard << (u32::BITS - SHARD_BITS);
            [first.saturating_sub(1), first, first + 1]
        });
        for hash in edges
            .filter_map(|h| u32::try_from(h).ok())
            .chain([u32::MAX])
        {
            for shard in 0..SHARDS {
                let (low, high) = shard_bounds(shard);
                let inside = low <= hash && high.is_none_or(|high| hash < high);
                assert_eq!(
                    inside,
                    shard_of(hash) == shard,
                    "hash {hash:#x}, shard {shard}"
                );
            }
        }
    }

    /// The places of a run held once are that one place; a run the key lacks has none, even
    /// when each of its words is there.
    #[test]
    fn the_places_of_a_run_are_where_its_words_are_in_order() {
        let words: Vec<String> = (0..200).map(|i| format!("w{}", i % 150)).collect();
        let key = words.join(" ");
        let places = WordPlaces::build(&key).expect("a key of 200 words has places");
        let start = key.find("w120 w121 w122").expect("in the key");
        let starts = |run: &[&str]| places.where_run_may_start(run);
        assert_eq!(starts(&["w120", "w121", "w122"]), Some(vec![start]));
        assert_eq!(starts(&["w121", "w120", "w5"]), Some(vec![]));
        // `w7` is there twice (words 7 and 157).
        assert_eq!(starts(&["w7"]).map(|s| s.len()), Some(2));
    }

    /// The places of the commonest words are left out: a run of them alone is searched for in
    /// the whole key, a run with one other word where that word is.
    #[test]
    fn the_places_of_the_commonest_words_are_left_out() {
        let key = (0..50)
            .map(|i| format!("of the w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let places = WordPlaces::build(&key).expect("a key of 150 words has places");
        assert_eq!(places.where_run_may_start(&["of", "the"]), None);
        let start = key.find("of the w42").expect("in the key");
        assert_eq!(
            places.where_run_may_start(&["of", "the", "w42"]),
            Some(vec![start])
        );
        // Only `w42` is asked: the place is given, the bytes there tell the run is not.
        assert_eq!(
            places.where_run_may_start(&["the", "of", "w42"]),
            Some(vec![start])
        );
        assert_eq!(places.where_run_may_start(&["of", "w99"]), Some(vec![]));
    }

    /// Keys of up to 160 words, some repeated often (and so left out of the places), some
    /// holding wide chars, some empty (two spaces in a row).
    fn keys_of_words() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::strategy::Strategy;
        proptest::collection::vec(
            proptest::sample::select(vec![
                "of",
                "the",
                "tide",
                "港口city",
                "和平",
                "",
                "quay",
                "w1",
                "w2",
            ]),
            1..160,
        )
        .prop_map(|words| words.join(" "))
        // (One empty word is the empty key, which `WordPlaces::build` does not place.)
        .prop_filter("a key of at least one byte", |key| !key.is_empty())
    }

    #[test]
    fn the_empty_key_has_no_places() {
        // Shorter than `MIN_PLACED_BYTES`, even in tests.
        assert!(WordPlaces::build("").is_none());
    }

    proptest::proptest! {
        /// A key read in parts side by side has the places it has read whole, however it is cut
        /// (words repeated across parts, common words left out, spaces doubled at a cut, wide
        /// chars).
        #[test]
        fn places_read_in_parts_are_those_read_whole(key in keys_of_words(), parts in 2usize..7) {
            let cut = places_parts(&key, parts);
            proptest::prop_assert!(cut.len() <= parts);
            for pair in cut.windows(2) {
                let (offset, piece) = pair[0];
                proptest::prop_assert_eq!(key.as_bytes()[offset as usize + piece.len()], b' ');
                proptest::prop_assert_eq!(offset as usize + piece.len() + 1, pair[1].0 as usize);
            }
            let whole = WordPlaces::build_in_parts(&places_parts(&key, 1));
            proptest::prop_assert!(whole.is_some());
            proptest::prop_assert!(WordPlaces::build_in_parts(&cut) == whole);
        }
    }

    proptest::proptest! {
        /// A key indexed in parts side by side has the words and pair filter it has indexed
        /// whole, however it is cut (pairs and paragraph breaks across a cut, words repeated
        /// across parts, doubled spaces, wide chars).
        #[test]
        fn keys_indexed_in_parts_are_those_indexed_whole(
            key in keys_of_words(),
            at_breaks in proptest::collection::vec(proptest::bool::ANY, 160),
            parts in 2usize..7,
        ) {
            let breaks: Vec<u32> = key
                .match_indices(' ')
                .zip(&at_breaks)
                .filter(|&(_, &is_break)| is_break)
                .map(|((at, _), _)| at as u32)
                .collect();
            let (whole_words, whole_pairs) =
                index_key_in_parts(&key, &breaks, &places_parts(&key, 1));
            let (words, pairs) = index_key_in_parts(&key, &breaks, &places_parts(&key, parts));
            proptest::prop_assert_eq!(words, whole_words);
            proptest::prop_assert_eq!(pairs.bits(), whole_pairs.bits());
        }
    }

    /// A word hashed 0 (which also marks empty memo slots) is listed once, whether its memo slot
    /// was empty or held another word when it was met.
    #[test]
    fn a_word_hashed_zero_is_listed_once() {
        const HASHED_ZERO: &str = "ppkttia";
        assert_eq!(word_hash(HASHED_ZERO), 0);
        let same_slot = (0..)
            .map(|n| format!("w{n}"))
            .find(|w| word_hash(w) != 0 && (word_hash(w) as usize).is_multiple_of(RECENT_WORDS))
            .expect("a word in the zero word's memo slot");
        for key in [
            format!("{HASHED_ZERO} {same_slot}"),
            format!("{same_slot} {HASHED_ZERO} {same_slot} {HASHED_ZERO}"),
        ] {
            let words = key_words(&key);
            assert_eq!(words.len(), 2, "{key}");
            assert_eq!(words.iter().filter(|&&w| w == 0).count(), 1, "{key}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// A key's words are every indexed word of it once, sorted: however often the memo of
        /// recent words is right or wrong (four slots in tests), and however many new words fill
        /// blocks before they are listed.
        #[test]
        fn a_keys_words_are_each_of_its_indexed_words_once(
            words in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Strategy::prop_map(0u32..400, |n| format!("w{n}")),
                    proptest::strategy::Strategy::prop_map(
                        proptest::sample::select(vec!["the", "of", "港口city", "和平", ""]),
                        String::from,
                    ),
                ],
                0..600,
            ),
        ) {
            let key = words.join(" ");
            let mut expected: Vec<u32> = key_word_hashes(&key).flatten().collect();
            expected.sort_unstable();
            expected.dedup();
            proptest::prop_assert_eq!(key_words(&key).into_vec(), expected);
        }
    }

    proptest::proptest! {
        /// Each word's places are where it starts in the key, in order, and the commonest words'
        /// are left out: as a list of every word's start, grouped by word, tells.
        #[test]
        fn every_words_places_are_where_it_starts(key in keys_of_words()) {
            let places = WordPlaces::build(&key).expect("tests place every key");
            let mut expected: std::collections::BTreeMap<u32, Vec<u32>> = Default::default();
            for_each_place(&key, |hash, start| expected.entry(hash).or_default().push(start));
            let total: usize = expected.values().map(Vec::len).sum();
            let most = (total / LISTED_SHARE).max(MIN_UNLISTED);
            for (hash, starts) in &expected {
                let listed = places.hashes.binary_search(hash).ok().map(|i| places.places_at(i));
                if starts.len() > most {
                    proptest::prop_assert_eq!(listed, None);
                    proptest::prop_assert!(places.unlisted.binary_search(hash).is_ok());
                } else {
                    proptest::prop_assert_eq!(listed, Some(starts.as_slice()));
                }
            }
            proptest::prop_assert_eq!(places.hashes.len() + places.unlisted.len(), expected.len());
            proptest::prop_assert!(places.hashes.is_sorted() && places.unlisted.is_sorted());
            // `tide` is listed at every place it starts (found by reading the key), unless it is
            // among the commonest.
            let tides: Vec<u32> = key
                .match_indices("tide")
                .map(|(at, _)| at as u32)
                .collect();
            match places.places_of("tide") {
                Some(listed) => proptest::prop_assert_eq!(listed, tides.as_slice()),
                None => proptest::prop_assert!(tides.len() > most),
            }
        }
    }

    /// A table of the words at a key's breaks: the word ending at each and the word starting
    /// after it, as the alignment reads words (split at chars of scripts written without
    /// spaces).
    #[test]
    fn the_words_at_breaks_are_those_either_side() {
        let key = "the tide turned 和平 came in 港口city was";
        let breaks: Vec<u32> = ["tide ", "平 ", "in "]
            .iter()
            .map(|w| (key.find(w).expect("in the key") + w.len() - 1) as u32)
            .collect();
        let table = words_at_breaks(key, &breaks);
        let words = |before: &str, after: &str| WordsAtBreak {
            before: word_hash(before),
            after: word_hash(after),
        };
        assert_eq!(
            table.as_ref(),
            [
                words("tide", "turned"),
                words("平", "came"),
                words("in", "港")
            ]
        );
    }

    proptest::proptest! {
        /// Built shard by shard, batch by batch, the index lists for each word exactly the
        /// sources whose keys hold it, in corpus order.
        #[test]
        fn the_index_lists_the_sources_holding_each_word(
            corpus in proptest::collection::vec(proptest::collection::vec(0usize..40, 0..12), 0..140),
        ) {
            let sources: Vec<Arc<Source>> = corpus
                .iter()
                .enumerate()
                .map(|(i, words)| {
                    let text: Vec<String> = words.iter().map(|w| format!("word{w}")).collect();
                    source(&format!("s{i}"), &text.join(" "))
                })
                .collect();
            let index = WordIndex::build(&sources);
            let words: Vec<u32> = sources.iter().flat_map(|s| s.words.iter()).collect();
            for word in words.into_iter().chain([0, u32::MAX]) {
                let expected: Vec<u32> = (0..)
                    .zip(&sources)
                    .filter(|(_, s)| s.words.contains_sorted(word))
                    .map(|(i, _)| i)
                    .collect();
                let listed: Vec<u32> = index.sources_with(word).iter().collect();
                proptest::prop_assert_eq!(listed, expected);
            }
        }

        /// The one-pass hashing equals splitting at spaces, then hashing each indexed word.
        #[test]
        fn key_words_are_the_hashes_of_the_indexed_words(
            key in "([a-z0-9]{1,6}|café|和平|ไทย|  ?| ){0,24}"
        ) {
            let mut expected: Vec<u32> =
                key.split(' ').filter(|w| is_indexed(w)).map(word_hash).collect();
            expected.sort_unstable();
            expected.dedup();
            proptest::prop_assert_eq!(key_words(&key).into_vec(), expected);
        }

        /// The filter holds every pair of adjacent indexed words (no false negatives).
        #[test]
        fn the_pair_filter_holds_every_adjacent_pair(
            key in "([a-z0-9]{1,6}|café|和平| ){0,40}"
        ) {
            let filter = index_key(&key, &[]).1;
            let words: Vec<&str> = key.split(' ').collect();
            for pair in words.windows(2) {
                if let [first, second] = pair && is_indexed(first) && is_indexed(second) {
                    proptest::prop_assert!(filter.may_hold(word_hash(first), word_hash(second)));
                }
            }
        }

        /// Wherever a run of one to three words starts in a key (at a space, a char from U+0E00
        /// up or an end, on either side), the places of its words give that start: reading
        /// those finds every occurrence. Words glued to chars from U+0E00 up are not indexed,
        /// their runs of narrower chars are; words found more than four times have no places
        /// listed (in tests).
        #[test]
        fn the_places_hold_every_start_of_a_run(
            words in proptest::collection::vec(
                proptest::strategy::Strategy::prop_map(0usize..30, |n| match n {
                    20 => "a和".to_string(),
                    21 => "和c".to_string(),
                    22 => "和".to_string(),
                    23 => "d—e".to_string(),
                    24 => "bb和a".to_string(),
                    25 => String::new(),
                    n => format!("w{n}"),
                }),
                0..120,
            ),
        ) {
            let key = words.join(" ");
            let Some(places) = WordPlaces::build(&key) else {
                // Only an empty key has none in tests.
                proptest::prop_assert!(key.is_empty());
                return Ok(());
            };
            let at_boundary = |at: usize| {
                let before = key.get(..at).and_then(|s| s.chars().next_back());
                let after = key.get(at..).and_then(|s| s.chars().next());
                let edge = |c: Option<char>| c.is_none_or(|c| c == ' ' || is_wide(c));
                edge(before) || edge(after)
            };
            // The runs of the key: words one space apart, between chars from U+0E00 up.
            let mut runs: Vec<Vec<&str>> = Vec::new();
            for stretch in key.split(is_wide) {
                let words: Vec<&str> = stretch.split(' ').collect();
                for n in [1, 2, 3] {
                    for run in words.windows(n) {
                        if run.iter().all(|word| !word.is_empty()) {
                            runs.push(run.to_vec());
                        }
                    }
                }
            }
            for run in runs {
                let text = run.join(" ");
                let Some(starts) = places.where_run_may_start(&run) else {
                    continue; // common words only: the whole key is searched
                };
                proptest::prop_assert!(starts.is_sorted());
                // Every occurrence, overlapping ones too.
                let occurrences = (0..key.len()).filter(|&at| {
                    key.get(at..).is_some_and(|rest| rest.starts_with(text.as_str()))
                });
                for at in occurrences {
                    if at_boundary(at) && at_boundary(at + text.len()) {
                        proptest::prop_assert!(
                            starts.contains(&at),
                            "{text:?} at {at} of {key:?}: {starts:?}"
                        );
                    }
                }
            }
        }

        /// An index updated through any sequence of changed sources (some changed back) answers
        /// as the index built afresh over the sources as they are.
        #[test]
        fn an_updated_index_answers_as_one_built_afresh(
            first in proptest::collection::vec(proptest::collection::vec(0usize..10, 0..8), 1..10),
            steps in proptest::collection::vec(
                proptest::collection::vec(
                    (0usize..10, proptest::option::of(proptest::collection::vec(0usize..10, 0..8))),
                    1..4,
                ),
                1..8,
            ),
        ) {
            let original: Vec<Arc<Source>> = first
                .iter()
                .enumerate()
                .map(|(i, words)| source(&format!("s{i}"), &text_of(words)))
                .collect();
            let mut sources = original.clone();
            let mut index = WordIndex::build(&sources);
            let every_word = "levee storm river town held fell the canal spring water";
            for step in steps {
                let mut replaced = Vec::new();
                for (at, words) in step {
                    let at = at % sources.len();
                    let after = match words {
                        Some(words) => source(&format!("s{at}"), &text_of(&words)),
                        None => original[at].clone(), // changed back
                    };
                    replaced.push((at, std::mem::replace(&mut sources[at], after)));
                }
                index = index.with_sources_replaced_up_to(&sources, &replaced, usize::MAX);
                let afresh = WordIndex::build(&sources);
                proptest::prop_assert_eq!(answers(&index, every_word), answers(&afresh, every_word));
                let words = hashes("levee storm water canal");
                proptest::prop_assert_eq!(
                    index.sources_holding(&words, 1, in_corpus_order),
                    afresh.sources_holding(&words, 1, in_corpus_order)
                );
            }
        }
    }
}

//! The exact tiers: a text verbatim at word boundaries, a text split over paragraph breaks where
//! page furniture interrupts it, and elided patterns (texts in order with bounded gaps between).

use std::ops::Range;

use foldhash::HashSet;
use memchr::memmem;

use super::IndexedWords;
use super::words::{WordHashes, is_boundary};
use super::{Haystack, Pattern};
use crate::ByteRange;

/// Page furniture a split quotation may jump over: at most this many key bytes from the break
/// that ends the first part to the break before the rest (about a running header, a page number,
/// a caption and an author's box).
pub(super) const JUNK_MAX_BYTES: usize = 1600;
/// At most this many paragraphs of furniture in one jump.
const JUNK_MAX_PARAGRAPHS: usize = 8;
/// A quotation (each text of an elided one) is split over page furniture at most this many times.
pub(crate) const MAX_SPLITS: usize = 3;

/// Which ends of a text must fall on word boundaries.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ends {
    pub start: bool,
    pub end: bool,
}

/// One occurrence of a text: its stretches in the key (one unless split over page furniture).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Occurrence {
    pub segments: Vec<ByteRange>,
}

impl Occurrence {
    pub fn start(&self) -> usize {
        self.segments.first().map_or(0, |s| s.start)
    }

    pub fn end(&self) -> usize {
        self.segments.last().map_or(0, |s| s.end)
    }
}

/// Verbatim occurrences of `needle`, in order, whose ends fall on word boundaries as `ends` asks,
/// overlapping ones too (`millers mill` in `millers millers mill` starts inside a first
/// `millers mill`, which ends inside a word). Read only where the `index` says the needle's whole
/// words may be, when it can tell (a large source searched often: its whole key is not read for
/// each quotation).
pub(super) fn verbatim<'a>(
    haystack: &'a str,
    needle: &'a str,
    ends: Ends,
    index: Option<&dyn IndexedWords>,
) -> impl Iterator<Item = ByteRange> + 'a {
    let bytes = haystack.as_bytes();
    let mut places = index
        .and_then(|index| where_text_may_start(index, needle, ends))
        .map(Vec::into_iter);
    let finder = memmem::Finder::new(needle.as_bytes());
    let mut from = 0;
    std::iter::from_fn(move || match &mut places {
        Some(places) => {
            places.find(|&start| bytes.get(start..start + needle.len()) == Some(needle.as_bytes()))
        }
        None => {
            let start = from + finder.find(bytes.get(from..)?)?;
            from = start + 1;
            Some(start)
        }
    })
    .map(move |start| start..start + needle.len())
    .filter(move |r| {
        (!ends.start || is_boundary(haystack, r.start))
            && (!ends.end || is_boundary(haystack, r.end))
    })
}

/// Where `text` (key words one space apart) may start in the key, ascending, from the places of
/// the words it holds whole: all but an end that need not fall on a word boundary (it may be
/// part of a longer word). Never leaves out a place where it starts with its ends as `ends`
/// asks. `None` when the index cannot tell (no places, or no whole word with its places listed).
fn where_text_may_start(index: &dyn IndexedWords, text: &str, ends: Ends) -> Option<Vec<usize>> {
    let words: Vec<&str> = text.split(' ').collect();
    let whole = words.get(usize::from(!ends.start)..words.len() - usize::from(!ends.end))?;
    if whole.is_empty() {
        return None;
    }
    let shift = if ends.start {
        0
    } else {
        words.first()?.len() + 1
    };
    let starts = index.where_run_may_start(whole)?;
    Some(
        starts
            .into_iter()
            .filter_map(|start| start.checked_sub(shift))
            .collect(),
    )
}

/// Where `text` may be cut for a split over page furniture: (end of the first part, start of the
/// rest). At spaces, and between two chars of an unspaced script.
fn split_points(text: &str) -> Vec<(usize, usize)> {
    let mut points = Vec::new();
    let mut previous: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c == ' ' {
            points.push((i, i + 1));
        } else if previous.is_some_and(super::words::is_unspaced) && super::words::is_unspaced(c) {
            points.push((i, i));
        }
        previous = Some(c);
    }
    points
}

/// Occurrences of `text` split over page furniture: a first part ending exactly at a paragraph
/// break, the rest resuming right after a later break within `JUNK_MAX_BYTES` (possibly split
/// again). Sorted by start. With the `index`'s table of the words at the breaks, a first part
/// whose last word the table names is tried only at the breaks that word ends (the key is not
/// read at every break: for a source of megabytes, every page of it for each text).
pub(super) fn split_over_breaks(
    haystack: Haystack<'_>,
    text: &str,
    ends: Ends,
    index: Option<&dyn IndexedWords>,
) -> Vec<Occurrence> {
    let key = haystack.text.as_bytes();
    let points = split_points(text);
    let mut found = Vec::new();
    if points.is_empty() {
        return found;
    }
    let table = haystack.words_at_breaks(index);
    // A break can only end a first part whose last byte is the byte before it: the points by
    // that byte (in order), and those with an empty first part, tried at every break. Those
    // whose first part's last word the table names, by that word's hash.
    let mut by_last_byte: Vec<Vec<(usize, usize)>> = vec![Vec::new(); 256];
    let mut empty_first: Vec<(usize, usize)> = Vec::new();
    let mut by_word: Vec<(u32, (usize, usize))> = Vec::new();
    let mut read_at_breaks = false;
    for &(cut, resume) in &points {
        if table.is_some()
            && let Some(hash) = last_word_hash(text, cut, ends)
        {
            by_word.push((hash, (cut, resume)));
            continue;
        }
        read_at_breaks = true;
        match cut
            .checked_sub(1)
            .and_then(|last| text.as_bytes().get(last))
        {
            Some(&byte) => {
                if let Some(list) = by_last_byte.get_mut(usize::from(byte)) {
                    list.push((cut, resume));
                }
            }
            None => empty_first.push((cut, resume)),
        }
    }
    let mut failed = HashSet::default();
    if read_at_breaks {
        for (index, &brk) in haystack.breaks.iter().enumerate() {
            let brk = brk as usize;
            let before = brk
                .checked_sub(1)
                .and_then(|last| key.get(last))
                .and_then(|&byte| by_last_byte.get(usize::from(byte)))
                .map_or(&[][..], Vec::as_slice);
            for &point in empty_first.iter().chain(before) {
                found.extend(split_at(
                    haystack,
                    text,
                    ends,
                    (index, brk),
                    point,
                    &mut failed,
                ));
            }
        }
    }
    if let Some(table) = table
        && !by_word.is_empty()
    {
        // Most breaks end none of the words.
        let last_words = WordHashes::of_hashes(by_word.iter().map(|&(hash, _)| hash));
        for (index, (words, &brk)) in table.iter().zip(haystack.breaks).enumerate() {
            if !last_words.may_hold(words.before) {
                continue;
            }
            for &(hash, point) in &by_word {
                if hash == words.before {
                    let at = (index, brk as usize);
                    found.extend(split_at(haystack, text, ends, at, point, &mut failed));
                }
            }
        }
    }
    // In one order whichever way they were found (by break, then by word): two splits of the
    // same stretch rank by where their segments end, the first break first.
    fn bounds(o: &Occurrence) -> impl Iterator<Item = (usize, usize)> + '_ {
        o.segments.iter().map(|s| (s.start, s.end))
    }
    found.sort_by(|a, b| {
        (a.start(), a.end())
            .cmp(&(b.start(), b.end()))
            .then_with(|| bounds(a).cmp(bounds(b)))
    });
    found.dedup();
    found
}

/// The hash of the last word of `text[..cut]`, the first part of a split, when a match's break
/// always has that word before it in the table of the words at breaks (`WordsAtBreak::before`,
/// read back to a space or a char of a script written without spaces): a word without such
/// chars, after a space of the text, or starting the text on a word boundary. `None` otherwise.
fn last_word_hash(text: &str, cut: usize, ends: Ends) -> Option<u32> {
    let first = text.get(..cut)?;
    let (word, after_space) = match first.rfind(' ') {
        Some(space) => (first.get(space + 1..)?, true),
        None => (first, false),
    };
    if word.is_empty()
        || (!after_space && !ends.start)
        || word.chars().any(super::words::is_unspaced)
    {
        return None;
    }
    Some(crate::corpus::word_hash(word))
}

/// The occurrence of `text` whose first part (up to `cut`) ends at the break `at` (its index and
/// offset), the rest (from `resume`) after a later break.
fn split_at(
    haystack: Haystack<'_>,
    text: &str,
    ends: Ends,
    (index, brk): (usize, usize),
    (cut, resume): (usize, usize),
    failed: &mut HashSet<(usize, usize, usize)>,
) -> Option<Occurrence> {
    let key = haystack.text.as_bytes();
    let first = text.get(..cut)?;
    let start = brk.checked_sub(first.len())?;
    // Its first byte before the slice: most places fail there, without a `memcmp` call.
    let (first_bytes, at) = (first.as_bytes(), key.get(start..brk));
    if at.and_then(<[u8]>::first) != first_bytes.first()
        || at != Some(first_bytes)
        || (ends.start && !is_boundary(haystack.text, start))
    {
        return None;
    }
    let rest = text.get(resume..)?;
    let mut segments = resume_after(haystack, rest, index, ends, 1, failed)?;
    segments.insert(0, start..brk);
    Some(Occurrence { segments })
}

/// The rest of a split text, starting right after one of the breaks following `haystack.breaks[after]`.
///
/// Every `rest` of one search is a suffix of the same text, so `(rest.len(), after, depth)` names
/// a call: those that found nothing are kept in `failed` and not searched again (a text of
/// repeated words over many breaks would otherwise retry the same suffixes exponentially often).
fn resume_after(
    haystack: Haystack<'_>,
    rest: &str,
    after: usize,
    ends: Ends,
    depth: usize,
    failed: &mut HashSet<(usize, usize, usize)>,
) -> Option<Vec<ByteRange>> {
    if failed.contains(&(rest.len(), after, depth)) {
        return None;
    }
    let found = resume_after_uncached(haystack, rest, after, ends, depth, failed);
    if found.is_none() {
        failed.insert((rest.len(), after, depth));
    }
    found
}

fn resume_after_uncached(
    haystack: Haystack<'_>,
    rest: &str,
    after: usize,
    ends: Ends,
    depth: usize,
    failed: &mut HashSet<(usize, usize, usize)>,
) -> Option<Vec<ByteRange>> {
    let key = haystack.text.as_bytes();
    let from = *haystack.breaks.get(after)? as usize;
    let later = haystack.breaks.get(after + 1..)?;
    for (offset, &brk) in later.iter().enumerate().take(JUNK_MAX_PARAGRAPHS) {
        let brk = brk as usize;
        if brk - from > JUNK_MAX_BYTES {
            break;
        }
        let start = brk + 1;
        let end = start + rest.len();
        if key.get(start..end) == Some(rest.as_bytes())
            && (!ends.end || is_boundary(haystack.text, end))
        {
            let segment: ByteRange = start..end;
            return Some(vec![segment]);
        }
        if depth >= MAX_SPLITS {
            continue;
        }
        // The rest may itself stop at a further break.
        let index = after + 1 + offset;
        for (next_offset, &next) in haystack.breaks.get(index + 1..)?.iter().enumerate() {
            let next = next as usize;
            let Some(len) = next.checked_sub(start) else {
                continue;
            };
            if len >= rest.len() {
                break;
            }
            let cut_is_space = rest.as_bytes().get(len) == Some(&b' ');
            if !cut_is_space || key.get(start..next) != rest.as_bytes().get(..len) {
                continue;
            }
            let Some(tail) = rest.get(len + 1..) else {
                continue;
            };
            if let Some(mut segments) = resume_after(
                haystack,
                tail,
                index + 1 + next_offset,
                ends,
                depth + 1,
                failed,
            ) {
                segments.insert(0, start..next);
                return Some(segments);
            }
        }
    }
    None
}

/// Tiers 1 and 2 for a pattern of one text: the earliest verbatim occurrence, else the earliest
/// split over page furniture.
pub(super) fn find_text(
    haystack: Haystack<'_>,
    text: &str,
    ends: Ends,
    index: Option<&dyn IndexedWords>,
) -> Option<Occurrence> {
    if let Some(range) = verbatim(haystack.text, text, ends, index).next() {
        return Some(Occurrence {
            segments: vec![range],
        });
    }
    split_over_breaks(haystack, text, ends, index)
        .into_iter()
        .next()
}

/// Every occurrence of `text`, verbatim or split, sorted by end.
fn all_occurrences(
    haystack: Haystack<'_>,
    text: &str,
    ends: Ends,
    index: Option<&dyn IndexedWords>,
) -> Vec<Occurrence> {
    let mut all: Vec<Occurrence> = verbatim(haystack.text, text, ends, index)
        .map(|range| Occurrence {
            segments: vec![range],
        })
        .collect();
    all.extend(split_over_breaks(haystack, text, ends, index));
    all.sort_by_key(|o| (o.end(), o.start()));
    all
}

/// The key bytes a gap stands for between two occurrences, not counting the spaces at its edges.
fn gap_len(key: &str, range: Range<usize>) -> usize {
    key.get(range)
        .map_or(usize::MAX, |gap| gap.trim_matches(' ').len())
}

/// Tier 3: every text of the pattern in order, each gap within its bound; the tightest chain
/// (shortest from first to last byte), the earliest among equals. Ends next to a gap need no word
/// boundary only when no chain exists with them all on boundaries (`[T]he` stands for `the`).
pub(super) fn find_elided(
    haystack: Haystack<'_>,
    pattern: &Pattern,
    index: Option<&dyn IndexedWords>,
) -> Option<Vec<ByteRange>> {
    find_chain(haystack, pattern, true, index)
        .or_else(|| find_chain(haystack, pattern, false, index))
}

/// The occurrences of one text of an elided pattern and, for each, the latest start of a valid
/// chain ending with it and the index of the occurrence it follows in the previous layer.
type Layer = (Vec<Occurrence>, Vec<Option<(usize, usize)>>);

fn find_chain(
    haystack: Haystack<'_>,
    pattern: &Pattern,
    strict_inner: bool,
    index: Option<&dyn IndexedWords>,
) -> Option<Vec<ByteRange>> {
    let last = pattern.texts.len().checked_sub(1)?;
    let ends_of = |i: usize| Ends {
        start: if i == 0 {
            !pattern.loose_start
        } else {
            strict_inner
        },
        end: if i == last {
            !pattern.loose_end
        } else {
            strict_inner
        },
    };
    // For each occurrence of text i: the latest start of a valid chain ending with it, and the
    // occurrence of text i-1 it follows.
    let mut layers: Vec<Layer> = Vec::new();
    for (i, text) in pattern.texts.iter().enumerate() {
        let occurrences = all_occurrences(haystack, text, ends_of(i), index);
        let chains: Vec<Option<(usize, usize)>> = match layers.last() {
            None => occurrences.iter().map(|o| Some((o.start(), 0))).collect(),
            Some((previous, previous_chains)) => {
                let max = pattern.gaps.get(i - 1).copied().unwrap_or(0);
                occurrences
                    .iter()
                    .map(|o| {
                        let lowest_end = o.start().saturating_sub(max + 2);
                        let first = previous.partition_point(|p| p.end() < lowest_end);
                        let mut best: Option<(usize, usize)> = None;
                        for (j, p) in previous.iter().enumerate().skip(first) {
                            if p.end() > o.start() {
                                break;
                            }
                            let Some(Some((start, _))) = previous_chains.get(j) else {
                                continue;
                            };
                            if gap_len(haystack.text, p.end()..o.start()) <= max
                                && best.is_none_or(|(s, _)| *start > s)
                            {
                                best = Some((*start, j));
                            }
                        }
                        best
                    })
                    .collect()
            }
        };
        if chains.iter().all(Option::is_none) {
            return None;
        }
        layers.push((occurrences, chains));
    }
    let (last_occurrences, last_chains) = layers.last()?;
    let (mut index, _) = last_occurrences
        .iter()
        .zip(last_chains)
        .enumerate()
        .filter_map(|(j, (o, chain))| chain.map(|(start, _)| (j, (o.end() - start, start))))
        .min_by_key(|&(_, key)| key)?;
    let mut pieces: Vec<Vec<ByteRange>> = Vec::new();
    for (occurrences, chains) in layers.iter().rev() {
        let occurrence = occurrences.get(index)?;
        pieces.push(occurrence.segments.clone());
        index = chains.get(index).copied().flatten()?.1;
    }
    Some(pieces.into_iter().rev().flatten().collect())
}

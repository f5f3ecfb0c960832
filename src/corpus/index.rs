//! The corpus's word index: for each word of the matching keys, the sources that hold it. Quote
//! resolution asks it which sources hold enough of a quotation's words, so that a quotation is
//! searched in a handful of sources rather than in all of them.
//!
//! Words are stored as 32-bit hashes: a collision can only make a source look like a better
//! candidate than it is (it is then searched and not found), never hide one.

use std::collections::HashMap;
use std::sync::Arc;

use super::Source;

/// The distinct word hashes of a matching key (`key_text`), sorted: `word_hash` of each word
/// (between single spaces) that `is_indexed`.
pub fn key_words(key: &str) -> Box<[u32]> {
    // One pass over the bytes, hashing as it goes (a key is mostly short ASCII words: splitting
    // first, then hashing, costs a `memchr` call per word); repeats dropped before sorting.
    let mut distinct: foldhash::HashSet<u32> = foldhash::HashSet::default();
    let mut start = 0;
    let mut hash = FNV_OFFSET;
    let mut ascii = true;
    let bytes = key.as_bytes();
    for (at, &byte) in bytes.iter().enumerate() {
        if byte == b' ' {
            if at > start && (ascii || key.get(start..at).is_some_and(is_indexed)) {
                distinct.insert(hash);
            }
            (start, hash, ascii) = (at + 1, FNV_OFFSET, true);
        } else {
            hash = fnv_step(hash, byte);
            ascii &= byte.is_ascii();
        }
    }
    if bytes.len() > start && (ascii || key.get(start..).is_some_and(is_indexed)) {
        distinct.insert(hash);
    }
    let mut words: Vec<u32> = distinct.into_iter().collect();
    words.sort_unstable();
    words.into_boxed_slice()
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

/// Which sources hold each word.
#[derive(Debug, Default)]
pub struct WordIndex {
    /// Word hash → indices (into `Corpus::sources`) of the sources holding it, ascending.
    postings: HashMap<u32, Vec<u32>>,
    sources: usize,
}

impl WordIndex {
    pub fn build(sources: &[Arc<Source>]) -> WordIndex {
        let mut postings: HashMap<u32, Vec<u32>> = HashMap::new();
        for (index, source) in sources.iter().enumerate() {
            let Ok(index) = u32::try_from(index) else {
                break;
            };
            for &word in source.words.iter() {
                postings.entry(word).or_default().push(index);
            }
        }
        WordIndex {
            postings,
            sources: sources.len(),
        }
    }

    /// How many sources the index covers.
    pub fn source_count(&self) -> usize {
        self.sources
    }

    /// The sources (indices into `Corpus::sources`, ascending) holding the word with hash `word`.
    pub fn sources_with(&self, word: u32) -> &[u32] {
        self.postings.get(&word).map_or(&[], Vec::as_slice)
    }

    /// For each source holding at least `min` of `words` (distinct hashes), the source's index
    /// and how many it holds, most first (then in corpus order).
    pub fn sources_holding(&self, words: &[u32], min: usize) -> Vec<(usize, usize)> {
        let mut counts = vec![0u32; self.sources];
        for word in words {
            for &source in self.postings.get(word).map(Vec::as_slice).unwrap_or(&[]) {
                if let Some(count) = counts.get_mut(source as usize) {
                    *count += 1;
                }
            }
        }
        let mut holding: Vec<(usize, usize)> = counts
            .into_iter()
            .enumerate()
            .map(|(source, count)| (source, count as usize))
            .filter(|&(_, count)| count >= min.max(1))
            .collect();
        holding.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        holding
    }
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
        assert_eq!(
            index.sources_holding(&words, 1),
            vec![(1, 4), (0, 2), (2, 1)]
        );
        assert_eq!(index.sources_holding(&words, 3), vec![(1, 4)]);
        assert!(index.sources_holding(&hashes("absent words"), 1).is_empty());
    }

    #[test]
    fn key_words_are_distinct_and_skip_unspaced_scripts() {
        assert_eq!(hashes("a b a").len(), 2);
        assert!(is_indexed("café"));
        assert!(!is_indexed("和平"));
        assert!(!is_indexed(""));
        assert_eq!(hashes("和平 and peace"), hashes("and peace"));
    }

    proptest::proptest! {
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
    }
}

//! The corpus's word index: for each word of the matching keys, the sources that hold it. Quote
//! resolution asks it which sources hold enough of a quotation's words, so that a quotation is
//! searched in a handful of sources rather than in all of them.
//!
//! Words are stored as 32-bit hashes: a collision can only make a source look like a better
//! candidate than it is (it is then searched and not found), never hide one.

use std::collections::HashMap;
use std::sync::Arc;

use super::Source;

/// The distinct word hashes of a matching key (`key_text`), sorted.
pub fn key_words(key: &str) -> Box<[u32]> {
    let mut words: Vec<u32> = key
        .split(' ')
        .filter(|word| is_indexed(word))
        .map(word_hash)
        .collect();
    words.sort_unstable();
    words.dedup();
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

/// FNV-1a: a fixed, fast hash (the index is rebuilt, never stored, so any fixed hash does).
pub fn word_hash(word: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in word.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
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
}

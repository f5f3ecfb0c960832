//! The passage index: every source split into sentences of its clean text, indexed by content-word
//! stems for BM25 retrieval, built lazily (a source is indexed the first time a claim needs it)
//! and shared by every note of a snapshot. A passage is a sentence with its neighbours (the
//! sentence before and after), so a claim that spans two sentences of the source still finds both.
//! Corpus-wide retrieval (which sources to look in for an uncited claim) uses the corpus's word
//! index, weighting each word by how few sources hold it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::lexicon::{is_stop_word, lowercase, number_value, stem_hash, token_ranges};
use crate::ByteRange;
use crate::analysis::terms::sentences::split_sentences_with_breaks;
use crate::corpus::{Corpus, Source};
use crate::corpus::{is_indexed, word_hash};

/// BM25 parameters (the usual ones).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// One source's sentences and their BM25 postings.
#[derive(Debug, Default)]
pub struct SourcePassages {
    /// Sentences, as ranges of the source's clean text, in order.
    pub sentences: Vec<ByteRange>,
    /// The distinct stem hashes of the source, ascending. The postings of `stems[i]` are
    /// `posting_sentences[starts[i]..starts[i + 1]]` (ascending) with their `posting_counts`:
    /// six bytes per posting, the bulk of the index.
    stems: Vec<u32>,
    starts: Vec<u32>,
    posting_sentences: Vec<u32>,
    /// How often the stem occurs in that sentence.
    posting_counts: Vec<u16>,
    /// Content words per sentence.
    lengths: Vec<u16>,
    average_length: f32,
}

impl SourcePassages {
    pub fn build(source: &Source) -> SourcePassages {
        let text = source.clean.text.as_str();
        let sentences = split_sentences_with_breaks(text, &source.clean.breaks);
        let mut postings: Vec<(u32, u32, u16)> = Vec::new();
        let mut lengths = Vec::with_capacity(sentences.len());
        // Stems of the words seen so far: a source repeats its vocabulary.
        let mut stems: foldhash::HashMap<&str, Option<u32>> = foldhash::HashMap::default();
        let mut counts: Vec<(u32, u16)> = Vec::new();
        for (index, range) in sentences.iter().enumerate() {
            let Ok(index) = u32::try_from(index) else {
                break;
            };
            counts.clear();
            let mut length: u16 = 0;
            let sentence = text.get(range.clone()).unwrap_or("");
            for token in token_ranges(sentence) {
                let token = sentence.get(token).unwrap_or("");
                let stem = match stems.get(token) {
                    Some(stem) => *stem,
                    None => {
                        let lower = lowercase(token);
                        let stem = (number_value(token).is_none() && !is_stop_word(&lower))
                            .then(|| stem_hash(&lower));
                        stems.insert(token, stem);
                        stem
                    }
                };
                let Some(stem) = stem else {
                    continue;
                };
                match counts.iter_mut().find(|(s, _)| *s == stem) {
                    Some((_, count)) => *count = count.saturating_add(1),
                    None => counts.push((stem, 1)),
                }
                length = length.saturating_add(1);
            }
            postings.extend(counts.iter().map(|&(stem, count)| (stem, index, count)));
            lengths.push(length);
        }
        postings.sort_unstable();
        let mut stems = Vec::new();
        let mut starts = Vec::new();
        for (at, &(stem, _, _)) in postings.iter().enumerate() {
            if stems.last() != Some(&stem) {
                stems.push(stem);
                starts.push(u32::try_from(at).unwrap_or(u32::MAX));
            }
        }
        starts.push(u32::try_from(postings.len()).unwrap_or(u32::MAX));
        let average_length = if lengths.is_empty() {
            1.0
        } else {
            lengths.iter().map(|&l| f32::from(l)).sum::<f32>() / lengths.len() as f32
        };
        SourcePassages {
            sentences,
            stems,
            starts,
            posting_sentences: postings.iter().map(|p| p.1).collect(),
            posting_counts: postings.iter().map(|p| p.2).collect(),
            lengths,
            average_length: average_length.max(1.0),
        }
    }

    /// The postings of one stem: the sentences it occurs in (ascending) and how often.
    fn postings_of(&self, stem: u32) -> (&[u32], &[u16]) {
        let Ok(i) = self.stems.binary_search(&stem) else {
            return (&[], &[]);
        };
        let range = |starts: &[u32]| -> Option<std::ops::Range<usize>> {
            Some(*starts.get(i)? as usize..*starts.get(i + 1)? as usize)
        };
        let Some(range) = range(&self.starts) else {
            return (&[], &[]);
        };
        (
            self.posting_sentences.get(range.clone()).unwrap_or(&[]),
            self.posting_counts.get(range).unwrap_or(&[]),
        )
    }

    /// How rare a stem is among this source's sentences (BM25's idf; a stem the source lacks
    /// gets the highest value).
    pub fn idf(&self, stem: u32) -> f32 {
        let n = self.sentences.len() as f32;
        let df = self.postings_of(stem).0.len() as f32;
        ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
    }

    /// The `limit` best sentences for `query` (distinct stem hashes), best first, with their
    /// BM25 scores; sentences matching nothing are left out.
    pub fn search(&self, query: &[u32], limit: usize) -> Vec<(usize, f32)> {
        let mut scores: HashMap<u32, f32> = HashMap::new();
        for &stem in query {
            let (sentences, counts) = self.postings_of(stem);
            if sentences.is_empty() {
                continue;
            }
            let idf = self.idf(stem);
            for (&sentence, &count) in sentences.iter().zip(counts) {
                let length = self.lengths.get(sentence as usize).copied().unwrap_or(0);
                let tf = f32::from(count);
                let norm = K1 * (1.0 - B + B * f32::from(length) / self.average_length);
                *scores.entry(sentence).or_default() += idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut ranked: Vec<(usize, f32)> = scores
            .into_iter()
            .map(|(sentence, score)| (sentence as usize, score))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        ranked
    }

    /// The passage around sentence `index`: it and its neighbours, as a clean-text range.
    pub fn window(&self, index: usize) -> ByteRange {
        let first = index.saturating_sub(1);
        let last = (index + 1).min(self.sentences.len().saturating_sub(1));
        match (self.sentences.get(first), self.sentences.get(last)) {
            (Some(a), Some(b)) => a.start..b.end.max(a.start),
            _ => 0..0,
        }
    }
}

/// Every source's passages, built on first use. Belongs to one corpus (same source indices).
#[derive(Debug, Default)]
pub struct PassageIndex {
    sources: Vec<OnceLock<Arc<SourcePassages>>>,
}

impl PassageIndex {
    /// An empty index for `corpus` (nothing is built until asked for).
    pub fn new(corpus: &Corpus) -> PassageIndex {
        PassageIndex {
            sources: (0..corpus.sources.len()).map(|_| OnceLock::new()).collect(),
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
        for &source in holders {
            if let Some(score) = scores.get_mut(source as usize) {
                *score += weight;
            }
        }
    }
    let mut ranked: Vec<(usize, f32)> = scores
        .into_iter()
        .enumerate()
        .filter(|&(_, score)| score > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.into_iter().take(limit).map(|(i, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(passages.sentences.len(), 4);
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
        let built = index.passages(&corpus, 1).map(|p| p.sentences.len());
        assert_eq!(built, Some(1));
        assert!(index.passages(&corpus, 9).is_none());
    }
}

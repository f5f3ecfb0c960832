//! Retrieval: what a source's passages answer to a claim's query (its content-word stems): the
//! best sentences by BM25, each with its passage (the sentence and its neighbours), and how rare
//! each stem of the query is in the source.
//!
//! Two ways to the same answer. A source asked again and again (the server's, on every edit)
//! is indexed once (`SourcePassages`) and searched. A check knows every query before it scores
//! any, and asks most sources a few: each source asked is read once for all its queries
//! (`answer_in_one_pass`), counting only the stems they ask for, and nothing is kept but the
//! answers. At 100 MB of sources that pass costs a fifth less than building the indexes did, and
//! the indexes (15 MB) are not held to the end.

use std::sync::Arc;

use rayon::prelude::*;

use super::lexicon::HashedTokens;
use super::passages::{
    NOT_CONTENT, PassageIndex, PostingCursor, SourcePassages, TERM_MOST, TokenCodes,
    average_length, best_sentences, idf_of, memoized_content_stem, sentence_bounds, term_most,
    window_of,
};
use crate::ByteRange;
use crate::corpus::{Corpus, Source};

/// What a source answers to one query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Retrieval {
    /// The best passages, best first (sentences matching nothing left out).
    pub passages: Vec<RetrievedPassage>,
    /// BM25's idf of each stem of the query, in query order (a stem the source lacks gets the
    /// highest value).
    pub idf: Vec<f32>,
}

/// One retrieved passage, as ranges of the source's clean text.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievedPassage {
    /// The sentence that ranked.
    pub sentence: ByteRange,
    /// It and its neighbours.
    pub window: ByteRange,
}

impl SourcePassages {
    /// What the index answers to `query` (distinct stem hashes): its `limit` best passages.
    pub fn retrieve(&self, query: &[u32], limit: usize) -> Retrieval {
        let passages = self
            .search(query, limit)
            .into_iter()
            .map(|(sentence, _)| {
                let window = self.window(sentence);
                RetrievedPassage {
                    sentence: self.sentence(sentence).unwrap_or_else(|| window.clone()),
                    window,
                }
            })
            .collect();
        Retrieval {
            passages,
            idf: query.iter().map(|&stem| self.idf(stem)).collect(),
        }
    }
}

/// One query a source was asked ahead of time: its stems, how many passages, the answer.
type Answered = (Box<[u32]>, usize, Arc<Retrieval>);

/// What sources answered ahead of time, by source index: each source's queries sorted.
#[derive(Debug, Default)]
pub struct AnsweredAhead {
    by_source: Vec<Vec<Answered>>,
}

impl AnsweredAhead {
    /// What `source` answered to `query` for `limit` passages, if it was asked.
    fn get(&self, source: usize, query: &[u32], limit: usize) -> Option<Arc<Retrieval>> {
        let answered = self.by_source.get(source)?;
        let at = answered
            .binary_search_by(|(asked, asked_limit, _)| {
                (asked.as_ref(), *asked_limit).cmp(&(query, limit))
            })
            .ok()?;
        answered
            .get(at)
            .map(|(_, _, retrieval)| Arc::clone(retrieval))
    }

    /// The same answers but those of the sources at `changed`.
    pub(super) fn without_sources(&self, changed: &[usize]) -> AnsweredAhead {
        AnsweredAhead {
            by_source: self
                .by_source
                .iter()
                .enumerate()
                .map(|(index, answered)| {
                    if changed.contains(&index) {
                        Vec::new()
                    } else {
                        answered.clone()
                    }
                })
                .collect(),
        }
    }
}

impl PassageIndex {
    /// Answers `requests` (a source's index, a query of distinct stem hashes), `limit` passages
    /// each, before they are asked: each source asked is read once for all its queries, side
    /// by side. `retrieve` then answers them without indexing the source. For a check, which
    /// asks each source a few queries and never again.
    pub fn answer_ahead(
        &mut self,
        corpus: &Corpus,
        requests: impl IntoIterator<Item = (usize, Vec<u32>)>,
        limit: usize,
    ) {
        let mut by_source: Vec<Vec<Box<[u32]>>> = vec![Vec::new(); corpus.sources.len()];
        for (source, query) in requests {
            if let Some(queries) = by_source.get_mut(source) {
                queries.push(query.into_boxed_slice());
            }
        }
        // The largest sources first, so that no long pass is left for the end.
        let mut asked: Vec<(usize, Vec<Box<[u32]>>)> = by_source
            .into_iter()
            .enumerate()
            .filter(|(_, queries)| !queries.is_empty())
            .map(|(index, mut queries)| {
                queries.sort_unstable();
                queries.dedup();
                (index, queries)
            })
            .collect();
        asked.sort_by_key(|(index, _)| {
            std::cmp::Reverse(corpus.sources.get(*index).map_or(0, |s| s.clean.text.len()))
        });
        let answer = |(index, queries): (usize, Vec<Box<[u32]>>)| {
            let source = corpus.sources.get(index)?;
            let borrowed: Vec<&[u32]> = queries.iter().map(AsRef::as_ref).collect();
            let answers = answer_in_one_pass(source, &borrowed, limit);
            // Read: only the passages a claim is compared with are read again.
            source.release_pages();
            let answered = queries
                .into_iter()
                .zip(answers)
                .map(|(query, answer)| (query, limit, Arc::new(answer)))
                .collect();
            Some((index, answered))
        };
        // Sources of megabytes one after the other (each read in parts side by side): two read
        // at once held both their texts' pages and counts (the peak of a check of sources of 46
        // and 48 MB). The others side by side.
        let large = asked.partition_point(|(index, _)| {
            corpus
                .sources
                .get(*index)
                .is_some_and(|s| s.clean.text.len() >= 2 * PART_BYTES)
        });
        let small = asked.split_off(large);
        let mut answered: Vec<(usize, Vec<Answered>)> =
            asked.into_iter().filter_map(answer).collect();
        answered.extend(small.into_par_iter().filter_map(answer).collect::<Vec<_>>());
        let by_source = &mut self.answered.by_source;
        by_source.resize_with(corpus.sources.len(), Vec::new);
        for (index, mut answers) in answered {
            if let Some(slot) = by_source.get_mut(index) {
                slot.append(&mut answers);
                slot.sort_by(|a, b| (a.0.as_ref(), a.1).cmp(&(b.0.as_ref(), b.1)));
                slot.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
            }
        }
    }

    /// What the source at `index` answers to `query` (distinct stem hashes): its `limit` best
    /// passages. Answered ahead of time if it was asked so; else from its index (built now if
    /// it was not yet). `None` when `corpus` has no such source.
    pub fn retrieve(
        &self,
        corpus: &Corpus,
        index: usize,
        query: &[u32],
        limit: usize,
    ) -> Option<Arc<Retrieval>> {
        if let Some(answered) = self.answered.get(index, query, limit) {
            return Some(answered);
        }
        let passages = self.passages(corpus, index)?;
        Some(Arc::new(passages.retrieve(query, limit)))
    }
}

/// What `source` answers to each of `queries` (each of distinct stem hashes), its `limit` best
/// passages each: what `SourcePassages::build(source).retrieve(query, limit)` answers, from one
/// pass over the source that counts the queries' stems alone. A source of megabytes is read in
/// parts side by side, and its queries answered side by side.
pub fn answer_in_one_pass(source: &Source, queries: &[&[u32]], limit: usize) -> Vec<Retrieval> {
    let text = source.clean.text.as_str();
    let mut asked: Vec<u32> = queries.iter().flat_map(|q| q.iter().copied()).collect();
    asked.sort_unstable();
    asked.dedup();
    let sentences = sentence_bounds(source);
    let parts = (text.len() / PART_BYTES).clamp(1, rayon::current_num_threads() * 4);
    let counted = if parts == 1 {
        count_part(text, &sentences, 0, &asked)
    } else {
        let part_of = |part: usize| part * sentences.len() / parts;
        let counted: Vec<Counted> = (0..parts)
            .into_par_iter()
            .map(|part| {
                let (first, end) = (part_of(part), part_of(part + 1));
                let in_part = sentences.get(first..end).unwrap_or_default();
                count_part(
                    text,
                    in_part,
                    u32::try_from(first).unwrap_or(u32::MAX),
                    &asked,
                )
            })
            .collect();
        Counted::joined(counted, asked.len())
    };
    let Counted {
        lengths,
        held,
        holding,
    } = counted;
    let average_length = average_length(&lengths);
    let sentence_count = sentences.len();
    // Each asked stem's idf and most (see `term_most`), by slot: once for all the queries asking
    // it.
    let idf: Vec<f32> = holding
        .iter()
        .map(|&holding| idf_of(sentence_count, holding))
        .collect();
    let most: Vec<f32> = held
        .iter()
        .map(|occurrences| term_most(SentenceRuns(occurrences), &lengths, average_length))
        .collect();
    // A stem's idf, postings and most, as `best_sentences` takes them.
    let term_of = |stem: u32| -> (f32, SentenceRuns<'_>, f32) {
        let slot = asked.binary_search(&stem).ok();
        let of = |values: &[f32]| slot.and_then(|slot| values.get(slot)).copied();
        let occurrences = slot.and_then(|slot| held.get(slot));
        (
            of(&idf).unwrap_or_else(|| idf_of(sentence_count, 0)),
            SentenceRuns(occurrences.map_or(&[], Vec::as_slice)),
            of(&most).unwrap_or(TERM_MOST),
        )
    };
    let answer = |query: &&[u32]| {
        let terms: Vec<_> = query.iter().map(|&stem| term_of(stem)).collect();
        let idf = terms.iter().map(|&(idf, _, _)| idf).collect();
        let best = best_sentences(terms, limit, &lengths, average_length);
        let range = |index: usize| {
            sentences
                .get(index)
                .map(|&[start, end]| start as usize..end as usize)
        };
        Retrieval {
            passages: best
                .into_iter()
                .map(|(sentence, _)| {
                    let window = window_of(sentence, sentence_count, range);
                    RetrievedPassage {
                        sentence: range(sentence).unwrap_or_else(|| window.clone()),
                        window,
                    }
                })
                .collect(),
            idf,
        }
    };
    if parts == 1 {
        queries.iter().map(answer).collect()
    } else {
        queries.par_iter().map(answer).collect()
    }
}

/// How much clean text one part of a pass reads (a source of megabytes is read in parts side by
/// side).
const PART_BYTES: usize = if cfg!(test) { 256 } else { 4 << 20 };

/// What a pass counted over some sentences.
struct Counted {
    /// Each sentence's length in content words, as the index counts them.
    lengths: Vec<u16>,
    /// Each asked stem's occurrences (by slot), as the sentence of each: ascending, a sentence
    /// as many times as the stem occurs in it (4 bytes an occurrence, where (sentence, count)
    /// pairs took 8 a posting; a source of 48 MB has some four million).
    held: Vec<Vec<u32>>,
    /// How many sentences hold each asked stem.
    holding: Vec<usize>,
}

impl Counted {
    /// The counts of consecutive parts, in order, as one: each stem's occurrences joined part
    /// after part (each part's given back as it is copied).
    fn joined(parts: Vec<Counted>, slots: usize) -> Counted {
        let mut parts = parts;
        let mut joined = Counted {
            lengths: parts
                .iter()
                .flat_map(|p| p.lengths.iter().copied())
                .collect(),
            held: Vec::with_capacity(slots),
            holding: vec![0; slots],
        };
        for part in &mut parts {
            part.lengths = Vec::new();
        }
        for slot in 0..slots {
            let total = parts
                .iter()
                .map(|p| p.held.get(slot).map_or(0, Vec::len))
                .sum();
            let mut occurrences = Vec::with_capacity(total);
            for part in &mut parts {
                if let Some(held) = part.held.get_mut(slot) {
                    occurrences.append(held);
                    *held = Vec::new();
                }
                if let (Some(sum), Some(holding)) =
                    (joined.holding.get_mut(slot), part.holding.get(slot))
                {
                    *sum += holding;
                }
            }
            joined.held.push(occurrences);
        }
        joined
    }
}

/// Counts `sentences` of `text` (the first of them numbered `first`) for the stems `asked`.
fn count_part(text: &str, sentences: &[[u32; 2]], first: u32, asked: &[u32]) -> Counted {
    let in_part = sentences
        .first()
        .zip(sentences.last())
        .map_or(0, |(a, b)| b[1].saturating_sub(a[0]) as usize);
    let mut slots = QuerySlots::new(asked, in_part);
    let mut counted = Counted {
        lengths: Vec::with_capacity(sentences.len()),
        held: vec![Vec::new(); asked.len()],
        holding: vec![0; asked.len()],
    };
    for (index, &[start, end]) in (first..).zip(sentences) {
        let mut length: u16 = 0;
        let sentence = text.get(start as usize..end as usize).unwrap_or("");
        for (token, key) in HashedTokens::new(sentence) {
            match slots.of(sentence, token, key) {
                Slot::NotContent => {}
                Slot::NotAsked => length = length.saturating_add(1),
                Slot::Asked(slot) => {
                    length = length.saturating_add(1);
                    if let (Some(occurrences), Some(holding)) = (
                        counted.held.get_mut(slot as usize),
                        counted.holding.get_mut(slot as usize),
                    ) {
                        if occurrences.last() != Some(&index) {
                            *holding += 1;
                        }
                        occurrences.push(index);
                    }
                }
            }
        }
        counted.lengths.push(length);
    }
    counted
}

/// A stem's postings as the sentence of each of its occurrences, ascending: a posting is a run
/// of one sentence, its count the run's length.
struct SentenceRuns<'a>(&'a [u32]);

impl PostingCursor for SentenceRuns<'_> {
    fn next_posting(&mut self) -> Option<(u32, u16)> {
        let &sentence = self.0.first()?;
        // Most runs are of one or two.
        let run = self.0.iter().take_while(|&&s| s == sentence).count();
        self.0 = self.0.get(run..).unwrap_or_default();
        Some((sentence, u16::try_from(run).unwrap_or(u16::MAX)))
    }

    fn advance_to(&mut self, target: u32) -> Option<(u32, u16)> {
        let at = self.0.partition_point(|&sentence| sentence < target);
        self.0 = self.0.get(at..).unwrap_or_default();
        self.next_posting()
    }
}

/// What a token is to the queries of a pass.
#[derive(Clone, Copy)]
enum Slot {
    /// A stop word or a number.
    NotContent,
    /// A content word whose stem no query asks for.
    NotAsked,
    /// A content word whose stem is `asked[slot]`.
    Asked(u32),
}

/// The `Slot` of each token met, by its `word_key` (told once per distinct token).
struct QuerySlots<'a> {
    asked: &'a [u32],
    codes: TokenCodes,
}

/// `QuerySlots`' code of a content word no query asks for (`NOT_CONTENT` marks the others).
const NOT_ASKED: u32 = u32::MAX - 1;

impl<'a> QuerySlots<'a> {
    /// Slots of the stems `asked`, for a text of `bytes` bytes.
    fn new(asked: &'a [u32], bytes: usize) -> QuerySlots<'a> {
        QuerySlots {
            asked,
            codes: TokenCodes::for_text(bytes),
        }
    }

    /// The slot of the token at `range` of `text`, whose `word_key` is `key`.
    fn of(&mut self, text: &str, range: ByteRange, key: u64) -> Slot {
        let asked = self.asked;
        let code = self.codes.code(text, range, key, |token| {
            match memoized_content_stem(token, key) {
                None => NOT_CONTENT,
                Some(stem) => asked
                    .binary_search(&stem)
                    .ok()
                    .and_then(|slot| u32::try_from(slot).ok())
                    .unwrap_or(NOT_ASKED),
            }
        });
        match code {
            NOT_CONTENT => Slot::NotContent,
            NOT_ASKED => Slot::NotAsked,
            slot => Slot::Asked(slot),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::claims::lexicon::stem_hash;
    use crate::analysis::claims::passages::tests::{sentences_of, text_of};
    use crate::corpus::SourceMeta;

    fn source(text: &str) -> Source {
        Source::new(
            "a".into(),
            "a.md".into(),
            crate::corpus::SourceFormat::Markdown,
            text.into(),
            SourceMeta::default(),
        )
    }

    fn query(words: &str) -> Vec<u32> {
        let mut stems: Vec<u32> = words.split(' ').map(stem_hash).collect();
        stems.dedup();
        stems
    }

    #[test]
    fn one_pass_answers_what_the_index_answers() {
        let source = source(
            "The levee held through the storm. Barges waited at the quay.\n\n\
             The harbour froze in January; barges could not leave the harbour. \
             Twelve ships waited. The storm broke the old levee in 1990.",
        );
        let index = SourcePassages::build(&source);
        let queries = [
            query("levee storm held"),
            query("harbour barges"),
            query("absent"),
            query("ships waited january"),
        ];
        let asked: Vec<&[u32]> = queries.iter().map(Vec::as_slice).collect();
        let answers = answer_in_one_pass(&source, &asked, 2);
        assert_eq!(answers.len(), queries.len());
        for (query, answer) in queries.iter().zip(&answers) {
            assert_eq!(answer, &index.retrieve(query, 2));
        }
        // The first query's best sentence is the levee's, with its neighbour as its passage.
        let best = &answers[0].passages[0];
        assert_eq!(
            &source.clean.text[best.sentence.clone()],
            "The levee held through the storm."
        );
        assert!(best.window.start == best.sentence.start && best.window.end > best.sentence.end);
        assert!(answers[2].passages.is_empty());
    }

    proptest::proptest! {
        /// Whatever the sentences and queries (stems common and rare, repeated in a sentence,
        /// absent, shared by several queries), one pass answers each query as the index does.
        #[test]
        fn one_pass_answers_as_the_index_for_any_queries(
            sentences in sentences_of(
                vec![
                    "harbour", "harbour", "harbour", "quay", "quay", "barges", "froze",
                    "levee", "storm", "waited", "the", "12",
                ],
                8,
                80,
            ),
            queries in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(
                        vec!["harbour", "quay", "barges", "froze", "levee", "storm", "absent"],
                    ),
                    0..5,
                ),
                1..5,
            ),
            limit in 0usize..7,
        ) {
            let source = source(&text_of(&sentences));
            let index = SourcePassages::build(&source);
            let queries: Vec<Vec<u32>> = queries
                .iter()
                .map(|words| {
                    let mut stems: Vec<u32> = words.iter().map(|w| stem_hash(w)).collect();
                    let mut seen = std::collections::HashSet::new();
                    stems.retain(|stem| seen.insert(*stem));
                    stems
                })
                .collect();
            let asked: Vec<&[u32]> = queries.iter().map(Vec::as_slice).collect();
            let answers = answer_in_one_pass(&source, &asked, limit);
            for (query, answer) in queries.iter().zip(&answers) {
                proptest::prop_assert_eq!(answer, &index.retrieve(query, limit));
            }
        }
    }
}

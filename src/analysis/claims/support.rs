//! Support scoring: how well one source backs one claim. The source's passages are retrieved by
//! BM25 over the claim's content-word stems; each of the best passages (a sentence and its
//! neighbours) is scored by the share of the claim's content words it holds, each word weighted
//! by its rarity in the source. The claim's numbers and names must appear in the retrieved
//! passages: a number or a name that none of them holds is strong evidence against (a source's 12
//! per cent written as 21, a minister's country swapped for another).

use std::borrow::Cow;

use foldhash::HashSet;

use super::lexicon::{
    Name, Token, TokenRanges, WordMemo, is_left_out_of_initials, is_stop_word, name_initials,
    name_word_into, names, number_value, remembered, same_name_word, same_place, stem_hash, tokens,
    word_key,
};
use super::passages::PassageIndex;
use crate::ByteRange;
use crate::corpus::Corpus;

/// How many passages of a source are read for one claim.
pub const PASSAGES_READ: usize = 5;

/// What a claim asserts, as support scoring reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimText {
    /// Distinct content-word stems (hashes).
    pub content: Vec<u32>,
    /// Canonical numbers (`12`, `2013`, `4.5`).
    pub numbers: Vec<String>,
    /// Names the claim is about (sentence openers that may not be names left out).
    pub names: Vec<Name>,
    /// The claim's prose (citations blanked), for messages.
    pub prose: String,
}

impl ClaimText {
    pub fn new(prose: &str) -> ClaimText {
        let toks = tokens(prose);
        let mut content: Vec<u32> = toks
            .iter()
            .filter(|t| t.number.is_none())
            .map(Token::lower)
            .filter(|w| !is_stop_word(w) && w.chars().count() > 1)
            .map(|w| stem_hash(&w))
            .collect();
        content.sort_unstable();
        content.dedup();
        let mut numbers: Vec<String> = toks.iter().filter_map(|t| t.number.clone()).collect();
        numbers.sort();
        numbers.dedup();
        let names = names(prose, &toks)
            .into_iter()
            .filter(|n| !n.uncertain)
            .collect();
        ClaimText {
            content,
            numbers,
            names,
            prose: prose.to_string(),
        }
    }
}

/// One source's best attempt at backing a claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Support {
    /// Index into `Corpus::sources`.
    pub source: usize,
    pub key: String,
    /// The best passage's weighted share of the claim's content words, 0 to 1.
    pub score: f32,
    /// The best passage's central sentence (the passage is it and its neighbours), as a range of
    /// the source's clean text (empty when nothing matched).
    pub passage: ByteRange,
    /// `passage` in the source's original text (found while the source is read, so that
    /// reporting it reads nothing again).
    pub original_passage: ByteRange,
    /// Claim numbers that no retrieved passage holds.
    pub missing_numbers: Vec<String>,
    /// Claim names (as written in the claim) that no retrieved passage holds.
    pub missing_names: Vec<String>,
}

impl Support {
    /// Whether this source backs the claim at `threshold` (the minimum score).
    pub fn backs(&self, threshold: f32) -> bool {
        self.missing_numbers.is_empty() && self.missing_names.is_empty() && self.score >= threshold
    }

    /// The passage in the source's original text; `None` when nothing matched.
    pub fn original_range(&self) -> Option<ByteRange> {
        (!self.passage.is_empty()).then(|| self.original_passage.clone())
    }

    /// The passage's clean text.
    pub fn passage_text<'a>(&self, corpus: &'a Corpus) -> &'a str {
        corpus
            .sources
            .get(self.source)
            .and_then(|s| s.clean.text.get(self.passage.clone()))
            .unwrap_or("")
    }
}

/// What the retrieved passages of a source hold. Words are lowercase: most are so in the source
/// already, and are borrowed from its text (`'t`).
#[derive(Default)]
struct Evidence<'t> {
    numbers: HashSet<String>,
    words: HashSet<Cow<'t, str>>,
    /// The passages' words in order (possessive `'s` dropped), for multi-word names.
    sequences: Vec<Vec<Cow<'t, str>>>,
    /// Acronyms, and the initials of capitalised runs (`SCO` for `Shanghai Cooperation
    /// Organisation`), lowercase.
    initials: HashSet<String>,
}

impl<'t> Evidence<'t> {
    /// Adds a passage's words, and marks in `held` the stems of `content` (a claim's, sorted and
    /// distinct) that its tokens have. The words, phrases and initials are kept only when
    /// `names_too` (a claim whose names need no passage never asks for them).
    fn add(&mut self, text: &'t str, names_too: bool, content: &[u32], held: &mut [bool]) {
        let mut lower = String::with_capacity(32);
        let mut hold = |stem: u32| {
            if let Ok(at) = content.binary_search(&stem)
                && let Some(slot) = held.get_mut(at)
            {
                *slot = true;
            }
        };
        if !names_too {
            // Only numbers and stems: the tokens are read one by one, not listed, and what each
            // word tells is remembered.
            for range in TokenRanges::new(text) {
                let token = text.get(range).unwrap_or("");
                let word = passage_word(token);
                if word.is_number
                    && let Some(number) = number_value(token)
                {
                    self.numbers.insert(number);
                }
                hold(word.stem);
            }
            return;
        }
        let toks = tokens(text);
        let mut sequence = Vec::with_capacity(toks.len());
        for token in &toks {
            if let Some(number) = &token.number {
                self.numbers.insert(number.clone());
            }
            name_word_into(token.text, &mut lower);
            hold(stem_hash(&lower));
            if token.is_acronym() {
                self.initials.insert(lower.clone());
            }
            let word = match token.text.get(..lower.len()) {
                Some(head) if head == lower => Cow::Borrowed(head),
                _ => Cow::Owned(lower.clone()),
            };
            if !self.words.contains(&word) {
                self.words.insert(word.clone());
            }
            sequence.push(word);
        }
        self.sequences.push(sequence);
        self.initials.extend(name_initials(text, &toks));
    }

    /// The words of what a source is (its authors and title): a claim may name them (`Tsjeng
    /// recalls…`).
    fn add_source_identity(&mut self, meta: &crate::corpus::SourceMeta) {
        for text in meta.authors.iter().chain(meta.title.iter()) {
            for token in tokens(text) {
                self.words.insert(Cow::Owned(token.lower()));
            }
        }
    }

    fn holds_name(&self, name: &Name) -> bool {
        self.holds_words(&name.words)
    }

    fn holds_words(&self, name_words: &[String]) -> bool {
        let words: Vec<&String> = name_words
            .iter()
            .filter(|w| !is_left_out_of_initials(w))
            .collect();
        let held = |w: &str| self.words.iter().any(|e| same_name_word(w, e));
        // A multi-word name must appear as a phrase: `Mekong River Commission` is not held by a
        // passage naming the Mekong, a river and a commission apart. A short word of the name
        // may stand for words of the passage by their initials (`UN General Assembly`,
        // `United Nations General Assembly`).
        let found = if name_words.len() == 1 {
            words.iter().all(|w| held(w))
                || words.first().is_some_and(|w| {
                    self.sequences
                        .iter()
                        .any(|seq| phrase_at_any(seq, &[w.to_string()]))
                })
        } else {
            self.sequences
                .iter()
                .any(|sequence| phrase_at_any(sequence, name_words))
        };
        if found {
            return true;
        }
        // `Shanghai Cooperation Organisation` in the claim, `SCO` in the source, or the reverse.
        let initials: String = words.iter().filter_map(|w| w.chars().next()).collect();
        if words.len() >= 2 && self.initials.contains(&initials) {
            return true;
        }
        words.len() == 1
            && words
                .first()
                .is_some_and(|w| self.initials.contains(w.as_str()))
    }
}

/// What a word of a retrieved passage tells support scoring: the stem of its name word
/// (`name_word_into`, then `stem_hash`) and whether it is a number (`number_value`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct PassageWord {
    stem: u32,
    is_number: bool,
}

thread_local! {
    /// The `PassageWord` of each token this thread read in passages, by the token's `word_key`:
    /// the passages of a source are read for claim after claim, and lowering, stemming and
    /// reading each token as a number again cost most of reading them.
    static PASSAGE_WORDS: WordMemo<PassageWord> = WordMemo::default();
}

/// `token`'s `PassageWord`, remembered by the thread.
fn passage_word(token: &str) -> PassageWord {
    remembered(&PASSAGE_WORDS, word_key(token), || told_afresh(token))
}

/// `token`'s `PassageWord`, worked out.
fn told_afresh(token: &str) -> PassageWord {
    let mut lower = String::new();
    name_word_into(token, &mut lower);
    PassageWord {
        stem: stem_hash(&lower),
        is_number: number_value(token).is_some(),
    }
}

/// Whether `name` occurs in `sequence` (words of a passage) starting anywhere.
fn phrase_at_any(sequence: &[impl AsRef<str>], name: &[String]) -> bool {
    (0..sequence.len()).any(|start| phrase_at(sequence, start, name))
}

/// Whether `name` occurs in `sequence` from `start`: word for word (derived forms allowed), or a
/// short name word (2 to 6 letters) standing for as many passage words by their initials.
fn phrase_at(sequence: &[impl AsRef<str>], start: usize, name: &[String]) -> bool {
    let Some((word, rest)) = name.split_first() else {
        return true;
    };
    if sequence
        .get(start)
        .is_some_and(|e| same_name_word(word, e.as_ref()))
        && phrase_at(sequence, start + 1, rest)
    {
        return true;
    }
    let letters = word.chars().count();
    if (2..=6).contains(&letters) && word.chars().all(char::is_alphabetic) {
        // The initials of the next `letters` words, compared char by char (no string built:
        // this runs at every word of every passage read for a claim naming an acronym).
        let spells_word = sequence.get(start..start + letters).is_some_and(|words| {
            words
                .iter()
                .map(|w| w.as_ref().chars().next())
                .eq(word.chars().map(Some))
        });
        if spells_word {
            return phrase_at(sequence, start + letters, rest);
        }
    }
    false
}

/// Scores how well the source at `source` (an index into `corpus.sources`) backs `claim`.
pub fn assess(
    claim: &ClaimText,
    corpus: &Corpus,
    passages: &PassageIndex,
    source: usize,
) -> Option<Support> {
    let found = corpus.sources.get(source)?;
    let retrieval = passages.retrieve(corpus, source, &claim.content, PASSAGES_READ)?;
    let text = found.clean.text.as_str();
    let total: f32 = retrieval.idf.iter().sum();
    let mut evidence = Evidence::default();
    // A name may sit outside the retrieved passages (the source introduces an actor once, then
    // writes `he`): written anywhere in the source as the claim writes it, it is held, whatever
    // the passages hold. Looked up first: most names are, and the passages' words are then not
    // collected at all.
    let in_key: Vec<bool> = claim
        .names
        .iter()
        .map(|name| phrase_in_source(found, &name.words))
        .collect();
    // Words, phrases and initials are for the claim's other names only.
    let names_too = in_key.contains(&false);
    if names_too {
        evidence.add_source_identity(&found.meta);
    }
    let mut best: Option<(f32, ByteRange)> = None;
    // Which of the claim's stems the passage at hand holds.
    let mut holds = vec![false; claim.content.len()];
    for passage in &retrieval.passages {
        let window_text = text.get(passage.window.clone()).unwrap_or("");
        holds.fill(false);
        evidence.add(window_text, names_too, &claim.content, &mut holds);
        let held: f32 = retrieval
            .idf
            .iter()
            .zip(&holds)
            .filter(|&(_, &holds)| holds)
            .map(|(&idf, _)| idf)
            .sum();
        let score = if total > 0.0 { held / total } else { 0.0 };
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, passage.sentence.clone()));
        }
    }
    let (score, passage) = best.unwrap_or((0.0, 0..0));
    let missing_numbers = claim
        .numbers
        .iter()
        .filter(|n| !evidence.numbers.contains(*n))
        .cloned()
        .collect();
    // Otherwise the passages' words (derived forms, initials), or another name of the same
    // place, in the passages or anywhere in the source.
    let in_source =
        |words: &[String]| evidence.holds_words(words) || phrase_in_source(found, words);
    let missing_names = claim
        .names
        .iter()
        .zip(&in_key)
        .filter(|&(n, &in_key)| {
            !in_key
                && !evidence.holds_name(n)
                && !same_place(&n.words).iter().any(|alt| in_source(alt))
        })
        .map(|(n, _)| n.display(&claim.prose))
        .collect();
    let original_passage = if passage.is_empty() {
        0..0
    } else {
        found.clean.to_original(passage.clone())
    };
    // Read (passages, and maybe the whole key for a name): give the pages back.
    found.release_pages();
    Some(Support {
        source,
        key: found.key.clone(),
        score,
        passage,
        original_passage,
        missing_numbers,
        missing_names,
    })
}

/// Whether `words` occur as a phrase in a source's matching key (lowercase words, single spaces,
/// apostrophes and hyphens deleted: see `normalize_key`).
fn phrase_in_source(source: &crate::corpus::Source, words: &[String]) -> bool {
    let phrase = crate::corpus::normalize_key(&words.join(" ")).text;
    if phrase.is_empty() {
        return false;
    }
    // A phrase found is whole words of the key, one space apart: one whose words or pairs of
    // words the source's word list and pair filter rule out is not there, and its key is not
    // read (a name the source lacks was looked for through the whole key).
    let mut phrase_words = phrase.split(' ');
    let mut previous = phrase_words.next();
    if previous.is_some_and(|first| !source.may_hold_word(first)) {
        return false;
    }
    for word in phrase_words {
        let Some(first) = previous else { break };
        if !source.may_hold_word(word) || !source.may_hold_words_side_by_side(first, word) {
            return false;
        }
        previous = Some(word);
    }
    let bytes = source.key_text.text.as_bytes();
    memchr::memmem::find_iter(bytes, phrase.as_bytes()).any(|at| {
        let before = at.checked_sub(1).and_then(|i| bytes.get(i));
        let after = bytes.get(at + phrase.len());
        before.is_none_or(|&b| b == b' ') && after.is_none_or(|&b| b == b' ')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::claims::lexicon::WORDS_REMEMBERED;
    use crate::corpus::Source;

    fn corpus() -> Corpus {
        let source = |key: &str, text: &str| Source::markdown_for_test(key, text);
        Corpus::from_sources(
            vec![
                source(
                    "harbour",
                    "The Narva Port Authority reported that grain exports rose by 12 per cent in \
                     2019. Most of the grain went to Tallin. The harbour was dredged again the \
                     following spring.",
                ),
                source(
                    "weather",
                    "Storms closed the northern pass twice that winter. Snow lay late on the \
                     high fields.",
                ),
            ],
            Vec::new(),
        )
    }

    fn support(claim: &str, key: &str) -> Support {
        let corpus = corpus();
        let passages = PassageIndex::new(&corpus);
        let index = corpus.source_index(key).unwrap_or(usize::MAX);
        assess(&ClaimText::new(claim), &corpus, &passages, index).unwrap_or_else(|| Support {
            source: index,
            key: key.to_string(),
            score: -1.0,
            passage: 0..0,
            original_passage: 0..0,
            missing_numbers: Vec::new(),
            missing_names: Vec::new(),
        })
    }

    #[test]
    fn a_faithful_paraphrase_is_backed() {
        let s = support(
            "Grain exports grew 12% in 2019, according to the Narva Port Authority.",
            "harbour",
        );
        assert!(s.backs(0.5), "{s:?}");
        let s = support(
            "In 2019 the NPA said grain exports had risen 12 per cent.",
            "harbour",
        );
        assert!(s.missing_names.is_empty(), "{s:?}");
    }

    #[test]
    fn a_changed_number_or_name_is_not() {
        let s = support(
            "Grain exports rose by 21 per cent in 2019, the Narva Port Authority reported.",
            "harbour",
        );
        assert_eq!(s.missing_numbers, vec!["21"]);
        assert!(!s.backs(0.5));
        let s = support(
            "The Riga Port Authority reported that grain exports rose by 12 per cent in 2019.",
            "harbour",
        );
        assert_eq!(s.missing_names, vec!["Riga Port Authority"]);
    }

    #[test]
    fn a_source_about_something_else_scores_low() {
        let s = support(
            "Grain exports rose by 12 per cent in 2019, the Narva Port Authority reported.",
            "weather",
        );
        assert!(s.score < 0.2, "{s:?}");
        assert!(!s.backs(0.5));
    }

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_string).collect()
    }

    /// Whether `words` occur as a phrase in the source's key, read through (what
    /// `phrase_in_source` answers without its filters).
    fn phrase_read_through(source: &Source, words: &[String]) -> bool {
        let phrase = crate::corpus::normalize_key(&words.join(" ")).text;
        let key = format!(" {} ", source.key_text.text);
        !phrase.is_empty() && key.contains(&format!(" {phrase} "))
    }

    #[test]
    fn a_name_is_found_in_the_key_wherever_it_is_and_only_there() {
        let source = Source::markdown_for_test(
            "basin",
            "# Basin\n\nThe commission met in Narva. Its chair spoke of the Mekong\n\nRiver \
             Commission and of 東京 talks.\n\nThe river rose.",
        );
        let held = |name: &str| phrase_in_source(&source, &words(name));
        assert!(held("Narva"));
        assert!(held("Mekong River Commission"), "across a paragraph break");
        assert!(held("東京"));
        assert!(!held("Riga"), "a word the source lacks");
        assert!(
            !held("Narva Commission"),
            "words it holds, not side by side"
        );
        assert!(!held("River Mekong"));
    }

    proptest::proptest! {
        /// The word list and pair filter never rule out a phrase the key holds.
        #[test]
        fn the_filters_rule_out_only_phrases_the_key_lacks(
            paragraphs in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(vec!["Narva", "port", "grain", "rose", "the", "of"]),
                    1..12,
                ),
                1..4,
            ),
            name in proptest::collection::vec(
                proptest::sample::select(vec!["Narva", "port", "grain", "rose", "Riga", "of"]),
                1..4,
            ),
        ) {
            let text: Vec<String> = paragraphs.iter().map(|p| p.join(" ")).collect();
            let source = Source::markdown_for_test("a", &text.join("\n\n"));
            let name: Vec<String> = name.iter().map(|w| w.to_string()).collect();
            proptest::prop_assert_eq!(
                phrase_in_source(&source, &name),
                phrase_read_through(&source, &name)
            );
        }
    }

    #[test]
    fn a_short_name_word_stands_for_words_by_their_initials() {
        let passage = words("the united nations general assembly met");
        assert!(phrase_at_any(&passage, &words("un general assembly")));
        assert!(phrase_at_any(&passage, &words("unga met")));
        assert!(!phrase_at_any(&passage, &words("ug assembly")));
        // More initials than words left.
        assert!(!phrase_at_any(&passage, &words("ma")));
    }

    /// `phrase_at` as first written: the initials collected into a string, then compared.
    fn phrase_at_by_collecting(sequence: &[String], start: usize, name: &[String]) -> bool {
        let Some((word, rest)) = name.split_first() else {
            return true;
        };
        if sequence.get(start).is_some_and(|e| same_name_word(word, e))
            && phrase_at_by_collecting(sequence, start + 1, rest)
        {
            return true;
        }
        let letters = word.chars().count();
        if (2..=6).contains(&letters) && word.chars().all(char::is_alphabetic) {
            let initials: Option<String> = sequence
                .get(start..start + letters)
                .map(|ws| ws.iter().filter_map(|w| w.chars().next()).collect());
            if initials.as_deref() == Some(word.as_str()) {
                return phrase_at_by_collecting(sequence, start + letters, rest);
            }
        }
        false
    }

    proptest::proptest! {
        /// Comparing initials char by char finds what collecting them did (empty words too).
        #[test]
        fn initials_compared_in_place_match_the_collected_ones(
            sequence in proptest::collection::vec("(a|b|ab|ba|é|)", 0..8),
            name in proptest::collection::vec("(a|b|ab|ba|aé|abab)", 1..3),
        ) {
            for start in 0..=sequence.len() {
                proptest::prop_assert_eq!(
                    phrase_at(&sequence, start, &name),
                    phrase_at_by_collecting(&sequence, start, &name)
                );
            }
        }
    }

    #[test]
    fn remembered_passage_words_are_the_words_told_afresh() {
        let tokens = [
            "Treaty", "treaty", "the", "1990s", "twelve", "Xi’s", "China's", "4.5%", "ports",
            "Ports", "harbour", "harbours", "1,200",
        ];
        // A few tokens asked again and again (remembered), then more than are held.
        for asked in [&tokens[..5], &tokens[..5], &tokens[..], &tokens[..]] {
            for &token in asked {
                assert_eq!(passage_word(token), told_afresh(token), "{token}");
            }
        }
        assert!(PASSAGE_WORDS.with(|memo| memo.borrow().len()) <= WORDS_REMEMBERED);
        // What is told: the name word's stem, and whether the token is a number.
        let mut lower = String::new();
        name_word_into("China's", &mut lower);
        assert_eq!(told_afresh("China's").stem, stem_hash(&lower));
        assert_eq!(lower, "china");
        assert!(told_afresh("twelve").is_number && told_afresh("1,200").is_number);
        assert!(!told_afresh("Treaty").is_number);
    }
}

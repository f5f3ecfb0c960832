//! Mining terms from sources: acronyms defined as `Long Name (ABBR)` or `ABBR (Long Name)`,
//! quoted terms and capitalised multi-word phrases the sources introduce, and for each term its
//! best defining sentences per source.
//!
//! Works over plain clean text plus a mapping back to the original (`MineInput`), in three
//! passes: a parallel scan of each source for candidates, a corpus-wide vote on which candidates
//! are terms, and a parallel pass scoring every sentence that mentions a term.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;

use super::names::NameMatcher;
use super::sentences::{page_furniture, split_sentences_at_lines, text_without};
use super::{SourceExcerpt, TermInfo};
use crate::ByteRange;

/// Words that may sit inside a name without contributing to an acronym or a capitalised phrase.
const FUNCTION_WORDS: &[&str] = &[
    "of", "and", "the", "for", "on", "in", "to", "with", "a", "an", "at", "by", "&", "de", "du",
    "la", "le", "des", "von", "van",
];

/// Words before a person's name.
const TITLES: &[&str] = &[
    "president",
    "premier",
    "minister",
    "chancellor",
    "secretary",
    "chairman",
    "chairwoman",
    "ambassador",
    "senator",
    "governor",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "professor",
    "sir",
    "king",
    "queen",
    "prince",
    "princess",
    "pope",
    "envoy",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "councillor",
    "counsellor",
    "mayor",
    "chief",
    "leader",
];

/// Month names, lowercase.
pub(crate) const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Day names, lowercase.
pub(crate) const DAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Capitalised words that do not make a phrase a name (`Beijing in July`): months and days.
fn is_calendar_word(word: &str) -> bool {
    MONTHS
        .iter()
        .chain(DAYS)
        .any(|c| c.eq_ignore_ascii_case(word))
}

/// Excerpts kept per term and source.
const EXCERPTS_PER_SOURCE: usize = 3;
/// Longest quoted or capitalised phrase taken as a term, in words.
const MAX_PHRASE_WORDS: usize = 6;

/// One source to mine: its clean text, the clean text's paragraph breaks and line breaks, its
/// authors (their names are not terms), and the way back to the original text.
pub struct MineInput<'a> {
    pub key: &'a str,
    pub path: &'a Path,
    pub text: &'a str,
    /// Sorted offsets of separators standing for a paragraph break (or the end of a heading).
    pub breaks: &'a [u32],
    /// Sorted offsets of separators standing for a line break.
    pub lines: &'a [u32],
    pub authors: &'a [String],
    pub to_original: &'a (dyn Fn(ByteRange) -> ByteRange + Sync),
    /// Called after each pass over `text`: a source mapped from the cache gives back the pages
    /// the pass read (`Source::release_pages`), so mining does not hold the whole corpus.
    pub release: &'a (dyn Fn() + Sync),
}

fn is_function_word(word: &str) -> bool {
    FUNCTION_WORDS.iter().any(|f| f.eq_ignore_ascii_case(word))
}

fn is_title(word: &str) -> bool {
    let word = word.trim_end_matches('.');
    TITLES.iter().any(|t| t.eq_ignore_ascii_case(word))
}

fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '\'' | '’' | '&')
}

/// The words of `text[range]`: runs of alphanumerics, joined by an inner hyphen, apostrophe or
/// ampersand (`Lancang-Mekong`, `China's`, `R&D`); a lone `&` is a word too.
fn words_in(text: &str, range: ByteRange) -> Vec<ByteRange> {
    let Some(slice) = text.get(range.clone()) else {
        return Vec::new();
    };
    let mut words = Vec::new();
    let mut current: Option<usize> = None;
    let mut chars = slice.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = range.start + i;
        if c.is_alphanumeric() {
            if current.is_none() {
                current = Some(at);
            }
            continue;
        }
        let next_is_alnum = chars.peek().is_some_and(|&(_, n)| n.is_alphanumeric());
        if is_joiner(c) && current.is_some() && next_is_alnum {
            continue;
        }
        if let Some(start) = current.take() {
            words.push(start..at);
        }
        if c == '&' {
            words.push(at..at + 1);
        }
    }
    if let Some(start) = current {
        words.push(start..range.end);
    }
    words
}

/// Whether the text between two words is a single plain space.
fn plain_gap(text: &str, before: &ByteRange, after: &ByteRange) -> bool {
    text.get(before.end..after.start) == Some(" ")
}

/// What one source contributes before the corpus-wide vote.
#[derive(Debug, Default)]
struct SourceScan {
    sentences: Vec<ByteRange>,
    /// Page furniture inside sentences (`page_furniture`), left out of excerpt texts.
    furniture: Vec<ByteRange>,
    /// Per sentence: whether it is a heading or title (`is_heading`).
    headings: Vec<bool>,
    /// `(abbreviation, long form, sentence index)`.
    /// (in the `PhraseTable`).
    acronyms: Vec<(PhraseId, PhraseId, usize)>,
    /// Quoted phrases: `(phrase, has a definitional cue)`.
    quoted: Vec<(String, bool)>,
    /// Capitalised phrases (in the `PhraseTable`), each spelling once (in the order first seen)
    /// with how often it occurs: a source repeats its names, and a scan is kept for every source
    /// until the vote.
    capitalised: Vec<(PhraseId, usize)>,
    /// Names of people (after a title such as `President`, or next to `said`/`told`): not terms.
    /// Each once.
    names: Vec<PhraseId>,
}

/// A phrase in the `PhraseTable`.
type PhraseId = u32;

/// The capitalised phrases and names the scans met, each spelling stored once: sources repeat one
/// another's names, and the scans of 16,000 small sources held 267,000 spellings (24 MB) until
/// the vote.
#[derive(Default)]
struct PhraseTable {
    ids: foldhash::HashMap<std::sync::Arc<str>, PhraseId>,
    phrases: Vec<std::sync::Arc<str>>,
}

impl PhraseTable {
    fn id(&mut self, phrase: String) -> PhraseId {
        if let Some(&id) = self.ids.get(phrase.as_str()) {
            return id;
        }
        let id = PhraseId::try_from(self.phrases.len()).unwrap_or(PhraseId::MAX);
        let phrase: std::sync::Arc<str> = phrase.into();
        self.ids.insert(std::sync::Arc::clone(&phrase), id);
        self.phrases.push(phrase);
        id
    }

    fn phrase(&self, id: PhraseId) -> &str {
        self.phrases.get(id as usize).map_or("", |p| p)
    }
}

/// Counts the capitalised phrases of one source as they are found: each spelling's rank among
/// the spellings seen (first seen first) and its uses.
#[derive(Default)]
struct PhraseCounts(foldhash::HashMap<String, (usize, usize)>);

impl PhraseCounts {
    fn add(&mut self, phrase: &str) {
        let seen = self.0.len();
        match self.0.get_mut(phrase) {
            Some((_, uses)) => *uses += 1,
            None => {
                self.0.insert(phrase.to_string(), (seen, 1));
            }
        }
    }

    /// Each spelling with its uses, in the order first seen.
    fn into_counted(self) -> Vec<(String, usize)> {
        let mut counted: Vec<(String, (usize, usize))> = self.0.into_iter().collect();
        counted.sort_unstable_by_key(|(_, (rank, _))| *rank);
        counted
            .into_iter()
            .map(|(phrase, (_, uses))| (phrase, uses))
            .collect()
    }
}

impl SourceScan {
    /// Whether the text at `offset` is in a heading or title.
    fn is_in_heading(&self, offset: usize) -> bool {
        let index = self.sentences.partition_point(|s| s.end <= offset);
        self.sentences.get(index).is_some_and(|s| s.start <= offset)
            && self.headings.get(index).copied().unwrap_or(false)
    }
}

fn scan_source(input: &MineInput<'_>, phrases: &std::sync::Mutex<PhraseTable>) -> SourceScan {
    let text = input.text;
    let mut scan = SourceScan {
        sentences: split_sentences_at_lines(text, input.breaks, input.lines, |line| {
            is_title_line(text, &line)
        }),
        furniture: page_furniture(text, input.breaks),
        ..SourceScan::default()
    };
    let mut capitalised = PhraseCounts::default();
    let mut names = Vec::new();
    let mut acronyms = Vec::new();
    for (index, sentence) in scan.sentences.clone().into_iter().enumerate() {
        let words = words_in(text, sentence.clone());
        scan_acronyms(text, &sentence, &words, index, &mut acronyms);
        // Headings and titles quote and capitalise for display: terms come from prose.
        let heading = is_heading(text, &sentence, &words);
        if !heading {
            scan_quoted(text, &sentence, &mut scan.quoted);
            scan_capitalised(text, &words, &mut capitalised, &mut names);
        }
        scan.headings.push(heading);
    }
    names.sort_unstable();
    names.dedup();
    let mut table = crate::lock(phrases);
    scan.capitalised = capitalised
        .into_counted()
        .into_iter()
        .map(|(phrase, uses)| (table.id(phrase), uses))
        .collect();
    scan.names = names.into_iter().map(|name| table.id(name)).collect();
    scan.acronyms = acronyms
        .into_iter()
        .map(|(abbreviation, long, sentence)| (table.id(abbreviation), table.id(long), sentence))
        .collect();
    scan
}

/// An acronym-shaped word: 2–10 chars of uppercase letters, digits and `&`, starting with a
/// letter.
fn is_abbreviation_shape(word: &str) -> bool {
    let count = word.chars().count();
    (2..=10).contains(&count)
        && word.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '&')
}

/// The initials a word can contribute to an acronym: each part of a hyphenated word, or just the
/// first; `and`/`&` may also stand for `&`.
fn contributions(word: &str) -> Vec<Vec<char>> {
    let initial = |part: &str| part.chars().next().map(|c| c.to_ascii_uppercase());
    let mut options = Vec::new();
    let parts: Vec<char> = word.split('-').filter_map(initial).collect();
    if parts.len() > 1 {
        options.push(parts);
    }
    if let Some(first) = initial(word) {
        options.push(vec![first]);
    }
    if word == "&" || word.eq_ignore_ascii_case("and") {
        options.push(vec!['&']);
    }
    options
}

/// Matches `letters` against the initials of `words`, from the end: the last word must
/// contribute the last letters; function words may be skipped freely and at most `skips` other
/// words. Returns the index of the first word of the long form.
fn match_initials(
    letters: &[char],
    words: &[&str],
    skips: usize,
    last_must_count: bool,
) -> Option<usize> {
    if letters.is_empty() {
        return Some(words.len());
    }
    let (word, rest) = words.split_last()?;
    // A function word is passed over if the words before it can spell the rest (`Office of
    // Ports` for OP), and only otherwise gives its initial (`Bank of America` for BOA).
    let function_word = is_function_word(word);
    if function_word
        && !last_must_count
        && let Some(start) = match_initials(letters, rest, skips, false)
    {
        return Some(start);
    }
    for option in contributions(word) {
        if option.len() <= letters.len() && letters.ends_with(&option) {
            let remaining = &letters[..letters.len() - option.len()];
            if remaining.is_empty() {
                return Some(rest.len());
            }
            if let Some(start) = match_initials(remaining, rest, skips, false) {
                return Some(start);
            }
        }
    }
    if last_must_count || function_word {
        return None;
    }
    if skips > 0 {
        return match_initials(letters, rest, skips - 1, false);
    }
    None
}

fn abbreviation_letters(abbreviation: &str) -> Vec<char> {
    abbreviation.chars().collect()
}

fn scan_acronyms(
    text: &str,
    sentence: &ByteRange,
    words: &[ByteRange],
    sentence_index: usize,
    found: &mut Vec<(String, String, usize)>,
) {
    let Some(slice) = text.get(sentence.clone()) else {
        return;
    };
    for (offset, _) in slice.match_indices('(') {
        let open = sentence.start + offset;
        let Some(close) = text
            .get(open + 1..sentence.end)
            .and_then(|rest| rest.find(')'))
            .map(|p| open + 1 + p)
        else {
            continue;
        };
        let Some(inner) = text.get(open + 1..close) else {
            continue;
        };
        let inner = inner.trim();
        let before: Vec<&ByteRange> = words.iter().filter(|w| w.end <= open).collect();
        if is_abbreviation_shape(inner) {
            // Long Name (ABBR)
            let letters = abbreviation_letters(inner);
            let Some(last) = before.last() else { continue };
            if text.get(last.end..open) != Some(" ") {
                continue;
            }
            // The run of words joined by plain spaces that ends right before the bracket.
            let window = letters.len() + 5;
            let mut run: Vec<&ByteRange> = vec![*last];
            for pair in before.windows(2).rev() {
                if run.len() >= window || !plain_gap(text, pair[0], pair[1]) {
                    break;
                }
                run.push(pair[0]);
            }
            run.reverse();
            let run_words: Vec<&str> = run.iter().filter_map(|r| text.get((*r).clone())).collect();
            if let Some(start) = match_initials(&letters, &run_words, letters.len() / 2, true)
                && let (Some(first), Some(last)) = (run.get(start), run.last())
                && let Some(long) = text.get(first.start..last.end)
            {
                found.push((inner.to_string(), long.to_string(), sentence_index));
            }
        } else if let Some(last) = before.last()
            && text.get(last.end..open) == Some(" ")
            && let Some(abbreviation) = text.get((*last).clone())
            && is_abbreviation_shape(abbreviation)
        {
            // ABBR (Long Name)
            let inner_words: Vec<ByteRange> = words
                .iter()
                .filter(|w| w.start > open && w.end <= close)
                .cloned()
                .collect();
            if inner_words.len() < 2
                || !inner_words
                    .windows(2)
                    .all(|p| plain_gap(text, &p[0], &p[1]))
            {
                continue;
            }
            let letters = abbreviation_letters(abbreviation);
            let inner_strs: Vec<&str> = inner_words
                .iter()
                .filter_map(|r| text.get(r.clone()))
                .collect();
            if match_initials(&letters, &inner_strs, letters.len() / 2, true) == Some(0)
                && let (Some(first), Some(last)) = (inner_words.first(), inner_words.last())
                && let Some(long) = text.get(first.start..last.end)
            {
                found.push((abbreviation.to_string(), long.to_string(), sentence_index));
            }
        }
    }
}

/// Quoted phrases of 1–6 words (`“…”`, `"…"`, or `‘…’` where the single quotes stand at word
/// edges, so that apostrophes do not count), with trailing punctuation inside the quotes dropped.
/// The flag says whether the phrase is introduced by a definitional cue; a single quoted word
/// only counts with a cue before it (`so-called “X”`), not after.
fn scan_quoted(text: &str, sentence: &ByteRange, found: &mut Vec<(String, bool)>) {
    let Some(slice) = text.get(sentence.clone()) else {
        return;
    };
    let mut open: Option<(usize, char)> = None;
    let mut previous: Option<char> = None;
    let mut chars = slice.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = sentence.start + i;
        let next = chars.peek().map(|&(_, n)| n);
        let at_word_start = !previous.is_some_and(char::is_alphanumeric);
        let at_word_end = !next.is_some_and(char::is_alphanumeric);
        previous = Some(c);
        let closes = match (open, c) {
            (Some((_, '“')), '”') | (Some((_, '"')), '"') => true,
            (Some((_, '‘')), '’') => at_word_end,
            _ => false,
        };
        if closes && let Some((start, _)) = open.take() {
            push_quoted(text, start..at, at + c.len_utf8(), found);
        } else if open.is_none() && (matches!(c, '“' | '"') || c == '‘' && at_word_start) {
            open = Some((at + c.len_utf8(), c));
        }
    }
}

/// Records the quoted phrase `text[inner]` (the closing quote ends at `after`) if it can be a
/// term.
fn push_quoted(text: &str, inner: ByteRange, after: usize, found: &mut Vec<(String, bool)>) {
    let Some(raw) = text.get(inner.clone()) else {
        return;
    };
    let mut phrase = raw
        .trim()
        .trim_end_matches([',', '.', ';', ':', '!', '?'])
        .trim();
    for article in ["a ", "an ", "the ", "A ", "An ", "The "] {
        if let Some(rest) = phrase.strip_prefix(article) {
            phrase = rest;
        }
    }
    if !is_phrase_term(phrase) {
        return;
    }
    let inner_start = inner.start + (raw.len() - raw.trim_start().len());
    let cue_before = cue_before(text, inner_start) > 0.0;
    let cue = if phrase.contains(' ') {
        cue_before || cue_after(text, after) > 0.0
    } else if cue_before {
        true
    } else {
        return; // a scare-quoted word
    };
    found.push((phrase.to_string(), cue));
}

/// 1–6 words, starting with a letter, not only function words, no sentence punctuation inside.
fn is_phrase_term(phrase: &str) -> bool {
    let words: Vec<&str> = phrase.split(' ').collect();
    !phrase.is_empty()
        && words.len() <= MAX_PHRASE_WORDS
        && phrase.chars().next().is_some_and(char::is_alphabetic)
        && !phrase.contains(['.', ',', ';', ':', '?', '!', '"', '“', '”', '‘', '(', ')'])
        && !words.iter().all(|w| is_function_word(w))
}

fn is_capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

fn is_possessive(word: &str) -> bool {
    word.ends_with("'s") || word.ends_with("’s")
}

/// Runs of capitalised words (function words allowed inside), joined by plain spaces.
fn scan_capitalised(
    text: &str,
    words: &[ByteRange],
    found: &mut PhraseCounts,
    names: &mut Vec<String>,
) {
    let word_text = |r: &ByteRange| text.get(r.clone()).unwrap_or("");
    let mut i = 0;
    while i < words.len() {
        let Some(first) = words.get(i) else { break };
        let first_text = word_text(first);
        if !is_capitalised(first_text)
            || is_possessive(first_text)
            || is_calendar_word(first_text)
            || is_function_word(first_text) && i > 0
        {
            i += 1;
            continue;
        }
        // Extend the run.
        let mut end = i + 1;
        while let (Some(previous), Some(next)) = (words.get(end - 1), words.get(end)) {
            let next_text = word_text(next);
            let joins = plain_gap(text, previous, next)
                && (is_capitalised(next_text) || is_function_word(next_text))
                && !is_calendar_word(next_text)
                && !next_text.chars().any(|c| c.is_ascii_digit());
            if !joins {
                break;
            }
            end += 1;
            if is_possessive(next_text) {
                break;
            }
        }
        let next_start = end;
        while end > i + 1
            && words
                .get(end - 1)
                .is_some_and(|w| is_function_word(word_text(w)))
        {
            end -= 1;
        }
        let run: Vec<ByteRange> = words.get(i..end).map(<[_]>::to_vec).unwrap_or_default();
        // A name right after `Mr.`/`Dr.` (a title the full stop cut off).
        let after_title = i
            .checked_sub(1)
            .and_then(|p| words.get(p))
            .is_some_and(|p| {
                is_title(word_text(p)) && matches!(text.get(p.end..first.start), Some(". " | " "))
            });
        let person = after_title || is_reported_speaker(text, &run);
        for part in split_at_and(text, &run) {
            collect_run(text, part, person, found, names);
        }
        i = next_start;
    }
}

/// Verbs of saying: a name right before or after one is a person's.
const SPEECH_VERBS: &[&str] = &[
    "said",
    "says",
    "told",
    "tells",
    "wrote",
    "writes",
    "added",
    "noted",
    "notes",
    "argued",
    "argues",
    "explained",
    "explains",
    "stated",
    "states",
    "asked",
    "claimed",
    "claims",
    "warned",
    "warns",
    "observed",
    "remarked",
    "recalled",
    "concluded",
];

/// Whether the run of words is a speaker: `X said`, `said X`, `X, a lecturer, said`.
fn is_reported_speaker(text: &str, run: &[ByteRange]) -> bool {
    let (Some(first), Some(last)) = (run.first(), run.last()) else {
        return false;
    };
    let after = text.get(last.end..).unwrap_or("");
    let next_word = after
        .strip_prefix(' ')
        .and_then(|rest| rest.split([' ', ',', '.']).next())
        .unwrap_or("");
    let before = text.get(..first.start).unwrap_or("").trim_end();
    let previous_word = before.rsplit(' ').next().unwrap_or("");
    SPEECH_VERBS.contains(&next_word) || SPEECH_VERBS.contains(&previous_word)
}

/// Splits a run at `and`/`&` that joins two names rather than forming one (`Beijing and
/// Moscow`, `BRI and the SCO`): when the run is shorter than four words or too long for one
/// name, when a word next to the conjunction is an acronym, or when an article follows it.
fn split_at_and<'r>(text: &str, run: &'r [ByteRange]) -> Vec<&'r [ByteRange]> {
    let word_text = |r: &ByteRange| text.get(r.clone()).unwrap_or("");
    let is_and = |w: &str| w == "&" || w.eq_ignore_ascii_case("and");
    let all_caps = |w: &str| !w.chars().any(char::is_lowercase);
    let mut parts = Vec::new();
    let mut start = 0;
    for (k, word) in run.iter().enumerate() {
        if !is_and(word_text(word)) {
            continue;
        }
        let before = k.checked_sub(1).and_then(|p| run.get(p)).map(word_text);
        let after = run.get(k + 1).map(word_text);
        let joins_acronyms = before.is_some_and(all_caps) || after.is_some_and(all_caps);
        let before_article = after.is_some_and(|w| matches!(w, "the" | "a" | "an"));
        if run.len() < 4 || run.len() > MAX_PHRASE_WORDS || joins_acronyms || before_article {
            parts.push(run.get(start..k).unwrap_or(&[]));
            start = k + 1;
        }
    }
    parts.push(run.get(start..).unwrap_or(&[]));
    parts
}

fn collect_run(
    text: &str,
    run: &[ByteRange],
    after_title: bool,
    found: &mut PhraseCounts,
    names: &mut Vec<String>,
) {
    let word_text = |r: &ByteRange| text.get(r.clone()).unwrap_or("");
    let mut run = run;
    if after_title {
        if let (Some(first), Some(last)) = (run.first(), run.last()) {
            names.push(text.get(first.start..last.end).unwrap_or("").to_string());
        }
        return;
    }
    if let Some(title) = run.iter().position(|w| is_title(word_text(w))) {
        if let (Some(first), Some(last)) = (run.get(title + 1), run.last())
            && first.start < last.end
        {
            names.push(text.get(first.start..last.end).unwrap_or("").to_string());
        }
        run = run.get(..title).unwrap_or(&[]);
    }
    while run.first().is_some_and(|w| {
        let word = word_text(w);
        is_function_word(word) || is_leading_word(word)
    }) {
        run = run.get(1..).unwrap_or(&[]);
    }
    while run.last().is_some_and(|w| {
        let word = word_text(w);
        is_function_word(word) || is_possessive(word)
    }) {
        run = run.get(..run.len() - 1).unwrap_or(&[]);
    }
    if run.len() < 2 || run.len() > MAX_PHRASE_WORDS {
        return;
    }
    if run
        .iter()
        .all(|w| !word_text(w).chars().any(char::is_lowercase))
    {
        return; // an all-caps heading or a string of acronyms
    }
    let (Some(first), Some(last)) = (run.first(), run.last()) else {
        return;
    };
    let Some(phrase) = text.get(first.start..last.end) else {
        return;
    };
    found.add(phrase);
}

/// Strong cues: the sentence is written to define the term.
const STRONG_CUES: &[&str] = &[
    "is defined as",
    "are defined as",
    "was defined as",
    "refers to",
    "refer to",
    "means",
    "is known as",
    "stands for",
    "denotes",
    "namely",
    "is understood as",
    "is a term",
];
/// Ordinary cues: the term is the subject of a descriptive clause.
const CUES: &[&str] = &[
    "is a ",
    "is an ",
    "is the ",
    "are the ",
    "was a ",
    "was an ",
    "was the ",
    "features",
    "consists of",
    "comprises",
    "is composed of",
    "embodies",
    "is based on",
    "includes",
    "emphasizes",
    "emphasises",
    "advocates",
];
/// The score of a weak cue.
const WEAK_CUE: f32 = 1.0;
/// Weak cues: a copula.
const WEAK_CUES: &[&str] = &["is ", "are ", "was ", "were "];

/// How strongly the text right after a term (at `at`) reads as a definition of it: 0 for none.
/// Skips a closing quote, a bracketed acronym, a comma and `which`/`that`.
pub(crate) fn cue_after(text: &str, at: usize) -> f32 {
    let Some(mut rest) = text.get(at..) else {
        return 0.0;
    };
    rest = rest.trim_start_matches(['”', '"', '’', '\'']);
    if let Some(after_bracket) = rest.strip_prefix(" (")
        && let Some(close) = after_bracket.find(')')
        && close <= 40
    {
        rest = after_bracket.get(close + 1..).unwrap_or("");
    }
    let trimmed = rest.trim_start();
    if trimmed.starts_with(':') || trimmed.starts_with('—') || trimmed.starts_with('–') {
        return 2.0;
    }
    if rest.starts_with(" - ") {
        return 2.0;
    }
    // The cues are short: lowercase only the words right after the term, not the rest of the text.
    let mut lower = head(trimmed.trim_start_matches(',').trim_start(), CUE_WINDOW).to_lowercase();
    for relative in ["which ", "that "] {
        if let Some(stripped) = lower.strip_prefix(relative) {
            lower = stripped.to_string();
        }
    }
    if STRONG_CUES.iter().any(|c| lower.starts_with(c)) {
        3.0
    } else if CUES.iter().any(|c| lower.starts_with(c)) {
        2.0
    } else if WEAK_CUES.iter().any(|c| lower.starts_with(c)) {
        WEAK_CUE
    } else {
        0.0
    }
}

/// Bytes of text around a term searched for a cue (longer than any cue).
const CUE_WINDOW: usize = 64;

/// At most the first `max` bytes of `text`, cut on a char boundary.
fn head(text: &str, max: usize) -> &str {
    &text[..crate::text::floor_char_boundary(text, max)]
}

/// At most the last `max` bytes of `text`, cut on a char boundary.
fn tail(text: &str, max: usize) -> &str {
    &text[crate::text::ceil_char_boundary(text, text.len().saturating_sub(max))..]
}

/// `known as`, `called`, `termed`, `dubbed` right before a term (at `at`, an opening quote
/// allowed between).
pub(crate) fn cue_before(text: &str, at: usize) -> f32 {
    let Some(before) = text.get(..at) else {
        return 0.0;
    };
    let before = tail(
        before
            .trim_end_matches(['“', '"', '‘', '\''])
            .trim_end()
            .trim_end_matches(" the"),
        CUE_WINDOW,
    )
    .to_lowercase();
    let cues = [
        "known as",
        "called",
        "termed",
        "dubbed",
        "so-called",
        "concept of",
        "notion of",
    ];
    if cues.iter().any(|c| before.ends_with(c)) {
        2.5
    } else {
        0.0
    }
}

/// Whether `sentence` is a heading or a title rather than prose: it does not end like a
/// sentence and most of its words (function words aside) are capitalised, or it is short and has
/// no sentence punctuation at all.
pub(crate) fn is_heading(text: &str, sentence: &ByteRange, words: &[ByteRange]) -> bool {
    let Some(slice) = text.get(sentence.clone()) else {
        return false;
    };
    if ends_like_a_sentence(slice) {
        return false;
    }
    let content: Vec<&str> = words
        .iter()
        .filter_map(|w| text.get(w.clone()))
        .filter(|w| !is_function_word(w))
        .collect();
    let capitalised = content.iter().filter(|w| is_capitalised(w)).count();
    content.len() <= 3 || capitalised * 5 >= content.len() * 3
}

/// Whether the line `text[line]` is a title on its own: every word but function words starts
/// with a capital or a digit, and it ends with neither a function word nor a comma. The first
/// line of hard-wrapped prose almost always has a lowercase word.
fn is_title_line(text: &str, line: &ByteRange) -> bool {
    let Some(slice) = text.get(line.clone()) else {
        return false;
    };
    let words: Vec<&str> = words_in(text, line.clone())
        .into_iter()
        .filter_map(|w| text.get(w))
        .collect();
    let starts_upper = |w: &str| {
        w.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
    };
    !words.is_empty()
        && !slice.trim_end().ends_with([',', ';'])
        && !words
            .last()
            .is_some_and(|w| is_function_word(w) && !starts_upper(w))
        && words.iter().all(|w| starts_upper(w) || is_function_word(w))
}

/// Whether `sentence` ends with `.`, `?`, `!` or a CJK full stop (closing quotes and brackets
/// aside).
pub(crate) fn ends_like_a_sentence(sentence: &str) -> bool {
    sentence
        .trim_end_matches(['"', '\'', '”', '’', ')', ']', '»', '」', '』'])
        .ends_with(['.', '?', '!', '。', '！', '？'])
}

/// Words that start sentences without starting names: determiners, pronouns, conjunctions,
/// sentence adverbs, prepositions.
const LEADING_WORDS: &[&str] = &[
    "this",
    "that",
    "these",
    "those",
    "its",
    "his",
    "her",
    "their",
    "our",
    "my",
    "your",
    "we",
    "they",
    "it",
    "he",
    "she",
    "i",
    "you",
    "such",
    "some",
    "many",
    "most",
    "all",
    "both",
    "each",
    "every",
    "another",
    "other",
    "any",
    "no",
    "not",
    "when",
    "while",
    "if",
    "although",
    "though",
    "but",
    "yet",
    "so",
    "as",
    "after",
    "before",
    "since",
    "because",
    "however",
    "moreover",
    "furthermore",
    "meanwhile",
    "later",
    "then",
    "now",
    "today",
    "here",
    "there",
    "what",
    "why",
    "how",
    "where",
    "who",
    "which",
    "despite",
    "under",
    "over",
    "through",
    "during",
    "between",
    "among",
    "from",
    "into",
    "unlike",
    "like",
    "beyond",
    "within",
    "without",
    "across",
    "against",
    "amid",
    "toward",
    "towards",
    "upon",
    "about",
    "also",
    "even",
    "only",
    "just",
    "still",
    "thus",
    "hence",
    "indeed",
    "instead",
    "perhaps",
    "yes",
    "or",
    "nor",
    "whether",
    "once",
    "until",
    "unless",
    "whereas",
    "first",
    "second",
    "third",
    "finally",
    "lastly",
    "further",
    "besides",
    "accordingly",
    "therefore",
    "nevertheless",
    "nonetheless",
    "overall",
    "recently",
    "currently",
    "similarly",
    "likewise",
    "again",
    "already",
    "ever",
    "never",
    "always",
    "often",
    "sometimes",
    "more",
    "less",
    "several",
];

fn is_leading_word(word: &str) -> bool {
    LEADING_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// A term accepted by the corpus-wide vote, before its excerpts are found.
#[derive(Debug, Clone)]
struct Draft {
    term: String,
    aliases: Vec<String>,
    expansion: Option<String>,
}

impl Draft {
    fn names(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.term)
            .chain(self.expansion.iter())
            .chain(self.aliases.iter())
    }
}

/// Counts `value` under its lowercase form, keeping the first spelling and how often each
/// spelling was seen.
#[derive(Debug, Default)]
struct SpellingVotes {
    spellings: Vec<(String, usize)>,
}

impl SpellingVotes {
    /// Counts `uses` more uses of `spelling`.
    fn add(&mut self, spelling: &str, uses: usize) {
        match self.spellings.iter_mut().find(|(s, _)| s == spelling) {
            Some((_, count)) => *count += uses,
            None => self.spellings.push((spelling.to_string(), uses)),
        }
    }

    /// The most frequent spelling (first seen on ties).
    fn best(&self) -> Option<&str> {
        let mut best: Option<&(String, usize)> = None;
        for entry in &self.spellings {
            if best.is_none_or(|b| entry.1 > b.1) {
                best = Some(entry);
            }
        }
        best.map(|(s, _)| s.as_str())
    }
}

/// Mines every input: the terms, each with its best excerpts (best first across sources).
pub fn mine_inputs(inputs: &[MineInput<'_>]) -> Vec<TermInfo> {
    mine_inputs_until(inputs, &|| false).unwrap_or_default()
}

/// `mine_inputs`, given up (`None`) once `cancelled` says so: it is asked before each source of
/// each pass, so that a mining whose corpus has changed stops within a source's work.
pub fn mine_inputs_until(
    inputs: &[MineInput<'_>],
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<Vec<TermInfo>> {
    let phrases = std::sync::Mutex::new(PhraseTable::default());
    let scans: Vec<SourceScan> = inputs
        .par_iter()
        .map(|input| {
            if cancelled() {
                return SourceScan::default();
            }
            let scan = scan_source(input, &phrases);
            (input.release)();
            scan
        })
        .collect();
    if cancelled() {
        return None;
    }
    let phrases = phrases
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let drafts = vote(inputs, &scans, &phrases);
    let terms = excerpts_for(inputs, &scans, &phrases, drafts, cancelled);
    (!cancelled()).then_some(terms)
}

/// Whether the phrase at `range` is the tail or head of a longer name: `<Name> of|for|and|...
/// <phrase>` (`School of International Studies`) or `<phrase> of|for <Name>`.
fn inside_longer_name(text: &str, range: &ByteRange) -> bool {
    let before: Vec<&str> = text
        .get(..range.start)
        .unwrap_or("")
        .rsplit(' ')
        .skip(1)
        .take(2)
        .collect();
    let is_word = |w: &str| w.chars().all(|c| c.is_alphanumeric() || is_joiner(c));
    let glued_before = matches!(before.as_slice(), [joiner, name]
        if is_function_word(joiner)
            && !is_capitalised(joiner)
            && is_word(name)
            && is_capitalised(name)
            && !is_function_word(name)
            && !is_leading_word(name));
    let after: Vec<&str> = text
        .get(range.end..)
        .unwrap_or("")
        .split(' ')
        .skip(1)
        .take(2)
        .collect();
    let glued_after = matches!(after.as_slice(), [joiner, name]
        if matches!(*joiner, "of" | "for") && is_capitalised(name));
    glued_before || glued_after
}

/// Decides which candidates are terms. Every acronym with a long form is one (its most frequent
/// long form the expansion, the others aliases). A quoted phrase is one when a cue introduces it
/// (`so-called “X”`, `“X” refers to`), or, of two words or more, when it is quoted twice or used
/// twice. A capitalised phrase is one when it is used at least twice in prose (headings aside) on
/// its own (not as the tail of a longer name), mostly capitalised, and is not a person's name
/// (after a title, next to `said`, an author of a source).
fn vote(inputs: &[MineInput<'_>], scans: &[SourceScan], phrases: &PhraseTable) -> Vec<Draft> {
    // Acronyms: every long form seen, grouped case-insensitively.
    let mut acronyms: Vec<(String, Vec<(String, SpellingVotes)>)> = Vec::new();
    for &(abbreviation, long, _) in scans.iter().flat_map(|s| s.acronyms.iter()) {
        let (abbreviation, long) = (phrases.phrase(abbreviation), phrases.phrase(long));
        let index = match acronyms.iter().position(|(a, _)| a == abbreviation) {
            Some(index) => index,
            None => {
                acronyms.push((abbreviation.to_string(), Vec::new()));
                acronyms.len() - 1
            }
        };
        let Some((_, forms)) = acronyms.get_mut(index) else {
            continue;
        };
        let folded = long.to_lowercase();
        match forms.iter_mut().find(|(f, _)| *f == folded) {
            Some((_, votes)) => votes.add(long, 1),
            None => {
                let mut votes = SpellingVotes::default();
                votes.add(long, 1);
                forms.push((folded, votes));
            }
        }
    }
    let mut drafts: Vec<Draft> = Vec::new();
    let mut taken: HashSet<String> = HashSet::new();
    for (abbreviation, mut forms) in acronyms {
        forms.sort_by_key(|(_, votes)| {
            std::cmp::Reverse(votes.spellings.iter().map(|(_, n)| n).sum::<usize>())
        });
        let mut spellings = forms
            .iter()
            .filter_map(|(_, votes)| votes.best().map(str::to_string));
        let expansion = spellings.next();
        let aliases: Vec<String> = spellings.collect();
        let draft = Draft {
            term: abbreviation,
            aliases,
            expansion,
        };
        taken.extend(draft.names().map(|n| n.to_lowercase()));
        drafts.push(draft);
    }

    let names: HashSet<String> = scans
        .iter()
        .flat_map(|s| s.names.iter().map(|&n| phrases.phrase(n).to_lowercase()))
        .collect();
    let author_words: HashSet<String> = inputs
        .iter()
        .flat_map(|i| i.authors.iter())
        .flat_map(|a| a.split([' ', ',', '.']).map(str::to_lowercase))
        .filter(|w| w.chars().count() >= 2)
        .collect();
    let is_author = |phrase: &str| {
        phrase
            .split(' ')
            .all(|w| author_words.contains(&w.to_lowercase()))
    };

    // Introduced terms, case-insensitively: spelling votes, quoted count, whether capitalised,
    // whether a quoted use has a cue.
    #[derive(Default)]
    struct Introduced {
        spellings: SpellingVotes,
        quoted: usize,
        capitalised: bool,
        cue: bool,
    }
    let mut introduced: HashMap<String, Introduced> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for scan in scans {
        // Quoted uses one by one (each may have its cue), then the capitalised ones, counted.
        let quoted = scan
            .quoted
            .iter()
            .map(|(phrase, cue)| (phrase.as_str(), Some(*cue), 1));
        let capitalised = scan
            .capitalised
            .iter()
            .map(|&(phrase, n)| (phrases.phrase(phrase), None, n));
        for (phrase, quoted_cue, uses) in quoted.chain(capitalised) {
            let folded = phrase.to_lowercase();
            if taken.contains(&folded) || names.contains(&folded) {
                continue;
            }
            let entry = introduced.entry(folded.clone()).or_insert_with(|| {
                order.push(folded.clone());
                Introduced::default()
            });
            entry.spellings.add(phrase, uses);
            match quoted_cue {
                Some(cue) => {
                    entry.cue |= cue;
                    entry.quoted += 1;
                }
                None => entry.capitalised = true,
            }
        }
    }

    // How often each candidate is used anywhere in the corpus (case-insensitively for quoted
    // phrases, with the exact spelling for capitalised ones).
    let candidates: Vec<(String, usize)> = order
        .iter()
        .enumerate()
        .filter_map(|(i, folded)| {
            introduced
                .get(folded)
                .and_then(|e| e.spellings.best())
                .map(|s| (s.to_lowercase(), i))
        })
        .collect();
    let matcher = NameMatcher::new(candidates);
    // Per source (in parallel), summed per thread then across threads (one table per thread,
    // not one per source: the candidates are thousands, the sources too): uses in any case, uses
    // in a candidate's spelling.
    let (uses_folded, uses_exact): (Vec<usize>, Vec<usize>) = inputs
        .par_iter()
        .zip(scans.par_iter())
        .fold(
            || (vec![0usize; order.len()], vec![0usize; order.len()]),
            |(mut folded, mut exact), (input, scan)| {
                for (range, index) in matcher.find(input.text) {
                    if scan.is_in_heading(range.start) {
                        continue;
                    }
                    let Some(found) = input.text.get(range.clone()) else {
                        continue;
                    };
                    let spelled_as_term = order
                        .get(index)
                        .and_then(|f| introduced.get(f))
                        .is_some_and(|e| e.spellings.spellings.iter().any(|(s, _)| s == found));
                    let standalone = !inside_longer_name(input.text, &range);
                    if let (Some(folded), Some(exact)) =
                        (folded.get_mut(index), exact.get_mut(index))
                    {
                        *folded += 1;
                        *exact += usize::from(spelled_as_term && standalone);
                    }
                }
                (input.release)();
                (folded, exact)
            },
        )
        .reduce(
            || (vec![0usize; order.len()], vec![0usize; order.len()]),
            |(mut folded, mut exact), (other_folded, other_exact)| {
                for (total, n) in folded.iter_mut().zip(other_folded) {
                    *total += n;
                }
                for (total, n) in exact.iter_mut().zip(other_exact) {
                    *total += n;
                }
                (folded, exact)
            },
        );
    for (index, folded) in order.iter().enumerate() {
        let Some(entry) = introduced.get(folded) else {
            continue;
        };
        let Some(spelling) = entry.spellings.best() else {
            continue;
        };
        let words = spelling.split(' ').count();
        let folded_uses = uses_folded.get(index).copied().unwrap_or(0);
        let exact_uses = uses_exact.get(index).copied().unwrap_or(0);
        let accepted = entry.cue
            || (entry.quoted >= 2 && words >= 2)
            || (entry.quoted >= 1 && words >= 2 && folded_uses >= 2)
            || (entry.capitalised
                && exact_uses >= 2
                && exact_uses * 2 >= folded_uses
                && !is_author(spelling));
        if accepted {
            drafts.push(Draft {
                term: spelling.to_string(),
                aliases: Vec::new(),
                expansion: None,
            });
        }
    }
    drafts
}

/// Scores every sentence mentioning a term and keeps the best few per source, and the best
/// `KEPT_EXCERPTS` of the term in all.
fn excerpts_for(
    inputs: &[MineInput<'_>],
    scans: &[SourceScan],
    phrases: &PhraseTable,
    drafts: Vec<Draft>,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Vec<TermInfo> {
    let matcher = NameMatcher::new(
        drafts
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.names().map(move |n| (n.clone(), i)).collect::<Vec<_>>()),
    );
    let by_abbreviation: HashMap<PhraseId, usize> = drafts
        .iter()
        .enumerate()
        .filter(|(_, d)| d.expansion.is_some())
        .filter_map(|(i, d)| Some((*phrases.ids.get(d.term.as_str())?, i)))
        .collect();

    // Per term, in corpus order, cut to the best `KEPT_EXCERPTS` as the lists grow: the best of a
    // merge of lists cut that way are the best of the whole lists (ties keep corpus order, since
    // each thread folds a run of sources in order and runs are joined in order), and no thread
    // holds every sentence naming a term at once.
    let cut_above = 4 * super::KEPT_EXCERPTS;
    let excerpts: Vec<Vec<SourceExcerpt>> = inputs
        .par_iter()
        .zip(scans.par_iter())
        .fold(
            || vec![Vec::new(); drafts.len()],
            |mut lists: Vec<Vec<SourceExcerpt>>, (input, scan)| {
                if cancelled() {
                    return lists;
                }
                let found = source_excerpts(input, scan, &matcher, &by_abbreviation, drafts.len());
                (input.release)();
                for (term, excerpt) in found {
                    if let Some(list) = lists.get_mut(term) {
                        list.push(excerpt);
                        if list.len() > cut_above {
                            super::keep_best_excerpts(list);
                        }
                    }
                }
                lists
            },
        )
        .reduce(
            || vec![Vec::new(); drafts.len()],
            |mut left, right| {
                for (list, more) in left.iter_mut().zip(right) {
                    list.extend(more);
                    if list.len() > cut_above {
                        super::keep_best_excerpts(list);
                    }
                }
                left
            },
        );
    let mut terms: Vec<TermInfo> = drafts
        .into_iter()
        .zip(excerpts)
        .filter(|(_, excerpts)| !excerpts.is_empty())
        .map(|(draft, mut excerpts)| {
            super::keep_best_excerpts(&mut excerpts);
            TermInfo {
                term: draft.term,
                aliases: draft.aliases,
                expansion: draft.expansion,
                glossary: Vec::new(),
                excerpts,
            }
        })
        .collect();
    terms.sort_by(|a, b| {
        a.term
            .to_lowercase()
            .cmp(&b.term.to_lowercase())
            .then(a.term.cmp(&b.term))
    });
    terms
}

fn source_excerpts(
    input: &MineInput<'_>,
    scan: &SourceScan,
    matcher: &NameMatcher,
    by_abbreviation: &HashMap<PhraseId, usize>,
    term_count: usize,
) -> Vec<(usize, SourceExcerpt)> {
    let text = input.text;
    let occurrences = matcher.find(text);
    let mut uses = vec![0usize; term_count];
    for (_, term) in &occurrences {
        if let Some(count) = uses.get_mut(*term) {
            *count += 1;
        }
    }
    let definitions: HashSet<(usize, usize)> = scan
        .acronyms
        .iter()
        .filter_map(|(abbreviation, _, sentence)| {
            by_abbreviation.get(abbreviation).map(|&t| (t, *sentence))
        })
        .collect();

    // Best score per (term, sentence); headings and titles never define.
    let mut best: HashMap<(usize, usize), f32> = HashMap::new();
    let mut first_use: HashMap<usize, usize> = HashMap::new();
    for (range, term) in &occurrences {
        let sentence_index = scan.sentences.partition_point(|s| s.end <= range.start);
        let Some(sentence) = scan.sentences.get(sentence_index) else {
            continue;
        };
        if sentence.start > range.start || scan.headings.get(sentence_index) == Some(&true) {
            continue;
        }
        let first = *first_use.entry(*term).or_insert(sentence_index);
        let frequency = uses.get(*term).copied().unwrap_or(0);
        let mut score = sentence_score(
            text,
            sentence,
            range,
            definitions.contains(&(*term, sentence_index)),
            frequency,
        );
        if sentence_index == first {
            score += FIRST_USE_BONUS;
        }
        let slot = best.entry((*term, sentence_index)).or_insert(f32::MIN);
        if score > *slot {
            *slot = score;
        }
    }

    let mut by_term: HashMap<usize, Vec<(usize, f32)>> = HashMap::new();
    for ((term, sentence), score) in best {
        by_term.entry(term).or_default().push((sentence, score));
    }
    let mut result = Vec::new();
    for (term, mut sentences) in by_term {
        sentences.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (sentence_index, score) in sentences.into_iter().take(EXCERPTS_PER_SOURCE) {
            let Some(sentence) = scan.sentences.get(sentence_index) else {
                continue;
            };
            let sentence_text = text_without(text, sentence.clone(), &scan.furniture);
            result.push((
                term,
                SourceExcerpt {
                    key: input.key.to_string(),
                    path: input.path.to_path_buf(),
                    range: (input.to_original)(sentence.clone()),
                    text: sentence_text,
                    score,
                },
            ));
        }
    }
    result.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.score.total_cmp(&a.1.score)));
    result
}

/// What the first sentence of a source using a term gains over later mentions.
const FIRST_USE_BONUS: f32 = 0.5;

/// How well `sentence` defines the term found at `occurrence` in it: definitional cues right
/// after or before the term (a bare copula only when the term is the subject), the sentence that
/// introduces the acronym, the term at the start of the sentence, a sentence of reasonable
/// length that ends like one, and how much the source uses the term.
fn sentence_score(
    text: &str,
    sentence: &ByteRange,
    occurrence: &ByteRange,
    defines_acronym: bool,
    uses_in_source: usize,
) -> f32 {
    let mut score = 1.0;
    let words_before = words_in(text, sentence.start..occurrence.start);
    let leading = words_before
        .iter()
        .filter(|w| !is_function_word(text.get((*w).clone()).unwrap_or("")))
        .count();
    let mut cue = cue_after(text, occurrence.end);
    if cue <= WEAK_CUE && leading > 1 {
        cue = 0.0; // `... said the river was shrinking`: not about the term
    }
    let cue = cue.max(cue_before(text, occurrence.start));
    score += cue;
    if defines_acronym {
        score += 2.5;
    }
    if leading <= 1 {
        score += if cue > 0.0 { 1.0 } else { 0.3 };
    }
    let words = words_in(text, sentence.clone());
    let length = words.len();
    if is_heading(text, sentence, &words) {
        score -= 2.5;
    } else if !text.get(sentence.clone()).is_some_and(ends_like_a_sentence) {
        score -= 1.0;
    }
    if !(6..=60).contains(&length) {
        score -= 2.0;
    } else if (10..=40).contains(&length) {
        score += 0.3;
    }
    score += 0.3 * (uses_in_source as f32).ln_1p();
    score
}

#[cfg(test)]
mod tests;

//! Integration tests: matcher. Quotations are cut from the sample corpus's keys at run time (never
//! pasted here) and looked for again, exactly, mutated, elided, and split over page furniture.

use ibid::analysis::matcher::{Alignment, EditKind, Haystack, MatchKind, PatternPiece, find_quote};
use ibid::corpus::{Source, SourceFormat, SourceMeta, normalize_key};

use crate::common::{shared_corpus, shared_source};

const SOURCES: &[(&str, SourceFormat)] = &[
    ("mahoney2024.txt", SourceFormat::Plain),
    ("politburo2023.txt", SourceFormat::Plain),
    ("qiang2024.md", SourceFormat::Markdown),
    ("tsjeng2024.md", SourceFormat::Markdown),
    ("voa2023.txt", SourceFormat::Plain),
];

fn load(name: &str, format: SourceFormat) -> Source {
    let key = name.split('.').next().unwrap_or(name).to_owned();
    Source::new(
        key,
        shared_corpus().join(name),
        format,
        shared_source(name),
        SourceMeta::default(),
    )
}

fn find(source: &Source, pattern: &[PatternPiece]) -> Option<Alignment> {
    find_quote(
        pattern,
        Haystack {
            text: &source.key_text.text,
            breaks: &source.key_text.breaks,
        },
    )
}

/// Byte ranges of the key's words (split at spaces).
fn words(key: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for word in key.split(' ') {
        out.push(start..start + word.len());
        start += word.len() + 1;
    }
    out
}

/// The key text of words `from..to`.
fn phrase(key: &str, from: usize, to: usize) -> (std::ops::Range<usize>, &str) {
    let ranges = words(key);
    let range = ranges[from].start..ranges[to - 1].end;
    (range.clone(), &key[range])
}

fn text(key: &str) -> PatternPiece {
    PatternPiece::Text(key.to_owned())
}

/// The first occurrence of `needle` in `key` on word boundaries.
fn first_on_boundaries(key: &str, needle: &str) -> usize {
    key.match_indices(needle)
        .map(|(at, _)| at)
        .find(|&at| {
            (at == 0 || key.as_bytes()[at - 1] == b' ')
                && key
                    .as_bytes()
                    .get(at + needle.len())
                    .is_none_or(|&b| b == b' ')
        })
        .expect("the phrase occurs on word boundaries")
}

#[test]
fn words_cut_from_each_source_match_exactly_where_they_are() {
    for &(name, format) in SOURCES {
        let source = load(name, format);
        let key = &source.key_text.text;
        for from in [40, 100, 200] {
            let (range, quote) = phrase(key, from, from + 20);
            let found = find(&source, &[text(quote)]).unwrap_or_else(|| panic!("{name} {from}"));
            assert_eq!(found.kind, MatchKind::Exact, "{name} {from}");
            assert_eq!(found.segments, vec![found.range.clone()]);
            assert_eq!(found.range.start, first_on_boundaries(key, quote), "{name}");
            assert!(found.range.start <= range.start);
            assert_eq!(&key[found.range.clone()], quote);
            assert!(found.edits.is_empty() && found.score == 1.0);
        }
    }
}

#[test]
fn one_changed_word_is_an_approximate_match_with_one_substitution() {
    for &(name, format) in SOURCES {
        let source = load(name, format);
        let key = &source.key_text.text;
        let ranges = words(key);
        let (range, quote) = phrase(key, 60, 80);
        let changed = &ranges[70];
        let mutated = format!(
            "{}zqxwvy{}",
            &key[range.start..changed.start],
            &key[changed.end..range.end]
        );
        let found = find(&source, &[text(&mutated)]).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(found.kind, MatchKind::Approximate, "{name}: {quote}");
        // The earliest place the unchanged words are (a source may repeat a passage).
        let start = first_on_boundaries(key, quote);
        assert_eq!(found.range, start..start + quote.len(), "{name}");
        assert_eq!(found.edits.len(), 1, "{name}: {:?}", found.edits);
        let edit = &found.edits[0];
        assert_eq!(edit.kind, EditKind::Substituted);
        assert_eq!(edit.quote_word, "zqxwvy");
        let shift = range.start - start;
        assert_eq!(
            edit.source_range,
            changed.start - shift..changed.end - shift
        );
        assert_eq!(edit.source_word, &key[changed.clone()]);
        assert!((found.score - 0.95).abs() < 1e-6, "{name}: {}", found.score);
    }
}

#[test]
fn elided_quotation_matches_each_part() {
    for &(name, format) in SOURCES {
        let source = load(name, format);
        let key = &source.key_text.text;
        let (first_range, first) = phrase(key, 120, 130);
        let (second_range, second) = phrase(key, 150, 160);
        let pattern = [text(first), PatternPiece::Gap { max: 1500 }, text(second)];
        let found = find(&source, &pattern).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(found.kind, MatchKind::Elided, "{name}");
        assert_eq!(
            found.segments,
            vec![first_range.clone(), second_range.clone()]
        );
        assert_eq!(found.range, first_range.start..second_range.end);
        // The elided stretch is longer than a tight bound allows.
        let tight = [text(first), PatternPiece::Gap { max: 20 }, text(second)];
        let found = find(&source, &tight);
        assert!(
            found.is_none_or(|a| a.kind == MatchKind::Approximate),
            "{name}"
        );
    }
}

#[test]
fn sentence_split_by_page_furniture_in_the_journal_essay_is_exact() {
    let source = load("qiang2024.md", SourceFormat::Markdown);
    let key = &source.key_text.text;
    let breaks: Vec<usize> = source.key_text.breaks.iter().map(|&b| b as usize).collect();
    // The paragraph that stops mid-sentence, and the later paragraph that carries on.
    let cut = *breaks
        .iter()
        .find(|&&b| key[..b].ends_with(" that it is"))
        .expect("a paragraph ending mid-sentence");
    let resume = *breaks
        .iter()
        .find(|&&b| b > cut && key[b + 1..].starts_with("necessary to "))
        .expect("the sentence resumes");
    assert!(resume - cut < 1600, "furniture of {} bytes", resume - cut);
    // The last eight words before the break and the first eight after the furniture.
    let before = words(&key[..cut]);
    let first = before[before.len() - 8].start..cut;
    let after_start = resume + 1;
    let after_words = words(&key[after_start..]);
    let second = after_start..after_start + after_words[7].end;
    let quote = format!("{} {}", &key[first.clone()], &key[second.clone()]);
    let found = find(&source, &[text(&quote)]).expect("split quotation");
    assert_eq!(found.kind, MatchKind::Exact);
    assert_eq!(found.segments, vec![first.clone(), second.clone()]);
    assert_eq!(found.range, first.start..second.end);
    // Both segments map back into the original around the furniture.
    let original = &source.text;
    let first_original = source.key_text.to_original(first.clone());
    let second_original = source.key_text.to_original(second.clone());
    assert!(first_original.end < second_original.start);
    assert!(original[first_original].ends_with("it is"));
    assert!(original[second_original].starts_with("necessary"));

    // The same quotation with a word changed after the furniture: approximate, around it.
    let changed = second.start + after_words[3].start..second.start + after_words[3].end;
    let mutated = format!(
        "{} {}zqxwvy{}",
        &key[first.clone()],
        &key[second.start..changed.start],
        &key[changed.end..second.end]
    );
    let found = find(&source, &[text(&mutated)]).expect("approximate split quotation");
    assert_eq!(found.kind, MatchKind::Approximate);
    assert_eq!(found.segments, vec![first.clone(), second.clone()]);
    assert_eq!(found.edits.len(), 1);
    assert_eq!(found.edits[0].source_range, changed);
}

#[test]
fn drop_cap_of_the_journal_essay_is_forgiven() {
    let source = load("qiang2024.md", SourceFormat::Markdown);
    let key = &source.key_text.text;
    let at = key.find("haracteristically ").expect("the cut drop cap");
    let ranges = words(&key[at..]);
    let rest = &key[at + ranges[1].start..at + ranges[7].end];
    let quote = format!("characteristically {rest}");
    let found = find(&source, &[text(&quote)]).expect("drop cap quotation");
    assert_eq!(found.kind, MatchKind::Exact);
    assert!(found.edits.is_empty());
    assert_eq!(found.range, at..at + ranges[7].end);
}

#[test]
fn cjk_character_matches_inside_the_source() {
    let source = load("mahoney2024.txt", SourceFormat::Plain);
    let key = &source.key_text.text;
    let (at, c) = key
        .char_indices()
        .find(|&(_, c)| ('\u{4E00}'..='\u{9FFF}').contains(&c))
        .expect("a CJK char");
    let found = find(&source, &[text(&c.to_string())]).expect("found");
    assert_eq!(found.range, at..at + c.len_utf8());
}

#[test]
fn invented_sentences_of_source_words_are_not_found() {
    for &(name, format) in SOURCES {
        let source = load(name, format);
        let key = &source.key_text.text;
        let ranges = words(key);
        // Twelve words of the source, each from a different place: its vocabulary, not its text.
        let invented: Vec<&str> = (0..12)
            .map(|i| &key[ranges[(i * 97 + 13) % ranges.len()].clone()])
            .collect();
        let invented = invented.join(" ");
        assert!(
            find(&source, &[text(&invented)]).is_none(),
            "{name}: {invented}"
        );
    }
}

#[test]
fn a_passage_is_not_found_in_another_source() {
    let sources: Vec<Source> = SOURCES.iter().map(|&(n, f)| load(n, f)).collect();
    for (i, source) in sources.iter().enumerate() {
        let (_, quote) = phrase(&source.key_text.text, 80, 100);
        for (j, other) in sources.iter().enumerate() {
            let found = find(other, &[text(quote)]);
            assert_eq!(found.is_some(), i == j, "{} in {}", source.key, other.key);
        }
    }
}

#[test]
fn quotation_normalised_from_reader_text_matches() {
    // A reader types the words with their own capitals and punctuation.
    let source = load("voa2023.txt", SourceFormat::Plain);
    let key = &source.key_text.text;
    let (range, quote) = phrase(key, 30, 42);
    let typed: String = quote
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            if i % 3 == 0 {
                format!("“{}”,", w.to_uppercase())
            } else {
                w.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("  ");
    let found = find(&source, &[text(&normalize_key(&typed).text)]).expect("found");
    assert_eq!(found.kind, MatchKind::Exact);
    assert!(found.range.start <= range.start);
    assert_eq!(&key[found.range], quote);
}

//! Micro-benchmarks of the engine over the sample corpus (`../shared/corpus`, read at run time):
//! normalising a source, parsing a note (citation and quotation scanning), finding a quotation in
//! one source (exact, elided, approximate, absent), resolving quotations against the corpus, mining
//! terms and looking them up, and claims: indexing a source's passages, rating sentences for
//! check-worthiness, scoring a claim's support in a source.
//!
//! `cargo bench --bench engine` (about a minute; samples and measurement times are kept small).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ibid::analysis::matcher::{Haystack, PatternPiece, find_quote};
use ibid::analysis::resolve::{quote_pattern, resolve_quote};
use ibid::analysis::terms::{SourceTerms, TermIndex};
use ibid::corpus::load::format_of;
use ibid::corpus::{Corpus, Source, SourceMeta, normalize_key};
use ibid::notes::Note;

/// The sample corpus: (key, path, text) of every `.md` and `.txt` file, sorted by key.
fn sample_files() -> Vec<(String, PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut files: Vec<(String, PathBuf, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the sample corpus {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let ext = path.extension().and_then(|e| e.to_str());
            matches!(ext, Some("md" | "txt"))
                && path.file_name().and_then(|n| n.to_str()) != Some("README.md")
        })
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let key = path.file_stem()?.to_string_lossy().into_owned();
            Some((key, path, text))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no sources in {}", dir.display());
    files
}

fn build_source(key: &str, path: &Path, text: &str) -> Source {
    Source::new(
        key.to_string(),
        path.to_path_buf(),
        format_of(path),
        text.to_string(),
        SourceMeta::default(),
    )
}

/// Sentences of a source's clean text of 8 to 40 words, without quote marks or brackets (so they
/// can be quoted in a note as they are).
fn sentences(source: &Source) -> Vec<String> {
    source
        .clean
        .text
        .split_inclusive(['.', '?', '!'])
        .map(str::trim)
        .filter(|s| {
            let words = s.split_whitespace().count();
            (8..=40).contains(&words)
                && !s.contains(['"', '\u{201c}', '\u{201d}', '[', ']', '@', '*', '#', '…'])
        })
        .map(str::to_string)
        .collect()
}

/// A sentence with its `n`th word (counting from 0) replaced.
fn with_word_replaced(sentence: &str, n: usize, by: &str) -> String {
    sentence
        .split_whitespace()
        .enumerate()
        .map(|(i, w)| if i == n { by } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A note quoting `quotes` (key, text) with a citation each, between sentences of prose.
fn note_text(quotes: &[(String, String)]) -> String {
    let mut note = String::from("---\ntitle: Benchmark note\n---\n\n# Notes\n\n");
    for (i, (key, quote)) in quotes.iter().enumerate() {
        let quote = quote.trim_end_matches(['.', '?', '!']);
        note.push_str(&format!(
            "Paragraph {i} opens with plain prose. The source argues that \"{quote}\" [@{key}, p. {}]. \
             Others disagree [see @{key}; @other{i}].\n\n",
            i % 40 + 1
        ));
    }
    note
}

fn normalisation(c: &mut Criterion, files: &[(String, PathBuf, String)]) {
    let mut group = c.benchmark_group("normalise");
    for (key, path, text) in files {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("source", key), text, |b, text| {
            b.iter(|| build_source(key, path, black_box(text)))
        });
    }
    let sentence = "The Commission \u{201c}convened\u{201d} an emergency session within nine days, \
                    in the drought\u{2019}s worst week.";
    group.throughput(Throughput::Bytes(sentence.len() as u64));
    group.bench_function("quotation_key", |b| {
        b.iter(|| normalize_key(black_box(sentence)))
    });
    group.finish();
}

fn note_parsing(c: &mut Criterion, note: &str) {
    let mut group = c.benchmark_group("parse_note");
    group.throughput(Throughput::Bytes(note.len() as u64));
    group.bench_function("quotes_and_citations", |b| {
        b.iter(|| Note::parse(black_box(note)))
    });
    group.finish();
}

/// `find_quote` in the largest source: a long sentence near its end, as it is, elided, with one
/// word changed, and invented (absent: every tier runs and fails).
fn quote_finding(c: &mut Criterion, largest: &Source, sentence: &str) {
    let haystack = Haystack {
        text: &largest.key_text.text,
        breaks: &largest.key_text.breaks,
    };
    let words: Vec<&str> = sentence.split_whitespace().collect();
    let key = |s: &str| normalize_key(s).text.to_string();
    let exact = vec![PatternPiece::Text(key(sentence))];
    let elided = vec![
        PatternPiece::Text(key(&words[..4].join(" "))),
        PatternPiece::Gap { max: 1500 },
        PatternPiece::Text(key(&words[words.len() - 4..].join(" "))),
    ];
    let approximate = vec![PatternPiece::Text(key(&with_word_replaced(
        sentence,
        words.len() / 2,
        "bicycles",
    )))];
    let absent = vec![PatternPiece::Text(key(
        "Seventeen orange bicycles quietly negotiated the harbour tariff with patient lighthouse keepers",
    ))];
    assert!(find_quote(&exact, haystack).is_some(), "exact not found");
    assert!(find_quote(&elided, haystack).is_some(), "elided not found");
    assert!(
        find_quote(&approximate, haystack).is_some(),
        "approximate not found"
    );

    let mut group = c.benchmark_group("find_quote");
    group.throughput(Throughput::Bytes(largest.key_text.text.len() as u64));
    for (name, pattern) in [
        ("exact", &exact),
        ("elided", &elided),
        ("approximate", &approximate),
        ("absent", &absent),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| find_quote(black_box(pattern), haystack))
        });
    }
    group.finish();
}

/// `resolve_quote` over the whole sample corpus: a note's quotations cited to the right source
/// (found in the first source tried), to the wrong one (searched everywhere), and invented.
fn quote_resolution(c: &mut Criterion, corpus: &Corpus, quotes: &[(String, String)]) {
    let wrong: Vec<(String, String)> = quotes
        .iter()
        .map(|(_, q)| ("nosuchsource".to_string(), q.clone()))
        .collect();
    let invented: Vec<(String, String)> = quotes
        .iter()
        .map(|(k, q)| {
            let n = q.split_whitespace().count();
            (k.clone(), with_word_replaced(q, n / 3, "bicycles"))
        })
        .map(|(k, q)| {
            let n = q.split_whitespace().count();
            (k, with_word_replaced(&q, 2 * n / 3, "lighthouse"))
        })
        .collect();
    let mut group = c.benchmark_group("resolve_quote");
    for (name, quotes) in [
        ("cited_correctly", quotes),
        ("cited_unknown_key", &wrong[..]),
        ("altered_twice", &invented[..]),
    ] {
        let text = note_text(quotes);
        let note = Note::parse(&text);
        group.throughput(Throughput::Elements(note.quotations.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                for quotation in &note.quotations {
                    black_box(resolve_quote(&note, quotation, corpus));
                }
            })
        });
    }
    let note_text = note_text(quotes);
    let note = Note::parse(&note_text);
    group.throughput(Throughput::Elements(note.quotations.len() as u64));
    group.bench_function("quote_pattern", |b| {
        b.iter(|| {
            for quotation in &note.quotations {
                black_box(quote_pattern(&quotation.pieces));
            }
        })
    });
    group.finish();
}

fn terms(c: &mut Criterion, corpus: &Corpus, note: &str) {
    let mut group = c.benchmark_group("terms");
    group.bench_function("mine_corpus", |b| b.iter(|| SourceTerms::mine(corpus)));
    let mined = SourceTerms::mine(corpus);
    let index = TermIndex::build(&mined, &[]);
    let names: Vec<String> = index.terms.iter().map(|t| t.term.clone()).collect();
    assert!(!names.is_empty(), "no terms mined from the sample corpus");
    group.bench_function("build_index", |b| {
        b.iter(|| TermIndex::build(black_box(&mined), &[]))
    });
    group.throughput(Throughput::Elements(names.len() as u64));
    group.bench_function("lookup_every_term", |b| {
        b.iter(|| {
            for name in &names {
                black_box(index.lookup(name));
            }
        })
    });
    group.throughput(Throughput::Bytes(note.len() as u64));
    group.bench_function("occurrences_in_note", |b| {
        b.iter(|| index.occurrences(black_box(note)))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let files = sample_files();
    let sources: Vec<Source> = files
        .iter()
        .map(|(key, path, text)| build_source(key, path, text))
        .collect();
    // Up to 20 sentences of each source, cited to it.
    let quotes: Vec<(String, String)> = sources
        .iter()
        .flat_map(|s| {
            sentences(s)
                .into_iter()
                .take(20)
                .map(|q| (s.key.clone(), q))
        })
        .collect();
    let note = note_text(&quotes);
    let largest = sources
        .iter()
        .max_by_key(|s| s.text.len())
        .expect("the sample corpus has sources");
    let late_sentence = sentences(largest)
        .into_iter()
        .rev()
        .find(|s| s.split_whitespace().count() >= 12)
        .expect("a long sentence in the largest source");

    normalisation(c, &files);
    note_parsing(c, &note);
    quote_finding(c, largest, &late_sentence);
    let corpus = Corpus::from_sources(sources, Vec::new());
    quote_resolution(c, &corpus, &quotes);
    terms(c, &corpus, &note);
    claims(c, &corpus, largest_key(&corpus), &quotes);
}

fn largest_key(corpus: &Corpus) -> usize {
    (0..corpus.sources.len())
        .max_by_key(|&i| corpus.sources[i].text.len())
        .unwrap_or(0)
}

/// Claims: the passage index of the largest source, check-worthiness of every quoted sentence,
/// and support scoring of a sentence (as a claim, cited to its source) against that source.
fn claims(c: &mut Criterion, corpus: &Corpus, largest: usize, quotes: &[(String, String)]) {
    use ibid::analysis::claims::{
        ClaimText, PassageIndex, passages::SourcePassages, support, worthiness,
    };
    let mut group = c.benchmark_group("claims");
    let source = &corpus.sources[largest];
    group.throughput(Throughput::Bytes(source.text.len() as u64));
    group.bench_function("index_source_passages", |b| {
        b.iter(|| SourcePassages::build(black_box(source)))
    });
    group.throughput(Throughput::Elements(quotes.len() as u64));
    group.bench_function("check_worthiness", |b| {
        b.iter(|| {
            quotes
                .iter()
                .filter(|(_, sentence)| worthiness::assess(black_box(sentence)).is_claim)
                .count()
        })
    });
    let passages = PassageIndex::new(corpus);
    let claims: Vec<(usize, ClaimText)> = quotes
        .iter()
        .filter_map(|(key, sentence)| {
            let index = corpus.sources.iter().position(|s| &s.key == key)?;
            Some((index, ClaimText::new(sentence)))
        })
        .collect();
    group.bench_function("score_support", |b| {
        b.iter(|| {
            claims
                .iter()
                .filter_map(|(index, claim)| support::assess(claim, corpus, &passages, *index))
                .filter(|s| s.backs(0.3))
                .count()
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = engine;
    config = config();
    targets = benches
}
criterion_main!(engine);

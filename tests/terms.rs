//! Integration tests: terms mined from the sample corpus.

use std::path::Path;
use std::time::Instant;

use ibid::analysis::terms::{SourceTerms, TermIndex, TermInfo};
use ibid::corpus::{Corpus, Source, SourceFormat, SourceMeta};

use crate::common::shared_corpus;

const FILES: &[(&str, &str)] = &[
    ("mahoney2024", "mahoney2024.txt"),
    ("politburo2023", "politburo2023.txt"),
    ("qiang2024", "qiang2024.md"),
    ("tsjeng2024", "tsjeng2024.md"),
    ("voa2023", "voa2023.txt"),
];

fn sample_corpus() -> Corpus {
    let dir = shared_corpus();
    let sources = FILES
        .iter()
        .map(|(key, file)| {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).expect("read sample source");
            let format = if Path::new(file).extension().is_some_and(|e| e == "md") {
                SourceFormat::Markdown
            } else {
                SourceFormat::Plain
            };
            Source::new(key.to_string(), path, format, text, SourceMeta::default())
        })
        .collect();
    Corpus::from_sources(sources, Vec::new())
}

fn mined_index() -> (Corpus, TermIndex) {
    let corpus = sample_corpus();
    let mined = SourceTerms::mine(&corpus);
    let index = TermIndex::build(&mined, &[]);
    (corpus, index)
}

/// Whitespace runs collapsed, lowercase: original slices may wrap lines inside a term.
fn squashed(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn names(term: &TermInfo) -> Vec<String> {
    std::iter::once(term.term.clone())
        .chain(term.expansion.clone())
        .chain(term.aliases.iter().cloned())
        .collect()
}

#[test]
fn dump() {
    let (_, index) = mined_index();
    for t in &index.terms {
        eprintln!(
            "{:?} exp={:?} aliases={:?} n={}",
            t.term,
            t.expansion,
            t.aliases,
            t.excerpts.len()
        );
        for e in t.excerpts.iter().take(2) {
            eprintln!(
                "    {:.2} {} {}",
                e.score,
                e.key,
                e.text.chars().take(140).collect::<String>()
            );
        }
    }
    panic!("dump");
}

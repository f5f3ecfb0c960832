//! Integration tests: terms mined from the sample corpus (`../shared/corpus`).

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
fn shanghai_spirit_is_explained_by_its_best_excerpt() {
    let (_, index) = mined_index();
    let spirit = index.lookup("Shanghai Spirit").expect("Shanghai Spirit");
    assert_eq!(spirit.term, "Shanghai Spirit");
    let best = spirit.excerpts.first().expect("an excerpt");
    // The sentence that lists what the spirit stands for, not a passing mention.
    assert!(best.text.contains("Shanghai Spirit"), "{}", best.text);
    assert!(best.text.contains("mutual trust"), "{}", best.text);
    assert!(
        spirit.excerpts.len() >= 3,
        "several sources and sentences: {:?}",
        spirit.excerpts
    );
}

#[test]
fn bri_expands_to_the_belt_and_road_initiative() {
    let (_, index) = mined_index();
    let bri = index.lookup("BRI").expect("BRI");
    assert_eq!(bri.term, "BRI");
    assert_eq!(bri.expansion.as_deref(), Some("Belt and Road Initiative"));
    assert_eq!(index.lookup("Belt and Road Initiative"), Some(bri));
    assert_eq!(index.lookup("belt and road initiative"), Some(bri));
    // The best excerpt introduces the acronym.
    let best = bri.excerpts.first().expect("an excerpt");
    assert!(
        best.text.contains("Belt and Road Initiative (BRI)"),
        "{}",
        best.text
    );
}

#[test]
fn sco_is_the_shanghai_cooperation_organisation() {
    let (_, index) = mined_index();
    let sco = index.lookup("SCO").expect("SCO");
    let expansion = sco.expansion.as_deref().expect("expansion");
    assert!(
        [
            "Shanghai Cooperation Organisation",
            "Shanghai Cooperation Organization"
        ]
        .contains(&expansion),
        "{expansion}"
    );
    // Both spellings occur in the corpus; both name the SCO.
    assert_eq!(index.lookup("Shanghai Cooperation Organisation"), Some(sco));
    assert_eq!(index.lookup("Shanghai Cooperation Organization"), Some(sco));
    let keys: std::collections::BTreeSet<&str> =
        sco.excerpts.iter().map(|e| e.key.as_str()).collect();
    assert!(keys.len() >= 4, "excerpts from most sources: {keys:?}");
}

#[test]
fn other_acronyms_of_the_corpus() {
    let (_, index) = mined_index();
    for (acronym, expansion) in [
        ("LMC", "Lancang-Mekong Cooperation"),
        ("GDI", "Global Development Initiative"),
        ("GSI", "Global Security Initiative"),
    ] {
        let term = index.lookup(acronym).unwrap_or_else(|| panic!("{acronym}"));
        assert_eq!(term.expansion.as_deref(), Some(expansion), "{acronym}");
    }
}

#[test]
fn excerpt_ranges_slice_the_original_file_around_the_term() {
    let (corpus, index) = mined_index();
    let mut checked = 0;
    for term in &index.terms {
        let names: Vec<String> = names(term).iter().map(|n| squashed(n)).collect();
        for excerpt in &term.excerpts {
            let source = corpus.source(&excerpt.key).expect("excerpt source");
            assert_eq!(source.path, excerpt.path);
            let original = source
                .text
                .get(excerpt.range.clone())
                .unwrap_or_else(|| panic!("{:?} out of {}", excerpt.range, excerpt.key));
            let original = squashed(original);
            assert!(
                names.iter().any(|n| original.contains(n.as_str())),
                "{:?}: {original:?}",
                term.term
            );
            assert!(
                !excerpt.text.contains(['\n', '\r']) && !excerpt.text.contains("  "),
                "clean text: {:?}",
                excerpt.text
            );
            // Page footers of the PDF-extracted source are left out.
            assert!(!excerpt.text.contains("No.25"), "{:?}", excerpt.text);
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} excerpts");
}

#[test]
fn no_junk_terms() {
    let (_, index) = mined_index();
    let terms: Vec<String> = index.terms.iter().map(|t| t.term.to_lowercase()).collect();
    for junk in [
        // Sentence-initial capitals, articles, months, common words.
        "the",
        "the sco",
        "however",
        "july",
        "in july",
        "september",
        "china",
        "president",
        // People, by title, by `said`, and the authors' own names.
        "president xi",
        "xi jinping",
        "president xi jinping",
        "xiaoyun qiang",
        "jiahan cao",
        "gregory mahoney",
        "josef gregory mahoney",
        // Scare-quoted single words and headline fragments.
        "harmonious",
        "now reading",
        "multilateral diplomacy",
    ] {
        assert!(!terms.contains(&junk.to_string()), "junk term {junk:?}");
    }
    for term in &index.terms {
        assert!(
            term.term.contains(' ') || term.expansion.is_some(),
            "a single word that is no acronym: {:?}",
            term.term
        );
    }
}

#[test]
fn occurrences_in_a_note() {
    let (_, index) = mined_index();
    let note =
        "Notes: the BRI and the sco, per the shanghai spirit; bridges, Bri and SCOs are not.";
    let found: Vec<(&str, &str)> = index
        .occurrences(note)
        .into_iter()
        .map(|o| (&note[o.range], index.terms[o.term].term.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("BRI", "BRI"),
            ("sco", "SCO"),
            ("shanghai spirit", "Shanghai Spirit")
        ]
    );
}

#[test]
fn mining_the_sample_corpus_is_quick() {
    let corpus = sample_corpus();
    let started = Instant::now();
    let mined = SourceTerms::mine(&corpus);
    let elapsed = started.elapsed();
    let excerpts: usize = mined.terms.iter().map(|t| t.excerpts.len()).sum();
    eprintln!(
        "mined {} terms, {excerpts} excerpts from {} sources in {elapsed:?}",
        mined.terms.len(),
        corpus.sources.len()
    );
    assert!(mined.terms.len() >= 10);
}

//! Integration tests: corpus. The sample corpus (`../shared/corpus`) normalised and loaded.

use std::path::PathBuf;

use ibid::corpus::normalize::{clean_text, key_of_clean};
use ibid::corpus::{Corpus, MappedText, SourceFormat, normalize_key};
use ibid::workspace::{BibEntry, Config, Workspace};

use crate::common::{shared_corpus, shared_source};

const SOURCES: &[(&str, SourceFormat)] = &[
    ("mahoney2024.txt", SourceFormat::Plain),
    ("politburo2023.txt", SourceFormat::Plain),
    ("qiang2024.md", SourceFormat::Markdown),
    ("tsjeng2024.md", SourceFormat::Markdown),
    ("voa2023.txt", SourceFormat::Plain),
];

fn normalised(name: &str, format: SourceFormat) -> (String, MappedText, MappedText) {
    let original = shared_source(name);
    let clean = clean_text(&original, format);
    let key = key_of_clean(&clean);
    (original, clean, key)
}

/// The byte range of `needle` in `key`, which must hold it once at least.
fn find(key: &MappedText, needle: &str) -> std::ops::Range<usize> {
    let start = key
        .text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the key"));
    start..start + needle.len()
}

/// Word starts and ends of a key.
fn words(key: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for word in key.split(' ') {
        out.push((start, start + word.len()));
        start += word.len() + 1;
    }
    out
}

#[test]
fn every_source_normalises_and_maps_inside_its_original() {
    for &(name, format) in SOURCES {
        let (original, clean, key) = normalised(name, format);
        assert!(clean.text.len() > 1000, "{name}: clean text too short");
        assert!(
            !clean.text.contains("  ") && !clean.text.contains('\n'),
            "{name}"
        );
        assert!(
            !key.text.starts_with(' ') && !key.text.ends_with(' '),
            "{name}"
        );
        assert!(
            key.text
                .chars()
                .all(|c| c == ' ' || c.is_alphanumeric() || unicode_mark(c)),
            "{name}: key has punctuation"
        );
        for (start, end) in words(&key.text) {
            let orig = key.to_original(start..end);
            assert!(
                orig.start < orig.end,
                "{name}: word at {start} maps to nothing"
            );
            assert!(
                original.get(orig.clone()).is_some(),
                "{name}: {orig:?} not on char boundaries"
            );
        }
        // The maps are compact: far fewer spans than bytes.
        assert!(
            key.span_count() * 10 < key.text.len(),
            "{name}: {} spans",
            key.span_count()
        );
    }
}

fn unicode_mark(c: char) -> bool {
    // Combining marks can follow a letter in a key word; the sample corpus has none.
    ('\u{300}'..='\u{36F}').contains(&c)
}

#[test]
fn plain_sources_renormalise_every_word_and_run_of_words() {
    for &(name, format) in SOURCES.iter().filter(|(_, f)| *f == SourceFormat::Plain) {
        let (original, _, key) = normalised(name, format);
        let words = words(&key.text);
        for (i, &(start, _)) in words.iter().enumerate() {
            // One word, and a run of up to twelve words.
            for last in [i, (i + 11).min(words.len() - 1)] {
                let range = start..words[last].1;
                let orig = key.to_original(range.clone());
                assert_eq!(
                    normalize_key(&original[orig.clone()]).text,
                    key.text[range],
                    "{name}: {:?}",
                    &original[orig]
                );
            }
        }
    }
}

#[test]
fn markdown_sources_renormalise_runs_of_words() {
    for name in ["qiang2024.md", "tsjeng2024.md"] {
        let (original, _, key) = normalised(name, SourceFormat::Markdown);
        let words = words(&key.text);
        for chunk in words.chunks(9) {
            let range = chunk[0].0..chunk[chunk.len() - 1].1;
            let orig = key.to_original(range.clone());
            let again = key_of_clean(&clean_text(&original[orig.clone()], SourceFormat::Markdown));
            assert_eq!(again.text, key.text[range], "{name}: {:?}", &original[orig]);
        }
    }
}

#[test]
fn cjk_char_survives_into_the_key_and_maps_back_exactly() {
    let (original, clean, key) = normalised("mahoney2024.txt", SourceFormat::Plain);
    let range = find(&key, "and 和 such");
    let cjk = range.start + 4..range.start + 4 + '和'.len_utf8();
    assert_eq!(&original[key.to_original(cjk.clone())], "和");
    assert_eq!(
        key.from_original(key.to_original(cjk.clone()).start),
        cjk.start
    );
    assert!(clean.text.contains("(和)"));
}

#[test]
fn non_breaking_spaces_become_plain_spaces() {
    let original = shared_source("mahoney2024.txt");
    assert!(original.contains('\u{A0}'));
    let (_, clean, key) = normalised("mahoney2024.txt", SourceFormat::Plain);
    assert!(!clean.text.contains('\u{A0}') && !key.text.contains('\u{A0}'));
}

#[test]
fn curly_quoted_link_maps_back_to_the_markdown_link() {
    let (original, clean, key) = normalised("tsjeng2024.md", SourceFormat::Markdown);
    assert!(
        clean
            .text
            .contains("the “community with a shared future” –")
    );
    let range = find(&key, "push of the community with a shared future chinese");
    let slice = &original[key.to_original(range)];
    assert!(slice.starts_with("push of the “["), "{slice:?}");
    assert!(
        slice.contains("[community with a shared future](#)”"),
        "{slice:?}"
    );
    assert!(slice.ends_with("Chinese"), "{slice:?}");
    // Markup never reaches the clean text.
    for markup in ["](#)", "**", "<sup>", "](mailto:"] {
        assert!(!clean.text.contains(markup), "{markup}");
    }
    assert!(clean.text.contains("RSISPublications@ntu.edu.sg."));
}

#[test]
fn pdf_line_end_hyphenation_joins() {
    let (original, clean, key) = normalised("qiang2024.md", SourceFormat::Markdown);
    assert!(clean.text.contains("cooperation, and win-win solutions"));
    assert!(clean.text.contains("round of major-power competition"));
    assert!(
        clean
            .text
            .contains("the economic integration and open-ing up")
    );
    assert!(!clean.text.contains("win- win"));
    assert!(key.text.contains("cooperation and winwin solutions"));
    assert!(key.text.contains("major power") || key.text.contains("majorpower"));
    assert!(key.text.contains("round of majorpower competition"));
    assert!(key.text.contains("peopletopeople bonds"));
    assert!(key.text.contains("integration and opening up of"));
    let range = find(&key, "opening");
    let slice = &original[key.to_original(range)];
    assert!(
        slice.starts_with("open-") && slice.ends_with("> ing"),
        "{slice:?}"
    );
}

#[test]
fn markdown_markup_is_stripped_from_the_journal_essay() {
    let (_, clean, key) = normalised("qiang2024.md", SourceFormat::Markdown);
    assert!(clean.text.contains("The 22nd meeting"));
    assert!(clean.text.contains("Xiaoyun Qiang is a Senior"));
    assert!(!clean.text.contains("**") && !clean.text.contains("####"));
    assert!(
        key.text.contains("initiatives play a leading role"),
        "✓ separates words"
    );
}

#[test]
fn paragraph_breaks_are_recorded() {
    for &(name, format) in SOURCES {
        let (original, clean, key) = normalised(name, format);
        assert!(
            clean.breaks.len() > 5,
            "{name}: {} breaks",
            clean.breaks.len()
        );
        assert!(
            key.breaks.len() > 5,
            "{name}: {} key breaks",
            key.breaks.len()
        );
        for (mapped, what) in [(&clean, "clean"), (&key, "key")] {
            for &b in &mapped.breaks {
                let b = b as usize;
                assert_eq!(&mapped.text[b..b + 1], " ", "{name} {what}");
                let gap = &original[mapped.to_original(b..b + 1)];
                assert!(gap.matches('\n').count() >= 2, "{name} {what}: {gap:?}");
            }
        }
    }
}

#[test]
fn pull_quote_lines_are_separate_paragraphs() {
    let (original, clean, _) = normalised("qiang2024.md", SourceFormat::Markdown);
    let start = clean
        .text
        .find("The key principles of the BRI, such as peace")
        .expect("pull quote");
    let end = start + "The key principles of the BRI, such as peace".len();
    let inner_breaks = clean
        .breaks
        .iter()
        .filter(|&&b| (start..end).contains(&(b as usize)))
        .count();
    assert_eq!(inner_breaks, 2);
    assert!(original[clean.to_original(start..end)].starts_with("The key principles* \n\nof"));
}

fn entry(key: &str, file: PathBuf) -> BibEntry {
    BibEntry {
        key: key.to_string(),
        entry_type: "online".to_string(),
        title: Some(format!("Entry {key}")),
        authors: vec![format!("Author of {key}")],
        files: vec![file],
        bib_path: shared_corpus().join("refs.bib"),
        ..BibEntry::default()
    }
}

#[test]
fn load_corpus_takes_keys_from_the_bibliography() {
    let root = shared_corpus();
    let sources: Vec<PathBuf> = SOURCES.iter().map(|(name, _)| root.join(name)).collect();
    let bibliography = vec![
        entry("Tsjeng:2024", root.join("tsjeng2024.md")),
        // Exported on another machine: matched by file name.
        entry(
            "QiangCao2024",
            PathBuf::from("/home/someone/Zotero/storage/ABCD/qiang2024.md"),
        ),
        entry("VOA-2023", root.join("voa2023.txt")),
        // Names no loaded file: still a known key.
        entry("unloaded2020", root.join("missing.md")),
    ];
    let workspace = Workspace {
        root: root.clone(),
        config: Config::default(),
        config_path: None,
        sources,
        notes: Vec::new(),
        bibliography: bibliography.into(),
        problems: Vec::new(),
    };
    let (corpus, diagnostics) = Corpus::load(&workspace);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let mut keys: Vec<&str> = corpus.sources.iter().map(|s| s.key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "QiangCao2024",
            "Tsjeng:2024",
            "VOA-2023",
            "mahoney2024",
            "politburo2023"
        ]
    );
    let tsjeng = corpus.source("Tsjeng:2024").expect("tsjeng");
    assert_eq!(tsjeng.path, root.join("tsjeng2024.md"));
    assert_eq!(tsjeng.format, SourceFormat::Markdown);
    assert_eq!(tsjeng.meta.title.as_deref(), Some("Entry Tsjeng:2024"));
    assert_eq!(tsjeng.meta.authors, ["Author of Tsjeng:2024"]);
    assert!(
        tsjeng
            .key_text
            .text
            .contains("community with a shared future")
    );
    let qiang = corpus.source("QiangCao2024").expect("qiang");
    assert_eq!(qiang.path, root.join("qiang2024.md"));
    assert!(qiang.key_text.text.contains("peopletopeople"));
    let mahoney = corpus.source("mahoney2024").expect("mahoney");
    assert_eq!(mahoney.format, SourceFormat::Plain);
    assert_eq!(mahoney.meta.title, None);
    assert!(corpus.source_by_path(&root.join("voa2023.txt")).is_some());
    assert!(corpus.is_known_key("unloaded2020"));
    assert!(!corpus.is_known_key("qiang2024"));
}

//! Unit tests of the term index: mining small sources end to end (ranked excerpts, original
//! ranges, no junk) and merging them with glossaries (lookup, occurrences).

use std::path::PathBuf;

use expect_test::expect;

use super::*;
use crate::corpus::{Source, SourceFormat, SourceMeta};

/// A Markdown report: the acronym defined, the compact introduced with a naming cue, a sentence
/// that a page break and emphasis split, a heading in title case.
const REPORT: &str = "\
# How the Delta Compact Shapes River Towns

The Lower Delta Water Council (LDWC) was set up by four riparian states in 1998.

The so-called “Delta Compact” is a pledge that no member diverts the river without consent.
Farmers along the Amber River depend on it. In March the LDWC met in Port Verin.

Critics say the **Delta Compact** has

never been tested in a long drought. The Amber River fell again last summer.
";

/// Plain text: the acronym the other way round, the compact defined with `means`, a minister.
const BRIEF: &str = "\
Officials of the LDWC (Lower Delta Water Council) meet twice a year. The Delta Compact
means that every diversion needs the consent of all four states. Minister Hana Ruiz
visited the Amber River delta. Hana Ruiz said the Amber River was shrinking. The LDWC
agreed. In March, the LDWC spoke again.
";

fn corpus() -> Corpus {
    Corpus::from_sources(
        vec![
            Source::new(
                "osei2022".to_string(),
                PathBuf::from("/ws/sources/osei2022.md"),
                SourceFormat::Markdown,
                REPORT.to_string(),
                SourceMeta::default(),
            ),
            Source::new(
                "lind2021".to_string(),
                PathBuf::from("/ws/sources/lind2021.txt"),
                SourceFormat::Plain,
                BRIEF.to_string(),
                SourceMeta::default(),
            ),
        ],
        Vec::new(),
    )
}

fn mined() -> SourceTerms {
    SourceTerms::mine(&corpus())
}

fn squashed(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Each term with its expansion and excerpts (score, key, text), best first.
fn summary(terms: &[TermInfo]) -> String {
    let mut out = String::new();
    for term in terms {
        out.push_str(&term.term);
        if let Some(expansion) = &term.expansion {
            out.push_str(&format!(" = {expansion}"));
        }
        out.push('\n');
        for excerpt in &term.excerpts {
            out.push_str(&format!(
                "  {:.1} {}: {}\n",
                excerpt.score, excerpt.key, excerpt.text
            ));
        }
    }
    out
}

#[test]
fn mines_acronyms_introduced_terms_and_ranked_excerpts() {
    expect![[r#"
        Amber River
          1.8 osei2022: Farmers along the Amber River depend on it.
          1.8 lind2021: Minister Hana Ruiz visited the Amber River delta.
          1.6 osei2022: The Amber River fell again last summer.
          1.3 lind2021: Hana Ruiz said the Amber River was shrinking.
        Delta Compact
          6.0 lind2021: The Delta Compact means that every diversion needs the consent of all four states.
          5.7 osei2022: The so-called “Delta Compact” is a pledge that no member diverts the river without consent.
          1.7 osei2022: Critics say the Delta Compact has never been tested in a long drought.
        LDWC = Lower Delta Water Council
          6.7 osei2022: The Lower Delta Water Council (LDWC) was set up by four riparian states in 1998.
          5.1 lind2021: Officials of the LDWC (Lower Delta Water Council) meet twice a year.
          1.8 lind2021: In March, the LDWC spoke again.
          1.7 osei2022: In March the LDWC met in Port Verin.
          -0.2 lind2021: The LDWC agreed.
    "#]]
    .assert_eq(&summary(&mined().terms));
}

/// A plain-text source `brief<i>` (three digits).
fn brief(i: usize, text: &str) -> Source {
    Source::new(
        format!("brief{i:03}"),
        PathBuf::from(format!("/ws/sources/brief{i:03}.txt")),
        SourceFormat::Plain,
        text.to_string(),
        SourceMeta::default(),
    )
}

const LDWC_DEFINED: &str =
    "The Lower Delta Water Council (LDWC) was set up by four riparian states in 1998.\n";

/// The mined acronym `LDWC` of `sources`, and a summary of every mined term.
fn mined_ldwc(sources: Vec<Source>) -> (TermInfo, String) {
    let mined = SourceTerms::mine(&Corpus::from_sources(sources, Vec::new()));
    let ldwc = mined
        .terms
        .iter()
        .find(|t| t.term == "LDWC")
        .expect("the acronym is mined")
        .clone();
    (ldwc, summary(&mined.terms))
}

#[test]
fn a_term_named_in_many_sources_keeps_its_best_excerpts_only() {
    let mut sources: Vec<Source> = (0..KEPT_EXCERPTS + 10)
        .map(|i| {
            brief(
                i,
                &format!("In week {i} the LDWC met again. Nothing else was said.\n"),
            )
        })
        .collect();
    sources.push(brief(99, LDWC_DEFINED));
    let (ldwc, summary) = mined_ldwc(sources);
    assert_eq!(ldwc.excerpts.len(), KEPT_EXCERPTS, "{summary}");
    assert_eq!(
        ldwc.excerpts[0].key, "brief099",
        "the defining sentence first"
    );
    assert!(ldwc.excerpts.windows(2).all(|w| w[0].score >= w[1].score));
}

/// Mining keeps the best excerpts of a term as it goes (a cut every few dozen), with the result
/// of keeping them at the end: the best first, equal scores in corpus order.
#[test]
fn a_term_in_many_sources_keeps_its_best_excerpts_in_corpus_order() {
    let mut sources: Vec<Source> = (0..6 * KEPT_EXCERPTS)
        .map(|i| {
            brief(
                i,
                "In this week the LDWC met again. Nothing else was said.\n",
            )
        })
        .collect();
    sources.insert(3 * KEPT_EXCERPTS, brief(999, LDWC_DEFINED));
    let (ldwc, summary) = mined_ldwc(sources);
    let keys: Vec<&str> = ldwc.excerpts.iter().map(|e| e.key.as_str()).collect();
    let expected: Vec<String> = std::iter::once("brief999".to_string())
        .chain((0..KEPT_EXCERPTS - 1).map(|i| format!("brief{i:03}")))
        .collect();
    assert_eq!(keys, expected, "{summary}");
}

#[test]
fn excerpt_ranges_are_in_the_original_text() {
    let corpus = corpus();
    let mined = SourceTerms::mine(&corpus);
    assert!(!mined.terms.is_empty());
    for term in &mined.terms {
        for excerpt in &term.excerpts {
            let source = corpus.source(&excerpt.key).expect("source");
            let original = &source.text[excerpt.range.clone()];
            let names: Vec<String> = names_of(term).map(str::to_lowercase).collect();
            assert!(
                names
                    .iter()
                    .any(|n| squashed(original).contains(n.as_str())),
                "{:?} not in {original:?}",
                term.term
            );
            assert!(!excerpt.text.contains(['\n', '*']), "{:?}", excerpt.text);
        }
    }
}

#[test]
fn a_sentence_split_by_a_page_break_and_emphasis_is_one_clean_excerpt() {
    let corpus = corpus();
    let mined = SourceTerms::mine(&corpus);
    let compact = mined
        .terms
        .iter()
        .find(|t| t.term == "Delta Compact")
        .expect("Delta Compact");
    let split = compact
        .excerpts
        .iter()
        .find(|e| e.text.starts_with("Critics"))
        .expect("the split sentence");
    assert_eq!(
        split.text,
        "Critics say the Delta Compact has never been tested in a long drought."
    );
    let original = &REPORT[split.range.clone()];
    assert!(
        original.starts_with("Critics say the **Delta"),
        "{original:?}"
    );
    assert!(original.ends_with("long drought."), "{original:?}");
}

#[test]
fn no_junk_terms() {
    let mined = mined();
    let terms: Vec<String> = mined.terms.iter().map(|t| t.term.to_lowercase()).collect();
    for junk in [
        "the delta compact",
        "march",
        "in march",
        "hana ruiz",
        "minister hana ruiz",
        "port verin",
        "critics",
        "farmers",
        "how the delta compact shapes river towns",
        "delta compact shapes river towns",
        "officials",
    ] {
        assert!(!terms.contains(&junk.to_string()), "{junk:?} in {terms:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// The index.

fn glossary_entry(note: &str, term: &str, definition: &str, aliases: &[&str]) -> GlossaryEntry {
    let term_start = note.find(term).expect("term in note");
    let definition_start = note.find(definition).expect("definition in note");
    GlossaryEntry {
        term: term.to_string(),
        term_range: term_start..term_start + term.len(),
        definition: definition.to_string(),
        definition_range: definition_start..definition_start + definition.len(),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
    }
}

const GLOSSARY: &str = "Delta Compact\n: The four states' pledge on diversions.\n\nRiver pledge\n: Informal name of the compact.\n\nBasin Rule\n: No state alters the flow alone.\n";

fn index() -> TermIndex {
    let entries = vec![
        glossary_entry(
            GLOSSARY,
            "Delta Compact",
            "The four states' pledge on diversions.",
            &["the Compact"],
        ),
        glossary_entry(
            GLOSSARY,
            "Basin Rule",
            "No state alters the flow alone.",
            &["flow rule"],
        ),
    ];
    TermIndex::build(
        &mined(),
        &[(PathBuf::from("/ws/notes/glossary.md"), entries)],
    )
}

#[test]
fn glossary_terms_come_first_and_absorb_the_mined_term() {
    let index = index();
    let compact = index.lookup("Delta Compact").expect("Delta Compact");
    assert_eq!(compact.term, "Delta Compact");
    assert_eq!(compact.glossary.len(), 1);
    assert_eq!(
        compact.glossary[0].text,
        "The four states' pledge on diversions."
    );
    assert!(!compact.excerpts.is_empty(), "mined excerpts merged in");
    assert!(
        compact
            .excerpts
            .windows(2)
            .all(|w| w[0].score >= w[1].score),
        "best first"
    );
    assert_eq!(index.terms[0].term, "Delta Compact");
    assert_eq!(index.terms[1].term, "Basin Rule");
    // One entry for the compact, not two.
    assert_eq!(
        index
            .terms
            .iter()
            .filter(|t| t.term.eq_ignore_ascii_case("delta compact"))
            .count(),
        1
    );
}

#[test]
fn an_acronym_and_its_expansion_name_the_same_term() {
    let index = index();
    let by_acronym = index.lookup("LDWC").expect("LDWC");
    let by_expansion = index
        .lookup("Lower Delta Water Council")
        .expect("expansion");
    assert_eq!(by_acronym, by_expansion);
    assert_eq!(
        by_acronym.expansion.as_deref(),
        Some("Lower Delta Water Council")
    );
    assert_eq!(index.lookup("lower delta water council"), Some(by_acronym));
    assert_eq!(
        index.lookup(" Lower Delta\n  Water Council "),
        Some(by_acronym)
    );
    assert_eq!(index.definitions("LDWC"), Some(by_acronym));
    // Aliases from the glossary's frontmatter.
    assert_eq!(
        index.lookup("flow rule").map(|t| t.term.as_str()),
        Some("Basin Rule")
    );
    assert_eq!(
        index.lookup("the compact").map(|t| t.term.as_str()),
        Some("Delta Compact")
    );
    assert!(index.lookup("Port Verin").is_none());
}

#[test]
fn a_glossary_acronym_gets_the_mined_expansion() {
    let note = "LDWC\n: The council of the four states.\n";
    let entries = vec![glossary_entry(
        note,
        "LDWC",
        "The council of the four states.",
        &[],
    )];
    let index = TermIndex::build(&mined(), &[(PathBuf::from("/ws/notes/g.md"), entries)]);
    let council = index.lookup("Lower Delta Water Council").expect("council");
    assert_eq!(council.term, "LDWC");
    assert_eq!(
        council.expansion.as_deref(),
        Some("Lower Delta Water Council")
    );
    assert_eq!(council.glossary.len(), 1);
    assert!(!council.excerpts.is_empty());
}

fn occurrences(index: &TermIndex, text: &str) -> Vec<(String, String)> {
    index
        .occurrences(text)
        .into_iter()
        .map(|o| (text[o.range].to_string(), index.terms[o.term].term.clone()))
        .collect()
}

#[test]
fn occurrences_are_whole_words_and_the_longest_name_wins() {
    let index = index();
    let text = "The ldwc and the LDWC, the Lower Delta Water Council, kept the delta compact; \
                the Basin Rules and a flow rule. Ldwc, xLDWC and LDWCs are not.";
    assert_eq!(
        occurrences(&index, text),
        [
            ("ldwc", "LDWC"),
            ("LDWC", "LDWC"),
            ("Lower Delta Water Council", "LDWC"),
            ("delta compact", "Delta Compact"),
            ("flow rule", "Basin Rule"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
}

#[test]
fn an_empty_index_finds_nothing() {
    assert!(SourceTerms::mine(&Corpus::default()).terms.is_empty());
    let index = TermIndex::build(&SourceTerms::default(), &[]);
    assert!(index.terms.is_empty());
    assert!(index.occurrences("anything at all").is_empty());
    assert!(index.lookup("anything").is_none());
}

#[test]
fn heading_lines_without_a_blank_line_are_not_part_of_the_next_sentence() {
    let corpus = Corpus::from_sources(
        vec![
            Source::new(
                "md".to_string(),
                PathBuf::from("/ws/sources/md.md"),
                SourceFormat::Markdown,
                "## Background\nThe Tuva Accord is a treaty between two\nriver towns. The Tuva Accord held.\n"
                    .to_string(),
                SourceMeta::default(),
            ),
            Source::new(
                "txt".to_string(),
                PathBuf::from("/ws/sources/txt.txt"),
                SourceFormat::Plain,
                "River Notes From The Delta\nThe Tuva Accord was signed in the spring.\n".to_string(),
                SourceMeta::default(),
            ),
        ],
        Vec::new(),
    );
    let mined = SourceTerms::mine(&corpus);
    let accord = mined
        .terms
        .iter()
        .find(|t| t.term == "Tuva Accord")
        .expect("Tuva Accord");
    let texts: Vec<&str> = accord.excerpts.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "The Tuva Accord is a treaty between two river towns.",
            "The Tuva Accord was signed in the spring.",
            "The Tuva Accord held."
        ]
    );
}

#[test]
fn a_glossary_entry_naming_two_mined_terms_merges_them_without_duplicates() {
    let note = "Water pact\n: The compact and its council.\n";
    let entries = vec![glossary_entry(
        note,
        "Water pact",
        "The compact and its council.",
        &["Delta Compact", "LDWC"],
    )];
    let index = TermIndex::build(&mined(), &[(PathBuf::from("/ws/notes/g.md"), entries)]);
    let pact = index.lookup("Water pact").expect("Water pact");
    assert_eq!(index.lookup("LDWC"), Some(pact));
    assert_eq!(index.lookup("Delta Compact"), Some(pact));
    assert_eq!(index.lookup("Lower Delta Water Council"), Some(pact));
    let mut places: Vec<(&str, ByteRange)> = pact
        .excerpts
        .iter()
        .map(|e| (e.key.as_str(), e.range.clone()))
        .collect();
    let count = places.len();
    places.sort_by_key(|(k, r)| (k.to_string(), r.start));
    places.dedup();
    assert_eq!(places.len(), count, "no excerpt twice");
    // 3 compact + 5 council excerpts.
    assert_eq!(count, 8);
    assert!(pact.excerpts.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!(
        index.terms.len(),
        2,
        "{:?}",
        index.terms.iter().map(|t| &t.term).collect::<Vec<_>>()
    );
}

#[test]
fn a_sentence_defining_two_merged_terms_is_one_excerpt() {
    let excerpt = |score: f32, range: ByteRange| SourceExcerpt {
        key: "k".to_string(),
        path: PathBuf::from("/ws/sources/k.md"),
        range,
        text: "The pact (TP) binds the council (TC).".to_string(),
        score,
    };
    let term = |name: &str, excerpts: Vec<SourceExcerpt>| TermInfo {
        term: name.to_string(),
        aliases: Vec::new(),
        expansion: None,
        glossary: Vec::new(),
        excerpts,
    };
    let mined = SourceTerms {
        terms: vec![
            term("TP", vec![excerpt(2.0, 0..37), excerpt(1.0, 40..60)]),
            term("TC", vec![excerpt(3.0, 0..37)]),
        ],
    };
    let note = "Pact\n: It binds.\n";
    let entries = vec![glossary_entry(note, "Pact", "It binds.", &["TP", "TC"])];
    let index = TermIndex::build(
        &mined,
        &[(PathBuf::from("/ws/notes/g.md"), entries.clone())],
    );
    let pact = index.lookup("TC").expect("TC");
    let places: Vec<(ByteRange, f32)> = pact
        .excerpts
        .iter()
        .map(|e| (e.range.clone(), e.score))
        .collect();
    assert_eq!(places, [(0..37, 3.0), (40..60, 1.0)]);
    assert_eq!(index.terms.len(), 1);

    // Two full lists merged: the best `KEPT_EXCERPTS` of both, best first.
    let full = |name: &str, offset: usize| {
        let excerpts = (0..KEPT_EXCERPTS)
            .map(|i| {
                excerpt(
                    (offset + 2 * i) as f32,
                    100 * (offset + 2 * i)..100 * (offset + 2 * i) + 9,
                )
            })
            .rev()
            .collect();
        term(name, excerpts)
    };
    let mined = SourceTerms {
        terms: vec![full("TP", 0), full("TC", 1)],
    };
    let index = TermIndex::build(&mined, &[(PathBuf::from("/ws/notes/g.md"), entries)]);
    let scores: Vec<f32> = index
        .lookup("TP")
        .expect("TP")
        .excerpts
        .iter()
        .map(|e| e.score)
        .collect();
    let best: Vec<f32> = (0..2 * KEPT_EXCERPTS)
        .rev()
        .take(KEPT_EXCERPTS)
        .map(|s| s as f32)
        .collect();
    assert_eq!(scores, best);
}

#[test]
fn a_page_footer_inside_a_sentence_is_left_out_of_its_text() {
    let text = "The Tuva Accord binds both\n\nSpring 2021, No.4 17\n\nriver towns. The Tuva Accord held.\n";
    let corpus = Corpus::from_sources(
        vec![Source::new(
            "md".to_string(),
            PathBuf::from("/ws/sources/md.md"),
            SourceFormat::Markdown,
            text.to_string(),
            SourceMeta::default(),
        )],
        Vec::new(),
    );
    let mined = SourceTerms::mine(&corpus);
    let accord = mined
        .terms
        .iter()
        .find(|t| t.term == "Tuva Accord")
        .expect("Tuva Accord");
    let first = accord.excerpts.first().expect("excerpt");
    assert_eq!(first.text, "The Tuva Accord binds both river towns.");
    assert_eq!(
        &text[first.range.clone()],
        "The Tuva Accord binds both\n\nSpring 2021, No.4 17\n\nriver towns."
    );
}

#[test]
fn hard_wrapped_prose_is_not_cut_at_a_capitalised_line() {
    let text = "Reports\nThe Lower Delta Water Council (LDWC) was set up in\n2001 by Four River States. The LDWC\nMet Again in Spring.\n";
    let corpus = Corpus::from_sources(
        vec![Source::new(
            "txt".to_string(),
            PathBuf::from("/ws/sources/txt.txt"),
            SourceFormat::Plain,
            text.to_string(),
            SourceMeta::default(),
        )],
        Vec::new(),
    );
    let mined = SourceTerms::mine(&corpus);
    let council = mined.terms.iter().find(|t| t.term == "LDWC").expect("LDWC");
    let texts: Vec<&str> = council.excerpts.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "The Lower Delta Water Council (LDWC) was set up in 2001 by Four River States.",
            "The LDWC Met Again in Spring."
        ]
    );
}

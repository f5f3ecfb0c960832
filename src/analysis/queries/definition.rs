//! Go to definition: from a citation key to its source (the passage it is cited for, when its
//! quotation was found there), from a quotation to the matched source range, from a term to its
//! glossary entry or else its best defining sentence.

use std::path::Path;

use super::{Location, citation_key_at, note_at, quotation_index_at, term_at};
use crate::analysis::Analysis;

pub(crate) fn definition(analysis: &Analysis, path: &Path, offset: usize) -> Vec<Location> {
    let Some(note) = note_at(analysis, path, offset) else {
        return Vec::new();
    };
    if let Some((citation, item)) = citation_key_at(note, offset) {
        let passages: Vec<Location> = note
            .note
            .quotations
            .iter()
            .zip(&note.resolutions)
            .filter(|(q, _)| q.citations.contains(&citation))
            .filter_map(|(_, r)| r.found.as_ref())
            .filter(|found| found.key == item.key)
            .map(|found| Location {
                path: found.path.clone(),
                range: found.range.clone(),
            })
            .collect();
        if !passages.is_empty() {
            return passages;
        }
        if let Some(source) = analysis.corpus.source(&item.key) {
            return vec![Location {
                path: source.path.clone(),
                range: 0..0,
            }];
        }
        return analysis
            .corpus
            .entry(&item.key)
            .map(|entry| Location {
                path: entry.bib_path.clone(),
                range: entry.range.clone(),
            })
            .into_iter()
            .collect();
    }
    if let Some(index) = quotation_index_at(note, offset)
        && let Some(found) = note.resolutions.get(index).and_then(|r| r.found.as_ref())
    {
        return vec![Location {
            path: found.path.clone(),
            range: found.range.clone(),
        }];
    }
    if let Some((_, info)) = term_at(analysis, &note.text, offset) {
        if !info.glossary.is_empty() {
            return info
                .glossary
                .iter()
                .map(|g| Location {
                    path: g.path.clone(),
                    range: g.term_range.clone(),
                })
                .collect();
        }
        return info
            .excerpts
            .first()
            .map(|e| Location {
                path: e.path.clone(),
                range: e.range.clone(),
            })
            .into_iter()
            .collect();
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{Fixture, bib_entry, note_path, range_of, source_path};
    use super::*;

    const SOURCE: &str = "Intro line.\n\nThe dam was finished in 1962 after a long wait.\n";

    #[test]
    fn quotation_goes_to_the_matched_source_range() {
        let built = Fixture::new()
            .source("smith2020", SOURCE)
            .note("a.md", "It \"was finished$0 in 1962\" [@smith2020].")
            .build();
        let (path, offset) = built.cursor();
        assert_eq!(
            built.analysis.definition(&path, offset),
            vec![Location {
                path: source_path("smith2020"),
                range: range_of(SOURCE, "was finished in 1962"),
            }]
        );
    }

    #[test]
    fn elided_quotation_spans_first_to_last_segment() {
        let built = Fixture::new()
            .source("smith2020", SOURCE)
            .note("a.md", "\"The dam ... after a long$0 wait\" [@smith2020]")
            .build();
        let (path, offset) = built.cursor();
        assert_eq!(
            built.analysis.definition(&path, offset),
            vec![Location {
                path: source_path("smith2020"),
                range: range_of(SOURCE, "The dam was finished in 1962 after a long wait"),
            }]
        );
    }

    #[test]
    fn blockquote_goes_to_the_source() {
        let built = Fixture::new()
            .source("smith2020", SOURCE)
            .note(
                "a.md",
                "Smith:\n\n> The dam was $0finished\n> in 1962 [@smith2020]\n",
            )
            .build();
        let (path, offset) = built.cursor();
        let locations = built.analysis.definition(&path, offset);
        assert_eq!(locations.len(), 1);
        assert_eq!(locations[0].path, source_path("smith2020"));
        assert_eq!(locations[0].range.start, range_of(SOURCE, "The dam").start);
    }

    #[test]
    fn citation_key_goes_to_the_cited_passage_or_the_source() {
        let built = Fixture::new()
            .source("smith2020", SOURCE)
            .note(
                "a.md",
                "\"was finished in 1962\" [@smith2020].\n\nAlso see @smith2020 and [@nofile].",
            )
            .bib(bib_entry("nofile", "T", &[], "2000"))
            .build();
        let path = note_path("a.md");
        let text = built.text(&path);
        let first_key = range_of(&text, "smith2020").start + 2;
        assert_eq!(
            built.analysis.definition(&path, first_key),
            vec![Location {
                path: source_path("smith2020"),
                range: range_of(SOURCE, "was finished in 1962"),
            }]
        );
        let in_text = text.rfind("@smith2020").unwrap_or_default();
        assert_eq!(
            built.analysis.definition(&path, in_text),
            vec![Location {
                path: source_path("smith2020"),
                range: 0..0,
            }]
        );
        let bib_only = range_of(&text, "nofile").start;
        assert_eq!(
            built.analysis.definition(&path, bib_only),
            vec![Location {
                path: fixture_bib(),
                range: 0..10,
            }]
        );
    }

    fn fixture_bib() -> std::path::PathBuf {
        super::super::fixture::root().join("refs.bib")
    }

    #[test]
    fn nothing_to_go_to() {
        let built = Fixture::new()
            .source("smith2020", SOURCE)
            .note(
                "a.md",
                "Plain words. \"not in any source\" [@smith2020] [@unknown]",
            )
            .build();
        let path = note_path("a.md");
        let text = built.text(&path);
        assert!(built.analysis.definition(&path, 2).is_empty());
        assert!(
            built
                .analysis
                .definition(&path, range_of(&text, "not in").start)
                .is_empty()
        );
        assert!(
            built
                .analysis
                .definition(&path, range_of(&text, "unknown").start)
                .is_empty()
        );
        assert!(built.analysis.definition(&path, 9_999).is_empty());
        assert!(
            built
                .analysis
                .definition(&source_path("smith2020"), 3)
                .is_empty()
        );
    }
}

#[cfg(test)]
mod term_tests {
    use super::super::fixture::{note_path, range_of, source_path, term_fixture};
    use super::*;

    #[test]
    fn glossary_term_goes_to_its_glossary_entry() {
        let built = term_fixture("We apply the Riverbend$0 Rule.").build();
        let (path, offset) = built.cursor();
        let glossary = built.text(&note_path("glossary.md"));
        assert_eq!(
            built.analysis.definition(&path, offset),
            vec![Location {
                path: note_path("glossary.md"),
                range: range_of(&glossary, "Riverbend Rule"),
            }]
        );
    }

    #[test]
    fn mined_term_goes_to_its_best_excerpt() {
        let built = term_fixture("The $0JBC met.").build();
        let (path, offset) = built.cursor();
        let source = built.text(&source_path("osei2022"));
        assert_eq!(
            built.analysis.definition(&path, offset),
            vec![Location {
                path: source_path("osei2022"),
                range: range_of(&source, "The Joint Basin Commission (JBC) met in May."),
            }]
        );
    }
}

//! Find references: a citation key's citations across the notes; a term's uses across the notes;
//! a quotation's fellow quotations of the same passage; in a source, the quotations whose match
//! covers the cursor.

use std::path::Path;

use super::passages::{quotations_covering, quotations_in_source};
use super::{
    Location, citation_key_at, note_at, overlaps, quotation_index_at, term_at, term_occurrences,
};
use crate::analysis::Analysis;

pub(crate) fn references(analysis: &Analysis, path: &Path, offset: usize) -> Vec<Location> {
    if analysis.note(path).is_none() {
        return source_references(analysis, path, offset);
    }
    let Some(note) = note_at(analysis, path, offset) else {
        return Vec::new();
    };
    if let Some((_, item)) = citation_key_at(note, offset) {
        return citations_of(analysis, &item.key);
    }
    if let Some((occurrence, _)) = term_at(analysis, &note.text, offset) {
        return uses_of_term(analysis, occurrence.term);
    }
    if let Some(index) = quotation_index_at(note, offset)
        && let Some(found) = note.resolutions.get(index).and_then(|r| r.found.as_ref())
    {
        // Every quotation of the same stretch of the same source, this one included.
        return quotations_in_source(analysis, &found.path)
            .into_iter()
            .filter(|q| overlaps(&q.found.range, &found.range))
            .filter_map(|q| q.location())
            .collect();
    }
    Vec::new()
}

/// Every citation item with `key`, in every note (the key's range).
fn citations_of(analysis: &Analysis, key: &str) -> Vec<Location> {
    analysis
        .notes
        .values()
        .flat_map(|note| {
            note.note
                .citations
                .iter()
                .flat_map(|c| c.items.iter())
                .filter(|item| item.key == key)
                .map(|item| Location {
                    path: note.path.clone(),
                    range: item.key_range.clone(),
                })
        })
        .collect()
}

/// Every occurrence of term number `term` in every note.
fn uses_of_term(analysis: &Analysis, term: usize) -> Vec<Location> {
    analysis
        .notes
        .values()
        .flat_map(|note| {
            term_occurrences(analysis, &note.text)
                .into_iter()
                .filter(|o| o.term == term)
                .map(|o| Location {
                    path: note.path.clone(),
                    range: o.range,
                })
        })
        .collect()
}

fn source_references(analysis: &Analysis, path: &Path, offset: usize) -> Vec<Location> {
    let Some(source) = analysis.corpus.source_by_path(path) else {
        return Vec::new();
    };
    if offset > source.text.len() {
        return Vec::new();
    }
    let mut locations: Vec<Location> = quotations_covering(analysis, path, offset)
        .iter()
        .filter_map(|q| q.location())
        .collect();
    locations.sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
    locations
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{Fixture, note_path, nth_range_of, range_of, source_path};
    use super::*;

    const SOURCE: &str = "The harvest failed twice. Prices doubled within a year.";

    #[test]
    fn citation_key_finds_every_citation_of_it() {
        let built = Fixture::new()
            .source("smith2020", SOURCE)
            .source("doe", "Other.")
            .note(
                "a.md",
                "One [@smith2020]. Two [@doe; see @smith2020, p. 2].",
            )
            .note("b.md", "As @smith2020 says.")
            .build();
        let a = built.text(&note_path("a.md"));
        let b = built.text(&note_path("b.md"));
        let offset = range_of(&a, "smith2020").start + 3;
        assert_eq!(
            built.analysis.references(&note_path("a.md"), offset),
            vec![
                Location {
                    path: note_path("a.md"),
                    range: nth_range_of(&a, "smith2020", 0),
                },
                Location {
                    path: note_path("a.md"),
                    range: nth_range_of(&a, "smith2020", 1),
                },
                Location {
                    path: note_path("b.md"),
                    range: range_of(&b, "smith2020"),
                },
            ]
        );
    }

    #[test]
    fn in_a_source_finds_the_quotations_covering_the_offset() {
        let built = Fixture::new()
            .source("smith2020", SOURCE)
            .note(
                "a.md",
                "\"Prices doubled\" [@smith2020] and \"within a year\" [@smith2020].",
            )
            .note("b.md", "\"Prices doubled within a year\" [@smith2020]")
            .build();
        let a = built.text(&note_path("a.md"));
        let b = built.text(&note_path("b.md"));
        let offset = range_of(SOURCE, "doubled").start;
        assert_eq!(
            built.analysis.references(&source_path("smith2020"), offset),
            vec![
                Location {
                    path: note_path("a.md"),
                    range: range_of(&a, "\"Prices doubled\""),
                },
                Location {
                    path: note_path("b.md"),
                    range: range_of(&b, "\"Prices doubled within a year\""),
                },
            ]
        );
        assert!(
            built
                .analysis
                .references(&source_path("smith2020"), 2)
                .is_empty()
        );
    }

    #[test]
    fn a_quotation_finds_the_quotations_of_the_same_passage() {
        let built = Fixture::new()
            .source("smith2020", SOURCE)
            .note("a.md", "\"The harvest failed$0 twice\" [@smith2020]")
            .note(
                "b.md",
                "\"failed twice\" [@smith2020] but \"Prices doubled\" [@smith2020]",
            )
            .build();
        let (path, offset) = built.cursor();
        let b = built.text(&note_path("b.md"));
        let locations = built.analysis.references(&path, offset);
        assert_eq!(locations.len(), 2, "{locations:?}");
        assert_eq!(locations[0].path, note_path("a.md"));
        assert_eq!(
            locations[1],
            Location {
                path: note_path("b.md"),
                range: range_of(&b, "\"failed twice\""),
            }
        );
    }

    #[test]
    fn references_are_total() {
        let built = Fixture::new()
            .source("smith2020", SOURCE)
            .note("a.md", "Nothing here.")
            .build();
        assert!(built.analysis.references(&note_path("a.md"), 3).is_empty());
        assert!(
            built
                .analysis
                .references(&note_path("a.md"), 500)
                .is_empty()
        );
        assert!(
            built
                .analysis
                .references(&source_path("smith2020"), 500)
                .is_empty()
        );
        assert!(built.analysis.references(Path::new("/x"), 0).is_empty());
    }
}

#[cfg(test)]
mod term_tests {
    use super::super::fixture::{note_path, nth_range_of, term_fixture};
    use super::*;

    #[test]
    fn term_finds_its_uses_across_notes() {
        let built = term_fixture("The $0JBC met; the jbc left.")
            .note("b.md", "Nothing about it. But JBC again.")
            .build();
        let (path, offset) = built.cursor();
        let a = built.text(&note_path("a.md"));
        let b = built.text(&note_path("b.md"));
        let locations = built.analysis.references(&path, offset);
        assert_eq!(
            locations,
            vec![
                Location {
                    path: note_path("a.md"),
                    range: nth_range_of(&a, "JBC", 0),
                },
                Location {
                    path: note_path("a.md"),
                    range: nth_range_of(&a, "jbc", 0),
                },
                Location {
                    path: note_path("b.md"),
                    range: nth_range_of(&b, "JBC", 0),
                },
            ]
        );
    }
}

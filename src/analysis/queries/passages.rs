//! The source side of the quotations: which notes quote which passage of a source (code lenses,
//! hover and references in a source file).

use std::path::Path;

use super::{Location, QuotedPassage, touches};
use crate::analysis::{Analysis, NoteAnalysis, QuoteMatch};

/// One quotation of some note, matched in a given source.
pub(crate) struct QuotingQuotation<'a> {
    pub note: &'a NoteAnalysis,
    /// Index into the note's quotations (and resolutions).
    pub index: usize,
    pub found: &'a QuoteMatch,
}

impl QuotingQuotation<'_> {
    /// The quotation's range in its note.
    pub fn location(&self) -> Option<Location> {
        let quotation = self.note.note.quotations.get(self.index)?;
        Some(Location {
            path: self.note.path.clone(),
            range: quotation.range.clone(),
        })
    }
}

/// Every quotation, in every note, whose match lies in the source at `path` (whatever its
/// status: a misattributed quotation is still this source's words). Notes in path order, then
/// quotations in note order.
pub(crate) fn quotations_in_source<'a>(
    analysis: &'a Analysis,
    path: &Path,
) -> Vec<QuotingQuotation<'a>> {
    let mut out = Vec::new();
    for note in analysis.notes.values() {
        for (index, resolution) in note.resolutions.iter().enumerate() {
            if let Some(found) = &resolution.found
                && found.path == path
                && index < note.note.quotations.len()
            {
                out.push(QuotingQuotation { note, index, found });
            }
        }
    }
    out
}

/// The quotations whose match in the source at `path` covers `offset`, narrowest match first.
pub(crate) fn quotations_covering<'a>(
    analysis: &'a Analysis,
    path: &Path,
    offset: usize,
) -> Vec<QuotingQuotation<'a>> {
    let mut covering: Vec<QuotingQuotation<'a>> = quotations_in_source(analysis, path)
        .into_iter()
        .filter(|q| touches(&q.found.range, offset))
        .collect();
    covering.sort_by_key(|q| q.found.range.len());
    covering
}

/// Groups the quotations matched in the source at `path` by matched range, in source order.
pub(crate) fn quoted_passages(analysis: &Analysis, path: &Path) -> Vec<QuotedPassage> {
    let mut passages: Vec<QuotedPassage> = Vec::new();
    for quoting in quotations_in_source(analysis, path) {
        let Some(location) = quoting.location() else {
            continue;
        };
        match passages.iter_mut().find(|p| p.range == quoting.found.range) {
            Some(passage) => passage.quoted_by.push(location),
            None => passages.push(QuotedPassage {
                range: quoting.found.range.clone(),
                quoted_by: vec![location],
            }),
        }
    }
    passages.sort_by_key(|p| (p.range.start, p.range.end));
    passages
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{Fixture, note_path, range_of, source_path};
    use super::*;

    #[test]
    fn passages_group_quotations_by_matched_range() {
        let source = "First, the river rose at dawn. Later the valley flooded in spring.";
        let built = Fixture::new()
            .source("smith2020", source)
            .source("other", "Nothing quoted here.")
            .note(
                "a.md",
                "He says \"the valley flooded\" [@smith2020] and \"the river rose\" [@smith2020].",
            )
            .note("b.md", "Again: \"the valley flooded\" [@smith2020].")
            .build();
        let passages = built.analysis.quoted_passages(&source_path("smith2020"));
        let a = built.text(&note_path("a.md"));
        let b = built.text(&note_path("b.md"));
        assert_eq!(
            passages,
            vec![
                QuotedPassage {
                    range: range_of(source, "the river rose"),
                    quoted_by: vec![Location {
                        path: note_path("a.md"),
                        range: range_of(&a, "\"the river rose\""),
                    }],
                },
                QuotedPassage {
                    range: range_of(source, "the valley flooded"),
                    quoted_by: vec![
                        Location {
                            path: note_path("a.md"),
                            range: range_of(&a, "\"the valley flooded\""),
                        },
                        Location {
                            path: note_path("b.md"),
                            range: range_of(&b, "\"the valley flooded\""),
                        },
                    ],
                },
            ]
        );
        assert!(
            built
                .analysis
                .quoted_passages(&source_path("other"))
                .is_empty()
        );
        assert!(
            built
                .analysis
                .quoted_passages(Path::new("/nowhere.md"))
                .is_empty()
        );
    }

    #[test]
    fn misattributed_quotations_count_for_the_source_they_are_in() {
        let built = Fixture::new()
            .source("right", "It was the wettest year on record.")
            .source("wrong", "Nothing like it.")
            .note("a.md", "\"the wettest year on record\" [@wrong]")
            .build();
        assert_eq!(
            built.analysis.quoted_passages(&source_path("right")).len(),
            1
        );
        assert!(
            built
                .analysis
                .quoted_passages(&source_path("wrong"))
                .is_empty()
        );
    }
}

//! Symbols: a note's outline (headings, glossary terms, quotations with their status) and the
//! workspace's sources and terms, searched by name.

use std::path::Path;

use super::{Location, Symbol, SymbolKind, ellipsize, first_words, key_meta, status_phrase};
use crate::analysis::Analysis;

/// Words of a quotation used as its symbol name.
const QUOTATION_NAME_WORDS: usize = 8;

pub(crate) fn document_symbols(analysis: &Analysis, path: &Path) -> Vec<Symbol> {
    let Some(note) = analysis.note(path) else {
        return Vec::new();
    };
    let location = |range: crate::ByteRange| Location {
        path: path.to_path_buf(),
        range,
    };
    let mut symbols = Vec::new();
    let headings = &note.note.headings;
    for (i, heading) in headings.iter().enumerate() {
        // A heading's symbol spans its section: up to the next heading of the same or a higher
        // level, so that editors nest what the section holds under it.
        let section_end = headings
            .iter()
            .skip(i + 1)
            .find(|next| next.level <= heading.level)
            .map_or(note.text.len(), |next| {
                line_start(&note.text, next.range.start)
            });
        let section_end = trimmed_end(&note.text, heading.range.end, section_end);
        // The name within the heading line (without its `#` markers).
        let selection = note
            .text
            .get(heading.range.clone())
            .and_then(|line| line.find(heading.text.as_str()))
            .filter(|_| !heading.text.is_empty())
            .map_or(heading.range.clone(), |at| {
                let start = heading.range.start + at;
                start..start + heading.text.len()
            });
        symbols.push(Symbol {
            name: heading.text.clone(),
            detail: None,
            kind: SymbolKind::Heading,
            location: location(heading.range.start..section_end),
            selection,
        });
    }
    for entry in &note.note.glossary {
        let start = entry.term_range.start;
        let end = entry.definition_range.end.max(entry.term_range.end);
        symbols.push(Symbol {
            name: entry.term.clone(),
            detail: Some(ellipsize(&entry.definition, 80)),
            kind: SymbolKind::Term,
            location: location(start..end),
            selection: entry.term_range.clone(),
        });
    }
    for (quotation, resolution) in note.note.quotations.iter().zip(&note.resolutions) {
        let mut name = first_words(quotation, QUOTATION_NAME_WORDS);
        if name.is_empty() {
            name = "(empty quotation)".to_string();
        }
        let found_key = resolution.found.as_ref().map(|f| f.key.as_str());
        let selection = if quotation.range.start <= quotation.content.start
            && quotation.content.end <= quotation.range.end
        {
            quotation.content.clone()
        } else {
            quotation.range.clone()
        };
        symbols.push(Symbol {
            name: format!("“{name}”"),
            detail: Some(status_phrase(resolution.status, found_key)),
            kind: SymbolKind::Quotation,
            location: location(quotation.range.clone()),
            selection,
        });
    }
    symbols.sort_by_key(|s| (s.location.range.start, s.location.range.end));
    symbols
}

/// The start of the line holding `offset`.
fn line_start(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |i| i + 1)
}

/// `end`, moved back over trailing whitespace but not before `min`.
fn trimmed_end(text: &str, min: usize, end: usize) -> usize {
    let end = end.min(text.len());
    let trimmed = text
        .get(..end)
        .map_or(end, |before| before.trim_end().len());
    trimmed.max(min).min(end.max(min))
}

pub(crate) fn workspace_symbols(analysis: &Analysis, query: &str) -> Vec<Symbol> {
    let query = query.to_lowercase();
    let matches = |s: &str| s.to_lowercase().contains(&query);
    let mut symbols = Vec::new();
    for key in analysis.corpus.keys() {
        let Some(meta) = key_meta(analysis, key) else {
            continue;
        };
        let title_matches = meta.title.as_deref().is_some_and(matches);
        if !matches(key) && !title_matches {
            continue;
        }
        let location = match (&meta.source_path, &meta.bib) {
            (Some(path), _) => Location {
                path: path.clone(),
                range: 0..0,
            },
            (None, Some((path, range))) => Location {
                path: path.clone(),
                range: range.clone(),
            },
            (None, None) => continue,
        };
        symbols.push(Symbol {
            name: key.to_string(),
            detail: Some(meta.one_line()),
            kind: SymbolKind::Source,
            selection: location.range.start..location.range.start,
            location,
        });
    }
    for info in &analysis.terms.terms {
        let names_match = matches(&info.term)
            || info.aliases.iter().any(|a| matches(a))
            || info.expansion.as_deref().is_some_and(matches);
        if !names_match {
            continue;
        }
        let location = match (info.glossary.first(), info.excerpts.first()) {
            (Some(g), _) => Location {
                path: g.path.clone(),
                range: g.term_range.clone(),
            },
            (None, Some(e)) => Location {
                path: e.path.clone(),
                range: e.range.clone(),
            },
            (None, None) => continue,
        };
        let detail = info
            .expansion
            .clone()
            .or_else(|| info.glossary.first().map(|g| ellipsize(&g.text, 80)))
            .or_else(|| info.excerpts.first().map(|e| ellipsize(&e.text, 80)));
        symbols.push(Symbol {
            name: info.term.clone(),
            detail,
            kind: SymbolKind::Term,
            selection: location.range.clone(),
            location,
        });
    }
    symbols
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{Fixture, bib_entry, meta, note_path, range_of, root, source_path};
    use super::*;

    #[test]
    fn document_symbols_list_headings_and_quotations_in_order() {
        let built = Fixture::new()
            .source("smith2020", "The tide came in early that year.")
            .note(
                "a.md",
                "# Findings\n\nShe notes \"The tide came in early that year\" [@smith2020].\n\n## More\n\n\"invented words here\" [@smith2020]\n",
            )
            .build();
        let path = note_path("a.md");
        let text = built.text(&path);
        let symbols = built.analysis.document_symbols(&path);
        let summary: Vec<(SymbolKind, &str, Option<&str>)> = symbols
            .iter()
            .map(|s| (s.kind, s.name.as_str(), s.detail.as_deref()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (SymbolKind::Heading, "Findings", None),
                (
                    SymbolKind::Quotation,
                    "“The tide came in early that year”",
                    Some("verified in @smith2020")
                ),
                (SymbolKind::Heading, "More", None),
                (
                    SymbolKind::Quotation,
                    "“invented words here”",
                    Some("not found in any source")
                ),
            ]
        );
        let quote = &symbols[1];
        assert_eq!(
            quote.location.range,
            range_of(&text, "\"The tide came in early that year\"")
        );
        assert_eq!(
            quote.selection,
            range_of(&text, "The tide came in early that year")
        );
        assert_eq!(symbols[0].selection, range_of(&text, "Findings"));
        // A heading spans its section: "Findings" holds everything, "More" the last quotation.
        assert_eq!(symbols[0].location.range.start, 0);
        assert_eq!(symbols[0].location.range.end, text.trim_end().len());
        assert_eq!(
            &text[symbols[2].location.range.clone()],
            "## More\n\n\"invented words here\" [@smith2020]"
        );
        assert!(symbols[0].location.range.end >= symbols[3].location.range.end);
        for s in &symbols {
            assert!(
                s.location.range.start <= s.selection.start
                    && s.selection.end <= s.location.range.end
            );
        }
        assert!(
            built
                .analysis
                .document_symbols(std::path::Path::new("/nope.md"))
                .is_empty()
        );
    }

    #[test]
    fn long_quotations_are_named_by_their_first_words() {
        let built = Fixture::new()
            .note(
                "a.md",
                "\"one two three four five six seven eight nine ten\"",
            )
            .build();
        let symbols = built.analysis.document_symbols(&note_path("a.md"));
        assert_eq!(
            symbols[0].name,
            "“one two three four five six seven eight…”"
        );
    }

    #[test]
    fn workspace_symbols_search_keys_and_titles() {
        let built = Fixture::new()
            .source_with_meta(
                "smith2020",
                "Text.",
                meta("Floods of the Delta", &["Smith, J."], "2020"),
            )
            .source("jones2021", "Text.")
            .bib(bib_entry("lost1999", "Delta Memories", &[], "1999"))
            .build();
        let names = |q: &str| -> Vec<String> {
            built
                .analysis
                .workspace_symbols(q)
                .into_iter()
                .map(|s| s.name)
                .collect()
        };
        assert_eq!(names("delta"), vec!["smith2020", "lost1999"]);
        assert_eq!(names("JONES"), vec!["jones2021"]);
        assert_eq!(names(""), vec!["smith2020", "jones2021", "lost1999"]);
        assert!(names("zzz").is_empty());
        let symbols = built.analysis.workspace_symbols("smith");
        assert_eq!(symbols[0].kind, SymbolKind::Source);
        assert_eq!(symbols[0].location.path, source_path("smith2020"));
        assert_eq!(
            symbols[0].detail.as_deref(),
            Some("Smith — Floods of the Delta (2020)")
        );
        let lost = built.analysis.workspace_symbols("lost");
        assert_eq!(lost[0].location.path, root().join("refs.bib"));
    }
}

#[cfg(test)]
mod term_tests {
    use super::super::fixture::{note_path, range_of, term_fixture};
    use super::*;

    #[test]
    fn glossary_terms_are_document_symbols() {
        let built = term_fixture("Body.").build();
        let path = note_path("glossary.md");
        let text = built.text(&path);
        let symbols = built.analysis.document_symbols(&path);
        let term = symbols
            .iter()
            .find(|s| s.kind == SymbolKind::Term)
            .expect("term symbol");
        assert_eq!(term.name, "Riverbend Rule");
        assert_eq!(term.selection, range_of(&text, "Riverbend Rule"));
        assert_eq!(
            term.location.range,
            range_of(&text, "Riverbend Rule\n: No state alters the flow alone.")
        );
        assert_eq!(
            term.detail.as_deref(),
            Some("No state alters the flow alone.")
        );
    }

    #[test]
    fn workspace_symbols_find_terms_by_name_and_expansion() {
        let built = term_fixture("Body.").build();
        let names = |q: &str| -> Vec<(String, SymbolKind)> {
            built
                .analysis
                .workspace_symbols(q)
                .into_iter()
                .map(|s| (s.name, s.kind))
                .collect()
        };
        assert_eq!(
            names("basin commission"),
            vec![("JBC".to_string(), SymbolKind::Term)]
        );
        assert_eq!(
            names("riverbend"),
            vec![("Riverbend Rule".to_string(), SymbolKind::Term)]
        );
        // "Basin" is in the source's title and the acronym's expansion.
        assert_eq!(
            names("basin"),
            vec![
                ("osei2022".to_string(), SymbolKind::Source),
                ("JBC".to_string(), SymbolKind::Term)
            ]
        );
    }
}

//! Quick fixes: the edits that the diagnostics' `FixData` describe (replace a misquotation with
//! the source's words, cite the right source, add a missing citation).

use std::path::Path;

use super::{FileEdit, Fix, overlaps};
use crate::ByteRange;
use crate::analysis::Analysis;
use crate::diagnostic::FixData;

pub(crate) fn fixes(analysis: &Analysis, path: &Path, range: ByteRange) -> Vec<Fix> {
    let Some(note) = analysis.note(path) else {
        return Vec::new();
    };
    let text_len = note.text.len();
    let valid = |r: &ByteRange| {
        r.start <= r.end
            && r.end <= text_len
            && note.text.is_char_boundary(r.start)
            && note.text.is_char_boundary(r.end)
    };
    let edit = |range: ByteRange, new_text: String| FileEdit {
        path: path.to_path_buf(),
        range,
        new_text,
    };
    let mut out = Vec::new();
    for (index, diagnostic) in analysis.diagnostics(path).iter().enumerate() {
        if !overlaps(&diagnostic.range, &range) {
            continue;
        }
        for fix in diagnostic.fixes.iter().cloned() {
            let (title, edits) = match fix {
                FixData::ReplaceQuote { range, replacement } => (
                    "Replace with the source's words".to_string(),
                    vec![edit(range, replacement)],
                ),
                FixData::ChangeCitation { key, key_ranges } => (
                    format!("Cite @{key} instead"),
                    key_ranges
                        .into_iter()
                        .map(|range| edit(range, key.clone()))
                        .collect(),
                ),
                FixData::InsertCitation { key, offset, text } => {
                    (format!("Cite [@{key}]"), vec![edit(offset..offset, text)])
                }
                FixData::MarkOwnView { offset, text } => (
                    "Mark as the writer's own view".to_string(),
                    vec![edit(offset..offset, text)],
                ),
            };
            if edits.is_empty() || !edits.iter().all(|e| valid(&e.range)) {
                continue;
            }
            out.push(Fix {
                title,
                edits,
                diagnostic: index,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::super::fixture::{Fixture, note_path, range_of};
    use super::*;
    use crate::diagnostic::{Diagnostic, DiagnosticCode};

    /// Applies a fix's edits (sorted back to front) to `text`.
    fn apply(text: &str, fix: &Fix) -> String {
        let mut edits = fix.edits.clone();
        edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        let mut out = text.to_string();
        for e in edits {
            out.replace_range(e.range.clone(), &e.new_text);
        }
        out
    }

    const SOURCE: &str = "The levee held through the storm of 1987.";

    #[test]
    fn misattributed_quotation_offers_the_right_citation() {
        let built = Fixture::new()
            .source("right", SOURCE)
            .source("wrong", "Another text.")
            .note("a.md", "\"The levee held$0 through the storm\" [@wrong].")
            .build();
        let (path, offset) = built.cursor();
        let fixes = built.analysis.fixes(&path, offset..offset);
        assert_eq!(fixes.len(), 1, "{fixes:?}");
        assert_eq!(fixes[0].title, "Cite @right instead");
        assert_eq!(
            apply(&built.text(&path), &fixes[0]),
            "\"The levee held through the storm\" [@right]."
        );
        assert_eq!(
            built.analysis.diagnostics(&path)[fixes[0].diagnostic].code,
            DiagnosticCode::QuoteMisattributed
        );
    }

    #[test]
    fn uncited_quotation_offers_a_citation() {
        let built = Fixture::new()
            .source("right", SOURCE)
            .note("a.md", "He said \"the storm of 1987\" once.")
            .build();
        let path = note_path("a.md");
        let text = built.text(&path);
        let fixes = built.analysis.fixes(&path, range_of(&text, "storm"));
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].title, "Cite [@right]");
        assert_eq!(
            apply(&text, &fixes[0]),
            "He said \"the storm of 1987\" [@right] once."
        );
    }

    #[test]
    fn mistyped_key_offers_the_closest_key() {
        let built = Fixture::new()
            .source("halden2021", SOURCE)
            .note("a.md", "Claim [@haldn2021].")
            .build();
        let path = note_path("a.md");
        let text = built.text(&path);
        let fixes = built.analysis.fixes(&path, 0..text.len());
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].title, "Cite @halden2021 instead");
        assert_eq!(apply(&text, &fixes[0]), "Claim [@halden2021].");
        // A range elsewhere in the note gets nothing.
        assert!(built.analysis.fixes(&path, 0..2).is_empty());
    }

    #[test]
    fn replace_quote_fix_and_invalid_ranges() {
        let built = Fixture::new()
            .note("a.md", "x \"the levee hold\" y")
            .build();
        let path = note_path("a.md");
        let text = built.text(&path);
        let content = range_of(&text, "the levee hold");
        let mut analysis = built.analysis.clone();
        let mut notes: BTreeMap<_, _> = (*analysis.notes).clone();
        let old = notes.get(&path).cloned().expect("note");
        let mut replace = Diagnostic::new(
            DiagnosticCode::QuoteInexact,
            path.clone(),
            range_of(&text, "\"the levee hold\""),
            "differs".into(),
        );
        replace.fixes = vec![FixData::ReplaceQuote {
            range: content,
            replacement: "the levee held".into(),
        }];
        let mut broken = replace.clone();
        broken.fixes = vec![FixData::InsertCitation {
            key: "k".into(),
            offset: 999,
            text: " [@k]".into(),
        }];
        notes.insert(
            path.clone(),
            Arc::new(crate::analysis::NoteAnalysis {
                path: path.clone(),
                text: old.text.clone(),
                note: old.note.clone(),
                resolutions: old.resolutions.clone(),
                claims: old.claims.clone(),
                diagnostics: vec![replace, broken],
                claim_memo: old.claim_memo.clone(),
            }),
        );
        analysis.notes = Arc::new(notes);
        let fixes = analysis.fixes(&path, 4..4);
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].title, "Replace with the source's words");
        assert_eq!(fixes[0].diagnostic, 0);
        assert_eq!(apply(&text, &fixes[0]), "x \"the levee held\" y");
        assert!(analysis.fixes(Path::new("/nope.md"), 0..1).is_empty());
    }
}

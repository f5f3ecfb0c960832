//! Completion of citation keys: after `@` in a citation context (`[@`, `; @`, `[-@`, `[see @`,
//! `@{`, or an in-text `@` at the start of a word; not in an email address, a code span, the
//! frontmatter or a code block), every key of the corpus and bibliography that starts with, or
//! else contains, the partial key typed so far (case-insensitive).

use std::path::Path;

use super::{Completion, KeyMeta, key_meta, note_at};
use crate::analysis::Analysis;

pub(crate) fn completion(analysis: &Analysis, path: &Path, offset: usize) -> Vec<Completion> {
    let Some(note) = note_at(analysis, path, offset) else {
        return Vec::new();
    };
    let text: &str = &note.text;
    if !text.is_char_boundary(offset) {
        return Vec::new();
    }
    if note
        .note
        .frontmatter
        .as_ref()
        .is_some_and(|f| f.start <= offset && offset < f.end)
    {
        return Vec::new();
    }
    // Outside every prose block (code blocks, HTML) there are no citations. A note with no block
    // at all (just being typed) is all prose.
    if !note.note.blocks.is_empty()
        && !note
            .note
            .blocks
            .iter()
            .any(|b| b.range.start <= offset && offset <= b.range.end)
    {
        return Vec::new();
    }
    let Some(replace) = partial_key(text, offset) else {
        return Vec::new();
    };
    let partial = text.get(replace.clone()).unwrap_or_default().to_lowercase();
    // The whole key is replaced, also the part after the cursor.
    let replace = replace.start..key_end(text, offset);
    let mut candidates: Vec<(u8, &str)> = analysis
        .corpus
        .keys()
        .into_iter()
        .filter_map(|key| {
            let lower = key.to_lowercase();
            if lower.starts_with(&partial) {
                Some((0, key))
            } else if lower.contains(&partial) {
                Some((1, key))
            } else {
                None
            }
        })
        .collect();
    candidates.sort();
    candidates.dedup_by(|a, b| a.1 == b.1);
    candidates
        .into_iter()
        .filter_map(|(_, key)| {
            let meta: KeyMeta = key_meta(analysis, key)?;
            Some(Completion {
                label: key.to_string(),
                detail: meta.one_line(),
                documentation: meta.markdown(analysis),
                replace: replace.clone(),
            })
        })
        .collect()
}

/// Characters a citation key may hold (pandoc: alphanumerics and `_`, with single internal
/// punctuation from `:.#$%&-+?<>~/`). Scanning backwards, any of them may end the partial key.
fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || ":.#$%&-+?<>~/".contains(c)
}

/// The range of the partial key before `offset` when it follows an `@` in a citation context.
fn partial_key(text: &str, offset: usize) -> Option<std::ops::Range<usize>> {
    let before = text.get(..offset)?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_key_char(c))
        .last()
        .map_or(offset, |(i, _)| i);
    let mut head = &before[..start];
    let braced = head.ends_with("@{");
    if braced {
        head = &head[..head.len() - 1];
    }
    head = head.strip_suffix('@')?;
    let context_ok = match head.chars().last() {
        None => true,
        Some(c) if c.is_whitespace() || c == '[' || c == '(' || c == ';' => true,
        Some('-') => {
            let before_dash = head[..head.len() - 1].chars().last();
            matches!(before_dash, Some('[') | Some(';'))
                || before_dash.is_some_and(char::is_whitespace)
        }
        _ => false,
    };
    if !context_ok || in_code_span(text, start) {
        return None;
    }
    Some(start..offset)
}

/// Where the key the cursor is in ends: alphanumerics and `_`, and internal punctuation only when
/// a key character follows (`@smith2020.` at a sentence's end keeps its period).
fn key_end(text: &str, offset: usize) -> usize {
    let rest = text.get(offset..).unwrap_or_default();
    let mut end = offset;
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let word = c.is_alphanumeric() || c == '_';
        let internal = !word
            && is_key_char(c)
            && chars
                .peek()
                .is_some_and(|&(_, n)| n.is_alphanumeric() || n == '_');
        if !(word || internal) {
            break;
        }
        end = offset + i + c.len_utf8();
    }
    end
}

/// Whether `offset` is inside a code span: an odd number of backticks before it on its line.
fn in_code_span(text: &str, offset: usize) -> bool {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..offset].matches('`').count() % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{Fixture, bib_entry, meta, note_path, range_of};
    use super::*;

    fn corpus() -> Fixture {
        Fixture::new()
            .source_with_meta(
                "smith2020",
                "Text.",
                meta("On Rivers", &["Smith, Jane", "Doe, John"], "2020"),
            )
            .source("smythe1999", "Text.")
            .source("jones2021", "Text.")
            .bib(bib_entry("smithee2010", "Alan", &["Smithee, Alan"], "2010"))
            .bib(bib_entry(
                "blacksmith2001",
                "Forges",
                &["Black, S."],
                "2001",
            ))
    }

    fn labels(completions: &[Completion]) -> Vec<&str> {
        completions.iter().map(|c| c.label.as_str()).collect()
    }

    fn complete(note: &str) -> (Vec<Completion>, crate::corpus::StoredText) {
        let built = corpus().note("a.md", note).build();
        let (path, offset) = built.cursor();
        (built.analysis.completion(&path, offset), built.text(&path))
    }

    #[test]
    fn completes_after_a_bracketed_at_prefix_first_then_containing() {
        let (completions, text) = complete("As shown [@smi$0].");
        assert_eq!(
            labels(&completions),
            vec!["smith2020", "smithee2010", "blacksmith2001"]
        );
        let first = &completions[0];
        assert_eq!(first.replace, range_of(&text, "smi"));
        assert_eq!(first.detail, "Smith & Doe — On Rivers (2020)");
        assert!(first.documentation.contains("*On Rivers*"));
        assert!(first.documentation.contains("Smith, Jane; Doe, John"));
        assert_eq!(completions[1].detail, "Smithee — Alan (2010)");
    }

    #[test]
    fn completes_every_key_right_after_the_at() {
        let (completions, text) = complete("See [@$0]");
        assert_eq!(completions.len(), 5);
        let at = text.find('@').unwrap_or_default() + 1;
        assert!(completions.iter().all(|c| c.replace == (at..at)));
    }

    #[test]
    fn completes_in_each_citation_context() {
        for note in [
            "[@smith2020; @jo$0",
            "[-@jo$0]",
            "[see @jo$0, p. 3]",
            "As @jo$0 says",
            "@jo$0",
            "(@jo$0)",
            "[@{jo$0}]",
            "[@smith2020;@jo$0]",
        ] {
            let (completions, _) = complete(note);
            assert_eq!(labels(&completions), vec!["jones2021"], "in {note:?}");
        }
    }

    #[test]
    fn replaces_the_whole_key_under_the_cursor() {
        let (completions, text) = complete("See [@jo$0nse, p. 3].");
        assert_eq!(labels(&completions), vec!["jones2021"]);
        assert_eq!(completions[0].replace, range_of(&text, "jonse"));
        let (completions, text) = complete("As @smith20$0xx.");
        assert_eq!(labels(&completions), vec!["smith2020", "blacksmith2001"]);
        assert_eq!(completions[0].replace, range_of(&text, "smith20xx"));
    }

    #[test]
    fn case_insensitive() {
        let (completions, _) = complete("[@JON$0");
        assert_eq!(labels(&completions), vec!["jones2021"]);
    }

    #[test]
    fn no_completion_outside_citations() {
        for note in [
            "mail me at jane@jo$0",
            "no at sign jo$0",
            "`code [@jo$0`",
            "---\ntitle: x @jo$0\n---\nBody.",
            "[@nomatch$0]",
        ] {
            let (completions, _) = complete(note);
            assert!(completions.is_empty(), "in {note:?}: {completions:?}");
        }
    }

    #[test]
    fn completion_is_total() {
        let built = corpus().note("a.md", "[@é").build();
        let path = note_path("a.md");
        for offset in 0..10 {
            let _ = built.analysis.completion(&path, offset);
        }
        assert!(
            built
                .analysis
                .completion(Path::new("/nope.md"), 0)
                .is_empty()
        );
    }
}

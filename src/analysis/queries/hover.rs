//! Hover: on a citation key, the source's metadata and the passage it is cited for; on a term,
//! its definitions (glossary first, then the sources' defining sentences); on a quotation, where
//! it was found and how, or why it was not; on a claim, the passage that best supports it and its
//! score (or why none does); in a source, the notes quoting the passage.

use std::path::Path;

use super::passages::quotations_covering;
use super::{
    Hover, citation_key_at, ellipsize, escape_markdown, file_link, first_words, key_meta, note_at,
    quotation_index_at, source_words, status_phrase, surrounding_sentence, term_at,
};
use crate::analysis::claims::{Support, Verdict};
use crate::analysis::matcher::{EditKind, MatchKind};
use crate::analysis::resolve::{QuoteStatus, cited_keys};
use crate::analysis::terms::{TermInfo, TermOccurrence};
use crate::analysis::{Analysis, NoteAnalysis, QuoteMatch};
use crate::notes::CitationItem;

/// Source excerpts shown for a term.
const MAX_EXCERPTS: usize = 3;

pub(crate) fn hover(analysis: &Analysis, path: &Path, offset: usize) -> Option<Hover> {
    if analysis.note(path).is_none() {
        return source_hover(analysis, path, offset);
    }
    let note = note_at(analysis, path, offset)?;
    if let Some((citation, item)) = citation_key_at(note, offset) {
        return Some(citation_hover(analysis, note, citation, item));
    }
    if let Some((occurrence, info)) = term_at(analysis, &note.text, offset) {
        return Some(term_hover(analysis, &occurrence, info));
    }
    if let Some(index) = quotation_index_at(note, offset) {
        return quotation_hover(analysis, note, index);
    }
    claim_hover(analysis, note, offset)
}

/// `hover` as far as it can be answered while the sources' terms are still being mined: on a
/// citation key of a note; on a term of the notes' glossary (with a line saying that the
/// sources' definitions are to come); on a quotation or a claim (with a line saying that the
/// sources' terms are to come: one inside it would be shown instead once they are read); `None`
/// anywhere else, and on a term only the sources define.
pub(crate) fn early_hover_at(analysis: &Analysis, path: &Path, offset: usize) -> Option<Hover> {
    let note = note_at(analysis, path, offset)?;
    if let Some((citation, item)) = citation_key_at(note, offset) {
        return Some(citation_hover(analysis, note, citation, item));
    }
    if let Some((occurrence, info)) = term_at(analysis, &note.text, offset) {
        if info.glossary.is_empty() {
            return None;
        }
        let mut hover = term_hover(analysis, &occurrence, info);
        hover.markdown.push_str(SOURCE_DEFINITIONS_TO_COME);
        return Some(hover);
    }
    let mut hover = match quotation_index_at(note, offset) {
        Some(index) => quotation_hover(analysis, note, index),
        None => claim_hover(analysis, note, offset),
    }?;
    hover.markdown.push_str(SOURCE_TERMS_TO_COME);
    Some(hover)
}

/// The line an early hover on a glossary term ends with.
const SOURCE_DEFINITIONS_TO_COME: &str =
    "\n\n---\n\n*Definitions in the sources: still being read.*";

/// The line an early hover on a quotation or a claim ends with.
const SOURCE_TERMS_TO_COME: &str =
    "\n\n---\n\n*Terms of the sources: still being read (hover again once they are).*";

/// On a cited claim: the passage of the cited source that best supports it, with its score; on
/// an unsupported or uncited one, why, and the passages that would back it.
fn claim_hover(analysis: &Analysis, note: &NoteAnalysis, offset: usize) -> Option<Hover> {
    let claim = note
        .claims
        .iter()
        .find(|c| c.sentence.start <= offset && offset < c.sentence.end)?;
    let threshold = analysis.settings().claim_strictness;
    let (head, passages): (String, Vec<&Support>) = match claim.verdict.as_ref() {
        Verdict::Supported { best } => (
            format!(
                "**Supported claim** — @{} backs it (score {:.2}; at least {threshold:.2} needed)",
                escape_markdown(&best.key),
                best.score
            ),
            vec![best],
        ),
        Verdict::Unsupported { cited, elsewhere } => {
            let mut head = "**Unsupported claim** — no cited source backs it".to_string();
            if let Some(best) = cited.first() {
                head.push_str(&format!(
                    " (closest: @{}, score {:.2}",
                    escape_markdown(&best.key),
                    best.score
                ));
                if !best.missing_numbers.is_empty() {
                    head.push_str(&format!(
                        "; not in its passages: {}",
                        escape_markdown(&best.missing_numbers.join(", "))
                    ));
                }
                if !best.missing_names.is_empty() {
                    head.push_str(&format!(
                        "; names it lacks: {}",
                        escape_markdown(&best.missing_names.join(", "))
                    ));
                }
                head.push(')');
            }
            (
                head,
                cited
                    .iter()
                    .take(1)
                    .chain(elsewhere.iter().take(2))
                    .collect(),
            )
        }
        Verdict::Uncited { backing } => (
            "**Uncited claim** — a statement of fact with no citation".to_string(),
            backing.iter().take(3).collect(),
        ),
        Verdict::Unchecked => return None,
    };
    let mut parts = vec![head];
    for support in passages {
        let Some(source) = analysis.corpus.sources.get(support.source) else {
            continue;
        };
        let Some(range) = support.original_range() else {
            continue;
        };
        let mut title = String::new();
        if let Some(t) = &source.meta.title {
            title = format!(", *{}*", escape_markdown(t));
        }
        parts.push(format!(
            "@{}{title} (score {:.2}):\n\n> {}\n\n{}",
            escape_markdown(&support.key),
            support.score,
            escape_markdown(&ellipsize(support.passage_text(&analysis.corpus), 500)),
            file_link(analysis, &source.path, Some(range.start))
        ));
    }
    Some(Hover {
        range: claim.sentence.clone(),
        markdown: parts.join("\n\n"),
    })
}

// ---------------------------------------------------------------------------------------------

fn citation_hover(
    analysis: &Analysis,
    note: &NoteAnalysis,
    citation: usize,
    item: &CitationItem,
) -> Hover {
    let key = escape_markdown(&item.key);
    let Some(meta) = key_meta(analysis, &item.key) else {
        return Hover {
            range: item.key_range.clone(),
            markdown: format!(
                "**@{key}**: unknown citation key — no source or bibliography entry has it."
            ),
        };
    };
    let mut parts = vec![meta.markdown(analysis)];
    if let Some(locator) = &item.locator {
        parts.push(format!(
            "Locator: {} {}",
            escape_markdown(&locator.label),
            escape_markdown(&locator.value)
        ));
    }
    let attached = note
        .note
        .quotations
        .iter()
        .zip(&note.resolutions)
        .filter(|(q, _)| q.citations.contains(&citation));
    for (_, resolution) in attached {
        match &resolution.found {
            Some(found) if found.key == item.key => {
                if let Some(source) = analysis.corpus.source(&found.key) {
                    let words = ellipsize(&source_words(source, &found.range), 600);
                    parts.push(format!(
                        "Cited passage ({}):\n\n> {}",
                        file_link(analysis, &found.path, Some(found.range.start)),
                        escape_markdown(&words)
                    ));
                }
            }
            Some(found) if resolution.status == QuoteStatus::Misattributed => {
                parts.push(format!(
                    "The quotation cited here is not in @{key}: it is in @{} ({}).",
                    escape_markdown(&found.key),
                    file_link(analysis, &found.path, Some(found.range.start))
                ));
            }
            Some(found) => {
                parts.push(format!(
                    "The quotation cited here is in @{} ({}).",
                    escape_markdown(&found.key),
                    file_link(analysis, &found.path, Some(found.range.start))
                ));
            }
            _ if resolution.status == QuoteStatus::NotFound => {
                parts.push(format!("The quotation cited here is not in @{key}."));
            }
            _ => {}
        }
    }
    Hover {
        range: item.key_range.clone(),
        markdown: parts.join("\n\n---\n\n"),
    }
}

// ---------------------------------------------------------------------------------------------

fn term_hover(analysis: &Analysis, occurrence: &TermOccurrence, info: &TermInfo) -> Hover {
    let mut head = format!("**{}**", escape_markdown(&info.term));
    if let Some(expansion) = &info.expansion {
        head.push_str(&format!(" — {}", escape_markdown(expansion)));
    }
    let aliases: Vec<&String> = info
        .aliases
        .iter()
        .filter(|a| **a != info.term && Some(*a) != info.expansion.as_ref())
        .collect();
    if !aliases.is_empty() {
        let aliases: Vec<String> = aliases.iter().map(|a| escape_markdown(a)).collect();
        head.push_str(&format!("  \nAlso: {}", aliases.join(", ")));
    }
    let mut parts = vec![head];
    for glossary in &info.glossary {
        parts.push(format!(
            "{}\n\n*Glossary*, {}",
            escape_markdown(&glossary.text),
            file_link(analysis, &glossary.path, Some(glossary.term_range.start))
        ));
    }
    for excerpt in info.excerpts.iter().take(MAX_EXCERPTS) {
        let title = analysis
            .corpus
            .source(&excerpt.key)
            .and_then(|s| s.meta.title.as_deref())
            .map(|t| format!(", *{}*", escape_markdown(t)))
            .unwrap_or_default();
        parts.push(format!(
            "> {}\n\n@{}{title} — {}",
            escape_markdown(&ellipsize(&excerpt.text, 400)),
            escape_markdown(&excerpt.key),
            file_link(analysis, &excerpt.path, Some(excerpt.range.start))
        ));
    }
    Hover {
        range: occurrence.range.clone(),
        markdown: parts.join("\n\n---\n\n"),
    }
}

// ---------------------------------------------------------------------------------------------

fn quotation_hover(analysis: &Analysis, note: &NoteAnalysis, index: usize) -> Option<Hover> {
    let quotation = note.note.quotations.get(index)?;
    let resolution = note.resolutions.get(index)?;
    let cited = cited_keys(&note.note, quotation);
    let cited_list = if cited.is_empty() {
        "no source".to_string()
    } else {
        cited
            .iter()
            .map(|k| format!("@{}", escape_markdown(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let found_key = resolution.found.as_ref().map(|f| escape_markdown(&f.key));
    let found_at = found_key
        .as_deref()
        .map(|k| format!("@{k}"))
        .unwrap_or_default();
    let head = match resolution.status {
        QuoteStatus::Verified => format!("**Verified** — found in {found_at}"),
        QuoteStatus::Inexact => {
            format!("**Inexact** — found in {found_at} only approximately: the words differ")
        }
        QuoteStatus::Misattributed => {
            format!("**Misattributed** — not in {cited_list}; found in {found_at}")
        }
        QuoteStatus::Uncited => format!("**Uncited** — no citation; found in {found_at}"),
        QuoteStatus::NotFound if cited.is_empty() => {
            "**Not found** — the quotation is in no source of the corpus.".to_string()
        }
        QuoteStatus::NotFound => format!(
            "**Not found** — the quotation is not in {cited_list}, nor anywhere else in the corpus."
        ),
        QuoteStatus::Unchecked if cited.is_empty() || resolution.found.is_none() => {
            "**Not checked** — there is nothing to match (no cited source has text, or the quotation has no words).".to_string()
        }
        QuoteStatus::Unchecked => format!(
            "**Not checked** — no cited source ({cited_list}) has text; the words are in {found_at}"
        ),
    };
    let mut parts = vec![head];
    if let Some(found) = &resolution.found {
        parts.push(match_details(analysis, found));
    }
    Some(Hover {
        range: quotation.range.clone(),
        markdown: parts.join("\n\n"),
    })
}

/// The match kind and score, the source sentence with the matched words in bold, a link to the
/// place, and the word differences of an approximate match.
fn match_details(analysis: &Analysis, found: &QuoteMatch) -> String {
    let kind = match found.kind {
        MatchKind::Exact => "exact match",
        MatchKind::Elided => "match with elisions",
        MatchKind::Approximate => "approximate match",
    };
    let mut out = format!("{kind}, score {:.2}", found.score);
    if let Some(source) = analysis.corpus.source(&found.key) {
        if let Some(title) = &source.meta.title {
            out.push_str(&format!(" · *{}*", escape_markdown(title)));
        }
        let sentence = surrounding_sentence(&source.text, &found.range);
        let matched = found.range.start.max(sentence.start)..found.range.end.min(sentence.end);
        let before = source_words(source, &(sentence.start..matched.start));
        let inside = source_words(source, &matched);
        let after = source_words(source, &(matched.end..sentence.end));
        let mut quote = String::from("> ");
        // A space between the parts only where the source has one ("average." stays together).
        let space_at = |offset: usize, backwards: bool| {
            let next = if backwards {
                source
                    .text
                    .get(..offset)
                    .and_then(|t| t.chars().next_back())
            } else {
                source.text.get(offset..).and_then(|t| t.chars().next())
            };
            next.is_some_and(char::is_whitespace)
        };
        if !before.is_empty() {
            quote.push_str(&escape_markdown(&tail_chars(&before, 200)));
            if space_at(matched.start, true) {
                quote.push(' ');
            }
        }
        quote.push_str(&format!(
            "**{}**",
            escape_markdown(&ellipsize(&inside, 600))
        ));
        if !after.is_empty() {
            if space_at(matched.end, false) {
                quote.push(' ');
            }
            quote.push_str(&escape_markdown(&ellipsize(&after, 200)));
        }
        out.push_str("\n\n");
        out.push_str(&quote);
        out.push_str("\n\n");
        out.push_str(&file_link(analysis, &found.path, Some(found.range.start)));
        let differences: Vec<String> = found
            .edits
            .iter()
            .take(5)
            .map(|edit| {
                let source_word = source
                    .text
                    .get(edit.source_range.clone())
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .unwrap_or(&edit.source_word);
                let quote_word = escape_markdown(&edit.quote_word);
                let source_word = escape_markdown(source_word);
                match edit.kind {
                    EditKind::Substituted => {
                        format!("- “{quote_word}” where the source has “{source_word}”")
                    }
                    EditKind::Inserted => format!("- “{quote_word}” is not in the source"),
                    EditKind::Omitted => format!("- the source's “{source_word}” is left out"),
                }
            })
            .collect();
        if !differences.is_empty() {
            out.push_str("\n\nDifferences:\n");
            out.push_str(&differences.join("\n"));
        }
    }
    out
}

/// The last `max_chars` characters of `text`, cut at a word, with a leading `…` when cut.
fn tail_chars(text: &str, max_chars: usize) -> String {
    let count = text.chars().count();
    if count <= max_chars {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - max_chars).collect();
    let tail = match tail.find(' ') {
        Some(space) => &tail[space + 1..],
        None => tail.as_str(),
    };
    format!("…{tail}")
}

// ---------------------------------------------------------------------------------------------

fn source_hover(analysis: &Analysis, path: &Path, offset: usize) -> Option<Hover> {
    let source = analysis.corpus.source_by_path(path)?;
    if offset > source.text.len() {
        return None;
    }
    let covering = quotations_covering(analysis, path, offset);
    let narrowest = covering.first()?;
    let range = narrowest.found.range.clone();
    let count = covering.len();
    let mut out = format!(
        "**Quoted {} time{}**\n",
        count,
        if count == 1 { "" } else { "s" }
    );
    for quoting in &covering {
        let Some(quotation) = quoting.note.note.quotations.get(quoting.index) else {
            continue;
        };
        let status = quoting
            .note
            .resolutions
            .get(quoting.index)
            .map(|r| status_phrase(r.status, Some(&quoting.found.key)))
            .unwrap_or_default();
        out.push_str(&format!(
            "\n- {}: “{}” ({})",
            file_link(analysis, &quoting.note.path, Some(quotation.range.start)),
            escape_markdown(&first_words(quotation, 8)),
            escape_markdown(&status)
        ));
    }
    Some(Hover {
        range,
        markdown: out,
    })
}

/// Asserts that the early hover at `offset` is the full one (which there is) followed by
/// `line`.
#[cfg(test)]
fn assert_early_hover_is_full_hover_and(
    analysis: &Analysis,
    path: &Path,
    offset: usize,
    line: &str,
) {
    let full = analysis.hover(path, offset).expect("a full hover");
    let early = analysis.early_hover(path, offset).expect("an early hover");
    assert_eq!(early.range, full.range);
    assert_eq!(early.markdown, format!("{}{line}", full.markdown));
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{Fixture, bib_entry, meta, note_path, range_of, source_path};
    use super::*;
    use expect_test::expect;

    fn sample() -> Fixture {
        Fixture::new()
            .source_with_meta(
                "smith2020",
                "# On rivers\n\nRivers bend. The river rose at dawn and fell by noon. Then calm.\n",
                meta("On Rivers", &["Smith, Jane"], "2020"),
            )
            .source(
                "doe2019",
                "A different text, where the river rose too slowly.",
            )
            .bib(bib_entry(
                "smith2020",
                "On Rivers (bib)",
                &["Smith, J."],
                "2020-01",
            ))
            .bib(bib_entry("nofile", "Lost Works", &["Lost, Author"], "1999"))
    }

    #[test]
    fn early_hover_answers_on_citation_keys_and_quotations_as_the_full_hover_does() {
        // What the server answers before the terms are mined: a citation key's hover, the same
        // as the full one; a quotation's, with a line saying that the sources' terms are to come
        // (one inside the quotation would come first); nothing elsewhere.
        let built = sample()
            .note(
                "a.md",
                "She writes \"The river rose at dawn\" [see @smi$0th2020, p. 4].",
            )
            .build();
        let (path, on_key) = built.cursor();
        let text = built.text(&path).to_string();
        assert_eq!(
            built.analysis.early_hover(&path, on_key),
            built.analysis.hover(&path, on_key)
        );
        assert!(built.analysis.early_hover(&path, on_key).is_some());
        let in_quotation = text.find("river").expect("quotation");
        assert_early_hover_is_full_hover_and(
            &built.analysis,
            &path,
            in_quotation,
            SOURCE_TERMS_TO_COME,
        );
        for elsewhere in [2, text.len()] {
            assert_eq!(built.analysis.early_hover(&path, elsewhere), None);
        }
    }

    #[test]
    fn hover_on_a_citation_key_shows_metadata_and_cited_passage() {
        let built = sample()
            .note(
                "a.md",
                "She writes \"The river rose at dawn\" [see @smi$0th2020, p. 4].",
            )
            .build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        let text = built.text(&path);
        assert_eq!(hover.range, range_of(&text, "smith2020"));
        expect![[r#"
            **@smith2020** — *On Rivers*

            Smith, Jane  
            2020  
            source: [sources/smith2020.md](file:///ws/sources/smith2020.md) · bibliography: [refs.bib](file:///ws/refs.bib)

            ---

            Locator: page 4

            ---

            Cited passage ([sources/smith2020.md:3](file:///ws/sources/smith2020.md#L3)):

            > The river rose at dawn"#]]
        .assert_eq(&hover.markdown);
    }

    #[test]
    fn hover_on_a_second_cited_key_says_where_the_quotation_is() {
        let built = sample()
            .note(
                "a.md",
                "\"The river rose at dawn\" [@smith2020; @doe2019$0].",
            )
            .build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        assert_eq!(hover.range, range_of(&built.text(&path), "doe2019"));
        assert!(
            hover.markdown.ends_with(
                "The quotation cited here is in @smith2020 ([sources/smith2020.md:3](file:///ws/sources/smith2020.md#L3))."
            ),
            "{}",
            hover.markdown
        );
    }

    #[test]
    fn hover_on_the_at_sign_and_on_a_bibliography_only_key() {
        let built = sample().note("a.md", "As $0@nofile argues.").build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        let text = built.text(&path);
        assert_eq!(hover.range, range_of(&text, "nofile"));
        assert!(
            hover.markdown.contains("*Lost Works*"),
            "{}",
            hover.markdown
        );
        assert!(
            hover.markdown.contains("no source text"),
            "{}",
            hover.markdown
        );
    }

    #[test]
    fn hover_on_an_unknown_key_says_so() {
        let built = sample().note("a.md", "See [@nobody$0].").build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        assert_eq!(hover.range, range_of(&built.text(&path), "nobody"));
        assert!(hover.markdown.contains("unknown citation key"));
    }

    #[test]
    fn hover_on_a_verified_quotation_shows_the_source_sentence() {
        let built = sample()
            .note(
                "a.md",
                "Intro.\n\nShe writes \"The river $0rose at dawn\" [@smith2020].",
            )
            .build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        assert_eq!(
            hover.range,
            range_of(&built.text(&path), "\"The river rose at dawn\"")
        );
        expect![[r#"
            **Verified** — found in @smith2020

            exact match, score 1.00 · *On Rivers*

            > **The river rose at dawn** and fell by noon.

            [sources/smith2020.md:3](file:///ws/sources/smith2020.md#L3)"#]]
        .assert_eq(&hover.markdown);
    }

    /// The source's punctuation right after the matched words stays attached to them.
    #[test]
    fn hover_keeps_punctuation_against_the_matched_words() {
        let built = sample()
            .note(
                "a.md",
                "She writes that it \"fell by $0noon\" [@smith2020].",
            )
            .build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        assert!(
            hover.markdown.contains("and **fell by noon**."),
            "{}",
            hover.markdown
        );
    }

    #[test]
    fn hover_on_misattributed_and_missing_quotations_says_why() {
        let built = sample()
            .note(
                "a.md",
                "\"the river rose too slowly\" [@smith2020] and \"no such$0 words\" [@smith2020].",
            )
            .build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        assert_eq!(
            hover.markdown,
            "**Not found** — the quotation is not in @smith2020, nor anywhere else in the corpus."
        );
        let hover = built.analysis.hover(&path, 3).expect("hover");
        assert!(
            hover
                .markdown
                .starts_with("**Misattributed** — not in @smith2020; found in @doe2019"),
            "{}",
            hover.markdown
        );
        assert!(
            hover
                .markdown
                .contains("where **the river rose too slowly**")
        );
    }

    #[test]
    fn hover_inside_a_blockquote_is_about_the_blockquote() {
        let built = sample()
            .note(
                "a.md",
                "Smith:\n\n> The river rose $0at dawn\n> and fell by noon.\n",
            )
            .build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        let text = built.text(&path);
        assert_eq!(
            &text[hover.range.clone()],
            "> The river rose at dawn\n> and fell by noon."
        );
        assert!(
            hover
                .markdown
                .starts_with("**Uncited** — no citation; found in @smith2020")
        );
    }

    #[test]
    fn hover_in_a_source_lists_the_quoting_notes() {
        let built = sample()
            .source("plain", "Words nobody quotes.")
            .note("a.md", "\"The river rose at dawn\" [@smith2020]")
            .build();
        let source = source_path("smith2020");
        let text = built.text(&source);
        let offset = range_of(&text, "rose").start;
        let hover = built.analysis.hover(&source, offset).expect("hover");
        assert_eq!(hover.range, range_of(&text, "The river rose at dawn"));
        expect![[r#"
            **Quoted 1 time**

            - [notes/a.md:1](file:///ws/notes/a.md#L1): “The river rose at dawn” (verified in @smith2020)"#]]
        .assert_eq(&hover.markdown);
        assert_eq!(built.analysis.hover(&source, 1), None);
        assert_eq!(built.analysis.hover(&source_path("plain"), 3), None);
    }

    #[test]
    fn hover_is_total() {
        let built = sample()
            .note("a.md", "\"The river rose at dawn\" [@smith2020]")
            .build();
        let path = note_path("a.md");
        assert_eq!(built.analysis.hover(&path, 10_000), None);
        assert_eq!(built.analysis.hover(Path::new("/elsewhere.md"), 0), None);
        assert_eq!(
            built.analysis.hover(&source_path("smith2020"), 10_000),
            None
        );
        for offset in 0..=built.text(&path).len() {
            let _ = built.analysis.hover(&path, offset);
        }
    }

    #[test]
    fn hover_on_a_cited_claim_shows_the_supporting_passage_and_its_score() {
        let built = Fixture::new()
            .source(
                "osei2022",
                "# Report\n\nThe gauge at Ostmere recorded 38 per cent of the average in 2022. \
                 The Commission met within nine days.\n",
            )
            .note(
                "a.md",
                "In 2022 the Ost$0mere gauge recorded 38 per cent of the average [@osei2022].\n\n\
                 In 2022 the Ostmere gauge recorded 83 per cent of the average [@osei2022].\n",
            )
            .build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        let text = built.text(&path);
        assert_eq!(hover.range.start, 0);
        expect![[r#"
            **Supported claim** — @osei2022 backs it (score 1.00; at least 0.30 needed)

            @osei2022 (score 1.00):

            > The gauge at Ostmere recorded 38 per cent of the average in 2022.

            [sources/osei2022.md:3](file:///ws/sources/osei2022.md#L3)"#]]
        .assert_eq(&hover.markdown);

        let second = range_of(&text, "83 per cent").start;
        let hover = built.analysis.hover(&path, second).expect("hover");
        assert!(
            hover.markdown.starts_with(
                "**Unsupported claim** — no cited source backs it (closest: @osei2022"
            ),
            "{}",
            hover.markdown
        );
        assert!(
            hover.markdown.contains("not in its passages: 83"),
            "{}",
            hover.markdown
        );
    }
}

#[cfg(test)]
mod term_tests {
    use super::super::fixture::{range_of, term_fixture};
    use super::{
        SOURCE_DEFINITIONS_TO_COME, SOURCE_TERMS_TO_COME, assert_early_hover_is_full_hover_and,
    };
    use expect_test::expect;

    #[test]
    fn hover_on_an_acronym_shows_expansion_and_three_excerpts() {
        let built = term_fixture("Then the J$0BC applied the riverbend rule.").build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        assert_eq!(hover.range, range_of(&built.text(&path), "JBC"));
        expect![[r#"
            **JBC** — Joint Basin Commission

            ---

            > The Joint Basin Commission (JBC) met in May.

            @osei2022, *Basin Report* — [sources/osei2022.md:3](file:///ws/sources/osei2022.md#L3)

            ---

            > The JBC shares data weekly.

            @osei2022, *Basin Report* — [sources/osei2022.md:3](file:///ws/sources/osei2022.md#L3)

            ---

            > Later the JBC voted.

            @osei2022, *Basin Report* — [sources/osei2022.md:3](file:///ws/sources/osei2022.md#L3)"#]].assert_eq(&hover.markdown);
    }

    #[test]
    fn hover_on_a_glossary_term_shows_the_glossary_definition() {
        let built = term_fixture("Then the JBC applied the riverbend $0rule.").build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        assert_eq!(hover.range, range_of(&built.text(&path), "riverbend rule"));
        expect![[r#"
            **Riverbend Rule**

            ---

            No state alters the flow alone.

            *Glossary*, [notes/glossary.md:3](file:///ws/notes/glossary.md#L3)"#]]
        .assert_eq(&hover.markdown);
        // Before the sources' terms are mined: the same, saying that their definitions are to
        // come. A term only the sources define waits for them.
        assert_early_hover_is_full_hover_and(
            &built.analysis,
            &path,
            offset,
            SOURCE_DEFINITIONS_TO_COME,
        );
        let text = built.text(&path);
        let at = |needle: &str| text.find(needle).expect("in the note");
        assert_eq!(built.analysis.early_hover(&path, at("JBC")), None);
        // Elsewhere in the sentence, an uncited claim: its hover, with a line saying that the
        // sources' terms are to come.
        let claim = built
            .analysis
            .hover(&path, at("Then"))
            .expect("the claim's hover");
        assert!(claim.markdown.starts_with("**Uncited claim**"));
        assert_early_hover_is_full_hover_and(
            &built.analysis,
            &path,
            at("Then"),
            SOURCE_TERMS_TO_COME,
        );
    }

    #[test]
    fn a_term_inside_a_quotation_wins_over_the_quotation() {
        let built = term_fixture("\"Later the J$0BC voted\" [@osei2022]").build();
        let (path, offset) = built.cursor();
        let hover = built.analysis.hover(&path, offset).expect("hover");
        assert_eq!(hover.range, range_of(&built.text(&path), "JBC"));
        let hover = built.analysis.hover(&path, 2).expect("hover");
        assert!(
            hover.markdown.starts_with("**Verified**"),
            "{}",
            hover.markdown
        );
    }
}

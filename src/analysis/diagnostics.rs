//! A note's diagnostics: unknown citation keys, slips in its syntax (unclosed quote marks and
//! citation brackets, invalid frontmatter), and what became of each quotation (not found,
//! misattributed, inexact, uncited), worded for a writer, with the source location as related
//! information and the data a quick fix needs. Settings apply here: `off` codes are dropped,
//! severities overridden, short quotations never reported.

use std::path::Path;

use super::claims::{self, Claim, Support, Verdict};
use super::matcher::{EditKind, MatchKind};
use super::resolve::{QuoteMatch, QuoteResolution, QuoteStatus, cited_keys};
use crate::ByteRange;
use crate::corpus::{Corpus, Source};
use crate::diagnostic::{Diagnostic, DiagnosticCode, FixData, Related};
use crate::notes::{Note, Quotation, QuotationKind, SyntaxProblemKind};
use crate::workspace::CheckSettings;

/// Everything the diagnostics of one note are computed from.
pub struct NoteContext<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub note: &'a Note,
    pub resolutions: &'a [QuoteResolution],
    pub claims: &'a [Claim],
    pub corpus: &'a Corpus,
    pub settings: &'a CheckSettings,
}

/// Computes the diagnostics of one note, settings applied, sorted by position.
pub fn note_diagnostics(cx: &NoteContext<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    unknown_keys(cx, &mut out);
    syntax_problems(cx, &mut out);
    for (quotation, resolution) in cx.note.quotations.iter().zip(cx.resolutions) {
        if quotation.ignored || quotation.word_count < cx.settings.min_quote_words {
            continue;
        }
        if let Some(diagnostic) = quote_diagnostic(cx, quotation, resolution) {
            out.push(diagnostic);
        }
    }
    for claim in cx.claims {
        out.extend(claim_diagnostic(cx, claim));
    }
    let mut out: Vec<Diagnostic> = out
        .into_iter()
        .filter_map(|mut d| {
            d.severity = cx.settings.severity_of(d.code)?;
            Some(d)
        })
        .collect();
    out.sort_by_key(|d| (d.range.start, d.range.end, d.code));
    out
}

fn in_ignored_block(note: &Note, offset: usize) -> bool {
    note.blocks.iter().any(|b| {
        b.ignored && b.range.start <= offset && offset < b.range.end.max(b.range.start + 1)
    })
}

fn unknown_keys(cx: &NoteContext<'_>, out: &mut Vec<Diagnostic>) {
    for citation in &cx.note.citations {
        if in_ignored_block(cx.note, citation.range.start) {
            continue;
        }
        for item in &citation.items {
            if cx.corpus.is_known_key(&item.key) {
                continue;
            }
            let suggestion = closest_key(cx.corpus, &item.key);
            let mut message = format!(
                "unknown citation key `@{}`: no source or bibliography entry has it",
                item.key
            );
            if let Some(s) = &suggestion {
                message.push_str(&format!("; did you mean `@{s}`?"));
            }
            let mut d = Diagnostic::new(
                DiagnosticCode::UnknownSource,
                cx.path.to_path_buf(),
                item.key_range.clone(),
                message,
            );
            d.fixes
                .extend(suggestion.map(|key| FixData::ChangeCitation {
                    key,
                    key_ranges: vec![item.key_range.clone()],
                }));
            out.push(d);
        }
    }
}

/// Slips in the note's syntax: unclosed quote marks and citation brackets, invalid frontmatter.
fn syntax_problems(cx: &NoteContext<'_>, out: &mut Vec<Diagnostic>) {
    for problem in &cx.note.problems {
        if in_ignored_block(cx.note, problem.range.start) {
            continue;
        }
        let code = match problem.kind {
            SyntaxProblemKind::UnclosedQuote => DiagnosticCode::UnclosedQuote,
            SyntaxProblemKind::UnclosedCitation => DiagnosticCode::UnclosedCitation,
            SyntaxProblemKind::InvalidFrontmatter => DiagnosticCode::InvalidFrontmatter,
            SyntaxProblemKind::UnparsedMarkdown => DiagnosticCode::UnparsedMarkdown,
        };
        out.push(Diagnostic::new(
            code,
            cx.path.to_path_buf(),
            problem.range.clone(),
            problem.message.clone(),
        ));
    }
}

/// The known key closest to a mistyped one, if it is close enough to be a typo.
fn closest_key(corpus: &Corpus, key: &str) -> Option<String> {
    let lower = key.to_lowercase();
    corpus
        .keys()
        .into_iter()
        .map(|k| (strsim::levenshtein(&lower, &k.to_lowercase()), k))
        .filter(|(distance, k)| *distance <= 2.max(k.len() / 5))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k.to_string())
}

fn quote_diagnostic(
    cx: &NoteContext<'_>,
    quotation: &Quotation,
    resolution: &QuoteResolution,
) -> Option<Diagnostic> {
    let path = cx.path.to_path_buf();
    let range = quotation.range.clone();
    let cited = cited_keys(cx.note, quotation);
    let cited_list = cited
        .iter()
        .map(|k| format!("@{k}"))
        .collect::<Vec<_>>()
        .join(", ");
    match resolution.status {
        QuoteStatus::Verified | QuoteStatus::Unchecked => None,
        QuoteStatus::NotFound => {
            let message = if cited.is_empty() {
                "quotation not found in any source".to_string()
            } else {
                format!("quotation not found in {cited_list}, nor anywhere else in the corpus")
            };
            Some(Diagnostic::new(
                DiagnosticCode::QuoteNotFound,
                path,
                range,
                message,
            ))
        }
        QuoteStatus::Misattributed => {
            let found = resolution.found.as_ref()?;
            let source = cx.corpus.source(&found.key)?;
            let how = if found.kind == MatchKind::Approximate {
                " (approximately)"
            } else {
                ""
            };
            let message = format!(
                "quotation is not in {cited_list}; it is in @{}{}{how}",
                found.key,
                title_suffix(source)
            );
            let key_ranges: Vec<ByteRange> = quotation
                .citations
                .iter()
                .filter_map(|&i| cx.note.citations.get(i))
                .flat_map(|c| c.items.iter())
                .map(|item| item.key_range.clone())
                .take(1)
                .collect();
            let mut d = Diagnostic::new(DiagnosticCode::QuoteMisattributed, path, range, message)
                .with_related(related_for(found, source, "the quotation is here"));
            d.fixes.push(FixData::ChangeCitation {
                key: found.key.clone(),
                key_ranges,
            });
            Some(d)
        }
        QuoteStatus::Inexact => {
            let found = resolution.found.as_ref()?;
            let source = cx.corpus.source(&found.key)?;
            let words = source_words(source, &found.range);
            let mut message = format!(
                "quotation differs from @{}: the source reads “{}”",
                found.key,
                ellipsize(&words, 300)
            );
            let changes = describe_edits(found, source);
            if !changes.is_empty() {
                message.push_str(&format!(" ({changes})"));
            }
            let mut d = Diagnostic::new(DiagnosticCode::QuoteInexact, path, range, message)
                .with_related(related_for(found, source, "the source's words"));
            if found.segments.len() <= 1 && quotation.kind == QuotationKind::Inline {
                d.fixes.push(FixData::ReplaceQuote {
                    range: quotation.content.clone(),
                    replacement: nest_quote_marks(&words),
                });
            }
            Some(d)
        }
        QuoteStatus::Uncited => {
            let found = resolution.found.as_ref()?;
            let source = cx.corpus.source(&found.key)?;
            let message = format!(
                "quotation has no citation; it is from @{}{}",
                found.key,
                title_suffix(source)
            );
            let mut d = Diagnostic::new(DiagnosticCode::UncitedQuote, path, range, message)
                .with_related(related_for(found, source, "the quotation is here"));
            let offset = citation_insertion_point(cx.text, quotation);
            d.fixes.push(FixData::InsertCitation {
                key: found.key.clone(),
                offset,
                text: format!(" [@{}]", found.key),
            });
            Some(d)
        }
    }
}

/// Where `[@key]` goes for an uncited quotation: right after the closing quote mark, or at the
/// end of a blockquote's last line.
fn citation_insertion_point(text: &str, quotation: &Quotation) -> usize {
    let end = quotation.range.end.min(text.len());
    match quotation.kind {
        QuotationKind::Inline => end,
        QuotationKind::Block => text[..end].trim_end().len(),
    }
}

fn related_for(found: &QuoteMatch, source: &Source, what: &str) -> Related {
    Related {
        path: source.path.clone(),
        range: found.range.clone(),
        message: format!("{what} (@{})", found.key),
    }
}

fn title_suffix(source: &Source) -> String {
    match &source.meta.title {
        Some(title) => format!(" ({title})"),
        None => String::new(),
    }
}

/// The source's words for an original range: markup stripped, whitespace collapsed.
pub fn source_words(source: &Source, range: &ByteRange) -> String {
    let start = source.clean.from_original(range.start);
    let end = source.clean.from_original(range.end).max(start);
    let words = source
        .clean
        .text
        .get(start..end)
        .unwrap_or_default()
        .trim()
        .to_string();
    // Mapped from the cache: the pages read for one diagnostic are given back with the others.
    source.release_pages();
    words
}

/// Double quote marks inside quoted words become single ones, so the words can stand inside
/// a double-quoted quotation.
fn nest_quote_marks(words: &str) -> String {
    let mut out = String::with_capacity(words.len());
    let mut open = true;
    for ch in words.chars() {
        match ch {
            '“' => out.push('‘'),
            '”' => out.push('’'),
            '"' => {
                out.push(if open { '‘' } else { '’' });
                open = !open;
            }
            _ => out.push(ch),
        }
    }
    out
}

fn ellipsize(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    format!("{}…", cut.trim_end())
}

/// "“rose” where the source has “fell”; a number changed: “12” where the source has “21”".
fn describe_edits(found: &QuoteMatch, source: &Source) -> String {
    let mut parts = Vec::new();
    for edit in found.edits.iter().take(4) {
        let source_word = source
            .text
            .get(edit.source_range.clone())
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| edit.source_word.clone());
        let critical = if edit.critical {
            if edit.quote_word.chars().any(|c| c.is_ascii_digit())
                || source_word.chars().any(|c| c.is_ascii_digit())
            {
                "a number changed: "
            } else {
                "a negation changed: "
            }
        } else {
            ""
        };
        let part = match edit.kind {
            EditKind::Substituted => format!(
                "{critical}“{}” where the source has “{source_word}”",
                edit.quote_word
            ),
            EditKind::Inserted => format!("{critical}“{}” is not in the source", edit.quote_word),
            EditKind::Omitted => {
                format!("{critical}the source's “{source_word}” is left out")
            }
        };
        parts.push(part);
    }
    if found.edits.len() > 4 {
        parts.push(format!("{} more differences", found.edits.len() - 4));
    }
    parts.join("; ")
}

/// How many sources a claim's message and fixes suggest.
const SUGGESTED_SOURCES: usize = 3;

/// `uncited-claim` or `unsupported-claim` for a claim, with the closest passage as related
/// information and fixes: cite the sources that back it, or mark it as the writer's own view.
fn claim_diagnostic(cx: &NoteContext<'_>, claim: &Claim) -> Option<Diagnostic> {
    let path = cx.path.to_path_buf();
    let why: Vec<&str> = claim
        .worthiness
        .signals
        .iter()
        .filter(|s| s.weight() > 0.0)
        .map(|s| s.describe())
        .fold(Vec::new(), |mut seen, d| {
            if !seen.contains(&d) {
                seen.push(d);
            }
            seen
        });
    let (code, message, backing, related) = match claim.verdict.as_ref() {
        Verdict::Supported { .. } | Verdict::Unchecked => return None,
        Verdict::Uncited { backing } => {
            let mut message = format!(
                "this sentence states a fact ({}) but cites no source",
                why.join(", ")
            );
            if let Some(best) = backing.first() {
                message.push_str(&format!(
                    "; @{} backs it{}",
                    best.key,
                    match cx.corpus.sources.get(best.source) {
                        Some(source) => title_suffix(source),
                        None => String::new(),
                    }
                ));
            }
            let related = backing
                .first()
                .and_then(|best| passage_related(cx, best, "a passage that backs it"));
            (DiagnosticCode::UncitedClaim, message, backing, related)
        }
        Verdict::Unsupported { cited, elsewhere } => {
            let cited_list = claim
                .cited
                .iter()
                .map(|k| format!("@{k}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut message = format!("{cited_list} does not support this claim");
            if let Some(best) = cited.first() {
                message.push_str(": ");
                message.push_str(&reasons(best, cx.settings.claim_strictness));
            }
            if let Some(other) = elsewhere.first() {
                message.push_str(&format!("; @{} does", other.key));
            }
            let related = cited
                .first()
                .and_then(|best| passage_related(cx, best, "the closest passage"));
            (
                DiagnosticCode::UnsupportedClaim,
                message,
                elsewhere,
                related,
            )
        }
    };
    let mut d = Diagnostic::new(code, path, claim.sentence.clone(), message);
    d.related.extend(related);
    if let (Verdict::Unsupported { .. }, Some(other)) = (claim.verdict.as_ref(), backing.first()) {
        d.related
            .extend(passage_related(cx, other, "this passage backs it"));
    }
    let point = claims::citation_point(cx.text, &claim.sentence);
    for support in backing.iter().take(SUGGESTED_SOURCES) {
        d.fixes.push(FixData::InsertCitation {
            key: support.key.clone(),
            offset: point,
            text: format!(" [@{}]", support.key),
        });
    }
    d.fixes.push(FixData::MarkOwnView {
        offset: claim.sentence.end.min(cx.text.len()),
        text: format!(" {}", claims::OWN_VIEW_MARK),
    });
    Some(d)
}

/// Why a source does not back a claim (at `threshold`), in words.
fn reasons(support: &Support, threshold: f32) -> String {
    let mut parts = Vec::new();
    if !support.missing_numbers.is_empty() {
        parts.push(format!(
            "{} appear{} in none of its passages on this",
            support.missing_numbers.join(", "),
            if support.missing_numbers.len() == 1 {
                "s"
            } else {
                ""
            }
        ));
    }
    if !support.missing_names.is_empty() {
        parts.push(format!(
            "its passages on this do not name {}",
            support.missing_names.join(", ")
        ));
    }
    if parts.is_empty() || support.score < threshold {
        parts.push(format!(
            "its closest passage shares {:.0}% of the claim's content words",
            support.score * 100.0
        ));
    }
    parts.join("; ")
}

fn passage_related(cx: &NoteContext<'_>, support: &Support, what: &str) -> Option<Related> {
    let source = cx.corpus.sources.get(support.source)?;
    let range = support.original_range()?;
    Some(Related {
        path: source.path.clone(),
        range,
        message: format!("{what} (@{}, score {:.2})", support.key, support.score),
    })
}

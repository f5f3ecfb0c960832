//! Human output, like rustc or ruff: `error[code]: message`, the note's line with a caret, then
//! the related source excerpt; a summary line at the end. Colour only when asked or on a terminal.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use rayon::prelude::*;

use super::json::{Files, relative};
use crate::ByteRange;
use crate::analysis::Analysis;
use crate::diagnostic::{Diagnostic, Severity};
use crate::text::LineIndex;

/// The lines of `text` that `range` touches, as (1-based first line, byte range of those lines).
fn excerpt(text: &str, index: &LineIndex, range: &ByteRange) -> (usize, ByteRange) {
    let start = index.line_col(text, range.start, crate::text::ColumnEncoding::Utf8);
    let end = index.line_col(text, range.end, crate::text::ColumnEncoding::Utf8);
    let first = index
        .line_range(text, start.line as usize)
        .map_or(0, |r| r.start);
    let last = index
        .line_range(text, end.line as usize)
        .map_or(text.len(), |r| r.end);
    // A line may be megabytes long (a one-line paragraph, a minified file): show a window around
    // the range rather than the whole line, for each of possibly thousands of diagnostics. Only
    // then: the renderer counts the header's column from the window's start.
    if last - first <= LONG_LINE {
        return (start.line as usize + 1, first..last.max(first));
    }
    let first = first.max(crate::text::floor_char_boundary(
        text,
        range.start.saturating_sub(EXCERPT_CONTEXT),
    ));
    let window_end = range
        .end
        .min(range.start.saturating_add(EXCERPT_MAX))
        .saturating_add(EXCERPT_CONTEXT);
    let last = last.min(crate::text::ceil_char_boundary(text, window_end));
    (start.line as usize + 1, first..last.max(first))
}

/// Lines up to this many bytes are shown whole.
const LONG_LINE: usize = 8192;
/// Bytes of context kept on each side of a range in an excerpt of a long line.
const EXCERPT_CONTEXT: usize = 240;
/// At most this many bytes of the range itself are shown.
const EXCERPT_MAX: usize = 4096;

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Information => Level::INFO,
        Severity::Hint => Level::HELP,
    }
}

pub(crate) fn render(analysis: &Analysis, diagnostics: &[Diagnostic], color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let files = Files::of(analysis, diagnostics);
    // Each diagnostic on its own, side by side, then in order: a thousand of them, one after
    // the other, kept a core busy at the end of a check while the other waited.
    let rendered: Vec<String> = diagnostics
        .par_iter()
        .map(|d| render_one(&renderer, &files, analysis, d))
        .collect();
    let mut out = String::with_capacity(rendered.iter().map(|r| r.len() + 2).sum::<usize>() + 128);
    for diagnostic in rendered {
        out.push_str(&diagnostic);
        out.push_str("\n\n");
    }
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    let notes = analysis.notes().count();
    let sources = analysis.corpus().sources.len();
    out.push_str(&format!(
        "checked {notes} note{} against {sources} source{}: {} error{}, {} warning{}, {} other\n",
        plural(notes),
        plural(sources),
        count(Severity::Error),
        plural(count(Severity::Error)),
        count(Severity::Warning),
        plural(count(Severity::Warning)),
        count(Severity::Information) + count(Severity::Hint),
    ));
    out
}

/// One diagnostic: its title and the note's line, then each related location's.
fn render_one(renderer: &Renderer, files: &Files, analysis: &Analysis, d: &Diagnostic) -> String {
    let path = relative(analysis, &d.path);
    let title = level(d.severity)
        .primary_title(d.message.as_str())
        .id(d.code.as_str());
    let note_excerpt = files.read(analysis, &d.path, |text, index| {
        let (line, lines) = excerpt(text, index, &d.range);
        let span = d.range.start.saturating_sub(lines.start)
            ..d.range.end.min(lines.end).saturating_sub(lines.start);
        (text.get(lines).unwrap_or_default().to_string(), line, span)
    });
    let group = match &note_excerpt {
        Some((source, line, span)) => title.element(
            Snippet::source(source.as_str())
                .line_start(*line)
                .path(path.as_str())
                .annotation(AnnotationKind::Primary.span(span.clone())),
        ),
        None => Group::with_title(title),
    };
    let related: Vec<(String, String, usize, ByteRange)> = d
        .related
        .iter()
        .filter_map(|r| {
            files
                .read(analysis, &r.path, |text, index| {
                    let (line, lines) = excerpt(text, index, &r.range);
                    let span = r.range.start.saturating_sub(lines.start)
                        ..r.range.end.min(lines.end).saturating_sub(lines.start);
                    let source = text.get(lines)?.to_string();
                    Some((relative(analysis, &r.path), source, line, span))
                })
                .flatten()
        })
        .collect();
    let mut report = vec![group];
    for ((rel_path, source, line, span), r) in related.iter().zip(&d.related) {
        report.push(
            Group::with_title(Level::NOTE.secondary_title(r.message.as_str())).element(
                Snippet::source(source.as_str())
                    .line_start(*line)
                    .path(rel_path.as_str())
                    .annotation(AnnotationKind::Context.span(span.clone())),
            ),
        );
    }
    renderer.render(&report)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

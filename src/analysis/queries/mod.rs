//! Queries over a snapshot: the result types the LSP shell converts, and their implementations
//! (hover, definition, references, completion, fixes, symbols, quoted passages), one module per
//! feature. Every query takes paths and byte offsets and is total: an unknown path or an offset
//! past the end of the text gives an empty answer, never a panic.

mod completion;
mod definition;
mod fixes;
mod hover;
mod passages;
mod references;
mod symbols;

#[cfg(test)]
pub(crate) mod fixture;

use std::path::{Path, PathBuf};

use super::Analysis;
use super::NoteAnalysis;
use super::resolve::QuoteStatus;
use super::terms::{TermInfo, TermOccurrence};
use crate::ByteRange;
use crate::corpus::Source;
use crate::notes::{CitationItem, Quotation, QuotePiece};

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub range: ByteRange,
}

/// Hover content (Markdown) and the range it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Hover {
    pub range: ByteRange,
    pub markdown: String,
}

/// A completion candidate: a citation key.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub label: String,
    /// Authors and title on one line.
    pub detail: String,
    /// Markdown.
    pub documentation: String,
    /// The range the completion replaces (the partial key typed so far).
    pub replace: ByteRange,
}

/// A text edit in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    pub path: PathBuf,
    pub range: ByteRange,
    pub new_text: String,
}

/// A quick fix.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<FileEdit>,
    /// Index of the diagnostic (in `Analysis::diagnostics(path)`) it fixes.
    pub diagnostic: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Heading,
    Term,
    Quotation,
    Source,
}

/// A document or workspace symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub location: Location,
    /// The part to highlight (the name), within `location.range`.
    pub selection: ByteRange,
}

/// A passage of a source that notes quote.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotedPassage {
    pub range: ByteRange,
    /// Each quoting note and the quotation's range there.
    pub quoted_by: Vec<Location>,
}

impl Analysis {
    /// Hover at `offset` in `path` (a note): term, citation or quotation; in a source: the notes
    /// quoting the passage under the cursor.
    pub fn hover(&self, path: &Path, offset: usize) -> Option<Hover> {
        hover::hover(self, path, offset)
    }

    /// `hover` as far as it can be answered while the sources' terms are still being mined: on
    /// a citation key in a note, on a term of the notes' glossary (saying that the sources'
    /// definitions are to come), on a quotation or a claim (saying that the sources' terms are
    /// to come); `None` elsewhere.
    pub fn early_hover(&self, path: &Path, offset: usize) -> Option<Hover> {
        hover::early_hover_at(self, path, offset)
    }

    /// Go-to-source: quotation → the matched source range; citation key → the source (or the
    /// attached quotation's passage); term → glossary entry or best defining sentence.
    pub fn definition(&self, path: &Path, offset: usize) -> Vec<Location> {
        definition::definition(self, path, offset)
    }

    /// Citation key → every citation of it; term → its uses; in a source → the quotations whose
    /// match covers `offset`.
    pub fn references(&self, path: &Path, offset: usize) -> Vec<Location> {
        references::references(self, path, offset)
    }

    /// Citation keys after `@` in a citation context.
    pub fn completion(&self, path: &Path, offset: usize) -> Vec<Completion> {
        completion::completion(self, path, offset)
    }

    /// Quick fixes for the diagnostics of `path` overlapping `range`.
    pub fn fixes(&self, path: &Path, range: crate::ByteRange) -> Vec<Fix> {
        fixes::fixes(self, path, range)
    }

    /// Headings, glossary terms and quotations (with their status) of a note.
    pub fn document_symbols(&self, path: &Path) -> Vec<Symbol> {
        symbols::document_symbols(self, path)
    }

    /// Sources (by key and title) and terms matching `query` (case-insensitive substring).
    pub fn workspace_symbols(&self, query: &str) -> Vec<Symbol> {
        symbols::workspace_symbols(self, query)
    }

    /// The passages of the source at `path` that notes quote (for code lenses).
    pub fn quoted_passages(&self, path: &Path) -> Vec<QuotedPassage> {
        passages::quoted_passages(self, path)
    }
}

// ---------------------------------------------------------------------------------------------
// What the cursor is on.

/// Whether a cursor at `offset` touches `range` (either edge included, as editors place the
/// cursor between characters).
pub(crate) fn touches(range: &ByteRange, offset: usize) -> bool {
    range.start <= offset && offset <= range.end
}

/// Whether two ranges share a byte, or an empty one sits inside or at the edge of the other.
pub(crate) fn overlaps(a: &ByteRange, b: &ByteRange) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// A note and `offset` checked against its text.
pub(crate) fn note_at<'a>(
    analysis: &'a Analysis,
    path: &Path,
    offset: usize,
) -> Option<&'a NoteAnalysis> {
    let note = analysis.note(path)?;
    (offset <= note.text.len()).then_some(note.as_ref())
}

/// The citation item whose key (with its `@`, and the braces of `@{key}`) the cursor is on:
/// `(index into Note::citations, item)`.
pub(crate) fn citation_key_at(
    note: &NoteAnalysis,
    offset: usize,
) -> Option<(usize, &CitationItem)> {
    note.note
        .citations
        .iter()
        .enumerate()
        .filter(|(_, c)| touches(&c.range, offset))
        .flat_map(|(i, c)| c.items.iter().map(move |item| (i, item)))
        .find(|(_, item)| touches(&key_hit_zone(&note.text, item), offset))
}

/// From the `@` before a key (and an opening brace) to the end of the key (and a closing brace).
fn key_hit_zone(text: &str, item: &CitationItem) -> ByteRange {
    let bytes = text.as_bytes();
    let mut start = item.key_range.start;
    let mut end = item.key_range.end;
    if start > 0 && bytes.get(start - 1) == Some(&b'{') {
        start -= 1;
        if bytes.get(end) == Some(&b'}') {
            end += 1;
        }
    }
    if start > 0 && bytes.get(start - 1) == Some(&b'@') {
        start -= 1;
    }
    start..end
}

/// The term occurrence the cursor is on, with what is known about the term.
pub(crate) fn term_at<'a>(
    analysis: &'a Analysis,
    text: &str,
    offset: usize,
) -> Option<(TermOccurrence, &'a TermInfo)> {
    term_occurrences(analysis, text)
        .into_iter()
        .filter(|o| touches(&o.range, offset))
        .find_map(|o| {
            let info = analysis.terms.terms.get(o.term)?;
            Some((o, info))
        })
}

/// Every known term used in `text` (nothing to search for when no term is known).
pub(crate) fn term_occurrences(analysis: &Analysis, text: &str) -> Vec<TermOccurrence> {
    if analysis.terms.terms.is_empty() {
        return Vec::new();
    }
    analysis.terms.occurrences(text)
}

/// The index (into `Note::quotations`) of the innermost quotation containing `offset`.
pub(crate) fn quotation_index_at(note: &NoteAnalysis, offset: usize) -> Option<usize> {
    note.note
        .quotations
        .iter()
        .enumerate()
        .filter(|(_, q)| q.range.start <= offset && offset < q.range.end)
        .min_by_key(|(_, q)| q.range.len())
        .map(|(i, _)| i)
}

// ---------------------------------------------------------------------------------------------
// Metadata of a citation key, merged from the source file and the bibliography entry.

/// What is known about a citation key.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyMeta {
    pub key: String,
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub date: Option<String>,
    pub container: Option<String>,
    pub url: Option<String>,
    pub source_path: Option<PathBuf>,
    pub bib: Option<(PathBuf, ByteRange)>,
}

/// The source's metadata, completed from its bibliography entry; `None` for an unknown key.
pub(crate) fn key_meta(analysis: &Analysis, key: &str) -> Option<KeyMeta> {
    let source = analysis.corpus.source(key);
    let entry = analysis.corpus.entry(key);
    if source.is_none() && entry.is_none() {
        return None;
    }
    let mut meta = KeyMeta {
        key: key.to_string(),
        ..KeyMeta::default()
    };
    if let Some(source) = source {
        let m = &source.meta;
        meta.title = m.title.clone();
        meta.authors = m.authors.clone();
        meta.date = m.date.clone();
        meta.container = m.container.clone();
        meta.url = m.url.clone();
        meta.bib = m.bib.clone();
        meta.source_path = Some(source.path.clone());
    }
    if let Some(entry) = entry {
        meta.title = meta.title.or_else(|| entry.title.clone());
        if meta.authors.is_empty() {
            meta.authors = entry.authors.clone();
        }
        meta.date = meta.date.or_else(|| entry.date.clone());
        meta.container = meta.container.or_else(|| entry.container.clone());
        meta.url = meta.url.or_else(|| entry.url.clone());
        if meta.bib.is_none() {
            meta.bib = Some((entry.bib_path.clone(), entry.range.clone()));
        }
    }
    Some(meta)
}

impl KeyMeta {
    /// "Smith & Doe — Title (2020)": authors' family names, title, date; parts that are unknown
    /// are left out.
    pub fn one_line(&self) -> String {
        let mut line = String::new();
        let authors = short_authors(&self.authors);
        if !authors.is_empty() {
            line.push_str(&authors);
            line.push_str(" — ");
        }
        line.push_str(self.title.as_deref().unwrap_or(&self.key));
        if let Some(date) = &self.date {
            line.push_str(&format!(" ({date})"));
        }
        line
    }

    /// Markdown: title, authors, date, container, URL, and where the key comes from.
    pub fn markdown(&self, analysis: &Analysis) -> String {
        let mut out = format!("**@{}**", escape_markdown(&self.key));
        if let Some(title) = &self.title {
            out.push_str(&format!(" — *{}*", escape_markdown(title)));
        }
        out.push_str("\n\n");
        let mut lines = Vec::new();
        if !self.authors.is_empty() {
            lines.push(escape_markdown(&self.authors.join("; ")));
        }
        let mut published = Vec::new();
        if let Some(container) = &self.container {
            published.push(format!("*{}*", escape_markdown(container)));
        }
        if let Some(date) = &self.date {
            published.push(escape_markdown(date));
        }
        if !published.is_empty() {
            lines.push(published.join(", "));
        }
        if let Some(url) = &self.url {
            lines.push(format!("<{url}>"));
        }
        let mut files = Vec::new();
        if let Some(path) = &self.source_path {
            files.push(format!("source: {}", file_link(analysis, path, None)));
        } else {
            files.push("no source text".to_string());
        }
        if let Some((bib, range)) = &self.bib {
            files.push(format!(
                "bibliography: {}",
                file_link(analysis, bib, Some(range.start))
            ));
        }
        lines.push(files.join(" · "));
        out.push_str(&lines.join("  \n"));
        out
    }
}

/// Family names: "Smith", "Smith & Doe", "Smith et al.".
pub(crate) fn short_authors(authors: &[String]) -> String {
    let family = |name: &String| -> String {
        match name.split_once(',') {
            Some((family, _)) => family.trim().to_string(),
            None => name
                .split_whitespace()
                .last()
                .unwrap_or_default()
                .to_string(),
        }
    };
    match authors {
        [] => String::new(),
        [one] => family(one),
        [a, b] => format!("{} & {}", family(a), family(b)),
        [first, ..] => format!("{} et al.", family(first)),
    }
}

// ---------------------------------------------------------------------------------------------
// Text for display.

/// A source's words for `range` of its original text, for reading: markup stripped and
/// whitespace collapsed (through the source's clean projection when it has one).
pub(crate) fn source_words(source: &Source, range: &ByteRange) -> String {
    if !source.clean.text.is_empty() {
        let words = super::diagnostics::source_words(source, range);
        if !words.is_empty() {
            return words;
        }
    }
    display_text(source.text.get(range.clone()).unwrap_or_default())
}

/// Strips the commonest Markdown markup from a stretch of text and collapses whitespace.
pub(crate) fn display_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.trim_start();
        let line = line.trim_start_matches(['>', '#']).trim_start();
        for word in line.split_whitespace() {
            let word = word.replace("**", "").replace('*', "");
            if word.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&word);
        }
    }
    out
}

/// The sentence (or sentences) of `text` around `range`: from after the previous sentence end
/// or paragraph break to the next one, at most a few hundred bytes either side.
pub(crate) fn surrounding_sentence(text: &str, range: &ByteRange) -> ByteRange {
    const REACH: usize = 400;
    let start = range.start.min(text.len());
    let end = range.end.clamp(start, text.len());
    let bytes = text.as_bytes();
    let is_end_mark = |b: u8| matches!(b, b'.' | b'?' | b'!');
    let mut s = start;
    while s > 0 && start - s < REACH {
        let prev = bytes.get(s - 1).copied().unwrap_or(b' ');
        let before = if s >= 2 {
            bytes.get(s - 2).copied()
        } else {
            None
        };
        if prev == b'\n' && matches!(before, Some(b'\n') | None) {
            break;
        }
        if prev.is_ascii_whitespace() && before.is_some_and(is_end_mark) {
            break;
        }
        s -= 1;
    }
    let mut e = end;
    while e < text.len() && e - end < REACH {
        let b = bytes.get(e).copied().unwrap_or(b' ');
        if b == b'\n' && bytes.get(e + 1) == Some(&b'\n') {
            break;
        }
        if is_end_mark(b) && bytes.get(e + 1).is_none_or(|n| n.is_ascii_whitespace()) {
            e += 1;
            break;
        }
        e += 1;
    }
    let s = crate::text::floor_char_boundary(text, s);
    let mut e = e.min(text.len());
    while !text.is_char_boundary(e) {
        e += 1;
    }
    s..e
}

/// Backslash-escapes the characters that would turn plain text into Markdown markup.
pub(crate) fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(
            ch,
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// At most `max_chars` characters, cut at a word boundary, with `…` when cut.
pub(crate) fn ellipsize(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > 0 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

/// The first `n` words of a quotation's quoted text (its `Text` pieces), `…` when there are more.
pub(crate) fn first_words(quotation: &Quotation, n: usize) -> String {
    let words: Vec<&str> = quotation
        .pieces
        .iter()
        .filter_map(|p| match p {
            QuotePiece::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .flat_map(str::split_whitespace)
        .collect();
    let mut name = words.iter().take(n).copied().collect::<Vec<_>>().join(" ");
    if words.len() > n {
        name.push('…');
    }
    name
}

/// What became of a quotation, in a few words: "verified in @key", "not found"...
pub(crate) fn status_phrase(status: QuoteStatus, found_key: Option<&str>) -> String {
    let at = |what: &str| match found_key {
        Some(key) => format!("{what} @{key}"),
        None => what.trim_end_matches(" in").to_string(),
    };
    match status {
        QuoteStatus::Verified => at("verified in"),
        QuoteStatus::Inexact => at("inexact: differs from"),
        QuoteStatus::Misattributed => at("misattributed: found in"),
        QuoteStatus::Uncited => at("uncited: found in"),
        QuoteStatus::NotFound => "not found in any source".to_string(),
        QuoteStatus::Unchecked => "not checked".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Links.

/// A Markdown link to `path` (shown relative to the workspace root), at the line of `offset` when
/// the snapshot has the file's text (notes and sources; not bibliography files).
pub(crate) fn file_link(analysis: &Analysis, path: &Path, offset: Option<usize>) -> String {
    let shown = analysis.workspace.relative(path).display().to_string();
    let line = offset.and_then(|offset| {
        let text = analysis.file_text(path)?;
        Some(line_number(&text, offset))
    });
    let label = match line {
        Some(line) => format!("{shown}:{line}"),
        None => shown,
    };
    format!("[{}]({})", escape_markdown(&label), file_uri(path, line))
}

/// The 1-based line of `offset` in `text`.
pub(crate) fn line_number(text: &str, offset: usize) -> usize {
    crate::text::line_of(text, offset) + 1
}

/// `file:///abs/path#L12`: the path percent-encoded, with a 1-based line fragment when given.
pub(crate) fn file_uri(path: &Path, line: Option<usize>) -> String {
    let raw = path.to_string_lossy().replace('\\', "/");
    let mut uri = String::from("file://");
    if !raw.starts_with('/') {
        uri.push('/');
    }
    for byte in raw.bytes() {
        let keep = byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'-' | b'_' | b'.' | b'~');
        let windows_drive_colon = byte == b':' && uri.len() <= 10;
        if keep || windows_drive_colon {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    if let Some(line) = line {
        uri.push_str(&format!("#L{line}"));
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::fixture::{Fixture, note_path, source_path};
    use super::*;

    /// Every query at every offset (char boundaries or not) of a note and a source with
    /// multi-byte text answers without panicking.
    #[test]
    fn every_query_is_total() {
        let built = Fixture::new()
            .source("café2020", "# Été\n\nLe café — «fort» était bon. Naïve words here.\n")
            .note(
                "a.md",
                "---\ntitle: é\n---\n# Título\n\n“Le café — «fort» était bon” [@café2020, p. 3; @zz].\n\n> Naïve words here\n\nMail é@x and [@caf",
            )
            .build();
        let analysis = &built.analysis;
        for path in [note_path("a.md"), source_path("café2020")] {
            let len = built.text(&path).len();
            for offset in 0..len + 3 {
                let _ = analysis.hover(&path, offset);
                let _ = analysis.definition(&path, offset);
                let _ = analysis.references(&path, offset);
                let _ = analysis.completion(&path, offset);
                let _ = analysis.fixes(&path, offset..offset + 2);
                let _ = analysis.fixes(&path, offset + 2..offset);
            }
            let _ = analysis.document_symbols(&path);
            let _ = analysis.quoted_passages(&path);
        }
        let _ = analysis.workspace_symbols("É");
        assert_eq!(analysis.quoted_passages(&source_path("café2020")).len(), 2);
    }

    #[test]
    fn file_uris_are_percent_encoded_with_a_line() {
        assert_eq!(
            file_uri(Path::new("/ws/my notes/ä.md"), Some(3)),
            "file:///ws/my%20notes/%C3%A4.md#L3"
        );
        assert_eq!(file_uri(Path::new("/a/b.md"), None), "file:///a/b.md");
    }

    #[test]
    fn authors_are_shortened_to_family_names() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(short_authors(&names(&["Smith, Jane"])), "Smith");
        assert_eq!(
            short_authors(&names(&["Jane Smith", "Doe, J."])),
            "Smith & Doe"
        );
        assert_eq!(short_authors(&names(&["A, B", "C, D", "E, F"])), "A et al.");
        assert_eq!(short_authors(&[]), "");
    }

    #[test]
    fn surrounding_sentence_stops_at_sentence_ends_and_blank_lines() {
        let text = "# Title\n\nOne thing. The quoted words sit here, then more. Next one.";
        let start = text.find("quoted").unwrap_or_default();
        let range = start..start + "quoted words".len();
        let sentence = surrounding_sentence(text, &range);
        assert_eq!(&text[sentence], "The quoted words sit here, then more.");
        let first = text.find("One").unwrap_or_default();
        let sentence = surrounding_sentence(text, &(first..first + 3));
        assert_eq!(&text[sentence], "One thing.");
        // Out-of-range input is clamped, not a panic.
        assert_eq!(surrounding_sentence("abc", &(10..20)), 0..3);
    }

    #[test]
    fn display_text_strips_markup_and_collapses_whitespace() {
        assert_eq!(
            display_text("> some **bold**\n>   and *em*  words"),
            "some bold and em words"
        );
    }

    #[test]
    fn ellipsize_cuts_at_a_word() {
        assert_eq!(ellipsize("one two three", 20), "one two three");
        assert_eq!(ellipsize("one two three", 9), "one two…");
    }
}

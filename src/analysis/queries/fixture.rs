//! Test fixtures for the queries: a workspace built in memory from notes and sources written as
//! strings, with `$0` marking the cursor. Sources are normalised for real. Until the real note
//! parser and matcher are in this branch, notes are parsed by a small stand-in (headings,
//! `[@key]` and in-text citations, quoted text, blockquotes, definition lists) and quotations
//! resolved by plain substring search; the diagnostics are the real ones.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ByteRange;
use crate::analysis::diagnostics::{NoteContext, note_diagnostics};
use crate::analysis::matcher::MatchKind;
use crate::analysis::resolve::{QuoteMatch, QuoteResolution, QuoteStatus, cited_keys};
use crate::analysis::terms::{SourceTerms, TermIndex, TermInfo};
use crate::analysis::{Analysis, NoteAnalysis};
use crate::corpus::{Corpus, Source, SourceFormat, SourceMeta};
use crate::notes::{
    Block, BlockKind, Citation, CitationItem, GlossaryEntry, Heading, Locator, Note, Quotation,
    QuotationKind, QuotePiece,
};
use crate::workspace::{BibEntry, Config, Workspace};

pub(crate) const CURSOR: &str = "$0";

/// The workspace root of every fixture.
pub(crate) fn root() -> PathBuf {
    PathBuf::from("/ws")
}

/// The path of note `name` (`notes/<name>`).
pub(crate) fn note_path(name: &str) -> PathBuf {
    root().join("notes").join(name)
}

/// The path of the source with key `key` (`sources/<key>.md`).
pub(crate) fn source_path(key: &str) -> PathBuf {
    root().join("sources").join(format!("{key}.md"))
}

/// The range of the first occurrence of `needle` in `text` (panics in tests when absent).
pub(crate) fn range_of(text: &str, needle: &str) -> ByteRange {
    let start = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in fixture text"));
    start..start + needle.len()
}

/// The range of the `n`th (0-based) occurrence of `needle` in `text`.
pub(crate) fn nth_range_of(text: &str, needle: &str, n: usize) -> ByteRange {
    let start = text
        .match_indices(needle)
        .nth(n)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("`{needle}` not {} times in fixture text", n + 1));
    start..start + needle.len()
}

/// Builds an `Analysis` from strings.
#[derive(Default)]
pub(crate) struct Fixture {
    sources: Vec<Source>,
    bibliography: Vec<BibEntry>,
    notes: Vec<(PathBuf, String)>,
    mined: Vec<TermInfo>,
    cursor: Option<(PathBuf, usize)>,
}

/// A built fixture: the snapshot and where the `$0` was.
pub(crate) struct Built {
    pub analysis: Analysis,
    pub cursor: Option<(PathBuf, usize)>,
}

impl Built {
    /// The path and offset of the `$0` marker.
    pub fn cursor(&self) -> (PathBuf, usize) {
        self.cursor.clone().expect("fixture has no $0 cursor")
    }

    /// The text of a note or source.
    pub fn text(&self, path: &Path) -> Arc<str> {
        self.analysis
            .file_text(path)
            .unwrap_or_else(|| panic!("no file {}", path.display()))
    }
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::default()
    }

    /// A Markdown source at `sources/<key>.md` (may hold the `$0` cursor).
    pub fn source(self, key: &str, text: &str) -> Fixture {
        self.source_with_meta(key, text, SourceMeta::default())
    }

    pub fn source_with_meta(mut self, key: &str, text: &str, meta: SourceMeta) -> Fixture {
        let path = source_path(key);
        let text = self.take_cursor(&path, text);
        self.sources.push(Source::new(
            key.to_string(),
            path,
            SourceFormat::Markdown,
            text,
            meta,
        ));
        self
    }

    /// A bibliography entry (from `/ws/refs.bib`).
    pub fn bib(mut self, entry: BibEntry) -> Fixture {
        self.bibliography.push(entry);
        self
    }

    /// A note at `notes/<name>` (may hold the `$0` cursor).
    pub fn note(mut self, name: &str, text: &str) -> Fixture {
        let path = note_path(name);
        let text = self.take_cursor(&path, text);
        self.notes.push((path, text));
        self
    }

    /// A term mined from the sources.
    #[allow(dead_code)] // for the term tests, once the term index is in this branch
    pub fn term(mut self, info: TermInfo) -> Fixture {
        self.mined.push(info);
        self
    }

    fn take_cursor(&mut self, path: &Path, text: &str) -> String {
        match text.find(CURSOR) {
            Some(offset) => {
                assert!(self.cursor.is_none(), "more than one $0 in the fixture");
                self.cursor = Some((path.to_path_buf(), offset));
                text.replacen(CURSOR, "", 1)
            }
            None => text.to_string(),
        }
    }

    pub fn build(self) -> Built {
        let workspace = Workspace {
            root: root(),
            config: Config::default(),
            config_path: None,
            sources: self.sources.iter().map(|s| s.path.clone()).collect(),
            notes: self.notes.iter().map(|(p, _)| p.clone()).collect(),
            bibliography: self.bibliography.clone(),
            problems: Vec::new(),
        };
        let corpus = Corpus::from_sources(self.sources, self.bibliography);
        let settings = workspace.config.checks.clone();
        let mut notes = BTreeMap::new();
        for (path, text) in self.notes {
            let text: Arc<str> = Arc::from(text);
            let note = parse_note(&text);
            let resolutions: Vec<QuoteResolution> = note
                .quotations
                .iter()
                .map(|q| resolve(&note, q, &corpus))
                .collect();
            let diagnostics = note_diagnostics(&NoteContext {
                path: &path,
                text: &text,
                note: &note,
                resolutions: &resolutions,
                corpus: &corpus,
                settings: &settings,
            });
            let analysis = NoteAnalysis {
                path: path.clone(),
                text,
                note,
                resolutions,
                diagnostics,
            };
            notes.insert(path, Arc::new(analysis));
        }
        let glossaries: Vec<(PathBuf, Vec<GlossaryEntry>)> = notes
            .iter()
            .filter(|(_, n)| !n.note.glossary.is_empty())
            .map(|(p, n)| (p.clone(), n.note.glossary.clone()))
            .collect();
        let mined = SourceTerms { terms: self.mined };
        let terms = if mined.terms.is_empty() && glossaries.is_empty() {
            TermIndex::default()
        } else {
            TermIndex::build(&mined, &glossaries)
        };
        Built {
            analysis: Analysis {
                workspace: Arc::new(workspace),
                corpus: Arc::new(corpus),
                mined_terms: Arc::new(mined),
                terms: Arc::new(terms),
                notes: Arc::new(notes),
                problems: Arc::new(Vec::new()),
            },
            cursor: self.cursor,
        }
    }
}

/// A bibliography entry with a key, title, authors and date.
pub(crate) fn bib_entry(key: &str, title: &str, authors: &[&str], date: &str) -> BibEntry {
    BibEntry {
        key: key.to_string(),
        entry_type: "article".to_string(),
        title: Some(title.to_string()),
        authors: authors.iter().map(|a| a.to_string()).collect(),
        date: Some(date.to_string()),
        bib_path: root().join("refs.bib"),
        range: 0..10,
        ..BibEntry::default()
    }
}

/// Source metadata with a title, authors and date.
pub(crate) fn meta(title: &str, authors: &[&str], date: &str) -> SourceMeta {
    SourceMeta {
        title: Some(title.to_string()),
        authors: authors.iter().map(|a| a.to_string()).collect(),
        date: Some(date.to_string()),
        ..SourceMeta::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Stand-in resolution: each text piece found verbatim, in order, in the original text.

fn find_pieces(quotation: &Quotation, source: &Source) -> Option<QuoteMatch> {
    let mut segments = Vec::new();
    let mut from = 0;
    for piece in &quotation.pieces {
        let QuotePiece::Text { text, .. } = piece else {
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let at = from + source.text.get(from..)?.find(text)?;
        segments.push(at..at + text.len());
        from = at + text.len();
    }
    let range = segments.first()?.start..segments.last()?.end;
    Some(QuoteMatch {
        key: source.key.clone(),
        path: source.path.clone(),
        range,
        kind: if segments.len() > 1 {
            MatchKind::Elided
        } else {
            MatchKind::Exact
        },
        segments,
        score: 1.0,
        edits: Vec::new(),
    })
}

fn resolve(note: &Note, quotation: &Quotation, corpus: &Corpus) -> QuoteResolution {
    let keys = cited_keys(note, quotation);
    let in_cited = keys
        .iter()
        .filter_map(|k| corpus.source(k))
        .find_map(|s| find_pieces(quotation, s));
    let elsewhere = || {
        corpus
            .sources
            .iter()
            .filter(|s| !keys.contains(&s.key.as_str()))
            .find_map(|s| find_pieces(quotation, s))
    };
    let any_cited_source = keys.iter().any(|k| corpus.source(k).is_some());
    let (status, found) = match (keys.is_empty(), in_cited) {
        (_, Some(found)) => (QuoteStatus::Verified, Some(found)),
        (true, None) => match elsewhere() {
            Some(found) => (QuoteStatus::Uncited, Some(found)),
            None => (QuoteStatus::NotFound, None),
        },
        (false, None) if !any_cited_source => (QuoteStatus::Unchecked, elsewhere()),
        (false, None) => match elsewhere() {
            Some(found) => (QuoteStatus::Misattributed, Some(found)),
            None => (QuoteStatus::NotFound, None),
        },
    };
    QuoteResolution { status, found }
}

// ---------------------------------------------------------------------------------------------
// Stand-in note parser.

fn parse_note(text: &str) -> Note {
    let mut note = Note::default();
    let mut offset = 0;
    if let Some(rest) = text.strip_prefix("---\n")
        && let Some(end) = rest.find("\n---\n")
    {
        offset = 4 + end + 5;
        note.frontmatter = Some(0..offset);
    }
    for block_range in split_blocks(text, offset) {
        let block_text = &text[block_range.clone()];
        let kind = if let Some(hashes) = block_text.strip_prefix('#') {
            let level = 1 + hashes.chars().take_while(|&c| c == '#').count();
            let title = block_text.trim_start_matches('#').trim();
            let start = block_range.start + block_text.find(title).unwrap_or(0);
            note.headings.push(Heading {
                level: level as u8,
                text: title.to_string(),
                range: start..start + title.len(),
            });
            BlockKind::Heading(level as u8)
        } else if block_text.starts_with('>') {
            BlockKind::BlockQuote
        } else {
            BlockKind::Paragraph
        };
        let block_index = note.blocks.len();
        note.blocks.push(Block {
            kind,
            range: block_range.clone(),
            sentences: vec![block_range.clone()],
            ignored: false,
        });
        let first_citation = note.citations.len();
        note.citations.extend(scan_citations(text, &block_range));
        let citations: Vec<usize> = (first_citation..note.citations.len()).collect();
        match kind {
            BlockKind::BlockQuote => {
                let quotation = blockquote(text, &block_range, &note.citations, &citations);
                note.quotations.push(Quotation {
                    citations,
                    block: block_index,
                    ..quotation
                });
            }
            BlockKind::Paragraph => {
                glossary(text, &block_range, &mut note.glossary);
                let quotations = inline_quotations(text, &block_range);
                let first = note.quotations.len();
                for (i, mut quotation) in quotations.into_iter().enumerate() {
                    quotation.block = block_index;
                    quotation.citations = citations
                        .iter()
                        .copied()
                        .filter(|&c| note.citations[c].range.start >= quotation.range.end)
                        .collect();
                    note.quotations.push(quotation);
                    // A citation belongs to the nearest quotation before it.
                    if i > 0 {
                        let this_start = note.quotations[first + i].range.start;
                        note.quotations[first + i - 1]
                            .citations
                            .retain(|&c| note.citations[c].range.start < this_start);
                    }
                }
            }
            _ => {}
        }
    }
    note
}

/// Blocks: runs of non-blank lines from `from`, without the trailing newline.
fn split_blocks(text: &str, from: usize) -> Vec<ByteRange> {
    let mut blocks = Vec::new();
    let mut start: Option<usize> = None;
    let mut line_start = from;
    for line in text[from..].split_inclusive('\n') {
        let line_end = line_start + line.trim_end_matches('\n').len();
        if line.trim().is_empty() {
            if let Some(s) = start.take() {
                blocks.push(s..line_start.saturating_sub(1).max(s));
            }
        } else if start.is_none() {
            start = Some(line_start);
        }
        line_start += line.len();
        let _ = line_end;
    }
    if let Some(s) = start {
        blocks.push(s..text.trim_end().len().max(s));
    }
    blocks
}

fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The key starting at `at` (alphanumerics, `_`, and internal punctuation followed by a key char).
fn key_end(text: &str, at: usize) -> usize {
    let mut end = at;
    let mut chars = text[at..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let internal =
            ":.#$%&-+?<>~/".contains(c) && chars.peek().is_some_and(|&(_, n)| is_key_char(n));
        if is_key_char(c) || (internal && i > 0) {
            end = at + i + c.len_utf8();
        } else {
            break;
        }
    }
    end
}

fn scan_citations(text: &str, block: &ByteRange) -> Vec<Citation> {
    let mut out = Vec::new();
    let mut i = block.start;
    while i < block.end {
        let rest = &text[i..block.end];
        let Some(c) = rest.chars().next() else { break };
        if c == '['
            && let Some(close) = rest.find(']')
            && rest[..close].contains('@')
            && !rest[..close].contains('\n')
        {
            let range = i..i + close + 1;
            let mut items = Vec::new();
            let mut item_start = i + 1;
            for part in rest[1..close].split(';') {
                let part_range = item_start..item_start + part.len();
                if let Some(item) = citation_item(text, part_range.clone()) {
                    items.push(item);
                }
                item_start = part_range.end + 1;
            }
            out.push(Citation {
                range: range.clone(),
                bracketed: true,
                items,
            });
            i = range.end;
            continue;
        }
        let word_start = i == 0 || text[..i].chars().last().is_some_and(char::is_whitespace);
        if c == '@' && word_start {
            let end = key_end(text, i + 1);
            if end > i + 1 {
                out.push(Citation {
                    range: i..end,
                    bracketed: false,
                    items: vec![CitationItem {
                        key: text[i + 1..end].to_string(),
                        key_range: i + 1..end,
                        range: i..end,
                        prefix: String::new(),
                        locator: None,
                        suffix: String::new(),
                        suppress_author: false,
                    }],
                });
                i = end;
                continue;
            }
        }
        i += c.len_utf8();
    }
    out
}

fn citation_item(text: &str, range: ByteRange) -> Option<CitationItem> {
    let part = &text[range.clone()];
    let at = range.start + part.find('@')?;
    let suppress_author = at > range.start && text.as_bytes()[at - 1] == b'-';
    let (key_start, key_stop) = if text[at + 1..].starts_with('{') {
        let close = at + 2 + text[at + 2..range.end].find('}')?;
        (at + 2, close)
    } else {
        (at + 1, key_end(text, at + 1))
    };
    let prefix_end = if suppress_author { at - 1 } else { at };
    let after = if text[key_stop..].starts_with('}') {
        key_stop + 1
    } else {
        key_stop
    };
    let tail = &text[after..range.end];
    let locator = tail.strip_prefix(',').and_then(|loc| {
        let loc_start = after + 1 + (loc.len() - loc.trim_start().len());
        let loc = loc.trim();
        let (label, value) = loc.split_once(' ')?;
        let label = match label {
            "p." | "pp." => "page",
            "para." => "paragraph",
            "ch." => "chapter",
            other => other,
        };
        Some(Locator {
            label: label.to_string(),
            value: value.to_string(),
            range: loc_start..loc_start + loc.len(),
        })
    });
    Some(CitationItem {
        key: text[key_start..key_stop].to_string(),
        key_range: key_start..key_stop,
        range,
        prefix: text[range_start_trimmed(text, prefix_end)..prefix_end]
            .trim()
            .to_string(),
        locator,
        suffix: String::new(),
        suppress_author,
    })
}

fn range_start_trimmed(text: &str, end: usize) -> usize {
    text[..end].rfind(['[', ';']).map(|i| i + 1).unwrap_or(end)
}

/// Quoted text between `"…"` or `“…”` in a paragraph.
fn inline_quotations(text: &str, block: &ByteRange) -> Vec<Quotation> {
    let mut out = Vec::new();
    let mut i = block.start;
    while i < block.end {
        let rest = &text[i..block.end];
        let Some(open) = rest.find(['"', '“']) else {
            break;
        };
        let open_at = i + open;
        let open_len = if rest[open..].starts_with('“') {
            3
        } else {
            1
        };
        let close_char = if open_len == 3 { '”' } else { '"' };
        let Some(close) = text[open_at + open_len..block.end].find(close_char) else {
            break;
        };
        let content = open_at + open_len..open_at + open_len + close;
        let range = open_at..content.end + close_char.len_utf8();
        let pieces = split_pieces(text, content.clone(), &[]);
        out.push(quotation(
            QuotationKind::Inline,
            range.clone(),
            content,
            pieces,
        ));
        i = range.end;
    }
    out
}

fn blockquote(
    text: &str,
    block: &ByteRange,
    all_citations: &[Citation],
    citations: &[usize],
) -> Quotation {
    let first = &text[block.clone()];
    let skip = first.len() - first.trim_start_matches('>').trim_start().len();
    let content = block.start + skip..block.end;
    let holes: Vec<ByteRange> = citations
        .iter()
        .filter_map(|&c| all_citations.get(c))
        .map(|c| c.range.clone())
        .collect();
    let pieces = split_pieces(text, content.clone(), &holes);
    quotation(QuotationKind::Block, block.clone(), content, pieces)
}

fn quotation(
    kind: QuotationKind,
    range: ByteRange,
    content: ByteRange,
    pieces: Vec<QuotePiece>,
) -> Quotation {
    let word_count = pieces
        .iter()
        .map(|p| match p {
            QuotePiece::Text { text, .. } => text.split_whitespace().count(),
            _ => 0,
        })
        .sum();
    Quotation {
        kind,
        sentence: range.clone(),
        range,
        content,
        pieces,
        word_count,
        citations: Vec::new(),
        block: 0,
        ignored: false,
    }
}

/// Text pieces split at `...` / `…` elisions and around `holes` (citations in a blockquote);
/// blockquote markers dropped from the text.
fn split_pieces(text: &str, content: ByteRange, holes: &[ByteRange]) -> Vec<QuotePiece> {
    let mut pieces = Vec::new();
    let mut start = content.start;
    let mut i = content.start;
    let push_text = |pieces: &mut Vec<QuotePiece>, range: ByteRange| {
        let words = text[range.clone()]
            .lines()
            .map(|l| l.trim().trim_start_matches('>').trim())
            .collect::<Vec<_>>()
            .join(" ");
        if !words.trim().is_empty() {
            pieces.push(QuotePiece::Text {
                text: words.trim().to_string(),
                range,
            });
        }
    };
    while i < content.end {
        if let Some(hole) = holes.iter().find(|h| h.start == i) {
            push_text(&mut pieces, start..i);
            i = hole.end.max(i + 1);
            start = i;
            continue;
        }
        let rest = &text[i..content.end];
        let elision = ["...", "…"].iter().find(|e| rest.starts_with(**e));
        if let Some(elision) = elision {
            push_text(&mut pieces, start..i);
            pieces.push(QuotePiece::Elision {
                range: i..i + elision.len(),
            });
            i += elision.len();
            start = i;
            continue;
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    push_text(&mut pieces, start..content.end);
    pieces
}

/// `Term` on one line and `: definition` on the next, inside one paragraph.
fn glossary(text: &str, block: &ByteRange, out: &mut Vec<GlossaryEntry>) {
    let block_text = &text[block.clone()];
    let mut lines = block_text.split_inclusive('\n').peekable();
    let mut at = block.start;
    while let Some(line) = lines.next() {
        let line_len = line.len();
        if let Some(next) = lines.peek()
            && let Some(definition) = next.strip_prefix(": ")
        {
            let term = line.trim();
            let definition = definition.trim();
            let def_start = at + line_len + 2;
            out.push(GlossaryEntry {
                term: term.to_string(),
                term_range: at..at + term.len(),
                definition: definition.to_string(),
                definition_range: def_start..def_start + definition.len(),
                aliases: Vec::new(),
            });
        }
        at += line_len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_in_parser_finds_citations_quotations_and_glossary() {
        let built = Fixture::new()
            .source("smith2020", "Some words here are quoted by the note.")
            .note(
                "a.md",
                "# Notes\n\nShe wrote \"words here are quoted\" [see @smith2020, p. 4; -@doe].\n\n> are quoted by\n",
            )
            .build();
        let path = note_path("a.md");
        let note = built.analysis.note(&path).expect("note");
        let text = note.text.clone();
        assert_eq!(note.note.headings.len(), 1);
        assert_eq!(note.note.citations.len(), 1);
        let items = &note.note.citations[0].items;
        assert_eq!(items.len(), 2);
        assert_eq!(&text[items[0].key_range.clone()], "smith2020");
        assert_eq!(items[0].prefix, "see");
        assert_eq!(
            items[0].locator.as_ref().map(|l| l.label.as_str()),
            Some("page")
        );
        assert!(items[1].suppress_author);
        assert_eq!(note.note.quotations.len(), 2);
        assert_eq!(note.note.quotations[0].citations, vec![0]);
        assert_eq!(note.resolutions[0].status, QuoteStatus::Verified);
        assert_eq!(note.resolutions[1].status, QuoteStatus::Uncited);
        let glossary = parse_note("Intro.\n\nTerm\n: A thing.\n").glossary;
        assert_eq!(glossary.len(), 1);
        assert_eq!(glossary[0].term, "Term");
        assert_eq!(glossary[0].definition, "A thing.");
    }
}

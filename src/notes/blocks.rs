//! Block structure of a note from tree-sitter-md: prose blocks, headings, blockquotes, definition
//! lists; masks non-prose bytes; runs the inline scanners; attributes citations to quotations.

use std::sync::Arc;

use rayon::prelude::*;
use tree_sitter::Node;

use super::attribution;
use super::citation::{scan_citations, unclosed_citation_brackets};
use super::glossary;
use super::mask::Mask;
use super::quotation::{QuotationKind, UnclosedMark, quote_word_count, scan_inline, split_pieces};
use super::sentences::split_sentences;
use super::syntax::{Inlines, NoteCursor, parse_blocks, parse_markdown};
use super::{Block, BlockKind, Heading, Note, Quotation, SyntaxProblem, SyntaxProblemKind};
use crate::ByteRange;

pub(crate) fn parse_note(text: &str) -> Note {
    parse_note_after(text, None)
}

/// `parse_note` re-using what `previous` (a text and its parse) found in the parts of the text
/// that are unchanged: the outline of each unchanged chunk, the sentences of each unchanged block.
pub(crate) fn parse_note_reusing(text: &str, previous: (&str, &Note)) -> Note {
    parse_note_after(text, Some(previous))
}

/// The note's text with every non-prose byte (frontmatter, code, HTML, link targets, markup
/// delimiters, block markers, bare URLs) replaced by a space: same length, newlines kept.
pub fn masked_note(text: &str) -> String {
    parse_note(text).masked.to_string()
}

/// Parses a note, re-using what `previous` (a text and its parse) found in the parts of the text
/// that are unchanged.
fn parse_note_after(text: &str, previous: Option<(&str, &Note)>) -> Note {
    let (outline, chunks) = chunked_outline(
        text,
        previous.map(|(old_text, old)| (old_text, &old.outline)),
    );
    let masked: Arc<str> = Arc::from(outline.mask.apply(text));
    let sentences_of = SentenceMemo::new(previous.map(|(_, old)| old));

    let glossary_paragraphs: Vec<Option<ByteRange>> = outline
        .candidates
        .iter()
        .map(|c| c.top_level_paragraph.then(|| c.range.clone()))
        .collect();
    let mut problems = Vec::new();
    let frontmatter = outline
        .frontmatter
        .is_some()
        .then(|| crate::workspace::frontmatter::parse_frontmatter(text))
        .flatten();
    if let Some(frontmatter) = &frontmatter
        && let (Some(error), Some(range)) = (&frontmatter.error, &frontmatter.error_range)
    {
        problems.push(SyntaxProblem {
            kind: SyntaxProblemKind::InvalidFrontmatter,
            range: range.clone(),
            message: format!("{error}; the frontmatter is ignored (no glossary aliases from it)"),
        });
    }
    problems.extend(outline.unparsed.iter().map(|range| {
        SyntaxProblem {
            kind: SyntaxProblemKind::UnparsedMarkdown,
            range: range.clone(),
            message:
                "the Markdown parser gave up on this block: it ran out of time (deep nesting or \
                  long runs of marks such as `*`, `[` or `![` make it slow); the block is read \
                  as one plain paragraph, so code, links and emphasis in it count as prose"
                    .to_string(),
        }
    }));
    let frontmatter_yaml = frontmatter.and_then(|f| f.yaml);
    let lists = glossary::definition_lists(text, &masked, &glossary_paragraphs);
    let definition_blocks: std::collections::HashSet<usize> =
        lists.definition_blocks.iter().copied().collect();
    let mut glossary_entries = lists.entries;
    glossary::apply_aliases(&mut glossary_entries, frontmatter_yaml.as_ref());

    let mut blocks: Vec<Block> = outline
        .candidates
        .iter()
        .enumerate()
        .map(|(index, candidate)| {
            let kind = if definition_blocks.contains(&index) {
                BlockKind::Definition
            } else {
                candidate.kind
            };
            Block {
                kind,
                range: candidate.range.clone(),
                sentences: if candidate.kind == BlockKind::Table {
                    table_rows(&masked, candidate.range.clone())
                } else {
                    sentences_of.split(&masked, candidate.range.clone())
                },
                ignored: false,
            }
        })
        .collect();
    mark_ignored(&mut blocks, &outline.comments, text, &masked);

    let headings = outline
        .headings
        .iter()
        .map(|h| Heading {
            level: h.level,
            text: collapse_whitespace(masked.get(h.content.clone()).unwrap_or("")),
            range: h.range.clone(),
        })
        .collect();

    let mut citations = Vec::new();
    let mut block_citations: Vec<ByteRange> = Vec::with_capacity(blocks.len());
    for block in &blocks {
        let first = citations.len();
        citations.extend(scan_citations(&masked, block.range.clone()));
        block_citations.push(first..citations.len());
        // The first of a paragraph, as for quote marks: a paragraph of a hundred thousand
        // unclosed `[@key;` would otherwise publish as many diagnostics at each keystroke.
        let unclosed = unclosed_citation_brackets(&masked, block.range.clone());
        if let Some((range, key)) = unclosed.into_iter().next() {
            problems.push(SyntaxProblem {
                kind: SyntaxProblemKind::UnclosedCitation,
                range,
                message: format!(
                    "this citation's `[` is never closed: no `]` before the end of the \
                     paragraph, so `@{key}` is not read as a bracketed citation"
                ),
            });
        }
    }

    let mut quotations = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        if block.kind == BlockKind::BlockQuote {
            let Some(found) = attribution::block_quotation(&masked, block, &citations) else {
                continue;
            };
            let pieces = split_pieces(&masked, found.content.clone());
            let citations_of = if found.citations.is_empty() {
                attribution::blockquote_neighbours(
                    &masked,
                    &blocks,
                    &block_citations,
                    &citations,
                    index,
                )
            } else {
                found.citations
            };
            quotations.push(Quotation {
                kind: QuotationKind::Block,
                range: block.range.clone(),
                content: found.content,
                word_count: quote_word_count(&pieces),
                pieces,
                citations: citations_of,
                block: index,
                sentence: block.range.clone(),
                ignored: block.ignored,
            });
        } else {
            let scan = scan_inline(&masked, block.range.clone());
            if let Some(mark) = scan.unclosed
                && !continues_in_next_paragraph(&masked, &blocks, index, mark.mark)
            {
                problems.push(unclosed_quote_problem(mark));
            }
            for scanned in scan.quotations {
                // Sentences are sorted and disjoint: a binary search finds the one holding it.
                let after = block
                    .sentences
                    .partition_point(|s| s.start <= scanned.range.start);
                let sentence = after
                    .checked_sub(1)
                    .and_then(|i| block.sentences.get(i))
                    .filter(|s| scanned.range.start < s.end)
                    .cloned()
                    .unwrap_or_else(|| block.range.clone());
                let citations_of = attribution::inline_citations(
                    &scanned.range,
                    &sentence,
                    block_citations.get(index).cloned().unwrap_or(0..0),
                    &citations,
                );
                quotations.push(Quotation {
                    kind: QuotationKind::Inline,
                    range: scanned.range,
                    content: scanned.content,
                    word_count: quote_word_count(&scanned.pieces),
                    pieces: scanned.pieces,
                    citations: citations_of,
                    block: index,
                    sentence,
                    ignored: block.ignored,
                });
            }
        }
    }

    problems.sort_by_key(|p| p.range.start);
    Note {
        frontmatter: outline.frontmatter,
        blocks,
        headings,
        citations,
        quotations,
        glossary: glossary_entries,
        problems,
        outline: chunks,
        masked,
    }
}

/// The sentences of the prose blocks of an earlier parse, by the block's masked text: splitting
/// depends on that text only, so a block an edit left alone keeps its sentences (shifted).
struct SentenceMemo<'a> {
    known: foldhash::HashMap<&'a str, (usize, &'a [ByteRange])>,
}

impl<'a> SentenceMemo<'a> {
    fn new(previous: Option<&'a Note>) -> Self {
        let known = previous
            .map(|old| {
                old.blocks
                    .iter()
                    .filter(|block| block.kind != BlockKind::Table)
                    .filter_map(|block| {
                        let masked = old.masked.get(block.range.clone())?;
                        Some((masked, (block.range.start, block.sentences.as_slice())))
                    })
                    .collect()
            })
            .unwrap_or_default();
        SentenceMemo { known }
    }

    /// `split_sentences(masked, range)`, from the memo when a block had this masked text.
    fn split(&self, masked: &str, range: ByteRange) -> Vec<ByteRange> {
        let known = masked
            .get(range.clone())
            .and_then(|block| self.known.get(block));
        match known {
            Some(&(old_start, sentences)) => sentences
                .iter()
                .map(|s| s.start - old_start + range.start..s.end - old_start + range.start)
                .collect(),
            None => split_sentences(masked, range),
        }
    }
}

/// Whether the paragraph after paragraph `index` starts with the same opening `mark` (or `»`
/// after `«`): a quotation running over several paragraphs opens each one and closes only the
/// last (Pandoc's and the style guides' convention), so an unclosed mark before such a
/// paragraph is no slip.
fn continues_in_next_paragraph(masked: &str, blocks: &[Block], index: usize, mark: char) -> bool {
    let is_paragraph = |i: usize| {
        blocks
            .get(i)
            .is_some_and(|b| b.kind == BlockKind::Paragraph)
    };
    if !is_paragraph(index) || !is_paragraph(index + 1) {
        return false;
    }
    blocks
        .get(index + 1)
        .and_then(|next| masked.get(next.range.clone()))
        .and_then(|text| text.trim_start().chars().next())
        .is_some_and(|c| c == mark || (mark == '«' && c == '»'))
}

fn unclosed_quote_problem(mark: UnclosedMark) -> SyntaxProblem {
    let closing = match mark.mark {
        '“' => "”",
        '‘' => "’",
        '„' => "“",
        '«' => "»",
        '「' => "」",
        _ => "\"",
    };
    SyntaxProblem {
        kind: SyntaxProblemKind::UnclosedQuote,
        range: mark.offset..mark.offset + mark.mark.len_utf8(),
        message: format!(
            "this `{}` is never closed: no `{closing}` before the end of the paragraph, so \
             the words after it are not checked as a quotation",
            mark.mark
        ),
    }
}

/// A prose block as the tree shows it, before glossary recognition.
#[derive(Debug, Clone)]
struct Candidate {
    kind: BlockKind,
    range: ByteRange,
    /// A paragraph at the top level (not in a list or blockquote): may be part of a definition list.
    top_level_paragraph: bool,
}

#[derive(Debug, Clone)]
struct PendingHeading {
    level: u8,
    range: ByteRange,
    /// The heading's inline content.
    content: ByteRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IgnoreKind {
    /// `<!-- ibid-ignore -->`: the next block.
    Next,
    /// `<!-- ibid-ignore-start -->`.
    Start,
    /// `<!-- ibid-ignore-end -->`.
    End,
}

#[derive(Debug, Clone)]
struct IgnoreComment {
    kind: IgnoreKind,
    range: ByteRange,
}

/// What one walk of the syntax tree yields.
#[derive(Debug, Default)]
struct Outline {
    mask: Mask,
    frontmatter: Option<ByteRange>,
    candidates: Vec<Candidate>,
    headings: Vec<PendingHeading>,
    comments: Vec<IgnoreComment>,
    /// The first line of each chunk tree-sitter-md gave up on (read as one plain paragraph).
    unparsed: Vec<ByteRange>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Context {
    in_list_item: bool,
    /// Inside a node that is one block as a whole (blockquote, heading, table): its paragraphs
    /// are not blocks of their own.
    inside_block: bool,
    /// The node's parent is a pipe table's node (`pipe_table`, `pipe_table_row`…).
    parent_is_table: bool,
}

/// A note's outline kept chunk by chunk (see `super::chunks`): each chunk's range in the note and
/// its outline, with ranges relative to the chunk.
#[derive(Debug, Clone, Default)]
pub struct OutlineChunks {
    chunks: Vec<(ByteRange, Arc<Outline>)>,
}

/// The note's outline, parsed chunk by chunk (in parallel), taking the outline of a chunk whose
/// text `previous` had from there.
fn chunked_outline(
    text: &str,
    previous: Option<(&str, &OutlineChunks)>,
) -> (Outline, OutlineChunks) {
    let ranges = super::chunks::top_level_chunks(text);
    // The first chunk starts the document (a frontmatter may open it); the others do not.
    let known: foldhash::HashMap<(bool, &str), &Arc<Outline>> = previous
        .map(|(old_text, old)| {
            old.chunks
                .iter()
                .filter_map(|(range, outline)| {
                    Some(((range.start == 0, old_text.get(range.clone())?), outline))
                })
                .collect()
        })
        .unwrap_or_default();
    let outlines: Vec<Arc<Outline>> = ranges
        .par_iter()
        .map(|range| {
            let at_start = range.start == 0;
            let chunk = text.get(range.clone()).unwrap_or("");
            match known.get(&(at_start, chunk)) {
                Some(&outline) => outline.clone(),
                None => Arc::new(outline_of_chunk(chunk, at_start, Inlines::Needed)),
            }
        })
        .collect();
    let mut merged = Outline::default();
    for (range, outline) in ranges.iter().zip(&outlines) {
        merged.append_shifted(outline, range.start);
    }
    finish_outline(text, &mut merged);
    let chunks = OutlineChunks {
        chunks: ranges.into_iter().zip(outlines).collect(),
    };
    (merged, chunks)
}

/// The outline of one chunk, its ranges relative to the chunk. A chunk that does not start the
/// document is parsed after a blank line, so that a `---` opening it is no frontmatter. A chunk
/// that ends the text without a line break is parsed with one: at the very end of its input
/// tree-sitter-md reads an empty heading (`# `) by what came before it (a heading or not), so the
/// last chunk alone and the whole text would differ there.
fn chunk_outline(chunk: &str, at_start: bool, inlines: Inlines) -> Outline {
    let prefix = if at_start { "" } else { "\n" };
    let suffix = if chunk.is_empty() || chunk.ends_with(['\n', '\r']) {
        ""
    } else {
        "\n"
    };
    let source: std::borrow::Cow<'_, str> = if prefix.is_empty() && suffix.is_empty() {
        chunk.into()
    } else {
        format!("{prefix}{chunk}{suffix}").into()
    };
    let mut outline = Outline::default();
    let tree = parse_markdown(&source, inlines);
    let Some(tree) = tree else {
        tracing::debug!(
            bytes = chunk.len(),
            "tree-sitter-md gave up on part of a note; it is read as one plain paragraph"
        );
        let range = trim_end(chunk, 0..chunk.len());
        if !range.is_empty() {
            let first_line = chunk
                .get(range.clone())
                .and_then(|text| text.find(['\n', '\r']))
                .map_or(range.end, |end| range.start + end);
            outline.unparsed.push(range.start..first_line);
            outline.candidates.push(Candidate {
                kind: BlockKind::Paragraph,
                range,
                top_level_paragraph: true,
            });
        }
        return outline;
    };
    outline.walk(&source, &mut NoteCursor::new(&tree));
    if prefix.is_empty() && suffix.is_empty() {
        return outline;
    }
    // Back to the chunk's own offsets: without the prefix, nothing past the chunk's end.
    let (by, end) = (prefix.len(), chunk.len());
    let mut relative = Outline::default();
    relative.shift_from(&outline, |r: &ByteRange| {
        r.start.saturating_sub(by).min(end)..r.end.saturating_sub(by).min(end)
    });
    relative
}

/// The whole note's outline from a single tree-sitter parse: what `chunked_outline` must equal
/// (tests and the fuzz target check it).
fn whole_outline(text: &str, inlines: Inlines) -> Outline {
    let mut outline = outline_of_chunk(text, true, inlines);
    finish_outline(text, &mut outline);
    outline
}

/// What is done on the merged outline: blocks in order, and the byte-order mark.
fn finish_outline(text: &str, outline: &mut Outline) {
    outline.candidates.sort_by_key(|c| c.range.start);
    if text.starts_with('\u{FEFF}') {
        outline.mask.add(0..'\u{FEFF}'.len_utf8());
        // tree-sitter-md does not see a frontmatter after a byte-order mark.
        if outline.frontmatter.is_none()
            && let Some(frontmatter) = crate::workspace::frontmatter::parse_frontmatter(text)
        {
            let range = trim_end(text, frontmatter.range);
            outline.mask.add(range.clone());
            outline.candidates.retain(|c| c.range.start >= range.end);
            outline.headings.retain(|h| h.range.start >= range.end);
            outline.frontmatter = Some(range);
        }
    }
}

/// Checks that parsing `text` chunk by chunk gives the outline of one parse of the whole text
/// with every inline node parsed (as `tree_sitter_md::MarkdownParser` parses); `Err` says what
/// differs. For the fuzz target and tests.
///
/// Where tree-sitter-md's parse of the whole text has a syntax error, only the chunks before the
/// one holding the first error are compared: its error recovery may swallow the rest of the text
/// (a pipe-table header whose delimiter row has no `|` turns every later block into `ERROR`),
/// which parsing chunk by chunk confines to the chunk.
#[doc(hidden)]
pub fn check_chunked_outline(text: &str) -> Result<(), String> {
    let (chunked, _) = chunked_outline(text, None);
    let whole = whole_outline(text, Inlines::Every);
    let chunks = super::chunks::top_level_chunks(text);
    let compared = first_block_error(text).map_or(text.len(), |at| {
        chunks
            .iter()
            .find(|chunk| chunk.contains(&at))
            .map_or(text.len(), |chunk| chunk.start)
    });
    let summary = |o: &Outline| outline_summary(o, text, compared);
    let (chunked, whole) = (summary(&chunked), summary(&whole));
    if chunked == whole {
        Ok(())
    } else {
        Err(format!(
            "chunks {chunks:?}, compared up to {compared}\n--- chunked\n{chunked}\n--- whole\n{whole}"
        ))
    }
}

/// What an outline says of `text` before byte `compared`, written out for comparison.
fn outline_summary(o: &Outline, text: &str, compared: usize) -> String {
    let before = |r: &ByteRange| r.start < compared;
    format!(
        "mask {:?}\nfrontmatter {:?}\nblocks {:?}\nheadings {:?}\ncomments {:?}",
        o.mask.apply(text).get(..compared),
        o.frontmatter.as_ref().filter(|r| before(r)),
        o.candidates
            .iter()
            .filter(|c| before(&c.range))
            .collect::<Vec<_>>(),
        o.headings
            .iter()
            .filter(|h| before(&h.range))
            .collect::<Vec<_>>(),
        o.comments
            .iter()
            .filter(|c| before(&c.range))
            .collect::<Vec<_>>(),
    )
}

/// Checks that the outline of `text` is the same whether tree-sitter-md parses the inline nodes
/// that may hold markup the outline reads (`syntax::may_hold_inline_markup`) or every one; `Err`
/// says what differs. For the fuzz target and tests.
#[doc(hidden)]
pub fn check_needed_inlines(text: &str) -> Result<(), String> {
    let needed = outline_summary(&whole_outline(text, Inlines::Needed), text, text.len());
    let every = outline_summary(&whole_outline(text, Inlines::Every), text, text.len());
    if needed == every {
        Ok(())
    } else {
        Err(format!(
            "--- needed inlines\n{needed}\n--- every inline\n{every}"
        ))
    }
}

/// Where the block tree of one tree-sitter-md parse of the whole `text` first has a syntax error
/// (an `ERROR` or missing node), if anywhere.
fn first_block_error(text: &str) -> Option<usize> {
    let source = if text.is_empty() || text.ends_with(['\n', '\r']) {
        std::borrow::Cow::from(text)
    } else {
        format!("{text}\n").into()
    };
    let tree = parse_blocks(&source)?;
    let mut node = tree.root_node();
    if !node.has_error() {
        return None;
    }
    // Down to the first error in document order: the first child holding one, at each level.
    loop {
        if node.is_error() || node.is_missing() {
            return Some(node.start_byte().min(text.len()));
        }
        let mut cursor = node.walk();
        let child = node.children(&mut cursor).find(|child| child.has_error())?;
        node = child;
    }
}

impl Outline {
    /// Appends `other`'s ranges, moved `by` bytes later.
    fn append_shifted(&mut self, other: &Outline, by: usize) {
        let shift = |r: &ByteRange| r.start + by..r.end + by;
        self.shift_from(other, shift);
    }

    fn shift_from(&mut self, other: &Outline, shift: impl Fn(&ByteRange) -> ByteRange) {
        self.mask.extend_mapped(&other.mask, &shift);
        if self.frontmatter.is_none() {
            self.frontmatter = other.frontmatter.as_ref().map(&shift);
        }
        self.candidates
            .extend(other.candidates.iter().map(|c| Candidate {
                range: shift(&c.range),
                ..c.clone()
            }));
        self.headings
            .extend(other.headings.iter().map(|h| PendingHeading {
                level: h.level,
                range: shift(&h.range),
                content: shift(&h.content),
            }));
        self.comments
            .extend(other.comments.iter().map(|c| IgnoreComment {
                kind: c.kind,
                range: shift(&c.range),
            }));
        self.unparsed.extend(other.unparsed.iter().map(&shift));
    }

    /// Visits every node of the tree in document order, descending only into those that hold
    /// prose. Iterative: a note may nest emphasis or brackets a hundred thousand deep.
    fn walk(&mut self, text: &str, cursor: &mut NoteCursor<'_>) {
        // The context of each ancestor's own visit, to restore when stepping back up to it.
        let mut ancestors: Vec<Context> = Vec::new();
        let mut context = Context::default();
        loop {
            let (child_context, descend) = self.visit(text, cursor.node(), context);
            if descend && cursor.goto_first_child() {
                ancestors.push(context);
                context = child_context;
                continue;
            }
            loop {
                let Some(parent_context) = ancestors.last().copied() else {
                    return;
                };
                if cursor.goto_next_sibling() {
                    break;
                }
                cursor.goto_parent();
                context = parent_context;
                ancestors.pop();
            }
        }
    }

    /// Visits one node: what it adds to the outline, the context its children are visited in,
    /// and whether they are (only nodes that hold prose are descended into).
    fn visit(&mut self, text: &str, node: Node<'_>, context: Context) -> (Context, bool) {
        let range = node.byte_range();
        let kind = node.kind();
        let mut child_context = Context {
            parent_is_table: kind.starts_with("pipe_table"),
            ..context
        };
        let mut descend = true;
        match kind {
            "minus_metadata" | "plus_metadata" => {
                if range.start == 0 {
                    self.frontmatter = Some(trim_end(text, range.clone()));
                }
                self.mask.add(range);
                descend = false;
            }
            "fenced_code_block"
            | "indented_code_block"
            | "code_span"
            | "image"
            | "uri_autolink"
            | "email_autolink"
            | "link_reference_definition"
            | "thematic_break" => {
                self.mask.add(range);
                descend = false;
            }
            // `$5 and $6` is money, not math: mask only what Pandoc reads as TeX math.
            "latex_block" => {
                if is_pandoc_math(text, range.clone()) {
                    self.mask.add(range);
                }
                descend = false;
            }
            "html_block" | "html_tag" => {
                self.collect_ignore_comments(text, range.clone());
                self.mask.add(range);
                descend = false;
            }
            "atx_h1_marker"
            | "atx_h2_marker"
            | "atx_h3_marker"
            | "atx_h4_marker"
            | "atx_h5_marker"
            | "atx_h6_marker"
            | "setext_h1_underline"
            | "setext_h2_underline"
            | "block_quote_marker"
            | "block_continuation"
            | "list_marker_minus"
            | "list_marker_plus"
            | "list_marker_star"
            | "list_marker_dot"
            | "list_marker_parenthesis"
            | "task_list_marker_checked"
            | "task_list_marker_unchecked"
            | "emphasis_delimiter"
            | "pipe_table_delimiter_row"
            | "code_span_delimiter" => {
                self.mask.add(range);
                descend = false;
            }
            "|" if context.parent_is_table => {
                self.mask.add(range);
                descend = false;
            }
            // The backslash is markup, the escaped character prose; `\@key` is no citation.
            "backslash_escape" => {
                if text.get(range.clone()) == Some("\\@") {
                    self.mask.add(range);
                } else {
                    self.mask.add(range.start..range.start + 1);
                }
                descend = false;
            }
            "hard_line_break" => {
                self.mask.add(range);
                descend = false;
            }
            // A footnote reference `[^1]` is neither prose nor a citation.
            "shortcut_link"
                if text
                    .get(range.clone())
                    .is_some_and(|link| link.starts_with("[^")) =>
            {
                self.mask.add(range);
                descend = false;
            }
            "inline_link" | "full_reference_link" | "collapsed_reference_link" => {
                let kept = children_of_kind(node, "link_text");
                self.mask.add_except(range, &kept);
            }
            "atx_heading" => {
                let level = heading_level(node);
                self.push_heading(text, node, level, context);
                if let Some(closing) = atx_closing_sequence(text, trim_end(text, range.clone())) {
                    self.mask.add(closing);
                }
                child_context.inside_block = true;
            }
            "setext_heading" => {
                let level = if children_of_kind(node, "setext_h2_underline").is_empty() {
                    1
                } else {
                    2
                };
                self.push_heading(text, node, level, context);
                child_context.inside_block = true;
            }
            "block_quote" => {
                if !context.inside_block {
                    let block_range = trim_end(text, range.clone());
                    self.mask_quote_prefixes(text, block_range.clone());
                    self.candidates.push(Candidate {
                        kind: BlockKind::BlockQuote,
                        range: block_range,
                        top_level_paragraph: false,
                    });
                }
                child_context.inside_block = true;
            }
            "list_item" => child_context.in_list_item = true,
            "paragraph" => {
                let mut block_range = trim_end(text, range.clone());
                // tree-sitter-md reads link reference definitions as paragraph text.
                let definitions_end = link_definitions_end(text, block_range.clone());
                if definitions_end > block_range.start {
                    self.mask.add(block_range.start..definitions_end);
                    block_range = skip_whitespace(text, definitions_end)..block_range.end;
                }
                // Pandoc fenced divs (`::: note` … `:::`) are markup, read as paragraph lines.
                let mut prose_lines = Vec::new();
                for line in lines_in(text, block_range.clone()) {
                    if text.get(line.clone()).is_some_and(is_div_fence) {
                        self.mask.add(line);
                    } else {
                        prose_lines.push(line);
                    }
                }
                block_range = match (prose_lines.first(), prose_lines.last()) {
                    (Some(first), Some(last)) => first.start..last.end,
                    _ => block_range.start..block_range.start,
                };
                if !context.inside_block && !block_range.is_empty() {
                    self.candidates.push(Candidate {
                        kind: if context.in_list_item {
                            BlockKind::ListItem
                        } else {
                            BlockKind::Paragraph
                        },
                        range: block_range,
                        top_level_paragraph: !context.in_list_item,
                    });
                }
            }
            "pipe_table" => {
                if !context.inside_block {
                    self.candidates.push(Candidate {
                        kind: BlockKind::Table,
                        range: trim_end(text, range.clone()),
                        top_level_paragraph: false,
                    });
                }
                child_context.inside_block = true;
            }
            _ => {}
        }
        (child_context, descend)
    }

    fn push_heading(&mut self, text: &str, node: Node<'_>, level: u8, context: Context) {
        let range = trim_end(text, node.byte_range());
        let content = first_descendant_of_kind(node, "inline")
            .map_or_else(|| range.clone(), |inline| inline.byte_range());
        if let Some(attributes) = heading_attributes(text, content.clone()) {
            self.mask.add(attributes);
        }
        if !context.inside_block {
            self.candidates.push(Candidate {
                kind: BlockKind::Heading(level),
                range: range.clone(),
                top_level_paragraph: false,
            });
            self.headings.push(PendingHeading {
                level,
                range,
                content,
            });
        }
    }

    /// Blanks the `>` markers at the start of every line of a blockquote (nested ones too).
    fn mask_quote_prefixes(&mut self, text: &str, range: ByteRange) {
        let mut line_start = range.start;
        while line_start < range.end {
            let line_end = text[line_start..range.end]
                .find('\n')
                .map_or(range.end, |i| line_start + i);
            let line = &text[line_start..line_end];
            let mut prefix_end = 0;
            let bytes = line.as_bytes();
            let mut at = 0;
            while at < bytes.len() {
                match bytes[at] {
                    b' ' | b'\t' => at += 1,
                    b'>' => {
                        at += 1;
                        prefix_end = at;
                        if bytes.get(at).is_some_and(|b| *b == b' ' || *b == b'\t') {
                            at += 1;
                            prefix_end = at;
                        }
                    }
                    _ => break,
                }
            }
            if prefix_end > 0 {
                self.mask.add(line_start..line_start + prefix_end);
            }
            line_start = line_end + 1;
        }
    }

    fn collect_ignore_comments(&mut self, text: &str, range: ByteRange) {
        let Some(html) = text.get(range.clone()) else {
            return;
        };
        let mut from = 0;
        while let Some(open) = html[from..].find("<!--") {
            let open = from + open;
            let Some(close) = html[open + 4..].find("-->") else {
                break;
            };
            let close = open + 4 + close;
            let kind = match html[open + 4..close].trim() {
                "ibid-ignore" => Some(IgnoreKind::Next),
                "ibid-ignore-start" => Some(IgnoreKind::Start),
                "ibid-ignore-end" => Some(IgnoreKind::End),
                _ => None,
            };
            if let Some(kind) = kind {
                self.comments.push(IgnoreComment {
                    kind,
                    range: range.start + open..range.start + close + 3,
                });
            }
            from = close + 3;
        }
    }
}

/// The stack a chunk of `DEEP_STACK_CHUNK_BYTES` or more is parsed with: tree-sitter's parser
/// frees what it built recursively, a frame per level of nesting it tried (about 110 bytes), and
/// a paragraph of 30,000 unclosed `[a](` went past the 2 MB of a default thread. Within
/// `syntax::parse_budget`, 64 MB is several times what the worst shape found reaches; only what is used
/// becomes resident.
const PARSER_STACK_BYTES: usize = 64 << 20;

/// Chunks shorter than this are parsed on the calling thread (rayon's, with 2 MB stacks): the
/// worst shape found needs about 30 bytes of stack a byte, under 0.5 MB here.
const DEEP_STACK_CHUNK_BYTES: usize = 16 * 1024;

/// `chunk_outline`, on a thread with a deep stack when the chunk is long enough to need one.
fn outline_of_chunk(chunk: &str, at_start: bool, inlines: Inlines) -> Outline {
    if chunk.len() < DEEP_STACK_CHUNK_BYTES {
        return chunk_outline(chunk, at_start, inlines);
    }
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("ibid-parse".to_string())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, || chunk_outline(chunk, at_start, inlines));
        match spawned {
            Ok(parsing) => parsing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(error) => {
                tracing::warn!("cannot start a thread to parse a long block of a note: {error}");
                chunk_outline(chunk, at_start, inlines)
            }
        }
    })
}

fn children_of_kind(node: Node<'_>, kind: &str) -> Vec<ByteRange> {
    let mut walker = node.walk();
    node.children(&mut walker)
        .filter(|child| child.kind() == kind)
        .map(|child| child.byte_range())
        .collect()
}

fn first_descendant_of_kind<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut walker = node.walk();
    let children: Vec<Node<'t>> = node.children(&mut walker).collect();
    children.into_iter().find_map(|child| {
        if child.kind() == kind {
            Some(child)
        } else {
            first_descendant_of_kind(child, kind)
        }
    })
}

fn heading_level(node: Node<'_>) -> u8 {
    let mut walker = node.walk();
    let level = node.children(&mut walker).find_map(|child| {
        child
            .kind()
            .strip_prefix("atx_h")
            .and_then(|rest| rest.strip_suffix("_marker"))
            .and_then(|digit| digit.parse::<u8>().ok())
    });
    level.unwrap_or(1)
}

/// Pandoc heading attributes at the end of a heading's content: `{#intro}`, `{.unnumbered}`, `{-}`.
fn heading_attributes(text: &str, content: ByteRange) -> Option<ByteRange> {
    let line = text.get(content.clone())?.trim_end();
    let inner_start = line.strip_suffix('}')?.rfind('{')?;
    let inner = line.get(inner_start + 1..line.len() - 1)?.trim_start();
    inner
        .starts_with(['#', '.', '-'])
        .then_some(content.start + inner_start..content.start + line.len())
}

/// The optional closing `#`s of an ATX heading (`## Title ##`).
fn atx_closing_sequence(text: &str, range: ByteRange) -> Option<ByteRange> {
    let line = text.get(range.clone())?;
    let without = line.trim_end_matches('#');
    if without.len() == line.len() || !without.ends_with([' ', '\t']) {
        return None;
    }
    let marker_only = without.trim().chars().all(|c| c == '#');
    if marker_only {
        return None;
    }
    Some(range.start + without.len()..range.end)
}

/// The lines of `range` (without their line breaks), as byte ranges.
fn lines_in(text: &str, range: ByteRange) -> Vec<ByteRange> {
    let mut lines = Vec::new();
    let mut line_start = range.start;
    while line_start < range.end {
        let line_end = text
            .get(line_start..range.end)
            .and_then(|rest| rest.find('\n'))
            .map_or(range.end, |i| line_start + i);
        let line = text.get(line_start..line_end).unwrap_or("");
        lines.push(line_start..line_start + line.trim_end_matches('\r').len());
        line_start = line_end + 1;
    }
    lines
}

/// A Pandoc fenced-div line: `:::`, `::: note`, `::: {.warning}`.
fn is_div_fence(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.len() - trimmed.trim_start_matches(':').len() >= 3 && line.len() - trimmed.len() <= 3
}

/// The end of the link reference definitions (`[label]: destination "title"`) that open the
/// paragraph at `range`; `range.start` when there are none.
fn link_definitions_end(text: &str, range: ByteRange) -> usize {
    let mut end = range.start;
    let mut line_start = range.start;
    while line_start < range.end {
        let line_end = text[line_start..range.end]
            .find('\n')
            .map_or(range.end, |i| line_start + i);
        if !is_link_definition(&text[line_start..line_end]) {
            break;
        }
        end = line_end;
        line_start = line_end + 1;
    }
    end
}

fn is_link_definition(line: &str) -> bool {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let Some(rest) = line[indent..].strip_prefix('[') else {
        return false;
    };
    let Some(close) = rest.find("]:") else {
        return false;
    };
    let label = &rest[..close];
    indent <= 3
        && !label.trim().is_empty()
        && !label.starts_with(['^', '@', '-'])
        && !label.contains('[')
        && !rest[close + 2..].trim().is_empty()
}

fn skip_whitespace(text: &str, from: usize) -> usize {
    let rest = text.get(from..).unwrap_or("");
    from + (rest.len() - rest.trim_start().len())
}

/// Whether `$…$` / `$$…$$` at `range` is TeX math for Pandoc: no space just inside the dollars,
/// and no digit right after the closing one.
fn is_pandoc_math(text: &str, range: ByteRange) -> bool {
    let Some(math) = text.get(range.clone()) else {
        return false;
    };
    let inner = math.trim_start_matches('$').trim_end_matches('$');
    let digit_after = text
        .get(range.end..)
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_digit());
    let display = math.starts_with("$$");
    !inner.is_empty()
        && !digit_after
        && (display
            || (!inner.starts_with(char::is_whitespace) && !inner.ends_with(char::is_whitespace)))
}

/// The rows of a table (its "sentences"): each non-blank line, trimmed.
fn table_rows(masked: &str, range: ByteRange) -> Vec<ByteRange> {
    let mut rows = Vec::new();
    let mut line_start = range.start;
    while line_start < range.end {
        let line_end = masked
            .get(line_start..range.end)
            .and_then(|rest| rest.find('\n'))
            .map_or(range.end, |i| line_start + i);
        let line = masked.get(line_start..line_end).unwrap_or("");
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let start = line_start + (line.len() - line.trim_start().len());
            rows.push(start..start + trimmed.len());
        }
        line_start = line_end + 1;
    }
    rows
}

/// `range` without trailing whitespace.
fn trim_end(text: &str, range: ByteRange) -> ByteRange {
    match text.get(range.clone()) {
        Some(slice) => range.start..range.start + slice.trim_end().len(),
        None => range,
    }
}

pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Applies `<!-- ibid-ignore -->` (the next block, or the block it opens) and
/// `<!-- ibid-ignore-start -->` … `<!-- ibid-ignore-end -->` (every block between).
fn mark_ignored(blocks: &mut [Block], comments: &[IgnoreComment], text: &str, masked: &str) {
    // Only blank lines and block markers (`>`, list markers) between: no code or HTML block.
    let blank_between = |from: usize, to: usize| {
        from <= to
            && masked.get(from..to).is_some_and(|s| s.trim().is_empty())
            && text.get(from..to).is_some_and(|s| {
                s.chars().all(|c| {
                    c.is_whitespace()
                        || c.is_ascii_digit()
                        || matches!(c, '>' | '-' | '*' | '+' | '.' | ')')
                })
            })
    };
    let mut open_range: Option<usize> = None;
    let mut ranges: Vec<ByteRange> = Vec::new();
    for comment in comments {
        match comment.kind {
            IgnoreKind::Next => {
                // Inside a block's text, after its first words, the mark is inline: it marks a
                // sentence as the writer's own view (see `analysis::claims`), not a block.
                let inline = blocks.iter().any(|block| {
                    block.range.start <= comment.range.start
                        && comment.range.start < block.range.end
                        && !blank_between(block.range.start, comment.range.start)
                });
                if inline {
                    continue;
                }
                let target = blocks.iter_mut().find(|block| {
                    // At the very start of the block (after its markers) or right before it.
                    (block.range.start <= comment.range.start
                        && comment.range.start < block.range.end
                        && blank_between(block.range.start, comment.range.start))
                        || (block.range.start >= comment.range.end
                            && blank_between(comment.range.end, block.range.start))
                });
                if let Some(block) = target {
                    block.ignored = true;
                }
            }
            IgnoreKind::Start => {
                if open_range.is_none() {
                    open_range = Some(comment.range.end);
                }
            }
            IgnoreKind::End => {
                if let Some(start) = open_range.take() {
                    ranges.push(start..comment.range.start);
                }
            }
        }
    }
    if let Some(start) = open_range {
        ranges.push(start..masked.len());
    }
    for block in blocks.iter_mut() {
        if ranges
            .iter()
            .any(|r| r.start <= block.range.start && block.range.start < r.end)
        {
            block.ignored = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masked text of a note without scanning it for citations or quotations.
    fn mask_only(text: &str) -> String {
        chunked_outline(text, None).0.mask.apply(text)
    }

    fn candidates(text: &str) -> Vec<(BlockKind, &str)> {
        chunked_outline(text, None)
            .0
            .candidates
            .into_iter()
            .map(|c| (c.kind, &text[c.range]))
            .collect()
    }

    /// Each syntax problem of a note: kind, the text of its range, message.
    fn problems(text: &str) -> String {
        parse_note(text)
            .problems
            .iter()
            .map(|p| format!("{:?} {:?}: {}\n", p.kind, &text[p.range.clone()], p.message))
            .collect()
    }

    /// Paragraphs that nest deeply or repeat marks, each `len` bytes long: shapes that made
    /// tree-sitter-md (or the walk over its tree) slow, or deep in its stack.
    fn hostile_paragraphs(len: usize) -> Vec<(&'static str, String)> {
        let repeat = |unit: &str| unit.repeat(len / unit.len());
        let run = |mark: &str| format!("{}x{}", mark.repeat(len / 2), mark.repeat(len / 2));
        vec![
            ("unclosed links", repeat("[a](")),
            ("unclosed strong", repeat("**a ")),
            ("unclosed images", repeat("![")),
            ("brackets", run("[").replace('x', "@key")),
            ("a run of *", run("*")),
            ("a run of _", run("_")),
            ("nested emphasis", repeat("*_")),
            ("unclosed citations", repeat("[@b; ")),
            ("suppressed authors", repeat("[-@b]")),
            ("nested lists", {
                let line = |depth: usize| format!("{}- x\n", "  ".repeat(depth));
                (0..)
                    .map(|i| line(i % 64))
                    .take(len / 70)
                    .collect::<String>()
            }),
            ("nested block quotes", format!("{} x\n", ">".repeat(len))),
        ]
    }

    #[test]
    fn blocks_under_the_deep_stack_size_parse_on_half_a_rayon_stack() {
        // Shorter chunks are parsed on the calling thread; rayon's have 2 MB of stack.
        for (shape, paragraph) in hostile_paragraphs(DEEP_STACK_CHUNK_BYTES - 1) {
            let parsed = std::thread::Builder::new()
                .stack_size(1 << 20)
                .spawn(move || {
                    chunk_outline(&paragraph, false, Inlines::Every)
                        .candidates
                        .len()
                })
                .expect("a thread");
            let blocks = parsed.join().expect("parsed without a panic");
            assert!(blocks >= 1, "{shape}: {blocks} blocks");
        }
    }

    #[test]
    fn deeply_nested_or_costly_paragraphs_are_parsed_or_read_as_plain_text() {
        // 400 KB each: tree-sitter needed more than a default thread's stack for some, more than
        // 7 s for others, and the walk over its tree overflowed on emphasis nested this deep.
        for (shape, paragraph) in hostile_paragraphs(400_000) {
            let text = format!("# Notes\n\n{paragraph}\n\nAfter “the end” [@doe].\n");
            let note = parse_note(&text);
            let last = note.blocks.last().map(|b| &text[b.range.clone()]);
            assert_eq!(last, Some("After “the end” [@doe]."), "{shape}");
            assert_eq!(
                note.quotations.last().map(|q| &text[q.content.clone()]),
                Some("the end")
            );
            for problem in &note.problems {
                assert!(problem.range.end <= text.len() - 30, "{shape}: {problem:?}");
            }
        }
        // A run of 60,000 `*` takes tree-sitter-md many seconds: it gives up, and says so.
        let text = format!("Intro.\n\n{}x{}\n", "*".repeat(60_000), "*".repeat(60_000));
        let problems = problems(&text);
        assert!(
            problems.starts_with("UnparsedMarkdown \"****")
                && problems.contains("read as one plain paragraph"),
            "{}",
            problems.get(..300).unwrap_or(&problems)
        );
        let note = parse_note(&text);
        assert_eq!(note.blocks.len(), 2);
    }

    #[test]
    fn unclosed_quotes_and_citations_are_problems() {
        expect_test::expect![[r#"
            UnclosedQuote "“": this `“` is never closed: no `”` before the end of the paragraph, so the words after it are not checked as a quotation
            UnclosedCitation "[@roe": this citation's `[` is never closed: no `]` before the end of the paragraph, so `@roe` is not read as a bracketed citation
            UnclosedQuote "\"": this `"` is never closed: no `"` before the end of the paragraph, so the words after it are not checked as a quotation
        "#]]
        .assert_eq(&problems(
            "# Notes\n\nShe wrote “the end is near [@doe].\n\nA claim [@roe, p. 2.\n\n\
             - item with \"open quote\n- \"closed\" item\n",
        ));
    }

    #[test]
    fn the_first_unclosed_citation_of_a_paragraph_is_reported() {
        let text = format!(
            "{}\n\nAnother [@roe, p. 2.\n",
            "A claim [@doe; ".repeat(1_000)
        );
        let problems = parse_note(&text).problems;
        let at: Vec<&str> = problems.iter().map(|p| &text[p.range.clone()]).collect();
        assert_eq!(at, ["[@doe", "[@roe"]);
        assert_eq!(problems[0].range.start, "A claim ".len());
    }

    #[test]
    fn a_quotation_over_several_paragraphs_is_no_problem() {
        // Each paragraph opens the quotation again; only the last closes it.
        let text = "He said: “The first paragraph goes on.\n\n“The second too.\n\n\
                    “The last one closes.” [@doe]\n";
        assert_eq!(problems(text), "");
        let text = "\"One\n\n\"Two.\" [@doe]\n\nAfter.\n";
        assert_eq!(problems(text), "");
        // French style may reopen with `»`.
        assert_eq!(problems("« Un\n\n» Deux. »\n"), "");
        // A different mark in the next paragraph is no continuation.
        assert_eq!(
            parse_note("\"One\n\n“Two.”\n").problems.len(),
            1,
            "the `\"` is unclosed"
        );
        // The last paragraph still must close.
        let text = "“One\n\n“Two never closes.\n\nAfter.\n";
        assert_eq!(
            parse_note(text)
                .problems
                .iter()
                .map(|p| p.range.start)
                .collect::<Vec<_>>(),
            vec![text.find("“Two").unwrap_or(usize::MAX)]
        );
    }

    #[test]
    fn no_problems_in_code_links_blockquotes_or_frontmatter() {
        let text = "---\ntitle: \"a\n---\n\n`\"code` and [link](http://x \"t\") and <a title=\"x\">\n\n\
                    ```\n\"fenced [@key\n```\n\n> A blockquote of the source's \"unclosed words.\n> [@doe]\n";
        // The frontmatter's YAML is broken: that is the one problem.
        expect_test::expect![[r#"
            InvalidFrontmatter "title: \"a": invalid YAML frontmatter at line 2: while scanning a quoted scalar, found unexpected end of stream; the frontmatter is ignored (no glossary aliases from it)
        "#]]
        .assert_eq(&problems(text));
    }

    #[test]
    fn invalid_frontmatter_names_its_line() {
        let text = "---\naliases:\n  term: [a, b\nother: x\n---\n\nBody \"closed\".\n";
        let note = parse_note(text);
        let [problem] = note.problems.as_slice() else {
            panic!("one problem expected: {:?}", note.problems);
        };
        assert_eq!(problem.kind, SyntaxProblemKind::InvalidFrontmatter);
        assert!(
            problem
                .message
                .starts_with("invalid YAML frontmatter at line "),
            "{}",
            problem.message
        );
        assert!(!text[problem.range.clone()].is_empty());
        assert!(problem.range.end <= note.frontmatter.clone().map_or(0, |f| f.end));
        // Valid YAML: no problem.
        assert!(
            parse_note("---\ntitle: ok\n---\nBody.\n")
                .problems
                .is_empty()
        );
    }

    #[test]
    fn masks_non_prose() {
        let text = "---\ntitle: x\n---\n# Head *it* ##\n\nA **b** `code` [link](http://x.y \"t\") ![i](p.png) <http://a.b> <!-- c --> <b>x</b> https://bare.org/x.\n\n```\nfenced \"q\"\n```\n\n> quote\n> more\n\n- item \\* one\n\n| a | b |\n|---|---|\n| c | d |\n";
        let masked = mask_only(text);
        assert_eq!(masked.len(), text.len());
        expect_test::expect![[r#"
            "   \n        \n   \n  Head  it    \n\nA   b           link                                                         x                       .\n\n   \n          \n   \n\n  quote\n  more\n\n  item  * one\n\n  a   b  \n         \n  c   d  \n"
        "#]]
        .assert_debug_eq(&masked);
        let _ = &masked;
    }

    #[test]
    fn shortcut_links_stay_for_the_citation_scanner() {
        let text = "As shown [@key, p. 5] and [see @a; @b].\n";
        assert_eq!(mask_only(text), text);
    }

    #[test]
    fn blocks_in_document_order() {
        let text = "# Title\n\nPara one.\n\n- item a\n- item b\n\n> quoted\n> - inner list\n\n| a |\n|---|\n| b |\n\n```\ncode\n```\n\n<div>html</div>\n";
        assert_eq!(
            candidates(text),
            vec![
                (BlockKind::Heading(1), "# Title"),
                (BlockKind::Paragraph, "Para one."),
                (BlockKind::ListItem, "item a"),
                (BlockKind::ListItem, "item b"),
                (BlockKind::BlockQuote, "> quoted\n> - inner list"),
                (BlockKind::Table, "| a |\n|---|\n| b |"),
            ]
        );
    }

    #[test]
    fn link_definitions_and_footnote_references_are_not_prose() {
        let text = "Text[^1] here.\n\n[x]: http://ref.example\n[y]: <http://a.b> \"T\"\nafter\n\n[^1]: A note.\n";
        assert_eq!(
            candidates(text),
            vec![
                (BlockKind::Paragraph, "Text[^1] here."),
                (BlockKind::Paragraph, "after"),
                (BlockKind::Paragraph, "[^1]: A note.")
            ]
        );
        let masked = mask_only(text);
        assert!(masked.starts_with("Text     here.\n\n"), "{masked:?}");
        assert!(
            !masked.contains("[x]") && !masked.contains("[y]"),
            "{masked:?}"
        );
    }

    fn ignored_blocks(text: &str) -> Vec<(&str, bool)> {
        parse_note(text)
            .blocks
            .into_iter()
            .map(|b| (&text[b.range], b.ignored))
            .collect()
    }

    #[test]
    fn ignore_comment_reaches_only_the_next_block() {
        let text = "<!-- ibid-ignore -->\n\n```\ncode\n```\nAfter code.\n\n<!-- ibid-ignore -->\n1. Item.\n2. Next item.\n\n- <!-- ibid-ignore -->\n  Inside.\n";
        assert_eq!(
            ignored_blocks(text),
            vec![
                ("After code.", false),
                ("Item.", true),
                ("Next item.", false),
                ("Inside.", true)
            ]
        );
    }

    #[test]
    fn unterminated_ignore_start_reaches_the_end() {
        let text = "Before.\n\n<!-- ibid-ignore-start -->\nOne.\n\n> Two.\n";
        assert_eq!(
            ignored_blocks(text),
            vec![("Before.", false), ("One.", true), ("> Two.", true)]
        );
    }

    #[test]
    fn table_rows_are_its_sentences() {
        let text = "| Claim | Source |\n|:--|--:|\n| One. Two. | [@a] |\n";
        let note = parse_note(text);
        let rows: Vec<&str> = note.blocks[0]
            .sentences
            .iter()
            .map(|r| &text[r.clone()])
            .collect();
        assert_eq!(rows, vec!["Claim | Source", "One. Two. | [@a]"]);
    }

    #[test]
    fn frontmatter_after_a_byte_order_mark() {
        let text = "\u{FEFF}---\ntitle: \"x\" [@a]\n---\nText.\n";
        let note = parse_note(text);
        assert_eq!(
            note.frontmatter.map(|r| &text[r]),
            Some("\u{FEFF}---\ntitle: \"x\" [@a]\n---")
        );
        let blocks: Vec<&str> = note.blocks.iter().map(|b| &text[b.range.clone()]).collect();
        assert_eq!(blocks, vec!["Text."]);
        assert!(note.citations.is_empty() && note.quotations.is_empty());
    }

    #[test]
    fn dollar_amounts_stay_prose_but_math_and_strikethrough_markers_do_not() {
        let text = "It cost \"$5 and then $6 more\" and ~~struck~~ and $x^2$ too.\n";
        assert_eq!(
            mask_only(text),
            "It cost \"$5 and then $6 more\" and   struck   and       too.\n"
        );
    }

    #[test]
    fn pandoc_fenced_divs_are_markup() {
        let text = "::: note\nInside the div.\n:::\n\nAfter.\n";
        assert_eq!(
            candidates(text),
            vec![
                (BlockKind::Paragraph, "Inside the div."),
                (BlockKind::Paragraph, "After.")
            ]
        );
        assert_eq!(
            mask_only(text),
            "        \nInside the div.\n   \n\nAfter.\n"
        );
    }

    #[test]
    fn heading_attributes_are_markup() {
        let note = parse_note("## Results {#sec:results .unnumbered}\n\n# Set {x}\n");
        let texts: Vec<&str> = note.headings.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(texts, vec!["Results", "Set {x}"]);
    }

    #[test]
    fn escaped_at_sign_is_not_a_citation() {
        let note = parse_note("Write \\@key to show a key, not @real.\n");
        let keys: Vec<&str> = note
            .citations
            .iter()
            .flat_map(|c| c.items.iter().map(|i| i.key.as_str()))
            .collect();
        assert_eq!(keys, vec!["real"]);
    }

    #[test]
    fn setext_headings() {
        let text = "Title\n=====\n\nSub\n---\n";
        assert_eq!(
            candidates(text),
            vec![
                (BlockKind::Heading(1), "Title\n====="),
                (BlockKind::Heading(2), "Sub\n---")
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn masking_and_splitting_never_break_offsets(
            text in r#"([-#>*_`~:|\[\]()!<@".?。 \r\naAzZ1é“”🙂]|https://|<!-- ibid-ignore -->|\n---\n){0,80}"#
        ) {
            let outline = chunked_outline(&text, None).0;
            let masked = outline.mask.apply(&text);
            proptest::prop_assert_eq!(masked.len(), text.len());
            for (a, b) in text.bytes().zip(masked.bytes()) {
                proptest::prop_assert!(a == b || b == b' ', "masked bytes are the text's or spaces");
                proptest::prop_assert_eq!(a == b'\n', b == b'\n');
            }
            for candidate in &outline.candidates {
                for sentence in split_sentences(&masked, candidate.range.clone()) {
                    proptest::prop_assert!(candidate.range.start <= sentence.start);
                    proptest::prop_assert!(sentence.end <= candidate.range.end);
                    proptest::prop_assert!(masked.get(sentence.clone()).is_some());
                }
            }
            let paragraphs: Vec<Option<ByteRange>> = outline
                .candidates
                .iter()
                .map(|c| c.top_level_paragraph.then(|| c.range.clone()))
                .collect();
            for entry in glossary::definition_lists(&text, &masked, &paragraphs).entries {
                proptest::prop_assert!(text.get(entry.term_range.clone()).is_some());
                proptest::prop_assert!(text.get(entry.definition_range.clone()).is_some());
            }
        }
    }

    /// Pieces of inline content: plain words and citations, and each start of markup the
    /// outline reads, whole or cut short.
    const INLINE_PIECES: [&str; 32] = [
        "word ",
        "“quoted” ",
        "[@doe, p. 4] ",
        "[see @a; @b]",
        "@key ",
        "(paren) ",
        "[",
        "]",
        "(",
        "!",
        "^",
        "`",
        "`code`",
        "*",
        "_",
        "~~",
        "$x$",
        "$",
        "<",
        "<b>",
        "<https://x.org>",
        "\\",
        "\\@key",
        "  \n",
        "\t\n",
        " \n",
        "\n",
        "\n\n",
        "> ",
        "- ",
        "| a | b |\n|---|---|\n",
        "[^1]",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1500))]
        /// Parsing only the inline nodes that may hold markup gives the outline of parsing
        /// every one.
        #[test]
        fn needed_inlines_give_the_outline_of_every_inline(
            picks in proptest::collection::vec(0..INLINE_PIECES.len(), 0..40),
        ) {
            let text: String = picks.iter().map(|&i| INLINE_PIECES[i]).collect();
            let checked = check_needed_inlines(&text);
            proptest::prop_assert!(checked.is_ok(), "{:?}\n{}", text, checked.err().unwrap_or_default());
        }
    }

    #[test]
    fn a_paragraph_of_prose_and_citations_is_parsed_without_its_inline_tree() {
        let text = "# Title\n\nAs Doe writes, “the river rose” [@doe, p. 4].\n\nA *marked* word.\n";
        let tree = super::super::syntax::parse_markdown(text, Inlines::Needed).expect("parsed");
        let every = super::super::syntax::parse_markdown(text, Inlines::Every).expect("parsed");
        // Only the emphasis paragraph's inline content is parsed, not the heading's or the
        // quotation's.
        assert_eq!((tree.inline_trees(), every.inline_trees()), (1, 3));
        assert_eq!(check_needed_inlines(text), Ok(()));
    }
}

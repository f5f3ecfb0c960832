//! Block structure of a note from tree-sitter-md: prose blocks, headings, blockquotes, definition
//! lists; masks non-prose bytes; runs the inline scanners; attributes citations to quotations.

use tree_sitter::Node;
use tree_sitter_md::{MarkdownCursor, MarkdownParser};

use super::attribution;
use super::citation::scan_citations;
use super::glossary;
use super::mask::Mask;
use super::quotation::{QuotationKind, quote_word_count, scan_quotations, split_pieces};
use super::sentences::split_sentences;
use super::{Block, BlockKind, Heading, Note, Quotation};
use crate::ByteRange;

/// A note parsed into blocks, with its masked text (see [`masked_note`]).
#[derive(Debug, Clone)]
pub struct ParsedNote {
    pub note: Note,
    /// The note with every non-prose byte replaced by a space (same length, newlines kept).
    pub masked: String,
}

pub(crate) fn parse_note(text: &str) -> Note {
    parse_note_with_mask(text).note
}

/// The note's text with every non-prose byte (frontmatter, code, HTML, link targets, markup
/// delimiters, block markers, bare URLs) replaced by a space: same length, newlines kept.
pub fn masked_note(text: &str) -> String {
    parse_note_with_mask(text).masked
}

/// Parses a note and returns it with its masked text.
pub fn parse_note_with_mask(text: &str) -> ParsedNote {
    let outline = outline(text);
    let masked = outline.mask.apply(text);

    let glossary_paragraphs: Vec<Option<ByteRange>> = outline
        .candidates
        .iter()
        .map(|c| c.top_level_paragraph.then(|| c.range.clone()))
        .collect();
    let frontmatter_yaml = outline
        .frontmatter
        .is_some()
        .then(|| glossary::frontmatter_yaml(text))
        .flatten();
    let lists = glossary::definition_lists(text, &masked, &glossary_paragraphs);
    let mut glossary_entries = lists.entries;
    glossary::apply_aliases(&mut glossary_entries, frontmatter_yaml.as_ref());

    let mut blocks: Vec<Block> = outline
        .candidates
        .iter()
        .enumerate()
        .map(|(index, candidate)| {
            let kind = if lists.definition_blocks.contains(&index) {
                BlockKind::Definition
            } else {
                candidate.kind
            };
            Block {
                kind,
                range: candidate.range.clone(),
                sentences: split_sentences(&masked, candidate.range.clone()),
                ignored: false,
            }
        })
        .collect();
    mark_ignored(&mut blocks, &outline.comments, &masked);

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
            for scanned in scan_quotations(&masked, block.range.clone()) {
                let sentence = block
                    .sentences
                    .iter()
                    .find(|s| s.start <= scanned.range.start && scanned.range.start < s.end)
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

    ParsedNote {
        note: Note {
            frontmatter: outline.frontmatter,
            blocks,
            headings,
            citations,
            quotations,
            glossary: glossary_entries,
        },
        masked,
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
}

#[derive(Debug, Clone, Copy, Default)]
struct Context {
    in_list_item: bool,
    in_blockquote: bool,
}

fn outline(text: &str) -> Outline {
    let mut outline = Outline::default();
    let mut parser = MarkdownParser::default();
    let Some(tree) = parser.parse(text.as_bytes(), None) else {
        tracing::warn!("tree-sitter-md could not parse a note; treating it as one paragraph");
        let range = trim_end(text, 0..text.len());
        if !range.is_empty() {
            outline.candidates.push(Candidate {
                kind: BlockKind::Paragraph,
                range,
                top_level_paragraph: true,
            });
        }
        return outline;
    };
    let mut cursor = tree.walk();
    outline.visit(text, &mut cursor, Context::default());
    outline.candidates.sort_by_key(|c| c.range.start);
    outline
}

impl Outline {
    /// Visits the cursor's node and (when it holds prose) its children.
    fn visit(&mut self, text: &str, cursor: &mut MarkdownCursor<'_>, context: Context) {
        let node = cursor.node();
        let range = node.byte_range();
        let kind = node.kind();
        let mut child_context = context;
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
            | "thematic_break"
            | "latex_block" => {
                self.mask.add(range);
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
            "|" if node
                .parent()
                .is_some_and(|p| p.kind().starts_with("pipe_table")) =>
            {
                self.mask.add(range);
                descend = false;
            }
            "backslash_escape" => {
                self.mask.add(range.start..range.start + 1);
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
                child_context.in_blockquote = true; // its paragraph-like content is not a block
            }
            "setext_heading" => {
                let level = if children_of_kind(node, "setext_h2_underline").is_empty() {
                    1
                } else {
                    2
                };
                self.push_heading(text, node, level, context);
                child_context.in_blockquote = true;
            }
            "block_quote" => {
                if !context.in_blockquote {
                    let block_range = trim_end(text, range.clone());
                    self.mask_quote_prefixes(text, block_range.clone());
                    self.candidates.push(Candidate {
                        kind: BlockKind::BlockQuote,
                        range: block_range,
                        top_level_paragraph: false,
                    });
                }
                child_context.in_blockquote = true;
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
                if !context.in_blockquote && !block_range.is_empty() {
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
                if !context.in_blockquote {
                    self.candidates.push(Candidate {
                        kind: BlockKind::Table,
                        range: trim_end(text, range.clone()),
                        top_level_paragraph: false,
                    });
                }
                child_context.in_blockquote = true;
            }
            _ => {}
        }
        if descend && cursor.goto_first_child() {
            loop {
                self.visit(text, cursor, child_context);
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            cursor.goto_parent();
        }
    }

    fn push_heading(&mut self, text: &str, node: Node<'_>, level: u8, context: Context) {
        let range = trim_end(text, node.byte_range());
        let content = first_descendant_of_kind(node, "inline")
            .map_or_else(|| range.clone(), |inline| inline.byte_range());
        if !context.in_blockquote {
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
fn mark_ignored(blocks: &mut [Block], comments: &[IgnoreComment], masked: &str) {
    let blank_between = |from: usize, to: usize| {
        from <= to && masked.get(from..to).is_some_and(|s| s.trim().is_empty())
    };
    let mut open_range: Option<usize> = None;
    let mut ranges: Vec<ByteRange> = Vec::new();
    for comment in comments {
        match comment.kind {
            IgnoreKind::Next => {
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
        outline(text).mask.apply(text)
    }

    fn candidates(text: &str) -> Vec<(BlockKind, &str)> {
        outline(text)
            .candidates
            .into_iter()
            .map(|c| (c.kind, &text[c.range]))
            .collect()
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
            let outline = outline(&text);
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
}

//! The reference for `markup`: Markdown markup of a source found by tree-sitter-md, as edits for
//! the clean projection (tests compare the two): what to delete (link
//! destinations, emphasis delimiters, block markers, HTML tags...) and what to replace (character
//! references). Parsed with tree-sitter-md (block tree plus one inline tree per paragraph);
//! link text, image alt text, code text and escaped chars are kept.

use tree_sitter::{Node, TreeCursor};
use tree_sitter_md::{MarkdownParser, MarkdownTree};

use super::markup::{Edit, Replacement, breaks_line, decode_reference};
use crate::ByteRange;

/// The markup edits of a Markdown text, sorted by start, not overlapping.
pub(crate) fn markup_edits(text: &str) -> Vec<Edit> {
    let mut parser = MarkdownParser::default();
    let Some(tree) = parser.parse(text.as_bytes(), None) else {
        tracing::warn!("Markdown parsing gave up; the source is read as plain text");
        return Vec::new();
    };
    let mut collector = Collector {
        text,
        tree: &tree,
        edits: Vec::new(),
    };
    let mut cursor = tree.block_tree().walk();
    collector.block(&mut cursor);
    let mut edits = collector.edits;
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    // Keep the first of overlapping edits (a tag spanning a block continuation, say).
    let mut kept: Vec<Edit> = Vec::with_capacity(edits.len());
    for edit in edits {
        if kept
            .last()
            .is_none_or(|last| last.range.end <= edit.range.start)
        {
            kept.push(edit);
        } else if let Some(last) = kept.last_mut()
            && last.with == Replacement::Nothing
            && edit.with == Replacement::Nothing
        {
            last.range.end = last.range.end.max(edit.range.end);
        }
    }
    kept
}

struct Collector<'a> {
    text: &'a str,
    tree: &'a MarkdownTree,
    edits: Vec<Edit>,
}

impl Collector<'_> {
    fn delete(&mut self, range: ByteRange) {
        if !range.is_empty() {
            self.edits.push(Edit {
                range,
                with: Replacement::Nothing,
            });
        }
    }

    fn separate(&mut self, range: ByteRange) {
        if !range.is_empty() {
            self.edits.push(Edit {
                range,
                with: Replacement::Space,
            });
        }
    }

    /// Visits the block node under the cursor and its descendants.
    fn block(&mut self, cursor: &mut TreeCursor) {
        let node = cursor.node();
        let kind = node.kind();
        match kind {
            // A footnote definition (`[^1]: text`) is text, not a link reference.
            "link_reference_definition" if self.starts_with(&node, "[^") => {}
            "block_quote_marker"
            | "block_continuation"
            | "list_marker_minus"
            | "list_marker_plus"
            | "list_marker_star"
            | "list_marker_dot"
            | "list_marker_parenthesis"
            | "task_list_marker_checked"
            | "task_list_marker_unchecked"
            | "atx_h1_marker"
            | "atx_h2_marker"
            | "atx_h3_marker"
            | "atx_h4_marker"
            | "atx_h5_marker"
            | "atx_h6_marker" => {
                self.delete(node.byte_range());
                return;
            }
            "setext_h1_underline"
            | "setext_h2_underline"
            | "thematic_break"
            | "fenced_code_block_delimiter"
            | "info_string"
            | "link_reference_definition"
            | "pipe_table_delimiter_row"
            | "minus_metadata"
            | "plus_metadata"
            | "|" => {
                self.separate(node.byte_range());
                return;
            }
            "html_block" => self.html_tags(node.byte_range()),
            "inline" | "pipe_table_cell" => {
                if let Some(inline) = self.tree.inline_tree(&node) {
                    let mut inline_cursor = inline.walk();
                    self.inline(&mut inline_cursor);
                }
                if node.parent().is_some_and(|p| p.kind() == "atx_heading") {
                    self.atx_closing_sequence(node.byte_range());
                }
            }
            _ => {}
        }
        if cursor.goto_first_child() {
            loop {
                self.block(cursor);
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            cursor.goto_parent();
        }
    }

    /// Visits the inline node under the cursor and its descendants.
    fn inline(&mut self, cursor: &mut TreeCursor) {
        let node = cursor.node();
        let range = node.byte_range();
        match node.kind() {
            "emphasis_delimiter" | "code_span_delimiter" => {
                self.delete(range);
                return;
            }
            "html_tag" => {
                self.html_tag(range);
                return;
            }
            "backslash_escape" => {
                self.delete(range.start..range.start + 1);
                return;
            }
            "hard_line_break" => {
                if self.text.as_bytes().get(range.start) == Some(&b'\\') {
                    self.delete(range.start..range.start + 1);
                }
                return;
            }
            "uri_autolink" | "email_autolink" => {
                self.delete(range.start..range.start + 1);
                self.delete(range.end.saturating_sub(1).max(range.start)..range.end);
                return;
            }
            "entity_reference" | "numeric_character_reference" => {
                if let Some(c) = self.text.get(range.clone()).and_then(decode_reference) {
                    self.edits.push(Edit {
                        range,
                        with: Replacement::Char(c),
                    });
                }
                return;
            }
            "inline_link" | "full_reference_link" | "collapsed_reference_link" | "image" => {
                self.keep_only_text(cursor, node);
                return;
            }
            "code_span" => {
                // Only the delimiters go; the code text stays as written.
                if cursor.goto_first_child() {
                    loop {
                        if cursor.node().kind() == "code_span_delimiter" {
                            self.delete(cursor.node().byte_range());
                        }
                        if !cursor.goto_next_sibling() {
                            break;
                        }
                    }
                    cursor.goto_parent();
                }
                return;
            }
            _ => {}
        }
        if cursor.goto_first_child() {
            loop {
                self.inline(cursor);
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            cursor.goto_parent();
        }
    }

    fn starts_with(&self, node: &Node, prefix: &str) -> bool {
        self.text
            .get(node.byte_range())
            .is_some_and(|t| t.starts_with(prefix))
    }

    /// An HTML tag or comment: a tag that breaks the line (`<br>`, `<p>`, `<td>`...) leaves a
    /// separator, any other goes without a trace.
    fn html_tag(&mut self, range: ByteRange) {
        let tag = self.text.get(range.clone()).unwrap_or("");
        if breaks_line(tag.as_bytes()) {
            self.separate(range);
        } else {
            self.delete(range);
        }
    }

    /// A link or image: keeps its text (visited for nested markup), deletes everything else.
    fn keep_only_text(&mut self, cursor: &mut TreeCursor, node: Node) {
        let range = node.byte_range();
        let mut text_range = None;
        if cursor.goto_first_child() {
            loop {
                let child = cursor.node();
                if matches!(child.kind(), "link_text" | "image_description") {
                    text_range = Some(child.byte_range());
                    self.inline(cursor);
                    break;
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            cursor.goto_parent();
        }
        match text_range {
            Some(text) => {
                self.delete(range.start..text.start);
                self.delete(text.end..range.end);
            }
            None => self.delete(range),
        }
    }

    /// A closing sequence of `#` at the end of an ATX heading's text.
    fn atx_closing_sequence(&mut self, range: ByteRange) {
        let Some(line) = self.text.get(range.clone()) else {
            return;
        };
        let without_hashes = line.trim_end_matches('#');
        if without_hashes.len() < line.len()
            && (without_hashes.is_empty() || without_hashes.ends_with([' ', '\t']))
        {
            self.delete(range.start + without_hashes.len()..range.end);
        }
    }

    /// HTML tags and comments inside a raw HTML block.
    fn html_tags(&mut self, range: ByteRange) {
        let Some(html) = self.text.get(range.clone()) else {
            return;
        };
        let mut at = 0;
        while let Some(found) = html.get(at..).and_then(|rest| rest.find('<')) {
            let start = at + found;
            let rest = html.get(start..).unwrap_or("");
            let end = if rest.starts_with("<!--") {
                rest.find("-->").map(|e| start + e + 3)
            } else if rest
                .as_bytes()
                .get(1)
                .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'))
            {
                rest.find('>').map(|e| start + e + 1)
            } else {
                None
            };
            match end {
                Some(end) => {
                    self.html_tag(range.start + start..range.start + end);
                    at = end;
                }
                None => at = start + 1,
            }
        }
    }
}

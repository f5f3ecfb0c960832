//! tree-sitter-md's parse of a note: its block tree, the inline trees the outline reads, within a
//! time budget, and a cursor that walks both as one tree.
//!
//! tree-sitter-md gives every paragraph (each `inline` node) a second parse with its inline
//! grammar, which took most of a note's parse. The outline only reacts to a few inline nodes (code
//! spans, links, images, autolinks, HTML, math, emphasis delimiters, escapes, hard line breaks,
//! footnote references: see `Outline::visit`); a paragraph holding none of the characters those
//! begin with (`may_hold_inline_markup`) would have an inline tree of plain text, and is not
//! parsed: the cursor walks it as a node without children.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use tree_sitter::{
    Language, Node, ParseOptions, ParseState, Parser, Point, Range, Tree, TreeCursor,
};

/// Which `inline` nodes get an inline tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Inlines {
    /// Those that may hold inline markup the outline reads.
    Needed,
    /// Every one, as `tree_sitter_md::MarkdownParser` does (the reference tests compare with).
    Every,
}

/// A note's block tree and the inline trees of its `inline` nodes and table cells, by block
/// node id.
pub(super) struct NoteTree {
    block: Tree,
    inline: foldhash::HashMap<usize, Tree>,
}

impl NoteTree {
    /// How many inline trees were parsed.
    #[cfg(test)]
    pub(super) fn inline_trees(&self) -> usize {
        self.inline.len()
    }

    fn inline_tree(&self, node: &Node<'_>) -> Option<&Tree> {
        self.inline.get(&node.id())
    }
}

/// A parser for both of tree-sitter-md's grammars.
struct NoteParser {
    parser: Parser,
    block: Language,
    inline: Language,
}

impl Default for NoteParser {
    fn default() -> Self {
        NoteParser {
            parser: Parser::new(),
            block: tree_sitter_md::LANGUAGE.into(),
            inline: tree_sitter_md::INLINE_LANGUAGE.into(),
        }
    }
}

thread_local! {
    /// One parser per thread, re-used for every chunk.
    static PARSER: std::cell::RefCell<NoteParser> = std::cell::RefCell::new(NoteParser::default());
}

impl NoteParser {
    /// Parses `source`'s blocks, then the inline content `inlines` asks for, each parse asking
    /// `progress` whether to go on. `None` when a parse stopped or failed.
    fn parse<F>(&mut self, source: &str, inlines: Inlines, progress: &mut F) -> Option<NoteTree>
    where
        F: FnMut(&ParseState) -> ControlFlow<()>,
    {
        let bytes = source.as_bytes();
        let mut read = |at: usize, _: Point| bytes.get(at..).unwrap_or_default();
        let parser = &mut self.parser;
        parser.set_included_ranges(&[]).ok()?;
        parser.set_language(&self.block).ok()?;
        let options = ParseOptions::new().progress_callback(&mut *progress);
        let block = parser.parse_with_options(&mut read, None, Some(options))?;
        parser.set_language(&self.inline).ok()?;
        let mut inline = foldhash::HashMap::default();
        let mut cursor = block.walk();
        while let Some(node) = next_inline_node(&mut cursor) {
            if inlines == Inlines::Needed
                && node.kind() == "inline"
                && !may_hold_inline_markup(bytes.get(node.byte_range()).unwrap_or_default())
            {
                continue;
            }
            parser.set_included_ranges(&inline_ranges(node)).ok()?;
            let options = ParseOptions::new().progress_callback(&mut *progress);
            let tree = parser.parse_with_options(&mut read, None, Some(options))?;
            inline.insert(node.id(), tree);
        }
        drop(cursor);
        Some(NoteTree { block, inline })
    }
}

/// The next `inline` node or table cell after the cursor's node, in document order, not looking
/// inside either (they hold no blocks); `None` past the last.
fn next_inline_node<'t>(cursor: &mut TreeCursor<'t>) -> Option<Node<'t>> {
    loop {
        let kind = cursor.node().kind();
        if matches!(kind, "inline" | "pipe_table_cell") || !cursor.goto_first_child() {
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    return None;
                }
            }
        }
        if matches!(cursor.node().kind(), "inline" | "pipe_table_cell") {
            return Some(cursor.node());
        }
    }
}

/// The ranges an inline node's content is parsed from: its own range without its named children
/// (the block markers of its continuation lines), as tree-sitter-md takes them.
fn inline_ranges(node: Node<'_>) -> Vec<Range> {
    let mut range = node.range();
    let mut ranges = Vec::new();
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        let child_range = child.range();
        ranges.push(Range {
            start_byte: range.start_byte,
            start_point: range.start_point,
            end_byte: child_range.start_byte,
            end_point: child_range.start_point,
        });
        range.start_byte = child_range.end_byte;
        range.start_point = child_range.end_point;
    }
    ranges.push(range);
    ranges
}

/// Whether inline content may hold a node the outline reacts to: a code span (`` ` ``), an
/// autolink or HTML (`<`), TeX math (`$`), an emphasis or strikethrough delimiter (`*`, `_`,
/// `~`), an escape or a hard line break (`\`, or spaces or a tab before a line's end), a link or
/// image (`](`, `][`, `![`) or a footnote reference (`[^`). Without any, tree-sitter-md's inline
/// tree holds only text (a bare `[@key]` is a shortcut link the outline descends into and finds
/// nothing in). May say yes where there is none; never no where there is one.
pub(super) fn may_hold_inline_markup(text: &[u8]) -> bool {
    let mut previous = b'\n';
    for &byte in text {
        let markup = match byte {
            b'`' | b'<' | b'$' | b'*' | b'_' | b'~' | b'\\' => true,
            b'(' | b'[' => previous == b']' || byte == b'[' && previous == b'!',
            b'^' => previous == b'[',
            b'\n' | b'\r' => matches!(previous, b' ' | b'\t'),
            _ => false,
        };
        if markup {
            return true;
        }
        previous = byte;
    }
    matches!(previous, b' ' | b'\t')
}

/// Parses `source` with tree-sitter-md within `parse_budget`; `None` when it gave up (over
/// budget, or tree-sitter failed).
pub(super) fn parse_markdown(source: &str, inlines: Inlines) -> Option<NoteTree> {
    let budget = parse_budget(source.len());
    let clock = ThreadClock::start();
    let mut within_budget = |_: &ParseState| {
        if clock.elapsed() > budget {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        let tree = parser.parse(source, inlines, &mut within_budget);
        if tree.is_none() {
            // A parser stopped midway keeps what it built, to resume: free it now.
            *parser = NoteParser::default();
        }
        tree
    })
}

/// `source`'s block tree alone (no budget: for tests and the fuzz target).
pub(super) fn parse_blocks(source: &str) -> Option<Tree> {
    PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        let NoteParser { parser, block, .. } = &mut *parser;
        parser.set_included_ranges(&[]).ok()?;
        parser.set_language(block).ok()?;
        parser.parse(source, None)
    })
}

/// How much CPU time tree-sitter-md may spend on one chunk: half a second, plus 1.5 s a
/// megabyte, at most 4 s. Prose parses at about a megabyte a second here; some shapes no note
/// has in earnest cost it far more (a run of 60,000 `*` took 7.5 s, a paragraph of `![` a
/// gigabyte of memory per 200 KB), and the stack its parser grows is bounded by the time it
/// runs (see `blocks::PARSER_STACK_BYTES`).
fn parse_budget(len: usize) -> Duration {
    let per_megabyte = Duration::from_millis(1500);
    let proportional = per_megabyte.mul_f64(len as f64 / 1_000_000.0);
    (Duration::from_millis(500) + proportional).min(Duration::from_secs(4))
}

/// Time this thread has spent since `start`: its CPU time where the platform tells it (so that
/// a busy machine, or a process stopped and resumed, does not cut a parse short), else wall time.
#[derive(Clone, Copy)]
struct ThreadClock {
    cpu: Option<Duration>,
    wall: Instant,
}

impl ThreadClock {
    fn start() -> Self {
        ThreadClock {
            cpu: thread_cpu_time(),
            wall: Instant::now(),
        }
    }

    fn elapsed(&self) -> Duration {
        match (self.cpu, thread_cpu_time()) {
            (Some(start), Some(now)) => now.saturating_sub(start),
            _ => self.wall.elapsed(),
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn thread_cpu_time() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through the pointer, which is valid and unique.
    let read = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    let seconds = u64::try_from(now.tv_sec).ok()?;
    let nanos = u32::try_from(now.tv_nsec).ok()?;
    (read == 0).then(|| Duration::new(seconds, nanos))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// Walks the block tree and, from each `inline` node (or table cell) that has one, down into its
/// inline tree, as `tree_sitter_md::MarkdownCursor` does, but steps back up in constant time:
/// `MarkdownCursor::goto_parent` asks an inline node for its parent, which tree-sitter finds by
/// descending from the root, so walking emphasis nested n deep cost O(n²). An `inline` node left
/// unparsed has no children (those of the block tree are its continuation lines' markers, which
/// an inline tree leaves out too).
pub(super) struct NoteCursor<'t> {
    tree: &'t NoteTree,
    block: TreeCursor<'t>,
    /// In an inline tree: its cursor, and how far below the inline tree's root it is (≥ 1).
    inline: Option<(TreeCursor<'t>, usize)>,
}

impl<'t> NoteCursor<'t> {
    pub(super) fn new(tree: &'t NoteTree) -> Self {
        NoteCursor {
            tree,
            block: tree.block.walk(),
            inline: None,
        }
    }

    pub(super) fn node(&self) -> Node<'t> {
        match &self.inline {
            Some((cursor, _)) => cursor.node(),
            None => self.block.node(),
        }
    }

    pub(super) fn goto_first_child(&mut self) -> bool {
        if let Some((cursor, depth)) = &mut self.inline {
            let moved = cursor.goto_first_child();
            *depth += usize::from(moved);
            return moved;
        }
        let node = self.block.node();
        if matches!(node.kind(), "inline" | "pipe_table_cell") {
            let Some(inline_tree) = self.tree.inline_tree(&node) else {
                return false;
            };
            // The inline tree's root stands for the block node itself: go to its first child.
            let mut cursor = inline_tree.walk();
            if !cursor.goto_first_child() {
                return false;
            }
            self.inline = Some((cursor, 1));
            return true;
        }
        self.block.goto_first_child()
    }

    pub(super) fn goto_next_sibling(&mut self) -> bool {
        match &mut self.inline {
            Some((cursor, _)) => cursor.goto_next_sibling(),
            None => self.block.goto_next_sibling(),
        }
    }

    pub(super) fn goto_parent(&mut self) -> bool {
        match &mut self.inline {
            Some((cursor, depth)) => {
                *depth -= 1;
                if *depth == 0 {
                    // Back at the inline tree's root: that is the block node.
                    self.inline = None;
                } else {
                    cursor.goto_parent();
                }
                true
            }
            None => self.block.goto_parent(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each byte of inline content that may start markup, by the byte itself.
    fn markup_by_scanning(text: &str) -> bool {
        const STARTS: [&str; 14] = [
            "`", "<", "$", "*", "_", "~", "\\", "](", "][", "![", "[^", " \n", "\t\n", " \r",
        ];
        STARTS.iter().any(|start| text.contains(start))
            || text.contains("\t\r")
            || text.ends_with([' ', '\t'])
    }

    #[test]
    fn plain_prose_and_bare_citations_hold_no_inline_markup() {
        for text in [
            "As Doe writes, \"the river rose\" [@doe, p. 4].",
            "[see @a; @b] and [-@c]\nsecond line",
            "a [bracket] (then a parenthesis) ! [",
        ] {
            assert!(!may_hold_inline_markup(text.as_bytes()), "{text:?}");
        }
        for text in [
            "a `code` span",
            "a [link](https://x.org)",
            "![alt]",
            "[^1]",
            "[a][ref]",
            "<https://x.org>",
            "$x$",
            "*emphasis*",
            "snake_case",
            "~~gone~~",
            "\\@key",
            "hard  \nbreak",
            "tab\t\nbreak",
            "ends in a space ",
        ] {
            assert!(may_hold_inline_markup(text.as_bytes()), "{text:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The byte-by-byte scan says what looking for each start of markup says.
        #[test]
        fn the_scan_finds_every_start_of_markup(
            text in "[a \\t\\n\\r`<$*_~\\\\\\]\\[(!^]{0,12}",
        ) {
            proptest::prop_assert_eq!(may_hold_inline_markup(text.as_bytes()), markup_by_scanning(&text));
        }
    }
}

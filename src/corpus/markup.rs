//! Markdown markup of a source, as edits for the clean projection, found line by line without a
//! full parser: block markers (headings' `#`, blockquote `>`, list and task markers, fences and
//! info strings, thematic breaks, setext underlines, link reference definitions, table pipes and
//! delimiter rows), then, paragraph by paragraph, inline markup (emphasis delimiters, code span
//! backticks, link and image syntax around their text, autolink brackets, HTML tags and comments,
//! backslash escapes, character references).
//!
//! It follows CommonMark closely enough for sources (articles converted to Markdown), not for
//! every corner of the spec; the tree-sitter-md pass it replaced (ten times slower) is kept in the
//! tests as the reference it is compared with. What it keeps: link text, image alt text, code
//! text, escaped chars, footnote references and definitions, shortcut brackets (`[s]ome`).

use std::borrow::Cow;

use super::ascii;
use crate::ByteRange;

/// What replaces an edited range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replacement {
    /// Deleted without a trace: the text on both sides joins (`22<sup>nd</sup>` → `22nd`).
    Nothing,
    /// Deleted, leaving a separator (a table pipe, a thematic break, a fence line).
    Space,
    /// Replaced by one char (a character reference such as `&amp;`).
    Char(char),
}

/// One edit of the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edit {
    pub(crate) range: ByteRange,
    pub(crate) with: Replacement,
}

/// The markup edits of a Markdown text, sorted by start, not overlapping.
pub(crate) fn markup_edits(text: &str) -> Vec<Edit> {
    let mut scanner = Scanner {
        text: text.as_bytes(),
        edits: Vec::new(),
        block: Block::None,
        paragraph: Vec::new(),
        paragraph_depth: 0,
        in_list: false,
        previous_blank: true,
        skip_line: false,
    };
    scanner.run();
    let mut edits = scanner.edits;
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    edits.dedup_by(|later, earlier| later.range.start < earlier.range.end);
    edits
}

/// The block the scanner is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    None,
    Paragraph,
    /// A fenced code block: the fence char, its length, and the blockquote depth it opened at.
    Fenced {
        fence: u8,
        len: usize,
        depth: usize,
    },
    /// A raw HTML block, until `end` (or a blank line), that started at `start`.
    Html {
        end: HtmlEnd,
        start: usize,
    },
    /// A pipe table (its rows until a blank line or another block).
    Table,
}

/// What ends a raw HTML block (CommonMark's seven kinds, grouped by their end condition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HtmlEnd {
    /// A line holding this text.
    Marker(&'static str),
    /// A blank line.
    Blank,
}

struct Scanner<'a> {
    text: &'a [u8],
    edits: Vec<Edit>,
    block: Block,
    /// The content ranges of the lines of the paragraph being read.
    paragraph: Vec<ByteRange>,
    /// The blockquote depth of that paragraph.
    paragraph_depth: usize,
    /// Inside a list: indented lines continue an item rather than start code.
    in_list: bool,
    previous_blank: bool,
    /// The next line was read already (a table's delimiter row).
    skip_line: bool,
}

/// Whitespace inside a line.
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl<'a> Scanner<'a> {
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

    fn byte(&self, at: usize) -> u8 {
        self.text.get(at).copied().unwrap_or(b'\n')
    }

    fn slice(&self, range: ByteRange) -> &'a [u8] {
        self.text.get(range).unwrap_or(&[])
    }

    fn contains(&self, range: ByteRange, needle: &str) -> bool {
        memchr::memmem::find(self.slice(range), needle.as_bytes()).is_some()
    }

    /// The first offset at or after `at` (and before `end`) that is not a space or tab.
    fn skip_blanks(&self, mut at: usize, end: usize) -> usize {
        while at < end && is_blank(self.byte(at)) {
            at += 1;
        }
        at
    }

    /// `end` moved back over trailing spaces and tabs (not before `start`).
    fn trim_end(&self, start: usize, mut end: usize) -> usize {
        while end > start && is_blank(self.byte(end - 1)) {
            end -= 1;
        }
        end
    }

    /// How many times `b` repeats from `at` (before `end`).
    fn run_of(&self, at: usize, end: usize, b: u8) -> usize {
        self.slice(at..end).iter().take_while(|&&x| x == b).count()
    }

    /// The line starting at `start`: its end without the line break, and where the next starts.
    fn line_at(&self, start: usize) -> (usize, usize) {
        let len = self.text.len();
        let newline = memchr::memchr(b'\n', self.slice(start..len)).map_or(len, |i| start + i);
        let mut end = newline;
        if end > start && self.byte(end - 1) == b'\r' {
            end -= 1;
        }
        (end, newline + 1)
    }

    fn run(&mut self) {
        let len = self.text.len();
        let mut start = 0;
        while start < len {
            let (end, next) = self.line_at(start);
            if std::mem::take(&mut self.skip_line) {
                start = next;
                continue;
            }
            self.line(start, end, next);
            start = next;
        }
        if let Block::Html { start, .. } = self.block {
            self.html_tags(start..len);
        }
        self.close_paragraph();
    }

    /// Deletes up to `max` blockquote markers (`>` and one space after it) at the start of the
    /// line: where the rest starts, and how many there were.
    fn quote_markers(&mut self, start: usize, end: usize, max: usize) -> (usize, usize) {
        let mut at = start;
        let mut depth = 0;
        while depth < max {
            let marker = self.skip_blanks(at, end);
            if marker - at > 3 || self.byte(marker) != b'>' || marker >= end {
                break;
            }
            let mut after = marker + 1;
            if after < end && is_blank(self.byte(after)) {
                after += 1;
            }
            self.delete(at..after);
            at = after;
            depth += 1;
        }
        (at, depth)
    }

    /// One line, `start..end` without its line break; `next` is where the next line starts.
    fn line(&mut self, start: usize, end: usize, next: usize) {
        match self.block {
            Block::Fenced { fence, len, depth } => {
                let at = self.quote_markers(start, end, depth).0;
                let indent_end = self.skip_blanks(at, end);
                let run = self.run_of(indent_end, end, fence);
                if indent_end - at <= 3
                    && run >= len
                    && self.skip_blanks(indent_end + run, end) == end
                {
                    self.separate(indent_end..indent_end + run);
                    self.block = Block::None;
                }
                return;
            }
            Block::Html {
                end: html_end,
                start: block_start,
            } => {
                let blank = self.skip_blanks(start, end) == end;
                if blank && html_end == HtmlEnd::Blank {
                    self.html_tags(block_start..start);
                    self.block = Block::None;
                    self.previous_blank = true;
                    return;
                }
                if let HtmlEnd::Marker(marker) = html_end
                    && self.contains(start..end, marker)
                {
                    self.html_tags(block_start..end);
                    self.block = Block::None;
                }
                self.previous_blank = blank;
                return;
            }
            _ => {}
        }
        let (at, depth) = self.quote_markers(start, end, usize::MAX);
        let content = self.skip_blanks(at, end);
        if content == end {
            self.close_paragraph();
            if self.block == Block::Table {
                self.block = Block::None;
            }
            self.previous_blank = true;
            return;
        }
        let indent = content - at;
        if self.block == Block::Paragraph && depth > self.paragraph_depth {
            self.close_paragraph();
        }
        if self.previous_blank
            && indent == 0
            && self.list_marker(content, end).is_none()
            && self.block != Block::Table
        {
            self.in_list = false;
        }
        let in_paragraph = self.block == Block::Paragraph;
        self.previous_blank = false;
        // Indented code (kept as it is) outside lists; inside a list, indentation continues an
        // item.
        if indent >= 4 && !self.in_list && !in_paragraph && self.block != Block::Table {
            return;
        }
        self.block_line(content, end, next, depth);
    }

    /// The content of a line after its container markers, `at` its first non-blank byte.
    fn block_line(&mut self, at: usize, end: usize, next: usize, depth: usize) {
        let in_paragraph = self.block == Block::Paragraph;
        let b = self.byte(at);
        // Setext underline.
        if in_paragraph && matches!(b, b'=' | b'-') {
            let run = self.run_of(at, end, b);
            if self.skip_blanks(at + run, end) == end {
                self.close_paragraph();
                self.separate(at..at + run);
                return;
            }
        }
        // Thematic break.
        if matches!(b, b'*' | b'-' | b'_') && self.is_thematic_break(at, end, b) {
            self.close_paragraph();
            let trimmed = self.trim_end(at, end);
            self.separate(at..trimmed);
            return;
        }
        // ATX heading.
        if b == b'#' {
            let run = self.run_of(at, end, b'#');
            if run <= 6 && (at + run == end || is_blank(self.byte(at + run))) {
                self.close_paragraph();
                self.block = Block::None;
                self.delete(at..at + run);
                self.heading_text(at + run, end);
                return;
            }
        }
        // Fence.
        if matches!(b, b'`' | b'~') {
            let run = self.run_of(at, end, b);
            let info_has_backtick = self.slice(at + run..end).contains(&b'`');
            if run >= 3 && !(b == b'`' && info_has_backtick) {
                self.close_paragraph();
                self.separate(at..at + run);
                let info_start = self.skip_blanks(at + run, end);
                let info_end = self.trim_end(info_start, end);
                self.separate(info_start..info_end);
                self.block = Block::Fenced {
                    fence: b,
                    len: run,
                    depth,
                };
                return;
            }
        }
        // List item: the marker goes, and the rest is read as a line of its own.
        if let Some(marker_end) = self.list_marker(at, end) {
            let content = self.skip_blanks(marker_end, end);
            let empty = content == end;
            let bullet = matches!(b, b'-' | b'+' | b'*');
            let starts_at_one = self.slice(at..marker_end - 1) == b"1";
            if !in_paragraph || (!empty && (bullet || starts_at_one || self.in_list)) {
                self.close_paragraph();
                if self.block == Block::Table {
                    self.block = Block::None;
                }
                self.in_list = true;
                self.delete(at..content);
                let mut content = content;
                if let Some(task_end) = self.task_marker(content, end) {
                    let after = self.skip_blanks(task_end, end);
                    self.delete(content..after);
                    content = after;
                }
                if content < end {
                    let (inner, inner_depth) = self.quote_markers(content, end, usize::MAX);
                    let inner = self.skip_blanks(inner, end);
                    if inner < end {
                        self.block_line(inner, end, next, depth + inner_depth);
                    }
                }
                return;
            }
        }
        // Raw HTML block.
        if b == b'<'
            && let Some(html_end) = self.html_block_start(at, end, in_paragraph)
        {
            self.close_paragraph();
            let ends_here = match html_end {
                HtmlEnd::Marker(marker) => self.contains(at..end, marker),
                HtmlEnd::Blank => false,
            };
            if ends_here {
                self.html_tags(at..end);
            } else {
                self.block = Block::Html {
                    end: html_end,
                    start: at,
                };
            }
            return;
        }
        // Link reference definition (not a footnote definition).
        if !in_paragraph && b == b'[' && self.is_link_definition(at, end) {
            let trimmed = self.trim_end(at, end);
            self.separate(at..trimmed);
            return;
        }
        // Table rows, and a new table: a header row followed by a delimiter row.
        if self.block == Block::Table {
            if self.slice(at..end).contains(&b'|') {
                self.table_row(at, end);
                return;
            }
            self.block = Block::None;
        }
        if !in_paragraph && let Some(delimiter) = self.table_delimiter_after(at, end, next) {
            self.table_row(at, end);
            self.separate(delimiter);
            self.block = Block::Table;
            self.skip_line = true;
            return;
        }
        // Paragraph text.
        if !in_paragraph {
            self.block = Block::Paragraph;
            self.paragraph_depth = depth;
        }
        let trimmed = self.trim_end(at, end);
        self.paragraph.push(at..trimmed);
    }

    fn is_thematic_break(&self, at: usize, end: usize, b: u8) -> bool {
        let mut count = 0;
        for &x in self.slice(at..end) {
            if x == b {
                count += 1;
            } else if !is_blank(x) {
                return false;
            }
        }
        count >= 3
    }

    /// The end of a list marker (`-`, `+`, `*`, `1.`, `1)`) at `at`, followed by a blank or the
    /// end of the line.
    fn list_marker(&self, at: usize, end: usize) -> Option<usize> {
        let b = self.byte(at);
        let marker_end = if matches!(b, b'-' | b'+' | b'*') {
            at + 1
        } else {
            let digits = self
                .slice(at..end)
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .count();
            if !(1..=9).contains(&digits) || !matches!(self.byte(at + digits), b'.' | b')') {
                return None;
            }
            at + digits + 1
        };
        (marker_end == end || marker_end < end && is_blank(self.byte(marker_end)))
            .then_some(marker_end)
    }

    /// The end of a task list marker (`[ ]`, `[x]`) at `at`, followed by a blank.
    fn task_marker(&self, at: usize, end: usize) -> Option<usize> {
        let marker = self.slice(at..(at + 3).min(end));
        let is_task = matches!(marker, b"[ ]" | b"[x]" | b"[X]");
        (is_task && at + 3 < end && is_blank(self.byte(at + 3))).then_some(at + 3)
    }

    /// Whether the line at `at` starts a raw HTML block, and what ends it. The seventh kind (any
    /// complete tag alone on its line) cannot interrupt a paragraph.
    fn html_block_start(&self, at: usize, end: usize, in_paragraph: bool) -> Option<HtmlEnd> {
        let line = self.slice(at..end);
        let rest = line.get(1..).unwrap_or(&[]);
        let lower_starts = |prefix: &str| {
            rest.len() >= prefix.len()
                && rest
                    .get(..prefix.len())
                    .is_some_and(|r| r.eq_ignore_ascii_case(prefix.as_bytes()))
        };
        for (name, marker) in [
            ("script", "</script>"),
            ("pre", "</pre>"),
            ("style", "</style>"),
            ("textarea", "</textarea>"),
        ] {
            if lower_starts(name)
                && rest
                    .get(name.len())
                    .is_none_or(|&b| matches!(b, b' ' | b'\t' | b'>'))
            {
                return Some(HtmlEnd::Marker(marker));
            }
        }
        if rest.starts_with(b"!--") {
            return Some(HtmlEnd::Marker("-->"));
        }
        if rest.starts_with(b"?") {
            return Some(HtmlEnd::Marker("?>"));
        }
        if rest.starts_with(b"![CDATA[") {
            return Some(HtmlEnd::Marker("]]>"));
        }
        if rest.starts_with(b"!") && rest.get(1).is_some_and(u8::is_ascii_alphabetic) {
            return Some(HtmlEnd::Marker(">"));
        }
        let name_start = usize::from(rest.first() == Some(&b'/'));
        let name_len = rest
            .get(name_start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        let name = rest.get(name_start..name_start + name_len).unwrap_or(&[]);
        if name.first().is_none_or(|b| !b.is_ascii_alphabetic()) {
            return None;
        }
        let after = rest.get(name_start + name_len).copied();
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        if BLOCK_HTML_NAMES.contains(&name.as_str())
            && after.is_none_or(|b| matches!(b, b' ' | b'\t' | b'>') || b == b'/')
        {
            return Some(HtmlEnd::Blank);
        }
        // Kind 7: a whole tag, then only blanks.
        if in_paragraph {
            return None;
        }
        let tag_end = tag_end(line, 0)?;
        (self.skip_blanks(at + tag_end, end) == end).then_some(HtmlEnd::Blank)
    }

    /// `[label]: destination` (a footnote definition `[^1]:` is text).
    fn is_link_definition(&self, at: usize, end: usize) -> bool {
        let line = self.slice(at..end);
        if line.get(1) == Some(&b'^') {
            return false;
        }
        let Some(close) = line.iter().position(|&b| b == b']') else {
            return false;
        };
        if close < 2 || line.get(close + 1) != Some(&b':') {
            return false;
        }
        let destination = self.skip_blanks(at + close + 2, end);
        destination < end
    }

    /// The delimiter row on the line after `at..end` (`|---|:--:|`), when it has as many cells as
    /// this row.
    fn table_delimiter_after(&self, at: usize, end: usize, next: usize) -> Option<ByteRange> {
        let header = self.slice(at..end);
        if !header.contains(&b'|') || next >= self.text.len() {
            return None;
        }
        let (next_end, _) = self.line_at(next);
        let start = self.skip_blanks(next, next_end);
        let row_end = self.trim_end(start, next_end);
        let row = self.slice(start..row_end);
        if !row.contains(&b'-')
            || !row
                .iter()
                .all(|b| matches!(b, b'|' | b'-' | b':' | b' ' | b'\t'))
        {
            return None;
        }
        let cells = |row: &[u8]| {
            let row = row.strip_prefix(b"|").unwrap_or(row);
            let row = row.strip_suffix(b"|").unwrap_or(row);
            split_cells(row).len()
        };
        let header_trimmed = self.slice(at..self.trim_end(at, end));
        if cells(header_trimmed) != cells(row) {
            return None;
        }
        Some(start..row_end)
    }

    /// A table row: pipes are separators, cells are read for inline markup.
    fn table_row(&mut self, at: usize, end: usize) {
        let end = self.trim_end(at, end);
        let row = self.slice(at..end).to_vec();
        let mut cell_start = 0;
        let mut i = 0;
        while i < row.len() {
            match row.get(i) {
                Some(b'\\') => i += 2,
                Some(b'|') => {
                    self.cell(at + cell_start, at + i);
                    self.separate(at + i..at + i + 1);
                    cell_start = i + 1;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        self.cell(at + cell_start, end);
    }

    fn cell(&mut self, start: usize, end: usize) {
        let start = self.skip_blanks(start, end);
        let end = self.trim_end(start, end);
        if start < end {
            self.inline(start, Cow::Borrowed(self.slice(start..end)));
        }
    }

    /// A heading's text after its `#` marker: inline markup, and a closing sequence of `#`.
    fn heading_text(&mut self, start: usize, end: usize) {
        let start = self.skip_blanks(start, end);
        let mut text_end = self.trim_end(start, end);
        let hashes = self
            .slice(start..text_end)
            .iter()
            .rev()
            .take_while(|&&b| b == b'#')
            .count();
        if hashes > 0 {
            let before = text_end - hashes;
            if before == start || is_blank(self.byte(before - 1)) {
                self.delete(before..text_end);
                text_end = self.trim_end(start, before);
            }
        }
        if start < text_end {
            self.inline(start, Cow::Borrowed(self.slice(start..text_end)));
        }
    }

    /// Reads the inline markup of the paragraph gathered so far.
    fn close_paragraph(&mut self) {
        if self.block == Block::Paragraph {
            self.block = Block::None;
        }
        let lines = std::mem::take(&mut self.paragraph);
        let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
            return;
        };
        let (start, end) = (first.start, last.end);
        // Between the lines: line breaks and container markers, which inline markup sees as
        // blanks (all ASCII, so blanking them keeps every offset).
        let gaps_are_blank = lines.windows(2).all(|pair| {
            self.slice(pair[0].end..pair[1].start)
                .iter()
                .all(|b| b.is_ascii_whitespace())
        });
        let text = self.slice(start..end);
        let bytes = if gaps_are_blank {
            Cow::Borrowed(text)
        } else {
            let mut owned = text.to_vec();
            for pair in lines.windows(2) {
                for i in pair[0].end..pair[1].start {
                    if let Some(b) = owned.get_mut(i - start)
                        && !b.is_ascii_whitespace()
                    {
                        *b = b' ';
                    }
                }
            }
            Cow::Owned(owned)
        };
        self.inline(start, bytes);
        let mut lines = lines;
        lines.clear();
        self.paragraph = lines;
    }

    /// HTML tags and comments inside a raw HTML block.
    fn html_tags(&mut self, range: ByteRange) {
        let mut at = range.start;
        // Once no `-->` (or `>`) follows some `<`, none follows a later one: not searched again
        // (a line of 250,000 `<!--` took seconds).
        let (mut no_comment_end, mut no_tag_end) = (false, false);
        while at < range.end {
            let Some(found) = memchr::memchr(b'<', self.slice(at..range.end)) else {
                break;
            };
            let start = at + found;
            let rest = self.slice(start..range.end);
            let end = if rest.starts_with(b"<!--") {
                let end = if no_comment_end {
                    None
                } else {
                    memchr::memmem::find(rest, b"-->")
                };
                no_comment_end = end.is_none();
                end.map(|e| start + e + 3)
            } else if rest
                .get(1)
                .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'))
                && !no_tag_end
            {
                let end = memchr::memchr(b'>', rest);
                no_tag_end = end.is_none();
                end.map(|e| start + e + 1)
            } else {
                None
            };
            match end {
                Some(end) => {
                    self.html_tag(start..end);
                    at = end;
                }
                None => at = start + 1,
            }
        }
    }

    /// An HTML tag or comment: a tag that breaks the line (`<br>`, `<p>`, `<td>`...) leaves a
    /// separator, any other goes without a trace.
    fn html_tag(&mut self, range: ByteRange) {
        if breaks_line(self.slice(range.clone())) {
            self.separate(range);
        } else {
            self.delete(range);
        }
    }
}

/// The cells of a table row without its outer pipes (unescaped `|` separate them).
fn split_cells(row: &[u8]) -> Vec<ByteRange> {
    let mut cells = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < row.len() {
        match row.get(i) {
            Some(b'\\') => i += 2,
            Some(b'|') => {
                cells.push(start..i);
                start = i + 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    cells.push(start..row.len());
    cells
}

/// HTML block names that start a raw HTML block of the sixth kind (CommonMark).
const BLOCK_HTML_NAMES: &[&str] = &[
    "address",
    "article",
    "aside",
    "base",
    "basefont",
    "blockquote",
    "body",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "iframe",
    "legend",
    "li",
    "link",
    "main",
    "menu",
    "menuitem",
    "nav",
    "noframes",
    "ol",
    "optgroup",
    "option",
    "p",
    "param",
    "search",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
];

impl Scanner<'_> {
    /// The inline markup of `bytes`, a stretch of the text starting at offset `base` (line breaks
    /// and container markers inside it blanked).
    fn inline(&mut self, base: usize, bytes: Cow<'_, [u8]>) {
        let mut inline = Inline {
            bytes: &bytes,
            base,
            edits: &mut self.edits,
            lookahead: std::cell::Cell::new(
                LOOKAHEAD_PER_BYTE
                    .saturating_mul(bytes.len())
                    .saturating_add(LOOKAHEAD_BASE),
            ),
        };
        inline.scan(0, bytes.len());
    }
}

/// Bytes that may start inline markup.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let specials = b"\\`<&![*_~";
    let mut i = 0;
    while i < specials.len() {
        table[specials[i] as usize] = true;
        i += 1;
    }
    table
};

/// The bytes of `word` that are ASCII letters, digits or spaces (none of them `SPECIAL`).
fn plain_mask(word: u64) -> u64 {
    ascii::alphanumeric_mask(word) | ascii::byte_mask(word, b' ')
}

/// A run of emphasis delimiters (`*`, `_`, `~`), shrinking from both sides as it is matched.
#[derive(Debug, Clone)]
struct Delimiter {
    byte: u8,
    start: usize,
    end: usize,
    original_len: usize,
    can_open: bool,
    can_close: bool,
}

impl Delimiter {
    fn len(&self) -> usize {
        self.end - self.start
    }
}

/// How many bytes the searches for a closing mark (a link's `]` and `)`, a code span's backticks,
/// a comment's `-->`) may read in a paragraph, per byte of it, and in all. Each search starts at
/// an opening mark and may read to the paragraph's end: a paragraph of 250,000 `[a](` took
/// minutes. Ordinary text reads a few bytes a byte; past the limit the rest of the paragraph's
/// brackets, backticks and comments are read as text.
const LOOKAHEAD_PER_BYTE: usize = 64;
const LOOKAHEAD_BASE: usize = 1 << 16;

struct Inline<'b, 'e> {
    bytes: &'b [u8],
    base: usize,
    edits: &'e mut Vec<Edit>,
    /// What is left of the paragraph's lookahead (`LOOKAHEAD_PER_BYTE`).
    lookahead: std::cell::Cell<usize>,
}

impl Inline<'_, '_> {
    /// Takes `bytes` of lookahead; false once there is none left.
    fn look_ahead(&self, bytes: usize) -> bool {
        let left = self.lookahead.get();
        self.lookahead.set(left.saturating_sub(bytes));
        left >= bytes
    }

    fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(b' ')
    }

    fn edit(&mut self, range: ByteRange, with: Replacement) {
        if !range.is_empty() {
            self.edits.push(Edit {
                range: range.start + self.base..range.end + self.base,
                with,
            });
        }
    }

    fn delete(&mut self, range: ByteRange) {
        self.edit(range, Replacement::Nothing);
    }

    fn run_of(&self, at: usize, hi: usize, b: u8) -> usize {
        self.bytes
            .get(at..hi)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&x| x == b)
            .count()
    }

    /// Reads `lo..hi` (a paragraph, or a link's text inside one).
    fn scan(&mut self, lo: usize, hi: usize) {
        let mut delimiters: Vec<Delimiter> = Vec::new();
        let mut i = lo;
        while i < hi {
            let b = self.at(i);
            if !SPECIAL[b as usize] {
                // The letters, digits and spaces after it (most of a paragraph), eight at a time:
                // none of them is special.
                let rest = self.bytes.get(i + 1..hi).unwrap_or_default();
                i += 1 + ascii::member_run(rest, plain_mask, |b| {
                    b == b' ' || b.is_ascii_alphanumeric()
                });
                continue;
            }
            match b {
                b'\\' => {
                    let next = self.at(i + 1);
                    if i + 1 < hi && next.is_ascii_punctuation() {
                        self.delete(i..i + 1);
                        i += 2;
                    } else {
                        let line_break =
                            next == b'\n' || (next == b'\r' && self.at(i + 2) == b'\n');
                        if i + 1 < hi && line_break {
                            self.delete(i..i + 1);
                        }
                        i += 1;
                    }
                }
                b'`' => {
                    let n = self.run_of(i, hi, b'`');
                    match self.code_span_close(i + n, hi, n) {
                        Some(close) => {
                            self.delete(i..i + n);
                            self.delete(close..close + n);
                            i = close + n;
                        }
                        None => i += n,
                    }
                }
                b'<' => {
                    if let Some(end) = autolink_end(self.bytes, i, hi) {
                        self.delete(i..i + 1);
                        self.delete(end - 1..end);
                        i = end;
                    } else if let Some(end) = self.tag_end(i, hi) {
                        let with = if breaks_line(self.bytes.get(i..end).unwrap_or(&[])) {
                            Replacement::Space
                        } else {
                            Replacement::Nothing
                        };
                        self.edit(i..end, with);
                        i = end;
                    } else {
                        i += 1;
                    }
                }
                b'&' => match entity_end(self.bytes, i, hi) {
                    Some(end) => {
                        let reference = std::str::from_utf8(self.bytes.get(i..end).unwrap_or(&[]));
                        if let Some(c) = reference.ok().and_then(decode_reference) {
                            self.edit(i..end, Replacement::Char(c));
                        }
                        i = end;
                    }
                    None => i += 1,
                },
                b'!' | b'[' => {
                    let open = if b == b'!' { i + 1 } else { i };
                    if self.at(open) != b'[' {
                        i += 1;
                        continue;
                    }
                    match self.link(open, hi) {
                        Some((text, end)) => {
                            self.delete(i..text.start);
                            self.scan(text.start, text.end);
                            self.delete(text.end..end);
                            i = end;
                        }
                        None => i += 1,
                    }
                }
                b'*' | b'_' | b'~' => {
                    let n = self.run_of(i, hi, b);
                    delimiters.push(self.delimiter(b, i, i + n, lo, hi));
                    i += n;
                }
                _ => i += 1,
            }
        }
        self.emphasis(&mut delimiters);
    }

    /// The start of the backtick run of exactly `n` closing a code span opened before `from`.
    fn code_span_close(&self, from: usize, hi: usize, n: usize) -> Option<usize> {
        let mut at = from;
        while at < hi {
            let Some(found) = memchr::memchr(b'`', self.bytes.get(at..hi)?) else {
                self.look_ahead(hi - at);
                return None;
            };
            let found = found + at;
            let run = self.run_of(found, hi, b'`');
            if !self.look_ahead(found + run - at) {
                return None;
            }
            if run == n {
                return Some(found);
            }
            at = found + run;
        }
        None
    }

    /// `tag_end` within `..hi`. A comment, processing instruction, CDATA section or declaration
    /// not closed is searched to `hi`: that is lookahead.
    fn tag_end(&self, at: usize, hi: usize) -> Option<usize> {
        let searches_far = matches!(self.bytes.get(at..at + 2), Some(b"<!" | b"<?"));
        if searches_far && self.lookahead.get() == 0 {
            return None;
        }
        let end = tag_end(self.bytes.get(..hi).unwrap_or(&[]), at);
        if searches_far {
            self.look_ahead(end.unwrap_or(hi).saturating_sub(at));
        }
        end
    }

    /// A link or image opened by the `[` at `open`: its text's range and where it ends. Inline
    /// links (`[text](destination "title")`), full and collapsed reference links (`[text][ref]`,
    /// `[text][]`); a shortcut (`[text]` alone) is text.
    fn link(&self, open: usize, hi: usize) -> Option<(ByteRange, usize)> {
        let close = self.matching_bracket(open, hi)?;
        let text = open + 1..close;
        match self.at(close + 1) {
            b'(' if close + 1 < hi => {
                let end = self.destination_end(close + 2, hi)?;
                Some((text, end))
            }
            b'[' if close + 1 < hi => {
                let label = self.bytes.get(close + 2..hi)?;
                let label_close = label.iter().position(|&b| b == b']' || b == b'[')?;
                if label.get(label_close) != Some(&b']') || label_close > 999 {
                    return None;
                }
                Some((text, close + 2 + label_close + 1))
            }
            _ => None,
        }
    }

    /// The `]` matching the `[` at `open` (brackets nest; escapes and code spans are skipped).
    fn matching_bracket(&self, open: usize, hi: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut i = open + 1;
        while i < hi {
            if !self.look_ahead(1) {
                return None;
            }
            match self.at(i) {
                b'\\' => i += 2,
                b'`' => {
                    let n = self.run_of(i, hi, b'`');
                    i = match self.code_span_close(i + n, hi, n) {
                        Some(close) => close + n,
                        None => i + n,
                    };
                }
                b'[' => {
                    depth += 1;
                    i += 1;
                }
                b']' => {
                    if depth == 0 {
                        return Some(i);
                    }
                    depth -= 1;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        None
    }

    /// After `(`: a destination, an optional title, then `)`; where the link ends.
    fn destination_end(&self, from: usize, hi: usize) -> Option<usize> {
        let skip = |mut i: usize| {
            while i < hi && self.at(i).is_ascii_whitespace() {
                i += 1;
            }
            i
        };
        let mut i = skip(from);
        if self.at(i) == b'<' {
            i += 1;
            while i < hi && !matches!(self.at(i), b'>' | b'\n' | b'<') {
                i += if self.at(i) == b'\\' { 2 } else { 1 };
            }
            if self.at(i) != b'>' || i >= hi {
                return None;
            }
            i += 1;
        } else {
            let mut depth = 0usize;
            while i < hi {
                if !self.look_ahead(1) {
                    return None;
                }
                match self.at(i) {
                    b'\\' => i += 2,
                    b'(' => {
                        depth += 1;
                        i += 1;
                    }
                    b')' if depth == 0 => break,
                    b')' => {
                        depth -= 1;
                        i += 1;
                    }
                    b if b.is_ascii_whitespace() || b.is_ascii_control() => break,
                    _ => i += 1,
                }
            }
        }
        let before_title = i;
        i = skip(i);
        let title_close = match self.at(i) {
            b'"' => Some(b'"'),
            b'\'' => Some(b'\''),
            b'(' => Some(b')'),
            _ => None,
        };
        if let Some(close) = title_close
            && i > before_title
        {
            i += 1;
            while i < hi && self.at(i) != close {
                i += if self.at(i) == b'\\' { 2 } else { 1 };
            }
            if i >= hi {
                return None;
            }
            i = skip(i + 1);
        }
        (i < hi && self.at(i) == b')').then_some(i + 1)
    }

    /// A delimiter run `start..end` with CommonMark's flanking rules.
    fn delimiter(&self, byte: u8, start: usize, end: usize, lo: usize, hi: usize) -> Delimiter {
        let before = if start > lo {
            char_before(self.bytes, start)
        } else {
            ' '
        };
        let after = if end < hi {
            char_after(self.bytes, end)
        } else {
            ' '
        };
        let (before_space, after_space) = (before.is_whitespace(), after.is_whitespace());
        let (before_punct, after_punct) = (is_punctuation(before), is_punctuation(after));
        let left = !after_space && (!after_punct || before_space || before_punct);
        let right = !before_space && (!before_punct || after_space || after_punct);
        let (can_open, can_close) = if byte == b'_' {
            (
                left && (!right || before_punct),
                right && (!left || after_punct),
            )
        } else {
            (left, right)
        };
        Delimiter {
            byte,
            start,
            end,
            original_len: end - start,
            can_open,
            can_close,
        }
    }

    /// Matches openers with closers (CommonMark's "process emphasis"), deleting the delimiters
    /// matched; `~` (strikethrough) matches runs of one or two of the same length only.
    fn emphasis(&mut self, delimiters: &mut [Delimiter]) {
        let mut closer = 0;
        while closer < delimiters.len() {
            let Some(c) = delimiters.get(closer).cloned() else {
                break;
            };
            if !c.can_close || c.len() == 0 {
                closer += 1;
                continue;
            }
            let opener = (0..closer).rev().find(|&j| {
                let Some(o) = delimiters.get(j) else {
                    return false;
                };
                if o.byte != c.byte || !o.can_open || o.len() == 0 {
                    return false;
                }
                if c.byte == b'~' {
                    return o.len() == c.len() && c.len() <= 2;
                }
                let multiple_of_three = (o.can_close || c.can_open)
                    && (o.original_len + c.original_len) % 3 == 0
                    && !(o.original_len % 3 == 0 && c.original_len % 3 == 0);
                !multiple_of_three
            });
            let Some(opener) = opener else {
                closer += 1;
                continue;
            };
            let Some(o) = delimiters.get(opener).cloned() else {
                break;
            };
            let used = if c.byte == b'~' {
                c.len()
            } else if o.len() >= 2 && c.len() >= 2 {
                2
            } else {
                1
            };
            self.delete(o.end - used..o.end);
            self.delete(c.start..c.start + used);
            if let Some(o) = delimiters.get_mut(opener) {
                o.end -= used;
            }
            for between in delimiters.iter_mut().take(closer).skip(opener + 1) {
                between.end = between.start;
            }
            if let Some(c) = delimiters.get_mut(closer) {
                c.start += used;
                if c.len() == 0 {
                    closer += 1;
                }
            }
        }
    }
}

/// The char ending just before `at` (a space if there is none or it is not valid UTF-8).
fn char_before(bytes: &[u8], at: usize) -> char {
    let mut start = at.saturating_sub(1);
    while start > 0 && at - start < 4 && bytes.get(start).is_some_and(|b| b & 0xC0 == 0x80) {
        start -= 1;
    }
    bytes
        .get(start..at)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.chars().next())
        .unwrap_or(' ')
}

/// The char starting at `at` (a space if there is none or it is not valid UTF-8).
fn char_after(bytes: &[u8], at: usize) -> char {
    let len = match bytes.get(at) {
        Some(&b) if b < 0x80 => return char::from(b),
        Some(&b) if b >= 0xF0 => 4,
        Some(&b) if b >= 0xE0 => 3,
        Some(_) => 2,
        None => return ' ',
    };
    bytes
        .get(at..at + len)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.chars().next())
        .unwrap_or(' ')
}

/// Punctuation for the flanking rules: ASCII punctuation, and any other char that is neither
/// alphanumeric nor whitespace (Unicode punctuation and symbols).
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || (!c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace())
}

/// The end of an autolink (`<https://x.org>`, `<a@b.org>`) starting at `at`.
fn autolink_end(bytes: &[u8], at: usize, hi: usize) -> Option<usize> {
    let rest = bytes.get(at + 1..hi)?;
    let close = rest
        .iter()
        .position(|&b| b == b'>' || b == b'<' || b.is_ascii_whitespace() || b.is_ascii_control())?;
    if rest.get(close) != Some(&b'>') {
        return None;
    }
    let inner = rest.get(..close)?;
    let scheme_len = inner
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
        .count();
    let is_uri = (2..=32).contains(&scheme_len)
        && inner.first().is_some_and(u8::is_ascii_alphabetic)
        && inner.get(scheme_len) == Some(&b':');
    let is_email = {
        let at_sign = inner.iter().position(|&b| b == b'@');
        at_sign.is_some_and(|p| {
            let (local, domain) = (
                inner.get(..p).unwrap_or(&[]),
                inner.get(p + 1..).unwrap_or(&[]),
            );
            !local.is_empty()
                && local
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(b))
                && !domain.is_empty()
                && domain.split(|&b| b == b'.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label
                            .iter()
                            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
                        && label.first() != Some(&b'-')
                        && label.last() != Some(&b'-')
                })
        })
    };
    (is_uri || is_email).then_some(at + 1 + close + 1)
}

/// The end of an HTML tag, comment, processing instruction, declaration or CDATA section
/// starting with the `<` at `at`.
fn tag_end(bytes: &[u8], at: usize) -> Option<usize> {
    let rest = bytes.get(at..)?;
    let find = |needle: &[u8], from: usize| {
        memchr::memmem::find(rest.get(from..)?, needle).map(|e| at + from + e + needle.len())
    };
    if rest.starts_with(b"<!--") {
        if rest.starts_with(b"<!-->") {
            return Some(at + 5);
        }
        if rest.starts_with(b"<!--->") {
            return Some(at + 6);
        }
        return find(b"-->", 4);
    }
    if rest.starts_with(b"<?") {
        return find(b"?>", 2);
    }
    if rest.starts_with(b"<![CDATA[") {
        return find(b"]]>", 9);
    }
    if rest.starts_with(b"<!") && rest.get(2).is_some_and(u8::is_ascii_alphabetic) {
        return find(b">", 2);
    }
    let closing = rest.get(1) == Some(&b'/');
    let name_start = if closing { 2 } else { 1 };
    if !rest.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let mut i = name_start
        + rest
            .get(name_start..)?
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
    if !matches!(
        rest.get(i),
        Some(b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'>')
    ) {
        return None;
    }
    // Attributes: names, `=`, quoted or unquoted values; up to `>` (or `/>`).
    while let Some(&b) = rest.get(i) {
        match b {
            b'>' => return Some(at + i + 1),
            b'"' | b'\'' => {
                let close = rest.get(i + 1..)?.iter().position(|&x| x == b)?;
                i += close + 2;
            }
            b'<' | b'`' => return None,
            _ => i += 1,
        }
    }
    None
}

/// The end of a character reference (`&amp;`, `&#8217;`, `&#x2019;`) starting at `at`.
fn entity_end(bytes: &[u8], at: usize, hi: usize) -> Option<usize> {
    let rest = bytes.get(at + 1..hi)?;
    let (body, max) = match rest.first()? {
        b'#' => match rest.get(1)? {
            b'x' | b'X' => (2, 6),
            _ => (1, 7),
        },
        b if b.is_ascii_alphabetic() => (0, 32),
        _ => return None,
    };
    let hex = body == 2;
    let count = rest
        .get(body..)?
        .iter()
        .take_while(|b| {
            if body == 0 {
                b.is_ascii_alphanumeric()
            } else if hex {
                b.is_ascii_hexdigit()
            } else {
                b.is_ascii_digit()
            }
        })
        .count();
    if count == 0 || count > max || rest.get(body + count) != Some(&b';') {
        return None;
    }
    Some(at + 1 + body + count + 1)
}

/// Whether an HTML tag (`<br/>`, `</p>`, `<td class="x">`) ends a line or a block of text.
pub(crate) fn breaks_line(tag: &[u8]) -> bool {
    const BLOCK_TAGS: &[&str] = &[
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ];
    let Some(name) = tag.strip_prefix(b"<") else {
        return false;
    };
    let name = name.strip_prefix(b"/").unwrap_or(name);
    let end = name
        .iter()
        .position(|c| !c.is_ascii_alphanumeric())
        .unwrap_or(name.len());
    let name = String::from_utf8_lossy(name.get(..end).unwrap_or(&[])).to_ascii_lowercase();
    BLOCK_TAGS.contains(&name.as_str())
}

/// The char a character reference stands for (`&amp;`, `&#8217;`, `&#x2019;`), for the common
/// named references and every numeric one.
pub(crate) fn decode_reference(reference: &str) -> Option<char> {
    let name = reference.strip_prefix('&')?.strip_suffix(';')?;
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code).filter(|&c| c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{A0}',
        "shy" => '\u{AD}',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "middot" => '·',
        "bull" => '•',
        "eacute" => 'é',
        "egrave" => 'è',
        "aacute" => 'á',
        "agrave" => 'à',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "auml" => 'ä',
        "szlig" => 'ß',
        "ccedil" => 'ç',
        _ => return None,
    })
}

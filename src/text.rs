//! Line and column arithmetic over a file's text: byte offsets ↔ (line, column) where the column
//! is counted in UTF-8 bytes, UTF-16 code units or chars. Used by the CLI's JSON output and by the
//! LSP shell, so both report the same positions for the same text.

use crate::ByteRange;

/// How columns are counted (LSP `positionEncoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColumnEncoding {
    Utf8,
    #[default]
    Utf16,
    Utf32,
}

/// A zero-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Start offsets of every line of one text. A line ends after `\n`, `\r\n` or a lone `\r`, the
/// three line breaks of the Language Server Protocol (and of editors that keep classic-Mac
/// files); `\r\n` counts as one break.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
    /// Column counts at points inside long lines (every `CHECKPOINT_STRIDE` bytes or so), sorted
    /// by offset, so that a column is counted from the nearest checkpoint rather than from the
    /// start of a line that may be megabytes long (one paragraph of a thousand quotations).
    checkpoints: Vec<Checkpoint>,
}

/// Lines longer than this many bytes get checkpoints, about this far apart.
const CHECKPOINT_STRIDE: usize = 1024;

/// A char boundary inside a long line and its column from the line's start.
#[derive(Debug, Clone, Copy)]
struct Checkpoint {
    offset: usize,
    utf16: usize,
    utf32: usize,
}

impl Checkpoint {
    fn col(&self, line_start: usize, encoding: ColumnEncoding) -> usize {
        match encoding {
            ColumnEncoding::Utf8 => self.offset - line_start,
            ColumnEncoding::Utf16 => self.utf16,
            ColumnEncoding::Utf32 => self.utf32,
        }
    }
}

/// The checkpoints of the lines longer than `CHECKPOINT_STRIDE` (the lines start at
/// `line_starts`): at the first char at or after each stride, its columns from the line's start.
/// A stretch of ASCII up to the next checkpoint is counted at once (one char and one UTF-16 unit
/// a byte): sources hold paragraphs of thousands of bytes on one line, mostly ASCII.
fn checkpoints(bytes: &[u8], line_starts: &[usize]) -> Vec<Checkpoint> {
    let mut checkpoints = Vec::new();
    let ends = line_starts.iter().skip(1).copied().chain([bytes.len()]);
    for (start, end) in line_starts.iter().copied().zip(ends) {
        if end.saturating_sub(start) <= CHECKPOINT_STRIDE {
            continue;
        }
        let (mut utf16, mut utf32) = (0, 0);
        let mut next = start + CHECKPOINT_STRIDE;
        let mut offset = start;
        while offset < end {
            // Up to the next checkpoint only chars are counted.
            let stop = next.min(end);
            if let Some(stretch) = bytes.get(offset..stop).filter(|s| !s.is_empty()) {
                if stretch.is_ascii() {
                    utf16 += stretch.len();
                    utf32 += stretch.len();
                } else {
                    // Not a UTF-8 continuation byte: a char starts here.
                    for &byte in stretch.iter().filter(|&&b| (b as i8) >= -0x40) {
                        utf32 += 1;
                        utf16 += if byte >= 0xF0 { 2 } else { 1 };
                    }
                }
                offset = stop;
            } else if bytes.get(offset).is_some_and(|&b| (b as i8) >= -0x40) {
                // At or past `next`, the first char to start takes the checkpoint (it is
                // counted with the stretch it starts).
                checkpoints.push(Checkpoint {
                    offset,
                    utf16,
                    utf32,
                });
                next = offset + CHECKPOINT_STRIDE;
            } else {
                offset += 1; // a continuation byte: no char starts here
            }
        }
    }
    checkpoints
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(
            memchr::memchr2_iter(b'\n', b'\r', bytes)
                // A `\r` before `\n` is the first half of one break: the line starts after the `\n`.
                .filter(|&i| !(bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n')))
                .map(|i| i + 1),
        );
        let checkpoints = checkpoints(bytes, &line_starts);
        LineIndex {
            line_starts,
            len: text.len(),
            checkpoints,
        }
    }

    /// The last checkpoint at or before `offset` within the line starting at `line_start`.
    fn checkpoint_before(&self, line_start: usize, offset: usize) -> Option<&Checkpoint> {
        let after = self.checkpoints.partition_point(|c| c.offset <= offset);
        self.checkpoints
            .get(after.checked_sub(1)?)
            .filter(|c| c.offset > line_start)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte range of line `line` without its line break; `None` past the last line.
    pub fn line_range(&self, text: &str, line: usize) -> Option<ByteRange> {
        let start = *self.line_starts.get(line)?;
        let mut end = self.line_starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
            if end > start && bytes.get(end - 1) == Some(&b'\r') {
                end -= 1;
            }
        } else if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        Some(start..end)
    }

    /// The line and column of a byte offset. Offsets past the end clamp to the end; offsets inside
    /// a multi-byte char count as the char's start.
    pub fn line_col(&self, text: &str, offset: usize, encoding: ColumnEncoding) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(self.len));
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let line_start = self.line_starts[line];
        let (start, base) = match self.checkpoint_before(line_start, offset) {
            Some(c) if text.is_char_boundary(c.offset) => (c.offset, c.col(line_start, encoding)),
            _ => (line_start, 0),
        };
        let prefix = text.get(start..offset).unwrap_or_default();
        let col = base
            + match encoding {
                ColumnEncoding::Utf8 => prefix.len(),
                ColumnEncoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
                ColumnEncoding::Utf32 => prefix.chars().count(),
            };
        LineCol {
            line: line as u32,
            col: col as u32,
        }
    }

    /// The byte offset of a line and column. A line past the end gives the end of the text; a
    /// column past the end of its line gives the end of the line (as LSP requires); a column inside
    /// a char (e.g. between the two halves of a surrogate pair) gives that char's start.
    pub fn offset(&self, text: &str, pos: LineCol, encoding: ColumnEncoding) -> usize {
        let Some(range) = self.line_range(text, pos.line as usize) else {
            return self.len;
        };
        // Start from the last checkpoint of the line whose column is not past `pos.col`.
        let first = self
            .checkpoints
            .partition_point(|c| c.offset <= range.start);
        let last = self.checkpoints.partition_point(|c| c.offset < range.end);
        let in_line = self.checkpoints.get(first..last).unwrap_or_default();
        let target = pos.col as usize;
        let before = in_line.partition_point(|c| c.col(range.start, encoding) <= target);
        let (start, mut units) = match before.checked_sub(1).and_then(|i| in_line.get(i)) {
            Some(c) if text.is_char_boundary(c.offset) => (c.offset, c.col(range.start, encoding)),
            _ => (range.start, 0),
        };
        let line = text.get(start..range.end).unwrap_or_default();
        for (i, ch) in line.char_indices() {
            let width = match encoding {
                ColumnEncoding::Utf8 => ch.len_utf8(),
                ColumnEncoding::Utf16 => ch.len_utf16(),
                ColumnEncoding::Utf32 => 1,
            };
            if units + width > target {
                return start + i;
            }
            units += width;
        }
        range.end
    }
}

/// The 0-based line of byte `offset` of `text` (line ends as `LineIndex` reads them), reading
/// only the text before it: for one position in a large file, where building a `LineIndex` would
/// read (and, mapped from the cache, page in) the whole file.
pub fn line_of(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let before = bytes.get(..offset.min(bytes.len())).unwrap_or_default();
    memchr::memchr2_iter(b'\n', b'\r', before)
        .filter(|&i| !(bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n')))
        .count()
}

/// The largest char boundary at or before `offset`.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut i = offset.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary at or after `offset` (the text's end past it).
pub fn ceil_char_boundary(text: &str, offset: usize) -> usize {
    let mut i = offset.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// `line_of` is `LineIndex`'s line, at every offset of texts made of line ends.
        #[test]
        fn line_of_reads_lines_as_the_index_does(
            text in "[ab\r\n中]{0,40}",
        ) {
            let index = LineIndex::new(&text);
            for offset in (0..=text.len() + 2).filter(|&o| o > text.len() || text.is_char_boundary(o)) {
                let expected = index.line_col(&text, offset.min(text.len()), ColumnEncoding::Utf8).line;
                proptest::prop_assert_eq!(line_of(&text, offset) as u32, expected, "offset {}", offset);
            }
        }
    }

    #[test]
    fn columns_in_each_encoding() {
        let text = "ab\n中😀x\r\nend";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(
            index.line_col(text, x, ColumnEncoding::Utf16),
            LineCol { line: 1, col: 3 }
        );
        assert_eq!(
            index.line_col(text, x, ColumnEncoding::Utf8),
            LineCol { line: 1, col: 7 }
        );
        assert_eq!(
            index.line_col(text, x, ColumnEncoding::Utf32),
            LineCol { line: 1, col: 2 }
        );
        for enc in [
            ColumnEncoding::Utf8,
            ColumnEncoding::Utf16,
            ColumnEncoding::Utf32,
        ] {
            let pos = index.line_col(text, x, enc);
            assert_eq!(index.offset(text, pos, enc), x);
        }
    }

    /// `\n`, `\r\n` and a lone `\r` each end a line, as in LSP; `\r\n` is one break, and a
    /// position between its halves is no position (it maps to the line's end).
    #[test]
    fn lone_carriage_returns_end_lines() {
        let text = "a\rb\r\nc\nd\r\re\r";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 7);
        let lines: Vec<&str> = (0..index.line_count())
            .map(|line| &text[index.line_range(text, line).expect("line")])
            .collect();
        assert_eq!(lines, ["a", "b", "c", "d", "", "e", ""]);
        let e = text.find('e').expect("e");
        assert_eq!(
            index.line_col(text, e, ColumnEncoding::Utf16),
            LineCol { line: 5, col: 0 }
        );
        assert_eq!(
            index.offset(text, LineCol { line: 1, col: 9 }, ColumnEncoding::Utf16),
            3,
            "past the end of `b` is before its `\\r\\n`"
        );
        assert_eq!(
            index.offset(text, LineCol { line: 6, col: 0 }, ColumnEncoding::Utf8),
            text.len()
        );
        // Between `\r` and `\n`: same line as the `\r`.
        assert_eq!(
            index.line_col(text, 4, ColumnEncoding::Utf8),
            LineCol { line: 1, col: 2 }
        );
    }

    #[test]
    fn clamps_past_line_and_text_end() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(
            index.offset(text, LineCol { line: 0, col: 99 }, ColumnEncoding::Utf16),
            2
        );
        assert_eq!(
            index.offset(text, LineCol { line: 9, col: 0 }, ColumnEncoding::Utf16),
            text.len()
        );
        // A column between the halves of a surrogate pair lands on the char's start.
        let text = "😀a";
        let index = LineIndex::new(text);
        assert_eq!(
            index.offset(text, LineCol { line: 0, col: 1 }, ColumnEncoding::Utf16),
            0
        );
    }

    proptest::proptest! {
        /// Counted stretch by stretch, the checkpoints are those of counting byte by byte.
        #[test]
        fn checkpoints_are_those_of_counting_every_byte(
            pieces in proptest::collection::vec("(a{1,700}|[ab ]{0,9}|中|😀|é|\n|\r\n)", 0..12),
        ) {
            let text = pieces.concat();
            let index = LineIndex::new(&text);
            let mut expected = Vec::new();
            let ends = index.line_starts.iter().skip(1).copied().chain([text.len()]);
            for (start, end) in index.line_starts.iter().copied().zip(ends) {
                if end - start <= CHECKPOINT_STRIDE {
                    continue;
                }
                let (mut utf16, mut utf32, mut next) = (0, 0, start + CHECKPOINT_STRIDE);
                for (offset, c) in text[start..end].char_indices() {
                    let offset = start + offset;
                    if offset >= next {
                        expected.push((offset, utf16, utf32));
                        next = offset + CHECKPOINT_STRIDE;
                    }
                    utf32 += 1;
                    utf16 += c.len_utf16();
                }
            }
            let found: Vec<(usize, usize, usize)> =
                index.checkpoints.iter().map(|c| (c.offset, c.utf16, c.utf32)).collect();
            proptest::prop_assert_eq!(found, expected);
        }
    }

    /// Long lines get checkpoints; every offset must convert exactly as counting from the line's
    /// start does, both ways, in every encoding (regression: a 1 MB one-line paragraph of quotes
    /// took minutes to report because each column was counted from the line's start).
    #[test]
    fn long_lines_convert_like_short_ones() {
        let mut text = String::new();
        for i in 0..900 {
            text.push_str(["ab ", "中文", "😀", "é", "x\r\n", "𝄞", "\n", "word ", "y\r"][i % 9]);
            if i % 97 == 0 {
                text.push_str(&"a".repeat(CHECKPOINT_STRIDE + i % 5));
            }
        }
        let index = LineIndex::new(&text);
        assert!(index.checkpoints.len() > 5, "the test needs long lines");
        let naive = |offset: usize, encoding: ColumnEncoding| {
            // Between `\r` and `\n`, the `\r` is no break yet.
            let before = if text[offset..].starts_with('\n') {
                text[..offset].strip_suffix('\r').unwrap_or(&text[..offset])
            } else {
                &text[..offset]
            };
            let start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
            let prefix = &text[start..offset];
            match encoding {
                ColumnEncoding::Utf8 => prefix.len(),
                ColumnEncoding::Utf16 => prefix.encode_utf16().count(),
                ColumnEncoding::Utf32 => prefix.chars().count(),
            }
        };
        for encoding in [
            ColumnEncoding::Utf8,
            ColumnEncoding::Utf16,
            ColumnEncoding::Utf32,
        ] {
            for (offset, _) in text.char_indices() {
                let pos = index.line_col(&text, offset, encoding);
                assert_eq!(
                    pos.col as usize,
                    naive(offset, encoding),
                    "{encoding:?} {offset}"
                );
                if !text[..offset].ends_with('\r') || !text[offset..].starts_with('\n') {
                    assert_eq!(index.offset(&text, pos, encoding), offset, "{encoding:?}");
                }
            }
        }
    }
}

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

/// Start offsets of every line of one text. A line ends after `\n`; `\r\n` counts as one break.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex {
            line_starts,
            len: text.len(),
        }
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
        }
        Some(start..end)
    }

    /// The line and column of a byte offset. Offsets past the end clamp to the end; offsets inside
    /// a multi-byte char count as the char's start.
    pub fn line_col(&self, text: &str, offset: usize, encoding: ColumnEncoding) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(self.len));
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let prefix = &text[start..offset];
        let col = match encoding {
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
        let line = &text[range.clone()];
        let mut units = 0usize;
        for (i, ch) in line.char_indices() {
            let width = match encoding {
                ColumnEncoding::Utf8 => ch.len_utf8(),
                ColumnEncoding::Utf16 => ch.len_utf16(),
                ColumnEncoding::Utf32 => 1,
            };
            if units + width > pos.col as usize {
                return range.start + i;
            }
            units += width;
        }
        range.end
    }
}

/// The largest char boundary at or before `offset`.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut i = offset.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

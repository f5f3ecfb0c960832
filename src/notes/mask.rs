//! The masked copy of a note: the same bytes as the note, except that every byte that is not prose
//! (frontmatter, code, HTML, link targets, markup delimiters, block markers, bare URLs) is an ASCII
//! space. Newlines stay, so offsets, lines and columns of the masked text are the note's own.

use crate::ByteRange;
use crate::text::{ceil_char_boundary, floor_char_boundary};

/// Collects the ranges to blank, then produces the masked text.
#[derive(Debug, Default)]
pub(crate) struct Mask {
    ranges: Vec<ByteRange>,
}

impl Mask {
    /// Blanks `range` (clamped to the text later).
    pub(crate) fn add(&mut self, range: ByteRange) {
        if range.start < range.end {
            self.ranges.push(range);
        }
    }

    /// Adds `other`'s ranges, each mapped by `map` (to move them in the text).
    pub(crate) fn extend_mapped(&mut self, other: &Mask, map: impl Fn(&ByteRange) -> ByteRange) {
        self.ranges.extend(other.ranges.iter().map(map));
    }

    /// Blanks `outer` except the `kept` ranges (sorted or not).
    pub(crate) fn add_except(&mut self, outer: ByteRange, kept: &[ByteRange]) {
        let mut kept: Vec<ByteRange> = kept.to_vec();
        kept.sort_by_key(|r| r.start);
        let mut at = outer.start;
        for keep in kept {
            if keep.start > at {
                self.add(at..keep.start.min(outer.end));
            }
            at = at.max(keep.end);
        }
        if at < outer.end {
            self.add(at..outer.end);
        }
    }

    /// The masked text: same length as `text`, masked bytes are spaces except line breaks.
    pub(crate) fn apply(&self, text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for range in &self.ranges {
            let start = floor_char_boundary(text, range.start);
            let end = ceil_char_boundary(text, range.end);
            if let Some(slice) = bytes.get_mut(start..end) {
                for byte in slice {
                    if *byte != b'\n' && *byte != b'\r' {
                        *byte = b' ';
                    }
                }
            }
        }
        let mut masked = String::from_utf8(bytes).unwrap_or_else(|error| {
            // Unreachable in practice: whole characters are blanked. Keep the length regardless.
            String::from_utf8_lossy(error.as_bytes()).into_owned()
        });
        mask_bare_urls(&mut masked);
        masked
    }
}

/// Blanks bare URLs (`https://…`, `http://…`, `ftp://…`, `www.…`) that are still in prose.
fn mask_bare_urls(masked: &mut String) {
    let ranges = bare_url_ranges(masked);
    if ranges.is_empty() {
        return;
    }
    let mut bytes = std::mem::take(masked).into_bytes();
    for range in ranges {
        if let Some(slice) = bytes.get_mut(range) {
            slice.fill(b' ');
        }
    }
    // Whole characters were blanked (URLs end at a character boundary), so this cannot fail.
    *masked = String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
}

/// The schemes bare URLs start with, each with where its first `:` or `.` lies.
const SCHEMES: [(&str, usize); 4] = [("https://", 5), ("http://", 4), ("ftp://", 3), ("www.", 3)];

/// The byte ranges of bare URLs in `text`: each starts a word with a scheme (in any case).
pub(crate) fn bare_url_ranges(text: &str) -> Vec<ByteRange> {
    let bytes = text.as_bytes();
    let mut ranges: Vec<ByteRange> = Vec::new();
    // Every scheme holds a `:` or a `.` at a fixed place, and prose has few of either: the
    // places a URL may start are read back from those bytes, in order (two schemes cannot
    // overlap, so no URL starts before one found from an earlier byte).
    for mark in memchr::memchr2_iter(b':', b'.', bytes) {
        for (scheme, offset) in SCHEMES {
            let Some(at) = mark.checked_sub(offset) else {
                continue;
            };
            if ranges.last().is_some_and(|url| at < url.end) {
                continue; // inside the URL before
            }
            let starts_url = bytes
                .get(at..at + scheme.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(scheme.as_bytes()));
            let word_start =
                at == 0 || !bytes.get(at - 1).is_some_and(|b| b.is_ascii_alphanumeric());
            if starts_url && word_start {
                ranges.push(at..url_end(text, at));
            }
        }
    }
    ranges
}

/// Where the URL starting at `start` ends: at whitespace or an angle bracket or quote mark, without
/// trailing sentence punctuation or an unbalanced closing parenthesis or bracket.
fn url_end(text: &str, start: usize) -> usize {
    let mut end = start;
    for (offset, ch) in text[start..].char_indices() {
        if ch.is_whitespace() || matches!(ch, '<' | '>' | '"' | '“' | '”' | '`') {
            break;
        }
        end = start + offset + ch.len_utf8();
    }
    loop {
        let url = &text[start..end];
        let Some(last) = url.chars().last() else {
            return end;
        };
        let trailing_punctuation = matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '’');
        let unbalanced = match last {
            ')' => url.matches('(').count() < url.matches(')').count(),
            ']' => url.matches('[').count() < url.matches(']').count(),
            _ => false,
        };
        if trailing_punctuation || unbalanced {
            end -= last.len_utf8();
        } else {
            return end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<&str> {
        bare_url_ranges(text)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn bare_urls_stop_before_trailing_punctuation() {
        assert_eq!(
            urls("See https://example.org/a_(b). Or www.example.com, and (http://x.y/z)."),
            vec![
                "https://example.org/a_(b)",
                "www.example.com",
                "http://x.y/z"
            ]
        );
        assert!(urls("nohttps://x or swww.x").is_empty());
        // Schemes in any case.
        assert_eq!(
            urls("WWW.Example.com, HTTP://X.Y and Ftp://f.g"),
            vec!["WWW.Example.com", "HTTP://X.Y", "Ftp://f.g"]
        );
    }

    /// `bare_url_ranges` by trying every byte as a URL's start.
    fn bare_urls_byte_by_byte(text: &str) -> Vec<ByteRange> {
        let bytes = text.as_bytes();
        let mut ranges = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let starts_url = SCHEMES.iter().any(|(scheme, _)| {
                bytes
                    .get(at..at + scheme.len())
                    .is_some_and(|b| b.eq_ignore_ascii_case(scheme.as_bytes()))
            });
            let word_start =
                at == 0 || !bytes.get(at - 1).is_some_and(|b| b.is_ascii_alphanumeric());
            if starts_url && word_start {
                let end = url_end(text, at);
                ranges.push(at..end);
                at = end.max(at + 1);
            } else {
                at += 1;
            }
        }
        ranges
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Read back from `:` and `.`, the URLs are those found trying every byte.
        #[test]
        fn bare_urls_are_found_as_by_trying_every_byte(
            text in "(https?://|ftp://|www\\.|HTTP://|WwW\\.|[hwft:./ )(xé]){0,24}",
        ) {
            proptest::prop_assert_eq!(bare_url_ranges(&text), bare_urls_byte_by_byte(&text));
        }
    }

    #[test]
    fn masking_keeps_length_and_newlines_and_blanks_whole_characters() {
        let text = "a “é” b\r\nc";
        let mut mask = Mask::default();
        mask.add(2..9);
        mask.add(9..12);
        let masked = mask.apply(text);
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked, format!("a{}\r\nc", " ".repeat(11)));
    }

    #[test]
    fn add_except_keeps_inner_ranges() {
        let text = "[link](http://x)";
        let mut mask = Mask::default();
        let kept = 1..5;
        mask.add_except(0..text.len(), std::slice::from_ref(&kept));
        assert_eq!(mask.apply(text), " link           ");
    }
}

//! Pandoc citations, the whole grammar of pandoc's manual: bracketed `[@a, p. 33; see @b]` with
//! prefix, locator and suffix; suppress-author `[-@a]`; in-text `@a` and `@a [p. 33]`; braced
//! `@{key}`; key characters as pandoc defines them. Emails are not citations.

mod locator;

use crate::ByteRange;
use locator::{collapse, parse_locator_and_suffix};

/// A locator: `p. 33` → label `page`, value `33`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locator {
    /// Pandoc's locator term, spelled out (`page`, `chapter`, `paragraph`...).
    pub label: String,
    pub value: String,
    pub range: ByteRange,
}

/// One cited key inside a citation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitationItem {
    pub key: String,
    /// The key itself, without `@` or braces.
    pub key_range: ByteRange,
    /// The whole item (prefix to suffix).
    pub range: ByteRange,
    pub prefix: String,
    pub locator: Option<Locator>,
    pub suffix: String,
    /// `-@key`.
    pub suppress_author: bool,
}

/// A citation: one bracketed group or one in-text citation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// The whole citation, brackets included (for in-text `@a [p. 3]`, the key to the `]`).
    pub range: ByteRange,
    /// `[...]` rather than in-text.
    pub bracketed: bool,
    pub items: Vec<CitationItem>,
}

/// Finds the citations in `region` of `text`. `text` is the whole note with every non-prose byte
/// (code, URLs, HTML comments, frontmatter) replaced by a space, so offsets are the note's own.
pub fn scan_citations(text: &str, region: ByteRange) -> Vec<Citation> {
    let region = clamp_region(text, region);
    let bytes = text.as_bytes();
    let mut citations = Vec::new();

    let (pairs, _) = scan_brackets(bytes, region.clone());

    // Bracketed groups first: `[see @a, p. 3; @b]`. A pair holding more than a few others is no
    // citation (Pandoc's prefixes and locators hold a bracket or two), and reading it would make
    // brackets nested n deep cost O(n²).
    let mut next_free = region.start;
    for (index, &(open, close)) in pairs.iter().enumerate() {
        let nested = pairs[index + 1..].partition_point(|&(inner, _)| inner < close);
        if open >= next_free
            && nested <= MAX_BRACKETS_IN_CITATION
            && let Some(citation) = parse_bracketed(text, open, close)
        {
            citations.push(citation);
            next_free = close + 1;
        }
    }

    // Then in-text citations outside them: `@a says`, `@a [p. 3] says`.
    let bracketed: Vec<ByteRange> = citations.iter().map(|c| c.range.clone()).collect();
    let mut pos = region.start;
    while pos < region.end {
        let Some(offset) = bytes
            .get(pos..region.end)
            .and_then(|rest| memchr::memchr(b'@', rest))
        else {
            break;
        };
        let at = pos + offset;
        pos = at + 1;
        // `bracketed` is sorted and disjoint: the one that could hold `at` starts at or before it.
        let holder = bracketed.partition_point(|r| r.start <= at);
        if holder > 0 && bracketed.get(holder - 1).is_some_and(|r| r.contains(&at)) {
            continue;
        }
        if let Some(citation) = parse_in_text(text, at, region.clone(), &pairs) {
            pos = citation.range.end;
            citations.push(citation);
        }
    }
    citations.sort_by_key(|c| c.range.start);
    citations
}

/// The most bracket pairs a bracketed citation may hold (`[see @a, p. [3]; @b [ed.]]` holds two).
const MAX_BRACKETS_IN_CITATION: usize = 8;

/// `region` clamped to `text` and shrunk to char boundaries.
fn clamp_region(text: &str, region: ByteRange) -> ByteRange {
    let mut start = region.start.min(text.len());
    let mut end = region.end.min(text.len());
    while !text.is_char_boundary(start) {
        start += 1;
    }
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    start..end.max(start)
}

/// One pass over `region`, counting nesting and skipping backslash-escaped brackets (so that a
/// note full of unclosed brackets costs no more than any other): the matched `[`...`]` pairs as
/// (open, close), sorted by the opening bracket, and the `[`s left unclosed at its end.
fn scan_brackets(bytes: &[u8], region: ByteRange) -> (Vec<(usize, usize)>, Vec<usize>) {
    let mut pairs = Vec::new();
    let mut open = Vec::new();
    let slice = bytes
        .get(region.start..region.end.min(bytes.len()))
        .unwrap_or_default();
    // A backslash escapes the byte after it (another backslash too).
    let mut escaped_until = 0;
    for i in memchr::memchr3_iter(b'\\', b'[', b']', slice) {
        if i < escaped_until {
            continue;
        }
        let pos = region.start + i;
        match slice.get(i) {
            Some(b'\\') => escaped_until = i + 2,
            Some(b'[') => open.push(pos),
            _ => {
                if let Some(start) = open.pop() {
                    pairs.push((start, pos));
                }
            }
        }
    }
    pairs.sort_unstable();
    (pairs, open)
}

/// How far after an unclosed `[` a citation's `@key` is looked for (a prefix such as `see` or
/// `e.g.,` is short).
const UNCLOSED_PREFIX_BYTES: usize = 60;

/// Each `[` in `region` that opens a citation (`[@key`, `[-@key`, `[see @key`) but has no
/// matching `]` in the region (the paragraph), as the range from the `[` to the end of the key,
/// with the key.
pub fn unclosed_citation_brackets(text: &str, region: ByteRange) -> Vec<(ByteRange, String)> {
    let region = clamp_region(text, region);
    let (_, open) = scan_brackets(text.as_bytes(), region.clone());
    let mut found = Vec::new();
    for bracket in open {
        // The item runs to the next bracket or the end of the paragraph.
        let rest = text.get(bracket + 1..region.end).unwrap_or("");
        let item_end = rest.find(['[', ']', ';']).unwrap_or(rest.len());
        let item = bracket + 1..bracket + 1 + item_end;
        let Some(segment) = text.get(item.clone()) else {
            continue;
        };
        for (i, c) in segment.char_indices() {
            if i > UNCLOSED_PREFIX_BYTES {
                break;
            }
            if c != '@' {
                continue;
            }
            let at = item.start + i;
            let before = segment.get(..i).and_then(|s| s.chars().next_back());
            let starts_item = match before {
                None => true,
                Some('-') => segment
                    .get(..i - 1)
                    .is_some_and(|s| s.chars().next_back().is_none_or(char::is_whitespace)),
                Some(b) => b.is_whitespace(),
            };
            if !starts_item {
                continue;
            }
            if let Some((key, _, key_end)) = parse_key(text, at, item.end) {
                found.push((bracket..key_end, key));
            }
            break;
        }
    }
    found
}

/// The `]` closing the `[` at `open`, from the pairs of `bracket_pairs`.
fn closing_bracket(pairs: &[(usize, usize)], open: usize) -> Option<usize> {
    let index = pairs
        .binary_search_by_key(&open, |&(start, _)| start)
        .ok()?;
    pairs.get(index).map(|&(_, close)| close)
}

/// The char ending just before `pos`.
fn char_before(text: &str, pos: usize) -> Option<char> {
    text.get(..pos)?.chars().next_back()
}

fn char_at(text: &str, pos: usize) -> Option<char> {
    text.get(pos..)?.chars().next()
}

/// The longest braced key `@{...}` looked for, in chars.
const MAX_BRACED_KEY_CHARS: usize = 1000;

/// A citation key after the `@` (at `at`): `{any key}` or pandoc's plain key. Returns the key,
/// its range and the offset just after it (after the `}` for a braced key).
fn parse_key(text: &str, at: usize, end: usize) -> Option<(String, ByteRange, usize)> {
    let start = at + 1;
    let rest = text.get(start..end)?;
    if rest.starts_with('{') {
        let mut depth = 0usize;
        // A braced key (a URL at worst) is short; stop looking for its `}` after a while.
        for (i, c) in rest.char_indices().take(MAX_BRACED_KEY_CHARS) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        let key = rest.get(1..i)?;
                        if key.trim().is_empty() {
                            return None;
                        }
                        return Some((key.to_owned(), start + 1..start + i, start + i + 1));
                    }
                }
                _ => {}
            }
        }
        return None;
    }
    let is_regular = |c: char| c.is_alphanumeric() || c == '_';
    let mut chars = rest.char_indices().peekable();
    let mut len = 0;
    while let Some((i, c)) = chars.next() {
        let internal = i > 0
            && ":.#$%&-+?<>~/".contains(c)
            && chars.peek().is_some_and(|&(_, next)| is_regular(next));
        if is_regular(c) || internal {
            len = i + c.len_utf8();
        } else {
            break;
        }
    }
    if len == 0 {
        return None;
    }
    let key = rest.get(..len)?;
    Some((key.to_owned(), start..start + len, start + len))
}

/// The bracketed group `open..=close` as a citation, if at least one of its `;`-separated
/// items holds a key.
fn parse_bracketed(text: &str, open: usize, close: usize) -> Option<Citation> {
    let bytes = text.as_bytes();
    let mut items = Vec::new();
    let mut item_start = open + 1;
    let mut depth = 0usize;
    let mut pos = open + 1;
    while pos <= close {
        let b = bytes.get(pos).copied()?;
        match b {
            b'\\' => pos += 1,
            b'[' | b'{' => depth += 1,
            b']' | b'}' if pos < close => depth = depth.saturating_sub(1),
            _ => {}
        }
        if pos == close || (b == b';' && depth == 0) {
            if let Some(item) = parse_item(text, item_start..pos.min(close)) {
                items.push(item);
            }
            item_start = pos + 1;
        }
        pos += 1;
    }
    (!items.is_empty()).then(|| Citation {
        range: open..close + 1,
        bracketed: true,
        items,
    })
}

/// One item of a bracketed citation: `see -@key, p. 33 and passim`.
fn parse_item(text: &str, range: ByteRange) -> Option<CitationItem> {
    let segment = text.get(range.clone())?;
    let start = range.start + (segment.len() - segment.trim_start().len());
    let end = range.start + segment.trim_end().len();
    if start >= end {
        return None;
    }
    let inner = text.get(start..end)?;
    for (i, c) in inner.char_indices() {
        if c != '@' {
            continue;
        }
        let at = start + i;
        let before = char_before(text, at).filter(|_| at > start);
        let suppress_author = before == Some('-')
            && (at - 1 == start || char_before(text, at - 1).is_some_and(char::is_whitespace));
        if !(before.is_none() || before.is_some_and(char::is_whitespace) || suppress_author) {
            continue;
        }
        let Some((key, key_range, key_end)) = parse_key(text, at, end) else {
            continue;
        };
        let prefix_end = if suppress_author { at - 1 } else { at };
        let prefix = collapse(text.get(start..prefix_end)?);
        let (locator, suffix) = parse_locator_and_suffix(text, key_end..end);
        return Some(CitationItem {
            key,
            key_range,
            range: start..end,
            prefix,
            locator,
            suffix,
            suppress_author,
        });
    }
    None
}

/// An in-text citation at the `@` at `at`: `@key`, `@{key}`, `@key [p. 33]`.
fn parse_in_text(
    text: &str,
    at: usize,
    region: ByteRange,
    pairs: &[(usize, usize)],
) -> Option<Citation> {
    if let Some(before) = char_before(text, at).filter(|_| at > region.start)
        && (before.is_alphanumeric() || matches!(before, '.' | '_' | '-' | '[' | '@'))
    {
        return None;
    }
    let (key, key_range, key_end) = parse_key(text, at, region.end)?;
    let mut end = key_end;
    let mut locator = None;
    let mut suffix = String::new();
    if let Some((open, close)) = attached_bracket(text, key_end, region.end, pairs) {
        let (found_locator, found_suffix) = parse_locator_and_suffix(text, open + 1..close);
        locator = found_locator;
        suffix = found_suffix;
        end = close + 1;
    }
    Some(Citation {
        range: at..end,
        bracketed: false,
        items: vec![CitationItem {
            key,
            key_range,
            range: at..end,
            prefix: String::new(),
            locator,
            suffix,
            suppress_author: false,
        }],
    })
}

/// The `[...]` right after an in-text key (after at most one line break of whitespace) that
/// holds its locator and suffix: no `@` inside, not a footnote reference.
fn attached_bracket(
    text: &str,
    key_end: usize,
    end: usize,
    pairs: &[(usize, usize)],
) -> Option<(usize, usize)> {
    let rest = text.get(key_end..end)?;
    let gap = rest.len() - rest.trim_start().len();
    let whitespace = rest.get(..gap)?;
    if whitespace.matches('\n').count() > 1 {
        return None;
    }
    let open = key_end + gap;
    if char_at(text, open) != Some('[') {
        return None;
    }
    let close = closing_bracket(pairs, open)?;
    let inner = text.get(open + 1..close)?;
    if inner.contains('@') || inner.starts_with('^') || inner.trim().is_empty() {
        return None;
    }
    Some((open, close))
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    /// One line per citation (its text, and `[]` when bracketed), then one line per item.
    fn render(text: &str) -> String {
        let mut out = String::new();
        for citation in scan_citations(text, 0..text.len()) {
            let kind = if citation.bracketed {
                "bracketed"
            } else {
                "in-text"
            };
            out += &format!("{kind} {:?}\n", &text[citation.range.clone()]);
            for item in &citation.items {
                assert_eq!(
                    &text[item.key_range.clone()],
                    item.key,
                    "key_range of {}",
                    item.key
                );
                out += &format!("  key {:?}", item.key);
                if item.suppress_author {
                    out += " -author";
                }
                if !item.prefix.is_empty() {
                    out += &format!(" prefix {:?}", item.prefix);
                }
                if let Some(locator) = &item.locator {
                    out += &format!(
                        " {} {:?} (from {:?})",
                        locator.label,
                        locator.value,
                        &text[locator.range.clone()]
                    );
                }
                if !item.suffix.is_empty() {
                    out += &format!(" suffix {:?}", item.suffix);
                }
                out += &format!(" item {:?}\n", &text[item.range.clone()]);
            }
        }
        out
    }

    fn check(text: &str, expect: Expect) {
        expect.assert_eq(&render(text));
    }

    /// Each unclosed citation bracket: its range's text and the key.
    fn unclosed(text: &str) -> Vec<(&str, String)> {
        unclosed_citation_brackets(text, 0..text.len())
            .into_iter()
            .map(|(range, key)| (&text[range], key))
            .collect()
    }

    #[test]
    fn unclosed_citation_brackets_are_found() {
        assert_eq!(
            unclosed("As shown [@doe99, p. 3. Then more."),
            vec![("[@doe99", "doe99".to_string())]
        );
        assert_eq!(
            unclosed("Seen [see -@doe99; @roe and [@{a b} too"),
            vec![
                ("[see -@doe99", "doe99".to_string()),
                ("[@{a b}", "a b".to_string())
            ]
        );
        // Nested: the outer `[` is the unclosed one.
        assert_eq!(unclosed("[@a [@b] text"), vec![("[@a", "a".to_string())]);
    }

    #[test]
    fn other_brackets_are_not_unclosed_citations() {
        for text in [
            "[@a] and [see @b, p. 3; @c] closed.",
            "An [aside without a key and [x] more.",
            "Mail [me at user@example.org and [@ nothing.",
            r"Escaped \[@key and [^1 and [text",
            "[a prefix far too long to be a citation prefix in any style guide, then @key",
        ] {
            assert_eq!(unclosed(text), vec![], "{text}");
        }
    }

    // The examples of pandoc's manual, section "Citation syntax".

    #[test]
    fn manual_group_of_keys() {
        check(
            "Blah blah [@doe99; @smith2000; @smith2004].",
            expect![[r#"
                bracketed "[@doe99; @smith2000; @smith2004]"
                  key "doe99" item "@doe99"
                  key "smith2000" item "@smith2000"
                  key "smith2004" item "@smith2004"
            "#]],
        );
    }

    #[test]
    fn manual_key_punctuation() {
        check(
            "In @Foo_bar.baz. and @{Foo_bar.baz.} and @Foo_bar--baz ok.",
            expect![[r#"
                in-text "@Foo_bar.baz"
                  key "Foo_bar.baz" item "@Foo_bar.baz"
                in-text "@{Foo_bar.baz.}"
                  key "Foo_bar.baz." item "@{Foo_bar.baz.}"
                in-text "@Foo_bar"
                  key "Foo_bar" item "@Foo_bar"
            "#]],
        );
    }

    #[test]
    fn manual_url_key_in_braces() {
        check(
            "[@{https://example.com/bib?name=foobar&date=2000}, p. 33]",
            expect![[r#"
                bracketed "[@{https://example.com/bib?name=foobar&date=2000}, p. 33]"
                  key "https://example.com/bib?name=foobar&date=2000" page "33" (from "p. 33") item "@{https://example.com/bib?name=foobar&date=2000}, p. 33"
            "#]],
        );
    }

    #[test]
    fn manual_prefix_locator_suffix() {
        check(
            "Blah blah [see @doe99, pp. 33-35 and *passim*; @smith04, chap. 1].",
            expect![[r#"
                bracketed "[see @doe99, pp. 33-35 and *passim*; @smith04, chap. 1]"
                  key "doe99" prefix "see" page "33-35" (from "pp. 33-35") suffix "and *passim*" item "see @doe99, pp. 33-35 and *passim*"
                  key "smith04" chapter "1" (from "chap. 1") item "@smith04, chap. 1"
            "#]],
        );
        // As the scanner sees it: emphasis delimiters masked.
        check(
            "Blah blah [see @doe99, pp. 33-35 and  passim ; @smith04, chap. 1].",
            expect![[r#"
                bracketed "[see @doe99, pp. 33-35 and  passim ; @smith04, chap. 1]"
                  key "doe99" prefix "see" page "33-35" (from "pp. 33-35") suffix "and passim" item "see @doe99, pp. 33-35 and  passim"
                  key "smith04" chapter "1" (from "chap. 1") item "@smith04, chap. 1"
            "#]],
        );
    }

    #[test]
    fn manual_older_examples() {
        check(
            "Blah blah [see @doe99, pp. 33-35; also @smith04, ch. 1].\n\
             Blah blah [@doe99, pp. 33-35, 38-39 and *passim*].\n\
             Blah blah [@smith04; @doe99].",
            expect![[r#"
                bracketed "[see @doe99, pp. 33-35; also @smith04, ch. 1]"
                  key "doe99" prefix "see" page "33-35" (from "pp. 33-35") item "see @doe99, pp. 33-35"
                  key "smith04" prefix "also" chapter "1" (from "ch. 1") item "also @smith04, ch. 1"
                bracketed "[@doe99, pp. 33-35, 38-39 and *passim*]"
                  key "doe99" page "33-35, 38-39" (from "pp. 33-35, 38-39") suffix "and *passim*" item "@doe99, pp. 33-35, 38-39 and *passim*"
                bracketed "[@smith04; @doe99]"
                  key "smith04" item "@smith04"
                  key "doe99" item "@doe99"
            "#]],
        );
    }

    #[test]
    fn manual_braced_locators() {
        check(
            "[@smith{ii, A, D-Z}, with a suffix]\n\
             [@smith, {pp. iv, vi-xi, (xv)-(xvii)} with suffix here]\n\
             [@smith{}, 99 years later]",
            expect![[r#"
                bracketed "[@smith{ii, A, D-Z}, with a suffix]"
                  key "smith" page "ii, A, D-Z" (from "ii, A, D-Z") suffix "with a suffix" item "@smith{ii, A, D-Z}, with a suffix"
                bracketed "[@smith, {pp. iv, vi-xi, (xv)-(xvii)} with suffix here]"
                  key "smith" page "iv, vi-xi, (xv)-(xvii)" (from "pp. iv, vi-xi, (xv)-(xvii)") suffix "with suffix here" item "@smith, {pp. iv, vi-xi, (xv)-(xvii)} with suffix here"
                bracketed "[@smith{}, 99 years later]"
                  key "smith" suffix "99 years later" item "@smith{}, 99 years later"
            "#]],
        );
    }

    #[test]
    fn manual_suppress_author_and_in_text() {
        check(
            "Smith says blah [-@smith04].\n@smith04 says blah.\n@smith04 [p. 33] says blah.",
            expect![[r#"
                bracketed "[-@smith04]"
                  key "smith04" -author item "-@smith04"
                in-text "@smith04"
                  key "smith04" item "@smith04"
                in-text "@smith04 [p. 33]"
                  key "smith04" page "33" (from "p. 33") item "@smith04 [p. 33]"
            "#]],
        );
    }

    #[test]
    fn pandoc_test_suite_examples() {
        check(
            "@item1 [p. 30, with suffix] says blah.\n\
             @item1 [-@item2 p. 30; see also @пункт3] says blah.\n\
             A citation group [see @item1 chap. 3; also @пункт3 p. 34-35].\n\
             Citation with a suffix and locator [@item1 pp. 33, 35-37, and nowhere else].\n\
             Citation with suffix only [@item1 and nowhere else].\n\
             With some markup [ see  @item1 p.   32  ].",
            expect![[r#"
                in-text "@item1 [p. 30, with suffix]"
                  key "item1" page "30" (from "p. 30") suffix "with suffix" item "@item1 [p. 30, with suffix]"
                in-text "@item1"
                  key "item1" item "@item1"
                bracketed "[-@item2 p. 30; see also @пункт3]"
                  key "item2" -author page "30" (from "p. 30") item "-@item2 p. 30"
                  key "пункт3" prefix "see also" item "see also @пункт3"
                bracketed "[see @item1 chap. 3; also @пункт3 p. 34-35]"
                  key "item1" prefix "see" chapter "3" (from "chap. 3") item "see @item1 chap. 3"
                  key "пункт3" prefix "also" page "34-35" (from "p. 34-35") item "also @пункт3 p. 34-35"
                bracketed "[@item1 pp. 33, 35-37, and nowhere else]"
                  key "item1" page "33, 35-37" (from "pp. 33, 35-37") suffix "and nowhere else" item "@item1 pp. 33, 35-37, and nowhere else"
                bracketed "[@item1 and nowhere else]"
                  key "item1" suffix "and nowhere else" item "@item1 and nowhere else"
                bracketed "[ see  @item1 p.   32  ]"
                  key "item1" prefix "see" page "32" (from "p.   32") item "see  @item1 p.   32"
            "#]],
        );
    }

    #[test]
    fn every_locator_term_and_its_label() {
        let cases = [
            ("book", "book"),
            ("books", "book"),
            ("bk.", "book"),
            ("bks.", "book"),
            ("chapter", "chapter"),
            ("chapters", "chapter"),
            ("chap.", "chapter"),
            ("chaps.", "chapter"),
            ("column", "column"),
            ("columns", "column"),
            ("col.", "column"),
            ("cols.", "column"),
            ("figure", "figure"),
            ("figures", "figure"),
            ("fig.", "figure"),
            ("figs.", "figure"),
            ("folio", "folio"),
            ("folios", "folio"),
            ("fol.", "folio"),
            ("fols.", "folio"),
            ("number", "number"),
            ("numbers", "number"),
            ("no.", "number"),
            ("nos.", "number"),
            ("line", "line"),
            ("lines", "line"),
            ("l.", "line"),
            ("ll.", "line"),
            ("note", "note"),
            ("notes", "note"),
            ("n.", "note"),
            ("nn.", "note"),
            ("opus", "opus"),
            ("opera", "opus"),
            ("op.", "opus"),
            ("opp.", "opus"),
            ("page", "page"),
            ("pages", "page"),
            ("p.", "page"),
            ("pp.", "page"),
            ("paragraph", "paragraph"),
            ("paragraphs", "paragraph"),
            ("para.", "paragraph"),
            ("paras.", "paragraph"),
            ("¶", "paragraph"),
            ("¶¶", "paragraph"),
            ("part", "part"),
            ("parts", "part"),
            ("pt.", "part"),
            ("pts.", "part"),
            ("section", "section"),
            ("sections", "section"),
            ("sec.", "section"),
            ("secs.", "section"),
            ("§", "section"),
            ("§§", "section"),
            ("sub verbo", "sub verbo"),
            ("sub verbis", "sub verbo"),
            ("s.v.", "sub verbo"),
            ("s.vv.", "sub verbo"),
            ("verse", "verse"),
            ("verses", "verse"),
            ("v.", "verse"),
            ("vv.", "verse"),
            ("volume", "volume"),
            ("volumes", "volume"),
            ("vol.", "volume"),
            ("vols.", "volume"),
        ];
        for (term, label) in cases {
            let text = format!("[@key, {term} 12-14, and more]");
            let citations = scan_citations(&text, 0..text.len());
            let item = &citations[0].items[0];
            let locator = item
                .locator
                .as_ref()
                .unwrap_or_else(|| panic!("no locator: {text}"));
            assert_eq!(locator.label, label, "{text}");
            assert_eq!(locator.value, "12-14", "{text}");
            assert_eq!(
                &text[locator.range.clone()],
                format!("{term} 12-14"),
                "{text}"
            );
            assert_eq!(item.suffix, "and more", "{text}");
        }
    }

    #[test]
    fn locator_heuristics() {
        check(
            "[@a, 33] [@a, xiv] [@a, I think so] [@a, §12] [@a, ¶¶ 3, 5] [@a, Chap. 2] \
             [@a, s.v. glossa] [@a, p. iv, vi] [@a, page one] [@a, pages] [@a, 12a, 14b.] \
             [@a, note that] [@a 1999 edition]",
            expect![[r#"
                bracketed "[@a, 33]"
                  key "a" page "33" (from "33") item "@a, 33"
                bracketed "[@a, xiv]"
                  key "a" page "xiv" (from "xiv") item "@a, xiv"
                bracketed "[@a, I think so]"
                  key "a" suffix "I think so" item "@a, I think so"
                bracketed "[@a, §12]"
                  key "a" section "12" (from "§12") item "@a, §12"
                bracketed "[@a, ¶¶ 3, 5]"
                  key "a" paragraph "3, 5" (from "¶¶ 3, 5") item "@a, ¶¶ 3, 5"
                bracketed "[@a, Chap. 2]"
                  key "a" chapter "2" (from "Chap. 2") item "@a, Chap. 2"
                bracketed "[@a, s.v. glossa]"
                  key "a" sub verbo "glossa" (from "s.v. glossa") item "@a, s.v. glossa"
                bracketed "[@a, p. iv, vi]"
                  key "a" page "iv, vi" (from "p. iv, vi") item "@a, p. iv, vi"
                bracketed "[@a, page one]"
                  key "a" suffix "page one" item "@a, page one"
                bracketed "[@a, pages]"
                  key "a" suffix "pages" item "@a, pages"
                bracketed "[@a, 12a, 14b.]"
                  key "a" page "12a, 14b" (from "12a, 14b") suffix "." item "@a, 12a, 14b."
                bracketed "[@a, note that]"
                  key "a" suffix "note that" item "@a, note that"
                bracketed "[@a 1999 edition]"
                  key "a" page "1999" (from "1999") suffix "edition" item "@a 1999 edition"
            "#]],
        );
    }

    #[test]
    fn emails_and_stray_at_signs_are_not_citations() {
        check(
            "Write to jo@example.com or jo.x@mail.org; a @ alone, @ 3, x_@a, -@a, .@a, \
             [mail jo@example.com], [@ a], @{} and @{ }.",
            expect![[r#""#]],
        );
    }

    #[test]
    fn keys_at_the_end_of_sentences_and_in_punctuation() {
        check(
            "As @doe99. Then (@roe: 3), \"@moe\", @poe; @zoe? @yoe! @a_b-c:d.",
            expect![[r#"
                in-text "@doe99"
                  key "doe99" item "@doe99"
                in-text "@roe"
                  key "roe" item "@roe"
                in-text "@moe"
                  key "moe" item "@moe"
                in-text "@poe"
                  key "poe" item "@poe"
                in-text "@zoe"
                  key "zoe" item "@zoe"
                in-text "@yoe"
                  key "yoe" item "@yoe"
                in-text "@a_b-c:d"
                  key "a_b-c:d" item "@a_b-c:d"
            "#]],
        );
    }

    #[test]
    fn citations_across_a_line_break() {
        check(
            "as argued [see\n@doe99,\npp. 3-4; @roe] and\n@moe\n[p. 7] too",
            expect![[r#"
                bracketed "[see\n@doe99,\npp. 3-4; @roe]"
                  key "doe99" prefix "see" page "3-4" (from "pp. 3-4") item "see\n@doe99,\npp. 3-4"
                  key "roe" item "@roe"
                in-text "@moe\n[p. 7]"
                  key "moe" page "7" (from "p. 7") item "@moe\n[p. 7]"
            "#]],
        );
    }

    #[test]
    fn non_ascii_around_and_inside() {
        check(
            "«Цитата» [@müller2020, S. 3]—@dupré_1999’s view; 見て[@山田2001]。",
            expect![[r#"
                bracketed "[@müller2020, S. 3]"
                  key "müller2020" suffix "S. 3" item "@müller2020, S. 3"
                in-text "@dupré_1999"
                  key "dupré_1999" item "@dupré_1999"
                bracketed "[@山田2001]"
                  key "山田2001" item "@山田2001"
            "#]],
        );
    }

    #[test]
    fn unterminated_and_broken_brackets() {
        check("Blah [@a", expect![[r#""#]]);
        check("Blah [-@a, p. 3", expect![[r#""#]]);
        check(
            "[see [@b] x",
            expect![[r#"
            bracketed "[@b]"
              key "b" item "@b"
        "#]],
        );
        check(
            "@a [p. 3",
            expect![[r#"
            in-text "@a"
              key "a" item "@a"
        "#]],
        );
        check(
            "[@a{p. 3] and [@b, {unclosed]",
            expect![[r#"
            bracketed "[@a{p. 3]"
              key "a" suffix "{p. 3" item "@a{p. 3"
            bracketed "[@b, {unclosed]"
              key "b" suffix "{unclosed" item "@b, {unclosed"
        "#]],
        );
        check("@{unclosed key", expect![[r#""#]]);
    }

    #[test]
    fn links_and_footnotes_after_masking() {
        // `[@a](url)` with the link brackets and destination masked; a reference-style
        // `[@b][ref]`; a footnote reference after an in-text key.
        check(
            " @a      , [@b][ref], @c[^1] and \\[@d\\]",
            expect![[r#"
                in-text "@a"
                  key "a" item "@a"
                bracketed "[@b]"
                  key "b" item "@b"
                in-text "@c"
                  key "c" item "@c"
            "#]],
        );
    }

    #[test]
    fn only_the_region_is_scanned() {
        let text = "@a [@b] @c [@d, p. 1]";
        let found = scan_citations(text, 3..10);
        let keys: Vec<&str> = found
            .iter()
            .flat_map(|c| &c.items)
            .map(|i| i.key.as_str())
            .collect();
        assert_eq!(keys, ["b", "c"]);
        // A region cutting through a multi-byte char or past the end does not panic.
        let text = "é @a ü";
        let found = scan_citations(text, 1..100);
        assert_eq!(found.len(), 1);
        let (start, end) = (5, 2);
        assert!(scan_citations(text, start..end).is_empty());
    }

    #[test]
    fn pandoc_delimited_locator_cases() {
        check(
            "[@k {35-89, 102}] [@k, {}] [@k {} 123-35 numbers are suffix] \
             [@k {123-35} numbers not, but text is suffix] [@k, { p. 9 }] \
             [@k {no comma, no label}] [@k {p. a}] [@k, {{}}]",
            expect![[r#"
                bracketed "[@k {35-89, 102}]"
                  key "k" page "35-89, 102" (from "35-89, 102") item "@k {35-89, 102}"
                bracketed "[@k, {}]"
                  key "k" item "@k, {}"
                bracketed "[@k {} 123-35 numbers are suffix]"
                  key "k" suffix "123-35 numbers are suffix" item "@k {} 123-35 numbers are suffix"
                bracketed "[@k {123-35} numbers not, but text is suffix]"
                  key "k" page "123-35" (from "123-35") suffix "numbers not, but text is suffix" item "@k {123-35} numbers not, but text is suffix"
                bracketed "[@k, { p. 9 }]"
                  key "k" page "9" (from "p. 9") item "@k, { p. 9 }"
                bracketed "[@k {no comma, no label}]"
                  key "k" page "no comma, no label" (from "no comma, no label") item "@k {no comma, no label}"
                bracketed "[@k {p. a}]"
                  key "k" page "a" (from "p. a") item "@k {p. a}"
                bracketed "[@k, {{}}]"
                  key "k" page "{}" (from "{}") item "@k, {{}}"
            "#]],
        );
    }

    #[test]
    fn no_break_spaces_in_locators() {
        check(
            "[@a, p.\u{a0}33] [see\u{a0}@b, page\u{a0}4]",
            expect![[r#"
            bracketed "[@a, p.\u{a0}33]"
              key "a" page "33" (from "p.\u{a0}33") item "@a, p.\u{a0}33"
            bracketed "[see\u{a0}@b, page\u{a0}4]"
              key "b" prefix "see" page "4" (from "page\u{a0}4") item "see\u{a0}@b, page\u{a0}4"
        "#]],
        );
    }

    #[test]
    fn many_unclosed_braced_keys_stay_fast() {
        let text = "@{a [@{b ".repeat(20_000);
        let started = std::time::Instant::now();
        assert!(scan_citations(&text, 0..text.len()).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn unmasked_link_around_a_key_is_a_bracketed_citation() {
        check(
            "[@a](https://example.com) and [@b][ref]",
            expect![[r#"
                bracketed "[@a]"
                  key "a" item "@a"
                bracketed "[@b]"
                  key "b" item "@b"
            "#]],
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[\\[\\]@{}; ,.a-z0-9pé§¶\\-\n\"]{0,40}", start in 0usize..50, end in 0usize..50) {
            for citation in scan_citations(&text, start..end) {
                for item in &citation.items {
                    proptest::prop_assert!(text.get(item.key_range.clone()).is_some());
                    proptest::prop_assert!(citation.range.start <= item.range.start);
                    proptest::prop_assert!(item.range.end <= citation.range.end);
                }
            }
        }

        /// `scan_brackets` (memchr to each `\\`, `[` and `]`) pairs the brackets the byte loop
        /// it replaced paired, and leaves the same ones open, in any region.
        #[test]
        fn brackets_pair_as_a_byte_loop_pairs_them(
            pieces in proptest::collection::vec(
                proptest::sample::select(&["[", "]", "\\", "\\\\", "@a", " ", "word", "é", "\n"][..]),
                0..40,
            ),
            start in 0usize..80,
            end in 0usize..80,
        ) {
            let text = pieces.concat();
            proptest::prop_assert_eq!(
                scan_brackets(text.as_bytes(), start..end),
                brackets_byte_by_byte(text.as_bytes(), start..end)
            );
        }
    }

    /// The byte loop `scan_brackets` was, as the reference.
    fn brackets_byte_by_byte(bytes: &[u8], region: ByteRange) -> (Vec<(usize, usize)>, Vec<usize>) {
        let mut pairs = Vec::new();
        let mut open = Vec::new();
        let mut pos = region.start;
        while pos < region.end {
            match bytes.get(pos) {
                Some(b'\\') => pos += 1,
                Some(b'[') => open.push(pos),
                Some(b']') => {
                    if let Some(start) = open.pop() {
                        pairs.push((start, pos));
                    }
                }
                _ => {}
            }
            pos += 1;
        }
        pairs.sort_unstable();
        (pairs, open)
    }
}

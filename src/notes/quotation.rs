//! Quotations in prose: `"…"` and `“…”` (with `'…'`/`‘…’` nested inside them), top-level `‘…’`,
//! `„…“`, `«…»`, `「…」`, and blockquotes. Apostrophes (`don’t`, `states’`, `’90s`) and inch
//! marks (`5'10"`) are not quote marks; next to CJK text quote marks need no space. Inside a
//! quotation: elisions (`...`, `…`, `. . .`, `[...]`, `[…]`, `(...)`), alterations (`[s]`,
//! `[the SCO]`), and ignored editorial marks (`[sic]`, `[emphasis added]`).

mod pieces;

use crate::ByteRange;
pub use pieces::{quote_word_count, split_pieces};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotationKind {
    /// Between quote marks in running text.
    Inline,
    /// A `>` block.
    Block,
}

/// A piece of a quotation's content, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotePiece {
    /// Words quoted from the source. `text` is the note's text of `range` with markup (emphasis
    /// markers, link targets, blockquote `>` markers) removed.
    Text { text: String, range: ByteRange },
    /// An elision: stands for any stretch of the source (bounded, same source).
    Elision { range: ByteRange },
    /// An alteration such as `[s]` or `[the SCO]`: stands for a short stretch of the source.
    Alteration { text: String, range: ByteRange },
    /// An editorial mark that is not source text: `[sic]`, `[emphasis added]`.
    Editorial { range: ByteRange },
}

/// A quotation in a note.
#[derive(Debug, Clone, PartialEq)]
pub struct Quotation {
    pub kind: QuotationKind,
    /// The whole quotation: quote marks included, or the whole blockquote.
    pub range: ByteRange,
    /// The quoted content (inside the marks; for a blockquote, the block without its first `>`).
    pub content: ByteRange,
    pub pieces: Vec<QuotePiece>,
    /// Words of source text (`Text` pieces), for the minimum-words rule.
    pub word_count: usize,
    /// Indices into `Note::citations` of the citations attributed to this quotation.
    pub citations: Vec<usize>,
    /// Index into `Note::blocks`.
    pub block: usize,
    /// The sentence holding it (for an inline quotation), to insert a citation after.
    pub sentence: ByteRange,
    /// Silenced by `<!-- ibid-ignore -->`.
    pub ignored: bool,
}

/// An inline quotation as the scanner finds it, before attribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedQuotation {
    pub range: ByteRange,
    pub content: ByteRange,
    pub pieces: Vec<QuotePiece>,
}

/// Finds the inline quotations in `region` of `text` (the masked note, as for `scan_citations`).
/// Nested quotations are part of their outer quotation, not separate ones.
pub fn scan_quotations(text: &str, region: ByteRange) -> Vec<ScannedQuotation> {
    scan_inline(text, region).quotations
}

/// An opening quote mark that no closing mark in its region matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnclosedMark {
    pub offset: usize,
    pub mark: char,
}

/// What one scan of a region finds: its quotations, and the first opening quote mark left
/// unclosed (the rest of the region is ambiguous after it, so only the first is kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuotationScan {
    pub quotations: Vec<ScannedQuotation>,
    pub unclosed: Option<UnclosedMark>,
}

/// Scans `region` of `text` (the masked note) for inline quotations and unclosed quote marks.
/// A top-level `‘` before an elided word (`‘em`, `‘tis`) is a misturned apostrophe, not an
/// unclosed quotation.
pub fn scan_inline(text: &str, region: ByteRange) -> QuotationScan {
    let mut scan = QuotationScan::default();
    if !text.get(region.clone()).is_none_or(has_opening_mark) {
        // Most paragraphs quote nothing.
        return scan;
    }
    let Some(chars) = region_chars(text, region) else {
        return scan;
    };
    // Searches for a closing mark stop after the last candidate, so that a paragraph full of
    // unclosed quote marks costs linear time.
    let ClosingLimits {
        straight: straight_limit,
        single: single_limit,
        pairs: pair_limits,
    } = closing_limits(&chars);
    let mut i = 0;
    while let Some(&(offset, c)) = chars.get(i) {
        if c.is_ascii() && c != '"' {
            // No other ASCII char opens a quotation (most of a paragraph's chars).
            i += 1;
            continue;
        }
        // `None`: not an opening mark; `Some(None)`: an opening mark never closed.
        let close = match c {
            '"' if opens_straight(&chars, i) => Some(close_straight(&chars, i, straight_limit)),
            '‘' if opens_single(&chars, i) => Some(close_single(&chars, i, single_limit)),
            _ => CURLY_PAIRS
                .iter()
                .zip(&pair_limits)
                .find(|(pair, _)| pair.opening == c)
                .map(|(pair, &limit)| close_pair(&chars, i, pair, limit)),
        };
        match close {
            Some(Some(close)) => {
                if let Some(&(close_offset, close_char)) = chars.get(close) {
                    let content = offset + c.len_utf8()..close_offset;
                    if text
                        .get(content.clone())
                        .is_some_and(|s| !s.trim().is_empty())
                    {
                        scan.quotations.push(ScannedQuotation {
                            range: offset..close_offset + close_char.len_utf8(),
                            pieces: split_pieces(text, content.clone()),
                            content,
                        });
                        i = close + 1;
                        continue;
                    }
                }
            }
            Some(None)
                if scan.unclosed.is_none() && !(c == '‘' && before_elided_word(&chars, i)) =>
            {
                scan.unclosed = Some(UnclosedMark { offset, mark: c });
            }
            _ => {}
        }
        i += 1;
    }
    scan
}

/// Words that a leading apostrophe shortens (`’em`, `’tis`), often mistyped with `‘`.
const ELIDED_WORDS: &[&str] = &[
    "em", "tis", "twas", "til", "cause", "bout", "n", "round", "nuff", "twere", "twill",
];

/// Whether the `‘` at `i` stands before one of [`ELIDED_WORDS`] (any case).
fn before_elided_word(chars: &[(usize, char)], i: usize) -> bool {
    let word: String = chars
        .iter()
        .skip(i + 1)
        .map(|&(_, c)| c)
        .take_while(|c| c.is_alphabetic())
        .take(8)
        .collect::<String>()
        .to_lowercase();
    ELIDED_WORDS.contains(&word.as_str())
}

/// One past the last closing mark of each kind in a paragraph's chars (0 when there is none).
#[derive(Debug, PartialEq, Eq)]
struct ClosingLimits {
    straight: usize,
    single: usize,
    /// One per `CURLY_PAIRS`.
    pairs: Vec<usize>,
}

fn closing_limits(chars: &[(usize, char)]) -> ClosingLimits {
    let mut limits = ClosingLimits {
        straight: 0,
        single: 0,
        pairs: vec![0; CURLY_PAIRS.len()],
    };
    for (i, &(_, c)) in chars.iter().enumerate() {
        if c.is_ascii() && c != '"' {
            continue;
        }
        if c == '"' && closes_straight(chars, i) {
            limits.straight = i + 1;
        }
        if c == '’' {
            limits.single = i + 1;
        }
        for (limit, pair) in limits.pairs.iter_mut().zip(CURLY_PAIRS) {
            if pair.closing.contains(&c) {
                *limit = i + 1;
            }
        }
    }
    limits
}

/// Whether `text` has a char that may open a quotation (a straight `"`, a `‘`, the opening mark of
/// a curly pair).
fn has_opening_mark(text: &str) -> bool {
    let may_have = |b: &u8| *b == b'"' || !b.is_ascii();
    text.as_bytes().iter().any(may_have)
        && text
            .chars()
            .any(|c| c == '"' || c == '‘' || CURLY_PAIRS.iter().any(|pair| pair.opening == c))
}

/// The chars of `region` (clamped to `text` and to char boundaries) with their offsets.
fn region_chars(text: &str, region: ByteRange) -> Option<Vec<(usize, char)>> {
    let mut start = region.start.min(text.len());
    let mut end = region.end.min(text.len());
    while !text.is_char_boundary(start) {
        start += 1;
    }
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let slice = text.get(start..end)?;
    Some(slice.char_indices().map(|(i, c)| (start + i, c)).collect())
}

fn char_of(chars: &[(usize, char)], i: Option<usize>) -> Option<char> {
    i.and_then(|i| chars.get(i)).map(|&(_, c)| c)
}

fn before(chars: &[(usize, char)], i: usize) -> Option<char> {
    char_of(chars, i.checked_sub(1))
}

fn after(chars: &[(usize, char)], i: usize) -> Option<char> {
    char_of(chars, Some(i + 1))
}

/// What may stand right before an opening quote mark besides whitespace.
fn is_opening_context(c: char) -> bool {
    c.is_whitespace()
        || is_unspaced_script(c)
        || matches!(
            c,
            '(' | '[' | '{' | '<' | '—' | '–' | '/' | '“' | '‘' | '"' | '\''
        )
}

/// A char of a script written without spaces between words (CJK ideographs, kana, Hangul,
/// CJK punctuation and full-width forms), next to which a quote mark needs no space.
fn is_unspaced_script(c: char) -> bool {
    pieces::is_ideograph(c)
        || matches!(c as u32, 0x3000..=0x30FF | 0xAC00..=0xD7AF | 0xFF00..=0xFFEF)
}

/// A letter or digit of a script that separates words with spaces (an apostrophe between two
/// of them is not a quote mark).
fn is_spaced_letter(c: char) -> bool {
    c.is_alphanumeric() && !is_unspaced_script(c)
}

/// A straight `"` that opens: at the region start or after whitespace or opening punctuation,
/// and before a non-space (so `5'10" tall` has no opening quote).
fn opens_straight(chars: &[(usize, char)], i: usize) -> bool {
    before(chars, i).is_none_or(is_opening_context)
        && after(chars, i).is_some_and(|c| !c.is_whitespace())
}

/// A straight `"` that closes: after a non-space, before the end, whitespace or punctuation.
fn closes_straight(chars: &[(usize, char)], i: usize) -> bool {
    before(chars, i).is_some_and(|c| !c.is_whitespace())
        && after(chars, i).is_none_or(|c| !c.is_alphanumeric() || is_unspaced_script(c))
}

/// The `"` closing the straight quote opened at `open`, counting nested straight quotes.
fn close_straight(chars: &[(usize, char)], open: usize, limit: usize) -> Option<usize> {
    let mut depth = 1usize;
    for i in open + 1..limit.min(chars.len()) {
        if char_of(chars, Some(i)) != Some('"') {
            continue;
        }
        if closes_straight(chars, i) {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        } else if opens_straight(chars, i) {
            depth += 1;
        }
    }
    None
}

/// A pair of quote marks that need no context to be recognised.
struct QuotePair {
    opening: char,
    closing: &'static [char],
}

/// Double quote marks: English curly quotes, German `„…“`, French `«…»`, CJK `「…」`.
const CURLY_PAIRS: &[QuotePair] = &[
    QuotePair {
        opening: '“',
        closing: &['”'],
    },
    QuotePair {
        opening: '„',
        closing: &['“', '”'],
    },
    QuotePair {
        opening: '«',
        closing: &['»'],
    },
    QuotePair {
        opening: '「',
        closing: &['」'],
    },
];

/// The closing mark of `pair` opened at `open`, counting nested pairs.
fn close_pair(
    chars: &[(usize, char)],
    open: usize,
    pair: &QuotePair,
    limit: usize,
) -> Option<usize> {
    let mut depth = 1usize;
    for (i, &(_, c)) in chars.iter().enumerate().take(limit).skip(open + 1) {
        if c == pair.opening {
            depth += 1;
        } else if pair.closing.contains(&c) {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// A `‘` that opens a quotation rather than eliding (`‘90s`): after whitespace or opening
/// punctuation, before a non-space.
fn opens_single(chars: &[(usize, char)], i: usize) -> bool {
    let next = after(chars, i);
    let decade = next.is_some_and(|c| c.is_ascii_digit())
        && char_of(chars, Some(i + 2)).is_some_and(|c| c.is_ascii_digit())
        && char_of(chars, Some(i + 3)).is_none_or(|c| c == 's' || !c.is_alphanumeric());
    before(chars, i).is_none_or(is_opening_context)
        && next.is_some_and(|c| !c.is_whitespace())
        && !decade
}

/// The `’` closing the single quote opened at `open`. Apostrophes are skipped: `’` between two
/// letters (`don’t`), after whitespace, and a plural possessive (`states’ rights`) unless no
/// other closing mark follows.
fn close_single(chars: &[(usize, char)], open: usize, limit: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut possessive = None;
    for i in open + 1..limit.min(chars.len()) {
        match char_of(chars, Some(i)) {
            Some('‘') if opens_single(chars, i) => depth += 1,
            Some('’') => {
                let prev = before(chars, i);
                let next = after(chars, i);
                if prev.is_none_or(char::is_whitespace)
                    || (prev.is_some_and(is_spaced_letter) && next.is_some_and(is_spaced_letter))
                {
                    continue;
                }
                let plural_possessive = matches!(prev, Some('s' | 'S'))
                    && next.is_some_and(char::is_whitespace)
                    && char_of(chars, Some(i + 2)).is_some_and(char::is_alphanumeric);
                if plural_possessive {
                    possessive = Some(i);
                    continue;
                }
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    if depth == 1 { possessive } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The limits found in one pass are those of a search back from the end for each kind.
        #[test]
        fn closing_limits_are_the_last_closing_marks(
            text in "([a-z]{1,3}|[ .,]|[\"'‘’“”„«»‹›「」『』]){0,24}"
        ) {
            let chars: Vec<(usize, char)> = text.char_indices().collect();
            let last = |is_closer: &dyn Fn(usize, char) -> bool| {
                chars
                    .iter()
                    .enumerate()
                    .rposition(|(i, &(_, c))| is_closer(i, c))
                    .map_or(0, |last| last + 1)
            };
            let expected = ClosingLimits {
                straight: last(&|i, c| c == '"' && closes_straight(&chars, i)),
                single: last(&|_, c| c == '’'),
                pairs: CURLY_PAIRS
                    .iter()
                    .map(|pair| last(&|_, c| pair.closing.contains(&c)))
                    .collect(),
            };
            proptest::prop_assert_eq!(closing_limits(&chars), expected);
        }
    }
    use expect_test::{Expect, expect};

    /// One line per piece.
    fn render_pieces(text: &str, pieces: &[QuotePiece]) -> String {
        let mut out = String::new();
        for piece in pieces {
            out += &match piece {
                QuotePiece::Text { text: words, range } => {
                    format!("text {words:?} at {:?}\n", &text[range.clone()])
                }
                QuotePiece::Elision { range } => format!("elision {:?}\n", &text[range.clone()]),
                QuotePiece::Alteration {
                    text: altered,
                    range,
                } => {
                    format!("alteration {altered:?} at {:?}\n", &text[range.clone()])
                }
                QuotePiece::Editorial { range } => {
                    format!("editorial {:?}\n", &text[range.clone()])
                }
            };
        }
        out
    }

    /// One line per quotation (its whole text and word count), then its pieces.
    fn render(text: &str) -> String {
        let mut out = String::new();
        for quotation in scan_quotations(text, 0..text.len()) {
            assert!(quotation.range.start < quotation.content.start);
            assert!(quotation.content.end < quotation.range.end);
            out += &format!(
                "quote {:?} ({} words)\n",
                &text[quotation.range.clone()],
                quote_word_count(&quotation.pieces)
            );
            for line in render_pieces(text, &quotation.pieces).lines() {
                out += &format!("  {line}\n");
            }
        }
        out
    }

    fn check(text: &str, expect: Expect) {
        expect.assert_eq(&render(text));
    }

    fn check_pieces(content: &str, expect: Expect) {
        expect.assert_eq(&render_pieces(
            content,
            &split_pieces(content, 0..content.len()),
        ));
    }

    #[test]
    fn straight_and_curly_double_quotes() {
        check(
            r#"She wrote "the past is a foreign country" and “they do things differently”."#,
            expect![[r#"
                quote "\"the past is a foreign country\"" (6 words)
                  text "the past is a foreign country" at "the past is a foreign country"
                quote "“they do things differently”" (4 words)
                  text "they do things differently" at "they do things differently"
            "#]],
        );
    }

    #[test]
    fn nested_single_quotes_belong_to_the_outer_quotation() {
        check(
            r#"He said "the word 'freedom' was 'overused'" and “a ‘new’ deal”, then "a "so-called" plan" ends."#,
            expect![[r#"
                quote "\"the word 'freedom' was 'overused'\"" (5 words)
                  text "the word 'freedom' was 'overused'" at "the word 'freedom' was 'overused'"
                quote "“a ‘new’ deal”" (3 words)
                  text "a ‘new’ deal" at "a ‘new’ deal"
                quote "\"a \"so-called\" plan\"" (3 words)
                  text "a \"so-called\" plan" at "a \"so-called\" plan"
            "#]],
        );
    }

    #[test]
    fn top_level_curly_single_quotes() {
        check(
            "British style: ‘quite a long phrase’, and ‘a “nested” one’. Also ‘the states’ rights’ \
             and ‘it was his’ alone.",
            expect![[r#"
                quote "‘quite a long phrase’" (4 words)
                  text "quite a long phrase" at "quite a long phrase"
                quote "‘a “nested” one’" (3 words)
                  text "a “nested” one" at "a “nested” one"
                quote "‘it was his’" (3 words)
                  text "it was his" at "it was his"
            "#]],
        );
    }

    #[test]
    fn apostrophes_are_not_quote_marks() {
        check(
            "China's rise, don’t panic, the states' rights, the ’90s and '90s, rock ’n’ roll \
             fans' views, O’Brien’s, it's, Ma'am, the ‘90s.",
            expect![[r#""#]],
        );
        check(
            r#"Not "China's 'policy'" but the states' "don't" stance’s ‘rule’."#,
            expect![[r#"
                quote "\"China's 'policy'\"" (2 words)
                  text "China's 'policy'" at "China's 'policy'"
                quote "\"don't\"" (1 words)
                  text "don't" at "don't"
                quote "‘rule’" (1 words)
                  text "rule" at "rule"
            "#]],
        );
    }

    #[test]
    fn quote_marks_inside_words_are_not_quotations() {
        check(
            r#"He is 5'10" tall and a 12" ruler, not "this" one."#,
            expect![[r#"
            quote "\"this\"" (1 words)
              text "this" at "this"
        "#]],
        );
        check(r#"a"b" and x"y"#, expect![[r#""#]]);
    }

    #[test]
    fn quotations_across_line_breaks() {
        check(
            "As noted, \"the first line\nand the second\n  line\" end; “one\ntwo”.",
            expect![[r#"
                quote "\"the first line\nand the second\n  line\"" (7 words)
                  text "the first line and the second line" at "the first line\nand the second\n  line"
                quote "“one\ntwo”" (2 words)
                  text "one two" at "one\ntwo"
            "#]],
        );
    }

    #[test]
    fn unterminated_quotations_are_not_quotations() {
        check(r#"She said "it never ends and so on."#, expect![[r#""#]]);
        check("“Curly without end, ‘single too.", expect![[r#""#]]);
        check(
            r#"An empty "" pair and " spaced " marks."#,
            expect![[r#""#]],
        );
        check(
            r#"Then "closed" after "open"#,
            expect![[r#"
            quote "\"closed\"" (1 words)
              text "closed" at "closed"
        "#]],
        );
    }

    /// The first unclosed opening mark of the text, with what follows it (up to 12 chars).
    fn unclosed(text: &str) -> Option<String> {
        let mark = scan_inline(text, 0..text.len()).unclosed?;
        Some(text[mark.offset..].chars().take(12).collect())
    }

    #[test]
    fn unclosed_marks_are_found() {
        assert_eq!(
            unclosed(r#"She said "it never ends."#).as_deref(),
            Some("\"it never en")
        );
        assert_eq!(
            unclosed("He wrote “no end here.").as_deref(),
            Some("“no end here")
        );
        assert_eq!(
            unclosed("Er sagte „kein Ende.").as_deref(),
            Some("„kein Ende.")
        );
        assert_eq!(
            unclosed("Il dit « sans fin.").as_deref(),
            Some("« sans fin.")
        );
        assert_eq!(
            unclosed("彼は「終わらない。").as_deref(),
            Some("「終わらない。")
        );
        assert_eq!(
            unclosed("British ‘never closed here.").as_deref(),
            Some("‘never close")
        );
        // The first of several; a later closed quotation is still found.
        let scan = scan_inline(r#"a "b "c" d"#, 0..10);
        assert_eq!(scan.quotations.len(), 1);
        assert_eq!(scan.unclosed.map(|m| m.offset), Some(2));
        // A mistyped closing mark (`“…“`) leaves the opening one unclosed.
        assert_eq!(unclosed("the “word“ here").as_deref(), Some("“word“ here"));
    }

    #[test]
    fn apostrophes_inches_and_nesting_are_not_unclosed_marks() {
        for text in [
            "China's rise, don’t panic, the states' rights, the ’90s and '90s, rock ’n’ roll",
            "fans' views, O’Brien’s, it's, Ma'am, the ‘90s, ‘80s music.",
            r#"He is 5'10" tall with a 12" ruler and 3 " marks."#,
            "Give ‘em hell, ‘tis true, ‘cause ‘twas so, rock ‘n roll, ‘Til then.",
            r#"Closed "outer 'inner' text" and “outer ‘inner’ text” and ‘outer “inner” text’."#,
            // An unclosed mark inside a closed quotation is part of its words.
            r#"A "quote with a stray “ in it" ends."#,
            r#"Empty "" pair and " spaced " marks."#,
            "Only closing marks” and ’ and » here.",
        ] {
            assert_eq!(unclosed(text), None, "{text}");
        }
    }

    #[test]
    fn quotations_next_to_citations() {
        check(
            r#"It is "a bold claim" [@a, p. 3]. "Quite so," @b writes, (“in brackets”) and [“too”]."#,
            expect![[r#"
                quote "\"a bold claim\"" (3 words)
                  text "a bold claim" at "a bold claim"
                quote "\"Quite so,\"" (2 words)
                  text "Quite so," at "Quite so,"
                quote "“in brackets”" (2 words)
                  text "in brackets" at "in brackets"
                quote "“too”" (1 words)
                  text "too" at "too"
            "#]],
        );
    }

    #[test]
    fn opening_punctuation_before_straight_quotes() {
        check(
            r#"—"dash" –"en" /"slash" ("paren") ["bracket"] {"brace"} x"no" .""#,
            expect![[r#"
                quote "\"dash\"" (1 words)
                  text "dash" at "dash"
                quote "\"en\"" (1 words)
                  text "en" at "en"
                quote "\"slash\"" (1 words)
                  text "slash" at "slash"
                quote "\"paren\"" (1 words)
                  text "paren" at "paren"
                quote "\"bracket\"" (1 words)
                  text "bracket" at "bracket"
                quote "\"brace\"" (1 words)
                  text "brace" at "brace"
            "#]],
        );
    }

    #[test]
    fn cjk_and_emoji_content() {
        check(
            "他说“中国的发展很快”。Then \"emoji 🎉 party\" and \"日本語のテキスト\" with 「brackets」.",
            expect![[r#"
                quote "“中国的发展很快”" (7 words)
                  text "中国的发展很快" at "中国的发展很快"
                quote "\"emoji 🎉 party\"" (2 words)
                  text "emoji 🎉 party" at "emoji 🎉 party"
                quote "\"日本語のテキスト\"" (4 words)
                  text "日本語のテキスト" at "日本語のテキスト"
                quote "「brackets」" (1 words)
                  text "brackets" at "brackets"
            "#]],
        );
    }

    #[test]
    fn only_the_region_is_scanned() {
        let text = r#""one" "two" "three""#;
        let found = scan_quotations(text, 6..11);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].content.clone()], "two");
        // A quote closing past the region is unterminated inside it.
        assert!(scan_quotations(text, 6..10).is_empty());
        // Regions through multi-byte chars or past the end do not panic.
        let text = "“é”";
        assert_eq!(scan_quotations(text, 0..100).len(), 1);
        assert!(scan_quotations(text, 1..4).is_empty());
        let (start, end) = (5, 2);
        assert!(scan_quotations(text, start..end).is_empty());
    }

    #[test]
    fn every_elision_form() {
        check_pieces(
            "one ... two … three . . . four [...] five […] six (...) seven [. . .] eight (…) nine \
             .... ten. . . . eleven",
            expect![[r#"
                  text "one" at "one"
                  elision "..."
                  text "two" at "two"
                  elision "…"
                  text "three" at "three"
                  elision ". . ."
                  text "four" at "four"
                  elision "[...]"
                  text "five" at "five"
                  elision "[…]"
                  text "six" at "six"
                  elision "(...)"
                  text "seven" at "seven"
                  elision "[. . .]"
                  text "eight" at "eight"
                  elision "(…)"
                  text "nine" at "nine"
                  elision "...."
                  text "ten" at "ten"
                  elision ". . . ."
                  text "eleven" at "eleven"
            "#]],
        );
    }

    #[test]
    fn not_elisions() {
        check_pieces(
            "U.S.A. and e.g. two.. dots, (parenthetical) and [. .] and ( ... x)",
            expect![[r#"
                  text "U.S.A. and e.g. two.. dots, (parenthetical) and" at "U.S.A. and e.g. two.. dots, (parenthetical) and"
                  alteration ". ." at "[. .]"
                  text "and (" at "and ("
                  elision "..."
                  text "x)" at "x)"
            "#]],
        );
    }

    #[test]
    fn quotation_ending_or_starting_with_an_elision_keeps_it() {
        check(
            r#"They "... stopped the war ..." and "went home…""#,
            expect![[r#"
            quote "\"... stopped the war ...\"" (3 words)
              elision "..."
              text "stopped the war" at "stopped the war"
              elision "..."
            quote "\"went home…\"" (2 words)
              text "went home" at "went home"
              elision "…"
        "#]],
        );
    }

    #[test]
    fn alterations() {
        check_pieces(
            "[T]he firm[s] said [the SCO] was \"late\"[s] and [ multiple   words ] here",
            expect![[r#"
                  alteration "T" at "[T]"
                  text "he firm" at "he firm"
                  alteration "s" at "[s]"
                  text "said" at "said"
                  alteration "the SCO" at "[the SCO]"
                  text "was \"late\"" at "was \"late\""
                  alteration "s" at "[s]"
                  text "and" at "and"
                  alteration "multiple words" at "[ multiple   words ]"
                  text "here" at "here"
            "#]],
        );
    }

    #[test]
    fn editorial_marks_any_case() {
        check_pieces(
            "teh [sic] word [sic!] and [SIC] [Sic.] [emphasis added] [Emphasis in original] \
             [italics added] [emphasis mine] [ sic ] [footnote omitted] [^3] [@a, p. 2] []",
            expect![[r#"
                  text "teh" at "teh"
                  editorial "[sic]"
                  text "word" at "word"
                  editorial "[sic!]"
                  text "and" at "and"
                  editorial "[SIC]"
                  editorial "[Sic.]"
                  editorial "[emphasis added]"
                  editorial "[Emphasis in original]"
                  editorial "[italics added]"
                  editorial "[emphasis mine]"
                  editorial "[ sic ]"
                  elision "[footnote omitted]"
                  editorial "[^3]"
                  editorial "[@a, p. 2]"
                  editorial "[]"
            "#]],
        );
    }

    #[test]
    fn broken_brackets_stay_text() {
        check_pieces(
            "an [unclosed bracket and [nested [x] one",
            expect![[r#"
              text "an [unclosed bracket and [nested" at "an [unclosed bracket and [nested"
              alteration "x" at "[x]"
              text "one" at "one"
        "#]],
        );
    }

    #[test]
    fn word_counts() {
        let count = |s: &str| quote_word_count(&split_pieces(s, 0..s.len()));
        assert_eq!(count("don't stop the well-known O’Brien"), 5);
        assert_eq!(count("one ... two [three] four [sic]"), 3);
        assert_eq!(count("中国的发展"), 5);
        // Ideographs one by one; a run of kana is one word.
        assert_eq!(count("日本語のテキスト"), 4);
        // The emoji is not a word; `a/b` is two.
        assert_eq!(count("emoji 🎉 party — 2024, a/b"), 5);
        assert_eq!(count(""), 0);
    }

    #[test]
    fn quotations_in_unspaced_scripts() {
        check(
            r#"他说"中国的发展"很快，‘日本’的经济。彼は"はい"と言った。그는 "네"라고 했다."#,
            expect![[r#"
                quote "\"中国的发展\"" (5 words)
                  text "中国的发展" at "中国的发展"
                quote "‘日本’" (2 words)
                  text "日本" at "日本"
                quote "\"はい\"" (1 words)
                  text "はい" at "はい"
                quote "\"네\"" (1 words)
                  text "네" at "네"
            "#]],
        );
    }

    #[test]
    fn many_unclosed_marks_stay_fast() {
        let text = "\"a “b ‘c [d (e ".repeat(20_000);
        let started = std::time::Instant::now();
        assert!(scan_quotations(&text, 0..text.len()).is_empty());
        assert!(crate::notes::citation::scan_citations(&text, 0..text.len()).is_empty());
        assert_eq!(split_pieces(&text, 0..text.len()).len(), 1);
        // Quadratic scanning would take minutes here.
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn german_french_and_cjk_quote_marks() {
        check(
            "Er sagte „das ist gut“ und „so”. Il dit « c’est la vie » et «oui». 彼は「はい」と言った。",
            expect![[r#"
                quote "„das ist gut“" (3 words)
                  text "das ist gut" at "das ist gut"
                quote "„so”" (1 words)
                  text "so" at "so"
                quote "« c’est la vie »" (3 words)
                  text "c’est la vie" at "c’est la vie"
                quote "«oui»" (1 words)
                  text "oui" at "oui"
                quote "「はい」" (1 words)
                  text "はい" at "はい"
            "#]],
        );
    }

    #[test]
    fn quotation_glued_to_a_citation() {
        check(
            r#"It was "glued here"[@a] and "after a dot".[^1]"#,
            expect![[r#"
            quote "\"glued here\"" (2 words)
              text "glued here" at "glued here"
            quote "\"after a dot\"" (3 words)
              text "after a dot" at "after a dot"
        "#]],
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[\"'“”‘’ .…\\[\\]()a-zé中\n]{0,40}", start in 0usize..60, end in 0usize..60) {
            for quotation in scan_quotations(&text, start..end) {
                proptest::prop_assert!(text.get(quotation.range.clone()).is_some());
                proptest::prop_assert!(text.get(quotation.content.clone()).is_some());
            }
            for piece in split_pieces(&text, start..end) {
                let range = match piece {
                    QuotePiece::Text { range, .. } | QuotePiece::Elision { range }
                    | QuotePiece::Alteration { range, .. } | QuotePiece::Editorial { range } => range,
                };
                proptest::prop_assert!(text.get(range).is_some());
            }
        }
    }
}

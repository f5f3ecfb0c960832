//! Splits quoted content into pieces: quoted text, elisions (`...`, `…`, `. . .`, `[...]`,
//! `(...)`), alterations (`[s]`, `[T]he`) and editorial marks (`[sic]`, `[emphasis added]`), and
//! counts the quoted words.

use super::QuotePiece;
use crate::ByteRange;
use crate::notes::citation::scan_citations;

/// Bracketed remarks that are not source text and stand for nothing in the source.
const EDITORIAL: &[&str] = &[
    "sic",
    "sic!",
    "!",
    "?",
    "emphasis added",
    "emphasis in original",
    "emphasis original",
    "original emphasis",
    "emphasis mine",
    "emphasis omitted",
    "italics added",
    "italics in original",
    "italics mine",
    "italics omitted",
    "internal quotation marks omitted",
    "quotation marks omitted",
    "alterations in original",
];

/// Bracketed remarks that stand for omitted source text, like an elision.
const OMISSIONS: &[&str] = &[
    "footnote omitted",
    "footnotes omitted",
    "citation omitted",
    "citations omitted",
    "internal citation omitted",
    "internal citations omitted",
    "internal citations and footnotes omitted",
];

/// Splits quoted content (`range` of the masked `text`) into pieces: text, elisions, alterations,
/// editorial marks. Used for inline quotations and blockquotes alike.
///
/// A `Text` piece's `text` is its slice with whitespace collapsed and trimmed; its `range` is the
/// trimmed slice. Pieces with no letter or digit (a lone `,` between two elisions) are dropped.
pub fn split_pieces(text: &str, range: ByteRange) -> Vec<QuotePiece> {
    let mut start = range.start.min(text.len());
    let mut end = range.end.min(text.len());
    while !text.is_char_boundary(start) {
        start += 1;
    }
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let Some(content) = text.get(start..end.max(start)) else {
        return Vec::new();
    };
    let mut pieces = Vec::new();
    let mut pending = start;
    let mut chars = content.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = start + i;
        let found = match c {
            '[' => bracket(text, at, end),
            '(' => parenthesised_elision(text, at, end),
            '.' | '…' => dot_elision(text, at, end),
            _ => None,
        };
        let Some((piece, piece_end)) = found else {
            continue;
        };
        push_text(text, pending..at, &mut pieces);
        pieces.push(piece);
        pending = piece_end;
        while chars.next_if(|&(j, _)| start + j < piece_end).is_some() {}
    }
    push_text(text, pending..end, &mut pieces);
    pieces
}

/// Pushes the text of `range` as a `Text` piece, unless it holds no letter or digit.
fn push_text(text: &str, range: ByteRange, pieces: &mut Vec<QuotePiece>) {
    let Some(slice) = text.get(range.clone()) else {
        return;
    };
    if !slice.chars().any(char::is_alphanumeric) {
        return;
    }
    let start = range.start + (slice.len() - slice.trim_start().len());
    let end = range.start + slice.trim_end().len();
    pieces.push(QuotePiece::Text {
        text: collapse(slice),
        range: start..end,
    });
}

/// A `[...]` at `open`: an elision, an editorial mark, a citation or footnote reference (both
/// editorial: not source text), or an alteration.
fn bracket(text: &str, open: usize, end: usize) -> Option<(QuotePiece, usize)> {
    let rest = text.get(open + 1..end)?;
    let close_rel = rest.find([']', '['])?;
    if rest.get(close_rel..)?.starts_with('[') {
        return None;
    }
    let close = open + 1 + close_rel;
    let range = open..close + 1;
    let inner = rest.get(..close_rel)?;
    let normalised = collapse(inner).to_lowercase();
    let normalised = normalised.trim_end_matches('.');
    let piece = if is_elision_mark(inner) || OMISSIONS.contains(&normalised) {
        QuotePiece::Elision { range }
    } else if normalised.is_empty()
        || EDITORIAL.contains(&normalised)
        || normalised.starts_with('^')
        || is_citation(text, &range)
    {
        QuotePiece::Editorial { range }
    } else {
        QuotePiece::Alteration {
            text: collapse(inner),
            range,
        }
    };
    Some((piece, close + 1))
}

/// Whether `range` (a bracket group) is a bracketed citation such as `[@a, p. 3]`.
fn is_citation(text: &str, range: &ByteRange) -> bool {
    scan_citations(text, range.clone())
        .iter()
        .any(|c| c.bracketed && c.range == *range)
}

/// `(...)`, `(…)`, `(. . .)` at `open`.
fn parenthesised_elision(text: &str, open: usize, end: usize) -> Option<(QuotePiece, usize)> {
    let rest = text.get(open + 1..end)?;
    // An elision mark is short: look for the `)` among the next few chars only.
    let (close_rel, _) = rest.char_indices().take(12).find(|&(_, c)| c == ')')?;
    let inner = rest.get(..close_rel)?;
    let close = open + 1 + close_rel;
    is_elision_mark(inner).then(|| {
        (
            QuotePiece::Elision {
                range: open..close + 1,
            },
            close + 1,
        )
    })
}

/// Only dots and ellipses, standing for at least three dots (`...`, `…`, `. . .`).
fn is_elision_mark(inner: &str) -> bool {
    let inner = inner.trim();
    inner
        .chars()
        .all(|c| matches!(c, '.' | '…' | ' ' | '\u{a0}'))
        && dot_count(inner) >= 3
        && !inner.contains("  ")
}

fn dot_count(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '.' => 1,
            '…' => 3,
            _ => 0,
        })
        .sum()
}

/// A run of dots and ellipses at `at`, separated by at most single spaces, standing for at least
/// three dots: `...`, `…`, `. . .`, `....`, `. . . .`.
fn dot_elision(text: &str, at: usize, end: usize) -> Option<(QuotePiece, usize)> {
    let rest = text.get(at..end)?;
    let mut run_end = 0;
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '.' | '…' => run_end = i + c.len_utf8(),
            ' ' | '\u{a0}' => {
                // One space between dots continues the run only if a dot follows.
                if !chars
                    .peek()
                    .is_some_and(|&(_, next)| matches!(next, '.' | '…'))
                {
                    break;
                }
            }
            _ => break,
        }
    }
    let run = rest.get(..run_end)?;
    (dot_count(run) >= 3).then(|| {
        (
            QuotePiece::Elision {
                range: at..at + run_end,
            },
            at + run_end,
        )
    })
}

/// Whitespace runs collapsed to one space, trimmed.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Words of source text in `pieces` (their `Text` pieces): runs of letters and digits, joined
/// through apostrophes and hyphens (`don't`, `well-known`); each CJK ideograph is a word.
pub fn quote_word_count(pieces: &[QuotePiece]) -> usize {
    pieces
        .iter()
        .map(|piece| match piece {
            QuotePiece::Text { text, .. } => word_count(text),
            _ => 0,
        })
        .sum()
}

fn word_count(text: &str) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for c in text.chars() {
        if is_ideograph(c) {
            count += 1;
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                count += 1;
                in_word = true;
            }
        } else if !(in_word && matches!(c, '\'' | '’' | '-' | '‐')) {
            in_word = false;
        }
    }
    count
}

/// A CJK ideograph (Han, in the unified blocks and their extensions, or `々`).
pub(super) fn is_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3005
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2EBEF
        | 0x2F800..=0x2FA1F
        | 0x30000..=0x3134F)
}

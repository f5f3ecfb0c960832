//! Splits what follows a citation key into a locator and a suffix, with the heuristics of pandoc
//! and citeproc: a locator term (`p.`, `chap.`, `§`...) or a leading number, a value that runs
//! through comma-separated numbers (`33, 35-37`), or an explicit `{...}` locator in braces.

use super::Locator;
use crate::ByteRange;

/// One spelling of a locator term and the term it stands for.
struct Term {
    spelling: &'static str,
    label: &'static str,
}

const fn term(spelling: &'static str, label: &'static str) -> Term {
    Term { spelling, label }
}

/// Locator terms of the CSL en-US locale (long and short forms, singular and plural), plus `ch.`.
const TERMS: &[Term] = &[
    term("book", "book"),
    term("books", "book"),
    term("bk.", "book"),
    term("bks.", "book"),
    term("chapter", "chapter"),
    term("chapters", "chapter"),
    term("chap.", "chapter"),
    term("chaps.", "chapter"),
    term("ch.", "chapter"),
    term("column", "column"),
    term("columns", "column"),
    term("col.", "column"),
    term("cols.", "column"),
    term("figure", "figure"),
    term("figures", "figure"),
    term("fig.", "figure"),
    term("figs.", "figure"),
    term("folio", "folio"),
    term("folios", "folio"),
    term("fol.", "folio"),
    term("fols.", "folio"),
    term("number", "number"),
    term("numbers", "number"),
    term("no.", "number"),
    term("nos.", "number"),
    term("line", "line"),
    term("lines", "line"),
    term("l.", "line"),
    term("ll.", "line"),
    term("note", "note"),
    term("notes", "note"),
    term("n.", "note"),
    term("nn.", "note"),
    term("opus", "opus"),
    term("opera", "opus"),
    term("op.", "opus"),
    term("opp.", "opus"),
    term("page", "page"),
    term("pages", "page"),
    term("p.", "page"),
    term("pp.", "page"),
    term("paragraph", "paragraph"),
    term("paragraphs", "paragraph"),
    term("para.", "paragraph"),
    term("paras.", "paragraph"),
    term("¶", "paragraph"),
    term("¶¶", "paragraph"),
    term("part", "part"),
    term("parts", "part"),
    term("pt.", "part"),
    term("pts.", "part"),
    term("section", "section"),
    term("sections", "section"),
    term("sec.", "section"),
    term("secs.", "section"),
    term("§", "section"),
    term("§§", "section"),
    term("sub verbo", "sub verbo"),
    term("sub verbis", "sub verbo"),
    term("s.v.", "sub verbo"),
    term("s.vv.", "sub verbo"),
    term("verse", "verse"),
    term("verses", "verse"),
    term("v.", "verse"),
    term("vv.", "verse"),
    term("volume", "volume"),
    term("volumes", "volume"),
    term("vol.", "volume"),
    term("vols.", "volume"),
];

/// The locator and the suffix found in `range` of `text` (what follows a key up to the end of
/// its item). The suffix has its leading comma removed and its whitespace collapsed.
pub(super) fn parse_locator_and_suffix(text: &str, range: ByteRange) -> (Option<Locator>, String) {
    let Some(rest) = text.get(range.clone()) else {
        return (None, String::new());
    };
    // `@key{...}`: braces right after the key.
    if rest.starts_with('{') {
        return braced(text, range.start, range.end);
    }
    let after_space = range.start + leading_whitespace(rest);
    let after_comma = match text.get(after_space..range.end) {
        Some(s) if s.starts_with(',') => after_space + 1,
        _ => after_space,
    };
    let start = after_comma + leading_whitespace(text.get(after_comma..range.end).unwrap_or(""));
    if text
        .get(start..range.end)
        .is_some_and(|s| s.starts_with('{'))
    {
        return braced(text, start, range.end);
    }
    match plain(text, start, range.end) {
        Some(locator) => {
            let suffix = suffix_text(text, locator.range.end..range.end);
            (Some(locator), suffix)
        }
        None => (None, suffix_text(text, range)),
    }
}

/// `{pp. iv, vi-xi} suffix` starting at `open` (a `{`).
fn braced(text: &str, open: usize, end: usize) -> (Option<Locator>, String) {
    let Some(close) = matching_brace(text, open, end) else {
        return (None, suffix_text(text, open..end));
    };
    let suffix = suffix_text(text, close + 1..end);
    let inner = trimmed(text, open + 1..close);
    if inner.is_empty() {
        return (None, suffix);
    }
    let inner_text = text.get(inner.clone()).unwrap_or("");
    let (label, value_range) = match match_term(inner_text) {
        Some((term, len)) => {
            let value = trimmed(text, inner.start + len..inner.end);
            if value.is_empty() {
                ("page", inner.clone())
            } else {
                (term.label, value)
            }
        }
        None => ("page", inner.clone()),
    };
    let locator = Locator {
        label: label.to_owned(),
        value: collapse(text.get(value_range).unwrap_or("")),
        range: inner,
    };
    (Some(locator), suffix)
}

/// An unbraced locator starting exactly at `start`: `p. 33`, `chap. 1`, `33-35, 38`, `§ 4`.
fn plain(text: &str, start: usize, end: usize) -> Option<Locator> {
    let rest = text.get(start..end)?;
    let (label, explicit, value_start) = match match_term(rest) {
        Some((term, len)) => {
            let after = start + len;
            let value_start = after + leading_whitespace(text.get(after..end)?);
            (term.label, true, value_start)
        }
        None => ("page", false, start),
    };
    let first = token(text, value_start, end)?;
    let first_text = text.get(first.clone())?;
    let first_is_roman = is_roman_numeral(first_text);
    let acceptable = if label == "sub verbo" {
        true
    } else if explicit {
        has_digit(first_text) || first_is_roman
    } else {
        let starts_with_digit = first_text.starts_with(|c: char| c.is_ascii_digit());
        // A bare roman numeral only when nothing but a comma or the end follows it, so that
        // `[@a, I think]` keeps its suffix.
        let roman_alone = first_is_roman && {
            let after = text.get(first.end..end).unwrap_or("").trim_start();
            after.is_empty() || after.starts_with(',')
        };
        starts_with_digit || roman_alone
    };
    if !acceptable {
        return None;
    }
    let mut value_end = first.end;
    // Continue through `, 38-39`, `, 40`: a comma followed by a number.
    while let Some(after) = text.get(value_end..end) {
        if !after.starts_with(',') {
            break;
        }
        let next_start = value_end + 1 + leading_whitespace(after.get(1..).unwrap_or(""));
        let Some(next) = token(text, next_start, end) else {
            break;
        };
        let next_text = text.get(next.clone()).unwrap_or("");
        let continues = next_text.starts_with(|c: char| c.is_ascii_digit())
            || (first_is_roman && is_roman_numeral(next_text));
        if !continues {
            break;
        }
        value_end = next.end;
    }
    Some(Locator {
        label: label.to_owned(),
        value: collapse(text.get(value_start..value_end)?),
        range: start..value_end,
    })
}

/// The locator term `s` starts with, and the byte length of the term plus what must follow it.
fn match_term(s: &str) -> Option<(&'static Term, usize)> {
    TERMS
        .iter()
        .filter_map(|term| {
            let head = s.get(..term.spelling.len())?;
            if !head.eq_ignore_ascii_case(term.spelling) {
                return None;
            }
            let next = s.get(term.spelling.len()..)?.chars().next();
            let last = term.spelling.chars().last()?;
            let boundary = if last.is_alphabetic() {
                // A full word: a space must follow (`page 3`, not `pages3` or `paged`).
                next.is_some_and(char::is_whitespace)
            } else {
                // `p.`, `§`, `¶`: a space, a number or the value itself may follow.
                next.is_none_or(|c| c.is_whitespace() || c.is_alphanumeric() || c == '(')
            };
            boundary.then_some((term, term.spelling.len()))
        })
        .max_by_key(|(_, len)| *len)
}

/// The token starting at `start`: up to whitespace, `,`, `;` or `]`, without trailing `.`/`:`.
fn token(text: &str, start: usize, end: usize) -> Option<ByteRange> {
    let rest = text.get(start..end)?;
    let len = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ']'))
        .unwrap_or(rest.len());
    let word = rest.get(..len)?.trim_end_matches(['.', ':']);
    (!word.is_empty()).then(|| start..start + word.len())
}

fn has_digit(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
}

/// A well-formed roman numeral, all lowercase or all uppercase (`iv`, `XII`; not `dim`, `Mix`).
pub(super) fn is_roman_numeral(s: &str) -> bool {
    if s.is_empty()
        || !(s.chars().all(|c| c.is_ascii_lowercase()) || s.chars().all(|c| c.is_ascii_uppercase()))
    {
        return false;
    }
    let upper = s.to_ascii_uppercase();
    let mut rest = upper.as_str();
    // Thousands, hundreds, tens, units, each in its canonical forms (longest first).
    let groups: [&[&str]; 4] = [
        &["MMM", "MM", "M"],
        &["CM", "DCCC", "DCC", "DC", "D", "CD", "CCC", "CC", "C"],
        &["XC", "LXXX", "LXX", "LX", "L", "XL", "XXX", "XX", "X"],
        &["IX", "VIII", "VII", "VI", "V", "IV", "III", "II", "I"],
    ];
    for group in groups {
        if let Some(found) = group.iter().find(|g| rest.starts_with(**g)) {
            rest = rest.get(found.len()..).unwrap_or("");
        }
    }
    rest.is_empty()
}

/// The `}` closing the `{` at `open`, before `end`, counting nested braces.
fn matching_brace(text: &str, open: usize, end: usize) -> Option<usize> {
    let bytes = text.as_bytes().get(open..end)?;
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' => escaped = true,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

fn leading_whitespace(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// `range` without leading and trailing whitespace.
fn trimmed(text: &str, range: ByteRange) -> ByteRange {
    let Some(s) = text.get(range.clone()) else {
        return range.start..range.start;
    };
    let start = range.start + leading_whitespace(s);
    let end = range.start + s.trim_end().len();
    if end < start {
        start..start
    } else {
        start..end
    }
}

/// The suffix in `range`: leading comma dropped, whitespace collapsed.
fn suffix_text(text: &str, range: ByteRange) -> String {
    let s = text.get(range).unwrap_or("").trim_start();
    collapse(s.strip_prefix(',').unwrap_or(s))
}

/// Whitespace runs collapsed to one space, trimmed.
pub(super) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

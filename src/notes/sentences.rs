//! A sentence splitter for prose (masked note text, or any plain text): Unicode's sentence
//! boundaries (UAX #29, from `unicode-segmentation`) with fixes, since UAX #29 alone splits after
//! `U.S.`, `Dr.` or `p.` when a capital follows.
//!
//! A boundary must be a UAX #29 boundary and also pass these rules: a sentence ends at `.`, `?` or `!` (optionally followed by closing quotes or brackets) followed
//! by whitespace and something that can start a sentence: an uppercase or uncased letter, a digit,
//! an opening quote or a bracket. It does not end after common abbreviations (`U.S.`, `e.g.`,
//! `Dr.`, `p.`, `vol.`…) or single initials (`J.`), nor inside quotation marks or brackets. A
//! citation right after the terminal punctuation (`… end. [@a]`) belongs to the sentence before it.
//! CJK `。！？` end sentences without needing a space.

use unicode_segmentation::UnicodeSegmentation;

use crate::ByteRange;

/// Abbreviations after which a period never ends a sentence (compared case-sensitively, with the
/// first letter also tried in uppercase).
const ABBREVIATIONS: &[&str] = &[
    "Dr", "Mr", "Mrs", "Ms", "Mx", "Prof", "St", "Sr", "Rev", "Gen", "Col", "Capt", "Lt", "Sgt",
    "Hon", "Gov", "Sen", "Rep", "p", "pp", "vol", "vols", "chap", "ch", "para", "fig", "figs",
    "cf", "vs", "viz", "al", "approx", "ca", "eds", "trans", "repr", "esp", "incl", "Inc", "Ltd",
    "Corp", "nn", "ff", "op", "cit", "ibid",
];

/// Abbreviations that never end a sentence when a number follows (`No. 5`).
const NUMBER_ABBREVIATIONS: &[&str] = &[
    "No", "no", "Nos", "nos", "art", "sec", "n", "ed", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul",
    "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
];

/// Splits `region` of `text` into sentences, as trimmed, non-empty byte ranges in order.
pub fn split_sentences(text: &str, region: ByteRange) -> Vec<ByteRange> {
    let Some(slice) = text.get(region.clone()) else {
        return Vec::new();
    };
    let base = region.start;
    let protected = protected_spans(slice);
    // UAX #29 boundaries (where the next sentence starts), ascending; computed with bracketed
    // citations blanked, since `end. [@a] Next` is a boundary for ibid (the citation belongs to
    // the sentence before) but UAX #29 reads `[@a` as the lowercase start of the same sentence.
    let mut bytes = slice.as_bytes().to_vec();
    for span in &protected {
        if slice
            .get(span.clone())
            .is_some_and(|s| s.starts_with('[') && s.contains('@'))
            && let Some(citation) = bytes.get_mut(span.clone())
        {
            citation.fill(b' ');
        }
    }
    // Whole chars were blanked (spans lie on char boundaries), so this cannot fail.
    let blanked = String::from_utf8(bytes).unwrap_or_else(|_| slice.to_string());
    let unicode: Vec<usize> = blanked
        .split_sentence_bound_indices()
        .map(|(offset, _)| offset)
        .filter(|&offset| offset > 0)
        .collect();
    // Whether UAX #29 also breaks between the terminal punctuation at `at` and `next_start`.
    let unicode_agrees = |at: usize, next_start: usize| {
        let first = unicode.partition_point(|&b| b <= at);
        unicode.get(first).is_some_and(|&b| b <= next_start)
    };
    let chars: Vec<(usize, char)> = slice.char_indices().collect();
    let mut sentences = Vec::new();
    let mut sentence_start = 0;
    let mut index = 0;
    while index < chars.len() {
        let (_, ch) = chars[index];
        let split = match ch {
            '.' | '?' | '!' | '‽' => western_boundary(slice, &chars, index, &protected),
            '。' | '！' | '？' | '｡' => cjk_boundary(slice, &chars, index, &protected),
            _ => None,
        };
        let offset = chars.get(index).map_or(0, |c| c.0);
        match split {
            Some((end, next_start))
                if end > sentence_start
                    && (ch_is_cjk(&chars, index) || unicode_agrees(offset, next_start)) =>
            {
                push_trimmed(&mut sentences, slice, sentence_start..end, base);
                sentence_start = next_start;
                index = chars.partition_point(|(o, _)| *o < next_start);
            }
            _ => index += 1,
        }
    }
    push_trimmed(&mut sentences, slice, sentence_start..slice.len(), base);
    sentences
}

/// CJK full stops follow their own rule (UAX #29 keeps `。“` together).
fn ch_is_cjk(chars: &[(usize, char)], index: usize) -> bool {
    chars
        .get(index)
        .is_some_and(|c| matches!(c.1, '。' | '！' | '？' | '｡'))
}

fn push_trimmed(sentences: &mut Vec<ByteRange>, slice: &str, range: ByteRange, base: usize) {
    let Some(part) = slice.get(range.clone()) else {
        return;
    };
    let leading = part.len() - part.trim_start().len();
    let trimmed = part.trim();
    if !trimmed.is_empty() {
        let start = base + range.start + leading;
        sentences.push(start..start + trimmed.len());
    }
}

/// A stretch where no sentence may end (strictly inside it).
/// Whether `at` is strictly inside one of `protected` (sorted, disjoint: see `protected_spans`).
/// A binary search: a one-line paragraph may hold thousands of quotations.
fn inside(protected: &[ByteRange], at: usize) -> bool {
    let after = protected.partition_point(|span| span.start < at);
    after
        .checked_sub(1)
        .and_then(|i| protected.get(i))
        .is_some_and(|span| at < span.end)
}

fn is_closing(ch: char) -> bool {
    matches!(
        ch,
        '"' | '\'' | '”' | '’' | '“' | '‘' | ')' | ']' | '»' | '」' | '』' | '）' | '*' | '_'
    )
}

fn can_start_sentence(ch: char) -> bool {
    ch.is_uppercase()
        || ch.is_numeric()
        || (ch.is_alphabetic() && !ch.is_lowercase())
        || matches!(
            ch,
            '"' | '“' | '‘' | '\'' | '«' | '「' | '『' | '[' | '(' | '¿' | '¡' | '@'
        )
}

/// For the terminal punctuation at `chars[index]`: the end of the sentence and the start of the
/// next one, when this is a sentence boundary.
fn western_boundary(
    slice: &str,
    chars: &[(usize, char)],
    index: usize,
    protected: &[ByteRange],
) -> Option<(usize, usize)> {
    let (offset, ch) = chars[index];
    let prev = index.checked_sub(1).map(|i| chars[i].1);
    let next = chars.get(index + 1).map(|c| c.1);
    if ch == '.' && (prev == Some('.') || next == Some('.')) {
        return None; // an ellipsis `...` inside a sentence
    }
    if ch == '.' && is_abbreviation(slice, offset) {
        return None;
    }
    // More terminal punctuation (`?!`), then closing quotes and brackets.
    let mut cursor = index + 1;
    while chars
        .get(cursor)
        .is_some_and(|c| matches!(c.1, '?' | '!' | '‽'))
    {
        cursor += 1;
    }
    loop {
        if chars.get(cursor).is_some_and(|c| is_closing(c.1)) {
            cursor += 1;
        } else if chars
            .get(cursor)
            .is_some_and(|c| matches!(c.1, ' ' | '\u{a0}' | '\u{202f}'))
            && chars.get(cursor + 1).is_some_and(|c| c.1 == '»')
        {
            cursor += 2; // French spacing: `Non. »`
        } else {
            break;
        }
    }
    let mut end = chars.get(cursor).map_or(slice.len(), |c| c.0);
    if inside(protected, end) {
        return None;
    }
    let mut next_start = skip_whitespace(slice, end);
    let mut spaced = next_start > end;
    // Citations directly after the punctuation belong to this sentence.
    while let Some(close) = citation_at(slice, next_start, protected) {
        end = close;
        next_start = skip_whitespace(slice, close);
        spaced = next_start > close;
    }
    if !spaced || next_start >= slice.len() {
        return None;
    }
    let following = slice[next_start..].chars().next()?;
    if !can_start_sentence(following) {
        return None;
    }
    if ch == '.' && following.is_numeric() && is_number_abbreviation(slice, offset) {
        return None;
    }
    Some((end, next_start))
}

fn cjk_boundary(
    slice: &str,
    chars: &[(usize, char)],
    index: usize,
    protected: &[ByteRange],
) -> Option<(usize, usize)> {
    let mut cursor = index + 1;
    while chars.get(cursor).is_some_and(|c| {
        matches!(c.1, '。' | '！' | '？' | '｡') || (is_closing(c.1) && !matches!(c.1, '“' | '‘'))
    }) {
        cursor += 1;
    }
    let mut end = chars.get(cursor).map_or(slice.len(), |c| c.0);
    if inside(protected, end) {
        return None;
    }
    let mut next_start = skip_whitespace(slice, end);
    while let Some(close) = citation_at(slice, next_start, protected) {
        end = close;
        next_start = skip_whitespace(slice, close);
    }
    if next_start >= slice.len() {
        return None;
    }
    Some((end, next_start))
}

fn skip_whitespace(slice: &str, from: usize) -> usize {
    let rest = slice.get(from..).unwrap_or("");
    from + (rest.len() - rest.trim_start().len())
}

/// When a bracketed citation (`[…@…]`) opens at `at`: the offset after its `]`.
fn citation_at(slice: &str, at: usize, protected: &[ByteRange]) -> Option<usize> {
    if !slice.get(at..)?.starts_with('[') {
        return None;
    }
    // `protected` is sorted and disjoint (`protected_spans`).
    let span = protected.get(protected.partition_point(|span| span.start < at))?;
    if span.start != at {
        return None;
    }
    let inner = slice.get(at + 1..span.end.saturating_sub(1))?;
    inner.contains('@').then_some(span.end)
}

/// The longest word `word_before` reads: no abbreviation is longer, and a run of letters and
/// periods read whole at each period (`e.g.e.g.…`) cost O(n²).
const MAX_WORD_BEFORE: usize = 32;

/// The word (letters and inner periods) ending right before the period at `offset`; empty when
/// it is longer than `MAX_WORD_BEFORE` chars.
fn word_before(slice: &str, offset: usize) -> &str {
    let Some(before) = slice.get(..offset) else {
        return "";
    };
    let mut start = offset;
    for (count, (i, c)) in before.char_indices().rev().enumerate() {
        if !(c.is_alphabetic() || c == '.') {
            break;
        }
        if count == MAX_WORD_BEFORE {
            return "";
        }
        start = i;
    }
    before.get(start..).unwrap_or("").trim_start_matches('.')
}

fn is_abbreviation(slice: &str, offset: usize) -> bool {
    let word = word_before(slice, offset);
    if word.is_empty() {
        return false;
    }
    // A single initial: `J.` (uppercase) — or one letter of a dotted initialism.
    let mut letters = word.chars();
    if let (Some(first), None) = (letters.next(), letters.next())
        && first.is_uppercase()
    {
        return true;
    }
    // Dotted initialisms: `U.S`, `e.g`, `i.e`, `a.m`, `Ph.D`.
    if word.contains('.') {
        return word.split('.').all(|part| {
            let count = part.chars().count();
            (1..=2).contains(&count) && part.chars().all(char::is_alphabetic)
        });
    }
    let mut first_lowered = String::with_capacity(word.len());
    let mut word_chars = word.chars();
    first_lowered.extend(word_chars.next().into_iter().flat_map(char::to_lowercase));
    first_lowered.push_str(word_chars.as_str());
    ABBREVIATIONS.contains(&word) || ABBREVIATIONS.contains(&first_lowered.as_str())
}

fn is_number_abbreviation(slice: &str, offset: usize) -> bool {
    NUMBER_ABBREVIATIONS.contains(&word_before(slice, offset))
}

/// Quotation and bracket spans: no sentence ends strictly inside them.
fn protected_spans(slice: &str) -> Vec<ByteRange> {
    let mut spans = Vec::new();
    let mut brackets: Vec<usize> = Vec::new();
    let mut curly: Vec<(char, usize)> = Vec::new();
    // How many of each opening mark `curly` holds.
    let mut curly_open: foldhash::HashMap<char, usize> = foldhash::HashMap::default();
    let mut straight: Option<usize> = None;
    let mut prev: Option<char> = None;
    let mut single: Option<usize> = None;
    let mut chars = slice.char_indices().peekable();
    while let Some((offset, ch)) = chars.next() {
        let next = chars.peek().map(|(_, c)| *c);
        match ch {
            // `‘…’` at the top level; a `’` before a letter is an apostrophe (`don’t`).
            '‘' if prev.is_none_or(|p| !p.is_alphanumeric()) => single = Some(offset),
            '’' if next.is_none_or(|n| !n.is_alphanumeric()) => {
                if let Some(open) = single.take() {
                    spans.push(open..offset + ch.len_utf8());
                }
            }
            '[' => brackets.push(offset),
            ']' => {
                if let Some(open) = brackets.pop() {
                    spans.push(open..offset + 1);
                }
            }
            // German „…“: a `“` closes an open `„`, else it opens.
            '“' if curly.last().is_some_and(|(c, _)| *c == '„') => {
                if let Some((opener, open)) = curly.pop() {
                    if let Some(count) = curly_open.get_mut(&opener) {
                        *count -= 1;
                    }
                    spans.push(open..offset + ch.len_utf8());
                }
            }
            '“' | '„' | '«' | '「' | '『' => {
                curly.push((ch, offset));
                *curly_open.entry(ch).or_insert(0) += 1;
            }
            '”' | '»' | '」' | '』' => {
                let opener = match ch {
                    '”' => '“',
                    '»' => '«',
                    '」' => '「',
                    _ => '『',
                };
                // Searched only when one is open: a run of closers that match nothing would
                // otherwise scan the whole stack each (O(n²)).
                let open_ones = curly_open.entry(opener).or_insert(0);
                if *open_ones > 0
                    && let Some(position) = curly.iter().rposition(|(c, _)| *c == opener)
                {
                    let (_, open) = curly[position];
                    for (closed, _) in curly.drain(position..) {
                        if let Some(count) = curly_open.get_mut(&closed) {
                            *count -= 1;
                        }
                    }
                    spans.push(open..offset + ch.len_utf8());
                }
            }
            '"' => {
                let after_space = prev.is_none_or(char::is_whitespace);
                let opening_context = after_space
                    || prev.is_some_and(|p| {
                        matches!(p, '(' | '[' | '{' | '—' | '–' | '-' | '/' | '“' | '‘')
                    });
                match straight {
                    // A quote mark after a space while one is open: the earlier one was stray.
                    Some(_) if after_space => straight = Some(offset),
                    Some(open) => {
                        spans.push(open..offset + 1);
                        straight = None;
                    }
                    None if opening_context => straight = Some(offset),
                    None => {}
                }
            }
            _ => {}
        }
        prev = Some(ch);
    }
    // Overlapping spans (a quotation inside brackets...) merged, so that a point's span is found
    // by binary search. Spans that only touch stay apart: the point where they meet is strictly
    // inside neither.
    crate::merge_overlapping(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        split_sentences(text, 0..text.len())
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn splits_on_terminal_punctuation_before_a_capital() {
        assert_eq!(
            split("One thing. Two things! Three? 4 is a number."),
            vec!["One thing.", "Two things!", "Three?", "4 is a number."]
        );
    }

    #[test]
    fn does_not_split_before_lowercase_or_without_space() {
        assert_eq!(
            split("Version 3.5 is out. and more"),
            vec!["Version 3.5 is out. and more"]
        );
    }

    #[test]
    fn abbreviations_and_initials_do_not_end_sentences() {
        assert_eq!(
            split(
                "The U.S. Senate met Dr. Smith and J. R. Doe, e.g. Alice (see p. 5 and vol. 2). No. 7 won. Done."
            ),
            vec![
                "The U.S. Senate met Dr. Smith and J. R. Doe, e.g. Alice (see p. 5 and vol. 2).",
                "No. 7 won.",
                "Done."
            ]
        );
    }

    #[test]
    fn quotes_ending_in_a_period_and_citations_after_the_period() {
        assert_eq!(
            split(
                r#"She wrote "it ends. Here it goes on." Next one. [@a] Then "a final word." [@b, p. 3] Last."#
            ),
            vec![
                r#"She wrote "it ends. Here it goes on.""#,
                "Next one. [@a]",
                r#"Then "a final word." [@b, p. 3]"#,
                "Last."
            ]
        );
    }

    #[test]
    fn no_split_inside_brackets() {
        assert_eq!(
            split("See [@a, p. 5. Also @b] here. Yes."),
            vec!["See [@a, p. 5. Also @b] here.", "Yes."]
        );
    }

    #[test]
    fn cjk_sentences() {
        assert_eq!(
            split("这是第一句。这是第二句！对吗？"),
            vec!["这是第一句。", "这是第二句！", "对吗？"]
        );
        assert_eq!(
            split("他说完了。“下一句。”"),
            vec!["他说完了。", "“下一句。”"]
        );
    }

    #[test]
    fn curly_quotes_and_opening_quote_starts_sentence() {
        assert_eq!(
            split("He said “Stop. Now.” “Why?” she asked."),
            vec!["He said “Stop. Now.”", "“Why?” she asked."]
        );
    }

    #[test]
    fn german_and_french_quotes_protect_their_sentences() {
        assert_eq!(
            split("Er sagte „Nein. Nie.“ Dann ging er. Elle dit « Oui. Non. » Puis rien."),
            vec![
                "Er sagte „Nein. Nie.“",
                "Dann ging er.",
                "Elle dit « Oui. Non. »",
                "Puis rien."
            ]
        );
    }

    #[test]
    fn curly_single_quotes_protect_but_apostrophes_do_not() {
        assert_eq!(
            split("She said ‘Go. Now.’ It’s late. Don’t wait."),
            vec!["She said ‘Go. Now.’", "It’s late.", "Don’t wait."]
        );
    }

    #[test]
    fn etc_ends_a_sentence_before_a_capital() {
        assert_eq!(
            split("Apples, pears, etc. The end."),
            vec!["Apples, pears, etc.", "The end."]
        );
    }

    #[test]
    fn region_offsets_are_absolute() {
        let text = "xx A b. C d. yy";
        assert_eq!(split_sentences(text, 3..12), vec![3..7, 8..12]);
    }
}

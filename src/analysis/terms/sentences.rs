//! Rule-based sentence splitting of clean text (whitespace already collapsed to single spaces).
//!
//! A sentence ends at `.`, `?` or `!` (plus any closing quotes or brackets) followed by a space and
//! a capital letter, a digit or an opening quote or bracket, unless the word before the full stop
//! is a known abbreviation (`U.S.`, `e.g.`, `Dr.`, `No.`...) or a single initial (`J.`). CJK full
//! stops (`。！？`) end a sentence on their own, and so does a paragraph break of the clean text,
//! unless the text goes on in lowercase or the break follows a comma or semicolon (a sentence that
//! a PDF page or column break cut in two).
//! Ranges are byte ranges of the input, trimmed of surrounding spaces; no range is empty.

use crate::ByteRange;

/// Words that end with a full stop without ending the sentence (compared lowercase, with the
/// final `.`).
const ABBREVIATIONS: &[&str] = &[
    "u.s.", "u.k.", "u.n.", "e.u.", "e.g.", "i.e.", "dr.", "mr.", "mrs.", "ms.", "prof.", "no.",
    "nos.", "p.", "pp.", "fig.", "figs.", "vs.", "etc.", "cf.", "st.", "jr.", "sr.", "vol.", "ed.",
    "eds.", "al.", "approx.", "gen.", "gov.", "sen.", "rep.", "inc.", "ltd.", "co.", "corp.",
    "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.", "sept.", "oct.", "nov.",
    "dec.", "art.", "ch.", "sec.",
];

/// Chars that may follow a terminator and still belong to the sentence it ends.
fn is_closing(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | ')' | ']' | '»' | '」' | '』')
}

/// Chars that may open the next sentence besides capitals and digits.
fn is_opening(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '“' | '‘' | '(' | '[' | '«' | '「' | '『' | '¿' | '¡'
    )
}

fn is_cjk_terminator(c: char) -> bool {
    matches!(c, '。' | '！' | '？')
}

/// Where sentences end in `text` by their punctuation: after a terminator (and the terminators
/// and closing marks right after it) followed by a space and a capital, a digit or an opening
/// mark, unless it is an abbreviation's full stop; after a CJK terminator (and what closes right
/// after it). Only the bytes that may start a terminator are looked at.
fn sentence_ends(text: &str) -> Vec<usize> {
    let mut cuts: Vec<usize> = Vec::new();
    let bytes = text.as_bytes();
    let char_at = |at: usize| text.get(at..).and_then(|rest| rest.chars().next());
    // `.`, `?`, `!`, and the first bytes of `。` (E3) and of `！`, `？` (EF): two vectorised
    // searches, the second one's answer kept while it lies ahead (most texts have few or none).
    let mut wide: Option<Option<usize>> = None;
    let mut at = 0;
    while let Some(rest) = bytes.get(at..) {
        let narrow = memchr::memchr3(b'.', b'?', b'!', rest).map(|i| at + i);
        if wide.is_none_or(|next| next.is_some_and(|next| next < at)) {
            wide = Some(memchr::memchr2(0xE3, 0xEF, rest).map(|i| at + i));
        }
        let Some(i) = [narrow, wide.flatten()].into_iter().flatten().min() else {
            break;
        };
        let Some(c) = char_at(i) else {
            break;
        };
        at = i + c.len_utf8();
        if is_cjk_terminator(c) {
            let mut end = at;
            while let Some(next) = char_at(end).filter(|&n| is_closing(n) || is_cjk_terminator(n)) {
                end += next.len_utf8();
            }
            at = end;
            cuts.push(end);
            continue;
        }
        if !matches!(c, '.' | '?' | '!') {
            continue;
        }
        let mut end = at;
        while let Some(next) =
            char_at(end).filter(|&n| matches!(n, '.' | '?' | '!') || is_closing(n))
        {
            end += next.len_utf8();
        }
        at = end;
        if bytes.get(end) != Some(&b' ') {
            continue;
        }
        let Some(next) = char_at(end + 1) else {
            continue;
        };
        if !(next.is_uppercase() || next.is_ascii_digit() || is_opening(next)) {
            continue;
        }
        if c == '.' && end == i + 1 && is_abbreviation(text, i) {
            continue;
        }
        cuts.push(end);
    }
    cuts
}

/// Splits `text` into sentences.
pub fn split_sentences(text: &str) -> Vec<ByteRange> {
    split_sentences_with_breaks(text, &[])
}

/// Splits `text` into sentences, also cutting at each offset of `breaks` (sorted offsets of
/// paragraph-break separators, as in `MappedText::breaks`).
pub fn split_sentences_with_breaks(text: &str, breaks: &[u32]) -> Vec<ByteRange> {
    let mut cuts = sentence_ends(text);
    let furniture = page_furniture(text, breaks);
    let bridged = |b: usize| furniture.iter().any(|f| f.start == b + 1 || f.end == b);
    cuts.extend(
        breaks
            .iter()
            .map(|&b| b as usize)
            .filter(|&b| b <= text.len() && !continues_after_break(text, b) && !bridged(b)),
    );
    cuts.sort_unstable();
    cuts.dedup();

    let mut sentences = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain(std::iter::once(text.len())) {
        if cut < start {
            continue;
        }
        if let Some(range) = trimmed(text, start..cut) {
            sentences.push(range);
        }
        start = cut;
    }
    sentences
}

/// Splits `text` into sentences as `split_sentences_with_breaks` does, and also at line breaks
/// (`lines`: sorted offsets of separators that stand for a line break in the original) that end
/// a line standing alone as a heading: the line starts a sentence, `is_heading` holds for it,
/// and the next line starts with a capital, a digit or an opening quote. Hard-wrapped prose is
/// not cut: its lines do not start sentences or read as headings.
pub fn split_sentences_at_lines(
    text: &str,
    breaks: &[u32],
    lines: &[u32],
    is_heading: impl Fn(ByteRange) -> bool,
) -> Vec<ByteRange> {
    let sentences = split_sentences_with_breaks(text, breaks);
    let starts_line = |at: usize| {
        at == 0
            || text
                .get(..at)
                .and_then(|before| before.len().checked_sub(1))
                .is_some_and(|separator| {
                    let separator = separator as u32;
                    lines.binary_search(&separator).is_ok()
                        || breaks.binary_search(&separator).is_ok()
                })
    };
    let mut result = Vec::with_capacity(sentences.len());
    for sentence in sentences {
        let mut start = sentence.start;
        let first_line = lines.partition_point(|&l| (l as usize) <= start);
        for &line in lines.get(first_line..).unwrap_or(&[]) {
            let line = line as usize;
            if line >= sentence.end {
                break;
            }
            let next_starts = text
                .get(line + 1..)
                .and_then(|rest| rest.chars().next())
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || is_opening(c));
            if next_starts
                && starts_line(start)
                && let Some(head) = trimmed(text, start..line)
                && is_heading(head.clone())
            {
                result.push(head);
                start = line + 1;
            }
        }
        if let Some(rest) = trimmed(text, start..sentence.end) {
            result.push(rest);
        }
    }
    result
}

/// Page furniture that a PDF page break put inside a sentence: paragraphs (between two breaks)
/// of at most eight words with a digit (`Winter 2024, No.25 70`) that do not end like a sentence,
/// where the text before does not end a sentence and the text after starts in lowercase. The
/// sentence runs across them; `text_without` leaves them out of its text.
pub fn page_furniture(text: &str, breaks: &[u32]) -> Vec<ByteRange> {
    let mut furniture = Vec::new();
    for pair in breaks.windows(2) {
        let (before, after) = (pair[0] as usize, pair[1] as usize);
        let Some(paragraph) = trimmed(text, before + 1..after) else {
            continue;
        };
        let Some(words) = text.get(paragraph.clone()) else {
            continue;
        };
        // At most eight words (read no further: most paragraphs are prose).
        let short = words.split(' ').nth(8).is_none();
        if !short {
            continue;
        }
        let has_digit = words.bytes().any(|b| b.is_ascii_digit());
        let ends = |t: &str| {
            t.trim_end_matches(is_closing)
                .ends_with(['.', '?', '!', '。', '！', '？', ':'])
        };
        let open_before = text.get(..before).is_some_and(|t| {
            let t = t.trim_end();
            !t.is_empty() && !ends(t)
        });
        let goes_on_after = text
            .get(after..)
            .unwrap_or("")
            .trim_start()
            .chars()
            .find(|c| !is_opening(*c))
            .is_some_and(char::is_lowercase);
        if has_digit && !ends(words) && open_before && goes_on_after {
            furniture.push(before + 1..after);
        }
    }
    furniture
}

/// The text of `range` with the `gaps` inside it left out (each gap and the spaces around it
/// become one space).
pub fn text_without(text: &str, range: ByteRange, gaps: &[ByteRange]) -> String {
    let mut pieces = Vec::new();
    let mut start = range.start;
    for gap in gaps {
        if gap.start >= range.end {
            break;
        }
        if gap.end <= start {
            continue;
        }
        pieces.push(start..gap.start.max(start));
        start = gap.end;
    }
    pieces.push(start..range.end.max(start));
    pieces
        .into_iter()
        .filter_map(|piece| text.get(piece))
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words that cannot end a sentence.
const DANGLING_WORDS: &[&str] = &[
    "the", "a", "an", "of", "and", "or", "but", "to", "in", "on", "for", "with", "by", "at",
    "from", "as", "that", "which", "its", "their", "our", "his", "her",
];

/// Whether the sentence goes on across the paragraph break at `at`: the next word starts in
/// lowercase (opening quotes and brackets skipped), or the text before ends with `,` or `;` or
/// a word that cannot end a sentence (`the`, `of`...).
fn continues_after_break(text: &str, at: usize) -> bool {
    let before = text.get(..at).unwrap_or("").trim_end();
    if before.ends_with([',', ';']) {
        return true;
    }
    let last_word = before.rsplit(' ').next().unwrap_or("");
    if DANGLING_WORDS.contains(&last_word) {
        return true;
    }
    let after = text.get(at..).unwrap_or("").trim_start();
    after
        .chars()
        .find(|c| !is_opening(*c))
        .is_some_and(char::is_lowercase)
}

/// Whether the word whose full stop is at `dot` is an abbreviation or an initial.
fn is_abbreviation(text: &str, dot: usize) -> bool {
    let Some(before) = text.get(..dot) else {
        return false;
    };
    let word_start = before
        .rfind(|c: char| c.is_whitespace() || is_opening(c))
        .map_or(0, |p| {
            p + before[p..].chars().next().map_or(1, char::len_utf8)
        });
    let Some(word) = text.get(word_start..dot + 1) else {
        return false;
    };
    let mut letters = word.chars().filter(|c| *c != '.');
    if let (Some(first), None) = (letters.next(), letters.next())
        && first.is_uppercase()
    {
        return true;
    }
    if word.is_ascii() {
        // Most words before a full stop: compared as they are, with no lowercase copy (every
        // abbreviation is ASCII, and lowercasing ASCII keeps its length).
        return ABBREVIATIONS
            .iter()
            .any(|abbreviation| abbreviation.eq_ignore_ascii_case(word));
    }
    let lower = word.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
}

/// `range` without leading and trailing whitespace, or `None` when nothing is left.
fn trimmed(text: &str, range: ByteRange) -> Option<ByteRange> {
    let slice = text.get(range.clone())?;
    let start = range.start + (slice.len() - slice.trim_start().len());
    let end = range.end - (slice.len() - slice.trim_end().len());
    (start < end).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sentence_ends` as it was written first, char by char: the reference it is checked
    /// against.
    fn sentence_ends_by_chars(text: &str) -> Vec<usize> {
        let mut cuts: Vec<usize> = Vec::new();
        let bytes = text.as_bytes();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if is_cjk_terminator(c) {
                let mut end = i + c.len_utf8();
                while let Some(&(j, next)) = chars.peek() {
                    if is_closing(next) || is_cjk_terminator(next) {
                        end = j + next.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                cuts.push(end);
                continue;
            }
            if !matches!(c, '.' | '?' | '!') {
                continue;
            }
            let mut end = i + 1;
            while let Some(&(j, next)) = chars.peek() {
                if matches!(next, '.' | '?' | '!') || is_closing(next) {
                    end = j + next.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            if bytes.get(end) != Some(&b' ') {
                continue;
            }
            let Some(next) = text.get(end + 1..).and_then(|rest| rest.chars().next()) else {
                continue;
            };
            if !(next.is_uppercase() || next.is_ascii_digit() || is_opening(next)) {
                continue;
            }
            if c == '.' && end == i + 1 && is_abbreviation(text, i) {
                continue;
            }
            cuts.push(end);
        }
        cuts
    }

    /// A piece of a text for the sentence splitters: words (capitalised or not, abbreviations
    /// among them), digits, single spaces, and each terminator, closing or opening mark (ASCII
    /// or not), so that `. X` and its variants come up often. (A regex of one-char alternatives
    /// made a cut before a space in 7 texts of 256: the CJK terminators took most cuts.)
    fn text_piece() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        const MARKS: [&str; 14] = [
            ".", ".", "?", "!", "'", "\"", ")", "”", "“", "。", "！", "？", "」", "「",
        ];
        const WORDS: [&str; 8] = ["word", "Word", "Mr", "e.g", "U.S", "é", "Élan", "1990"];
        prop_oneof![
            4 => Just(" ".to_string()),
            4 => proptest::sample::select(&WORDS[..]).prop_map(str::to_string),
            4 => proptest::sample::select(&MARKS[..]).prop_map(str::to_string),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        #[test]
        fn sentence_ends_read_only_terminators_as_the_char_loop_did(
            pieces in proptest::collection::vec(text_piece(), 0..40),
        ) {
            let text = pieces.concat();
            proptest::prop_assert_eq!(sentence_ends(&text), sentence_ends_by_chars(&text));
        }
    }

    fn split(text: &str) -> Vec<&str> {
        split_sentences(text)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn splits_on_terminators_before_capitals() {
        assert_eq!(
            split("The bridge opened. Traffic rose! Did it last? Nobody knows."),
            [
                "The bridge opened.",
                "Traffic rose!",
                "Did it last?",
                "Nobody knows."
            ]
        );
    }

    #[test]
    fn needs_a_capital_digit_or_quote_after() {
        assert_eq!(
            split("It cost 4.5 million. and more"),
            ["It cost 4.5 million. and more"]
        );
        assert_eq!(
            split("Prices fell. 2019 was worse. \"Never again,\" she said."),
            [
                "Prices fell.",
                "2019 was worse.",
                "\"Never again,\" she said."
            ]
        );
    }

    #[test]
    fn closing_quotes_stay_with_their_sentence() {
        assert_eq!(
            split("He called it “a new dawn.” Critics disagreed."),
            ["He called it “a new dawn.”", "Critics disagreed."]
        );
        assert_eq!(
            split("(See above.) Then go on."),
            ["(See above.)", "Then go on."]
        );
    }

    #[test]
    fn abbreviations_and_initials_do_not_split() {
        assert_eq!(
            split(
                "The U.S. Senate met Dr. Lee and Mrs. Park, e.g. on Monday. See Fig. 3 and pp. 4 too."
            ),
            [
                "The U.S. Senate met Dr. Lee and Mrs. Park, e.g. on Monday.",
                "See Fig. 3 and pp. 4 too."
            ]
        );
        assert_eq!(
            split("A report by J. R. Smith vs. No. 5 Street. Next one."),
            ["A report by J. R. Smith vs. No. 5 Street.", "Next one."]
        );
    }

    #[test]
    fn cjk_full_stop_splits_without_space() {
        assert_eq!(split("第一句。第二句。"), ["第一句。", "第二句。"]);
    }

    #[test]
    fn paragraph_breaks_cut_headings_off() {
        let text = "A Heading Without Stop The body starts here. It goes on.";
        let at = text.find(" The").unwrap() as u32;
        let got: Vec<&str> = split_sentences_with_breaks(text, &[at])
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(
            got,
            [
                "A Heading Without Stop",
                "The body starts here.",
                "It goes on."
            ]
        );
    }

    #[test]
    fn a_sentence_cut_by_page_breaks_stays_whole() {
        let text =
            "They call it the \"river pact. A treaty, signed late, binds them all\" today. Next.";
        let breaks = [
            text.find(" A treaty").unwrap() as u32,
            text.find(" binds").unwrap() as u32,
        ];
        let quote_break = text.find(" \"river").unwrap() as u32;
        let got: Vec<&str> = split_sentences_with_breaks(text, &[quote_break, breaks[1]])
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(
            got,
            [
                "They call it the \"river pact.",
                "A treaty, signed late, binds them all\" today.",
                "Next."
            ]
        );
        // A break before a capital still cuts.
        let got = split_sentences_with_breaks(text, &[breaks[0]]);
        assert_eq!(got.len(), 3);
        // Not after a word that cannot end a sentence.
        let text = "Both towns signed the Tuva Accord.";
        let at = text.find(" Tuva").unwrap() as u32;
        assert_eq!(
            split_sentences_with_breaks(text, &[at]),
            vec![0..text.len()]
        );
    }

    #[test]
    fn a_heading_line_is_cut_off_but_wrapped_prose_is_not() {
        let text = "River Towns Today The Delta Compact binds four states. The Lower Delta Water Council meets in spring.";
        let line = |word: &str| text.find(word).unwrap() as u32 - 1;
        let lines = [line("The Delta"), line("Water Council")];
        let title_case = |r: ByteRange| {
            text[r]
                .split(' ')
                .all(|w| w.starts_with(char::is_uppercase))
        };
        let got: Vec<&str> = split_sentences_at_lines(text, &[], &lines, title_case)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(
            got,
            [
                "River Towns Today",
                "The Delta Compact binds four states.",
                "The Lower Delta Water Council meets in spring."
            ]
        );
    }

    #[test]
    fn a_sentence_runs_across_a_page_footer() {
        let text = "Both towns signed. They agreed on both Spring 2021, No.4 17 water and grain rules. Page 3 Next.";
        let at = |s: &str| text.find(s).unwrap() as u32 - 1;
        let breaks = [at("Spring"), at("water"), at("Page"), at("Next")];
        let sentences: Vec<&str> = split_sentences_with_breaks(text, &breaks)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(
            sentences,
            [
                "Both towns signed.",
                "They agreed on both Spring 2021, No.4 17 water and grain rules.",
                "Page 3",
                "Next."
            ]
        );
        let furniture = page_furniture(text, &breaks);
        assert_eq!(
            furniture
                .iter()
                .map(|f| &text[f.clone()])
                .collect::<Vec<_>>(),
            ["Spring 2021, No.4 17"]
        );
        let sentence = text.find("They").unwrap()..text.find(" Page").unwrap();
        assert_eq!(
            text_without(text, sentence, &furniture),
            "They agreed on both water and grain rules."
        );
    }

    #[test]
    fn ranges_are_trimmed_and_never_empty() {
        let text = " One. Two.  ";
        assert_eq!(split_sentences(text), vec![1..5, 6..10]);
        assert!(split_sentences("   ").is_empty());
        assert!(split_sentences("").is_empty());
    }
}

//! Normalisation with an offset map. Two projections of a text, each mapping every byte back to a
//! byte range of the original:
//!
//! - `clean_text`: Markdown markup stripped (for `.md` sources), NFKC, whitespace runs (including
//!   non-breaking spaces and blank lines) collapsed to one space, line-end hyphenation joined; case
//!   and punctuation kept.
//! - the matching key (`normalize_key`, `key_of_clean`): lowercase words of alphanumeric chars
//!   separated by single spaces. Quote marks, apostrophes, hyphens, and `.`/`,` between two
//!   alphanumerics are deleted (`China's` → `chinas`, `people-to-people` → `peopletopeople`,
//!   `U.S.` → `us`, `4.2` → `42`); every other non-alphanumeric char separates words. No leading
//!   or trailing space.
//!
//! The clean projection runs in three streaming stages: the original's chars minus markup edits
//! (`markup`), NFKC applied segment by segment (a segment is a char that cannot combine with
//! what precedes it, plus the chars that can), then whitespace collapsing and hyphenation joining.
//! A compatibility character that NFKC expands to several words (`½` → `1⁄2`) maps as a unit.

mod mapped;

use std::ops::Range;

use unicode_normalization::char::{canonical_combining_class, is_combining_mark};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

pub(crate) use mapped::EncodedMap;
pub use mapped::{CharOrigins, MappedText};

use super::SourceFormat;
use super::ascii;
use super::markup::{Edit, Replacement, markup_edits};
use mapped::MappedBuilder;

/// The clean projection of a source (see the module comment). A YAML frontmatter block at the top
/// is left out (for Markdown always; for plain text when its YAML is a mapping).
pub fn clean_text(original: &str, format: SourceFormat) -> MappedText {
    let mut edits = Vec::new();
    if let Some(frontmatter) = crate::workspace::frontmatter::parse_frontmatter(original) {
        let is_mapping = matches!(frontmatter.yaml, Some(yaml_rust2::Yaml::Hash(_)));
        if format == SourceFormat::Markdown || is_mapping {
            edits.push(Edit {
                range: frontmatter.range,
                with: Replacement::Nothing,
            });
        }
    }
    if format == SourceFormat::Markdown {
        let body_start = edits.first().map_or(0, |e| e.range.end);
        let body = original.get(body_start..).unwrap_or("");
        edits.extend(markup_edits(body).into_iter().map(|mut edit| {
            edit.range = edit.range.start + body_start..edit.range.end + body_start;
            edit
        }));
    }
    clean_with_edits(original, &edits)
}

/// The matching key of a clean text, mapped to the clean text's original.
pub fn key_of_clean(clean: &MappedText) -> MappedText {
    key_of_clean_with(clean, Speed::Fast)
}

/// Whether the stages copy runs of plain ASCII at once (always, but for tests that compare with
/// going char by char).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Speed {
    Fast,
    #[cfg(test)]
    CharByChar,
}

fn key_of_clean_with(clean: &MappedText, speed: Speed) -> MappedText {
    let text = clean.text.as_str();
    let mut builder = MappedBuilder::with_capacity(text.len());
    let mut breaks = clean.breaks.iter().map(|&b| b as usize).peekable();
    let mut chars = clean.char_origins();
    let mut previous: Option<char> = None;
    // The pending separator run: its original range and whether it holds a paragraph break.
    let mut separator: Option<(Range<usize>, bool)> = None;
    let mut in_word = false;
    let mut lowered = String::new();
    while let Some((offset, c, orig)) = chars.next() {
        let after = offset + c.len_utf8();
        let next = text.get(after..).and_then(|rest| rest.chars().next());
        if is_deleted_in_key(c)
            || (matches!(c, '.' | ',')
                && previous.is_some_and(char::is_alphanumeric)
                && next.is_some_and(char::is_alphanumeric))
        {
            // Deleted without a separator; a combining mark after it still belongs to the word.
        } else if c.is_alphanumeric() || (in_word && is_combining_mark(c)) {
            if let Some((range, is_break)) = separator.take()
                && !builder.is_empty()
            {
                if is_break {
                    builder.mark_break();
                }
                builder.push(' ', range);
            }
            if c.is_ascii() {
                // This letter or digit and the ASCII words that follow it in the same copied
                // stretch, at once: letters and digits, and single spaces between them that are
                // not paragraph breaks. Each letter would take this branch and be copied
                // lowercased; each space would open a separator of its own one byte, pushed as
                // such before the next letter.
                if speed == Speed::Fast
                    && let Some((orig_start, stretch_end)) = chars.copied_at(offset)
                {
                    while breaks.next_if(|&b| b < offset).is_some() {}
                    let limit = stretch_end.min(breaks.peek().copied().unwrap_or(usize::MAX));
                    let end = ascii_words_end(text.as_bytes(), offset, limit);
                    lowered.clear();
                    lowered.push_str(text.get(offset..end).unwrap_or_default());
                    lowered.make_ascii_lowercase();
                    builder.push_copied(&lowered, orig_start);
                    if let Some(last) = lowered.bytes().last() {
                        previous = Some(char::from(last));
                        in_word = true;
                        chars.skip_to(end);
                        continue;
                    }
                }
                builder.push(c.to_ascii_lowercase(), orig);
            } else {
                for lower in c.to_lowercase() {
                    builder.push(lower, orig.clone());
                }
            }
            in_word = true;
        } else {
            while breaks.next_if(|&b| b < offset).is_some() {}
            let is_break = breaks.next_if_eq(&offset).is_some();
            separator = Some(match separator.take() {
                Some((range, was_break)) => (range.start..orig.end, was_break || is_break),
                None => (orig, is_break),
            });
            in_word = false;
        }
        previous = Some(c);
    }
    builder.finish()
}

/// Where the run of ASCII words starting at `start` ends, before `limit`: letters and digits, and
/// single spaces each followed by one. The run ends on a letter or digit.
fn ascii_words_end(bytes: &[u8], start: usize, limit: usize) -> usize {
    let run = bytes.get(start..limit.min(bytes.len())).unwrap_or_default();
    start + ascii::spaced_run(run, ascii::alphanumeric_mask, is_ascii_alnum, true)
}

/// How a byte of UTF-8 text reads, for loops that copy or split ASCII a byte at a time: one table
/// lookup where `u8::is_ascii_alphanumeric` makes three range checks (these loops run at every
/// byte of every source).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ByteClass {
    /// An ASCII letter or digit.
    AsciiAlphanumeric,
    /// Any other ASCII byte.
    OtherAscii,
    /// A byte of a char past ASCII.
    PastAscii,
}

static BYTE_CLASSES: [ByteClass; 256] = {
    let mut classes = [ByteClass::PastAscii; 256];
    let mut byte = 0;
    while byte < 128 {
        classes[byte] = if (byte as u8).is_ascii_alphanumeric() {
            ByteClass::AsciiAlphanumeric
        } else {
            ByteClass::OtherAscii
        };
        byte += 1;
    }
    classes
};

pub(crate) fn byte_class(byte: u8) -> ByteClass {
    BYTE_CLASSES
        .get(usize::from(byte))
        .copied()
        .unwrap_or(ByteClass::PastAscii)
}

/// How many bytes at the start of `bytes` are ASCII letters or digits.
pub(crate) fn alphanumeric_run(bytes: &[u8]) -> usize {
    ascii::member_run(bytes, ascii::alphanumeric_mask, is_ascii_alnum)
}

fn is_ascii_alnum(byte: u8) -> bool {
    byte_class(byte) == ByteClass::AsciiAlphanumeric
}

/// The matching key of a plain string (a quotation's words), mapped to that string.
pub fn normalize_key(text: &str) -> MappedText {
    key_of_clean(&clean_with_edits(text, &[]))
}

/// Quote marks, apostrophes and hyphens: deleted from the key without a separator.
fn is_deleted_in_key(c: char) -> bool {
    matches!(
        c,
        '\'' | '"'
            | '`'
            | '´'
            | '‘'
            | '’'
            | '‚'
            | '‛'
            | '“'
            | '”'
            | '„'
            | '‟'
            | '«'
            | '»'
            | '‹'
            | '›'
            | '′'
            | '″'
            | '‵'
            | '‶'
            | 'ʹ'
            | 'ʻ'
            | 'ʼ'
            | 'ʽ'
            | '-'
            | '‐'
            | '‑'
            | '‒'
            | '−'
    )
}

/// Invisible chars deleted from the clean text: soft hyphen, zero-width spaces and joiners,
/// direction marks, the byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// How many line breaks a whitespace char stands for.
fn line_breaks(c: char) -> u32 {
    match c {
        '\n' | '\u{B}' | '\u{C}' | '\u{85}' | '\u{2028}' => 1,
        '\u{2029}' => 2,
        _ => 0,
    }
}

/// One char of the original (or of a markup replacement) with the original range it stands for.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    c: char,
    orig: Range<usize>,
    /// A separator left by removed block markup: acts as whitespace and prevents hyphenation
    /// joining across it.
    barrier: bool,
}

/// The clean projection of `original` with markup `edits` (sorted by start) applied.
fn clean_with_edits(original: &str, edits: &[Edit]) -> MappedText {
    clean_with_edits_at(original, edits, Speed::Fast)
}

fn clean_with_edits_at(original: &str, edits: &[Edit], speed: Speed) -> MappedText {
    let mut collapser = Collapser::new(original.len());
    let mut nfkc = NfkcStage::default();
    let mut at = 0;
    for edit in edits {
        let Range { start, end } = edit.range;
        // Skip edits that overlap one already applied or do not fall on char boundaries.
        if start < at
            || end < start
            || !original.is_char_boundary(start)
            || !original.is_char_boundary(end)
        {
            continue;
        }
        push_chars(original, at..start, &mut nfkc, &mut collapser, speed);
        let replacement = match edit.with {
            Replacement::Nothing => None,
            Replacement::Space => Some((' ', true)),
            Replacement::Char(c) => Some((c, false)),
        };
        if let Some((c, barrier)) = replacement {
            let item = Item {
                c,
                orig: start..end,
                barrier,
            };
            nfkc.push(item, &mut collapser);
        }
        at = end;
    }
    push_chars(
        original,
        at..original.len(),
        &mut nfkc,
        &mut collapser,
        speed,
    );
    nfkc.flush(&mut collapser);
    collapser.finish()
}

/// Feeds the chars of `original[range]` to the NFKC stage. Runs of visible ASCII chars, and single
/// spaces between them, skip the stages but for their first and last char: they neither
/// normalise nor collapse (a single space between two visible chars is written as it is), and
/// only the last can combine with what follows.
fn push_chars(
    original: &str,
    range: Range<usize>,
    nfkc: &mut NfkcStage,
    out: &mut Collapser,
    speed: Speed,
) {
    let bytes = original.as_bytes();
    let mut at = range.start;
    while at < range.end {
        let run = plain_ascii_run(bytes.get(at..range.end).unwrap_or_default());
        if run >= 3 && speed == Speed::Fast {
            let first = at;
            let last = at + run - 1;
            nfkc.push(ascii_item(bytes, first), out);
            nfkc.flush(out);
            out.push_visible_ascii(original.get(first + 1..last).unwrap_or_default(), first + 1);
            nfkc.push(ascii_item(bytes, last), out);
            at = last + 1;
            continue;
        }
        let Some(c) = original.get(at..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        let item = Item {
            c,
            orig: at..at + c.len_utf8(),
            barrier: false,
        };
        nfkc.push(item, out);
        at += c.len_utf8();
    }
}

/// How many bytes at the start of `bytes` are visible ASCII chars or single spaces between two
/// of them (ending on a visible char).
fn plain_ascii_run(bytes: &[u8]) -> usize {
    ascii::spaced_run(bytes, ascii::visible_mask, |b| b.is_ascii_graphic(), false)
}

/// The ASCII char at `at` as an item of the stages.
fn ascii_item(bytes: &[u8], at: usize) -> Item {
    Item {
        c: char::from(bytes.get(at).copied().unwrap_or(b' ')),
        orig: at..at + 1,
        barrier: false,
    }
}

/// Whether `c` starts a new NFKC segment: it neither combines with nor reorders around what
/// precedes it.
fn starts_segment(c: char) -> bool {
    c.is_ascii()
        || (canonical_combining_class(c) == 0
            && is_nfkc_quick(std::iter::once(c)) != IsNormalized::Maybe)
}

/// Applies NFKC one segment at a time.
#[derive(Debug, Default)]
struct NfkcStage {
    segment: Vec<Item>,
}

impl NfkcStage {
    fn push(&mut self, item: Item, out: &mut Collapser) {
        if starts_segment(item.c) {
            self.flush(out);
        }
        self.segment.push(item);
    }

    fn flush(&mut self, out: &mut Collapser) {
        match self.segment.as_slice() {
            [] => {}
            [single] if single.c.is_ascii() => out.push(single.clone()),
            segment => {
                let normalized: String = segment.iter().map(|item| item.c).nfkc().collect();
                if normalized.chars().eq(segment.iter().map(|item| item.c)) {
                    for item in segment {
                        out.push(item.clone());
                    }
                } else {
                    let start = segment.first().map_or(0, |item| item.orig.start);
                    let end = segment.last().map_or(start, |item| item.orig.end);
                    for c in normalized.chars() {
                        out.push(Item {
                            c,
                            orig: start..end,
                            barrier: false,
                        });
                    }
                }
            }
        }
        self.segment.clear();
    }
}

/// A whitespace run waiting for the next visible char.
#[derive(Debug)]
struct WhitespaceRun {
    orig: Range<usize>,
    line_breaks: u32,
    barrier: bool,
}

/// Collapses whitespace runs, joins line-end hyphenation, deletes invisible chars, trims.
struct Collapser {
    out: MappedBuilder,
    run: Option<WhitespaceRun>,
    /// The last two chars written.
    last: Option<char>,
    before_last: Option<char>,
    /// A soft hyphen was deleted right after the last char written.
    soft_hyphen: bool,
}

impl Collapser {
    fn new(capacity: usize) -> Self {
        Collapser {
            out: MappedBuilder::with_capacity(capacity),
            run: None,
            last: None,
            before_last: None,
            soft_hyphen: false,
        }
    }

    fn push(&mut self, item: Item) {
        let Item { c, orig, barrier } = item;
        if barrier || c.is_whitespace() {
            match &mut self.run {
                Some(run) => {
                    run.orig.end = orig.end;
                    run.line_breaks += line_breaks(c);
                    run.barrier |= barrier;
                }
                None => {
                    self.run = Some(WhitespaceRun {
                        line_breaks: line_breaks(c),
                        orig,
                        barrier,
                    })
                }
            }
            return;
        }
        if is_invisible(c) {
            if c == '\u{AD}' && self.run.is_none() && self.last.is_some() {
                self.soft_hyphen = true;
            }
            return;
        }
        if let Some(run) = self.run.take()
            && !self.out.is_empty()
        {
            let hyphenated = self.soft_hyphen
                || (matches!(self.last, Some('-' | '\u{2010}'))
                    && self.before_last.is_some_and(char::is_alphanumeric));
            let joins = hyphenated && !run.barrier && run.line_breaks > 0 && c.is_lowercase();
            if !joins {
                if run.line_breaks >= 2 {
                    self.out.mark_break();
                }
                self.out.push(' ', run.orig);
                self.last = Some(' ');
            }
        }
        self.soft_hyphen = false;
        self.out.push(c, orig);
        self.before_last = self.last;
        self.last = Some(c);
    }

    /// Appends visible ASCII chars and single spaces between them (no other whitespace, nothing
    /// invisible), copied from the original at `orig_start`, right after a visible char: what
    /// `push` of each would do (a lone space between two visible chars is written as it is).
    fn push_visible_ascii(&mut self, chars: &str, orig_start: usize) {
        if chars.is_empty() {
            return;
        }
        debug_assert!(self.run.is_none());
        self.soft_hyphen = false;
        self.out.push_copied(chars, orig_start);
        let mut tail = chars.bytes().rev().map(char::from);
        let last = tail.next();
        self.before_last = tail.next().or(self.last);
        self.last = last;
    }

    fn finish(self) -> MappedText {
        debug_assert!(!self.out.text().ends_with(' ') || self.out.is_empty());
        self.out.finish()
    }
}

#[cfg(test)]
mod tests;

//! `MappedText`: a normalised text with a compact map from its bytes back to the original.
//!
//! The map is a sorted list of spans. A *copy* span says that a stretch of normalised bytes
//! corresponds byte for byte (char for char, same UTF-8 lengths) to a stretch of the original,
//! so each byte maps to the original range of the char it belongs to. A *block* span says that
//! all its normalised bytes came from one original range (a whitespace run collapsed to one
//! space, a compatibility character expanded by NFKC). Running text is mostly copied, so the map
//! costs a few bytes per punctuation mark instead of eight bytes per byte.

use std::ops::Range;
use std::sync::Arc;

use crate::ByteRange;
use crate::corpus::StoredText;
use crate::corpus::stored::{MappedBytes, RecordMap};

/// `Span::orig_len` of a copy span.
const COPY: u32 = u32::MAX;

/// One stretch of the map, starting at normalised byte `norm` and running up to the next span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    norm: u32,
    orig: u32,
    /// `COPY`, or the length of the original range every byte of the span maps to.
    orig_len: u32,
}

/// The spans of a map: built here, or in a mapped cache record (`SPAN_BYTES` each: `norm`,
/// `orig`, `orig_len`, little-endian), checked in order when it was read.
#[derive(Clone)]
enum Spans {
    Heap(Vec<Span>),
    Mapped(MappedBytes),
}

/// The size of a span in a cache record.
const SPAN_BYTES: usize = 12;

/// The original range of the char at `char_start` (`char_len` bytes) of `span`, which ends at
/// `span_end`: a copied char maps to itself, any other to its span's whole block.
fn span_origin(span: Span, span_end: usize, char_start: usize, char_len: usize) -> ByteRange {
    let orig = span.orig as usize;
    if span.orig_len != COPY {
        return orig..orig + span.orig_len as usize;
    }
    // (A char never runs past its span in a map built here; one read from a damaged record
    // might, and must not map past the span.)
    let char_len = char_len.min(span_end.saturating_sub(char_start).max(1));
    let start = orig + (char_start - span.norm as usize);
    start..start + char_len
}

/// A span's entry in a record (what `span_of_entry` reads): three little-endian `u32`s.
fn entry_of_span(span: &Span) -> [u8; SPAN_BYTES] {
    let mut entry = [0u8; SPAN_BYTES];
    let fields = [span.norm, span.orig, span.orig_len];
    for (bytes, field) in entry.chunks_exact_mut(4).zip(fields) {
        bytes.copy_from_slice(&field.to_le_bytes());
    }
    entry
}

/// The span a record's entry of `SPAN_BYTES` holds: three little-endian `u32`s.
fn span_of_entry(entry: &[u8]) -> Span {
    let word = |at: usize| {
        let bytes = entry.get(at..at + 4).unwrap_or(&[0; 4]);
        u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    };
    Span {
        norm: word(0),
        orig: word(4),
        orig_len: word(8),
    }
}

impl Spans {
    fn len(&self) -> usize {
        match self {
            Spans::Heap(spans) => spans.len(),
            Spans::Mapped(mapped) => mapped.bytes().len() / SPAN_BYTES,
        }
    }

    fn get(&self, index: usize) -> Option<Span> {
        match self {
            Spans::Heap(spans) => spans.get(index).copied(),
            Spans::Mapped(mapped) => {
                let at = index.checked_mul(SPAN_BYTES)?;
                Some(span_of_entry(mapped.bytes().get(at..at + SPAN_BYTES)?))
            }
        }
    }

    fn first(&self) -> Option<Span> {
        self.get(0)
    }

    /// The index of the first span for which `before` is false (spans for which it is true
    /// come first), as `slice::partition_point`.
    fn partition_point(&self, before: impl Fn(&Span) -> bool) -> usize {
        match self {
            Spans::Heap(spans) => spans.partition_point(before),
            Spans::Mapped(_) => {
                let (mut low, mut high) = (0, self.len());
                while low < high {
                    let middle = low + (high - low) / 2;
                    if self.get(middle).is_some_and(|span| before(&span)) {
                        low = middle + 1;
                    } else {
                        high = middle;
                    }
                }
                low
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = Span> + '_ {
        (0..self.len()).filter_map(|index| self.get(index))
    }
}

impl Default for Spans {
    fn default() -> Self {
        Spans::Heap(Vec::new())
    }
}

impl PartialEq for Spans {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for Spans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A normalised text and, for each of its bytes, where it came from in the original.
///
/// Offsets are stored as `u32`: texts must be shorter than 4 GiB.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MappedText {
    pub text: StoredText,
    /// Sorted by `norm`; the first span starts at 0 when the text is not empty.
    spans: Spans,
    /// Offsets in `text` of separators that stand for a paragraph break in the original (a blank
    /// line), sorted. Quote matching may jump over page furniture at these points.
    pub breaks: Vec<u32>,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl MappedText {
    /// The original byte range that `range` of the normalised text came from. An empty range maps
    /// to an empty range at the original position.
    pub fn to_original(&self, range: ByteRange) -> ByteRange {
        let len = self.text.len();
        let start = range.start.min(len);
        let end = range.end.min(len).max(start);
        if start == end {
            let at = if start < len {
                self.byte_origin(start).start
            } else {
                self.end_of_original()
            };
            return at..at;
        }
        let first = self.byte_origin(start);
        let last = self.byte_origin(end - 1);
        first.start..last.end.max(first.start)
    }

    /// The normalised offset nearest to original offset `offset` (first normalised byte whose
    /// original start is at or after it).
    pub fn from_original(&self, offset: usize) -> usize {
        let offset = to_u32(offset);
        let next = self.spans.partition_point(|s| s.orig < offset);
        if let Some(before) = next.checked_sub(1).and_then(|i| self.spans.get(i))
            && before.orig_len == COPY
        {
            let span_end = self.span_end(next - 1);
            let mut at = before.norm as usize + (offset - before.orig) as usize;
            while at < span_end && !self.text.is_char_boundary(at) {
                at += 1;
            }
            if at < span_end {
                return at;
            }
        }
        self.spans
            .get(next)
            .map_or(self.text.len(), |s| s.norm as usize)
    }

    /// The original range of the char that normalised byte `byte` belongs to.
    pub fn byte_origin(&self, byte: usize) -> ByteRange {
        let Some(index) = self
            .spans
            .partition_point(|s| s.norm as usize <= byte)
            .checked_sub(1)
        else {
            return 0..0;
        };
        self.origin_in_span(index, byte)
    }

    /// Each char of the text with its offset and its original range, in order.
    pub fn char_origins(&self) -> CharOrigins<'_> {
        CharOrigins {
            mapped: self,
            offset: 0,
            span: 0,
            current: self.spans.first(),
            current_end: 0,
        }
    }

    /// For a byte inside a copied stretch: its original offset and where (in this text) the
    /// stretch ends. `None` for a byte of a block (a collapsed run, an expansion). (The key
    /// projection asks `CharOrigins::copied_at`, which searches from the span at hand.)
    #[cfg(test)]
    pub(crate) fn copied_at(&self, byte: usize) -> Option<(usize, usize)> {
        let index = self
            .spans
            .partition_point(|s| s.norm as usize <= byte)
            .checked_sub(1)?;
        self.copied_in_span(index, byte)
    }

    /// `copied_at` for `byte` in span `index` (which starts at or before it).
    fn copied_in_span(&self, index: usize, byte: usize) -> Option<(usize, usize)> {
        let span = self.spans.get(index).filter(|s| s.norm as usize <= byte)?;
        (span.orig_len == COPY).then(|| {
            (
                span.orig as usize + (byte - span.norm as usize),
                self.span_end(index),
            )
        })
    }

    /// The last span starting at or before `byte`, looked for from span `from` on (which
    /// starts at or before it): a walk, for bytes read in order.
    fn span_from(&self, from: usize, byte: usize) -> usize {
        let mut index = from;
        while self
            .spans
            .get(index + 1)
            .is_some_and(|next| next.norm as usize <= byte)
        {
            index += 1;
        }
        index
    }

    /// Whether the text and its map are read from a mapped cache record.
    pub fn is_mapped(&self) -> bool {
        self.text.is_mapped() && matches!(self.spans, Spans::Mapped(_))
    }

    /// How many spans the map holds (a measure of its memory use).
    pub fn span_count(&self) -> usize {
        self.spans.len()
    }

    fn span_end(&self, index: usize) -> usize {
        self.spans
            .get(index + 1)
            .map_or(self.text.len(), |s| s.norm as usize)
    }

    fn origin_in_span(&self, index: usize, byte: usize) -> ByteRange {
        let Some(span) = self.spans.get(index) else {
            return 0..0;
        };
        let mut char_start = byte;
        while char_start > span.norm as usize && !self.text.is_char_boundary(char_start) {
            char_start -= 1;
        }
        let char_len = self
            .text
            .get(char_start..)
            .and_then(|rest| rest.chars().next())
            .map_or(1, char::len_utf8);
        span_origin(span, self.span_end(index), char_start, char_len)
    }

    fn end_of_original(&self) -> usize {
        match self.text.len().checked_sub(1) {
            Some(last) => self.byte_origin(last).end,
            None => self.spans.first().map_or(0, |s| s.orig as usize),
        }
    }
}

/// Iterator returned by [`MappedText::char_origins`].
pub struct CharOrigins<'a> {
    mapped: &'a MappedText,
    offset: usize,
    /// The span of the char returned last, that span, and where the next one starts (the
    /// text's end after the last): kept so that a char of the same span, most of them, maps
    /// without a lookup.
    span: usize,
    current: Option<Span>,
    current_end: usize,
}

impl CharOrigins<'_> {
    /// Goes on from `offset` (a char boundary at or after the next char's offset).
    pub(crate) fn skip_to(&mut self, offset: usize) {
        self.offset = self.offset.max(offset);
    }

    /// `MappedText::copied_at` for a byte at or after the char returned last: found from that
    /// char's span on rather than by a search of every span.
    pub(crate) fn copied_at(&self, byte: usize) -> Option<(usize, usize)> {
        let index = self.mapped.span_from(self.span, byte);
        self.mapped.copied_in_span(index, byte)
    }
}

impl Iterator for CharOrigins<'_> {
    type Item = (usize, char, ByteRange);

    fn next(&mut self) -> Option<Self::Item> {
        let offset = self.offset;
        let c = match self.mapped.text.as_bytes().get(offset) {
            Some(&byte) if byte.is_ascii() => char::from(byte),
            _ => self.mapped.text.get(offset..)?.chars().next()?,
        };
        self.offset += c.len_utf8();
        if offset >= self.current_end {
            self.span = self.mapped.span_from(self.span, offset);
            self.current = self.mapped.spans.get(self.span);
            self.current_end = self.mapped.span_end(self.span);
        }
        // As `origin_in_span`, with the span at hand: the char starts at `offset`.
        let origin = self.current.map_or(0..0, |span| {
            span_origin(span, self.current_end, offset, c.len_utf8())
        });
        Some((offset, c, origin))
    }
}

/// Builds a `MappedText` char by char, merging contiguous copies into one span.
#[derive(Debug, Default)]
pub(crate) struct MappedBuilder {
    text: String,
    spans: Vec<Span>,
    breaks: Vec<u32>,
}

impl MappedBuilder {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        MappedBuilder {
            text: String::with_capacity(bytes),
            spans: Vec::new(),
            breaks: Vec::new(),
        }
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Records that the next pushed byte is a separator standing for a paragraph break.
    pub(crate) fn mark_break(&mut self) {
        self.breaks.push(to_u32(self.text.len()));
    }

    /// Appends `c`, which came from `orig`. A char whose original range is exactly as long as
    /// itself is mapped byte for byte; any other is mapped as a block.
    pub(crate) fn push(&mut self, c: char, orig: Range<usize>) {
        let norm = to_u32(self.text.len());
        self.text.push(c);
        let (start, len) = (to_u32(orig.start), to_u32(orig.len()));
        if orig.len() == c.len_utf8() {
            self.copy_span_from(norm, start);
        } else {
            let extends = self
                .spans
                .last()
                .is_some_and(|last| last.orig_len == len && last.orig == start);
            if !extends {
                self.spans.push(Span {
                    norm,
                    orig: start,
                    orig_len: len,
                });
            }
        }
    }

    /// Appends `copied`, which came char for char (same lengths) from the original starting at
    /// `orig_start`: what `push` of each char would do, at once.
    pub(crate) fn push_copied(&mut self, copied: &str, orig_start: usize) {
        if copied.is_empty() {
            return;
        }
        let norm = to_u32(self.text.len());
        self.text.push_str(copied);
        self.copy_span_from(norm, to_u32(orig_start));
    }

    /// Text appended at `norm` was copied byte for byte from the original at `start`: extend the
    /// last copy span when it runs on, else open one.
    fn copy_span_from(&mut self, norm: u32, start: u32) {
        let extends = self.spans.last().is_some_and(|last| {
            last.orig_len == COPY && last.orig.saturating_add(norm - last.norm) == start
        });
        if !extends {
            self.spans.push(Span {
                norm,
                orig: start,
                orig_len: COPY,
            });
        }
    }

    pub(crate) fn finish(mut self) -> MappedText {
        self.spans.shrink_to_fit();
        self.text.shrink_to_fit();
        MappedText {
            text: self.text.into(),
            spans: Spans::Heap(self.spans),
            breaks: self.breaks,
        }
    }
}

/// Where `MappedText::encode` put a text and its spans in the encoder's output.
pub(crate) struct EncodedMap {
    text: Range<usize>,
    spans: Range<usize>,
}

impl MappedText {
    /// Appends this text and its map to `out` (the on-disk cache's encoding; see `cache`);
    /// where the text and the spans went.
    pub(crate) fn encode(&self, out: &mut super::super::cache::Encoder) -> EncodedMap {
        let text = out.str(&self.text);
        out.u32(to_u32(self.spans.len()));
        let spans = out.position();
        match &self.spans {
            Spans::Heap(spans) => out.entries(spans, entry_of_span),
            Spans::Mapped(table) => out.encoded_entries(table.bytes()),
        }
        let spans = spans..out.position();
        out.u32s(&self.breaks);
        EncodedMap { text, spans }
    }

    /// This text and map with its text and spans in `map`, a cache record `encode` has just
    /// written them to (`at`: where), unread; `None` when `at` does not fit them.
    pub(crate) fn in_record(&self, map: &Arc<RecordMap>, at: EncodedMap) -> Option<MappedText> {
        let EncodedMap { text, spans } = at;
        (spans.len() == self.spans.len() * SPAN_BYTES).then_some(())?;
        Some(MappedText {
            text: StoredText::mapped_with_len(map, text, self.text.len())?,
            spans: Spans::Mapped(MappedBytes::new(map, map, spans)?),
            breaks: self.breaks.clone(),
        })
    }

    /// Reads what `encode` wrote, a map into an original of `original_len` bytes; `None` when
    /// it does not hold together (spans out of order, outside the text, or mapping outside the
    /// original).
    pub(crate) fn decode(
        input: &mut super::super::cache::Decoder,
        original_len: usize,
    ) -> Option<MappedText> {
        let text = input.text()?;
        let len = text.len();
        let count = input.u32()? as usize;
        let mapped = input.is_mapped();
        // Read first: a damaged count asks for no more room than the record holds.
        let table = input.bytes(count.checked_mul(SPAN_BYTES)?)?;
        let mut spans = Vec::with_capacity(if mapped { 0 } else { count });
        let mut previous: Option<Span> = None;
        let mut in_order = true;
        // Whether `span`, running up to normalised offset `end`, maps inside the original.
        let inside = |span: &Span, end: u32| {
            let orig_len = match span.orig_len {
                COPY => end.saturating_sub(span.norm),
                block => block,
            };
            span.orig as usize + orig_len as usize <= original_len
        };
        for span in table.chunks_exact(SPAN_BYTES).map(span_of_entry) {
            in_order &= match &previous {
                Some(previous) => previous.norm < span.norm && inside(previous, span.norm),
                None => span.norm == 0,
            } && (span.norm as usize) < len.max(1);
            previous = Some(span);
            if !mapped {
                spans.push(span);
            }
        }
        in_order &= previous.is_none_or(|last| inside(&last, to_u32(len)));
        // Read again, in place, when the record is mapped (the same bytes, now checked).
        let spans = match input.mapped_before(count.checked_mul(SPAN_BYTES)?) {
            Some(mapped) => Spans::Mapped(mapped),
            None => Spans::Heap(spans),
        };
        let breaks = input.u32s()?;
        let ordered = in_order
            && (count == 0) == text.is_empty()
            && breaks.iter().all(|&b| (b as usize) < len);
        ordered.then_some(MappedText {
            text,
            spans,
            breaks,
        })
    }
}

//! Which citations a quotation is attributed to.
//!
//! Inline quotation: the first citation after it in its sentence, else the nearest one before it
//! in the sentence (`@a says "…"`), else the block's only citation. Blockquote: a citation at its
//! end (inside it, optionally after a dash), else the next block when it holds nothing but
//! citations (`[@a]`, `— [@a]`, `-- @a`), else the previous block when it ends with `:` and holds
//! exactly one citation. A bracketed group `[@a; @b]` is one citation.

use super::{Block, Citation};
use crate::ByteRange;

/// Citations (indices into `citations`) for an inline quotation at `quote` in `sentence`;
/// `in_block` are the indices of the block's citations.
pub(crate) fn inline_citations(
    quote: &ByteRange,
    sentence: &ByteRange,
    in_block: ByteRange,
    citations: &[Citation],
) -> Vec<usize> {
    // Citations are sorted by start: only those starting inside the sentence can be in it (a
    // binary search, as a one-line paragraph may hold thousands of quotations and citations).
    let block_slice = citations.get(in_block.clone()).unwrap_or_default();
    let first = in_block.start + block_slice.partition_point(|c| c.range.start < sentence.start);
    let last = in_block.start + block_slice.partition_point(|c| c.range.start < sentence.end);
    let in_sentence = || {
        (first..last.max(first)).filter(|&i| {
            citations
                .get(i)
                .is_some_and(|c| sentence.start <= c.range.start && c.range.end <= sentence.end)
        })
    };
    let after = in_sentence().find(|&i| citations[i].range.start >= quote.end);
    if let Some(index) = after {
        return vec![index];
    }
    let before = in_sentence()
        .filter(|&i| citations[i].range.end <= quote.start)
        .max_by_key(|&i| citations[i].range.end);
    if let Some(index) = before {
        return vec![index];
    }
    if in_block.len() == 1 {
        return vec![in_block.start];
    }
    Vec::new()
}

/// A blockquote's quoted content and the citations at its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockQuotation {
    pub content: ByteRange,
    pub citations: Vec<usize>,
}

/// Dashes that introduce an attribution line (`— @key`, `-- [@key]`).
fn is_dash(ch: char) -> bool {
    matches!(ch, '—' | '–' | '―' | '-' | '−')
}

/// The content of the blockquote `block` (from its first prose byte, without a trailing citation
/// or dash attribution) and the trailing citations. `None` when nothing is quoted.
pub(crate) fn block_quotation(
    masked: &str,
    block: &Block,
    citations: &[Citation],
) -> Option<BlockQuotation> {
    let text = masked.get(block.range.clone())?;
    let start = block.range.start + (text.len() - text.trim_start().len());
    let mut end = block.range.end;
    let mut trailing = Vec::new();
    loop {
        let probe = trim_back(masked, start, end, |c| {
            c.is_whitespace() || matches!(c, '.' | ')')
        });
        let Some(index) = citations
            .iter()
            .rposition(|c| c.range.end == probe && c.range.start >= start)
        else {
            break;
        };
        trailing.push(index);
        // `(@a)`, `[@a]; [@b]`, `— @a`.
        end = trim_back(masked, start, citations[index].range.start, |c| {
            c.is_whitespace() || matches!(c, '(' | ';' | ',')
        });
    }
    if !trailing.is_empty() {
        end = trim_back(masked, start, end, |c| c.is_whitespace() || is_dash(c));
    }
    end = trim_back(masked, start, end, char::is_whitespace);
    trailing.reverse();
    (start < end).then_some(BlockQuotation {
        content: start..end,
        citations: trailing,
    })
}

/// Moves `end` back over characters matching `strip`, not past `start`.
fn trim_back(masked: &str, start: usize, end: usize, strip: impl Fn(char) -> bool) -> usize {
    let Some(slice) = masked.get(start..end) else {
        return end;
    };
    start + slice.trim_end_matches(strip).len()
}

/// Citations for a blockquote without its own: the next block when it holds only citations, else
/// the previous block when it ends with `:` and holds exactly one citation.
pub(crate) fn blockquote_neighbours(
    masked: &str,
    blocks: &[Block],
    block_citations: &[ByteRange],
    citations: &[Citation],
    index: usize,
) -> Vec<usize> {
    if let (Some(next), Some(next_citations)) =
        (blocks.get(index + 1), block_citations.get(index + 1))
        && !next_citations.is_empty()
        && holds_only_citations(masked, &next.range, &citations[next_citations.clone()])
    {
        return next_citations.clone().collect();
    }
    if let Some(previous_index) = index.checked_sub(1)
        && let (Some(previous), Some(previous_citations)) = (
            blocks.get(previous_index),
            block_citations.get(previous_index),
        )
        && previous_citations.len() == 1
        && masked
            .get(previous.range.clone())
            .is_some_and(|s| s.trim_end().ends_with(':'))
    {
        return previous_citations.clone().collect();
    }
    Vec::new()
}

/// Whether `range` holds nothing but the citations and attribution punctuation.
fn holds_only_citations(masked: &str, range: &ByteRange, citations: &[Citation]) -> bool {
    let mut at = range.start;
    let mut rest_is_punctuation = true;
    let mut check = |from: usize, to: usize| {
        if let Some(gap) = masked.get(from..to) {
            rest_is_punctuation &= gap.chars().all(|c| {
                c.is_whitespace() || is_dash(c) || matches!(c, '(' | ')' | '.' | ',' | ';')
            });
        }
    };
    for citation in citations {
        check(at, citation.range.start.max(at));
        at = at.max(citation.range.end);
    }
    check(at, range.end);
    rest_is_punctuation
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notes::{BlockKind, CitationItem};

    /// Citations at each of `marks` (their first occurrence in `text`), standing in for the scanner.
    fn citations_at(text: &str, marks: &[&str]) -> Vec<Citation> {
        marks
            .iter()
            .map(|mark| {
                let start = text.find(mark).unwrap_or(0);
                let key = mark.trim_matches(|c: char| !c.is_alphanumeric());
                Citation {
                    range: start..start + mark.len(),
                    bracketed: mark.starts_with('['),
                    items: vec![CitationItem {
                        key: key.to_owned(),
                        key_range: start..start,
                        range: start..start + mark.len(),
                        prefix: String::new(),
                        locator: None,
                        suffix: String::new(),
                        suppress_author: false,
                    }],
                }
            })
            .collect()
    }

    fn range_of(text: &str, part: &str) -> ByteRange {
        let start = text.find(part).unwrap_or(0);
        start..start + part.len()
    }

    fn block(text: &str, part: &str, kind: BlockKind) -> Block {
        Block {
            kind,
            range: range_of(text, part),
            sentences: Vec::new(),
            ignored: false,
        }
    }

    #[test]
    fn inline_prefers_the_citation_after_then_before_then_the_only_one() {
        let text = r#"@before says "one" and "two" [@after]. Later "three"."#;
        let citations = citations_at(text, &["@before", "[@after]"]);
        let sentence = range_of(text, r#"@before says "one" and "two" [@after]."#);
        let one = range_of(text, r#""one""#);
        assert_eq!(inline_citations(&one, &sentence, 0..2, &citations), vec![1]);
        let later = range_of(text, "Later \"three\".");
        let three = range_of(text, r#""three""#);
        // Two citations in the block, none in its sentence: nothing.
        assert_eq!(
            inline_citations(&three, &later, 0..2, &citations),
            Vec::<usize>::new()
        );
        // One citation in the block: that one.
        assert_eq!(inline_citations(&three, &later, 1..2, &citations), vec![1]);
        let text = r#"As @before puts it, "one thing.""#;
        let citations = citations_at(text, &["@before"]);
        let quote = range_of(text, r#""one thing.""#);
        assert_eq!(
            inline_citations(&quote, &(0..text.len()), 0..1, &citations),
            vec![0]
        );
    }

    #[test]
    fn blockquote_content_without_trailing_citation_or_dash() {
        let masked = "  Words here.\n  — [@a]; [@b].\n";
        let citations = citations_at(masked, &["[@a]", "[@b]"]);
        let quote = Block {
            kind: BlockKind::BlockQuote,
            range: 0..masked.trim_end().len(),
            sentences: Vec::new(),
            ignored: false,
        };
        let found = block_quotation(masked, &quote, &citations);
        assert_eq!(
            found.map(|f| (masked[f.content].to_owned(), f.citations)),
            Some(("Words here.".to_owned(), vec![0, 1]))
        );
        let masked = "  A hyphen- word. And more";
        let quote = Block {
            range: 0..masked.len(),
            ..quote
        };
        let found = block_quotation(masked, &quote, &[]);
        assert_eq!(
            found.map(|f| (masked[f.content].to_owned(), f.citations)),
            Some(("A hyphen- word. And more".to_owned(), vec![]))
        );
    }

    #[test]
    fn blockquote_neighbours_next_then_previous_with_colon() {
        let masked = "As @prev said:\n\n  Quoted.\n\n— [@next]\n";
        let blocks = vec![
            block(masked, "As @prev said:", BlockKind::Paragraph),
            block(masked, "Quoted.", BlockKind::BlockQuote),
            block(masked, "— [@next]", BlockKind::Paragraph),
        ];
        let citations = citations_at(masked, &["@prev", "[@next]"]);
        let per_block = vec![0..1, 1..1, 1..2];
        assert_eq!(
            blockquote_neighbours(masked, &blocks, &per_block, &citations, 1),
            vec![1]
        );
        let without_next = vec![0..1, 1..1, 2..2];
        assert_eq!(
            blockquote_neighbours(masked, &blocks, &without_next, &citations, 1),
            vec![0]
        );
        let masked = "As @prev said.\n\n  Quoted.\n\nMore [@next] text\n";
        let blocks = vec![
            block(masked, "As @prev said.", BlockKind::Paragraph),
            block(masked, "Quoted.", BlockKind::BlockQuote),
            block(masked, "More [@next] text", BlockKind::Paragraph),
        ];
        let citations = citations_at(masked, &["@prev", "[@next]"]);
        assert_eq!(
            blockquote_neighbours(masked, &blocks, &per_block, &citations, 1),
            Vec::<usize>::new()
        );
    }
}

//! Quotations in prose: `"…"` and `“…”` (with `'…'`/`‘…’` nested inside them) and blockquotes.
//! Apostrophes are not quote marks. Inside a quotation: elisions (`...`, `…`, `. . .`, `[...]`,
//! `[…]`), alterations (`[s]`, `[the SCO]`), and ignored editorial marks (`[sic]`,
//! `[emphasis added]`).

use crate::ByteRange;

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
    let _ = (text, region);
    todo!("citation helper")
}

/// Splits quoted content (`range` of the masked `text`) into pieces: text, elisions, alterations,
/// editorial marks. Used for inline quotations and blockquotes alike.
pub fn split_pieces(text: &str, range: ByteRange) -> Vec<QuotePiece> {
    let _ = (text, range);
    todo!("citation helper")
}

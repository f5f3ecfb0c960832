//! The notes' own glossary: Pandoc definition lists (a term line, then one or more `: definition`
//! lines), with optional aliases from the frontmatter (`glossary: { Term: { aliases: [...] } }`
//! or `aliases:` under a term).

use crate::ByteRange;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlossaryEntry {
    pub term: String,
    pub term_range: ByteRange,
    /// The definition text (several `:` lines joined by a space).
    pub definition: String,
    pub definition_range: ByteRange,
    pub aliases: Vec<String>,
}

//! The term index: glossary entries from the notes, acronyms defined in sources as
//! `Long Name (ABBR)`, and terms the sources introduce (quoted or capitalised multi-word phrases
//! used more than once), each with its best defining sentences per source, ranked. Occurrences of
//! terms in notes are found with one case-insensitive Aho-Corasick automaton on word boundaries.

use std::path::PathBuf;

use crate::ByteRange;
use crate::corpus::Corpus;
use crate::notes::GlossaryEntry;

/// A glossary definition from a note.
#[derive(Debug, Clone, PartialEq)]
pub struct GlossaryDefinition {
    pub path: PathBuf,
    pub term_range: ByteRange,
    pub definition_range: ByteRange,
    pub text: String,
}

/// A defining sentence found in a source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceExcerpt {
    pub key: String,
    pub path: PathBuf,
    /// Byte range of the sentence in the source's original text.
    pub range: ByteRange,
    /// The sentence, clean (markup stripped, whitespace collapsed).
    pub text: String,
    pub score: f32,
}

/// Everything known about one term.
#[derive(Debug, Clone, PartialEq)]
pub struct TermInfo {
    /// The term as first defined (glossary spelling, else the source's).
    pub term: String,
    pub aliases: Vec<String>,
    /// For an acronym, its expansion ("Belt and Road Initiative" for "BRI").
    pub expansion: Option<String>,
    pub glossary: Vec<GlossaryDefinition>,
    /// Best first, at most a few per source.
    pub excerpts: Vec<SourceExcerpt>,
}

/// A term used in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermOccurrence {
    pub range: ByteRange,
    /// Index into `TermIndex::terms`.
    pub term: usize,
}

/// Terms mined from the corpus: acronyms and introduced terms with their defining sentences.
/// Expensive; built once per corpus (and again when a source changes).
#[derive(Debug, Default)]
pub struct SourceTerms {
    pub terms: Vec<TermInfo>,
}

impl SourceTerms {
    pub fn mine(corpus: &Corpus) -> SourceTerms {
        let _ = corpus;
        todo!("terms helper")
    }
}

/// The mined terms plus the notes' glossaries, with the automaton that finds them. Cheap to
/// rebuild when a glossary changes.
#[derive(Debug, Default)]
pub struct TermIndex {
    pub terms: Vec<TermInfo>,
}

impl TermIndex {
    /// Merges the mined terms with every note's glossary (glossary first for the same term).
    pub fn build(mined: &SourceTerms, glossaries: &[(PathBuf, Vec<GlossaryEntry>)]) -> TermIndex {
        let _ = (mined, glossaries);
        todo!("terms helper")
    }

    /// The term named `name` (a term, alias or acronym; case-insensitive).
    pub fn lookup(&self, name: &str) -> Option<&TermInfo> {
        let _ = name;
        todo!("terms helper")
    }

    /// Glossary text and source excerpts for `name`.
    pub fn definitions(&self, name: &str) -> Option<&TermInfo> {
        self.lookup(name)
    }

    /// Every occurrence of a known term in `text` (whole words, case-insensitive; the longest
    /// term wins where two overlap).
    pub fn occurrences(&self, text: &str) -> Vec<TermOccurrence> {
        let _ = text;
        todo!("terms helper")
    }
}

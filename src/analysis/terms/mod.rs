//! The term index: glossary entries from the notes, acronyms defined in sources as
//! `Long Name (ABBR)`, and terms the sources introduce (quoted or capitalised multi-word phrases
//! used more than once), each with its best defining sentences per source, ranked. Occurrences of
//! terms in notes are found with one case-insensitive Aho-Corasick automaton on word boundaries.
//!
//! Submodules: `sentences` (sentence splitting of clean text), `mine` (finding terms and their
//! defining sentences in the sources), `names` (the automaton over term names).

pub mod mine;
pub mod names;
pub mod sentences;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::ByteRange;
use crate::corpus::{Corpus, Source, SourceFormat};
use crate::notes::GlossaryEntry;
use mine::{MineInput, mine_inputs_until};

mod cached;
use names::{NameMatcher, is_acronym};

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
    /// Best first, at most a few per source and `KEPT_EXCERPTS` in all.
    pub excerpts: Vec<SourceExcerpt>,
}

/// How many excerpts a term keeps, best first. Hover shows the best three, definition and the
/// symbols the best one; a term named in thousands of sources would otherwise hold thousands of
/// sentences (150,000 in all, 60 MB, in the 100 MB benchmark workspace) that nothing shows. More
/// than three are kept so that a glossary term merged with mined ones still gets the best of
/// each: the top three of a merge of lists cut at 16 are the top three of the whole lists.
const KEPT_EXCERPTS: usize = 16;

/// Orders a term's excerpts best first (ties keep their order) and keeps the best
/// `KEPT_EXCERPTS`.
fn keep_best_excerpts(excerpts: &mut Vec<SourceExcerpt>) {
    excerpts.sort_by(|a, b| b.score.total_cmp(&a.score));
    excerpts.truncate(KEPT_EXCERPTS);
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
    /// Mines every source of the corpus (in parallel): acronyms, introduced terms, and their best
    /// defining sentences.
    pub fn mine(corpus: &Corpus) -> SourceTerms {
        Self::mine_until(corpus, &|| false).unwrap_or_default()
    }

    /// `mine`, given up (`None`) once `cancelled` says so (see `mine_inputs_until`).
    pub fn mine_until(
        corpus: &Corpus,
        cancelled: &(dyn Fn() -> bool + Sync),
    ) -> Option<SourceTerms> {
        let structure: Vec<(Vec<u32>, Vec<u32>)> = corpus
            .sources
            .par_iter()
            .map(|source| {
                let structure = line_structure(source);
                source.release_pages();
                structure
            })
            .collect();
        let mappings: Vec<_> = corpus
            .sources
            .iter()
            .map(|source| {
                let source = Arc::clone(source);
                move |range: ByteRange| source.clean.to_original(range)
            })
            .collect();
        let releases: Vec<_> = corpus
            .sources
            .iter()
            .map(|source| {
                let source = Arc::clone(source);
                move || source.release_pages()
            })
            .collect();
        let inputs: Vec<MineInput<'_>> = corpus
            .sources
            .iter()
            .zip(&mappings)
            .zip(&releases)
            .zip(&structure)
            .map(
                |(((source, to_original), release), (breaks, lines))| MineInput {
                    key: &source.key,
                    path: &source.path,
                    text: &source.clean.text,
                    breaks,
                    lines,
                    authors: &source.meta.authors,
                    to_original,
                    release,
                },
            )
            .collect();
        Some(SourceTerms {
            terms: mine_inputs_until(&inputs, cancelled)?,
        })
    }

    /// These terms without what they took from the sources at `paths` (whose texts changed: the
    /// excerpts' ranges are of their old texts); a term left without excerpts is dropped, as
    /// mining drops it.
    pub fn without_sources(&self, paths: &[&std::path::Path]) -> SourceTerms {
        let terms = self
            .terms
            .iter()
            .filter_map(|term| {
                let mut term = term.clone();
                term.excerpts
                    .retain(|excerpt| !paths.contains(&excerpt.path.as_path()));
                (!term.excerpts.is_empty()).then_some(term)
            })
            .collect();
        SourceTerms { terms }
    }
}

/// The clean text's paragraph breaks (plus the end of each Markdown ATX heading line) and line
/// breaks: offsets of the separators that stand for them.
fn line_structure(source: &Source) -> (Vec<u32>, Vec<u32>) {
    let clean = &source.clean;
    let original = source.text.as_str();
    let mut lines = Vec::new();
    for (offset, byte) in clean.text.bytes().enumerate() {
        if byte == b' '
            && original
                .get(clean.byte_origin(offset))
                .is_some_and(|origin| origin.contains('\n'))
            && let Ok(offset) = u32::try_from(offset)
        {
            lines.push(offset);
        }
    }
    let mut breaks = clean.breaks.clone();
    if source.format == SourceFormat::Markdown {
        let mut line_start = 0;
        for line in original.split_inclusive('\n') {
            let line_end = line_start + line.trim_end_matches(['\n', '\r']).len();
            if is_atx_heading(line) {
                let separator = clean.from_original(line_end);
                if clean.text.as_bytes().get(separator) == Some(&b' ')
                    && let Ok(separator) = u32::try_from(separator)
                {
                    breaks.push(separator);
                }
            }
            line_start += line.len();
        }
        breaks.sort_unstable();
        breaks.dedup();
    }
    (breaks, lines)
}

/// `# Heading` .. `###### Heading`, indented by up to three spaces.
fn is_atx_heading(line: &str) -> bool {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = line.trim_start_matches(' ');
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    indent <= 3
        && (1..=6).contains(&hashes)
        && rest
            .get(hashes..)
            .is_some_and(|after| after.is_empty() || after.starts_with([' ', '\t', '\n', '\r']))
}

/// The mined terms plus the notes' glossaries, with the automaton that finds them. Cheap to
/// rebuild when a glossary changes.
#[derive(Debug, Default)]
pub struct TermIndex {
    pub terms: Vec<TermInfo>,
    names: NameMatcher,
    /// Every name (term, alias, expansion) as written → its term.
    exact: HashMap<String, usize>,
    /// Every name lowercased → its first term.
    folded: HashMap<String, usize>,
}

impl TermIndex {
    /// Merges the mined terms with every note's glossary (glossary first for the same term).
    pub fn build(mined: &SourceTerms, glossaries: &[(PathBuf, Vec<GlossaryEntry>)]) -> TermIndex {
        let mut terms: Vec<TermInfo> = Vec::new();
        for (path, entries) in glossaries {
            for entry in entries {
                let definition = GlossaryDefinition {
                    path: path.clone(),
                    term_range: entry.term_range.clone(),
                    definition_range: entry.definition_range.clone(),
                    text: entry.definition.clone(),
                };
                let names: Vec<&str> = std::iter::once(entry.term.as_str())
                    .chain(entry.aliases.iter().map(String::as_str))
                    .collect();
                match terms
                    .iter_mut()
                    .find(|t| names.iter().any(|n| has_name(t, n)))
                {
                    Some(existing) => {
                        existing.glossary.push(definition);
                        for name in names {
                            add_alias(existing, name);
                        }
                    }
                    None => terms.push(TermInfo {
                        term: entry.term.clone(),
                        aliases: dedup_names(&entry.term, &entry.aliases),
                        expansion: None,
                        glossary: vec![definition],
                        excerpts: Vec::new(),
                    }),
                }
            }
        }
        let glossary_terms = terms.len();
        for mined_term in &mined.terms {
            let glossary_match = terms.get_mut(..glossary_terms).and_then(|g| {
                g.iter_mut()
                    .find(|t| names_of(mined_term).any(|n| has_name(t, n)))
            });
            match glossary_match {
                Some(existing) => merge_mined(existing, mined_term),
                None => terms.push(mined_term.clone()),
            }
        }
        TermIndex::from_terms(terms)
    }

    /// Indexes `terms` as they are (names, automaton).
    pub fn from_terms(terms: Vec<TermInfo>) -> TermIndex {
        let mut exact = HashMap::new();
        let mut folded = HashMap::new();
        let mut patterns = Vec::new();
        for (index, term) in terms.iter().enumerate() {
            for name in names_of(term) {
                let name = squeezed(name);
                folded.entry(name.to_lowercase()).or_insert(index);
                exact.entry(name.clone()).or_insert(index);
                patterns.push((name, index));
            }
        }
        TermIndex {
            names: NameMatcher::new(patterns),
            terms,
            exact,
            folded,
        }
    }

    /// The term named `name` (a term, alias or acronym; case-insensitive, an exact-case match
    /// first).
    pub fn lookup(&self, name: &str) -> Option<&TermInfo> {
        let name = squeezed(name);
        let index = self
            .exact
            .get(&name)
            .or_else(|| self.folded.get(&name.to_lowercase()))?;
        self.terms.get(*index)
    }

    /// Glossary text and source excerpts for `name`.
    pub fn definitions(&self, name: &str) -> Option<&TermInfo> {
        self.lookup(name)
    }

    /// Every occurrence of a known term in `text` (whole words, case-insensitive; an acronym as
    /// written or all lowercase unless that is a common word; a name may wrap over lines; the
    /// longest term wins where two overlap).
    pub fn occurrences(&self, text: &str) -> Vec<TermOccurrence> {
        self.names
            .find(text)
            .into_iter()
            .map(|(range, term)| TermOccurrence { range, term })
            .collect()
    }
}

/// `name` with whitespace runs as single spaces and no space around it.
fn squeezed(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The term, its expansion and its aliases.
fn names_of(term: &TermInfo) -> impl Iterator<Item = &str> {
    std::iter::once(term.term.as_str())
        .chain(term.expansion.as_deref())
        .chain(term.aliases.iter().map(String::as_str))
}

/// Whether `name` names `term`: exactly for an acronym, else case-insensitively.
fn has_name(term: &TermInfo, name: &str) -> bool {
    names_of(term).any(|own| same_name(own, name))
}

fn same_name(a: &str, b: &str) -> bool {
    if is_acronym(a) || is_acronym(b) {
        a == b
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

fn add_alias(term: &mut TermInfo, name: &str) {
    if !has_name(term, name) {
        term.aliases.push(name.to_string());
    }
}

fn dedup_names(term: &str, aliases: &[String]) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for alias in aliases {
        if !same_name(term, alias) && !kept.iter().any(|k| same_name(k, alias)) {
            kept.push(alias.clone());
        }
    }
    kept
}

/// Adds a mined term's names and excerpts to the glossary term it matched.
fn merge_mined(existing: &mut TermInfo, mined: &TermInfo) {
    if existing.expansion.is_none()
        && same_name(&existing.term, &mined.term)
        && let Some(expansion) = &mined.expansion
    {
        existing.expansion = Some(expansion.clone());
    }
    for name in names_of(mined).map(str::to_string).collect::<Vec<_>>() {
        add_alias(existing, &name);
    }
    for excerpt in &mined.excerpts {
        let known = existing
            .excerpts
            .iter_mut()
            .find(|e| e.key == excerpt.key && e.range == excerpt.range);
        match known {
            // One sentence defining two merged terms: one excerpt, its better score.
            Some(known) => known.score = known.score.max(excerpt.score),
            None => existing.excerpts.push(excerpt.clone()),
        }
    }
    keep_best_excerpts(&mut existing.excerpts);
}

#[cfg(test)]
mod tests;

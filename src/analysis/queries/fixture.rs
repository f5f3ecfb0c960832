//! Test fixtures for the queries: a workspace built in memory from notes and sources written as
//! strings, with `$0` marking the cursor. Everything but the mined terms is real: sources are
//! normalised, notes parsed, quotations resolved and diagnostics computed by the same code as
//! `ibid check`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ByteRange;
use crate::analysis::terms::{SourceExcerpt, SourceTerms, TermIndex, TermInfo};
use crate::analysis::{Analysis, analyse_note};
use crate::corpus::{Corpus, Source, SourceFormat, SourceMeta};
use crate::notes::GlossaryEntry;
use crate::workspace::{BibEntry, Config, Workspace};

pub(crate) const CURSOR: &str = "$0";

/// The workspace root of every fixture.
pub(crate) fn root() -> PathBuf {
    PathBuf::from("/ws")
}

/// The path of note `name` (`notes/<name>`).
pub(crate) fn note_path(name: &str) -> PathBuf {
    root().join("notes").join(name)
}

/// The path of the source with key `key` (`sources/<key>.md`).
pub(crate) fn source_path(key: &str) -> PathBuf {
    root().join("sources").join(format!("{key}.md"))
}

/// The range of the first occurrence of `needle` in `text` (panics in tests when absent).
pub(crate) fn range_of(text: &str, needle: &str) -> ByteRange {
    let start = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in fixture text"));
    start..start + needle.len()
}

/// The range of the `n`th (0-based) occurrence of `needle` in `text`.
pub(crate) fn nth_range_of(text: &str, needle: &str, n: usize) -> ByteRange {
    let start = text
        .match_indices(needle)
        .nth(n)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("`{needle}` not {} times in fixture text", n + 1));
    start..start + needle.len()
}

/// Builds an `Analysis` from strings.
#[derive(Default)]
pub(crate) struct Fixture {
    sources: Vec<Source>,
    bibliography: Vec<BibEntry>,
    notes: Vec<(PathBuf, String)>,
    mined: Vec<TermInfo>,
    cursor: Option<(PathBuf, usize)>,
}

/// A built fixture: the snapshot and where the `$0` was.
pub(crate) struct Built {
    pub analysis: Analysis,
    pub cursor: Option<(PathBuf, usize)>,
}

impl Built {
    /// The path and offset of the `$0` marker.
    pub fn cursor(&self) -> (PathBuf, usize) {
        self.cursor.clone().expect("fixture has no $0 cursor")
    }

    /// The text of a note or source.
    pub fn text(&self, path: &Path) -> crate::corpus::StoredText {
        self.analysis
            .file_text(path)
            .unwrap_or_else(|| panic!("no file {}", path.display()))
    }
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::default()
    }

    /// A Markdown source at `sources/<key>.md` (may hold the `$0` cursor).
    pub fn source(self, key: &str, text: &str) -> Fixture {
        self.source_with_meta(key, text, SourceMeta::default())
    }

    pub fn source_with_meta(mut self, key: &str, text: &str, meta: SourceMeta) -> Fixture {
        let path = source_path(key);
        let text = self.take_cursor(&path, text);
        self.sources.push(Source::new(
            key.to_string(),
            path,
            SourceFormat::Markdown,
            text,
            meta,
        ));
        self
    }

    /// A bibliography entry (from `/ws/refs.bib`).
    pub fn bib(mut self, entry: BibEntry) -> Fixture {
        self.bibliography.push(entry);
        self
    }

    /// A note at `notes/<name>` (may hold the `$0` cursor).
    pub fn note(mut self, name: &str, text: &str) -> Fixture {
        let path = note_path(name);
        let text = self.take_cursor(&path, text);
        self.notes.push((path, text));
        self
    }

    /// A term mined from the sources.
    pub fn term(mut self, info: TermInfo) -> Fixture {
        self.mined.push(info);
        self
    }

    fn take_cursor(&mut self, path: &Path, text: &str) -> String {
        match text.find(CURSOR) {
            Some(offset) => {
                assert!(self.cursor.is_none(), "more than one $0 in the fixture");
                self.cursor = Some((path.to_path_buf(), offset));
                text.replacen(CURSOR, "", 1)
            }
            None => text.to_string(),
        }
    }

    pub fn build(self) -> Built {
        let workspace = Workspace {
            root: root(),
            config: Config::default(),
            config_path: None,
            sources: self.sources.iter().map(|s| s.path.clone()).collect(),
            notes: self.notes.iter().map(|(p, _)| p.clone()).collect(),
            bibliography: self.bibliography.clone().into(),
            problems: Vec::new(),
        };
        let corpus = Corpus::from_sources(self.sources, self.bibliography);
        let settings = workspace.config.checks.clone();
        let passages = crate::analysis::claims::PassageIndex::new(&corpus);
        let evidence = crate::analysis::Evidence {
            corpus: &corpus,
            passages: &passages,
        };
        let mut notes = BTreeMap::new();
        for (path, text) in self.notes {
            let analysis = analyse_note(path.clone(), Arc::from(text), &evidence, &settings);
            notes.insert(path, Arc::new(analysis));
        }
        let glossaries: Vec<(PathBuf, Vec<GlossaryEntry>)> = notes
            .iter()
            .filter(|(_, n)| !n.note.glossary.is_empty())
            .map(|(p, n)| (p.clone(), n.note.glossary.clone()))
            .collect();
        let mined = SourceTerms { terms: self.mined };
        let terms = if mined.terms.is_empty() && glossaries.is_empty() {
            TermIndex::default()
        } else {
            TermIndex::build(&mined, &glossaries)
        };
        Built {
            analysis: Analysis {
                workspace: Arc::new(workspace),
                corpus: Arc::new(corpus),
                passages: Arc::new(passages),
                mined_terms: Arc::new(mined),
                terms: Arc::new(terms),
                notes: Arc::new(notes),
                problems: Arc::new(Vec::new()),
            },
            cursor: self.cursor,
        }
    }
}

/// A bibliography entry with a key, title, authors and date.
pub(crate) fn bib_entry(key: &str, title: &str, authors: &[&str], date: &str) -> BibEntry {
    BibEntry {
        key: key.to_string(),
        entry_type: "article".to_string(),
        title: Some(title.to_string()),
        authors: authors.iter().map(|a| a.to_string()).collect(),
        date: Some(date.to_string()),
        bib_path: root().join("refs.bib"),
        range: 0..10,
        ..BibEntry::default()
    }
}

/// Source metadata with a title, authors and date.
pub(crate) fn meta(title: &str, authors: &[&str], date: &str) -> SourceMeta {
    SourceMeta {
        title: Some(title.to_string()),
        authors: authors.iter().map(|a| a.to_string()).collect(),
        date: Some(date.to_string()),
        ..SourceMeta::default()
    }
}

/// A term mined from a source: `term` with an optional expansion, defined by `sentence` (which
/// must be in the source's text).
pub(crate) fn mined_term(
    term: &str,
    expansion: Option<&str>,
    key: &str,
    source_text: &str,
    sentences: &[&str],
) -> TermInfo {
    TermInfo {
        term: term.to_string(),
        aliases: Vec::new(),
        expansion: expansion.map(str::to_string),
        glossary: Vec::new(),
        excerpts: sentences
            .iter()
            .enumerate()
            .map(|(i, sentence)| SourceExcerpt {
                key: key.to_string(),
                path: source_path(key),
                range: range_of(source_text, sentence),
                text: sentence.to_string(),
                score: 1.0 - i as f32 / 10.0,
            })
            .collect(),
    }
}

/// A source defining the acronym `JBC` in four sentences, and a note glossary defining
/// `Riverbend Rule`: the term fixture. `note` is the text of `notes/a.md`.
pub(crate) fn term_fixture(note: &str) -> Fixture {
    const SOURCE: &str = "# Report\n\nThe Joint Basin Commission (JBC) met in May. The JBC shares data weekly. Later the JBC voted. Then the JBC adjourned.\n";
    Fixture::new()
        .source_with_meta(
            "osei2022",
            SOURCE,
            meta("Basin Report", &["Osei, K."], "2022"),
        )
        .term(mined_term(
            "JBC",
            Some("Joint Basin Commission"),
            "osei2022",
            SOURCE,
            &[
                "The Joint Basin Commission (JBC) met in May.",
                "The JBC shares data weekly.",
                "Later the JBC voted.",
                "Then the JBC adjourned.",
            ],
        ))
        .note(
            "glossary.md",
            "# Terms\n\nRiverbend Rule\n: No state alters the flow alone.\n",
        )
        .note("a.md", note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::matcher::MatchKind;
    use crate::analysis::resolve::QuoteStatus;

    #[test]
    fn fixture_parses_notes_and_resolves_quotations() {
        let built = Fixture::new()
            .source("smith2020", "Some words here are quoted by the note.")
            .note(
                "a.md",
                "# Notes\n\nShe wrote \"words here are quoted\" [see @smith2020, p. 4; -@doe].\n\nAnd \"are quoted by the\" note.$0\n",
            )
            .build();
        let path = note_path("a.md");
        assert_eq!(built.cursor(), (path.clone(), built.text(&path).len() - 1));
        let note = built.analysis.note(&path).expect("note");
        assert_eq!(note.note.quotations.len(), 2);
        assert_eq!(note.resolutions[0].status, QuoteStatus::Verified);
        assert_eq!(note.resolutions[1].status, QuoteStatus::Uncited);
        let found = note.resolutions[0].found.as_ref().expect("found");
        assert_eq!(found.range, 5..26);
        assert_eq!(found.kind, MatchKind::Exact);
    }
}

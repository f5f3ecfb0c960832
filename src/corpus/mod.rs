//! The corpus: every source's original text, its metadata and key, and two normalised projections
//! that map back to exact byte ranges of the original: `clean` (markup stripped, whitespace
//! collapsed, case kept: for reading, terms and sentences) and `key` (the matching key: see
//! `normalize`).

pub(crate) mod ascii;
mod budget;
pub mod cache;
mod index;
pub mod load;
#[cfg(test)]
mod markdown;
mod markup;
pub mod normalize;
mod pack;
mod stored;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

pub(crate) use budget::indexing_share;
pub use cache::{CacheDir, CacheReport};
pub(crate) use index::key_word_hashes;
pub use index::{
    PairFilter, WordIndex, WordsAtBreak, WordsHeld, is_indexed, is_unspaced, key_word_end,
    key_word_start, key_words, word_hash, words_at_breaks,
};
pub use normalize::{MappedText, normalize_key};
pub use stored::{StoredText, StoredU32s, release_pending, set_release_batch};

use crate::ByteRange;
use crate::diagnostic::Diagnostic;
use crate::workspace::{BibEntry, Workspace};

/// How a source file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Markdown,
    Plain,
}

/// What is known about a source, merged from its bibliography entry and frontmatter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceMeta {
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub date: Option<String>,
    pub container: Option<String>,
    pub url: Option<String>,
    /// The bibliography entry this source came from (file and entry range), if any.
    pub bib: Option<(PathBuf, ByteRange)>,
}

/// One source file.
#[derive(Debug)]
pub struct Source {
    /// The citation key.
    pub key: String,
    /// Absolute path.
    pub path: PathBuf,
    pub format: SourceFormat,
    /// The original text (lossily decoded if it was not valid UTF-8).
    pub text: StoredText,
    /// `cache::content_hash` of `text`.
    pub content_hash: u128,
    pub meta: SourceMeta,
    /// Markup stripped, whitespace runs collapsed to one space, line-end hyphenation joined,
    /// case and punctuation kept. Maps to `text`.
    pub clean: MappedText,
    /// The matching key of the whole source (`normalize_key` applied to `clean`). Maps to `text`.
    pub key_text: MappedText,
    /// The distinct words of `key_text`, hashed and sorted (see `WordIndex`).
    pub words: StoredU32s,
    /// The pairs of adjacent words of `key_text`.
    pub pairs: PairFilter,
    /// What makes searching the source faster once it is searched (in memory only:
    /// `Source::where_run_may_start`, `Source::words_at_breaks`).
    search_aids: index::SearchAids,
}

/// All sources plus the bibliography entries (keys that are valid even without a readable file).
#[derive(Debug, Default)]
pub struct Corpus {
    pub sources: Vec<Arc<Source>>,
    /// Shared with the workspace it was loaded from (thousands of entries in a large library).
    pub bibliography: Arc<[BibEntry]>,
    by_key: Arc<HashMap<String, usize>>,
    by_path: Arc<HashMap<PathBuf, usize>>,
    words: WordIndex,
    /// `cache::corpus_fingerprint`, worked out once (the word index, the resolutions, the claims
    /// and the terms stored in the cache are all found by it).
    fingerprint: std::sync::OnceLock<u128>,
}

#[cfg(test)]
impl Source {
    /// A Markdown source with key `key` at `/ws/sources/<key>.md` and no metadata (unit tests).
    pub(crate) fn markdown_for_test(key: &str, text: &str) -> Source {
        Source::new(
            key.to_string(),
            PathBuf::from(format!("/ws/sources/{key}.md")),
            SourceFormat::Markdown,
            text.to_string(),
            SourceMeta::default(),
        )
    }
}

impl Corpus {
    /// Reads every source of the workspace (in parallel), assigns keys (bibliography `file` field,
    /// else frontmatter `id:`, else the file stem) and metadata. Problems (unreadable or binary
    /// files, invalid UTF-8, duplicate keys) come back beside the corpus, none of them fatal.
    pub fn load(workspace: &Workspace) -> (Corpus, Vec<Diagnostic>) {
        load::load_corpus(workspace, None)
    }

    /// `load` through the workspace's on-disk cache (see `cache`): unchanged sources come from
    /// it after a `stat`, the others are read and stored in it.
    pub fn load_cached(workspace: &Workspace) -> (Corpus, Vec<Diagnostic>) {
        let dir = CacheDir::for_workspace(workspace);
        let (corpus, diagnostics, _) = Corpus::load_with_cache(workspace, dir);
        (corpus, diagnostics)
    }

    /// `load` through the cache folder `dir` (none: no cache), saying what it did.
    pub fn load_with_cache(
        workspace: &Workspace,
        dir: Option<CacheDir>,
    ) -> (Corpus, Vec<Diagnostic>, Option<CacheReport>) {
        let Some(dir) = dir else {
            let (corpus, diagnostics) = Corpus::load(workspace);
            return (corpus, diagnostics, None);
        };
        let started = std::time::Instant::now();
        let cache = cache::SourceCache::open(dir, &workspace.root);
        let (corpus, diagnostics) = load::load_corpus(workspace, Some(&cache));
        let report = cache.finish();
        tracing::info!(
            "corpus loaded in {:.0?}: {} sources unchanged in the cache, {} read, {} normalised",
            started.elapsed(),
            report.unchanged,
            report.read.len(),
            report.normalised
        );
        (corpus, diagnostics, Some(report))
    }

    /// Builds a corpus from sources already in memory (tests, the LSP's unsaved buffers).
    pub fn from_sources(sources: Vec<Source>, bibliography: impl Into<Arc<[BibEntry]>>) -> Corpus {
        Corpus::from_shared(sources.into_iter().map(Arc::new).collect(), bibliography)
    }

    /// Which sources hold which words: for choosing where to search a quotation.
    pub fn word_index(&self) -> &WordIndex {
        &self.words
    }

    pub fn source(&self, key: &str) -> Option<&Arc<Source>> {
        self.by_key.get(key).map(|&i| &self.sources[i])
    }

    /// The index in `sources` of the source with key `key`.
    pub fn source_index(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    pub fn source_by_path(&self, path: &std::path::Path) -> Option<&Arc<Source>> {
        self.source_index_by_path(path)
            .and_then(|i| self.sources.get(i))
    }

    /// The index in `sources` of the source at `path`.
    pub fn source_index_by_path(&self, path: &std::path::Path) -> Option<usize> {
        self.by_path.get(path).copied()
    }

    /// The bibliography entry with this key.
    pub fn entry(&self, key: &str) -> Option<&BibEntry> {
        self.bibliography.iter().find(|e| e.key == key)
    }

    /// A key is known if a source or a bibliography entry has it.
    pub fn is_known_key(&self, key: &str) -> bool {
        self.by_key.contains_key(key) || self.entry(key).is_some()
    }
}

impl Source {
    /// Builds a source from text in memory: normalises it; metadata as given.
    pub fn new(
        key: String,
        path: PathBuf,
        format: SourceFormat,
        text: String,
        meta: SourceMeta,
    ) -> Source {
        let hash = cache::content_hash(text.as_bytes());
        Source::with_content_hash(key, path, format, text, meta, hash)
    }

    /// `new`, for a text whose `cache::content_hash` is `hash` (computed already).
    pub(crate) fn with_content_hash(
        key: String,
        path: PathBuf,
        format: SourceFormat,
        text: String,
        meta: SourceMeta,
        hash: u128,
    ) -> Source {
        let clean = normalize::clean_text(&text, format);
        let (key_text, words, pairs) = index_clean(&clean);
        Source {
            key,
            path,
            format,
            content_hash: hash,
            text: text.into(),
            meta,
            clean,
            key_text,
            words,
            pairs,
            search_aids: Default::default(),
        }
    }
}

/// What a source is searched by, from its clean text: its matching key, the key's word hashes
/// and the filter of its word pairs.
pub(crate) fn index_clean(clean: &MappedText) -> (MappedText, StoredU32s, PairFilter) {
    let key_text = normalize::key_of_clean(clean);
    let (words, pairs) = index::index_key(&key_text.text, &key_text.breaks);
    (key_text, words.into(), pairs)
}

impl Source {
    /// Gives back the memory pages of the source's texts that are mapped from the cache (see
    /// `StoredText::release`): after a pass over many sources has read them.
    pub fn release_pages(&self) {
        // The three texts come from one record: releasing one releases them all.
        self.text.release();
    }
}

impl Corpus {
    /// A corpus sharing these already-built sources (re-indexing one source keeps the others).
    pub fn from_shared(
        sources: Vec<Arc<Source>>,
        bibliography: impl Into<Arc<[BibEntry]>>,
    ) -> Corpus {
        Corpus::from_loaded(sources, Vec::new(), bibliography, None)
    }

    /// `from_shared`, the word index reading `built_words[i]` for source `i` when it is there
    /// (its word hashes on the heap, as they were built: the same as the source's own), or
    /// taken from `cache` when it holds this corpus's.
    fn from_loaded(
        sources: Vec<Arc<Source>>,
        built_words: Vec<Option<StoredU32s>>,
        bibliography: impl Into<Arc<[BibEntry]>>,
        cache: Option<&cache::SourceCache>,
    ) -> Corpus {
        let bibliography = bibliography.into();
        // The first source with a key (or path) is the one found by it.
        let mut by_key = HashMap::new();
        let mut by_path = HashMap::new();
        for (i, source) in sources.iter().enumerate() {
            by_key.entry(source.key.clone()).or_insert(i);
            by_path.entry(source.path.clone()).or_insert(i);
        }
        // The built words go as soon as the index is built (before it is stored: the peak of a
        // load of many small sources).
        let build = || {
            let index = WordIndex::build_reading(&sources, &built_words);
            drop(built_words);
            index
        };
        let fingerprint = std::sync::OnceLock::new();
        let words = match cache {
            Some(cache) => {
                let corpus = *fingerprint.get_or_init(|| cache::sources_fingerprint(&sources));
                cache.word_index(corpus, sources.len(), build)
            }
            None => build(),
        };
        Corpus {
            sources,
            bibliography,
            by_key: Arc::new(by_key),
            by_path: Arc::new(by_path),
            words,
            fingerprint,
        }
    }

    /// This corpus with the sources at the indices of `replaced` replaced by others of the same
    /// key and path (a source file saved): the rest shared, the word index updated rather than
    /// built again (see `WordIndex::with_sources_replaced`).
    pub fn with_sources_replaced(&self, replaced: Vec<(usize, Arc<Source>)>) -> Corpus {
        let mut sources = self.sources.clone();
        let mut before = Vec::with_capacity(replaced.len());
        let mut same_names = true;
        for (index, source) in replaced {
            if let Some(slot) = sources.get_mut(index) {
                same_names &= slot.key == source.key && slot.path == source.path;
                before.push((index, std::mem::replace(slot, source)));
            }
        }
        if !same_names {
            return Corpus::from_shared(sources, Arc::clone(&self.bibliography));
        }
        let words = self.words.with_sources_replaced(&sources, &before);
        Corpus {
            sources,
            bibliography: Arc::clone(&self.bibliography),
            by_key: Arc::clone(&self.by_key),
            by_path: Arc::clone(&self.by_path),
            words,
            // Other texts: another fingerprint, worked out when asked.
            fingerprint: std::sync::OnceLock::new(),
        }
    }

    /// Every citation key: sources first, then bibliography entries without a source.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.sources.iter().map(|s| s.key.as_str()).collect();
        for entry in self.bibliography.iter() {
            if !self.by_key.contains_key(&entry.key) {
                keys.push(&entry.key);
            }
        }
        keys
    }
}

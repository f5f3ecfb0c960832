//! Reading source files: lossy UTF-8 with a warning, binary files skipped with a warning, key and
//! metadata assignment, duplicate keys reported.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::cache::{ReadText, Record, RecordFor, RecordRef, SourceCache};
use super::{Corpus, Source, SourceFormat, SourceMeta, StoredU32s};
use crate::diagnostic::{Diagnostic, DiagnosticCode, Related};
use crate::text::{ColumnEncoding, LineIndex};
use crate::workspace::frontmatter::{Frontmatter, parse_frontmatter};
use crate::workspace::{BibEntry, Workspace};

/// How many leading bytes are searched for a NUL byte to tell a binary file.
const BINARY_PROBE: usize = 8 * 1024;

pub(crate) fn load_corpus(
    workspace: &Workspace,
    cache: Option<&SourceCache>,
) -> (Corpus, Vec<Diagnostic>) {
    let entries = EntryIndex::new(&workspace.bibliography);
    let loaded: Vec<(Option<Loaded>, Vec<Diagnostic>)> = workspace
        .sources
        .par_iter()
        .map(|path| load_source(path, &entries, cache))
        .collect();

    let mut diagnostics = Vec::new();
    let mut sources = Vec::new();
    for (source, problems) in loaded {
        diagnostics.extend(problems);
        sources.extend(source);
    }

    // The strongest claim to a key wins (bibliography, then frontmatter, then file name), then
    // the first path.
    let mut order: Vec<usize> = (0..sources.len()).collect();
    order.sort_by_key(|&i| sources.get(i).map(|s| s.key_origin));
    let mut owner: HashMap<String, PathBuf> = HashMap::new();
    let mut keep = vec![true; sources.len()];
    for i in order {
        let Some(loaded) = sources.get(i) else {
            continue;
        };
        let source = &loaded.source;
        if let Some(first) = owner.get(&source.key) {
            diagnostics.push(
                Diagnostic::new(
                    DiagnosticCode::DuplicateKey,
                    source.path.clone(),
                    0..0,
                    format!(
                        "duplicate key `{}`: {} already has it, so this source is left out \
                         (give one of them another `id:` in its frontmatter)",
                        source.key,
                        workspace.relative(first).display()
                    ),
                )
                .with_related(Related {
                    path: first.clone(),
                    range: 0..0,
                    message: format!("the source with key `{}`", source.key),
                }),
            );
            if let Some(flag) = keep.get_mut(i) {
                *flag = false;
            }
        } else {
            owner.insert(source.key.clone(), source.path.clone());
        }
    }
    let (sources, built_words): (Vec<Arc<Source>>, Vec<Option<StoredU32s>>) = sources
        .into_iter()
        .zip(keep)
        .filter_map(|(loaded, keep)| keep.then_some((Arc::new(loaded.source), loaded.built_words)))
        .unzip();
    (
        Corpus::from_loaded(sources, built_words, workspace.bibliography.clone(), cache),
        diagnostics,
    )
}

/// Where a source's key came from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum KeyOrigin {
    Bibliography,
    Frontmatter,
    FileName,
}

struct Loaded {
    source: Source,
    key_origin: KeyOrigin,
    /// `invalid-frontmatter`, when the source's frontmatter is not YAML.
    problem: Option<Diagnostic>,
    /// The source's word hashes on the heap, when they were just built and its own are mapped
    /// from its record: the word index reads these (then they go).
    built_words: Option<StoredU32s>,
}

/// Bibliography entries by the files they name: by canonical path, and by file name for entries
/// exported on another machine (absolute paths that do not exist here).
struct EntryIndex<'a> {
    by_path: HashMap<PathBuf, &'a BibEntry>,
    by_name: HashMap<OsString, Vec<&'a BibEntry>>,
}

impl<'a> EntryIndex<'a> {
    fn new(entries: &'a [BibEntry]) -> Self {
        let mut by_path = HashMap::new();
        let mut by_name: HashMap<OsString, Vec<&BibEntry>> = HashMap::new();
        // The files' canonical paths, worked out side by side (a `stat` each: thousands of
        // them took a core ~7 ms before any source was read), then taken in order.
        let files: Vec<(&BibEntry, &PathBuf)> = entries
            .iter()
            .flat_map(|entry| entry.files.iter().map(move |file| (entry, file)))
            .collect();
        let folders = canonical_folders(files.iter().map(|&(_, file)| file.as_path()));
        let canonical_files: Vec<PathBuf> = files
            .par_iter()
            .map(|&(_, file)| canonical_in(file, &folders))
            .collect();
        for ((entry, file), canonical_file) in files.into_iter().zip(canonical_files) {
            by_path.entry(canonical_file).or_insert(entry);
            if let Some(name) = file.file_name() {
                let named = by_name.entry(name.to_os_string()).or_default();
                if !named.iter().any(|e| std::ptr::eq(*e, entry)) {
                    named.push(entry);
                }
            }
        }
        EntryIndex { by_path, by_name }
    }

    /// The entry naming `path`: same canonical path, else the only entry naming a file with the
    /// same name.
    fn find(&self, path: &Path) -> Option<&'a BibEntry> {
        // A path found as it is is canonical already (as the keys are): the walk lists most
        // sources so, and canonicalising reads every component's link (a few system calls
        // per source, for thousands of sources).
        if let Some(entry) = self
            .by_path
            .get(path)
            .or_else(|| self.by_path.get(&canonical(path)))
        {
            return Some(entry);
        }
        match self.by_name.get(path.file_name()?)?.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// The canonical path of each folder (as written) holding one of `files`: a bibliography names
/// thousands of files in a few folders, and canonicalising reads the link of every component of
/// every path.
fn canonical_folders<'p>(files: impl Iterator<Item = &'p Path>) -> HashMap<PathBuf, PathBuf> {
    let mut folders: Vec<&Path> = files
        .filter_map(Path::parent)
        .filter(|folder| !folder.as_os_str().is_empty())
        .collect();
    folders.sort_unstable();
    folders.dedup();
    folders
        .into_par_iter()
        .map(|folder| (folder.to_path_buf(), canonical(folder)))
        .collect()
}

/// `canonical(path)`, through the canonical path of its folder in `folders` (`canonical_folders`).
/// The file itself, when it is a link, is followed as `canonical` follows it.
fn canonical_in(path: &Path, folders: &HashMap<PathBuf, PathBuf>) -> PathBuf {
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return canonical(path);
    };
    let is_link = std::fs::symlink_metadata(path).map(|m| m.file_type().is_symlink());
    match folders.get(folder) {
        Some(canonical_folder) if matches!(is_link, Ok(false)) => canonical_folder.join(name),
        _ => canonical(path),
    }
}

/// The format a file is written in, by its extension.
pub fn format_of(path: &Path) -> SourceFormat {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("md" | "markdown") => SourceFormat::Markdown,
        _ => SourceFormat::Plain,
    }
}

fn load_source(
    path: &Path,
    entries: &EntryIndex,
    cache: Option<&SourceCache>,
) -> (Option<Loaded>, Vec<Diagnostic>) {
    let format = format_of(path);
    let metadata = cache.and_then(|_| std::fs::metadata(path).ok());
    if let (Some(cache), Some(metadata)) = (cache, &metadata)
        && let Some(record) = cache.unchanged(path, metadata, format)
    {
        return from_record(path, record, entries);
    }
    let unreadable = |message: String| {
        Diagnostic::new(
            DiagnosticCode::UnreadableFile,
            path.to_path_buf(),
            0..0,
            message,
        )
    };
    // Read (and indexed, and stored) within a share of the indexing budget the size of the file
    // (as the cache's `stat` just read it, when there is one).
    let read = std::fs::File::open(path).and_then(|mut file| {
        let size = match &metadata {
            Some(metadata) => metadata.len(),
            None => file.metadata().map_or(0, |m| m.len()),
        };
        let share = super::indexing_share(size);
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.read_to_end(&mut bytes).map(|_| (bytes, share))
    });
    let (bytes, _share) = match read {
        Ok(read) => read,
        Err(error) => {
            let message = format!("cannot read this source: {error}; it is left out");
            return (None, vec![unreadable(message)]);
        }
    };
    let probe = bytes.get(..BINARY_PROBE.min(bytes.len())).unwrap_or(&bytes);
    if let Some(nul) = memchr::memchr(0, probe) {
        let message = format!(
            "this source looks like a binary file (a NUL byte at byte {nul}); it is left out"
        );
        return (None, vec![unreadable(message)]);
    }
    let mut diagnostics = Vec::new();
    // Decoded once: only cleanly decoded sources are cached, the others keep their warning on
    // every load.
    let decoded = String::from_utf8(bytes);
    let cached = match (cache, &decoded) {
        (Some(cache), Ok(text)) => {
            let hash = super::cache::content_hash(text.as_bytes());
            match cache.by_content(path, metadata.as_ref(), hash, format) {
                Some(record) => {
                    return from_record(path, record, entries);
                }
                None => Some((cache, hash)),
            }
        }
        _ => None,
    };
    let text = match decoded {
        Ok(text) => text,
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let position = LineIndex::new(&text).line_col(&text, at, ColumnEncoding::Utf8);
            let mut diagnostic = unreadable(format!(
                "not valid UTF-8 (decoded with replacement characters): the first invalid byte \
                 is at line {}, column {}",
                position.line + 1,
                position.col + 1
            ));
            diagnostic.range = at..(at + '\u{FFFD}'.len_utf8()).min(text.len());
            diagnostics.push(diagnostic);
            text
        }
    };
    if let Some((cache, hash)) = cached
        && cache.is_writable()
    {
        return match build_recorded_source(path, text, hash, entries, cache, metadata.as_ref()) {
            Some(mut loaded) => {
                diagnostics.extend(loaded.problem.take());
                (Some(loaded), diagnostics)
            }
            // The record could not be written (the cache is off from now on) and the original
            // text was given up: read again, without the cache.
            None => load_source(path, entries, None),
        };
    }
    let hash = cached.map(|(_, hash)| hash);
    let mut loaded = build_source(path, Text::Raw(text, hash), entries);
    if let Some((cache, hash)) = cached {
        // Not writable: counted as normalised, not stored.
        move_into_record(cache, &mut loaded.source, metadata.as_ref(), hash);
    }
    diagnostics.extend(loaded.problem.take());
    (Some(loaded), diagnostics)
}

/// A source read now (its original `text` hashing to `hash`) built as it is written to the
/// cache (`SourceCache::store_indexing`): its original is given up once in the record, before
/// its key is built. `None` when the record cannot be written.
fn build_recorded_source(
    path: &Path,
    text: String,
    hash: u128,
    entries: &EntryIndex,
    cache: &SourceCache,
    metadata: Option<&std::fs::Metadata>,
) -> Option<Loaded> {
    let Described {
        key,
        key_origin,
        meta,
        problem,
    } = describe(path, &text, entries);
    let format = format_of(path);
    let clean = super::normalize::clean_text(&text, format);
    let read = ReadText {
        original: text,
        clean: &clean,
    };
    let of = RecordFor {
        path,
        metadata,
        hash,
        format,
    };
    let (record, built_words) = cache.store_indexing(of, read, super::index_clean)?;
    Some(Loaded {
        built_words: Some(built_words),
        source: from_record_parts(key, path.to_path_buf(), format, record, meta),
        key_origin,
        problem,
    })
}

/// Stores `source` (whose original text hashes to `hash`) in the cache and takes its texts, maps
/// and word hashes back mapped from the record's file: the heap copies go. Unchanged when the
/// record cannot be written.
fn move_into_record(
    cache: &SourceCache,
    source: &mut Source,
    metadata: Option<&std::fs::Metadata>,
    hash: u128,
) {
    let record = RecordRef {
        text: &source.text,
        clean: &source.clean,
        key_text: &source.key_text,
        words: &source.words,
        pairs: &source.pairs,
    };
    let of = RecordFor {
        path: &source.path,
        metadata,
        hash,
        format: source.format,
    };
    if let Some(stored) = cache.store(of, record) {
        source.text = stored.text;
        source.clean = stored.clean;
        source.key_text = stored.key_text;
        source.words = stored.words;
    }
}

/// The cache's records, for sources indexed again outside a load (source files changed while the
/// language server runs): each is kept in its record, mapped, as a loaded source is, rather than
/// on the heap. Fifty sources of a megabyte changed at once (a `git pull`) otherwise held some
/// 300 MB of heap until the next reload.
pub struct SourceRecords(SourceCache);

impl SourceRecords {
    /// The records of `workspace`'s cache; `None` when it has none (`cache = false`).
    pub fn for_workspace(workspace: &Workspace) -> Option<SourceRecords> {
        let dir = super::CacheDir::for_workspace(workspace)?;
        Some(SourceRecords(SourceCache::records(dir, &workspace.root)))
    }

    /// The source of `text` (key, format and metadata as given): from its record when the cache
    /// holds that text already (a file changed back), else normalised now and stored.
    pub fn source(
        &self,
        key: String,
        path: PathBuf,
        format: SourceFormat,
        text: String,
        meta: SourceMeta,
    ) -> Source {
        let hash = super::cache::content_hash(text.as_bytes());
        if let Some(record) = self.0.by_content(&path, None, hash, format) {
            return from_record_parts(key, path, format, record, meta);
        }
        let mut source = Source::with_content_hash(key, path, format, text, meta, hash);
        move_into_record(&self.0, &mut source, None, hash);
        source
    }
}

impl Drop for SourceRecords {
    /// The records stored are found by later loads once their packs are sealed.
    fn drop(&mut self) {
        self.0.seal_packs();
    }
}

/// A source's text: as read, or with its projections from the cache.
enum Text {
    /// A source's text, and its `cache::content_hash` when it was computed already.
    Raw(String, Option<u128>),
    /// (Boxed: a record is ten times the size of a `String`.)
    Normalised(Box<Record>),
}

impl From<Record> for Text {
    fn from(record: Record) -> Text {
        Text::Normalised(Box::new(record))
    }
}

/// A source from text already read (an editor's unsaved buffer of a source file): format by
/// extension, key and metadata assigned as `load_corpus` does (bibliography entry naming the
/// file, else frontmatter `id:`, else the file stem).
pub fn source_from_text(path: &Path, text: String, bibliography: &[BibEntry]) -> Source {
    build_source(path, Text::Raw(text, None), &EntryIndex::new(bibliography)).source
}

/// A source from its cached record, with the problems of its frontmatter (which the cache does
/// not keep: they depend on the bibliography too).
fn from_record(
    path: &Path,
    record: Record,
    entries: &EntryIndex,
) -> (Option<Loaded>, Vec<Diagnostic>) {
    let mut loaded = build_source(path, record.into(), entries);
    // Reading the frontmatter mapped the record's first pages: give them back.
    loaded.source.release_pages();
    let problems = loaded.problem.take().into_iter().collect();
    (Some(loaded), problems)
}

fn build_source(path: &Path, text: Text, entries: &EntryIndex) -> Loaded {
    let original = match &text {
        Text::Raw(text, _) => text.as_str(),
        Text::Normalised(record) => record.text.as_str(),
    };
    let Described {
        key,
        key_origin,
        meta,
        problem,
    } = describe(path, original, entries);
    let (path, format) = (path.to_path_buf(), format_of(path));
    let source = match text {
        Text::Raw(text, Some(hash)) => {
            Source::with_content_hash(key, path, format, text, meta, hash)
        }
        Text::Raw(text, None) => Source::new(key, path, format, text, meta),
        Text::Normalised(record) => from_record_parts(key, path, format, *record, meta),
    };
    Loaded {
        source,
        key_origin,
        problem,
        built_words: None,
    }
}

/// What a source's path, frontmatter and bibliography entry say of it.
struct Described {
    key: String,
    key_origin: KeyOrigin,
    meta: SourceMeta,
    /// What is wrong with its frontmatter.
    problem: Option<Diagnostic>,
}

/// What the source at `path`, whose original text is `original`, is: its key (and where it
/// comes from), its metadata, any problem of its frontmatter.
fn describe(path: &Path, original: &str, entries: &EntryIndex) -> Described {
    let frontmatter = parse_frontmatter(original);
    let entry = entries.find(path);
    let (key, key_origin) = assign_key(path, entry, frontmatter.as_ref());
    let meta = metadata(entry, frontmatter.as_ref());
    let problem = frontmatter
        .as_ref()
        .and_then(|fm| invalid_frontmatter(path, fm, &key, key_origin));
    Described {
        key,
        key_origin,
        meta,
        problem,
    }
}

/// A source whose texts, maps and word index come from its cache record.
fn from_record_parts(
    key: String,
    path: PathBuf,
    format: SourceFormat,
    record: Record,
    meta: SourceMeta,
) -> Source {
    Source {
        key,
        path,
        format,
        text: record.text,
        content_hash: record.hash,
        meta,
        clean: record.clean,
        key_text: record.key_text,
        words: record.words,
        pairs: record.pairs,
        search_aids: Default::default(),
    }
}

/// `invalid-frontmatter` on a source whose frontmatter is not YAML: its fields (`id:`, `title:`)
/// are ignored, and the message says where the key then comes from.
fn invalid_frontmatter(
    path: &Path,
    frontmatter: &Frontmatter,
    key: &str,
    key_origin: KeyOrigin,
) -> Option<Diagnostic> {
    let error = frontmatter.error.as_ref()?;
    let fallback = match key_origin {
        KeyOrigin::Bibliography => format!("its key `{key}` comes from the bibliography"),
        _ => format!("so its `id:` is not read and its key is `{key}`, from the file name"),
    };
    Some(Diagnostic::new(
        DiagnosticCode::InvalidFrontmatter,
        path.to_path_buf(),
        frontmatter.error_range.clone().unwrap_or(0..0),
        format!("{error}; the frontmatter's fields are ignored, {fallback}"),
    ))
}

fn assign_key(
    path: &Path,
    entry: Option<&BibEntry>,
    frontmatter: Option<&Frontmatter>,
) -> (String, KeyOrigin) {
    if let Some(entry) = entry {
        return (entry.key.clone(), KeyOrigin::Bibliography);
    }
    if let Some(id) = frontmatter.and_then(|fm| fm.string("id")) {
        return (id, KeyOrigin::Frontmatter);
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    (stem, KeyOrigin::FileName)
}

/// Metadata field by field: the bibliography entry's, else the frontmatter's.
fn metadata(entry: Option<&BibEntry>, frontmatter: Option<&Frontmatter>) -> SourceMeta {
    let from_frontmatter = |key: &str| frontmatter.and_then(|fm| fm.string(key));
    let authors = match entry {
        Some(entry) if !entry.authors.is_empty() => entry.authors.clone(),
        _ => frontmatter
            .map(|fm| fm.strings("author"))
            .unwrap_or_default(),
    };
    SourceMeta {
        title: entry
            .and_then(|e| e.title.clone())
            .or_else(|| from_frontmatter("title")),
        authors,
        date: entry
            .and_then(|e| e.date.clone())
            .or_else(|| from_frontmatter("date")),
        container: entry
            .and_then(|e| e.container.clone())
            .or_else(|| from_frontmatter("container"))
            .or_else(|| from_frontmatter("publisher")),
        url: entry
            .and_then(|e| e.url.clone())
            .or_else(|| from_frontmatter("url")),
        bib: entry.map(|e| (e.bib_path.clone(), e.range.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Config;

    fn workspace(root: &Path, sources: Vec<PathBuf>, bibliography: Vec<BibEntry>) -> Workspace {
        Workspace {
            root: root.to_path_buf(),
            config: Config::default(),
            config_path: None,
            sources,
            notes: Vec::new(),
            bibliography: bibliography.into(),
            problems: Vec::new(),
        }
    }

    fn entry(key: &str, files: Vec<PathBuf>) -> BibEntry {
        BibEntry {
            key: key.to_string(),
            entry_type: "article".to_string(),
            title: Some(format!("Title of {key}")),
            authors: vec!["Doe, Jane".to_string()],
            date: Some("2021".to_string()),
            files,
            bib_path: PathBuf::from("/refs.bib"),
            range: 10..20,
            ..BibEntry::default()
        }
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write fixture");
        path
    }

    /// A source read now is built as its record is written (its original given up before its
    /// key is built) and comes out as one built in memory; when the record cannot be written
    /// (here the cache's `packs` folder turns into a file once the cache is open), it is read
    /// again without the cache, whole, and the cache is off from then on.
    #[test]
    fn a_source_built_as_its_record_is_written_is_the_source_built_in_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let text = "---\ntitle: Levee\n---\n# The *levee*\n\nThe levee held through the \
                    [storm](http://x.org), and the water fell in 1990.\n\nThen the river rose.\n";
        let path = write(&root, "levee.md", text.as_bytes());
        let in_memory = Source::new(
            "levee".into(),
            path.clone(),
            SourceFormat::Markdown,
            text.into(),
            SourceMeta {
                title: Some("Levee".into()),
                ..SourceMeta::default()
            },
        );
        let same = |source: &Source| {
            assert_eq!(source.key, "levee");
            assert_eq!(source.text.as_str(), text);
            assert_eq!(source.clean, in_memory.clean);
            assert_eq!(source.key_text, in_memory.key_text);
            assert_eq!(source.words, in_memory.words);
            assert_eq!(source.pairs.bits(), in_memory.pairs.bits());
            assert_eq!(source.content_hash, in_memory.content_hash);
            assert_eq!(source.meta.title.as_deref(), Some("Levee"));
        };
        let entries = EntryIndex::new(&[]);
        let open = |name: &str| {
            let cache_dir = crate::corpus::CacheDir {
                path: root.join(name),
                owned: false,
            };
            SourceCache::open(cache_dir, &root)
        };

        let cache = open("cache");
        let (loaded, diagnostics) = load_source(&path, &entries, Some(&cache));
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let loaded = loaded.expect("loaded");
        same(&loaded.source);
        assert!(cache.is_writable());
        assert!(
            loaded.source.text.is_mapped() && loaded.source.key_text.text.is_mapped(),
            "the texts come back mapped from the record"
        );

        let broken = open("broken");
        let packs = root.join("broken/packs");
        std::fs::remove_dir_all(&packs).expect("remove packs");
        std::fs::write(&packs, "not a folder").expect("block packs");
        let (loaded, diagnostics) = load_source(&path, &entries, Some(&broken));
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        same(&loaded.expect("read again").source);
        assert!(!broken.is_writable());
    }

    #[test]
    fn keys_from_entry_then_frontmatter_then_stem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let by_entry = write(&root, "by-entry.md", b"Some text.");
        let by_name = write(&root, "moved.txt", b"Moved text.");
        let by_id = write(&root, "with-id.md", b"---\nid: chosen2020\ntitle: Chosen\nauthor: [A, B]\ndate: 2020\nurl: http://x\npublisher: P\n---\nBody.");
        let by_stem = write(&root, "stem2019.txt", b"Stem text.");
        let bibliography = vec![
            entry("entry2021", vec![root.join(".").join("by-entry.md")]),
            entry(
                "zotero2022",
                vec![PathBuf::from("/elsewhere/storage/moved.txt")],
            ),
        ];
        let ws = workspace(
            &root,
            vec![by_entry, by_id.clone(), by_name, by_stem],
            bibliography,
        );
        let (corpus, diagnostics) = Corpus::load(&ws);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let keys: Vec<&str> = corpus.sources.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["entry2021", "chosen2020", "zotero2022", "stem2019"]);

        let with_entry = corpus.source("entry2021").expect("entry source");
        assert_eq!(with_entry.meta.title.as_deref(), Some("Title of entry2021"));
        assert_eq!(
            with_entry.meta.bib,
            Some((PathBuf::from("/refs.bib"), 10..20))
        );
        assert_eq!(with_entry.format, SourceFormat::Markdown);

        let with_id = corpus.source("chosen2020").expect("frontmatter source");
        assert_eq!(with_id.path, by_id);
        assert_eq!(with_id.meta.title.as_deref(), Some("Chosen"));
        assert_eq!(with_id.meta.authors, ["A", "B"]);
        assert_eq!(with_id.meta.date.as_deref(), Some("2020"));
        assert_eq!(with_id.meta.url.as_deref(), Some("http://x"));
        assert_eq!(with_id.meta.container.as_deref(), Some("P"));
        assert_eq!(with_id.meta.bib, None);
        // The frontmatter is not part of the text to match.
        assert_eq!(with_id.clean.text, "Body.");
        assert_eq!(with_id.key_text.text, "body");

        let stem = corpus.source("stem2019").expect("stem source");
        assert_eq!(stem.format, SourceFormat::Plain);
        assert_eq!(stem.meta, SourceMeta::default());
    }

    /// Bibliography paths through a linked folder, to a link, with `..`, and a source listed
    /// through a link: each found as canonicalising every path finds it.
    #[cfg(unix)]
    #[test]
    fn entries_are_found_through_links_and_dot_dots() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir(root.join("real")).expect("mkdir");
        let link = |to: &str, at: &str| {
            std::os::unix::fs::symlink(root.join(to), root.join(at)).expect("symlink")
        };
        link("real", "folder-link");
        let files = ["a", "b", "c", "d"].map(|name| {
            let path = write(&root, &format!("real/{name}.md"), b"Text.");
            (name, path)
        });
        link("real/b.md", "b-link.md");
        let named = [
            ("a", root.join("folder-link/a.md")),
            ("b", root.join("b-link.md")),
            ("c", root.join("real/../real/c.md")),
            ("d", root.join("real/d.md")),
            ("gone", root.join("real/gone.md")),
            ("elsewhere", PathBuf::from("/nowhere/at/all.md")),
        ];
        let folders = canonical_folders(named.iter().map(|(_, path)| path.as_path()));
        for (_, path) in &named {
            assert_eq!(canonical_in(path, &folders), canonical(path), "{path:?}");
        }
        let bibliography: Vec<BibEntry> = named
            .iter()
            .map(|(key, path)| entry(&format!("{key}2020"), vec![path.clone()]))
            .collect();
        let mut sources: Vec<PathBuf> = files.iter().take(3).map(|(_, p)| p.clone()).collect();
        sources.push(root.join("folder-link/d.md"));
        let (corpus, _) = Corpus::load(&workspace(&root, sources, bibliography));
        let keys: Vec<&str> = corpus.sources.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["a2020", "b2020", "c2020", "d2020"]);
    }

    #[test]
    fn file_name_fallback_needs_a_single_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let path = write(&root, "same.md", b"Text.");
        let bibliography = vec![
            entry("one", vec![PathBuf::from("/a/same.md")]),
            entry("two", vec![PathBuf::from("/b/same.md")]),
        ];
        let (corpus, _) = Corpus::load(&workspace(&root, vec![path], bibliography));
        assert_eq!(corpus.sources[0].key, "same");
        assert!(corpus.is_known_key("one") && corpus.is_known_key("two"));
    }

    #[test]
    fn duplicate_keys_keep_the_strongest_claim() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir(root.join("a")).expect("mkdir");
        std::fs::create_dir(root.join("b")).expect("mkdir");
        let first = write(&root, "a/smith.md", b"First.");
        let second = write(&root, "b/smith.txt", b"Second.");
        let claimed = write(&root, "c.md", b"---\nid: smith\n---\nThird.");
        let ws = workspace(
            &root,
            vec![first.clone(), second.clone(), claimed.clone()],
            vec![],
        );
        let (corpus, diagnostics) = Corpus::load(&ws);
        // The frontmatter `id:` is a stronger claim than a file name.
        assert_eq!(
            corpus.source("smith").map(|s| s.path.clone()),
            Some(claimed.clone())
        );
        assert_eq!(corpus.sources.len(), 1);
        assert_eq!(diagnostics.len(), 2);
        for (diagnostic, path) in diagnostics.iter().zip([&first, &second]) {
            assert_eq!(diagnostic.code, DiagnosticCode::DuplicateKey);
            assert_eq!(&diagnostic.path, path);
            assert_eq!(diagnostic.range, 0..0);
            assert_eq!(diagnostic.related[0].path, claimed);
            assert!(
                diagnostic.message.contains("`smith`"),
                "{}",
                diagnostic.message
            );
            assert!(
                diagnostic.message.contains("c.md"),
                "{}",
                diagnostic.message
            );
        }
    }

    #[test]
    fn invalid_frontmatter_is_reported_and_the_key_falls_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let broken = write(
            &root,
            "broken2020.md",
            b"---\nid: chosen\ntitle: a: b\n---\nBody.",
        );
        let listed = write(&root, "listed.md", b"---\nid: [x\n---\nListed body.");
        let bibliography = vec![entry("entry2021", vec![listed.clone()])];
        let ws = workspace(&root, vec![broken.clone(), listed.clone()], bibliography);
        let (corpus, diagnostics) = Corpus::load(&ws);
        // Both sources load: one under its file stem, one under its bibliography key.
        assert!(corpus.source("broken2020").is_some());
        assert!(corpus.source("chosen").is_none());
        assert!(corpus.source("entry2021").is_some());
        let rendered: Vec<String> = diagnostics
            .iter()
            .map(|d| {
                assert_eq!(d.code, DiagnosticCode::InvalidFrontmatter);
                let text = std::fs::read_to_string(&d.path).unwrap_or_default();
                format!(
                    "{} {:?}: {}",
                    d.path.file_name().unwrap_or_default().to_string_lossy(),
                    text.get(d.range.clone()).unwrap_or("?"),
                    d.message
                )
            })
            .collect();
        expect_test::expect![[r#"
            [
                "broken2020.md \"title: a: b\": invalid YAML frontmatter at line 3: mapping values are not allowed in this context; the frontmatter's fields are ignored, so its `id:` is not read and its key is `broken2020`, from the file name",
                "listed.md \"---\": invalid YAML frontmatter at line 3: while parsing a flow sequence, expected ',' or ']'; the frontmatter's fields are ignored, its key `entry2021` comes from the bibliography",
            ]
        "#]]
        .assert_debug_eq(&rendered);
    }

    #[test]
    fn invalid_utf8_is_decoded_with_a_warning() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let path = write(&root, "latin.txt", b"first line\ncaf\xe9 au lait");
        let (corpus, diagnostics) = Corpus::load(&workspace(&root, vec![path.clone()], vec![]));
        let source = corpus.source("latin").expect("decoded source");
        assert_eq!(source.text, "first line\ncaf\u{FFFD} au lait");
        assert_eq!(diagnostics.len(), 1);
        let diagnostic = &diagnostics[0];
        assert_eq!(diagnostic.code, DiagnosticCode::UnreadableFile);
        assert_eq!(diagnostic.severity, crate::diagnostic::Severity::Warning);
        assert_eq!(diagnostic.path, path);
        assert_eq!(diagnostic.range, 14..17);
        expect_test::expect!["not valid UTF-8 (decoded with replacement characters): the first invalid byte is at line 2, column 4"]
            .assert_eq(&diagnostic.message);
    }

    #[test]
    fn binary_and_missing_files_are_skipped_with_a_warning() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let binary = write(&root, "image.md", b"PNG\x00\x01\x02");
        let missing = root.join("deleted.txt");
        let fine = write(&root, "fine.txt", b"Fine.");
        let ws = workspace(&root, vec![binary.clone(), missing.clone(), fine], vec![]);
        let (corpus, diagnostics) = Corpus::load(&ws);
        assert_eq!(corpus.sources.len(), 1);
        assert_eq!(corpus.sources[0].key, "fine");
        assert_eq!(diagnostics.len(), 2);
        assert!(
            diagnostics
                .iter()
                .all(|d| d.code == DiagnosticCode::UnreadableFile)
        );
        assert_eq!(diagnostics[0].path, binary);
        assert!(
            diagnostics[0].message.contains("binary"),
            "{}",
            diagnostics[0].message
        );
        assert_eq!(diagnostics[1].path, missing);
        assert!(
            diagnostics[1].message.contains("cannot read"),
            "{}",
            diagnostics[1].message
        );
    }

    #[test]
    fn source_from_text_assigns_keys_like_loading() {
        let bibliography = vec![entry("bib2020", vec![PathBuf::from("/x/named.md")])];
        let named = source_from_text(
            Path::new("/y/named.md"),
            "# A\n\nText".into(),
            &bibliography,
        );
        assert_eq!(named.key, "bib2020");
        assert_eq!(named.clean.text, "A Text");
        let with_id = source_from_text(
            Path::new("/y/other.txt"),
            "---\nid: own\n---\nT".into(),
            &bibliography,
        );
        assert_eq!(
            (with_id.key.as_str(), with_id.format),
            ("own", SourceFormat::Plain)
        );
        let by_stem = source_from_text(Path::new("/y/stem.md"), String::new(), &[]);
        assert_eq!(by_stem.key, "stem");
        assert_eq!(by_stem.key_text.text, "");
    }

    #[test]
    fn format_by_extension() {
        assert_eq!(format_of(Path::new("a.md")), SourceFormat::Markdown);
        assert_eq!(format_of(Path::new("a.MARKDOWN")), SourceFormat::Markdown);
        assert_eq!(format_of(Path::new("a.txt")), SourceFormat::Plain);
        assert_eq!(format_of(Path::new("README")), SourceFormat::Plain);
    }
}

//! The on-disk cache of the corpus: each source's normalised projections, so that a later load
//! (`ibid check`, `ibid lsp`, both read and write it) neither re-reads nor re-normalises a source
//! that has not changed.
//!
//! Layout of the cache folder (`.ibid/` at the workspace root, `IBID_CACHE_DIR` overrides it,
//! `cache = false` in `ibid.toml` turns it off):
//!
//! - `.gitignore` (`*`): the folder never lands in version control.
//! - `packs/<pack>.pack` and `packs/<pack>.idx`: one record per distinct source text and format,
//!   holding the original text, the clean and key projections with their offset maps, the word
//!   hashes and the filter of word pairs, many records to a pack, each pack with its index (see
//!   `pack`). Records are keyed by content, so they are shared by every workspace using the
//!   folder. Packs are sealed read-only and, on Unix, records are mapped into memory: a loaded
//!   source reads its texts, offset maps and word hashes from its record (see `stored`).
//! - `manifest-<root hash>.bin`: per workspace, each source path with the size, modification time
//!   and content hash it had when it was read. A source whose size and time still match is taken
//!   from its record without opening the file (one `stat`).
//!
//! Every file starts with a magic number, the cache format version and the ibid version, and
//! carries a checksum of its payload (each record of a pack too): a file from another version,
//! truncated or corrupt, is ignored (and rewritten). Files are written to a temporary name and
//! renamed into place (a pack is found only once its index is), so a reader never sees half a
//! file and two processes writing at once do no harm. A cache folder
//! that cannot be written is read when it can be, and otherwise ignored, with one log line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::normalize::{EncodedMap, MappedText};
use super::pack::{PackIndex, PackWriter, RecordBytes, RecordOut};
use super::stored::{MappedBytes, RecordMap, StoredText, StoredU32s};
use super::{PairFilter, SourceFormat};
use crate::workspace::{CacheSetting, Workspace};

/// Bump when the encoding or anything that computes the cached data (normalisation, the word
/// hashes) changes: older files are then ignored.
/// (2: mined terms keep at most `terms::KEPT_EXCERPTS` excerpts each; 3: source records hold
/// the filter of word pairs; 4: the filter marks keys holding chars from U+0800 up; 5: records
/// in packs.)
const FORMAT_VERSION: u32 = 5;
const SOURCE_MAGIC: &[u8; 8] = b"ibid-src";
const MANIFEST_MAGIC: &[u8; 8] = b"ibid-man";
/// A file modified this close to the moment it was read might change again within the same
/// timestamp: it is not put in the manifest (so it is hashed again next time).
const RACY_WINDOW: Duration = Duration::from_secs(2);

/// The cache folder a workspace uses, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheDir {
    pub path: PathBuf,
    /// The workspace's own `.ibid/`: records no longer in its manifest may be deleted.
    pub owned: bool,
}

impl CacheDir {
    /// The folder for `workspace`: `IBID_CACHE_DIR` if set (and not empty), else the `cache`
    /// setting; `None` when the setting is `false`.
    pub fn for_workspace(workspace: &Workspace) -> Option<CacheDir> {
        let from_env = std::env::var_os("IBID_CACHE_DIR").filter(|v| !v.is_empty());
        Self::resolve(
            &workspace.root,
            &workspace.config.cache,
            from_env.map(PathBuf::from),
        )
    }

    fn resolve(root: &Path, setting: &CacheSetting, from_env: Option<PathBuf>) -> Option<CacheDir> {
        match (setting, from_env) {
            (CacheSetting::Off, _) => None,
            (_, Some(dir)) => Some(CacheDir {
                path: root.join(dir),
                owned: false,
            }),
            (CacheSetting::Dir(dir), None) => Some(CacheDir {
                path: root.join(dir),
                owned: false,
            }),
            (CacheSetting::Default, None) => Some(CacheDir {
                path: root.join(".ibid"),
                owned: true,
            }),
        }
    }
}

/// What a load did with the cache: for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheReport {
    /// Sources taken from the cache after a `stat` only.
    pub unchanged: usize,
    /// Sources whose file was read (new, changed, or touched), sorted.
    pub read: Vec<PathBuf>,
    /// Of those, how many were normalised (no record held their text).
    pub normalised: usize,
    /// Whether the cache could be written.
    pub writable: bool,
}

/// A source's data as the cache holds it.
#[derive(Debug)]
pub(crate) struct Record {
    /// The content hash the record is stored under (of `text`).
    pub hash: u128,
    pub text: StoredText,
    pub clean: MappedText,
    pub key_text: MappedText,
    pub words: StoredU32s,
    pub pairs: PairFilter,
}

/// One manifest line: what a source file looked like when its record was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    size: u64,
    modified_nanos: u128,
    hash: u128,
}

/// The cache of one load: the manifest read at the start, the one being built.
pub(crate) struct SourceCache {
    dir: CacheDir,
    /// The workspace's root (the workspace's own files in the folder are named by it).
    root: PathBuf,
    manifest_path: PathBuf,
    old: HashMap<PathBuf, FileStamp>,
    new: Mutex<Vec<(PathBuf, FileStamp)>>,
    writable: AtomicBool,
    warned: AtomicBool,
    unchanged: AtomicUsize,
    normalised: AtomicUsize,
    read: Mutex<Vec<PathBuf>>,
    started: SystemTime,
    /// The sealed packs' records, as they were when the cache was opened.
    packs: PackIndex,
    /// Packs being written, one taken by each thread storing a record.
    writers: Mutex<Vec<PackWriter>>,
}

/// The content hash of a source file.
pub(crate) fn content_hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

fn format_tag(format: SourceFormat) -> &'static str {
    match format {
        SourceFormat::Markdown => "md",
        SourceFormat::Plain => "txt",
    }
}

fn nanos_since_epoch(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

impl SourceCache {
    /// Opens the cache folder for a load of the workspace at `root`: reads its manifest (an
    /// unreadable or stale one counts as empty) and makes sure the folder exists.
    pub(crate) fn open(dir: CacheDir, root: &Path) -> SourceCache {
        let cache = SourceCache::records(dir, root);
        let old = read_manifest(&cache.manifest_path);
        SourceCache { old, ..cache }
    }

    /// Opens the cache folder for reading and writing records only (its manifest is not read):
    /// for sources indexed outside a load.
    pub(crate) fn records(dir: CacheDir, root: &Path) -> SourceCache {
        let manifest_path = workspace_file(&dir, root, "manifest");
        let cache = SourceCache {
            old: HashMap::new(),
            new: Mutex::new(Vec::new()),
            writable: AtomicBool::new(true),
            warned: AtomicBool::new(false),
            unchanged: AtomicUsize::new(0),
            normalised: AtomicUsize::new(0),
            read: Mutex::new(Vec::new()),
            started: SystemTime::now(),
            manifest_path,
            root: root.to_path_buf(),
            packs: PackIndex::read(&dir.path.join("packs")),
            writers: Mutex::new(Vec::new()),
            dir,
        };
        if let Err(error) = std::fs::create_dir_all(cache.packs_dir()) {
            cache.disable(&format!("cannot create it: {error}"));
        } else {
            let gitignore = cache.dir.path.join(".gitignore");
            if !gitignore.exists() {
                cache.write_atomically(&gitignore, b"*\n");
            }
        }
        cache
    }

    fn disable(&self, why: &str) {
        self.writable.store(false, Ordering::Relaxed);
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "the cache folder {} is not written ({why}); sources are read and normalised \
                 every time",
                self.dir.path.display()
            );
        }
    }

    fn packs_dir(&self) -> PathBuf {
        self.dir.path.join("packs")
    }

    /// The record of a source whose size and modification time match the manifest: no read of
    /// the source itself.
    pub(crate) fn unchanged(
        &self,
        path: &Path,
        metadata: &std::fs::Metadata,
        format: SourceFormat,
    ) -> Option<Record> {
        let stamp = self.old.get(path)?;
        let modified = nanos_since_epoch(metadata.modified().ok()?);
        if stamp.size != metadata.len() || stamp.modified_nanos != modified {
            return None;
        }
        let record = self.read_record(stamp.hash, format)?;
        self.unchanged.fetch_add(1, Ordering::Relaxed);
        self.note(path, *stamp);
        Some(record)
    }

    /// The record for a source just read (`bytes` its content), if the cache holds its text.
    pub(crate) fn by_content(
        &self,
        path: &Path,
        metadata: Option<&std::fs::Metadata>,
        hash: u128,
        format: SourceFormat,
    ) -> Option<Record> {
        self.mark_read(path);
        let record = self.read_record(hash, format)?;
        self.stamp(path, metadata, hash);
        Some(record)
    }

    /// Stores the record of a source just read and normalised, and gives back its texts, maps
    /// and word hashes in the record's file mapped into memory (when the file was written and
    /// could be mapped), so that the caller can drop its copies on the heap.
    pub(crate) fn store(&self, of: RecordFor<'_>, record: RecordRef<'_>) -> Option<StoredParts> {
        let (map, (text, rest)) = self.write_record(of, |file| {
            let text = file.str(record.text);
            let rest = encode_rest(file, record.clean, record.key_text, record.words);
            file.u64s(record.pairs.bits());
            (text, rest)
        })?;
        mapped_parts(
            &map,
            (text, record.text.len()),
            record.clean,
            record.key_text,
            rest,
        )
    }

    /// Whether records are written (not after a write failed, nor in a cache that cannot be).
    pub(crate) fn is_writable(&self) -> bool {
        self.writable.load(Ordering::Relaxed)
    }

    /// `store` for a source read now whose original text is given up once it is in the record: its matching key, word hashes and pair filter are built (`index`,
    /// from its `clean` text) only then, so that the original and the key are never on the heap
    /// at once (a source of 48 MB held its original, clean and key texts together: the peak of
    /// loading it). The record comes back with its texts and word hashes mapped, and with the
    /// word hashes as they were built, on the heap (for the corpus's word index, which reads
    /// them all: read back from thousands of small records, their page faults were most of its
    /// time). `None` when it cannot be written: the original is gone then, and the source must be
    /// read again.
    pub(crate) fn store_indexing(
        &self,
        of: RecordFor<'_>,
        read: ReadText<'_>,
        index: impl FnOnce(&MappedText) -> (MappedText, StoredU32s, PairFilter),
    ) -> Option<(Record, StoredU32s)> {
        let ReadText {
            original: text,
            clean,
        } = read;
        let built = self.write_record(of, |file| {
            let text_at = (file.str(&text), text.len());
            drop(text);
            let (key_text, words, pairs) = index(clean);
            let rest = encode_rest(file, clean, &key_text, &words);
            file.u64s(pairs.bits());
            (text_at, key_text, rest, pairs, words)
        });
        let (map, (text_at, key_text, rest, pairs, built_words)) = built?;
        let StoredParts {
            text,
            clean,
            key_text,
            words,
        } = mapped_parts(&map, text_at, clean, &key_text, rest)?;
        let record = Record {
            hash: of.hash,
            text,
            clean,
            key_text,
            words,
            pairs,
        };
        Some((record, built_words))
    }

    /// Writes a source's record (counted as normalised): its start (`start_record`), what
    /// `write` encodes, its checksum; puts the source in the new manifest. The record's map (and
    /// what `write` gave back); `None` when it cannot be written or mapped.
    fn write_record<T>(
        &self,
        of: RecordFor<'_>,
        write: impl FnOnce(&mut Encoder<'_>) -> T,
    ) -> Option<(Arc<RecordMap>, T)> {
        let RecordFor {
            path,
            metadata,
            hash,
            format,
        } = of;
        self.normalised.fetch_add(1, Ordering::Relaxed);
        if !self.is_writable() {
            return None;
        }
        // Written out as it is encoded: the payload's checksum, which precedes it, is filled in
        // once it is written.
        let mut written = None;
        let map = self.append_to_pack(hash, format, |out| {
            let mut file = Encoder::writing_to(out);
            let checksum_at = start_record(&mut file, hash, format);
            written = Some(write(&mut file));
            let checksum = file.finish()?;
            out.write_at(checksum_at, &checksum.to_le_bytes())
        })?;
        self.stamp(path, metadata, hash);
        Some((map?, written?))
    }

    /// Appends a record to a pack of this cache's (one no other thread is writing to), mapped
    /// back when it can be. `None` (and the cache turned off for writing, with one log line)
    /// when it cannot be written.
    fn append_to_pack(
        &self,
        hash: u128,
        format: SourceFormat,
        write: impl FnOnce(&mut RecordOut<'_>) -> std::io::Result<()>,
    ) -> Option<Option<Arc<RecordMap>>> {
        let taken = self
            .writers
            .lock()
            .ok()
            .and_then(|mut writers| writers.pop());
        let mut writer = match taken {
            Some(writer) => writer,
            None => match PackWriter::create(&self.packs_dir()) {
                Ok(writer) => writer,
                Err(error) => {
                    self.disable(&format!("cannot create a pack in it: {error}"));
                    return None;
                }
            },
        };
        let appended = writer.append_with(hash, format_byte(format), write);
        if let Ok(mut writers) = self.writers.lock() {
            writers.push(writer);
        }
        match appended {
            Ok(map) => Some(map),
            Err(error) => {
                self.disable(&format!("cannot write a record: {error}"));
                None
            }
        }
    }

    /// Seals the packs written so far (see `PackWriter::seal`): their records can be found by
    /// other loads from now on.
    pub(crate) fn seal_packs(&self) {
        let writers = match self.writers.lock() {
            Ok(mut writers) => std::mem::take(&mut *writers),
            Err(_) => return,
        };
        for writer in writers {
            if let Err(error) = writer.seal() {
                self.disable(&format!("cannot write the index of a pack: {error}"));
            }
        }
    }

    fn mark_read(&self, path: &Path) {
        if let Ok(mut read) = self.read.lock() {
            read.push(path.to_path_buf());
        }
    }

    /// Puts a source read now in the new manifest, unless it changed too recently to trust its
    /// timestamp.
    fn stamp(&self, path: &Path, metadata: Option<&std::fs::Metadata>, hash: u128) {
        let Some(metadata) = metadata else {
            return;
        };
        let Ok(modified) = metadata.modified() else {
            return;
        };
        let settled = self
            .started
            .duration_since(modified)
            .is_ok_and(|age| age >= RACY_WINDOW);
        if settled {
            let stamp = FileStamp {
                size: metadata.len(),
                modified_nanos: nanos_since_epoch(modified),
                hash,
            };
            self.note(path, stamp);
        }
    }

    fn note(&self, path: &Path, stamp: FileStamp) {
        if let Ok(mut new) = self.new.lock() {
            new.push((path.to_path_buf(), stamp));
        }
    }

    /// The word index stored for a corpus of `sources` sources whose `corpus_fingerprint` is
    /// `corpus` (the last load's, when no source has changed since), else `build`'s, stored for
    /// the next load. Read back, it spares reading every source's word hashes from its record: a
    /// fifth of a check after a note changed at 100 MB, a quarter with 20,000 small sources.
    pub(crate) fn word_index(
        &self,
        corpus: u128,
        sources: usize,
        build: impl FnOnce() -> super::WordIndex,
    ) -> super::WordIndex {
        let fingerprint = corpus ^ u128::from(super::index::WORD_INDEX_VERSION);
        let stored = load_blob(&self.dir, &self.root, WORD_INDEX_NAME, fingerprint)
            .and_then(|bytes| super::WordIndex::decode(&bytes, sources));
        if let Some(index) = stored {
            return index;
        }
        let index = build();
        if self.is_writable() {
            store_blob(
                &self.dir,
                &self.root,
                WORD_INDEX_NAME,
                fingerprint,
                &index.encode(),
            );
        }
        index
    }

    /// The record of `hash`, its texts in its pack mapped into memory when it can be mapped.
    fn read_record(&self, hash: u128, format: SourceFormat) -> Option<Record> {
        let record = match self.packs.read_record(hash, format_byte(format))? {
            RecordBytes::Mapped(map) => {
                let record = decode_record(&map, hash, format, Some(&map));
                // Checking the record read all of it: its pages go back with the next batch.
                map.release();
                record
            }
            RecordBytes::Read(bytes) => decode_record(&bytes, hash, format, None),
        };
        if record.is_none() {
            tracing::warn!(
                "the cache record of {hash:032x} is corrupt or from another version; rebuilding it"
            );
        }
        record
    }

    /// Writes the new manifest (when it changed), deletes records no source uses any more (in
    /// the workspace's own `.ibid/` only), and says what the load did.
    pub(crate) fn finish(self) -> CacheReport {
        // The manifest only names records that can be found.
        self.seal_packs();
        let mut new = self.new.into_inner().unwrap_or_default();
        new.sort_by(|a, b| a.0.cmp(&b.0));
        new.dedup_by(|a, b| a.0 == b.0);
        let changed = new.len() != self.old.len()
            || new
                .iter()
                .any(|(path, stamp)| self.old.get(path) != Some(stamp));
        let mut read = self.read.into_inner().unwrap_or_default();
        read.sort();
        let writable_before = self.writable.load(Ordering::Relaxed);
        let cache = SourceCache {
            new: Mutex::new(Vec::new()),
            read: Mutex::new(Vec::new()),
            writers: Mutex::new(Vec::new()),
            ..self
        };
        let stored_records = cache.normalised.load(Ordering::Relaxed) > 0;
        let mut manifest_written = !changed;
        if changed && writable_before {
            let mut payload = Encoder::with_capacity(new.len() * 80);
            payload.u32(u32::try_from(new.len()).unwrap_or(u32::MAX));
            for (path, stamp) in &new {
                payload.bytes_with_len(path.as_os_str().as_encoded_bytes());
                payload.u64(stamp.size);
                payload.u128(stamp.modified_nanos);
                payload.u128(stamp.hash);
            }
            let file = framed(MANIFEST_MAGIC, &payload.bytes);
            manifest_written = cache.write_atomically(&cache.manifest_path, &file);
        }
        // Sources that changed leave records unused; records stored again (their first copy
        // was damaged) leave that copy unused.
        if (changed || stored_records) && manifest_written && writable_before && cache.dir.owned {
            cache.collect_garbage(&new);
        }
        CacheReport {
            unchanged: cache.unchanged.load(Ordering::Relaxed),
            normalised: cache.normalised.load(Ordering::Relaxed),
            read,
            writable: cache.writable.load(Ordering::Relaxed),
        }
    }

    /// Deletes or compacts the packs whose records no source of the manifest names (see
    /// `PackIndex::collect_garbage`), and the record files of format 4 and before.
    fn collect_garbage(&self, manifest: &[(PathBuf, FileStamp)]) {
        let live: std::collections::HashSet<u128> =
            manifest.iter().map(|(_, stamp)| stamp.hash).collect();
        let dir = self.packs_dir();
        self.packs
            .collect_garbage(&dir, &live, || PackWriter::create(&dir).ok());
        let _ = std::fs::remove_dir_all(self.dir.path.join("sources"));
    }

    /// Writes `bytes` to `path` through a temporary file and a rename. `false` (and the cache
    /// turned off for writing, with one log line) when that fails.
    fn write_atomically(&self, path: &Path, bytes: &[u8]) -> bool {
        if !self.writable.load(Ordering::Relaxed) {
            return false;
        }
        match write_atomically(path, bytes) {
            Ok(()) => true,
            Err(error) => {
                self.disable(&format!("cannot write {}: {error}", path.display()));
                false
            }
        }
    }
}

/// The byte a record's format is stored as.
fn format_byte(format: SourceFormat) -> u8 {
    format_tag(format).as_bytes().first().copied().unwrap_or(0)
}

/// How much of a file one `write` call hands to the kernel. Linux (6.x; ext4, XFS, btrfs) sizes
/// the page-cache folios that hold a file by the writes that filled them, and a mapping of the
/// file is then filled a whole folio at a time: written in one call, a record of a few megabytes
/// sits in 2 MB folios, and reading one sentence of it later through the mapping put up to 4 MB
/// per record into the process's resident memory (`ibid check` on sources of 0.5 to 2 MB peaked
/// at 213 MB instead of 89 MB). 64 KB is what the kernel maps around a fault anyway
/// (`fault_around_bytes`); 256 KB already cost 20 MB more.
pub(super) const WRITE_CHUNK_BYTES: usize = 64 << 10;

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, written
/// `WRITE_CHUNK_BYTES` at a time.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_parts_atomically(path, &[bytes])
}

/// `write_atomically` of `parts` one after the other.
fn write_parts_atomically(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    use std::io::Write;
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let temporary = path.with_extension(format!("tmp.{}.{n}", std::process::id()));
    let write = || {
        let mut file = std::fs::File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)?;
        for chunk in parts.iter().flat_map(|part| part.chunks(WRITE_CHUNK_BYTES)) {
            file.write_all(chunk)?;
        }
        std::fs::rename(&temporary, path)
    };
    let result = write();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// A file of the cache folder that belongs to the workspace at `root` (`<name>-<root hash>.bin`).
fn workspace_file(dir: &CacheDir, root: &Path, name: &str) -> PathBuf {
    let root_hash = xxhash_rust::xxh3::xxh3_64(root.as_os_str().as_encoded_bytes());
    dir.path.join(format!("{name}-{root_hash:016x}.bin"))
}

fn read_manifest(path: &Path) -> HashMap<PathBuf, FileStamp> {
    let Ok(bytes) = std::fs::read(path) else {
        return HashMap::new();
    };
    let manifest = decode_manifest(&bytes);
    if manifest.is_none() {
        tracing::warn!(
            "cache manifest {} is corrupt or from another version; rebuilding it",
            path.display()
        );
    }
    manifest.unwrap_or_default()
}

/// The content hashes of `sources`, as the workspace's manifest records them, when every source
/// still has the size and modification time recorded there (one `stat` each, no read); `None`
/// as soon as one does not.
pub fn unchanged_hashes(dir: &CacheDir, root: &Path, sources: &[PathBuf]) -> Option<Vec<u128>> {
    use rayon::prelude::*;
    let manifest = read_manifest(&workspace_file(dir, root, "manifest"));
    // A `stat` each, side by side (tens of thousands of sources take a tenth of a second).
    sources
        .par_iter()
        .map(|path| {
            let stamp = manifest.get(path)?;
            let metadata = std::fs::metadata(path).ok()?;
            let modified = nanos_since_epoch(metadata.modified().ok()?);
            (stamp.size == metadata.len() && stamp.modified_nanos == modified).then_some(stamp.hash)
        })
        .collect()
}

/// A hash of everything a result depends on, fed piece by piece.
pub struct Fingerprint(xxhash_rust::xxh3::Xxh3);

impl Fingerprint {
    /// Starts with the ibid version and the cache format.
    pub fn new() -> Fingerprint {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        hasher.update(&FORMAT_VERSION.to_le_bytes());
        Fingerprint(hasher)
    }

    /// Adds one piece (length-prefixed, so pieces cannot run into each other).
    pub fn add(&mut self, bytes: &[u8]) {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    /// Adds a value through its `Hash` implementation (for data that only this build of ibid
    /// reads back: the fingerprint includes the version).
    pub fn add_hashed(&mut self, value: &impl std::hash::Hash) {
        value.hash(&mut self.0);
    }

    pub fn finish(&self) -> u128 {
        self.0.digest128()
    }
}

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint::new()
    }
}

const BLOB_MAGIC: &[u8; 8] = b"ibid-blb";

/// The blob of the corpus's word index (`SourceCache::word_index`).
const WORD_INDEX_NAME: &str = "words";

/// The payload last stored under `name` for the workspace at `root`, if it was stored for this
/// `fingerprint` (of everything it was computed from) and is intact.
pub fn load_blob(dir: &CacheDir, root: &Path, name: &str, fingerprint: u128) -> Option<Vec<u8>> {
    let mut bytes = std::fs::read(workspace_file(dir, root, name)).ok()?;
    let mut input = Decoder::new(&bytes);
    input.header(BLOB_MAGIC)?;
    if input.u128()? != fingerprint {
        return None;
    }
    let checksum = input.u64()?;
    if xxhash_rust::xxh3::xxh3_64(input.rest()) != checksum {
        tracing::warn!("cached {name} is corrupt; computing it again");
        return None;
    }
    // The payload moved to the front of the file's bytes rather than copied (a word index is
    // megabytes).
    let payload_at = bytes.len() - input.remaining();
    bytes.drain(..payload_at);
    Some(bytes)
}

/// Stores `payload` under `name` for the workspace at `root` (replacing what was there). A
/// failure is only logged.
pub fn store_blob(dir: &CacheDir, root: &Path, name: &str, fingerprint: u128, payload: &[u8]) {
    let mut head = Encoder::with_capacity(96);
    head.header(BLOB_MAGIC);
    head.u128(fingerprint);
    head.u64(xxhash_rust::xxh3::xxh3_64(payload));
    let path = workspace_file(dir, root, name);
    // The head, then the payload as it is (a word index is megabytes: not copied after a head).
    if let Err(error) = write_parts_atomically(&path, &[&head.bytes, payload]) {
        tracing::info!("{name} is not cached ({}: {error})", path.display());
    }
}

/// The last report (`ibid check`'s exit code and output) made for the workspace at `root`, if it
/// was made from inputs with this `fingerprint`.
pub fn stored_report(dir: &CacheDir, root: &Path, fingerprint: u128) -> Option<(u8, String)> {
    let payload = load_blob(dir, root, "report", fingerprint)?;
    let mut input = Decoder::new(&payload);
    let code = input.u8()?;
    let output = input.string()?;
    (input.remaining() == 0).then_some((code, output))
}

/// Keeps a report for `stored_report` (replacing the workspace's previous one).
pub fn store_report(dir: &CacheDir, root: &Path, fingerprint: u128, code: u8, output: &str) {
    let mut payload = Encoder::with_capacity(output.len() + 16);
    payload.u8(code);
    payload.str(output);
    store_blob(dir, root, "report", fingerprint, &payload.bytes);
}

/// The fingerprint of a corpus's sources (keys, paths, formats, texts): what anything computed
/// from the sources alone depends on.
pub fn corpus_fingerprint(corpus: &super::Corpus) -> u128 {
    *corpus
        .fingerprint
        .get_or_init(|| sources_fingerprint(&corpus.sources))
}

/// `corpus_fingerprint` of a corpus of `sources`.
pub(crate) fn sources_fingerprint(sources: &[Arc<super::Source>]) -> u128 {
    let mut fingerprint = Fingerprint::new();
    for source in sources {
        fingerprint.add(source.key.as_bytes());
        fingerprint.add(source.path.as_os_str().as_encoded_bytes());
        fingerprint.add(format_tag(source.format).as_bytes());
        fingerprint.add(&source.content_hash.to_le_bytes());
    }
    fingerprint.finish()
}

/// How many records the cache folder at `path` holds.
#[cfg(test)]
pub(crate) fn stored_records(path: &Path) -> usize {
    PackIndex::read(&path.join("packs")).len()
}

/// Starts a source record in `file`: its header, content hash and format, then the slot of
/// the checksum of what follows (where it is).
fn start_record(file: &mut Encoder<'_>, hash: u128, format: SourceFormat) -> u64 {
    file.header(SOURCE_MAGIC);
    file.u128(hash);
    file.u8(format_byte(format));
    file.checksum_slot()
}

/// Where a record's parts after its original text went (its pair filter follows them).
struct EncodedRest {
    clean: EncodedMap,
    key_text: EncodedMap,
    words: std::ops::Range<usize>,
}

/// Encodes a record's clean and key texts and word hashes after its original text.
fn encode_rest(
    file: &mut Encoder<'_>,
    clean: &MappedText,
    key_text: &MappedText,
    words: &StoredU32s,
) -> EncodedRest {
    EncodedRest {
        clean: clean.encode(file),
        key_text: key_text.encode(file),
        words: file.stored_u32s(words),
    }
}

/// A record's parts as written in `map`, taken from where they were written, unread (reading
/// would bring the record's pages into memory): its original text (where, and how long), and
/// the rest (`clean` and `key_text` as they were encoded).
fn mapped_parts(
    map: &Arc<RecordMap>,
    (text, text_len): (std::ops::Range<usize>, usize),
    clean: &MappedText,
    key_text: &MappedText,
    at: EncodedRest,
) -> Option<StoredParts> {
    Some(StoredParts {
        text: StoredText::mapped_with_len(map, text, text_len)?,
        clean: clean.in_record(map, at.clean)?,
        key_text: key_text.in_record(map, at.key_text)?,
        words: StoredU32s::mapped(MappedBytes::new(map, map, at.words)?)?,
    })
}

/// The source a record is stored for: its file (and the file's `stat`, when read), its
/// original text's content hash, its format.
#[derive(Clone, Copy)]
pub(crate) struct RecordFor<'a> {
    pub path: &'a Path,
    pub metadata: Option<&'a std::fs::Metadata>,
    pub hash: u128,
    pub format: SourceFormat,
}

/// A source read now, as `SourceCache::store_indexing` takes it: its original text (given up
/// once it is written) and its clean text.
pub(crate) struct ReadText<'a> {
    pub original: String,
    pub clean: &'a MappedText,
}

/// The parts of a source that `store` encodes.
pub(crate) struct RecordRef<'a> {
    pub text: &'a str,
    pub clean: &'a MappedText,
    pub key_text: &'a MappedText,
    pub words: &'a StoredU32s,
    pub pairs: &'a PairFilter,
}

/// What `SourceCache::store` gives back of a record it wrote: the source's texts, maps and word
/// hashes, in the record.
pub(crate) struct StoredParts {
    pub text: StoredText,
    pub clean: MappedText,
    pub key_text: MappedText,
    pub words: StoredU32s,
}

/// A source record's texts and maps, as `decode_record_payload` reads them.
#[doc(hidden)]
#[derive(Debug, PartialEq)]
pub struct DecodedRecord {
    pub text: StoredText,
    pub clean: MappedText,
    pub key_text: MappedText,
    pub words: StoredU32s,
}

/// For the `cache_record` fuzz target and its replay: `payload` framed as the body of a source
/// record (a valid header and checksum, so that the decoder itself is what gets fuzzed), decoded
/// from memory and from the same bytes in a mapped file. Both are `None`, or both hold the same.
#[doc(hidden)]
pub fn decode_record_payload(payload: &[u8]) -> (Option<DecodedRecord>, Option<DecodedRecord>) {
    use std::io::Write;
    let hash = content_hash(payload);
    let mut file = Encoder::with_capacity(payload.len() + 64);
    file.header(SOURCE_MAGIC);
    file.u128(hash);
    file.u8(format_tag(SourceFormat::Plain)
        .as_bytes()
        .first()
        .copied()
        .unwrap_or(0));
    file.u64(xxhash_rust::xxh3::xxh3_64(payload));
    file.bytes.extend_from_slice(payload);
    let decoded = |map: Option<&Arc<RecordMap>>| {
        decode_record(&file.bytes, hash, SourceFormat::Plain, map).map(|r| DecodedRecord {
            text: r.text,
            clean: r.clean,
            key_text: r.key_text,
            words: r.words,
        })
    };
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "ibid-record-{}-{}.bin",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let map = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .and_then(|mut written| written.write_all(&file.bytes).map(|()| written))
        .ok()
        .and_then(|written| RecordMap::of_file(&written));
    let _ = std::fs::remove_file(&path);
    (decoded(None), map.and_then(|map| decoded(Some(&map))))
}

/// The record in `bytes`, checked in full; its texts are read from `map` (the same bytes,
/// mapped) when given.
fn decode_record(
    bytes: &[u8],
    hash: u128,
    format: SourceFormat,
    map: Option<&Arc<RecordMap>>,
) -> Option<Record> {
    let mut input = match map {
        Some(map) => Decoder::mapped(bytes, map),
        None => Decoder::new(bytes),
    };
    input.header(SOURCE_MAGIC)?;
    if input.u128()? != hash || input.u8()? != format_byte(format) {
        return None;
    }
    let stored = input.u64()?;
    if xxhash_rust::xxh3::xxh3_64(input.rest()) != stored {
        return None;
    }
    let text = input.text()?;
    let clean = MappedText::decode(&mut input, text.len())?;
    let key_text = MappedText::decode(&mut input, text.len())?;
    let words = input.stored_u32s()?;
    let pairs = PairFilter::from_bits(input.u64s()?)?;
    (input.remaining() == 0).then_some(Record {
        hash,
        text,
        clean,
        key_text,
        words,
        pairs,
    })
}

fn decode_manifest(bytes: &[u8]) -> Option<HashMap<PathBuf, FileStamp>> {
    let mut input = Decoder::framed(bytes, MANIFEST_MAGIC)?;
    let count = input.u32()? as usize;
    let mut manifest = HashMap::with_capacity(count.min(input.remaining() / 40));
    for _ in 0..count {
        let path = input.bytes_with_len()?;
        let path = PathBuf::from(std::str::from_utf8(path).ok()?);
        let stamp = FileStamp {
            size: input.u64()?,
            modified_nanos: input.u128()?,
            hash: input.u128()?,
        };
        manifest.insert(path, stamp);
    }
    (input.remaining() == 0).then_some(manifest)
}

/// A file of the cache: header (`magic`, versions), the checksum of `payload`, then `payload`
/// (what `Decoder::framed` reads).
pub(super) fn framed(magic: &[u8; 8], payload: &[u8]) -> Vec<u8> {
    let mut file = Encoder::with_capacity(payload.len() + 64);
    file.header(magic);
    file.u64(xxhash_rust::xxh3::xxh3_64(payload));
    file.bytes.extend_from_slice(payload);
    file.bytes
}

/// Little-endian, length-prefixed encoding of the cache files: into memory, or written out
/// `WRITE_CHUNK_BYTES` at a time as it is encoded (`Encoder::writing_to`: a source's record
/// is some three times its text, and held whole it was 45 % of a load's peak heap with sources
/// of 10 MB).
pub(crate) struct Encoder<'a> {
    /// The bytes encoded (not yet written out, when writing).
    bytes: Vec<u8>,
    out: Option<Output<'a>>,
}

/// Where an encoder writes, and the checksum of what it wrote after `Encoder::checksum_slot`.
struct Output<'a> {
    write: &'a mut dyn std::io::Write,
    /// How many bytes were written out before `bytes`.
    written: u64,
    /// The checksum of the bytes after the slot: where the slot is, and the hash so far.
    checksum: Option<(u64, xxhash_rust::xxh3::Xxh3)>,
    /// The first write that failed: nothing more is written.
    error: Option<std::io::Error>,
}

impl Output<'_> {
    /// Writes `chunk` (the next bytes of the encoding), folding what follows the checksum's
    /// slot into the checksum.
    fn write_chunk(&mut self, chunk: &[u8]) {
        if self.error.is_none()
            && let Err(error) = self.write.write_all(chunk)
        {
            self.error = Some(error);
        }
        if let Some((at, hasher)) = &mut self.checksum {
            // What follows the slot (which may be in this chunk).
            let from = (*at + 8).saturating_sub(self.written) as usize;
            hasher.update(chunk.get(from..).unwrap_or_default());
        }
        self.written += chunk.len() as u64;
    }
}

impl<'a> Encoder<'a> {
    pub(crate) fn with_capacity(capacity: usize) -> Encoder<'a> {
        Encoder {
            bytes: Vec::with_capacity(capacity),
            out: None,
        }
    }

    /// An encoder that writes to `write` in writes of `WRITE_CHUNK_BYTES` (the last one
    /// shorter), holding no more than that in memory; `finish` writes the rest.
    pub(crate) fn writing_to(write: &'a mut dyn std::io::Write) -> Encoder<'a> {
        Encoder {
            bytes: Vec::with_capacity(WRITE_CHUNK_BYTES),
            out: Some(Output {
                write,
                written: 0,
                checksum: None,
                error: None,
            }),
        }
    }

    /// Room for the checksum of everything encoded after it (eight bytes, zero until the
    /// caller fills them in with what `finish` returns); where it is, from the first byte
    /// encoded. Only for an encoder `writing_to` a file.
    pub(crate) fn checksum_slot(&mut self) -> u64 {
        let at = self.position() as u64;
        self.u64(0);
        if let Some(out) = &mut self.out {
            out.checksum = Some((at, xxhash_rust::xxh3::Xxh3::new()));
        }
        at
    }

    /// Writes out what is left of an encoder `writing_to` a file; the checksum of what
    /// followed `checksum_slot` (0 without one). The first write error, if one failed.
    pub(crate) fn finish(mut self) -> std::io::Result<u64> {
        self.write_out();
        let Some(out) = self.out else {
            return Ok(0);
        };
        if let Some(error) = out.error {
            return Err(error);
        }
        Ok(out.checksum.map_or(0, |(_, hasher)| hasher.digest()))
    }

    /// Hands the buffer to the output (nothing when there is none).
    fn write_out(&mut self) {
        if let Some(out) = &mut self.out {
            out.write_chunk(&self.bytes);
            self.bytes.clear();
        }
    }

    /// Appends `bytes`: to the buffer, written out each time it is full when writing.
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if self.out.is_none() || self.bytes.len() + bytes.len() < WRITE_CHUNK_BYTES {
            self.bytes.extend_from_slice(bytes);
        } else {
            self.put_filling(bytes);
        }
    }

    /// `put` of bytes that fill the buffer of an encoder writing out. The buffer is filled up
    /// and written; whole chunks of `bytes` after that are written from where they are (a
    /// source's texts, copied through the buffer, were 300 MB of copies at 100 MB of sources).
    #[cold]
    fn put_filling(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.bytes.is_empty()
                && bytes.len() >= WRITE_CHUNK_BYTES
                && let Some(out) = &mut self.out
            {
                let (chunk, later) = bytes.split_at(WRITE_CHUNK_BYTES);
                out.write_chunk(chunk);
                bytes = later;
                continue;
            }
            let room = WRITE_CHUNK_BYTES - self.bytes.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.bytes.extend_from_slice(now);
            bytes = later;
            if self.bytes.len() == WRITE_CHUNK_BYTES {
                self.write_out();
            }
        }
    }

    /// Room for `n` more bytes (in memory only: a writing encoder's buffer has its size).
    fn reserve(&mut self, n: usize) {
        if self.out.is_none() {
            self.bytes.reserve(n);
        }
    }

    /// Magic number, format version, ibid version.
    fn header(&mut self, magic: &[u8; 8]) {
        self.put(magic);
        self.u32(FORMAT_VERSION);
        self.bytes_with_len(env!("CARGO_PKG_VERSION").as_bytes());
    }

    pub(crate) fn u8(&mut self, n: u8) {
        self.put(&[n]);
    }

    pub(crate) fn u32(&mut self, n: u32) {
        self.put(&n.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, n: u64) {
        self.put(&n.to_le_bytes());
    }

    pub(super) fn u128(&mut self, n: u128) {
        self.put(&n.to_le_bytes());
    }

    /// The encoded bytes (of an encoder in memory).
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// How many bytes were encoded so far (written out or not).
    pub(crate) fn position(&self) -> usize {
        self.out.as_ref().map_or(0, |out| out.written as usize) + self.bytes.len()
    }

    /// Where the bytes (after their length) went.
    fn bytes_with_len(&mut self, bytes: &[u8]) -> std::ops::Range<usize> {
        self.u64(bytes.len() as u64);
        let start = self.position();
        self.put(bytes);
        start..self.position()
    }

    /// Where the text's bytes (after its length) went.
    pub(crate) fn str(&mut self, s: &str) -> std::ops::Range<usize> {
        self.bytes_with_len(s.as_bytes())
    }

    /// A byte range, as two `u64`s.
    pub(crate) fn range(&mut self, range: &crate::ByteRange) {
        self.u64(range.start as u64);
        self.u64(range.end as u64);
    }

    /// How many items follow.
    pub(crate) fn count(&mut self, n: usize) {
        self.u64(n as u64);
    }

    /// Like `u32s`; where the values (after their count) went.
    pub(crate) fn stored_u32s(&mut self, values: &StoredU32s) -> std::ops::Range<usize> {
        self.u64(values.len() as u64);
        let start = self.position();
        values.encode(self);
        start..self.position()
    }

    pub(crate) fn u32s(&mut self, values: &[u32]) {
        self.numbers(values, |v| v.to_le_bytes());
    }

    pub(crate) fn u64s(&mut self, values: &[u64]) {
        self.numbers(values, |v| v.to_le_bytes());
    }

    pub(crate) fn u16s(&mut self, values: &[u16]) {
        self.numbers(values, |v| v.to_le_bytes());
    }

    /// A count, then each number in `N` bytes (little-endian): what `Decoder::numbers` reads.
    fn numbers<const N: usize, T: Copy>(&mut self, values: &[T], to_le_bytes: fn(T) -> [u8; N]) {
        self.u64(values.len() as u64);
        self.entries(values, |&value| to_le_bytes(value));
    }

    /// The entries of a table encoded already (what `entries` put), as they are.
    pub(crate) fn encoded_entries(&mut self, bytes: &[u8]) {
        self.put(bytes);
    }

    /// Each of `values` as the `N` bytes `to_bytes` gives it, one after the other: entries of a
    /// table. Put a few kilobytes at a time (a map's spans are millions of entries at 100 MB of
    /// sources, and putting them four bytes at a time cost 2 % of a cold check).
    pub(crate) fn entries<const N: usize, T>(
        &mut self,
        values: &[T],
        to_bytes: impl Fn(&T) -> [u8; N],
    ) {
        const BATCH_BYTES: usize = 4096;
        self.reserve(values.len() * N);
        let mut batch = [0u8; BATCH_BYTES];
        for chunk in values.chunks((BATCH_BYTES / N).max(1)) {
            let mut filled = 0;
            for (value, slot) in chunk.iter().zip(batch.chunks_exact_mut(N)) {
                slot.copy_from_slice(&to_bytes(value));
                filled += N;
            }
            self.put(batch.get(..filled).unwrap_or_default());
        }
    }
}

/// Reads what `Encoder` wrote; every read is checked (`None` past the end).
pub(crate) struct Decoder<'a> {
    /// What is left to read.
    bytes: &'a [u8],
    /// The whole input.
    all: &'a [u8],
    /// The input's file mapped into memory, if texts are to be read from there (`text`).
    map: Option<&'a Arc<RecordMap>>,
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder {
            bytes,
            all: bytes,
            map: None,
        }
    }

    /// A decoder of `bytes`, the content of the file mapped as `map`: its `text`s are read
    /// from the mapping instead of copied to the heap.
    pub(crate) fn mapped(bytes: &'a [u8], map: &'a Arc<RecordMap>) -> Decoder<'a> {
        Decoder {
            map: Some(map),
            ..Decoder::new(bytes)
        }
    }

    /// A decoder of the payload of a file `framed` with `magic`: `None` when the header is
    /// another's (magic, format or ibid version) or the payload does not match its checksum.
    pub(super) fn framed(bytes: &'a [u8], magic: &[u8; 8]) -> Option<Decoder<'a>> {
        let mut input = Decoder::new(bytes);
        input.header(magic)?;
        let checksum = input.u64()?;
        (xxhash_rust::xxh3::xxh3_64(input.rest()) == checksum).then_some(input)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Some(head)
    }

    fn header(&mut self, magic: &[u8; 8]) -> Option<()> {
        (self.take(8)? == magic).then_some(())?;
        (self.u32()? == FORMAT_VERSION).then_some(())?;
        (self.bytes_with_len()? == env!("CARGO_PKG_VERSION").as_bytes()).then_some(())
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    /// The next `n` bytes as they are (a table of fixed-size entries, read at once).
    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        self.take(n)
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    pub(super) fn u128(&mut self) -> Option<u128> {
        Some(u128::from_le_bytes(self.take(16)?.try_into().ok()?))
    }

    fn bytes_with_len(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u64()?).ok()?;
        self.take(len)
    }

    pub(crate) fn string(&mut self) -> Option<String> {
        let bytes = self.bytes_with_len()?;
        Some(std::str::from_utf8(bytes).ok()?.to_string())
    }

    /// A string, held in the mapped file when the decoder has one, else copied.
    pub(crate) fn text(&mut self) -> Option<StoredText> {
        let bytes = self.bytes_with_len()?;
        match self.map {
            Some(map) => StoredText::mapped(map, self.all, self.range_of(bytes)),
            None => Some(StoredText::from(std::str::from_utf8(bytes).ok()?)),
        }
    }

    /// Where `bytes`, just read, are in the whole input.
    fn range_of(&self, bytes: &[u8]) -> std::ops::Range<usize> {
        let start = self.all.len() - self.bytes.len() - bytes.len();
        start..start + bytes.len()
    }

    /// The next `len` bytes, in the mapped file when the decoder has one (`Some(None)`
    /// otherwise; `None` past the end).
    pub(crate) fn mapped_bytes(&mut self, len: usize) -> Option<Option<MappedBytes>> {
        let bytes = self.take(len)?;
        Some(match self.map {
            Some(map) => Some(MappedBytes::new(map, self.all, self.range_of(bytes))?),
            None => None,
        })
    }

    /// Whether the decoder reads a mapped file (see `mapped_bytes`).
    pub(crate) fn is_mapped(&self) -> bool {
        self.map.is_some()
    }

    /// The `len` bytes just read, in the mapped file, when the decoder has one.
    pub(crate) fn mapped_before(&self, len: usize) -> Option<MappedBytes> {
        let end = self.all.len() - self.bytes.len();
        MappedBytes::new(self.map?, self.all, end.checked_sub(len)?..end)
    }

    /// Like `u32s`, held in the mapped file when the decoder has one.
    pub(crate) fn stored_u32s(&mut self) -> Option<StoredU32s> {
        if self.map.is_none() {
            return self.u32s().map(StoredU32s::from);
        }
        let count = self.count()?;
        let mapped = self.mapped_bytes(count.checked_mul(4)?)??;
        StoredU32s::mapped(mapped)
    }

    /// A byte range (`None` when it ends before it starts).
    pub(crate) fn range(&mut self) -> Option<crate::ByteRange> {
        let start = usize::try_from(self.u64()?).ok()?;
        let end = usize::try_from(self.u64()?).ok()?;
        (start <= end).then_some(start..end)
    }

    /// How many items follow. Every item takes at least a byte: a count past the end is
    /// corruption (`None`).
    pub(crate) fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.remaining()).then_some(n)
    }

    pub(crate) fn u32s(&mut self) -> Option<Vec<u32>> {
        self.numbers(u32::from_le_bytes)
    }

    pub(crate) fn u64s(&mut self) -> Option<Vec<u64>> {
        self.numbers(u64::from_le_bytes)
    }

    pub(crate) fn u16s(&mut self) -> Option<Vec<u16>> {
        self.numbers(u16::from_le_bytes)
    }

    /// A count, then that many numbers of `N` bytes each (little-endian).
    fn numbers<const N: usize, T>(&mut self, from_le_bytes: fn([u8; N]) -> T) -> Option<Vec<T>> {
        let len = usize::try_from(self.u64()?).ok()?;
        let bytes = self.take(len.checked_mul(N)?)?;
        Some(
            bytes
                .chunks_exact(N)
                .map(|c| from_le_bytes(c.try_into().unwrap_or([0; N])))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Corpus;
    use crate::workspace::Config;

    /// A workspace of sources written from scratch, their times a minute in the past (a file
    /// changed within `RACY_WINDOW` is not trusted to the manifest).
    struct Fixture {
        dir: tempfile::TempDir,
        workspace: Workspace,
    }

    const SOURCES: &[(&str, &str)] = &[
        (
            "sources/levee.md",
            "---\nid: levee2021\ntitle: The Levee\n---\n# The *levee*\n\nThe levee held through \
             the [storm](http://x.org), and the water fell.\n\n> A quoted line,\n> continued.\n",
        ),
        (
            "sources/river.txt",
            "The river rose for a week.\n\nThen it fell, slowly, over a month.\n",
        ),
        (
            "sources/dam.md",
            "- one item\n- two items\n\nThe dam **was** built in 1950.\n",
        ),
    ];

    fn age(path: &Path) {
        let file = std::fs::File::options()
            .write(true)
            .open(path)
            .expect("open");
        file.set_modified(SystemTime::now() - Duration::from_secs(60))
            .expect("set the time");
    }

    impl Fixture {
        fn new() -> Fixture {
            let dir = tempfile::tempdir().expect("temporary folder");
            let root = dir.path().canonicalize().expect("canonical root");
            let mut sources = Vec::new();
            for (name, text) in SOURCES {
                let path = root.join(name);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                std::fs::write(&path, text).expect("write");
                age(&path);
                sources.push(path);
            }
            let workspace = Workspace {
                root,
                config: Config::default(),
                config_path: None,
                sources,
                notes: Vec::new(),
                bibliography: Vec::new().into(),
                problems: Vec::new(),
            };
            Fixture { dir, workspace }
        }

        fn cache_dir(&self) -> CacheDir {
            CacheDir {
                path: self.workspace.root.join(".ibid"),
                owned: true,
            }
        }

        fn load(&self) -> (Corpus, CacheReport) {
            let (corpus, diagnostics, report) =
                Corpus::load_with_cache(&self.workspace, Some(self.cache_dir()));
            assert!(diagnostics.is_empty(), "{diagnostics:?}");
            (corpus, report.expect("a cache report"))
        }

        fn path(&self, name: &str) -> PathBuf {
            self.workspace.root.join(name)
        }

        fn packs(&self) -> PackIndex {
            PackIndex::read(&self.cache_dir().path.join("packs"))
        }

        /// The files in the cache's `packs` folder.
        fn pack_files(&self) -> Vec<PathBuf> {
            let mut files: Vec<PathBuf> = std::fs::read_dir(self.cache_dir().path.join("packs"))
                .expect("packs")
                .map(|e| e.expect("entry").path())
                .collect();
            files.sort();
            files
        }
    }

    /// Everything a source holds, as one comparable string.
    fn describe(corpus: &Corpus) -> Vec<String> {
        corpus
            .sources
            .iter()
            .map(|s| {
                format!(
                    "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                    s.key,
                    s.path,
                    s.format,
                    s.text,
                    s.meta,
                    s.clean,
                    s.key_text,
                    s.words,
                    s.pairs.bits()
                )
            })
            .collect()
    }

    /// A load stores the corpus's word index and the next load of the same sources takes it
    /// (an index stored under their fingerprint is what the load gives, even one that does not
    /// hold their words); without it, the next load builds it again.
    #[test]
    fn a_warm_load_takes_the_stored_word_index() {
        let fixture = Fixture::new();
        let (uncached, _) = Corpus::load(&fixture.workspace);
        let (cold, _) = fixture.load();
        let holders = |corpus: &Corpus| {
            corpus.word_index().sources_holding(
                &crate::corpus::key_words("the levee water river"),
                1,
                |s| s as u64,
            )
        };
        let fingerprint =
            corpus_fingerprint(&cold) ^ u128::from(crate::corpus::index::WORD_INDEX_VERSION);
        let dir = fixture.cache_dir();
        let root = &fixture.workspace.root;
        assert!(load_blob(&dir, root, WORD_INDEX_NAME, fingerprint).is_some());

        let others: Vec<Arc<crate::corpus::Source>> = ["alpha", "beta", "gamma"]
            .iter()
            .map(|word| Arc::new(crate::corpus::Source::markdown_for_test(word, word)))
            .collect();
        let other_index = crate::corpus::WordIndex::build(&others).encode();
        store_blob(&dir, root, WORD_INDEX_NAME, fingerprint, &other_index);
        let (taken, _) = fixture.load();
        assert!(
            holders(&taken).is_empty(),
            "the stored index is the one taken"
        );

        let path = workspace_file(&dir, root, WORD_INDEX_NAME);
        std::fs::remove_file(path).expect("remove the stored index");
        let (rebuilt, _) = fixture.load();
        assert_eq!(holders(&rebuilt), holders(&uncached));
    }

    #[test]
    fn a_warm_load_equals_a_cold_one_and_reads_no_source() {
        let fixture = Fixture::new();
        let (uncached, _) = Corpus::load(&fixture.workspace);
        let (cold, report) = fixture.load();
        assert_eq!(report.unchanged, 0);
        assert_eq!(report.normalised, 3);
        assert_eq!(report.read.len(), 3);
        assert!(report.writable);
        let (warm, report) = fixture.load();
        assert_eq!((report.unchanged, report.normalised), (3, 0));
        assert!(report.read.is_empty(), "{:?}", report.read);
        assert_eq!(describe(&cold), describe(&uncached));
        assert_eq!(describe(&warm), describe(&uncached));
        let holders = |corpus: &Corpus| {
            corpus.word_index().sources_holding(
                &crate::corpus::key_words("the levee water river"),
                1,
                |s| s as u64,
            )
        };
        assert_eq!(holders(&warm), holders(&uncached));
        assert_eq!(
            holders(&cold),
            holders(&uncached),
            "built from the words on the heap"
        );
        assert_eq!(
            std::fs::read_to_string(fixture.cache_dir().path.join(".gitignore")).ok(),
            Some("*\n".to_string())
        );
    }

    /// The texts, maps and word hashes of a cached source live in its record, mapped: after the
    /// load that stored it and after one that read it; a load without the cache keeps them on
    /// the heap. Same texts.
    #[test]
    fn cached_sources_read_their_texts_from_the_mapped_records() {
        let fixture = Fixture::new();
        let (uncached, _) = Corpus::load(&fixture.workspace);
        let (cold, _) = fixture.load();
        let (warm, _) = fixture.load();
        let mapped = |corpus: &Corpus| {
            corpus
                .sources
                .iter()
                .map(|s| {
                    [
                        (&s.text, s.text.is_mapped()),
                        (&s.clean.text, s.clean.is_mapped()),
                        (
                            &s.key_text.text,
                            s.key_text.is_mapped() && s.words.is_mapped(),
                        ),
                    ]
                    .map(|(text, is_mapped)| (text.as_str().to_string(), is_mapped))
                })
                .collect::<Vec<_>>()
        };
        let on_heap = mapped(&uncached);
        assert!(on_heap.iter().flatten().all(|(_, is_mapped)| !is_mapped));
        for corpus in [&cold, &warm] {
            let texts = mapped(corpus);
            assert!(texts.iter().flatten().all(|(_, is_mapped)| *is_mapped) || !cfg!(unix));
            let strings = |texts: &[[(String, bool); 3]]| {
                texts
                    .iter()
                    .map(|t| t.clone().map(|(s, _)| s))
                    .collect::<Vec<_>>()
            };
            assert_eq!(strings(&texts), strings(&on_heap));
        }
        // Sealed packs are never written again, and say so with their permissions.
        let places = fixture.packs().record_places();
        assert_eq!(places.len(), 3);
        for (pack, _, _) in places {
            let metadata = std::fs::metadata(&pack).expect("stat");
            assert!(metadata.permissions().readonly() || !cfg!(unix), "{pack:?}");
        }
        // Releasing pages changes nothing that is read afterwards.
        for source in &warm.sources {
            source.release_pages();
        }
        crate::corpus::release_pending();
        assert_eq!(describe(&warm), describe(&uncached));
    }

    /// A record's pages released on a thread that then ends are given back by the next batch
    /// anywhere: the batch is the process's, not the thread's (the server answers requests on
    /// a pool of threads that come and go).
    #[cfg(target_os = "linux")]
    #[test]
    fn pages_released_on_a_thread_that_ends_are_given_back() {
        let fixture = Fixture::new();
        fixture.load();
        let (warm, _) = fixture.load();
        let source = warm.sources.first().expect("a source").clone();
        assert!(source.text.is_mapped());
        let text = source.text.clone();
        // Nothing pending from the loads; then the text is read here, released over there.
        crate::corpus::release_pending();
        let read: usize = text.bytes().map(usize::from).sum();
        assert!(read > 0);
        assert!(crate::corpus::stored::present_pages(text.as_bytes()) > 0);
        std::thread::spawn(move || source.release_pages())
            .join()
            .expect("the thread");
        crate::corpus::release_pending();
        assert_eq!(crate::corpus::stored::present_pages(text.as_bytes()), 0);
    }

    /// Deleting the cache folder (or a record being replaced) while a corpus reads from its
    /// mapped records changes nothing for that corpus: a mapping keeps the file it was made from.
    #[test]
    fn a_corpus_outlives_the_deletion_of_its_cache_folder() {
        let fixture = Fixture::new();
        let (uncached, _) = Corpus::load(&fixture.workspace);
        let (warm, _) = {
            fixture.load();
            fixture.load()
        };
        assert!(
            warm.sources
                .iter()
                .all(|s| s.text.is_mapped() || !cfg!(unix))
        );
        std::fs::remove_dir_all(fixture.cache_dir().path).expect("delete the cache folder");
        for source in &warm.sources {
            source.release_pages();
        }
        crate::corpus::release_pending();
        assert_eq!(describe(&warm), describe(&uncached));
        // The next load rebuilds the folder.
        let (again, report) = fixture.load();
        assert_eq!(report.normalised, 3);
        assert_eq!(describe(&again), describe(&uncached));
    }

    /// A record body: original `ab`, clean and key texts `ab`, each mapped by one copy span
    /// starting at original offset `orig`.
    fn record_body(orig: u32) -> Vec<u8> {
        let mut body = Encoder::with_capacity(128);
        body.str("ab");
        for _ in 0..2 {
            body.str("ab");
            body.u32(1);
            body.u32(0);
            body.u32(orig);
            body.u32(u32::MAX);
            body.u32s(&[]);
        }
        body.u32s(&[7]);
        body.u64s(&[1]);
        body.into_bytes()
    }

    /// A damaged (or hostile) record whose map points outside its original is refused, from
    /// memory and mapped alike.
    #[test]
    fn a_record_whose_map_points_outside_its_original_is_refused() {
        let (heap, mapped) = decode_record_payload(&record_body(0));
        let heap = heap.expect("a good record");
        assert_eq!(heap.clean.to_original(0..2), 0..2);
        assert!(mapped.is_none_or(|mapped| mapped == heap));
        for orig in [1, 2, u32::MAX - 1] {
            assert_eq!(
                decode_record_payload(&record_body(orig)),
                (None, None),
                "{orig}"
            );
        }
    }

    /// Only a `stat` of an unchanged source: a change that keeps its size and time goes unseen
    /// (the cached text comes back), which shows the file was not read.
    #[test]
    fn a_changed_source_is_read_again_and_the_others_are_not() {
        let fixture = Fixture::new();
        fixture.load();
        let river = fixture.path("sources/river.txt");
        std::fs::write(&river, "The river rose for two weeks, then fell.\n").expect("write");
        age(&river);
        let dam = fixture.path("sources/dam.md");
        let before = std::fs::metadata(&dam).expect("stat");
        let same_size = SOURCES[2].1.replace("1950", "1951");
        std::fs::write(&dam, &same_size).expect("write");
        std::fs::File::options()
            .write(true)
            .open(&dam)
            .and_then(|f| f.set_modified(before.modified().expect("time")))
            .expect("set the time back");

        let (corpus, report) = fixture.load();
        assert_eq!(report.read, vec![river.clone()]);
        assert_eq!((report.unchanged, report.normalised), (2, 1));
        let text = |path: &Path| corpus.source_by_path(path).map(|s| s.text.clone());
        assert_eq!(
            text(&river).as_deref(),
            Some("The river rose for two weeks, then fell.\n")
        );
        assert_eq!(
            text(&dam).as_deref(),
            Some(SOURCES[2].1),
            "the file was not read"
        );
    }

    /// A pack no source uses is deleted; one used less than half has its live records copied to
    /// a new pack, then is deleted; the loads after that read every source from the cache.
    #[test]
    fn dead_packs_are_deleted_and_sparse_ones_compacted() {
        let fixture = Fixture::new();
        let rewrite = |name: &str, text: &str| {
            let path = fixture.path(name);
            std::fs::write(&path, text).expect("write");
            age(&path);
        };
        let long = |sentence: &str| sentence.repeat(200);
        rewrite("sources/levee.md", &long("The levee held. "));
        rewrite("sources/river.txt", &long("The river rose. "));
        // On one thread: one pack, where the dam's record is the smallest by far.
        let one_thread = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a thread pool");
        one_thread.install(|| fixture.load());
        let first = fixture.pack_files();
        assert_eq!(first.len(), 2, "one pack and its index: {first:?}");
        rewrite("sources/levee.md", &long("The levee broke. "));
        rewrite("sources/river.txt", &long("The river fell. "));
        let (_, report) = fixture.load();
        assert_eq!((report.unchanged, report.normalised), (1, 2));
        let files = fixture.pack_files();
        assert!(
            first.iter().all(|f| !files.contains(f)),
            "{first:?} {files:?}"
        );
        assert_eq!(fixture.packs().len(), 3);
        let (corpus, report) = fixture.load();
        assert_eq!((report.unchanged, report.normalised), (3, 0));
        assert!(corpus.sources.iter().all(|s| s.text.is_mapped()) || !cfg!(unix));
        // Every source changed: nothing of the old packs is kept.
        rewrite("sources/levee.md", "The levee was rebuilt.\n");
        rewrite("sources/river.txt", "The river froze.\n");
        rewrite("sources/dam.md", "The dam held.\n");
        let before = fixture.pack_files();
        fixture.load();
        let after = fixture.pack_files();
        assert!(
            before.iter().all(|f| !after.contains(f)),
            "{before:?} {after:?}"
        );
        assert_eq!(fixture.packs().len(), 3);
    }

    #[test]
    fn a_corrupt_or_truncated_record_is_detected_and_rebuilt() {
        let fixture = Fixture::new();
        let (cold, _) = fixture.load();
        // The records are mapped while a corpus holds them: corrupt them only once it is gone.
        let cold = describe(&cold);
        // The last record of a pack is cut in half, another record has a byte flipped.
        let places = fixture.packs().record_places();
        let (truncated, cut_at, cut_len) = places
            .iter()
            .max_by_key(|(_, offset, _)| *offset)
            .cloned()
            .expect("a record");
        let (flipped, flip_at, flip_len) = places
            .iter()
            .find(|(pack, offset, _)| (pack, *offset) != (&truncated, cut_at))
            .cloned()
            .expect("another record");
        // Records are read-only (for every user but root): a forced write has to undo that.
        let writable = |path: &Path| {
            let mut permissions = std::fs::metadata(path).expect("stat").permissions();
            assert!(permissions.readonly(), "packs are sealed read-only");
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            std::fs::set_permissions(path, permissions).expect("chmod");
        };
        writable(&truncated);
        let bytes = std::fs::read(&truncated).expect("read");
        std::fs::write(&truncated, &bytes[..(cut_at + cut_len / 2) as usize]).expect("truncate");
        let mut bytes = std::fs::read(&flipped).expect("read");
        bytes[(flip_at + flip_len - 1) as usize] ^= 0x20;
        if flipped != truncated {
            writable(&flipped);
        }
        std::fs::write(&flipped, &bytes).expect("corrupt");

        let (warm, report) = fixture.load();
        assert_eq!((report.unchanged, report.normalised), (1, 2));
        assert_eq!(describe(&warm), cold);
        let (again, report) = fixture.load();
        assert_eq!((report.unchanged, report.normalised), (3, 0));
        assert_eq!(describe(&again), cold);
    }

    /// What a writer was handed, write by write.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl std::io::Write for Writes {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.push(bytes.to_vec());
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Encoded once into memory, once written out: the same bytes, in writes of
    /// `WRITE_CHUNK_BYTES` (the last one shorter), and the checksum of what follows the slot.
    #[test]
    fn an_encoder_writing_out_writes_what_it_would_hold_a_chunk_at_a_time() {
        let text: String = (0..40_000).map(|i| format!("w{i} ")).collect();
        let numbers: Vec<u32> = (0..30_000).collect();
        let encode = |file: &mut Encoder| {
            file.header(SOURCE_MAGIC);
            let slot = file.checksum_slot();
            let text_at = file.str(&text);
            file.u32s(&numbers);
            file.u8(7);
            (slot, text_at)
        };
        let mut in_memory = Encoder::with_capacity(0);
        let (slot, text_at) = encode(&mut in_memory);
        let expected = in_memory.into_bytes();
        let mut writes = Writes::default();
        let mut file = Encoder::writing_to(&mut writes);
        assert_eq!(encode(&mut file), (slot, text_at.clone()));
        let checksum = file.finish().expect("written");
        let sizes: Vec<usize> = writes.0.iter().map(Vec::len).collect();
        let (last, full) = sizes.split_last().expect("writes");
        assert!(full.iter().all(|&n| n == WRITE_CHUNK_BYTES), "{sizes:?}");
        assert!(*last <= WRITE_CHUNK_BYTES && full.len() >= 5, "{sizes:?}");
        assert_eq!(writes.0.concat(), expected);
        assert_eq!(expected.get(text_at), Some(text.as_bytes()));
        let after_slot = expected.get(slot as usize + 8..).expect("payload");
        assert_eq!(checksum, xxhash_rust::xxh3::xxh3_64(after_slot));
    }

    /// A source whose record takes many writes: stored, read back unchanged on the next load.
    #[test]
    fn a_record_written_in_many_chunks_reads_back() {
        let fixture = Fixture::new();
        let long: String = (0..30_000)
            .map(|i| format!("Sentence {i} of the long report.\n\n"))
            .collect();
        let path = fixture.path("sources/dam.md");
        std::fs::write(&path, &long).expect("write");
        age(&path);
        let (uncached, _) = Corpus::load(&fixture.workspace);
        let (cold, report) = fixture.load();
        assert_eq!(report.normalised, 3);
        let (warm, report) = fixture.load();
        assert_eq!((report.unchanged, report.normalised), (3, 0));
        assert_eq!(describe(&cold), describe(&uncached));
        assert_eq!(describe(&warm), describe(&uncached));
        let places = fixture.packs().record_places();
        assert!(
            places
                .iter()
                .any(|&(_, _, len)| len > 8 * WRITE_CHUNK_BYTES as u64)
        );
    }

    #[test]
    fn a_corrupt_manifest_is_rebuilt_from_the_records() {
        let fixture = Fixture::new();
        let (cold, _) = fixture.load();
        let manifest = std::fs::read_dir(&fixture.cache_dir().path)
            .expect("cache folder")
            .map(|e| e.expect("entry").path())
            .find(|p| p.to_string_lossy().contains("manifest-"))
            .expect("a manifest");
        std::fs::write(&manifest, b"ibid-man garbage").expect("corrupt");
        let (warm, report) = fixture.load();
        // Every source is read (and hashed) again, none normalised: the records are intact.
        assert_eq!(
            (report.unchanged, report.read.len(), report.normalised),
            (0, 3, 0)
        );
        assert_eq!(describe(&warm), describe(&cold));
        assert_eq!(fixture.load().1.unchanged, 3);
    }

    #[test]
    fn an_unwritable_cache_folder_means_no_cache() {
        let fixture = Fixture::new();
        let blocker = fixture.dir.path().join("a-file");
        std::fs::write(&blocker, "not a folder").expect("write");
        let dir = CacheDir {
            path: blocker.join("cache"),
            owned: false,
        };
        let (uncached, _) = Corpus::load(&fixture.workspace);
        for _ in 0..2 {
            let (corpus, diagnostics, report) =
                Corpus::load_with_cache(&fixture.workspace, Some(dir.clone()));
            let report = report.expect("a report");
            assert!(diagnostics.is_empty());
            assert!(!report.writable);
            assert_eq!((report.unchanged, report.normalised), (0, 3));
            assert_eq!(describe(&corpus), describe(&uncached));
        }
    }

    #[test]
    fn the_folder_follows_the_setting_then_the_environment() {
        let root = Path::new("/ws");
        let dir = |setting: CacheSetting, env: Option<&str>| {
            CacheDir::resolve(root, &setting, env.map(PathBuf::from)).map(|d| (d.path, d.owned))
        };
        assert_eq!(
            dir(CacheSetting::Default, None),
            Some((PathBuf::from("/ws/.ibid"), true))
        );
        assert_eq!(
            dir(CacheSetting::Dir("tmp/c".into()), None),
            Some((PathBuf::from("/ws/tmp/c"), false))
        );
        assert_eq!(
            dir(CacheSetting::Dir("tmp/c".into()), Some("/elsewhere")),
            Some((PathBuf::from("/elsewhere"), false))
        );
        assert_eq!(
            dir(CacheSetting::Default, Some("/elsewhere")),
            Some((PathBuf::from("/elsewhere"), false))
        );
        assert_eq!(dir(CacheSetting::Off, Some("/elsewhere")), None);
    }
}

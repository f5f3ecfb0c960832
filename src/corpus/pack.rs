//! Record packs: the cache's source records, many to a file. A load writes each new record at the
//! end of a pack of its own thread's (records start on a page boundary, so that one can be mapped
//! alone), then seals the packs: made read-only, each with an index (`<pack>.idx`: which record,
//! of which content hash and format, lies where) written under a temporary name and renamed into
//! place. A record is found through the indexes of the folder's sealed packs.
//!
//! One file per record cost the kernel an inode and a rename each: with 16,000 sources of a few
//! kilobytes, a cold `ibid check` spent 7.5 s of system time (and 8.4 s of wall time) writing
//! its cache, 2.4 s (5.3 s) with packs.
//!
//! Packs are append-only: a mapped record never changes (the contract of `stored`). A pack no
//! source uses any more is deleted; one used less than half is compacted (its live records
//! copied into a new pack, then it is deleted); many small packs (the language server stores
//! the sources changed under it a few at a time) are merged. Only in the workspace's own folder,
//! where the manifest says what is live (`SourceCache::finish`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use super::cache::{Decoder, Encoder, framed, write_atomically};
use super::stored::RecordMap;

const INDEX_MAGIC: &[u8; 8] = b"ibid-idx";
/// Records start at multiples of this (the usual page size; a mapping of a record that does not
/// start on a page of the system's is aligned by `memmap2`).
const RECORD_ALIGN: u64 = 4096;
/// A pack without an index this old was left by a process that did not finish: deleted.
const ABANDONED_AFTER: Duration = Duration::from_secs(3600);
/// Packs smaller than this are merged when there are more than `SMALL_PACKS_KEPT` of them.
const SMALL_PACK_BYTES: u64 = 4 << 20;
const SMALL_PACKS_KEPT: usize = 8;

/// Where one record lies in its pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    hash: u128,
    format: u8,
    offset: u64,
    len: u64,
}

/// A pack being written. One thread appends to it at a time.
pub(crate) struct PackWriter {
    path: PathBuf,
    file: std::fs::File,
    len: u64,
    entries: Vec<Entry>,
    /// A write failed part way.
    broken: bool,
}

impl PackWriter {
    /// A new, empty pack in `dir` (the cache's `packs` folder), under a name no other writer
    /// uses.
    pub(crate) fn create(dir: &Path) -> std::io::Result<PackWriter> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!(
            "{nanos:x}-{:x}-{}.pack",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        let file = std::fs::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(PackWriter {
            path,
            file,
            len: 0,
            entries: Vec::new(),
            broken: false,
        })
    }

    /// Appends a record (`bytes`, stored under `hash` and `format`) and gives it back mapped
    /// into memory when it can be (see `RecordMap::of_range`).
    pub(crate) fn append(
        &mut self,
        hash: u128,
        format: u8,
        bytes: &[u8],
    ) -> std::io::Result<Option<Arc<RecordMap>>> {
        use std::io::Write;
        self.append_with(hash, format, |out| {
            for chunk in bytes.chunks(super::cache::WRITE_CHUNK_BYTES) {
                out.write_all(chunk)?;
            }
            Ok(())
        })
    }

    /// Appends the record that `write` writes (stored under `hash` and `format`) and gives it
    /// back mapped into memory when it can be (see `RecordMap::of_range`).
    pub(crate) fn append_with(
        &mut self,
        hash: u128,
        format: u8,
        write: impl FnOnce(&mut RecordOut<'_>) -> std::io::Result<()>,
    ) -> std::io::Result<Option<Arc<RecordMap>>> {
        use std::io::Write;
        if self.broken {
            return Err(std::io::Error::other(
                "an earlier write to this pack failed",
            ));
        }
        let offset = self.len;
        let mut out = RecordOut {
            file: &self.file,
            start: offset,
            len: 0,
        };
        let result = write(&mut out).and_then(|()| {
            let end = offset + out.len;
            let padding = end.next_multiple_of(RECORD_ALIGN) - end;
            out.file
                .write_all(&[0; RECORD_ALIGN as usize][..padding as usize])
        });
        let len = out.len;
        if let Err(error) = result {
            // Where the file ends is unknown now: nothing more is written to it (what it holds
            // of this record is never indexed).
            self.broken = true;
            return Err(error);
        }
        self.len = (offset + len).next_multiple_of(RECORD_ALIGN);
        self.entries.push(Entry {
            hash,
            format,
            offset,
            len,
        });
        let len = usize::try_from(len).map_err(std::io::Error::other)?;
        Ok(RecordMap::of_range(&self.file, offset, len))
    }

    /// Makes the pack read-only and writes its index: from now on, other loads find its
    /// records. An empty pack is deleted instead.
    pub(crate) fn seal(self) -> std::io::Result<()> {
        if self.entries.is_empty() {
            return std::fs::remove_file(&self.path);
        }
        make_read_only(&self.file);
        let mut payload = Encoder::with_capacity(self.entries.len() * 41 + 8);
        payload.u64(self.entries.len() as u64);
        for entry in &self.entries {
            payload.u128(entry.hash);
            payload.u8(entry.format);
            payload.u64(entry.offset);
            payload.u64(entry.len);
        }
        let index = framed(INDEX_MAGIC, &payload.into_bytes());
        write_atomically(&index_path(&self.path), &index)
    }
}

/// A record being written at the end of a pack (`PackWriter::append_with`): written in order,
/// except for what `write_at` fills in later.
pub(crate) struct RecordOut<'a> {
    file: &'a std::fs::File,
    /// Where the record starts in the pack.
    start: u64,
    /// How much of it is written.
    len: u64,
}

impl RecordOut<'_> {
    /// Writes `bytes` over what the record holds from byte `at`, which it holds already.
    pub(crate) fn write_at(&mut self, at: u64, bytes: &[u8]) -> std::io::Result<()> {
        if at + bytes.len() as u64 > self.len {
            return Err(std::io::Error::other("a write past the end of the record"));
        }
        let offset = self.start + at;
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            self.file.write_all_at(bytes, offset)
        }
        #[cfg(not(unix))]
        {
            use std::io::{Seek, SeekFrom, Write};
            let mut file = self.file;
            file.seek(SeekFrom::Start(offset))?;
            file.write_all(bytes)?;
            file.seek(SeekFrom::Start(self.start + self.len))
                .map(|_| ())
        }
    }
}

impl std::io::Write for RecordOut<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.file.write(bytes)?;
        self.len += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Takes write permission away from a sealed pack (like Git's object files): a pack is never
/// written again once sealed, and a tool that rewrote it would break the mappings of its records.
fn make_read_only(file: &std::fs::File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o444));
    }
    #[cfg(not(unix))]
    let _ = file;
}

fn index_path(pack: &Path) -> PathBuf {
    pack.with_extension("idx")
}

/// One sealed pack.
struct Pack {
    path: PathBuf,
    /// Opened on first read, then shared (reads are positioned: `read_exact_at`), with its
    /// length then.
    file: OnceLock<Option<(std::fs::File, u64)>>,
    entries: Vec<Entry>,
}

impl Pack {
    fn file(&self) -> Option<&std::fs::File> {
        self.opened().map(|(file, _)| file)
    }

    /// The file, and its length when it was opened.
    fn opened(&self) -> Option<&(std::fs::File, u64)> {
        self.file
            .get_or_init(|| {
                let file = std::fs::File::open(&self.path).ok()?;
                let len = file.metadata().ok()?.len();
                Some((file, len))
            })
            .as_ref()
    }

    fn bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.len).sum()
    }
}

/// A record's bytes, as `PackIndex::read_record` found them.
pub(crate) enum RecordBytes {
    /// Mapped into memory.
    Mapped(Arc<RecordMap>),
    /// Read onto the heap (the record could not be mapped).
    Read(Vec<u8>),
}

/// The records of the sealed packs of a cache folder.
#[derive(Default)]
pub(crate) struct PackIndex {
    packs: Vec<Pack>,
    /// (content hash, format) → (pack, entry).
    records: HashMap<(u128, u8), (usize, usize)>,
}

impl PackIndex {
    /// Reads the index of every sealed pack in `dir` (the cache's `packs` folder). An index
    /// that cannot be read, is corrupt or from another version is skipped (its pack's records
    /// are made again when needed, and the pack deleted by the next collection).
    pub(crate) fn read(dir: &Path) -> PackIndex {
        let mut index = PackIndex::default();
        let Ok(listing) = std::fs::read_dir(dir) else {
            return index;
        };
        let mut paths: Vec<PathBuf> = listing
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "idx"))
            .collect();
        // Oldest first (names start with the time): a record stored twice is read from the
        // newest pack.
        paths.sort();
        for path in paths {
            let Some(entries) = std::fs::read(&path).ok().and_then(|b| decode_index(&b)) else {
                tracing::warn!(
                    "cache index {} is corrupt or from another version; ignored",
                    path.display()
                );
                continue;
            };
            let pack = index.packs.len();
            for (n, entry) in entries.iter().enumerate() {
                index.records.insert((entry.hash, entry.format), (pack, n));
            }
            index.packs.push(Pack {
                path: path.with_extension("pack"),
                file: OnceLock::new(),
                entries,
            });
        }
        index
    }

    /// The bytes of the record of `hash` and `format`: mapped into memory when they can be (not
    /// copied: at 100 MB of sources, reading every record of a load copied 370 MB), else read
    /// from its pack. `None` when the pack is shorter than its index says (a mapping past the end
    /// of a file would fail on first read, where a read fails at once).
    pub(crate) fn read_record(&self, hash: u128, format: u8) -> Option<RecordBytes> {
        let &(pack, n) = self.records.get(&(hash, format))?;
        let pack = self.packs.get(pack)?;
        let entry = pack.entries.get(n)?;
        let (file, file_len) = pack.opened()?;
        if entry.offset.checked_add(entry.len)? > *file_len {
            return None;
        }
        let len = usize::try_from(entry.len).ok()?;
        match RecordMap::of_range(file, entry.offset, len) {
            Some(map) if map.len() == len => Some(RecordBytes::Mapped(map)),
            _ => read_at(file, entry.offset, entry.len).map(RecordBytes::Read),
        }
    }

    /// Deletes the packs none of whose records has a content hash in `live`, compacts those
    /// less than half live and merges small ones (their live records copied to new packs,
    /// made with `new_pack`), and deletes packs abandoned unsealed and stale temporary files.
    pub(crate) fn collect_garbage(
        &self,
        dir: &Path,
        live: &HashSet<u128>,
        mut new_pack: impl FnMut() -> Option<PackWriter>,
    ) {
        let mut copy_from: Vec<(usize, &Pack)> = Vec::new();
        let small = self
            .packs
            .iter()
            .filter(|pack| pack.bytes() < SMALL_PACK_BYTES)
            .count();
        // A record is used when a source has its content and it is the copy loads read (a
        // record stored again, after its first copy was found damaged, leaves that one unused).
        let used_entry = |pack: usize, n: usize, entry: &Entry| {
            live.contains(&entry.hash)
                && self.records.get(&(entry.hash, entry.format)) == Some(&(pack, n))
        };
        for (index, pack) in self.packs.iter().enumerate() {
            let total = pack.bytes();
            let used: u64 = pack
                .entries
                .iter()
                .enumerate()
                .filter(|&(n, e)| used_entry(index, n, e))
                .map(|(_, e)| e.len)
                .sum();
            if used == 0 {
                delete_pack(&pack.path);
            } else if used * 2 < total || (small > SMALL_PACKS_KEPT && total < SMALL_PACK_BYTES) {
                copy_from.push((index, pack));
            }
        }
        if !copy_from.is_empty()
            && let Some(mut writer) = new_pack()
        {
            let mut copied = Vec::new();
            for (index, pack) in copy_from {
                let all_copied = pack.file().is_some_and(|file| {
                    pack.entries
                        .iter()
                        .enumerate()
                        .filter(|&(n, e)| used_entry(index, n, e))
                        .all(|(_, e)| {
                            read_at(file, e.offset, e.len)
                                .is_some_and(|b| writer.append(e.hash, e.format, &b).is_ok())
                        })
                });
                if all_copied {
                    copied.push(&pack.path);
                }
            }
            // The copies are found (their index written) before the originals go.
            if writer.seal().is_ok() {
                for path in copied {
                    delete_pack(path);
                }
            }
        }
        // Packs without an index (a process stopped before sealing them) and temporary files,
        // once old enough not to be another process's work in progress.
        let Ok(listing) = std::fs::read_dir(dir) else {
            return;
        };
        let now = SystemTime::now();
        for entry in listing.flatten() {
            let path = entry.path();
            let unsealed =
                path.extension().is_some_and(|e| e == "pack") && !index_path(&path).exists();
            let temporary = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".tmp."));
            let abandoned = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > ABANDONED_AFTER));
            if (unsealed || temporary) && abandoned {
                let _ = std::fs::remove_file(&path);
            }
        }
    }

    /// How many records the sealed packs hold (a record stored twice counts once).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Each record's pack, offset and length, by pack then offset.
    #[cfg(test)]
    pub(crate) fn record_places(&self) -> Vec<(PathBuf, u64, u64)> {
        let mut places: Vec<(PathBuf, u64, u64)> = self
            .packs
            .iter()
            .flat_map(|p| p.entries.iter().map(|e| (p.path.clone(), e.offset, e.len)))
            .collect();
        places.sort();
        places
    }
}

/// Deletes a pack: its index first, so that no load finds a record in a pack that is gone.
fn delete_pack(path: &Path) {
    let _ = std::fs::remove_file(index_path(path));
    let _ = std::fs::remove_file(path);
}

fn read_at(file: &std::fs::File, offset: u64, len: u64) -> Option<Vec<u8>> {
    let mut bytes = vec![0; usize::try_from(len).ok()?];
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(&mut bytes, offset).ok()?;
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        let mut done = 0;
        while done < bytes.len() {
            let n = file
                .seek_read(bytes.get_mut(done..)?, offset + done as u64)
                .ok()?;
            if n == 0 {
                return None;
            }
            done += n;
        }
    }
    Some(bytes)
}

fn decode_index(bytes: &[u8]) -> Option<Vec<Entry>> {
    let mut input = Decoder::framed(bytes, INDEX_MAGIC)?;
    let count = usize::try_from(input.u64()?).ok()?;
    let mut entries = Vec::with_capacity(count.min(input.remaining() / 41));
    for _ in 0..count {
        entries.push(Entry {
            hash: input.u128()?,
            format: input.u8()?,
            offset: input.u64()?,
            len: input.u64()?,
        });
    }
    (input.remaining() == 0).then_some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(dir: &Path, records: &[(u128, &[u8])]) -> PathBuf {
        let mut writer = PackWriter::create(dir).expect("a pack");
        for (hash, bytes) in records {
            writer.append(*hash, b'm', bytes).expect("appended");
        }
        let path = writer.path.clone();
        writer.seal().expect("sealed");
        path
    }

    /// A record's bytes, mapped or read.
    fn record_bytes(record: RecordBytes) -> Vec<u8> {
        match record {
            RecordBytes::Mapped(map) => map.to_vec(),
            RecordBytes::Read(bytes) => bytes,
        }
    }

    /// A pack cut short (a full disk, a copy cut off): its records past the end are not found,
    /// rather than mapped (a mapping read past the end of its file kills the process).
    #[test]
    fn records_past_the_end_of_a_cut_pack_are_not_found() {
        let folder = tempfile::tempdir().expect("a folder");
        let dir = folder.path();
        let big = vec![7u8; 9000];
        let pack = sealed(dir, &[(1, b"one"), (2, &big)]);
        let whole = PackIndex::read(dir);
        assert_eq!(whole.read_record(2, b'm').map(record_bytes), Some(big));
        // The end of the last record (the second), less 100 bytes.
        let cut = whole
            .record_places()
            .iter()
            .map(|&(_, offset, len)| offset + len)
            .max()
            .expect("records")
            - 100;
        let mut permissions = std::fs::metadata(&pack).expect("the pack").permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        permissions.set_readonly(false);
        std::fs::set_permissions(&pack, permissions).expect("writable");
        std::fs::File::options()
            .write(true)
            .open(&pack)
            .and_then(|file| file.set_len(cut))
            .expect("cut the pack");
        let index = PackIndex::read(dir);
        assert_eq!(
            index.read_record(1, b'm').map(record_bytes).as_deref(),
            Some(&b"one"[..])
        );
        assert!(index.read_record(2, b'm').is_none());
    }

    /// Records are read back from the newest pack holding them; collecting deletes the packs
    /// whose records no source uses or that only hold copies read from elsewhere, moves the
    /// live records of packs used less than half, and leaves fresh unsealed packs alone.
    #[test]
    fn packs_are_read_newest_first_and_collected_by_what_they_hold_live() {
        let folder = tempfile::tempdir().expect("a folder");
        let dir = folder.path();
        let big = vec![7u8; 9000];
        let dead = sealed(dir, &[(1, b"first copy of one")]);
        let sparse = sealed(dir, &[(2, b"two"), (3, &big)]);
        let full = sealed(dir, &[(1, b"second copy of one"), (4, b"four")]);
        let unsealed = PackWriter::create(dir).expect("a pack").path.clone();
        let index = PackIndex::read(dir);
        assert_eq!(index.len(), 4);
        let read = |index: &PackIndex, hash| index.read_record(hash, b'm').map(record_bytes);
        assert_eq!(read(&index, 1).as_deref(), Some(&b"second copy of one"[..]));
        assert_eq!(read(&index, 3).as_deref(), Some(&big[..]));
        assert!(read(&index, 5).is_none());
        // Records start on pages of their own.
        assert!(
            index
                .record_places()
                .iter()
                .all(|(_, offset, _)| offset % RECORD_ALIGN == 0)
        );

        // Hash 3 is no longer used: the sparse pack keeps only `two`, which moves.
        let live: HashSet<u128> = [1, 2, 4].into_iter().collect();
        index.collect_garbage(dir, &live, || PackWriter::create(dir).ok());
        for gone in [&dead, &sparse] {
            assert!(!gone.exists() && !index_path(gone).exists(), "{gone:?}");
        }
        assert!(full.exists() && unsealed.exists());
        let after = PackIndex::read(dir);
        assert_eq!(after.len(), 3);
        assert_eq!(read(&after, 2).as_deref(), Some(&b"two"[..]));
        assert_eq!(read(&after, 1).as_deref(), Some(&b"second copy of one"[..]));
        assert!(read(&after, 3).is_none());

        // An unsealed pack is deleted once it has been abandoned long enough.
        std::fs::File::options()
            .write(true)
            .open(&unsealed)
            .and_then(|f| f.set_modified(SystemTime::now() - 2 * ABANDONED_AFTER))
            .expect("age the pack");
        after.collect_garbage(dir, &live, || PackWriter::create(dir).ok());
        assert!(!unsealed.exists());
        assert_eq!(PackIndex::read(dir).len(), 3);
    }
}

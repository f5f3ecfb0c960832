//! What a source keeps of its cache record, held either on the heap or in the record itself,
//! mapped into memory: `StoredText` (the original, clean and key texts) and `StoredU32s` (the
//! word hashes); `MappedBytes` is the range of a mapped record they (and the offset maps'
//! spans) read from.
//!
//! Mapped data costs no heap and only the pages that are read count towards the process's
//! resident memory: a corpus of hundreds of megabytes is then held by the page cache (shared with
//! the file system, dropped under pressure) instead of private copies on the heap.
//!
//! The contract that makes mapping sound: a cache record is written once at the end of its pack,
//! never written again (packs are only appended to, then sealed read-only; see `pack`), and a
//! record's bytes are checked (checksum, UTF-8, order of the spans) from the same open file that
//! is mapped. Another program truncating or rewriting a pack while ibid runs breaks that
//! contract (as it would for any program mapping files, e.g. ripgrep): the cache folder belongs
//! to ibid.

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

/// How many records may be mapped at once. Each mapping is one of the process's memory areas,
/// of which Linux allows 65,530 by default (`vm.max_map_count`), and the allocator, the thread
/// stacks and the libraries need theirs: a corpus of more files than this keeps the texts of the
/// others on the heap.
const MAX_MAPPED_RECORDS: usize = 30_000;

/// How many records are mapped now.
static MAPPED_RECORDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts one more in `taken` unless `limit` are taken already.
fn take_slot(taken: &std::sync::atomic::AtomicUsize, limit: usize) -> bool {
    use std::sync::atomic::Ordering;
    taken
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (n < limit).then_some(n + 1)
        })
        .is_ok()
}

/// A cache record mapped into memory, read-only; derefs to its bytes.
pub(crate) struct RecordMap(memmap2::Mmap);

impl RecordMap {
    /// `file` (a cache record) mapped into memory. `None` when it cannot be (out of mappings,
    /// `MAX_MAPPED_RECORDS` reached, or not a Unix system: Windows forbids renaming or deleting a
    /// mapped file, which the cache does); its data then stays on the heap.
    pub(crate) fn of_file(file: &std::fs::File) -> Option<Arc<RecordMap>> {
        let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
        RecordMap::of_range(file, 0, len)
    }

    /// `len` bytes of `file` (a pack of records) from `offset`, mapped into memory (see
    /// `of_file`).
    pub(crate) fn of_range(
        file: &std::fs::File,
        offset: u64,
        len: usize,
    ) -> Option<Arc<RecordMap>> {
        use std::sync::atomic::Ordering;
        if !cfg!(unix) || len == 0 {
            return None;
        }
        if !take_slot(&MAPPED_RECORDS, MAX_MAPPED_RECORDS) {
            return None;
        }
        // SAFETY: packs are only ever appended to, and sealed read-only; a record's bytes never
        // change once written (the contract in the module comment); the mapping is read-only.
        let mapped = unsafe {
            memmap2::MmapOptions::new()
                .offset(offset)
                .len(len)
                .map(file)
        };
        match mapped {
            Ok(map) => Some(Arc::new(RecordMap(map))),
            Err(error) => {
                MAPPED_RECORDS.fetch_sub(1, Ordering::Relaxed);
                tracing::debug!("cannot map a cache record ({error}); its data stays on the heap");
                None
            }
        }
    }

    /// Gives the record's pages back with the next batch (see `StoredText::release`).
    pub(crate) fn release(self: &Arc<RecordMap>) {
        #[cfg(target_os = "linux")]
        {
            let mut pending = crate::lock(&PENDING_RELEASE);
            let full = pending.add(self);
            if !full.is_empty() {
                release_taken(pending, full);
            }
        }
    }

    /// Gives the record's pages back to the system (see `StoredText::release`).
    #[cfg(target_os = "linux")]
    fn release_pages(&self) {
        // SAFETY: a read-only shared mapping of a file that is never modified in place (see the
        // module comment): after MADV_DONTNEED the next access reads the same bytes from the file
        // again, also for a borrow alive across the call (other threads may be reading the same
        // record).
        let released = unsafe { self.0.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        if let Err(error) = released {
            tracing::debug!("cannot release the pages of a mapped record: {error}");
        }
    }
}

impl Deref for RecordMap {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for RecordMap {
    fn drop(&mut self) {
        MAPPED_RECORDS.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A range of a cache record mapped into memory.
#[derive(Clone)]
pub(crate) struct MappedBytes {
    map: Arc<RecordMap>,
    range: Range<usize>,
}

impl MappedBytes {
    /// `range` of `map`, whose bytes are `checked` (see `StoredText::mapped`); `None` when the
    /// range is out of bounds or `checked` is not as long as the mapping.
    pub(crate) fn new(
        map: &Arc<RecordMap>,
        checked: &[u8],
        range: Range<usize>,
    ) -> Option<MappedBytes> {
        (checked.len() == map.len() && range.start <= range.end && range.end <= map.len()).then(
            || MappedBytes {
                map: Arc::clone(map),
                range,
            },
        )
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        self.map.get(self.range.clone()).unwrap_or_default()
    }

    /// See `StoredText::release`.
    pub(crate) fn release(&self) {
        self.map.release();
    }
}

/// Text on the heap or in a mapped cache record; derefs to `str`. Clones share the text.
#[derive(Clone)]
pub struct StoredText(Held);

#[derive(Clone)]
enum Held {
    /// Built here (no copy to make it shareable).
    Heap(Arc<String>),
    /// Shared with whoever else holds it (a note's text).
    Shared(Arc<str>),
    /// Valid UTF-8 (checked when the text was made, or written there from a `str`).
    Mapped(MappedBytes),
}

impl StoredText {
    /// `range` of a mapped record, when those bytes are UTF-8 in `checked` — the same bytes as
    /// the mapping's, read from the same open file (or written there just before it was mapped).
    /// `None` when the range is out of bounds or not UTF-8.
    pub(crate) fn mapped(
        map: &Arc<RecordMap>,
        checked: &[u8],
        range: Range<usize>,
    ) -> Option<StoredText> {
        // Vectorised (a record's three texts are checked as it is written, then on every load).
        simdutf8::basic::from_utf8(checked.get(range.clone())?).ok()?;
        MappedBytes::new(map, checked, range).map(|bytes| StoredText(Held::Mapped(bytes)))
    }

    /// `range` of a mapped record, where a `str` of `written_len` bytes was written (the bytes
    /// of a record this process has just written, which are not read here); `None` when the
    /// range is out of bounds or not that long.
    pub(crate) fn mapped_with_len(
        map: &Arc<RecordMap>,
        range: Range<usize>,
        written_len: usize,
    ) -> Option<StoredText> {
        (range.len() == written_len)
            .then(|| MappedBytes::new(map, map, range))
            .flatten()
            .map(|bytes| StoredText(Held::Mapped(bytes)))
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Held::Heap(text) => text,
            Held::Shared(text) => text,
            Held::Mapped(mapped) => {
                let bytes = mapped.bytes();
                // SAFETY: `mapped` checked that these bytes are UTF-8 (the same bytes: the record
                // was read from, or written to, the file that is mapped, and records are never
                // modified in place; see the module comment), or `mapped_with_len` that
                // they are as long as the `str` written there; both that the range is in bounds.
                unsafe { std::str::from_utf8_unchecked(bytes) }
            }
        }
    }

    /// Gives the memory pages of the cache record a mapped text lives in back to the system:
    /// they stay in the page cache and are read from there again on the next access. The whole
    /// record, not just the text's range: reading a page maps its neighbours too (the kernel's
    /// fault-around), which may hold the record's other texts. Nothing for a text on the heap
    /// (nor off Linux). For passes over many sources, so that the process does not end up
    /// holding every page it went through.
    ///
    /// Released in batches (`set_release_batch`): giving pages back interrupts the other cores
    /// (to flush their address caches), once per batch where the kernel allows it (see
    /// `together`), and a source searched again soon after is still there.
    pub fn release(&self) {
        if let Held::Mapped(mapped) = &self.0 {
            mapped.release();
        }
    }

    /// Whether the text lives in a mapped cache record rather than on the heap.
    pub fn is_mapped(&self) -> bool {
        matches!(self.0, Held::Mapped(_))
    }
}

/// `u32`s (little-endian in a record) on the heap or in a mapped cache record.
#[derive(Clone)]
pub struct StoredU32s(HeldU32s);

#[derive(Clone)]
enum HeldU32s {
    Heap(Box<[u32]>),
    /// A multiple of four bytes long.
    Mapped(MappedBytes),
}

impl StoredU32s {
    /// `u32`s stored little-endian in `mapped`; `None` unless its length is a multiple of 4.
    pub(crate) fn mapped(mapped: MappedBytes) -> Option<StoredU32s> {
        mapped
            .bytes()
            .len()
            .is_multiple_of(4)
            .then_some(StoredU32s(HeldU32s::Mapped(mapped)))
    }

    /// Puts the values into `out` as little-endian `u32`s, the entries of a table (those of a
    /// mapped record as they are).
    pub(crate) fn encode(&self, out: &mut super::cache::Encoder) {
        match &self.0 {
            HeldU32s::Heap(values) => out.entries(values, |value| value.to_le_bytes()),
            HeldU32s::Mapped(mapped) => out.encoded_entries(mapped.bytes()),
        }
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            HeldU32s::Heap(values) => values.len(),
            HeldU32s::Mapped(mapped) => mapped.bytes().len() / 4,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.iter_between(0..self.len())
    }

    /// The values at the indices of `range`.
    fn iter_between(&self, range: Range<usize>) -> impl Iterator<Item = u32> + '_ {
        let (heap, mapped) = match &self.0 {
            HeldU32s::Heap(values) => (values.get(range).unwrap_or_default(), &[][..]),
            HeldU32s::Mapped(mapped) => {
                let bytes = range.start.checked_mul(4).zip(range.end.checked_mul(4));
                let bytes = bytes.and_then(|(start, end)| mapped.bytes().get(start..end));
                (&[][..], bytes.unwrap_or_default())
            }
        };
        heap.iter().copied().chain(
            mapped
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        )
    }

    /// The value at `index`.
    fn get(&self, index: usize) -> Option<u32> {
        match &self.0 {
            HeldU32s::Heap(values) => values.get(index).copied(),
            HeldU32s::Mapped(mapped) => {
                let start = index.checked_mul(4)?;
                let bytes: [u8; 4] = mapped.bytes().get(start..start + 4)?.try_into().ok()?;
                Some(u32::from_le_bytes(bytes))
            }
        }
    }

    /// Whether `value` is among the values, which must be in ascending order (a source's word
    /// hashes are): a binary search.
    pub fn contains_sorted(&self, value: u32) -> bool {
        match &self.0 {
            HeldU32s::Heap(values) => values.binary_search(&value).is_ok(),
            HeldU32s::Mapped(_) => {
                self.get(self.partition_point(|found| found < value)) == Some(value)
            }
        }
    }

    /// The values from `low` up to `high` (exclusive; `None`: to the end), of values in
    /// ascending order: found by two binary searches.
    pub fn sorted_range(&self, low: u32, high: Option<u32>) -> impl Iterator<Item = u32> + '_ {
        let start = self.partition_point(|value| value < low);
        let end = high.map_or(self.len(), |high| {
            self.partition_point(|value| value < high)
        });
        self.iter_between(start..end.max(start))
    }

    /// The first index whose value is not `before` (the values `before` holds for must come
    /// first).
    fn partition_point(&self, before: impl Fn(u32) -> bool) -> usize {
        match &self.0 {
            HeldU32s::Heap(values) => values.partition_point(|&value| before(value)),
            HeldU32s::Mapped(mapped) => {
                let bytes = mapped.bytes();
                let (mut low, mut high) = (0, bytes.len() / 4);
                while low < high {
                    let middle = low + (high - low) / 2;
                    let value = bytes
                        .get(middle * 4..middle * 4 + 4)
                        .and_then(|b| b.try_into().ok())
                        .map(u32::from_le_bytes);
                    match value {
                        Some(value) if before(value) => low = middle + 1,
                        _ => high = middle,
                    }
                }
                low
            }
        }
    }

    /// Whether the values live in a mapped cache record rather than on the heap.
    pub fn is_mapped(&self) -> bool {
        matches!(self.0, HeldU32s::Mapped(_))
    }
}

impl From<Vec<u32>> for StoredU32s {
    fn from(values: Vec<u32>) -> Self {
        StoredU32s(HeldU32s::Heap(values.into_boxed_slice()))
    }
}

impl From<Box<[u32]>> for StoredU32s {
    fn from(values: Box<[u32]>) -> Self {
        StoredU32s(HeldU32s::Heap(values))
    }
}

impl PartialEq for StoredU32s {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl fmt::Debug for StoredU32s {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// How many bytes of mapped records the process may have read before it gives their pages back
/// (`set_release_batch`), and at most how many records.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
static RELEASE_BATCH_BYTES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(32 << 20);
#[cfg(target_os = "linux")]
const RELEASE_BATCH_RECORDS: usize = 256;

/// Sets how many bytes of mapped records are read, by all threads together, before their pages
/// are given back (32 MB unless set). Smaller batches keep the resident memory of a pass over the
/// corpus lower and cost more system time (a source read again after its release is read back
/// from the page cache, and each batch flushes the TLB of every core; each record did before
/// `together`): at 100 MB, 8 MB instead of 32 MB took 15 to 20 MB off the peak and added about
/// 0.3 s of system time to a cold check. The language server, which lives long beside the
/// editor, takes the smaller batches; `ibid check` the faster ones.
pub fn set_release_batch(bytes: usize) {
    RELEASE_BATCH_BYTES.store(bytes.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// The records released since the last batch of releases, by every thread: one batch for the
/// process, so that what stays resident does not grow with the number of threads that read
/// sources (the server's requests run on a pool of blocking threads, besides rayon's).
#[cfg(target_os = "linux")]
static PENDING_RELEASE: std::sync::Mutex<PendingRelease> = std::sync::Mutex::new(PendingRelease {
    maps: Vec::new(),
    bytes: 0,
});

/// The records read since the last batch of releases.
#[cfg(target_os = "linux")]
struct PendingRelease {
    maps: Vec<std::sync::Weak<RecordMap>>,
    bytes: usize,
}

#[cfg(target_os = "linux")]
impl PendingRelease {
    /// Adds `map` to the batch; the batch to release now when it is full.
    fn add(&mut self, map: &Arc<RecordMap>) -> Vec<std::sync::Weak<RecordMap>> {
        let known = self
            .maps
            .iter()
            .any(|pending| std::ptr::eq(pending.as_ptr(), Arc::as_ptr(map)));
        if !known {
            self.maps.push(Arc::downgrade(map));
            self.bytes += map.len();
        }
        let batch = RELEASE_BATCH_BYTES.load(std::sync::atomic::Ordering::Relaxed);
        if self.bytes >= batch || self.maps.len() >= RELEASE_BATCH_RECORDS {
            self.take()
        } else {
            Vec::new()
        }
    }

    fn take(&mut self) -> Vec<std::sync::Weak<RecordMap>> {
        self.bytes = 0;
        std::mem::take(&mut self.maps)
    }
}

/// Held while a batch taken from `PENDING_RELEASE` is given back, and taken before the batch's
/// lock is let go: whoever takes the next batch (`release_pending` above all) waits until the
/// batches taken before it are given back, not only its own.
#[cfg(target_os = "linux")]
static RELEASING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Gives back `taken`, just taken from the batch `pending` guards: outside the batch's lock (it
/// takes system calls), inside `RELEASING`.
#[cfg(target_os = "linux")]
fn release_taken(
    pending: std::sync::MutexGuard<'_, PendingRelease>,
    taken: Vec<std::sync::Weak<RecordMap>>,
) {
    let releasing = crate::lock(&RELEASING);
    drop(pending);
    release_maps(taken);
    drop(releasing);
}

/// Gives back the pages of `maps`: all in one call where the kernel allows it, else one call per
/// record.
#[cfg(target_os = "linux")]
fn release_maps(maps: Vec<std::sync::Weak<RecordMap>>) {
    let alive: Vec<Arc<RecordMap>> = maps.iter().filter_map(std::sync::Weak::upgrade).collect();
    if !together::release(&alive) {
        release_each(&alive);
    }
}

/// Gives back the pages of `maps`, one system call per record.
#[cfg(target_os = "linux")]
fn release_each(maps: &[Arc<RecordMap>]) {
    for map in maps {
        map.release_pages();
    }
}

/// A batch of records released by one `process_madvise` call on the process itself (Linux 6.13
/// allows any advice there): since Linux 6.16 the kernel then flushes the cores' address caches
/// once for the whole batch, where one `madvise` per record interrupts the other cores once per
/// record. At 100 MB a cold check released records 36,669 times, and those interrupts (costly in
/// a virtual machine) were 5 % of its CPU time; 13 % when the quotations cite nothing and each
/// is searched for across the corpus.
#[cfg(target_os = "linux")]
mod together {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock};

    use super::RecordMap;

    /// Set once a batched release failed: the kernel is older (or forbids it), and every release
    /// then takes one `madvise` per record.
    static UNAVAILABLE: AtomicBool = AtomicBool::new(false);

    /// At most this many ranges per call (the kernel's `IOV_MAX`).
    const MAX_RANGES: usize = 1024;

    /// A file descriptor of this process, which `process_madvise` takes.
    fn this_process() -> Option<&'static OwnedFd> {
        static PIDFD: OnceLock<Option<OwnedFd>> = OnceLock::new();
        PIDFD
            .get_or_init(|| {
                // SAFETY: `pidfd_open(pid, 0)` takes no pointers; a non-negative result is a new
                // file descriptor, owned from here on.
                let fd = unsafe {
                    libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0 as libc::c_uint)
                };
                let fd = libc::c_int::try_from(fd).ok().filter(|&fd| fd >= 0)?;
                // SAFETY: `fd` was just opened and nothing else owns it.
                Some(unsafe { OwnedFd::from_raw_fd(fd) })
            })
            .as_ref()
    }

    pub(super) fn page_size() -> usize {
        // SAFETY: `sysconf` only reads a system setting.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size)
            .ok()
            .filter(|&s| s > 0)
            .unwrap_or(4096)
    }

    /// Gives back the pages of every map of `maps` in as few system calls as the kernel takes;
    /// `false` when it could not (nothing or only part given back: the caller releases each).
    pub(super) fn release(maps: &[Arc<RecordMap>]) -> bool {
        if maps.is_empty() {
            return true;
        }
        if UNAVAILABLE.load(Ordering::Relaxed) {
            return false;
        }
        let Some(process) = this_process() else {
            UNAVAILABLE.store(true, Ordering::Relaxed);
            return false;
        };
        let page = page_size();
        // Each mapping starts at a page boundary; its bytes start `offset % page` after it.
        let ranges: Vec<libc::iovec> = maps
            .iter()
            .map(|map| {
                let start = map.0.as_ptr() as usize;
                let aligned = start - start % page;
                libc::iovec {
                    iov_base: aligned as *mut libc::c_void,
                    iov_len: start + map.0.len() - aligned,
                }
            })
            .collect();
        for chunk in ranges.chunks(MAX_RANGES) {
            let wanted: usize = chunk.iter().map(|range| range.iov_len).sum();
            // SAFETY: each range is a whole read-only shared mapping of a cache record, kept
            // alive by `maps` for the call; after MADV_DONTNEED the next access reads the same
            // bytes from the file again (see `RecordMap::release_pages`).
            let advised = unsafe {
                libc::syscall(
                    libc::SYS_process_madvise,
                    process.as_raw_fd(),
                    chunk.as_ptr(),
                    chunk.len(),
                    libc::MADV_DONTNEED,
                    0 as libc::c_uint,
                )
            };
            if usize::try_from(advised).ok() != Some(wanted) {
                let error = std::io::Error::last_os_error();
                tracing::debug!(
                    "cannot release mapped records in one call ({error}); one call each from now on"
                );
                UNAVAILABLE.store(true, Ordering::Relaxed);
                return false;
            }
        }
        true
    }
}

/// Gives back now the pages of every record released but kept in the batch (see
/// `StoredText::release`): at the end of a pass. When it returns, every record released before
/// it was called is given back, also those of a batch another thread took and is giving back.
pub fn release_pending() {
    #[cfg(target_os = "linux")]
    {
        let mut pending = crate::lock(&PENDING_RELEASE);
        let taken = pending.take();
        release_taken(pending, taken);
    }
}

impl Default for StoredText {
    fn default() -> Self {
        StoredText(Held::Heap(Arc::default()))
    }
}

impl From<String> for StoredText {
    fn from(text: String) -> Self {
        StoredText(Held::Heap(Arc::new(text)))
    }
}

impl From<Arc<str>> for StoredText {
    fn from(text: Arc<str>) -> Self {
        StoredText(Held::Shared(text))
    }
}

impl From<&str> for StoredText {
    fn from(text: &str) -> Self {
        StoredText(Held::Heap(Arc::new(text.to_string())))
    }
}

impl Deref for StoredText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for StoredText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for StoredText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for StoredText {}

impl PartialEq<str> for StoredText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for StoredText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for StoredText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for StoredText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

/// How many pages of `bytes` this process has mapped in (present in its page table), from
/// `/proc/self/pagemap`: only the pages of `bytes` in the mapping that holds them (the kernel
/// merges the mappings of neighbouring records of one pack into one area of `smaps`, whose
/// resident count then includes the neighbours' pages).
#[cfg(all(test, target_os = "linux"))]
pub(crate) fn present_pages(bytes: &[u8]) -> usize {
    use std::io::{Read, Seek, SeekFrom};
    let page = together::page_size();
    let start = bytes.as_ptr() as usize / page;
    let end = (bytes.as_ptr() as usize + bytes.len()).div_ceil(page);
    let mut pagemap = std::fs::File::open("/proc/self/pagemap").expect("pagemap");
    let offset = u64::try_from(start * 8).expect("a page number");
    pagemap.seek(SeekFrom::Start(offset)).expect("seek");
    let mut entries = vec![0u8; (end - start) * 8];
    pagemap
        .read_exact(&mut entries)
        .expect("the pages' entries");
    entries
        .chunks_exact(8)
        .filter(|entry| {
            let entry = u64::from_le_bytes((*entry).try_into().expect("eight bytes"));
            entry >> 63 == 1
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn mapped_file(bytes: &[u8]) -> Arc<RecordMap> {
        let mut file = tempfile::tempfile().expect("temporary file");
        file.write_all(bytes).expect("write");
        RecordMap::of_file(&file).expect("map")
    }

    #[test]
    fn no_more_records_are_mapped_than_the_limit() {
        let taken = std::sync::atomic::AtomicUsize::new(0);
        assert!((0..3).all(|_| take_slot(&taken, 3)));
        assert!(!take_slot(&taken, 3));
        taken.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        assert!(take_slot(&taken, 3));
    }

    #[test]
    fn sorted_ranges_and_lookups_read_alike_from_the_heap_and_from_a_mapped_record() {
        let values: Vec<u32> = vec![0, 3, 3, 7, 1 << 28, (1 << 28) + 1, u32::MAX - 1, u32::MAX];
        let bytes: Vec<u8> = [9u8, 9]
            .into_iter()
            .chain(values.iter().flat_map(|v| v.to_le_bytes()))
            .collect();
        let map = mapped_file(&bytes);
        let mapped = MappedBytes::new(&map, &bytes, 2..bytes.len())
            .and_then(StoredU32s::mapped)
            .expect("in bounds, a multiple of four");
        let heap = StoredU32s::from(values.clone());
        let bounds = [
            0,
            1,
            3,
            4,
            7,
            8,
            1 << 28,
            (1 << 28) + 2,
            u32::MAX - 1,
            u32::MAX,
        ];
        for low in bounds {
            for high in bounds.map(Some).into_iter().chain([None]) {
                let expected: Vec<u32> = values
                    .iter()
                    .copied()
                    .filter(|&v| v >= low && high.is_none_or(|high| v < high))
                    .collect();
                assert_eq!(heap.sorted_range(low, high).collect::<Vec<_>>(), expected);
                assert_eq!(mapped.sorted_range(low, high).collect::<Vec<_>>(), expected);
            }
            let held = values.contains(&low);
            assert_eq!(heap.contains_sorted(low), held, "{low}");
            assert_eq!(mapped.contains_sorted(low), held, "{low}");
        }
    }

    proptest::proptest! {
        /// Lookups in values read from a mapped record agree with those on the heap, for any
        /// number of values (one, a power of two or not; none only on the heap, as an empty
        /// file is not mapped) and any value looked up.
        #[test]
        fn mapped_lookups_agree_with_the_heap_for_any_length(
            mut values in proptest::collection::vec(0u32..64, 0..70),
            probes in proptest::collection::vec(0u32..66, 1..20),
        ) {
            values.sort_unstable();
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            let heap = StoredU32s::from(values.clone());
            if bytes.is_empty() {
                proptest::prop_assert!(!heap.contains_sorted(probes[0]));
            } else {
                let map = mapped_file(&bytes);
                let mapped = MappedBytes::new(&map, &bytes, 0..bytes.len())
                    .and_then(StoredU32s::mapped)
                    .expect("in bounds, a multiple of four");
                for &low in &probes {
                    proptest::prop_assert_eq!(mapped.contains_sorted(low), values.contains(&low));
                    let high = low.saturating_add(3);
                    proptest::prop_assert_eq!(
                        mapped.sorted_range(low, Some(high)).collect::<Vec<_>>(),
                        heap.sorted_range(low, Some(high)).collect::<Vec<_>>()
                    );
                }
            }
        }
    }

    #[test]
    fn a_mapped_text_reads_its_range_of_the_record() {
        let bytes = "head:caf\u{e9} au lait:tail".as_bytes();
        let map = mapped_file(bytes);
        let text = StoredText::mapped(&map, bytes, 5..18).expect("in bounds, UTF-8");
        assert!(text.is_mapped());
        assert_eq!(text.as_str(), "caf\u{e9} au lait");
        assert_eq!(text, StoredText::from("caf\u{e9} au lait"));
        assert!(!StoredText::from("x").is_mapped());
    }

    #[test]
    fn a_released_text_reads_the_same_afterwards() {
        let page = "word ".repeat(2000);
        let bytes = page.as_bytes();
        let map = mapped_file(bytes);
        let text = StoredText::mapped(&map, bytes, 3..9000).expect("in bounds, UTF-8");
        let before = text.as_str().to_string();
        text.release();
        release_pending();
        assert_eq!(text.as_str(), before);
        StoredText::from("heap").release();
    }

    #[test]
    fn a_mapped_text_must_be_utf8_in_bounds_and_checked_against_the_same_bytes() {
        let bytes = "caf\u{e9}".as_bytes();
        let map = mapped_file(bytes);
        // Inside the two bytes of `é`.
        assert!(StoredText::mapped(&map, bytes, 0..4).is_none());
        assert!(StoredText::mapped(&map, bytes, 0..6).is_none());
        assert!(StoredText::mapped(&map, &bytes[..3], 0..3).is_none());
        assert!(StoredText::mapped(&map, bytes, 0..5).is_some());
    }

    /// Three records of several pages each, read whole.
    #[cfg(target_os = "linux")]
    fn read_records() -> Vec<Arc<RecordMap>> {
        (0..3)
            .map(|n| {
                let map = mapped_file(format!("record {n} ").repeat(4000).as_bytes());
                let read: usize = map.iter().map(|&b| usize::from(b)).sum();
                assert!(read > 0);
                assert!(present_pages(&map) > 0);
                map
            })
            .collect()
    }

    /// A batch of records is given back in one call on a kernel that allows it (Linux 6.13 and
    /// later, with no system-call filter that could refuse it), one call per record otherwise;
    /// either way every page of every record is given back and reads the same afterwards.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_batch_of_records_is_given_back_whole() {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
        let mut numbers = release.split(|c: char| !c.is_ascii_digit());
        let version: Vec<u32> = numbers
            .by_ref()
            .take(2)
            .filter_map(|n| n.parse().ok())
            .collect();
        let status = std::fs::read_to_string("/proc/self/status").expect("status");
        let filtered = status
            .lines()
            .any(|line| line.starts_with("Seccomp:") && line.trim_end() != "Seccomp:\t0");
        let allowed = version >= vec![6, 13];

        let maps = read_records();
        let together = together::release(&maps);
        if !filtered {
            assert_eq!(together, allowed, "kernel {release}");
        }
        if together {
            for map in &maps {
                assert_eq!(present_pages(map), 0);
            }
        }

        // The batch as the process releases it: in one call or one each.
        let maps = read_records();
        release_maps(maps.iter().map(Arc::downgrade).collect());
        for map in &maps {
            assert_eq!(present_pages(map), 0);
            assert!(map.starts_with(b"record "));
        }

        // One call per record, as on an older kernel.
        let maps = read_records();
        release_each(&maps);
        for map in &maps {
            assert_eq!(present_pages(map), 0);
        }
    }
}

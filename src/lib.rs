//! ibid checks that annotated Markdown notes quote and cite their sources faithfully.
//!
//! Layers, with one direction of dependency:
//! `workspace` (configuration, discovery, bibliography) → `corpus` (sources, normalised text)
//! and `notes` (annotated-Markdown parsing) → `analysis` (quote resolution, terms, diagnostics,
//! queries over an immutable snapshot). `cli` and `lsp` are thin shells on top; nothing below them
//! knows about terminals or the protocol.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod analysis;
pub mod cli;
pub mod corpus;
pub mod diagnostic;
pub mod lsp;
pub mod notes;
pub mod text;
pub mod workspace;

/// A half-open range of byte offsets into one file's original text.
pub type ByteRange = std::ops::Range<usize>;

/// Locks a mutex, recovering the data if a panic poisoned it: every mutex of the crate guards
/// data whose every mutation is a single call, so it stays consistent.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `ranges` sorted and overlapping ones merged, so that a point or range is looked up by binary
/// search. Ranges that only touch stay apart (they share no byte), and so do empty ones at
/// another's edge.
pub(crate) fn merge_overlapping(mut ranges: Vec<ByteRange>) -> Vec<ByteRange> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<ByteRange> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start < last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

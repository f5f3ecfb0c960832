//! How much source text is normalised at once. A source being indexed holds its original, clean
//! and key texts with their offset maps on the heap (some 3.5 times its size) until they go into
//! its cache record; two threads each indexing a source of 47 MB took a check's memory to 366 MB.
//! A thread about to index a source takes a share of a byte budget the size of the source and
//! waits while the others hold too much of it; a source larger than the whole budget is indexed
//! alone. Sources of a corpus of articles are far smaller than the budget and never wait. One
//! budget serves every indexing of the process: a load's, and that of sources changed while the
//! language server runs.

use std::cell::Cell;
use std::sync::{Condvar, Mutex};

/// Bytes of source text indexed at once by all threads together.
const INDEXED_AT_ONCE: u64 = 64 << 20;

/// The budget every indexing of a source shares.
static INDEXING: IndexingBudget = IndexingBudget::new(INDEXED_AT_ONCE);

/// A share of the process's indexing budget for a source of `bytes` bytes, taken before the
/// source is read (or, for text already read, indexed) and held until its texts are in its
/// record (or, without a cache, built).
pub(crate) fn indexing_share(bytes: u64) -> BudgetShare<'static> {
    INDEXING.take(bytes)
}

/// A budget of bytes shared by the threads indexing sources.
#[derive(Debug)]
pub(crate) struct IndexingBudget {
    limit: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

thread_local! {
    /// Whether this thread holds a share: it never waits for another (a thread waiting for a
    /// share would otherwise wait for itself, if a share's holder ever picked up another
    /// source's indexing while it waited on parallel work).
    static HOLDING: Cell<bool> = const { Cell::new(false) };
    /// The bytes of the shares this thread holds (of any budget: one serves the process).
    static HELD: Cell<u64> = const { Cell::new(0) };
}

/// Whether the source this thread indexes is the only one being indexed (or none is): the other
/// cores are then free for the parts of a large one (`index::index_key`), which would otherwise
/// only crowd those indexing other sources.
pub(crate) fn indexing_alone() -> bool {
    INDEXING.held_by_this_thread_alone()
}

impl IndexingBudget {
    const fn new(limit: u64) -> IndexingBudget {
        IndexingBudget {
            limit: if limit == 0 { 1 } else { limit },
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// A share of `bytes` (at most the whole budget), once the other threads' shares leave room
    /// for it; held until dropped.
    fn take(&self, bytes: u64) -> BudgetShare<'_> {
        let bytes = bytes.min(self.limit);
        let mut used = crate::lock(&self.used);
        if !HOLDING.get() {
            while *used > 0 && *used + bytes > self.limit {
                used = self
                    .freed
                    .wait(used)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
        *used += bytes;
        HELD.set(HELD.get().saturating_add(bytes));
        let nested = HOLDING.replace(true);
        BudgetShare {
            budget: self,
            bytes,
            nested,
        }
    }

    /// Whether no thread but this one holds a share.
    fn held_by_this_thread_alone(&self) -> bool {
        *crate::lock(&self.used) <= HELD.get()
    }
}

/// A thread's share of an `IndexingBudget`, given back when dropped.
#[derive(Debug)]
pub(crate) struct BudgetShare<'a> {
    budget: &'a IndexingBudget,
    bytes: u64,
    /// Taken while the thread held another share.
    nested: bool,
}

impl Drop for BudgetShare<'_> {
    fn drop(&mut self) {
        let mut used = crate::lock(&self.budget.used);
        *used = used.saturating_sub(self.bytes);
        drop(used);
        HOLDING.set(self.nested);
        HELD.set(HELD.get().saturating_sub(self.bytes));
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Whether a thread taking `bytes` of `budget` gets its share within a short wait: the share
    /// is taken on another thread and held until the returned sender is dropped.
    fn taken_on_another_thread(
        budget: &'static IndexingBudget,
        bytes: u64,
    ) -> (mpsc::Receiver<()>, mpsc::Sender<()>) {
        let (taken, has_taken) = mpsc::channel();
        let (release, until_released) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            let _share = budget.take(bytes);
            let _ = taken.send(());
            let _ = until_released.recv();
        });
        (has_taken, release)
    }

    fn leaked(limit: u64) -> &'static IndexingBudget {
        Box::leak(Box::new(IndexingBudget::new(limit)))
    }

    const SHORT: Duration = Duration::from_millis(200);

    #[test]
    fn shares_that_fit_are_taken_at_once_and_one_that_does_not_waits_for_room() {
        let budget = leaked(100);
        let (first, release_first) = taken_on_another_thread(budget, 60);
        first.recv_timeout(SHORT).expect("the first share at once");
        let (second, _release_second) = taken_on_another_thread(budget, 30);
        second.recv_timeout(SHORT).expect("60 + 30 fit in 100");
        let (third, _release_third) = taken_on_another_thread(budget, 20);
        assert!(
            third.recv_timeout(SHORT).is_err(),
            "60 + 30 + 20 do not fit: the third waits"
        );
        drop(release_first);
        third
            .recv_timeout(Duration::from_secs(5))
            .expect("the third is taken once the first is given back");
    }

    #[test]
    fn a_source_larger_than_the_budget_is_indexed_alone() {
        let budget = leaked(100);
        let (small, release_small) = taken_on_another_thread(budget, 10);
        small.recv_timeout(SHORT).expect("a small share at once");
        let (large, release_large) = taken_on_another_thread(budget, 500);
        assert!(
            large.recv_timeout(SHORT).is_err(),
            "the large one waits for the small one"
        );
        drop(release_small);
        large
            .recv_timeout(Duration::from_secs(5))
            .expect("then it takes the whole budget");
        let (next, _release_next) = taken_on_another_thread(budget, 1);
        assert!(
            next.recv_timeout(SHORT).is_err(),
            "nothing else while the large one holds it all"
        );
        drop(release_large);
        next.recv_timeout(Duration::from_secs(5))
            .expect("taken once the large one is done");
    }

    #[test]
    fn a_thread_indexes_alone_while_no_other_holds_a_share() {
        let budget = leaked(100);
        assert!(budget.held_by_this_thread_alone(), "no share held at all");
        let own = budget.take(30);
        assert!(budget.held_by_this_thread_alone(), "only this thread's");
        let (other, release_other) = taken_on_another_thread(budget, 20);
        other.recv_timeout(SHORT).expect("30 + 20 fit in 100");
        assert!(
            !budget.held_by_this_thread_alone(),
            "another thread indexes too"
        );
        drop(release_other);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !budget.held_by_this_thread_alone() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            budget.held_by_this_thread_alone(),
            "alone once it is given back"
        );
        drop(own);
    }

    #[test]
    fn a_thread_holding_a_share_never_waits_for_another() {
        let budget = IndexingBudget::new(100);
        let outer = budget.take(90);
        // Would wait for itself if it waited.
        let inner = budget.take(50);
        drop(inner);
        drop(outer);
        assert_eq!(*crate::lock(&budget.used), 0, "every share given back");
        assert!(
            !HOLDING.get(),
            "the thread holds none once both are dropped"
        );
    }
}

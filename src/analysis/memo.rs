//! Quote resolutions kept in the on-disk cache (see `corpus::cache`): resolving a thousand
//! quotations against a large corpus takes seconds, and a resolution depends only on the
//! quotation's pieces, its cited keys and the corpus, so the resolutions of a load are stored
//! under the corpus's fingerprint and reused by the next load (`ibid lsp` starting, `ibid check`
//! after a note changed) while no source changes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::matcher::{EditKind, MatchKind, WordEdit};
use super::resolve::{QuoteMatch, QuoteResolution, QuoteStatus, SearchPlan};
use crate::corpus::Corpus;
use crate::corpus::cache::{self, CacheDir, Decoder, Encoder};

const NAME: &str = "resolutions";
/// Bump when what is stored of a resolution changes (2: the sources its search read; 3: the
/// word-for-word search stops at the first source holding the quotation).
const VERSION: u8 = 3;

/// What a resolution depends on besides the corpus, read straight off the parse: the pieces'
/// kinds and texts, and the cited keys.
pub(crate) type ResolutionKey<'a> = (Vec<(u8, &'a str)>, Vec<&'a str>);
type OwnedKey = (Vec<(u8, String)>, Vec<String>);

fn owned(key: &ResolutionKey<'_>) -> OwnedKey {
    (
        key.0
            .iter()
            .map(|&(kind, text)| (kind, text.to_string()))
            .collect(),
        key.1.iter().map(|key| key.to_string()).collect(),
    )
}

/// The resolutions stored for this corpus, and those of the current load.
pub(crate) struct ResolutionMemo {
    fingerprint: u128,
    stored: HashMap<OwnedKey, QuoteResolution>,
    used: Mutex<HashMap<OwnedKey, QuoteResolution>>,
}

impl ResolutionMemo {
    /// The resolutions stored for `corpus` in the cache folder of the workspace at `root`.
    pub(crate) fn load(corpus: &Corpus, root: &Path, dir: &CacheDir) -> ResolutionMemo {
        let fingerprint = cache::corpus_fingerprint(corpus) ^ u128::from(VERSION);
        let stored = cache::load_blob(dir, root, NAME, fingerprint)
            .and_then(|bytes| decode(&bytes))
            .unwrap_or_default();
        ResolutionMemo {
            fingerprint,
            stored,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// The stored resolution of `key`, else `compute`'s (remembered for `store`).
    pub(crate) fn resolve(
        &self,
        key: &ResolutionKey<'_>,
        compute: impl FnOnce() -> QuoteResolution,
    ) -> QuoteResolution {
        let key = owned(key);
        let resolution = match self.stored.get(&key) {
            Some(resolution) => resolution.clone(),
            None => compute(),
        };
        if let Ok(mut used) = self.used.lock() {
            used.insert(key, resolution.clone());
        }
        resolution
    }

    /// Stores the resolutions of this load (only those: the file does not grow with old ones)
    /// when they differ from the stored ones.
    pub(crate) fn store(self, root: &Path, dir: &CacheDir) {
        let used = self.used.into_inner().unwrap_or_default();
        if used == self.stored {
            return;
        }
        if let Some(bytes) = encode(&used) {
            cache::store_blob(dir, root, NAME, self.fingerprint, &bytes);
        }
    }
}

const STATUSES: [QuoteStatus; 6] = [
    QuoteStatus::Verified,
    QuoteStatus::Inexact,
    QuoteStatus::Misattributed,
    QuoteStatus::Uncited,
    QuoteStatus::NotFound,
    QuoteStatus::Unchecked,
];
const KINDS: [MatchKind; 3] = [MatchKind::Exact, MatchKind::Elided, MatchKind::Approximate];
const EDITS: [EditKind; 3] = [EditKind::Substituted, EditKind::Inserted, EditKind::Omitted];

pub(super) fn tag<T: PartialEq>(all: &[T], value: &T) -> u8 {
    all.iter()
        .position(|v| v == value)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(u8::MAX)
}

pub(super) fn untag<T: Copy>(all: &[T], tag: u8) -> Option<T> {
    all.get(usize::from(tag)).copied()
}

/// `None` when a path is not UTF-8 (nothing is stored then).
fn encode(resolutions: &HashMap<OwnedKey, QuoteResolution>) -> Option<Vec<u8>> {
    let mut out = Encoder::with_capacity(resolutions.len() * 256);
    out.count(resolutions.len());
    for ((pieces, keys), resolution) in resolutions {
        out.count(pieces.len());
        for (kind, text) in pieces {
            out.u8(*kind);
            out.str(text);
        }
        out.count(keys.len());
        for key in keys {
            out.str(key);
        }
        out.u8(tag(&STATUSES, &resolution.status));
        match &resolution.searched {
            None => out.u8(0),
            Some(plan) => {
                out.u8(1);
                out.u32s(&plan.exact);
                match &plan.approximate {
                    None => out.u8(0),
                    Some(order) => {
                        out.u8(1);
                        out.u32s(order);
                    }
                }
            }
        }
        let Some(found) = &resolution.found else {
            out.u8(0);
            continue;
        };
        out.u8(1);
        out.str(&found.key);
        out.str(found.path.to_str()?);
        out.range(&found.range);
        out.count(found.segments.len());
        for segment in &found.segments {
            out.range(segment);
        }
        out.u8(tag(&KINDS, &found.kind));
        out.u32(found.score.to_bits());
        out.count(found.edits.len());
        for edit in &found.edits {
            out.u8(tag(&EDITS, &edit.kind));
            out.str(&edit.quote_word);
            out.str(&edit.source_word);
            out.range(&edit.source_range);
            out.u8(u8::from(edit.critical));
        }
    }
    Some(out.into_bytes())
}

fn decode(bytes: &[u8]) -> Option<HashMap<OwnedKey, QuoteResolution>> {
    let mut input = Decoder::new(bytes);
    let n = input.count()?;
    let mut resolutions = HashMap::with_capacity(n);
    for _ in 0..n {
        let pieces = (0..input.count()?)
            .map(|_| Some((input.u8()?, input.string()?)))
            .collect::<Option<Vec<_>>>()?;
        let keys = (0..input.count()?)
            .map(|_| input.string())
            .collect::<Option<Vec<_>>>()?;
        let status = untag(&STATUSES, input.u8()?)?;
        let searched = match input.u8()? {
            0 => None,
            1 => Some(SearchPlan {
                exact: input.u32s()?.into(),
                approximate: match input.u8()? {
                    0 => None,
                    1 => Some(input.u32s()?.into()),
                    _ => return None,
                },
            }),
            _ => return None,
        };
        let found = match input.u8()? {
            0 => None,
            1 => Some(QuoteMatch {
                key: input.string()?,
                path: PathBuf::from(input.string()?),
                range: input.range()?,
                segments: (0..input.count()?)
                    .map(|_| input.range())
                    .collect::<Option<Vec<_>>>()?,
                kind: untag(&KINDS, input.u8()?)?,
                score: f32::from_bits(input.u32()?),
                edits: (0..input.count()?)
                    .map(|_| {
                        Some(WordEdit {
                            kind: untag(&EDITS, input.u8()?)?,
                            quote_word: input.string()?,
                            source_word: input.string()?,
                            source_range: input.range()?,
                            critical: input.u8()? != 0,
                        })
                    })
                    .collect::<Option<Vec<_>>>()?,
            }),
            _ => return None,
        };
        resolutions.insert(
            (pieces, keys),
            QuoteResolution {
                status,
                found,
                searched,
            },
        );
    }
    (input.remaining() == 0).then_some(resolutions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyse_note;
    use crate::corpus::Source;
    use crate::workspace::CheckSettings;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn corpus(text: &str) -> Corpus {
        let source = Source::markdown_for_test("halden2021", text);
        Corpus::from_sources(vec![source], Vec::new())
    }

    const SOURCE: &str = "The levee held through the storm. The water fell slowly over a week.";
    const NOTE: &str = "One \"the levee held through the storm\" [@halden2021].\n\n\
                        Two \"the water fell quickly over a week\" [@halden2021].\n\n\
                        Three \"nothing like this is written anywhere\" [@halden2021].\n";

    #[test]
    fn stored_resolutions_come_back_and_are_not_computed_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = CacheDir {
            path: dir.path().to_path_buf(),
            owned: false,
        };
        let root = Path::new("/ws");
        let corpus = corpus(SOURCE);
        let passages = crate::analysis::claims::PassageIndex::new(&corpus);
        let evidence = crate::analysis::Evidence {
            corpus: &corpus,
            passages: &passages,
        };
        let settings = CheckSettings::default();
        let path = PathBuf::from("/ws/notes/a.md");
        let fresh = analyse_note(path.clone(), Arc::from(NOTE), &evidence, &settings);
        assert_eq!(fresh.resolutions.len(), 3);

        let first = ResolutionMemo::load(&corpus, root, &cache);
        let computed = AtomicUsize::new(0);
        let through_memo = super::super::analyse_note_with(
            path.clone(),
            Arc::from(NOTE),
            &evidence,
            &settings,
            None,
            Some(&first),
            &[],
        );
        assert_eq!(through_memo.resolutions, fresh.resolutions);
        first.store(root, &cache);

        let second = ResolutionMemo::load(&corpus, root, &cache);
        assert_eq!(second.stored.len(), 3);
        for (key, resolution) in &second.stored {
            let borrowed: ResolutionKey<'_> = (
                key.0.iter().map(|(k, t)| (*k, t.as_str())).collect(),
                key.1.iter().map(String::as_str).collect(),
            );
            let again = second.resolve(&borrowed, || {
                computed.fetch_add(1, Ordering::Relaxed);
                resolution.clone()
            });
            assert_eq!(&again, resolution);
        }
        assert_eq!(computed.load(Ordering::Relaxed), 0);
        let reused = super::super::analyse_note_with(
            path,
            Arc::from(NOTE),
            &evidence,
            &settings,
            None,
            Some(&second),
            &[],
        );
        assert_eq!(reused.resolutions, fresh.resolutions);
        assert_eq!(reused.diagnostics, fresh.diagnostics);

        // Another corpus has another fingerprint: nothing stored for it.
        let other = ResolutionMemo::load(
            &crate::analysis::memo::tests::corpus("Other."),
            root,
            &cache,
        );
        assert!(other.stored.is_empty());
    }

    #[test]
    fn encoding_round_trips_and_truncation_is_caught() {
        let corpus = corpus(SOURCE);
        let passages = crate::analysis::claims::PassageIndex::new(&corpus);
        let evidence = crate::analysis::Evidence {
            corpus: &corpus,
            passages: &passages,
        };
        let note = analyse_note(
            PathBuf::from("/ws/notes/a.md"),
            Arc::from(NOTE),
            &evidence,
            &CheckSettings::default(),
        );
        let mut resolutions: HashMap<OwnedKey, QuoteResolution> = note
            .resolutions
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    (vec![(0, format!("q{i}"))], vec!["halden2021".to_string()]),
                    r.clone(),
                )
            })
            .collect();
        // The sources a search read, with and without an approximate search.
        let plans = [
            SearchPlan {
                exact: Box::new([4, 1]),
                approximate: Some(Box::new([7, 0, 9])),
            },
            SearchPlan {
                exact: Box::new([3]),
                approximate: None,
            },
        ];
        for (i, plan) in plans.into_iter().enumerate() {
            let mut resolution = note.resolutions[i].clone();
            resolution.searched = Some(plan);
            resolutions.insert((vec![(1, format!("p{i}"))], Vec::new()), resolution);
        }
        let bytes = encode(&resolutions).expect("encodable");
        assert_eq!(decode(&bytes), Some(resolutions));
        for cut in [1, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
    }
}

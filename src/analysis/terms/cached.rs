//! Mined terms kept in the on-disk cache (see `corpus::cache`): mining a large corpus takes
//! seconds, and its result depends on the sources alone, so it is stored under the corpus's
//! fingerprint and reused while no source changes.

use std::path::{Path, PathBuf};

use super::{GlossaryDefinition, SourceExcerpt, SourceTerms, TermInfo};
use crate::corpus::Corpus;
use crate::corpus::cache::{self, CacheDir, Decoder, Encoder};

const NAME: &str = "terms";

impl SourceTerms {
    /// `mine`, through the cache folder `dir` of the workspace at `root` when there is one.
    pub fn mine_cached(corpus: &Corpus, root: &Path, dir: Option<&CacheDir>) -> SourceTerms {
        Self::mine_cached_until(corpus, root, dir, &|| false).unwrap_or_default()
    }

    /// `mine_cached`, given up (`None`, nothing stored) once `cancelled` says so.
    pub fn mine_cached_until(
        corpus: &Corpus,
        root: &Path,
        dir: Option<&CacheDir>,
        cancelled: &(dyn Fn() -> bool + Sync),
    ) -> Option<SourceTerms> {
        let Some(dir) = dir else {
            return SourceTerms::mine_until(corpus, cancelled);
        };
        let fingerprint = cache::corpus_fingerprint(corpus);
        if let Some(terms) = cached(dir, root, fingerprint) {
            return Some(terms);
        }
        let terms = SourceTerms::mine_until(corpus, cancelled)?;
        if let Some(bytes) = encode(&terms) {
            cache::store_blob(dir, root, NAME, fingerprint, &bytes);
        }
        Some(terms)
    }

    /// The terms stored for `corpus` in the cache folder `dir` of the workspace at `root`, if any.
    pub fn from_cache(corpus: &Corpus, root: &Path, dir: &CacheDir) -> Option<SourceTerms> {
        cached(dir, root, cache::corpus_fingerprint(corpus))
    }
}

/// The terms stored under `fingerprint` (a corpus's) in `dir`, if any.
fn cached(dir: &CacheDir, root: &Path, fingerprint: u128) -> Option<SourceTerms> {
    let terms = cache::load_blob(dir, root, NAME, fingerprint).and_then(|bytes| decode(&bytes));
    if terms.is_some() {
        tracing::info!("terms of the corpus taken from the cache");
    }
    terms
}

/// `None` when a path is not UTF-8 (such terms are not cached).
fn encode(terms: &SourceTerms) -> Option<Vec<u8>> {
    let mut out = Encoder::with_capacity(terms.terms.len() * 256);
    out.count(terms.terms.len());
    for term in &terms.terms {
        out.str(&term.term);
        out.count(term.aliases.len());
        for alias in &term.aliases {
            out.str(alias);
        }
        match &term.expansion {
            Some(expansion) => {
                out.u8(1);
                out.str(expansion);
            }
            None => out.u8(0),
        }
        out.count(term.glossary.len());
        for definition in &term.glossary {
            out.str(definition.path.to_str()?);
            out.range(&definition.term_range);
            out.range(&definition.definition_range);
            out.str(&definition.text);
        }
        out.count(term.excerpts.len());
        for excerpt in &term.excerpts {
            out.str(&excerpt.key);
            out.str(excerpt.path.to_str()?);
            out.range(&excerpt.range);
            out.str(&excerpt.text);
            out.u32(excerpt.score.to_bits());
        }
    }
    Some(out.into_bytes())
}

fn decode(bytes: &[u8]) -> Option<SourceTerms> {
    let mut input = Decoder::new(bytes);
    let n = input.count()?;
    let mut terms = Vec::with_capacity(n);
    for _ in 0..n {
        let term = input.string()?;
        let aliases = (0..input.count()?)
            .map(|_| input.string())
            .collect::<Option<Vec<_>>>()?;
        let expansion = match input.u8()? {
            0 => None,
            1 => Some(input.string()?),
            _ => return None,
        };
        let glossary = (0..input.count()?)
            .map(|_| {
                Some(GlossaryDefinition {
                    path: PathBuf::from(input.string()?),
                    term_range: input.range()?,
                    definition_range: input.range()?,
                    text: input.string()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let excerpts = (0..input.count()?)
            .map(|_| {
                Some(SourceExcerpt {
                    key: input.string()?,
                    path: PathBuf::from(input.string()?),
                    range: input.range()?,
                    text: input.string()?,
                    score: f32::from_bits(input.u32()?),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        terms.push(TermInfo {
            term,
            aliases,
            expansion,
            glossary,
            excerpts,
        });
    }
    (input.remaining() == 0).then_some(SourceTerms { terms })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Source;

    fn corpus(text: &str) -> Corpus {
        let source = Source::markdown_for_test("halden2021", text);
        Corpus::from_sources(vec![source], Vec::new())
    }

    const TEXT: &str = "The Joint Flood Commission (JFC) met in May. The JFC, a standing body of \
                        the three towns, keeps the levees. So-called \"spillways\" take the excess.";

    #[test]
    fn cached_terms_equal_mined_ones_and_follow_the_corpus() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = CacheDir {
            path: dir.path().to_path_buf(),
            owned: false,
        };
        let root = Path::new("/ws");
        let first = corpus(TEXT);
        let mined = SourceTerms::mine(&first);
        assert!(!mined.terms.is_empty());
        let stored = SourceTerms::mine_cached(&first, root, Some(&cache));
        assert_eq!(stored.terms, mined.terms);
        assert_eq!(
            decode(&encode(&mined).expect("encodable")).map(|t| t.terms),
            Some(mined.terms.clone())
        );
        let reloaded = SourceTerms::mine_cached(&first, root, Some(&cache));
        assert_eq!(reloaded.terms, mined.terms);
        // Another corpus: mined again, not the stored terms.
        let second = corpus("Nothing to define here at all.");
        let other = SourceTerms::mine_cached(&second, root, Some(&cache));
        assert_eq!(other.terms, SourceTerms::mine(&second).terms);
    }

    #[test]
    fn truncated_terms_do_not_decode() {
        let mined = SourceTerms::mine(&corpus(TEXT));
        let bytes = encode(&mined).expect("encodable");
        for cut in [1, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
    }
}

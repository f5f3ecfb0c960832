//! Claim outcomes kept in the on-disk cache (see `corpus::cache`), as quote resolutions are
//! (`analysis::memo`): checking a note's claims reads passages of their sources, and at 100 MB
//! the claims of a thousand sentences were three fifths of an `ibid check` run after a note
//! changed. Whether a sentence is a claim, and what the sources say of it, depends only on its
//! `ClaimKey` (its text and citations), the corpus, the bibliography (the sources' titles and
//! authors are evidence for names) and the check settings, so the outcomes of a load are
//! stored under a fingerprint of those and given to the next load as the notes' earlier claims.

use std::path::Path;
use std::sync::Arc;

use super::support::Support;
use super::worthiness::{Signal, Worthiness};
use super::{Claim, ClaimKey, ClaimMemo, TriedSources, Verdict};
use crate::analysis::memo::{tag, untag};
use crate::corpus::Corpus;
use crate::corpus::cache::{self, CacheDir, Decoder, Encoder, Fingerprint};
use crate::workspace::{BibEntry, CheckSettings};

const NAME: &str = "claims";
/// Bump when what is stored of a claim, or how a claim is checked, changes.
const VERSION: u8 = 1;

/// The claim outcomes stored for a corpus: every sentence's `ClaimKey` → its claim (the
/// sentence's place in its note aside: the check takes it from the sentence at hand) or `None`
/// when it is no claim.
pub struct StoredClaims {
    fingerprint: u128,
    claims: Vec<Claim>,
    memo: ClaimMemo,
}

impl StoredClaims {
    /// The outcomes stored in the cache folder of the workspace at `root`, for this corpus,
    /// bibliography and settings (none when nothing matching is stored).
    pub fn load(
        corpus: &Corpus,
        bibliography: &[BibEntry],
        settings: &CheckSettings,
        root: &Path,
        dir: &CacheDir,
    ) -> StoredClaims {
        let fingerprint = fingerprint(corpus, bibliography, settings);
        let (claims, memo) = cache::load_blob(dir, root, NAME, fingerprint)
            .and_then(|bytes| decode(&bytes))
            .unwrap_or_default();
        StoredClaims {
            fingerprint,
            claims,
            memo,
        }
    }

    /// As `check_claims` takes a note's earlier claims.
    pub fn as_previous(&self) -> (&[Claim], &ClaimMemo) {
        (&self.claims, &self.memo)
    }

    /// Stores the outcomes of the notes' claims now (only those: the file does not grow with
    /// sentences no note holds any more), unless the same sentences are stored already.
    pub fn store<'n>(
        &self,
        notes: impl IntoIterator<Item = (&'n [Claim], &'n ClaimMemo)>,
        root: &Path,
        dir: &CacheDir,
    ) {
        let mut claims = Vec::new();
        let mut memo = ClaimMemo::default();
        for (note_claims, note_memo) in notes {
            for (key, outcome) in &note_memo.outcomes {
                if memo.outcomes.contains_key(key) {
                    continue;
                }
                let index = outcome.and_then(|i| note_claims.get(i)).map(|claim| {
                    claims.push(claim.clone());
                    claims.len() - 1
                });
                memo.outcomes.insert(key.clone(), index);
            }
        }
        // An outcome is the same for the same key under one fingerprint: the same keys, the
        // same file.
        let same = memo.outcomes.len() == self.memo.outcomes.len()
            && memo
                .outcomes
                .keys()
                .all(|key| self.memo.outcomes.contains_key(key));
        if !same {
            cache::store_blob(dir, root, NAME, self.fingerprint, &encode(&claims, &memo));
        }
    }
}

/// What the claims' outcomes depend on besides their sentences.
fn fingerprint(corpus: &Corpus, bibliography: &[BibEntry], settings: &CheckSettings) -> u128 {
    let mut fingerprint = Fingerprint::new();
    fingerprint.add(&[VERSION]);
    fingerprint.add(&cache::corpus_fingerprint(corpus).to_le_bytes());
    fingerprint.add_hashed(&bibliography);
    fingerprint.add(format!("{settings:?}").as_bytes());
    fingerprint.finish()
}

const SIGNALS: [Signal; 10] = [
    Signal::Number,
    Signal::Date,
    Signal::ReportedSpeech,
    Signal::ActorDoing,
    Signal::Name,
    Signal::Superlative,
    Signal::FirstPerson,
    Signal::Hedge,
    Signal::Modal,
    Signal::Evaluation,
];

fn encode(claims: &[Claim], memo: &ClaimMemo) -> Vec<u8> {
    let mut out = Encoder::with_capacity(memo.outcomes.len() * 128 + claims.len() * 512);
    out.count(claims.len());
    for claim in claims {
        encode_claim(&mut out, claim);
    }
    out.count(memo.outcomes.len());
    for ((text, cited, cited_in_sentence, uncited), outcome) in &memo.outcomes {
        out.str(text);
        out.count(cited.len());
        for key in cited {
            out.str(key);
        }
        out.u8(u8::from(*cited_in_sentence));
        out.u8(u8::from(*uncited));
        match outcome {
            None => out.u8(0),
            Some(index) => {
                out.u8(1);
                out.u64(*index as u64);
            }
        }
    }
    out.into_bytes()
}

fn encode_claim(out: &mut Encoder<'_>, claim: &Claim) {
    out.u8(u8::from(claim.cited_in_sentence));
    out.count(claim.cited.len());
    for key in &claim.cited {
        out.str(key);
    }
    let Worthiness {
        signals,
        score,
        is_claim,
    } = &claim.worthiness;
    out.count(signals.len());
    for signal in signals {
        out.u8(tag(&SIGNALS, signal));
    }
    out.u32(score.to_bits());
    out.u8(u8::from(*is_claim));
    match claim.verdict.as_ref() {
        Verdict::Uncited { backing } => {
            out.u8(0);
            encode_supports(out, backing);
        }
        Verdict::Supported { best } => {
            out.u8(1);
            encode_support(out, best);
        }
        Verdict::Unsupported { cited, elsewhere } => {
            out.u8(2);
            encode_supports(out, cited);
            encode_supports(out, elsewhere);
        }
        Verdict::Unchecked => out.u8(3),
    }
    let tried: Vec<u32> = claim.tried.iter().map(|s| s as u32).collect();
    out.u32s(&tried);
}

fn encode_supports(out: &mut Encoder<'_>, supports: &[Support]) {
    out.count(supports.len());
    for support in supports {
        encode_support(out, support);
    }
}

fn encode_support(out: &mut Encoder<'_>, support: &Support) {
    out.u64(support.source as u64);
    out.str(&support.key);
    out.u32(support.score.to_bits());
    out.range(&support.passage);
    out.range(&support.original_passage);
    for words in [&support.missing_numbers, &support.missing_names] {
        out.count(words.len());
        for word in words {
            out.str(word);
        }
    }
}

fn decode(bytes: &[u8]) -> Option<(Vec<Claim>, ClaimMemo)> {
    let mut input = Decoder::new(bytes);
    let claims = (0..input.count()?)
        .map(|_| decode_claim(&mut input))
        .collect::<Option<Vec<_>>>()?;
    let n = input.count()?;
    let mut memo = ClaimMemo::default();
    memo.outcomes.reserve(n);
    for _ in 0..n {
        let key: ClaimKey = (
            input.string()?,
            strings(&mut input)?,
            input.u8()? != 0,
            input.u8()? != 0,
        );
        let outcome = match input.u8()? {
            0 => None,
            1 => Some(index(&mut input)?).filter(|&index| index < claims.len()),
            _ => return None,
        };
        memo.outcomes.insert(key, outcome);
    }
    (input.remaining() == 0).then_some((claims, memo))
}

/// An index (of a claim, of a source) written as a `u64`.
fn index(input: &mut Decoder<'_>) -> Option<usize> {
    usize::try_from(input.u64()?).ok()
}

fn strings(input: &mut Decoder<'_>) -> Option<Vec<String>> {
    (0..input.count()?).map(|_| input.string()).collect()
}

fn decode_claim(input: &mut Decoder<'_>) -> Option<Claim> {
    let cited_in_sentence = input.u8()? != 0;
    let cited = strings(input)?;
    let signals = (0..input.count()?)
        .map(|_| untag(&SIGNALS, input.u8()?))
        .collect::<Option<Vec<_>>>()?;
    let worthiness = Worthiness {
        signals,
        score: f32::from_bits(input.u32()?),
        is_claim: input.u8()? != 0,
    };
    let verdict = match input.u8()? {
        0 => Verdict::Uncited {
            backing: decode_supports(input)?,
        },
        1 => Verdict::Supported {
            best: decode_support(input)?,
        },
        2 => Verdict::Unsupported {
            cited: decode_supports(input)?,
            elsewhere: decode_supports(input)?,
        },
        3 => Verdict::Unchecked,
        _ => return None,
    };
    let tried = TriedSources::new(input.u32s()?.into_iter().map(|s| s as usize));
    Some(Claim {
        sentence: 0..0,
        block: 0,
        cited_in_sentence,
        cited,
        worthiness,
        verdict: Arc::new(verdict),
        tried,
    })
}

fn decode_supports(input: &mut Decoder<'_>) -> Option<Vec<Support>> {
    (0..input.count()?).map(|_| decode_support(input)).collect()
}

fn decode_support(input: &mut Decoder<'_>) -> Option<Support> {
    Some(Support {
        source: index(input)?,
        key: input.string()?,
        score: f32::from_bits(input.u32()?),
        passage: input.range()?,
        original_passage: input.range()?,
        missing_numbers: strings(input)?,
        missing_names: strings(input)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::claims::PassageIndex;
    use crate::analysis::claims::tests::corpus;
    use crate::analysis::{Earlier, Evidence, NoteAnalysis, analyse_note, prepare_note};
    use crate::corpus::Source;
    use std::path::PathBuf;

    /// A claim of each verdict, and sentences that are no claims.
    const NOTE: &str = "# Notes on 2019\n\n\
        Grain exports grew 12% in 2019, the Narva Port Authority reported [@harbour].\n\n\
        The northern pass reopened on 3 May 2020 [@harbour].\n\n\
        The pass reopened on 3 May 2020.\n\n\
        The Narva Port Authority counted the ships in 2019 [@unknown].\n\n\
        This reading deserves more scrutiny than it gets.\n";

    fn cache_dir(dir: &tempfile::TempDir) -> CacheDir {
        CacheDir {
            path: dir.path().to_path_buf(),
            owned: false,
        }
    }

    /// The note analysed with `stored`'s outcomes as its earlier claims.
    fn analyse_with(corpus: &Corpus, stored: &StoredClaims) -> NoteAnalysis {
        let passages = PassageIndex::new(corpus);
        let evidence = Evidence {
            corpus,
            passages: &passages,
        };
        let settings = CheckSettings::default();
        let earlier = Earlier {
            note: None,
            claims: Some(stored.as_previous()),
            resolutions: None,
        };
        prepare_note(
            PathBuf::from("/ws/notes/a.md"),
            Arc::from(NOTE),
            &evidence,
            &settings,
            earlier,
            &[],
        )
        .finish(&evidence, &settings)
    }

    fn fresh(corpus: &Corpus) -> NoteAnalysis {
        let passages = PassageIndex::new(corpus);
        let evidence = Evidence {
            corpus,
            passages: &passages,
        };
        analyse_note(
            PathBuf::from("/ws/notes/a.md"),
            Arc::from(NOTE),
            &evidence,
            &CheckSettings::default(),
        )
    }

    fn verdicts(analysis: &NoteAnalysis) -> Vec<&'static str> {
        analysis
            .claims
            .iter()
            .map(|claim| match claim.verdict.as_ref() {
                Verdict::Uncited { .. } => "uncited",
                Verdict::Supported { .. } => "supported",
                Verdict::Unsupported { .. } => "unsupported",
                Verdict::Unchecked => "unchecked",
            })
            .collect()
    }

    #[test]
    fn stored_outcomes_come_back_and_are_taken_as_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = cache_dir(&dir);
        let root = Path::new("/ws");
        let corpus = corpus();
        let settings = CheckSettings::default();
        let fresh = fresh(&corpus);
        assert_eq!(
            verdicts(&fresh),
            vec!["supported", "unsupported", "uncited", "unchecked"]
        );

        let empty = StoredClaims::load(&corpus, &[], &settings, root, &cache);
        assert!(empty.claims.is_empty() && empty.memo.outcomes.is_empty());
        empty.store([(fresh.claims.as_slice(), &fresh.claim_memo)], root, &cache);

        let stored = StoredClaims::load(&corpus, &[], &settings, root, &cache);
        assert_eq!(stored.memo.outcomes.len(), fresh.claim_memo.outcomes.len());
        let reused = analyse_with(&corpus, &stored);
        assert_eq!(reused.claims, fresh.claims);
        assert_eq!(reused.diagnostics, fresh.diagnostics);

        // What is stored is taken as it is, not checked again: the supported claim stored as
        // unchecked comes back unchecked.
        let mut claims = stored.claims.clone();
        let supported = claims
            .iter_mut()
            .find(|c| matches!(c.verdict.as_ref(), Verdict::Supported { .. }))
            .expect("a supported claim");
        supported.verdict = Arc::new(Verdict::Unchecked);
        let bytes = encode(&claims, &stored.memo);
        cache::store_blob(&cache, root, NAME, stored.fingerprint, &bytes);
        let tampered = StoredClaims::load(&corpus, &[], &settings, root, &cache);
        assert_eq!(
            verdicts(&analyse_with(&corpus, &tampered)),
            vec!["unchecked", "unsupported", "uncited", "unchecked"]
        );

        // Other settings, another bibliography or another corpus: nothing stored for them.
        let stricter = CheckSettings {
            claim_strictness: settings.claim_strictness + 0.1,
            ..CheckSettings::default()
        };
        let entry = BibEntry {
            key: "harbour".into(),
            title: Some("Annual report".into()),
            ..BibEntry::default()
        };
        let other_corpus = Corpus::from_sources(
            vec![Source::markdown_for_test("harbour", "Other.")],
            Vec::new(),
        );
        for other in [
            StoredClaims::load(&corpus, &[], &stricter, root, &cache),
            StoredClaims::load(&corpus, &[entry], &settings, root, &cache),
            StoredClaims::load(&other_corpus, &[], &settings, root, &cache),
        ] {
            assert!(other.memo.outcomes.is_empty());
        }
    }

    #[test]
    fn encoding_round_trips_and_damage_is_caught() {
        let corpus = corpus();
        let fresh = fresh(&corpus);
        let bytes = encode(&fresh.claims, &fresh.claim_memo);
        let (claims, memo) = decode(&bytes).expect("decodes");
        // Claims come back without their place in the note.
        let placeless: Vec<Claim> = fresh
            .claims
            .iter()
            .map(|c| Claim {
                sentence: 0..0,
                block: 0,
                ..c.clone()
            })
            .collect();
        assert_eq!(claims, placeless);
        assert_eq!(memo.outcomes, fresh.claim_memo.outcomes);
        for cut in [1, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
    }
}

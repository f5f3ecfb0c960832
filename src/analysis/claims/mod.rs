//! Claims: the sentences of a note that state checkable facts, and whether a source backs them.
//!
//! Each sentence of a paragraph or list item (not headings, code, frontmatter, glossary
//! definitions or blockquotes; not a sentence whose quotation the quotation checks already cover,
//! nor one with an unclosed quote mark or citation bracket) is rated for check-worthiness
//! (`worthiness`). A claim with no citation in its sentence or its paragraph is *uncited*; the corpus is searched for sources that would back it. A cited claim is
//! scored against the passages of its cited sources (`support`); when none backs it, it is
//! *unsupported*, with the reasons, the closest passage, and any other source that does back it.
//!
//! Two steps: `plan_claims` rates the sentences and knows what each claim will ask of which
//! source (`ClaimPlan::requests`); `ClaimPlan::finish` scores them. `ibid check` has every source
//! answer all its requests in between, in one pass each (`retrieval`); the server lets each
//! source's passage index answer as claims ask.

pub mod lexicon;
pub mod passages;
pub mod retrieval;
pub mod stored;
pub mod support;
pub mod worthiness;

pub use passages::PassageIndex;
pub use support::{ClaimText, Support};
pub use worthiness::{Signal, Worthiness};

use rayon::prelude::*;

use super::SourceChange;
use crate::ByteRange;
use crate::corpus::Corpus;
use crate::diagnostic::DiagnosticCode;
use crate::notes::{BlockKind, Note, SyntaxProblemKind};
use crate::workspace::CheckSettings;

/// A sentence with fewer distinct content words and numbers states too little to check.
const MIN_CONTENT_WORDS: usize = 3;

/// How many other sources are scored when looking for one that backs a claim.
const SOURCES_TRIED: usize = 3;

/// The comment that marks a sentence as the writer's own view.
pub const OWN_VIEW_MARK: &str = "<!-- ibid-ignore -->";

/// A check-worthy sentence of a note and what the sources say of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The sentence, in the note's text.
    pub sentence: ByteRange,
    /// Index into `Note::blocks`.
    pub block: usize,
    /// Whether a citation sits in the sentence itself (else it is the paragraph's, or none).
    pub cited_in_sentence: bool,
    /// The cited keys that have a source text, in citation order.
    pub cited: Vec<String>,
    pub worthiness: Worthiness,
    /// Shared: a claim kept across an edit is copied with its new place in the note, and its
    /// verdict (the supports, with their keys and passages) is not copied with it.
    pub verdict: std::sync::Arc<Verdict>,
    /// The sources other than the cited ones that were scored for it: none when its cited
    /// sources answered.
    pub tried: TriedSources,
}

/// Up to `SOURCES_TRIED` sources (indexes into the corpus's sources), in the order of
/// `passages::rank_sources`. Kept inline: claims live as long as the analysis, and one small
/// allocation per claim, made among the large short-lived ones of scoring passages, kept the
/// allocator from giving memory back (+39 MB at the peak of a 100 MB check).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TriedSources {
    sources: [u32; SOURCES_TRIED],
    len: u8,
}

impl TriedSources {
    /// The first `SOURCES_TRIED` of `sources` (those past `u32::MAX` left out).
    fn new(sources: impl IntoIterator<Item = usize>) -> TriedSources {
        let mut tried = TriedSources::default();
        for source in sources {
            let (Some(slot), Ok(source)) = (
                tried.sources.get_mut(usize::from(tried.len)),
                u32::try_from(source),
            ) else {
                break;
            };
            *slot = source;
            tried.len += 1;
        }
        tried
    }

    /// The sources, in order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.sources
            .iter()
            .take(usize::from(self.len))
            .map(|&source| source as usize)
    }

    pub fn contains(&self, source: usize) -> bool {
        self.iter().any(|tried| tried == source)
    }
}

/// What the sources say of a claim.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Nothing cited in the sentence or its paragraph; the sources that would back it, best
    /// first.
    Uncited { backing: Vec<Support> },
    /// A cited source backs it (the best one).
    Supported { best: Support },
    /// No cited source backs it: each cited source's attempt (best first), and other sources
    /// that do back it.
    Unsupported {
        cited: Vec<Support>,
        elsewhere: Vec<Support>,
    },
    /// Only keys without a source text are cited: nothing to check against.
    Unchecked,
}

/// What claim checking reads.
pub struct ClaimInput<'a> {
    pub text: &'a str,
    pub note: &'a Note,
    pub corpus: &'a Corpus,
    pub passages: &'a PassageIndex,
    pub settings: &'a CheckSettings,
}

/// A sentence's identity for reuse across edits: its text, its cited keys, whether the citation
/// is in the sentence, whether its paragraph cites anything.
type ClaimKey = (String, Vec<String>, bool, bool);

/// What the claim check concluded of each candidate sentence of one text of a note, for the next
/// text: the sentence's key → the index of its claim, or `None` when it is no claim. Most
/// sentences are not claims; remembering that spares rating them again on every keystroke.
#[derive(Debug, Clone, Default)]
pub struct ClaimMemo {
    outcomes: foldhash::HashMap<ClaimKey, Option<usize>>,
}

/// The claims of a note, and what the next text of the note may re-use.
#[derive(Debug, Clone, Default)]
pub struct NoteClaims {
    pub claims: Vec<Claim>,
    pub memo: ClaimMemo,
}

/// Finds and checks the claims of a note. `previous` (the note's earlier claims and memo, against
/// the same corpus and settings) lets an edit re-check only the sentences it touched. With
/// `changes` (the sources whose texts changed since `previous`), a claim whose check may have read one of them is checked again
/// (`may_change_with_sources`).
pub fn check_claims(
    input: &ClaimInput<'_>,
    previous: Option<(&[Claim], &ClaimMemo)>,
    changes: &[SourceChange],
) -> NoteClaims {
    plan_claims(input, previous, changes).finish(input)
}

/// The claims of a note rated, not yet checked against the sources: what each will ask of which
/// source is known (`ClaimPlan::requests`), so that a check can have every source answer all its
/// claims' queries at once before any is scored.
pub struct ClaimPlan<'p> {
    /// Each candidate sentence with its memo key, and either the outcome known from the previous
    /// check or its rating now.
    planned: Vec<(ClaimKey, Candidate, Planned<'p>)>,
}

/// What is known of a candidate sentence before its sources are read.
enum Planned<'p> {
    /// The previous check's outcome (the claim, or `None`: no claim), to keep.
    Known(Option<&'p Claim>),
    /// Rated now: `None` when it is no claim.
    Rated(Option<Box<RatedClaim>>),
}

/// A sentence rated a claim.
struct RatedClaim {
    worthiness: Worthiness,
    text: ClaimText,
    /// For a claim with no citation: the sources it is scored against.
    tried: Option<TriedSources>,
}

/// Rates the candidate sentences of a note whose outcome `previous` does not tell (see
/// `check_claims`), side by side.
pub fn plan_claims<'p>(
    input: &ClaimInput<'_>,
    previous: Option<(&'p [Claim], &'p ClaimMemo)>,
    changes: &[SourceChange],
) -> ClaimPlan<'p> {
    let settings = input.settings;
    if settings.severity_of(DiagnosticCode::UncitedClaim).is_none()
        && settings
            .severity_of(DiagnosticCode::UnsupportedClaim)
            .is_none()
    {
        return ClaimPlan {
            planned: Vec::new(), // both checks are off: nothing to compute
        };
    }
    let limit = threshold(settings);
    // Each candidate with its memo key and the outcome known from the previous check, if any;
    // the others are rated side by side (a note's last claims otherwise ran on one core while
    // the others had finished).
    let keyed: Vec<_> = candidates(input)
        .into_iter()
        .map(|candidate| {
            let key = (
                input
                    .text
                    .get(candidate.sentence.clone())
                    .unwrap_or("")
                    .to_string(),
                candidate.cited.clone(),
                candidate.cited_in_sentence,
                !candidate.has_citation,
            );
            let known =
                previous.and_then(
                    |(old_claims, old_memo)| match old_memo.outcomes.get(&key)? {
                        Some(index) => old_claims
                            .get(*index)
                            .filter(|old| {
                                changes.is_empty()
                                    || !may_change_with_sources(
                                        input, &candidate, old, changes, limit,
                                    )
                            })
                            .map(Some),
                        None => Some(None),
                    },
                );
            (key, candidate, known)
        })
        .collect();
    let planned = keyed
        .into_par_iter()
        .map(|(key, candidate, known)| {
            let planned = match known {
                Some(old) => Planned::Known(old),
                None => Planned::Rated(rate_candidate(input, &candidate).map(Box::new)),
            };
            (key, candidate, planned)
        })
        .collect();
    ClaimPlan { planned }
}

impl ClaimPlan<'_> {
    /// What the claims rated will ask of the sources before anything else: (source index, the
    /// claim's content stems), for `support::PASSAGES_READ` passages. A cited claim asks its cited
    /// sources; one with no citation, the sources it is tried against. (A cited claim that none of
    /// its sources is on topic for asks others too, which only its scores tell.)
    pub fn requests(&self, corpus: &Corpus) -> Vec<(usize, Vec<u32>)> {
        let mut requests = Vec::new();
        for (_, candidate, planned) in &self.planned {
            let Planned::Rated(Some(rated)) = planned else {
                continue;
            };
            let content = &rated.text.content;
            match rated.tried {
                Some(tried) => requests.extend(tried.iter().map(|index| (index, content.clone()))),
                None => requests.extend(
                    candidate
                        .cited
                        .iter()
                        .filter_map(|key| corpus.source_index(key))
                        .map(|index| (index, content.clone())),
                ),
            }
        }
        requests
    }

    /// Checks the claims rated against the sources (side by side) and keeps the known outcomes.
    pub fn finish(self, input: &ClaimInput<'_>) -> NoteClaims {
        let outcomes: Vec<_> = self
            .planned
            .into_par_iter()
            .map(|(key, candidate, planned)| {
                let claim = match planned {
                    Planned::Known(old) => old.map(|old| Claim {
                        sentence: candidate.sentence.clone(),
                        block: candidate.block,
                        ..old.clone()
                    }),
                    Planned::Rated(rated) => {
                        rated.map(|rated| check_rated(input, candidate, *rated))
                    }
                };
                (key, claim)
            })
            .collect();
        let mut checked = NoteClaims::default();
        for (key, claim) in outcomes {
            let index = claim.map(|claim| {
                checked.claims.push(claim);
                checked.claims.len() - 1
            });
            checked.memo.outcomes.insert(key, index);
        }
        checked
    }
}

/// Whether a claim's outcome (checked against a corpus holding the `before` side of `changes`)
/// may differ in `input`'s corpus, which holds their `after` side: the sentence cites a changed
/// source; or its check looked beyond the cited sources (nothing cited, or no cited source on
/// topic: `judge_cited`) and either scored a changed source or would now score other sources
/// (the ranking weighs words by how many sources hold them, which any change may move). A
/// supported claim, or one its cited sources answer, read nothing else; whether a sentence is a
/// claim at all does not depend on the sources. (`candidate` is the claim's sentence now.)
fn may_change_with_sources(
    input: &ClaimInput<'_>,
    candidate: &Candidate,
    claim: &Claim,
    changes: &[SourceChange],
    limit: f32,
) -> bool {
    let cited = |source: &crate::corpus::Source| claim.cited.contains(&source.key);
    if changes
        .iter()
        .any(|change| cited(&change.before) || cited(&change.after))
    {
        return true;
    }
    let looked_further = match claim.verdict.as_ref() {
        Verdict::Supported { .. } | Verdict::Unchecked => false,
        Verdict::Uncited { .. } => true,
        Verdict::Unsupported { cited, .. } => cited.first().is_none_or(|best| best.score < limit),
    };
    if !looked_further {
        return false;
    }
    let scored_changed = changes
        .iter()
        .any(|change| claim.tried.contains(change.index));
    scored_changed || {
        let text = prose(input.text, candidate.sentence.clone(), &candidate.blanks);
        tried_sources(input, &text, &claim.cited) != claim.tried
    }
}

/// Rates a candidate sentence: `None` when it is no claim; else its rating, its content, and
/// for a claim with no citation the sources to try.
fn rate_candidate(input: &ClaimInput<'_>, candidate: &Candidate) -> Option<RatedClaim> {
    let prose = prose(input.text, candidate.sentence.clone(), &candidate.blanks);
    let worthiness = if candidate.has_citation {
        worthiness::assess_cited(&prose)
    } else {
        worthiness::assess(&prose)
    };
    if !worthiness.is_claim {
        return None;
    }
    let text = ClaimText::new(&prose);
    if text.content.len() + text.numbers.len() < MIN_CONTENT_WORDS {
        // `As @smith2020 says.`: too little said to check.
        return None;
    }
    let tried = (!candidate.has_citation).then(|| tried_sources(input, &text.prose, &[]));
    Some(RatedClaim {
        worthiness,
        text,
        tried,
    })
}

/// Checks a sentence rated a claim against the sources.
fn check_rated(input: &ClaimInput<'_>, candidate: Candidate, rated: RatedClaim) -> Claim {
    let RatedClaim {
        worthiness,
        text: claim,
        tried,
    } = rated;
    let (verdict, tried) = if let Some(tried) = tried {
        let backing = backing_sources(input, &claim, tried);
        (Verdict::Uncited { backing }, tried)
    } else if candidate.cited.is_empty() {
        (Verdict::Unchecked, TriedSources::default())
    } else {
        judge_cited(input, &claim, &candidate.cited)
    };
    Claim {
        sentence: candidate.sentence,
        block: candidate.block,
        cited_in_sentence: candidate.cited_in_sentence,
        cited: candidate.cited,
        worthiness,
        verdict: std::sync::Arc::new(verdict),
        tried,
    }
}

/// The minimum support score, from the settings.
fn threshold(settings: &CheckSettings) -> f32 {
    settings.claim_strictness
}

/// The verdict on a claim citing `cited`, and the other sources scored for it.
fn judge_cited(
    input: &ClaimInput<'_>,
    claim: &ClaimText,
    cited: &[String],
) -> (Verdict, TriedSources) {
    let mut attempts: Vec<Support> = cited
        .iter()
        .filter_map(|key| input.corpus.source_index(key))
        .filter_map(|index| support::assess(claim, input.corpus, input.passages, index))
        .collect();
    attempts.sort_by(|a, b| rank(b).total_cmp(&rank(a)));
    let limit = threshold(input.settings);
    if let Some(best) = attempts.iter().find(|s| s.backs(limit)) {
        return (
            Verdict::Supported { best: best.clone() },
            TriedSources::default(),
        );
    }
    // Several cited sources may back it together (`Both A and B report…`): what one lacks,
    // another holds.
    if attempts.len() > 1
        && let Some(first) = attempts.first()
    {
        let missing_in_all = |field: fn(&Support) -> &Vec<String>| -> Vec<String> {
            field(first)
                .iter()
                .filter(|item| attempts.iter().all(|a| field(a).contains(item)))
                .cloned()
                .collect()
        };
        let joint = Support {
            missing_numbers: missing_in_all(|s| &s.missing_numbers),
            missing_names: missing_in_all(|s| &s.missing_names),
            ..attempts
                .iter()
                .max_by(|a, b| a.score.total_cmp(&b.score))
                .unwrap_or(first)
                .clone()
        };
        if joint.backs(limit) {
            return (Verdict::Supported { best: joint }, TriedSources::default());
        }
    }
    // Another source is looked for when the cited one seems to be about something else (its
    // best passage shares too little); a changed number or name is the cited source's matter.
    let off_topic = attempts.first().is_none_or(|best| best.score < limit);
    let (elsewhere, tried) = if off_topic {
        let tried = tried_sources(input, &claim.prose, cited);
        (backing_sources(input, claim, tried), tried)
    } else {
        (Vec::new(), TriedSources::default())
    };
    (
        Verdict::Unsupported {
            elsewhere,
            cited: attempts,
        },
        tried,
    )
}

/// Orders attempts: backing ones first, then by score less what is missing.
fn rank(support: &Support) -> f32 {
    support.score - 0.5 * (support.missing_numbers.len() + support.missing_names.len()) as f32
}

/// The sources of `tried` that back `claim`, best first.
fn backing_sources(input: &ClaimInput<'_>, claim: &ClaimText, tried: TriedSources) -> Vec<Support> {
    let limit = threshold(input.settings);
    let mut backing: Vec<Support> = tried
        .iter()
        .filter_map(|index| support::assess(claim, input.corpus, input.passages, index))
        .filter(|s| s.backs(limit))
        .collect();
    backing.sort_by(|a, b| b.score.total_cmp(&a.score));
    backing
}

/// The sources other than `except` scored for a claim whose prose is `prose`: the
/// `SOURCES_TRIED` most likely to hold its words.
fn tried_sources(input: &ClaimInput<'_>, prose: &str, except: &[String]) -> TriedSources {
    TriedSources::new(
        passages::rank_sources(input.corpus, prose, SOURCES_TRIED + except.len())
            .into_iter()
            .filter(|&index| {
                input
                    .corpus
                    .sources
                    .get(index)
                    .is_some_and(|s| !except.contains(&s.key))
            }),
    )
}

/// A sentence that may be a claim, before it is rated.
struct Candidate {
    sentence: ByteRange,
    block: usize,
    has_citation: bool,
    cited_in_sentence: bool,
    cited: Vec<String>,
    /// Ranges inside the sentence that are not prose (its citations: sorted, disjoint).
    blanks: Vec<ByteRange>,
}

fn candidates(input: &ClaimInput<'_>) -> Vec<Candidate> {
    let note = input.note;
    let text = input.text;
    // What rules a sentence out, sorted for binary searches: the quotations the quotation checks
    // cover, and the unclosed quote marks and citation brackets (the sentence's problem already).
    // Merged, a range overlaps one of them exactly when it overlaps the first whose end is after
    // its start.
    let covered = crate::merge_overlapping(
        note.quotations
            .iter()
            .filter(|q| !q.ignored && q.word_count >= input.settings.min_quote_words)
            .map(|q| q.range.clone())
            .collect(),
    );
    let mut slips: Vec<usize> = note
        .problems
        .iter()
        .filter(|p| {
            matches!(
                p.kind,
                SyntaxProblemKind::UnclosedQuote | SyntaxProblemKind::UnclosedCitation
            )
        })
        .map(|p| p.range.start)
        .collect();
    slips.sort_unstable();
    let mut citations: Vec<&crate::notes::Citation> = note.citations.iter().collect();
    citations.sort_by_key(|c| c.range.start);
    let mut out = Vec::new();
    for (block_index, block) in note.blocks.iter().enumerate() {
        if block.ignored || !matches!(block.kind, BlockKind::Paragraph | BlockKind::ListItem) {
            continue;
        }
        let in_block = starting_in(&citations, |c| c.range.start, &block.range);
        let mut block_cited: Option<Vec<String>> = None;
        for (i, sentence) in block.sentences.iter().enumerate() {
            // The sentence runs to the next one (or the block's end) for what belongs to it: a
            // citation or a mark right after its full stop.
            let reach_end = block
                .sentences
                .get(i + 1)
                .map_or(block.range.end, |next| next.start);
            let reach = sentence.start..reach_end.max(sentence.end);
            if text
                .get(reach.clone())
                .is_some_and(|s| s.contains(OWN_VIEW_MARK))
            {
                continue;
            }
            let first_covered = covered.partition_point(|q| q.end <= reach.start);
            let covered_by_quote = covered
                .get(first_covered)
                .is_some_and(|q| q.start < reach.end);
            let slipped = !starting_in(&slips, |&at| at, &reach).is_empty();
            if covered_by_quote || slipped {
                continue;
            }
            let own = starting_in(in_block, |c| c.range.start, &reach);
            let cited = if own.is_empty() {
                // The paragraph's citations back the sentence: read them once per paragraph.
                block_cited
                    .get_or_insert_with(|| known_keys(input.corpus, in_block))
                    .clone()
            } else {
                known_keys(input.corpus, own)
            };
            out.push(Candidate {
                sentence: sentence.clone(),
                block: block_index,
                has_citation: !in_block.is_empty(),
                cited_in_sentence: !own.is_empty(),
                cited,
                blanks: own.iter().map(|c| c.range.clone()).collect(),
            });
        }
    }
    out
}

/// The keys `citations` cite that name a source, each once, in the order first cited.
fn known_keys(corpus: &Corpus, citations: &[&crate::notes::Citation]) -> Vec<String> {
    let mut seen = foldhash::HashSet::default();
    citations
        .iter()
        .flat_map(|citation| &citation.items)
        .filter(|item| corpus.source(&item.key).is_some() && seen.insert(item.key.as_str()))
        .map(|item| item.key.clone())
        .collect()
}

/// The items of `sorted` (sorted by `start_of`) that start inside `range`.
fn starting_in<'s, T>(
    sorted: &'s [T],
    start_of: impl Fn(&T) -> usize,
    range: &ByteRange,
) -> &'s [T] {
    let first = sorted.partition_point(|item| start_of(item) < range.start);
    let end = sorted.partition_point(|item| start_of(item) < range.end);
    sorted.get(first..end.max(first)).unwrap_or_default()
}

/// A sentence's prose: `blanks` (citations) replaced by spaces, link targets, code spans and HTML
/// comments dropped.
fn prose(text: &str, sentence: ByteRange, blanks: &[ByteRange]) -> String {
    let Some(slice) = text.get(sentence.clone()) else {
        return String::new();
    };
    let mut out = String::with_capacity(slice.len());
    let mut chars = slice.char_indices().peekable();
    // Once a closing `)` or `` ` `` is not found after some offset, it is not after any later
    // one: without this, a sentence of many unclosed `](` or backticks cost O(n²).
    let (mut no_paren_after, mut no_backtick_after) = (slice.len(), slice.len());
    while let Some((offset, c)) = chars.next() {
        let at = sentence.start + offset;
        // `blanks` are sorted and disjoint: the one that may hold `at` is the first ending after it.
        let blank = blanks.partition_point(|b| b.end <= at);
        if blanks.get(blank).is_some_and(|b| b.start <= at) {
            out.push(' ');
            continue;
        }
        if c == ']'
            && offset < no_paren_after
            && slice
                .get(offset + 1..)
                .is_some_and(|rest| rest.starts_with('('))
        {
            // `[text](target)`: skip the target.
            let rest = slice.get(offset + 1..).unwrap_or("");
            let found = rest.find(')');
            if found.is_none() {
                no_paren_after = offset;
            }
            if let Some(close) = found {
                let skip_to = offset + 1 + close;
                while chars.peek().is_some_and(|&(o, _)| o <= skip_to) {
                    chars.next();
                }
            }
            out.push(' ');
            continue;
        }
        if c == '`' && offset < no_backtick_after {
            // A code span is not prose.
            let rest = slice.get(offset + 1..).unwrap_or("");
            let found = rest.find('`');
            if found.is_none() {
                no_backtick_after = offset;
            }
            if let Some(close) = found {
                let skip_to = offset + 1 + close;
                while chars.peek().is_some_and(|&(o, _)| o <= skip_to) {
                    chars.next();
                }
                out.push(' ');
                continue;
            }
        }
        if c == '<'
            && slice
                .get(offset..)
                .is_some_and(|rest| rest.starts_with("<!--"))
        {
            let rest = slice.get(offset..).unwrap_or("");
            let skip_to = rest.find("-->").map_or(slice.len(), |end| offset + end + 2);
            while chars.peek().is_some_and(|&(o, _)| o <= skip_to) {
                chars.next();
            }
            out.push(' ');
            continue;
        }
        out.push(c);
    }
    out
}

/// Where a citation for `claim` goes: before the sentence's final full stop (or other closing
/// punctuation), else at its end.
pub fn citation_point(text: &str, sentence: &ByteRange) -> usize {
    let Some(slice) = text.get(sentence.clone()) else {
        return sentence.end.min(text.len());
    };
    let body = slice.trim_end();
    let without_closers = body.trim_end_matches(['"', '\'', '”', '’', ')', '*', '_']);
    match without_closers.chars().last() {
        Some('.' | '!' | '?' | '。') if without_closers.len() == body.len() => {
            sentence.start + body.len() - 1
        }
        _ => sentence.start + body.len(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::corpus::Source;

    /// Two sources: a harbour's annual report, and a winter's weather.
    pub(crate) fn corpus() -> Corpus {
        let source = |key: &str, text: &str| Source::markdown_for_test(key, text);
        Corpus::from_sources(
            vec![
                source(
                    "harbour",
                    "# Annual report\n\nThe Narva Port Authority reported that grain exports \
                     rose by 12 per cent in 2019. Most of the grain went to Tallin.\n\nThe \
                     harbour was dredged again the following spring.\n",
                ),
                source(
                    "weather",
                    "Storms closed the northern pass twice that winter. Snow lay late on the \
                     high fields. The pass reopened on 3 May 2020.\n",
                ),
            ],
            Vec::new(),
        )
    }

    fn claims(text: &str) -> Vec<(String, &'static str, Vec<String>)> {
        let corpus = corpus();
        let passages = PassageIndex::new(&corpus);
        let note = Note::parse(text);
        let settings = CheckSettings::default();
        let input = ClaimInput {
            text,
            note: &note,
            corpus: &corpus,
            passages: &passages,
            settings: &settings,
        };
        check_claims(&input, None, &[])
            .claims
            .into_iter()
            .map(|c| {
                let kind = match c.verdict.as_ref() {
                    Verdict::Uncited { .. } => "uncited",
                    Verdict::Supported { .. } => "supported",
                    Verdict::Unsupported { .. } => "unsupported",
                    Verdict::Unchecked => "unchecked",
                };
                let keys = match c.verdict.as_ref() {
                    Verdict::Uncited { backing } => backing.iter().map(|s| s.key.clone()).collect(),
                    Verdict::Supported { best } => vec![best.key.clone()],
                    Verdict::Unsupported { elsewhere, .. } => {
                        elsewhere.iter().map(|s| s.key.clone()).collect()
                    }
                    Verdict::Unchecked => Vec::new(),
                };
                (text[c.sentence].to_string(), kind, keys)
            })
            .collect()
    }

    #[test]
    fn cited_claims_are_supported_or_not() {
        let found = claims(
            "# Notes on 2019\n\n\
             Grain exports grew 12% in 2019, the Narva Port Authority reported [@harbour].\n\n\
             Grain exports grew 21% in 2019, the Narva Port Authority reported [@harbour].\n\n\
             The northern pass reopened on 3 May 2020 [@harbour].\n\n\
             This reading deserves more scrutiny than it gets.\n",
        );
        let kinds: Vec<(&str, &str)> = found.iter().map(|(s, k, _)| (&s[..12], *k)).collect();
        assert_eq!(
            kinds,
            vec![
                ("Grain export", "supported"),
                ("Grain export", "unsupported"),
                ("The northern", "unsupported"),
            ]
        );
        assert_eq!(found[2].2, vec!["weather"], "another source backs it");
    }

    #[test]
    fn uncited_claims_name_the_sources_that_back_them() {
        let found = claims(
            "The pass reopened on 3 May 2020.\n\n\
             It rained. The pass reopened on 3 May 2020 <!-- ibid-ignore -->\n\n\
             In 2019 grain exports rose 12%. More followed [@harbour].\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].1, "uncited");
        assert_eq!(found[0].2, vec!["weather"]);
        assert_eq!(
            found[1].1, "supported",
            "the paragraph's citation covers it"
        );
    }

    #[test]
    fn the_citation_goes_before_the_full_stop() {
        let text = "It grew by 12%. Then \"it fell.\"";
        assert_eq!(citation_point(text, &(0..15)), 14);
        assert_eq!(citation_point(text, &(16..text.len())), text.len());
    }

    /// An uncited claim is scored against the sources ranked first for it: after a source
    /// changes, it is checked again only when it scored that source or the ranking now picks
    /// other sources; kept or checked again, it is what a fresh check finds.
    #[test]
    fn an_uncited_claim_is_checked_again_only_when_its_tried_sources_change() {
        const CLAIM: &str = "The Narva Port Authority reported that grain exports rose by 12 per \
                             cent in 2019.";
        const HARBOUR: &str = "The Narva Port Authority reported that grain exports rose by 12 \
                               per cent in 2019.";
        const FERRIES: &str = "Ferries ran late that autumn.";
        let corpus_with = |filler: &str, harbour: &str| {
            let mut sources = vec![
                Source::markdown_for_test("harbour", harbour),
                Source::markdown_for_test("weather", "Storms closed the northern pass."),
            ];
            sources.extend((0..4).map(|i| {
                Source::markdown_for_test(
                    &format!("filler{i}"),
                    if i == 0 { filler } else { FERRIES },
                )
            }));
            Corpus::from_sources(sources, Vec::new())
        };
        let note = Note::parse(CLAIM);
        let settings = CheckSettings::default();
        let limit = threshold(&settings);
        let before = corpus_with(FERRIES, HARBOUR);
        let before_passages = PassageIndex::new(&before);
        let before_input = ClaimInput {
            text: CLAIM,
            note: &note,
            corpus: &before,
            passages: &before_passages,
            settings: &settings,
        };
        let previous = check_claims(&before_input, None, &[]);
        let [claim] = previous.claims.as_slice() else {
            panic!("one claim: {:?}", previous.claims);
        };
        assert!(
            matches!(claim.verdict.as_ref(), Verdict::Uncited { .. }),
            "{claim:?}"
        );
        let harbour = before.source_index("harbour").expect("harbour");
        assert!(claim.tried.contains(harbour), "{:?}", claim.tried);

        let filler = before.source_index("filler0").expect("filler0");
        let cases = [
            // A source it did not score, still without its words: kept.
            (filler, "Ferries ran early that autumn.", HARBOUR, false),
            // That source now holds its words and ranks among those scored: checked again.
            (filler, HARBOUR, HARBOUR, true),
            // A source it scored: checked again.
            (harbour, FERRIES, "The harbour was dredged again.", true),
        ];
        for (changed, filler_text, harbour_text, checked_again) in cases {
            let after = corpus_with(filler_text, harbour_text);
            let after_passages = PassageIndex::new(&after);
            let after_input = ClaimInput {
                corpus: &after,
                passages: &after_passages,
                ..before_input
            };
            let change = [SourceChange {
                index: changed,
                before: before.sources[changed].clone(),
                after: after.sources[changed].clone(),
            }];
            let candidate = candidates(&after_input)
                .into_iter()
                .find(|c| c.sentence == claim.sentence)
                .expect("the claim's sentence");
            assert_eq!(
                may_change_with_sources(&after_input, &candidate, claim, &change, limit),
                checked_again,
                "{filler_text} / {harbour_text}"
            );
            let reused = check_claims(
                &after_input,
                Some((&previous.claims, &previous.memo)),
                &change,
            );
            let fresh = check_claims(&after_input, None, &[]);
            assert_eq!(
                reused.claims, fresh.claims,
                "{filler_text} / {harbour_text}"
            );
        }
    }
}

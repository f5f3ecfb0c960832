//! Check-worthiness: whether a sentence of a note states a checkable fact (and so needs a
//! citation) or is the writer's own view. Explicit rules, each a named signal with a weight; a
//! sentence is a claim when the weights sum to at least `CLAIM_THRESHOLD`. docs/diagnostics.md
//! lists the rules.
//!
//! For a claim: a number or percentage (+2), a year or a date (+1.5), reported speech (`said`,
//! `announced`, `according to`: +2), a named actor doing something (a name and a verb of action
//! or a past tense: +1.5), names (+0.5 each, at most +1), a superlative or a first (+1).
//! Against: a question (never a claim), first-person voice (−2.5), hedges and modal verbs
//! (`perhaps`, `likely`: −2), modal verbs outside reported speech (`should`,
//! `could`: −1.5), evaluative words (`deserves`, `striking`, `in hindsight`:
//! −2). Each opinion marker counts once. A sentence that cites a source needs 1 rather than 2:
//! the citation already says the writer reports the source.

use super::lexicon::{self, Token};

/// The score from which a sentence is a claim.
pub const CLAIM_THRESHOLD: f32 = 2.0;

/// The score from which a sentence that cites a source is a claim: the citation says the writer
/// reports the source, so a name or a date is enough, short of an opinion marker.
pub const CITED_CLAIM_THRESHOLD: f32 = 1.0;

/// One reason a sentence is, or is not, a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Number,
    Date,
    ReportedSpeech,
    ActorDoing,
    Name,
    Superlative,
    FirstPerson,
    Hedge,
    Modal,
    Evaluation,
}

impl Signal {
    pub fn weight(self) -> f32 {
        match self {
            Signal::Number => 2.0,
            Signal::Date => 1.5,
            Signal::ReportedSpeech => 2.0,
            Signal::ActorDoing => 1.5,
            Signal::Name => 0.5,
            Signal::Superlative => 1.0,
            Signal::FirstPerson => -2.5,
            Signal::Hedge => -2.0,
            Signal::Modal => -1.5,
            Signal::Evaluation => -2.0,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Signal::Number => "a number",
            Signal::Date => "a date",
            Signal::ReportedSpeech => "reported speech",
            Signal::ActorDoing => "a named actor doing something",
            Signal::Name => "a name",
            Signal::Superlative => "a superlative or a first",
            Signal::FirstPerson => "the writer's own voice",
            Signal::Hedge => "a hedge",
            Signal::Modal => "a modal verb",
            Signal::Evaluation => "an evaluation",
        }
    }
}

/// The verdict on one sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Worthiness {
    pub signals: Vec<Signal>,
    pub score: f32,
    pub is_claim: bool,
}

const REPORTING: &[&str] = &[
    "said",
    "says",
    "say",
    "stated",
    "announced",
    "announces",
    "told",
    "tells",
    "declared",
    "declares",
    "reported",
    "claimed",
    "asserted",
    "confirmed",
    "confirms",
    "denied",
    "denies",
    "wrote",
    "writes",
    "noted",
    "stressed",
    "stresses",
    "emphasized",
    "emphasised",
    "emphasizes",
    "emphasises",
    "acknowledged",
    "admitted",
    "warned",
    "warns",
    "insisted",
    "argued",
    "argues",
    "described",
    "describes",
    "called",
    "urged",
    "urges",
    "pledged",
    "pledges",
    "promised",
    "vowed",
    "criticized",
    "criticised",
    "praised",
    "praises",
];

const ACTIONS: &[&str] = &[
    "signed",
    "signs",
    "launched",
    "launches",
    "hosted",
    "hosts",
    "joined",
    "joins",
    "founded",
    "established",
    "establishes",
    "proposed",
    "proposes",
    "visited",
    "visits",
    "met",
    "meets",
    "held",
    "holds",
    "agreed",
    "agrees",
    "adopted",
    "adopts",
    "created",
    "creates",
    "became",
    "becomes",
    "expanded",
    "invested",
    "invests",
    "rejected",
    "rejects",
    "approved",
    "approves",
    "accounted",
    "accounts",
    "increased",
    "rose",
    "rises",
    "fell",
    "falls",
    "grew",
    "grows",
    "declined",
    "reached",
    "reaches",
    "won",
    "wins",
    "elected",
    "introduced",
    "introduces",
    "built",
    "builds",
    "opened",
    "opens",
    "sent",
    "sends",
    "began",
    "begins",
    "ended",
    "ends",
    "voted",
    "votes",
    "includes",
    "included",
    "comprises",
    "spans",
    "remains",
    "remained",
    "refused",
    "sought",
    "seeks",
    "led",
    "leads",
    "chaired",
    "chairs",
    "attended",
    "attends",
    "co-founded",
    "supplies",
    "supplied",
    "exports",
    "imports",
    "exported",
    "imported",
    "borders",
    "hosting",
    "pushed",
    "pushes",
    "formed",
    "forms",
];

const SUPERLATIVES: &[&str] = &[
    "first", "largest", "biggest", "highest", "lowest", "smallest", "oldest", "newest", "longest",
    "fastest", "greatest", "most", "least", "record", "only", "never", "earliest", "latest", "top",
];

const FIRST_PERSON: &[&str] = &[
    "i",
    "me",
    "my",
    "mine",
    "we",
    "us",
    "our",
    "ours",
    "myself",
    "ourselves",
    "i'm",
    "i've",
    "i'd",
    "we're",
    "we've",
    "we'd",
    "let's",
];

/// Modal verbs: a hedge in the writer's voice, but part of the content in reported speech
/// (`the minister said the corridor would open`).
const MODALS: &[&str] = &["might", "could", "would", "should", "ought", "must", "may"];

const HEDGES: &[&str] = &[
    "perhaps",
    "arguably",
    "probably",
    "possibly",
    "presumably",
    "likely",
    "unlikely",
    "seems",
    "seem",
    "seemed",
    "appears",
    "apparently",
    "maybe",
    "suggests",
    "suggest",
    "conceivably",
    "plausibly",
    "speculate",
    "guess",
    "wonder",
    "doubt",
    "if",
    "whether",
    "looks",
    "remains",
];

const EVALUATIONS: &[&str] = &[
    "deserves",
    "deserve",
    "worth",
    "striking",
    "remarkable",
    "interesting",
    "curious",
    "telling",
    "important",
    "crucial",
    "questionable",
    "doubtful",
    "unclear",
    "convincing",
    "unconvincing",
    "overstated",
    "understated",
    "naive",
    "problematic",
    "troubling",
    "welcome",
    "regrettable",
    "hindsight",
    "ironically",
    "surprisingly",
    "unsurprisingly",
    "notably",
    "admittedly",
    "frankly",
    "obviously",
    "clearly",
    "simplistic",
    "misleading",
    "persuasive",
    "compelling",
    "scrutiny",
    "vague",
    "ambitious",
    "overblown",
    "premature",
    "missed",
    "rhetoric",
    "spin",
    "framing",
    "lesson",
    "lessons",
    "wise",
    "unwise",
    "better",
    "worse",
    "best",
    "worst",
    "needs",
    "need",
    "hard",
    "difficult",
    "easy",
    "risky",
    "appealing",
];

/// Phrases that recommend or prescribe: the writer's view, whatever else the sentence holds.
const RECOMMENDATIONS: &[&[&str]] = &[
    &["would", "do", "well"],
    &["do", "well", "to"],
    &["need", "to"],
    &["needs", "to"],
    &["it", "is", "time"],
    &["bear", "in", "mind"],
    &["keep", "in", "mind"],
    &["worth", "asking"],
];

/// Rates one sentence (its prose, citations already blanked out) that cites nothing.
pub fn assess(sentence: &str) -> Worthiness {
    assess_with(sentence, CLAIM_THRESHOLD)
}

/// Rates one sentence that cites a source (or sits in a paragraph that does).
pub fn assess_cited(sentence: &str) -> Worthiness {
    assess_with(sentence, CITED_CLAIM_THRESHOLD)
}

fn assess_with(sentence: &str, threshold: f32) -> Worthiness {
    let trimmed = sentence.trim_end();
    let tokens = lexicon::tokens(sentence);
    let lower: Vec<String> = tokens.iter().map(Token::lower).collect();
    let mut signals = Vec::new();
    let question = trimmed.ends_with('?')
        || trimmed
            .trim_end_matches(['"', '\'', '”', '’', ')', ']', '*', '_'])
            .ends_with('?');

    let years = tokens.iter().filter(|t| t.is_year()).count();
    let numbers = tokens
        .iter()
        .filter(|t| t.number.is_some() && !t.is_year())
        .count();
    let months = lower.iter().filter(|w| lexicon::is_month(w)).count();
    if numbers > 0 {
        signals.push(Signal::Number);
    }
    if years > 0 || months > 0 && numbers > 0 {
        signals.push(Signal::Date);
    }
    let has = |list: &[&str]| lower.iter().any(|w| list.contains(&w.as_str()));
    // Opinion words count in lowercase only (`may` is a hedge, `May` a month), or opening the
    // sentence.
    let has_lowercase = |list: &[&str]| {
        tokens
            .iter()
            .zip(&lower)
            .enumerate()
            .any(|(i, (t, w))| (i == 0 || !t.is_capitalised()) && list.contains(&w.as_str()))
    };
    let according_to = lower.windows(2).any(|pair| {
        pair.first().is_some_and(|w| w == "according") && pair.get(1).is_some_and(|w| w == "to")
    });
    if has(REPORTING) || according_to {
        signals.push(Signal::ReportedSpeech);
    }
    let names = lexicon::names(sentence, &tokens);
    if !names.is_empty() {
        let is_verb = |w: &str| ACTIONS.contains(&w) || REPORTING.contains(&w) || is_past_tense(w);
        let inside_name = |i: usize| {
            tokens.get(i).is_some_and(|t| {
                names
                    .iter()
                    .any(|n| n.range.start <= t.range.start && t.range.end <= n.range.end)
            })
        };
        // A name that may only be a sentence opener (`Code is…`) acts only through the verb
        // right after it (`Beijing signed…`).
        let acts = lower
            .iter()
            .enumerate()
            .any(|(i, w)| !inside_name(i) && is_verb(w) && names.iter().any(|n| !n.uncertain))
            || names.iter().filter(|n| n.uncertain).any(|n| {
                tokens
                    .iter()
                    .position(|t| t.range.start >= n.range.end)
                    .and_then(|next| lower.get(next))
                    .is_some_and(|w| is_verb(w))
            });
        if acts {
            signals.push(Signal::ActorDoing);
        }
        signals.push(Signal::Name);
        if names.len() > 1 {
            signals.push(Signal::Name);
        }
    }
    if has(SUPERLATIVES) {
        signals.push(Signal::Superlative);
    }
    if has(FIRST_PERSON) {
        signals.push(Signal::FirstPerson);
    }
    // `said … would`, `said … vague`: the modal or the judgement is the reported content, not the
    // writer's.
    let reported = lower
        .iter()
        .any(|w| REPORTING.contains(&w.as_str()) && w.ends_with("ed"))
        || lower
            .iter()
            .any(|w| matches!(w.as_str(), "said" | "told" | "wrote"));
    if has_lowercase(HEDGES) {
        signals.push(Signal::Hedge);
    }
    if !reported && has_lowercase(MODALS) {
        signals.push(Signal::Modal);
    }
    let recommends = RECOMMENDATIONS.iter().any(|phrase| {
        lower
            .windows(phrase.len())
            .any(|window| window.iter().zip(phrase.iter()).all(|(w, p)| w == p))
    });
    if recommends || !reported && has_lowercase(EVALUATIONS) {
        signals.push(Signal::Evaluation);
    }
    let score = signals.iter().map(|s| s.weight()).sum();
    Worthiness {
        is_claim: !question && score >= threshold,
        signals,
        score,
    }
}

/// A regular past tense or participle (`ratified`, `expanded`), not an adjective in `-ed` that
/// names a state (`interested`, `concerned`).
fn is_past_tense(lower: &str) -> bool {
    lower.len() > 5
        && lower.ends_with("ed")
        && !matches!(
            lower,
            "interested"
                | "concerned"
                | "supposed"
                | "united"
                | "limited"
                | "detailed"
                | "varied"
                | "mixed"
                | "advanced"
                | "related"
                | "based"
                | "shared"
                | "beloved"
                | "alleged"
                | "so-called"
                | "renewed"
                | "heightened"
                | "increased"
                | "sustained"
                | "unprecedented"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(sentence: &str) -> bool {
        assess(sentence).is_claim
    }

    #[test]
    fn facts_are_claims() {
        assert!(claim(
            "The Narva Compact was signed in 1998 by four states."
        ));
        assert!(claim("Exports to Tallin rose by 14% last year."));
        assert!(claim(
            "Minister Aro Vela said the corridor would open in spring."
        ));
        assert!(claim(
            "According to the ministry, the corridor carries most of the grain."
        ));
        assert!(claim("Narva became the first member to leave the bloc."));
        assert!(claim("The bloc now has nine members."));
    }

    #[test]
    fn the_writers_own_view_is_not_a_claim() {
        assert!(!claim("This framing deserves closer scrutiny."));
        assert!(!claim("I find the ministry's reasoning unconvincing."));
        assert!(!claim(
            "The 2019 summit looks, in hindsight, like a missed chance."
        ));
        assert!(!claim(
            "Perhaps the corridor matters less than its champions say."
        ));
        assert!(!claim("Why did Narva leave in 1998?"));
        assert!(!claim("The argument is elegant but thin."));
        assert!(!claim("We should read these statements with care."));
        assert!(!claim(
            "Readers would do well to weigh what Narva says against what it does."
        ));
    }

    #[test]
    fn signals_say_why() {
        let verdict = assess("In 2004 Tallin announced a 12% tariff.");
        assert!(verdict.signals.contains(&Signal::Number));
        assert!(verdict.signals.contains(&Signal::Date));
        assert!(verdict.signals.contains(&Signal::ReportedSpeech));
        assert!(verdict.signals.contains(&Signal::Name));
        assert!(verdict.score >= CLAIM_THRESHOLD);
    }
}

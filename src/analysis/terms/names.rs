//! Finding term names in text: one Aho-Corasick automaton over every name (ASCII
//! case-insensitive), whole-word matches only, and the leftmost-longest match kept where two
//! overlap. Acronyms (names without lowercase letters) are case-sensitive-ish: they match as
//! written (`BRI`) or all lowercase (`bri`, as people type in notes) when the lowercase form is
//! not a common English word (`US` never matches `us`, `WHO` never `who`); never in mixed case.
//!
//! Whitespace runs in the text (a name wrapped over two lines of a note) match one space in a
//! name.
//!
//! The automaton reports overlapping candidates so that a longer name rejected by the word-boundary
//! or case check does not hide a shorter one that passes; the leftmost-longest selection is done
//! afterwards over the accepted matches.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::ByteRange;

/// A set of names, each pointing at a term.
#[derive(Debug, Clone, Default)]
pub struct NameMatcher {
    automaton: Option<AhoCorasick>,
    /// Per pattern: the term it names and whether it must match with its exact case.
    patterns: Vec<NamePattern>,
}

#[derive(Debug, Clone)]
struct NamePattern {
    name: String,
    term: usize,
    exact_case: bool,
}

/// Whether `name` is an acronym: it has an uppercase letter and no lowercase one (`BRI`, `G20`).
pub fn is_acronym(name: &str) -> bool {
    name.chars().any(char::is_uppercase) && !name.chars().any(char::is_lowercase)
}

impl NameMatcher {
    /// Builds the matcher over `(name, term)` pairs. Empty names are ignored; a term may have any
    /// number of names.
    pub fn new(names: impl IntoIterator<Item = (String, usize)>) -> NameMatcher {
        let patterns: Vec<NamePattern> = names
            .into_iter()
            .map(|(name, term)| (name.split_whitespace().collect::<Vec<_>>().join(" "), term))
            .filter(|(name, _)| !name.is_empty())
            .map(|(name, term)| NamePattern {
                exact_case: is_acronym(&name),
                name,
                term,
            })
            .collect();
        if patterns.is_empty() {
            return NameMatcher::default();
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(patterns.iter().map(|p| p.name.as_str()));
        match automaton {
            Ok(automaton) => NameMatcher {
                automaton: Some(automaton),
                patterns,
            },
            Err(error) => {
                tracing::warn!(%error, "could not build the term automaton");
                NameMatcher::default()
            }
        }
    }

    /// Every whole-word occurrence of a name in `text`, as `(range, term)`, in text order and
    /// without overlaps (the leftmost, then the longest, wins; at equal spans, an exact-case
    /// match beats a case-insensitive one, then the first name given).
    pub fn find(&self, text: &str) -> Vec<(ByteRange, usize)> {
        if self.automaton.is_none() {
            return Vec::new();
        }
        match squeeze_whitespace(text) {
            None => self.find_in_squeezed(text),
            Some((squeezed, origins)) => self
                .find_in_squeezed(&squeezed)
                .into_iter()
                .filter_map(|(range, term)| {
                    let start = *origins.get(range.start)?;
                    let end = *origins.get(range.end - 1)? + 1;
                    Some((start..end, term))
                })
                .collect(),
        }
    }

    /// `find` over text whose whitespace runs are single spaces.
    fn find_in_squeezed(&self, text: &str) -> Vec<(ByteRange, usize)> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        // (start, end, exact-case rank, pattern)
        let mut accepted: Vec<(usize, usize, u8, usize)> = Vec::new();
        for found in automaton.find_overlapping_iter(text) {
            let pattern_index = found.pattern().as_usize();
            let Some(pattern) = self.patterns.get(pattern_index) else {
                continue;
            };
            let range = found.range();
            let Some(slice) = text.get(range.clone()) else {
                continue;
            };
            let exact = slice == pattern.name;
            if pattern.exact_case && !exact && !is_lowercase_acronym(slice, &pattern.name) {
                continue;
            }
            if !is_word_boundary(text, range.start, range.end) {
                continue;
            }
            accepted.push((range.start, range.end, u8::from(!exact), pattern_index));
        }
        accepted.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then(b.1.cmp(&a.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        let mut result = Vec::new();
        let mut covered_until = 0;
        for (start, end, _, pattern_index) in accepted {
            if start < covered_until {
                continue;
            }
            if let Some(pattern) = self.patterns.get(pattern_index) {
                result.push((start..end, pattern.term));
                covered_until = end;
            }
        }
        result
    }
}

/// `text` with every whitespace run replaced by one space, and for each of its bytes the offset
/// of the byte in `text` it came from (a run's space: the run's first byte); `None` when `text`
/// has no other whitespace than single spaces.
fn squeeze_whitespace(text: &str) -> Option<(String, Vec<usize>)> {
    let mut previous_space = false;
    let needs = text.chars().any(|c| {
        let squeeze = c.is_whitespace() && (c != ' ' || previous_space);
        previous_space = c.is_whitespace();
        squeeze
    });
    if !needs {
        return None;
    }
    let mut squeezed = String::with_capacity(text.len());
    let mut origins = Vec::with_capacity(text.len());
    let mut in_space = false;
    for (offset, c) in text.char_indices() {
        if c.is_whitespace() {
            if !in_space {
                squeezed.push(' ');
                origins.push(offset);
            }
            in_space = true;
            continue;
        }
        in_space = false;
        squeezed.push(c);
        origins.extend(offset..offset + c.len_utf8());
    }
    Some((squeezed, origins))
}

/// Whether `found` is the acronym `name` written all lowercase, and that spelling cannot be an
/// ordinary word: at least three chars, and not a common English word.
fn is_lowercase_acronym(found: &str, name: &str) -> bool {
    found.chars().count() >= 3
        && !found.chars().any(char::is_uppercase)
        && found == name.to_lowercase()
        && !COMMON_WORDS.contains(&found)
}

/// Common English words of three to five letters that are also plausible acronyms.
const COMMON_WORDS: &[&str] = &[
    "aid", "aim", "air", "all", "and", "any", "are", "arm", "art", "ask", "bad", "bag", "ban",
    "bar", "bed", "bet", "big", "bit", "box", "boy", "bus", "but", "buy", "can", "cap", "car",
    "cat", "cod", "cop", "cow", "cry", "cup", "cut", "day", "did", "die", "dig", "dog", "dry",
    "due", "ear", "eat", "egg", "end", "era", "eye", "fan", "far", "fat", "fed", "few", "fig",
    "fit", "fix", "fly", "for", "fun", "gap", "gas", "get", "god", "got", "gun", "guy", "had",
    "has", "hat", "her", "him", "his", "hit", "hot", "how", "ice", "ill", "its", "job", "joy",
    "key", "kid", "law", "lay", "led", "leg", "let", "lie", "lot", "low", "mad", "man", "map",
    "may", "men", "met", "mix", "mob", "mom", "net", "new", "nor", "not", "now", "nut", "odd",
    "off", "oil", "old", "one", "our", "out", "own", "pan", "pay", "pen", "per", "pet", "pie",
    "pin", "pit", "pop", "pot", "put", "ran", "rat", "raw", "red", "rid", "rod", "row", "run",
    "sad", "sat", "saw", "say", "sea", "see", "set", "she", "shy", "sin", "sit", "six", "sky",
    "son", "spa", "spy", "sum", "sun", "tab", "tag", "tax", "tea", "ten", "the", "tie", "tin",
    "tip", "toe", "too", "top", "toy", "try", "two", "use", "van", "via", "war", "was", "way",
    "web", "wet", "who", "why", "win", "won", "yes", "yet", "you", "able", "also", "area", "army",
    "away", "back", "band", "bank", "base", "bear", "beat", "best", "bill", "bird", "blue", "boat",
    "body", "bond", "book", "born", "call", "came", "camp", "card", "care", "case", "cash", "cell",
    "city", "club", "coal", "code", "cold", "come", "cool", "core", "cost", "crew", "crop", "dark",
    "data", "date", "deal", "dear", "debt", "deep", "deny", "desk", "does", "done", "door", "down",
    "draw", "drug", "dual", "duty", "each", "earn", "east", "easy", "edge", "else", "even", "ever",
    "exit", "face", "fact", "fail", "fair", "fall", "farm", "fast", "fear", "feel", "file", "fill",
    "film", "find", "fine", "fire", "firm", "fish", "five", "flat", "flow", "food", "foot", "form",
    "four", "free", "from", "fuel", "full", "fund", "gain", "game", "gave", "gift", "girl", "give",
    "goal", "goes", "gold", "gone", "good", "grew", "grow", "half", "hall", "hand", "hard", "have",
    "head", "hear", "heat", "held", "help", "here", "high", "hill", "hold", "home", "hope", "host",
    "hour", "huge", "idea", "into", "iron", "item", "join", "jump", "just", "keep", "kept", "kind",
    "king", "knew", "know", "lack", "lady", "laid", "land", "last", "late", "lead", "left", "less",
    "life", "like", "line", "link", "list", "live", "load", "loan", "long", "look", "lord", "lose",
    "loss", "lost", "love", "made", "mail", "main", "make", "male", "many", "mark", "mass", "meal",
    "mean", "meet", "mind", "mine", "miss", "mode", "more", "most", "move", "much", "must", "name",
    "navy", "near", "need", "news", "next", "nice", "nine", "none", "nose", "note", "once", "only",
    "open", "over", "pace", "pack", "page", "paid", "pain", "pair", "park", "part", "pass", "past",
    "path", "peak", "pick", "plan", "play", "plus", "poll", "pool", "poor", "port", "post", "pull",
    "pure", "push", "race", "rain", "rank", "rare", "rate", "read", "real", "rely", "rest", "rich",
    "ride", "ring", "rise", "risk", "road", "rock", "role", "roll", "room", "root", "rose", "rule",
    "rush", "safe", "said", "sale", "salt", "same", "sand", "save", "seat", "seek", "seem", "seen",
    "self", "sell", "send", "sent", "ship", "shop", "shot", "show", "shut", "sick", "side", "sign",
    "site", "size", "skin", "slow", "snow", "soft", "soil", "sold", "sole", "some", "song", "soon",
    "sort", "soul", "spot", "star", "stay", "step", "stop", "such", "suit", "sure", "take", "tale",
    "talk", "tall", "tank", "tape", "task", "team", "tell", "tend", "term", "test", "text", "than",
    "that", "them", "then", "they", "thin", "this", "thus", "time", "tiny", "told", "tone", "took",
    "tool", "tour", "town", "tree", "trip", "true", "turn", "twin", "type", "unit", "upon", "used",
    "user", "vast", "very", "view", "vote", "wage", "wait", "wake", "walk", "wall", "want", "warm",
    "warn", "wash", "wave", "weak", "wear", "week", "well", "went", "were", "west", "what", "when",
    "whom", "wide", "wife", "wild", "will", "wind", "wine", "wing", "wire", "wise", "wish", "with",
    "wood", "word", "wore", "work", "yard", "year", "zero", "zone", "about", "above", "actor",
    "adult", "after", "again", "agent", "agree", "ahead", "alarm", "album", "alert", "alike",
    "alive", "allow", "alone", "along", "alter", "among", "anger", "angle", "apart", "apple",
    "apply", "arena", "argue", "arise", "array", "aside", "asset", "audio", "avoid", "award",
    "aware", "basic", "basis", "beach", "begin", "being", "below", "bench", "birth", "black",
    "blame", "blind", "block", "board", "brain", "brand", "bread", "break", "brief", "bring",
    "broad", "brown", "build", "buyer", "cable", "carry", "catch", "cause", "chain", "chair",
    "chart", "check", "chief", "child", "civil", "claim", "class", "clean", "clear", "climb",
    "clock", "close", "coach", "coast", "count", "court", "cover", "craft", "crime", "cross",
    "crowd", "cycle", "daily", "dance", "death", "delay", "depth", "doubt", "draft", "drama",
    "dream", "dress", "drink", "drive", "early", "earth", "eight", "elite", "empty", "enemy",
    "enjoy", "enter", "entry", "equal", "error", "event", "every", "exact", "exist", "extra",
    "faith", "false", "fault", "field", "fifth", "fight", "final", "first", "floor", "focus",
    "force", "frame", "fresh", "front", "fruit", "fully", "giant", "given", "glass", "grand",
    "grant", "grass", "great", "green", "gross", "group", "guard", "guess", "guest", "guide",
    "happy", "heart", "heavy", "horse", "hotel", "house", "human", "ideal", "image", "index",
    "inner", "input", "issue", "joint", "judge", "known", "label", "large", "laser", "later",
    "laugh", "layer", "learn", "lease", "least", "leave", "legal", "level", "light", "limit",
    "local", "logic", "loose", "lower", "lucky", "lunch", "major", "maker", "march", "match",
    "mayor", "media", "metal", "might", "minor", "model", "money", "month", "moral", "motor",
    "mount", "mouse", "mouth", "movie", "music", "never", "night", "noise", "north", "novel",
    "nurse", "occur", "ocean", "offer", "often", "order", "other", "outer", "owner", "panel",
    "paper", "party", "peace", "phase", "phone", "piece", "pilot", "pitch", "place", "plain",
    "plane", "plant", "plate", "point", "pound", "power", "press", "price", "pride", "prime",
    "print", "prior", "prize", "proof", "proud", "prove", "queen", "quick", "quiet", "quite",
    "radio", "raise", "range", "rapid", "ratio", "reach", "ready", "refer", "relax", "reply",
    "right", "river", "rough", "round", "route", "royal", "rural", "scale", "scene", "scope",
    "score", "sense", "serve", "seven", "shall", "shape", "share", "sharp", "sheet", "shelf",
    "shell", "shift", "shirt", "shock", "shoot", "short", "sight", "skill", "sleep", "small",
    "smart", "smile", "solid", "solve", "sorry", "sound", "south", "space", "spare", "speak",
    "speed", "spend", "sport", "staff", "stage", "stake", "stand", "start", "state", "steam",
    "steel", "stick", "still", "stock", "stone", "store", "storm", "story", "strip", "study",
    "stuff", "style", "sugar", "super", "sweet", "table", "taste", "teach", "thank", "theme",
    "there", "thick", "thing", "think", "third", "those", "three", "throw", "tight", "title",
    "today", "topic", "total", "touch", "tough", "tower", "track", "trade", "train", "treat",
    "trend", "trial", "truck", "truly", "trust", "truth", "twice", "under", "union", "unity",
    "until", "upper", "upset", "urban", "usual", "valid", "value", "video", "visit", "vital",
    "voice", "waste", "watch", "water", "wheel", "where", "which", "while", "white", "whole",
    "whose", "woman", "world", "worry", "worse", "worst", "worth", "would", "wound", "write",
    "wrong", "young", "youth",
];

/// No alphanumeric char right before `start` or right after `end`.
pub fn is_word_boundary(text: &str, start: usize, end: usize) -> bool {
    let before = text.get(..start).and_then(|s| s.chars().next_back());
    let after = text.get(end..).and_then(|s| s.chars().next());
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(names: &[(&str, usize)], text: &str) -> Vec<(String, usize)> {
        let matcher = NameMatcher::new(names.iter().map(|(n, t)| (n.to_string(), *t)));
        matcher
            .find(text)
            .into_iter()
            .map(|(r, t)| (text[r].to_string(), t))
            .collect()
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(
            found(&[("port", 0)], "Port reports on the port, portside."),
            [("Port".to_string(), 0), ("port".to_string(), 0)]
        );
    }

    #[test]
    fn acronyms_match_as_written_or_all_lowercase() {
        assert_eq!(
            found(
                &[("TRC", 0)],
                "The TRC met; trc came, Trc and tRC did not, nor strc."
            ),
            [("TRC".to_string(), 0), ("trc".to_string(), 0)]
        );
    }

    #[test]
    fn lowercase_acronyms_that_are_common_words_do_not_match() {
        assert_eq!(
            found(
                &[("WHO", 0), ("US", 1), ("BRI", 2)],
                "The WHO and the US met us; who knows? bri and BRI."
            ),
            [
                ("WHO".to_string(), 0),
                ("US".to_string(), 1),
                ("bri".to_string(), 2),
                ("BRI".to_string(), 2)
            ]
        );
    }

    #[test]
    fn longest_wins_and_a_rejected_long_name_does_not_hide_a_short_one() {
        assert_eq!(
            found(
                &[("river pact", 0), ("river pact council", 1), ("pact", 2)],
                "The River Pact Council met. The river pact councils met."
            ),
            [
                ("River Pact Council".to_string(), 1),
                ("river pact".to_string(), 0)
            ]
        );
    }

    #[test]
    fn a_name_wrapped_over_lines_is_found_in_the_original_offsets() {
        let text = "We met the River\n  Pact — a   river  pact; the River Pact.";
        let matcher = NameMatcher::new([("river  pact".to_string(), 0)]);
        let found: Vec<&str> = matcher
            .find(text)
            .into_iter()
            .map(|(r, _)| &text[r])
            .collect();
        assert_eq!(found, ["River\n  Pact", "river  pact", "River Pact"]);
    }

    #[test]
    fn empty_matcher_finds_nothing() {
        assert!(NameMatcher::new(Vec::new()).find("anything").is_empty());
    }
}

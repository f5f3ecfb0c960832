//! Finding term names in text: one Aho-Corasick automaton over every name (ASCII
//! case-insensitive), whole-word matches only, acronyms (names without lowercase letters) matched
//! with their exact case, and the leftmost-longest match kept where two overlap.
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
            .filter(|(name, _)| !name.trim().is_empty())
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
            if pattern.exact_case && !exact {
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
    fn acronyms_need_their_case() {
        assert_eq!(
            found(&[("TRC", 0)], "The TRC met; trc and Trc did not."),
            [("TRC".to_string(), 0)]
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
    fn empty_matcher_finds_nothing() {
        assert!(NameMatcher::new(Vec::new()).find("anything").is_empty());
    }
}

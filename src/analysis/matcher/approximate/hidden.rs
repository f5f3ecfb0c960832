//! Where a run of matched words may hide from the trigram anchors. The alignment requires three
//! quotation words matched one after the other; the trigram pass finds such a run wherever the
//! source holds the three words verbatim, one space apart. A run holds otherwise only across
//! extraction noise (a quotation word's drop-cap remnant at a paragraph's start, its two halves
//! side by side, two quotation words written as one), across page furniture jumped between two
//! paragraphs, across an elision the source has no words for, or next to chars of a script
//! written without spaces. The fallback pass (anchors on pairs of content words) is for these:
//! it reads only the windows holding one of these places. (The trigram pass has its limits: the
//! longest `MAX_NGRAMS` n-grams, the densest `MAX_CANDIDATES` windows, a budget of cells; a
//! verbatim run past them is not looked for again.)

use super::super::exact::JUNK_MAX_BYTES;
use super::super::words::{WordHashes, is_drop_cap_remnant, is_unspaced};
use super::bound::IndexedWords;
use super::{Haystack, QuoteWord, occurrences_of_run};
use crate::ByteRange;
use crate::corpus::{key_word_end as word_end, key_word_start as word_start, word_hash};

/// The places of `haystack` where a run of the quotation's `words` may hold without the words
/// verbatim side by side, as ranges of the source words involved, sorted by start; `None` when
/// any window may hold one (a quotation with chars of a script written without spaces, which
/// the source may space otherwise). `index`, when given, rules places out before the text is
/// searched (it never rules out one that is there).
pub(super) fn places(
    words: &[QuoteWord<'_>],
    haystack: Haystack<'_>,
    index: Option<&dyn IndexedWords>,
) -> Option<Vec<ByteRange>> {
    if words.iter().any(|word| word.text.chars().any(is_unspaced)) {
        return None;
    }
    let mut found = at_paragraph_starts(words, haystack, index);
    let key = haystack.text;
    // A word's halves side by side, two words joined into one, and two words on either side of
    // an elision side by side: searched for, where the index allows them.
    let side_by_side = |first: &str, second: &str| {
        index.is_none_or(|index| {
            index.may_hold(first)
                && index.may_hold(second)
                && index.may_hold_side_by_side(first, second)
        })
    };
    // Each needle with its two words when it is two (then the index may tell where it can be).
    let mut needles: Vec<(String, Option<[&str; 2]>)> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let text = word.text;
        for (at, _) in text.char_indices().skip(1) {
            if let (Some(first), Some(second)) = (text.get(..at), text.get(at..))
                && side_by_side(first, second)
            {
                needles.push((format!("{first} {second}"), Some([first, second])));
            }
        }
        let Some(previous) = i.checked_sub(1).and_then(|p| words.get(p)) else {
            continue;
        };
        if word.gap_before.is_none() {
            let joined = format!("{}{}", previous.text, text);
            if index.is_none_or(|index| index.may_hold(&joined)) {
                needles.push((joined, None));
            }
        } else if side_by_side(previous.text, text) {
            needles.push((
                format!("{} {text}", previous.text),
                Some([previous.text, text]),
            ));
        }
    }
    // (A needle's text tells its two words: they hold no space.)
    needles.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    needles.dedup_by(|a, b| a.0 == b.0);
    for (needle, pair) in needles {
        // Occurrences may overlap (`a a` in `a a a`): all are found.
        // (Two words joined make a needle the places of whole words cannot tell: read all.)
        for start in occurrences_of_run(key, &needle, pair.and(index)) {
            found.push(start..start + needle.len());
        }
    }
    found.sort_by_key(|range| (range.start, range.end));
    Some(found)
}

/// The places at paragraph starts: a drop cap's remnant of a quotation word starting one, and
/// page furniture the alignment may jump between two quotation words (the first ending a
/// paragraph, the next starting a later one within `JUNK_MAX_BYTES`). Read at the breaks (a few
/// hundred in a source) rather than searched for: a remnant is often a common word (`he`, `is`).
fn at_paragraph_starts(
    words: &[QuoteWord<'_>],
    haystack: Haystack<'_>,
    index: Option<&dyn IndexedWords>,
) -> Vec<ByteRange> {
    let key = haystack.text;
    let mut remnants: Vec<&str> = Vec::new();
    for word in words {
        let text = word.text;
        for (at, _) in text.char_indices().skip(1).take(2) {
            if let Some(rest) = text.get(at..)
                && is_drop_cap_remnant(text, rest)
                && !remnants.contains(&rest)
                && index.is_none_or(|index| index.may_hold(rest))
            {
                remnants.push(rest);
            }
        }
    }
    // Adjacent quotation words (the alignment may jump furniture between any two).
    let pairs: Vec<(&str, &str)> = words.windows(2).map(|w| (w[0].text, w[1].text)).collect();
    let ends_pair = |word: &str| pairs.iter().any(|&(first, _)| first == word);
    let mut found = Vec::new();
    // The quotation words ending a paragraph within reach: (the break after it, its hash, its
    // range).
    let mut ends: Vec<(usize, u32, ByteRange)> = Vec::new();
    let starts = std::iter::once((None, 0)).chain(
        haystack
            .breaks
            .iter()
            .map(|&b| (Some(b as usize), b as usize + 1)),
    );
    // A break matters only when the word after it may be a remnant, or end a pair whose first
    // word ends a paragraph within reach, or the word before it may start a pair: told from the
    // source's table of the words at its breaks, when there is one, without reading the key
    // there (a break skipped so would have found nothing; `ends` is trimmed by distance at the
    // next break read, as it would have been).
    let at_breaks = haystack.words_at_breaks(index);
    let remnant_hashes = WordHashes::of(remnants.iter().copied());
    let first_hashes = WordHashes::of(pairs.iter().map(|&(first, _)| first));
    let second_hashes = WordHashes::of(pairs.iter().map(|&(_, second)| second));
    let pair_hashes: Vec<(u32, u32)> = pairs
        .iter()
        .map(|&(first, second)| (word_hash(first), word_hash(second)))
        .collect();
    let mut table = at_breaks.unwrap_or_default().iter();
    for (separator, start) in starts {
        if let Some(separator) = separator
            && let Some(words) = at_breaks.and(table.next())
        {
            let ends_a_pair = || {
                second_hashes.may_hold(words.after)
                    && ends.iter().any(|&(at, first, _)| {
                        separator - at <= JUNK_MAX_BYTES
                            && pair_hashes.contains(&(first, words.after))
                    })
            };
            if !remnant_hashes.may_hold(words.after)
                && !first_hashes.may_hold(words.before)
                && !ends_a_pair()
            {
                continue;
            }
        }
        let after = start..word_end(key, start);
        let word = key.get(after.clone()).unwrap_or_default();
        if remnants.contains(&word) {
            found.push(after.clone());
        }
        if let Some(separator) = separator {
            ends.retain(|&(at, _, _)| separator - at <= JUNK_MAX_BYTES);
            for (_, _, end) in &ends {
                let first = key.get(end.clone()).unwrap_or_default();
                if pairs.contains(&(first, word)) {
                    found.push(end.start..after.end);
                }
            }
            let before = word_start(key, separator)..separator;
            if let Some(first) = key.get(before.clone())
                && ends_pair(first)
            {
                ends.push((separator, word_hash(first), before));
            }
        }
    }
    found
}

/// Whether `window` (a range of the source at word boundaries) holds the whole of one of
/// `places` (sorted by start).
pub(super) fn holds_one(window: &ByteRange, places: &[ByteRange]) -> bool {
    let first = places.partition_point(|range| range.start < window.start);
    places
        .get(first..)
        .unwrap_or_default()
        .iter()
        .take_while(|range| range.start < window.end)
        .any(|range| range.end <= window.end)
}

#[cfg(test)]
mod tests {
    use super::super::super::PatternPiece;
    use super::super::{Pattern, quote_words};
    use super::*;
    use crate::corpus::normalize_key;

    /// The places of `source` for a quotation of `pieces` (texts, and `None` for an elision),
    /// as the source's key text they cover; `None` when every window may hold one.
    fn places_in(source: &str, pieces: &[Option<&str>]) -> Option<Vec<String>> {
        let key = normalize_key(source);
        let pattern: Vec<PatternPiece> = pieces
            .iter()
            .map(|piece| match piece {
                Some(text) => PatternPiece::Text(normalize_key(text).text.to_string()),
                None => PatternPiece::Gap { max: 40 },
            })
            .collect();
        let pattern = Pattern::new(&pattern).expect("a pattern");
        let words = quote_words(&pattern);
        let haystack = Haystack {
            text: &key.text,
            breaks: &key.breaks,
        };
        let found = places(&words, haystack, None)?;
        Some(
            found
                .into_iter()
                .map(|range| key.text[range].to_string())
                .collect(),
        )
    }

    #[test]
    fn a_drop_caps_remnant_is_a_place_only_at_a_paragraph_start() {
        let quote = [Some("the tide came in early")];
        assert_eq!(
            places_in("Harbour Notes\n\nhe tide came in early.", &quote),
            Some(vec!["he".to_string()])
        );
        assert_eq!(
            places_in("he tide came in early.", &quote),
            Some(vec!["he".to_string()])
        );
        assert_eq!(
            places_in("We saw how he tide came in early.", &quote),
            Some(vec![])
        );
    }

    #[test]
    fn a_words_halves_and_two_words_joined_are_places_when_whole() {
        let quote = [Some("regional cooperation grew stronger")];
        assert_eq!(
            places_in("Regional co operation grew stronger.", &quote),
            Some(vec!["co operation".to_string()])
        );
        // Inside longer words, the halves are no words of the source.
        assert_eq!(
            places_in("Regional taco operations grew stronger.", &quote),
            Some(vec![])
        );
        let quote = [Some("regional co operation grew")];
        assert_eq!(
            places_in("Regional cooperation grew stronger.", &quote),
            Some(vec!["cooperation".to_string()])
        );
    }

    #[test]
    fn words_on_either_side_of_an_elision_side_by_side_are_a_place() {
        let quote = [Some("the tide turned"), None, Some("delegates agreed")];
        assert_eq!(
            places_in("So the tide turned delegates agreed to it.", &quote),
            Some(vec!["turned delegates".to_string()])
        );
        // Not joined into one word across an elision.
        assert_eq!(
            places_in("So the tide turneddelegates agreed to it.", &quote),
            Some(vec![])
        );
    }

    #[test]
    fn page_furniture_between_two_quotation_words_is_a_place_within_reach() {
        let quote = [Some("share the data every week")];
        assert_eq!(
            places_in(
                "They agreed to share the data\n\n14\n\nevery week from then on.",
                &quote
            ),
            Some(vec!["data 14 every".to_string()])
        );
        // The next paragraph starts with another word: no jump lands on the quotation.
        assert_eq!(
            places_in(
                "They agreed to share the data\n\n14\n\nmonthly from then on.",
                &quote
            ),
            Some(vec![])
        );
        let far = "furniture ".repeat(JUNK_MAX_BYTES / 10 + 1);
        assert_eq!(
            places_in(
                &format!("They agreed to share the data\n\n{far}\n\nevery week."),
                &quote
            ),
            Some(vec![])
        );
    }

    #[test]
    fn a_quotation_in_a_script_written_without_spaces_may_hide_runs_anywhere() {
        assert_eq!(places_in("中国人 ok", &[Some("中国人 ok now")]), None);
    }

    #[test]
    fn a_window_holds_a_place_only_whole() {
        let places = [10..20, 12..15, 40..50];
        assert!(holds_one(&(10..20), &places));
        assert!(holds_one(&(11..16), &places), "the shorter second one");
        assert!(!holds_one(&(11..14), &places));
        assert!(!holds_one(&(0..45), &places[2..]));
        assert!(holds_one(&(0..60), &places));
        assert!(!holds_one(&(21..39), &places));
    }

    /// Answers every question of the index with "may be", and gives the words at the key's
    /// breaks from a table.
    struct BreaksOnly(Box<[crate::corpus::WordsAtBreak]>);

    impl IndexedWords for BreaksOnly {
        fn may_hold(&self, _: &str) -> bool {
            true
        }

        fn may_hold_adjacent(&self, _: &str, _: &str) -> bool {
            true
        }

        fn may_hold_side_by_side(&self, _: &str, _: &str) -> bool {
            true
        }

        fn words_at_breaks(&self) -> Option<&[crate::corpus::WordsAtBreak]> {
            Some(&self.0)
        }
    }

    proptest::proptest! {
        /// Read from a table of the words at the breaks, the places at paragraph starts are
        /// those read from the key at each break.
        #[test]
        fn the_table_of_words_at_breaks_finds_the_same_places(
            quote in proptest::collection::vec(
                proptest::sample::select(vec!["the", "tide", "turned", "early", "x"]),
                2..6,
            ),
            source in proptest::collection::vec(
                proptest::sample::select(vec![
                    "the", "tide", "turned", "he", "ide", "urned", "early", "和", "tide和", "x",
                    "furniture",
                ]),
                0..60,
            ),
            breaks in proptest::collection::vec(0usize..60, 0..12),
        ) {
            let mut text = String::new();
            for (i, word) in source.iter().enumerate() {
                if i > 0 {
                    text.push_str(if breaks.contains(&i) { "\n\n" } else { " " });
                }
                text.push_str(word);
            }
            let key = normalize_key(&text);
            let pattern = Pattern::new(&[PatternPiece::Text(quote.join(" "))]).expect("a pattern");
            let words = quote_words(&pattern);
            let haystack = Haystack {
                text: &key.text,
                breaks: &key.breaks,
            };
            let table = BreaksOnly(crate::corpus::words_at_breaks(&key.text, &key.breaks));
            proptest::prop_assert_eq!(
                at_paragraph_starts(&words, haystack, Some(&table)),
                at_paragraph_starts(&words, haystack, None)
            );
        }
    }
}

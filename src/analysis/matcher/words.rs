//! Words of a matching key: word boundaries (scripts written without spaces need none), tokens,
//! and the word classes the approximate tier cares about (stopwords, numbers, negations).

use std::ops::Range;

use crate::corpus::ascii;

pub(super) use crate::corpus::is_unspaced;

/// A few words' hashes (`word_hash`), asked whether they hold a hash: a bit per hash's low byte
/// first, then the list.
pub(super) struct WordHashes {
    bits: [u64; 4],
    hashes: Vec<u32>,
}

impl WordHashes {
    pub(super) fn of<'w>(words: impl Iterator<Item = &'w str>) -> WordHashes {
        WordHashes::of_hashes(words.map(crate::corpus::word_hash))
    }

    pub(super) fn of_hashes(hashes: impl Iterator<Item = u32>) -> WordHashes {
        let mut set = WordHashes {
            bits: [0; 4],
            hashes: Vec::new(),
        };
        for hash in hashes {
            let low = hash as u8;
            if let Some(bits) = set.bits.get_mut(usize::from(low >> 6)) {
                *bits |= 1 << (low & 63);
            }
            set.hashes.push(hash);
        }
        set
    }

    #[inline]
    pub(super) fn may_hold(&self, hash: u32) -> bool {
        let low = hash as u8;
        self.bits
            .get(usize::from(low >> 6))
            .is_some_and(|bits| bits & (1 << (low & 63)) != 0)
            && self.hashes.contains(&hash)
    }
}

/// Whether byte offset `at` of a key is a word boundary: the start or end of the text, next to a
/// space, or next to a char of an unspaced script. Never true inside a char.
pub(super) fn is_boundary(text: &str, at: usize) -> bool {
    let (Some(before), Some(after)) = (text.get(..at), text.get(at..)) else {
        return false;
    };
    match (before.chars().next_back(), after.chars().next()) {
        (None, _) | (_, None) => true,
        (Some(b), Some(a)) => b == ' ' || a == ' ' || is_unspaced(b) || is_unspaced(a),
    }
}

/// The words of `text[range]` as byte ranges of `text`: runs between spaces, except that every
/// char of an unspaced script is a word of its own.
pub(super) fn word_ranges(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    // Room for words of six bytes or so with their spaces: prose needs one growth at most.
    let mut words = Vec::with_capacity(range.len() / 6 + 1);
    let Some(slice) = text.get(range.clone()) else {
        return words;
    };
    let bytes = slice.as_bytes();
    // The unspaced char at `at`'s length, if one starts there: every such char (from U+0E00 up)
    // starts with a byte from 0xE0 up, so only those are decoded.
    let unspaced_at = |at: usize| {
        slice
            .get(at..)
            .and_then(|rest| rest.chars().next())
            .filter(|&c| is_unspaced(c))
            .map(char::len_utf8)
    };
    let mut at = 0;
    loop {
        while bytes.get(at) == Some(&b' ') {
            at += 1;
        }
        let Some(&byte) = bytes.get(at) else {
            break;
        };
        if byte >= 0xE0
            && let Some(len) = unspaced_at(at)
        {
            words.push(range.start + at..range.start + at + len);
            at += len;
            continue;
        }
        // A word: up to the next space or unspaced char (a space is one byte, and no byte
        // inside a char is 0xE0 or more), eight bytes at a time, then the last one by one.
        let start = at;
        at += 1;
        loop {
            match ascii::word_at(bytes, at) {
                Some(word) => {
                    let stops = ascii::byte_mask(word, b' ') | ascii::wide_lead_mask(word);
                    at += ascii::first_set(stops);
                    if stops == 0 {
                        continue;
                    }
                }
                None => {
                    at += bytes
                        .get(at..)
                        .unwrap_or_default()
                        .iter()
                        .take_while(|&&byte| byte != b' ' && byte < 0xE0)
                        .count();
                }
            }
            // At a space, the end, or a char from U+0800 up that may be written unspaced.
            match bytes.get(at) {
                Some(&byte) if byte != b' ' && unspaced_at(at).is_none() => at += 1,
                _ => break,
            }
        }
        words.push(range.start + start..range.start + at);
    }
    words
}

/// Function words: they do not count towards the share of content words an approximate match must
/// keep.
pub(super) fn is_stopword(word: &str) -> bool {
    matches!(
        word,
        "a" | "an"
            | "and"
            | "are"
            | "as"
            | "at"
            | "be"
            | "been"
            | "but"
            | "by"
            | "for"
            | "from"
            | "had"
            | "has"
            | "have"
            | "he"
            | "her"
            | "his"
            | "i"
            | "in"
            | "into"
            | "is"
            | "it"
            | "its"
            | "of"
            | "on"
            | "or"
            | "our"
            | "she"
            | "so"
            | "that"
            | "the"
            | "their"
            | "them"
            | "there"
            | "these"
            | "they"
            | "this"
            | "those"
            | "to"
            | "was"
            | "we"
            | "were"
            | "which"
            | "who"
            | "will"
            | "with"
            | "would"
            | "you"
    )
}

/// Negations as the key spells them (`n't` contractions lose their apostrophe: `dont`).
pub(super) fn is_negation(word: &str) -> bool {
    matches!(
        word,
        "not"
            | "no"
            | "never"
            | "without"
            | "nor"
            | "neither"
            | "none"
            | "nobody"
            | "nothing"
            | "nowhere"
            | "cannot"
    ) || (word.len() > 3
        && word.ends_with("nt")
        && matches!(
            word,
            "dont"
                | "doesnt"
                | "didnt"
                | "isnt"
                | "arent"
                | "wasnt"
                | "werent"
                | "hasnt"
                | "havent"
                | "hadnt"
                | "cant"
                | "couldnt"
                | "wont"
                | "wouldnt"
                | "shouldnt"
                | "mustnt"
                | "neednt"
                | "mightnt"
                | "shant"
                | "aint"
        ))
}

/// Numerals and number words.
pub(super) fn is_number(word: &str) -> bool {
    word.chars().any(|c| c.is_numeric())
        || matches!(
            word,
            "zero"
                | "one"
                | "two"
                | "three"
                | "four"
                | "five"
                | "six"
                | "seven"
                | "eight"
                | "nine"
                | "ten"
                | "eleven"
                | "twelve"
                | "thirteen"
                | "fourteen"
                | "fifteen"
                | "sixteen"
                | "seventeen"
                | "eighteen"
                | "nineteen"
                | "twenty"
                | "thirty"
                | "forty"
                | "fifty"
                | "sixty"
                | "seventy"
                | "eighty"
                | "ninety"
                | "hundred"
                | "thousand"
                | "million"
                | "billion"
                | "trillion"
                | "first"
                | "second"
                | "third"
                | "fourth"
                | "fifth"
                | "sixth"
                | "seventh"
                | "eighth"
                | "ninth"
                | "tenth"
                | "half"
                | "dozen"
                | "percent"
        )
}

/// Whether replacing `quote_word` by `source_word` (either may be empty: inserted or omitted)
/// changes a number or a negation.
pub(super) fn is_critical_change(quote_word: &str, source_word: &str) -> bool {
    is_number(quote_word)
        || is_number(source_word)
        || is_negation(quote_word) != is_negation(source_word)
}

/// A drop cap lost in extraction: the source word is the quotation's word without its first one or
/// two letters (`he` for `the`).
pub(super) fn is_drop_cap_remnant(quote_word: &str, source_word: &str) -> bool {
    // Asked of every quotation word at every paragraph start aligned: the source word must end
    // the quotation's, which its last byte rules out for nearly all, before any char is counted.
    let Some(lost) = quote_word.strip_suffix(source_word) else {
        return false;
    };
    let mut lost = lost.chars();
    let one_or_two_letters = match (lost.next(), lost.next(), lost.next()) {
        (Some(first), second, None) => {
            first.is_alphabetic() && second.is_none_or(char::is_alphabetic)
        }
        _ => false,
    };
    one_or_two_letters && source_word.chars().nth(1).is_some()
}

/// Whether `joined` is `first` followed by `second` (a word split or merged by extraction).
pub(super) fn is_concatenation(joined: &str, first: &str, second: &str) -> bool {
    let (joined, first, second) = (joined.as_bytes(), first.as_bytes(), second.as_bytes());
    // Asked of most pairs of words in an alignment: the first and last bytes rule out nearly
    // every one before the comparisons.
    joined.len() == first.len() + second.len()
        && first.first().is_none_or(|b| joined.first() == Some(b))
        && second.last().is_none_or(|b| joined.last() == Some(b))
        && joined.starts_with(first)
        && joined.ends_with(second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_need_spaces_except_next_to_unspaced_scripts() {
        let text = "the concatenate 中国人 ok";
        assert!(is_boundary(text, 0));
        assert!(is_boundary(text, 3));
        assert!(is_boundary(text, 4));
        assert!(!is_boundary(text, 7), "inside concatenate");
        assert!(is_boundary(text, 16 + 3), "between two Han chars");
        assert!(!is_boundary(text, 17), "inside a Han char");
        assert!(is_boundary(text, text.len()));
        assert!(!is_boundary(text, text.len() + 1));
    }

    #[test]
    fn words_split_unspaced_scripts_into_chars() {
        let text = "we 中国人 say";
        let words: Vec<&str> = word_ranges(text, 0..text.len())
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(words, ["we", "中", "国", "人", "say"]);
    }

    #[test]
    fn critical_changes_are_numbers_and_negations() {
        assert!(is_critical_change("2023", "2024"));
        assert!(is_critical_change("three", "four"));
        assert!(is_critical_change("not", ""));
        assert!(is_critical_change("is", "isnt"));
        assert!(!is_critical_change("dont", "never") && is_negation("never"));
        assert!(!is_critical_change("large", "big"));
    }

    #[test]
    fn drop_cap_remnants_lose_one_or_two_letters() {
        assert!(is_drop_cap_remnant("the", "he"));
        assert!(is_drop_cap_remnant(
            "characteristically",
            "aracteristically"
        ));
        assert!(!is_drop_cap_remnant("the", "e"));
        assert!(!is_drop_cap_remnant("there", "re"));
        assert!(!is_drop_cap_remnant("he", "he"));
        assert!(!is_drop_cap_remnant("cat", "dog"));
    }

    proptest::proptest! {
        /// The quick checks of first and last bytes change no answer.
        #[test]
        fn a_concatenation_is_the_two_words_joined(
            joined in "[ab]{0,4}",
            first in "[ab]{0,3}",
            second in "[ab]{0,3}",
        ) {
            proptest::prop_assert_eq!(
                is_concatenation(&joined, &first, &second),
                joined == format!("{first}{second}")
            );
        }
    }

    /// `is_drop_cap_remnant` as first written, counting the chars of both words: the reference.
    fn is_drop_cap_remnant_by_counting(quote_word: &str, source_word: &str) -> bool {
        let lost = quote_word.len().saturating_sub(source_word.len());
        source_word.chars().count() >= 2
            && (1..=2).contains(
                &quote_word
                    .chars()
                    .count()
                    .saturating_sub(source_word.chars().count()),
            )
            && quote_word.ends_with(source_word)
            && quote_word
                .get(..lost)
                .is_some_and(|head| head.chars().all(char::is_alphabetic))
    }

    proptest::proptest! {
        /// Stripping the source word off the quotation's end tells what counting chars told.
        #[test]
        fn a_remnant_is_what_counting_chars_finds(
            head in "(t|é|1|中|-){0,3}",
            source_word in "(he|é|e|1|中|h){0,3}",
            other in "(the|é|he|t){0,2}",
        ) {
            for (quote_word, source_word) in [
                (format!("{head}{source_word}"), source_word.as_str()),
                (other.clone(), source_word.as_str()),
                (source_word.clone(), other.as_str()),
            ] {
                proptest::prop_assert_eq!(
                    is_drop_cap_remnant(&quote_word, source_word),
                    is_drop_cap_remnant_by_counting(&quote_word, source_word)
                );
            }
        }
    }

    /// `word_ranges` as it was first written, char by char: the reference.
    fn word_ranges_by_char(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
        let mut words = Vec::new();
        let Some(slice) = text.get(range.clone()) else {
            return words;
        };
        let mut current: Option<usize> = None;
        for (i, c) in slice.char_indices() {
            let at = range.start + i;
            if c == ' ' || is_unspaced(c) {
                if let Some(start) = current.take() {
                    words.push(start..at);
                }
                if c != ' ' {
                    words.push(at..at + c.len_utf8());
                }
            } else if current.is_none() {
                current = Some(at);
            }
        }
        if let Some(start) = current {
            words.push(start..range.end);
        }
        words
    }

    proptest::proptest! {
        /// Reading bytes finds the words reading chars finds.
        #[test]
        fn words_read_from_bytes_are_the_words_read_from_chars(
            text in "(ab|é|中|ไ|ကို|𠀀|€| |  ){0,12}",
            start in 0usize..40,
            len in 0usize..40,
        ) {
            let range = start.min(text.len())..(start + len).min(text.len());
            proptest::prop_assert_eq!(
                word_ranges(&text, range.clone()),
                word_ranges_by_char(&text, range)
            );
        }
    }
}

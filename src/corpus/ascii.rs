//! Eight bytes at a time: which bytes of a 64-bit word (read little-endian from a text) are ASCII
//! letters or digits, or equal a given byte. The loops that read every byte of every source (the
//! matching key's ASCII runs, its words) test eight bytes with a dozen integer operations instead
//! of a table lookup and a branch per byte.
//!
//! A mask has the high bit of each byte set where the byte qualifies, and nothing else. Every
//! operation stays within its byte: bytes are first cut to seven bits, so that adding a constant
//! of at most 0x80 to one never carries into the next.

/// The high bit of every byte.
const HIGH: u64 = 0x8080_8080_8080_8080;
/// The low seven bits of every byte.
const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// `byte` in every byte of a word.
const fn splat(byte: u8) -> u64 {
    0x0101_0101_0101_0101 * byte as u64
}

/// The bytes of `seven` (bytes of at most 0x7f) in `lo..=hi`.
fn in_range(seven: u64, lo: u8, hi: u8) -> u64 {
    let at_least = seven.wrapping_add(splat(0x80 - lo));
    let above = seven.wrapping_add(splat(0x7f - hi));
    at_least & !above & HIGH
}

/// The bytes of `word` that are ASCII letters or digits.
pub fn alphanumeric_mask(word: u64) -> u64 {
    let seven = word & LOW;
    let digits = in_range(seven, b'0', b'9');
    // Setting 0x20 turns capitals into small letters, and nothing else into one.
    let letters = in_range(seven | splat(0x20), b'a', b'z');
    (digits | letters) & !word & HIGH
}

/// The bytes of `word` that are visible ASCII chars (`!` to `~`).
pub fn visible_mask(word: u64) -> u64 {
    in_range(word & LOW, b'!', b'~') & !word & HIGH
}

/// The bytes of `word` equal to `byte`.
pub fn byte_mask(word: u64, byte: u8) -> u64 {
    let zeroed = word ^ splat(byte);
    // A byte is zero when neither its low bits (plus 0x7f, which reaches the high bit from any
    // of them) nor its high bit are set.
    !((zeroed & LOW).wrapping_add(LOW) | zeroed) & HIGH
}

/// The eight bytes of `bytes` from `at`, as a little-endian word (the first byte lowest), if
/// there are eight.
pub fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let eight = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(eight.try_into().ok()?))
}

/// How many bytes of a mask's word come before the first that does not qualify (8 when all do).
pub fn leading_set(mask: u64) -> usize {
    ((!mask & HIGH).trailing_zeros() / 8) as usize
}

/// The bytes of `word` from 0xE0 up: those that start a char of three or four bytes.
pub fn wide_lead_mask(word: u64) -> u64 {
    // The byte's top three bits, each moved up to its high bit.
    word & (word << 1) & (word << 2) & HIGH
}

/// How many bytes of a mask's word come before the first that qualifies (8 when none does).
pub fn first_set(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// How many bytes at the start of `bytes` are members (`members` marks them in a word,
/// `is_member` tells one byte): eight at a time, then the last one by one.
pub fn member_run(
    bytes: &[u8],
    members: impl Fn(u64) -> u64,
    is_member: impl Fn(u8) -> bool,
) -> usize {
    let mut at = 0;
    while let Some(word) = word_at(bytes, at) {
        let taken = leading_set(members(word));
        if taken < 8 {
            return at + taken;
        }
        at += 8;
    }
    at + bytes
        .get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&byte| is_member(byte))
        .count()
}

/// How many bytes at the start of `bytes` are members (`members` marks them in a word,
/// `is_member` tells one byte) or single spaces between two members, ending on a member; a space
/// before the first member counts when `space_first`. Eight bytes at a time, and the one after
/// them (which a space before it needs); the run ends at the first byte that is neither a member
/// nor a space before one (the byte before that is a member, or there is none).
pub fn spaced_run(
    bytes: &[u8],
    members: impl Fn(u64) -> u64,
    is_member: impl Fn(u8) -> bool,
    space_first: bool,
) -> usize {
    let mut at = 0;
    while let (Some(word), Some(&after)) = (word_at(bytes, at), bytes.get(at + 8)) {
        let member = members(word);
        let next_member = (member >> 8) | (u64::from(is_member(after)) << 63);
        let mut spaces = byte_mask(word, b' ') & next_member;
        if at == 0 && !space_first {
            spaces &= !0x80;
        }
        let taken = leading_set(member | spaces);
        if taken < 8 {
            return at + taken;
        }
        at += 8;
    }
    let mut end = at;
    while let Some(&byte) = bytes.get(at) {
        if is_member(byte) {
            at += 1;
            end = at;
        } else if byte == b' '
            && (at > 0 || space_first)
            && bytes.get(at + 1).is_some_and(|&next| is_member(next))
        {
            at += 1;
        } else {
            break;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bytewise(word: u64, test: impl Fn(u8) -> bool) -> u64 {
        word.to_le_bytes()
            .iter()
            .enumerate()
            .filter(|&(_, &b)| test(b))
            .fold(0, |mask, (i, _)| mask | 0x80 << (8 * i))
    }

    #[test]
    fn every_byte_is_classed_as_it_reads() {
        for byte in 0..=255u8 {
            let word = splat(byte);
            let expected = if byte.is_ascii_alphanumeric() {
                HIGH
            } else {
                0
            };
            assert_eq!(alphanumeric_mask(word), expected, "{byte:#x}");
            assert_eq!(wide_lead_mask(word), if byte >= 0xe0 { HIGH } else { 0 });
            let visible = if byte.is_ascii_graphic() { HIGH } else { 0 };
            assert_eq!(visible_mask(word), visible, "{byte:#x}");
            assert_eq!(byte_mask(word, b' '), if byte == b' ' { HIGH } else { 0 });
        }
    }

    #[test]
    fn a_mask_counts_the_bytes_before_the_first_left_out() {
        let word = u64::from_le_bytes(*b"ab9 .Zz\xe4");
        assert_eq!(leading_set(alphanumeric_mask(word)), 3);
        assert_eq!(leading_set(HIGH), 8);
        assert_eq!(leading_set(0), 0);
        assert_eq!(first_set(byte_mask(word, b' ')), 3);
        assert_eq!(first_set(wide_lead_mask(word)), 7);
        assert_eq!(first_set(0), 8);
        assert_eq!(
            word_at(b"0123456789", 2),
            Some(u64::from_le_bytes(*b"23456789"))
        );
        assert_eq!(word_at(b"0123456789", 3), None);
    }

    /// `spaced_run` one unit at a time: a member, or a space with the member after it.
    fn spaced_run_bytewise(bytes: &[u8], is_member: fn(u8) -> bool, space_first: bool) -> usize {
        let (mut at, mut end) = (0, 0);
        while let Some(&byte) = bytes.get(at) {
            if is_member(byte) {
                at += 1;
            } else if byte == b' '
                && (at > 0 || space_first)
                && bytes.get(at + 1).is_some_and(|&next| is_member(next))
            {
                at += 2;
            } else {
                break;
            }
            end = at;
        }
        end
    }

    proptest! {
        /// Runs of every length, ended by a space before a space, a mark, a control char, a
        /// char past ASCII or the end, at every place within and past a word of eight bytes.
        #[test]
        fn spaced_runs_end_where_reading_byte_by_byte_ends_them(
            text in "[ ]?[a-zA-Z0-9 ]{0,40}([ ,.~\\n\\t]|é| )?[a-zA-Z0-9 ]{0,12}",
            space_first in any::<bool>(),
        ) {
            let bytes = text.as_bytes();
            let alphanumeric = |b: u8| b.is_ascii_alphanumeric();
            let visible = |b: u8| b.is_ascii_graphic();
            prop_assert_eq!(
                spaced_run(bytes, alphanumeric_mask, alphanumeric, space_first),
                spaced_run_bytewise(bytes, alphanumeric, space_first)
            );
            prop_assert_eq!(
                spaced_run(bytes, visible_mask, visible, space_first),
                spaced_run_bytewise(bytes, visible, space_first)
            );
            prop_assert_eq!(
                member_run(bytes, alphanumeric_mask, alphanumeric),
                bytes.iter().take_while(|&&b| alphanumeric(b)).count()
            );
        }

        #[test]
        fn masks_equal_testing_each_byte(
            bytes in prop::array::uniform8(prop_oneof![any::<u8>(), Just(b' '), b'0'..=b'z']),
            byte in prop_oneof![any::<u8>(), Just(b' ')],
        ) {
            let word = u64::from_le_bytes(bytes);
            prop_assert_eq!(alphanumeric_mask(word), bytewise(word, |b| b.is_ascii_alphanumeric()));
            prop_assert_eq!(visible_mask(word), bytewise(word, |b| b.is_ascii_graphic()));
            prop_assert_eq!(wide_lead_mask(word), bytewise(word, |b| b >= 0xe0));
            prop_assert_eq!(byte_mask(word, byte), bytewise(word, |b| b == byte));
        }
    }
}

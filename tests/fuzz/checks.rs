//! The checks behind each fuzz target, shared by the cargo-fuzz targets (`fuzz_targets/`) and
//! by `tests/reliability.rs`, which replays the saved corpora (`corpus/<target>/`) and the crash
//! regressions (`regressions/<target>/`) in every `cargo test`, without cargo-fuzz.
#![allow(dead_code)]

use ibid::analysis::matcher::{
    Haystack, IndexedWords, PatternPiece, find_quote, find_quote_approximate,
    find_quote_approximate_everywhere, may_find_approximately,
};
use ibid::corpus::normalize::{MappedText, clean_text, key_of_clean, normalize_key};
use ibid::corpus::{Source, SourceFormat};
use ibid::text::{ColumnEncoding, LineCol, LineIndex};
use ibid::workspace::Config;
use ibid::workspace::bibliography::parse_bibliography;
use ibid::workspace::frontmatter::parse_frontmatter;
use std::path::Path;

fn check_range(text: &str, range: &std::ops::Range<usize>, what: &str) {
    assert!(
        range.start <= range.end && text.get(range.clone()).is_some(),
        "{what} range {range:?} outside the text (len {})",
        text.len()
    );
}

/// The notes parser (citations, quotations, definitions, sentences, syntax problems) on arbitrary
/// text: never panics, and every range it reports lies inside the text on char boundaries.
pub fn notes_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let note = ibid::notes::Note::parse(&text);
    // Chunk by chunk (see `notes::chunks`) = one parse of the whole note.
    if let Err(difference) = ibid::notes::blocks::check_chunked_outline(&text) {
        panic!("chunked parse differs:\n{difference}");
    }
    // Parsing only the inline content that may hold markup = parsing all of it.
    if let Err(difference) = ibid::notes::blocks::check_needed_inlines(&text) {
        panic!("parse of the needed inline content differs:\n{difference}");
    }
    // Re-parsing after an edit (re-using unchanged chunks) = parsing afresh: the old text is
    // this one without a slice (so the edit inserts it back).
    let cut_start =
        ibid::text::floor_char_boundary(&text, data.first().map_or(0, |&b| usize::from(b) * 7));
    let cut_end = ibid::text::floor_char_boundary(
        &text,
        cut_start + data.last().map_or(0, |&b| usize::from(b)),
    );
    let old_text = format!("{}{}", &text[..cut_start], &text[cut_end..]);
    let old = ibid::notes::Note::parse(&old_text);
    let again = ibid::notes::Note::parse_after(&text, &old_text, &old);
    assert_eq!(
        note_summary(&again),
        note_summary(&note),
        "parse_after differs"
    );
    for block in &note.blocks {
        check_range(&text, &block.range, "block");
    }
    for citation in &note.citations {
        check_range(&text, &citation.range, "citation");
    }
    for problem in &note.problems {
        check_range(&text, &problem.range, "syntax problem");
        assert!(!problem.message.is_empty());
    }
    for quotation in &note.quotations {
        check_range(&text, &quotation.range, "quotation");
        check_range(&text, &quotation.content, "quotation content");
        let pattern = ibid::analysis::resolve::quote_pattern(&quotation.pieces);
        drop(pattern);
    }
    // Point queries at a few offsets, including past the end and inside multi-byte chars.
    for offset in [
        0,
        text.len() / 3,
        text.len() / 2,
        text.len(),
        text.len() + 7,
    ] {
        let _ = note.citation_at(offset);
        let _ = note.quotation_at(offset);
        let _ = note.block_at(offset);
        if let Some(sentence) = note.sentence_at(offset) {
            check_range(&text, &sentence, "sentence");
        }
    }
}

fn well_mapped(original: &str, mapped: &MappedText) {
    for byte in 0..mapped.text.len() {
        let origin = mapped.byte_origin(byte);
        assert!(origin.start <= origin.end && origin.end <= original.len());
        assert!(original.is_char_boundary(origin.start) && original.is_char_boundary(origin.end));
    }
    let mut last = 0;
    for offset in 0..=original.len() + 1 {
        let at = mapped.from_original(offset);
        assert!(at >= last && at <= mapped.text.len());
        assert!(mapped.text.is_char_boundary(at));
        last = at;
    }
    let whole = mapped.to_original(0..mapped.text.len());
    assert!(whole.end <= original.len());
}

/// The normaliser and its offset map: `clean_text` (plain and Markdown), `key_of_clean`,
/// `normalize_key`. Every normalised byte maps inside the original onto char boundaries, and
/// `from_original` lands on char boundaries of the normalised text, never going back.
pub fn normalize(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let original = String::from_utf8_lossy(rest);
    let format = if selector & 1 == 0 {
        SourceFormat::Plain
    } else {
        SourceFormat::Markdown
    };
    let clean = clean_text(&original, format);
    well_mapped(&original, &clean);
    let key = key_of_clean(&clean);
    well_mapped(&original, &key);
    well_mapped(&original, &normalize_key(&original));
}

/// A source record of the cache, its body fuzzed (framed with a valid header and checksum, so
/// the decoder is what is fuzzed: a hostile `.ibid/` folder shipped with a workspace). Decoded from
/// memory and from a mapped file, the two agree; what is accepted maps inside its original, and
/// every query of its maps stays in bounds.
pub fn cache_record(data: &[u8]) {
    let (heap, mapped) = ibid::corpus::cache::decode_record_payload(data);
    match (&heap, &mapped) {
        (Some(heap), Some(mapped)) => assert_eq!(heap, mapped),
        (None, None) => {}
        // (Mapping is for Unix only.)
        (Some(_), None) if cfg!(unix) => panic!("decoded from memory, not mapped"),
        (Some(_), None) => {}
        (None, Some(_)) => panic!("decoded mapped, not from memory"),
    }
    let Some(record) = mapped.or(heap) else {
        return;
    };
    let original: &str = &record.text;
    for map in [&record.clean, &record.key_text] {
        for byte in 0..map.text.len() {
            let origin = map.byte_origin(byte);
            assert!(origin.start <= origin.end && origin.end <= original.len());
        }
        for byte in 0..=map.text.len() {
            let range = map.to_original(0..byte);
            assert!(range.start <= range.end && range.end <= original.len());
        }
        for offset in 0..=original.len() + 1 {
            let at = map.from_original(offset);
            assert!(at <= map.text.len());
        }
        for (offset, _, origin) in map.char_origins() {
            assert!(offset < map.text.len() && origin.end <= original.len());
        }
    }
    let _ = record.words.iter().count();
}

/// The quote matcher with both pattern and text fuzzed. The input is split at the first NUL:
/// the pattern (pieces separated by `|`; a piece starting with `~` is a gap) and the source text.
/// Whatever is found lies inside the haystack, on char boundaries, segments within the range.
/// And what the source's word index says never hides a match: the approximate tier finds the
/// same told the index, and the index never rules out a source it finds something in.
pub fn matcher(data: &[u8]) {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len() / 2);
    let (pattern, text) = data.split_at(split);
    let pattern = String::from_utf8_lossy(pattern);
    let text = String::from_utf8_lossy(text.get(1..).unwrap_or_default());
    let pieces: Vec<PatternPiece> = pattern
        .split('|')
        .map(|piece| match piece.strip_prefix('~') {
            Some(rest) => PatternPiece::Gap {
                max: rest.len() * 8,
            },
            None => PatternPiece::Text(normalize_key(piece).text.to_string()),
        })
        .collect();
    let key = normalize_key(&text);
    let haystack = Haystack {
        text: &key.text,
        breaks: &key.breaks,
    };
    if let Some(found) = find_quote(&pieces, haystack) {
        assert!(found.range.start <= found.range.end && found.range.end <= key.text.len());
        assert!(key.text.is_char_boundary(found.range.start));
        assert!(key.text.is_char_boundary(found.range.end));
        for segment in &found.segments {
            assert!(found.range.start <= segment.start && segment.end <= found.range.end);
        }
        assert!((0.0..=1.0).contains(&found.score), "score {}", found.score);
        for edit in &found.edits {
            assert!(edit.source_range.end <= key.text.len());
        }
    }
    let source = Source::new(
        "s".into(),
        "/fuzz/s.txt".into(),
        SourceFormat::Plain,
        text.into_owned(),
        Default::default(),
    );
    let haystack = Haystack {
        text: &source.key_text.text,
        breaks: &source.key_text.breaks,
    };
    let found = find_quote_approximate(&pieces, haystack, None, None);
    assert_eq!(
        found,
        find_quote_approximate(&pieces, haystack, None, Some(&source)),
        "skipping n-grams by the index changed the match"
    );
    for index in [None, Some(&source as &dyn IndexedWords)] {
        assert_eq!(
            find_quote_approximate(&pieces, haystack, None, index),
            find_quote_approximate_everywhere(&pieces, haystack, None, index),
            "the fallback's windows where runs may hide missed a match"
        );
    }
    assert_eq!(
        find_quote_approximate(&pieces, haystack, Some(1.0), None),
        find_quote_approximate(&pieces, haystack, Some(1.0), Some(&source)),
        "the index ruled out a match word for word"
    );
    if let Some(found) = found {
        assert!(
            may_find_approximately(&pieces, &source, None),
            "index ruled out a match"
        );
        assert!(
            may_find_approximately(&pieces, &source, Some(found.score)),
            "index ruled out a match scoring {}",
            found.score
        );
    }
}

/// The configuration and bibliography loaders: `ibid.toml` (`Config::parse`), BibTeX and CSL
/// JSON (`parse_bibliography`), YAML frontmatter. Never panic; entry ranges lie in the file, a
/// frontmatter's error line inside the frontmatter.
pub fn loaders(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match selector % 4 {
        0 => {
            let _ = Config::parse(&text, Path::new("/fuzz/ibid.toml"));
        }
        1 | 2 => {
            let path = if selector % 4 == 1 {
                Path::new("/fuzz/refs.bib")
            } else {
                Path::new("/fuzz/refs.json")
            };
            let (entries, problems) = parse_bibliography(path, &text);
            for entry in &entries {
                assert!(text.get(entry.range.clone()).is_some(), "{:?}", entry.range);
            }
            for problem in &problems {
                assert!(problem.range.end <= text.len(), "{:?}", problem.range);
            }
        }
        _ => {
            if let Some(frontmatter) = parse_frontmatter(&text) {
                check_range(&text, &frontmatter.range, "frontmatter");
                assert_eq!(
                    frontmatter.error.is_some(),
                    frontmatter.error_range.is_some()
                );
                if let Some(range) = &frontmatter.error_range {
                    check_range(&text, range, "frontmatter error");
                    assert!(range.end <= frontmatter.range.end, "{range:?}");
                }
                let _ = frontmatter.string("id");
                let _ = frontmatter.strings("author");
            }
        }
    }
}

/// LSP position conversions (`LineIndex`): lines end at `\n`, `\r\n` and a lone `\r` (checked
/// against an independent count); byte offset → line/column → byte offset round-trips in UTF-8,
/// UTF-16 and UTF-32 for every char boundary not between the halves of a `\r\n` (no position
/// is there: it maps back before the `\r`); arbitrary (line, column) pairs give offsets on char
/// boundaries inside the text.
pub fn line_index(data: &[u8]) {
    let (positions, text) = data.split_at(data.len().min(8));
    let text = String::from_utf8_lossy(text);
    let index = LineIndex::new(&text);
    let bytes = text.as_bytes();
    for encoding in [
        ColumnEncoding::Utf8,
        ColumnEncoding::Utf16,
        ColumnEncoding::Utf32,
    ] {
        // The line as LSP counts it: after `\n`, `\r\n` or a lone `\r`. Every offset is counted;
        // the conversions are checked near the ends, near the first 64 line breaks and at a
        // stride in between (about 64 offsets), so that a run costs O(n) and the fuzzer stays
        // fast (each conversion may scan up to ~1 KB of its line).
        let stride = (text.len() / 64).max(1);
        let mut breaks_checked = 0;
        let near_break = |offset: usize| {
            bytes
                .get(offset.saturating_sub(2)..(offset + 2).min(bytes.len()))
                .is_some_and(|around| around.iter().any(|&b| b == b'\n' || b == b'\r'))
        };
        let (mut line, mut line_start) = (0u32, 0usize);
        for offset in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let ends_line = match offset.checked_sub(1).and_then(|i| bytes.get(i)) {
                Some(b'\n') => true,
                Some(b'\r') => bytes.get(offset) != Some(&b'\n'),
                _ => false,
            };
            if ends_line {
                line += 1;
                line_start = offset;
            }
            let checked = offset < 16
                || offset + 16 > text.len()
                || offset % stride == 0
                || (breaks_checked < 64 * 4 && near_break(offset));
            if !checked {
                continue;
            }
            if near_break(offset) {
                breaks_checked += 1;
            }
            let pos = index.line_col(&text, offset, encoding);
            assert_eq!(pos.line, line, "line of {offset}");
            if encoding == ColumnEncoding::Utf8 {
                assert_eq!(pos.col as usize, offset - line_start, "column of {offset}");
            }
            // Between `\r` and `\n` is no place for a position: it maps back before the `\r`.
            let inside_crlf = offset > 0
                && bytes.get(offset - 1) == Some(&b'\r')
                && bytes.get(offset) == Some(&b'\n');
            let back = index.offset(&text, pos, encoding);
            if !inside_crlf {
                assert_eq!(back, offset, "{encoding:?} {pos:?}");
            }
        }
        for pair in positions.chunks(2) {
            let pos = LineCol {
                line: u32::from(pair[0] % 16),
                col: u32::from(*pair.get(1).unwrap_or(&0)),
            };
            let offset = index.offset(&text, pos, encoding);
            assert!(offset <= text.len() && text.is_char_boundary(offset));
        }
        let _ = index.line_col(&text, usize::MAX, encoding);
        let _ = index.offset(
            &text,
            LineCol {
                line: u32::MAX,
                col: u32::MAX,
            },
            encoding,
        );
    }
}

/// What a parsed note says, for comparing two parses.
fn note_summary(note: &ibid::notes::Note) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        note.frontmatter,
        note.blocks,
        note.headings,
        note.citations,
        note.quotations,
        note.glossary,
        note.problems
    )
}

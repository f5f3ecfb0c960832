//! Splitting a note into independent chunks for parsing: stretches of top-level blocks separated
//! at places where Markdown carries no state from one block to the next. Each chunk parses to the
//! same syntax as it has inside the whole note, so a note is parsed chunk by chunk (in parallel)
//! and a new text of the note re-parses only the chunks that changed.
//!
//! A chunk boundary is the start of a line that begins with a non-blank character at column 0,
//! right after a blank line, outside anything that may run across blank lines: the frontmatter, a
//! fenced code block, an HTML block of the kinds that end at a closing marker (a comment, `<pre>`,
//! `<script>`, `<style>`, `<textarea>`). After a blank line, a line at column 0 cannot continue a
//! paragraph, list item, blockquote, table, indented code block or other HTML block. The tracking
//! is sure of itself or stops splitting: a fence or an HTML block opened with an indent (maybe
//! inside a list item, which a column-0 line ends) or inside another HTML block (where it is
//! text) leaves the rest of the note as one chunk. `check_chunked_outline` and its property test
//! and fuzz target compare the result with one parse of the whole note.

use crate::ByteRange;

/// What is open at the end of a line and may run across blank lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    /// A YAML (`---`) or TOML (`+++`) frontmatter, closed by its fence.
    Frontmatter(&'static str),
    /// A code fence at column 0: its character and length.
    Fence(u8, usize),
    /// An HTML comment block.
    Comment,
    /// A raw HTML block, closed by `</tag`.
    RawHtml(&'static str),
    /// Something the tracking cannot follow: no more boundaries.
    Rest,
}

const RAW_HTML_TAGS: [&str; 4] = ["pre", "script", "style", "textarea"];

/// The chunks of `text`: consecutive ranges covering it from 0 to its end.
pub(crate) fn top_level_chunks(text: &str) -> Vec<ByteRange> {
    let mut chunks = Vec::new();
    let mut chunk_start = 0;
    let mut open = match text.lines().next().map(trim_blank_end) {
        // tree-sitter-md reads a text after a byte-order mark its own way (no frontmatter, odd
        // fences), and a NUL byte ends its input; a lone `\r` ends a line there, not here (lines
        // are split at `\n`): such a note is one chunk.
        _ if text.starts_with('\u{FEFF}') || text.contains('\0') || has_lone_cr(text) => {
            Some(Open::Rest)
        }
        // tree-sitter-md takes an opening fence indented by up to three spaces (and closes it
        // only with one at column 0).
        Some(first) => match first.strip_prefix(leading_spaces(first, 3)) {
            Some("---") => Some(Open::Frontmatter("---")),
            Some("+++") => Some(Open::Frontmatter("+++")),
            _ => None,
        },
        None => None,
    };
    let mut previous_blank = true;
    // A line since the last blank line may have started an HTML block (`<tag`, `</tag`).
    let mut html_stretch = false;
    let mut line_start = 0;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i + 1);
        let content = text[line_start..line_end].trim_end_matches(['\n', '\r']);
        // Blank for Markdown: spaces and tabs only (a form feed or vertical tab is text there).
        let blank = content.bytes().all(|b| b == b' ' || b == b'\t');
        let starts_at_column_zero = !blank && !content.starts_with([' ', '\t']);
        if line_start > 0 && previous_blank && open.is_none() && starts_at_column_zero {
            chunks.push(chunk_start..line_start);
            chunk_start = line_start;
        }
        if previous_blank {
            html_stretch = false;
        }
        open = match open {
            Some(state) => still_open(state, content, line_start == 0),
            None => opens(content, html_stretch),
        };
        // An HTML block may start on any line (some kinds interrupt a paragraph).
        html_stretch |= starts_html_block(content);
        previous_blank = blank;
        line_start = line_end;
    }
    if chunk_start < text.len() || chunks.is_empty() {
        chunks.push(chunk_start..text.len());
    }
    chunks
}

/// `line` without the spaces and tabs it ends with (Markdown's blanks: a form feed or vertical tab
/// after a fence is text, and the line no fence).
fn trim_blank_end(line: &str) -> &str {
    line.trim_end_matches([' ', '\t'])
}

/// The spaces `line` starts with, if there are at most `max`.
fn leading_spaces(line: &str, max: usize) -> &str {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    line.get(..spaces).filter(|s| s.len() <= max).unwrap_or("")
}

/// Whether a `\r` in `text` ends a line by itself (classic Mac line ends), not as part of `\r\n`.
fn has_lone_cr(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'\r', bytes).any(|at| bytes.get(at + 1) != Some(&b'\n'))
}

/// `state` after `line` (the first line of the text when `first`).
fn still_open(state: Open, line: &str, first: bool) -> Option<Open> {
    let closed = match state {
        // tree-sitter-md closes a frontmatter with its opening fence only (not `...`).
        Open::Frontmatter(fence) => !first && trim_blank_end(line) == fence,
        Open::Fence(mark, length) => fence(line).is_some_and(|(m, n, indent, info)| {
            m == mark && n >= length && indent <= 3 && info.trim().is_empty()
        }),
        Open::Comment => line.contains("-->"),
        Open::RawHtml(tag) => line.to_ascii_lowercase().contains(&format!("</{tag}")),
        Open::Rest => false,
    };
    (!closed).then_some(state)
}

/// What `line` opens, when nothing is open before it; `in_html` when it continues an HTML block
/// (where nothing opens, but the tracking cannot be sure the block is one).
fn opens(line: &str, in_html: bool) -> Option<Open> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let trimmed = &line[indent..];
    if indent > 3 || line.starts_with('\t') {
        return None;
    }
    let fence_opens =
        fence(line).filter(|(mark, _, _, info)| !(*mark == b'`' && info.contains('`')));
    let lower = trimmed.to_ascii_lowercase();
    let raw_tag = RAW_HTML_TAGS.into_iter().find(|tag| {
        lower
            .strip_prefix('<')
            .and_then(|rest| rest.strip_prefix(tag))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '>', '\t']))
    });
    let comment = trimmed.starts_with("<!--");
    let other_html_until_marker = trimmed.starts_with("<?") || trimmed.starts_with("<!");
    let opener = fence_opens.is_some() || raw_tag.is_some() || other_html_until_marker;
    if !opener {
        return None;
    }
    if in_html || indent > 0 {
        return Some(Open::Rest);
    }
    if let Some((mark, length, _, _)) = fence_opens {
        return Some(Open::Fence(mark, length));
    }
    if comment {
        return (!trimmed[4..].contains("-->")).then_some(Open::Comment);
    }
    if let Some(tag) = raw_tag {
        return (!lower.contains(&format!("</{tag}"))).then_some(Open::RawHtml(tag));
    }
    // `<?…?>`, `<!DOCTYPE…>`, `<![CDATA[…]]>`: rare enough not to follow.
    Some(Open::Rest)
}

/// A line that may open an HTML block that a blank line ends (`<div>`, `<span …>`, `</p>`).
fn starts_html_block(line: &str) -> bool {
    let trimmed = line.trim_start_matches(' ');
    line.len() - trimmed.len() <= 3
        && trimmed
            .strip_prefix('<')
            .map(|rest| rest.strip_prefix('/').unwrap_or(rest))
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c.is_ascii_alphabetic())
}

/// A code fence line: up to three spaces, then at least three backticks or tildes; returns the
/// fence character, the fence length, the indent and the rest of the line.
fn fence(line: &str) -> Option<(u8, usize, usize, &str)> {
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    if indent > 3 {
        return None;
    }
    let mark = *trimmed.as_bytes().first()?;
    if mark != b'`' && mark != b'~' {
        return None;
    }
    let length = trimmed.len() - trimmed.trim_start_matches(mark as char).len();
    (length >= 3).then(|| (mark, length, indent, &trimmed[length..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chunks of `text` as strings.
    fn chunks(text: &str) -> Vec<&str> {
        top_level_chunks(text)
            .into_iter()
            .map(|range| &text[range])
            .collect()
    }

    #[test]
    fn splits_after_blank_lines_before_column_zero() {
        assert_eq!(
            chunks("# T\n\nOne\ntwo.\n\n\nThree.\n"),
            vec!["# T\n\n", "One\ntwo.\n\n\n", "Three.\n"]
        );
        // Indented lines continue a list item or code block.
        assert_eq!(
            chunks("- a\n\n  more\n\n- b\n"),
            vec!["- a\n\n  more\n\n", "- b\n"]
        );
        assert_eq!(chunks(""), vec![""]);
        assert_eq!(chunks("no newline"), vec!["no newline"]);
    }

    #[test]
    fn keeps_together_what_runs_across_blank_lines() {
        let fenced = "```md\nA\n\nB\n```\n\nC\n";
        assert_eq!(chunks(fenced), vec!["```md\nA\n\nB\n```\n\n", "C\n"]);
        let longer = "````\n```\n\nB\n````\n\nC\n";
        assert_eq!(chunks(longer), vec!["````\n```\n\nB\n````\n\n", "C\n"]);
        let tilde = "~~~\nA\n\n```\nB\n~~~\n\nC\n";
        assert_eq!(chunks(tilde), vec!["~~~\nA\n\n```\nB\n~~~\n\n", "C\n"]);
        let comment = "<!-- a\n\nb -->\n\nC\n";
        assert_eq!(chunks(comment), vec!["<!-- a\n\nb -->\n\n", "C\n"]);
        let pre = "<pre>\nx\n\ny\n</pre>\n\nC\n";
        assert_eq!(chunks(pre), vec!["<pre>\nx\n\ny\n</pre>\n\n", "C\n"]);
        let frontmatter = "---\na: 1\n\nb: 2\n---\n\nC\n";
        assert_eq!(
            chunks(frontmatter),
            vec!["---\na: 1\n\nb: 2\n---\n\n", "C\n"]
        );
    }

    #[test]
    fn chunks_cover_the_text() {
        for text in [
            "a\n\nb",
            "\n\n\na\r\n\r\nb\r\n",
            "```\n\nx",
            "<!--\n\n",
            "\u{FEFF}---\n",
        ] {
            let ranges = top_level_chunks(text);
            assert_eq!(ranges.first().map(|r| r.start), Some(0), "{text:?}");
            assert_eq!(ranges.last().map(|r| r.end), Some(text.len()), "{text:?}");
            assert!(
                ranges.windows(2).all(|w| w[0].end == w[1].start),
                "{text:?}"
            );
        }
    }

    /// Asserts that each text parses chunk by chunk as it does whole.
    fn parse_as_a_whole(texts: &[&str]) {
        for text in texts {
            let checked = crate::notes::blocks::check_chunked_outline(text);
            assert!(
                checked.is_ok(),
                "{text:?}\n{}",
                checked.err().unwrap_or_default()
            );
        }
    }

    #[test]
    fn a_table_tree_sitter_cannot_parse_costs_only_its_chunk() {
        // Found by fuzzing: tree-sitter-md takes `l|` over `-` for a table header, fails, and
        // its error recovery turns every later block of the note into `ERROR`. Parsed chunk by
        // chunk, only that chunk is lost (the comparison with the whole parse stops there).
        parse_as_a_whole(&["l|\n-\n\nx", "l|\n-\n\n\u{FFFD}", "a\nl|\n-\n\nx\n\ny\n"]);
        let note = crate::notes::Note::parse("Intro.\n\nl|\n-\n\nA paragraph.\n\n# A heading\n");
        let kinds: Vec<_> = note.blocks.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            vec![
                crate::notes::BlockKind::Paragraph,
                crate::notes::BlockKind::Paragraph,
                crate::notes::BlockKind::Heading(1)
            ]
        );
    }

    #[test]
    fn a_note_ending_without_a_line_break_parses_as_a_whole() {
        // Found by fuzzing: tree-sitter-md read a final `# ` as a heading after a heading but not
        // after a paragraph, so the last chunk alone differed from the whole note.
        parse_as_a_whole(&[
            "# Heading\n\n# ",
            "Text.\n\n# ",
            "# H\n\n#",
            "> q\n# H\n\n## ",
        ]);
    }

    #[test]
    fn a_note_with_classic_mac_line_ends_is_one_chunk() {
        // Found by fuzzing: a frontmatter whose lines end in a lone `\r` closed, for
        // tree-sitter-md, after a blank line where the chunks were cut.
        let text = "---\rtitle: x\r\r\n---\n\nText.\n\nMore.\n";
        assert_eq!(chunks(text), vec![text]);
        parse_as_a_whole(&[text]);
        assert_eq!(chunks("a\r\n\r\nb\r\n").len(), 2, "CRLF still splits");
    }

    #[test]
    fn a_frontmatter_fence_indented_by_up_to_three_spaces_opens_it() {
        // Found by fuzzing (base64 `IC0tLQodIAoKHSAKLS0tCickLS0tCick`): tree-sitter-md opens a
        // frontmatter at ` ---`, so no chunk may start inside it, after its blank line.
        parse_as_a_whole(&[
            " ---\n\u{1d} \n\n\u{1d} \n---\n'$---\n'$",
            " ---\nt: x\n\n---\n\nA\n",
            "   +++\nt: x\n\n+++\n\nA\n",
            "    ---\nt: x\n\n---\n\nA\n",
            "---\nt: x\n\n ---\n\nA\n",
        ]);
        assert_eq!(chunks("  ---\nt: x\n\n---\n\nA\n").len(), 2);
        // Found by fuzzing next: a vertical tab after a fence makes it no fence, for
        // tree-sitter-md (the frontmatter goes on to the next `---`).
        parse_as_a_whole(&[
            "---\nt: x\n---\t\u{b}\t\n\n\nA\n---\n\nB\n",
            "---\nt: x\n---\t \n\nA\n",
        ]);
        assert_eq!(
            chunks("    ---\nt: x\n\n---\n\nA\n").len(),
            3,
            "four spaces: code"
        );
    }

    #[test]
    fn form_feed_and_vertical_tab_lines_are_not_blank() {
        // Found by fuzzing: Markdown's blank line holds spaces and tabs only; a line of form
        // feeds continues the paragraph, so no chunk may start after it.
        parse_as_a_whole(&[
            "Text.\n\u{c}\nMore.\n",
            "---\nt: x\n\u{b}\n---\n\nA\n",
            "A\n \t\nB\n",
        ]);
        assert_eq!(chunks("Text.\n\u{c}\nMore.\n").len(), 1);
        assert_eq!(chunks("A\n \t\nB\n").len(), 2, "spaces and tabs are blank");
    }

    /// Lines that open, continue and close every kind of block, with and without indentation.
    const LINES: &[&str] = &[
        "",
        "",
        "",
        "  <!-- x",
        "<div>",
        "</div>",
        "<span>a</span> b",
        "+++",
        "<?php",
        "Plain prose with \"a quotation of words\" [@key].",
        "# Heading",
        "Setext",
        "===",
        "---",
        "***",
        "- item",
        "  continued",
        "1. first",
        "    indented code",
        "> quoted",
        ">",
        "```",
        "```md",
        "~~~",
        "````",
        "  ```",
        "$$",
        "$$ x $$",
        "<!-- ibid-ignore -->",
        "<!--",
        "-->",
        "<pre>",
        "</pre>",
        "<div>",
        "| a | b |",
        "|---|---|",
        "l|",
        "-",
        "[ref]: /url",
        "Term",
        ":   definition",
        "::: note",
        ":::",
        "...",
        "\t tabbed",
        "text `code",
        "` more",
        "[^1]: note",
        "  - nested",
        "\u{FEFF}---",
        "id: x",
        "a\0b",
        "# ",
        "#",
        "a\rb",
        "\r---",
        "---\r\r",
        "\u{c}",
        " \u{b}",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(600))]
        /// Parsing chunk by chunk gives exactly the outline of one parse of the whole note.
        #[test]
        fn chunked_parse_equals_whole_parse(
            picks in proptest::collection::vec(0..LINES.len(), 0..40),
            crlf in proptest::bool::ANY,
            ends_with_newline in proptest::bool::ANY,
        ) {
            let newline = if crlf { "\r\n" } else { "\n" };
            let mut text: String = picks.iter().map(|&i| format!("{}{newline}", LINES[i])).collect();
            if !ends_with_newline {
                text.truncate(text.trim_end_matches(['\r', '\n']).len());
            }
            let checked = crate::notes::blocks::check_chunked_outline(&text);
            proptest::prop_assert!(checked.is_ok(), "{:?}\n{}", text, checked.err().unwrap_or_default());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// A note re-parsed after an edit, re-using its unchanged chunks, is the note parsed afresh.
        #[test]
        fn parse_after_an_edit_equals_a_fresh_parse(
            picks in proptest::collection::vec(0..LINES.len(), 1..30),
            edit_line in 0usize..30,
            replacement in 0..LINES.len(),
        ) {
            let lines: Vec<&str> = picks.iter().map(|&i| LINES[i]).collect();
            let old_text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let mut edited = lines.clone();
            let at = edit_line % edited.len();
            edited[at] = LINES[replacement];
            let text: String = edited.iter().map(|l| format!("{l}\n")).collect();
            let old = crate::notes::Note::parse(&old_text);
            let again = crate::notes::Note::parse_after(&text, &old_text, &old);
            let fresh = crate::notes::Note::parse(&text);
            let summary = |n: &crate::notes::Note| format!(
                "{:?}{:?}{:?}{:?}{:?}{:?}{:?}",
                n.frontmatter, n.blocks, n.headings, n.citations, n.quotations, n.glossary, n.problems
            );
            proptest::prop_assert_eq!(summary(&again), summary(&fresh), "{:?} -> {:?}", old_text, text);
        }
    }
}

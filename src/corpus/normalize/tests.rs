//! Unit tests of the normaliser: one fixture per rule, then properties over random text.

use expect_test::{Expect, expect};
use proptest::prelude::*;

use super::*;

fn clean_plain(text: &str) -> String {
    clean_text(text, SourceFormat::Plain).text.to_string()
}

fn clean_md(text: &str) -> String {
    clean_text(text, SourceFormat::Markdown).text.to_string()
}

fn key(text: &str) -> String {
    normalize_key(text).text.to_string()
}

/// Each word of the key with the original text it maps back to.
fn key_words_with_origins(original: &str, format: SourceFormat) -> String {
    let key = key_of_clean(&clean_text(original, format));
    let mut out = String::new();
    let mut start = 0;
    for word in key.text.split(' ') {
        let range = start..start + word.len();
        let orig = key.to_original(range);
        out.push_str(&format!("{word} <- {:?}\n", &original[orig]));
        start += word.len() + 1;
    }
    out
}

fn check_origins(original: &str, format: SourceFormat, expect: Expect) {
    expect.assert_eq(&key_words_with_origins(original, format));
}

// --- clean: whitespace -------------------------------------------------------------------------

#[test]
fn whitespace_runs_collapse_to_one_space() {
    assert_eq!(
        clean_plain("a \u{A0}b\u{2009}c\t\r\n d\u{3000}e"),
        "a b c d e"
    );
}

#[test]
fn leading_and_trailing_whitespace_is_trimmed() {
    assert_eq!(clean_plain(" \n\n  word  \n\n"), "word");
    assert_eq!(clean_plain("   "), "");
    assert_eq!(clean_plain(""), "");
}

#[test]
fn blank_lines_are_recorded_as_breaks() {
    let clean = clean_text("one\ntwo\n\nthree\n \nfour five", SourceFormat::Plain);
    assert_eq!(clean.text, "one two three four five");
    assert_eq!(clean.breaks, vec![7, 13]);
    assert_eq!(&clean.text[7..8], " ");
}

#[test]
fn case_and_punctuation_are_kept() {
    assert_eq!(clean_plain("It’s “Done”, (ok)!"), "It’s “Done”, (ok)!");
}

// --- clean: NFKC and invisible chars ---------------------------------------------------------

#[test]
fn nfkc_applies_and_maps_to_the_compatibility_char() {
    let original = "the ﬁnal ＡＢ x² café";
    let clean = clean_text(original, SourceFormat::Plain);
    assert_eq!(clean.text, "the final AB x2 café");
    // "fi" both map to the ligature.
    assert_eq!(&original[clean.to_original(4..6)], "ﬁ");
    assert_eq!(&original[clean.to_original(4..5)], "ﬁ");
    assert_eq!(&original[clean.to_original(4..9)], "ﬁnal");
    assert_eq!(&original[clean.to_original(10..12)], "ＡＢ");
}

#[test]
fn nfkc_composes_combining_marks() {
    let original = "cafe\u{301} time";
    let clean = clean_text(original, SourceFormat::Plain);
    assert_eq!(clean.text, "café time");
    assert_eq!(&original[clean.to_original(0..5)], "cafe\u{301}");
    assert_eq!(&original[clean.to_original(6..10)], "time");
}

#[test]
fn zero_width_chars_and_soft_hyphens_are_deleted() {
    let original = "inter\u{AD}na\u{200B}tional\u{FEFF} co\u{200D}op";
    let clean = clean_text(original, SourceFormat::Plain);
    assert_eq!(clean.text, "international coop");
    assert_eq!(
        &original[clean.to_original(0..13)],
        "inter\u{AD}na\u{200B}tional"
    );
}

// --- clean: line-end hyphenation --------------------------------------------------------------

#[test]
fn line_end_hyphen_before_lowercase_joins_and_keeps_the_hyphen() {
    assert_eq!(clean_plain("a win-\nwin deal"), "a win-win deal");
    assert_eq!(clean_plain("a win-\n\n\nwin deal"), "a win-win deal");
    assert_eq!(clean_plain("major-  \r\n  power"), "major-power");
    assert_eq!(clean_plain("x\u{2010}\ny"), "x\u{2010}y");
}

#[test]
fn hyphen_is_not_joined_elsewhere() {
    // Same line.
    assert_eq!(clean_plain("member- and observer"), "member- and observer");
    // Capital after the break.
    assert_eq!(clean_plain("Anglo-\nSaxon"), "Anglo- Saxon");
    // A dash, not a hyphen: nothing alphanumeric before it.
    assert_eq!(clean_plain("so -\nthen"), "so - then");
    // A digit after the break.
    assert_eq!(clean_plain("pages 70-\n79"), "pages 70- 79");
}

#[test]
fn soft_hyphen_at_line_end_joins_without_a_hyphen() {
    assert_eq!(clean_plain("inter\u{AD}\nnational"), "international");
}

#[test]
fn joined_hyphenation_records_no_break() {
    let clean = clean_text("co-\n\noperate", SourceFormat::Plain);
    assert_eq!(clean.text, "co-operate");
    assert!(clean.breaks.is_empty());
}

#[test]
fn hyphenation_joins_across_a_blockquote_marker_in_markdown() {
    assert_eq!(
        clean_md("the open-\n\n> ing up of it"),
        "the open-ing up of it"
    );
    assert_eq!(key("the open-\n\n> ing up"), "the open ing up");
    let original = "the open-\n\n> ing up";
    let clean = clean_text(original, SourceFormat::Markdown);
    let key = key_of_clean(&clean);
    assert_eq!(key.text, "the opening up");
    assert_eq!(&original[key.to_original(4..11)], "open-\n\n> ing");
}

// --- clean: Markdown --------------------------------------------------------------------------

#[test]
fn markdown_links_keep_only_their_text() {
    assert_eq!(
        clean_md("the “[shared future](#)” of"),
        "the “shared future” of"
    );
    assert_eq!(
        clean_md("mail [a@b.org](mailto:a@b.org) now"),
        "mail a@b.org now"
    );
    assert_eq!(
        clean_md("see [*the* text](http://x.org \"Title\") and [ref][r] and [c][]"),
        "see the text and ref and c"
    );
    assert_eq!(
        clean_md("an ![alt words](pic.png) here"),
        "an alt words here"
    );
    assert_eq!(clean_md("at <http://x.org> end"), "at http://x.org end");
}

#[test]
fn unclosed_marks_in_a_long_paragraph_are_read_in_linear_time() {
    // Each mark opened a search to the paragraph's end: these took minutes (or seconds) per
    // megabyte. Past the paragraph's lookahead its marks are text; the next paragraph has its own.
    for unit in ["[a](", "![", "[", "x <!-- ", "`x ``"] {
        let paragraph = unit.repeat(200_000 / unit.len());
        let text = format!("{paragraph}\n\nthen [a link](http://x.org) and `code`\n");
        let cleaned = clean_md(&text);
        assert!(
            cleaned.ends_with("then a link and code"),
            "{unit}: …{}",
            &cleaned[cleaned.len() - 60..]
        );
    }
    // A comment never closed, as an HTML block: each `<!--` searched the whole line for `-->`.
    let cleaned = clean_md(&format!("{}\n\nafter\n", "<!--".repeat(100_000)));
    assert!(
        cleaned.ends_with("after"),
        "{}",
        &cleaned[cleaned.len() - 20..]
    );
}

#[test]
fn markdown_shortcut_brackets_are_kept() {
    // `[s]ome` is an editorial insertion, not a link: a quotation would write it the same way.
    assert_eq!(clean_md("said “[s]ome things”"), "said “[s]ome things”");
}

#[test]
fn markdown_emphasis_code_and_escapes() {
    assert_eq!(
        clean_md("**bold** and *it* and _u_ and `co*de` and \\*star\\* and a\\\nb"),
        "bold and it and u and co*de and *star* and a b"
    );
}

#[test]
fn markdown_html_is_deleted_without_separator() {
    assert_eq!(clean_md("the 22<sup>nd</sup> meeting"), "the 22nd meeting");
    assert_eq!(clean_md("a <!-- note --> b"), "a b");
    assert_eq!(
        clean_md("<div>\nblock text\n</div>\n\nnext"),
        "block text next"
    );
}

#[test]
fn markdown_line_breaking_html_tags_leave_a_separator() {
    assert_eq!(clean_md("one<br>two<br/>three"), "one two three");
    assert_eq!(clean_md("a <em>b</em>c</p><p>d"), "a bc d");
    assert_eq!(
        clean_md("<table><tr><td>x</td><td>y</td></tr></table>"),
        "x y"
    );
}

#[test]
fn markdown_footnote_definitions_are_text() {
    assert_eq!(
        clean_md("Text.[^1]\n\n[^1]: Ibid.\n"),
        "Text.[^1] [^1]: Ibid."
    );
    assert_eq!(
        clean_md("Text.\n\n[ref]: http://x.org\n\nMore."),
        "Text. More."
    );
}

#[test]
fn markdown_block_markers() {
    let original = "# Title #\n\nText one\ncontinues\n\n> quoted\n> more\n\n- item\n- two\n\n1. num\n\n---\n\nSetext\n===\n\n```rust\ncode()\n```\n\n| a | b |\n|---|---|\n| c | d |\n";
    assert_eq!(
        clean_md(original),
        "Title Text one continues quoted more item two num Setext code() a b c d"
    );
}

#[test]
fn markdown_character_references_are_decoded() {
    let original = "Tom &amp; Jerry&#8217;s &#x201C;show&rdquo;";
    let clean = clean_text(original, SourceFormat::Markdown);
    assert_eq!(clean.text, "Tom & Jerry’s “show”");
    let apostrophe = clean.text.find('’').unwrap_or_default();
    assert_eq!(
        &original[clean.to_original(apostrophe..apostrophe + 3)],
        "&#8217;"
    );
}

#[test]
fn markdown_frontmatter_is_left_out() {
    let original = "---\nid: x\ntitle: T\n---\n# Head\n\nBody";
    let clean = clean_text(original, SourceFormat::Markdown);
    assert_eq!(clean.text, "Head Body");
    assert_eq!(&original[clean.to_original(0..4)], "Head");
}

#[test]
fn plain_frontmatter_is_left_out_only_when_it_is_a_mapping() {
    assert_eq!(clean_plain("---\nid: x\n---\nBody"), "Body");
    assert_eq!(
        clean_plain("---\nA heading\n---\nBody"),
        "--- A heading --- Body"
    );
}

#[test]
fn plain_text_keeps_markdown_syntax() {
    assert_eq!(clean_plain("a [b](c) **d**"), "a [b](c) **d**");
}

#[test]
fn markdown_pull_quote_lines_are_separate_paragraphs() {
    let clean = clean_text(
        "*The key* \n\nof the plan,\n\nwin-\n\nwin",
        SourceFormat::Markdown,
    );
    assert_eq!(clean.text, "The key of the plan, win-win");
    assert_eq!(clean.breaks, vec![7, 20]);
}

// --- the line-based markup scanner against tree-sitter-md ------------------------------------

/// The clean projection as it was computed before `markup`: Markdown parsed by tree-sitter-md.
fn clean_by_tree_sitter(original: &str) -> MappedText {
    let mut edits = Vec::new();
    if let Some(frontmatter) = crate::workspace::frontmatter::parse_frontmatter(original) {
        edits.push(Edit {
            range: frontmatter.range,
            with: Replacement::Nothing,
        });
    }
    let body_start = edits.first().map_or(0, |e| e.range.end);
    let body = original.get(body_start..).unwrap_or("");
    edits.extend(
        crate::corpus::markdown::markup_edits(body)
            .into_iter()
            .map(|mut edit| {
                edit.range = edit.range.start + body_start..edit.range.end + body_start;
                edit
            }),
    );
    clean_with_edits(original, &edits)
}

/// Where two clean texts first differ, with some context of each, or `None` when text and
/// paragraph breaks agree.
fn first_difference(name: &str, original: &str) -> Option<String> {
    let fast = clean_text(original, SourceFormat::Markdown);
    let reference = clean_by_tree_sitter(original);
    if fast.text == reference.text && fast.breaks == reference.breaks {
        return None;
    }
    let at = fast
        .text
        .bytes()
        .zip(reference.text.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(fast.text.len().min(reference.text.len()));
    let around = |text: &str| {
        let mut start = at.saturating_sub(60);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (at + 60).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        text[start..end].to_string()
    };
    let breaks = if fast.text == reference.text {
        format!(
            " (breaks: {:?} vs {:?})",
            fast.breaks.len(),
            reference.breaks.len()
        )
    } else {
        String::new()
    };
    Some(format!(
        "{name} at clean byte {at}{breaks}:\n  line-based: {:?}\n  tree-sitter: {:?}",
        around(&fast.text),
        around(&reference.text)
    ))
}

/// Markdown a source may hold, written for this test: every rule of `markup` once.
const MARKDOWN_FIXTURES: &[&str] = &[
    "# Title #\n\nText one\ncontinues *across\nlines* here.\n\n> quoted *text*\n> more\n\n- item\n- two\n\n1. num\n2) other\n\n---\n\nSetext\n===\n\nAnother\n---\n",
    "```rust\ncode() *kept*\n```\n\n~~~\n# not a heading\n~~~\n\n    indented *code*\n\nafter",
    "| a | *b* |\n|---|:-:|\n| c | d \\| e |\n\ntext after",
    "see [*the* text](http://x.org \"Title\") and [ref][r] and [c][] and ![alt](p.png) and [s]ome",
    "a [link (with) parens](x(y)z) and [angle](<a b>) end",
    "**bold** and __strong__ and *it* and _u_ and snake_case_word and 2*3*4 and ***both*** x",
    "`code *span*` and ``a ` b`` and \\*escaped\\* and a\\\nb and &amp; &#8217; &#x201C; &nosuch;",
    "the 22<sup>nd</sup> one<br>two <!-- note\nover lines --> and <http://x.org> and <a@b.org>",
    "<div>\nblock *text*\n</div>\n\nnext\n\n<!--\ncomment\n-->\nafter",
    "Text.[^1]\n\n[^1]: A note.\n\n[ref]: http://x.org \"T\"\n\nMore ~~struck~~ and ~one~ text.",
    "- [ ] task\n- [x] done\n  continued\n\n  second paragraph\n\n* star\n+ plus",
    "> # quoted heading\n> - quoted item\n>\n> > nested\nlazy line\n\nend",
    "the open-\n\n> ing up of it, *The key* \n\nof the plan,\n\nwin-\n\nwin",
    "a * b * c and a _ b _ c and *unclosed and closed* and **x*",
    "“*quoted emphasis*,” she said, *“inside”* and (*paren*)",
];

/// Where the two disagree, on purpose: CommonMark makes `[a [b]](u)` a link whose text is
/// `a [b]` (`[b]` is no link without a definition of `b`); tree-sitter-md takes `[b]` for a link
/// and so leaves the outer brackets as text.
#[test]
fn markup_scanner_reads_nested_brackets_as_commonmark_does() {
    let original = "a [nested [brackets]](u) end";
    assert_eq!(clean_md(original), "a nested [brackets] end");
    assert_eq!(
        clean_by_tree_sitter(original).text,
        "a [nested [brackets]](u) end"
    );
}

#[test]
fn markup_scanner_agrees_with_tree_sitter_on_fixtures() {
    let differences: Vec<String> = MARKDOWN_FIXTURES
        .iter()
        .enumerate()
        .filter_map(|(i, text)| first_difference(&format!("fixture {i}"), text))
        .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Every file of the sample corpus read as Markdown (the plain-text ones too: more text to
/// disagree on), and with `IBID_MARKUP_COMPARE_DIR` set, every `.md` file under that folder (a
/// generated benchmark workspace, say).
#[test]
fn markup_scanner_agrees_with_tree_sitter_on_the_sample_corpus() {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    )
    .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
    .unwrap_or_default();
    assert!(
        files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .count()
            >= 2,
        "the sample corpus is missing"
    );
    if let Some(dir) = std::env::var_os("IBID_MARKUP_COMPARE_DIR") {
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "md") {
                    files.push(path);
                }
            }
        }
    }
    files.retain(|p| p.extension().is_some_and(|e| e == "md" || e == "txt"));
    let differences: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            first_difference(&path.display().to_string(), &text)
        })
        .collect();
    assert!(
        differences.is_empty(),
        "{} of {} files differ:\n{}",
        differences.len(),
        files.len(),
        differences.join("\n")
    );
}

// --- key ---------------------------------------------------------------------------------------

#[test]
fn key_lowercases_and_separates_words() {
    assert_eq!(
        key("  The  Cat—sat; on (the) MAT!  "),
        "the cat sat on the mat"
    );
    assert_eq!(key("a ✓ b ▲ c – d"), "a b c d");
    assert_eq!(key("…"), "");
}

#[test]
fn key_deletes_quotes_apostrophes_and_hyphens() {
    assert_eq!(key("China’s “shared” «future»"), "chinas shared future");
    assert_eq!(key("people-to-people"), "peopletopeople");
    assert_eq!(
        key("people‑to‑people ‘x’ \"y\" `z´ 5′ 6″"),
        "peopletopeople x y z 5 6"
    );
    assert_eq!(key("a - b"), "a b");
    // Modifier-letter apostrophes are letters to Unicode, but apostrophes to a reader.
    assert_eq!(key("Chinaʼs Hawaiʻi"), "chinas hawaii");
}

#[test]
fn key_deletes_dots_and_commas_between_alphanumerics() {
    assert_eq!(
        key("the U.S. grew 4.2% to 1,000 units."),
        "the us grew 42 to 1000 units"
    );
    assert_eq!(key("end.Next, and"), "endnext and");
    assert_eq!(key(".5 and 5."), "5 and 5");
}

#[test]
fn key_keeps_cjk_and_other_scripts() {
    assert_eq!(key("Xi said 中国 “Да” Ελλάδα"), "xi said 中国 да ελλάδα");
}

#[test]
fn key_maps_words_to_the_original() {
    check_origins(
        "“Don’t  STOP,”\u{A0}she said —\nthe U.S. way.",
        SourceFormat::Plain,
        expect![[r#"
            dont <- "Don’t"
            stop <- "STOP"
            she <- "she"
            said <- "said"
            the <- "the"
            us <- "U.S"
            way <- "way"
        "#]],
    );
}

#[test]
fn key_maps_markdown_words_to_the_original() {
    check_origins(
        "## **Bold** [link text](#)\n\nthe 22<sup>nd</sup> *open-*\n\n> *ing*",
        SourceFormat::Markdown,
        expect![[r#"
            bold <- "Bold"
            link <- "link"
            text <- "text"
            the <- "the"
            22nd <- "22<sup>nd"
            opening <- "open-*\n\n> *ing"
        "#]],
    );
}

#[test]
fn key_carries_breaks_over() {
    let clean = clean_text("one,\n\n“two” — three\n\nfour", SourceFormat::Plain);
    assert_eq!(clean.text, "one, “two” — three four");
    let key = key_of_clean(&clean);
    assert_eq!(key.text, "one two three four");
    assert_eq!(key.breaks, vec![3, 13]);
}

#[test]
fn key_separator_maps_to_the_whole_separating_run() {
    let original = "word, — next";
    let key = normalize_key(original);
    assert_eq!(key.text, "word next");
    assert_eq!(&original[key.to_original(4..5)], ", — ");
}

#[test]
fn lowercase_expansion_maps_to_the_capital() {
    let original = "İstanbul";
    let key = normalize_key(original);
    assert_eq!(key.text, "i\u{307}stanbul");
    assert_eq!(&original[key.to_original(0..1)], "İ");
    assert_eq!(&original[key.to_original(0..3)], "İ");
    assert_eq!(&original[key.to_original(3..4)], "s");
}

// --- to_original and from_original ------------------------------------------------------------

#[test]
fn to_original_of_empty_ranges() {
    let original = "  ab\u{A0}cd ";
    let clean = clean_text(original, SourceFormat::Plain);
    assert_eq!(clean.text, "ab cd");
    assert_eq!(clean.to_original(0..0), 2..2);
    assert_eq!(clean.to_original(3..3), 6..6);
    assert_eq!(clean.to_original(5..5), 8..8);
    assert_eq!(clean.to_original(9..12), 8..8);
    assert_eq!(clean.to_original(2..3), 4..6);
    assert_eq!(MappedText::default().to_original(0..3), 0..0);
}

#[test]
fn from_original_finds_the_first_byte_at_or_after() {
    let original = "  ab\u{A0}cd ";
    let clean = clean_text(original, SourceFormat::Plain);
    assert_eq!(clean.from_original(0), 0);
    assert_eq!(clean.from_original(2), 0);
    assert_eq!(clean.from_original(3), 1);
    assert_eq!(clean.from_original(4), 2);
    assert_eq!(clean.from_original(5), 3);
    assert_eq!(clean.from_original(6), 3);
    assert_eq!(clean.from_original(7), 4);
    assert_eq!(clean.from_original(8), 5);
    assert_eq!(clean.from_original(100), 5);
}

#[test]
fn from_original_inside_a_multibyte_char_goes_to_the_next_char() {
    let original = "é中x";
    let clean = clean_text(original, SourceFormat::Plain);
    assert_eq!(clean.from_original(1), 2);
    assert_eq!(clean.from_original(3), 5);
    assert_eq!(clean.from_original(5), 5);
}

#[test]
fn copied_text_costs_one_span() {
    let original = "plain words only here and there";
    let clean = clean_text(original, SourceFormat::Plain);
    assert_eq!(clean.span_count(), 1);
    assert_eq!(normalize_key(original).span_count(), 1);
}

// --- properties ---------------------------------------------------------------------------------

const FRAGMENTS: &[&str] = &[
    "a",
    "B",
    "word",
    "Zeta",
    "ing",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "\u{A0}",
    "\u{2009}",
    "-",
    "‐",
    "‑",
    "—",
    "–",
    "'",
    "’",
    "‘",
    "“",
    "”",
    "\"",
    "«",
    "»",
    ".",
    ",",
    "!",
    "?",
    ":",
    ";",
    "中",
    "国",
    "😀",
    "👍🏽",
    "✓",
    "*",
    "**",
    "_",
    "[",
    "]",
    "(",
    ")",
    "](#)",
    "#",
    "## ",
    "> ",
    "- ",
    "1. ",
    "`",
    "<b>",
    "</sup>",
    "<!--",
    "-->",
    "\\",
    "&amp;",
    "&#8217;",
    "!",
    "é",
    "e\u{301}",
    "\u{301}",
    "ﬁ",
    "\u{AD}",
    "\u{200B}",
    "1",
    "42",
    "U.S.",
    "4.2",
    "1,000",
    "|",
    "---",
    "win-\n",
    "open-\n\n> ",
    "İ",
    "Σ",
    "ß",
    "---\nid: x\n---\n",
];

fn fragment_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|parts| parts.concat())
}

fn wild_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
            1 => any::<char>().prop_map(|c| c.to_string()),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

/// Every byte maps inside the original, onto char boundaries; starts and ends never go back;
/// `from_original` of a byte's origin does not land after it.
fn assert_well_mapped(original: &str, mapped: &MappedText) -> Result<(), TestCaseError> {
    let mut previous = 0..0;
    for byte in 0..mapped.text.len() {
        let origin = mapped.byte_origin(byte);
        prop_assert!(
            origin.start < origin.end,
            "empty origin {origin:?} of byte {byte}"
        );
        prop_assert!(
            origin.end <= original.len(),
            "origin {origin:?} outside the original"
        );
        prop_assert!(
            original.is_char_boundary(origin.start) && original.is_char_boundary(origin.end)
        );
        prop_assert!(
            origin.start >= previous.start && origin.end >= previous.end,
            "origin {origin:?} of byte {byte} goes back from {previous:?}"
        );
        if mapped.text.is_char_boundary(byte) {
            prop_assert!(mapped.from_original(origin.start) <= byte);
        }
        previous = origin;
    }
    let mut chars = mapped.char_origins();
    while let Some((offset, c, origin)) = chars.next() {
        prop_assert_eq!(
            origin,
            mapped.byte_origin(offset),
            "char at {} {:?}",
            offset,
            c
        );
        // The iterator's search from its span, for the bytes that follow the char.
        let after = offset + c.len_utf8();
        for byte in after..(after + 4).min(mapped.text.len() + 1) {
            prop_assert_eq!(
                chars.copied_at(byte),
                mapped.copied_at(byte),
                "byte {}",
                byte
            );
        }
    }
    let mut last = 0;
    for offset in 0..=original.len() + 1 {
        let at = mapped.from_original(offset);
        prop_assert!(
            at >= last && at <= mapped.text.len(),
            "from_original({offset}) = {at}"
        );
        prop_assert!(mapped.text.is_char_boundary(at));
        last = at;
    }
    for window in mapped.breaks.windows(2) {
        prop_assert!(window[0] < window[1]);
    }
    for &b in &mapped.breaks {
        prop_assert_eq!(mapped.text.as_bytes().get(b as usize), Some(&b' '));
    }
    Ok(())
}

/// Offsets where a key word starts or ends.
fn word_boundaries(key: &str) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut start = 0;
    for word in key.split(' ') {
        if !word.is_empty() {
            words.push((start, start + word.len()));
        }
        start += word.len() + 1;
    }
    words
}

/// Both projections, with the ASCII fast paths and char by char.
fn both_speeds(original: &str, format: SourceFormat) -> [(MappedText, MappedText); 2] {
    let edits = if format == SourceFormat::Markdown {
        crate::corpus::markup::markup_edits(original)
    } else {
        Vec::new()
    };
    [Speed::Fast, Speed::CharByChar].map(|speed| {
        let clean = clean_with_edits_at(original, &edits, speed);
        let key = key_of_clean_with(&clean, speed);
        (clean, key)
    })
}

#[test]
fn fast_paths_equal_char_by_char_on_the_sample_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut compared = 0;
    for entry in std::fs::read_dir(dir).expect("the sample corpus").flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        for format in [SourceFormat::Plain, SourceFormat::Markdown] {
            let [fast, slow] = both_speeds(&text, format);
            assert!(fast == slow, "{:?} as {format:?}", entry.path());
            compared += 1;
        }
    }
    assert!(compared >= 10);
}

/// `mapped` written to a file as the cache encodes it, and read back from the file mapped; also
/// taken from where it was written (as a record just written is), which must be the same, and
/// encoding the copy read back writes the same bytes.
fn mapped_copy(mapped: &MappedText, original_len: usize) -> MappedText {
    use std::io::Write;
    let mut out = crate::corpus::cache::Encoder::with_capacity(64);
    let at = mapped.encode(&mut out);
    let bytes = out.into_bytes();
    let mut file = tempfile::tempfile().expect("temporary file");
    file.write_all(&bytes).expect("write");
    let map = crate::corpus::stored::RecordMap::of_file(&file).expect("map");
    let mut input = crate::corpus::cache::Decoder::mapped(&bytes, &map);
    let copy = MappedText::decode(&mut input, original_len).expect("decodes");
    assert_eq!(input.remaining(), 0);
    let in_place = mapped.in_record(&map, at);
    assert_eq!(in_place.as_ref(), Some(&copy));
    // Encoded again from the record, it is written as it was.
    let mut again = crate::corpus::cache::Encoder::with_capacity(64);
    copy.encode(&mut again);
    assert_eq!(again.into_bytes(), bytes);
    copy
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn fast_paths_equal_char_by_char(original in wild_text()) {
        for format in [SourceFormat::Plain, SourceFormat::Markdown] {
            let [fast, slow] = both_speeds(&original, format);
            prop_assert_eq!(fast, slow);
        }
    }

    /// A map read from a mapped cache record answers every query as the one built in memory.
    #[test]
    fn a_map_read_from_a_mapped_record_answers_as_the_built_one(original in wild_text()) {
        let clean = clean_text(&original, SourceFormat::Markdown);
        for built in [key_of_clean(&clean), clean] {
            let mapped = mapped_copy(&built, original.len());
            prop_assert!(mapped.is_mapped());
            prop_assert_eq!(&mapped, &built);
            for offset in 0..=built.text.len() {
                prop_assert_eq!(mapped.byte_origin(offset), built.byte_origin(offset));
                prop_assert_eq!(mapped.copied_at(offset), built.copied_at(offset));
                prop_assert_eq!(mapped.to_original(0..offset), built.to_original(0..offset));
                prop_assert_eq!(mapped.to_original(offset..built.text.len()),
                    built.to_original(offset..built.text.len()));
            }
            for offset in 0..=original.len() {
                prop_assert_eq!(mapped.from_original(offset), built.from_original(offset));
            }
            prop_assert!(mapped.char_origins().eq(built.char_origins()));
        }
    }

    #[test]
    fn plain_maps_are_well_formed(original in wild_text()) {
        let clean = clean_text(&original, SourceFormat::Plain);
        assert_well_mapped(&original, &clean)?;
        assert_well_mapped(&original, &key_of_clean(&clean))?;
    }

    #[test]
    fn markdown_maps_are_well_formed(original in wild_text()) {
        let clean = clean_text(&original, SourceFormat::Markdown);
        assert_well_mapped(&original, &clean)?;
        assert_well_mapped(&original, &key_of_clean(&clean))?;
    }

    #[test]
    fn key_words_renormalise_to_themselves(original in fragment_text(), picks in any::<(usize, usize)>()) {
        let key = normalize_key(&original);
        let words = word_boundaries(&key.text);
        if !words.is_empty() {
            let first = picks.0 % words.len();
            let last = first + picks.1 % (words.len() - first);
            let range = words[first].0..words[last].1;
            let orig = key.to_original(range.clone());
            prop_assert_eq!(&normalize_key(&original[orig.clone()]).text, &key.text[range.clone()],
                "key {:?} range {:?} original {:?}", key.text, range, &original[orig]);
        }
    }

    #[test]
    fn every_key_word_renormalises(original in fragment_text()) {
        let clean = clean_text(&original, SourceFormat::Plain);
        let key = key_of_clean(&clean);
        for (start, end) in word_boundaries(&key.text) {
            let orig = key.to_original(start..end);
            prop_assert_eq!(&normalize_key(&original[orig.clone()]).text, &key.text[start..end],
                "original {:?}", &original[orig]);
        }
    }

    #[test]
    fn markdown_key_words_map_inside_the_original(original in fragment_text()) {
        let key = key_of_clean(&clean_text(&original, SourceFormat::Markdown));
        for (start, end) in word_boundaries(&key.text) {
            let orig = key.to_original(start..end);
            prop_assert!(orig.start < orig.end && orig.end <= original.len());
            prop_assert!(original.get(orig).is_some());
        }
    }
}

//! Integration tests: notes — parsing annotated Markdown into blocks, sentences, citations,
//! quotations with their attribution, and the glossary. Fixtures are notes in strings; ranges are
//! checked as the text they cover.

use std::fmt::Write as _;

use expect_test::{Expect, expect};
use ibid::ByteRange;
use ibid::notes::{BlockKind, Note, QuotationKind, QuotePiece};

fn cover(text: &str, range: &ByteRange) -> String {
    text.get(range.clone())
        .map(|s| s.replace("\r\n", "⏎").replace('\n', "⏎"))
        .unwrap_or_else(|| format!("<bad range {range:?}>"))
}

/// The keys of the citation at `index`, joined by `;`.
fn keys(note: &Note, index: usize) -> String {
    note.citations
        .get(index)
        .map(|c| {
            c.items
                .iter()
                .map(|i| i.key.as_str())
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_else(|| format!("<bad citation {index}>"))
}

/// A readable dump of everything parsed from `text`.
fn dump(text: &str) -> String {
    let note = Note::parse(text);
    let mut out = String::new();
    if let Some(frontmatter) = &note.frontmatter {
        writeln!(out, "frontmatter {:?}", cover(text, frontmatter)).ok();
    }
    for (index, block) in note.blocks.iter().enumerate() {
        let ignored = if block.ignored { " ignored" } else { "" };
        writeln!(
            out,
            "block {index} {:?}{ignored}: {:?}",
            block.kind,
            cover(text, &block.range)
        )
        .ok();
        for sentence in &block.sentences {
            writeln!(out, "  sentence {:?}", cover(text, sentence)).ok();
        }
    }
    for heading in &note.headings {
        writeln!(out, "heading {} {:?}", heading.level, heading.text).ok();
    }
    for (index, citation) in note.citations.iter().enumerate() {
        writeln!(
            out,
            "citation {index} {:?} keys={}",
            cover(text, &citation.range),
            keys(&note, index)
        )
        .ok();
    }
    for quotation in &note.quotations {
        let cited: Vec<String> = quotation
            .citations
            .iter()
            .map(|&i| keys(&note, i))
            .collect();
        let ignored = if quotation.ignored { " ignored" } else { "" };
        writeln!(
            out,
            "quotation {:?} in block {}{ignored}: {:?} cites=[{}] words={}",
            quotation.kind,
            quotation.block,
            cover(text, &quotation.content),
            cited.join(", "),
            quotation.word_count,
        )
        .ok();
        if quotation.kind == QuotationKind::Inline {
            writeln!(out, "  in sentence {:?}", cover(text, &quotation.sentence)).ok();
        }
        for piece in &quotation.pieces {
            match piece {
                QuotePiece::Text { text: words, .. } => writeln!(out, "  text {words:?}"),
                QuotePiece::Elision { range } => {
                    writeln!(out, "  elision {:?}", cover(text, range))
                }
                QuotePiece::Alteration { text: words, .. } => {
                    writeln!(out, "  alteration {words:?}")
                }
                QuotePiece::Editorial { range } => {
                    writeln!(out, "  editorial {:?}", cover(text, range))
                }
            }
            .ok();
        }
    }
    for entry in &note.glossary {
        writeln!(
            out,
            "term {:?} ({:?}) = {:?} ({:?}) aliases={:?}",
            entry.term,
            cover(text, &entry.term_range),
            entry.definition,
            cover(text, &entry.definition_range),
            entry.aliases
        )
        .ok();
    }
    out
}

fn check(text: &str, expected: Expect) {
    expected.assert_eq(&dump(text));
}

#[test]
fn code_frontmatter_comments_and_urls_hold_nothing() {
    let text = r#"---
title: "A title" [@frontmatter]
---

Inline `"code span" [@span]` and <!-- "a comment" [@comment] --> and
<https://example.org/@autolink> and https://example.org/"bare"/@url and
[a link](https://example.org/@dest "title") and ![an "image"](pic.png).

```
"fenced code" [@fenced]
```

    "indented code" [@indented]

<div>
"html block" [@html]
</div>
"#;
    let note = Note::parse(text);
    assert!(note.citations.is_empty(), "{:?}", note.citations);
    assert!(note.quotations.is_empty(), "{:?}", note.quotations);
    assert_eq!(
        note.frontmatter.as_ref().map(|r| &text[r.clone()]),
        Some("---\ntitle: \"A title\" [@frontmatter]\n---")
    );
    let kinds: Vec<BlockKind> = note.blocks.iter().map(|b| b.kind).collect();
    assert_eq!(kinds, vec![BlockKind::Paragraph]);
}

#[test]
fn masked_text_keeps_offsets() {
    let text = "# Head\n\nSee [it](http://x.y) and `code` — “é”.\n";
    let masked = ibid::notes::blocks::masked_note(text);
    assert_eq!(masked.len(), text.len());
    assert_eq!(
        masked,
        "  Head\n\nSee  it               and        — “é”.\n"
    );
}

#[test]
fn blockquote_attribution_inside_after_and_before() {
    check(
        r#"A first quotation, cited inside:

> The engine turns slowly,
> and then it stops. [@inside, p. 4]

A second one, cited in the next block:

> Nothing moves before noon.

— [@after]

As @before puts it:

> Every road ends somewhere.

And one without any attribution:

> Lonely words here.
"#,
        expect![[r#"
            block 0 Paragraph: "A first quotation, cited inside:"
              sentence "A first quotation, cited inside:"
            block 1 BlockQuote: "> The engine turns slowly,⏎> and then it stops. [@inside, p. 4]"
              sentence "The engine turns slowly,⏎> and then it stops. [@inside, p. 4]"
            block 2 Paragraph: "A second one, cited in the next block:"
              sentence "A second one, cited in the next block:"
            block 3 BlockQuote: "> Nothing moves before noon."
              sentence "Nothing moves before noon."
            block 4 Paragraph: "— [@after]"
              sentence "— [@after]"
            block 5 Paragraph: "As @before puts it:"
              sentence "As @before puts it:"
            block 6 BlockQuote: "> Every road ends somewhere."
              sentence "Every road ends somewhere."
            block 7 Paragraph: "And one without any attribution:"
              sentence "And one without any attribution:"
            block 8 BlockQuote: "> Lonely words here."
              sentence "Lonely words here."
        "#]],
    );
}

#[test]
fn in_text_citation_before_a_quotation() {
    check(
        r#"As @smith argues, "the river floods every spring." Later, others disagreed [@jones]."#,
        expect![[r#""#]],
    );
}

#[test]
fn quotation_takes_the_citation_after_it_in_its_sentence() {
    check(
        r#"First "a quoted phrase here" [@a], then "another quoted phrase" and more [@b]. A new sentence with "no citation of its own at all"."#,
        expect![[r#""#]],
    );
}

#[test]
fn block_with_a_single_citation_attributes_it_to_every_quotation() {
    check(
        r#"We cite @only here. Then "a quote in a later sentence" follows."#,
        expect![[r#""#]],
    );
}

#[test]
fn sentence_splitting() {
    let text = r#"The U.S. Senate met on Monday (see p. 12). Dr. Brown said "we will vote." Then it rained. [@news] Was that expected? "Yes," said J. Smith. Figures rose, e.g. Exports."#;
    let note = Note::parse(text);
    let sentences: Vec<&str> = note.blocks[0]
        .sentences
        .iter()
        .map(|r| &text[r.clone()])
        .collect();
    assert_eq!(
        sentences,
        vec![
            "The U.S. Senate met on Monday (see p. 12).",
            r#"Dr. Brown said "we will vote.""#,
            "Then it rained. [@news]",
            "Was that expected?",
            r#""Yes," said J. Smith."#,
            "Figures rose, e.g. Exports.",
        ]
    );
}

#[test]
fn ignore_comments() {
    check(
        r#"<!-- ibid-ignore -->
A "silenced quotation here" [@a].

> <!-- ibid-ignore -->
> A silenced blockquote. [@b]

<!-- ibid-ignore-start -->
"One silenced" [@c].

"Two silenced" [@d].
<!-- ibid-ignore-end -->

"Checked again" [@e].
"#,
        expect![[r#""#]],
    );
}

#[test]
fn glossary_with_aliases() {
    check(
        r#"---
glossary:
  Flux capacitor: [capacitor, the flux]
  warp drive:
    aliases: [warp]
aliases:
  Flux capacitor: FC
---

Flux capacitor
: The part that makes *time travel* possible.
: Also a `device` in films.

Warp drive

:   Moves a ship faster than light,
    in fiction.

An ordinary paragraph: with a colon.
"#,
        expect![[r#""#]],
    );
}

#[test]
fn crlf_line_endings() {
    check(
        "# Notes [@crlf]\r\n\r\nShe wrote \"a line\r\nbroken in two\" [@a]. Next one.\r\n\r\n> Quoted across\r\n> two lines. [@b]\r\n\r\nTerm\r\n: Meaning.\r\n",
        expect![[r#""#]],
    );
}

#[test]
fn cjk_and_emoji() {
    check(
        "他说“这是引用的话。”[@zh] 第二句在这里！🙂 Emoji 🎉 \"quoted words 🚀 here\" [@emoji].\n\n> 引用块的内容。[@block]\n",
        expect![[r#""#]],
    );
}

#[test]
fn heading_with_a_citation() {
    check(
        "## Results from @lee [p. 3] and [@kim]\n\nBody.\n",
        expect![[r#""#]],
    );
}

#[test]
fn lists_and_tables_are_blocks() {
    check(
        "- first item \"quoted here\" [@a]\n- second item\n  - nested item\n\n| Claim | Source |\n|---|---|\n| \"a cell quote\" | [@t] |\n",
        expect![[r#""#]],
    );
}

#[test]
fn lookups_by_offset() {
    let text = r#"He wrote "outer 'inner' words" [@x, p. 2]."#;
    let note = Note::parse(text);
    let at = text.find("inner").unwrap_or(0);
    let quotation = note.quotation_at(at).map(|q| &text[q.range.clone()]);
    assert_eq!(quotation, Some(r#""outer 'inner' words""#));
    let at = text.find("@x").unwrap_or(0);
    assert_eq!(
        note.citation_at(at).map(|c| &text[c.range.clone()]),
        Some("[@x, p. 2]")
    );
}

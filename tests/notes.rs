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
<https://example.org/@autolink> and https://example.org/bare/@url and
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
    assert_eq!(masked, "  Head\n\nSee  it              and        — “é”.\n");
}

#[test]
fn blockquote_attribution_inside_after_and_before() {
    check(
        r#"A first quotation, cited inside:

> The *engine* turns "slowly" [...],
> and then it stops. [@inside, p. 4]

A second one, cited in the next block:

> Nothing moves before noon.

— [@after]

As @before puts it:

> Every road ends somewhere.

With a dash inside, and a dash line after:

> Quiet streets at dawn.
> — @dash

> Loud streets at dusk.

-- @dashafter

A colon but two citations, @one and @two:

> Lonely words here.
"#,
        expect![[r#"
            block 0 Paragraph: "A first quotation, cited inside:"
              sentence "A first quotation, cited inside:"
            block 1 BlockQuote: "> The *engine* turns \"slowly\" [...],⏎> and then it stops. [@inside, p. 4]"
              sentence "The *engine* turns \"slowly\" [...],⏎> and then it stops. [@inside, p. 4]"
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
            block 7 Paragraph: "With a dash inside, and a dash line after:"
              sentence "With a dash inside, and a dash line after:"
            block 8 BlockQuote: "> Quiet streets at dawn.⏎> — @dash"
              sentence "Quiet streets at dawn.⏎> — @dash"
            block 9 BlockQuote: "> Loud streets at dusk."
              sentence "Loud streets at dusk."
            block 10 Paragraph: "-- @dashafter"
              sentence "-- @dashafter"
            block 11 Paragraph: "A colon but two citations, @one and @two:"
              sentence "A colon but two citations, @one and @two:"
            block 12 BlockQuote: "> Lonely words here."
              sentence "Lonely words here."
            citation 0 "[@inside, p. 4]" keys=inside
            citation 1 "[@after]" keys=after
            citation 2 "@before" keys=before
            citation 3 "@dash" keys=dash
            citation 4 "@dashafter" keys=dashafter
            citation 5 "@one" keys=one
            citation 6 "@two" keys=two
            quotation Block in block 1: "The *engine* turns \"slowly\" [...],⏎> and then it stops." cites=[inside] words=8
              text "The engine turns \"slowly\""
              elision "[...]"
              text ", and then it stops."
            quotation Block in block 3: "Nothing moves before noon." cites=[after] words=4
              text "Nothing moves before noon."
            quotation Block in block 6: "Every road ends somewhere." cites=[before] words=4
              text "Every road ends somewhere."
            quotation Block in block 8: "Quiet streets at dawn." cites=[dash] words=4
              text "Quiet streets at dawn."
            quotation Block in block 9: "Loud streets at dusk." cites=[dashafter] words=4
              text "Loud streets at dusk."
            quotation Block in block 12: "Lonely words here." cites=[] words=3
              text "Lonely words here."
        "#]],
    );
}

#[test]
fn in_text_citation_before_a_quotation() {
    check(
        r#"As @smith argues, "the river floods every spring." Later, others disagreed [@jones]."#,
        expect![[r#"
            block 0 Paragraph: "As @smith argues, \"the river floods every spring.\" Later, others disagreed [@jones]."
              sentence "As @smith argues, \"the river floods every spring.\""
              sentence "Later, others disagreed [@jones]."
            citation 0 "@smith" keys=smith
            citation 1 "[@jones]" keys=jones
            quotation Inline in block 0: "the river floods every spring." cites=[smith] words=5
              in sentence "As @smith argues, \"the river floods every spring.\""
              text "the river floods every spring."
        "#]],
    );
}

#[test]
fn quotation_takes_the_citation_after_it_in_its_sentence() {
    check(
        r#"First "a quoted phrase here" [@a], then "another quoted phrase" and more [@b]. A new sentence with "no citation of its own at all"."#,
        expect![[r#"
            block 0 Paragraph: "First \"a quoted phrase here\" [@a], then \"another quoted phrase\" and more [@b]. A new sentence with \"no citation of its own at all\"."
              sentence "First \"a quoted phrase here\" [@a], then \"another quoted phrase\" and more [@b]."
              sentence "A new sentence with \"no citation of its own at all\"."
            citation 0 "[@a]" keys=a
            citation 1 "[@b]" keys=b
            quotation Inline in block 0: "a quoted phrase here" cites=[a] words=4
              in sentence "First \"a quoted phrase here\" [@a], then \"another quoted phrase\" and more [@b]."
              text "a quoted phrase here"
            quotation Inline in block 0: "another quoted phrase" cites=[b] words=3
              in sentence "First \"a quoted phrase here\" [@a], then \"another quoted phrase\" and more [@b]."
              text "another quoted phrase"
            quotation Inline in block 0: "no citation of its own at all" cites=[] words=7
              in sentence "A new sentence with \"no citation of its own at all\"."
              text "no citation of its own at all"
        "#]],
    );
}

#[test]
fn block_with_a_single_citation_attributes_it_to_every_quotation() {
    check(
        r#"We cite @only here. Then "a quote in a later sentence" follows."#,
        expect![[r#"
            block 0 Paragraph: "We cite @only here. Then \"a quote in a later sentence\" follows."
              sentence "We cite @only here."
              sentence "Then \"a quote in a later sentence\" follows."
            citation 0 "@only" keys=only
            quotation Inline in block 0: "a quote in a later sentence" cites=[only] words=6
              in sentence "Then \"a quote in a later sentence\" follows."
              text "a quote in a later sentence"
        "#]],
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
        expect![[r#"
            block 0 Paragraph ignored: "A \"silenced quotation here\" [@a]."
              sentence "A \"silenced quotation here\" [@a]."
            block 1 BlockQuote ignored: "> <!-- ibid-ignore -->⏎> A silenced blockquote. [@b]"
              sentence "A silenced blockquote. [@b]"
            block 2 Paragraph ignored: "\"One silenced\" [@c]."
              sentence "\"One silenced\" [@c]."
            block 3 Paragraph ignored: "\"Two silenced\" [@d]."
              sentence "\"Two silenced\" [@d]."
            block 4 Paragraph: "\"Checked again\" [@e]."
              sentence "\"Checked again\" [@e]."
            citation 0 "[@a]" keys=a
            citation 1 "[@b]" keys=b
            citation 2 "[@c]" keys=c
            citation 3 "[@d]" keys=d
            citation 4 "[@e]" keys=e
            quotation Inline in block 0 ignored: "silenced quotation here" cites=[a] words=3
              in sentence "A \"silenced quotation here\" [@a]."
              text "silenced quotation here"
            quotation Block in block 1 ignored: "A silenced blockquote." cites=[b] words=3
              text "A silenced blockquote."
            quotation Inline in block 2 ignored: "One silenced" cites=[c] words=2
              in sentence "\"One silenced\" [@c]."
              text "One silenced"
            quotation Inline in block 3 ignored: "Two silenced" cites=[d] words=2
              in sentence "\"Two silenced\" [@d]."
              text "Two silenced"
            quotation Inline in block 4: "Checked again" cites=[e] words=2
              in sentence "\"Checked again\" [@e]."
              text "Checked again"
        "#]],
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
        expect![[r#"
            frontmatter "---⏎glossary:⏎  Flux capacitor: [capacitor, the flux]⏎  warp drive:⏎    aliases: [warp]⏎aliases:⏎  Flux capacitor: FC⏎---"
            block 0 Definition: "Flux capacitor⏎: The part that makes *time travel* possible.⏎: Also a `device` in films."
              sentence "Flux capacitor⏎: The part that makes *time travel* possible.⏎: Also a `device` in films."
            block 1 Definition: "Warp drive"
              sentence "Warp drive"
            block 2 Definition: ":   Moves a ship faster than light,⏎    in fiction."
              sentence ":   Moves a ship faster than light,⏎    in fiction."
            block 3 Paragraph: "An ordinary paragraph: with a colon."
              sentence "An ordinary paragraph: with a colon."
            term "Flux capacitor" ("Flux capacitor") = "The part that makes *time travel* possible. Also a `device` in films." ("The part that makes *time travel* possible.⏎: Also a `device` in films.") aliases=["capacitor", "the flux", "FC"]
            term "Warp drive" ("Warp drive") = "Moves a ship faster than light, in fiction." ("Moves a ship faster than light,⏎    in fiction.") aliases=["warp"]
        "#]],
    );
}

#[test]
fn crlf_line_endings() {
    check(
        "# Notes [@crlf]\r\n\r\nShe wrote \"a line\r\nbroken in two\" [@a]. Next one.\r\n\r\n> Quoted across\r\n> two lines. [@b]\r\n\r\nTerm\r\n: Meaning.\r\n",
        expect![[r##"
            block 0 Heading(1): "# Notes [@crlf]"
              sentence "Notes [@crlf]"
            block 1 Paragraph: "She wrote \"a line⏎broken in two\" [@a]. Next one."
              sentence "She wrote \"a line⏎broken in two\" [@a]."
              sentence "Next one."
            block 2 BlockQuote: "> Quoted across⏎> two lines. [@b]"
              sentence "Quoted across⏎> two lines. [@b]"
            block 3 Definition: "Term⏎: Meaning."
              sentence "Term⏎: Meaning."
            heading 1 "Notes [@crlf]"
            citation 0 "[@crlf]" keys=crlf
            citation 1 "[@a]" keys=a
            citation 2 "[@b]" keys=b
            quotation Inline in block 1: "a line⏎broken in two" cites=[a] words=5
              in sentence "She wrote \"a line⏎broken in two\" [@a]."
              text "a line broken in two"
            quotation Block in block 2: "Quoted across⏎> two lines." cites=[b] words=4
              text "Quoted across two lines."
            term "Term" ("Term") = "Meaning." ("Meaning.") aliases=[]
        "##]],
    );
}

#[test]
fn cjk_and_emoji() {
    check(
        "他说“这是引用的话。”[@zh] 第二句在这里！🙂 Emoji 🎉 \"quoted words 🚀 here\" [@emoji].\n\n> 引用块的内容。[@block]\n",
        expect![[r#"
            block 0 Paragraph: "他说“这是引用的话。”[@zh] 第二句在这里！🙂 Emoji 🎉 \"quoted words 🚀 here\" [@emoji]."
              sentence "他说“这是引用的话。”[@zh]"
              sentence "第二句在这里！"
              sentence "🙂 Emoji 🎉 \"quoted words 🚀 here\" [@emoji]."
            block 1 BlockQuote: "> 引用块的内容。[@block]"
              sentence "引用块的内容。[@block]"
            citation 0 "[@zh]" keys=zh
            citation 1 "[@emoji]" keys=emoji
            citation 2 "[@block]" keys=block
            quotation Inline in block 0: "这是引用的话。" cites=[zh] words=6
              in sentence "他说“这是引用的话。”[@zh]"
              text "这是引用的话。"
            quotation Inline in block 0: "quoted words 🚀 here" cites=[emoji] words=3
              in sentence "🙂 Emoji 🎉 \"quoted words 🚀 here\" [@emoji]."
              text "quoted words 🚀 here"
            quotation Block in block 1: "引用块的内容。" cites=[block] words=6
              text "引用块的内容。"
        "#]],
    );
}

#[test]
fn heading_with_a_citation() {
    check(
        "## Results from @lee [p. 3] and [@kim]\n\nBody.\n",
        expect![[r###"
            block 0 Heading(2): "## Results from @lee [p. 3] and [@kim]"
              sentence "Results from @lee [p. 3] and [@kim]"
            block 1 Paragraph: "Body."
              sentence "Body."
            heading 2 "Results from @lee [p. 3] and [@kim]"
            citation 0 "@lee [p. 3]" keys=lee
            citation 1 "[@kim]" keys=kim
        "###]],
    );
}

#[test]
fn lists_and_tables_are_blocks() {
    check(
        "- first item \"quoted here\" [@a]\n- second item\n  - nested item\n\n| Claim | Source |\n|---|---|\n| \"a cell quote\" | [@t] |\n",
        expect![[r#"
            block 0 ListItem: "first item \"quoted here\" [@a]"
              sentence "first item \"quoted here\" [@a]"
            block 1 ListItem: "second item"
              sentence "second item"
            block 2 ListItem: "nested item"
              sentence "nested item"
            block 3 Table: "| Claim | Source |⏎|---|---|⏎| \"a cell quote\" | [@t] |"
              sentence "Claim | Source"
              sentence "\"a cell quote\" | [@t]"
            citation 0 "[@a]" keys=a
            citation 1 "[@t]" keys=t
            quotation Inline in block 0: "quoted here" cites=[a] words=2
              in sentence "first item \"quoted here\" [@a]"
              text "quoted here"
            quotation Inline in block 3: "a cell quote" cites=[t] words=3
              in sentence "\"a cell quote\" | [@t]"
              text "a cell quote"
        "#]],
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
/// Every range of a parsed note lies on character boundaries and inside what holds it.
fn assert_consistent(name: &str, text: &str, note: &Note) {
    let valid = |range: &ByteRange| text.get(range.clone()).is_some();
    let mut previous_start = 0;
    for block in &note.blocks {
        assert!(valid(&block.range), "{name}: block {:?}", block.range);
        assert!(
            block.range.start >= previous_start,
            "{name}: blocks out of order"
        );
        previous_start = block.range.start;
        for sentence in &block.sentences {
            assert!(valid(sentence), "{name}: sentence {sentence:?}");
            assert!(block.range.start <= sentence.start && sentence.end <= block.range.end);
        }
    }
    for citation in &note.citations {
        assert!(
            valid(&citation.range),
            "{name}: citation {:?}",
            citation.range
        );
        assert!(
            note.blocks
                .iter()
                .any(|b| b.range.start <= citation.range.start && citation.range.end <= b.range.end),
            "{name}: citation outside every block"
        );
    }
    for quotation in &note.quotations {
        assert!(
            valid(&quotation.range) && valid(&quotation.content),
            "{name}: quotation"
        );
        let block = &note.blocks[quotation.block];
        assert!(
            block.range.start <= quotation.range.start && quotation.range.end <= block.range.end
        );
        assert!(quotation.range.start <= quotation.content.start);
        assert!(quotation.content.end <= quotation.range.end);
        assert!(
            quotation
                .citations
                .iter()
                .all(|&i| i < note.citations.len())
        );
    }
    for entry in &note.glossary {
        assert!(
            valid(&entry.term_range) && valid(&entry.definition_range),
            "{name}: glossary"
        );
    }
}

#[test]
fn parses_the_shared_corpus_files_consistently() {
    let corpus = crate::common::shared_corpus();
    let mut parsed = 0;
    for entry in std::fs::read_dir(&corpus).expect("read the shared corpus") {
        let path = entry.expect("corpus entry").path();
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("md" | "txt")
        ) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read corpus file");
        let note = Note::parse(&text);
        let name = path.display().to_string();
        assert!(!note.blocks.is_empty(), "{name}: no blocks");
        assert_consistent(&name, &text, &note);
        parsed += 1;
    }
    assert!(
        parsed >= 5,
        "expected the five sample articles, parsed {parsed}"
    );
}

proptest::proptest! {
    #[test]
    fn any_text_parses_consistently(
        text in r#"([-#>*_`~:|\[\]()!<@".?;,。 \r\naAzZ1é“”‘’🙂]|\[@key, p\. 5\]|@key|\.\.\.|https://|<!-- ibid-ignore -->|\n---\n|\n: ){0,80}"#
    ) {
        let note = Note::parse(&text);
        assert_consistent("generated", &text, &note);
    }
}

#[test]
fn single_quotes_alone_are_not_quotations_and_a_group_is_one_citation() {
    check(
        "It's a 'scare quote' and the authors' view. Both said \"a shared phrase\" [see @a, p. 2; @b].\n",
        expect![[r#"
            block 0 Paragraph: "It's a 'scare quote' and the authors' view. Both said \"a shared phrase\" [see @a, p. 2; @b]."
              sentence "It's a 'scare quote' and the authors' view."
              sentence "Both said \"a shared phrase\" [see @a, p. 2; @b]."
            citation 0 "[see @a, p. 2; @b]" keys=a;b
            quotation Inline in block 0: "a shared phrase" cites=[a;b] words=3
              in sentence "Both said \"a shared phrase\" [see @a, p. 2; @b]."
              text "a shared phrase"
        "#]],
    );
}

#[test]
fn lookups_of_blocks_sentences_citations_and_terms() {
    let text = "---\nglossary:\n  Widget: [wdg]\n---\n\nWidget\n: A small part.\n\nFirst here. Then \"a quoted bit\" [@a; @b].\n";
    let note = Note::parse(text);
    let at = text.find("quoted").unwrap_or(0);
    let (index, block) = note.block_at(at).expect("a block at the quotation");
    assert_eq!(
        (index, &text[block.range.clone()]),
        (1, "First here. Then \"a quoted bit\" [@a; @b].")
    );
    assert_eq!(
        note.sentence_at(at).map(|r| &text[r]),
        Some("Then \"a quoted bit\" [@a; @b].")
    );
    let quotation = note.quotation_at(at).expect("a quotation");
    let cited: Vec<&str> = note
        .citations_of(quotation)
        .flat_map(|c| c.items.iter().map(|i| i.key.as_str()))
        .collect();
    assert_eq!(cited, vec!["a", "b"]);
    assert_eq!(
        note.glossary_entry("WDG").map(|e| e.definition.as_str()),
        Some("A small part.")
    );
    assert!(note.glossary_entry("gadget").is_none());
}

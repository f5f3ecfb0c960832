//! The feature converters over in-memory fixtures (the core's `queries::fixture`): what each
//! request returns in protocol terms, with CJK and emoji before the cursor so that columns in
//! UTF-16 and UTF-8 differ from chars and bytes.

use std::collections::BTreeSet;
use std::path::Path;

use expect_test::expect;
use serde_json::json;
use tower_lsp_server::ls_types::{
    self as lsp, CodeActionOrCommand, CompletionResponse, CompletionTextEdit,
    DocumentSymbolResponse, GotoDefinitionResponse, HoverContents, Position,
};

use super::code_action::code_actions;
use super::code_lens::{code_lenses, first_location};
use super::completion::completion;
use super::convert::{Converter, KnownPositions, PathMapper, TextPositions};
use super::definition::definition;
use super::diagnostics::{compute, compute_with};
use super::hover::hover;
use super::references::references;
use super::symbols::{document_symbols, workspace_symbols};
use super::worker::{Dirty, Snapshot};
use crate::analysis::Analysis;
use crate::analysis::queries::fixture::{
    Built, Fixture, bib_entry, meta, note_path, range_of, source_path,
};
use crate::text::ColumnEncoding;

const SOURCE: &str =
    "# On levees\n\nThe levee held through the storm of 1987. Then the water fell.\n";

fn workspace() -> Fixture {
    Fixture::new()
        .source_with_meta(
            "smith2020",
            SOURCE,
            meta("On Levees", &["Smith, Jane"], "2020"),
        )
        .source(
            "doe2019",
            "Another text: the water rose too slowly for anyone.\n",
        )
        .bib(bib_entry("smith2020", "On Levees", &["Smith, J."], "2020"))
}

/// The LSP position of `offset` in `text`, computed here without the server's code.
fn position(text: &str, offset: usize, encoding: ColumnEncoding) -> Position {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col: usize = text[line_start..offset]
        .chars()
        .map(|c| match encoding {
            ColumnEncoding::Utf8 => c.len_utf8(),
            ColumnEncoding::Utf16 => c.len_utf16(),
            ColumnEncoding::Utf32 => 1,
        })
        .sum();
    Position::new(line, col as u32)
}

fn range(text: &str, byte_range: std::ops::Range<usize>, encoding: ColumnEncoding) -> lsp::Range {
    lsp::Range::new(
        position(text, byte_range.start, encoding),
        position(text, byte_range.end, encoding),
    )
}

fn uri(path: &Path) -> lsp::Uri {
    lsp::Uri::from_file_path(path).expect("absolute fixture path")
}

/// Runs `f` with a converter over the fixture's analysis.
fn with_converter<T>(
    built: &Built,
    encoding: ColumnEncoding,
    f: impl FnOnce(&mut Converter) -> T,
) -> T {
    let paths = PathMapper::default();
    let mut converter = Converter::new(&built.analysis, encoding, &paths);
    f(&mut converter)
}

/// The cursor as an LSP position in `encoding`.
fn cursor(built: &Built, encoding: ColumnEncoding) -> (std::path::PathBuf, Position) {
    let (path, offset) = built.cursor();
    let text = built.text(&path);
    (path, position(&text, offset, encoding))
}

/// Applies LSP text edits (UTF-16) to `text`, back to front.
fn apply_edits(text: &str, edits: &[lsp::TextEdit]) -> String {
    let positions = TextPositions::new(text.into(), ColumnEncoding::Utf16);
    let mut edits: Vec<(std::ops::Range<usize>, &str)> = edits
        .iter()
        .map(|e| (positions.byte_range(e.range), e.new_text.as_str()))
        .collect();
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut out = text.to_string();
    for (r, new_text) in edits {
        out.replace_range(r, new_text);
    }
    out
}

const NOTE_PREFIX: &str = "# 笔记 😀\n\n中文 😀😀 ";

#[test]
fn hover_range_is_tight_in_both_encodings() {
    for encoding in [ColumnEncoding::Utf16, ColumnEncoding::Utf8] {
        let built = workspace()
            .note(
                "a.md",
                &format!("{NOTE_PREFIX}\"The levee held through\" [@smi$0th2020, p. 2]."),
            )
            .build();
        let (path, pos) = cursor(&built, encoding);
        let text = built.text(&path);
        let hover = with_converter(&built, encoding, |c| hover(c, &path, pos)).expect("hover");
        assert_eq!(
            hover.range,
            Some(range(&text, range_of(&text, "smith2020"), encoding)),
            "{encoding:?}"
        );
        let HoverContents::Markup(content) = hover.contents else {
            panic!("hover is not Markup");
        };
        assert_eq!(content.kind, lsp::MarkupKind::Markdown);
        assert!(content.value.contains("*On Levees*"), "{}", content.value);
    }
}

#[test]
fn definition_of_a_quotation_is_the_exact_source_range() {
    let built = workspace()
        .note(
            "a.md",
            &format!("{NOTE_PREFIX}\"The levee held$0 through the storm\" [@smith2020]."),
        )
        .build();
    let (path, pos) = cursor(&built, ColumnEncoding::Utf16);
    let found = with_converter(&built, ColumnEncoding::Utf16, |c| definition(c, &path, pos));
    let Some(GotoDefinitionResponse::Array(locations)) = found else {
        panic!("no definition: {found:?}");
    };
    let source = source_path("smith2020");
    let expected = range(
        SOURCE,
        range_of(SOURCE, "The levee held through the storm"),
        ColumnEncoding::Utf16,
    );
    assert_eq!(locations, vec![lsp::Location::new(uri(&source), expected)]);
}

#[test]
fn completion_replaces_the_partial_key() {
    let built = workspace()
        .note("a.md", &format!("{NOTE_PREFIX}As shown [@smi$0]."))
        .build();
    let (path, pos) = cursor(&built, ColumnEncoding::Utf16);
    let text = built.text(&path);
    let response = with_converter(&built, ColumnEncoding::Utf16, |c| completion(c, &path, pos));
    let Some(CompletionResponse::Array(items)) = response else {
        panic!("no completion: {response:?}");
    };
    let item = items
        .iter()
        .find(|item| item.label == "smith2020")
        .unwrap_or_else(|| panic!("smith2020 not offered: {items:?}"));
    assert_eq!(item.kind, Some(lsp::CompletionItemKind::REFERENCE));
    let Some(CompletionTextEdit::Edit(edit)) = &item.text_edit else {
        panic!("no text edit");
    };
    assert_eq!(
        edit.range,
        range(
            &text,
            range_of(&text, "smi]").start..range_of(&text, "]").start,
            ColumnEncoding::Utf16
        )
    );
    assert_eq!(
        apply_edits(&text, std::slice::from_ref(edit)),
        format!("{NOTE_PREFIX}As shown [@smith2020].")
    );
}

#[test]
fn diagnostics_carry_code_source_related_locations_and_fix_data() {
    let built = workspace()
        .note(
            "a.md",
            &format!("{NOTE_PREFIX}\"the water rose too slowly\" [@smith2020]."),
        )
        .build();
    let path = note_path("a.md");
    let snapshot = Snapshot {
        revision: 1,
        analysis: Some(built.analysis.clone()),
        loaded: true,
        ..Snapshot::default()
    };
    let files = compute(
        &snapshot,
        &Dirty::Everything,
        &BTreeSet::new(),
        ColumnEncoding::Utf16,
        &PathMapper::default(),
    );
    let file = files
        .iter()
        .find(|f| f.path == path)
        .expect("the note's diagnostics");
    assert_eq!(file.uri, uri(&path));
    assert_eq!(file.version, None, "not open");
    let diagnostic = file
        .diagnostics
        .iter()
        .find(|d| d.code == Some(lsp::NumberOrString::String("quote-misattributed".into())))
        .unwrap_or_else(|| panic!("no quote-misattributed: {:#?}", file.diagnostics));
    assert_eq!(diagnostic.source.as_deref(), Some("ibid"));
    assert_eq!(diagnostic.severity, Some(lsp::DiagnosticSeverity::ERROR));
    let text = built.text(&path);
    let quote = range_of(&text, "the water rose too slowly");
    assert!(
        diagnostic.range.start <= position(&text, quote.start, ColumnEncoding::Utf16)
            && position(&text, quote.end, ColumnEncoding::Utf16) <= diagnostic.range.end,
        "{:?}",
        diagnostic.range
    );
    let related = diagnostic
        .related_information
        .as_ref()
        .expect("related information");
    let doe = source_path("doe2019");
    let doe_text = built.text(&doe);
    assert!(
        related.iter().any(|r| r.location
            == lsp::Location::new(
                uri(&doe),
                range(
                    &doe_text,
                    range_of(&doe_text, "the water rose too slowly"),
                    ColumnEncoding::Utf16
                )
            )),
        "{related:#?}"
    );
    let data = diagnostic.data.as_ref().expect("fix data");
    assert_eq!(data["fix"], "change-citation");
    assert_eq!(data["key"], "doe2019");
}

/// Republishing (after a keystroke) takes the ranges an earlier round converted in a source
/// that is still the same one, in the same encoding; a source loaded again is converted again.
#[test]
fn republished_diagnostics_reuse_ranges_converted_in_unchanged_sources() {
    let fixture = || {
        workspace().note(
            "a.md",
            &format!("{NOTE_PREFIX}\"the water rose too slowly\" [@smith2020]."),
        )
    };
    let built = fixture().build();
    let snapshot_of = |built: &Built| Snapshot {
        revision: 1,
        analysis: Some(built.analysis.clone()),
        loaded: true,
        ..Snapshot::default()
    };
    let publish = |built: &Built, encoding, known| {
        compute_with(
            &snapshot_of(built),
            &Dirty::Everything,
            &BTreeSet::new(),
            encoding,
            &PathMapper::default(),
            known,
        )
    };
    let related_in_doe = |files: &[super::diagnostics::FileDiagnostics]| -> Vec<lsp::Range> {
        let doe = uri(&source_path("doe2019"));
        files
            .iter()
            .flat_map(|f| &f.diagnostics)
            .flat_map(|d| d.related_information.iter().flatten())
            .filter(|r| r.location.uri == doe)
            .map(|r| r.location.range)
            .collect()
    };
    let utf16 = ColumnEncoding::Utf16;
    let (first, known) = publish(&built, utf16, KnownPositions::default());
    let converted = related_in_doe(&first);
    assert!(!converted.is_empty() && converted.iter().all(|r| *r != lsp::Range::default()));
    assert!(known.ranges_in(&source_path("doe2019")) > 0);
    // The same sources: the known ranges are taken as they are (blanked here to show it).
    let (again, kept) = publish(&built, utf16, known.blanked());
    assert!(
        related_in_doe(&again)
            .iter()
            .all(|r| *r == lsp::Range::default())
    );
    // Another encoding, or the sources loaded again: converted afresh.
    let (utf8, _) = publish(&built, ColumnEncoding::Utf8, kept.blanked());
    assert_eq!(related_in_doe(&utf8), converted);
    let (_, known) = publish(&built, utf16, KnownPositions::default());
    let (reloaded, _) = publish(&fixture().build(), utf16, known.blanked());
    assert_eq!(related_in_doe(&reloaded), converted);
}

#[test]
fn code_action_edits_the_citation() {
    let built = workspace()
        .note(
            "a.md",
            &format!("{NOTE_PREFIX}\"the water rose$0 too slowly\" [@smith2020]."),
        )
        .build();
    let (path, pos) = cursor(&built, ColumnEncoding::Utf16);
    let text = built.text(&path);
    let actions = with_converter(&built, ColumnEncoding::Utf16, |c| {
        code_actions(c, &path, lsp::Range::new(pos, pos), &[])
    });
    let [CodeActionOrCommand::CodeAction(action)] = actions.as_slice() else {
        panic!("expected one code action: {actions:#?}");
    };
    assert_eq!(action.title, "Cite @doe2019 instead");
    assert_eq!(action.kind, Some(lsp::CodeActionKind::QUICKFIX));
    assert_eq!(action.is_preferred, Some(true));
    let fixed = action.diagnostics.as_ref().expect("the fixed diagnostic");
    assert_eq!(
        fixed[0].code,
        Some(lsp::NumberOrString::String("quote-misattributed".into()))
    );
    let changes = action
        .edit
        .as_ref()
        .and_then(|e| e.changes.as_ref())
        .expect("workspace edit");
    let edits = changes.get(&uri(&path)).expect("edits in the note");
    assert_eq!(
        apply_edits(&text, edits),
        format!("{NOTE_PREFIX}\"the water rose too slowly\" [@doe2019].")
    );
    // Nothing to fix on the heading.
    let none = with_converter(&built, ColumnEncoding::Utf16, |c| {
        code_actions(
            c,
            &path,
            lsp::Range::new(Position::new(0, 0), Position::new(0, 1)),
            &[],
        )
    });
    assert!(none.is_empty(), "{none:#?}");
}

/// Neovim asks at the cursor (here the start of the line, outside the quotation) and names the
/// line's diagnostics in the context: their fixes are offered.
#[test]
fn code_action_for_the_diagnostics_in_the_context() {
    let built = workspace()
        .note(
            "a.md",
            &format!("{NOTE_PREFIX}$0She said \"the water rose too slowly\" [@smith2020]."),
        )
        .build();
    let (path, pos) = cursor(&built, ColumnEncoding::Utf16);
    let at_cursor = lsp::Range::new(pos, pos);
    let (without, with) = with_converter(&built, ColumnEncoding::Utf16, |c| {
        let context: Vec<lsp::Diagnostic> = built
            .analysis
            .diagnostics(&path)
            .iter()
            .filter_map(|d| c.diagnostic(d))
            .collect();
        assert_eq!(context.len(), 1, "{context:#?}");
        (
            code_actions(c, &path, at_cursor, &[]),
            code_actions(c, &path, at_cursor, &context),
        )
    });
    assert!(without.is_empty(), "{without:#?}");
    let titles: Vec<&str> = with
        .iter()
        .filter_map(|a| match a {
            CodeActionOrCommand::CodeAction(action) => Some(action.title.as_str()),
            CodeActionOrCommand::Command(_) => None,
        })
        .collect();
    assert_eq!(titles, ["Cite @doe2019 instead"]);
}

#[test]
fn references_of_a_key_in_every_note() {
    let built = workspace()
        .note("a.md", &format!("{NOTE_PREFIX}A claim [@smith2020$0]."))
        .note("b.md", "Another [@smith2020, p. 1] and [@doe2019].")
        .build();
    let (path, pos) = cursor(&built, ColumnEncoding::Utf16);
    let found = with_converter(&built, ColumnEncoding::Utf16, |c| references(c, &path, pos));
    let b = note_path("b.md");
    let b_text = built.text(&b);
    let a_text = built.text(&path);
    let key_range = |text: &str| {
        let at = range_of(text, "smith2020");
        range(text, at, ColumnEncoding::Utf16)
    };
    assert!(
        found.contains(&lsp::Location::new(uri(&b), key_range(&b_text))),
        "{found:#?}"
    );
    assert!(
        found.contains(&lsp::Location::new(uri(&path), key_range(&a_text))),
        "{found:#?}"
    );
    assert_eq!(found.len(), 2, "{found:#?}");
}

#[test]
fn document_symbols_nest_under_headings() {
    let built = workspace()
        .note(
            "a.md",
            "# Top 😀\n\n## Part\n\n\"The levee held through\" [@smith2020].\n\n## Other\n\nText.\n",
        )
        .build();
    let path = note_path("a.md");
    let response = with_converter(&built, ColumnEncoding::Utf16, |c| {
        document_symbols(c, &path)
    });
    let Some(DocumentSymbolResponse::Nested(symbols)) = response else {
        panic!("no symbols");
    };
    fn outline(symbols: &[lsp::DocumentSymbol], depth: usize, out: &mut String) {
        for symbol in symbols {
            out.push_str(&format!(
                "{}{} {:?} {}:{}\n",
                "  ".repeat(depth),
                symbol.name,
                symbol.kind,
                symbol.selection_range.start.line,
                symbol.selection_range.start.character
            ));
            outline(
                symbol.children.as_deref().unwrap_or_default(),
                depth + 1,
                out,
            );
        }
    }
    let mut out = String::new();
    outline(&symbols, 0, &mut out);
    expect![[r#"
        Top 😀 Namespace 0:2
          Part Namespace 2:3
            “The levee held through” String 4:1
          Other Namespace 6:3
    "#]]
    .assert_eq(&out);
}

#[test]
fn workspace_symbols_find_sources() {
    let built = workspace().build();
    let response = with_converter(&built, ColumnEncoding::Utf16, |c| {
        workspace_symbols(c, "smith")
    });
    let lsp::WorkspaceSymbolResponse::Nested(symbols) = response else {
        panic!("flat symbols");
    };
    let names: Vec<&str> = symbols.iter().map(|s| s.name.as_str()).collect();
    assert!(names.iter().any(|n| n.contains("smith2020")), "{names:?}");
}

#[test]
fn code_lens_counts_quoting_notes() {
    let built = workspace()
        .note("a.md", "\"The levee held through the storm\" [@smith2020].")
        .note(
            "b.md",
            "Again: \"The levee held through the storm\" [@smith2020, p. 1].",
        )
        .build();
    let source = source_path("smith2020");
    let lenses = with_converter(&built, ColumnEncoding::Utf16, |c| code_lenses(c, &source));
    assert!(!lenses.is_empty());
    let command = lenses[0].command.as_ref().expect("a command");
    assert_eq!(command.command, "ibid.showQuotations");
    assert_eq!(command.title, "quoted in 2 notes");
    assert_eq!(
        lenses[0].range.start,
        position(
            SOURCE,
            range_of(SOURCE, "The levee").start,
            ColumnEncoding::Utf16
        )
    );
    let arguments = command.arguments.as_deref().unwrap_or_default();
    assert_eq!(arguments[0], json!(uri(&source)));
    let first = first_location(arguments).expect("a location to show");
    assert!(
        [uri(&note_path("a.md")), uri(&note_path("b.md"))].contains(&first.uri),
        "{first:?}"
    );
}

#[test]
fn unknown_files_and_far_positions_are_empty() {
    let built = workspace().note("a.md", "Short.").build();
    let nowhere = Path::new("/ws/notes/missing.md");
    let far = Position::new(999, 999);
    let a = note_path("a.md");
    with_converter(&built, ColumnEncoding::Utf16, |c: &mut Converter| {
        assert!(hover(c, nowhere, far).is_none());
        assert!(definition(c, nowhere, far).is_none());
        assert!(references(c, nowhere, far).is_empty());
        assert!(completion(c, nowhere, far).is_none());
        assert!(document_symbols(c, nowhere).is_none());
        assert!(code_lenses(c, nowhere).is_empty());
        assert!(hover(c, &a, far).is_none());
        assert!(completion(c, &a, far).is_none());
    });
    let _: &Analysis = &built.analysis;
}

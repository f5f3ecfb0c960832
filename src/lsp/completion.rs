//! `textDocument/completion`: citation keys after `@`, each with authors and title as detail and
//! the bibliography entry as Markdown documentation; the edit replaces the partial key typed.

use std::path::Path;

use tower_lsp_server::ls_types::{
    self as lsp, CompletionItem, CompletionItemKind, CompletionResponse, CompletionTextEdit,
    Documentation, MarkupContent, MarkupKind, TextEdit,
};

use super::convert::Converter;

/// Characters that make the client ask for completions.
pub const TRIGGER_CHARACTERS: &[&str] = &["@"];

pub fn completion(
    converter: &mut Converter,
    path: &Path,
    position: lsp::Position,
) -> Option<CompletionResponse> {
    let file = converter.file(path)?;
    let offset = file.offset(position);
    let items: Vec<CompletionItem> = converter
        .analysis
        .completion(path, offset)
        .into_iter()
        .map(|completion| CompletionItem {
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                file.range(&completion.replace),
                completion.label.clone(),
            ))),
            filter_text: Some(completion.label.clone()),
            label: completion.label,
            kind: Some(CompletionItemKind::REFERENCE),
            detail: (!completion.detail.is_empty()).then_some(completion.detail),
            documentation: (!completion.documentation.is_empty()).then_some(
                Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: completion.documentation,
                }),
            ),
            ..CompletionItem::default()
        })
        .collect();
    (!items.is_empty()).then_some(CompletionResponse::Array(items))
}

//! `textDocument/hover`: the core's Markdown hover (term, citation, quotation; in a source, the
//! notes quoting the passage) with its tight range.

use std::path::Path;

use tower_lsp_server::ls_types::{self as lsp, HoverContents, MarkupContent, MarkupKind};

use super::convert::Converter;
use crate::analysis::Analysis;

pub fn hover(
    converter: &mut Converter,
    path: &Path,
    position: lsp::Position,
) -> Option<lsp::Hover> {
    hover_with(converter, path, position, Analysis::hover)
}

/// `hover` on a citation key, a glossary term, a quotation or a claim only
/// (`Analysis::early_hover`): answered before the terms are mined.
pub fn early_hover(
    converter: &mut Converter,
    path: &Path,
    position: lsp::Position,
) -> Option<lsp::Hover> {
    hover_with(converter, path, position, Analysis::early_hover)
}

fn hover_with(
    converter: &mut Converter,
    path: &Path,
    position: lsp::Position,
    hover_at: fn(&Analysis, &Path, usize) -> Option<crate::analysis::Hover>,
) -> Option<lsp::Hover> {
    let file = converter.file(path)?;
    let offset = file.offset(position);
    let hover = hover_at(converter.analysis, path, offset)?;
    Some(lsp::Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: hover.markdown,
        }),
        range: Some(file.range(&hover.range)),
    })
}

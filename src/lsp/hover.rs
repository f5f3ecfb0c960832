//! `textDocument/hover`: the core's Markdown hover (term, citation, quotation; in a source, the
//! notes quoting the passage) with its tight range.

use std::path::Path;

use tower_lsp_server::ls_types::{self as lsp, HoverContents, MarkupContent, MarkupKind};

use super::convert::Converter;

pub fn hover(
    converter: &mut Converter,
    path: &Path,
    position: lsp::Position,
) -> Option<lsp::Hover> {
    let file = converter.file(path)?;
    let offset = file.offset(position);
    let hover = converter.analysis.hover(path, offset)?;
    Some(lsp::Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: hover.markdown,
        }),
        range: Some(file.range(&hover.range)),
    })
}

//! `textDocument/definition`: from a quotation to the exact source range it matches, from a
//! citation key to its source, from a term to where it is defined.

use std::path::Path;

use tower_lsp_server::ls_types::{self as lsp, GotoDefinitionResponse};

use super::convert::Converter;

pub fn definition(
    converter: &mut Converter,
    path: &Path,
    position: lsp::Position,
) -> Option<GotoDefinitionResponse> {
    let offset = converter.file(path)?.offset(position);
    let locations: Vec<lsp::Location> = converter
        .analysis
        .definition(path, offset)
        .iter()
        .filter_map(|location| converter.location(&location.path, &location.range))
        .collect();
    (!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations))
}

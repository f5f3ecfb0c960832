//! `textDocument/references`: every citation of a key, every use of a term; in a source, the
//! quotations matching the passage under the cursor.

use std::path::Path;

use tower_lsp_server::ls_types as lsp;

use super::convert::Converter;

pub fn references(
    converter: &mut Converter,
    path: &Path,
    position: lsp::Position,
) -> Vec<lsp::Location> {
    let Some(file) = converter.file(path) else {
        return Vec::new();
    };
    let offset = file.offset(position);
    converter
        .analysis
        .references(path, offset)
        .iter()
        .filter_map(|location| converter.location(&location.path, &location.range))
        .collect()
}

//! `textDocument/codeLens` on source files: above each passage that notes quote, "quoted in N
//! notes". The lens's command `ibid.showQuotations` carries the quoting locations; the server
//! executes it itself by asking the client to show the first quoting note
//! (`window/showDocument`), and editors' extensions may map it to their references view.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;
use tower_lsp_server::ls_types::{self as lsp, CodeLens, Command};

use super::convert::Converter;

/// The command a lens runs.
pub const SHOW_QUOTATIONS: &str = "ibid.showQuotations";

pub fn code_lenses(converter: &mut Converter, path: &Path) -> Vec<CodeLens> {
    let Some(file) = converter.file(path) else {
        return Vec::new();
    };
    let Some(uri) = converter.uri(path) else {
        return Vec::new();
    };
    let passages = converter.analysis.quoted_passages(path);
    let mut lenses = Vec::new();
    for passage in passages {
        let notes: BTreeSet<&Path> = passage
            .quoted_by
            .iter()
            .map(|location| location.path.as_path())
            .collect();
        let locations: Vec<lsp::Location> = passage
            .quoted_by
            .iter()
            .filter_map(|location| converter.location(&location.path, &location.range))
            .collect();
        let range = file.range(&passage.range);
        let title = match notes.len() {
            1 => "quoted in 1 note".to_string(),
            n => format!("quoted in {n} notes"),
        };
        lenses.push(CodeLens {
            range,
            command: Some(Command {
                title,
                command: SHOW_QUOTATIONS.to_string(),
                arguments: Some(vec![json!(uri), json!(range.start), json!(locations)]),
            }),
            data: None,
        });
    }
    lenses
}

/// The location to show for `ibid.showQuotations` arguments (the first quoting location).
pub fn first_location(arguments: &[serde_json::Value]) -> Option<lsp::Location> {
    let locations: Vec<lsp::Location> = serde_json::from_value(arguments.get(2)?.clone()).ok()?;
    locations.into_iter().next()
}

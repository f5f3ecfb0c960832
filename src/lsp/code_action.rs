//! `textDocument/codeAction`: the core's quick fixes for the diagnostics under the range, or
//! named in the request's context (Neovim asks with the cursor's column and the line's
//! diagnostics), as workspace edits (each edit's range converted in its own file), each naming the
//! diagnostic it fixes.

use std::collections::HashMap;
use std::path::Path;

use tower_lsp_server::ls_types::{
    self as lsp, CodeAction, CodeActionKind, CodeActionOrCommand, TextEdit, Uri, WorkspaceEdit,
};

use super::convert::Converter;

pub fn code_actions(
    converter: &mut Converter,
    path: &Path,
    range: lsp::Range,
    context: &[lsp::Diagnostic],
) -> Vec<CodeActionOrCommand> {
    let Some(file) = converter.file(path) else {
        return Vec::new();
    };
    let mut ranges = vec![file.byte_range(range)];
    ranges.extend(
        context
            .iter()
            .filter(|diagnostic| diagnostic.source.as_deref() == Some("ibid"))
            .map(|diagnostic| file.byte_range(diagnostic.range)),
    );
    let analysis = converter.analysis;
    let diagnostics = analysis.diagnostics(path);
    let mut fixes: Vec<crate::analysis::Fix> = Vec::new();
    for range in ranges {
        for fix in analysis.fixes(path, range) {
            if !fixes
                .iter()
                .any(|f| f.diagnostic == fix.diagnostic && f.title == fix.title)
            {
                fixes.push(fix);
            }
        }
    }
    fixes.sort_by_key(|fix| fix.diagnostic);
    let mut actions = Vec::new();
    let mut preferred_given: Vec<usize> = Vec::new();
    for fix in fixes {
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        let mut complete = true;
        for edit in &fix.edits {
            match (
                converter.uri(&edit.path),
                converter.range(&edit.path, &edit.range),
            ) {
                (Some(uri), Some(range)) => changes
                    .entry(uri)
                    .or_default()
                    .push(TextEdit::new(range, edit.new_text.clone())),
                _ => complete = false,
            }
        }
        if !complete || changes.is_empty() {
            tracing::warn!(
                title = fix.title,
                "a fix names a file that cannot be converted"
            );
            continue;
        }
        // The first fix of each diagnostic is the preferred one.
        let is_preferred = !preferred_given.contains(&fix.diagnostic);
        preferred_given.push(fix.diagnostic);
        let fixed = diagnostics
            .get(fix.diagnostic)
            .and_then(|diagnostic| converter.diagnostic(diagnostic));
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: fix.title,
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: fixed.map(|diagnostic| vec![diagnostic]),
            edit: Some(WorkspaceEdit {
                changes: Some(changes),
                ..WorkspaceEdit::default()
            }),
            is_preferred: Some(is_preferred),
            ..CodeAction::default()
        }));
    }
    actions
}

//! `textDocument/documentSymbol` (headings, glossary terms, quotations, nested by containment)
//! and `workspace/symbol` (sources and terms).

use std::ops::Range;
use std::path::Path;

use tower_lsp_server::ls_types::{
    self as lsp, DocumentSymbol, DocumentSymbolResponse, OneOf, WorkspaceSymbol,
    WorkspaceSymbolResponse,
};

use super::convert::Converter;
use crate::analysis::SymbolKind;

fn kind(kind: SymbolKind) -> lsp::SymbolKind {
    match kind {
        SymbolKind::Heading => lsp::SymbolKind::NAMESPACE,
        SymbolKind::Term => lsp::SymbolKind::KEY,
        SymbolKind::Quotation => lsp::SymbolKind::STRING,
        SymbolKind::Source => lsp::SymbolKind::FILE,
    }
}

/// A symbol being nested, with its byte range.
struct Node {
    range: Range<usize>,
    symbol: DocumentSymbol,
    children: Vec<Node>,
}

impl Node {
    fn into_symbol(self) -> DocumentSymbol {
        let mut symbol = self.symbol;
        if !self.children.is_empty() {
            symbol.children = Some(self.children.into_iter().map(Node::into_symbol).collect());
        }
        symbol
    }
}

/// Inserts `node` under the last node (at any depth) whose range strictly contains it.
fn insert_nested(siblings: &mut Vec<Node>, node: Node) {
    if let Some(last) = siblings.last_mut()
        && last.range.start <= node.range.start
        && node.range.end <= last.range.end
        && last.range != node.range
    {
        insert_nested(&mut last.children, node);
        return;
    }
    siblings.push(node);
}

pub fn document_symbols(converter: &mut Converter, path: &Path) -> Option<DocumentSymbolResponse> {
    let file = converter.file(path)?;
    let mut symbols = converter.analysis.document_symbols(path);
    // Outer symbols first, so that containment can nest them.
    symbols.sort_by_key(|s| {
        (
            s.location.range.start,
            std::cmp::Reverse(s.location.range.end),
        )
    });
    let mut roots: Vec<Node> = Vec::new();
    for symbol in symbols {
        let range = symbol.location.range.clone();
        // The protocol requires the selection inside the range.
        let selection =
            if symbol.selection.start >= range.start && symbol.selection.end <= range.end {
                symbol.selection.clone()
            } else {
                range.clone()
            };
        #[allow(deprecated)]
        let converted = DocumentSymbol {
            name: non_empty(symbol.name),
            detail: symbol.detail,
            kind: kind(symbol.kind),
            tags: None,
            deprecated: None,
            range: file.range(&range),
            selection_range: file.range(&selection),
            children: None,
        };
        insert_nested(
            &mut roots,
            Node {
                range,
                symbol: converted,
                children: Vec::new(),
            },
        );
    }
    Some(DocumentSymbolResponse::Nested(
        roots.into_iter().map(Node::into_symbol).collect(),
    ))
}

pub fn workspace_symbols(converter: &mut Converter, query: &str) -> WorkspaceSymbolResponse {
    let symbols = converter.analysis.workspace_symbols(query);
    let converted = symbols
        .into_iter()
        .filter_map(|symbol| {
            let location = converter.location(&symbol.location.path, &symbol.selection)?;
            Some(WorkspaceSymbol {
                name: non_empty(symbol.name),
                kind: kind(symbol.kind),
                tags: None,
                container_name: symbol.detail,
                location: OneOf::Left(location),
                data: None,
            })
        })
        .collect();
    WorkspaceSymbolResponse::Nested(converted)
}

/// Clients reject symbols with empty names.
fn non_empty(name: String) -> String {
    if name.trim().is_empty() {
        "(untitled)".to_string()
    } else {
        name
    }
}

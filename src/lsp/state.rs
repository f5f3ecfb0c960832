//! The server's state outside the analysis: the open documents (ropes with versions, changed
//! strictly in arrival order under a plain mutex never held across an await) and the session
//! negotiated at `initialize` (position encoding, workspace root, client capabilities, settings).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ropey::Rope;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use super::convert::{PathMapper, apply_content_change};
use crate::text::ColumnEncoding;
use crate::workspace::Config;

/// One open document.
#[derive(Debug, Clone)]
pub struct Document {
    pub uri: Uri,
    /// The file it names, canonical (`None` for non-file URIs).
    pub path: Option<PathBuf>,
    pub version: i32,
    pub rope: Rope,
}

/// The open documents, by URI.
#[derive(Debug, Default)]
pub struct Documents {
    by_uri: HashMap<Uri, Document>,
}

/// What a `didChange` did, for the caller to pass on to the analysis.
#[derive(Debug)]
pub struct Changed {
    pub path: Option<PathBuf>,
    pub version: i32,
    pub text: Arc<str>,
}

impl Documents {
    pub fn open(&mut self, uri: Uri, path: Option<PathBuf>, version: i32, text: &str) {
        let document = Document {
            uri: uri.clone(),
            path,
            version,
            rope: Rope::from_str(text),
        };
        self.by_uri.insert(uri, document);
    }

    /// Applies the changes in order. Unknown documents are ignored (`None`); a version that does
    /// not increase is logged and applied anyway (the client's order is the truth).
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: &[TextDocumentContentChangeEvent],
        encoding: ColumnEncoding,
    ) -> Option<Changed> {
        let Some(document) = self.by_uri.get_mut(uri) else {
            tracing::warn!(
                uri = uri.as_str(),
                "didChange for a document that is not open"
            );
            return None;
        };
        if version <= document.version {
            tracing::warn!(
                uri = uri.as_str(),
                old = document.version,
                new = version,
                "document version did not increase"
            );
        }
        for change in changes {
            apply_content_change(&mut document.rope, change.range, &change.text, encoding);
        }
        document.version = version;
        Some(Changed {
            path: document.path.clone(),
            version,
            text: Arc::from(document.rope.to_string()),
        })
    }

    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
        self.by_uri.remove(uri)
    }

    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.by_uri.get(uri)
    }

    /// The open document of a file, if any.
    pub fn by_path(&self, path: &Path) -> Option<&Document> {
        self.by_uri
            .values()
            .find(|document| document.path.as_deref() == Some(path))
    }

    pub fn is_open(&self, path: &Path) -> bool {
        self.by_path(path).is_some()
    }

    /// Every open file document: path, version, text.
    pub fn open_files(&self) -> Vec<(PathBuf, i32, Arc<str>)> {
        self.by_uri
            .values()
            .filter_map(|document| {
                let path = document.path.clone()?;
                Some((path, document.version, Arc::from(document.rope.to_string())))
            })
            .collect()
    }
}

/// What `initialize` settled, plus the settings overlay.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub encoding: ColumnEncoding,
    pub paths: PathMapper,
    /// The client creates progress tokens on request (`window/workDoneProgress/create`).
    pub work_done_progress: bool,
    /// The client lets the server register file watchers.
    pub watch_files_dynamically: bool,
    /// Settings from the editor (`initializationOptions`, `workspace/didChangeConfiguration`).
    pub overlay: Option<Config>,
    pub initialized: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    fn uri() -> Uri {
        "file:///tmp/note.md".parse().unwrap()
    }

    #[test]
    fn changes_apply_in_order_and_update_the_version() {
        let mut documents = Documents::default();
        documents.open(uri(), None, 1, "hello\nworld");
        let changes = [
            TextDocumentContentChangeEvent {
                range: Some(Range::new(Position::new(1, 0), Position::new(1, 5))),
                range_length: None,
                text: "there".into(),
            },
            TextDocumentContentChangeEvent {
                range: Some(Range::new(Position::new(0, 5), Position::new(0, 5))),
                range_length: None,
                text: ",".into(),
            },
        ];
        let changed = documents
            .change(&uri(), 2, &changes, ColumnEncoding::Utf16)
            .unwrap();
        assert_eq!(&*changed.text, "hello,\nthere");
        assert_eq!(documents.get(&uri()).unwrap().version, 2);
        let unknown: Uri = "file:///tmp/other.md".parse().unwrap();
        assert!(
            documents
                .change(&unknown, 2, &changes, ColumnEncoding::Utf16)
                .is_none()
        );
    }
}

//! The workspace: its root, `ibid.toml`, which files are sources and which are notes, and the
//! bibliography. Reads configuration and bibliography files and lists directories; reads no source
//! or note text (that is `corpus` and `notes`).

pub mod bibliography;
pub mod config;
pub mod discover;
pub mod frontmatter;

use std::path::{Path, PathBuf};

pub use bibliography::BibEntry;
pub use config::{CacheSetting, CheckSettings, Config, SeveritySetting};

use crate::diagnostic::Diagnostic;

/// A loaded workspace: configuration, the files found, the bibliography, and the problems met
/// on the way (duplicate bibliography keys, entries whose file is missing...), none of them fatal.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Absolute, canonical root folder.
    pub root: PathBuf,
    pub config: Config,
    /// `ibid.toml`, when the workspace has one.
    pub config_path: Option<PathBuf>,
    /// Source files (`.md`, `.txt`), absolute paths, sorted.
    pub sources: Vec<PathBuf>,
    /// Notes files (`.md`), absolute paths, sorted.
    pub notes: Vec<PathBuf>,
    /// Every entry of every bibliography file, in file order.
    pub bibliography: std::sync::Arc<[BibEntry]>,
    pub problems: Vec<Diagnostic>,
}

/// Why a workspace cannot be read at all (`ibid check` exits 2 with this message).
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

impl Workspace {
    /// Loads the workspace rooted at `root`, with `ibid.toml` if present.
    pub fn load(root: &Path) -> Result<Workspace, WorkspaceError> {
        Self::load_with(root, None)
    }

    /// Like `load`, with settings from the editor (`overlay`); a value set in `ibid.toml` wins
    /// over the overlay's.
    pub fn load_with(root: &Path, overlay: Option<&Config>) -> Result<Workspace, WorkspaceError> {
        discover::load_workspace(root, overlay)
    }

    /// A path relative to the root, for display (falls back to the path itself).
    pub fn relative<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }
}

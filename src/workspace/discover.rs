//! Finding the workspace's files: globs from `ibid.toml`, else the default layout (sources under
//! `corpus/` or `sources/`, notes are the other `.md` files).

use std::path::Path;

use super::{Config, Workspace, WorkspaceError};

pub(crate) fn load_workspace(
    root: &Path,
    overlay: Option<&Config>,
) -> Result<Workspace, WorkspaceError> {
    let _ = (root, overlay);
    todo!("workspace helper")
}

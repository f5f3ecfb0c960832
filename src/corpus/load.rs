//! Reading source files: lossy UTF-8 with a warning, binary files skipped with a warning, key and
//! metadata assignment, duplicate keys reported.

use super::Corpus;
use crate::diagnostic::Diagnostic;
use crate::workspace::Workspace;

pub(crate) fn load_corpus(workspace: &Workspace) -> (Corpus, Vec<Diagnostic>) {
    let _ = workspace;
    todo!("corpus helper")
}

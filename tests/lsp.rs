//! Integration tests: lsp. The protocol shell driven as a client would drive it: in process over
//! an in-memory pipe (`harness::in_process`), and through the real binary (`ibid lsp`).
//!
//! The `#[path]`s keep this file compiling both as a module of `tests/main.rs` and on its own.

#[path = "lsp/binary.rs"]
mod binary;
#[path = "lsp/edit_properties.rs"]
mod edit_properties;
#[path = "lsp/features.rs"]
mod features;
#[path = "lsp/harness.rs"]
mod harness;
#[path = "lsp/misuse.rs"]
mod misuse;
#[path = "lsp/protocol.rs"]
mod protocol;
#[path = "lsp/sample_corpus.rs"]
mod sample_corpus;

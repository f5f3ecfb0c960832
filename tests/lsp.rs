//! Integration tests: lsp. The protocol shell driven as a client would drive it: in process over
//! an in-memory pipe (`harness::in_process`), and through the real binary (`ibid lsp`).

mod binary;
mod harness;
mod protocol;

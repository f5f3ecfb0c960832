//! Integration tests, compiled into one binary; one module per area.

mod common;

mod cache;
mod check;
mod claims;
mod corpus;
mod formats;
mod lsp;
mod matcher;
mod notes;
mod reliability;
mod terms;
mod workspace;

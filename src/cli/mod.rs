//! The command line: `ibid check`, `ibid lsp`. Parses arguments, runs the analysis, prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

pub fn main() -> ExitCode {
    todo!("lead")
}

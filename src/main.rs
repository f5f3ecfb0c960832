//! The `ibid` binary: parses the command line and hands over to `cli` or `lsp`.
fn main() -> std::process::ExitCode {
    ibid::cli::main()
}

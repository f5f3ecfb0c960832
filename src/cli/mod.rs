//! The command line: `ibid check` (diagnostics in the terminal and in CI) and `ibid lsp` (the
//! language server over stdio). Parses arguments, runs the analysis, prints; nothing else.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bib;
mod check;
mod github;
mod human;
mod json;
mod sarif;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Checks that Markdown notes quote and cite their sources faithfully.
#[derive(Debug, Parser)]
#[command(name = "ibid", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the notes of a workspace (or the given notes) against the sources.
    Check(CheckArgs),
    /// Print the workspace's works (sources and bibliography entries) as CSL JSON, for
    /// `pandoc --citeproc --bibliography`.
    Bib {
        /// The workspace root.
        #[arg(default_value = ".")]
        root: PathBuf,
    },
    /// Run the language server over stdio.
    Lsp {
        /// Write logs to this file instead of stderr (never to stdout: stdout is the protocol).
        #[arg(long)]
        log_file: Option<PathBuf>,
        /// Accepted for clients that pass it (vscode-languageclient does): stdio is the only
        /// transport.
        #[arg(long)]
        stdio: bool,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The workspace root, or notes files inside a workspace.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Neither read nor write the on-disk cache of the corpus (`.ibid/`, or `IBID_CACHE_DIR`).
    #[arg(long)]
    no_cache: bool,
    /// Let `ibid.toml` globs, bibliography paths and cache folder point outside the workspace
    /// root (refused otherwise; `IBID_ALLOW_OUTSIDE_ROOT=1` does the same).
    #[arg(long)]
    allow_outside_root: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for code-scanning uploads.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => {
            init_logging(None);
            check::run(&args)
        }
        Command::Bib { root } => {
            init_logging(None);
            check::bib(&root)
        }
        Command::Lsp { log_file, stdio: _ } => {
            init_logging(log_file.as_deref());
            match crate::lsp::run_stdio() {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("ibid lsp: {error:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// Logs go to stderr (and to `log_file` when given), filtered by `RUST_LOG` (default: warnings).
fn init_logging(log_file: Option<&std::path::Path>) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let file = log_file.and_then(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| eprintln!("ibid: cannot open log file {}: {e}", path.display()))
            .ok()
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match file {
        Some(file) => builder
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init(),
        None => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .try_init(),
    };
}

//! The protocol shell: `ibid lsp` over stdio. Converts positions and types, owns document state,
//! schedules analysis off the protocol loop. All logic lives in `analysis`.

/// Runs the language server on stdin/stdout until the client exits.
pub fn run_stdio() -> anyhow::Result<()> {
    todo!("lsp helper")
}

//! `--format github`: GitHub Actions workflow commands (`::error file=…,line=…::message`), which
//! show as annotations on the pull request.

use super::json::{Files, relative};
use crate::analysis::Analysis;
use crate::diagnostic::{Diagnostic, Severity};

/// Escapes a message (`%`, CR, LF) per the workflow-command rules.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: also `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub(crate) fn render(analysis: &Analysis, diagnostics: &[Diagnostic]) -> String {
    let files = Files::of(analysis, diagnostics);
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information | Severity::Hint => "notice",
        };
        let (start, end) = files.line_cols(analysis, &d.path, &d.range);
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&relative(analysis, &d.path)),
            start.line + 1,
            start.col + 1,
            end.line + 1,
            end.col + 1,
            escape_property(&format!("ibid {}", d.code)),
            escape_data(&d.message),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_command_syntax() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}

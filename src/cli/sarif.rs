//! `--format sarif`: SARIF 2.1.0 for code-scanning uploads, with one rule per diagnostic code.
//! Lines and columns are one-based; columns count UTF-16 code units (declared in `columnKind`).

use serde_json::{Value, json};

use super::json::{Files, relative};
use crate::analysis::Analysis;
use crate::diagnostic::{Diagnostic, DiagnosticCode, Severity};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

fn location(
    files: &Files,
    analysis: &Analysis,
    path: &std::path::Path,
    range: &crate::ByteRange,
) -> Value {
    let (start, end) = files.line_cols(analysis, path, range);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": relative(analysis, path), "uriBaseId": "ROOT" },
            "region": {
                "startLine": start.line + 1,
                "startColumn": start.col + 1,
                "endLine": end.line + 1,
                "endColumn": end.col + 1,
            }
        }
    })
}

pub(crate) fn render(analysis: &Analysis, diagnostics: &[Diagnostic]) -> String {
    let rules: Vec<Value> = DiagnosticCode::ALL
        .iter()
        .map(|code| {
            json!({
                "id": code.as_str(),
                "name": code.as_str(),
                "shortDescription": { "text": code.summary() },
                "fullDescription": { "text": code.summary() },
                "help": { "text": format!("See docs/diagnostics.md#{}", code.as_str()) },
                "defaultConfiguration": { "level": level(code.default_severity()) },
            })
        })
        .collect();
    let files = Files::of(analysis, diagnostics);
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let rule_index = DiagnosticCode::ALL
                .iter()
                .position(|c| *c == d.code)
                .unwrap_or(0);
            let related: Vec<Value> = d
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut loc = location(&files, analysis, &r.path, &r.range);
                    loc["id"] = json!(i);
                    loc["message"] = json!({ "text": r.message });
                    loc
                })
                .collect();
            json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": rule_index,
                "level": level(d.severity),
                "message": { "text": d.message },
                "locations": [location(&files, analysis, &d.path, &d.range)],
                "relatedLocations": related,
            })
        })
        .collect();
    let root_uri = format!("file://{}/", analysis.root().display());
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "ibid",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://crates.io/crates/ibid",
                "rules": rules,
            }},
            "originalUriBaseIds": { "ROOT": { "uri": root_uri } },
            "columnKind": "utf16CodeUnits",
            "results": results,
        }]
    });
    let mut out = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    out.push('\n');
    out
}

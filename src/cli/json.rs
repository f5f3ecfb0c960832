//! `--format json`: a stable, documented shape (docs/diagnostics.md). Paths relative to the root,
//! zero-based lines, characters in UTF-16 code units (as LSP).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::ByteRange;
use crate::analysis::Analysis;
use crate::corpus::StoredText;
use crate::diagnostic::Diagnostic;
use crate::text::{ColumnEncoding, LineCol, LineIndex};

/// Texts and line indexes of the files diagnostics point into, loaded once each.
pub(crate) struct Files {
    cache: HashMap<PathBuf, Option<(StoredText, LineIndex)>>,
}

impl Files {
    /// The files `diagnostics` point into (where each is, and its related locations), loaded side
    /// by side: indexing the lines of some two thousand sources took a tenth of a second at the
    /// end of a check, on one core while the others had finished.
    pub(crate) fn of(analysis: &Analysis, diagnostics: &[Diagnostic]) -> Files {
        let mut paths: Vec<&Path> = diagnostics
            .iter()
            .flat_map(|d| std::iter::once(&d.path).chain(d.related.iter().map(|r| &r.path)))
            .map(PathBuf::as_path)
            .collect();
        paths.sort_unstable();
        paths.dedup();
        // Files of megabytes one after the other: each one's lines are found by reading all of
        // it, and two sources of 46 and 48 MB read at once brought ~95 MB of their records'
        // pages in together (the peak of a check of them).
        let (large, small): (Vec<&Path>, Vec<&Path>) = paths.into_iter().partition(|path| {
            analysis
                .file_text(path)
                .is_some_and(|text| text.len() >= LARGE_FILE_BYTES)
        });
        let loaded = |path: &Path| (path.to_path_buf(), load(analysis, path));
        let mut cache: HashMap<PathBuf, Option<(StoredText, LineIndex)>> =
            small.into_par_iter().map(loaded).collect();
        cache.extend(large.into_iter().map(loaded));
        Files { cache }
    }

    /// What `read` makes of the text of the file at `path` and its lines; `None` when the file
    /// cannot be read. The pages read are given back after (in the batches of
    /// `StoredText::release`): a report reads a line or two of each of some two thousand sources.
    /// Shared by the threads rendering a report: a file `of` did not load (none a diagnostic
    /// points into) is loaded for this read alone.
    pub(crate) fn read<T>(
        &self,
        analysis: &Analysis,
        path: &Path,
        read: impl FnOnce(&StoredText, &LineIndex) -> T,
    ) -> Option<T> {
        let mut loaded = None;
        let (text, index) = match self.cache.get(path) {
            Some(file) => file.as_ref()?,
            None => loaded.insert(load(analysis, path)?),
        };
        let answer = read(text, index);
        text.release();
        Some(answer)
    }
}

/// Files at least this long have their lines found one at a time (`Files::of`).
const LARGE_FILE_BYTES: usize = 8 << 20;

/// The text of the file at `path` (as the analysis read it, else from disk) and its lines.
fn load(analysis: &Analysis, path: &Path) -> Option<(StoredText, LineIndex)> {
    let text = analysis
        .file_text(path)
        .or_else(|| std::fs::read_to_string(path).ok().map(StoredText::from))?;
    let index = LineIndex::new(&text);
    // Only the lines diagnostics point at are read again.
    text.release();
    Some((text, index))
}

impl Files {
    /// Zero-based line and UTF-16 column of both ends of `range` in `path`.
    pub(crate) fn line_cols(
        &self,
        analysis: &Analysis,
        path: &Path,
        range: &ByteRange,
    ) -> (LineCol, LineCol) {
        self.read(analysis, path, |text, index| {
            (
                index.line_col(text, range.start, ColumnEncoding::Utf16),
                index.line_col(text, range.end, ColumnEncoding::Utf16),
            )
        })
        .unwrap_or_default()
    }
}

fn range_json(files: &Files, analysis: &Analysis, path: &Path, range: &ByteRange) -> Value {
    let (start, end) = files.line_cols(analysis, path, range);
    json!({
        "start": {"line": start.line, "character": start.col},
        "end": {"line": end.line, "character": end.col},
    })
}

pub(crate) fn relative(analysis: &Analysis, path: &Path) -> String {
    analysis
        .workspace()
        .relative(path)
        .to_string_lossy()
        .replace('\\', "/")
}

pub(crate) fn render(analysis: &Analysis, diagnostics: &[Diagnostic]) -> String {
    let report = Report {
        diagnostics: Items {
            analysis,
            diagnostics,
            files: Files::of(analysis, diagnostics),
        },
    };
    let mut out = serde_json::to_string_pretty(&report)
        .unwrap_or_else(|_| "{\"diagnostics\":[]}".to_string());
    out.push('\n');
    out
}

/// `{"diagnostics": [...]}`.
#[derive(serde::Serialize)]
struct Report<'a> {
    diagnostics: Items<'a>,
}

/// The diagnostics, each made into JSON as it is written (a report of tens of thousands of
/// diagnostics is not held twice, as values and as text).
struct Items<'a> {
    analysis: &'a Analysis,
    diagnostics: &'a [Diagnostic],
    files: Files,
}

impl serde::Serialize for Items<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.diagnostics
                .iter()
                .map(|d| diagnostic_json(&self.files, self.analysis, d)),
        )
    }
}

/// One diagnostic, as the report writes it.
fn diagnostic_json(files: &Files, analysis: &Analysis, d: &Diagnostic) -> Value {
    let related: Vec<Value> = d
        .related
        .iter()
        .map(|r| {
            json!({
                "path": relative(analysis, &r.path),
                "range": range_json(files, analysis, &r.path, &r.range),
                "message": r.message,
            })
        })
        .collect();
    let mut item = json!({
        "path": relative(analysis, &d.path),
        "range": range_json(files, analysis, &d.path, &d.range),
        "severity": d.severity.as_str(),
        "code": d.code.as_str(),
        "message": d.message,
        "related": related,
    });
    if let Some(fix) = d.fixes.first() {
        item["fix"] = serde_json::to_value(fix).unwrap_or(Value::Null);
    }
    if d.fixes.len() > 1 {
        item["fixes"] = serde_json::to_value(&d.fixes).unwrap_or(Value::Null);
    }
    item
}

//! Claim diagnostics measured on the labelled evaluation set (`tests/claims/eval.toml`): every case
//! is a paragraph of one note in a workspace over the sample corpus; the test computes precision
//! and recall per code and fails below the floors (the figures are in docs/diagnostics.md). Also:
//! the same codes through `ibid check --format json`, on the right lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ibid::analysis::AnalysisHost;
use ibid::diagnostic::DiagnosticCode;

use crate::common::{run_ibid, shared_corpus};

/// The least a set must reach: the targets (unsupported-claim recall ≥ 0.8 with ≤ 10% of
/// supported claims flagged; no opinion flagged), plus precision floors a little under what is
/// measured.
struct Floors {
    unsupported_recall: f64,
    unsupported_precision: f64,
    supported_flagged_at_most: f64,
    uncited_recall: f64,
    uncited_precision: f64,
}

const FLOORS: Floors = Floors {
    unsupported_recall: 0.8,
    unsupported_precision: 0.9,
    supported_flagged_at_most: 0.10,
    uncited_recall: 0.8,
    uncited_precision: 0.9,
};

const HELD_OUT_FLOORS: Floors = Floors {
    unsupported_precision: 0.85,
    uncited_precision: 0.85,
    ..FLOORS
};

#[derive(Debug, Clone, serde::Deserialize)]
struct Case {
    id: String,
    kind: String,
    text: String,
    expect: String,
}

#[derive(serde::Deserialize)]
struct EvalSet {
    case: Vec<Case>,
}

/// The text of the labelled case `id` (for tests elsewhere that need a claim of a given kind).
pub fn case_text(id: &str) -> String {
    eval_set()
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.text.trim().to_string())
        .unwrap_or_else(|| panic!("no case {id} in tests/claims/eval.toml"))
}

fn eval_set() -> Vec<Case> {
    load_set("eval.toml")
}

/// A labelled set in tests/claims/.
fn load_set(name: &str) -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/claims")
        .join(name);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let set: EvalSet =
        toml::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
    set.case
}

/// A workspace over the five sample sources, with `notes` (name, text) in `notes/`.
fn workspace(notes: &[(&str, String)]) -> tempfile::TempDir {
    let corpus = shared_corpus();
    let dir = tempfile::tempdir().expect("tempdir");
    // The sample corpus linked into the workspace (globs may not reach outside it).
    std::fs::create_dir_all(dir.path().join("corpus")).expect("mkdir corpus");
    for file in [
        "tsjeng2024.md",
        "mahoney2024.txt",
        "politburo2023.txt",
        "qiang2024.md",
        "voa2023.txt",
        "refs.bib",
    ] {
        std::os::unix::fs::symlink(corpus.join(file), dir.path().join("corpus").join(file))
            .expect("symlink a source");
    }
    let config = "corpus = [\"corpus/*.md\", \"corpus/*.txt\"]\nnotes = [\"notes/*.md\"]\n\
                  bibliography = \"corpus/refs.bib\"\n";
    std::fs::write(dir.path().join("ibid.toml"), config).expect("write ibid.toml");
    std::fs::create_dir_all(dir.path().join("notes")).expect("mkdir notes");
    for (name, text) in notes {
        std::fs::write(dir.path().join("notes").join(name), text).expect("write note");
    }
    dir
}

/// What ibid said of each case: the claim code on its paragraph, if any.
fn outcomes(cases: &[Case]) -> Vec<Option<DiagnosticCode>> {
    let mut note = String::new();
    let mut ranges = Vec::new();
    for case in cases {
        let start = note.len();
        note.push_str(case.text.trim());
        ranges.push(start..note.len());
        note.push_str("\n\n");
    }
    let dir = workspace(&[("eval.md", note)]);
    let root = dir.path().canonicalize().expect("canonical root");
    let host = AnalysisHost::load(&root, None).expect("load the workspace");
    let analysis = host.snapshot();
    let path: PathBuf = root.join("notes/eval.md");
    let diagnostics = analysis.diagnostics(&path);
    ranges
        .iter()
        .map(|range| {
            diagnostics
                .iter()
                .filter(|d| range.start <= d.range.start && d.range.start < range.end)
                .map(|d| d.code)
                .find(|c| {
                    matches!(
                        c,
                        DiagnosticCode::UncitedClaim | DiagnosticCode::UnsupportedClaim
                    )
                })
        })
        .collect()
}

fn expected_code(expect: &str) -> Option<DiagnosticCode> {
    match expect {
        "none" => None,
        other => Some(DiagnosticCode::from_name(other).expect("a claim code in eval.toml")),
    }
}

/// Precision and recall of `code` over the cases.
fn scores(
    cases: &[Case],
    got: &[Option<DiagnosticCode>],
    code: DiagnosticCode,
) -> (f64, f64, usize, usize, usize) {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (case, got) in cases.iter().zip(got) {
        let expected = expected_code(&case.expect) == Some(code);
        let flagged = *got == Some(code);
        match (expected, flagged) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => {}
        }
    }
    let precision = if tp + fp == 0 {
        1.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let recall = if tp + fn_ == 0 {
        1.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    (precision, recall, tp, fp, fn_)
}

/// Precision and recall per code, and the share of supported claims flagged, over one set.
struct Measured {
    unsupported_precision: f64,
    unsupported_recall: f64,
    uncited_precision: f64,
    uncited_recall: f64,
    supported_flagged: f64,
    opinions_flagged: Vec<String>,
    summary: String,
}

fn measure(cases: &[Case]) -> Measured {
    let got = outcomes(cases);
    let mut report = String::new();
    let mut by_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (case, got) in cases.iter().zip(&got) {
        let right = expected_code(&case.expect) == *got;
        let entry = by_kind.entry(case.kind.as_str()).or_default();
        entry.1 += 1;
        if right {
            entry.0 += 1;
        } else {
            report.push_str(&format!(
                "  {:<40} expected {:<18} got {}\n",
                case.id,
                case.expect,
                got.map_or("none", |c| c.as_str())
            ));
        }
    }
    let (up, ur, utp, ufp, ufn) = scores(cases, &got, DiagnosticCode::UnsupportedClaim);
    let (cp, cr, ctp, cfp, cfn) = scores(cases, &got, DiagnosticCode::UncitedClaim);
    let supported: Vec<bool> = cases
        .iter()
        .zip(&got)
        .filter(|(c, _)| matches!(c.kind.as_str(), "supported" | "reordered"))
        .map(|(_, g)| *g == Some(DiagnosticCode::UnsupportedClaim))
        .collect();
    let supported_flagged =
        supported.iter().filter(|&&f| f).count() as f64 / supported.len().max(1) as f64;
    let opinions_flagged: Vec<String> = cases
        .iter()
        .zip(&got)
        .filter(|(c, g)| c.kind == "opinion" && g.is_some())
        .map(|(c, _)| c.id.clone())
        .collect();
    let summary = format!(
        "{} cases\nunsupported-claim: precision {up:.2} recall {ur:.2} (tp {utp}, fp {ufp}, fn \
         {ufn}); supported claims flagged {:.0}%\n\
         uncited-claim: precision {cp:.2} recall {cr:.2} (tp {ctp}, fp {cfp}, fn {cfn})\n\
         per kind (right/all): {by_kind:?}\nwrong:\n{report}",
        cases.len(),
        supported_flagged * 100.0
    );
    eprintln!("{summary}");
    Measured {
        unsupported_precision: up,
        unsupported_recall: ur,
        uncited_precision: cp,
        uncited_recall: cr,
        supported_flagged,
        opinions_flagged,
        summary,
    }
}

impl Measured {
    fn assert_meets(&self, floors: &Floors) {
        let summary = &self.summary;
        assert!(
            self.opinions_flagged.is_empty(),
            "opinions flagged: {:?}\n{summary}",
            self.opinions_flagged
        );
        assert!(
            self.unsupported_recall >= floors.unsupported_recall,
            "{summary}"
        );
        assert!(
            self.unsupported_precision >= floors.unsupported_precision,
            "{summary}"
        );
        assert!(
            self.supported_flagged <= floors.supported_flagged_at_most,
            "{summary}"
        );
        assert!(self.uncited_recall >= floors.uncited_recall, "{summary}");
        assert!(
            self.uncited_precision >= floors.uncited_precision,
            "{summary}"
        );
    }
}

/// The set the rules were calibrated on.
#[test]
fn the_labelled_set_meets_the_floors() {
    let cases = eval_set();
    assert!(cases.len() >= 60, "the set has {} cases", cases.len());
    measure(&cases).assert_meets(&FLOORS);
}

/// A second set, written apart from the rules (tests/claims/heldout.toml): what to expect on
/// notes ibid was not tuned on. Its precision floors are lower.
#[test]
fn the_held_out_set_meets_its_floors() {
    let cases = load_set("heldout.toml");
    assert!(cases.len() >= 40, "the set has {} cases", cases.len());
    measure(&cases).assert_meets(&HELD_OUT_FLOORS);
}

/// Through the binary: `ibid check --format json` puts each claim code on its line (one case of
/// each kind the issue names), with its fixes.
#[test]
fn check_json_reports_claims_on_their_lines() {
    let cases = [
        ("changed-number-tsjeng-01", Some("unsupported-claim")),
        ("wrong-source-02", Some("unsupported-claim")),
        ("uncited-fact-01", Some("uncited-claim")),
        ("opinion-01", None),
        ("supported-voa-01", None),
        ("reordered-qiang-01", None),
    ];
    let mut note = String::from("# Claims\n\n");
    let mut lines = Vec::new();
    for (id, _) in &cases {
        lines.push(note.lines().count());
        note.push_str(&case_text(id));
        note.push_str("\n\n");
    }
    let dir = workspace(&[("n.md", note)]);
    let (_, stdout, stderr) = run_ibid(&[
        "check",
        "--format",
        "json",
        dir.path().to_str().expect("utf-8 path"),
    ]);
    let json: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    for ((id, expected), line) in cases.iter().zip(&lines) {
        let on_line: Vec<&serde_json::Value> = diagnostics
            .iter()
            .filter(|d| d["range"]["start"]["line"].as_u64() == Some(*line as u64))
            .filter(|d| d["code"].as_str().is_some_and(|c| c.ends_with("-claim")))
            .collect();
        let codes: Vec<&str> = on_line.iter().filter_map(|d| d["code"].as_str()).collect();
        assert_eq!(
            codes,
            expected.iter().copied().collect::<Vec<_>>(),
            "{id}: {on_line:#?}"
        );
        for d in on_line {
            // Every claim diagnostic offers to mark the sentence as the writer's own view.
            let fixes = d["fixes"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![d["fix"].clone()]);
            assert!(
                fixes.iter().any(|f| f["fix"] == "mark-own-view"),
                "{id}: {d:#}"
            );
        }
    }
}

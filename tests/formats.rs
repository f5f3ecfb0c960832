//! Output for the rest of the toolchain, through the real binary: SARIF for code scanning,
//! GitHub workflow annotations, and `ibid bib` rendered by Debian's pandoc.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use crate::common::{example_workspace, run_ibid};

/// The example's diagnostics as JSON: (code, 1-based line) pairs.
fn example_codes_and_lines() -> Vec<(String, u64)> {
    let root = example_workspace();
    let (_, stdout, stderr) = run_ibid(&["check", root.to_str().unwrap(), "--format", "json"]);
    let value: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    value["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().expect("code").to_string(),
                d["range"]["start"]["line"].as_u64().expect("line") + 1,
            )
        })
        .collect()
}

fn string<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} must be a string, got {value}"))
}

/// The checks below follow the `required` lists of the SARIF 2.1.0 schema for every object ibid
/// writes (sarifLog, run, tool, toolComponent, reportingDescriptor, result, message, location,
/// physicalLocation, artifactLocation, region), plus the cross references (ruleIndex → rule).
#[test]
fn sarif_has_the_schema_s_required_fields_and_rule_metadata() {
    let root = example_workspace();
    let (exit, stdout, stderr) = run_ibid(&["check", root.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(exit, 1, "the example has errors\n{stderr}");
    let log: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    assert!(string(&log["$schema"], "$schema").contains("sarif-2.1.0"));
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "ibid");
    assert!(!string(&driver["version"], "driver.version").is_empty());
    let rules = driver["rules"].as_array().expect("driver.rules");
    let rule_ids: Vec<&str> = rules.iter().map(|r| string(&r["id"], "rule.id")).collect();
    for rule in rules {
        assert!(!string(&rule["shortDescription"]["text"], "shortDescription").is_empty());
        assert!(!string(&rule["fullDescription"]["text"], "fullDescription").is_empty());
        let level = string(
            &rule["defaultConfiguration"]["level"],
            "defaultConfiguration.level",
        );
        assert!(
            ["error", "warning", "note", "none"].contains(&level),
            "{level}"
        );
    }
    for code in [
        "quote-inexact",
        "quote-misattributed",
        "quote-not-found",
        "unknown-source",
        "uncited-quote",
    ] {
        assert!(rule_ids.contains(&code), "no rule for {code}: {rule_ids:?}");
    }

    let results = run["results"].as_array().expect("results");
    let expected = example_codes_and_lines();
    assert_eq!(results.len(), expected.len());
    let mut seen = Vec::new();
    for result in results {
        let rule_id = string(&result["ruleId"], "ruleId");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            rule_ids.get(index),
            Some(&rule_id),
            "ruleIndex of {rule_id}"
        );
        assert!(["error", "warning", "note", "none"].contains(&string(&result["level"], "level")));
        assert!(!string(&result["message"]["text"], "message.text").is_empty());
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = string(&physical["artifactLocation"]["uri"], "artifactLocation.uri");
        assert_eq!(uri, "notes/briefing.md");
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "ROOT");
        let region = &physical["region"];
        let start_line = region["startLine"].as_u64().expect("startLine");
        assert!(start_line >= 1);
        assert!(region["startColumn"].as_u64().expect("startColumn") >= 1);
        assert!(region["endLine"].as_u64().expect("endLine") >= start_line);
        for related in result["relatedLocations"].as_array().into_iter().flatten() {
            let uri = string(
                &related["physicalLocation"]["artifactLocation"]["uri"],
                "related uri",
            );
            assert!(uri.starts_with("sources/"), "{uri}");
            assert!(related["physicalLocation"]["region"]["startLine"].as_u64() >= Some(1));
        }
        seen.push((rule_id.to_string(), start_line));
    }
    seen.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(seen, expected, "SARIF results match `--format json`");
    let base = string(&run["originalUriBaseIds"]["ROOT"]["uri"], "ROOT uri");
    assert!(
        base.starts_with("file://") && base.ends_with("/examples/"),
        "{base}"
    );
}

#[test]
fn github_annotations_one_per_diagnostic() {
    let root = example_workspace();
    let (exit, stdout, _) = run_ibid(&["check", root.to_str().unwrap(), "--format", "github"]);
    assert_eq!(exit, 1);
    let mut annotations: Vec<(String, u64)> = stdout
        .lines()
        .filter(|line| line.starts_with("::"))
        .map(|line| {
            let (command, rest) = line[2..].split_once(' ').expect("command and properties");
            assert!(["error", "warning", "notice"].contains(&command), "{line}");
            let (properties, message) = rest.split_once("::").expect("properties::message");
            assert!(!message.is_empty());
            let property = |name: &str| {
                properties
                    .split(',')
                    .find_map(|p| p.strip_prefix(&format!("{name}=")))
                    .unwrap_or_else(|| panic!("no {name} in {line}"))
            };
            assert_eq!(property("file"), "notes/briefing.md");
            let title = property("title");
            let code = title.strip_prefix("ibid ").expect("title names the code");
            (code.to_string(), property("line").parse().expect("line"))
        })
        .collect();
    annotations.sort();
    let mut expected = example_codes_and_lines();
    expected.sort();
    assert_eq!(annotations, expected);
}

/// `ibid bib` makes the example render with `pandoc --citeproc`: the only citation pandoc cannot
/// resolve is the one ibid itself reports as unknown.
#[test]
fn pandoc_renders_the_example_with_ibid_bib() {
    let root = example_workspace();
    let (exit, csl, stderr) = run_ibid(&["bib", root.to_str().unwrap()]);
    assert_eq!(exit, 0, "{stderr}");
    let entries: Value = serde_json::from_str(&csl).expect("CSL JSON");
    let ids: BTreeSet<&str> = entries
        .as_array()
        .expect("a list of items")
        .iter()
        .map(|item| string(&item["id"], "id"))
        .collect();
    for key in ["halden2021", "lindqvist2023", "osei2022", "marsh2019"] {
        assert!(ids.contains(key), "{key} missing from {ids:?}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bibliography = dir.path().join("sources.json");
    std::fs::write(&bibliography, &csl).expect("write CSL JSON");

    let output = Command::new("pandoc")
        .arg("--citeproc")
        .arg("--bibliography")
        .arg(&bibliography)
        .args(["-t", "plain"])
        .arg(root.join("notes/briefing.md"))
        .output()
        .expect("pandoc is needed for this test (apt-get install -y pandoc; .ci/run installs it)");
    let warnings = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "pandoc failed:\n{warnings}");
    let not_found: BTreeSet<String> = warnings
        .lines()
        .filter_map(|line| {
            let rest = line.split("citation ").nth(1)?;
            rest.strip_suffix(" not found").map(str::to_string)
        })
        .collect();
    let unknown: BTreeSet<String> = example_unknown_keys();
    assert!(!unknown.is_empty(), "the example shows an unknown key");
    assert_eq!(not_found, unknown, "pandoc's warnings:\n{warnings}");
    let rendered = String::from_utf8_lossy(&output.stdout);
    // The rendered text carries the bibliography: a title of each cited work with a text.
    assert!(rendered.contains("Riverbend"), "{rendered}");
}

/// The keys `ibid check` reports as unknown in the example (from the messages' `@key`).
fn example_unknown_keys() -> BTreeSet<String> {
    let root = example_workspace();
    let (_, stdout, _) = run_ibid(&["check", root.to_str().unwrap(), "--format", "json"]);
    let value: Value = serde_json::from_str(&stdout).expect("JSON");
    value["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "unknown-source")
        .filter_map(|d| {
            let message = d["message"].as_str()?;
            let start = message.find("`@")? + 2;
            let end = start + message[start..].find('`')?;
            Some(message[start..end].to_string())
        })
        .collect()
}

/// Progress bars are for terminals: with output captured, stderr stays clean.
#[test]
fn no_progress_output_when_not_on_a_terminal() {
    let corpus = crate::common::shared_corpus();
    let (_, stdout, stderr) = run_ibid(&["check", corpus.to_str().unwrap()]);
    assert!(stdout.contains("checked"), "{stdout}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "progress drawn on a pipe: {stderr:?}"
    );
}

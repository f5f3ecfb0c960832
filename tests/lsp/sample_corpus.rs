//! The server over a copy of the sample corpus (`../shared/corpus`): go-to-source from quotations
//! of every source, hover on terms the sources define, and diagnostics after incremental edits
//! equal to a fresh `ibid check` of the final text. The notes are assembled at run time from the
//! sources' own words, so no sentence of the corpus is stored here.

use serde_json::{Value, json};

use super::features::{Workspace, has_code, point, position, sample_corpus_workspace, slice};
use crate::common::{as_writer_copies, key, passage, run_ibid};

/// A note with one quotation per paragraph; returns it with each case's name and the text of the
/// quotation (the words between the marks).
fn note_of(cases: &[(&str, String, String)]) -> String {
    let mut note = String::from("# Sample corpus\n\n");
    for (_, paragraph, _) in cases {
        note.push_str(paragraph);
        note.push_str("\n\n");
    }
    note
}

/// Go to definition at the middle of `quoted` in the note: the source's relative path and the
/// text of the returned range.
async fn definition_of(
    client: &super::harness::TestClient,
    workspace: &Workspace,
    note: &str,
    quoted: &str,
) -> (String, String) {
    let uri = workspace.uri("notes/n.md");
    let start = note
        .find(quoted)
        .unwrap_or_else(|| panic!("{quoted:?} not in the note"));
    let mut inside = start + quoted.len() / 2;
    while !note.is_char_boundary(inside) {
        inside -= 1;
    }
    let found = client
        .result(
            "textDocument/definition",
            point(&uri, &position(note, inside)),
        )
        .await;
    let location = match &found {
        Value::Array(locations) => locations.first().cloned(),
        Value::Object(_) => Some(found.clone()),
        _ => None,
    }
    .unwrap_or_else(|| panic!("no definition for {quoted:?}: {found}"));
    let target = location["uri"].as_str().expect("uri");
    let root = workspace.uri("");
    let relative = target
        .strip_prefix(root.trim_end_matches('/'))
        .unwrap_or(target)
        .trim_start_matches('/')
        .to_string();
    let text = workspace.text(&relative);
    (relative, slice(&text, &location["range"]).to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_to_source_lands_on_the_quoted_words_in_every_source() {
    let linked = passage("tsjeng2024.md", "At the forefront of China", 24);
    let cjk = passage("mahoney2024.txt", "who emphasize", 9);
    let split_first = passage("qiang2024.md", "We believe that it is", 5);
    let split_second = passage("qiang2024.md", "necessary to advocate common", 8);
    let split = format!("{split_first} {split_second}");
    let politburo = passage("politburo2023.txt", "Ever since Russia began", 20);
    let voa = passage("voa2023.txt", "Vietnam appears to be showing", 22);
    let elided_first = passage("tsjeng2024.md", "The pattern is clear", 8);
    let elided_last = passage("tsjeng2024.md", "sweep all tensions", 8);
    let elided = format!("{elided_first} ... {elided_last}");
    let uncited = passage("mahoney2024.txt", "Such authentic inclusiveness", 12);
    let block = passage("politburo2023.txt", "Chinese President Xi Jinping met", 16);

    // (name, paragraph, the quoted words, the source, the words the source range must hold)
    let cases: Vec<(&str, String, String, &str, Vec<String>)> = vec![
        (
            "link and nested quote marks",
            format!("Tsjeng: \"{linked}\" [@tsjeng2024]."),
            linked.clone(),
            "corpus/tsjeng2024.md",
            vec![linked.clone()],
        ),
        (
            "CJK",
            format!("Mahoney: \"{cjk}\" [@mahoney2024]."),
            cjk.clone(),
            "corpus/mahoney2024.txt",
            vec![cjk.clone()],
        ),
        (
            // The source interrupts the sentence with page furniture (a byline, a caption): the
            // range runs from the first half to the second.
            "split by page furniture",
            format!("Qiang: \"{split}\" [@qiang2024]."),
            split.clone(),
            "corpus/qiang2024.md",
            vec![split_first.clone(), split_second.clone()],
        ),
        (
            "plain text",
            format!("Reported: \"{politburo}\" [@politburo2023]."),
            politburo.clone(),
            "corpus/politburo2023.txt",
            vec![politburo.clone()],
        ),
        (
            "curly apostrophes and nested quotes",
            format!("VOA: \"{voa}\" [@voa2023]."),
            voa.clone(),
            "corpus/voa2023.txt",
            vec![voa.clone()],
        ),
        (
            "elided",
            format!("Tsjeng: \"{elided}\" [@tsjeng2024]."),
            elided.clone(),
            "corpus/tsjeng2024.md",
            vec![elided_first.clone(), elided_last.clone()],
        ),
        (
            "uncited",
            format!("One commentator: \"{uncited}\"."),
            uncited.clone(),
            "corpus/mahoney2024.txt",
            vec![uncited.clone()],
        ),
        (
            "blockquote",
            format!("> {block}\n\n[@politburo2023]"),
            block.clone(),
            "corpus/politburo2023.txt",
            vec![block.clone()],
        ),
    ];
    let listed: Vec<(&str, String, String)> = cases
        .iter()
        .map(|(name, paragraph, quoted, _, _)| (*name, paragraph.clone(), quoted.clone()))
        .collect();
    let note = note_of(&listed);
    let workspace = sample_corpus_workspace(&note);
    let client = workspace.start().await;

    let mut failures = Vec::new();
    for (name, _, quoted, source, expected_words) in &cases {
        let (path, text) = definition_of(&client, &workspace, &note, quoted).await;
        let found = key(&as_writer_copies(&text));
        let whole = key(&expected_words.join(" "));
        let right_place = path == *source;
        let right_words = match expected_words.as_slice() {
            // An elided or interrupted quotation: the range runs from its first words to its last.
            [first, last] => found.starts_with(&key(first)) && found.ends_with(&key(last)),
            _ => found == whole,
        };
        if !(right_place && right_words) {
            failures.push(format!("{name}: {path} {text:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_shows_the_definitions_the_sources_give() {
    let note = "# Terms\n\nThe Shanghai Spirit, the BRI, the LMC and the SCO come up.\n";
    let workspace = sample_corpus_workspace(note);
    let client = workspace.start().await;
    let uri = workspace.uri("notes/n.md");
    for (term, expected) in [
        ("Shanghai Spirit", "Shanghai Spirit"),
        ("BRI", "Belt and Road Initiative"),
        ("LMC", "Lancang-Mekong Cooperation"),
        ("SCO", "Shanghai Cooperation Organization"),
    ] {
        let at = note.find(term).expect("term in the note") + 1;
        let hover = client
            .result("textDocument/hover", point(&uri, &position(note, at)))
            .await;
        let text = hover["contents"]["value"].as_str().unwrap_or_default();
        assert!(
            text.contains(&format!("**{term}**")) && text.contains(expected),
            "hover on {term} lacks {expected:?}:\n{hover}"
        );
        // Each excerpt names its source with a link into it.
        assert!(
            text.contains("corpus/"),
            "no source link for {term}:\n{text}"
        );
    }
}

/// Edits typed into an open note (insert, delete across lines, replace) leave the server with the
/// same diagnostics as `ibid check` gives for the final text on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostics_after_incremental_edits_equal_a_fresh_check() {
    let voa = passage("voa2023.txt", "Vietnam appears to be showing", 14);
    let start = format!(
        "# Draft\n\nFirst line to delete.\nSecond line to delete.\n\nVOA: \"{voa}\" [@voa2023].\n"
    );
    let workspace = sample_corpus_workspace(&start);
    let client = workspace.start().await;
    let uri = workspace.uri("notes/n.md");
    client.open(&uri, &start);

    let mut text = start.clone();
    let mut version = 1;
    let edit = |text: &mut String, from: usize, to: usize, insert: &str| {
        let change = json!({
            "range": {"start": position(text, from), "end": position(text, to)},
            "text": insert,
        });
        text.replace_range(from..to, insert);
        change
    };
    // Delete across lines: from inside the first line to inside the second.
    let from = text.find("line to delete.\nSecond").expect("first line");
    let to = text.find("to delete.\n\nVOA").expect("second line");
    let delete = edit(&mut text, from, to, "");
    // Insert a paragraph with an invented quotation and an unknown key.
    let at = text.len();
    let insert = edit(
        &mut text,
        at,
        at,
        "\nIt \"pledged a fleet of airships to every member state\" [@qiang2024] and [@nobody1999].\n",
    );
    // Replace a word of the VOA quotation: a misquote.
    let word = voa.split(' ').nth(3).expect("a fourth word").to_string();
    let word_at =
        text.find(&voa).expect("the quotation") + voa.find(&format!(" {word} ")).expect("word") + 1;
    let replace = edit(&mut text, word_at, word_at + word.len(), "plainly");
    for changes in [vec![delete], vec![insert, replace]] {
        version += 1;
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }
    let published = client
        .wait_notification("diagnostics of the last version", |n| {
            n["method"] == "textDocument/publishDiagnostics"
                && n["params"]["uri"] == uri.as_str()
                && n["params"]["version"] == version
        })
        .await;
    let from_server = summary(published["params"]["diagnostics"].as_array().expect("list"));
    assert_eq!(client.document_text(&uri).await["text"], text.as_str());

    std::fs::write(workspace.path("notes/n.md"), &text).expect("write the final text");
    let (_, stdout, stderr) = run_ibid(&[
        "check",
        workspace.root().to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    let checked: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}): {stdout}\n{stderr}"));
    let from_check = summary(
        &checked["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["path"] == "notes/n.md")
            .cloned()
            .collect::<Vec<_>>(),
    );
    for code in ["quote-inexact", "quote-not-found", "unknown-source"] {
        assert!(
            has_code(code)(published["params"]["diagnostics"].as_array().expect("list")),
            "{code} expected after the edits: {from_server:#?}"
        );
    }
    assert_eq!(from_server, from_check);
}

/// (code, start line, start character, end line, end character, message), sorted.
fn summary(diagnostics: &[Value]) -> Vec<(String, u64, u64, u64, u64, String)> {
    let mut out: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            let n = |v: &Value| v.as_u64().expect("a number");
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                n(&d["range"]["start"]["line"]),
                n(&d["range"]["start"]["character"]),
                n(&d["range"]["end"]["line"]),
                n(&d["range"]["end"]["character"]),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Claims over the protocol: the codes equal `ibid check`'s on the same lines, hover on a
/// supported claim shows its passage, and the quick fixes cite a source or mark the sentence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_are_reported_hovered_and_fixed_over_lsp() {
    let ids = [
        "changed-number-voa-01",
        "wrong-source-05",
        "uncited-fact-03",
        "opinion-02",
        "supported-qiang-01",
    ];
    let mut note = String::from("# Claims\n\n");
    for id in ids {
        note.push_str(&crate::claims::case_text(id));
        note.push_str("\n\n");
    }
    let workspace = sample_corpus_workspace(&note);
    let client = workspace.start().await;
    let uri = workspace.uri("notes/n.md");
    client.open(&uri, &note);
    let published = client
        .diagnostics_for(&uri, has_code("unsupported-claim"))
        .await;
    let claim_lines = |diagnostics: Vec<(u64, String)>| -> Vec<(u64, String)> {
        let mut out: Vec<(u64, String)> = diagnostics
            .into_iter()
            .filter(|(_, code)| code.ends_with("-claim"))
            .collect();
        out.sort();
        out
    };
    let over_lsp = claim_lines(
        published
            .iter()
            .map(|d| {
                (
                    d["range"]["start"]["line"].as_u64().unwrap_or(0),
                    d["code"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect(),
    );
    let (_, stdout, _) = run_ibid(&[
        "check",
        "--format",
        "json",
        workspace.path("").to_str().unwrap_or("."),
    ]);
    let json: Value = serde_json::from_str(&stdout).expect("json");
    let over_cli = claim_lines(
        json["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|d| {
                (
                    d["range"]["start"]["line"].as_u64().unwrap_or(0),
                    d["code"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect(),
    );
    assert_eq!(over_lsp, over_cli);
    let line_of = |id: &str| {
        let text = crate::claims::case_text(id);
        note.lines().position(|l| l == text).unwrap_or(usize::MAX) as u64
    };
    assert_eq!(
        over_lsp,
        vec![
            (
                line_of("changed-number-voa-01"),
                "unsupported-claim".to_string()
            ),
            (line_of("wrong-source-05"), "unsupported-claim".to_string()),
            (line_of("uncited-fact-03"), "uncited-claim".to_string()),
        ]
    );

    // Hover on the supported claim: its passage and score.
    let supported = note
        .find(&crate::claims::case_text("supported-qiang-01"))
        .expect("case in note")
        + 5;
    let hover = client
        .result(
            "textDocument/hover",
            point(&uri, &position(&note, supported)),
        )
        .await;
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        text.starts_with("**Supported claim** — @qiang2024"),
        "{hover}"
    );

    // Quick fixes on the uncited claim.
    let uncited = note
        .find(&crate::claims::case_text("uncited-fact-03"))
        .expect("case in note");
    let at = position(&note, uncited + 3);
    let actions = client
        .result(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri},
                "range": {"start": at, "end": at},
                "context": {"diagnostics": []}
            }),
        )
        .await;
    let titles: Vec<&str> = actions
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["title"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        titles.contains(&"Mark as the writer's own view"),
        "{titles:?}"
    );
}

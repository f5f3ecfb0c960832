//! `ibid bib`: the workspace's works as CSL JSON (every source, plus bibliography entries without a
//! source), so that `pandoc --citeproc --bibliography <file>` renders the notes with the same keys
//! ibid resolves.

use serde_json::{Value, json};

use crate::analysis::Analysis;

/// CSL item type for a BibTeX/BibLaTeX entry type.
fn csl_type(entry_type: &str) -> &'static str {
    match entry_type.to_ascii_lowercase().as_str() {
        "article" => "article-journal",
        "online" | "www" | "electronic" => "webpage",
        "report" | "techreport" => "report",
        "book" | "mvbook" => "book",
        "incollection" | "inbook" => "chapter",
        "inproceedings" | "conference" => "paper-conference",
        "thesis" | "phdthesis" | "mastersthesis" => "thesis",
        "misc" => "document",
        _ => "document",
    }
}

/// A display name as CSL: "Family, Given" → family/given; "Given Family" → family/given;
/// a one-word or organisation name stays literal.
fn csl_name(name: &str) -> Value {
    let name = name.trim();
    if let Some((family, given)) = name.split_once(',') {
        return json!({ "family": family.trim(), "given": given.trim() });
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    let organisation = words.len() != 2
        || words.iter().any(|w| w.starts_with(char::is_lowercase))
        || words
            .first()
            .is_some_and(|w| matches!(*w, "The" | "A" | "An" | "La" | "Le" | "Die" | "Der"));
    match words.as_slice() {
        [given, family] if !organisation => json!({ "family": family, "given": given }),
        _ => json!({ "literal": name }),
    }
}

/// `2024-09-04` / `2024-07` / `2024` → CSL `date-parts`; anything else → `raw`.
fn csl_date(date: &str) -> Value {
    let parts: Vec<u32> = date
        .split(['-', '/'])
        .map_while(|p| p.trim().parse().ok())
        .take(3)
        .collect();
    if parts.is_empty() {
        json!({ "raw": date })
    } else {
        json!({ "date-parts": [parts] })
    }
}

struct Work<'a> {
    key: &'a str,
    entry_type: &'a str,
    title: Option<&'a str>,
    authors: &'a [String],
    date: Option<&'a str>,
    container: Option<&'a str>,
    url: Option<&'a str>,
}

fn csl_item(work: &Work<'_>) -> Value {
    let mut item = json!({ "id": work.key, "type": csl_type(work.entry_type) });
    if let Some(title) = work.title {
        item["title"] = json!(title);
    }
    if !work.authors.is_empty() {
        item["author"] = Value::Array(work.authors.iter().map(|a| csl_name(a)).collect());
    }
    if let Some(date) = work.date {
        item["issued"] = csl_date(date);
    }
    if let Some(container) = work.container {
        item["container-title"] = json!(container);
    }
    if let Some(url) = work.url {
        item["URL"] = json!(url);
    }
    item
}

pub(crate) fn render(analysis: &Analysis) -> String {
    let corpus = analysis.corpus();
    let mut items = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for source in &corpus.sources {
        if !seen.insert(source.key.as_str()) {
            continue;
        }
        let entry_type = corpus
            .entry(&source.key)
            .map_or("document", |e| e.entry_type.as_str());
        let meta = &source.meta;
        items.push(csl_item(&Work {
            key: &source.key,
            entry_type,
            title: meta.title.as_deref(),
            authors: &meta.authors,
            date: meta.date.as_deref(),
            container: meta.container.as_deref(),
            url: meta.url.as_deref(),
        }));
    }
    for entry in corpus.bibliography.iter() {
        if !seen.insert(entry.key.as_str()) {
            continue;
        }
        items.push(csl_item(&Work {
            key: &entry.key,
            entry_type: &entry.entry_type,
            title: entry.title.as_deref(),
            authors: &entry.authors,
            date: entry.date.as_deref(),
            container: entry.container.as_deref(),
            url: entry.url.as_deref(),
        }));
    }
    let mut out = serde_json::to_string_pretty(&Value::Array(items)).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_dates_and_types() {
        assert_eq!(
            csl_name("Halden, Mira"),
            json!({"family": "Halden", "given": "Mira"})
        );
        assert_eq!(
            csl_name("Annika Lindqvist"),
            json!({"family": "Lindqvist", "given": "Annika"})
        );
        assert_eq!(
            csl_name("The Politburo"),
            json!({"literal": "The Politburo"})
        );
        assert_eq!(
            csl_name("Voice of America"),
            json!({"literal": "Voice of America"})
        );
        assert_eq!(
            csl_date("2024-09-04"),
            json!({"date-parts": [[2024, 9, 4]]})
        );
        assert_eq!(csl_date("2023"), json!({"date-parts": [[2023]]}));
        assert_eq!(csl_date("spring 2020"), json!({"raw": "spring 2020"}));
        assert_eq!(csl_type("online"), "webpage");
        assert_eq!(csl_type("Article"), "article-journal");
    }
}

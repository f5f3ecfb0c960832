//! Bibliographies: BibTeX/BibLaTeX (Zotero Better BibTeX exports) and CSL JSON. Each entry gives a
//! citation key, metadata, and the files it points at. One broken entry never loses the others.

use std::path::{Path, PathBuf};

use biblatex::ChunksExt;
use rayon::prelude::*;

use crate::ByteRange;
use crate::diagnostic::{Diagnostic, DiagnosticCode, Related};

/// One bibliography entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BibEntry {
    pub key: String,
    /// `article`, `online`, ... as written.
    pub entry_type: String,
    pub title: Option<String>,
    /// Display names, "Family, Given" or a literal organisation name.
    pub authors: Vec<String>,
    /// As written (`2024-09-04`, `2024`).
    pub date: Option<String>,
    /// Journal, website or publisher.
    pub container: Option<String>,
    pub url: Option<String>,
    /// Files named by the entry (`file` field), resolved against the bibliography's folder.
    pub files: Vec<PathBuf>,
    /// The bibliography file and the entry's byte range in it.
    pub bib_path: PathBuf,
    pub range: ByteRange,
}

/// Parses one bibliography file (format by extension: `.bib`/`.bibtex` or `.json`). Problems
/// (unparsable entries) are returned beside the entries that did parse.
pub fn parse_bibliography(path: &Path, text: &str) -> (Vec<BibEntry>, Vec<Diagnostic>) {
    let is_json = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        parse_csl_json(path, text)
    } else {
        parse_bibtex(path, text)
    }
}

fn problem(path: &Path, range: ByteRange, message: String) -> Diagnostic {
    Diagnostic::new(
        DiagnosticCode::BibliographyError,
        path.to_path_buf(),
        range,
        message,
    )
}

/// The folder that relative `file` fields are resolved against.
fn base_dir(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// BibTeX / BibLaTeX

/// One `@type{...}` block of a `.bib` file: its byte range and whether it is an entry (not
/// `@string`, `@preamble` or `@comment`).
struct Block {
    range: ByteRange,
    kind: String,
}

/// Splits a `.bib` file into its `@` blocks by brace matching, so that each entry's range is known
/// and a broken entry can be parsed apart from the others.
fn blocks(text: &str) -> Vec<Block> {
    let bytes = text.as_bytes();
    let mut blocks = Vec::new();
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'@', bytes.get(i..).unwrap_or_default()).map(|p| p + i) {
        let kind_end = bytes
            .get(at + 1..)
            .unwrap_or_default()
            .iter()
            .position(|b| !b.is_ascii_alphanumeric() && *b != b'_')
            .map_or(bytes.len(), |p| p + at + 1);
        let kind = text
            .get(at + 1..kind_end)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let open = bytes
            .get(kind_end..)
            .unwrap_or_default()
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|p| p + kind_end);
        let Some(open) = open.filter(|&o| matches!(bytes.get(o), Some(b'{' | b'('))) else {
            i = at + 1;
            continue;
        };
        if kind.is_empty() {
            i = at + 1;
            continue;
        }
        let close_char = if bytes.get(open) == Some(&b'(') {
            b')'
        } else {
            b'}'
        };
        let mut depth = 0usize;
        let mut end = bytes.len();
        for (offset, &b) in bytes.iter().enumerate().skip(open) {
            match b {
                b'{' => depth += 1,
                b'}' if close_char == b'}' || depth > 1 => depth = depth.saturating_sub(1),
                b')' if close_char == b')' && depth <= 1 => depth = 0,
                _ => {}
            }
            if b == b'(' && offset == open {
                depth = 1;
            }
            if depth == 0 {
                end = offset + 1;
                break;
            }
            // A new entry starting at the beginning of a line ends an unbalanced one.
            if b == b'@' && offset > open && bytes.get(offset - 1) == Some(&b'\n') {
                end = offset;
                break;
            }
        }
        blocks.push(Block {
            range: at..end,
            kind,
        });
        i = end.max(at + 1);
    }
    blocks
}

fn parse_bibtex(path: &Path, text: &str) -> (Vec<BibEntry>, Vec<Diagnostic>) {
    let blocks = blocks(text);
    let mut problems = Vec::new();
    let string_blocks: Vec<&Block> = blocks.iter().filter(|b| b.kind == "string").collect();
    let definitions: Vec<Vec<StringDefinition>> = string_blocks
        .iter()
        .map(|b| string_definitions(text.get(b.range.clone()).unwrap_or("")))
        .collect();
    let runaway = runaway_abbreviations(definitions.iter().flatten());
    let sizes = expanded_sizes(definitions.iter().flatten(), &runaway);
    // The @string blocks kept, and which of them defines each abbreviation.
    let mut kept: Vec<(&str, &[StringDefinition])> = Vec::new();
    let mut defined_in: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (block, defined) in string_blocks.iter().zip(&definitions) {
        let refused = defined.iter().find_map(|d| {
            if runaway.contains(&d.name) {
                Some(format!(
                    "the @string `{}` refers to itself (directly or through other @strings) \
                     or nests more than {MAX_ABBREVIATION_DEPTH} deep; it is left out",
                    d.name
                ))
            } else if sizes
                .get(&d.name)
                .is_some_and(|&size| size > MAX_EXPANDED_CHARS)
            {
                Some(format!(
                    "the @string `{}` expands to more than {MAX_EXPANDED_CHARS} characters (its \
                     @strings refer to others many times over); it is left out",
                    d.name
                ))
            } else {
                None
            }
        });
        match (refused, text.get(block.range.clone())) {
            (Some(message), _) => problems.push(problem(path, block.range.clone(), message)),
            (None, Some(block_text)) => {
                for definition in defined {
                    defined_in.insert(&definition.name, kept.len());
                }
                kept.push((block_text, defined));
            }
            (None, None) => {}
        }
    }
    // Each entry is parsed on its own (with the @strings it needs), side by side: a Zotero
    // export of 16,000 items took half of a warm `ibid check`'s time parsed one after the other.
    let entry_blocks: Vec<&Block> = blocks
        .iter()
        .filter(|b| !matches!(b.kind.as_str(), "string" | "preamble" | "comment"))
        .collect();
    let parsed: Vec<Option<Result<Vec<BibEntry>, Diagnostic>>> = entry_blocks
        .par_iter()
        .map(|block| {
            let source = text.get(block.range.clone())?;
            Some(parse_entry_block(
                path,
                text,
                block,
                source,
                &sizes,
                &kept,
                &defined_in,
            ))
        })
        .collect();
    let mut entries = Vec::new();
    let mut seen: std::collections::HashMap<String, ByteRange> = std::collections::HashMap::new();
    for (block, parsed) in entry_blocks.iter().zip(parsed) {
        let parsed = match parsed {
            Some(Ok(parsed)) => parsed,
            Some(Err(problem)) => {
                problems.push(problem);
                continue;
            }
            None => continue,
        };
        for entry in parsed {
            if let Some(first) = seen.get(&entry.key) {
                problems.push(
                    Diagnostic::new(
                        DiagnosticCode::DuplicateKey,
                        path.to_path_buf(),
                        block.range.clone(),
                        format!(
                            "duplicate key `{}`: line {} already defines it; this entry is ignored",
                            entry.key,
                            line_of(text, first.start)
                        ),
                    )
                    .with_related(Related {
                        path: path.to_path_buf(),
                        range: first.clone(),
                        message: format!("the first entry `{}`", entry.key),
                    }),
                );
                continue;
            }
            seen.insert(entry.key.clone(), block.range.clone());
            entries.push(entry);
        }
    }
    (entries, problems)
}

/// The entries of one `@` block (`source`, at `block.range` of the file's `text`), parsed with
/// the `@string`s it refers to; the problem that leaves it out, if any.
fn parse_entry_block(
    path: &Path,
    text: &str,
    block: &Block,
    source: &str,
    sizes: &std::collections::HashMap<String, u64>,
    kept: &[(&str, &[StringDefinition])],
    defined_in: &std::collections::HashMap<&str, usize>,
) -> Result<Vec<BibEntry>, Diagnostic> {
    // The `@string` blocks the entry needs come first so that its abbreviations resolve;
    // spans in errors are then shifted back. Without any (a Zotero export), there is nothing
    // to look for in the entry.
    let fields = if kept.is_empty() && sizes.is_empty() {
        Vec::new()
    } else {
        string_definitions(source)
    };
    let expansion: u64 = fields
        .iter()
        .flat_map(|field| &field.references)
        .map(|name| sizes.get(name).copied().unwrap_or(0))
        .fold(0, u64::saturating_add);
    if expansion > MAX_EXPANDED_CHARS {
        return Err(problem(
            path,
            block.range.clone(),
            format!(
                "this entry's @string abbreviations expand to more than {MAX_EXPANDED_CHARS} \
                 characters; it is left out"
            ),
        ));
    }
    let abbreviations = needed_strings(&fields, kept, defined_in);
    let prefix_len = abbreviations.len() + 1;
    let combined = format!("{abbreviations}\n{source}");
    match biblatex::Bibliography::parse(&combined) {
        Ok(parsed) => Ok(parsed
            .iter()
            .map(|entry| bib_entry(path, block.range.clone(), entry))
            .collect()),
        Err(error) => {
            let start = error.span.start.saturating_sub(prefix_len);
            let offset = block.range.start + start.min(source.len());
            Err(problem(
                path,
                block.range.clone(),
                format!(
                    "cannot parse this entry: {} (line {})",
                    error.kind,
                    line_of(text, offset)
                ),
            ))
        }
    }
}

/// How deep `@string` definitions may refer to one another. biblatex expands them recursively, so
/// a definition that refers to itself would overflow the stack (and kill the process).
const MAX_ABBREVIATION_DEPTH: usize = 32;

/// How long an abbreviation, or what an entry's abbreviations add to it, may be once expanded.
/// biblatex expands them in memory: ten lines of @strings each ten times the one before
/// ("billion laughs") would take it 10 GB, and the loader never returned.
const MAX_EXPANDED_CHARS: u64 = 100_000;

/// One `name = value # other` of an `@string` (or a field of an entry).
struct StringDefinition {
    /// Lowercase, as BibTeX compares them.
    name: String,
    /// The abbreviations the value refers to, once per use.
    references: Vec<String>,
    /// The characters the value holds itself (quoted, braced, numbers).
    literal: u64,
}

/// The definitions of an `@string{name = value # other, …}` block, or the fields of an entry
/// (what comes before the first comma, its key, is no definition).
fn string_definitions(block: &str) -> Vec<StringDefinition> {
    let Some(open) = block.find(['{', '(']) else {
        return Vec::new();
    };
    let body = block.get(open + 1..).unwrap_or("");
    let body = body.strip_suffix(['}', ')']).unwrap_or(body);
    let mut definitions = Vec::new();
    let mut current: Option<StringDefinition> = None;
    let mut word = String::new();
    let mut depth = 0usize;
    let mut in_quotes = false;
    let flush = |word: &mut String, current: &mut Option<StringDefinition>| {
        let name = std::mem::take(word).to_lowercase();
        let Some(definition) = current.as_mut() else {
            return;
        };
        if name.chars().next().is_some_and(|c| !c.is_ascii_digit()) {
            definition.references.push(name);
        } else {
            definition.literal += name.len() as u64;
        }
    };
    for c in body.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            '"' if depth == 0 => in_quotes = !in_quotes,
            _ if depth > 0 || in_quotes => {
                if let Some(definition) = current.as_mut() {
                    definition.literal += c.len_utf8() as u64;
                }
            }
            '=' if current.is_none() || word.is_empty() => {
                let name = std::mem::take(&mut word).to_lowercase();
                if !name.is_empty() {
                    current = Some(StringDefinition {
                        name,
                        references: Vec::new(),
                        literal: 0,
                    });
                }
            }
            ',' => {
                flush(&mut word, &mut current);
                definitions.extend(current.take());
            }
            '#' => flush(&mut word, &mut current),
            c if c.is_whitespace() => {
                if current.is_some() {
                    flush(&mut word, &mut current);
                }
            }
            c => word.push(c),
        }
    }
    flush(&mut word, &mut current);
    definitions.extend(current);
    definitions
}

/// Each abbreviation's length once expanded (saturating), computed by relaxation like
/// `runaway_abbreviations` (which are left out: they never end).
fn expanded_sizes<'a>(
    definitions: impl Iterator<Item = &'a StringDefinition> + Clone,
    runaway: &std::collections::HashSet<String>,
) -> std::collections::HashMap<String, u64> {
    let mut sizes: std::collections::HashMap<String, u64> = definitions
        .clone()
        .filter(|d| !runaway.contains(&d.name))
        .map(|d| (d.name.clone(), d.literal))
        .collect();
    for _ in 0..=MAX_ABBREVIATION_DEPTH {
        let mut changed = false;
        for definition in definitions.clone() {
            if runaway.contains(&definition.name) {
                continue;
            }
            let size = definition
                .references
                .iter()
                .map(|name| sizes.get(name).copied().unwrap_or(0))
                .fold(definition.literal, u64::saturating_add);
            if let Some(known) = sizes.get_mut(&definition.name)
                && *known != size
            {
                *known = size;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    sizes
}

/// The kept `@string` blocks an entry with `fields` needs (those defining what it refers to,
/// and what they refer to in turn), in file order, one per line.
fn needed_strings(
    fields: &[StringDefinition],
    kept: &[(&str, &[StringDefinition])],
    defined_in: &std::collections::HashMap<&str, usize>,
) -> String {
    let mut needed = std::collections::BTreeSet::new();
    let mut pending: Vec<&str> = fields
        .iter()
        .flat_map(|f| f.references.iter().map(String::as_str))
        .collect();
    while let Some(name) = pending.pop() {
        if let Some(&index) = defined_in.get(name)
            && needed.insert(index)
            && let Some((_, defined)) = kept.get(index)
        {
            pending.extend(
                defined
                    .iter()
                    .flat_map(|d| d.references.iter().map(String::as_str)),
            );
        }
    }
    needed
        .into_iter()
        .filter_map(|index| kept.get(index).map(|(text, _)| *text))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The abbreviations whose expansion never ends or nests deeper than `MAX_ABBREVIATION_DEPTH`
/// (depths computed by relaxation: a cycle keeps growing past the limit).
fn runaway_abbreviations<'a>(
    definitions: impl Iterator<Item = &'a StringDefinition>,
) -> std::collections::HashSet<String> {
    let graph: std::collections::HashMap<&str, Vec<&str>> = definitions
        .map(|d| {
            (
                d.name.as_str(),
                d.references.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    let mut depth: std::collections::HashMap<&str, usize> =
        graph.keys().map(|name| (*name, 0)).collect();
    for _ in 0..=MAX_ABBREVIATION_DEPTH {
        let mut changed = false;
        for (name, references) in &graph {
            let deepest = references
                .iter()
                .filter_map(|r| depth.get(r).map(|d| d + 1))
                .max()
                .unwrap_or(0)
                .min(MAX_ABBREVIATION_DEPTH + 1);
            if depth.get(name).is_some_and(|&d| deepest > d) {
                depth.insert(name, deepest);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    depth
        .into_iter()
        .filter(|&(_, d)| d > MAX_ABBREVIATION_DEPTH)
        .map(|(name, _)| name.to_string())
        .collect()
}

fn bib_entry(path: &Path, range: ByteRange, entry: &biblatex::Entry) -> BibEntry {
    let field = |name: &str| {
        entry
            .get(name)
            .map(|chunks| clean_tex(&chunks.format_verbatim()))
            .filter(|value| !value.is_empty())
    };
    let authors = match entry.author() {
        Ok(people) => people.iter().map(person_name).collect(),
        Err(_) => field("editor").into_iter().collect(),
    };
    let date = field("date").or_else(|| {
        let year = field("year")?;
        Some(match field("month").and_then(|m| month_number(&m)) {
            Some(month) => format!("{year}-{month:02}"),
            None => year,
        })
    });
    let container = [
        "journaltitle",
        "journal",
        "booktitle",
        "maintitle",
        "eventtitle",
    ]
    .iter()
    .find_map(|name| field(name))
    .or_else(|| {
        ["publisher", "organization", "institution", "howpublished"]
            .iter()
            .find_map(|name| field(name))
    });
    let files = entry
        .get("file")
        .map(|chunks| parse_file_field(&raw_text(chunks), &base_dir(path)))
        .unwrap_or_default();
    BibEntry {
        key: entry.key.clone(),
        entry_type: entry.entry_type.to_string(),
        title: field("title"),
        authors,
        date,
        container,
        url: entry.get("url").map(raw_text).filter(|u| !u.is_empty()),
        files,
        bib_path: path.to_path_buf(),
        range,
    }
}

/// A field's text as written (paths and URLs: no TeX processing).
fn raw_text(chunks: &[biblatex::Spanned<biblatex::Chunk>]) -> String {
    chunks
        .iter()
        .map(|c| c.v.get())
        .collect::<String>()
        .trim()
        .to_string()
}

/// "Family, Given" for a person, the name alone for an organisation (`{{The Politburo}}`).
fn person_name(person: &biblatex::Person) -> String {
    let family = [person.prefix.trim(), person.name.trim()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut name = family;
    if !person.suffix.trim().is_empty() {
        name = format!("{name}, {}", person.suffix.trim());
    }
    if !person.given_name.trim().is_empty() {
        name = format!("{name}, {}", person.given_name.trim());
    }
    clean_tex(&name)
}

/// TeX quotes and leftover braces made plain: ``x'' → “x”, `{A}` → `A`, `\&` → `&`.
fn clean_tex(text: &str) -> String {
    // One pass: each pattern starts with its own char or with `\` and its own second char, so
    // reading left to right finds what the replacements applied one after the other found;
    // braces go after the patterns are matched (`-{}-` stays two hyphens), then runs of white
    // space become one space, none at either end.
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let plain = match (c, next) {
            ('`', Some('`')) => Some('\u{201C}'),
            ('\'', Some('\'')) => Some('\u{201D}'),
            ('\\', Some(escaped @ ('&' | '%' | '_'))) => Some(escaped),
            ('-', Some('-')) => Some('\u{2013}'),
            _ => None,
        };
        let c = match plain {
            Some(plain) => {
                chars.next();
                plain
            }
            None => c,
        };
        if matches!(c, '{' | '}') {
            continue;
        }
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// `clean_tex` as it was written first, one replacement after the other: what the one pass must
/// give.
#[cfg(test)]
fn clean_tex_by_replacing(text: &str) -> String {
    let replaced = text
        .replace("``", "\u{201C}")
        .replace("''", "\u{201D}")
        .replace("\\&", "&")
        .replace("\\%", "%")
        .replace("\\_", "_")
        .replace("--", "\u{2013}");
    let without_braces: String = replaced
        .chars()
        .filter(|c| !matches!(c, '{' | '}'))
        .collect();
    without_braces
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn month_number(month: &str) -> Option<u32> {
    if let Ok(n) = month.trim().parse::<u32>() {
        return (1..=12).contains(&n).then_some(n);
    }
    let lower = month.trim().to_ascii_lowercase();
    let names = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    names
        .iter()
        .position(|name| lower.starts_with(name))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// The paths in a `file` field: plain (`notes/a.md`), Zotero/JabRef triples
/// (`Full Text:files/12/a.pdf:application/pdf`), several separated by `;`, with `\:` and `\\`
/// escapes (Windows paths). Relative paths are resolved against `base`.
pub fn parse_file_field(field: &str, base: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for item in split_unescaped(field, ';') {
        let parts = split_unescaped(&item, ':');
        let raw = match parts.as_slice() {
            [] => continue,
            [only] => only.clone(),
            // `description:path:type`; a bare Windows drive (`C:\x`) has two parts.
            [drive, rest] if drive.len() == 1 => format!("{drive}:{rest}"),
            [_, path] => path.clone(),
            [_, middle @ .., _] => middle.join(":"),
        };
        let unescaped = raw.replace("\\\\", "\\");
        let trimmed = unescaped.trim();
        if trimmed.is_empty() {
            continue;
        }
        let candidate = PathBuf::from(trimmed);
        files.push(if candidate.is_absolute() {
            candidate
        } else {
            base.join(candidate)
        });
    }
    files
}

/// Splits on `sep` where it is not escaped by a backslash, keeping other escapes.
fn split_unescaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&sep) {
            parts.last_mut().into_iter().for_each(|p| p.push(sep));
            chars.next();
        } else if c == '\\' && chars.peek() == Some(&'\\') {
            parts
                .last_mut()
                .into_iter()
                .for_each(|p| p.push_str("\\\\"));
            chars.next();
        } else if c == sep {
            parts.push(String::new());
        } else {
            parts.last_mut().into_iter().for_each(|p| p.push(c));
        }
    }
    parts
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .get(..offset.min(text.len()))
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

// ---------------------------------------------------------------------------------------------
// CSL JSON

#[derive(serde::Deserialize)]
struct CslItem {
    id: Option<serde_json::Value>,
    #[serde(rename = "type", default)]
    item_type: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    author: Vec<CslName>,
    #[serde(default)]
    editor: Vec<CslName>,
    #[serde(default)]
    issued: Option<CslDate>,
    #[serde(rename = "container-title", default)]
    container_title: Option<String>,
    #[serde(default)]
    publisher: Option<String>,
    #[serde(rename = "URL", default)]
    url: Option<String>,
    /// Not CSL, but what exporters that keep attachments write.
    #[serde(default)]
    file: Option<serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct CslName {
    #[serde(default)]
    family: Option<String>,
    #[serde(default)]
    given: Option<String>,
    #[serde(default)]
    literal: Option<String>,
}

#[derive(serde::Deserialize)]
struct CslDate {
    #[serde(rename = "date-parts", default)]
    date_parts: Vec<Vec<serde_json::Value>>,
    #[serde(default)]
    raw: Option<String>,
    #[serde(default)]
    literal: Option<String>,
}

fn parse_csl_json(path: &Path, text: &str) -> (Vec<BibEntry>, Vec<Diagnostic>) {
    let items: Vec<serde_json::Value> = match serde_json::from_str(text) {
        Ok(serde_json::Value::Array(items)) => items,
        Ok(serde_json::Value::Object(map)) if map.contains_key("items") => match map.get("items") {
            Some(serde_json::Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        },
        Ok(_) => {
            return (
                Vec::new(),
                vec![problem(
                    path,
                    0..0,
                    "a CSL JSON bibliography must be an array of items".to_string(),
                )],
            );
        }
        Err(error) => {
            let offset = offset_of_line(text, error.line());
            return (
                Vec::new(),
                vec![problem(
                    path,
                    offset..offset,
                    format!("cannot parse CSL JSON: {error}"),
                )],
            );
        }
    };
    let mut entries: Vec<BibEntry> = Vec::new();
    let mut problems = Vec::new();
    let mut search_from = 0;
    for (index, value) in items.into_iter().enumerate() {
        let item: CslItem = match serde_json::from_value(value) {
            Ok(item) => item,
            Err(error) => {
                problems.push(problem(
                    path,
                    0..0,
                    format!("cannot read item {} of the CSL JSON: {error}", index + 1),
                ));
                continue;
            }
        };
        let key = match &item.id {
            Some(serde_json::Value::String(id)) => id.clone(),
            Some(serde_json::Value::Number(id)) => id.to_string(),
            _ => {
                problems.push(problem(
                    path,
                    0..0,
                    format!("item {} of the CSL JSON has no `id`", index + 1),
                ));
                continue;
            }
        };
        // The item's place: where its id is written, searching forward.
        let needle = format!("\"{key}\"");
        let range = match text.get(search_from..).and_then(|rest| rest.find(&needle)) {
            Some(at) => {
                let start = search_from + at;
                search_from = start + needle.len();
                start..start + needle.len()
            }
            None => 0..0,
        };
        if entries.iter().any(|e| e.key == key) {
            problems.push(Diagnostic::new(
                DiagnosticCode::DuplicateKey,
                path.to_path_buf(),
                range,
                format!("duplicate id `{key}` in the CSL JSON; this item is ignored"),
            ));
            continue;
        }
        let names = if item.author.is_empty() {
            &item.editor
        } else {
            &item.author
        };
        let authors = names
            .iter()
            .filter_map(|name| match (&name.literal, &name.family, &name.given) {
                (Some(literal), _, _) => Some(literal.clone()),
                (None, Some(family), Some(given)) => Some(format!("{family}, {given}")),
                (None, Some(family), None) => Some(family.clone()),
                (None, None, Some(given)) => Some(given.clone()),
                (None, None, None) => None,
            })
            .collect();
        let date = item.issued.as_ref().and_then(|issued| {
            let parts: Vec<String> = issued
                .date_parts
                .first()?
                .iter()
                .filter_map(|p| match p {
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    serde_json::Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            match parts.as_slice() {
                [] => None,
                [year] => Some(year.clone()),
                [year, month, rest @ ..] => {
                    let mut date = format!("{year}-{month:0>2}");
                    if let Some(day) = rest.first() {
                        date = format!("{date}-{day:0>2}");
                    }
                    Some(date)
                }
            }
            .or_else(|| issued.raw.clone())
            .or_else(|| issued.literal.clone())
        });
        let files = match &item.file {
            Some(serde_json::Value::String(field)) => parse_file_field(field, &base_dir(path)),
            Some(serde_json::Value::Array(list)) => list
                .iter()
                .filter_map(|f| f.as_str())
                .flat_map(|f| parse_file_field(f, &base_dir(path)))
                .collect(),
            _ => Vec::new(),
        };
        entries.push(BibEntry {
            key,
            entry_type: item.item_type.unwrap_or_else(|| "document".to_string()),
            title: item.title,
            authors,
            date,
            container: item.container_title.or(item.publisher),
            url: item.url,
            files,
            bib_path: path.to_path_buf(),
            range,
        });
    }
    (entries, problems)
}

fn offset_of_line(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The one pass gives what the replacements, brace removal and white-space collapsing
        /// gave one after the other.
        #[test]
        fn clean_tex_in_one_pass_is_the_replacements_in_turn(
            text in "(`|'|-|\\\\|&|%|_|\\{|\\}| |\n|\u{a0}|a|Xi|“){0,14}"
        ) {
            proptest::prop_assert_eq!(clean_tex(&text), clean_tex_by_replacing(&text));
        }
    }

    const BIB: &str = r#"@string{ibid = "Institute for Bridges"}

@article{halden2021,
  title = {The ``Riverbend'' Rule and {Its} Critics},
  author = {Halden, Mira and van der Berg, Jan},
  date = {2021-03-02},
  journaltitle = {Journal of River Law},
  url = {https://example.org/a_b?x=1},
  file = {sources/halden2021.md}
}

@online{broken2020,
  title = {No closing brace,
  author = {Nobody}

@report{council2019,
  author = {{The River Council}},
  title = {Annual Report},
  year = 2019,
  month = mar,
  institution = ibid,
  file = {Full Text:files/7/council.txt:text/plain;Snapshot:files/7/snap.html:text/html}
}

@misc{halden2021,
  title = {Again}
}
"#;

    #[test]
    fn bibtex_entries_metadata_and_problems() {
        let (entries, problems) = parse_bibliography(Path::new("/w/refs.bib"), BIB);
        let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, vec!["halden2021", "council2019"]);
        let halden = &entries[0];
        assert_eq!(halden.entry_type, "article");
        assert_eq!(
            halden.title.as_deref(),
            Some("The \u{201C}Riverbend\u{201D} Rule and Its Critics")
        );
        assert_eq!(halden.authors, vec!["Halden, Mira", "van der Berg, Jan"]);
        assert_eq!(halden.date.as_deref(), Some("2021-03-02"));
        assert_eq!(halden.container.as_deref(), Some("Journal of River Law"));
        assert_eq!(halden.url.as_deref(), Some("https://example.org/a_b?x=1"));
        assert_eq!(
            halden.files,
            vec![PathBuf::from("/w/sources/halden2021.md")]
        );
        assert!(BIB[halden.range.clone()].starts_with("@article{halden2021"));
        assert!(BIB[halden.range.clone()].ends_with('}'));

        let council = &entries[1];
        assert_eq!(council.authors, vec!["The River Council"]);
        assert_eq!(council.date.as_deref(), Some("2019-03"));
        assert_eq!(council.container.as_deref(), Some("Institute for Bridges"));
        assert_eq!(
            council.files,
            vec![
                PathBuf::from("/w/files/7/council.txt"),
                PathBuf::from("/w/files/7/snap.html")
            ]
        );

        let codes: Vec<DiagnosticCode> = problems.iter().map(|p| p.code).collect();
        assert_eq!(
            codes,
            vec![
                DiagnosticCode::BibliographyError,
                DiagnosticCode::DuplicateKey
            ]
        );
        assert!(BIB[problems[0].range.clone()].starts_with("@online{broken2020"));
        assert!(
            problems[1].message.contains("line 3"),
            "{}",
            problems[1].message
        );
    }

    #[test]
    fn file_fields() {
        let base = Path::new("/b");
        assert_eq!(
            parse_file_field("a.md", base),
            vec![PathBuf::from("/b/a.md")]
        );
        assert_eq!(
            parse_file_field(":/abs/x.txt:text/plain", base),
            vec![PathBuf::from("/abs/x.txt")]
        );
        assert_eq!(
            parse_file_field("PDF:C\\:\\\\Users\\\\me\\\\x.pdf:application/pdf", base),
            vec![base.join("C:\\Users\\me\\x.pdf")]
        );
        assert!(parse_file_field("", base).is_empty());
    }

    #[test]
    fn csl_json() {
        let json = r#"[
  {"id": "osei2022", "type": "report", "title": "Basin Water",
   "author": [{"family": "Osei", "given": "Kofi"}, {"literal": "Basin Office"}],
   "issued": {"date-parts": [[2022, 5]]}, "container-title": "Reports",
   "URL": "https://example.org", "file": "sources/osei2022.txt"},
  {"id": "osei2022", "title": "dup"},
  {"type": "book"}
]"#;
        let (entries, problems) = parse_bibliography(Path::new("/w/refs.json"), json);
        assert_eq!(entries.len(), 1);
        let osei = &entries[0];
        assert_eq!(osei.authors, vec!["Osei, Kofi", "Basin Office"]);
        assert_eq!(osei.date.as_deref(), Some("2022-05"));
        assert_eq!(osei.container.as_deref(), Some("Reports"));
        assert_eq!(osei.files, vec![PathBuf::from("/w/sources/osei2022.txt")]);
        assert_eq!(&json[osei.range.clone()], "\"osei2022\"");
        let codes: Vec<DiagnosticCode> = problems.iter().map(|p| p.code).collect();
        assert_eq!(
            codes,
            vec![
                DiagnosticCode::DuplicateKey,
                DiagnosticCode::BibliographyError
            ]
        );
        let (_, broken) = parse_bibliography(Path::new("/w/refs.json"), "[\n{\"id\": }\n]");
        assert!(
            broken[0].message.starts_with("cannot parse CSL JSON"),
            "{}",
            broken[0].message
        );
    }

    #[test]
    fn self_referring_strings_are_left_out_not_expanded_forever() {
        // Each of these overflowed the stack inside biblatex (found by the `loaders` fuzz target).
        for bib in [
            "@string{a = a}\n@book{k, title = a}\n",
            "@string{a = b}\n@string{b = a}\n@book{k, title = a}\n",
            "@string{a = \"x\" # a # {y}}\n@book{k, title = a}\n",
            "@string{A = {x}, b = a # B}\n@book{k, title = b}\n",
        ] {
            let (_, problems) = parse_bibliography(Path::new("/w/refs.bib"), bib);
            assert!(
                problems
                    .iter()
                    .any(|p| p.message.contains("refers to itself")),
                "{bib:?}: {problems:?}"
            );
        }
        let chain: String = (0..40)
            .map(|i| format!("@string{{s{i} = s{}}}\n", i + 1))
            .chain(["@string{s40 = {end}}\n@book{k, title = s0}\n".to_string()])
            .collect();
        let (_, problems) = parse_bibliography(Path::new("/w/refs.bib"), &chain);
        assert!(!problems.is_empty(), "a chain of 40 is too deep");
        // Ordinary abbreviations still expand.
        let fine = "@string{ibid = \"Institute\"}\n@string{full = ibid # \" for Bridges\"}\n\
                    @book{k, title = {T}, publisher = full}\n";
        let (entries, problems) = parse_bibliography(Path::new("/w/refs.bib"), fine);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn strings_that_multiply_are_left_out_not_expanded() {
        // "Billion laughs": each @string ten times the one before; `j` would be 10¹⁰ characters.
        let mut bib = String::from("@string{a = \"0123456789\"}\n");
        for pair in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].windows(2) {
            let uses = [pair[0]; 10].join(" # ");
            bib.push_str(&format!("@string{{{} = {uses}}}\n", pair[1]));
        }
        bib.push_str("@book{big, title = j}\n@book{fine, title = c # { and more}}\n");
        let (entries, problems) = parse_bibliography(Path::new("/w/refs.bib"), &bib);
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        // `e` is 100,000 characters, at the limit; `f` to `j` are past it.
        let refused: Vec<&str> = ["f", "g", "h", "i", "j"]
            .into_iter()
            .filter(|name| {
                messages.contains(
                    &format!(
                        "the @string `{name}` expands to more than 100000 characters (its \
                         @strings refer to others many times over); it is left out"
                    )
                    .as_str(),
                )
            })
            .collect();
        assert_eq!(refused.len(), 5, "{messages:?}");
        assert!(messages.contains(
            &"this entry's @string abbreviations expand to more than 100000 characters; it is \
              left out"
        ));
        assert_eq!(entries.len(), 1, "{messages:?}");
        assert_eq!(entries[0].key, "fine");
        assert_eq!(entries[0].title.as_deref().map(str::len), Some(1009));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "@",
            "@{",
            "@article{",
            "@article(x, title={a})",
            "}}}@@",
            "@article{k,\n@misc{j,}",
        ] {
            let _ = parse_bibliography(Path::new("x.bib"), text);
        }
    }
}

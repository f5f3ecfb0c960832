//! The notes' own glossary: Pandoc definition lists (a term line, then one or more `: definition`
//! lines), with optional aliases from the frontmatter (`glossary: { Term: { aliases: [...] } }`
//! or `aliases:` under a term).
//!
//! tree-sitter-md has no definition lists: they arrive as paragraphs (`Term\n: definition`), or as
//! a one-line paragraph followed by paragraphs that start with `:` (blank line between). A
//! definition line starts with `:` or `~` (indented by up to two spaces) and a space; later lines
//! of a definition continue it. Several definitions of one term are joined by a space.

use yaml_rust2::Yaml;

use crate::ByteRange;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlossaryEntry {
    pub term: String,
    pub term_range: ByteRange,
    /// The definition text (several `:` lines joined by a space).
    pub definition: String,
    pub definition_range: ByteRange,
    pub aliases: Vec<String>,
}

/// The definition lists found among a note's paragraphs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DefinitionLists {
    pub entries: Vec<GlossaryEntry>,
    /// Indices (into the paragraphs given) of the paragraphs that are part of a definition list.
    pub definition_blocks: Vec<usize>,
}

/// One line of a paragraph, without its line break.
#[derive(Debug, Clone, Copy)]
struct Line<'t> {
    text: &'t str,
    start: usize,
}

impl Line<'_> {
    /// For a definition line (`: text`, `~ text`): the offset where its text starts.
    fn definition_text_start(&self) -> Option<usize> {
        let indent = self.text.len() - self.text.trim_start_matches(' ').len();
        if indent > 2 {
            return None;
        }
        let rest = &self.text[indent..];
        let marker = rest.chars().next().filter(|c| matches!(c, ':' | '~'))?;
        let after = &rest[marker.len_utf8()..];
        let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
        (spaces > 0 && !after.trim().is_empty())
            .then_some(self.start + indent + marker.len_utf8() + spaces)
    }

    fn is_definition(&self) -> bool {
        self.definition_text_start().is_some()
    }

    fn is_indented(&self) -> bool {
        self.text.starts_with([' ', '\t'])
    }

    fn end(&self) -> usize {
        self.start + self.text.len()
    }
}

fn lines_of<'t>(text: &'t str, range: &ByteRange) -> Vec<Line<'t>> {
    let Some(slice) = text.get(range.clone()) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    let mut start = range.start;
    for piece in slice.split('\n') {
        let without_cr = piece.strip_suffix('\r').unwrap_or(piece);
        lines.push(Line {
            text: without_cr,
            start,
        });
        start += piece.len() + 1;
    }
    lines
}

/// An entry being built.
#[derive(Debug, Clone)]
struct Draft {
    term: String,
    term_range: ByteRange,
    /// Definitions, each as its pieces of text (one per line).
    definitions: Vec<Vec<ByteRange>>,
}

impl Draft {
    fn finish(self, text: &str) -> Option<GlossaryEntry> {
        let first = self.definitions.first()?.first()?.start;
        let last = self.definitions.last()?.last()?.end;
        let definition = self
            .definitions
            .iter()
            .map(|pieces| {
                let joined: Vec<&str> = pieces
                    .iter()
                    .filter_map(|piece| text.get(piece.clone()))
                    .collect();
                super::blocks::collapse_whitespace(&joined.join(" "))
            })
            .collect::<Vec<_>>()
            .join(" ");
        Some(GlossaryEntry {
            term: self.term,
            term_range: self.term_range,
            definition,
            definition_range: first..last,
            aliases: Vec::new(),
        })
    }
}

/// Finds definition lists among `paragraphs` (the note's blocks in order; `None` for blocks that
/// are not top-level paragraphs). `masked` gives terms without markup.
pub(crate) fn definition_lists(
    text: &str,
    masked: &str,
    paragraphs: &[Option<ByteRange>],
) -> DefinitionLists {
    let mut found = DefinitionLists::default();
    let adjacent = |a: &ByteRange, b: &ByteRange| {
        a.end <= b.start
            && text
                .get(a.end..b.start)
                .is_some_and(|gap| gap.trim().is_empty())
    };
    let starts_with_definition = |range: &ByteRange| {
        lines_of(text, range)
            .first()
            .is_some_and(Line::is_definition)
    };
    let mut index = 0;
    while index < paragraphs.len() {
        let Some(range) = paragraphs[index].clone() else {
            index += 1;
            continue;
        };
        let lines = lines_of(text, &range);
        let first_is_term = lines
            .first()
            .is_some_and(|l| !l.is_definition() && !l.text.trim().is_empty());
        let defined_inside = lines.get(1).is_some_and(Line::is_definition);
        let next = paragraphs.get(index + 1).cloned().flatten();
        let defined_next = lines.len() == 1
            && next
                .as_ref()
                .is_some_and(|n| adjacent(&range, n) && starts_with_definition(n));
        if !(first_is_term && (defined_inside || defined_next)) {
            index += 1;
            continue;
        }
        // The group: this paragraph and the adjacent ones that start with a definition line.
        let mut group = vec![index];
        let mut last = range.clone();
        while let Some(Some(candidate)) = paragraphs.get(group.len() + index) {
            if adjacent(&last, candidate) && starts_with_definition(candidate) {
                group.push(index + group.len());
                last = candidate.clone();
            } else {
                break;
            }
        }
        let mut draft: Option<Draft> = None;
        for &member in &group {
            let Some(member_range) = paragraphs[member].as_ref() else {
                continue;
            };
            let lines = lines_of(text, member_range);
            for (line_index, line) in lines.iter().enumerate() {
                if let Some(definition_start) = line.definition_text_start() {
                    if let Some(current) = draft.as_mut() {
                        let first_line = definition_start..line.end();
                        current.definitions.push(vec![first_line]);
                    }
                    continue;
                }
                let next_is_definition = lines.get(line_index + 1).is_some_and(Line::is_definition);
                let continues = draft.as_ref().is_some_and(|d| !d.definitions.is_empty())
                    && (line.is_indented() || !next_is_definition);
                if continues {
                    if let Some(piece) = draft.as_mut().and_then(|d| d.definitions.last_mut()) {
                        let trimmed_start =
                            line.start + (line.text.len() - line.text.trim_start().len());
                        piece.push(trimmed_start..line.end());
                    }
                } else if line_index == 0 || next_is_definition {
                    if let Some(done) = draft.take().and_then(|d| d.finish(text)) {
                        found.entries.push(done);
                    }
                    let term_range = trim(text, line.start..line.end());
                    let plain = super::blocks::collapse_whitespace(
                        masked.get(term_range.clone()).unwrap_or(""),
                    );
                    let term = if plain.is_empty() {
                        super::blocks::collapse_whitespace(
                            text.get(term_range.clone()).unwrap_or(""),
                        )
                    } else {
                        plain
                    };
                    draft = Some(Draft {
                        term,
                        term_range,
                        definitions: Vec::new(),
                    });
                }
            }
        }
        if let Some(done) = draft.take().and_then(|d| d.finish(text)) {
            found.entries.push(done);
        }
        found.definition_blocks.extend(group.iter().copied());
        index += group.len();
    }
    found
}

fn trim(text: &str, range: ByteRange) -> ByteRange {
    let Some(slice) = text.get(range.clone()) else {
        return range;
    };
    let start = range.start + (slice.len() - slice.trim_start().len());
    start..start + slice.trim().len()
}

/// Adds aliases from the frontmatter to the entries: `glossary:` maps a term to a list of aliases
/// (or one alias, or `{aliases: [...]}`); a top-level `aliases:` maps a term to its aliases.
/// Terms match exactly, else ignoring case.
pub(crate) fn apply_aliases(entries: &mut [GlossaryEntry], yaml: Option<&Yaml>) {
    let Some(Yaml::Hash(root)) = yaml else {
        return;
    };
    for section in ["glossary", "aliases"] {
        let Some(Yaml::Hash(terms)) = root.get(&Yaml::String(section.to_owned())) else {
            continue;
        };
        for (term, value) in terms {
            let Some(term) = yaml_scalar(term) else {
                continue;
            };
            let aliases = match value {
                Yaml::Hash(fields) => fields
                    .get(&Yaml::String("aliases".to_owned()))
                    .map(yaml_strings)
                    .unwrap_or_default(),
                other => yaml_strings(other),
            };
            let position = entries.iter().position(|e| e.term == term).or_else(|| {
                entries
                    .iter()
                    .position(|e| e.term.to_lowercase() == term.to_lowercase())
            });
            let Some(entry) = position.and_then(|i| entries.get_mut(i)) else {
                tracing::debug!("frontmatter aliases for `{term}`, which the note does not define");
                continue;
            };
            for alias in aliases {
                if !alias.is_empty() && alias != entry.term && !entry.aliases.contains(&alias) {
                    entry.aliases.push(alias);
                }
            }
        }
    }
}

fn yaml_scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.trim().to_owned()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn yaml_strings(value: &Yaml) -> Vec<String> {
    match value {
        Yaml::Array(items) => items.iter().filter_map(yaml_scalar).collect(),
        other => yaml_scalar(other).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(text: &str, paragraphs: &[&str]) -> DefinitionLists {
        let ranges: Vec<Option<ByteRange>> = paragraphs
            .iter()
            .map(|p| {
                let start = text.find(p).expect("fixture paragraph in text");
                Some(start..start + p.len())
            })
            .collect();
        definition_lists(text, text, &ranges)
    }

    #[test]
    fn term_and_definitions_in_one_paragraph() {
        let text = "Widget\n: A small thing\n  that spins.\n: Also a gadget.\n\nOther\n";
        let found = lists(
            text,
            &[
                "Widget\n: A small thing\n  that spins.\n: Also a gadget.",
                "Other",
            ],
        );
        assert_eq!(found.definition_blocks, vec![0]);
        let [entry] = found.entries.as_slice() else {
            panic!("one entry expected: {found:?}");
        };
        assert_eq!(entry.term, "Widget");
        assert_eq!(&text[entry.term_range.clone()], "Widget");
        assert_eq!(entry.definition, "A small thing that spins. Also a gadget.");
        assert_eq!(
            &text[entry.definition_range.clone()],
            "A small thing\n  that spins.\n: Also a gadget."
        );
    }

    #[test]
    fn blank_line_between_term_and_definitions_and_compact_terms() {
        let text =
            "Gizmo\n\n:   First sense.\n\n~   Second sense.\n\nAlpha\n  ~ one\nBeta\n  ~ two\n";
        let found = lists(
            text,
            &[
                "Gizmo",
                ":   First sense.",
                "~   Second sense.",
                "Alpha\n  ~ one\nBeta\n  ~ two",
            ],
        );
        assert_eq!(found.definition_blocks, vec![0, 1, 2, 3]);
        let summary: Vec<(&str, &str)> = found
            .entries
            .iter()
            .map(|e| (e.term.as_str(), e.definition.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("Gizmo", "First sense. Second sense."),
                ("Alpha", "one"),
                ("Beta", "two")
            ]
        );
    }

    #[test]
    fn plain_paragraphs_with_colons_are_not_definitions() {
        let text = "Note: this is prose.\nIt goes on: really.\n\nA single line\n\nAnother: one\n";
        let found = lists(
            text,
            &[
                "Note: this is prose.\nIt goes on: really.",
                "A single line",
                "Another: one",
            ],
        );
        assert_eq!(found, DefinitionLists::default());
    }

    #[test]
    fn aliases_from_frontmatter() {
        let yaml = yaml_rust2::YamlLoader::load_from_str(
            "glossary:\n  Widget: [wdg, widgets]\n  gizmo:\n    aliases: [gz]\naliases:\n  Widget: thingy\n  Missing: [x]\n",
        )
        .expect("valid yaml")
        .remove(0);
        let entry = |term: &str| GlossaryEntry {
            term: term.to_owned(),
            term_range: 0..0,
            definition: String::new(),
            definition_range: 0..0,
            aliases: Vec::new(),
        };
        let mut entries = vec![entry("Widget"), entry("Gizmo")];
        apply_aliases(&mut entries, Some(&yaml));
        assert_eq!(entries[0].aliases, vec!["wdg", "widgets", "thingy"]);
        assert_eq!(entries[1].aliases, vec!["gz"]);
    }
}

//! YAML frontmatter (`---` … `---` at the top of a file), shared by sources (`id:`, `title:`...)
//! and notes (glossary `aliases:`).

use crate::ByteRange;

/// A file's frontmatter: its byte range (both fences included) and the parsed YAML, when valid.
#[derive(Debug, Clone)]
pub struct Frontmatter {
    pub range: ByteRange,
    pub yaml: Option<yaml_rust2::Yaml>,
    /// Why the YAML did not parse, with its line.
    pub error: Option<String>,
    /// The line of the file the YAML error is on (without its line break), inside `range`.
    pub error_range: Option<ByteRange>,
}

impl Frontmatter {
    /// The value of a top-level string key (`id`, `title`), when the YAML is a mapping.
    pub fn string(&self, key: &str) -> Option<String> {
        yaml_string(self.get(key)?)
    }

    /// The values of a top-level key that holds a string or a list of strings (`author`,
    /// `aliases`).
    pub fn strings(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(yaml_rust2::Yaml::Array(items)) => items.iter().filter_map(yaml_string).collect(),
            Some(value) => yaml_string(value).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// The value of a top-level key, when the YAML is a mapping.
    pub fn get(&self, key: &str) -> Option<&yaml_rust2::Yaml> {
        match self.yaml.as_ref()? {
            yaml_rust2::Yaml::Hash(hash) => hash.get(&yaml_rust2::Yaml::String(key.to_string())),
            _ => None,
        }
    }
}

/// A scalar as text (numbers and dates unquoted in YAML come out as written).
fn yaml_string(value: &yaml_rust2::Yaml) -> Option<String> {
    use yaml_rust2::Yaml;
    let text = match value {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(n) => n.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        _ => return None,
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Splits off the frontmatter, if the text starts with one: a first line `---`, a closing line
/// `---` or `...`. The range runs to the end of the closing line (its line break included).
pub fn parse_frontmatter(text: &str) -> Option<Frontmatter> {
    let text_body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let bom = text.len() - text_body.len();
    let mut lines = line_spans(text_body);
    let (first, first_end) = lines.next()?;
    if first.trim_end() != "---" {
        return None;
    }
    let yaml_start = first_end;
    for (line, end) in lines {
        let fence = line.trim_end();
        if fence == "---" || fence == "..." {
            let line_start = end - line.len() - line_terminator_len(text_body, end);
            let yaml_text = text_body.get(yaml_start..line_start).unwrap_or("");
            let (yaml, error) = parse_yaml(yaml_text);
            let error_range = error.as_ref().map(|(_, line)| {
                // `line` counts the opening fence as line 1; stay inside the frontmatter.
                let wanted = line.saturating_sub(1);
                let (line_text, line_end) = line_spans(text_body)
                    .take(wanted + 1)
                    .take_while(|&(_, line_end)| line_end <= end)
                    .last()
                    .unwrap_or((first, first_end));
                let line_start =
                    line_end - line_text.len() - line_terminator_len(text_body, line_end);
                bom + line_start..bom + line_start + line_text.len()
            });
            return Some(Frontmatter {
                range: 0..bom + end,
                yaml,
                error: error.map(|(message, _)| message),
                error_range,
            });
        }
    }
    None
}

/// Each line without its terminator, with the offset just past its terminator. A line ends at
/// `\n`, `\r\n` or a lone `\r` (classic Mac files), as everywhere else in ibid.
fn line_spans(text: &str) -> impl Iterator<Item = (&str, usize)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= text.len() {
            return None;
        }
        let rest = text.get(at..)?;
        let (line, consumed) = match rest.find(['\n', '\r']) {
            Some(end) => {
                let terminator = if rest[end..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                (rest.get(..end)?, end + terminator)
            }
            None => (rest, rest.len()),
        };
        at += consumed;
        Some((line, at))
    })
}

/// The length of the line terminator that ends just before `end` (0, 1 or 2 bytes).
fn line_terminator_len(text: &str, end: usize) -> usize {
    let before = text.get(..end).unwrap_or("");
    if before.ends_with("\r\n") {
        2
    } else if before.ends_with(['\n', '\r']) {
        1
    } else {
        0
    }
}

/// Parses the YAML between the fences; the error names its line in the file (the YAML starts on
/// line 2), and comes with that line number.
fn parse_yaml(yaml_text: &str) -> (Option<yaml_rust2::Yaml>, Option<(String, usize)>) {
    if let Some(line) = aliases_expand_too_far(yaml_text) {
        let message = format!(
            "invalid YAML frontmatter at line {line}: its aliases expand to more than \
             {MAX_EXPANDED_VALUES} values (aliases of aliases multiply)"
        );
        return (None, Some((message, line)));
    }
    let loaded = std::panic::catch_unwind(|| yaml_rust2::YamlLoader::load_from_str(yaml_text));
    match loaded {
        Ok(Ok(documents)) => {
            let yaml = documents
                .into_iter()
                .next()
                .unwrap_or(yaml_rust2::Yaml::Null);
            (Some(yaml), None)
        }
        Ok(Err(error)) => {
            let line = error.marker().line() + 1;
            (
                None,
                Some((
                    format!("invalid YAML frontmatter at line {line}: {}", error.info()),
                    line,
                )),
            )
        }
        Err(_) => (
            None,
            Some((
                "invalid YAML frontmatter: the YAML parser failed".to_string(),
                1,
            )),
        ),
    }
}

/// The most values a frontmatter may hold with its aliases expanded. The YAML loader copies what
/// an alias refers to, so a few lines whose aliases refer to aliases nine deep ("billion laughs")
/// would fill the memory: 4 GB in a second before this check.
const MAX_EXPANDED_VALUES: u64 = 100_000;

/// The line (counted as in `parse_yaml`'s errors) where the YAML's values, aliases expanded,
/// first number more than `MAX_EXPANDED_VALUES`; `None` when they do not. One pass over the
/// parser's events, nothing expanded.
fn aliases_expand_too_far(yaml_text: &str) -> Option<usize> {
    use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
    use yaml_rust2::scanner::Marker;

    #[derive(Default)]
    struct ExpandedSize {
        /// Each anchor's size, expanded.
        anchored: std::collections::HashMap<usize, u64>,
        /// The sequences and mappings open: anchor and size so far.
        open: Vec<(usize, u64)>,
        total: u64,
        too_far_at: Option<usize>,
    }

    impl MarkedEventReceiver for ExpandedSize {
        fn on_event(&mut self, event: Event, mark: Marker) {
            let size = match event {
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    self.open.push((anchor, 1));
                    return;
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some((anchor, size)) = self.open.pop() else {
                        return;
                    };
                    if anchor > 0 {
                        self.anchored.insert(anchor, size);
                    }
                    return self.add(mark, size);
                }
                Event::Scalar(_, _, anchor, _) => {
                    if anchor > 0 {
                        self.anchored.insert(anchor, 1);
                    }
                    1
                }
                Event::Alias(anchor) => self.anchored.get(&anchor).copied().unwrap_or(1),
                _ => return,
            };
            self.add(mark, size);
        }
    }

    impl ExpandedSize {
        fn add(&mut self, mark: Marker, size: u64) {
            let grown = match self.open.last_mut() {
                Some((_, parent)) => parent,
                None => &mut self.total,
            };
            *grown = grown.saturating_add(size);
            if *grown > MAX_EXPANDED_VALUES && self.too_far_at.is_none() {
                self.too_far_at = Some(mark.line() + 1);
            }
        }
    }

    let mut sizes = ExpandedSize::default();
    // Counted up to a syntax error too: the loader would expand what comes before it.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Parser::new_from_str(yaml_text).load(&mut sizes, true)
    }));
    sizes.too_far_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_that_multiply_are_refused_at_their_line() {
        // "Billion laughs": each line nine aliases of the one before; `i` expands to 9⁹ values.
        let mut text = String::from("---\ntitle: Fine\na: &a [x, x, x, x, x, x, x, x, x]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in names.windows(2) {
            let aliases = vec![format!("*{}", pair[0]); 9].join(", ");
            text.push_str(&format!("{}: &{} [{aliases}]\n", pair[1], pair[1]));
        }
        text.push_str("---\nBody\n");
        let fm = parse_frontmatter(&text).expect("frontmatter");
        assert!(fm.yaml.is_none());
        // `f` is the first past 100,000 (9⁶ = 531,441): line 8 of the file.
        assert_eq!(
            fm.error.as_deref(),
            Some(
                "invalid YAML frontmatter at line 8: its aliases expand to more than 100000 \
                 values (aliases of aliases multiply)"
            )
        );
        let range = fm.error_range.expect("the error's line");
        assert!(text[range].starts_with("f: &f [*e, *e"));
        // The same before a syntax error: still refused, not expanded.
        let broken = text.replace("---\nBody", "oops: [\n---\nBody");
        let fm = parse_frontmatter(&broken).expect("frontmatter");
        assert!(fm.error.is_some_and(|e| e.contains("aliases expand")));
    }

    #[test]
    fn aliases_in_reason_are_read() {
        let text =
            "---\nbase: &b {role: editor}\nauthor: [*b, *b]\nid: &id smith2020\nkey: *id\n---\n";
        let fm = parse_frontmatter(text).expect("frontmatter");
        assert_eq!(fm.error, None);
        assert_eq!(fm.string("key").as_deref(), Some("smith2020"));
    }

    #[test]
    fn parses_mapping_between_dashes() {
        let text = "---\nid: smith2020\ntitle: A Title\nauthor: [Ann, Bob]\n---\nBody\n";
        let fm = parse_frontmatter(text).expect("frontmatter");
        assert_eq!(
            &text[fm.range.clone()],
            "---\nid: smith2020\ntitle: A Title\nauthor: [Ann, Bob]\n---\n"
        );
        assert_eq!(fm.error, None);
        assert_eq!(fm.string("id").as_deref(), Some("smith2020"));
        assert_eq!(fm.string("title").as_deref(), Some("A Title"));
        assert_eq!(
            fm.strings("author"),
            vec!["Ann".to_string(), "Bob".to_string()]
        );
        assert_eq!(fm.strings("missing"), Vec::<String>::new());
    }

    #[test]
    fn closes_with_dots_and_crlf() {
        let text = "---\r\nid: x\r\n...\r\nrest";
        let fm = parse_frontmatter(text).expect("frontmatter");
        assert_eq!(&text[fm.range.clone()], "---\r\nid: x\r\n...\r\n");
        assert_eq!(fm.string("id").as_deref(), Some("x"));
    }

    #[test]
    fn closing_fence_at_end_of_file() {
        let text = "---\nid: 2020\n---";
        let fm = parse_frontmatter(text).expect("frontmatter");
        assert_eq!(fm.range, 0..text.len());
        assert_eq!(fm.string("id").as_deref(), Some("2020"));
    }

    #[test]
    fn lone_carriage_returns_end_lines() {
        let text = "---\rid: x\rtitle: a: b\r---\rbody";
        let fm = parse_frontmatter(text).expect("frontmatter");
        assert_eq!(&text[fm.range.clone()], "---\rid: x\rtitle: a: b\r---\r");
        let error_range = fm.error_range.expect("the YAML error has a line");
        assert_eq!(&text[error_range], "title: a: b");
        let good = parse_frontmatter("---\rid: x\r...\rrest").expect("frontmatter");
        assert_eq!(good.string("id").as_deref(), Some("x"));
    }

    #[test]
    fn empty_frontmatter() {
        let fm = parse_frontmatter("---\n---\ntext").expect("frontmatter");
        assert_eq!(fm.range, 0..8);
        assert_eq!(fm.error, None);
        assert_eq!(fm.string("id"), None);
    }

    #[test]
    fn no_frontmatter() {
        assert!(parse_frontmatter("text\n---\nid: x\n---\n").is_none());
        assert!(parse_frontmatter("---\nid: x\nno closing fence\n").is_none());
        assert!(parse_frontmatter("").is_none());
        assert!(parse_frontmatter("----\nid: x\n----\n").is_none());
    }

    #[test]
    fn invalid_yaml_keeps_range_and_reports_line() {
        let text = "---\nid: x\ntitle: [unclosed\n---\nbody";
        let fm = parse_frontmatter(text).expect("frontmatter");
        assert_eq!(
            &text[fm.range.clone()],
            "---\nid: x\ntitle: [unclosed\n---\n"
        );
        assert!(fm.yaml.is_none());
        let error = fm.error.expect("error");
        assert!(error.contains("line "), "{error}");
    }

    #[test]
    fn error_range_is_the_error_line_inside_the_frontmatter() {
        let text = "\u{FEFF}---\r\nid: x\r\ntitle: a: b\r\n---\r\nbody";
        let fm = parse_frontmatter(text).expect("frontmatter");
        let range = fm.error_range.expect("error range");
        assert_eq!(&text[range], "title: a: b");
        // An error reported past the YAML (end of stream) stays on the closing fence at worst.
        let text = "---\ntitle: [unclosed\n---\nbody [x] here\n";
        let fm = parse_frontmatter(text).expect("frontmatter");
        let range = fm.error_range.expect("error range");
        assert!(
            range.end <= fm.range.end,
            "{range:?} outside {:?}",
            fm.range
        );
        assert!(!text[range].is_empty());
        assert_eq!(
            parse_frontmatter("---\nid: x\n---\n").and_then(|f| f.error_range),
            None
        );
    }

    #[test]
    fn invalid_yaml_line_number_counts_the_fence() {
        let text = "---\nid: x\ntitle: a: b\n---\n";
        let fm = parse_frontmatter(text).expect("frontmatter");
        expect_test::expect![
            "invalid YAML frontmatter at line 3: mapping values are not allowed in this context"
        ]
        .assert_eq(&fm.error.expect("error"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "---",
            "---\n",
            "---\n---",
            "---\n\u{0}\n---",
            "\u{FEFF}---\nid: y\n---\n",
            "---\n[[[[[[[[\n---",
        ] {
            let _ = parse_frontmatter(text);
        }
        let fm = parse_frontmatter("\u{FEFF}---\nid: y\n---\nz").expect("frontmatter after a BOM");
        assert_eq!(fm.range, 0..17);
    }
}

//! `ibid.toml`: which files are sources and notes, the bibliography, and per-check settings.
//! Unknown keys and bad values are errors that name the key and the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::diagnostic::{DiagnosticCode, Severity};
use crate::workspace::WorkspaceError;

/// Severity of one check, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeveritySetting {
    Off,
    On(Severity),
}

/// Settings for the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSettings {
    /// Quotations with fewer words are resolved (for go-to-source) but never reported.
    pub min_quote_words: usize,
    /// The minimum support score (0 to 1) a cited source must reach for a claim to count as
    /// backed: higher is stricter (`claim-strictness`).
    pub claim_strictness: f32,
    /// Per-code severity overrides.
    pub severity: BTreeMap<DiagnosticCode, SeveritySetting>,
}

/// The default `claim-strictness` (calibrated on tests/claims/eval.toml).
pub const DEFAULT_CLAIM_STRICTNESS: f32 = 0.3;

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            min_quote_words: 3,
            claim_strictness: DEFAULT_CLAIM_STRICTNESS,
            severity: BTreeMap::new(),
        }
    }
}

impl CheckSettings {
    /// The effective severity of `code`: the override, else the code's default.
    pub fn severity_of(&self, code: DiagnosticCode) -> Option<Severity> {
        match self.severity.get(&code) {
            Some(SeveritySetting::Off) => None,
            Some(SeveritySetting::On(s)) => Some(*s),
            None => Some(code.default_severity()),
        }
    }
}

/// The parsed `ibid.toml` (or the defaults).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// Globs (relative to the root) of source files; empty means the default discovery.
    pub corpus: Vec<String>,
    /// Globs of notes files; empty means the default discovery.
    pub notes: Vec<String>,
    /// Bibliography files, relative to the root.
    pub bibliography: Vec<PathBuf>,
    pub checks: CheckSettings,
    /// The on-disk cache of the corpus (`cache = false`, or `cache = "folder"`).
    pub cache: CacheSetting,
    /// Whether globs, bibliography paths and the cache folder may point outside the workspace
    /// root. Never from `ibid.toml` (a workspace must not grant itself access to the rest of the
    /// disk): only the user's own settings — `--allow-outside-root`, `IBID_ALLOW_OUTSIDE_ROOT=1`,
    /// or the editor setting `allowOutsideRoot`.
    pub allow_outside_root: bool,
}

/// Where the on-disk cache of the corpus lives (see `corpus::cache`). The `IBID_CACHE_DIR`
/// environment variable overrides any folder, but not `Off`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CacheSetting {
    /// `.ibid/` at the workspace root.
    #[default]
    Default,
    /// No cache (`cache = false`).
    Off,
    /// This folder (`cache = "folder"`, relative to the root).
    Dir(PathBuf),
}

impl Config {
    /// Parses `ibid.toml` text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, WorkspaceError> {
        ConfigFile::parse(text, path).map(|file| file.config)
    }

    /// Settings from an editor (the `ibid` section of the LSP settings, JSON). Accepts the same
    /// keys as `ibid.toml`, in kebab-case or camelCase, and `checks.severity` as a nested table.
    pub fn from_json(value: &serde_json::Value) -> Result<Config, String> {
        let layer = Layer::from_json(value)?;
        Ok(layer.into_config(None))
    }

    /// This configuration with `overlay`'s values where this one leaves a setting at its default
    /// (empty globs, no bibliography, no severity override, the default minimum words).
    pub fn with_overlay(mut self, overlay: &Config, set: ExplicitChecks) -> Config {
        if self.corpus.is_empty() {
            self.corpus = overlay.corpus.clone();
        }
        if self.notes.is_empty() {
            self.notes = overlay.notes.clone();
        }
        if self.bibliography.is_empty() {
            self.bibliography = overlay.bibliography.clone();
        }
        if !set.min_quote_words {
            self.checks.min_quote_words = overlay.checks.min_quote_words;
        }
        if !set.claim_strictness {
            self.checks.claim_strictness = overlay.checks.claim_strictness;
        }
        if self.cache == CacheSetting::Default {
            self.cache = overlay.cache.clone();
        }
        self.allow_outside_root |= overlay.allow_outside_root;
        for (code, setting) in &overlay.checks.severity {
            self.checks.severity.entry(*code).or_insert(*setting);
        }
        self
    }
}

/// Which of the numeric check settings an `ibid.toml` sets explicitly (so that editor settings
/// can fill in the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExplicitChecks {
    pub min_quote_words: bool,
    pub claim_strictness: bool,
}

/// A parsed `ibid.toml` and which of its defaults it sets explicitly.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ConfigFile {
    pub config: Config,
    pub set: ExplicitChecks,
}

impl ConfigFile {
    pub(crate) fn parse(text: &str, path: &Path) -> Result<ConfigFile, WorkspaceError> {
        let error = |offset: Option<usize>, message: String| WorkspaceError::Config {
            path: path.to_path_buf(),
            message: match offset {
                Some(offset) => format!("line {}: {message}", line_of(text, offset)),
                None => message,
            },
        };
        let table: Table = toml::from_str(text).map_err(|e| {
            error(
                e.span().map(|span| span.start),
                e.message().trim().to_string(),
            )
        })?;
        let mut layer = Layer::default();
        for (key, value) in &table {
            let at = Some(key.span().start);
            let field = |v: &Spanned<toml::Value>| FieldValue::Toml(v.get_ref().clone());
            match key.get_ref().as_str() {
                "corpus" => {
                    layer.corpus =
                        Some(string_list("corpus", field(value)).map_err(|m| error(at, m))?)
                }
                "notes" => {
                    layer.notes =
                        Some(string_list("notes", field(value)).map_err(|m| error(at, m))?)
                }
                "bibliography" => {
                    layer.bibliography =
                        Some(string_list("bibliography", field(value)).map_err(|m| error(at, m))?)
                }
                "cache" => {
                    layer.cache = Some(cache_setting(field(value)).map_err(|m| error(at, m))?)
                }
                "allow-outside-root" | "allowOutsideRoot" | "allow_outside_root" => {
                    return Err(error(
                        at,
                        "`allow-outside-root` cannot be set in ibid.toml: a workspace may not \
                         let itself read the rest of the disk. Pass `--allow-outside-root`, set \
                         IBID_ALLOW_OUTSIDE_ROOT=1, or set `ibid.allowOutsideRoot` in the \
                         editor's user settings"
                            .to_string(),
                    ));
                }
                "checks" => {}
                other => {
                    return Err(error(
                        at,
                        format!(
                            "unknown key `{other}` (expected one of: corpus, notes, bibliography, \
                             cache, [checks])"
                        ),
                    ));
                }
            }
        }
        if let Some(value) = table
            .iter()
            .find(|(k, _)| k.get_ref() == "checks")
            .map(|(_, v)| v)
            && !value.get_ref().is_table()
        {
            return Err(error(
                Some(value.span().start),
                "`checks` must be a table: write `[checks]` on its own line".to_string(),
            ));
        }
        let checks: ChecksDocument = toml::from_str(text).map_err(|e| {
            error(
                e.span().map(|span| span.start),
                e.message().trim().to_string(),
            )
        })?;
        for (key, value) in checks.checks.unwrap_or_default() {
            let at = Some(key.span().start);
            if key.get_ref() == "severity" {
                // `[checks.severity]`: the codes' severities in a table of their own (an error
                // points at the table: its keys' own places are not kept).
                let at = Some(value.span().start);
                let toml::Value::Table(codes) = value.into_inner() else {
                    return Err(error(
                        at,
                        "`checks.severity` must be a table of codes: write \
                         `[checks.severity]` on its own line"
                            .to_string(),
                    ));
                };
                for (code, value) in codes {
                    layer
                        .set_check(&code, FieldValue::Toml(value))
                        .map_err(|m| error(at, m))?;
                }
                continue;
            }
            layer
                .set_check(key.get_ref(), FieldValue::Toml(value.into_inner()))
                .map_err(|m| error(at, m))?;
        }
        let set = ExplicitChecks {
            min_quote_words: layer.min_quote_words.is_some(),
            claim_strictness: layer.claim_strictness.is_some(),
        };
        Ok(ConfigFile {
            config: layer.into_config(Some(path)),
            set,
        })
    }
}

type Table = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(serde::Deserialize)]
struct ChecksDocument {
    #[serde(default)]
    checks: Option<Table>,
}

/// One value, from TOML or JSON, so that both share the checks below.
enum FieldValue {
    Toml(toml::Value),
    Json(serde_json::Value),
}

impl FieldValue {
    fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Toml(v) => v.as_str(),
            FieldValue::Json(v) => v.as_str(),
        }
    }

    fn as_integer(&self) -> Option<i64> {
        match self {
            FieldValue::Toml(v) => v.as_integer(),
            FieldValue::Json(v) => v.as_i64(),
        }
    }

    /// A number, integer or not (`claim-strictness = 1` is `1.0`).
    fn as_float(&self) -> Option<f64> {
        match self {
            FieldValue::Toml(toml::Value::Float(f)) => Some(*f),
            FieldValue::Toml(toml::Value::Integer(i)) => Some(*i as f64),
            FieldValue::Toml(_) => None,
            FieldValue::Json(v) => v.as_f64(),
        }
    }

    fn as_list(&self) -> Option<Vec<FieldValue>> {
        match self {
            FieldValue::Toml(toml::Value::Array(items)) => {
                Some(items.iter().cloned().map(FieldValue::Toml).collect())
            }
            FieldValue::Json(serde_json::Value::Array(items)) => {
                Some(items.iter().cloned().map(FieldValue::Json).collect())
            }
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            FieldValue::Toml(v) => format!("{} `{v}`", v.type_str()),
            FieldValue::Json(v) => format!("`{v}`"),
        }
    }
}

/// One layer of settings, where `None` means "not set".
#[derive(Debug, Default)]
struct Layer {
    corpus: Option<Vec<String>>,
    notes: Option<Vec<String>>,
    bibliography: Option<Vec<String>>,
    min_quote_words: Option<usize>,
    claim_strictness: Option<f32>,
    severity: BTreeMap<DiagnosticCode, SeveritySetting>,
    cache: Option<CacheSetting>,
    allow_outside_root: Option<bool>,
}

/// `null` or `[]`: no settings. Clients written in Lua send an empty table as `[]`.
fn is_empty_json(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => true,
        serde_json::Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

impl Layer {
    fn from_json(value: &serde_json::Value) -> Result<Layer, String> {
        if is_empty_json(value) {
            return Ok(Layer::default());
        }
        let serde_json::Value::Object(map) = value else {
            return Err(format!("settings must be an object, not {value}"));
        };
        let mut layer = Layer::default();
        for (key, value) in map {
            let field = FieldValue::Json(value.clone());
            match key.as_str() {
                "corpus" => {
                    layer.corpus = Some(string_list("corpus", field)?).filter(|l| !l.is_empty())
                }
                "notes" => {
                    layer.notes = Some(string_list("notes", field)?).filter(|l| !l.is_empty())
                }
                "bibliography" => {
                    layer.bibliography =
                        Some(string_list("bibliography", field)?).filter(|l| !l.is_empty())
                }
                "cache" => layer.cache = Some(cache_setting(field)?),
                "allowOutsideRoot" | "allow-outside-root" | "allow_outside_root" => {
                    layer.allow_outside_root = Some(value.as_bool().ok_or_else(|| {
                        format!("`allowOutsideRoot` must be true or false, not {value}")
                    })?)
                }
                "checks" if is_empty_json(value) => {}
                "checks" => {
                    let serde_json::Value::Object(checks) = value else {
                        return Err(format!("`checks` must be an object, not {value}"));
                    };
                    for (name, value) in checks {
                        if name == "severity" {
                            let serde_json::Value::Object(codes) = value else {
                                return Err(format!(
                                    "`checks.severity` must be an object, not {value}"
                                ));
                            };
                            for (code, value) in codes {
                                layer.set_check(code, FieldValue::Json(value.clone()))?;
                            }
                        } else {
                            layer.set_check(name, FieldValue::Json(value.clone()))?;
                        }
                    }
                }
                // Settings for the editor extension itself, not for the analysis.
                "server" | "trace" => {}
                other => {
                    return Err(format!(
                        "unknown setting `ibid.{other}` (expected corpus, notes, bibliography, \
                         cache, allowOutsideRoot, checks)"
                    ));
                }
            }
        }
        Ok(layer)
    }

    /// One key of `[checks]`: the minimum words, or a diagnostic code's severity.
    fn set_check(&mut self, name: &str, value: FieldValue) -> Result<(), String> {
        if matches!(
            name,
            "min-quote-words" | "minQuoteWords" | "min_quote_words"
        ) {
            let words = value
                .as_integer()
                .filter(|n| (1..=1000).contains(n))
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    format!(
                        "`checks.min-quote-words` must be a whole number from 1 to 1000, not {}",
                        value.describe()
                    )
                })?;
            self.min_quote_words = Some(words);
            return Ok(());
        }
        if matches!(
            name,
            "claim-strictness" | "claimStrictness" | "claim_strictness"
        ) {
            let strictness = value
                .as_float()
                .filter(|n| (0.0..=1.0).contains(n))
                .ok_or_else(|| {
                    format!(
                        "`checks.claim-strictness` must be a number from 0 to 1, not {}",
                        value.describe()
                    )
                })?;
            self.claim_strictness = Some(strictness as f32);
            return Ok(());
        }
        let code = DiagnosticCode::from_name(name).ok_or_else(|| {
            let codes: Vec<&str> = DiagnosticCode::ALL.iter().map(|c| c.as_str()).collect();
            format!(
                "unknown check `{name}` in [checks] (expected min-quote-words, claim-strictness or a code: {})",
                codes.join(", ")
            )
        })?;
        let setting = match value.as_str() {
            Some("off") => SeveritySetting::Off,
            Some("error") => SeveritySetting::On(Severity::Error),
            Some("warning") => SeveritySetting::On(Severity::Warning),
            Some("information" | "info") => SeveritySetting::On(Severity::Information),
            Some("hint") => SeveritySetting::On(Severity::Hint),
            _ => {
                return Err(format!(
                    "`checks.{name}` must be one of \"error\", \"warning\", \"information\", \
                     \"hint\" or \"off\", not {}",
                    value.describe()
                ));
            }
        };
        self.severity.insert(code, setting);
        Ok(())
    }

    fn into_config(self, _path: Option<&Path>) -> Config {
        let defaults = CheckSettings::default();
        Config {
            corpus: self.corpus.unwrap_or_default(),
            notes: self.notes.unwrap_or_default(),
            bibliography: self
                .bibliography
                .unwrap_or_default()
                .into_iter()
                .map(PathBuf::from)
                .collect(),
            checks: CheckSettings {
                min_quote_words: self.min_quote_words.unwrap_or(defaults.min_quote_words),
                claim_strictness: self.claim_strictness.unwrap_or(defaults.claim_strictness),
                severity: self.severity,
            },
            cache: self.cache.unwrap_or_default(),
            allow_outside_root: self.allow_outside_root.unwrap_or(false),
        }
    }
}

/// `cache = true | false | "folder"`.
fn cache_setting(value: FieldValue) -> Result<CacheSetting, String> {
    let boolean = match &value {
        FieldValue::Toml(v) => v.as_bool(),
        FieldValue::Json(v) => v.as_bool(),
    };
    match (boolean, value.as_str()) {
        (Some(true), _) => Ok(CacheSetting::Default),
        (Some(false), _) => Ok(CacheSetting::Off),
        (None, Some(dir)) if !dir.is_empty() => Ok(CacheSetting::Dir(PathBuf::from(dir))),
        _ => Err(format!(
            "`cache` must be true, false or a folder, not {}",
            value.describe()
        )),
    }
}

/// A string or a list of strings.
fn string_list(key: &str, value: FieldValue) -> Result<Vec<String>, String> {
    if let Some(single) = value.as_str() {
        return Ok(vec![single.to_string()]);
    }
    let invalid = || {
        format!(
            "`{key}` must be a string or a list of strings, not {}",
            value.describe()
        )
    };
    let items = value.as_list().ok_or_else(invalid)?;
    items
        .iter()
        .map(|item| item.as_str().map(str::to_string).ok_or_else(invalid))
        .collect()
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |before| before.iter().filter(|&&b| b == b'\n').count())
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("ibid.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn cache_setting() {
        assert_eq!(
            parse("cache = false").map(|c| c.cache),
            Ok(CacheSetting::Off)
        );
        assert_eq!(
            parse("cache = true").map(|c| c.cache),
            Ok(CacheSetting::Default)
        );
        assert_eq!(
            parse("cache = \"tmp/ibid\"").map(|c| c.cache),
            Ok(CacheSetting::Dir(PathBuf::from("tmp/ibid")))
        );
        let error = parse("\ncache = 3").expect_err("not a setting");
        assert!(
            error.contains("line 2") && error.contains("`cache`"),
            "{error}"
        );
        let json = Config::from_json(&serde_json::json!({ "cache": false }));
        assert_eq!(json.map(|c| c.cache), Ok(CacheSetting::Off));
    }

    /// The severities may be written under `[checks]` or in `[checks.severity]`, as the
    /// configuration guide says.
    #[test]
    fn severities_may_be_a_nested_table() {
        let config =
            parse("[checks.severity]\nuncited-claim = \"off\"\nquote-inexact = \"hint\"\n")
                .expect("valid");
        assert_eq!(
            config.checks.severity_of(DiagnosticCode::UncitedClaim),
            None
        );
        assert_eq!(
            config.checks.severity_of(DiagnosticCode::QuoteInexact),
            Some(Severity::Hint)
        );
        let config =
            parse("[checks]\nmin-quote-words = 4\nseverity = { uncited-quote = \"off\" }\n")
                .expect("an inline table");
        assert_eq!(
            config.checks.severity_of(DiagnosticCode::UncitedQuote),
            None
        );
        assert_eq!(config.checks.min_quote_words, 4);
        let error = parse("[checks.severity]\nquote-wrong = \"off\"\n").expect_err("no such code");
        assert!(error.contains("unknown check `quote-wrong`"), "{error}");
        let error = parse("[checks]\nseverity = \"off\"\n").expect_err("not a table");
        assert!(
            error.contains("line 2") && error.contains("[checks.severity]"),
            "{error}"
        );
    }

    #[test]
    fn empty_file_is_the_defaults() {
        assert_eq!(parse(""), Ok(Config::default()));
    }

    #[test]
    fn claim_strictness_is_a_number_from_0_to_1_and_editor_settings_fill_it() {
        let config = parse("[checks]\nclaim-strictness = 0.45\n").expect("valid");
        assert!((config.checks.claim_strictness - 0.45).abs() < 1e-6);
        let config = parse("[checks]\nclaim-strictness = 1\n").expect("an integer is a number");
        assert!((config.checks.claim_strictness - 1.0).abs() < 1e-6);
        let error = parse("[checks]\nclaim-strictness = 2.5\n").expect_err("out of range");
        assert!(
            error.contains("line 2: `checks.claim-strictness` must be a number from 0 to 1"),
            "{error}"
        );
        assert!(parse("[checks]\nclaim-strictness = \"high\"\n").is_err());

        let editor = Config::from_json(&serde_json::json!({"checks": {"claimStrictness": 0.6}}))
            .expect("editor settings");
        let file = ConfigFile::parse("", Path::new("ibid.toml")).expect("empty file");
        let merged = file.config.with_overlay(&editor, file.set);
        assert!((merged.checks.claim_strictness - 0.6).abs() < 1e-6);
        let file = ConfigFile::parse("[checks]\nclaim-strictness = 0.2\n", Path::new("ibid.toml"))
            .expect("valid");
        let merged = file.config.with_overlay(&editor, file.set);
        assert!(
            (merged.checks.claim_strictness - 0.2).abs() < 1e-6,
            "ibid.toml wins"
        );
    }

    #[test]
    fn strings_or_lists_and_checks() {
        let config = parse(
            "corpus = \"sources/*.md\"\nnotes = [\"notes/**/*.md\", \"drafts/*.md\"]\n\
             bibliography = [\"refs.bib\", \"more.json\"]\n\n[checks]\nmin-quote-words = 5\n\
             quote-inexact = \"error\"\nuncited-claim = \"off\"\n",
        )
        .expect("valid config");
        assert_eq!(config.corpus, vec!["sources/*.md"]);
        assert_eq!(config.notes, vec!["notes/**/*.md", "drafts/*.md"]);
        assert_eq!(
            config.bibliography,
            vec![PathBuf::from("refs.bib"), PathBuf::from("more.json")]
        );
        assert_eq!(config.checks.min_quote_words, 5);
        assert_eq!(
            config.checks.severity_of(DiagnosticCode::QuoteInexact),
            Some(Severity::Error)
        );
        assert_eq!(
            config.checks.severity_of(DiagnosticCode::UncitedClaim),
            None
        );
        assert_eq!(
            config.checks.severity_of(DiagnosticCode::UnknownSource),
            Some(Severity::Error)
        );
    }

    #[test]
    fn errors_name_the_key_and_the_line() {
        assert_eq!(
            parse("corpus = \"a\"\n\ncorpsu = \"b\"\n"),
            Err(
                "ibid.toml: line 3: unknown key `corpsu` (expected one of: corpus, notes, \
                 bibliography, cache, [checks])"
                    .to_string()
            )
        );
        let bad_severity = parse("[checks]\nquote-inexact = \"loud\"\n").unwrap_err();
        assert!(
            bad_severity.starts_with("ibid.toml: line 2: `checks.quote-inexact` must be one of"),
            "{bad_severity}"
        );
        let bad_code = parse("[checks]\n\nquote-inexcat = \"off\"\n").unwrap_err();
        assert!(
            bad_code.starts_with("ibid.toml: line 3: unknown check `quote-inexcat`"),
            "{bad_code}"
        );
        assert!(bad_code.contains("quote-inexact"), "{bad_code}");
        let bad_words = parse("[checks]\nmin-quote-words = 0\n").unwrap_err();
        assert!(
            bad_words.starts_with("ibid.toml: line 2: `checks.min-quote-words`"),
            "{bad_words}"
        );
        let bad_type = parse("notes = 3\n").unwrap_err();
        assert_eq!(
            bad_type,
            "ibid.toml: line 1: `notes` must be a string or a list of strings, not integer `3`"
        );
        let syntax = parse("corpus = [\"a\"\nnotes = 1\n").unwrap_err();
        assert!(syntax.starts_with("ibid.toml: line "), "{syntax}");
        let checks_not_table = parse("checks = 3\n").unwrap_err();
        assert!(
            checks_not_table.contains("`checks` must be a table"),
            "{checks_not_table}"
        );
    }

    #[test]
    fn json_settings_in_either_case() {
        let config = Config::from_json(&serde_json::json!({
            "corpus": "library/*.txt",
            "notes": [],
            "checks": {"minQuoteWords": 4, "severity": {"quote-inexact": "hint"}, "uncited-quote": "off"},
            "server": {"path": "ibid"}
        }))
        .expect("valid settings");
        assert_eq!(config.corpus, vec!["library/*.txt"]);
        assert!(config.notes.is_empty());
        assert_eq!(config.checks.min_quote_words, 4);
        assert_eq!(
            config.checks.severity_of(DiagnosticCode::QuoteInexact),
            Some(Severity::Hint)
        );
        assert_eq!(
            config.checks.severity_of(DiagnosticCode::UncitedQuote),
            None
        );
        let unknown = Config::from_json(&serde_json::json!({"corpse": "x"})).unwrap_err();
        assert!(unknown.contains("ibid.corpse"), "{unknown}");
    }

    #[test]
    fn empty_lua_tables_are_empty_settings() {
        // Neovim encodes `settings = {}` as `[]`.
        for empty in [serde_json::json!([]), serde_json::Value::Null] {
            assert_eq!(Config::from_json(&empty), Ok(Config::default()));
        }
        let config = Config::from_json(&serde_json::json!({"checks": [], "corpus": "c/*.md"}))
            .expect("valid");
        assert_eq!(config.corpus, vec!["c/*.md"]);
        assert!(Config::from_json(&serde_json::json!([1])).is_err());
    }

    #[test]
    fn the_file_wins_over_the_editor() {
        let file = ConfigFile::parse(
            "corpus = \"a/*.md\"\n[checks]\nquote-inexact = \"error\"\n",
            Path::new("ibid.toml"),
        )
        .expect("valid");
        let editor = Config::from_json(&serde_json::json!({
            "corpus": "b/*.md", "notes": "n/*.md",
            "checks": {"minQuoteWords": 6, "quote-inexact": "hint", "uncited-claim": "off"}
        }))
        .expect("valid");
        let merged = file.config.with_overlay(&editor, file.set);
        assert_eq!(merged.corpus, vec!["a/*.md"]);
        assert_eq!(merged.notes, vec!["n/*.md"]);
        assert_eq!(merged.checks.min_quote_words, 6);
        assert_eq!(
            merged.checks.severity_of(DiagnosticCode::QuoteInexact),
            Some(Severity::Error)
        );
        assert_eq!(
            merged.checks.severity_of(DiagnosticCode::UncitedClaim),
            None
        );
    }
}

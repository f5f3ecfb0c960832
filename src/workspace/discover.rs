//! Finding the workspace's files: globs from `ibid.toml`, else the default layout (sources under
//! `corpus/` or `sources/`, notes are the other `.md` files). Symbolic links are followed (linking
//! a corpus into the workspace is the way to bring in one that lives elsewhere). Globs, bibliography
//! paths and a cache folder that point outside the root are refused unless the user allows it
//! (`Config::allow_outside_root`, `IBID_ALLOW_OUTSIDE_ROOT`).

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use rayon::prelude::*;

use super::bibliography::parse_bibliography;
use super::config::ConfigFile;
use super::{BibEntry, CacheSetting, Config, Workspace, WorkspaceError};
use crate::diagnostic::{Diagnostic, DiagnosticCode, Related};

/// Folders the default layout reads sources from.
pub const DEFAULT_SOURCE_DIRS: [&str; 2] = ["corpus", "sources"];

/// Folders never searched: version control, build output, ibid's own cache, dependencies.
const SKIPPED_DIRS: [&str; 4] = ["target", "node_modules", "_site", "site-packages"];

pub(crate) fn load_workspace(
    root: &Path,
    overlay: Option<&Config>,
) -> Result<Workspace, WorkspaceError> {
    let root = root.canonicalize().map_err(|source| WorkspaceError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    if !root.is_dir() {
        return Err(WorkspaceError::Other(format!(
            "{}: not a folder (give the workspace folder, or a file inside one)",
            root.display()
        )));
    }
    let config_path = root.join("ibid.toml");
    let (mut config, config_path, config_text) = if config_path.is_file() {
        let text = std::fs::read_to_string(&config_path).map_err(|source| WorkspaceError::Io {
            path: config_path.clone(),
            source,
        })?;
        let file = ConfigFile::parse(&text, &config_path)?;
        let config = match overlay {
            Some(overlay) => file.config.with_overlay(overlay, file.set),
            None => file.config,
        };
        (config, Some(config_path), text)
    } else {
        (overlay.cloned().unwrap_or_default(), None, String::new())
    };

    let mut problems = Vec::new();
    let boundary = RootBoundary {
        root: &root,
        allow_outside: config.allow_outside_root || allowed_by_environment(),
        settings_path: config_path.as_deref(),
        settings_text: &config_text,
    };
    let corpus_patterns = boundary.keep_inside("corpus glob", &config.corpus, &mut problems);
    let notes_patterns = boundary.keep_inside("notes glob", &config.notes, &mut problems);
    if let CacheSetting::Dir(dir) = &config.cache
        && let Some(mut problem) = boundary.refuse("cache folder", &dir.to_string_lossy(), dir)
    {
        problem.message.push_str("; the cache stays in `.ibid/`");
        problems.push(problem);
        config.cache = CacheSetting::Default;
    }
    let bibliography_files = if config.bibliography.is_empty() {
        default_bibliographies(&root)
    } else {
        let mut files = Vec::new();
        for file in &config.bibliography {
            let path = clean_path(&root.join(file));
            if let Some(problem) = boundary.refuse("bibliography", &file.to_string_lossy(), file) {
                problems.push(problem);
            } else if path.is_file() {
                files.push(path);
            } else {
                problems.push(Diagnostic::new(
                    DiagnosticCode::MissingFile,
                    config_path.clone().unwrap_or_else(|| root.clone()),
                    0..0,
                    format!(
                        "the bibliography `{}` does not exist ({})",
                        file.display(),
                        path.display()
                    ),
                ));
            }
        }
        files
    };

    // The walks and the bibliographies side by side: with tens of thousands of sources, each
    // took about a tenth of a second of a check that found nothing changed.
    let (listed, (bibliography, bibliography_problems)) = rayon::join(
        || {
            list_files(
                &root,
                &config,
                config_path.as_deref(),
                &corpus_patterns,
                &notes_patterns,
            )
        },
        || read_bibliographies(&root, &bibliography_files),
    );
    let ListedFiles {
        sources,
        notes,
        mut unlisted,
    } = listed?;
    problems.extend(bibliography_problems);
    problems.extend(missing_files(&bibliography, &sources));
    // What could not be listed, once per place, under its shortest path: the notes' walk of the
    // root meets again what the sources' walk met below it, and a link back to an ancestor shows
    // places a second time.
    unlisted.sort_by_key(|p: &Diagnostic| p.path.components().count());
    let mut places = HashSet::new();
    problems.extend(unlisted.into_iter().filter(|p| {
        let place = p
            .path
            .parent()
            .and_then(|parent| parent.canonicalize().ok())
            .zip(p.path.file_name())
            .map_or_else(|| p.path.clone(), |(parent, name)| parent.join(name));
        places.insert(place)
    }));

    Ok(Workspace {
        root,
        config,
        config_path,
        sources,
        notes,
        bibliography: bibliography.into(),
        problems,
    })
}

/// The files the walks found, and what they could not list.
struct ListedFiles {
    sources: Vec<PathBuf>,
    notes: Vec<PathBuf>,
    unlisted: Vec<Diagnostic>,
}

/// The workspace's sources and notes (the folders or patterns of `config`), each list sorted.
fn list_files(
    root: &Path,
    config: &Config,
    config_path: Option<&Path>,
    corpus_patterns: &[String],
    notes_patterns: &[String],
) -> Result<ListedFiles, WorkspaceError> {
    // What the walks could not list.
    let mut unlisted = Vec::new();
    let sources = if config.corpus.is_empty() {
        let mut found = Vec::new();
        for dir in DEFAULT_SOURCE_DIRS {
            let dir = root.join(dir);
            if dir.is_dir() {
                found.extend(
                    walk(root, &dir, &mut unlisted)
                        .into_iter()
                        .filter(|p| is_source_file(p)),
                );
            }
        }
        found
    } else {
        let globs = compile_globs(corpus_patterns, "corpus", config_path)?;
        glob_files(root, corpus_patterns, &globs, &mut unlisted)
            .into_iter()
            .filter(|p| is_source_file(p))
            .collect()
    };
    let sources = sorted_unique(sources);
    let source_set: HashSet<&PathBuf> = sources.iter().collect();

    let notes = if config.notes.is_empty() {
        // With the default layout, nothing under the source folders is a note.
        let source_dirs: Vec<PathBuf> = if config.corpus.is_empty() {
            DEFAULT_SOURCE_DIRS.iter().map(|d| root.join(d)).collect()
        } else {
            Vec::new()
        };
        walk(root, root, &mut unlisted)
            .into_iter()
            .filter(|p| is_markdown(p))
            .filter(|p| !source_set.contains(p))
            .filter(|p| !source_dirs.iter().any(|d| p.starts_with(d)))
            .collect()
    } else {
        let globs = compile_globs(notes_patterns, "notes", config_path)?;
        glob_files(root, notes_patterns, &globs, &mut unlisted)
            .into_iter()
            .filter(|p| is_markdown(p) && !source_set.contains(p))
            .collect()
    };
    let notes = sorted_unique(notes);

    Ok(ListedFiles {
        sources,
        notes,
        unlisted,
    })
}

/// The entries of the bibliography `files`, the first of each key kept, and their problems
/// (unreadable files, parse errors, keys defined twice).
fn read_bibliographies(root: &Path, files: &[PathBuf]) -> (Vec<BibEntry>, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let mut bibliography: Vec<BibEntry> = Vec::new();
    let mut first_entry: HashMap<String, usize> = HashMap::new();
    for file in files {
        let text = match std::fs::read(file) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(error) => {
                problems.push(Diagnostic::new(
                    DiagnosticCode::MissingFile,
                    file.clone(),
                    0..0,
                    format!("cannot read the bibliography: {error}"),
                ));
                continue;
            }
        };
        let (entries, file_problems) = parse_bibliography(file, &text);
        problems.extend(file_problems);
        for entry in entries {
            if let Some(&first) = first_entry.get(&entry.key) {
                if let Some(other) = bibliography.get(first) {
                    problems.push(
                        Diagnostic::new(
                            DiagnosticCode::DuplicateKey,
                            entry.bib_path.clone(),
                            entry.range.clone(),
                            format!(
                                "duplicate key `{}`: {} already defines it; this entry is ignored",
                                entry.key,
                                relative(root, &other.bib_path).display()
                            ),
                        )
                        .with_related(Related {
                            path: other.bib_path.clone(),
                            range: other.range.clone(),
                            message: format!("the first entry `{}`", entry.key),
                        }),
                    );
                }
                continue;
            }
            first_entry.insert(entry.key.clone(), bibliography.len());
            bibliography.push(entry);
        }
    }
    (bibliography, problems)
}

/// Where the workspace ends, for the paths its settings name.
struct RootBoundary<'a> {
    root: &'a Path,
    /// The user allowed paths outside the root.
    allow_outside: bool,
    /// `ibid.toml`, where the refused settings are reported (else the root: editor settings).
    settings_path: Option<&'a Path>,
    settings_text: &'a str,
}

impl RootBoundary<'_> {
    /// The patterns whose literal folders lie inside the root; a problem for each other one.
    fn keep_inside(
        &self,
        what: &str,
        patterns: &[String],
        problems: &mut Vec<Diagnostic>,
    ) -> Vec<String> {
        patterns
            .iter()
            .filter(|pattern| {
                let base = literal_base(&clean_pattern(pattern));
                match self.refuse(what, pattern, &base) {
                    Some(problem) => {
                        problems.push(problem);
                        false
                    }
                    None => true,
                }
            })
            .cloned()
            .collect()
    }

    /// An `outside-workspace` problem when `path` (as written: `written`) leads out of the root
    /// and the user has not allowed that. Checked lexically, before any file is touched.
    fn refuse(&self, what: &str, written: &str, path: &Path) -> Option<Diagnostic> {
        let resolved = clean_path(&self.root.join(path));
        if self.allow_outside || resolved.starts_with(self.root) {
            return None;
        }
        let range = self.written_range(written);
        Some(Diagnostic::new(
            DiagnosticCode::OutsideWorkspace,
            self.settings_path.unwrap_or(self.root).to_path_buf(),
            range,
            format!(
                "the {what} `{written}` points outside the workspace (to {}); refused: ibid only \
                 reads files under {} unless you allow it (`--allow-outside-root`, \
                 IBID_ALLOW_OUTSIDE_ROOT=1, or the editor setting `ibid.allowOutsideRoot`) — \
                 or link the folder into the workspace",
                resolved.display(),
                self.root.display()
            ),
        ))
    }

    /// Where `written` appears as a string in `ibid.toml` (the text between its quotes).
    fn written_range(&self, written: &str) -> std::ops::Range<usize> {
        ["\"", "'"]
            .iter()
            .find_map(|quote| {
                let start = self
                    .settings_text
                    .find(&format!("{quote}{written}{quote}"))?
                    + 1;
                Some(start..start + written.len())
            })
            .unwrap_or(0..0)
    }
}

/// `IBID_ALLOW_OUTSIDE_ROOT=1` (or `true`, `yes`): the user's own opt-in, from the environment.
fn allowed_by_environment() -> bool {
    std::env::var("IBID_ALLOW_OUTSIDE_ROOT").is_ok_and(|value| {
        matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes"
        )
    })
}

/// Entries whose `file` names nothing that exists, neither at that path nor as a source with the
/// same file name (a bibliography exported on another machine names absolute paths from there).
fn missing_files(bibliography: &[BibEntry], sources: &[PathBuf]) -> Vec<Diagnostic> {
    let source_names: HashSet<&std::ffi::OsStr> =
        sources.iter().filter_map(|p| p.file_name()).collect();
    bibliography
        .iter()
        .filter(|entry| !entry.files.is_empty())
        .filter(|entry| {
            // The name first: most entries name a source the walk found, and asking the file
            // system took a `stat` per entry (thousands, on one core, before any source is read).
            !entry.files.iter().any(|file| {
                file.file_name()
                    .is_some_and(|name| source_names.contains(name))
                    || file.exists()
            })
        })
        .map(|entry| {
            let names: Vec<String> = entry
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect();
            Diagnostic::new(
                DiagnosticCode::MissingFile,
                entry.bib_path.clone(),
                entry.range.clone(),
                format!(
                    "`{}` names a file that does not exist: {}",
                    entry.key,
                    names.join(", ")
                ),
            )
        })
        .collect()
}

/// `*.bib` files, and CSL JSON arrays, in the root and the default source folders.
fn default_bibliographies(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let dirs =
        std::iter::once(root.to_path_buf()).chain(DEFAULT_SOURCE_DIRS.iter().map(|d| root.join(d)));
    for dir in dirs {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut here: Vec<PathBuf> = read
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .filter(|p| match extension(p).as_deref() {
                Some("bib" | "bibtex") => true,
                Some("json") => looks_like_csl_json(p),
                _ => false,
            })
            .collect();
        here.sort();
        files.extend(here);
    }
    files
}

/// A JSON file that is an array of objects with an `id` (not `package.json` and friends).
fn looks_like_csl_json(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let trimmed = text.trim_start();
    trimmed.starts_with('[') && trimmed.contains("\"id\"")
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

fn is_markdown(path: &Path) -> bool {
    matches!(extension(path).as_deref(), Some("md" | "markdown"))
}

fn is_source_file(path: &Path) -> bool {
    matches!(extension(path).as_deref(), Some("md" | "markdown" | "txt"))
}

/// `paths` in `Path` order, each once. A path is split into components once, not at each of the
/// sort's comparisons (the order and equality of paths are those of their components).
fn sorted_unique(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut order: Vec<(Vec<std::path::Component<'_>>, usize)> = paths
        .iter()
        .enumerate()
        .map(|(index, path)| (path.components().collect(), index))
        .collect();
    order.sort_unstable();
    order.dedup_by(|later, first| later.0 == first.0);
    let kept: Vec<usize> = order.into_iter().map(|(_, index)| index).collect();
    let mut slots: Vec<Option<PathBuf>> = paths.into_iter().map(Some).collect();
    kept.into_iter()
        .filter_map(|index| slots.get_mut(index).and_then(Option::take))
        .collect()
}

fn relative<'a>(root: &Path, path: &'a Path) -> &'a Path {
    path.strip_prefix(root).unwrap_or(path)
}

/// Every file under `dir`, following symbolic links, skipping hidden and build folders. What
/// cannot be listed (a loop of symbolic links, a folder it may not read) is a warning in
/// `problems` (paths in its message relative to `root`); the rest is listed.
fn walk(root: &Path, dir: &Path, problems: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .follow_links(true)
        .filter_entry(|entry| {
            entry.depth() == 0 || {
                let name = entry.file_name().to_string_lossy();
                !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_ref())
            }
        })
        .build();
    let mut entries = Vec::new();
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => entries.push(entry),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!("while listing {}: {error}", dir.display());
                problems.push(listing_problem(root, dir, &error));
            }
        }
    }
    // A file reached twice through symbolic links (a link to an ancestor folder) is listed once,
    // under the first path met, rather than loaded twice as two sources with the same key. The
    // identities are read side by side (a `stat` each: thousands of files took a core ~7 ms).
    let identities: Vec<Option<FileIdentity>> = entries.par_iter().map(file_identity).collect();
    let mut seen = std::collections::HashSet::new();
    entries
        .into_iter()
        .zip(identities)
        .filter_map(|(entry, identity)| {
            identity
                .is_none_or(|identity| seen.insert(identity))
                .then(|| entry.into_path())
        })
        .collect()
}

/// What tells a file from another whatever the path it is reached by: its device and inode on
/// Unix (one `stat`; resolving the path's every link took one `readlink` per folder, a tenth of
/// a second per 16,000 files), else its canonical path.
#[derive(Debug, PartialEq, Eq, Hash)]
enum FileIdentity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

fn file_identity(entry: &ignore::DirEntry) -> Option<FileIdentity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // The walk follows links: this is the metadata of the file a link leads to.
        let metadata = entry.metadata().ok()?;
        Some(FileIdentity::Inode(metadata.dev(), metadata.ino()))
    }
    #[cfg(not(unix))]
    {
        entry.path().canonicalize().ok().map(FileIdentity::Path)
    }
}

/// The warning for what a walk of `dir` could not list.
fn listing_problem(root: &Path, dir: &Path, error: &ignore::Error) -> Diagnostic {
    match symlink_loop(error) {
        Some((ancestor, child)) => Diagnostic::new(
            DiagnosticCode::UnreadableFile,
            child.to_path_buf(),
            0..0,
            format!(
                "a loop of symbolic links: this link leads back to `{}`, which is listed \
                 already; it is not followed",
                match relative(root, ancestor) {
                    folder if folder.as_os_str().is_empty() => Path::new("."),
                    folder => folder,
                }
                .display()
            ),
        ),
        None => {
            // The system's own words (the walk's wrapper repeats the path).
            let why = match error.io_error() {
                Some(io) => io.raw_os_error().map_or_else(
                    || io.kind().to_string(),
                    |code| std::io::Error::from_raw_os_error(code).to_string(),
                ),
                None => error.to_string(),
            };
            Diagnostic::new(
                DiagnosticCode::UnreadableFile,
                error_path(error).unwrap_or(dir).to_path_buf(),
                0..0,
                format!("cannot be listed ({why}); what it holds is left out"),
            )
        }
    }
}

/// The folders of a symbolic-link loop the walk met: (the ancestor, the link leading to it).
fn symlink_loop(error: &ignore::Error) -> Option<(&Path, &Path)> {
    match error {
        ignore::Error::Loop { ancestor, child } => Some((ancestor, child)),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => symlink_loop(err),
        _ => None,
    }
}

/// The path an error of the walk is about, when it says.
fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

fn compile_globs(
    patterns: &[String],
    key: &str,
    config_path: Option<&Path>,
) -> Result<GlobSet, WorkspaceError> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(glob(pattern).map_err(|error| glob_error(key, pattern, &error, config_path))?);
    }
    builder
        .build()
        .map_err(|error| glob_error(key, &patterns.join(", "), &error, config_path))
}

fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(&clean_pattern(pattern))
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

fn glob_error(
    key: &str,
    pattern: &str,
    error: &globset::Error,
    config_path: Option<&Path>,
) -> WorkspaceError {
    let message = format!("`{key}`: invalid glob `{pattern}`: {error}");
    match config_path {
        Some(path) => WorkspaceError::Config {
            path: path.to_path_buf(),
            message,
        },
        None => WorkspaceError::Other(format!("settings: {message}")),
    }
}

/// `./notes/*.md` → `notes/*.md` (matching is on lexical paths relative to the root).
fn clean_pattern(pattern: &str) -> String {
    let mut rest = pattern.trim();
    while let Some(stripped) = rest.strip_prefix("./") {
        rest = stripped;
    }
    rest.to_string()
}

/// The files matching `globs`: each pattern's literal leading folders are walked (they may lie
/// outside the root), and paths relative to the root are matched.
fn glob_files(
    root: &Path,
    patterns: &[String],
    globs: &GlobSet,
    problems: &mut Vec<Diagnostic>,
) -> Vec<PathBuf> {
    let mut bases: Vec<PathBuf> = patterns
        .iter()
        .map(|pattern| literal_base(&clean_pattern(pattern)))
        .collect();
    bases.sort();
    bases.dedup();
    // A base inside another base is walked with it.
    let bases: Vec<PathBuf> = bases
        .iter()
        .filter(|base| {
            !bases
                .iter()
                .any(|other| other != *base && base.starts_with(other))
        })
        .cloned()
        .collect();
    let mut files = Vec::new();
    for base in bases {
        let dir = clean_path(&root.join(&base));
        if dir.is_file() {
            if globs.is_match(&base) {
                files.push(dir);
            }
            continue;
        }
        if !dir.is_dir() {
            continue;
        }
        for path in walk(root, &dir, problems) {
            let Ok(inner) = path.strip_prefix(&dir) else {
                continue;
            };
            let relative = base.join(inner);
            if globs.is_match(&relative) {
                files.push(clean_path(&path));
            }
        }
    }
    files
}

/// The leading components of a glob pattern that have no glob syntax.
fn literal_base(pattern: &str) -> PathBuf {
    let mut base = PathBuf::new();
    if pattern.starts_with('/') {
        base.push("/");
    }
    for component in pattern.split('/').filter(|component| !component.is_empty()) {
        if component.contains(['*', '?', '[', '{', '\\']) {
            break;
        }
        base.push(component);
    }
    base
}

/// Removes `.` and resolves `..` lexically (symbolic links stay as they are written).
fn clean_path(path: &Path) -> PathBuf {
    let mut cleaned = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !cleaned.pop() {
                    cleaned.push("..");
                }
            }
            other => cleaned.push(other.as_os_str()),
        }
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Sorting by components split once is `Path`'s sort and dedup: the same paths in the
        /// same order, the first of equal ones kept (`a//b` is `a/b`).
        #[test]
        fn sorted_unique_is_the_path_sort(
            paths in proptest::collection::vec("/?(a|a-b|a.md|A|b|\\.|/){1,5}", 0..30)
        ) {
            let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
            let mut expected = paths.clone();
            expected.sort();
            expected.dedup();
            let sorted = sorted_unique(paths);
            let bytes = |paths: &[PathBuf]| {
                paths.iter().map(|p| p.as_os_str().to_owned()).collect::<Vec<_>>()
            };
            proptest::prop_assert_eq!(bytes(&sorted), bytes(&expected));
        }
    }

    #[test]
    fn literal_bases_and_clean_paths() {
        assert_eq!(literal_base("sources/**/*.md"), PathBuf::from("sources"));
        assert_eq!(
            literal_base("../shared/corpus/*.txt"),
            PathBuf::from("../shared/corpus")
        );
        assert_eq!(literal_base("*.md"), PathBuf::new());
        assert_eq!(
            literal_base("/srv/corpus/**/*.txt"),
            PathBuf::from("/srv/corpus")
        );
        assert_eq!(literal_base("notes/a.md"), PathBuf::from("notes/a.md"));
        assert_eq!(
            clean_path(Path::new("/w/a/../b/./c.md")),
            PathBuf::from("/w/b/c.md")
        );
        assert_eq!(clean_pattern("./notes/*.md"), "notes/*.md");
    }

    #[test]
    fn star_does_not_cross_folders() {
        let set = {
            let mut b = GlobSetBuilder::new();
            b.add(glob("notes/*.md").expect("glob"));
            b.build().expect("set")
        };
        assert!(set.is_match("notes/a.md"));
        assert!(!set.is_match("notes/deep/a.md"));
    }
}

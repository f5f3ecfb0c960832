//! Workspace loading on real folders: the default layout, `ibid.toml` globs (also outside the
//! root and through symbolic links), bibliographies, and the problems reported on the way.

use std::fs;
use std::path::{Path, PathBuf};

use ibid::diagnostic::DiagnosticCode;
use ibid::workspace::{Workspace, WorkspaceError};

use crate::common::shared_corpus;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
}

fn names(root: &Path, paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| {
            p.strip_prefix(root)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

#[test]
fn default_layout_sources_notes_and_bibliography() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[
            ("corpus/a.md", "# A\n"),
            ("corpus/deep/b.txt", "b\n"),
            ("corpus/skip.pdf", "%PDF"),
            ("sources/c.md", "c\n"),
            ("notes.md", "note\n"),
            ("drafts/d.md", "draft\n"),
            (".hidden/e.md", "hidden\n"),
            ("node_modules/x/readme.md", "dependency\n"),
            (
                "refs.bib",
                "@online{a, title = {A}, file = {corpus/a.md}}\n",
            ),
            ("package.json", "{\"name\": \"x\"}"),
        ],
    );
    let workspace = Workspace::load(dir.path()).expect("loads");
    let root = workspace.root.clone();
    assert_eq!(
        names(&root, &workspace.sources),
        vec!["corpus/a.md", "corpus/deep/b.txt", "sources/c.md"]
    );
    assert_eq!(
        names(&root, &workspace.notes),
        vec!["drafts/d.md", "notes.md"]
    );
    assert_eq!(workspace.bibliography.len(), 1);
    assert_eq!(
        workspace.bibliography[0].files,
        vec![root.join("corpus/a.md")]
    );
    assert!(workspace.problems.is_empty(), "{:?}", workspace.problems);
    assert!(workspace.config_path.is_none());
}

/// A workspace beside a `library/` folder: its `ibid.toml` reaches the library with `../`
/// (refused unless allowed) and through a symbolic link `linked/` (followed).
fn workspace_beside_a_library() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[
            ("library/x.md", "x\n"),
            ("library/y.txt", "y\n"),
            ("library/sub/z.md", "z\n"),
            ("library/refs.bib", "@book{x, title = {X}}\n"),
            ("work/notes/n.md", "n\n"),
            ("work/notes/old/o.md", "o\n"),
            (
                "work/ibid.toml",
                "corpus = [\"../library/*.md\", \"linked/**/*.txt\"]\nnotes = \"notes/*.md\"\n\
                 bibliography = \"../library/refs.bib\"\ncache = \"/tmp/elsewhere\"\n",
            ),
        ],
    );
    std::os::unix::fs::symlink(dir.path().join("library"), dir.path().join("work/linked"))
        .expect("symlink");
    dir
}

fn relative_sources(workspace: &Workspace) -> Vec<String> {
    let mut sources: Vec<String> = workspace
        .sources
        .iter()
        .map(|p| pathdiff(p, &workspace.root))
        .collect();
    sources.sort();
    sources
}

#[test]
fn settings_pointing_outside_the_root_are_refused() {
    let dir = workspace_beside_a_library();
    let workspace = Workspace::load(&dir.path().join("work")).expect("loads");
    assert_eq!(relative_sources(&workspace), vec!["linked/y.txt"]);
    assert_eq!(names(&workspace.root, &workspace.notes), vec!["notes/n.md"]);
    assert!(workspace.bibliography.is_empty());
    assert_eq!(
        workspace.config.cache,
        ibid::workspace::CacheSetting::Default
    );
    let config = fs::read_to_string(dir.path().join("work/ibid.toml")).unwrap();
    let refused: Vec<(&str, &str)> = workspace
        .problems
        .iter()
        .map(|p| {
            assert_eq!(p.code, DiagnosticCode::OutsideWorkspace, "{p:?}");
            assert!(p.path.ends_with("ibid.toml"), "{p:?}");
            (&config[p.range.clone()], p.message.as_str())
        })
        .collect();
    let written: Vec<&str> = refused.iter().map(|(w, _)| *w).collect();
    assert_eq!(
        written,
        vec!["../library/*.md", "/tmp/elsewhere", "../library/refs.bib"]
    );
    for (_, message) in &refused {
        assert!(
            message.contains("points outside the workspace")
                && message.contains("--allow-outside-root"),
            "{message}"
        );
    }
}

#[test]
fn the_user_may_allow_settings_outside_the_root() {
    let dir = workspace_beside_a_library();
    let allow = ibid::workspace::Config {
        allow_outside_root: true,
        ..Default::default()
    };
    let workspace = Workspace::load_with(&dir.path().join("work"), Some(&allow)).expect("loads");
    assert_eq!(
        relative_sources(&workspace),
        vec!["../library/x.md", "linked/y.txt"]
    );
    assert_eq!(workspace.bibliography.len(), 1);
    assert!(workspace.problems.is_empty(), "{:?}", workspace.problems);
    // `ibid.toml` cannot allow it itself.
    let error =
        ibid::workspace::Config::parse("allow-outside-root = true\n", Path::new("ibid.toml"))
            .expect_err("not a workspace setting");
    assert!(
        error.to_string().contains("cannot be set in ibid.toml"),
        "{error}"
    );
}

/// `path` relative to `root`, with `..` when it lies beside it.
fn pathdiff(path: &Path, root: &Path) -> String {
    if let Ok(inner) = path.strip_prefix(root) {
        return inner.to_string_lossy().into_owned();
    }
    let parent = root.parent().expect("root has a parent");
    format!(
        "../{}",
        path.strip_prefix(parent)
            .expect("beside the root")
            .to_string_lossy()
    )
}

#[test]
fn a_corpus_folder_that_is_a_symbolic_link_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[("elsewhere/s.md", "s\n"), ("ws/note.md", "n\n")],
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), dir.path().join("ws/corpus"))
            .expect("symlink");
        let workspace = Workspace::load(&dir.path().join("ws")).expect("loads");
        assert_eq!(
            names(&workspace.root, &workspace.sources),
            vec!["corpus/s.md"]
        );
        assert_eq!(names(&workspace.root, &workspace.notes), vec!["note.md"]);
    }
}

#[test]
fn configuration_errors_name_the_file_key_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[(
            "ibid.toml",
            "corpus = \"sources/*.md\"\n\n[checks]\nquote-inexact = 2\n",
        )],
    );
    let error = Workspace::load(dir.path()).expect_err("bad value");
    assert!(matches!(error, WorkspaceError::Config { .. }));
    let message = error.to_string();
    assert!(
        message.contains("ibid.toml: line 4: `checks.quote-inexact`"),
        "{message}"
    );

    write(dir.path(), &[("ibid.toml", "notes = [\"[\"]\n")]);
    let message = Workspace::load(dir.path())
        .expect_err("bad glob")
        .to_string();
    assert!(message.contains("invalid glob `[`"), "{message}");
}

#[test]
fn bibliography_problems_are_reported_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[
            ("sources/here.md", "here\n"),
            (
                "refs.bib",
                "@online{here, title = {Here}, file = {sources/here.md}}\n\
                 @online{gone, title = {Gone}, file = {sources/gone.md}}\n\
                 @online{elsewhere, title = {Exported elsewhere}, file = {/home/x/Zotero/here.md}}\n",
            ),
            (
                "more.json",
                "[{\"id\": \"here\", \"title\": \"Again\"}, {\"id\": \"extra\"}]",
            ),
            (
                "ibid.toml",
                "bibliography = [\"refs.bib\", \"more.json\", \"missing.bib\"]\n",
            ),
        ],
    );
    let workspace = Workspace::load(dir.path()).expect("loads");
    let keys: Vec<&str> = workspace
        .bibliography
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(keys, vec!["here", "gone", "elsewhere", "extra"]);
    let mut problems: Vec<(DiagnosticCode, String)> = workspace
        .problems
        .iter()
        .map(|p| {
            (
                p.code,
                p.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    problems.sort();
    assert_eq!(
        problems,
        vec![
            (DiagnosticCode::DuplicateKey, "more.json".to_string()),
            (DiagnosticCode::MissingFile, "ibid.toml".to_string()),
            (DiagnosticCode::MissingFile, "refs.bib".to_string()),
        ]
    );
    let missing = workspace
        .problems
        .iter()
        .find(|p| p.code == DiagnosticCode::MissingFile && p.path.ends_with("refs.bib"))
        .expect("the missing file");
    assert!(missing.message.contains("`gone`"), "{}", missing.message);
}

#[test]
fn the_sample_corpus_bibliography_names_every_source() {
    let corpus = shared_corpus();
    let dir = tempfile::tempdir().expect("tempdir");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&corpus, dir.path().join("corpus")).expect("symlink");
    let workspace = Workspace::load(dir.path()).expect("loads");
    assert!(workspace.problems.is_empty(), "{:?}", workspace.problems);
    let mut keys: Vec<&str> = workspace
        .bibliography
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    keys.sort();
    assert_eq!(keys.len(), 5, "{keys:?}");
    for entry in workspace.bibliography.iter() {
        assert!(
            entry.title.as_deref().is_some_and(|t| !t.is_empty()),
            "{}",
            entry.key
        );
        assert!(!entry.authors.is_empty(), "{}", entry.key);
        assert_eq!(entry.files.len(), 1, "{}", entry.key);
        assert!(entry.files[0].is_file(), "{}", entry.files[0].display());
    }
    let organisation = workspace
        .bibliography
        .iter()
        .find(|e| e.authors.iter().any(|a| !a.contains(',')))
        .expect("an organisation author stays literal");
    assert!(!organisation.authors[0].contains('{'));
}

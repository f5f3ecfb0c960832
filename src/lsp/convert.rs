//! Conversions between the protocol and the core: the negotiated position encoding, LSP
//! positions ↔ byte offsets (over `&str` with `text::LineIndex`) and ↔ char indices (over the
//! open documents' ropes), URIs ↔ canonical paths, and the core's diagnostics and locations to
//! protocol types. Ranges of other files are converted with that file's analysed text.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ropey::Rope;
use tower_lsp_server::ls_types::{
    self as lsp, ClientCapabilities, NumberOrString, Position, PositionEncodingKind, Uri,
};

use crate::ByteRange;
use crate::analysis::Analysis;
use crate::corpus::{Source, StoredText};
use crate::diagnostic::{Diagnostic, Severity};
use crate::text::{ColumnEncoding, LineCol, LineIndex};

/// The encoding to use: UTF-8 when the client offers it, else UTF-16 (the protocol's default).
pub fn negotiate_encoding(capabilities: &ClientCapabilities) -> ColumnEncoding {
    let offered = capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_ref());
    match offered {
        Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => ColumnEncoding::Utf8,
        _ => ColumnEncoding::Utf16,
    }
}

/// The protocol name of an encoding.
pub fn encoding_kind(encoding: ColumnEncoding) -> PositionEncodingKind {
    match encoding {
        ColumnEncoding::Utf8 => PositionEncodingKind::UTF8,
        ColumnEncoding::Utf16 => PositionEncodingKind::UTF16,
        ColumnEncoding::Utf32 => PositionEncodingKind::UTF32,
    }
}

fn width(ch: char, encoding: ColumnEncoding) -> usize {
    match encoding {
        ColumnEncoding::Utf8 => ch.len_utf8(),
        ColumnEncoding::Utf16 => ch.len_utf16(),
        ColumnEncoding::Utf32 => 1,
    }
}

/// The char index of an LSP position in a rope. A line past the end gives the end of the text; a
/// column past the end of its line gives the end of the line (before `\r\n`, `\n` or `\r`: ropey
/// is built with `cr_lines`, so its lines are LSP's); a column inside a char (between the halves
/// of a surrogate pair) gives that char's start.
pub fn rope_char_index(rope: &Rope, pos: Position, encoding: ColumnEncoding) -> usize {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return rope.len_chars();
    }
    let line_start = rope.line_to_char(line);
    let slice = rope.line(line);
    let mut content = slice.len_chars();
    if content > 0 && slice.char(content - 1) == '\n' {
        content -= 1;
        if content > 0 && slice.char(content - 1) == '\r' {
            content -= 1;
        }
    } else if content > 0 && slice.char(content - 1) == '\r' {
        content -= 1;
    }
    let target = pos.character as usize;
    let mut units = 0usize;
    for (i, ch) in slice.chars().take(content).enumerate() {
        let w = width(ch, encoding);
        if units + w > target {
            return line_start + i;
        }
        units += w;
    }
    line_start + content
}

/// The LSP position of a char index in a rope (clamped to the end).
pub fn rope_position(rope: &Rope, char_index: usize, encoding: ColumnEncoding) -> Position {
    let char_index = char_index.min(rope.len_chars());
    let line = rope.char_to_line(char_index);
    let line_start = rope.line_to_char(line);
    let col: usize = rope
        .slice(line_start..char_index)
        .chars()
        .map(|ch| width(ch, encoding))
        .sum();
    Position::new(line as u32, col as u32)
}

/// Applies one `didChange` content change to a rope. `None` range replaces the whole text.
pub fn apply_content_change(
    rope: &mut Rope,
    range: Option<lsp::Range>,
    text: &str,
    encoding: ColumnEncoding,
) {
    match range {
        None => *rope = Rope::from_str(text),
        Some(range) => {
            let start = rope_char_index(rope, range.start, encoding);
            let end = rope_char_index(rope, range.end, encoding).max(start);
            rope.remove(start..end);
            rope.insert(start, text);
        }
    }
}

/// Converts between byte offsets of one text and LSP positions.
#[derive(Debug, Clone)]
pub struct TextPositions {
    pub text: StoredText,
    pub index: LineIndex,
    pub encoding: ColumnEncoding,
}

impl TextPositions {
    pub fn new(text: StoredText, encoding: ColumnEncoding) -> Self {
        let index = LineIndex::new(&text);
        // A source mapped from the cache: only the lines positions are asked for are read again.
        text.release();
        TextPositions {
            text,
            index,
            encoding,
        }
    }

    pub fn offset(&self, pos: Position) -> usize {
        self.index.offset(
            &self.text,
            LineCol {
                line: pos.line,
                col: pos.character,
            },
            self.encoding,
        )
    }

    pub fn position(&self, offset: usize) -> Position {
        let lc = self.index.line_col(&self.text, offset, self.encoding);
        Position::new(lc.line, lc.col)
    }

    pub fn range(&self, range: &ByteRange) -> lsp::Range {
        lsp::Range::new(self.position(range.start), self.position(range.end))
    }

    pub fn byte_range(&self, range: lsp::Range) -> ByteRange {
        let start = self.offset(range.start);
        let end = self.offset(range.end).max(start);
        start..end
    }
}

/// URIs ↔ the canonical paths the analysis uses. The client may name the workspace through a
/// symlink: paths under its root are rewritten to the canonical root and back.
#[derive(Debug, Clone, Default)]
pub struct PathMapper {
    /// (as the client names it, canonical)
    root: Option<(PathBuf, PathBuf)>,
}

impl PathMapper {
    pub fn new(client_root: Option<PathBuf>) -> Self {
        let root = client_root.map(|client| {
            let canonical = std::fs::canonicalize(&client).unwrap_or_else(|_| client.clone());
            (client, canonical)
        });
        PathMapper { root }
    }

    /// The canonical workspace root, if there is one.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_ref().map(|(_, canonical)| canonical.as_path())
    }

    pub fn uri_to_path(&self, uri: &Uri) -> Option<PathBuf> {
        if uri.scheme().as_str() != "file" {
            return None;
        }
        let path = uri.to_file_path()?.into_owned();
        if let Some((client, canonical)) = &self.root
            && let Ok(rest) = path.strip_prefix(client)
        {
            return Some(canonical.join(rest));
        }
        Some(canonicalize_lenient(&path))
    }

    pub fn path_to_uri(&self, path: &Path) -> Option<Uri> {
        if let Some((client, canonical)) = &self.root
            && client != canonical
            && let Ok(rest) = path.strip_prefix(canonical)
        {
            return Uri::from_file_path(client.join(rest));
        }
        Uri::from_file_path(path)
    }
}

/// The canonical form of a path whose file may not exist yet (canonical parent + file name).
fn canonicalize_lenient(path: &Path) -> PathBuf {
    if let Ok(canonical) = std::fs::canonicalize(path) {
        return canonical;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => std::fs::canonicalize(parent)
            .map(|p| p.join(name))
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// Everything needed to turn core results into protocol types: the encoding, the path mapping,
/// and a cache of the texts (with line indexes) of the files met so far.
pub struct Converter<'a> {
    pub analysis: &'a Analysis,
    pub encoding: ColumnEncoding,
    pub paths: &'a PathMapper,
    /// Files other than sources (notes, a bibliography, `ibid.toml`) met so far.
    texts: foldhash::HashMap<PathKey, Option<Arc<TextPositions>>>,
    /// Sources met so far.
    sources: foldhash::HashMap<PathKey, KnownSource>,
    /// The URIs of the files met so far.
    uris: foldhash::HashMap<PathKey, Option<Uri>>,
    /// What an earlier conversion knew of sources, re-used for those that are the same `Arc`.
    earlier: KnownPositions,
}

/// A path as the key of the converter's maps: its bytes. A note's diagnostics point into hundreds
/// of files, each looked up several times per conversion; hashing a `Path` walks its components
/// (a fifth of a keystroke's conversion went to it), its bytes hash at once. The paths come from
/// the analysis, one spelling per file.
type PathKey = Box<[u8]>;

fn path_key(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// What conversions learn of the sources they point into, kept from one to the next (the
/// publisher's): republishing a note's diagnostics after a keystroke then neither indexes again
/// nor reads again the hundreds of sources their related locations point into — the ranges are
/// the same as the last time, and converting them read the sources' mapped pages.
#[derive(Default)]
pub struct KnownPositions(foldhash::HashMap<PathKey, KnownSource>);

/// One source's line index and the ranges converted in it, with the source they belong to (a
/// reloaded source is a new `Arc`) and in the encoding they were converted to.
struct KnownSource {
    source: Arc<Source>,
    encoding: ColumnEncoding,
    positions: Option<Arc<TextPositions>>,
    /// The ranges this conversion converted, or took from `earlier`.
    ranges: foldhash::HashMap<(usize, usize), lsp::Range>,
    /// The ranges the earlier conversion converted: only those used again are kept.
    earlier: foldhash::HashMap<(usize, usize), lsp::Range>,
}

impl KnownSource {
    fn positions(&mut self) -> Arc<TextPositions> {
        let (text, encoding) = (&self.source.text, self.encoding);
        self.positions
            .get_or_insert_with(|| Arc::new(TextPositions::new(text.clone(), encoding)))
            .clone()
    }

    fn range(&mut self, range: &ByteRange) -> lsp::Range {
        let key = (range.start, range.end);
        if let Some(&converted) = self.ranges.get(&key) {
            return converted;
        }
        let converted = match self.earlier.get(&key) {
            Some(&converted) => converted,
            None => {
                let positions = self.positions();
                let converted = positions.range(range);
                // Mapped from the cache: a note's diagnostics point into thousands of sources,
                // whose pages are given back as the conversion goes (in batches: see `release`).
                positions.text.release();
                converted
            }
        };
        self.ranges.insert(key, converted);
        converted
    }
}

impl<'a> Converter<'a> {
    pub fn new(analysis: &'a Analysis, encoding: ColumnEncoding, paths: &'a PathMapper) -> Self {
        Self::with_known(analysis, encoding, paths, KnownPositions::default())
    }

    /// A converter that re-uses what `earlier` knew of sources whose text is unchanged.
    pub fn with_known(
        analysis: &'a Analysis,
        encoding: ColumnEncoding,
        paths: &'a PathMapper,
        earlier: KnownPositions,
    ) -> Self {
        Converter {
            analysis,
            encoding,
            paths,
            texts: foldhash::HashMap::default(),
            sources: foldhash::HashMap::default(),
            uris: foldhash::HashMap::default(),
            earlier,
        }
    }

    /// What this converter learnt of the sources it used, for the next one.
    pub fn into_known(self) -> KnownPositions {
        KnownPositions(
            self.sources
                .into_iter()
                .map(|(path, known)| {
                    let kept = KnownSource {
                        earlier: foldhash::HashMap::default(),
                        ..known
                    };
                    (path, kept)
                })
                .collect(),
        )
    }

    /// The source at `path` (not a note's), with what is known of it.
    fn source(&mut self, path: &Path) -> Option<&mut KnownSource> {
        let key = path_key(path);
        if !self.sources.contains_key(key) {
            if self.analysis.is_note(path) {
                return None;
            }
            let source = self.analysis.corpus().source_by_path(path)?;
            let known = match self.earlier.0.remove(key) {
                Some(known)
                    if Arc::ptr_eq(&known.source, source) && known.encoding == self.encoding =>
                {
                    KnownSource {
                        ranges: foldhash::HashMap::default(),
                        earlier: known.ranges,
                        ..known
                    }
                }
                _ => KnownSource {
                    source: source.clone(),
                    encoding: self.encoding,
                    positions: None,
                    ranges: foldhash::HashMap::default(),
                    earlier: foldhash::HashMap::default(),
                },
            };
            self.sources.insert(key.into(), known);
        }
        self.sources.get_mut(key)
    }

    /// The positions of a file: its analysed text, else (a bibliography, `ibid.toml`) the file
    /// on disk.
    pub fn file(&mut self, path: &Path) -> Option<Arc<TextPositions>> {
        if let Some(cached) = self.texts.get(path_key(path)) {
            return cached.clone();
        }
        if let Some(source) = self.source(path) {
            return Some(source.positions());
        }
        let text = self.analysis.file_text(path).or_else(|| {
            std::fs::read(path)
                .ok()
                .map(|bytes| StoredText::from(String::from_utf8_lossy(&bytes).into_owned()))
        });
        let positions = text.map(|text| Arc::new(TextPositions::new(text, self.encoding)));
        self.texts.insert(path_key(path).into(), positions.clone());
        positions
    }

    pub fn uri(&mut self, path: &Path) -> Option<Uri> {
        let key = path_key(path);
        if let Some(uri) = self.uris.get(key) {
            return uri.clone();
        }
        let uri = self.paths.path_to_uri(path);
        self.uris.insert(key.into(), uri.clone());
        uri
    }

    pub fn range(&mut self, path: &Path, range: &ByteRange) -> Option<lsp::Range> {
        if let Some(cached) = self.texts.get(path_key(path)) {
            return Some(cached.as_ref()?.range(range));
        }
        if let Some(source) = self.source(path) {
            return Some(source.range(range));
        }
        Some(self.file(path)?.range(range))
    }

    pub fn location(&mut self, path: &Path, range: &ByteRange) -> Option<lsp::Location> {
        let range = self.range(path, range)?;
        Some(lsp::Location::new(self.uri(path)?, range))
    }

    /// A core diagnostic as a protocol diagnostic: code, source "ibid", related locations in
    /// their own files, and the fix payload as `data`.
    pub fn diagnostic(&mut self, diagnostic: &Diagnostic) -> Option<lsp::Diagnostic> {
        let range = self.range(&diagnostic.path, &diagnostic.range)?;
        let related: Vec<lsp::DiagnosticRelatedInformation> = diagnostic
            .related
            .iter()
            .filter_map(|related| {
                Some(lsp::DiagnosticRelatedInformation {
                    location: self.location(&related.path, &related.range)?,
                    message: related.message.clone(),
                })
            })
            .collect();
        let data = diagnostic
            .fixes
            .first()
            .and_then(|fix| serde_json::to_value(fix).ok());
        Some(lsp::Diagnostic {
            range,
            severity: Some(severity(diagnostic.severity)),
            code: Some(NumberOrString::String(diagnostic.code.as_str().to_string())),
            code_description: None,
            source: Some("ibid".to_string()),
            message: diagnostic.message.clone(),
            related_information: (!related.is_empty()).then_some(related),
            tags: None,
            data,
        })
    }
}

#[cfg(test)]
impl KnownPositions {
    /// How many converted ranges are known in the source at `path`.
    pub(super) fn ranges_in(&self, path: &Path) -> usize {
        self.0
            .get(path_key(path))
            .map_or(0, |known| known.ranges.len())
    }

    /// Every known range turned into the empty range at the start of its file: a conversion
    /// that takes known ranges instead of converting them shows it.
    pub(super) fn blanked(mut self) -> KnownPositions {
        for known in self.0.values_mut() {
            for range in known.ranges.values_mut() {
                *range = lsp::Range::default();
            }
        }
        self
    }
}

pub fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Information => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn rope_positions_count_units_of_the_encoding() {
        let rope = Rope::from_str("ab\n中😀x\r\nend");
        // 'x' is char 6: 'a','b','\n','中','😀','x'
        assert_eq!(rope_char_index(&rope, pos(1, 3), ColumnEncoding::Utf16), 5);
        assert_eq!(rope_char_index(&rope, pos(1, 7), ColumnEncoding::Utf8), 5);
        assert_eq!(rope_char_index(&rope, pos(1, 2), ColumnEncoding::Utf32), 5);
        // Inside the surrogate pair → the emoji's start.
        assert_eq!(rope_char_index(&rope, pos(1, 2), ColumnEncoding::Utf16), 4);
        // Past the line end → before "\r\n"; past the last line → end of text.
        assert_eq!(rope_char_index(&rope, pos(1, 99), ColumnEncoding::Utf16), 6);
        assert_eq!(rope_char_index(&rope, pos(9, 0), ColumnEncoding::Utf16), 11);
        for encoding in [ColumnEncoding::Utf8, ColumnEncoding::Utf16] {
            for idx in 0..rope.len_chars() {
                if idx == 7 {
                    // Between "\r" and "\n": not a position a client sends.
                    continue;
                }
                let p = rope_position(&rope, idx, encoding);
                assert_eq!(
                    rope_char_index(&rope, p, encoding),
                    idx,
                    "{encoding:?} {idx}"
                );
            }
        }
    }

    #[test]
    fn rope_and_text_positions_agree() {
        // Every LSP line break: `\n`, `\r\n` and a lone `\r` (also `\r` before `\r\n`).
        let text: Arc<str> = Arc::from("é😀\nz中\r\n\nla\rst\r\r\n😀\r");
        let rope = Rope::from_str(&text);
        assert_eq!(rope.len_lines(), 8);
        for encoding in [ColumnEncoding::Utf8, ColumnEncoding::Utf16] {
            let positions = TextPositions::new(text.clone().into(), encoding);
            for (char_idx, (byte, ch)) in text.char_indices().enumerate() {
                let p = positions.position(byte);
                assert_eq!(rope_position(&rope, char_idx, encoding), p, "{byte}");
                let inside_crlf = ch == '\n' && text[..byte].ends_with('\r');
                if !inside_crlf {
                    assert_eq!(positions.offset(p), byte);
                    assert_eq!(rope_char_index(&rope, p, encoding), char_idx);
                }
            }
            let end = positions.position(text.len());
            assert_eq!(end, Position::new(7, 0));
            assert_eq!(rope_position(&rope, rope.len_chars(), encoding), end);
        }
    }

    #[test]
    fn applies_incremental_and_full_changes() {
        let mut rope = Rope::from_str("one\ntwo😀\nthree");
        let range = lsp::Range::new(pos(0, 1), pos(1, 2));
        apply_content_change(&mut rope, Some(range), "X", ColumnEncoding::Utf16);
        assert_eq!(rope.to_string(), "oXo😀\nthree");
        let range = lsp::Range::new(pos(0, 3), pos(0, 5));
        apply_content_change(&mut rope, Some(range), "", ColumnEncoding::Utf16);
        assert_eq!(rope.to_string(), "oXo\nthree");
        apply_content_change(&mut rope, None, "new", ColumnEncoding::Utf16);
        assert_eq!(rope.to_string(), "new");
    }

    #[test]
    fn negotiates_utf8_only_when_offered() {
        let mut caps = ClientCapabilities::default();
        assert_eq!(negotiate_encoding(&caps), ColumnEncoding::Utf16);
        caps.general = Some(lsp::GeneralClientCapabilities {
            position_encodings: Some(vec![
                PositionEncodingKind::UTF16,
                PositionEncodingKind::UTF8,
            ]),
            ..Default::default()
        });
        assert_eq!(negotiate_encoding(&caps), ColumnEncoding::Utf8);
        caps.general = Some(lsp::GeneralClientCapabilities {
            position_encodings: Some(vec![PositionEncodingKind::UTF32]),
            ..Default::default()
        });
        assert_eq!(negotiate_encoding(&caps), ColumnEncoding::Utf16);
    }
}

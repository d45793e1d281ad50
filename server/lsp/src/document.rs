//! The document store: the one place that owns open documents' text.
//!
//! Every open, change and close replaces the document with a new immutable
//! [`Document`] snapshot (text, parse, line index, version). Handlers and
//! background work take an `Arc<Document>` and never see a half-applied edit.
//! Each snapshot also gets a store-wide sequence number, so "is this still the
//! current text?" stays exact even when a client reuses version numbers after
//! closing and reopening a file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use devc_jsonc::{LineCol, LineIndex, Parse, PositionEncoding, Span};
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent, Uri};

use crate::types::DocKind;

/// One version of an open document.
#[derive(Debug)]
pub struct Document {
    pub uri: Uri,
    /// The client's version number.
    pub version: i32,
    /// Store-wide, strictly increasing; identifies this snapshot.
    pub seq: u64,
    pub text: String,
    pub index: LineIndex,
    pub parse: Parse,
    pub kind: DocKind,
    /// The file on disk, for `file:` URIs.
    pub path: Option<PathBuf>,
    /// Column unit of the client's positions.
    pub encoding: PositionEncoding,
}

impl Document {
    pub fn new(uri: Uri, version: i32, text: String, encoding: PositionEncoding, seq: u64) -> Document {
        let parse = devc_jsonc::parse(&text);
        let index = LineIndex::new(&text);
        let kind = DocKind::of(&uri);
        let path = file_path(&uri);
        Document { uri, version, seq, text, index, parse, kind, path, encoding }
    }

    pub fn is_devcontainer(&self) -> bool {
        self.kind == DocKind::DevContainer
    }

    /// Byte offset of a client position (clamped to the text; a column inside
    /// a character moves to its end).
    pub fn offset(&self, pos: Position) -> usize {
        self.index.offset(&self.text, LineCol { line: pos.line, col: pos.character }, self.encoding)
    }

    pub fn position(&self, offset: usize) -> Position {
        let lc = self.index.line_col(&self.text, offset, self.encoding);
        Position { line: lc.line, character: lc.col }
    }

    pub fn range(&self, span: &Span) -> Range {
        Range { start: self.position(span.start), end: self.position(span.end) }
    }

    /// Byte span of a client range, ordered.
    pub fn span(&self, range: Range) -> Span {
        let (a, b) = (self.offset(range.start), self.offset(range.end));
        a.min(b)..a.max(b)
    }

    /// The folder holding the file (relative paths in the config start here).
    pub fn dir(&self) -> Option<PathBuf> {
        self.path.as_ref().and_then(|p| p.parent()).map(PathBuf::from)
    }
}

/// The local path of a `file:` URI.
pub fn file_path(uri: &Uri) -> Option<PathBuf> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

/// Applies LSP content changes (incremental or full) to `text`, in order.
pub fn apply_changes(text: &mut String, changes: Vec<TextDocumentContentChangeEvent>, encoding: PositionEncoding) {
    for change in changes {
        match change.range {
            None => *text = change.text,
            Some(range) => {
                let index = LineIndex::new(text);
                let at = |p: Position| index.offset(text, LineCol { line: p.line, col: p.character }, encoding);
                let (a, b) = (at(range.start), at(range.end));
                let span = a.min(b)..a.max(b);
                text.replace_range(span, &change.text);
            }
        }
    }
}

/// Open documents by URI.
#[derive(Default)]
pub struct DocumentStore {
    docs: Mutex<HashMap<Uri, Arc<Document>>>,
    seq: AtomicU64,
}

impl DocumentStore {
    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uri, Arc<Document>>> {
        // A panic elsewhere must not take document sync down with it.
        self.docs.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn open(&self, uri: Uri, version: i32, text: String, encoding: PositionEncoding) -> Arc<Document> {
        let doc = Arc::new(Document::new(uri.clone(), version, text, encoding, self.next_seq()));
        self.lock().insert(uri, doc.clone());
        doc
    }

    /// Applies a `didChange`; `None` if the document is not open.
    pub fn change(&self, uri: &Uri, version: i32, changes: Vec<TextDocumentContentChangeEvent>) -> Option<Arc<Document>> {
        let mut docs = self.lock();
        let old = docs.get(uri)?;
        if version <= old.version {
            tracing::warn!("{}: version {version} after {}; applying anyway", uri.as_str(), old.version);
        }
        let mut text = old.text.clone();
        apply_changes(&mut text, changes, old.encoding);
        let doc = Arc::new(Document::new(uri.clone(), version, text, old.encoding, self.next_seq()));
        docs.insert(uri.clone(), doc.clone());
        Some(doc)
    }

    pub fn close(&self, uri: &Uri) -> Option<Arc<Document>> {
        self.lock().remove(uri)
    }

    /// The current snapshot.
    pub fn get(&self, uri: &Uri) -> Option<Arc<Document>> {
        self.lock().get(uri).cloned()
    }

    /// Whether `doc` is still the current snapshot of its URI.
    pub fn is_current(&self, doc: &Document) -> bool {
        self.lock().get(&doc.uri).is_some_and(|d| d.seq == doc.seq)
    }

    pub fn uris(&self) -> Vec<Uri> {
        self.lock().keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range { start: Position::new(l1, c1), end: Position::new(l2, c2) }),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn incremental_changes_in_utf16_and_utf8() {
        // 😀 is 2 UTF-16 units and 4 bytes.
        let mut t = String::from("{\"a\": \"😀x\"}\n");
        apply_changes(&mut t, vec![change(0, 9, 0, 10, "y")], PositionEncoding::Utf16);
        assert_eq!(t, "{\"a\": \"😀y\"}\n");
        apply_changes(&mut t, vec![change(0, 11, 0, 12, "z")], PositionEncoding::Utf8);
        assert_eq!(t, "{\"a\": \"😀z\"}\n");
        // Out-of-range positions clamp; reversed ranges are ordered.
        apply_changes(&mut t, vec![change(9, 0, 9, 5, "// end")], PositionEncoding::Utf16);
        assert_eq!(t, "{\"a\": \"😀z\"}\n// end");
        apply_changes(&mut t, vec![change(1, 6, 1, 0, "")], PositionEncoding::Utf16);
        assert_eq!(t, "{\"a\": \"😀z\"}\n");
        // A column inside the surrogate pair never splits the character.
        apply_changes(&mut t, vec![change(0, 8, 0, 8, "")], PositionEncoding::Utf16);
        assert_eq!(t, "{\"a\": \"😀z\"}\n");
    }
}

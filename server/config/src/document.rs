//! One devcontainer.json as read from disk: its text, JSONC tree and line index.
//! Owns turning bytes into a document (invalid UTF-8 is a located error) and a
//! document into a plain JSON value (the first syntax error stops it).

use crate::error::ConfigError;
use devc_jsonc::{LineIndex, Parse, PositionEncoding, Severity};
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct ConfigDocument {
    pub path: PathBuf,
    pub text: String,
    pub parse: Parse,
    pub index: LineIndex,
}

impl ConfigDocument {
    /// Reads and parses `path`. Fails only when the file cannot be read or is not UTF-8.
    pub fn read(path: &Path) -> Result<ConfigDocument, ConfigError> {
        let bytes = std::fs::read(path).map_err(|e| ConfigError::io(path, e))?;
        let text = match devc_jsonc::decode_utf8(&bytes) {
            Ok(text) => text.to_string(),
            Err(offset) => {
                // Locate the bad byte within the valid prefix.
                let prefix = String::from_utf8_lossy(&bytes[..offset]).into_owned();
                let index = LineIndex::new(&prefix);
                let lc = index.line_col(&prefix, offset, PositionEncoding::Chars);
                return Err(ConfigError::Syntax {
                    path: path.to_path_buf(),
                    line: lc.line as usize + 1,
                    col: lc.col as usize + 1,
                    message: format!("invalid UTF-8 (byte 0x{:02x}); save the file as UTF-8", bytes[offset]),
                });
            }
        };
        Ok(ConfigDocument::from_text(path.to_path_buf(), text))
    }

    pub fn from_text(path: PathBuf, text: String) -> ConfigDocument {
        let parse = devc_jsonc::parse(&text);
        let index = LineIndex::new(&text);
        ConfigDocument { path, text, parse, index }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let lc = self.index.line_col(&self.text, offset, PositionEncoding::Chars);
        (lc.line as usize + 1, lc.col as usize + 1)
    }

    /// The document as plain JSON. Syntax errors (not duplicate-key warnings) and
    /// a root that is not an object are errors naming file:line:col.
    pub fn value(&self) -> Result<Value, ConfigError> {
        if let Some(e) = self.parse.errors.iter().find(|e| e.severity == Severity::Error) {
            let (line, col) = self.line_col(e.span.start);
            return Err(ConfigError::Syntax { path: self.path.clone(), line, col, message: e.message.clone() });
        }
        match &self.parse.root {
            Some(root) if root.as_object().is_some() => Ok(root.to_value()),
            _ => Err(ConfigError::NotAnObject { path: self.path.clone() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_the_position() {
        let doc = ConfigDocument::from_text("/ws/.devcontainer.json".into(), "{\n  \"image\": \"x\"\n  \"name\": 1\n}".into());
        let err = doc.value().unwrap_err().to_string();
        assert!(err.starts_with("/ws/.devcontainer.json:3:3: syntax error: expected comma"), "{err}");
    }

    #[test]
    fn comments_trailing_commas_and_duplicates_are_fine() {
        let doc = ConfigDocument::from_text("/c.json".into(), "{ // c\n \"a\": 1, \"a\": 2, }".into());
        assert_eq!(doc.value().unwrap(), serde_json::json!({"a": 2}));
    }

    #[test]
    fn non_objects_are_rejected() {
        for text in ["[]", "", "\"image\""] {
            let doc = ConfigDocument::from_text("/c.json".into(), text.into());
            assert!(matches!(doc.value(), Err(ConfigError::NotAnObject { .. })), "{text}");
        }
    }

    #[test]
    fn invalid_utf8_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devcontainer.json");
        std::fs::write(&path, b"{\n  \"name\": \"caf\xe9\"\n}").unwrap();
        let err = ConfigDocument::read(&path).unwrap_err().to_string();
        assert!(err.contains(":2:15: syntax error: invalid UTF-8"), "{err}");
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let err = ConfigDocument::read(Path::new("/nonexistent/devcontainer.json")).unwrap_err();
        assert!(matches!(err, ConfigError::Io { .. }));
    }
}

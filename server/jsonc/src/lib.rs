//! JSON-with-comments for devcontainer.json: a tolerant parser that keeps a byte
//! span on every key and value, and a line index that turns spans into
//! line/column positions (UTF-8, UTF-16 or characters).

pub mod format;
mod line_index;
pub mod outline;
mod parser;
mod scanner;
mod tree;

pub use line_index::{LineCol, LineIndex, PositionEncoding};
pub use parser::{parse, Parse, Severity, SyntaxError, SyntaxErrorKind, MAX_DEPTH};
pub use scanner::ScanError;
pub use tree::{path_to_string, Key, Node, NodeKind, PathSegment, Property, Span};

/// Decodes a file's bytes as UTF-8; on failure returns the byte offset of the
/// first invalid sequence.
pub fn decode_utf8(bytes: &[u8]) -> Result<&str, usize> {
    std::str::from_utf8(bytes).map_err(|e| e.valid_up_to())
}

#[cfg(test)]
mod tests;

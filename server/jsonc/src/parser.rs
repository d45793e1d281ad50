//! Error-tolerant recursive-descent parser over the scanner. Owns syntax errors
//! and their recovery: it always returns the best tree it can, so a half-typed
//! file still gets completion and hover. Nesting is bounded (no stack overflow).

use crate::scanner::{ScanError, Scanner, Token, TokenKind};
use crate::tree::{Key, Node, NodeKind, Property, Span};
use std::collections::HashMap;

/// Deeper nesting than this is reported as an error instead of recursing further.
pub const MAX_DEPTH: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    Scan(ScanError),
    ValueExpected,
    PropertyExpected,
    ColonExpected,
    CommaExpected,
    CommaOrCloseBracketExpected,
    CommaOrCloseBraceExpected,
    KeysMustBeQuoted,
    DuplicateKey,
    EndOfFileExpected,
    RootExpected,
    InvalidNumber,
    TooDeep,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub message: String,
    pub span: Span,
    pub severity: Severity,
}

#[derive(Clone, Debug, Default)]
pub struct Parse {
    pub root: Option<Node>,
    pub errors: Vec<SyntaxError>,
    /// Spans of `//` and `/* */` comments, for folding and formatting.
    pub comments: Vec<Span>,
}

impl Parse {
    /// Errors only (duplicate keys are warnings).
    pub fn has_errors(&self) -> bool {
        self.errors.iter().any(|e| e.severity == Severity::Error)
    }
}

/// Parses JSON with comments and trailing commas.
pub fn parse(text: &str) -> Parse {
    let mut p = Parser {
        scanner: Scanner::new(text),
        tok: Token { kind: TokenKind::Eof, start: 0, end: 0, error: None },
        errors: Vec::new(),
        comments: Vec::new(),
        last_error_start: None,
        too_deep: false,
    };
    p.advance();
    let mut root = None;
    if p.tok.kind != TokenKind::Eof {
        root = p.parse_value(0);
        match &root {
            None => p.error(SyntaxErrorKind::RootExpected, "expected a JSON object, array or literal"),
            Some(_) if p.tok.kind != TokenKind::Eof => {
                p.error(SyntaxErrorKind::EndOfFileExpected, "end of file expected: text after the closing bracket")
            }
            _ => {}
        }
    }
    Parse { root, errors: p.errors, comments: p.comments }
}

struct Parser<'a> {
    scanner: Scanner<'a>,
    tok: Token,
    errors: Vec<SyntaxError>,
    comments: Vec<Span>,
    last_error_start: Option<usize>,
    too_deep: bool,
}

impl Parser<'_> {
    /// Moves to the next significant token, recording comments and lexical errors.
    fn advance(&mut self) -> TokenKind {
        loop {
            self.tok = self.scanner.next_token();
            if let Some(e) = self.tok.error {
                self.error(SyntaxErrorKind::Scan(e), e.message());
            }
            match self.tok.kind {
                TokenKind::LineComment | TokenKind::BlockComment => {
                    self.comments.push(self.tok.start..self.tok.end)
                }
                TokenKind::Whitespace => {}
                k => return k,
            }
        }
    }

    fn error_at(&mut self, kind: SyntaxErrorKind, message: &str, span: Span, severity: Severity) {
        // One error per position: recovery often trips twice on the same token.
        if self.last_error_start == Some(span.start) && severity == Severity::Error {
            return;
        }
        if severity == Severity::Error {
            self.last_error_start = Some(span.start);
        }
        self.errors.push(SyntaxError { kind, message: message.to_string(), span, severity });
    }

    /// Reports at the current token; at end of input, on the last significant character.
    fn error(&mut self, kind: SyntaxErrorKind, message: &str) {
        let (mut start, mut end) = (self.tok.start, self.tok.end);
        if start == end && start > 0 {
            let bytes = self.scanner.text().as_bytes();
            start -= 1;
            while start > 0 && bytes[start].is_ascii_whitespace() {
                start -= 1;
            }
            while start > 0 && !self.scanner.text().is_char_boundary(start) {
                start -= 1;
            }
            end = start + self.scanner.text()[start..].chars().next().map_or(1, char::len_utf8);
        }
        self.error_at(kind, message, start..end, Severity::Error);
    }

    fn skip_until(&mut self, stop: &[TokenKind]) {
        while self.tok.kind != TokenKind::Eof && !stop.contains(&self.tok.kind) {
            self.advance();
        }
    }

    fn parse_value(&mut self, depth: usize) -> Option<Node> {
        let start = self.tok.start;
        let kind = match self.tok.kind {
            TokenKind::OpenBracket | TokenKind::OpenBrace if depth >= MAX_DEPTH => {
                if !self.too_deep {
                    self.too_deep = true;
                    self.error(
                        SyntaxErrorKind::TooDeep,
                        &format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
                    );
                }
                // Skip the whole over-deep value without recursing.
                let mut level = 0usize;
                loop {
                    match self.tok.kind {
                        TokenKind::OpenBracket | TokenKind::OpenBrace => level += 1,
                        TokenKind::CloseBracket | TokenKind::CloseBrace => level = level.saturating_sub(1),
                        TokenKind::Eof => break,
                        _ => {}
                    }
                    let end = self.tok.end;
                    self.advance();
                    if level == 0 {
                        return Some(Node { span: start..end, kind: NodeKind::Null });
                    }
                }
                return Some(Node { span: start..self.tok.start, kind: NodeKind::Null });
            }
            TokenKind::OpenBracket => return Some(self.parse_array(depth)),
            TokenKind::OpenBrace => return Some(self.parse_object(depth)),
            TokenKind::String => NodeKind::String(std::mem::take(&mut self.scanner.string_value)),
            TokenKind::Number => {
                let text = &self.scanner.text()[self.tok.start..self.tok.end];
                let is_integer = !text.contains(['.', 'e', 'E']);
                match text.parse::<f64>() {
                    Ok(value) if value.is_finite() => {
                        NodeKind::Number { text: text.to_string(), value, is_integer }
                    }
                    _ => {
                        self.error(SyntaxErrorKind::InvalidNumber, "invalid number");
                        NodeKind::Number { text: text.to_string(), value: 0.0, is_integer }
                    }
                }
            }
            TokenKind::True => NodeKind::Bool(true),
            TokenKind::False => NodeKind::Bool(false),
            TokenKind::Null => NodeKind::Null,
            _ => return None,
        };
        let end = self.tok.end;
        self.advance();
        Some(Node { span: start..end, kind })
    }

    fn parse_array(&mut self, depth: usize) -> Node {
        let start = self.tok.start;
        self.advance();
        let mut items = Vec::new();
        let mut needs_comma = false;
        while !matches!(self.tok.kind, TokenKind::CloseBracket | TokenKind::Eof) {
            if self.tok.kind == TokenKind::Comma {
                if !needs_comma {
                    self.error(SyntaxErrorKind::ValueExpected, "value expected");
                }
                self.advance();
                if self.tok.kind == TokenKind::CloseBracket {
                    continue; // trailing comma: accepted
                }
            } else if needs_comma {
                self.error(SyntaxErrorKind::CommaExpected, "expected comma");
            }
            match self.parse_value(depth + 1) {
                Some(item) => items.push(item),
                None => {
                    self.error(SyntaxErrorKind::ValueExpected, "value expected");
                    self.skip_until(&[TokenKind::CloseBracket, TokenKind::Comma]);
                }
            }
            needs_comma = true;
        }
        if self.tok.kind != TokenKind::CloseBracket {
            self.error(SyntaxErrorKind::CommaOrCloseBracketExpected, "expected comma or closing bracket");
            return Node { span: start..self.tok.end, kind: NodeKind::Array(items) };
        }
        let end = self.tok.end;
        self.advance();
        Node { span: start..end, kind: NodeKind::Array(items) }
    }

    fn parse_object(&mut self, depth: usize) -> Node {
        let start = self.tok.start;
        self.advance();
        let mut props: Vec<Property> = Vec::new();
        // key -> index of its first property; None once reported as duplicate.
        let mut seen: HashMap<String, Option<usize>> = HashMap::new();
        let mut needs_comma = false;
        while !matches!(self.tok.kind, TokenKind::CloseBrace | TokenKind::Eof) {
            if self.tok.kind == TokenKind::Comma {
                if !needs_comma {
                    self.error(SyntaxErrorKind::PropertyExpected, "property expected");
                }
                self.advance();
                if self.tok.kind == TokenKind::CloseBrace {
                    continue; // trailing comma: accepted
                }
            } else if needs_comma {
                self.error(SyntaxErrorKind::CommaExpected, "expected comma");
            }
            match self.parse_property(depth) {
                Some(prop) => {
                    self.check_duplicate(&mut seen, &props, &prop);
                    props.push(prop);
                }
                None => {
                    self.error(SyntaxErrorKind::PropertyExpected, "property expected");
                    self.skip_until(&[TokenKind::CloseBrace, TokenKind::Comma]);
                }
            }
            needs_comma = true;
        }
        if self.tok.kind != TokenKind::CloseBrace {
            self.error(SyntaxErrorKind::CommaOrCloseBraceExpected, "expected comma or closing brace");
            return Node { span: start..self.tok.end, kind: NodeKind::Object(props) };
        }
        let end = self.tok.end;
        self.advance();
        Node { span: start..end, kind: NodeKind::Object(props) }
    }

    fn check_duplicate(&mut self, seen: &mut HashMap<String, Option<usize>>, props: &[Property], prop: &Property) {
        let key = &prop.key.value;
        if key == "//" {
            return;
        }
        match seen.get(key) {
            None => {
                seen.insert(key.clone(), Some(props.len()));
            }
            Some(first) => {
                let message = format!("duplicate key \"{key}\": the last value wins");
                self.error_at(SyntaxErrorKind::DuplicateKey, &message, prop.key.span.clone(), Severity::Warning);
                if let Some(i) = *first {
                    let span = props[i].key.span.clone();
                    self.error_at(SyntaxErrorKind::DuplicateKey, &message, span, Severity::Warning);
                }
                seen.insert(key.clone(), None);
            }
        }
    }

    fn parse_property(&mut self, depth: usize) -> Option<Property> {
        let key_start = self.tok.start;
        let key = match self.tok.kind {
            TokenKind::String => {
                let value = std::mem::take(&mut self.scanner.string_value);
                Key { value, span: self.tok.start..self.tok.end }
            }
            TokenKind::Unknown => {
                self.error(SyntaxErrorKind::KeysMustBeQuoted, "property keys must be double-quoted");
                let value = self.scanner.text()[self.tok.start..self.tok.end].to_string();
                Key { value, span: self.tok.start..self.tok.end }
            }
            _ => return None,
        };
        let key_end = key.span.end;
        self.advance();
        let mut colon = None;
        if self.tok.kind == TokenKind::Colon {
            colon = Some(self.tok.start);
            self.advance();
        } else {
            self.error(SyntaxErrorKind::ColonExpected, "colon expected");
            // `"a"` alone on a line followed by another key: treat as a key being typed.
            if self.tok.kind == TokenKind::String && self.scanner.text()[key_end..self.tok.start].contains('\n') {
                return Some(Property { key, colon, value: None, span: key_start..key_end });
            }
        }
        match self.parse_value(depth + 1) {
            Some(value) => {
                let end = value.span.end;
                Some(Property { key, colon, value: Some(value), span: key_start..end })
            }
            None => {
                self.error(SyntaxErrorKind::ValueExpected, "value expected");
                let end = colon.map_or(key_end, |c| c + 1);
                self.skip_until(&[TokenKind::CloseBrace, TokenKind::Comma]);
                Some(Property { key, colon, value: None, span: key_start..end })
            }
        }
    }
}

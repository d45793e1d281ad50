//! Error-tolerant recursive-descent parser over the scanner. Owns syntax errors
//! and their recovery: it always returns the best tree it can, so a half-typed
//! file still gets completion and hover. Nesting is bounded (no stack overflow).

use crate::scanner::{ScanError, Scanner, Token, TokenKind};
use crate::tree::{Key, Node, NodeKind, Property, Span};
use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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

thread_local! {
    /// The parser's scratch stacks (see [`Parser::items`]), kept between parses
    /// on this thread. Between parses they hold only their placeholder; keeping
    /// their capacity saves allocating them (a large allocation, which makes
    /// the allocator tidy up its caches of small blocks) on every parse.
    static SCRATCH: Cell<(Vec<Node>, Vec<Property>)> = const { Cell::new((Vec::new(), Vec::new())) };
}

/// Scratch stacks larger than this many entries are not kept.
const SCRATCH_KEEP: usize = 4096;

/// Parses JSON with comments and trailing commas.
pub fn parse(text: &str) -> Parse {
    let (mut items, mut props) = SCRATCH.with(Cell::take);
    // A placeholder at the bottom of each stack: containers start above it, so
    // `split_off` never takes the whole stack.
    if items.is_empty() {
        items.push(Node { span: 0..0, kind: NodeKind::Null });
    }
    if props.is_empty() {
        props.push(Property { key: Key { value: String::new(), span: 0..0 }, colon: None, value: None, span: 0..0 });
    }
    let mut p = Parser {
        scanner: Scanner::new(text),
        tok: Token { kind: TokenKind::Eof, start: 0, end: 0, error: None },
        errors: Vec::new(),
        comments: Vec::new(),
        last_error_start: None,
        too_deep: false,
        items,
        props,
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
    let (mut items, mut props) = (p.items, p.props);
    if items.capacity() <= SCRATCH_KEEP && props.capacity() <= SCRATCH_KEEP {
        items.truncate(1);
        props.truncate(1);
        SCRATCH.with(|s| s.set((items, props)));
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
    /// Elements of the arrays being parsed, innermost last; each array moves
    /// its own into an exactly sized `Vec` when it closes.
    items: Vec<Node>,
    /// Properties of the objects being parsed, likewise.
    props: Vec<Property>,
}

impl Parser<'_> {
    /// Moves to the next significant token, recording comments and lexical errors.
    fn advance(&mut self) -> TokenKind {
        loop {
            // Whitespace tokens carry no error and are dropped below anyway.
            self.scanner.skip_whitespace();
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

    /// [`Parser::advance`], quicker when the next token is the single-character
    /// token `byte` (of `kind`), which the caller expects.
    #[inline]
    fn advance_punct(&mut self, byte: u8, kind: TokenKind) -> TokenKind {
        self.scanner.skip_whitespace();
        let pos = self.scanner.pos();
        if self.scanner.text().as_bytes().get(pos) == Some(&byte) {
            self.scanner.set_pos(pos + 1);
            self.tok = Token { kind, start: pos, end: pos + 1, error: None };
            return kind;
        }
        self.advance()
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
        // In a container a value is mostly followed by a comma.
        self.advance_punct(b',', TokenKind::Comma);
        Some(Node { span: start..end, kind })
    }

    fn parse_array(&mut self, depth: usize) -> Node {
        let start = self.tok.start;
        self.advance();
        let base = self.items.len();
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
                Some(item) => self.items.push(item),
                None => {
                    self.error(SyntaxErrorKind::ValueExpected, "value expected");
                    self.skip_until(&[TokenKind::CloseBracket, TokenKind::Comma]);
                }
            }
            needs_comma = true;
        }
        let items: Vec<Node> = self.items.split_off(base);
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
        let base = self.props.len();
        // Small objects look for duplicate keys by scanning; large ones get an index.
        let mut index: Option<KeyIndex> = None;
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
            if !self.parse_property(depth, base, &mut index) {
                self.error(SyntaxErrorKind::PropertyExpected, "property expected");
                self.skip_until(&[TokenKind::CloseBrace, TokenKind::Comma]);
            }
            needs_comma = true;
        }
        // One copy into an exactly sized Vec (`base` > 0: see `SCRATCH`).
        let props: Vec<Property> = self.props.split_off(base);
        if self.tok.kind != TokenKind::CloseBrace {
            self.error(SyntaxErrorKind::CommaOrCloseBraceExpected, "expected comma or closing brace");
            return Node { span: start..self.tok.end, kind: NodeKind::Object(props) };
        }
        let end = self.tok.end;
        self.advance();
        Node { span: start..end, kind: NodeKind::Object(props) }
    }

    /// Reports `prop` (about to become property number `self.props.len() - base`
    /// of the object) if an earlier property has the same key: a warning on
    /// every occurrence, the first one only when the second shows up. `//` keys
    /// (comments by convention) may repeat.
    fn check_duplicate(&mut self, base: usize, index: &mut Option<KeyIndex>, prop: &Property) {
        let key = prop.key.value.as_str();
        if key == "//" {
            if let Some(ix) = index {
                ix.prev.push(NONE);
            }
            return;
        }
        let props = &self.props[base..];
        if index.is_none() && props.len() >= INDEX_KEYS_FROM {
            let mut ix = KeyIndex::default();
            ix.heads.reserve(2 * INDEX_KEYS_FROM);
            ix.prev.reserve(2 * INDEX_KEYS_FROM);
            for p in props {
                ix.add(&p.key.value);
            }
            *index = Some(ix);
        }
        // Earlier properties with this key: how many (up to 2) and the oldest.
        let mut count = 0;
        let mut first = 0;
        match index {
            None => {
                for (i, p) in props.iter().enumerate() {
                    if p.key.value == key {
                        if count == 0 {
                            first = i;
                        }
                        count += 1;
                        if count == 2 {
                            break;
                        }
                    }
                }
            }
            Some(ix) => {
                let mut j = ix.head(key);
                while j != NONE {
                    if props[j as usize].key.value == key {
                        first = j as usize;
                        count += 1;
                        if count == 2 {
                            break;
                        }
                    }
                    j = ix.prev[j as usize];
                }
                ix.add(key);
            }
        }
        if count == 0 {
            return;
        }
        let first_span = props[first].key.span.clone();
        let message = format!("duplicate key \"{key}\": the last value wins");
        self.error_at(SyntaxErrorKind::DuplicateKey, &message, prop.key.span.clone(), Severity::Warning);
        if count == 1 {
            self.error_at(SyntaxErrorKind::DuplicateKey, &message, first_span, Severity::Warning);
        }
    }

    /// Parses a property and adds it to the object's properties (from `base` in
    /// `self.props`), after reporting a duplicate key; `false` if there is none here.
    fn parse_property(&mut self, depth: usize, base: usize, index: &mut Option<KeyIndex>) -> bool {
        let Some(prop) = self.parse_property_value(depth) else { return false };
        self.check_duplicate(base, index, &prop);
        self.props.push(prop);
        true
    }

    #[inline(always)]
    fn parse_property_value(&mut self, depth: usize) -> Option<Property> {
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
        self.advance_punct(b':', TokenKind::Colon);
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

/// Objects with this many properties get a [`KeyIndex`].
const INDEX_KEYS_FROM: usize = 32;
const NONE: u32 = u32::MAX;

/// Properties of one object by key hash: the newest with each hash, and per
/// property the previous one with the same hash (a chain to walk and compare).
#[derive(Default)]
struct KeyIndex {
    heads: HashMap<u64, u32, BuildHasherDefault<IdHasher>>,
    prev: Vec<u32>,
}

impl KeyIndex {
    fn head(&self, key: &str) -> u32 {
        self.heads.get(&hash_key(key)).copied().unwrap_or(NONE)
    }

    /// Records the property at `self.prev.len()`, whose key is `key`.
    fn add(&mut self, key: &str) {
        let i = self.prev.len() as u32;
        let prev = if key == "//" { NONE } else { self.heads.insert(hash_key(key), i).unwrap_or(NONE) };
        self.prev.push(prev);
    }
}

/// FxHash of a key's bytes.
fn hash_key(key: &str) -> u64 {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h: u64 = key.len() as u64;
    let mut bytes = key.as_bytes();
    while bytes.len() >= 8 {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(bytes[..8].try_into().unwrap())).wrapping_mul(SEED);
        bytes = &bytes[8..];
    }
    for &b in bytes {
        h = (h.rotate_left(5) ^ b as u64).wrapping_mul(SEED);
    }
    h
}

/// The keys of [`KeyIndex::heads`] are hashes already.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

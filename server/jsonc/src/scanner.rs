//! Tokenizer for JSON with comments. Owns token kinds and lexical errors
//! (unterminated strings and comments, bad escapes, malformed numbers); it never
//! fails, so the parser above it can recover from any input.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    OpenBrace,
    CloseBrace,
    OpenBracket,
    CloseBracket,
    Comma,
    Colon,
    Null,
    True,
    False,
    String,
    Number,
    LineComment,
    BlockComment,
    Whitespace,
    /// A run of characters that is not JSON (an unquoted word, a stray symbol).
    Unknown,
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanError {
    InvalidUnicode,
    InvalidEscape,
    UnexpectedEndOfNumber,
    UnexpectedEndOfComment,
    UnexpectedEndOfString,
    InvalidCharacter,
}

impl ScanError {
    pub fn message(self) -> &'static str {
        match self {
            ScanError::InvalidUnicode => "invalid unicode escape in string",
            ScanError::InvalidEscape => "invalid escape character in string",
            ScanError::UnexpectedEndOfNumber => "unexpected end of number",
            ScanError::UnexpectedEndOfComment => "block comment is not closed (missing `*/`)",
            ScanError::UnexpectedEndOfString => "string is not closed (missing `\"`)",
            ScanError::InvalidCharacter => "control characters in strings must be escaped",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
    pub error: Option<ScanError>,
}

pub struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Decoded value of the last string token.
    pub string_value: String,
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut pos = 0;
        if text.starts_with('\u{feff}') {
            pos = 3;
        }
        Scanner { text, bytes: text.as_bytes(), pos, string_value: String::new() }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Moves past whitespace (what a `Whitespace` token would cover).
    #[inline]
    pub fn skip_whitespace(&mut self) {
        let b = self.bytes;
        let mut pos = self.pos;
        while pos < b.len() && matches!(b[pos], b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c) {
            pos += 1;
        }
        self.pos = pos;
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to `pos`, just after a single-character token the caller matched.
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos;
    }

    #[inline(always)]
    pub fn next_token(&mut self) -> Token {
        let start = self.pos;
        let mut error = None;
        let kind = if start >= self.bytes.len() {
            TokenKind::Eof
        } else {
            let b = self.bytes[start];
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c => {
                    while self.pos < self.bytes.len()
                        && matches!(self.bytes[self.pos], b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
                    {
                        self.pos += 1;
                    }
                    TokenKind::Whitespace
                }
                b'{' => self.single(TokenKind::OpenBrace),
                b'}' => self.single(TokenKind::CloseBrace),
                b'[' => self.single(TokenKind::OpenBracket),
                b']' => self.single(TokenKind::CloseBracket),
                b',' => self.single(TokenKind::Comma),
                b':' => self.single(TokenKind::Colon),
                b'"' => {
                    self.pos += 1;
                    error = self.scan_string();
                    TokenKind::String
                }
                b'/' if self.bytes.get(start + 1) == Some(&b'/') => {
                    while self.pos < self.bytes.len() && !matches!(self.bytes[self.pos], b'\n' | b'\r') {
                        self.pos += 1;
                    }
                    TokenKind::LineComment
                }
                b'/' if self.bytes.get(start + 1) == Some(&b'*') => {
                    self.pos += 2;
                    match self.text[self.pos..].find("*/") {
                        Some(i) => self.pos += i + 2,
                        None => {
                            self.pos = self.bytes.len();
                            error = Some(ScanError::UnexpectedEndOfComment);
                        }
                    }
                    TokenKind::BlockComment
                }
                b'-' | b'0'..=b'9' => {
                    if b == b'-' {
                        self.pos += 1;
                        if !self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                            return Token { kind: TokenKind::Unknown, start, end: self.pos, error: None };
                        }
                    }
                    error = self.scan_number();
                    TokenKind::Number
                }
                _ => {
                    while self.pos < self.bytes.len() && is_unknown_content(self.bytes[self.pos]) {
                        self.pos += 1;
                    }
                    if self.pos == start {
                        // A lone separator-like byte that starts no token (e.g. `/`).
                        self.pos += char_len(self.text, start);
                        TokenKind::Unknown
                    } else {
                        match &self.text[start..self.pos] {
                            "true" => TokenKind::True,
                            "false" => TokenKind::False,
                            "null" => TokenKind::Null,
                            _ => TokenKind::Unknown,
                        }
                    }
                }
            }
        };
        Token { kind, start, end: self.pos, error }
    }

    fn single(&mut self, kind: TokenKind) -> TokenKind {
        self.pos += 1;
        kind
    }

    fn scan_number(&mut self) -> Option<ScanError> {
        let b = self.bytes;
        if b.get(self.pos) == Some(&b'0') {
            self.pos += 1;
        } else {
            while b.get(self.pos).is_some_and(u8::is_ascii_digit) {
                self.pos += 1;
            }
        }
        if b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if b.get(self.pos).is_some_and(u8::is_ascii_digit) {
                while b.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos += 1;
                }
            } else {
                return Some(ScanError::UnexpectedEndOfNumber);
            }
        }
        if matches!(b.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(b.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if b.get(self.pos).is_some_and(u8::is_ascii_digit) {
                while b.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos += 1;
                }
            } else {
                return Some(ScanError::UnexpectedEndOfNumber);
            }
        }
        None
    }

    /// Scans a string body after the opening quote, decoding it into `string_value`.
    fn scan_string(&mut self) -> Option<ScanError> {
        self.string_value.clear();
        let mut error = None;
        let b = self.bytes;
        let mut chunk_start = self.pos;
        loop {
            self.skip_plain_string_bytes();
            while let Some(&c) = b.get(self.pos) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let Some(&c) = b.get(self.pos) else {
                self.string_value.push_str(&self.text[chunk_start..self.pos]);
                return Some(ScanError::UnexpectedEndOfString);
            };
            match c {
                b'"' => {
                    let chunk = &self.text[chunk_start..self.pos];
                    if self.string_value.is_empty() {
                        // No escapes: one exactly sized allocation.
                        self.string_value = String::from(chunk);
                    } else {
                        self.string_value.push_str(chunk);
                    }
                    self.pos += 1;
                    return error;
                }
                b'\\' => {
                    self.string_value.push_str(&self.text[chunk_start..self.pos]);
                    self.pos += 1;
                    let Some(&e) = b.get(self.pos) else {
                        return Some(ScanError::UnexpectedEndOfString);
                    };
                    self.pos += 1;
                    match e {
                        b'"' => self.string_value.push('"'),
                        b'\\' => self.string_value.push('\\'),
                        b'/' => self.string_value.push('/'),
                        b'b' => self.string_value.push('\u{8}'),
                        b'f' => self.string_value.push('\u{c}'),
                        b'n' => self.string_value.push('\n'),
                        b'r' => self.string_value.push('\r'),
                        b't' => self.string_value.push('\t'),
                        b'u' => match self.scan_hex4() {
                            Some(unit) => self.push_utf16_unit(unit),
                            None => error = error.or(Some(ScanError::InvalidUnicode)),
                        },
                        _ => {
                            self.pos -= 1;
                            self.pos += char_len(self.text, self.pos);
                            error = error.or(Some(ScanError::InvalidEscape));
                        }
                    }
                    chunk_start = self.pos;
                }
                b'\n' | b'\r' => {
                    self.string_value.push_str(&self.text[chunk_start..self.pos]);
                    return Some(ScanError::UnexpectedEndOfString);
                }
                0..=0x1f => {
                    error = error.or(Some(ScanError::InvalidCharacter));
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Moves past string content that needs no attention (anything but `"`,
    /// `\\` and control characters), eight bytes at a time.
    #[inline]
    fn skip_plain_string_bytes(&mut self) {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let b = self.bytes;
        let mut pos = self.pos;
        while let Some(chunk) = b.get(pos..pos + 8) {
            let w = u64::from_le_bytes(chunk.try_into().unwrap());
            let quote = w ^ (ONES * b'"' as u64);
            let backslash = w ^ (ONES * b'\\' as u64);
            // The high bit of a byte is set when it is zero (after the xor) or
            // below 0x20. Bytes above a flagged one may be flagged wrongly, never
            // the lowest: so the lowest flag is the first byte to look at.
            let special = ((quote.wrapping_sub(ONES) & !quote)
                | (backslash.wrapping_sub(ONES) & !backslash)
                | (w.wrapping_sub(ONES * 0x20) & !w))
                & HIGH;
            if special != 0 {
                self.pos = pos + (special.trailing_zeros() / 8) as usize;
                return;
            }
            pos += 8;
        }
        self.pos = pos;
    }

    fn scan_hex4(&mut self) -> Option<u16> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let value = u16::from_str_radix(digits, 16).ok()?;
        if !digits.bytes().all(|d| d.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        Some(value)
    }

    /// Decodes `\uXXXX` escapes, joining surrogate pairs; lone surrogates become U+FFFD.
    fn push_utf16_unit(&mut self, unit: u16) {
        if (0xD800..0xDC00).contains(&unit) && self.text[self.pos..].starts_with("\\u") {
            let save = self.pos;
            self.pos += 2;
            if let Some(low) = self.scan_hex4() {
                if (0xDC00..0xE000).contains(&low) {
                    let c = 0x10000 + (((unit as u32) - 0xD800) << 10) + ((low as u32) - 0xDC00);
                    self.string_value.push(char::from_u32(c).unwrap_or('\u{fffd}'));
                    return;
                }
            }
            self.pos = save;
        }
        self.string_value.push(char::from_u32(unit as u32).unwrap_or('\u{fffd}'));
    }
}

fn is_unknown_content(b: u8) -> bool {
    !matches!(
        b,
        b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c | b'{' | b'}' | b'[' | b']' | b'"' | b':' | b',' | b'/'
    )
}

fn char_len(text: &str, pos: usize) -> usize {
    text[pos..].chars().next().map_or(1, char::len_utf8)
}

//! Byte offset <-> line/column conversion. Owns the column unit question:
//! UTF-8 bytes, UTF-16 code units (LSP default) or Unicode characters (CLI output).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PositionEncoding {
    Utf8,
    Utf16,
    /// Unicode scalar values; what `devc validate` prints.
    Chars,
}

/// Zero-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
    text_len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts, text_len: text.len() }
    }

    /// Position of `offset` (clamped to the text; snapped back to a char boundary).
    pub fn line_col(&self, text: &str, offset: usize, enc: PositionEncoding) -> LineCol {
        let mut offset = offset.min(self.text_len);
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let segment = &text[self.starts[line]..offset];
        let col = match enc {
            PositionEncoding::Utf8 => segment.len(),
            PositionEncoding::Utf16 => segment.encode_utf16().count(),
            PositionEncoding::Chars => segment.chars().count(),
        };
        LineCol { line: line as u32, col: col as u32 }
    }

    /// Byte offset of a position; columns past the line end clamp to it.
    pub fn offset(&self, text: &str, pos: LineCol, enc: PositionEncoding) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return self.text_len;
        };
        let end = self.starts.get(pos.line as usize + 1).copied().unwrap_or(self.text_len);
        let line = &text[start..end];
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= pos.col || c == '\n' || c == '\r' {
                return start + i;
            }
            units += match enc {
                PositionEncoding::Utf8 => c.len_utf8() as u32,
                PositionEncoding::Utf16 => c.len_utf16() as u32,
                PositionEncoding::Chars => 1,
            };
        }
        end
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

//! Formatting for JSONC that keeps every comment where the author put it. Owns the
//! layout rules (indentation, one property per line, kept blank lines, comma
//! placement, one-line scalar arrays) and range formatting for the language server.
//!
//! Works on the parser's tree plus its comment spans: between two tree elements
//! the source holds only whitespace, commas, colons and comments, so the output is
//! rebuilt from the tree while keys, scalars and comments are copied verbatim from
//! the source text (never re-escaped). Files with syntax errors are never
//! formatted.

use crate::parser::{parse, Parse};
use crate::tree::{Node, NodeKind, Property, Span};
use std::ops::Range;

/// One level of indentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Indent {
    /// That many spaces (at most [`MAX_INDENT_SPACES`]; a client's larger tab
    /// size is clamped).
    Spaces(u32),
    Tab,
}

pub const MAX_INDENT_SPACES: u32 = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatOptions {
    pub indent: Indent,
    /// End the document with a newline even when the source has none. When false
    /// the source's choice is kept (a final newline is never removed).
    pub insert_final_newline: bool,
    /// Keep a trailing comma after the last property or item where the source has
    /// one (one is never added). Default: trailing commas are removed.
    pub trailing_commas: bool,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions { indent: Indent::Spaces(2), insert_final_newline: false, trailing_commas: false }
    }
}

impl FormatOptions {
    /// From LSP `FormattingOptions` (`tabSize`, `insertSpaces`); the other fields
    /// keep their defaults.
    pub fn from_lsp(tab_size: u32, insert_spaces: bool) -> Self {
        let indent = if insert_spaces { Indent::Spaces(tab_size) } else { Indent::Tab };
        FormatOptions { indent, ..FormatOptions::default() }
    }
}

/// Replace the source bytes in `span` with `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Range<usize>,
    pub new_text: String,
}

/// Formats a whole document; `None` when it has syntax errors (duplicate keys,
/// being warnings, do not count).
pub fn format(text: &str, opts: &FormatOptions) -> Option<String> {
    format_parsed(text, &parse(text), opts)
}

/// [`format()`] for a document already parsed (`parse` must be `parse(text)`).
pub fn format_parsed(text: &str, parse: &Parse, opts: &FormatOptions) -> Option<String> {
    if parse.has_errors() {
        return None;
    }
    let mut p = Printer::new(text, parse, opts, String::new(), true);
    p.document(parse.root.as_ref());
    let tail = text.trim_end_matches([' ', '\t']);
    let had_final_newline = tail.ends_with(['\n', '\r']);
    let mut out = p.out;
    let content = out.strip_prefix('\u{feff}').unwrap_or(&out);
    if !content.is_empty() && (opts.insert_final_newline || had_final_newline) {
        out.push_str(p.eol);
    }
    Some(out)
}

/// Formats the smallest part of the document enclosing `range` (byte offsets):
/// the properties or items of the innermost object/array that the range touches,
/// or that whole object/array when the range reaches its brackets (or it is a
/// one-line array). The part keeps the indentation of the line it starts on; no
/// edit reaches outside the enclosing object/array. A range beyond the root value
/// formats the whole document. Returns at most one edit (none when already
/// formatted), or `None` when the document has syntax errors.
pub fn format_range(text: &str, range: Range<usize>, opts: &FormatOptions) -> Option<Vec<TextEdit>> {
    let parse = parse(text);
    if parse.has_errors() {
        return None;
    }
    let start = range.start.min(text.len());
    let end = range.end.clamp(start, text.len());
    let Some(root) = &parse.root else {
        return Some(Vec::new());
    };
    if start < root.span.start || end > root.span.end {
        let formatted = format_parsed(text, &parse, opts)?;
        return Some(minimal_edit(text, 0..text.len(), &formatted));
    }

    // The innermost object or array containing the range.
    let mut node = root;
    'descend: while let Some(items) = Items::of(node) {
        for i in 0..items.len() {
            let (s, e) = items.span(i);
            if s <= start && end <= e {
                if let Some(v) = items.value(i) {
                    if Items::of(v).is_some() && v.span.start <= start && end <= v.span.end {
                        node = v;
                        continue 'descend;
                    }
                }
                break;
            }
        }
        break;
    }
    let Some(items) = Items::of(node) else {
        return Some(Vec::new()); // a scalar root: nothing to lay out
    };

    let whole = start <= node.span.start || end >= node.span.end || is_inline(text, node, items);
    let hits: Vec<usize> = (0..items.len())
        .filter(|&i| {
            let (s, e) = items.span(i);
            if start == end {
                s <= start && start <= e
            } else {
                s < end && start < e
            }
        })
        .collect();
    if let (Some(&first), Some(&last), false) = (hits.first(), hits.last(), whole) {
        if let Some(edits) = format_run(text, &parse, opts, node, items, first..=last, start..end) {
            return Some(edits);
        }
    } else if !whole {
        return Some(Vec::new()); // only whitespace or comments between two children
    }
    let base = line_indent(text, node.span.start);
    let mut p = Printer::new(text, &parse, opts, base.to_string(), false);
    p.value(node);
    Some(minimal_edit(text, node.span.clone(), &p.out))
}

/// Formats children `run` of `node` in place, at the indentation of the line the
/// first one starts; the region grows to own-line comments above the first child
/// and to the comma and comments after the last one on its line, when `range`
/// reaches them. `None` when neither the first child nor a comment above it in
/// the range starts its line.
fn format_run(
    text: &str,
    parse: &Parse,
    opts: &FormatOptions,
    node: &Node,
    items: Items,
    run: std::ops::RangeInclusive<usize>,
    range: Range<usize>,
) -> Option<Vec<TextEdit>> {
    let (first, last) = (*run.start(), *run.end());
    let mut p = Printer::new(text, parse, opts, String::new(), false);
    let first_start = items.span(first).0;
    let prev_end = if first == 0 { node.span.start + 1 } else { items.span(first - 1).1 };
    let before = p.gap(prev_end, first_start);
    let lead = before
        .comments
        .iter()
        .find(|c| {
            // After the comma: the region must not swallow it.
            let after_comma = before.comma.is_none_or(|at| at < c.span.start);
            after_comma && c.span.start >= range.start && own_line_indent(text, c.span.start).is_some()
        })
        .map(|c| c.span.start);
    // The first child keeps its indentation; comments above it are re-indented
    // from their line's start.
    let base = own_line_indent(text, first_start).or_else(|| lead.and_then(|at| own_line_indent(text, at)))?;
    p.base = base.to_string();
    let mut region_start = first_start;
    if let Some(at) = lead {
        region_start = line_start(text, at);
        let mut gap = p.gap(at, first_start);
        let comment = gap.comments.remove(0);
        p.out.push_str(base);
        p.at_line_start = true;
        p.comment(&comment);
        p.separator(&gap, true, false, true);
    }
    p.item(items, first);
    for i in first + 1..=last {
        p.token(",");
        let gap = p.gap(items.span(i - 1).1, items.span(i).0);
        p.separator(&gap, true, false, false);
        p.item(items, i);
    }

    let mut region_end = items.span(last).1;
    if range.end > region_end {
        let next = if last + 1 < items.len() { items.span(last + 1).0 } else { node.span.end - 1 };
        let after = p.gap(region_end, next);
        let trailing: Vec<&Comment> = after.comments.iter().take_while(|c| c.breaks_before == 0).collect();
        // Only a comma on the child's line and before its comments joins the region,
        // so the region never ends between a `//` comment and its line break.
        let comma_ok = after.comma.is_none_or(|at| {
            !text[region_end..at].contains(['\n', '\r']) && trailing.first().is_none_or(|c| at < c.span.start)
        });
        if comma_ok {
            if let Some(at) = after.comma {
                if last + 1 < items.len() || opts.trailing_commas {
                    p.token(",");
                }
                region_end = at + 1;
            }
            for c in trailing {
                p.space();
                p.comment(c);
                region_end = c.span.end;
            }
        }
    }
    Some(minimal_edit(text, region_start..region_end, &p.out))
}

/// The edit turning `text[span]` into `new`, trimmed to the part that changes.
fn minimal_edit(text: &str, span: Range<usize>, new: &str) -> Vec<TextEdit> {
    let old = &text[span.clone()];
    if old == new {
        return Vec::new();
    }
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = a.len().min(b.len()) - prefix;
    let mut suffix = a.iter().rev().zip(b.iter().rev()).take(max_suffix).take_while(|(x, y)| x == y).count();
    while !old.is_char_boundary(a.len() - suffix) || !new.is_char_boundary(b.len() - suffix) {
        suffix -= 1;
    }
    vec![TextEdit {
        span: span.start + prefix..span.end - suffix,
        new_text: new[prefix..b.len() - suffix].to_string(),
    }]
}

/// The children of an object or array, uniformly.
#[derive(Clone, Copy)]
enum Items<'n> {
    Obj(&'n [Property]),
    Arr(&'n [Node]),
}

impl<'n> Items<'n> {
    fn of(node: &'n Node) -> Option<Self> {
        match &node.kind {
            NodeKind::Object(p) => Some(Items::Obj(p)),
            NodeKind::Array(a) => Some(Items::Arr(a)),
            _ => None,
        }
    }

    fn len(self) -> usize {
        match self {
            Items::Obj(p) => p.len(),
            Items::Arr(a) => a.len(),
        }
    }

    /// Start and end of child `i` (a property runs from its key to its value).
    fn span(self, i: usize) -> (usize, usize) {
        match self {
            Items::Obj(p) => (p[i].span.start, p[i].span.end),
            Items::Arr(a) => (a[i].span.start, a[i].span.end),
        }
    }

    fn value(self, i: usize) -> Option<&'n Node> {
        match self {
            Items::Obj(p) => p[i].value.as_ref(),
            Items::Arr(a) => Some(&a[i]),
        }
    }
}

/// Laid out on one line: empty containers without line breaks inside, and arrays
/// of scalars the author wrote on one line.
fn is_inline(text: &str, node: &Node, items: Items) -> bool {
    let inner = &text[node.span.start + 1..node.span.end - 1];
    if inner.contains(['\n', '\r']) {
        return false;
    }
    match items {
        Items::Obj(p) => p.is_empty(),
        Items::Arr(a) => a.iter().all(|n| !matches!(n.kind, NodeKind::Object(_) | NodeKind::Array(_))),
    }
}

/// 0 without a line break, 1 with line breaks, 2 when a blank line (two breaks
/// with only spaces between; `"a": 1\n,\n"b"` has none) is among them.
fn line_breaks(s: &str) -> usize {
    let b = s.as_bytes();
    let mut breaks = 0;
    let mut blank_so_far = false; // only whitespace since the last line break
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\r' if b.get(i + 1) == Some(&b'\n') => {}
            b'\n' | b'\r' => {
                if blank_so_far {
                    return 2;
                }
                breaks = 1;
                blank_so_far = true;
            }
            b' ' | b'\t' | 0x0b | 0x0c => {}
            _ => blank_so_far = false,
        }
    }
    breaks
}

fn line_start(text: &str, pos: usize) -> usize {
    let start = text[..pos].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    if start == 0 && text.starts_with('\u{feff}') {
        3.min(pos)
    } else {
        start
    }
}

/// The whitespace starting the line that holds `pos`.
fn line_indent(text: &str, pos: usize) -> &str {
    let start = line_start(text, pos);
    let line = &text[start..pos];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// The whitespace before `pos` when nothing else precedes it on its line.
fn own_line_indent(text: &str, pos: usize) -> Option<&str> {
    let before = &text[line_start(text, pos)..pos];
    before.bytes().all(|b| b == b' ' || b == b'\t').then_some(before)
}

/// The first line break outside comments (so the output, whose breaks outside
/// comments are all this one, gets the same answer); else the first one inside a
/// comment; else `\n`.
fn detect_eol(text: &str, comments: &[Span]) -> &'static str {
    let kind = |i: usize| match text.as_bytes()[i..] {
        [b'\r', b'\n', ..] => "\r\n",
        [b'\r', ..] => "\r",
        _ => "\n",
    };
    let mut from = 0;
    for c in comments.iter().map(|c| c.start..c.end).chain(std::iter::once(text.len()..text.len())) {
        if let Some(i) = text[from..c.start].find(['\n', '\r']) {
            return kind(from + i);
        }
        from = c.end;
    }
    text.find(['\n', '\r']).map_or("\n", kind)
}

/// A comment in a gap, with the line breaks between it and what precedes it.
struct Comment {
    span: Span,
    /// See [`line_breaks`].
    breaks_before: usize,
    line: bool,
}

/// What lies between two tree elements.
struct Gap {
    comments: Vec<Comment>,
    /// [`line_breaks`] between the last comment (or the gap's start) and its end.
    breaks_after: usize,
    /// Where the comma is, if the gap holds one.
    comma: Option<usize>,
}

struct Printer<'a> {
    text: &'a str,
    comments: &'a [Span],
    trailing_commas: bool,
    unit: String,
    /// Indentation every line starts with (range formatting keeps the region's).
    base: String,
    eol: &'static str,
    out: String,
    level: usize,
    /// Line breaks owed before the next token: 0, 1 or 2 (one blank line).
    pending: usize,
    at_line_start: bool,
}

impl<'a> Printer<'a> {
    fn new(text: &'a str, parse: &'a Parse, opts: &FormatOptions, base: String, at_line_start: bool) -> Self {
        let unit = match opts.indent {
            Indent::Spaces(n) => " ".repeat(n.min(MAX_INDENT_SPACES) as usize),
            Indent::Tab => "\t".to_string(),
        };
        let eol = detect_eol(text, &parse.comments);
        Printer {
            text,
            comments: &parse.comments,
            trailing_commas: opts.trailing_commas,
            unit,
            base,
            eol,
            out: String::new(),
            level: 0,
            pending: 0,
            at_line_start,
        }
    }

    fn gap(&self, from: usize, to: usize) -> Gap {
        let first = self.comments.partition_point(|c| c.start < from);
        let mut comments = Vec::new();
        let mut prev = from;
        let mut comma = None;
        let find_comma = |from: usize, to: usize| self.text[from..to].find(',').map(|i| from + i);
        for c in &self.comments[first..] {
            if c.start >= to {
                break;
            }
            let between = &self.text[prev..c.start];
            comma = comma.or(find_comma(prev, c.start));
            let line = self.text[c.clone()].starts_with("//");
            comments.push(Comment { span: c.clone(), breaks_before: line_breaks(between), line });
            prev = c.end;
        }
        let to = to.max(prev);
        Gap { comments, breaks_after: line_breaks(&self.text[prev..to]), comma: comma.or(find_comma(prev, to)) }
    }

    fn flush(&mut self) {
        if self.pending > 0 {
            let kept = self.out.trim_end_matches([' ', '\t']).len();
            self.out.truncate(kept);
            for _ in 0..self.pending {
                self.out.push_str(self.eol);
            }
            self.out.push_str(&self.base);
            for _ in 0..self.level {
                self.out.push_str(&self.unit);
            }
            self.pending = 0;
            self.at_line_start = true;
        }
    }

    fn token(&mut self, s: &str) {
        self.flush();
        self.out.push_str(s);
        self.at_line_start = false;
    }

    fn space(&mut self) {
        if self.pending == 0 && !self.at_line_start && !self.out.ends_with(' ') {
            self.out.push(' ');
        }
    }

    fn newline(&mut self, blank: bool) {
        self.pending = self.pending.max(if blank { 2 } else { 1 });
    }

    /// Writes a comment verbatim; a `//` comment ends the line (its trailing
    /// whitespace dropped). A block comment spanning lines that starts a line of
    /// the output moves its inner lines with the indentation of the line it
    /// started in the source (their common prefix is replaced; lines without it
    /// are left alone, blank ones emptied).
    fn comment(&mut self, c: &Comment) {
        self.flush();
        let text = self.text;
        let raw = &text[c.span.clone()];
        if c.line {
            self.out.push_str(raw.trim_end());
            self.at_line_start = false;
            self.newline(false);
            return;
        }
        if !(self.at_line_start && raw.contains('\n')) {
            self.out.push_str(raw);
            self.at_line_start = false;
            return;
        }
        let old = line_indent(text, c.span.start);
        let line = &self.out[self.out.rfind(['\n', '\r']).map_or(0, |i| i + 1)..];
        let new = if line.bytes().all(|b| b == b' ' || b == b'\t') { line.to_string() } else { String::new() };
        for (k, piece) in raw.split('\n').enumerate() {
            if k == 0 {
                self.out.push_str(piece);
                continue;
            }
            self.out.push('\n');
            let body = piece.trim_end_matches('\r');
            if body.trim_matches([' ', '\t']).is_empty() {
                self.out.push_str(&piece[body.len()..]); // keep only a `\r`
            } else if let Some(rest) = piece.strip_prefix(old) {
                self.out.push_str(&new);
                self.out.push_str(rest);
            } else {
                self.out.push_str(piece);
            }
        }
        self.at_line_start = false;
    }

    fn document(&mut self, root: Option<&Node>) {
        let text = self.text;
        let start = if text.starts_with('\u{feff}') {
            self.out.push('\u{feff}');
            3
        } else {
            0
        };
        let gap = self.gap(start, root.map_or(text.len(), |r| r.span.start));
        for (k, c) in gap.comments.iter().enumerate() {
            if k > 0 {
                if c.breaks_before > 0 || self.pending > 0 {
                    self.newline(c.breaks_before >= 2);
                } else {
                    self.space();
                }
            }
            self.comment(c);
        }
        if let Some(root) = root {
            if !gap.comments.is_empty() {
                if self.pending > 0 || gap.breaks_after > 0 {
                    self.newline(gap.breaks_after >= 2);
                } else {
                    self.space();
                }
            }
            self.value(root);
            let gap = self.gap(root.span.end, text.len());
            self.separator(&gap, true, true, false);
        }
        self.pending = 0;
        let kept = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(kept);
    }

    fn value(&mut self, node: &Node) {
        match Items::of(node) {
            Some(items) => self.container(node, items),
            None => {
                let text = self.text;
                self.token(&text[node.span.clone()]);
            }
        }
    }

    fn item(&mut self, items: Items, i: usize) {
        match items {
            Items::Obj(p) => self.property(&p[i]),
            Items::Arr(a) => self.value(&a[i]),
        }
    }

    fn property(&mut self, p: &Property) {
        let text = self.text;
        self.token(&text[p.key.span.clone()]);
        let (Some(colon), Some(value)) = (p.colon, &p.value) else {
            return; // only in files with errors, which are never formatted
        };
        let level = self.level;
        let gap = self.gap(p.key.span.end, colon);
        self.inline_comments(&gap, level);
        self.token(":");
        let gap = self.gap(colon + 1, value.span.start);
        self.inline_comments(&gap, level);
        self.space();
        self.value(value);
        self.level = level;
    }

    /// Comments between a key, its colon and its value: kept on the line unless
    /// the source breaks the line before them (or they are `//` comments); a
    /// broken line continues one level deeper.
    fn inline_comments(&mut self, gap: &Gap, level: usize) {
        for c in &gap.comments {
            if c.breaks_before > 0 || self.pending > 0 {
                self.level = level + 1;
                self.newline(false);
            } else {
                self.space();
            }
            self.comment(c);
        }
        if self.pending > 0 {
            self.level = level + 1;
        }
    }

    fn container(&mut self, node: &Node, items: Items) {
        let (open, close) = match items {
            Items::Obj(_) => ("{", "}"),
            Items::Arr(_) => ("[", "]"),
        };
        let open_end = node.span.start + 1;
        let close_start = node.span.end - 1;
        let n = items.len();
        if is_inline(self.text, node, items) {
            self.token(open);
            let mut prev = open_end;
            for i in 0..n {
                let (s, e) = items.span(i);
                let gap = self.gap(prev, s);
                for c in &gap.comments {
                    self.space();
                    self.comment(c);
                }
                if i > 0 || !gap.comments.is_empty() {
                    self.space();
                }
                self.item(items, i);
                if i + 1 < n {
                    self.token(",");
                }
                prev = e;
            }
            let gap = self.gap(prev, close_start);
            if n > 0 && self.trailing_commas && gap.comma.is_some() {
                self.token(",");
            }
            for c in &gap.comments {
                self.space();
                self.comment(c);
            }
            if !gap.comments.is_empty() {
                self.space();
            }
            self.token(close);
            return;
        }
        if n == 0 && self.gap(open_end, close_start).comments.is_empty() {
            self.token(open);
            self.token(close);
            return;
        }
        self.token(open);
        self.level += 1;
        let mut prev = open_end;
        for i in 0..n {
            let (s, e) = items.span(i);
            let gap = self.gap(prev, s);
            self.separator(&gap, i > 0, false, false);
            self.item(items, i);
            if i + 1 < n {
                self.token(",");
            }
            prev = e;
        }
        let gap = self.gap(prev, close_start);
        if n > 0 && self.trailing_commas && gap.comma.is_some() {
            self.token(",");
        }
        self.separator(&gap, n > 0, true, false);
        self.level -= 1;
        self.newline(false);
        self.token(close);
    }

    /// Lays out the comments between two children of a multi-line container (or
    /// before its closing bracket): comments on the previous child's line stay
    /// there (after its comma), the others keep their own lines; one blank line
    /// is kept where the source has any, except right after the opening bracket
    /// (`blank_ok` false) and right before the closing one. `leading`: the
    /// comments are already past the previous child's line.
    fn separator(&mut self, gap: &Gap, mut blank_ok: bool, before_close: bool, mut leading: bool) {
        let mut k = 0;
        while !leading && k < gap.comments.len() && gap.comments[k].breaks_before == 0 {
            self.space();
            self.comment(&gap.comments[k]);
            k += 1;
        }
        leading |= k < gap.comments.len();
        for c in &gap.comments[k..] {
            if c.breaks_before > 0 || self.pending > 0 {
                self.newline(c.breaks_before >= 2 && blank_ok);
            } else {
                self.space();
            }
            self.comment(c);
            blank_ok = true;
        }
        if before_close {
            return;
        }
        if leading && gap.breaks_after == 0 && self.pending == 0 {
            self.space(); // `/* note */ "key": …` stays on one line
        } else {
            self.newline(gap.breaks_after >= 2 && blank_ok);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        format(text, &FormatOptions::default()).expect("formats")
    }

    /// Formats, then checks idempotence, value equality and comment preservation.
    fn check(text: &str, opts: &FormatOptions) -> String {
        let out = format(text, opts).expect("formats");
        let again = format(&out, opts).expect("output parses");
        assert_eq!(again, out, "not idempotent:\n--- input\n{text}\n--- once\n{out}\n--- twice\n{again}");
        let before = parse(text);
        let after = parse(&out);
        assert!(!after.has_errors(), "output has errors: {:?}\n{out}", after.errors);
        assert_eq!(
            before.root.as_ref().map(Node::to_value),
            after.root.as_ref().map(Node::to_value),
            "values differ:\n{out}"
        );
        assert_eq!(comment_texts(text, &before), comment_texts(&out, &after), "comments differ:\n{out}");
        out
    }

    /// The multiset of comments, each line trimmed (own-line block comments move
    /// their inner lines with their indentation; `//` comments lose trailing blanks).
    fn comment_texts(text: &str, parse: &Parse) -> Vec<String> {
        let mut v: Vec<String> = parse
            .comments
            .iter()
            .map(|c| text[c.clone()].lines().map(str::trim).collect::<Vec<_>>().join("\n"))
            .collect();
        v.sort();
        v
    }

    fn ok(input: &str, expected: &str) {
        assert_eq!(check(input, &FormatOptions::default()), expected, "input:\n{input}");
    }

    #[test]
    fn basic_layout() {
        ok(r#"{"image":"alpine","n":[1,2],"o":{"a":true,"b":null}}"#,
            "{\n  \"image\": \"alpine\",\n  \"n\": [1, 2],\n  \"o\": {\n    \"a\": true,\n    \"b\": null\n  }\n}");
        ok("{}", "{}");
        ok("{ }\n", "{}\n");
        ok("[\n\n]", "[]");
        ok("{\"a\": {   }, \"b\": [ ]}", "{\n  \"a\": {},\n  \"b\": []\n}");
        ok("  \"str\"  ", "\"str\"");
        ok("", "");
        ok("   \n", "");
    }

    #[test]
    fn scalars_are_copied_verbatim() {
        ok(r#"{"a":"\u0041\/\"x\"","b":1E+3,"c":-0.50}"#,
            "{\n  \"a\": \"\\u0041\\/\\\"x\\\"\",\n  \"b\": 1E+3,\n  \"c\": -0.50\n}");
        ok(r#"{"k\u00e9y": "😀"}"#, "{\n  \"k\\u00e9y\": \"😀\"\n}");
    }

    #[test]
    fn arrays_keep_the_authors_line_choice() {
        ok("{\"a\": [ 1 ,2,\"x\" ]}", "{\n  \"a\": [1, 2, \"x\"]\n}");
        ok("{\"a\": [1,\n 2]}", "{\n  \"a\": [\n    1,\n    2\n  ]\n}");
        // Objects inside: always one item per line.
        ok("[{\"a\": 1}, {}]", "[\n  {\n    \"a\": 1\n  },\n  {}\n]");
        ok("[[1, 2], [3]]", "[\n  [1, 2],\n  [3]\n]");
        // Block comments in a one-line array stay inline.
        ok("[1 /* one */, 2]", "[1, /* one */ 2]");
        ok("[ /* c */ ]", "[ /* c */ ]");
    }

    #[test]
    fn trailing_commas() {
        ok("{\"a\": 1,}", "{\n  \"a\": 1\n}");
        ok("[1, 2,]", "[1, 2]");
        let keep = FormatOptions { trailing_commas: true, ..FormatOptions::default() };
        assert_eq!(check("{\"a\": 1,}", &keep), "{\n  \"a\": 1,\n}");
        assert_eq!(check("{\"a\": 1}", &keep), "{\n  \"a\": 1\n}");
        assert_eq!(check("[1, 2,]", &keep), "[1, 2,]");
        assert_eq!(check("{\"a\": 1 // c\n ,}", &keep), "{\n  \"a\": 1, // c\n}");
    }

    #[test]
    fn trailing_comments_stay_on_their_line() {
        ok("{\n\"a\": 1, // one\n\"b\": 2 // two\n}", "{\n  \"a\": 1, // one\n  \"b\": 2 // two\n}");
        // The comma goes before the comment.
        ok("{\n\"a\": 1 // one\n, \"b\": 2\n}", "{\n  \"a\": 1, // one\n  \"b\": 2\n}");
        ok("{\"a\": 1 /* x */, \"b\": 2}", "{\n  \"a\": 1, /* x */\n  \"b\": 2\n}");
        // On the bracket's line.
        ok("{ // top\n\"a\": [ // items\n1\n]\n}", "{ // top\n  \"a\": [ // items\n    1\n  ]\n}");
        // After the root.
        ok("{} // end\n", "{} // end\n");
    }

    #[test]
    fn own_line_comments_keep_their_line() {
        ok(
            "{\n    // about a\n    \"a\": 1,\n        /* about b */\n \"b\": 2\n  // after the last\n}",
            "{\n  // about a\n  \"a\": 1,\n  /* about b */\n  \"b\": 2\n  // after the last\n}",
        );
        // A block comment before a key on the same line stays with it.
        ok("{\n/* b */ \"b\": 2}", "{\n  /* b */ \"b\": 2\n}");
        // Inside an empty object.
        ok("{\n  // nothing yet\n}", "{\n  // nothing yet\n}");
        ok("{ // nothing yet\n}", "{ // nothing yet\n}");
        ok("{ /* nothing */ }", "{ /* nothing */ }");
        ok("{\"a\": [\n// none\n]}", "{\n  \"a\": [\n    // none\n  ]\n}");
    }

    #[test]
    fn comments_around_keys_and_colons() {
        ok("{\"a\" /* k */ : /* v */ 1}", "{\n  \"a\" /* k */: /* v */ 1\n}");
        ok("{\"a\": // why\n 1}", "{\n  \"a\": // why\n    1\n}");
        ok("{\"a\":\n // why\n {\"b\": 1}}", "{\n  \"a\":\n    // why\n    {\n      \"b\": 1\n    }\n}");
        ok("{\"a\" // k\n: 1}", "{\n  \"a\" // k\n    : 1\n}");
    }

    #[test]
    fn document_comments() {
        ok("// head\n\n// more\n{\"a\": 1}\n// tail\n\n/* end */",
            "// head\n\n// more\n{\n  \"a\": 1\n}\n// tail\n\n/* end */");
        ok("/* lead */ {}", "/* lead */ {}");
        ok("// only a comment\n", "// only a comment\n");
        ok("\u{feff}// bom\n{}", "\u{feff}// bom\n{}");
    }

    #[test]
    fn blank_lines_are_kept_and_collapsed() {
        ok(
            "{\n\n\n  \"a\": 1,\n\n\n\n  \"b\": 2,\n\n  // c\n\n  \"c\": 3\n\n}",
            "{\n  \"a\": 1,\n\n  \"b\": 2,\n\n  // c\n\n  \"c\": 3\n}",
        );
        ok("{\n  \"a\": 1\n\n  // last\n\n}", "{\n  \"a\": 1\n\n  // last\n}");
        ok("{\n\n  // first\n  \"a\": 1\n}", "{\n  // first\n  \"a\": 1\n}");
    }

    #[test]
    fn a_comma_on_its_own_line_is_no_blank_line() {
        ok("{\n  \"a\": 1\n,\n  \"b\": 2\n}", "{\n  \"a\": 1,\n  \"b\": 2\n}");
        ok("{\n  \"a\": 1\n  ,\n\n  \"b\": 2\n}", "{\n  \"a\": 1,\n\n  \"b\": 2\n}");
        ok("{\r\n  \"a\": 1,\r\n  \t\r\n  \"b\": 2\r\n}", "{\r\n  \"a\": 1,\r\n\r\n  \"b\": 2\r\n}");
    }

    #[test]
    fn block_comments_spanning_lines() {
        ok(
            "{\n      /*\n       * doc\n       */\n      \"a\": 1\n}",
            "{\n  /*\n   * doc\n   */\n  \"a\": 1\n}",
        );
        // Lines indented less than the comment are left alone.
        ok("{\n    /* a\nb\n   c */\n\"a\": 1}", "{\n  /* a\nb\n   c */\n  \"a\": 1\n}");
        // A trailing one stays verbatim; what followed it moves to the next line.
        ok("{\"a\": 1, /* x\n  y */ \"b\": 2}", "{\n  \"a\": 1, /* x\n  y */\n  \"b\": 2\n}");
    }

    #[test]
    fn slashes_in_strings_are_not_comments() {
        ok(
            "{\"url\":\"https://example.com/*x*/\", // real\n\"b\": \"//\"}",
            "{\n  \"url\": \"https://example.com/*x*/\", // real\n  \"b\": \"//\"\n}",
        );
    }

    #[test]
    fn indentation_options() {
        let tab = FormatOptions::from_lsp(4, false);
        assert_eq!(tab.indent, Indent::Tab);
        assert_eq!(check("{\"a\": {\"b\": [1,\n2]}}", &tab), "{\n\t\"a\": {\n\t\t\"b\": [\n\t\t\t1,\n\t\t\t2\n\t\t]\n\t}\n}");
        let four = FormatOptions::from_lsp(4, true);
        assert_eq!(check("{\"a\": 1}", &four), "{\n    \"a\": 1\n}");
    }

    #[test]
    fn final_newline_and_line_endings() {
        let insert = FormatOptions { insert_final_newline: true, ..FormatOptions::default() };
        assert_eq!(check("{}", &insert), "{}\n");
        assert_eq!(check("{}\n\n\n", &insert), "{}\n");
        assert_eq!(fmt("{}\n\n\n"), "{}\n");
        assert_eq!(check("{\r\n\"a\": 1, // c\r\n\"b\": 2}\r\n", &insert), "{\r\n  \"a\": 1, // c\r\n  \"b\": 2\r\n}\r\n");
        assert_eq!(check("// x   \n{}", &insert), "// x\n{}\n");
    }

    #[test]
    fn broken_files_are_not_formatted() {
        assert_eq!(format("{\"a\": 1", &FormatOptions::default()), None);
        assert_eq!(format("{\"a\" 1}", &FormatOptions::default()), None);
        assert_eq!(format("{} /* open", &FormatOptions::default()), None);
        assert_eq!(format_range("{\"a\": }", 0..1, &FormatOptions::default()), None);
        // Duplicate keys are only warnings.
        assert_eq!(fmt("{\"a\": 1, \"a\": 2}"), "{\n  \"a\": 1,\n  \"a\": 2\n}");
    }

    fn apply(text: &str, edits: &[TextEdit]) -> String {
        let mut out = text.to_string();
        for e in edits.iter().rev() {
            out.replace_range(e.span.clone(), &e.new_text);
        }
        out
    }

    #[test]
    fn range_formats_one_nested_object() {
        let text = "{\n    \"x\":   1,\n    \"build\": {\"dockerfile\":\"Dockerfile\",   // df\n   \"args\": {\"A\":1}},\n    \"y\" :2\n}";
        let start = text.find("{\"dockerfile").unwrap();
        let end = text.find("}},").unwrap() + 2;
        let edits = format_range(text, start..end, &FormatOptions::default()).unwrap();
        assert_eq!(edits.len(), 1);
        assert!(edits[0].span.start >= start && edits[0].span.end <= end, "{edits:?}");
        assert_eq!(
            apply(text, &edits),
            "{\n    \"x\":   1,\n    \"build\": {\n      \"dockerfile\": \"Dockerfile\", // df\n      \"args\": {\n        \"A\": 1\n      }\n    },\n    \"y\" :2\n}"
        );
        // A cursor inside the inner object formats only that object.
        let cursor = text.find("\"A\"").unwrap();
        let edits = format_range(text, cursor..cursor, &FormatOptions::default()).unwrap();
        // It keeps the indentation of the line it starts on (3 spaces, not fixed).
        assert_eq!(apply(text, &edits), text.replace("{\"A\":1}", "{\n     \"A\": 1\n   }"));
    }

    #[test]
    fn range_formats_the_selected_properties() {
        let text = "{\n  \"a\" :1,\n  \"b\":{\"c\":2},\n    \"d\":  [ 3 ],\n  \"e\" : 4\n}\n";
        let start = text.find("\"b\"").unwrap();
        let end = text.find("\"d\"").unwrap() + 3;
        let edits = format_range(text, start..end, &FormatOptions::default()).unwrap();
        let out = apply(text, &edits);
        assert_eq!(out, "{\n  \"a\" :1,\n  \"b\": {\n    \"c\": 2\n  },\n  \"d\": [3],\n  \"e\" : 4\n}\n");
        // Already formatted: no edits.
        let formatted = fmt(text);
        for i in 0..formatted.len() {
            assert_eq!(format_range(&formatted, i..i, &FormatOptions::default()), Some(vec![]), "at {i}");
        }
        // A range beyond the root formats the whole document.
        let edits = format_range(text, 0..text.len(), &FormatOptions::default()).unwrap();
        assert_eq!(apply(text, &edits), formatted);
    }

    #[test]
    fn range_takes_comments_above_and_after_the_selected_lines() {
        let text = "{\n  \"a\":1,\n      // about b\n      /* and */\n  \"b\" :  2 ,   // b!\n  \"c\":3\n}";
        let start = text.find("      // about").unwrap();
        let end = text.find("b!").unwrap() + 2;
        let edits = format_range(text, start..end, &FormatOptions::default()).unwrap();
        assert_eq!(apply(text, &edits), "{\n  \"a\":1,\n  // about b\n  /* and */\n  \"b\": 2, // b!\n  \"c\":3\n}");
        assert!(edits[0].span.start >= start && edits[0].span.end <= end);
        // A comma after a `//` comment on the next line is left alone (the region
        // must not end between the comment and its line break).
        let text = "{\n  \"a\": 1 // x\n  , \"b\": 2\n}";
        let end = text.find("// x").unwrap() + 4;
        let edits = format_range(text, 4..end, &FormatOptions::default()).unwrap();
        assert_eq!(edits, vec![]);
        // The last child's trailing comma goes unless kept.
        let text = "{\n  \"a\": 1,\n  \"b\":2 , // x\n}";
        let start = text.find("\"b\"").unwrap();
        let edits = format_range(text, start..text.len() - 2, &FormatOptions::default()).unwrap();
        assert_eq!(apply(text, &edits), "{\n  \"a\": 1,\n  \"b\": 2 // x\n}");
    }

    #[test]
    fn minimal_edits_respect_char_boundaries() {
        let e = minimal_edit("\"é\"", 0..4, "\"è\"");
        assert_eq!(e, vec![TextEdit { span: 1..3, new_text: "è".into() }]);
        assert_eq!(minimal_edit("aXa", 0..3, "aa"), vec![TextEdit { span: 1..2, new_text: String::new() }]);
    }

    /// Random documents with comments, blank lines and commas in every gap.
    struct Gen {
        state: u64,
        out: String,
    }

    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            self.state % n
        }

        fn trivia(&mut self) {
            const PIECES: [&str; 10] =
                [" ", "\n", "\n\n", "\t  ", "/* c */", "/* a\n   b */", "// l\n", "\n \n", "", "// u://x \n\n"];
            for _ in 0..self.next(3) {
                let piece = PIECES[self.next(PIECES.len() as u64) as usize];
                self.out.push_str(piece);
            }
        }

        fn value(&mut self, depth: u32) {
            let pick = if depth > 3 { self.next(4) } else { self.next(7) };
            match pick {
                0 => self.out.push_str("\"s//x\\\"\""),
                1 => self.out.push_str("-1.5e3"),
                2 => self.out.push_str("true"),
                3 => self.out.push_str("null"),
                4 | 5 => {
                    let (open, close, object) = if pick == 4 { ('{', '}', true) } else { ('[', ']', false) };
                    self.out.push(open);
                    let n = self.next(4);
                    for i in 0..n {
                        self.trivia();
                        if object {
                            self.out.push_str(&format!("\"k{i}\""));
                            self.trivia();
                            self.out.push(':');
                            self.trivia();
                        }
                        self.value(depth + 1);
                        self.trivia();
                        if i + 1 < n || self.next(2) == 0 {
                            self.out.push(',');
                        }
                    }
                    self.trivia();
                    self.out.push(close);
                }
                _ => {
                    self.out.push('[');
                    for i in 0..self.next(4) {
                        if i > 0 {
                            let sep = if self.next(3) == 0 { " ,/* i */" } else { ", " };
                            self.out.push_str(sep);
                        }
                        self.out.push_str("42");
                    }
                    self.out.push(']');
                }
            }
        }
    }

    /// Equal, or differing only in the indentation of the inner lines of block
    /// comments: a comment that did not start its line in the source keeps its
    /// inner lines verbatim, but once range formatting has put it on its own line,
    /// formatting again moves them along with it.
    fn same_modulo_comment_indent(a: &str, b: &str) -> bool {
        if a == b {
            return true;
        }
        let comments = parse(b).comments;
        let (la, lb): (Vec<_>, Vec<_>) = (a.split('\n').collect(), b.split('\n').collect());
        let mut offset = 0;
        la.len() == lb.len()
            && la.iter().zip(&lb).all(|(x, y)| {
                let inside = comments.iter().any(|c| c.start < offset && offset < c.end);
                offset += y.len() + 1;
                x == y || (inside && x.trim_start() == y.trim_start())
            })
    }

    fn innermost_container(node: &Node, range: Range<usize>) -> Span {
        let children: Vec<&Node> = match &node.kind {
            NodeKind::Object(props) => props.iter().filter_map(|p| p.value.as_ref()).collect(),
            NodeKind::Array(items) => items.iter().collect(),
            _ => Vec::new(),
        };
        for child in children {
            let container = matches!(child.kind, NodeKind::Object(_) | NodeKind::Array(_));
            if container && child.span.start <= range.start && range.end <= child.span.end {
                return innermost_container(child, range);
            }
        }
        node.span.clone()
    }

    #[test]
    fn random_documents() {
        let seed = std::env::var("DEVC_FORMAT_SEED").ok().and_then(|r| r.parse().ok()).unwrap_or(0x9E37_79B9_7F4A_7C15);
        let mut g = Gen { state: seed, out: String::new() };
        let opts = [FormatOptions::default(), FormatOptions { trailing_commas: true, ..FormatOptions::from_lsp(4, false) }];
        let rounds = std::env::var("DEVC_FORMAT_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3000);
        let mut skipped = 0;
        for round in 0..rounds {
            g.out.clear();
            g.trivia();
            g.value(0);
            g.trivia();
            // Mixed line ends may flip the detected one once a break is removed.
            let text = if round % 3 == 0 { g.out.replace('\n', "\r\n") } else { g.out.clone() };
            if parse(&text).has_errors() {
                skipped += 1;
                continue;
            }
            let o = &opts[round % 2];
            let whole = check(&text, o);
            // Range formatting: valid, value-equal, comment-preserving, and consistent
            // with formatting the whole document.
            let a = g.next(text.len() as u64 + 1) as usize;
            let b = g.next(text.len() as u64 + 1) as usize;
            let (a, b) = (a.min(b), a.max(b));
            // Whole lines, as an editor selection usually is.
            let la = text[..a].rfind('\n').map_or(0, |i| i + 1);
            let lb = text[b..].find(['\r', '\n']).map_or(text.len(), |i| b + i);
            let root = parse(&text).root.unwrap();
            for (a, b) in [(a, b), (b, b), (la, lb)] {
                let edits = format_range(&text, a..b, o).unwrap();
                if root.span.start <= a && b <= root.span.end {
                    let outer = innermost_container(&root, a..b);
                    assert!(edits.iter().all(|e| outer.start <= e.span.start && e.span.end <= outer.end));
                }
                let ranged = apply(&text, &edits);
                let reparsed = parse(&ranged);
                assert!(!reparsed.has_errors(), "range {a}..{b} broke:\n{text}\n---\n{ranged}");
                let again = format(&ranged, o).unwrap();
                assert!(same_modulo_comment_indent(&again, &whole), "range {a}..{b}:\n{text}\n---\n{ranged}\n---\n{again}\n---\n{whole}");
                assert_eq!(comment_texts(&text, &parse(&text)), comment_texts(&ranged, &reparsed));
            }
        }
        assert!(skipped * 10 < rounds, "{skipped} of {rounds} random documents did not parse");
    }

    fn corpus_dir() -> Option<std::path::PathBuf> {
        if let Ok(dir) = std::env::var("DEVC_CORPUS") {
            return Some(dir.into());
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
        dir.is_dir().then_some(dir)
    }

    #[test]
    fn corpus_is_idempotent_value_equal_and_keeps_comments() {
        let Some(dir) = corpus_dir() else {
            panic!("corpus not found: expected ../shared/corpus beside the repository (or set DEVC_CORPUS)");
        };
        let mut files: Vec<_> = std::fs::read_dir(dir.join("realworld"))
            .expect("corpus/realworld")
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "jsonc"))
            .collect();
        files.sort();
        let (mut formatted, mut skipped) = (0, 0);
        let options = [
            FormatOptions::default(),
            FormatOptions { indent: Indent::Tab, insert_final_newline: true, trailing_commas: true },
        ];
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else {
                skipped += 1;
                continue;
            };
            if parse(&text).has_errors() {
                skipped += 1;
                continue;
            }
            for opts in &options {
                check(&text, opts);
            }
            // Range formatting of the whole root agrees with formatting the document.
            let root = parse(&text).root.unwrap();
            let whole = format(&text, &options[0]).unwrap();
            let edits = format_range(&text, root.span.clone(), &options[0]).unwrap();
            let ranged = apply(&text, &edits);
            assert_eq!(format(&ranged, &options[0]).unwrap(), whole, "{}", path.display());
            formatted += 1;
        }
        eprintln!("corpus: {formatted} formatted, {skipped} skipped (syntax errors)");
        assert!(formatted >= 150, "only {formatted} corpus files formatted");
    }
}

//! Where the cursor is, in terms of the JSONC tree, for completion and hover.
//! Works on the tolerant parser's tree, so half-typed text (an unterminated
//! key at end of file, a property without its value, a missing comma) still
//! gives a useful answer.

use devc_jsonc::{Node, NodeKind, Parse, PathSegment, Property, ScanError, Span, SyntaxErrorKind};

use crate::document::Document;

/// The completion context at an offset.
#[derive(Debug)]
pub enum Cursor<'a> {
    /// Inside a property's key (quoted, or a bare word the parser took as a key).
    Key {
        object: &'a Node,
        object_path: Vec<PathSegment>,
        /// The key's text (with its quotes), replaced by a completion.
        key: Span,
        /// A colon follows already: complete the name only.
        has_colon: bool,
        /// Where a comma is missing before the key.
        comma_before: Option<usize>,
    },
    /// Inside an object where a new property would go.
    NewProperty {
        object: &'a Node,
        object_path: Vec<PathSegment>,
        /// The bare word being typed (empty at the cursor).
        word: Span,
        /// Where a comma is missing before the cursor (after the previous value).
        comma_before: Option<usize>,
    },
    /// At a value: `path` is the value's own path.
    Value {
        path: Vec<PathSegment>,
        node: Option<&'a Node>,
        /// What a completion replaces: the whole scalar, the word typed, or
        /// nothing (empty span at the cursor).
        replace: Span,
        /// The cursor is inside the quotes of a string value.
        in_string: bool,
    },
    None,
}

pub fn locate(doc: &Document, offset: usize) -> Cursor<'_> {
    let Some(root) = &doc.parse.root else { return Cursor::None };
    if in_comment(&doc.parse, &doc.text, offset) {
        return Cursor::None;
    }
    let w = Walker { text: &doc.text, parse: &doc.parse, o: offset };
    match &root.kind {
        NodeKind::Object(_) | NodeKind::Array(_) if w.inside(root) => w.container(root, Vec::new()),
        _ => Cursor::None,
    }
}

pub fn in_comment(parse: &Parse, text: &str, o: usize) -> bool {
    parse.comments.iter().any(|c| {
        let line = text[c.clone()].starts_with("//");
        c.start < o && (o < c.end || (line && o == c.end))
    })
}

struct Walker<'a> {
    text: &'a str,
    parse: &'a Parse,
    o: usize,
}

impl<'a> Walker<'a> {
    /// Whether the string starting at `start` is missing its closing quote.
    fn unterminated_string(&self, start: usize) -> bool {
        self.parse
            .errors
            .iter()
            .any(|e| e.kind == SyntaxErrorKind::Scan(ScanError::UnexpectedEndOfString) && e.span.start == start)
    }

    /// Whether an object or array is missing its closing bracket.
    fn unterminated_container(&self, node: &Node) -> bool {
        let (close, last_end) = match &node.kind {
            NodeKind::Object(props) => (b'}', props.last().map(|p| p.span.end)),
            NodeKind::Array(items) => (b']', items.last().map(|i| i.span.end)),
            _ => return false,
        };
        let end = node.span.end;
        end == 0 || self.text.as_bytes()[end - 1] != close || last_end == Some(end) || end - node.span.start < 2
    }

    /// Strictly inside a container or a string (past its opening character,
    /// before its closing one, or at the end of an unterminated one).
    fn inside(&self, node: &Node) -> bool {
        let (s, e) = (node.span.start, node.span.end);
        if self.o <= s {
            return false;
        }
        if self.o < e {
            return true;
        }
        self.o == e
            && match &node.kind {
                NodeKind::String(_) => self.unterminated_string(s),
                NodeKind::Object(_) | NodeKind::Array(_) => self.unterminated_container(node),
                _ => false,
            }
    }

    fn container(&self, node: &'a Node, path: Vec<PathSegment>) -> Cursor<'a> {
        match &node.kind {
            NodeKind::Object(props) => self.object(node, props, path),
            NodeKind::Array(items) => self.array(items, path),
            _ => Cursor::None,
        }
    }

    /// A child value: descend into containers, or stop at a scalar.
    fn value(&self, v: &'a Node, path: Vec<PathSegment>) -> Option<Cursor<'a>> {
        match &v.kind {
            NodeKind::Object(_) | NodeKind::Array(_) => self.inside(v).then(|| self.container(v, path)),
            NodeKind::String(_) => {
                self.inside(v).then(|| Cursor::Value { path, node: Some(v), replace: v.span.clone(), in_string: true })
            }
            _ => (v.span.start <= self.o && self.o <= v.span.end)
                .then(|| Cursor::Value { path, node: Some(v), replace: v.span.clone(), in_string: false }),
        }
    }

    fn object(&self, object: &'a Node, props: &'a [Property], path: Vec<PathSegment>) -> Cursor<'a> {
        let o = self.o;
        for p in props {
            let k = &p.key.span;
            let quoted = self.text.as_bytes().get(k.start) == Some(&b'"');
            let in_key = if quoted {
                k.start < o && (o < k.end || (o == k.end && self.unterminated_string(k.start)))
            } else {
                k.start <= o && o <= k.end
            };
            if in_key {
                let comma_before = self.comma_before(object, k.start);
                return Cursor::Key { object, object_path: path, key: k.clone(), has_colon: p.colon.is_some(), comma_before };
            }
            let mut child = path.clone();
            child.push(PathSegment::Key(p.key.value.clone()));
            // `"remoteUser": ⏎ "wai█`: a string on a later line than the colon that
            // is unterminated or followed by a colon is the next key being typed,
            // not this property's value.
            if let (Some(colon), Some(v @ Node { kind: NodeKind::String(_), .. })) = (p.colon, &p.value) {
                let next = next_significant(self.text, v.span.end).map(|(_, c)| c);
                if self.inside(v)
                    && self.text[colon..v.span.start].contains('\n')
                    && (self.unterminated_string(v.span.start) || next == Some(':'))
                {
                    return Cursor::Key { object, object_path: path, key: v.span.clone(), has_colon: next == Some(':'), comma_before: None };
                }
            }
            if let Some(v) = &p.value {
                if let Some(c) = self.value(v, child.clone()) {
                    return c;
                }
            }
            // After the colon, before the value (or where it is missing).
            if let Some(colon) = p.colon {
                if o > colon && p.value.as_ref().is_none_or(|v| o <= v.span.start) {
                    let word = word_at(self.text, o);
                    if self.text[colon + 1..word.start].trim().is_empty() {
                        return Cursor::Value { path: child, node: None, replace: word, in_string: false };
                    }
                }
            }
        }
        if !self.inside(object) {
            return Cursor::None;
        }
        let word = word_at(self.text, o);
        let comma_before = self.comma_before(object, word.start);
        Cursor::NewProperty { object, object_path: path, word, comma_before }
    }

    /// After the previous value when no comma separates it from `at`.
    fn comma_before(&self, object: &Node, at: usize) -> Option<usize> {
        let before = self.text[object.span.start..at].trim_end();
        match before.as_bytes().last() {
            Some(b'{') | Some(b',') | None => None,
            Some(_) => Some(object.span.start + before.len()),
        }
    }

    fn array(&self, items: &'a [Node], path: Vec<PathSegment>) -> Cursor<'a> {
        let o = self.o;
        let mut before = 0;
        for (i, item) in items.iter().enumerate() {
            let mut child = path.clone();
            child.push(PathSegment::Index(i));
            if let Some(c) = self.value(item, child) {
                return c;
            }
            if item.span.end <= o {
                before = i + 1;
            }
        }
        let mut child = path;
        child.push(PathSegment::Index(before));
        Cursor::Value { path: child, node: None, replace: word_at(self.text, o), in_string: false }
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$')
}

/// The run of word characters around `o` (empty at `o` when there is none).
pub fn word_at(text: &str, o: usize) -> Span {
    let start = text[..o].char_indices().rev().take_while(|&(_, c)| is_word(c)).last().map_or(o, |(i, _)| i);
    let end = o + text[o..].chars().take_while(|&c| is_word(c)).map(char::len_utf8).sum::<usize>();
    start..end
}

/// The first non-whitespace character at or after `o`.
pub fn next_significant(text: &str, o: usize) -> Option<(usize, char)> {
    text[o..].char_indices().find(|(_, c)| !c.is_whitespace()).map(|(i, c)| (o + i, c))
}

/// What the cursor is on, for hover: a key, or a scalar value (with paths).
pub enum Hit<'a> {
    Key { path: Vec<PathSegment>, prop: &'a Property },
    Value { path: Vec<PathSegment>, node: &'a Node },
}

/// The key or scalar under `o` (the character at `o` belongs to it).
pub fn hit(root: &Node, o: usize) -> Option<Hit<'_>> {
    let mut path = Vec::new();
    let mut node = root;
    loop {
        let on = |s: &Span| s.start <= o && o < s.end;
        match &node.kind {
            NodeKind::Object(props) => {
                let mut next = None;
                for p in props {
                    if on(&p.key.span) {
                        path.push(PathSegment::Key(p.key.value.clone()));
                        return Some(Hit::Key { path, prop: p });
                    }
                    if let Some(v) = p.value.as_ref().filter(|v| on(&v.span)) {
                        path.push(PathSegment::Key(p.key.value.clone()));
                        next = Some(v);
                        break;
                    }
                }
                node = next?;
            }
            NodeKind::Array(items) => {
                let (i, item) = items.iter().enumerate().find(|(_, v)| on(&v.span))?;
                path.push(PathSegment::Index(i));
                node = item;
            }
            _ => return Some(Hit::Value { path, node }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;
    use devc_jsonc::PositionEncoding;
    use std::str::FromStr;

    fn at(marked: &str) -> (Document, usize) {
        let o = marked.find('█').unwrap();
        let text = marked.replace('█', "");
        let uri = tower_lsp_server::ls_types::Uri::from_str("file:///w/.devcontainer/devcontainer.json").unwrap();
        (Document::new(uri, 1, text, PositionEncoding::Utf16, 1), o)
    }

    fn describe(marked: &str) -> String {
        let (doc, o) = at(marked);
        match locate(&doc, o) {
            Cursor::Key { object_path, key, has_colon, comma_before, .. } => {
                format!("key {:?} in {object_path:?} colon {has_colon} comma {comma_before:?}", &doc.text[key])
            }
            Cursor::NewProperty { object_path, word, comma_before, .. } => {
                format!("new in {object_path:?} word {:?} comma {comma_before:?}", &doc.text[word])
            }
            Cursor::Value { path, replace, in_string, .. } => {
                format!("value {path:?} replace {:?} string {in_string}", &doc.text[replace])
            }
            Cursor::None => "none".into(),
        }
    }

    #[test]
    fn contexts() {
        assert_eq!(describe("{\"ima█"), "key \"\\\"ima\" in [] colon false comma None");
        assert_eq!(describe("{\"remoteUser\": \n \"wai█"), "key \"\\\"wai\" in [] colon false comma None");
        assert_eq!(describe("{\"remoteUser\": \n \"wai█\": 1}"), "key \"\\\"wai\\\"\" in [] colon true comma None");
        assert_eq!(describe("{\"a\": 1\n \"b█\": 1}"), "key \"\\\"b\\\"\" in [] colon true comma Some(7)");
        assert_eq!(describe("{ █ }"), "new in [] word \"\" comma None");
        assert_eq!(describe("{\"image\": \"x\" █}"), "new in [] word \"\" comma Some(13)");
        assert_eq!(describe("{\"waitFor\": █"), "value [Key(\"waitFor\")] replace \"\" string false");
        assert_eq!(describe("{\"waitFor\": \"po█\"}"), "value [Key(\"waitFor\")] replace \"\\\"po\\\"\" string true");
        assert_eq!(describe("{\"x\": no█}"), "value [Key(\"x\")] replace \"no\" string false");
        assert_eq!(describe("{\"build\": {█}}"), "new in [Key(\"build\")] word \"\" comma None");
        assert_eq!(describe("{\"build\": {\"d█\"}}"), "key \"\\\"d\\\"\" in [Key(\"build\")] colon false comma None");
        assert_eq!(describe("{\"a\": [1, █]}"), "value [Key(\"a\"), Index(1)] replace \"\" string false");
        assert_eq!(describe("{\"remoteUser\": ,\n █}"), "new in [] word \"\" comma None");
        assert_eq!(describe("{ // █\n}"), "none");
        assert_eq!(describe("{} █"), "none");
        assert_eq!(describe("{\"a\": {}█}"), "new in [] word \"\" comma Some(8)");
    }
}

//! Document structure for editors: the symbol outline (one symbol per property
//! or array item, nested) and folding ranges (multi-line objects and arrays,
//! multi-line block comments, runs of `//` comment lines). Both work on trees of
//! files with errors too, so the outline follows a half-typed file.

use crate::line_index::{LineIndex, PositionEncoding};
use crate::parser::Parse;
use crate::tree::{Node, NodeKind};
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Symbol {
    /// The key (`""` for an empty one), or `[i]` for an array item.
    pub name: String,
    /// A short preview of a scalar value; `None` for objects and arrays.
    pub detail: Option<String>,
    /// The value's kind; a property still missing its value counts as `Null`.
    pub kind: SymbolKind,
    /// The whole property (key to value) or item.
    pub span: Range<usize>,
    /// The key, or the whole item for array items.
    pub selection_span: Range<usize>,
    pub children: Vec<Symbol>,
}

/// Longest scalar preview, in characters, before it is cut with `…`.
const PREVIEW_CHARS: usize = 50;

/// The outline below `root`: its properties (or items), each with its own
/// children. A scalar root has none.
pub fn symbols(root: &Node) -> Vec<Symbol> {
    match &root.kind {
        NodeKind::Object(props) => props
            .iter()
            .map(|p| {
                let name = if p.key.value.is_empty() { "\"\"".to_string() } else { p.key.value.clone() };
                let (kind, detail, children) = match &p.value {
                    Some(v) => (kind(v), detail(v), symbols(v)),
                    None => (SymbolKind::Null, None, Vec::new()),
                };
                Symbol { name, detail, kind, span: p.span.clone(), selection_span: p.key.span.clone(), children }
            })
            .collect(),
        NodeKind::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| Symbol {
                name: format!("[{i}]"),
                detail: detail(v),
                kind: kind(v),
                span: v.span.clone(),
                selection_span: v.span.clone(),
                children: symbols(v),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn kind(node: &Node) -> SymbolKind {
    match node.kind {
        NodeKind::Null => SymbolKind::Null,
        NodeKind::Bool(_) => SymbolKind::Boolean,
        NodeKind::Number { .. } => SymbolKind::Number,
        NodeKind::String(_) => SymbolKind::String,
        NodeKind::Array(_) => SymbolKind::Array,
        NodeKind::Object(_) => SymbolKind::Object,
    }
}

fn detail(node: &Node) -> Option<String> {
    Some(match &node.kind {
        NodeKind::Null => "null".to_string(),
        NodeKind::Bool(b) => b.to_string(),
        NodeKind::Number { text, .. } => preview(text),
        NodeKind::String(s) => preview(s),
        NodeKind::Array(_) | NodeKind::Object(_) => return None,
    })
}

/// One line, at most [`PREVIEW_CHARS`] characters; control characters escaped.
fn preview(s: &str) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == PREVIEW_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    Region,
    Comment,
}

/// Zero-based lines, both inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FoldingRange {
    pub start_line: u32,
    pub end_line: u32,
    pub kind: FoldKind,
}

/// Folding ranges, sorted by start line, at most one per start line (the
/// longest). An object or array folds from its opening bracket's line to the
/// line before its closing bracket (like VS Code, so the bracket stays visible);
/// one left open by a syntax error folds to where it ends. A block comment folds
/// over all its lines, and 2+ consecutive lines holding only a `//` comment fold
/// together.
pub fn folding_ranges(text: &str, parse: &Parse, index: &LineIndex) -> Vec<FoldingRange> {
    let line = |offset: usize| index.line_col(text, offset, PositionEncoding::Utf8).line;
    let mut out = Vec::new();
    let mut stack: Vec<&Node> = parse.root.iter().collect();
    while let Some(node) = stack.pop() {
        let close = match &node.kind {
            NodeKind::Object(props) => {
                stack.extend(props.iter().filter_map(|p| p.value.as_ref()));
                b'}'
            }
            NodeKind::Array(items) => {
                stack.extend(items);
                b']'
            }
            _ => continue,
        };
        let start_line = line(node.span.start);
        let closed = node.span.len() >= 2 && text.as_bytes().get(node.span.end - 1) == Some(&close);
        let end_line = if closed { line(node.span.end - 1).saturating_sub(1) } else { line(node.span.end) };
        if end_line > start_line {
            out.push(FoldingRange { start_line, end_line, kind: FoldKind::Region });
        }
    }

    let mut run: Option<(u32, u32)> = None; // first and last line of `//` lines
    let end_run = |run: &mut Option<(u32, u32)>, out: &mut Vec<FoldingRange>| {
        if let Some((start_line, end_line)) = run.take() {
            if end_line > start_line {
                out.push(FoldingRange { start_line, end_line, kind: FoldKind::Comment });
            }
        }
    };
    for c in &parse.comments {
        let start_line = line(c.start);
        if text[c.clone()].starts_with("/*") {
            end_run(&mut run, &mut out);
            let end_line = line(c.end);
            if end_line > start_line {
                out.push(FoldingRange { start_line, end_line, kind: FoldKind::Comment });
            }
            continue;
        }
        let before = &text[..c.start];
        let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let own_line = before[line_start..].trim_start_matches('\u{feff}').trim_start_matches([' ', '\t']).is_empty();
        match run {
            Some((first, last)) if own_line && start_line == last + 1 => run = Some((first, start_line)),
            _ => {
                end_run(&mut run, &mut out);
                if own_line {
                    run = Some((start_line, start_line));
                }
            }
        }
    }
    end_run(&mut run, &mut out);

    out.sort_by(|a, b| a.start_line.cmp(&b.start_line).then(b.end_line.cmp(&a.end_line)));
    out.dedup_by_key(|r| r.start_line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;

    fn names(symbols: &[Symbol]) -> Vec<&str> {
        symbols.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn symbols_are_hierarchical() {
        let text = r#"{
  "name": "dev",
  "build": { "dockerfile": "Dockerfile", "args": { "V": 3 } },
  "forwardPorts": [3000, { "port": 8080, "label": null }],
  "privileged": true,
  "": 1
}"#;
        let root = parse(text).root.unwrap();
        let s = symbols(&root);
        assert_eq!(names(&s), ["name", "build", "forwardPorts", "privileged", "\"\""]);

        assert_eq!(s[0].kind, SymbolKind::String);
        assert_eq!(s[0].detail.as_deref(), Some("dev"));
        assert_eq!(&text[s[0].span.clone()], "\"name\": \"dev\"");
        assert_eq!(&text[s[0].selection_span.clone()], "\"name\"");
        assert!(s[0].children.is_empty());

        assert_eq!(s[1].kind, SymbolKind::Object);
        assert_eq!(s[1].detail, None);
        assert_eq!(names(&s[1].children), ["dockerfile", "args"]);
        assert_eq!(names(&s[1].children[1].children), ["V"]);
        assert_eq!(s[1].children[1].children[0].kind, SymbolKind::Number);
        assert_eq!(s[1].children[1].children[0].detail.as_deref(), Some("3"));

        let ports = &s[2];
        assert_eq!(ports.kind, SymbolKind::Array);
        assert_eq!(names(&ports.children), ["[0]", "[1]"]);
        assert_eq!(&text[ports.children[0].span.clone()], "3000");
        assert_eq!(ports.children[0].selection_span, ports.children[0].span);
        assert_eq!(ports.children[1].kind, SymbolKind::Object);
        assert_eq!(names(&ports.children[1].children), ["port", "label"]);
        assert_eq!(ports.children[1].children[1].kind, SymbolKind::Null);
        assert_eq!(ports.children[1].children[1].detail.as_deref(), Some("null"));

        assert_eq!(s[3].kind, SymbolKind::Boolean);
        assert_eq!(s[3].detail.as_deref(), Some("true"));
        for sym in &s {
            assert!(sym.span.start <= sym.selection_span.start && sym.selection_span.end <= sym.span.end);
        }
    }

    #[test]
    fn symbol_details_are_short_single_lines() {
        let long = "x".repeat(80);
        let text = format!(r#"{{"a": "{long}", "b": "one\ntwo", "n": 1.50}}"#);
        let s = symbols(&parse(&text).root.unwrap());
        assert_eq!(s[0].detail.as_deref(), Some(format!("{}…", "x".repeat(50)).as_str()));
        assert_eq!(s[1].detail.as_deref(), Some("one\\ntwo"));
        assert_eq!(s[2].detail.as_deref(), Some("1.50"));
    }

    #[test]
    fn symbols_of_a_half_typed_file_and_other_roots() {
        let p = parse("{\n  \"image\": \"alpine\",\n  \"remoteUser\": \n");
        let s = symbols(p.root.as_ref().unwrap());
        assert_eq!(names(&s), ["image", "remoteUser"]);
        assert_eq!(s[1].kind, SymbolKind::Null);
        assert_eq!(s[1].detail, None);
        assert_eq!(names(&symbols(&parse("[{}, []]").root.unwrap())), ["[0]", "[1]"]);
        assert!(symbols(&parse("42").root.unwrap()).is_empty());
    }

    fn folds(text: &str) -> Vec<(u32, u32, FoldKind)> {
        let parse = parse(text);
        let index = LineIndex::new(text);
        folding_ranges(text, &parse, &index).into_iter().map(|r| (r.start_line, r.end_line, r.kind)).collect()
    }

    #[test]
    fn objects_and_arrays_fold_up_to_the_closing_line() {
        use FoldKind::Region;
        let text = "{\n  \"a\": {\n    \"b\": 1\n  },\n  \"c\": [1, 2],\n  \"d\": [\n    1\n  ],\n  \"e\": {\n  }\n}\n";
        // lines:  0 {   1 "a": {   2 "b"   3 },   4 "c"   5 "d": [   6 1   7 ],   8 "e": {   9 }   10 }
        assert_eq!(folds(text), [(0, 9, Region), (1, 2, Region), (5, 6, Region)]);
        // One range per start line: the outer one.
        let text = "[{\n  \"a\": 1\n},\n{\n  \"b\": 2\n}\n]";
        assert_eq!(folds(text), [(0, 5, Region), (3, 4, Region)]);
        assert_eq!(folds("{\"a\": 1}"), []);
        // CRLF line ends.
        assert_eq!(folds("{\r\n  \"a\": 1\r\n}"), [(0, 1, Region)]);
    }

    #[test]
    fn unclosed_containers_fold_to_their_end() {
        let text = "{\n  \"a\": [\n    1,\n    2\n";
        let f = folds(text);
        assert!(f.contains(&(0, 4, FoldKind::Region)), "{f:?}");
    }

    #[test]
    fn corpus_outlines_are_well_formed() {
        let dir = match std::env::var("DEVC_CORPUS") {
            Ok(dir) => std::path::PathBuf::from(dir),
            Err(_) => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        };
        let entries = std::fs::read_dir(dir.join("realworld"))
            .expect("corpus not found: expected ../shared/corpus beside the repository (or set DEVC_CORPUS)");
        let mut files = 0;
        for path in entries.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "jsonc")) {
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            // Files with syntax errors too: the outline follows half-typed files.
            let parse = parse(&text);
            let index = LineIndex::new(&text);
            let ranges = folding_ranges(&text, &parse, &index);
            for w in ranges.windows(2) {
                assert!(w[0].start_line < w[1].start_line, "{}: {ranges:?}", path.display());
            }
            for r in &ranges {
                assert!(r.start_line < r.end_line && (r.end_line as usize) < index.line_count(), "{}", path.display());
            }
            if let Some(root) = &parse.root {
                fn walk(s: &[Symbol], text: &str) {
                    for sym in s {
                        assert!(sym.span.start <= sym.selection_span.start && sym.selection_span.end <= sym.span.end);
                        assert!(sym.span.end <= text.len() && !sym.name.is_empty());
                        walk(&sym.children, text);
                    }
                }
                walk(&symbols(root), &text);
            }
            files += 1;
        }
        assert!(files >= 150, "only {files} corpus files");
    }

    #[test]
    fn comments_fold() {
        use FoldKind::{Comment, Region};
        let text = "// one\n// two\n{\n  /* a\n     b */\n  \"x\": 1, // trailing\n  // alone\n  \"y\": 2,\n  // three\n  // four\n  // five\n  \"z\": /* short */ 3\n}";
        // lines: 0,1 `//`; 2 {; 3-4 block; 5 trailing; 6 alone; 7 y; 8-10 run; 11 z; 12 }
        assert_eq!(folds(text), [(0, 1, Comment), (2, 11, Region), (3, 4, Comment), (8, 10, Comment)]);
        // A trailing `//` does not join the own-line comment below it.
        assert_eq!(folds("{\n  \"a\": 1, // t\n  // u\n  \"b\": 2\n}"), [(0, 3, Region)]);
    }
}

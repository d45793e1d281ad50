//! The syntax tree: every value, key and property carries its byte span in the
//! source text. Owns navigation (node at offset, path lookup) and conversion to
//! `serde_json::Value` for the typed layers above.

use std::ops::Range;

pub type Span = Range<usize>;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    /// The number's source text, its value, and whether it has no fraction or exponent.
    Number { text: String, value: f64, is_integer: bool },
    String(String),
    Array(Vec<Node>),
    Object(Vec<Property>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub value: String,
    /// Span of the key including its quotes.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Property {
    pub key: Key,
    pub colon: Option<usize>,
    /// `None` while the value is still being typed (`"image": ` at end of file).
    pub value: Option<Node>,
    /// From the key's start to the value's end (or the key's end without a value).
    pub span: Span,
}

/// One step of a path from the root to a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

impl Node {
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "boolean",
            NodeKind::Number { is_integer: true, .. } => "integer",
            NodeKind::Number { .. } => "number",
            NodeKind::String(_) => "string",
            NodeKind::Array(_) => "array",
            NodeKind::Object(_) => "object",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[Property]> {
        match &self.kind {
            NodeKind::Object(p) => Some(p),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The first property named `key`, if this is an object.
    pub fn property(&self, key: &str) -> Option<&Property> {
        self.as_object()?.iter().find(|p| p.key.value == key)
    }

    /// The value of the first property named `key`, if this is an object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.property(key)?.value.as_ref()
    }

    /// Converts to a plain JSON value. For duplicate keys the last one wins, as in
    /// `JSON.parse`; a property still missing its value is skipped.
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Number { text, value, is_integer } => {
                if *is_integer {
                    if let Ok(i) = text.parse::<i64>() {
                        return Value::from(i);
                    }
                    if let Ok(u) = text.parse::<u64>() {
                        return Value::from(u);
                    }
                }
                serde_json::Number::from_f64(*value).map_or(Value::Null, Value::Number)
            }
            NodeKind::String(s) => Value::String(s.clone()),
            NodeKind::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            NodeKind::Object(props) => {
                let mut map = serde_json::Map::new();
                for p in props {
                    if let Some(v) = &p.value {
                        map.insert(p.key.value.clone(), v.to_value());
                    }
                }
                Value::Object(map)
            }
        }
    }

    /// Follows `path` from this node.
    pub fn at_path(&self, path: &[PathSegment]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = match seg {
                PathSegment::Key(k) => node.get(k)?,
                PathSegment::Index(i) => node.as_array()?.get(*i)?,
            };
        }
        Some(node)
    }

    /// The chain of innermost nodes, properties and keys containing `offset`
    /// (inclusive of the end, so a cursor right after a token still finds it).
    pub fn path_at_offset(&self, offset: usize) -> Vec<PathSegment> {
        let mut path = Vec::new();
        let mut node = self;
        'outer: loop {
            match &node.kind {
                NodeKind::Object(props) => {
                    for p in props {
                        if p.span.start <= offset && offset <= p.span.end {
                            path.push(PathSegment::Key(p.key.value.clone()));
                            match &p.value {
                                Some(v) if v.span.start <= offset && offset <= v.span.end => {
                                    node = v;
                                    continue 'outer;
                                }
                                _ => break 'outer,
                            }
                        }
                    }
                    break;
                }
                NodeKind::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if item.span.start <= offset && offset <= item.span.end {
                            path.push(PathSegment::Index(i));
                            node = item;
                            continue 'outer;
                        }
                    }
                    break;
                }
                _ => break,
            }
        }
        path
    }
}

/// Renders a path as `forwardPorts[0]` / `build.args.FOO`.
pub fn path_to_string(path: &[PathSegment]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            PathSegment::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathSegment::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

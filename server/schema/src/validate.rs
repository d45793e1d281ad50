//! Validates a JSONC tree against a compiled schema. Follows the evaluation
//! model of VS Code's JSON language service (best-matching oneOf/anyOf branch,
//! evaluated-property tracking for `unevaluatedProperties`), so findings land at
//! the same positions, but words its own messages for humans.

use crate::compile::{Additional, SchemaId, SchemaNode};
use crate::{Problem, ProblemCode, Schema};
use devc_jsonc::{path_to_string, Node, NodeKind, PathSegment, Property};
use std::collections::HashSet;

#[derive(Default)]
struct Outcome {
    problems: Vec<Problem>,
    properties_matches: u32,
    properties_value_matches: u32,
    primary_value_matches: u32,
    enum_value_match: bool,
    enum_values: Option<Vec<serde_json::Value>>,
    processed: HashSet<String>,
}

impl Outcome {
    fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    fn merge(&mut self, other: Outcome) {
        self.problems.extend(other.problems);
        self.properties_matches += other.properties_matches;
        self.properties_value_matches += other.properties_value_matches;
        self.processed.extend(other.processed);
    }

    fn merge_property_match(&mut self, other: Outcome) {
        self.properties_matches += 1;
        if other.enum_value_match || (!other.has_problems() && other.properties_matches > 0) {
            self.properties_value_matches += 1;
        }
        if other.enum_value_match && other.enum_values.as_ref().is_some_and(|v| v.len() == 1) {
            self.primary_value_matches += 1;
        }
        self.problems.extend(other.problems);
    }

    /// Positive when `self` is the better match.
    fn compare(&self, other: &Outcome) -> i64 {
        if self.has_problems() != other.has_problems() {
            return if self.has_problems() { -1 } else { 1 };
        }
        if self.enum_value_match != other.enum_value_match {
            return if other.enum_value_match { -1 } else { 1 };
        }
        if self.primary_value_matches != other.primary_value_matches {
            return self.primary_value_matches as i64 - other.primary_value_matches as i64;
        }
        if self.properties_value_matches != other.properties_value_matches {
            return self.properties_value_matches as i64 - other.properties_value_matches as i64;
        }
        self.properties_matches as i64 - other.properties_matches as i64
    }
}

pub(crate) struct Validator<'s> {
    pub schema: &'s Schema,
}

impl Validator<'_> {
    pub fn run(&self, root: &Node) -> Vec<Problem> {
        let mut out = Outcome::default();
        let mut path = Vec::new();
        self.validate(root, None, self.schema.root, &mut path, &mut out);
        let mut problems = out.problems;
        problems.sort_by_key(|p| p.span.start);
        problems.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        problems
    }

    fn node(&self, id: SchemaId) -> &SchemaNode {
        &self.schema.nodes[id]
    }

    /// `parent` is the property whose value `node` is, if any (for key positions).
    fn validate(
        &self,
        node: &Node,
        parent: Option<&Property>,
        id: SchemaId,
        path: &mut Vec<PathSegment>,
        out: &mut Outcome,
    ) {
        let s = self.node(id);
        if let Some(msg) = &s.error_message {
            // Our extension: one human message replaces whatever failed inside.
            let mut sub = Outcome::default();
            self.validate_inner(node, parent, s, path, &mut sub);
            // Only when the value itself is wrong: a failure inside it (a bad field of
            // an object) is more precise than the summary message.
            let errors = sub.problems.iter().filter(|p| p.severity == crate::Severity::Error);
            let mut any = false;
            let mut all_here = true;
            for p in errors {
                any = true;
                all_here &= p.span == node.span || p.span == (node.span.start..node.span.start + 1);
            }
            if any && all_here {
                let mut kept: Vec<Problem> =
                    sub.problems.drain(..).filter(|p| p.code == ProblemCode::Deprecated).collect();
                kept.push(Problem {
                    span: node.span.clone(),
                    message: format!("{}{msg}", prefix(path)),
                    severity: crate::Severity::Error,
                    code: ProblemCode::Custom,
                    path: path.clone(),
                });
                sub.problems = kept;
            }
            out.problems.extend(sub.problems);
            out.properties_matches += sub.properties_matches;
            out.properties_value_matches += sub.properties_value_matches;
            out.primary_value_matches += sub.primary_value_matches;
            out.enum_value_match = sub.enum_value_match;
            out.enum_values = sub.enum_values;
            out.processed.extend(sub.processed);
            return;
        }
        self.validate_inner(node, parent, s, path, out);
    }

    fn validate_inner(
        &self,
        node: &Node,
        parent: Option<&Property>,
        s: &SchemaNode,
        path: &mut Vec<PathSegment>,
        out: &mut Outcome,
    ) {
        if let Some(b) = s.boolean {
            if !b {
                out.problems.push(problem(node.span.clone(), path, ProblemCode::NotAllowed, format!("{}no value is allowed here", prefix(path))));
            }
            return;
        }
        self.validate_generic(node, parent, s, path, out);
        match &node.kind {
            NodeKind::Object(props) => self.validate_object(node, parent, props, s, path, out),
            NodeKind::Array(items) => self.validate_array(node, items, s, path, out),
            NodeKind::String(value) => self.validate_string(node, value, s, path, out),
            NodeKind::Number { value, .. } => self.validate_number(node, *value, s, path, out),
            _ => {}
        }
    }

    fn validate_generic(
        &self,
        node: &Node,
        parent: Option<&Property>,
        s: &SchemaNode,
        path: &mut Vec<PathSegment>,
        out: &mut Outcome,
    ) {
        if !s.types.is_empty() && !s.types.iter().any(|t| matches_type(node, t)) {
            let expected = s.types.iter().map(|t| article(t)).collect::<Vec<_>>().join(" or ");
            out.problems.push(problem(
                node.span.clone(),
                path,
                ProblemCode::Type,
                format!("{}expected {expected}, found {}", prefix(path), article(node.type_name())),
            ));
        }
        for &sub in &s.all_of {
            let mut r = Outcome::default();
            self.validate(node, parent, sub, path, &mut r);
            out.merge(r);
        }
        if !s.any_of.is_empty() {
            self.alternatives(node, parent, &s.any_of, false, path, out);
        }
        if !s.one_of.is_empty() {
            self.alternatives(node, parent, &s.one_of, true, path, out);
        }
        if let Some(values) = &s.enum_values {
            let v = node.to_value();
            let matched = values.iter().any(|e| e == &v);
            out.enum_values = Some(values.clone());
            out.enum_value_match = matched;
            if !matched {
                out.problems.push(problem(node.span.clone(), path, ProblemCode::Enum, enum_message(path, &v, values)));
            }
        }
        if let Some(c) = &s.const_value {
            let v = node.to_value();
            out.enum_value_match = &v == c;
            out.enum_values = Some(vec![c.clone()]);
            if &v != c {
                out.problems.push(problem(
                    node.span.clone(),
                    path,
                    ProblemCode::Enum,
                    format!("{}must be {c}", prefix(path)),
                ));
            }
        }
        if s.deprecated || s.deprecation_message.is_some() {
            let span = parent.map_or(node.span.clone(), |p| p.span.clone());
            let msg = s.deprecation_message.clone().unwrap_or_else(|| "deprecated".to_string());
            out.problems.push(Problem {
                span,
                message: format!("{}{msg}", prefix(path)),
                severity: crate::Severity::Warning,
                code: ProblemCode::Deprecated,
                path: path.clone(),
            });
        }
    }

    fn alternatives(
        &self,
        node: &Node,
        parent: Option<&Property>,
        alts: &[SchemaId],
        one_of: bool,
        path: &mut Vec<PathSegment>,
        out: &mut Outcome,
    ) {
        let mut matches = 0;
        let mut best: Option<Outcome> = None;
        for &alt in alts {
            let mut r = Outcome::default();
            self.validate(node, parent, alt, path, &mut r);
            if !r.has_problems() {
                matches += 1;
            }
            best = Some(match best {
                None => r,
                Some(mut b) => {
                    if !one_of && !r.has_problems() && !b.has_problems() {
                        b.properties_matches += r.properties_matches;
                        b.properties_value_matches += r.properties_value_matches;
                        b.processed.extend(r.processed);
                        b
                    } else {
                        let c = r.compare(&b);
                        if c > 0 {
                            r
                        } else {
                            if c == 0 && !b.enum_value_match && !r.enum_value_match {
                                if let (Some(bv), Some(rv)) = (&mut b.enum_values, r.enum_values) {
                                    bv.extend(rv);
                                }
                            }
                            b
                        }
                    }
                }
            });
        }
        if matches > 1 && one_of {
            out.problems.push(problem(
                node.span.start..node.span.start + 1,
                path,
                ProblemCode::MultipleMatches,
                format!("{}matches more than one of the allowed forms; only one may match", prefix(path)),
            ));
        }
        if let Some(mut b) = best {
            // Several enum branches failed: list every accepted value in one message.
            if !b.enum_value_match {
                if let Some(values) = &b.enum_values {
                    let v = node.to_value();
                    for p in &mut b.problems {
                        if p.code == ProblemCode::Enum && p.span == node.span {
                            p.message = enum_message(path, &v, values);
                        }
                    }
                }
            }
            out.merge(b);
        }
    }

    fn validate_object(
        &self,
        node: &Node,
        parent: Option<&Property>,
        props: &[Property],
        s: &SchemaNode,
        path: &mut Vec<PathSegment>,
        out: &mut Outcome,
    ) {
        // Last value wins for duplicate keys, as JSON.parse does.
        let find = |key: &str| props.iter().rev().find(|p| p.key.value == key && p.value.is_some());
        let mut unprocessed: Vec<&str> = Vec::new();
        for p in props {
            if !unprocessed.contains(&p.key.value.as_str()) {
                unprocessed.push(&p.key.value);
            }
        }
        for req in &s.required {
            if find(req).is_none() && !props.iter().any(|p| &p.key.value == req) {
                let span = parent.map_or(node.span.start..node.span.start + 1, |p| p.key.span.clone());
                out.problems.push(problem(
                    span,
                    path,
                    ProblemCode::Missing,
                    format!("{}missing required property \"{req}\"", prefix(path)),
                ));
            }
        }
        for (name, sid) in &s.properties {
            unprocessed.retain(|k| k != name);
            out.processed.insert(name.clone());
            if let Some(p) = find(name) {
                self.validate_property(p, *sid, path, out);
            }
        }
        for (re, sid) in &s.pattern_properties {
            let mut done = Vec::new();
            for &key in &unprocessed {
                if re.is_match(key) {
                    done.push(key);
                    if let Some(p) = find(key) {
                        self.validate_property(p, *sid, path, out);
                    }
                }
            }
            unprocessed.retain(|k| !done.contains(k));
            out.processed.extend(done.into_iter().map(str::to_string));
        }
        if let Some(add) = &s.additional {
            for key in std::mem::take(&mut unprocessed) {
                out.processed.insert(key.to_string());
                let Some(p) = find(key) else { continue };
                match add {
                    Additional::Allowed => {}
                    Additional::Forbidden => out.problems.push(self.not_allowed(p, s, path)),
                    Additional::Schema(sid) => self.validate_property(p, *sid, path, out),
                }
            }
        }
        if s.unevaluated_forbidden {
            for key in unprocessed {
                if out.processed.contains(key) {
                    continue;
                }
                if let Some(p) = find(key) {
                    out.problems.push(self.not_allowed(p, s, path));
                }
            }
        }
    }

    fn validate_property(&self, p: &Property, sid: SchemaId, path: &mut Vec<PathSegment>, out: &mut Outcome) {
        let Some(value) = &p.value else { return };
        let mut r = Outcome::default();
        path.push(PathSegment::Key(p.key.value.clone()));
        self.validate(value, Some(p), sid, path, &mut r);
        path.pop();
        out.merge_property_match(r);
    }

    fn not_allowed(&self, p: &Property, s: &SchemaNode, path: &[PathSegment]) -> Problem {
        let name = &p.key.value;
        let mut message = format!("{}property \"{name}\" is not allowed here", prefix(path));
        if path.is_empty() && self.schema.top_level_names().contains(name.as_str()) {
            message = format!(
                "property \"{name}\" does not apply to this kind of configuration (image, Dockerfile or Docker Compose); it is ignored"
            );
        } else {
            let candidates = s.properties.iter().map(|(n, _)| n.as_str());
            let candidates: Vec<&str> = if path.is_empty() {
                self.schema.top_level_names().iter().copied().collect()
            } else {
                candidates.collect()
            };
            if let Some(s) = crate::suggest::did_you_mean(name, candidates) {
                message.push_str(&format!("; did you mean \"{s}\"?"));
            }
        }
        Problem {
            span: p.key.span.clone(),
            message,
            severity: crate::Severity::Warning,
            code: ProblemCode::NotAllowed,
            path: path.to_vec(),
        }
    }

    fn validate_array(&self, node: &Node, items: &[Node], s: &SchemaNode, path: &mut Vec<PathSegment>, out: &mut Outcome) {
        if let Some(item_schema) = s.items {
            for (i, item) in items.iter().enumerate() {
                let mut r = Outcome::default();
                path.push(PathSegment::Index(i));
                self.validate(item, None, item_schema, path, &mut r);
                path.pop();
                out.merge_property_match(r);
                out.processed.insert(i.to_string());
            }
        }
        if s.unique_items {
            let values: Vec<_> = items.iter().map(Node::to_value).collect();
            let dup = (0..values.len()).any(|i| values[i + 1..].contains(&values[i]));
            if dup {
                out.problems.push(problem(
                    node.span.clone(),
                    path,
                    ProblemCode::Duplicate,
                    format!("{}has duplicate items", prefix(path)),
                ));
            }
        }
    }

    fn validate_string(&self, node: &Node, value: &str, s: &SchemaNode, path: &[PathSegment], out: &mut Outcome) {
        if let Some(min) = s.min_length {
            if value.encode_utf16().count() < min {
                out.problems.push(problem(
                    node.span.clone(),
                    path,
                    ProblemCode::Range,
                    format!("{}must be at least {min} characters long", prefix(path)),
                ));
            }
        }
        if let Some((src, re)) = &s.pattern {
            if !re.is_match(value) {
                out.problems.push(problem(
                    node.span.clone(),
                    path,
                    ProblemCode::Pattern,
                    format!("{}\"{value}\" does not match the expected format /{src}/", prefix(path)),
                ));
            }
        }
    }

    fn validate_number(&self, node: &Node, value: f64, s: &SchemaNode, path: &[PathSegment], out: &mut Outcome) {
        if let Some(min) = s.minimum {
            if value < min {
                out.problems.push(problem(
                    node.span.clone(),
                    path,
                    ProblemCode::Range,
                    format!("{}must be at least {min}", prefix(path)),
                ));
            }
        }
        if let Some(max) = s.maximum {
            if value > max {
                out.problems.push(problem(
                    node.span.clone(),
                    path,
                    ProblemCode::Range,
                    format!("{}must be at most {max}", prefix(path)),
                ));
            }
        }
    }
}

fn matches_type(node: &Node, t: &str) -> bool {
    match (t, &node.kind) {
        ("integer", NodeKind::Number { is_integer, .. }) => *is_integer,
        _ => node.type_name() == t || (t == "number" && node.type_name() == "integer"),
    }
}

fn article(t: &str) -> String {
    match t {
        "object" | "array" | "integer" => format!("an {t}"),
        "null" => "null".to_string(),
        "string" | "boolean" | "number" => format!("a {t}"),
        other => other.to_string(),
    }
}

fn prefix(path: &[PathSegment]) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{}: ", path_to_string(path))
    }
}

fn enum_message(path: &[PathSegment], v: &serde_json::Value, values: &[serde_json::Value]) -> String {
    let list = values.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ");
    format!("{}{v} is not accepted; expected one of {list}", prefix(path))
}

fn problem(span: devc_jsonc::Span, path: &[PathSegment], code: ProblemCode, message: String) -> Problem {
    Problem { span, message, severity: crate::Severity::Error, code, path: path.to_vec() }
}

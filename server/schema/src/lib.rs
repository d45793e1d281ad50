//! devcontainer.json's JSON Schema, compiled, and the validator that checks a
//! JSONC tree against it with precise spans. The schema text lives in
//! `schemas/devcontainer.schema.json`; this crate embeds it.

mod compile;
pub mod suggest;
mod validate;

pub use compile::{Additional, CompileError, SchemaId, SchemaNode};
use devc_jsonc::{Node, PathSegment, Span};
use std::collections::BTreeSet;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// What kind of schema rule a problem comes from (used by quick fixes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemCode {
    Type,
    Enum,
    Pattern,
    Range,
    Missing,
    NotAllowed,
    Deprecated,
    Duplicate,
    MultipleMatches,
    /// A schema-provided `errorMessage`.
    Custom,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub span: Span,
    pub message: String,
    pub severity: Severity,
    pub code: ProblemCode,
    /// Where in the document the problem is (the property path of the node checked).
    pub path: Vec<PathSegment>,
}

/// A compiled schema: an arena of nodes and the root's id.
pub struct Schema {
    pub nodes: Vec<SchemaNode>,
    pub root: SchemaId,
    top_level: BTreeSet<String>,
    /// Derived from `nodes` at compile time, for the validator.
    aux: validate::Aux,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema")
            .field("nodes", &self.nodes)
            .field("root", &self.root)
            .field("top_level", &self.top_level)
            .finish()
    }
}

impl Schema {
    pub fn compile(doc: &serde_json::Value) -> Result<Schema, CompileError> {
        let mut c = compile::Compiler::new(doc);
        let root = c.compile(doc, "#")?;
        let nodes = c.nodes;
        let mut top_level = BTreeSet::new();
        collect_names(&nodes, root, &mut top_level, 0);
        let aux = validate::Aux::new(&nodes);
        Ok(Schema { nodes, root, top_level, aux })
    }

    /// Every property name any top-level branch declares.
    pub fn top_level_names(&self) -> BTreeSet<&str> {
        self.top_level.iter().map(String::as_str).collect()
    }

    /// Checks `root` and returns problems ordered by position.
    pub fn validate(&self, root: &Node) -> Vec<Problem> {
        validate::Validator::new(self).run(root)
    }

    /// Schemas that describe the value at `path`, following properties, items and
    /// every branch of allOf/anyOf/oneOf (for hover and completion).
    pub fn schemas_at(&self, path: &[PathSegment]) -> Vec<SchemaId> {
        let mut current = self.expand(self.root);
        for seg in path {
            let mut next = Vec::new();
            for id in current {
                let n = &self.nodes[id];
                match seg {
                    PathSegment::Key(k) => {
                        if let Some((_, sid)) = n.properties.iter().find(|(name, _)| name == k) {
                            next.push(*sid);
                        } else if let Some((_, sid)) = n.pattern_properties.iter().find(|(re, _)| re.is_match(k)) {
                            next.push(*sid);
                        } else if let Some(Additional::Schema(sid)) = &n.additional {
                            next.push(*sid);
                        }
                    }
                    PathSegment::Index(_) => next.extend(n.items),
                }
            }
            current = next.into_iter().flat_map(|id| self.expand(id)).collect();
            current.dedup();
        }
        current
    }

    /// `id` and every schema reachable through allOf/anyOf/oneOf.
    fn expand(&self, id: SchemaId) -> Vec<SchemaId> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            let n = &self.nodes[out[i]];
            for &sub in n.all_of.iter().chain(&n.any_of).chain(&n.one_of) {
                if !out.contains(&sub) {
                    out.push(sub);
                }
            }
            i += 1;
        }
        out
    }
}

fn collect_names(nodes: &[SchemaNode], id: SchemaId, out: &mut BTreeSet<String>, depth: usize) {
    if depth > 16 {
        return;
    }
    let n = &nodes[id];
    out.extend(n.properties.iter().map(|(k, _)| k.clone()));
    for &sub in n.all_of.iter().chain(&n.any_of).chain(&n.one_of) {
        collect_names(nodes, sub, out, depth + 1);
    }
}

/// The text of `schemas/devcontainer.schema.json`.
pub const DEVCONTAINER_SCHEMA_JSON: &str = include_str!("../../../schemas/devcontainer.schema.json");

/// The devcontainer.json schema, compiled once.
pub fn devcontainer() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let doc: serde_json::Value =
            serde_json::from_str(DEVCONTAINER_SCHEMA_JSON).expect("schemas/devcontainer.schema.json is valid JSON (checked by tests)");
        Schema::compile(&doc).expect("schemas/devcontainer.schema.json compiles (checked by tests)")
    })
}

#[cfg(test)]
mod tests;

//! Turns a JSON Schema document into an arena of compiled nodes: `$ref`s are
//! resolved (the referenced keys laid over the siblings, as VS Code does) and
//! patterns compiled once. Owns the list of keywords we support.

use regex::Regex;
use serde_json::{Map, Value};

pub type SchemaId = usize;

#[derive(Clone, Debug)]
pub enum Additional {
    Allowed,
    Forbidden,
    Schema(SchemaId),
}

/// One compiled (sub)schema. Only the keywords devc's schemas use are kept.
#[derive(Clone, Debug, Default)]
pub struct SchemaNode {
    /// `Some(false)` for the boolean schema `false`, `Some(true)` for `true`.
    pub boolean: Option<bool>,
    pub types: Vec<String>,
    pub enum_values: Option<Vec<Value>>,
    pub const_value: Option<Value>,
    pub pattern: Option<(String, Regex)>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub min_length: Option<usize>,
    pub properties: Vec<(String, SchemaId)>,
    pub pattern_properties: Vec<(Regex, SchemaId)>,
    pub additional: Option<Additional>,
    pub unevaluated_forbidden: bool,
    pub required: Vec<String>,
    pub items: Option<SchemaId>,
    pub unique_items: bool,
    pub all_of: Vec<SchemaId>,
    pub any_of: Vec<SchemaId>,
    pub one_of: Vec<SchemaId>,
    pub description: Option<String>,
    pub markdown_description: Option<String>,
    pub enum_descriptions: Vec<String>,
    pub default: Option<Value>,
    pub deprecated: bool,
    pub deprecation_message: Option<String>,
    pub error_message: Option<String>,
    pub default_snippets: Vec<Value>,
}

#[derive(Debug)]
pub struct CompileError(pub String);

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid schema: {}", self.0)
    }
}

impl std::error::Error for CompileError {}

pub(crate) struct Compiler<'a> {
    root: &'a Value,
    pub nodes: Vec<SchemaNode>,
}

const MAX_REF_DEPTH: usize = 32;

impl<'a> Compiler<'a> {
    pub fn new(root: &'a Value) -> Self {
        Compiler { root, nodes: Vec::new() }
    }

    pub fn compile(&mut self, schema: &Value, at: &str) -> Result<SchemaId, CompileError> {
        self.compile_depth(schema, at, 0)
    }

    fn compile_depth(&mut self, schema: &Value, at: &str, depth: usize) -> Result<SchemaId, CompileError> {
        if depth > MAX_REF_DEPTH {
            return Err(CompileError(format!("$ref chain too deep at {at}")));
        }
        let obj = match schema {
            Value::Bool(b) => {
                let id = self.nodes.len();
                self.nodes.push(SchemaNode { boolean: Some(*b), ..Default::default() });
                return Ok(id);
            }
            Value::Object(o) => o,
            _ => return Err(CompileError(format!("{at}: a schema must be an object or a boolean"))),
        };
        let resolved;
        let obj = if let Some(r) = obj.get("$ref") {
            let r = r.as_str().ok_or_else(|| CompileError(format!("{at}: $ref must be a string")))?;
            let target = self.lookup(r).ok_or_else(|| CompileError(format!("{at}: unresolved $ref {r}")))?;
            let Value::Object(target) = target else {
                return Err(CompileError(format!("{at}: $ref {r} is not an object schema")));
            };
            let mut merged: Map<String, Value> = obj.clone();
            merged.remove("$ref");
            for (k, v) in target {
                merged.insert(k.clone(), v.clone());
            }
            resolved = merged;
            if resolved.contains_key("$ref") {
                return self.compile_depth(&Value::Object(resolved), at, depth + 1);
            }
            &resolved
        } else {
            obj
        };

        let id = self.nodes.len();
        self.nodes.push(SchemaNode::default());
        let mut n = SchemaNode::default();
        for (key, v) in obj {
            let here = format!("{at}/{key}");
            match key.as_str() {
                "type" => {
                    n.types = match v {
                        Value::String(s) => vec![s.clone()],
                        Value::Array(a) => a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
                        _ => return Err(CompileError(format!("{here}: expected string or array"))),
                    }
                }
                "enum" => n.enum_values = Some(v.as_array().cloned().unwrap_or_default()),
                "const" => n.const_value = Some(v.clone()),
                "pattern" => {
                    let p = v.as_str().ok_or_else(|| CompileError(format!("{here}: expected string")))?;
                    let re = Regex::new(p).map_err(|e| CompileError(format!("{here}: {e}")))?;
                    n.pattern = Some((p.to_string(), re));
                }
                "minimum" => n.minimum = v.as_f64(),
                "maximum" => n.maximum = v.as_f64(),
                "minLength" => n.min_length = v.as_u64().map(|x| x as usize),
                "properties" => {
                    for (name, sub) in v.as_object().into_iter().flatten() {
                        let sid = self.compile_depth(sub, &format!("{here}/{name}"), depth)?;
                        n.properties.push((name.clone(), sid));
                    }
                }
                "patternProperties" => {
                    for (pat, sub) in v.as_object().into_iter().flatten() {
                        let re = Regex::new(pat).map_err(|e| CompileError(format!("{here}: {e}")))?;
                        let sid = self.compile_depth(sub, &format!("{here}/{pat}"), depth)?;
                        n.pattern_properties.push((re, sid));
                    }
                }
                "additionalProperties" => {
                    n.additional = Some(match v {
                        Value::Bool(true) => Additional::Allowed,
                        Value::Bool(false) => Additional::Forbidden,
                        other => Additional::Schema(self.compile_depth(other, &here, depth)?),
                    })
                }
                "unevaluatedProperties" => n.unevaluated_forbidden = v == &Value::Bool(false),
                "required" => {
                    n.required = v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect()
                }
                "items" => n.items = Some(self.compile_depth(v, &here, depth)?),
                "uniqueItems" => n.unique_items = v == &Value::Bool(true),
                "allOf" | "anyOf" | "oneOf" => {
                    let mut ids = Vec::new();
                    for (i, sub) in v.as_array().into_iter().flatten().enumerate() {
                        ids.push(self.compile_depth(sub, &format!("{here}/{i}"), depth)?);
                    }
                    match key.as_str() {
                        "allOf" => n.all_of = ids,
                        "anyOf" => n.any_of = ids,
                        _ => n.one_of = ids,
                    }
                }
                "description" => n.description = v.as_str().map(str::to_string),
                "markdownDescription" => n.markdown_description = v.as_str().map(str::to_string),
                "enumDescriptions" => {
                    n.enum_descriptions =
                        v.as_array().into_iter().flatten().map(|s| s.as_str().unwrap_or("").to_string()).collect()
                }
                "default" => n.default = Some(v.clone()),
                "deprecated" => n.deprecated = v == &Value::Bool(true),
                "deprecationMessage" => n.deprecation_message = v.as_str().map(str::to_string),
                "errorMessage" => n.error_message = v.as_str().map(str::to_string),
                "defaultSnippets" => n.default_snippets = v.as_array().cloned().unwrap_or_default(),
                // Annotations and containers we read elsewhere or not at all.
                "$schema" | "title" | "definitions" | "$defs" | "$comment" | "allowComments"
                | "allowTrailingCommas" | "examples" | "format" => {}
                other => return Err(CompileError(format!("{here}: unsupported keyword `{other}`"))),
            }
        }
        self.nodes[id] = n;
        Ok(id)
    }

    fn lookup(&self, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        self.root.pointer(pointer)
    }
}

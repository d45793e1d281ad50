//! What the devcontainer schema says about a path, gathered over every schema
//! `devc_schema::Schema::schemas_at` returns (allOf/anyOf/oneOf branches), for
//! hover and completion.

use devc_jsonc::PathSegment;
use devc_schema::{Schema, SchemaId, SchemaNode};
use serde_json::Value;

pub fn schema() -> &'static Schema {
    devc_schema::devcontainer()
}

/// The facts about one path.
#[derive(Debug, Default)]
pub struct Info {
    pub description: Option<String>,
    /// Markdown wins over plain when both exist.
    pub markdown: bool,
    pub types: Vec<String>,
    pub default: Option<Value>,
    pub deprecated: Option<String>,
    /// `(value, description, schema)` over every schema; a value may repeat
    /// when branches share it (see [`fitting_enums`]).
    pub enums: Vec<(Value, Option<String>, SchemaId)>,
    pub snippets: Vec<Value>,
    pub ids: Vec<SchemaId>,
}

pub fn info(path: &[PathSegment]) -> Info {
    from_ids(schema().schemas_at(path))
}

/// Like [`info`], for a path whose value is (or would be) at `at` in `text`:
/// when branches disagree on the enum (`shutdownAction` of image and compose
/// configs), the branch that fits the document comes first, so its
/// description and default win. Returns the fitting enum values too.
pub fn info_at(text: &str, at: &std::ops::Range<usize>, path: &[PathSegment]) -> (Info, Vec<(Value, Option<String>)>) {
    let info = info(path);
    let (enums, applicable) = fitting_enums(text, at, &info);
    if applicable.is_empty() {
        return (info, enums);
    }
    let mut ids = info.ids.clone();
    ids.sort_by_key(|id| !applicable.contains(id));
    (from_ids(ids), enums)
}

fn from_ids(ids: Vec<SchemaId>) -> Info {
    let s = schema();
    let mut info = Info { ids: ids.clone(), ..Default::default() };
    for &id in &ids {
        let n: &SchemaNode = &s.nodes[id];
        if info.description.is_none() || (!info.markdown && n.markdown_description.is_some()) {
            if let Some(md) = n.markdown_description.as_ref().filter(|d| !d.is_empty()) {
                info.description = Some(md.clone());
                info.markdown = true;
            } else if info.description.is_none() {
                info.description = n.description.clone().filter(|d| !d.is_empty());
            }
        }
        for t in &n.types {
            if !info.types.contains(t) {
                info.types.push(t.clone());
            }
        }
        if info.default.is_none() {
            info.default = n.default.clone();
        }
        if info.deprecated.is_none() && (n.deprecated || n.deprecation_message.is_some()) {
            info.deprecated = Some(n.deprecation_message.clone().unwrap_or_else(|| "deprecated".into()));
        }
        let values = n.enum_values.iter().flatten().chain(n.const_value.iter());
        for (i, v) in values.enumerate() {
            let d = n.enum_descriptions.get(i).filter(|d| !d.is_empty()).cloned();
            info.enums.push((v.clone(), d, id));
        }
        for snip in &n.default_snippets {
            if !info.snippets.contains(snip) {
                info.snippets.push(snip.clone());
            }
        }
    }
    info
}

/// The enum values that fit the document at `at`, each once, with the
/// description from a schema whose values all fit; and those schemas.
///
/// `schemas_at` follows every oneOf branch, so in an image config the compose
/// branch's `shutdownAction: "stopCompose"` shows up too. The validator knows
/// which branch applies: each candidate is put at `at` in a copy of the text,
/// the copy validated, and the candidates with the fewest problems kept.
fn fitting_enums(text: &str, at: &std::ops::Range<usize>, info: &Info) -> (Vec<(Value, Option<String>)>, Vec<SchemaId>) {
    let mut distinct: Vec<&Value> = Vec::new();
    for (v, _, _) in &info.enums {
        if !distinct.contains(&v) {
            distinct.push(v);
        }
    }
    let mut nodes: Vec<SchemaId> = info.enums.iter().map(|(_, _, id)| *id).collect();
    nodes.dedup();
    if nodes.len() < 2 {
        let enums = distinct
            .into_iter()
            .map(|v| (v.clone(), info.enums.iter().find(|(e, d, _)| e == v && d.is_some()).and_then(|(_, d, _)| d.clone())))
            .collect();
        return (enums, Vec::new());
    }
    let problems = |v: &Value| -> usize {
        let mut t = String::with_capacity(text.len() + 32);
        t.push_str(&text[..at.start]);
        t.push_str(&v.to_string());
        t.push_str(&text[at.end..]);
        devc_jsonc::parse(&t).root.map_or(0, |root| schema().validate(&root).len())
    };
    let counts: Vec<(&Value, usize)> = distinct.iter().map(|v| (*v, problems(v))).collect();
    let best = counts.iter().map(|(_, n)| *n).min().unwrap_or(0);
    let ok = |v: &Value| counts.iter().any(|(x, n)| *x == v && *n == best);
    // A schema applies when all of its values fit.
    let applicable: Vec<SchemaId> =
        nodes.into_iter().filter(|&id| info.enums.iter().filter(|(_, _, n)| *n == id).all(|(v, _, _)| ok(v))).collect();
    let enums = distinct
        .into_iter()
        .filter(|v| ok(v))
        .map(|v| {
            let mut entries = info.enums.iter().filter(|(e, _, _)| e == v);
            let best = entries
                .clone()
                .find(|(_, d, id)| d.is_some() && applicable.contains(id))
                .or_else(|| entries.find(|(_, d, _)| d.is_some()));
            (v.clone(), best.and_then(|(_, d, _)| d.clone()))
        })
        .collect();
    (enums, applicable)
}

/// Property names the schemas at `object_path` declare, in schema order.
pub fn property_names(object_path: &[PathSegment]) -> Vec<String> {
    let s = schema();
    let mut names: Vec<String> = Vec::new();
    for id in s.schemas_at(object_path) {
        for (name, _) in &s.nodes[id].properties {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

/// `string`, `string | array`, or `any`.
pub fn type_summary(types: &[String]) -> String {
    if types.is_empty() {
        "any".into()
    } else {
        types.join(" | ")
    }
}

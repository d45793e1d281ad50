//! Image metadata (`devcontainer.metadata` label): parsing, building the entry list
//! (base image, features, devcontainer.json), writing the label, and
//! `merge_configuration`, a key-for-key port of the reference's `mergeConfiguration`.

use crate::error::ConfigError;
use crate::js;
use crate::mount::reference_parse_mount;
use serde_json::{Map, Value};

/// Name of the image/container label holding the metadata.
pub const METADATA_LABEL: &str = "devcontainer.metadata";

/// The in-container lifecycle hooks (singular names), in execution order.
pub const LIFECYCLE_HOOKS: [&str; 5] = [
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
];

/// devcontainer.json properties stored in its metadata entry (`pickConfigProperties`), in order.
pub const PICK_CONFIG_PROPERTIES: [&str; 24] = [
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
    "waitFor",
    "customizations",
    "mounts",
    "containerEnv",
    "containerUser",
    "init",
    "privileged",
    "capAdd",
    "securityOpt",
    "remoteUser",
    "userEnvProbe",
    "remoteEnv",
    "overrideCommand",
    "portsAttributes",
    "otherPortsAttributes",
    "forwardPorts",
    "shutdownAction",
    "updateRemoteUserUID",
    "hostRequirements",
];

/// Properties of devcontainer.json still applied to an existing container
/// (`pickUpdateableConfigProperties`).
pub const PICK_UPDATEABLE_CONFIG_PROPERTIES: [&str; 3] =
    ["remoteUser", "userEnvProbe", "remoteEnv"];

/// Feature properties stored in a feature's metadata entry (`pickFeatureProperties`), in order.
pub const PICK_FEATURE_PROPERTIES: [&str; 12] = [
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
    "init",
    "privileged",
    "capAdd",
    "securityOpt",
    "entrypoint",
    "mounts",
    "customizations",
];

/// Properties removed from the config before merging (`replaceProperties`).
const REPLACE_PROPERTIES: [&str; 8] = [
    "customizations",
    "entrypoint",
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
    "shutdownAction",
];

/// Parses a `devcontainer.metadata` label value: a JSON array of entries or a single
/// object. Array items that are not objects are dropped.
pub fn parse_metadata_label(label: &str) -> Result<Vec<Value>, ConfigError> {
    let v: Value = serde_json::from_str(label).map_err(|e| ConfigError::InvalidMetadataLabel {
        message: format!("not JSON ({e})"),
    })?;
    match v {
        Value::Array(items) => Ok(items.into_iter().filter(Value::is_object).collect()),
        Value::Object(_) => Ok(vec![v]),
        other => Err(ConfigError::InvalidMetadataLabel {
            message: format!(
                "expected an array or an object, found {}",
                type_name(&other)
            ),
        }),
    }
}

/// "a string", "an array", …: a JSON value's kind, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `pick(obj, keys)`: the listed properties present in `obj` (even if null), in `keys` order.
pub fn pick(obj: &Value, keys: &[&str]) -> Value {
    let mut out = Map::new();
    if let Value::Object(m) = obj {
        for k in keys {
            if let Some(v) = m.get(*k) {
                out.insert((*k).to_string(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// The devcontainer.json's own metadata entry (`pick(config, pickConfigProperties)`).
pub fn config_to_metadata_entry(config: &Value) -> Value {
    pick(config, &PICK_CONFIG_PROPERTIES)
}

/// The entry kept for an existing container (`remoteUser`, `userEnvProbe`, `remoteEnv`).
pub fn config_to_updateable_entry(config: &Value) -> Value {
    pick(config, &PICK_UPDATEABLE_CONFIG_PROPERTIES)
}

/// A feature's metadata entry: `{id: <user feature id>, ...pick(feature, pickFeatureProperties)}`.
pub fn feature_to_metadata_entry(user_feature_id: &str, feature: &Value) -> Value {
    let mut out = Map::new();
    out.insert("id".to_string(), Value::String(user_feature_id.to_string()));
    if let Value::Object(picked) = pick(feature, &PICK_FEATURE_PROPERTIES) {
        out.extend(picked);
    }
    Value::Object(out)
}

/// Base-image entries, then feature entries, then the config entry; empty objects dropped
/// (`getDevcontainerMetadata`).
pub fn build_metadata_entries(
    base: Vec<Value>,
    features: Vec<Value>,
    config_entry: Value,
) -> Vec<Value> {
    base.into_iter()
        .chain(features)
        .chain(std::iter::once(config_entry))
        .filter(|e| !e.as_object().is_some_and(Map::is_empty))
        .collect()
}

/// The label value as written with `docker run -l devcontainer.metadata=…` (`JSON.stringify`).
pub fn metadata_label_json(entries: &[Value]) -> String {
    js::stringify(&Value::Array(entries.to_vec()))
}

/// The Dockerfile `LABEL devcontainer.metadata="[ \<nl>{…}, \<nl>{…} \<nl>]"` line, with
/// `"`, `\` and `$` escaped; empty when there are no entries.
pub fn dockerfile_metadata_label(entries: &[Value]) -> String {
    if entries.is_empty() {
        return String::new();
    }
    let escape = |s: String| {
        let mut o = String::with_capacity(s.len());
        for c in s.chars() {
            if matches!(c, '"' | '\\' | '$') {
                o.push('\\');
            }
            o.push(c);
        }
        o
    };
    let items: Vec<String> = entries
        .iter()
        .map(|e| format!(" \\\n{}", escape(js::stringify(e))))
        .collect();
    format!("LABEL {METADATA_LABEL}=\"[{} \\\n]\"", items.join(","))
}

fn entry_objects(entries: &[Value]) -> Vec<&Map<String, Value>> {
    entries.iter().filter_map(Value::as_object).collect()
}

/// Identity key for `new Set(...)`: primitives by value, objects/arrays by identity.
fn set_key(v: &Value, index: usize) -> String {
    match v {
        Value::Array(_) | Value::Object(_) => format!("#obj{index}"),
        Value::String(s) => format!("s{s}"),
        other => format!("p{other}"),
    }
}

/// `[].concat(...values)`: arrays are spread one level, other values appended.
fn concat(values: Vec<&Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for v in values {
        match v {
            Value::Array(a) => out.extend(a.iter().cloned()),
            other => out.push(other.clone()),
        }
    }
    out
}

fn dedupe(values: Vec<Value>) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, v) in values.into_iter().enumerate() {
        if seen.insert(set_key(&v, i)) {
            out.push(v);
        }
    }
    out
}

fn union_or_undefined(entries: &[&Map<String, Value>], key: &str) -> Option<Value> {
    let values = dedupe(concat(
        entries
            .iter()
            .filter_map(|e| e.get(key))
            .filter(|v| js::truthy(v))
            .collect(),
    ));
    (!values.is_empty()).then_some(Value::Array(values))
}

fn collect_or_undefined(entries: &[&Map<String, Value>], key: &str) -> Option<Value> {
    let values: Vec<Value> = entries
        .iter()
        .filter_map(|e| e.get(key))
        .filter(|v| js::truthy(v))
        .cloned()
        .collect();
    (!values.is_empty()).then_some(Value::Array(values))
}

fn hook_list(entries: &[&Map<String, Value>], key: &str) -> Value {
    Value::Array(
        entries
            .iter()
            .filter_map(|e| e.get(key))
            .filter(|v| js::truthy(v))
            .cloned()
            .collect(),
    )
}

fn last_truthy(entries: &[&Map<String, Value>], key: &str) -> Option<Value> {
    entries
        .iter()
        .rev()
        .filter_map(|e| e.get(key))
        .find(|v| js::truthy(v))
        .cloned()
}

fn last_bool(entries: &[&Map<String, Value>], key: &str) -> Option<Value> {
    entries
        .iter()
        .rev()
        .filter_map(|e| e.get(key))
        .find(|v| v.is_boolean())
        .cloned()
}

fn assign(entries: &[&Map<String, Value>], key: &str) -> Value {
    let mut out = Map::new();
    for e in entries {
        if let Some(Value::Object(m)) = e.get(key) {
            for (k, v) in m {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// Mount identity for de-duplication: its target as the reference reads it.
fn mount_target_key(mount: &Value, index: usize) -> String {
    match mount {
        Value::String(s) => match reference_parse_mount(s).get("target") {
            Some(Some(t)) => format!("s{t}"),
            _ => "undefined".to_string(),
        },
        Value::Object(o) => match o.get("target") {
            None => "undefined".to_string(),
            Some(t) => set_key(t, index),
        },
        _ => format!("#other{index}"),
    }
}

fn merge_mounts(entries: &[&Map<String, Value>]) -> Option<Value> {
    let all = concat(
        entries
            .iter()
            .filter_map(|e| e.get("mounts"))
            .filter(|v| js::truthy(v))
            .collect(),
    );
    let keys: Vec<String> = all
        .iter()
        .enumerate()
        .map(|(i, m)| mount_target_key(m, i))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut keep = vec![false; all.len()];
    for i in (0..all.len()).rev() {
        if seen.insert(keys[i].clone()) {
            keep[i] = true;
        }
    }
    let mounts: Vec<Value> = all
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(m, _)| m)
        .collect();
    (!mounts.is_empty()).then_some(Value::Array(mounts))
}

fn merge_forward_ports(entries: &[&Map<String, Value>]) -> Option<Value> {
    let all = concat(
        entries
            .iter()
            .map(|e| match e.get("forwardPorts") {
                Some(v) if js::truthy(v) => v,
                _ => &Value::Null,
            })
            .filter(|v| !v.is_null())
            .collect(),
    );
    let normalized: Vec<Value> = all
        .into_iter()
        .map(|p| match &p {
            Value::Number(n) => Value::String(format!(
                "localhost:{}",
                js::number_to_string(n.as_f64().unwrap_or(0.0))
            )),
            _ => p,
        })
        .collect();
    let ports: Vec<Value> = dedupe(normalized)
        .into_iter()
        .map(|p| match &p {
            Value::String(s) if contains_localhost_port(s) => {
                js::number_value(js::parse_int(&s[10.min(s.len())..]).unwrap_or(f64::NAN))
            }
            _ => p,
        })
        .collect();
    (!ports.is_empty()).then_some(Value::Array(ports))
}

/// `/localhost:\d+/.test(s)` (unanchored).
fn contains_localhost_port(s: &str) -> bool {
    s.match_indices("localhost:")
        .any(|(i, m)| s[i + m.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// JavaScript `ToString` of a JSON value as used in template literals and regex tests.
fn js_to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => js::number_to_string(n.as_f64().unwrap_or(0.0)),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                if x.is_null() {
                    String::new()
                } else {
                    js_to_string(x)
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_string(),
    }
}

/// JavaScript `ToNumber` (enough for `Math.max` over JSON values).
fn js_to_number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Null => 0.0,
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                0.0
            } else {
                t.parse::<f64>().unwrap_or(f64::NAN)
            }
        }
        Value::Array(_) | Value::Object(_) => js_to_number(&Value::String(js_to_string(v))),
    }
}

/// `Math.max(...values)`: NaN if any is NaN, -Infinity when empty.
fn js_max(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut m = f64::NEG_INFINITY;
    for v in values {
        if v.is_nan() {
            return f64::NAN;
        }
        if v > m {
            m = v;
        }
    }
    m
}

/// The reference's `parseBytes`: `^(\d+)([tgmk]b)?$` → bytes, anything else 0.
pub fn parse_bytes(s: &str) -> f64 {
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if digits_end == 0 {
        return 0.0;
    }
    let unit = match &s[digits_end..] {
        "" => 1.0,
        "kb" => 1024.0,
        "mb" => 1024f64.powi(2),
        "gb" => 1024f64.powi(3),
        "tb" => 1024f64.powi(4),
        _ => return 0.0,
    };
    s[..digits_end].parse::<f64>().map_or(0.0, |n| n * unit)
}

/// `parseBytes(x || '0')` for an optional JSON value.
fn bytes_of(v: Option<&Value>) -> f64 {
    match v {
        Some(v) if js::truthy(v) => parse_bytes(&js_to_string(v)),
        _ => 0.0,
    }
}

fn or_zero(v: Option<&Value>) -> f64 {
    match v {
        Some(v) if js::truthy(v) => js_to_number(v),
        _ => 0.0,
    }
}

fn merge_gpu(a: Option<Value>, b: Option<&Value>) -> Option<Value> {
    let is_unset = |v: Option<&Value>| matches!(v, None | Some(Value::Bool(false)));
    if is_unset(a.as_ref()) {
        return b.cloned();
    }
    if is_unset(b) {
        return a;
    }
    let (a, b) = (a.unwrap_or(Value::Null), b.cloned().unwrap_or(Value::Null));
    if a == "optional" && b == "optional" {
        return Some(Value::String("optional".to_string()));
    }
    let field = |v: &Value, k: &str| v.as_object().and_then(|o| o.get(k)).cloned();
    let cores = js_max([
        or_zero(field(&a, "cores").as_ref()),
        or_zero(field(&b, "cores").as_ref()),
    ]);
    let memory = js_max([
        bytes_of(field(&a, "memory").as_ref()),
        bytes_of(field(&b, "memory").as_ref()),
    ]);
    let mut out = Map::new();
    if cores != 0.0 && !cores.is_nan() {
        out.insert("cores".to_string(), js::number_value(cores));
    }
    if memory != 0.0 && !memory.is_nan() {
        out.insert(
            "memory".to_string(),
            Value::String(js::number_to_string(memory)),
        );
    }
    Some(Value::Object(out))
}

fn merge_host_requirements(entries: &[&Map<String, Value>]) -> Option<Value> {
    let hr = |e: &&Map<String, Value>, k: &str| {
        e.get("hostRequirements")
            .and_then(Value::as_object)
            .and_then(|h| h.get(k))
            .cloned()
    };
    let cpus = js_max(entries.iter().map(|e| or_zero(hr(e, "cpus").as_ref())));
    let memory = js_max(entries.iter().map(|e| bytes_of(hr(e, "memory").as_ref())));
    let storage = js_max(entries.iter().map(|e| bytes_of(hr(e, "storage").as_ref())));
    let gpu = entries
        .iter()
        .fold(None, |acc, e| merge_gpu(acc, hr(e, "gpu").as_ref()));
    let truthy_num = |n: f64| n != 0.0 && !n.is_nan();
    if !(truthy_num(cpus)
        || truthy_num(memory)
        || truthy_num(storage)
        || js::truthy_opt(gpu.as_ref()))
    {
        return None;
    }
    let mut out = Map::new();
    // Math.max over no entries is -Infinity, which is truthy: the reference then prints
    // cpus as null and memory/storage as "-Infinity"; we reproduce that.
    out.insert("cpus".to_string(), js::number_value(cpus));
    if truthy_num(memory) {
        out.insert(
            "memory".to_string(),
            Value::String(js::number_to_string(memory)),
        );
    }
    if truthy_num(storage) {
        out.insert(
            "storage".to_string(),
            Value::String(js::number_to_string(storage)),
        );
    }
    if let Some(g) = gpu {
        out.insert("gpu".to_string(), g);
    }
    Some(Value::Object(out))
}

/// The reference's `mergeConfiguration(config, imageMetadata)`: `config` with the merged
/// metadata properties set (existing keys keep their position, new ones are appended,
/// undefined results removed), hooks collected into plural arrays and `entrypoints`.
pub fn merge_configuration(config: &Value, entries: &[Value]) -> Value {
    let e = entry_objects(entries);
    let mut customizations: Map<String, Value> = Map::new();
    for entry in &e {
        if let Some(Value::Object(c)) = entry.get("customizations") {
            for (k, v) in c {
                match customizations.get_mut(k) {
                    Some(Value::Array(list)) => list.push(v.clone()),
                    _ => {
                        customizations.insert(k.clone(), Value::Array(vec![v.clone()]));
                    }
                }
            }
        }
    }
    let mut merged = config.as_object().cloned().unwrap_or_default();
    for p in REPLACE_PROPERTIES {
        merged.shift_remove(p);
    }
    let any = |key: &str| Value::Bool(e.iter().any(|x| js::truthy_opt(x.get(key))));
    let updates: Vec<(&str, Option<Value>)> = vec![
        ("init", Some(any("init"))),
        ("privileged", Some(any("privileged"))),
        ("capAdd", union_or_undefined(&e, "capAdd")),
        ("securityOpt", union_or_undefined(&e, "securityOpt")),
        ("entrypoints", collect_or_undefined(&e, "entrypoint")),
        ("mounts", merge_mounts(&e)),
        (
            "customizations",
            (!customizations.is_empty()).then_some(Value::Object(customizations)),
        ),
        ("onCreateCommands", Some(hook_list(&e, "onCreateCommand"))),
        (
            "updateContentCommands",
            Some(hook_list(&e, "updateContentCommand")),
        ),
        (
            "postCreateCommands",
            Some(hook_list(&e, "postCreateCommand")),
        ),
        ("postStartCommands", Some(hook_list(&e, "postStartCommand"))),
        (
            "postAttachCommands",
            Some(hook_list(&e, "postAttachCommand")),
        ),
        ("waitFor", last_truthy(&e, "waitFor")),
        ("remoteUser", last_truthy(&e, "remoteUser")),
        ("containerUser", last_truthy(&e, "containerUser")),
        ("userEnvProbe", last_truthy(&e, "userEnvProbe")),
        ("remoteEnv", Some(assign(&e, "remoteEnv"))),
        ("containerEnv", Some(assign(&e, "containerEnv"))),
        ("overrideCommand", last_bool(&e, "overrideCommand")),
        ("portsAttributes", Some(assign(&e, "portsAttributes"))),
        (
            "otherPortsAttributes",
            last_truthy(&e, "otherPortsAttributes"),
        ),
        ("forwardPorts", merge_forward_ports(&e)),
        ("shutdownAction", last_truthy(&e, "shutdownAction")),
        ("updateRemoteUserUID", last_bool(&e, "updateRemoteUserUID")),
        ("hostRequirements", merge_host_requirements(&e)),
    ];
    for (k, v) in updates {
        match v {
            Some(v) => {
                merged.insert(k.to_string(), v);
            }
            None => {
                merged.shift_remove(k);
            }
        }
    }
    Value::Object(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn label_array_or_single_object() {
        assert_eq!(
            parse_metadata_label(r#"[{"a":1},2,{"b":2}]"#).unwrap(),
            vec![json!({"a":1}), json!({"b":2})]
        );
        assert_eq!(
            parse_metadata_label(r#"{"id":"x"}"#).unwrap(),
            vec![json!({"id":"x"})]
        );
        let e = parse_metadata_label("3").unwrap_err().to_string();
        assert!(
            e.contains("expected an array or an object, found a number"),
            "{e}"
        );
        assert!(parse_metadata_label("{").is_err());
    }

    #[test]
    fn config_entry_uses_pick_order() {
        let c =
            json!({"remoteUser": "u", "image": "x", "postCreateCommand": "a", "remoteEnv": null});
        let e = config_to_metadata_entry(&c);
        assert_eq!(
            keys(&e),
            vec!["postCreateCommand", "remoteUser", "remoteEnv"]
        );
        assert_eq!(
            keys(&config_to_updateable_entry(&c)),
            vec!["remoteUser", "remoteEnv"]
        );
        let f = feature_to_metadata_entry(
            "ghcr.io/a/b:1",
            &json!({"id": "b", "entrypoint": "/e", "containerEnv": {"A": "1"}}),
        );
        assert_eq!(f, json!({"id": "ghcr.io/a/b:1", "entrypoint": "/e"}));
    }

    #[test]
    fn entries_drop_empty() {
        let v = build_metadata_entries(
            vec![json!({}), json!({"a": 1})],
            vec![json!({"id": "f"})],
            json!({}),
        );
        assert_eq!(v, vec![json!({"a": 1}), json!({"id": "f"})]);
    }

    #[test]
    fn label_writers() {
        let entries = vec![
            json!({"id": "f", "x": "$a\"b\\"}),
            json!({"remoteUser": "u"}),
        ];
        assert_eq!(
            metadata_label_json(&entries),
            r#"[{"id":"f","x":"$a\"b\\"},{"remoteUser":"u"}]"#
        );
        assert_eq!(
            dockerfile_metadata_label(&entries),
            "LABEL devcontainer.metadata=\"[ \\\n{\\\"id\\\":\\\"f\\\",\\\"x\\\":\\\"\\$a\\\\\\\"b\\\\\\\\\\\"}, \\\n{\\\"remoteUser\\\":\\\"u\\\"} \\\n]\""
        );
        assert_eq!(dockerfile_metadata_label(&[]), "");
    }

    #[test]
    fn merge_rules() {
        let config = json!({
            "image": "x", "postCreateCommand": "cfg", "capAdd": ["B"], "remoteUser": "", "shutdownAction": "none",
            "customizations": {"vscode": {"e": 2}}
        });
        let entries = vec![
            json!({"id": "f", "init": true, "capAdd": ["A", "B"], "entrypoint": "/e1", "postCreateCommand": "feat",
                   "customizations": {"vscode": {"e": 1}, "other": 1}, "remoteUser": "vscode", "overrideCommand": false,
                   "remoteEnv": {"A": "1", "B": "1"}, "forwardPorts": [3000, "db:1"]}),
            json!({"postCreateCommand": "cfg", "capAdd": ["B"], "remoteUser": "", "shutdownAction": "none",
                   "customizations": {"vscode": {"e": 2}}, "remoteEnv": {"B": "2", "C": null},
                   "forwardPorts": ["localhost:3000", 8080], "overrideCommand": true, "updateRemoteUserUID": false}),
        ];
        let m = merge_configuration(&config, &entries);
        assert_eq!(
            keys(&m),
            vec![
                "image",
                "capAdd",
                "remoteUser",
                "init",
                "privileged",
                "entrypoints",
                "customizations",
                "onCreateCommands",
                "updateContentCommands",
                "postCreateCommands",
                "postStartCommands",
                "postAttachCommands",
                "remoteEnv",
                "containerEnv",
                "overrideCommand",
                "portsAttributes",
                "forwardPorts",
                "shutdownAction",
                "updateRemoteUserUID"
            ]
        );
        assert_eq!(m["init"], json!(true));
        assert_eq!(m["privileged"], json!(false));
        assert_eq!(m["capAdd"], json!(["A", "B"]));
        assert_eq!(m["entrypoints"], json!(["/e1"]));
        assert_eq!(
            m["customizations"],
            json!({"vscode": [{"e": 1}, {"e": 2}], "other": [1]})
        );
        assert_eq!(m["postCreateCommands"], json!(["feat", "cfg"]));
        assert_eq!(m["onCreateCommands"], json!([]));
        assert_eq!(m["remoteUser"], json!("vscode"));
        assert_eq!(m["remoteEnv"], json!({"A": "1", "B": "2", "C": null}));
        assert_eq!(m["overrideCommand"], json!(true));
        assert_eq!(m["forwardPorts"], json!([3000, "db:1", 8080]));
        assert_eq!(m["updateRemoteUserUID"], json!(false));
        assert!(m.get("postCreateCommand").is_none());
        assert!(m.get("waitFor").is_none());
        assert!(m.get("hostRequirements").is_none());
    }

    #[test]
    fn falsy_last_values_remove_config_keys() {
        let config = json!({"waitFor": "", "image": "x"});
        let m = merge_configuration(&config, &[json!({"waitFor": ""})]);
        assert!(m.get("waitFor").is_none());
    }

    #[test]
    fn mounts_dedupe_by_target_last_wins_in_later_position() {
        let entries = vec![
            json!({"mounts": [{"type": "volume", "source": "a", "target": "/data"}, "type=bind,source=/x,target=/x"]}),
            json!({"mounts": ["type=volume,src=b,dst=/data", {"type": "volume", "target": "/anon"}, "source=/y,destination=/x,type=bind"]}),
        ];
        let m = merge_configuration(&json!({}), &entries);
        assert_eq!(
            m["mounts"],
            json!(["type=volume,src=b,dst=/data", {"type": "volume", "target": "/anon"}, "source=/y,destination=/x,type=bind"])
        );
    }

    #[test]
    fn host_requirements() {
        let entries = vec![
            json!({"hostRequirements": {"cpus": 2, "memory": "4gb", "gpu": "optional"}}),
            json!({"hostRequirements": {"cpus": 1, "storage": "1tb", "gpu": {"cores": 2, "memory": "1gb"}}}),
        ];
        let m = merge_configuration(&json!({}), &entries);
        assert_eq!(
            m["hostRequirements"],
            json!({"cpus": 2, "memory": "4294967296", "storage": "1099511627776", "gpu": {"cores": 2, "memory": "1073741824"}})
        );
        let m = merge_configuration(
            &json!({}),
            &[
                json!({"hostRequirements": {"gpu": "optional"}}),
                json!({"hostRequirements": {"gpu": "optional"}}),
            ],
        );
        assert_eq!(m["hostRequirements"], json!({"cpus": 0, "gpu": "optional"}));
        let m = merge_configuration(&json!({}), &[json!({"hostRequirements": {"gpu": false}})]);
        assert!(m.get("hostRequirements").is_none());
        let m = merge_configuration(
            &json!({}),
            &[
                json!({"hostRequirements": {"gpu": true}}),
                json!({"hostRequirements": {"gpu": "optional"}}),
            ],
        );
        assert_eq!(m["hostRequirements"]["gpu"], json!({}));
    }

    #[test]
    fn no_entries_reproduces_reference_infinity_quirk() {
        let m = merge_configuration(&json!({"name": "x"}), &[]);
        assert_eq!(
            m["hostRequirements"],
            json!({"cpus": null, "memory": "-Infinity", "storage": "-Infinity"})
        );
    }

    #[test]
    fn parse_bytes_units() {
        assert_eq!(parse_bytes("4gb"), 4294967296.0);
        assert_eq!(parse_bytes("512mb"), 536870912.0);
        assert_eq!(parse_bytes("10kb"), 10240.0);
        assert_eq!(parse_bytes("7"), 7.0);
        assert_eq!(parse_bytes("4GB"), 0.0);
        assert_eq!(parse_bytes("gb"), 0.0);
        assert_eq!(parse_bytes("1.5gb"), 0.0);
    }

    #[test]
    fn forward_port_normalization() {
        assert!(contains_localhost_port("localhost:1"));
        assert!(contains_localhost_port("x-localhost:1"));
        assert!(!contains_localhost_port("localhost:x"));
        let m = merge_configuration(
            &json!({}),
            &[json!({"forwardPorts": ["localhost:80", 80, "db:80", "localhost:8x"]})],
        );
        assert_eq!(m["forwardPorts"], json!([80, "db:80", 8]));
    }
}

//! `devcontainer-feature.json`: the typed view the resolver, the Dockerfile
//! generator and the language server need (id, version, options, containerEnv,
//! dependsOn, installsAfter, legacyIds), keeping the raw object for the
//! `devcontainer.metadata` label entry.

use crate::FeatureError;
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::path::Path;

pub const FEATURE_FILE: &str = "devcontainer-feature.json";

/// The declared type of an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionType {
    Boolean,
    String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OptionSpec {
    pub kind: OptionType,
    pub default: Option<Value>,
    pub description: Option<String>,
    /// Allowed values (a closed set).
    pub enum_values: Option<Vec<String>>,
    /// Suggested values (open).
    pub proposals: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FeatureMetadata {
    /// The file's object, with legacy `extensions`/`settings` moved into
    /// `customizations.vscode` as the reference does.
    pub raw: Value,
    pub id: String,
    pub version: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub documentation_url: Option<String>,
    pub options: IndexMap<String, OptionSpec>,
    pub container_env: IndexMap<String, String>,
    /// Feature id → options (the same shapes as devcontainer.json's `features`).
    pub depends_on: IndexMap<String, Value>,
    pub installs_after: Vec<String>,
    pub legacy_ids: Vec<String>,
    pub current_id: Option<String>,
    pub deprecated: bool,
}

impl FeatureMetadata {
    /// Reads `<dir>/devcontainer-feature.json` (JSONC). `label` names the Feature in errors.
    pub fn read_dir(dir: &Path, label: &str) -> Result<FeatureMetadata, FeatureError> {
        let path = dir.join(FEATURE_FILE);
        if !path.is_file() {
            return Err(FeatureError::Metadata {
                id: label.into(),
                message: format!("{} not found; a Feature folder holds devcontainer-feature.json and install.sh", path.display()),
            });
        }
        let doc = devc_config::ConfigDocument::read(&path)?;
        let value = doc.value().map_err(|e| FeatureError::Metadata { id: label.into(), message: e.to_string() })?;
        FeatureMetadata::from_value(value, label)
    }

    /// Parses a JSON (or JSONC) text, e.g. the `dev.containers.metadata` annotation.
    pub fn from_text(text: &str, label: &str) -> Result<FeatureMetadata, FeatureError> {
        let parse = devc_jsonc::parse(text);
        match parse.root.as_ref().filter(|_| !parse.has_errors()) {
            Some(root) => FeatureMetadata::from_value(root.to_value(), label),
            None => Err(FeatureError::Metadata { id: label.into(), message: "devcontainer-feature.json is not valid JSON".into() }),
        }
    }

    pub fn from_value(mut value: Value, label: &str) -> Result<FeatureMetadata, FeatureError> {
        let bad = |message: String| FeatureError::Metadata { id: label.into(), message: format!("devcontainer-feature.json: {message}") };
        let Some(obj) = value.as_object_mut() else { return Err(bad("expected a JSON object".into())) };
        move_legacy_customizations(obj);
        let string = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
        let id = string("id").filter(|s| !s.is_empty()).ok_or_else(|| bad("\"id\" is missing".into()))?;
        let mut options = IndexMap::new();
        if let Some(opts) = obj.get("options") {
            let Some(opts) = opts.as_object() else { return Err(bad("\"options\" must be an object".into())) };
            for (name, spec) in opts {
                options.insert(name.clone(), option_spec(name, spec).map_err(bad)?);
            }
        }
        let mut container_env = IndexMap::new();
        if let Some(env) = obj.get("containerEnv") {
            let Some(env) = env.as_object() else { return Err(bad("\"containerEnv\" must be an object".into())) };
            for (k, v) in env {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(bad(format!("containerEnv.{k} must be a string"))),
                };
                container_env.insert(k.clone(), v);
            }
        }
        let depends_on = match obj.get("dependsOn") {
            None | Some(Value::Null) => IndexMap::new(),
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Some(_) => return Err(bad("\"dependsOn\" must be an object mapping Feature ids to options".into())),
        };
        let strings = |k: &str| -> Result<Vec<String>, FeatureError> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| v.as_str().map(str::to_string).ok_or_else(|| bad(format!("\"{k}\" must be an array of strings"))))
                    .collect(),
                Some(_) => Err(bad(format!("\"{k}\" must be an array of strings"))),
            }
        };
        let installs_after = strings("installsAfter")?;
        let legacy_ids = strings("legacyIds")?;
        let version = match obj.get("version") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Ok(FeatureMetadata {
            id,
            version,
            name: string("name"),
            description: string("description"),
            documentation_url: string("documentationURL"),
            current_id: string("currentId"),
            deprecated: obj.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
            options,
            container_env,
            depends_on,
            installs_after,
            legacy_ids,
            raw: value,
        })
    }

    /// `[currentId or id, ...legacyIds]`: the names this Feature answers to.
    pub fn aliases(&self) -> Vec<String> {
        let mut out = vec![self.current_id.clone().unwrap_or_else(|| self.id.clone())];
        out.extend(self.legacy_ids.iter().cloned());
        out
    }
}

fn option_spec(name: &str, spec: &Value) -> Result<OptionSpec, String> {
    let Some(o) = spec.as_object() else { return Err(format!("options.{name} must be an object")) };
    let kind = match o.get("type").and_then(Value::as_str) {
        Some("boolean") => OptionType::Boolean,
        Some("string") | None => OptionType::String,
        Some(other) => return Err(format!("options.{name}.type is '{other}'; expected \"string\" or \"boolean\"")),
    };
    let list = |k: &str| -> Option<Vec<String>> {
        o.get(k).and_then(Value::as_array).map(|a| a.iter().map(scalar_text).collect())
    };
    Ok(OptionSpec {
        kind,
        default: o.get("default").cloned(),
        description: o.get("description").and_then(Value::as_str).map(str::to_string),
        enum_values: list("enum"),
        proposals: list("proposals").unwrap_or_default(),
    })
}

/// A scalar as the install script sees it (`true`, `1.2`, `text`).
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The reference's `updateFromOldProperties`: top-level `extensions` and
/// `settings` become `customizations.vscode.{extensions,settings}`.
fn move_legacy_customizations(obj: &mut Map<String, Value>) {
    let extensions = obj.remove("extensions");
    let settings = obj.remove("settings");
    if extensions.is_none() && settings.is_none() {
        return;
    }
    let customizations = obj.entry("customizations").or_insert_with(|| Value::Object(Map::new()));
    let Some(c) = customizations.as_object_mut() else { return };
    let vscode = c.entry("vscode").or_insert_with(|| Value::Object(Map::new()));
    let Some(v) = vscode.as_object_mut() else { return };
    if let Some(Value::Array(mut ext)) = extensions {
        if let Some(Value::Array(existing)) = v.get("extensions") {
            let mut merged = existing.clone();
            for e in ext.drain(..) {
                if !merged.contains(&e) {
                    merged.push(e);
                }
            }
            ext = merged;
        }
        v.insert("extensions".into(), Value::Array(ext));
    }
    if let Some(Value::Object(s)) = settings {
        let mut merged = s;
        if let Some(Value::Object(existing)) = v.get("settings") {
            for (k, val) in existing {
                merged.insert(k.clone(), val.clone());
            }
        }
        v.insert("settings".into(), Value::Object(merged));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_fields_the_engine_uses() {
        let m = FeatureMetadata::from_text(
            r#"{
                // comments are fine
                "id": "hello", "version": "1.2.0", "name": "Hello",
                "options": {
                    "greeting": {"type": "string", "default": "hey", "enum": ["hey", "hello"]},
                    "loud": {"type": "boolean", "default": false},
                    "version": {"type": "string", "proposals": ["latest", "1"], "default": "latest"}
                },
                "containerEnv": {"HELLO_HOME": "/opt/hello", "PATH": "/opt/hello/bin:${PATH}"},
                "dependsOn": {"ghcr.io/x/y/common:1": {}},
                "installsAfter": ["ghcr.io/x/y/other"],
                "legacyIds": ["hi"],
                "extensions": ["a.b"]
            }"#,
            "./hello",
        )
        .unwrap();
        assert_eq!(m.id, "hello");
        assert_eq!(m.version.as_deref(), Some("1.2.0"));
        assert_eq!(m.options["greeting"].enum_values.as_deref(), Some(&["hey".to_string(), "hello".to_string()][..]));
        assert_eq!(m.options["loud"].kind, OptionType::Boolean);
        assert_eq!(m.options["version"].proposals, vec!["latest", "1"]);
        assert_eq!(m.container_env["PATH"], "/opt/hello/bin:${PATH}");
        assert_eq!(m.depends_on.keys().collect::<Vec<_>>(), vec!["ghcr.io/x/y/common:1"]);
        assert_eq!(m.installs_after, vec!["ghcr.io/x/y/other"]);
        assert_eq!(m.aliases(), vec!["hello", "hi"]);
        assert_eq!(m.raw["customizations"], json!({"vscode": {"extensions": ["a.b"]}}));
        assert!(m.raw.get("extensions").is_none());
    }

    #[test]
    fn malformed_files_name_the_feature_and_field() {
        let e = FeatureMetadata::from_value(json!({"version": "1"}), "./x").unwrap_err().to_string();
        assert_eq!(e, "Feature './x': devcontainer-feature.json: \"id\" is missing");
        let e = FeatureMetadata::from_value(json!({"id": "x", "options": {"a": {"type": "number"}}}), "./x").unwrap_err().to_string();
        assert!(e.contains("options.a.type is 'number'"), "{e}");
        let e = FeatureMetadata::from_value(json!({"id": "x", "installsAfter": "y"}), "./x").unwrap_err().to_string();
        assert!(e.contains("\"installsAfter\" must be an array"), "{e}");
        let e = FeatureMetadata::from_text("{ not json", "./x").unwrap_err().to_string();
        assert!(e.contains("not valid JSON"), "{e}");
    }
}

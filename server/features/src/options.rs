//! Feature options: the value a user gives a Feature in devcontainer.json
//! (`true`, a version string, or an options object) combined with the
//! defaults of its devcontainer-feature.json, checked against the declared
//! types and enums, and written as the env file `install.sh` is run with.

use crate::metadata::{scalar_text, FeatureMetadata, OptionType};
use crate::FeatureError;
use indexmap::IndexMap;
use serde_json::Value;

/// The options `install.sh` gets: defaults, then the user's values.
/// A string value means `{"version": value}` when the Feature has a `version`
/// option (the reference's shorthand). Options the Feature does not declare
/// are passed on (as the reference does) with a warning.
pub fn resolve(label: &str, meta: &FeatureMetadata, user: &Value) -> Result<IndexMap<String, Value>, FeatureError> {
    let mut values: IndexMap<String, Value> = meta
        .options
        .iter()
        .filter_map(|(name, spec)| spec.default.clone().map(|d| (name.clone(), d)))
        .collect();
    match user {
        Value::Object(given) => {
            for (name, v) in given {
                if !meta.options.contains_key(name) {
                    tracing::warn!(
                        "Feature '{label}' has no option '{name}'{}; passing it on anyway",
                        known_list(meta)
                    );
                }
                values.insert(name.clone(), v.clone());
            }
        }
        Value::String(s) => {
            if meta.options.contains_key("version") {
                values.insert("version".into(), Value::String(s.clone()));
            } else if !s.is_empty() {
                tracing::warn!("Feature '{label}' has no \"version\" option; the value \"{s}\" is ignored");
            }
        }
        _ => {}
    }
    for (name, v) in &values {
        check(label, meta, name, v)?;
    }
    Ok(values)
}

fn known_list(meta: &FeatureMetadata) -> String {
    if meta.options.is_empty() {
        " (it declares no options)".to_string()
    } else {
        format!(" (its options: {})", meta.options.keys().cloned().collect::<Vec<_>>().join(", "))
    }
}

/// A value's problem against the option's declaration, if any.
pub fn problem(meta: &FeatureMetadata, name: &str, v: &Value) -> Option<String> {
    let Some(spec) = meta.options.get(name) else {
        // Undeclared options are passed on, but only scalars can be.
        return matches!(v, Value::Object(_) | Value::Array(_) | Value::Null)
            .then(|| format!("expected a string or a boolean, found {}", devc_config::merge::type_name(v)));
    };
    match (spec.kind, v) {
        (_, Value::Object(_) | Value::Array(_) | Value::Null) => {
            return Some(format!("expected {}, found {}", type_word(spec.kind), devc_config::merge::type_name(v)));
        }
        (OptionType::Boolean, Value::Bool(_)) => {}
        (OptionType::Boolean, Value::String(s)) if s == "true" || s == "false" => {}
        (OptionType::Boolean, other) => {
            return Some(format!("expected a boolean (true or false), found {}", show(other)));
        }
        (OptionType::String, _) => {}
    }
    if let Some(allowed) = &spec.enum_values {
        let text = scalar_text(v);
        if !allowed.contains(&text) {
            return Some(format!(
                "{} is not one of the allowed values: {}",
                show(v),
                allowed.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    None
}

fn check(label: &str, meta: &FeatureMetadata, name: &str, v: &Value) -> Result<(), FeatureError> {
    match problem(meta, name, v) {
        Some(message) => Err(FeatureError::OptionValue { feature: label.into(), option: name.into(), message }),
        None => Ok(()),
    }
}

fn type_word(kind: OptionType) -> &'static str {
    match kind {
        OptionType::Boolean => "a boolean",
        OptionType::String => "a string",
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// The reference's `getSafeId`: non-word characters become `_`, leading digits
/// and underscores collapse into one `_`, then uppercase.
pub fn safe_id(name: &str) -> String {
    let replaced: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    let trimmed = replaced.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_');
    let out = if trimmed.len() < replaced.len() { format!("_{trimmed}") } else { replaced };
    out.to_uppercase()
}

/// Quotes a value for a POSIX shell: `'…'` with embedded quotes as `'\''`.
/// The env files are sourced by `sh`, so values never reach it unquoted.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// `devcontainer-features.env`: one `SAFEID='value'` line per option.
pub fn env_file(values: &IndexMap<String, Value>) -> String {
    let mut out = String::new();
    for (name, v) in values {
        out.push_str(&safe_id(name));
        out.push('=');
        out.push_str(&shell_quote(&scalar_text(v)));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta() -> FeatureMetadata {
        FeatureMetadata::from_value(
            json!({
                "id": "hello",
                "options": {
                    "version": {"type": "string", "default": "latest", "proposals": ["latest"]},
                    "greeting": {"type": "string", "enum": ["hey", "hello"], "default": "hey"},
                    "loud": {"type": "boolean", "default": false},
                    "noDefault": {"type": "string"}
                }
            }),
            "./hello",
        )
        .unwrap()
    }

    #[test]
    fn defaults_then_user_values() {
        let m = meta();
        assert_eq!(
            resolve("./hello", &m, &json!(true)).unwrap(),
            [("version".to_string(), json!("latest")), ("greeting".into(), json!("hey")), ("loud".into(), json!(false))]
                .into_iter()
                .collect::<IndexMap<_, _>>()
        );
        let v = resolve("./hello", &m, &json!("1.2")).unwrap();
        assert_eq!(v["version"], "1.2");
        let v = resolve("./hello", &m, &json!({"greeting": "hello", "loud": true, "extra": "x"})).unwrap();
        assert_eq!((v["greeting"].clone(), v["loud"].clone(), v["extra"].clone()), (json!("hello"), json!(true), json!("x")));
    }

    #[test]
    fn bad_values_name_feature_and_option() {
        let m = meta();
        let e = resolve("./hello", &m, &json!({"greeting": "yo"})).unwrap_err().to_string();
        assert_eq!(e, "Feature './hello', option 'greeting': \"yo\" is not one of the allowed values: \"hey\", \"hello\"");
        let e = resolve("./hello", &m, &json!({"loud": "very"})).unwrap_err().to_string();
        assert_eq!(e, "Feature './hello', option 'loud': expected a boolean (true or false), found \"very\"");
        let e = resolve("./hello", &m, &json!({"version": ["1"]})).unwrap_err().to_string();
        assert!(e.contains("expected a string, found an array"), "{e}");
        // Lenient where the reference passes values through.
        assert!(resolve("./hello", &m, &json!({"loud": "true", "version": 18})).is_ok());
    }

    #[test]
    fn safe_ids_match_the_reference() {
        assert_eq!(safe_id("version"), "VERSION");
        assert_eq!(safe_id("install-tools"), "INSTALL_TOOLS");
        assert_eq!(safe_id("1st.option"), "_ST_OPTION");
        assert_eq!(safe_id("__x"), "_X");
        assert_eq!(safe_id("a b"), "A_B");
    }

    #[test]
    fn env_file_quotes_every_value() {
        let values: IndexMap<String, Value> =
            [("greeting".to_string(), json!("it's $HOME `x`")), ("loud".into(), json!(true))].into_iter().collect();
        assert_eq!(env_file(&values), "GREETING='it'\\''s $HOME `x`'\nLOUD='true'\n");
    }
}

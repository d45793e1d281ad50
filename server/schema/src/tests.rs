use super::*;
use serde_json::json;

fn check(schema: serde_json::Value, text: &str) -> Vec<(String, Severity, String)> {
    let schema = Schema::compile(&schema).unwrap();
    let root = devc_jsonc::parse(text).root.unwrap();
    schema
        .validate(&root)
        .into_iter()
        .map(|p| (text[p.span.clone()].to_string(), p.severity, p.message))
        .collect()
}

#[test]
fn type_errors_are_on_the_value() {
    let s = json!({"type": "object", "properties": {"cpus": {"type": "integer"}}});
    let found = check(s, r#"{"cpus": "four"}"#);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "\"four\"");
    assert_eq!(found[0].2, "cpus: expected an integer, found a string");
}

#[test]
fn missing_required_is_on_the_parent_key() {
    let s = json!({"type": "object", "properties": {"build": {"type": "object", "required": ["dockerfile"]}}});
    let found = check(s, r#"{"build": {"context": ".."}}"#);
    assert_eq!(found[0].0, "\"build\"");
    assert!(found[0].2.contains("missing required property \"dockerfile\""));
    // At the root there is no key: the opening brace.
    let s = json!({"type": "object", "required": ["image"]});
    assert_eq!(check(s, "{}")[0].0, "{");
}

#[test]
fn unknown_property_is_a_warning_on_the_key_with_suggestion() {
    let s = json!({"type": "object", "properties": {"remoteUser": {"type": "string"}}, "additionalProperties": false});
    let found = check(s, r#"{"remoteuser": "x"}"#);
    assert_eq!(found[0].0, "\"remoteuser\"");
    assert_eq!(found[0].1, Severity::Warning);
    assert!(found[0].2.contains("did you mean \"remoteUser\""), "{}", found[0].2);
}

#[test]
fn one_of_reports_the_best_branch_only() {
    let s = json!({"type": "object", "properties": {"ports": {"type": "array", "items": {
        "oneOf": [{"type": "integer", "maximum": 65535}, {"type": "string", "pattern": "^\\d+:\\d+$"}]}}}});
    let found = check(s.clone(), r#"{"ports": [70000]}"#);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].2, "ports[0]: must be at most 65535");
    let found = check(s, r#"{"ports": ["80:80", 8080, "x"]}"#);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "\"x\"");
}

#[test]
fn error_message_replaces_inner_failures() {
    let s = json!({"type": "object", "properties": {"ports": {"type": "array", "items": {
        "errorMessage": "expected a port number or \"host:port\"",
        "oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^\\w+:\\d+$"}]}}}});
    let found = check(s, r#"{"ports": [true]}"#);
    assert_eq!(found, vec![("true".into(), Severity::Error, "ports[0]: expected a port number or \"host:port\"".into())]);
}

#[test]
fn enum_alternatives_are_listed_together() {
    let s = json!({"type": "object", "properties": {"gpu": {"oneOf": [
        {"type": ["boolean", "string"], "enum": [true, false, "optional"]},
        {"type": "object", "properties": {"cores": {"type": "integer"}}}]}}});
    let found = check(s, r#"{"gpu": "true"}"#);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "\"true\"");
    assert!(found[0].2.contains("true, false, \"optional\""), "{}", found[0].2);
}

#[test]
fn unevaluated_properties_see_the_best_branch() {
    let s = json!({
        "definitions": {
            "image": {"type": "object", "properties": {"image": {"type": "string"}}, "required": ["image"]},
            "compose": {"type": "object", "properties": {"service": {"type": "string"}, "dockerComposeFile": {"type": "string"}}, "required": ["service", "dockerComposeFile"]},
            "common": {"type": "object", "properties": {"name": {"type": "string"}}}
        },
        "oneOf": [
            {"allOf": [{"oneOf": [{"$ref": "#/definitions/image"}, {"$ref": "#/definitions/compose"}]}, {"$ref": "#/definitions/common"}]},
            {"type": "object", "$ref": "#/definitions/common", "additionalProperties": false}
        ],
        "unevaluatedProperties": false
    });
    assert!(check(s.clone(), r#"{"image": "x", "name": "n"}"#).is_empty());
    let found = check(s.clone(), r#"{"image": "x", "service": "s"}"#);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "\"service\"");
    let found = check(s, r#"{"image": "x", "extra": 1}"#);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "\"extra\"");
}

#[test]
fn deprecated_properties_warn_on_the_property() {
    let s = json!({"type": "object", "properties": {"extensions": {"type": "array", "deprecated": true,
        "deprecationMessage": "use customizations.vscode.extensions"}}});
    let found = check(s, r#"{"extensions": []}"#);
    assert_eq!(found[0].0, "\"extensions\": []");
    assert_eq!(found[0].1, Severity::Warning);
}

#[test]
fn unsupported_keywords_are_rejected_at_compile_time() {
    let err = Schema::compile(&json!({"if": {}})).unwrap_err();
    assert!(err.to_string().contains("unsupported keyword `if`"));
    assert!(Schema::compile(&json!({"$ref": "#/definitions/missing"})).is_err());
}

#[test]
fn the_devcontainer_schema_compiles() {
    let s = devcontainer();
    assert!(s.top_level_names().contains("image"));
    assert!(s.top_level_names().contains("dockerComposeFile"));
    let ids = s.schemas_at(&[PathSegment::Key("build".into()), PathSegment::Key("dockerfile".into())]);
    assert!(ids.iter().any(|&id| s.nodes[id].description.is_some()));
}

#[test]
fn every_property_of_the_devcontainer_schema_has_a_description() {
    let s = devcontainer();
    for n in &s.nodes {
        for (name, id) in &n.properties {
            let has = s.expand(*id).iter().any(|&i| s.nodes[i].description.is_some() || s.nodes[i].markdown_description.is_some());
            assert!(has, "property {name} has no description");
        }
    }
}

#[test]
fn error_message_yields_to_failures_inside_the_value() {
    let s = json!({"type": "object", "properties": {"gpu": {
        "errorMessage": "expected true, false, \"optional\" or an object",
        "oneOf": [{"type": "boolean"}, {"type": "object", "properties": {"cores": {"type": "integer"}}}]}}});
    let found = check(s.clone(), r#"{"gpu": {"cores": "x"}}"#);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "\"x\"");
    assert_eq!(found[0].2, "gpu.cores: expected an integer, found a string");
    let found = check(s, r#"{"gpu": "yes"}"#);
    assert_eq!(found[0].2, "gpu: expected true, false, \"optional\" or an object");
}

#[test]
fn shared_work_does_not_change_findings() {
    // The validator shares work through tables derived from the compiled
    // nodes; a schema whose nodes changed after compiling is validated without
    // them. Both must find exactly the same (messages, spans, paths, order).
    let doc: serde_json::Value = serde_json::from_str(DEVCONTAINER_SCHEMA_JSON).unwrap();
    let plain = {
        let mut s = Schema::compile(&doc).unwrap();
        s.nodes.push(SchemaNode::default());
        s
    };
    let texts = [
        r#"{"image": "a", "forwardPorts": [3000, "db:5432", "x", 70000], "name": 1}"#,
        r#"{"build": {"dockerfile": "D", "context": "..", "args": {"A": 1}}, "image": "x", "runArgs": ["--init"]}"#,
        r#"{"dockerComposeFile": ["a.yml"], "service": "s", "workspaceFolder": "/w", "shutdownAction": "stopContainer"}"#,
        r#"{"name": "x", "remoteUser": "dev", "mounts": ["a", {"type": "bind", "target": "/t"}, {"type": "nfs"}]}"#,
        r#"{"image": "a", "hostRequirements": {"cpus": 0, "memory": "4 gb", "gpu": "maybe"}, "waitFor": "later"}"#,
        r#"{"image": "a", "portsAttributes": {"3000": {"onAutoForward": "nope"}}, "customizations": {"vscode": {"extensions": [1]}}}"#,
        r#"{"image": "a", "imgae": "b", "features": {"fish": {}}, "extensions": [], "postCreateCommand": {"a": 1}}"#,
        r#"{"dockerFile": "D", "build": {"target": 1}, "containerEnv": {"A": null}, "remoteEnv": {"B": null}}"#,
        r#"{"image": "a", "image": "b", "secrets": {"1bad": {}, "GOOD": {"documentationUrl": 1}}}"#,
        r#"{}"#,
        r#"[1, 2]"#,
    ];
    for text in texts {
        let root = devc_jsonc::parse(text).root.unwrap();
        assert_eq!(devcontainer().validate(&root), plain.validate(&root), "{text}");
    }
}

//! schemas/dap-launch.schema.json (what editors validate launch configurations
//! with) and the adapter (what `launch` accepts) agree: every case is valid
//! for both or rejected by both.

use devc_dap::launch::LaunchArguments;
use serde_json::{json, Value};

fn schema() -> devc_schema::Schema {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/dap-launch.schema.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    devc_schema::Schema::compile(&doc).expect("the launch schema compiles")
}

fn schema_errors(schema: &devc_schema::Schema, v: &Value) -> Vec<String> {
    let text = v.to_string();
    let parsed = devc_jsonc::parse(&text);
    schema.validate(parsed.root.as_ref().unwrap()).into_iter().map(|p| p.message).collect()
}

#[test]
fn schema_and_adapter_agree() {
    let schema = schema();
    let valid = [
        json!({ "type": "devcontainer", "request": "launch", "name": "run", "command": ["npm", "start"] }),
        json!({ "command": "npm run dev", "cwd": "${containerWorkspaceFolder}/web", "env": { "PORT": "3000" }, "user": "node", "up": false }),
        json!({ "program": "node", "args": ["server.js"], "workspaceFolder": "/src/app", "config": ".devcontainer/dev/devcontainer.json" }),
        json!({ "command": ["x"], "stopSignal": "SIGINT", "stopTimeoutSeconds": 2.5 }),
        json!({ "command": ["x"], "stopSignal": 2 }),
        json!({ "command": ["x"], "readiness": {} }),
        json!({ "command": ["x"], "readiness": { "pattern": "ready on (\\d+)", "uriFormat": "http://localhost:%s/app", "action": "openExternally" } }),
        json!({ "command": ["x"], "readiness": { "probe": { "tcpSocket": { "port": 5432 } }, "periodSeconds": 1, "failureThreshold": 30 } }),
        json!({ "command": ["x"], "readiness": { "probe": { "httpGet": { "port": 8080, "path": "/healthz", "httpHeaders": [{ "name": "X", "value": "y" }] } }, "initialDelaySeconds": 2, "timeoutSeconds": 0.5, "successThreshold": 2, "killOnReadinessFailure": true } }),
        json!({ "command": ["x"], "readiness": { "probe": { "exec": { "command": ["pg_isready"] } } } }),
    ];
    for case in &valid {
        assert_eq!(schema_errors(&schema, case), Vec::<String>::new(), "schema rejects {case}");
        assert!(LaunchArguments::from_json(case).is_ok(), "adapter rejects {case}: {:?}", LaunchArguments::from_json(case).err());
    }
    let invalid = [
        json!({}),
        json!({ "command": 1 }),
        json!({ "command": ["x"], "up": "yes" }),
        json!({ "command": ["x"], "env": { "A": 1 } }),
        json!({ "command": ["x"], "stopSignal": "SIGNOPE" }),
        json!({ "command": ["x"], "stopSignal": 0 }),
        json!({ "command": ["x"], "stopTimeoutSeconds": -1 }),
        json!({ "command": ["x"], "args": "a b", "program": "y" }),
        json!({ "command": ["x"], "readiness": { "probe": { "tcpSocket": {} } } }),
        json!({ "command": ["x"], "readiness": { "probe": { "tcpSocket": { "port": 1 }, "exec": { "command": ["a"] } } } }),
        json!({ "command": ["x"], "readiness": { "probe": { "httpGet": { "port": 70000 } } } }),
        json!({ "command": ["x"], "readiness": { "probe": { "httpGet": { "port": 80, "path": "health" } } } }),
        json!({ "command": ["x"], "readiness": { "failureThreshold": 0 } }),
        json!({ "command": ["x"], "readiness": { "action": "explode" } }),
        json!({ "command": ["x"], "readiness": { "periodSeconds": 0 } }),
    ];
    for case in &invalid {
        assert!(!schema_errors(&schema, case).is_empty(), "schema accepts {case}");
        assert!(LaunchArguments::from_json(case).is_err(), "adapter accepts {case}");
    }
}

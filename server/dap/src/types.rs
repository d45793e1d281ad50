//! The Debug Adapter Protocol messages devc speaks: the envelope (requests in,
//! responses and events out), capabilities, and the bodies of the events we
//! send. Launch arguments live in `launch.rs`.

use serde::Deserialize;
use serde_json::Value;

/// A request from the client. `arguments` stays raw: each handler reads its own.
#[derive(Clone, Debug, Deserialize)]
pub struct Request {
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub command: String,
    #[serde(default)]
    pub arguments: Value,
}

/// A message to the client, before the writer numbers it (`seq`).
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    Response { request_seq: i64, command: String, result: Result<Value, String> },
    Event { event: String, body: Value },
}

impl Outgoing {
    pub fn ok(request: &Request, body: Value) -> Outgoing {
        Outgoing::Response { request_seq: request.seq, command: request.command.clone(), result: Ok(body) }
    }

    pub fn error(request: &Request, message: impl Into<String>) -> Outgoing {
        Outgoing::Response { request_seq: request.seq, command: request.command.clone(), result: Err(message.into()) }
    }

    pub fn event(event: &str, body: Value) -> Outgoing {
        Outgoing::Event { event: event.to_string(), body }
    }

    /// The wire form, numbered `seq`.
    pub fn to_json(&self, seq: i64) -> Value {
        match self {
            Outgoing::Response { request_seq, command, result: Ok(body) } => {
                let mut v = serde_json::json!({ "seq": seq, "type": "response", "request_seq": request_seq, "success": true, "command": command });
                if !body.is_null() {
                    v["body"] = body.clone();
                }
                v
            }
            Outgoing::Response { request_seq, command, result: Err(message) } => serde_json::json!({
                "seq": seq, "type": "response", "request_seq": request_seq, "success": false, "command": command,
                "message": message, "body": { "error": { "id": 1, "format": message, "showUser": true } }
            }),
            Outgoing::Event { event, body } => {
                let mut v = serde_json::json!({ "seq": seq, "type": "event", "event": event });
                if !body.is_null() {
                    v["body"] = body.clone();
                }
                v
            }
        }
    }
}

/// What the client told us at `initialize` (only what we use).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCapabilities {
    #[serde(rename = "clientID", default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub supports_progress_reporting: bool,
}

/// The adapter's capabilities: no debugging features, but lifecycle control.
pub fn capabilities() -> Value {
    serde_json::json!({
        "supportsConfigurationDoneRequest": true,
        "supportsTerminateRequest": true,
        "supportTerminateDebuggee": true,
        "supportsCancelRequest": true,
        "supportsRestartRequest": true,
        "supportsExceptionInfoRequest": false,
        "exceptionBreakpointFilters": [],
    })
}

/// `output` event body.
pub fn output(category: &str, text: &str) -> Value {
    serde_json::json!({ "category": category, "output": text })
}

//! End-to-end tests of `devc lsp` over real stdio against the built binary: a
//! small `Content-Length` client drives initialize → didOpen →
//! publishDiagnostics → completion → hover → codeAction → shutdown/exit, in
//! UTF-16 and in UTF-8, and checks malformed JSON-RPC gets error responses
//! while the server keeps running. Catches stdout pollution (every byte on
//! stdout must be a framed message) and exit-code bugs.

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

mod common;

use common::stdio::Framed;

struct Lsp {
    io: Framed,
    /// Notifications seen while waiting for responses.
    pending: Vec<Value>,
    next_id: i64,
    stderr: Arc<Mutex<String>>,
}

impl Lsp {
    fn start() -> Lsp {
        Lsp::start_with(&[])
    }

    fn start_with(env: &[(&str, &Path)]) -> Lsp {
        let io = Framed::spawn(
            Command::new(env!("CARGO_BIN_EXE_devc"))
                .args(["lsp", "--stdio"])
                .env("DEVC_LOG", "devc_lsp=debug")
                .envs(env.iter().map(|(k, v)| (*k, *v))),
        );
        let stderr = io.stderr.clone();
        Lsp { io, pending: Vec::new(), next_id: 0, stderr }
    }

    fn send_raw(&mut self, body: &[u8]) {
        self.io.send_raw(body);
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send_raw(json!({ "jsonrpc": "2.0", "method": method, "params": params }).to_string().as_bytes());
    }

    fn recv(&mut self) -> Value {
        match self.io.rx.recv_timeout(TIMEOUT) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => panic!("{e}\nstderr:\n{}", self.stderr.lock().unwrap()),
            Err(_) => panic!("no message within {TIMEOUT:?}\nstderr:\n{}", self.stderr.lock().unwrap()),
        }
    }

    /// The next response (not a notification), whatever its id.
    fn response(&mut self) -> Value {
        loop {
            let v = self.recv();
            if v.get("method").is_some() {
                self.pending.push(v);
            } else {
                return v;
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send_raw(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string().as_bytes());
        let res = self.response();
        assert_eq!(res["id"], json!(id), "{res}");
        res
    }

    fn notification(&mut self, method: &str, accept: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(|n| n["method"] == method && accept(&n["params"])) {
            return self.pending.remove(i)["params"].take();
        }
        loop {
            let v = self.recv();
            if v["method"] == method && accept(&v["params"]) {
                return v["params"].clone();
            }
            self.pending.push(v);
        }
    }

    fn wait(mut self) -> ExitStatus {
        drop(self.io.stdin.take());
        let start = Instant::now();
        loop {
            if let Some(status) = self.io.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > TIMEOUT {
                let _ = self.io.child.kill();
                panic!("devc lsp did not exit\nstderr:\n{}", self.stderr.lock().unwrap());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Line 2 has an emoji and an accented letter before the unknown property;
/// line 3 misses a comma; line 4 has an invalid enum value.
const BROKEN: &str = "// 🐳 容器 config\n{\n  \"name\": \"🐳 dév\", \"remoteuser\": \"${localEnv:HOME}\",\n  \"image\": \"alpine\" \"init\": true,\n  \"waitFor\": \"\"\n}\n";

/// Columns of the findings in each encoding: `(line, start, end)`.
struct Columns {
    remoteuser: (u32, u32, u32),
    home_var: (u32, u32, u32),
}

const UTF16: Columns = Columns { remoteuser: (2, 20, 32), home_var: (2, 35, 51) };
const UTF8: Columns = Columns { remoteuser: (2, 23, 35), home_var: (2, 38, 54) };

fn range(line: u32, start: u32, end: u32) -> Value {
    json!({ "start": { "line": line, "character": start }, "end": { "line": line, "character": end } })
}

fn session(offered: &[&str], expect: &str, cols: Columns) {
    let dir = tempfile::tempdir().unwrap();
    let dc = dir.path().join(".devcontainer");
    std::fs::create_dir(&dc).unwrap();
    let config = dc.join("devcontainer.json");
    std::fs::write(&config, BROKEN).unwrap();
    let uri = file_uri(&config);

    let mut lsp = Lsp::start();
    let init = lsp.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": file_uri(dir.path()),
            "capabilities": {
                "general": { "positionEncodings": offered },
                "textDocument": {
                    "completion": { "completionItem": { "snippetSupport": true } },
                    "hover": { "contentFormat": ["markdown"] }
                }
            }
        }),
    );
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["positionEncoding"], json!(expect), "{init}");
    assert_eq!(caps["textDocumentSync"]["change"], json!(2), "incremental sync");
    assert_eq!(init["result"]["serverInfo"]["name"], json!("devc"));
    lsp.notify("initialized", json!({}));

    lsp.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "jsonc", "version": 1, "text": BROKEN } }));
    let published = lsp.notification("textDocument/publishDiagnostics", |p| p["uri"] == json!(uri));
    assert_eq!(published["version"], json!(1));
    let diags = published["diagnostics"].as_array().unwrap();
    let got: Vec<(Value, &str, i64)> =
        diags.iter().map(|d| (d["range"].clone(), d["code"].as_str().unwrap(), d["severity"].as_i64().unwrap())).collect();
    let (l, s, e) = cols.remoteuser;
    assert_eq!(
        got,
        vec![
            (range(l, s, e), "unknown-property", 2),
            (range(3, 20, 26), "syntax", 1),
            (range(4, 13, 15), "schema", 1),
        ],
        "{published}"
    );
    let unknown = diags[0].clone();
    assert!(unknown["message"].as_str().unwrap().contains("did you mean \"remoteUser\""));

    // Completion inside `"waitFor": ""`.
    let res = lsp.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 4, "character": 14 } }),
    );
    let labels: Vec<&str> = res["result"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"\"postCreateCommand\"") && labels.contains(&"\"onCreateCommand\""), "{labels:?}");

    // Hover on `${localEnv:HOME}`, after the emoji on the same line.
    let (l, s, e) = cols.home_var;
    let res = lsp.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": { "line": l, "character": s + 3 } }));
    assert_eq!(res["result"]["range"], range(l, s, e), "{res}");
    let text = res["result"]["contents"]["value"].as_str().unwrap();
    assert!(text.contains("`HOME`: **set**") || text.contains("`HOME`: **not set**"), "{text}");

    // Quick fixes for the unknown property.
    let (l, s, _) = cols.remoteuser;
    let res = lsp.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": range(l, s + 1, s + 1),
            "context": { "diagnostics": [unknown], "only": ["quickfix"] }
        }),
    );
    let actions = res["result"].as_array().unwrap();
    let titles: Vec<&str> = actions.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(titles, vec!["Change \"remoteuser\" to \"remoteUser\"", "Remove property \"remoteuser\""]);
    let rename = &actions[0];
    assert_eq!(rename["diagnostics"][0], unknown);
    let (l, s, e) = cols.remoteuser;
    assert_eq!(rename["edit"]["changes"][&uri], json!([{ "range": range(l, s, e), "newText": "\"remoteUser\"" }]));

    // An edit through didChange, then the diagnostics of the new version.
    lsp.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "range": range(l, s, e), "text": "\"remoteUser\"" }]
        }),
    );
    let published = lsp.notification("textDocument/publishDiagnostics", |p| p["version"] == json!(2));
    assert_eq!(published["diagnostics"].as_array().unwrap().len(), 2, "{published}");

    let res = lsp.request("shutdown", Value::Null);
    assert_eq!(res["result"], Value::Null);
    lsp.notify("exit", Value::Null);
    let status = lsp.wait();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn lsp_session_utf16() {
    session(&["utf-16"], "utf-16", UTF16);
}

#[test]
fn lsp_session_utf8() {
    session(&["utf-8", "utf-16"], "utf-8", UTF8);
}

#[test]
fn lsp_malformed_json_rpc_gets_errors_and_the_server_keeps_running() {
    let mut lsp = Lsp::start();
    lsp.send_raw(b"{ \"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ");
    let res = lsp.response();
    assert_eq!(res["error"]["code"], json!(-32700), "{res}");
    assert_eq!(res["id"], Value::Null);

    let init = lsp.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], json!("utf-16"));
    lsp.notify("initialized", json!({}));

    let res = lsp.request("devc/noSuchMethod", json!({}));
    assert_eq!(res["error"]["code"], json!(-32601), "{res}");
    lsp.send_raw(b"not json at all");
    assert_eq!(lsp.response()["error"]["code"], json!(-32700));
    lsp.send_raw(br#"{"jsonrpc":"2.0","id":"x"}"#);
    let res = lsp.response();
    assert_eq!((res["id"].clone(), res["error"]["code"].clone()), (json!("x"), json!(-32600)), "{res}");
    lsp.notify("devc/noSuchNotification", json!({}));

    // Still serving.
    let uri = "file:///nonexistent/.devcontainer.json";
    lsp.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "jsonc", "version": 1, "text": "{ \"image\": \"x\" }" } }));
    let res = lsp.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 4 } }));
    assert!(res["result"]["contents"]["value"].as_str().unwrap().contains("**image**"), "{res}");

    // `exit` without `shutdown` exits with 1, as the protocol asks.
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.wait().code(), Some(1));
}

#[test]
fn lsp_end_of_input_ends_the_server() {
    let mut lsp = Lsp::start();
    lsp.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(lsp.wait().code(), Some(1));
}

/// The editor's Up: code actions offer the container commands; executeCommand
/// runs the engine in-process with `$/progress` begin/report/end on the given
/// token; the container exists afterwards and the code lens says it runs.
/// Needs the real dockerd and the local test image (`.ci/run` provides both).
#[test]
fn lsp_execute_command_up_reports_progress_and_creates_the_container() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().canonicalize().unwrap();
    let dc = ws.join(".devcontainer");
    std::fs::create_dir(&dc).unwrap();
    let config = dc.join("devcontainer.json");
    std::fs::write(&config, "{ \"image\": \"devc-test-busybox:latest\", \"postCreateCommand\": \"echo hello-from-hook\" }\n").unwrap();
    let uri = file_uri(&config);
    let mut lsp = Lsp::start();
    lsp.request("initialize", json!({ "processId": null, "rootUri": file_uri(&ws), "capabilities": { "window": { "workDoneProgress": true } } }));
    lsp.notify("initialized", json!({}));
    lsp.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "jsonc", "version": 1, "text": std::fs::read_to_string(&config).unwrap() } }));

    let actions = lsp.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range(0, 0, 0), "context": { "diagnostics": [] } }),
    );
    let commands: Vec<String> = actions["result"].as_array().unwrap().iter().filter_map(|a| a["command"]["command"].as_str().map(str::to_string)).collect();
    for c in ["devcontainer.up", "devcontainer.rebuild", "devcontainer.rebuildNoCache", "devcontainer.stop", "devcontainer.down", "devcontainer.showLog"] {
        assert!(commands.iter().any(|x| x == c), "{c} offered: {commands:?}");
    }

    let res = lsp.request("workspace/executeCommand", json!({ "command": "devcontainer.up", "arguments": [uri], "workDoneToken": "up-1" }));
    let result = &res["result"];
    assert_eq!(result["outcome"], "success", "{res}\nstderr:\n{}", lsp.stderr.lock().unwrap());
    let id = result["containerId"].as_str().unwrap().to_string();
    let _cleanup = RemoveContainer(id.clone());
    let kinds: Vec<String> = lsp
        .pending
        .iter()
        .filter(|n| n["method"] == "$/progress" && n["params"]["token"] == "up-1")
        .map(|n| n["params"]["value"]["kind"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("begin"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "report"), "{kinds:?}");
    assert_eq!(kinds.last().map(String::as_str), Some("end"), "{kinds:?}");
    let logged = lsp.pending.iter().any(|n| n["method"] == "window/logMessage" && n["params"]["message"].as_str().is_some_and(|m| m.contains("hello-from-hook")));
    assert!(logged, "hook output reaches window/logMessage");
    let state = Command::new("docker").args(["inspect", "-f", "{{.State.Running}}", &id]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&state.stdout).trim(), "true");

    let lenses = lsp.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    let first = lenses["result"][0]["command"]["title"].as_str().unwrap_or_default().to_string();
    assert!(first.starts_with("Dev container: running since"), "{lenses}");

    let bad = lsp.request("workspace/executeCommand", json!({ "command": "devcontainer.nope", "arguments": [uri] }));
    assert!(bad["error"]["message"].as_str().unwrap_or_default().contains("unknown command"), "{bad}");

    lsp.request("shutdown", json!(null));
    lsp.notify("exit", json!(null));
    assert!(lsp.wait().success());
}

/// Cancelling a running command (`window/workDoneProgress/cancel` on its
/// token, the editor's cancel button) ends it: the request answers with an
/// error outcome saying so, the progress ends, and the server takes the next command.
#[test]
fn lsp_execute_command_can_be_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().canonicalize().unwrap();
    let config = ws.join(".devcontainer.json");
    std::fs::write(&config, "{ \"image\": \"devc-test-busybox:latest\", \"postCreateCommand\": \"echo slow-hook-started; sleep 60\" }\n").unwrap();
    let uri = file_uri(&config);
    let mut lsp = Lsp::start();
    lsp.request("initialize", json!({ "processId": null, "rootUri": file_uri(&ws), "capabilities": { "window": { "workDoneProgress": true } } }));
    lsp.notify("initialized", json!({}));

    lsp.next_id += 1;
    let up_id = lsp.next_id;
    let body = json!({ "jsonrpc": "2.0", "id": up_id, "method": "workspace/executeCommand", "params": { "command": "devcontainer.up", "arguments": [uri], "workDoneToken": "up-cancel" } });
    lsp.send_raw(body.to_string().as_bytes());
    // The hook is running once its first line reaches the log.
    lsp.notification("window/logMessage", |p| p["message"].as_str().is_some_and(|m| m.contains("slow-hook-started")));
    let cancelled_at = Instant::now();
    lsp.notify("window/workDoneProgress/cancel", json!({ "token": "up-cancel" }));
    let res = lsp.response();
    assert_eq!(res["id"], json!(up_id), "{res}");
    // Failures are results shaped like the CLI's (`outcome: error`), as for Up's other errors.
    assert_eq!(res["result"]["outcome"], "error", "{res}");
    assert!(res["result"]["message"].as_str().unwrap_or_default().contains("cancelled"), "{res}");
    assert!(cancelled_at.elapsed() < Duration::from_secs(30), "answered long after the cancel (the hook sleeps 60 s)");
    let end = lsp.notification("$/progress", |p| p["token"] == "up-cancel" && p["value"]["kind"] == "end");
    assert!(end["value"]["message"].as_str().unwrap_or_default().contains("cancelled"), "{end}");

    // The container exists (it was created before the hook ran); a second Up
    // (without the slow hook) is accepted: no command is left running.
    let ids = Command::new("docker").args(["ps", "-aq", "--filter", &format!("label=devcontainer.local_folder={}", ws.display())]).output().unwrap();
    let ids = String::from_utf8_lossy(&ids.stdout).trim().to_string();
    let _cleanup = ids.lines().map(|id| RemoveContainer(id.to_string())).collect::<Vec<_>>();
    assert_eq!(ids.lines().count(), 1, "one container for the workspace: {ids:?}");
    std::fs::write(&config, "{ \"image\": \"devc-test-busybox:latest\" }\n").unwrap();
    let again = lsp.request("workspace/executeCommand", json!({ "command": "devcontainer.up", "arguments": [uri], "workDoneToken": "up-again" }));
    assert_eq!(again["result"]["outcome"], "success", "{again}\nstderr:\n{}", lsp.stderr.lock().unwrap());
    let _cleanup_again = RemoveContainer(again["result"]["containerId"].as_str().unwrap_or_default().to_string());

    lsp.request("shutdown", json!(null));
    lsp.notify("exit", json!(null));
    assert!(lsp.wait().success());
}

struct RemoveContainer(String);

impl Drop for RemoveContainer {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

/// A Feature `devc up` cached earlier (here: put into the cache by the test)
/// is known to the server: completion offers its id, options and values,
/// hover shows it, diagnostics flag a disallowed value. Nothing is fetched:
/// the registry host does not exist.
#[test]
fn cached_feature_metadata_drives_completion_hover_and_diagnostics() {
    use devc_features::cache::{Cache, Kind};
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let meta = json!({
        "id": "tool", "version": "3.0.0", "name": "Tool", "description": "A cached tool.",
        "options": {"flavor": {"type": "string", "enum": ["mild", "hot"], "default": "mild", "description": "How hot."}}
    })
    .to_string();
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(meta.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(&mut h, "devcontainer-feature.json", meta.as_bytes()).unwrap();
    let digest = format!("sha256:{}", "7".repeat(64));
    cache.store(Kind::Oci, &digest, &tar.into_inner().unwrap(), None, "test").unwrap();
    let id = "registry.devc-test.invalid/features/tool:3";
    cache.remember(id, &digest);

    let dc = dir.path().join("ws/.devcontainer");
    std::fs::create_dir_all(&dc).unwrap();
    let config = dc.join("devcontainer.json");
    let text = format!("{{\n  \"image\": \"x\",\n  \"features\": {{ \"{id}\": {{ \"flavor\": \"cold\" }} }}\n}}\n");
    std::fs::write(&config, &text).unwrap();
    let uri = file_uri(&config);

    let mut lsp = Lsp::start_with(&[("DEVC_FEATURE_CACHE", &dir.path().join("cache"))]);
    lsp.request("initialize", json!({ "processId": null, "capabilities": { "textDocument": { "hover": { "contentFormat": ["markdown"] } } } }));
    lsp.notify("initialized", json!({}));
    lsp.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "jsonc", "version": 1, "text": text } }));
    let published = lsp.notification("textDocument/publishDiagnostics", |p| p["uri"] == json!(uri));
    let diags = published["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{published}");
    assert_eq!(diags[0]["code"], "feature");
    assert!(diags[0]["message"].as_str().unwrap().contains("option 'flavor': \"cold\" is not one of the allowed values: \"mild\", \"hot\""), "{published}");

    // Hover on the Feature id (line 2, inside the key).
    let col = text.lines().nth(2).unwrap().find(id).unwrap() as u32 + 3;
    let res = lsp.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": { "line": 2, "character": col } }));
    let hover = res["result"]["contents"]["value"].as_str().unwrap_or_default();
    assert!(hover.contains("**Tool**") && hover.contains("A cached tool.") && hover.contains("`flavor`"), "{res}");

    // Option values inside `"flavor": "cold"`.
    let col = text.lines().nth(2).unwrap().find("\"cold\"").unwrap() as u32 + 1;
    let res = lsp.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": { "line": 2, "character": col } }));
    let labels: Vec<&str> = res["result"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, vec!["\"mild\"", "\"hot\""], "{res}");

    // The id itself, in an empty features object.
    let empty = "{ \"image\": \"x\", \"features\": {  } }";
    lsp.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": empty }] }));
    let res = lsp.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 30 } }));
    let labels: Vec<&str> = res["result"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&id), "{labels:?}");

    lsp.request("shutdown", json!(null));
    lsp.notify("exit", json!(null));
    assert!(lsp.wait().success());
}

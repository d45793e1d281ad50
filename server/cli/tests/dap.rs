//! `devc dap` end to end: the built binary over stdio, the real dockerd, the
//! local test image (`.ci/run` provides both). Each test gets its own
//! workspace (so its own container) and removes what it created.

mod common;

use common::stdio::Framed;
use common::Workspace;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(120);
const IMAGE: &str = "devc-test-busybox:latest";

/// A DAP client over the adapter's stdio. Events seen while waiting for
/// something else are kept in `seen`, in arrival order.
struct Dap {
    io: Framed,
    seen: Vec<Value>,
    /// Every message but stdout/stderr output, for failure reports.
    log: Vec<Value>,
    seq: i64,
}

impl Dap {
    fn start(cwd: &Path) -> Dap {
        let io = Framed::spawn(Command::new(env!("CARGO_BIN_EXE_devc")).arg("dap").current_dir(cwd).env("DEVC_LOG", "devc_dap=debug"));
        Dap { io, seen: Vec::new(), log: Vec::new(), seq: 0 }
    }

    fn report(&self) -> String {
        let tail: Vec<String> = self.log.iter().rev().take(40).rev().map(|v| {
            let s = v.to_string();
            if s.len() > 300 { format!("{}…", &s[..300]) } else { s }
        }).collect();
        format!("last messages:\n{}\nstderr:\n{}", tail.join("\n"), self.io.stderr.lock().unwrap())
    }

    fn recv(&mut self) -> Value {
        match self.io.rx.recv_timeout(TIMEOUT) {
            Ok(Ok(v)) => {
                if v["event"] != "output" || v["body"]["category"] == "console" || v["body"]["category"] == "important" {
                    self.log.push(v.clone());
                }
                v
            }
            Ok(Err(e)) => panic!("{e}\n{}", self.report()),
            Err(_) => panic!("nothing from the adapter within {TIMEOUT:?}\n{}", self.report()),
        }
    }

    /// Sends a request; returns its seq.
    fn send(&mut self, command: &str, arguments: Value) -> i64 {
        self.seq += 1;
        let body = json!({ "seq": self.seq, "type": "request", "command": command, "arguments": arguments }).to_string();
        self.send_raw(body.as_bytes());
        self.seq
    }

    fn send_raw(&mut self, body: &[u8]) {
        self.io.send_raw(body);
    }

    /// The response to request `seq`.
    fn response(&mut self, seq: i64) -> Value {
        loop {
            let v = self.recv();
            if v["type"] == "response" && v["request_seq"] == seq {
                return v;
            }
            self.seen.push(v);
        }
    }

    fn request(&mut self, command: &str, arguments: Value) -> Value {
        let seq = self.send(command, arguments);
        self.response(seq)
    }

    /// The first event named `event` whose body passes `accept` (looking at
    /// what was already seen first; events before it stay in `seen`).
    fn event(&mut self, event: &str, accept: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.seen.iter().position(|v| v["type"] == "event" && v["event"] == event && accept(&v["body"])) {
            return self.seen.remove(i)["body"].take();
        }
        loop {
            let v = self.recv();
            if v["type"] == "event" && v["event"] == event && accept(&v["body"]) {
                return v["body"].clone();
            }
            self.seen.push(v);
        }
    }

    /// initialize (with progress support) → initialized → launch →
    /// configurationDone; returns the launch response.
    fn launch(&mut self, args: Value) -> Value {
        let init = self.request("initialize", json!({ "clientID": "devc-tests", "adapterID": "devcontainer", "supportsProgressReporting": true, "linesStartAt1": true }));
        assert_eq!(init["success"], true, "{init}");
        assert_eq!(init["body"]["supportsTerminateRequest"], true);
        let launch = self.send("launch", args);
        self.event("initialized", |_| true);
        let bp = self.request("setBreakpoints", json!({ "source": { "path": "/x" }, "breakpoints": [{ "line": 1 }] }));
        assert_eq!(bp["body"]["breakpoints"][0]["verified"], false, "{bp}");
        let done = self.request("configurationDone", json!({}));
        assert_eq!(done["success"], true);
        self.response(launch)
    }

    /// Text of the `output` events of `category` seen so far (and drops them).
    fn take_output(&mut self, category: &str) -> String {
        let mut text = String::new();
        self.seen.retain(|v| {
            if v["event"] == "output" && v["body"]["category"] == category {
                text.push_str(v["body"]["output"].as_str().unwrap_or_default());
                false
            } else {
                true
            }
        });
        text
    }

    fn close(mut self) -> ExitStatus {
        drop(self.io.stdin.take());
        let start = Instant::now();
        loop {
            if let Some(status) = self.io.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > TIMEOUT {
                let _ = self.io.child.kill();
                panic!("devc dap did not exit after stdin closed\n{}", self.report());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A workspace (common::Workspace: removes its containers when dropped) with
/// `config` and a server script.
fn workspace(config: &str) -> Workspace {
    let ws = Workspace::new("dap", config);
    ws.write("server.sh", SERVER);
    ws
}

const SERVER: &str = r#"#!/bin/sh
# prints, waits, announces, serves: what a dev server does
echo "starting $1"
sleep 0.3
mkdir -p /tmp/www && echo ok > /tmp/www/index.html
echo "listening on port 8080"
touch /tmp/ready-flag
exec httpd -f -p 8080 -h /tmp/www
"#;

fn image_workspace() -> Workspace {
    workspace(&format!("{{ \"image\": \"{IMAGE}\" }}\n"))
}

/// `ps` in the workspace's container, one line per process.
fn ps(ws: &Workspace) -> String {
    common::container_ps(ws.containers().first().expect("a container"))
}

fn launch_args(ws: &Workspace, extra: Value) -> Value {
    let mut args = json!({ "type": "devcontainer", "request": "launch", "name": "test", "workspaceFolder": ws.path });
    for (k, v) in extra.as_object().unwrap() {
        args[k] = v.clone();
    }
    args
}

fn server_command() -> Value {
    json!(["sh", "${containerWorkspaceFolder}/server.sh", "${devcontainerId}"])
}

/// Waits (bounded) until `ps` in the container no longer shows `needle`.
fn assert_gone(ws: &Workspace, needle: &str) {
    let start = Instant::now();
    loop {
        let ps = ps(ws);
        if !ps.contains(needle) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "still running in the container:\n{ps}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn dap_launch_streams_output_reports_ready_by_pattern_and_terminates() {
    let ws = image_workspace();
    let mut dap = Dap::start(&ws.path);
    let launched = dap.launch(launch_args(&ws, json!({ "command": server_command(), "readiness": { "pattern": "listening on port (\\d+)" } })));
    assert_eq!(launched["success"], true, "{launched}\n{}", dap.report());
    // Bringing the container up is reported as progress and console output.
    assert!(dap.seen.iter().any(|v| v["event"] == "progressStart" && v["body"]["progressId"] == "devc-up"), "{}", dap.report());
    assert!(dap.seen.iter().any(|v| v["event"] == "progressEnd" && v["body"]["progressId"] == "devc-up"), "{}", dap.report());

    let process = dap.event("process", |_| true);
    assert_eq!(process["isLocalProcess"], false);
    let pid = process["systemProcessId"].as_i64().expect("pid inside the container");
    assert!(process["name"].as_str().unwrap().contains("server.sh"), "{process}");

    let ready = dap.event("devcontainer/ready", |_| true);
    assert_eq!(ready["port"], 8080, "{ready}");
    assert_eq!(ready["uri"], "http://localhost:8080");
    assert!(ready["elapsedMs"].as_u64().unwrap() >= 300, "{ready}");
    dap.event("progressEnd", |b| b["progressId"] == "devc-ready");
    let stdout = dap.take_output("stdout");
    // In order, with the devcontainerId substituted into argv.
    let starting = stdout.find("starting ").expect("first line");
    assert!(!stdout.contains("${devcontainerId}"), "{stdout}");
    assert!(stdout[starting..].contains("listening on port 8080"), "{stdout}");
    dap.event("output", |b| b["category"] == "console" && b["output"].as_str().is_some_and(|o| o.contains("Ready: http://localhost:8080")));

    // The process the event named is the one serving.
    let ps = ps(&ws);
    assert!(ps.lines().any(|l| l.trim_start().starts_with(&format!("{pid} ")) && l.contains("httpd")), "pid {pid}:\n{ps}");

    let term = dap.request("terminate", json!({}));
    assert_eq!(term["success"], true);
    let exited = dap.event("exited", |_| true);
    assert!(exited["exitCode"].is_i64(), "{exited}");
    dap.event("terminated", |_| true);
    assert_gone(&ws, "httpd");
    let disc = dap.request("disconnect", json!({}));
    assert_eq!(disc["success"], true);
    assert!(dap.close().success());
}

#[test]
fn dap_readiness_by_tcp_http_and_exec_probes() {
    let ws = image_workspace();
    for (probe, uri_prefix) in [
        (json!({ "tcpSocket": { "port": 8080 } }), Some("tcp://")),
        (json!({ "httpGet": { "port": 8080, "path": "/index.html" } }), Some("http://")),
        (json!({ "exec": { "command": ["test", "-e", "/tmp/ready-flag"] } }), None),
    ] {
        let _ = Command::new("docker").args(["exec"]).args(ws.containers().first()).args(["rm", "-f", "/tmp/ready-flag"]).output();
        let mut dap = Dap::start(&ws.path);
        let readiness = json!({ "probe": probe, "periodSeconds": 0.2, "failureThreshold": 100 });
        let launched = dap.launch(launch_args(&ws, json!({ "command": server_command(), "readiness": readiness })));
        assert_eq!(launched["success"], true, "{launched}\n{}", dap.report());
        let ready = dap.event("devcontainer/ready", |_| true);
        match uri_prefix {
            Some(p) => assert!(ready["uri"].as_str().unwrap_or_default().starts_with(p) && ready["port"] == 8080, "{probe}: {ready}"),
            None => assert!(ready["uri"].is_null(), "{ready}"),
        }
        // Ready only once the server is there: after its announcement.
        assert!(dap.take_output("stdout").contains("listening on port 8080"), "{probe}\n{}", dap.report());
        dap.request("disconnect", json!({ "terminateDebuggee": true }));
        assert!(dap.close().success());
        assert_gone(&ws, "httpd");
    }
}

#[test]
fn dap_probe_failure_threshold_reports_and_kills() {
    let ws = image_workspace();
    let mut dap = Dap::start(&ws.path);
    let readiness = json!({ "probe": { "tcpSocket": { "port": 9 } }, "periodSeconds": 0.2, "timeoutSeconds": 0.5, "failureThreshold": 3, "killOnReadinessFailure": true });
    let launched = dap.launch(launch_args(&ws, json!({ "command": ["sleep", "300"], "readiness": readiness })));
    assert_eq!(launched["success"], true, "{launched}\n{}", dap.report());
    let important = dap.event("output", |b| b["category"] == "important");
    let text = important["output"].as_str().unwrap();
    assert!(text.contains("failed 3 times") && text.contains("killOnReadinessFailure"), "{text}");
    let updates = dap.seen.iter().filter(|v| v["event"] == "progressUpdate" && v["body"]["progressId"] == "devc-ready").count();
    assert!(updates >= 2, "progress on each failed attempt\n{}", dap.report());
    dap.event("exited", |_| true);
    dap.event("terminated", |_| true);
    assert!(!dap.seen.iter().any(|v| v["event"] == "devcontainer/ready"));
    assert_gone(&ws, "sleep 300");
    assert!(dap.close().success());
}

#[test]
fn dap_exit_code_propagates_and_errors_are_responses() {
    let ws = image_workspace();
    let mut dap = Dap::start(&ws.path);
    let launched = dap.launch(launch_args(&ws, json!({ "command": "echo bye; echo oops >&2; exit 7", "env": { "GREETING": "hi" } })));
    assert_eq!(launched["success"], true, "{launched}\n{}", dap.report());
    let exited = dap.event("exited", |_| true);
    assert_eq!(exited["exitCode"], 7, "{}", dap.report());
    dap.event("terminated", |_| true);
    assert_eq!(dap.take_output("stdout"), "bye\n");
    assert_eq!(dap.take_output("stderr"), "oops\n");

    // Malformed input and unknown requests do not end the session.
    dap.send_raw(b"{ not json");
    let unknown = dap.request("frobnicate", json!({}));
    assert_eq!(unknown["success"], false);
    assert!(unknown["message"].as_str().unwrap().contains("frobnicate"));
    let threads = dap.request("threads", json!({}));
    assert_eq!(threads["body"]["threads"][0]["id"], 1);
    // A host path inside the workspace as cwd (what Helix sends) runs in the
    // same folder in the container.
    std::fs::create_dir_all(ws.path.join("sub")).unwrap();
    let here = dap.request("launch", launch_args(&ws, json!({ "command": ["pwd"], "cwd": ws.path.join("sub"), "up": false })));
    assert_eq!(here["success"], true, "{here}");
    dap.event("terminated", |_| true);
    let name = ws.path.file_name().unwrap().to_string_lossy().to_string();
    assert_eq!(dap.take_output("stdout"), format!("/workspaces/{name}/sub\n"));
    // A second launch in the same session works once the first ended.
    let again = dap.request("launch", launch_args(&ws, json!({ "command": ["sh", "-c", "echo $GREETING-$0", "${containerWorkspaceFolderBasename}"], "env": { "GREETING": "hello" }, "up": false })));
    assert_eq!(again["success"], true, "{again}");
    dap.event("terminated", |_| true);
    assert_eq!(dap.take_output("stdout"), format!("hello-{name}\n"));
    // Bad arguments name the field.
    let bad = dap.request("launch", launch_args(&ws, json!({ "command": ["x"], "stopSignal": "SIGNOPE" })));
    assert_eq!(bad["success"], false);
    assert!(bad["message"].as_str().unwrap().contains("stopSignal"), "{bad}");
    assert!(dap.close().success());
}

#[test]
fn dap_closing_stdin_stops_the_process_and_exits() {
    let ws = image_workspace();
    let mut dap = Dap::start(&ws.path);
    // A process group: the shell and its children all go.
    let launched = dap.launch(launch_args(&ws, json!({ "command": ["sh", "-c", "sleep 301 & sleep 302 & wait"], "stopTimeoutSeconds": 2 })));
    assert_eq!(launched["success"], true, "{launched}\n{}", dap.report());
    dap.event("process", |_| true);
    assert!(dap.close().success());
    assert_gone(&ws, "sleep 30");
}

#[test]
fn dap_restart_replaces_the_process_in_the_same_container() {
    let ws = image_workspace();
    let mut dap = Dap::start(&ws.path);
    let launched = dap.launch(launch_args(&ws, json!({ "command": ["sh", "-c", "echo first; exec sleep 303"] })));
    assert_eq!(launched["success"], true, "{launched}\n{}", dap.report());
    let first = dap.event("process", |_| true);
    let containers = ws.containers();
    let restart = dap.request("restart", json!({ "arguments": launch_args(&ws, json!({ "command": ["sh", "-c", "echo second; exec sleep 304"] })) }));
    assert_eq!(restart["success"], true, "{restart}\n{}", dap.report());
    let second = dap.event("process", |_| true);
    assert_ne!(first["systemProcessId"], second["systemProcessId"]);
    assert!(!dap.seen.iter().any(|v| v["event"] == "terminated"), "restart does not end the session\n{}", dap.report());
    assert_eq!(ws.containers(), containers, "same container");
    assert_gone(&ws, "sleep 303");
    dap.request("disconnect", json!({}));
    assert!(dap.close().success());
    assert_gone(&ws, "sleep 304");
}

#[test]
fn dap_cancel_stops_a_launch_that_is_bringing_the_container_up() {
    let ws = workspace(&format!("{{ \"image\": \"{IMAGE}\", \"postCreateCommand\": \"echo slow-hook; sleep 60\" }}\n"));
    let mut dap = Dap::start(&ws.path);
    dap.request("initialize", json!({ "clientID": "devc-tests", "supportsProgressReporting": true }));
    let launch = dap.send("launch", launch_args(&ws, json!({ "command": ["true"] })));
    dap.event("output", |b| b["output"].as_str().is_some_and(|o| o.contains("slow-hook")));
    let started = Instant::now();
    let cancel = dap.request("cancel", json!({ "requestId": launch }));
    assert_eq!(cancel["success"], true);
    let res = dap.response(launch);
    assert_eq!(res["success"], false);
    assert_eq!(res["message"], "cancelled", "{res}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(dap.close().success());
}

/// Output arrives complete and in order, however much there is: 50 MB.
#[test]
fn dap_large_output_arrives_complete() {
    const LINE: &str = "devc-burst-0123456789abcdefghijklmnopqrstuvwxyz\n";
    const TOTAL: usize = 50 * 1024 * 1024;
    let ws = image_workspace();
    let mut dap = Dap::start(&ws.path);
    let command = json!(["sh", "-c", "yes \"$1\" | head -c \"$2\"", "burst", LINE.trim_end(), TOTAL.to_string()]);
    let launched = dap.launch(launch_args(&ws, json!({ "command": command })));
    assert_eq!(launched["success"], true, "{launched}\n{}", dap.report());
    let (mut received, mut mismatch) = (0usize, None);
    loop {
        let v = dap.recv();
        if v["event"] == "output" && v["body"]["category"] == "stdout" {
            for (i, b) in v["body"]["output"].as_str().unwrap().bytes().enumerate() {
                if mismatch.is_none() && b != LINE.as_bytes()[(received + i) % LINE.len()] {
                    mismatch = Some(received + i);
                }
            }
            received += v["body"]["output"].as_str().unwrap().len();
        } else if v["event"] == "exited" {
            assert_eq!(v["body"]["exitCode"], 0);
        } else if v["event"] == "terminated" {
            break;
        }
    }
    assert_eq!(received, TOTAL);
    assert_eq!(mismatch, None, "first differing byte");
    assert!(dap.close().success());
}

/// 100 launch → terminate cycles, each its own adapter session (as an editor
/// starting and stopping a run configuration): nothing is left behind.
#[test]
fn dap_hundred_launch_terminate_cycles_leave_nothing_behind() {
    let ws = image_workspace();
    // Create the container once.
    let mut dap = Dap::start(&ws.path);
    assert_eq!(dap.launch(launch_args(&ws, json!({ "command": ["true"] })))["success"], true);
    assert!(dap.close().success());
    let cycles: usize = std::env::var("DEVC_TEST_CYCLES").ok().and_then(|c| c.parse().ok()).unwrap_or(100);
    for i in 0..cycles {
        let t = Instant::now();
        let mut dap = Dap::start(&ws.path);
        let launched = dap.launch(launch_args(&ws, json!({ "command": ["sh", "-c", "sleep 305 & exec sleep 306"], "up": false, "stopTimeoutSeconds": 5 })));
        assert_eq!(launched["success"], true, "cycle {i}: {launched}\n{}", dap.report());
        dap.event("process", |_| true);
        let launched_at = t.elapsed();
        dap.request("terminate", json!({}));
        dap.event("terminated", |_| true);
        let terminated_at = t.elapsed();
        dap.request("disconnect", json!({}));
        assert!(dap.close().success(), "cycle {i}");
        eprintln!("cycle {i}: launched {launched_at:?}, terminated {terminated_at:?}, closed {:?}", t.elapsed());
    }
    assert_gone(&ws, "sleep 30");
}

/// A process that ignores the stop signal is killed after `stopTimeoutSeconds`;
/// `disconnect` with `terminateDebuggee: false` leaves the process running.
#[test]
fn dap_stop_escalates_to_sigkill_and_disconnect_can_leave_the_process() {
    let ws = image_workspace();
    let mut dap = Dap::start(&ws.path);
    let stubborn = "trap '' TERM; echo armed; while true; do sleep 1; done";
    let launched = dap.launch(launch_args(&ws, json!({ "command": ["sh", "-c", stubborn, "stubborn-307"], "stopTimeoutSeconds": 1 })));
    assert_eq!(launched["success"], true, "{launched}\n{}", dap.report());
    dap.event("output", |b| b["category"] == "stdout" && b["output"].as_str().is_some_and(|o| o.contains("armed")));
    let asked = Instant::now();
    dap.request("terminate", json!({}));
    dap.event("output", |b| b["category"] == "console" && b["output"].as_str().is_some_and(|o| o.contains("sending SIGKILL")));
    let exited = dap.event("exited", |_| true);
    assert_eq!(exited["exitCode"], 137, "killed by SIGKILL: {exited}");
    assert!(asked.elapsed() >= Duration::from_secs(1), "SIGKILL only after the timeout");
    dap.event("terminated", |_| true);
    assert!(dap.close().success());

    let mut dap = Dap::start(&ws.path);
    let launched = dap.launch(launch_args(&ws, json!({ "command": ["sleep", "308"], "up": false })));
    assert_eq!(launched["success"], true, "{launched}\n{}", dap.report());
    dap.event("process", |_| true);
    let disc = dap.request("disconnect", json!({ "terminateDebuggee": false }));
    assert_eq!(disc["success"], true);
    assert!(dap.close().success());
    assert!(ps(&ws).contains("sleep 308"), "left running as asked:\n{}", ps(&ws));
}

//! End-to-end tests of the built `devc` binary: exit codes, the one-line JSON
//! contract on stdout, and file:line:col diagnostics. Tests marked "docker" talk
//! to the real daemon that `.ci/run` starts (and the local test image).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn devc(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_devc")).args(args).current_dir(cwd).output().expect("run devc")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn stdout_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect()
}

fn one_json_line(o: &Output) -> Value {
    let lines = stdout_lines(o);
    assert_eq!(lines.len(), 1, "stdout must be one JSON line, got {lines:?}\nstderr: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&lines[0]).expect("stdout is JSON")
}

fn workspace(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".devcontainer")).unwrap();
    std::fs::write(dir.path().join(".devcontainer/devcontainer.json"), config).unwrap();
    dir
}

#[test]
fn validate_accepts_the_samples() {
    for sample in ["examples/image", "examples/dockerfile"] {
        let o = devc(&["validate", "--workspace-folder", sample], &repo());
        assert!(o.status.success(), "{sample}: {}", String::from_utf8_lossy(&o.stdout));
        assert!(stdout_lines(&o).is_empty(), "{sample}: {:?}", stdout_lines(&o));
    }
}

#[test]
fn validate_reports_positions_and_fails_on_errors() {
    let ws = workspace("{\n  \"image\": \"alpine\",\n  \"forwardPorts\": [true],\n  \"remoteuser\": \"dev\"\n}\n");
    let o = devc(&["validate"], ws.path());
    assert_eq!(o.status.code(), Some(1));
    let lines = stdout_lines(&o);
    assert_eq!(
        lines,
        vec![
            ".devcontainer/devcontainer.json:3:20: error: forwardPorts[0]: expected a port number or \"host:port\"".to_string(),
            ".devcontainer/devcontainer.json:4:3: warning: property \"remoteuser\" is not allowed here; did you mean \"remoteUser\"?".to_string(),
        ]
    );
}

#[test]
fn validate_json_format_has_ranges() {
    let ws = workspace("{ \"image\": 42 }");
    let o = devc(&["validate", "--format", "json"], ws.path());
    assert_eq!(o.status.code(), Some(1));
    let v = one_json_line(&o);
    assert_eq!(v[0]["severity"], "error");
    assert_eq!(v[0]["line"], 1);
    assert_eq!(v[0]["column"], 12);
    assert_eq!(v[0]["range"]["start"]["character"], 11);
    assert_eq!(v[0]["range"]["end"]["character"], 13);
}

#[test]
fn validate_warnings_only_exit_zero() {
    let ws = workspace("{ \"image\": \"a\", \"extensions\": [\"x.y\"] }");
    let o = devc(&["validate"], ws.path());
    assert!(o.status.success());
    assert!(stdout_lines(&o)[0].contains("warning: extensions: Use customizations.vscode.extensions"), "{:?}", stdout_lines(&o));
}

#[test]
fn read_configuration_matches_the_reference_shape() {
    let o = devc(&["read-configuration", "--workspace-folder", "examples/image"], &repo());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = one_json_line(&o);
    let root = repo();
    assert_eq!(v["configuration"]["image"], "devc-test-busybox:latest");
    assert_eq!(v["configuration"]["containerEnv"]["PROJECT_NAME"], "image");
    let config_path = root.join("examples/image/.devcontainer/devcontainer.json");
    assert_eq!(v["configuration"]["configFilePath"]["path"], config_path.to_str().unwrap());
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["configuration", "workspace"]);
    assert!(v["workspace"]["workspaceFolder"].as_str().unwrap().starts_with("/workspaces/"));
    assert!(v["workspace"]["workspaceMount"].as_str().unwrap().starts_with("type=bind,source="));
}

#[test]
fn read_configuration_errors_are_one_json_line_naming_the_position() {
    let ws = workspace("{\n  \"image\": \"a\"\n  \"name\": \"b\"\n}");
    let o = devc(&["read-configuration", "--workspace-folder", ws.path().to_str().unwrap()], ws.path());
    assert_eq!(o.status.code(), Some(1));
    let v = one_json_line(&o);
    assert_eq!(v["outcome"], "error");
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains("devcontainer.json:3:3: syntax error: expected comma"), "{msg}");
}

#[test]
fn missing_config_names_the_places_looked() {
    let dir = tempfile::tempdir().unwrap();
    let o = devc(&["read-configuration", "--workspace-folder", "."], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let msg = one_json_line(&o)["message"].as_str().unwrap().to_string();
    assert!(msg.contains("no devcontainer.json found") && msg.contains(".devcontainer.json") && msg.contains("--config"), "{msg}");
}

#[test]
fn json_logs_go_to_stderr_in_the_reference_shape() {
    let dir = tempfile::tempdir().unwrap();
    let o = devc(&["read-configuration", "--log-format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let first = String::from_utf8_lossy(&o.stderr).lines().next().unwrap_or_default().to_string();
    let log: Value = serde_json::from_str(&first).expect("stderr log line is JSON");
    assert_eq!(log["type"], "text");
    assert_eq!(log["level"], 5);
    assert!(log["timestamp"].is_u64());
}

#[test]
fn unknown_flags_are_rejected() {
    let o = devc(&["read-configuration", "--no-such-flag"], &repo());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--no-such-flag"));
}

fn docker(args: &[&str], cwd: &Path) {
    let o = Command::new("docker").args(args).current_dir(cwd).output().expect("docker CLI (run bash tests/docker-env.sh)");
    assert!(o.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// docker: merged configuration reads the base image's metadata label, for an
/// image config and for a Dockerfile config built FROM that image.
#[test]
fn merged_configuration_reads_image_metadata() {
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM devc-test-busybox:latest\nLABEL devcontainer.metadata='[{\"remoteUser\":\"dev\",\"postCreateCommand\":\"echo base\",\"capAdd\":[\"SYS_PTRACE\"]}]'\n",
    )
    .unwrap();
    docker(&["build", "-q", "-t", "devc-test-metadata:latest", "."], ctx.path());

    let ws = workspace(r#"{ "image": "devc-test-metadata:latest", "postCreateCommand": "echo mine", "capAdd": ["NET_ADMIN"] }"#);
    let o = devc(&["read-configuration", "--include-merged-configuration"], ws.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let merged = &one_json_line(&o)["mergedConfiguration"];
    assert_eq!(merged["remoteUser"], "dev");
    assert_eq!(merged["postCreateCommands"], serde_json::json!(["echo base", "echo mine"]));
    assert_eq!(merged["capAdd"], serde_json::json!(["SYS_PTRACE", "NET_ADMIN"]));

    let ws = workspace(r#"{ "build": { "dockerfile": "Dockerfile", "args": { "BASE": "devc-test-metadata:latest" } } }"#);
    std::fs::write(ws.path().join(".devcontainer/Dockerfile"), "ARG BASE=scratch\nFROM ${BASE} AS dev\nRUN true\n").unwrap();
    let o = devc(&["read-configuration", "--include-merged-configuration"], ws.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let merged = &one_json_line(&o)["mergedConfiguration"];
    assert_eq!(merged["postCreateCommands"], serde_json::json!(["echo base"]));
}

/// docker: a missing image is reported on stderr and the config is still merged.
#[test]
fn merged_configuration_without_the_image_says_why() {
    let ws = workspace(r#"{ "image": "devc-test-does-not-exist:1", "remoteUser": "me" }"#);
    let o = devc(&["read-configuration", "--include-merged-configuration"], ws.path());
    assert!(o.status.success());
    assert_eq!(one_json_line(&o)["mergedConfiguration"]["remoteUser"], "me");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("devc-test-does-not-exist:1") && stderr.contains("not found locally"), "{stderr}");
}

//! Helpers for the end-to-end tests that run the built `devc` binary against the
//! real Docker daemon (started by `.ci/run` / `bash tests/docker-env.sh`) and the
//! local image `devc-test-busybox:latest` (`bash tests/images/build.sh`).
//!
//! Every test owns its state: a [`Workspace`] in its own temp folder (so its id
//! labels are unique) whose `Drop` removes the workspace's containers and the
//! images devc built for it, and [`TestImage`]s with unique tags removed on
//! `Drop`. Both run on panic too, so a failing test leaves nothing behind.
//! The docker CLI is only used to set up and inspect; the code under test is devc.

#![allow(dead_code)]

pub mod node;
pub mod stdio;

use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The local base image every test config starts from.
pub const BUSYBOX: &str = "devc-test-busybox:latest";

/// Any single command (devc or docker) that takes longer is killed and the test
/// fails: a hang must not wedge the whole suite. Generous: builds on 2 cores.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// A name no other test (or test run) uses: `devc-e2e-<what>-<pid>-<n>`.
pub fn unique(what: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("devc-e2e-{what}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)).to_lowercase()
}

// ---------------------------------------------------------------------------
// Running processes
// ---------------------------------------------------------------------------

/// A finished process.
#[derive(Debug)]
pub struct Run {
    pub what: String,
    /// `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Everything about the run, for assertion messages.
    pub fn ctx(&self) -> String {
        format!("{}\nexit code: {:?}\nstdout: {}\nstderr: {}", self.what, self.code, self.stdout_text(), self.stderr)
    }

    /// The one JSON line the engine commands print on stdout.
    pub fn json(&self) -> Value {
        let text = self.stdout_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "stdout must be exactly one JSON line\n{}", self.ctx());
        serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.ctx()))
    }

    /// The result line of a command that must succeed.
    pub fn success_json(&self) -> Value {
        assert_eq!(self.code, Some(0), "expected success\n{}", self.ctx());
        let v = self.json();
        assert_eq!(v["outcome"], "success", "{}", self.ctx());
        v
    }

    /// The error line of a command that must fail with exit code 1.
    pub fn error_json(&self) -> Value {
        assert_eq!(self.code, Some(1), "expected exit code 1\n{}", self.ctx());
        let v = self.json();
        assert_eq!(v["outcome"], "error", "{}", self.ctx());
        assert!(v["message"].is_string(), "error line has no message\n{}", self.ctx());
        v
    }
}

/// Runs `cmd` to the end (feeding `stdin`, capturing both outputs), killing it
/// after [`COMMAND_TIMEOUT`].
pub fn run(mut cmd: Command, stdin: Option<Vec<u8>>) -> Run {
    let what = format!("{cmd:?}");
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() }).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    finish(child, what, stdin, COMMAND_TIMEOUT)
}

/// Waits for a spawned child (its stdout/stderr piped) with a deadline.
pub fn finish(mut child: Child, what: String, stdin: Option<Vec<u8>>, timeout: Duration) -> Run {
    let writer = match (stdin, child.stdin.take()) {
        (Some(bytes), Some(mut pipe)) => Some(std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
            // Dropping the pipe closes it: the command sees EOF.
        })),
        _ => None,
    };
    let reader = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = child.stdout.take().map(|s| reader(Box::new(s)));
    let err = child.stderr.take().map(|s| reader(Box::new(s)));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stdout = out.map(|t| t.join().unwrap()).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err.map(|t| t.join().unwrap()).unwrap_or_default()).into_owned();
    let Some(status) = status else {
        panic!("{what} did not finish within {timeout:?}\nstdout: {}\nstderr: {stderr}", String::from_utf8_lossy(&stdout));
    };
    Run { what, code: status.code(), stdout, stderr }
}

pub fn devc_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_devc"))
}

/// The Linux implementation of the bridge ABI (`bridge/linux`), which cargo
/// builds next to the test binaries (devc's dev-dependency on it); or
/// DEVC_BRIDGE_PATH when set.
pub fn linux_bridge() -> PathBuf {
    if let Some(p) = std::env::var_os("DEVC_BRIDGE_PATH").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let deps = exe.parent().expect("deps folder");
    [deps, deps.parent().unwrap_or(deps)]
        .iter()
        .map(|d| d.join("libdevc_bridge_linux.so"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("libdevc_bridge_linux.so is not next to {}: build it with `cargo build -p devc-bridge-linux`", exe.display()))
}

// ---------------------------------------------------------------------------
// Docker, for setup and inspection only
// ---------------------------------------------------------------------------

pub fn docker(args: &[&str]) -> Run {
    let mut cmd = Command::new("docker");
    cmd.args(args);
    run(cmd, None)
}

/// A docker command that must succeed; its stdout, trimmed.
pub fn docker_ok(args: &[&str]) -> String {
    let r = docker(args);
    assert_eq!(r.code, Some(0), "docker failed\n{}", r.ctx());
    r.stdout_text().trim().to_string()
}

/// `docker inspect --format <format> <object>`.
pub fn inspect(object: &str, format: &str) -> String {
    docker_ok(&["inspect", "--format", format, object])
}

/// The container's labels as a JSON object.
pub fn container_labels(id: &str) -> Value {
    serde_json::from_str(&inspect(id, "{{json .Config.Labels}}")).expect("labels are JSON")
}

pub fn is_running(id: &str) -> bool {
    inspect(id, "{{.State.Running}}") == "true"
}

pub fn exists(object: &str) -> bool {
    docker(&["inspect", "--format", "{{.Id}}", object]).code == Some(0)
}

/// The processes of a container (busybox `ps`: `PID USER COMMAND`).
pub fn container_ps(id: &str) -> String {
    docker_ok(&["exec", id, "ps"])
}

/// An image built for one test from a Dockerfile given as text (no build
/// context), tagged uniquely and removed when dropped. Declare it before the
/// workspaces that use it, so their containers go first.
pub struct TestImage {
    pub tag: String,
}

impl TestImage {
    pub fn build(what: &str, dockerfile: &str) -> TestImage {
        let tag = format!("{}:latest", unique(what));
        let mut cmd = Command::new("docker");
        // The classic builder works with any daemon and never needs buildx.
        cmd.env("DOCKER_BUILDKIT", "0").args(["build", "--pull=false", "-q", "-t", &tag, "-"]);
        let r = run(cmd, Some(dockerfile.as_bytes().to_vec()));
        let image = TestImage { tag };
        assert_eq!(r.code, Some(0), "docker build of a test image failed\n{}", r.ctx());
        image
    }

    /// An image some other command (devc build) tags; only removed here.
    pub fn adopt(tag: String) -> TestImage {
        TestImage { tag }
    }
}

impl Drop for TestImage {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", &self.tag]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

// ---------------------------------------------------------------------------
// Workspaces
// ---------------------------------------------------------------------------

/// A workspace folder of its own with `.devcontainer/devcontainer.json`.
pub struct Workspace {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
    /// Flags every devc command of this workspace gets (e.g. `--runtime apple`).
    runtime_args: Vec<String>,
}

impl Workspace {
    pub fn new(what: &str, config: &str) -> Workspace {
        let dir = tempfile::Builder::new().prefix(&format!("devc-e2e-{what}-")).tempdir().expect("temp dir");
        let path = dir.path().canonicalize().unwrap();
        // tempdir() makes 0700 folders; a workspace is normally readable by the
        // container's non-root user (its working directory).
        set_mode(&path, 0o755);
        let ws = Workspace { path, _dir: dir, runtime_args: Vec::new() };
        ws.write(".devcontainer/devcontainer.json", config);
        ws
    }

    /// A workspace whose devcontainer.json is `config` serialized.
    pub fn with_json(what: &str, config: &Value) -> Workspace {
        Workspace::new(what, &serde_json::to_string_pretty(config).unwrap())
    }

    pub fn write(&self, rel: &str, content: &str) {
        let p = self.path.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn path_str(&self) -> &str {
        self.path.to_str().expect("utf-8 temp path")
    }

    pub fn basename(&self) -> String {
        self.path.file_name().unwrap().to_string_lossy().into_owned()
    }

    pub fn config_file(&self) -> String {
        self.path.join(".devcontainer/devcontainer.json").to_string_lossy().into_owned()
    }

    /// This workspace's commands run with `--runtime apple --bridge <the Linux
    /// bridge>`: Apple's backend code path over the bridge ABI, on dockerd.
    pub fn on_apple_bridge(mut self) -> Workspace {
        self.runtime_args = vec!["--runtime".into(), "apple".into(), "--bridge".into(), linux_bridge().display().to_string()];
        self
    }

    /// `devc <sub> --workspace-folder <ws> <runtime flags> <rest...>`, run in the workspace.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = devc_bin();
        cmd.current_dir(&self.path).arg(args[0]).arg("--workspace-folder").arg(&self.path);
        cmd.args(&self.runtime_args).args(&args[1..]);
        cmd
    }

    pub fn devc(&self, args: &[&str]) -> Run {
        run(self.command(args), None)
    }

    pub fn devc_stdin(&self, args: &[&str], stdin: Vec<u8>) -> Run {
        run(self.command(args), Some(stdin))
    }

    /// `devc up <extra...>`, which must succeed; its result line.
    pub fn up(&self, extra: &[&str]) -> Value {
        let mut args = vec!["up"];
        args.extend_from_slice(extra);
        let v = self.devc(&args).success_json();
        assert!(v["containerId"].as_str().is_some_and(|id| !id.is_empty()), "no containerId in {v}");
        v
    }

    /// `devc exec <cmd...>`.
    pub fn exec(&self, cmd: &[&str]) -> Run {
        let mut args = vec!["exec"];
        args.extend_from_slice(cmd);
        self.devc(&args)
    }

    /// `devc exec <cmd...>`, which must exit 0; its stdout.
    pub fn exec_ok(&self, cmd: &[&str]) -> String {
        let r = self.exec(cmd);
        assert_eq!(r.code, Some(0), "devc exec {cmd:?} failed\n{}", r.ctx());
        r.stdout_text()
    }

    /// The value of `name` in the environment `devc exec` gives a command, byte
    /// for byte (`None` when unset). The test image's busybox has no `printenv`;
    /// `sh` reads the variable from its environment and prints it unchanged.
    pub fn getenv(&self, name: &str) -> Option<String> {
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "variable name {name:?}");
        let script = format!("if [ -n \"${{{name}+set}}\" ]; then printf '%s' \"${name}\"; else exit 7; fi");
        let r = self.exec(&["sh", "-c", &script]);
        match r.code {
            Some(0) => Some(r.stdout_text()),
            Some(7) => None,
            _ => panic!("devc exec printing {name} failed\n{}", r.ctx()),
        }
    }

    pub fn label_filter(&self) -> String {
        format!("label=devcontainer.local_folder={}", self.path_str())
    }

    /// Ids of all containers (running or not) carrying this workspace's label.
    pub fn containers(&self) -> Vec<String> {
        docker_ok(&["ps", "-aq", "--no-trunc", "--filter", &self.label_filter()]).lines().map(str::to_string).collect()
    }

    /// The prefix of the images devc names after this folder (`vsc-<folder>-<hash>`
    /// and its `-uid` variant), as the reference names them.
    fn image_prefix(&self) -> String {
        let base: String = self.basename().to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')).collect();
        format!("vsc-{base}-")
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let quiet = |args: &[&str]| Command::new("docker").args(args).stderr(Stdio::null()).output().ok();
        if let Some(o) = quiet(&["ps", "-aq", "--no-trunc", "--filter", &self.label_filter()]) {
            let ids: Vec<String> = String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect();
            if !ids.is_empty() {
                let mut args = vec!["rm", "-f", "-v"];
                args.extend(ids.iter().map(String::as_str));
                quiet(&args);
            }
        }
        let prefix = self.image_prefix();
        if let Some(o) = quiet(&["images", "--format", "{{.Repository}}:{{.Tag}}"]) {
            for image in String::from_utf8_lossy(&o.stdout).lines().filter(|i| i.starts_with(&prefix)) {
                quiet(&["rmi", "-f", image]);
            }
        }
    }
}

#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Polls `cond` until it holds or `limit` passes (waiting for something to
/// happen, never a timing assertion).
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

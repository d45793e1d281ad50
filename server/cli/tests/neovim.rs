//! The Neovim plugin (editors/neovim) in a real Neovim: `nvim --headless`
//! (Debian's 0.7.2 in CI; `.ci/run` installs it) loads the plugin from the
//! repository, `require("devc").setup({ devc = <built binary> })`, and
//! tests/neovim/driver.lua opens a broken devcontainer.json and records what the
//! editor got: diagnostics (byte columns after the client's UTF-16 conversion),
//! hover, the fix clearing them, :DevcUp bringing the container up on the real
//! dockerd, :DevcExec running in it, and the nvim-dap registration. Neovim's exit
//! code says whether every step completed.
//!
//! nvim-dap itself cannot be installed here: tests/neovim/stub/lua/dap.lua holds
//! its public tables (doc/dap.txt), the registered adapter must have nvim-dap's
//! `executable` shape, the configurations must satisfy
//! schemas/dap-launch.schema.json and the adapter, and the registered adapter
//! command is then spoken to over DAP with a plugin configuration.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_devc");
const IMAGE: &str = "devc-test-busybox:latest";
/// The whole editor session: bringing a container up is part of it.
const NVIM_TIMEOUT: Duration = Duration::from_secs(420);
const DAP_TIMEOUT: Duration = Duration::from_secs(120);

/// Line 2 has an emoji and an accented letter before the unknown property
/// (so LSP's UTF-16 columns differ from Neovim's byte columns); line 3 misses
/// a comma; line 4 has an invalid enum value. Same text as tests/lsp.rs.
const BROKEN: &str = "// 🐳 容器 config\n{\n  \"name\": \"🐳 dév\", \"remoteuser\": \"${localEnv:HOME}\",\n  \"image\": \"alpine\" \"init\": true,\n  \"waitFor\": \"\"\n}\n";

const DAP_PROMPT_COMMAND: &str = "Command to run in the dev container: ";
const DAP_PROMPT_PATTERN: &str = "Ready when the output matches: ";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/neovim")
}

/// `nvim`, which must be there (and 0.7 or newer): the test must not pass by
/// not running.
fn nvim() -> PathBuf {
    let out = Command::new("nvim").arg("--version").output().unwrap_or_else(|e| {
        panic!("cannot run nvim ({e}): install Neovim 0.7+ (Debian: apt-get install -y neovim; bash tests/docker-env.sh does it)")
    });
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or_default();
    let version = first.trim_start_matches("NVIM v");
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    assert!((major, minor) >= (0, 7), "the plugin needs Neovim 0.7 or newer, found {first:?}");
    PathBuf::from("nvim")
}

/// A workspace folder with `.devcontainer/devcontainer.json`; its containers
/// (found by devc's `devcontainer.local_folder` label) go when it is dropped.
struct Workspace {
    _dir: tempfile::TempDir,
    path: PathBuf,
    config: PathBuf,
}

impl Workspace {
    fn new(config_text: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws");
        std::fs::create_dir_all(path.join(".devcontainer")).unwrap();
        let config = path.join(".devcontainer/devcontainer.json");
        std::fs::write(&config, config_text).unwrap();
        Workspace { _dir: dir, path, config }
    }

    fn containers(&self) -> Vec<String> {
        let out = Command::new("docker")
            .args(["ps", "-aq", "--filter", &format!("label=devcontainer.local_folder={}", self.path.display())])
            .output()
            .expect("run docker");
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        for id in self.containers() {
            let _ = Command::new("docker").args(["rm", "-f", &id]).output();
        }
    }
}

/// What one Neovim session did.
struct Session {
    status: ExitStatus,
    report: Value,
    stderr: String,
}

impl Session {
    fn ctx(&self) -> String {
        format!("nvim exit: {:?}\nreport: {:#}\nstderr:\n{}", self.status.code(), self.report, self.stderr)
    }
}

/// Runs tests/neovim/driver.lua in `nvim --headless --clean` with the plugin
/// (and the nvim-dap stub when `stub_dap`) on the runtimepath.
fn run_nvim(ws: &Workspace, steps: &str, stub_dap: bool, env: &[(&str, String)]) -> Session {
    let nvim = nvim();
    let home = tempfile::tempdir().unwrap();
    let report_path = home.path().join("report.json");
    let rtp = |p: &Path| format!("lua vim.opt.runtimepath:prepend([[{}]])", p.display());
    let mut cmd = Command::new(nvim);
    cmd.args(["--headless", "--clean", "--cmd", &rtp(&repo().join("editors/neovim"))]);
    if stub_dap {
        cmd.args(["--cmd", &rtp(&tests_dir().join("stub"))]);
    }
    cmd.args(["-c", &format!("luafile {}", tests_dir().join("driver.lua").display())])
        .current_dir(&ws.path)
        // Neovim's own files (lsp.log, shada) stay in the temp folder.
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("DEVC_BIN", BIN)
        .env("DEVC_CONFIG", &ws.config)
        .env("DEVC_REPORT", &report_path)
        .env("DEVC_STEPS", steps)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start nvim");
    let stderr = drain(child.stderr.take().unwrap());
    let _stdout = drain(child.stdout.take().unwrap());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > NVIM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nvim did not finish within {NVIM_TIMEOUT:?}\nstderr:\n{}", stderr.recv().unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = stderr.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
    let report = match std::fs::read_to_string(&report_path) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| panic!("report is not JSON ({e}): {text}\nstderr:\n{stderr}")),
        Err(e) => panic!("the driver wrote no report ({e}); nvim exit {:?}\nstderr:\n{stderr}", status.code()),
    };
    Session { status, report, stderr }
}

/// Everything a pipe carries until it closes.
fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    rx
}

fn launch_schema() -> devc_schema::Schema {
    let text = std::fs::read_to_string(repo().join("schemas/dap-launch.schema.json")).unwrap();
    devc_schema::Schema::compile(&serde_json::from_str(&text).unwrap()).expect("the launch schema compiles")
}

/// A launch configuration the plugin made is valid for the schema editors
/// use and for the adapter, and uses only documented properties.
fn assert_valid_launch(schema: &devc_schema::Schema, config: &Value) {
    let text = config.to_string();
    let parsed = devc_jsonc::parse(&text);
    let problems: Vec<String> = schema.validate(parsed.root.as_ref().unwrap()).into_iter().map(|p| p.message).collect();
    assert!(problems.is_empty(), "schema rejects {config:#}: {problems:?}");
    if let Err(e) = devc_dap::launch::LaunchArguments::from_json(config) {
        panic!("devc dap rejects {config:#}: {e}");
    }
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(repo().join("schemas/dap-launch.schema.json")).unwrap()).unwrap();
    for key in config.as_object().unwrap().keys() {
        assert!(doc["properties"].get(key).is_some(), "`{key}` is not a launch property of the schema: {config:#}");
    }
}

#[test]
fn neovim_plugin_diagnostics_hover_up_exec_and_dap() {
    let ws = Workspace::new(BROKEN);
    let fixed = format!("// fixed in Neovim\n{{\n  \"image\": \"{IMAGE}\"\n}}");
    let inputs = json!({ DAP_PROMPT_COMMAND: "echo devc-nvim-dap-ok", DAP_PROMPT_PATTERN: "devc-nvim-dap-(ok)" });
    let s = run_nvim(
        &ws,
        "diagnostics,hover,fix,up,exec,dap",
        true,
        &[
            // `"image"` on line 4 (1-based), byte column 3 (inside the key).
            ("DEVC_HOVER", "4,3".to_string()),
            ("DEVC_FIXED", fixed),
            ("DEVC_EXEC", "cat /etc/hostname".to_string()),
            ("DEVC_INPUTS", inputs.to_string()),
        ],
    );
    let r = &s.report;
    assert_eq!(s.status.code(), Some(0), "{}", s.ctx());
    assert!(r.get("error").is_none(), "{}", s.ctx());
    assert_eq!(r["steps"], json!(["diagnostics", "hover", "fix", "up", "exec", "dap"]), "{}", s.ctx());
    assert_eq!(r["filetype"], "jsonc", "devcontainer.json is jsonc\n{}", s.ctx());
    assert_eq!(r["root_dir"], json!(ws.path.display().to_string()), "the client's root is the workspace folder\n{}", s.ctx());

    // Diagnostics where the server put them, in Neovim's byte columns: the
    // unknown property comes after "🐳 dév" (UTF-16 20..32 = bytes 23..35).
    let got: Vec<Value> = r["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("no diagnostics\n{}", s.ctx()))
        .iter()
        .map(|d| json!([d["lnum"], d["col"], d["end_lnum"], d["end_col"], d["severity"], d["code"]]))
        .collect();
    assert_eq!(
        got,
        vec![json!([2, 23, 2, 35, 2, "unknown-property"]), json!([3, 20, 3, 26, 1, "syntax"]), json!([4, 13, 4, 15, 1, "schema"])],
        "{}",
        s.ctx()
    );
    let unknown = r["diagnostics"][0]["message"].as_str().unwrap_or_default();
    assert!(unknown.contains("did you mean \"remoteUser\""), "{unknown}");

    // Hover on "image": the property's documentation, for the key's range.
    let hover = r["hover"].as_str().unwrap_or_default();
    assert!(hover.contains("image") && hover.to_lowercase().contains("container"), "hover: {hover}\n{}", s.ctx());
    assert_eq!(r["hover_range"]["start"], json!({ "line": 3, "character": 2 }), "{}", s.ctx());
    assert_eq!(r["diagnostics_after_fix"], 0);

    // :DevcUp: the container runs, progress was shown, the result notified.
    let up = &r["up"]["result"];
    assert_eq!(up["outcome"], "success", "{}", s.ctx());
    let id = up["containerId"].as_str().expect("containerId").to_string();
    assert_eq!(r["up"]["config"], json!(ws.config.display().to_string()));
    assert_eq!(ws.containers(), vec![id[..12].to_string()], "one container for the workspace");
    let state = Command::new("docker").args(["inspect", "-f", "{{.State.Running}}", &id]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&state.stdout).trim(), "true", "the container is running");
    let echoes: Vec<&str> = r["echoes"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(echoes.iter().any(|e| e.starts_with("devc: Dev container: Up")), "progress begin shown: {echoes:?}");
    assert!(echoes.iter().any(|e| e.starts_with("devc: Dev container: Up: ") && !e.ends_with(": done")), "a progress step shown: {echoes:?}");
    assert!(echoes.contains(&"devc: Dev container: Up: done"), "progress end shown: {echoes:?}");
    let notes: Vec<&str> = r["notifications"].as_array().unwrap().iter().filter_map(|n| n["message"].as_str()).collect();
    assert!(notes.contains(&format!("devc: Up: done (container {})", &id[..12]).as_str()), "{notes:?}");

    // :DevcExec ran in that container (its hostname is the short id).
    assert_eq!(r["exec"]["code"], 0, "{}", s.ctx());
    let lines: Vec<&str> = r["exec"]["lines"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(lines.iter().any(|l| l.trim() == &id[..12]), "terminal shows the container's hostname {}: {lines:?}", &id[..12]);

    // nvim-dap: the adapter has nvim-dap's `executable` shape.
    let dap = &r["dap"];
    assert_eq!(dap["adapters"], json!({ "devcontainer": { "type": "executable", "command": BIN, "args": ["dap"] } }), "{}", s.ctx());
    // devc dap's `devcontainer/ready` event has a listener that tells the user.
    assert_eq!(dap["ready_listeners"], json!(["devc"]), "{}", s.ctx());
    assert!(notes.contains(&"devc: ready: http://localhost:3000"), "{notes:?}");
    let providers: Vec<&str> = r["dap_providers"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(providers.contains(&"devc") && providers.contains(&"dap.global"), "{providers:?}");
    // Each configuration asks for its command; the second also for its pattern.
    let mut prompts: Vec<&str> = r["prompts"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    prompts.sort_unstable();
    assert_eq!(prompts, vec![DAP_PROMPT_COMMAND, DAP_PROMPT_COMMAND, DAP_PROMPT_PATTERN]);
    let configs = dap["configurations"].as_array().unwrap();
    assert_eq!(configs.len(), 2, "{dap:#}");
    let schema = launch_schema();
    for c in configs {
        assert_valid_launch(&schema, c);
        assert_eq!(c["type"], "devcontainer");
        assert_eq!(c["request"], "launch");
        assert_eq!(c["workspaceFolder"], json!(ws.path.display().to_string()));
        assert_eq!(c["config"], json!(ws.config.display().to_string()));
        assert_eq!(c["command"], "echo devc-nvim-dap-ok");
    }
    assert_eq!(configs[0]["name"], "Run in dev container");
    assert_eq!(configs[1]["readiness"], json!({ "pattern": "devc-nvim-dap-(ok)" }));

    // The registered adapter, started as nvim-dap would (command + args over
    // stdio, in Neovim's working directory), runs the plugin's configuration.
    let adapter = &dap["adapters"]["devcontainer"];
    let args: Vec<String> = adapter["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect();
    let events = dap_session(Path::new(adapter["command"].as_str().unwrap()), &args, &ws.path, &configs[1]);
    let output: String = events.iter().filter(|e| e["event"] == "output").filter_map(|e| e["body"]["output"].as_str()).collect();
    assert!(output.contains("devc-nvim-dap-ok"), "output: {output}");
    assert!(events.iter().any(|e| e["event"] == "devcontainer/ready"), "ready event: {events:#?}");
    let exited = events.iter().find(|e| e["event"] == "exited").unwrap_or_else(|| panic!("no exited event: {events:#?}"));
    assert_eq!(exited["body"]["exitCode"], 0);
}

/// nvim-dap from before `dap.providers`: the configurations go to
/// dap.configurations.<filetype> and name the workspace of the buffer the
/// session starts from.
#[test]
fn neovim_plugin_registers_dap_configurations_on_older_nvim_dap() {
    let ws = Workspace::new(&format!("{{ \"image\": \"{IMAGE}\" }}\n"));
    let inputs = json!({ DAP_PROMPT_COMMAND: "npm start" });
    let s = run_nvim(&ws, "dap", true, &[("DEVC_STUB_DAP_PROVIDERS", "0".to_string()), ("DEVC_INPUTS", inputs.to_string())]);
    assert_eq!(s.status.code(), Some(0), "{}", s.ctx());
    let dap = &s.report["dap"];
    assert_eq!(dap["adapters"]["devcontainer"], json!({ "type": "executable", "command": BIN, "args": ["dap"] }));
    assert_eq!(dap["configuration_filetypes"], json!(["jsonc"]), "{}", s.ctx());
    let configs = dap["configurations"].as_array().unwrap();
    assert_eq!(configs.len(), 2, "{dap:#}");
    let schema = launch_schema();
    for c in configs {
        assert_valid_launch(&schema, c);
        assert_eq!(c["workspaceFolder"], json!(ws.path.display().to_string()));
        assert_eq!(c["command"], "npm start");
    }
    // The default pattern (the prompt's default) is VS Code's serverReadyAction one.
    assert_eq!(configs[1]["readiness"]["pattern"], "listening on.* (https?://\\S+|[0-9]+)");
    assert!(ws.containers().is_empty(), "registering runs nothing");
}

/// A failing :DevcUp (the postCreateCommand exits 3) makes Neovim exit 1,
/// with the server's error as the command's result.
#[test]
fn neovim_plugin_up_failure_is_the_exit_code() {
    let ws = Workspace::new(&format!("{{ \"image\": \"{IMAGE}\", \"postCreateCommand\": \"echo nvim-hook-ran; exit 3\" }}\n"));
    let s = run_nvim(&ws, "up", false, &[]);
    assert_eq!(s.status.code(), Some(1), "{}", s.ctx());
    let result = &s.report["up"]["result"];
    assert_eq!(result["outcome"], "error", "{}", s.ctx());
    assert!(result["message"].as_str().unwrap_or_default().contains("postCreateCommand"), "{}", s.ctx());
    assert!(s.report["error"].as_str().unwrap_or_default().contains(":DevcUp failed"), "{}", s.ctx());
}

// ---------------------------------------------------------------------------
// A minimal DAP client, doing what nvim-dap does with an `executable` adapter.
// ---------------------------------------------------------------------------

struct Dap {
    child: Child,
    stdin: ChildStdin,
    rx: mpsc::Receiver<Value>,
    seq: i64,
    seen: Vec<Value>,
}

impl Dap {
    fn send(&mut self, command: &str, arguments: Value) -> i64 {
        self.seq += 1;
        let body = json!({ "seq": self.seq, "type": "request", "command": command, "arguments": arguments }).to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
        self.seq
    }

    fn next(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = self.rx.recv_timeout(left).unwrap_or_else(|_| panic!("no DAP message in time; seen: {:#?}", self.seen));
        self.seen.push(msg.clone());
        msg
    }

    fn response(&mut self, seq: i64, deadline: Instant) -> Value {
        if let Some(r) = self.seen.iter().find(|m| m["type"] == "response" && m["request_seq"] == seq) {
            return r.clone();
        }
        loop {
            let m = self.next(deadline);
            if m["type"] == "response" && m["request_seq"] == seq {
                return m;
            }
        }
    }
}

/// initialize → launch → (initialized) configurationDone → events until
/// `terminated`; returns every event.
fn dap_session(command: &Path, args: &[String], cwd: &Path, config: &Value) -> Vec<Value> {
    let mut child = Command::new(command)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the registered adapter");
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        loop {
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line == "\r\n" {
                    break;
                }
                if let Some(n) = line.strip_prefix("Content-Length: ") {
                    length = n.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            if r.read_exact(&mut body).is_err() {
                return;
            }
            match serde_json::from_slice(&body) {
                Ok(v) => {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
    let mut dap = Dap { child, stdin, rx, seq: 0, seen: Vec::new() };
    let deadline = Instant::now() + DAP_TIMEOUT;
    let init = dap.send("initialize", json!({ "clientID": "neovim", "adapterID": "devcontainer", "linesStartAt1": true, "columnsStartAt1": true, "pathFormat": "path" }));
    let res = dap.response(init, deadline);
    assert_eq!(res["success"], true, "{res}");
    let launch = dap.send("launch", config.clone());
    while !dap.seen.iter().any(|m| m["event"] == "initialized") {
        dap.next(deadline);
    }
    let done = dap.send("configurationDone", json!({}));
    assert_eq!(dap.response(done, deadline)["success"], true);
    let res = dap.response(launch, deadline);
    assert_eq!(res["success"], true, "launch: {res}");
    while !dap.seen.iter().any(|m| m["event"] == "terminated") {
        dap.next(deadline);
    }
    let disconnect = dap.send("disconnect", json!({}));
    let _ = dap.response(disconnect, deadline);
    drop(dap.stdin);
    let _ = dap.child.wait();
    dap.seen.into_iter().filter(|m| m["type"] == "event").collect()
}

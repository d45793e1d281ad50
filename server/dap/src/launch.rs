//! `launch` arguments (documented in schemas/dap-launch.schema.json): reading
//! them with errors that name the field, and turning them into an exec in the
//! workspace's dev container (brought up first when asked), with variables
//! substituted as in devcontainer.json.

use crate::readiness::Readiness;
use crate::transport::Outbound;
use devc_config::substitute::SubstitutionContext;
use devc_engine::load::{find_container, LoadOptions, Loaded};
use devc_engine::progress::{self, Event};
use devc_engine::up::{self, attach, user_env, UpOptions};
use devc_runtime::{ContainerDetails, ExecRequest, Runtime};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Launch arguments, as read (before substitution of container variables).
#[derive(Clone, Debug, PartialEq)]
pub struct LaunchArguments {
    /// Host folder of the workspace (default: the adapter's working directory).
    pub workspace_folder: Option<String>,
    /// devcontainer.json path (default: discovered in the workspace).
    pub config: Option<String>,
    /// Bring the container up first if needed.
    pub up: bool,
    /// The process: argv, or a string run with `/bin/sh -c` (as lifecycle commands are).
    pub command: Command,
    pub cwd: Option<String>,
    pub env: Vec<(String, String)>,
    pub user: Option<String>,
    pub readiness: Option<Readiness>,
    pub stop_signal: i32,
    pub stop_timeout: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Argv(Vec<String>),
    Shell(String),
}

impl Command {
    pub fn argv(&self) -> Vec<String> {
        match self {
            Command::Argv(a) => a.clone(),
            Command::Shell(s) => vec!["/bin/sh".into(), "-c".into(), s.clone()],
        }
    }
}

const SIGTERM: i32 = 15;

/// One launch argument, typed; the error names it and says what it should be.
fn field<T: DeserializeOwned>(args: &Map<String, Value>, key: &str, expected: &str) -> Result<Option<T>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|_| format!("launch argument `{key}`: expected {expected}, got {v}")),
    }
}

impl LaunchArguments {
    /// Reads the `launch` request's arguments (unknown keys, such as the
    /// client's `type`, `name` or `__sessionId`, are ignored).
    pub fn from_json(value: &Value) -> Result<LaunchArguments, String> {
        let empty = Map::new();
        let args = match value {
            Value::Object(m) => m,
            Value::Null => &empty,
            other => return Err(format!("launch arguments must be an object, got {other}")),
        };
        let command = match (args.get("command"), field::<String>(args, "program", "a string")?) {
            (Some(Value::String(s)), None) if !s.trim().is_empty() => Command::Shell(s.clone()),
            (Some(Value::Array(_)), None) => {
                let argv: Vec<String> = field(args, "command", "an array of strings")?.unwrap_or_default();
                if argv.is_empty() {
                    return Err("launch argument `command`: the array is empty; give the program and its arguments, e.g. [\"npm\", \"start\"]".into());
                }
                Command::Argv(argv)
            }
            (None | Some(Value::Null), Some(program)) => {
                let mut argv = vec![program];
                argv.extend(field::<Vec<String>>(args, "args", "an array of strings")?.unwrap_or_default());
                Command::Argv(argv)
            }
            (None | Some(Value::Null), None) => {
                return Err("launch arguments: nothing to run; set `command` (e.g. [\"npm\", \"start\"]) or `program` and `args`".into())
            }
            (Some(_), Some(_)) => return Err("launch arguments: give either `command` or `program` (with `args`), not both".into()),
            (Some(v), None) => return Err(format!("launch argument `command`: expected a non-empty string or an array of strings, got {v}")),
        };
        let env = field::<Map<String, Value>>(args, "env", "an object of strings")?.unwrap_or_default();
        let mut env_pairs = Vec::new();
        for (k, v) in env {
            match v {
                Value::String(s) => env_pairs.push((k, s)),
                other => return Err(format!("launch argument `env.{k}`: expected a string, got {other}")),
            }
        }
        let stop_signal = match args.get("stopSignal") {
            None | Some(Value::Null) => SIGTERM,
            Some(v) => parse_signal(v).ok_or_else(|| format!("launch argument `stopSignal`: expected a signal name such as \"SIGTERM\" or \"SIGINT\", or a number from 1 to 64, got {v}"))?,
        };
        let stop_timeout = match field::<f64>(args, "stopTimeoutSeconds", "a number of seconds")? {
            None => Duration::from_secs(10),
            Some(s) if (0.0..=3600.0).contains(&s) => Duration::from_secs_f64(s),
            Some(s) => return Err(format!("launch argument `stopTimeoutSeconds`: expected 0 to 3600 seconds, got {s}")),
        };
        let readiness = match args.get("readiness") {
            None | Some(Value::Null) => None,
            Some(v) => Some(Readiness::from_json(v)?),
        };
        Ok(LaunchArguments {
            workspace_folder: field(args, "workspaceFolder", "a folder path")?,
            config: field(args, "config", "a file path")?,
            up: field(args, "up", "true or false")?.unwrap_or(true),
            command,
            cwd: field(args, "cwd", "a folder path in the container")?,
            env: env_pairs,
            user: field(args, "user", "a user name or uid")?,
            readiness,
            stop_signal,
            stop_timeout,
        })
    }

    /// Display name of the process (`process` event).
    pub fn name(&self) -> String {
        match &self.command {
            Command::Argv(a) => a.join(" "),
            Command::Shell(s) => s.clone(),
        }
    }

    /// The host workspace folder: the argument (with `${localEnv:…}` and
    /// friends applied), relative to `base`, else `base`.
    fn workspace(&self, base: &Path) -> Result<PathBuf, String> {
        let Some(raw) = &self.workspace_folder else { return Ok(base.to_path_buf()) };
        let local = SubstitutionContext::with_process_env();
        let s = local.substitute_str(raw, &[devc_config::substitute::Phase::Local]).map_err(|e| format!("launch argument `workspaceFolder`: {e}"))?.value;
        Ok(base.join(s))
    }
}

/// `"SIGTERM"`, `"TERM"`, `"sigint"` or `15`.
pub fn parse_signal(v: &Value) -> Option<i32> {
    const NAMES: [(&str, i32); 11] =
        [("HUP", 1), ("INT", 2), ("QUIT", 3), ("ABRT", 6), ("KILL", 9), ("USR1", 10), ("USR2", 12), ("ALRM", 14), ("TERM", 15), ("CONT", 18), ("STOP", 19)];
    match v {
        Value::Number(n) => n.as_i64().filter(|n| (1..=64).contains(n)).map(|n| n as i32),
        Value::String(s) => {
            let upper = s.trim().to_ascii_uppercase();
            let name = upper.strip_prefix("SIG").unwrap_or(&upper);
            NAMES.iter().find(|(n, _)| *n == name).map(|(_, i)| *i)
        }
        _ => None,
    }
}

/// `cwd` as a folder in the container: a host path inside the workspace
/// (editors such as Helix send their own working directory) becomes the same
/// place under the container workspace folder; anything else is taken as a
/// container path already.
pub fn container_path(cwd: &str, host_workspace: &Path, container_workspace: Option<&str>) -> String {
    let Some(container_workspace) = container_workspace else { return cwd.to_string() };
    match Path::new(cwd).strip_prefix(host_workspace) {
        Ok(rest) if rest.as_os_str().is_empty() => container_workspace.to_string(),
        Ok(rest) => format!("{}/{}", container_workspace.trim_end_matches('/'), rest.to_string_lossy()),
        Err(_) => cwd.to_string(),
    }
}

/// Everything needed to start the process.
pub struct Prepared {
    pub request: ExecRequest,
    pub container: ContainerDetails,
    /// The user the process runs as (for exec probes).
    pub user: String,
    pub env: Vec<String>,
    pub readiness: Option<Readiness>,
}

/// Reports engine progress to the client while `f` runs: `progressStart` /
/// `progressUpdate` / `progressEnd` (when the client shows progress) and
/// each step and line of output as `console` output.
async fn with_progress<F: std::future::Future>(out: &Outbound, progress_ok: bool, id: &str, title: &str, f: F) -> F::Output {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let reporter: progress::Reporter = Arc::new(move |e| {
        let _ = tx.send(e);
    });
    if progress_ok {
        out.event("progressStart", json!({ "progressId": id, "title": title, "cancellable": true })).await;
    }
    out.output("console", &format!("{title}...\n")).await;
    let forward = async {
        while let Some(event) = rx.recv().await {
            match event {
                Event::StepStarted(step) => {
                    if progress_ok {
                        out.event("progressUpdate", json!({ "progressId": id, "message": step })).await;
                    }
                    out.output("console", &format!("[devc] {step}...\n")).await;
                }
                Event::StepFinished { name, succeeded } => {
                    out.output("console", &format!("[devc] {name}: {}\n", if succeeded { "done" } else { "failed" })).await;
                }
                Event::Line(line) => out.output("console", &format!("{line}\n")).await,
            }
        }
    };
    let (result, ()) = tokio::join!(progress::with_reporter(reporter, f), forward);
    result
}

/// Brings the container up (when asked), then resolves the process to start.
/// `progress_ok`: the client shows DAP progress events.
pub async fn prepare<R: Runtime>(rt: &R, args: &LaunchArguments, out: &Outbound, progress_ok: bool) -> Result<Prepared, String> {
    let base = std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let load = LoadOptions {
        workspace_folder: args.workspace(&base)?,
        config: args.config.as_ref().map(|c| base.join(c)),
        id_labels: Vec::new(),
        mount_workspace_git_root: true,
    };
    if args.up {
        let opts = UpOptions { load: load.clone(), ..UpOptions::default() };
        let result = with_progress(out, progress_ok, "devc-up", "Starting the dev container", up::up(rt, &opts)).await;
        let message = match &result {
            Ok(r) => format!("Dev container {} is up.", &r.container_id[..r.container_id.len().min(12)]),
            Err(e) => format!("Starting the dev container failed: {e}"),
        };
        if progress_ok {
            out.event("progressEnd", json!({ "progressId": "devc-up", "message": message })).await;
        }
        out.output("console", &format!("{message}\n")).await;
        result.map_err(|e| e.to_string())?;
    }
    let loaded = Loaded::load(&load).map_err(|e| e.to_string())?;
    let container = find_container(rt, &loaded).await.map_err(|e| e.to_string())?.ok_or_else(|| {
        format!("no dev container for {} (labels {}); set \"up\": true in the launch configuration or run `devc up`", load.workspace_folder.display(), loaded.describe_labels())
    })?;
    if !container.state.running {
        return Err(format!(
            "the dev container {} is not running ({}); set \"up\": true in the launch configuration or run `devc up`",
            &container.id[..container.id.len().min(12)],
            container.state.status
        ));
    }
    let attached = attach(&loaded, container).map_err(|e| e.to_string())?;
    let mut env = user_env(rt, &attached, &[], devc_config::model::UserEnvProbe::LoginInteractiveShell).await.map_err(|e| e.to_string())?;

    // Container variables (`${containerWorkspaceFolder}`, `${containerEnv:…}`, …) in every string we pass on.
    let raw = json!({
        "command": args.command.argv(),
        "cwd": args.cwd,
        "user": args.user,
        "env": args.env.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "probe": args.readiness.as_ref().and_then(|r| r.exec_command()),
    });
    let ctx = &attached.resolved.context;
    let substituted = ctx.substitute_all(&raw).map_err(|e| format!("launch arguments: {e}"))?.value;
    let strings = |v: &Value| -> Vec<String> { v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default() };
    let cmd = strings(&substituted["command"]);
    for pair in substituted["env"].as_array().into_iter().flatten() {
        let (k, v) = (pair[0].as_str().unwrap_or_default(), pair[1].as_str().unwrap_or_default());
        env.retain(|e| e.split_once('=').map(|(ek, _)| ek) != Some(k));
        env.push(format!("{k}={v}"));
    }
    let user = substituted["user"].as_str().map(str::to_string).unwrap_or_else(|| attached.remote_user.clone());
    let working_dir = match substituted["cwd"].as_str() {
        Some(cwd) => Some(container_path(cwd, &loaded.workspace_folder, attached.remote_workspace_folder.as_deref())),
        None => attached.remote_workspace_folder.clone(),
    };
    let mut readiness = args.readiness.clone();
    if let (Some(r), Some(probe)) = (&mut readiness, substituted.get("probe").filter(|p| p.is_array())) {
        r.set_exec_command(strings(probe));
    }
    let request = ExecRequest {
        container: attached.container.id.clone(),
        cmd,
        env: env.clone(),
        user: Some(user.clone()),
        working_dir,
        tty: false,
        stdin: false,
    };
    Ok(Prepared { request, container: attached.container, user, env, readiness })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(v: Value) -> Result<LaunchArguments, String> {
        LaunchArguments::from_json(&v)
    }

    #[test]
    fn command_forms() {
        let a = read(json!({ "command": ["npm", "start"], "type": "devcontainer", "__sessionId": "x" })).unwrap();
        assert_eq!(a.command, Command::Argv(vec!["npm".into(), "start".into()]));
        assert!(a.up);
        assert_eq!(a.stop_signal, 15);
        assert_eq!(a.stop_timeout, Duration::from_secs(10));
        let a = read(json!({ "program": "node", "args": ["server.js", "--port", "3000"] })).unwrap();
        assert_eq!(a.command.argv(), ["node", "server.js", "--port", "3000"]);
        let a = read(json!({ "command": "npm run dev | tee log" })).unwrap();
        assert_eq!(a.command.argv(), ["/bin/sh", "-c", "npm run dev | tee log"]);
    }

    #[test]
    fn errors_name_the_field() {
        assert!(read(json!({})).unwrap_err().contains("nothing to run"));
        assert!(read(json!({ "command": [] })).unwrap_err().contains("`command`: the array is empty"));
        assert!(read(json!({ "command": [1] })).unwrap_err().contains("`command`: expected an array of strings"));
        assert!(read(json!({ "command": ["a"], "program": "b" })).unwrap_err().contains("not both"));
        assert!(read(json!({ "command": ["a"], "env": { "A": 1 } })).unwrap_err().contains("`env.A`: expected a string"));
        assert!(read(json!({ "command": ["a"], "stopSignal": "SIGNOPE" })).unwrap_err().contains("`stopSignal`"));
        assert!(read(json!({ "command": ["a"], "stopTimeoutSeconds": -1 })).unwrap_err().contains("`stopTimeoutSeconds`"));
        assert!(read(json!({ "command": ["a"], "up": "yes" })).unwrap_err().contains("`up`: expected true or false"));
        assert!(read(json!("x")).unwrap_err().contains("must be an object"));
    }

    #[test]
    fn host_paths_in_the_workspace_become_container_paths() {
        let ws = Path::new("/home/me/proj");
        assert_eq!(container_path("/home/me/proj", ws, Some("/workspaces/proj")), "/workspaces/proj");
        assert_eq!(container_path("/home/me/proj/web/src", ws, Some("/workspaces/proj")), "/workspaces/proj/web/src");
        assert_eq!(container_path("/home/me/projector", ws, Some("/workspaces/proj")), "/home/me/projector");
        assert_eq!(container_path("/srv/app", ws, Some("/workspaces/proj")), "/srv/app");
        assert_eq!(container_path("/home/me/proj/x", ws, None), "/home/me/proj/x");
    }

    #[test]
    fn signals() {
        assert_eq!(parse_signal(&json!("SIGINT")), Some(2));
        assert_eq!(parse_signal(&json!("term")), Some(15));
        assert_eq!(parse_signal(&json!(9)), Some(9));
        assert_eq!(parse_signal(&json!(0)), None);
        assert_eq!(parse_signal(&json!("SIGWHAT")), None);
    }
}

//! The container commands an editor runs on a devcontainer.json — Up, Rebuild,
//! Rebuild without cache, Stop, Down, Show container log — offered as code
//! actions and as code lenses with the container's state, and run through
//! `workspace/executeCommand` with the engine in-process: steps become
//! `$/progress` reports, build and hook output `window/logMessage`, errors
//! `window/showMessage`. Only these explicit commands ever run anything.

use crate::document::file_path;
use crate::server::Session;
use devc_engine::load::LoadOptions;
use devc_engine::manage;
use devc_engine::progress::{self, Event};
use devc_engine::up::{self, UpOptions};
use devc_runtime::{OutputChunk, Runtime};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

pub const UP: &str = "devcontainer.up";
pub const REBUILD: &str = "devcontainer.rebuild";
pub const REBUILD_NO_CACHE: &str = "devcontainer.rebuildNoCache";
pub const STOP: &str = "devcontainer.stop";
pub const DOWN: &str = "devcontainer.down";
pub const SHOW_LOG: &str = "devcontainer.showLog";

/// Every command id, for `executeCommandProvider`.
pub const NAMES: [&str; 6] = [UP, REBUILD, REBUILD_NO_CACHE, STOP, DOWN, SHOW_LOG];

fn title(command: &str) -> &'static str {
    match command {
        UP => "Up",
        REBUILD => "Rebuild",
        REBUILD_NO_CACHE => "Rebuild without cache",
        STOP => "Stop",
        DOWN => "Down",
        _ => "Show container log",
    }
}

fn command(name: &str, uri: &Uri) -> Command {
    Command { title: title(name).to_string(), command: name.to_string(), arguments: Some(vec![json!(uri.as_str())]) }
}

/// The commands as code actions on the whole file (kind `source`).
pub fn command_actions(uri: &Uri) -> Vec<CodeActionOrCommand> {
    NAMES
        .iter()
        .map(|name| {
            CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Dev container: {}", title(name)),
                kind: Some(CodeActionKind::SOURCE),
                command: Some(command(name, uri)),
                ..Default::default()
            })
        })
        .collect()
}

/// Where the engine should look for `uri`'s container.
fn load_options(uri: &Uri) -> Option<LoadOptions> {
    let config = file_path(uri)?;
    let workspace_folder = crate::workspace::workspace_folder(&config)?;
    Some(LoadOptions { workspace_folder, config: Some(config), id_labels: Vec::new(), mount_workspace_git_root: true })
}

/// Lenses on the first line: the container's state ("running since …",
/// "stopped", "not created"), a Rebuild hint when the config changed since
/// `up`, and the commands. Reads state only.
pub async fn code_lenses(uri: &Uri) -> Vec<CodeLens> {
    let Some(load) = load_options(uri) else { return Vec::new() };
    let top = Range::new(Position::new(0, 0), Position::new(0, 0));
    let lens = |title: String, name: &str| CodeLens {
        range: top,
        command: Some(Command { title, command: name.to_string(), arguments: Some(vec![json!(uri.as_str())]) }),
        data: None,
    };
    let status = match devc_runtime::Backend::connect(devc_runtime::RuntimeKind::Auto, None).await {
        Ok(docker) => manage::status(&docker, &load).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let mut lenses = Vec::new();
    match status {
        Ok(s) => {
            let state = match (&s.container_id, s.running) {
                (None, _) => "Dev container: not created".to_string(),
                (Some(_), true) => format!("Dev container: running since {}", short_time(&s.started_at)),
                (Some(_), false) => format!("Dev container: {}", if s.state == "exited" { "stopped" } else { &s.state }),
            };
            lenses.push(lens(state, SHOW_LOG));
            if s.config_changed {
                lenses.push(lens("Config changed since last up → Rebuild".to_string(), REBUILD));
            }
        }
        Err(e) => lenses.push(lens(format!("Dev container: Docker not available ({})", first_sentence(&e)), SHOW_LOG)),
    }
    for name in [UP, REBUILD, STOP, DOWN] {
        lenses.push(lens(title(name).to_string(), name));
    }
    lenses
}

fn short_time(ts: &str) -> String {
    // `2026-11-29T14:38:01.123456789Z` → `2026-11-29 14:38:01 UTC`
    let base = ts.split('.').next().unwrap_or(ts).trim_end_matches('Z');
    format!("{} UTC", base.replacen('T', " ", 1))
}

fn first_sentence(s: &str) -> &str {
    s.split(". ").next().unwrap_or(s)
}

/// Workspaces with a command running, so a second one is refused, not doubled.
fn running() -> &'static Mutex<HashSet<PathBuf>> {
    static RUNNING: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    RUNNING.get_or_init(Default::default)
}

/// Progress tokens of running commands and how to cancel each.
fn cancels() -> &'static Mutex<HashMap<String, tokio::sync::watch::Sender<bool>>> {
    static CANCELS: OnceLock<Mutex<HashMap<String, tokio::sync::watch::Sender<bool>>>> = OnceLock::new();
    CANCELS.get_or_init(Default::default)
}

/// `window/workDoneProgress/cancel`: stops the command behind `token`.
pub fn cancel(token: &ProgressToken) {
    let key = token_key(token);
    if let Ok(map) = cancels().lock() {
        if let Some(tx) = map.get(&key) {
            let _ = tx.send(true);
        }
    }
}

fn token_key(token: &ProgressToken) -> String {
    match token {
        NumberOrString::Number(n) => n.to_string(),
        NumberOrString::String(s) => s.clone(),
    }
}

/// `workspace/executeCommand`.
pub async fn execute(session: &Session, params: ExecuteCommandParams) -> Result<Option<Value>> {
    let name = params.command.as_str();
    if !NAMES.contains(&name) {
        return Err(Error::invalid_params(format!("unknown command {name}; known: {}", NAMES.join(", "))));
    }
    let uri = match params.arguments.first().and_then(Value::as_str).and_then(|s| s.parse::<Uri>().ok()) {
        Some(uri) => uri,
        None => return Err(Error::invalid_params(format!("{name} needs the devcontainer.json URI as its first argument"))),
    };
    let Some(load) = load_options(&uri) else {
        return Err(Error::invalid_params(format!("{} is not a file on this machine", uri.as_str())));
    };
    let workspace = load.workspace_folder.clone();
    let inserted = running().lock().map(|mut set| set.insert(workspace.clone())).unwrap_or(false);
    if !inserted {
        let msg = format!("A dev container command is already running for {}; wait for it to finish.", workspace.display());
        session.client.show_message(MessageType::WARNING, &msg).await;
        return Ok(Some(json!({"outcome": "error", "message": msg})));
    }
    let result = run(session, name, load, params.work_done_progress_params.work_done_token).await;
    if let Ok(mut set) = running().lock() {
        set.remove(&workspace);
    }
    // Ask the editor to re-read the lenses (state changed); don't wait for its answer.
    let client = session.client.clone();
    tokio::spawn(async move {
        let _ = client.code_lens_refresh().await;
    });
    match result {
        Ok(v) => Ok(Some(v)),
        Err(message) => {
            session.client.show_message(MessageType::ERROR, format!("Dev container {}: {message}", title(name))).await;
            Ok(Some(json!({"outcome": "error", "message": message})))
        }
    }
}

/// Runs one command with progress; the error is the message to show.
async fn run(session: &Session, name: &str, load: LoadOptions, token: Option<ProgressToken>) -> std::result::Result<Value, String> {
    let client = session.client.clone();
    // Use the client's token, or create one (clients that support it say so at initialize).
    let token = match token {
        Some(t) => Some(t),
        None => {
            let t = NumberOrString::String(format!("devc-{}-{}", name, std::process::id()));
            let created = tokio::time::timeout(std::time::Duration::from_secs(2), client.create_work_done_progress(t.clone())).await;
            matches!(created, Ok(Ok(()))).then_some(t)
        }
    };
    let (cancel_tx, mut cancel_rx) = tokio::sync::watch::channel(false);
    if let Some(t) = &token {
        if let Ok(mut map) = cancels().lock() {
            map.insert(token_key(t), cancel_tx);
        }
    }
    let progress = match &token {
        Some(t) => Some(client.progress(t.clone(), format!("Dev container: {}", title(name))).with_cancel_button().begin().await),
        None => None,
    };

    // Engine events → a channel → progress reports and log messages, in order.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let reporter: progress::Reporter = Arc::new(move |e| {
        let _ = tx.send(e);
    });
    let forward_client = client.clone();
    let forwarder = async {
        while let Some(event) = rx.recv().await {
            match event {
                Event::StepStarted(step) => {
                    if let Some(p) = &progress {
                        p.report_with_message(step.clone(), None).await;
                    }
                    forward_client.log_message(MessageType::INFO, format!("[devc] {step}...")).await;
                }
                Event::StepFinished { name, succeeded } => {
                    let status = if succeeded { "done" } else { "failed" };
                    forward_client.log_message(MessageType::INFO, format!("[devc] {name}: {status}")).await;
                }
                Event::Line(line) => forward_client.log_message(MessageType::LOG, line).await,
            }
        }
    };
    let work = async move {
        // `auto`, as the CLI defaults to: Apple's runtime on Apple silicon when it answers, else Docker.
        let docker = devc_runtime::Backend::connect(devc_runtime::RuntimeKind::Auto, None).await.map_err(|e| e.to_string())?;
        progress::with_reporter(reporter, perform(&docker, name, load)).await
    };
    let cancelled = async {
        while cancel_rx.changed().await.is_ok() {
            if *cancel_rx.borrow() {
                return;
            }
        }
        std::future::pending::<()>().await
    };
    let outcome = tokio::select! {
        (result, ()) = async { tokio::join!(work, forwarder) } => result,
        () = cancelled => Err("cancelled".to_string()),
    };
    if let Some(t) = &token {
        if let Ok(mut map) = cancels().lock() {
            map.remove(&token_key(t));
        }
    }
    if let Some(p) = progress {
        let end = match &outcome {
            Ok(_) => "done".to_string(),
            Err(e) => format!("failed: {}", first_sentence(e)),
        };
        p.finish_with_message(end).await;
    }
    outcome
}

/// The engine call behind each command; returns the result object.
async fn perform<R: Runtime>(rt: &R, name: &str, load: LoadOptions) -> std::result::Result<Value, String> {
    let up_with = |remove_existing: bool, no_cache: bool| UpOptions {
        load: load.clone(),
        remove_existing_container: remove_existing,
        build_no_cache: no_cache,
        ..UpOptions::default()
    };
    let result = match name {
        UP => up::up(rt, &up_with(false, false)).await.map(|r| r.to_json()),
        REBUILD => up::up(rt, &up_with(true, false)).await.map(|r| r.to_json()),
        REBUILD_NO_CACHE => up::up(rt, &up_with(true, true)).await.map(|r| r.to_json()),
        STOP => manage::stop(rt, &load).await.map(|id| json!({"outcome": "success", "containerId": id})),
        DOWN => manage::down(rt, &load, false).await.map(|id| json!({"outcome": "success", "containerId": id})),
        _ => return show_log(rt, &load).await,
    };
    result.map_err(|e| e.to_string())
}

/// Sends the container's log (what it printed so far) as log lines.
async fn show_log<R: Runtime>(rt: &R, load: &LoadOptions) -> std::result::Result<Value, String> {
    let loaded = devc_engine::load::Loaded::load(load).map_err(|e| e.to_string())?;
    let container = devc_engine::load::find_container(rt, &loaded)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "no dev container for this workspace yet; run Up first".to_string())?;
    let mut rx = rt.logs(&container.id, false).await.map_err(|e| e.to_string())?;
    let mut text = Vec::new();
    while let Some(chunk) = rx.recv().await {
        match chunk {
            OutputChunk::Stdout(b) | OutputChunk::Stderr(b) => text.extend_from_slice(&b),
        }
    }
    for line in String::from_utf8_lossy(&text).lines() {
        progress::line(line);
    }
    Ok(json!({"outcome": "success", "containerId": container.id, "lines": String::from_utf8_lossy(&text).lines().count()}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_carry_the_uri_and_every_command() {
        let uri: Uri = "file:///ws/.devcontainer/devcontainer.json".parse().unwrap();
        let actions = command_actions(&uri);
        assert_eq!(actions.len(), NAMES.len());
        for (a, name) in actions.iter().zip(NAMES) {
            let CodeActionOrCommand::CodeAction(a) = a else { panic!("a code action") };
            let cmd = a.command.as_ref().unwrap();
            assert_eq!(cmd.command, name);
            assert_eq!(cmd.arguments.as_ref().unwrap()[0], json!(uri.as_str()));
        }
    }

    #[test]
    fn load_options_use_the_engine_workspace() {
        let uri: Uri = "file:///home/me/proj/.devcontainer/devcontainer.json".parse().unwrap();
        let load = load_options(&uri).unwrap();
        assert_eq!(load.workspace_folder, PathBuf::from("/home/me/proj"));
        assert_eq!(load.config, Some(PathBuf::from("/home/me/proj/.devcontainer/devcontainer.json")));
    }

    #[test]
    fn times_are_shortened() {
        assert_eq!(short_time("2026-11-29T14:38:01.123456789Z"), "2026-11-29 14:38:01 UTC");
    }
}

//! The in-container lifecycle hooks: `onCreateCommand`, `updateContentCommand`,
//! `postCreateCommand` (once per container), `postStartCommand` (once per start) and
//! `postAttachCommand` (every time), with the reference's semantics:
//!
//! - every hook collects its commands from the image metadata entries in order
//!   (base image and features first, devcontainer.json last), each with its origin;
//! - forms: a string runs as `/bin/sh -c <string>`, a list is executed directly, an
//!   object runs its named commands in parallel (output prefixed `[name] `; any failure
//!   fails the hook once all have finished); empty values are skipped. Config values
//!   are only ever passed as argv or env;
//! - run-once markers `<home>/.devcontainer/.<hook>Marker` hold the container's
//!   `Created` (create hooks) or `State.StartedAt` (postStart); the marker is written
//!   *before* the hook runs, so a failed create hook is not retried by the next `up`
//!   (as in the reference). The format is the reference's, so containers set up by
//!   either tool agree on what already ran;
//! - `waitFor` + skip-non-blocking stops after the waitFor hook, `prebuild` stops after
//!   updateContent (and always reruns it);
//! - a failure ([`EngineError::HookFailed`]) skips the remaining hooks; exit code 130
//!   (Ctrl-C) is "interrupted", logged and not an error.

use crate::error::EngineError;
use crate::process::{join_all, run_in_container, OutputSink, ProcessResult};
use devc_config::model::{CommandSpec, LifecycleCommand, LifecycleHook};
use devc_runtime::{ContainerDetails, ExecRequest, Runtime};
use serde_json::Value;

/// The five in-container hooks, in execution order.
pub const CONTAINER_HOOKS: [LifecycleHook; 5] = [
    LifecycleHook::OnCreateCommand,
    LifecycleHook::UpdateContentCommand,
    LifecycleHook::PostCreateCommand,
    LifecycleHook::PostStartCommand,
    LifecycleHook::PostAttachCommand,
];

/// The origin of devcontainer.json's own metadata entry.
pub const DEVCONTAINER_JSON: &str = "devcontainer.json";
/// The origin used by [`LifecycleHooks::from_merged`], which cannot know better.
pub const MERGED_ORIGIN: &str = "the merged configuration";

/// One command of a hook and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct HookCommand {
    /// For messages: `devcontainer.json`, `Feature 'ghcr.io/…/node:1'`.
    pub origin: String,
    /// The raw value (string, array or object), checked when the hook runs.
    pub command: Value,
}

/// The commands of the five in-container hooks, each in run order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LifecycleHooks {
    pub on_create: Vec<HookCommand>,
    pub update_content: Vec<HookCommand>,
    pub post_create: Vec<HookCommand>,
    pub post_start: Vec<HookCommand>,
    pub post_attach: Vec<HookCommand>,
}

impl LifecycleHooks {
    /// From image metadata entries (the input of `merge_configuration`), with exact
    /// origins, as the reference's `lifecycleCommandOriginMapFromMetadata`: an entry
    /// with an `id` is a feature (`Feature '<id>'`), any other is `devcontainer.json`
    /// (which is what the reference prints for base-image entries too). Falsy values
    /// (missing, null, empty string) are left out.
    pub fn from_metadata(entries: &[Value]) -> Self {
        let mut hooks = LifecycleHooks::default();
        for entry in entries {
            let Some(obj) = entry.as_object() else {
                continue;
            };
            let origin = match obj.get("id").and_then(Value::as_str) {
                Some(id) => format!("Feature '{id}'"),
                None => DEVCONTAINER_JSON.to_string(),
            };
            for hook in CONTAINER_HOOKS {
                if let Some(cmd) = obj.get(hook.as_str()).filter(|v| truthy(v)) {
                    hooks.get_mut(hook).push(HookCommand {
                        origin: origin.clone(),
                        command: cmd.clone(),
                    });
                }
            }
        }
        hooks
    }

    /// From the plural keys of a merged configuration (`onCreateCommands`, …). The
    /// merged value does not record origins, so every command is attributed to
    /// [`MERGED_ORIGIN`]; use [`LifecycleHooks::from_metadata`] for exact origins.
    /// A singular key (`postCreateCommand`) is accepted when the plural one is absent,
    /// attributed to devcontainer.json (a config that was not merged).
    pub fn from_merged(merged: &Value) -> Self {
        let mut hooks = LifecycleHooks::default();
        for hook in CONTAINER_HOOKS {
            let plural = format!("{}s", hook.as_str());
            let list = match merged.get(&plural) {
                Some(Value::Array(items)) => {
                    items.iter().map(|c| (MERGED_ORIGIN, c)).collect::<Vec<_>>()
                }
                _ => merged
                    .get(hook.as_str())
                    .map(|c| vec![(DEVCONTAINER_JSON, c)])
                    .unwrap_or_default(),
            };
            for (origin, cmd) in list {
                if truthy(cmd) {
                    hooks.get_mut(hook).push(HookCommand {
                        origin: origin.to_string(),
                        command: cmd.clone(),
                    });
                }
            }
        }
        hooks
    }

    /// The commands of `hook` (none for `initializeCommand`, which runs on the host).
    pub fn get(&self, hook: LifecycleHook) -> &[HookCommand] {
        match hook {
            LifecycleHook::InitializeCommand => &[],
            LifecycleHook::OnCreateCommand => &self.on_create,
            LifecycleHook::UpdateContentCommand => &self.update_content,
            LifecycleHook::PostCreateCommand => &self.post_create,
            LifecycleHook::PostStartCommand => &self.post_start,
            LifecycleHook::PostAttachCommand => &self.post_attach,
        }
    }

    fn get_mut(&mut self, hook: LifecycleHook) -> &mut Vec<HookCommand> {
        match hook {
            LifecycleHook::OnCreateCommand => &mut self.on_create,
            LifecycleHook::UpdateContentCommand => &mut self.update_content,
            LifecycleHook::PostCreateCommand => &mut self.post_create,
            LifecycleHook::PostStartCommand => &mut self.post_start,
            LifecycleHook::PostAttachCommand | LifecycleHook::InitializeCommand => {
                &mut self.post_attach
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        CONTAINER_HOOKS.iter().all(|h| self.get(*h).is_empty())
    }
}

/// JavaScript truthiness (what the reference's `if (command)` keeps).
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Parses a hook value; `None` when there is nothing to run (the reference's
/// `hasCommand`: a blank string, an empty list or object).
pub fn parse_command(
    hook: LifecycleHook,
    origin: &str,
    value: &Value,
) -> Result<Option<LifecycleCommand>, EngineError> {
    let cmd: LifecycleCommand = serde_json::from_value(value.clone()).map_err(|_| {
        EngineError::Invalid(format!(
            "{} from {origin} must be a string, an array of strings or an object whose values are strings or arrays of strings; found {value}",
            hook.as_str()
        ))
    })?;
    let has_command = match &cmd {
        LifecycleCommand::Shell(s) => !s.trim().is_empty(),
        LifecycleCommand::Exec(a) => !a.is_empty(),
        LifecycleCommand::Parallel(m) => !m.is_empty(),
    };
    Ok(has_command.then_some(cmd))
}

/// The `result` of `run-user-commands`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleOutcome {
    /// Every hook that was due ran.
    Done,
    /// Stopped after the `waitFor` hook (`--skip-non-blocking-commands`).
    SkipNonBlocking,
    /// Stopped after updateContentCommand (`--prebuild`).
    Prebuild,
    /// Stopped after postCreateCommand (`--stop-for-personalization`).
    StopForPersonalization,
}

impl LifecycleOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleOutcome::Done => "done",
            LifecycleOutcome::SkipNonBlocking => "skipNonBlocking",
            LifecycleOutcome::Prebuild => "prebuild",
            LifecycleOutcome::StopForPersonalization => "stopForPersonalization",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleOptions {
    /// `--skip-post-create`: run no hook at all (and write no marker).
    pub skip_post_create: bool,
    /// `--skip-post-attach`.
    pub skip_post_attach: bool,
    /// `--skip-non-blocking-commands`: stop after the `waitFor` hook.
    pub skip_non_blocking: bool,
    /// `--prebuild`: stop after updateContentCommand, which always reruns.
    pub prebuild: bool,
    /// `--stop-for-personalization` (run-user-commands): stop after postCreateCommand.
    pub stop_for_personalization: bool,
    /// `--container-data-folder`: where markers live, relative to the user's home
    /// (default `.devcontainer`).
    pub container_data_folder: Option<String>,
    /// Run hooks with a TTY (the reference uses a PTY; off by default so that the two
    /// output streams stay apart and logs carry no `\r`).
    pub tty: bool,
}

/// Everything one lifecycle run needs.
#[derive(Debug, Clone)]
pub struct LifecycleRun<'a> {
    /// As inspected now (`created` and `state.started_at` key the markers).
    pub container: &'a ContainerDetails,
    pub hooks: &'a LifecycleHooks,
    /// The merged `waitFor` (default `updateContentCommand`).
    pub wait_for: Option<&'a str>,
    pub remote_user: &'a str,
    /// The user's home; `None`: resolved from the container env and `/etc/passwd`.
    pub home: Option<&'a str>,
    /// Hooks run here; `None`: in the home folder.
    pub remote_workspace_folder: Option<&'a str>,
    /// `KEY=VALUE` for the hooks (from [`crate::env_probe::exec_env`]).
    pub env: &'a [String],
    pub options: LifecycleOptions,
    pub output: OutputSink,
}

/// Node's `path.posix.resolve(base, p)` for an absolute `base`.
pub fn posix_resolve(base: &str, p: &str) -> String {
    let joined = if p.starts_with('/') {
        p.to_string()
    } else {
        format!("{base}/{p}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `<home>/<data folder>/.<hook>Marker`.
pub fn marker_path(home: &str, container_data_folder: Option<&str>, hook: LifecycleHook) -> String {
    let folder = posix_resolve(
        home,
        container_data_folder
            .filter(|f| !f.is_empty())
            .unwrap_or(".devcontainer"),
    );
    format!("{}/.{}Marker", folder.trim_end_matches('/'), hook.as_str())
}

/// The reference's `updateMarkerFile` as a fixed script; path and value are arguments.
/// Exit 0: the marker was updated (run the hook); 1: it already holds the value;
/// other: it could not be read or written.
const MARKER_SCRIPT: &str = r#"mkdir -p "${1%/*}" || exit 3
CONTENT="$(cat "$1" 2>/dev/null || echo ENOENT)"
[ "${CONTENT:-$2}" != "$2" ] || exit 1
printf '%s\n' "$2" > "$1" || exit 4"#;

/// The argv that checks and updates a marker.
pub fn marker_argv(path: &str, value: &str) -> Vec<String> {
    vec![
        "/bin/sh".into(),
        "-c".into(),
        MARKER_SCRIPT.into(),
        "devc-marker".into(),
        path.into(),
        value.into(),
    ]
}

/// Whether a once-per-container/start hook is due (and whether its marker is now
/// recorded in the container), updating the marker. When the
/// marker cannot be written the hook runs anyway (with a warning): the reference
/// silently never runs it then.
async fn marker_due<R: Runtime>(
    rt: &R,
    run: &LifecycleRun<'_>,
    home: &str,
    hook: LifecycleHook,
    value: &str,
) -> Result<(bool, bool), EngineError> {
    if value.is_empty() {
        // The reference: no timestamp, no run.
        tracing::debug!(
            "{}: no timestamp to key its marker to; skipped",
            hook.as_str()
        );
        return Ok((false, false));
    }
    let path = marker_path(home, run.options.container_data_folder.as_deref(), hook);
    let out = crate::process::capture_in_container(
        rt,
        ExecRequest {
            container: run.container.id.clone(),
            cmd: marker_argv(&path, value),
            user: Some(run.remote_user.to_string()),
            ..Default::default()
        },
    )
    .await?;
    match out.exit_code {
        0 => Ok((true, true)),
        1 => {
            tracing::debug!("{} already ran for {value} (marker {path})", hook.as_str());
            Ok((false, true))
        }
        code => {
            tracing::warn!(
                "cannot update the marker {path} as {} (exit {code}: {}); running {} anyway, and it will run again next time. Make {home} writable for that user",
                run.remote_user,
                out.stderr_text().trim(),
                hook.as_str()
            );
            Ok((true, false))
        }
    }
}

/// The remote user's home, looked up once.
async fn home_of<'h, R: Runtime>(rt: &R, run: &LifecycleRun<'_>, home: &'h mut Option<String>) -> Result<&'h str, EngineError> {
    if home.is_none() {
        *home = Some(crate::env_probe::resolve_user(rt, run.container, run.remote_user).await?.home);
    }
    Ok(home.as_deref().unwrap_or(""))
}

/// Hooks run in the workspace folder, else in the home folder.
async fn cwd<R: Runtime>(rt: &R, run: &LifecycleRun<'_>, home: &mut Option<String>) -> Result<String, EngineError> {
    match run.remote_workspace_folder.filter(|w| !w.is_empty()) {
        Some(w) => Ok(w.to_string()),
        None => Ok(home_of(rt, run, home).await?.to_string()),
    }
}

/// [`marker_due`], answered from the host-side copy of the markers when this
/// container already recorded `value` for `hook` (no exec on a re-up).
async fn marker_due_cached<R: Runtime>(
    rt: &R,
    run: &LifecycleRun<'_>,
    home: &mut Option<String>,
    markers: &mut MarkerCache,
    hook: LifecycleHook,
    value: &str,
) -> Result<bool, EngineError> {
    if !value.is_empty() && markers.contains(hook, value) {
        tracing::debug!("{} already ran for {value} (host marker cache)", hook.as_str());
        return Ok(false);
    }
    let home = home_of(rt, run, home).await?.to_string();
    let (due, persisted) = marker_due(rt, run, &home, hook, value).await?;
    if persisted {
        markers.record(hook, value);
    }
    Ok(due)
}

/// A host-side record of the run-once markers written in a container, keyed by
/// container id, hook and timestamp: the in-container marker stays the truth,
/// this only spares an exec per hook when nothing is due. Best effort: an
/// unreadable or unwritable cache just means asking the container.
struct MarkerCache {
    path: Option<std::path::PathBuf>,
    entries: Vec<String>,
}

impl MarkerCache {
    fn dir() -> std::path::PathBuf {
        let user_env = crate::env_probe::default_cache_dir();
        user_env.parent().map_or(user_env.clone(), |p| p.join("markers"))
    }

    fn load(container_id: &str) -> MarkerCache {
        let safe = container_id.chars().all(|c| c.is_ascii_alphanumeric()) && !container_id.is_empty();
        let path = safe.then(|| Self::dir().join(container_id));
        let entries = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|t| t.lines().map(str::to_string).collect())
            .unwrap_or_default();
        MarkerCache { path, entries }
    }

    fn key(hook: LifecycleHook, value: &str) -> String {
        format!("{} {value}", hook.as_str())
    }

    fn contains(&self, hook: LifecycleHook, value: &str) -> bool {
        self.entries.contains(&Self::key(hook, value))
    }

    fn record(&mut self, hook: LifecycleHook, value: &str) {
        let key = Self::key(hook, value);
        if self.entries.contains(&key) {
            return;
        }
        self.entries.push(key);
        let Some(path) = &self.path else { return };
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, self.entries.join("\n") + "\n")
        };
        if let Err(e) = write() {
            tracing::debug!("cannot record markers in {}: {e}", path.display());
        }
    }

    /// Drops the record of a removed container.
    pub(crate) fn forget(container_id: &str) {
        let _ = std::fs::remove_file(Self::dir().join(container_id));
    }
}

/// Forgets the host-side marker record of a removed container.
pub fn forget_container(container_id: &str) {
    MarkerCache::forget(container_id);
}

/// Runs the hooks that are due (see the module docs) and tells where it stopped.
pub async fn run_lifecycle<R: Runtime>(
    rt: &R,
    run: &LifecycleRun<'_>,
) -> Result<LifecycleOutcome, EngineError> {
    if run.options.skip_post_create {
        tracing::debug!("--skip-post-create: no lifecycle hooks run");
        return Ok(LifecycleOutcome::Done);
    }
    let opts = &run.options;
    let wait_for = run
        .wait_for
        .filter(|w| !w.is_empty())
        .unwrap_or("updateContentCommand");
    let stop_here = |hook: &str| opts.skip_non_blocking && wait_for == hook;
    if stop_here("initializeCommand") {
        return Ok(LifecycleOutcome::SkipNonBlocking);
    }

    // The home folder (for markers and as the default cwd) costs an exec: look
    // it up only when a marker must be checked in the container or a hook runs.
    let mut home: Option<String> = run.home.map(str::to_string);
    let mut markers = MarkerCache::load(&run.container.id);

    for hook in [
        LifecycleHook::OnCreateCommand,
        LifecycleHook::UpdateContentCommand,
        LifecycleHook::PostCreateCommand,
    ] {
        let rerun = hook == LifecycleHook::UpdateContentCommand && opts.prebuild;
        // Hooks without commands keep no marker (nothing could run later: an existing
        // container keeps the hooks of its metadata label).
        let has_commands = !run.hooks.get(hook).is_empty();
        let due = has_commands
            && (marker_due_cached(rt, run, &mut home, &mut markers, hook, &run.container.created).await? || rerun);
        if due {
            let cwd = cwd(rt, run, &mut home).await?;
            run_hook(rt, run, hook, &cwd).await?;
        }
        if stop_here(hook.as_str()) {
            return Ok(LifecycleOutcome::SkipNonBlocking);
        }
        if hook == LifecycleHook::UpdateContentCommand && opts.prebuild {
            return Ok(LifecycleOutcome::Prebuild);
        }
    }
    if opts.stop_for_personalization {
        return Ok(LifecycleOutcome::StopForPersonalization);
    }

    let hook = LifecycleHook::PostStartCommand;
    if !run.hooks.get(hook).is_empty()
        && marker_due_cached(rt, run, &mut home, &mut markers, hook, &run.container.state.started_at).await?
    {
        let cwd = cwd(rt, run, &mut home).await?;
        run_hook(rt, run, hook, &cwd).await?;
    }
    if stop_here(hook.as_str()) {
        return Ok(LifecycleOutcome::SkipNonBlocking);
    }

    if !opts.skip_post_attach && !run.hooks.get(LifecycleHook::PostAttachCommand).is_empty() {
        let cwd = cwd(rt, run, &mut home).await?;
        run_hook(rt, run, LifecycleHook::PostAttachCommand, &cwd).await?;
    }
    Ok(LifecycleOutcome::Done)
}

/// Runs every command of `hook` in order; the first failure stops.
async fn run_hook<R: Runtime>(
    rt: &R,
    run: &LifecycleRun<'_>,
    hook: LifecycleHook,
    cwd: &str,
) -> Result<(), EngineError> {
    for HookCommand { origin, command } in run.hooks.get(hook) {
        let Some(cmd) = parse_command(hook, origin, command)? else {
            continue;
        };
        let step = crate::progress::Step::start_streaming(format!("Running the {} from {origin}", hook.as_str()));
        match cmd {
            LifecycleCommand::Shell(s) => {
                let r = run_one(rt, run, cwd, &CommandSpec::Shell(s), &run.output).await?;
                check(hook, origin, None, r)?;
            }
            LifecycleCommand::Exec(a) => {
                let r = run_one(rt, run, cwd, &CommandSpec::Exec(a), &run.output).await?;
                check(hook, origin, None, r)?;
            }
            LifecycleCommand::Parallel(map) => {
                let named: Vec<(String, CommandSpec)> = map
                    .into_iter()
                    .filter(|(_, spec)| !spec.is_empty())
                    .collect();
                let futures: Vec<_> = named
                    .iter()
                    .map(|(name, spec)| {
                        let sink = run.output.prefixed(name);
                        async move {
                            tracing::info!("Running {name} of {} from {origin}...", hook.as_str());
                            run_one(rt, run, cwd, spec, &sink).await
                        }
                    })
                    .collect();
                let results = join_all(futures).await;
                // All have finished; report the first failure in declaration order.
                let mut first_error: Option<EngineError> = None;
                for ((name, _), result) in named.iter().zip(results) {
                    let outcome = result.and_then(|r| check(hook, origin, Some(name), r));
                    if let Err(e) = outcome {
                        first_error.get_or_insert(e);
                    }
                }
                if let Some(e) = first_error {
                    return Err(e);
                }
            }
        }
        step.done();
    }
    Ok(())
}

async fn run_one<R: Runtime>(
    rt: &R,
    run: &LifecycleRun<'_>,
    cwd: &str,
    spec: &CommandSpec,
    sink: &OutputSink,
) -> Result<ProcessResult, EngineError> {
    let request = ExecRequest {
        container: run.container.id.clone(),
        cmd: crate::process::command_argv(spec),
        env: run.env.to_vec(),
        user: Some(run.remote_user.to_string()),
        working_dir: (!cwd.is_empty()).then(|| cwd.to_string()),
        tty: run.options.tty,
        stdin: false,
    };
    run_in_container(rt, request, sink).await
}

/// Success and interruption pass; any other exit code is a [`EngineError::HookFailed`]
/// (for a parallel command, its tail lines carry the `[name] ` prefix).
fn check(
    hook: LifecycleHook,
    origin: &str,
    name: Option<&str>,
    r: ProcessResult,
) -> Result<(), EngineError> {
    let what = match name {
        Some(n) => format!("{n} of {}", hook.as_str()),
        None => hook.as_str().to_string(),
    };
    if r.success() {
        return Ok(());
    }
    if r.interrupted() {
        tracing::info!("{what} from {origin} interrupted.");
        return Ok(());
    }
    tracing::error!(
        "{what} from {origin} failed with exit code {}. Skipping any further user-provided commands.",
        r.exit_code
    );
    let output_tail = match name {
        Some(n) => r.tail.into_iter().map(|l| format!("[{n}] {l}")).collect(),
        None => r.tail,
    };
    Err(EngineError::HookFailed {
        hook: hook.as_str().to_string(),
        origin: origin.to_string(),
        exit_code: r.exit_code,
        output_tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn origins_from_metadata() {
        let entries = vec![
            json!({"id": "ghcr.io/x/node:1", "postCreateCommand": "npm i", "onCreateCommand": ""}),
            json!({"postCreateCommand": ["a", "b"], "postStartCommand": {}, "postAttachCommand": null}),
            json!("not an object"),
        ];
        let h = LifecycleHooks::from_metadata(&entries);
        assert_eq!(h.on_create, vec![], "empty strings are falsy");
        assert_eq!(
            h.post_create,
            vec![
                HookCommand {
                    origin: "Feature 'ghcr.io/x/node:1'".into(),
                    command: json!("npm i")
                },
                HookCommand {
                    origin: "devcontainer.json".into(),
                    command: json!(["a", "b"])
                },
            ]
        );
        // An empty object is truthy (kept) and skipped when run.
        assert_eq!(h.post_start.len(), 1);
        assert!(h.post_attach.is_empty());
        assert!(!h.is_empty());
        assert!(LifecycleHooks::from_metadata(&[]).is_empty());
    }

    #[test]
    fn from_merged_plural_and_singular_keys() {
        let merged = json!({
            "onCreateCommands": ["one", "", ["two"]],
            "postAttachCommand": "ignored because plural present",
            "postAttachCommands": [],
            "postStartCommand": "single",
        });
        let h = LifecycleHooks::from_merged(&merged);
        assert_eq!(h.on_create.len(), 2);
        assert!(h.on_create.iter().all(|c| c.origin == MERGED_ORIGIN));
        assert!(h.post_attach.is_empty());
        assert_eq!(
            h.post_start,
            vec![HookCommand {
                origin: "devcontainer.json".into(),
                command: json!("single")
            }]
        );
    }

    #[test]
    fn parse_forms_and_emptiness() {
        let hook = LifecycleHook::PostCreateCommand;
        assert!(matches!(
            parse_command(hook, "o", &json!("echo")).unwrap(),
            Some(LifecycleCommand::Shell(_))
        ));
        assert!(matches!(
            parse_command(hook, "o", &json!(["a"])).unwrap(),
            Some(LifecycleCommand::Exec(_))
        ));
        assert!(matches!(
            parse_command(hook, "o", &json!({"a": "x", "b": ["y"]})).unwrap(),
            Some(LifecycleCommand::Parallel(m)) if m.len() == 2
        ));
        assert!(parse_command(hook, "o", &json!("  \n")).unwrap().is_none());
        assert!(parse_command(hook, "o", &json!([])).unwrap().is_none());
        assert!(parse_command(hook, "o", &json!({})).unwrap().is_none());
        let e = parse_command(hook, "Feature 'f'", &json!(42))
            .unwrap_err()
            .to_string();
        assert!(e.contains("postCreateCommand from Feature 'f'"), "{e}");
        assert!(parse_command(hook, "o", &json!({"a": 1})).is_err());
    }

    #[test]
    fn marker_paths() {
        assert_eq!(
            marker_path("/home/dev", None, LifecycleHook::OnCreateCommand),
            "/home/dev/.devcontainer/.onCreateCommandMarker"
        );
        assert_eq!(
            marker_path("/root/", Some("../data/x"), LifecycleHook::PostStartCommand),
            "/data/x/.postStartCommandMarker"
        );
        assert_eq!(
            marker_path(
                "/home/dev",
                Some("/var/devc"),
                LifecycleHook::PostCreateCommand
            ),
            "/var/devc/.postCreateCommandMarker"
        );
        assert_eq!(posix_resolve("/", "."), "/");
        assert_eq!(posix_resolve("/a/b", "./c/../d"), "/a/b/d");
    }

    #[test]
    fn marker_argv_passes_values_as_arguments() {
        let argv = marker_argv(
            "/home/d ev/.devcontainer/.x",
            "2024-01-01T00:00:00Z'; rm -rf /",
        );
        assert_eq!(
            argv[..3],
            ["/bin/sh".to_string(), "-c".into(), MARKER_SCRIPT.into()]
        );
        assert_eq!(argv[4], "/home/d ev/.devcontainer/.x");
        assert_eq!(argv[5], "2024-01-01T00:00:00Z'; rm -rf /");
        assert!(!MARKER_SCRIPT.contains("2024"));
    }

    /// The marker script against a real /bin/sh on the host (pure: no container).
    #[cfg(unix)]
    #[test]
    fn marker_script_semantics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub dir/.onCreateCommandMarker");
        let path = path.to_str().unwrap();
        let run = |v: &str| {
            let argv = marker_argv(path, v);
            std::process::Command::new(&argv[0])
                .args(&argv[1..])
                .status()
                .unwrap()
                .code()
                .unwrap()
        };
        assert_eq!(run("T1"), 0, "no marker yet: due");
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            "T1\n",
            "the reference's format (echo)"
        );
        assert_eq!(run("T1"), 1, "same timestamp: not due");
        assert_eq!(run("T2"), 0, "new timestamp: due");
        assert_eq!(run("$(touch x)"), 0);
        assert_eq!(std::fs::read_to_string(path).unwrap(), "$(touch x)\n");
        // An empty marker counts as current (the reference's `${CONTENT:-value}`).
        std::fs::write(path, "").unwrap();
        assert_eq!(run("T3"), 1);
        // Unwritable location: a distinct exit code.
        let argv = marker_argv("/proc/devc-no-such/dir/.m", "T");
        let code = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .code()
            .unwrap();
        assert!(code > 1, "{code}");
    }

    #[test]
    fn outcome_strings() {
        assert_eq!(LifecycleOutcome::Done.as_str(), "done");
        assert_eq!(
            LifecycleOutcome::SkipNonBlocking.as_str(),
            "skipNonBlocking"
        );
        assert_eq!(LifecycleOutcome::Prebuild.as_str(), "prebuild");
        assert_eq!(
            LifecycleOutcome::StopForPersonalization.as_str(),
            "stopForPersonalization"
        );
    }

    #[test]
    fn check_results() {
        let hook = LifecycleHook::PostCreateCommand;
        assert!(check(
            hook,
            "o",
            None,
            ProcessResult {
                exit_code: 0,
                tail: vec![]
            }
        )
        .is_ok());
        assert!(check(
            hook,
            "o",
            None,
            ProcessResult {
                exit_code: 130,
                tail: vec![]
            }
        )
        .is_ok());
        let e = check(
            hook,
            "devcontainer.json",
            Some("b"),
            ProcessResult {
                exit_code: 3,
                tail: vec!["boom".into()],
            },
        )
        .unwrap_err();
        match &e {
            EngineError::HookFailed {
                hook,
                origin,
                exit_code,
                output_tail,
            } => {
                assert_eq!(
                    (hook.as_str(), origin.as_str(), *exit_code),
                    ("postCreateCommand", "devcontainer.json", 3)
                );
                assert_eq!(output_tail, &vec!["[b] boom".to_string()]);
            }
            other => panic!("{other:?}"),
        }
        let msg = e.to_string();
        assert!(
            msg.starts_with("postCreateCommand from devcontainer.json failed with exit code 3"),
            "{msg}"
        );
        assert!(msg.contains("[b] boom"), "{msg}");
    }
}

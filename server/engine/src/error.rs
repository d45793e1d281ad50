//! `EngineError`, the one error type of the engine layer: configuration and
//! runtime errors pass through; the engine's own failures (a hook that failed,
//! a container that is not there) say what happened and what to do.

use devc_config::ConfigError;

use devc_runtime::RuntimeError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Feature(#[from] devc_features::FeatureError),
    /// A lifecycle hook exited non-zero. The container is left running.
    #[error("{hook} from {origin} failed with exit code {exit_code}{}. The container is still running: fix the command, then {}", tail_text(.output_tail), retry_hint(.hook))]
    HookFailed { hook: String, origin: String, exit_code: i64, output_tail: Vec<String> },
    /// `initializeCommand` (on the host) failed.
    #[error("initializeCommand failed: {message}. Fix the command in devcontainer.json and run again")]
    InitializeCommand { message: String },
    /// A Feature's install.sh failed during the image build.
    #[error("Feature '{feature}' failed to install: {message}{}. Fix the Feature's install.sh or its options (see its documentation), then run again", tail_text(.output_tail))]
    FeatureInstall { feature: String, message: String, output_tail: Vec<String> },
    #[error("runArgs: {0}")]
    RunArgs(String),
    #[error("the expected container does not exist; run `devc up` without --expect-existing-container to create it")]
    ExpectedContainerMissing,
    #[error("no dev container found for this workspace (looked for labels {labels}); run `devc up` first")]
    NoContainer { labels: String },
    #[error("{0}")]
    Invalid(String),
    /// A host program (initializeCommand) could not be started at all.
    #[error("cannot start `{program}` on the host (in {cwd}): {message}. Check that the program exists and is on PATH, or use the string form of the command to run it through /bin/sh")]
    HostSpawn { program: String, cwd: String, message: String },
}

fn tail_text(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("; last output:\n  {}\n", lines.join("\n  "))
    }
}

/// Create-time hooks run once per container (their marker is already written),
/// so only a new container runs them again.
fn retry_hint(hook: &str) -> &'static str {
    if hook.starts_with("postStart") || hook.starts_with("postAttach") || hook.starts_with("initialize") {
        "run `devc up` again"
    } else {
        "recreate the container with `devc up --remove-existing-container` (this hook runs once per container)"
    }
}

//! The container commands: `up`, `build`, `exec`, `run-user-commands`, `stop`,
//! `down` and `shutdown`, with the reference CLI's flags and result lines.

use super::ConfigArgs;
use crate::LogArgs;
use devc_config::model::UserEnvProbe;
use devc_engine::exec::ExecOptions;
use devc_engine::features::FeatureOptions;
use devc_features::LockfileMode;
use devc_engine::lifecycle::LifecycleOptions;
use devc_engine::load::LoadOptions;
use devc_engine::manage::{self, BuildOptions, RunUserCommandsOptions};
use devc_engine::up::{self, UpOptions};
use devc_engine::EngineError;
use devc_runtime::{Backend, RuntimeKind};
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags every container command shares.
#[derive(clap::Args, Debug)]
pub struct CommonArgs {
    #[command(flatten)]
    pub location: ConfigArgs,
    /// Id label(s) `name=value` that identify the container (replace the default ones).
    #[arg(long = "id-label")]
    pub id_labels: Vec<String>,
    /// Accepted for compatibility: devc talks to the Docker Engine API, not to the docker CLI.
    #[arg(long)]
    pub docker_path: Option<String>,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

/// `--runtime` and `--bridge`: every command that talks to a container runtime.
#[derive(clap::Args, Clone, Debug)]
pub struct RuntimeArgs {
    /// Container runtime: docker (DOCKER_HOST), podman (CONTAINER_HOST or Podman's socket),
    /// apple (Apple's `container`, through the bridge library) or auto (apple on macOS on
    /// Apple silicon when its daemon answers, else docker).
    #[arg(long, value_enum, default_value_t = RuntimeArg::Auto)]
    pub runtime: RuntimeArg,
    /// The bridge library for --runtime apple (default: DEVC_BRIDGE_PATH, else
    /// libDevcBridge.dylib next to devc).
    #[arg(long, value_name = "PATH")]
    pub bridge: Option<PathBuf>,
}

impl RuntimeArgs {
    pub fn kind(&self) -> RuntimeKind {
        match self.runtime {
            RuntimeArg::Docker => RuntimeKind::Docker,
            RuntimeArg::Podman => RuntimeKind::Podman,
            RuntimeArg::Apple => RuntimeKind::Apple,
            RuntimeArg::Auto => RuntimeKind::Auto,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RuntimeArg {
    Docker,
    Podman,
    Apple,
    Auto,
}

/// The runtime a command connects to.
#[derive(Clone, Debug)]
pub struct RuntimeChoice {
    kind: RuntimeKind,
    bridge: Option<PathBuf>,
}

impl RuntimeChoice {
    async fn connect(&self) -> Result<Backend, EngineError> {
        Ok(Backend::connect(self.kind, self.bridge.as_deref()).await?)
    }
}

impl CommonArgs {
    pub fn runtime_choice(&self) -> RuntimeChoice {
        RuntimeChoice { kind: self.runtime.kind(), bridge: self.runtime.bridge.clone() }
    }

    fn load(&self) -> Result<LoadOptions, EngineError> {
        if self.docker_path.is_some() {
            tracing::warn!("--docker-path is ignored: devc uses the Docker Engine API (set DOCKER_HOST to choose the daemon)");
        }
        let (workspace_folder, _) = self.location.locate()?;
        Ok(LoadOptions {
            workspace_folder,
            config: self.location.config.clone(),
            id_labels: self.id_labels.clone(),
            mount_workspace_git_root: true,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeArg {
    None,
    LoginInteractiveShell,
    InteractiveShell,
    LoginShell,
}

impl From<ProbeArg> for UserEnvProbe {
    fn from(p: ProbeArg) -> Self {
        match p {
            ProbeArg::None => UserEnvProbe::None,
            ProbeArg::LoginInteractiveShell => UserEnvProbe::LoginInteractiveShell,
            ProbeArg::InteractiveShell => UserEnvProbe::InteractiveShell,
            ProbeArg::LoginShell => UserEnvProbe::LoginShell,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum UidDefault {
    Never,
    On,
    Off,
}

/// The Feature flags of `up` and `build` (as the reference CLI's).
#[derive(clap::Args, Debug)]
pub struct FeatureArgs {
    /// Neither read nor write devcontainer-lock.json.
    #[arg(long)]
    no_lockfile: bool,
    /// Fail when devcontainer-lock.json is missing or does not match the resolved Features.
    #[arg(long)]
    frozen_lockfile: bool,
    /// Deprecated (lock files are written by default).
    #[arg(long, hide = true)]
    experimental_lockfile: bool,
    /// Deprecated: use --frozen-lockfile.
    #[arg(long, hide = true)]
    experimental_frozen_lockfile: bool,
    /// More Features to install, as a JSON object like devcontainer.json's "features".
    #[arg(long)]
    additional_features: Option<String>,
    /// Do not map legacy short Feature ids (`node`) to ghcr.io/devcontainers/features.
    #[arg(long, hide = true)]
    skip_feature_auto_mapping: bool,
}

impl FeatureArgs {
    fn options(&self) -> Result<FeatureOptions, EngineError> {
        if self.experimental_lockfile {
            tracing::warn!("--experimental-lockfile is deprecated: lock files are written by default");
        }
        if self.experimental_frozen_lockfile {
            tracing::warn!("--experimental-frozen-lockfile is deprecated: use --frozen-lockfile");
        }
        let frozen = self.frozen_lockfile || self.experimental_frozen_lockfile;
        if self.no_lockfile && frozen {
            return Err(EngineError::Invalid("--no-lockfile and --frozen-lockfile cannot be used together; choose one".into()));
        }
        let lockfile = match (self.no_lockfile, frozen) {
            (true, _) => LockfileMode::Disabled,
            (_, true) => LockfileMode::Frozen,
            _ => LockfileMode::Update,
        };
        let additional = match &self.additional_features {
            Some(text) => devc_features::resolve::parse_additional(text)?,
            None => Default::default(),
        };
        Ok(FeatureOptions { lockfile, additional, skip_auto_mapping: self.skip_feature_auto_mapping })
    }
}

#[derive(clap::Args, Debug)]
pub struct UpArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Remove the existing container and create a new one.
    #[arg(long)]
    remove_existing_container: bool,
    /// Build the image without the Docker build cache.
    #[arg(long)]
    build_no_cache: bool,
    /// Fail if the container does not exist yet.
    #[arg(long)]
    expect_existing_container: bool,
    /// Do not run onCreate/updateContent/postCreate/postStart/postAttach.
    #[arg(long)]
    skip_post_create: bool,
    /// Do not run postAttachCommand.
    #[arg(long)]
    skip_post_attach: bool,
    /// Stop after the `waitFor` hook.
    #[arg(long)]
    skip_non_blocking_commands: bool,
    /// Stop after updateContentCommand.
    #[arg(long)]
    prebuild: bool,
    /// Extra remote environment `name=value` (repeatable).
    #[arg(long)]
    remote_env: Vec<String>,
    /// Extra mount in `docker --mount` syntax (repeatable).
    #[arg(long)]
    mount: Vec<String>,
    /// Default userEnvProbe when the config sets none.
    #[arg(long, value_enum, default_value_t = ProbeArg::LoginInteractiveShell)]
    default_user_env_probe: ProbeArg,
    /// Default of updateRemoteUserUID.
    #[arg(long, value_enum, default_value_t = UidDefault::On)]
    update_remote_user_uid_default: UidDefault,
    /// Include the configuration in the result.
    #[arg(long)]
    include_configuration: bool,
    /// Include the merged configuration in the result.
    #[arg(long)]
    include_merged_configuration: bool,
    #[command(flatten)]
    features: FeatureArgs,
}

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Image name(s) to tag the result with (repeatable).
    #[arg(long = "image-name")]
    image_names: Vec<String>,
    /// Build without the Docker build cache.
    #[arg(long)]
    no_cache: bool,
    #[command(flatten)]
    features: FeatureArgs,
}

#[derive(clap::Args, Debug)]
pub struct ExecArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Extra remote environment `name=value` (repeatable).
    #[arg(long)]
    remote_env: Vec<String>,
    /// Default userEnvProbe when the config sets none.
    #[arg(long, value_enum, default_value_t = ProbeArg::LoginInteractiveShell)]
    default_user_env_probe: ProbeArg,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    command: Vec<String>,
}

#[derive(clap::Args, Debug)]
pub struct RunUserCommandsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[arg(long)]
    remote_env: Vec<String>,
    #[arg(long, value_enum, default_value_t = ProbeArg::LoginInteractiveShell)]
    default_user_env_probe: ProbeArg,
    #[arg(long)]
    skip_non_blocking_commands: bool,
    #[arg(long)]
    skip_post_attach: bool,
    #[arg(long)]
    prebuild: bool,
    /// Stop after postCreateCommand.
    #[arg(long)]
    stop_for_personalization: bool,
}

#[derive(clap::Args, Debug)]
pub struct DownArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Also remove the container's anonymous volumes.
    #[arg(long)]
    remove_volumes: bool,
}

fn runtime() -> Result<tokio::runtime::Runtime, EngineError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| EngineError::Invalid(format!("cannot start the async runtime: {e}")))
}

/// Runs `f` with the chosen runtime, connected, and prints its result line (or the error line).
fn with_runtime<F, Fut>(choice: &RuntimeChoice, description: &str, f: F) -> ExitCode
where
    F: FnOnce(Backend) -> Fut,
    Fut: std::future::Future<Output = Result<Value, EngineError>>,
{
    let result = runtime().and_then(|rt| {
        rt.block_on(async {
            let backend = choice.connect().await?;
            f(backend).await
        })
    });
    match result {
        Ok(v) => {
            super::print_json(&v);
            ExitCode::SUCCESS
        }
        Err(e) => {
            super::print_error(&e.to_string(), description);
            ExitCode::FAILURE
        }
    }
}

pub fn up(args: UpArgs) -> ExitCode {
    let (load, features) = match args.common.load().and_then(|l| Ok((l, args.features.options()?))) {
        Ok(l) => l,
        Err(e) => return fail(e, "An error occurred setting up the container."),
    };
    let opts = UpOptions {
        load,
        remove_existing_container: args.remove_existing_container,
        build_no_cache: args.build_no_cache,
        expect_existing_container: args.expect_existing_container,
        skip_post_create: args.skip_post_create,
        skip_post_attach: args.skip_post_attach,
        skip_non_blocking: args.skip_non_blocking_commands,
        prebuild: args.prebuild,
        remote_env: args.remote_env,
        mounts: args.mount,
        include_configuration: args.include_configuration,
        include_merged_configuration: args.include_merged_configuration,
        default_user_env_probe: args.default_user_env_probe.into(),
        update_remote_user_uid: args.update_remote_user_uid_default != UidDefault::Never,
        features,
    };
    with_runtime(&args.common.runtime_choice(), "An error occurred setting up the container.", |rt| async move {
        Ok(up::up(&rt, &opts).await?.to_json())
    })
}

pub fn build(args: BuildArgs) -> ExitCode {
    let (load, features) = match args.common.load().and_then(|l| Ok((l, args.features.options()?))) {
        Ok(l) => l,
        Err(e) => return fail(e, "An error occurred building the container."),
    };
    let opts = BuildOptions { load, image_names: args.image_names, no_cache: args.no_cache, features };
    with_runtime(&args.common.runtime_choice(), "An error occurred building the container.", |rt| async move {
        let names = manage::build(&rt, &opts).await?;
        Ok(json!({"outcome": "success", "imageName": names}))
    })
}

pub fn run_user_commands(args: RunUserCommandsArgs) -> ExitCode {
    let load = match args.common.load() {
        Ok(l) => l,
        Err(e) => return fail(e, "An error occurred running user commands in the container."),
    };
    let opts = RunUserCommandsOptions {
        load,
        remote_env: args.remote_env,
        default_user_env_probe: args.default_user_env_probe.into(),
        lifecycle: LifecycleOptions {
            skip_non_blocking: args.skip_non_blocking_commands,
            skip_post_attach: args.skip_post_attach,
            prebuild: args.prebuild,
            stop_for_personalization: args.stop_for_personalization,
            ..Default::default()
        },
    };
    with_runtime(&args.common.runtime_choice(), "An error occurred running user commands in the container.", |rt| async move {
        let outcome = manage::run_user_commands(&rt, &opts).await?;
        Ok(json!({"outcome": "success", "result": outcome.as_str()}))
    })
}

pub fn stop(args: CommonArgs) -> ExitCode {
    let load = match args.load() {
        Ok(l) => l,
        Err(e) => return fail(e, "An error occurred stopping the container."),
    };
    with_runtime(&args.runtime_choice(), "An error occurred stopping the container.", |rt| async move {
        let id = manage::stop(&rt, &load).await?;
        Ok(json!({"outcome": "success", "containerId": id}))
    })
}

pub fn down(args: DownArgs) -> ExitCode {
    let load = match args.common.load() {
        Ok(l) => l,
        Err(e) => return fail(e, "An error occurred removing the container."),
    };
    with_runtime(&args.common.runtime_choice(), "An error occurred removing the container.", |rt| async move {
        let id = manage::down(&rt, &load, args.remove_volumes).await?;
        Ok(json!({"outcome": "success", "containerId": id}))
    })
}

pub fn shutdown(args: CommonArgs) -> ExitCode {
    let load = match args.load() {
        Ok(l) => l,
        Err(e) => return fail(e, "An error occurred shutting down the container."),
    };
    with_runtime(&args.runtime_choice(), "An error occurred shutting down the container.", |rt| async move {
        let (action, id) = manage::shutdown(&rt, &load).await?;
        let action = match action {
            devc_config::model::ShutdownAction::None => "none",
            devc_config::model::ShutdownAction::StopContainer => "stopContainer",
            devc_config::model::ShutdownAction::StopCompose => "stopCompose",
        };
        Ok(json!({"outcome": "success", "shutdownAction": action, "containerId": id}))
    })
}

pub fn status(args: CommonArgs) -> ExitCode {
    let load = match args.load() {
        Ok(l) => l,
        Err(e) => return fail(e, "An error occurred reading the container status."),
    };
    with_runtime(&args.runtime_choice(), "An error occurred reading the container status.", |rt| async move {
        let s = manage::status(&rt, &load).await?;
        Ok(json!({
            "outcome": "success",
            "containerId": s.container_id,
            "state": if s.container_id.is_some() { s.state.as_str() } else { "not created" },
            "running": s.running,
            "startedAt": s.started_at,
            "configChanged": s.config_changed,
        }))
    })
}

/// `exec` prints no JSON: the command's own output and exit code are the result.
pub fn exec(args: ExecArgs) -> ExitCode {
    let load = match args.common.load() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("devc exec: {e}");
            return ExitCode::FAILURE;
        }
    };
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let opts = ExecOptions {
        load,
        remote_env: args.remote_env,
        default_user_env_probe: args.default_user_env_probe.into(),
        command: args.command,
        tty,
        forward_stdin: true,
    };
    let choice = args.common.runtime_choice();
    let raw = if tty { RawTerminal::enter() } else { None };
    let result = runtime().and_then(|rt| {
        rt.block_on(async {
            let backend = choice.connect().await?;
            devc_engine::exec::exec(&backend, &opts).await
        })
    });
    drop(raw);
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("devc exec: {e}");
            ExitCode::FAILURE
        }
    }
}

fn fail(e: EngineError, description: &str) -> ExitCode {
    super::print_error(&e.to_string(), description);
    ExitCode::FAILURE
}

/// Puts the local terminal in raw mode (keys go straight to the container's
/// TTY) and restores the saved settings when dropped.
struct RawTerminal {
    saved: String,
}

impl RawTerminal {
    fn enter() -> Option<RawTerminal> {
        let stty = |args: &[&str]| {
            std::process::Command::new("stty").args(args).stdin(std::process::Stdio::inherit()).output().ok()
        };
        let saved = stty(&["-g"]).filter(|o| o.status.success())?;
        let saved = String::from_utf8_lossy(&saved.stdout).trim().to_string();
        stty(&["raw", "-echo"])?;
        Some(RawTerminal { saved })
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        let _ = std::process::Command::new("stty").arg(&self.saved).stdin(std::process::Stdio::inherit()).status();
    }
}

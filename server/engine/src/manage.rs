//! The commands around `up`: `build` (the image only), `run-user-commands`
//! (hooks in an existing container), and `stop`, `down` and `shutdown`, which
//! the reference CLI lacks.

use crate::features::FeatureOptions;
use crate::image;
use crate::lifecycle::{LifecycleOptions, LifecycleOutcome};
use crate::load::{find_container, LoadOptions, Loaded};
use crate::up::{attach, run_hooks};
use crate::EngineError;
use devc_config::model::{ShutdownAction, UserEnvProbe};
use devc_config::ConfigKind;
use devc_runtime::{ContainerDetails, Runtime};

#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    pub load: LoadOptions,
    /// `--image-name` (repeatable); default: the reference's `vsc-<folder>-<hash>`.
    pub image_names: Vec<String>,
    pub no_cache: bool,
    /// `--no-lockfile`, `--frozen-lockfile`, `--additional-features`, …
    pub features: FeatureOptions,
}

/// Builds (Dockerfile, Features) or makes sure of (image) the config's image,
/// labelled with its metadata, and returns the image names.
pub async fn build<R: Runtime>(rt: &R, opts: &BuildOptions) -> Result<Vec<String>, EngineError> {
    let loaded = Loaded::load(&opts.load)?;
    let resolved = loaded.resolve()?;
    let model = Loaded::model(&resolved)?;
    match model.kind() {
        ConfigKind::Dockerfile | ConfigKind::Image => {
            let request = image::DevImageRequest {
                config_file: &loaded.config_file,
                workspace_folder: &loaded.workspace_folder,
                config: &model,
                resolved: &resolved,
                names: &opts.image_names,
                no_cache: opts.no_cache,
                features: &opts.features,
            };
            let dev = image::dev_image(rt, &request).await?;
            if dev.built || opts.image_names.is_empty() {
                return Ok(dev.names);
            }
            // An image config without Features to install: re-label the image
            // under the requested names with the config's metadata.
            image::relabel(rt, &dev.names[0], &opts.image_names, dev.label, &dev.details.user).await?;
            Ok(opts.image_names.clone())
        }
        ConfigKind::Compose => Err(EngineError::Invalid("Docker Compose configurations are not supported by `devc build` yet".into())),
        ConfigKind::None => Err(EngineError::Invalid("the configuration has neither \"image\" nor \"build\"; nothing to build".into())),
    }
}

#[derive(Clone, Debug)]
pub struct RunUserCommandsOptions {
    pub load: LoadOptions,
    pub remote_env: Vec<String>,
    pub default_user_env_probe: UserEnvProbe,
    pub lifecycle: LifecycleOptions,
}

/// Runs the lifecycle hooks that are due in the workspace's (running) container.
pub async fn run_user_commands<R: Runtime>(rt: &R, opts: &RunUserCommandsOptions) -> Result<LifecycleOutcome, EngineError> {
    let loaded = Loaded::load(&opts.load)?;
    let container = running_container(rt, &loaded).await?;
    let attached = attach(&loaded, container)?;
    run_hooks(rt, &attached, &opts.remote_env, opts.default_user_env_probe, opts.lifecycle.clone()).await
}

async fn running_container<R: Runtime>(rt: &R, loaded: &Loaded) -> Result<ContainerDetails, EngineError> {
    let c = find_container(rt, loaded).await?.ok_or_else(|| EngineError::NoContainer { labels: loaded.describe_labels() })?;
    if !c.state.running {
        return Err(EngineError::Invalid(format!("the dev container {} is not running; run `devc up` first", short(&c.id))));
    }
    Ok(c)
}

/// Stops the workspace's container; `None` when there is none.
pub async fn stop<R: Runtime>(rt: &R, load: &LoadOptions) -> Result<Option<String>, EngineError> {
    let loaded = Loaded::load(load)?;
    let Some(c) = find_container(rt, &loaded).await? else { return Ok(None) };
    if c.state.running {
        tracing::info!("Stopping container {}", short(&c.id));
        rt.stop_container(&c.id, None).await?;
    }
    Ok(Some(c.id))
}

/// Stops and removes the workspace's container (and its anonymous volumes with
/// `remove_volumes`); `None` when there is none.
pub async fn down<R: Runtime>(rt: &R, load: &LoadOptions, remove_volumes: bool) -> Result<Option<String>, EngineError> {
    let loaded = Loaded::load(load)?;
    let Some(c) = find_container(rt, &loaded).await? else { return Ok(None) };
    tracing::info!("Removing container {}", short(&c.id));
    rt.remove_container(&c.id, true, remove_volumes).await?;
    crate::env_probe::forget_container(&crate::env_probe::default_cache_dir(), &c.id);
    crate::lifecycle::forget_container(&c.id);
    Ok(Some(c.id))
}

/// What an editor calls when it closes the workspace: honours `shutdownAction`
/// (`stopContainer`, the default, or `none`). Returns the action and the container.
pub async fn shutdown<R: Runtime>(rt: &R, load: &LoadOptions) -> Result<(ShutdownAction, Option<String>), EngineError> {
    let loaded = Loaded::load(load)?;
    let Some(c) = find_container(rt, &loaded).await? else {
        return Ok((ShutdownAction::None, None));
    };
    let attached = attach(&loaded, c)?;
    let action = match attached.merged.get("shutdownAction").and_then(|v| v.as_str()) {
        Some("none") => ShutdownAction::None,
        _ => ShutdownAction::StopContainer,
    };
    if action == ShutdownAction::StopContainer && attached.container.state.running {
        tracing::info!("Stopping container {} (shutdownAction)", short(&attached.container.id));
        rt.stop_container(&attached.container.id, None).await?;
    }
    Ok((action, Some(attached.container.id)))
}

/// What an editor shows about a workspace's dev container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub container_id: Option<String>,
    /// `running`, `exited`, … (empty when there is no container).
    pub state: String,
    pub running: bool,
    /// When the running container started (the daemon's timestamp).
    pub started_at: String,
    /// The config, Dockerfile or compose files changed since the container was made.
    pub config_changed: bool,
}

/// The container's state and whether its configuration changed since `up`.
/// Reads only: nothing is started or run.
pub async fn status<R: Runtime>(rt: &R, load: &LoadOptions) -> Result<Status, EngineError> {
    let loaded = Loaded::load(load)?;
    let Some(c) = find_container(rt, &loaded).await? else {
        return Ok(Status { container_id: None, state: String::new(), running: false, started_at: String::new(), config_changed: false });
    };
    let model = Loaded::model(&loaded.resolve()?)?;
    let recorded = c.labels.get(crate::up::CONFIG_HASH_LABEL);
    let config_changed = recorded.is_some_and(|h| *h != crate::up::config_hash(&loaded, &model));
    Ok(Status {
        container_id: Some(c.id.clone()),
        state: c.state.status.clone(),
        running: c.state.running,
        started_at: c.state.started_at.clone(),
        config_changed,
    })
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

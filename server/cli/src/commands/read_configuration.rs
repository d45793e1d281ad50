//! `devc read-configuration`: the reference CLI's output
//! (`{"configuration","workspace","mergedConfiguration"?}`) for a config file.
//! When Docker answers and the workspace's container exists, `${containerEnv:…}`
//! and `${devcontainerId}` are filled in and the merge uses the container's
//! metadata; otherwise the merge reads the base image's label when it can and
//! resolves the config's Features (as `up` would, without writing the lock
//! file), and says on stderr what it could not get.

use crate::LogArgs;
use devc_engine::image;
use devc_engine::load::{find_container, LoadOptions, Loaded};
use devc_engine::EngineError;
use devc_config::{ConfigKind, ResolvedConfig};
use devc_runtime::{Backend, Runtime};
use indexmap::IndexMap;
use serde_json::Value;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    location: super::ConfigArgs,
    /// Id label(s) `name=value` identifying the container (replace the default ones).
    #[arg(long = "id-label")]
    id_labels: Vec<String>,
    /// Mount the workspace using its git root.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    mount_workspace_git_root: bool,
    /// Mount the git worktree common dir for relative gitdir paths.
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    mount_git_worktree_common_dir: bool,
    /// Include the configuration merged with the image's metadata in the result.
    #[arg(long)]
    include_merged_configuration: bool,
    #[command(flatten)]
    runtime: super::engine::RuntimeArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

pub fn run(args: Args) -> ExitCode {
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| EngineError::Invalid(format!("cannot start the async runtime: {e}")))
        .and_then(|rt| rt.block_on(read(&args)));
    match result {
        Ok(output) => {
            super::print_json(&output);
            ExitCode::SUCCESS
        }
        Err(e) => {
            super::print_error(&e.to_string(), "An error occurred reading the configuration.");
            ExitCode::FAILURE
        }
    }
}

async fn read(args: &Args) -> Result<Value, EngineError> {
    let (workspace_folder, _) = args.location.locate()?;
    let mut loaded = Loaded::load(&LoadOptions {
        workspace_folder,
        config: args.location.config.clone(),
        id_labels: args.id_labels.clone(),
        mount_workspace_git_root: args.mount_workspace_git_root,
    })?;
    loaded.options.workspace.mount_git_worktree_common_dir = args.mount_git_worktree_common_dir;
    tracing::debug!(config = %loaded.config_file.display(), "reading configuration");

    // The runtime is optional: without it there is simply no container to look at.
    let docker = match Backend::connect(args.runtime.kind(), args.runtime.bridge.as_deref()).await {
        Ok(d) => Some(d),
        Err(e) => {
            if args.include_merged_configuration {
                tracing::warn!("mergedConfiguration is computed without image or container metadata: {e}");
            } else {
                tracing::debug!("no container lookup: {e}");
            }
            None
        }
    };
    let container = match &docker {
        Some(d) => find_container(d, &loaded).await?,
        None => None,
    };
    let resolved = match &container {
        Some(c) => loaded.resolve_for(c)?,
        None => loaded.resolve_without_container()?,
    };
    for w in &resolved.warnings {
        tracing::warn!("{}: {}", loaded.config_file.display(), w.message);
    }
    let merged = if args.include_merged_configuration {
        let entries = match (&container, &docker) {
            (Some(c), _) => {
                let labels: IndexMap<String, String> = c.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                resolved.container_metadata_entries(&labels, &[])?
            }
            (None, Some(d)) => {
                let base = base_image_entries(d, &loaded, &resolved).await;
                let features = feature_entries(&loaded, &resolved, &base).await;
                resolved.metadata_entries(&base, &features)?
            }
            (None, None) => resolved.metadata_entries(&[], &feature_entries(&loaded, &resolved, &[]).await)?,
        };
        Some(resolved.merged_configuration(&entries))
    } else {
        None
    };
    Ok(resolved.to_output_with(merged.as_ref(), None))
}

/// The raw metadata entries of the image the config starts from (the image, or
/// the Dockerfile's base image); none, with a warning saying why, when unknown.
async fn base_image_entries<R: Runtime>(rt: &R, loaded: &Loaded, resolved: &ResolvedConfig) -> Vec<Value> {
    let result = async {
        let model = Loaded::model(resolved)?;
        match model.kind() {
            ConfigKind::Image => {
                let image = model.image.clone().unwrap_or_default();
                image::metadata_entries(&rt.inspect_image(&image).await?)
            }
            ConfigKind::Dockerfile => image::dockerfile_base_entries(rt, &model, &loaded.config_file).await,
            ConfigKind::Compose => Err(EngineError::Invalid("Docker Compose configs are not read by devc yet".into())),
            ConfigKind::None => Ok(Vec::new()),
        }
    };
    result.await.unwrap_or_else(|e| {
        tracing::warn!("mergedConfiguration is computed without base image metadata: {e}");
        Vec::new()
    })
}

/// The metadata entries of the config's Features that the base image does not
/// already have, in install order, as `up` would add them (the lock file pins
/// versions but is not written); none, with a warning, when they cannot be resolved.
async fn feature_entries(loaded: &Loaded, resolved: &ResolvedConfig, base: &[Value]) -> Vec<Value> {
    let mut request = devc_features::resolve::request_from_config(&resolved.configuration, &loaded.config_file, &loaded.workspace_folder);
    if request.features.is_empty() {
        return Vec::new();
    }
    request.lockfile = devc_features::LockfileMode::Update;
    let resolver = devc_features::Resolver::new(devc_features::cache::Cache::default_location());
    match resolver.resolve(&request).await {
        Ok(resolution) => devc_engine::features::entries(&devc_engine::features::not_installed(resolution.features, base, "the base image")),
        Err(e) => {
            tracing::warn!("mergedConfiguration is computed without the Features' metadata: {e}");
            Vec::new()
        }
    }
}

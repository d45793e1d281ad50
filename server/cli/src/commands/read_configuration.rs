//! `devc read-configuration`: the reference CLI's output
//! (`{"configuration","workspace","mergedConfiguration"?}`) for a config file.
//! The merged configuration reads the base image's `devcontainer.metadata` label
//! from Docker when it can, and says so on stderr when it cannot.

use crate::LogArgs;
use devc_config::read_configuration::ReadConfigurationOptions;
use devc_config::dockerfile::{self, Dockerfile, PlatformInfo};
use devc_config::{ConfigDocument, ConfigError, DevContainerConfig, ResolvedConfig};
use serde_json::Value;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    location: super::ConfigArgs,
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
    pub log: LogArgs,
}

pub fn run(args: Args) -> ExitCode {
    match read(&args) {
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

fn read(args: &Args) -> Result<Value, ConfigError> {
    let (ws, found) = args.location.locate()?;
    tracing::debug!(config = %found.path.display(), "reading configuration");
    let doc = ConfigDocument::read(&found.path)?;
    let value = doc.value()?;
    let mut opts = ReadConfigurationOptions::new(Some(ws), found.path.clone(), found.source);
    opts.workspace.mount_workspace_git_root = args.mount_workspace_git_root;
    opts.workspace.mount_git_worktree_common_dir = args.mount_git_worktree_common_dir;
    let resolved = devc_config::read_configuration(value, &opts)?;
    for w in &resolved.warnings {
        tracing::warn!("{}: {}", found.path.display(), w.message);
    }
    let merged = if args.include_merged_configuration {
        let base = base_image_metadata(&resolved, &found.path);
        let entries = resolved.metadata_entries(&base, &[])?;
        Some(resolved.merged_configuration(&entries))
    } else {
        None
    };
    Ok(resolved.to_output_with(merged.as_ref(), None))
}

/// The base image's metadata entries (raw), or none with a warning saying why.
fn base_image_metadata(resolved: &ResolvedConfig, config_file: &std::path::Path) -> Vec<Value> {
    let image = match base_image(resolved, config_file) {
        Ok(Some(image)) => image,
        Ok(None) => return Vec::new(),
        Err(why) => {
            tracing::warn!("mergedConfiguration is computed without base image metadata: {why}");
            return Vec::new();
        }
    };
    let details = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string()).and_then(|rt| {
        rt.block_on(async {
            let docker = devc_runtime::Docker::connect().await.map_err(|e| e.to_string())?;
            docker.inspect_image(&image).await.map_err(|e| e.to_string())
        })
    });
    match details {
        Ok(details) => match details.labels.get(devc_config::METADATA_LABEL) {
            Some(label) => devc_config::parse_metadata_label(label).unwrap_or_else(|e| {
                tracing::warn!("image {image}: {e}");
                Vec::new()
            }),
            None => Vec::new(),
        },
        Err(why) => {
            tracing::warn!("mergedConfiguration is computed without the metadata of image {image}: {why}");
            Vec::new()
        }
    }
}

/// The image whose metadata label applies: `image`, or the Dockerfile's base image.
fn base_image(resolved: &ResolvedConfig, config_file: &std::path::Path) -> Result<Option<String>, String> {
    let config = DevContainerConfig::from_value(&resolved.configuration).map_err(|e| e.to_string())?;
    match config.kind() {
        devc_config::ConfigKind::Image => Ok(config.image.clone()),
        devc_config::ConfigKind::Dockerfile => {
            let path = config.dockerfile_path(config_file).ok_or("no Dockerfile path")?;
            let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let dockerfile = Dockerfile::parse(&text);
            let host = host_platform();
            let platform = dockerfile::platform_args(&host, &host);
            Ok(dockerfile::find_base_image(&dockerfile, &config.build_args(), config.build_target(), &platform))
        }
        devc_config::ConfigKind::Compose => Err("Docker Compose configs are not read by devc yet".to_string()),
        devc_config::ConfigKind::None => Ok(None),
    }
}

/// The machine's platform in Docker's terms (for BUILDPLATFORM/TARGETPLATFORM).
fn host_platform() -> PlatformInfo {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    PlatformInfo { os: "linux".to_string(), arch: arch.to_string(), variant: None }
}

//! What every engine command starts with: locate and read the config, compute
//! the id labels, and find the workspace's container by them. Once a container
//! is known the config is resolved again with `${devcontainerId}` and
//! `${containerEnv:…}` filled in, as the reference does.

use crate::EngineError;
use devc_config::read_configuration::{ContainerContext, ReadConfigurationOptions};
use devc_config::{ConfigDocument, ConfigSource, DevContainerConfig, ResolvedConfig};
use devc_runtime::{ContainerDetails, Runtime};
use indexmap::IndexMap;
use serde_json::Value;
use std::path::PathBuf;

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Absolute workspace folder.
    pub workspace_folder: PathBuf,
    /// `--config`, absolute or relative to the current directory.
    pub config: Option<PathBuf>,
    /// `--id-label k=v` (replaces the default id labels).
    pub id_labels: Vec<String>,
    pub mount_workspace_git_root: bool,
}

pub struct Loaded {
    pub workspace_folder: PathBuf,
    pub config_file: PathBuf,
    pub source: ConfigSource,
    /// The document as parsed (before substitution).
    pub document: Value,
    pub options: ReadConfigurationOptions,
    pub id_labels: IndexMap<String, String>,
}

impl Loaded {
    pub fn load(o: &LoadOptions) -> Result<Loaded, EngineError> {
        let found = devc_config::discover_config(&o.workspace_folder, o.config.as_deref())?;
        let document = ConfigDocument::read(&found.path)?.value()?;
        let id_labels = if o.id_labels.is_empty() {
            devc_config::id_labels(&o.workspace_folder, &found.path)
        } else {
            for l in &o.id_labels {
                if !l.contains('=') || l.starts_with('=') || l.ends_with('=') {
                    return Err(EngineError::Invalid(format!("--id-label {l}: expected key=value")));
                }
            }
            devc_config::labels_from_list(&o.id_labels)
        };
        let mut options = ReadConfigurationOptions::new(Some(o.workspace_folder.clone()), found.path.clone(), found.source);
        options.workspace.mount_workspace_git_root = o.mount_workspace_git_root;
        options.id_labels = Some(id_labels.clone());
        Ok(Loaded {
            workspace_folder: o.workspace_folder.clone(),
            config_file: found.path,
            source: found.source,
            document,
            options,
            id_labels,
        })
    }

    pub fn devcontainer_id(&self) -> String {
        devc_config::devcontainer_id(&self.id_labels)
    }

    /// The config before a container exists (`${devcontainerId}` known, `${containerEnv}` literal).
    pub fn resolve(&self) -> Result<ResolvedConfig, EngineError> {
        Ok(devc_config::read_configuration(self.document.clone(), &self.options)?)
    }

    /// The config as `read-configuration` prints it without a container: both
    /// `${devcontainerId}` and `${containerEnv:…}` stay literal, as in the reference.
    pub fn resolve_without_container(&self) -> Result<ResolvedConfig, EngineError> {
        let mut options = self.options.clone();
        options.id_labels = None;
        Ok(devc_config::read_configuration(self.document.clone(), &options)?)
    }

    /// The config for an existing container (every variable phase applied).
    pub fn resolve_for(&self, container: &ContainerDetails) -> Result<ResolvedConfig, EngineError> {
        let mut options = self.options.clone();
        options.container = Some(ContainerContext {
            id_labels: self.id_labels.clone(),
            env: devc_config::labels_from_list(&container.env).into_iter().collect(),
        });
        Ok(devc_config::read_configuration(self.document.clone(), &options)?)
    }

    /// The typed model of a resolved configuration.
    pub fn model(resolved: &ResolvedConfig) -> Result<DevContainerConfig, EngineError> {
        Ok(DevContainerConfig::from_value(&resolved.configuration)?)
    }

    pub fn label_filter(&self) -> Vec<(String, String)> {
        self.id_labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn describe_labels(&self) -> String {
        self.id_labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
    }
}

/// The workspace's container (newest first when several carry the labels).
pub async fn find_container<R: Runtime>(rt: &R, loaded: &Loaded) -> Result<Option<ContainerDetails>, EngineError> {
    let found = rt.find_containers(&loaded.label_filter()).await?;
    Ok(found.into_iter().next())
}

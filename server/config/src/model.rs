//! Typed model of every devcontainer.json property, built from a `serde_json::Value`.
//! Unknown properties are collected (not errors); a known property with a bad value is
//! reported with its name. Also `ConfigKind` and path accessors the engine needs.

use crate::discovery::resolve_path;
use crate::error::ConfigError;
use crate::mount::{mount_from_value, Mount};
use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A string or a list of strings (`cacheFrom`, `dockerComposeFile`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StringOrArray {
    String(String),
    Array(Vec<String>),
}

impl StringOrArray {
    /// The values as a list (a single string is a one-element list).
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            StringOrArray::String(s) => vec![s.clone()],
            StringOrArray::Array(a) => a.clone(),
        }
    }
}

/// `build` of a Dockerfile config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildOptions {
    pub dockerfile: Option<String>,
    pub context: Option<String>,
    pub args: Option<IndexMap<String, String>>,
    pub target: Option<String>,
    pub cache_from: Option<StringOrArray>,
    pub options: Option<Vec<String>>,
    /// Unknown keys inside `build`.
    #[serde(flatten)]
    pub other: IndexMap<String, Value>,
}

/// One command: a shell string or an argv list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CommandSpec {
    /// Run with `/bin/sh -c`.
    Shell(String),
    /// Executed directly, no shell.
    Exec(Vec<String>),
}

impl CommandSpec {
    pub fn is_empty(&self) -> bool {
        match self {
            CommandSpec::Shell(s) => s.is_empty(),
            CommandSpec::Exec(a) => a.is_empty(),
        }
    }
}

/// A lifecycle hook value: string, argv list, or named commands run in parallel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LifecycleCommand {
    Shell(String),
    Exec(Vec<String>),
    Parallel(IndexMap<String, CommandSpec>),
}

impl LifecycleCommand {
    /// Empty string, list or object: the hook is skipped.
    pub fn is_empty(&self) -> bool {
        match self {
            LifecycleCommand::Shell(s) => s.is_empty(),
            LifecycleCommand::Exec(a) => a.is_empty(),
            LifecycleCommand::Parallel(m) => m.is_empty(),
        }
    }
}

/// The lifecycle hooks, in execution order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LifecycleHook {
    InitializeCommand,
    OnCreateCommand,
    UpdateContentCommand,
    PostCreateCommand,
    PostStartCommand,
    PostAttachCommand,
}

impl LifecycleHook {
    pub const ALL: [LifecycleHook; 6] = [
        LifecycleHook::InitializeCommand,
        LifecycleHook::OnCreateCommand,
        LifecycleHook::UpdateContentCommand,
        LifecycleHook::PostCreateCommand,
        LifecycleHook::PostStartCommand,
        LifecycleHook::PostAttachCommand,
    ];

    /// The property name.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleHook::InitializeCommand => "initializeCommand",
            LifecycleHook::OnCreateCommand => "onCreateCommand",
            LifecycleHook::UpdateContentCommand => "updateContentCommand",
            LifecycleHook::PostCreateCommand => "postCreateCommand",
            LifecycleHook::PostStartCommand => "postStartCommand",
            LifecycleHook::PostAttachCommand => "postAttachCommand",
        }
    }
}

/// `waitFor` (default `updateContentCommand`).
pub type WaitFor = LifecycleHook;

/// `userEnvProbe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UserEnvProbe {
    None,
    LoginShell,
    LoginInteractiveShell,
    InteractiveShell,
}

/// `shutdownAction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ShutdownAction {
    None,
    StopContainer,
    StopCompose,
}

/// Object form of a `mounts` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountObject {
    #[serde(rename = "type")]
    pub kind: String,
    pub source: Option<String>,
    pub target: Option<String>,
    pub external: Option<bool>,
}

/// A `mounts` entry as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MountSpec {
    String(String),
    Object(MountObject),
}

impl MountSpec {
    /// Parses and validates the entry.
    pub fn to_mount(&self) -> Result<Mount, ConfigError> {
        match self {
            MountSpec::String(s) => crate::mount::parse_mount(s),
            MountSpec::Object(o) => {
                mount_from_value(&serde_json::to_value(o).unwrap_or(Value::Null))
            }
        }
    }
}

/// A port: number or `host:port` string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PortValue {
    Number(u64),
    String(String),
}

/// `appPort`: one port or a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AppPort {
    Single(PortValue),
    List(Vec<PortValue>),
}

impl AppPort {
    pub fn to_vec(&self) -> Vec<PortValue> {
        match self {
            AppPort::Single(p) => vec![p.clone()],
            AppPort::List(l) => l.clone(),
        }
    }
}

/// `portsAttributes` values and `otherPortsAttributes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortAttributes {
    pub label: Option<String>,
    pub on_auto_forward: Option<String>,
    pub elevate_if_needed: Option<bool>,
    pub require_local_port: Option<bool>,
    pub protocol: Option<String>,
    #[serde(flatten)]
    pub other: IndexMap<String, Value>,
}

/// A `features` value: `true`/`false`, a version string, or an options object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FeatureValue {
    Enabled(bool),
    Version(String),
    Options(IndexMap<String, Value>),
}

/// `hostRequirements.gpu`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuRequirement {
    Required(bool),
    Optional,
    Detailed {
        cores: Option<u64>,
        memory: Option<String>,
    },
}

impl<'de> Deserialize<'de> for GpuRequirement {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        struct Detailed {
            cores: Option<u64>,
            memory: Option<String>,
        }
        match Value::deserialize(d)? {
            Value::Bool(b) => Ok(GpuRequirement::Required(b)),
            Value::String(s) if s == "optional" => Ok(GpuRequirement::Optional),
            v @ Value::Object(_) => {
                let x: Detailed = serde_json::from_value(v).map_err(D::Error::custom)?;
                Ok(GpuRequirement::Detailed {
                    cores: x.cores,
                    memory: x.memory,
                })
            }
            other => Err(D::Error::custom(format!(
                "expected true, false, \"optional\" or {{cores, memory}}, found {other}"
            ))),
        }
    }
}

/// `hostRequirements`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct HostRequirements {
    pub cpus: Option<u64>,
    /// `^\d+([tgmk]b)?$`
    pub memory: Option<String>,
    pub storage: Option<String>,
    pub gpu: Option<GpuRequirement>,
}

/// A `secrets` recommendation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretSpec {
    pub description: Option<String>,
    pub documentation_url: Option<String>,
}

/// Which kind of dev container a config describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    Image,
    Dockerfile,
    Compose,
    /// None of `image`, `build.dockerfile`/`dockerFile`, `dockerComposeFile`.
    None,
}

/// A known property whose value has the wrong shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyError {
    pub property: String,
    pub message: String,
}

/// Every devcontainer.json property. `None` = absent (or `null`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DevContainerConfig {
    pub schema: Option<String>,
    pub name: Option<String>,
    // Image / Dockerfile / Compose
    pub image: Option<String>,
    pub build: Option<BuildOptions>,
    /// Legacy top-level `dockerFile`.
    pub docker_file: Option<String>,
    /// Legacy top-level `context` (with `dockerFile`).
    pub context: Option<String>,
    pub docker_compose_file: Option<StringOrArray>,
    pub service: Option<String>,
    pub run_services: Option<Vec<String>>,
    // Lifecycle
    pub initialize_command: Option<LifecycleCommand>,
    pub on_create_command: Option<LifecycleCommand>,
    pub update_content_command: Option<LifecycleCommand>,
    pub post_create_command: Option<LifecycleCommand>,
    pub post_start_command: Option<LifecycleCommand>,
    pub post_attach_command: Option<LifecycleCommand>,
    pub wait_for: Option<WaitFor>,
    // Environment and users
    pub container_env: Option<IndexMap<String, String>>,
    pub remote_env: Option<IndexMap<String, Option<String>>>,
    pub container_user: Option<String>,
    pub remote_user: Option<String>,
    pub user_env_probe: Option<UserEnvProbe>,
    pub update_remote_user_uid: Option<bool>,
    // Container options
    pub mounts: Option<Vec<MountSpec>>,
    pub workspace_mount: Option<String>,
    pub workspace_folder: Option<String>,
    pub run_args: Option<Vec<String>>,
    pub init: Option<bool>,
    pub privileged: Option<bool>,
    pub cap_add: Option<Vec<String>>,
    pub security_opt: Option<Vec<String>>,
    pub override_command: Option<bool>,
    pub shutdown_action: Option<ShutdownAction>,
    // Ports
    pub app_port: Option<AppPort>,
    pub forward_ports: Option<Vec<PortValue>>,
    pub ports_attributes: Option<IndexMap<String, PortAttributes>>,
    pub other_ports_attributes: Option<PortAttributes>,
    // Features
    pub features: Option<IndexMap<String, FeatureValue>>,
    pub override_feature_install_order: Option<Vec<String>>,
    // Other
    pub host_requirements: Option<HostRequirements>,
    pub customizations: Option<serde_json::Map<String, Value>>,
    pub secrets: Option<IndexMap<String, SecretSpec>>,
    // Legacy VS Code properties (moved into customizations.vscode by read-configuration)
    pub extensions: Option<Vec<String>>,
    pub settings: Option<serde_json::Map<String, Value>>,
    pub dev_port: Option<u64>,
    /// Properties this model does not know, in document order.
    pub unknown: serde_json::Map<String, Value>,
}

fn set<T: DeserializeOwned>(
    slot: &mut Option<T>,
    key: &str,
    v: &Value,
    errors: &mut Vec<PropertyError>,
) {
    match serde_json::from_value::<Option<T>>(v.clone()) {
        Ok(x) => *slot = x,
        Err(e) => errors.push(PropertyError {
            property: key.to_string(),
            message: shape_message(key, v, &e),
        }),
    }
}

fn shape_message(key: &str, v: &Value, e: &serde_json::Error) -> String {
    let expected = match key {
        "initializeCommand" | "onCreateCommand" | "updateContentCommand" | "postCreateCommand" | "postStartCommand"
        | "postAttachCommand" => "a string, an array of strings, or an object of strings/arrays",
        "waitFor" => "one of initializeCommand, onCreateCommand, updateContentCommand, postCreateCommand, postStartCommand",
        "userEnvProbe" => "one of none, loginShell, loginInteractiveShell, interactiveShell",
        "shutdownAction" => "one of none, stopContainer, stopCompose",
        "mounts" => "an array of mount strings or {type, source, target} objects",
        "forwardPorts" => "an array of port numbers or \"host:port\" strings",
        "appPort" => "a port number, a string, or an array of them",
        "features" => "an object mapping feature ids to true/false, a version string, or an options object",
        "cacheFrom" | "dockerComposeFile" => "a string or an array of strings",
        _ => "",
    };
    if expected.is_empty() {
        format!("unexpected value {}: {e}", short(v))
    } else {
        format!("expected {expected}, found {}", short(v))
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

impl DevContainerConfig {
    /// Builds the model, keeping going past bad properties: they stay `None` and are
    /// returned as errors. A non-object document yields one error for property "".
    pub fn from_value_lenient(value: &Value) -> (Self, Vec<PropertyError>) {
        let mut c = DevContainerConfig::default();
        let mut errors = Vec::new();
        let Some(obj) = value.as_object() else {
            errors.push(PropertyError {
                property: String::new(),
                message: "the config must be a JSON object".into(),
            });
            return (c, errors);
        };
        for (key, v) in obj {
            let e = &mut errors;
            match key.as_str() {
                "$schema" => set(&mut c.schema, key, v, e),
                "name" => set(&mut c.name, key, v, e),
                "image" => set(&mut c.image, key, v, e),
                "build" => set(&mut c.build, key, v, e),
                "dockerFile" => set(&mut c.docker_file, key, v, e),
                "context" => set(&mut c.context, key, v, e),
                "dockerComposeFile" => set(&mut c.docker_compose_file, key, v, e),
                "service" => set(&mut c.service, key, v, e),
                "runServices" => set(&mut c.run_services, key, v, e),
                "initializeCommand" => set(&mut c.initialize_command, key, v, e),
                "onCreateCommand" => set(&mut c.on_create_command, key, v, e),
                "updateContentCommand" => set(&mut c.update_content_command, key, v, e),
                "postCreateCommand" => set(&mut c.post_create_command, key, v, e),
                "postStartCommand" => set(&mut c.post_start_command, key, v, e),
                "postAttachCommand" => set(&mut c.post_attach_command, key, v, e),
                "waitFor" => set(&mut c.wait_for, key, v, e),
                "containerEnv" => set(&mut c.container_env, key, v, e),
                "remoteEnv" => set(&mut c.remote_env, key, v, e),
                "containerUser" => set(&mut c.container_user, key, v, e),
                "remoteUser" => set(&mut c.remote_user, key, v, e),
                "userEnvProbe" => set(&mut c.user_env_probe, key, v, e),
                "updateRemoteUserUID" => set(&mut c.update_remote_user_uid, key, v, e),
                "mounts" => set(&mut c.mounts, key, v, e),
                "workspaceMount" => set(&mut c.workspace_mount, key, v, e),
                "workspaceFolder" => set(&mut c.workspace_folder, key, v, e),
                "runArgs" => set(&mut c.run_args, key, v, e),
                "init" => set(&mut c.init, key, v, e),
                "privileged" => set(&mut c.privileged, key, v, e),
                "capAdd" => set(&mut c.cap_add, key, v, e),
                "securityOpt" => set(&mut c.security_opt, key, v, e),
                "overrideCommand" => set(&mut c.override_command, key, v, e),
                "shutdownAction" => set(&mut c.shutdown_action, key, v, e),
                "appPort" => set(&mut c.app_port, key, v, e),
                "forwardPorts" => set(&mut c.forward_ports, key, v, e),
                "portsAttributes" => set(&mut c.ports_attributes, key, v, e),
                "otherPortsAttributes" => set(&mut c.other_ports_attributes, key, v, e),
                "features" => set(&mut c.features, key, v, e),
                "overrideFeatureInstallOrder" => {
                    set(&mut c.override_feature_install_order, key, v, e)
                }
                "hostRequirements" => set(&mut c.host_requirements, key, v, e),
                "customizations" => set(&mut c.customizations, key, v, e),
                "secrets" => set(&mut c.secrets, key, v, e),
                "extensions" => set(&mut c.extensions, key, v, e),
                "settings" => set(&mut c.settings, key, v, e),
                "devPort" => set(&mut c.dev_port, key, v, e),
                _ => {
                    c.unknown.insert(key.clone(), v.clone());
                }
            }
        }
        (c, errors)
    }

    /// Builds the model; the first bad property is an error (`InvalidProperty`).
    pub fn from_value(value: &Value) -> Result<Self, ConfigError> {
        let (c, errors) = Self::from_value_lenient(value);
        match errors.into_iter().next() {
            None => Ok(c),
            Some(e) => Err(ConfigError::InvalidProperty {
                path: None,
                property: e.property,
                message: e.message,
            }),
        }
    }

    /// The kind of container, decided as the reference's `up` does: a Dockerfile
    /// (`build.dockerfile` or legacy `dockerFile`) first, then `image`, then compose.
    pub fn kind(&self) -> ConfigKind {
        if self.dockerfile().is_some() {
            ConfigKind::Dockerfile
        } else if self.image.is_some() {
            ConfigKind::Image
        } else if self.docker_compose_file.is_some() {
            ConfigKind::Compose
        } else {
            ConfigKind::None
        }
    }

    /// The Dockerfile as written (legacy `dockerFile` wins over `build.dockerfile`).
    pub fn dockerfile(&self) -> Option<&str> {
        self.docker_file
            .as_deref()
            .or_else(|| self.build.as_ref().and_then(|b| b.dockerfile.as_deref()))
    }

    /// The Dockerfile path, resolved against the config file's folder.
    pub fn dockerfile_path(&self, config_file: &Path) -> Option<PathBuf> {
        let dockerfile = self.dockerfile()?;
        Some(resolve_path(config_dir(config_file), Path::new(dockerfile)))
    }

    /// The build context (reference `getDockerContextPath`): `context` (legacy form) or
    /// `build.context`, resolved against the config folder; when empty or absent, the
    /// Dockerfile's folder.
    pub fn docker_context_path(&self, config_file: &Path) -> Option<PathBuf> {
        let dockerfile_path = self.dockerfile_path(config_file)?;
        let context = if self.docker_file.is_some() {
            self.context.as_deref()
        } else {
            self.build.as_ref().and_then(|b| b.context.as_deref())
        };
        match context {
            Some(c) if !c.is_empty() => Some(resolve_path(config_dir(config_file), Path::new(c))),
            _ => dockerfile_path.parent().map(Path::to_path_buf),
        }
    }

    /// `build.args` (empty when absent).
    pub fn build_args(&self) -> IndexMap<String, String> {
        self.build
            .as_ref()
            .and_then(|b| b.args.clone())
            .unwrap_or_default()
    }

    /// `build.target`, if non-empty.
    pub fn build_target(&self) -> Option<&str> {
        self.build
            .as_ref()
            .and_then(|b| b.target.as_deref())
            .filter(|t| !t.is_empty())
    }

    /// `build.cacheFrom` as a list.
    pub fn cache_from(&self) -> Vec<String> {
        self.build
            .as_ref()
            .and_then(|b| b.cache_from.as_ref())
            .map(StringOrArray::to_vec)
            .unwrap_or_default()
    }

    /// `build.options`.
    pub fn build_options(&self) -> Vec<String> {
        self.build
            .as_ref()
            .and_then(|b| b.options.clone())
            .unwrap_or_default()
    }

    /// The compose files given in the config, resolved against the config folder.
    /// Empty when absent or an empty list (the engine then falls back to
    /// `COMPOSE_FILE`, `.env`, `docker-compose.yml`).
    pub fn docker_compose_files(&self, config_file: &Path) -> Vec<PathBuf> {
        let dir = config_dir(config_file);
        self.docker_compose_file
            .as_ref()
            .map(StringOrArray::to_vec)
            .unwrap_or_default()
            .iter()
            .map(|f| resolve_path(dir, Path::new(f)))
            .collect()
    }

    /// A lifecycle hook's command.
    pub fn lifecycle_command(&self, hook: LifecycleHook) -> Option<&LifecycleCommand> {
        match hook {
            LifecycleHook::InitializeCommand => self.initialize_command.as_ref(),
            LifecycleHook::OnCreateCommand => self.on_create_command.as_ref(),
            LifecycleHook::UpdateContentCommand => self.update_content_command.as_ref(),
            LifecycleHook::PostCreateCommand => self.post_create_command.as_ref(),
            LifecycleHook::PostStartCommand => self.post_start_command.as_ref(),
            LifecycleHook::PostAttachCommand => self.post_attach_command.as_ref(),
        }
    }

    /// `waitFor`, default `updateContentCommand`.
    pub fn wait_for_or_default(&self) -> WaitFor {
        self.wait_for.unwrap_or(LifecycleHook::UpdateContentCommand)
    }

    /// `overrideCommand`, default true except for compose.
    pub fn override_command_or_default(&self) -> bool {
        self.override_command
            .unwrap_or(self.kind() != ConfigKind::Compose)
    }

    /// `shutdownAction`, default `stopCompose` for compose, else `stopContainer`.
    pub fn shutdown_action_or_default(&self) -> ShutdownAction {
        self.shutdown_action
            .unwrap_or(if self.kind() == ConfigKind::Compose {
                ShutdownAction::StopCompose
            } else {
                ShutdownAction::StopContainer
            })
    }

    /// `mounts`, parsed and validated.
    pub fn parsed_mounts(&self) -> Result<Vec<Mount>, ConfigError> {
        self.mounts
            .iter()
            .flatten()
            .map(MountSpec::to_mount)
            .collect()
    }
}

impl<'de> Deserialize<'de> for DevContainerConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        DevContainerConfig::from_value(&v).map_err(serde::de::Error::custom)
    }
}

fn config_dir(config_file: &Path) -> &Path {
    config_file.parent().unwrap_or(Path::new("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full() -> Value {
        serde_json::from_str(
            r#"{
            "$schema": "https://x", "name": "n", "image": "img",
            "build": {"dockerfile": "Dockerfile", "context": "..", "args": {"A": "1"}, "target": "t",
                      "cacheFrom": "c:1", "options": ["--pull"], "extra": 1},
            "dockerComposeFile": ["a.yml", "/abs/b.yml"], "service": "app", "runServices": ["app"],
            "initializeCommand": "echo", "onCreateCommand": ["a", "b"],
            "updateContentCommand": {"x": "y", "z": ["1"]}, "postCreateCommand": "", "postStartCommand": [],
            "postAttachCommand": {}, "waitFor": "postCreateCommand",
            "containerEnv": {"A": "1"}, "remoteEnv": {"B": null, "C": "c"},
            "containerUser": "root", "remoteUser": "vscode", "userEnvProbe": "loginShell", "updateRemoteUserUID": false,
            "mounts": ["type=volume,target=/x", {"type": "bind", "source": "/a", "target": "/b"}],
            "workspaceMount": "type=bind,source=/a,target=/w", "workspaceFolder": "/w", "runArgs": ["--init"],
            "init": true, "privileged": false, "capAdd": ["X"], "securityOpt": ["s"], "overrideCommand": false,
            "shutdownAction": "none", "appPort": [3000, "8000:8000"], "forwardPorts": [1, "db:2"],
            "portsAttributes": {"3000": {"label": "web", "onAutoForward": "notify", "x": 1}},
            "otherPortsAttributes": {"onAutoForward": "ignore"},
            "features": {"ghcr.io/a/b:1": {"version": "2"}, "c": true, "d": "1.0"},
            "overrideFeatureInstallOrder": ["c"],
            "hostRequirements": {"cpus": 2, "memory": "4gb", "storage": "32gb", "gpu": "optional"},
            "customizations": {"vscode": {}}, "secrets": {"TOKEN": {"description": "d", "documentationUrl": "u"}},
            "extensions": ["e"], "settings": {"s": 1}, "devPort": 8000,
            "somethingElse": 1
        }"#,
        )
        .unwrap()
    }

    #[test]
    fn every_property_is_modelled() {
        let (c, errors) = DevContainerConfig::from_value_lenient(&full());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(c.unknown.keys().collect::<Vec<_>>(), vec!["somethingElse"]);
        assert_eq!(
            c.build.as_ref().unwrap().other.get("extra"),
            Some(&json!(1))
        );
        assert_eq!(
            c.on_create_command,
            Some(LifecycleCommand::Exec(vec!["a".into(), "b".into()]))
        );
        assert!(
            matches!(c.update_content_command, Some(LifecycleCommand::Parallel(ref m)) if m.len() == 2)
        );
        assert!(c.post_create_command.as_ref().unwrap().is_empty());
        assert!(c.post_attach_command.as_ref().unwrap().is_empty());
        assert_eq!(c.wait_for, Some(LifecycleHook::PostCreateCommand));
        assert_eq!(c.remote_env.as_ref().unwrap()["B"], None);
        assert_eq!(
            c.host_requirements.as_ref().unwrap().gpu,
            Some(GpuRequirement::Optional)
        );
        assert_eq!(
            c.features.as_ref().unwrap()["c"],
            FeatureValue::Enabled(true)
        );
        assert_eq!(
            c.features.as_ref().unwrap()["d"],
            FeatureValue::Version("1.0".into())
        );
        assert_eq!(c.app_port.as_ref().unwrap().to_vec().len(), 2);
        assert_eq!(
            c.secrets.as_ref().unwrap()["TOKEN"]
                .documentation_url
                .as_deref(),
            Some("u")
        );
        assert_eq!(c.parsed_mounts().unwrap().len(), 2);
        assert_eq!(c.cache_from(), vec!["c:1"]);
        assert_eq!(c.build_target(), Some("t"));
        assert_eq!(c.dev_port, Some(8000));
        // Serde entry point.
        let via_serde: DevContainerConfig = serde_json::from_value(full()).unwrap();
        assert_eq!(via_serde, c);
    }

    #[test]
    fn bad_properties_are_named() {
        let v = json!({"image": 3, "waitFor": "never", "mounts": [1], "name": "ok", "postCreateCommand": {"a": 1}});
        let (c, errors) = DevContainerConfig::from_value_lenient(&v);
        assert_eq!(c.name.as_deref(), Some("ok"));
        let props: Vec<&str> = errors.iter().map(|e| e.property.as_str()).collect();
        assert_eq!(
            props,
            vec!["image", "waitFor", "mounts", "postCreateCommand"]
        );
        assert!(
            errors[1].message.contains("one of initializeCommand"),
            "{}",
            errors[1].message
        );
        let err = DevContainerConfig::from_value(&v).unwrap_err().to_string();
        assert!(err.contains("property image"), "{err}");
        assert!(DevContainerConfig::from_value(&json!([])).is_err());
    }

    #[test]
    fn kind_detection() {
        let k = |v: Value| DevContainerConfig::from_value(&v).unwrap().kind();
        assert_eq!(k(json!({"image": "x"})), ConfigKind::Image);
        assert_eq!(
            k(json!({"image": "x", "build": {"dockerfile": "D"}})),
            ConfigKind::Dockerfile
        );
        assert_eq!(k(json!({"dockerFile": "D"})), ConfigKind::Dockerfile);
        assert_eq!(k(json!({"build": {"context": "."}})), ConfigKind::None);
        assert_eq!(
            k(json!({"dockerComposeFile": "c.yml", "service": "s"})),
            ConfigKind::Compose
        );
        assert_eq!(k(json!({})), ConfigKind::None);
    }

    #[test]
    fn paths_resolve_like_the_reference() {
        let cfg = Path::new("/ws/.devcontainer/devcontainer.json");
        let c = DevContainerConfig::from_value(&json!({"build": {"dockerfile": "Dockerfile"}}))
            .unwrap();
        assert_eq!(
            c.dockerfile_path(cfg).unwrap(),
            PathBuf::from("/ws/.devcontainer/Dockerfile")
        );
        // No context: the Dockerfile's folder.
        assert_eq!(
            c.docker_context_path(cfg).unwrap(),
            PathBuf::from("/ws/.devcontainer")
        );
        let c = DevContainerConfig::from_value(
            &json!({"build": {"dockerfile": "../docker/Dockerfile", "context": ".."}}),
        )
        .unwrap();
        assert_eq!(
            c.dockerfile_path(cfg).unwrap(),
            PathBuf::from("/ws/docker/Dockerfile")
        );
        assert_eq!(c.docker_context_path(cfg).unwrap(), PathBuf::from("/ws"));
        let c = DevContainerConfig::from_value(
            &json!({"build": {"dockerfile": "sub/Dockerfile", "context": ""}}),
        )
        .unwrap();
        assert_eq!(
            c.docker_context_path(cfg).unwrap(),
            PathBuf::from("/ws/.devcontainer/sub")
        );
        // Legacy form: top-level context; build.context ignored.
        let c = DevContainerConfig::from_value(
            &json!({"dockerFile": "Dockerfile", "context": "..", "build": {"context": "x"}}),
        )
        .unwrap();
        assert_eq!(c.docker_context_path(cfg).unwrap(), PathBuf::from("/ws"));
        let c = DevContainerConfig::from_value(
            &json!({"dockerComposeFile": ["../a.yml", "/abs/b.yml"]}),
        )
        .unwrap();
        assert_eq!(
            c.docker_compose_files(cfg),
            vec![PathBuf::from("/ws/a.yml"), PathBuf::from("/abs/b.yml")]
        );
    }

    #[test]
    fn defaults() {
        let c = DevContainerConfig::from_value(&json!({"dockerComposeFile": "a.yml"})).unwrap();
        assert!(!c.override_command_or_default());
        assert_eq!(c.shutdown_action_or_default(), ShutdownAction::StopCompose);
        let c = DevContainerConfig::from_value(&json!({"image": "x"})).unwrap();
        assert!(c.override_command_or_default());
        assert_eq!(
            c.shutdown_action_or_default(),
            ShutdownAction::StopContainer
        );
        assert_eq!(c.wait_for_or_default(), LifecycleHook::UpdateContentCommand);
    }
}

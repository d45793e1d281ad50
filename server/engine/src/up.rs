//! `devc up`: find the workspace's container by its id labels (reuse, start or
//! create it), get its image (local, pulled or built), then run the lifecycle
//! hooks. One `up` at a time per dev container (see `lock`).

use crate::container_spec::{container_spec, SpecInputs};
use crate::env_probe::{self, exec_env};
use crate::features::FeatureOptions;
use crate::image::{self, folder_image_name};
use crate::lifecycle::{run_lifecycle, LifecycleHooks, LifecycleOptions, LifecycleOutcome, LifecycleRun};
use crate::load::{find_container, LoadOptions, Loaded};
use crate::process::run_on_host;
use crate::progress::Step;
use crate::{lock, uid, EngineError};
use devc_config::model::{CommandSpec, UserEnvProbe};
use devc_config::{ConfigKind, LifecycleCommand, ResolvedConfig};
use devc_runtime::{ContainerDetails, Runtime, RuntimeError};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct UpOptions {
    pub load: LoadOptions,
    pub remove_existing_container: bool,
    pub build_no_cache: bool,
    pub expect_existing_container: bool,
    pub skip_post_create: bool,
    pub skip_post_attach: bool,
    pub skip_non_blocking: bool,
    pub prebuild: bool,
    /// `--remote-env K=V`.
    pub remote_env: Vec<String>,
    /// `--mount` (docker `--mount` syntax).
    pub mounts: Vec<String>,
    pub include_configuration: bool,
    pub include_merged_configuration: bool,
    pub default_user_env_probe: UserEnvProbe,
    /// `--update-remote-user-uid-default` is not `never`.
    pub update_remote_user_uid: bool,
    /// `--no-lockfile`, `--frozen-lockfile`, `--additional-features`, …
    pub features: FeatureOptions,
}

impl Default for UpOptions {
    fn default() -> Self {
        UpOptions {
            load: LoadOptions { mount_workspace_git_root: true, ..Default::default() },
            remove_existing_container: false,
            build_no_cache: false,
            expect_existing_container: false,
            skip_post_create: false,
            skip_post_attach: false,
            skip_non_blocking: false,
            prebuild: false,
            remote_env: Vec::new(),
            mounts: Vec::new(),
            include_configuration: false,
            include_merged_configuration: false,
            default_user_env_probe: UserEnvProbe::LoginInteractiveShell,
            update_remote_user_uid: true,
            features: FeatureOptions::default(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct UpResult {
    pub container_id: String,
    pub remote_user: String,
    pub remote_workspace_folder: Option<String>,
    pub configuration: Option<Value>,
    pub merged_configuration: Option<Value>,
    pub outcome: LifecycleOutcome,
}

impl UpResult {
    /// The reference CLI's result line.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("outcome".into(), "success".into());
        m.insert("containerId".into(), self.container_id.clone().into());
        m.insert("remoteUser".into(), self.remote_user.clone().into());
        if let Some(f) = &self.remote_workspace_folder {
            m.insert("remoteWorkspaceFolder".into(), f.clone().into());
        }
        if let Some(c) = &self.configuration {
            m.insert("configuration".into(), c.clone());
        }
        if let Some(c) = &self.merged_configuration {
            m.insert("mergedConfiguration".into(), c.clone());
        }
        Value::Object(m)
    }
}

/// A container as the engine sees it once it runs: the resolved config, the
/// metadata entries and their merge, and who and where commands run.
pub struct Attached {
    pub container: ContainerDetails,
    pub resolved: ResolvedConfig,
    pub entries: Vec<Value>,
    pub merged: Value,
    pub remote_user: String,
    pub remote_workspace_folder: Option<String>,
}

/// Resolves everything about a running container (all variable phases applied).
pub fn attach(loaded: &Loaded, container: ContainerDetails) -> Result<Attached, EngineError> {
    let resolved = loaded.resolve_for(&container)?;
    let labels: IndexMap<String, String> = container.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let entries = resolved.container_metadata_entries(&labels, &[])?;
    let merged = resolved.merged_configuration(&entries);
    let remote_user = remote_user(&merged, &container.user);
    let remote_workspace_folder = resolved.workspace.workspace_folder_str().map(str::to_string);
    Ok(Attached { container, resolved, entries, merged, remote_user, remote_workspace_folder })
}

/// remoteUser, else containerUser, else the container's user, else root.
fn remote_user(merged: &Value, image_user: &str) -> String {
    let pick = |k: &str| merged.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    pick("remoteUser")
        .or_else(|| pick("containerUser"))
        .or_else(|| Some(image_user.to_string()).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "root".to_string())
}

pub async fn up<R: Runtime>(rt: &R, opts: &UpOptions) -> Result<UpResult, EngineError> {
    let loaded = Loaded::load(&opts.load)?;
    let _lock = lock::lock(&loaded.devcontainer_id()).await?;
    let resolved = loaded.resolve()?;
    let model = Loaded::model(&resolved)?;
    match model.kind() {
        ConfigKind::Compose => {
            return Err(EngineError::Invalid(
                "Docker Compose configurations (dockerComposeFile) are not supported by `devc up` yet; use an image or Dockerfile configuration".into(),
            ))
        }
        ConfigKind::None => {
            return Err(EngineError::Invalid(format!(
                "{} has none of \"image\", \"build\" (Dockerfile) or \"dockerComposeFile\"; add one to say which container to run",
                loaded.config_file.display()
            )))
        }
        _ => {}
    }
    if let Some(cmd) = &model.initialize_command {
        run_initialize_command(cmd, &loaded).await?;
    }

    let mut existing = find_container(rt, &loaded).await?;
    if let (Some(c), true) = (&existing, opts.remove_existing_container) {
        tracing::info!("Removing existing container {}", short(&c.id));
        rt.remove_container(&c.id, true, false).await?;
        crate::env_probe::forget_container(&crate::env_probe::default_cache_dir(), &c.id);
        crate::lifecycle::forget_container(&c.id);
        existing = None;
    }
    let container = match existing {
        Some(c) if c.state.running => c,
        Some(c) => {
            tracing::info!("Starting container {}", short(&c.id));
            rt.start_container(&c.id).await?;
            rt.inspect_container(&c.id).await?
        }
        None if opts.expect_existing_container => return Err(EngineError::ExpectedContainerMissing),
        None => create(rt, &loaded, &resolved, &model, opts).await?,
    };

    let attached = attach(&loaded, container)?;
    let outcome = run_hooks(rt, &attached, &opts.remote_env, opts.default_user_env_probe, lifecycle_options(opts)).await?;
    Ok(UpResult {
        container_id: attached.container.id.clone(),
        remote_user: attached.remote_user.clone(),
        remote_workspace_folder: attached.remote_workspace_folder.clone(),
        configuration: opts.include_configuration.then(|| attached.resolved.configuration.clone()),
        merged_configuration: opts.include_merged_configuration.then(|| attached.merged.clone()),
        outcome,
    })
}

fn lifecycle_options(opts: &UpOptions) -> LifecycleOptions {
    LifecycleOptions {
        skip_post_create: opts.skip_post_create,
        skip_post_attach: opts.skip_post_attach,
        skip_non_blocking: opts.skip_non_blocking,
        prebuild: opts.prebuild,
        ..Default::default()
    }
}

/// Probes the user's environment and runs the hooks that are due.
pub async fn run_hooks<R: Runtime>(
    rt: &R,
    attached: &Attached,
    cli_remote_env: &[String],
    default_probe: UserEnvProbe,
    options: LifecycleOptions,
) -> Result<LifecycleOutcome, EngineError> {
    let env = user_env(rt, attached, cli_remote_env, default_probe).await?;
    let hooks = LifecycleHooks::from_metadata(&attached.entries);
    let wait_for = attached.merged.get("waitFor").and_then(Value::as_str);
    let run = LifecycleRun {
        container: &attached.container,
        hooks: &hooks,
        wait_for,
        remote_user: &attached.remote_user,
        home: None,
        remote_workspace_folder: attached.remote_workspace_folder.as_deref(),
        env: &env,
        options,
        output: crate::progress::output_sink(),
    };
    run_lifecycle(rt, &run).await
}

/// The environment commands run with: probed shell env, `--remote-env`, remoteEnv.
pub async fn user_env<R: Runtime>(
    rt: &R,
    attached: &Attached,
    cli_remote_env: &[String],
    default_probe: UserEnvProbe,
) -> Result<Vec<String>, EngineError> {
    let mode = attached
        .merged
        .get("userEnvProbe")
        .and_then(Value::as_str)
        .and_then(env_probe::parse_mode)
        .unwrap_or(default_probe);
    let probed = env_probe::probe(rt, &attached.container, &attached.remote_user, mode).await;
    let remote_env = attached.merged.get("remoteEnv").and_then(Value::as_object).cloned().unwrap_or_default();
    exec_env(&attached.container.env, &probed, cli_remote_env, &remote_env)
}

async fn run_initialize_command(cmd: &LifecycleCommand, loaded: &Loaded) -> Result<(), EngineError> {
    let step = crate::progress::Step::start_streaming("Running the initializeCommand from devcontainer.json");
    let sink = crate::progress::output_sink();
    let cwd = &loaded.workspace_folder;
    let check = |name: &str, r: crate::process::ProcessResult| {
        if r.success() || r.interrupted() {
            Ok(())
        } else {
            Err(EngineError::HookFailed {
                hook: format!("initializeCommand{name}"),
                origin: "devcontainer.json".into(),
                exit_code: r.exit_code,
                output_tail: r.tail,
            })
        }
    };
    match cmd {
        LifecycleCommand::Shell(s) if s.trim().is_empty() => {}
        LifecycleCommand::Exec(a) if a.is_empty() => {}
        LifecycleCommand::Shell(s) => check("", run_on_host(&CommandSpec::Shell(s.clone()), cwd, &sink).await?)?,
        LifecycleCommand::Exec(a) => check("", run_on_host(&CommandSpec::Exec(a.clone()), cwd, &sink).await?)?,
        LifecycleCommand::Parallel(map) => {
            let runs = map.iter().map(|(name, spec)| {
                let sink = sink.prefixed(name);
                async move { (name.clone(), run_on_host(spec, cwd, &sink).await) }
            });
            for (name, result) in futures_util::future::join_all(runs).await {
                check(&format!(" ({name})"), result?)?;
            }
        }
    }
    step.done();
    Ok(())
}

/// Creates and starts the container: image (local/pulled/built), UID update,
/// labels and the spec.
async fn create<R: Runtime>(
    rt: &R,
    loaded: &Loaded,
    resolved: &ResolvedConfig,
    model: &devc_config::DevContainerConfig,
    opts: &UpOptions,
) -> Result<ContainerDetails, EngineError> {
    let progress = |text: &str| crate::progress::line(text);
    let caps = rt.capabilities();
    let unsupported = |option: String| EngineError::Runtime(RuntimeError::Unsupported { backend: rt.name().to_string(), option });
    if let Some(args) = resolved.configuration.get("runArgs").and_then(Value::as_array).filter(|a| !a.is_empty() && !caps.run_args) {
        let shown: Vec<String> = args.iter().map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_string)).collect();
        return Err(unsupported(format!("runArgs (docker run flags: {})", shown.join(" "))));
    }
    // What the config itself asks is refused before any build; what the base
    // image's label or a Feature adds is known (and checked) after it.
    let refused = |v: &Value| {
        if v.get("privileged").and_then(Value::as_bool) == Some(true) && !caps.privileged {
            return Some("privileged: true".to_string());
        }
        if v.get("securityOpt").and_then(Value::as_array).is_some_and(|o| !o.is_empty()) && !caps.security_opt {
            return Some("securityOpt".to_string());
        }
        None
    };
    if let Some(option) = refused(&resolved.configuration) {
        return Err(unsupported(option));
    }
    let request = image::DevImageRequest {
        config_file: &loaded.config_file,
        workspace_folder: &loaded.workspace_folder,
        config: model,
        resolved,
        names: &[],
        no_cache: opts.build_no_cache,
        features: &opts.features,
    };
    let dev = image::dev_image(rt, &request).await?;
    let entries = resolved.metadata_entries(&dev.base_entries, &dev.feature_entries)?;
    let merged = resolved.merged_configuration(&entries);
    if let Some(option) = refused(&merged) {
        return Err(unsupported(option));
    }
    let image_name = dev.names[0].clone();
    let details = dev.details;
    let label = dev.label;

    let mut run_image = image_name.clone();
    let user = remote_user(&merged, &details.user);
    let update_uid = merged.get("updateRemoteUserUID").and_then(Value::as_bool).unwrap_or(true) && opts.update_remote_user_uid;
    if uid::applies(&user, update_uid) && !caps.update_remote_user_uid {
        tracing::info!("updateRemoteUserUID: not needed with the {} runtime (its bind mounts show files as the user's own)", rt.name());
    } else if uid::applies(&user, update_uid) {
        // A root-owned workspace would map the user onto root's UID: nothing to do.
        if let Some(owner) = uid::workspace_owner(&loaded.workspace_folder).filter(|(uid, _)| *uid != 0) {
            // As the reference: `<image>-uid` for images named after the folder, else `<folder image>-uid`.
            let folder_name = folder_image_name(&loaded.workspace_folder);
            let base_name = if image_name.starts_with(&folder_name) { image_name.clone() } else { folder_name };
            let tag = format!("{base_name}-uid");
            tracing::info!("Updating the UID of {user} to {}:{} ({tag})", owner.0, owner.1);
            let step = Step::start("Updating remote user UID");
            uid::build_uid_image(rt, &image_name, &details.user, &user, owner, &tag, &progress).await?;
            step.done();
            run_image = tag;
        }
    }

    let mut labels: BTreeMap<String, String> = loaded.id_labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    labels.insert(devc_config::METADATA_LABEL.to_string(), label);
    labels.insert(CONFIG_HASH_LABEL.to_string(), config_hash(loaded, model));
    let spec = container_spec(&SpecInputs {
        image: &run_image,
        image_details: &details,
        config: &resolved.configuration,
        merged: &merged,
        workspace_mount: resolved.workspace.workspace_mount_str(),
        labels,
        extra_mounts: &opts.mounts,
        base_dir: &loaded.workspace_folder,
    })?;
    tracing::info!("Creating container from {run_image}");
    let step = Step::start("Starting container");
    let id = rt.create_container(&spec).await?;
    rt.start_container(&id).await?;
    let details = rt.inspect_container(&id).await?;
    step.done();
    Ok(details)
}

/// Label recording the hash of the files a container was made from.
pub const CONFIG_HASH_LABEL: &str = "dev.devc.config-hash";

/// sha256 over the config file, its Dockerfile and its compose files (the
/// inputs whose change calls for a rebuild). Unreadable files count as empty.
pub fn config_hash(loaded: &Loaded, model: &devc_config::DevContainerConfig) -> String {
    use sha2::{Digest, Sha256};
    let mut files = vec![loaded.config_file.clone()];
    files.extend(model.dockerfile_path(&loaded.config_file));
    files.extend(model.docker_compose_files(&loaded.config_file));
    let mut hasher = Sha256::new();
    for f in files {
        let bytes = std::fs::read(&f).unwrap_or_default();
        hasher.update(f.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The label written on images and containers: raw (unsubstituted) entries, as
/// the reference stores them — base entries as found, the installed Features'
/// entries, then the config's entry.
pub fn raw_metadata_label(base_entries: &[Value], feature_entries: &[Value], resolved: &ResolvedConfig) -> String {
    let mut entries = base_entries.to_vec();
    entries.extend(feature_entries.iter().cloned());
    let own = devc_config::config_to_metadata_entry(&resolved.raw);
    if own.as_object().is_some_and(|o| !o.is_empty()) {
        entries.push(own);
    }
    devc_config::merge::metadata_label_json(&entries)
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

//! Turns a resolved configuration into the `ContainerSpec` of a new dev
//! container, as the reference's `docker run` line: workspace mount, mounts,
//! labels, containerEnv, user, ports, init/privileged/capAdd/securityOpt, the
//! keep-alive entrypoint with feature entrypoints, then runArgs on top.

use crate::run_args::apply_run_args;
use crate::EngineError;
use devc_config::mount::{parse_mount, Mount};
use devc_runtime::{ContainerSpec, ImageDetails, PortBinding};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Inputs that are not in the merged configuration.
pub struct SpecInputs<'a> {
    pub image: &'a str,
    pub image_details: &'a ImageDetails,
    /// The substituted devcontainer.json (for runArgs, appPort, workspaceMount).
    pub config: &'a Value,
    /// The merged configuration (metadata entries + config).
    pub merged: &'a Value,
    pub workspace_mount: Option<&'a str>,
    pub labels: BTreeMap<String, String>,
    /// `--mount` values from the command line.
    pub extra_mounts: &'a [String],
    /// Folder relative paths in runArgs (`--env-file`) resolve against.
    pub base_dir: &'a Path,
}

pub fn container_spec(inputs: &SpecInputs<'_>) -> Result<ContainerSpec, EngineError> {
    let merged = inputs.merged;
    let mut spec = ContainerSpec { image: inputs.image.to_string(), labels: inputs.labels.clone(), ..Default::default() };

    // Mounts go through the runArgs `--mount` path: one conversion to the runtime's form.
    let mut mounts: Vec<Mount> = Vec::new();
    if let Some(wm) = inputs.workspace_mount.filter(|s| !s.is_empty()) {
        mounts.push(parse_mount(wm)?);
    }
    for m in merged.get("mounts").and_then(Value::as_array).into_iter().flatten() {
        mounts.push(match m {
            Value::String(s) => parse_mount(s)?,
            other => devc_config::mount_from_value(other)?,
        });
    }
    for m in inputs.extra_mounts {
        mounts.push(parse_mount(m)?);
    }
    let mount_args: Vec<String> = mounts.iter().flat_map(|m| ["--mount".to_string(), m.to_docker_arg()]).collect();
    for w in apply_run_args(&mount_args, inputs.base_dir, &mut spec).map_err(|e| EngineError::Invalid(format!("mounts: {e}")))? {
        tracing::warn!("mounts: {}", w.message);
    }
    if let Some(env) = merged.get("containerEnv").and_then(Value::as_object) {
        for (k, v) in env {
            if let Some(v) = v.as_str() {
                spec.env.push(format!("{k}={v}"));
            }
        }
    }
    if let Some(user) = merged.get("containerUser").and_then(Value::as_str).filter(|u| !u.is_empty()) {
        spec.user = Some(user.to_string());
    }
    spec.ports = app_ports(inputs.config.get("appPort"))?;
    if merged.get("init").and_then(Value::as_bool) == Some(true) {
        spec.init = Some(true);
    }
    spec.privileged = merged.get("privileged").and_then(Value::as_bool) == Some(true);
    spec.cap_add = strings(merged.get("capAdd"));
    spec.security_opt = strings(merged.get("securityOpt"));

    // Keep-alive entrypoint, as the reference: feature entrypoints run first, then
    // the image's own entrypoint/cmd when overrideCommand is false.
    let entrypoints = strings(merged.get("entrypoints"));
    let override_command = merged.get("overrideCommand").and_then(Value::as_bool).unwrap_or(true);
    let mut script = String::from("echo Container started\ntrap \"exit 0\" 15\n");
    for e in &entrypoints {
        script.push_str(e);
        script.push('\n');
    }
    script.push_str("exec \"$@\"\nwhile sleep 1 & wait $!; do :; done");
    spec.entrypoint = Some(vec!["/bin/sh".into()]);
    let mut cmd = vec!["-c".to_string(), script, "-".to_string()];
    if !override_command {
        cmd.extend(inputs.image_details.entrypoint.iter().cloned());
        cmd.extend(inputs.image_details.cmd.iter().cloned());
    }
    spec.cmd = Some(cmd);

    let run_args = strings(inputs.config.get("runArgs"));
    let warnings = apply_run_args(&run_args, inputs.base_dir, &mut spec).map_err(|e| EngineError::RunArgs(e.to_string()))?;
    for w in warnings {
        tracing::warn!("runArgs: {}", w.message);
    }
    Ok(spec)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect()
}

/// `appPort`: a number N publishes `127.0.0.1:N:N`; a string is a `-p` value.
fn app_ports(v: Option<&Value>) -> Result<Vec<PortBinding>, EngineError> {
    let items: Vec<&Value> = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(other) => vec![other],
    };
    let mut args = Vec::new();
    for item in items {
        let value = match item {
            Value::Number(n) => format!("127.0.0.1:{n}:{n}"),
            Value::String(s) => s.clone(),
            other => return Err(EngineError::Invalid(format!("appPort: expected a number or a string, found {other}"))),
        };
        args.push("-p".to_string());
        args.push(value);
    }
    let mut spec = ContainerSpec::default();
    apply_run_args(&args, Path::new("."), &mut spec).map_err(|e| EngineError::Invalid(format!("appPort: {e}")))?;
    Ok(spec.ports)
}

//! Containers, images, volumes and networks: each export's request → the
//! Docker backend of devc-runtime → the header's JSON shapes.

use crate::calls::{docker, run, Cancel};
use crate::codes::{BridgeError, Code};
use crate::fds::{self, ProgressWriter};
use crate::requests;
use devc_runtime::{BuildRequest, ContainerDetails, ContainerSpec, ImageDetails, MountKind, MountSpec, PortBinding, Runtime};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

type Token = Option<Arc<Cancel>>;

/// ContainerInfo (see the header).
pub fn container_info(d: &ContainerDetails) -> Value {
    let status = match d.state.status.as_str() {
        "removing" => "stopping",
        s @ ("created" | "running" | "paused" | "restarting" | "exited" | "dead") => s,
        _ => "unknown",
    };
    let mut info = json!({
        "id": d.id, "name": d.name, "image": d.image, "imageId": d.image_id, "created": d.created,
        "state": {
            "status": status, "running": d.state.running, "startedAt": zero_time(&d.state.started_at),
            "finishedAt": zero_time(&d.state.finished_at), "exitCode": d.state.exit_code,
        },
        "labels": d.labels, "env": d.env, "user": d.user,
        "mounts": d.mounts.iter().map(|m| {
            let mut o = json!({"type": m.kind, "source": m.source, "destination": m.destination});
            if let Some(name) = &m.name {
                o["name"] = name.clone().into();
            }
            o
        }).collect::<Vec<_>>(),
    });
    if let Some(ip) = &d.ip_address {
        info["ipAddress"] = ip.clone().into();
    }
    info
}

/// Docker writes "0001-01-01T00:00:00Z" for "never"; the header says "".
fn zero_time(t: &str) -> &str {
    if t.starts_with("0001-01-01") {
        ""
    } else {
        t
    }
}

fn image_info(reference: &str, d: &ImageDetails) -> Value {
    let mut info = json!({
        "id": d.id, "reference": reference, "user": d.user, "labels": d.labels, "env": d.env,
        "entrypoint": d.entrypoint, "cmd": d.cmd, "os": d.os, "architecture": d.architecture,
    });
    if let Some(v) = &d.variant {
        info["variant"] = v.clone().into();
    }
    info
}

fn unsupported_nested(extra: &std::collections::BTreeMap<String, Value>, what: &str) -> Result<(), BridgeError> {
    match extra.keys().next() {
        Some(key) => Err(BridgeError::new(Code::Unsupported, format!("this bridge does not support {key:?} in {what}"))),
        None => Ok(()),
    }
}

/// The create request → the Docker backend's spec.
pub fn container_spec(r: requests::Create) -> Result<ContainerSpec, BridgeError> {
    if r.image.is_empty() {
        return Err(BridgeError::invalid("\"image\" must not be empty"));
    }
    let mut mounts = Vec::new();
    for m in r.mounts {
        unsupported_nested(&m.extra, "a mount")?;
        if !m.target.starts_with('/') {
            return Err(BridgeError::invalid(format!("the mount target {:?} is not an absolute path", m.target)));
        }
        let kind = match m.kind.as_str() {
            "bind" => MountKind::Bind,
            "volume" => MountKind::Volume,
            "tmpfs" => MountKind::Tmpfs,
            other => return Err(BridgeError::invalid(format!("unknown mount type {other:?} (bind, volume or tmpfs)"))),
        };
        if kind == MountKind::Bind && !m.source.as_deref().is_some_and(|s| s.starts_with('/')) {
            return Err(BridgeError::invalid(format!("the bind mount on {} needs an absolute source path", m.target)));
        }
        mounts.push(MountSpec { kind, source: m.source, target: m.target, readonly: m.read_only });
    }
    let mut ports = Vec::new();
    for p in r.ports {
        unsupported_nested(&p.extra, "a port")?;
        let protocol = p.protocol.unwrap_or_else(|| "tcp".into());
        if protocol != "tcp" && protocol != "udp" {
            return Err(BridgeError::invalid(format!("unknown protocol {protocol:?} (tcp or udp)")));
        }
        ports.push(PortBinding {
            protocol,
            container_port: p.container_port,
            host_ip: p.host_address,
            host_port: p.host_port.map(|h| h.to_string()),
        });
    }
    let network = match r.network.as_deref() {
        None | Some("default") => None,
        Some(other) => Some(other.to_string()),
    };
    Ok(ContainerSpec {
        name: r.name,
        image: r.image,
        entrypoint: r.entrypoint,
        cmd: r.cmd,
        env: r.env,
        user: r.user,
        working_dir: r.working_dir,
        labels: r.labels,
        mounts,
        ports,
        cap_add: r.cap_add,
        cap_drop: r.cap_drop,
        init: r.init,
        nano_cpus: r.cpus.map(|c| (c * 1e9) as i64),
        memory: r.memory_bytes,
        hostname: r.hostname,
        dns: r.dns,
        network,
        platform: r.platform,
        tty: r.tty,
        read_only: r.read_only,
        stop_signal: r.stop_signal,
        ..Default::default()
    })
}

pub fn ping(timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    let version = run(timeout_ms, cancel, async move { Ok(docker.ping().await?) })?;
    Ok(json!({"version": version, "platform": crate::PLATFORM}))
}

/// Docker always has its classic builder: builds can run when the daemon answers.
pub fn builder_probe(timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    ping(timeout_ms, cancel).map(|_| Value::Null)
}

pub fn inspect(r: requests::Id, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    let details = run(timeout_ms, cancel, async move { Ok(docker.inspect_container(&r.id).await?) })?;
    Ok(container_info(&details))
}

pub fn list(r: requests::List, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    let labels: Vec<(String, String)> = r.labels.into_iter().collect();
    let found = run(timeout_ms, cancel, async move { Ok(docker.find_containers(&labels).await?) })?;
    let all = r.all.unwrap_or(true);
    let containers: Vec<Value> = found.iter().filter(|c| all || c.state.running).map(container_info).collect();
    Ok(json!({"containers": containers}))
}

pub fn create(r: requests::Create, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let spec = container_spec(r)?;
    let docker = docker()?;
    let id = run(timeout_ms, cancel, async move { Ok(docker.create_container(&spec).await?) })?;
    Ok(json!({"id": id}))
}

pub fn start(r: requests::Id, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    run(timeout_ms, cancel, async move { Ok(docker.start_container(&r.id).await?) })?;
    Ok(Value::Null)
}

pub fn stop(r: requests::Stop, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    run(timeout_ms, cancel, async move { Ok(docker.stop_container(&r.id, r.grace_seconds).await?) })?;
    Ok(Value::Null)
}

pub fn delete(r: requests::Delete, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    run(timeout_ms, cancel, async move { Ok(docker.remove_container(&r.id, r.force, r.volumes).await?) })?;
    Ok(Value::Null)
}

pub fn image_inspect(r: requests::ImageRef, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    let reference = r.reference.clone();
    let details = run(timeout_ms, cancel, async move { Ok(Runtime::inspect_image(&*docker, &reference).await?) })?;
    Ok(image_info(&r.reference, &details))
}

pub fn pull(r: requests::Pull, progress_fd: i32, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let progress = ProgressWriter::start(fds::dup(progress_fd, "progress_fd")?);
    if let Some(platform) = &r.platform {
        progress.finish();
        return Err(BridgeError::new(Code::Unsupported, format!("pulling for another platform ({platform})")));
    }
    let docker = docker()?;
    let sender = progress.sender();
    let reference = r.reference.clone();
    let result = run(timeout_ms, cancel, async move {
        let report = |line: &str| {
            if let Some(tx) = &sender {
                let _ = tx.send(line.to_string());
            }
        };
        Ok(docker.pull_image(&reference, &report).await?)
    });
    progress.finish();
    result.map(|()| json!({"reference": r.reference}))
}

pub fn build(r: requests::Build, progress_fd: i32, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let progress = ProgressWriter::start(fds::dup(progress_fd, "progress_fd")?);
    let context = PathBuf::from(&r.context_path);
    if !context.is_absolute() {
        progress.finish();
        return Err(BridgeError::invalid(format!("contextPath {:?} is not an absolute path", r.context_path)));
    }
    let dockerfile = context.join(r.dockerfile.as_deref().unwrap_or("Dockerfile"));
    let request = BuildRequest {
        context,
        dockerfile,
        tags: r.tags,
        args: r.args,
        target: r.target,
        cache_from: r.cache_from,
        no_cache: r.no_cache,
        labels: r.labels,
        platform: r.platform,
        pull: r.pull,
    };
    let docker = docker()?;
    let sender = progress.sender();
    let result = run(timeout_ms, cancel, async move {
        let report = |line: &str| {
            if let Some(tx) = &sender {
                let _ = tx.send(line.to_string());
            }
        };
        Ok(docker.build_image(&request, &report).await?)
    });
    progress.finish();
    result.map(|id| json!({"id": id}))
}

pub fn logs_open(r: requests::Logs, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    let (id, follow) = (r.id, r.follow);
    let mut rx = run(timeout_ms, cancel, async move { Ok(docker.logs(&id, follow).await?) })?;
    let (read_end, write_end) = fds::pipe().map_err(|e| BridgeError::internal(format!("cannot create a pipe: {e}")))?;
    std::thread::Builder::new()
        .name("devc-bridge-logs".into())
        .spawn(move || {
            fds::block_sigpipe();
            let mut sink = fds::Sink::new(Some(write_end));
            while let Some(chunk) = rx.blocking_recv() {
                match chunk {
                    devc_runtime::OutputChunk::Stdout(b) | devc_runtime::OutputChunk::Stderr(b) => sink.write(&b),
                }
                if !sink.is_open() {
                    break; // The reader closed its end: stop following.
                }
            }
        })
        .map_err(|e| BridgeError::internal(format!("cannot start the log thread: {e}")))?;
    Ok(json!({"fd": std::os::fd::IntoRawFd::into_raw_fd(read_end)}))
}

pub fn volume_create(r: requests::Named, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    let name = run(timeout_ms, cancel, async move { Ok(docker.create_volume(&r.name, &r.labels).await?) })?;
    Ok(json!({"name": name}))
}

pub fn volume_remove(r: requests::Name, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    run(timeout_ms, cancel, async move { Ok(docker.remove_volume(&r.name).await?) })?;
    Ok(Value::Null)
}

pub fn network_create(r: requests::Named, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    let name = r.name.clone();
    let id = run(timeout_ms, cancel, async move { Ok(docker.create_network(&r.name, &r.labels).await?) })?;
    Ok(json!({"id": id, "name": name}))
}

pub fn network_remove(r: requests::Name, timeout_ms: i64, cancel: Token) -> Result<Value, BridgeError> {
    let docker = docker()?;
    run(timeout_ms, cancel, async move { Ok(docker.remove_network(&r.name).await?) })?;
    Ok(Value::Null)
}

//! The runtime's types ↔ the bridge's JSON (`devc_bridge.h`): create, build
//! and exec requests out; ContainerInfo and ImageInfo in. A spec field the
//! bridge cannot express is refused with `Unsupported` naming it, never
//! dropped.

use super::BACKEND;
use crate::{BuildRequest, ContainerDetails, ContainerSpec, ContainerState, ExecRequest, ImageDetails, MountKind, MountedVolume, RuntimeError};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

fn unsupported(option: &str) -> RuntimeError {
    RuntimeError::Unsupported { backend: BACKEND.into(), option: option.to_string() }
}

/// The names (as devcontainer.json or `docker run` spell them) of the spec
/// fields that are set but have no equivalent in the bridge's create request.
fn unsupported_fields(spec: &ContainerSpec) -> Vec<&'static str> {
    let mut found = Vec::new();
    let mut check = |set: bool, name: &'static str| {
        if set {
            found.push(name);
        }
    };
    check(spec.privileged, "privileged");
    check(!spec.security_opt.is_empty(), "securityOpt");
    check(spec.publish_all, "--publish-all");
    check(!spec.network_aliases.is_empty(), "--network-alias");
    check(spec.domainname.is_some(), "--domainname");
    check(!spec.extra_hosts.is_empty(), "--add-host");
    check(spec.ipc.is_some(), "--ipc");
    check(spec.pid.is_some(), "--pid");
    check(spec.userns.is_some(), "--userns");
    check(spec.uts.is_some(), "--uts");
    check(spec.shm_size.is_some(), "--shm-size");
    check(spec.memory_swap.is_some(), "--memory-swap");
    check(!spec.devices.is_empty(), "--device");
    check(!spec.device_cgroup_rules.is_empty(), "--device-cgroup-rule");
    check(spec.gpus.is_some(), "--gpus");
    check(!spec.ulimits.is_empty(), "--ulimit");
    check(!spec.sysctls.is_empty(), "--sysctl");
    check(!spec.group_add.is_empty(), "--group-add");
    check(spec.restart.as_deref().is_some_and(|r| !r.is_empty() && r != "no"), "--restart");
    check(spec.interactive, "--interactive");
    check(spec.tmpfs.values().any(|options| !options.is_empty()), "--tmpfs with options");
    check(spec.log_driver.is_some() || !spec.log_opts.is_empty(), "--log-driver/--log-opt");
    check(spec.cgroup_parent.is_some(), "--cgroup-parent");
    check(spec.runtime.is_some(), "--runtime");
    check(!spec.storage_opt.is_empty(), "--storage-opt");
    check(spec.oom_kill_disable.is_some(), "--oom-kill-disable");
    check(spec.pids_limit.is_some(), "--pids-limit");
    check(spec.cpuset_cpus.is_some(), "--cpuset-cpus");
    check(spec.cpu_shares.is_some(), "--cpu-shares");
    check(spec.mac_address.is_some(), "--mac-address");
    found
}

fn put<T: Into<Value>>(m: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        m.insert(key.to_string(), v.into());
    }
}

fn non_empty<T>(v: &[T]) -> Option<&[T]> {
    (!v.is_empty()).then_some(v)
}

/// `devc_bridge_container_create`'s request for `spec`.
pub fn create_request(spec: &ContainerSpec) -> Result<Value, RuntimeError> {
    let refused = unsupported_fields(spec);
    if let Some(first) = refused.first() {
        let more = if refused.len() > 1 { format!(" (and {})", refused[1..].join(", ")) } else { String::new() };
        return Err(unsupported(&format!("{first}{more}")));
    }
    let mut m = Map::new();
    m.insert("image".into(), spec.image.clone().into());
    put(&mut m, "name", spec.name.clone());
    put(&mut m, "entrypoint", spec.entrypoint.clone());
    put(&mut m, "cmd", spec.cmd.clone());
    put(&mut m, "env", non_empty(&spec.env).map(|e| e.to_vec()));
    put(&mut m, "user", spec.user.clone().filter(|u| !u.is_empty()));
    put(&mut m, "workingDir", spec.working_dir.clone().filter(|w| !w.is_empty()));
    if !spec.labels.is_empty() {
        m.insert("labels".into(), json!(spec.labels));
    }
    let mut mounts: Vec<Value> = spec
        .mounts
        .iter()
        .map(|mount| {
            let kind = match mount.kind {
                MountKind::Bind => "bind",
                MountKind::Volume => "volume",
                MountKind::Tmpfs => "tmpfs",
            };
            let mut o = Map::new();
            o.insert("type".into(), kind.into());
            if mount.kind != MountKind::Tmpfs {
                put(&mut o, "source", mount.source.clone().filter(|s| !s.is_empty()));
            }
            o.insert("target".into(), mount.target.clone().into());
            if mount.readonly {
                o.insert("readOnly".into(), true.into());
            }
            Value::Object(o)
        })
        .collect();
    mounts.extend(spec.tmpfs.keys().map(|target| json!({"type": "tmpfs", "target": target})));
    if !mounts.is_empty() {
        m.insert("mounts".into(), mounts.into());
    }
    let mut ports = Vec::new();
    for p in &spec.ports {
        let mut o = Map::new();
        o.insert("containerPort".into(), p.container_port.into());
        if let Some(host) = p.host_port.as_deref().filter(|h| !h.is_empty()) {
            let port: u16 = host.parse().map_err(|_| unsupported(&format!("the host port {host:?} (only single port numbers)")))?;
            o.insert("hostPort".into(), port.into());
        }
        put(&mut o, "hostAddress", p.host_ip.clone().filter(|ip| !ip.is_empty()));
        if !p.protocol.is_empty() {
            o.insert("protocol".into(), p.protocol.to_ascii_lowercase().into());
        }
        ports.push(Value::Object(o));
    }
    if !ports.is_empty() {
        m.insert("ports".into(), ports.into());
    }
    put(&mut m, "capAdd", non_empty(&spec.cap_add).map(|c| c.to_vec()));
    put(&mut m, "capDrop", non_empty(&spec.cap_drop).map(|c| c.to_vec()));
    put(&mut m, "init", spec.init);
    if let Some(nano) = spec.nano_cpus {
        m.insert("cpus".into(), json!(nano as f64 / 1e9));
    }
    put(&mut m, "memoryBytes", spec.memory);
    put(&mut m, "hostname", spec.hostname.clone());
    put(&mut m, "dns", non_empty(&spec.dns).map(|d| d.to_vec()));
    put(&mut m, "network", spec.network.clone());
    put(&mut m, "platform", spec.platform.clone());
    if spec.tty {
        m.insert("tty".into(), true.into());
    }
    if spec.read_only {
        m.insert("readOnly".into(), true.into());
    }
    put(&mut m, "stopSignal", spec.stop_signal.clone());
    Ok(Value::Object(m))
}

/// `devc_bridge_image_build`'s request.
pub fn build_request(request: &BuildRequest) -> Result<Value, RuntimeError> {
    let absolute = |p: &std::path::Path| {
        std::path::absolute(p).map(|a| a.display().to_string()).map_err(|e| RuntimeError::BuildFailed {
            step: "0 (before the first step)".into(),
            message: format!("cannot resolve {}: {e}", p.display()),
        })
    };
    let mut m = Map::new();
    m.insert("contextPath".into(), absolute(&request.context)?.into());
    m.insert("dockerfile".into(), absolute(&request.dockerfile)?.into());
    if !request.tags.is_empty() {
        m.insert("tags".into(), json!(request.tags));
    }
    if !request.args.is_empty() {
        m.insert("args".into(), json!(request.args));
    }
    put(&mut m, "target", request.target.clone());
    if !request.cache_from.is_empty() {
        m.insert("cacheFrom".into(), json!(request.cache_from));
    }
    if request.no_cache {
        m.insert("noCache".into(), true.into());
    }
    if !request.labels.is_empty() {
        m.insert("labels".into(), json!(request.labels));
    }
    put(&mut m, "platform", request.platform.clone());
    if request.pull {
        m.insert("pull".into(), true.into());
    }
    Ok(Value::Object(m))
}

/// `devc_bridge_exec_start`'s request.
pub fn exec_request(request: &ExecRequest) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), request.container.clone().into());
    m.insert("cmd".into(), json!(request.cmd));
    if !request.env.is_empty() {
        m.insert("env".into(), json!(request.env));
    }
    put(&mut m, "user", request.user.clone().filter(|u| !u.is_empty()));
    put(&mut m, "workingDir", request.working_dir.clone().filter(|w| !w.is_empty()));
    if request.tty {
        m.insert("tty".into(), true.into());
    }
    Value::Object(m)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct StateInfo {
    status: String,
    running: bool,
    started_at: String,
    finished_at: String,
    exit_code: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct MountInfo {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    source: String,
    destination: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ContainerInfo {
    id: String,
    name: String,
    image: String,
    image_id: String,
    created: String,
    state: StateInfo,
    labels: BTreeMap<String, String>,
    env: Vec<String>,
    user: String,
    mounts: Vec<MountInfo>,
    ip_address: Option<String>,
}

fn shape_error(what: &str, e: serde_json::Error) -> RuntimeError {
    RuntimeError::Api { operation: what.into(), message: format!("the bridge's answer does not have the documented shape: {e}") }
}

/// A ContainerInfo object → `ContainerDetails`.
pub fn container_details(data: Value) -> Result<ContainerDetails, RuntimeError> {
    let info: ContainerInfo = serde_json::from_value(data).map_err(|e| shape_error("inspect container", e))?;
    if info.id.is_empty() {
        return Err(RuntimeError::Api { operation: "inspect container".into(), message: "the bridge returned a container without an id".into() });
    }
    Ok(ContainerDetails {
        id: info.id,
        name: info.name,
        image: info.image,
        image_id: info.image_id,
        created: info.created,
        state: ContainerState {
            status: info.state.status,
            running: info.state.running,
            started_at: info.state.started_at,
            finished_at: info.state.finished_at,
            exit_code: info.state.exit_code,
        },
        labels: info.labels,
        env: info.env,
        user: info.user,
        mounts: info
            .mounts
            .into_iter()
            .map(|m| MountedVolume { kind: m.kind, name: m.name.filter(|n| !n.is_empty()), source: m.source, destination: m.destination })
            .collect(),
        ip_address: info.ip_address.filter(|ip| !ip.is_empty()),
    })
}

/// `{"containers":[ContainerInfo…]}` → details, in the bridge's (newest first) order.
pub fn container_list(data: Value) -> Result<Vec<ContainerDetails>, RuntimeError> {
    let list = match data {
        Value::Object(mut m) => m.remove("containers").unwrap_or(Value::Null),
        other => other,
    };
    let Value::Array(items) = list else {
        return Err(RuntimeError::Api { operation: "list containers".into(), message: "the bridge's answer has no \"containers\" array".into() });
    };
    items.into_iter().map(container_details).collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ImageInfo {
    id: String,
    user: String,
    labels: BTreeMap<String, String>,
    env: Vec<String>,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    os: String,
    architecture: String,
    variant: Option<String>,
}

/// An ImageInfo object → `ImageDetails`.
pub fn image_details(data: Value) -> Result<ImageDetails, RuntimeError> {
    let info: ImageInfo = serde_json::from_value(data).map_err(|e| shape_error("inspect image", e))?;
    Ok(ImageDetails {
        id: info.id,
        user: info.user,
        labels: info.labels,
        env: info.env,
        entrypoint: info.entrypoint,
        cmd: info.cmd,
        os: info.os,
        architecture: info.architecture,
        variant: info.variant.filter(|v| !v.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MountSpec, PortBinding};

    #[test]
    fn create_requests_carry_what_the_engine_sets() {
        let spec = ContainerSpec {
            image: "img:1".into(),
            entrypoint: Some(vec!["/bin/sh".into()]),
            cmd: Some(vec!["-c".into(), "sleep 1".into()]),
            env: vec!["A=1".into()],
            labels: BTreeMap::from([("k".to_string(), "v".to_string())]),
            mounts: vec![
                MountSpec { kind: MountKind::Bind, source: Some("/src".into()), target: "/workspaces/x".into(), readonly: false },
                MountSpec { kind: MountKind::Volume, source: None, target: "/cache".into(), readonly: true },
            ],
            ports: vec![PortBinding { protocol: "TCP".into(), container_port: 80, host_ip: Some("127.0.0.1".into()), host_port: Some("8080".into()) }],
            tmpfs: BTreeMap::from([("/run".to_string(), String::new())]),
            nano_cpus: Some(2_000_000_000),
            init: Some(true),
            ..Default::default()
        };
        let v = create_request(&spec).unwrap();
        assert_eq!(
            v,
            json!({
                "image": "img:1", "entrypoint": ["/bin/sh"], "cmd": ["-c", "sleep 1"], "env": ["A=1"], "labels": {"k": "v"},
                "mounts": [
                    {"type": "bind", "source": "/src", "target": "/workspaces/x"},
                    {"type": "volume", "target": "/cache", "readOnly": true},
                    {"type": "tmpfs", "target": "/run"}
                ],
                "ports": [{"containerPort": 80, "hostPort": 8080, "hostAddress": "127.0.0.1", "protocol": "tcp"}],
                "init": true, "cpus": 2.0
            })
        );
    }

    #[test]
    fn fields_without_an_equivalent_are_refused_by_name() {
        let privileged = ContainerSpec { image: "i".into(), privileged: true, ..Default::default() };
        let e = create_request(&privileged).unwrap_err();
        assert!(e.to_string().contains("privileged"), "{e}");
        let both = ContainerSpec { image: "i".into(), security_opt: vec!["seccomp=unconfined".into()], ipc: Some("host".into()), ..Default::default() };
        let e = create_request(&both).unwrap_err().to_string();
        assert!(e.contains("securityOpt") && e.contains("--ipc"), "{e}");
        let range = ContainerSpec {
            image: "i".into(),
            ports: vec![PortBinding { protocol: "tcp".into(), container_port: 80, host_ip: None, host_port: Some("8000-8010".into()) }],
            ..Default::default()
        };
        assert!(create_request(&range).unwrap_err().to_string().contains("8000-8010"));
    }

    #[test]
    fn container_info_maps_to_details() {
        let d = container_details(json!({
            "id": "abc", "name": "n", "image": "img", "imageId": "sha256:1", "created": "2026-01-01T00:00:00Z",
            "state": {"status": "running", "running": true, "startedAt": "2026-01-01T00:00:01Z", "finishedAt": "", "exitCode": 0},
            "labels": {"a": "b"}, "env": ["PATH=/bin"], "user": "dev",
            "mounts": [{"type": "bind", "source": "/s", "destination": "/d"}], "ipAddress": "192.168.64.3"
        }))
        .unwrap();
        assert_eq!(d.id, "abc");
        assert!(d.state.running);
        assert_eq!(d.labels["a"], "b");
        assert_eq!(d.mounts[0].destination, "/d");
        assert_eq!(d.ip_address.as_deref(), Some("192.168.64.3"));
        assert!(container_details(json!({"name": "no id"})).is_err());
        assert!(container_details(json!({"id": "x", "labels": ["not", "a", "map"]})).is_err());
        assert_eq!(container_list(json!({"containers": []})).unwrap().len(), 0);
        assert!(container_list(json!({})).is_err());
    }

    #[test]
    fn exec_requests() {
        let r = ExecRequest { container: "c".into(), cmd: vec!["ls".into()], user: Some("dev".into()), tty: true, ..Default::default() };
        assert_eq!(exec_request(&r), json!({"id": "c", "cmd": ["ls"], "user": "dev", "tty": true}));
    }
}

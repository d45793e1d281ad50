//! `ContainerSpec` → the Engine API's create request: the query (name,
//! platform), the body (`Config` fields), its `HostConfig` and
//! `NetworkingConfig`. Every field of the spec is mapped; a value the API
//! cannot express is an error, never silently dropped.

use super::BACKEND;
use crate::{ContainerSpec, MountKind, Result, RuntimeError};
use bollard::models::{
    ContainerCreateBody, DeviceMapping, DeviceRequest, EndpointSettings, HostConfig, HostConfigLogConfig, Mount,
    MountType, NetworkingConfig, PortBinding, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::CreateContainerOptions;
use std::collections::{BTreeMap, HashMap};

pub(crate) struct CreateRequest {
    pub options: CreateContainerOptions,
    pub body: ContainerCreateBody,
    /// The JSON to send instead of `body` when the typed body cannot carry a
    /// field for the negotiated API version (`MacAddress` before 1.44).
    pub raw_body: Option<Vec<u8>>,
}

fn unsupported(option: impl Into<String>) -> RuntimeError {
    RuntimeError::Unsupported { backend: BACKEND.into(), option: option.into() }
}

fn invalid(message: impl Into<String>) -> RuntimeError {
    RuntimeError::Api { operation: "create container".into(), message: message.into() }
}

fn some_vec(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn some_map(m: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// `no`, `always`, `unless-stopped`, `on-failure[:max-retries]`.
pub(crate) fn restart_policy(value: &str) -> Result<RestartPolicy> {
    let (name, count) = match value.split_once(':') {
        Some((name, count)) => (name, Some(count)),
        None => (value, None),
    };
    let name = match name {
        "" | "no" => RestartPolicyNameEnum::NO,
        "always" => RestartPolicyNameEnum::ALWAYS,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        _ => return Err(unsupported(format!("restart policy {value:?} (use no, always, unless-stopped or on-failure[:N])"))),
    };
    let maximum_retry_count = match count {
        None => None,
        Some(n) if name == RestartPolicyNameEnum::ON_FAILURE => Some(
            n.parse::<i64>().map_err(|_| unsupported(format!("restart policy {value:?} (the retry count must be a number)")))?,
        ),
        Some(_) => return Err(unsupported(format!("restart policy {value:?} (only on-failure takes a retry count)"))),
    };
    Ok(RestartPolicy { name: Some(name), maximum_retry_count })
}

/// Maps the spec for a daemon speaking API `api` (major, minor).
pub(crate) fn create_request(spec: &ContainerSpec, api: (usize, usize)) -> Result<CreateRequest> {
    let mounts = spec
        .mounts
        .iter()
        .map(|m| {
            let (typ, source) = match m.kind {
                MountKind::Bind => {
                    let source = m.source.clone().filter(|s| !s.is_empty());
                    if source.is_none() {
                        return Err(invalid(format!("the bind mount on {} has no source path", m.target)));
                    }
                    (MountType::BIND, source)
                }
                MountKind::Volume => (MountType::VOLUME, m.source.clone().filter(|s| !s.is_empty())),
                MountKind::Tmpfs => (MountType::TMPFS, None),
            };
            Ok(Mount {
                target: Some(m.target.clone()),
                source,
                typ: Some(typ),
                read_only: m.readonly.then_some(true),
                ..Default::default()
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let mut exposed_ports = Vec::new();
    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &spec.ports {
        let protocol = if p.protocol.is_empty() { "tcp".to_string() } else { p.protocol.to_ascii_lowercase() };
        let key = format!("{}/{}", p.container_port, protocol);
        if !exposed_ports.contains(&key) {
            exposed_ports.push(key.clone());
        }
        port_bindings.entry(key).or_insert_with(|| Some(Vec::new())).get_or_insert_with(Vec::new).push(PortBinding {
            host_ip: Some(p.host_ip.clone().unwrap_or_default()),
            host_port: Some(p.host_port.clone().unwrap_or_default()),
        });
    }

    let device_requests = spec.gpus.as_ref().map(|g| {
        let mut capabilities = g.capabilities.clone();
        if !capabilities.iter().any(|c| c == "gpu") {
            capabilities.insert(0, "gpu".to_string());
        }
        vec![DeviceRequest {
            driver: Some(String::new()),
            // Docker rejects a count together with device ids.
            count: if g.device_ids.is_empty() { Some(g.count) } else { None },
            device_ids: some_vec(&g.device_ids),
            capabilities: Some(vec![capabilities]),
            options: None,
        }]
    });

    let devices: Vec<DeviceMapping> = spec
        .devices
        .iter()
        .map(|d| DeviceMapping {
            path_on_host: Some(d.host_path.clone()),
            path_in_container: Some(if d.container_path.is_empty() { d.host_path.clone() } else { d.container_path.clone() }),
            cgroup_permissions: Some(if d.permissions.is_empty() { "rwm".to_string() } else { d.permissions.clone() }),
        })
        .collect();

    let ulimits: Vec<ResourcesUlimits> = spec
        .ulimits
        .iter()
        .map(|u| ResourcesUlimits { name: Some(u.name.clone()), soft: Some(u.soft), hard: Some(u.hard) })
        .collect();

    let log_config = (spec.log_driver.is_some() || !spec.log_opts.is_empty())
        .then(|| HostConfigLogConfig { typ: spec.log_driver.clone(), config: some_map(&spec.log_opts) });

    let restart_policy = spec.restart.as_deref().map(restart_policy).transpose()?;

    let host_config = HostConfig {
        mounts: (!mounts.is_empty()).then_some(mounts),
        port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
        publish_all_ports: spec.publish_all.then_some(true),
        cap_add: some_vec(&spec.cap_add),
        cap_drop: some_vec(&spec.cap_drop),
        security_opt: some_vec(&spec.security_opt),
        privileged: spec.privileged.then_some(true),
        init: spec.init,
        network_mode: spec.network.clone(),
        extra_hosts: some_vec(&spec.extra_hosts),
        dns: some_vec(&spec.dns),
        ipc_mode: spec.ipc.clone(),
        pid_mode: spec.pid.clone(),
        userns_mode: spec.userns.clone(),
        uts_mode: spec.uts.clone(),
        shm_size: spec.shm_size,
        nano_cpus: spec.nano_cpus,
        memory: spec.memory,
        memory_swap: spec.memory_swap,
        devices: (!devices.is_empty()).then_some(devices),
        device_cgroup_rules: some_vec(&spec.device_cgroup_rules),
        device_requests,
        ulimits: (!ulimits.is_empty()).then_some(ulimits),
        sysctls: some_map(&spec.sysctls),
        group_add: some_vec(&spec.group_add),
        restart_policy,
        readonly_rootfs: spec.read_only.then_some(true),
        tmpfs: some_map(&spec.tmpfs),
        log_config,
        cgroup_parent: spec.cgroup_parent.clone(),
        runtime: spec.runtime.clone(),
        storage_opt: some_map(&spec.storage_opt),
        oom_kill_disable: spec.oom_kill_disable,
        pids_limit: spec.pids_limit,
        cpuset_cpus: spec.cpuset_cpus.clone(),
        cpu_shares: spec.cpu_shares,
        ..Default::default()
    };

    // Since API 1.44 the MAC address belongs to the endpoint; before, to the
    // container config (which the typed body no longer has: patched below).
    let mac_on_endpoint = api >= (1, 44);
    let mut endpoint: Option<EndpointSettings> = None;
    if !spec.network_aliases.is_empty() {
        if spec.network.is_none() {
            return Err(unsupported("network aliases without a network (aliases need a user-defined network)"));
        }
        endpoint.get_or_insert_with(Default::default).aliases = Some(spec.network_aliases.clone());
    }
    if let (Some(mac), true) = (&spec.mac_address, mac_on_endpoint) {
        endpoint.get_or_insert_with(Default::default).mac_address = Some(mac.clone());
    }
    let networking_config = endpoint.map(|ep| {
        let network = spec.network.clone().unwrap_or_else(|| "default".to_string());
        NetworkingConfig { endpoints_config: Some(HashMap::from([(network, ep)])) }
    });

    let body = ContainerCreateBody {
        image: Some(spec.image.clone()),
        entrypoint: spec.entrypoint.clone(),
        cmd: spec.cmd.clone(),
        env: some_vec(&spec.env),
        user: spec.user.clone(),
        working_dir: spec.working_dir.clone(),
        labels: some_map(&spec.labels),
        hostname: spec.hostname.clone(),
        domainname: spec.domainname.clone(),
        exposed_ports: (!exposed_ports.is_empty()).then_some(exposed_ports),
        stop_signal: spec.stop_signal.clone(),
        tty: spec.tty.then_some(true),
        open_stdin: spec.interactive.then_some(true),
        host_config: Some(host_config),
        networking_config,
        ..Default::default()
    };

    let raw_body = match (&spec.mac_address, mac_on_endpoint) {
        (Some(mac), false) => {
            let mut value = serde_json::to_value(&body).map_err(|e| invalid(e.to_string()))?;
            value["MacAddress"] = serde_json::Value::String(mac.clone());
            Some(serde_json::to_vec(&value).map_err(|e| invalid(e.to_string()))?)
        }
        _ => None,
    };

    let options = CreateContainerOptions {
        name: spec.name.clone(),
        platform: spec.platform.clone().unwrap_or_default(),
    };
    Ok(CreateRequest { options, body, raw_body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DeviceMapping as Dev, GpuRequest, MountSpec, PortBinding as Port, Ulimit};
    use serde_json::json;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn full_spec() -> ContainerSpec {
        ContainerSpec {
            name: Some("devc-x".into()),
            image: "img:1".into(),
            entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
            cmd: Some(vec!["sleep infinity".into()]),
            env: vec!["A=1".into(), "B=two words".into()],
            user: Some("dev".into()),
            working_dir: Some("/work".into()),
            labels: map(&[("devc.id", "1")]),
            mounts: vec![
                MountSpec { kind: MountKind::Bind, source: Some("/src".into()), target: "/work".into(), readonly: false },
                MountSpec { kind: MountKind::Volume, source: Some("vol".into()), target: "/v".into(), readonly: true },
                MountSpec { kind: MountKind::Volume, source: None, target: "/anon".into(), readonly: false },
                MountSpec { kind: MountKind::Tmpfs, source: None, target: "/t".into(), readonly: false },
            ],
            ports: vec![
                Port { protocol: "tcp".into(), container_port: 80, host_ip: Some("127.0.0.1".into()), host_port: Some("8080".into()) },
                Port { protocol: "".into(), container_port: 80, host_ip: None, host_port: None },
                Port { protocol: "udp".into(), container_port: 53, host_ip: None, host_port: Some("5353".into()) },
            ],
            publish_all: true,
            cap_add: vec!["SYS_PTRACE".into()],
            cap_drop: vec!["NET_RAW".into()],
            security_opt: vec!["seccomp=unconfined".into()],
            privileged: true,
            init: Some(true),
            network: Some("devnet".into()),
            network_aliases: vec!["app".into()],
            hostname: Some("box".into()),
            domainname: Some("example.org".into()),
            extra_hosts: vec!["host.docker.internal:host-gateway".into()],
            dns: vec!["1.1.1.1".into()],
            ipc: Some("host".into()),
            pid: Some("host".into()),
            userns: Some("host".into()),
            uts: Some("host".into()),
            shm_size: Some(1 << 30),
            nano_cpus: Some(1_500_000_000),
            memory: Some(1 << 31),
            memory_swap: Some(-1),
            devices: vec![Dev { host_path: "/dev/fuse".into(), container_path: "".into(), permissions: "".into() }],
            device_cgroup_rules: vec!["c 10:229 rwm".into()],
            gpus: Some(GpuRequest { count: -1, device_ids: vec![], capabilities: vec![] }),
            ulimits: vec![Ulimit { name: "nofile".into(), soft: 1024, hard: 4096 }],
            sysctls: map(&[("net.core.somaxconn", "1024")]),
            group_add: vec!["video".into()],
            platform: Some("linux/amd64".into()),
            restart: Some("on-failure:3".into()),
            stop_signal: Some("SIGINT".into()),
            tty: true,
            interactive: true,
            read_only: true,
            tmpfs: map(&[("/run", "rw,size=64m")]),
            log_driver: Some("json-file".into()),
            log_opts: map(&[("max-size", "10m")]),
            cgroup_parent: Some("/devc".into()),
            runtime: Some("runc".into()),
            storage_opt: map(&[("size", "20G")]),
            oom_kill_disable: Some(false),
            pids_limit: Some(512),
            cpuset_cpus: Some("0-1".into()),
            cpu_shares: Some(512),
            mac_address: Some("02:42:ac:11:00:99".into()),
        }
    }

    #[test]
    fn every_field_is_mapped() {
        let req = create_request(&full_spec(), (1, 44)).unwrap();
        assert_eq!(req.options.name.as_deref(), Some("devc-x"));
        assert_eq!(req.options.platform, "linux/amd64");
        assert!(req.raw_body.is_none());
        let v = serde_json::to_value(&req.body).unwrap();
        assert_eq!(v["Image"], "img:1");
        assert_eq!(v["Entrypoint"], json!(["/bin/sh", "-c"]));
        assert_eq!(v["Cmd"], json!(["sleep infinity"]));
        assert_eq!(v["Env"], json!(["A=1", "B=two words"]));
        assert_eq!(v["User"], "dev");
        assert_eq!(v["WorkingDir"], "/work");
        assert_eq!(v["Labels"], json!({"devc.id": "1"}));
        assert_eq!(v["Hostname"], "box");
        assert_eq!(v["Domainname"], "example.org");
        assert_eq!(v["StopSignal"], "SIGINT");
        assert_eq!(v["Tty"], true);
        assert_eq!(v["OpenStdin"], true);
        assert_eq!(v["ExposedPorts"], json!({"80/tcp": {}, "53/udp": {}}));
        let h = &v["HostConfig"];
        assert_eq!(
            h["Mounts"],
            json!([
                {"Target": "/work", "Source": "/src", "Type": "bind"},
                {"Target": "/v", "Source": "vol", "Type": "volume", "ReadOnly": true},
                {"Target": "/anon", "Type": "volume"},
                {"Target": "/t", "Type": "tmpfs"},
            ])
        );
        assert_eq!(
            h["PortBindings"],
            json!({
                "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}, {"HostIp": "", "HostPort": ""}],
                "53/udp": [{"HostIp": "", "HostPort": "5353"}],
            })
        );
        assert_eq!(h["PublishAllPorts"], true);
        assert_eq!(h["CapAdd"], json!(["SYS_PTRACE"]));
        assert_eq!(h["CapDrop"], json!(["NET_RAW"]));
        assert_eq!(h["SecurityOpt"], json!(["seccomp=unconfined"]));
        assert_eq!(h["Privileged"], true);
        assert_eq!(h["Init"], true);
        assert_eq!(h["NetworkMode"], "devnet");
        assert_eq!(h["ExtraHosts"], json!(["host.docker.internal:host-gateway"]));
        assert_eq!(h["Dns"], json!(["1.1.1.1"]));
        assert_eq!(h["IpcMode"], "host");
        assert_eq!(h["PidMode"], "host");
        assert_eq!(h["UsernsMode"], "host");
        assert_eq!(h["UTSMode"], "host");
        assert_eq!(h["ShmSize"], 1i64 << 30);
        assert_eq!(h["NanoCpus"], 1_500_000_000i64);
        assert_eq!(h["Memory"], 1i64 << 31);
        assert_eq!(h["MemorySwap"], -1);
        assert_eq!(h["Devices"], json!([{"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse", "CgroupPermissions": "rwm"}]));
        assert_eq!(h["DeviceCgroupRules"], json!(["c 10:229 rwm"]));
        assert_eq!(h["DeviceRequests"], json!([{"Driver": "", "Count": -1, "Capabilities": [["gpu"]]}]));
        assert_eq!(h["Ulimits"], json!([{"Name": "nofile", "Soft": 1024, "Hard": 4096}]));
        assert_eq!(h["Sysctls"], json!({"net.core.somaxconn": "1024"}));
        assert_eq!(h["GroupAdd"], json!(["video"]));
        assert_eq!(h["RestartPolicy"], json!({"Name": "on-failure", "MaximumRetryCount": 3}));
        assert_eq!(h["ReadonlyRootfs"], true);
        assert_eq!(h["Tmpfs"], json!({"/run": "rw,size=64m"}));
        assert_eq!(h["LogConfig"], json!({"Type": "json-file", "Config": {"max-size": "10m"}}));
        assert_eq!(h["CgroupParent"], "/devc");
        assert_eq!(h["Runtime"], "runc");
        assert_eq!(h["StorageOpt"], json!({"size": "20G"}));
        assert_eq!(h["OomKillDisable"], false);
        assert_eq!(h["PidsLimit"], 512);
        assert_eq!(h["CpusetCpus"], "0-1");
        assert_eq!(h["CpuShares"], 512);
        assert_eq!(
            v["NetworkingConfig"],
            json!({"EndpointsConfig": {"devnet": {"Aliases": ["app"], "MacAddress": "02:42:ac:11:00:99"}}})
        );
    }

    #[test]
    fn mac_address_goes_to_the_config_before_api_1_44() {
        let req = create_request(&full_spec(), (1, 41)).unwrap();
        let raw: serde_json::Value = serde_json::from_slice(req.raw_body.as_deref().unwrap()).unwrap();
        assert_eq!(raw["MacAddress"], "02:42:ac:11:00:99");
        assert_eq!(raw["NetworkingConfig"], json!({"EndpointsConfig": {"devnet": {"Aliases": ["app"]}}}));
        // Everything else is the typed body.
        let mut typed = serde_json::to_value(&req.body).unwrap();
        typed["MacAddress"] = "02:42:ac:11:00:99".into();
        assert_eq!(raw, typed);
    }

    #[test]
    fn empty_spec_sends_only_the_image() {
        let req = create_request(&ContainerSpec { image: "img".into(), ..Default::default() }, (1, 41)).unwrap();
        assert_eq!(serde_json::to_value(&req.body).unwrap(), json!({"Image": "img", "HostConfig": {}}));
        assert_eq!(req.options.name, None);
        assert_eq!(req.options.platform, "");
    }

    #[test]
    fn gpu_device_ids_replace_the_count() {
        let spec = ContainerSpec {
            image: "img".into(),
            gpus: Some(GpuRequest { count: 2, device_ids: vec!["0".into()], capabilities: vec!["compute".into()] }),
            ..Default::default()
        };
        let v = serde_json::to_value(&create_request(&spec, (1, 41)).unwrap().body).unwrap();
        assert_eq!(v["HostConfig"]["DeviceRequests"], json!([{"Driver": "", "DeviceIDs": ["0"], "Capabilities": [["gpu", "compute"]]}]));
    }

    #[test]
    fn restart_policies() {
        assert_eq!(restart_policy("always").unwrap().name, Some(RestartPolicyNameEnum::ALWAYS));
        assert_eq!(restart_policy("unless-stopped").unwrap().name, Some(RestartPolicyNameEnum::UNLESS_STOPPED));
        assert_eq!(restart_policy("no").unwrap().name, Some(RestartPolicyNameEnum::NO));
        let p = restart_policy("on-failure:5").unwrap();
        assert_eq!((p.name, p.maximum_retry_count), (Some(RestartPolicyNameEnum::ON_FAILURE), Some(5)));
        for bad in ["sometimes", "always:3", "on-failure:x"] {
            assert!(matches!(restart_policy(bad), Err(RuntimeError::Unsupported { .. })), "{bad}");
        }
    }

    #[test]
    fn impossible_values_are_errors_not_dropped() {
        let aliases = ContainerSpec { image: "i".into(), network_aliases: vec!["a".into()], ..Default::default() };
        assert!(matches!(create_request(&aliases, (1, 41)), Err(RuntimeError::Unsupported { .. })));
        let bind = ContainerSpec {
            image: "i".into(),
            mounts: vec![MountSpec { kind: MountKind::Bind, source: None, target: "/x".into(), readonly: false }],
            ..Default::default()
        };
        assert!(create_request(&bind, (1, 41)).is_err());
    }
}

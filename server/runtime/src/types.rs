//! The backend-neutral requests and answers of the `Runtime` trait: what the
//! engine asks a container runtime to build, create, run and report. Nothing
//! here names a daemon; each backend maps these onto its own API.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Build an image from a Dockerfile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildRequest {
    /// The build context folder (sent to the daemon as a tar archive).
    pub context: PathBuf,
    /// The Dockerfile; when it is outside the context it is added to the archive.
    pub dockerfile: PathBuf,
    /// Tags for the result (the first is the main name).
    pub tags: Vec<String>,
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub cache_from: Vec<String>,
    pub no_cache: bool,
    pub labels: BTreeMap<String, String>,
    pub platform: Option<String>,
    /// Pull newer base images.
    pub pull: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountSpec {
    pub kind: MountKind,
    /// Host path (bind) or volume name (volume; `None` = anonymous). Unused for tmpfs.
    pub source: Option<String>,
    pub target: String,
    pub readonly: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortBinding {
    /// `tcp` or `udp`.
    pub protocol: String,
    pub container_port: u16,
    pub host_ip: Option<String>,
    /// `None`: any free host port.
    pub host_port: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceMapping {
    pub host_path: String,
    pub container_path: String,
    pub permissions: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GpuRequest {
    /// `-1` for all.
    pub count: i64,
    pub device_ids: Vec<String>,
    pub capabilities: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// Everything needed to create a container (the union of what `docker run`
/// flags and devcontainer.json can ask for).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerSpec {
    pub name: Option<String>,
    pub image: String,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    /// `KEY=VALUE` entries, passed as-is (never through a shell).
    pub env: Vec<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub mounts: Vec<MountSpec>,
    pub ports: Vec<PortBinding>,
    pub publish_all: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
    pub privileged: bool,
    pub init: Option<bool>,
    pub network: Option<String>,
    pub network_aliases: Vec<String>,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    pub extra_hosts: Vec<String>,
    pub dns: Vec<String>,
    pub ipc: Option<String>,
    pub pid: Option<String>,
    pub userns: Option<String>,
    pub uts: Option<String>,
    pub shm_size: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub memory: Option<i64>,
    pub memory_swap: Option<i64>,
    pub devices: Vec<DeviceMapping>,
    pub device_cgroup_rules: Vec<String>,
    pub gpus: Option<GpuRequest>,
    pub ulimits: Vec<Ulimit>,
    pub sysctls: BTreeMap<String, String>,
    pub group_add: Vec<String>,
    pub platform: Option<String>,
    pub restart: Option<String>,
    pub stop_signal: Option<String>,
    pub tty: bool,
    pub interactive: bool,
    pub read_only: bool,
    pub tmpfs: BTreeMap<String, String>,
    pub log_driver: Option<String>,
    pub log_opts: BTreeMap<String, String>,
    pub cgroup_parent: Option<String>,
    pub runtime: Option<String>,
    pub storage_opt: BTreeMap<String, String>,
    pub oom_kill_disable: Option<bool>,
    pub pids_limit: Option<i64>,
    pub cpuset_cpus: Option<String>,
    pub cpu_shares: Option<i64>,
    pub mac_address: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerState {
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited`, `dead`.
    pub status: String,
    pub running: bool,
    pub started_at: String,
    pub finished_at: String,
    pub exit_code: i64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerDetails {
    pub id: String,
    pub name: String,
    pub image: String,
    pub image_id: String,
    /// Creation time as the daemon reports it (used for run-once markers).
    pub created: String,
    pub state: ContainerState,
    pub labels: BTreeMap<String, String>,
    pub env: Vec<String>,
    pub user: String,
    pub mounts: Vec<MountedVolume>,
    /// The container's IP on its first network (for probes from the host).
    pub ip_address: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountedVolume {
    /// `bind`, `volume`, `tmpfs`.
    pub kind: String,
    pub name: Option<String>,
    pub source: String,
    pub destination: String,
}

/// Run a process in a running container.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecRequest {
    pub container: String,
    pub cmd: Vec<String>,
    /// `KEY=VALUE` entries.
    pub env: Vec<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub tty: bool,
    /// Attach stdin (the session's `stdin` writer is then available).
    pub stdin: bool,
}

/// One chunk of process output, as it arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputChunk {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
}

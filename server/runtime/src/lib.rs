//! The container runtime layer: the `Runtime` trait every backend implements
//! (the Docker Engine API, also on Podman's compatible socket; Apple's
//! `container` runtime through a C-ABI bridge loaded at run time), its
//! backend-neutral types, its one error type, and [`Backend`], the runtime a
//! command chose (`--runtime docker|podman|apple|auto`).

pub mod apple;
mod backend;
mod docker;
mod error;
mod types;

pub use apple::Apple;
pub use backend::{Backend, RuntimeKind};
pub use docker::Docker;
pub use error::RuntimeError;
pub use types::*;

use std::collections::BTreeMap;
use std::future::Future;
use tokio::sync::mpsc;

/// What the engine needs to know about a local image.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageDetails {
    pub id: String,
    /// The image's `USER` (empty means root).
    pub user: String,
    pub labels: BTreeMap<String, String>,
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

/// Receives human-readable progress lines (build steps, pull layers).
pub type Progress<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// A running exec. Output arrives on `output` in order, through a bounded
/// channel (a slow reader slows the process down instead of growing memory);
/// the channel closes only after the last byte. Then `Runtime::exec_wait`
/// gives the exit code.
pub struct ExecSession {
    pub id: String,
    pub output: mpsc::Receiver<OutputChunk>,
    /// Present when the request asked for stdin; dropping it closes the process's stdin.
    pub stdin: Option<Box<dyn tokio::io::AsyncWrite + Send + Unpin>>,
}

pub type Result<T> = std::result::Result<T, RuntimeError>;

/// What a backend can do beyond the common core; the engine refuses (or
/// skips) what a backend cannot do before it creates anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// `runArgs` (docker run flags) can be honoured.
    pub run_args: bool,
    /// `privileged: true` can be honoured.
    pub privileged: bool,
    /// `securityOpt` can be honoured.
    pub security_opt: bool,
    /// Bind mounts keep host ownership, so `updateRemoteUserUID` is needed
    /// (Apple's virtiofs shares need no UID change).
    pub update_remote_user_uid: bool,
}

impl Capabilities {
    /// A Docker-compatible daemon: everything.
    pub const FULL: Capabilities =
        Capabilities { run_args: true, privileged: true, security_opt: true, update_remote_user_uid: true };
}

/// The seam between the engine and a container runtime. Methods return
/// `Send` futures so the engine can run them on any task.
pub trait Runtime: Send + Sync {
    /// Short backend name used in messages (`docker`, `podman`, `apple`).
    fn name(&self) -> &'static str;

    /// What this backend supports beyond the common core.
    fn capabilities(&self) -> Capabilities {
        Capabilities::FULL
    }

    /// The daemon's version string; fails with `DaemonUnavailable`.
    fn ping(&self) -> impl Future<Output = Result<String>> + Send;

    /// `ImageNotFound` when the image is not present locally.
    fn inspect_image(&self, image: &str) -> impl Future<Output = Result<ImageDetails>> + Send;

    fn pull_image(&self, image: &str, progress: Progress<'_>) -> impl Future<Output = Result<()>> + Send;

    /// Builds and returns the image id; `BuildFailed` names the failing step.
    fn build_image(&self, request: &BuildRequest, progress: Progress<'_>) -> impl Future<Output = Result<String>> + Send;

    /// Creates (does not start) a container and returns its id.
    fn create_container(&self, spec: &ContainerSpec) -> impl Future<Output = Result<String>> + Send;

    /// Starting a running container is not an error.
    fn start_container(&self, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Stops with SIGTERM, then SIGKILL after `timeout_secs`. Stopping a stopped container is not an error.
    fn stop_container(&self, id: &str, timeout_secs: Option<i64>) -> impl Future<Output = Result<()>> + Send;

    /// Removes the container (`force` kills it first; `volumes` removes its anonymous volumes).
    fn remove_container(&self, id: &str, force: bool, volumes: bool) -> impl Future<Output = Result<()>> + Send;

    /// `ContainerNotFound` when there is no such container.
    fn inspect_container(&self, id: &str) -> impl Future<Output = Result<ContainerDetails>> + Send;

    /// Containers (running or not) carrying every `key=value` label, newest first.
    fn find_containers(&self, labels: &[(String, String)]) -> impl Future<Output = Result<Vec<ContainerDetails>>> + Send;

    /// Starts a process in a running container.
    fn exec(&self, request: &ExecRequest) -> impl Future<Output = Result<ExecSession>> + Send;

    /// The exit code of a finished exec (waits briefly if the daemon has not recorded it yet).
    fn exec_wait(&self, exec_id: &str) -> impl Future<Output = Result<i64>> + Send;

    /// Sends `signal` to the exec's process (and its process group) inside the container.
    fn exec_signal(&self, exec_id: &str, signal: i32) -> impl Future<Output = Result<()>> + Send;

    /// The exec's process ID inside the container (its PID namespace); `None` once it ended.
    fn exec_pid(&self, exec_id: &str) -> impl Future<Output = Result<Option<i64>>> + Send;

    fn exec_resize(&self, exec_id: &str, columns: u16, rows: u16) -> impl Future<Output = Result<()>> + Send;

    /// The container's output so far, then (with `follow`) as it comes; closes when the container stops.
    fn logs(&self, id: &str, follow: bool) -> impl Future<Output = Result<mpsc::Receiver<OutputChunk>>> + Send;

    fn remove_volume(&self, name: &str) -> impl Future<Output = Result<()>> + Send;
}

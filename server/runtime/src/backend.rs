//! Choosing a runtime (`--runtime docker|podman|apple|auto`) and [`Backend`],
//! the chosen one behind the `Runtime` trait, so commands are written once.
//! `auto` takes Apple's runtime on macOS on Apple silicon when its bridge
//! loads and its daemon answers, and the Docker Engine API otherwise.

use crate::{
    Apple, BuildRequest, Capabilities, ContainerDetails, ContainerSpec, Docker, ExecRequest, ExecSession, ImageDetails,
    OutputChunk, Progress, Result, Runtime,
};
use std::path::Path;
use tokio::sync::mpsc;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RuntimeKind {
    Docker,
    Podman,
    Apple,
    #[default]
    Auto,
}

impl std::str::FromStr for RuntimeKind {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "docker" => Ok(RuntimeKind::Docker),
            "podman" => Ok(RuntimeKind::Podman),
            "apple" => Ok(RuntimeKind::Apple),
            "auto" => Ok(RuntimeKind::Auto),
            other => Err(format!("unknown runtime {other:?} (use docker, podman, apple or auto)")),
        }
    }
}

/// The runtime a command runs against.
pub enum Backend {
    Docker(Docker),
    Apple(Apple),
}

/// Whether `auto` considers Apple's runtime on this machine.
pub const APPLE_NATIVE: bool = cfg!(all(target_os = "macos", target_arch = "aarch64"));

impl Backend {
    /// Connects to the chosen runtime (`bridge`: `--bridge`, for apple and auto).
    pub async fn connect(kind: RuntimeKind, bridge: Option<&Path>) -> Result<Backend> {
        match kind {
            RuntimeKind::Docker => Ok(Backend::Docker(Docker::connect().await?)),
            RuntimeKind::Podman => Ok(Backend::Docker(Docker::connect_podman().await?)),
            RuntimeKind::Apple => Ok(Backend::Apple(Apple::connect(bridge).await?)),
            RuntimeKind::Auto => {
                if APPLE_NATIVE {
                    match Apple::connect(bridge).await {
                        Ok(apple) => return Ok(Backend::Apple(apple)),
                        Err(e) => tracing::debug!("runtime auto: not using Apple's runtime ({e}); trying Docker"),
                    }
                }
                Ok(Backend::Docker(Docker::connect().await?))
            }
        }
    }
}

macro_rules! delegate {
    ($self:ident, $rt:ident => $call:expr) => {
        match $self {
            Backend::Docker($rt) => $call,
            Backend::Apple($rt) => $call,
        }
    };
}

impl Runtime for Backend {
    fn name(&self) -> &'static str {
        delegate!(self, r => r.name())
    }

    fn capabilities(&self) -> Capabilities {
        delegate!(self, r => r.capabilities())
    }

    async fn ping(&self) -> Result<String> {
        delegate!(self, r => r.ping().await)
    }

    async fn inspect_image(&self, image: &str) -> Result<ImageDetails> {
        delegate!(self, r => Runtime::inspect_image(r, image).await)
    }

    async fn pull_image(&self, image: &str, progress: Progress<'_>) -> Result<()> {
        delegate!(self, r => r.pull_image(image, progress).await)
    }

    async fn build_image(&self, request: &BuildRequest, progress: Progress<'_>) -> Result<String> {
        delegate!(self, r => r.build_image(request, progress).await)
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String> {
        delegate!(self, r => r.create_container(spec).await)
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        delegate!(self, r => r.start_container(id).await)
    }

    async fn stop_container(&self, id: &str, timeout_secs: Option<i64>) -> Result<()> {
        delegate!(self, r => r.stop_container(id, timeout_secs).await)
    }

    async fn remove_container(&self, id: &str, force: bool, volumes: bool) -> Result<()> {
        delegate!(self, r => r.remove_container(id, force, volumes).await)
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerDetails> {
        delegate!(self, r => r.inspect_container(id).await)
    }

    async fn find_containers(&self, labels: &[(String, String)]) -> Result<Vec<ContainerDetails>> {
        delegate!(self, r => r.find_containers(labels).await)
    }

    async fn exec(&self, request: &ExecRequest) -> Result<ExecSession> {
        delegate!(self, r => r.exec(request).await)
    }

    async fn exec_wait(&self, exec_id: &str) -> Result<i64> {
        delegate!(self, r => r.exec_wait(exec_id).await)
    }

    async fn exec_signal(&self, exec_id: &str, signal: i32) -> Result<()> {
        delegate!(self, r => r.exec_signal(exec_id, signal).await)
    }

    async fn exec_pid(&self, exec_id: &str) -> Result<Option<i64>> {
        delegate!(self, r => r.exec_pid(exec_id).await)
    }

    async fn exec_resize(&self, exec_id: &str, columns: u16, rows: u16) -> Result<()> {
        delegate!(self, r => r.exec_resize(exec_id, columns, rows).await)
    }

    async fn logs(&self, id: &str, follow: bool) -> Result<mpsc::Receiver<OutputChunk>> {
        delegate!(self, r => r.logs(id, follow).await)
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        delegate!(self, r => r.remove_volume(name).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names() {
        assert_eq!("apple".parse::<RuntimeKind>(), Ok(RuntimeKind::Apple));
        assert_eq!("podman".parse::<RuntimeKind>(), Ok(RuntimeKind::Podman));
        assert!("containerd".parse::<RuntimeKind>().unwrap_err().contains("docker, podman, apple or auto"));
    }
}

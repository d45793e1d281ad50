//! Docker Engine API backend over bollard: connection (unix socket or
//! DOCKER_HOST, `unix://`, `tcp://`, `http://`), API version negotiation (the
//! client only ever downgrades to what the daemon speaks), and the `Runtime`
//! implementation. The pieces that are pure mapping live in submodules so they
//! can be unit-tested without a daemon:
//!
//! - [`create`]: `ContainerSpec` → create body, host config and query.
//! - [`build`]: build and pull progress messages, image references.
//! - [`context`]: the build-context tar (with `.dockerignore`).
//! - [`exec`]: exec sessions (output pump, stdin writer) and signalling.
//! - [`objects`]: volumes and networks.
//!
//! Podman is the same client on Podman's Docker-compatible socket.

mod build;
mod context;
mod create;
mod exec;
mod objects;

use crate::{
    BuildRequest, ContainerDetails, ContainerSpec, ContainerState, ExecRequest, ExecSession, ImageDetails,
    MountedVolume, OutputChunk, Progress, Result, Runtime, RuntimeError,
};
use bollard::errors::Error as BollardError;
use bollard::query_parameters::{
    CreateImageOptionsBuilder, InspectContainerOptions, ListContainersOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptions, StopContainerOptionsBuilder, TagImageOptionsBuilder,
};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{mpsc, OnceCell};

pub struct Docker {
    client: bollard::Docker,
    endpoint: String,
    /// `docker`, or `podman` when connected to Podman's compatible socket.
    backend: &'static str,
    /// Set once the API version has been negotiated with the daemon.
    negotiated: OnceCell<()>,
}

const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";
const BACKEND: &str = "docker";
/// Capacity (in chunks) of the channels that carry exec and log output.
const OUTPUT_CHANNEL: usize = 64;

impl Docker {
    /// Connects to DOCKER_HOST (or the default socket), negotiates the API
    /// version with the daemon and checks that it answers.
    pub async fn connect() -> Result<Docker> {
        let docker = Docker::from_env()?;
        docker.api().await?;
        tracing::debug!(endpoint = %docker.endpoint, api = ?docker.client.client_version(), "connected to docker");
        Ok(docker)
    }

    /// A client for DOCKER_HOST (or the default socket). Nothing is sent to the
    /// daemon yet; the API version is negotiated on the first call.
    pub fn from_env() -> Result<Docker> {
        let endpoint = std::env::var("DOCKER_HOST").ok().filter(|h| !h.trim().is_empty());
        Docker::from_host(endpoint.as_deref().unwrap_or(DEFAULT_SOCKET))
    }

    /// A client for `endpoint` (`unix:///path`, `tcp://host:port`, `http://host:port`
    /// or a bare socket path). Fails with `DaemonUnavailable` when the socket
    /// file does not exist or the scheme is not supported; nothing is sent to
    /// the daemon until the first call, which negotiates the API version.
    pub fn from_host(endpoint: &str) -> Result<Docker> {
        let endpoint = endpoint.trim();
        let endpoint = if endpoint.starts_with('/') { format!("unix://{endpoint}") } else { endpoint.to_string() };
        let unavailable = |reason: String| RuntimeError::DaemonUnavailable { endpoint: endpoint.clone(), reason };
        let supported = ["unix://", "tcp://", "http://"];
        if !supported.iter().any(|s| endpoint.starts_with(s)) {
            return Err(unavailable(
                "this endpoint scheme is not supported (use unix://, tcp:// or http://; for ssh:// or TLS, forward the socket locally)"
                    .into(),
            ));
        }
        let client = bollard::Docker::connect_with_host(&endpoint).map_err(|e| match e {
            BollardError::SocketNotFoundError(path) => unavailable(format!("the socket {path} does not exist")),
            other => unavailable(error_chain(&other)),
        })?;
        Ok(Docker { client, endpoint, backend: BACKEND, negotiated: OnceCell::new() })
    }

    /// Connects to Podman's Docker-compatible API: CONTAINER_HOST, else the
    /// rootless socket (`$XDG_RUNTIME_DIR/podman/podman.sock`) when it exists,
    /// else the system socket `/run/podman/podman.sock`.
    pub async fn connect_podman() -> Result<Docker> {
        let from_env = std::env::var("CONTAINER_HOST").ok().filter(|h| !h.trim().is_empty());
        let rootless = std::env::var_os("XDG_RUNTIME_DIR")
            .map(|d| std::path::PathBuf::from(d).join("podman/podman.sock"))
            .filter(|p| p.exists());
        let endpoint = match (from_env, rootless) {
            (Some(host), _) => host,
            (None, Some(path)) => format!("unix://{}", path.display()),
            (None, None) => "unix:///run/podman/podman.sock".to_string(),
        };
        let hint = |e: RuntimeError| match e {
            RuntimeError::DaemonUnavailable { endpoint, reason } => RuntimeError::DaemonUnavailable {
                endpoint,
                reason: format!("{reason} (Podman serves this API once its socket runs: `systemctl --user start podman.socket`, or `podman system service` as root; CONTAINER_HOST chooses the socket)"),
            },
            other => other,
        };
        let mut docker = Docker::from_host(&endpoint).map_err(hint)?;
        docker.backend = "podman";
        docker.api().await.map_err(hint)?;
        Ok(docker)
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The client, after negotiating the API version once.
    async fn api(&self) -> Result<&bollard::Docker> {
        self.negotiated
            .get_or_try_init(|| async {
                // The version lives behind an Arc shared by clones, so negotiating
                // a clone downgrades `self.client` too.
                self.client.clone().negotiate_version().await.map(|_| ()).map_err(|e| self.unavailable(&e))
            })
            .await?;
        Ok(&self.client)
    }

    /// The negotiated API version as (major, minor).
    fn api_version(&self) -> (usize, usize) {
        let v = self.client.client_version();
        (v.major_version, v.minor_version)
    }

    /// Details of a local image, or `ImageNotFound`.
    pub async fn inspect_image(&self, image: &str) -> Result<ImageDetails> {
        let info = self.api().await?.inspect_image(image).await.map_err(|e| match status(&e) {
            Some(404) => RuntimeError::ImageNotFound { image: image.to_string() },
            _ => self.api_error("inspect image", e),
        })?;
        let config = info.config.unwrap_or_default();
        Ok(ImageDetails {
            id: info.id.unwrap_or_default(),
            user: config.user.unwrap_or_default(),
            labels: config.labels.unwrap_or_default().into_iter().collect(),
            env: config.env.unwrap_or_default(),
            entrypoint: config.entrypoint.unwrap_or_default(),
            cmd: config.cmd.unwrap_or_default(),
            os: info.os.unwrap_or_default(),
            architecture: info.architecture.unwrap_or_default(),
            variant: info.variant,
        })
    }

    fn unavailable(&self, e: &BollardError) -> RuntimeError {
        let reason = match e {
            BollardError::RequestTimeoutError => "the daemon did not answer in time".to_string(),
            other => error_chain(other),
        };
        RuntimeError::DaemonUnavailable { endpoint: self.endpoint.clone(), reason }
    }

    /// Maps a bollard error: transport failures become `DaemonUnavailable`,
    /// everything else `Api` with the daemon's message.
    fn api_error(&self, operation: &str, e: BollardError) -> RuntimeError {
        match e {
            BollardError::HyperResponseError { .. }
            | BollardError::HyperLegacyError { .. }
            | BollardError::IOError { .. }
            | BollardError::RequestTimeoutError
            | BollardError::SocketNotFoundError(_) => self.unavailable(&e),
            BollardError::DockerResponseServerError { status_code, message } => {
                RuntimeError::Api { operation: operation.to_string(), message: format!("{message} (HTTP {status_code})") }
            }
            other => RuntimeError::Api { operation: operation.to_string(), message: error_chain(&other) },
        }
    }

    /// Like `api_error`, but 404 means the container does not exist.
    fn container_error(&self, operation: &str, id: &str, e: BollardError) -> RuntimeError {
        match status(&e) {
            Some(404) if !message(&e).contains("No such image") => RuntimeError::ContainerNotFound { id: id.to_string() },
            _ => self.api_error(operation, e),
        }
    }

    /// Tags `image` (an id or name) as `reference` (`repo[:tag]`).
    async fn tag(&self, image: &str, reference: &str) -> Result<()> {
        let (repo, tag) = build::split_tag(reference);
        let options = TagImageOptionsBuilder::default().repo(&repo).tag(&tag).build();
        self.api().await?.tag_image(image, Some(options)).await.map_err(|e| self.api_error("tag image", e))
    }
}

/// The HTTP status of a daemon error response.
fn status(e: &BollardError) -> Option<u16> {
    match e {
        BollardError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

fn message(e: &BollardError) -> String {
    match e {
        BollardError::DockerResponseServerError { message, .. } => message.clone(),
        BollardError::DockerStreamError { error } => error.clone(),
        other => error_chain(other),
    }
}

/// An error with its sources (hyper's own message is only "client error (Connect)").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Sorts RFC 3339 timestamps as the daemon writes them (UTC, variable-length fraction).
fn timestamp_key(s: &str) -> (String, u64) {
    let s = s.trim_end_matches('Z');
    match s.split_once('.') {
        Some((secs, frac)) => {
            let digits: String = frac.chars().take_while(|c| c.is_ascii_digit()).take(9).collect();
            let nanos = format!("{digits:0<9}").parse().unwrap_or(0);
            (secs.to_string(), nanos)
        }
        None => (s.to_string(), 0),
    }
}

fn container_details(info: bollard::models::ContainerInspectResponse) -> ContainerDetails {
    let config = info.config.unwrap_or_default();
    let state = info.state.unwrap_or_default();
    let network_mode = info.host_config.and_then(|h| h.network_mode);
    let ip_address = info.network_settings.and_then(|n| n.networks).and_then(|networks| {
        let mut networks: Vec<_> = networks.into_iter().collect();
        // The network the container was created on first, then by name.
        networks.sort_by_key(|(name, _)| (Some(name) != network_mode.as_ref(), name.clone()));
        networks.into_iter().filter_map(|(_, ep)| ep.ip_address).find(|ip| !ip.is_empty())
    });
    ContainerDetails {
        id: info.id.unwrap_or_default(),
        name: info.name.unwrap_or_default().trim_start_matches('/').to_string(),
        image: config.image.unwrap_or_default(),
        image_id: info.image.unwrap_or_default(),
        created: info.created.unwrap_or_default(),
        state: ContainerState {
            status: state.status.map(|s| s.to_string()).unwrap_or_default(),
            running: state.running.unwrap_or(false),
            started_at: state.started_at.unwrap_or_default(),
            finished_at: state.finished_at.unwrap_or_default(),
            exit_code: state.exit_code.unwrap_or_default(),
        },
        labels: config.labels.unwrap_or_default().into_iter().collect(),
        env: config.env.unwrap_or_default(),
        user: config.user.unwrap_or_default(),
        mounts: info
            .mounts
            .unwrap_or_default()
            .into_iter()
            .map(|m| MountedVolume {
                kind: m.typ.map(|t| t.to_string()).unwrap_or_default(),
                name: m.name.filter(|n| !n.is_empty()),
                source: m.source.unwrap_or_default(),
                destination: m.destination.unwrap_or_default(),
            })
            .collect(),
        ip_address,
    }
}

impl Runtime for Docker {
    fn name(&self) -> &'static str {
        self.backend
    }

    async fn ping(&self) -> Result<String> {
        let version = self.api().await?.version().await.map_err(|e| self.unavailable(&e))?;
        Ok(version.version.unwrap_or_else(|| "unknown".into()))
    }

    async fn inspect_image(&self, image: &str) -> Result<ImageDetails> {
        Docker::inspect_image(self, image).await
    }

    async fn pull_image(&self, image: &str, progress: Progress<'_>) -> Result<()> {
        let client = self.api().await?;
        let (from_image, tag) = build::pull_reference(image);
        let mut options = CreateImageOptionsBuilder::default().from_image(&from_image);
        if let Some(tag) = &tag {
            options = options.tag(tag);
        }
        let mut stream = client.create_image(Some(options.build()), None, None);
        let failed = |message: String| RuntimeError::PullFailed { image: image.to_string(), message };
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(line) = build::pull_line(&info) {
                        progress(&line);
                    }
                }
                Err(BollardError::DockerStreamError { error }) => return Err(failed(error)),
                Err(BollardError::DockerResponseServerError { message, .. }) => return Err(failed(message)),
                Err(e) => return Err(self.api_error("pull image", e)),
            }
        }
        Ok(())
    }

    async fn build_image(&self, request: &BuildRequest, progress: Progress<'_>) -> Result<String> {
        let client = self.api().await?;
        let plan = context::ContextPlan::new(&request.context, &request.dockerfile).map_err(|e| RuntimeError::BuildFailed {
            step: build::NO_STEP.into(),
            message: format!("cannot read the build context {}: {e}", request.context.display()),
        })?;
        let options = build::build_options(request, &plan.dockerfile_name);
        let (body, writer) = context::tar_stream(plan);
        let mut stream = client.build_image(options, None, Some(bollard::body_try_stream(body)));
        let mut state = build::BuildState::default();
        let mut outcome: Result<()> = Ok(());
        while let Some(item) = stream.next().await {
            let result = match item {
                Ok(info) => state.handle(&info, progress),
                Err(BollardError::DockerStreamError { error }) => Err(state.failure(error)),
                Err(BollardError::DockerResponseServerError { message, .. }) => Err(state.failure(message)),
                Err(e) => Err(self.api_error("build image", e)),
            };
            if let Err(e) = result {
                outcome = Err(e);
                break;
            }
        }
        drop(stream);
        state.finish(progress);
        // A context that could not be read explains any transport error.
        match writer.await {
            Ok(Ok(())) => {}
            // The daemon stopped reading (it failed or finished): its answer is the news.
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe && outcome.is_err() => {}
            Ok(Err(e)) => {
                return Err(RuntimeError::BuildFailed {
                    step: build::NO_STEP.into(),
                    message: format!("cannot read the build context {}: {e}", request.context.display()),
                })
            }
            Err(e) => {
                return Err(RuntimeError::Api { operation: "build image".into(), message: format!("context writer: {e}") })
            }
        }
        outcome?;
        let id = match (state.image_id.clone(), request.tags.first(), state.built_short_id.clone()) {
            (Some(id), _, _) => id,
            (None, Some(tag), _) => self.inspect_image(tag).await?.id,
            (None, None, Some(short)) => self.inspect_image(&short).await?.id,
            (None, None, None) => {
                return Err(RuntimeError::Api {
                    operation: "build image".into(),
                    message: "the daemon did not report the id of the built image".into(),
                })
            }
        };
        for tag in request.tags.iter().skip(1) {
            self.tag(&id, tag).await?;
        }
        Ok(id)
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String> {
        let client = self.api().await?;
        let created = create::create_request(spec, self.api_version())?;
        let client = match created.raw_body {
            // Fields the typed body cannot carry for this API version (MacAddress
            // before 1.44): send the patched JSON instead of bollard's.
            Some(raw) => {
                let raw = bytes::Bytes::from(raw);
                client.clone().with_request_modifier(move |mut req| {
                    if req.uri().path().ends_with("/containers/create") {
                        *req.body_mut() = bollard::body_full(raw.clone());
                    }
                    req
                })
            }
            None => client.clone(),
        };
        let response = client.create_container(Some(created.options), created.body).await.map_err(|e| match status(&e) {
            Some(404) if message(&e).to_lowercase().contains("image") => RuntimeError::ImageNotFound { image: spec.image.clone() },
            Some(409) => RuntimeError::AlreadyExists {
                what: format!("container {}", spec.name.as_deref().unwrap_or_default()),
                message: message(&e),
            },
            _ => self.api_error("create container", e),
        })?;
        for warning in response.warnings {
            tracing::warn!(container = %response.id, "docker: {warning}");
        }
        Ok(response.id)
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        // 304 (already running) is a success for bollard.
        self.api().await?.start_container(id, None).await.map_err(|e| self.container_error("start container", id, e))
    }

    async fn stop_container(&self, id: &str, timeout_secs: Option<i64>) -> Result<()> {
        let mut options = StopContainerOptionsBuilder::default();
        if let Some(t) = timeout_secs {
            options = options.t(t.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
        }
        // The daemon answers after the container stopped: allow for the grace period.
        let grace = timeout_secs.unwrap_or(10).max(0) as u64;
        let client = self.api().await?.clone().with_timeout(Duration::from_secs(grace + 120));
        client.stop_container(id, Some(options.build())).await.map_err(|e| self.container_error("stop container", id, e))
    }

    async fn remove_container(&self, id: &str, force: bool, volumes: bool) -> Result<()> {
        let client = self.api().await?;
        let options = RemoveContainerOptionsBuilder::default().force(force).v(volumes).build();
        let mut in_progress = false;
        let mut delay = Duration::from_millis(100);
        for attempt in 0..8 {
            match client.remove_container(id, Some(options.clone())).await {
                Ok(()) => return Ok(()),
                // Someone else's removal finished while we waited.
                Err(e) if status(&e) == Some(404) && in_progress => return Ok(()),
                Err(e) if status(&e) == Some(409) && message(&e).contains("already in progress") && attempt < 7 => {
                    in_progress = true;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(self.container_error("remove container", id, e)),
            }
        }
        unreachable!("the last attempt returns")
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerDetails> {
        let info = self
            .api()
            .await?
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(|e| self.container_error("inspect container", id, e))?;
        Ok(container_details(info))
    }

    async fn find_containers(&self, labels: &[(String, String)]) -> Result<Vec<ContainerDetails>> {
        let client = self.api().await?;
        let mut filters: HashMap<String, Vec<String>> = HashMap::new();
        if !labels.is_empty() {
            filters.insert("label".into(), labels.iter().map(|(k, v)| format!("{k}={v}")).collect());
        }
        let options = ListContainersOptionsBuilder::default().all(true).filters(&filters).build();
        let summaries = client.list_containers(Some(options)).await.map_err(|e| self.api_error("list containers", e))?;
        let mut found = Vec::new();
        for summary in summaries {
            let Some(id) = summary.id else { continue };
            match self.inspect_container(&id).await {
                Ok(details) if details.state.status == "removing" => {}
                Ok(details) => found.push(details),
                // Removed between the list and the inspect.
                Err(RuntimeError::ContainerNotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        found.sort_by_key(|c| std::cmp::Reverse(timestamp_key(&c.created)));
        Ok(found)
    }

    async fn exec(&self, request: &ExecRequest) -> Result<ExecSession> {
        let client = self.api().await?;
        exec::start(self, client, request).await
    }

    async fn exec_wait(&self, exec_id: &str) -> Result<i64> {
        let client = self.api().await?;
        exec::wait(self, client, exec_id).await
    }

    async fn exec_signal(&self, exec_id: &str, signal: i32) -> Result<()> {
        let client = self.api().await?;
        exec::signal(self, client, exec_id, signal).await
    }

    async fn exec_pid(&self, exec_id: &str) -> Result<Option<i64>> {
        let client = self.api().await?;
        exec::pid(self, client, exec_id).await
    }

    async fn exec_resize(&self, exec_id: &str, columns: u16, rows: u16) -> Result<()> {
        let options = bollard::exec::ResizeExecOptions { width: columns, height: rows };
        self.api().await?.resize_exec(exec_id, options).await.map_err(|e| self.api_error("resize exec", e))
    }

    async fn logs(&self, id: &str, follow: bool) -> Result<mpsc::Receiver<OutputChunk>> {
        let client = self.api().await?;
        // Fail early (and typed) for a missing container: the stream would only report it later.
        client
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(|e| self.container_error("container logs", id, e))?;
        let options = LogsOptionsBuilder::default().follow(follow).stdout(true).stderr(true).tail("all").build();
        let (tx, rx) = mpsc::channel(OUTPUT_CHANNEL);
        let client = client.clone();
        let what = format!("logs of {id}");
        let id = id.to_string();
        tokio::spawn(async move {
            let stream = client.logs(&id, Some(options));
            exec::pump(Box::pin(stream), tx, what, false).await;
        });
        Ok(rx)
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        match self.api().await?.remove_volume(name, None::<RemoveVolumeOptions>).await {
            Ok(()) => Ok(()),
            // Already gone: removing is idempotent.
            Err(e) if status(&e) == Some(404) => Ok(()),
            Err(e) => Err(self.api_error("remove volume", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_sort_by_value_not_text() {
        // Go trims trailing zeros from the fraction: ".12" is earlier than ".123".
        assert!(timestamp_key("2024-01-01T00:00:00.12Z") < timestamp_key("2024-01-01T00:00:00.123Z"));
        assert!(timestamp_key("2024-01-01T00:00:00Z") < timestamp_key("2024-01-01T00:00:00.000000001Z"));
        assert!(timestamp_key("2024-01-01T00:00:01Z") > timestamp_key("2024-01-01T00:00:00.999999999Z"));
    }

    #[test]
    fn endpoints_with_unsupported_schemes_are_unavailable() {
        match Docker::from_host("ssh://me@host") {
            Err(RuntimeError::DaemonUnavailable { endpoint, reason }) => {
                assert_eq!(endpoint, "ssh://me@host");
                assert!(reason.contains("not supported"), "{reason}");
            }
            other => panic!("{:?}", other.err()),
        }
    }

    #[test]
    fn missing_socket_is_unavailable_and_names_the_path() {
        match Docker::from_host("unix:///tmp/devc-no-such-dir/docker.sock") {
            Err(e @ RuntimeError::DaemonUnavailable { .. }) => {
                assert!(e.to_string().contains("/tmp/devc-no-such-dir/docker.sock"), "{e}")
            }
            other => panic!("{:?}", other.err()),
        }
    }
}

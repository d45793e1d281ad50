//! The `apple` backend: Apple's `container` runtime through a bridge library
//! that implements the C ABI of `bridge/include/devc_bridge.h` (the Swift
//! bridge on macOS; the Linux bridge over the Docker Engine runs the same code
//! path byte for byte in tests). Submodules:
//!
//! - [`loader`]: finding and loading the library, the ABI version check.
//! - [`call`]: blocking calls with deadlines and cancel tokens; error codes →
//!   typed errors with the fix as a hint.
//! - [`convert`]: runtime types ↔ the bridge's JSON.
//! - [`pipes`]: exec stdio and progress through pipes.
//!
//! What the backend cannot do is refused up front (see `capabilities`):
//! runArgs, privileged and securityOpt; updateRemoteUserUID is not needed
//! (virtiofs shares show files as owned by the user who reads them).

pub mod call;
pub mod convert;
pub mod loader;
pub mod pipes;

use crate::{
    BuildRequest, Capabilities, ContainerDetails, ContainerSpec, ExecRequest, ExecSession, ImageDetails, OutputChunk,
    Progress, Result, Runtime, RuntimeError,
};
use call::{call, millis, Failure, Subject};
use loader::{Bridge, BridgeInfo};
use serde_json::{json, Value};
use std::ffi::CString;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

pub(crate) const BACKEND: &str = "apple";

/// Deadlines per operation. Apple's create unpacks the image and the init
/// image first; pulls and builds can take long; waiting for an exec has none.
const QUICK: Duration = Duration::from_secs(30);
const PING: Duration = Duration::from_secs(15);
const CREATE: Duration = Duration::from_secs(300);
const START: Duration = Duration::from_secs(120);
const DELETE: Duration = Duration::from_secs(120);
const PULL: Duration = Duration::from_secs(30 * 60);
const BUILD: Duration = Duration::from_secs(60 * 60);
/// How long progress lines may trail the end of a pull or build.
const PROGRESS_DRAIN: Duration = Duration::from_secs(2);
const OUTPUT_CHANNEL: usize = 64;
const SIGTERM: i32 = 15;

/// A runtime backed by a loaded bridge.
#[derive(Clone, Copy)]
pub struct Apple {
    bridge: &'static Bridge,
}

impl Apple {
    /// Finds the bridge (`explicit` = `--bridge`, else `DEVC_BRIDGE_PATH`,
    /// else next to the devc binary).
    pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
        loader::locate(explicit)
    }

    /// Loads the bridge at `path` (ABI version checked); contacts nothing.
    pub fn load(path: &Path) -> Result<Apple> {
        Ok(Apple { bridge: loader::load(path)? })
    }

    /// Locates and loads the bridge, then checks that its daemon answers.
    pub async fn connect(explicit: Option<&Path>) -> Result<Apple> {
        let apple = Apple::load(&Apple::locate(explicit)?)?;
        let version = apple.ping().await?;
        tracing::debug!(bridge = %apple.bridge.path.display(), daemon = %version, "connected through the container bridge");
        Ok(apple)
    }

    /// What the loaded bridge says about itself.
    pub fn info(&self) -> &BridgeInfo {
        &self.bridge.info
    }

    pub fn path(&self) -> &Path {
        &self.bridge.path
    }

    fn error(&self, failure: Failure, operation: &str, subject: Subject<'_>, timeout: Option<Duration>) -> RuntimeError {
        failure.into_error(operation, subject, &self.bridge.info.platform, timeout)
    }

    /// A call taking a JSON request.
    async fn request(&self, operation: &str, subject: Subject<'_>, timeout: Duration, pick: PickRequest, request: Value) -> Result<Value> {
        let text = cstring(operation, &request)?;
        self.raw_request(timeout, pick, text).await.map_err(|f| self.error(f, operation, subject, Some(timeout)))
    }

    async fn raw_request(&self, timeout: Duration, pick: PickRequest, text: CString) -> std::result::Result<Value, Failure> {
        let ms = millis(Some(timeout));
        call(self.bridge, move |fns, cancel| {
            // SAFETY: a NUL-terminated request that outlives the call, as the header asks.
            unsafe { pick(fns)(text.as_ptr(), ms, cancel) }
        })
        .await
    }

    /// Pull or build: the call runs while its progress lines are passed on.
    async fn with_progress(
        &self,
        operation: &str,
        subject: Subject<'_>,
        timeout: Duration,
        pick: PickRequestFd,
        request: Value,
        progress: Progress<'_>,
    ) -> Result<Value> {
        let text = cstring(operation, &request)?;
        let (read_end, write_end) = pipes::pipe().map_err(|e| io_error(operation, e))?;
        let (tx, mut rx) = mpsc::unbounded_channel();
        pipes::spawn_line_reader(read_end, tx);
        let ms = millis(Some(timeout));
        let work = call(self.bridge, move |fns, cancel| {
            let fd = std::os::fd::AsRawFd::as_raw_fd(&write_end);
            // SAFETY: as in `request`; the fd stays open for the whole call
            // (the bridge duplicates it) and is closed right after.
            let answer = unsafe { pick(fns)(text.as_ptr(), fd, ms, cancel) };
            drop(write_end);
            answer
        });
        tokio::pin!(work);
        let result = loop {
            tokio::select! {
                result = &mut work => break result,
                Some(line) = rx.recv() => progress(&line),
            }
        };
        // The bridge closed its copy before returning: the rest is buffered.
        let drain = tokio::time::Instant::now() + PROGRESS_DRAIN;
        while let Ok(Some(line)) = tokio::time::timeout_at(drain, rx.recv()).await {
            progress(&line);
        }
        result.map_err(|f| self.error(f, operation, subject, Some(timeout)))
    }

    /// Creates a named volume (existing ones are kept).
    pub async fn create_volume(&self, name: &str, labels: &std::collections::BTreeMap<String, String>) -> Result<String> {
        let data = self.request("create volume", Subject::Other, QUICK, |f| f.volume_create, json!({"name": name, "labels": labels})).await?;
        Ok(data.get("name").and_then(Value::as_str).unwrap_or(name).to_string())
    }

    /// Creates a network (existing ones are kept); returns its id.
    pub async fn create_network(&self, name: &str, labels: &std::collections::BTreeMap<String, String>) -> Result<String> {
        let data = self.request("create network", Subject::Other, QUICK, |f| f.network_create, json!({"name": name, "labels": labels})).await?;
        Ok(data.get("id").and_then(Value::as_str).unwrap_or(name).to_string())
    }

    pub async fn remove_network(&self, name: &str) -> Result<()> {
        self.request("remove network", Subject::Other, QUICK, |f| f.network_remove, json!({"name": name})).await.map(|_| ())
    }

    /// Whether builds can run now (`ServiceUnavailable` with the fix when not).
    pub async fn builder_probe(&self) -> Result<()> {
        let ms = millis(Some(QUICK));
        call(self.bridge, move |fns, cancel| unsafe { (fns.builder_probe)(ms, cancel) })
            .await
            .map(|_| ())
            .map_err(|f| self.error(f, "probe the image builder", Subject::Other, Some(QUICK)))
    }
}

/// Chooses the export for a request-taking call.
type PickRequest = fn(&loader::Fns) -> unsafe extern "C" fn(*const std::ffi::c_char, i64, *mut loader::CancelToken) -> loader::Text;
/// … and for one that also takes a progress fd.
type PickRequestFd =
    fn(&loader::Fns) -> unsafe extern "C" fn(*const std::ffi::c_char, i32, i64, *mut loader::CancelToken) -> loader::Text;

fn cstring(operation: &str, request: &Value) -> Result<CString> {
    CString::new(request.to_string())
        .map_err(|_| RuntimeError::Api { operation: operation.into(), message: "the request contains a NUL character".into() })
}

fn io_error(operation: &str, e: std::io::Error) -> RuntimeError {
    RuntimeError::Api { operation: operation.into(), message: format!("cannot create a pipe: {e}") }
}

fn handle(exec_id: &str) -> Result<u64> {
    exec_id.parse::<u64>().ok().filter(|h| *h != 0).ok_or_else(|| RuntimeError::Api {
        operation: "exec".into(),
        message: format!("{exec_id:?} is not an exec of the apple backend"),
    })
}

/// Sends SIGTERM to an exec whose waiter went away before it ended, then
/// releases it: cancelling a wait ends the process, as nobody reads it any more.
struct TerminateOnDrop {
    bridge: &'static Bridge,
    handle: u64,
    armed: bool,
}

impl Drop for TerminateOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (bridge, handle) = (self.bridge, self.handle);
        let spawned = std::thread::Builder::new().name("devc-bridge-cancel".into()).spawn(move || {
            let fns = bridge.fns;
            // SAFETY: plain values; no cancel token (NULL is allowed).
            let text = unsafe { (fns.exec_signal)(handle, SIGTERM, millis(Some(QUICK)), std::ptr::null_mut()) };
            // SAFETY: an answer of this bridge, freed once here.
            let answer = unsafe { bridge.take(text) };
            tracing::debug!(handle, answer = %answer, "terminated an exec whose wait was cancelled");
            unsafe { (fns.exec_release)(handle) };
        });
        if let Err(e) = spawned {
            tracing::warn!("cannot terminate cancelled exec {handle}: {e}");
        }
    }
}

impl Runtime for Apple {
    fn name(&self) -> &'static str {
        BACKEND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { run_args: false, privileged: false, security_opt: false, update_remote_user_uid: false }
    }

    async fn ping(&self) -> Result<String> {
        let ms = millis(Some(PING));
        let data = call(self.bridge, move |fns, cancel| unsafe { (fns.ping)(ms, cancel) })
            .await
            .map_err(|f| self.error(f, "contact the container daemon", Subject::Other, Some(PING)))?;
        Ok(data.get("version").and_then(Value::as_str).unwrap_or("unknown").to_string())
    }

    async fn inspect_image(&self, image: &str) -> Result<ImageDetails> {
        let data = self.request("inspect image", Subject::Image(image), QUICK, |f| f.image_inspect, json!({"reference": image})).await?;
        convert::image_details(data)
    }

    async fn pull_image(&self, image: &str, progress: Progress<'_>) -> Result<()> {
        self.with_progress("pull image", Subject::Image(image), PULL, |f| f.image_pull, json!({"reference": image}), progress)
            .await
            .map(|_| ())
    }

    async fn build_image(&self, request: &BuildRequest, progress: Progress<'_>) -> Result<String> {
        let body = convert::build_request(request)?;
        let data = self.with_progress("build image", Subject::Other, BUILD, |f| f.image_build, body, progress).await?;
        data.get("id").and_then(Value::as_str).map(str::to_string).ok_or_else(|| RuntimeError::Api {
            operation: "build image".into(),
            message: "the bridge did not report the id of the built image".into(),
        })
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String> {
        let body = convert::create_request(spec)?;
        let subject = match &spec.name {
            Some(name) => Subject::Container(name),
            None => Subject::Other,
        };
        let text = cstring("create container", &body)?;
        let data = self.raw_request(CREATE, |f| f.container_create, text).await.map_err(|f| match f.code.as_str() {
            // The only image a create names is the spec's.
            "IMAGE_NOT_FOUND" => RuntimeError::ImageNotFound { image: spec.image.clone() },
            _ => self.error(f, "create container", subject, Some(CREATE)),
        })?;
        data.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()).map(str::to_string).ok_or_else(|| {
            RuntimeError::Api { operation: "create container".into(), message: "the bridge did not return the container id".into() }
        })
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        self.request("start container", Subject::Container(id), START, |f| f.container_start, json!({"id": id})).await.map(|_| ())
    }

    async fn stop_container(&self, id: &str, timeout_secs: Option<i64>) -> Result<()> {
        let grace = timeout_secs.unwrap_or(10).max(0) as u64;
        let mut body = json!({"id": id});
        if let Some(t) = timeout_secs {
            body["graceSeconds"] = t.max(0).into();
        }
        let deadline = Duration::from_secs(grace + 60);
        self.request("stop container", Subject::Container(id), deadline, |f| f.container_stop, body).await.map(|_| ())
    }

    async fn remove_container(&self, id: &str, force: bool, volumes: bool) -> Result<()> {
        let body = json!({"id": id, "force": force, "volumes": volumes});
        self.request("remove container", Subject::Container(id), DELETE, |f| f.container_delete, body).await.map(|_| ())
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerDetails> {
        let data = self.request("inspect container", Subject::Container(id), QUICK, |f| f.container_inspect, json!({"id": id})).await?;
        convert::container_details(data)
    }

    async fn find_containers(&self, labels: &[(String, String)]) -> Result<Vec<ContainerDetails>> {
        let labels: serde_json::Map<String, Value> = labels.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let data = self
            .request("list containers", Subject::Other, QUICK, |f| f.container_list, json!({"labels": labels, "all": true}))
            .await?;
        convert::container_list(data)
    }

    async fn exec(&self, request: &ExecRequest) -> Result<ExecSession> {
        let operation = "start exec";
        let body = cstring(operation, &convert::exec_request(request))?;
        let pipe = || pipes::pipe().map_err(|e| io_error(operation, e));
        let (out_read, out_write) = pipe()?;
        let (err_read, err_write) = if request.tty { (None, None) } else { pipe().map(|(r, w)| (Some(r), Some(w)))? };
        let (in_read, in_write) = if request.stdin { pipe().map(|(r, w)| (Some(r), Some(w)))? } else { (None, None) };
        let ms = millis(Some(QUICK));
        let data = call(self.bridge, move |fns, cancel| {
            let (stdin, stderr) = (pipes::raw(&in_read), pipes::raw(&err_write));
            let stdout = std::os::fd::AsRawFd::as_raw_fd(&out_write);
            // SAFETY: the fds stay open for the call (the bridge duplicates
            // them); our copies of the far ends close right after.
            let answer = unsafe { (fns.exec_start)(body.as_ptr(), stdin, stdout, stderr, ms, cancel) };
            drop((in_read, out_write, err_write));
            answer
        })
        .await
        .map_err(|f| self.error(f, operation, Subject::Container(&request.container), Some(QUICK)))?;
        let handle = data.get("handle").and_then(Value::as_u64).filter(|h| *h != 0).ok_or_else(|| RuntimeError::Api {
            operation: operation.into(),
            message: format!("the bridge returned no exec handle: {data}"),
        })?;
        let (tx, rx) = mpsc::channel::<OutputChunk>(OUTPUT_CHANNEL);
        pipes::spawn_output_reader(out_read, tx.clone(), false);
        if let Some(err_read) = err_read {
            pipes::spawn_output_reader(err_read, tx, true);
        }
        Ok(ExecSession { id: handle.to_string(), output: rx, stdin: in_write.map(pipes::stdin_writer) })
    }

    async fn exec_wait(&self, exec_id: &str) -> Result<i64> {
        let h = handle(exec_id)?;
        let mut terminate = TerminateOnDrop { bridge: self.bridge, handle: h, armed: true };
        let result = call(self.bridge, move |fns, cancel| unsafe { (fns.exec_wait)(h, 0, cancel) }).await;
        terminate.armed = false;
        // SAFETY: plain value; idempotent.
        unsafe { (self.bridge.fns.exec_release)(h) };
        let data = result.map_err(|f| self.error(f, "wait for exec", Subject::Exec(exec_id), None))?;
        data.get("exitCode").and_then(Value::as_i64).ok_or_else(|| RuntimeError::Api {
            operation: "wait for exec".into(),
            message: format!("the bridge returned no exit code: {data}"),
        })
    }

    async fn exec_signal(&self, exec_id: &str, signal: i32) -> Result<()> {
        let h = handle(exec_id)?;
        let ms = millis(Some(QUICK));
        call(self.bridge, move |fns, cancel| unsafe { (fns.exec_signal)(h, signal, ms, cancel) })
            .await
            .map(|_| ())
            .map_err(|f| self.error(f, "signal exec", Subject::Exec(exec_id), Some(QUICK)))
    }

    /// Apple's `ClientProcess` exposes no process id (only its own string id),
    /// so neither does the bridge: always `None` here.
    async fn exec_pid(&self, exec_id: &str) -> Result<Option<i64>> {
        handle(exec_id)?;
        Ok(None)
    }

    async fn exec_resize(&self, exec_id: &str, columns: u16, rows: u16) -> Result<()> {
        let h = handle(exec_id)?;
        let ms = millis(Some(QUICK));
        call(self.bridge, move |fns, cancel| unsafe { (fns.exec_resize)(h, columns, rows, ms, cancel) })
            .await
            .map(|_| ())
            .map_err(|f| self.error(f, "resize exec", Subject::Exec(exec_id), Some(QUICK)))
    }

    async fn logs(&self, id: &str, follow: bool) -> Result<mpsc::Receiver<OutputChunk>> {
        let data = self.request("container logs", Subject::Container(id), QUICK, |f| f.logs_open, json!({"id": id, "follow": follow})).await?;
        let fd = data.get("fd").and_then(Value::as_i64).and_then(|fd| i32::try_from(fd).ok()).filter(|fd| *fd >= 0).ok_or_else(|| {
            RuntimeError::Api { operation: "container logs".into(), message: format!("the bridge returned no fd: {data}") }
        })?;
        // SAFETY: the header gives the caller ownership of this fd.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let (tx, rx) = mpsc::channel(OUTPUT_CHANNEL);
        pipes::spawn_output_reader(fd, tx, false);
        Ok(rx)
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        self.request("remove volume", Subject::Other, QUICK, |f| f.volume_remove, json!({"name": name})).await.map(|_| ())
    }
}


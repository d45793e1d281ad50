//! Running a blocking export: the work is spawned on the bridge's own tokio
//! runtime (so callers may be on any thread, even another runtime's) and
//! raced against the deadline and the cancel token; the losing branch is
//! dropped, which abandons the daemon request. The caller's thread waits on a
//! channel. Also the global state: the runtime and the Docker client.

use crate::codes::{BridgeError, Code};
use devc_runtime::Docker;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::watch;

/// The header's opaque `devc_bridge_cancel`.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct devc_bridge_cancel {
    _private: [u8; 0],
}

/// A cancel token: fired once, seen by every call holding it.
pub struct Cancel {
    fired: watch::Sender<bool>,
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel { fired: watch::Sender::new(false) }
    }

    pub fn fire(&self) {
        self.fired.send_replace(true);
    }

    pub fn is_fired(&self) -> bool {
        *self.fired.borrow()
    }

    async fn wait(&self) {
        let mut rx = self.fired.subscribe();
        // The sender lives as long as `self`, so this only returns once fired.
        let _ = rx.wait_for(|fired| *fired).await;
    }

    /// A new token as the pointer the header hands out.
    pub fn into_raw(self) -> *mut devc_bridge_cancel {
        Arc::into_raw(Arc::new(self)) as *mut devc_bridge_cancel
    }

    /// Our own reference to a caller's token (None for NULL).
    ///
    /// # Safety
    /// `ptr` is NULL or a live token from `into_raw`.
    pub unsafe fn borrow(ptr: *mut devc_bridge_cancel) -> Option<Arc<Cancel>> {
        if ptr.is_null() {
            return None;
        }
        let ptr = ptr as *const Cancel;
        Arc::increment_strong_count(ptr);
        Some(Arc::from_raw(ptr))
    }
}

pub struct State {
    runtime: tokio::runtime::Runtime,
    docker: Result<Arc<Docker>, String>,
}

static STATE: OnceLock<Result<State, String>> = OnceLock::new();

fn state() -> Result<&'static State, BridgeError> {
    let state = STATE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("devc-bridge-linux")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the bridge's async runtime: {e}"))?;
        // DOCKER_HOST is read once, when the bridge is first used.
        let docker = Docker::from_env().map(Arc::new).map_err(|e| BridgeError::from(e).message);
        Ok(State { runtime, docker })
    });
    state.as_ref().map_err(|e| BridgeError::internal(e.clone()))
}

/// The Docker client (DAEMON_UNAVAILABLE when DOCKER_HOST is unusable).
pub fn docker() -> Result<Arc<Docker>, BridgeError> {
    state()?.docker.clone().map_err(|e| BridgeError::new(Code::DaemonUnavailable, e))
}

/// Runs `work` with the call's deadline (`timeout_ms` <= 0: none) and cancel token.
pub fn run<T, F>(timeout_ms: i64, cancel: Option<Arc<Cancel>>, work: F) -> Result<T, BridgeError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, BridgeError>> + Send + 'static,
{
    if cancel.as_ref().is_some_and(|c| c.is_fired()) {
        return Err(BridgeError::new(Code::Cancelled, "the call was cancelled before it started"));
    }
    let state = state()?;
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    state.runtime.spawn(async move {
        let deadline = async {
            match u64::try_from(timeout_ms) {
                Ok(ms) if ms > 0 => tokio::time::sleep(Duration::from_millis(ms)).await,
                _ => std::future::pending().await,
            }
        };
        let cancelled = async {
            match &cancel {
                Some(c) => c.wait().await,
                None => std::future::pending().await,
            }
        };
        let result = tokio::select! {
            result = work => result,
            _ = deadline => Err(BridgeError::new(Code::Timeout, format!("the deadline of {timeout_ms} ms passed"))),
            _ = cancelled => Err(BridgeError::new(Code::Cancelled, "the call was cancelled")),
        };
        let _ = tx.send(result);
    });
    // A panic in the task drops the sender.
    rx.recv().unwrap_or_else(|_| Err(BridgeError::internal("the operation failed unexpectedly (a bug in the bridge)")))
}

/// Spawns a background task on the bridge's runtime.
pub fn spawn(task: impl Future<Output = ()> + Send + 'static) -> Result<(), BridgeError> {
    state()?.runtime.spawn(task);
    Ok(())
}

//! The devc bridge ABI (`bridge/include/devc_bridge.h`, version 1) over the
//! Docker Engine API: a real implementation (it creates, execs, streams and
//! signals real containers through dockerd, using devc-runtime's Docker
//! backend), so devc's `apple` runtime and the ABI conformance suite run byte
//! for byte on Linux. DOCKER_HOST chooses the daemon (read on first use).
//!
//! This file holds the exports: each parses its arguments, runs the work
//! (`calls`: deadline, cancel token) and returns an envelope (`codes`); no
//! panic crosses the boundary. `objects` maps containers, images, volumes and
//! networks; `exec` owns exec handles and fd pumping; `fds` the fd rules.

mod calls;
mod codes;
mod exec;
mod fds;
mod objects;
mod requests;

pub use calls::devc_bridge_cancel;
use calls::Cancel;
use codes::{envelope, into_c, BridgeError, Code};
use serde_json::{json, Value};
use std::ffi::{c_char, c_int, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// `DEVC_BRIDGE_ABI_VERSION` of the header this implements.
pub const ABI_VERSION: u32 = 1;
/// What `info` and `ping` report as the platform.
pub const PLATFORM: &str = "docker-engine";

/// Runs an export's body; a panic becomes an INTERNAL envelope.
fn answer(body: impl FnOnce() -> Result<Value, BridgeError>) -> *mut c_char {
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(BridgeError::internal(format!("the bridge failed unexpectedly: {what}")))
    });
    into_c(envelope(result))
}

/// The call's token; CANCELLED at once when it has already fired (the
/// header: such a call does nothing).
///
/// # Safety
/// `cancel` is NULL or a live token.
unsafe fn token(cancel: *mut devc_bridge_cancel) -> Result<Option<std::sync::Arc<Cancel>>, BridgeError> {
    let token = Cancel::borrow(cancel);
    if token.as_ref().is_some_and(|t| t.is_fired()) {
        return Err(BridgeError::new(Code::Cancelled, "the call was cancelled before it started"));
    }
    Ok(token)
}

#[no_mangle]
pub extern "C" fn devc_bridge_abi_version() -> u32 {
    ABI_VERSION
}

#[no_mangle]
pub extern "C" fn devc_bridge_info() -> *mut c_char {
    answer(|| {
        Ok(json!({
            "abiVersion": ABI_VERSION,
            "implementation": "devc-bridge-linux",
            "version": env!("CARGO_PKG_VERSION"),
            "platform": PLATFORM,
            "codes": Code::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        }))
    })
}

/// # Safety
/// `s` is NULL or a string returned by this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn devc_bridge_free(s: *mut c_char) {
    if !s.is_null() {
        drop(CString::from_raw(s));
    }
}

#[no_mangle]
pub extern "C" fn devc_bridge_cancel_new() -> *mut devc_bridge_cancel {
    Cancel::new().into_raw()
}

/// # Safety
/// `token` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn devc_bridge_cancel_fire(token: *mut devc_bridge_cancel) {
    if !token.is_null() {
        let _ = catch_unwind(|| (*(token as *const Cancel)).fire());
    }
}

/// # Safety
/// `token` is NULL or a live token no running call uses.
#[no_mangle]
pub unsafe extern "C" fn devc_bridge_cancel_free(token: *mut devc_bridge_cancel) {
    if !token.is_null() {
        drop(std::sync::Arc::from_raw(token as *const Cancel));
    }
}

/// # Safety
/// `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn devc_bridge_ping(timeout_ms: i64, cancel: *mut devc_bridge_cancel) -> *mut c_char {
    answer(|| objects::ping(timeout_ms, token(cancel)?))
}

/// Defines an export taking `(request, timeout_ms, cancel)`.
macro_rules! request_export {
    ($name:ident, $operation:literal, $request:ty, $handler:path) => {
        /// # Safety
        /// `request` is NULL or NUL-terminated; `cancel` is NULL or a live token.
        #[no_mangle]
        pub unsafe extern "C" fn $name(request: *const c_char, timeout_ms: i64, cancel: *mut devc_bridge_cancel) -> *mut c_char {
            answer(|| {
                let cancel = token(cancel)?;
                let r: $request = requests::parse(request, $operation)?;
                $handler(r, timeout_ms, cancel)
            })
        }
    };
}

request_export!(devc_bridge_container_inspect, "container_inspect", requests::Id, objects::inspect);
request_export!(devc_bridge_container_list, "container_list", requests::List, objects::list);
request_export!(devc_bridge_container_create, "container_create", requests::Create, objects::create);
request_export!(devc_bridge_container_start, "container_start", requests::Id, objects::start);
request_export!(devc_bridge_container_stop, "container_stop", requests::Stop, objects::stop);
request_export!(devc_bridge_container_delete, "container_delete", requests::Delete, objects::delete);
request_export!(devc_bridge_image_inspect, "image_inspect", requests::ImageRef, objects::image_inspect);
request_export!(devc_bridge_logs_open, "logs_open", requests::Logs, objects::logs_open);
request_export!(devc_bridge_volume_create, "volume_create", requests::Named, objects::volume_create);
request_export!(devc_bridge_volume_remove, "volume_remove", requests::Name, objects::volume_remove);
request_export!(devc_bridge_network_create, "network_create", requests::Named, objects::network_create);
request_export!(devc_bridge_network_remove, "network_remove", requests::Name, objects::network_remove);

/// # Safety
/// As for the request exports; `progress_fd` is -1 or an fd of the caller.
#[no_mangle]
pub unsafe extern "C" fn devc_bridge_image_pull(
    request: *const c_char,
    progress_fd: c_int,
    timeout_ms: i64,
    cancel: *mut devc_bridge_cancel,
) -> *mut c_char {
    answer(|| {
        let cancel = token(cancel)?;
        let r: requests::Pull = requests::parse(request, "image_pull")?;
        objects::pull(r, progress_fd, timeout_ms, cancel)
    })
}

/// # Safety
/// As for `devc_bridge_image_pull`.
#[no_mangle]
pub unsafe extern "C" fn devc_bridge_image_build(
    request: *const c_char,
    progress_fd: c_int,
    timeout_ms: i64,
    cancel: *mut devc_bridge_cancel,
) -> *mut c_char {
    answer(|| {
        let cancel = token(cancel)?;
        let r: requests::Build = requests::parse(request, "image_build")?;
        objects::build(r, progress_fd, timeout_ms, cancel)
    })
}

/// # Safety
/// `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn devc_bridge_builder_probe(timeout_ms: i64, cancel: *mut devc_bridge_cancel) -> *mut c_char {
    answer(|| objects::builder_probe(timeout_ms, token(cancel)?))
}

/// # Safety
/// As for the request exports; each fd is -1 or an fd of the caller.
#[no_mangle]
pub unsafe extern "C" fn devc_bridge_exec_start(
    request: *const c_char,
    stdin_fd: c_int,
    stdout_fd: c_int,
    stderr_fd: c_int,
    timeout_ms: i64,
    cancel: *mut devc_bridge_cancel,
) -> *mut c_char {
    answer(|| {
        let cancel = token(cancel)?;
        // Duplicate first: whatever happens next, the caller's fds are left alone.
        let fds = exec::Fds {
            stdin: fds::dup(stdin_fd, "stdin_fd")?,
            stdout: fds::dup(stdout_fd, "stdout_fd")?,
            stderr: fds::dup(stderr_fd, "stderr_fd")?,
        };
        let r: requests::Exec = requests::parse(request, "exec_start")?;
        exec::start(r, fds, timeout_ms, cancel)
    })
}

/// # Safety
/// `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn devc_bridge_exec_wait(handle: u64, timeout_ms: i64, cancel: *mut devc_bridge_cancel) -> *mut c_char {
    answer(|| exec::wait(handle, timeout_ms, token(cancel)?))
}

/// # Safety
/// `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn devc_bridge_exec_signal(
    handle: u64,
    signal: i32,
    timeout_ms: i64,
    cancel: *mut devc_bridge_cancel,
) -> *mut c_char {
    answer(|| exec::signal(handle, signal, timeout_ms, token(cancel)?))
}

/// # Safety
/// `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn devc_bridge_exec_resize(
    handle: u64,
    columns: u16,
    rows: u16,
    timeout_ms: i64,
    cancel: *mut devc_bridge_cancel,
) -> *mut c_char {
    answer(|| exec::resize(handle, columns, rows, timeout_ms, token(cancel)?))
}

#[no_mangle]
pub extern "C" fn devc_bridge_exec_release(handle: u64) {
    let _ = catch_unwind(|| exec::release(handle));
}

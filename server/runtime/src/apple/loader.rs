//! Loading a bridge library (`bridge/include/devc_bridge.h`): find it, open
//! it with every symbol bound now, refuse another ABI version before touching
//! anything else, resolve every export (a missing one is named), and read its
//! `info`. A loaded bridge is never unloaded: it may own threads.

use crate::RuntimeError;
use serde::Deserialize;
use std::ffi::{c_char, c_int, CStr};
use std::path::{Path, PathBuf};

/// The ABI version this devc speaks (`DEVC_BRIDGE_ABI_VERSION`).
pub const ABI_VERSION: u32 = 1;

/// File names of the bridge next to the devc binary.
pub const MACOS_LIBRARY: &str = "libDevcBridge.dylib";
pub const LINUX_LIBRARY: &str = "libdevc_bridge_linux.so";

/// The opaque `devc_bridge_cancel`.
#[repr(C)]
pub struct CancelToken {
    _private: [u8; 0],
}

pub type Text = *mut c_char;
type Req = *const c_char;
type Cancel = *mut CancelToken;

/// The bridge's exports, as the header declares them.
#[derive(Clone, Copy)]
pub struct Fns {
    pub abi_version: unsafe extern "C" fn() -> u32,
    pub info: unsafe extern "C" fn() -> Text,
    pub free: unsafe extern "C" fn(Text),
    pub cancel_new: unsafe extern "C" fn() -> Cancel,
    pub cancel_fire: unsafe extern "C" fn(Cancel),
    pub cancel_free: unsafe extern "C" fn(Cancel),
    pub ping: unsafe extern "C" fn(i64, Cancel) -> Text,
    pub container_inspect: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
    pub container_list: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
    pub container_create: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
    pub container_start: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
    pub container_stop: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
    pub container_delete: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
    pub image_inspect: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
    pub image_pull: unsafe extern "C" fn(Req, c_int, i64, Cancel) -> Text,
    pub image_build: unsafe extern "C" fn(Req, c_int, i64, Cancel) -> Text,
    pub builder_probe: unsafe extern "C" fn(i64, Cancel) -> Text,
    pub exec_start: unsafe extern "C" fn(Req, c_int, c_int, c_int, i64, Cancel) -> Text,
    pub exec_wait: unsafe extern "C" fn(u64, i64, Cancel) -> Text,
    pub exec_signal: unsafe extern "C" fn(u64, i32, i64, Cancel) -> Text,
    pub exec_resize: unsafe extern "C" fn(u64, u16, u16, i64, Cancel) -> Text,
    pub exec_release: unsafe extern "C" fn(u64),
    pub logs_open: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
    pub volume_create: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
    pub volume_remove: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
    pub network_create: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
    pub network_remove: unsafe extern "C" fn(Req, i64, Cancel) -> Text,
}

/// What `devc_bridge_info` says about the implementation.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BridgeInfo {
    pub abi_version: u32,
    pub implementation: String,
    pub version: String,
    /// `apple-container`, `docker-engine`, …: chooses the hints in messages.
    pub platform: String,
    #[serde(default)]
    pub codes: Vec<String>,
}

/// A loaded bridge (leaked: lives as long as the process).
pub struct Bridge {
    pub path: PathBuf,
    pub fns: Fns,
    pub info: BridgeInfo,
    /// Keeps the library mapped (`fns` point into it).
    _library: libloading::Library,
}

impl Bridge {
    /// Copies a string the bridge returned and releases it.
    ///
    /// # Safety
    /// `text` is NULL or a string this bridge returned and nobody freed yet.
    pub unsafe fn take(&self, text: Text) -> String {
        if text.is_null() {
            return String::new();
        }
        // The bridge returns NUL-terminated strings it allocated; we copy
        // before handing it back to its own free function.
        let s = CStr::from_ptr(text).to_string_lossy().into_owned();
        (self.fns.free)(text);
        s
    }
}

pub const BUILD_HINT: &str = "Build the bridge from this devc's sources (bridge/README.md: `swift build -c release` in bridge/swift on a Mac) and pass its path with --bridge or DEVC_BRIDGE_PATH";

fn bridge_error(path: &Path, reason: impl Into<String>) -> RuntimeError {
    RuntimeError::Bridge { path: path.display().to_string(), reason: reason.into(), hint: BUILD_HINT.into() }
}

/// Where the bridge is: `explicit` (`--bridge`), else `DEVC_BRIDGE_PATH`,
/// else the platform's library next to the devc binary.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, RuntimeError> {
    let given = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("DEVC_BRIDGE_PATH").filter(|v| !v.is_empty()).map(PathBuf::from));
    if let Some(path) = given {
        if !path.is_file() {
            return Err(bridge_error(&path, "no such file"));
        }
        return Ok(path);
    }
    let dir = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf));
    let candidates: Vec<PathBuf> =
        dir.iter().flat_map(|d| [d.join(MACOS_LIBRARY), d.join(LINUX_LIBRARY)]).collect();
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    Err(RuntimeError::Bridge {
        path: "(none)".into(),
        reason: format!(
            "no bridge was given (--bridge, DEVC_BRIDGE_PATH) and none is next to devc (looked for {})",
            looked.join(", ")
        ),
        hint: BUILD_HINT.into(),
    })
}

/// Opens the library at `path`, checks its ABI version and binds every export.
pub fn load(path: &Path) -> Result<&'static Bridge, RuntimeError> {
    // SAFETY: loading runs the library's initialisers; a bridge is trusted
    // code the user pointed us at.
    let library = unsafe { open(path) }.map_err(|e| bridge_error(path, format!("cannot load it: {e}")))?;
    // A refused library is unloaded again (nothing of it ran but
    // devc_bridge_abi_version); an accepted one lives in the leaked `Bridge`.

    // The version first, before resolving (let alone calling) anything else.
    // SAFETY: the symbol's type is the header's.
    let abi_version: unsafe extern "C" fn() -> u32 = unsafe {
        *library.get(b"devc_bridge_abi_version\0").map_err(|_| {
            bridge_error(path, "it is not a devc bridge (it has no devc_bridge_abi_version)")
        })?
    };
    // SAFETY: takes nothing, returns a number.
    let found = unsafe { abi_version() };
    if found != ABI_VERSION {
        return Err(bridge_error(
            path,
            format!("it implements bridge ABI version {found}, and this devc needs version {ABI_VERSION}"),
        ));
    }

    macro_rules! bind {
        ($($field:ident),* $(,)?) => {
            Fns { $($field: {
                let name = concat!("devc_bridge_", stringify!($field), "\0");
                // SAFETY: the field's type is the header's declaration of that export.
                unsafe { *library.get(name.as_bytes()).map_err(|_| {
                    bridge_error(path, format!("it lacks the export {} (ABI version {ABI_VERSION} requires it)", &name[..name.len() - 1]))
                })? }
            }),* }
        };
    }
    let fns = bind!(
        abi_version, info, free, cancel_new, cancel_fire, cancel_free, ping, container_inspect, container_list,
        container_create, container_start, container_stop, container_delete, image_inspect, image_pull, image_build,
        builder_probe, exec_start, exec_wait, exec_signal, exec_resize, exec_release, logs_open, volume_create,
        volume_remove, network_create, network_remove,
    );
    let mut bridge = Bridge { path: path.to_path_buf(), fns, info: BridgeInfo::default(), _library: library };
    // SAFETY: non-blocking, returns an envelope string we free once.
    let text = unsafe { bridge.take((fns.info)()) };
    let envelope: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bridge_error(path, format!("its info is not JSON ({e}): {text}")))?;
    let info: BridgeInfo = envelope
        .get("data")
        .filter(|_| envelope.get("ok") == Some(&serde_json::Value::Bool(true)))
        .and_then(|d| serde_json::from_value(d.clone()).ok())
        .ok_or_else(|| bridge_error(path, format!("its info is not the documented envelope: {text}")))?;
    if info.abi_version != ABI_VERSION {
        return Err(bridge_error(
            path,
            format!("its info reports ABI version {} although devc_bridge_abi_version says {ABI_VERSION}", info.abi_version),
        ));
    }
    bridge.info = info;
    tracing::debug!(path = %path.display(), implementation = %bridge.info.implementation, version = %bridge.info.version, "loaded the container bridge");
    Ok(Box::leak(Box::new(bridge)))
}

/// `dlopen(RTLD_NOW | RTLD_LOCAL)`: every symbol is bound at load time, so a
/// library with unresolved dependencies fails here and not in the middle of a call.
#[cfg(unix)]
unsafe fn open(path: &Path) -> Result<libloading::Library, libloading::Error> {
    use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
    Library::open(Some(path), RTLD_NOW | RTLD_LOCAL).map(Into::into)
}

#[cfg(not(unix))]
unsafe fn open(path: &Path) -> Result<libloading::Library, libloading::Error> {
    libloading::Library::new(path)
}

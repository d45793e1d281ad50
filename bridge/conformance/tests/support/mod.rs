//! What every contract test needs: the implementation under test (the
//! library at DEVC_BRIDGE_PATH, else the Linux bridge cargo built next to
//! this test binary), typed calls that return the raw envelope text and its
//! checked parse, pipes, and containers that remove themselves.
//!
//! The test image is DEVC_CONFORMANCE_IMAGE (default devc-test-busybox:latest,
//! built by tests/images/build.sh; on a Mac e.g. docker.io/library/busybox:latest
//! after `container image pull busybox`). It needs sh, cat, sleep, echo.

#![allow(dead_code)]

use devc_runtime::apple::loader::{self, Bridge, CancelToken, Fns};
use serde_json::{json, Value};
use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// Deadline for calls that should be quick (generous: 2 shared cores).
pub const QUICK_MS: i64 = 60_000;

/// The error codes of the ABI (one list: the runtime's, which maps them).
pub use devc_runtime::apple::call::CODES;

/// The library under test.
pub fn path() -> PathBuf {
    if let Some(p) = std::env::var_os("DEVC_BRIDGE_PATH").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let deps = exe.parent().expect("deps folder");
    for dir in [deps, deps.parent().unwrap_or(deps)] {
        let candidate = dir.join(loader::LINUX_LIBRARY);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "the Linux bridge {} is not next to {} (cargo builds it for this crate: run `cargo test -p devc-bridge-conformance`), and DEVC_BRIDGE_PATH is not set",
        loader::LINUX_LIBRARY,
        exe.display()
    )
}

pub fn bridge() -> &'static Bridge {
    static BRIDGE: OnceLock<&'static Bridge> = OnceLock::new();
    BRIDGE.get_or_init(|| loader::load(&path()).unwrap_or_else(|e| panic!("{e}")))
}

pub fn fns() -> &'static Fns {
    &bridge().fns
}

pub fn platform() -> &'static str {
    &bridge().info.platform
}

pub fn image() -> String {
    std::env::var("DEVC_CONFORMANCE_IMAGE").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "devc-test-busybox:latest".into())
}

/// A name no other test (or run) uses.
pub fn unique(what: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("devc-conf-{what}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// One answer: the raw text and its parse.
#[derive(Debug, Clone)]
pub struct Answer {
    pub text: String,
    pub value: Value,
}

impl Answer {
    /// Checks the envelope shape of the header, whatever the outcome.
    pub fn from_text(text: String) -> Answer {
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"));
        let o = value.as_object().unwrap_or_else(|| panic!("not an object: {text}"));
        let ok = o.get("ok").and_then(Value::as_bool).unwrap_or_else(|| panic!("no boolean ok: {text}"));
        for key in o.keys() {
            assert!(["ok", "data", "err", "code"].contains(&key.as_str()), "unexpected key {key:?}: {text}");
        }
        if ok {
            assert!(o.get("code").is_none(), "a success carries no code: {text}");
            assert!(o.get("err").is_none_or(|e| e.as_str() == Some("")), "a success carries no err: {text}");
        } else {
            let code = o.get("code").and_then(Value::as_str).unwrap_or_else(|| panic!("a failure without a code: {text}"));
            assert!(CODES.contains(&code), "unknown code {code}: {text}");
            let err = o.get("err").and_then(Value::as_str).unwrap_or_else(|| panic!("a failure without err: {text}"));
            assert!(!err.trim().is_empty(), "a failure with an empty err: {text}");
            assert!(o.get("data").is_none(), "a failure carries no data: {text}");
            let declared = &bridge().info.codes;
            assert!(declared.iter().any(|c| c == code), "code {code} is not among the codes info declares ({declared:?})");
        }
        Answer { text, value }
    }

    pub fn ok(&self) -> bool {
        self.value["ok"] == true
    }

    pub fn code(&self) -> Option<&str> {
        self.value.get("code").and_then(Value::as_str)
    }

    pub fn err(&self) -> &str {
        self.value.get("err").and_then(Value::as_str).unwrap_or_default()
    }

    /// The data of a success (null when absent); panics with the text otherwise.
    #[track_caller]
    pub fn data(&self) -> &Value {
        assert!(self.ok(), "expected success: {}", self.text);
        self.value.get("data").unwrap_or(&Value::Null)
    }

    #[track_caller]
    pub fn expect_code(&self, code: &str) -> &Self {
        assert_eq!(self.code(), Some(code), "expected {code}: {}", self.text);
        self
    }
}

fn take(text: loader::Text) -> Answer {
    assert!(!text.is_null(), "the bridge returned NULL");
    Answer::from_text(unsafe { bridge().take(text) })
}

fn cstr(request: &str) -> CString {
    CString::new(request).expect("no NUL in test requests")
}

/// A cancel token owned by the test.
pub struct Token(pub *mut CancelToken);

unsafe impl Send for Token {}
unsafe impl Sync for Token {}

impl Token {
    pub fn new() -> Token {
        let p = unsafe { (fns().cancel_new)() };
        assert!(!p.is_null());
        Token(p)
    }

    pub fn fire(&self) {
        unsafe { (fns().cancel_fire)(self.0) }
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        unsafe { (fns().cancel_free)(self.0) }
    }
}

fn token_ptr(t: Option<&Token>) -> *mut CancelToken {
    t.map_or(std::ptr::null_mut(), |t| t.0)
}

/// The exports taking `(request, timeout_ms, cancel)`, by name.
pub fn request_fn(name: &str) -> unsafe extern "C" fn(*const std::ffi::c_char, i64, *mut CancelToken) -> loader::Text {
    let f = fns();
    match name {
        "container_inspect" => f.container_inspect,
        "container_list" => f.container_list,
        "container_create" => f.container_create,
        "container_start" => f.container_start,
        "container_stop" => f.container_stop,
        "container_delete" => f.container_delete,
        "image_inspect" => f.image_inspect,
        "logs_open" => f.logs_open,
        "volume_create" => f.volume_create,
        "volume_remove" => f.volume_remove,
        "network_create" => f.network_create,
        "network_remove" => f.network_remove,
        other => panic!("no request export {other}"),
    }
}

pub const REQUEST_EXPORTS: [&str; 12] = [
    "container_inspect",
    "container_list",
    "container_create",
    "container_start",
    "container_stop",
    "container_delete",
    "image_inspect",
    "logs_open",
    "volume_create",
    "volume_remove",
    "network_create",
    "network_remove",
];

/// Calls a request export with raw text (None = NULL).
pub fn raw(name: &str, request: Option<&str>, timeout_ms: i64, cancel: Option<&Token>) -> Answer {
    let c = request.map(cstr);
    let ptr = c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    take(unsafe { request_fn(name)(ptr, timeout_ms, token_ptr(cancel)) })
}

pub fn call(name: &str, request: Value) -> Answer {
    raw(name, Some(&request.to_string()), QUICK_MS, None)
}

pub fn ping(timeout_ms: i64, cancel: Option<&Token>) -> Answer {
    take(unsafe { (fns().ping)(timeout_ms, token_ptr(cancel)) })
}

pub fn info() -> Answer {
    take(unsafe { (fns().info)() })
}

pub fn builder_probe() -> Answer {
    take(unsafe { (fns().builder_probe)(QUICK_MS, std::ptr::null_mut()) })
}

pub fn pull(request: Value, progress_fd: RawFd, timeout_ms: i64, cancel: Option<&Token>) -> Answer {
    let c = cstr(&request.to_string());
    take(unsafe { (fns().image_pull)(c.as_ptr(), progress_fd, timeout_ms, token_ptr(cancel)) })
}

pub fn build(request: Value, progress_fd: RawFd, timeout_ms: i64, cancel: Option<&Token>) -> Answer {
    let c = cstr(&request.to_string());
    take(unsafe { (fns().image_build)(c.as_ptr(), progress_fd, timeout_ms, token_ptr(cancel)) })
}

pub fn exec_start(request: Value, stdin: RawFd, stdout: RawFd, stderr: RawFd) -> Answer {
    let c = cstr(&request.to_string());
    take(unsafe { (fns().exec_start)(c.as_ptr(), stdin, stdout, stderr, QUICK_MS, std::ptr::null_mut()) })
}

pub fn exec_wait(handle: u64, timeout_ms: i64, cancel: Option<&Token>) -> Answer {
    take(unsafe { (fns().exec_wait)(handle, timeout_ms, token_ptr(cancel)) })
}

pub fn exec_signal(handle: u64, signal: i32) -> Answer {
    take(unsafe { (fns().exec_signal)(handle, signal, QUICK_MS, std::ptr::null_mut()) })
}

pub fn exec_resize(handle: u64, columns: u16, rows: u16) -> Answer {
    take(unsafe { (fns().exec_resize)(handle, columns, rows, QUICK_MS, std::ptr::null_mut()) })
}

pub fn exec_release(handle: u64) {
    unsafe { (fns().exec_release)(handle) }
}

/// A close-on-exec pipe (read end, write end).
pub fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0 as libc::c_int; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    for fd in fds {
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// Whether `fd` is open, and its status flags (O_NONBLOCK …).
pub fn fd_state(fd: RawFd) -> Option<(i32, i32)> {
    let fd_flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    let fl_flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    (fd_flags >= 0 && fl_flags >= 0).then_some((fd_flags, fl_flags))
}

/// Reads a pipe to EOF on a thread of its own.
pub fn read_all(fd: OwnedFd) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = File::from(fd).read_to_end(&mut buf);
        buf
    })
}

/// Writes and closes a pipe on a thread of its own.
pub fn write_all(fd: OwnedFd, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut f = File::from(fd);
        let _ = f.write_all(&bytes);
    })
}

/// Reads from `fd` until `needle` shows up or `limit` passes; what was read.
pub fn read_until(fd: &OwnedFd, needle: &str, limit: Duration) -> String {
    let deadline = std::time::Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(needle) && std::time::Instant::now() < deadline {
        let mut p = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        if unsafe { libc::poll(&mut p, 1, 100) } <= 0 {
            continue;
        }
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        got.extend_from_slice(&buf[..n as usize]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// A container created through the bridge, force-deleted (through the
/// bridge) when dropped, even when the test fails.
pub struct Container {
    pub id: String,
    pub name: String,
}

impl Container {
    /// Creates a container from the test image running `cmd`, with `extra` merged into the request.
    pub fn create(what: &str, cmd: &[&str], extra: Value) -> Container {
        let name = unique(what);
        let mut request = json!({
            "image": image(),
            "name": name,
            "entrypoint": ["/bin/sh", "-c"],
            "cmd": cmd,
            "labels": {"devc.conformance": name},
        });
        if let (Some(r), Value::Object(extra)) = (request.as_object_mut(), extra) {
            for (key, value) in extra {
                match (key.as_str(), value) {
                    ("labels", Value::Object(labels)) => {
                        r["labels"].as_object_mut().expect("labels").extend(labels);
                    }
                    (_, value) => {
                        r.insert(key, value);
                    }
                }
            }
        }
        let answer = call("container_create", request);
        let id = answer.data()["id"].as_str().unwrap_or_else(|| panic!("no id: {}", answer.text)).to_string();
        assert!(!id.is_empty());
        Container { id, name }
    }

    /// A container running `sh -c script` (started).
    pub fn running(what: &str, script: &str) -> Container {
        let c = Container::create(what, &[script], json!({}));
        call("container_start", json!({"id": c.id})).data();
        c
    }

    pub fn inspect(&self) -> Answer {
        call("container_inspect", json!({"id": self.id}))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = raw("container_delete", Some(&json!({"id": self.id, "force": true, "volumes": true}).to_string()), QUICK_MS, None);
    }
}

/// An exec's handle from a successful start.
#[track_caller]
pub fn handle(answer: &Answer) -> u64 {
    let h = answer.data()["handle"].as_u64().unwrap_or_else(|| panic!("no handle: {}", answer.text));
    assert_ne!(h, 0, "handle 0 is never valid");
    h
}

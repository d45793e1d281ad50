//! The envelope and the error codes of `devc_bridge.h`, and how the Docker
//! backend's `RuntimeError`s map onto them (messages without devc's own
//! hints: the loader adds the hints that fit the platform).

use devc_runtime::RuntimeError;
use serde_json::{json, Value};
use std::ffi::{c_char, CString};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    InvalidArgument,
    NotFound,
    ImageNotFound,
    AlreadyExists,
    DaemonUnavailable,
    Unsupported,
    BuildFailed,
    PullFailed,
    Timeout,
    Cancelled,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::NotFound => "NOT_FOUND",
            Code::ImageNotFound => "IMAGE_NOT_FOUND",
            Code::AlreadyExists => "ALREADY_EXISTS",
            Code::DaemonUnavailable => "DAEMON_UNAVAILABLE",
            Code::Unsupported => "UNSUPPORTED",
            Code::BuildFailed => "BUILD_FAILED",
            Code::PullFailed => "PULL_FAILED",
            Code::Timeout => "TIMEOUT",
            Code::Cancelled => "CANCELLED",
            Code::Internal => "INTERNAL",
        }
    }

    /// Every code this implementation can return (reported by `info`).
    pub const ALL: [Code; 11] = [
        Code::InvalidArgument,
        Code::NotFound,
        Code::ImageNotFound,
        Code::AlreadyExists,
        Code::DaemonUnavailable,
        Code::Unsupported,
        Code::BuildFailed,
        Code::PullFailed,
        Code::Timeout,
        Code::Cancelled,
        Code::Internal,
    ];
}

#[derive(Debug)]
pub struct BridgeError {
    pub code: Code,
    pub message: String,
}

impl BridgeError {
    pub fn new(code: Code, message: impl Into<String>) -> BridgeError {
        BridgeError { code, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> BridgeError {
        BridgeError::new(Code::InvalidArgument, message)
    }

    pub fn internal(message: impl Into<String>) -> BridgeError {
        BridgeError::new(Code::Internal, message)
    }
}

impl From<RuntimeError> for BridgeError {
    fn from(e: RuntimeError) -> BridgeError {
        use RuntimeError as E;
        match e {
            E::DaemonUnavailable { endpoint, reason } => {
                BridgeError::new(Code::DaemonUnavailable, format!("cannot reach the Docker daemon at {endpoint}: {reason}"))
            }
            E::ServiceUnavailable { service, reason, .. } => {
                BridgeError::new(Code::DaemonUnavailable, format!("{service} is not available: {reason}"))
            }
            E::ImageNotFound { image } => BridgeError::new(Code::ImageNotFound, format!("image {image} is not in the local store")),
            E::PullFailed { image, message } => BridgeError::new(Code::PullFailed, format!("pulling {image}: {message}")),
            E::ContainerNotFound { id } => BridgeError::new(Code::NotFound, format!("no such container: {id}")),
            E::BuildFailed { step, message } => BridgeError::new(Code::BuildFailed, format!("step {step}: {message}")),
            E::Unsupported { option, .. } => BridgeError::new(Code::Unsupported, option),
            E::AlreadyExists { what, message } => BridgeError::new(Code::AlreadyExists, format!("{what}: {message}")),
            E::Cancelled { operation } => BridgeError::new(Code::Cancelled, format!("{operation} was cancelled")),
            E::Timeout { operation, seconds, .. } => {
                BridgeError::new(Code::Timeout, format!("{operation} did not finish within {seconds} s"))
            }
            E::Api { operation, message } => BridgeError::new(Code::Internal, format!("{operation}: {message}")),
            E::Bridge { path, reason, .. } => BridgeError::new(Code::Internal, format!("{path}: {reason}")),
        }
    }
}

/// The envelope for a result (`data` is left out when it is null).
pub fn envelope(result: Result<Value, BridgeError>) -> String {
    match result {
        Ok(Value::Null) => json!({"ok": true}).to_string(),
        Ok(data) => json!({"ok": true, "data": data}).to_string(),
        Err(e) => json!({"ok": false, "err": e.message, "code": e.code.as_str()}).to_string(),
    }
}

/// A string for the caller, released with `devc_bridge_free`.
pub fn into_c(text: String) -> *mut c_char {
    // JSON text has no NUL (serde escapes it as \u0000).
    match CString::new(text) {
        Ok(c) => c.into_raw(),
        Err(_) => CString::new(r#"{"ok":false,"err":"the answer contained a NUL byte","code":"INTERNAL"}"#)
            .map(CString::into_raw)
            .unwrap_or(std::ptr::null_mut()),
    }
}

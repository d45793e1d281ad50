//! One bridge call from async code: the blocking C call runs on tokio's
//! blocking pool with a deadline and a cancel token; dropping the future fires
//! the token, so the call returns at once. The envelope is checked and a
//! failure's `code` becomes a typed `RuntimeError` with the fix as a hint.

use super::loader::{Bridge, CancelToken, Fns, Text};
use crate::RuntimeError;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// A failed call: the envelope's `code` and `err`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub err: String,
}

/// The error codes of ABI version 1.
pub const CODES: [&str; 13] = [
    "INVALID_ARGUMENT",
    "NOT_FOUND",
    "IMAGE_NOT_FOUND",
    "ALREADY_EXISTS",
    "DAEMON_UNAVAILABLE",
    "BUILDER_UNAVAILABLE",
    "KERNEL_MISSING",
    "UNSUPPORTED",
    "BUILD_FAILED",
    "PULL_FAILED",
    "TIMEOUT",
    "CANCELLED",
    "INTERNAL",
];

/// Parses an envelope: `Ok(data)` (Null when absent) or the failure. A string
/// that is not a well-formed envelope is an INTERNAL failure naming it.
pub fn parse_envelope(text: &str) -> Result<Value, Failure> {
    let malformed = |why: &str| Failure { code: "INTERNAL".into(), err: format!("the bridge answered {why}: {text}") };
    let value: Value = serde_json::from_str(text).map_err(|_| malformed("something that is not JSON"))?;
    let Some(object) = value.as_object() else { return Err(malformed("a JSON value that is not an object")) };
    match object.get("ok") {
        Some(Value::Bool(true)) => Ok(object.get("data").cloned().unwrap_or(Value::Null)),
        Some(Value::Bool(false)) => {
            let code = object.get("code").and_then(Value::as_str).ok_or_else(|| malformed("a failure without a code"))?;
            let err = object.get("err").and_then(Value::as_str).unwrap_or_default();
            if !CODES.contains(&code) {
                return Err(Failure { code: "INTERNAL".into(), err: format!("{err} (unknown error code {code})") });
            }
            Err(Failure { code: code.into(), err: err.into() })
        }
        _ => Err(malformed("an envelope without a boolean \"ok\"")),
    }
}

/// A cancel token, freed when the last holder (the blocking call or the
/// future's guard) lets go.
struct Token {
    fns: Fns,
    ptr: *mut CancelToken,
}

// SAFETY: the header makes tokens usable from any thread.
unsafe impl Send for Token {}
unsafe impl Sync for Token {}

impl Token {
    fn fire(&self) {
        // SAFETY: the pointer is live while `self` is.
        unsafe { (self.fns.cancel_fire)(self.ptr) }
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        // SAFETY: the last holder; no call uses the token any more.
        unsafe { (self.fns.cancel_free)(self.ptr) }
    }
}

/// Fires the token when the awaiting future is dropped before the call returned.
struct FireOnDrop(Option<Arc<Token>>);

impl Drop for FireOnDrop {
    fn drop(&mut self) {
        if let Some(token) = self.0.take() {
            token.fire();
        }
    }
}

/// A deadline for a call: `None` = no deadline (still cancellable).
pub fn millis(timeout: Option<Duration>) -> i64 {
    timeout.map(|t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX).max(1)).unwrap_or(0)
}

/// Runs `f` (the C call, given the exports and a fresh cancel token) on the
/// blocking pool and parses its envelope.
pub async fn call<F>(bridge: &'static Bridge, f: F) -> Result<Value, Failure>
where
    F: FnOnce(&Fns, *mut CancelToken) -> Text + Send + 'static,
{
    // SAFETY: returns a fresh token (never NULL per the header; checked anyway).
    let ptr = unsafe { (bridge.fns.cancel_new)() };
    if ptr.is_null() {
        return Err(Failure { code: "INTERNAL".into(), err: "the bridge returned no cancel token".into() });
    }
    let token = Arc::new(Token { fns: bridge.fns, ptr });
    let mut guard = FireOnDrop(Some(token.clone()));
    let joined = tokio::task::spawn_blocking(move || {
        let text = f(&bridge.fns, token.ptr);
        drop(token);
        // SAFETY: an answer of this bridge, freed once here.
        unsafe { bridge.take(text) }
    })
    .await;
    guard.0 = None;
    match joined {
        Ok(text) => parse_envelope(&text),
        Err(e) => Err(Failure { code: "INTERNAL".into(), err: format!("the bridge call failed: {e}") }),
    }
}

/// What a call was about, for typing NOT_FOUND and friends.
#[derive(Clone, Copy, Debug)]
pub enum Subject<'a> {
    Container(&'a str),
    Image(&'a str),
    Exec(&'a str),
    Other,
}

/// How to fix what a code reports, per platform.
pub struct Hints {
    pub daemon: &'static str,
    pub builder: &'static str,
    pub kernel: &'static str,
    pub stuck: &'static str,
}

pub fn hints(platform: &str) -> Hints {
    match platform {
        "apple-container" => Hints {
            daemon: "Run `container system start` (Apple's container services run in your login session)",
            builder: "Run `container builder start`",
            kernel: "Run `container system kernel set --recommended`",
            stuck: "Apple's container services may be stuck: check `container system status`, then restart them with `container system stop` and `container system start`",
        },
        _ => Hints {
            daemon: "Start the daemon the bridge talks to (for the Linux bridge: dockerd, e.g. `sudo systemctl start docker`, or point DOCKER_HOST at a running one)",
            builder: "Start the bridge's image builder",
            kernel: "Configure a default kernel for the runtime",
            stuck: "The daemon may be stuck or overloaded: check it and run the command again",
        },
    }
}

impl Failure {
    /// The typed error for this failure of `operation` (which had `timeout`).
    pub fn into_error(self, operation: &str, subject: Subject<'_>, platform: &str, timeout: Option<Duration>) -> RuntimeError {
        let h = hints(platform);
        let Failure { code, err } = self;
        match code.as_str() {
            "NOT_FOUND" => match subject {
                Subject::Container(id) => RuntimeError::ContainerNotFound { id: id.to_string() },
                Subject::Exec(id) => RuntimeError::Api {
                    operation: operation.to_string(),
                    message: format!("no such exec {id} (it was released, or its container was removed): {err}"),
                },
                _ => RuntimeError::Api { operation: operation.to_string(), message: err },
            },
            "IMAGE_NOT_FOUND" => match subject {
                Subject::Image(image) => RuntimeError::ImageNotFound { image: image.to_string() },
                _ => RuntimeError::Api { operation: operation.to_string(), message: err },
            },
            "ALREADY_EXISTS" => RuntimeError::AlreadyExists {
                what: match subject {
                    Subject::Container(id) => format!("container {id}"),
                    _ => "the object".to_string(),
                },
                message: err,
            },
            "DAEMON_UNAVAILABLE" => RuntimeError::ServiceUnavailable {
                service: "the container daemon".into(),
                reason: err,
                hint: h.daemon.into(),
            },
            "BUILDER_UNAVAILABLE" => RuntimeError::ServiceUnavailable {
                service: "the image builder".into(),
                reason: err,
                hint: h.builder.into(),
            },
            "KERNEL_MISSING" => RuntimeError::ServiceUnavailable {
                service: "the default Linux kernel".into(),
                reason: err,
                hint: h.kernel.into(),
            },
            "UNSUPPORTED" => RuntimeError::Unsupported { backend: super::BACKEND.into(), option: err },
            "BUILD_FAILED" => {
                // Bridges say `step <n>: <message>` when they know the step.
                let (step, message) = match err.strip_prefix("step ").and_then(|rest| rest.split_once(": ")) {
                    Some((step, message)) => (step.to_string(), message.to_string()),
                    None => ("unknown".to_string(), err),
                };
                RuntimeError::BuildFailed { step, message }
            }
            "PULL_FAILED" => RuntimeError::PullFailed {
                image: match subject {
                    Subject::Image(image) => image.to_string(),
                    _ => String::new(),
                },
                message: err,
            },
            "TIMEOUT" => RuntimeError::Timeout {
                operation: operation.to_string(),
                seconds: timeout.map(|t| t.as_secs()).unwrap_or_default(),
                hint: h.stuck.into(),
            },
            "CANCELLED" => RuntimeError::Cancelled { operation: operation.to_string() },
            // INVALID_ARGUMENT (devc sent something the bridge refused) and INTERNAL.
            _ => RuntimeError::Api { operation: operation.to_string(), message: format!("{err} ({code})") },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes() {
        assert_eq!(parse_envelope(r#"{"ok":true,"data":{"a":1}}"#), Ok(serde_json::json!({"a":1})));
        assert_eq!(parse_envelope(r#"{"ok":true}"#), Ok(Value::Null));
        assert_eq!(
            parse_envelope(r#"{"ok":false,"err":"gone","code":"NOT_FOUND"}"#),
            Err(Failure { code: "NOT_FOUND".into(), err: "gone".into() })
        );
        for bad in ["", "[]", r#"{"ok":"yes"}"#, r#"{"ok":false,"err":"x"}"#] {
            assert_eq!(parse_envelope(bad).unwrap_err().code, "INTERNAL", "{bad}");
        }
        let unknown = parse_envelope(r#"{"ok":false,"err":"x","code":"WEIRD"}"#).unwrap_err();
        assert_eq!(unknown.code, "INTERNAL");
        assert!(unknown.err.contains("WEIRD"));
    }

    #[test]
    fn codes_become_typed_errors_with_hints() {
        let f = |code: &str, err: &str| Failure { code: code.into(), err: err.into() };
        let apple = "apple-container";
        let e = f("DAEMON_UNAVAILABLE", "XPC connection error").into_error("ping", Subject::Other, apple, None);
        assert!(e.to_string().contains("container system start"), "{e}");
        let e = f("BUILDER_UNAVAILABLE", "builder not running").into_error("build", Subject::Other, apple, None);
        assert!(e.to_string().contains("container builder start"), "{e}");
        let e = f("KERNEL_MISSING", "default kernel not configured").into_error("create", Subject::Other, apple, None);
        assert!(e.to_string().contains("container system kernel set --recommended"), "{e}");
        assert!(matches!(
            f("NOT_FOUND", "x").into_error("inspect", Subject::Container("c1"), apple, None),
            RuntimeError::ContainerNotFound { id } if id == "c1"
        ));
        assert!(matches!(
            f("IMAGE_NOT_FOUND", "x").into_error("inspect image", Subject::Image("i:1"), apple, None),
            RuntimeError::ImageNotFound { image } if image == "i:1"
        ));
        match f("BUILD_FAILED", "step 3/4: RUN exit 3 failed").into_error("build", Subject::Other, apple, None) {
            RuntimeError::BuildFailed { step, message } => assert_eq!((step.as_str(), message.as_str()), ("3/4", "RUN exit 3 failed")),
            other => panic!("{other:?}"),
        }
        let e = f("TIMEOUT", "deadline").into_error("create container", Subject::Other, apple, Some(Duration::from_secs(90)));
        assert!(matches!(&e, RuntimeError::Timeout { seconds: 90, .. }), "{e:?}");
        assert!(e.to_string().contains("container system status"), "{e}");
        assert!(matches!(f("CANCELLED", "").into_error("wait", Subject::Other, apple, None), RuntimeError::Cancelled { .. }));
        assert!(matches!(f("UNSUPPORTED", "tty resize").into_error("resize", Subject::Other, apple, None), RuntimeError::Unsupported { .. }));
        let docker_hint = f("DAEMON_UNAVAILABLE", "no socket").into_error("ping", Subject::Other, "docker-engine", None);
        assert!(docker_hint.to_string().contains("dockerd"), "{docker_hint}");
    }

    #[test]
    fn deadlines_in_milliseconds() {
        assert_eq!(millis(None), 0);
        assert_eq!(millis(Some(Duration::from_secs(2))), 2000);
        assert_eq!(millis(Some(Duration::from_micros(10))), 1, "a tiny deadline is not 'no deadline'");
    }
}

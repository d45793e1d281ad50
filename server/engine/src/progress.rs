//! Progress of long steps (pull, build, create, each hook) as structured
//! tracing events on the `devc_progress` target. The front end renders them:
//! a spinner on a terminal, plain lines otherwise, `{"type":"progress"}`
//! objects with `--log-format json` (the reference CLI's shape).

/// The tracing target the CLI's log layer recognizes.
pub const TARGET: &str = "devc_progress";

/// A running step; reports `succeeded` via [`Step::done`], or `failed` when
/// dropped unfinished (an error path).
pub struct Step {
    name: String,
    finished: bool,
}

impl Step {
    pub fn start(name: impl Into<String>) -> Step {
        let name = name.into();
        tracing::info!(target: TARGET, name = %name, status = "running");
        Step { name, finished: false }
    }

    /// A step whose process writes to stderr directly (hooks): renderers must
    /// not draw a spinner over that output.
    pub fn start_streaming(name: impl Into<String>) -> Step {
        let name = name.into();
        tracing::info!(target: TARGET, name = %name, status = "running", streams = true);
        Step { name, finished: false }
    }

    pub fn done(mut self) {
        self.finished = true;
        tracing::info!(target: TARGET, name = %self.name, status = "succeeded");
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if !self.finished {
            tracing::info!(target: TARGET, name = %self.name, status = "failed");
        }
    }
}

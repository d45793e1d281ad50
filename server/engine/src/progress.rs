//! Progress of long steps (pull, build, create, each hook) and the lines they
//! print. Everything goes to tracing (the CLI renders steps as a spinner, plain
//! lines, or `{"type":"progress"}` JSON); a front end that shows progress its
//! own way (the language server's `$/progress`) installs a [`Reporter`] for the
//! duration of an engine call with [`with_reporter`].

use std::sync::Arc;

/// The tracing target the CLI's log layer recognizes.
pub const TARGET: &str = "devc_progress";

/// What a reporter receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    StepStarted(String),
    StepFinished { name: String, succeeded: bool },
    /// A line of build, pull or hook output.
    Line(String),
}

pub type Reporter = Arc<dyn Fn(Event) + Send + Sync>;

tokio::task_local! {
    static REPORTER: Reporter;
}

/// Runs `f` with `reporter` receiving every progress event it produces.
pub async fn with_reporter<F: std::future::Future>(reporter: Reporter, f: F) -> F::Output {
    REPORTER.scope(reporter, f).await
}

fn report(event: Event) {
    let _ = REPORTER.try_with(|r| r(event));
}

/// Whether a reporter is installed for the current task.
pub fn has_reporter() -> bool {
    REPORTER.try_with(|_| ()).is_ok()
}

/// A line of output from a long step (build/pull output).
pub fn line(text: &str) {
    tracing::info!("{text}");
    report(Event::Line(text.to_string()));
}

/// Where hook output goes: devc's stderr, or the installed reporter (line by line).
pub fn output_sink() -> crate::process::OutputSink {
    match REPORTER.try_with(Arc::clone) {
        Ok(reporter) => {
            let pending = std::sync::Mutex::new(Vec::<u8>::new());
            crate::process::OutputSink::callback(move |bytes, _stderr| {
                let Ok(mut buf) = pending.lock() else { return };
                buf.extend_from_slice(bytes);
                while let Some(i) = buf.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=i).collect();
                    reporter(Event::Line(String::from_utf8_lossy(&line).trim_end().to_string()));
                }
            })
        }
        Err(_) => crate::process::OutputSink::stderr(),
    }
}

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
        report(Event::StepStarted(name.clone()));
        Step { name, finished: false }
    }

    /// A step whose process writes to stderr directly (hooks): renderers must
    /// not draw a spinner over that output.
    pub fn start_streaming(name: impl Into<String>) -> Step {
        let name = name.into();
        tracing::info!(target: TARGET, name = %name, status = "running", streams = true);
        report(Event::StepStarted(name.clone()));
        Step { name, finished: false }
    }

    pub fn done(mut self) {
        self.finished = true;
        tracing::info!(target: TARGET, name = %self.name, status = "succeeded");
        report(Event::StepFinished { name: self.name.clone(), succeeded: true });
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if !self.finished {
            tracing::info!(target: TARGET, name = %self.name, status = "failed");
            report(Event::StepFinished { name: self.name.clone(), succeeded: false });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test(flavor = "current_thread")]
    async fn reporter_sees_steps_and_lines_only_inside_its_scope() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let reporter: Reporter = Arc::new(move |e| sink.lock().unwrap().push(e));
        with_reporter(reporter, async {
            assert!(has_reporter());
            let s = Step::start("Building image");
            line("Step 1/2 : FROM x");
            s.done();
            let _failed = Step::start("Starting container");
        })
        .await;
        Step::start("outside").done();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![
                Event::StepStarted("Building image".into()),
                Event::Line("Step 1/2 : FROM x".into()),
                Event::StepFinished { name: "Building image".into(), succeeded: true },
                Event::StepStarted("Starting container".into()),
                Event::StepFinished { name: "Starting container".into(), succeeded: false },
            ]
        );
    }
}

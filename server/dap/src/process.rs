//! A launched process: streaming its output as `output` events (UTF-8 kept
//! whole across chunks, nothing dropped at exit, the bounded queue pacing the
//! process), readiness (pattern over the output, probes on a timer), the
//! `exited` / `terminated` ending, and stopping it (signal, then SIGKILL).

use crate::readiness::{self, Probe, ProbeTarget, Ready, Readiness};
use crate::transport::Outbound;
use devc_runtime::{OutputChunk, Runtime};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub const READY_PROGRESS: &str = "devc-ready";

/// A running (or finished) process of the session.
pub struct Running<R> {
    pub stop: StopHandle<R>,
    /// Set before a restart's stop: the ending then sends no `terminated`.
    pub restarting: Arc<AtomicBool>,
    pub gate: Arc<Gate>,
}

/// Readiness decides once: ready, not ready, or cancelled.
pub struct Gate {
    settled: AtomicBool,
    started: Instant,
    progress: bool,
    action: String,
    out: Outbound,
}

impl Gate {
    pub fn new(out: Outbound, progress: bool, action: String, started: Instant) -> Gate {
        Gate { settled: AtomicBool::new(false), started, progress, action, out }
    }

    pub fn is_settled(&self) -> bool {
        self.settled.load(Ordering::SeqCst)
    }

    /// Announces readiness (the first call wins).
    pub async fn ready(&self, ready: Ready) {
        if self.settled.swap(true, Ordering::SeqCst) {
            return;
        }
        let elapsed_ms = self.started.elapsed().as_millis() as u64;
        let where_ = ready.uri.clone().or_else(|| ready.port.map(|p| format!("port {p}"))).unwrap_or_default();
        if self.progress {
            self.out.event("progressEnd", json!({ "progressId": READY_PROGRESS, "message": format!("Ready {where_}").trim_end() })).await;
        }
        self.out
            .event("devcontainer/ready", json!({ "uri": ready.uri, "port": ready.port, "elapsedMs": elapsed_ms, "action": self.action }))
            .await;
        let line = match &ready.uri {
            Some(uri) => format!("[devc] Ready: {uri} (after {elapsed_ms} ms)\n"),
            None => format!("[devc] Ready (after {elapsed_ms} ms)\n"),
        };
        self.out.output("console", &line).await;
    }

    /// Nothing to wait for: settles without a word.
    pub fn close(&self) {
        self.settled.store(true, Ordering::SeqCst);
    }

    /// Ends waiting without readiness; `important` makes clients show it.
    pub async fn give_up(&self, message: &str, important: bool) -> bool {
        if self.settled.swap(true, Ordering::SeqCst) {
            return false;
        }
        if self.progress {
            self.out.event("progressEnd", json!({ "progressId": READY_PROGRESS, "message": message })).await;
        }
        self.out.output(if important { "important" } else { "console" }, &format!("[devc] {message}\n")).await;
        true
    }
}

/// Turns byte chunks into text without splitting a UTF-8 sequence: an
/// incomplete sequence at the end waits for the next chunk; invalid bytes
/// become U+FFFD.
#[derive(Default)]
pub struct Utf8Carry {
    pending: Vec<u8>,
}

impl Utf8Carry {
    pub fn decode(&mut self, bytes: &[u8]) -> String {
        let mut buf = std::mem::take(&mut self.pending);
        buf.extend_from_slice(bytes);
        let mut text = String::with_capacity(buf.len());
        let mut rest: &[u8] = &buf;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    text.push_str(s);
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // SAFETY-free: `valid` is valid UTF-8 by construction.
                    text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        None => {
                            self.pending = after.to_vec();
                            break;
                        }
                        Some(n) => {
                            text.push('\u{FFFD}');
                            rest = &after[n..];
                        }
                    }
                }
            }
        }
        text
    }

    /// What is left at the end of the stream.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        String::from_utf8_lossy(&rest).into_owned()
    }
}

/// Streams the process's output until it ends, then sends `exited` (and
/// `terminated` unless restarting). `done` is set last.
#[allow(clippy::too_many_arguments)]
pub async fn pump<R: Runtime>(
    rt: Arc<R>,
    mut output: tokio::sync::mpsc::Receiver<OutputChunk>,
    exec_id: String,
    out: Outbound,
    mut matcher: Option<readiness::Matcher>,
    gate: Arc<Gate>,
    restarting: Arc<AtomicBool>,
    done: watch::Sender<bool>,
) {
    let (mut stdout, mut stderr) = (Utf8Carry::default(), Utf8Carry::default());
    while let Some(chunk) = output.recv().await {
        let (category, text) = match &chunk {
            OutputChunk::Stdout(b) => ("stdout", stdout.decode(b)),
            OutputChunk::Stderr(b) => ("stderr", stderr.decode(b)),
        };
        if text.is_empty() {
            continue;
        }
        out.output(category, &text).await;
        if let Some(m) = &mut matcher {
            if let Some(ready) = m.feed(&text) {
                matcher = None;
                gate.ready(ready).await;
            }
        }
    }
    for (category, carry) in [("stdout", &mut stdout), ("stderr", &mut stderr)] {
        let rest = carry.finish();
        if !rest.is_empty() {
            out.output(category, &rest).await;
        }
    }
    let code = match rt.exec_wait(&exec_id).await {
        Ok(code) => code,
        Err(e) => {
            out.output("console", &format!("[devc] cannot read the exit code: {e}\n")).await;
            -1
        }
    };
    gate.give_up(&format!("The process exited (code {code}) before it was ready."), false).await;
    out.event("exited", json!({ "exitCode": code })).await;
    if !restarting.load(Ordering::SeqCst) {
        out.event("terminated", json!({})).await;
    }
    done.send_replace(true);
}

/// Probes on a timer until ready, given up, or the gate settles otherwise.
/// On giving up with `kill_on_failure`, stops the process.
pub async fn probe_loop<R: Runtime>(rt: Arc<R>, readiness: Readiness, probe: Probe, target: ProbeTarget, gate: Arc<Gate>, out: Outbound, stop: StopHandle<R>) {
    tokio::time::sleep(readiness.initial_delay).await;
    let (mut successes, mut failures, mut attempt) = (0u32, 0u32, 0u32);
    loop {
        if gate.is_settled() {
            return;
        }
        attempt += 1;
        let result = readiness::attempt(rt.as_ref(), &probe, &target, readiness.timeout).await;
        if gate.is_settled() {
            return;
        }
        match result {
            Ok(()) => {
                successes += 1;
                failures = 0;
                if successes >= readiness.success_threshold {
                    gate.ready(probe_ready(&probe, &target)).await;
                    return;
                }
            }
            Err(why) => {
                successes = 0;
                failures += 1;
                if gate.progress {
                    let message = format!("{} (attempt {attempt}): {why}", probe.describe());
                    out.event("progressUpdate", json!({ "progressId": READY_PROGRESS, "message": message })).await;
                }
                if failures >= readiness.failure_threshold {
                    let mut message = format!("Not ready: the {} probe failed {failures} times in a row; last: {why}.", probe.describe());
                    if readiness.kill_on_failure {
                        message.push_str(" Stopping the process (killOnReadinessFailure).");
                    }
                    if gate.give_up(&message, true).await && readiness.kill_on_failure {
                        stop.stop().await;
                    }
                    return;
                }
            }
        }
        tokio::time::sleep(readiness.period).await;
    }
}

/// Where a probe found the server.
fn probe_ready(probe: &Probe, target: &ProbeTarget) -> Ready {
    match probe {
        Probe::HttpGet { host: h, port, path, .. } => Ready { uri: Some(format!("http://{}:{port}{path}", target.host(h))), port: Some(*port) },
        Probe::TcpSocket { host: h, port } => Ready { uri: Some(format!("tcp://{}:{port}", target.host(h))), port: Some(*port) },
        Probe::Exec { .. } => Ready { uri: None, port: None },
    }
}

/// Stops one process: its stop signal to the process group, SIGKILL after
/// the timeout; returns once it exited (or could not be stopped).
pub struct StopHandle<R> {
    pub rt: Arc<R>,
    pub exec_id: String,
    pub signal: i32,
    pub timeout: Duration,
    pub done: watch::Receiver<bool>,
    pub out: Outbound,
}

// Not derived: that would ask `R: Clone`.
impl<R> Clone for StopHandle<R> {
    fn clone(&self) -> Self {
        StopHandle {
            rt: self.rt.clone(),
            exec_id: self.exec_id.clone(),
            signal: self.signal,
            timeout: self.timeout,
            done: self.done.clone(),
            out: self.out.clone(),
        }
    }
}

impl<R: Runtime> StopHandle<R> {
    pub async fn stop(&self) {
        let mut done = self.done.clone();
        if *done.borrow() {
            return;
        }
        if let Err(e) = self.rt.exec_signal(&self.exec_id, self.signal).await {
            self.out.output("console", &format!("[devc] cannot signal the process: {e}\n")).await;
        }
        if tokio::time::timeout(self.timeout, done.wait_for(|d| *d)).await.is_ok() {
            return;
        }
        self.out.output("console", &format!("[devc] The process did not stop within {}s; sending SIGKILL.\n", self.timeout.as_secs_f64())).await;
        if let Err(e) = self.rt.exec_signal(&self.exec_id, 9).await {
            self.out.output("console", &format!("[devc] cannot kill the process: {e}\n")).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), done.wait_for(|d| *d)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_kept_whole_across_chunks() {
        let text = "a€b😀";
        let bytes = text.as_bytes();
        for cut in 0..=bytes.len() {
            let mut c = Utf8Carry::default();
            let mut s = c.decode(&bytes[..cut]);
            s.push_str(&c.decode(&bytes[cut..]));
            s.push_str(&c.finish());
            assert_eq!(s, text, "cut at {cut}");
        }
        let mut c = Utf8Carry::default();
        assert_eq!(c.decode(b"x\xffy"), "x\u{FFFD}y");
        assert_eq!(c.decode(b"\xe2\x82"), "");
        assert_eq!(c.finish(), "\u{FFFD}");
    }
}

//! Logging to stderr, never stdout (stdout carries the one JSON result line, or
//! the LSP/DAP protocol). `--log-format json` writes one JSON object a line in
//! the reference CLI's shape: `{"type":"text","level":3,"timestamp":…,"text":…}`,
//! and progress steps as `{"type":"progress","name":…,"status":…}`. On a
//! terminal a running step shows as a spinner; otherwise as plain lines.

use std::io::Write;
use tracing::{field::Visit, Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogLevel {
    Error,
    Warning,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    fn filter(self) -> Level {
        match self {
            LogLevel::Error => Level::ERROR,
            LogLevel::Warning => Level::WARN,
            LogLevel::Info => Level::INFO,
            LogLevel::Debug => Level::DEBUG,
            LogLevel::Trace => Level::TRACE,
        }
    }
}

/// Installs the global subscriber. `DEVC_LOG` (an env-filter directive) overrides the level.
pub fn init(format: LogFormat, level: LogLevel) {
    let filter = match std::env::var("DEVC_LOG") {
        Ok(directive) => tracing_subscriber::EnvFilter::new(directive),
        Err(_) => tracing_subscriber::EnvFilter::new(format!("devc={0},devc_config={0},devc_runtime={0},devc_engine={0},devc_lsp={0},devc_progress={0},warn", level.filter())),
    };
    use std::io::IsTerminal;
    let layer = StderrLayer {
        json: format == LogFormat::Json,
        spinner: format == LogFormat::Text && std::io::stderr().is_terminal(),
        bar: std::sync::Mutex::new(None),
    };
    let _ = tracing_subscriber::registry().with(filter).with(layer).try_init();
}

struct StderrLayer {
    json: bool,
    /// Render progress steps as a spinner (stderr is a terminal).
    spinner: bool,
    /// The spinner of the running step, if any.
    bar: std::sync::Mutex<Option<indicatif::ProgressBar>>,
}

const PROGRESS_TARGET: &str = "devc_progress";

#[derive(Default)]
struct Message {
    text: String,
    fields: Vec<(String, String)>,
}

impl Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.text = format!("{value:?}");
        } else {
            self.fields.push((field.name().to_string(), format!("{value:?}")));
        }
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.text = value.to_string();
        } else {
            self.fields.push((field.name().to_string(), value.to_string()));
        }
    }
}

/// The reference CLI's numeric levels (Trace=1 … Error=5).
fn numeric_level(level: &Level) -> u8 {
    match *level {
        Level::TRACE => 1,
        Level::DEBUG => 2,
        Level::INFO => 3,
        Level::WARN => 4,
        Level::ERROR => 5,
    }
}

impl StderrLayer {
    /// A progress step event: `name` and `status` (running/succeeded/failed).
    fn progress(&self, msg: &Message) {
        let field = |k: &str| msg.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
        let (name, status) = (field("name"), field("status"));
        if self.json {
            let line = serde_json::json!({"type": "progress", "name": name, "status": status}).to_string();
            let _ = writeln!(std::io::stderr().lock(), "{line}");
            return;
        }
        if !self.spinner || (status == "running" && field("streams") == "true") {
            let line = match status {
                "running" => format!("[devc] {name}..."),
                "succeeded" => format!("[devc] {name}: done"),
                _ => format!("[devc] {name}: failed"),
            };
            let _ = writeln!(std::io::stderr().lock(), "{line}");
            return;
        }
        let Ok(mut bar) = self.bar.lock() else { return };
        match status {
            "running" => {
                if let Some(old) = bar.take() {
                    old.finish_and_clear();
                }
                let pb = indicatif::ProgressBar::new_spinner();
                pb.set_message(format!("{name}..."));
                pb.enable_steady_tick(std::time::Duration::from_millis(120));
                *bar = Some(pb);
            }
            _ => {
                if let Some(pb) = bar.take() {
                    let mark = if status == "succeeded" { "✓" } else { "✗" };
                    pb.finish_and_clear();
                    let _ = writeln!(std::io::stderr().lock(), "{mark} {name}");
                }
            }
        }
    }
}

impl<S: Subscriber> Layer<S> for StderrLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut msg = Message::default();
        event.record(&mut msg);
        if event.metadata().target() == PROGRESS_TARGET {
            self.progress(&msg);
            return;
        }
        let mut text = msg.text;
        for (k, v) in &msg.fields {
            text.push_str(&format!(" {k}={v}"));
        }
        let level = event.metadata().level();
        let line = if self.json {
            let timestamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            serde_json::json!({"type": "text", "level": numeric_level(level), "timestamp": timestamp, "text": text})
                .to_string()
        } else {
            let tag = match *level {
                Level::ERROR => "error",
                Level::WARN => "warning",
                Level::INFO => "info",
                Level::DEBUG => "debug",
                Level::TRACE => "trace",
            };
            format!("[devc {tag}] {text}")
        };
        // Print above a running spinner rather than through it.
        let bar = self.bar.lock().ok().and_then(|b| b.clone());
        match bar {
            Some(pb) => pb.suspend(|| {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }),
            None => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
        }
    }
}

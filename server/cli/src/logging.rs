//! Logging to stderr, never stdout (stdout carries the one JSON result line, or
//! the LSP/DAP protocol). `--log-format json` writes one JSON object a line in
//! the reference CLI's shape: `{"type":"text","level":3,"timestamp":…,"text":…}`.

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
        Err(_) => tracing_subscriber::EnvFilter::new(format!("devc={0},devc_config={0},devc_runtime={0},warn", level.filter())),
    };
    let layer = StderrLayer { json: format == LogFormat::Json };
    let _ = tracing_subscriber::registry().with(filter).with(layer).try_init();
}

struct StderrLayer {
    json: bool,
}

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

impl<S: Subscriber> Layer<S> for StderrLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut msg = Message::default();
        event.record(&mut msg);
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
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
}

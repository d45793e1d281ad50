//! The adapter's side of the wire: incoming frames become [`Request`]s (or a
//! reason they are not one); outgoing messages go through one bounded queue to
//! a writer that numbers them (`seq`) and frames them. The bound is what makes
//! a process's output flood wait for the client instead of filling memory.

use crate::types::{Outgoing, Request};
use devc_framing::{Frame, FrameWriter};
use serde_json::Value;
use tokio::io::AsyncWrite;
use tokio::sync::mpsc;

/// Messages queued for the writer before senders wait.
const QUEUE: usize = 64;

/// A handle to send messages to the client; cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    tx: mpsc::Sender<Outgoing>,
}

impl Outbound {
    /// Queues `message`, waiting while the queue is full. Messages from one
    /// task reach the client in the order they were sent.
    pub async fn send(&self, message: Outgoing) {
        // The writer only goes away when the client is gone; nothing to do then.
        let _ = self.tx.send(message).await;
    }

    pub async fn event(&self, event: &str, body: Value) {
        self.send(Outgoing::event(event, body)).await;
    }

    pub async fn output(&self, category: &str, text: &str) {
        self.event("output", crate::types::output(category, text)).await;
    }
}

/// Starts the writer on `output`; it ends when every [`Outbound`] is dropped,
/// after writing what was queued.
pub fn writer<W: AsyncWrite + Unpin + Send + 'static>(output: W) -> (Outbound, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Outgoing>(QUEUE);
    let task = tokio::spawn(async move {
        let mut out = FrameWriter::new(output);
        let mut seq = 0i64;
        while let Some(message) = rx.recv().await {
            let mut batch = Some(message);
            while let Some(message) = batch.take().or_else(|| rx.try_recv().ok()) {
                seq += 1;
                let body = message.to_json(seq).to_string();
                if out.write(&body).await.is_err() {
                    return;
                }
            }
            if out.flush().await.is_err() {
                return;
            }
        }
    });
    (Outbound { tx }, task)
}

/// What a frame turned out to be.
#[derive(Debug)]
pub enum Incoming {
    Request(Request),
    /// A response to a reverse request (we send none) or an event: ignored.
    Other,
    /// Not a DAP message; the reason is logged and, when there is a `seq` and
    /// `command` to answer, answered.
    Invalid { reason: String, seq: Option<i64>, command: Option<String> },
}

pub fn decode(frame: Frame) -> Incoming {
    let body = match frame {
        Frame::Message(body) => body,
        Frame::Invalid(reason) => return Incoming::Invalid { reason, seq: None, command: None },
    };
    let value: Value = match serde_json::from_str(&body) {
        Ok(v) => v,
        Err(e) => return Incoming::Invalid { reason: format!("not JSON: {e}"), seq: None, command: None },
    };
    match value.get("type").and_then(Value::as_str) {
        Some("request") => {}
        Some("response" | "event") => return Incoming::Other,
        _ => {
            return Incoming::Invalid {
                reason: "not a DAP message (no \"type\": \"request\")".into(),
                seq: value.get("seq").and_then(Value::as_i64),
                command: value.get("command").and_then(Value::as_str).map(str::to_string),
            }
        }
    }
    let seq = value.get("seq").and_then(Value::as_i64);
    let command = value.get("command").and_then(Value::as_str).map(str::to_string);
    match serde_json::from_value::<Request>(value) {
        Ok(r) => Incoming::Request(r),
        Err(e) => Incoming::Invalid { reason: format!("invalid request: {e}"), seq, command },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_requests_and_rejects_the_rest() {
        let ok = decode(Frame::Message(r#"{"seq":3,"type":"request","command":"threads"}"#.into()));
        assert!(matches!(ok, Incoming::Request(Request { seq: 3, ref command, .. }) if command == "threads"));
        let event = decode(Frame::Message(r#"{"seq":1,"type":"event","event":"x"}"#.into()));
        assert!(matches!(event, Incoming::Other));
        let bad = decode(Frame::Message(r#"{"seq":"x","type":"request","command":"launch"}"#.into()));
        assert!(matches!(bad, Incoming::Invalid { seq: None, command: Some(ref c), .. } if c == "launch"));
        assert!(matches!(decode(Frame::Message("{".into())), Incoming::Invalid { .. }));
    }

    #[tokio::test]
    async fn writer_numbers_messages_in_order() {
        let (client, server) = tokio::io::duplex(1 << 16);
        let (out, task) = writer(server);
        out.event("initialized", Value::Null).await;
        out.output("stdout", "hi").await;
        drop(out);
        task.await.unwrap();
        let mut text = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut { client }, &mut text).await.unwrap();
        let first = r#"{"seq":1,"type":"event","event":"initialized"}"#;
        assert!(text.starts_with(&format!("Content-Length: {}\r\n\r\n{first}", first.len())), "{text}");
        assert!(text.contains(r#""output":"hi""#) && text.contains(r#""seq":2"#), "{text}");
    }
}

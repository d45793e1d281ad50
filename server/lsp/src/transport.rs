//! Our own JSON-RPC transport around `tower_lsp_server::LspService`, replacing
//! the crate's `Server`:
//!
//! - **Framing that survives bad input.** `tower-lsp-server`'s `Server` reads
//!   through `tokio_util::codec::FramedRead`, which ends the stream after the
//!   first decode error, so one malformed body would stop the server. Here a
//!   frame that is not JSON gets a `-32700 Parse error` response, a JSON value
//!   that is not a request gets `-32600 Invalid Request`, and reading goes on.
//! - **Ordered notifications.** Text synchronization must be applied in order.
//!   Notifications are awaited one by one on the reading loop (they only update
//!   the document store and schedule work), while requests run concurrently as
//!   their own tasks. A request is dispatched only after every notification
//!   before it was applied, so it always sees the latest text.
//! - **stdin on a thread.** For stdio the reading happens on a plain thread, so
//!   a blocked read never keeps the runtime from shutting down after `exit`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use std::panic::AssertUnwindSafe;
use serde_json::Value;
pub use devc_framing::{read_frames, read_frames_blocking, Frame};
use devc_framing::FrameWriter;
use tokio::io::AsyncWrite;
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};
use tower_lsp_server::{ClientSocket, LspService, LanguageServer};
use tower_service::Service;

/// Writes `Content-Length` framed messages, flushing once per batch.
async fn write_frames<W: AsyncWrite + Unpin>(output: W, mut rx: mpsc::UnboundedReceiver<String>) {
    let mut out = FrameWriter::new(output);
    while let Some(body) = rx.recv().await {
        if out.write(&body).await.is_err() {
            return;
        }
        // Batch whatever is already queued before flushing.
        while let Ok(body) = rx.try_recv() {
            if out.write(&body).await.is_err() {
                return;
            }
        }
        if out.flush().await.is_err() {
            return;
        }
    }
}

/// How the session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `exit` (or the end of input) after `shutdown`: exit code 0.
    Clean,
    /// `exit` without `shutdown`, or the input closed before `shutdown`: exit code 1.
    Abrupt,
}

fn send_json(out: &mpsc::UnboundedSender<String>, value: &impl serde::Serialize) {
    if let Ok(s) = serde_json::to_string(value) {
        let _ = out.send(s);
    }
}

fn error_response(out: &mpsc::UnboundedSender<String>, id: Id, code: ErrorCode, message: String) {
    let error = Error { code, message: message.into(), data: None };
    send_json(out, &Response::from_error(id, error));
}

/// The request id of a JSON value that failed to parse as a request, if usable.
fn id_of(v: &Value) -> Id {
    match v.get("id") {
        Some(Value::Number(n)) => n.as_i64().map_or(Id::Null, Id::Number),
        Some(Value::String(s)) => Id::String(s.clone()),
        _ => Id::Null,
    }
}

/// Serves `service` over frames from `frames`, writing to `output`, until `exit`
/// or the end of input. `shutdown_seen` tells whether `shutdown` came first.
pub async fn serve<S, W>(
    mut service: LspService<S>,
    socket: ClientSocket,
    mut frames: mpsc::Receiver<Frame>,
    output: W,
    shutdown_seen: Arc<AtomicBool>,
) -> Ending
where
    S: LanguageServer,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out_tx, out_rx) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(write_frames(output, out_rx));

    // Server -> client requests and notifications (publishDiagnostics, …).
    let (mut client_requests, mut client_responses) = socket.split();
    let forward_tx = out_tx.clone();
    let forwarder = tokio::spawn(async move {
        while let Some(req) = client_requests.next().await {
            send_json(&forward_tx, &req);
        }
    });

    let mut ending = Ending::Abrupt;
    while let Some(frame) = frames.recv().await {
        let body = match frame {
            Frame::Invalid(reason) => {
                tracing::warn!("unreadable message: {reason}");
                error_response(&out_tx, Id::Null, ErrorCode::ParseError, format!("Parse error: {reason}"));
                continue;
            }
            Frame::Message(body) => body,
        };
        let value: Value = match serde_json::from_str(&body) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("message is not JSON: {e}");
                error_response(&out_tx, Id::Null, ErrorCode::ParseError, format!("Parse error: {e}"));
                continue;
            }
        };
        let is_request = value.get("method").is_some();
        let is_response = !is_request && value.get("id").is_some() && (value.get("result").is_some() || value.get("error").is_some());
        if is_response {
            match serde_json::from_value::<Response>(value) {
                Ok(res) => {
                    let _ = client_responses.send(res).await;
                }
                Err(e) => tracing::warn!("invalid response from the client: {e}"),
            }
            continue;
        }
        let request = match is_request.then(|| serde_json::from_value::<Request>(value.clone())) {
            Some(Ok(req)) => req,
            Some(Err(e)) => {
                error_response(&out_tx, id_of(&value), ErrorCode::InvalidRequest, format!("Invalid Request: {e}"));
                continue;
            }
            None => {
                error_response(&out_tx, id_of(&value), ErrorCode::InvalidRequest, "Invalid Request: not a JSON-RPC request".into());
                continue;
            }
        };

        // The service is only pending while `initialize` runs (awaited below).
        loop {
            match std::future::poll_fn(|cx| Poll::Ready(service.poll_ready(cx))).await {
                Poll::Ready(Ok(())) => break,
                Poll::Ready(Err(_)) => {
                    return finish(ending, out_tx, writer, forwarder).await;
                }
                Poll::Pending => tokio::time::sleep(Duration::from_millis(2)).await,
            }
        }

        let method = request.method().to_string();
        let id = request.id().cloned();
        // A panicking handler answers with an internal error; it never takes the session down.
        let fut = AssertUnwindSafe(service.call(request)).catch_unwind();
        match id {
            // Notifications complete before the next message is read.
            None => {
                if fut.await.is_err() {
                    tracing::error!("the handler of {method} panicked");
                }
                if method == "exit" {
                    ending = if shutdown_seen.load(Ordering::SeqCst) { Ending::Clean } else { Ending::Abrupt };
                    break;
                }
            }
            Some(id) => {
                let inline = method == "initialize";
                let out = out_tx.clone();
                let task = async move {
                    match fut.await {
                        Ok(Ok(Some(res))) => send_json(&out, &res),
                        // `$/…` requests the service swallows still need an answer.
                        Ok(Ok(None)) => error_response(&out, id, ErrorCode::MethodNotFound, format!("Method not found: {method}")),
                        Ok(Err(_)) => error_response(&out, id, ErrorCode::InvalidRequest, "the server has exited".into()),
                        Err(_) => {
                            tracing::error!("the handler of {method} panicked");
                            error_response(&out, id, ErrorCode::InternalError, format!("internal error in {method}"))
                        }
                    }
                };
                // `initialize` completes before anything else is read.
                if inline {
                    task.await;
                } else {
                    tokio::spawn(task);
                }
            }
        }
    }
    // End of input: clean only if the client had asked to shut down.
    if frames.is_closed() && shutdown_seen.load(Ordering::SeqCst) {
        ending = Ending::Clean;
    }
    finish(ending, out_tx, writer, forwarder).await
}

async fn finish(
    ending: Ending,
    out_tx: mpsc::UnboundedSender<String>,
    writer: tokio::task::JoinHandle<()>,
    forwarder: tokio::task::JoinHandle<()>,
) -> Ending {
    // Let queued notifications reach the writer, then flush what is queued.
    tokio::time::sleep(Duration::from_millis(10)).await;
    forwarder.abort();
    drop(out_tx);
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    ending
}

//! The JSON-RPC transport in process: framing, malformed input, ordering, exit.

use devc_lsp::transport::{self, Ending};
use serde_json::{json, Value};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

struct Wire {
    to_server: DuplexStream,
    from_server: DuplexStream,
    buf: Vec<u8>,
    server: tokio::task::JoinHandle<Ending>,
}

impl Wire {
    fn start() -> Wire {
        let (to_server, server_in) = tokio::io::duplex(1 << 20);
        let (server_out, from_server) = tokio::io::duplex(1 << 20);
        let (service, socket) = devc_lsp::service();
        let shutdown: Arc<AtomicBool> = service.inner().session().shutdown_flag();
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        tokio::spawn(transport::read_frames(server_in, tx));
        let server = tokio::spawn(transport::serve(service, socket, rx, server_out, shutdown));
        Wire { to_server, from_server, buf: Vec::new(), server }
    }

    async fn raw(&mut self, body: &str) {
        let msg = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.to_server.write_all(msg.as_bytes()).await.unwrap();
    }

    async fn send(&mut self, v: Value) {
        self.raw(&v.to_string()).await;
    }

    async fn recv(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let header = String::from_utf8_lossy(&self.buf[..end]).to_string();
                    let len: usize = header.trim_start_matches("Content-Length: ").parse().unwrap();
                    if self.buf.len() >= end + 4 + len {
                        let body: Vec<u8> = self.buf.drain(..end + 4 + len).skip(end + 4).collect();
                        return serde_json::from_slice(&body).unwrap();
                    }
                }
                let mut chunk = [0u8; 4096];
                let n = self.from_server.read(&mut chunk).await.unwrap();
                assert!(n > 0, "server closed its output");
                self.buf.extend_from_slice(&chunk[..n]);
            }
        })
        .await
        .expect("a message within 5s")
    }

    /// The next response (skipping notifications).
    async fn response(&mut self) -> Value {
        loop {
            let v = self.recv().await;
            if v.get("method").is_none() {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn malformed_messages_get_errors_and_the_server_keeps_running() {
    let mut w = Wire::start();
    w.raw("{ this is not json").await;
    let r = w.response().await;
    assert_eq!((r["id"].clone(), r["error"]["code"].clone()), (Value::Null, json!(-32700)));

    w.raw("[1, 2]").await;
    assert_eq!(w.response().await["error"]["code"], json!(-32600));
    w.send(json!({ "jsonrpc": "2.0", "id": 7 })).await;
    let r = w.response().await;
    assert_eq!((r["id"].clone(), r["error"]["code"].clone()), (json!(7), json!(-32600)));
    w.send(json!({ "jsonrpc": "1.0", "id": 8, "method": "initialize", "params": {} })).await;
    assert_eq!(w.response().await["error"]["code"], json!(-32600));
    // Garbage that is not even a header.
    w.to_server.write_all(b"garbage without headers\r\n\r\n").await.unwrap();
    assert_eq!(w.response().await["error"]["code"], json!(-32700));

    w.send(json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "capabilities": {} } })).await;
    let r = w.response().await;
    assert_eq!(r["id"], json!(1));
    assert_eq!(r["result"]["capabilities"]["positionEncoding"], json!("utf-16"));
    w.send(json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} })).await;

    w.send(json!({ "jsonrpc": "2.0", "id": 2, "method": "devc/unknown", "params": {} })).await;
    let r = w.response().await;
    assert_eq!((r["id"].clone(), r["error"]["code"].clone()), (json!(2), json!(-32601)));
    w.send(json!({ "jsonrpc": "2.0", "id": 3, "method": "$/unknown" })).await;
    assert_eq!(w.response().await["error"]["code"], json!(-32601));
    w.send(json!({ "jsonrpc": "2.0", "method": "devc/unknownNotification", "params": {} })).await;
    w.raw("{ broken again").await;
    assert_eq!(w.response().await["error"]["code"], json!(-32700));

    // Ordering: a request right after didOpen/didChange sees the new text.
    let uri = "file:///nonexistent/.devcontainer.json";
    w.send(json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": uri, "languageId": "jsonc", "version": 1, "text": "{}" } } })).await;
    w.send(json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": { "uri": uri, "version": 2 },
        "contentChanges": [{ "range": { "start": { "line": 0, "character": 1 }, "end": { "line": 0, "character": 1 } }, "text": "\"waitFor\": " }]
    } })).await;
    w.send(json!({ "jsonrpc": "2.0", "id": 4, "method": "textDocument/completion", "params": {
        "textDocument": { "uri": uri }, "position": { "line": 0, "character": 12 }
    } })).await;
    let r = w.response().await;
    let labels: Vec<&str> = r["result"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"\"postCreateCommand\""), "{labels:?}");

    w.send(json!({ "jsonrpc": "2.0", "id": 5, "method": "shutdown" })).await;
    assert_eq!(w.response().await["id"], json!(5));
    w.send(json!({ "jsonrpc": "2.0", "method": "exit" })).await;
    assert_eq!(tokio::time::timeout(Duration::from_secs(5), w.server).await.unwrap().unwrap(), Ending::Clean);
}

#[tokio::test]
async fn exit_without_shutdown_is_abrupt() {
    let mut w = Wire::start();
    w.send(json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "capabilities": {} } })).await;
    w.response().await;
    w.send(json!({ "jsonrpc": "2.0", "method": "exit" })).await;
    assert_eq!(tokio::time::timeout(Duration::from_secs(5), w.server).await.unwrap().unwrap(), Ending::Abrupt);
}

#[tokio::test]
async fn requests_before_initialize_are_refused() {
    let mut w = Wire::start();
    w.send(json!({ "jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": {
        "textDocument": { "uri": "file:///x/devcontainer.json" }, "position": { "line": 0, "character": 0 } } })).await;
    assert_eq!(w.response().await["error"]["code"], json!(-32002));
}

//! The client side of a stdio protocol (`devc lsp`, `devc dap`): spawn the
//! binary, read `Content-Length` frames from its stdout on a thread (anything
//! else on stdout is reported as pollution), collect its stderr.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

pub struct Framed {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    /// Each message from stdout, or why stdout stopped making sense.
    pub rx: mpsc::Receiver<Result<Value, String>>,
    pub stderr: Arc<Mutex<String>>,
}

impl Framed {
    /// Spawns `command` with piped stdio.
    pub fn spawn(command: &mut Command) -> Framed {
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start devc");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::with_capacity(1 << 20, stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    match r.read_line(&mut line) {
                        Ok(0) => return,
                        Ok(_) => {}
                        Err(e) => {
                            let _ = tx.send(Err(format!("read error: {e}")));
                            return;
                        }
                    }
                    if line == "\r\n" {
                        break;
                    }
                    match line.strip_prefix("Content-Length: ") {
                        Some(n) => length = n.trim().parse::<usize>().ok(),
                        None => {
                            let _ = tx.send(Err(format!("not a header on stdout: {line:?}")));
                            return;
                        }
                    }
                }
                let mut body = vec![0u8; length.expect("Content-Length")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let _ = tx.send(serde_json::from_slice(&body).map_err(|e| format!("bad JSON on stdout: {e}")));
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(pipe);
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let stdin = child.stdin.take();
        Framed { child, stdin, rx, stderr }
    }

    /// Writes one framed message.
    pub fn send_raw(&mut self, body: &[u8]) {
        let mut msg = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        msg.extend_from_slice(body);
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(&msg).unwrap();
        stdin.flush().unwrap();
    }
}

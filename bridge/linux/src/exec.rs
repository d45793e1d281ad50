//! Exec handles: a process started through the Docker backend, its output
//! written into the caller's fds by a thread of its own (blocking writes: a
//! slow reader slows the process down, as with Docker), its stdin read from
//! the caller's fd with poll (the fd's flags are never changed) until EOF or
//! until the process ended. `wait` returns once the output is all written and
//! the bridge's copies of the caller's fds are closed.

use crate::calls::{docker, run, Cancel};
use crate::codes::{BridgeError, Code};
use crate::fds::{self, Sink};
use crate::requests;
use devc_runtime::{ExecRequest, OutputChunk, Runtime};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, watch};

struct Entry {
    /// The Docker exec id.
    exec_id: String,
    tty: bool,
    /// Becomes true once the output is written and our fds are closed.
    done: watch::Receiver<bool>,
    /// Tells the stdin thread to stop reading.
    stop_stdin: Arc<AtomicBool>,
}

fn registry() -> &'static Mutex<HashMap<u64, Arc<Entry>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u64, Arc<Entry>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn entry(handle: u64) -> Result<Arc<Entry>, BridgeError> {
    let map = registry().lock().unwrap_or_else(|p| p.into_inner());
    map.get(&handle).cloned().ok_or_else(|| BridgeError::new(Code::NotFound, format!("no exec with handle {handle}")))
}

pub struct Fds {
    pub stdin: Option<OwnedFd>,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
}

pub fn start(r: requests::Exec, fds: Fds, timeout_ms: i64, cancel: Option<Arc<Cancel>>) -> Result<Value, BridgeError> {
    if r.cmd.is_empty() {
        return Err(BridgeError::invalid("\"cmd\" must name a program"));
    }
    if r.tty && fds.stderr.is_some() {
        return Err(BridgeError::invalid("with \"tty\" the terminal's output goes to stdout_fd; stderr_fd must be -1"));
    }
    let docker = docker()?;
    let request = ExecRequest {
        container: r.id,
        cmd: r.cmd,
        env: r.env,
        user: r.user,
        working_dir: r.working_dir,
        tty: r.tty,
        stdin: fds.stdin.is_some(),
    };
    let session = run(timeout_ms, cancel, async move { Ok(docker.exec(&request).await?) }).map_err(|e| {
        // Docker answers 409 "Container … is not running".
        if e.code == Code::Internal && e.message.contains("is not running") {
            BridgeError::invalid(e.message)
        } else {
            e
        }
    })?;

    let (done_tx, done) = watch::channel(false);
    let stop_stdin = Arc::new(AtomicBool::new(false));
    if let (Some(fd), Some(writer)) = (fds.stdin, session.stdin) {
        pump_stdin(fd, writer, stop_stdin.clone())?;
    }
    let mut output = session.output;
    let (stdout, stderr) = (fds.stdout, fds.stderr);
    let stop = stop_stdin.clone();
    std::thread::Builder::new()
        .name("devc-bridge-exec-out".into())
        .spawn(move || {
            fds::block_sigpipe();
            let (mut out, mut err) = (Sink::new(stdout), Sink::new(stderr));
            while let Some(chunk) = output.blocking_recv() {
                match chunk {
                    OutputChunk::Stdout(b) => out.write(&b),
                    OutputChunk::Stderr(b) => err.write(&b),
                }
            }
            drop((out, err));
            stop.store(true, Ordering::SeqCst);
            done_tx.send_replace(true);
        })
        .map_err(|e| BridgeError::internal(format!("cannot start the output thread: {e}")))?;

    static NEXT: AtomicU64 = AtomicU64::new(1);
    let handle = NEXT.fetch_add(1, Ordering::Relaxed);
    let entry = Entry { exec_id: session.id, tty: r.tty, done, stop_stdin };
    registry().lock().unwrap_or_else(|p| p.into_inner()).insert(handle, Arc::new(entry));
    Ok(json!({"handle": handle}))
}

/// Caller's stdin fd → a thread (poll + read) → a task writing the exec's stdin.
fn pump_stdin(
    fd: OwnedFd,
    mut writer: Box<dyn tokio::io::AsyncWrite + Send + Unpin>,
    stop: Arc<AtomicBool>,
) -> Result<(), BridgeError> {
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(4);
    std::thread::Builder::new()
        .name("devc-bridge-exec-in".into())
        .spawn(move || {
            let mut file = std::fs::File::from(fd);
            let mut buf = vec![0u8; 64 * 1024];
            while !stop.load(Ordering::SeqCst) {
                match fds::poll(file.as_raw_fd(), libc::POLLIN, 100) {
                    Ok(false) => continue,
                    Ok(true) => {}
                    Err(_) => break,
                }
                match file.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx.blocking_send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            // Dropping `tx` ends the task below, which closes the exec's stdin.
        })
        .map_err(|e| BridgeError::internal(format!("cannot start the stdin thread: {e}")))?;
    crate::calls::spawn(async move {
        while let Some(chunk) = rx.recv().await {
            if writer.write_all(&chunk).await.is_err() || writer.flush().await.is_err() {
                break;
            }
        }
        let _ = writer.shutdown().await;
    })
}

pub fn wait(handle: u64, timeout_ms: i64, cancel: Option<Arc<Cancel>>) -> Result<Value, BridgeError> {
    let entry = entry(handle)?;
    let docker = docker()?;
    let code = run(timeout_ms, cancel, async move {
        let mut done = entry.done.clone();
        let _ = done.wait_for(|d| *d).await;
        Ok(docker.exec_wait(&entry.exec_id).await?)
    })?;
    Ok(json!({"exitCode": code}))
}

pub fn signal(handle: u64, signal: i32, timeout_ms: i64, cancel: Option<Arc<Cancel>>) -> Result<Value, BridgeError> {
    if !(1..=64).contains(&signal) {
        return Err(BridgeError::invalid(format!("{signal} is not a signal number")));
    }
    let entry = entry(handle)?;
    let docker = docker()?;
    run(timeout_ms, cancel, async move { Ok(docker.exec_signal(&entry.exec_id, signal).await?) })?;
    Ok(Value::Null)
}

pub fn resize(handle: u64, columns: u16, rows: u16, timeout_ms: i64, cancel: Option<Arc<Cancel>>) -> Result<Value, BridgeError> {
    let entry = entry(handle)?;
    if !entry.tty {
        return Err(BridgeError::new(Code::Unsupported, "resizing the terminal of an exec started without \"tty\""));
    }
    if columns == 0 || rows == 0 {
        return Err(BridgeError::invalid(format!("a terminal of {columns}x{rows}")));
    }
    let docker = docker()?;
    run(timeout_ms, cancel, async move { Ok(docker.exec_resize(&entry.exec_id, columns, rows).await?) })?;
    Ok(Value::Null)
}

pub fn release(handle: u64) {
    let removed = registry().lock().unwrap_or_else(|p| p.into_inner()).remove(&handle);
    if let Some(entry) = removed {
        entry.stop_stdin.store(true, Ordering::SeqCst);
    }
}

//! File descriptors as the header defines them: the caller's fds are
//! duplicated (close-on-exec) and never touched otherwise (no O_NONBLOCK:
//! waiting uses poll); our writer threads block SIGPIPE, so a reader that
//! went away becomes EPIPE (discarded output), never a signal to the process.

use crate::codes::BridgeError;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Our own duplicate of a caller's fd (`-1`: none).
pub fn dup(fd: libc::c_int, what: &str) -> Result<Option<OwnedFd>, BridgeError> {
    if fd == -1 {
        return Ok(None);
    }
    if fd < 0 {
        return Err(BridgeError::invalid(format!("{what} {fd} is not a file descriptor (use -1 for none)")));
    }
    // SAFETY: F_DUPFD_CLOEXEC only reads the caller's fd table entry.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if copy < 0 {
        let e = io::Error::last_os_error();
        return Err(BridgeError::invalid(format!("{what} {fd} is not an open file descriptor ({e})")));
    }
    // SAFETY: a fresh descriptor we own.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(copy) }))
}

/// A close-on-exec pipe: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: two fresh descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Blocks SIGPIPE in the calling thread (call it first in writer threads).
pub fn block_sigpipe() {
    // SAFETY: plain signal-mask manipulation of this thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Waits up to `timeout_ms` for `fd` to have `events` (POLLIN / POLLOUT).
pub fn poll(fd: RawFd, events: libc::c_short, timeout_ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd { fd, events, revents: 0 };
    loop {
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        // Readiness, or the other end closed / an error: either way a read or
        // write will not block now.
        return Ok(rc > 0);
    }
}

/// An output fd that turns into a sink once its reader went away.
pub struct Sink {
    file: Option<File>,
}

impl Sink {
    pub fn new(fd: Option<OwnedFd>) -> Sink {
        Sink { file: fd.map(File::from) }
    }

    /// Writes everything (blocking: a slow reader slows the writer down);
    /// after a failed write the rest is discarded and the fd closed.
    pub fn write(&mut self, bytes: &[u8]) {
        if let Some(file) = &mut self.file {
            if file.write_all(bytes).is_err() {
                self.file = None;
            }
        }
    }

    /// Writes, but gives up when the reader does not take the bytes while
    /// `give_up()` holds (used for progress output after the call ended).
    pub fn write_patiently(&mut self, bytes: &[u8], give_up: impl Fn() -> bool) {
        let Some(file) = &mut self.file else { return };
        let fd = file.as_raw_fd();
        // POSIX lets a write of at most PIPE_BUF (>= 512) bytes to a pipe that
        // poll says is writable complete without blocking.
        for piece in bytes.chunks(512) {
            let ready = loop {
                match poll(fd, libc::POLLOUT, 100) {
                    Ok(true) => break true,
                    Ok(false) if give_up() => break false,
                    Ok(false) => continue,
                    Err(_) => break false,
                }
            };
            if !ready || file.write_all(piece).is_err() {
                self.file = None;
                return;
            }
        }
    }

    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }
}

/// Progress lines for a caller's fd, written by a thread of their own: the
/// call never blocks on a slow reader, and once the call has ended the rest
/// is written only as fast as the reader takes it.
pub struct ProgressWriter {
    tx: Option<std::sync::mpsc::Sender<String>>,
    finished: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressWriter {
    pub fn start(fd: Option<OwnedFd>) -> ProgressWriter {
        use std::sync::atomic::{AtomicBool, Ordering};
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let finished = std::sync::Arc::new(AtomicBool::new(false));
        let done = finished.clone();
        let thread = fd.and_then(|fd| {
            std::thread::Builder::new()
                .name("devc-bridge-progress".into())
                .spawn(move || {
                    block_sigpipe();
                    let mut sink = Sink::new(Some(fd));
                    while let Ok(mut line) = rx.recv() {
                        line.push('\n');
                        sink.write_patiently(line.as_bytes(), || done.load(Ordering::SeqCst));
                        if !sink.is_open() {
                            break;
                        }
                    }
                })
                .ok()
        });
        ProgressWriter { tx: Some(tx), finished, thread }
    }

    /// Sender for progress lines (lines are dropped when there is no fd).
    pub fn sender(&self) -> Option<std::sync::mpsc::Sender<String>> {
        self.tx.clone()
    }

    /// After the call: flush what the reader takes, close our duplicate.
    pub fn finish(mut self) {
        self.finished.store(true, std::sync::atomic::Ordering::SeqCst);
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

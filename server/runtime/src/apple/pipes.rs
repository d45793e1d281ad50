//! The host side of the bridge's fd plumbing: close-on-exec pipes (so a
//! child devc starts never holds a write end open), reader threads that turn
//! a pipe into output chunks or progress lines, and the stdin writer. Reader
//! threads are plain threads: a blocking read cannot be cancelled, so nothing
//! (not even runtime shutdown) may wait for them; they end at EOF or when
//! their receiver is gone.

use crate::OutputChunk;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use tokio::sync::mpsc;

/// A pipe: (read end, write end), both close-on-exec.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    // SAFETY: fds has room for two descriptors.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    // SAFETY: as above; close-on-exec is set right after (no pipe2 on macOS).
    let rc = unsafe {
        let rc = libc::pipe(fds.as_mut_ptr());
        if rc == 0 {
            libc::fcntl(fds[0], libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(fds[1], libc::F_SETFD, libc::FD_CLOEXEC);
        }
        rc
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe returned two fresh descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The raw fd of an optional end, -1 for none (the header's convention).
pub fn raw(fd: &Option<OwnedFd>) -> RawFd {
    fd.as_ref().map_or(-1, AsRawFd::as_raw_fd)
}

/// Reads `fd` to EOF, sending what arrives as stdout or stderr chunks.
pub fn spawn_output_reader(fd: OwnedFd, tx: mpsc::Sender<OutputChunk>, stderr: bool) {
    let spawned = std::thread::Builder::new().name("devc-bridge-reader".into()).spawn(move || {
        let mut file = File::from(fd);
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let bytes = buf[..n].to_vec();
                    let chunk = if stderr { OutputChunk::Stderr(bytes) } else { OutputChunk::Stdout(bytes) };
                    if tx.blocking_send(chunk).is_err() {
                        break; // Nobody reads any more: closing our end discards the rest.
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::debug!("reading bridge output: {e}");
                    break;
                }
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot start a thread to read bridge output: {e}");
    }
}

/// Reads `fd` line by line into `tx` (progress of pulls and builds).
pub fn spawn_line_reader(fd: OwnedFd, tx: mpsc::UnboundedSender<String>) {
    let spawned = std::thread::Builder::new().name("devc-bridge-progress".into()).spawn(move || {
        let mut reader = BufReader::new(File::from(fd));
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line);
                    let text = text.trim_end_matches(['\n', '\r']);
                    if !text.is_empty() && tx.send(text.to_string()).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot start a thread to read bridge progress: {e}");
    }
}

/// The write end of the exec's stdin pipe as an async writer; dropping it
/// closes the pipe, which the bridge turns into EOF for the process.
pub fn stdin_writer(fd: OwnedFd) -> Box<dyn tokio::io::AsyncWrite + Send + Unpin> {
    Box::new(tokio::fs::File::from_std(File::from(fd)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn pipes_are_close_on_exec_and_carry_bytes() {
        let (r, w) = pipe().unwrap();
        for fd in [r.as_raw_fd(), w.as_raw_fd()] {
            // SAFETY: querying flags of an fd we own.
            let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
            assert_ne!(flags & libc::FD_CLOEXEC, 0);
        }
        let (tx, mut rx) = mpsc::channel(4);
        spawn_output_reader(r, tx, true);
        File::from(w).write_all(b"hello").unwrap();
        let mut got = Vec::new();
        while let Some(chunk) = rx.blocking_recv() {
            match chunk {
                OutputChunk::Stderr(b) => got.extend(b),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, b"hello");
    }

    #[test]
    fn progress_lines() {
        let (r, w) = pipe().unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        spawn_line_reader(r, tx);
        File::from(w).write_all(b"one\r\ntwo\n\nthree").unwrap();
        let mut lines = Vec::new();
        while let Some(l) = rx.blocking_recv() {
            lines.push(l);
        }
        assert_eq!(lines, ["one", "two", "three"]);
    }
}

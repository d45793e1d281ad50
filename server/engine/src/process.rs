//! Running processes, in a container through any [`Runtime`] or on the host, and
//! streaming their output as it arrives.
//!
//! Output goes to an [`OutputSink`]: devc's stderr (the default: stdout carries the
//! JSON result), a callback (for the debug adapter), or nowhere. A sink can carry a
//! `[name] ` prefix for commands that run in parallel; a prefixed sink writes whole
//! lines only (partial lines wait for their newline, and the remainder is flushed
//! when the process ends) so that parallel outputs never interleave mid-line. An
//! unprefixed sink forwards every chunk as it arrives.
//!
//! Every run also keeps the last [`TAIL_LINES`] lines of output (escape sequences
//! stripped) for error messages.

use crate::error::EngineError;
use devc_config::model::CommandSpec;
use devc_runtime::{ExecRequest, OutputChunk, Runtime};
use std::collections::VecDeque;
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use tokio::io::AsyncReadExt;

/// How many lines of output a [`ProcessResult`] keeps.
pub const TAIL_LINES: usize = 20;
/// Longest line kept in the tail (longer lines are cut, with `…`).
const TAIL_LINE_MAX: usize = 400;
/// A prefixed sink emits a partial line once it grows past this size.
const PENDING_MAX: usize = 16 * 1024;

/// Receives output bytes; the flag is `true` for the process's stderr.
pub type OutputCallback = Arc<dyn Fn(&[u8], bool) + Send + Sync>;

#[derive(Clone)]
enum Target {
    Stderr,
    Callback(OutputCallback),
    Discard,
}

/// Where a process's output goes. Cheap to clone; see the module docs.
#[derive(Clone)]
pub struct OutputSink {
    target: Target,
    /// `[name] `, written at the start of every line.
    prefix: Option<String>,
}

impl Default for OutputSink {
    /// devc's own stderr.
    fn default() -> Self {
        OutputSink::stderr()
    }
}

impl fmt::Debug for OutputSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = match self.target {
            Target::Stderr => "stderr",
            Target::Callback(_) => "callback",
            Target::Discard => "discard",
        };
        f.debug_struct("OutputSink")
            .field("target", &target)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl OutputSink {
    /// devc's stderr (both output streams of the process go there).
    pub fn stderr() -> Self {
        OutputSink {
            target: Target::Stderr,
            prefix: None,
        }
    }

    /// Calls `f(bytes, is_stderr)` for every piece of output.
    pub fn callback(f: impl Fn(&[u8], bool) + Send + Sync + 'static) -> Self {
        OutputSink {
            target: Target::Callback(Arc::new(f)),
            prefix: None,
        }
    }

    /// Like [`OutputSink::callback`], from a shared callback.
    pub fn from_callback(f: OutputCallback) -> Self {
        OutputSink {
            target: Target::Callback(f),
            prefix: None,
        }
    }

    /// Drops the output (the tail is still kept).
    pub fn discard() -> Self {
        OutputSink {
            target: Target::Discard,
            prefix: None,
        }
    }

    /// The same destination, every line prefixed with `[name] ` (nested prefixes add up).
    pub fn prefixed(&self, name: &str) -> Self {
        let prefix = format!("{}[{name}] ", self.prefix.as_deref().unwrap_or(""));
        OutputSink {
            target: self.target.clone(),
            prefix: Some(prefix),
        }
    }

    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// A writer for one process run (it holds the per-stream line state and the tail).
    pub fn writer(&self) -> OutputWriter {
        OutputWriter {
            sink: self.clone(),
            pending: [Vec::new(), Vec::new()],
            continuing: [false, false],
            tail: Tail::default(),
        }
    }

    fn emit(&self, bytes: &[u8], is_stderr: bool) {
        if bytes.is_empty() {
            return;
        }
        match &self.target {
            Target::Stderr => {
                let mut err = std::io::stderr().lock();
                let _ = err.write_all(bytes);
                let _ = err.flush();
            }
            Target::Callback(f) => f(bytes, is_stderr),
            Target::Discard => {}
        }
    }
}

/// Feeds one process's output to a sink: prefixes lines when the sink has a prefix,
/// and keeps the tail. Call [`OutputWriter::finish`] once the process is done.
pub struct OutputWriter {
    sink: OutputSink,
    /// Per stream (stdout, stderr): the partial line a prefixed sink holds back.
    pending: [Vec<u8>; 2],
    /// Per stream: the current line was already started (its prefix is written).
    continuing: [bool; 2],
    tail: Tail,
}

impl OutputWriter {
    pub fn write(&mut self, bytes: &[u8], is_stderr: bool) {
        self.tail.push(bytes, is_stderr);
        let Some(prefix) = self.sink.prefix.clone() else {
            self.sink.emit(bytes, is_stderr);
            return;
        };
        let s = is_stderr as usize;
        self.pending[s].extend_from_slice(bytes);
        let Some(last_nl) = self.pending[s].iter().rposition(|&b| b == b'\n') else {
            if self.pending[s].len() > PENDING_MAX {
                let chunk = std::mem::take(&mut self.pending[s]);
                let mut out = Vec::with_capacity(chunk.len() + prefix.len());
                if !self.continuing[s] {
                    out.extend_from_slice(prefix.as_bytes());
                }
                out.extend_from_slice(&chunk);
                self.continuing[s] = true;
                self.sink.emit(&out, is_stderr);
            }
            return;
        };
        let rest = self.pending[s].split_off(last_nl + 1);
        let complete = std::mem::replace(&mut self.pending[s], rest);
        let out = prefix_lines(&complete, &prefix, self.continuing[s]);
        self.continuing[s] = false;
        self.sink.emit(&out, is_stderr);
    }

    /// Flushes partial lines (a prefixed sink ends them with a newline) and closes the tail.
    pub fn finish(&mut self) {
        if let Some(prefix) = self.sink.prefix.clone() {
            for s in 0..2 {
                let mut rest = std::mem::take(&mut self.pending[s]);
                if rest.is_empty() {
                    continue;
                }
                rest.push(b'\n');
                let out = prefix_lines(&rest, &prefix, self.continuing[s]);
                self.continuing[s] = false;
                self.sink.emit(&out, s == 1);
            }
        }
        self.tail.finish();
    }

    /// The last lines of output so far (complete lines only until `finish`).
    pub fn tail(&self) -> Vec<String> {
        self.tail.lines.iter().cloned().collect()
    }
}

/// `[p] ` before every line of `text` (which ends with a newline); the first line gets
/// none when it continues a line whose prefix was already written.
fn prefix_lines(text: &[u8], prefix: &str, continuing: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + prefix.len() * 2);
    let mut first = true;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if !(first && continuing) {
            out.extend_from_slice(prefix.as_bytes());
        }
        first = false;
        out.extend_from_slice(line);
    }
    out
}

/// The last lines of both streams, as a terminal would show them (escape sequences
/// removed, text before a bare `\r` dropped).
#[derive(Default)]
struct Tail {
    lines: VecDeque<String>,
    partial: [Vec<u8>; 2],
}

impl Tail {
    fn push(&mut self, bytes: &[u8], is_stderr: bool) {
        let s = is_stderr as usize;
        for piece in bytes.split_inclusive(|&b| b == b'\n') {
            let (body, ends) = match piece.strip_suffix(b"\n") {
                Some(b) => (b, true),
                None => (piece, false),
            };
            // Keep the partial line bounded (a progress bar can be megabytes without a newline).
            let room = (TAIL_LINE_MAX * 4).saturating_sub(self.partial[s].len());
            self.partial[s].extend_from_slice(&body[..body.len().min(room)]);
            if ends {
                let line = std::mem::take(&mut self.partial[s]);
                self.add(&line);
            }
        }
    }

    fn finish(&mut self) {
        for s in 0..2 {
            let line = std::mem::take(&mut self.partial[s]);
            if !line.is_empty() {
                self.add(&line);
            }
        }
    }

    fn add(&mut self, raw: &[u8]) {
        let line = clean_line(raw);
        if self.lines.len() == TAIL_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }
}

/// Decodes (lossily), strips ANSI escape sequences, keeps what follows the last bare
/// `\r`, trims trailing whitespace and cuts long lines.
pub(crate) fn clean_line(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    // CSI: parameters and intermediates, then one final byte in @..~.
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    chars.next();
                    // OSC: until BEL or ESC \.
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            },
            '\r' => {
                if chars.peek().is_some() {
                    out.clear();
                }
            }
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    let trimmed = out.trim_end();
    if trimmed.chars().count() > TAIL_LINE_MAX {
        let mut cut: String = trimmed.chars().take(TAIL_LINE_MAX).collect();
        cut.push('…');
        cut
    } else {
        trimmed.to_string()
    }
}

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessResult {
    /// The exit code; a process killed by signal N reports `128 + N`.
    pub exit_code: i64,
    /// The last [`TAIL_LINES`] lines of output (both streams, in arrival order).
    pub tail: Vec<String>,
}

impl ProcessResult {
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }

    /// Ended by Ctrl-C (exit code 130 = 128 + SIGINT), which the reference does not
    /// treat as a failure.
    pub fn interrupted(&self) -> bool {
        self.exit_code == 130
    }
}

/// Starts `request` in its container, forwards output to `output` as it arrives and
/// returns the exit code and the output tail. A request asking for stdin gets it closed.
pub async fn run_in_container<R: Runtime>(
    rt: &R,
    request: ExecRequest,
    output: &OutputSink,
) -> Result<ProcessResult, EngineError> {
    let mut session = rt.exec(&request).await?;
    drop(session.stdin.take());
    let mut writer = output.writer();
    while let Some(chunk) = session.output.recv().await {
        match chunk {
            OutputChunk::Stdout(b) => writer.write(&b, false),
            OutputChunk::Stderr(b) => writer.write(&b, true),
        }
    }
    writer.finish();
    let exit_code = rt.exec_wait(&session.id).await?;
    Ok(ProcessResult {
        exit_code,
        tail: writer.tail(),
    })
}

/// The complete output of a finished process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CapturedOutput {
    pub exit_code: i64,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl CapturedOutput {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs `request` and collects its output instead of streaming it (for the small
/// helper commands devc runs itself: reading `/etc/passwd`, marker files).
pub async fn capture_in_container<R: Runtime>(
    rt: &R,
    request: ExecRequest,
) -> Result<CapturedOutput, EngineError> {
    let mut session = rt.exec(&request).await?;
    drop(session.stdin.take());
    let mut out = CapturedOutput::default();
    while let Some(chunk) = session.output.recv().await {
        match chunk {
            OutputChunk::Stdout(b) => out.stdout.extend_from_slice(&b),
            OutputChunk::Stderr(b) => out.stderr.extend_from_slice(&b),
        }
    }
    out.exit_code = rt.exec_wait(&session.id).await?;
    Ok(out)
}

/// The argv a command runs as: a string goes through `/bin/sh -c` (`%ComSpec% /c` for
/// host commands on Windows), a list is executed directly. The string itself is one
/// argument; nothing is spliced into a shell line.
pub fn command_argv(command: &CommandSpec) -> Vec<String> {
    match command {
        CommandSpec::Shell(s) => vec!["/bin/sh".to_string(), "-c".to_string(), s.clone()],
        CommandSpec::Exec(argv) => argv.clone(),
    }
}

fn host_argv(command: &CommandSpec) -> Vec<String> {
    #[cfg(windows)]
    if let CommandSpec::Shell(s) = command {
        let comspec = std::env::var("ComSpec").unwrap_or_else(|_| "cmd.exe".to_string());
        return vec![comspec, "/c".to_string(), s.clone()];
    }
    command_argv(command)
}

/// Runs `command` on the host (for `initializeCommand`) in `cwd`, stdin closed, both
/// output streams forwarded to `output` as they arrive. A program that cannot be
/// started is an error ([`EngineError::HostSpawn`]); a non-zero exit is reported in
/// the result.
pub async fn run_on_host(
    command: &CommandSpec,
    cwd: &Path,
    output: &OutputSink,
) -> Result<ProcessResult, EngineError> {
    let argv = host_argv(command);
    let Some((program, args)) = argv.split_first() else {
        return Ok(ProcessResult {
            exit_code: 0,
            tail: Vec::new(),
        });
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| EngineError::HostSpawn {
            program: program.clone(),
            cwd: cwd.display().to_string(),
            message: e.to_string(),
        })?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let mut writer = output.writer();
    let (mut out_buf, mut err_buf) = (vec![0u8; 8192], vec![0u8; 8192]);
    while stdout.is_some() || stderr.is_some() {
        tokio::select! {
            n = read_some(&mut stdout, &mut out_buf), if stdout.is_some() => match n {
                Some(n) => writer.write(&out_buf[..n], false),
                None => stdout = None,
            },
            n = read_some(&mut stderr, &mut err_buf), if stderr.is_some() => match n {
                Some(n) => writer.write(&err_buf[..n], true),
                None => stderr = None,
            },
        }
    }
    writer.finish();
    let status = child.wait().await.map_err(|e| EngineError::HostSpawn {
        program: program.clone(),
        cwd: cwd.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(ProcessResult {
        exit_code: exit_code_of(status),
        tail: writer.tail(),
    })
}

/// One read; `None` at end of stream or on a read error.
async fn read_some<T: tokio::io::AsyncRead + Unpin>(
    stream: &mut Option<T>,
    buf: &mut [u8],
) -> Option<usize> {
    match stream.as_mut()?.read(buf).await {
        Ok(0) | Err(_) => None,
        Ok(n) => Some(n),
    }
}

fn exit_code_of(status: std::process::ExitStatus) -> i64 {
    if let Some(code) = status.code() {
        return code as i64;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig as i64;
        }
    }
    -1
}

/// Polls all futures concurrently on the current task and returns their outputs in
/// order (no spawning, so borrowed futures are fine).
pub(crate) async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::task::Poll;
    let mut futures: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (fut, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    type Recorded = Arc<Mutex<Vec<(Vec<u8>, bool)>>>;

    fn collecting() -> (OutputSink, Recorded) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        (
            OutputSink::callback(move |b, e| g.lock().unwrap().push((b.to_vec(), e))),
            got,
        )
    }

    fn joined(got: &Mutex<Vec<(Vec<u8>, bool)>>, stderr: bool) -> String {
        let v = got.lock().unwrap();
        let bytes: Vec<u8> = v
            .iter()
            .filter(|(_, e)| *e == stderr)
            .flat_map(|(b, _)| b.clone())
            .collect();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn unprefixed_chunks_pass_through_immediately() {
        let (sink, got) = collecting();
        let mut w = sink.writer();
        w.write(b"par", false);
        assert_eq!(
            got.lock().unwrap().len(),
            1,
            "a partial line is forwarded at once"
        );
        w.write(b"tial\nnext", false);
        w.write(b"err\n", true);
        w.finish();
        assert_eq!(joined(&got, false), "partial\nnext");
        assert_eq!(joined(&got, true), "err\n");
        assert_eq!(w.tail(), vec!["partial", "err", "next"]);
    }

    #[test]
    fn prefixed_lines_only_at_line_starts() {
        let (sink, got) = collecting();
        let mut w = sink.prefixed("a").writer();
        w.write(b"one\ntw", false);
        assert_eq!(joined(&got, false), "[a] one\n");
        w.write(b"o\nthr", false);
        w.write(b"ee", false);
        w.write(b"oops\n", true);
        w.write(b"\n\nlast", false);
        w.finish();
        assert_eq!(
            joined(&got, false),
            "[a] one\n[a] two\n[a] three\n[a] \n[a] last\n"
        );
        assert_eq!(joined(&got, true), "[a] oops\n");
    }

    #[test]
    fn prefixed_streams_keep_separate_line_state() {
        let (sink, got) = collecting();
        let mut w = sink.prefixed("x").writer();
        w.write(b"out-", false);
        w.write(b"err-", true);
        w.write(b"done\n", false);
        w.write(b"done\n", true);
        w.finish();
        assert_eq!(joined(&got, false), "[x] out-done\n");
        assert_eq!(joined(&got, true), "[x] err-done\n");
    }

    #[test]
    fn prefixed_long_partial_line_is_flushed_and_continued_without_prefix() {
        let (sink, got) = collecting();
        let mut w = sink.prefixed("p").writer();
        let big = vec![b'x'; PENDING_MAX + 1];
        w.write(&big, false);
        w.write(b"y\nz", false);
        w.finish();
        let text = joined(&got, false);
        assert!(text.starts_with("[p] xxx"));
        assert!(
            text.ends_with("xy\n[p] z\n"),
            "{}",
            &text[text.len() - 20..]
        );
        assert_eq!(text.matches("[p] ").count(), 2);
    }

    #[test]
    fn nested_prefixes_add_up() {
        let (sink, got) = collecting();
        let mut w = sink.prefixed("a").prefixed("b").writer();
        w.write(b"hi\n", false);
        w.finish();
        assert_eq!(joined(&got, false), "[a] [b] hi\n");
    }

    #[test]
    fn tail_keeps_last_lines_cleaned() {
        let (sink, _got) = (OutputSink::discard(), ());
        let mut w = sink.writer();
        for i in 0..30 {
            w.write(format!("line {i}\n").as_bytes(), false);
        }
        w.write(b"\x1b[1;31mred\x1b[0m text\r\n", false);
        w.write(b"progress 10%\rprogress 100%\n", true);
        w.write(b"no newline", false);
        w.finish();
        let t = w.tail();
        assert_eq!(t.len(), TAIL_LINES);
        assert_eq!(t[TAIL_LINES - 4], "line 29");
        assert_eq!(t[TAIL_LINES - 3], "red text");
        assert_eq!(t[TAIL_LINES - 2], "progress 100%");
        assert_eq!(t[TAIL_LINES - 1], "no newline");
    }

    #[test]
    fn clean_line_cuts_long_lines_and_drops_osc() {
        let long = "é".repeat(1000);
        let c = clean_line(long.as_bytes());
        assert_eq!(c.chars().count(), TAIL_LINE_MAX + 1);
        assert!(c.ends_with('…'));
        assert_eq!(clean_line(b"\x1b]0;title\x07after"), "after");
        assert_eq!(clean_line(b"bad \xff byte"), "bad \u{fffd} byte");
    }

    #[test]
    fn argv_forms() {
        assert_eq!(
            command_argv(&CommandSpec::Shell("echo $HOME".into())),
            vec!["/bin/sh", "-c", "echo $HOME"]
        );
        let argv = vec!["printf".to_string(), "%s".into(), "a b $(x)".into()];
        assert_eq!(command_argv(&CommandSpec::Exec(argv.clone())), argv);
    }

    #[test]
    fn interrupted_is_130() {
        let r = ProcessResult {
            exit_code: 130,
            tail: vec![],
        };
        assert!(r.interrupted() && !r.success());
        assert!(ProcessResult {
            exit_code: 0,
            tail: vec![]
        }
        .success());
    }

    #[tokio::test]
    async fn join_all_runs_concurrently_and_keeps_order() {
        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        let a = async move { rx.await.unwrap() + 1 };
        let b = async move {
            tx.send(41).unwrap();
            7
        };
        let futs: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = u32>>>> =
            vec![Box::pin(a), Box::pin(b)];
        assert_eq!(join_all(futs).await, vec![42, 7]);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn host_shell_and_exec_forms() {
        let dir = tempfile::tempdir().unwrap();
        let (sink, got) = collecting();
        let r = run_on_host(
            &CommandSpec::Shell("pwd; echo to-err >&2; exit 3".into()),
            dir.path(),
            &sink,
        )
        .await
        .unwrap();
        assert_eq!(r.exit_code, 3);
        let cwd = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(joined(&got, false).trim(), cwd.display().to_string());
        assert_eq!(joined(&got, true), "to-err\n");
        assert!(r.tail.contains(&"to-err".to_string()));

        // A list runs without a shell: the argument arrives verbatim.
        let marker = dir.path().join("pwned");
        let arg = format!("a \"b\" 'c' $(touch {})", marker.display());
        let (sink, got) = collecting();
        let r = run_on_host(
            &CommandSpec::Exec(vec!["printf".into(), "%s".into(), arg.clone()]),
            dir.path(),
            &sink,
        )
        .await
        .unwrap();
        assert!(r.success());
        assert_eq!(joined(&got, false), arg);
        assert!(!marker.exists());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn host_missing_program_and_signal() {
        let dir = tempfile::tempdir().unwrap();
        let e = run_on_host(
            &CommandSpec::Exec(vec!["/nonexistent/devc-no-such-program".into()]),
            dir.path(),
            &OutputSink::discard(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, EngineError::HostSpawn { .. }), "{e}");
        let r = run_on_host(
            &CommandSpec::Shell("kill -INT $$".into()),
            dir.path(),
            &OutputSink::discard(),
        )
        .await
        .unwrap();
        assert!(r.interrupted(), "{r:?}");
    }
}

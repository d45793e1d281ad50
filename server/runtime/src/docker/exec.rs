//! Exec sessions over the Engine API: the output pump (bounded channel, in
//! arrival order, closed only after the daemon ends the stream), the stdin
//! writer (dropping it half-closes the connection, which closes the process's
//! stdin), waiting for the exit code, and signalling.
//!
//! Signalling: the Engine API has no "kill exec". `exec_signal` finds the
//! exec's process and sends the signal from inside the container with a
//! second exec running as root (`kill -SIG -PGID`, falling back to the
//! pid), so it works whatever user devc runs as.
//!
//! 1. Same host (the daemon's PIDs are visible in our `/proc`): `inspect_exec`
//!    gives the host PID; `/proc/<pid>/cgroup` must name the container (so a
//!    remote daemon or another PID namespace is never confused with ours);
//!    `NSpid:` in `/proc/<pid>/status` gives the PID inside the container and
//!    `/proc/<pid>/stat` whether it leads its process group.
//! 2. Otherwise (Docker Desktop's VM, a remote daemon, devc itself in a
//!    container): a root exec lists `/proc/*/stat` and `/proc/*/cmdline` inside
//!    the container. Exec'd processes are the ones whose parent is outside the
//!    container's PID namespace (PPid 0, other than PID 1); among them the one
//!    whose command line is the exec's command is chosen (or the only one).
//!    When that is ambiguous the call fails with `Unsupported`.
//!
//! Both need `sh`, `kill` and (for 2.) `cat` in the container. Setting
//! `DEVC_EXEC_SIGNAL_SCAN=1` forces 2. (to diagnose it, and to test it on a
//! machine where 1. would apply).

use super::{error_chain, status, Docker, OUTPUT_CHANNEL};
use crate::{ExecRequest, ExecSession, OutputChunk, Result, RuntimeError};
use bollard::container::LogOutput;
use bollard::errors::Error as BollardError;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::models::ProcessConfig;
use futures_util::{Stream, StreamExt};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

fn exec_error(docker: &Docker, operation: &str, exec_id: &str, e: BollardError) -> RuntimeError {
    match status(&e) {
        Some(404) => RuntimeError::Api {
            operation: operation.to_string(),
            message: format!("no such exec {exec_id} (its container may have been removed or restarted)"),
        },
        _ => docker.api_error(operation, e),
    }
}

/// Creates and starts an attached exec.
pub(crate) async fn start(docker: &Docker, client: &bollard::Docker, request: &ExecRequest) -> Result<ExecSession> {
    let options = CreateExecOptions::<String> {
        attach_stdin: Some(request.stdin),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(request.tty),
        env: (!request.env.is_empty()).then(|| request.env.clone()),
        cmd: Some(request.cmd.clone()),
        user: request.user.clone(),
        working_dir: request.working_dir.clone(),
        ..Default::default()
    };
    let created = client
        .create_exec(&request.container, options)
        .await
        .map_err(|e| docker.container_error("create exec", &request.container, e))?;
    let started = client
        .start_exec(&created.id, Some(StartExecOptions { detach: false, tty: request.tty, output_capacity: None }))
        .await
        .map_err(|e| exec_error(docker, "start exec", &created.id, e))?;
    let StartExecResults::Attached { output, input } = started else {
        return Err(RuntimeError::Api { operation: "start exec".into(), message: "the daemon did not attach the exec".into() });
    };
    let (tx, rx) = mpsc::channel(OUTPUT_CHANNEL);
    tokio::spawn(pump(output, tx, format!("exec {}", created.id), true));
    let stdin = if request.stdin {
        Some(Box::new(StdinWriter { inner: Some(input) }) as Box<dyn AsyncWrite + Send + Unpin>)
    } else {
        None
    };
    Ok(ExecSession { id: created.id, output: rx, stdin })
}

/// Forwards a daemon output stream into `tx` in arrival order; returns (and
/// so closes the channel) only when the daemon ends the stream. With `drain`,
/// output keeps being read (and dropped) after the receiver went away, so the
/// process never blocks on a full pipe.
pub(crate) async fn pump<S>(mut stream: S, tx: mpsc::Sender<OutputChunk>, what: String, drain: bool)
where
    S: Stream<Item = std::result::Result<LogOutput, BollardError>> + Unpin,
{
    let mut tx = Some(tx);
    while let Some(item) = stream.next().await {
        let chunk = match item {
            Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => OutputChunk::Stdout(message.to_vec()),
            Ok(LogOutput::StdErr { message }) => OutputChunk::Stderr(message.to_vec()),
            Ok(LogOutput::StdIn { .. }) => continue,
            Err(e) => {
                tracing::warn!("{what}: the output stream ended with an error: {}", error_chain(&e));
                break;
            }
        };
        if matches!(&chunk, OutputChunk::Stdout(b) | OutputChunk::Stderr(b) if b.is_empty()) {
            continue;
        }
        if let Some(sender) = &tx {
            if sender.send(chunk).await.is_err() {
                if !drain {
                    return;
                }
                tx = None;
            }
        }
    }
}

/// The exec's stdin. Shutting it down or dropping it half-closes the
/// connection: the daemon then closes the process's stdin (EOF).
struct StdinWriter {
    inner: Option<Pin<Box<dyn AsyncWrite + Send>>>,
}

impl AsyncWrite for StdinWriter {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.inner.as_mut() {
            Some(w) => w.as_mut().poll_write(cx, buf),
            None => Poll::Ready(Err(io::Error::new(io::ErrorKind::BrokenPipe, "stdin is closed"))),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.inner.as_mut() {
            Some(w) => w.as_mut().poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(w) = self.inner.as_mut() else { return Poll::Ready(Ok(())) };
        let result = std::task::ready!(w.as_mut().poll_shutdown(cx));
        self.inner = None;
        Poll::Ready(result)
    }
}

impl Drop for StdinWriter {
    fn drop(&mut self) {
        if let Some(mut w) = self.inner.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => {
                    handle.spawn(async move {
                        if let Err(e) = w.shutdown().await {
                            tracing::debug!("closing exec stdin: {e}");
                        }
                    });
                }
                Err(_) => tracing::warn!("exec stdin dropped outside a tokio runtime; stdin stays open"),
            }
        }
    }
}

/// Polls `inspect_exec` until the process has ended and returns its exit code.
pub(crate) async fn wait(docker: &Docker, client: &bollard::Docker, exec_id: &str) -> Result<i64> {
    let mut delay = Duration::from_millis(5);
    let mut never_started = 0;
    loop {
        let info = client.inspect_exec(exec_id).await.map_err(|e| exec_error(docker, "inspect exec", exec_id, e))?;
        if !info.running.unwrap_or(false) {
            if let Some(code) = info.exit_code {
                return Ok(code);
            }
            // Not started (or the exit not recorded yet): give up after a while.
            never_started += 1;
            if never_started > 40 {
                return Err(RuntimeError::Api {
                    operation: "wait for exec".into(),
                    message: format!("exec {exec_id} has no exit code (was it started?)"),
                });
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(250));
    }
}

/// Where to send a signal inside the container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    /// The PID in the container's PID namespace.
    pub pid: i64,
    /// Whether it leads its process group (then the group is signalled).
    pub group_leader: bool,
}

/// Sends `signal` to the exec's process (group) inside the container.
pub(crate) async fn signal(docker: &Docker, client: &bollard::Docker, exec_id: &str, signal: i32) -> Result<()> {
    if signal < 0 {
        return Err(RuntimeError::Api { operation: "signal exec".into(), message: format!("invalid signal {signal}") });
    }
    let Some((container, target)) = locate(docker, client, exec_id).await? else {
        return Ok(()); // Already ended: nothing to signal.
    };
    tracing::debug!(exec = exec_id, ?target, signal, "signalling exec");
    let (code, output) = run_helper(docker, client, &container, kill_command(target, signal)).await?;
    if code == 0 {
        return Ok(());
    }
    // It may have ended between the lookup and the kill.
    let info = client.inspect_exec(exec_id).await.map_err(|e| exec_error(docker, "inspect exec", exec_id, e))?;
    if !info.running.unwrap_or(false) {
        return Ok(());
    }
    Err(RuntimeError::Api {
        operation: "signal exec".into(),
        message: format!("`kill` in the container exited with {code}: {}", String::from_utf8_lossy(&output).trim()),
    })
}

/// The exec's container and process (see the module docs); `None` once it ended.
async fn locate(docker: &Docker, client: &bollard::Docker, exec_id: &str) -> Result<Option<(String, Target)>> {
    let info = client.inspect_exec(exec_id).await.map_err(|e| exec_error(docker, "inspect exec", exec_id, e))?;
    if !info.running.unwrap_or(false) {
        return Ok(None);
    }
    let container = info.container_id.clone().unwrap_or_default();
    let host = match std::env::var_os("DEVC_EXEC_SIGNAL_SCAN") {
        Some(v) if v == "1" => None,
        _ => host_target(info.pid.unwrap_or(0), &container),
    };
    let target = match host {
        Some(target) => target,
        None => scan_target(docker, client, &container, info.process_config.as_ref()).await?,
    };
    Ok(Some((container, target)))
}

/// The exec's PID inside the container; `None` once it ended.
pub(crate) async fn pid(docker: &Docker, client: &bollard::Docker, exec_id: &str) -> Result<Option<i64>> {
    Ok(locate(docker, client, exec_id).await?.map(|(_, target)| target.pid))
}

/// `kill` as the shell builtin, in the one form dash, bash and busybox all
/// read the same: `kill -SIG -PGID` (busybox has no `--`; dash needs `--`
/// after `-s SIG`, but not after `-SIG`).
pub(crate) fn kill_command(target: Target, signal: i32) -> Vec<String> {
    let sig = format!("-{}", signal_name(signal));
    let pid = target.pid.to_string();
    if target.group_leader {
        let script = r#"kill "$1" "-$2" 2>/dev/null || kill "$1" "$2""#;
        vec!["sh".into(), "-c".into(), script.into(), "devc-kill".into(), sig, pid]
    } else {
        vec!["sh".into(), "-c".into(), r#"kill "$1" "$2""#.into(), "devc-kill".into(), sig, pid]
    }
}

/// Linux signal numbers → the names every `kill` accepts.
pub(crate) fn signal_name(signal: i32) -> String {
    const NAMES: [&str; 32] = [
        "0", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
        "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO",
        "PWR", "SYS",
    ];
    match usize::try_from(signal).ok().and_then(|i| NAMES.get(i)) {
        Some(name) => name.to_string(),
        None => signal.to_string(),
    }
}

/// Through the daemon host's `/proc`, when it is ours (see the module docs).
fn host_target(host_pid: i64, container_id: &str) -> Option<Target> {
    if host_pid <= 0 || container_id.len() < 12 {
        return None;
    }
    let dir = format!("/proc/{host_pid}");
    let cgroup = std::fs::read_to_string(format!("{dir}/cgroup")).ok()?;
    if !cgroup.contains(container_id) {
        tracing::debug!(host_pid, "host /proc does not show the exec's process; scanning inside the container");
        return None;
    }
    let pid = parse_nspid(&std::fs::read_to_string(format!("{dir}/status")).ok()?)?;
    let (_, _, pgrp) = parse_stat(&std::fs::read_to_string(format!("{dir}/stat")).ok()?)?;
    Some(Target { pid, group_leader: pgrp == host_pid })
}

/// The innermost PID from `NSpid:` in `/proc/<pid>/status`.
pub(crate) fn parse_nspid(status: &str) -> Option<i64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .and_then(|rest| rest.split_whitespace().last())
        .and_then(|p| p.parse().ok())
}

/// (pid, ppid, pgrp) from `/proc/<pid>/stat` (the command may contain spaces and parentheses).
pub(crate) fn parse_stat(stat: &str) -> Option<(i64, i64, i64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let pid = stat[..open].trim().parse().ok()?;
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    let pgrp = rest.next()?.parse().ok()?;
    Some((pid, ppid, pgrp))
}

/// Lists every process but itself: `RS pid US stat US cmdline`.
const SCAN_SCRIPT: &str = r#"self=$$
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = "$self" ] && continue
  printf '\036%s\037' "$p"
  cat "$d/stat" 2>/dev/null
  printf '\037'
  cat "$d/cmdline" 2>/dev/null
done"#;

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ProcEntry {
    pub pid: i64,
    pub ppid: i64,
    pub pgrp: i64,
    pub argv: Vec<String>,
}

pub(crate) fn parse_scan(output: &[u8]) -> Vec<ProcEntry> {
    output
        .split(|b| *b == 0x1e)
        .filter_map(|record| {
            let mut fields = record.splitn(3, |b| *b == 0x1f);
            let _pid = fields.next()?;
            let stat = String::from_utf8_lossy(fields.next()?).into_owned();
            let cmdline = fields.next().unwrap_or_default();
            let (pid, ppid, pgrp) = parse_stat(&stat)?;
            let argv = cmdline
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>();
            let argv = match argv.iter().rposition(|a| !a.is_empty()) {
                Some(last) => argv[..=last].to_vec(),
                None => Vec::new(),
            };
            Some(ProcEntry { pid, ppid, pgrp, argv })
        })
        .collect()
}

/// The exec's process among the container's processes (see the module docs).
pub(crate) fn choose_target(entries: &[ProcEntry], expected: &[String]) -> std::result::Result<Target, String> {
    let candidates: Vec<&ProcEntry> = entries.iter().filter(|e| e.ppid == 0 && e.pid != 1).collect();
    let exact: Vec<&&ProcEntry> = candidates.iter().filter(|e| !expected.is_empty() && e.argv == expected).collect();
    let chosen = match (exact.as_slice(), candidates.as_slice()) {
        ([one], _) => *one,
        (_, [one]) => one,
        (_, []) => return Err("no exec'd process is running in the container".into()),
        (many, all) => {
            return Err(format!(
                "{} processes could be this exec ({} with the same command line)",
                all.len(),
                many.len()
            ))
        }
    };
    Ok(Target { pid: chosen.pid, group_leader: chosen.pgrp == chosen.pid })
}

async fn scan_target(
    docker: &Docker,
    client: &bollard::Docker,
    container: &str,
    process: Option<&ProcessConfig>,
) -> Result<Target> {
    let cmd = vec!["sh".to_string(), "-c".to_string(), SCAN_SCRIPT.to_string()];
    let (code, output) = run_helper(docker, client, container, cmd).await?;
    let entries = parse_scan(&output);
    if code != 0 && entries.is_empty() {
        return Err(RuntimeError::Unsupported {
            backend: super::BACKEND.into(),
            option: format!(
                "signalling an exec here: the daemon's /proc is not visible and listing processes in the container failed ({})",
                String::from_utf8_lossy(&output).trim()
            ),
        });
    }
    let mut expected: Vec<String> = Vec::new();
    if let Some(p) = process {
        expected.extend(p.entrypoint.clone());
        expected.extend(p.arguments.clone().unwrap_or_default());
    }
    choose_target(&entries, &expected).map_err(|why| RuntimeError::Unsupported {
        backend: super::BACKEND.into(),
        option: format!("signalling this exec: the daemon's /proc is not visible from here and {why}"),
    })
}

/// Runs `cmd` as root in the container and returns (exit code, stdout+stderr).
async fn run_helper(docker: &Docker, client: &bollard::Docker, container: &str, cmd: Vec<String>) -> Result<(i64, Vec<u8>)> {
    let request = ExecRequest { container: container.to_string(), cmd, user: Some("0".into()), ..Default::default() };
    let mut session = start(docker, client, &request).await?;
    let mut output = Vec::new();
    while let Some(chunk) = session.output.recv().await {
        match chunk {
            OutputChunk::Stdout(b) | OutputChunk::Stderr(b) => output.extend_from_slice(&b),
        }
    }
    let code = wait(docker, client, &session.id).await?;
    Ok((code, output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nspid_is_the_innermost_pid() {
        let status = "Name:\tsleep\nTgid:\t4242\nNgid:\t0\nPid:\t4242\nPPid:\t4200\nNSpid:\t4242\t7\n";
        assert_eq!(parse_nspid(status), Some(7));
        assert_eq!(parse_nspid("Pid:\t1\nNSpid:\t1\n"), Some(1));
        assert_eq!(parse_nspid("Pid:\t1\n"), None);
    }

    #[test]
    fn stat_with_odd_command_names() {
        assert_eq!(parse_stat("42 (sleep) S 0 42 42 0 -1"), Some((42, 0, 42)));
        assert_eq!(parse_stat("43 (a) b (c)) R 42 40 40 0"), Some((43, 42, 40)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn scan_output_and_choice() {
        let mut out = Vec::new();
        for (pid, stat, cmd) in [
            ("1", "1 (sleep) S 0 1 1", "sleep\0infinity\0"),
            ("7", "7 (sh) S 0 7 7", "sh\0-c\0sleep 300 & sleep 301\0"),
            ("9", "9 (sleep) S 7 7 7", "sleep\x00300\x00"),
            ("12", "12 (bash) S 0 12 12", "bash\0"),
        ] {
            out.extend_from_slice(format!("\x1e{pid}\x1f{stat}\x1f{cmd}").as_bytes());
        }
        let entries = parse_scan(&out);
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[1].argv, vec!["sh", "-c", "sleep 300 & sleep 301"]);
        let expected: Vec<String> = ["sh", "-c", "sleep 300 & sleep 301"].map(String::from).to_vec();
        assert_eq!(choose_target(&entries, &expected), Ok(Target { pid: 7, group_leader: true }));
        // Two exec'd processes and no exact match: ambiguous.
        assert!(choose_target(&entries, &["other".to_string()]).is_err());
        // Only one exec'd process: it, whatever its command line (a shell may have exec'd).
        let one: Vec<ProcEntry> = entries.into_iter().filter(|e| e.pid != 12).collect();
        assert_eq!(choose_target(&one, &["other".to_string()]), Ok(Target { pid: 7, group_leader: true }));
        assert!(choose_target(&one[..1], &[]).is_err(), "PID 1 is never the exec");
    }

    #[test]
    fn kill_commands() {
        assert_eq!(signal_name(15), "TERM");
        assert_eq!(signal_name(9), "KILL");
        assert_eq!(signal_name(2), "INT");
        assert_eq!(signal_name(28), "WINCH");
        assert_eq!(signal_name(40), "40");
        let group = kill_command(Target { pid: 7, group_leader: true }, 15);
        assert_eq!(&group[3..], ["devc-kill", "-TERM", "7"]);
        assert_eq!(group[2], r#"kill "$1" "-$2" 2>/dev/null || kill "$1" "$2""#);
        let single = kill_command(Target { pid: 9, group_leader: false }, 9);
        assert_eq!(single[2], r#"kill "$1" "$2""#);
        assert_eq!(&single[3..], ["devc-kill", "-KILL", "9"]);
    }
}

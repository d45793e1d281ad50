//! `devc exec`: run a command in the workspace's container as the remote user,
//! with remoteEnv and the probed shell environment, in the workspace folder.
//! stdin, stdout and stderr are passed through byte for byte; the exit code is
//! the command's (128+N when a signal ended it).

use crate::env_probe;
use crate::load::{find_container, LoadOptions, Loaded};
use crate::up::{attach, user_env};
use crate::EngineError;
use devc_config::model::UserEnvProbe;
use devc_runtime::{ExecRequest, OutputChunk, Runtime};
use std::io::Write;
use tokio::io::AsyncWriteExt;

#[derive(Clone, Debug)]
pub struct ExecOptions {
    pub load: LoadOptions,
    pub remote_env: Vec<String>,
    pub default_user_env_probe: UserEnvProbe,
    pub command: Vec<String>,
    /// Allocate a TTY (the CLI sets it when stdin and stdout are terminals).
    pub tty: bool,
    /// Forward devc's stdin to the command.
    pub forward_stdin: bool,
}

/// Runs the command and returns its exit code.
pub async fn exec<R: Runtime>(rt: &R, opts: &ExecOptions) -> Result<i64, EngineError> {
    if opts.command.is_empty() {
        return Err(EngineError::Invalid("devc exec needs a command to run, e.g. `devc exec -- ls -la`".into()));
    }
    let loaded = Loaded::load(&opts.load)?;
    let container = find_container(rt, &loaded)
        .await?
        .ok_or_else(|| EngineError::NoContainer { labels: loaded.describe_labels() })?;
    if !container.state.running {
        return Err(EngineError::Invalid(format!(
            "the dev container {} is not running ({}); run `devc up` to start it",
            &container.id[..container.id.len().min(12)],
            container.state.status
        )));
    }
    let attached = attach(&loaded, container)?;
    let env = user_env(rt, &attached, &opts.remote_env, opts.default_user_env_probe).await?;
    let home = if attached.remote_workspace_folder.is_none() {
        env_probe::resolve_user(rt, &attached.container, &attached.remote_user).await.ok().map(|u| u.home)
    } else {
        None
    };
    let request = ExecRequest {
        container: attached.container.id.clone(),
        cmd: opts.command.clone(),
        env,
        user: Some(attached.remote_user.clone()),
        working_dir: attached.remote_workspace_folder.clone().or(home),
        tty: opts.tty,
        stdin: opts.forward_stdin,
    };
    let mut session = rt.exec(&request).await?;
    if opts.tty {
        if let Some((cols, rows)) = terminal_size() {
            let _ = rt.exec_resize(&session.id, cols, rows).await;
        }
    }
    // stdin: a detached thread reads devc's stdin (a blocking read cannot be
    // cancelled, so nothing may wait for it); a task forwards what it reads
    // and closes the process's stdin at EOF.
    let stdin_task = session.stdin.take().map(|mut writer| {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
        std::thread::spawn(move || {
            let mut input = std::io::stdin().lock();
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match std::io::Read::read(&mut input, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.blocking_send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        tokio::spawn(async move {
            while let Some(chunk) = rx.recv().await {
                if writer.write_all(&chunk).await.is_err() || writer.flush().await.is_err() {
                    break;
                }
            }
            let _ = writer.shutdown().await;
        })
    });
    let exec_id = session.id.clone();
    loop {
        tokio::select! {
            chunk = session.output.recv() => match chunk {
                Some(OutputChunk::Stdout(b)) => write_all(&mut std::io::stdout(), &b),
                Some(OutputChunk::Stderr(b)) => write_all(&mut std::io::stderr(), &b),
                None => break,
            },
            _ = interrupted() => {
                // Ctrl-C without a TTY: pass the interrupt on to the process.
                let _ = rt.exec_signal(&exec_id, 2).await;
            }
        }
    }
    if let Some(task) = stdin_task {
        task.abort();
    }
    Ok(rt.exec_wait(&exec_id).await?)
}

async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn write_all(out: &mut impl Write, bytes: &[u8]) {
    let _ = out.write_all(bytes);
    let _ = out.flush();
}

/// The controlling terminal's size, from `COLUMNS`/`LINES` or `stty size`.
fn terminal_size() -> Option<(u16, u16)> {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u16>().ok());
    if let (Some(c), Some(r)) = (env("COLUMNS"), env("LINES")) {
        return Some((c, r));
    }
    let out = std::process::Command::new("stty").arg("size").stdin(std::process::Stdio::inherit()).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let rows = parts.next()?.parse().ok()?;
    let cols = parts.next()?.parse().ok()?;
    Some((cols, rows))
}

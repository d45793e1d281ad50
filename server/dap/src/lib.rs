//! `devc dap`: a Debug Adapter Protocol server that runs a process inside the
//! dev container (bringing it up first), streams its output, tells when it is
//! ready (output pattern or probes) and stops it cleanly. It debugs nothing:
//! it gives every editor's debug UI a way to run servers in the container.
//!
//! Layout (as helix-dap): `transport` (framing, seq, bounded writer), `types`
//! (protocol messages), `launch` (arguments → exec), `readiness`, `process`
//! (output, ending, stop), `session` (dispatch).

pub mod launch;
pub mod process;
pub mod readiness;
pub mod session;
pub mod transport;
pub mod types;

use devc_runtime::{Backend, RuntimeKind};
use std::path::PathBuf;
use std::process::ExitCode;

/// Serves one session on stdin/stdout with the chosen runtime (connected at
/// the first launch); exit code 0 when the session ends (disconnect or end of
/// input).
///
/// stdin is read on its own thread, which may stay blocked after this
/// returns; the caller should exit the process rather than wait for it.
pub async fn run_stdio(kind: RuntimeKind, bridge: Option<PathBuf>) -> ExitCode {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let reader = std::thread::Builder::new()
        .name("dap-stdin".into())
        .spawn(move || devc_framing::read_frames_blocking(std::io::stdin().lock(), tx));
    if let Err(e) = reader {
        tracing::error!("cannot start the stdin reader: {e}");
        return ExitCode::FAILURE;
    }
    let connect: session::Connect<Backend> = Box::new(move || {
        let bridge = bridge.clone();
        Box::pin(async move { Backend::connect(kind, bridge.as_deref()).await.map_err(|e| e.to_string()) })
    });
    session::serve(connect, rx, tokio::io::stdout()).await;
    ExitCode::SUCCESS
}

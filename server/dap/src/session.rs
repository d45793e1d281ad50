//! One debug session: dispatching requests, the launch (container up →
//! configurationDone → exec → `process`), terminate / disconnect / restart /
//! cancel, and the end of input. Long requests (launch, restart) run as tasks
//! so `cancel`, `terminate` and `disconnect` are read while they work.

use crate::launch::{self, LaunchArguments};
use crate::process::{self, Gate, Running, StopHandle, READY_PROGRESS};
use crate::readiness::ProbeTarget;
use crate::transport::{self, Incoming, Outbound};
use crate::types::{self, ClientCapabilities, Outgoing, Request};
use devc_framing::Frame;
use devc_runtime::Runtime;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWrite;
use tokio::sync::{mpsc, watch};

/// How long `launch` waits for `configurationDone` before starting anyway.
const CONFIGURATION_WAIT: Duration = Duration::from_secs(5);

pub type Connect<R> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Result<R, String>> + Send>> + Send + Sync>;

struct Shared<R> {
    out: Outbound,
    connect: Connect<R>,
    rt: tokio::sync::OnceCell<Arc<R>>,
    progress: AtomicBool,
    configured: watch::Sender<bool>,
    state: Mutex<State<R>>,
}

struct State<R> {
    /// The launch or restart in progress: its request seq and how to cancel it.
    launching: Option<(i64, watch::Sender<bool>)>,
    running: Option<Running<R>>,
    last: Option<LaunchArguments>,
}

impl<R: Runtime + 'static> Shared<R> {
    async fn runtime(&self) -> Result<Arc<R>, String> {
        self.rt.get_or_try_init(|| async { (self.connect)().await.map(Arc::new) }).await.cloned()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State<R>> {
        // A poisoned lock only means a task panicked mid-update; the state is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stop_handle(&self) -> Option<StopHandle<R>> {
        self.state().running.as_ref().map(|r| r.stop.clone())
    }
}

/// Serves one session: requests from `frames`, messages to `output`. Returns
/// when the client disconnects or closes its end; a process still running
/// then is stopped first (unless `disconnect` said `terminateDebuggee: false`).
pub async fn serve<R, W>(connect: Connect<R>, mut frames: mpsc::Receiver<Frame>, output: W)
where
    R: Runtime + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out, writer) = transport::writer(output);
    let shared = Arc::new(Shared {
        out: out.clone(),
        connect,
        rt: tokio::sync::OnceCell::new(),
        progress: AtomicBool::new(false),
        configured: watch::channel(false).0,
        state: Mutex::new(State { launching: None, running: None, last: None }),
    });
    let mut terminate_on_exit = true;
    while let Some(frame) = frames.recv().await {
        let request = match transport::decode(frame) {
            Incoming::Request(r) => r,
            Incoming::Other => continue,
            Incoming::Invalid { reason, seq, command } => {
                tracing::warn!("unreadable message: {reason}");
                if let (Some(seq), Some(command)) = (seq, command) {
                    out.send(Outgoing::Response { request_seq: seq, command, result: Err(reason) }).await;
                } else {
                    out.output("console", &format!("[devc] ignored an unreadable message: {reason}\n")).await;
                }
                continue;
            }
        };
        tracing::debug!(command = %request.command, seq = request.seq, "request");
        if request.command == "disconnect" {
            terminate_on_exit = request.arguments.get("terminateDebuggee").and_then(Value::as_bool).unwrap_or(true);
            cancel_launch(&shared);
            if terminate_on_exit {
                if let Some(stop) = shared.stop_handle() {
                    stop.stop().await;
                }
            }
            out.send(Outgoing::ok(&request, Value::Null)).await;
            break;
        }
        handle(&shared, request).await;
    }
    // End of input or disconnect: nothing may keep running unless asked.
    cancel_launch(&shared);
    if terminate_on_exit {
        if let Some(stop) = shared.stop_handle() {
            stop.stop().await;
        }
    }
    drop(shared);
    drop(out);
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
}

fn cancel_launch<R: Runtime + 'static>(shared: &Shared<R>) {
    if let Some((_, cancel)) = shared.state().launching.take() {
        let _ = cancel.send(true);
    }
}

async fn handle<R: Runtime + 'static>(shared: &Arc<Shared<R>>, request: Request) {
    let out = &shared.out;
    match request.command.as_str() {
        "initialize" => {
            let client: ClientCapabilities = serde_json::from_value(request.arguments.clone()).unwrap_or_default();
            shared.progress.store(client.supports_progress_reporting, Ordering::SeqCst);
            tracing::debug!(client = client.client_id.as_deref().unwrap_or("unknown"), "initialize");
            out.send(Outgoing::ok(&request, types::capabilities())).await;
            out.event("initialized", Value::Null).await;
        }
        "configurationDone" => {
            shared.configured.send_replace(true);
            out.send(Outgoing::ok(&request, Value::Null)).await;
        }
        "launch" | "restart" => start_launch(shared, request).await,
        "attach" => {
            out.send(Outgoing::error(&request, "devc dap launches processes in the dev container; `attach` is not supported (use a \"launch\" configuration)")).await
        }
        "terminate" => {
            let stop = shared.stop_handle().filter(|s| !*s.done.borrow());
            cancel_launch(shared);
            out.send(Outgoing::ok(&request, Value::Null)).await;
            match stop {
                // `exited` and `terminated` follow when the process ends.
                Some(stop) => {
                    tokio::spawn(async move { stop.stop().await });
                }
                None => out.event("terminated", json!({})).await,
            }
        }
        "cancel" => {
            cancel(shared, &request.arguments).await;
            out.send(Outgoing::ok(&request, Value::Null)).await;
        }
        "threads" => {
            let name = shared.state().last.as_ref().map(|a| a.name()).unwrap_or_else(|| "devc".into());
            out.send(Outgoing::ok(&request, json!({ "threads": [{ "id": 1, "name": name }] }))).await;
        }
        "setBreakpoints" => {
            let requested = request.arguments.get("breakpoints").and_then(Value::as_array).map_or(0, Vec::len);
            let unverified = json!({ "verified": false, "message": "devc runs the process without a debugger: breakpoints are not supported" });
            out.send(Outgoing::ok(&request, json!({ "breakpoints": vec![unverified; requested] }))).await;
        }
        "setFunctionBreakpoints" | "setDataBreakpoints" | "setInstructionBreakpoints" => {
            out.send(Outgoing::ok(&request, json!({ "breakpoints": [] }))).await;
        }
        "setExceptionBreakpoints" => out.send(Outgoing::ok(&request, json!({}))).await,
        "loadedSources" => out.send(Outgoing::ok(&request, json!({ "sources": [] }))).await,
        "stackTrace" | "scopes" | "variables" | "pause" | "continue" | "next" | "stepIn" | "stepOut" | "evaluate" | "source" => {
            out.send(Outgoing::error(&request, format!("`{}` is not supported: devc runs the process without a debugger", request.command))).await
        }
        other => out.send(Outgoing::error(&request, format!("unknown request `{other}`"))).await,
    }
}

/// `cancel`: a launch in progress (by request or its progress), or the wait for readiness.
async fn cancel<R: Runtime + 'static>(shared: &Shared<R>, args: &Value) {
    let request_id = args.get("requestId").and_then(Value::as_i64);
    let progress_id = args.get("progressId").and_then(Value::as_str);
    let launch_matches = {
        let state = shared.state();
        match &state.launching {
            Some((seq, _)) => request_id == Some(*seq) || progress_id == Some("devc-up"),
            None => false,
        }
    };
    if launch_matches {
        cancel_launch(shared);
    }
    if progress_id == Some(READY_PROGRESS) {
        let gate = shared.state().running.as_ref().map(|r| r.gate.clone());
        if let Some(gate) = gate {
            gate.give_up("Stopped waiting for readiness (cancelled).", false).await;
        }
    }
}

async fn start_launch<R: Runtime + 'static>(shared: &Arc<Shared<R>>, request: Request) {
    let out = &shared.out;
    let restart = request.command == "restart";
    // `restart` may carry the (possibly edited) launch configuration.
    let parsed = if restart {
        match request.arguments.get("arguments") {
            Some(v) if v.is_object() => LaunchArguments::from_json(v).map(Some),
            _ => Ok(shared.state().last.clone()),
        }
    } else {
        LaunchArguments::from_json(&request.arguments).map(Some)
    };
    let mut args = match parsed {
        Ok(Some(a)) => a,
        Ok(None) => return out.send(Outgoing::error(&request, "nothing to restart: no process was launched in this session")).await,
        Err(e) => return out.send(Outgoing::error(&request, e)).await,
    };
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let refused = {
        let mut state = shared.state();
        let busy = state.running.as_ref().is_some_and(|r| !*r.stop.done.borrow());
        if state.launching.is_some() {
            Some("a launch is already in progress")
        } else if busy && !restart {
            Some("a process is already running in this session; stop it or use restart")
        } else {
            state.launching = Some((request.seq, cancel_tx));
            state.last = Some(args.clone());
            None
        }
    };
    if let Some(why) = refused {
        return out.send(Outgoing::error(&request, why)).await;
    }
    if restart {
        // The same container: no `up`, only a new process.
        args.up = false;
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        let result = tokio::select! {
            r = launch(&shared, &args, restart) => r,
            () = cancelled(cancel_rx) => Err("cancelled".to_string()),
        };
        {
            let mut state = shared.state();
            if state.launching.as_ref().is_some_and(|(seq, _)| *seq == request.seq) {
                state.launching = None;
            }
        }
        match result {
            Ok(started) => {
                shared.out.send(Outgoing::ok(&request, Value::Null)).await;
                started.run(&shared).await;
            }
            Err(e) => {
                shared.out.output("console", &format!("[devc] {} failed: {e}\n", request.command)).await;
                shared.out.send(Outgoing::error(&request, e)).await;
            }
        }
    });
}

async fn cancelled(mut rx: watch::Receiver<bool>) {
    if rx.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// A process that was started, before its output is streamed.
struct Started<R> {
    rt: Arc<R>,
    session: devc_runtime::ExecSession,
    pid: Option<i64>,
    name: String,
    args: LaunchArguments,
    prepared_target: Option<ProbeTarget>,
    started: Instant,
}

async fn launch<R: Runtime + 'static>(shared: &Arc<Shared<R>>, args: &LaunchArguments, restart: bool) -> Result<Started<R>, String> {
    let out = &shared.out;
    let rt = shared.runtime().await?;
    if restart {
        let previous = shared.state().running.take();
        if let Some(previous) = previous {
            out.output("console", "[devc] Restarting: stopping the process...\n").await;
            previous.restarting.store(true, Ordering::SeqCst);
            previous.stop.stop().await;
        }
    }
    let prepared = launch::prepare(rt.as_ref(), args, out, shared.progress.load(Ordering::SeqCst)).await?;
    let mut configured = shared.configured.subscribe();
    let _ = tokio::time::timeout(CONFIGURATION_WAIT, configured.wait_for(|c| *c)).await;
    let started = Instant::now();
    let session = rt.exec(&prepared.request).await.map_err(|e| e.to_string())?;
    let pid = rt.exec_pid(&session.id).await.ok().flatten();
    let target = ProbeTarget {
        container: prepared.container.id.clone(),
        user: prepared.user.clone(),
        env: prepared.env.clone(),
        address: prepared.container.ip_address.clone().filter(|a| !a.is_empty()),
    };
    let mut args = args.clone();
    args.readiness = prepared.readiness;
    Ok(Started { rt, session, pid, name: args.name(), args, prepared_target: Some(target), started })
}

impl<R: Runtime + 'static> Started<R> {
    /// After the launch response: the `process` event, then the output pump
    /// and the readiness watch.
    async fn run(self, shared: &Arc<Shared<R>>) {
        let out = &shared.out;
        let progress = shared.progress.load(Ordering::SeqCst);
        let mut process = json!({ "name": self.name, "isLocalProcess": false, "startMethod": "launch" });
        if let Some(pid) = self.pid {
            process["systemProcessId"] = pid.into();
        }
        out.event("process", process).await;
        let readiness = self.args.readiness.clone();
        let action = readiness.as_ref().map_or_else(|| "notify".to_string(), |r| r.action.clone());
        let gate = Arc::new(Gate::new(out.clone(), progress, action, self.started));
        if readiness.is_none() {
            // Nothing to wait for: settle now so the ending reports nothing about it.
            gate.close();
        } else if progress {
            out.event("progressStart", json!({ "progressId": READY_PROGRESS, "title": "Waiting for the server to be ready", "cancellable": true })).await;
        }
        let (done_tx, done_rx) = watch::channel(false);
        let restarting = Arc::new(AtomicBool::new(false));
        let stop = StopHandle {
            rt: self.rt.clone(),
            exec_id: self.session.id.clone(),
            signal: self.args.stop_signal,
            timeout: self.args.stop_timeout,
            done: done_rx,
            out: out.clone(),
        };
        shared.state().running = Some(Running { stop: stop.clone(), restarting: restarting.clone(), gate: gate.clone() });
        let matcher = readiness.as_ref().and_then(|r| r.matcher());
        if let (Some(r), Some(target)) = (&readiness, self.prepared_target) {
            if let Some(probe) = r.probe.clone() {
                tokio::spawn(process::probe_loop(self.rt.clone(), r.clone(), probe, target, gate.clone(), out.clone(), stop));
            }
        }
        tokio::spawn(process::pump(self.rt, self.session.output, self.session.id, out.clone(), matcher, gate, restarting, done_tx));
    }
}

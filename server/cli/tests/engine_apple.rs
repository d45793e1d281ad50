//! The engine's scenarios with `--runtime apple`: the built `devc` loads the
//! bridge library with libloading and drives it through the C ABI of
//! `bridge/include/devc_bridge.h`, exactly as it drives Apple's runtime
//! through the Swift bridge on a Mac; here the library is the Linux
//! implementation of that ABI (`bridge/linux`), which runs real containers on
//! dockerd. So up / reuse / restart / lifecycle hooks / exec / stop / down are
//! the apple backend's code, end to end, and the docker CLI only inspects.
//!
//!     cargo test -p devc --test engine_apple

mod common;

use common::*;
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;

fn apple(what: &str, config: serde_json::Value) -> Workspace {
    Workspace::with_json(what, &config).on_apple_bridge()
}

/// up creates a labelled container, a second up reuses it, up restarts it when
/// stopped, and --remove-existing-container replaces it.
#[test]
fn apple_up_creates_reuses_restarts_and_replaces() {
    let ws = apple("apple-image", json!({ "image": BUSYBOX, "remoteUser": "dev" }));
    let first = ws.up(&[]);
    assert_eq!(first["remoteUser"], "dev", "{first}");
    let id = first["containerId"].as_str().unwrap().to_string();
    assert!(is_running(&id));
    let labels = container_labels(&id);
    assert_eq!(labels["devcontainer.local_folder"], ws.path_str(), "{labels}");
    assert!(labels["devcontainer.metadata"].is_string(), "{labels}");
    // The workspace is bind-mounted where exec runs.
    assert_eq!(ws.exec_ok(&["cat", ".devcontainer/devcontainer.json"]), std::fs::read_to_string(ws.config_file()).unwrap());
    assert_eq!(ws.exec_ok(&["id", "-un"]), "dev\n");

    assert_eq!(ws.up(&[])["containerId"], id.as_str(), "a second up reuses the container");
    docker_ok(&["stop", &id]);
    assert_eq!(ws.up(&[])["containerId"], id.as_str(), "up restarts the stopped container");
    assert!(is_running(&id));

    let replaced = ws.up(&["--remove-existing-container"])["containerId"].as_str().unwrap().to_string();
    assert_ne!(replaced, id);
    assert!(!exists(&id), "the old container is removed");
    assert_eq!(ws.containers(), vec![replaced]);
}

/// onCreate/updateContent/postCreate once per container, postStart once per
/// start, postAttach on every up.
#[test]
fn apple_lifecycle_hooks_run_once_per_container_start_and_attach() {
    let hook = |name: &str| format!("echo {name} >> /tmp/hooks.log");
    let ws = apple(
        "apple-lifecycle",
        json!({
            "image": BUSYBOX,
            "onCreateCommand": hook("onCreate"),
            "updateContentCommand": hook("updateContent"),
            "postCreateCommand": hook("postCreate"),
            "postStartCommand": hook("postStart"),
            "postAttachCommand": hook("postAttach"),
        }),
    );
    let counts = || {
        let log = ws.exec_ok(&["cat", "/tmp/hooks.log"]);
        ["onCreate", "updateContent", "postCreate", "postStart", "postAttach"].map(|h| log.lines().filter(|l| *l == h).count())
    };
    let id = ws.up(&[])["containerId"].as_str().unwrap().to_string();
    assert_eq!(ws.exec_ok(&["cat", "/tmp/hooks.log"]), "onCreate\nupdateContent\npostCreate\npostStart\npostAttach\n");
    ws.up(&[]);
    assert_eq!(counts(), [1, 1, 1, 1, 2], "second up: postAttach only");
    docker_ok(&["restart", &id]);
    ws.up(&[]);
    assert_eq!(counts(), [1, 1, 1, 2, 3], "after a restart: postStart and postAttach");
    ws.devc(&["stop"]).success_json();
    assert!(!is_running(&id));
    assert_eq!(ws.up(&[])["containerId"], id.as_str());
    assert_eq!(counts(), [1, 1, 1, 3, 4], "after devc stop + up: postStart and postAttach");
}

/// exec: exit codes (also 128+N for a signal), stdout and stderr apart, stdin
/// byte for byte, and no wait for stdin to close once the command ended.
#[test]
fn apple_exec_passes_exit_codes_output_and_stdin_through() {
    let ws = apple("apple-exec", json!({ "image": BUSYBOX, "remoteUser": "dev" }));
    ws.up(&[]);
    assert_eq!(ws.exec(&["sh", "-c", "exit 42"]).code, Some(42));
    assert_eq!(ws.exec(&["sh", "-c", "kill -KILL $$"]).code, Some(137));
    let r = ws.exec(&["sh", "-c", "echo to-stdout; echo to-stderr >&2"]);
    assert_eq!(r.code, Some(0), "{}", r.ctx());
    assert_eq!(r.stdout_text(), "to-stdout\n", "{}", r.ctx());
    assert!(r.stderr.contains("to-stderr"), "{}", r.ctx());

    let mut x: u32 = 99;
    let payload: Vec<u8> = (0..100 * 1024)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    let r = ws.devc_stdin(&["exec", "cat"], payload.clone());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout.len(), payload.len(), "stdin round-trip length");
    assert!(r.stdout == payload, "stdin round-trip bytes differ");

    let mut cmd = ws.command(&["exec", "true"]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn devc exec");
    let open_stdin = child.stdin.take();
    let exited = wait_until(Duration::from_secs(30), || child.try_wait().expect("try_wait").is_some());
    drop(open_stdin);
    let run = finish(child, "devc exec true (stdin left open)".into(), None, Duration::from_secs(60));
    assert!(exited, "devc exec waited for its stdin to close\n{}", run.ctx());
    assert_eq!(run.code, Some(0), "{}", run.ctx());
}

/// Ctrl-C on `devc exec` reaches the process through the bridge's exec signal.
#[test]
fn apple_exec_interrupt_stops_the_command() {
    let ws = apple("apple-cancel", json!({ "image": BUSYBOX }));
    let id = ws.up(&[])["containerId"].as_str().unwrap().to_string();
    let sleeping = || container_ps(&id).lines().any(|l| l.contains("sleep 271"));
    let mut cmd = ws.command(&["exec", "sleep", "271"]);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn devc exec");
    let pid = child.id();
    let started = wait_until(Duration::from_secs(120), sleeping);
    let kill = std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status().expect("kill");
    let run = finish(child, "devc exec sleep 271".into(), None, Duration::from_secs(120));
    assert!(started, "`sleep 271` never showed up\n{}", run.ctx());
    assert!(kill.success());
    assert_eq!(run.code, Some(130), "128+SIGINT\n{}", run.ctx());
    assert!(wait_until(Duration::from_secs(10), || !sleeping()), "still running:\n{}", container_ps(&id));
}

/// stop, status and down through the bridge.
#[test]
fn apple_stop_status_and_down() {
    let ws = apple("apple-stop", json!({ "image": BUSYBOX }));
    let id = ws.up(&[])["containerId"].as_str().unwrap().to_string();
    let status = ws.devc(&["status"]).success_json();
    assert_eq!(status["running"], true, "{status}");
    assert_eq!(ws.devc(&["stop"]).success_json()["containerId"], id.as_str());
    assert!(!is_running(&id));
    let status = ws.devc(&["status"]).success_json();
    assert_eq!((status["running"].clone(), status["state"].clone()), (json!(false), json!("exited")), "{status}");
    let r = ws.exec(&["true"]);
    assert_eq!(r.code, Some(1), "{}", r.ctx());
    assert!(r.stderr.contains("devc up"), "{}", r.ctx());
    assert_eq!(ws.devc(&["down"]).success_json()["containerId"], id.as_str());
    assert!(!exists(&id));
    assert!(ws.containers().is_empty());
}

/// A Dockerfile config builds through the bridge (progress through its fd).
#[test]
fn apple_dockerfile_config_builds_through_the_bridge() {
    let ws = apple("apple-dockerfile", json!({ "build": { "dockerfile": "Dockerfile", "args": { "MARKER": "via-bridge" } } }));
    ws.write(".devcontainer/Dockerfile", &format!("FROM {BUSYBOX}\nARG MARKER=none\nRUN echo \"marker=$MARKER\" > /marker.txt\n"));
    let up = ws.devc(&["up", "--log-level", "debug"]);
    up.success_json();
    assert_eq!(ws.exec_ok(&["cat", "/marker.txt"]), "marker=via-bridge\n");
}

/// What Apple's runtime cannot do is refused before anything is created,
/// naming the option.
#[test]
fn apple_refuses_run_args_privileged_and_security_opt() {
    for (what, config, option) in [
        ("apple-runargs", json!({ "image": BUSYBOX, "runArgs": ["--hostname", "x"] }), "runArgs"),
        ("apple-privileged", json!({ "image": BUSYBOX, "privileged": true }), "privileged"),
        ("apple-secopt", json!({ "image": BUSYBOX, "securityOpt": ["seccomp=unconfined"] }), "securityOpt"),
    ] {
        let ws = apple(what, config);
        let err = ws.devc(&["up"]).error_json();
        let message = err["message"].as_str().unwrap();
        assert!(message.contains(option) && message.contains("apple"), "{what}: {message}");
        assert!(ws.containers().is_empty(), "{what}: nothing is created");
    }
}

/// updateRemoteUserUID is skipped: Apple's virtiofs shares need no UID change.
#[test]
fn apple_skips_update_remote_user_uid() {
    let ws = apple("apple-uid", json!({ "image": BUSYBOX, "remoteUser": "dev" }));
    std::os::unix::fs::chown(&ws.path, Some(4321), Some(4321)).unwrap();
    ws.up(&[]);
    assert_eq!(ws.exec_ok(&["id", "-u"]), "1000\n", "the image's UID is kept");
}

/// A bridge that is missing, not a library, or whose daemon is down: one JSON
/// error line naming the cause and the fix.
#[test]
fn apple_bridge_and_daemon_problems_are_clear_errors() {
    let ws = Workspace::with_json("apple-errors", &json!({ "image": BUSYBOX }));
    let missing = format!("/tmp/{}.dylib", unique("no-bridge"));
    let err = ws.devc(&["up", "--runtime", "apple", "--bridge", &missing]).error_json();
    let message = err["message"].as_str().unwrap();
    assert!(message.contains(&missing) && message.contains("bridge/README.md"), "{message}");

    let not_a_library = ws.path.join("not-a-bridge.dylib");
    std::fs::write(&not_a_library, "just text").unwrap();
    let err = ws.devc(&["up", "--runtime", "apple", "--bridge", not_a_library.to_str().unwrap()]).error_json();
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("cannot load"), "{message}");

    let bridge = linux_bridge();
    let mut cmd = ws.command(&["up", "--runtime", "apple", "--bridge", bridge.to_str().unwrap()]);
    cmd.env("DOCKER_HOST", format!("unix:///tmp/{}.sock", unique("no-daemon")));
    let err = run(cmd, None).error_json();
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("not available") && message.contains("dockerd"), "{message}");
    assert!(ws.containers().is_empty());
}

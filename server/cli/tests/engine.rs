//! End-to-end tests of the container commands (`up`, `build`, `exec`, `stop`,
//! `down`, `shutdown`): the built `devc` binary against the real Docker daemon
//! and the local image `devc-test-busybox:latest` (nothing is pulled).
//!
//! Each test makes its own workspace (unique id labels), cleans up its containers
//! and images even when it fails, and shares no state with the others, so they
//! run in parallel. The docker CLI only sets up and inspects.
//!
//!     cargo test -p devc --test engine

mod common;

use common::*;
use serde_json::{json, Value};
use std::os::unix::fs::MetadataExt;
use std::process::Stdio;
use std::time::Duration;

/// Case 1: An image config: `up` creates a labelled container, reuses it, restarts
/// it when stopped and replaces it with `--remove-existing-container`.
#[test]
fn image_config_up_creates_reuses_restarts_and_replaces() {
    let ws = Workspace::with_json("image", &json!({ "image": BUSYBOX, "remoteUser": "dev" }));

    let first = ws.up(&[]);
    assert_eq!(first["remoteUser"], "dev", "{first}");
    assert_eq!(first["remoteWorkspaceFolder"], format!("/workspaces/{}", ws.basename()), "{first}");
    let id = first["containerId"].as_str().unwrap().to_string();
    assert!(is_running(&id));

    let labels = container_labels(&id);
    assert_eq!(labels["devcontainer.local_folder"], ws.path_str(), "{labels}");
    assert_eq!(labels["devcontainer.config_file"], ws.config_file(), "{labels}");
    let metadata: Value = serde_json::from_str(labels["devcontainer.metadata"].as_str().expect("devcontainer.metadata label"))
        .expect("devcontainer.metadata is JSON");
    assert!(
        metadata.as_array().is_some_and(|entries| entries.iter().any(|e| e["remoteUser"] == "dev")),
        "the metadata label records the config's remoteUser: {metadata}"
    );
    // The workspace is mounted at remoteWorkspaceFolder, where exec runs.
    assert_eq!(ws.exec_ok(&["cat", ".devcontainer/devcontainer.json"]), std::fs::read_to_string(ws.config_file()).unwrap());
    assert_eq!(ws.containers(), vec![id.clone()]);

    let second = ws.up(&[]);
    assert_eq!(second["containerId"], id.as_str(), "a second up reuses the container");
    assert_eq!(ws.containers(), vec![id.clone()]);

    docker_ok(&["stop", &id]);
    assert!(!is_running(&id));
    let third = ws.up(&[]);
    assert_eq!(third["containerId"], id.as_str(), "up restarts the stopped container");
    assert!(is_running(&id), "up must start the stopped container");
    assert_eq!(ws.containers(), vec![id.clone()]);

    let fourth = ws.up(&["--remove-existing-container"]);
    let new_id = fourth["containerId"].as_str().unwrap().to_string();
    assert_ne!(new_id, id, "--remove-existing-container makes a new container");
    assert!(!exists(&id), "the old container is removed");
    assert!(is_running(&new_id));
    assert_eq!(ws.containers(), vec![new_id]);
}

/// Case 2: A Dockerfile config: build.args and build.target reach the build; `devc
/// build --image-name` tags the image and labels it with the metadata.
#[test]
fn dockerfile_config_uses_build_args_and_target() {
    let tag = format!("{}:latest", unique("built"));
    let _built = TestImage::adopt(tag.clone());
    let ws = Workspace::with_json(
        "dockerfile",
        &json!({
            "build": { "dockerfile": "Dockerfile", "args": { "MARKER": "from-build-args" }, "target": "marked" },
            "remoteEnv": { "FROM_DOCKERFILE_CONFIG": "yes" }
        }),
    );
    ws.write(
        ".devcontainer/Dockerfile",
        &format!(
            "FROM {BUSYBOX} AS base\n\
             RUN echo base > /base-stage\n\
             \n\
             FROM base AS marked\n\
             ARG MARKER=default\n\
             RUN echo \"marker=$MARKER\" > /marker.txt\n\
             \n\
             # The last stage: what a build without the target would give.\n\
             FROM base AS other\n\
             RUN echo other-stage > /marker.txt\n"
        ),
    );

    ws.up(&[]);
    assert_eq!(ws.exec_ok(&["cat", "/marker.txt"]), "marker=from-build-args\n", "the target stage, built with the arg");
    assert_eq!(ws.getenv("FROM_DOCKERFILE_CONFIG").as_deref(), Some("yes"));

    let built = ws.devc(&["build", "--image-name", &tag]);
    assert_eq!(built.success_json(), json!({ "outcome": "success", "imageName": [tag.clone()] }), "{}", built.ctx());
    let label = inspect(&tag, "{{index .Config.Labels \"devcontainer.metadata\"}}");
    let metadata: Value = serde_json::from_str(&label).unwrap_or_else(|e| panic!("metadata label {label:?}: {e}"));
    assert!(
        metadata.as_array().is_some_and(|entries| entries.iter().any(|e| e["remoteEnv"]["FROM_DOCKERFILE_CONFIG"] == "yes")),
        "the built image carries the config's metadata: {metadata}"
    );
    let marker = docker_ok(&["run", "--rm", "--entrypoint", "cat", &tag, "/marker.txt"]);
    assert_eq!(marker, "marker=from-build-args", "devc build honours args and target too");
}

/// Case 3: The base image's `devcontainer.metadata` label is merged under the config.
#[test]
fn metadata_label_of_the_base_image_is_merged() {
    let base = TestImage::build(
        "meta-base",
        &format!(
            "FROM {BUSYBOX}\nLABEL devcontainer.metadata='[{{\"remoteUser\":\"dev\",\"postCreateCommand\":\"echo from-label > /tmp/label-hook\",\"remoteEnv\":{{\"FROM_LABEL\":\"yes\"}}}}]'\n"
        ),
    );
    let ws = Workspace::with_json(
        "meta",
        &json!({ "image": base.tag, "postCreateCommand": "echo from-config > /tmp/config-hook" }),
    );

    let up = ws.up(&[]);
    assert_eq!(up["remoteUser"], "dev", "remoteUser comes from the image label: {up}");
    assert_eq!(ws.exec_ok(&["id", "-un"]), "dev\n");
    assert_eq!(ws.exec_ok(&["cat", "/tmp/label-hook"]), "from-label\n", "the label's postCreateCommand ran");
    assert_eq!(ws.exec_ok(&["cat", "/tmp/config-hook"]), "from-config\n", "the config's postCreateCommand ran");
    assert_eq!(ws.getenv("FROM_LABEL").as_deref(), Some("yes"));

    let again = ws.up(&["--include-merged-configuration"]);
    let merged = &again["mergedConfiguration"];
    assert_eq!(
        merged["postCreateCommands"],
        json!(["echo from-label > /tmp/label-hook", "echo from-config > /tmp/config-hook"]),
        "{merged}"
    );
    assert_eq!(merged["remoteUser"], "dev", "{merged}");
}

/// Case 4: onCreate/updateContent/postCreate run once per container, postStart once
/// per start, postAttach on every up.
#[test]
fn lifecycle_hooks_run_once_per_container_start_and_attach() {
    let hook = |name: &str| format!("echo {name} >> /tmp/hooks.log");
    let ws = Workspace::with_json(
        "lifecycle",
        &json!({
            "image": BUSYBOX,
            "remoteUser": "dev",
            "onCreateCommand": hook("onCreate"),
            "updateContentCommand": hook("updateContent"),
            "postCreateCommand": hook("postCreate"),
            "postStartCommand": hook("postStart"),
            "postAttachCommand": hook("postAttach"),
        }),
    );
    let log = || ws.exec_ok(&["cat", "/tmp/hooks.log"]);
    let counts = || {
        let log = log();
        ["onCreate", "updateContent", "postCreate", "postStart", "postAttach"].map(|h| log.lines().filter(|l| *l == h).count())
    };

    let id = ws.up(&[])["containerId"].as_str().unwrap().to_string();
    assert_eq!(log(), "onCreate\nupdateContent\npostCreate\npostStart\npostAttach\n", "first up: every hook once, in order");

    assert_eq!(ws.up(&[])["containerId"], id.as_str());
    assert_eq!(counts(), [1, 1, 1, 1, 2], "second up: only postAttach again");

    docker_ok(&["restart", &id]);
    assert_eq!(ws.up(&[])["containerId"], id.as_str());
    assert_eq!(counts(), [1, 1, 1, 2, 3], "after docker restart: postStart and postAttach");

    ws.devc(&["stop"]).success_json();
    assert!(!is_running(&id));
    assert_eq!(ws.up(&[])["containerId"], id.as_str());
    assert_eq!(counts(), [1, 1, 1, 3, 4], "after devc stop + up: postStart and postAttach");

    ws.up(&[]);
    assert_eq!(counts(), [1, 1, 1, 3, 5], "plain up: postAttach only");
}

/// Case 5: An object-form hook runs its commands in parallel, output prefixed by name.
#[test]
fn object_hooks_run_in_parallel_with_prefixed_output() {
    // Each command waits for the other's file: they only both succeed when they
    // run at the same time (sequentially, the first would give up and exit 1).
    let wait_for = |other: &str| {
        format!("i=0; while [ ! -e /tmp/ran-{other} ] && [ $i -lt 120 ]; do sleep 1; i=$((i+1)); done; test -e /tmp/ran-{other}")
    };
    let ws = Workspace::with_json(
        "parallel",
        &json!({
            "image": BUSYBOX,
            "postCreateCommand": {
                "a": format!("touch /tmp/ran-a; {}; echo out-a", wait_for("b")),
                "b": ["sh", "-c", format!("touch /tmp/ran-b; {}; echo out-b", wait_for("a"))],
            }
        }),
    );
    let up = ws.devc(&["up"]);
    up.success_json();
    let has_line = |prefix: &str, text: &str| up.stderr.lines().any(|l| l.starts_with(prefix) && l.contains(text));
    assert!(has_line("[a]", "out-a"), "stderr has `[a] out-a`\n{}", up.ctx());
    assert!(has_line("[b]", "out-b"), "stderr has `[b] out-b`\n{}", up.ctx());
    ws.exec_ok(&["ls", "/tmp/ran-a", "/tmp/ran-b"]);
}

/// Case 6: A failing postCreateCommand fails up with a message naming it, its origin,
/// the exit code and its last output; the container keeps running.
#[test]
fn failing_hook_fails_up_and_keeps_the_container() {
    let ws = Workspace::with_json(
        "failing",
        &json!({ "image": BUSYBOX, "postCreateCommand": "echo first-words; echo last-words-of-the-hook; exit 3" }),
    );
    let up = ws.devc(&["up"]);
    let err = up.error_json();
    let message = err["message"].as_str().unwrap();
    for needle in ["postCreateCommand", "devcontainer.json", "exit code 3", "last-words-of-the-hook"] {
        assert!(message.contains(needle), "message should contain {needle:?}: {message}");
    }
    let ids = ws.containers();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(is_running(&ids[0]), "the container is left running");
}

/// Case 7: containerEnv values reach the container byte for byte, never through a shell.
#[test]
fn container_env_is_byte_exact_and_never_evaluated() {
    let pwned = format!("/tmp/{}", unique("pwned"));
    let values = [
        ("DOLLAR_HOME", "$HOME".to_string()),
        ("DOUBLE_QUOTES", "say \"quotes\"".to_string()),
        ("SINGLE_QUOTES", "it's 'single'".to_string()),
        ("BACKSLASHES", r"a\\b".to_string()),
        ("NEWLINE", "line one\nline two".to_string()),
        ("COMMAND_SUBST", format!("$(touch {pwned})")),
        ("BACKTICKS", format!("`touch {pwned}`")),
    ];
    let env: serde_json::Map<String, Value> = values.iter().map(|(k, v)| (k.to_string(), Value::String(v.clone()))).collect();
    let ws = Workspace::with_json("env", &json!({ "image": BUSYBOX, "remoteUser": "dev", "containerEnv": env }));
    let id = ws.up(&[])["containerId"].as_str().unwrap().to_string();

    for (name, value) in &values {
        assert_eq!(ws.getenv(name).as_deref(), Some(value.as_str()), "{name}");
    }
    assert_eq!(docker(&["exec", &id, "test", "-e", &pwned]).code, Some(1), "{pwned} must not exist in the container");
    assert!(!std::path::Path::new(&pwned).exists(), "{pwned} must not exist on the host");
}

/// Case 8: remoteEnv can extend the container's PATH through `${containerEnv:PATH}`.
#[test]
fn remote_env_extends_the_container_path() {
    let ws = Workspace::with_json("path", &json!({ "image": BUSYBOX, "remoteEnv": { "PATH": "${containerEnv:PATH}:/extra" } }));
    let id = ws.up(&[])["containerId"].as_str().unwrap().to_string();
    let env: Vec<String> = serde_json::from_str(&inspect(&id, "{{json .Config.Env}}")).unwrap();
    let container_path = env.iter().find_map(|e| e.strip_prefix("PATH=")).expect("the container has a PATH").to_string();
    assert!(!container_path.contains("/extra"), "remoteEnv must not change the container's own env: {container_path}");
    assert_eq!(ws.getenv("PATH"), Some(format!("{container_path}:/extra")));
}

/// Case 9: userEnvProbe: the variables a login shell sets are seen by exec; with
/// `none` they are not; the probe adds no malformed variables.
#[test]
fn user_env_probe_follows_the_mode() {
    let image = TestImage::build("profile", &format!("FROM {BUSYBOX}\nRUN echo 'export PROFILE_VAR=1' > /etc/profile\n"));
    let login = Workspace::with_json("probe-login", &json!({ "image": image.tag, "remoteUser": "dev", "userEnvProbe": "loginShell" }));
    let none = Workspace::with_json("probe-none", &json!({ "image": image.tag, "remoteUser": "dev", "userEnvProbe": "none" }));
    // No userEnvProbe (the default, loginInteractiveShell) on the plain image,
    // whose interactive busybox sh prints a banner around the probe's output.
    let plain = Workspace::with_json("probe-default", &json!({ "image": BUSYBOX, "remoteUser": "dev" }));
    for ws in [&login, &none, &plain] {
        ws.up(&[]);
    }

    assert_eq!(login.getenv("PROFILE_VAR").as_deref(), Some("1"), "loginShell sources /etc/profile");
    assert_eq!(none.getenv("PROFILE_VAR"), None, "userEnvProbe none: no probed variables");

    // Whatever the shell prints besides the environment must not become
    // variables. awk lists the names of the variables exec passed.
    let names = plain.exec_ok(&["awk", "BEGIN { for (k in ENVIRON) print k }"]);
    let bad: Vec<&str> =
        names.lines().filter(|n| n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).collect();
    assert!(bad.is_empty(), "malformed variable names in devc exec's environment: {bad:?}\nall names:\n{names}");
    assert!(names.lines().any(|n| n == "HOME"), "{names}");
}

/// Case 10: updateRemoteUserUID: the remote user takes the workspace owner's UID, so
/// files it creates in the workspace are the host user's.
#[test]
fn update_remote_user_uid_matches_the_workspace_owner() {
    let updated = Workspace::with_json("uid", &json!({ "image": BUSYBOX, "remoteUser": "dev" }));
    let kept = Workspace::with_json("uid-off", &json!({ "image": BUSYBOX, "remoteUser": "dev", "updateRemoteUserUID": false }));
    for ws in [&updated, &kept] {
        std::os::unix::fs::chown(&ws.path, Some(4321), Some(4321)).unwrap();
    }

    let up = updated.up(&[]);
    assert_eq!(updated.exec_ok(&["id", "-u"]), "4321\n");
    assert_eq!(updated.exec_ok(&["id", "-g"]), "4321\n");
    let folder = up["remoteWorkspaceFolder"].as_str().unwrap();
    updated.exec_ok(&["touch", &format!("{folder}/made-in-container")]);
    let meta = std::fs::metadata(updated.path.join("made-in-container")).expect("the file is in the host workspace");
    assert_eq!((meta.uid(), meta.gid()), (4321, 4321), "owned by the workspace owner on the host");

    kept.up(&[]);
    assert_eq!(kept.exec_ok(&["id", "-u"]), "1000\n", "updateRemoteUserUID: false keeps the image's UID");
}

/// Case 11: exec: the command's exit code, stdin/stdout byte for byte, and a clear
/// error when there is no container.
#[test]
fn exec_passes_exit_codes_and_stdin_through() {
    let ws = Workspace::with_json("exec", &json!({ "image": BUSYBOX, "remoteUser": "dev" }));
    ws.up(&[]);

    let r = ws.exec(&["sh", "-c", "exit 42"]);
    assert_eq!(r.code, Some(42), "{}", r.ctx());
    assert!(r.stdout.is_empty(), "exec prints no JSON\n{}", r.ctx());

    let r = ws.exec(&["sh", "-c", "kill -KILL $$"]);
    assert_eq!(r.code, Some(137), "a command killed by SIGKILL gives 128+9\n{}", r.ctx());

    let r = ws.exec(&["sh", "-c", "echo to-stdout; echo to-stderr >&2"]);
    assert_eq!(r.code, Some(0), "{}", r.ctx());
    assert_eq!(r.stdout_text(), "to-stdout\n", "{}", r.ctx());
    assert!(r.stderr.contains("to-stderr"), "{}", r.ctx());

    // 100 KB of every byte value (NULs, invalid UTF-8, CR/LF) through `cat`.
    let mut x: u32 = 12345;
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

    let fresh = Workspace::with_json("exec-none", &json!({ "image": BUSYBOX }));
    let r = fresh.exec(&["true"]);
    assert_eq!(r.code, Some(1), "{}", r.ctx());
    assert!(r.stdout.is_empty(), "{}", r.ctx());
    assert!(r.stderr.contains("devc up"), "the message says to run devc up\n{}", r.ctx());
}

/// Case 11b: Editors start `devc exec` with a stdin pipe they keep open: devc must
/// exit when the command ends, not when stdin is closed.
#[test]
fn exec_returns_when_the_command_ends_even_if_stdin_stays_open() {
    let ws = Workspace::with_json("exec-stdin", &json!({ "image": BUSYBOX }));
    ws.up(&[]);

    let mut cmd = ws.command(&["exec", "true"]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn devc exec");
    let open_stdin = child.stdin.take();
    let exited = wait_until(Duration::from_secs(30), || child.try_wait().expect("try_wait").is_some());
    drop(open_stdin);
    let run = finish(child, "devc exec true (stdin left open)".into(), None, Duration::from_secs(60));
    assert!(exited, "`devc exec true` was still running 30 s after `true` ended, waiting for its stdin to close\n{}", run.ctx());
    assert_eq!(run.code, Some(0), "{}", run.ctx());
}

/// Case 12: Ctrl-C on `devc exec` ends the command in the container too.
#[test]
fn exec_interrupt_stops_the_command_in_the_container() {
    let ws = Workspace::with_json("cancel", &json!({ "image": BUSYBOX, "remoteUser": "dev" }));
    let id = ws.up(&[])["containerId"].as_str().unwrap().to_string();
    let sleeping = || container_ps(&id).lines().any(|l| l.contains("sleep 313"));
    assert!(!sleeping());

    let mut cmd = ws.command(&["exec", "sleep", "313"]);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn devc exec");
    let pid = child.id();
    let started = wait_until(Duration::from_secs(120), sleeping);
    // SIGINT is what Ctrl-C sends. Send it and reap devc before asserting, so no
    // process is left behind whatever fails.
    let kill = std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status().expect("kill");
    let run = finish(child, "devc exec sleep 313".into(), None, Duration::from_secs(120));
    assert!(started, "`sleep 313` never showed up in the container\n{}", run.ctx());
    assert!(kill.success());
    assert_eq!(run.code, Some(130), "devc exits with the interrupted command's code (128+SIGINT)\n{}", run.ctx());
    assert!(
        wait_until(Duration::from_secs(10), || !sleeping()),
        "`sleep 313` still runs in the container after devc exec was interrupted:\n{}",
        container_ps(&id)
    );
}

/// Case 13: Two `up` at once on a fresh workspace make one container, not two.
#[test]
fn concurrent_ups_share_one_container() {
    let ws = Workspace::with_json("concurrent", &json!({ "image": BUSYBOX, "postCreateCommand": "echo created >> /tmp/created.log" }));
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| ws.devc(&["up"]));
        let b = s.spawn(|| ws.devc(&["up"]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (a, b) = (a.success_json(), b.success_json());
    assert_eq!(a["containerId"], b["containerId"], "both ups report the same container");
    assert_eq!(ws.containers(), vec![a["containerId"].as_str().unwrap().to_string()]);
    assert_eq!(ws.exec_ok(&["cat", "/tmp/created.log"]), "created\n", "postCreateCommand ran once");
}

/// Case 14: No daemon: one JSON error line naming the socket and how to start it.
#[test]
fn unreachable_daemon_is_one_clear_error() {
    let socket = format!("/tmp/{}.sock", unique("no-daemon"));
    assert!(!std::path::Path::new(&socket).exists());
    let ws = Workspace::with_json("no-daemon", &json!({ "image": BUSYBOX }));
    let mut cmd = ws.command(&["up"]);
    cmd.env("DOCKER_HOST", format!("unix://{socket}"));
    let r = run(cmd, None);
    let err = r.error_json();
    let message = err["message"].as_str().unwrap();
    assert!(message.contains(&socket), "the message names the socket: {message}");
    assert!(message.contains("dockerd") || message.contains("start docker"), "the message says how to start the daemon: {message}");
    assert!(ws.containers().is_empty());
}

/// Case 15: stop, down, and shutdown with and without `shutdownAction: none`.
#[test]
fn stop_down_and_shutdown() {
    let ws = Workspace::with_json("stop", &json!({ "image": BUSYBOX }));
    let id = ws.up(&[])["containerId"].as_str().unwrap().to_string();
    let stopped = ws.devc(&["stop"]).success_json();
    assert_eq!(stopped["containerId"], id.as_str(), "{stopped}");
    assert_eq!(inspect(&id, "{{.State.Status}}"), "exited");
    let r = ws.exec(&["true"]);
    assert_eq!(r.code, Some(1), "exec in a stopped container fails\n{}", r.ctx());
    assert!(r.stderr.contains("devc up"), "the message says to run devc up\n{}", r.ctx());
    let down = ws.devc(&["down"]).success_json();
    assert_eq!(down["containerId"], id.as_str(), "{down}");
    assert!(ws.containers().is_empty(), "down removes the container");
    assert!(!exists(&id));

    let keep = Workspace::with_json("shutdown-none", &json!({ "image": BUSYBOX, "shutdownAction": "none" }));
    let kept = keep.up(&[])["containerId"].as_str().unwrap().to_string();
    let r = keep.devc(&["shutdown"]).success_json();
    assert_eq!(r["shutdownAction"], "none", "{r}");
    assert!(is_running(&kept), "shutdownAction none leaves the container running");

    let default = Workspace::with_json("shutdown-default", &json!({ "image": BUSYBOX }));
    let stopped = default.up(&[])["containerId"].as_str().unwrap().to_string();
    let r = default.devc(&["shutdown"]).success_json();
    assert_eq!(r["shutdownAction"], "stopContainer", "{r}");
    assert_eq!(r["containerId"], stopped.as_str(), "{r}");
    assert!(!is_running(&stopped), "the default shutdownAction stops the container");
}

/// Case 16: runArgs: an unknown flag is an error naming it; known flags take effect.
#[test]
fn run_args_are_checked_and_applied() {
    let bad = Workspace::with_json("runargs-bad", &json!({ "image": BUSYBOX, "runArgs": ["--definitely-not-a-docker-flag"] }));
    let err = bad.devc(&["up"]).error_json();
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("--definitely-not-a-docker-flag"), "{message}");
    assert!(bad.containers().is_empty(), "no container for an invalid config");

    let ws = Workspace::with_json(
        "runargs",
        &json!({ "image": BUSYBOX, "runArgs": ["--hostname", "devc-test", "-e", "X=1", "--label", "k=v"] }),
    );
    let id = ws.up(&[])["containerId"].as_str().unwrap().to_string();
    assert_eq!(ws.exec_ok(&["hostname"]), "devc-test\n");
    assert_eq!(ws.getenv("X").as_deref(), Some("1"));
    assert_eq!(container_labels(&id)["k"], "v");
}

/// `devc status`: not created → running; a changed config is reported (so an
/// editor can offer Rebuild); stopped after `devc stop`.
#[test]
fn status_reports_state_and_config_changes() {
    let ws = Workspace::with_json("status", &json!({ "image": BUSYBOX }));
    let before = ws.devc(&["status"]).success_json();
    assert_eq!(before["state"], "not created", "{before}");
    assert_eq!(before["containerId"], Value::Null, "{before}");
    let id = ws.up(&[])["containerId"].as_str().unwrap().to_string();
    let running = ws.devc(&["status"]).success_json();
    assert_eq!(running["containerId"], id.as_str(), "{running}");
    assert_eq!(running["running"], true, "{running}");
    assert_eq!(running["configChanged"], false, "{running}");
    ws.write(".devcontainer/devcontainer.json", &serde_json::to_string_pretty(&json!({ "image": BUSYBOX, "remoteUser": "dev" })).unwrap());
    let changed = ws.devc(&["status"]).success_json();
    assert_eq!(changed["configChanged"], true, "{changed}");
    ws.devc(&["stop"]).success_json();
    let stopped = ws.devc(&["status"]).success_json();
    assert_eq!(stopped["running"], false, "{stopped}");
    assert_eq!(stopped["state"], "exited", "{stopped}");
}

//! Lifecycle hooks, userEnvProbe and hook environments against a real Docker daemon
//! (started by `.ci/run`), with containers from the local `devc-test-busybox` image
//! (`bash tests/images/build.sh`). Every test makes its own uniquely named container
//! and removes it through a guard, also when the test fails.

use devc_config::model::LifecycleHook;
use devc_engine::env_probe::{self, ProbeCache, ProbeOptions, UserEnvProbe};
use devc_engine::lifecycle::{
    self, LifecycleHooks, LifecycleOptions, LifecycleOutcome, LifecycleRun,
};
use devc_engine::process::{capture_in_container, CapturedOutput, OutputSink};
use devc_engine::EngineError;
use devc_runtime::{ContainerDetails, ContainerSpec, Docker, ExecRequest, Runtime};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const IMAGE: &str = "devc-test-busybox:latest";
/// Keep-alive that stops at once on SIGTERM (as the reference's entrypoint).
const KEEP_ALIVE: &str = "trap 'exit 0' TERM; while sleep 1 & wait $!; do :; done";

/// Removes the container when dropped (on a separate thread with its own runtime, so it
/// also works while a failing test unwinds).
struct Guard {
    id: String,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let id = self.id.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(docker) = Docker::connect().await {
                    let _ = docker.remove_container(&id, true, true).await;
                }
            });
        })
        .join();
    }
}

fn unique_name(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("devc-test-lifecycle-{test}-{}-{nanos}", std::process::id())
}

async fn start_container(
    docker: &Docker,
    test: &str,
    env: Vec<String>,
) -> (Guard, ContainerDetails) {
    let mut labels = BTreeMap::new();
    labels.insert("devc.test".to_string(), "engine-lifecycle".to_string());
    let spec = ContainerSpec {
        name: Some(unique_name(test)),
        image: IMAGE.to_string(),
        entrypoint: Some(vec!["/bin/sh".into(), "-c".into(), KEEP_ALIVE.into()]),
        env,
        labels,
        ..Default::default()
    };
    let id = docker.create_container(&spec).await.unwrap_or_else(|e| {
        panic!("create a container from {IMAGE} (run `bash tests/images/build.sh`): {e}")
    });
    let guard = Guard { id: id.clone() };
    docker.start_container(&id).await.unwrap();
    let details = docker.inspect_container(&id).await.unwrap();
    assert!(details.state.running, "{details:?}");
    (guard, details)
}

async fn restart(docker: &Docker, c: &ContainerDetails) -> ContainerDetails {
    docker.stop_container(&c.id, Some(2)).await.unwrap();
    docker.start_container(&c.id).await.unwrap();
    let after = docker.inspect_container(&c.id).await.unwrap();
    assert_ne!(
        after.state.started_at, c.state.started_at,
        "a restart changes StartedAt"
    );
    assert_eq!(after.created, c.created);
    after
}

async fn sh(docker: &Docker, c: &ContainerDetails, user: &str, script: &str) -> CapturedOutput {
    capture_in_container(
        docker,
        ExecRequest {
            container: c.id.clone(),
            cmd: vec!["/bin/sh".into(), "-c".into(), script.into()],
            user: Some(user.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

async fn connect() -> Docker {
    Docker::connect()
        .await
        .expect("a Docker daemon (bash tests/docker-env.sh)")
}

/// A sink that records everything written to it.
fn recorder() -> (OutputSink, Arc<Mutex<Vec<u8>>>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let b = buf.clone();
    (
        OutputSink::callback(move |bytes, _| b.lock().unwrap().extend_from_slice(bytes)),
        buf,
    )
}

fn text(buf: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap()).into_owned()
}

fn run<'a>(
    c: &'a ContainerDetails,
    hooks: &'a LifecycleHooks,
    env: &'a [String],
    options: LifecycleOptions,
    output: OutputSink,
) -> LifecycleRun<'a> {
    LifecycleRun {
        container: c,
        hooks,
        wait_for: None,
        remote_user: "dev",
        home: None,
        remote_workspace_folder: None,
        env,
        options,
        output,
    }
}

/// Every hook appends its name to ~/hook.log.
fn logging_hooks() -> Vec<Value> {
    let log = |name: &str| json!(format!("echo {name} >> \"$HOME/hook.log\""));
    vec![
        json!({"id": "example/feature:1", "onCreateCommand": ["sh", "-c", "echo feature-onCreate >> \"$HOME/hook.log\""]}),
        json!({
            "onCreateCommand": log("onCreate"),
            "updateContentCommand": log("updateContent"),
            "postCreateCommand": log("postCreate"),
            "postStartCommand": log("postStart"),
            "postAttachCommand": log("postAttach"),
        }),
    ]
}

async fn hook_log(docker: &Docker, c: &ContainerDetails) -> Vec<String> {
    let out = sh(docker, c, "dev", "cat \"$HOME/hook.log\" 2>/dev/null").await;
    out.stdout_text().lines().map(str::to_string).collect()
}

#[tokio::test]
async fn create_hooks_once_post_start_per_start_post_attach_always() {
    let docker = connect().await;
    let (_guard, c) = start_container(&docker, "once", vec![]).await;
    let hooks = LifecycleHooks::from_metadata(&logging_hooks());

    let outcome = lifecycle::run_lifecycle(
        &docker,
        &run(&c, &hooks, &[], Default::default(), OutputSink::discard()),
    )
    .await
    .unwrap();
    assert_eq!(outcome, LifecycleOutcome::Done);
    let first = [
        "feature-onCreate",
        "onCreate",
        "updateContent",
        "postCreate",
        "postStart",
        "postAttach",
    ];
    assert_eq!(hook_log(&docker, &c).await, first);

    // The markers hold the reference's values: Created for create hooks, StartedAt for postStart.
    let marker = sh(
        &docker,
        &c,
        "dev",
        "cat ~/.devcontainer/.onCreateCommandMarker ~/.devcontainer/.postStartCommandMarker",
    )
    .await;
    assert_eq!(
        marker.stdout_text(),
        format!("{}\n{}\n", c.created, c.state.started_at)
    );

    // Second `up`: only postAttach.
    lifecycle::run_lifecycle(
        &docker,
        &run(&c, &hooks, &[], Default::default(), OutputSink::discard()),
    )
    .await
    .unwrap();
    let mut expected: Vec<&str> = first.to_vec();
    expected.push("postAttach");
    assert_eq!(hook_log(&docker, &c).await, expected);

    // After a restart: postStart again, create hooks still not.
    let c2 = restart(&docker, &c).await;
    lifecycle::run_lifecycle(
        &docker,
        &run(&c2, &hooks, &[], Default::default(), OutputSink::discard()),
    )
    .await
    .unwrap();
    expected.extend(["postStart", "postAttach"]);
    assert_eq!(hook_log(&docker, &c2).await, expected);

    // --skip-post-attach, and --skip-post-create runs nothing.
    let opts = LifecycleOptions {
        skip_post_attach: true,
        ..Default::default()
    };
    lifecycle::run_lifecycle(&docker, &run(&c2, &hooks, &[], opts, OutputSink::discard()))
        .await
        .unwrap();
    let opts = LifecycleOptions {
        skip_post_create: true,
        ..Default::default()
    };
    lifecycle::run_lifecycle(&docker, &run(&c2, &hooks, &[], opts, OutputSink::discard()))
        .await
        .unwrap();
    assert_eq!(hook_log(&docker, &c2).await, expected);
}

#[tokio::test]
async fn wait_for_skip_non_blocking_and_prebuild() {
    let docker = connect().await;
    let (_guard, c) = start_container(&docker, "waitfor", vec![]).await;
    let hooks = LifecycleHooks::from_metadata(&logging_hooks()[1..]);

    // waitFor onCreateCommand + skip-non-blocking: stop right after onCreate.
    let mut r = run(
        &c,
        &hooks,
        &[],
        LifecycleOptions {
            skip_non_blocking: true,
            ..Default::default()
        },
        OutputSink::discard(),
    );
    r.wait_for = Some("onCreateCommand");
    assert_eq!(
        lifecycle::run_lifecycle(&docker, &r).await.unwrap(),
        LifecycleOutcome::SkipNonBlocking
    );
    assert_eq!(hook_log(&docker, &c).await, ["onCreate"]);

    // Default waitFor (updateContentCommand).
    r.wait_for = None;
    assert_eq!(
        lifecycle::run_lifecycle(&docker, &r).await.unwrap(),
        LifecycleOutcome::SkipNonBlocking
    );
    assert_eq!(hook_log(&docker, &c).await, ["onCreate", "updateContent"]);

    // --prebuild reruns updateContent and stops there.
    let r = run(
        &c,
        &hooks,
        &[],
        LifecycleOptions {
            prebuild: true,
            ..Default::default()
        },
        OutputSink::discard(),
    );
    assert_eq!(
        lifecycle::run_lifecycle(&docker, &r).await.unwrap(),
        LifecycleOutcome::Prebuild
    );
    assert_eq!(
        hook_log(&docker, &c).await,
        ["onCreate", "updateContent", "updateContent"]
    );

    // Then a normal run finishes the rest.
    let r = run(&c, &hooks, &[], Default::default(), OutputSink::discard());
    assert_eq!(
        lifecycle::run_lifecycle(&docker, &r).await.unwrap(),
        LifecycleOutcome::Done
    );
    assert_eq!(
        hook_log(&docker, &c).await,
        [
            "onCreate",
            "updateContent",
            "updateContent",
            "postCreate",
            "postStart",
            "postAttach"
        ]
    );
}

#[tokio::test]
async fn parallel_object_hooks_run_concurrently_with_prefixed_output() {
    let docker = connect().await;
    let (_guard, c) = start_container(&docker, "parallel", vec![]).await;
    // Each command waits for the other's file: run one after the other, both would time out.
    let wait_for = |mine: &str, other: &str| {
        format!(
            "touch /tmp/{mine}; i=0; while [ ! -e /tmp/{other} ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -e /tmp/{other} ] && echo saw-{other}"
        )
    };
    let hooks = LifecycleHooks::from_metadata(&[json!({
        "postCreateCommand": {
            "a": wait_for("a-ready", "b-ready") + "; printf 'no-newline-a'",
            "b": ["sh", "-c", wait_for("b-ready", "a-ready") + "; echo to-stderr-b >&2"],
            "empty": "",
        }
    })]);
    let (sink, out) = recorder();
    let outcome =
        lifecycle::run_lifecycle(&docker, &run(&c, &hooks, &[], Default::default(), sink))
            .await
            .unwrap();
    assert_eq!(outcome, LifecycleOutcome::Done);
    let out = text(&out);
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "[a] no-newline-a",
            "[a] saw-b-ready",
            "[b] saw-a-ready",
            "[b] to-stderr-b"
        ],
        "{out:?}"
    );
    assert!(out.ends_with('\n'));
}

#[tokio::test]
async fn failing_hook_reports_origin_exit_code_and_tail_and_skips_the_rest() {
    let docker = connect().await;
    let (_guard, c) = start_container(&docker, "fail", vec![]).await;
    let entries = vec![
        json!({"id": "example/ok:1", "postCreateCommand": "echo feature-ran >> \"$HOME/hook.log\""}),
        json!({
            "postCreateCommand": "echo boom-stdout; echo boom-stderr >&2; exit 3",
            "postStartCommand": "echo postStart >> \"$HOME/hook.log\"",
        }),
    ];
    let hooks = LifecycleHooks::from_metadata(&entries);
    let (sink, out) = recorder();
    let err = lifecycle::run_lifecycle(&docker, &run(&c, &hooks, &[], Default::default(), sink))
        .await
        .unwrap_err();
    match &err {
        EngineError::HookFailed {
            hook,
            origin,
            exit_code,
            output_tail,
        } => {
            assert_eq!(hook, "postCreateCommand");
            assert_eq!(origin, "devcontainer.json");
            assert_eq!(*exit_code, 3);
            assert!(
                output_tail.contains(&"boom-stdout".to_string()),
                "{output_tail:?}"
            );
            assert!(
                output_tail.contains(&"boom-stderr".to_string()),
                "{output_tail:?}"
            );
        }
        other => panic!("expected HookFailed, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("postCreateCommand from devcontainer.json failed with exit code 3"),
        "{msg}"
    );
    assert!(text(&out).contains("boom-stdout"), "output is streamed too");
    // The feature's command ran first; postStart was skipped.
    assert_eq!(hook_log(&docker, &c).await, ["feature-ran"]);

    // As the reference: the marker was written before the hook ran, so the next run does
    // not retry postCreate, and goes on with postStart.
    lifecycle::run_lifecycle(
        &docker,
        &run(&c, &hooks, &[], Default::default(), OutputSink::discard()),
    )
    .await
    .unwrap();
    assert_eq!(hook_log(&docker, &c).await, ["feature-ran", "postStart"]);

    // A feature's failing command names the feature; a parallel failure waits for the
    // others and names the command in the tail.
    let hooks = LifecycleHooks::from_metadata(&[
        json!({"id": "ghcr.io/x/broken:2", "postAttachCommand": ["false"]}),
    ]);
    let err = lifecycle::run_lifecycle(
        &docker,
        &run(&c, &hooks, &[], Default::default(), OutputSink::discard()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, EngineError::HookFailed { origin, exit_code: 1, .. } if origin == "Feature 'ghcr.io/x/broken:2'"),
        "{err:?}"
    );
    let hooks = LifecycleHooks::from_metadata(&[json!({"postAttachCommand": {
        "bad": "echo bad-output; exit 7",
        "slow-ok": "sleep 0.3; echo slow-done >> \"$HOME/hook.log\"",
    }})]);
    let err = lifecycle::run_lifecycle(
        &docker,
        &run(&c, &hooks, &[], Default::default(), OutputSink::discard()),
    )
    .await
    .unwrap_err();
    match &err {
        EngineError::HookFailed {
            hook,
            exit_code,
            output_tail,
            ..
        } => {
            assert_eq!((hook.as_str(), *exit_code), ("postAttachCommand", 7));
            assert_eq!(output_tail, &vec!["[bad] bad-output".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        hook_log(&docker, &c).await,
        ["feature-ran", "postStart", "slow-done"]
    );

    // Ctrl-C (exit 130) is "interrupted": not an error, the next hooks run.
    let hooks = LifecycleHooks::from_metadata(&[
        json!({
            "postAttachCommand": ["sh", "-c", "exit 130"],
        }),
        json!({"postAttachCommand": "echo after-interrupt >> \"$HOME/hook.log\""}),
    ]);
    lifecycle::run_lifecycle(
        &docker,
        &run(&c, &hooks, &[], Default::default(), OutputSink::discard()),
    )
    .await
    .unwrap();
    assert_eq!(
        hook_log(&docker, &c).await.last().unwrap(),
        "after-interrupt"
    );
}

#[tokio::test]
async fn array_form_passes_argv_byte_exact_and_env_is_never_evaluated() {
    let docker = connect().await;
    let (_guard, c) = start_container(&docker, "argv", vec![]).await;
    let tricky = "a b \"double\" 'single' $(touch /tmp/pwned) `touch /tmp/pwned` ; touch /tmp/pwned \\ é\ttab *";
    let env = vec![format!("TRICKY={tricky}")];
    let hooks = LifecycleHooks::from_metadata(&[json!({
        "postCreateCommand": ["printf", "<%s>", tricky, "", "last"],
        "postAttachCommand": "printf '[%s]' \"$TRICKY\"",
    })]);
    let (sink, out) = recorder();
    lifecycle::run_lifecycle(&docker, &run(&c, &hooks, &env, Default::default(), sink))
        .await
        .unwrap();
    assert_eq!(text(&out), format!("<{tricky}><><last>[{tricky}]"));
    let check = sh(&docker, &c, "root", "test -e /tmp/pwned").await;
    assert_eq!(check.exit_code, 1, "/tmp/pwned must not exist");
}

#[tokio::test]
async fn hooks_run_in_the_workspace_folder_or_home_as_the_remote_user() {
    let docker = connect().await;
    let (_guard, c) = start_container(&docker, "cwd", vec![]).await;
    let hooks =
        LifecycleHooks::from_metadata(&[json!({"postAttachCommand": "echo \"$(id -un) $(pwd)\""})]);
    let (sink, out) = recorder();
    lifecycle::run_lifecycle(&docker, &run(&c, &hooks, &[], Default::default(), sink))
        .await
        .unwrap();
    assert_eq!(text(&out), "dev /home/dev\n");
    let (sink, out) = recorder();
    let mut r = run(&c, &hooks, &[], Default::default(), sink);
    r.remote_workspace_folder = Some("/tmp");
    lifecycle::run_lifecycle(&docker, &r).await.unwrap();
    assert_eq!(text(&out), "dev /tmp\n");
}

#[tokio::test]
async fn env_probe_login_shell_reads_etc_profile_and_caches_per_start() {
    let docker = connect().await;
    let (_guard, c) = start_container(&docker, "probe", vec![]).await;
    let write = sh(
        &docker,
        &c,
        "root",
        "printf '%s\\n' 'export DEVC_PROFILE_VAR=\"from profile\"' 'export PATH=\"/opt/profile/bin:$PATH\"' > /etc/profile",
    )
    .await;
    assert_eq!(write.exit_code, 0, "{}", write.stderr_text());
    let cache_dir = tempfile::tempdir().unwrap();
    let opts = ProbeOptions {
        cache: ProbeCache::Dir(cache_dir.path().to_path_buf()),
        ..Default::default()
    };

    let env = env_probe::probe_with(&docker, &c, "dev", UserEnvProbe::LoginShell, &opts).await;
    assert_eq!(
        env.get("DEVC_PROFILE_VAR").map(String::as_str),
        Some("from profile"),
        "{env:?}"
    );
    assert!(
        env.get("PATH").unwrap().starts_with("/opt/profile/bin:"),
        "{env:?}"
    );
    assert_eq!(env.get("HOME").map(String::as_str), Some("/home/dev"));
    assert!(!env.contains_key("PWD"));
    let file = env_probe::cache_file(cache_dir.path(), &c.id, "dev", UserEnvProbe::LoginShell);
    assert!(file.exists(), "cache file {}", file.display());

    // `none` probes nothing; an interactive non-login ash does not read /etc/profile.
    assert!(
        env_probe::probe_with(&docker, &c, "dev", UserEnvProbe::None, &opts)
            .await
            .is_empty()
    );
    let env_i =
        env_probe::probe_with(&docker, &c, "dev", UserEnvProbe::InteractiveShell, &opts).await;
    assert!(
        env_i.contains_key("PATH") && !env_i.contains_key("DEVC_PROFILE_VAR"),
        "{env_i:?}"
    );

    // Cache hit: the profile is gone, the cached value stays until the container restarts.
    assert_eq!(
        sh(&docker, &c, "root", "rm /etc/profile").await.exit_code,
        0
    );
    let env = env_probe::probe_with(&docker, &c, "dev", UserEnvProbe::LoginShell, &opts).await;
    assert_eq!(
        env.get("DEVC_PROFILE_VAR").map(String::as_str),
        Some("from profile")
    );
    let uncached = ProbeOptions {
        cache: ProbeCache::Off,
        ..Default::default()
    };
    let env = env_probe::probe_with(&docker, &c, "dev", UserEnvProbe::LoginShell, &uncached).await;
    assert!(
        !env.contains_key("DEVC_PROFILE_VAR"),
        "without the cache the probe runs again"
    );

    let c2 = restart(&docker, &c).await;
    let env = env_probe::probe_with(&docker, &c2, "dev", UserEnvProbe::LoginShell, &opts).await;
    assert!(
        !env.contains_key("DEVC_PROFILE_VAR"),
        "a restart re-probes: {env:?}"
    );
    let cached: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(cached["startedAt"], json!(c2.state.started_at));
}

#[tokio::test]
async fn env_probe_times_out_with_an_empty_env() {
    let docker = connect().await;
    let (_guard, c) = start_container(&docker, "probe-timeout", vec![]).await;
    assert_eq!(
        sh(&docker, &c, "root", "echo 'sleep 30' > /etc/profile")
            .await
            .exit_code,
        0
    );
    let opts = ProbeOptions {
        cache: ProbeCache::Off,
        timeout: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let env = env_probe::probe_with(&docker, &c, "dev", UserEnvProbe::LoginShell, &opts).await;
    assert!(env.is_empty(), "{env:?}");
    // The stuck shell was killed, not left behind.
    let ps = sh(
        &docker,
        &c,
        "root",
        "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done",
    )
    .await;
    assert!(
        !ps.stdout_text().contains("sleep 30"),
        "{}",
        ps.stdout_text()
    );
}

#[tokio::test]
async fn remote_env_resolves_container_env_and_reaches_hooks() {
    let docker = connect().await;
    let (_guard, c) =
        start_container(&docker, "remoteenv", vec!["DEVC_C=from-container".into()]).await;
    let container_path = c
        .env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .expect("the image sets PATH")
        .to_string();
    let probed = env_probe::probe_with(
        &docker,
        &c,
        "dev",
        UserEnvProbe::LoginInteractiveShell,
        &ProbeOptions {
            cache: ProbeCache::Off,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        probed.get("DEVC_C").map(String::as_str),
        Some("from-container"),
        "{probed:?}"
    );
    let remote_env = json!({
        "R_PATH": "${containerEnv:PATH}:/extra",
        "R_C": "${containerEnv:DEVC_C}",
        "R_DEFAULT": "${containerEnv:NOPE:dflt}",
        "FROM_CLI": "config wins",
    });
    let env = env_probe::exec_env(
        &c.env,
        &probed,
        &["FROM_CLI=cli".to_string(), "ONLY_CLI=yes".to_string()],
        remote_env.as_object().unwrap(),
    )
    .unwrap();
    let hooks = LifecycleHooks::from_metadata(&[json!({
        "postAttachCommand": ["sh", "-c", "printf '%s|' \"$R_PATH\" \"$R_C\" \"$R_DEFAULT\" \"$FROM_CLI\" \"$ONLY_CLI\""],
    })]);
    let (sink, out) = recorder();
    lifecycle::run_lifecycle(&docker, &run(&c, &hooks, &env, Default::default(), sink))
        .await
        .unwrap();
    assert_eq!(
        text(&out),
        format!("{container_path}:/extra|from-container|dflt|config wins|yes|")
    );
}

#[tokio::test]
async fn unwritable_marker_location_still_runs_the_hook() {
    let docker = connect().await;
    let (_guard, c) = start_container(&docker, "marker", vec![]).await;
    let hooks = LifecycleHooks::from_metadata(&[json!({"onCreateCommand": "echo ran"})]);
    let (sink, out) = recorder();
    let mut r = run(
        &c,
        &hooks,
        &[],
        LifecycleOptions {
            container_data_folder: Some("/root/not-for-dev".into()),
            ..Default::default()
        },
        sink,
    );
    r.home = Some("/home/dev");
    lifecycle::run_lifecycle(&docker, &r).await.unwrap();
    assert_eq!(text(&out), "ran\n");
    let marker = lifecycle::marker_path(
        "/home/dev",
        Some("/root/not-for-dev"),
        LifecycleHook::OnCreateCommand,
    );
    assert_eq!(marker, "/root/not-for-dev/.onCreateCommandMarker");
}

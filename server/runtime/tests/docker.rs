//! The Docker backend against a real daemon. Images are built locally FROM
//! devc-test-busybox:latest (never pulled); every container, volume and image
//! has a unique name and is removed by a `Cleanup` guard, also on failure.

mod common;

use common::*;
use devc_runtime::*;
use std::collections::BTreeMap;
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_reports_the_daemon_version() {
    let d = docker().await;
    let version = d.ping().await.unwrap();
    assert!(!version.is_empty() && version.chars().next().unwrap().is_ascii_digit(), "{version}");
    assert_eq!(d.name(), "docker");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_sockets_are_daemon_unavailable() {
    // No socket file at all.
    match Docker::from_host("unix:///tmp/nonexistent.sock") {
        Err(e @ RuntimeError::DaemonUnavailable { .. }) => assert!(e.to_string().contains("/tmp/nonexistent.sock"), "{e}"),
        other => panic!("expected DaemonUnavailable, got {:?}", other.err()),
    }
    // A socket path nobody listens on.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let d = Docker::from_host(&format!("unix://{}", path.display())).unwrap();
    match d.ping().await {
        Err(e @ RuntimeError::DaemonUnavailable { .. }) => assert!(e.to_string().contains(&path.display().to_string()), "{e}"),
        other => panic!("expected DaemonUnavailable, got {other:?}"),
    }
    // Nothing listens on tcp port 1 either.
    let d = Docker::from_host("tcp://127.0.0.1:1").unwrap();
    assert!(matches!(d.ping().await, Err(RuntimeError::DaemonUnavailable { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_image_and_missing_image() {
    let d = docker().await;
    let image = d.inspect_image(BASE).await.unwrap();
    assert!(image.id.starts_with("sha256:"));
    assert_eq!(image.os, "linux");
    assert!(image.env.iter().any(|e| e.starts_with("PATH=")));
    // The trait method is the same call.
    assert_eq!(Runtime::inspect_image(&d, BASE).await.unwrap(), image);
    match d.inspect_image("devc-test-does-not-exist:nope").await {
        Err(RuntimeError::ImageNotFound { image }) => assert_eq!(image, "devc-test-does-not-exist:nope"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_from_an_unreachable_registry_fails() {
    let d = docker().await;
    let lines = std::sync::Mutex::new(Vec::<String>::new());
    let progress = |l: &str| lines.lock().unwrap().push(l.to_string());
    match d.pull_image("127.0.0.1:1/devc-test/nothing:latest", &progress).await {
        Err(RuntimeError::PullFailed { image, message }) => {
            assert_eq!(image, "127.0.0.1:1/devc-test/nothing:latest");
            // The daemon's own words, e.g. `Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused`.
            assert!(message.contains("127.0.0.1:1"), "{message}");
        }
        other => panic!("expected PullFailed, got {other:?}"),
    }
}

fn write(path: &std::path::Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_with_outside_dockerfile_args_labels_target_and_tags() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let tag1 = format!("{}:one", unique("build"));
    let tag2 = format!("{}:two", unique("build"));
    cleanup.image(&tag1);
    cleanup.image(&tag2);

    let tmp = tempfile::tempdir().unwrap();
    let ctx = tmp.path().join("ctx");
    write(&ctx.join("keep/file.txt"), "kept\n");
    write(&ctx.join("ignored/big.bin"), "should not be sent");
    write(&ctx.join("secret.log"), "nope");
    write(&ctx.join(".dockerignore"), "ignored\n*.log\n");
    let dockerfile = tmp.path().join(".devcontainer/Dockerfile");
    write(
        &dockerfile,
        &format!(
            "FROM {BASE} AS base\nARG GREETING=unset\nCOPY . /ctx/\n\
             RUN test -f /ctx/keep/file.txt && test ! -e /ctx/ignored && test ! -e /ctx/secret.log \
             && echo \"greeting=$GREETING\" > /greeting\n\
             FROM base AS dev\nRUN echo dev > /stage\n\
             FROM base AS other\nRUN exit 1\n"
        ),
    );
    let request = BuildRequest {
        context: ctx.clone(),
        dockerfile: dockerfile.clone(),
        tags: vec![tag1.clone(), tag2.clone()],
        args: BTreeMap::from([("GREETING".into(), "hello".into())]),
        target: Some("dev".into()),
        labels: BTreeMap::from([("devc.test.built".into(), "yes".into())]),
        ..Default::default()
    };
    let lines = std::sync::Mutex::new(Vec::<String>::new());
    let progress = |l: &str| lines.lock().unwrap().push(l.to_string());
    let id = d.build_image(&request, &progress).await.unwrap();
    assert!(id.starts_with("sha256:"), "{id}");
    assert!(lines.lock().unwrap().iter().any(|l| l.starts_with("Step ")), "{:?}", lines.lock().unwrap());

    for tag in [&tag1, &tag2] {
        let image = d.inspect_image(tag).await.unwrap();
        assert_eq!(image.id, id);
        assert_eq!(image.labels.get("devc.test.built").map(String::as_str), Some("yes"));
    }
    // The files the build wrote, read back from a container of the image.
    let name = unique("built");
    cleanup.container(&name);
    let spec = ContainerSpec {
        name: Some(name.clone()),
        image: tag1.clone(),
        cmd: Some(vec!["cat".into(), "/greeting".into(), "/stage".into()]),
        ..Default::default()
    };
    let cid = d.create_container(&spec).await.unwrap();
    d.start_container(&cid).await.unwrap();
    let mut logs = d.logs(&cid, true).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = logs.recv().await {
        if let OutputChunk::Stdout(b) = chunk {
            out.extend(b);
        }
    }
    assert_eq!(String::from_utf8_lossy(&out), "greeting=hello\ndev\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_failure_names_the_step() {
    let d = docker().await;
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("Dockerfile"), &format!("FROM {BASE}\nRUN echo before\nRUN exit 3\n"));
    let request = BuildRequest { context: tmp.path().to_path_buf(), ..Default::default() };
    match d.build_image(&request, &|_| {}).await {
        Err(RuntimeError::BuildFailed { step, message }) => {
            assert_eq!(step, "Step 3/3 : RUN exit 3");
            assert!(message.contains("non-zero code: 3"), "{message}");
        }
        other => panic!("expected BuildFailed, got {other:?}"),
    }
    // A Dockerfile the daemon cannot parse fails before any step.
    write(&tmp.path().join("Dockerfile"), "FROMM nothing\n");
    match d.build_image(&request, &|_| {}).await {
        Err(RuntimeError::BuildFailed { message, .. }) => assert!(message.to_lowercase().contains("fromm"), "{message}"),
        other => panic!("expected BuildFailed, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_lifecycle() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let name = unique("life");
    let volume = unique("vol");
    cleanup.container(&name);
    cleanup.volume(&volume);
    let bind = tempfile::tempdir().unwrap();
    std::fs::write(bind.path().join("hello"), "from host").unwrap();

    let mut spec = idle_spec(&name);
    spec.env = vec!["FOO=bar baz".into()];
    spec.user = Some("dev".into());
    spec.working_dir = Some("/tmp".into());
    spec.mounts = vec![
        MountSpec { kind: MountKind::Bind, source: Some(bind.path().display().to_string()), target: "/host".into(), readonly: true },
        MountSpec { kind: MountKind::Volume, source: Some(volume.clone()), target: "/data".into(), readonly: false },
        MountSpec { kind: MountKind::Tmpfs, source: None, target: "/scratch".into(), readonly: false },
    ];
    spec.ports = vec![PortBinding { protocol: "tcp".into(), container_port: 8080, host_ip: Some("127.0.0.1".into()), host_port: None }];
    let id = d.create_container(&spec).await.unwrap();

    let created = d.inspect_container(&id).await.unwrap();
    assert_eq!(created.state.status, "created");
    assert_eq!(created.name, name);
    assert_eq!(created.image, BASE);
    assert!(created.image_id.starts_with("sha256:"));
    assert!(!created.created.is_empty());

    d.start_container(&id).await.unwrap();
    d.start_container(&id).await.unwrap(); // already running: fine
    let details = d.inspect_container(&name).await.unwrap();
    assert!(details.state.running);
    assert_eq!(details.state.status, "running");
    assert_eq!(details.labels.get(TEST_LABEL), Some(&name));
    assert!(details.env.contains(&"FOO=bar baz".to_string()));
    assert_eq!(details.user, "dev");
    assert!(details.ip_address.as_deref().is_some_and(|ip| !ip.is_empty()), "{details:?}");
    let mut kinds: Vec<(String, String)> = details.mounts.iter().map(|m| (m.kind.clone(), m.destination.clone())).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![("bind".into(), "/host".into()), ("tmpfs".into(), "/scratch".into()), ("volume".into(), "/data".into())]
    );
    assert_eq!(details.mounts.iter().find(|m| m.kind == "volume").unwrap().name.as_deref(), Some(volume.as_str()));

    // The mounts, user, env and working dir as the container sees them.
    let (code, out, err) = run(&d, &id, &["sh", "-c", "cat /host/hello; echo; id -u; pwd; echo $FOO; test -d /data && touch /scratch/y && echo ok"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "from host\n1000\n/tmp\nbar baz\nok\n");

    let found = d.find_containers(&[(TEST_LABEL.to_string(), name.clone())]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, id);

    d.stop_container(&id, Some(5)).await.unwrap();
    d.stop_container(&id, Some(5)).await.unwrap(); // already stopped: fine
    let stopped = d.inspect_container(&id).await.unwrap();
    assert!(!stopped.state.running);
    assert_eq!(stopped.state.status, "exited");
    // Stopped containers are still found.
    assert_eq!(d.find_containers(&[(TEST_LABEL.to_string(), name.clone())]).await.unwrap().len(), 1);

    d.remove_container(&id, false, true).await.unwrap();
    assert!(matches!(d.remove_container(&id, true, true).await, Err(RuntimeError::ContainerNotFound { .. })));
    assert!(matches!(d.inspect_container(&id).await, Err(RuntimeError::ContainerNotFound { .. })));
    assert!(matches!(d.start_container(&id).await, Err(RuntimeError::ContainerNotFound { .. })));
    assert!(d.find_containers(&[(TEST_LABEL.to_string(), name.clone())]).await.unwrap().is_empty());

    d.remove_volume(&volume).await.unwrap();
    d.remove_volume(&volume).await.unwrap(); // already gone: fine
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_containers_newest_first_with_all_labels() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let group = unique("group");
    let mut ids = Vec::new();
    for i in 0..3 {
        let name = unique("find");
        cleanup.container(&name);
        let mut spec = idle_spec(&name);
        spec.labels.insert("devc.test.group".into(), group.clone());
        spec.labels.insert("devc.test.index".into(), i.to_string());
        ids.push(d.create_container(&spec).await.unwrap());
    }
    let found = d.find_containers(&[("devc.test.group".to_string(), group.clone())]).await.unwrap();
    let found_ids: Vec<&str> = found.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(found_ids, ids.iter().rev().map(String::as_str).collect::<Vec<_>>());
    // Every label must match.
    let one = d
        .find_containers(&[("devc.test.group".to_string(), group.clone()), ("devc.test.index".to_string(), "1".to_string())])
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].id, ids[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_maps_host_config_onto_the_daemon() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let name = unique("hostcfg");
    cleanup.container(&name);
    let arch = d.inspect_image(BASE).await.unwrap().architecture;
    let mut spec = idle_spec(&name);
    spec.platform = Some(format!("linux/{arch}"));
    spec.hostname = Some("devbox".into());
    spec.cap_add = vec!["SYS_PTRACE".into()];
    spec.cap_drop = vec!["NET_RAW".into()];
    spec.security_opt = vec!["no-new-privileges".into()];
    spec.extra_hosts = vec!["devc.example:10.1.2.3".into()];
    spec.dns = vec!["10.9.9.9".into()];
    spec.shm_size = Some(128 * 1024 * 1024);
    spec.memory = Some(512 * 1024 * 1024);
    spec.nano_cpus = Some(500_000_000);
    spec.pids_limit = Some(300);
    spec.ulimits = vec![Ulimit { name: "nofile".into(), soft: 1000, hard: 2000 }];
    spec.sysctls = BTreeMap::from([("net.ipv4.ip_unprivileged_port_start".into(), "80".into())]);
    spec.restart = Some("on-failure:2".into());
    spec.log_driver = Some("json-file".into());
    spec.log_opts = BTreeMap::from([("max-size".into(), "1m".into())]);
    spec.tmpfs = BTreeMap::from([("/run/t".into(), "rw,size=1m".into())]);
    spec.mac_address = Some("02:42:ac:11:00:99".into());
    spec.stop_signal = Some("SIGINT".into());
    spec.tty = true;
    spec.interactive = true;
    let id = d.create_container(&spec).await.unwrap();
    d.start_container(&id).await.unwrap();

    let info = raw().await.inspect_container(&id, None).await.unwrap();
    let host = info.host_config.unwrap();
    assert_eq!(host.cap_add, Some(vec!["SYS_PTRACE".to_string()]));
    assert_eq!(host.cap_drop, Some(vec!["NET_RAW".to_string()]));
    assert_eq!(host.security_opt, Some(vec!["no-new-privileges".to_string()]));
    assert_eq!(host.extra_hosts, Some(vec!["devc.example:10.1.2.3".to_string()]));
    assert_eq!(host.dns, Some(vec!["10.9.9.9".to_string()]));
    assert_eq!(host.shm_size, Some(128 * 1024 * 1024));
    assert_eq!(host.memory, Some(512 * 1024 * 1024));
    assert_eq!(host.nano_cpus, Some(500_000_000));
    assert_eq!(host.pids_limit, Some(300));
    assert_eq!(host.init, Some(true));
    let ulimit = &host.ulimits.unwrap()[0];
    assert_eq!((ulimit.name.as_deref(), ulimit.soft, ulimit.hard), (Some("nofile"), Some(1000), Some(2000)));
    assert_eq!(host.sysctls.unwrap().get("net.ipv4.ip_unprivileged_port_start").map(String::as_str), Some("80"));
    let restart = host.restart_policy.unwrap();
    assert_eq!((restart.name.map(|n| n.to_string()), restart.maximum_retry_count), (Some("on-failure".into()), Some(2)));
    let log = host.log_config.unwrap();
    assert_eq!(log.typ.as_deref(), Some("json-file"));
    assert_eq!(log.config.unwrap().get("max-size").map(String::as_str), Some("1m"));
    assert_eq!(host.tmpfs.unwrap().get("/run/t").map(String::as_str), Some("rw,size=1m"));
    let config = info.config.unwrap();
    assert_eq!(config.hostname.as_deref(), Some("devbox"));
    assert_eq!(config.stop_signal.as_deref(), Some("SIGINT"));
    assert_eq!((config.tty, config.open_stdin), (Some(true), Some(true)));
    let networks = info.network_settings.unwrap().networks.unwrap();
    assert_eq!(networks["bridge"].mac_address.as_deref(), Some("02:42:ac:11:00:99"));
    // And inside: the sysctl, the extra host and the hostname.
    let (code, out, _) = run(&d, &id, &["sh", "-c", "cat /proc/sys/net/ipv4/ip_unprivileged_port_start; grep devc.example /etc/hosts; hostname"]).await;
    assert_eq!(code, 0);
    assert!(out.starts_with("80\n10.1.2.3\tdevc.example\ndevbox"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_with_a_missing_image_is_image_not_found() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let name = unique("noimage");
    cleanup.container(&name);
    let spec = ContainerSpec { name: Some(name), image: "devc-test-does-not-exist:nope".into(), ..Default::default() };
    assert!(matches!(d.create_container(&spec).await, Err(RuntimeError::ImageNotFound { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_delivers_every_byte_of_a_large_burst() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let id = running(&d, &mut cleanup, "burst").await;
    let mut session = d
        .exec(&exec_request(&id, &["sh", "-c", r#"head -c 1000000 /dev/zero | tr "\0" a; printf END"#]))
        .await
        .unwrap();
    let (out, err) = collect(&mut session).await;
    assert_eq!(out.len(), 1_000_003, "stderr: {}", String::from_utf8_lossy(&err));
    assert!(out[..1_000_000].iter().all(|b| *b == b'a'));
    assert_eq!(&out[1_000_000..], b"END");
    assert_eq!(d.exec_wait(&session.id).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_keeps_many_tiny_writes_and_separates_streams() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let id = running(&d, &mut cleanup, "tiny").await;
    let script = r#"i=0; while [ $i -lt 2000 ]; do printf o; printf e >&2; i=$((i+1)); done; printf '\n'; exit 5"#;
    let mut session = d.exec(&exec_request(&id, &["sh", "-c", script])).await.unwrap();
    let (out, err) = collect(&mut session).await;
    assert_eq!(out, [vec![b'o'; 2000], b"\n".to_vec()].concat());
    assert_eq!(err, vec![b'e'; 2000]);
    assert_eq!(d.exec_wait(&session.id).await.unwrap(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_with_a_tty_is_all_stdout() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let id = running(&d, &mut cleanup, "tty").await;
    let mut request = exec_request(&id, &["sh", "-c", "echo out; echo err >&2; test -t 1 && echo is-a-tty"]);
    request.tty = true;
    let mut session = d.exec(&request).await.unwrap();
    let (out, err) = collect(&mut session).await;
    assert!(err.is_empty());
    let out = String::from_utf8_lossy(&out);
    assert!(out.contains("out\r\n") && out.contains("err\r\n") && out.contains("is-a-tty"), "{out:?}");
    assert_eq!(d.exec_wait(&session.id).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_stdin_round_trip_and_close_on_drop() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let id = running(&d, &mut cleanup, "stdin").await;
    let mut request = exec_request(&id, &["cat"]);
    request.stdin = true;
    let mut session = d.exec(&request).await.unwrap();
    let input: Vec<u8> = (0..6000u32).map(|i| b"abcdefghij\n"[(i % 11) as usize]).collect();
    let mut stdin = session.stdin.take().expect("stdin requested");
    let reader = {
        let mut output = std::mem::replace(&mut session.output, tokio::sync::mpsc::channel(1).1);
        tokio::spawn(async move {
            let mut out = Vec::new();
            while let Some(chunk) = output.recv().await {
                if let OutputChunk::Stdout(b) = chunk {
                    out.extend(b);
                }
            }
            out
        })
    };
    stdin.write_all(&input).await.unwrap();
    stdin.flush().await.unwrap();
    drop(stdin); // EOF for cat
    let out = reader.await.unwrap();
    assert_eq!(out, input);
    assert_eq!(d.exec_wait(&session.id).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_env_user_working_dir_and_exit_code() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let id = running(&d, &mut cleanup, "env").await;
    let mut request = exec_request(&id, &["sh", "-c", "echo \"$FOO\"; id -u; pwd; exit 7"]);
    request.env = vec!["FOO=a b".into()];
    request.user = Some("dev".into());
    request.working_dir = Some("/home/dev".into());
    let mut session = d.exec(&request).await.unwrap();
    let (out, _) = collect(&mut session).await;
    assert_eq!(String::from_utf8_lossy(&out), "a b\n1000\n/home/dev\n");
    assert_eq!(d.exec_wait(&session.id).await.unwrap(), 7);
    // Exec in a container that does not exist.
    assert!(matches!(d.exec(&exec_request("devc-rt-no-such-container", &["true"])).await, Err(RuntimeError::ContainerNotFound { .. })));
}

async fn sleeps(d: &Docker, id: &str) -> String {
    let (_, out, _) = run(d, id, &["ps", "-o", "pid,args"]).await;
    out.lines().filter(|l| l.contains("sleep 3")).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_signal_term_reaches_the_process_group() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let id = running(&d, &mut cleanup, "sigterm").await;
    // A shell with a background child and a foreground child, all in one group.
    let mut session = d.exec(&exec_request(&id, &["sh", "-c", "sleep 301 & sleep 302; echo not-reached"])).await.unwrap();
    eventually("both sleeps run", || async { let s = sleeps(&d, &id).await; s.contains("sleep 301") && s.contains("sleep 302") }).await;

    d.exec_signal(&session.id, 15).await.unwrap();
    let (out, _) = collect(&mut session).await; // closes once the process is gone
    assert!(!String::from_utf8_lossy(&out).contains("not-reached"));
    assert_eq!(d.exec_wait(&session.id).await.unwrap(), 143);
    eventually("no sleep left", || async { sleeps(&d, &id).await.is_empty() }).await;
    // Signalling a finished exec is not an error.
    d.exec_signal(&session.id, 15).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_signal_kill() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let id = running(&d, &mut cleanup, "sigkill").await;
    // Ignores SIGTERM; only SIGKILL ends it.
    let mut session = d.exec(&exec_request(&id, &["sh", "-c", "trap '' TERM; sleep 303 & wait"])).await.unwrap();
    eventually("the sleep runs", || async { sleeps(&d, &id).await.contains("sleep 303") }).await;
    d.exec_signal(&session.id, 9).await.unwrap();
    collect(&mut session).await;
    assert_eq!(d.exec_wait(&session.id).await.unwrap(), 137);
    eventually("no sleep left", || async { sleeps(&d, &id).await.is_empty() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_resize_sets_the_tty_size() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let id = running(&d, &mut cleanup, "resize").await;
    let mut request = exec_request(&id, &["sh", "-c", "read line; stty size"]);
    request.tty = true;
    request.stdin = true;
    let mut session = d.exec(&request).await.unwrap();
    d.exec_resize(&session.id, 123, 45).await.unwrap();
    let mut stdin = session.stdin.take().unwrap();
    stdin.write_all(b"go\n").await.unwrap();
    let (out, _) = collect(&mut session).await;
    drop(stdin);
    assert!(String::from_utf8_lossy(&out).contains("45 123"), "{:?}", String::from_utf8_lossy(&out));
    assert_eq!(d.exec_wait(&session.id).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_follow_until_the_container_stops() {
    let d = docker().await;
    let mut cleanup = Cleanup::default();
    let name = unique("logs");
    cleanup.container(&name);
    let mut spec = idle_spec(&name);
    spec.cmd = Some(vec!["sh".into(), "-c".into(), "echo one; echo two >&2; sleep 1; echo three".into()]);
    let id = d.create_container(&spec).await.unwrap();
    d.start_container(&id).await.unwrap();
    let mut logs = d.logs(&id, true).await.unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    while let Some(chunk) = logs.recv().await {
        match chunk {
            OutputChunk::Stdout(b) => out.extend(b),
            OutputChunk::Stderr(b) => err.extend(b),
        }
    }
    assert_eq!(String::from_utf8_lossy(&out), "one\nthree\n");
    assert_eq!(String::from_utf8_lossy(&err), "two\n");
    // Without follow: what is there, then closed.
    let mut logs = d.logs(&id, false).await.unwrap();
    let mut count = 0;
    while logs.recv().await.is_some() {
        count += 1;
    }
    assert!(count >= 2);
    assert!(matches!(d.logs("devc-rt-no-such-container", false).await, Err(RuntimeError::ContainerNotFound { .. })));
}

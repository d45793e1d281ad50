//! Helpers shared by the runtime's integration tests (real daemon, local
//! images only: everything is built FROM devc-test-busybox:latest).
#![allow(dead_code)]

use devc_runtime::{ContainerSpec, Docker, ExecRequest, ExecSession, OutputChunk, Runtime};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub const BASE: &str = "devc-test-busybox:latest";
pub const TEST_LABEL: &str = "devc.test.runtime";

/// A name no other test (or test run) uses.
pub fn unique(what: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("devc-rt-{what}-{}-{nanos}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

pub async fn docker() -> Docker {
    Docker::connect().await.expect("a docker daemon (bash tests/docker-env.sh) and devc-test-busybox:latest (bash tests/images/build.sh)")
}

/// A raw bollard client, for what the `Runtime` trait does not offer (image removal, raw inspect).
pub async fn raw() -> bollard::Docker {
    bollard::Docker::connect_with_defaults().unwrap().negotiate_version().await.unwrap()
}

/// Removes what a test created, also when it panics (Drop runs its own runtime on a thread).
#[derive(Default)]
pub struct Cleanup {
    containers: Vec<String>,
    volumes: Vec<String>,
    images: Vec<String>,
}

impl Cleanup {
    pub fn container(&mut self, name_or_id: &str) {
        self.containers.push(name_or_id.to_string());
    }
    pub fn volume(&mut self, name: &str) {
        self.volumes.push(name.to_string());
    }
    pub fn image(&mut self, name: &str) {
        self.images.push(name.to_string());
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let containers = std::mem::take(&mut self.containers);
        let volumes = std::mem::take(&mut self.volumes);
        let images = std::mem::take(&mut self.images);
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let Ok(d) = Docker::connect().await else { return };
                for c in containers {
                    let _ = d.remove_container(&c, true, true).await;
                }
                for v in volumes {
                    let _ = d.remove_volume(&v).await;
                }
                let raw = raw().await;
                for i in images {
                    let options = bollard::query_parameters::RemoveImageOptionsBuilder::default().force(true).build();
                    let _ = raw.remove_image(&i, Some(options), None).await;
                }
            });
        })
        .join();
    }
}

/// A spec for a labelled container that idles (docker-init forwards SIGTERM, so it stops at once).
pub fn idle_spec(name: &str) -> ContainerSpec {
    ContainerSpec {
        name: Some(name.to_string()),
        image: BASE.to_string(),
        cmd: Some(vec!["sleep".into(), "600".into()]),
        init: Some(true),
        labels: BTreeMap::from([(TEST_LABEL.to_string(), name.to_string())]),
        ..Default::default()
    }
}

/// Creates and starts an idle container registered for cleanup; returns its id.
pub async fn running(d: &Docker, cleanup: &mut Cleanup, what: &str) -> String {
    let name = unique(what);
    cleanup.container(&name);
    let id = d.create_container(&idle_spec(&name)).await.unwrap();
    d.start_container(&id).await.unwrap();
    id
}

pub fn exec_request(container: &str, cmd: &[&str]) -> ExecRequest {
    ExecRequest { container: container.to_string(), cmd: cmd.iter().map(|s| s.to_string()).collect(), ..Default::default() }
}

/// Everything the session prints: (stdout, stderr).
pub async fn collect(session: &mut ExecSession) -> (Vec<u8>, Vec<u8>) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    while let Some(chunk) = session.output.recv().await {
        match chunk {
            OutputChunk::Stdout(b) => out.extend_from_slice(&b),
            OutputChunk::Stderr(b) => err.extend_from_slice(&b),
        }
    }
    (out, err)
}

/// Runs `cmd` and returns (exit code, stdout, stderr) as text.
pub async fn run(d: &Docker, container: &str, cmd: &[&str]) -> (i64, String, String) {
    let mut session = d.exec(&exec_request(container, cmd)).await.unwrap();
    let (out, err) = collect(&mut session).await;
    let code = d.exec_wait(&session.id).await.unwrap();
    (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

/// Polls `check` (bounded; no timing assertion: it only avoids hanging forever).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for: {what}");
}

//! Test support shared by the Feature tests (`server/features/tests/`) and the
//! end-to-end tests (`server/cli/tests/features.rs`, through `#[path]`):
//!
//! - [`Registry`]: Debian's `docker-registry` (the CNCF distribution
//!   registry) serving plain HTTP on 127.0.0.1 with its storage in a temp
//!   folder, optionally behind htpasswd Basic auth; stopped (by pid) on drop.
//! - [`push`]: packs a Feature's files as a tar and pushes it with the dev
//!   container media types, through devc's own OCI client.
//! - [`FileServer`]: a minimal HTTP server for tarball Features.
//! - `token_server.rs` (separate, it needs `ring`): a token server for
//!   [`Registry::start_with_tokens`].

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `htpasswd` line for user `devc`, password [`PASSWORD`] (bcrypt, cost 4).
const HTPASSWD: &str = "devc:$2b$04$LB39Ai6VwQWC4uvXw0vgAOnw5n/ebbP3Ar/oZeweSz70dmRLW75qe";
pub const USER: &str = "devc";
pub const PASSWORD: &str = "devc-test-password";

enum Auth {
    None,
    Basic,
    Token { realm: String },
}

pub struct Registry {
    /// `127.0.0.1:<port>`.
    pub addr: String,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

fn registry_binary() -> &'static str {
    for candidate in ["docker-registry", "registry"] {
        if Command::new(candidate).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success()) {
            return candidate;
        }
    }
    panic!(
        "the Feature tests need an OCI registry: install Debian's docker-registry (`apt-get install -y docker-registry`; .ci/run does) so `docker-registry` is on PATH"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port on 127.0.0.1")
}

/// The status code of `GET <path>` (None when nothing answers).
pub fn http_status(addr: &str, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    let line = String::from_utf8_lossy(&buf[..n]);
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Registry {
    /// An anonymous registry.
    pub fn start() -> Registry {
        Registry::start_with(Auth::None)
    }

    /// A registry that wants [`USER`] / [`PASSWORD`] (HTTP Basic).
    pub fn start_with_auth() -> Registry {
        Registry::start_with(Auth::Basic)
    }

    /// A registry that wants Bearer tokens from the token server at `realm`
    /// (see `token_server.rs`), signed by `token/key.pk8`.
    pub fn start_with_tokens(realm: &str) -> Registry {
        Registry::start_with(Auth::Token { realm: realm.to_string() })
    }

    fn start_with(auth: Auth) -> Registry {
        let binary = registry_binary();
        let dir = tempfile::Builder::new().prefix("devc-test-registry-").tempdir().expect("temp dir");
        let mut last_log = String::new();
        // A port taken between choosing and binding makes the registry exit: try again.
        for _ in 0..5 {
            let port = free_port();
            let addr = format!("127.0.0.1:{port}");
            let auth_section = match &auth {
                Auth::None => String::new(),
                Auth::Basic => {
                    std::fs::write(dir.path().join("htpasswd"), format!("{HTPASSWD}\n")).unwrap();
                    format!("auth:\n  htpasswd:\n    realm: devc-test\n    path: {}\n", dir.path().join("htpasswd").display())
                }
                Auth::Token { realm } => format!(
                    "auth:\n  token:\n    realm: {realm}\n    service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n    rootcertbundle: {}\n",
                    token_fixture("cert.pem").display()
                ),
            };
            let config = format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n  secret: devc-test-secret\n{auth_section}",
                dir.path().join("data").display()
            );
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let mut child = Command::new(binary)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Some(status) = http_status(&addr, "/v2/") {
                    assert!(status == 200 || status == 401, "the registry at {addr} answers /v2/ with {status}");
                    return Registry { addr, child: Some(child), dir };
                }
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(dir.path().join("registry.log")).unwrap_or_default();
        }
        panic!("the test registry did not start; its log:\n{last_log}");
    }

    /// Stops the registry (the address then refuses connections).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A tar of `files` (`install.sh` and other `.sh` files executable).
pub fn feature_tar(files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, content) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(if name.ends_with(".sh") { 0o755 } else { 0o644 });
        h.set_mtime(0);
        h.set_cksum();
        b.append_data(&mut h, format!("./{name}"), content.as_bytes()).unwrap();
    }
    b.into_inner().unwrap()
}

/// Runs a future on a runtime of its own (works from sync and async tests).
fn block_on<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f))
        .join()
        .expect("the pushing thread panicked")
}

/// Pushes a Feature (`metadata` is its devcontainer-feature.json; `install`
/// its install.sh) as `<registry>/<repo>:<tag>`; returns the manifest digest.
pub fn push(registry: &str, repo: &str, tag: &str, metadata: &serde_json::Value, install: &str) -> String {
    let meta = metadata.to_string();
    let archive = feature_tar(&[("devcontainer-feature.json", &meta), ("install.sh", install)]);
    push_archive(registry, repo, tag, archive, meta)
}

pub fn push_archive(registry: &str, repo: &str, tag: &str, archive: Vec<u8>, metadata: String) -> String {
    let reference = devc_features::reference::parse_oci(&format!("{registry}/{repo}:{tag}")).expect("a valid test reference");
    block_on(async move {
        let client = devc_features::oci::Client::new().expect("client");
        client.push_feature(&reference, &archive, &metadata).await.unwrap_or_else(|e| panic!("push failed: {e}"))
    })
}

/// Serves fixed files over HTTP on 127.0.0.1 until dropped; counts requests.
pub struct FileServer {
    pub addr: String,
    pub requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FileServer {
    pub fn start(files: Vec<(String, Vec<u8>)>) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                r.fetch_add(1, Ordering::SeqCst);
                let mut buf = vec![0u8; 8192];
                let n = conn.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]);
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                match files.iter().find(|(p, _)| *p == path) {
                    Some((_, body)) => {
                        let _ = write!(conn, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                        let _ = conn.write_all(body);
                    }
                    None => {
                        let _ = write!(conn, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    }
                }
            }
        });
        FileServer { addr, requests, stop, thread: Some(thread) }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Writes a local Feature folder `<dir>/<id>/` with its metadata and install.sh.
pub fn write_local_feature(dir: &Path, id: &str, metadata: &serde_json::Value, install: &str) {
    let folder = dir.join(id);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("devcontainer-feature.json"), serde_json::to_string_pretty(metadata).unwrap()).unwrap();
    std::fs::write(folder.join("install.sh"), install).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(folder.join("install.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

pub const TOKEN_SERVICE: &str = "devc-test-registry";
pub const TOKEN_ISSUER: &str = "devc-test-issuer";

pub fn token_fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features/tests/support/token").join(name)
}


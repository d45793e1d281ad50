//! Feature resolution against a real OCI registry (Debian's `docker-registry`
//! on 127.0.0.1, started per test) and a real HTTP server for tarballs:
//! OCI fetch and cache, dependsOn across registries' Features, lock file
//! write / pin / frozen mismatch, offline re-use, installsAfter with legacy
//! ids, overrides and cycles, tarball integrity. No Docker daemon needed.
//!
//!     cargo test -p devc-features --test registry

mod support;

use devc_features::cache::Cache;
use devc_features::lockfile::{self, Mode, OnDisk};
use devc_features::{FeatureError, Request, Resolver};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use support::*;

struct Ws {
    dir: tempfile::TempDir,
}

impl Ws {
    fn new() -> Ws {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".devcontainer")).unwrap();
        Ws { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn config(&self) -> PathBuf {
        self.path().join(".devcontainer/devcontainer.json")
    }
    fn cache(&self) -> Cache {
        Cache::new(self.path().join("cache"))
    }
    fn request(&self, features: Value, mode: Mode) -> Request {
        let config = json!({ "features": features });
        let mut r = devc_features::resolve::request_from_config(&config, &self.config(), self.path());
        r.lockfile = mode;
        r
    }
}

fn ids(features: &[devc_features::Feature]) -> Vec<String> {
    features.iter().map(|f| f.user_id.clone()).collect()
}

const INSTALL: &str = "#!/bin/sh\nset -e\necho installed\n";

#[tokio::test]
async fn oci_features_resolve_lock_and_work_offline() {
    let mut reg = Registry::start();
    let common = format!("{}/devc-test/features/common", reg.addr);
    let hello = format!("{}/devc-test/features/hello", reg.addr);
    let common_digest = push(&reg.addr, "devc-test/features/common", "1", &json!({"id": "common", "version": "1.0.0"}), INSTALL);
    let hello_meta = json!({
        "id": "hello", "version": "1.2.3", "name": "Hello",
        "options": {"greeting": {"type": "string", "enum": ["hey", "hello"], "default": "hello"}},
        "dependsOn": {format!("{common}:1"): {}},
        "containerEnv": {"HELLO": "1"}
    });
    let hello_digest = push(&reg.addr, "devc-test/features/hello", "1", &hello_meta, INSTALL);

    let ws = Ws::new();
    let resolver = Resolver::new(ws.cache());
    let req = ws.request(json!({ format!("{hello}:1"): {"greeting": "hey"} }), Mode::Update);
    let res = resolver.resolve(&req).await.unwrap();
    assert_eq!(ids(&res.features), vec![format!("{common}:1"), format!("{hello}:1")]);
    let h = &res.features[1];
    assert_eq!(h.digest.as_deref(), Some(hello_digest.as_str()));
    assert_eq!(h.options["greeting"], "hey");
    assert!(h.dir.join("install.sh").is_file(), "the Feature is extracted into the cache");
    assert_eq!(h.metadata_entry()["id"], format!("{hello}:1"));

    // The lock file, in the reference's format.
    assert_eq!(res.lock_on_disk, OnDisk::Missing);
    assert!(lockfile::write_or_verify(&ws.config(), &res.lock_on_disk, &res.lockfile, Mode::Update).unwrap());
    let text = std::fs::read_to_string(ws.path().join(".devcontainer/devcontainer-lock.json")).unwrap();
    let lock: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        lock,
        json!({"features": {
            format!("{common}:1"): {"version": "1.0.0", "resolved": format!("{common}@{common_digest}"), "integrity": common_digest},
            format!("{hello}:1"): {"version": "1.2.3", "resolved": format!("{hello}@{hello_digest}"), "integrity": hello_digest,
                                   "dependsOn": [format!("{common}:1")]}
        }}),
        "{text}"
    );
    assert!(text.ends_with("}\n"));

    // Offline: the lock file pins digests that are in the cache.
    reg.stop();
    let res = Resolver::new(ws.cache()).resolve(&ws.request(json!({ format!("{hello}:1"): {} }), Mode::Frozen)).await.unwrap();
    assert_eq!(res.features[1].digest.as_deref(), Some(hello_digest.as_str()));
    assert!(!lockfile::write_or_verify(&ws.config(), &res.lock_on_disk, &res.lockfile, Mode::Frozen).unwrap());
    // Offline without a lock file: the digest the tag last resolved to.
    let res = Resolver::new(ws.cache()).resolve(&ws.request(json!({ format!("{hello}:1"): {} }), Mode::Disabled)).await.unwrap();
    assert_eq!(res.features[1].digest.as_deref(), Some(hello_digest.as_str()));
    // Nothing cached and nothing reachable: a clear error.
    let other = Ws::new();
    let err = Resolver::new(other.cache()).resolve(&other.request(json!({ format!("{hello}:1"): {} }), Mode::Update)).await.unwrap_err();
    assert!(matches!(err, FeatureError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("cannot reach the registry"), "{err}");
}

#[tokio::test]
async fn lock_file_pins_digests_and_frozen_mode_reports_mismatches() {
    let reg = Registry::start();
    let repo = "devc-test/features/tool";
    let tool = format!("{}/{repo}", reg.addr);
    let v1 = push(&reg.addr, repo, "1", &json!({"id": "tool", "version": "1.0.0"}), INSTALL);
    let ws = Ws::new();
    let res = Resolver::new(ws.cache()).resolve(&ws.request(json!({ format!("{tool}:1"): {} }), Mode::Update)).await.unwrap();
    lockfile::write_or_verify(&ws.config(), &res.lock_on_disk, &res.lockfile, Mode::Update).unwrap();

    // The tag moves to new content: the lock file keeps the locked digest.
    let v1b = push(&reg.addr, repo, "1", &json!({"id": "tool", "version": "1.0.1"}), "#!/bin/sh\necho newer\n");
    assert_ne!(v1, v1b);
    let res = Resolver::new(ws.cache()).resolve(&ws.request(json!({ format!("{tool}:1"): {} }), Mode::Frozen)).await.unwrap();
    assert_eq!(res.features[0].digest.as_deref(), Some(v1.as_str()), "the locked digest wins over the moved tag");
    assert_eq!(res.features[0].metadata.version.as_deref(), Some("1.0.0"));

    // Another version than the locked one: frozen mode fails and says why.
    push(&reg.addr, repo, "2", &json!({"id": "tool", "version": "2.0.0"}), INSTALL);
    let res = Resolver::new(ws.cache()).resolve(&ws.request(json!({ format!("{tool}:2"): {} }), Mode::Frozen)).await.unwrap();
    let err = lockfile::write_or_verify(&ws.config(), &res.lock_on_disk, &res.lockfile, Mode::Frozen).unwrap_err().to_string();
    assert!(err.starts_with("Lockfile does not match."), "{err}");
    assert!(err.contains(&format!("'{tool}:2' is not locked")), "{err}");
    assert!(err.contains(&format!("'{tool}:1' is locked but no longer used")), "{err}");
    assert!(err.contains("devcontainer-lock.json"), "{err}");
    // Without --frozen-lockfile it is updated instead.
    assert!(lockfile::write_or_verify(&ws.config(), &res.lock_on_disk, &res.lockfile, Mode::Update).unwrap());
    let text = std::fs::read_to_string(lockfile::path_for(&ws.config())).unwrap();
    assert!(text.contains(&format!("\"{tool}:2\"")) && !text.contains(&format!("\"{tool}:1\"")), "{text}");

    // A digest reference must match what the registry serves.
    let bad = format!("{tool}@sha256:{}", "0".repeat(64));
    let err = Resolver::new(ws.cache()).resolve(&ws.request(json!({ bad: {} }), Mode::Disabled)).await.unwrap_err().to_string();
    assert!(err.contains("HTTP 404") || err.contains("not found"), "{err}");
    let by_digest = format!("{tool}@{v1}");
    let res = Resolver::new(Cache::new(ws.path().join("fresh"))).resolve(&ws.request(json!({ by_digest: {} }), Mode::Disabled)).await.unwrap();
    assert_eq!(res.features[0].digest.as_deref(), Some(v1.as_str()));
}

#[tokio::test]
async fn installs_after_legacy_ids_overrides_and_cycles_over_oci() {
    let reg = Registry::start();
    let ns = format!("{}/devc-test/order", reg.addr);
    // new-b was renamed from old-b (published under both names, as the reference does).
    let b_meta = json!({"id": "new-b", "version": "1.0.0", "legacyIds": ["old-b"]});
    push(&reg.addr, "devc-test/order/new-b", "1", &b_meta, INSTALL);
    push(&reg.addr, "devc-test/order/old-b", "latest", &b_meta, INSTALL);
    push(&reg.addr, "devc-test/order/a", "1", &json!({"id": "a", "version": "1.0.0", "installsAfter": [format!("{ns}/old-b")]}), INSTALL);
    push(&reg.addr, "devc-test/order/p", "1", &json!({"id": "p", "version": "1.0.0"}), INSTALL);
    push(&reg.addr, "devc-test/order/q", "1", &json!({"id": "q", "version": "1.0.0"}), INSTALL);
    push(&reg.addr, "devc-test/order/c", "1", &json!({"id": "c", "version": "1.0.0", "dependsOn": {format!("{ns}/d:1"): {}}}), INSTALL);
    push(&reg.addr, "devc-test/order/d", "1", &json!({"id": "d", "version": "1.0.0", "installsAfter": [format!("{ns}/c")]}), INSTALL);

    let ws = Ws::new();
    let resolver = Resolver::new(ws.cache());
    // a installsAfter old-b, which new-b answers to through its legacyIds.
    let res = resolver.resolve(&ws.request(json!({ format!("{ns}/a:1"): {}, format!("{ns}/new-b:1"): {} }), Mode::Disabled)).await.unwrap();
    assert_eq!(ids(&res.features), vec![format!("{ns}/new-b:1"), format!("{ns}/a:1")]);

    // Without constraints p before q; overrideFeatureInstallOrder puts q first.
    let mut req = ws.request(json!({ format!("{ns}/p:1"): {}, format!("{ns}/q:1"): {} }), Mode::Disabled);
    assert_eq!(ids(&resolver.resolve(&req).await.unwrap().features), vec![format!("{ns}/p:1"), format!("{ns}/q:1")]);
    req.override_order = vec![format!("{ns}/q")];
    assert_eq!(ids(&resolver.resolve(&req).await.unwrap().features), vec![format!("{ns}/q:1"), format!("{ns}/p:1")]);

    // c dependsOn d, d installsAfter c: a cycle, named.
    let err = resolver.resolve(&ws.request(json!({ format!("{ns}/c:1"): {} }), Mode::Disabled)).await.unwrap_err().to_string();
    assert!(err.contains(&format!("Circular dependency detected: {ns}/c:1 → {ns}/d:1 → {ns}/c:1")), "{err}");
}

#[tokio::test]
async fn tarball_features_are_verified_locked_and_cached() {
    let meta = json!({"id": "color", "version": "0.1.0", "options": {"favorite": {"type": "string", "default": "red"}}});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&feature_tar(&[("devcontainer-feature.json", &meta.to_string()), ("install.sh", INSTALL)])).unwrap();
    let tgz = gz.finish().unwrap();
    let digest = devc_features::oci::sha256_digest(&tgz);
    let server = FileServer::start(vec![("/f/devcontainer-feature-color.tgz".into(), tgz)]);
    let url = format!("http://{}/f/devcontainer-feature-color.tgz", server.addr);

    let ws = Ws::new();
    let res = Resolver::new(ws.cache()).resolve(&ws.request(json!({ url.clone(): {} }), Mode::Update)).await.unwrap();
    assert_eq!(res.features[0].options["favorite"], "red");
    assert_eq!(res.features[0].digest.as_deref(), Some(digest.as_str()));
    let entry = res.lockfile.get(&url).expect("tarballs are locked");
    assert_eq!((entry.resolved.as_str(), entry.integrity.as_str(), entry.version.as_str()), (url.as_str(), digest.as_str(), "0.1.0"));
    lockfile::write_or_verify(&ws.config(), &res.lock_on_disk, &res.lockfile, Mode::Update).unwrap();

    // Locked and cached: no download at all.
    let before = server.requests.load(std::sync::atomic::Ordering::SeqCst);
    Resolver::new(ws.cache()).resolve(&ws.request(json!({ url.clone(): {} }), Mode::Frozen)).await.unwrap();
    assert_eq!(server.requests.load(std::sync::atomic::Ordering::SeqCst), before);

    // A lock file whose integrity differs from what is served: refused.
    let other = Ws::new();
    let wrong = format!("sha256:{}", "1".repeat(64));
    let lock = json!({"features": {url.clone(): {"version": "0.1.0", "resolved": url.clone(), "integrity": wrong}}});
    std::fs::write(lockfile::path_for(&other.config()), lock.to_string()).unwrap();
    let err = Resolver::new(other.cache()).resolve(&other.request(json!({ url.clone(): {} }), Mode::Update)).await.unwrap_err().to_string();
    assert!(err.contains("digest mismatch") && err.contains(&digest), "{err}");

    let missing = format!("http://{}/f/devcontainer-feature-missing.tgz", server.addr);
    let err = Resolver::new(other.cache()).resolve(&other.request(json!({ missing: {} }), Mode::Disabled)).await.unwrap_err().to_string();
    assert!(err.contains("HTTP 404"), "{err}");
}

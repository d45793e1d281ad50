//! Registry authentication against a real registry that wants HTTP Basic
//! credentials (htpasswd): anonymous access is refused with a hint, and the
//! credentials are found in `DEVCONTAINERS_OCI_AUTH`, in the Docker config
//! file (`$DOCKER_CONFIG/config.json` `auths`) and through its credential helper. One test in its own binary,
//! because it sets process environment variables.
//!
//!     cargo test -p devc-features --test registry_auth

mod support;

use base64::Engine as _;
use devc_features::cache::Cache;
use devc_features::lockfile::Mode;
use devc_features::Resolver;
use serde_json::json;
use support::*;

#[tokio::test]
async fn credentials_from_the_environment_and_the_docker_config() {
    let reg = Registry::start_with_auth();
    let auth_var = format!("{}|{USER}|{PASSWORD}", reg.addr);
    // SAFETY: the only test in this binary; nothing else reads the environment concurrently.
    unsafe {
        std::env::remove_var("DOCKER_CONFIG");
        std::env::set_var("DEVCONTAINERS_OCI_AUTH", &auth_var);
    }
    let digest = push(&reg.addr, "devc-test/private/secret", "1", &json!({"id": "secret", "version": "1.0.0"}), "#!/bin/sh\ntrue\n");
    let feature = format!("{}/devc-test/private/secret:1", reg.addr);

    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join(".devcontainer")).unwrap();
    let request = |cache: &str| {
        let mut r = devc_features::resolve::request_from_config(
            &json!({ "features": { feature.clone(): {} } }),
            &ws.path().join(".devcontainer/devcontainer.json"),
            ws.path(),
        );
        r.lockfile = Mode::Disabled;
        (r, Cache::new(ws.path().join(cache)))
    };

    // DEVCONTAINERS_OCI_AUTH.
    let (req, cache) = request("c1");
    let res = Resolver::new(cache).resolve(&req).await.unwrap();
    assert_eq!(res.features[0].digest.as_deref(), Some(digest.as_str()));

    // Anonymous: refused, with the next step named.
    unsafe { std::env::remove_var("DEVCONTAINERS_OCI_AUTH") };
    let empty = tempfile::tempdir().unwrap();
    unsafe { std::env::set_var("DOCKER_CONFIG", empty.path()) };
    let (req, cache) = request("c2");
    let err = Resolver::new(cache).resolve(&req).await.unwrap_err().to_string();
    assert!(err.contains("asks for a user name and password") && err.contains(&format!("docker login {}", reg.addr)), "{err}");

    // Wrong credentials: the registry's refusal, with the same hint.
    unsafe { std::env::set_var("DEVCONTAINERS_OCI_AUTH", format!("{}|{USER}|wrong", reg.addr)) };
    let (req, cache) = request("c3");
    let err = Resolver::new(cache).resolve(&req).await.unwrap_err().to_string();
    assert!(err.contains("401") && err.contains("docker login"), "{err}");
    unsafe { std::env::remove_var("DEVCONTAINERS_OCI_AUTH") };

    // $DOCKER_CONFIG/config.json auths (as `docker login` writes it).
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    std::fs::write(empty.path().join("config.json"), json!({"auths": {reg.addr.clone(): {"auth": auth}}}).to_string()).unwrap();
    let (req, cache) = request("c4");
    let res = Resolver::new(cache).resolve(&req).await.unwrap();
    assert_eq!(res.features[0].digest.as_deref(), Some(digest.as_str()));

    // A credential helper (`credsStore`), run as `docker-credential-<name> get`.
    let bin = tempfile::tempdir().unwrap();
    let helper = bin.path().join("docker-credential-devctest");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread registry\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$registry\"\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(empty.path().join("config.json"), json!({"credsStore": "devctest"}).to_string()).unwrap();
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
    unsafe { std::env::set_var("PATH", path) };
    let (req, cache) = request("c5");
    let res = Resolver::new(cache).resolve(&req).await.unwrap();
    assert_eq!(res.features[0].digest.as_deref(), Some(digest.as_str()));
}

//! The Bearer token flow (what ghcr.io and most public registries use)
//! against a real registry configured for token auth, with a token server
//! whose RS256 tokens the registry verifies: public Features are fetched with
//! an anonymous token, private ones with a token obtained with credentials,
//! and pushing asks for (and gets) `pull,push`. One test in its own binary,
//! because it sets process environment variables.
//!
//!     cargo test -p devc-features --test registry_token

mod support;
#[path = "support/token_server.rs"]
mod token_server;

use devc_features::cache::Cache;
use devc_features::lockfile::Mode;
use devc_features::Resolver;
use serde_json::json;
use support::*;
use token_server::TokenServer;

#[tokio::test]
async fn anonymous_and_authenticated_bearer_tokens() {
    let tokens = TokenServer::start();
    let reg = Registry::start_with_tokens(&format!("http://{}/token", tokens.addr));
    let empty = tempfile::tempdir().unwrap();
    // SAFETY: the only test in this binary; nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("DOCKER_CONFIG", empty.path());
        std::env::set_var("DEVCONTAINERS_OCI_AUTH", format!("{}|{USER}|{PASSWORD}", reg.addr));
    }
    let meta = json!({"id": "hello", "version": "1.0.0"});
    let public = push(&reg.addr, "devc-test/public/hello", "1", &meta, "#!/bin/sh\ntrue\n");
    let private = push(&reg.addr, "devc-test/private/hello", "1", &meta, "#!/bin/sh\ntrue\n");
    assert!(
        tokens.requests.lock().unwrap().iter().any(|(basic, scope)| *basic && scope.ends_with("devc-test/public/hello:pull,push")),
        "pushing asked for a pull,push token with credentials: {:?}",
        tokens.requests.lock().unwrap()
    );

    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join(".devcontainer")).unwrap();
    let resolve = |feature: String, cache: &str| {
        let mut r = devc_features::resolve::request_from_config(
            &json!({ "features": { feature: {} } }),
            &ws.path().join(".devcontainer/devcontainer.json"),
            ws.path(),
        );
        r.lockfile = Mode::Disabled;
        let cache = Cache::new(ws.path().join(cache));
        async move { Resolver::new(cache).resolve(&r).await }
    };

    // Anonymous: a token without credentials, enough for the public Feature.
    unsafe { std::env::remove_var("DEVCONTAINERS_OCI_AUTH") };
    tokens.requests.lock().unwrap().clear();
    let res = resolve(format!("{}/devc-test/public/hello:1", reg.addr), "c1").await.unwrap();
    assert_eq!(res.features[0].digest.as_deref(), Some(public.as_str()));
    let seen = tokens.requests.lock().unwrap().clone();
    assert_eq!(seen, vec![(false, "repository:devc-test/public/hello:pull".to_string())], "one anonymous token, reused for the blob");

    // The private Feature: the anonymous token grants nothing, and the error says what to do.
    let err = resolve(format!("{}/devc-test/private/hello:1", reg.addr), "c2").await.unwrap_err().to_string();
    assert!(err.contains("401") && err.contains(&format!("docker login {}", reg.addr)), "{err}");

    // With credentials the token server grants the pull.
    unsafe { std::env::set_var("DEVCONTAINERS_OCI_AUTH", format!("{}|{USER}|{PASSWORD}", reg.addr)) };
    let res = resolve(format!("{}/devc-test/private/hello:1", reg.addr), "c3").await.unwrap();
    assert_eq!(res.features[0].digest.as_deref(), Some(private.as_str()));

    // Wrong credentials: refused by the token server, then tried anonymously (as the reference does).
    unsafe { std::env::set_var("DEVCONTAINERS_OCI_AUTH", format!("{}|{USER}|wrong", reg.addr)) };
    tokens.requests.lock().unwrap().clear();
    let res = resolve(format!("{}/devc-test/public/hello:1", reg.addr), "c4").await.unwrap();
    assert_eq!(res.features[0].digest.as_deref(), Some(public.as_str()));
    let seen = tokens.requests.lock().unwrap().clone();
    assert_eq!(seen.iter().map(|(basic, _)| *basic).collect::<Vec<_>>(), vec![true, false], "{seen:?}");
}

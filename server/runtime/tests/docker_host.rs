//! `Docker::connect()` honours DOCKER_HOST. In its own test binary (one
//! process, one test) because it changes the environment.

use devc_runtime::{Docker, RuntimeError};

#[tokio::test]
async fn connect_to_a_dead_docker_host_is_daemon_unavailable() {
    std::env::set_var("DOCKER_HOST", "unix:///tmp/nonexistent.sock");
    match Docker::connect().await {
        Err(e @ RuntimeError::DaemonUnavailable { .. }) => {
            let text = e.to_string();
            assert!(text.contains("/tmp/nonexistent.sock"), "{text}");
            assert!(text.contains("DOCKER_HOST"), "the message names the fix: {text}");
        }
        Err(other) => panic!("expected DaemonUnavailable, got {other:?}"),
        Ok(_) => panic!("connected to a socket that does not exist"),
    }
}

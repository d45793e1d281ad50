//! DAEMON_UNAVAILABLE, in a process of its own (the only test of this binary):
//! for the Linux bridge DOCKER_HOST points at a socket that does not exist
//! before the bridge is first used; for another implementation the operator
//! stops its daemon first (`container system stop`) and sets
//! DEVC_CONFORMANCE_DAEMON_STOPPED=1.

mod support;

use serde_json::json;
use support::*;

#[test]
fn a_daemon_that_does_not_answer_is_daemon_unavailable() {
    let stopped_by_hand = std::env::var_os("DEVC_CONFORMANCE_DAEMON_STOPPED").is_some();
    if !stopped_by_hand {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("no-daemon.sock");
        // Before any bridge call in this process: the Linux bridge reads it once.
        std::env::set_var("DOCKER_HOST", format!("unix://{}", socket.display()));
        if platform() != "docker-engine" {
            eprintln!("skipped: stop the daemon and set DEVC_CONFORMANCE_DAEMON_STOPPED=1 to check DAEMON_UNAVAILABLE");
            return;
        }
    }
    let answer = ping(QUICK_MS, None);
    answer.expect_code("DAEMON_UNAVAILABLE");
    call("container_inspect", json!({"id": "anything"})).expect_code("DAEMON_UNAVAILABLE");
    builder_probe().expect_code("DAEMON_UNAVAILABLE");
    // Nothing that needs no daemon is affected.
    info().data();
}

//! `devc dap` driven by Microsoft's @vscode/debugadapter-testsupport
//! DebugClient (tests/dap-node/client.mjs), the client VS Code's own debug
//! adapters are tested with. Needs `node` and `npm`, the real dockerd and the
//! local test image.

mod common;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn vscode_debug_client_runs_a_process_through_devc_dap() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/dap-node");
    common::node::npm_ci_once(&dir, "@vscode/debugadapter-testsupport");
    let ws = tempfile::tempdir().unwrap();
    let path = ws.path().canonicalize().unwrap();
    let out = Command::new("node").arg(dir.join("client.mjs")).arg(env!("CARGO_BIN_EXE_devc")).arg(&path).output().expect("node");
    // The container this test created.
    let ids = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label=devcontainer.local_folder={}", path.display())])
        .output()
        .unwrap();
    for id in String::from_utf8_lossy(&ids.stdout).split_whitespace() {
        let _ = Command::new("docker").args(["rm", "-f", id]).output();
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("PASS"),
        "DebugClient failed ({:?})\nstdout: {stdout}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

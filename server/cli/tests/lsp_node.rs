//! `devc lsp` driven by a real client library: Microsoft's
//! vscode-languageserver-protocol (vscode-jsonrpc), the stack VS Code's client
//! is built on, from a small Node script (tests/lsp-node/client.mjs). Needs
//! `node` and `npm` (the npm registry is reachable on the CI machines).

mod common;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn vscode_languageserver_protocol_client_talks_to_devc_lsp() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/lsp-node");
    common::node::npm_ci_once(&dir, "vscode-languageserver-protocol");
    let ws = tempfile::tempdir().unwrap();
    let out = Command::new("node")
        .arg(dir.join("client.mjs"))
        .arg(env!("CARGO_BIN_EXE_devc"))
        .arg(ws.path())
        .output()
        .expect("node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("PASS"),
        "node client failed ({:?})\nstdout: {stdout}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

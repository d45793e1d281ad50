//! Node.js test clients (tests/lsp-node, tests/dap-node): their npm packages,
//! installed from the lock file the first time.

use std::path::Path;
use std::process::Command;

/// `npm ci` in `dir` unless `node_modules/<module>` is already there.
pub fn npm_ci_once(dir: &Path, module: &str) {
    if dir.join("node_modules").join(module).is_dir() {
        return;
    }
    let npm = Command::new("npm")
        .args(["ci", "--silent", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .output()
        .expect("npm (Node.js) is needed for this test");
    assert!(npm.status.success(), "npm ci failed: {}", String::from_utf8_lossy(&npm.stderr));
}

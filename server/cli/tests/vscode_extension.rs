//! The VS Code extension (`editors/vscode`) built, tested and packaged as a
//! user builds it: `npm ci` (when its node_modules is missing), `npm run
//! compile`, `npm test` — its unit tests plus the contract test that drives
//! this build of `devc lsp` (`DEVC_BIN`) — and `vsce package`, whose .vsix must
//! hold the manifest, the compiled entry point and the language client. Needs
//! `node`, `npm` and `python3` (the npm registry is reachable on CI).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn extension_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../editors/vscode")
}

/// Runs `program args` in `dir`; panics with its output unless it succeeds.
fn run(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (Node.js, npm and python3 are needed for this test): {e}"));
    assert!(
        out.status.success(),
        "{program} {} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The number after `# <name> ` in node:test's TAP summary.
fn tap_count(tap: &str, name: &str) -> Option<u64> {
    let prefix = format!("# {name} ");
    tap.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|n| n.trim().parse().ok())
}

#[test]
fn vscode_extension_compiles_passes_its_tests_and_packages() {
    let dir = extension_dir();
    let installed = ["vscode-languageclient", "typescript", "@vscode/vsce", "vscode-languageserver-protocol"]
        .iter()
        .all(|m| dir.join("node_modules").join(m).join("package.json").is_file());
    if !installed {
        run(&dir, "npm", &["ci", "--no-audit", "--no-fund"], &[]);
    }
    run(&dir, "npm", &["run", "compile"], &[]);

    // Unit tests, and the contract test against the devc built with this test.
    let tests = run(&dir, "npm", &["test"], &[("DEVC_BIN", env!("CARGO_BIN_EXE_devc"))]);
    let tap = String::from_utf8_lossy(&tests.stdout);
    assert_eq!(tap_count(&tap, "fail"), Some(0), "{tap}");
    assert_eq!(tap_count(&tap, "skipped"), Some(0), "no test may be skipped (is DEVC_BIN passed?)\n{tap}");
    assert!(tap_count(&tap, "pass").is_some_and(|n| n >= 40), "{tap}");
    assert!(tap.contains("ok ") && tap.contains("devc lsp keeps the contract the extension relies on"), "{tap}");

    // The package. `--allow-missing-repository`: package.json has no repository URL (vsce asks otherwise).
    let out_dir = tempfile::tempdir().unwrap();
    let vsix = out_dir.path().join("devc.vsix");
    let vsix_arg = vsix.to_str().unwrap();
    run(&dir, "npx", &["--no-install", "vsce", "package", "--allow-missing-repository", "--out", vsix_arg], &[]);
    assert!(vsix.is_file(), "vsce did not write {}", vsix.display());

    // Its file list, and the manifest it carries.
    let script = "import json, sys, zipfile\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  print(json.dumps({'names': z.namelist(), 'manifest': json.loads(z.read('extension/package.json'))}))\n";
    let listed = run(&dir, "python3", &["-c", script, vsix_arg], &[]);
    let listing: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("python printed JSON");
    let names: Vec<&str> = listing["names"].as_array().unwrap().iter().filter_map(|n| n.as_str()).collect();
    for needed in [
        "extension/package.json",
        "extension/out/src/extension.js",
        "extension/out/src/launchSchema.js",
        "extension/readme.md",
        "extension/LICENSE.txt",
        "extension/node_modules/vscode-languageclient/package.json",
        "extension/node_modules/vscode-languageclient/lib/node/main.js",
    ] {
        assert!(names.contains(&needed), "{needed} is not in the .vsix: {names:?}");
    }
    for name in &names {
        assert!(
            !name.starts_with("extension/src/") && !name.starts_with("extension/out/test/") && !name.contains("node_modules/typescript/"),
            "{name} should not be packaged"
        );
    }
    let manifest = &listing["manifest"];
    assert_eq!(manifest["main"], "./out/src/extension.js");
    assert_eq!(manifest["contributes"]["debuggers"][0]["type"], "devcontainer");
    assert!(manifest["contributes"]["debuggers"][0]["configurationAttributes"]["launch"]["properties"]["readiness"].is_object());
    let size = std::fs::metadata(&vsix).unwrap().len();
    eprintln!("devc.vsix: {size} bytes, {} files", names.len());
}

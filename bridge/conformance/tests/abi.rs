//! The ABI itself: the header compiles (C11 + dlfcn) and every export it
//! declares is found in the implementation under test and callable through
//! the header's prototypes; and devc's loader refuses libraries that are not
//! a bridge of its ABI version, naming why, before calling anything else.
//! Needs a C compiler (`cc`, or CC), as any Rust toolchain on Linux or macOS has.

mod support;

use devc_runtime::{Apple, RuntimeError};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn include_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../include")
}

fn cc() -> String {
    std::env::var("CC").ok().filter(|c| !c.is_empty()).unwrap_or_else(|| "cc".into())
}

/// Compiles `args` with the C compiler; panics with its output on failure.
fn compile(args: &[&str]) {
    let out = Command::new(cc()).args(args).output().unwrap_or_else(|e| panic!("cannot run {} ({e}); set CC", cc()));
    assert!(out.status.success(), "{} {args:?} failed:\n{}", cc(), String::from_utf8_lossy(&out.stderr));
}

/// A shared library built from C `source`.
fn library(dir: &Path, name: &str, source: &str) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).unwrap();
    let lib = dir.join(format!("lib{name}.so"));
    compile(&["-shared", "-fPIC", "-o", lib.to_str().unwrap(), c.to_str().unwrap()]);
    lib
}

#[test]
fn the_header_compiles_and_matches_the_implementation() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("header_check");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/header_check.c");
    let include = format!("-I{}", include_dir().display());
    compile(&["-std=gnu11", "-Wall", "-Wextra", "-Werror", &include, "-o", exe.to_str().unwrap(), source.to_str().unwrap(), "-ldl"]);
    let out = Command::new(&exe).arg(support::path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "header_check failed ({:?}): {}\n{stdout}", out.status, String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(lines[0]["data"]["abiVersion"], 1, "{stdout}");
    assert_eq!(lines[1]["code"], "CANCELLED", "{stdout}");
    assert_eq!(lines[2]["code"], "CANCELLED", "{stdout}");
    assert_eq!(lines[3]["code"], "INVALID_ARGUMENT", "{stdout}");
}

/// Every other export aborts the process: the loader must look at the version
/// before it resolves or calls anything else.
const TRAP: &str = "#include <stdlib.h>\nchar *devc_bridge_info(void) { abort(); }\nvoid devc_bridge_free(char *s) { (void)s; abort(); }\n";

fn bridge_error(path: &Path) -> String {
    match Apple::load(path) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(e @ RuntimeError::Bridge { .. }) => e.to_string(),
        Err(other) => panic!("not a bridge error: {other:?}"),
    }
}

#[test]
fn a_bridge_of_another_abi_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let newer = library(dir.path(), "newer", &format!("#include <stdint.h>\nuint32_t devc_bridge_abi_version(void) {{ return 2; }}\n{TRAP}"));
    let message = bridge_error(&newer);
    assert!(message.contains("ABI version 2") && message.contains("needs version 1"), "{message}");
    assert!(message.contains(newer.to_str().unwrap()) && message.contains("--bridge"), "names the file and the fix: {message}");

    let older = library(dir.path(), "older", &format!("#include <stdint.h>\nuint32_t devc_bridge_abi_version(void) {{ return 0; }}\n{TRAP}"));
    assert!(bridge_error(&older).contains("ABI version 0"));
}

#[test]
fn a_library_that_is_not_a_complete_bridge_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let unrelated = library(dir.path(), "unrelated", "int something_else(void) { return 1; }\n");
    let message = bridge_error(&unrelated);
    assert!(message.contains("not a devc bridge"), "{message}");

    let partial = library(dir.path(), "partial", &format!("#include <stdint.h>\nuint32_t devc_bridge_abi_version(void) {{ return 1; }}\n{TRAP}"));
    let message = bridge_error(&partial);
    assert!(message.contains("lacks the export devc_bridge_cancel_new"), "{message}");

    let text = dir.path().join("text.so");
    std::fs::write(&text, "not a library").unwrap();
    assert!(bridge_error(&text).contains("cannot load it"));
}

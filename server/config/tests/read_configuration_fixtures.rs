//! Snapshot tests against outputs of the reference CLI (`devcontainer read-configuration`,
//! @devcontainers/cli 0.89.0). Each `tests/fixtures/<case>/` holds the workspace tree
//! (`ws/`), the inputs (`case.json`: env, flags, image/container labels) and the
//! reference's stdout with the root folder replaced by `@ROOT@` (`expected.json`);
//! see `tests/fixtures/README.md` and `regenerate.py`. Comparison is exact, key order included.

use devc_config::discovery::discover_config_from;
use devc_config::{
    labels_from_list, parse_metadata_label, read_configuration, ContainerContext, HostPlatform,
    ReadConfigurationOptions, WorkspaceOptions,
};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs our read-configuration on one fixture; returns (ours, expected) as compact JSON.
fn run_case(name: &str) -> (String, String) {
    let case_dir = fixtures_dir().join(name);
    let case: Value =
        serde_json::from_str(&fs::read_to_string(case_dir.join("case.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let case_root = root.join(name);
    copy_tree(&case_dir.join("ws"), &case_root);
    if let Some(wt) = case.get("worktree") {
        // The layout `git worktree add` leaves, with a relative gitdir.
        let (main, name) = (
            wt["main"].as_str().unwrap(),
            wt["worktree"].as_str().unwrap(),
        );
        fs::create_dir_all(case_root.join(main).join(".git/worktrees").join(name)).unwrap();
        fs::write(
            case_root.join(name).join(".git"),
            format!("gitdir: ../{main}/.git/worktrees/{name}\n"),
        )
        .unwrap();
    }
    if let Some(git) = case["git_init"].as_str() {
        // The reference found the root with `git init` + `git rev-parse`; a `.git` folder
        // is what our walk looks for.
        fs::create_dir_all(case_root.join(git).join(".git")).unwrap();
    }
    let ws = devc_config::discovery::normalize_path(
        &case_root.join(case["workspace"].as_str().unwrap_or(".")),
    );
    let explicit = case["config"].as_str().map(|c| ws.join(c));
    let found = discover_config_from(&ws, &ws, explicit.as_deref()).unwrap();
    let document: Value = serde_json::from_str(&fs::read_to_string(&found.path).unwrap()).unwrap();

    let local_env: HashMap<String, String> = case["env"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let container = case.get("container").map(|c| ContainerContext {
        id_labels: labels_from_list(&strings(&c["id_labels"])),
        env: labels_from_list(&strings(&c["inspect_env"]))
            .into_iter()
            .collect(),
    });
    let opts = ReadConfigurationOptions {
        workspace_folder: Some(ws.clone()),
        config_file: found.path.clone(),
        config_source: found.source,
        local_env,
        workspace: WorkspaceOptions {
            mount_workspace_git_root: case["mount_workspace_git_root"].as_bool().unwrap_or(true),
            mount_git_worktree_common_dir: case["mount_git_worktree_common_dir"]
                .as_bool()
                .unwrap_or(false),
            consistency: None,
            platform: HostPlatform::Linux,
        },
        container,
        id_labels: None,
    };
    let resolved = read_configuration(document, &opts).unwrap();

    let merged = if case["include_merged"].as_bool().unwrap_or(false) {
        let entries = match &opts.container {
            Some(c) => {
                let mut labels: IndexMap<String, String> = c.id_labels.clone();
                if let Some(l) = case["container"]["metadata_label"].as_str() {
                    labels.insert("devcontainer.metadata".into(), l.to_string());
                }
                resolved.container_metadata_entries(&labels, &[]).unwrap()
            }
            None => {
                let base = match case["image_metadata_label"].as_str() {
                    Some(l) => parse_metadata_label(l).unwrap(),
                    None => Vec::new(),
                };
                resolved.metadata_entries(&base, &[]).unwrap()
            }
        };
        Some(resolved.merged_configuration(&entries))
    } else {
        None
    };
    let out = resolved.to_output(merged.as_ref());
    let ours = serde_json::to_string(&out)
        .unwrap()
        .replace(&root.to_string_lossy().into_owned(), "@ROOT@");
    let expected: Value =
        serde_json::from_str(&fs::read_to_string(case_dir.join("expected.json")).unwrap()).unwrap();
    (ours, serde_json::to_string(&expected).unwrap())
}

fn all_cases() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(fixtures_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("case.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn all_fixtures_match_reference_output() {
    let cases = all_cases();
    assert!(cases.len() >= 20, "fixtures missing: {cases:?}");
    let mut failures = Vec::new();
    for name in &cases {
        let (ours, expected) = run_case(name);
        if ours != expected {
            failures.push(format!(
                "--- {name}\nours:     {ours}\nexpected: {expected}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

//! Default `workspaceMount`/`workspaceFolder`, as the reference's `getWorkspaceConfiguration`:
//! git-root aware bind mount to `/workspaces/<name>`, explicit values from the config win,
//! compose configs default to `/`; plus the optional git-worktree common-dir mount.

use crate::js;
use crate::substitute::posix_basename;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Host OS, which decides whether `,consistency=` is appended to the default mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostPlatform {
    Linux,
    MacOs,
    Windows,
}

impl HostPlatform {
    /// The platform this binary runs on.
    pub fn current() -> Self {
        if cfg!(target_os = "macos") {
            HostPlatform::MacOs
        } else if cfg!(windows) {
            HostPlatform::Windows
        } else {
            HostPlatform::Linux
        }
    }
}

/// Inputs of the default computation (CLI flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceOptions {
    /// `--mount-workspace-git-root` (default true).
    pub mount_workspace_git_root: bool,
    /// `--mount-git-worktree-common-dir` (default false).
    pub mount_git_worktree_common_dir: bool,
    /// `--workspace-mount-consistency`; `None` means `consistent` (read-configuration).
    pub consistency: Option<String>,
    pub platform: HostPlatform,
}

impl Default for WorkspaceOptions {
    fn default() -> Self {
        WorkspaceOptions {
            mount_workspace_git_root: true,
            mount_git_worktree_common_dir: false,
            consistency: None,
            platform: HostPlatform::current(),
        }
    }
}

/// The `workspace` object of `read-configuration`. Values are kept as JSON because the
/// reference echoes whatever the config holds (e.g. `"workspaceMount": null`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkspaceConfig {
    pub workspace_folder: Option<Value>,
    pub workspace_mount: Option<Value>,
    /// Extra bind mount of a worktree's common git dir.
    pub additional_mount_string: Option<String>,
}

impl WorkspaceConfig {
    /// The remote workspace folder, when it is a string.
    pub fn workspace_folder_str(&self) -> Option<&str> {
        self.workspace_folder.as_ref().and_then(Value::as_str)
    }

    /// The workspace mount, when it is a string.
    pub fn workspace_mount_str(&self) -> Option<&str> {
        self.workspace_mount.as_ref().and_then(Value::as_str)
    }

    /// After substitution the config's own values win (reference `readDevContainerConfigFile`):
    /// a string `workspaceFolder`, and `workspaceMount` whenever the key is present.
    pub fn apply_substituted_config(&mut self, config: &Value) {
        if let Some(Value::String(wf)) = config.get("workspaceFolder") {
            self.workspace_folder = Some(Value::String(wf.clone()));
        }
        if let Some(wm) = config.get("workspaceMount") {
            self.workspace_mount = Some(wm.clone());
        }
    }

    /// `{"workspaceFolder", "workspaceMount", "additionalMountString"}`, absent values omitted.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(v) = &self.workspace_folder {
            m.insert("workspaceFolder".into(), v.clone());
        }
        if let Some(v) = &self.workspace_mount {
            m.insert("workspaceMount".into(), v.clone());
        }
        if let Some(v) = &self.additional_mount_string {
            m.insert("additionalMountString".into(), Value::String(v.clone()));
        }
        Value::Object(m)
    }
}

/// Walks up from `folder` to the first directory containing `.git` (a folder, or a
/// file for worktrees and submodules).
pub fn find_git_root(folder: &Path) -> Option<PathBuf> {
    folder
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Node's `path.posix.normalize`.
pub fn posix_normalize(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let absolute = p.starts_with('/');
    let trailing = p.ends_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if out.is_empty() && !absolute {
        out.push('.');
    }
    if trailing && !out.is_empty() {
        out.push('/');
    }
    if absolute {
        out.insert(0, '/');
    }
    out
}

/// Node's `path.posix.join`.
pub fn posix_join(parts: &[&str]) -> String {
    let joined = parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    posix_normalize(&joined)
}

/// Node's `path.posix.resolve` (without a cwd: the first part must be absolute).
pub fn posix_resolve(parts: &[&str]) -> String {
    let mut acc = String::new();
    for p in parts.iter().rev() {
        if p.is_empty() {
            continue;
        }
        acc = if acc.is_empty() {
            p.to_string()
        } else {
            format!("{p}/{acc}")
        };
        if p.starts_with('/') {
            break;
        }
    }
    let n = posix_normalize(&acc);
    if n.len() > 1 {
        n.trim_end_matches('/').to_string()
    } else {
        n
    }
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `key=value`, wrapped in double quotes when the value contains ',' (reference quoting).
fn quoted(key: &str, value: &str) -> String {
    if value.contains(',') {
        format!("\"{key}={value}\"")
    } else {
        format!("{key}={value}")
    }
}

fn consistency_suffix(opts: &WorkspaceOptions) -> String {
    if opts.platform == HostPlatform::Linux {
        String::new() // Podman does not tolerate consistency=
    } else {
        format!(
            ",consistency={}",
            opts.consistency.as_deref().unwrap_or("consistent")
        )
    }
}

/// Computes the workspace configuration before substitution (the reference's
/// `getWorkspaceConfiguration`); `workspace_folder` is the absolute host folder, if any.
pub fn workspace_configuration(
    workspace_folder: Option<&Path>,
    config: &Value,
    opts: &WorkspaceOptions,
) -> WorkspaceConfig {
    if config.get("dockerComposeFile").is_some() {
        let wf = config
            .get("workspaceFolder")
            .filter(|v| js::truthy(v))
            .cloned();
        return WorkspaceConfig {
            workspace_folder: Some(wf.unwrap_or_else(|| Value::String("/".into()))),
            workspace_mount: None,
            additional_mount_string: None,
        };
    }
    let mut workspace_folder_v = config.get("workspaceFolder").cloned();
    let mut workspace_mount_v = config.get("workspaceMount").cloned();
    let has_mount_key = config.get("workspaceMount").is_some();
    let mut additional = None;
    if let Some(ws) = workspace_folder {
        if !js::truthy_opt(workspace_folder_v.as_ref()) || !has_mount_key {
            let host_mount = if opts.mount_workspace_git_root {
                find_git_root(ws).unwrap_or_else(|| ws.to_path_buf())
            } else {
                ws.to_path_buf()
            };
            let host_mount_s = path_str(&host_mount);
            let mut container_mount = posix_join(&["/workspaces", posix_basename(&host_mount_s)]);
            if opts.mount_workspace_git_root && opts.mount_git_worktree_common_dir {
                if let Some((mount, extra)) = worktree_mount(&host_mount, opts) {
                    container_mount = mount;
                    additional = Some(extra);
                }
            }
            if !js::truthy_opt(workspace_folder_v.as_ref()) {
                let rel = ws
                    .strip_prefix(&host_mount)
                    .map(path_str)
                    .unwrap_or_default();
                workspace_folder_v = Some(Value::String(posix_join(&[&container_mount, &rel])));
            }
            if !has_mount_key {
                workspace_mount_v = Some(Value::String(format!(
                    "type=bind,{},{}{}",
                    quoted("source", &host_mount_s),
                    quoted("target", &container_mount),
                    consistency_suffix(opts)
                )));
            }
        }
    }
    WorkspaceConfig {
        workspace_folder: workspace_folder_v,
        workspace_mount: workspace_mount_v,
        additional_mount_string: additional,
    }
}

/// For a worktree whose `.git` file holds a relative `gitdir:`, the container mount folder
/// (mirroring the layout up to the common dir's parent) and the extra common-dir mount.
fn worktree_mount(host_mount: &Path, opts: &WorkspaceOptions) -> Option<(String, String)> {
    let dot_git = host_mount.join(".git");
    if !dot_git.is_file() {
        return None;
    }
    let content = std::fs::read_to_string(&dot_git).ok()?;
    let gitdir = content
        .lines()
        .find_map(|l| l.strip_prefix("gitdir:"))
        .map(str::trim)?;
    if gitdir.is_empty() || Path::new(gitdir).is_absolute() {
        return None;
    }
    let host_mount_s = path_str(host_mount);
    let common_dir = posix_resolve(&[&host_mount_s, gitdir, "..", ".."]);
    let mut segments: Vec<String> = Vec::new();
    let mut current = host_mount.to_path_buf();
    loop {
        let cur_s = path_str(&current);
        let parent = current.parent().map(Path::to_path_buf);
        let at_root = !matches!(parent.as_deref(), Some(p) if p != current);
        if common_dir.starts_with(&format!("{}/", cur_s.trim_end_matches('/'))) || at_root {
            break;
        }
        segments.insert(0, posix_basename(&cur_s).to_string());
        current = parent?;
    }
    let mut parts = vec!["/workspaces"];
    parts.extend(segments.iter().map(String::as_str));
    let container_mount = posix_join(&parts);
    let container_common = posix_resolve(&[&container_mount, gitdir, "..", ".."]);
    let extra = format!(
        "type=bind,{},{}{}",
        quoted("source", &common_dir),
        quoted("target", &container_common),
        consistency_suffix(opts)
    );
    Some((container_mount, extra))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn linux() -> WorkspaceOptions {
        WorkspaceOptions {
            platform: HostPlatform::Linux,
            ..Default::default()
        }
    }

    #[test]
    fn default_mount_and_folder() {
        let t = tempfile::tempdir().unwrap();
        let ws = t.path().join("proj");
        std::fs::create_dir(&ws).unwrap();
        let w = workspace_configuration(Some(&ws), &json!({"image": "x"}), &linux());
        assert_eq!(w.workspace_folder, Some(json!("/workspaces/proj")));
        assert_eq!(
            w.workspace_mount_str().unwrap(),
            format!("type=bind,source={},target=/workspaces/proj", ws.display())
        );
        assert_eq!(
            w.to_json(),
            json!({"workspaceFolder": "/workspaces/proj", "workspaceMount": format!("type=bind,source={},target=/workspaces/proj", ws.display())})
        );
    }

    #[test]
    fn git_root_is_mounted_and_subpath_kept() {
        let t = tempfile::tempdir().unwrap();
        let repo = t.path().join("repo");
        let ws = repo.join("packages/app");
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::create_dir(repo.join(".git")).unwrap();
        let w = workspace_configuration(Some(&ws), &json!({}), &linux());
        assert_eq!(
            w.workspace_folder_str(),
            Some("/workspaces/repo/packages/app")
        );
        assert_eq!(
            w.workspace_mount_str().unwrap(),
            format!(
                "type=bind,source={},target=/workspaces/repo",
                repo.display()
            )
        );
        let opts = WorkspaceOptions {
            mount_workspace_git_root: false,
            ..linux()
        };
        let w = workspace_configuration(Some(&ws), &json!({}), &opts);
        assert_eq!(w.workspace_folder_str(), Some("/workspaces/app"));
        // .git as a file (worktree/submodule) also marks a root.
        std::fs::remove_dir(repo.join(".git")).unwrap();
        std::fs::write(ws.join(".git"), "gitdir: /elsewhere").unwrap();
        assert_eq!(find_git_root(&ws), Some(ws.clone()));
    }

    #[test]
    fn explicit_values_win() {
        let ws = Path::new("/h/p");
        let c = json!({"workspaceFolder": "/src", "workspaceMount": "type=bind,source=/h/p,target=/src"});
        let w = workspace_configuration(Some(ws), &c, &linux());
        assert_eq!(w.workspace_folder_str(), Some("/src"));
        assert_eq!(
            w.workspace_mount_str(),
            Some("type=bind,source=/h/p,target=/src")
        );
        // Only a mount: folder still defaults. A null mount is echoed.
        let w = workspace_configuration(Some(ws), &json!({"workspaceMount": null}), &linux());
        assert_eq!(w.workspace_folder_str(), Some("/workspaces/p"));
        assert_eq!(w.workspace_mount, Some(Value::Null));
    }

    #[test]
    fn consistency_and_quoting() {
        let opts = WorkspaceOptions {
            platform: HostPlatform::MacOs,
            ..Default::default()
        };
        let w = workspace_configuration(Some(Path::new("/h/a,b")), &json!({}), &opts);
        assert_eq!(
            w.workspace_mount_str(),
            Some("type=bind,\"source=/h/a,b\",\"target=/workspaces/a,b\",consistency=consistent")
        );
        let opts = WorkspaceOptions {
            consistency: Some("cached".into()),
            ..opts
        };
        let w = workspace_configuration(Some(Path::new("/h/a")), &json!({}), &opts);
        assert_eq!(
            w.workspace_mount_str(),
            Some("type=bind,source=/h/a,target=/workspaces/a,consistency=cached")
        );
    }

    #[test]
    fn compose_defaults_to_root_without_mount() {
        let w = workspace_configuration(
            Some(Path::new("/h/a")),
            &json!({"dockerComposeFile": "x.yml"}),
            &linux(),
        );
        assert_eq!(w.to_json(), json!({"workspaceFolder": "/"}));
        let w = workspace_configuration(
            Some(Path::new("/h/a")),
            &json!({"dockerComposeFile": [], "workspaceFolder": "/w"}),
            &linux(),
        );
        assert_eq!(w.to_json(), json!({"workspaceFolder": "/w"}));
    }

    #[test]
    fn no_workspace_echoes_config() {
        let w = workspace_configuration(None, &json!({"workspaceFolder": "/x"}), &linux());
        assert_eq!(w.to_json(), json!({"workspaceFolder": "/x"}));
    }

    #[test]
    fn worktree_common_dir_mount() {
        let t = tempfile::tempdir().unwrap();
        let main = t.path().join("main");
        let wt = t.path().join("wt");
        std::fs::create_dir_all(main.join(".git/worktrees/wt")).unwrap();
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(wt.join(".git"), "gitdir: ../main/.git/worktrees/wt\n").unwrap();
        let opts = WorkspaceOptions {
            mount_git_worktree_common_dir: true,
            ..linux()
        };
        let w = workspace_configuration(Some(&wt), &json!({}), &opts);
        assert_eq!(w.workspace_folder_str(), Some("/workspaces/wt"));
        assert_eq!(
            w.additional_mount_string.as_deref().unwrap(),
            format!(
                "type=bind,source={},target=/workspaces/main/.git",
                main.join(".git").display()
            )
        );
    }

    #[test]
    fn posix_helpers_like_node() {
        assert_eq!(posix_join(&["/workspaces", ""]), "/workspaces");
        assert_eq!(posix_join(&["/workspaces/x", "a/b"]), "/workspaces/x/a/b");
        assert_eq!(posix_join(&["/workspaces", "a/"]), "/workspaces/a/");
        assert_eq!(posix_normalize("/a/../../b/./c"), "/b/c");
        assert_eq!(posix_normalize("a/../.."), "..");
        assert_eq!(
            posix_resolve(&["/w/x", "../y/.git/worktrees/n", "..", ".."]),
            "/w/y/.git"
        );
    }
}

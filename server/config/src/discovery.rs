//! Locating devcontainer.json: `--config` wins, then the two well-known paths the
//! reference CLI checks, then (beyond the reference, as the spec allows) a single
//! `.devcontainer/<folder>/devcontainer.json`. Also lexical path resolution à la `path.resolve`.

use crate::error::ConfigError;
use std::path::{Component, Path, PathBuf};

/// How a config file was found; decides the URI scheme the reference prints
/// for `configFilePath` (`file` for `--config`, `vscode-fileHost` otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// Given with `--config`.
    Explicit,
    /// `.devcontainer/devcontainer.json` or `.devcontainer.json`.
    WellKnown,
    /// The only `.devcontainer/<folder>/devcontainer.json` (not done by the reference CLI).
    SubFolder,
}

/// A located config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredConfig {
    pub path: PathBuf,
    pub source: ConfigSource,
}

/// The two paths the reference CLI checks, in order.
pub fn well_known_config_paths(workspace_folder: &Path) -> [PathBuf; 2] {
    [
        workspace_folder
            .join(".devcontainer")
            .join("devcontainer.json"),
        workspace_folder.join(".devcontainer.json"),
    ]
}

/// Finds the config file for `workspace_folder` (see module docs). A relative
/// `explicit` path is resolved against the current directory.
pub fn find_config(
    workspace_folder: &Path,
    explicit: Option<&Path>,
) -> Result<PathBuf, ConfigError> {
    discover_config(workspace_folder, explicit).map(|d| d.path)
}

/// Like [`find_config`], also telling how the file was found.
pub fn discover_config(
    workspace_folder: &Path,
    explicit: Option<&Path>,
) -> Result<DiscoveredConfig, ConfigError> {
    let cwd = std::env::current_dir().map_err(|e| ConfigError::io(".", e))?;
    discover_config_from(&cwd, workspace_folder, explicit)
}

/// [`discover_config`] with an explicit current directory (relative paths,
/// including `workspace_folder`, are resolved against `cwd`).
pub fn discover_config_from(
    cwd: &Path,
    workspace_folder: &Path,
    explicit: Option<&Path>,
) -> Result<DiscoveredConfig, ConfigError> {
    if let Some(explicit) = explicit {
        let path = resolve_path(cwd, explicit);
        if path.is_file() {
            return Ok(DiscoveredConfig {
                path,
                source: ConfigSource::Explicit,
            });
        }
        return Err(ConfigError::ExplicitConfigNotFound { path });
    }
    let ws = resolve_path(cwd, workspace_folder);
    let well_known = well_known_config_paths(&ws);
    for p in &well_known {
        if p.is_file() {
            return Ok(DiscoveredConfig {
                path: p.clone(),
                source: ConfigSource::WellKnown,
            });
        }
    }
    let mut found = sub_folder_configs(&ws)?;
    match found.len() {
        1 => Ok(DiscoveredConfig {
            path: found.remove(0),
            source: ConfigSource::SubFolder,
        }),
        0 => {
            let mut candidates = well_known.to_vec();
            candidates.push(
                ws.join(".devcontainer")
                    .join("<folder>")
                    .join("devcontainer.json"),
            );
            Err(ConfigError::NotFound {
                workspace: ws,
                candidates,
            })
        }
        _ => Err(ConfigError::AmbiguousConfig {
            workspace: ws,
            candidates: found,
        }),
    }
}

/// All `<ws>/.devcontainer/<folder>/devcontainer.json` files, sorted.
pub fn sub_folder_configs(workspace_folder: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let dir = workspace_folder.join(".devcontainer");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(Vec::new())
        }
        Err(e) => return Err(ConfigError::io(dir, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ConfigError::io(&dir, e))?;
        let candidate = entry.path().join("devcontainer.json");
        if entry.path().is_dir() && candidate.is_file() {
            found.push(candidate);
        }
    }
    found.sort();
    Ok(found)
}

/// Resolves `path` against `base` lexically, like Node's `path.resolve(base, path)`:
/// `.` and `..` are folded, repeated and trailing separators dropped, symlinks kept.
pub fn resolve_path(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    if is_normalized(&joined) {
        return joined; // what normalize_path would rebuild, byte for byte
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let bytes = joined.as_os_str().as_bytes();
        if bytes.starts_with(b"/") {
            // normalize_path on an absolute Unix path, on bytes: empty and `.`
            // segments vanish, `..` drops the previous segment (none at the root).
            let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
            for seg in bytes.split(|&c| c == b'/') {
                match seg {
                    b"" | b"." => {}
                    b".." => {
                        let cut = out.iter().rposition(|&c| c == b'/').unwrap_or(0);
                        out.truncate(cut);
                    }
                    _ => {
                        out.push(b'/');
                        out.extend_from_slice(seg);
                    }
                }
            }
            if out.is_empty() {
                out.push(b'/');
            }
            return PathBuf::from(std::ffi::OsString::from_vec(out));
        }
    }
    normalize_path(&joined)
}

/// Whether `path` is already in the form [`normalize_path`] produces: on Unix,
/// `/`-separated non-empty segments, none of them `.` or `..`, no trailing `/`.
/// Conservative: `false` just means "normalize it".
fn is_normalized(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        let rest = bytes.strip_prefix(b"/").unwrap_or(bytes);
        !rest.is_empty() && rest.split(|&c| c == b'/').all(|seg| !seg.is_empty() && seg != b"." && seg != b"..")
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// Lexical normalization of an absolute or relative path (no filesystem access).
pub fn normalize_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::with_capacity(path.as_os_str().len());
    for comp in path.components() {
        match comp {
            Component::Prefix(p) => out.push(p.as_os_str()),
            Component::RootDir => out.push(Component::RootDir.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                let popped = match out.components().next_back() {
                    Some(Component::Normal(_)) => out.pop(),
                    Some(Component::RootDir) | Some(Component::Prefix(_)) => true,
                    _ => false,
                };
                if !popped {
                    out.push("..");
                }
            }
            Component::Normal(c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn touch(p: &Path) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, "{}").unwrap();
    }

    #[test]
    fn prefers_dot_devcontainer_folder() {
        let t = tempfile::tempdir().unwrap();
        let ws = t.path();
        touch(&ws.join(".devcontainer/devcontainer.json"));
        touch(&ws.join(".devcontainer.json"));
        let d = discover_config(ws, None).unwrap();
        assert_eq!(d.path, ws.join(".devcontainer/devcontainer.json"));
        assert_eq!(d.source, ConfigSource::WellKnown);
    }

    #[test]
    fn falls_back_to_root_file() {
        let t = tempfile::tempdir().unwrap();
        touch(&t.path().join(".devcontainer.json"));
        assert_eq!(
            find_config(t.path(), None).unwrap(),
            t.path().join(".devcontainer.json")
        );
    }

    #[test]
    fn explicit_wins_and_must_exist() {
        let t = tempfile::tempdir().unwrap();
        let ws = t.path();
        touch(&ws.join(".devcontainer/devcontainer.json"));
        touch(&ws.join("other/custom.json"));
        let d = discover_config_from(
            ws,
            Path::new("/nonexistent"),
            Some(Path::new("other/./custom.json")),
        )
        .unwrap();
        assert_eq!(d.path, ws.join("other/custom.json"));
        assert_eq!(d.source, ConfigSource::Explicit);
        let err = discover_config_from(ws, ws, Some(Path::new("missing.json"))).unwrap_err();
        assert!(matches!(err, ConfigError::ExplicitConfigNotFound { .. }));
        assert!(err.to_string().contains("missing.json"), "{err}");
    }

    #[test]
    fn single_sub_folder_is_used() {
        let t = tempfile::tempdir().unwrap();
        touch(&t.path().join(".devcontainer/python/devcontainer.json"));
        let d = discover_config(t.path(), None).unwrap();
        assert_eq!(
            d.path,
            t.path().join(".devcontainer/python/devcontainer.json")
        );
        assert_eq!(d.source, ConfigSource::SubFolder);
    }

    #[test]
    fn several_sub_folders_are_ambiguous_and_listed_sorted() {
        let t = tempfile::tempdir().unwrap();
        touch(&t.path().join(".devcontainer/node/devcontainer.json"));
        touch(&t.path().join(".devcontainer/go/devcontainer.json"));
        fs::create_dir_all(t.path().join(".devcontainer/empty")).unwrap();
        let err = find_config(t.path(), None).unwrap_err();
        match &err {
            ConfigError::AmbiguousConfig { candidates, .. } => {
                assert_eq!(
                    candidates,
                    &vec![
                        t.path().join(".devcontainer/go/devcontainer.json"),
                        t.path().join(".devcontainer/node/devcontainer.json")
                    ]
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("--config"));
    }

    #[test]
    fn nothing_found_lists_where_we_looked() {
        let t = tempfile::tempdir().unwrap();
        let err = find_config(t.path(), None).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(".devcontainer/devcontainer.json"), "{msg}");
        assert!(msg.contains(".devcontainer.json"), "{msg}");
        assert!(msg.contains("pass --config"), "{msg}");
    }

    #[test]
    fn resolve_is_lexical() {
        assert_eq!(
            resolve_path(Path::new("/a/b"), Path::new("../c/./d/")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(
            resolve_path(Path::new("/a"), Path::new("/x/../../y")),
            PathBuf::from("/y")
        );
        assert_eq!(
            normalize_path(Path::new("/w s#é/")),
            PathBuf::from("/w s#é")
        );
    }
}

//! Feature identifiers as written in devcontainer.json: local folders
//! (`./x`), OCI references (`registry/namespace/id[:tag|@sha256:…]`), direct
//! tarball URLs (`https://…/devcontainer-feature-<id>.tgz`), and the legacy
//! short ids the reference CLI maps onto `ghcr.io/devcontainers/features`.
//! Pure: nothing here touches the network or the disk.

use crate::FeatureError;
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// Where a Feature comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A folder next to the config (absolute, normalized).
    Local { path: PathBuf },
    Oci(OciRef),
    Tarball { url: String },
}

impl Source {
    /// Sorting class, as the reference compares features of different kinds by user id.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Local { .. } => "file-path",
            Source::Oci(_) => "oci",
            Source::Tarball { .. } => "direct-tarball",
        }
    }
}

/// A parsed OCI reference (lowercased, as the reference does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OciRef {
    /// `ghcr.io` (may carry a port).
    pub registry: String,
    /// `devcontainers/features`.
    pub namespace: String,
    /// `node`.
    pub id: String,
    /// `1` (`latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// `sha256:…`.
    pub digest: Option<String>,
}

impl OciRef {
    /// `devcontainers/features/node`: the repository path on the registry.
    pub fn path(&self) -> String {
        if self.namespace.is_empty() {
            self.id.clone()
        } else {
            format!("{}/{}", self.namespace, self.id)
        }
    }

    /// `ghcr.io/devcontainers/features/node`.
    pub fn resource(&self) -> String {
        format!("{}/{}", self.registry, self.path())
    }

    /// The digest if pinned, else the tag.
    pub fn version(&self) -> &str {
        self.digest.as_deref().or(self.tag.as_deref()).unwrap_or("latest")
    }
}

impl fmt::Display for OciRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.digest, &self.tag) {
            (Some(d), _) => write!(f, "{}@{d}", self.resource()),
            (None, Some(t)) => write!(f, "{}:{t}", self.resource()),
            (None, None) => write!(f, "{}", self.resource()),
        }
    }
}

/// The short ids the reference maps to `ghcr.io/devcontainers/features/<id>:1`.
const MIGRATED: [&str; 18] = [
    "aws-cli",
    "azure-cli",
    "desktop-lite",
    "docker-in-docker",
    "docker-from-docker",
    "dotnet",
    "git",
    "git-lfs",
    "github-cli",
    "java",
    "kubectl-helm-minikube",
    "node",
    "powershell",
    "python",
    "ruby",
    "rust",
    "sshd",
    "terraform",
];
const RENAMED: [(&str, &str); 2] = [("golang", "go"), ("common", "common-utils")];
/// Short ids that became options of another Feature: (id, target, option).
pub const INTO_OPTIONS: [(&str, &str, &str); 3] =
    [("gradle", "java", "installGradle"), ("maven", "java", "installMaven"), ("jupyterlab", "python", "installJupyterlab")];
pub const LEGACY_NAMESPACE: &str = "ghcr.io/devcontainers/features";

/// A legacy short id's replacement and the deprecation warning to show, if it has one.
pub fn map_legacy_id(id: &str) -> Option<(String, String)> {
    if MIGRATED.contains(&id) {
        return Some((
            format!("{LEGACY_NAMESPACE}/{id}:1"),
            format!("(!) WARNING: Using the deprecated '{id}' Feature. See https://github.com/devcontainers/features/tree/main/src/{id}#example-usage for the updated Feature."),
        ));
    }
    RENAMED.iter().find(|(old, _)| *old == id).map(|(old, new)| {
        (
            format!("{LEGACY_NAMESPACE}/{new}:1"),
            format!("(!) WARNING: Using the deprecated '{old}' Feature. See https://github.com/devcontainers/features/tree/main/src/{new}#example-usage for the updated Feature."),
        )
    })
}

/// Parses a Feature identifier. `config_file` anchors local paths, which must
/// stay inside `<workspace>/.devcontainer` (or the config's own folder when the
/// config lives elsewhere, e.g. given with `--config`).
pub fn parse(user_id: &str, config_file: &Path, workspace_folder: &Path) -> Result<Source, FeatureError> {
    let id = user_id.trim();
    if !id.contains('/') && !id.contains('\\') {
        return Err(FeatureError::LegacyId { id: id.to_string() });
    }
    if let Some(rest) = id.strip_prefix("https://").or_else(|| id.strip_prefix("http://")) {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() {
            return Err(FeatureError::Reference { id: id.into(), message: "the URL has no host".into() });
        }
        // Plain HTTP could hand anyone on the way the install script: loopback only.
        if id.starts_with("http://") && !is_loopback_registry(host) {
            return Err(FeatureError::Reference { id: id.into(), message: "a tarball Feature must be fetched over https://".into() });
        }
        tarball_id(id)?;
        return Ok(Source::Tarball { url: id.to_string() });
    }
    if id.starts_with("./") || id.starts_with("../") || id.starts_with(".\\") || id.starts_with("..\\") {
        return local(id, config_file, workspace_folder);
    }
    if id.starts_with('/') || Path::new(id).is_absolute() {
        return Err(FeatureError::LocalPath {
            id: id.into(),
            path: PathBuf::from(id),
            message: "an absolute path to a local Feature is not allowed; put the Feature in the .devcontainer folder and reference it as \"./<folder>\"".into(),
        });
    }
    parse_oci(id).map(Source::Oci)
}

fn local(id: &str, config_file: &Path, workspace_folder: &Path) -> Result<Source, FeatureError> {
    let config_dir = config_file.parent().unwrap_or(Path::new("/"));
    let path = normalize(&config_dir.join(id.replace('\\', "/")));
    let devcontainer_dir = normalize(&workspace_folder.join(".devcontainer"));
    let allowed = if normalize(config_dir).starts_with(&devcontainer_dir) || config_dir == normalize(workspace_folder) {
        devcontainer_dir
    } else {
        normalize(config_dir)
    };
    if !path.starts_with(&allowed) || path == allowed {
        return Err(FeatureError::LocalPath {
            id: id.into(),
            path: path.clone(),
            message: format!(
                "a local Feature must be a sub-folder of {} (it resolves to {}); move the Feature folder there",
                allowed.display(),
                path.display()
            ),
        });
    }
    Ok(Source::Local { path })
}

/// `a/./b/../c` → `a/c`, without touching the disk.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The Feature id a tarball URL names: `…/devcontainer-feature-<id>.tgz`.
pub fn tarball_id(url: &str) -> Result<String, FeatureError> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name = path.rsplit('/').next().unwrap_or("");
    let id = name
        .strip_prefix("devcontainer-feature-")
        .and_then(|s| s.strip_suffix(".tgz").or_else(|| s.strip_suffix(".tar.gz")).or_else(|| s.strip_suffix(".tar")))
        .ok_or_else(|| FeatureError::Reference {
            id: url.into(),
            message: format!("expected the tarball name to follow 'devcontainer-feature-<feature-id>.tgz', found '{name}'"),
        })?;
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(FeatureError::Reference {
            id: url.into(),
            message: format!("the Feature id '{id}' in the tarball name may only hold letters, digits, '-' and '_'"),
        });
    }
    Ok(id.to_string())
}

fn path_ok(path: &str) -> bool {
    // ^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$
    !path.is_empty()
        && path.split('/').all(|comp| {
            let bytes = comp.as_bytes();
            !bytes.is_empty()
                && bytes[0].is_ascii_alphanumeric()
                && bytes[bytes.len() - 1].is_ascii_alphanumeric()
                && bytes.windows(2).all(|w| !(is_sep(w[0]) && is_sep(w[1])))
                && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || is_sep(*b))
        })
}

fn is_sep(b: u8) -> bool {
    matches!(b, b'.' | b'_' | b'-')
}

fn tag_ok(tag: &str) -> bool {
    // ^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// `registry/namespace…/id[:tag|@sha256:digest]` (lowercased; tag `latest` by default).
pub fn parse_oci(input: &str) -> Result<OciRef, FeatureError> {
    let input = input.to_lowercase();
    let err = |message: String| FeatureError::Reference { id: input.clone(), message };
    if input.starts_with('.') {
        return Err(err("an OCI reference cannot start with '.'".into()));
    }
    let (resource, tag, digest) = if let Some(at) = input.rfind('@') {
        let digest = &input[at + 1..];
        let Some(("sha256", hex)) = digest.split_once(':') else {
            return Err(err(format!("cannot parse digest '{digest}'; expected 'sha256:<64 hex digits>'")));
        };
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err(format!("digest '{digest}' is not 'sha256:' followed by 64 hex digits")));
        }
        (input[..at].to_string(), None, Some(digest.to_string()))
    } else {
        match input.rfind(':') {
            Some(colon) if colon > input.rfind('/').unwrap_or(0) => {
                (input[..colon].to_string(), Some(input[colon + 1..].to_string()), None)
            }
            _ => (input.clone(), Some("latest".to_string()), None),
        }
    };
    if let Some(t) = &tag {
        if !tag_ok(t) {
            return Err(err(format!("tag '{t}' is not valid (letters, digits, '.', '_' and '-', at most 128)")));
        }
    }
    let mut parts: Vec<&str> = resource.split('/').collect();
    if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) {
        return Err(err("expected <registry>/<namespace>/<feature>[:<tag>]".into()));
    }
    if parts.get(1) == Some(&"devcontainers-contrib") {
        tracing::info!("Redirecting 'devcontainers-contrib' to 'devcontainers-extra'.");
        parts[1] = "devcontainers-extra";
    }
    let registry = parts[0].to_string();
    let id = parts[parts.len() - 1].to_string();
    let namespace = parts[1..parts.len() - 1].join("/");
    let path = if namespace.is_empty() { id.clone() } else { format!("{namespace}/{id}") };
    if !path_ok(&path) {
        return Err(err(format!("repository path '{path}' is not valid (lowercase letters and digits separated by '.', '_', '-' or '/')")));
    }
    if !registry.contains('.') && !registry.starts_with("localhost") {
        return Err(err(format!(
            "'{registry}' is not a registry host (no '.' and not localhost); write the full reference, e.g. ghcr.io/{resource}"
        )));
    }
    Ok(OciRef { registry, namespace, id, tag, digest })
}

/// Whether a registry host (`host[:port]`, `[v6]:port`) is on the loopback
/// interface (plain HTTP, as Docker allows for such registries without
/// configuration): `localhost` or a loopback IP address, nothing else (no
/// user part, no name that merely starts with `127.`).
pub fn is_loopback_registry(registry: &str) -> bool {
    if registry.contains(['@', '/', '?', '#']) {
        return false;
    }
    let host = if let Some(rest) = registry.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, tail)) if tail.is_empty() || tail.starts_with(':') => h,
            _ => return false,
        }
    } else {
        registry.rsplit_once(':').map(|(h, _)| h).unwrap_or(registry)
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The short id of a Feature: the OCI id, the tarball id or the folder name.
pub fn short_id(source: &Source) -> String {
    match source {
        Source::Local { path } => path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        Source::Oci(r) => r.id.clone(),
        Source::Tarball { url } => tarball_id(url).unwrap_or_default(),
    }
}

/// The user id without its version (`ghcr.io/x/y:1` → `ghcr.io/x/y`).
pub fn without_version(user_id: &str) -> &str {
    if let Some(at) = user_id.rfind('@') {
        return &user_id[..at];
    }
    match user_id.rfind(':') {
        Some(c) if c > user_id.rfind('/').unwrap_or(0) && !user_id.starts_with("https://") && !user_id.starts_with("http://") => &user_id[..c],
        _ => user_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> (PathBuf, PathBuf) {
        (PathBuf::from("/ws/.devcontainer/devcontainer.json"), PathBuf::from("/ws"))
    }

    #[test]
    fn oci_references_parse_like_the_reference() {
        let r = parse_oci("ghcr.io/devcontainers/features/node:1").unwrap();
        assert_eq!((r.registry.as_str(), r.namespace.as_str(), r.id.as_str(), r.tag.as_deref()), ("ghcr.io", "devcontainers/features", "node", Some("1")));
        assert_eq!(r.resource(), "ghcr.io/devcontainers/features/node");
        let r = parse_oci("GHCR.io/Owner/Repo/Go").unwrap();
        assert_eq!((r.id.as_str(), r.tag.as_deref()), ("go", Some("latest")));
        let r = parse_oci("localhost:5000/a/b:2.0").unwrap();
        assert_eq!((r.registry.as_str(), r.path().as_str(), r.tag.as_deref()), ("localhost:5000", "a/b", Some("2.0")));
        let r = parse_oci("127.0.0.1:5000/a/b").unwrap();
        assert_eq!((r.registry.as_str(), r.tag.as_deref()), ("127.0.0.1:5000", Some("latest")));
        let d = format!("sha256:{}", "a".repeat(64));
        let r = parse_oci(&format!("ghcr.io/a/b/c@{d}")).unwrap();
        assert_eq!((r.digest.as_deref(), r.tag.as_deref()), (Some(d.as_str()), None));
        assert_eq!(r.to_string(), format!("ghcr.io/a/b/c@{d}"));
        assert_eq!(parse_oci("ghcr.io/devcontainers-contrib/features/x:1").unwrap().namespace, "devcontainers-extra/features");
    }

    #[test]
    fn bad_oci_references_say_why() {
        let e = parse_oci("ghcr.io/a/b@sha512:abc").unwrap_err().to_string();
        assert!(e.contains("sha256"), "{e}");
        let e = parse_oci("ghcr.io/a/b:-bad").unwrap_err().to_string();
        assert!(e.contains("tag '-bad'"), "{e}");
        let e = parse_oci("ghcr.io/a__/b").unwrap_err().to_string();
        assert!(e.contains("repository path"), "{e}");
        let e = parse_oci("owner/repo/feature").unwrap_err().to_string();
        assert!(e.contains("not a registry host"), "{e}");
    }

    #[test]
    fn identifiers_are_classified() {
        let (cfg, ws) = ws();
        assert_eq!(parse("./local", &cfg, &ws).unwrap(), Source::Local { path: "/ws/.devcontainer/local".into() });
        assert!(matches!(parse("ghcr.io/a/b/c:1", &cfg, &ws).unwrap(), Source::Oci(_)));
        assert!(matches!(
            parse("https://example.com/x/devcontainer-feature-hello.tgz", &cfg, &ws).unwrap(),
            Source::Tarball { .. }
        ));
        assert!(matches!(parse("node", &cfg, &ws), Err(FeatureError::LegacyId { .. })));
        let e = parse("/abs/feature", &cfg, &ws).unwrap_err().to_string();
        assert!(e.contains("absolute path"), "{e}");
        let e = parse("../outside", &cfg, &ws).unwrap_err().to_string();
        assert!(e.contains("must be a sub-folder of /ws/.devcontainer"), "{e}");
        // A root-level .devcontainer.json reaches into .devcontainer.
        let root_cfg = PathBuf::from("/ws/.devcontainer.json");
        assert_eq!(parse("./.devcontainer/x", &root_cfg, &ws).unwrap(), Source::Local { path: "/ws/.devcontainer/x".into() });
        assert!(parse("./x", &root_cfg, &ws).is_err());
        let e = parse("http://example.com/devcontainer-feature-x.tgz", &cfg, &ws).unwrap_err().to_string();
        assert!(e.contains("https://"), "{e}");
        assert!(parse("http://127.0.0.1:8080/devcontainer-feature-x.tgz", &cfg, &ws).is_ok());
        let e = parse("https://example.com/feature.tgz", &cfg, &ws).unwrap_err().to_string();
        assert!(e.contains("devcontainer-feature-<feature-id>.tgz"), "{e}");
    }

    #[test]
    fn legacy_ids_map_as_the_reference() {
        assert_eq!(map_legacy_id("node").unwrap().0, "ghcr.io/devcontainers/features/node:1");
        assert_eq!(map_legacy_id("golang").unwrap().0, "ghcr.io/devcontainers/features/go:1");
        assert!(map_legacy_id("node").unwrap().1.contains("deprecated 'node'"));
        assert!(map_legacy_id("fish").is_none());
    }

    #[test]
    fn helpers() {
        assert!(is_loopback_registry("127.0.0.1:5000"));
        assert!(is_loopback_registry("localhost"));
        assert!(is_loopback_registry("[::1]:80"));
        assert!(!is_loopback_registry("ghcr.io"));
        // Names and user parts that only look local.
        assert!(!is_loopback_registry("127.evil.com"));
        assert!(!is_loopback_registry("127.0.0.1@evil.com"));
        assert!(!is_loopback_registry("[::1]x"));
        assert!(is_loopback_registry("127.0.0.2:5000"));
        assert_eq!(without_version("ghcr.io/a/b:1"), "ghcr.io/a/b");
        assert_eq!(without_version("localhost:5000/a/b"), "localhost:5000/a/b");
        assert_eq!(without_version("./x"), "./x");
        assert_eq!(tarball_id("https://h/p/devcontainer-feature-color.tgz?x=1").unwrap(), "color");
    }
}

//! `devcontainer-lock.json` (`.devcontainer-lock.json` next to a config
//! whose name starts with a dot), in the reference's format:
//! `{"features": {"<id as written>": {"version", "resolved", "integrity",
//! "dependsOn"?}}}`, keys sorted, 2-space JSON and a trailing newline. Only
//! OCI and tarball Features are recorded. `--frozen-lockfile` turns a
//! missing or different file into an error; `--no-lockfile` skips it.

use crate::order::locale_cmp;
use crate::FeatureError;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// How the lock file takes part in a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Read it to pin digests, then write it when it changed (the default).
    #[default]
    Update,
    /// Read it; fail when it is missing or the resolution differs.
    Frozen,
    /// Neither read nor write.
    Disabled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub version: String,
    /// `registry/path@sha256:…` or the tarball URL.
    pub resolved: String,
    /// The manifest digest (OCI) or the tarball's sha256.
    pub integrity: String,
    pub depends_on: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lockfile {
    /// Sorted by key (the reference's `localeCompare`).
    pub features: Vec<(String, Entry)>,
}

/// What is on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnDisk {
    Missing,
    /// An empty file: "create the lock file on the next build".
    Empty,
    Present(Lockfile),
}

pub fn path_for(config_file: &Path) -> PathBuf {
    let dir = config_file.parent().unwrap_or(Path::new("."));
    let dotted = config_file.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
    dir.join(if dotted { ".devcontainer-lock.json" } else { "devcontainer-lock.json" })
}

impl Lockfile {
    pub fn new(mut features: Vec<(String, Entry)>) -> Lockfile {
        features.sort_by(|a, b| locale_cmp(&a.0, &b.0));
        features.dedup_by(|a, b| a.0 == b.0);
        Lockfile { features }
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.features.iter().find(|(k, _)| k == id).map(|(_, e)| e)
    }

    pub fn to_json(&self) -> Value {
        let mut features = Map::new();
        for (id, e) in &self.features {
            let mut m = Map::new();
            m.insert("version".into(), e.version.clone().into());
            m.insert("resolved".into(), e.resolved.clone().into());
            m.insert("integrity".into(), e.integrity.clone().into());
            if !e.depends_on.is_empty() {
                m.insert("dependsOn".into(), e.depends_on.iter().cloned().map(Value::String).collect());
            }
            features.insert(id.clone(), Value::Object(m));
        }
        let mut root = Map::new();
        root.insert("features".into(), Value::Object(features));
        Value::Object(root)
    }

    /// The file's text: `JSON.stringify(lockfile, null, 2) + "\n"`.
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn from_json(v: &Value) -> Option<Lockfile> {
        let features = v.get("features")?.as_object()?;
        let mut out = Vec::new();
        for (id, e) in features {
            let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            let depends_on = e
                .get("dependsOn")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|d| d.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            out.push((id.clone(), Entry { version: s("version"), resolved: s("resolved"), integrity: s("integrity"), depends_on }));
        }
        Some(Lockfile { features: out })
    }
}

/// Reads the lock file next to `config_file`. Unparsable content is an error
/// naming the file (a hand-edited lock file should not be silently replaced).
pub fn read(config_file: &Path) -> Result<OnDisk, FeatureError> {
    let path = path_for(config_file);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(OnDisk::Missing),
        Err(e) => return Err(FeatureError::io("read", &path, e)),
    };
    if text.trim().is_empty() {
        return Ok(OnDisk::Empty);
    }
    let parsed = serde_json::from_str::<Value>(&text).ok().and_then(|v| Lockfile::from_json(&v));
    parsed.map(OnDisk::Present).ok_or_else(|| FeatureError::Lockfile {
        path: path.clone(),
        message: "the lock file is not valid (expected {\"features\": {…}})".into(),
        hint: "Delete it to have it written again, or fix it".into(),
    })
}

/// Writes `new` next to `config_file` when it differs from what is there
/// (compared as normalized JSON), or fails in frozen mode. As the reference
/// does, a config whose Features are all local gets `{"features": {}}`.
pub fn write_or_verify(config_file: &Path, on_disk: &OnDisk, new: &Lockfile, mode: Mode) -> Result<bool, FeatureError> {
    let path = path_for(config_file);
    if mode == Mode::Disabled {
        return Ok(false);
    }
    let frozen = |message: &str, hint: &str| FeatureError::Lockfile { path: path.clone(), message: message.into(), hint: hint.into() };
    match on_disk {
        OnDisk::Missing if mode == Mode::Frozen => {
            return Err(frozen("Lockfile does not exist.", "Run `devc up` (or `devc build`) without --frozen-lockfile once to create it"));
        }
        OnDisk::Present(old) if old.to_text() == new.to_text() => return Ok(false),
        _ if mode == Mode::Frozen => {
            return Err(frozen(
                &format!("Lockfile does not match.{}", describe_difference(on_disk, new)),
                "Run without --frozen-lockfile to update it, or pin the Features in devcontainer.json to the locked versions",
            ));
        }
        _ => {}
    }
    std::fs::write(&path, new.to_text()).map_err(|e| FeatureError::io("write", &path, e))?;
    tracing::info!("Wrote {}", path.display());
    Ok(true)
}

fn describe_difference(on_disk: &OnDisk, new: &Lockfile) -> String {
    let OnDisk::Present(old) = on_disk else { return " The lock file is empty.".into() };
    let mut parts = Vec::new();
    for (id, e) in &new.features {
        match old.get(id) {
            None => parts.push(format!("'{id}' is not locked")),
            Some(o) if o != e => parts.push(format!("'{id}' resolves to {} but is locked to {}", e.integrity, o.integrity)),
            _ => {}
        }
    }
    for (id, _) in &old.features {
        if new.get(id).is_none() {
            parts.push(format!("'{id}' is locked but no longer used"));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" {}.", parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(d: &str) -> Entry {
        Entry { version: "1.0.0".into(), resolved: format!("ghcr.io/a/b@{d}"), integrity: d.into(), depends_on: vec![] }
    }

    #[test]
    fn format_matches_the_reference() {
        let mut with_deps = entry("sha256:2");
        with_deps.depends_on = vec!["ghcr.io/a/c:1".into()];
        let l = Lockfile::new(vec![("ghcr.io/a/z:1".into(), with_deps), ("ghcr.io/a/b:1".into(), entry("sha256:1"))]);
        assert_eq!(
            l.to_text(),
            "{\n  \"features\": {\n    \"ghcr.io/a/b:1\": {\n      \"version\": \"1.0.0\",\n      \"resolved\": \"ghcr.io/a/b@sha256:1\",\n      \"integrity\": \"sha256:1\"\n    },\n    \"ghcr.io/a/z:1\": {\n      \"version\": \"1.0.0\",\n      \"resolved\": \"ghcr.io/a/b@sha256:2\",\n      \"integrity\": \"sha256:2\",\n      \"dependsOn\": [\n        \"ghcr.io/a/c:1\"\n      ]\n    }\n  }\n}\n"
        );
        assert_eq!(Lockfile::from_json(&l.to_json()).unwrap(), l);
        assert_eq!(path_for(Path::new("/w/.devcontainer/devcontainer.json")), Path::new("/w/.devcontainer/devcontainer-lock.json"));
        assert_eq!(path_for(Path::new("/w/.devcontainer.json")), Path::new("/w/.devcontainer-lock.json"));
    }

    #[test]
    fn write_verify_and_frozen() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("devcontainer.json");
        let l = Lockfile::new(vec![("ghcr.io/a/b:1".into(), entry("sha256:1"))]);
        // Frozen without a file.
        let e = write_or_verify(&cfg, &OnDisk::Missing, &l, Mode::Frozen).unwrap_err().to_string();
        assert!(e.starts_with("Lockfile does not exist."), "{e}");
        // Written, then unchanged.
        assert!(write_or_verify(&cfg, &OnDisk::Missing, &l, Mode::Update).unwrap());
        let on_disk = read(&cfg).unwrap();
        assert_eq!(on_disk, OnDisk::Present(l.clone()));
        assert!(!write_or_verify(&cfg, &on_disk, &l, Mode::Frozen).unwrap());
        // A different resolution in frozen mode names the Feature.
        let changed = Lockfile::new(vec![("ghcr.io/a/b:1".into(), entry("sha256:9"))]);
        let e = write_or_verify(&cfg, &on_disk, &changed, Mode::Frozen).unwrap_err().to_string();
        assert!(e.contains("Lockfile does not match. 'ghcr.io/a/b:1' resolves to sha256:9 but is locked to sha256:1."), "{e}");
        // Disabled never writes; only local Features: an empty lock file, as the reference.
        assert!(!write_or_verify(&cfg, &on_disk, &changed, Mode::Disabled).unwrap());
        let other = dir.path().join("x");
        std::fs::create_dir_all(&other).unwrap();
        assert!(write_or_verify(&other.join("devcontainer.json"), &OnDisk::Missing, &Lockfile::default(), Mode::Update).unwrap());
        assert_eq!(std::fs::read_to_string(other.join("devcontainer-lock.json")).unwrap(), "{\n  \"features\": {}\n}\n");
        // An empty file is "init".
        std::fs::write(path_for(&cfg), "").unwrap();
        assert_eq!(read(&cfg).unwrap(), OnDisk::Empty);
        std::fs::write(path_for(&cfg), "[1]").unwrap();
        assert!(read(&cfg).unwrap_err().to_string().contains("not valid"));
    }
}

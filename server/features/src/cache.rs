//! The on-disk Feature cache, keyed by digest: `oci/<hex>/` holds the
//! Feature whose manifest digest is `sha256:<hex>` (its `manifest.json` and
//! the extracted `feature/` folder), `tarball/<hex>/` a tarball Feature by the
//! tarball's sha256. `index.json` remembers which digest a tag or URL last
//! resolved to, for offline use and for the language server's completion.
//! Entries appear atomically (extracted aside, then renamed into place).
//!
//! Root: `$DEVC_FEATURE_CACHE`, else `$XDG_CACHE_HOME/devc/features`, else
//! `~/.cache/devc/features`.

use crate::oci::sha256_digest;
use crate::FeatureError;
use serde_json::{Map, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Oci,
    Tarball,
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Kind::Oci => "oci",
            Kind::Tarball => "tarball",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Cache {
    pub root: PathBuf,
}

static TMP: AtomicU64 = AtomicU64::new(0);

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// The cache of this user (see the module doc).
    pub fn default_location() -> Cache {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let root = var("DEVC_FEATURE_CACHE")
            .or_else(|| var("XDG_CACHE_HOME").filter(|p| p.is_absolute()).map(|x| x.join("devc").join("features")))
            .or_else(|| var("HOME").map(|h| h.join(".cache").join("devc").join("features")))
            .unwrap_or_else(|| std::env::temp_dir().join("devc-features-cache"));
        Cache::new(root)
    }

    fn entry_dir(&self, kind: Kind, digest: &str) -> Option<PathBuf> {
        let hex = digest.strip_prefix("sha256:")?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.join(kind.dir()).join(hex.to_ascii_lowercase()))
    }

    /// The extracted Feature folder for a digest, if cached.
    pub fn feature_dir(&self, kind: Kind, digest: &str) -> Option<PathBuf> {
        let dir = self.entry_dir(kind, digest)?.join("feature");
        dir.is_dir().then_some(dir)
    }

    /// The cached manifest bytes of an OCI Feature.
    pub fn manifest(&self, digest: &str) -> Option<Vec<u8>> {
        std::fs::read(self.entry_dir(Kind::Oci, digest)?.join("manifest.json")).ok()
    }

    /// Extracts `archive` (tar, gzip'd or not) as the entry for `digest` and
    /// returns its Feature folder. An entry already there is kept.
    pub fn store(&self, kind: Kind, digest: &str, archive: &[u8], manifest: Option<&[u8]>, label: &str) -> Result<PathBuf, FeatureError> {
        let Some(final_dir) = self.entry_dir(kind, digest) else {
            return Err(FeatureError::Archive { reference: label.into(), message: format!("'{digest}' is not a sha256 digest") });
        };
        if final_dir.join("feature").is_dir() {
            return Ok(final_dir.join("feature"));
        }
        let parent = final_dir.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| FeatureError::io("create the Feature cache", &parent, e))?;
        let tmp = parent.join(format!(".tmp-{}-{}", std::process::id(), TMP.fetch_add(1, Ordering::Relaxed)));
        let result = (|| {
            extract(archive, &tmp.join("feature"), label)?;
            if let Some(m) = manifest {
                std::fs::write(tmp.join("manifest.json"), m).map_err(|e| FeatureError::io("write", tmp.join("manifest.json"), e))?;
            }
            match std::fs::rename(&tmp, &final_dir) {
                Ok(()) => Ok(()),
                // Another process stored the same digest first.
                Err(_) if final_dir.join("feature").is_dir() => Ok(()),
                Err(e) => Err(FeatureError::io("move into the Feature cache", &final_dir, e)),
            }
        })();
        let _ = std::fs::remove_dir_all(&tmp);
        result.map(|()| final_dir.join("feature"))
    }

    fn index_path(&self) -> PathBuf {
        self.root.join("index.json")
    }

    fn read_index(&self) -> Map<String, Value> {
        std::fs::read(self.index_path())
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    }

    /// Records that `key` (`registry/path:tag` or a tarball URL) resolved to `digest`.
    pub fn remember(&self, key: &str, digest: &str) {
        let mut index = self.read_index();
        if index.get(key).and_then(Value::as_str) == Some(digest) {
            return;
        }
        index.insert(key.to_string(), Value::String(digest.to_string()));
        let tmp = self.root.join(format!(".index-{}-{}", std::process::id(), TMP.fetch_add(1, Ordering::Relaxed)));
        let text = serde_json::to_string_pretty(&Value::Object(index)).unwrap_or_default();
        let written = std::fs::create_dir_all(&self.root)
            .and_then(|()| std::fs::write(&tmp, text))
            .and_then(|()| std::fs::rename(&tmp, self.index_path()));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            tracing::debug!("cannot update {}: {e}", self.index_path().display());
        }
    }

    /// The digest `key` last resolved to.
    pub fn recall(&self, key: &str) -> Option<String> {
        self.read_index().get(key).and_then(Value::as_str).map(str::to_string)
    }

    /// Every remembered key with its digest (tags and URLs seen so far).
    pub fn known(&self) -> Vec<(String, String)> {
        self.read_index().into_iter().filter_map(|(k, v)| v.as_str().map(|d| (k, d.to_string()))).collect()
    }
}

/// Unpacks a Feature archive into `dest` (created). gzip is detected by its magic.
pub fn extract(archive: &[u8], dest: &Path, label: &str) -> Result<(), FeatureError> {
    let bad = |message: String| FeatureError::Archive { reference: label.into(), message };
    std::fs::create_dir_all(dest).map_err(|e| FeatureError::io("create", dest, e))?;
    let reader: Box<dyn Read> = if archive.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(archive))
    } else {
        Box::new(archive)
    };
    let mut tar = tar::Archive::new(reader);
    tar.set_preserve_permissions(true);
    tar.set_overwrite(true);
    tar.unpack(dest).map_err(|e| bad(format!("cannot unpack the Feature archive: {e}")))?;
    Ok(())
}

/// The digest a tarball Feature is cached (and locked) under.
pub fn tarball_digest(bytes: &[u8]) -> String {
    sha256_digest(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(files: &[(&str, &str)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, content) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(content.len() as u64);
            h.set_mode(0o755);
            h.set_cksum();
            b.append_data(&mut h, name, content.as_bytes()).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn stores_by_digest_and_remembers_tags() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let archive = tar_with(&[("./devcontainer-feature.json", "{\"id\":\"a\"}"), ("./install.sh", "echo hi")]);
        let digest = format!("sha256:{}", "ab".repeat(32));
        assert!(cache.feature_dir(Kind::Oci, &digest).is_none());
        let stored = cache.store(Kind::Oci, &digest, &archive, Some(b"{}"), "x").unwrap();
        assert_eq!(std::fs::read_to_string(stored.join("install.sh")).unwrap(), "echo hi");
        assert_eq!(cache.feature_dir(Kind::Oci, &digest), Some(stored.clone()));
        assert_eq!(cache.manifest(&digest).unwrap(), b"{}");
        // Storing again keeps the entry.
        assert_eq!(cache.store(Kind::Oci, &digest, b"garbage", None, "x").unwrap(), stored);
        cache.remember("ghcr.io/a/b:1", &digest);
        assert_eq!(cache.recall("ghcr.io/a/b:1"), Some(digest.clone()));
        assert_eq!(cache.known(), vec![("ghcr.io/a/b:1".to_string(), digest)]);
        assert!(cache.feature_dir(Kind::Oci, "sha256:../../etc").is_none());
    }

    #[test]
    fn gzip_archives_and_bad_archives() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar_with(&[("install.sh", "x")])).unwrap();
        let bytes = gz.finish().unwrap();
        extract(&bytes, &dir.path().join("out"), "t").unwrap();
        assert!(dir.path().join("out/install.sh").is_file());
        let e = extract(&[0x1f, 0x8b, 0, 1, 2], &dir.path().join("bad"), "t").unwrap_err().to_string();
        assert!(e.contains("cannot unpack"), "{e}");
    }
}

//! From devcontainer.json's `features` to an ordered list of Features ready
//! to install: legacy ids mapped, each Feature fetched (local folder, OCI
//! registry or tarball, through the digest-keyed cache and pinned by the lock
//! file), `dependsOn` followed recursively and de-duplicated by identity and
//! options, `installsAfter` and `overrideFeatureInstallOrder` applied, options
//! resolved, and the new lock file computed.

use crate::cache::{tarball_digest, Cache, Kind};
use crate::lockfile::{self, Entry, Lockfile, Mode, OnDisk};
use crate::metadata::FeatureMetadata;
use crate::oci::{Client, Manifest};
use crate::order::{self, Ident, Node};
use crate::reference::{self, Source, INTO_OPTIONS, LEGACY_NAMESPACE};
use crate::{options, FeatureError};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use tokio::sync::OnceCell;

/// What to resolve.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub config_file: PathBuf,
    pub workspace_folder: PathBuf,
    /// devcontainer.json's `features` (substituted).
    pub features: IndexMap<String, Value>,
    /// `--additional-features`: added unless devcontainer.json has the same id.
    pub additional: IndexMap<String, Value>,
    pub override_order: Vec<String>,
    pub lockfile: Mode,
    /// `--skip-feature-auto-mapping`: no legacy short-id mapping.
    pub skip_auto_mapping: bool,
}

/// A Feature ready to install.
#[derive(Clone, Debug)]
pub struct Feature {
    /// As written in devcontainer.json (or in a `dependsOn`); the lock file key.
    pub user_id: String,
    pub source: Source,
    /// The folder holding install.sh and devcontainer-feature.json.
    pub dir: PathBuf,
    pub metadata: FeatureMetadata,
    /// Option values install.sh gets (defaults filled in).
    pub options: IndexMap<String, Value>,
    /// OCI manifest digest or tarball sha256.
    pub digest: Option<String>,
}

impl Feature {
    /// Its `devcontainer.metadata` entry (`{id, ...hooks, mounts, init, …}`).
    pub fn metadata_entry(&self) -> Value {
        devc_config::merge::feature_to_metadata_entry(&self.user_id, &self.metadata.raw)
    }

    /// Whether a base image's metadata entry id names this Feature (OCI and
    /// tarball Features only: local paths mean different things in different projects).
    pub fn is_installed_as(&self, base_id: &str) -> bool {
        match &self.source {
            Source::Oci(r) => {
                base_id == self.user_id
                    || reference::parse_oci(base_id).is_ok_and(|b| b.resource() == r.resource() && b.version() == r.version())
            }
            Source::Tarball { url } => base_id == url || base_id == self.user_id,
            Source::Local { .. } => false,
        }
    }
}

#[derive(Debug)]
pub struct Resolution {
    /// In install order.
    pub features: Vec<Feature>,
    pub lockfile: Lockfile,
    pub lock_on_disk: OnDisk,
}

/// One Feature as fetched.
struct Fetched {
    dir: PathBuf,
    metadata: FeatureMetadata,
    digest: Option<String>,
}

struct Pending {
    user_id: String,
    fetch_id: String,
    options: Value,
    parent: Option<usize>,
    from_config: bool,
}

pub struct Resolver {
    cache: Cache,
    client: OnceCell<Client>,
}

impl Resolver {
    pub fn new(cache: Cache) -> Resolver {
        Resolver { cache, client: OnceCell::new() }
    }

    async fn client(&self) -> Result<&Client, FeatureError> {
        self.client.get_or_try_init(|| async { Client::new() }).await
    }

    /// Resolves the request; `Ok` with no Features when there are none.
    pub async fn resolve(&self, req: &Request) -> Result<Resolution, FeatureError> {
        let lock_on_disk = match req.lockfile {
            Mode::Disabled => OnDisk::Missing,
            _ => lockfile::read(&req.config_file)?,
        };
        let locked = match &lock_on_disk {
            OnDisk::Present(l) => Some(l.clone()),
            _ => None,
        };
        let roots = user_features(req);
        let mut nodes: Vec<Node> = Vec::new();
        let mut fetched: Vec<(Fetched, bool)> = Vec::new();
        let mut queue: VecDeque<Pending> = roots.into();
        while let Some(p) = queue.pop_front() {
            tracing::info!("Resolving Feature '{}'...", p.user_id);
            let source = reference::parse(&p.fetch_id, &req.config_file, &req.workspace_folder)?;
            let pinned = locked.as_ref().and_then(|l| l.get(&p.user_id)).map(|e| e.integrity.clone()).filter(|d| !d.is_empty());
            let f = self.fetch(&source, &p.user_id, pinned.as_deref()).await?;
            let ident = Ident { user_id: p.user_id.clone(), source, digest: f.digest.clone(), aliases: f.metadata.aliases() };
            let index = match nodes.iter().position(|n| order::same(&n.ident, &n.options, &ident, &p.options)) {
                Some(existing) => {
                    fetched[existing].1 |= p.from_config;
                    existing
                }
                None => {
                    for (dep, opts) in &f.metadata.depends_on {
                        queue.push_back(Pending {
                            user_id: dep.clone(),
                            fetch_id: self.map_id(dep, req, false),
                            options: opts.clone(),
                            parent: Some(nodes.len()),
                            from_config: true,
                        });
                    }
                    let mut installs_after = Vec::new();
                    for soft in &f.metadata.installs_after {
                        installs_after.push(self.peek(soft, req).await?);
                    }
                    nodes.push(Node { ident, options: p.options.clone(), depends_on: vec![], installs_after, priority: 0 });
                    fetched.push((f, p.from_config));
                    nodes.len() - 1
                }
            };
            if let Some(parent) = p.parent {
                if !nodes[parent].depends_on.contains(&index) {
                    nodes[parent].depends_on.push(index);
                }
            }
        }
        let mut overrides = Vec::new();
        for id in &req.override_order {
            let ident = self.peek(id, req).await.map_err(|e| match e {
                FeatureError::LegacyId { .. } | FeatureError::Reference { .. } | FeatureError::LocalPath { .. } => {
                    FeatureError::Override { id: id.clone(), message: e.to_string() }
                }
                other => other,
            })?;
            overrides.push(ident);
        }
        order::apply_overrides(&mut nodes, &overrides);
        let order = order::install_order(&nodes)?;

        let mut features = Vec::new();
        let mut entries = Vec::new();
        for i in order {
            let node = &nodes[i];
            let (f, from_config) = &fetched[i];
            let values = options::resolve(&node.ident.user_id, &f.metadata, &node.options)?;
            if *from_config {
                if let Some(entry) = lock_entry(&node.ident.source, f) {
                    entries.push((node.ident.user_id.clone(), entry));
                }
            }
            features.push(Feature {
                user_id: node.ident.user_id.clone(),
                source: node.ident.source.clone(),
                dir: f.dir.clone(),
                metadata: f.metadata.clone(),
                options: values,
                digest: f.digest.clone(),
            });
        }
        Ok(Resolution { features, lockfile: Lockfile::new(entries), lock_on_disk })
    }

    /// A legacy short id's replacement (with its deprecation warning), unless mapping is off.
    fn map_id(&self, id: &str, req: &Request, warn: bool) -> String {
        if req.skip_auto_mapping {
            return id.to_string();
        }
        match reference::map_legacy_id(id) {
            Some((mapped, warning)) => {
                if warn {
                    tracing::warn!("{warning}");
                }
                mapped
            }
            None => id.to_string(),
        }
    }

    /// What the ordering needs about an installsAfter / override entry: its
    /// source, and for OCI its digest and legacy ids when the registry (or
    /// the cache) knows them. Unreachable metadata is not an error: the entry
    /// then matches by resource only.
    async fn peek(&self, id: &str, req: &Request) -> Result<Ident, FeatureError> {
        let fetch_id = self.map_id(id, req, false);
        let source = reference::parse(&fetch_id, &req.config_file, &req.workspace_folder)?;
        let (digest, aliases) = match &source {
            Source::Oci(r) => match self.oci_metadata(r).await {
                Ok((m, digest)) => (Some(digest), m.aliases()),
                Err(e) => {
                    tracing::debug!("installsAfter/override '{id}': no metadata ({e}); matching by id only");
                    (None, vec![r.id.clone()])
                }
            },
            Source::Local { path } => (None, FeatureMetadata::read_dir(path, id).map(|m| m.aliases()).unwrap_or_default()),
            Source::Tarball { .. } => (None, Vec::new()),
        };
        Ok(Ident { user_id: id.to_string(), source, digest, aliases })
    }

    /// Metadata of an OCI Feature without installing it: the cache, else the
    /// manifest's annotation, else the full download.
    async fn oci_metadata(&self, r: &reference::OciRef) -> Result<(FeatureMetadata, String), FeatureError> {
        let label = r.to_string();
        if let Some(d) = &r.digest {
            if let Some(dir) = self.cache.feature_dir(Kind::Oci, d) {
                return Ok((FeatureMetadata::read_dir(&dir, &label)?, d.clone()));
            }
        }
        let client = self.client().await?;
        let manifest = client.manifest(r, r.version()).await?;
        self.cache.remember(&r.to_string(), &manifest.digest);
        if let Some(text) = manifest.metadata_annotation() {
            if let Ok(m) = FeatureMetadata::from_text(text, &label) {
                return Ok((m, manifest.digest));
            }
        }
        let dir = self.oci_content(r, &manifest).await?;
        Ok((FeatureMetadata::read_dir(&dir, &label)?, manifest.digest))
    }

    async fn fetch(&self, source: &Source, label: &str, pinned: Option<&str>) -> Result<Fetched, FeatureError> {
        match source {
            Source::Local { path } => {
                if !path.is_dir() {
                    return Err(FeatureError::LocalPath {
                        id: label.into(),
                        path: path.clone(),
                        message: format!("the folder {} does not exist", path.display()),
                    });
                }
                Ok(Fetched { dir: path.clone(), metadata: FeatureMetadata::read_dir(path, label)?, digest: None })
            }
            Source::Oci(r) => self.fetch_oci(r, label, pinned).await,
            Source::Tarball { url } => self.fetch_tarball(url, label, pinned).await,
        }
    }

    async fn fetch_oci(&self, r: &reference::OciRef, label: &str, pinned: Option<&str>) -> Result<Fetched, FeatureError> {
        let key = r.to_string();
        let want = r.digest.clone().or_else(|| pinned.map(str::to_string));
        if let Some(d) = &want {
            if let Some(dir) = self.cache.feature_dir(Kind::Oci, d) {
                tracing::debug!("Feature '{label}': {d} from the cache");
                return cached(dir, label, d);
            }
        }
        let client = self.client().await?;
        let manifest = match client.manifest(r, want.as_deref().unwrap_or(r.version())).await {
            Ok(m) => m,
            Err(FeatureError::Unreachable { reference, message }) => {
                // Offline: the digest this tag last resolved to, if it is cached.
                let last = self.cache.recall(&key).filter(|_| want.is_none());
                if let Some(dir) = last.as_deref().and_then(|d| self.cache.feature_dir(Kind::Oci, d)) {
                    tracing::warn!("Feature '{label}': the registry is unreachable ({message}); using the cached {}", last.as_deref().unwrap_or(""));
                    return cached(dir, label, last.as_deref().unwrap_or_default());
                }
                return Err(FeatureError::Unreachable { reference, message });
            }
            Err(e) => return Err(e),
        };
        if want.is_none() {
            self.cache.remember(&key, &manifest.digest);
        }
        let dir = self.oci_content(r, &manifest).await?;
        Ok(Fetched { metadata: FeatureMetadata::read_dir(&dir, label)?, dir, digest: Some(manifest.digest) })
    }

    /// The extracted Feature of a manifest (downloaded when not cached).
    async fn oci_content(&self, r: &reference::OciRef, manifest: &Manifest) -> Result<PathBuf, FeatureError> {
        if let Some(dir) = self.cache.feature_dir(Kind::Oci, &manifest.digest) {
            return Ok(dir);
        }
        let layer = manifest.layer_digest().ok_or_else(|| FeatureError::Registry {
            reference: r.to_string(),
            message: "the manifest has no layers; it is not a packaged Feature".into(),
        })?;
        let blob = self.client().await?.blob(r, layer).await?;
        self.cache.store(Kind::Oci, &manifest.digest, &blob, Some(&manifest.bytes), &r.to_string())
    }

    async fn fetch_tarball(&self, url: &str, label: &str, pinned: Option<&str>) -> Result<Fetched, FeatureError> {
        if let Some(d) = pinned {
            if let Some(dir) = self.cache.feature_dir(Kind::Tarball, d) {
                return cached(dir, label, d);
            }
        }
        let bytes = match self.client().await?.download(url).await {
            Ok(b) => b,
            Err(FeatureError::Unreachable { reference, message }) => {
                let last = self.cache.recall(url).filter(|_| pinned.is_none());
                if let Some(dir) = last.as_deref().and_then(|d| self.cache.feature_dir(Kind::Tarball, d)) {
                    tracing::warn!("Feature '{label}': {url} is unreachable ({message}); using the cached copy");
                    return cached(dir, label, last.as_deref().unwrap_or_default());
                }
                return Err(FeatureError::Unreachable { reference, message });
            }
            Err(e) => return Err(e),
        };
        let digest = tarball_digest(&bytes);
        if let Some(p) = pinned {
            if p != digest {
                return Err(FeatureError::Digest { reference: url.into(), expected: p.into(), actual: digest });
            }
        }
        let dir = self.cache.store(Kind::Tarball, &digest, &bytes, None, url)?;
        self.cache.remember(url, &digest);
        Ok(Fetched { metadata: FeatureMetadata::read_dir(&dir, label)?, dir, digest: Some(digest) })
    }
}

fn cached(dir: PathBuf, label: &str, digest: &str) -> Result<Fetched, FeatureError> {
    Ok(Fetched { metadata: FeatureMetadata::read_dir(&dir, label)?, dir, digest: Some(digest.to_string()) })
}

fn lock_entry(source: &Source, f: &Fetched) -> Option<Entry> {
    let digest = f.digest.clone()?;
    let resolved = match source {
        Source::Oci(r) => format!("{}/{}@{digest}", r.registry, r.path()),
        Source::Tarball { url } => url.clone(),
        Source::Local { .. } => return None,
    };
    Some(Entry {
        version: f.metadata.version.clone().unwrap_or_default(),
        resolved,
        integrity: digest,
        depends_on: f.metadata.depends_on.keys().cloned().collect(),
    })
}

/// The roots: devcontainer.json's Features, then `--additional-features` ones
/// it does not have; `false` entries dropped; legacy ids mapped (and the ids
/// that became options of another Feature folded into it).
fn user_features(req: &Request) -> Vec<Pending> {
    let mut list: Vec<(String, Value, bool)> = Vec::new();
    for (id, v) in &req.features {
        list.push((id.clone(), v.clone(), true));
    }
    for (id, v) in &req.additional {
        if !req.features.contains_key(id) {
            list.push((id.clone(), v.clone(), false));
        }
    }
    list.retain(|(id, v, _)| {
        if *v == Value::Bool(false) {
            tracing::warn!("Feature '{id}' is set to false and is not installed (remove it from \"features\" to silence this)");
        }
        *v != Value::Bool(false)
    });
    if !req.skip_auto_mapping {
        fold_into_options(&mut list);
    }
    list.into_iter()
        .map(|(id, options, from_config)| {
            let fetch_id = if req.skip_auto_mapping {
                id.clone()
            } else {
                match reference::map_legacy_id(&id) {
                    Some((mapped, warning)) => {
                        tracing::warn!("{warning}");
                        mapped
                    }
                    None => id.clone(),
                }
            };
            Pending { user_id: id, fetch_id, options, parent: None, from_config }
        })
        .collect()
}

/// `gradle`, `maven` and `jupyterlab` became options of `java` / `python`.
fn fold_into_options(list: &mut Vec<(String, Value, bool)>) {
    for (old, target, option) in INTO_OPTIONS {
        let Some(pos) = list.iter().position(|(id, _, _)| id == old) else { continue };
        let (_, _, from_config) = list.remove(pos);
        tracing::warn!(
            "(!) WARNING: Using the deprecated '{old}' Feature. It is now part of the '{target}' Feature. See https://github.com/devcontainers/features/tree/main/src/{target}#options for the updated Feature."
        );
        let qualified = format!("{LEGACY_NAMESPACE}/{target}");
        let existing = list.iter_mut().find(|(id, _, _)| id == target || *id == qualified || id.starts_with(&format!("{qualified}:")));
        match existing {
            Some((_, value, _)) => {
                let mut m = match value {
                    Value::Object(m) => m.clone(),
                    Value::String(s) => [("version".to_string(), Value::String(s.clone()))].into_iter().collect(),
                    _ => Map::new(),
                };
                m.insert(option.into(), Value::Bool(true));
                *value = Value::Object(m);
            }
            None => {
                let m: Map<String, Value> = [(option.to_string(), Value::Bool(true))].into_iter().collect();
                list.push((format!("{qualified}:1"), Value::Object(m), from_config));
            }
        }
    }
}

/// Reads `--additional-features` (a JSON object of Feature id → options).
pub fn parse_additional(text: &str) -> Result<IndexMap<String, Value>, FeatureError> {
    let v: Value = serde_json::from_str(text).map_err(|e| FeatureError::AdditionalFeatures(format!("not JSON ({e})")))?;
    match v {
        Value::Object(m) => Ok(m.into_iter().collect()),
        _ => Err(FeatureError::AdditionalFeatures("expected a JSON object mapping Feature ids to options".into())),
    }
}

/// The config's `features` and `overrideFeatureInstallOrder` from a
/// (substituted) devcontainer.json value.
pub fn request_from_config(config: &Value, config_file: &Path, workspace_folder: &Path) -> Request {
    let features = config.get("features").and_then(Value::as_object).map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    let override_order = config
        .get("overrideFeatureInstallOrder")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    Request {
        config_file: config_file.to_path_buf(),
        workspace_folder: workspace_folder.to_path_buf(),
        features,
        override_order,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write_feature(dir: &Path, id: &str, extra: Value) {
        let mut meta = json!({"id": id, "version": "1.0.0"});
        if let (Some(m), Value::Object(e)) = (meta.as_object_mut(), extra) {
            m.extend(e);
        }
        std::fs::create_dir_all(dir.join(id)).unwrap();
        std::fs::write(dir.join(id).join("devcontainer-feature.json"), meta.to_string()).unwrap();
        std::fs::write(dir.join(id).join("install.sh"), "#!/bin/sh\necho ok\n").unwrap();
    }

    fn request(ws: &Path, features: Value) -> Request {
        let config = json!({"features": features});
        let mut r = request_from_config(&config, &ws.join(".devcontainer/devcontainer.json"), ws);
        r.lockfile = Mode::Update;
        r
    }

    fn ids(res: &Resolution) -> Vec<String> {
        res.features.iter().map(|f| f.user_id.clone()).collect()
    }

    #[tokio::test]
    async fn local_dependencies_resolve_in_order_and_dedupe() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path();
        let dc = ws.join(".devcontainer");
        write_feature(&dc, "a", json!({"dependsOn": {"./c": {}}}));
        write_feature(&dc, "b", json!({"dependsOn": {"./c": {}}, "installsAfter": ["./a"]}));
        write_feature(&dc, "c", json!({"options": {"x": {"type": "string", "default": "d"}}}));
        let resolver = Resolver::new(Cache::new(tmp.path().join("cache")));
        let res = resolver.resolve(&request(ws, json!({"./b": {}, "./a": {}}))).await.unwrap();
        // c once (both depend on it with the same options), then a, then b (installsAfter a).
        assert_eq!(ids(&res), vec!["./c", "./a", "./b"]);
        assert_eq!(res.features[0].options["x"], "d");
        // Local Features are not locked.
        assert!(res.lockfile.features.is_empty());
        // Different options make a second node.
        write_feature(&dc, "d", json!({"dependsOn": {"./c": {"x": "other"}}}));
        let res = resolver.resolve(&request(ws, json!({"./a": {}, "./d": {}}))).await.unwrap();
        assert_eq!(res.features.iter().filter(|f| f.user_id == "./c").count(), 2);
    }

    #[tokio::test]
    async fn cycles_overrides_and_bad_ids() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path();
        let dc = ws.join(".devcontainer");
        write_feature(&dc, "x", json!({"dependsOn": {"./y": {}}}));
        write_feature(&dc, "y", json!({"dependsOn": {"./x": {}}}));
        write_feature(&dc, "p", json!({}));
        write_feature(&dc, "q", json!({}));
        let resolver = Resolver::new(Cache::new(tmp.path().join("cache")));
        let e = resolver.resolve(&request(ws, json!({"./x": {}}))).await.unwrap_err().to_string();
        assert!(e.contains("Circular dependency detected: ./x → ./y → ./x"), "{e}");
        let mut req = request(ws, json!({"./p": {}, "./q": {}}));
        req.override_order = vec!["./q".into()];
        assert_eq!(ids(&resolver.resolve(&req).await.unwrap()), vec!["./q", "./p"]);
        req.override_order = vec!["q".into()];
        let e = resolver.resolve(&req).await.unwrap_err().to_string();
        assert!(e.starts_with("overrideFeatureInstallOrder: 'q': Legacy feature 'q' not supported"), "{e}");
        let e = resolver.resolve(&request(ws, json!({"./missing": {}}))).await.unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
        let e = resolver.resolve(&request(ws, json!({"./p": {"nope": []}}))).await.unwrap_err().to_string();
        assert!(e.contains("'./p'"), "{e}");
    }

    #[test]
    fn legacy_ids_fold_and_false_is_skipped() {
        let mut req = Request {
            features: [("maven".to_string(), json!(true)), ("java".into(), json!("17")), ("off".into(), json!(false))].into_iter().collect(),
            ..Default::default()
        };
        let roots = user_features(&req);
        let ids: Vec<_> = roots.iter().map(|p| (p.user_id.as_str(), p.fetch_id.as_str())).collect();
        assert_eq!(ids, vec![("java", "ghcr.io/devcontainers/features/java:1")]);
        assert_eq!(roots[0].options, json!({"version": "17", "installMaven": true}));
        req.features = [("gradle".to_string(), json!(true))].into_iter().collect();
        req.additional = [("gradle".to_string(), json!(true)), ("./extra".to_string(), json!({}))].into_iter().collect();
        let roots = user_features(&req);
        assert_eq!(roots.iter().map(|p| p.user_id.as_str()).collect::<Vec<_>>(), vec!["./extra", "ghcr.io/devcontainers/features/java:1"]);
        assert!(!roots[0].from_config);
        assert_eq!(parse_additional("[1]").unwrap_err().to_string(), "--additional-features: expected a JSON object mapping Feature ids to options");
    }
}

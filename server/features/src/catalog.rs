//! What an editor can know about Features without the network: the
//! devcontainer-feature.json of local Features (next to the config) and of
//! OCI and tarball Features in the cache (for the tag or URL as last
//! resolved). Used by the language server's completion and hover, and by
//! [`diagnose`], which `devc validate` and the language server share: bad
//! ids, unknown options and values a Feature does not accept.

use crate::cache::{Cache, Kind};
use crate::metadata::FeatureMetadata;
use crate::reference::{self, Source};
use devc_config::{Diagnostic, DiagnosticCode, Severity};
use devc_jsonc::{Node, PathSegment};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct Catalog {
    pub cache: Cache,
}

/// A Feature id to offer in completion.
#[derive(Clone, Debug)]
pub struct Known {
    pub id: String,
    pub metadata: Option<FeatureMetadata>,
}

impl Catalog {
    pub fn new(cache: Cache) -> Catalog {
        Catalog { cache }
    }

    pub fn default_location() -> Catalog {
        Catalog::new(Cache::default_location())
    }

    /// The metadata of a Feature as written in devcontainer.json, if it is on
    /// disk (a local folder, or cached).
    pub fn lookup(&self, user_id: &str, config_file: Option<&Path>) -> Option<FeatureMetadata> {
        let id = reference::map_legacy_id(user_id).map(|(m, _)| m).unwrap_or_else(|| user_id.to_string());
        match source_of(&id, config_file)? {
            Source::Local { path } => FeatureMetadata::read_dir(&path, user_id).ok(),
            Source::Oci(r) => {
                let digest = r.digest.clone().or_else(|| self.cache.recall(&r.to_string()))?;
                FeatureMetadata::read_dir(&self.cache.feature_dir(Kind::Oci, &digest)?, user_id).ok()
            }
            Source::Tarball { url } => {
                let digest = self.cache.recall(&url)?;
                FeatureMetadata::read_dir(&self.cache.feature_dir(Kind::Tarball, &digest)?, user_id).ok()
            }
        }
    }

    /// Ids to complete: local Feature folders next to the config (`./name`),
    /// then every cached tag and URL, sorted.
    pub fn known(&self, config_file: Option<&Path>) -> Vec<Known> {
        let mut out = Vec::new();
        if let Some(dir) = config_file.and_then(Path::parent) {
            if let Ok(entries) = std::fs::read_dir(dir) {
                let mut local: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join(crate::metadata::FEATURE_FILE).is_file()).collect();
                local.sort();
                for p in local {
                    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let id = format!("./{name}");
                    out.push(Known { metadata: FeatureMetadata::read_dir(&p, &id).ok(), id });
                }
            }
        }
        let mut cached = self.cache.known();
        cached.sort();
        for (id, digest) in cached {
            let kind = if id.starts_with("https://") || id.starts_with("http://") { Kind::Tarball } else { Kind::Oci };
            let metadata = self.cache.feature_dir(kind, &digest).and_then(|d| FeatureMetadata::read_dir(&d, &id).ok());
            out.push(Known { id, metadata });
        }
        out
    }
}

/// A Feature id's source, with the workspace guessed from the config's place
/// (`<ws>/.devcontainer/…` or `<ws>/.devcontainer.json`).
fn source_of(id: &str, config_file: Option<&Path>) -> Option<Source> {
    match config_file {
        Some(cfg) => reference::parse(id, cfg, &guess_workspace(cfg)).ok(),
        None => match reference::parse_oci(id) {
            Ok(r) if !id.starts_with('.') && !id.starts_with("http") => Some(Source::Oci(r)),
            _ => None,
        },
    }
}

fn guess_workspace(config_file: &Path) -> PathBuf {
    let dir = config_file.parent().unwrap_or(Path::new("/"));
    for ancestor in dir.ancestors() {
        if ancestor.file_name().is_some_and(|n| n == ".devcontainer") {
            return ancestor.parent().unwrap_or(Path::new("/")).to_path_buf();
        }
    }
    dir.to_path_buf()
}

/// The validation of `devc validate` and the language server: the config
/// layer's findings (syntax, schema, semantic checks) plus [`diagnose`]'s,
/// ordered by position.
pub fn diagnose_document(parse: &devc_jsonc::Parse, text: &str, config_file: Option<&Path>, catalog: &Catalog) -> Vec<Diagnostic> {
    let mut out = devc_config::diagnose_text(parse, text, config_file);
    if let Some(root) = parse.root.as_ref().filter(|r| r.as_object().is_some()) {
        out.extend(diagnose(root, config_file, catalog));
        out.sort_by_key(|d| (d.span.start, d.span.end));
    }
    out
}

/// Findings about the `features` object of a parsed devcontainer.json: ids
/// that cannot work (legacy short ids, absolute or escaping paths, malformed
/// references), deprecated short ids, local Features that are missing, and —
/// for Features whose metadata is on disk — unknown options and bad values.
pub fn diagnose(root: &Node, config_file: Option<&Path>, catalog: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some(features) = root.get("features").and_then(|n| n.as_object()) else { return out };
    for prop in features {
        let id = prop.key.value.as_str();
        let path = vec![PathSegment::Key("features".into()), PathSegment::Key(id.to_string())];
        let mut push = |span: devc_jsonc::Span, severity: Severity, message: String, path: Vec<PathSegment>| {
            out.push(Diagnostic { span, severity, message, code: DiagnosticCode::Feature, path });
        };
        let fetch_id = match reference::map_legacy_id(id) {
            Some((mapped, _)) => {
                push(prop.key.span.clone(), Severity::Warning, format!("'{id}' is a deprecated short id; it means \"{mapped}\": write that instead"), path.clone());
                mapped
            }
            None if reference::INTO_OPTIONS.iter().any(|(old, _, _)| *old == id) => continue,
            None => id.to_string(),
        };
        let source = match config_file {
            Some(cfg) => reference::parse(&fetch_id, cfg, &guess_workspace(cfg)),
            None if fetch_id.starts_with("./") || fetch_id.starts_with("../") => continue,
            None => reference::parse(&fetch_id, Path::new("/.devcontainer/devcontainer.json"), Path::new("/")),
        };
        let source = match source {
            Ok(s) => s,
            Err(e) => {
                push(prop.key.span.clone(), Severity::Error, e.to_string(), path.clone());
                continue;
            }
        };
        if let Source::Local { path: dir } = &source {
            if !dir.join(crate::metadata::FEATURE_FILE).is_file() {
                push(
                    prop.key.span.clone(),
                    Severity::Error,
                    format!("Feature '{id}': {} not found", dir.join(crate::metadata::FEATURE_FILE).display()),
                    path.clone(),
                );
                continue;
            }
        }
        let Some(meta) = catalog.lookup(id, config_file) else { continue };
        let Some(value) = &prop.value else { continue };
        if let Some(s) = value.as_str() {
            if !meta.options.contains_key("version") && !s.is_empty() {
                push(
                    value.span.clone(),
                    Severity::Warning,
                    format!("Feature '{id}' has no \"version\" option, so this value is ignored; use {{}} or an options object"),
                    path.clone(),
                );
            }
        }
        let Some(options) = value.as_object() else { continue };
        for opt in options {
            let name = opt.key.value.as_str();
            let mut opt_path = path.clone();
            opt_path.push(PathSegment::Key(name.to_string()));
            if !meta.options.contains_key(name) {
                let known: Vec<&str> = meta.options.keys().map(String::as_str).collect();
                let hint = if known.is_empty() { "it declares no options".to_string() } else { format!("its options: {}", known.join(", ")) };
                push(opt.key.span.clone(), Severity::Warning, format!("Feature '{id}' has no option '{name}' ({hint})"), opt_path);
                continue;
            }
            if let Some(v) = &opt.value {
                if let Some(problem) = crate::options::problem(&meta, name, &v.to_value()) {
                    push(v.span.clone(), Severity::Error, format!("Feature '{id}', option '{name}': {problem}"), opt_path);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn local_and_cached_features_are_known_and_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let dc = tmp.path().join("ws/.devcontainer");
        std::fs::create_dir_all(dc.join("hello")).unwrap();
        std::fs::write(
            dc.join("hello/devcontainer-feature.json"),
            json!({"id": "hello", "name": "Hello", "options": {"greeting": {"type": "string", "enum": ["hi", "hey"]}, "loud": {"type": "boolean"}}}).to_string(),
        )
        .unwrap();
        let cfg = dc.join("devcontainer.json");
        let cache = Cache::new(tmp.path().join("cache"));
        // A cached OCI Feature.
        let digest = format!("sha256:{}", "c".repeat(64));
        let mut b = tar::Builder::new(Vec::new());
        let body = json!({"id": "tool", "options": {"version": {"type": "string"}}}).to_string();
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "devcontainer-feature.json", body.as_bytes()).unwrap();
        cache.store(Kind::Oci, &digest, &b.into_inner().unwrap(), None, "t").unwrap();
        cache.remember("ghcr.io/x/y/tool:1", &digest);
        let catalog = Catalog::new(cache);

        assert_eq!(catalog.lookup("./hello", Some(&cfg)).unwrap().name.as_deref(), Some("Hello"));
        assert_eq!(catalog.lookup("ghcr.io/x/y/tool:1", Some(&cfg)).unwrap().id, "tool");
        assert!(catalog.lookup("ghcr.io/x/y/tool:2", Some(&cfg)).is_none());
        let ids: Vec<String> = catalog.known(Some(&cfg)).into_iter().map(|k| k.id).collect();
        assert_eq!(ids, vec!["./hello", "ghcr.io/x/y/tool:1"]);

        let text = r#"{"features": {
            "./hello": {"greeting": "yo", "loud": "very", "colour": "red"},
            "ghcr.io/x/y/tool:1": "2",
            "myfeature": {},
            "node": {},
            "./missing": {},
            "ghcr.io/unknown/feature:1": {"anything": 1}
        }}"#;
        let parse = devc_jsonc::parse(text);
        let found = diagnose(parse.root.as_ref().unwrap(), Some(&cfg), &catalog);
        let messages: Vec<(String, Severity)> = found.iter().map(|d| (text[d.span.clone()].to_string(), d.severity)).collect();
        assert_eq!(
            messages,
            vec![
                ("\"yo\"".to_string(), Severity::Error),
                ("\"very\"".to_string(), Severity::Error),
                ("\"colour\"".to_string(), Severity::Warning),
                ("\"myfeature\"".to_string(), Severity::Error),
                ("\"node\"".to_string(), Severity::Warning),
                ("\"./missing\"".to_string(), Severity::Error),
            ],
            "{found:#?}"
        );
        assert!(found[2].message.contains("its options: greeting, loud"), "{}", found[2].message);
        assert!(found[3].message.starts_with("Legacy feature 'myfeature' not supported"), "{}", found[3].message);
    }
}

//! Features in `up` and `build`: resolve the config's Features (see
//! `devc-features`), write or verify the lock file, leave out those the base
//! image already has, and build the image that installs the rest on top of
//! the base image, labelled with the metadata (base, Features, config).

use crate::EngineError;
use devc_config::ResolvedConfig;
use devc_features::build::{self, Users};
use devc_features::cache::Cache;
use devc_features::{lockfile, Feature, LockfileMode, Resolver};
use devc_runtime::{BuildRequest, ImageDetails, Runtime, RuntimeError};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The Feature-related flags of `up` and `build`.
#[derive(Clone, Debug, Default)]
pub struct FeatureOptions {
    /// `--no-lockfile` / `--frozen-lockfile`.
    pub lockfile: LockfileMode,
    /// `--additional-features` (already parsed).
    pub additional: IndexMap<String, Value>,
    /// `--skip-feature-auto-mapping`.
    pub skip_auto_mapping: bool,
}

/// The resolved Features of a config, in install order (empty when it has none).
pub async fn resolve(
    config_file: &Path,
    workspace_folder: &Path,
    resolved: &ResolvedConfig,
    opts: &FeatureOptions,
) -> Result<Vec<Feature>, EngineError> {
    let mut request = devc_features::resolve::request_from_config(&resolved.configuration, config_file, workspace_folder);
    if request.features.is_empty() && opts.additional.is_empty() {
        return Ok(Vec::new());
    }
    request.additional = opts.additional.clone();
    request.lockfile = opts.lockfile;
    request.skip_auto_mapping = opts.skip_auto_mapping;
    let step = crate::progress::Step::start("Resolving Features");
    let resolution = Resolver::new(Cache::default_location()).resolve(&request).await?;
    lockfile::write_or_verify(config_file, &resolution.lock_on_disk, &resolution.lockfile, opts.lockfile)?;
    step.done();
    for f in &resolution.features {
        tracing::info!("Feature {} ({}){}", f.user_id, f.metadata.version.as_deref().unwrap_or("no version"), f.digest.as_deref().map(|d| format!(" {d}")).unwrap_or_default());
    }
    Ok(resolution.features)
}

/// The Features not already in the base image (by the ids in its metadata label).
pub fn not_installed(features: Vec<Feature>, base_entries: &[Value], base_image: &str) -> Vec<Feature> {
    let base_ids: Vec<&str> = base_entries.iter().filter_map(|e| e.get("id").and_then(Value::as_str)).collect();
    features
        .into_iter()
        .filter(|f| {
            let installed = base_ids.iter().any(|id| f.is_installed_as(id));
            if installed {
                tracing::info!("Feature {} is already installed in {base_image}; not installing it again", f.user_id);
            }
            !installed
        })
        .collect()
}

/// The raw metadata entries of the Features (their label entries).
pub fn entries(features: &[Feature]) -> Vec<Value> {
    features.iter().map(Feature::metadata_entry).collect()
}

/// containerUser (last in the metadata, else the image's user) and remoteUser
/// (last, else containerUser), as install scripts see them.
pub fn users(merged_entries: &[Value], image_user: &str) -> Users {
    let last = |k: &str| {
        merged_entries.iter().rev().find_map(|e| e.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string))
    };
    let container_user = last("containerUser").unwrap_or_else(|| if image_user.is_empty() { "root".into() } else { image_user.to_string() });
    let remote_user = last("remoteUser").unwrap_or_else(|| container_user.clone());
    Users { container_user, remote_user }
}

/// Builds `tags` from `base_image` with `features` installed and the given
/// metadata label; returns the new image's details.
#[allow(clippy::too_many_arguments)]
pub async fn build_image<R: Runtime>(
    rt: &R,
    base_image: &str,
    base_details: &ImageDetails,
    features: &[Feature],
    users: &Users,
    label: String,
    tags: &[String],
    no_cache: bool,
) -> Result<ImageDetails, EngineError> {
    let context = build::prepare(features, base_image, &base_details.user, users)?;
    let mut labels = BTreeMap::new();
    labels.insert(devc_config::METADATA_LABEL.to_string(), label);
    let request = BuildRequest {
        context: context.dir.clone(),
        dockerfile: context.dockerfile.clone(),
        tags: tags.to_vec(),
        args: context.args.clone(),
        target: Some(context.target.clone()),
        labels,
        no_cache,
        ..Default::default()
    };
    let names: Vec<&str> = features.iter().map(|f| f.user_id.as_str()).collect();
    tracing::info!("Installing Features {} on {base_image} ({})", names.join(", "), tags.first().map(String::as_str).unwrap_or(""));
    let step = crate::progress::Step::start(format!("Installing Features: {}", names.join(", ")));
    let tail = std::sync::Mutex::new(std::collections::VecDeque::new());
    let progress = |text: &str| {
        crate::progress::line(text);
        if let Ok(mut t) = tail.lock() {
            if t.len() == 12 {
                t.pop_front();
            }
            t.push_back(strip_ansi(text));
        }
    };
    match rt.build_image(&request, &progress).await {
        Ok(_) => step.done(),
        Err(RuntimeError::BuildFailed { step: failed_step, message }) => {
            // Name the Feature whose layer failed.
            let failed = features.iter().enumerate().find(|(n, f)| failed_step.contains(&format!("/{}", build::folder_name(f, *n))));
            let Some((_, f)) = failed else { return Err(RuntimeError::BuildFailed { step: failed_step, message }.into()) };
            let output: Vec<String> = tail.lock().map(|t| t.iter().cloned().collect()).unwrap_or_default();
            return Err(EngineError::FeatureInstall {
                feature: f.user_id.clone(),
                message,
                output_tail: output,
            });
        }
        Err(e) => return Err(e.into()),
    }
    let first = tags.first().ok_or_else(|| EngineError::Invalid("no image name for the Features build".into()))?;
    Ok(rt.inspect_image(first).await?)
}

/// The text without terminal escape sequences (the daemon colours stderr).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escape_sequences_are_stripped() {
        assert_eq!(strip_ansi("\u{1b}[91m./install.sh: boom\u{1b}[0m"), "./install.sh: boom");
        assert_eq!(strip_ansi("plain"), "plain");
    }

    #[test]
    fn users_come_from_the_last_entries() {
        let u = users(&[json!({"containerUser": "a"}), json!({"remoteUser": "b"}), json!({"containerUser": "c"})], "img");
        assert_eq!(u, Users { container_user: "c".into(), remote_user: "b".into() });
        let u = users(&[], "");
        assert_eq!(u, Users { container_user: "root".into(), remote_user: "root".into() });
        let u = users(&[json!({"remoteUser": ""})], "dev");
        assert_eq!(u, Users { container_user: "dev".into(), remote_user: "dev".into() });
    }
}

//! Getting the image a dev container runs: a local image (pulled when missing)
//! or one built from the config's Dockerfile, with the config's Features
//! installed on top, labelled with the `devcontainer.metadata` entries. Also
//! owns the reference's image naming.

use crate::features::{self, FeatureOptions};
use crate::EngineError;
use devc_config::dockerfile::{self, Dockerfile, PlatformInfo};
use devc_config::{ConfigKind, DevContainerConfig, ResolvedConfig};
use devc_runtime::{BuildRequest, ImageDetails, Runtime, RuntimeError};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// `vsc-<folder name>-<sha256 of the folder path>`, lowercased and filtered to
/// what Docker accepts (the reference's `getFolderImageName`).
pub fn folder_image_name(workspace_folder: &Path) -> String {
    let base = workspace_folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let hash = Sha256::digest(workspace_folder.to_string_lossy().as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    to_docker_image_name(&format!("vsc-{base}-{hex}"))
}

/// Lowercase; characters outside `[a-z0-9._-]` dropped; no leading separator.
pub fn to_docker_image_name(name: &str) -> String {
    let lowered = name.to_lowercase();
    let kept: String = lowered.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')).collect();
    kept.trim_start_matches(['.', '_', '-']).to_string()
}

/// The image a new dev container runs, with what its metadata label says.
pub struct DevImage {
    /// The names it was built or found under (the first is the one to run).
    pub names: Vec<String>,
    pub details: ImageDetails,
    /// Raw entries of the base image's label (the image, or the Dockerfile's FROM).
    pub base_entries: Vec<Value>,
    /// Raw entries of the Features installed by this build.
    pub feature_entries: Vec<Value>,
    /// The `devcontainer.metadata` label: base, Features, then the config's entry.
    pub label: String,
    /// Whether devc built it (false: the config's image as it is).
    pub built: bool,
}

/// What [`dev_image`] works from.
#[derive(Clone, Copy)]
pub struct DevImageRequest<'a> {
    pub config_file: &'a Path,
    pub workspace_folder: &'a Path,
    pub config: &'a DevContainerConfig,
    pub resolved: &'a ResolvedConfig,
    /// `--image-name`s; empty for the default names.
    pub names: &'a [String],
    pub no_cache: bool,
    pub features: &'a FeatureOptions,
}

/// Gets the image for an image or Dockerfile config: the image (pulled when
/// missing) or the Dockerfile built, then — when the config has Features the
/// base image does not already have — a Features build on top. `names`
/// defaults to the reference's names (`vsc-<folder>-<hash>`, plus
/// `-features` for an image config).
pub async fn dev_image<R: Runtime>(rt: &R, req: &DevImageRequest<'_>) -> Result<DevImage, EngineError> {
    let DevImageRequest { config_file, workspace_folder, config, resolved, names, no_cache, features: feature_options } = *req;
    let features = features::resolve(config_file, workspace_folder, resolved, feature_options).await?;
    let dockerfile = config.kind() == ConfigKind::Dockerfile;
    let (base_image, base_entries) = if dockerfile {
        let tag = names.first().cloned().unwrap_or_else(|| folder_image_name(workspace_folder));
        (tag, dockerfile_base_entries(rt, config, config_file).await?)
    } else {
        let image = config.image.clone().unwrap_or_default();
        let details = ensure_image(rt, &image).await?;
        let entries = metadata_entries(&details)?;
        (image, entries)
    };
    let install = features::not_installed(features, &base_entries, &base_image);
    let mut names = names.to_vec();
    let mut details = if dockerfile {
        if names.is_empty() {
            names.push(base_image.clone());
        }
        let label = crate::up::raw_metadata_label(&base_entries, &[], resolved);
        let mut request = build_request(config, config_file, &base_image, label, no_cache)?;
        // With Features, the Dockerfile's image is the base of a second build
        // that takes over the names.
        request.tags = if install.is_empty() { names.clone() } else { vec![base_image.clone()] };
        tracing::info!("Building image {base_image} from {}", request.dockerfile.display());
        let step = crate::progress::Step::start("Building image");
        let progress = |text: &str| crate::progress::line(text);
        rt.build_image(&request, &progress).await?;
        step.done();
        rt.inspect_image(&base_image).await?
    } else {
        rt.inspect_image(&base_image).await?
    };
    if install.is_empty() {
        return Ok(DevImage {
            names: if dockerfile { names } else { vec![base_image] },
            details,
            label: crate::up::raw_metadata_label(&base_entries, &[], resolved),
            base_entries,
            feature_entries: Vec::new(),
            built: dockerfile,
        });
    }
    if names.is_empty() {
        names.push(format!("{}-features", folder_image_name(workspace_folder)));
    }
    let feature_entries = features::entries(&install);
    let label = crate::up::raw_metadata_label(&base_entries, &feature_entries, resolved);
    let users = features::users(&resolved.metadata_entries(&base_entries, &feature_entries)?, &details.user);
    details = features::build_image(rt, &base_image, &details, &install, &users, label.clone(), &names, no_cache).await?;
    Ok(DevImage { names, details, base_entries, feature_entries, label, built: true })
}

/// The local image, pulled first when it is missing.
pub async fn ensure_image<R: Runtime>(rt: &R, image: &str) -> Result<ImageDetails, EngineError> {
    match rt.inspect_image(image).await {
        Ok(details) => Ok(details),
        Err(RuntimeError::ImageNotFound { .. }) => {
            tracing::info!("Pulling image {image}...");
            let step = crate::progress::Step::start(format!("Pulling image {image}"));
            let progress = |text: &str| crate::progress::line(text);
            rt.pull_image(image, &progress).await?;
            step.done();
            Ok(rt.inspect_image(image).await?)
        }
        Err(e) => Err(e.into()),
    }
}

/// The metadata entries baked into the Dockerfile's base image, if it is local.
pub async fn dockerfile_base_entries<R: Runtime>(rt: &R, config: &DevContainerConfig, config_file: &Path) -> Result<Vec<Value>, EngineError> {
    let Some(path) = config.dockerfile_path(config_file) else { return Ok(Vec::new()) };
    let text = std::fs::read_to_string(&path).map_err(|e| devc_config::ConfigError::io(&path, e))?;
    let parsed = Dockerfile::parse(&text);
    let host = host_platform();
    let platform = dockerfile::platform_args(&host, &host);
    let Some(base) = dockerfile::find_base_image(&parsed, &config.build_args(), config.build_target(), &platform) else {
        return Ok(Vec::new());
    };
    match rt.inspect_image(&base).await {
        Ok(details) => metadata_entries(&details),
        // The build pulls it; its label is then already in the built image.
        Err(RuntimeError::ImageNotFound { .. }) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// The raw entries of an image's `devcontainer.metadata` label.
pub fn metadata_entries(details: &ImageDetails) -> Result<Vec<Value>, EngineError> {
    match details.labels.get(devc_config::METADATA_LABEL) {
        Some(label) if !label.is_empty() => Ok(devc_config::parse_metadata_label(label)?),
        _ => Ok(Vec::new()),
    }
}

/// The build of a Dockerfile config: context, args, target, cacheFrom and
/// `build.options` (the ones with a build-request equivalent; others are errors).
pub fn build_request(
    config: &DevContainerConfig,
    config_file: &Path,
    tag: &str,
    metadata_label: String,
    no_cache: bool,
) -> Result<BuildRequest, EngineError> {
    let dockerfile = config
        .dockerfile_path(config_file)
        .ok_or_else(|| EngineError::Invalid("the configuration has no Dockerfile (set build.dockerfile)".into()))?;
    if !dockerfile.is_file() {
        return Err(EngineError::Invalid(format!("Dockerfile {} not found; fix build.dockerfile in {}", dockerfile.display(), config_file.display())));
    }
    let context = config.docker_context_path(config_file).unwrap_or_else(|| dockerfile.parent().unwrap_or(Path::new("/")).to_path_buf());
    let mut labels = BTreeMap::new();
    labels.insert(devc_config::METADATA_LABEL.to_string(), metadata_label);
    let mut request = BuildRequest {
        context,
        dockerfile,
        tags: vec![tag.to_string()],
        args: config.build_args().into_iter().collect(),
        target: config.build_target().map(str::to_string),
        cache_from: if no_cache { Vec::new() } else { config.cache_from() },
        no_cache,
        labels,
        platform: None,
        pull: false,
    };
    apply_build_options(&config.build_options(), &mut request)?;
    Ok(request)
}

fn apply_build_options(options: &[String], request: &mut BuildRequest) -> Result<(), EngineError> {
    let mut i = 0;
    while i < options.len() {
        let (flag, inline) = match options[i].split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (options[i].clone(), None),
        };
        let value = |i: &mut usize| -> Result<String, EngineError> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            *i += 1;
            options.get(*i).cloned().ok_or_else(|| EngineError::Invalid(format!("build.options: `{flag}` needs a value")))
        };
        match flag.as_str() {
            "--platform" => request.platform = Some(value(&mut i)?),
            "--label" => {
                let v = value(&mut i)?;
                let (k, val) = v.split_once('=').unwrap_or((v.as_str(), ""));
                request.labels.insert(k.to_string(), val.to_string());
            }
            "--build-arg" => {
                let v = value(&mut i)?;
                let (k, val) = v.split_once('=').unwrap_or((v.as_str(), ""));
                request.args.insert(k.to_string(), val.to_string());
            }
            "--target" => request.target = Some(value(&mut i)?),
            "--cache-from" => {
                let v = value(&mut i)?;
                request.cache_from.push(v);
            }
            "--pull" => request.pull = true,
            "--no-cache" => request.no_cache = true,
            other => {
                return Err(EngineError::Invalid(format!(
                    "build.options: `{other}` is not supported by devc's builder; supported: --platform, --label, --build-arg, --target, --cache-from, --pull, --no-cache"
                )))
            }
        }
        i += 1;
    }
    Ok(())
}

/// Tags `image` as `names` with the given metadata label (a one-line build
/// `FROM image`), for `devc build --image-name` on an image config.
pub async fn relabel<R: Runtime>(rt: &R, image: &str, names: &[String], label: String, _user: &str) -> Result<String, EngineError> {
    let dir = std::env::temp_dir().join(format!("devc-relabel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| EngineError::Invalid(format!("cannot create {}: {e}", dir.display())))?;
    let dockerfile = dir.join("Dockerfile");
    std::fs::write(&dockerfile, "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n").map_err(|e| EngineError::Invalid(format!("cannot write {}: {e}", dockerfile.display())))?;
    let mut labels = BTreeMap::new();
    labels.insert(devc_config::METADATA_LABEL.to_string(), label);
    let mut args = BTreeMap::new();
    args.insert("BASE_IMAGE".to_string(), image.to_string());
    let request = BuildRequest { context: dir.clone(), dockerfile, tags: names.to_vec(), args, labels, ..Default::default() };
    let progress = |text: &str| crate::progress::line(text);
    let result = rt.build_image(&request, &progress).await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(result?)
}

/// The machine's platform in Docker's terms.
pub fn host_platform() -> PlatformInfo {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    PlatformInfo { os: "linux".to_string(), arch: arch.to_string(), variant: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_follow_the_reference() {
        let name = folder_image_name(Path::new("/home/me/My Project"));
        assert!(name.starts_with("vsc-myproject-"), "{name}");
        assert_eq!(name.len(), "vsc-myproject-".len() + 64);
        assert_eq!(to_docker_image_name("__Hello World!"), "helloworld");
    }

    #[test]
    fn build_options_map_or_fail() {
        let mut r = BuildRequest::default();
        let opts: Vec<String> = ["--platform", "linux/amd64", "--label=a=b", "--build-arg", "X=1", "--pull"].iter().map(|s| s.to_string()).collect();
        apply_build_options(&opts, &mut r).unwrap();
        assert_eq!(r.platform.as_deref(), Some("linux/amd64"));
        assert_eq!(r.labels.get("a").map(String::as_str), Some("b"));
        assert_eq!(r.args.get("X").map(String::as_str), Some("1"));
        assert!(r.pull);
        let err = apply_build_options(&["--network".into(), "host".into()], &mut r).unwrap_err().to_string();
        assert!(err.contains("`--network` is not supported"), "{err}");
        let err = apply_build_options(&["--platform".into()], &mut r).unwrap_err().to_string();
        assert!(err.contains("needs a value"), "{err}");
    }
}

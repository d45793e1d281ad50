//! The Feature-install build: a context folder with one `<id>_<n>/` folder
//! per Feature (its files, `devcontainer-features.env` with its options and
//! the `devcontainer-features-install.sh` wrapper), the built-in users file,
//! and a Dockerfile that installs the Features one layer each on top of the
//! base image, with each Feature's `containerEnv` as `ENV`. The Dockerfile
//! uses no BuildKit-only syntax (no `RUN --mount`, no named contexts), so the
//! classic builder and BuildKit both build it. Values from configs reach the
//! build as build args or single-quoted env-file lines, never as shell text.

use crate::options::{env_file, shell_quote};
use crate::resolve::Feature;
use crate::FeatureError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub const DOCKERFILE_NAME: &str = "Dockerfile.extended";
pub const TARGET_STAGE: &str = "dev_containers_target_stage";
const DEST: &str = "/tmp/dev-container-features";
const BUILTIN_ENV: &str = "devcontainer-features.builtin.env";

/// Who the container and the tools run as (for `_CONTAINER_USER`, `_REMOTE_USER` and their homes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Users {
    pub container_user: String,
    pub remote_user: String,
}

/// A prepared build: context folder (removed on drop), Dockerfile and args.
#[derive(Debug)]
pub struct BuildContext {
    pub dir: PathBuf,
    pub dockerfile: PathBuf,
    pub args: BTreeMap<String, String>,
    pub target: String,
}

impl Drop for BuildContext {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static N: AtomicU64 = AtomicU64::new(0);

/// The folder name of the n-th Feature in the context.
pub fn folder_name(f: &Feature, n: usize) -> String {
    let id: String = f.metadata.id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("{id}_{n}")
}

/// Writes the context for installing `features` (in order) on `base_image`
/// whose `USER` is `image_user`.
pub fn prepare(features: &[Feature], base_image: &str, image_user: &str, users: &Users) -> Result<BuildContext, FeatureError> {
    let dir = std::env::temp_dir().join(format!("devc-features-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| FeatureError::io("create", &dir, e))?;
    let mut context = BuildContext { dockerfile: dir.join(DOCKERFILE_NAME), dir: dir.clone(), args: BTreeMap::new(), target: TARGET_STAGE.into() };
    let write = |path: PathBuf, text: &str| std::fs::write(&path, text).map_err(|e| FeatureError::io("write", &path, e));
    write(
        dir.join(BUILTIN_ENV),
        &format!("_CONTAINER_USER={}\n_REMOTE_USER={}\n", shell_quote(&users.container_user), shell_quote(&users.remote_user)),
    )?;
    let mut layers = Vec::new();
    for (n, f) in features.iter().enumerate() {
        let folder = folder_name(f, n);
        let target = dir.join(&folder);
        copy_dir(&f.dir, &target)?;
        let env = env_file(&f.options);
        write(target.join("devcontainer-features.env"), &env)?;
        write(target.join("devcontainer-features-install.sh"), &wrapper_script(f, &env))?;
        layers.push(Layer { folder, container_env: f.metadata.container_env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(), label: f.user_id.clone() });
    }
    write(context.dockerfile.clone(), &dockerfile(&layers)?)?;
    let image_user = if image_user.is_empty() { "root" } else { image_user };
    context.args.insert("_DEV_CONTAINERS_BASE_IMAGE".into(), base_image.into());
    context.args.insert("_DEV_CONTAINERS_IMAGE_USER".into(), image_user.into());
    context.args.insert("_DEV_CONTAINERS_CONTAINER_USER".into(), users.container_user.clone());
    context.args.insert("_DEV_CONTAINERS_REMOTE_USER".into(), users.remote_user.clone());
    Ok(context)
}

/// One Feature's layer in the Dockerfile.
#[derive(Clone, Debug)]
pub struct Layer {
    pub folder: String,
    pub container_env: Vec<(String, String)>,
    /// The Feature id, for errors.
    pub label: String,
}

/// The Dockerfile (pure; see the module doc).
pub fn dockerfile(layers: &[Layer]) -> Result<String, FeatureError> {
    let mut d = String::new();
    d.push_str("ARG _DEV_CONTAINERS_BASE_IMAGE=placeholder\n");
    d.push_str(&format!("FROM $_DEV_CONTAINERS_BASE_IMAGE AS {TARGET_STAGE}\n"));
    d.push_str("USER root\n");
    d.push_str("ARG _DEV_CONTAINERS_CONTAINER_USER=root\n");
    d.push_str("ARG _DEV_CONTAINERS_REMOTE_USER=root\n");
    d.push_str(&format!("COPY {BUILTIN_ENV} {DEST}/\n"));
    // The users' home folders, from the image's passwd database (getent when
    // the image has it). The user names arrive as build args (environment).
    d.push_str(&format!(
        "RUN set -e; f={DEST}/{BUILTIN_ENV}; \\\n    \
         home() {{ h=$(getent passwd \"$1\" 2>/dev/null | cut -d: -f6); \\\n      \
         [ -n \"$h\" ] || h=$(awk -F: -v u=\"$1\" '$1 == u || $3 == u {{ print $6; exit }}' /etc/passwd 2>/dev/null); \\\n      \
         printf '%s' \"$h\"; }}; \\\n    \
         printf \"_CONTAINER_USER_HOME='%s'\\n\" \"$(home \"$_DEV_CONTAINERS_CONTAINER_USER\")\" >> \"$f\"; \\\n    \
         printf \"_REMOTE_USER_HOME='%s'\\n\" \"$(home \"$_DEV_CONTAINERS_REMOTE_USER\")\" >> \"$f\"; \\\n    \
         chmod -R 0755 {DEST}\n"
    ));
    for layer in layers {
        for (k, v) in &layer.container_env {
            d.push_str(&env_line(&layer.label, k, v)?);
        }
        let dest = format!("{DEST}/{}", layer.folder);
        d.push_str(&format!("COPY {0}/ {dest}/\n", layer.folder));
        d.push_str(&format!(
            "RUN cd {dest} \\\n && chmod -R 0755 . \\\n && ./devcontainer-features-install.sh \\\n && cd / && rm -rf {dest}\n"
        ));
    }
    d.push_str("ARG _DEV_CONTAINERS_IMAGE_USER=root\n");
    d.push_str("USER $_DEV_CONTAINERS_IMAGE_USER\n");
    Ok(d)
}

/// `ENV KEY="value"` with `"` and `\` escaped (`$` stays, so `${PATH}` works as in the reference).
fn env_line(label: &str, key: &str, value: &str) -> Result<String, FeatureError> {
    let valid_key = !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if !valid_key {
        return Err(FeatureError::Metadata { id: label.into(), message: format!("containerEnv: '{key}' is not a valid environment variable name") });
    }
    if value.contains(['\n', '\r']) {
        return Err(FeatureError::Metadata {
            id: label.into(),
            message: format!("containerEnv.{key}: a line break cannot be baked into the image with ENV; remove it"),
        });
    }
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    Ok(format!("ENV {key}=\"{escaped}\"\n"))
}

/// `devcontainer-features-install.sh`: a banner, then install.sh with the
/// built-in and option variables exported.
fn wrapper_script(f: &Feature, env: &str) -> String {
    let q = |s: &str| shell_quote(s);
    let name = f.metadata.name.clone().unwrap_or_else(|| f.metadata.id.clone());
    let mut warnings = String::new();
    if f.metadata.deprecated {
        warnings.push_str(&format!("echo {}\n", q(&format!("(!) WARNING: Using the deprecated Feature \"{}\". This Feature will no longer receive any further updates/support.", f.metadata.id))));
    }
    if let Some(current) = f.metadata.current_id.as_ref().filter(|c| **c != f.metadata.id && !f.metadata.legacy_ids.is_empty()) {
        warnings.push_str(&format!("echo {}\n", q(&format!("(!) WARNING: This feature has been renamed. Please update the reference in devcontainer.json to \"{current}\"."))));
    }
    let failure = match &f.metadata.documentation_url {
        Some(url) => format!("ERROR: Feature \"{name}\" ({}) failed to install! Look at the documentation at {url} for help troubleshooting this error.", f.user_id),
        None => format!("ERROR: Feature \"{name}\" ({}) failed to install!", f.user_id),
    };
    let options: String = env.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "#!/bin/sh\nset -e\n\non_exit () {{\n\t[ $? -eq 0 ] && exit\n\techo {failure}\n}}\n\ntrap on_exit EXIT\n\n\
         echo ===========================================================================\n{warnings}\
         echo {name_line}\necho {desc_line}\necho {id_line}\necho {version_line}\necho {doc_line}\necho 'Options       :'\necho {options}\n\
         echo ===========================================================================\n\n\
         set -a\n. ../{BUILTIN_ENV}\n. ./devcontainer-features.env\nset +a\n\nchmod +x ./install.sh\n./install.sh\n",
        failure = q(&failure),
        name_line = q(&format!("Feature       : {name}")),
        desc_line = q(&format!("Description   : {}", f.metadata.description.clone().unwrap_or_default())),
        id_line = q(&format!("Id            : {}", f.user_id)),
        version_line = q(&format!("Version       : {}", f.metadata.version.clone().unwrap_or_default())),
        doc_line = q(&format!("Documentation : {}", f.metadata.documentation_url.clone().unwrap_or_default())),
        options = q(options.trim_end_matches('\n')),
    )
}

/// Copies a Feature folder (files, folders, symlinks), keeping modes.
fn copy_dir(from: &Path, to: &Path) -> Result<(), FeatureError> {
    std::fs::create_dir_all(to).map_err(|e| FeatureError::io("create", to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| FeatureError::io("read", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| FeatureError::io("read", from, e))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(|e| FeatureError::io("read", &src, e))?;
        if kind.is_dir() {
            copy_dir(&src, &dst)?;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(&src).map_err(|e| FeatureError::io("read", &src, e))?;
            std::os::unix::fs::symlink(&link, &dst).map_err(|e| FeatureError::io("write", &dst, e))?;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst).map_err(|e| FeatureError::io("copy", &src, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_has_one_layer_per_feature_with_env() {
        let layers = vec![
            Layer { folder: "a_0".into(), container_env: vec![("A_HOME".into(), "/opt/a \"x\"".into())], label: "./a".into() },
            Layer { folder: "b_1".into(), container_env: vec![("PATH".into(), "/opt/b:${PATH}".into())], label: "./b".into() },
        ];
        let d = dockerfile(&layers).unwrap();
        assert!(d.starts_with("ARG _DEV_CONTAINERS_BASE_IMAGE=placeholder\nFROM $_DEV_CONTAINERS_BASE_IMAGE AS dev_containers_target_stage\nUSER root\n"), "{d}");
        let a = d.find("ENV A_HOME=\"/opt/a \\\"x\\\"\"\nCOPY a_0/ /tmp/dev-container-features/a_0/\nRUN cd /tmp/dev-container-features/a_0").expect(&d);
        let b = d.find("ENV PATH=\"/opt/b:${PATH}\"\nCOPY b_1/").expect(&d);
        assert!(a < b);
        assert!(d.ends_with("ARG _DEV_CONTAINERS_IMAGE_USER=root\nUSER $_DEV_CONTAINERS_IMAGE_USER\n"), "{d}");
        assert!(!d.contains("--mount"), "no BuildKit-only syntax");
    }

    #[test]
    fn bad_container_env_is_rejected() {
        let layer = |k: &str, v: &str| Layer { folder: "a_0".into(), container_env: vec![(k.into(), v.into())], label: "./a".into() };
        let e = dockerfile(&[layer("A B", "x")]).unwrap_err().to_string();
        assert!(e.contains("'A B' is not a valid environment variable name"), "{e}");
        let e = dockerfile(&[layer("A", "x\ny")]).unwrap_err().to_string();
        assert!(e.contains("line break"), "{e}");
    }
}

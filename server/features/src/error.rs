//! `FeatureError`, the one error type of the features layer. Every message
//! names the Feature (as written in devcontainer.json), what went wrong and
//! what to do next, so the CLI can print it as is.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    /// An identifier that is neither a local path, an OCI reference nor a tarball URL.
    #[error("Feature '{id}': {message}")]
    Reference { id: String, message: String },

    /// A short id the reference CLI no longer maps (`"features": {"foo": {}}`).
    #[error(
        "Legacy feature '{id}' not supported. Use a published Feature (see https://containers.dev/features), or for a Feature in your repository prepend its folder with \"./\" (\"./{id}\")"
    )]
    LegacyId { id: String },

    /// A local Feature outside the config's `.devcontainer` folder, or missing.
    #[error("Feature '{id}': {message}")]
    LocalPath { id: String, path: PathBuf, message: String },

    /// devcontainer-feature.json is missing or malformed.
    #[error("Feature '{id}': {message}")]
    Metadata { id: String, message: String },

    /// An option value the Feature does not accept.
    #[error("Feature '{feature}', option '{option}': {message}")]
    OptionValue { feature: String, option: String, message: String },

    /// dependsOn / installsAfter / overrideFeatureInstallOrder cannot be satisfied.
    #[error(
        "Failed to compute Feature installation order! Circular dependency detected: {}. Remove one of these dependsOn/installsAfter edges (or ask the Features' authors to)",
        .cycle.join(" → ")
    )]
    Cycle { cycle: Vec<String> },

    /// An entry of overrideFeatureInstallOrder that is not a valid Feature id.
    #[error("overrideFeatureInstallOrder: '{id}': {message}")]
    Override { id: String, message: String },

    /// The registry could not be reached or answered with an error.
    #[error("Feature '{reference}': {message}")]
    Registry { reference: String, message: String },

    /// The registry (or tarball host) could not be reached at all.
    #[error(
        "Feature '{reference}': cannot reach the registry: {message}. Check the network (and HTTPS_PROXY); a Feature already in the local cache is used offline when its digest is known (devcontainer-lock.json or an @sha256: reference)"
    )]
    Unreachable { reference: String, message: String },

    /// Downloaded content does not have the digest it must have.
    #[error(
        "Feature '{reference}': digest mismatch: expected {expected}, got {actual}. The content changed since it was locked; run without --frozen-lockfile to update devcontainer-lock.json, or check the registry"
    )]
    Digest { reference: String, expected: String, actual: String },

    /// A tarball that is not a Feature (bad gzip/tar, no devcontainer-feature.json).
    #[error("Feature '{reference}': {message}")]
    Archive { reference: String, message: String },

    /// `--frozen-lockfile` and the lock file is missing or differs.
    #[error("{message} ({}). {hint}", .path.display())]
    Lockfile { path: PathBuf, message: String, hint: String },

    /// `--additional-features` is not a JSON object.
    #[error("--additional-features: {0}")]
    AdditionalFeatures(String),

    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    Config(#[from] devc_config::ConfigError),
}

impl FeatureError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> FeatureError {
        FeatureError::Io { action, path: path.into(), source }
    }
}

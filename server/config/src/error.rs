//! `ConfigError`, the one error type of the config layer. Every variant's message
//! names the cause, where it happened (file, line:col, property) and what to do
//! next, so the CLI can print it as is.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Errors of discovery, parsing glue, substitution, mounts and metadata.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No config file in the workspace.
    #[error(
        "no devcontainer.json found in {}: looked for {}; create one or pass --config <path>",
        .workspace.display(),
        join_paths(.candidates)
    )]
    NotFound {
        workspace: PathBuf,
        candidates: Vec<PathBuf>,
    },

    /// `--config` points at nothing.
    #[error(
        "config file {} (given with --config) does not exist; check the path, or omit --config to look in the workspace",
        .path.display()
    )]
    ExplicitConfigNotFound { path: PathBuf },

    /// More than one `.devcontainer/<folder>/devcontainer.json` and no well-known file.
    #[error(
        "several dev container configs found in {}: {}; choose one with --config <path>",
        .workspace.display(),
        join_paths(.candidates)
    )]
    AmbiguousConfig {
        workspace: PathBuf,
        candidates: Vec<PathBuf>,
    },

    /// Reading a file or folder failed.
    #[error("cannot read {}: {source}; check that it exists and is readable", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// JSONC syntax error (filled in by the parser glue).
    #[error(
        "{}:{line}:{col}: syntax error: {message}; fix the JSON (comments and trailing commas are allowed)",
        .path.display()
    )]
    Syntax {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },

    /// The document is valid JSON but not an object.
    #[error(
        "{}: dev container config must contain a JSON object literal; wrap the properties in {{ … }}",
        .path.display()
    )]
    NotAnObject { path: PathBuf },

    /// A known property has a value of the wrong shape.
    #[error("{}: property {property}: {message}; fix the value or remove the property", location(.path.as_deref()))]
    InvalidProperty {
        path: Option<PathBuf>,
        property: String,
        message: String,
    },

    /// `${localEnv}`, `${env}` or `${containerEnv}` without a variable name.
    #[error(
        "{}: '{text}' at {pointer} can not be resolved because no environment variable name is given; write ${{{variable}:NAME}} or ${{{variable}:NAME:default}}",
        location(.path.as_deref())
    )]
    MissingVariableName {
        path: Option<PathBuf>,
        pointer: String,
        text: String,
        variable: String,
    },

    /// A mount string or object that cannot be used.
    #[error(
        "invalid mount '{mount}': {reason}; expected type=<bind|volume|tmpfs>,source=<source>,target=<target> or {{\"type\",\"source\",\"target\"}}"
    )]
    InvalidMount { mount: String, reason: String },

    /// The `devcontainer.metadata` image label is not a JSON object or array.
    #[error(
        "image label devcontainer.metadata is invalid: {message}; rebuild the image, or fix the label (a JSON array of objects)"
    )]
    InvalidMetadataLabel { message: String },
}

fn join_paths(paths: &[PathBuf]) -> String {
    let mut s = String::new();
    for (i, p) in paths.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{}", p.display());
    }
    s
}

fn location(path: Option<&Path>) -> String {
    match path {
        Some(p) => p.display().to_string(),
        None => "devcontainer.json".to_string(),
    }
}

impl ConfigError {
    /// An `Io` error for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ConfigError::Io {
            path: path.into(),
            source,
        }
    }

    /// An `InvalidMount` error for a mount given as text.
    pub fn mount(mount: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError::InvalidMount {
            mount: mount.into(),
            reason: reason.into(),
        }
    }

    /// Attach a config file path to errors that carry an optional location.
    pub fn with_path(self, file: &Path) -> Self {
        match self {
            ConfigError::InvalidProperty {
                path: None,
                property,
                message,
            } => ConfigError::InvalidProperty {
                path: Some(file.to_path_buf()),
                property,
                message,
            },
            ConfigError::MissingVariableName {
                path: None,
                pointer,
                text,
                variable,
            } => ConfigError::MissingVariableName {
                path: Some(file.to_path_buf()),
                pointer,
                text,
                variable,
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_lists_candidates_and_next_step() {
        let e = ConfigError::NotFound {
            workspace: "/ws".into(),
            candidates: vec![
                "/ws/.devcontainer/devcontainer.json".into(),
                "/ws/.devcontainer.json".into(),
            ],
        };
        assert_eq!(
            e.to_string(),
            "no devcontainer.json found in /ws: looked for /ws/.devcontainer/devcontainer.json, /ws/.devcontainer.json; create one or pass --config <path>"
        );
    }

    #[test]
    fn syntax_has_line_and_col() {
        let e = ConfigError::Syntax {
            path: "/ws/.devcontainer.json".into(),
            line: 3,
            col: 7,
            message: "expected ','".into(),
        };
        let s = e.to_string();
        assert!(
            s.starts_with("/ws/.devcontainer.json:3:7: syntax error: expected ','"),
            "{s}"
        );
        assert!(s.contains("fix the JSON"));
    }

    #[test]
    fn missing_variable_name_suggests_syntax() {
        let e = ConfigError::MissingVariableName {
            path: None,
            pointer: "/containerEnv/A".into(),
            text: "${localEnv}".into(),
            variable: "localEnv".into(),
        }
        .with_path(Path::new("/ws/.devcontainer/devcontainer.json"));
        assert_eq!(
            e.to_string(),
            "/ws/.devcontainer/devcontainer.json: '${localEnv}' at /containerEnv/A can not be resolved because no environment variable name is given; write ${localEnv:NAME} or ${localEnv:NAME:default}"
        );
    }

    #[test]
    fn io_error_keeps_source() {
        let e = ConfigError::io(
            "/x",
            std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied"),
        );
        assert!(std::error::Error::source(&e).is_some());
        assert!(e.to_string().starts_with("cannot read /x: denied;"));
    }

    #[test]
    fn mount_error_names_problem() {
        let e = ConfigError::mount("type=bind,source=/a", "mount is missing target=");
        assert!(e
            .to_string()
            .starts_with("invalid mount 'type=bind,source=/a': mount is missing target=;"));
    }
}

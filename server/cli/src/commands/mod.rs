//! One module per subcommand, plus what they share: locating the workspace and
//! config file, and writing the one-line JSON result.

pub mod read_configuration;
pub mod validate;

use devc_config::{ConfigError, DiscoveredConfig};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `--workspace-folder` made absolute (default: the current directory).
pub fn workspace_folder(arg: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let cwd = std::env::current_dir().map_err(|e| ConfigError::io(".", e))?;
    Ok(match arg {
        Some(p) => devc_config::discovery::resolve_path(&cwd, p),
        None => cwd,
    })
}

/// Finds the config file; a missing workspace folder is reported as such.
pub fn locate(workspace: &Path, config: Option<&Path>) -> Result<DiscoveredConfig, ConfigError> {
    if config.is_none() && !workspace.is_dir() {
        return Err(ConfigError::io(
            workspace,
            std::io::Error::new(std::io::ErrorKind::NotFound, "workspace folder does not exist"),
        ));
    }
    devc_config::discover_config(workspace, config)
}

/// Writes `value` as one line on stdout.
pub fn print_json(value: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

/// The reference CLI's error result: `{"outcome":"error","message":…,"description":…}`.
pub fn print_error(message: &str, description: &str) {
    tracing::error!("{message}");
    print_json(&serde_json::json!({"outcome": "error", "message": message, "description": description}));
}

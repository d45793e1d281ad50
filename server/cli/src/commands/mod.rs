//! One module per subcommand, plus what they share: locating the workspace and
//! config file, and writing the one-line JSON result.

pub mod engine;
pub mod read_configuration;
pub mod validate;

use devc_config::{ConfigError, DiscoveredConfig};
use std::io::Write;
use std::path::PathBuf;

/// Where the config is: `--workspace-folder` and `--config`, as the reference CLI takes them.
#[derive(clap::Args, Debug)]
pub struct ConfigArgs {
    /// Workspace folder path (default: the current directory).
    #[arg(long)]
    pub workspace_folder: Option<PathBuf>,
    /// devcontainer.json path (default: discovered in the workspace folder).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl ConfigArgs {
    /// The absolute workspace folder and the config file found for it.
    pub fn locate(&self) -> Result<(PathBuf, DiscoveredConfig), ConfigError> {
        let cwd = std::env::current_dir().map_err(|e| ConfigError::io(".", e))?;
        let workspace = match &self.workspace_folder {
            Some(p) => devc_config::discovery::resolve_path(&cwd, p),
            None => cwd,
        };
        if self.config.is_none() && !workspace.is_dir() {
            return Err(ConfigError::io(
                &workspace,
                std::io::Error::new(std::io::ErrorKind::NotFound, "workspace folder does not exist"),
            ));
        }
        let found = devc_config::discover_config(&workspace, self.config.as_deref())?;
        Ok((workspace, found))
    }
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

//! Which workspace folder a config file belongs to (what `devc up
//! --workspace-folder` would be given for it).

use std::path::{Path, PathBuf};

/// `<ws>/.devcontainer/devcontainer.json` and
/// `<ws>/.devcontainer/<sub>/devcontainer.json` belong to `<ws>`;
/// `<ws>/.devcontainer.json` to `<ws>`. Any other location: the file's folder.
pub fn workspace_folder(config: &Path) -> Option<PathBuf> {
    let dir = config.parent()?;
    let name = config.file_name()?.to_str()?;
    if name == "devcontainer.json" {
        let is_dc = |p: &Path| p.file_name().is_some_and(|n| n == ".devcontainer");
        if is_dc(dir) {
            return dir.parent().map(Path::to_path_buf);
        }
        if let Some(parent) = dir.parent() {
            if is_dc(parent) {
                return parent.parent().map(Path::to_path_buf);
            }
        }
    }
    Some(dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_of_each_location() {
        let ws = |p: &str| workspace_folder(Path::new(p)).unwrap();
        assert_eq!(ws("/w/.devcontainer/devcontainer.json"), Path::new("/w"));
        assert_eq!(ws("/w/.devcontainer/python/devcontainer.json"), Path::new("/w"));
        assert_eq!(ws("/w/.devcontainer.json"), Path::new("/w"));
        assert_eq!(ws("/w/other/devcontainer.json"), Path::new("/w/other"));
    }
}

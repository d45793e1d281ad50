//! devcontainer.json config layer: discovery, variable substitution, id labels,
//! mounts, image metadata merging, workspace defaults, the typed model, and the
//! `read-configuration` output, all matching the reference `devcontainer` CLI.
//!
//! Everything works on `serde_json::Value` (with `preserve_order`); parsing JSONC
//! text is left to the caller.

pub mod diagnose;
pub mod discovery;
pub mod dockerfile;
pub mod document;
pub mod error;
pub mod id;
pub mod js;
pub mod merge;
pub mod model;
pub mod mount;
pub mod read_configuration;
pub mod substitute;
pub mod workspace;

pub use diagnose::{diagnose, diagnose_text, Diagnostic, DiagnosticCode, Severity};
pub use document::ConfigDocument;
pub use discovery::{discover_config, find_config, ConfigSource, DiscoveredConfig};
pub use error::ConfigError;
pub use id::{devcontainer_id, id_labels, labels_from_list, CONFIG_FILE_LABEL, LOCAL_FOLDER_LABEL};
pub use merge::{
    build_metadata_entries, config_to_metadata_entry, merge_configuration, parse_metadata_label,
    METADATA_LABEL,
};
pub use model::{ConfigKind, DevContainerConfig, LifecycleCommand, LifecycleHook};
pub use mount::{mount_from_value, parse_mount, Mount, MountType};
pub use read_configuration::{
    read_configuration, update_from_old_properties, ContainerContext, ReadConfigurationOptions,
    ResolvedConfig,
};
pub use substitute::{
    check_value, check_variables, scan_variables, Phase, SubstitutionContext, SubstitutionWarning,
    VariableIssue, VariableRef, KNOWN_VARIABLES,
};
pub use workspace::{
    find_git_root, workspace_configuration, HostPlatform, WorkspaceConfig, WorkspaceOptions,
};

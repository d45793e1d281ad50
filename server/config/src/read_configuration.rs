//! Assembles the `read-configuration` output exactly as the reference CLI prints it:
//! legacy property update, workspace defaults, substitution phases, `configFilePath`,
//! image metadata entries, `mergedConfiguration`, and JavaScript key order.

use crate::discovery::ConfigSource;
use crate::error::ConfigError;
use crate::id;
use crate::js;
use crate::merge;
use crate::substitute::{Phase, SubstitutionContext, SubstitutionWarning};
use crate::workspace::{workspace_configuration, WorkspaceConfig, WorkspaceOptions};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// An existing container found for this config (enables phases 2 and 3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerContext {
    /// The id labels used to find it (they define `${devcontainerId}`).
    pub id_labels: IndexMap<String, String>,
    /// Its `Config.Env`, as a map (see [`crate::id::labels_from_list`] for `K=V` lists).
    pub env: HashMap<String, String>,
}

/// Inputs of [`read_configuration`].
#[derive(Debug, Clone)]
pub struct ReadConfigurationOptions {
    /// Absolute host workspace folder (`--workspace-folder`), if any.
    pub workspace_folder: Option<PathBuf>,
    /// Absolute config file path.
    pub config_file: PathBuf,
    /// How the config was found (decides the `configFilePath` URI scheme).
    pub config_source: ConfigSource,
    /// Host environment for `${localEnv:…}`.
    pub local_env: HashMap<String, String>,
    pub workspace: WorkspaceOptions,
    pub container: Option<ContainerContext>,
    /// Id labels known before a container exists (`up` creating one): they define
    /// `${devcontainerId}` while `${containerEnv:…}` stays literal.
    pub id_labels: Option<IndexMap<String, String>>,
}

impl ReadConfigurationOptions {
    /// Options with the process environment and default workspace flags.
    pub fn new(
        workspace_folder: Option<PathBuf>,
        config_file: PathBuf,
        config_source: ConfigSource,
    ) -> Self {
        ReadConfigurationOptions {
            workspace_folder,
            config_file,
            config_source,
            local_env: std::env::vars().collect(),
            workspace: WorkspaceOptions::default(),
            container: None,
            id_labels: None,
        }
    }
}

/// A read, updated and substituted config.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    /// After the legacy update, before substitution (what image labels store).
    pub raw: Value,
    /// Substituted, with `configFilePath`: the `configuration` of the output.
    pub configuration: Value,
    pub workspace: WorkspaceConfig,
    /// The context used; reuse it to substitute metadata entries.
    pub context: SubstitutionContext,
    /// Unknown variables left literal.
    pub warnings: Vec<SubstitutionWarning>,
    pub container: Option<ContainerContext>,
}

/// The reference's `configFilePath` (a serialized vscode-uri):
/// `{"$mid":1,"fsPath":…,"path":…,"scheme":"file"|"vscode-fileHost"}`.
pub fn config_file_uri(path: &Path, source: ConfigSource) -> Value {
    let p = path.to_string_lossy().into_owned();
    let mut m = Map::new();
    m.insert("$mid".into(), Value::from(1));
    m.insert("fsPath".into(), Value::String(p.clone()));
    m.insert("path".into(), Value::String(p));
    let scheme = if source == ConfigSource::Explicit {
        "file"
    } else {
        "vscode-fileHost"
    };
    m.insert("scheme".into(), Value::String(scheme.into()));
    Value::Object(m)
}

/// `{"authLookupWouldBeBlocked":false,…}`, printed by reference CLI 0.89.0 at the end of
/// the `read-configuration` output when no OCI registry was contacted.
pub fn default_oci_auth_diagnostics() -> Value {
    serde_json::json!({
        "authLookupWouldBeBlocked": false,
        "registryRedirectWouldPreventCredentialForwarding": false,
        "authServerRedirect": false
    })
}

fn as_object_mut<'a>(
    v: &'a mut Value,
    property: &str,
) -> Result<&'a mut Map<String, Value>, ConfigError> {
    v.as_object_mut()
        .ok_or_else(|| ConfigError::InvalidProperty {
            path: None,
            property: property.to_string(),
            message:
                "must be an object to receive the legacy top-level extensions/settings/devPort"
                    .to_string(),
        })
}

/// The reference's `updateFromOldProperties`: top-level `extensions`, `settings` and
/// `devPort` move into `customizations.vscode` (extensions appended, existing settings
/// win, devPort only if not set there). Non-objects are returned unchanged.
pub fn update_from_old_properties(config: Value) -> Result<Value, ConfigError> {
    let Value::Object(mut copy) = config else {
        return Ok(config);
    };
    let has_ext = js::truthy_opt(copy.get("extensions"));
    let has_settings = js::truthy_opt(copy.get("settings"));
    let has_dev_port = copy.contains_key("devPort");
    if !(has_ext || has_settings || has_dev_port) {
        return Ok(Value::Object(copy));
    }
    if !js::truthy_opt(copy.get("customizations")) {
        copy.insert("customizations".into(), Value::Object(Map::new()));
    }
    let extensions = if has_ext {
        copy.shift_remove("extensions")
    } else {
        None
    };
    let settings = if has_settings {
        copy.shift_remove("settings")
    } else {
        None
    };
    let customizations = copy
        .get_mut("customizations")
        .map(|c| as_object_mut(c, "customizations"));
    let customizations = match customizations {
        Some(c) => c?,
        None => return Ok(Value::Object(copy)),
    };
    if !js::truthy_opt(customizations.get("vscode")) {
        customizations.insert("vscode".into(), Value::Object(Map::new()));
    }
    let mut move_dev_port = false;
    if let Some(vscode) = customizations.get_mut("vscode") {
        let vscode = as_object_mut(vscode, "customizations.vscode")?;
        if let Some(ext) = extensions {
            let mut list = match vscode.get("extensions") {
                Some(Value::Array(a)) => a.clone(),
                Some(v) if js::truthy(v) => vec![v.clone()],
                _ => Vec::new(),
            };
            match ext {
                Value::Array(a) => list.extend(a),
                other => list.push(other),
            }
            vscode.insert("extensions".into(), Value::Array(list));
        }
        if let Some(settings) = settings {
            let mut merged = settings.as_object().cloned().unwrap_or_default();
            if let Some(Value::Object(existing)) = vscode.get("settings") {
                for (k, v) in existing {
                    merged.insert(k.clone(), v.clone());
                }
            }
            vscode.insert("settings".into(), Value::Object(merged));
        }
        if has_dev_port && !vscode.contains_key("devPort") {
            move_dev_port = true;
        }
    }
    if move_dev_port {
        if let Some(dev_port) = copy.shift_remove("devPort") {
            if let Some(Value::Object(c)) = copy.get_mut("customizations") {
                if let Some(Value::Object(vscode)) = c.get_mut("vscode") {
                    vscode.insert("devPort".into(), dev_port);
                }
            }
        }
    }
    Ok(Value::Object(copy))
}

/// Reads a parsed devcontainer.json document the way the reference's
/// `readDevContainerConfigFile` (+ the container phases of `read-configuration`) does.
pub fn read_configuration(
    document: Value,
    opts: &ReadConfigurationOptions,
) -> Result<ResolvedConfig, ConfigError> {
    let locate = |e: ConfigError| e.with_path(&opts.config_file);
    let updated = update_from_old_properties(document).map_err(locate)?;
    if !updated.is_object() {
        return Err(ConfigError::NotAnObject {
            path: opts.config_file.clone(),
        });
    }
    let mut workspace =
        workspace_configuration(opts.workspace_folder.as_deref(), &updated, &opts.workspace);
    let context = SubstitutionContext {
        local_env: opts.local_env.clone(),
        local_workspace_folder: opts
            .workspace_folder
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned()),
        container_workspace_folder: workspace.workspace_folder_str().map(str::to_string),
        devcontainer_id: opts
            .container
            .as_ref()
            .map(|c| &c.id_labels)
            .or(opts.id_labels.as_ref())
            .map(id::devcontainer_id),
        container_env: opts.container.as_ref().map(|c| c.env.clone()),
        config_file: Some(opts.config_file.clone()),
    };
    let phase1 = context.substitute(&updated, &[Phase::Local])?;
    workspace.apply_substituted_config(&phase1.value);
    let later: Vec<Phase> = context
        .available_phases()
        .into_iter()
        .filter(|p| *p != Phase::Local)
        .collect();
    let mut configuration = if later.is_empty() {
        phase1.value
    } else {
        context.substitute(&phase1.value, &later)?.value
    };
    if let Value::Object(m) = &mut configuration {
        m.insert(
            "configFilePath".into(),
            config_file_uri(&opts.config_file, opts.config_source),
        );
    }
    Ok(ResolvedConfig {
        raw: updated,
        configuration,
        workspace,
        context,
        warnings: phase1.warnings,
        container: opts.container.clone(),
    })
}

impl ResolvedConfig {
    /// Substitutes a metadata entry with every phase available for this config.
    pub fn substitute_entry(&self, entry: &Value) -> Result<Value, ConfigError> {
        self.context.substitute_all(entry).map(|s| s.value)
    }

    /// Metadata for a new container (`getDevcontainerMetadata(...).config`): the base
    /// image's label entries and the feature entries (both raw; substituted here), then
    /// this config's own entry. Empty entries are dropped.
    pub fn metadata_entries(
        &self,
        base_image_entries: &[Value],
        feature_entries: &[Value],
    ) -> Result<Vec<Value>, ConfigError> {
        let base = base_image_entries
            .iter()
            .map(|e| self.substitute_entry(e))
            .collect::<Result<Vec<_>, _>>()?;
        let features = feature_entries
            .iter()
            .map(|e| self.substitute_entry(e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(merge::build_metadata_entries(
            base,
            features,
            merge::config_to_metadata_entry(&self.configuration),
        ))
    }

    /// Metadata for an existing container (`getImageMetadataFromContainer`), from its
    /// `Config.Labels`: without a metadata label, as for a new container; with one and all
    /// id labels present, the label's entries plus only `remoteUser`/`userEnvProbe`/`remoteEnv`
    /// of this config. An unparsable label counts as empty, as in the reference.
    pub fn container_metadata_entries(
        &self,
        container_labels: &IndexMap<String, String>,
        feature_entries: &[Value],
    ) -> Result<Vec<Value>, ConfigError> {
        let label = container_labels
            .get(merge::METADATA_LABEL)
            .filter(|l| !l.is_empty());
        let entries = match label {
            None => self.metadata_entries(&[], feature_entries)?,
            Some(label) => {
                let raw = merge::parse_metadata_label(label).unwrap_or_default();
                let has_id_labels = self.container.as_ref().is_some_and(|c| {
                    c.id_labels
                        .keys()
                        .all(|k| container_labels.get(k).is_some_and(|v| !v.is_empty()))
                });
                if has_id_labels {
                    let mut entries = raw
                        .iter()
                        .map(|e| self.substitute_entry(e))
                        .collect::<Result<Vec<_>, _>>()?;
                    entries.push(merge::config_to_updateable_entry(&self.configuration));
                    entries.retain(|e| !e.as_object().is_some_and(Map::is_empty));
                    entries
                } else {
                    self.metadata_entries(&raw, feature_entries)?
                }
            }
        };
        entries
            .iter()
            .map(|e| self.context.substitute_container_env(e))
            .collect()
    }

    /// `mergeConfiguration(configuration, entries)`.
    pub fn merged_configuration(&self, entries: &[Value]) -> Value {
        merge::merge_configuration(&self.configuration, entries)
    }

    /// The `read-configuration` stdout object, in JavaScript key order, including the
    /// `ociAuthDiagnostics` trailer that reference CLI 0.89.0 prints.
    pub fn to_output(&self, merged: Option<&Value>) -> Value {
        self.to_output_with(merged, Some(default_oci_auth_diagnostics()))
    }

    /// Like [`Self::to_output`], with an explicit (or no) `ociAuthDiagnostics` value.
    pub fn to_output_with(
        &self,
        merged: Option<&Value>,
        oci_auth_diagnostics: Option<Value>,
    ) -> Value {
        let mut m = Map::new();
        m.insert("configuration".into(), self.configuration.clone());
        m.insert("workspace".into(), self.workspace.to_json());
        if let Some(merged) = merged {
            m.insert("mergedConfiguration".into(), merged.clone());
        }
        if let Some(d) = oci_auth_diagnostics {
            m.insert("ociAuthDiagnostics".into(), d);
        }
        js::normalize(Value::Object(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::HostPlatform;
    use serde_json::json;

    fn opts(ws: &str) -> ReadConfigurationOptions {
        ReadConfigurationOptions {
            workspace_folder: Some(PathBuf::from(ws)),
            config_file: PathBuf::from(format!("{ws}/.devcontainer/devcontainer.json")),
            config_source: ConfigSource::WellKnown,
            local_env: [("FOO".to_string(), "foo".to_string())]
                .into_iter()
                .collect(),
            workspace: WorkspaceOptions {
                mount_workspace_git_root: false,
                platform: HostPlatform::Linux,
                ..Default::default()
            },
            container: None,
            id_labels: None,
        }
    }

    #[test]
    fn legacy_properties_move_into_customizations() {
        let v = update_from_old_properties(
            json!({"extensions": ["a"], "image": "x", "settings": {"s": 1}, "devPort": 3}),
        )
        .unwrap();
        assert_eq!(
            js::stringify(&v),
            r#"{"image":"x","customizations":{"vscode":{"extensions":["a"],"settings":{"s":1},"devPort":3}}}"#
        );
        let v = update_from_old_properties(json!({
            "customizations": {"vscode": {"settings": {"a": 1, "b": 2}, "extensions": ["x"], "devPort": 1}},
            "settings": {"b": 20, "c": 30}, "extensions": ["z"], "devPort": 2
        }))
        .unwrap();
        assert_eq!(
            js::stringify(&v),
            r#"{"customizations":{"vscode":{"settings":{"b":2,"c":30,"a":1},"extensions":["x","z"],"devPort":1}},"devPort":2}"#
        );
        // Falsy extensions/settings stay; nothing to do.
        let v = json!({"extensions": "", "settings": null, "image": "x"});
        assert_eq!(update_from_old_properties(v.clone()).unwrap(), v);
        assert!(update_from_old_properties(json!({"customizations": "x", "devPort": 1})).is_err());
    }

    #[test]
    fn configuration_and_workspace() {
        let doc = json!({"image": "x", "workspaceFolder": "/w/${localWorkspaceFolderBasename}", "containerEnv": {"A": "${localEnv:FOO}", "B": "${containerWorkspaceFolder}", "C": "${bogus}"}});
        let r = read_configuration(doc, &opts("/h/proj")).unwrap();
        assert_eq!(
            js::stringify(&r.configuration),
            r#"{"image":"x","workspaceFolder":"/w/proj","containerEnv":{"A":"foo","B":"/w/proj","C":"${bogus}"},"configFilePath":{"$mid":1,"fsPath":"/h/proj/.devcontainer/devcontainer.json","path":"/h/proj/.devcontainer/devcontainer.json","scheme":"vscode-fileHost"}}"#
        );
        assert_eq!(
            r.workspace.to_json(),
            json!({"workspaceFolder": "/w/proj", "workspaceMount": "type=bind,source=/h/proj,target=/workspaces/proj"})
        );
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].pointer, "/containerEnv/C");
        let out = r.to_output(None);
        assert_eq!(
            out.as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["configuration", "workspace", "ociAuthDiagnostics"]
        );
    }

    #[test]
    fn not_an_object_and_missing_env_name() {
        let e = read_configuration(json!([1]), &opts("/h/p")).unwrap_err();
        assert!(matches!(e, ConfigError::NotAnObject { .. }));
        let e = read_configuration(json!({"name": "${localEnv}"}), &opts("/h/p")).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("/h/p/.devcontainer/devcontainer.json: '${localEnv}' at /name"),
            "{msg}"
        );
    }

    #[test]
    fn container_phases_and_metadata() {
        let mut o = opts("/h/p");
        o.container = Some(ContainerContext {
            id_labels: id::labels_from_list(&["a=b"]),
            env: [("PATH".to_string(), "/bin".to_string())]
                .into_iter()
                .collect(),
        });
        let doc = json!({"image": "x", "workspaceFolder": "/w/${devcontainerId}", "remoteEnv": {"P": "${containerEnv:PATH}"}, "remoteUser": "u", "postCreateCommand": "x"});
        let r = read_configuration(doc, &o).unwrap();
        let idv = id::devcontainer_id(&id::labels_from_list(&["a=b"]));
        assert_eq!(
            r.configuration["workspaceFolder"],
            json!(format!("/w/{idv}"))
        );
        // The workspace object only sees phase 1, like the reference.
        assert_eq!(
            r.workspace.workspace_folder_str(),
            Some("/w/${devcontainerId}")
        );
        let labels: IndexMap<String, String> = [
            ("a".to_string(), "b".to_string()),
            (
                "devcontainer.metadata".to_string(),
                r#"[{"remoteEnv":{"L":"${containerEnv:PATH}"}}]"#.to_string(),
            ),
        ]
        .into_iter()
        .collect();
        let entries = r.container_metadata_entries(&labels, &[]).unwrap();
        assert_eq!(
            entries,
            vec![
                json!({"remoteEnv": {"L": "/bin"}}),
                json!({"remoteUser": "u", "remoteEnv": {"P": "/bin"}})
            ]
        );
        // Without the id labels on the container, the full config entry is used.
        let mut labels2 = labels.clone();
        labels2.shift_remove("a");
        let entries = r.container_metadata_entries(&labels2, &[]).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1]["postCreateCommand"], json!("x"));
    }
}

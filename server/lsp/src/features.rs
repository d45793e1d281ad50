//! What the editor shows about Features: their metadata looked up on disk
//! only (local Feature folders, and OCI/tarball Features in devc's cache,
//! filled by `devc up`/`build`; never the network), rendered for hover and
//! completion documentation.

use devc_features::catalog::Catalog;
use devc_features::metadata::{FeatureMetadata, OptionSpec, OptionType};
use devc_jsonc::PathSegment;

use crate::document::Document;

/// The catalog for this user (the cache location can change between requests).
pub fn catalog() -> Catalog {
    Catalog::default_location()
}

/// `features.<id>` → the id; `features.<id>.<option>` → both.
pub fn at(path: &[PathSegment]) -> Option<(&str, Option<&str>)> {
    match path {
        [PathSegment::Key(f), PathSegment::Key(id)] if f == "features" => Some((id, None)),
        [PathSegment::Key(f), PathSegment::Key(id), PathSegment::Key(opt)] if f == "features" => Some((id, Some(opt))),
        _ => None,
    }
}

/// The metadata of the Feature `id` in `doc`'s `features`, if known locally.
pub fn lookup(doc: &Document, id: &str) -> Option<FeatureMetadata> {
    catalog().lookup(id, doc.path.as_deref())
}

fn type_name(spec: &OptionSpec) -> &'static str {
    match spec.kind {
        OptionType::Boolean => "boolean",
        OptionType::String => "string",
    }
}

fn allowed(spec: &OptionSpec) -> Option<String> {
    let (label, values) = match (&spec.enum_values, spec.proposals.is_empty()) {
        (Some(e), _) => ("one of", e),
        (None, false) => ("suggested", &spec.proposals),
        (None, true) => return None,
    };
    Some(format!("{label} {}", values.iter().map(|v| format!("`\"{v}\"`")).collect::<Vec<_>>().join(", ")))
}

/// A Feature's hover / completion documentation.
pub fn feature_markdown(id: &str, m: &FeatureMetadata) -> String {
    let mut parts = Vec::new();
    let title = m.name.clone().unwrap_or_else(|| m.id.clone());
    let version = m.version.as_deref().map(|v| format!(" {v}")).unwrap_or_default();
    parts.push(format!("**{title}** (`{id}`{version})"));
    if m.deprecated {
        parts.push("**Deprecated**".into());
    }
    if let Some(d) = &m.description {
        parts.push(d.clone());
    }
    if let Some(url) = &m.documentation_url {
        parts.push(format!("Documentation: {url}"));
    }
    if !m.options.is_empty() {
        let lines: Vec<String> = m
            .options
            .iter()
            .map(|(name, spec)| {
                let mut facts = vec![type_name(spec).to_string()];
                if let Some(d) = &spec.default {
                    facts.push(format!("default `{d}`"));
                }
                if let Some(a) = allowed(spec) {
                    facts.push(a);
                }
                let description = spec.description.as_deref().map(|d| format!(": {d}")).unwrap_or_default();
                format!("- `{name}` ({}){description}", facts.join(", "))
            })
            .collect();
        parts.push(format!("Options:\n{}", lines.join("\n")));
    }
    parts.join("\n\n")
}

/// One option's hover / completion documentation.
pub fn option_markdown(feature: &FeatureMetadata, name: &str, spec: &OptionSpec) -> String {
    let mut parts = vec![format!("**{name}**: `{}` (option of {})", type_name(spec), feature.name.as_deref().unwrap_or(&feature.id))];
    if let Some(d) = &spec.description {
        parts.push(d.clone());
    }
    if let Some(d) = &spec.default {
        parts.push(format!("Default: `{d}`"));
    }
    if let Some(a) = allowed(spec) {
        parts.push(format!("Values: {a}"));
    }
    parts.join("\n\n")
}

//! Hover: the schema's description, type, default and deprecation of the
//! property under the cursor (on its key or its value), the description of an
//! enum value, and for `${…}` variables what they stand for. For
//! `${localEnv:VAR}` it says whether VAR is set in the server's environment,
//! never its value. On a Feature or a Feature option: its description and
//! options from devcontainer-feature.json (local or cached, see `crate::features`).

use devc_config::substitute::{known_variable, scan_variables};
use devc_jsonc::{Node, PathSegment, Span};
use tower_lsp_server::ls_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use crate::cursor::{self, Hit};
use crate::document::Document;
use crate::features;
use crate::schema;
use crate::types::ClientConfig;

pub fn hover(doc: &Document, offset: usize, config: &ClientConfig) -> Option<Hover> {
    if !doc.is_devcontainer() || cursor::in_comment(&doc.parse, &doc.text, offset) {
        return None;
    }
    let root = doc.parse.root.as_ref()?;
    let (text, span) = match cursor::hit(root, offset)? {
        Hit::Key { path, prop } => match feature(doc, &path) {
            Some(text) => (text, prop.key.span.clone()),
            None => (describe(&doc.text, &path, prop.value.as_ref(), false)?, prop.key.span.clone()),
        },
        Hit::Value { path, node } => {
            if let Some(found) = variable(doc, node, offset) {
                found
            } else if let Some(text) = feature(doc, &path) {
                (text, node.span.clone())
            } else {
                (describe(&doc.text, &path, Some(node), true)?, node.span.clone())
            }
        }
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: if config.markdown { MarkupKind::Markdown } else { MarkupKind::PlainText },
            value: text,
        }),
        range: Some(doc.range(&span)),
    })
}

/// A Feature (`features.<id>`) or one of its options, from its metadata on disk.
fn feature(doc: &Document, path: &[PathSegment]) -> Option<String> {
    let (id, option) = features::at(path)?;
    let meta = features::lookup(doc, id)?;
    match option {
        None => Some(features::feature_markdown(id, &meta)),
        Some(name) => meta.options.get(name).map(|spec| features::option_markdown(&meta, name, spec)),
    }
}

/// The schema documentation of `path`, whose value is `value`; `on_value`
/// adds the enum description of the value.
fn describe(text: &str, path: &[PathSegment], value: Option<&Node>, on_value: bool) -> Option<String> {
    let (info, fitting) = match value {
        Some(node) => schema::info_at(text, &node.span, path),
        None => (schema::info(path), Vec::new()),
    };
    if info.ids.is_empty() {
        return None;
    }
    let name = match path.last() {
        Some(PathSegment::Key(k)) => k.clone(),
        Some(PathSegment::Index(_)) => "item".into(),
        None => "devcontainer.json".into(),
    };
    let mut parts = Vec::new();
    if let Some(node) = value.filter(|_| on_value) {
        let v = node.to_value();
        if let Some((_, d)) = fitting.iter().find(|(e, _)| *e == v) {
            parts.push(match d {
                Some(d) => format!("`{v}`: {d}"),
                None => format!("`{v}`"),
            });
        }
    }
    parts.push(format!("**{name}**: `{}`", schema::type_summary(&info.types)));
    if let Some(d) = &info.description {
        parts.push(d.clone());
    }
    if let Some(d) = &info.default {
        parts.push(format!("Default: `{d}`"));
    }
    if let Some(msg) = &info.deprecated {
        parts.push(format!("**Deprecated**: {msg}"));
    }
    Some(parts.join("\n\n"))
}

/// Hover for the `${…}` under the cursor inside a string value.
fn variable(doc: &Document, node: &Node, offset: usize) -> Option<(String, Span)> {
    node.as_str()?;
    // Scan the source text between the quotes, so ranges are source offsets.
    let start = node.span.start + 1;
    let end = if node.span.end > start && doc.text.as_bytes()[node.span.end - 1] == b'"' { node.span.end - 1 } else { node.span.end };
    let raw = doc.text.get(start..end)?;
    let var = scan_variables(raw).into_iter().find(|v| start + v.range.start <= offset && offset < start + v.range.end)?;
    let span = start + var.range.start..start + var.range.end;
    let source = &doc.text[span.clone()];
    let mut parts = vec![format!("`{source}`")];
    match var.name.as_str() {
        "localEnv" | "env" => match var.args.first().filter(|n| !n.is_empty()) {
            Some(name) => {
                let set = std::env::var_os(name).is_some();
                parts.push(format!(
                    "Host environment variable `{name}`: **{}** in the language server's environment.",
                    if set { "set" } else { "not set" }
                ));
                if !set {
                    parts.push(match var.args.get(1) {
                        Some(d) => format!("When it is not set, the default `{d}` is used."),
                        None => "When it is not set, it is replaced by an empty string.".into(),
                    });
                }
            }
            None => parts.push("Names no environment variable: write `${localEnv:NAME}`.".into()),
        },
        "localWorkspaceFolder" | "localWorkspaceFolderBasename" => {
            if let Some(known) = known_variable(&var.name) {
                parts.push(known.description.to_string());
            }
            if let Some(ws) = doc.path.as_deref().and_then(crate::workspace::workspace_folder) {
                let value = if var.name == "localWorkspaceFolder" {
                    ws.display().to_string()
                } else {
                    ws.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
                };
                parts.push(format!("Here: `{value}`"));
            }
        }
        name => match known_variable(name) {
            Some(known) => parts.push(known.description.to_string()),
            None => parts.push(format!("`{name}` is not a variable devc knows.")),
        },
    }
    Some((parts.join("\n\n"), span))
}

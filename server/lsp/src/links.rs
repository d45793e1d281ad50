//! Document links and go-to-definition for the paths a config refers to:
//! `build.dockerfile`, `build.context`, `dockerFile`, `context` and
//! `dockerComposeFile` (a string or an array). Paths resolve against the
//! config file's folder, as `devc up` does; only existing targets are linked.

use std::path::PathBuf;

use devc_config::discovery::resolve_path;
use devc_jsonc::{Node, NodeKind};
use tower_lsp_server::ls_types::{DocumentLink, Location, Range, Uri};

use crate::document::Document;

/// Every path-valued string node with its resolved, existing target.
fn targets(doc: &Document) -> Vec<(&Node, PathBuf)> {
    let (Some(root), Some(dir)) = (doc.parse.root.as_ref(), doc.dir()) else { return Vec::new() };
    if !doc.is_devcontainer() {
        return Vec::new();
    }
    let mut nodes: Vec<&Node> = Vec::new();
    if let Some(build) = root.get("build") {
        nodes.extend(build.get("dockerfile"));
        nodes.extend(build.get("context"));
    }
    nodes.extend(root.get("dockerFile"));
    nodes.extend(root.get("context"));
    match root.get("dockerComposeFile") {
        Some(n @ Node { kind: NodeKind::String(_), .. }) => nodes.push(n),
        Some(Node { kind: NodeKind::Array(items), .. }) => nodes.extend(items.iter()),
        _ => {}
    }
    nodes
        .into_iter()
        .filter_map(|n| {
            let rel = n.as_str().filter(|s| !s.is_empty() && !s.contains("${"))?;
            let full = resolve_path(&dir, std::path::Path::new(rel));
            full.exists().then_some((n, full))
        })
        .collect()
}

/// The range between a string's quotes.
fn inner_range(doc: &Document, n: &Node) -> Range {
    let end = if n.span.end > n.span.start + 1 && doc.text.as_bytes()[n.span.end - 1] == b'"' { n.span.end - 1 } else { n.span.end };
    doc.range(&(n.span.start + 1..end))
}

pub fn links(doc: &Document) -> Vec<DocumentLink> {
    targets(doc)
        .into_iter()
        .filter_map(|(n, full)| {
            Some(DocumentLink {
                range: inner_range(doc, n),
                target: Some(Uri::from_file_path(&full)?),
                tooltip: Some(format!("Open {}", full.display())),
                data: None,
            })
        })
        .collect()
}

/// The file a path value points to (files only; a folder is no definition).
pub fn definition(doc: &Document, offset: usize) -> Option<Location> {
    let (_, full) = targets(doc).into_iter().find(|(n, full)| n.span.start <= offset && offset <= n.span.end && full.is_file())?;
    Some(Location { uri: Uri::from_file_path(&full)?, range: Range::default() })
}

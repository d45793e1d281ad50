//! Quick fixes for the engine's findings, each carrying its diagnostic:
//! - remove an unknown property (with its comma, first/middle/last alike);
//! - rename a misspelled property to the schema's closest name;
//! - move the legacy top-level `extensions` / `settings` into
//!   `customizations.vscode`, keeping the value's text.

use std::collections::HashMap;

use devc_config::{Diagnostic as Finding, DiagnosticCode};
use devc_jsonc::{Node, NodeKind, PathSegment, Property, Span};
use devc_schema::ProblemCode;
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionContext, CodeActionKind, Diagnostic, NumberOrString, TextEdit, WorkspaceEdit,
};

use crate::diagnostics;
use crate::document::Document;
use crate::schema;

pub fn quick_fixes(doc: &Document, range: Span, context: &CodeActionContext) -> Vec<CodeAction> {
    if !doc.is_devcontainer() {
        return Vec::new();
    }
    if let Some(only) = &context.only {
        // Kinds are hierarchical: "" and "quickfix" both ask for "quickfix".
        let wanted = |k: &CodeActionKind| k.as_str().is_empty() || k.as_str() == "quickfix";
        if !only.iter().any(wanted) {
            return Vec::new();
        }
    }
    let Some(root) = doc.parse.root.as_ref() else { return Vec::new() };
    let mut out = Vec::new();
    for f in diagnostics::findings(doc) {
        if f.span.start > range.end || range.start > f.span.end {
            continue;
        }
        let diagnostic = matching_diagnostic(doc, &f, &context.diagnostics);
        let fixes = match f.code {
            DiagnosticCode::Schema(ProblemCode::NotAllowed) => unknown_property(doc, root, &f),
            DiagnosticCode::Schema(ProblemCode::Deprecated) => legacy_vscode(doc, root, &f).into_iter().collect(),
            _ => Vec::new(),
        };
        for (title, edits, preferred) in fixes {
            out.push(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(WorkspaceEdit { changes: Some(HashMap::from([(doc.uri.clone(), edits)])), ..Default::default() }),
                is_preferred: preferred.then_some(true),
                ..Default::default()
            });
        }
    }
    out
}

/// The client's copy of the diagnostic when it sent one, else ours.
fn matching_diagnostic(doc: &Document, f: &Finding, sent: &[Diagnostic]) -> Diagnostic {
    let ours = diagnostics::to_lsp(doc, f);
    sent.iter()
        .find(|d| d.range == ours.range && d.code == Some(NumberOrString::String(f.code.name())))
        .cloned()
        .unwrap_or(ours)
}

type Fix = (String, Vec<TextEdit>, bool);

/// The object holding the property whose key or whole span is `span`, the
/// property's index in it, and the object's path.
fn find_property<'a>(node: &'a Node, span: &Span, path: &mut Vec<PathSegment>) -> Option<(&'a Node, usize, Vec<PathSegment>)> {
    if !(node.span.start <= span.start && span.end <= node.span.end) {
        return None;
    }
    match &node.kind {
        NodeKind::Object(props) => {
            if let Some(i) = props.iter().position(|p| &p.key.span == span || &p.span == span) {
                return Some((node, i, path.clone()));
            }
            for p in props {
                if let Some(v) = &p.value {
                    path.push(PathSegment::Key(p.key.value.clone()));
                    let found = find_property(v, span, path);
                    path.pop();
                    if found.is_some() {
                        return found;
                    }
                }
            }
            None
        }
        NodeKind::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathSegment::Index(i));
                let found = find_property(item, span, path);
                path.pop();
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        _ => None,
    }
}

fn props(object: &Node) -> &[Property] {
    object.as_object().unwrap_or_default()
}

fn unknown_property(doc: &Document, root: &Node, f: &Finding) -> Vec<Fix> {
    let Some((object, index, object_path)) = find_property(root, &f.span, &mut Vec::new()) else { return Vec::new() };
    let prop = &props(object)[index];
    let name = &prop.key.value;
    let mut fixes = Vec::new();
    let s = schema::schema();
    let applies_elsewhere = object_path.is_empty() && s.top_level_names().contains(name.as_str());
    if !applies_elsewhere {
        let present: Vec<&str> = props(object).iter().map(|p| p.key.value.as_str()).collect();
        let names = if object_path.is_empty() {
            s.top_level_names().into_iter().map(str::to_string).collect()
        } else {
            schema::property_names(&object_path)
        };
        let candidates = names.iter().map(String::as_str).filter(|c| c != name && !present.contains(c));
        if let Some(better) = devc_schema::suggest::did_you_mean(name, candidates) {
            let edit = TextEdit { range: doc.range(&prop.key.span), new_text: json_string(better) };
            fixes.push((format!("Change \"{name}\" to \"{better}\""), vec![edit], true));
        }
    }
    let span = removal_span(&doc.text, object, index);
    fixes.push((format!("Remove property \"{name}\""), vec![TextEdit { range: doc.range(&span), new_text: String::new() }], false));
    fixes
}

/// What to delete to remove property `index` of `object`: the property, its
/// comma (the one after it, or for the last property the one before it), and
/// its line when it stood alone on it.
pub fn removal_span(text: &str, object: &Node, index: usize) -> Span {
    let ps = props(object);
    let p = &ps[index];
    let (mut start, mut end) = (p.span.start, p.span.end);
    let after = next_non_ws(text, end);
    let comma_after = after.is_some_and(|i| text.as_bytes()[i] == b',');
    if comma_after {
        end = after.unwrap_or(end) + 1;
    } else if index > 0 {
        if let Some(i) = prev_non_ws(text, start).filter(|&i| text.as_bytes()[i] == b',') {
            start = i;
        }
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    if text[line_start..start].trim().is_empty() && text[end..line_end].trim().is_empty() {
        start = line_start;
        end = (line_end + 1).min(text.len());
    } else if comma_after {
        end += text[end..].bytes().take_while(|b| *b == b' ' || *b == b'\t').count();
    }
    start..end
}

fn next_non_ws(text: &str, from: usize) -> Option<usize> {
    text[from..].find(|c: char| !c.is_whitespace()).map(|i| from + i)
}

fn prev_non_ws(text: &str, before: usize) -> Option<usize> {
    text[..before].rfind(|c: char| !c.is_whitespace())
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Whether only indentation precedes `offset` on its line.
fn starts_line(text: &str, offset: usize) -> bool {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[start..offset].trim().is_empty()
}

/// Leading whitespace of the line holding `offset`.
fn line_indent(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// The document's indentation unit: that of the first indented line, else two spaces.
fn indent_unit(text: &str) -> String {
    text.lines()
        .map(|l| &l[..l.len() - l.trim_start_matches([' ', '\t']).len()])
        .find(|ws| !ws.is_empty())
        .map_or_else(|| "  ".to_string(), str::to_string)
}

/// `value` (text that started on a line indented `from`) re-indented to `to`.
fn reindent(value: &str, from: &str, to: &str) -> String {
    let mut lines = value.split('\n');
    let mut out = lines.next().unwrap_or("").to_string();
    for line in lines {
        out.push('\n');
        out.push_str(to);
        out.push_str(line.strip_prefix(from).unwrap_or(line.trim_start()));
    }
    out
}

/// Inserts `"key": value` (value text indented for `value_indent`) as the
/// last property of `object`.
fn insert_property(text: &str, object: &Node, key: &str, value: &str, value_indent: &str, unit: &str) -> (Span, String) {
    let multiline = text[object.span.clone()].contains('\n') || value.contains('\n');
    let obj_indent = line_indent(text, object.span.start);
    let ps = props(object);
    match ps.last() {
        Some(last) => {
            let indent = if starts_line(text, last.span.start) {
                line_indent(text, last.span.start).to_string()
            } else {
                format!("{obj_indent}{unit}")
            };
            let value = reindent(value, value_indent, &indent);
            let at = last.span.end;
            let new = if multiline { format!(",\n{indent}{}: {value}", json_string(key)) } else { format!(", {}: {value}", json_string(key)) };
            (at..at, new)
        }
        None => {
            let inner = object.span.start + 1..object.span.end.saturating_sub(1).max(object.span.start + 1);
            if !text[inner.clone()].trim().is_empty() {
                // Only comments inside: add after the brace.
                let indent = format!("{obj_indent}{unit}");
                let value = reindent(value, value_indent, &indent);
                return (inner.start..inner.start, format!("\n{indent}{}: {value}", json_string(key)));
            }
            if multiline {
                let indent = format!("{obj_indent}{unit}");
                let value = reindent(value, value_indent, &indent);
                (inner, format!("\n{indent}{}: {value}\n{obj_indent}", json_string(key)))
            } else {
                (inner, format!(" {}: {value} ", json_string(key)))
            }
        }
    }
}

/// `extensions` / `settings` at the top level → `customizations.vscode`.
fn legacy_vscode(doc: &Document, root: &Node, f: &Finding) -> Option<Fix> {
    let text = &doc.text;
    let (object, index, path) = find_property(root, &f.span, &mut Vec::new())?;
    let prop = &props(object)[index];
    let key = prop.key.value.as_str();
    if !path.is_empty() || !matches!(key, "extensions" | "settings") {
        return None;
    }
    let value = prop.value.as_ref()?;
    let value_text = &text[value.span.clone()];
    let old_indent = line_indent(text, prop.span.start);
    let unit = indent_unit(text);
    let title = format!("Move \"{key}\" into customizations.vscode");
    let multiline = text[root.span.clone()].contains('\n');

    let Some(custom) = root.get("customizations") else {
        // No customizations yet: the legacy property becomes it, in place.
        let new = if multiline {
            let i1 = format!("{old_indent}{unit}");
            let i2 = format!("{i1}{unit}");
            format!(
                "\"customizations\": {{\n{i1}\"vscode\": {{\n{i2}{}: {}\n{i1}}}\n{old_indent}}}",
                json_string(key),
                reindent(value_text, old_indent, &i2)
            )
        } else {
            format!("\"customizations\": {{ \"vscode\": {{ {}: {value_text} }} }}", json_string(key))
        };
        return Some((title, vec![TextEdit { range: doc.range(&prop.span), new_text: new }], true));
    };
    custom.as_object()?;
    let mut edits = vec![(removal_span(text, object, index), String::new())];
    match custom.get("vscode") {
        None => {
            // Written for indentation "", re-indented where it lands.
            let body = if multiline {
                format!("{{\n{unit}{}: {}\n}}", json_string(key), reindent(value_text, old_indent, &unit))
            } else {
                format!("{{ {}: {value_text} }}", json_string(key))
            };
            edits.push(insert_property(text, custom, "vscode", &body, "", &unit));
        }
        Some(vscode) if vscode.as_object().is_some() => match (vscode.get(key), &value.kind) {
            (None, _) => edits.push(insert_property(text, vscode, key, value_text, old_indent, &unit)),
            // Merge: extensions are appended, as `devc` does when both exist.
            (Some(existing @ Node { kind: NodeKind::Array(have), .. }), NodeKind::Array(add)) => {
                if add.is_empty() {
                } else if let Some(last) = have.last() {
                    let items: Vec<&str> = add.iter().map(|n| &text[n.span.clone()]).collect();
                    edits.push((last.span.end..last.span.end, format!(", {}", items.join(", "))));
                } else {
                    edits.push((existing.span.clone(), value_text.to_string()));
                }
            }
            // Merge: legacy settings first, so the existing ones win.
            (Some(existing @ Node { kind: NodeKind::Object(have), .. }), NodeKind::Object(add)) => {
                if add.is_empty() {
                } else if have.is_empty() {
                    edits.push((existing.span.clone(), value_text.to_string()));
                } else {
                    let items: Vec<&str> = add.iter().map(|p| &text[p.span.clone()]).collect();
                    let at = have[0].span.start;
                    edits.push((at..at, format!("{}, ", items.join(", "))));
                }
            }
            _ => return None,
        },
        Some(_) => return None,
    }
    let edits = edits.into_iter().map(|(span, new_text)| TextEdit { range: doc.range(&span), new_text }).collect();
    Some((title, edits, true))
}

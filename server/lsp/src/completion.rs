//! Completion from the schema: property names valid at the cursor (minus the
//! ones present), values (enums with their descriptions, booleans, defaults,
//! defaultSnippets) and `${…}` variable names inside strings; inside
//! `features`, Feature ids, option names and values from `crate::features`.

use devc_config::substitute::KNOWN_VARIABLES;
use devc_jsonc::{Node, PathSegment, Span};
use serde_json::Value;
use tower_lsp_server::ls_types::{
    CompletionItem, CompletionItemKind, CompletionItemLabelDetails, CompletionItemTag, CompletionTextEdit,
    Documentation, InsertTextFormat, MarkupContent, MarkupKind, TextEdit,
};

use crate::cursor::{self, Cursor};
use crate::features;
use devc_features::metadata::OptionType;
use crate::document::Document;
use crate::schema::{self, Info};
use crate::types::ClientConfig;

pub fn complete(doc: &Document, offset: usize, config: &ClientConfig) -> Vec<CompletionItem> {
    if !doc.is_devcontainer() {
        return Vec::new();
    }
    let c = Completer { doc, config, offset };
    let mut items = Vec::new();
    match cursor::locate(doc, offset) {
        Cursor::Key { object, object_path, key, has_colon, comma_before } => {
            let present = present_keys(object, Some(&key));
            c.feature_properties(&object_path, &present, key.clone(), !has_colon, comma_before, &mut items);
            c.properties(&object_path, &present, key, !has_colon, comma_before, &mut items);
        }
        Cursor::NewProperty { object, object_path, word, comma_before } => {
            let present = present_keys(object, None);
            c.feature_properties(&object_path, &present, word.clone(), true, comma_before, &mut items);
            c.properties(&object_path, &present, word.clone(), true, comma_before, &mut items);
            c.object_snippets(&object_path, word, comma_before, &mut items);
        }
        Cursor::Value { path, node, replace, in_string } => {
            if in_string {
                if let Some(node) = node {
                    if c.variables(node, &mut items) {
                        return items;
                    }
                }
            }
            if c.feature_values(&path, replace.clone(), in_string, &mut items) {
                return items;
            }
            c.values(&path, replace, in_string, &mut items);
        }
        Cursor::None => {}
    }
    items
}

fn present_keys(object: &Node, except: Option<&Span>) -> Vec<String> {
    object
        .as_object()
        .unwrap_or_default()
        .iter()
        .filter(|p| Some(&p.key.span) != except)
        .map(|p| p.key.value.clone())
        .collect()
}

struct Completer<'a> {
    doc: &'a Document,
    config: &'a ClientConfig,
    offset: usize,
}

impl Completer<'_> {
    fn item(&self, label: String, kind: CompletionItemKind, replace: &Span, snippet: String) -> CompletionItem {
        let (new_text, format) = if self.config.snippets {
            (snippet, InsertTextFormat::SNIPPET)
        } else {
            (snippet_to_plain(&snippet), InsertTextFormat::PLAIN_TEXT)
        };
        let replace_text = &self.doc.text[replace.clone()];
        let filter = if replace_text.starts_with('"') && !label.starts_with('"') { format!("\"{label}\"") } else { label.clone() };
        CompletionItem {
            filter_text: (filter != label).then_some(filter),
            label,
            kind: Some(kind),
            insert_text_format: Some(format),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit { range: self.doc.range(replace), new_text })),
            ..Default::default()
        }
    }

    fn documentation(&self, text: String) -> Option<Documentation> {
        Some(Documentation::MarkupContent(MarkupContent {
            kind: if self.config.markdown { MarkupKind::Markdown } else { MarkupKind::PlainText },
            value: text,
        }))
    }

    /// A comma is needed after the insertion when another property follows.
    fn comma_after(&self, end: usize) -> &'static str {
        match cursor::next_significant(&self.doc.text, end) {
            Some((_, '"')) | Some((_, '{')) | Some((_, '[')) => ",",
            _ => "",
        }
    }

    fn comma_edit(&self, at: Option<usize>) -> Option<Vec<TextEdit>> {
        at.map(|o| vec![TextEdit { range: self.doc.range(&(o..o)), new_text: ",".into() }])
    }

    fn properties(
        &self,
        object_path: &[PathSegment],
        present: &[String],
        replace: Span,
        with_value: bool,
        comma_before: Option<usize>,
        out: &mut Vec<CompletionItem>,
    ) {
        let comma = if with_value { self.comma_after(replace.end) } else { "" };
        for name in schema::property_names(object_path) {
            if present.contains(&name) {
                continue;
            }
            let mut path = object_path.to_vec();
            path.push(PathSegment::Key(name.clone()));
            let info = schema::info(&path);
            let key = escape_snippet(&json_string(&name));
            let text = if with_value { format!("{key}: {}{comma}", value_snippet(&info)) } else { key.clone() };
            let mut item = self.item(name.clone(), CompletionItemKind::PROPERTY, &replace, text);
            item.detail = Some(schema::type_summary(&info.types));
            item.documentation = info.description.clone().and_then(|d| self.documentation(d));
            item.additional_text_edits = self.comma_edit(comma_before);
            item.sort_text = Some(format!("{}{name}", if info.deprecated.is_some() { "z" } else { "a" }));
            if info.deprecated.is_some() {
                if self.config.completion_deprecated_tag {
                    item.tags = Some(vec![CompletionItemTag::DEPRECATED]);
                } else {
                    item.deprecated = Some(true);
                }
            }
            out.push(item);
            // The property filled in from each of its defaultSnippets.
            if with_value {
                for snip in &info.snippets {
                    let Some(body) = snip.get("body") else { continue };
                    let text = format!("{key}: {}{comma}", render_snippet_body(body));
                    let mut item = self.item(name.clone(), CompletionItemKind::SNIPPET, &replace, text);
                    item.label_details = Some(CompletionItemLabelDetails {
                        detail: None,
                        description: snip.get("label").and_then(Value::as_str).map(str::to_string),
                    });
                    item.detail = snip.get("description").and_then(Value::as_str).map(str::to_string);
                    item.additional_text_edits = self.comma_edit(comma_before);
                    item.sort_text = Some(format!("b{name}"));
                    out.push(item);
                }
            }
        }
    }

    /// Inside `features`: the Feature ids devc knows (local folders next to
    /// the config, cached tags and URLs). Inside a Feature's options: its
    /// option names. Both from disk only (see `crate::features`).
    fn feature_properties(
        &self,
        object_path: &[PathSegment],
        present: &[String],
        replace: Span,
        with_value: bool,
        comma_before: Option<usize>,
        out: &mut Vec<CompletionItem>,
    ) {
        let comma = if with_value { self.comma_after(replace.end) } else { "" };
        match object_path {
            [PathSegment::Key(f)] if f == "features" => {
                for known in features::catalog().known(self.doc.path.as_deref()) {
                    if present.contains(&known.id) {
                        continue;
                    }
                    let key = escape_snippet(&json_string(&known.id));
                    let text = if with_value { format!("{key}: {{$1}}{comma}") } else { key };
                    let mut item = self.item(known.id.clone(), CompletionItemKind::MODULE, &replace, text);
                    if let Some(m) = &known.metadata {
                        item.detail = Some(m.name.clone().unwrap_or_else(|| m.id.clone()));
                        item.documentation = self.documentation(features::feature_markdown(&known.id, m));
                    }
                    item.additional_text_edits = self.comma_edit(comma_before);
                    item.sort_text = Some(format!("0{}", known.id));
                    out.push(item);
                }
            }
            [PathSegment::Key(f), PathSegment::Key(id)] if f == "features" => {
                let Some(meta) = features::lookup(self.doc, id) else { return };
                for (name, spec) in &meta.options {
                    if present.contains(name) {
                        continue;
                    }
                    let key = escape_snippet(&json_string(name));
                    let value = match (spec.kind, &spec.default) {
                        (_, Some(d)) if d.is_string() => format!("\"${{1:{}}}\"", escape_snippet(&d.as_str().unwrap_or_default().replace('"', "\\\""))),
                        (_, Some(d)) => format!("${{1:{}}}", escape_snippet(&d.to_string())),
                        (OptionType::Boolean, None) => "${1:true}".into(),
                        (OptionType::String, None) => "\"$1\"".into(),
                    };
                    let text = if with_value { format!("{key}: {value}{comma}") } else { key };
                    let mut item = self.item(name.clone(), CompletionItemKind::PROPERTY, &replace, text);
                    item.detail = Some(match spec.kind {
                        OptionType::Boolean => "boolean".into(),
                        OptionType::String => "string".into(),
                    });
                    item.documentation = self.documentation(features::option_markdown(&meta, name, spec));
                    item.additional_text_edits = self.comma_edit(comma_before);
                    item.sort_text = Some(format!("0{name}"));
                    out.push(item);
                }
            }
            _ => {}
        }
    }

    /// Values of a Feature option (its enum or proposals, booleans, the
    /// default), or of the Feature's version shorthand. True when handled.
    fn feature_values(&self, path: &[PathSegment], replace: Span, in_string: bool, out: &mut Vec<CompletionItem>) -> bool {
        let Some((id, option)) = features::at(path) else { return false };
        let Some(meta) = features::lookup(self.doc, id) else { return false };
        let Some(spec) = meta.options.get(option.unwrap_or("version")) else { return option.is_some() };
        let comma = if in_string { "" } else { self.comma_after(replace.end) };
        let mut values: Vec<Value> = Vec::new();
        match spec.kind {
            OptionType::Boolean if !in_string => values.extend([Value::Bool(true), Value::Bool(false)]),
            _ => {
                let listed = spec.enum_values.clone().unwrap_or_else(|| spec.proposals.clone());
                values.extend(listed.into_iter().map(Value::String));
            }
        }
        if let Some(d) = spec.default.as_ref().filter(|d| !values.contains(d) && (d.is_string() || !in_string)) {
            values.push(d.clone());
        }
        for (i, v) in values.iter().enumerate() {
            let label = v.to_string();
            let mut item = self.item(label.clone(), CompletionItemKind::ENUM_MEMBER, &replace, format!("{}{comma}", escape_snippet(&label)));
            if spec.default.as_ref() == Some(v) {
                item.detail = Some("default".into());
            }
            item.sort_text = Some(format!("a{i:03}"));
            out.push(item);
        }
        true
    }

    /// defaultSnippets of the object itself whose body is an object: its
    /// members inserted where a property goes (e.g. "Add a feature").
    fn object_snippets(&self, object_path: &[PathSegment], replace: Span, comma_before: Option<usize>, out: &mut Vec<CompletionItem>) {
        let info = schema::info(object_path);
        let comma = self.comma_after(replace.end);
        for snip in &info.snippets {
            let Some(Value::Object(body)) = snip.get("body") else { continue };
            if body.is_empty() {
                continue;
            }
            let members: Vec<String> =
                body.iter().map(|(k, v)| format!("{}: {}", json_string(k), render_snippet_body(v))).collect();
            let label = snip.get("label").and_then(Value::as_str).unwrap_or("snippet").to_string();
            let mut item = self.item(label, CompletionItemKind::SNIPPET, &replace, format!("{}{comma}", members.join(", ")));
            item.detail = snip.get("description").and_then(Value::as_str).map(str::to_string);
            item.additional_text_edits = self.comma_edit(comma_before);
            item.sort_text = Some("c".into());
            out.push(item);
        }
    }

    fn values(&self, path: &[PathSegment], replace: Span, in_string: bool, out: &mut Vec<CompletionItem>) {
        let (info, enums) = schema::info_at(&self.doc.text, &replace, path);
        let comma = if in_string { "" } else { self.comma_after(replace.end) };
        let mut seen: Vec<String> = Vec::new();
        let mut push = |item: CompletionItem, out: &mut Vec<CompletionItem>| {
            if !seen.contains(&item.label) {
                seen.push(item.label.clone());
                out.push(item);
            }
        };
        for (i, (value, description)) in enums.iter().enumerate() {
            if in_string && !value.is_string() {
                continue;
            }
            let label = value.to_string();
            let text = format!("{}{comma}", escape_snippet(&label));
            let mut item = self.item(label, CompletionItemKind::ENUM_MEMBER, &replace, text);
            item.documentation = description.clone().and_then(|d| self.documentation(d));
            item.sort_text = Some(format!("a{i:03}"));
            if info.default.as_ref() == Some(value) {
                item.detail = Some("default".into());
            }
            push(item, out);
        }
        if !in_string && info.types.iter().any(|t| t == "boolean") {
            for b in ["true", "false"] {
                let mut item = self.item(b.into(), CompletionItemKind::VALUE, &replace, format!("{b}{comma}"));
                if info.default == Some(Value::Bool(b == "true")) {
                    item.detail = Some("default".into());
                }
                item.sort_text = Some(format!("a{b}"));
                push(item, out);
            }
        }
        // A default that is an enum value of a branch that does not fit is no default here.
        let default_fits = |d: &Value| !info.enums.iter().any(|(e, _, _)| e == d) || enums.iter().any(|(e, _)| e == d);
        if let Some(default) = info.default.as_ref().filter(|d| !d.is_object() && !d.is_array() && default_fits(d)) {
            if !in_string || default.is_string() {
                let label = default.to_string();
                let mut item =
                    self.item(label.clone(), CompletionItemKind::VALUE, &replace, format!("{}{comma}", escape_snippet(&label)));
                item.detail = Some("default".into());
                item.sort_text = Some("b".into());
                push(item, out);
            }
        }
        if in_string {
            return;
        }
        for snip in &info.snippets {
            let Some(body) = snip.get("body") else { continue };
            let label = snip.get("label").and_then(Value::as_str).map_or_else(|| body.to_string(), str::to_string);
            let mut item = self.item(label, CompletionItemKind::SNIPPET, &replace, format!("{}{comma}", render_snippet_body(body)));
            item.detail = snip.get("description").and_then(Value::as_str).map(str::to_string);
            item.sort_text = Some("c".into());
            push(item, out);
        }
        if info.snippets.is_empty() {
            for (t, label, text) in [("object", "{}", "{$1}"), ("array", "[]", "[$1]")] {
                if info.types.iter().any(|x| x == t) {
                    let mut item = self.item(label.into(), CompletionItemKind::VALUE, &replace, format!("{text}{comma}"));
                    item.sort_text = Some("d".into());
                    push(item, out);
                }
            }
        }
    }

    /// `${…}` names after `${` inside a string; true when the cursor is there.
    fn variables(&self, node: &Node, out: &mut Vec<CompletionItem>) -> bool {
        let text = &self.doc.text;
        let content_start = node.span.start + 1;
        let Some(before) = text.get(content_start..self.offset) else { return false };
        let Some(open) = before.rfind("${") else { return false };
        let partial = &before[open + 2..];
        if partial.contains('}') || partial.contains(':') || !partial.chars().all(|c| c.is_ascii_alphanumeric()) {
            return false;
        }
        let name_start = content_start + open + 2;
        let rest_end = if node.span.end > self.offset && text.as_bytes()[node.span.end - 1] == b'"' { node.span.end - 1 } else { node.span.end };
        let rest = text.get(self.offset..rest_end.max(self.offset)).unwrap_or("");
        let tail = rest.chars().take_while(char::is_ascii_alphanumeric).map(char::len_utf8).sum::<usize>();
        let after = &rest[tail..];
        // A closing brace of this variable already there (before any other `${`).
        let closed = after.find('}').is_some_and(|i| !after[..i].contains("${"));
        let replace = name_start..self.offset + tail;
        for v in KNOWN_VARIABLES {
            let mut snippet = v.name.to_string();
            if v.takes_argument && !after.starts_with(':') {
                snippet.push_str(":${1:NAME}");
            }
            if !closed {
                snippet.push('}');
            }
            let mut item = self.item(v.name.to_string(), CompletionItemKind::VARIABLE, &replace, snippet);
            item.detail = Some(v.description.to_string());
            out.push(item);
        }
        true
    }
}

/// The value part of a property completion, from the property's schema.
fn value_snippet(info: &Info) -> String {
    let single = |t: &str| info.types.len() == 1 && info.types[0] == t;
    let default = info.default.as_ref();
    if single("object") {
        return "{$1}".into();
    }
    if single("array") {
        return "[$1]".into();
    }
    if single("string") {
        return match default.and_then(Value::as_str) {
            Some(d) => {
                let quoted = json_string(d);
                format!("\"${{1:{}}}\"", escape_snippet(&quoted[1..quoted.len() - 1]))
            }
            None => "\"$1\"".into(),
        };
    }
    if single("boolean") || single("integer") || single("number") {
        return match default.filter(|d| !d.is_object() && !d.is_array()) {
            Some(d) => format!("${{1:{}}}", escape_snippet(&d.to_string())),
            None => "$1".into(),
        };
    }
    if single("null") {
        return "null".into();
    }
    "$1".into()
}

/// A defaultSnippets body as JSON text; its strings are snippet syntax already.
fn render_snippet_body(body: &Value) -> String {
    match body {
        Value::String(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(render_snippet_body).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => {
            let parts: Vec<String> =
                map.iter().map(|(k, v)| format!("\"{}\": {}", k.replace('"', "\\\""), render_snippet_body(v))).collect();
            format!("{{ {} }}", parts.join(", "))
        }
        other => escape_snippet(&other.to_string()),
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Makes literal text safe inside a snippet.
pub fn escape_snippet(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '$' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Snippet text without its placeholders: `${1:x}` → `x`, `$1` → ``,
/// `${1|a,b|}` → `a`, `\$` → `$`.
pub fn snippet_to_plain(s: &str) -> String {
    fn walk(chars: &[char], i: &mut usize, out: &mut String, nested: bool) {
        while *i < chars.len() {
            let c = chars[*i];
            match c {
                '\\' if *i + 1 < chars.len() => {
                    out.push(chars[*i + 1]);
                    *i += 2;
                }
                '}' if nested => {
                    *i += 1;
                    return;
                }
                '$' if chars.get(*i + 1).is_some_and(char::is_ascii_digit) => {
                    *i += 1;
                    while chars.get(*i).is_some_and(char::is_ascii_digit) {
                        *i += 1;
                    }
                }
                '$' if chars.get(*i + 1) == Some(&'{') && chars.get(*i + 2).is_some_and(char::is_ascii_digit) => {
                    *i += 2;
                    while chars.get(*i).is_some_and(char::is_ascii_digit) {
                        *i += 1;
                    }
                    match chars.get(*i) {
                        Some(':') => {
                            *i += 1;
                            walk(chars, i, out, true);
                        }
                        Some('|') => {
                            *i += 1;
                            let mut first = true;
                            while *i < chars.len() && !(chars[*i] == '|' && chars.get(*i + 1) == Some(&'}')) {
                                if chars[*i] == ',' {
                                    first = false;
                                } else if first {
                                    out.push(chars[*i]);
                                }
                                *i += 1;
                            }
                            *i += 2;
                        }
                        _ => *i += 1,
                    }
                }
                _ => {
                    out.push(c);
                    *i += 1;
                }
            }
        }
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    walk(&chars, &mut 0, &mut out, false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_from_snippets() {
        assert_eq!(snippet_to_plain("\"build\": {$1}"), "\"build\": {}");
        assert_eq!(snippet_to_plain("\"${1:Dev Container}\""), "\"Dev Container\"");
        assert_eq!(snippet_to_plain("localEnv:${1:NAME}}"), "localEnv:NAME}");
        assert_eq!(snippet_to_plain("${1|a,b|} \\$x"), "a $x");
        assert_eq!(snippet_to_plain("${1:a${2:b}c}"), "abc");
    }
}

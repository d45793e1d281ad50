//! Outline, folding and formatting: adapters from `devc_jsonc::outline` and
//! `devc_jsonc::format` (pure functions over the same parse) to LSP types.
//! These work for every JSONC document we are sent, not only devcontainer.json.

use devc_jsonc::format::{FormatOptions, TextEdit as JsoncEdit};
use devc_jsonc::outline::{self, FoldKind, Symbol, SymbolKind as Kind};
use devc_jsonc::Span;
use tower_lsp_server::ls_types::{
    DocumentSymbol, DocumentSymbolResponse, FoldingRange, FoldingRangeKind, FormattingOptions, Location,
    SymbolInformation, SymbolKind, TextEdit,
};

use crate::document::Document;
use crate::types::ClientConfig;

fn kind(k: Kind) -> SymbolKind {
    match k {
        Kind::Object => SymbolKind::OBJECT,
        Kind::Array => SymbolKind::ARRAY,
        Kind::String => SymbolKind::STRING,
        Kind::Number => SymbolKind::NUMBER,
        Kind::Boolean => SymbolKind::BOOLEAN,
        Kind::Null => SymbolKind::NULL,
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be spelled out
fn nested(doc: &Document, s: &Symbol) -> DocumentSymbol {
    DocumentSymbol {
        name: if s.name.is_empty() { "\"\"".into() } else { s.name.clone() },
        detail: s.detail.clone(),
        kind: kind(s.kind),
        tags: None,
        deprecated: None,
        range: doc.range(&s.span),
        selection_range: doc.range(&s.selection_span),
        children: Some(s.children.iter().map(|c| nested(doc, c)).collect()),
    }
}

#[allow(deprecated)]
fn flat(doc: &Document, s: &Symbol, container: Option<&str>, out: &mut Vec<SymbolInformation>) {
    let name = if s.name.is_empty() { "\"\"".to_string() } else { s.name.clone() };
    out.push(SymbolInformation {
        name: name.clone(),
        kind: kind(s.kind),
        tags: None,
        deprecated: None,
        location: Location { uri: doc.uri.clone(), range: doc.range(&s.span) },
        container_name: container.map(str::to_string),
    });
    for c in &s.children {
        flat(doc, c, Some(&name), out);
    }
}

pub fn document_symbols(doc: &Document, config: &ClientConfig) -> Option<DocumentSymbolResponse> {
    let symbols = doc.parse.root.as_ref().map(outline::symbols).unwrap_or_default();
    Some(if config.hierarchical_symbols {
        DocumentSymbolResponse::Nested(symbols.iter().map(|s| nested(doc, s)).collect())
    } else {
        let mut out = Vec::new();
        for s in &symbols {
            flat(doc, s, None, &mut out);
        }
        DocumentSymbolResponse::Flat(out)
    })
}

pub fn folding_ranges(doc: &Document) -> Option<Vec<FoldingRange>> {
    let ranges = outline::folding_ranges(&doc.text, &doc.parse, &doc.index);
    Some(
        ranges
            .into_iter()
            .map(|r| FoldingRange {
                start_line: r.start_line,
                end_line: r.end_line,
                kind: Some(match r.kind {
                    FoldKind::Region => FoldingRangeKind::Region,
                    FoldKind::Comment => FoldingRangeKind::Comment,
                }),
                ..Default::default()
            })
            .collect(),
    )
}

fn options(o: &FormattingOptions) -> FormatOptions {
    let mut opts = FormatOptions::from_lsp(o.tab_size, o.insert_spaces);
    if let Some(v) = o.insert_final_newline {
        opts.insert_final_newline = v;
    }
    opts
}

/// Formatting edits for the document, or for `range` of it. `None` (no edits)
/// while the document has syntax errors.
pub fn format(doc: &Document, o: &FormattingOptions, range: Option<Span>) -> Option<Vec<TextEdit>> {
    let opts = options(o);
    let edits = match range {
        Some(range) => devc_jsonc::format::format_range(&doc.text, range, &opts)?,
        None => {
            let formatted = devc_jsonc::format::format_parsed(&doc.text, &doc.parse, &opts)?;
            minimal_edit(&doc.text, &formatted).into_iter().collect()
        }
    };
    Some(edits.into_iter().map(|e| TextEdit { range: doc.range(&e.span), new_text: e.new_text }).collect())
}

/// One edit replacing only what differs between `old` and `new` (so the
/// client keeps cursors and folds outside it).
fn minimal_edit(old: &str, new: &str) -> Option<JsoncEdit> {
    if old == new {
        return None;
    }
    let mut prefix = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old.bytes().rev().zip(new.bytes().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    Some(JsoncEdit { span: prefix..old.len() - suffix, new_text: new[prefix..new.len() - suffix].to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edits_keep_characters_whole() {
        let apply = |old: &str, e: JsoncEdit| {
            let mut s = old.to_string();
            s.replace_range(e.span, &e.new_text);
            s
        };
        for (a, b) in [("{\"a\":1}", "{ \"a\": 1 }"), ("😀x😀", "😀y😀"), ("é", "è"), ("ab", "abab"), ("abab", "ab")] {
            let e = minimal_edit(a, b).unwrap();
            assert_eq!(apply(a, e), b);
        }
        assert!(minimal_edit("x", "x").is_none());
    }
}

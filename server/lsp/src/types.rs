//! Our own types on top of `ls_types`: what the client negotiated at
//! `initialize`, which files get devcontainer.json features, and the
//! position encoding mapping onto `devc_jsonc::PositionEncoding`.

use devc_jsonc::PositionEncoding;
use tower_lsp_server::ls_types::{
    ClientCapabilities, CompletionItemTag, MarkupKind, PositionEncodingKind, Uri,
};

/// `source` of every diagnostic we publish.
pub const SOURCE: &str = "devc";

/// What the client told us at `initialize`, fixed for the session.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Column unit of every `Position` exchanged with the client.
    pub encoding: PositionEncoding,
    /// Completion items may use `$1`/`${1:x}` snippet syntax.
    pub snippets: bool,
    /// Hover and documentation may be markdown.
    pub markdown: bool,
    /// `textDocument/documentSymbol` may return the nested form.
    pub hierarchical_symbols: bool,
    /// Completion items may carry `tags: [Deprecated]`.
    pub completion_deprecated_tag: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            encoding: PositionEncoding::Utf16,
            snippets: true,
            markdown: true,
            hierarchical_symbols: true,
            completion_deprecated_tag: true,
        }
    }
}

impl ClientConfig {
    pub fn from_capabilities(caps: &ClientCapabilities) -> Self {
        let text = caps.text_document.as_ref();
        let item = text.and_then(|t| t.completion.as_ref()).and_then(|c| c.completion_item.as_ref());
        ClientConfig {
            encoding: negotiate_encoding(caps),
            snippets: item.and_then(|i| i.snippet_support).unwrap_or(false),
            markdown: text
                .and_then(|t| t.hover.as_ref())
                .and_then(|h| h.content_format.as_ref())
                .is_none_or(|f| f.is_empty() || f.contains(&MarkupKind::Markdown)),
            hierarchical_symbols: text
                .and_then(|t| t.document_symbol.as_ref())
                .and_then(|s| s.hierarchical_document_symbol_support)
                .unwrap_or(false),
            completion_deprecated_tag: item
                .and_then(|i| i.tag_support.as_ref())
                .is_some_and(|t| t.value_set.contains(&CompletionItemTag::DEPRECATED)),
        }
    }
}

/// UTF-8 when the client offers it (no conversion on either side), else the
/// mandatory UTF-16.
pub fn negotiate_encoding(caps: &ClientCapabilities) -> PositionEncoding {
    let offered = caps.general.as_ref().and_then(|g| g.position_encodings.as_ref());
    if offered.is_some_and(|encs| encs.contains(&PositionEncodingKind::UTF8)) {
        PositionEncoding::Utf8
    } else {
        PositionEncoding::Utf16
    }
}

/// The value announced in `ServerCapabilities::position_encoding`.
pub fn encoding_kind(enc: PositionEncoding) -> PositionEncodingKind {
    match enc {
        PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
        PositionEncoding::Chars => PositionEncodingKind::UTF32,
    }
}

/// Which features a document gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// `devcontainer.json` or `.devcontainer.json`, at any depth: everything.
    DevContainer,
    /// Any other JSONC file the client sends us: outline, folding and
    /// formatting only; no diagnostics, completion or hover.
    OtherJsonc,
}

impl DocKind {
    pub fn of(uri: &Uri) -> DocKind {
        let path = uri.path().decode().to_string_lossy();
        let name = path.rsplit('/').next().unwrap_or("");
        if name == "devcontainer.json" || name == ".devcontainer.json" {
            DocKind::DevContainer
        } else {
            DocKind::OtherJsonc
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn devcontainer_files_at_any_depth() {
        let kind = |s: &str| DocKind::of(&Uri::from_str(s).unwrap());
        assert_eq!(kind("file:///w/.devcontainer/devcontainer.json"), DocKind::DevContainer);
        assert_eq!(kind("file:///w/.devcontainer/python/devcontainer.json"), DocKind::DevContainer);
        assert_eq!(kind("file:///w/.devcontainer.json"), DocKind::DevContainer);
        assert_eq!(kind("untitled:devcontainer.json"), DocKind::DevContainer);
        assert_eq!(kind("file:///w/tsconfig.json"), DocKind::OtherJsonc);
        assert_eq!(kind("file:///w/my-devcontainer.json"), DocKind::OtherJsonc);
    }
}

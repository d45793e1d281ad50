//! In-process harness (tombi/biome style): the real `LspService`, initialized
//! through JSON-RPC so the client handle works, then handlers called directly
//! with typed params. `█` marks the cursor in test texts.

use std::str::FromStr;
use std::time::Duration;

use devc_jsonc::{LineCol, LineIndex, PositionEncoding};
use devc_lsp::ls_types::*;
use devc_lsp::{Backend, LspService};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::Request;
use tower_lsp_server::LanguageServer;
use tower_service::Service;

pub const CURSOR: char = '█';

pub struct Harness {
    pub service: LspService<Backend>,
    notifications: mpsc::UnboundedReceiver<(String, Value)>,
    pub encoding: PositionEncoding,
    version: i32,
}

/// A config path in a folder that does not exist (file checks report missing files).
pub fn uri() -> Uri {
    Uri::from_str("file:///nonexistent/ws/.devcontainer/devcontainer.json").unwrap()
}

pub fn file_uri(path: &std::path::Path) -> Uri {
    Uri::from_file_path(path).unwrap()
}

impl Harness {
    pub async fn new() -> Harness {
        Harness::with_capabilities(json!({
            "textDocument": {
                "completion": { "completionItem": { "snippetSupport": true, "tagSupport": { "valueSet": [1] } } },
                "hover": { "contentFormat": ["markdown", "plaintext"] },
                "documentSymbol": { "hierarchicalDocumentSymbolSupport": true }
            }
        }))
        .await
    }

    pub async fn with_capabilities(capabilities: Value) -> Harness {
        let (mut service, socket) = devc_lsp::service();
        let (tx, notifications) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut socket = socket;
            while let Some(req) = socket.next().await {
                let (method, _, params) = req.into_parts();
                let _ = tx.send((method.to_string(), params.unwrap_or(Value::Null)));
            }
        });
        let init = Request::build("initialize").params(json!({ "capabilities": capabilities })).id(1).finish();
        let res = service.call(init).await.unwrap().unwrap();
        let (_, result) = res.into_parts();
        let result = result.unwrap();
        let encoding = match result["capabilities"]["positionEncoding"].as_str() {
            Some("utf-8") => PositionEncoding::Utf8,
            _ => PositionEncoding::Utf16,
        };
        service.call(Request::build("initialized").params(json!({})).finish()).await.unwrap();
        Harness { service, notifications, encoding, version: 0 }
    }

    pub fn backend(&self) -> &Backend {
        self.service.inner()
    }

    pub async fn open(&mut self, uri: &Uri, text: &str) {
        self.version += 1;
        self.backend()
            .did_open(DidOpenTextDocumentParams {
                text_document: TextDocumentItem { uri: uri.clone(), language_id: "jsonc".into(), version: self.version, text: text.into() },
            })
            .await;
    }

    pub async fn change(&mut self, uri: &Uri, changes: Vec<TextDocumentContentChangeEvent>) -> i32 {
        self.version += 1;
        self.backend()
            .did_change(DidChangeTextDocumentParams {
                text_document: VersionedTextDocumentIdentifier { uri: uri.clone(), version: self.version },
                content_changes: changes,
            })
            .await;
        self.version
    }

    pub async fn close(&mut self, uri: &Uri) {
        self.backend().did_close(DidCloseTextDocumentParams { text_document: TextDocumentIdentifier { uri: uri.clone() } }).await;
    }


    /// Waits for the diagnostics published for `uri` at the current version;
    /// panics if any are published for an older version after a newer one.
    pub async fn diagnostics(&mut self, uri: &Uri) -> Vec<Diagnostic> {
        let want = self.version;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let msg = tokio::time::timeout_at(deadline, self.notifications.recv()).await;
            let (method, params) = msg.expect("no diagnostics within 10s").expect("socket closed");
            if method != "textDocument/publishDiagnostics" {
                continue;
            }
            let p: PublishDiagnosticsParams = serde_json::from_value(params).unwrap();
            if &p.uri != uri {
                continue;
            }
            if p.version == Some(want) {
                return p.diagnostics;
            }
            assert!(p.version.is_none_or(|v| v < want), "published version {:?} is newer than {want}", p.version);
        }
    }

    /// Notifications published within `wait` (to check none arrive).
    pub async fn drain(&mut self, wait: Duration) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        while let Ok(Some(m)) = tokio::time::timeout(wait, self.notifications.recv()).await {
            out.push(m);
        }
        out
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let lc = LineIndex::new(text).line_col(text, offset, self.encoding);
        Position::new(lc.line, lc.col)
    }

    pub fn offset(&self, text: &str, pos: Position) -> usize {
        LineIndex::new(text).offset(text, LineCol { line: pos.line, col: pos.character }, self.encoding)
    }

    /// Opens `marked` (cursor removed) and returns the text and cursor position.
    pub async fn open_marked(&mut self, uri: &Uri, marked: &str) -> (String, Position) {
        let offset = marked.find(CURSOR).expect("cursor marker");
        let text = marked.replacen(CURSOR, "", 1);
        self.open(uri, &text).await;
        let pos = self.position(&text, offset);
        (text, pos)
    }

    pub async fn completion(&mut self, marked: &str) -> (String, Vec<CompletionItem>) {
        self.completion_at(uri(), marked).await
    }

    pub async fn completion_at(&mut self, uri: Uri, marked: &str) -> (String, Vec<CompletionItem>) {
        let (text, pos) = self.open_marked(&uri, marked).await;
        let res = self
            .backend()
            .completion(CompletionParams {
                text_document_position: TextDocumentPositionParams { text_document: TextDocumentIdentifier { uri }, position: pos },
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
                context: None,
            })
            .await
            .unwrap();
        let items = match res {
            Some(CompletionResponse::Array(items)) => items,
            Some(CompletionResponse::List(l)) => l.items,
            None => Vec::new(),
        };
        (text, items)
    }

    pub async fn hover(&mut self, marked: &str) -> Option<(String, String)> {
        self.hover_at(uri(), marked).await
    }

    pub async fn hover_at(&mut self, uri: Uri, marked: &str) -> Option<(String, String)> {
        let (text, pos) = self.open_marked(&uri, marked).await;
        let h = self
            .backend()
            .hover(HoverParams {
                text_document_position_params: TextDocumentPositionParams { text_document: TextDocumentIdentifier { uri }, position: pos },
                work_done_progress_params: Default::default(),
            })
            .await
            .unwrap()?;
        let HoverContents::Markup(m) = h.contents else { panic!("markup expected") };
        let range = h.range.expect("hover range");
        let covered = text[self.offset(&text, range.start)..self.offset(&text, range.end)].to_string();
        Some((m.value, covered))
    }

    pub async fn code_actions(&mut self, uri: &Uri, text: &str, range: Range) -> Vec<CodeAction> {
        self.open(uri, text).await;
        let diagnostics = self.diagnostics(uri).await;
        let res = self
            .backend()
            .code_action(CodeActionParams {
                text_document: TextDocumentIdentifier { uri: uri.clone() },
                range,
                // Quick fixes only, as an editor asks for its lightbulb; the source actions
                // (container commands) are covered by the end-to-end test.
                context: CodeActionContext { diagnostics, only: Some(vec![CodeActionKind::QUICKFIX]), trigger_kind: None },
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            })
            .await
            .unwrap()
            .unwrap_or_default();
        res.into_iter()
            .map(|a| match a {
                CodeActionOrCommand::CodeAction(a) => a,
                CodeActionOrCommand::Command(c) => panic!("unexpected command {c:?}"),
            })
            .collect()
    }

    /// `text` with LSP edits applied (positions in the harness's encoding).
    pub fn apply(&self, text: &str, edits: &[TextEdit]) -> String {
        let mut spans: Vec<(usize, usize, &str)> = edits
            .iter()
            .map(|e| (self.offset(text, e.range.start), self.offset(text, e.range.end), e.new_text.as_str()))
            .collect();
        spans.sort_by_key(|s| std::cmp::Reverse((s.0, s.1)));
        for w in spans.windows(2) {
            assert!(w[1].1 <= w[0].0, "overlapping edits: {spans:?}");
        }
        let mut out = text.to_string();
        for (a, b, t) in spans {
            out.replace_range(a..b, t);
        }
        out
    }
}

/// The text a completion item produces (its snippet text as is).
pub fn apply_item(h: &Harness, text: &str, item: &CompletionItem) -> String {
    let mut edits = Vec::new();
    match item.text_edit.as_ref().expect("text edit") {
        CompletionTextEdit::Edit(e) => edits.push(e.clone()),
        CompletionTextEdit::InsertAndReplace(e) => edits.push(TextEdit { range: e.replace, new_text: e.new_text.clone() }),
    }
    edits.extend(item.additional_text_edits.iter().flatten().cloned());
    h.apply(text, &edits)
}

pub fn labels(items: &[CompletionItem]) -> Vec<&str> {
    items.iter().map(|i| i.label.as_str()).collect()
}

pub fn item<'a>(items: &'a [CompletionItem], label: &str) -> &'a CompletionItem {
    let found: Vec<_> = items.iter().filter(|i| i.label == label && i.kind != Some(CompletionItemKind::SNIPPET)).collect();
    found.first().copied().unwrap_or_else(|| panic!("no item {label:?} in {:?}", labels(items)))
}

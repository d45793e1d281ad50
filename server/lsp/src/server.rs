//! The `LanguageServer` implementation: capabilities, document sync and one
//! thin handler per feature (the work happens in the feature modules).
//!
//! State lives in [`Session`], shared as `Arc<Session>` by the handlers and
//! background tasks (debounced diagnostics). Future features that act on the
//! workspace (`workspace/executeCommand`, code lenses) get the client handle
//! (`session.client`) and the document store (`session.docs`) from here.
//!
//! Security: nothing here runs a process, an engine command or Docker. Opening
//! or editing a document only parses it and checks that referenced files exist.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::document::{Document, DocumentStore};
use crate::types::{encoding_kind, ClientConfig};
use crate::{actions, commands, completion, diagnostics, hover, links, symbols};

/// Everything the server knows, shared by handlers and background tasks.
pub struct Session {
    /// Sends notifications and requests to the editor.
    pub client: Client,
    /// Open documents (the only copy of their text).
    pub docs: DocumentStore,
    config: RwLock<ClientConfig>,
    /// Per URI, the snapshot `seq` whose diagnostics were published last.
    published: tokio::sync::Mutex<HashMap<Uri, u64>>,
    shutdown: Arc<AtomicBool>,
}

impl Session {
    /// What the client negotiated at `initialize`.
    pub fn config(&self) -> ClientConfig {
        self.config.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Set once `shutdown` was received (the process then exits with 0 on `exit`).
    pub fn shutdown_flag(&self) -> Arc<AtomicBool> {
        self.shutdown.clone()
    }

    /// Publishes `diagnostics` computed from `doc` if `doc` is still the
    /// current snapshot and nothing newer was published; the check and the
    /// send happen under one lock, so a stale result never overwrites a newer one.
    pub async fn publish(&self, doc: &Document, diagnostics: Vec<Diagnostic>) -> bool {
        let mut published = self.published.lock().await;
        if !self.docs.is_current(doc) || published.get(&doc.uri).is_some_and(|&seq| seq >= doc.seq) {
            return false;
        }
        published.insert(doc.uri.clone(), doc.seq);
        self.client.publish_diagnostics(doc.uri.clone(), diagnostics, Some(doc.version)).await;
        true
    }

    async fn clear(&self, uri: &Uri) {
        let mut published = self.published.lock().await;
        if published.remove(uri).is_some() {
            self.client.publish_diagnostics(uri.clone(), Vec::new(), None).await;
        }
    }
}

/// The language server. Cheap to clone; all state is in the [`Session`].
#[derive(Clone)]
pub struct Backend {
    session: Arc<Session>,
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            session: Arc::new(Session {
                client,
                docs: DocumentStore::default(),
                config: RwLock::new(ClientConfig::default()),
                published: tokio::sync::Mutex::new(HashMap::new()),
                shutdown: Arc::new(AtomicBool::new(false)),
            }),
        }
    }

    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    fn doc(&self, uri: &Uri) -> Option<Arc<Document>> {
        self.session.docs.get(uri)
    }
}

/// What we announce at `initialize`.
pub fn capabilities(config: &ClientConfig) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding_kind(config.encoding)),
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["\"".into(), ":".into(), "{".into()]),
            ..Default::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        document_link_provider: Some(DocumentLinkOptions { resolve_provider: Some(false), work_done_progress_options: Default::default() }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::SOURCE]),
            ..Default::default()
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_range_formatting_provider: Some(OneOf::Left(true)),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: commands::NAMES.map(String::from).to_vec(),
            ..Default::default()
        }),
        code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
        ..Default::default()
    }
}

impl Backend {
    /// `window/workDoneProgress/cancel` (not a trait method in tower-lsp-server 0.23).
    pub async fn cancel_progress(&self, params: WorkDoneProgressCancelParams) {
        commands::cancel(&params.token);
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        // Compile the schema while the client gets ready, not on the first didOpen.
        tokio::task::spawn_blocking(devc_schema::devcontainer);
        let config = ClientConfig::from_capabilities(&params.capabilities);
        tracing::info!("initialize: position encoding {:?}", config.encoding);
        let capabilities = capabilities(&config);
        *self.session.config.write().unwrap_or_else(|e| e.into_inner()) = config;
        Ok(InitializeResult {
            capabilities,
            server_info: Some(ServerInfo { name: "devc".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
            ..Default::default()
        })
    }

    async fn shutdown(&self) -> Result<()> {
        self.session.shutdown.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let td = params.text_document;
        let doc = self.session.docs.open(td.uri, td.version, td.text, self.session.config().encoding);
        if doc.is_devcontainer() {
            diagnostics::schedule(self.session.clone(), doc, std::time::Duration::ZERO);
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let td = params.text_document;
        let Some(doc) = self.session.docs.change(&td.uri, td.version, params.content_changes) else {
            tracing::warn!("didChange for {} which is not open", td.uri.as_str());
            return;
        };
        if doc.is_devcontainer() {
            diagnostics::schedule(self.session.clone(), doc, diagnostics::DEBOUNCE);
        }
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        // Referenced files may have appeared since: check again.
        if let Some(doc) = self.doc(&params.text_document.uri).filter(|d| d.is_devcontainer()) {
            self.session.published.lock().await.remove(&doc.uri);
            diagnostics::schedule(self.session.clone(), doc, std::time::Duration::ZERO);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.session.docs.close(&uri);
        self.session.clear(&uri).await;
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let pos = params.text_document_position;
        let Some(doc) = self.doc(&pos.text_document.uri) else { return Ok(None) };
        let items = completion::complete(&doc, doc.offset(pos.position), &self.session.config());
        Ok(Some(CompletionResponse::Array(items)))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let pos = params.text_document_position_params;
        let Some(doc) = self.doc(&pos.text_document.uri) else { return Ok(None) };
        Ok(hover::hover(&doc, doc.offset(pos.position), &self.session.config()))
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let pos = params.text_document_position_params;
        let Some(doc) = self.doc(&pos.text_document.uri) else { return Ok(None) };
        Ok(links::definition(&doc, doc.offset(pos.position)).map(GotoDefinitionResponse::Scalar))
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        let Some(doc) = self.doc(&params.text_document.uri) else { return Ok(None) };
        Ok(Some(links::links(&doc)))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let Some(doc) = self.doc(&params.text_document.uri) else { return Ok(None) };
        let actions = actions::quick_fixes(&doc, doc.span(params.range), &params.context);
        let mut out: Vec<CodeActionOrCommand> = actions.into_iter().map(CodeActionOrCommand::CodeAction).collect();
        let wants_source = params.context.only.as_ref().is_none_or(|only| only.iter().any(|k| k.as_str().starts_with("source")));
        if doc.is_devcontainer() && wants_source {
            out.extend(commands::command_actions(&doc.uri));
        }
        Ok(Some(out))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(doc) = self.doc(&params.text_document.uri) else { return Ok(None) };
        if !doc.is_devcontainer() {
            return Ok(None);
        }
        Ok(Some(commands::code_lenses(&doc.uri).await))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<serde_json::Value>> {
        commands::execute(&self.session, params).await
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let Some(doc) = self.doc(&params.text_document.uri) else { return Ok(None) };
        Ok(symbols::document_symbols(&doc, &self.session.config()))
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let Some(doc) = self.doc(&params.text_document.uri) else { return Ok(None) };
        Ok(symbols::folding_ranges(&doc))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let Some(doc) = self.doc(&params.text_document.uri) else { return Ok(None) };
        Ok(symbols::format(&doc, &params.options, None))
    }

    async fn range_formatting(&self, params: DocumentRangeFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let Some(doc) = self.doc(&params.text_document.uri) else { return Ok(None) };
        Ok(symbols::format(&doc, &params.options, Some(doc.span(params.range))))
    }
}

//! devc's language server for `devcontainer.json` (`devc lsp`).
//!
//! Built on [`tower_lsp_server`], the maintained community fork of `tower-lsp`
//! (whose last release was 2023): its `LanguageServer` trait uses
//! return-position `impl Trait` in traits (RPITIT) instead of `#[async_trait]`,
//! so handlers are plain `async fn`s without boxing, and it ships current LSP
//! types (`ls_types`). We keep its service (method routing, lifecycle,
//! cancellation, the `Client` handle) but run our own [`transport`], which
//! answers malformed JSON-RPC instead of stopping and applies notifications in
//! order.
//!
//! Layout (as in helix): [`transport`] and [`types`] are ours, [`server`] is
//! the `LanguageServer` implementation, [`document`] the versioned store, and
//! one module per feature. Every feature uses the existing engines: the JSONC
//! parser and line index (`devc_jsonc`), the schema (`devc_schema`), the
//! validation engine and variable scanner (`devc_config`).

pub mod actions;
pub mod commands;
pub mod completion;
mod cursor;
pub mod diagnostics;
pub mod document;
pub mod features;
pub mod hover;
pub mod links;
mod schema;
pub mod server;
pub mod symbols;
pub mod transport;
pub mod types;
pub mod workspace;

use std::process::ExitCode;

pub use server::{Backend, Session};
pub use tower_lsp_server::{ls_types, ClientSocket, LspService};

/// A new service and the socket its client messages come out of.
pub fn service() -> (LspService<Backend>, ClientSocket) {
    LspService::build(Backend::new)
        .custom_method("window/workDoneProgress/cancel", Backend::cancel_progress)
        .finish()
}

/// Serves the language server on stdin/stdout until `exit` (or end of input).
/// Exit code 0 after `shutdown` + `exit`, 1 otherwise, as the protocol asks.
///
/// Reads stdin on its own thread, which may stay blocked in `read` after this
/// returns; the caller should exit the process (or drop the runtime with
/// `shutdown_background`) rather than wait for it.
pub async fn run_stdio() -> ExitCode {
    let (service, socket) = service();
    let shutdown = service.inner().session().shutdown_flag();
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let reader = std::thread::Builder::new()
        .name("lsp-stdin".into())
        .spawn(move || transport::read_frames_blocking(std::io::stdin().lock(), tx));
    if let Err(e) = reader {
        tracing::error!("cannot start the stdin reader: {e}");
        return ExitCode::FAILURE;
    }
    match transport::serve(service, socket, rx, tokio::io::stdout(), shutdown).await {
        transport::Ending::Clean => ExitCode::SUCCESS,
        transport::Ending::Abrupt => ExitCode::FAILURE,
    }
}

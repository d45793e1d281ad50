//! Diagnostics: the same engine as `devc validate` (`devc_features::catalog::diagnose_document`:
//! the config layer's checks plus Feature ids and options known on disk)
//! run on a document snapshot, converted to LSP ranges in the negotiated
//! encoding, debounced, and published only while the snapshot is current.

use std::sync::Arc;
use std::time::Duration;

use devc_config::{Diagnostic as Finding, DiagnosticCode, Severity};
use devc_schema::ProblemCode;
use tower_lsp_server::ls_types::{Diagnostic, DiagnosticSeverity, DiagnosticTag, NumberOrString};

use crate::document::Document;
use crate::server::Session;
use crate::types::SOURCE;

/// Quiet time after a change before diagnostics are computed.
pub const DEBOUNCE: Duration = Duration::from_millis(75);

/// The engine's findings for a devcontainer.json snapshot (none for other files).
pub fn findings(doc: &Document) -> Vec<Finding> {
    if !doc.is_devcontainer() {
        return Vec::new();
    }
    devc_features::catalog::diagnose_document(&doc.parse, &doc.text, doc.path.as_deref(), &crate::features::catalog())
}

/// LSP diagnostics for a snapshot.
pub fn compute(doc: &Document) -> Vec<Diagnostic> {
    findings(doc).iter().map(|f| to_lsp(doc, f)).collect()
}

pub fn to_lsp(doc: &Document, f: &Finding) -> Diagnostic {
    let deprecated = f.code == DiagnosticCode::Schema(ProblemCode::Deprecated);
    Diagnostic {
        range: doc.range(&f.span),
        severity: Some(match f.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(f.code.name())),
        source: Some(SOURCE.to_string()),
        message: f.message.clone(),
        tags: deprecated.then(|| vec![DiagnosticTag::DEPRECATED]),
        ..Default::default()
    }
}

/// Computes and publishes diagnostics for `doc` after `delay`, unless a newer
/// snapshot replaced it by then (its own task publishes instead).
pub fn schedule(session: Arc<Session>, doc: Arc<Document>, delay: Duration) {
    tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if !session.docs.is_current(&doc) {
            return;
        }
        let snapshot = doc.clone();
        let Ok(diagnostics) = tokio::task::spawn_blocking(move || compute(&snapshot)).await else {
            tracing::error!("{}: computing diagnostics failed", doc.uri.as_str());
            return;
        };
        session.publish(&doc, diagnostics).await;
    });
}

//! `devc validate`: prints every diagnostic of the config as
//! `file:line:col: severity: message` (or a JSON array), exit 1 if any is an error.

use devc_config::{ConfigDocument, Severity};
use devc_jsonc::PositionEncoding;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    location: super::ConfigArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub fn run(args: Args) -> ExitCode {
    let doc = args.location.locate().and_then(|(_, found)| ConfigDocument::read(&found.path));
    let doc = match doc {
        Ok(doc) => doc,
        Err(e) => {
            match args.format {
                Format::Json => super::print_json(&serde_json::json!({"outcome": "error", "message": e.to_string()})),
                Format::Text => eprintln!("devc: error: {e}"),
            }
            return ExitCode::FAILURE;
        }
    };
    let catalog = devc_features::catalog::Catalog::default_location();
    let diagnostics = devc_features::catalog::diagnose_document(&doc.parse, &doc.text, Some(&doc.path), &catalog);
    let shown = display_path(&doc.path);
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diagnostics.len() - errors;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => {
            for d in &diagnostics {
                let (line, col) = doc.line_col(d.span.start);
                let severity = if d.severity == Severity::Error { "error" } else { "warning" };
                let _ = writeln!(out, "{shown}:{line}:{col}: {severity}: {}", d.message);
            }
            eprintln!("{shown}: {errors} error(s), {warnings} warning(s)");
        }
        Format::Json => {
            let items: Vec<serde_json::Value> = diagnostics
                .iter()
                .map(|d| {
                    let (line, column) = doc.line_col(d.span.start);
                    let (end_line, end_column) = doc.line_col(d.span.end);
                    let lsp = |offset| {
                        let lc = doc.index.line_col(&doc.text, offset, PositionEncoding::Utf16);
                        serde_json::json!({"line": lc.line, "character": lc.col})
                    };
                    serde_json::json!({
                        "file": doc.path,
                        "severity": if d.severity == Severity::Error { "error" } else { "warning" },
                        "code": d.code.name(),
                        "message": d.message,
                        "line": line,
                        "column": column,
                        "endLine": end_line,
                        "endColumn": end_column,
                        "range": {"start": lsp(d.span.start), "end": lsp(d.span.end)},
                    })
                })
                .collect();
            let _ = writeln!(out, "{}", serde_json::Value::Array(items));
        }
    }
    let _ = out.flush();
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The path relative to the current directory when it is below it.
fn display_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .unwrap_or_else(|| path.display().to_string())
}

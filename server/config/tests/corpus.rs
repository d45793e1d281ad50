//! Agreement with the official spec schema on 184 real-world devcontainer.json
//! files: every finding the official schema reports (../shared/corpus/
//! official-verdicts.tsv) is reported by `devc validate`'s engine at the same
//! line:col, and files it accepts get no syntax or schema errors from us (file
//! existence checks may fire: most referenced Dockerfiles are not in the corpus).
//! No file may panic the parser.

use devc_jsonc::{LineIndex, PositionEncoding};
use devc_config::{DiagnosticCode, Severity};
use std::path::{Path, PathBuf};

fn corpus_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("DEVC_CORPUS") {
        return Some(PathBuf::from(dir));
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    dir.is_dir().then_some(dir)
}

struct Finding {
    line: u32,
    col: u32,
    message: String,
}

/// Our findings for one file as 1-based line:col in UTF-16 units (how the
/// official verdicts count), and whether any is a syntax or schema error.
fn our_findings(path: &Path, text: &str) -> (Vec<Finding>, bool) {
    let parse = devc_jsonc::parse(text);
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    let mut errors = false;
    for d in devc_config::diagnose_text(&parse, text, Some(path)) {
        let is_schema_or_syntax = matches!(d.code, DiagnosticCode::Schema(_) | DiagnosticCode::Syntax(_) | DiagnosticCode::ImageAndBuild);
        errors |= is_schema_or_syntax && d.severity == Severity::Error;
        let lc = index.line_col(text, d.span.start, PositionEncoding::Utf16);
        out.push(Finding { line: lc.line + 1, col: lc.col + 1, message: d.message });
    }
    (out, errors)
}

#[test]
fn official_findings_are_matched() {
    let Some(dir) = corpus_dir() else {
        panic!("corpus not found: expected ../shared/corpus beside the repository (or set DEVC_CORPUS)");
    };
    let verdicts = std::fs::read_to_string(dir.join("official-verdicts.tsv")).unwrap();
    let mut failures = Vec::new();
    let mut files = 0;
    let mut official_total = 0;
    for line in verdicts.lines().skip(1) {
        let (file, official) = line.split_once('\t').unwrap_or((line, ""));
        let path = dir.join("realworld").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        files += 1;
        let (ours, schema_errors) = our_findings(&path, &text);
        let expected: Vec<&str> = official.split(" | ").filter(|s| !s.trim().is_empty()).collect();
        official_total += expected.len();
        for entry in &expected {
            let (lc, msg) = entry.split_once(' ').unwrap_or((entry, ""));
            let (l, c) = lc.split_once(':').unwrap();
            let (l, c): (u32, u32) = (l.parse().unwrap(), c.parse().unwrap());
            if !ours.iter().any(|f| f.line == l && f.col == c) {
                failures.push(format!(
                    "{file}: official `{l}:{c} {msg}` not reported; ours: {}",
                    ours.iter().map(|f| format!("{}:{} {}", f.line, f.col, f.message)).collect::<Vec<_>>().join(" | ")
                ));
            }
        }
        if std::env::var("DEVC_CORPUS_DUMP").is_ok() {
            for f in &ours {
                if !expected.iter().any(|e| e.starts_with(&format!("{}:{} ", f.line, f.col))) {
                    eprintln!("extra {file} {}:{} {}", f.line, f.col, f.message);
                }
            }
        }
        if expected.is_empty() && schema_errors {
            failures.push(format!(
                "{file}: official schema accepts it, we report errors: {}",
                ours.iter().map(|f| format!("{}:{} {}", f.line, f.col, f.message)).collect::<Vec<_>>().join(" | ")
            ));
        }
    }
    assert_eq!(files, 184, "corpus should hold 184 files");
    assert!(official_total > 100);
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n"));
}

/// Every corpus file either reads into a configuration or fails with a typed,
/// located error; nothing panics.
#[test]
fn every_file_reads_or_fails_cleanly() {
    let Some(dir) = corpus_dir() else {
        panic!("corpus not found: expected ../shared/corpus beside the repository (or set DEVC_CORPUS)");
    };
    let mut read = 0;
    let mut failed = 0;
    for entry in std::fs::read_dir(dir.join("realworld")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "jsonc") {
            continue;
        }
        let doc = devc_config::ConfigDocument::read(&path).unwrap();
        match doc.value() {
            Ok(value) => {
                let opts = devc_config::ReadConfigurationOptions::new(
                    Some(PathBuf::from("/workspaces/project")),
                    path.clone(),
                    devc_config::ConfigSource::Explicit,
                );
                match devc_config::read_configuration(value, &opts) {
                    Ok(resolved) => {
                        let entries = resolved.metadata_entries(&[], &[]).unwrap();
                        let _ = resolved.to_output(Some(&resolved.merged_configuration(&entries)));
                        read += 1;
                    }
                    Err(e) => {
                        assert!(e.to_string().contains(path.to_str().unwrap()), "{e}");
                        failed += 1;
                    }
                }
            }
            Err(e) => {
                let msg = e.to_string();
                let located = msg.contains(&format!("{}:", path.display())) && msg.contains("syntax error");
                assert!(located || matches!(e, devc_config::ConfigError::NotAnObject { .. }), "{msg}");
                failed += 1;
            }
        }
    }
    assert_eq!(read + failed, 184);
    assert!(read > 170, "only {read} files read");
}

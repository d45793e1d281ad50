use crate::support::*;
use devc_lsp::ls_types::*;
use std::time::Duration;

/// `(start line, start col, end line, end col, severity, code, message fragment)`
type Expected = (u32, u32, u32, u32, DiagnosticSeverity, &'static str, &'static str);

fn check(got: &[Diagnostic], want: &[Expected]) {
    let simple: Vec<_> = got
        .iter()
        .map(|d| {
            let code = match &d.code {
                Some(NumberOrString::String(s)) => s.clone(),
                other => format!("{other:?}"),
            };
            (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.severity.unwrap(), code, d.message.clone())
        })
        .collect();
    assert_eq!(simple.len(), want.len(), "{simple:#?}");
    for (g, w) in simple.iter().zip(want) {
        assert_eq!((g.0, g.1, g.2, g.3, g.4, g.5.as_str()), (w.0, w.1, w.2, w.3, w.4, w.5), "{g:?}");
        assert!(g.6.contains(w.6), "{:?} not in {:?}", w.6, g.6);
    }
}

const E: DiagnosticSeverity = DiagnosticSeverity::ERROR;
const W: DiagnosticSeverity = DiagnosticSeverity::WARNING;

async fn diagnose(h: &mut Harness, text: &str) -> Vec<Diagnostic> {
    let uri = uri();
    h.open(&uri, text).await;
    h.diagnostics(&uri).await
}

#[tokio::test]
async fn schema_and_unknown_property_ranges() {
    let mut h = Harness::new().await;
    let got = diagnose(&mut h, "{\n  \"image\": \"alpine\",\n  \"forwardPorts\": [true],\n  \"remoteuser\": \"dev\"\n}\n").await;
    check(&got, &[
        (2, 19, 2, 23, E, "schema", "forwardPorts[0]"),
        (3, 2, 3, 14, W, "unknown-property", "did you mean \"remoteUser\"?"),
    ]);
    assert!(got.iter().all(|d| d.source.as_deref() == Some("devc")));
}

const EMOJI_DOC: &str = "// 🐳 容器 config\n{\n  \"name\": \"🐳 dév\", \"remoteuser\": 1,\n  \"image\": \"x\" \"init\": true\n}\n";

#[tokio::test]
async fn ranges_after_emoji_in_utf16() {
    let mut h = Harness::new().await;
    let got = diagnose(&mut h, EMOJI_DOC).await;
    // "🐳 dév" is 6 UTF-16 units: the key starts at column 20.
    check(&got, &[
        (2, 20, 2, 32, W, "unknown-property", "remoteuser"),
        (3, 15, 3, 21, E, "syntax", "expected comma"),
    ]);
}

#[tokio::test]
async fn ranges_after_emoji_in_utf8() {
    let mut h = Harness::with_capabilities(serde_json::json!({ "general": { "positionEncodings": ["utf-16", "utf-8"] } })).await;
    let got = diagnose(&mut h, EMOJI_DOC).await;
    // ... and 9 bytes: column 23 in UTF-8.
    check(&got, &[
        (2, 23, 2, 35, W, "unknown-property", "remoteuser"),
        (3, 15, 3, 21, E, "syntax", "expected comma"),
    ]);
}

#[tokio::test]
async fn deprecated_is_a_tagged_warning_on_the_whole_property() {
    let mut h = Harness::new().await;
    let got = diagnose(&mut h, "{ \"image\": \"x\", \"extensions\": [\"a.b\"] }").await;
    check(&got, &[(0, 16, 0, 37, W, "deprecated", "customizations.vscode.extensions")]);
    assert_eq!(got[0].tags, Some(vec![DiagnosticTag::DEPRECATED]));
}

#[tokio::test]
async fn semantic_checks_and_variables() {
    let mut h = Harness::new().await;
    let got = diagnose(&mut h, "{ \"image\": \"x\", \"mounts\": [\"source=/x\"], \"remoteUser\": \"${nope}\" }").await;
    check(&got, &[
        (0, 27, 0, 38, E, "invalid-mount", "mounts[0]"),
        (0, 56, 0, 63, W, "variable", "remoteUser"),
    ]);
}

#[tokio::test]
async fn missing_dockerfile_is_reported_relative_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let dc = dir.path().join(".devcontainer");
    std::fs::create_dir(&dc).unwrap();
    let uri = file_uri(&dc.join("devcontainer.json"));
    let mut h = Harness::new().await;
    let text = "{ \"build\": { \"dockerfile\": \"Dockerfile\" } }";
    h.open(&uri, text).await;
    let got = h.diagnostics(&uri).await;
    check(&got, &[(0, 27, 0, 39, E, "missing-file", "Dockerfile")]);
    std::fs::write(dc.join("Dockerfile"), "FROM scratch\n").unwrap();
    h.open(&uri, text).await;
    assert!(h.diagnostics(&uri).await.is_empty());
}

#[tokio::test]
async fn other_jsonc_files_get_no_diagnostics() {
    let mut h = Harness::new().await;
    let other = Uri::from_file_path("/nonexistent/tsconfig.json").unwrap();
    h.open(&other, "{ \"compilerOptions\": { ,, } ").await;
    let published = h.drain(Duration::from_millis(300)).await;
    assert!(published.is_empty(), "{published:?}");
}

#[tokio::test]
async fn stale_results_are_never_published_over_newer_ones() {
    let mut h = Harness::new().await;
    let uri = uri();
    h.open(&uri, "{}").await;
    let mut text = String::from("{}");
    for i in 0..40 {
        let insert = format!("\"k{i}\": {i}, ");
        let end = h.position(&text, 1);
        text.insert_str(1, &insert);
        h.change(&uri, vec![TextDocumentContentChangeEvent { range: Some(Range { start: end, end }), range_length: None, text: insert }]).await;
        if i % 7 == 0 {
            tokio::time::sleep(Duration::from_millis(90)).await; // let some debounced runs through
        }
    }
    // `diagnostics` fails if a publish for an older version follows a newer one.
    let last = h.diagnostics(&uri).await;
    assert_eq!(last.iter().filter(|d| d.code == Some(NumberOrString::String("unknown-property".into()))).count(), 40);
    let later = h.drain(Duration::from_millis(300)).await;
    assert!(later.is_empty(), "nothing after the final version: {later:?}");
}

#[tokio::test]
async fn close_clears_diagnostics() {
    let mut h = Harness::new().await;
    let uri = uri();
    h.open(&uri, "{ \"imagee\": 1 }").await;
    assert!(!h.diagnostics(&uri).await.is_empty());
    h.close(&uri).await;
    let published = h.drain(Duration::from_millis(200)).await;
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0].1["diagnostics"], serde_json::json!([]));
}

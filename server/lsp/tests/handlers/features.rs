//! Feature-aware completion, hover and diagnostics, from a local Feature's
//! devcontainer-feature.json next to the config (no network involved).

use crate::support::*;
use devc_lsp::ls_types::*;

/// A workspace with `.devcontainer/hello/devcontainer-feature.json`; returns the
/// temp dir and the URI of `.devcontainer/devcontainer.json` (which need not exist).
fn workspace() -> (tempfile::TempDir, Uri) {
    let dir = tempfile::tempdir().unwrap();
    let feature = dir.path().join(".devcontainer/hello");
    std::fs::create_dir_all(&feature).unwrap();
    std::fs::write(
        feature.join("devcontainer-feature.json"),
        r#"{
            "id": "hello", "version": "1.2.0", "name": "Hello",
            "description": "Says hello.",
            "documentationURL": "https://example.com/hello",
            "options": {
                "greeting": {"type": "string", "enum": ["hi", "hey"], "default": "hey", "description": "What to say."},
                "loud": {"type": "boolean", "default": false, "description": "Shout it."}
            }
        }"#,
    )
    .unwrap();
    let uri = file_uri(&dir.path().join(".devcontainer/devcontainer.json"));
    (dir, uri)
}

#[tokio::test]
async fn completes_local_feature_ids_options_and_values() {
    let (_dir, uri) = workspace();
    let mut h = Harness::new().await;

    let (text, items) = h.completion_at(uri.clone(), "{ \"features\": { █ } }").await;
    let hello = item(&items, "./hello");
    assert_eq!(hello.detail.as_deref(), Some("Hello"));
    assert_eq!(apply_item(&h, &text, hello), "{ \"features\": { \"./hello\": {$1} } }");

    let (text, items) = h.completion_at(uri.clone(), "{ \"features\": { \"./hello\": { \"loud\": true, █ } } }").await;
    let got = labels(&items);
    assert!(got.contains(&"greeting") && !got.contains(&"loud"), "{got:?}");
    assert_eq!(apply_item(&h, &text, item(&items, "greeting")), "{ \"features\": { \"./hello\": { \"loud\": true, \"greeting\": \"${1:hey}\" } } }");

    let (_, items) = h.completion_at(uri.clone(), "{ \"features\": { \"./hello\": { \"greeting\": █ } } }").await;
    assert_eq!(labels(&items), vec!["\"hi\"", "\"hey\""]);
    assert_eq!(item(&items, "\"hey\"").detail.as_deref(), Some("default"));
    let (_, items) = h.completion_at(uri.clone(), "{ \"features\": { \"./hello\": { \"loud\": █ } } }").await;
    assert_eq!(labels(&items), vec!["true", "false"]);
}

#[tokio::test]
async fn hovers_show_the_feature_and_its_options() {
    let (_dir, uri) = workspace();
    let mut h = Harness::new().await;
    let (markdown, covered) = h.hover_at(uri.clone(), "{ \"features\": { \"./hel█lo\": {} } }").await.expect("a hover");
    assert_eq!(covered, "\"./hello\"");
    for want in ["**Hello** (`./hello` 1.2.0)", "Says hello.", "https://example.com/hello", "- `greeting` (string, default `\"hey\"`, one of `\"hi\"`, `\"hey\"`): What to say."] {
        assert!(markdown.contains(want), "{want:?} not in {markdown:?}");
    }
    let (markdown, covered) = h.hover_at(uri.clone(), "{ \"features\": { \"./hello\": { \"lo█ud\": true } } }").await.expect("a hover");
    assert_eq!(covered, "\"loud\"");
    assert!(markdown.contains("**loud**: `boolean` (option of Hello)") && markdown.contains("Shout it.") && markdown.contains("Default: `false`"), "{markdown}");
}

#[tokio::test]
async fn diagnostics_flag_unknown_options_and_bad_values() {
    let (_dir, uri) = workspace();
    let mut h = Harness::new().await;
    h.open(&uri, "{\n  \"image\": \"x\",\n  \"features\": { \"./hello\": { \"greeting\": \"yo\", \"colour\": \"red\" }, \"./nope\": {} }\n}\n").await;
    let got = h.diagnostics(&uri).await;
    let simple: Vec<(u32, u32, Option<DiagnosticSeverity>, String)> =
        got.iter().map(|d| (d.range.start.line, d.range.start.character, d.severity, d.message.clone())).collect();
    assert_eq!(simple.len(), 3, "{simple:#?}");
    assert_eq!((simple[0].0, simple[0].1, simple[0].2), (2, 41, Some(DiagnosticSeverity::ERROR)));
    assert!(simple[0].3.contains("option 'greeting': \"yo\" is not one of the allowed values: \"hi\", \"hey\""), "{simple:?}");
    assert_eq!((simple[1].0, simple[1].1, simple[1].2), (2, 47, Some(DiagnosticSeverity::WARNING)));
    assert!(simple[1].3.contains("has no option 'colour' (its options: greeting, loud)"), "{simple:?}");
    assert_eq!((simple[2].0, simple[2].1, simple[2].2), (2, 66, Some(DiagnosticSeverity::ERROR)));
    assert!(simple[2].3.contains("devcontainer-feature.json not found"), "{simple:?}");
    assert!(got.iter().all(|d| d.code == Some(NumberOrString::String("feature".into()))));
}

use crate::support::*;
use devc_lsp::ls_types::*;

/// The text after applying the quick fix titled `title` for the diagnostic at
/// the cursor `█` (the cursor must sit inside the diagnostic's range).
async fn fix(marked: &str, title: &str) -> String {
    let mut h = Harness::new().await;
    let offset = marked.find(CURSOR).unwrap();
    let text = marked.replacen(CURSOR, "", 1);
    let pos = h.position(&text, offset);
    let actions = h.code_actions(&uri(), &text, Range { start: pos, end: pos }).await;
    let titles: Vec<_> = actions.iter().map(|a| a.title.as_str()).collect();
    let action = actions.iter().find(|a| a.title == title).unwrap_or_else(|| panic!("no {title:?} in {titles:?}"));
    assert_eq!(action.kind, Some(CodeActionKind::QUICKFIX));
    let diags = action.diagnostics.as_ref().expect("diagnostic attached");
    assert_eq!(diags.len(), 1);
    let edits = &action.edit.as_ref().unwrap().changes.as_ref().unwrap()[&uri()];
    let out = h.apply(&text, edits);
    assert!(!devc_jsonc::parse(&out).has_errors(), "the fix broke the syntax:\n{out}");
    out
}

/// `quick_fix!(name: "text with █ in the diagnostic", "action title" => "resulting text");`
macro_rules! quick_fix {
    ($name:ident: $text:expr, $title:expr => $expected:expr) => {
        #[tokio::test]
        async fn $name() {
            assert_eq!(fix($text, $title).await, $expected);
        }
    };
}

const REMOVE: &str = "Remove property \"bogus\"";

quick_fix!(remove_first: "{\n  \"bo█gus\": 1,\n  \"image\": \"x\"\n}", REMOVE => "{\n  \"image\": \"x\"\n}");
quick_fix!(remove_middle: "{\n  \"image\": \"x\",\n  \"bo█gus\": [1, 2],\n  \"init\": true\n}", REMOVE => "{\n  \"image\": \"x\",\n  \"init\": true\n}");
quick_fix!(remove_last: "{\n  \"image\": \"x\",\n  \"bo█gus\": { \"a\": 1 }\n}", REMOVE => "{\n  \"image\": \"x\"\n}");
quick_fix!(remove_last_with_trailing_comma: "{\n  \"image\": \"x\",\n  \"bo█gus\": 1,\n}", REMOVE => "{\n  \"image\": \"x\",\n}");
quick_fix!(remove_only: "{\n  \"bo█gus\": 1\n}", REMOVE => "{\n}");
quick_fix!(remove_single_line_first: "{ \"bo█gus\": 1, \"image\": \"x\" }", REMOVE => "{ \"image\": \"x\" }");
quick_fix!(remove_single_line_last: "{ \"image\": \"x\", \"bo█gus\": 1 }", REMOVE => "{ \"image\": \"x\" }");
quick_fix!(remove_nested: "{ \"image\": \"x\", \"hostRequirements\": { \"cpus\": 2, \"bo█gus\": 1 } }", REMOVE =>
    "{ \"image\": \"x\", \"hostRequirements\": { \"cpus\": 2 } }");

quick_fix!(did_you_mean_top_level: "{ \"image\": \"x\", \"remote█user\": \"dev\" }", "Change \"remoteuser\" to \"remoteUser\"" =>
    "{ \"image\": \"x\", \"remoteUser\": \"dev\" }");
quick_fix!(did_you_mean_nested: "{ \"image\": \"x\", \"hostRequirements\": { \"memr█oy\": \"4gb\" } }", "Change \"memroy\" to \"memory\"" =>
    "{ \"image\": \"x\", \"hostRequirements\": { \"memory\": \"4gb\" } }");

quick_fix!(move_extensions_without_customizations:
    "{\n  \"image\": \"x\",\n  \"exten█sions\": [\n    \"a.b\"\n  ]\n}",
    "Move \"extensions\" into customizations.vscode" =>
    "{\n  \"image\": \"x\",\n  \"customizations\": {\n    \"vscode\": {\n      \"extensions\": [\n        \"a.b\"\n      ]\n    }\n  }\n}");
quick_fix!(move_settings_one_line:
    "{ \"image\": \"x\", \"sett█ings\": { \"a\": 1 } }",
    "Move \"settings\" into customizations.vscode" =>
    "{ \"image\": \"x\", \"customizations\": { \"vscode\": { \"settings\": { \"a\": 1 } } } }");
quick_fix!(move_settings_into_existing_vscode:
    "{\n  \"image\": \"x\",\n  \"sett█ings\": { \"a\": 1 },\n  \"customizations\": {\n    \"vscode\": {\n      \"extensions\": [\"x.y\"]\n    }\n  }\n}",
    "Move \"settings\" into customizations.vscode" =>
    "{\n  \"image\": \"x\",\n  \"customizations\": {\n    \"vscode\": {\n      \"extensions\": [\"x.y\"],\n      \"settings\": { \"a\": 1 }\n    }\n  }\n}");
quick_fix!(move_extensions_into_customizations_without_vscode:
    "{\n  \"image\": \"x\",\n  \"customizations\": {\n    \"codespaces\": {}\n  },\n  \"ext█ensions\": [\"a.b\"]\n}",
    "Move \"extensions\" into customizations.vscode" =>
    "{\n  \"image\": \"x\",\n  \"customizations\": {\n    \"codespaces\": {},\n    \"vscode\": {\n      \"extensions\": [\"a.b\"]\n    }\n  }\n}");
quick_fix!(move_extensions_merges_with_existing:
    "{\n  \"ext█ensions\": [\"a.b\"],\n  \"image\": \"x\",\n  \"customizations\": { \"vscode\": { \"extensions\": [\"x.y\"] } }\n}",
    "Move \"extensions\" into customizations.vscode" =>
    "{\n  \"image\": \"x\",\n  \"customizations\": { \"vscode\": { \"extensions\": [\"x.y\", \"a.b\"] } }\n}");
quick_fix!(move_settings_merges_existing_wins:
    "{ \"image\": \"x\", \"customizations\": { \"vscode\": { \"settings\": { \"b\": 2 } } }, \"sett█ings\": { \"a\": 1 } }",
    "Move \"settings\" into customizations.vscode" =>
    "{ \"image\": \"x\", \"customizations\": { \"vscode\": { \"settings\": { \"a\": 1, \"b\": 2 } } } }");

#[tokio::test]
async fn actions_carry_the_clients_diagnostic() {
    let mut h = Harness::new().await;
    let text = "{ \"image\": \"x\", \"remoteuser\": \"dev\" }";
    let uri = uri();
    let pos = h.position(text, 20);
    let actions = h.code_actions(&uri, text, Range { start: pos, end: pos }).await;
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0].is_preferred, Some(true));
    for a in &actions {
        let d = &a.diagnostics.as_ref().unwrap()[0];
        assert_eq!(d.code, Some(NumberOrString::String("unknown-property".into())));
        assert_eq!((d.range.start.character, d.range.end.character), (16, 28));
    }
}

#[tokio::test]
async fn no_actions_away_from_problems() {
    let mut h = Harness::new().await;
    let text = "{ \"image\": \"x\", \"remoteuser\": \"dev\" }";
    let pos = h.position(text, 4);
    assert!(h.code_actions(&uri(), text, Range { start: pos, end: pos }).await.is_empty());
}

use crate::support::*;

/// `hover!(name: "text with █" => covers "text under the range", contains ["…", …] $(, lacks [...])?);`
macro_rules! hover {
    ($name:ident: $text:expr => covers $covered:expr, contains [$($want:expr),*] $(, lacks [$($not:expr),*])?) => {
        #[tokio::test]
        async fn $name() {
            let mut h = Harness::new().await;
            let (markdown, covered) = h.hover($text).await.expect("a hover");
            assert_eq!(covered, $covered);
            $(assert!(markdown.contains($want), "{:?} not in {markdown:?}", $want);)*
            $($(assert!(!markdown.contains($not), "{:?} must not be in {markdown:?}", $not);)*)?
        }
    };
}

hover!(key: "{ \"image\": \"x\", \"remo█teUser\": \"dev\" }" => covers "\"remoteUser\"",
    contains ["**remoteUser**: `string`", "User for the processes"]);
hover!(key_at_opening_quote: "{ █\"image\": \"x\" }" => covers "\"image\"", contains ["**image**"]);
hover!(value_plain: "{ \"image\": \"alp█ine\" }" => covers "\"alpine\"", contains ["**image**: `string`"]);
hover!(value_enum_of_the_fitting_branch: "{ \"image\": \"x\", \"shutdownAction\": \"no█ne\" }" => covers "\"none\"",
    contains ["`\"none\"`: Leave the container running.", "What an editor does with the container", "Default: `\"stopContainer\"`"],
    lacks ["compose"]);
hover!(nested_key: "{ \"build\": { \"dockerfile\": \"D\", \"tar█get\": \"dev\" } }" => covers "\"target\"",
    contains ["**target**: `string`", "multi-stage"]);
hover!(array_item: "{ \"image\": \"x\", \"forwardPorts\": [30█00] }" => covers "3000", contains ["**item**"]);
hover!(deprecated_key: "{ \"image\": \"x\", \"exten█sions\": [] }" => covers "\"extensions\"",
    contains ["**Deprecated**: Use customizations.vscode.extensions"]);
hover!(local_env_unset: "{ \"image\": \"x\", \"remoteUser\": \"${localEnv:DEVC_LSP_TEST_UNSET_4711█}\" }" =>
    covers "${localEnv:DEVC_LSP_TEST_UNSET_4711}", contains ["`DEVC_LSP_TEST_UNSET_4711`: **not set**", "empty string"]);
hover!(local_env_default: "{ \"image\": \"x\", \"remoteUser\": \"${env:DEVC_LSP_TEST_UNSET_4711:dev█}\" }" =>
    covers "${env:DEVC_LSP_TEST_UNSET_4711:dev}", contains ["**not set**", "the default `dev` is used"]);
hover!(workspace_folder_variable: "{ \"image\": \"x\", \"workspaceFolder\": \"/w/${localWorkspaceFolderBase█name}\" }" =>
    covers "${localWorkspaceFolderBasename}", contains ["Name of the workspace folder", "Here: `ws`"]);

#[tokio::test]
async fn local_env_home_says_set_or_not_never_the_value() {
    let mut h = Harness::new().await;
    let (markdown, covered) = h.hover("{ \"image\": \"x\", \"containerEnv\": { \"H\": \"${localEnv:HO█ME}\" } }").await.unwrap();
    assert_eq!(covered, "${localEnv:HOME}");
    match std::env::var("HOME") {
        Ok(home) => {
            assert!(markdown.contains("`HOME`: **set**"), "{markdown}");
            assert!(home.is_empty() || !markdown.contains(&home), "the value leaked: {markdown}");
        }
        Err(_) => assert!(markdown.contains("`HOME`: **not set**"), "{markdown}"),
    }
}

#[tokio::test]
async fn nothing_in_comments_or_other_files() {
    let mut h = Harness::new().await;
    assert!(h.hover("{ // ima█ge\n \"image\": \"x\" }").await.is_none());
    let uri = devc_lsp::ls_types::Uri::from_file_path("/nonexistent/settings.json").unwrap();
    h.open(&uri, "{ \"image\": \"x\" }").await;
    use devc_lsp::ls_types::*;
    use tower_lsp_server::LanguageServer;
    let res = h
        .backend()
        .hover(HoverParams {
            text_document_position_params: TextDocumentPositionParams { text_document: TextDocumentIdentifier { uri }, position: Position::new(0, 4) },
            work_done_progress_params: Default::default(),
        })
        .await
        .unwrap();
    assert!(res.is_none());
}

#[tokio::test]
async fn ranges_after_emoji_and_cjk_in_both_encodings() {
    for utf8 in [false, true] {
        let caps = if utf8 { serde_json::json!({ "general": { "positionEncodings": ["utf-8", "utf-16"] } }) } else { serde_json::json!({}) };
        let mut h = Harness::with_capabilities(caps).await;
        assert_eq!(h.encoding == devc_jsonc::PositionEncoding::Utf8, utf8);
        let (_, covered) = h.hover("{ \"name\": \"🐳 容器 é\", /* 🎉 */ \"remote█User\": \"dev\" }").await.unwrap();
        assert_eq!(covered, "\"remoteUser\"", "utf8: {utf8}");
    }
}

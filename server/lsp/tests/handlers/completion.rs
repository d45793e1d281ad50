use crate::support::*;
use devc_lsp::ls_types::*;
use tower_lsp_server::LanguageServer;

/// `completion!(name: "text with █" => [labels that must be offered], ![labels that must not]);`
macro_rules! completion {
    ($name:ident: $text:expr => [$($want:expr),*] $(, ![$($not:expr),*])?) => {
        #[tokio::test]
        async fn $name() {
            let mut h = Harness::new().await;
            let (_, items) = h.completion($text).await;
            let got = labels(&items);
            $(assert!(got.contains(&$want), "{:?} missing from {got:?}", $want);)*
            $($(assert!(!got.contains(&$not), "{:?} must not be offered: {got:?}", $not);)*)?
        }
    };
}

/// `completes!(name: "text with █", "label" => "text after applying it");`
macro_rules! completes {
    ($name:ident: $text:expr, $label:expr => $expected:expr) => {
        #[tokio::test]
        async fn $name() {
            let mut h = Harness::new().await;
            let (text, items) = h.completion($text).await;
            let chosen = item(&items, $label);
            assert_eq!(apply_item(&h, &text, chosen), $expected);
        }
    };
}

completion!(top_level: "{\n  \"name\": \"x\",\n  █\n}" => ["image", "build", "features", "waitFor", "remoteUser", "dockerComposeFile"], !["name"]);
completes!(top_level_object_snippet: "{\n  █\n}", "build" => "{\n  \"build\": {$1}\n}");
completes!(top_level_array_snippet: "{\n  █\n}", "forwardPorts" => "{\n  \"forwardPorts\": [$1]\n}");
completes!(top_level_string_snippet: "{ █ }", "remoteUser" => "{ \"remoteUser\": \"$1\" }");
completes!(top_level_default_in_snippet: "{ █ }", "waitFor" => "{ \"waitFor\": \"${1:updateContentCommand}\" }");
completes!(comma_added_before_next_property: "{ █\n  \"image\": \"x\" }", "remoteUser" => "{ \"remoteUser\": \"$1\",\n  \"image\": \"x\" }");

completion!(nested_build: "{ \"build\": { █ } }" => ["dockerfile", "context", "args", "target", "cacheFrom", "options"], !["image", "build"]);
completion!(nested_build_present_removed: "{ \"build\": { \"dockerfile\": \"D\", █ } }" => ["context"], !["dockerfile"]);
completes!(nested_build_key: "{ \"build\": { \"dock█\" } }", "dockerfile" => "{ \"build\": { \"dockerfile\": \"$1\" } }");
completes!(key_with_colon_renames_only: "{ \"build\": { \"cont█\": \".\" } }", "context" => "{ \"build\": { \"context\": \".\" } }");

completion!(enum_value: "{ \"image\": \"x\", \"shutdownAction\": \"█\" }" => ["\"none\"", "\"stopContainer\""], !["true", "\"stopCompose\""]);
completion!(enum_value_of_the_compose_branch: "{ \"dockerComposeFile\": \"c.yml\", \"service\": \"s\", \"workspaceFolder\": \"/w\", \"shutdownAction\": █ }" => ["\"none\"", "\"stopCompose\""], !["\"stopContainer\""]);
completes!(enum_value_replaces_string: "{ \"shutdownAction\": \"st█\" }", "\"stopContainer\"" => "{ \"shutdownAction\": \"stopContainer\" }");

#[tokio::test]
async fn enum_descriptions_are_documentation() {
    let mut h = Harness::new().await;
    let (_, items) = h.completion("{ \"image\": \"x\", \"shutdownAction\": █ }").await;
    let none = item(&items, "\"none\"");
    let Some(Documentation::MarkupContent(doc)) = &none.documentation else { panic!("{none:?}") };
    assert_eq!(doc.value, "Leave the container running.");
    assert_eq!(item(&items, "\"stopContainer\"").detail.as_deref(), Some("default"));
}

completion!(wait_for_phases: "{ \"waitFor\": \"█\" }" =>
    ["\"initializeCommand\"", "\"onCreateCommand\"", "\"updateContentCommand\"", "\"postCreateCommand\"", "\"postStartCommand\""],
    !["\"postAttachCommand\""]);
completes!(wait_for_without_value: "{ \"waitFor\": █ }", "\"postCreateCommand\"" => "{ \"waitFor\": \"postCreateCommand\" }");
completes!(wait_for_bare_word: "{ \"waitFor\": post█ }", "\"postStartCommand\"" => "{ \"waitFor\": \"postStartCommand\" }");
completion!(booleans: "{ \"init\": █ }" => ["true", "false"]);
completes!(boolean_then_comma: "{ \"init\": █\n  \"image\": \"x\" }", "true" => "{ \"init\": true,\n  \"image\": \"x\" }");

completion!(variables_after_dollar_brace: "{ \"remoteUser\": \"${█\" }" =>
    ["localEnv", "env", "localWorkspaceFolder", "localWorkspaceFolderBasename", "containerWorkspaceFolder", "devcontainerId", "containerEnv"]);
completes!(variable_with_argument: "{ \"remoteUser\": \"${█\" }", "localEnv" => "{ \"remoteUser\": \"${localEnv:${1:NAME}}\" }");
completes!(variable_partial_closed: "{ \"workspaceFolder\": \"/w/${loc█}\" }", "localWorkspaceFolderBasename" => "{ \"workspaceFolder\": \"/w/${localWorkspaceFolderBasename}\" }");
completion!(no_variables_outside_dollar_brace: "{ \"remoteUser\": \"ab█\" }" => [], !["localEnv"]);

// Half-typed files.
completes!(half_typed_key_at_eof: "{\"ima█", "image" => "{\"image\": \"$1\"");
completion!(half_typed_after_valueless_property: "{\n  \"remoteUser\": ,\n  █\n}" => ["image", "waitFor"], !["remoteUser"]);
completes!(half_typed_next_key_after_missing_value: "{\n  \"remoteUser\": \n  \"wai█\n}", "waitFor" =>
    "{\n  \"remoteUser\": \n  \"waitFor\": \"${1:updateContentCommand}\"\n}");
completes!(half_typed_missing_comma_before: "{\n  \"image\": \"x\"\n  \"remo█\"\n}", "remoteUser" => "{\n  \"image\": \"x\",\n  \"remoteUser\": \"$1\"\n}");
completion!(half_typed_value_missing_at_eof: "{ \"image\": \"x\", \"shutdownAction\": █" => ["\"none\""]);

#[tokio::test]
async fn default_snippets_for_properties_and_objects() {
    let mut h = Harness::new().await;
    let (text, items) = h.completion("{ \"features\": { █ } }").await;
    let add = items.iter().find(|i| i.label == "Add a feature").expect("features snippet");
    assert_eq!(apply_item(&h, &text, add), "{ \"features\": { \"ghcr.io/devcontainers/features/${1:common-utils}:${2:2}\": {} } }");

    let (text, items) = h.completion("{ █ }").await;
    let snippet = items
        .iter()
        .find(|i| i.label == "hostRequirements" && i.kind == Some(CompletionItemKind::SNIPPET))
        .expect("hostRequirements snippet");
    assert_eq!(apply_item(&h, &text, snippet), "{ \"hostRequirements\": { \"cpus\": 2, \"memory\": \"${1:8gb}\", \"storage\": \"${2:32gb}\" } }");
}

#[tokio::test]
async fn deprecated_properties_are_tagged_and_last() {
    let mut h = Harness::new().await;
    let (_, items) = h.completion("{ █ }").await;
    let ext = item(&items, "extensions");
    assert_eq!(ext.tags, Some(vec![CompletionItemTag::DEPRECATED]));
    assert!(ext.sort_text.as_deref().unwrap().starts_with('z'));
}

#[tokio::test]
async fn plain_text_without_snippet_support() {
    let mut h = Harness::with_capabilities(serde_json::json!({})).await;
    let (text, items) = h.completion("{ █ }").await;
    let build = item(&items, "build");
    assert_eq!(build.insert_text_format, Some(InsertTextFormat::PLAIN_TEXT));
    assert_eq!(apply_item(&h, &text, build), "{ \"build\": {} }");
}

#[tokio::test]
async fn other_jsonc_files_get_nothing() {
    let mut h = Harness::new().await;
    let uri = Uri::from_file_path("/nonexistent/tsconfig.json").unwrap();
    h.open(&uri, "{ }").await;
    let res = h
        .backend()
        .completion(CompletionParams {
            text_document_position: TextDocumentPositionParams { text_document: TextDocumentIdentifier { uri }, position: Position::new(0, 2) },
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
            context: None,
        })
        .await
        .unwrap();
    assert!(matches!(res, Some(CompletionResponse::Array(items)) if items.is_empty()));
}

#[tokio::test]
async fn emoji_before_the_cursor_utf16() {
    let mut h = Harness::new().await;
    let (text, items) = h.completion("{ \"name\": \"🐳 dév 容器\", \"waitFor\": \"█\" }").await;
    let chosen = item(&items, "\"onCreateCommand\"");
    assert_eq!(apply_item(&h, &text, chosen), "{ \"name\": \"🐳 dév 容器\", \"waitFor\": \"onCreateCommand\" }");
}

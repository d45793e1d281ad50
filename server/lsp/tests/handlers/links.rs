use crate::support::*;
use devc_lsp::ls_types::*;
use tower_lsp_server::LanguageServer;

#[tokio::test]
async fn links_and_definitions_for_existing_paths_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let dc = root.join(".devcontainer");
    std::fs::create_dir(&dc).unwrap();
    std::fs::write(dc.join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(root.join("compose.yml"), "services: {}\n").unwrap();
    let uri = file_uri(&dc.join("devcontainer.json"));
    let text = "{\n  \"build\": { \"dockerfile\": \"Dockerfile\", \"context\": \"..\" },\n  \"dockerComposeFile\": [\"../compose.yml\", \"missing.yml\"],\n  \"dockerFile\": \"${localEnv:X}\"\n}";
    let mut h = Harness::new().await;
    h.open(&uri, text).await;
    let links = h
        .backend()
        .document_link(DocumentLinkParams {
            text_document: TextDocumentIdentifier { uri: uri.clone() },
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        })
        .await
        .unwrap()
        .unwrap();
    let got: Vec<(String, String)> = links
        .iter()
        .map(|l| {
            let covered = text[h.offset(text, l.range.start)..h.offset(text, l.range.end)].to_string();
            (covered, l.target.as_ref().unwrap().to_file_path().unwrap().display().to_string())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("Dockerfile".to_string(), dc.join("Dockerfile").display().to_string()),
            ("..".to_string(), root.display().to_string()),
            ("../compose.yml".to_string(), root.join("compose.yml").display().to_string()),
        ]
    );

    let h = &h;
    let definition = |offset: usize| {
        let pos = h.position(text, offset);
        let uri = uri.clone();
        async move {
            h.backend()
                .goto_definition(GotoDefinitionParams {
                    text_document_position_params: TextDocumentPositionParams { text_document: TextDocumentIdentifier { uri }, position: pos },
                    work_done_progress_params: Default::default(),
                    partial_result_params: Default::default(),
                })
                .await
                .unwrap()
        }
    };
    let Some(GotoDefinitionResponse::Scalar(loc)) = definition(text.find("Dockerfile\"").unwrap() + 3).await else { panic!() };
    assert_eq!(loc.uri.to_file_path().unwrap(), dc.join("Dockerfile"));
    let Some(GotoDefinitionResponse::Scalar(loc)) = definition(text.find("../compose").unwrap() + 1).await else { panic!() };
    assert_eq!(loc.uri.to_file_path().unwrap(), root.join("compose.yml"));
    // A folder, a missing file and a variable are no definitions.
    assert!(definition(text.find("\"..\"").unwrap() + 1).await.is_none());
    assert!(definition(text.find("missing").unwrap()).await.is_none());
    assert!(definition(text.find("localEnv").unwrap()).await.is_none());
}

use crate::support::*;
use devc_lsp::ls_types::*;
use tower_lsp_server::LanguageServer;

const DOC: &str = "// 🐳\n{\n  \"name\": \"容器\",\n  \"build\": {\n    \"dockerfile\": \"Dockerfile\"\n  },\n  \"forwardPorts\": [3000]\n}\n";

fn ident(uri: &Uri) -> TextDocumentIdentifier {
    TextDocumentIdentifier { uri: uri.clone() }
}

#[tokio::test]
async fn hierarchical_outline() {
    let mut h = Harness::new().await;
    let uri = uri();
    h.open(&uri, DOC).await;
    let res = h
        .backend()
        .document_symbol(DocumentSymbolParams {
            text_document: ident(&uri),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        })
        .await
        .unwrap();
    let Some(DocumentSymbolResponse::Nested(symbols)) = res else { panic!("{res:?}") };
    let names: Vec<_> = symbols.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    assert_eq!(names, vec![("name", SymbolKind::STRING), ("build", SymbolKind::OBJECT), ("forwardPorts", SymbolKind::ARRAY)]);
    let build = &symbols[1];
    assert_eq!(build.children.as_ref().unwrap()[0].name, "dockerfile");
    assert_eq!((build.range.start, build.range.end), (Position::new(3, 2), Position::new(5, 3)));
    assert_eq!((build.selection_range.start, build.selection_range.end), (Position::new(3, 2), Position::new(3, 9)));
    // After CJK: "容器" is 2 UTF-16 units.
    assert_eq!(symbols[0].range.end, Position::new(2, 14));
}

#[tokio::test]
async fn flat_outline_for_old_clients() {
    let mut h = Harness::with_capabilities(serde_json::json!({})).await;
    let uri = uri();
    h.open(&uri, DOC).await;
    let res = h
        .backend()
        .document_symbol(DocumentSymbolParams {
            text_document: ident(&uri),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        })
        .await
        .unwrap();
    let Some(DocumentSymbolResponse::Flat(symbols)) = res else { panic!("{res:?}") };
    let names: Vec<_> = symbols.iter().map(|s| (s.name.as_str(), s.container_name.as_deref())).collect();
    assert!(names.contains(&("dockerfile", Some("build"))), "{names:?}");
}

#[tokio::test]
async fn folding() {
    let mut h = Harness::new().await;
    let uri = uri();
    h.open(&uri, DOC).await;
    let ranges = h
        .backend()
        .folding_range(FoldingRangeParams {
            text_document: ident(&uri),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        })
        .await
        .unwrap()
        .unwrap();
    let lines: Vec<_> = ranges.iter().map(|r| (r.start_line, r.end_line)).collect();
    assert!(lines.contains(&(1, 6)) && lines.contains(&(3, 4)), "{lines:?}");
}

async fn format(h: &Harness, uri: &Uri, range: Option<Range>) -> Option<Vec<TextEdit>> {
    let options = FormattingOptions { tab_size: 2, insert_spaces: true, ..Default::default() };
    match range {
        None => h
            .backend()
            .formatting(DocumentFormattingParams { text_document: ident(uri), options, work_done_progress_params: Default::default() })
            .await
            .unwrap(),
        Some(range) => h
            .backend()
            .range_formatting(DocumentRangeFormattingParams {
                text_document: ident(uri),
                range,
                options,
                work_done_progress_params: Default::default(),
            })
            .await
            .unwrap(),
    }
}

#[tokio::test]
async fn formatting_whole_document_and_range_keeps_comments() {
    let mut h = Harness::new().await;
    let uri = uri();
    let messy = "// 🐳 keep me\n{\"name\":\"容器\",   \"build\":{\"dockerfile\":\"Dockerfile\"} /* and me */}\n";
    h.open(&uri, messy).await;
    let edits = format(&h, &uri, None).await.unwrap();
    let formatted = h.apply(messy, &edits);
    assert!(formatted.contains("// 🐳 keep me") && formatted.contains("/* and me */"), "{formatted}");
    assert!(formatted.contains("\n  \"name\": \"容器\",\n"), "{formatted}");
    assert_eq!(devc_jsonc::format::format(&formatted, &Default::default()).as_deref(), Some(formatted.as_str()), "stable");

    // Range: only the build object.
    let start = messy.find("{\"dockerfile\"").unwrap() + 1;
    let range = Range { start: h.position(messy, start), end: h.position(messy, start + 5) };
    let edits = format(&h, &uri, Some(range)).await.unwrap();
    let partly = h.apply(messy, &edits);
    assert!(partly.starts_with("// 🐳 keep me\n{\"name\":\"容器\",   \"build\":{"), "{partly}");
}

#[tokio::test]
async fn no_formatting_with_syntax_errors_and_other_jsonc_files_work() {
    let mut h = Harness::new().await;
    let uri = uri();
    h.open(&uri, "{ \"name\": \"x\" \"image\": }").await;
    assert!(format(&h, &uri, None).await.is_none());
    let other = Uri::from_file_path("/nonexistent/tsconfig.json").unwrap();
    h.open(&other, "{\"a\":1}").await;
    let edits = format(&h, &other, None).await.unwrap();
    assert_eq!(h.apply("{\"a\":1}", &edits), "{\n  \"a\": 1\n}");
}

use super::*;

fn errors(text: &str) -> Vec<(String, String)> {
    let p = parse(text);
    p.errors.iter().map(|e| (text[e.span.clone()].to_string(), e.message.clone())).collect()
}

#[test]
fn spans_on_keys_and_values() {
    let text = r#"{ "image": "alpine", "n": [1, 2.5] }"#;
    let p = parse(text);
    assert!(p.errors.is_empty());
    let root = p.root.unwrap();
    let image = root.property("image").unwrap();
    assert_eq!(&text[image.key.span.clone()], "\"image\"");
    assert_eq!(&text[image.value.as_ref().unwrap().span.clone()], "\"alpine\"");
    let n = root.get("n").unwrap().as_array().unwrap();
    assert_eq!(&text[n[1].span.clone()], "2.5");
    assert_eq!(root.span, 0..text.len());
}

#[test]
fn comments_and_trailing_commas_are_accepted() {
    let text = "// top\n{\n  /* block */ \"a\": [1, 2,], // tail\n  \"b\": {\"c\": true,},\n}\n";
    let p = parse(text);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.comments.len(), 3);
    assert_eq!(p.root.unwrap().to_value(), serde_json::json!({"a": [1, 2], "b": {"c": true}}));
}

#[test]
fn string_escapes_are_decoded() {
    let p = parse(r#"["a\"b\\c\/\n\u0041\ud83d\ude00"]"#);
    assert!(p.errors.is_empty());
    assert_eq!(p.root.unwrap().to_value(), serde_json::json!(["a\"b\\c/\nA😀"]));
}

#[test]
fn missing_comma_is_reported_and_parsing_continues() {
    let text = "{\n \"a\": 1\n \"b\": 2\n}";
    let errs = errors(text);
    assert_eq!(errs, vec![("\"b\"".to_string(), "expected comma".to_string())]);
    let v = parse(text).root.unwrap().to_value();
    assert_eq!(v, serde_json::json!({"a": 1, "b": 2}));
}

#[test]
fn duplicate_keys_are_warnings_on_both_keys() {
    let text = r#"{"a": 1, "b": 2, "a": 3}"#;
    let p = parse(text);
    assert!(!p.has_errors());
    let spans: Vec<_> = p.errors.iter().map(|e| e.span.start).collect();
    assert_eq!(spans, vec![17, 1]);
    assert!(p.errors.iter().all(|e| e.severity == Severity::Warning));
    assert_eq!(p.root.unwrap().to_value(), serde_json::json!({"a": 3, "b": 2}));
}

#[test]
fn half_typed_file_still_has_a_tree() {
    let text = "{\n  \"image\": \"alpine\",\n  \"remoteUser\": \n";
    let p = parse(text);
    assert!(p.has_errors());
    let root = p.root.unwrap();
    assert_eq!(root.get("image").and_then(Node::as_str), Some("alpine"));
    let ru = root.property("remoteUser").unwrap();
    assert!(ru.value.is_none());

    let p = parse("{\n  \"ima\n}");
    assert!(p.has_errors());
    assert!(p.root.is_some());
}

#[test]
fn key_being_typed_before_next_key() {
    let p = parse("{\n  \"na\"\n  \"image\": \"x\"\n}");
    let root = p.root.unwrap();
    assert!(root.property("na").unwrap().value.is_none());
    assert_eq!(root.get("image").and_then(Node::as_str), Some("x"));
}

#[test]
fn unterminated_things() {
    assert!(errors("{\"a\": \"abc").iter().any(|e| e.1.contains("string is not closed")));
    assert!(errors("{} /* open").iter().any(|e| e.1.contains("block comment is not closed")));
    assert!(errors("[1.]").iter().any(|e| e.1.contains("unexpected end of number")));
    assert!(errors("{\"a\": 1").iter().any(|e| e.1.contains("closing brace")));
}

#[test]
fn garbage_roots() {
    let errs = errors("https://example.com{ }");
    assert_eq!(errs[0].1, "expected a JSON object, array or literal");
    assert_eq!(errs.len(), 1);
    let errs = errors("\"x\": 1");
    assert_eq!(errs[0].0, ":");
    assert!(errs[0].1.starts_with("end of file expected"));
    assert!(parse("").root.is_none());
    assert!(parse("  // only a comment\n").errors.is_empty());
}

#[test]
fn unquoted_keys_are_errors_but_kept() {
    let p = parse("{ image: \"x\" }");
    assert_eq!(p.errors[0].message, "property keys must be double-quoted");
    assert_eq!(p.root.unwrap().get("image").and_then(Node::as_str), Some("x"));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = "[".repeat(100_000);
    let p = parse(&text);
    assert!(p.errors.iter().any(|e| e.kind == SyntaxErrorKind::TooDeep));
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let p = parse(&text);
    assert!(p.errors.iter().any(|e| e.kind == SyntaxErrorKind::TooDeep));
    let obj = "{\"a\":".repeat(50_000);
    assert!(parse(&obj).has_errors());
    // Within the limit nothing is reported.
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(&ok).errors.is_empty());
}

#[test]
fn invalid_utf8_is_located() {
    assert_eq!(decode_utf8(b"{\"a\": \"\xff\"}"), Err(7));
    assert!(decode_utf8("{}".as_bytes()).is_ok());
}

#[test]
fn bom_is_skipped() {
    let p = parse("\u{feff}{\"a\": 1}");
    assert!(p.errors.is_empty());
}

#[test]
fn numbers_keep_integer_ness() {
    let v = parse("[1, -2, 3.0, 1e3, 12345678901234567890]").root.unwrap().to_value();
    assert_eq!(v[0], serde_json::json!(1));
    assert_eq!(v[1], serde_json::json!(-2));
    assert!(v[2].is_f64());
    assert!(v[4].is_u64() || v[4].is_f64());
    let p = parse("[-]");
    assert!(p.has_errors());
}

#[test]
fn line_index_in_all_encodings() {
    let text = "{\n  \"a😀b\": \"中文\"\r\n}";
    let idx = LineIndex::new(text);
    let off = text.find("\"中").unwrap();
    assert_eq!(idx.line_col(text, off, PositionEncoding::Chars), LineCol { line: 1, col: 9 });
    assert_eq!(idx.line_col(text, off, PositionEncoding::Utf16), LineCol { line: 1, col: 10 });
    assert_eq!(idx.line_col(text, off, PositionEncoding::Utf8), LineCol { line: 1, col: 12 });
    for enc in [PositionEncoding::Chars, PositionEncoding::Utf16, PositionEncoding::Utf8] {
        let lc = idx.line_col(text, off, enc);
        assert_eq!(idx.offset(text, lc, enc), off);
    }
    let close = text.rfind('}').unwrap();
    assert_eq!(idx.line_col(text, close, PositionEncoding::Utf16), LineCol { line: 2, col: 0 });
}

#[test]
fn path_at_offset_finds_innermost() {
    let text = r#"{"build": {"args": {"A": "x"}}, "forwardPorts": [3000, 8080]}"#;
    let root = parse(text).root.unwrap();
    let off = text.find("\"x\"").unwrap() + 1;
    assert_eq!(path_to_string(&root.path_at_offset(off)), "build.args.A");
    let off = text.find("8080").unwrap();
    assert_eq!(path_to_string(&root.path_at_offset(off)), "forwardPorts[1]");
}

//! 10,000 random incremental edits (UTF-16 client positions, including ones
//! that would split a surrogate pair, clamped as a client does) must never
//! crash the server, must leave it with the client's text, and the final
//! diagnostics must equal those of a fresh open of the final text.

use crate::support::*;
use devc_lsp::ls_types::*;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The client's own model: UTF-16 offsets and LSP positions, computed
/// independently of the server's line index.
fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Byte offset of a UTF-16 offset; one inside a surrogate pair is clamped to
/// the start of the pair (what an editor's cursor would do).
fn clamp_to_byte(s: &str, units: usize) -> usize {
    let mut u = 0;
    for (i, c) in s.char_indices() {
        if u + c.len_utf16() > units {
            return i;
        }
        u += c.len_utf16();
    }
    s.len()
}

fn position(s: &str, byte: usize) -> Position {
    let before = &s[..byte];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position::new(line, utf16_len(&before[line_start..]) as u32)
}

const PIECES: &[&str] = &[
    "{", "}", "[", "]", "\"", ":", ",", " ", "\n", "  ", "a", "image", "\"build\": {", "\"dockerfile\"", "🐳", "容器", "é", "👩‍💻",
    "//", "/* 🐳 */", "*/", "${localEnv:HOME}", "${", "\\", "\\u00e9", "1", "true", "null", "\"remoteUser\": \"dev\",", "\t",
];

const START: &str = "// 🐳 dev container\n{\n  \"name\": \"容器 🐳\",\n  \"image\": \"mcr.microsoft.com/devcontainers/base\",\n  \"forwardPorts\": [3000, \"db:5432\"],\n  /* 👩‍💻 */ \"remoteUser\": \"${localEnv:USER}\",\n  \"features\": {}\n}\n";

#[tokio::test]
async fn ten_thousand_random_edits() {
    let mut h = Harness::new().await;
    let uri = uri();
    let mut text = START.to_string();
    h.open(&uri, &text).await;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut edits = 0;
    let mut checkpoints = Vec::new();
    while edits < 10_000 {
        // 1–3 changes per notification; each one's positions are in the text
        // after the previous ones, as the protocol says.
        let batch = 1 + rng.below(3);
        let mut changes = Vec::new();
        for _ in 0..batch {
            let len = utf16_len(&text);
            let a = clamp_to_byte(&text, rng.below(len + 1));
            let (start, end, insert) = if rng.below(2) == 0 || text.len() > 4000 {
                // Delete a few UTF-16 units (maybe zero), maybe replacing them.
                let b = clamp_to_byte(&text, utf16_len(&text[..a]) + rng.below(9));
                let insert = if rng.below(3) == 0 { PIECES[rng.below(PIECES.len())] } else { "" };
                (a, b.max(a), insert)
            } else {
                (a, a, PIECES[rng.below(PIECES.len())])
            };
            changes.push(TextDocumentContentChangeEvent {
                range: Some(Range { start: position(&text, start), end: position(&text, end) }),
                range_length: None,
                text: insert.to_string(),
            });
            text.replace_range(start..end, insert);
            edits += 1;
        }
        h.change(&uri, changes).await;
        // Checkpoints: what was published equals a fresh computation.
        if edits < 10_000 && edits / 2_500 != (edits - batch) / 2_500 {
            let published = h.diagnostics(&uri).await;
            let fresh = devc_lsp::document::Document::new(uri.clone(), 0, text.clone(), h.encoding, 0);
            assert_eq!(published, devc_lsp::diagnostics::compute(&fresh), "after {edits} edits");
            checkpoints.push(published.len());
        }
    }
    let server_text = h.backend().session().docs.get(&uri).unwrap().text.clone();
    assert_eq!(server_text, text, "the server's text diverged from the client's");
    let after_edits = h.diagnostics(&uri).await;
    eprintln!("final text: {} bytes, {} diagnostics; at checkpoints: {checkpoints:?}", text.len(), after_edits.len());

    h.close(&uri).await;
    h.open(&uri, &text).await;
    let fresh = h.diagnostics(&uri).await;
    assert_eq!(after_edits, fresh);
}

#[tokio::test]
async fn unclamped_and_out_of_range_positions_do_not_crash() {
    let mut h = Harness::new().await;
    let uri = uri();
    h.open(&uri, "{ \"name\": \"🐳🐳\" }\n").await;
    let mut rng = Rng(42);
    for _ in 0..2_000 {
        let p = |rng: &mut Rng| Position::new(rng.below(4) as u32, rng.below(30) as u32);
        let (a, b) = (p(&mut rng), p(&mut rng));
        let insert = PIECES[rng.below(PIECES.len())].to_string();
        h.change(&uri, vec![TextDocumentContentChangeEvent { range: Some(Range { start: a, end: b }), range_length: None, text: insert }]).await;
    }
    // Full-text sync still works afterwards.
    h.change(&uri, vec![TextDocumentContentChangeEvent { range: None, range_length: None, text: "{ \"image\": \"x\" }".into() }]).await;
    assert!(h.diagnostics(&uri).await.is_empty());
}

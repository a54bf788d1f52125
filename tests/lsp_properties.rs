//! Property test for `vpclint lsp`: random bytes and random message sequences go into the
//! server (in process, over in-memory streams). It must never panic, must answer a final
//! valid request when the frames before it are well-formed, and must exit by the spec:
//! 0 after `shutdown` + `exit`, 1 when the input just ends.

use proptest::prelude::*;
use serde_json::{json, Value};
use std::io::Cursor;

fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    f.extend_from_slice(body);
    f
}

fn msg(v: &Value) -> Vec<u8> {
    frame(&serde_json::to_vec(v).unwrap())
}

/// Parse every framed message the server wrote.
fn answers(out: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(out);
    let mut v = Vec::new();
    let mut rest = &text[..];
    while let Some(i) = rest.find("\r\n\r\n") {
        let len: usize = rest[..i]
            .trim()
            .strip_prefix("Content-Length: ")
            .unwrap()
            .parse()
            .unwrap();
        let body = &rest[i + 4..i + 4 + len];
        v.push(serde_json::from_str(body).expect("the server writes JSON"));
        rest = &rest[i + 4 + len..];
    }
    v
}

const URI: &str = "file:///tmp/vpclint-prop/r.json";

fn documents() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(include_str!("../testdata/examples/reference-example.json").to_owned()),
        Just(include_str!("../testdata/examples/chinese-crlf.json").to_owned()),
        "[ -~中😀\\n\\r]{0,200}",
    ]
}

/// A well-formed frame: a real LSP message with random content, or junk JSON.
fn frames() -> impl Strategy<Value = Vec<u8>> {
    let pos = (0u32..40, 0u32..80);
    prop_oneof![
        documents().prop_map(|t| msg(&json!({"jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": {"textDocument": {"uri": URI, "languageId": "json", "version": 1, "text": t}}}))),
        (documents(), 0i32..1000).prop_map(|(t, v)| msg(&json!({"jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": URI, "version": v}, "contentChanges": [{"text": t}]}}))),
        (pos.clone(), pos.clone(), "[ -~中😀\\n]{0,20}").prop_map(|(a, b, t)| msg(&json!({"jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": URI, "version": 5}, "contentChanges": [{"range": {
                "start": {"line": a.0, "character": a.1}, "end": {"line": b.0, "character": b.1}}, "text": t}]}}))),
        (pos.clone(), prop_oneof![Just("textDocument/hover"), Just("textDocument/completion"),
            Just("textDocument/documentSymbol"), Just("textDocument/diagnostic"), Just("textDocument/codeAction")])
            .prop_map(|(p, m)| msg(&json!({"jsonrpc": "2.0", "id": 7, "method": m, "params": {
                "textDocument": {"uri": URI}, "position": {"line": p.0, "character": p.1},
                "range": {"start": {"line": p.0, "character": 0}, "end": {"line": p.0, "character": p.1}},
                "context": {"diagnostics": []}}}))),
        Just(msg(&json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": URI}}}))),
        Just(msg(&json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 7}}))),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| frame(&b)),
        "[ -~]{0,64}".prop_map(|s| frame(s.as_bytes())),
    ]
}

fn init() -> Vec<u8> {
    let mut v = msg(
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    v.extend(msg(
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    ));
    v
}

fn run(input: Vec<u8>) -> (i32, Vec<Value>) {
    let mut out = Vec::new();
    let status = vpclint::lsp::serve(Cursor::new(input), &mut out);
    (status, answers(&out))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn well_formed_frames_then_shutdown(frames in proptest::collection::vec(frames(), 0..12)) {
        let mut input = init();
        for f in &frames {
            input.extend(f);
        }
        input.extend(msg(&json!({"jsonrpc": "2.0", "id": 999, "method": "shutdown"})));
        input.extend(msg(&json!({"jsonrpc": "2.0", "method": "exit"})));
        let (status, out) = run(input);
        prop_assert_eq!(status, 0);
        prop_assert!(out.iter().any(|m| m["id"] == 999 && m["result"].is_null() && m.get("error").is_none()));
    }

    #[test]
    fn random_bytes_never_panic_and_exit_by_the_spec(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut input = init();
        input.extend(bytes);
        let (status, _) = run(input);
        prop_assert_eq!(status, 1);
    }
}

#[test]
fn a_config_watcher_is_registered_where_the_client_allows_it() {
    for (dynamic, expected) in [(true, true), (false, false)] {
        let mut input = msg(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "capabilities": {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": dynamic}}}}}),
        );
        input.extend(msg(
            &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        ));
        input.extend(msg(
            &json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
        ));
        input.extend(msg(&json!({"jsonrpc": "2.0", "method": "exit"})));
        let (status, out) = run(input);
        assert_eq!(status, 0);
        // Both names a config may have (the hidden one wins in a directory).
        let registered = out.iter().any(|m| {
            let w = &m["params"]["registrations"][0]["registerOptions"]["watchers"];
            m["method"] == "client/registerCapability"
                && w[0]["globPattern"] == "**/vpclint.toml"
                && w[1]["globPattern"] == "**/.vpclint.toml"
        });
        assert_eq!(registered, expected);
    }
}

#[test]
fn requests_before_initialize_are_refused() {
    let mut input =
        msg(&json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {}}));
    input.extend(init());
    input.extend(msg(
        &json!({"jsonrpc": "2.0", "id": 4, "method": "initialize", "params": {"capabilities": {}}}),
    ));
    let (status, out) = run(input);
    assert_eq!(status, 1, "input ended without shutdown");
    let error = |id: i64| out.iter().find(|m| m["id"] == id).unwrap()["error"]["code"].clone();
    assert_eq!(error(3), -32002);
    assert_eq!(error(4), -32600, "a second initialize");
}

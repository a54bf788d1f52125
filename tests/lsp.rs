//! `vpclint lsp` spoken to over real JSON-RPC on stdio, as an editor would.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications that arrived while waiting for something else.
    pending: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vpclint"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = channel();
        std::thread::spawn(move || loop {
            let mut len = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length: ") {
                    len = v.parse::<usize>().ok();
                }
            }
            let mut body = vec![0; len.expect("Content-Length header")];
            reader.read_exact(&mut body).unwrap();
            if tx
                .send(serde_json::from_slice(&body).expect("server sends JSON"))
                .is_err()
            {
                return;
            }
        });
        let mut c = Client {
            child,
            stdin,
            rx,
            next_id: 1,
            pending: Vec::new(),
        };
        let caps = c.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}}),
        );
        assert_eq!(
            caps["capabilities"]["textDocumentSync"]["change"], 1,
            "full sync"
        );
        assert_eq!(caps["capabilities"]["hoverProvider"], true);
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: Value) {
        let body = serde_json::to_vec(&v).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn recv(&mut self) -> Value {
        self.rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the server answers within 10 s")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.recv();
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
            self.pending.push(m);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        if let Some(i) = self.pending.iter().position(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        }) {
            return self.pending.remove(i)["params"]["diagnostics"]
                .as_array()
                .unwrap()
                .clone();
        }
        loop {
            let m = self.recv();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.pending.push(m);
        }
    }

    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}),
        );
        self.diagnostics(uri)
    }

    fn shutdown(mut self) {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "clean exit after shutdown/exit: {status:?}"
        );
    }
}

const URI: &str = "file:///tmp/vpclint-lsp-test/channel.json";

fn rule(d: &Value) -> &str {
    d["code"].as_str().unwrap()
}

#[test]
fn diagnostics_with_utf16_ranges_crlf_and_related_information() {
    let mut c = Client::start();
    let text = include_str!("../testdata/examples/chinese-crlf.json");
    let diags = c.open(URI, text);
    let d = diags
        .iter()
        .find(|d| rule(d) == "member-group-not-found")
        .expect("diagnostic published");
    assert_eq!(d["source"], "vpclint");
    assert_eq!(d["severity"], 1);
    let line8 = text.split("\r\n").nth(7).unwrap();
    let col = line8[..line8.find("\"备集群\"").unwrap()]
        .encode_utf16()
        .count();
    assert_eq!(d["range"]["start"], json!({"line": 7, "character": col}));
    assert_eq!(
        d["range"]["end"],
        json!({"line": 7, "character": col + "\"备集群\"".encode_utf16().count()})
    );
    // Secondary labels travel as relatedInformation.
    let legacy = include_str!("../testdata/examples/legacy-migration.json");
    let diags = c.open("file:///tmp/vpclint-lsp-test/legacy.json", legacy);
    let t = diags
        .iter()
        .find(|d| rule(d) == "health-timeout-not-below-interval")
        .unwrap();
    assert_eq!(t["relatedInformation"][0]["message"], "time_interval is 5");
    assert_eq!(
        t["relatedInformation"][0]["location"]["range"]["start"]["line"],
        12
    );
    assert!(t["message"]
        .as_str()
        .unwrap()
        .contains("help: raise time_interval"));
    c.shutdown();
}

#[test]
fn change_save_and_close() {
    let mut c = Client::start();
    let bad = include_str!("../testdata/rules/health-timeout-not-below-interval/bad-equal.json");
    assert!(c
        .open(URI, bad)
        .iter()
        .any(|d| rule(d) == "health-timeout-not-below-interval"));
    let good = include_str!("../testdata/examples/reference-example.json");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": good}]}),
    );
    assert!(c.diagnostics(URI).is_empty());
    c.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": URI}, "text": bad}),
    );
    assert!(!c.diagnostics(URI).is_empty());
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": URI}}),
    );
    assert!(c.diagnostics(URI).is_empty(), "cleared on close");
    c.shutdown();
}

#[test]
fn broken_documents_mid_typing_and_other_json() {
    let mut c = Client::start();
    let diags = c.open(
        URI,
        "{\n  \"name\": \"web\",\n  \"instance_ids\": [\"a\"],\n  \"po",
    );
    assert_eq!(diags.len(), 1);
    assert_eq!(rule(&diags[0]), "invalid-json");
    assert_eq!(
        c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 4}})
        ),
        Value::Null
    );
    for garbage in ["", "\u{0}\u{1}", "[[[[[[[[", "{\"instance_ids\": [}"] {
        c.notify("textDocument/didChange", json!({"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"text": garbage}]}));
        let _ = c.diagnostics(URI);
    }
    // package.json and friends are not VPC channel requests: no diagnostics.
    assert!(c
        .open(
            "file:///tmp/vpclint-lsp-test/package.json",
            "{\"name\": \"x\", \"version\": \"1.0.0\"}"
        )
        .is_empty());
    c.shutdown();
}

#[test]
fn hover_shows_the_reference_docs() {
    let mut c = Client::start();
    let text = include_str!("../testdata/examples/reference-example.json");
    c.open(URI, text);
    let line = text
        .lines()
        .position(|l| l.contains("\"timeout\""))
        .unwrap();
    let col = text.lines().nth(line).unwrap().find("timeout").unwrap();
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": col + 2}}),
    );
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(
        md.starts_with("**vpc_health_config.timeout** · `integer` · 2 – 30"),
        "{md}"
    );
    assert!(
        md.contains("must be less than the value of time_interval"),
        "{md}"
    );
    let line = text
        .lines()
        .position(|l| l.contains("\"balance_strategy\""))
        .unwrap();
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": 5}}),
    );
    assert!(h["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("- `4` URI hashing"));
    c.shutdown();
}

#[test]
fn code_actions_apply_certain_fixes() {
    let mut c = Client::start();
    let text = include_str!("../testdata/rules/unknown-field/bad-misspelt-interval.json");
    let diags = c.open(URI, text);
    let d = diags
        .iter()
        .find(|d| rule(d) == "unknown-field")
        .unwrap()
        .clone();
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let a = &actions[0];
    assert_eq!(a["title"], "Rename `time_intervall` to `time_interval`");
    assert_eq!(a["kind"], "quickfix");
    let edit = &a["edit"]["changes"][URI][0];
    assert_eq!(edit["newText"], "\"time_interval\"");
    assert_eq!(edit["range"], d["range"]);

    let text = include_str!("../testdata/rules/deprecated-type/bad-type-2.json");
    let diags = c.open(URI, text);
    let d = diags
        .iter()
        .find(|d| rule(d) == "deprecated-type")
        .unwrap()
        .clone();
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    assert_eq!(
        actions[0]["edit"]["changes"][URI][0]["newText"],
        "\"vpc_channel_type\": \"builtin\""
    );

    let text = include_str!("../testdata/rules/duplicate-instance-id/bad-twice.json");
    let diags = c.open(URI, text);
    let d = diags
        .iter()
        .find(|d| rule(d) == "duplicate-instance-id")
        .unwrap()
        .clone();
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let e = &actions[0]["edit"]["changes"][URI][0];
    assert_eq!(e["newText"], "");
    // Applying the edit leaves valid JSON without the duplicate.
    let lines: Vec<&str> = text.split('\n').collect();
    let (sl, sc) = (
        e["range"]["start"]["line"].as_u64().unwrap() as usize,
        e["range"]["start"]["character"].as_u64().unwrap() as usize,
    );
    let (el, ec) = (
        e["range"]["end"]["line"].as_u64().unwrap() as usize,
        e["range"]["end"]["character"].as_u64().unwrap() as usize,
    );
    let start: usize = lines[..sl].iter().map(|l| l.len() + 1).sum::<usize>() + sc;
    let end: usize = lines[..el].iter().map(|l| l.len() + 1).sum::<usize>() + ec;
    let fixed = format!("{}{}", &text[..start], &text[end..]);
    let v: Value = serde_json::from_str(&fixed).expect("still JSON");
    assert_eq!(v["instance_ids"].as_array().unwrap().len(), 2);
    c.shutdown();
}

//! The language server as real clients drive it (issue 19): vscode-languageclient's
//! `--stdio`, clients that pull diagnostics, odd request ids, untitled request files, the
//! size limit, and nothing of a document on standard error.

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
}

impl Client {
    fn start(args: &[&str], capabilities: Value, dir: &std::path::Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vpclint"))
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
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
            if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                return;
            }
        });
        let mut c = Client {
            child,
            stdin,
            rx,
            next_id: 1,
        };
        let r = c.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": capabilities}),
        );
        assert!(r["result"]["capabilities"].is_object(), "{r}");
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: Value) {
        let body = serde_json::to_vec(&v).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Every message until the answer to `id`; the answer last.
    fn until_answer(&mut self, id: &Value) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let m = self
                .rx
                .recv_timeout(Duration::from_secs(10))
                .expect("an answer within 10 s");
            let done = m["id"] == *id && m.get("method").is_none();
            seen.push(m);
            if done {
                return seen;
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = json!(self.next_id);
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.until_answer(&id).pop().unwrap()
    }

    fn stop(mut self) -> String {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        drop(self.stdin);
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let _ = self.child.wait();
        err
    }
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("vpclint-lspc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const BAD: &str = r#"{"name": "web", "port": "80", "balance_strategy": 1, "member_type": "ip", "instance_ids": ["eea73cde015940908ae0117d67bf7330"]}"#;

#[test]
fn stdio_flag_is_accepted_and_a_pulling_client_is_not_pushed_to() {
    let d = tempdir("pull");
    let uri = format!("file://{}/web.json", d.display());
    let mut c = Client::start(
        &["lsp", "--stdio"],
        json!({"textDocument": {"diagnostic": {"dynamicRegistration": false}}}),
        &d,
    );
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": BAD}}),
    );
    // The pull answers; nothing was pushed before it.
    let id = json!(100);
    c.send(
        json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/diagnostic",
        "params": {"textDocument": {"uri": uri}}}),
    );
    let seen = c.until_answer(&id);
    assert!(
        !seen
            .iter()
            .any(|m| m["method"] == "textDocument/publishDiagnostics"),
        "{seen:?}"
    );
    let items = seen.last().unwrap()["result"]["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 1, "{items:?}");
    // A document the server does not hold is not called clean.
    let r = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": format!("file://{}/never-opened.json", d.display())}}),
    );
    assert!(r.get("error").is_some(), "{r}");
    c.stop();
}

#[test]
fn a_pushing_client_still_gets_pushes() {
    let d = tempdir("push");
    let uri = format!("file://{}/web.json", d.display());
    let mut c = Client::start(&["lsp"], json!({}), &d);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": BAD}}),
    );
    let m =
        c.rx.recv_timeout(Duration::from_secs(10))
            .expect("a push within 10 s");
    assert_eq!(m["method"], "textDocument/publishDiagnostics", "{m}");
    assert_eq!(m["params"]["diagnostics"].as_array().unwrap().len(), 1);
    c.stop();
}

#[test]
fn every_request_id_type_is_answered() {
    let d = tempdir("ids");
    let mut c = Client::start(&["lsp"], json!({}), &d);
    for id in [json!({"a": 1}), json!([1]), json!(true), json!(null)] {
        c.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
            "params": {"textDocument": {"uri": "file:///x.json"}, "position": {"line": 0, "character": 0}}}));
        let seen = c.until_answer(&id);
        let m = seen.last().unwrap();
        assert_eq!(m["error"]["code"], -32600, "{m}");
    }
    c.stop();
}

#[test]
fn no_document_text_reaches_stderr() {
    let d = tempdir("stderr");
    let mut c = Client::start(&["lsp"], json!({}), &d);
    // A wrong-typed field: the version is a string holding the text.
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": "file:///x.json", "languageId": "json", "version": "SECRET-hunter2", "text": "{\"password\": \"SECRET-hunter2\"}"}}),
    );
    let err = c.stop();
    assert!(!err.contains("hunter2"), "{err}");
    assert!(
        err.contains("didOpen"),
        "the message is still logged: {err}"
    );
}

#[test]
fn untitled_http_documents_are_request_files() {
    let d = tempdir("untitled");
    let mut c = Client::start(&["lsp"], json!({}), &d);
    let text = "POST https://x/v2/p/apic/vpc-channels\nContent-Type: application/json\n\n{\"name\": \"web\", \"port\": \"80\", \"balance_strategy\": 1, \"member_type\": \"ip\", \"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"]}\n";
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": "untitled:Untitled-1", "languageId": "http", "version": 1, "text": text}}),
    );
    let r = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": "untitled:Untitled-1"}}),
    );
    let rules: Vec<&str> = r["result"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["wrong-type"], "{r}");
    c.stop();
}

#[test]
fn documents_over_max_file_size_are_said_not_linted() {
    let d = tempdir("size");
    std::fs::write(d.join("vpclint.toml"), "max-file-size = 64\n").unwrap();
    let uri = format!("file://{}/web.json", d.display());
    let mut c = Client::start(&["lsp"], json!({}), &d);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": BAD}}),
    );
    let id = json!(100);
    c.send(
        json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/diagnostic",
        "params": {"textDocument": {"uri": uri}}}),
    );
    let seen = c.until_answer(&id);
    assert!(
        seen.iter().any(|m| m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap()
                .contains("max-file-size")),
        "{seen:?}"
    );
    assert!(seen.last().unwrap().get("error").is_some());
    c.stop();
}

#[test]
fn request_files_get_completion_hover_and_symbols_of_their_requests_operation() {
    let d = tempdir("http-features");
    let uri = format!("file://{}/backends.http", d.display());
    let text = "### add backends\nPOST https://{{host}}/v2/p/apic/instances/i/vpc-channels/c/members\nContent-Type: application/json\n\n{\n  \"\"\n}\n";
    let mut c = Client::start(&["lsp"], json!({}), &d);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "http", "version": 1, "text": text}}),
    );
    // Inside `""` on line 5: the members body's keys, not the channel's.
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 5, "character": 3}}),
    );
    let items = r["result"].as_array().unwrap();
    let labels: Vec<&str> = items.iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"members"), "{labels:?}");
    assert!(
        !labels.contains(&"name") && !labels.contains(&"instance_ids"),
        "{labels:?}"
    );
    // Edits land in the request file, on the body's line.
    for i in items {
        if let Some(e) = i.get("textEdit") {
            assert_eq!(e["range"]["start"]["line"], 5, "{i}");
        }
    }
    let filled = text.replace("\"\"", "\"members\": []");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": filled}]}),
    );
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 5, "character": 4}}),
    );
    assert!(
        h["result"]["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("members")),
        "{h}"
    );
    let s = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let syms = s["result"].as_array().unwrap();
    assert_eq!(syms.len(), 1, "{s}");
    assert_eq!(syms[0]["detail"], "roma:AddingBackendInstancesV2");
    assert_eq!(syms[0]["children"][0]["name"], "members");
    assert_eq!(syms[0]["children"][0]["range"]["start"]["line"], 5);
    c.stop();
}

/// A body with `n` members, pretty-printed (about 60 bytes a member).
fn big_body(n: usize) -> String {
    let members: Vec<String> = (0..n)
        .map(|k| {
            format!(
                "    {{\"host\": \"10.{}.{}.{}\", \"weight\": 5}}",
                k >> 16 & 255,
                k >> 8 & 255,
                k & 255
            )
        })
        .collect();
    format!(
        "{{\n  \"name\": \"big\",\n  \"port\": 80,\n  \"members\": [\n{}\n  ]\n}}\n",
        members.join(",\n")
    )
}

#[test]
fn document_symbols_run_off_the_main_loop_and_can_be_cancelled() {
    let d = tempdir("symbols");
    let mut c = Client::start(&["lsp"], json!({}), &d);
    let big = format!("file://{}/big.json", d.display());
    let small = format!("file://{}/small.json", d.display());
    // ~14 MB: its outline takes far longer than a hover on a small document.
    let text = big_body(330_000);
    for (uri, text) in [(&big, text.as_str()), (&small, BAD)] {
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}),
        );
        // Wait for its diagnostics, so no lint runs on the loop during what follows.
        loop {
            let m = c.rx.recv_timeout(Duration::from_secs(300)).unwrap();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == *uri {
                break;
            }
        }
    }
    c.send(
        json!({"jsonrpc": "2.0", "id": "outline", "method": "textDocument/documentSymbol",
        "params": {"textDocument": {"uri": big}}}),
    );
    let hover = json!({"textDocument": {"uri": small}, "position": {"line": 0, "character": 3}});
    c.send(
        json!({"jsonrpc": "2.0", "id": "hover", "method": "textDocument/hover", "params": hover}),
    );
    let seen = c.until_answer(&json!("hover"));
    assert!(
        !seen.iter().any(|m| m["id"] == "outline"),
        "the hover waited for the outline: {seen:?}"
    );
    c.notify("$/cancelRequest", json!({"id": "outline"}));
    let answer = c.until_answer(&json!("outline")).pop().unwrap();
    assert_eq!(answer["error"]["code"], -32800, "{answer}");

    // Uncancelled, the same request is answered: the first 1 000 members, in order.
    let r = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": big}}),
    );
    let members = &r["result"][2];
    assert_eq!(members["name"], "members", "{}", r["result"]);
    let items = members["children"].as_array().unwrap();
    assert_eq!(items.len(), 1000);
    assert_eq!(items[999]["name"], "10.0.3.231");
    assert_eq!(items[999]["range"]["start"]["line"], 4 + 999);
    // A second request for the same document supersedes the first (-32801), so one
    // document never has two outlines being built.
    for id in ["first", "second"] {
        c.send(
            json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/documentSymbol",
            "params": {"textDocument": {"uri": big}}}),
        );
    }
    let seen = c.until_answer(&json!("second"));
    let first = seen.iter().find(|m| m["id"] == "first").unwrap();
    assert!(
        first["error"]["code"] == -32801 || first["result"].is_array(),
        "{first}"
    );
    assert!(seen.last().unwrap()["result"].is_array());
    c.stop();
}

#[test]
fn lsp_config_flags_choose_the_config() {
    let d = tempdir("config-flag");
    std::fs::write(d.join("vpclint.toml"), "[rules]\nwrong-type = \"allow\"\n").unwrap();
    let other = d.join("strict.toml");
    std::fs::write(&other, "[rules]\nwrong-type = \"error\"\n").unwrap();
    let uri = format!("file://{}/web.json", d.display());
    let rules_of = |args: &[&str]| {
        let mut c = Client::start(args, json!({}), &d);
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": BAD}}),
        );
        let diags = loop {
            let m = c.rx.recv_timeout(Duration::from_secs(10)).unwrap();
            if m["method"] == "textDocument/publishDiagnostics" {
                break m["params"]["diagnostics"].clone();
            }
        };
        c.stop();
        diags
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    // The closest vpclint.toml allows wrong-type; --config and --no-config do not.
    assert!(!rules_of(&["lsp"]).contains(&"wrong-type".to_owned()));
    let strict = other.to_str().unwrap();
    assert!(rules_of(&["lsp", "--stdio", "--config", strict]).contains(&"wrong-type".to_owned()));
    assert!(rules_of(&["lsp", "--no-config"]).contains(&"wrong-type".to_owned()));
}

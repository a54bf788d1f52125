//! `vpclint lsp`: a Language Server over stdio.
//!
//! Synchronous by design (rust-analyzer's `lsp-server`): linting a request takes
//! microseconds, so a plain loop answers faster than any async runtime would start. Each
//! open JSON document is linted by the same pipeline as `check` — same rules, severities and
//! nearest `vpclint.toml` — on open, change (full sync) and save; diagnostics are cleared on
//! close. Hover shows a field's documentation from the schema; code actions offer the
//! diagnostics' certain fixes. A broken document mid-typing is just a document with an
//! `invalid-json` diagnostic; a panic in a handler is caught and logged, never fatal.

use crate::config::Config;
use crate::diagnostic::{Applicability, LineIndex, Severity as Sev, Span};
use crate::json::{Node, Value};
use crate::rules::shape::{display_path, subschema_at};
use crate::{discover, lint_bytes, FileReport, Settings};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, Hover, HoverContents, HoverParams, HoverProviderCapability,
    Location, MarkupContent, MarkupKind, NumberOrString, Position, PublishDiagnosticsParams, Range,
    SaveOptions, ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, TextEdit, Uri, WorkspaceEdit,
};
use serde_json::Value as J;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::str::FromStr;

struct Doc {
    text: String,
    version: Option<i32>,
}

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(true),
                })),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    }
}

/// Serve on stdin/stdout until `exit`. Returns the process exit status.
pub fn run() -> i32 {
    let (connection, io) = Connection::stdio();
    let status = serve(&connection);
    drop(connection);
    let _ = io.join();
    status
}

/// The server loop on any connection (tests use an in-memory one).
pub fn serve(connection: &Connection) -> i32 {
    let caps = serde_json::to_value(capabilities()).expect("capabilities serialise");
    if let Err(e) = connection.initialize(caps) {
        eprintln!("vpclint lsp: initialize failed: {e}");
        return 1;
    }
    let mut docs: HashMap<String, Doc> = HashMap::new();
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                match connection.handle_shutdown(&req) {
                    Ok(true) => return 0,
                    Ok(false) => {}
                    Err(e) => {
                        eprintln!("vpclint lsp: {e}");
                        return 1;
                    }
                }
                let id = req.id.clone();
                let resp =
                    std::panic::catch_unwind(AssertUnwindSafe(|| handle_request(&docs, req)))
                        .unwrap_or_else(|_| {
                            Response::new_err(
                                id,
                                ErrorCode::InternalError as i32,
                                "vpclint: internal error (please report)".into(),
                            )
                        });
                let _ = connection.sender.send(Message::Response(resp));
            }
            Message::Notification(n) => {
                let out = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    handle_notification(&mut docs, n)
                }));
                match out {
                    Ok(Some(publish)) => {
                        let _ = connection
                            .sender
                            .send(Message::Notification(Notification::new(
                                "textDocument/publishDiagnostics".into(),
                                publish,
                            )));
                    }
                    Ok(None) => {}
                    Err(_) => eprintln!("vpclint lsp: internal error in a notification handler"),
                }
            }
            Message::Response(_) => {}
        }
    }
    0
}

fn handle_notification(
    docs: &mut HashMap<String, Doc>,
    n: Notification,
) -> Option<PublishDiagnosticsParams> {
    let (uri, text, version) = match n.method.as_str() {
        "textDocument/didOpen" => {
            let p: DidOpenTextDocumentParams = serde_json::from_value(n.params).ok()?;
            (
                p.text_document.uri,
                p.text_document.text,
                Some(p.text_document.version),
            )
        }
        "textDocument/didChange" => {
            let p: DidChangeTextDocumentParams = serde_json::from_value(n.params).ok()?;
            // Full sync: the last change holds the whole text.
            let text = p.content_changes.into_iter().last()?.text;
            (p.text_document.uri, text, Some(p.text_document.version))
        }
        "textDocument/didSave" => {
            let p: DidSaveTextDocumentParams = serde_json::from_value(n.params).ok()?;
            let key = p.text_document.uri.as_str().to_owned();
            let text = p.text.or_else(|| docs.get(&key).map(|d| d.text.clone()))?;
            let version = docs.get(&key).and_then(|d| d.version);
            (p.text_document.uri, text, version)
        }
        "textDocument/didClose" => {
            let p: DidCloseTextDocumentParams = serde_json::from_value(n.params).ok()?;
            docs.remove(p.text_document.uri.as_str());
            return Some(PublishDiagnosticsParams {
                uri: p.text_document.uri,
                diagnostics: Vec::new(),
                version: None,
            });
        }
        _ => return None,
    };
    let diagnostics = lsp_diagnostics(&uri, &text);
    docs.insert(uri.as_str().to_owned(), Doc { text, version });
    Some(PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    })
}

fn handle_request(docs: &HashMap<String, Doc>, req: Request) -> Response {
    let id = req.id.clone();
    match req.method.as_str() {
        "textDocument/hover" => {
            let result = serde_json::from_value::<HoverParams>(req.params)
                .ok()
                .and_then(|p| {
                    let doc =
                        docs.get(p.text_document_position_params.text_document.uri.as_str())?;
                    hover(&doc.text, p.text_document_position_params.position)
                });
            Response::new_ok(id, result)
        }
        "textDocument/codeAction" => {
            let result = serde_json::from_value::<CodeActionParams>(req.params)
                .ok()
                .and_then(|p| {
                    let doc = docs.get(p.text_document.uri.as_str())?;
                    Some(code_actions(&p.text_document.uri, &doc.text, p.range))
                })
                .unwrap_or_default();
            Response::new_ok(id, result)
        }
        _ => Response::new_err(
            id,
            ErrorCode::MethodNotFound as i32,
            format!("unsupported method {}", req.method),
        ),
    }
}

/// The file path behind a `file://` URI, percent-decoded.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str().strip_prefix("file://")?;
    let mut bytes = Vec::with_capacity(s.len());
    let raw = s.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' && i + 2 < raw.len() {
            if let Ok(b) = u8::from_str_radix(std::str::from_utf8(&raw[i + 1..i + 3]).ok()?, 16) {
                bytes.push(b);
                i += 3;
                continue;
            }
        }
        bytes.push(raw[i]);
        i += 1;
    }
    Some(PathBuf::from(String::from_utf8(bytes).ok()?))
}

fn lsp_position(index: &LineIndex, text: &str, offset: usize) -> Position {
    let (line, col) = index.position_utf16(text, offset);
    Position::new((line - 1) as u32, (col - 1) as u32)
}

fn lsp_range(index: &LineIndex, text: &str, span: Span) -> Range {
    Range::new(
        lsp_position(index, text, span.start),
        lsp_position(index, text, span.end),
    )
}

/// The byte offset of an LSP position (UTF-16 columns), clamped to the line.
pub fn offset_of(text: &str, pos: Position) -> usize {
    let mut offset = 0;
    // Walk to the start of the line (\n, \r\n and lone \r end lines, as in LineIndex).
    let mut line = 0u32;
    let bytes = text.as_bytes();
    while line < pos.line && offset < bytes.len() {
        match bytes[offset] {
            b'\n' => line += 1,
            b'\r' => {
                if bytes.get(offset + 1) == Some(&b'\n') {
                    offset += 1;
                }
                line += 1;
            }
            _ => {}
        }
        offset += 1;
    }
    let mut units = 0u32;
    for (i, c) in text[offset..].char_indices() {
        if units >= pos.character || c == '\n' || c == '\r' {
            return offset + i;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

/// Lint a document as `check` would, with the nearest vpclint.toml of its file.
fn lint_document(uri: &Uri, text: &str) -> Option<FileReport> {
    let path = uri_to_path(uri);
    let cfg = path
        .as_ref()
        .and_then(|p| p.parent())
        .and_then(Config::find_upward)
        .and_then(|c| Config::load(&c).ok());
    let settings = Settings::resolve(cfg.as_ref(), &crate::Flags::default()).unwrap_or_default();
    let name = path.as_ref().map_or_else(
        || uri.as_str().to_owned(),
        |p| p.to_string_lossy().into_owned(),
    );
    let report = lint_bytes(&name, text.as_bytes(), &settings);
    // Like a directory walk, only files that are VPC channel requests are reported on.
    let is_request = report
        .looks_like_request
        .unwrap_or_else(|| discover::may_be_request(text.as_bytes()));
    if !is_request {
        return None;
    }
    let mut reports = vec![report];
    if let Some(c) = &cfg {
        c.apply_ignores(&mut reports);
    }
    reports.pop()
}

pub fn lsp_diagnostics(uri: &Uri, text: &str) -> Vec<Diagnostic> {
    let Some(report) = lint_document(uri, text) else {
        return Vec::new();
    };
    let index = LineIndex::new(&report.text);
    report
        .diagnostics
        .iter()
        .map(|d| {
            let related = d
                .labels
                .iter()
                .filter(|l| l.path.is_none())
                .map(|l| DiagnosticRelatedInformation {
                    location: Location::new(uri.clone(), lsp_range(&index, &report.text, l.span)),
                    message: l.message.clone(),
                })
                .collect::<Vec<_>>();
            let mut message = d.message.clone();
            if let Some(h) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(h);
            }
            Diagnostic {
                range: lsp_range(&index, &report.text, d.span),
                severity: Some(match d.severity {
                    Sev::Error => DiagnosticSeverity::ERROR,
                    Sev::Warning => DiagnosticSeverity::WARNING,
                    _ => DiagnosticSeverity::INFORMATION,
                }),
                code: Some(NumberOrString::String(d.rule.name.to_owned())),
                source: Some("vpclint".into()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                data: Some(J::String(d.pointer.clone())),
                ..Default::default()
            }
        })
        .collect()
}

fn overlaps(a: &Range, b: &Range) -> bool {
    let key = |p: &Position| (p.line, p.character);
    key(&a.start) <= key(&b.end) && key(&b.start) <= key(&a.end)
}

// lsp-types keys WorkspaceEdit::changes by `Uri`, which clippy flags for its interior
// cache; the map lives for one response and is never mutated after insertion.
#[allow(clippy::mutable_key_type)]
pub fn code_actions(uri: &Uri, text: &str, range: Range) -> Vec<CodeActionOrCommand> {
    let Some(report) = lint_document(uri, text) else {
        return Vec::new();
    };
    let index = LineIndex::new(&report.text);
    let lsp = lsp_diagnostics(uri, text);
    let mut out = Vec::new();
    for (d, ld) in report.diagnostics.iter().zip(lsp) {
        let Some(fix) = &d.fix else { continue };
        if !overlaps(&ld.range, &range) {
            continue;
        }
        let edits = fix
            .edits
            .iter()
            .map(|e| {
                TextEdit::new(
                    lsp_range(&index, &report.text, e.span),
                    e.replacement.clone(),
                )
            })
            .collect();
        let mut changes = HashMap::new();
        changes.insert(uri.clone(), edits);
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: fix.title.clone(),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![ld]),
            edit: Some(WorkspaceEdit::new(changes)),
            // Only a certain fix may be applied by an editor's "apply preferred" shortcut.
            is_preferred: Some(fix.applicability == Applicability::Safe),
            ..Default::default()
        }));
    }
    out
}

/// The pointer of the member whose key or value contains `offset`, innermost first.
fn pointer_at(node: &Node, offset: usize, pointer: &mut String) -> bool {
    match &node.value {
        Value::Object(members) => {
            for m in members {
                if m.key_span.start <= offset && offset < m.value.span.end.max(m.key_span.end) {
                    pointer.push('/');
                    pointer.push_str(&crate::diagnostic::escape_token(&m.key));
                    if m.key_span.start <= offset && offset < m.key_span.end {
                        return true;
                    }
                    pointer_at(&m.value, offset, pointer);
                    return true;
                }
            }
            false
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.span.start <= offset && offset < item.span.end {
                    let before = pointer.len();
                    pointer.push_str(&format!("/{i}"));
                    if !pointer_at(item, offset, pointer) {
                        pointer.truncate(before);
                    }
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

/// Markdown documentation of the field at `pointer`, from the embedded schema.
pub fn field_docs(pointer: &str) -> Option<String> {
    let mut p = pointer.to_owned();
    // Hovering an array item documents the array field.
    while p
        .rsplit('/')
        .next()
        .is_some_and(|t| t.parse::<usize>().is_ok())
    {
        p.truncate(p.rfind('/').unwrap_or(0));
    }
    let s = subschema_at(&p)?;
    if p.is_empty() {
        return None;
    }
    let name = display_path(&p);
    let ty = s.get("type").and_then(J::as_str).unwrap_or("value");
    let mut md = format!("**{name}** · `{ty}`");
    match (
        s.get("minimum").and_then(J::as_i64),
        s.get("maximum").and_then(J::as_i64),
    ) {
        (Some(a), Some(b)) => md.push_str(&format!(" · {a} – {b}")),
        (Some(a), None) => md.push_str(&format!(" · ≥ {a}")),
        _ => {}
    }
    if s.get("deprecated") == Some(&J::Bool(true)) {
        md.push_str(" · **deprecated**");
    }
    if let Some(d) = s.get("description").and_then(J::as_str) {
        md.push_str("\n\n");
        md.push_str(d);
    }
    let values = s
        .get("enum")
        .or_else(|| s.get("x-vpclint-enum"))
        .and_then(J::as_array);
    let descs = s
        .get("enumDescriptions")
        .or_else(|| s.get("x-vpclint-enum-descriptions"))
        .and_then(J::as_array);
    if let Some(values) = values {
        md.push_str("\n\nAllowed values:\n");
        for (i, v) in values.iter().enumerate() {
            let d = descs
                .and_then(|d| d.get(i))
                .and_then(J::as_str)
                .unwrap_or("");
            md.push_str(&format!("- `{v}` {d}\n"));
        }
    }
    if let Some(rule) = s.get("patternErrorMessage").and_then(J::as_str) {
        md.push_str(&format!("\n\nFormat: {rule}"));
    }
    Some(md)
}

pub fn hover(text: &str, pos: Position) -> Option<Hover> {
    let offset = offset_of(text, pos);
    let decoded = crate::rules::reading::decode(text.as_bytes()).ok()?;
    let doc = crate::json::parse(decoded.text, decoded.base).ok()?;
    let mut pointer = String::new();
    if !pointer_at(&doc, offset, &mut pointer) {
        return None;
    }
    let md = field_docs(&pointer)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: md,
        }),
        range: None,
    })
}

/// Parse a URI string (for tests and tools).
pub fn uri(s: &str) -> Option<Uri> {
    Uri::from_str(s).ok()
}

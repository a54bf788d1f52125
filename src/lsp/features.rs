//! What the server says about one document: diagnostics (the same pipeline as `check`),
//! hover documentation from the schema, and code actions from the diagnostics' fixes. A
//! broken document mid-typing is just a document with an `invalid-json` diagnostic.

use crate::config::Config;
use crate::diagnostic::{Applicability, LineIndex, Severity as Sev, Span};
use crate::json::{Node, Value};
use crate::schema::{display_path, subschema_at};
use crate::{discover, FileReport, Settings};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Diagnostic, DiagnosticRelatedInformation,
    DiagnosticSeverity, Hover, HoverContents, Location, MarkupContent, MarkupKind, NumberOrString,
    Position, Range, TextEdit, Uri, WorkspaceEdit,
};
use serde_json::Value as J;
use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;

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

/// The LSP position (UTF-16 columns) of a byte offset.
pub(crate) fn position_of(text: &str, offset: usize) -> Position {
    lsp_position(&LineIndex::new(text), text, offset)
}

pub(crate) fn lsp_range(index: &LineIndex, text: &str, span: Span) -> Range {
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

/// Lint a document as `check` would, with its directory's config and settings.
pub(crate) fn lint_document(
    uri: &Uri,
    text: &str,
    cfg: Option<&Config>,
    settings: &Settings,
) -> Option<FileReport> {
    let path = uri_to_path(uri);
    let name = path.as_ref().map_or_else(
        || uri.as_str().to_owned(),
        |p| p.to_string_lossy().into_owned(),
    );
    // The same choice of what the file is as `check` makes.
    let report = crate::lint_file(&name, text.as_bytes().to_vec(), settings, cfg)?;
    // Like a directory walk, only files that are VPC channel requests are reported on (a
    // request file is one when `lint_file` gives it a report).
    let is_request = crate::http::is_request_file(&name)
        || report
            .looks_like_request
            .unwrap_or_else(|| discover::may_be_request(text.as_bytes()));
    if !is_request {
        return None;
    }
    let mut reports = vec![report];
    if let Some(c) = cfg {
        c.apply_ignores(&mut reports);
    }
    reports.pop()
}

pub(crate) fn lsp_diagnostics(uri: &Uri, report: &FileReport) -> Vec<Diagnostic> {
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

/// The code action kind of "fix all safe problems in this file".
pub(crate) const FIX_ALL: &str = "source.fixAll.vpclint";

fn text_edits(index: &LineIndex, text: &str, fix: &crate::diagnostic::Fix) -> Vec<TextEdit> {
    fix.edits
        .iter()
        .map(|e| TextEdit::new(lsp_range(index, text, e.span), e.replacement.clone()))
        .collect()
}

// lsp-types keys WorkspaceEdit::changes by `Uri`, which clippy flags for its interior
// cache; the map lives for one response and is never mutated after insertion.
#[allow(clippy::mutable_key_type)]
pub(crate) fn code_actions(
    uri: &Uri,
    report: &FileReport,
    range: Range,
    only: &[CodeActionKind],
) -> Vec<CodeActionOrCommand> {
    let index = LineIndex::new(&report.text);
    let lsp = lsp_diagnostics(uri, report);
    let wants = |kind: &str| only.is_empty() || only.iter().any(|k| kind.starts_with(k.as_str()));
    let mut out = Vec::new();
    let edit = |edits: Vec<TextEdit>| {
        let mut changes = HashMap::new();
        changes.insert(uri.clone(), edits);
        Some(WorkspaceEdit::new(changes))
    };
    if wants(CodeActionKind::QUICKFIX.as_str()) {
        for (d, ld) in report.diagnostics.iter().zip(&lsp) {
            let Some(fix) = d
                .fix
                .as_ref()
                .filter(|f| f.applicability != Applicability::DisplayOnly)
            else {
                continue;
            };
            if !overlaps(&ld.range, &range) {
                continue;
            }
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![ld.clone()]),
                edit: edit(text_edits(&index, &report.text, fix)),
                // Only a certain fix may be applied by an editor's "apply preferred" key.
                is_preferred: Some(fix.applicability == Applicability::Safe),
                ..Default::default()
            }));
        }
    }
    // Every safe fix of the file whose edits do not overlap an earlier one.
    if wants(FIX_ALL) {
        let mut taken: Vec<Span> = Vec::new();
        let mut edits = Vec::new();
        for fix in report
            .diagnostics
            .iter()
            .filter_map(|d| d.fix.as_ref())
            .filter(|f| f.applicability == Applicability::Safe)
        {
            let clash = fix.edits.iter().any(|e| {
                taken.iter().any(|t| {
                    e.span.start < t.end.max(t.start + 1)
                        && t.start < e.span.end.max(e.span.start + 1)
                })
            });
            if clash {
                continue;
            }
            taken.extend(fix.edits.iter().map(|e| e.span));
            edits.extend(text_edits(&index, &report.text, fix));
        }
        if !edits.is_empty() {
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: "Fix all safe vpclint problems".into(),
                kind: Some(CodeActionKind::new(FIX_ALL)),
                edit: edit(edits),
                ..Default::default()
            }));
        }
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
pub fn field_docs(pointer: &str, op: &crate::operation::Operation) -> Option<String> {
    let mut p = pointer.to_owned();
    // Hovering an array item documents the array field.
    while p
        .rsplit('/')
        .next()
        .is_some_and(|t| t.parse::<usize>().is_ok())
    {
        p.truncate(p.rfind('/').unwrap_or(0));
    }
    let s = subschema_at(op, &p)?;
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

pub fn hover(text: &str, pos: Position, op: &crate::operation::Operation) -> Option<Hover> {
    let offset = offset_of(text, pos);
    let decoded = crate::rules::reading::decode(text.as_bytes()).ok()?;
    let doc = crate::json::parse(decoded.text, decoded.base).ok()?;
    let mut pointer = String::new();
    if !pointer_at(&doc, offset, &mut pointer) {
        return None;
    }
    let md = field_docs(&pointer, op)?;
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

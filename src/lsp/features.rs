//! What the server says about one document: diagnostics (the same pipeline as `check`),
//! hover documentation from the schema, and code actions from the diagnostics' fixes. A
//! broken document mid-typing is just a document with an `invalid-json` diagnostic.

use crate::diagnostic::{Applicability, LineIndex, Severity as Sev, Span};
use crate::json::{Node, Value};
use crate::lint::FileReport;
use crate::schema::{display_path, subschema_at};
use crate::workspace::file::{lint_text, Linted};
use crate::workspace::resolve::Resolved;
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

/// One `contentChanges` entry applied to a document: a range in UTF-16 positions (a
/// position inside a surrogate pair rounds up), or the whole text.
pub fn apply_change(text: &mut String, range: Option<Range>, new_text: &str) {
    match range {
        Some(range) => {
            let start = offset_of(text, range.start);
            let end = offset_of(text, range.end).max(start);
            text.replace_range(start..end, new_text);
        }
        None => new_text.clone_into(text),
    }
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

/// The name a document is linted under: its path, or its URI when it has none.
pub(crate) fn document_name(uri: &Uri) -> String {
    uri_to_path(uri).map_or_else(
        || uri.as_str().to_owned(),
        |p| p.to_string_lossy().into_owned(),
    )
}

/// Lint a document as `check` lints a file found by a walk: the workspace's `lint_text`,
/// with its directory's config; only VPC channel requests are reported on.
pub(crate) fn lint_named(name: &str, text: &str, resolved: &Resolved) -> Option<Linted> {
    // Environments that cannot be read: the document is linted without them.
    let envs = crate::workspace::file::environments(name, resolved).unwrap_or_default();
    lint_text(name, text.as_bytes().to_vec(), resolved, false, &envs)
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
    fixed_all: Option<&str>,
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
    // Every safe fix, as `check --fix` applies them: one edit over the part that changes.
    if let (true, Some(fixed)) = (wants(FIX_ALL), fixed_all) {
        let text = &report.text;
        let prefix = text
            .char_indices()
            .zip(fixed.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, c), _)| i + c.len_utf8());
        let suffix = text[prefix..]
            .chars()
            .rev()
            .zip(fixed[prefix..].chars().rev())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a.len_utf8())
            .sum::<usize>();
        let span = Span::new(prefix, text.len() - suffix);
        let replacement = fixed[prefix..fixed.len() - suffix].to_owned();
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: "Fix all safe vpclint problems".into(),
            kind: Some(CodeActionKind::new(FIX_ALL)),
            edit: edit(vec![TextEdit::new(
                lsp_range(&index, text, span),
                replacement,
            )]),
            ..Default::default()
        }));
    }
    out
}

/// The pointer of the member whose key or value contains `offset`, innermost first.
fn pointer_at(node: Node<'_>, offset: usize, pointer: &mut String) -> bool {
    match node.value() {
        Value::Object(members) => {
            for m in members {
                if m.key_span().start <= offset
                    && offset < m.value().span().end.max(m.key_span().end)
                {
                    pointer.push('/');
                    pointer.push_str(&crate::diagnostic::escape_token(m.key()));
                    if m.key_span().start <= offset && offset < m.key_span().end {
                        return true;
                    }
                    pointer_at(m.value(), offset, pointer);
                    return true;
                }
            }
            false
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.span().start <= offset && offset < item.span().end {
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
    if !pointer_at(doc.root(), offset, &mut pointer) {
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

/// The body of the request at a position of a request file: its text, the operation its
/// request line names, and where it starts, so that hover, completion and symbols work on
/// it as on a JSON document of that operation.
pub(crate) struct BodyAt<'a> {
    pub text: &'a str,
    pub op: &'static crate::operation::Operation,
    /// The request line (`POST …/members`), for symbols.
    pub title: String,
    /// The request's whole range and the body's start in the document.
    pub request: Range,
    start: Position,
}

impl BodyAt<'_> {
    pub fn to_body(&self, p: Position) -> Position {
        if p.line == self.start.line {
            Position::new(0, p.character.saturating_sub(self.start.character))
        } else {
            Position::new(p.line - self.start.line, p.character)
        }
    }
    pub fn to_doc(&self, p: Position) -> Position {
        if p.line == 0 {
            Position::new(self.start.line, p.character + self.start.character)
        } else {
            Position::new(p.line + self.start.line, p.character)
        }
    }
    pub fn range_to_doc(&self, r: Range) -> Range {
        Range::new(self.to_doc(r.start), self.to_doc(r.end))
    }
}

/// Every body of a request file with its operation (requests of other APIs left out).
pub(crate) fn bodies(text: &str) -> Vec<BodyAt<'_>> {
    use crate::operation::{match_request, Match};
    let index = LineIndex::new(text);
    let file_vars = crate::http::variables(text);
    let none = HashMap::new();
    let vars = crate::http::Vars::new(&file_vars, &none);
    crate::http::parse(text)
        .into_iter()
        .filter_map(|r| {
            let body = r.body?;
            let (url, _) = vars.resolve(&r.url);
            let Match::Found(op) = match_request(&r.method, &url) else {
                return None;
            };
            let start = lsp_position(&index, text, body.start);
            Some(BodyAt {
                text: &text[body.start..body.end],
                op,
                title: format!("{} {}", r.method, r.url),
                request: Range::new(
                    lsp_position(&index, text, r.method_span.start.min(r.url_span.start)),
                    lsp_position(&index, text, body.end),
                ),
                start,
            })
        })
        .collect()
}

/// The body whose request holds `pos`.
pub(crate) fn body_at(text: &str, pos: Position) -> Option<BodyAt<'_>> {
    let key = |p: Position| (p.line, p.character);
    bodies(text)
        .into_iter()
        .find(|b| key(b.start) <= key(pos) && key(pos) <= key(b.request.end))
}

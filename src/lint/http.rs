//! `.http` / `.rest` request files (JetBrains HTTP Client, VS Code REST Client): requests
//! separated by `###`, each a request line (`METHOD URL [HTTP/1.1]`), headers, a blank line
//! and a body. The request line picks the operation ([`crate::operation::match_request`]);
//! each JSON body is linted by the same pipeline as a `.json` file, with spans and
//! line/column in the `.http` file itself: the body is linted inside a copy of the file in
//! which everything else is blanked out, byte for byte, so every offset stays the file's.

use crate::diagnostic::{Diagnostic, Span};
use crate::lint::body::{self, FileReport};
use crate::operation::{self, Match, Operation};
use crate::settings::Settings;

pub use crate::rules::http::{
    METHOD_MISMATCH, MISSING_BODY, UNKNOWN_OPERATION, WRONG_CONTENT_TYPE,
};

/// Does the path name a request file?
pub fn is_request_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".http") || lower.ends_with(".rest")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: String,
    pub value_span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub method_span: Span,
    pub url: String,
    pub url_span: Span,
    pub headers: Vec<Header>,
    /// The body's bytes in the file, trailing blank lines trimmed; `None` when there is none.
    pub body: Option<Span>,
    /// The body is read from a file (`< ./body.json`): not linted here.
    pub external_body: bool,
}

const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// Lines with their byte ranges (without the line ending).
fn lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            out.push((start, text[start..i].trim_end_matches('\r')));
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push((start, text[start..].trim_end_matches('\r')));
    }
    out
}

/// Every request of the file, in order.
pub fn parse(text: &str) -> Vec<Request> {
    let all = lines(text);
    let mut blocks: Vec<Vec<(usize, &str)>> = vec![Vec::new()];
    for l in all {
        if l.1.starts_with("###") {
            blocks.push(Vec::new());
        } else if let Some(b) = blocks.last_mut() {
            b.push(l);
        }
    }
    blocks.iter().filter_map(|b| parse_block(text, b)).collect()
}

fn parse_block(text: &str, block: &[(usize, &str)]) -> Option<Request> {
    let mut i = 0;
    // Blank lines, comments and `@variable = value` definitions before the request line.
    while i < block.len() {
        let t = block[i].1.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with("//") || t.starts_with('@') {
            i += 1;
        } else {
            break;
        }
    }
    let &(line_start, line) = block.get(i)?;
    let indent = line.len() - line.trim_start().len();
    let trimmed = line.trim();
    let mut parts = trimmed.splitn(2, char::is_whitespace);
    let first = parts.next()?;
    let (method, method_span, rest, rest_offset) =
        if METHODS.contains(&first.to_ascii_uppercase().as_str()) {
            let rest = parts.next().unwrap_or("").trim_start();
            let rest_offset = line_start + indent + (trimmed.len() - rest.len());
            (
                first.to_ascii_uppercase(),
                Span::new(line_start + indent, line_start + indent + first.len()),
                rest,
                rest_offset,
            )
        } else {
            // A bare URL is a GET.
            (
                "GET".to_owned(),
                Span::at(line_start + indent),
                trimmed,
                line_start + indent,
            )
        };
    // `URL HTTP/1.1`: the version is not part of the URL.
    let url = match rest.rsplit_once(char::is_whitespace) {
        Some((u, v)) if v.starts_with("HTTP/") => u.trim_end(),
        _ => rest,
    };
    let url_span = Span::new(rest_offset, rest_offset + url.len());
    i += 1;
    let mut headers = Vec::new();
    while i < block.len() {
        let (start, l) = block[i];
        if l.trim().is_empty() {
            i += 1;
            break;
        }
        let t = l.trim_start();
        // Multi-line query continuations (`  &page=2`) and comments are not headers.
        if !(t.starts_with('?') || t.starts_with('&') || t.starts_with('#') || t.starts_with("//"))
        {
            if let Some((name, value)) = l.split_once(':') {
                let v = value.trim();
                let v_start = start + name.len() + 1 + (value.len() - value.trim_start().len());
                headers.push(Header {
                    name: name.trim().to_owned(),
                    value: v.to_owned(),
                    value_span: Span::new(v_start, v_start + v.len()),
                });
            }
        }
        i += 1;
    }
    // The body: up to a response handler (`> {% … %}`, `> ./script.js`) or output
    // redirection (`>> file`, `<> file`), with trailing blank lines trimmed.
    let body_lines: Vec<&(usize, &str)> = block[i.min(block.len())..]
        .iter()
        .take_while(|(_, l)| !(l.starts_with("> ") || l.starts_with(">>") || l.starts_with("<>")))
        .collect();
    let first_line = body_lines.iter().find(|(_, l)| !l.trim().is_empty());
    let last_line = body_lines.iter().rev().find(|(_, l)| !l.trim().is_empty());
    let (body, external_body) = match (first_line, last_line) {
        (Some(&&(s, first)), Some(&&(e, last))) => {
            if first.trim_start().starts_with("< ") {
                (None, true)
            } else {
                let start = s + (first.len() - first.trim_start().len());
                let end = e + last.trim_end().len();
                (Some(Span::new(start, end.min(text.len()))), false)
            }
        }
        _ => (None, false),
    };
    Some(Request {
        method,
        method_span,
        url: url.to_owned(),
        url_span,
        headers,
        body,
        external_body,
    })
}

/// `{{variable}}` outside JSON strings, which would not parse: each is replaced (in the
/// copy that is linted) by a string literal of the same length, and findings on it are
/// dropped — its value is the deployment's, unknown here.
fn mask_placeholders(body: &mut [u8], base: usize, masked: &mut Vec<Span>) {
    let mut i = 0;
    let mut in_string = false;
    while i < body.len() {
        match body[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'{' if !in_string && body.get(i + 1) == Some(&b'{') => {
                if let Some(len) = body[i..].windows(2).position(|w| w == b"}}") {
                    let end = i + len + 2;
                    body[i] = b'"';
                    for b in &mut body[i + 1..end - 1] {
                        *b = b'x';
                    }
                    body[end - 1] = b'"';
                    masked.push(Span::new(base + i, base + end));
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// Lint a request file. `None` when no request in it belongs to the VPC channel family
/// (the file is passed over, like a `.json` file that is not a request).
pub fn lint(path: &str, bytes: Vec<u8>, settings: &Settings) -> Option<FileReport> {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        // Not UTF-8: reported as any file is.
        Err(e) => {
            return Some(body::lint_owned(
                path,
                e.into_bytes(),
                settings,
                operation::default(),
            ))
        }
    };
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut first_op: Option<&'static Operation> = None;
    let mut facts = None;
    let mut any = false;
    for req in parse(&text) {
        let op = match operation::match_request(&req.method, &req.url) {
            Match::NotFamily => continue,
            Match::Found(op) => op,
            Match::WrongMethod(ops) => {
                any = true;
                if matches!(req.method.as_str(), "GET" | "DELETE" | "HEAD" | "OPTIONS") {
                    continue; // reading or deleting: no body, not an operation vpclint knows
                }
                let takes: Vec<String> = ops
                    .iter()
                    .map(|o| format!("{} ({})", o.method, o.id))
                    .collect();
                diagnostics.push(
                    Diagnostic::new(
                        &METHOD_MISMATCH,
                        "",
                        req.method_span,
                        format!("{} does not fit this path", req.method),
                    )
                    .primary("method")
                    .label(req.url_span, "this path")
                    .help(format!("this path takes {}", takes.join(" or "))),
                );
                continue;
            }
            Match::Unknown(closest) => {
                any = true;
                let help = match closest {
                    Some(o) => format!("did you mean `{} {}` ({})?", o.method, o.path, o.id),
                    None => "see `vpclint operations` for the family's paths".to_owned(),
                };
                diagnostics.push(
                    Diagnostic::new(
                        &UNKNOWN_OPERATION,
                        "",
                        req.url_span,
                        format!(
                            "`{}` is none of the VPC channel API's paths",
                            operation::url_path(&req.url)
                        ),
                    )
                    .primary("unknown path")
                    .help(help),
                );
                continue;
            }
        };
        any = true;
        first_op.get_or_insert(op);
        let tag = |mut d: Diagnostic| {
            d.operation = Some(op.id);
            d
        };
        for h in &req.headers {
            if h.name.eq_ignore_ascii_case("content-type") {
                let media = h.value.split(';').next().unwrap_or("").trim();
                if !media.eq_ignore_ascii_case("application/json")
                    && !crate::rules::secrets::is_placeholder(media)
                {
                    diagnostics.push(tag(Diagnostic::new(
                        &WRONG_CONTENT_TYPE,
                        "",
                        h.value_span,
                        format!("Content-Type is `{media}`, but the body is JSON"),
                    )
                    .primary("not application/json")
                    .help("write `Content-Type: application/json`")));
                }
            }
            if h.name.eq_ignore_ascii_case("x-auth-token")
                && !h.value.is_empty()
                && !crate::rules::secrets::is_placeholder(&h.value)
            {
                diagnostics.push(tag(Diagnostic::new(
                    &crate::rules::secrets::PLAINTEXT_SECRET,
                    "",
                    h.value_span,
                    "the X-Auth-Token header holds a literal token",
                )
                .primary("credential in version control")
                .help("use a variable the client substitutes, e.g. `X-Auth-Token: {{token}}`, and revoke this token")));
            }
        }
        let Some(body) = req.body else {
            if !req.external_body {
                diagnostics.push(tag(Diagnostic::new(
                    &MISSING_BODY,
                    "",
                    Span::new(
                        req.method_span.start.min(req.url_span.start),
                        req.url_span.end,
                    ),
                    format!(
                        "{} {} takes a JSON body, and this request has none",
                        op.method, op.id
                    ),
                )
                .primary("no body")
                .help("add a blank line after the headers, then the JSON body")));
            }
            continue;
        };
        // The file with everything but this body blanked: offsets stay the file's.
        let mut copy: Vec<u8> = text
            .bytes()
            .map(|b| if b == b'\n' || b == b'\r' { b } else { b' ' })
            .collect();
        copy[body.start..body.end].copy_from_slice(&text.as_bytes()[body.start..body.end]);
        let mut masked = Vec::new();
        mask_placeholders(&mut copy[body.start..body.end], body.start, &mut masked);
        let report = body::lint_owned(path, copy, settings, op);
        // The first project-level create in the file takes part in duplicate-channel-name.
        facts = facts.or(report.facts);
        diagnostics.extend(
            report
                .diagnostics
                .into_iter()
                .filter(|d| {
                    !masked
                        .iter()
                        .any(|m| d.span.start < m.end && m.start < d.span.end.max(d.span.start + 1))
                })
                .map(tag),
        );
    }
    if !any {
        return None;
    }
    body::finish(&mut diagnostics, settings);
    Some(FileReport {
        path: path.to_owned(),
        text,
        diagnostics,
        facts,
        looks_like_request: Some(true),
        operation: first_op.unwrap_or_else(operation::default),
        fixed: 0,
        fix_diff: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_headers_and_bodies() {
        let text = "@host = https://example.com\r\n### create\r\nPOST {{host}}/v2/p/apic/vpc-channels HTTP/1.1\r\nContent-Type: application/json\r\nX-Auth-Token: {{token}}\r\n\r\n{\"name\": \"web\"}\r\n\r\n### members\r\n# comment\r\nPOST {{host}}/v2/p/apic/instances/i/vpc-channels/c/members\r\n\r\n{\"members\": []}\r\n";
        let r = parse(text);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].method, "POST");
        assert_eq!(r[0].url, "{{host}}/v2/p/apic/vpc-channels");
        assert_eq!(&text[r[0].url_span.start..r[0].url_span.end], r[0].url);
        assert_eq!(r[0].headers.len(), 2);
        assert_eq!(
            &text[r[0].body.unwrap().start..r[0].body.unwrap().end],
            "{\"name\": \"web\"}"
        );
        assert_eq!(
            &text[r[1].body.unwrap().start..r[1].body.unwrap().end],
            "{\"members\": []}"
        );
    }

    #[test]
    fn placeholders_outside_strings_are_masked() {
        let mut b = br#"{"port": {{port}}, "name": "{{name}}"}"#.to_vec();
        let mut masked = Vec::new();
        mask_placeholders(&mut b, 0, &mut masked);
        assert_eq!(masked.len(), 1);
        assert!(serde_json::from_slice::<serde_json::Value>(&b).is_ok());
    }
}

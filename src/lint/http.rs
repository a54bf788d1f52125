//! `.http` / `.rest` request files (JetBrains HTTP Client, VS Code REST Client): requests
//! separated by `###`, each a request line (`METHOD URL [HTTP/1.1]`), headers, a blank line
//! and a body. The request line picks the operation ([`crate::operation::match_request`]);
//! each JSON body is linted by the same pipeline as a `.json` file, with spans and
//! line/column in the `.http` file itself: the body is linted inside a copy of the file in
//! which everything else is blanked out, byte for byte, so every offset stays the file's.

use crate::diagnostic::{Diagnostic, Span};
use crate::lint::body::{self, FileReport};
use crate::operation::{self, Match, Operation};
use crate::rules::secrets::ChannelFacts;
use crate::settings::Settings;
use std::collections::HashMap;

pub use crate::rules::http::{
    METHOD_MISMATCH, MISSING_BODY, UNKNOWN_OPERATION, WRONG_CONTENT_TYPE,
};

/// Does the path name a request file?
pub fn is_request_file(path: &str) -> bool {
    let path = path.as_bytes();
    [".http", ".rest"].iter().any(|ext| {
        path.len() >= ext.len()
            && path[path.len() - ext.len()..].eq_ignore_ascii_case(ext.as_bytes())
    })
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

/// An environment of `http-client.env.json`: its name and its variables.
pub type Environment = (String, HashMap<String, String>);

/// The environments `selected` names (`all`: every one but `$shared`, by name) from the
/// text of `http-client.env.json` and of `http-client.private.env.json` (whose values win),
/// JetBrains' format; `$shared` values are in every environment. Errors say what is wrong.
pub fn environments(
    public: Option<&str>,
    private: Option<&str>,
    selected: &str,
) -> Result<Vec<Environment>, String> {
    let mut merged: std::collections::BTreeMap<String, HashMap<String, String>> =
        std::collections::BTreeMap::new();
    for (file, text) in [
        ("http-client.env.json", public),
        ("http-client.private.env.json", private),
    ] {
        let Some(text) = text else { continue };
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("{file} is not valid JSON: {e}"))?;
        let envs = v
            .as_object()
            .ok_or_else(|| format!("{file} must be an object of environments"))?;
        for (name, vars) in envs {
            let Some(vars) = vars.as_object() else {
                return Err(format!("{file}: environment `{name}` must be an object"));
            };
            let e = merged.entry(name.clone()).or_default();
            for (k, v) in vars {
                let value = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    // Client settings (SSL, proxies): not variables.
                    _ => continue,
                };
                e.insert(k.clone(), value);
            }
        }
    }
    if public.is_none() && private.is_none() {
        return Err(format!(
            "--http-env {selected}: no http-client.env.json or http-client.private.env.json beside the file"
        ));
    }
    let shared = merged.remove("$shared").unwrap_or_default();
    let with_shared = |vars: &HashMap<String, String>| {
        let mut all = shared.clone();
        all.extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        all
    };
    if selected == "all" {
        return Ok(merged
            .iter()
            .map(|(n, v)| (n.clone(), with_shared(v)))
            .collect());
    }
    match merged.get(selected) {
        Some(v) => Ok(vec![(selected.to_owned(), with_shared(v))]),
        None => {
            let names: Vec<&str> = merged.keys().map(String::as_str).collect();
            Err(format!(
                "--http-env {selected}: no such environment (there are: {})",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        }
    }
}

/// `@name = value` definitions of a request file (JetBrains and VS Code REST Client file
/// variables); a later definition wins.
pub fn variables(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (_, line) in lines(text) {
        let t = line.trim_start();
        let Some(def) = t.strip_prefix('@') else {
            continue;
        };
        if let Some((name, value)) = def.split_once('=') {
            let name = name.trim();
            if !name.is_empty() && !name.contains(char::is_whitespace) {
                out.insert(name.to_owned(), value.trim().to_owned());
            }
        }
    }
    out
}

/// What `{{name}}` resolves to: the file's definitions, then the selected environment's.
/// Dynamic variables (`{{$uuid}}`), unknown names, cycles and values that would grow past
/// [`MAX_VALUE`] stay placeholders. Each variable is resolved once (a cache), so values that
/// use each other many times cost time in proportion to what they expand to, never more.
pub struct Vars<'a> {
    pub file: &'a HashMap<String, String>,
    pub env: &'a HashMap<String, String>,
    resolved: std::cell::RefCell<HashMap<String, Option<std::rc::Rc<str>>>>,
}

/// The longest a resolved variable may be: past it, the placeholder stays unresolved.
const MAX_VALUE: usize = 64 * 1024;
/// How deep variables may refer to each other.
const MAX_DEPTH: usize = 64;

impl<'a> Vars<'a> {
    pub fn new(file: &'a HashMap<String, String>, env: &'a HashMap<String, String>) -> Self {
        Vars {
            file,
            env,
            resolved: std::cell::RefCell::new(HashMap::new()),
        }
    }

    fn raw(&self, name: &str) -> Option<&str> {
        self.file
            .get(name)
            .or_else(|| self.env.get(name))
            .map(String::as_str)
    }

    /// The value of `name` with the variables it uses substituted, or `None`.
    fn get(&self, name: &str) -> Option<std::rc::Rc<str>> {
        self.get_at(name, 0)
    }

    fn get_at(&self, name: &str, depth: usize) -> Option<std::rc::Rc<str>> {
        if let Some(hit) = self.resolved.borrow().get(name) {
            return hit.clone();
        }
        let raw = self.raw(name)?;
        if depth >= MAX_DEPTH {
            return None;
        }
        // Marked unresolvable while it is being resolved: a cycle ends here.
        self.resolved.borrow_mut().insert(name.to_owned(), None);
        let value = self
            .expand(raw, depth + 1, MAX_VALUE)
            .map(|(v, _)| std::rc::Rc::<str>::from(v));
        self.resolved
            .borrow_mut()
            .insert(name.to_owned(), value.clone());
        value
    }

    /// `text` with the placeholders that resolve substituted, and whether one is left;
    /// `None` past `limit` bytes.
    fn expand(&self, text: &str, depth: usize, limit: usize) -> Option<(String, bool)> {
        let mut out = String::with_capacity(text.len().min(limit));
        let mut left = false;
        let mut rest = text;
        while let Some(i) = rest.find("{{") {
            let Some(len) = rest[i + 2..].find("}}") else {
                break;
            };
            out.push_str(&rest[..i]);
            let whole = &rest[i..i + 2 + len + 2];
            match self.get_at(whole[2..whole.len() - 2].trim(), depth) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push_str(whole);
                    left = true;
                }
            }
            if out.len() > limit {
                return None;
            }
            rest = &rest[i + whole.len()..];
        }
        out.push_str(rest);
        (out.len() <= limit).then_some((out, left))
    }

    /// `text` with every resolvable placeholder substituted; whether a placeholder is left.
    pub fn resolve(&self, text: &str) -> (String, bool) {
        let out = self
            .expand(text, 0, usize::MAX)
            .map_or_else(|| text.to_owned(), |(v, _)| v);
        // A value may itself keep a placeholder it could not resolve.
        let left = out.find("{{").is_some_and(|i| out[i + 2..].contains("}}"));
        (out, left)
    }
}

/// A run of the linted body and the file bytes it stands for.
#[derive(Clone, Copy, Debug)]
struct Segment {
    new: usize,
    new_end: usize,
    orig: usize,
    orig_end: usize,
    /// A substituted placeholder: its inside maps to the whole placeholder.
    subst: bool,
}

/// The body as the client sends it: placeholders substituted (the JetBrains and VS Code
/// clients substitute text, inside strings or not), an unresolved placeholder outside a
/// string replaced by a string literal of its length (its findings are dropped: the value
/// is unknown). Returns the text, the map back to the file, and the masked spans.
fn substitute(text: &str, body: Span, vars: &Vars<'_>) -> (String, Vec<Segment>, Vec<Span>) {
    let src = &text[body.start..body.end];
    let bytes = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut segments = Vec::new();
    let mut masked = Vec::new();
    let mut copied_from = 0;
    let mut in_string = false;
    let mut i = 0;
    let budget = src.len().saturating_mul(8).saturating_add(1 << 20);
    let flush = |out: &mut String, segments: &mut Vec<Segment>, from: usize, to: usize| {
        if to > from {
            segments.push(Segment {
                new: out.len(),
                new_end: out.len() + (to - from),
                orig: body.start + from,
                orig_end: body.start + to,
                subst: false,
            });
            out.push_str(&src[from..to]);
        }
    };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                if let Some(len) = src[i + 2..].find("}}") {
                    let end = i + 2 + len + 2;
                    let name = src[i + 2..end - 2].trim();
                    // A body may grow by substitution, but not without bound.
                    let value = vars.get(name).filter(|v| out.len() + v.len() <= budget);
                    match value {
                        Some(v) => {
                            flush(&mut out, &mut segments, copied_from, i);
                            segments.push(Segment {
                                new: out.len(),
                                new_end: out.len() + v.len(),
                                orig: body.start + i,
                                orig_end: body.start + end,
                                subst: true,
                            });
                            out.push_str(&v);
                            copied_from = end;
                        }
                        None if !in_string => {
                            flush(&mut out, &mut segments, copied_from, i);
                            segments.push(Segment {
                                new: out.len(),
                                new_end: out.len() + (end - i),
                                orig: body.start + i,
                                orig_end: body.start + end,
                                subst: false,
                            });
                            out.push('"');
                            out.extend(std::iter::repeat_n('x', end - i - 2));
                            out.push('"');
                            masked.push(Span::new(body.start + i, body.start + end));
                            copied_from = end;
                        }
                        // Inside a string it stays: an unknown value the rules recognise.
                        None => {}
                    }
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    flush(&mut out, &mut segments, copied_from, src.len());
    (out, segments, masked)
}

/// An offset of the linted body in the file. `end`: the offset ends a span (a substituted
/// placeholder then maps to its end, not its start).
fn map_offset(segments: &[Segment], n: usize, end: bool) -> usize {
    let idx = segments.partition_point(|s| s.new <= n);
    let Some(s) = idx.checked_sub(1).map(|i| segments[i]) else {
        return segments.first().map_or(0, |s| s.orig);
    };
    if end && n == s.new && idx >= 2 {
        // The end of the previous segment.
        let p = segments[idx - 2];
        return p.orig_end;
    }
    if s.subst {
        if end {
            s.orig_end
        } else {
            s.orig
        }
    } else {
        (s.orig + (n - s.new)).min(s.orig_end)
    }
}

fn map_span(segments: &[Segment], span: Span) -> Span {
    let start = map_offset(segments, span.start, false);
    if span.end == span.start {
        return Span::new(start, start);
    }
    Span::new(start, map_offset(segments, span.end, true).max(start))
}

/// Does a span of the linted body touch a substituted placeholder? (An edit there would
/// rewrite the placeholder, not the value: such fixes are not offered.)
fn touches_substitution(segments: &[Segment], span: Span) -> bool {
    let end = span.end.max(span.start + 1);
    let first = segments.partition_point(|s| s.new_end <= span.start);
    segments[first..]
        .iter()
        .take_while(|s| s.new < end)
        .any(|s| s.subst)
}

/// One request's body, linted as its operation's body on its own (linear in the file), with
/// every span mapped back into the file.
fn lint_body(
    path: &str,
    text: &str,
    body: Span,
    vars: &Vars<'_>,
    settings: &Settings,
    op: &'static Operation,
) -> (Vec<Diagnostic>, Option<ChannelFacts>) {
    let (linted, segments, masked) = substitute(text, body, vars);
    let report = body::lint_request_body(path, linted.into_bytes(), settings, op);
    let map = |s: Span| map_span(&segments, s);
    let mut out = Vec::with_capacity(report.diagnostics.len());
    for mut d in report.diagnostics {
        let fixes_ok = d
            .fix
            .iter()
            .chain(&d.alternatives)
            .flat_map(|f| &f.edits)
            .all(|e| !touches_substitution(&segments, e.span));
        d.span = map(d.span);
        if masked
            .iter()
            .any(|m| d.span.start < m.end && m.start < d.span.end.max(d.span.start + 1))
        {
            continue;
        }
        for l in d.labels.iter_mut().filter(|l| l.path.is_none()) {
            l.span = map(l.span);
        }
        if fixes_ok {
            for f in d.fix.iter_mut().chain(d.alternatives.iter_mut()) {
                for e in &mut f.edits {
                    e.span = map(e.span);
                }
            }
        } else {
            d.fix = None;
            d.alternatives.clear();
        }
        out.push(d);
    }
    let facts = report.facts.map(|mut f| {
        f.name_span = map(f.name_span);
        f
    });
    (out, facts)
}

/// Lint a request file. `None` when no request in it belongs to the VPC channel family
/// (the file is passed over, like a `.json` file that is not a request).
pub fn lint(path: &str, bytes: Vec<u8>, settings: &Settings) -> Option<FileReport> {
    lint_in(path, bytes, settings, &[])
}

/// [`lint`] with environments (`http-client.env.json`, read by the caller): each is a name
/// and its variables, and the file is linted once per environment (once without any when
/// the list is empty). A finding made in some environments only says in which.
pub fn lint_in(
    path: &str,
    bytes: Vec<u8>,
    settings: &Settings,
    envs: &[Environment],
) -> Option<FileReport> {
    if envs.len() <= 1 {
        let none = HashMap::new();
        let vars = envs.first().map_or(&none, |(_, v)| v);
        return lint_with(path, bytes, settings, vars);
    }
    let mut merged: Option<FileReport> = None;
    let mut seen: HashMap<(usize, usize, &'static str, String), Vec<&str>> = HashMap::new();
    let mut all: Vec<Diagnostic> = Vec::new();
    for (name, vars) in envs {
        let Some(r) = lint_with(path, bytes.clone(), settings, vars) else {
            continue;
        };
        for d in &r.diagnostics {
            let key = (d.span.start, d.span.end, d.rule.name, d.message.clone());
            let e = seen.entry(key).or_default();
            if e.is_empty() {
                all.push(d.clone());
            }
            e.push(name);
        }
        merged.get_or_insert(r);
    }
    let mut report = merged?;
    for d in &mut all {
        let key = (d.span.start, d.span.end, d.rule.name, d.message.clone());
        let names = &seen[&key];
        if names.len() < envs.len() {
            d.message
                .push_str(&format!(" (environment {})", names.join(", ")));
        }
    }
    report.diagnostics = all;
    body::finish(&mut report.diagnostics, settings);
    Some(report)
}

fn lint_with(
    path: &str,
    bytes: Vec<u8>,
    settings: &Settings,
    env: &HashMap<String, String>,
) -> Option<FileReport> {
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
    let file_vars = variables(&text);
    let vars = &Vars::new(&file_vars, env);
    for req in parse(&text) {
        // The request line as the client sends it: `{{base}}/vpc-channels` resolved.
        let (url, _) = vars.resolve(&req.url);
        let op = match operation::match_request(&req.method, &url) {
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
                            operation::url_path(&url)
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
        let (found, body_facts) = lint_body(path, &text, body, vars, settings, op);
        // The first project-level create in the file takes part in duplicate-channel-name.
        facts = facts.or(body_facts);
        diagnostics.extend(found.into_iter().map(tag));
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
        fixes: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_files_are_told_by_extension_in_any_case() {
        for yes in ["a.http", "dir/b.HTTP", "c.Rest", ".http", "é.rest"] {
            assert!(is_request_file(yes), "{yes}");
        }
        for no in ["a.json", "http", "rest", "a.http.json", "a.htt", "", "é"] {
            assert!(!is_request_file(no), "{no}");
        }
    }

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
        let text = r#"{"port": {{port}}, "name": "{{name}}"}"#;
        let none = HashMap::new();
        let vars = Vars::new(&none, &none);
        let (b, _, masked) = substitute(text, Span::new(0, text.len()), &vars);
        assert_eq!(masked.len(), 1);
        assert!(serde_json::from_str::<serde_json::Value>(&b).is_ok());
        assert!(b.contains("\"{{name}}\""), "{b}");
    }

    #[test]
    fn substituted_values_map_back_to_their_placeholders() {
        let text = "xx{\"host\": \"{{ip}}\", \"port\": {{port}}}";
        let file: HashMap<String, String> = [
            ("ip".to_owned(), "10.0.0.1".to_owned()),
            ("port".to_owned(), "8080".to_owned()),
        ]
        .into();
        let env = HashMap::new();
        let vars = Vars::new(&file, &env);
        let body = Span::new(2, text.len());
        let (b, segments, masked) = substitute(text, body, &vars);
        assert!(masked.is_empty());
        assert_eq!(b, "{\"host\": \"10.0.0.1\", \"port\": 8080}");
        // The string "10.0.0.1" (with its quotes) maps to "{{ip}}" with its quotes.
        let s = b.find("\"10.0").unwrap();
        let mapped = map_span(&segments, Span::new(s, s + 10));
        assert_eq!(&text[mapped.start..mapped.end], "\"{{ip}}\"");
        let p = b.find("8080").unwrap();
        let mapped = map_span(&segments, Span::new(p, p + 4));
        assert_eq!(&text[mapped.start..mapped.end], "{{port}}");
        let k = b.find("\"port\"").unwrap();
        let mapped = map_span(&segments, Span::new(k, k + 6));
        assert_eq!(&text[mapped.start..mapped.end], "\"port\"");
    }

    #[test]
    fn variables_that_use_each_other_many_times_cost_what_they_expand_to() {
        // Each doubles the one before: 2^40 bytes if expanded naively.
        let mut file = HashMap::new();
        file.insert("v0".to_owned(), "x".to_owned());
        for i in 1..40 {
            file.insert(
                format!("v{i}"),
                format!("{{{{v{}}}}}{{{{v{}}}}}", i - 1, i - 1),
            );
        }
        file.insert("loop".to_owned(), "{{loop}}{{loop}}".to_owned());
        let env = HashMap::new();
        let vars = Vars::new(&file, &env);
        let (out, left) = vars.resolve("{{v39}} {{loop}} {{v10}}");
        // Each variable was expanded once: the cache holds every one of them.
        assert_eq!(vars.resolved.borrow().len(), 41);
        assert!(left, "too big and cyclic ones stay placeholders");
        assert!(out.len() < 4 * MAX_VALUE, "{}", out.len());
        assert!(out.contains("{{loop}}"), "a cycle stays a placeholder");
        assert!(out.ends_with(&"x".repeat(1024)), "small ones resolve");
    }

    #[test]
    fn variables_resolve_through_each_other_and_dynamic_ones_stay() {
        let file = variables("@host = example.com\n@base = https://{{host}}/v2\n");
        let env = HashMap::new();
        let vars = Vars::new(&file, &env);
        assert_eq!(
            vars.resolve("{{base}}/p/{{$uuid}}"),
            ("https://example.com/v2/p/{{$uuid}}".to_owned(), true)
        );
    }
}

//! E. Health check: `vpc_health_config` timing, protocol-dependent fields and the
//! `http_code` grammar (findings inside the string point at the offending item).

use super::channel::absent_location;
use super::{Ctx, Rule};
use crate::diagnostic::Fixable;
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity, Span};
use crate::json::{string_subspan, Node};
use crate::model::Protocol;
use crate::operation::Operation;
use crate::view::HttpField;

pub static HEALTH_TIMEOUT_NOT_BELOW_INTERVAL: Rule = Rule {
    name: "health-timeout-not-below-interval",
    default_severity: Severity::Error,
    group: "health",
    summary: "timeout is not less than time_interval",
    what: "Reports `vpc_health_config.timeout` greater than or equal to `time_interval`, labelling both values.",
    why: "A check must time out before the next one starts; the API rejects the configuration.",
    bad: r#"{ "vpc_health_config": { "time_interval": 5, "timeout": 10 } }"#,
    good: r#"{ "vpc_health_config": { "time_interval": 10, "timeout": 5 } }"#,
    source: "time_interval: The value must be greater than that of timeout. timeout: The value must be less than the value of time_interval.",    example_operation: None,
    fix: Fixable::No,
};

pub static HEALTH_MISSING_PATH: Rule = Rule {
    name: "health-missing-path",
    default_severity: Severity::Error,
    group: "health",
    summary: "An HTTP(S) health check without path",
    what: "Reports a health check whose protocol is HTTP or HTTPS (any case) and whose `path` is absent or empty.",
    why: "An HTTP check requests a path; without one the API rejects the configuration.",
    bad: r#"{ "vpc_health_config": { "protocol": "HTTP", "http_code": "200" } }"#,
    good: r#"{ "vpc_health_config": { "protocol": "HTTP", "http_code": "200", "path": "/health" } }"#,
    source: "path: Destination path for health checks. This parameter is required if protocol is set to http.",    example_operation: None,
    fix: Fixable::No,
};

pub static HEALTH_PATH_FORMAT: Rule = Rule {
    name: "health-path-format",
    default_severity: Severity::Warning,
    group: "health",
    summary: "The health check path does not start with /",
    what: "Reports a non-empty `path` that does not start with `/`.",
    why: "An HTTP request path is absolute; `health` is sent as an invalid request line or resolved against an unexpected base.",
    bad: r#"{ "vpc_health_config": { "protocol": "HTTPS", "path": "health" } }"#,
    good: r#"{ "vpc_health_config": { "protocol": "HTTPS", "path": "/health" } }"#,
    source: "path: Destination path for health checks.",    example_operation: None,
    fix: Fixable::Unsafe,
};

pub static HEALTH_MISSING_HTTP_CODE: Rule = Rule {
    name: "health-missing-http-code",
    default_severity: Severity::Error,
    group: "health",
    summary: "An HTTP health check without http_code",
    what: "Reports a health check whose protocol is HTTP (any case) and whose `http_code` is absent or empty.",
    why: "Without the codes that mean success the API cannot judge an HTTP check and rejects the configuration.",
    bad: r#"{ "vpc_health_config": { "protocol": "HTTP", "path": "/health" } }"#,
    good: r#"{ "vpc_health_config": { "protocol": "HTTP", "path": "/health", "http_code": "200-299" } }"#,
    source: "http_code: This parameter is required if protocol is set to http.",    example_operation: None,
    fix: Fixable::No,
};

pub static HEALTH_HTTP_CODE_SYNTAX: Rule = Rule {
    name: "health-http-code-syntax",
    default_severity: Severity::Error,
    group: "health",
    summary: "http_code is not a list of codes and ranges",
    what: "Reports an item of `http_code` that is neither a code (`200`) nor a range (`200-299`); items are separated by commas with no spaces. The span is the item inside the string.",
    why: "The API accepts only this grammar; `200, 201` or `2xx` is rejected.",
    bad: r#"{ "vpc_health_config": { "protocol": "HTTP", "path": "/health", "http_code": "200;2xx" } }"#,
    good: r#"{ "vpc_health_config": { "protocol": "HTTP", "path": "/health", "http_code": "200,201,210-299" } }"#,
    source: "http_code: Multiple values, for example, 200,201,202; Range, for example, 200-299; Multiple values and ranges, for example, 201,202,210-299.",    example_operation: None,
    fix: Fixable::No,
};

pub static HEALTH_HTTP_CODE_RANGE: Rule = Rule {
    name: "health-http-code-range",
    default_severity: Severity::Error,
    group: "health",
    summary: "An http_code outside 100–599 or a reversed range",
    what: "Reports a code outside 100–599 and a range whose start exceeds its end; the span is the item inside the string.",
    why: "HTTP status codes live in 100–599; anything else can never match and the API rejects it.",
    bad: r#"{ "vpc_health_config": { "protocol": "HTTP", "path": "/health", "http_code": "200,299-200,600" } }"#,
    good: r#"{ "vpc_health_config": { "protocol": "HTTP", "path": "/health", "http_code": "200-299" } }"#,
    source: "http_code: The value can be any integer within 100–599.",    example_operation: None,
    fix: Fixable::No,
};

pub static HEALTH_HTTP_CODE_OVERLAP: Rule = Rule {
    name: "health-http-code-overlap",
    default_severity: Severity::Warning,
    group: "health",
    summary: "An http_code item repeats or overlaps another",
    what: "Reports an item of `http_code` that repeats or overlaps an earlier item (`200,200-299`), with a label on the earlier one.",
    why: "The redundancy is harmless to the API but usually hides a typo in the intended list.",
    bad: r#"{ "vpc_health_config": { "protocol": "HTTP", "path": "/health", "http_code": "200,200-299" } }"#,
    good: r#"{ "vpc_health_config": { "protocol": "HTTP", "path": "/health", "http_code": "200-299" } }"#,
    source: "http_code: Response codes for determining a successful HTTP response.",    example_operation: None,
    fix: Fixable::No,
};

pub static HEALTH_HTTP_FIELD_IGNORED: Rule = Rule {
    name: "health-http-field-ignored",
    default_severity: Severity::Warning,
    group: "health",
    summary: "path, method or http_code with a TCP health check",
    what: "Reports `path`, `method` and `http_code` when the protocol is TCP; one finding per field.",
    why: "A TCP check only opens a connection; the HTTP fields are ignored, so the check is weaker than the file suggests.",
    bad: r#"{ "vpc_health_config": { "protocol": "TCP", "path": "/health" } }"#,
    good: r#"{ "vpc_health_config": { "protocol": "HTTP", "path": "/health", "http_code": "200" } }"#,
    source: "path: This parameter is required if protocol is set to http. http_code: Response codes for determining a successful HTTP response.",    example_operation: None,
    fix: Fixable::No,
};

pub static HEALTH_CLIENT_SSL_IGNORED: Rule = Rule {
    name: "health-client-ssl-ignored",
    default_severity: Severity::Warning,
    group: "health",
    summary: "enable_client_ssl without HTTPS",
    what: "Reports `enable_client_ssl: true` when the protocol is not HTTPS.",
    why: "Two-way authentication needs TLS; with TCP or HTTP the certificate is never presented.",
    bad: r#"{ "vpc_health_config": { "protocol": "HTTP", "enable_client_ssl": true } }"#,
    good: r#"{ "vpc_health_config": { "protocol": "HTTPS", "path": "/health", "enable_client_ssl": true } }"#,
    source: "enable_client_ssl: Whether to enable two-way authentication. If this function is enabled, the certificate specified by backend_client_certificate in the instance configuration is used.",    example_operation: None,
    fix: Fixable::No,
};

pub fn check(ctx: &mut Ctx<'_>) {
    // The health check of a channel body, or the whole body of a health-check update.
    let Some(hc) = ctx.body.health else {
        return;
    };
    let (node, base) = (hc.node, hc.pointer);
    let op = ctx.op;
    let protocol_field = hc.protocol();
    let protocol = protocol_field.and_then(|f| f.value);
    let proto_text = protocol_field.and_then(|f| f.text()).unwrap_or_default();
    let proto_span = protocol_field.map(|f| f.value_span());

    if let (Some(t), Some(i)) = (hc.timeout(), hc.time_interval()) {
        let (timeout, t_span, interval, i_span) =
            (t.value, t.value_span(), i.value, i.value_span());
        if timeout >= interval {
            let d = Diagnostic::new(
                &HEALTH_TIMEOUT_NOT_BELOW_INTERVAL,
                format!("{base}/timeout"),
                t_span,
                format!("timeout ({timeout} s) must be less than time_interval ({interval} s)"),
            )
            .primary(format!("timeout is {timeout}"))
            .label(i_span, format!("time_interval is {interval}"));
            let d = timing_proposals(op, base, d, (timeout, t_span), (interval, i_span));
            ctx.push(d);
        }
    }

    let with_protocol = |d: Diagnostic| match proto_span {
        Some(s) => d.label(s, format!("protocol is {proto_text}")),
        None => d,
    };

    if matches!(protocol, Some(Protocol::Http | Protocol::Https))
        && hc.http_field(HttpField::Path).is_none()
    {
        let (p, span) = absent_location(node, base, HttpField::Path.as_str());
        ctx.push(with_protocol(
            Diagnostic::new(
                &HEALTH_MISSING_PATH,
                p,
                span,
                format!(
                    "an {} health check needs a `path`",
                    proto_text.to_ascii_uppercase()
                ),
            )
            .primary("path is missing or empty")
            .help("add `\"path\": \"/health\"` (the path the check requests)"),
        ));
    }
    if protocol == Some(Protocol::Http) && hc.http_field(HttpField::HttpCode).is_none() {
        let (p, span) = absent_location(node, base, HttpField::HttpCode.as_str());
        ctx.push(with_protocol(
            Diagnostic::new(
                &HEALTH_MISSING_HTTP_CODE,
                p,
                span,
                "an HTTP health check needs `http_code`",
            )
            .primary("http_code is missing or empty")
            .help("add the codes that mean healthy, e.g. `\"http_code\": \"200-299\"`"),
        ));
    }
    if protocol == Some(Protocol::Tcp) {
        for &field in HttpField::ALL {
            if let Some(m) = hc.http_field(field) {
                let key = field.as_str();
                ctx.push(with_protocol(
                    Diagnostic::new(
                        &HEALTH_HTTP_FIELD_IGNORED,
                        format!("{base}/{key}"),
                        m.span(),
                        format!("`{key}` is ignored by a TCP health check"),
                    )
                    .primary("ignored")
                    .help(format!(
                        "remove `{key}`, or set `\"protocol\": \"HTTP\"` to check over HTTP"
                    )),
                ));
            }
        }
    } else {
        // A request file's `{{placeholder}}` is a value unknown here: not judged.
        let placeholders = ctx.placeholders;
        let unknown = |s: &str| placeholders && super::has_placeholder(s);
        if let Some(path) = hc
            .http_field(HttpField::Path)
            .and_then(|m| m.value().as_str().map(|s| (s, m.value().span())))
            .filter(|(s, _)| !unknown(s))
        {
            if !path.0.starts_with('/') {
                let (suggested, why) = absolute_path(path.0);
                ctx.push(
                    Diagnostic::new(
                        &HEALTH_PATH_FORMAT,
                        format!("{base}/path"),
                        path.1,
                        "the health check `path` does not start with '/'",
                    )
                    .primary("relative path")
                    .help(format!("write `\"path\": \"{suggested}\"`{why}"))
                    .unsafe_fix(
                        format!("Write \"{suggested}\""),
                        path.1,
                        format!("\"{suggested}\""),
                    ),
                );
            }
        }
        if let Some(code) = hc.http_field(HttpField::HttpCode) {
            if code.value().as_str().is_some_and(|s| !unknown(s)) {
                check_http_code(ctx, base, code.value());
            }
        }
    }
    if let Some(ssl) = hc.enable_client_ssl() {
        if ssl.value && protocol.is_some_and(|p| p != Protocol::Https) {
            ctx.push(with_protocol(
                Diagnostic::new(&HEALTH_CLIENT_SSL_IGNORED, format!("{base}/enable_client_ssl"), ssl.span(), format!("`enable_client_ssl` has no effect with protocol {proto_text}"))
                    .primary("ignored")
                    .help("two-way authentication needs `\"protocol\": \"HTTPS\"`; otherwise remove `enable_client_ssl`"),
            ));
        }
    }
}

/// The value ranges of `time_interval` and `timeout`, from the operation's schema (APIG's
/// differ from ROMA's).
fn range_of(op: &Operation, base: &str, field: &str) -> (i64, i64) {
    let sub = crate::schema::subschema_at(op, &format!("{base}/{field}"));
    let get = |k: &str| {
        sub.and_then(|s| s.get(k))
            .and_then(serde_json::Value::as_i64)
    };
    (
        get("minimum").unwrap_or(1),
        get("maximum").unwrap_or(i64::MAX),
    )
}

/// Help for `timeout >= time_interval` that proposes only values within both ranges:
/// either field may be the one to change, so both proposals are display-only.
fn timing_proposals(
    op: &Operation,
    base: &str,
    d: Diagnostic,
    (timeout, t_span): (i64, Span),
    (interval, i_span): (i64, Span),
) -> Diagnostic {
    let (i_min, i_max) = range_of(op, base, "time_interval");
    let (t_min, t_max) = range_of(op, base, "timeout");
    let new_interval = Some((timeout + 1).max(i_min)).filter(|v| *v <= i_max);
    let new_timeout = Some((interval - 1).min(t_max)).filter(|v| *v >= t_min);
    let mut said = Vec::new();
    let mut d = d;
    for (verb, field, value, span) in [
        ("raise", "time_interval", new_interval, i_span),
        ("lower", "timeout", new_timeout, t_span),
    ] {
        if let Some(v) = value {
            said.push(format!("{verb} {field} to {v}"));
            d = d.with_fix(Fix::new(
                Applicability::DisplayOnly,
                format!("Set {field} to {v}"),
                span,
                v.to_string(),
            ));
        }
    }
    if said.is_empty() {
        return d.help(format!(
            "timeout ({t_min}–{t_max} s) must be below time_interval ({i_min}–{i_max} s)"
        ));
    }
    d.help(said.join(" or "))
}

/// The absolute path a relative health-check `path` most likely meant: the path of a URL
/// written whole, else the value with a leading '/'.
fn absolute_path(path: &str) -> (String, &'static str) {
    if let Some(i) = path.find("://") {
        let rest = &path[i + 3..];
        let p = rest.find(['/', '?']).map_or("/", |j| &rest[j..]);
        let p = if p.starts_with('?') {
            format!("/{p}")
        } else {
            p.to_owned()
        };
        return (p, " (the path only: host and port come from the channel)");
    }
    (format!("/{path}"), "")
}

/// One item of `http_code`, as parsed.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeItem {
    Code(u32),
    Range(u32, u32),
}

#[derive(Debug, PartialEq, Eq)]
pub enum CodeError {
    Syntax(String),
    Range(String),
}

/// Split `http_code` into items with their byte ranges inside the decoded string.
pub fn parse_http_code(
    s: &str,
) -> impl Iterator<Item = (std::ops::Range<usize>, Result<CodeItem, CodeError>)> + '_ {
    let mut start = 0;
    s.split(',').map(move |piece| {
        let range = start..start + piece.len();
        start = range.end + 1;
        (range, parse_item(piece))
    })
}

fn number(d: &str) -> Option<u32> {
    (!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .then(|| d.parse::<u32>().unwrap_or(u32::MAX))
}

fn parse_item(item: &str) -> Result<CodeItem, CodeError> {
    if item.is_empty() {
        return Err(CodeError::Syntax(
            "empty item (two commas in a row, or a comma at an end)".into(),
        ));
    }
    if item.trim() != item {
        return Err(CodeError::Syntax(format!(
            "\"{item}\" has spaces around it"
        )));
    }
    let in_range = |c: u32| (100..=599).contains(&c);
    if let Some(c) = number(item) {
        return if in_range(c) {
            Ok(CodeItem::Code(c))
        } else {
            Err(CodeError::Range(format!(
                "{item} is not an HTTP status code (100–599)"
            )))
        };
    }
    if let Some((a, b)) = item.split_once('-') {
        if let (Some(lo), Some(hi)) = (number(a), number(b)) {
            if !in_range(lo) || !in_range(hi) {
                let bad = if in_range(lo) { b } else { a };
                return Err(CodeError::Range(format!(
                    "{bad} in range {item} is not an HTTP status code (100–599)"
                )));
            }
            if lo > hi {
                return Err(CodeError::Range(format!(
                    "range {item} starts after it ends"
                )));
            }
            return Ok(CodeItem::Range(lo, hi));
        }
    }
    Err(CodeError::Syntax(format!(
        "\"{item}\" is neither a code (200) nor a range (200-299)"
    )))
}

fn check_http_code(ctx: &mut Ctx<'_>, base: &str, node: Node<'_>) {
    let s = node.as_str().unwrap_or_default();
    let pointer = || format!("{base}/http_code");
    // The first item covering each code 100..=599 (its place in `spans`, plus one; 0 for
    // none): overlap detection in linear time, in 1.2 KB on the stack.
    let mut owner = [0u16; 600];
    let mut spans: Vec<Span> = Vec::new();
    for (range, item) in parse_http_code(s) {
        let mut span = string_subspan(ctx.text, node, range.clone());
        if span.is_empty() {
            // An empty item: point at the comma that ends (or starts) it.
            let comma = if range.end < s.len() {
                range.end..range.end + 1
            } else {
                range.start.saturating_sub(1)..range.start
            };
            span = string_subspan(ctx.text, node, comma);
        }
        match item {
            Err(CodeError::Syntax(msg)) => ctx.push(
                Diagnostic::new(&HEALTH_HTTP_CODE_SYNTAX, pointer(), span, format!("invalid http_code item: {msg}"))
                    .primary("not a code or range")
                    .help("write codes and low-high ranges separated by commas, without spaces: \"200,201,210-299\""),
            ),
            Err(CodeError::Range(msg)) => ctx.push(
                Diagnostic::new(&HEALTH_HTTP_CODE_RANGE, pointer(), span, format!("invalid http_code item: {msg}"))
                    .primary("out of range")
                    .help("use codes from 100 to 599, and write ranges low-high"),
            ),
            Ok(item) => {
                let (lo, hi) = match item {
                    CodeItem::Code(c) => (c, c),
                    CodeItem::Range(a, b) => (a, b),
                };
                let (lo, hi) = (lo as usize, hi as usize);
                if let Some(&first) = owner[lo..=hi]
                    .iter()
                    .find(|&&o| o != 0)
                    .map(|&o| &spans[usize::from(o) - 1])
                {
                    let text = &s[range.clone()];
                    ctx.push(
                        Diagnostic::new(&HEALTH_HTTP_CODE_OVERLAP, pointer(), span, format!("http_code item {text} repeats or overlaps an earlier item"))
                            .primary("overlaps")
                            .label(first, "earlier item")
                            .help("remove the redundant item, or merge the two into one range"),
                    );
                }
                // At most 600 items can own a code, so the index fits; later items own
                // nothing new once every code is taken.
                if let Ok(id) = u16::try_from(spans.len() + 1) {
                    let mut used = false;
                    for slot in owner[lo..=hi].iter_mut().filter(|o| **o == 0) {
                        *slot = id;
                        used = true;
                    }
                    if used {
                        spans.push(span);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_code_grammar() {
        let items: Vec<_> = parse_http_code("200,201-299,,2xx, 300,600,299-200")
            .map(|(_, r)| r)
            .collect();
        assert_eq!(items[0], Ok(CodeItem::Code(200)));
        assert_eq!(items[1], Ok(CodeItem::Range(201, 299)));
        assert!(matches!(items[2], Err(CodeError::Syntax(_))));
        assert!(matches!(items[3], Err(CodeError::Syntax(_))));
        assert!(matches!(items[4], Err(CodeError::Syntax(_))));
        assert!(matches!(items[5], Err(CodeError::Range(_))));
        assert!(matches!(items[6], Err(CodeError::Range(_))));
        let ranges: Vec<_> = parse_http_code("200,201").map(|(r, _)| r).collect();
        assert_eq!(ranges, vec![0..3, 4..7]);
        assert!(matches!(
            parse_item("99999999999"),
            Err(CodeError::Range(_))
        ));
    }
}

//! LSP base protocol framing, written for hostile input: one bad frame never ends the
//! server. `Content-Length` is capped before anything is allocated, headers that are not
//! headers are skipped until the next `Content-Length`, a body that is not UTF-8 or not
//! JSON is a parse error (answered, then forgotten), and a lone UTF-16 surrogate escape
//! (`\ud83d`, half an emoji as JavaScript's `JSON.stringify` writes it) decodes to U+FFFD
//! instead of failing the whole message.

use serde_json::Value;
use std::io::{BufRead, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Bodies larger than this are skipped without being read into memory.
pub const MAX_BODY: u64 = 256 * 1024 * 1024;

const MAX_HEADER_LINE: u64 = 8192;

/// A message as the server sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Request {
        id: Value,
        method: String,
        params: Value,
    },
    Notification {
        method: String,
        params: Value,
    },
    Response {
        id: Value,
        result: Option<Value>,
    },
    /// Not a message the server can act on: answer `code` when `id` is known (or `null` for
    /// a parse error, as JSON-RPC says), and log `why` (never the message text: a document
    /// may hold secrets).
    Invalid {
        id: Option<Value>,
        code: i64,
        why: String,
    },
    /// The input ended: stdin closed, or a read error.
    Closed(String),
}

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;

/// Read the next frame; `Closed` at end of input.
pub fn read_message(r: &mut impl BufRead) -> Incoming {
    read_message_signalled(r, &AtomicBool::new(false))
}

/// [`read_message`], with `busy` set while a body is being read: the server then knows
/// that another message is on its way and can wait for it before linting.
pub fn read_message_signalled(r: &mut impl BufRead, busy: &AtomicBool) -> Incoming {
    busy.store(false, Ordering::Release);
    let m = read_frame(r, busy);
    busy.store(false, Ordering::Release);
    m
}

fn read_frame(r: &mut impl BufRead, busy: &AtomicBool) -> Incoming {
    let mut length: Option<Result<u64, String>> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        // Bounded: a stream of junk without newlines must not grow one line forever.
        match (&mut *r).take(MAX_HEADER_LINE).read_until(b'\n', &mut line) {
            Ok(0) => return Incoming::Closed("end of input".into()),
            Ok(_) => {}
            Err(e) => return Incoming::Closed(format!("read error: {e}")),
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if length.is_some() {
                break;
            }
            continue; // blank lines between frames
        }
        // Junk left by a wrong Content-Length may share a line with the next header.
        let lower = text.to_ascii_lowercase();
        if let Some(at) = lower.find("content-length:") {
            let value = text[at + "content-length:".len()..].trim();
            length = Some(
                value
                    .parse::<u64>()
                    .map_err(|_| format!("bad Content-Length {value:?}")),
            );
        }
        // Other headers (Content-Type) and junk lines are skipped.
    }
    busy.store(true, Ordering::Release);
    let n = match length.expect("loop ends with a length") {
        Ok(n) => n,
        Err(why) => {
            return Incoming::Invalid {
                id: None,
                code: PARSE_ERROR,
                why,
            }
        }
    };
    if n > MAX_BODY {
        // Skip without allocating; a length beyond the input simply reaches its end.
        let skipped = std::io::copy(&mut r.take(n), &mut std::io::sink()).unwrap_or(0);
        if skipped < n {
            return Incoming::Closed(format!(
                "input ended inside a {n}-byte message (over the {MAX_BODY}-byte limit)"
            ));
        }
        return Incoming::Invalid {
            id: None,
            code: INVALID_REQUEST,
            why: format!("message of {n} bytes is over the {MAX_BODY}-byte limit; skipped"),
        };
    }
    let mut body = Vec::with_capacity(n as usize);
    match r.take(n).read_to_end(&mut body) {
        Ok(k) if (k as u64) < n => {
            return Incoming::Closed(format!("input ended inside a message ({k} of {n} bytes)"))
        }
        Ok(_) => {}
        Err(e) => return Incoming::Closed(format!("read error: {e}")),
    }
    decode(&body)
}

/// Classify one body.
pub fn decode(body: &[u8]) -> Incoming {
    let Ok(text) = std::str::from_utf8(body) else {
        return Incoming::Invalid {
            id: None,
            code: PARSE_ERROR,
            why: "message body is not UTF-8".into(),
        };
    };
    let fixed = replace_lone_surrogates(text);
    let value: Value = match serde_json::from_str(&fixed) {
        Ok(v) => v,
        Err(e) => {
            return Incoming::Invalid {
                id: None,
                code: PARSE_ERROR,
                why: format!("message body is not JSON ({e})"),
            }
        }
    };
    let Value::Object(mut m) = value else {
        let why = if value.is_array() {
            "batch messages are not part of LSP"
        } else {
            "message is not a JSON object"
        };
        return Incoming::Invalid {
            id: None,
            code: INVALID_REQUEST,
            why: why.into(),
        };
    };
    let id = m.remove("id");
    // An id of another JSON type still gets an answer (with that id): a client that sent it
    // waits for one.
    if let Some(bad) = id.as_ref().filter(|v| !(v.is_string() || v.is_number())) {
        if m.contains_key("method") {
            return Incoming::Invalid {
                id: Some(bad.clone()),
                code: INVALID_REQUEST,
                why: "a request id must be a string or a number".into(),
            };
        }
    }
    let id = id.filter(|v| v.is_string() || v.is_number());
    let params = m.remove("params").unwrap_or(Value::Null);
    match (m.remove("method"), id) {
        (Some(Value::String(method)), Some(id)) => Incoming::Request { id, method, params },
        (Some(Value::String(method)), None) => Incoming::Notification { method, params },
        (None, Some(id)) => Incoming::Response {
            id,
            result: m.remove("result"),
        },
        (_, id) => Incoming::Invalid {
            id,
            code: INVALID_REQUEST,
            why: "message has neither a valid method nor an id".into(),
        },
    }
}

/// `\uD83D` without its low half (or a low half alone) becomes `\uFFFD`; everything else,
/// including escaped backslashes and valid pairs, is kept as written.
pub fn replace_lone_surrogates(text: &str) -> std::borrow::Cow<'_, str> {
    fn unit(b: &[u8], at: usize) -> Option<u16> {
        if b.get(at) != Some(&b'\\') || b.get(at + 1) != Some(&b'u') {
            return None;
        }
        let hex = std::str::from_utf8(b.get(at + 2..at + 6)?).ok()?;
        u16::from_str_radix(hex, 16).ok()
    }
    let b = text.as_bytes();
    if !text.contains("\\u") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        match unit(b, i) {
            Some(u @ 0xD800..=0xDBFF) => {
                if matches!(unit(b, i + 6), Some(0xDC00..=0xDFFF)) {
                    i += 12;
                } else {
                    out.push_str(&text[copied..i]);
                    out.push_str("\\uFFFD");
                    i += 6;
                    copied = i;
                }
                let _ = u;
            }
            Some(0xDC00..=0xDFFF) => {
                out.push_str(&text[copied..i]);
                out.push_str("\\uFFFD");
                i += 6;
                copied = i;
            }
            Some(_) => i += 6,
            None => i += 2, // `\\`, `\"`, …: the escaped character is not a new escape
        }
    }
    if copied == 0 {
        return text.into();
    }
    out.push_str(&text[copied..]);
    out.into()
}

/// Write one framed message.
pub fn write_message(w: &mut impl Write, msg: &Value) -> std::io::Result<()> {
    let body = serde_json::to_vec(msg).map_err(std::io::Error::other)?;
    write!(w, "Content-Length: {}\r\n\r\n", body.len())?;
    w.write_all(&body)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn frames(input: &[u8]) -> Vec<Incoming> {
        let mut r = Cursor::new(input.to_vec());
        let mut out = Vec::new();
        loop {
            let m = read_message(&mut r);
            let end = matches!(m, Incoming::Closed(_));
            out.push(m);
            if end {
                return out;
            }
        }
    }

    fn frame(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    #[test]
    fn good_frames_and_kinds() {
        let mut input = frame(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#);
        input.extend(frame(r#"{"jsonrpc":"2.0","method":"initialized"}"#));
        input.extend(frame(r#"{"jsonrpc":"2.0","id":7,"result":null}"#));
        let f = frames(&input);
        assert!(matches!(&f[0], Incoming::Request { method, .. } if method == "initialize"));
        assert!(matches!(&f[1], Incoming::Notification { method, .. } if method == "initialized"));
        assert!(matches!(&f[2], Incoming::Response { .. }));
        assert!(matches!(&f[3], Incoming::Closed(_)));
    }

    #[test]
    fn hostile_frames_are_answered_and_the_stream_goes_on() {
        let ok = frame(r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#);
        for bad in [
            frame("[1, 2]"),
            frame("not json"),
            b"Content-Length: 4\r\n\r\n\xff\xfe\xfd\xfc".to_vec(),
            b"Content-Length: abc\r\n\r\n".to_vec(),
            // Too short: the rest of the body is junk before the next header.
            b"Content-Length: 5\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}".to_vec(),
        ] {
            let mut input = bad.clone();
            input.extend(&ok);
            let f = frames(&input);
            assert!(
                f.iter().any(|m| matches!(m, Incoming::Invalid { .. })),
                "{f:?}"
            );
            assert!(
                f.iter()
                    .any(|m| matches!(m, Incoming::Request { method, .. } if method == "shutdown")),
                "{:?}: {f:?}",
                String::from_utf8_lossy(&bad)
            );
        }
    }

    #[test]
    fn huge_lengths_never_allocate() {
        for n in ["1000000000000", "18446744073709551615"] {
            let input = format!("Content-Length: {n}\r\n\r\n{{}}");
            let f = frames(input.as_bytes());
            assert!(matches!(f.last(), Some(Incoming::Closed(_))), "{f:?}");
        }
        let f = frames(b"Content-Length: 99999999999999999999999\r\n\r\n");
        assert!(matches!(f[0], Incoming::Invalid { .. }));
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let m =
            decode(br#"{"method":"x","params":{"t":"a\ud83d b \ude00 c \ud83d\ude00 \\ud83d"}}"#);
        let Incoming::Notification { params, .. } = m else {
            panic!("{m:?}")
        };
        assert_eq!(params["t"], "a\u{FFFD} b \u{FFFD} c 😀 \\ud83d");
    }
}

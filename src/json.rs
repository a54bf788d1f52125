//! A strict RFC 8259 parser that keeps the byte span of every key and value.
//!
//! Hand-written rather than borrowed because vpclint needs three things general parsers do
//! not give together: spans on keys *and* values, all duplicate keys kept (so they can be
//! reported instead of silently dropped), and syntax errors that explain the usual
//! hand-editing slips (comments, trailing commas, single quotes, `NaN`). Nesting is bounded
//! by [`MAX_DEPTH`] and the parser never recurses past it, so hostile input cannot overflow
//! the stack.

use crate::diagnostic::{escape_token, Span};

/// Far deeper than any real request (which nests about six levels).
pub const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

/// Boxed slices and strings rather than `Vec`/`String`: a node is 40 bytes, not 56, which on
/// a 200 000-member request is most of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(Box<str>),
    Array(Box<[Node]>),
    Object(Box<[Member]>),
}

/// An object key. The names the schemas know repeat in every file and every member, so
/// they are shared statics ([`KNOWN_KEYS`]) rather than one allocation each.
#[derive(Clone)]
pub enum Key {
    Known(&'static str),
    Other(Box<str>),
}

impl Key {
    pub(crate) fn new(s: &str) -> Key {
        // A small hash table over the known keys: one comparison for nearly every key (a
        // binary search took six, on every key of every file).
        static TABLE: std::sync::OnceLock<[Option<&'static str>; 256]> = std::sync::OnceLock::new();
        let table = TABLE.get_or_init(|| {
            let mut t = [None; 256];
            for k in KNOWN_KEYS {
                let mut h = key_hash(k);
                while t[h].is_some() {
                    h = (h + 1) % 256;
                }
                t[h] = Some(*k);
            }
            t
        });
        let mut h = key_hash(s);
        while let Some(k) = table[h] {
            if k == s {
                return Key::Known(k);
            }
            h = (h + 1) % 256;
        }
        Key::Other(s.into())
    }
    pub fn as_str(&self) -> &str {
        match self {
            Key::Known(s) => s,
            Key::Other(s) => s,
        }
    }
}

fn key_hash(s: &str) -> usize {
    let b = s.as_bytes();
    match b {
        [] => 0,
        [first, .., last] => {
            (b.len().wrapping_mul(31)
                ^ usize::from(*first).wrapping_mul(7)
                ^ usize::from(*last).wrapping_mul(131)
                ^ usize::from(b[b.len() / 2]).wrapping_mul(17))
                % 256
        }
        [only] => usize::from(*only),
    }
}

impl std::ops::Deref for Key {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Key {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every property name of every operation's body, sorted (a test keeps it complete). Only a
/// matter of memory: a name missing here is simply owned.
pub const KNOWN_KEYS: &[&str] = &[
    "app_name",
    "balance_strategy",
    "cce_info",
    "cce_service_info",
    "cluster_id",
    "cluster_name",
    "cse_info",
    "dict_code",
    "ecs_id",
    "ecs_name",
    "enable_client_ssl",
    "engine_id",
    "force_sync",
    "group_name",
    "grpc_port",
    "host",
    "http_code",
    "instance_ids",
    "ip_address",
    "is_backup",
    "label_key",
    "label_name",
    "label_value",
    "member_group_name",
    "member_group_remark",
    "member_group_weight",
    "member_groups",
    "member_ids",
    "member_type",
    "members",
    "method",
    "microservice_info",
    "microservice_labels",
    "microservice_port",
    "microservice_version",
    "nacos_info",
    "name",
    "namespace",
    "password",
    "path",
    "port",
    "protocol",
    "reference_vpc_channel_id",
    "server_config",
    "service_id",
    "service_name",
    "service_type",
    "status",
    "threshold_abnormal",
    "threshold_normal",
    "time_interval",
    "timeout",
    "type",
    "user_info",
    "user_name",
    "vpc_channel_id",
    "vpc_channel_type",
    "vpc_health_config",
    "weight",
    "workload_type",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: Key,
    pub key_span: Span,
    pub value: Node,
    /// A later member of the same object has the same key, so decoders drop this one.
    pub shadowed: bool,
}

impl Member {
    /// From the key's opening quote to the end of the value: `"weight": 5`.
    pub fn span(&self) -> Span {
        Span::new(self.key_span.start, self.value.span.end)
    }
}

/// A number literal by notation (16 bytes; literals beyond f64 range saturate to ±f64::MAX).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A plain integer literal that fits in an i64.
    Int(i64),
    /// A plain integer literal beyond i64.
    BigInt(f64),
    /// A literal with a fraction or exponent (`1.0`, `1e3`).
    Float(f64),
}

impl Number {
    /// The value as a double.
    pub fn float(&self) -> f64 {
        match *self {
            Number::Int(i) => i as f64,
            Number::BigInt(f) | Number::Float(f) => f,
        }
    }
    /// Set when the literal is written as a plain integer that fits in an i64.
    pub fn int(&self) -> Option<i64> {
        match *self {
            Number::Int(i) => Some(i),
            _ => None,
        }
    }
    /// The literal has a fraction or exponent (`1.0`, `1e3`).
    pub fn non_integer_notation(&self) -> bool {
        matches!(self, Number::Float(_))
    }
    /// The integral value, whichever notation it was written in.
    pub fn as_integral(&self) -> Option<i64> {
        if let Some(i) = self.int() {
            return Some(i);
        }
        let f = self.float();
        (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

impl Node {
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<&Number> {
        match &self.value {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// "Empty counts as absent": `null`, `""`, `{}` and `[]`.
    pub fn is_empty_value(&self) -> bool {
        match &self.value {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(m) => m.is_empty(),
            _ => false,
        }
    }

    /// The member for `key`; with duplicate keys the last one wins, as in most decoders
    /// (and in the value the schema pass sees). A `null` value counts as absent (RULES.md
    /// revision 2: serialisers send `"members": null` for unset fields), so rules never
    /// see it; `null-value` reports it once.
    pub fn member(&self, key: &str) -> Option<&Member> {
        self.member_raw(key)
            .filter(|m| !matches!(m.value.value, Value::Null))
    }
    /// The member for `key` whatever its value, `null` included (for locating findings).
    pub fn member_raw(&self, key: &str) -> Option<&Member> {
        self.as_object()?.iter().rev().find(|m| m.key == key)
    }
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.member(key).map(|m| &m.value)
    }
    /// An identifier that is absent, empty or only whitespace counts as absent where a rule
    /// asks for it (revision 2: blank identifiers).
    pub fn get_identifier(&self, key: &str) -> Option<&Node> {
        self.get(key)
            .filter(|n| n.as_str().is_none_or(|s| !s.trim().is_empty()) && !n.is_empty_value())
    }
    /// The member for `key` unless its value is absent or empty.
    pub fn member_present(&self, key: &str) -> Option<&Member> {
        self.member(key).filter(|m| !m.value.is_empty_value())
    }
    /// The value for `key` unless it is absent or empty.
    pub fn get_present(&self, key: &str) -> Option<&Node> {
        self.get(key).filter(|n| !n.is_empty_value())
    }

    /// Resolve an RFC 6901 pointer. Returns the node and, when the last step was an object
    /// member, the span of its key.
    pub fn lookup(&self, pointer: &str) -> Option<(&Node, Option<Span>)> {
        if pointer.is_empty() {
            return Some((self, None));
        }
        let mut node = self;
        let mut key_span = None;
        for raw in pointer.strip_prefix('/')?.split('/') {
            let token = crate::diagnostic::unescape_token(raw);
            match &node.value {
                Value::Object(_) => {
                    let m = node.member_raw(&token)?;
                    key_span = Some(m.key_span);
                    node = &m.value;
                }
                Value::Array(items) => {
                    node = items.get(token.parse::<usize>().ok()?)?;
                    key_span = None;
                }
                _ => return None,
            }
        }
        Some((node, key_span))
    }

    /// Convert to a `serde_json::Value` for the schema pass (last duplicate key wins).
    pub fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => match n.int() {
                Some(i) => J::Number(i.into()),
                _ => serde_json::Number::from_f64(n.float())
                    .map(J::Number)
                    .unwrap_or(J::Null),
            },
            Value::String(s) => J::String(s.to_string()),
            Value::Array(a) => J::Array(a.iter().map(Node::to_serde).collect()),
            Value::Object(members) => {
                let mut map = serde_json::Map::with_capacity(members.len());
                for m in members {
                    map.insert(m.key.to_string(), m.value.to_serde());
                }
                J::Object(map)
            }
        }
    }
}

/// The source span of the decoded bytes `range` of the string literal `node`, which starts
/// at file offset `node.span.start` in `file_text`. Escapes are honoured, so a sub-string
/// span always lands on the characters that spell it in the file.
pub fn string_subspan(file_text: &str, node: &Node, range: std::ops::Range<usize>) -> Span {
    let Some(raw) = file_text.get(node.span.start + 1..node.span.end.saturating_sub(1)) else {
        return node.span;
    };
    let base = node.span.start + 1;
    if !raw.contains('\\') {
        return Span::new(
            base + range.start.min(raw.len()),
            base + range.end.min(raw.len()),
        );
    }
    // Walk the literal, advancing the decoded index by each escape's decoded length.
    let (mut decoded, mut i) = (0usize, 0usize);
    let (mut start, mut end) = (None, None);
    let bytes = raw.as_bytes();
    while i <= raw.len() {
        if start.is_none() && decoded >= range.start {
            start = Some(i);
        }
        if decoded >= range.end {
            end = Some(i);
            break;
        }
        if i == raw.len() {
            break;
        }
        let (raw_len, dec_len) = if bytes[i] == b'\\' {
            match bytes.get(i + 1) {
                Some(b'u') => {
                    let unit = raw
                        .get(i + 2..i + 6)
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .unwrap_or(0xFFFD);
                    if (0xD800..0xDC00).contains(&unit) {
                        (12, 4)
                    } else {
                        (6, char::from_u32(unit).map_or(3, char::len_utf8))
                    }
                }
                _ => (2, 1),
            }
        } else {
            let len = raw[i..].chars().next().map_or(1, char::len_utf8);
            (len, len)
        };
        i = (i + raw_len).min(raw.len());
        decoded += dec_len;
    }
    let s = start.unwrap_or(raw.len());
    Span::new(base + s, base + end.unwrap_or(raw.len()).max(s))
}

/// Append one reference token to a pointer.
pub fn child_pointer(parent: &str, token: &str) -> String {
    let mut p = String::with_capacity(parent.len() + token.len() + 1);
    p.push_str(parent);
    p.push('/');
    p.push_str(&escape_token(token));
    p
}

/// Parse `text` whose first byte is at file offset `base` (non-zero after a BOM).
///
/// ```
/// let doc = vpclint::json::parse(r#"{"vpc_health_config": {"timeout": 5}}"#, 0).unwrap();
/// let (node, key) = doc.lookup("/vpc_health_config/timeout").unwrap();
/// assert_eq!((node.span.start, node.span.end), (34, 35));
/// assert_eq!(key.map(|k| (k.start, k.end)), Some((23, 32)));
///
/// let err = vpclint::json::parse("{\"port\": 80,}", 0).unwrap_err();
/// assert_eq!(err.message, "trailing comma before '}'");
/// ```
pub fn parse(text: &str, base: usize) -> Result<Node, ParseError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        pos: 0,
        base,
        members: Vec::new(),
        items: Vec::new(),
    };
    p.skip_ws();
    if p.pos == p.src.len() {
        return Err(p.error_here(
            0,
            if text.is_empty() {
                "empty file: expected a JSON object"
            } else {
                "the file holds only whitespace: expected a JSON object"
            },
            Some("a VPC channel request is a JSON object: `{ \"name\": …, \"port\": … }`"),
        ));
    }
    let node = p.parse_value(0)?;
    p.skip_ws();
    if p.pos < p.src.len() {
        let help = if p.src[p.pos] == b',' || p.src[p.pos] == b'{' {
            "a request file holds exactly one JSON object; remove what follows it or split it into separate files"
        } else {
            "remove everything after the closing bracket of the top-level value"
        };
        return Err(p.error_here(
            p.char_len(),
            "unexpected content after the end of the JSON value",
            Some(help),
        ));
    }
    Ok(node)
}

/// Flag every member that a later member of the same key hides (hash-based for large
/// objects, so a hostile object with many keys stays linear).
fn mark_shadowed(members: &mut [Member]) {
    if members.len() <= 16 {
        for i in 0..members.len() {
            let hidden = members[i + 1..].iter().any(|m| m.key == members[i].key);
            members[i].shadowed = hidden;
        }
        return;
    }
    let mut last: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::with_capacity(members.len());
    for (i, m) in members.iter().enumerate() {
        last.insert(m.key.as_str(), i);
    }
    let hidden: Vec<bool> = members
        .iter()
        .enumerate()
        .map(|(i, m)| last[m.key.as_str()] != i)
        .collect();
    for (m, h) in members.iter_mut().zip(hidden) {
        m.shadowed = h;
    }
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    base: usize,
    /// The members and items of the objects and arrays being parsed, innermost last: each
    /// becomes one exactly-sized allocation when it closes, instead of a `Vec` grown by
    /// doubling and then shrunk.
    members: Vec<Member>,
    items: Vec<Node>,
}

impl<'a> Parser<'a> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.base + start, self.base + end)
    }

    fn char_len(&self) -> usize {
        self.text[self.pos..]
            .chars()
            .next()
            .map_or(0, char::len_utf8)
    }

    fn error_here(&self, len: usize, message: &str, help: Option<&str>) -> ParseError {
        ParseError {
            span: self.span(self.pos, self.pos + len),
            message: message.to_owned(),
            help: help.map(str::to_owned),
        }
    }

    fn describe_here(&self) -> String {
        match self.text[self.pos..].chars().next() {
            None => "end of file".to_owned(),
            Some(c) if c.is_control() => format!("control character U+{:04X}", c as u32),
            Some(c) => format!("'{c}'"),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.src.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The error for a byte that cannot start a value, with help for the common slips.
    fn unexpected(&self, expected: &str) -> ParseError {
        let rest = &self.text[self.pos..];
        let found = self.describe_here();
        let message = format!("expected {expected}, found {found}");
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            .collect();
        // `0x16`: the parser stopped after the `0`; name the whole literal and its value.
        let hex = (self.pos > 0 && self.src[self.pos - 1] == b'0')
            .then(|| word.strip_prefix(['x', 'X']))
            .flatten()
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
        let (len, help): (usize, Option<String>) = if let Some(h) = hex {
            let help = match u64::from_str_radix(h, 16) {
                Ok(v) => format!("JSON has no hexadecimal numbers: write {v}"),
                Err(_) => "JSON has no hexadecimal numbers: write the decimal value".into(),
            };
            (word.len(), Some(help))
        } else if rest.starts_with("//") || rest.starts_with("/*") {
            let len = if rest.starts_with("//") {
                rest.find(['\n', '\r']).unwrap_or(rest.len())
            } else {
                rest.find("*/").map_or(rest.len(), |i| i + 2)
            };
            (
                len,
                Some("JSON has no comments: remove the comment, and keep notes outside the body (a README beside the file); a field for notes would be an unknown field".into()),
            )
        } else if rest.starts_with('\'') {
            (
                1,
                Some("JSON strings and keys use double quotes: write \"…\" instead of '…'".into()),
            )
        } else if matches!(word.as_str(), "NaN" | "Infinity") || rest.starts_with("-Infinity") {
            (
                word.len()
                    .max(if rest.starts_with("-Infinity") { 9 } else { 0 }),
                Some("JSON has no NaN or Infinity; write a finite number".into()),
            )
        } else if matches!(word.as_str(), "True" | "False" | "TRUE" | "FALSE") {
            (
                word.len(),
                Some(format!(
                    "JSON literals are lower-case: write `{}`",
                    word.to_lowercase()
                )),
            )
        } else if matches!(
            word.as_str(),
            "None" | "undefined" | "nil" | "NULL" | "Null"
        ) {
            (
                word.len(),
                Some("JSON writes a missing value as `null`, or leaves the field out".into()),
            )
        } else if rest.starts_with('+') {
            (
                1,
                Some("JSON numbers have no leading '+': write the digits alone".into()),
            )
        } else if rest.starts_with('.') {
            (
                1,
                Some("JSON numbers need a digit before the point: write 0.5, not .5".into()),
            )
        } else if !word.is_empty() && expected.contains("key") {
            (
                word.len(),
                Some(format!("object keys must be quoted: write \"{word}\"")),
            )
        } else if !word.is_empty() {
            (
                word.len(),
                Some(format!("strings must be quoted: write \"{word}\"")),
            )
        } else {
            (self.char_len(), None)
        };
        ParseError {
            span: self.span(self.pos, self.pos + len),
            message,
            help,
        }
    }

    fn parse_value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(self.error_here(
                1,
                &format!("nesting deeper than {MAX_DEPTH} levels"),
                Some("a VPC channel request nests about six levels; this file is not one"),
            ));
        }
        let start = self.pos;
        match self.src.get(self.pos) {
            Some(b'{') => self.parse_object(depth),
            Some(b'[') => self.parse_array(depth),
            Some(b'"') => {
                let s = self.parse_string()?;
                Ok(Node {
                    span: self.span(start, self.pos),
                    value: Value::String(Box::from(&*s)),
                })
            }
            Some(b'-' | b'0'..=b'9') => self.parse_number(),
            Some(b't') if self.src[self.pos..].starts_with(b"true") => {
                self.literal(4, Value::Bool(true))
            }
            Some(b'f') if self.src[self.pos..].starts_with(b"false") => {
                self.literal(5, Value::Bool(false))
            }
            Some(b'n') if self.src[self.pos..].starts_with(b"null") => self.literal(4, Value::Null),
            _ => Err(self.unexpected("a value")),
        }
    }

    fn literal(&mut self, len: usize, value: Value) -> Result<Node, ParseError> {
        let start = self.pos;
        self.pos += len;
        if let Some(&b) = self.src.get(self.pos) {
            if b.is_ascii_alphanumeric() || b == b'_' {
                self.pos = start;
                return Err(self.unexpected("a value"));
            }
        }
        Ok(Node {
            span: self.span(start, self.pos),
            value,
        })
    }

    fn parse_object(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let first = self.members.len();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Node {
                span: self.span(start, self.pos),
                value: Value::Object(Box::default()),
            });
        }
        loop {
            self.skip_ws();
            if self.src.get(self.pos) != Some(&b'"') {
                if matches!(self.src.get(self.pos), Some(b'}')) && self.members.len() > first {
                    return Err(self.trailing_comma('}'));
                }
                return Err(self.unexpected("a key in double quotes"));
            }
            let key_start = self.pos;
            let key = Key::new(&self.parse_string()?);
            let key_span = self.span(key_start, self.pos);
            self.skip_ws();
            if self.src.get(self.pos) != Some(&b':') {
                let mut e = self.unexpected("':' after the key");
                if e.help.is_none() || self.src.get(self.pos) == Some(&b'"') {
                    e.help = Some(format!(
                        "write a colon between the key and its value: \"{key}\": …"
                    ));
                }
                return Err(e);
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.parse_value(depth + 1)?;
            self.members.push(Member {
                key,
                key_span,
                value,
                shadowed: false,
            });
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                }
                Some(b'}') => {
                    self.pos += 1;
                    mark_shadowed(&mut self.members[first..]);
                    let members: Box<[Member]> = self.members.drain(first..).collect();
                    return Ok(Node {
                        span: self.span(start, self.pos),
                        value: Value::Object(members),
                    });
                }
                Some(b'"') => {
                    let mut e = self.unexpected("',' or '}'");
                    e.help = Some(
                        "a comma is missing between two members: add ',' after the previous value"
                            .into(),
                    );
                    return Err(e);
                }
                None => {
                    return Err(self.error_here(
                        0,
                        "expected ',' or '}', found end of file",
                        Some("the object is not closed: add the missing '}'"),
                    ))
                }
                _ => {
                    let mut e = self.unexpected("',' or '}'");
                    if self.src.get(self.pos) == Some(&b']') {
                        e.help = Some("this ']' closes an object that was opened with '{'".into());
                    }
                    return Err(e);
                }
            }
        }
    }

    fn trailing_comma(&mut self, close: char) -> ParseError {
        // Point at the comma itself: that is what must be deleted.
        let mut i = self.pos;
        while i > 0 {
            i -= 1;
            if self.src[i] == b',' {
                break;
            }
        }
        ParseError {
            span: self.span(i, i + 1),
            message: format!("trailing comma before '{close}'"),
            help: Some("JSON does not allow a comma after the last item: remove it".into()),
        }
    }

    fn parse_array(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let first = self.items.len();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Node {
                span: self.span(start, self.pos),
                value: Value::Array(Box::default()),
            });
        }
        loop {
            self.skip_ws();
            if self.src.get(self.pos) == Some(&b']') && self.items.len() > first {
                return Err(self.trailing_comma(']'));
            }
            let item = self.parse_value(depth + 1)?;
            self.items.push(item);
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    let items: Box<[Node]> = self.items.drain(first..).collect();
                    return Ok(Node {
                        span: self.span(start, self.pos),
                        value: Value::Array(items),
                    });
                }
                None => {
                    return Err(self.error_here(
                        0,
                        "expected ',' or ']', found end of file",
                        Some("the array is not closed: add the missing ']'"),
                    ))
                }
                _ => {
                    let mut e = self.unexpected("',' or ']'");
                    if matches!(
                        self.src.get(self.pos),
                        Some(b'"' | b'{' | b'[' | b'0'..=b'9')
                    ) {
                        e.help = Some("a comma is missing between two items".into());
                    } else if self.src.get(self.pos) == Some(&b'}') {
                        e.help = Some("this '}' closes an array that was opened with '['".into());
                    }
                    return Err(e);
                }
            }
        }
    }

    fn parse_number(&mut self) -> Result<Node, ParseError> {
        let start = self.pos;
        let s = self.src;
        let mut i = self.pos;
        if s[i] == b'-' {
            i += 1;
        }
        let int_start = i;
        match s.get(i) {
            Some(b'0') => {
                i += 1;
                if matches!(s.get(i), Some(b'0'..=b'9')) {
                    return Err(ParseError {
                        span: self.span(int_start, i + 1),
                        message: "numbers cannot have leading zeros".into(),
                        help: Some("write the number without its leading zeros, or quote it if it is an identifier".into()),
                    });
                }
            }
            Some(b'1'..=b'9') => {
                while matches!(s.get(i), Some(b'0'..=b'9')) {
                    i += 1;
                }
            }
            _ => {
                self.pos = i;
                if self.text[self.pos..].starts_with("Infinity") {
                    self.pos = start;
                }
                return Err(self.unexpected("a digit"));
            }
        }
        let mut non_int = false;
        if s.get(i) == Some(&b'.') {
            non_int = true;
            i += 1;
            if !matches!(s.get(i), Some(b'0'..=b'9')) {
                self.pos = i;
                let mut e = self.unexpected("a digit after the decimal point");
                e.help = Some("write 1.0 or 1, not 1.".into());
                return Err(e);
            }
            while matches!(s.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        if matches!(s.get(i), Some(b'e' | b'E')) {
            non_int = true;
            i += 1;
            if matches!(s.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !matches!(s.get(i), Some(b'0'..=b'9')) {
                self.pos = i;
                return Err(self.unexpected("a digit in the exponent"));
            }
            while matches!(s.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        let lit = &self.text[start..i];
        let float = || match lit.parse::<f64>() {
            Ok(f) if f.is_finite() => f,
            _ if lit.starts_with('-') => -f64::MAX,
            _ => f64::MAX,
        };
        let number = if non_int {
            Number::Float(float())
        } else {
            match lit.parse::<i64>() {
                Ok(n) => Number::Int(n),
                Err(_) => Number::BigInt(float()),
            }
        };
        self.pos = i;
        Ok(Node {
            span: self.span(start, i),
            value: Value::Number(number),
        })
    }

    /// Parse a string starting at the opening quote; leaves `pos` after the closing quote.
    /// Without escapes (nearly always) the result borrows the source.
    fn parse_string(&mut self) -> Result<std::borrow::Cow<'a, str>, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let s = self.src;
        // Fast path: no escapes.
        let mut i = self.pos;
        while let Some(&b) = s.get(i) {
            if b == b'"' {
                let out = &self.text[self.pos..i];
                self.pos = i + 1;
                return Ok(std::borrow::Cow::Borrowed(out));
            }
            if b == b'\\' || b < 0x20 {
                break;
            }
            i += 1;
        }
        let mut out = String::from(&self.text[self.pos..i]);
        self.pos = i;
        loop {
            let Some(&b) = s.get(self.pos) else {
                return Err(ParseError {
                    span: self.span(open, open + 1),
                    message: "string is not closed before the end of the file".into(),
                    help: Some("add the closing '\"'".into()),
                });
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(std::borrow::Cow::Owned(out));
                }
                b'\\' => {
                    let esc_start = self.pos;
                    let Some(&e) = s.get(self.pos + 1) else {
                        self.pos += 1;
                        continue;
                    };
                    self.pos += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4(esc_start)?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if s.get(self.pos) == Some(&b'\\')
                                    && s.get(self.pos + 1) == Some(&b'u')
                                {
                                    self.pos += 2;
                                    let lo = self.hex4(esc_start)?;
                                    if !(0xDC00..0xE000).contains(&lo) {
                                        return Err(self.lone_surrogate(esc_start, hi));
                                    }
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    return Err(self.lone_surrogate(esc_start, hi));
                                }
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return Err(self.lone_surrogate(esc_start, hi));
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(c.unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            let len = self.text[esc_start + 1..]
                                .chars()
                                .next()
                                .map_or(1, char::len_utf8);
                            return Err(ParseError {
                                span: self.span(esc_start, esc_start + 1 + len),
                                message: "invalid escape sequence in string".into(),
                                help: Some("JSON knows only \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX; write a backslash as \\\\".into()),
                            });
                        }
                    }
                }
                0..=0x1f => {
                    let message = format!("control character U+{b:04X} inside a string");
                    let help = if b == b'\n' || b == b'\r' {
                        "a string cannot span lines: close it with '\"', or write the line break as \\n"
                    } else {
                        "write control characters as escapes (\\t, \\u0000)"
                    };
                    return Err(ParseError {
                        span: self.span(self.pos, self.pos + 1),
                        message,
                        help: Some(help.into()),
                    });
                }
                _ => {
                    // Copy a run of plain bytes at once; the run ends on an ASCII byte, so
                    // the slice is on char boundaries.
                    let run_start = self.pos;
                    while let Some(&c) = s.get(self.pos) {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push_str(&self.text[run_start..self.pos]);
                }
            }
        }
    }

    fn hex4(&mut self, esc_start: usize) -> Result<u32, ParseError> {
        let digits = self.src.get(self.pos..self.pos + 4);
        match digits
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| {
                u32::from_str_radix(d, 16)
                    .ok()
                    .filter(|_| d.bytes().all(|b| b.is_ascii_hexdigit()))
            }) {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => {
                // Cover `\u`, the hex digits present and the one character that is not,
                // never a part of a multi-byte character.
                let mut end = self.pos;
                while end < self.src.len()
                    && end - self.pos < 4
                    && self.src[end].is_ascii_hexdigit()
                {
                    end += 1;
                }
                if end - self.pos < 4 {
                    end += self.text[end..].chars().next().map_or(0, char::len_utf8);
                }
                Err(ParseError {
                    span: self.span(esc_start, end),
                    message: "\\u must be followed by four hexadecimal digits".into(),
                    help: Some("write the character as \\uXXXX, e.g. \\u00e9".into()),
                })
            }
        }
    }

    fn lone_surrogate(&self, esc_start: usize, unit: u32) -> ParseError {
        ParseError {
            span: self.span(esc_start, esc_start + 6),
            message: format!("lone surrogate \\u{unit:04x} is not a character"),
            help: Some("a \\uD800–\\uDFFF escape must be part of a high+low surrogate pair; strict decoders reject it".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ParseError {
        parse(text, 0).unwrap_err()
    }

    #[test]
    fn spans_cover_keys_and_values() {
        let text = r#"{"a": [1, "x"], "b\u0021": {"c": null}}"#;
        let doc = parse(text, 0).unwrap();
        let (n, key) = doc.lookup("/a/1").unwrap();
        assert_eq!(&text[n.span.start..n.span.end], "\"x\"");
        assert!(key.is_none());
        let (_, key) = doc.lookup("/b!/c").unwrap();
        assert_eq!(&text[key.unwrap().start..key.unwrap().end], "\"c\"");
    }

    #[test]
    fn escaped_keys_equal_plain_keys() {
        let doc = parse(r#"{"na\u006de": 1}"#, 0).unwrap();
        assert!(doc.get("name").is_some());
    }

    #[test]
    fn numbers_keep_their_notation() {
        let doc = parse(
            "[1, 1.0, 1e3, -0, 123456789012345678901234567890, 1e400]",
            0,
        )
        .unwrap();
        let nums: Vec<Number> = doc
            .as_array()
            .unwrap()
            .iter()
            .map(|n| *n.as_number().unwrap())
            .collect();
        assert_eq!(nums[0].int(), Some(1));
        assert!(nums[1].non_integer_notation() && nums[1].as_integral() == Some(1));
        assert_eq!(nums[2].as_integral(), Some(1000));
        assert_eq!(nums[3].int(), Some(0));
        assert_eq!(nums[4].int(), None);
        assert_eq!(nums[5].float(), f64::MAX);
    }

    #[test]
    fn helpful_syntax_errors() {
        let e = err("{\"a\": 1, // note\n}");
        assert!(e.help.unwrap().contains("no comments"));
        let e = err("{\"a\": 1,}");
        assert_eq!(e.message, "trailing comma before '}'");
        assert_eq!(e.span, Span::new(7, 8));
        assert!(err("{'a': 1}").help.unwrap().contains("double quotes"));
        assert!(err("{\"a\": NaN}").help.unwrap().contains("NaN"));
        assert!(err("{a: 1}").help.unwrap().contains("keys must be quoted"));
        assert_eq!(
            err("{\"a\": 1 \"b\": 2}").message,
            "expected ',' or '}', found '\"'"
        );
        assert!(err("").message.starts_with("empty file"));
        assert!(err("{} {}").message.contains("after the end"));
        assert!(err(r#"["\ud800"]"#).message.contains("lone surrogate"));
        assert!(err("[01]").message.contains("leading zeros"));
    }

    #[test]
    fn bad_unicode_escape_spans_whole_characters() {
        // Found by the property test: `\u` before multi-byte text.
        let text = "[\"\\u主集群\"]";
        let e = err(text);
        assert!(text.is_char_boundary(e.span.end), "{:?}", e.span);
        assert_eq!(&text[e.span.start..e.span.end], "\\u主");
        let e = err("[\"\\u12x4\"]");
        assert_eq!(e.span, Span::new(2, 7));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let e = err(&text);
        assert!(e.message.contains("nesting deeper"));
        assert_eq!(e.span.start, MAX_DEPTH);
    }

    #[test]
    fn substring_spans_follow_escapes() {
        let text = r#"["200,\u0032\u0030\u0031,x"]"#;
        let doc = parse(text, 0).unwrap();
        let node = &doc.as_array().unwrap()[0];
        assert_eq!(node.as_str(), Some("200,201,x"));
        let s = string_subspan(text, node, 4..7);
        assert_eq!(&text[s.start..s.end], r"\u0032\u0030\u0031");
        let s = string_subspan(text, node, 8..9);
        assert_eq!(&text[s.start..s.end], "x");
        let plain = r#"["200,x"]"#;
        let doc = parse(plain, 0).unwrap();
        let s = string_subspan(plain, &doc.as_array().unwrap()[0], 4..5);
        assert_eq!(&plain[s.start..s.end], "x");
    }

    #[test]
    fn base_offset_shifts_spans() {
        let doc = parse("{}", 3).unwrap();
        assert_eq!(doc.span, Span::new(3, 5));
    }
}

//! A. Reading the file: encoding, syntax, duplicate keys and number notation.
//!
//! These rules see the bytes and the spanned tree before any schema does. A file that is
//! not UTF-8 or not JSON stops here with exactly one diagnostic: nothing after it could be
//! trusted.

use super::Rule;
use crate::diagnostic::Fixable;
use crate::diagnostic::{escape_token, Diagnostic, Severity, Span};
use crate::json::{Node, ParseError, Tree, Value};
use crate::operation::Operation;
use serde_json::Value as J;

pub static INVALID_JSON: Rule = Rule {
    name: "invalid-json",
    default_severity: Severity::Error,
    group: "reading",
    summary: "The file is not a JSON text",
    what: "Reports the first syntax error, at the exact character, saying what was expected there (`expected ',' or '}'`). Empty files and content after the top-level value are errors too. Comments, trailing commas, single quotes, NaN/Infinity and unquoted keys get a help of their own.",
    why: "The API cannot parse the body and answers 400 before looking at any field.",
    bad: "{ \"name\": \"web\", // our main channel\n  \"port\": 80, }",
    good: "{ \"name\": \"web\", \"port\": 80 }",
    source: "The request body is JSON (RFC 8259), as in the reference's Example Requests.",    example_operation: None,
    fix: Fixable::No,
};

pub static INVALID_ENCODING: Rule = Rule {
    name: "invalid-encoding",
    default_severity: Severity::Error,
    group: "reading",
    summary: "The file is not UTF-8",
    what: "Reports a file that is not valid UTF-8 (UTF-16, Latin-1, stray binary bytes), pointing at the first bad byte.",
    why: "JSON exchanged between systems must be UTF-8 (RFC 8259 §8.1); the API would reject or garble the body, and Chinese names would arrive corrupted.",
    bad: "{ \"name\": \"caf\\xE9\" }   (Latin-1 é byte)",
    good: "{ \"name\": \"café\" }     (saved as UTF-8)",
    source: "NOTE: Chinese characters must be in UTF-8 or Unicode format.",    example_operation: None,
    fix: Fixable::No,
};

pub static BYTE_ORDER_MARK: Rule = Rule {
    name: "byte-order-mark",
    default_severity: Severity::Warning,
    group: "reading",
    summary: "The file starts with a UTF-8 byte-order mark",
    what: "Reports a file that starts with the UTF-8 byte-order mark EF BB BF.",
    why: "RFC 8259 forbids adding a BOM to JSON text; strict decoders reject it, and tools that concatenate or diff the file show an invisible character.",
    bad: "\u{FEFF}{ \"name\": \"web\" }",
    good: "{ \"name\": \"web\" }",
    source: "RFC 8259 §8.1: Implementations MUST NOT add a byte order mark (U+FEFF) to the beginning of a networked-transmitted JSON text.",    example_operation: None,
    fix: Fixable::No,
};

pub static DUPLICATE_KEY: Rule = Rule {
    name: "duplicate-key",
    default_severity: Severity::Error,
    group: "reading",
    summary: "A key appears twice in one object",
    what: "Reports every later occurrence of a key already present in the same object (keys compared after unescaping, so `\"na\\u006de\"` is `name`), with a label on the first occurrence.",
    why: "Decoders silently keep one of the two values (usually the last), so the request sent is not the one you read.",
    bad: r#"{ "port": 80, "name": "web", "port": 8080 }"#,
    good: r#"{ "name": "web", "port": 8080 }"#,
    source: "RFC 8259 §4: The names within an object SHOULD be unique; when they are not, the behavior of software that receives such an object is unpredictable.",    example_operation: None,
    fix: Fixable::No,
};

pub static NON_INTEGER_NUMBER: Rule = Rule {
    name: "non-integer-number",
    default_severity: Severity::Error,
    group: "reading",
    summary: "An Integer field is written as 1.0 or 1e3",
    what: "Reports an integral value written in non-integer notation (`5.0`, `1e3`) where the API expects an Integer. A true fraction (`5.5`) is `wrong-type`; a plain integer outside the field's range is `out-of-range`.",
    why: "JSON Schema counts `5.0` as an integer, but strict decoders (Go's, Java's) reject it for an int field.",
    bad: r#"{ "port": 80.0, "vpc_health_config": { "timeout": 5e0 } }"#,
    good: r#"{ "port": 80, "vpc_health_config": { "timeout": 5 } }"#,
    source: "Type: Integer (port, balance_strategy, weight, thresholds, time_interval, timeout, …).",    example_operation: None,
    fix: Fixable::Safe,
};

/// The text to parse and its offset in the file, or the one diagnostic that ends reading.
pub struct Decoded<'a> {
    pub text: &'a str,
    pub base: usize,
    pub bom: Option<Diagnostic>,
}

/// Check the encoding. UTF-16 gets its own message because Windows editors produce it.
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, Box<Diagnostic>> {
    let utf16 = |which: &str| {
        Diagnostic::new(
            &INVALID_ENCODING,
            "",
            Span::new(0, 2.min(bytes.len())),
            format!("the file is encoded as {which}, not UTF-8"),
        )
        .primary("UTF-16 byte-order mark")
        .help("save the file as UTF-8 without a byte-order mark")
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Err(Box::new(utf16("UTF-16LE")));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Box::new(utf16("UTF-16BE")));
    }
    // UTF-16 without a BOM: ASCII JSON then has a NUL beside every character.
    if bytes.len() >= 4
        && ((bytes[0] != 0 && bytes[1] == 0 && bytes[3] == 0)
            || (bytes[0] == 0 && bytes[2] == 0 && bytes[1] != 0))
    {
        let le = bytes[1] == 0;
        return Err(Box::new(
            Diagnostic::new(
                &INVALID_ENCODING,
                "",
                Span::new(0, 2),
                format!(
                    "the file looks like UTF-16{} without a byte-order mark, not UTF-8",
                    if le { "LE" } else { "BE" }
                ),
            )
            .primary("NUL byte beside an ASCII character")
            .help("save the file as UTF-8"),
        ));
    }
    let (base, bom) = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        let d = Diagnostic::new(
            &BYTE_ORDER_MARK,
            "",
            Span::new(0, 3),
            "the file starts with a UTF-8 byte-order mark",
        )
        .primary("U+FEFF")
        .help("remove the byte-order mark: save as UTF-8 without BOM");
        (3, Some(d))
    } else {
        (0, None)
    };
    match std::str::from_utf8(&bytes[base..]) {
        Ok(text) => Ok(Decoded { text, base, bom }),
        Err(e) => {
            let at = base + e.valid_up_to();
            let bad = e.error_len().unwrap_or(bytes.len() - at);
            let byte = bytes[at];
            let guess = if (0xA0..=0xFF).contains(&byte) {
                format!(" (0x{byte:02X} is '{}' in Latin-1; the file is probably Latin-1 or Windows-1252)", char::from(byte))
            } else {
                String::new()
            };
            Err(Box::new(
                Diagnostic::new(
                    &INVALID_ENCODING,
                    "",
                    Span::new(at, at + bad),
                    format!("invalid UTF-8: byte 0x{byte:02X} at offset {at}{guess}"),
                )
                .primary("not UTF-8")
                .help("re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"),
            ))
        }
    }
}

pub fn syntax_error(e: ParseError) -> Diagnostic {
    Diagnostic::new(&INVALID_JSON, "", e.span, e.message)
        .primary("here")
        .maybe_help(e.help)
}

/// What the walk needs of the schema, looked up once: which fields are Integers. (Looking
/// the subschema up in the `serde_json` schema per key was 12% of a large run.)
struct Shape {
    integer: bool,
    props: Vec<(String, Shape)>,
    items: Option<Box<Shape>>,
}

impl Shape {
    fn of(s: &J) -> Shape {
        Shape {
            integer: s.get("type").and_then(J::as_str) == Some("integer"),
            props: s
                .get("properties")
                .and_then(J::as_object)
                .map(|p| p.iter().map(|(k, v)| (k.clone(), Shape::of(v))).collect())
                .unwrap_or_default(),
            items: s.get("items").map(|i| Box::new(Shape::of(i))),
        }
    }
    fn prop(&self, key: &str) -> Option<&Shape> {
        self.props.iter().find(|(k, _)| k == key).map(|(_, s)| s)
    }
}

fn shape(op: &Operation) -> &'static Shape {
    static SHAPES: [std::sync::OnceLock<Shape>; crate::operation::COUNT] =
        [const { std::sync::OnceLock::new() }; crate::operation::COUNT];
    SHAPES[op.index].get_or_init(|| Shape::of(crate::schema::json(op)))
}

/// One walk over the tree for the rules that look at every key and number: repeated keys
/// and Integers written as `5.0`. The parser knows whether the document has either at all;
/// most have neither, and are not walked.
pub fn check_tree(op: &Operation, tree: &Tree<'_>, out: &mut Vec<Diagnostic>) {
    if !tree.has_repeated_keys() && !tree.has_float_notation() {
        return;
    }
    let mut path: Vec<Token<'_>> = Vec::new();
    walk(tree.root(), Some(shape(op)), &mut path, out);
}

#[derive(Clone, Copy)]
enum Token<'a> {
    Key(&'a str),
    Index(usize),
}

fn pointer_of(path: &[Token<'_>], last: Option<Token<'_>>) -> String {
    let mut p = String::new();
    for t in path.iter().chain(last.as_ref()) {
        p.push('/');
        match t {
            Token::Key(k) => p.push_str(&escape_token(k)),
            Token::Index(i) => p.push_str(&i.to_string()),
        }
    }
    p
}

fn walk<'a>(
    node: Node<'a>,
    schema: Option<&'static Shape>,
    path: &mut Vec<Token<'a>>,
    out: &mut Vec<Diagnostic>,
) {
    match node.value() {
        Value::Object(members) => {
            check_duplicates(members, path, out);
            for m in members {
                path.push(Token::Key(m.key()));
                walk(m.value(), schema.and_then(|s| s.prop(m.key())), path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.items.as_deref());
            for (i, item) in items.iter().enumerate() {
                path.push(Token::Index(i));
                walk(item, item_schema, path, out);
                path.pop();
            }
        }
        Value::Number(n) => {
            let wants_int = schema.is_some_and(|s| s.integer);
            // Integral in value but not in notation: 5.0, 1e3, and 1e400 (integral, and far
            // beyond any Integer's range). A true fraction is the schema's wrong-type.
            if wants_int && n.non_integer_notation() && n.float().fract() == 0.0 {
                let p = pointer_of(path, None);
                let field = crate::schema::display_path(&p);
                let d = Diagnostic::new(
                    &NON_INTEGER_NUMBER,
                    p,
                    node.span(),
                    format!("`{field}` is an Integer but is written in non-integer notation"),
                )
                .primary("not integer notation");
                // The same number in integer notation: certain, so the help's "write 5" is
                // what `--fix` does.
                out.push(match n.as_integral() {
                    Some(v) => d.help(format!("write {v}")).safe_fix(
                        format!("Write {v}"),
                        node.span(),
                        v.to_string(),
                    ),
                    None => d.help("write a plain integer within the field's range"),
                });
            }
        }
        _ => {}
    }
}

fn check_duplicates<'a>(
    members: crate::json::Members<'a>,
    path: &[Token<'a>],
    out: &mut Vec<Diagnostic>,
) {
    // A repeated key shadows its earlier occurrence (the parser marked it): none, no work.
    if !members.iter().any(|m| m.shadowed()) {
        return;
    }
    let mut report = |first: Span, m: crate::json::Member<'a>| {
        out.push(
            Diagnostic::new(
                &DUPLICATE_KEY,
                pointer_of(path, Some(Token::Key(m.key()))),
                m.key_span(),
                format!("duplicate key `{}`", m.key()),
            )
            .primary("repeated here")
            .label(first, "first defined here")
            .help("decoders keep only one of the values (usually the last); remove one of them"),
        );
    };
    if members.len() <= 16 {
        for (i, m) in members.iter().enumerate() {
            if let Some(first) = members.iter().take(i).find(|o| o.key() == m.key()) {
                report(first.key_span(), m);
            }
        }
    } else {
        let mut seen: hashbrown::HashMap<&str, Span> =
            hashbrown::HashMap::with_capacity(members.len());
        for m in members {
            match seen.get(m.key()) {
                Some(&first) => report(first, m),
                None => {
                    seen.insert(m.key(), m.key_span());
                }
            }
        }
    }
}

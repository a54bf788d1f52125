//! Every rule vpclint knows, declared once.
//!
//! Each group of the catalogue has its own module, and each rule is one `pub static` [`Rule`]
//! there: name, default severity, summary and long docs side by side with the code that
//! checks it. [`ALL`] collects them; `vpclint rules`, `vpclint explain`, SARIF rule metadata
//! and the README table are all generated from it, so they cannot drift.
//!
//! | module        | catalogue section                                  |
//! |---------------|----------------------------------------------------|
//! | [`reading`]   | A. Reading the file (parse errors, encoding, keys) |
//! | [`shape`]     | B. Shape: the JSON Schema pass                     |
//! | [`channel`]   | C. Channel type resolution                         |
//! | [`backends`]  | D. Members and member groups                       |
//! | [`health`]    | E. Health check                                    |
//! | [`registry`]  | F. Microservice registry                           |
//! | [`secrets`]   | G. Secrets, and checks across files                |
//! | [`config`]    | vpclint's own configuration (`vpclint.toml`)        |

pub mod backends;
pub mod channel;
pub mod config;
pub mod health;
pub mod http;
pub mod operations;
pub mod reading;
pub mod registry;
pub mod secrets;
pub mod shape;

use crate::diagnostic::{Diagnostic, Span};
use crate::json::{Items, Node};
use crate::operation::{Layout, Operation};

pub use crate::diagnostic::Rule;

/// Every rule, in catalogue order.
pub static ALL: &[&Rule] = &[
    &reading::INVALID_JSON,
    &reading::INVALID_ENCODING,
    &reading::BYTE_ORDER_MARK,
    &reading::DUPLICATE_KEY,
    &reading::NON_INTEGER_NUMBER,
    &shape::UNKNOWN_FIELD,
    &shape::MISSING_FIELD,
    &shape::WRONG_TYPE,
    &shape::INVALID_VALUE,
    &shape::OUT_OF_RANGE,
    &shape::INVALID_FORMAT,
    &shape::INSTANCE_IDS_COUNT,
    &shape::DUPLICATE_INSTANCE_ID,
    &shape::NULL_VALUE,
    &channel::CHANNEL_TYPE_CONFLICT,
    &channel::DEPRECATED_TYPE,
    &channel::MICROSERVICE_TYPE_WITHOUT_INFO,
    &channel::MISSING_MICROSERVICE_INFO,
    &channel::MICROSERVICE_INFO_IGNORED,
    &backends::MEMBER_GROUP_NOT_FOUND,
    &backends::DUPLICATE_MEMBER_GROUP,
    &backends::MEMBER_MISSING_HOST,
    &backends::MEMBER_MISSING_ECS,
    &backends::MEMBER_HOST_FORMAT,
    &backends::MEMBER_FIELD_IGNORED,
    &backends::MEMBER_WEIGHT_IGNORED,
    &backends::DUPLICATE_MEMBER,
    &backends::ALL_MEMBERS_BACKUP,
    &backends::MEMBERS_IGNORED_FOR_REFERENCE,
    &backends::MICROSERVICE_GROUP_FIELD_IGNORED,
    &backends::REFERENCE_ID_IGNORED,
    &backends::MISSING_REFERENCE_ID,
    &backends::NACOS_GROUP_WEIGHT,
    &backends::DUPLICATE_LABEL,
    &backends::DICT_CODE_UNSUPPORTED,
    &health::HEALTH_TIMEOUT_NOT_BELOW_INTERVAL,
    &health::HEALTH_MISSING_PATH,
    &health::HEALTH_PATH_FORMAT,
    &health::HEALTH_MISSING_HTTP_CODE,
    &health::HEALTH_HTTP_CODE_SYNTAX,
    &health::HEALTH_HTTP_CODE_RANGE,
    &health::HEALTH_HTTP_CODE_OVERLAP,
    &health::HEALTH_HTTP_FIELD_IGNORED,
    &health::HEALTH_CLIENT_SSL_IGNORED,
    &registry::MICROSERVICE_UNSUPPORTED,
    &registry::MISSING_REGISTRY_INFO,
    &registry::REGISTRY_INFO_IGNORED,
    &registry::NACOS_GRPC_PORT_OUT_OF_RANGE,
    &registry::DUPLICATE_NACOS_SERVER,
    &secrets::PLAINTEXT_SECRET,
    &secrets::DUPLICATE_CHANNEL_NAME,
    &operations::EMPTY_MEMBERS_UPDATE,
    &operations::MEMBER_OUTSIDE_GROUP,
    &operations::DUPLICATE_MEMBER_ID,
    &http::UNKNOWN_OPERATION,
    &http::METHOD_MISMATCH,
    &http::WRONG_CONTENT_TYPE,
    &http::MISSING_BODY,
    &config::UNUSED_IGNORE,
];

/// A rule by its name, or by a prefix that only one rule's name has (`explain health-t`).
pub fn find(name: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.name == name)
}

/// Rules whose names start with `prefix`, for `explain` and `rules` (exact names first).
pub fn with_prefix(prefix: &str) -> Vec<&'static Rule> {
    if let Some(r) = find(prefix) {
        return vec![r];
    }
    ALL.iter()
        .copied()
        .filter(|r| r.name.starts_with(prefix))
        .collect()
}

/// The groups, in catalogue order (`--deny health`, `[rules] backends = "off"`).
pub fn groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in ALL {
        if !out.contains(&r.group) {
            out.push(r.group);
        }
    }
    out
}

/// The closest rule names to a misspelt one, for "unknown rule" errors.
pub fn closest_names(name: &str) -> Vec<&'static str> {
    let mut scored: Vec<(f64, &'static str)> = ALL
        .iter()
        .map(|r| r.name)
        .chain(groups())
        // `--deny warning` means `--deny warnings`.
        .chain(["warnings"])
        .map(|n| (strsim::jaro_winkler(name, n), n))
        .filter(|(s, _)| *s > 0.75)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// What the cross-field rules share about one document.
pub struct Ctx<'a> {
    /// The body's typed parts, read once by [`run_cross_field`]: what the cross-field rules
    /// read (the tree itself is `body.root`, for the schema pass).
    pub body: crate::view::Body<'a>,
    /// What the body is: its schema, and where its components sit.
    pub op: &'static Operation,
    pub layout: Layout,
    /// The whole file as text (BOM included), for sub-string spans.
    pub text: &'a str,
    /// The instance-ID quota (`PROJECT_VPC_OPERATOR_NUM_LIMIT`) the settings give.
    pub instance_ids_limit: usize,
    /// `None` when `vpc_channel_type` holds an invalid value: type-dependent rules stay
    /// silent rather than guess.
    pub channel: Option<crate::view::Effective>,
    /// Blocks reported as ignored as a whole: their contents get no further cross-field
    /// findings ("one finding per cause"); schema errors and secrets are still reported.
    pub members_ignored: bool,
    pub microservice_info_ignored: bool,
    /// The body comes from a request file: a string holding `{{…}}` is a value the client
    /// substitutes, unknown here.
    pub placeholders: bool,
    pub out: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        doc: Node<'a>,
        text: &'a str,
        instance_ids_limit: usize,
        op: &'static Operation,
    ) -> Self {
        let layout = op.layout();
        Ctx {
            // Read by `run_cross_field`: the schema pass, which shares this type, needs no
            // view.
            body: crate::view::Body::unread(doc),
            op,
            layout,
            text,
            instance_ids_limit,
            channel: None,
            members_ignored: false,
            microservice_info_ignored: false,
            placeholders: false,
            out: Vec::new(),
        }
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }
    /// Is this string a value the request file's client fills in (`"{{backend_ip}}"`)?
    pub fn is_unknown(&self, s: &str) -> bool {
        self.placeholders && has_placeholder(s)
    }
}

/// Run the cross-field rules (sections C–G) on a document that parsed.
pub fn run_cross_field(ctx: &mut Ctx<'_>) {
    ctx.body = crate::view::read(ctx.body.root, ctx.layout);
    ctx.channel = ctx.body.channel.and_then(|c| c.effective);
    // The channel type, the registry and the Nacos password exist only in a whole
    // channel's body; the backend and health rules run wherever their components sit.
    if ctx.layout.channel {
        channel::check(ctx);
    }
    backends::check(ctx);
    health::check(ctx);
    if ctx.layout.channel {
        registry::check(ctx);
        secrets::check(ctx);
    }
    operations::check(ctx);
    if ctx.op.is_update() {
        // An update never changes the channel's type (the SDK: "修改负载通道时vpc通道类型不会
        // 修改"): what depends on the type is judged on the type the body states, and says so.
        for d in &mut ctx.out {
            if TYPE_DEPENDENT.iter().any(|r| std::ptr::eq(*r, d.rule)) {
                d.message.push_str(
                    " (assuming the channel type this body states: an update does not change it)",
                );
            }
        }
    }
}

/// Does the string hold a `{{…}}` placeholder?
pub fn has_placeholder(s: &str) -> bool {
    s.find("{{").is_some_and(|i| s[i + 2..].contains("}}"))
}

/// Rules whose findings follow from the effective channel type.
static TYPE_DEPENDENT: &[&Rule] = &[
    &channel::MICROSERVICE_TYPE_WITHOUT_INFO,
    &channel::MICROSERVICE_INFO_IGNORED,
    &backends::MEMBERS_IGNORED_FOR_REFERENCE,
    &backends::MEMBER_WEIGHT_IGNORED,
    &backends::MICROSERVICE_GROUP_FIELD_IGNORED,
    &backends::REFERENCE_ID_IGNORED,
    &backends::MISSING_REFERENCE_ID,
];

pub use crate::base::did_you_mean;

/// A character as a person can identify it: visible ones quoted, invisible or confusable
/// ones by code point and name (a no-break space looks like a space but is not one).
pub fn describe_char(c: char) -> String {
    let name = match c {
        ' ' => return "a space".into(),
        '\t' => "CHARACTER TABULATION",
        '\n' => "LINE FEED",
        '\r' => "CARRIAGE RETURN",
        '\u{a0}' => "NO-BREAK SPACE",
        '\u{ad}' => "SOFT HYPHEN",
        '\u{2002}' => "EN SPACE",
        '\u{2003}' => "EM SPACE",
        '\u{2009}' => "THIN SPACE",
        '\u{200b}' => "ZERO WIDTH SPACE",
        '\u{200c}' => "ZERO WIDTH NON-JOINER",
        '\u{200d}' => "ZERO WIDTH JOINER",
        '\u{2010}' => "HYPHEN",
        '\u{2011}' => "NON-BREAKING HYPHEN",
        '\u{2013}' => "EN DASH",
        '\u{2014}' => "EM DASH",
        '\u{202f}' => "NARROW NO-BREAK SPACE",
        '\u{2060}' => "WORD JOINER",
        '\u{3000}' => "IDEOGRAPHIC SPACE",
        '\u{feff}' => "ZERO WIDTH NO-BREAK SPACE",
        '\u{ff0e}' => "FULLWIDTH FULL STOP",
        '\u{3002}' => "IDEOGRAPHIC FULL STOP",
        c if c.is_whitespace() || c.is_control() => "",
        c => return format!("'{c}'"),
    };
    if name.is_empty() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} {name}", c as u32)
    }
}

/// A list of string IDs (`instance_ids`, `member_ids`) with a rule for repeats: one
/// diagnostic per later occurrence, labelled at the first, with a safe fix that removes it
/// from the end of the previous item (so the separating comma goes too). Hash-based.
pub(crate) fn repeated_ids(
    rule: &'static Rule,
    items: Items<'_>,
    pointer: &str,
    what: &str,
    out: &mut Vec<Diagnostic>,
) {
    let mut first: hashbrown::HashMap<&str, Span> = hashbrown::HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        // Non-strings are a wrong-type already.
        let Some(id) = item.as_str() else { continue };
        match first.get(id) {
            Some(&span) => out.push(
                Diagnostic::new(
                    rule,
                    format!("{pointer}/{i}"),
                    item.span(),
                    format!("{what} \"{id}\" is listed twice"),
                )
                .primary("duplicate")
                .label(span, "first listed here")
                .help("remove the duplicate ID")
                .safe_fix(
                    format!("Remove the duplicate {what}"),
                    Span::new(
                        items.get(i - 1).map_or(0, |p| p.span().end),
                        item.span().end,
                    ),
                    "",
                ),
            ),
            None => {
                first.insert(id, item.span());
            }
        }
    }
}

/// Span helper: a member's key span, or the value span when it has no key.
pub fn key_or_value(doc: Node<'_>, pointer: &str) -> Span {
    match doc.lookup(pointer) {
        Some((_, Some(k))) => k,
        Some((n, None)) => n.span(),
        None => doc.span(),
    }
}

/// The smallest request the API accepts; `explain` examples are fragments completed with it.
pub const EXAMPLE_BASE: &str = r#"{"name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip", "vpc_health_config": {"protocol": "TCP", "threshold_normal": 2, "threshold_abnormal": 3, "time_interval": 10, "timeout": 5}, "instance_ids": ["eea73cde015940908ae0117d67bf7330"]}"#;

/// A rule example as the complete request it stands for: a fragment is merged into
/// [`EXAMPLE_BASE`] (objects key by key, everything else replaced); a fragment that names the
/// channel and its balance strategy at the top is already a whole request. `None` when the example is not
/// one JSON body (a broken file, two files, a config).
pub fn example_body(fragment: &str) -> Option<String> {
    let frag_tree = crate::json::parse(fragment, 0).ok()?;
    let frag = frag_tree.root();
    frag.as_object()?;
    if frag.member_raw("name").is_some() && frag.member_raw("balance_strategy").is_some() {
        return Some(fragment.to_owned());
    }
    let base = crate::json::parse(EXAMPLE_BASE, 0).expect("valid base");
    let mut out = String::new();
    merge_into(base.root(), EXAMPLE_BASE, Some(frag), fragment, &mut out);
    Some(out)
}

fn merge_into(
    base: Node<'_>,
    base_text: &str,
    frag: Option<Node<'_>>,
    frag_text: &str,
    out: &mut String,
) {
    let raw = |n: Node<'_>, t: &str| t[n.span().start..n.span().end].to_owned();
    let (Some(b), Some(f)) = (base.as_object(), frag.and_then(Node::as_object)) else {
        match frag {
            Some(f) => out.push_str(&raw(f, frag_text)),
            None => out.push_str(&raw(base, base_text)),
        }
        return;
    };
    out.push('{');
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !first {
            out.push_str(", ");
        }
        first = false;
    };
    for m in b
        .iter()
        .filter(|m| frag.and_then(|f| f.member_raw(m.key())).is_none())
    {
        sep(out);
        out.push_str(&raw_key(m, base_text));
        merge_into(m.value(), base_text, None, frag_text, out);
    }
    for m in f {
        sep(out);
        out.push_str(&raw_key(m, frag_text));
        match base.member_raw(m.key()) {
            Some(bm) => merge_into(bm.value(), base_text, Some(m.value()), frag_text, out),
            None => out.push_str(&raw(m.value(), frag_text)),
        }
    }
    out.push('}');
}

fn raw_key(m: crate::json::Member<'_>, text: &str) -> String {
    format!("{}: ", &text[m.key_span().start..m.key_span().end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let mut names: Vec<_> = ALL.iter().map(|r| r.name).collect();
        assert!(names
            .iter()
            .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')));
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn every_rule_is_documented() {
        for r in ALL {
            for (what, text) in [
                ("summary", r.summary),
                ("what", r.what),
                ("why", r.why),
                ("bad", r.bad),
                ("good", r.good),
                ("source", r.source),
            ] {
                assert!(!text.trim().is_empty(), "{} has no {what}", r.name);
            }
            assert_ne!(r.bad, r.good, "{}", r.name);
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("time_intervall", ["timeout", "time_interval"]),
            Some("time_interval")
        );
        assert_eq!(did_you_mean("Name", ["name", "port"]), Some("name"));
        assert_eq!(did_you_mean("zzz", ["name", "port"]), None);
        assert_eq!(closest_names("duplicate-keys")[0], "duplicate-key");
    }
}

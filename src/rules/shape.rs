//! B. Shape: the JSON Schema pass.
//!
//! The schema in `schema/` (embedded at build time) is validated with the `jsonschema`
//! crate; each validator error is then translated into a catalogue rule with a message
//! written for people. The validator's own text and the regexes never reach the user: the
//! words come from the schema's `description`, `enumDescriptions` and `patternErrorMessage`.
//! The schema is inlined (no `$ref`), so an instance pointer walks straight to its subschema.

use super::{did_you_mean, Ctx, Rule};
use crate::diagnostic::Fixable;
use crate::diagnostic::{Applicability, Fix};
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::json::{child_pointer, Items, Member, Node, Value};
use crate::operation::Operation;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value as J;
use std::collections::{HashMap, HashSet};

pub static UNKNOWN_FIELD: Rule = Rule {
    name: "unknown-field",
    default_severity: Severity::Error,
    group: "shape",
    summary: "A key the API does not define, at any depth",
    what: "Reports every object key that the request body of \"Create a VPC channel in a project\" does not define, at any depth, with the closest known key as a suggestion (case slips included: `Name` → `name`).",
    why: "The API rejects unknown parameters, and a misspelt optional key (`time_intervall`) would otherwise be dropped silently while the field you meant keeps its default.",
    bad: r#"{ "vpc_health_config": { "time_intervall": 10 } }"#,
    good: r#"{ "vpc_health_config": { "time_interval": 10 } }"#,
    source: "Table 3 Request body parameters (and Tables 4–14) list every parameter the request accepts.",    example_operation: None,
    fix: Fixable::Unsafe,
};

pub static MISSING_FIELD: Rule = Rule {
    name: "missing-field",
    default_severity: Severity::Error,
    group: "shape",
    summary: "A required field is absent",
    what: "Reports a required field that is absent. Required: root `name, port, balance_strategy, member_type, instance_ids`; member group `member_group_name`; label `label_name, label_value`; health check `protocol, threshold_normal, threshold_abnormal, time_interval, timeout`; `cse_info` `engine_id, service_id`; `cce_info` `cluster_id, namespace, workload_type`; `cce_service_info` `cluster_id, namespace, service_name`; `nacos_info` `service_name, server_config, user_info`; server config `ip_address, port`; user info `user_name, password`. Points at the object that lacks the field.",
    why: "The API answers `APIG.2011 The request parameters must be specified` and creates nothing.",
    bad: r#"{ "name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip" }"#,
    good: r#"{ "name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip", "instance_ids": ["eea73cde015940908ae0117d67bf7330"] }"#,
    source: "Mandatory: Yes (Tables 3–14).",    example_operation: None,
    fix: Fixable::No,
};

pub static WRONG_TYPE: Rule = Rule {
    name: "wrong-type",
    default_severity: Severity::Error,
    group: "shape",
    summary: "A value has the wrong JSON type",
    what: "Reports a value whose JSON type differs from the one the API defines: a quoted number (`\"port\": \"80\"`), a quoted boolean, an object where an array is expected, a fraction where an Integer is expected.",
    why: "The API parses the body strictly; a string where an Integer is expected is a 400 error.",
    bad: r#"{ "port": "80", "members": [{ "host": "10.0.0.5", "is_backup": "true" }] }"#,
    good: r#"{ "port": 80, "members": [{ "host": "10.0.0.5", "is_backup": false }] }"#,
    source: "The Type column of Tables 3–14 (String, Integer, Boolean, Array, object).",    example_operation: None,
    fix: Fixable::Safe,
};

pub static INVALID_VALUE: Rule = Rule {
    name: "invalid-value",
    default_severity: Severity::Error,
    group: "shape",
    summary: "A value is not one of the allowed values",
    what: "Reports a value outside its enumeration: balance_strategy 1–4, member_type `ip|ecs`, type `2|3`, vpc_channel_type `builtin|microservice|reference`, status `1|2`, protocol `TCP|HTTP|HTTPS` (case-insensitive), method `GET|HEAD`, service_type `CSE|CCE|CCE_SERVICE|NACOS`, workload_type `deployment|statefulset|daemonset`. Lists the allowed values with their meanings and suggests the closest string.",
    why: "An unknown enumeration value is rejected by the API, or worse, silently mapped to a default.",
    bad: r#"{ "balance_strategy": 5, "member_type": "IP" }"#,
    good: r#"{ "balance_strategy": 1, "member_type": "ip" }"#,
    source: "balance_strategy: 1: WRR, 2: WLC, 3: SH, 4: URI hashing. member_type: ip, ecs.",    example_operation: None,
    fix: Fixable::Safe,
};

pub static OUT_OF_RANGE: Rule = Rule {
    name: "out-of-range",
    default_severity: Severity::Error,
    group: "shape",
    summary: "A number (or an array's size) is outside its range",
    what: "Reports a number outside its range (port 1–65535, members[].weight 0–10000, member_group_weight 0–100, thresholds 1–10, time_interval 5–300, timeout 2–30, …) and arrays whose size is outside its range (server_config 1–9).",
    why: "The API rejects out-of-range values; a port of 70000 or a timeout of 60 s never reaches the backend.",
    bad: r#"{ "port": 70000, "vpc_health_config": { "threshold_normal": 0 } }"#,
    good: r#"{ "port": 8080, "vpc_health_config": { "threshold_normal": 2 } }"#,
    source: "port: The value ranges from 1 to 65535. (Other ranges from Huawei's published API definition.)",    example_operation: None,
    fix: Fixable::No,
};

pub static INVALID_FORMAT: Rule = Rule {
    name: "invalid-format",
    default_severity: Severity::Error,
    group: "shape",
    summary: "A string breaks its pattern or length",
    what: "Reports a string that breaks its pattern or length: name and member_group_name (3–64, a letter first, then letters, digits, `-_.`), dict_code, label names and values, ECS IDs and names, CCE and Nacos identifiers, Nacos service names, IP addresses, user names and passwords. The message states the rule in words.",
    why: "The API validates these strings and answers 400 for a name like `1st-channel`.",
    bad: r#"{ "name": "1st channel" }"#,
    good: r#"{ "name": "first-channel" }"#,
    source: "name: It can contain 3 to 64 characters, starting with a letter. Only letters, digits, hyphens (-), underscores (_), and periods (.) are allowed.",    example_operation: None,
    fix: Fixable::No,
};

pub static NULL_VALUE: Rule = Rule {
    name: "null-value",
    default_severity: Severity::Warning,
    group: "shape",
    summary: "An optional field is null",
    what: "Reports an optional field whose value is `null`. vpclint then treats the field as absent, as the API does, so no other rule reports it. A required field that is `null`, and `null` inside an array (`\"instance_ids\": [null]`), are `wrong-type` errors instead.",
    why: "Go and Java serialisers send `\"members\": null` for unset lists and the API accepts it, but `null` says nothing a reader can check: leaving the field out says the same, plainly.",
    bad: r#"{ "name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip", "instance_ids": ["eea73cde015940908ae0117d67bf7330"], "members": null }"#,
    good: r#"{ "name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip", "instance_ids": ["eea73cde015940908ae0117d67bf7330"] }"#,
    source: "RULES.md revision 2: an optional field whose value is null is treated as absent.",    example_operation: None,
    fix: Fixable::Safe,
};

pub static INSTANCE_IDS_COUNT: Rule = Rule {
    name: "instance-ids-count",
    default_severity: Severity::Error,
    group: "shape",
    summary: "instance_ids has fewer than 1 or more than 10 items",
    what: "Reports an `instance_ids` array with no item or with more items than the quota (10 by default; a raised quota is set with `instance-ids-limit` in vpclint.toml).",
    why: "The API refuses to create a channel bound to no instance, and refuses more instances than the project quota PROJECT_VPC_OPERATOR_NUM_LIMIT allows.",
    bad: r#"{ "instance_ids": [] }"#,
    good: r#"{ "instance_ids": ["eea73cde015940908ae0117d67bf7330"] }"#,
    source: "instance_ids: IDs of associated instances (specify 1 to 10 IDs). To increase the quota, contact technical support to modify PROJECT_VPC_OPERATOR_NUM_LIMIT.",    example_operation: None,
    fix: Fixable::No,
};

pub static DUPLICATE_INSTANCE_ID: Rule = Rule {
    name: "duplicate-instance-id",
    default_severity: Severity::Error,
    group: "shape",
    summary: "The same instance ID appears twice in instance_ids",
    what: "Reports each later occurrence of an instance ID already listed in `instance_ids`, with a label on the first.",
    why: "A channel cannot be associated twice with the same instance; the duplicate also counts against the 10-ID quota.",
    bad: r#"{ "instance_ids": ["eea73cde015940908ae0117d67bf7330", "eea73cde015940908ae0117d67bf7330"] }"#,
    good: r#"{ "instance_ids": ["eea73cde015940908ae0117d67bf7330"] }"#,
    source: "instance_ids: IDs of associated instances (specify 1 to 10 IDs).",    example_operation: None,
    fix: Fixable::Safe,
};

use crate::schema::{display_path, subschema_at};

/// Does the value have (one of) the JSON types the schema takes?
fn type_fits(sub: Option<&J>, node: Node<'_>) -> bool {
    let Some(t) = sub.and_then(|s| s.get("type")) else {
        return true;
    };
    let is = |name: &str| match node.value() {
        Value::Object(_) => name == "object",
        Value::Array(_) => name == "array",
        Value::String(_) => name == "string",
        Value::Bool(_) => name == "boolean",
        Value::Null => name == "null",
        Value::Number(n) => name == "number" || (name == "integer" && n.as_integral().is_some()),
    };
    match t {
        J::String(name) => is(name),
        J::Array(names) => names.iter().filter_map(J::as_str).any(is),
        _ => true,
    }
}

fn type_words(t: &str) -> &str {
    match t {
        "integer" => "an integer",
        "string" => "a string",
        "boolean" => "a boolean (true or false)",
        "array" => "an array",
        "object" => "an object",
        "number" => "a number",
        other => other,
    }
}

fn source_text(text: &str, span: Span) -> &str {
    text.get(span.start..span.end).unwrap_or("")
}

/// Run the schema pass and append its diagnostics.
pub fn check(doc: Node<'_>, text: &str, ctx: &mut Ctx<'_>) {
    let mut found: Vec<Diagnostic> = Vec::new();
    let mut type_errors: HashSet<String> = HashSet::new();
    // The fast path: a valid document never pays for error locations.
    let validator = crate::schema::validator(ctx.op);
    let errors = if validator.is_valid(doc) {
        None
    } else {
        Some(validator.iter_errors(doc))
    };
    for err in errors.into_iter().flatten() {
        let pointer = err.instance_path().as_str().to_owned();
        // A request file's placeholder is an unknown value: only its type is known.
        if ctx.placeholders
            && !matches!(err.kind(), ValidationErrorKind::Type { .. })
            && doc
                .lookup(&pointer)
                .and_then(|(n, _)| n.as_str())
                .is_some_and(|s| ctx.is_unknown(s))
        {
            continue;
        }
        // An empty `{}` needs no special case: below the body, the schema requires fields
        // only of non-empty objects (`"if": {"minProperties": 1}`), as revision 2 says.
        if let ValidationErrorKind::Type { .. } = err.kind() {
            type_errors.insert(pointer.clone());
            if let Some(d) = optional_null(ctx.op, doc, &pointer) {
                found.push(d);
                continue;
            }
        }
        translate(doc, text, ctx, &pointer, err.kind(), &mut found);
    }
    check_instance_ids_count(doc, ctx, &mut found);
    // A value of the wrong type also fails its enum; say it once, as the type.
    found.retain(|d| {
        d.rule == &WRONG_TYPE || d.rule == &NULL_VALUE || !type_errors.contains(&d.pointer)
    });
    // Length and pattern are one rule in the user's eyes: one finding per string.
    let mut seen_format: HashSet<String> = HashSet::new();
    found.retain(|d| d.rule != &INVALID_FORMAT || seen_format.insert(d.pointer.clone()));
    ctx.out.extend(found);
}

/// `null-value` for a `null` in an optional field, which counts as absent; `None` when the
/// null is required, the body itself, or an array item (those stay `wrong-type`).
fn optional_null(op: &Operation, doc: Node<'_>, pointer: &str) -> Option<Diagnostic> {
    let (parent_ptr, raw) = pointer.rsplit_once('/')?;
    let key = crate::diagnostic::unescape_token(raw);
    let (parent, _) = doc.lookup(parent_ptr)?;
    let m = parent.member_raw(&key)?;
    if !matches!(m.value().value(), Value::Null) {
        return None;
    }
    let required = crate::schema::required_at(op, parent_ptr).contains(&&*key);
    if required {
        return None;
    }
    let field = display_path(pointer);
    // From the end of the previous member (or the opening brace) to the end of this one:
    // removes the member with its separating comma.
    let members = parent.as_object()?;
    let at = members.iter().position(|x| x == m)?;
    let span = if at > 0 {
        Span::new(
            members.get(at - 1)?.value().span().end,
            m.value().span().end,
        )
    } else if members.len() > 1 {
        Span::new(m.key_span().start, members.get(1)?.key_span().start)
    } else {
        Span::new(parent.span().start + 1, parent.span().end - 1)
    };
    Some(
        Diagnostic::new(
            &NULL_VALUE,
            pointer,
            m.value().span(),
            format!("`{field}` is null: it is treated as absent"),
        )
        .primary("null")
        .help("leave the field out")
        .safe_fix(format!("Remove `{key}`"), span, ""),
    )
}

fn translate(
    doc: Node<'_>,
    text: &str,
    ctx: &Ctx<'_>,
    pointer: &str,
    kind: &ValidationErrorKind,
    out: &mut Vec<Diagnostic>,
) {
    let Some((node, _)) = doc.lookup(pointer) else {
        return;
    };
    let op = ctx.op;
    let sub = subschema_at(op, pointer);
    let field = display_path(pointer);
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known: Vec<&str> = sub
                .and_then(|s| s.get("properties"))
                .and_then(J::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            // One lookup table per object: a hostile object with 100 000 unknown keys must
            // not cost a scan of the object per key.
            let by_key: HashMap<&str, Member<'_>> = node
                .as_object()
                .unwrap_or_default()
                .iter()
                .map(|m| (m.key(), m))
                .collect();
            let has = |k: &str| {
                by_key
                    .get(k)
                    .is_some_and(|m| !matches!(m.value().value(), Value::Null))
            };
            for key in unexpected {
                let p = child_pointer(pointer, key);
                let span = by_key
                    .get(key.as_str())
                    .map_or(node.span(), |m| m.key_span());
                let where_ = if pointer.is_empty() {
                    "the request body".to_owned()
                } else {
                    format!("`{field}`")
                };
                let suggestion = did_you_mean(key, known.iter().copied());
                // The rename is proposed when the value has the type the intended key takes:
                // a slip deeper inside the value is reported after the rename, not held
                // against it.
                let value_fits = |s: &str| {
                    by_key.get(key.as_str()).is_none_or(|m| {
                        type_fits(subschema_at(op, &child_pointer(pointer, s)), m.value())
                    })
                };
                // A field that the operation's path carries, taken by a sibling operation's
                // body: name the sibling.
                let sibling = pointer
                    .is_empty()
                    .then(|| op.carried_by_path(key))
                    .flatten()
                    .and_then(|what| {
                        let help = sibling_help(op, key, Sibling::Takes)?;
                        Some(format!("{what} is in the path here{help}"))
                    });
                let help = match suggestion {
                    _ if sibling.is_some() => sibling.unwrap_or_default(),
                    Some(s) if !has(s) && !value_fits(s) => format!(
                        "did you mean `{s}`? (its value would not be valid there either: `{s}` takes {})",
                        subschema_at(op, &child_pointer(pointer, s)).map_or_else(|| "another value".to_owned(), value_words)
                    ),
                    Some(s) if !has(s) => format!("did you mean `{s}`?"),
                    Some(s) => format!("`{s}` is already set here; remove `{key}`"),
                    None => format!("fields allowed here: {}", known.join(", ")),
                };
                let mut d = Diagnostic::new(
                    &UNKNOWN_FIELD,
                    p,
                    span,
                    format!("unknown field `{key}` in {where_}"),
                )
                .primary("not defined by the API")
                .help(help);
                if let Some(s) =
                    suggestion.filter(|s| !has(s) && !by_key.contains_key(s) && value_fits(s))
                {
                    d = d.unsafe_fix(format!("Rename `{key}` to `{s}`"), span, format!("\"{s}\""));
                }
                out.push(d);
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let where_ = if pointer.is_empty() {
                "the request body".to_owned()
            } else {
                format!("`{field}`")
            };
            let span = Span::new(node.span().start, node.span().start + 1);
            let prop = sub
                .and_then(|s| s.get("properties"))
                .and_then(|p| p.get(name));
            let mut help = format!("add `\"{name}\": …`");
            if let Some(desc) = prop.and_then(|p| p.get("description")).and_then(J::as_str) {
                help.push_str(&format!(" ({})", first_sentence(desc)));
            }
            if pointer.is_empty() {
                if let Some(sibling) = sibling_help(op, name, Sibling::DoesNotRequire) {
                    help.push_str(&sibling);
                }
            }
            out.push(
                Diagnostic::new(
                    &MISSING_FIELD,
                    pointer,
                    span,
                    format!("missing required field `{name}` in {where_}"),
                )
                .primary(format!("`{name}` is required here"))
                .help(help),
            );
        }
        ValidationErrorKind::Type { .. } => {
            let expected = sub
                .and_then(|s| s.get("type"))
                .and_then(J::as_str)
                .unwrap_or("another type");
            let found_words = match node.value() {
                Value::Number(n) if expected == "integer" && n.as_integral().is_none() => {
                    format!("the fraction {}", source_text(text, node.span()))
                }
                _ => node.kind_name().to_owned(),
            };
            let message = if pointer.is_empty() {
                format!("a request body must be a JSON object, found {found_words}")
            } else {
                format!(
                    "`{field}` must be {}, found {found_words}",
                    type_words(expected)
                )
            };
            let (help, fix) = type_help(op, node, expected, text, pointer, sub);
            let mut d = Diagnostic::new(&WRONG_TYPE, pointer, node.span(), message)
                .primary(format!("expected {}", type_words(expected)))
                .maybe_help(help);
            if let Some(f) = fix {
                d = d.with_fix(f);
            }
            out.push(d);
        }
        ValidationErrorKind::Enum { options } => {
            let allowed = options.as_array().cloned().unwrap_or_default();
            let descs = sub
                .and_then(|s| s.get("enumDescriptions"))
                .and_then(J::as_array);
            out.push(enum_diagnostic(
                node, pointer, &field, text, &allowed, descs, sub,
            ));
        }
        ValidationErrorKind::Minimum { .. } | ValidationErrorKind::Maximum { .. } => {
            let min = sub.and_then(|s| s.get("minimum")).and_then(J::as_i64);
            let max = sub.and_then(|s| s.get("maximum")).and_then(J::as_i64);
            let range = match (min, max) {
                (Some(a), Some(b)) => format!("from {a} to {b}"),
                (Some(a), None) => format!("at least {a}"),
                (None, Some(b)) => format!("at most {b}"),
                (None, None) => "within its range".into(),
            };
            let mut d = Diagnostic::new(
                &OUT_OF_RANGE,
                pointer,
                node.span(),
                format!(
                    "`{field}` must be {range}, found {}",
                    source_text(text, node.span())
                ),
            )
            .primary(format!("allowed: {range}"));
            // The range, and the valid value closest to what was written.
            let found = node.as_number().map(|n| n.float());
            let closest = match (found, min, max) {
                (Some(v), Some(a), _) if v < a as f64 => Some(a),
                (Some(v), _, Some(b)) if v > b as f64 => Some(b),
                _ => None,
            };
            d = d.help(match closest {
                Some(c) => format!("use a value {range}; the closest is {c}"),
                None => format!("use a value {range}"),
            });
            out.push(d);
        }
        ValidationErrorKind::MinItems { .. } | ValidationErrorKind::MaxItems { .. } => {
            if sub.and_then(|s| s.get("x-vpclint-quota")).is_some() {
                return; // counted by `check_instance_ids_count` with the configured quota
            }
            let min = sub
                .and_then(|s| s.get("minItems"))
                .and_then(J::as_u64)
                .unwrap_or(0);
            let max = sub.and_then(|s| s.get("maxItems")).and_then(J::as_u64);
            let n = node.as_array().map_or(0, Items::len);
            let range = max.map_or(format!("at least {min}"), |m| format!("{min} to {m}"));
            out.push(
                Diagnostic::new(
                    &OUT_OF_RANGE,
                    pointer,
                    node.span(),
                    format!("`{field}` must have {range} items, found {n}"),
                )
                .primary(format!("{n} items")),
            );
        }
        ValidationErrorKind::UniqueItems => {
            // The schema names the rule for repeats in a list of IDs; any other list that
            // must be unique gets a plain finding, never none.
            let Some(items) = node.as_array() else { return };
            let rule = sub
                .and_then(|s| s.get("x-vpclint-unique-rule"))
                .and_then(J::as_str)
                .and_then(super::find);
            let what = sub
                .and_then(|s| s.get("x-vpclint-item"))
                .and_then(J::as_str)
                .unwrap_or("item");
            match rule {
                Some(rule) => super::repeated_ids(rule, items, pointer, what, out),
                None => out.push(
                    Diagnostic::new(
                        &INVALID_VALUE,
                        pointer,
                        node.span(),
                        format!("`{field}` lists an item twice"),
                    )
                    .primary("repeated items")
                    .help("list each item once"),
                ),
            }
        }
        ValidationErrorKind::Pattern { .. }
        | ValidationErrorKind::MinLength { .. }
        | ValidationErrorKind::MaxLength { .. } => {
            // A case-insensitive enumeration is written as a pattern; report it as a value.
            if let Some(values) = sub
                .and_then(|s| s.get("x-vpclint-enum"))
                .and_then(J::as_array)
            {
                let descs = sub
                    .and_then(|s| s.get("x-vpclint-enum-descriptions"))
                    .and_then(J::as_array);
                let mut d = enum_diagnostic(node, pointer, &field, text, values, descs, sub);
                d.message.push_str(" (case-insensitive)");
                out.push(d);
                return;
            }
            let rule = sub
                .and_then(|s| s.get("patternErrorMessage"))
                .and_then(J::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| length_words(sub));
            let s = node.as_str().unwrap_or_default();
            let n = s.chars().count();
            let detail = match kind {
                ValidationErrorKind::MinLength { limit } => {
                    format!("it has {n} character{}, fewer than {limit}", plural(n))
                }
                ValidationErrorKind::MaxLength { limit } => {
                    format!("it has {n} characters, more than {limit}")
                }
                _ => sub
                    .and_then(|x| x.get("pattern"))
                    .and_then(J::as_str)
                    .map_or_else(
                        || "it does not have the required form".to_owned(),
                        |p| describe_pattern_break(p, s),
                    ),
            };
            let _ = ctx;
            out.push(
                Diagnostic::new(
                    &INVALID_FORMAT,
                    pointer,
                    node.span(),
                    format!("`{field}` is not valid: {detail}"),
                )
                .primary("breaks the format")
                .help(format!("`{field}` takes {rule}")),
            );
        }
        _ => {
            out.push(Diagnostic::new(
                &INVALID_VALUE,
                pointer,
                node.span(),
                format!("`{field}` is not an allowed value"),
            ));
        }
    }
}

/// What a field takes, in words: its type and range or length.
fn value_words(sub: &J) -> String {
    let t = sub.get("type").and_then(J::as_str).unwrap_or("a value");
    let min = sub.get("minimum").and_then(J::as_i64);
    let max = sub.get("maximum").and_then(J::as_i64);
    match (min, max) {
        (Some(a), Some(b)) => format!("{} from {a} to {b}", type_words(t)),
        _ => type_words(t).to_owned(),
    }
}

/// "This body looks like a sibling's": the operation of the same product whose channel body
/// does (`project_level`) or does not carry `instance_ids`, and how to select it.
/// How a sibling operation's body treats a root field this operation's body does not take
/// (or requires).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sibling {
    Takes,
    DoesNotRequire,
}

/// "; a body with instance_ids is `roma:CreateProjectVpcChannel` (POST …): select it …":
/// the operation of the same product that creates a whole channel and whose schema takes
/// `key` at the root (or does not require it), read from the schemas, for the body of a
/// channel operation.
fn sibling_help(op: &Operation, key: &str, how: Sibling) -> Option<String> {
    use crate::operation::Body;
    if !matches!(op.body, Body::Channel { .. }) {
        return None;
    }
    let pointer = format!("/{key}");
    let sibling = crate::operation::all().iter().find(|o| {
        o.product == op.product
            && o.creates_channel()
            && o.id != op.id
            && match how {
                Sibling::Takes => subschema_at(o, &pointer).is_some(),
                Sibling::DoesNotRequire => !crate::schema::required_at(o, "").contains(&key),
            }
    })?;
    let what = match how {
        Sibling::Takes => "with",
        Sibling::DoesNotRequire => "without",
    };
    Some(format!(
        "; a body {what} {key} is `{id}` ({method} {path}): select it with `--operation {id}`, an `[[operations]]` entry in vpclint.toml, or a `.http` request line",
        id = sibling.id,
        method = sibling.method,
        path = sibling.path
    ))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn length_words(sub: Option<&J>) -> String {
    let min = sub.and_then(|s| s.get("minLength")).and_then(J::as_u64);
    let max = sub.and_then(|s| s.get("maxLength")).and_then(J::as_u64);
    match (min, max) {
        (Some(a), Some(b)) => format!("{a} to {b} characters"),
        (Some(a), None) => format!("at least {a} characters"),
        (None, Some(b)) => format!("at most {b} characters"),
        (None, None) => "a valid string".into(),
    }
}

/// Name what a pattern objects to, in words rather than as a regex. The field's own regex
/// is probed with a neutral letter around each character to learn whether that character
/// may start, continue or end the value; every fault found is listed. Error path only.
fn describe_pattern_break(pattern: &str, s: &str) -> String {
    let Ok(re) = regex::Regex::new(pattern) else {
        return "it does not have the required form".into();
    };
    if s.is_empty() {
        return "it is empty".into();
    }
    if s.trim().is_empty() {
        return "it is only whitespace".into();
    }
    let name = super::describe_char;
    let mut faults: Vec<String> = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let first = chars[0];
    let last = chars[chars.len() - 1];
    if !re.is_match(&format!("{first}aa"))
        && re.is_match("aaa")
        && re.is_match(&format!("a{first}a"))
    {
        faults.push(if first.is_ascii_digit() {
            format!("it starts with the digit '{first}'")
        } else {
            format!("it starts with {}", name(first))
        });
    }
    let mut bad_middle: Vec<String> = Vec::new();
    for &c in &chars {
        let n = name(c);
        if !re.is_match(&format!("a{c}a"))
            && !bad_middle.contains(&n)
            && (c != first || chars.len() > 1)
        {
            bad_middle.push(n);
        }
    }
    if !bad_middle.is_empty() {
        let what = bad_middle.join(", ");
        faults.push(format!(
            "it contains {what}, which {} not allowed",
            if bad_middle.len() == 1 { "is" } else { "are" }
        ));
    }
    if chars.len() > 1 && !re.is_match(&format!("aa{last}")) && re.is_match(&format!("a{last}a")) {
        faults.push(format!("it ends with {}", name(last)));
    }
    if faults.is_empty() && s.contains("@@") {
        faults.push("it contains '@@'".into());
    }
    if faults.is_empty() {
        // Every character is allowed: what breaks is a length written into the pattern
        // (`[A-Za-z0-9_-]{3,64}`).
        let n = chars.len();
        if let Some(c) = regex::Regex::new(r"\{(\d+),(\d+)\}")
            .ok()
            .and_then(|q| q.captures(pattern))
        {
            let (lo, hi) = (c[1].parse::<usize>().ok(), c[2].parse::<usize>().ok());
            if let (Some(lo), Some(hi)) = (lo, hi) {
                if n < lo {
                    return format!("it has {n} character{}, fewer than {lo}", plural(n));
                }
                if n > hi {
                    return format!("it has {n} characters, more than {hi}");
                }
            }
        }
        return "it does not have the required form".into();
    }
    faults.join("; ")
}

fn first_sentence(desc: &str) -> String {
    match desc.find(". ") {
        Some(i) => desc[..=i].to_owned(),
        None => desc.to_owned(),
    }
}

fn json_literal(v: &J) -> String {
    match v {
        J::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

fn enum_diagnostic(
    node: Node<'_>,
    pointer: &str,
    field: &str,
    text: &str,
    allowed: &[J],
    descs: Option<&Vec<J>>,
    sub: Option<&J>,
) -> Diagnostic {
    // The value that means "not set" (`type: 0`) is not worth listing either.
    let unset = sub.and_then(|s| s.get("x-vpclint-unset"));
    // The empty string of vpc_channel_type means "not set"; it is not worth listing.
    let shown: Vec<(&J, Option<&str>)> = allowed
        .iter()
        .enumerate()
        .filter(|(_, v)| v.as_str() != Some("") && Some(*v) != unset)
        .map(|(i, v)| (v, descs.and_then(|d| d.get(i)).and_then(J::as_str)))
        .collect();
    let list: Vec<String> = shown.iter().map(|(v, _)| json_literal(v)).collect();
    let meanings: Vec<String> = shown
        .iter()
        .map(|(v, d)| match d {
            Some(d) => format!("{} = {d}", json_literal(v)),
            None => json_literal(v),
        })
        .collect();
    let mut help = format!("allowed values: {}", meanings.join(", "));
    let mut fix = None;
    if let Some(s) = node.as_str() {
        let candidates: Vec<&str> = shown.iter().filter_map(|(v, _)| v.as_str()).collect();
        if let Some(best) = did_you_mean(s, candidates) {
            help = format!("did you mean \"{best}\"? {help}");
            // Only a pure case slip is certain; a closer spelling is a guess.
            let applicability = if best.eq_ignore_ascii_case(s) {
                Applicability::Safe
            } else {
                Applicability::Unsafe
            };
            fix = Some(Fix::new(
                applicability,
                format!("Replace with \"{best}\""),
                node.span(),
                format!("\"{best}\""),
            ));
        }
    }
    let d = Diagnostic::new(
        &INVALID_VALUE,
        pointer,
        node.span(),
        format!(
            "`{field}` must be one of {}, found {}",
            list.join(", "),
            source_text(text, node.span())
        ),
    )
    .primary("not an allowed value")
    .help(help);
    match fix {
        Some(f) => d.with_fix(f),
        None => d,
    }
}

/// The enum value whose description names `word` (`"WRR"` → `1`, from "WRR (weighted round
/// robin)"): people write the name where the API wants the number.
fn enum_value_named(sub: Option<&J>, word: &str) -> Option<(String, String)> {
    let sub = sub?;
    let values = sub.get("enum")?.as_array()?;
    let descs = sub.get("enumDescriptions")?.as_array()?;
    let word = word.trim();
    if word.is_empty() {
        return None;
    }
    values.iter().zip(descs).find_map(|(v, d)| {
        let d = d.as_str()?;
        let name = d.split([' ', '(']).next()?;
        (name.eq_ignore_ascii_case(word) || d.eq_ignore_ascii_case(word))
            .then(|| (v.to_string(), d.to_owned()))
    })
}

fn type_help(
    op: &Operation,
    node: Node<'_>,
    expected: &str,
    text: &str,
    pointer: &str,
    sub: Option<&J>,
) -> (Option<String>, Option<Fix>) {
    // A proposal is made only when the schema accepts it at this place.
    let propose = |value: String, applicability: Applicability, title: String| {
        crate::schema::accepts(op, pointer, &value)
            .then(|| Fix::new(applicability, title, node.span(), value))
    };
    match (node.value(), expected) {
        (Value::String(s), "integer") => {
            if let Ok(n) = s.trim().parse::<i64>() {
                let v = n.to_string();
                // Certain only when the digits are exactly the number (`"80"`); `"080"`,
                // `"+80"` or `" 80"` could mean something else to whoever wrote them.
                let app = if s == v {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                };
                return match propose(v.clone(), app, format!("Write {v} without quotes")) {
                    Some(f) => (Some(format!("write {v} without quotes")), Some(f)),
                    None => (
                        Some(format!(
                            "write the number without quotes; {v} is also outside the allowed range"
                        )),
                        None,
                    ),
                };
            }
            if let Some((v, desc)) = enum_value_named(sub, s) {
                let fix = propose(
                    v.clone(),
                    Applicability::Unsafe,
                    format!("Replace with {v}"),
                );
                return (Some(format!("did you mean {v} ({desc})?")), fix);
            }
            (None, None)
        }
        (Value::String(s), "boolean") => {
            let lower = s.trim().to_lowercase();
            if matches!(lower.as_str(), "true" | "false") {
                let app = if s == lower {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                };
                let fix = propose(lower.clone(), app, format!("Write {lower} without quotes"));
                return (Some(format!("write {lower} without quotes")), fix);
            }
            (None, None)
        }
        (Value::Number(_), "string") | (Value::Bool(_), "string") => {
            let quoted = format!("\"{}\"", source_text(text, node.span()));
            match propose(
                quoted.clone(),
                Applicability::Unsafe,
                format!("Quote it: {quoted}"),
            ) {
                Some(f) => (Some(format!("quote it: {quoted}")), Some(f)),
                None => (None, None),
            }
        }
        (Value::Number(n), "integer") if n.as_integral().is_none() => {
            (Some("use a whole number".into()), None)
        }
        (Value::Number(n), "boolean") if n.int() == Some(0) || n.int() == Some(1) => {
            let v = (n.int() == Some(1)).to_string();
            let fix = propose(
                v.clone(),
                Applicability::Unsafe,
                format!("Write {v} instead of a number"),
            );
            (Some(format!("write {v} instead of a number")), fix)
        }
        (Value::Null, _) if pointer.is_empty() => (
            Some("a request body is a JSON object: `{ \"name\": …, \"port\": … }`".into()),
            None,
        ),
        (Value::Null, _) => (
            Some(format!(
                "give it {}: the field is required",
                type_words(expected)
            )),
            None,
        ),
        (Value::String(_) | Value::Number(_) | Value::Object(_), "array") => {
            let wrapped = format!("[{}]", source_text(text, node.span()));
            match propose(
                wrapped,
                Applicability::Unsafe,
                "Wrap it in brackets".to_owned(),
            ) {
                Some(f) => (
                    Some("wrap it in brackets: a list is expected".into()),
                    Some(f),
                ),
                None => (Some("a list is expected: `[ … ]`".into()), None),
            }
        }
        (Value::Array(a), "object") if a.len() == 1 => {
            let inner =
                source_text(text, a.get(0).map_or(Span::default(), |n| n.span())).to_owned();
            let fix = propose(
                inner,
                Applicability::Unsafe,
                "Remove the surrounding brackets".to_owned(),
            );
            (
                Some("remove the surrounding brackets: one object is expected".into()),
                fix,
            )
        }
        _ => (None, None),
    }
}

fn check_instance_ids_count(doc: Node<'_>, ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    if subschema_at(ctx.op, "/instance_ids").is_none() {
        return; // an unknown field here: `unknown-field` says it
    }
    let Some(m) = doc.member("instance_ids") else {
        return;
    };
    let Some(items) = m.value().as_array() else {
        return;
    };
    let limit = ctx.instance_ids_limit;
    let n = items.len();
    if n == 0 || n > limit {
        let message = if n == 0 {
            "`instance_ids` is empty: a VPC channel needs at least one instance".to_owned()
        } else {
            format!("`instance_ids` lists {n} instances, more than the quota of {limit}")
        };
        out.push(
            Diagnostic::new(&INSTANCE_IDS_COUNT, "/instance_ids", m.value().span(), message)
                .primary(format!("{n} IDs"))
                .help(format!(
                    "specify 1 to {limit} instance IDs; to associate more, ask technical support to raise the quota PROJECT_VPC_OPERATOR_NUM_LIMIT (and set `instance-ids-limit` in vpclint.toml)"
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sibling operations come from the schemas: only `instance_ids` tells the project-
    /// and instance-level channel operations apart, and APIG has no project-level one.
    #[test]
    fn sibling_operations_come_from_the_schemas() {
        let op = |id| crate::operation::find(id).unwrap();
        let takes = sibling_help(
            op("roma:CreateVpcChannelV2"),
            "instance_ids",
            Sibling::Takes,
        );
        assert!(takes.unwrap().contains("`roma:CreateProjectVpcChannel`"));
        let lacks = sibling_help(
            op("roma:UpdateProjectVpcChannel"),
            "instance_ids",
            Sibling::DoesNotRequire,
        );
        assert!(lacks.unwrap().contains("`roma:CreateVpcChannelV2`"));
        assert_eq!(
            op("roma:CreateVpcChannelV2").carried_by_path("instance_ids"),
            Some("the instance")
        );
        assert_eq!(
            op("roma:CreateProjectVpcChannel").carried_by_path("instance_ids"),
            None
        );
        for o in crate::operation::all()
            .iter()
            .filter(|o| o.creates_channel())
        {
            assert!(
                sibling_help(o, "instance_ids", Sibling::Takes).is_none()
                    || o.product == crate::operation::Product::Roma
            );
            for field in crate::schema::required_at(o, "") {
                let sibling = sibling_help(o, field, Sibling::DoesNotRequire);
                assert_eq!(
                    sibling.is_some(),
                    field == "instance_ids",
                    "{} {field}",
                    o.id
                );
            }
        }
    }

    #[test]
    fn pattern_faults_in_words() {
        let name = subschema_at(crate::operation::default(), "/name").unwrap()["pattern"]
            .as_str()
            .unwrap();
        assert_eq!(
            describe_pattern_break(name, "1st channel"),
            "it starts with the digit '1'; it contains a space, which is not allowed"
        );
        assert_eq!(
            describe_pattern_break(name, "web!api"),
            "it contains '!', which is not allowed"
        );
        let label = subschema_at(
            crate::operation::default(),
            "/member_groups/0/microservice_labels/0/label_value",
        )
        .unwrap()["pattern"]
            .as_str()
            .unwrap();
        assert_eq!(describe_pattern_break(label, "az1-"), "it ends with '-'");
        assert_eq!(describe_pattern_break(label, "-az1"), "it starts with '-'");
        let svc = subschema_at(
            crate::operation::default(),
            "/microservice_info/nacos_info/service_name",
        )
        .unwrap()["pattern"]
            .as_str()
            .unwrap();
        assert_eq!(describe_pattern_break(svc, "@orders"), "it starts with '@'");
        assert_eq!(describe_pattern_break(svc, "a@@b"), "it contains '@@'");
        assert_eq!(
            describe_pattern_break(svc, "订单"),
            "it contains '订', '单', which are not allowed"
        );
    }
}

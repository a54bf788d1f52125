//! The request-body schemas: loading, composing per operation, compiling, and looking up
//! what a field is (for messages, hover and completion).
//!
//! `schema/vpc-channel-create.schema.json` is ROMA's project-level create body; its parts
//! (member, member group, health check, microservice info, …) are the shared components
//! every other operation's body is composed from ([`crate::operation::Body`]), with APIG's
//! constraints patched in where APIG differs (OPERATIONS.md). Schemas are built and compiled
//! lazily, once per operation, the first time a file of that operation is linted.

use crate::json_repr::Spanned;
use crate::operation::{self, Body, Operation, Product};
use serde_json::{json, Value as J};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The create body, exactly as shipped in `schema/` (`vpclint schema` prints it verbatim).
pub const CREATE_TEXT: &str = include_str!("../schema/vpc-channel-create.schema.json");

fn create() -> &'static J {
    static S: OnceLock<J> = OnceLock::new();
    S.get_or_init(|| {
        serde_json::from_str(CREATE_TEXT).expect("embedded schema is valid JSON (tested)")
    })
}

/// A nested object requires its fields only when non-empty (`{}` counts as absent); as the
/// whole body it requires them outright.
fn as_body(mut object: J) -> J {
    if let Some(req) = object.get("then").and_then(|t| t.get("required")).cloned() {
        let m = object.as_object_mut().expect("an object schema");
        m.remove("if");
        m.remove("then");
        m.insert("required".into(), req);
    }
    object
}

fn prop(name: &str) -> J {
    create()["properties"][name].clone()
}

fn object(title: &str, description: String, required: &[&str], properties: J) -> J {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "description": description,
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties
    })
}

/// Apply APIG's differences (OPERATIONS.md) wherever the fields occur.
fn patch_apig(s: &mut J) {
    match s {
        J::Object(m) => {
            if let Some(J::Object(props)) = m.get_mut("properties") {
                let mut set = |field: &str, key: &str, v: J, desc: &str| {
                    if let Some(J::Object(f)) = props.get_mut(field) {
                        f.insert(key.into(), v);
                        if !desc.is_empty() {
                            f.insert("description".into(), J::String(desc.into()));
                        }
                    }
                };
                set("time_interval", "minimum", json!(1), "Interval between consecutive checks (1 to 300). Unit: s. The value must be greater than that of timeout.");
                set("timeout", "minimum", json!(1), "Timeout for determining whether a health check fails (1 to 30), in seconds. The value must be less than the value of time_interval.");
                set("host", "maxLength", json!(255), "Backend server address (at most 255 characters). This parameter is valid when the member type is IP address.");
                set("ecs_id", "maxLength", json!(255), "");
                set("reference_vpc_channel_id", "maxLength", json!(64), "");
                set("service_type", "enumDescriptions", json!([
                    "CSE microservice registration center (needs cse_info)",
                    "CCE workload (needs cce_info)",
                    "CCE service (not supported)",
                    "Nacos registration center (needs nacos_info)"
                ]), "Microservice type. CSE: CSE microservice registration center. CCE: CCE workload. CCE_SERVICE: CCE service (not supported). NACOS: Nacos registration center; nacos_info is mandatory.");
            }
            for v in m.values_mut() {
                patch_apig(v);
            }
        }
        J::Array(a) => a.iter_mut().for_each(patch_apig),
        _ => {}
    }
}

/// The body schema of `op`, composed from the components.
fn compose(op: &Operation) -> J {
    let desc = format!("Request body of {} {} ({}).", op.method, op.path, op.id);
    let mut s = match op.body {
        Body::Channel { instance_ids: true } if op.id == operation::default().id => {
            create().clone()
        }
        Body::Channel { instance_ids } => {
            let mut s = create().clone();
            s["title"] = J::String(op.id.into());
            s["description"] = J::String(desc);
            if !instance_ids {
                let m = s.as_object_mut().expect("object");
                m["properties"]
                    .as_object_mut()
                    .expect("properties")
                    .remove("instance_ids");
                if let Some(J::Array(r)) = m.get_mut("required") {
                    r.retain(|k| k != "instance_ids");
                }
            }
            s
        }
        Body::Members { group } => {
            let mut props = json!({ "members": prop("members") });
            props["members"]["minItems"] = json!(1);
            if group {
                props["member_group_name"] = json!({
                    "type": "string",
                    "description": "Name of the member group whose backends are replaced. With it, members of other groups in the list are ignored; without it, the list replaces all backends of the channel."
                });
            }
            object(op.id, desc, &["members"], props)
        }
        Body::MemberGroups => object(
            op.id,
            desc,
            &["member_groups"],
            json!({ "member_groups": prop("member_groups") }),
        ),
        Body::MemberGroup => {
            let mut g = as_body(prop("member_groups")["items"].clone());
            g["title"] = J::String(op.id.into());
            g["description"] = J::String(desc);
            g
        }
        Body::HealthCheck => {
            let mut h = as_body(prop("vpc_health_config"));
            h["title"] = J::String(op.id.into());
            h["description"] = J::String(desc);
            h
        }
        Body::MemberIds => object(
            op.id,
            desc,
            &["member_ids"],
            json!({
                "member_ids": {
                    "type": "array",
                    "description": "IDs of the backend instances (members) to enable or disable.",
                    "minItems": 1,
                    "uniqueItems": true,
                    "x-vpclint-unique-rule": "duplicate-member-id",
                    "x-vpclint-item": "member ID",
                    "items": {
                        "type": "string",
                        "description": "Backend instance (member) ID.",
                        "pattern": "\\S",
                        "patternErrorMessage": "a member ID: not empty, not only whitespace"
                    }
                }
            }),
        ),
        Body::Syncs => object(
            op.id,
            desc,
            &["vpc_channel_id", "instance_ids"],
            json!({
                "vpc_channel_id": {"type": "string", "description": "ID of the VPC channel to synchronise.", "minLength": 1},
                "instance_ids": prop("instance_ids"),
                "force_sync": {"type": "boolean", "description": "Whether to overwrite a channel of the same name in the target instances."}
            }),
        ),
    };
    if op.product == Product::Apig {
        patch_apig(&mut s);
    }
    s
}

/// The body schema of `op`, composed once.
pub fn json(op: &Operation) -> &'static J {
    static CELLS: [OnceLock<J>; operation::COUNT] = [const { OnceLock::new() }; operation::COUNT];
    CELLS[op.index].get_or_init(|| compose(op))
}

/// The compiled validator of `op`, compiled once, the first time it is asked for (or
/// [`prepare`]d). Kept apart from [`json`], so that a rule asking what a field is never
/// waits for a compile.
pub(crate) fn validator(op: &Operation) -> &'static jsonschema::Validator<Spanned> {
    static CELLS: [OnceLock<jsonschema::Validator<Spanned>>; operation::COUNT] =
        [const { OnceLock::new() }; operation::COUNT];
    CELLS[op.index].get_or_init(|| {
        // The `regex` engine, not `fancy-regex`: the schema's patterns use no lookaround or
        // backreference (fancy-regex would hand them to `regex` anyway), and skipping its
        // layer saves a tenth of the compile.
        jsonschema::options_for::<Spanned>()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(false)
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(json(op))
            .expect("composed schemas compile (tested)")
    })
}

/// Start compiling `op`'s validator on another thread: a run that is about to read and
/// parse files needs it only after that, and the compile (about 1.5 ms, most of a short
/// run) then overlaps with the reading. Without a thread to be had, nothing happens and
/// the first file compiles it as before.
pub(crate) fn prepare(op: &'static Operation) {
    static STARTED: [std::sync::atomic::AtomicBool; operation::COUNT] =
        [const { std::sync::atomic::AtomicBool::new(false) }; operation::COUNT];
    if STARTED[op.index].swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let _ = std::thread::Builder::new().spawn(move || {
        validator(op);
    });
}

/// The schema as `vpclint schema [--operation ID]` prints it.
pub fn text(op: &Operation) -> String {
    if op.id == operation::default().id {
        CREATE_TEXT.to_owned()
    } else {
        serde_json::to_string_pretty(json(op)).expect("plain data") + "\n"
    }
}

/// The subschema that governs the value at an instance pointer.
pub fn subschema_at(op: &Operation, pointer: &str) -> Option<&'static J> {
    let mut s = json(op);
    if pointer.is_empty() {
        return Some(s);
    }
    for raw in pointer.strip_prefix('/')?.split('/') {
        let token = crate::diagnostic::unescape_token(raw);
        s = if let Some(p) = s.get("properties").and_then(|p| p.get(&*token)) {
            p
        } else if token.parse::<usize>().is_ok() {
            s.get("items")?
        } else {
            return None;
        };
    }
    Some(s)
}

/// The fields an object at `pointer` requires (written as `required`, or as
/// `then.required` for nested objects, which require nothing when empty).
pub fn required_at(op: &Operation, pointer: &str) -> Vec<&'static str> {
    subschema_at(op, pointer)
        .and_then(|s| s.get("required").or_else(|| s.get("then")?.get("required")))
        .and_then(J::as_array)
        .map(|r| r.iter().filter_map(J::as_str).collect())
        .unwrap_or_default()
}

/// Would the schema accept the JSON text `candidate` at `pointer`? Every value a help or
/// fix proposes is checked here first, so that a suggestion is never a new error. Error
/// path only; one compiled validator per subschema.
pub fn accepts(op: &Operation, pointer: &str, candidate: &str) -> bool {
    type Cache = Mutex<HashMap<usize, Option<Arc<jsonschema::Validator>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let Some(sub) = subschema_at(op, pointer) else {
        return false;
    };
    let Ok(value) = serde_json::from_str::<J>(candidate) else {
        return false;
    };
    let key = std::ptr::from_ref(sub) as usize;
    let cache = CACHE.get_or_init(Cache::default);
    let validator = {
        let mut map = cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(key)
            .or_insert_with(|| {
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(false)
                    .build(sub)
                    .ok()
                    .map(Arc::new)
            })
            .clone()
    };
    validator.is_some_and(|v| v.is_valid(&value))
}

/// `/members/1/host` → `members[1].host`: how people name a field in prose.
pub fn display_path(pointer: &str) -> String {
    if pointer.is_empty() {
        return "the request body".into();
    }
    let mut out = String::new();
    for raw in pointer.trim_start_matches('/').split('/') {
        let token = crate::diagnostic::unescape_token(raw);
        if token.parse::<usize>().is_ok() {
            out.push('[');
            out.push_str(&token);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys are shared statics only if they are listed; every property name of every body
    /// is, in the sorted order the lookup needs.
    #[test]
    fn every_operation_schema_is_valid_draft_2020_12_and_compiles() {
        for op in operation::all() {
            let meta = jsonschema::meta::validate(json(op));
            assert!(meta.is_ok(), "{}: {meta:?}", op.id);
            let _ = validator(op);
        }
    }

    #[test]
    fn every_field_has_a_description() {
        fn walk(s: &J, at: &str) {
            if let Some(props) = s.get("properties").and_then(J::as_object) {
                for (k, v) in props {
                    let p = format!("{at}/{k}");
                    assert!(v.get("description").is_some(), "{p} has no description");
                    walk(v, &p);
                }
                assert_eq!(s.get("additionalProperties"), Some(&J::Bool(false)), "{at}");
            }
            if let Some(items) = s.get("items") {
                walk(items, &format!("{at}/items"));
            }
        }
        for op in operation::all() {
            walk(json(op), op.id);
        }
    }

    #[test]
    fn apig_ranges_and_instance_level_bodies() {
        let roma = operation::find("roma:CreateVpcChannelV2").unwrap();
        let apig = operation::find("apig:CreateVpcChannelV2").unwrap();
        assert!(subschema_at(roma, "/instance_ids").is_none());
        assert_eq!(
            subschema_at(roma, "/vpc_health_config/time_interval").unwrap()["minimum"],
            5
        );
        assert_eq!(
            subschema_at(apig, "/vpc_health_config/time_interval").unwrap()["minimum"],
            1
        );
        assert_eq!(
            subschema_at(apig, "/vpc_health_config/timeout").unwrap()["minimum"],
            1
        );
        assert_eq!(
            subschema_at(apig, "/members/0/host").unwrap()["maxLength"],
            255
        );
        let health = operation::find("apig:UpdateHealthCheck").unwrap();
        assert_eq!(required_at(health, "").len(), 5);
        assert_eq!(text(operation::default()), CREATE_TEXT);
    }

    #[test]
    fn subschema_lookup_follows_items() {
        let op = operation::default();
        let s = subschema_at(op, "/members/3/port").unwrap();
        assert_eq!(s["maximum"], 65535);
        assert!(subschema_at(op, "/nope").is_none());
        assert_eq!(display_path("/members/3/port"), "members[3].port");
    }
}

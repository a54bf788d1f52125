//! C. Channel type: derive the effective channel type and check `type`/`vpc_channel_type`.
//!
//! The effective type is `vpc_channel_type` when non-empty; otherwise `microservice` when
//! `type` is 3 and `microservice_info` is non-empty; otherwise `builtin`. The view
//! ([`crate::view::Channel`]) derives it once; later groups read it from
//! [`Ctx::channel`](super::Ctx) and quote [`Effective::why`] in their messages.

use super::{Ctx, Rule};
use crate::diagnostic::Fixable;
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::json::Node;
use crate::model::ChannelType;
use crate::operation::Product;
pub use crate::view::Effective;

pub static CHANNEL_TYPE_CONFLICT: Rule = Rule {
    name: "channel-type-conflict",
    default_severity: Severity::Error,
    group: "channel",
    summary: "Both vpc_channel_type and a non-zero type are set",
    what: "Reports a request that sets `vpc_channel_type` to a non-empty value and also sets `type` to a non-zero value. `type: 0` means \"not set\" and does not conflict.",
    why: "The API refuses the combination outright.",
    bad: r#"{ "type": 2, "vpc_channel_type": "builtin" }"#,
    good: r#"{ "vpc_channel_type": "builtin" }"#,
    source: "If vpc_channel_type is non-empty and type is non-empty or non-zero, an error occurs when they are specified.",    example_operation: None,
    fix: Fixable::No,
};

pub static DEPRECATED_TYPE: Rule = Rule {
    name: "deprecated-type",
    default_severity: Severity::Warning,
    group: "channel",
    summary: "The deprecated `type` field is used",
    what: "Reports any `type` other than 0 (\"not set\"). `2` becomes `\"vpc_channel_type\": \"builtin\"`, `3` becomes `\"vpc_channel_type\": \"microservice\"`. On API Gateway (`apig:` operations) the finding is an info that says to prefer `vpc_channel_type`: APIG's model does not say that `type` will be discarded.",
    why: "ROMA Connect: `type` is to be discarded; requests that rely on it will break when it is removed, and its rules (3 plus a non-empty microservice_info) are easy to get wrong. API Gateway only asks to prefer `vpc_channel_type` (\"请优先使用vpc_channel_type字段指定负载通道类型\").",
    bad: r#"{ "type": 2 }"#,
    good: r#"{ "vpc_channel_type": "builtin" }"#,
    source: "This field is to be discarded. Use the vpc_channel_type field to specify the load balance channel type.",    example_operation: None,
    fix: Fixable::Safe,
};

pub static MICROSERVICE_TYPE_WITHOUT_INFO: Rule = Rule {
    name: "microservice-type-without-info",
    default_severity: Severity::Warning,
    group: "channel",
    summary: "`type` 3 without microservice_info creates a server channel",
    what: "Reports `type: 3` (with `vpc_channel_type` not set) when `microservice_info` is absent or empty.",
    why: "The API does not fail: it silently creates a server (builtin) channel instead of the microservice channel you asked for.",
    bad: r#"{ "type": 3 }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "CSE", "cse_info": { "engine_id": "e1", "service_id": "s1" } } }"#,
    source: "If the value of type is not 3 or the value of microservice_info is empty, the VPC channel type is server by default.",    example_operation: None,
    fix: Fixable::No,
};

pub static MISSING_MICROSERVICE_INFO: Rule = Rule {
    name: "missing-microservice-info",
    default_severity: Severity::Error,
    group: "channel",
    summary: "A microservice channel without microservice_info",
    what: "Reports `vpc_channel_type: \"microservice\"` when `microservice_info` is absent or empty.",
    why: "A microservice channel discovers its backends from a registry; without microservice_info there is nothing to discover.",
    bad: r#"{ "vpc_channel_type": "microservice" }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "CSE", "cse_info": { "engine_id": "e1", "service_id": "s1" } } }"#,
    source: "microservice_info: Microservice details. (Table 8 MicroServiceCreate)",    example_operation: None,
    fix: Fixable::No,
};

pub static MICROSERVICE_INFO_IGNORED: Rule = Rule {
    name: "microservice-info-ignored",
    default_severity: Severity::Warning,
    group: "channel",
    summary: "microservice_info on a channel that is not a microservice channel",
    what: "Reports a non-empty `microservice_info` when the effective channel type is `builtin` or `reference`. Its fields then get no further \"ignored\" findings.",
    why: "The block is ignored; usually `vpc_channel_type` was forgotten and the channel comes out as a server channel.",
    bad: r#"{ "vpc_channel_type": "builtin", "microservice_info": { "service_type": "CSE" } }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "CSE", "cse_info": { "engine_id": "e1", "service_id": "s1" } } }"#,
    source: "If the value of type is 3 and the value of microservice_info is not empty, the VPC channel type is microservice.",    example_operation: None,
    fix: Fixable::No,
};

/// Pointer and span for "field absent or empty": the empty value when present, else the
/// object that lacks it (span on its opening brace).
pub fn absent_location(object: Node<'_>, object_pointer: &str, key: &str) -> (String, Span) {
    match object.member(key) {
        Some(m) => (
            crate::json::child_pointer(object_pointer, key),
            m.value().span(),
        ),
        None => (
            object_pointer.to_owned(),
            Span::new(object.span().start, object.span().start + 1),
        ),
    }
}

pub fn check(ctx: &mut Ctx<'_>) {
    let Some(ch) = ctx.body.channel else {
        return;
    };
    let doc = ch.node;
    let vct = ch.vpc_channel_type_set();
    let ty = ch.legacy_type;
    let info_present = ch.microservice_info_present().is_some();

    if let (Some(v), Some(t)) = (vct, ty) {
        ctx.push(
            Diagnostic::new(
                &CHANNEL_TYPE_CONFLICT,
                "/type",
                t.value_span(),
                "`type` and `vpc_channel_type` are both set",
            )
            .primary("type is set")
            .label(v.value_span(), "vpc_channel_type is set too")
            .help("remove `type` (deprecated); `vpc_channel_type` alone decides the channel type"),
        );
    }

    if let Some(t) = ty {
        let help = match t.value {
            Some(2) => "replace it with `\"vpc_channel_type\": \"builtin\"`".to_owned(),
            Some(3) => "replace it with `\"vpc_channel_type\": \"microservice\"`".to_owned(),
            _ => "remove it and set `vpc_channel_type` (builtin, microservice or reference)"
                .to_owned(),
        };
        // ROMA's reference says `type` will be discarded; APIG's model only asks to prefer
        // `vpc_channel_type`, so there it is a hint, not a warning.
        let mut d = match ctx.op.product {
            Product::Roma => Diagnostic::new(
                &DEPRECATED_TYPE,
                "/type",
                t.value_span(),
                "`type` is deprecated and will be discarded",
            )
            .primary("deprecated"),
            Product::Apig => Diagnostic::new(
                &DEPRECATED_TYPE,
                "/type",
                t.value_span(),
                "prefer `vpc_channel_type` to the legacy `type` field",
            )
            .primary("legacy field")
            .base(Severity::Info),
        }
        .help(help);
        // Certain only when the replacement keeps the channel type: no vpc_channel_type yet,
        // and for 3 a non-empty microservice_info (else `type: 3` means builtin).
        let replacement = match t.value {
            Some(2) => Some(ChannelType::Builtin),
            Some(3) if info_present => Some(ChannelType::Microservice),
            _ => None,
        };
        let vct_present = ch
            .vpc_channel_type
            .is_some_and(|v| !v.node().is_empty_value());
        if let (Some(r), false) = (replacement, vct_present) {
            d = d.safe_fix(
                format!("Replace `type` with `\"vpc_channel_type\": \"{r}\"`"),
                t.span(),
                format!("\"vpc_channel_type\": \"{r}\""),
            );
        }
        ctx.push(d);
    }

    if vct.is_none() && ch.legacy_type_is_3() && !info_present {
        if let Some(t) = ty {
            let mut d = Diagnostic::new(
                &MICROSERVICE_TYPE_WITHOUT_INFO,
                "/type",
                t.value_span(),
                "`type` is 3 but `microservice_info` is empty: the channel is created as a server channel",
            )
            .primary("type 3 asks for a microservice channel");
            if let Some(m) = ch.microservice_info {
                d = d.label(m.node.span(), "empty");
            }
            ctx.push(d.help("add `microservice_info` with the registry to use, or set `\"vpc_channel_type\": \"builtin\"` if a server channel is what you want"));
        }
    }

    if let Some(v) = vct.filter(|v| v.value == Some(ChannelType::Microservice)) {
        if !info_present {
            let (pointer, span) = absent_location(doc, "", "microservice_info");
            let d = Diagnostic::new(
                &MISSING_MICROSERVICE_INFO,
                pointer,
                span,
                "a microservice channel needs `microservice_info`",
            )
            .primary("microservice_info is missing or empty")
            .label(v.value_span(), "vpc_channel_type is microservice");
            ctx.push(
                d.help("add `\"microservice_info\": { \"service_type\": \"CSE\" | \"NACOS\", … }`"),
            );
        }
    }

    if let (Some(info), Some(eff)) = (ch.microservice_info_present(), &ch.effective) {
        if eff.kind != ChannelType::Microservice {
            let msg = format!("`microservice_info` is ignored: {}", eff.describe());
            let d = Diagnostic::new(&MICROSERVICE_INFO_IGNORED, "/microservice_info", info.member.span(), msg)
                .primary("ignored")
                .help("set `\"vpc_channel_type\": \"microservice\"` to create a microservice channel, or remove `microservice_info`");
            ctx.push(d);
            ctx.microservice_info_ignored = true;
        }
    }
}

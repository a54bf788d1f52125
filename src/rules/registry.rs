//! F. Microservice registry: `microservice_info.service_type` and the info blocks.
//!
//! Skipped entirely when `microservice_info` was reported as ignored (one finding per
//! cause); `plaintext-secret` still looks inside it.

use super::channel::absent_location;
use super::{Ctx, Rule};
use crate::diagnostic::Fixable;
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::model::ServiceType;
use crate::operation::Product;
use crate::view::NacosServer;
use std::collections::HashMap;

pub static MICROSERVICE_UNSUPPORTED: Rule = Rule {
    name: "microservice-unsupported",
    default_severity: Severity::Error,
    group: "registry",
    summary: "service_type CCE or CCE_SERVICE is not supported",
    what: "Reports `microservice_info.service_type` set to `CCE` or `CCE_SERVICE`.",
    why: "The reference marks both registries as not supported; the request fails.",
    bad: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "CCE" } }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "CSE", "cse_info": { "engine_id": "e1", "service_id": "s1" } } }"#,
    source: "service_type: CCE: CCE (not supported). CCE_SERVICE: CCE service (not supported).",
    example_operation: None,
    fix: Fixable::No,
};

pub static MISSING_REGISTRY_INFO: Rule = Rule {
    name: "missing-registry-info",
    default_severity: Severity::Error,
    group: "registry",
    summary: "NACOS without nacos_info, or CSE without cse_info",
    what: "Reports `service_type: \"NACOS\"` without a non-empty `nacos_info`, and `service_type: \"CSE\"` without a non-empty `cse_info`.",
    why: "The channel cannot find its registry; the API rejects it (nacos_info is mandatory for NACOS).",
    bad: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS" } }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS", "nacos_info": { "service_name": "orders", "server_config": [{ "ip_address": "10.0.0.9", "port": 8848 }], "user_info": { "user_name": "nacos", "password": "${NACOS_PASSWORD}" } } } }"#,
    source: "service_type: NACOS: Nacos registration center. nacos_info is mandatory.",    example_operation: None,
    fix: Fixable::No,
};

pub static REGISTRY_INFO_IGNORED: Rule = Rule {
    name: "registry-info-ignored",
    default_severity: Severity::Warning,
    group: "registry",
    summary: "An info block that does not match service_type",
    what: "Reports an info block that does not belong to `service_type` (`cse_info` with `NACOS`, `nacos_info` with `CSE`), and any non-empty `cce_info` or `cce_service_info` (not supported).",
    why: "The block is ignored; usually the service_type is wrong or a leftover block was copied along.",
    bad: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS", "cse_info": { "engine_id": "e1", "service_id": "s1" }, "nacos_info": { "service_name": "orders", "server_config": [{ "ip_address": "10.0.0.9", "port": 8848 }], "user_info": { "user_name": "nacos", "password": "${NACOS_PASSWORD}" } } } }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS", "nacos_info": { "service_name": "orders", "server_config": [{ "ip_address": "10.0.0.9", "port": 8848 }], "user_info": { "user_name": "nacos", "password": "${NACOS_PASSWORD}" } } } }"#,
    source: "cce_info: Not supported. cce_service_info: Not supported currently.",    example_operation: None,
    fix: Fixable::No,
};

pub static NACOS_GRPC_PORT_OUT_OF_RANGE: Rule = Rule {
    name: "nacos-grpc-port-out-of-range",
    default_severity: Severity::Error,
    group: "registry",
    summary: "The default gRPC port (port + 1000) would exceed 65535",
    what: "Reports a Nacos server whose `grpc_port` is absent while `port` + 1000 > 65535, pointing at `port`.",
    why: "The default gRPC port would not exist, so the Nacos client cannot connect.",
    bad: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS", "nacos_info": { "service_name": "orders", "server_config": [{ "ip_address": "10.0.0.9", "port": 65000 }], "user_info": { "user_name": "nacos", "password": "${NACOS_PASSWORD}" } } } }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS", "nacos_info": { "service_name": "orders", "server_config": [{ "ip_address": "10.0.0.9", "port": 65000, "grpc_port": 64000 }], "user_info": { "user_name": "nacos", "password": "${NACOS_PASSWORD}" } } } }"#,
    source: "grpc_port: gRPC port number of the Nacos server. Default: port number + 1000 Range: 1–65535.",    example_operation: None,
    fix: Fixable::No,
};

pub static DUPLICATE_NACOS_SERVER: Rule = Rule {
    name: "duplicate-nacos-server",
    default_severity: Severity::Warning,
    group: "registry",
    summary: "The same Nacos server is listed twice",
    what: "Reports a `server_config` entry with the same `ip_address` and `port` as an earlier one, with a label on the first.",
    why: "A duplicated server adds no redundancy and skews client-side load spreading.",
    bad: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS", "nacos_info": { "service_name": "orders", "server_config": [{ "ip_address": "10.0.0.9", "port": 8848 }, { "ip_address": "10.0.0.9", "port": 8848 }], "user_info": { "user_name": "nacos", "password": "${NACOS_PASSWORD}" } } } }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS", "nacos_info": { "service_name": "orders", "server_config": [{ "ip_address": "10.0.0.9", "port": 8848 }, { "ip_address": "10.0.0.10", "port": 8848 }], "user_info": { "user_name": "nacos", "password": "${NACOS_PASSWORD}" } } } }"#,
    source: "server_config: Nacos server configurations.",    example_operation: None,
    fix: Fixable::No,
};

const BASE: &str = "/microservice_info";

pub fn check(ctx: &mut Ctx<'_>) {
    if ctx.microservice_info_ignored {
        return;
    }
    let Some(ms) = ctx
        .body
        .channel
        .as_ref()
        .and_then(|c| c.microservice_info)
        .filter(|m| m.node.as_object().is_some())
    else {
        return;
    };
    let info = ms.node;
    let st_field = ms.service_type();
    let st = st_field.and_then(|f| f.value);
    let label_st = |d: Diagnostic| match (st_field, st) {
        (Some(n), Some(st)) => d.label(n.value_span(), format!("service_type is {st}")),
        (Some(n), None) => d.label(n.value_span(), "service_type is ?"),
        (None, _) => d,
    };

    // APIG supports CCE workloads (OPERATIONS.md); CCE_SERVICE is supported by neither.
    let cce_supported = ctx.op.product == Product::Apig;
    let unsupported = match st {
        Some(ServiceType::CceService) => st,
        Some(ServiceType::Cce) if !cce_supported => st,
        _ => None,
    };
    if let (Some(s), Some(n)) = (unsupported, st_field) {
        ctx.push(
            Diagnostic::new(
                &MICROSERVICE_UNSUPPORTED,
                format!("{BASE}/service_type"),
                n.value_span(),
                format!("service_type {s} is not supported"),
            )
            .primary("not supported")
            .help(if cce_supported {
                "use a CSE, CCE or NACOS registry"
            } else {
                "use a CSE or NACOS registry (API Gateway also supports CCE workloads)"
            }),
        );
    }
    for ty in [ServiceType::Nacos, ServiceType::Cse, ServiceType::Cce] {
        let block = ty.info_block();
        if ty == ServiceType::Cce && !cce_supported {
            continue;
        }
        if st == Some(ty) && ms.block(block).is_none() {
            let (p, span) = absent_location(info, BASE, block);
            ctx.push(label_st(
                Diagnostic::new(
                    &MISSING_REGISTRY_INFO,
                    p,
                    span,
                    format!("service_type {ty} needs `{block}`"),
                )
                .primary(format!("{block} is missing or empty"))
                .help(format!(
                    "add `\"{block}\": {{ … }}` describing the {ty} registry"
                )),
            ));
        }
    }
    let mut nacos_ignored = false;
    for block in ["cse_info", "cce_info", "cce_service_info", "nacos_info"] {
        let Some(m) = ms.block(block) else {
            continue;
        };
        let reason = match (block, st) {
            ("cce_info", Some(ServiceType::Cce)) if cce_supported => None,
            ("cce_info", Some(s)) if cce_supported => Some(format!("service_type is {s}, not CCE")),
            ("cce_info" | "cce_service_info", _) => {
                Some("CCE registries are not supported".to_owned())
            }
            ("cse_info", Some(s)) if s != ServiceType::Cse => {
                Some(format!("service_type is {s}, not CSE"))
            }
            ("nacos_info", Some(s)) if s != ServiceType::Nacos => {
                Some(format!("service_type is {s}, not NACOS"))
            }
            _ => None,
        };
        if let Some(reason) = reason {
            nacos_ignored |= block == "nacos_info";
            ctx.push(
                Diagnostic::new(
                    &REGISTRY_INFO_IGNORED,
                    format!("{BASE}/{block}"),
                    m.span(),
                    format!("`{block}` is ignored: {reason}"),
                )
                .primary("ignored")
                .help(format!("remove `{block}`, or fix service_type")),
            );
        }
    }
    if !nacos_ignored {
        if let Some(servers) = ms.nacos_servers() {
            check_servers(ctx, servers);
        }
    }
}

fn check_servers<'a>(ctx: &mut Ctx<'_>, servers: impl Iterator<Item = NacosServer<'a>>) {
    let base = format!("{BASE}/nacos_info/server_config");
    let mut seen: HashMap<(&str, Option<i64>), Span> = HashMap::new();
    for s in servers {
        let i = s.index;
        let port = s.port().map(|f| (f.value, f.value_span()));
        if let (Some((p, span)), true) = (port, s.grpc_port_absent()) {
            if (1..=65535).contains(&p) && p + 1000 > 65535 {
                ctx.push(
                    Diagnostic::new(
                        &NACOS_GRPC_PORT_OUT_OF_RANGE,
                        format!("{base}/{i}/port"),
                        span,
                        format!(
                            "the default gRPC port {} (port + 1000) exceeds 65535",
                            p + 1000
                        ),
                    )
                    .primary(format!("port {p}"))
                    .help(format!(
                        "set `grpc_port` explicitly (1–65535), or use a port of at most {}",
                        65535 - 1000
                    )),
                );
            }
        }
        if let Some(ip) = s.ip_address() {
            {
                let addr = ip.value;
                let key = (addr, port.map(|p| p.0));
                match seen.get(&key) {
                    Some(&first) => ctx.push(
                        Diagnostic::new(
                            &DUPLICATE_NACOS_SERVER,
                            format!("{base}/{i}/ip_address"),
                            ip.value_span(),
                            format!(
                                "Nacos server {addr}{} is listed twice",
                                key.1.map(|p| format!(":{p}")).unwrap_or_default()
                            ),
                        )
                        .primary("duplicate server")
                        .label(first, "first listed here")
                        .help("remove the duplicate server entry"),
                    ),
                    None => {
                        seen.insert(key, ip.value_span());
                    }
                }
            }
        }
    }
}

//! D. Backends: `members` and `member_groups`, and how they fit the channel type.
//!
//! Every cross-member check (duplicates, group references) goes through a hash map: a
//! request with 200 000 members is linted in linear time.

use super::channel::absent_location;
use super::{describe_char, did_you_mean, Ctx, Rule};
use crate::diagnostic::Fixable;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity, Span};
use crate::json::{Member, Node};
use crate::model::{ChannelType, MemberType, ServiceType};
use crate::operation::MemberSet;
use crate::view::{Backend, Body, EcsField, Group, MicroserviceField};
use std::collections::HashMap;
use std::net::Ipv6Addr;

pub static MEMBER_GROUP_NOT_FOUND: Rule = Rule {
    name: "member-group-not-found",
    default_severity: Severity::Error,
    group: "backends",
    summary: "A member names a member group that does not exist",
    what: "Reports `members[i].member_group_name` when no entry of `member_groups` has that name (compared case-sensitively), suggesting the closest group.",
    why: "The API cannot attach the backend to a group that does not exist and rejects the request.",
    bad: r#"{ "member_groups": [{ "member_group_name": "blue" }], "members": [{ "host": "10.0.0.5", "member_group_name": "bleu" }] }"#,
    good: r#"{ "member_groups": [{ "member_group_name": "blue" }], "members": [{ "host": "10.0.0.5", "member_group_name": "blue" }] }"#,
    source: "member_group_name: Name of the backend server group. Select a server group for the backend service address.",    example_operation: None,
    fix: Fixable::No,
};

pub static DUPLICATE_MEMBER_GROUP: Rule = Rule {
    name: "duplicate-member-group",
    default_severity: Severity::Error,
    group: "backends",
    summary: "Two member groups share a name",
    what: "Reports each later member group whose `member_group_name` an earlier group already uses, with a label on the first.",
    why: "Members refer to groups by name; with two groups of one name the reference is ambiguous and the API rejects it.",
    bad: r#"{ "member_groups": [{ "member_group_name": "blue" }, { "member_group_name": "blue" }] }"#,
    good: r#"{ "member_groups": [{ "member_group_name": "blue" }, { "member_group_name": "green" }] }"#,
    source: "member_group_name: Name of the VPC channel's backend server group.",    example_operation: None,
    fix: Fixable::No,
};

pub static MEMBER_MISSING_HOST: Rule = Rule {
    name: "member-missing-host",
    default_severity: Severity::Error,
    group: "backends",
    summary: "An `ip` member without host",
    what: "Reports a member without `host` (or with `\"host\": \"\"`) when `member_type` is `ip`.",
    why: "An IP-type backend is addressed by its host; without one there is nothing to send traffic to.",
    bad: r#"{ "member_type": "ip", "members": [{ "port": 80 }] }"#,
    good: r#"{ "member_type": "ip", "members": [{ "host": "10.0.0.5", "port": 80 }] }"#,
    source: "host: Backend server address. This parameter is valid when the member type is IP address.",    example_operation: None,
    fix: Fixable::No,
};

pub static MEMBER_MISSING_ECS: Rule = Rule {
    name: "member-missing-ecs",
    default_severity: Severity::Error,
    group: "backends",
    summary: "An `ecs` member without ecs_id or ecs_name",
    what: "Reports a member that lacks `ecs_id` or `ecs_name` (absent or empty) when `member_type` is `ecs`; one finding per missing field.",
    why: "Both are mandatory for ECS backends; the API rejects the member.",
    bad: r#"{ "member_type": "ecs", "members": [{ "ecs_id": "3f1c0b1e-98a0-4e5d-9d2e-6c4a1b2f7e10" }] }"#,
    good: r#"{ "member_type": "ecs", "members": [{ "ecs_id": "3f1c0b1e-98a0-4e5d-9d2e-6c4a1b2f7e10", "ecs_name": "web-01" }] }"#,
    source: "ecs_id / ecs_name: This parameter is mandatory when the backend instance type is ECS.",    example_operation: None,
    fix: Fixable::No,
};

pub static MEMBER_HOST_FORMAT: Rule = Rule {
    name: "member-host-format",
    default_severity: Severity::Error,
    group: "backends",
    summary: "host holds a URL, path, port suffix or whitespace",
    what: "Reports a `host` that is not a bare address: a URL scheme (`http://`), a path, a `:port` suffix, brackets or whitespace. IPv4, IPv6 literals (`fd00::5`) and DNS names are accepted.",
    why: "The API takes a bare address and the port in `port`; `http://10.0.0.5:80` is rejected or resolved as a nonsense host name.",
    bad: r#"{ "members": [{ "host": "http://10.0.0.5:80" }] }"#,
    good: r#"{ "members": [{ "host": "10.0.0.5", "port": 80 }] }"#,
    source: "host: Backend server address.",    example_operation: None,
    fix: Fixable::Unsafe,
};

pub static MEMBER_FIELD_IGNORED: Rule = Rule {
    name: "member-field-ignored",
    default_severity: Severity::Warning,
    group: "backends",
    summary: "host on an ecs member, or ecs_id/ecs_name on an ip member",
    what: "Reports `host` when `member_type` is `ecs`, and `ecs_id`/`ecs_name` when it is `ip`; one finding per ignored field.",
    why: "The field is ignored, so the backend is not the one the file seems to describe; usually member_type is wrong.",
    bad: r#"{ "member_type": "ecs", "members": [{ "host": "10.0.0.5", "ecs_id": "i-1", "ecs_name": "web" }] }"#,
    good: r#"{ "member_type": "ecs", "members": [{ "ecs_id": "i-1", "ecs_name": "web" }] }"#,
    source: "host: This parameter is valid when the member type is IP address.",    example_operation: None,
    fix: Fixable::No,
};

pub static MEMBER_WEIGHT_IGNORED: Rule = Rule {
    name: "member-weight-ignored",
    default_severity: Severity::Warning,
    group: "backends",
    summary: "A member weight on a channel that is not a server channel",
    what: "Reports `members[i].weight` when the effective channel type is not `builtin` (server).",
    why: "Weights are honoured only by server channels; elsewhere traffic is not split the way the file says.",
    bad: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "CSE", "cse_info": { "engine_id": "e1", "service_id": "s1" } }, "members": [{ "host": "10.0.0.5", "weight": 5 }] }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "CSE", "cse_info": { "engine_id": "e1", "service_id": "s1" } }, "members": [{ "host": "10.0.0.5" }] }"#,
    source: "weight: It is valid only when the VPC channel type is set to 2.",    example_operation: None,
    fix: Fixable::No,
};

pub static DUPLICATE_MEMBER: Rule = Rule {
    name: "duplicate-member",
    default_severity: Severity::Warning,
    group: "backends",
    summary: "The same backend is listed twice",
    what: "Reports a member with the same `host` and `port` as an earlier one (member_type `ip`), or the same `ecs_id` (member_type `ecs`), with a label on the first.",
    why: "The backend gets double weight, or the API rejects the duplicate; either way it is rarely intended.",
    bad: r#"{ "member_type": "ip", "members": [{ "host": "10.0.0.5" }, { "host": "10.0.0.5" }] }"#,
    good: r#"{ "member_type": "ip", "members": [{ "host": "10.0.0.5" }, { "host": "10.0.0.6" }] }"#,
    source: "members: Backend instances of the VPC channel.",    example_operation: None,
    fix: Fixable::No,
};

pub static ALL_MEMBERS_BACKUP: Rule = Rule {
    name: "all-members-backup",
    default_severity: Severity::Warning,
    group: "backends",
    summary: "Every member is a standby node",
    what: "Reports `members` when every member has `is_backup: true`.",
    why: "Standby nodes work only when all non-standby nodes are faulty; with no primary node the channel's behaviour while healthy is undefined.",
    bad: r#"{ "members": [{ "host": "10.0.0.5", "is_backup": true }] }"#,
    good: r#"{ "members": [{ "host": "10.0.0.5" }, { "host": "10.0.0.6", "is_backup": true }] }"#,
    source: "is_backup: the corresponding backend service functions as the standby node and works only when all non-standby nodes are faulty.",    example_operation: None,
    fix: Fixable::No,
};

pub static MEMBERS_IGNORED_FOR_REFERENCE: Rule = Rule {
    name: "members-ignored-for-reference",
    default_severity: Severity::Warning,
    group: "backends",
    summary: "members given for a reference channel",
    what: "Reports a non-empty `members` when the effective channel type is `reference`. The members then get no further findings of their own.",
    why: "A reference channel takes its backends from the referenced channel; the members are not used.",
    bad: r#"{ "vpc_channel_type": "reference", "members": [{ "host": "10.0.0.5" }] }"#,
    good: r#"{ "vpc_channel_type": "reference", "member_groups": [{ "member_group_name": "ref", "reference_vpc_channel_id": "56a7d7358e1b42459c9d730d65b14e59" }] }"#,
    source: "members: This field will not be used to add or update backend instances for a reference load balance channel.",    example_operation: None,
    fix: Fixable::No,
};

pub static MICROSERVICE_GROUP_FIELD_IGNORED: Rule = Rule {
    name: "microservice-group-field-ignored",
    default_severity: Severity::Warning,
    group: "backends",
    summary: "A microservice-only group field on a non-microservice channel",
    what: "Reports `microservice_version`, `microservice_port` or `microservice_labels` on a member group when the effective channel type is not `microservice`; one finding per field.",
    why: "These fields are supported only for microservice channels and are otherwise ignored.",
    bad: r#"{ "vpc_channel_type": "builtin", "member_groups": [{ "member_group_name": "blue", "microservice_version": "1.0" }] }"#,
    good: r#"{ "vpc_channel_type": "builtin", "member_groups": [{ "member_group_name": "blue" }] }"#,
    source: "microservice_version: This parameter is supported only when the VPC channel type is microservice.",    example_operation: None,
    fix: Fixable::No,
};

pub static REFERENCE_ID_IGNORED: Rule = Rule {
    name: "reference-id-ignored",
    default_severity: Severity::Warning,
    group: "backends",
    summary: "reference_vpc_channel_id on a channel that is not a reference channel",
    what: "Reports `member_groups[i].reference_vpc_channel_id` when the effective channel type is not `reference`.",
    why: "The reference is ignored; usually `\"vpc_channel_type\": \"reference\"` was forgotten.",
    bad: r#"{ "vpc_channel_type": "builtin", "member_groups": [{ "member_group_name": "ref", "reference_vpc_channel_id": "56a7d735" }] }"#,
    good: r#"{ "vpc_channel_type": "reference", "member_groups": [{ "member_group_name": "ref", "reference_vpc_channel_id": "56a7d735" }] }"#,
    source: "reference_vpc_channel_id: This parameter is supported only when the VPC channel type is reference (vpc_channel_type=reference).",    example_operation: None,
    fix: Fixable::No,
};

pub static MISSING_REFERENCE_ID: Rule = Rule {
    name: "missing-reference-id",
    default_severity: Severity::Error,
    group: "backends",
    summary: "A reference channel where no group references a channel",
    what: "Reports a `reference` channel in which no member group carries a non-empty `reference_vpc_channel_id`.",
    why: "A reference channel without a referenced channel has no backends at all.",
    bad: r#"{ "vpc_channel_type": "reference", "member_groups": [{ "member_group_name": "ref" }] }"#,
    good: r#"{ "vpc_channel_type": "reference", "member_groups": [{ "member_group_name": "ref", "reference_vpc_channel_id": "56a7d7358e1b42459c9d730d65b14e59" }] }"#,
    source: "reference_vpc_channel_id: ID of the reference load balance channel.",    example_operation: None,
    fix: Fixable::No,
};

pub static NACOS_GROUP_WEIGHT: Rule = Rule {
    name: "nacos-group-weight",
    default_severity: Severity::Error,
    group: "backends",
    summary: "member_group_weight with a NACOS registry",
    what: "Reports `member_groups[i].member_group_weight` when `microservice_info.service_type` is `NACOS`.",
    why: "With Nacos the weights come from the registry; the API does not allow setting them by hand.",
    bad: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS", "nacos_info": { "service_name": "orders", "server_config": [{ "ip_address": "10.0.0.9", "port": 8848 }], "user_info": { "user_name": "nacos", "password": "${NACOS_PASSWORD}" } } }, "member_groups": [{ "member_group_name": "blue", "member_group_weight": 10 }] }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS", "nacos_info": { "service_name": "orders", "server_config": [{ "ip_address": "10.0.0.9", "port": 8848 }], "user_info": { "user_name": "nacos", "password": "${NACOS_PASSWORD}" } } }, "member_groups": [{ "member_group_name": "blue" }] }"#,
    source: "member_groups: If service_type in microservice_info is set to NACOS, the weight of the server group cannot be manually set.",    example_operation: None,
    fix: Fixable::No,
};

pub static DUPLICATE_LABEL: Rule = Rule {
    name: "duplicate-label",
    default_severity: Severity::Warning,
    group: "backends",
    summary: "A label_name repeated within one group's microservice_labels",
    what: "Reports a later `label_name` already used in the same group's `microservice_labels`, with a label on the first.",
    why: "Labels are a key/value map; one of the two values is dropped, and which one is not specified.",
    bad: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "CSE", "cse_info": { "engine_id": "e1", "service_id": "s1" } }, "member_groups": [{ "member_group_name": "blue", "microservice_labels": [{ "label_name": "zone", "label_value": "a" }, { "label_name": "zone", "label_value": "b" }] }] }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "CSE", "cse_info": { "engine_id": "e1", "service_id": "s1" } }, "member_groups": [{ "member_group_name": "blue", "microservice_labels": [{ "label_name": "zone", "label_value": "a" }] }] }"#,
    source: "microservice_labels: Tags of the backend server group.",    example_operation: None,
    fix: Fixable::No,
};

pub static DICT_CODE_UNSUPPORTED: Rule = Rule {
    name: "dict-code-unsupported",
    default_severity: Severity::Warning,
    group: "backends",
    summary: "dict_code is not supported",
    what: "Reports a non-empty `dict_code` at the root or on a member group.",
    why: "The API documents the field as not supported currently; its value has no effect.",
    bad: r#"{ "dict_code": "web_channel" }"#,
    good: "{ }",
    source: "dict_code: The dictionary code of a VPC channel. … Not supported currently.",
    example_operation: None,
    fix: Fixable::No,
};

/// Member lists up to this long are searched for duplicates directly, not hashed.
const SMALL_LIST: usize = 16;

/// What makes a member a backend: (host, port) or (ecs_id, none); the member holding it,
/// and that field's name.
type Identity<'a> = ((&'a str, Option<i64>), Member<'a>, &'static str);

pub fn check<'a>(ctx: &mut Ctx<'a>) {
    let body = ctx.body;
    let layout = ctx.layout;
    let channel = ctx.channel;
    let kind = channel.as_ref().map(|c| c.kind);
    // Channel-level fields exist only in a whole channel's body (the view has no channel
    // part elsewhere); there the rules that need them stay silent (OPERATIONS.md).
    let member_type = body
        .channel
        .as_ref()
        .and_then(|c| c.member_type)
        .and_then(|f| f.value);
    if let Some(d) = body.channel.as_ref().and_then(|c| c.dict_code) {
        ctx.push(dict_code(d, "/dict_code".into()));
    }

    let group_names = check_groups(ctx, &body, kind);
    // Group references can only be checked inside a body that has both lists.
    let check_references = layout.channel;

    let Some(members) = body.members else {
        return;
    };
    if kind == Some(ChannelType::Reference) && !members.is_empty() {
        let m = members.field.expect("members is non-empty");
        let why = channel.as_ref().map(|c| c.describe()).unwrap_or_default();
        ctx.push(
            Diagnostic::new(&MEMBERS_IGNORED_FOR_REFERENCE, "/members", m.key_span(), format!("`members` is not used by a reference channel: {why}"))
                .primary("ignored")
                .help("a reference channel takes its backends from the channel named by `reference_vpc_channel_id`; remove `members`"),
        );
        ctx.members_ignored = true;
        return;
    }

    let channel_port = body.channel.as_ref().and_then(|c| c.port).map(|f| f.value);
    // Duplicate backends: host+port for ip members, ecs_id for ecs members. A body without
    // `member_type` (a members-only body) compares what each member has.
    let identity_of = |member: Backend<'a>| -> Option<Identity<'a>> {
        let by_host = match member_type {
            Some(t) => t == MemberType::Ip,
            None => !layout.channel && member.host().is_some(),
        };
        let by_ecs = match member_type {
            Some(t) => t == MemberType::Ecs,
            None => !layout.channel && !by_host,
        };
        match (by_host, by_ecs) {
            (true, _) => member.host().and_then(|h| {
                // An absent or 0 port means the channel's port (revision 2).
                let port = member.own_port().or(channel_port);
                h.value().as_str().map(|s| ((s, port), h, "host"))
            }),
            (_, true) => member
                .ecs_identifier(EcsField::Id)
                .and_then(|e| e.value().as_str().map(|s| ((s, None), e, "ecs_id"))),
            _ => None,
        }
    };
    // Index-valued: the table holds member indices (4 bytes each) and the keys are read
    // back from the members, so 200 000 members cost about 1 MB here, not 15.
    // A short list (most requests) is searched directly: at most 120 comparisons, cheaper
    // than hashing each member's key (with SipHash, 4 % of a 10 000-file run).
    let small = members.len() <= SMALL_LIST;
    use std::hash::BuildHasher;
    let hasher = hashbrown::DefaultHashBuilder::default();
    let mut seen: hashbrown::HashTable<u32> =
        hashbrown::HashTable::with_capacity(if small { 0 } else { members.len() });
    let mut keys: [Option<(&str, Option<i64>)>; SMALL_LIST] = [None; SMALL_LIST];
    // Whether every member is a standby can only be judged on the whole member set.
    let whole = match ctx.op.member_set() {
        MemberSet::Whole => true,
        MemberSet::Some => false,
        MemberSet::WholeOrGroup => body.scoped_group().is_none(),
    };
    let mut all_backup = whole && !members.is_empty();
    for member in members.iter() {
        let Ok(member) = member else {
            all_backup = false;
            continue;
        };
        let i = member.index;
        if !member.is_backup() {
            all_backup = false;
        }
        // Read once: the type checks, the format check and the identity all ask for it.
        let host = member.host();
        match member_type {
            Some(MemberType::Ip) => {
                if host.is_none() {
                    let (p, span) = absent_location(member.node, &member.pointer(), "host");
                    ctx.push(
                        Diagnostic::new(
                            &MEMBER_MISSING_HOST,
                            p,
                            span,
                            format!("member {i} has no `host`, but member_type is \"ip\""),
                        )
                        .primary("host is missing or empty")
                        .help("add `\"host\": \"10.0.0.5\"` (an IP address or domain name)"),
                    );
                }
                for &key in EcsField::ALL {
                    if let Some(m) = member.ecs(key) {
                        ctx.push(field_ignored(
                            i,
                            m,
                            "member_type is \"ip\"",
                            "member_type is \"ecs\"",
                        ));
                    }
                }
            }
            Some(MemberType::Ecs) => {
                for &key in EcsField::ALL {
                    if member.ecs_identifier(key).is_none() {
                        let key = key.as_str();
                        let (p, span) = absent_location(member.node, &member.pointer(), key);
                        ctx.push(
                            Diagnostic::new(
                                &MEMBER_MISSING_ECS,
                                p,
                                span,
                                format!("member {i} has no `{key}`, but member_type is \"ecs\""),
                            )
                            .primary(format!("{key} is missing or empty"))
                            .help("ECS members need both `ecs_id` and `ecs_name`"),
                        );
                    }
                }
                if let Some(m) = host {
                    ctx.push(field_ignored(
                        i,
                        m,
                        "member_type is \"ecs\"",
                        "member_type is \"ip\"",
                    ));
                }
            }
            None => {}
        }
        if member_type != Some(MemberType::Ecs) {
            if let Some(h) = host {
                if let Some(problem) = h
                    .value()
                    .as_str()
                    .filter(|s| !ctx.is_unknown(s))
                    .and_then(host_problem)
                {
                    let d = Diagnostic::new(
                        &MEMBER_HOST_FORMAT,
                        member.field_pointer("host"),
                        h.value().span(),
                        format!("`host` must be a bare address: {problem}"),
                    )
                    .primary("not a bare address");
                    ctx.push(with_host_proposal(d, member, h.value()));
                }
            }
        }
        if let (Some(w), Some(c)) = (member.weight(), &channel) {
            if c.kind != ChannelType::Builtin {
                ctx.push(
                    Diagnostic::new(
                        &MEMBER_WEIGHT_IGNORED,
                        member.field_pointer("weight"),
                        w.span(),
                        format!("member weight is ignored: {}", c.describe()),
                    )
                    .primary("ignored")
                    .help("weights apply only to server (builtin) channels; remove `weight`"),
                );
            }
        }
        if let Some(g) = member.group_name().filter(|_| check_references) {
            if let Some(name) = g.value().as_str().filter(|s| !s.is_empty()) {
                if !group_names.contains_key(name) {
                    let mut d = Diagnostic::new(
                        &MEMBER_GROUP_NOT_FOUND,
                        member.field_pointer("member_group_name"),
                        g.value().span(),
                        format!("member group \"{name}\" does not exist"),
                    )
                    .primary("no member group of this name");
                    let suggestion = did_you_mean(name, group_names.keys().copied());
                    d = match suggestion {
                        Some(s) => d.label(group_names[s], "closest group").help(format!("did you mean \"{s}\"?")),
                        None if group_names.is_empty() => d.help("`member_groups` defines no group; add one with this `member_group_name`"),
                        None => {
                            let mut names: Vec<&str> = group_names.keys().copied().collect();
                            names.sort_unstable();
                            d.help(format!("defined groups: {}", names.join(", ")))
                        }
                    };
                    ctx.push(d);
                }
            }
        }
        let identity = identity_of(member);
        if small {
            // A short list keeps its members' keys (at most 16), so the direct search reads
            // none twice.
            keys[i] = identity.map(|(k, _, _)| k);
        }
        if let Some((key, m, field)) = identity {
            let same = |&j: &u32| {
                members
                    .get(j as usize)
                    .and_then(identity_of)
                    .is_some_and(|(k, _, _)| k == key)
            };
            // The first earlier member with the same key: only first occurrences are in
            // the table, and the direct search stops at the first.
            let (earlier, hash) = if small {
                ((0..i).find(|&j| keys[j] == Some(key)).map(|j| j as u32), 0)
            } else {
                let hash = hasher.hash_one(key);
                (seen.find(hash, same).copied(), hash)
            };
            match earlier {
                Some(j) => {
                    let first = members
                        .get(j as usize)
                        .and_then(identity_of)
                        .map_or(m.value().span(), |(_, f, _)| f.value().span());
                    let what = if field == "host" {
                        match key.1 {
                            Some(p) => format!("{}:{p}", key.0),
                            None => key.0.to_owned(),
                        }
                    } else {
                        key.0.to_owned()
                    };
                    ctx.push(
                        Diagnostic::new(
                            &DUPLICATE_MEMBER,
                            member.field_pointer(field),
                            m.value().span(),
                            format!("member {i} repeats member {j} ({what})"),
                        )
                        .primary("duplicate backend")
                        .label(first, "first listed here")
                        .help("remove the duplicate member"),
                    );
                }
                None if small => {}
                None => {
                    // Sized for every member up front: no rehash ever needs the keys again.
                    seen.insert_unique(hash, i as u32, |&j| {
                        members
                            .get(j as usize)
                            .and_then(identity_of)
                            .map_or(0, |(k, _, _)| hasher.hash_one(k))
                    });
                }
            }
        }
    }
    if all_backup {
        let m = members.field.expect("members is non-empty");
        ctx.push(
            Diagnostic::new(&ALL_MEMBERS_BACKUP, "/members", m.key_span(), "every member is a standby node (`is_backup: true`)")
                .primary("no primary member")
                .help("standby nodes serve only when all non-standby nodes are faulty; make at least one member a primary (remove its `is_backup`)"),
        );
    }
}

/// Attach the bare host a URL-like `host` meant, as an unsafe fix: the port moves to the
/// member's `port` when it has none, and is named in the help when it has another.
fn with_host_proposal(d: Diagnostic, member: Backend<'_>, host: Node<'_>) -> Diagnostic {
    let Some((addr, port)) = host.as_str().and_then(host_proposal) else {
        return d.help("write only the address (an IP address or domain name) in `host`, and the port in `port`");
    };
    let member_port = member.port().map(|f| f.value);
    let mut edits = vec![Edit {
        span: host.span(),
        replacement: format!("\"{addr}\""),
    }];
    let help = match (port, member_port) {
        (Some(p), None) => {
            // A `port` key of another type (`"9090"`, `null`) gets the value; a second
            // `port` key would be a duplicate.
            edits.push(match member.port_member() {
                Some(existing) => Edit {
                    span: existing.value().span(),
                    replacement: p.to_string(),
                },
                None => Edit {
                    span: Span::at(host.span().end),
                    replacement: format!(", \"port\": {p}"),
                },
            });
            format!("write `\"host\": \"{addr}\"` and `\"port\": {p}`")
        }
        (Some(p), Some(mp)) if i64::from(p) != mp => format!(
            "write `\"host\": \"{addr}\"`; the member's `port` is {mp}, the host named {p}: keep the one you mean"
        ),
        _ => format!("write `\"host\": \"{addr}\"`"),
    };
    d.help(help).with_fix(Fix {
        title: format!("Write host \"{addr}\""),
        applicability: Applicability::Unsafe,
        edits,
    })
}

fn field_ignored(i: usize, m: Member<'_>, why: &str, valid_when: &str) -> Diagnostic {
    Diagnostic::new(
        &MEMBER_FIELD_IGNORED,
        format!("/members/{i}/{}", m.key()),
        m.span(),
        format!("`{}` of member {i} is ignored: {why}", m.key()),
    )
    .primary("ignored")
    .help(format!(
        "`{}` is used only when {valid_when}; remove it or fix member_type",
        m.key()
    ))
}

fn dict_code(m: Member<'_>, pointer: String) -> Diagnostic {
    Diagnostic::new(
        &DICT_CODE_UNSUPPORTED,
        pointer,
        m.span(),
        "`dict_code` is not supported currently",
    )
    .primary("has no effect")
    .help("remove `dict_code`")
}

/// Check member groups; returns the set of group names with the span of each first use.
fn check_groups<'a>(
    ctx: &mut Ctx<'_>,
    body: &Body<'a>,
    kind: Option<ChannelType>,
) -> HashMap<&'a str, Span> {
    let mut names: HashMap<&'a str, Span> = HashMap::new();
    let service_type = body
        .channel
        .as_ref()
        .and_then(|c| c.microservice_info)
        .and_then(|m| m.service_type());
    let nacos = !ctx.microservice_info_ignored
        && service_type.and_then(|f| f.value) == Some(ServiceType::Nacos);
    let nacos_span = service_type.map(|f| f.value_span());
    let mut any_reference = false;
    // Formatted only for a finding that quotes it.
    let channel = ctx.channel;
    let why = || channel.map(|c| c.describe()).unwrap_or_default();
    for g in body.groups.iter() {
        // Formatted only for a finding.
        let base = || g.pointer();
        if let Some(n) = g.name() {
            let name = n.value;
            match names.get(name) {
                Some(&first) => ctx.push(
                    Diagnostic::new(
                        &DUPLICATE_MEMBER_GROUP,
                        format!("{}/member_group_name", base()),
                        n.value_span(),
                        format!("member group \"{name}\" is defined twice"),
                    )
                    .primary("duplicate name")
                    .label(first, "first defined here")
                    .help("give each member group a unique `member_group_name`, or merge the two"),
                ),
                None => {
                    names.insert(name, n.value_span());
                }
            }
        }
        if let Some(d) = g.dict_code() {
            ctx.push(dict_code(d, format!("{}/dict_code", base())));
        }
        let mut labels_ignored = false;
        if kind.is_some_and(|k| k != ChannelType::Microservice) {
            for &field in MicroserviceField::ALL {
                if let Some(m) = g.microservice_field(field) {
                    let key = field.as_str();
                    labels_ignored |= field == MicroserviceField::Labels;
                    ctx.push(
                        Diagnostic::new(
                            &MICROSERVICE_GROUP_FIELD_IGNORED,
                            format!("{}/{key}", base()),
                            m.span(),
                            format!("`{key}` is ignored: {}", why()),
                        )
                        .primary("microservice channels only")
                        .help(format!(
                            "remove `{key}`, or set `\"vpc_channel_type\": \"microservice\"`"
                        )),
                    );
                }
            }
        }
        if let Some((r, identifies)) = g.reference() {
            any_reference |= identifies;
            if kind.is_some_and(|k| k != ChannelType::Reference) {
                ctx.push(
                    Diagnostic::new(&REFERENCE_ID_IGNORED, format!("{}/reference_vpc_channel_id", base()), r.span(), format!("`reference_vpc_channel_id` is ignored: {}", why()))
                        .primary("reference channels only")
                        .help("set `\"vpc_channel_type\": \"reference\"` to create a reference channel, or remove the field"),
                );
            }
        }
        if nacos {
            if let Some(w) = g.weight() {
                let mut d = Diagnostic::new(
                    &NACOS_GROUP_WEIGHT,
                    format!("{}/member_group_weight", base()),
                    w.span(),
                    "member group weight cannot be set with a NACOS registry",
                )
                .primary("not allowed with NACOS")
                .help("remove `member_group_weight`: Nacos supplies the weights");
                if let Some(s) = nacos_span {
                    d = d.label(s, "service_type is NACOS");
                }
                ctx.push(d);
            }
        }
        if !labels_ignored {
            check_labels(ctx, g);
        }
    }
    if kind == Some(ChannelType::Reference) && !any_reference {
        let doc = body.root;
        let (pointer, span) = match body.groups.field {
            Some(m) => ("/member_groups".to_owned(), m.value().span()),
            None => (
                String::new(),
                Span::new(doc.span().start, doc.span().start + 1),
            ),
        };
        let mut d = Diagnostic::new(
            &MISSING_REFERENCE_ID,
            pointer,
            span,
            "a reference channel needs a member group with `reference_vpc_channel_id`",
        )
        .primary("no group references a channel");
        if let Some(v) = body.channel.as_ref().and_then(|c| c.vpc_channel_type) {
            d = d.label(v.value_span(), "vpc_channel_type is reference");
        }
        ctx.push(d.help("add `\"reference_vpc_channel_id\": \"<channel ID>\"` to a member group"));
    }
    names
}

fn check_labels(ctx: &mut Ctx<'_>, group: Group<'_>) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for (j, n) in group.label_names() {
        let name = n.value;
        match seen.get(name) {
            Some(&first) => ctx.push(
                Diagnostic::new(
                    &DUPLICATE_LABEL,
                    format!("{}/microservice_labels/{j}/label_name", group.pointer()),
                    n.value_span(),
                    format!("label \"{name}\" is set twice in this group"),
                )
                .primary("duplicate label")
                .label(first, "first set here")
                .help("keep one label per name"),
            ),
            None => {
                seen.insert(name, n.value_span());
            }
        }
    }
}

/// Why `host` is not a bare address, if it is not. Accepted (revision 2): an IPv4 dotted
/// quad with octets 0–255, an IPv6 literal without brackets or zone index, and a DNS name of
/// dot-separated labels of letters, digits, `-` and `_`, no label starting or ending in `-`.
pub fn host_problem(host: &str) -> Option<String> {
    // The common case first: a plain dotted quad (std accepts no leading zeros, a subset of
    // what is accepted below).
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return None;
    }
    if let Some(i) = host.find("://") {
        return Some(format!("it has a URL scheme (`{}://`)", &host[..i]));
    }
    if let Some(c) = host.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!("it contains {}", describe_char(c)));
    }
    if host.contains(['/', '?', '#']) {
        return Some("it contains a path".into());
    }
    if host.contains([',', ';']) {
        return Some("it lists several addresses: give one member per address".into());
    }
    if host.contains('*') {
        return Some("it is a wildcard: give one concrete address per member".into());
    }
    if host.contains(['[', ']']) {
        return Some(
            "it has brackets (write an IPv6 address without them, and the port in `port`)".into(),
        );
    }
    if host.contains(':') {
        if let Some((addr, zone)) = host.split_once('%') {
            if addr.parse::<Ipv6Addr>().is_ok() {
                return Some(format!(
                    "it has an IPv6 zone index (`%{zone}`), which the API does not take"
                ));
            }
        }
        if host.parse::<Ipv6Addr>().is_ok() {
            return None;
        }
        if let Some((addr, port)) = host.rsplit_once(':') {
            if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !addr.contains(':') {
                return Some(format!("it has a port suffix (`:{port}`) on `{addr}`"));
            }
        }
        return Some("it contains ':' but is not an IPv6 address".into());
    }
    if host.contains('%') {
        return Some("it contains '%', which is not allowed in a host".into());
    }
    if host.is_empty() {
        return Some("it is empty".into());
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels
        .iter()
        .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
    {
        // All digits: an IPv4 address, which must be a dotted quad of octets 0–255.
        if labels.len() != 4 {
            return Some(format!(
                "it is not an IPv4 address: {} numbers instead of 4",
                labels.len()
            ));
        }
        if let Some(bad) = labels
            .iter()
            .find(|l| l.len() > 3 || l.parse::<u16>().map_or(true, |v| v > 255))
        {
            return Some(format!(
                "it is not an IPv4 address: {bad} is not an octet (0–255)"
            ));
        }
        return None;
    }
    for l in &labels {
        if l.is_empty() {
            return Some("it has an empty label (`..`, or a dot at either end)".into());
        }
        if let Some(c) = l
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Some(format!(
                "it contains {}, which is not allowed in a host name",
                describe_char(c)
            ));
        }
        if l.starts_with('-') || l.ends_with('-') {
            return Some(format!("its label `{l}` starts or ends with '-'"));
        }
    }
    None
}

/// The bare host (and port) a URL-like `host` most likely meant, parsed as an authority
/// rather than cut at the first ':' or '%'; `None` when no proposal would itself pass.
fn host_proposal(host: &str) -> Option<(String, Option<u32>)> {
    let mut h = host.trim();
    if let Some(i) = h.find("://") {
        h = &h[i + 3..];
    }
    let authority = h.split(['/', '?', '#']).next().unwrap_or(h);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (addr, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (a, after) = rest.split_once(']')?;
        match after {
            "" => (a, None),
            p => (a, Some(p.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((a, p)) if !p.contains(':') => (a, Some(p)),
            Some(_) => (authority, None),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u32>().ok().filter(|p| (1..=65535).contains(p))?),
        None => None,
    };
    (host_problem(addr).is_none() && addr != host).then(|| (addr.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in [
            "10.0.0.5",
            "0.0.0.0",
            "255.255.255.255",
            "fd00::5",
            "::1",
            "::ffff:10.0.0.5",
            "backend.internal",
            "web-01",
            "svc_a.ns.svc.cluster.local",
            "a",
        ] {
            assert_eq!(host_problem(ok), None, "{ok}");
        }
        for (bad, says) in [
            ("http://10.0.0.5:80", "scheme"),
            ("10.0.0.5:80", "port suffix"),
            ("10.0.0.5/health", "path"),
            (" 10.0.0.5", "a space"),
            ("10.0.0.5\u{a0}", "U+00A0 NO-BREAK SPACE"),
            ("[fd00::5]:80", "brackets"),
            ("a b", "a space"),
            ("10.0.0.256", "256 is not an octet"),
            ("10.0.0", "3 numbers"),
            ("fe80::1%eth0", "zone index (`%eth0`)"),
            ("10.0.0.5,10.0.0.6", "several addresses"),
            ("*.example.com", "wildcard"),
            ("-web.internal", "starts or ends with '-'"),
            ("web..internal", "empty label"),
            ("web.internal.", "empty label"),
            ("wéb", "'é'"),
            ("", "empty"),
        ] {
            let p = host_problem(bad).unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(p.contains(says), "{bad}: {p}");
        }
        assert_eq!(
            host_proposal("http://10.0.0.5:8080/x"),
            Some(("10.0.0.5".into(), Some(8080)))
        );
        assert_eq!(
            host_proposal("http://[fd00::5]:80"),
            Some(("fd00::5".into(), Some(80)))
        );
        // Nothing is cut out of an address at ':' or '%'.
        assert_eq!(host_proposal("fe80::1%eth0"), None);
        assert_eq!(host_proposal("10.0.0.5:99999"), None);
        assert_eq!(host_proposal("10.0.0.256"), None);
    }
}

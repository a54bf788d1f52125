//! Rules that belong to one operation of the family (OPERATIONS.md), beyond its body's
//! schema: what an update does to the backends it does not mention.

use super::{Ctx, Rule};
use crate::diagnostic::Fixable;
use crate::diagnostic::{Diagnostic, Severity};
use crate::json::Items;
use crate::operation::Body;

pub static EMPTY_MEMBERS_UPDATE: Rule = Rule {
    name: "empty-members-update",
    default_severity: Severity::Warning,
    group: "operations",
    summary: "An empty members list on a channel update deletes every backend",
    what: "Reports `\"members\": []` in the body of `UpdateVpcChannelV2` (ROMA and APIG): the update replaces the channel's backends with the list given, so an empty list removes them all.",
    why: "A channel without backends answers every request with an error; an empty list is more often a template left unfilled than a wish to drain the channel.",
    bad: r#"{ "name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip", "members": [] }"#,
    good: r#"{ "name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip", "members": [{ "host": "10.0.0.5" }] }"#,
    source: "OPERATIONS.md: UpdateVpcChannelV2 — an empty members list deletes every existing backend.",
    example_operation: Some("roma:UpdateVpcChannelV2"),
    fix: Fixable::No,
};

pub static MEMBER_OUTSIDE_GROUP: Rule = Rule {
    name: "member-outside-group",
    default_severity: Severity::Warning,
    group: "operations",
    summary: "A member of another group in a group's backend update is ignored",
    what: "In the body of `UpdateBackendInstancesV2` with `member_group_name` set, reports each member whose own `member_group_name` is another group's (or absent): only the named group's backends are replaced.",
    why: "The member is silently dropped from the update; the backend you meant to change keeps its old settings.",
    bad: r#"{ "member_group_name": "blue", "members": [{ "host": "10.0.0.5", "member_group_name": "green" }] }"#,
    good: r#"{ "member_group_name": "blue", "members": [{ "host": "10.0.0.5", "member_group_name": "blue" }] }"#,
    source: "OPERATIONS.md: UpdateBackendInstancesV2 — with member_group_name, members of other groups are ignored.",
    example_operation: Some("roma:UpdateBackendInstancesV2"),
    fix: Fixable::No,
};

pub static DUPLICATE_MEMBER_ID: Rule = Rule {
    name: "duplicate-member-id",
    default_severity: Severity::Error,
    group: "operations",
    summary: "The same member ID twice in member_ids",
    what: "Reports each later occurrence of an ID already listed in `member_ids` (BatchEnableMembers, BatchDisableMembers), with a label on the first.",
    why: "The API expects each backend once; a repeated ID is rejected or, at best, a copy-paste slip that hides the ID meant instead.",
    bad: r#"{ "member_ids": ["m1", "m1"] }"#,
    good: r#"{ "member_ids": ["m1", "m2"] }"#,
    source: "OPERATIONS.md: member_ids is non-empty and unique.",
    example_operation: Some("roma:BatchEnableMembers"),
    fix: Fixable::Safe,
};

pub fn check(ctx: &mut Ctx<'_>) {
    let Some(members) = ctx.body.members else {
        return;
    };
    match ctx.op.body {
        Body::Channel {
            instance_ids: false,
        } if ctx.op.is_update() => {
            if let Some(m) = members.field {
                if m.value().as_array().is_some_and(Items::is_empty) {
                    ctx.push(
                        Diagnostic::new(
                            &EMPTY_MEMBERS_UPDATE,
                            "/members",
                            m.value().span(),
                            "an empty `members` list deletes every backend of the channel",
                        )
                        .primary("replaces all backends with none")
                        .help("list the backends the channel keeps, or leave `members` out to keep them unchanged"),
                    );
                }
            }
        }
        Body::Members { group: true } => {
            // An empty or blank name counts as absent (RULES.md revision 3): the update then
            // replaces every backend.
            let Some(scoped) = ctx.body.scoped_group() else {
                return;
            };
            let (group, group_span) = (scoped.value, scoped.value_span());
            for m in members.iter().flatten() {
                let own = m.group();
                if own.is_some_and(|o| o.value == group) {
                    continue;
                }
                let i = m.index;
                let (pointer, span, what) = match (own, m.group_name()) {
                    (Some(o), _) => (
                        m.field_pointer("member_group_name"),
                        o.value_span(),
                        format!("member {i} belongs to group \"{}\", not \"{group}\": the update ignores it", o.value),
                    ),
                    _ => (
                        m.pointer(),
                        crate::diagnostic::Span::new(m.node.span().start, m.node.span().start + 1),
                        format!("member {i} names no group, and the update replaces only group \"{group}\": it is ignored"),
                    ),
                };
                ctx.push(
                    Diagnostic::new(&MEMBER_OUTSIDE_GROUP, pointer, span, what)
                        .primary("ignored by this update")
                        .help(format!("set its `member_group_name` to \"{group}\", or update its group in a request of its own"))
                        .label(group_span, format!("the update replaces group \"{group}\"")),
                );
            }
        }
        _ => {}
    }
}

//! The typed view of a request body: what the cross-field rules read.
//!
//! [`read`] is the one function that finds a body's parts where its operation's [`Layout`]
//! puts them: the channel's own fields, the health check, the members, the member groups and
//! the microservice info. Each part is a `Copy` handle over the arena tree with one accessor
//! per field, as rust-analyzer's typed syntax nodes sit over its untyped tree: nothing is
//! copied, so 200 000 members cost no more memory than the tree already holds, and a rule
//! that reads one field of each member reads only that field.
//!
//! Accessors return a [`Field`]: the member as written (key, value and their spans, for
//! messages and fixes) and its value as a Rust type. Enum fields are the [`crate::model`]
//! enums; the raw text stays reachable for messages ("service_type is ?"). What counts as
//! absent is decided here, once: a `null` value is absent everywhere (RULES.md revision 2),
//! "present" also excludes `""`, `{}` and `[]`, and an identifier excludes blank strings.

use crate::diagnostic::Span;
use crate::json::{Items, Member, Node};
use crate::model::{ChannelType, MemberType, Protocol, ServiceType};
use crate::operation::{Groups, Layout};

/// A field as written, and its value read as `T`.
#[derive(Clone, Copy, Debug)]
pub struct Field<'a, T> {
    pub member: Member<'a>,
    pub value: T,
}

impl<'a, T> Field<'a, T> {
    /// `"key": value`.
    pub fn span(&self) -> Span {
        self.member.span()
    }
    pub fn value_span(&self) -> Span {
        self.member.value().span()
    }
    pub fn node(&self) -> Node<'a> {
        self.member.value()
    }
    /// The value's text when it is a string (an enum's raw text, for messages).
    pub fn text(&self) -> Option<&'a str> {
        self.member.value().as_str()
    }
}

/// An enum field: `value` is `None` when the text is not one of the enum's values (or the
/// value is not a string); the schema pass reports that, the rules stay silent on it.
pub type EnumField<'a, T> = Field<'a, Option<T>>;

fn field<'a, T>(
    object: Node<'a>,
    key: &str,
    read: impl FnOnce(Node<'a>) -> Option<T>,
) -> Option<Field<'a, T>> {
    let member = object.member(key)?;
    let value = read(member.value())?;
    Some(Field { member, value })
}

fn enum_field<'a, T>(
    object: Node<'a>,
    key: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Option<EnumField<'a, T>> {
    field(object, key, |n| Some(n.as_str().and_then(parse)))
}

/// An integer field: a number with an integral value (`5` and `5.0`, not `5.5`).
fn int_field<'a>(object: Node<'a>, key: &str) -> Option<Field<'a, i64>> {
    field(object, key, |n| n.as_number().and_then(|x| x.as_integral()))
}

/// A string field holding text: not absent, `null`, `""` or only whitespace.
fn name_field<'a>(object: Node<'a>, key: &str) -> Option<Field<'a, &'a str>> {
    field(object, key, |n| n.as_str().filter(|s| !s.trim().is_empty()))
}

/// The effective channel type and the words that explain how it was derived.
#[derive(Clone, Copy, Debug)]
pub struct Effective {
    pub kind: ChannelType,
    pub why: &'static str,
}

impl Effective {
    /// "the effective channel type is `builtin` (vpc_channel_type is not set and type is not 3)"
    pub fn describe(&self) -> String {
        format!(
            "the effective channel type is `{}` ({})",
            self.kind.as_str(),
            self.why
        )
    }
}

/// A body, its parts found where its operation puts them.
#[derive(Clone, Copy, Debug)]
pub struct Body<'a> {
    pub root: Node<'a>,
    /// The channel's own fields, when the body is a whole channel.
    pub channel: Option<Channel<'a>>,
    /// The health check, when the operation has one and it is an object.
    pub health: Option<Health<'a>>,
    /// The members, when the operation has them (an absent list is empty).
    pub members: Option<Backends<'a>>,
    /// The member groups (none when the operation has none).
    pub groups: GroupList<'a>,
}

impl<'a> Body<'a> {
    /// A body whose parts are not read yet: none.
    pub fn unread(root: Node<'a>) -> Body<'a> {
        Body {
            root,
            channel: None,
            health: None,
            members: None,
            groups: GroupList {
                field: None,
                items: Items::default(),
                single: false,
            },
        }
    }

    /// The root's `member_group_name` when it names a group (a members update scoped to
    /// one group: RULES.md revision 3); blank counts as absent.
    pub fn scoped_group(&self) -> Option<Field<'a, &'a str>> {
        name_field(self.root, "member_group_name")
    }
}

/// Read a body into its parts. Cheap: a few key lookups at the top; the lists are read
/// item by item as the rules walk them.
pub fn read<'a>(root: Node<'a>, layout: Layout) -> Body<'a> {
    let component = |at: Option<&'static str>| {
        let at = at?;
        let (node, _) = root.lookup(at)?;
        (!node.is_null()).then_some((node, at))
    };
    let channel = layout.channel.then(|| Channel::read(root));
    let health = component(layout.health)
        .filter(|(n, _)| n.as_object().is_some())
        .map(|(node, pointer)| Health { node, pointer });
    let members = layout.members.map(|_| {
        let field = root.member("members");
        Backends {
            field,
            items: field.and_then(|m| m.value().as_array()).unwrap_or_default(),
        }
    });
    let groups = match layout.groups {
        Some(Groups::Array(at)) => GroupList {
            field: at.strip_prefix('/').and_then(|key| root.member(key)),
            items: component(Some(at))
                .and_then(|(n, _)| n.as_array())
                .unwrap_or_default(),
            single: false,
        },
        Some(Groups::Single) => GroupList {
            field: None,
            items: Items::one(root),
            single: true,
        },
        None => GroupList {
            field: None,
            items: Items::default(),
            single: false,
        },
    };
    Body {
        root,
        channel,
        health,
        members,
        groups,
    }
}

/// The fields of a whole channel's body that decide its type and its members' kind.
#[derive(Clone, Copy, Debug)]
pub struct Channel<'a> {
    pub node: Node<'a>,
    pub port: Option<Field<'a, i64>>,
    pub member_type: Option<EnumField<'a, MemberType>>,
    /// `vpc_channel_type`, whatever its value (`null` aside).
    pub vpc_channel_type: Option<EnumField<'a, ChannelType>>,
    /// The legacy `type` when it is set: not absent, `null`, `""` or `0`; its value when it
    /// is an integer.
    pub legacy_type: Option<Field<'a, Option<i64>>>,
    pub microservice_info: Option<Microservice<'a>>,
    /// `dict_code` when present (not empty).
    pub dict_code: Option<Member<'a>>,
    /// `name` when it is a non-empty string.
    pub name: Option<Field<'a, &'a str>>,
    /// `instance_ids` when it is an array.
    pub instance_ids: Option<Field<'a, Items<'a>>>,
    /// `None` when `vpc_channel_type` holds an invalid value: type-dependent rules stay
    /// silent rather than guess.
    pub effective: Option<Effective>,
}

impl<'a> Channel<'a> {
    fn read(node: Node<'a>) -> Channel<'a> {
        let vpc_channel_type = enum_field(node, "vpc_channel_type", ChannelType::parse);
        let legacy_type = field(node, "type", |n| {
            let int = n.as_number().and_then(|x| x.as_integral());
            (!n.is_empty_value() && int != Some(0)).then_some(int)
        });
        let microservice_info = node.member("microservice_info").map(|member| Microservice {
            member,
            node: member.value(),
        });
        let mut channel = Channel {
            node,
            port: int_field(node, "port"),
            member_type: enum_field(node, "member_type", MemberType::parse),
            vpc_channel_type,
            legacy_type,
            microservice_info,
            dict_code: node.member_present("dict_code"),
            name: field(node, "name", |n| n.as_str().filter(|s| !s.is_empty())),
            instance_ids: field(node, "instance_ids", Node::as_array),
            effective: None,
        };
        channel.effective = channel.resolve();
        channel
    }

    /// `vpc_channel_type` when it is a non-empty string (valid or not).
    pub fn vpc_channel_type_set(&self) -> Option<EnumField<'a, ChannelType>> {
        self.vpc_channel_type
            .filter(|f| f.text().is_some_and(|s| !s.is_empty()))
    }

    /// `type` is 3 (a microservice channel, when `microservice_info` is given).
    pub fn legacy_type_is_3(&self) -> bool {
        self.legacy_type.is_some_and(|t| t.value == Some(3))
    }

    /// `microservice_info` when it is present (not empty).
    pub fn microservice_info_present(&self) -> Option<Microservice<'a>> {
        self.microservice_info
            .filter(|m| !m.member.value().is_empty_value())
    }

    fn resolve(&self) -> Option<Effective> {
        if let Some(v) = self.vpc_channel_type.filter(|f| !f.node().is_empty_value()) {
            let kind = v.value?;
            return Some(Effective {
                kind,
                why: match kind {
                    ChannelType::Builtin => "vpc_channel_type is \"builtin\"",
                    ChannelType::Microservice => "vpc_channel_type is \"microservice\"",
                    ChannelType::Reference => "vpc_channel_type is \"reference\"",
                },
            });
        }
        let info = self.microservice_info_present().is_some();
        Some(match (self.legacy_type_is_3(), info) {
            (true, true) => Effective {
                kind: ChannelType::Microservice,
                why: "vpc_channel_type is not set, type is 3 and microservice_info is given",
            },
            (true, false) => Effective {
                kind: ChannelType::Builtin,
                why:
                    "vpc_channel_type is not set and microservice_info is empty although type is 3",
            },
            (false, _) => Effective {
                kind: ChannelType::Builtin,
                why: "vpc_channel_type is not set and type is not 3",
            },
        })
    }
}

/// `microservice_info` (whatever its value, `null` aside).
#[derive(Clone, Copy, Debug)]
pub struct Microservice<'a> {
    pub member: Member<'a>,
    pub node: Node<'a>,
}

impl<'a> Microservice<'a> {
    pub fn service_type(self) -> Option<EnumField<'a, ServiceType>> {
        enum_field(self.node, "service_type", ServiceType::parse)
    }
    /// A registry block (`nacos_info`, …) when it is present (not empty).
    pub fn block(self, key: &str) -> Option<Member<'a>> {
        self.node.member_present(key)
    }
    fn nacos(self) -> Option<Node<'a>> {
        self.node.get("nacos_info")
    }
    /// The Nacos servers, when `nacos_info.server_config` is an array (items that are not
    /// objects are skipped: a wrong type already).
    pub fn nacos_servers(self) -> Option<impl Iterator<Item = NacosServer<'a>>> {
        let items = self.nacos()?.get("server_config")?.as_array()?;
        Some(
            items
                .iter()
                .enumerate()
                .map(|(index, node)| NacosServer { index, node }),
        )
    }
    /// `nacos_info.user_info.password` when it is a string.
    pub fn nacos_password(self) -> Option<Field<'a, &'a str>> {
        let user = self.nacos()?.get("user_info")?;
        field(user, "password", Node::as_str)
    }
}

/// One entry of `nacos_info.server_config`.
#[derive(Clone, Copy, Debug)]
pub struct NacosServer<'a> {
    pub index: usize,
    pub node: Node<'a>,
}

impl<'a> NacosServer<'a> {
    pub fn port(self) -> Option<Field<'a, i64>> {
        int_field(self.node, "port")
    }
    /// `grpc_port` is absent or empty: the server's gRPC port is `port + 1000`.
    pub fn grpc_port_absent(self) -> bool {
        self.node.get_present("grpc_port").is_none()
    }
    /// `ip_address` when it is a non-empty string.
    pub fn ip_address(self) -> Option<Field<'a, &'a str>> {
        field(self.node, "ip_address", |n| {
            n.as_str().filter(|s| !s.is_empty())
        })
    }
}

/// The health check: a channel's `vpc_health_config`, or a health-check update's body.
#[derive(Clone, Copy, Debug)]
pub struct Health<'a> {
    pub node: Node<'a>,
    /// Where it sits (`/vpc_health_config` or the root).
    pub pointer: &'static str,
}

impl<'a> Health<'a> {
    pub fn protocol(self) -> Option<EnumField<'a, Protocol>> {
        enum_field(self.node, "protocol", Protocol::parse)
    }
    pub fn timeout(self) -> Option<Field<'a, i64>> {
        int_field(self.node, "timeout")
    }
    pub fn time_interval(self) -> Option<Field<'a, i64>> {
        int_field(self.node, "time_interval")
    }
    /// `path`, `method` or `http_code` when present (not empty): the HTTP-only fields.
    pub fn http_field(self, key: HttpField) -> Option<Member<'a>> {
        self.node.member_present(key.as_str())
    }
    pub fn enable_client_ssl(self) -> Option<Field<'a, bool>> {
        field(self.node, "enable_client_ssl", Node::as_bool)
    }
}

crate::model::api_enum! {
    /// The health check's fields that only an HTTP(S) check reads.
    HttpField { Path = "path", Method = "method", HttpCode = "http_code" }
}

/// The members list: the `members` field (when written) and its items.
#[derive(Clone, Copy, Debug)]
pub struct Backends<'a> {
    pub field: Option<Member<'a>>,
    pub items: Items<'a>,
}

impl<'a> Backends<'a> {
    pub fn len(self) -> usize {
        self.items.len()
    }
    pub fn is_empty(self) -> bool {
        self.items.is_empty()
    }
    /// Member `i`, when it is an object.
    pub fn get(self, i: usize) -> Option<Backend<'a>> {
        let node = self.items.get(i)?;
        node.as_object()
            .is_some()
            .then_some(Backend { index: i, node })
    }
    /// Every item: `Err(node)` for one that is not an object (a wrong type already).
    pub fn iter(self) -> impl Iterator<Item = Result<Backend<'a>, Node<'a>>> {
        self.items.iter().enumerate().map(|(index, node)| {
            if node.as_object().is_some() {
                Ok(Backend { index, node })
            } else {
                Err(node)
            }
        })
    }
}

/// One member (a backend).
#[derive(Clone, Copy, Debug)]
pub struct Backend<'a> {
    pub index: usize,
    pub node: Node<'a>,
}

impl<'a> Backend<'a> {
    /// `/members/{i}`.
    pub fn pointer(self) -> String {
        format!("/members/{}", self.index)
    }
    /// `/members/{i}/{key}`.
    pub fn field_pointer(self, key: &str) -> String {
        format!("/members/{}/{key}", self.index)
    }
    /// `host` when present (not empty).
    pub fn host(self) -> Option<Member<'a>> {
        self.node.member_present("host")
    }
    /// The `port` member whatever its value, `null` included: where a fix writes a port.
    pub fn port_member(self) -> Option<Member<'a>> {
        self.node.member_raw("port")
    }
    /// `port` when it is an integer.
    pub fn port(self) -> Option<Field<'a, i64>> {
        int_field(self.node, "port")
    }
    /// The member's own `port` when it is a non-zero integer (0 or absent means the
    /// channel's port: revision 2).
    pub fn own_port(self) -> Option<i64> {
        self.port().map(|f| f.value).filter(|p| *p != 0)
    }
    /// `ecs_id` or `ecs_name` when present (not empty).
    pub fn ecs(self, key: EcsField) -> Option<Member<'a>> {
        self.node.member_present(key.as_str())
    }
    /// `ecs_id` or `ecs_name` when it identifies something: not blank.
    pub fn ecs_identifier(self, key: EcsField) -> Option<Member<'a>> {
        self.node
            .member(key.as_str())
            .filter(|_| self.node.get_identifier(key.as_str()).is_some())
    }
    /// `weight` when present (not empty).
    pub fn weight(self) -> Option<Member<'a>> {
        self.node.member_present("weight")
    }
    pub fn is_backup(self) -> bool {
        self.node.get("is_backup").and_then(Node::as_bool) == Some(true)
    }
    /// `member_group_name`, whatever its value (`null` aside).
    pub fn group_name(self) -> Option<Member<'a>> {
        self.node.member("member_group_name")
    }
    /// `member_group_name` when it names a group: not blank.
    pub fn group(self) -> Option<Field<'a, &'a str>> {
        name_field(self.node, "member_group_name")
    }
}

crate::model::api_enum! {
    /// An ECS member's identifying fields.
    EcsField { Id = "ecs_id", Name = "ecs_name" }
}

/// The member groups: an array, or the body itself for a member-group operation.
#[derive(Clone, Copy, Debug)]
pub struct GroupList<'a> {
    /// The `member_groups` field, when the groups are an array and it is written.
    pub field: Option<Member<'a>>,
    pub items: Items<'a>,
    /// The body is one group (its fields are at the root).
    pub single: bool,
}

impl<'a> GroupList<'a> {
    /// Every group that is an object.
    pub fn iter(self) -> impl Iterator<Item = Group<'a>> {
        let single = self.single;
        self.items
            .iter()
            .enumerate()
            .filter(|(_, node)| node.as_object().is_some())
            .map(move |(index, node)| Group {
                index,
                node,
                single,
            })
    }
}

/// One member group.
#[derive(Clone, Copy, Debug)]
pub struct Group<'a> {
    pub index: usize,
    pub node: Node<'a>,
    single: bool,
}

impl<'a> Group<'a> {
    /// `/member_groups/{i}`, or the root for a body that is one group.
    pub fn pointer(self) -> String {
        if self.single {
            String::new()
        } else {
            format!("/member_groups/{}", self.index)
        }
    }
    /// `member_group_name` when it is a non-empty string.
    pub fn name(self) -> Option<Field<'a, &'a str>> {
        field(self.node, "member_group_name", |n| {
            n.as_str().filter(|s| !s.is_empty())
        })
    }
    /// `member_group_weight` when present (not empty).
    pub fn weight(self) -> Option<Member<'a>> {
        self.node.member_present("member_group_weight")
    }
    pub fn dict_code(self) -> Option<Member<'a>> {
        self.node.member_present("dict_code")
    }
    /// A microservice-only field when present (not empty).
    pub fn microservice_field(self, key: MicroserviceField) -> Option<Member<'a>> {
        self.node.member_present(key.as_str())
    }
    /// `reference_vpc_channel_id` when present (not empty), and whether it is an
    /// identifier (not blank).
    pub fn reference(self) -> Option<(Member<'a>, bool)> {
        let m = self.node.member_present("reference_vpc_channel_id")?;
        let identifies = self
            .node
            .get_identifier("reference_vpc_channel_id")
            .is_some();
        Some((m, identifies))
    }
    /// The `label_name` of each label that has a non-empty one, with its index.
    pub fn label_names(self) -> impl Iterator<Item = (usize, Field<'a, &'a str>)> {
        self.node
            .get("microservice_labels")
            .and_then(Node::as_array)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(j, l)| {
                let name = field(l, "label_name", |n| n.as_str().filter(|s| !s.is_empty()))?;
                Some((j, name))
            })
    }
}

crate::model::api_enum! {
    /// A member group's fields that only a microservice channel reads.
    MicroserviceField {
        Version = "microservice_version",
        Port = "microservice_port",
        Labels = "microservice_labels",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation;

    fn body_of<T>(text: &str, op: &str, f: impl FnOnce(Body<'_>) -> T) -> T {
        let tree = crate::json::parse(text, 0).expect("valid JSON");
        let op = operation::find(op).expect("known operation");
        f(read(tree.root(), op.layout()))
    }

    #[test]
    fn the_channel_type_is_resolved_once() {
        let cases = [
            (
                r#"{"vpc_channel_type": "reference"}"#,
                Some(ChannelType::Reference),
            ),
            (r#"{"vpc_channel_type": "nope"}"#, None),
            (
                r#"{"vpc_channel_type": "", "type": 3, "microservice_info": {"service_type": "CSE"}}"#,
                Some(ChannelType::Microservice),
            ),
            (r#"{"type": 3}"#, Some(ChannelType::Builtin)),
            (
                r#"{"type": 3, "microservice_info": {}}"#,
                Some(ChannelType::Builtin),
            ),
            (
                r#"{"type": 0, "microservice_info": {"a": 1}}"#,
                Some(ChannelType::Builtin),
            ),
            (r#"{"vpc_channel_type": null}"#, Some(ChannelType::Builtin)),
        ];
        for (text, want) in cases {
            let got = body_of(text, "roma:CreateProjectVpcChannel", |b| {
                b.channel.and_then(|c| c.effective).map(|e| e.kind)
            });
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn enum_fields_keep_their_text_and_span() {
        let text = r#"{"vpc_health_config": {"protocol": "http", "timeout": 5.0, "time_interval": "x"}, "member_type": "IP"}"#;
        body_of(text, "roma:CreateProjectVpcChannel", |b| {
            let h = b.health.expect("health");
            let p = h.protocol().expect("protocol");
            assert_eq!(p.value, Some(Protocol::Http));
            assert_eq!(p.text(), Some("http"));
            assert_eq!(&text[p.value_span().start..p.value_span().end], "\"http\"");
            assert_eq!(h.timeout().map(|t| t.value), Some(5));
            assert!(h.time_interval().is_none());
            let mt = b.channel.and_then(|c| c.member_type).expect("member_type");
            assert_eq!((mt.value, mt.text()), (None, Some("IP")));
        });
    }

    #[test]
    fn parts_sit_where_the_operation_puts_them() {
        // A health-check update's body is the health check; a member group's is one group.
        body_of(r#"{"protocol": "TCP"}"#, "roma:UpdateHealthCheck", |b| {
            assert!(b.channel.is_none());
            assert_eq!(b.health.map(|h| h.pointer), Some(""));
        });
        let groups = r#"{"member_group_name": "g", "microservice_port": 80}"#;
        body_of(groups, "roma:UpdateMemberGroup", |b| {
            let g: Vec<_> = b.groups.iter().collect();
            assert_eq!(g.len(), 1);
            assert_eq!(g[0].pointer(), "");
            assert_eq!(g[0].name().map(|n| n.value), Some("g"));
            assert!(g[0].microservice_field(MicroserviceField::Port).is_some());
        });
        let members = r#"{"members": [{"host": "a", "port": 0}, 7, {"ecs_id": " ", "ecs_name": "n", "member_group_name": "  "}]}"#;
        body_of(members, "roma:CreateProjectVpcChannel", |b| {
            let m = b.members.expect("members");
            assert_eq!(m.len(), 3);
            let items: Vec<_> = m.iter().collect();
            assert!(items[1].is_err());
            let first = m.get(0).expect("object");
            assert_eq!(first.own_port(), None);
            assert_eq!(first.host().map(|h| h.value().as_str()), Some(Some("a")));
            let third = m.get(2).expect("object");
            assert!(third.ecs(EcsField::Id).is_some());
            assert!(third.ecs_identifier(EcsField::Id).is_none());
            assert!(third.group().is_none());
            assert!(third.group_name().is_some());
        });
    }
}

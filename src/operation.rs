//! The VPC channel API family as data (shared/OPERATIONS.md): every operation of ROMA
//! Connect and API Gateway is one [`Operation`] — its id, method, path template and the
//! kind of body it takes. The body's schema is composed from the shared components in
//! `schema`; where each component sits in the body is the operation's [`Layout`],
//! which is what the cross-field rules read, so a member rule runs wherever members occur.

/// Which product's constraints apply (APIG's ranges differ from ROMA's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Product {
    Roma,
    Apig,
}

/// The shape of a request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// A whole channel; `instance_ids` only at project level.
    Channel { instance_ids: bool },
    /// `{members}`, with `member_group_name` on a backend update.
    Members { group: bool },
    /// `{member_groups}`.
    MemberGroups,
    /// One member group object.
    MemberGroup,
    /// One `vpc_health_config` object.
    HealthCheck,
    /// `{member_ids}`.
    MemberIds,
    /// `{vpc_channel_id, instance_ids, force_sync}`.
    Syncs,
}

/// What an operation does with what its body describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Creates it (a channel, member groups).
    Create,
    /// Replaces it (PUT): a channel, a group, the health check, the members.
    Update,
    /// Adds the listed members, or updates those that exist; the others stay.
    Upsert,
    /// Acts on what exists (enable, disable, sync).
    Action,
}

/// Whether a body's `members` list is the whole member set of the channel (or of the
/// group it names): rules about the whole set run only then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberSet {
    /// The list is every member (create, channel update).
    Whole,
    /// The list is some members among others (`AddingBackendInstancesV2`).
    Some,
    /// Every member, unless `member_group_name` names a group: then that group's only
    /// (`UpdateBackendInstancesV2`).
    WholeOrGroup,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Operation {
    /// `PRODUCT:OperationName`, the SDKs' operation name: public interface.
    pub id: &'static str,
    pub product: Product,
    pub method: &'static str,
    /// `/v2/{project_id}/…`, as in the API reference.
    pub path: &'static str,
    pub body: Body,
    pub effect: Effect,
    /// Position in [`ALL`] (for per-operation caches).
    pub(crate) index: usize,
}

/// Where the components sit in a body; `None` when the body has no such part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The body is a whole channel: `type`, `vpc_channel_type`, `member_type`,
    /// `microservice_info`, `dict_code` and the channel type are at the top.
    pub channel: bool,
    pub health: Option<&'static str>,
    pub members: Option<&'static str>,
    pub groups: Option<Groups>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Groups {
    /// An array of member groups at this pointer.
    Array(&'static str),
    /// The body is one member group.
    Single,
}

macro_rules! ops {
    ($($id:literal, $product:ident, $method:literal, $path:literal, $body:expr, $effect:ident;)*) => {
        const LIST: &[(&str, Product, &str, &str, Body, Effect)] = &[$(($id, Product::$product, $method, $path, $body, Effect::$effect)),*];
    };
}

ops! {
    "roma:CreateProjectVpcChannel", Roma, "POST", "/v2/{project_id}/apic/vpc-channels", Body::Channel { instance_ids: true }, Create;
    "roma:UpdateProjectVpcChannel", Roma, "PUT", "/v2/{project_id}/apic/vpc-channels", Body::Channel { instance_ids: true }, Update;
    "roma:CreateProjectVpcChannelSyncs", Roma, "POST", "/v2/{project_id}/apic/vpc-channels/syncs", Body::Syncs, Action;
    "roma:CreateVpcChannelV2", Roma, "POST", "/v2/{project_id}/apic/instances/{instance_id}/vpc-channels", Body::Channel { instance_ids: false }, Create;
    "roma:UpdateVpcChannelV2", Roma, "PUT", "/v2/{project_id}/apic/instances/{instance_id}/vpc-channels/{vpc_channel_id}", Body::Channel { instance_ids: false }, Update;
    "roma:AddingBackendInstancesV2", Roma, "POST", "/v2/{project_id}/apic/instances/{instance_id}/vpc-channels/{vpc_channel_id}/members", Body::Members { group: false }, Upsert;
    "roma:UpdateBackendInstancesV2", Roma, "PUT", "/v2/{project_id}/apic/instances/{instance_id}/vpc-channels/{vpc_channel_id}/members", Body::Members { group: true }, Update;
    "roma:CreateMemberGroup", Roma, "POST", "/v2/{project_id}/apic/instances/{instance_id}/vpc-channels/{vpc_channel_id}/member-groups", Body::MemberGroups, Create;
    "roma:UpdateMemberGroup", Roma, "PUT", "/v2/{project_id}/apic/instances/{instance_id}/vpc-channels/{vpc_channel_id}/member-groups/{member_group_id}", Body::MemberGroup, Update;
    "roma:UpdateHealthCheck", Roma, "PUT", "/v2/{project_id}/apic/instances/{instance_id}/vpc-channels/{vpc_channel_id}/health-config", Body::HealthCheck, Update;
    "roma:BatchEnableMembers", Roma, "POST", "/v2/{project_id}/apic/instances/{instance_id}/vpc-channels/{vpc_channel_id}/members/batch-enable", Body::MemberIds, Action;
    "roma:BatchDisableMembers", Roma, "POST", "/v2/{project_id}/apic/instances/{instance_id}/vpc-channels/{vpc_channel_id}/members/batch-disable", Body::MemberIds, Action;
    "apig:CreateVpcChannelV2", Apig, "POST", "/v2/{project_id}/apigw/instances/{instance_id}/vpc-channels", Body::Channel { instance_ids: false }, Create;
    "apig:UpdateVpcChannelV2", Apig, "PUT", "/v2/{project_id}/apigw/instances/{instance_id}/vpc-channels/{vpc_channel_id}", Body::Channel { instance_ids: false }, Update;
    "apig:AddingBackendInstancesV2", Apig, "POST", "/v2/{project_id}/apigw/instances/{instance_id}/vpc-channels/{vpc_channel_id}/members", Body::Members { group: false }, Upsert;
    "apig:UpdateBackendInstancesV2", Apig, "PUT", "/v2/{project_id}/apigw/instances/{instance_id}/vpc-channels/{vpc_channel_id}/members", Body::Members { group: true }, Update;
    "apig:CreateMemberGroup", Apig, "POST", "/v2/{project_id}/apigw/instances/{instance_id}/vpc-channels/{vpc_channel_id}/member-groups", Body::MemberGroups, Create;
    "apig:UpdateMemberGroup", Apig, "PUT", "/v2/{project_id}/apigw/instances/{instance_id}/vpc-channels/{vpc_channel_id}/member-groups/{member_group_id}", Body::MemberGroup, Update;
    "apig:UpdateHealthCheck", Apig, "PUT", "/v2/{project_id}/apigw/instances/{instance_id}/vpc-channels/{vpc_channel_id}/health-config", Body::HealthCheck, Update;
    "apig:BatchEnableMembers", Apig, "POST", "/v2/{project_id}/apigw/instances/{instance_id}/vpc-channels/{vpc_channel_id}/members/batch-enable", Body::MemberIds, Action;
    "apig:BatchDisableMembers", Apig, "POST", "/v2/{project_id}/apigw/instances/{instance_id}/vpc-channels/{vpc_channel_id}/members/batch-disable", Body::MemberIds, Action;
}

/// How many operations there are (the size of per-operation caches).
pub const COUNT: usize = LIST.len();

/// Every operation, the default first.
pub fn all() -> &'static [Operation] {
    static ALL: std::sync::OnceLock<Vec<Operation>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        LIST.iter()
            .enumerate()
            .map(
                |(index, &(id, product, method, path, body, effect))| Operation {
                    id,
                    product,
                    method,
                    path,
                    body,
                    effect,
                    index,
                },
            )
            .collect()
    })
}

/// `roma:CreateProjectVpcChannel`, what a plain JSON file is linted as.
pub fn default() -> &'static Operation {
    &all()[0]
}

/// An operation by id, or the closest ids in the error.
pub fn find(id: &str) -> Result<&'static Operation, String> {
    if let Some(op) = all().iter().find(|o| o.id == id) {
        return Ok(op);
    }
    // A bare operation name: both products have it.
    if !id.contains(':') {
        let named: Vec<&str> = all()
            .iter()
            .filter(|o| {
                o.id.split_once(':')
                    .is_some_and(|(_, n)| n.eq_ignore_ascii_case(id))
            })
            .map(|o| o.id)
            .collect();
        if !named.is_empty() {
            return Err(format!(
                "unknown operation `{id}`: operation ids name their product; did you mean {}?",
                named
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
    }
    let close = crate::base::did_you_mean(id, all().iter().map(|o| o.id));
    Err(match close {
        Some(c) => {
            format!("unknown operation `{id}`; did you mean `{c}`? (see `vpclint operations`)")
        }
        None => format!("unknown operation `{id}` (see `vpclint operations`)"),
    })
}

/// Body fields an operation's path carries instead: an instance-level operation names its
/// instance in the path (`{instance_id}`), so its body has no `instance_ids`. (path
/// parameter, body field, what the parameter names)
const CARRIED_BY_PATH: &[(&str, &str, &str)] = &[("{instance_id}", "instance_ids", "the instance")];

impl Operation {
    /// What this operation's path carries in place of the body field `key` ("the
    /// instance"), if it does.
    pub fn carried_by_path(&self, key: &str) -> Option<&'static str> {
        CARRIED_BY_PATH
            .iter()
            .find(|(param, field, _)| *field == key && self.path.contains(param))
            .map(|(_, _, what)| *what)
    }

    pub fn layout(&self) -> Layout {
        match self.body {
            Body::Channel { .. } => Layout {
                channel: true,
                health: Some("/vpc_health_config"),
                members: Some("/members"),
                groups: Some(Groups::Array("/member_groups")),
            },
            Body::Members { .. } => Layout {
                channel: false,
                health: None,
                members: Some("/members"),
                groups: None,
            },
            Body::MemberGroups => Layout {
                channel: false,
                health: None,
                members: None,
                groups: Some(Groups::Array("/member_groups")),
            },
            Body::MemberGroup => Layout {
                channel: false,
                health: None,
                members: None,
                groups: Some(Groups::Single),
            },
            Body::HealthCheck => Layout {
                channel: false,
                health: Some(""),
                members: None,
                groups: None,
            },
            Body::MemberIds | Body::Syncs => Layout {
                channel: false,
                health: None,
                members: None,
                groups: None,
            },
        }
    }

    /// Does the body create a whole channel (the facts `duplicate-channel-name` compares)?
    pub fn creates_channel(&self) -> bool {
        matches!(self.body, Body::Channel { .. }) && self.effect == Effect::Create
    }

    /// Does the body change an existing resource? (An update never changes a channel's
    /// type, so findings that depend on it are assumptions there.)
    pub fn is_update(&self) -> bool {
        self.effect == Effect::Update
    }

    /// What the body's `members` list stands for.
    pub fn member_set(&self) -> MemberSet {
        match (self.body, self.effect) {
            (Body::Members { group: true }, _) => MemberSet::WholeOrGroup,
            (_, Effect::Upsert) => MemberSet::Some,
            _ => MemberSet::Whole,
        }
    }

    /// The product's name as people write it.
    pub fn product_name(&self) -> &'static str {
        match self.product {
            Product::Roma => "ROMA Connect",
            Product::Apig => "API Gateway",
        }
    }
}

/// What a request line says about the family.
#[derive(Debug, PartialEq, Eq)]
pub enum Match {
    Found(&'static Operation),
    /// The path is one of the family's, but not with this method.
    WrongMethod(Vec<&'static Operation>),
    /// The path looks like the family's (`…/vpc-channels…`) but is none of its paths.
    Unknown(Option<&'static Operation>),
    /// Another API altogether: not for vpclint.
    NotFamily,
}

/// The path of a URL as written in a request file: scheme, host, query and fragment
/// removed; `{{variables}}` kept as segments.
pub fn url_path(url: &str) -> &str {
    let mut u = url.trim();
    if let Some(i) = u.find("://") {
        u = &u[i + 3..];
        u = u.find('/').map_or("/", |j| &u[j..]);
    } else if !u.starts_with('/') {
        // `{{host}}/v2/…` or `host/v2/…`
        u = u.find('/').map_or(u, |j| &u[j..]);
    }
    u.split(['?', '#']).next().unwrap_or(u)
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

fn template_matches(template: &str, path: &str) -> bool {
    let (t, p) = (segments(template), segments(path));
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}')) || t == p)
}

/// Which operation `METHOD URL` is.
pub fn match_request(method: &str, url: &str) -> Match {
    let path = url_path(url);
    let same_path: Vec<&'static Operation> = all()
        .iter()
        .filter(|o| template_matches(o.path, path))
        .collect();
    if let Some(op) = same_path
        .iter()
        .find(|o| o.method.eq_ignore_ascii_case(method))
    {
        return Match::Found(op);
    }
    if !same_path.is_empty() {
        return Match::WrongMethod(same_path);
    }
    if !path.contains("vpc-channels") && !path.contains("vpc_channels") {
        return Match::NotFamily;
    }
    // The closest template by its literal segments, for a did-you-mean.
    let literal = |p: &str| {
        segments(p)
            .into_iter()
            .filter(|s| !(s.starts_with('{') && s.ends_with('}')))
            .collect::<Vec<_>>()
            .join("/")
    };
    let want = literal(path);
    let best = all()
        .iter()
        .filter(|o| o.method.eq_ignore_ascii_case(method))
        .map(|o| (strsim::normalized_levenshtein(&literal(o.path), &want), o))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score > 0.6)
        .map(|(_, o)| o);
    Match::Unknown(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_the_default_is_first() {
        let mut ids: Vec<_> = all().iter().map(|o| o.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), COUNT);
        assert_eq!(default().id, "roma:CreateProjectVpcChannel");
        assert!(all().iter().enumerate().all(|(i, o)| o.index == i));
    }

    #[test]
    fn effects_are_data() {
        let op = |id| find(id).unwrap();
        assert!(op("roma:CreateProjectVpcChannel").creates_channel());
        assert!(!op("roma:UpdateProjectVpcChannel").creates_channel());
        assert!(op("apig:UpdateVpcChannelV2").is_update());
        assert_eq!(
            op("apig:AddingBackendInstancesV2").member_set(),
            MemberSet::Some
        );
        assert_eq!(
            op("roma:UpdateBackendInstancesV2").member_set(),
            MemberSet::WholeOrGroup
        );
        assert_eq!(op("roma:CreateVpcChannelV2").member_set(), MemberSet::Whole);
        assert_eq!(
            op("roma:CreateProjectVpcChannelSyncs").effect,
            Effect::Action
        );
    }

    #[test]
    fn request_lines_pick_operations() {
        let m = |method, url| match match_request(method, url) {
            Match::Found(o) => o.id.to_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(
            m(
                "POST",
                "https://{{host}}/v2/{{project_id}}/apic/vpc-channels"
            ),
            "roma:CreateProjectVpcChannel"
        );
        assert_eq!(
            m("PUT", "{{host}}/v2/abc/apic/vpc-channels?x=1"),
            "roma:UpdateProjectVpcChannel"
        );
        assert_eq!(
            m(
                "post",
                "https://apig.example.com/v2/p1/apigw/instances/i1/vpc-channels/c1/members"
            ),
            "apig:AddingBackendInstancesV2"
        );
        assert_eq!(
            m("PUT", "/v2/p/apic/instances/i/vpc-channels/c/health-config"),
            "roma:UpdateHealthCheck"
        );
        assert!(matches!(
            match_request("GET", "/v2/p/apic/vpc-channels"),
            Match::WrongMethod(_)
        ));
        match match_request("POST", "/v2/p/apic/instances/i/vpc-channels/c/member-group") {
            Match::Unknown(Some(o)) => assert_eq!(o.id, "roma:CreateMemberGroup"),
            other => panic!("{other:?}"),
        }
        assert_eq!(match_request("GET", "https://x/v1/users"), Match::NotFamily);
    }
}

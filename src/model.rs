//! The API's enumerations as Rust types: what a body's enum strings mean, read in one place.
//!
//! The rules match these types, never the strings: a misspelt `"NACSO"` in a rule would
//! compile and never fire, a misspelt `ServiceType::Nacso` does not compile. Each type reads
//! a node the way the API reads the field (the health check's `protocol` in any case, the
//! others exactly, as the schema's enums say) and keeps the node's span for messages.

use crate::diagnostic::Span;
use crate::json::Node;

/// An enum value read from a body, with where it was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

macro_rules! api_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every value, in the API reference's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as the API writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

// The view's field-name sets are the same kind of closed list.
pub(crate) use api_enum;

api_enum! {
    /// `vpc_channel_type`.
    ChannelType { Builtin = "builtin", Microservice = "microservice", Reference = "reference" }
}

api_enum! {
    /// `member_type`.
    MemberType { Ip = "ip", Ecs = "ecs" }
}

api_enum! {
    /// `vpc_health_config.protocol`.
    Protocol { Tcp = "TCP", Http = "HTTP", Https = "HTTPS" }
}

api_enum! {
    /// `microservice_info.service_type`.
    ServiceType { Cse = "CSE", Cce = "CCE", CceService = "CCE_SERVICE", Nacos = "NACOS" }
}

/// Exact reading: the schema's enums are case-sensitive.
fn exact<T: Copy>(all: &[T], text: &str, name: impl Fn(T) -> &'static str) -> Option<T> {
    all.iter().copied().find(|v| name(*v) == text)
}

impl ChannelType {
    pub fn parse(text: &str) -> Option<ChannelType> {
        exact(ChannelType::ALL, text, ChannelType::as_str)
    }
}

impl MemberType {
    pub fn parse(text: &str) -> Option<MemberType> {
        exact(MemberType::ALL, text, MemberType::as_str)
    }
}

impl Protocol {
    /// In any case: the API reference's own example writes `"http"`.
    pub fn parse(text: &str) -> Option<Protocol> {
        Protocol::ALL
            .iter()
            .copied()
            .find(|p| p.as_str().eq_ignore_ascii_case(text))
    }
}

impl ServiceType {
    pub fn parse(text: &str) -> Option<ServiceType> {
        exact(ServiceType::ALL, text, ServiceType::as_str)
    }

    /// The block of `microservice_info` that describes a registry of this type.
    pub fn info_block(self) -> &'static str {
        match self {
            ServiceType::Cse => "cse_info",
            ServiceType::Cce => "cce_info",
            ServiceType::CceService => "cce_service_info",
            ServiceType::Nacos => "nacos_info",
        }
    }
}

/// A string node read as an enum: `None` when absent, not a string, or not a value of it.
pub fn read<T>(node: Option<Node<'_>>, parse: impl Fn(&str) -> Option<T>) -> Option<Spanned<T>> {
    let node = node?;
    Some(Spanned {
        value: parse(node.as_str()?)?,
        span: node.span(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back() {
        for t in ChannelType::ALL {
            assert_eq!(ChannelType::parse(t.as_str()), Some(*t));
        }
        for t in MemberType::ALL {
            assert_eq!(MemberType::parse(t.as_str()), Some(*t));
        }
        for t in ServiceType::ALL {
            assert_eq!(ServiceType::parse(t.as_str()), Some(*t));
        }
        for t in Protocol::ALL {
            assert_eq!(Protocol::parse(&t.as_str().to_lowercase()), Some(*t));
        }
        assert_eq!(MemberType::parse("IP"), None);
        assert_eq!(ServiceType::parse("nacos"), None);
    }

    /// The enums are the schema's: a value the schema allows is a variant, and back.
    #[test]
    fn enums_are_the_schemas() {
        let mut found = std::collections::BTreeMap::<String, Vec<String>>::new();
        fn walk(
            v: &serde_json::Value,
            key: &str,
            out: &mut std::collections::BTreeMap<String, Vec<String>>,
        ) {
            match v {
                serde_json::Value::Object(m) => {
                    // `protocol` is a case-insensitive pattern with its values in x-vpclint-enum.
                    let values = m.get("enum").or_else(|| m.get("x-vpclint-enum"));
                    if let Some(serde_json::Value::Array(values)) = values {
                        let strings: Vec<String> = values
                            .iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            // "" is the schema's way of allowing an absent value.
                            .filter(|x| !x.is_empty())
                            .collect();
                        if !strings.is_empty() {
                            out.entry(key.to_owned()).or_default().extend(strings);
                        }
                    }
                    for (k, x) in m {
                        walk(x, k, out);
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, key, out)),
                _ => {}
            }
        }
        for op in crate::operation::all() {
            let schema: serde_json::Value =
                serde_json::from_str(&crate::schema::text(op)).expect("schema is JSON");
            walk(&schema, "", &mut found);
        }
        let check = |field: &str, ours: Vec<&str>| {
            let theirs = found
                .get(field)
                .unwrap_or_else(|| panic!("no enum for {field}"));
            for v in theirs {
                assert!(
                    ours.iter().any(|o| o.eq_ignore_ascii_case(v)),
                    "{field}: the schema allows {v}"
                );
            }
            for o in &ours {
                assert!(
                    theirs.iter().any(|v| o.eq_ignore_ascii_case(v)),
                    "{field}: {o} is not in the schema"
                );
            }
        };
        check(
            "vpc_channel_type",
            ChannelType::ALL.iter().map(|v| v.as_str()).collect(),
        );
        check(
            "member_type",
            MemberType::ALL.iter().map(|v| v.as_str()).collect(),
        );
        check(
            "protocol",
            Protocol::ALL.iter().map(|v| v.as_str()).collect(),
        );
        check(
            "service_type",
            ServiceType::ALL.iter().map(|v| v.as_str()).collect(),
        );
    }
}

//! Lets the `jsonschema` crate validate the spanned tree directly, without first copying it
//! into a `serde_json::Value`: on a 20 MB request that copy cost a third of the time and
//! most of the memory above the parse itself.
//!
//! Duplicate keys: an earlier member shadowed by a later one of the same name is invisible
//! here, so the schema sees exactly what decoders (and `Node::get`) see: the last value.

use crate::json::{Member, Node, Number, Value};
use jsonschema::json::{Array, Json, JsonNumber, Node as JNode, NodeIdentity, Object};
use jsonschema::JsonType;
use std::borrow::Cow;

/// The marker type naming this representation for `jsonschema::options_for`.
pub struct Spanned;

impl Json for Spanned {
    type Node<'a> = &'a Node;
    type PreparedKey = String;
    type StringBuffer = Option<Node>;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(
        buffer: &mut Option<Node>,
        string: &str,
        f: impl FnOnce(&Node) -> T,
    ) -> T {
        let node = buffer.get_or_insert_with(|| Node {
            span: Default::default(),
            value: Value::String(Box::from("")),
        });
        if let Value::String(s) = &mut node.value {
            if **s != *string {
                *s = string.into();
            }
        }
        f(node)
    }
}

impl<'a> JNode<'a, Spanned> for &'a Node {
    type Object = &'a [Member];
    type Array = &'a [Node];
    type Number = &'a Number;

    fn as_object(&self) -> Option<&'a [Member]> {
        match &self.value {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    fn as_array(&self) -> Option<&'a [Node]> {
        match &self.value {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    fn as_string(&self) -> Option<Cow<'a, str>> {
        match &self.value {
            Value::String(s) => Some(Cow::Borrowed(s)),
            _ => None,
        }
    }
    fn as_number(&self) -> Option<&'a Number> {
        match &self.value {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
    fn as_boolean(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
    fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
    fn json_type(&self) -> JsonType {
        match self.value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }
    fn to_value(&self) -> Cow<'a, serde_json::Value> {
        Cow::Owned(self.to_serde())
    }
    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Node>(self) as usize))
    }
}

impl JsonNumber for &Number {
    fn as_u64(&self) -> Option<u64> {
        self.int().and_then(|i| u64::try_from(i).ok())
    }
    fn as_i64(&self) -> Option<i64> {
        self.int()
    }
    fn as_f64(&self) -> Option<f64> {
        Some(self.float())
    }
    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_number().to_string())
    }
    fn to_number(&self) -> Cow<'_, serde_json::Number> {
        Cow::Owned(match self.as_i64() {
            Some(i) => i.into(),
            None => serde_json::Number::from_f64(self.float()).unwrap_or_else(|| 0.into()),
        })
    }
    fn is_integer(&self) -> bool {
        self.as_i64().is_some() || self.float().fract() == 0.0
    }
    fn is_written_as_integer(&self) -> bool {
        !self.non_integer_notation()
    }
}

/// Members minus the ones shadowed by a later duplicate.
pub struct Members<'a>(std::slice::Iter<'a, Member>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a Node);
    fn next(&mut self) -> Option<Self::Item> {
        self.0
            .by_ref()
            .find(|m| !m.shadowed)
            .map(|m| (m.key.as_str(), &m.value))
    }
}

impl<'a> Object<'a, Spanned> for &'a [Member] {
    type Node = &'a Node;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        self.iter().filter(|m| !m.shadowed).count()
    }
    fn get(&self, key: &String) -> Option<&'a Node> {
        self.iter().rev().find(|m| m.key == *key).map(|m| &m.value)
    }
    fn members(&self) -> Members<'a> {
        Members(self.iter())
    }
}

impl<'a> Array<'a, Spanned> for &'a [Node] {
    type Node = &'a Node;
    type ElementsIter = std::slice::Iter<'a, Node>;

    fn len(&self) -> usize {
        <[Node]>::len(self)
    }
    fn elements(&self) -> std::slice::Iter<'a, Node> {
        self.iter()
    }
}

//! Lets the `jsonschema` crate validate the arena tree directly, without first copying it
//! into a `serde_json::Value`: on a 20 MB request that copy cost a third of the time and
//! most of the memory above the parse itself.
//!
//! Duplicate keys: an earlier member shadowed by a later one of the same name is invisible
//! here, so the schema sees exactly what decoders (and `Node::get`) see: the last value.

use crate::json::{Items, ItemsIter, Members, MembersIter, Node, Number, Tree, Value};
use jsonschema::json::{Array, Json, JsonNumber, Node as JNode, NodeIdentity, Object};
use jsonschema::JsonType;
use std::borrow::Cow;

/// The marker type naming this representation for `jsonschema::options_for`.
pub struct Spanned;

/// The scratch tree of `with_string_node`: one string, kept between calls.
#[derive(Default)]
pub struct StringTree(Option<Tree<'static>>);

impl Json for Spanned {
    type Node<'a> = Node<'a>;
    type PreparedKey = String;
    type StringBuffer = StringTree;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(
        buffer: &mut StringTree,
        string: &str,
        f: impl FnOnce(Node<'_>) -> T,
    ) -> T {
        let tree = buffer.0.get_or_insert_with(|| Tree::of_string(string));
        tree.set_string(string);
        f(tree.root())
    }
}

impl<'a> JNode<'a, Spanned> for Node<'a> {
    type Object = Members<'a>;
    type Array = Items<'a>;
    type Number = Number;

    fn as_object(&self) -> Option<Members<'a>> {
        Node::as_object(*self)
    }
    fn as_array(&self) -> Option<Items<'a>> {
        Node::as_array(*self)
    }
    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self.value() {
            Value::String(s) => Some(Cow::Borrowed(s)),
            _ => None,
        }
    }
    fn as_number(&self) -> Option<Number> {
        Node::as_number(*self)
    }
    fn as_boolean(&self) -> Option<bool> {
        Node::as_bool(*self)
    }
    fn is_null(&self) -> bool {
        Node::is_null(*self)
    }
    fn json_type(&self) -> JsonType {
        match self.value() {
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
        // Nodes of an arena share the tree's address; the index tells them apart.
        let (tree, id) = Node::identity(*self);
        Some(NodeIdentity::tagged(tree, id))
    }
}

impl JsonNumber for Number {
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
pub struct Visible<'a>(MembersIter<'a>);

impl<'a> Iterator for Visible<'a> {
    type Item = (&'a str, Node<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        self.0
            .by_ref()
            .find(|m| !m.shadowed())
            .map(|m| (m.key(), m.value()))
    }
}

impl<'a> Object<'a, Spanned> for Members<'a> {
    type Node = Node<'a>;
    type MemberName = &'a str;
    type MembersIter = Visible<'a>;

    fn len(&self) -> usize {
        self.iter().filter(|m| !m.shadowed()).count()
    }
    fn get(&self, key: &String) -> Option<Node<'a>> {
        self.iter()
            .rev()
            .find(|m| m.key() == key)
            .map(|m| m.value())
    }
    fn members(&self) -> Visible<'a> {
        Visible(self.iter())
    }
}

impl<'a> Array<'a, Spanned> for Items<'a> {
    type Node = Node<'a>;
    type ElementsIter = ItemsIter<'a>;

    fn len(&self) -> usize {
        Items::len(*self)
    }
    fn elements(&self) -> ItemsIter<'a> {
        self.iter()
    }
}

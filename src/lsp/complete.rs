//! Completion and document symbols: what the schema knows, offered where the cursor is.
//!
//! Completion must work on the document as it is mid-typing, which is rarely valid JSON, so
//! the cursor's place is found by a tolerant scan (strings, brackets, `:` and `,`) rather
//! than by the parser: it yields the JSON pointer of the enclosing object or array and
//! whether a key or a value is being typed.

use super::features::{field_docs, offset_of};
use crate::operation::Operation;
use crate::schema::subschema_at;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, DocumentSymbol, Documentation,
    MarkupContent, MarkupKind, Position, Range, TextEdit,
};
use serde_json::Value as J;

enum Frame {
    Object {
        key: Option<String>,
        expecting_key: bool,
        keys: Vec<String>,
    },
    Array {
        index: usize,
    },
}

/// Where the cursor is, as far as completion cares.
#[derive(Debug, PartialEq)]
pub(crate) enum Place {
    /// Typing a key of the object at `pointer`; `present` keys are already there.
    Key {
        pointer: String,
        present: Vec<String>,
    },
    /// Typing the value at `pointer`.
    Value { pointer: String },
}

/// The cursor's place, and the byte offset where a string under the cursor starts (after
/// its opening quote) when the cursor is inside one.
pub(crate) fn place_at(text: &str, offset: usize) -> Option<(Place, Option<usize>)> {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    let mut open_string = None;
    // Where the rest of the object starts: after the string the cursor is in, if any.
    let mut rest_from = offset;
    while i < offset.min(b.len()) {
        match b[i] {
            b'"' => {
                let start = i + 1;
                let j = string_end(b, start);
                if j >= offset {
                    open_string = Some(start);
                    rest_from = (j + 1).min(b.len());
                    break;
                }
                if let Some(Frame::Object {
                    key,
                    expecting_key: true,
                    ..
                }) = stack.last_mut()
                {
                    *key = Some(text.get(start..j).unwrap_or_default().to_owned());
                }
                i = j + 1;
                continue;
            }
            b'{' => stack.push(Frame::Object {
                key: None,
                expecting_key: true,
                keys: Vec::new(),
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Frame::Object {
                    key,
                    expecting_key,
                    keys,
                }) = stack.last_mut()
                {
                    *expecting_key = false;
                    keys.extend(key.clone());
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object {
                    key, expecting_key, ..
                }) => {
                    *key = None;
                    *expecting_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut pointer = String::new();
    let last = stack.len().checked_sub(1)?;
    for f in &stack[..last] {
        match f {
            Frame::Object { key, .. } => pointer.push_str(&format!(
                "/{}",
                crate::diagnostic::escape_token(key.as_deref().unwrap_or(""))
            )),
            Frame::Array { index } => pointer.push_str(&format!("/{index}")),
        }
    }
    let place = match &stack[last] {
        Frame::Object {
            expecting_key: true,
            keys,
            ..
        } => {
            let mut present = keys.clone();
            present.extend(keys_after(text, rest_from));
            Place::Key { pointer, present }
        }
        Frame::Object {
            key: Some(k),
            expecting_key: false,
            ..
        } => Place::Value {
            pointer: format!("{pointer}/{}", crate::diagnostic::escape_token(k)),
        },
        Frame::Object { .. } => return None,
        Frame::Array { index } => Place::Value {
            pointer: format!("{pointer}/{index}"),
        },
    };
    Some((place, open_string))
}

/// The index of the quote that closes the string whose text starts at `start` (or the
/// length of `b` when it is not closed); escapes are skipped.
fn string_end(b: &[u8], start: usize) -> usize {
    let mut j = start;
    while j < b.len() && b[j] != b'"' {
        j += if b[j] == b'\\' { 2 } else { 1 };
    }
    j
}

/// Keys of the cursor's object that follow the cursor (up to the object's end).
fn keys_after(text: &str, offset: usize) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = offset.min(b.len());
    let mut last_string: Option<String> = None;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let start = i + 1;
                let j = string_end(b, start);
                last_string = text.get(start..j.min(b.len())).map(str::to_owned);
                i = j + 1;
                continue;
            }
            b':' if depth == 0 => out.extend(last_string.take()),
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn docs(pointer: &str, op: &Operation) -> Option<Documentation> {
    field_docs(pointer, op).map(|md| {
        Documentation::MarkupContent(MarkupContent {
            kind: MarkupKind::Markdown,
            value: md,
        })
    })
}

/// Completion items at `pos`: keys valid there (required first, not those already
/// present), or the allowed values of the field being typed, with their meanings.
pub fn completion(text: &str, pos: Position, op: &Operation) -> Vec<CompletionItem> {
    let offset = offset_of(text, pos);
    let Some((place, open_string)) = place_at(text, offset) else {
        return Vec::new();
    };
    // Inside a string, replace what was typed of it; outside, insert a whole token.
    let edit = |new_text: String| {
        open_string.map(|start| {
            let typed_from = super::features::position_of(text, start);
            CompletionTextEdit::Edit(TextEdit::new(Range::new(typed_from, pos), new_text))
        })
    };
    match place {
        Place::Key { pointer, present } => {
            let Some(schema) = subschema_at(op, &pointer) else {
                return Vec::new();
            };
            let Some(props) = schema.get("properties").and_then(J::as_object) else {
                return Vec::new();
            };
            let required = crate::schema::required_at(op, &pointer);
            props
                .iter()
                .filter(|(k, _)| !present.iter().any(|p| p == *k))
                .map(|(k, sub)| {
                    let child = format!("{pointer}/{}", crate::diagnostic::escape_token(k));
                    let req = required.contains(&k.as_str());
                    let ty = sub.get("type").and_then(J::as_str).unwrap_or("value");
                    CompletionItem {
                        label: k.clone(),
                        kind: Some(CompletionItemKind::PROPERTY),
                        detail: Some(if req {
                            format!("{ty} · required")
                        } else {
                            ty.to_owned()
                        }),
                        documentation: docs(&child, op),
                        sort_text: Some(format!("{}{k}", if req { 0 } else { 1 })),
                        filter_text: Some(k.clone()),
                        insert_text: open_string.is_none().then(|| format!("\"{k}\": ")),
                        text_edit: edit(k.clone()),
                        ..Default::default()
                    }
                })
                .collect()
        }
        Place::Value { pointer } => {
            let Some(schema) = subschema_at(op, &pointer) else {
                return Vec::new();
            };
            let values: Vec<J> = schema
                .get("enum")
                .or_else(|| schema.get("x-vpclint-enum"))
                .and_then(J::as_array)
                .cloned()
                .or_else(|| {
                    (schema.get("type").and_then(J::as_str) == Some("boolean"))
                        .then(|| vec![J::Bool(true), J::Bool(false)])
                })
                .unwrap_or_default();
            let descs = schema
                .get("enumDescriptions")
                .or_else(|| schema.get("x-vpclint-enum-descriptions"))
                .and_then(J::as_array);
            values
                .iter()
                .enumerate()
                // "" means "not set" for vpc_channel_type, and the schema marks `type: 0` so.
                .filter(|(_, v)| {
                    v.as_str() != Some("") && Some(*v) != schema.get("x-vpclint-unset")
                })
                .filter(|(_, v)| open_string.is_none() || v.is_string())
                .map(|(i, v)| {
                    let literal = v.to_string();
                    let bare = v.as_str().map_or_else(|| literal.clone(), str::to_owned);
                    let meaning = descs.and_then(|d| d.get(i)).and_then(J::as_str);
                    CompletionItem {
                        label: literal.clone(),
                        kind: Some(CompletionItemKind::ENUM_MEMBER),
                        detail: meaning.map(str::to_owned),
                        sort_text: Some(format!("{i:03}")),
                        filter_text: Some(bare.clone()),
                        insert_text: open_string.is_none().then(|| literal.clone()),
                        text_edit: edit(bare),
                        ..Default::default()
                    }
                })
                .collect()
        }
    }
}

/// Top-level fields, member groups by `member_group_name` and members by host or ECS name
/// (see [`super::outline`]: one pass over the text, no tree).
pub fn symbols(text: &str) -> Vec<DocumentSymbol> {
    super::outline::outline(text, &|| false).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{Node, Value};
    use lsp_types::SymbolKind;
    use proptest::prelude::*;

    /// The outline as it was built from the whole tree: the oracle of the one-pass outline.
    #[allow(deprecated)] // DocumentSymbol::deprecated must be written, though it is deprecated
    fn tree_symbols(text: &str) -> Vec<DocumentSymbol> {
        /// How many items of `members`/`member_groups` the outline lists.
        const MAX_ITEM_SYMBOLS: usize = 1000;
        let Ok(decoded) = crate::rules::reading::decode(text.as_bytes()) else {
            return Vec::new();
        };
        let Ok(tree) = crate::json::parse(decoded.text, decoded.base) else {
            return Vec::new();
        };
        let doc = tree.root();
        let index = crate::diagnostic::LineIndex::new(text);
        let range = |n: Node<'_>| crate::lsp::features::lsp_range(&index, text, n.span());
        let symbol = |name: String, kind, full: Range, sel: Range, children| DocumentSymbol {
            name,
            detail: None,
            kind,
            tags: None,
            deprecated: None,
            range: full,
            selection_range: sel,
            children,
        };
        let Some(members) = doc.as_object() else {
            return Vec::new();
        };
        members
            .iter()
            .map(|m| {
                let full = crate::lsp::features::lsp_range(&index, text, m.span());
                let sel = crate::lsp::features::lsp_range(&index, text, m.key_span());
                let children = match (m.value().value(), m.key()) {
                    (Value::Array(items), "member_groups" | "members") => Some(
                        items
                            .iter()
                            .enumerate()
                            // An outline is for reading: a list of 100 000 members shows its
                            // first ones, and costs memory and time in proportion to those.
                            .take(MAX_ITEM_SYMBOLS)
                            .map(|(i, item)| {
                                let name = ["member_group_name", "host", "ecs_name", "ecs_id"]
                                    .iter()
                                    .find_map(|k| item.get(k).and_then(Node::as_str))
                                    .filter(|s| !s.is_empty())
                                    .map_or_else(|| format!("[{i}]"), str::to_owned);
                                let kind = if m.key() == "members" {
                                    SymbolKind::OBJECT
                                } else {
                                    SymbolKind::NAMESPACE
                                };
                                symbol(name, kind, range(item), range(item), None)
                            })
                            .collect(),
                    ),
                    _ => None,
                };
                let kind = match m.value().value() {
                    Value::Array(_) => SymbolKind::ARRAY,
                    Value::Object(_) => SymbolKind::OBJECT,
                    _ => SymbolKind::FIELD,
                };
                symbol(m.key().to_string(), kind, full, sel, children)
            })
            .collect()
    }

    fn at(text: &str) -> (Place, Option<usize>) {
        let cursor = text.find('|').unwrap();
        let t = text.replacen('|', "", 1);
        place_at(&t, cursor).unwrap()
    }

    #[test]
    fn places_in_broken_documents() {
        assert_eq!(
            at(r#"{"name": "web", "vpc_health_config": {"protocol": "HTTP", |"#).0,
            Place::Key {
                pointer: "/vpc_health_config".into(),
                present: vec!["protocol".into()]
            }
        );
        let (p, s) = at(r#"{"name": "web", "member_type": "i|"#);
        assert_eq!(
            p,
            Place::Value {
                pointer: "/member_type".into()
            }
        );
        assert!(s.is_some());
        assert_eq!(
            at(r#"{"members": [{"host": "a"}, {"is_backup": |"#).0,
            Place::Value {
                pointer: "/members/1/is_backup".into()
            }
        );
        let (p, _) = at(r#"{"na|", "port": 80}"#);
        assert_eq!(
            p,
            Place::Key {
                pointer: String::new(),
                present: vec!["port".into()]
            }
        );
    }

    #[test]
    fn keys_required_first_and_not_present() {
        let text = "{\"port\": 80, }";
        let items = completion(text, Position::new(0, 13), crate::operation::default());
        assert!(!items.iter().any(|i| i.label == "port"));
        let first = items.iter().min_by_key(|i| i.sort_text.clone()).unwrap();
        assert!(first.detail.as_deref().unwrap().contains("required"));
        assert!(items.iter().any(|i| i.label == "vpc_health_config"));
    }

    #[test]
    fn enum_values_with_meanings() {
        let text = "{\"balance_strategy\": }";
        let items = completion(text, Position::new(0, 21), crate::operation::default());
        let wrr = items.iter().find(|i| i.label == "1").unwrap();
        assert_eq!(wrr.detail.as_deref(), Some("WRR (weighted round robin)"));
        let text = "{\"vpc_health_config\": {\"protocol\": \"\"}}";
        let items = completion(text, Position::new(0, 36), crate::operation::default());
        assert!(items.iter().any(|i| i.label == "\"HTTPS\""));
    }

    /// JSON text built from pieces that exercise the outline: names, escapes, non-ASCII,
    /// line endings, nesting, `members`/`member_groups` items with and without names.
    fn json_value(depth: u32) -> BoxedStrategy<String> {
        let string = prop_oneof![
            Just("\"\"".to_owned()),
            Just("\"10.0.0.1\"".to_owned()),
            Just("\"gr\\u00fcn\\n\"".to_owned()),
            Just("\"名字\"".to_owned()),
            Just("\"\\ud83d\\ude00 x\"".to_owned()),
            Just("\"\\ud800\"".to_owned()),
            Just("\"😀\"".to_owned()),
            "[a-z]{0,6}".prop_map(|s| format!("\"{s}\"")),
        ];
        let leaf = prop_oneof![
            string,
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("-1.5e3".to_owned()),
            Just("0".to_owned()),
        ];
        if depth == 0 {
            return leaf.boxed();
        }
        let key = prop_oneof![
            Just("member_group_name"),
            Just("host"),
            Just("ecs_name"),
            Just("ecs_id"),
            Just("members"),
            Just("member_groups"),
            Just("name"),
            Just("ho\\u0073t"),
        ];
        let ws = prop_oneof![Just(""), Just(" "), Just("\n  "), Just("\r\n"), Just("\r")];
        prop_oneof![
            2 => leaf,
            1 => prop::collection::vec(json_value(depth - 1), 0..4)
                .prop_map(|v| format!("[{}]", v.join(","))),
            3 => prop::collection::vec((key, ws, json_value(depth - 1)), 0..5).prop_map(|v| {
                let members: Vec<String> =
                    v.into_iter().map(|(k, w, x)| format!("{w}\"{k}\":{w}{x}")).collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
        .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// The one-pass outline is the tree's outline, on valid documents and on documents
        /// with a byte cut out or changed (both then agree on "no outline" or on the same).
        #[test]
        fn outline_equals_the_trees(
            doc in json_value(4),
            bom in any::<bool>(),
            cut in any::<prop::sample::Index>(),
            mutate in 0u8..4,
        ) {
            let mut text = if bom { format!("\u{feff}{doc}") } else { doc };
            match mutate {
                1 if !text.is_empty() => {
                    let mut at = cut.index(text.len());
                    while !text.is_char_boundary(at) { at -= 1; }
                    text.remove(at);
                }
                2 => text.push_str(" x"),
                _ => {}
            }
            prop_assert_eq!(symbols(&text), tree_symbols(&text));
        }
    }

    #[test]
    fn outline_of_many_members_lists_the_first_thousand() {
        let items: Vec<String> = (0..1500)
            .map(|i| format!("{{\"host\": \"10.0.{}.{}\"}}", i / 256, i % 256))
            .collect();
        let text = format!(
            "{{\"name\": \"a\",\r\n\"members\": [{}]}}",
            items.join(",\n")
        );
        let outline = symbols(&text);
        assert_eq!(outline, tree_symbols(&text));
        assert_eq!(outline[1].children.as_ref().unwrap().len(), 1000);
        assert_eq!(
            outline[1].children.as_ref().unwrap()[999].name,
            "10.0.3.231"
        );
    }

    /// Found in review: the parser refuses a scalar 128 levels deep, and an empty first
    /// name does not fall through to the next key.
    #[test]
    fn outline_is_as_strict_as_the_parser_and_names_as_the_tree() {
        let deep = format!("{{\"a\": {}1{}}}", "[".repeat(127), "]".repeat(127));
        assert!(crate::json::parse(&deep, 0).is_err());
        assert_eq!(symbols(&deep), Vec::new());
        let deep_item = format!(
            "{{\"members\": [{{\"x\": {}1{}}}]}}",
            "[".repeat(125),
            "]".repeat(125)
        );
        assert_eq!(symbols(&deep_item), tree_symbols(&deep_item));
        let named = r#"{"members": [{"member_group_name": "", "host": "a"}, {"ecs_name": "e", "host": "h"}]}"#;
        let outline = symbols(named);
        assert_eq!(outline, tree_symbols(named));
        let items = outline[0].children.as_ref().unwrap();
        assert_eq!(
            (items[0].name.as_str(), items[1].name.as_str()),
            ("[0]", "h")
        );
    }

    #[test]
    fn outline_can_be_cancelled() {
        let text = format!(
            "{{\"members\": [{}]}}",
            vec!["{\"host\": \"h\"}"; 20_000].join(",")
        );
        let asked = std::cell::Cell::new(0);
        let out = crate::lsp::outline::outline(&text, &|| {
            asked.set(asked.get() + 1);
            true
        });
        assert!(out.is_err());
        assert_eq!(asked.get(), 1);
    }
}

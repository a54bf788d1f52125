//! A strict RFC 8259 parser that keeps the byte span of every key and value, into a compact
//! arena.
//!
//! Hand-written rather than borrowed because vpclint needs three things general parsers do
//! not give together: spans on keys *and* values, all duplicate keys kept (so they can be
//! reported instead of silently dropped), and syntax errors that explain the usual
//! hand-editing slips (comments, trailing commas, single quotes, `NaN`). Nesting is bounded
//! by [`MAX_DEPTH`] and the parser never recurses past it, so hostile input cannot overflow
//! the stack.
//!
//! The document is a [`Tree`]: every key and value is one 20-byte entry of one `Vec`, with
//! `u32` spans; an object's members (key, value, key, value, …) and an array's items are
//! contiguous ranges of it. Keys and strings without escapes are borrowed from the text;
//! only escaped ones own their decoded text. A 200 000-member body is three allocations,
//! not three million. [`Node`], [`Member`], [`Members`] and [`Items`] are `Copy` handles
//! (the tree and an index) with the accessors the rules read.

use crate::diagnostic::{escape_token, Span};

/// Far deeper than any real request (which nests about six levels).
pub const MAX_DEPTH: usize = 128;

/// Spans are `u32`: a text longer than this is refused by the parser.
pub const MAX_TEXT: usize = u32::MAX as usize - 1;

/// What an arena entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Tag {
    Null,
    True,
    False,
    /// `a`, `b`: the i64's bits.
    Int,
    /// `a`, `b`: the f64's bits (a plain integer beyond i64).
    BigInt,
    /// `a`, `b`: the f64's bits.
    Float,
    /// A string value; `a`, `b`: its text in the source (after the quote), or with
    /// [`OWNED`] an index into the tree's decoded strings.
    Str,
    /// An object key, stored like a string; [`SHADOWED`] when a later key of the same
    /// object is the same. The entry after it is its value.
    Key,
    /// `a`: the first item's index, `b`: how many.
    Array,
    /// `a`: the first key's index, `b`: how many members (2·b entries: key, value, …).
    Object,
}

const OWNED: u8 = 1;
const SHADOWED: u8 = 2;

/// One key or value: 20 bytes.
#[derive(Clone, Copy, Debug)]
struct Raw {
    start: u32,
    end: u32,
    a: u32,
    b: u32,
    tag: Tag,
    flags: u8,
}

impl Raw {
    fn bits(&self) -> u64 {
        (u64::from(self.a) << 32) | u64::from(self.b)
    }
    fn with_bits(tag: Tag, start: u32, end: u32, bits: u64) -> Raw {
        Raw {
            start,
            end,
            a: (bits >> 32) as u32,
            b: bits as u32,
            tag,
            flags: 0,
        }
    }
}

/// A parsed document: the arena and the text it borrows from.
#[derive(Debug)]
pub struct Tree<'t> {
    text: &'t str,
    nodes: Vec<Raw>,
    owned: Vec<Box<str>>,
    root: u32,
    /// Some object repeats a key (an entry is `SHADOWED`).
    shadowed: bool,
    /// Some number has a fraction or an exponent (`5.0`, `1e3`).
    floats: bool,
}

impl Drop for Tree<'_> {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.nodes));
    }
}

/// Arenas of finished trees (and parser stacks), kept for the next parse on the same thread.
/// A run parses thousands of small files one after another; with a fresh arena for each,
/// the hole a freed arena left in the heap was too small for the next one once a report's
/// strings had taken part of it, so the heap crept up by a page or two a file: a third of
/// a 10 000-file run's page faults. Large arenas are freed as usual.
mod spare {
    use super::Raw;
    use std::cell::RefCell;

    /// Entries; a 20 MB body's arena is freed, a request's is kept.
    const KEPT_AT_MOST: usize = 1 << 16;

    thread_local! {
        static SPARE: RefCell<Vec<Vec<Raw>>> = const { RefCell::new(Vec::new()) };
    }

    /// An empty arena, with room left by an earlier parse when there is one.
    pub(super) fn take() -> Vec<Raw> {
        SPARE
            .try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop()))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Keep `arena`'s room for a later parse (two at most: a tree's and a parser's stack).
    pub(super) fn give_back(mut arena: Vec<Raw>) {
        if arena.capacity() == 0 || arena.capacity() > KEPT_AT_MOST {
            return;
        }
        arena.clear();
        let _ = SPARE.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                if s.len() < 2 {
                    s.push(arena);
                }
            }
        });
    }
}
use spare::give_back;

impl<'t> Tree<'t> {
    /// The top-level value.
    pub fn root(&self) -> Node<'_> {
        Node {
            tree: self,
            id: self.root,
        }
    }

    /// Bytes of the entries and decoded strings in use (the arena's unused reserve, never
    /// written, is not resident).
    pub fn footprint(&self) -> usize {
        self.nodes.len() * std::mem::size_of::<Raw>()
            + self.owned.iter().map(|s| s.len() + 16).sum::<usize>()
    }

    /// A tree of one string, for the schema pass's property names.
    pub(crate) fn of_string(s: &str) -> Tree<'static> {
        Tree {
            text: "",
            nodes: vec![Raw {
                start: 0,
                end: 0,
                a: 0,
                b: 0,
                tag: Tag::Str,
                flags: OWNED,
            }],
            owned: vec![s.into()],
            root: 0,
            shadowed: false,
            floats: false,
        }
    }

    /// Whether some object repeats a key: the parser knows, so a walk looking for repeats
    /// can be skipped when none does.
    pub fn has_repeated_keys(&self) -> bool {
        self.shadowed
    }

    /// Whether some number is written with a fraction or an exponent (`5.0`, `1e3`).
    pub fn has_float_notation(&self) -> bool {
        self.floats
    }

    /// Replace the string of a tree made by [`Tree::of_string`].
    pub(crate) fn set_string(&mut self, s: &str) {
        if *self.owned[0] != *s {
            self.owned[0] = s.into();
        }
    }

    /// Whether key (or string) entry `r` is `key`: a borrowed one of another length or
    /// first byte is told apart without comparing texts.
    #[inline]
    fn is(&self, r: &Raw, key: &str) -> bool {
        if r.flags & OWNED != 0 {
            return *self.owned[r.a as usize] == *key;
        }
        let (a, len) = (r.a as usize, r.b as usize);
        len == key.len()
            && (len == 0
                || (self.text.as_bytes().get(a) == key.as_bytes().first()
                    && self.text.as_bytes().get(a..a + len) == Some(key.as_bytes())))
    }

    fn string(&self, r: &Raw) -> &str {
        entry_text(self.text, &self.owned, r)
    }
}

/// The text of a string or key entry: borrowed from the source, or decoded and owned. The
/// parser needs it before there is a tree (duplicate keys), the tree after.
fn entry_text<'s>(text: &'s str, owned: &'s [Box<str>], r: &Raw) -> &'s str {
    if r.flags & OWNED != 0 {
        &owned[r.a as usize]
    } else {
        &text[r.a as usize..(r.a + r.b) as usize]
    }
}

/// A value of the tree.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    tree: &'a Tree<'a>,
    id: u32,
}

/// What a value is, with its contents.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(&'a str),
    Array(Items<'a>),
    Object(Members<'a>),
}

/// An object's key and value.
#[derive(Clone, Copy)]
pub struct Member<'a> {
    tree: &'a Tree<'a>,
    /// The key's index; the value is the next entry.
    id: u32,
}

/// An object's members, in order, duplicates included.
#[derive(Clone, Copy)]
pub struct Members<'a> {
    tree: &'a Tree<'a>,
    first: u32,
    len: u32,
}

/// The tree behind empty item lists that belong to no document.
static EMPTY: Tree<'static> = Tree {
    text: "",
    nodes: Vec::new(),
    owned: Vec::new(),
    root: 0,
    shadowed: false,
    floats: false,
};

/// An array's items, in order.
#[derive(Clone, Copy)]
pub struct Items<'a> {
    tree: &'a Tree<'a>,
    first: u32,
    len: u32,
}

impl<'a> Member<'a> {
    #[inline]
    fn raw(self) -> &'a Raw {
        &self.tree.nodes[self.id as usize]
    }
    #[inline]
    pub fn key(self) -> &'a str {
        self.tree.string(self.raw())
    }
    pub fn key_span(self) -> Span {
        let r = self.raw();
        Span::new(r.start as usize, r.end as usize)
    }
    pub fn value(self) -> Node<'a> {
        Node {
            tree: self.tree,
            id: self.id + 1,
        }
    }
    /// A later member of the same object has the same key, so decoders drop this one.
    pub fn shadowed(self) -> bool {
        self.raw().flags & SHADOWED != 0
    }
    /// From the key's opening quote to the end of the value: `"weight": 5`.
    #[inline]
    pub fn span(self) -> Span {
        Span::new(self.key_span().start, self.value().span().end)
    }
}

impl Default for Members<'_> {
    fn default() -> Self {
        Members {
            tree: &EMPTY,
            first: 0,
            len: 0,
        }
    }
}

impl<'a> Members<'a> {
    /// The last member named `key`, duplicates included.
    #[inline]
    pub fn last_named(self, key: &str) -> Option<Member<'a>> {
        let (first, len) = (self.first as usize, self.len as usize);
        let keys = self.tree.nodes.get(first..first + 2 * len)?;
        let at = keys
            .chunks_exact(2)
            .rposition(|pair| self.tree.is(&pair[0], key))?;
        Some(Member {
            tree: self.tree,
            id: (first + 2 * at) as u32,
        })
    }
    pub fn len(self) -> usize {
        self.len as usize
    }
    pub fn is_empty(self) -> bool {
        self.len == 0
    }
    pub fn get(self, i: usize) -> Option<Member<'a>> {
        (i < self.len()).then(|| Member {
            tree: self.tree,
            id: self.first + 2 * i as u32,
        })
    }
    pub fn iter(self) -> MembersIter<'a> {
        MembersIter {
            tree: self.tree,
            next: self.first,
            end: self.first + 2 * self.len,
        }
    }
}

/// The members of an object.
#[derive(Clone)]
pub struct MembersIter<'a> {
    tree: &'a Tree<'a>,
    next: u32,
    end: u32,
}

impl<'a> Iterator for MembersIter<'a> {
    type Item = Member<'a>;
    fn next(&mut self) -> Option<Member<'a>> {
        (self.next < self.end).then(|| {
            self.next += 2;
            Member {
                tree: self.tree,
                id: self.next - 2,
            }
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = ((self.end - self.next) / 2) as usize;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for MembersIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        (self.next < self.end).then(|| {
            self.end -= 2;
            Member {
                tree: self.tree,
                id: self.end,
            }
        })
    }
}

impl ExactSizeIterator for MembersIter<'_> {}

impl<'a> IntoIterator for Members<'a> {
    type Item = Member<'a>;
    type IntoIter = MembersIter<'a>;
    fn into_iter(self) -> MembersIter<'a> {
        self.iter()
    }
}

impl Default for Items<'_> {
    fn default() -> Self {
        Items {
            tree: &EMPTY,
            first: 0,
            len: 0,
        }
    }
}

impl<'a> Items<'a> {
    /// One node as a list of one (a body that is a single item of a list).
    pub fn one(node: Node<'a>) -> Items<'a> {
        Items {
            tree: node.tree,
            first: node.id,
            len: 1,
        }
    }
    pub fn len(self) -> usize {
        self.len as usize
    }
    pub fn is_empty(self) -> bool {
        self.len == 0
    }
    pub fn get(self, i: usize) -> Option<Node<'a>> {
        (i < self.len()).then(|| Node {
            tree: self.tree,
            id: self.first + i as u32,
        })
    }
    pub fn first(self) -> Option<Node<'a>> {
        self.get(0)
    }
    pub fn last(self) -> Option<Node<'a>> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }
    pub fn iter(self) -> ItemsIter<'a> {
        ItemsIter {
            tree: self.tree,
            next: self.first,
            end: self.first + self.len,
        }
    }
}

/// The items of an array, as nodes.
#[derive(Clone)]
pub struct ItemsIter<'a> {
    tree: &'a Tree<'a>,
    next: u32,
    end: u32,
}

impl<'a> Iterator for ItemsIter<'a> {
    type Item = Node<'a>;
    fn next(&mut self) -> Option<Node<'a>> {
        (self.next < self.end).then(|| {
            self.next += 1;
            Node {
                tree: self.tree,
                id: self.next - 1,
            }
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.end - self.next) as usize;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for ItemsIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        (self.next < self.end).then(|| {
            self.end -= 1;
            Node {
                tree: self.tree,
                id: self.end,
            }
        })
    }
}

impl ExactSizeIterator for ItemsIter<'_> {}

impl<'a> IntoIterator for Items<'a> {
    type Item = Node<'a>;
    type IntoIter = ItemsIter<'a>;
    fn into_iter(self) -> ItemsIter<'a> {
        self.iter()
    }
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{:?}", self.to_serde(), self.span())
    }
}

impl std::fmt::Debug for Member<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {:?}", self.key(), self.value())
    }
}

impl std::fmt::Debug for Members<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl std::fmt::Debug for Items<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Two handles are equal when they are the same entry of the same tree.
impl PartialEq for Member<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.tree, other.tree) && self.id == other.id
    }
}

/// Two handles are equal when they are the same entry of the same tree.
impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.tree, other.tree) && self.id == other.id
    }
}

/// A number literal by notation (16 bytes; literals beyond f64 range saturate to ±f64::MAX).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A plain integer literal that fits in an i64.
    Int(i64),
    /// A plain integer literal beyond i64.
    BigInt(f64),
    /// A literal with a fraction or exponent (`1.0`, `1e3`).
    Float(f64),
}

impl Number {
    /// The value as a double.
    pub fn float(&self) -> f64 {
        match *self {
            Number::Int(i) => i as f64,
            Number::BigInt(f) | Number::Float(f) => f,
        }
    }
    /// Set when the literal is written as a plain integer that fits in an i64.
    pub fn int(&self) -> Option<i64> {
        match *self {
            Number::Int(i) => Some(i),
            _ => None,
        }
    }
    /// The literal has a fraction or exponent (`1.0`, `1e3`).
    pub fn non_integer_notation(&self) -> bool {
        matches!(self, Number::Float(_))
    }
    /// The integral value, whichever notation it was written in.
    pub fn as_integral(&self) -> Option<i64> {
        if let Some(i) = self.int() {
            return Some(i);
        }
        let f = self.float();
        (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

impl<'a> Node<'a> {
    #[inline]
    fn raw(self) -> &'a Raw {
        &self.tree.nodes[self.id as usize]
    }

    #[inline]
    pub fn span(self) -> Span {
        let r = self.raw();
        Span::new(r.start as usize, r.end as usize)
    }

    #[inline]
    pub fn value(self) -> Value<'a> {
        let r = self.raw();
        match r.tag {
            Tag::Null => Value::Null,
            Tag::True => Value::Bool(true),
            Tag::False => Value::Bool(false),
            Tag::Int => Value::Number(Number::Int(r.bits() as i64)),
            Tag::BigInt => Value::Number(Number::BigInt(f64::from_bits(r.bits()))),
            Tag::Float => Value::Number(Number::Float(f64::from_bits(r.bits()))),
            Tag::Str | Tag::Key => Value::String(self.tree.string(r)),
            Tag::Array => Value::Array(Items {
                tree: self.tree,
                first: r.a,
                len: r.b,
            }),
            Tag::Object => Value::Object(Members {
                tree: self.tree,
                first: r.a,
                len: r.b,
            }),
        }
    }

    /// The same entry in the tree: a stable identity for the schema pass.
    pub(crate) fn identity(self) -> (usize, u32) {
        (std::ptr::from_ref(self.tree) as usize, self.id)
    }

    pub fn kind_name(self) -> &'static str {
        match self.raw().tag {
            Tag::Null => "null",
            Tag::True | Tag::False => "a boolean",
            Tag::Int | Tag::BigInt | Tag::Float => "a number",
            Tag::Str | Tag::Key => "a string",
            Tag::Array => "an array",
            Tag::Object => "an object",
        }
    }

    pub fn is_null(self) -> bool {
        self.raw().tag == Tag::Null
    }
    #[inline]
    pub fn as_object(self) -> Option<Members<'a>> {
        let r = self.raw();
        (r.tag == Tag::Object).then_some(Members {
            tree: self.tree,
            first: r.a,
            len: r.b,
        })
    }
    #[inline]
    pub fn as_array(self) -> Option<Items<'a>> {
        let r = self.raw();
        (r.tag == Tag::Array).then_some(Items {
            tree: self.tree,
            first: r.a,
            len: r.b,
        })
    }
    #[inline]
    pub fn as_str(self) -> Option<&'a str> {
        match self.raw().tag {
            Tag::Str => Some(self.tree.string(self.raw())),
            _ => None,
        }
    }
    #[inline]
    pub fn as_number(self) -> Option<Number> {
        let r = self.raw();
        match r.tag {
            Tag::Int => Some(Number::Int(r.bits() as i64)),
            Tag::BigInt => Some(Number::BigInt(f64::from_bits(r.bits()))),
            Tag::Float => Some(Number::Float(f64::from_bits(r.bits()))),
            _ => None,
        }
    }
    pub fn as_bool(self) -> Option<bool> {
        match self.raw().tag {
            Tag::True => Some(true),
            Tag::False => Some(false),
            _ => None,
        }
    }

    /// "Empty counts as absent": `null`, `""`, `{}` and `[]`.
    #[inline]
    pub fn is_empty_value(self) -> bool {
        let r = self.raw();
        match r.tag {
            Tag::Null => true,
            Tag::Str if r.flags & OWNED == 0 => r.b == 0,
            Tag::Str => self.tree.owned[r.a as usize].is_empty(),
            Tag::Array | Tag::Object => r.b == 0,
            _ => false,
        }
    }

    /// The member for `key`; with duplicate keys the last one wins, as in most decoders
    /// (and in the value the schema pass sees). A `null` value counts as absent (RULES.md
    /// revision 2: serialisers send `"members": null` for unset fields), so rules never
    /// see it; `null-value` reports it once.
    pub fn member(self, key: &str) -> Option<Member<'a>> {
        self.member_raw(key).filter(|m| !m.value().is_null())
    }
    /// The member for `key` whatever its value, `null` included (for locating findings).
    #[inline]
    pub fn member_raw(self, key: &str) -> Option<Member<'a>> {
        // From the last member back: the last of duplicate keys wins.
        self.as_object()?.last_named(key)
    }
    pub fn get(self, key: &str) -> Option<Node<'a>> {
        self.member(key).map(|m| m.value())
    }
    /// An identifier that is absent, empty or only whitespace counts as absent where a rule
    /// asks for it (revision 2: blank identifiers).
    pub fn get_identifier(self, key: &str) -> Option<Node<'a>> {
        self.get(key)
            .filter(|n| n.as_str().is_none_or(|s| !s.trim().is_empty()) && !n.is_empty_value())
    }
    /// The member for `key` unless its value is absent or empty.
    pub fn member_present(self, key: &str) -> Option<Member<'a>> {
        self.member(key).filter(|m| !m.value().is_empty_value())
    }
    /// The value for `key` unless it is absent or empty.
    pub fn get_present(self, key: &str) -> Option<Node<'a>> {
        self.get(key).filter(|n| !n.is_empty_value())
    }

    /// Resolve an RFC 6901 pointer. Returns the node and, when the last step was an object
    /// member, the span of its key.
    pub fn lookup(self, pointer: &str) -> Option<(Node<'a>, Option<Span>)> {
        if pointer.is_empty() {
            return Some((self, None));
        }
        let mut node = self;
        let mut key_span = None;
        for raw in pointer.strip_prefix('/')?.split('/') {
            let token = crate::diagnostic::unescape_token(raw);
            match node.value() {
                Value::Object(_) => {
                    let m = node.member_raw(&token)?;
                    key_span = Some(m.key_span());
                    node = m.value();
                }
                Value::Array(items) => {
                    node = items.get(token.parse::<usize>().ok()?)?;
                    key_span = None;
                }
                _ => return None,
            }
        }
        Some((node, key_span))
    }

    /// Convert to a `serde_json::Value` (last duplicate key wins).
    pub fn to_serde(self) -> serde_json::Value {
        use serde_json::Value as J;
        match self.value() {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(b),
            Value::Number(n) => match n.int() {
                Some(i) => J::Number(i.into()),
                _ => serde_json::Number::from_f64(n.float())
                    .map(J::Number)
                    .unwrap_or(J::Null),
            },
            Value::String(s) => J::String(s.to_owned()),
            Value::Array(a) => J::Array(a.iter().map(|n| n.to_serde()).collect()),
            Value::Object(members) => {
                let mut map = serde_json::Map::with_capacity(members.len());
                for m in members.iter() {
                    map.insert(m.key().to_owned(), m.value().to_serde());
                }
                J::Object(map)
            }
        }
    }
}

/// The source span of the decoded bytes `range` of the string literal `node`, which starts
/// at file offset `node.span.start` in `file_text`. Escapes are honoured, so a sub-string
/// span always lands on the characters that spell it in the file.
pub fn string_subspan(file_text: &str, node: Node<'_>, range: std::ops::Range<usize>) -> Span {
    let span = node.span();
    let Some(raw) = file_text.get(span.start + 1..span.end.saturating_sub(1)) else {
        return span;
    };
    let base = span.start + 1;
    if !raw.contains('\\') {
        return Span::new(
            base + range.start.min(raw.len()),
            base + range.end.min(raw.len()),
        );
    }
    // Walk the literal, advancing the decoded index by each escape's decoded length.
    let (mut decoded, mut i) = (0usize, 0usize);
    let (mut start, mut end) = (None, None);
    let bytes = raw.as_bytes();
    while i <= raw.len() {
        if start.is_none() && decoded >= range.start {
            start = Some(i);
        }
        if decoded >= range.end {
            end = Some(i);
            break;
        }
        if i == raw.len() {
            break;
        }
        let (raw_len, dec_len) = if bytes[i] == b'\\' {
            match bytes.get(i + 1) {
                Some(b'u') => {
                    let unit = raw
                        .get(i + 2..i + 6)
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .unwrap_or(0xFFFD);
                    if (0xD800..0xDC00).contains(&unit) {
                        (12, 4)
                    } else {
                        (6, char::from_u32(unit).map_or(3, char::len_utf8))
                    }
                }
                _ => (2, 1),
            }
        } else {
            let len = raw[i..].chars().next().map_or(1, char::len_utf8);
            (len, len)
        };
        i = (i + raw_len).min(raw.len());
        decoded += dec_len;
    }
    let s = start.unwrap_or(raw.len());
    Span::new(base + s, base + end.unwrap_or(raw.len()).max(s))
}

/// Append one reference token to a pointer.
pub fn child_pointer(parent: &str, token: &str) -> String {
    let mut p = String::with_capacity(parent.len() + token.len() + 1);
    p.push_str(parent);
    p.push('/');
    p.push_str(&escape_token(token));
    p
}

/// Parse `text` whose first byte is at file offset `base` (non-zero after a BOM).
///
/// ```
/// let tree = vpclint::json::parse(r#"{"vpc_health_config": {"timeout": 5}}"#, 0).unwrap();
/// let (node, key) = tree.root().lookup("/vpc_health_config/timeout").unwrap();
/// assert_eq!((node.span().start, node.span().end), (34, 35));
/// assert_eq!(key.map(|k| (k.start, k.end)), Some((23, 32)));
///
/// let err = vpclint::json::parse("{\"port\": 80,}", 0).unwrap_err();
/// assert_eq!(err.message, "trailing comma before '}'");
/// ```
pub fn parse(text: &str, base: usize) -> Result<Tree<'_>, ParseError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        pos: 0,
        base,
        // Entries wait here until their container closes: a request's deepest path holds
        // a few dozen; growing from empty cost four reallocations a file.
        stack: spare::take(),
        nodes: spare::take(),
        owned: Vec::new(),
        shadowed: false,
        floats: false,
    };
    if base.saturating_add(text.len()) > MAX_TEXT {
        return Err(p.error_here(
            0,
            "the file is larger than 4 GiB, the most vpclint can read",
            Some("split the request into smaller files"),
        ));
    }
    p.stack.reserve(64);
    p.nodes.reserve_exact(entries_at_most(text.as_bytes()));
    crate::base::huge_pages(p.nodes.spare_capacity_mut());
    p.skip_ws();
    if p.pos == p.src.len() {
        return Err(p.error_here(
            0,
            if text.is_empty() {
                "empty file: expected a JSON object"
            } else {
                "the file holds only whitespace: expected a JSON object"
            },
            Some("a VPC channel request is a JSON object: `{ \"name\": …, \"port\": … }`"),
        ));
    }
    p.parse_value(0)?;
    p.skip_ws();
    if p.pos < p.src.len() {
        let help = if p.src[p.pos] == b',' || p.src[p.pos] == b'{' {
            "a request file holds exactly one JSON object; remove what follows it or split it into separate files"
        } else {
            "remove everything after the closing bracket of the top-level value"
        };
        return Err(p.error_here(
            p.char_len(),
            "unexpected content after the end of the JSON value",
            Some(help),
        ));
    }
    let root = p.stack.pop().expect("a parsed value");
    p.nodes.push(root);
    give_back(p.stack);
    Ok(Tree {
        text,
        root: (p.nodes.len() - 1) as u32,
        nodes: p.nodes,
        owned: p.owned,
        shadowed: p.shadowed,
        floats: p.floats,
    })
}

/// How many entries the tree of `text` can have at most, so the arena is allocated once
/// (a growing `Vec` would hold its old and new blocks at once): every key follows a `{` or
/// a `,`, every value but the top one a `:`, a `[` or a `,`, and a comma starts one of the
/// two, never both; and every entry takes at least two bytes of text with its separator.
/// Pages of the reserve that are never written are never resident. Commas inside strings
/// count too, which the second bound caps.
fn entries_at_most(text: &[u8]) -> usize {
    // A small text's arena is small: a guess, grown if ever short, saves the pass.
    if text.len() < 16 * 1024 {
        return text.len() / 4 + 8;
    }
    let marks = text
        .iter()
        .filter(|&&b| matches!(b, b',' | b':' | b'{' | b'['))
        .count();
    (marks + 1).min(text.len() / 2 + 1)
}

/// Flag every key that a later key of the same object hides; `entries` is key, value,
/// key, value, … (hash-based for large objects, so a hostile object with many keys stays
/// linear).
/// Returns whether a key was shadowed.
fn mark_shadowed(entries: &mut [Raw], text: &str, owned: &[Box<str>]) -> bool {
    let key = |r: &Raw| entry_text(text, owned, r);
    let n = entries.len() / 2;
    if n <= 16 {
        // Keys differ in length or in their first or last byte nearly always: compare
        // those before the text.
        let print = |r: &Raw| {
            let k = key(r).as_bytes();
            (k.len(), k.first().copied(), k.last().copied())
        };
        let mut prints = [(0, None, None); 16];
        for (i, p) in prints.iter_mut().enumerate().take(n) {
            *p = print(&entries[2 * i]);
        }
        let mut any = false;
        for i in 0..n {
            let hidden = (i + 1..n)
                .any(|j| prints[j] == prints[i] && key(&entries[2 * j]) == key(&entries[2 * i]));
            if hidden {
                entries[2 * i].flags |= SHADOWED;
                any = true;
            }
        }
        return any;
    }
    // The last index of each key, then every key whose last index is another.
    let mut last: hashbrown::HashMap<&str, u32> = hashbrown::HashMap::with_capacity(n);
    for i in 0..n {
        last.insert(key(&entries[2 * i]), i as u32);
    }
    let hidden: Vec<u32> = (0..n as u32)
        .filter(|&i| last[key(&entries[2 * i as usize])] != i)
        .collect();
    drop(last);
    let any = !hidden.is_empty();
    for i in hidden {
        entries[2 * i as usize].flags |= SHADOWED;
    }
    any
}

/// The end of the run of plain string bytes from `i`: the offset of the first `"`, `\\` or
/// control character (below 0x20), or the length. Eight bytes at a time: the strings of a
/// request are short, but the parser reads every one of them.
fn plain_run(s: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` below `n` (n <= 0x80) sets its high bit here; a byte with its own high
    // bit set (UTF-8 beyond ASCII) never does. Only the lowest flagged byte is certain, which
    // is the one wanted.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    while let Some(chunk) = s.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let special = below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1)
            | below(w, 0x20);
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = s.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    base: usize,
    /// The finished keys and values of the objects and arrays being parsed, innermost
    /// last: when one closes, its entries move to the end of `nodes` in one piece, so that
    /// a container's contents are a contiguous range.
    stack: Vec<Raw>,
    nodes: Vec<Raw>,
    /// Decoded strings that had escapes.
    owned: Vec<Box<str>>,
    shadowed: bool,
    floats: bool,
}

impl<'a> Parser<'a> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.base + start, self.base + end)
    }

    /// An entry spanning text offsets `start..end` (file offsets after `base`; the text
    /// was checked to fit `u32`).
    fn raw(&self, tag: Tag, start: usize, end: usize, a: u32, b: u32) -> Raw {
        Raw {
            start: (self.base + start) as u32,
            end: (self.base + end) as u32,
            a,
            b,
            tag,
            flags: 0,
        }
    }

    /// A string or key entry: borrowed when `s` is a slice of the text, else owned.
    fn string_raw(
        &mut self,
        tag: Tag,
        s: std::borrow::Cow<'a, str>,
        start: usize,
        end: usize,
    ) -> Raw {
        match s {
            std::borrow::Cow::Borrowed(b) => {
                let at = b.as_ptr() as usize - self.text.as_ptr() as usize;
                self.raw(tag, start, end, at as u32, b.len() as u32)
            }
            std::borrow::Cow::Owned(o) => {
                self.owned.push(o.into_boxed_str());
                let mut r = self.raw(tag, start, end, (self.owned.len() - 1) as u32, 0);
                r.flags = OWNED;
                r
            }
        }
    }

    /// Close a container whose entries are `stack[first..]`: they move to the arena and the
    /// container takes their place on the stack.
    fn close(&mut self, tag: Tag, first: usize, start: usize) {
        let count = self.stack.len() - first;
        let at = self.nodes.len() as u32;
        if tag == Tag::Object {
            self.shadowed |= mark_shadowed(&mut self.stack[first..], self.text, &self.owned);
        }
        self.nodes.extend_from_slice(&self.stack[first..]);
        self.stack.truncate(first);
        let len = if tag == Tag::Object { count / 2 } else { count };
        let r = self.raw(tag, start, self.pos, at, len as u32);
        self.stack.push(r);
    }

    fn char_len(&self) -> usize {
        self.text[self.pos..]
            .chars()
            .next()
            .map_or(0, char::len_utf8)
    }

    fn error_here(&self, len: usize, message: &str, help: Option<&str>) -> ParseError {
        ParseError {
            span: self.span(self.pos, self.pos + len),
            message: message.to_owned(),
            help: help.map(str::to_owned),
        }
    }

    fn describe_here(&self) -> String {
        match self.text[self.pos..].chars().next() {
            None => "end of file".to_owned(),
            Some(c) if c.is_control() => format!("control character U+{:04X}", c as u32),
            Some(c) => format!("'{c}'"),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.src.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The error for a byte that cannot start a value, with help for the common slips.
    fn unexpected(&self, expected: &str) -> ParseError {
        let rest = &self.text[self.pos..];
        let found = self.describe_here();
        let message = format!("expected {expected}, found {found}");
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            .collect();
        // `0x16`: the parser stopped after the `0`; name the whole literal and its value.
        let hex = (self.pos > 0 && self.src[self.pos - 1] == b'0')
            .then(|| word.strip_prefix(['x', 'X']))
            .flatten()
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
        let (len, help): (usize, Option<String>) = if let Some(h) = hex {
            let help = match u64::from_str_radix(h, 16) {
                Ok(v) => format!("JSON has no hexadecimal numbers: write {v}"),
                Err(_) => "JSON has no hexadecimal numbers: write the decimal value".into(),
            };
            (word.len(), Some(help))
        } else if rest.starts_with("//") || rest.starts_with("/*") {
            let len = if rest.starts_with("//") {
                rest.find(['\n', '\r']).unwrap_or(rest.len())
            } else {
                rest.find("*/").map_or(rest.len(), |i| i + 2)
            };
            (
                len,
                Some("JSON has no comments: remove the comment, and keep notes outside the body (a README beside the file); a field for notes would be an unknown field".into()),
            )
        } else if rest.starts_with('\'') {
            (
                1,
                Some("JSON strings and keys use double quotes: write \"…\" instead of '…'".into()),
            )
        } else if matches!(word.as_str(), "NaN" | "Infinity") || rest.starts_with("-Infinity") {
            (
                word.len()
                    .max(if rest.starts_with("-Infinity") { 9 } else { 0 }),
                Some("JSON has no NaN or Infinity; write a finite number".into()),
            )
        } else if matches!(word.as_str(), "True" | "False" | "TRUE" | "FALSE") {
            (
                word.len(),
                Some(format!(
                    "JSON literals are lower-case: write `{}`",
                    word.to_lowercase()
                )),
            )
        } else if matches!(
            word.as_str(),
            "None" | "undefined" | "nil" | "NULL" | "Null"
        ) {
            (
                word.len(),
                Some("JSON writes a missing value as `null`, or leaves the field out".into()),
            )
        } else if rest.starts_with('+') {
            (
                1,
                Some("JSON numbers have no leading '+': write the digits alone".into()),
            )
        } else if rest.starts_with('.') {
            (
                1,
                Some("JSON numbers need a digit before the point: write 0.5, not .5".into()),
            )
        } else if !word.is_empty() && expected.contains("key") {
            (
                word.len(),
                Some(format!("object keys must be quoted: write \"{word}\"")),
            )
        } else if !word.is_empty() {
            (
                word.len(),
                Some(format!("strings must be quoted: write \"{word}\"")),
            )
        } else {
            (self.char_len(), None)
        };
        ParseError {
            span: self.span(self.pos, self.pos + len),
            message,
            help,
        }
    }

    /// Parse one value and push its entry on the stack.
    fn parse_value(&mut self, depth: usize) -> Result<(), ParseError> {
        if depth >= MAX_DEPTH {
            return Err(self.error_here(
                1,
                &format!("nesting deeper than {MAX_DEPTH} levels"),
                Some("a VPC channel request nests about six levels; this file is not one"),
            ));
        }
        let start = self.pos;
        match self.src.get(self.pos) {
            Some(b'{') => self.parse_object(depth),
            Some(b'[') => self.parse_array(depth),
            Some(b'"') => {
                let s = self.parse_string()?;
                let r = self.string_raw(Tag::Str, s, start, self.pos);
                self.stack.push(r);
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => self.parse_number(),
            Some(b't') if self.src[self.pos..].starts_with(b"true") => self.literal(4, Tag::True),
            Some(b'f') if self.src[self.pos..].starts_with(b"false") => self.literal(5, Tag::False),
            Some(b'n') if self.src[self.pos..].starts_with(b"null") => self.literal(4, Tag::Null),
            _ => Err(self.unexpected("a value")),
        }
    }

    fn literal(&mut self, len: usize, tag: Tag) -> Result<(), ParseError> {
        let start = self.pos;
        self.pos += len;
        if let Some(&b) = self.src.get(self.pos) {
            if b.is_ascii_alphanumeric() || b == b'_' {
                self.pos = start;
                return Err(self.unexpected("a value"));
            }
        }
        let r = self.raw(tag, start, self.pos, 0, 0);
        self.stack.push(r);
        Ok(())
    }

    fn parse_object(&mut self, depth: usize) -> Result<(), ParseError> {
        let start = self.pos;
        self.pos += 1;
        let first = self.stack.len();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.close(Tag::Object, first, start);
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.src.get(self.pos) != Some(&b'"') {
                if matches!(self.src.get(self.pos), Some(b'}')) && self.stack.len() > first {
                    return Err(self.trailing_comma('}'));
                }
                return Err(self.unexpected("a key in double quotes"));
            }
            let key_start = self.pos;
            let key = self.parse_string()?;
            let key_raw = self.string_raw(Tag::Key, key.clone(), key_start, self.pos);
            self.skip_ws();
            if self.src.get(self.pos) != Some(&b':') {
                let mut e = self.unexpected("':' after the key");
                if e.help.is_none() || self.src.get(self.pos) == Some(&b'"') {
                    e.help = Some(format!(
                        "write a colon between the key and its value: \"{key}\": …"
                    ));
                }
                return Err(e);
            }
            self.pos += 1;
            self.skip_ws();
            self.stack.push(key_raw);
            self.parse_value(depth + 1)?;
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                }
                Some(b'}') => {
                    self.pos += 1;
                    self.close(Tag::Object, first, start);
                    return Ok(());
                }
                Some(b'"') => {
                    let mut e = self.unexpected("',' or '}'");
                    e.help = Some(
                        "a comma is missing between two members: add ',' after the previous value"
                            .into(),
                    );
                    return Err(e);
                }
                None => {
                    return Err(self.error_here(
                        0,
                        "expected ',' or '}', found end of file",
                        Some("the object is not closed: add the missing '}'"),
                    ))
                }
                _ => {
                    let mut e = self.unexpected("',' or '}'");
                    if self.src.get(self.pos) == Some(&b']') {
                        e.help = Some("this ']' closes an object that was opened with '{'".into());
                    }
                    return Err(e);
                }
            }
        }
    }

    fn trailing_comma(&mut self, close: char) -> ParseError {
        // Point at the comma itself: that is what must be deleted.
        let mut i = self.pos;
        while i > 0 {
            i -= 1;
            if self.src[i] == b',' {
                break;
            }
        }
        ParseError {
            span: self.span(i, i + 1),
            message: format!("trailing comma before '{close}'"),
            help: Some("JSON does not allow a comma after the last item: remove it".into()),
        }
    }

    fn parse_array(&mut self, depth: usize) -> Result<(), ParseError> {
        let start = self.pos;
        self.pos += 1;
        let first = self.stack.len();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b']') {
            self.pos += 1;
            self.close(Tag::Array, first, start);
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.src.get(self.pos) == Some(&b']') && self.stack.len() > first {
                return Err(self.trailing_comma(']'));
            }
            self.parse_value(depth + 1)?;
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.close(Tag::Array, first, start);
                    return Ok(());
                }
                None => {
                    return Err(self.error_here(
                        0,
                        "expected ',' or ']', found end of file",
                        Some("the array is not closed: add the missing ']'"),
                    ))
                }
                _ => {
                    let mut e = self.unexpected("',' or ']'");
                    if matches!(
                        self.src.get(self.pos),
                        Some(b'"' | b'{' | b'[' | b'0'..=b'9')
                    ) {
                        e.help = Some("a comma is missing between two items".into());
                    } else if self.src.get(self.pos) == Some(&b'}') {
                        e.help = Some("this '}' closes an array that was opened with '['".into());
                    }
                    return Err(e);
                }
            }
        }
    }

    fn parse_number(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        let s = self.src;
        let mut i = self.pos;
        if s[i] == b'-' {
            i += 1;
        }
        let int_start = i;
        match s.get(i) {
            Some(b'0') => {
                i += 1;
                if matches!(s.get(i), Some(b'0'..=b'9')) {
                    return Err(ParseError {
                        span: self.span(int_start, i + 1),
                        message: "numbers cannot have leading zeros".into(),
                        help: Some("write the number without its leading zeros, or quote it if it is an identifier".into()),
                    });
                }
            }
            Some(b'1'..=b'9') => {
                while matches!(s.get(i), Some(b'0'..=b'9')) {
                    i += 1;
                }
            }
            _ => {
                self.pos = i;
                if self.text[self.pos..].starts_with("Infinity") {
                    self.pos = start;
                }
                return Err(self.unexpected("a digit"));
            }
        }
        let mut non_int = false;
        if s.get(i) == Some(&b'.') {
            non_int = true;
            i += 1;
            if !matches!(s.get(i), Some(b'0'..=b'9')) {
                self.pos = i;
                let mut e = self.unexpected("a digit after the decimal point");
                e.help = Some("write 1.0 or 1, not 1.".into());
                return Err(e);
            }
            while matches!(s.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        if matches!(s.get(i), Some(b'e' | b'E')) {
            non_int = true;
            i += 1;
            if matches!(s.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !matches!(s.get(i), Some(b'0'..=b'9')) {
                self.pos = i;
                return Err(self.unexpected("a digit in the exponent"));
            }
            while matches!(s.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        let lit = &self.text[start..i];
        let float = || match lit.parse::<f64>() {
            Ok(f) if f.is_finite() => f,
            _ if lit.starts_with('-') => -f64::MAX,
            _ => f64::MAX,
        };
        self.floats |= non_int;
        let (tag, bits) = if non_int {
            (Tag::Float, float().to_bits())
        } else {
            match lit.parse::<i64>() {
                Ok(n) => (Tag::Int, n as u64),
                Err(_) => (Tag::BigInt, float().to_bits()),
            }
        };
        self.pos = i;
        let r = Raw::with_bits(
            tag,
            (self.base + start) as u32,
            (self.base + i) as u32,
            bits,
        );
        self.stack.push(r);
        Ok(())
    }

    /// Parse a string starting at the opening quote; leaves `pos` after the closing quote.
    /// Without escapes (nearly always) the result borrows the source.
    fn parse_string(&mut self) -> Result<std::borrow::Cow<'a, str>, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let s = self.src;
        // Fast path: no escapes.
        let i = plain_run(s, self.pos);
        if s.get(i) == Some(&b'"') {
            let out = &self.text[self.pos..i];
            self.pos = i + 1;
            return Ok(std::borrow::Cow::Borrowed(out));
        }
        let mut out = String::from(&self.text[self.pos..i]);
        self.pos = i;
        loop {
            let Some(&b) = s.get(self.pos) else {
                return Err(ParseError {
                    span: self.span(open, open + 1),
                    message: "string is not closed before the end of the file".into(),
                    help: Some("add the closing '\"'".into()),
                });
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(std::borrow::Cow::Owned(out));
                }
                b'\\' => {
                    let esc_start = self.pos;
                    let Some(&e) = s.get(self.pos + 1) else {
                        self.pos += 1;
                        continue;
                    };
                    self.pos += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4(esc_start)?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if s.get(self.pos) == Some(&b'\\')
                                    && s.get(self.pos + 1) == Some(&b'u')
                                {
                                    self.pos += 2;
                                    let lo = self.hex4(esc_start)?;
                                    if !(0xDC00..0xE000).contains(&lo) {
                                        return Err(self.lone_surrogate(esc_start, hi));
                                    }
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    return Err(self.lone_surrogate(esc_start, hi));
                                }
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return Err(self.lone_surrogate(esc_start, hi));
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(c.unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            let len = self.text[esc_start + 1..]
                                .chars()
                                .next()
                                .map_or(1, char::len_utf8);
                            return Err(ParseError {
                                span: self.span(esc_start, esc_start + 1 + len),
                                message: "invalid escape sequence in string".into(),
                                help: Some("JSON knows only \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX; write a backslash as \\\\".into()),
                            });
                        }
                    }
                }
                0..=0x1f => {
                    let message = format!("control character U+{b:04X} inside a string");
                    let help = if b == b'\n' || b == b'\r' {
                        "a string cannot span lines: close it with '\"', or write the line break as \\n"
                    } else {
                        "write control characters as escapes (\\t, \\u0000)"
                    };
                    return Err(ParseError {
                        span: self.span(self.pos, self.pos + 1),
                        message,
                        help: Some(help.into()),
                    });
                }
                _ => {
                    // Copy a run of plain bytes at once; the run ends on an ASCII byte, so
                    // the slice is on char boundaries.
                    let run_start = self.pos;
                    while let Some(&c) = s.get(self.pos) {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push_str(&self.text[run_start..self.pos]);
                }
            }
        }
    }

    fn hex4(&mut self, esc_start: usize) -> Result<u32, ParseError> {
        let digits = self.src.get(self.pos..self.pos + 4);
        match digits
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| {
                u32::from_str_radix(d, 16)
                    .ok()
                    .filter(|_| d.bytes().all(|b| b.is_ascii_hexdigit()))
            }) {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => {
                // Cover `\u`, the hex digits present and the one character that is not,
                // never a part of a multi-byte character.
                let mut end = self.pos;
                while end < self.src.len()
                    && end - self.pos < 4
                    && self.src[end].is_ascii_hexdigit()
                {
                    end += 1;
                }
                if end - self.pos < 4 {
                    end += self.text[end..].chars().next().map_or(0, char::len_utf8);
                }
                Err(ParseError {
                    span: self.span(esc_start, end),
                    message: "\\u must be followed by four hexadecimal digits".into(),
                    help: Some("write the character as \\uXXXX, e.g. \\u00e9".into()),
                })
            }
        }
    }

    fn lone_surrogate(&self, esc_start: usize, unit: u32) -> ParseError {
        ParseError {
            span: self.span(esc_start, esc_start + 6),
            message: format!("lone surrogate \\u{unit:04x} is not a character"),
            help: Some("a \\uD800–\\uDFFF escape must be part of a high+low surrogate pair; strict decoders reject it".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// JSON text with keys from a small set (so objects repeat them) and numbers in integer
    /// and float notation.
    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("1".to_owned()),
            Just("-20".to_owned()),
            Just("1.0".to_owned()),
            Just("2e3".to_owned()),
            Just("\"s\"".to_owned()),
            Just("null".to_owned()),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(
                    (prop::sample::select(vec!["a", "b", "c", "d", "e"]), inner),
                    0..20
                )
                .prop_map(|v| {
                    let members: Vec<String> = v
                        .into_iter()
                        .map(|(k, x)| format!("\"{k}\": {x}"))
                        .collect();
                    format!("{{{}}}", members.join(", "))
                }),
            ]
        })
    }

    fn any_shadowed(n: Node<'_>) -> bool {
        match n.value() {
            Value::Object(m) => m.iter().any(|x| x.shadowed() || any_shadowed(x.value())),
            Value::Array(items) => items.iter().any(any_shadowed),
            _ => false,
        }
    }

    fn any_float(n: Node<'_>) -> bool {
        match n.value() {
            Value::Object(m) => m.iter().any(|x| any_float(x.value())),
            Value::Array(items) => items.iter().any(any_float),
            Value::Number(x) => x.non_integer_notation(),
            _ => false,
        }
    }

    proptest! {
        /// The eight-bytes-at-a-time scan stops where a byte-by-byte one does.
        #[test]
        fn plain_run_stops_at_the_first_special_byte(
            bytes in prop::collection::vec(prop_oneof![
                4 => 0x20u8..0x7f,
                1 => Just(b'"'),
                1 => Just(b'\\'),
                1 => 0u8..0x20,
                2 => 0x80u8..=0xff,
            ], 0..40),
            start in 0usize..8,
        ) {
            let start = start.min(bytes.len());
            let naive = (start..bytes.len())
                .find(|&i| matches!(bytes[i], b'"' | b'\\' | 0..=0x1f))
                .unwrap_or(bytes.len());
            prop_assert_eq!(plain_run(&bytes, start), naive);
        }

        /// Arenas handed from one parse to the next on a thread carry nothing over: trees
        /// parsed in turn, some kept while later ones are parsed and some dropped at once
        /// (failed parses among them), each read back as serde_json reads its text.
        #[test]
        fn reused_arenas_carry_nothing_from_one_parse_to_the_next(
            docs in prop::collection::vec((json_text(), any::<bool>(), any::<bool>()), 1..12),
        ) {
            let texts: Vec<String> = docs
                .iter()
                .map(|(t, _, broken)| if *broken { format!("{t},") } else { t.clone() })
                .collect();
            let mut kept = Vec::new();
            for (text, (_, keep, broken)) in texts.iter().zip(&docs) {
                match parse(text, 0) {
                    Ok(tree) => {
                        let expected: serde_json::Value = serde_json::from_str(text).unwrap();
                        prop_assert_eq!(tree.root().to_serde(), expected);
                        if *keep {
                            kept.push((text, tree));
                        }
                    }
                    Err(_) => prop_assert!(*broken),
                }
            }
            for (text, tree) in &kept {
                let expected: serde_json::Value = serde_json::from_str(text).unwrap();
                prop_assert_eq!(tree.root().to_serde(), expected);
            }
        }

        /// The parser's two document-wide flags, which let the key-and-number walk be
        /// skipped, agree with a walk over the tree.
        #[test]
        fn document_flags_agree_with_the_tree(text in json_text()) {
            let tree = parse(&text, 0).unwrap();
            prop_assert_eq!(tree.has_repeated_keys(), any_shadowed(tree.root()), "{}", text);
            prop_assert_eq!(tree.has_float_notation(), any_float(tree.root()), "{}", text);
        }
    }

    fn err(text: &str) -> ParseError {
        parse(text, 0).unwrap_err()
    }

    #[test]
    fn spans_cover_keys_and_values() {
        let text = r#"{"a": [1, "x"], "b\u0021": {"c": null}}"#;
        let tree = parse(text, 0).unwrap();
        let doc = tree.root();
        let (n, key) = doc.lookup("/a/1").unwrap();
        assert_eq!(&text[n.span().start..n.span().end], "\"x\"");
        assert!(key.is_none());
        let (_, key) = doc.lookup("/b!/c").unwrap();
        assert_eq!(&text[key.unwrap().start..key.unwrap().end], "\"c\"");
    }

    #[test]
    fn escaped_keys_equal_plain_keys() {
        let tree = parse(r#"{"na\u006de": 1}"#, 0).unwrap();
        let doc = tree.root();
        assert!(doc.get("name").is_some());
    }

    #[test]
    fn numbers_keep_their_notation() {
        let tree = parse(
            "[1, 1.0, 1e3, -0, 123456789012345678901234567890, 1e400]",
            0,
        )
        .unwrap();
        let doc = tree.root();
        let nums: Vec<Number> = doc
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_number().unwrap())
            .collect();
        assert_eq!(nums[0].int(), Some(1));
        assert!(nums[1].non_integer_notation() && nums[1].as_integral() == Some(1));
        assert_eq!(nums[2].as_integral(), Some(1000));
        assert_eq!(nums[3].int(), Some(0));
        assert_eq!(nums[4].int(), None);
        assert_eq!(nums[5].float(), f64::MAX);
    }

    #[test]
    fn helpful_syntax_errors() {
        let e = err("{\"a\": 1, // note\n}");
        assert!(e.help.unwrap().contains("no comments"));
        let e = err("{\"a\": 1,}");
        assert_eq!(e.message, "trailing comma before '}'");
        assert_eq!(e.span, Span::new(7, 8));
        assert!(err("{'a': 1}").help.unwrap().contains("double quotes"));
        assert!(err("{\"a\": NaN}").help.unwrap().contains("NaN"));
        assert!(err("{a: 1}").help.unwrap().contains("keys must be quoted"));
        assert_eq!(
            err("{\"a\": 1 \"b\": 2}").message,
            "expected ',' or '}', found '\"'"
        );
        assert!(err("").message.starts_with("empty file"));
        assert!(err("{} {}").message.contains("after the end"));
        assert!(err(r#"["\ud800"]"#).message.contains("lone surrogate"));
        assert!(err("[01]").message.contains("leading zeros"));
    }

    #[test]
    fn bad_unicode_escape_spans_whole_characters() {
        // Found by the property test: `\u` before multi-byte text.
        let text = "[\"\\u主集群\"]";
        let e = err(text);
        assert!(text.is_char_boundary(e.span.end), "{:?}", e.span);
        assert_eq!(&text[e.span.start..e.span.end], "\\u主");
        let e = err("[\"\\u12x4\"]");
        assert_eq!(e.span, Span::new(2, 7));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let e = err(&text);
        assert!(e.message.contains("nesting deeper"));
        assert_eq!(e.span.start, MAX_DEPTH);
    }

    #[test]
    fn substring_spans_follow_escapes() {
        let text = r#"["200,\u0032\u0030\u0031,x"]"#;
        let tree = parse(text, 0).unwrap();
        let doc = tree.root();
        let node = doc.as_array().unwrap().get(0).unwrap();
        assert_eq!(node.as_str(), Some("200,201,x"));
        let s = string_subspan(text, node, 4..7);
        assert_eq!(&text[s.start..s.end], r"\u0032\u0030\u0031");
        let s = string_subspan(text, node, 8..9);
        assert_eq!(&text[s.start..s.end], "x");
        let plain = r#"["200,x"]"#;
        let tree = parse(plain, 0).unwrap();
        let s = string_subspan(plain, tree.root().as_array().unwrap().get(0).unwrap(), 4..5);
        assert_eq!(&plain[s.start..s.end], "x");
    }

    /// The arena's reserve is an upper bound of the entries, and never more than one entry
    /// per two bytes (review: commas inside a string once reserved 40 bytes each).
    #[test]
    fn the_arena_reserve_bounds_the_entries_and_the_text() {
        let many = format!(
            "{{\"members\": [{}], \"k\": {{\"a\": [1, 2, {{}}]}}}}",
            vec!["{\"host\": \"10.0.0.1\", \"port\": 80}"; 2000].join(",")
        );
        let tree = parse(&many, 0).unwrap();
        assert!(many.len() >= 16 * 1024);
        assert!(tree.nodes.len() <= entries_at_most(many.as_bytes()));
        let commas = format!("[\"{}\"]", ",".repeat(1 << 20));
        assert!(entries_at_most(commas.as_bytes()) <= commas.len() / 2 + 1);
        let tiny = "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]";
        assert_eq!(parse(tiny, 0).unwrap().root().as_array().unwrap().len(), 20);
    }

    #[test]
    fn base_offset_shifts_spans() {
        let tree = parse("{}", 3).unwrap();
        assert_eq!(tree.root().span(), Span::new(3, 5));
    }
}

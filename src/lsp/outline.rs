//! The outline of a JSON body (`textDocument/documentSymbol`) in one pass over its text.
//!
//! An outline needs the top-level keys and a name for each of the first items of
//! `members` and `member_groups`. Building the whole tree for that cost about 25 times the
//! document in memory (a 10 MB body took 2.3 GB), so this module scans the text instead:
//! it validates as strictly as [`crate::json::parse`] (a body that does not parse has no
//! outline), keeps only what the symbols need, and converts all their offsets to LSP
//! positions in one more pass. Memory is the symbols plus a stack bounded by
//! [`MAX_DEPTH`]; the scan asks `cancelled` every 64 KiB, so a client's `$/cancelRequest`
//! stops it.

use crate::json::MAX_DEPTH;
use lsp_types::{DocumentSymbol, Position, Range, SymbolKind};

/// How many items of `members`/`member_groups` the outline lists: an outline is for
/// reading, and a list of 100 000 members shows its first ones.
pub(crate) const MAX_ITEM_SYMBOLS: usize = 1000;

/// Item fields that name a member group or a member in the outline, best first.
const NAME_KEYS: [&str; 4] = ["member_group_name", "host", "ecs_name", "ecs_id"];

/// The client cancelled the request.
#[derive(Debug)]
pub(crate) struct Cancelled;

/// A symbol before its offsets are positions.
struct Entry {
    name: String,
    kind: SymbolKind,
    full: (usize, usize),
    selection: (usize, usize),
    children: Option<Vec<Entry>>,
}

/// The outline of `text`; empty when it is not a JSON object.
pub(crate) fn outline(
    text: &str,
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<DocumentSymbol>, Cancelled> {
    let Ok(decoded) = crate::rules::reading::decode(text.as_bytes()) else {
        return Ok(Vec::new());
    };
    let mut s = Scanner {
        b: text.as_bytes(),
        pos: decoded.base,
        cancelled,
        next_check: decoded.base + CHECK_EVERY,
    };
    let entries = match s.document() {
        Ok(entries) => entries,
        Err(Stop::Invalid) => return Ok(Vec::new()),
        Err(Stop::Cancelled) => return Err(Cancelled),
    };
    let mut offsets = Vec::new();
    collect_offsets(&entries, &mut offsets);
    let positions = Positions::new(text, offsets);
    Ok(entries.into_iter().map(|e| e.symbol(&positions)).collect())
}

const CHECK_EVERY: usize = 64 * 1024;

enum Stop {
    Invalid,
    Cancelled,
}

type Scan<T> = Result<T, Stop>;

struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
    cancelled: &'a dyn Fn() -> bool,
    next_check: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Scan<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Stop::Invalid)
        }
    }

    fn check_cancel(&mut self) -> Scan<()> {
        if self.pos >= self.next_check {
            self.next_check = self.pos + CHECK_EVERY;
            if (self.cancelled)() {
                return Err(Stop::Cancelled);
            }
        }
        Ok(())
    }

    /// The top-level object's members, each with its value's span; `members` and
    /// `member_groups` arrays with their items' names.
    fn document(&mut self) -> Scan<Vec<Entry>> {
        self.ws();
        if self.peek() != Some(b'{') {
            // Valid JSON that is not an object has no outline; neither has invalid JSON.
            return Err(Stop::Invalid);
        }
        self.pos += 1;
        let mut entries = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.ws();
                let key = self.string()?;
                self.ws();
                self.expect(b':')?;
                self.ws();
                let name = decode_string(&self.b[key.0..key.1]);
                let listed = matches!(name.as_str(), "members" | "member_groups");
                let (kind, children) = match self.peek() {
                    Some(b'[') if listed => {
                        let item_kind = if name == "members" {
                            SymbolKind::OBJECT
                        } else {
                            SymbolKind::NAMESPACE
                        };
                        (SymbolKind::ARRAY, Some(self.items(item_kind)?))
                    }
                    Some(b'[') => {
                        self.value(1)?;
                        (SymbolKind::ARRAY, None)
                    }
                    Some(b'{') => {
                        self.value(1)?;
                        (SymbolKind::OBJECT, None)
                    }
                    _ => {
                        self.value(1)?;
                        (SymbolKind::FIELD, None)
                    }
                };
                entries.push(Entry {
                    name,
                    kind,
                    full: (key.0, self.pos),
                    selection: key,
                    children,
                });
                if self.closed_after_item(b'}')? {
                    break;
                }
            }
        }
        self.ws();
        if self.pos != self.b.len() {
            return Err(Stop::Invalid);
        }
        Ok(entries)
    }

    /// An array of items at depth 1, the first [`MAX_ITEM_SYMBOLS`] of them named.
    fn items(&mut self, kind: SymbolKind) -> Scan<Vec<Entry>> {
        self.expect(b'[')?;
        let mut out = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(out);
        }
        let mut i = 0usize;
        loop {
            self.ws();
            let start = self.pos;
            let name = if i < MAX_ITEM_SYMBOLS && self.peek() == Some(b'{') {
                self.named_object()?
            } else {
                self.value(2)?;
                None
            };
            if i < MAX_ITEM_SYMBOLS {
                out.push(Entry {
                    name: name.unwrap_or_else(|| format!("[{i}]")),
                    kind,
                    full: (start, self.pos),
                    selection: (start, self.pos),
                    children: None,
                });
            }
            i += 1;
            if self.closed_after_item(b']')? {
                return Ok(out);
            }
        }
    }

    /// An item object at depth 2; its name is the best non-empty string of [`NAME_KEYS`]
    /// (of a key given twice, the last, as decoders read it).
    fn named_object(&mut self) -> Scan<Option<String>> {
        self.expect(b'{')?;
        let mut best: [Option<String>; NAME_KEYS.len()] = Default::default();
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(None);
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let rank = NAME_KEYS
                .iter()
                .position(|k| decode_string(&self.b[key.0..key.1]) == *k);
            match (rank, self.peek()) {
                (Some(r), Some(b'"')) => {
                    let v = self.string()?;
                    best[r] = Some(decode_string(&self.b[v.0..v.1]));
                }
                (Some(r), _) => {
                    self.value(3)?;
                    best[r] = None;
                }
                _ => self.value(3)?,
            }
            if self.closed_after_item(b'}')? {
                break;
            }
        }
        // The first name key that holds a string names the item; an empty one, nothing.
        Ok(best.into_iter().flatten().next().filter(|s| !s.is_empty()))
    }

    /// Any value at nesting `depth`, validated and skipped without recursion.
    fn value(&mut self, depth: usize) -> Scan<()> {
        // Open containers: b'{' or b'['. `expect_key` is true right after `{` or `,` in an
        // object.
        let mut stack: Vec<u8> = Vec::new();
        loop {
            self.check_cancel()?;
            self.ws();
            // One value; the parser refuses any value, a scalar too, this deep.
            if depth + stack.len() >= MAX_DEPTH {
                return Err(Stop::Invalid);
            }
            match self.peek() {
                Some(c @ (b'{' | b'[')) => {
                    self.pos += 1;
                    self.ws();
                    let close = if c == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                    } else {
                        stack.push(c);
                        if c == b'{' {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                _ => return Err(Stop::Invalid),
            }
            // After a value: close containers or go on to the next item.
            loop {
                let Some(&open) = stack.last() else {
                    return Ok(());
                };
                self.ws();
                let close = if open == b'{' { b'}' } else { b']' };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if open == b'{' {
                            self.ws();
                            self.member_key()?;
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.pos += 1;
                        stack.pop();
                    }
                    _ => return Err(Stop::Invalid),
                }
            }
        }
    }

    /// After a member or an item: `,` (more follow: `false`) or `close` (`true`).
    fn closed_after_item(&mut self, close: u8) -> Scan<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(false)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(Stop::Invalid),
        }
    }

    /// `"key":` inside an object being skipped.
    fn member_key(&mut self) -> Scan<()> {
        self.ws();
        self.string()?;
        self.ws();
        self.expect(b':')
    }

    /// A string token; its span includes the quotes.
    fn string(&mut self) -> Scan<(usize, usize)> {
        let start = self.pos;
        self.expect(b'"')?;
        loop {
            // Runs of plain bytes: the text is UTF-8 already, so only `"`, `\` and control
            // characters matter.
            let rest = &self.b[self.pos..];
            let run = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .ok_or(Stop::Invalid)?;
            self.pos += run;
            match self.b[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok((start, self.pos));
                }
                b'\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            // A surrogate escape must be a high+low pair, as the parser says.
                            let unit = self.hex4(self.pos + 1)?;
                            self.pos += 5;
                            if (0xDC00..0xE000).contains(&unit) {
                                return Err(Stop::Invalid);
                            }
                            if (0xD800..0xDC00).contains(&unit) {
                                if self.b.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                    return Err(Stop::Invalid);
                                }
                                let low = self.hex4(self.pos + 2)?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(Stop::Invalid);
                                }
                                self.pos += 6;
                            }
                        }
                        _ => return Err(Stop::Invalid),
                    }
                }
                _ => return Err(Stop::Invalid), // a raw control character
            }
        }
    }

    /// Four hex digits at `at`.
    fn hex4(&self, at: usize) -> Scan<u32> {
        let hex = self.b.get(at..at + 4).ok_or(Stop::Invalid)?;
        let hex = std::str::from_utf8(hex).map_err(|_| Stop::Invalid)?;
        if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(Stop::Invalid);
        }
        u32::from_str_radix(hex, 16).map_err(|_| Stop::Invalid)
    }

    /// RFC 8259's number grammar.
    fn number(&mut self) -> Scan<()> {
        let digits = |s: &mut Self| {
            let from = s.pos;
            while matches!(s.peek(), Some(b'0'..=b'9')) {
                s.pos += 1;
            }
            if s.pos == from {
                Err(Stop::Invalid)
            } else {
                Ok(())
            }
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else {
            digits(self)?;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            digits(self)?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            digits(self)?;
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Scan<()> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Stop::Invalid)
        }
    }
}

/// A valid string token's text (quotes included in `token`), escapes decoded.
fn decode_string(token: &[u8]) -> String {
    let inner = &token[1..token.len() - 1];
    if !inner.contains(&b'\\') {
        return String::from_utf8_lossy(inner).into_owned();
    }
    let mut out = String::with_capacity(inner.len());
    let mut units: Vec<u16> = Vec::new();
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or('\u{FFFD}')));
    };
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == b'\\' && inner.get(i + 1) == Some(&b'u') {
            let hex = std::str::from_utf8(&inner[i + 2..i + 6]).unwrap_or("FFFD");
            units.push(u16::from_str_radix(hex, 16).unwrap_or(0xFFFD));
            i += 6;
            continue;
        }
        flush(&mut units, &mut out);
        if inner[i] == b'\\' {
            out.push(match inner[i + 1] {
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                c => c as char,
            });
            i += 2;
        } else {
            let run = inner[i..]
                .iter()
                .position(|&c| c == b'\\')
                .unwrap_or(inner.len() - i);
            out.push_str(&String::from_utf8_lossy(&inner[i..i + run]));
            i += run;
        }
    }
    flush(&mut units, &mut out);
    out
}

fn collect_offsets(entries: &[Entry], out: &mut Vec<usize>) {
    for e in entries {
        out.extend([e.full.0, e.full.1, e.selection.0, e.selection.1]);
        if let Some(c) = &e.children {
            collect_offsets(c, out);
        }
    }
}

/// LSP positions of a set of byte offsets, found in one pass over the text (\n, \r\n and a
/// lone \r end lines; columns count UTF-16 units), so no line table of the whole document is
/// built.
struct Positions {
    offsets: Vec<usize>,
    positions: Vec<Position>,
}

impl Positions {
    fn new(text: &str, mut offsets: Vec<usize>) -> Positions {
        offsets.sort_unstable();
        offsets.dedup();
        let b = text.as_bytes();
        let mut positions = Vec::with_capacity(offsets.len());
        let (mut line, mut units, mut at) = (0u32, 0u32, 0usize);
        for &target in &offsets {
            // Offsets are token boundaries: never inside a character or a \r\n pair.
            while at < target.min(b.len()) {
                match b[at] {
                    b'\n' => {
                        (line, units) = (line + 1, 0);
                        at += 1;
                    }
                    b'\r' => {
                        (line, units) = (line + 1, 0);
                        at += if b.get(at + 1) == Some(&b'\n') { 2 } else { 1 };
                    }
                    c => {
                        // A character's width: its UTF-8 lead byte says how many bytes,
                        // and four bytes are two UTF-16 units.
                        let (bytes, width) = match c {
                            0x00..=0x7F => (1, 1),
                            0xC0..=0xDF => (2, 1),
                            0xE0..=0xEF => (3, 1),
                            _ => (4, 2),
                        };
                        units += width;
                        at += bytes;
                    }
                }
            }
            positions.push(Position::new(line, units));
        }
        Positions { offsets, positions }
    }

    fn at(&self, offset: usize) -> Position {
        let i = self.offsets.binary_search(&offset).unwrap_or(0);
        self.positions.get(i).copied().unwrap_or_default()
    }

    fn range(&self, (start, end): (usize, usize)) -> Range {
        Range::new(self.at(start), self.at(end))
    }
}

impl Entry {
    #[allow(deprecated)] // DocumentSymbol::deprecated must be written, though it is deprecated
    fn symbol(self, p: &Positions) -> DocumentSymbol {
        DocumentSymbol {
            name: self.name,
            detail: None,
            kind: self.kind,
            tags: None,
            deprecated: None,
            range: p.range(self.full),
            selection_range: p.range(self.selection),
            children: self
                .children
                .map(|c| c.into_iter().map(|e| e.symbol(p)).collect()),
        }
    }
}

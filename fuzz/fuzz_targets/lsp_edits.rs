//! A document and a run of incremental edits in UTF-16 positions: the server's text must
//! equal the same edits applied to a UTF-16 reference; completion, hover and symbols at any
//! position never panic.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lsp_types::{Position, Range};

#[derive(Arbitrary, Debug)]
struct Edit<'a> {
    whole: bool,
    start: (u8, u8),
    end: (u8, u8),
    text: &'a str,
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    text: &'a str,
    edits: Vec<Edit<'a>>,
    at: (u8, u8),
    op: u8,
}

/// Line starts in UTF-16 units: `\n`, `\r\n` and a lone `\r` end lines.
fn utf16_offset(units: &[u16], pos: Position) -> usize {
    let mut i = 0;
    let mut line = 0;
    while line < pos.line && i < units.len() {
        if units[i] == u16::from(b'\n') {
            line += 1;
        } else if units[i] == u16::from(b'\r') {
            if units.get(i + 1) == Some(&u16::from(b'\n')) {
                i += 1;
            }
            line += 1;
        }
        i += 1;
    }
    let start = i;
    let mut j = start;
    while j < units.len()
        && j - start < pos.character as usize
        && units[j] != u16::from(b'\n')
        && units[j] != u16::from(b'\r')
    {
        j += 1;
    }
    // Inside a surrogate pair: the position rounds up to the character's end.
    if j < units.len() && (0xDC00..0xE000).contains(&units[j]) && j > start {
        j += 1;
    }
    j
}

fn reference(text: &str, range: Option<Range>, new: &str) -> String {
    let Some(range) = range else {
        return new.to_owned();
    };
    let units: Vec<u16> = text.encode_utf16().collect();
    let s = utf16_offset(&units, range.start);
    let e = utf16_offset(&units, range.end).max(s);
    let mut out: Vec<u16> = units[..s].to_vec();
    out.extend(new.encode_utf16());
    out.extend_from_slice(&units[e..]);
    String::from_utf16(&out).expect("whole characters only")
}

fuzz_target!(|input: Input<'_>| {
    let mut server = input.text.to_owned();
    let mut expected = input.text.to_owned();
    for e in input.edits.iter().take(16) {
        let range = (!e.whole).then(|| {
            Range::new(
                Position::new(u32::from(e.start.0), u32::from(e.start.1)),
                Position::new(u32::from(e.end.0), u32::from(e.end.1)),
            )
        });
        vpclint::lsp::apply_change(&mut server, range, e.text);
        expected = reference(&expected, range, e.text);
        assert_eq!(server, expected, "after {e:?}");
    }
    let ops = vpclint::operation::all();
    let op = &ops[input.op as usize % ops.len()];
    let at = Position::new(u32::from(input.at.0), u32::from(input.at.1));
    let _ = vpclint::lsp::completion(&server, at, op);
    let _ = vpclint::lsp::hover(&server, at, op);
    let _ = vpclint::lsp::symbols(&server);
});

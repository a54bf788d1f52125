//! Property test: mutate valid requests at random and check the linter's invariants.
//! No panic; every span inside the file and on char boundaries; line/column consistent with
//! the offset; diagnostics sorted; the JSON output parses and matches the diagnostics.

use proptest::prelude::*;
use vpclint::diagnostic::LineIndex;
use vpclint::{lint_bytes, Settings};

const SEEDS: [&str; 4] = [
    include_str!("../testdata/examples/reference-example.json"),
    include_str!("../testdata/examples/nacos-orders.json"),
    include_str!("../testdata/examples/legacy-migration.json"),
    include_str!("../testdata/examples/chinese-crlf.json"),
];

/// Fragments that tend to reach interesting states: tokens, escapes, multi-byte text.
const TOKENS: [&str; 22] = [
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u",
    "\\ud800",
    "\\u0041",
    "1e400",
    "-0",
    "0.5",
    "null",
    "true",
    "中",
    "\r",
    "\t",
    "\u{feff}",
    "\"type\": 3,",
    "\"port\": \"80\",",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    InsertToken(usize, usize),
    InsertByte(usize, u8),
    Duplicate(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, t)| Mutation::InsertToken(a, t)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::InsertByte(a, b)),
        (any::<usize>(), 1usize..60, any::<usize>())
            .prop_map(|(a, n, to)| Mutation::Duplicate(a, n, to)),
    ]
}

fn apply(mut bytes: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Delete(a, n) => {
                let a = a % len;
                let end = (a + n).min(bytes.len());
                if a < end {
                    bytes.drain(a..end);
                }
            }
            Mutation::InsertToken(a, t) => {
                let a = a % (bytes.len() + 1);
                bytes.splice(a..a, TOKENS[t].bytes());
            }
            Mutation::InsertByte(a, b) => {
                let a = a % (bytes.len() + 1);
                bytes.insert(a, b);
            }
            Mutation::Duplicate(a, n, to) => {
                let a = a % len;
                let end = (a + n).min(bytes.len());
                let piece: Vec<u8> = bytes.get(a..end).unwrap_or_default().to_vec();
                let to = to % (bytes.len() + 1);
                bytes.splice(to..to, piece);
            }
        }
    }
    bytes
}

fn check_invariants(bytes: &[u8]) {
    let report = lint_bytes("p.json", bytes, &Settings::default());
    let text = &report.text;
    let utf8 = std::str::from_utf8(bytes).is_ok();
    let index = LineIndex::new(text);
    let mut last = (0usize, 0usize);
    for d in &report.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= bytes.len(),
            "{} span {:?} outside {} bytes",
            d.rule.name,
            d.span,
            bytes.len()
        );
        if utf8 {
            assert!(
                text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end),
                "{} span {:?} splits a character",
                d.rule.name,
                d.span
            );
            // Line and column agree with the offset.
            let p = index.position(text, d.span.start);
            let line_start = text[..d.span.start]
                .rfind(['\n', '\r'])
                .map_or(0, |i| i + 1);
            assert_eq!(p.column, text[line_start..d.span.start].chars().count() + 1);
            let lines = text[..d.span.start].matches("\r\n").count();
            let breaks = text[..d.span.start]
                .bytes()
                .filter(|b| *b == b'\n' || *b == b'\r')
                .count();
            assert_eq!(p.line, breaks - lines + 1);
        }
        for l in &d.labels {
            assert!(l.span.end <= bytes.len());
        }
        for e in d.fix.iter().flat_map(|f| &f.edits) {
            assert!(e.span.start <= e.span.end && e.span.end <= bytes.len());
            assert!(
                !utf8 || (text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end))
            );
        }
        assert!((d.span.start, d.span.end) >= last, "sorted by offset");
        last = (d.span.start, d.span.end);
        assert!(d.pointer.is_empty() || d.pointer.starts_with('/'));
    }
    let json = vpclint::report::json(std::slice::from_ref(&report), &[]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json output parses");
    assert_eq!(
        doc["diagnostics"].as_array().unwrap().len(),
        report.diagnostics.len()
    );
    // The other renderers must not panic on any input either.
    let _ = vpclint::report::full::render(std::slice::from_ref(&report), false);
    let _ = vpclint::report::sarif::render(std::slice::from_ref(&report), &[]);
    let _ = vpclint::report::ci::junit(std::slice::from_ref(&report), &[]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn mutated_requests_keep_the_invariants(seed in 0..SEEDS.len(), muts in prop::collection::vec(mutation(), 1..6)) {
        check_invariants(&apply(SEEDS[seed].as_bytes().to_vec(), &muts));
    }

    #[test]
    fn arbitrary_bytes_keep_the_invariants(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_invariants(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, .. ProptestConfig::default() })]

    /// `duplicate-member` names, for each repeated backend, the first member with its
    /// (host, port), whether the list is short (searched directly) or long (hashed): the
    /// same pairs as a naive search, on both sides of the threshold.
    #[test]
    fn duplicate_members_are_the_first_occurrences(
        members in prop::collection::vec((0..6usize, prop::option::of(prop::sample::select(vec![0u16, 80, 443]))), 0..40)
    ) {
        let listed: Vec<String> = members
            .iter()
            .map(|(h, p)| match p {
                Some(p) => format!("{{\"host\": \"10.0.0.{h}\", \"port\": {p}}}"),
                None => format!("{{\"host\": \"10.0.0.{h}\"}}"),
            })
            .collect();
        let body = format!(
            "{{\"name\": \"web\", \"port\": 80, \"balance_strategy\": 1, \"member_type\": \"ip\", \"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"], \"members\": [{}]}}",
            listed.join(", ")
        );
        let report = lint_bytes("m.json", body.as_bytes(), &Settings::default());
        let mut got: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.rule.name == "duplicate-member")
            .map(|d| d.message.clone())
            .collect();
        got.sort();
        // An absent or 0 port is the channel's, 80.
        let key = |(h, p): &(usize, Option<u16>)| (*h, p.filter(|p| *p != 0).unwrap_or(80));
        let mut want: Vec<String> = Vec::new();
        for (i, m) in members.iter().enumerate() {
            if let Some(j) = (0..i).find(|&j| key(&members[j]) == key(m)) {
                let (h, p) = key(m);
                want.push(format!("member {i} repeats member {j} (10.0.0.{h}:{p})"));
            }
        }
        want.sort();
        prop_assert_eq!(got, want);
    }
}

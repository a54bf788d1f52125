//! Applying fixes, unsafe ones included, as `check --fix --unsafe-fixes` does: every edit
//! applies (in bounds, on character boundaries), a text that parsed still parses, and a
//! second run over a converged result changes nothing.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vpclint::fix::{fix, FixMode};
use vpclint::{FileReport, Settings};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    http: bool,
    op: u8,
    text: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    let ops = vpclint::operation::all();
    let op = &ops[input.op as usize % ops.len()];
    let settings = Settings::default();
    let name = if input.http { "fuzz.http" } else { "fuzz.json" };
    let lint = |b: Vec<u8>| -> Option<FileReport> {
        if input.http {
            vpclint::http::lint(name, b, &settings)
        } else {
            Some(vpclint::lint_bytes_as(name, &b, &settings, op))
        }
    };
    let parses = |r: &FileReport| !r.diagnostics.iter().any(|d| d.rule.name == "invalid-json");
    let Some(before) = lint(input.text.as_bytes().to_vec()) else {
        return;
    };
    for d in &before.diagnostics {
        for f in d.fix.iter().chain(&d.alternatives) {
            assert!(
                f.apply(input.text).is_some(),
                "{}: {} does not apply",
                d.rule.name,
                f.title
            );
        }
    }
    let mode = FixMode::Apply { unsafe_fixes: true };
    let Some(first) = fix(input.text.as_bytes().to_vec(), mode, lint) else {
        return;
    };
    if parses(&before) {
        assert!(parses(&first.report), "a fix broke the JSON:\n{}", String::from_utf8_lossy(&first.text));
    }
    if first.count < vpclint::fix::MAX_ROUNDS {
        let again = fix(first.text.clone(), mode, lint).expect("still linted");
        // Fixes that wait for a round may still come; what converged stays converged.
        if again.count == 0 {
            assert_eq!(again.text, first.text);
        }
    }
});

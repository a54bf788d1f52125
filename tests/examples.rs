//! Every `explain` example is a test (issue 8): each rule's `bad` example, completed into a
//! request, triggers that rule; each `good` example is clean (no error, no warning).

use vpclint::diagnostic::Severity;
use vpclint::rules::{example_body, ALL};
use vpclint::{lint_bytes, Settings};

/// Examples that are not one JSON body, and why: checked by their own goldens instead.
const NOT_A_BODY: &[(&str, &str)] = &[
    (
        "invalid-encoding",
        "its bad example is bytes that are not UTF-8",
    ),
    ("duplicate-channel-name", "its examples are two files"),
    ("unused-ignore", "its examples are vpclint.toml entries"),
];

#[test]
fn every_explain_example_does_what_it_says() {
    let mut wrong = Vec::new();
    for rule in ALL {
        if NOT_A_BODY.iter().any(|(n, _)| *n == rule.name) {
            continue;
        }
        // A bad example that is not JSON at all is linted as it stands (invalid-json, BOM).
        let bad = example_body(rule.bad).unwrap_or_else(|| rule.bad.to_owned());
        let found = lint_bytes("bad.json", bad.as_bytes(), &Settings::default()).diagnostics;
        if !found.iter().any(|d| d.rule.name == rule.name) {
            let got: Vec<_> = found.iter().map(|d| d.rule.name).collect();
            wrong.push(format!(
                "{}: bad example does not trigger it (got {got:?}):\n{bad}",
                rule.name
            ));
        }
        let Some(good) = example_body(rule.good) else {
            wrong.push(format!(
                "{}: good example is not a JSON body:\n{}",
                rule.name, rule.good
            ));
            continue;
        };
        let loud: Vec<_> = lint_bytes("good.json", good.as_bytes(), &Settings::default())
            .diagnostics
            .into_iter()
            .filter(|d| d.severity >= Severity::Warning)
            .map(|d| format!("{} {}", d.rule.name, d.pointer))
            .collect();
        if !loud.is_empty() {
            wrong.push(format!(
                "{}: good example is not clean ({loud:?}):\n{good}",
                rule.name
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} examples are wrong:\n\n{}",
        wrong.len(),
        wrong.join("\n\n")
    );
}

//! Every `explain` example is a test (issue 8): each rule's `bad` example, completed into a
//! request, triggers that rule; each `good` example is clean (no error, no warning).

use vpclint::diagnostic::Severity;
use vpclint::rules::{example_body, ALL};
use vpclint::{lint_bytes_as, Settings};

/// Examples that are not one JSON body, and why: checked by their own goldens instead.
const NOT_A_BODY: &[(&str, &str)] = &[
    (
        "invalid-encoding",
        "its bad example is bytes that are not UTF-8",
    ),
    ("duplicate-channel-name", "its examples are two files"),
    ("unused-ignore", "its examples are vpclint.toml entries"),
    (
        "unknown-operation",
        "its examples are .http request lines (testdata/http)",
    ),
    (
        "method-mismatch",
        "its examples are .http request lines (testdata/http)",
    ),
    (
        "wrong-content-type",
        "its examples are .http headers (testdata/http)",
    ),
    (
        "missing-body",
        "its examples are .http requests (testdata/http)",
    ),
];

#[test]
fn every_explain_example_does_what_it_says() {
    let mut wrong = Vec::new();
    for rule in ALL {
        if NOT_A_BODY.iter().any(|(n, _)| *n == rule.name) {
            continue;
        }
        let op = vpclint::operation::find(
            rule.example_operation
                .unwrap_or("roma:CreateProjectVpcChannel"),
        )
        .unwrap();
        // Fragments complete the default operation's body; other operations' examples are
        // whole bodies. A bad example that is not JSON is linted as it stands.
        let complete = |t: &str| {
            if rule.example_operation.is_some() {
                Some(t.to_owned())
            } else {
                example_body(t)
            }
        };
        let bad = complete(rule.bad).unwrap_or_else(|| rule.bad.to_owned());
        let found = lint_bytes_as("bad.json", bad.as_bytes(), &Settings::default(), op).diagnostics;
        if !found.iter().any(|d| d.rule.name == rule.name) {
            let got: Vec<_> = found.iter().map(|d| d.rule.name).collect();
            wrong.push(format!(
                "{}: bad example does not trigger it (got {got:?}):\n{bad}",
                rule.name
            ));
        }
        let Some(good) = complete(rule.good) else {
            wrong.push(format!(
                "{}: good example is not a JSON body:\n{}",
                rule.name, rule.good
            ));
            continue;
        };
        let loud: Vec<_> = lint_bytes_as("good.json", good.as_bytes(), &Settings::default(), op)
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

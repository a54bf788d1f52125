//! SARIF 2.1.0 for GitHub code scanning and other SARIF consumers. Columns are UTF-16 code
//! units (`columnKind: utf16CodeUnits`), as GitHub and VS Code count them.

use super::{fingerprints, relative_uri};
use crate::base::Failure;
use crate::diagnostic::{LineIndex, Severity, Span};
use crate::lint::FileReport;
use crate::rules::ALL;
use serde_json::{json, Value};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        _ => "note",
    }
}

/// A region in SARIF's terms: lines and columns in UTF-16 code units (the run's
/// `columnKind`), `charOffset`/`charLength` in the same characters, and the file's byte
/// positions in `byteOffset`/`byteLength`.
fn region(index: &LineIndex, text: &str, span: Span) -> Value {
    let (sl, sc) = index.position_utf16(text, span.start);
    let (el, ec) = index.position_utf16(text, span.end);
    let start = index.utf16_offset(text, span.start);
    let end = index.utf16_offset(text, span.end);
    json!({"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec,
           "charOffset": start, "charLength": end.saturating_sub(start),
           "byteOffset": span.start, "byteLength": span.len()})
}

pub fn render(reports: &[FileReport], failures: &[Failure]) -> String {
    let rules: Vec<Value> = ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.name,
                "name": r.name.split('-').map(|w| { let mut c = w.chars(); c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default() }).collect::<String>(),
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.what},
                "help": {"text": format!("{}\n\nWhy: {}\n\nExample:\n{}\n\nUse instead:\n{}", r.what, r.why, r.bad, r.good), "markdown": r.markdown()},
                "defaultConfiguration": {"level": if r.default_severity == Severity::Off { "none" } else { level(r.default_severity) }, "enabled": r.default_severity != Severity::Off},
                "properties": {"tags": [r.group], "precision": "very-high", "problem.severity": match r.default_severity { Severity::Error => "error", Severity::Warning => "warning", _ => "recommendation" }}
            })
        })
        .collect();
    let fps = fingerprints(reports);
    let indexes: Vec<LineIndex> = reports.iter().map(|r| LineIndex::new(&r.text)).collect();
    let by_path = super::path_index(reports);
    let mut results = Vec::new();
    for (fi, r) in reports.iter().enumerate() {
        let uri = relative_uri(&r.path);
        for (di, d) in r.diagnostics.iter().enumerate() {
            let rule_index = ALL.iter().position(|x| x.name == d.rule.name).unwrap_or(0);
            let related: Vec<Value> = d
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let (luri, reg) = match &l.path {
                        Some(p) => match by_path.get(p.as_str()) {
                            Some(&j) => (relative_uri(p), region(&indexes[j], &reports[j].text, l.span)),
                            None => (relative_uri(p), json!({"startLine": 1})),
                        },
                        None => (uri.clone(), region(&indexes[fi], &r.text, l.span)),
                    };
                    json!({"id": i + 1, "message": {"text": l.message}, "physicalLocation": {"artifactLocation": {"uri": luri}, "region": reg}})
                })
                .collect();
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let mut result = json!({
                "ruleId": d.rule.name,
                "ruleIndex": rule_index,
                "level": level(d.severity),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": uri}, "region": region(&indexes[fi], &r.text, d.span)},
                    "logicalLocations": [{"fullyQualifiedName": if d.pointer.is_empty() { "/".to_owned() } else { d.pointer.clone() }, "kind": "member"}]
                }],
                "partialFingerprints": {"vpclint/v1": fps[fi][di]},
                "properties": {"pointer": d.pointer, "operation": super::operation_of(r, d)}
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            results.push(result);
        }
    }
    let notifications: Vec<Value> = failures
        .iter()
        .map(|f| {
            json!({
                "level": "error",
                "message": {"text": format!("{}: {}", f.path, f.message)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": relative_uri(&f.path)}}}]
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "vpclint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_HOMEPAGE"),
                "rules": rules
            }},
            "invocations": [{"executionSuccessful": failures.is_empty(), "toolExecutionNotifications": notifications}],
            "columnKind": "utf16CodeUnits",
            "results": results
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("plain data");
    s.push('\n');
    s
}

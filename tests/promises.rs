//! "Help texts are promises" (RULES.md revision 2): every concrete replacement a diagnostic
//! proposes — its fix, whatever the applicability, and every alternative shown with the
//! help — is applied to its file and the result linted again. It must be valid JSON, the
//! diagnostic must be gone, and no new error may appear. Run over all of `testdata/` and
//! over generated variants of a valid request, one known slip each.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use vpclint::diagnostic::{Diagnostic, Fix, Severity};
use vpclint::{lint_bytes, lint_bytes_as, FileReport, Settings};

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json" || x == "http") {
            out.push(p);
        }
    }
}

/// A file's own pipeline: a request file by its request lines, a JSON file as the
/// operation its `testdata/operations/<product>-<Name>/` directory names, or the default.
fn lint_as_in_testdata(path: &Path, text: &str) -> FileReport {
    let name = path.display().to_string();
    let settings = Settings::default();
    if vpclint::http::is_request_file(&name) {
        return vpclint::http::lint(&name, text.as_bytes().to_vec(), &settings)
            .unwrap_or_else(|| FileReport::empty(&name));
    }
    let op = path
        .parent()
        .filter(|p| p.parent().is_some_and(|g| g.ends_with("operations")))
        .and_then(|p| {
            vpclint::operation::find(
                &p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .replacen('-', ":", 1),
            )
            .ok()
        })
        .unwrap_or_else(vpclint::operation::default);
    lint_bytes_as(&name, text.as_bytes(), &settings, op)
}

fn errors(diags: &[Diagnostic]) -> HashSet<(String, String)> {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.rule.name.to_owned(), d.pointer.clone()))
        .collect()
}

/// Check every proposal of every diagnostic of `text`; returns the broken promises.
fn broken_promises(name: &str, text: &str) -> Vec<String> {
    let settings = Settings::default();
    broken_promises_with(name, text, |t| lint_bytes(name, t.as_bytes(), &settings))
}

fn broken_promises_with(name: &str, text: &str, lint: impl Fn(&str) -> FileReport) -> Vec<String> {
    let before = lint(text);
    let before_errors = errors(&before.diagnostics);
    let mut broken = Vec::new();
    for d in &before.diagnostics {
        let proposals: Vec<&Fix> = d.fix.iter().chain(&d.alternatives).collect();
        for fix in proposals {
            let what = format!("{name}: {} at {} ({})", d.rule.name, d.pointer, fix.title);
            let Some(fixed) = fix.apply(text) else {
                broken.push(format!("{what}: edits do not apply"));
                continue;
            };
            let after = lint(&fixed);
            if after
                .diagnostics
                .iter()
                .any(|a| a.rule.name == "invalid-json")
            {
                broken.push(format!("{what}: result is not JSON:\n{fixed}"));
                continue;
            }
            if after
                .diagnostics
                .iter()
                .any(|a| a.rule == d.rule && a.pointer == d.pointer && a.message == d.message)
            {
                broken.push(format!("{what}: the diagnostic is still there"));
            }
            // A removed array item shifts the pointers after it: an error that only moved is
            // not new, so errors are also counted per rule.
            let counts = |diags: &[Diagnostic]| {
                let mut c = std::collections::HashMap::new();
                for d in diags.iter().filter(|d| d.severity == Severity::Error) {
                    *c.entry(d.rule.name).or_insert(0usize) += 1;
                }
                c
            };
            let (was, now) = (counts(&before.diagnostics), counts(&after.diagnostics));
            // A rename of a misspelt key shows what was wrong inside its value, which the
            // unknown key hid (issue 18: reported after the rename, not held against it).
            let renamed_to = (d.rule.name == "unknown-field")
                .then(|| {
                    fix.edits
                        .first()
                        .map(|e| e.replacement.trim_matches('"').to_owned())
                })
                .flatten()
                .map(|k| match d.pointer.rsplit_once('/') {
                    Some((parent, _)) => format!("{parent}/{k}"),
                    None => format!("/{k}"),
                });
            let new: Vec<_> = errors(&after.diagnostics)
                .difference(&before_errors)
                .filter(|(rule, _)| {
                    now[rule.as_str()] > was.get(rule.as_str()).copied().unwrap_or(0)
                })
                .filter(|(_, p)| {
                    renamed_to
                        .as_ref()
                        .is_none_or(|r| !(p == r || p.starts_with(&format!("{r}/"))))
                })
                .cloned()
                .collect();
            if !new.is_empty() {
                broken.push(format!("{what}: new errors {new:?}\n{fixed}"));
            }
        }
    }
    broken
}

#[test]
fn every_fix_in_testdata_keeps_its_promise() {
    let mut files = Vec::new();
    json_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata"),
        &mut files,
    );
    files.sort();
    let mut broken = Vec::new();
    let mut checked = 0;
    for f in &files {
        let Ok(text) = fs::read_to_string(f) else {
            continue; // not UTF-8: nothing is proposed
        };
        checked += 1;
        broken.extend(broken_promises_with(&f.display().to_string(), &text, |t| {
            lint_as_in_testdata(f, t)
        }));
    }
    assert!(checked > 100, "only {checked} files");
    assert!(broken.is_empty(), "{}", broken.join("\n\n"));
}

const BASE: &str = r#"{
  "name": "web",
  "port": 8080,
  "balance_strategy": 1,
  "member_type": "ip",
  "vpc_health_config": {
    "protocol": "HTTP",
    "path": "/health",
    "http_code": "200",
    "threshold_normal": 2,
    "threshold_abnormal": 3,
    "time_interval": 10,
    "timeout": 5
  },
  "members": [
    { "host": "10.0.0.5", "port": 8080 }
  ],
  "instance_ids": ["eea73cde015940908ae0117d67bf7330"]
}"#;

/// One slip each: `(what to replace in BASE, replacement)`.
const SLIPS: &[(&str, &str)] = &[
    ("\"port\": 8080,", "\"port\": \"+80\","),
    ("\"port\": 8080,", "\"port\": \"080\","),
    ("\"port\": 8080,", "\"port\": \" 80\","),
    ("\"port\": 8080,", "\"port\": \"99999\","),
    ("\"port\": 8080,", "\"port\": 80.0,"),
    ("\"port\": 8080,", "\"port\": 1e3,"),
    ("\"port\": 8080,", "\"port\": true,"),
    ("\"path\": \"/health\"", "\"path\": \"http://10.0.0.5/health\""),
    ("\"path\": \"/health\"", "\"path\": \"health\""),
    ("\"path\": \"/health\"", "\"path\": \"https://a.example\""),
    ("\"host\": \"10.0.0.5\"", "\"host\": \"fe80::1%eth0\""),
    ("\"host\": \"10.0.0.5\"", "\"host\": \"http://10.0.0.5:80/x\""),
    ("\"host\": \"10.0.0.5\"", "\"host\": \"10.0.0.5:99999\""),
    ("\"host\": \"10.0.0.5\"", "\"host\": \"[fd00::5]:80\""),
    ("\"host\": \"10.0.0.5\"", "\"host\": \"10.0.0.256\""),
    ("\"host\": \"10.0.0.5\"", "\"host\": \"10.0.0.5,10.0.0.6\""),
    ("\"host\": \"10.0.0.5\"", "\"host\": \"*.example.com\""),
    ("\"host\": \"10.0.0.5\"", "\"host\": \"10.0.0.5\u{a0}\""),
    ("\"host\": \"10.0.0.5\"", "\"host\": \"backend.internal:8080\""),
    ("\"time_interval\": 10", "\"time_interval\": 4"),
    ("\"time_interval\": 10", "\"time_interval\": 5"),
    ("\"time_interval\": 10", "\"time_interval\": 3"),
    ("\"timeout\": 5", "\"timeout\": 30"),
    ("\"timeout\": 5", "\"timeout\": 10"),
    ("\"timeout\": 5", "\"timeout\": 2, \"time_interval\": 2"),
    ("\"timeout\": 5", "\"timeout\": 30, \"time_interval\": 300"),
    ("\"balance_strategy\": 1", "\"balance_strategy\": \"WRR\""),
    ("\"balance_strategy\": 1", "\"balance_strategy\": \"1\""),
    ("\"balance_strategy\": 1", "\"balance_strategy\": 7"),
    ("\"member_type\": \"ip\"", "\"member_type\": \"IP\""),
    ("\"member_type\": \"ip\"", "\"member_type\": \"ipp\""),
    ("\"protocol\": \"HTTP\"", "\"protocol\": \"HTPP\""),
    ("\"name\": \"web\"", "\"name\": 123"),
    ("\"name\": \"web\"", "\"name\": \"web\u{a0}api\""),
    ("\"name\": \"web\"", "\"name\": \"1st\""),
    ("\"name\": \"web\",", "\"name\": \"web\", \"dict_code\": \"ab\","),
    ("\"name\": \"web\",", "\"name\": \"web\", \"members\": null,"),
    ("\"name\": \"web\",", "\"name\": \"web\", \"type\": 2,"),
    ("\"name\": \"web\",", "\"name\": \"web\", \"Port\": 1,"),
    ("\"time_interval\": 10", "\"time_intervall\": 10"),
    ("\"time_interval\": 10", "\"time_intervall\": 1000"),
    ("\"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"]", "\"instance_ids\": \"eea73cde015940908ae0117d67bf7330\""),
    ("\"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"]", "\"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\", \"eea73cde015940908ae0117d67bf7330\"]"),
    ("\"vpc_health_config\": {", "\"vpc_health_config\": [{"),
    ("\"timeout\": 5\n  }", "\"timeout\": 5\n  }]"),
    ("\"members\": [\n    { \"host\": \"10.0.0.5\", \"port\": 8080 }\n  ]", "\"members\": { \"host\": \"10.0.0.5\" }"),
    ("{ \"host\": \"10.0.0.5\", \"port\": 8080 }", "{ \"host\": \"10.0.0.5\", \"port\": 8080, \"is_backup\": \"TRUE\" }"),
    ("{ \"host\": \"10.0.0.5\", \"port\": 8080 }", "{ \"host\": \"10.0.0.5\", \"port\": 8080, \"is_backup\": 1 }"),
    ("\"http_code\": \"200\"", "\"http_code\": \"200, 201\""),
];

#[test]
fn every_fix_on_generated_slips_keeps_its_promise() {
    assert!(
        lint_bytes("base.json", BASE.as_bytes(), &Settings::default())
            .diagnostics
            .is_empty()
    );
    let mut broken = Vec::new();
    for (i, (from, to)) in SLIPS.iter().enumerate() {
        assert!(BASE.contains(from), "slip {i}: {from}");
        let text = BASE.replacen(from, to, 1);
        broken.extend(broken_promises(&format!("slip-{i} ({to})"), &text));
    }
    assert!(broken.is_empty(), "{}", broken.join("\n\n"));
}

/// The known defects of issue 8, one by one, with the help each must (not) give.
#[test]
fn help_texts_do_not_lie() {
    let lint = |from: &str, to: &str| {
        let text = BASE.replacen(from, to, 1);
        assert_ne!(text, BASE, "{from}");
        lint_bytes("x.json", text.as_bytes(), &Settings::default()).diagnostics
    };
    let help_of = |diags: &[Diagnostic], rule: &str| -> String {
        diags
            .iter()
            .find(|d| d.rule.name == rule)
            .unwrap_or_else(|| panic!("no {rule} in {diags:?}"))
            .help
            .clone()
            .unwrap_or_default()
    };
    // A URL as path: the help proposes the URL's path, not "/http://…".
    let d = lint(
        "\"path\": \"/health\"",
        "\"path\": \"http://10.0.0.5/health\"",
    );
    let h = help_of(&d, "health-path-format");
    assert!(!h.contains("/http"), "{h}");
    assert!(h.contains("\"/health\""), "{h}");
    // A zone index is named, and nothing is cut out of the address at '%' or ':'.
    let d = lint("\"host\": \"10.0.0.5\"", "\"host\": \"fe80::1%eth0\"");
    let m = &d
        .iter()
        .find(|d| d.rule.name == "member-host-format")
        .unwrap();
    assert!(m.message.contains("zone"), "{}", m.message);
    assert!(!m.help.as_deref().unwrap_or("").contains("\"fe80:\""));
    // The time_interval a help proposes respects 5–300.
    let d = lint("\"timeout\": 5", "\"timeout\": 2, \"time_interval\": 2");
    let h = help_of(&d, "health-timeout-not-below-interval");
    assert_eq!(h, "raise time_interval to 5");
    // dict_code "ab" is named by its length.
    let d = lint(
        "\"name\": \"web\",",
        "\"name\": \"web\", \"dict_code\": \"ab\",",
    );
    let f = d.iter().find(|d| d.rule.name == "invalid-format").unwrap();
    assert!(f.message.contains("2 characters"), "{}", f.message);
    // "WRR" names the enum member.
    let d = lint("\"balance_strategy\": 1", "\"balance_strategy\": \"WRR\"");
    assert!(help_of(&d, "wrong-type").contains("did you mean 1"));
    // A root null is not a field to leave out.
    let root = lint_bytes("x.json", b"null", &Settings::default()).diagnostics;
    assert!(!help_of(&root, "wrong-type").contains("leave the field out"));
    // An invisible character is named by its code point.
    let d = lint("\"name\": \"web\"", "\"name\": \"web\u{a0}api\"");
    let f = d.iter().find(|d| d.rule.name == "invalid-format").unwrap();
    assert!(f.message.contains("U+00A0 NO-BREAK SPACE"), "{}", f.message);
    // Hex is not JSON; the help gives the decimal value, not "x16".
    let d = lint("\"port\": 8080,", "\"port\": 0x16,");
    let h = help_of(&d, "invalid-json");
    assert!(!h.contains("x16\""), "{h}");
    assert!(h.contains("22"), "{h}");
}

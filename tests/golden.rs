//! Golden tests over `testdata/`.
//!
//! Every `*.json` file (and every directory of files linted together, for cross-file rules)
//! has a checked-in `*.expected` beside it. Run with `VPCLINT_BLESS=1` to rewrite them after
//! an intended change, and review the diff. Independently of the goldens, the layout is
//! asserted: `testdata/rules/<rule>/bad*` must trigger `<rule>`, `ok*` must be clean, and
//! every rule has both.

use std::fs;
use std::path::{Path, PathBuf};
use vpclint::config::Config;
use vpclint::diagnostic::{LineIndex, Severity};
use vpclint::{check_across_files, lint_bytes, lint_bytes_as, FileReport, Settings};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The operation a case is linted as: `testdata/operations/<product>-<Name>/` names it.
fn operation_of(case: &Path) -> &'static vpclint::operation::Operation {
    let dir = case
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    match (case.parent().and_then(Path::parent), dir) {
        (Some(g), Some(d)) if g.ends_with("operations") => {
            vpclint::operation::find(&d.replacen('-', ":", 1)).expect("testdata/operations/<id>")
        }
        _ => vpclint::operation::default(),
    }
}

fn lint_case(case: &Path) -> Vec<FileReport> {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    if vpclint::http::is_request_file(&name) {
        let bytes = fs::read(case).unwrap();
        return vpclint::http::lint(&name, bytes, &Settings::default())
            .into_iter()
            .collect();
    }
    if !case.is_dir() {
        if let Some(op) =
            Some(operation_of(case)).filter(|o| o.id != vpclint::operation::default().id)
        {
            return vec![lint_bytes_as(
                &name,
                &fs::read(case).unwrap(),
                &Settings::default(),
                op,
            )];
        }
    }
    // A case directory may carry a vpclint.toml; it applies to the files beside it.
    let cfg = case
        .is_dir()
        .then(|| case.join("vpclint.toml"))
        .filter(|p| p.is_file())
        .map(|p| {
            Config::parse(
                "vpclint.toml",
                case.to_path_buf(),
                fs::read_to_string(p).unwrap(),
            )
            .expect("valid test config")
        });
    let mut settings = Settings::default();
    if let Some(c) = &cfg {
        settings.overrides.extend(c.levels.iter().cloned());
    }
    let files: Vec<PathBuf> = if case.is_dir() {
        let mut v: Vec<_> = fs::read_dir(case)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        v.sort();
        v
    } else {
        vec![case.to_path_buf()]
    };
    let mut reports: Vec<FileReport> = files
        .iter()
        .map(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            lint_bytes(&name, &fs::read(f).unwrap(), &settings)
        })
        .collect();
    check_across_files(&mut reports, &settings);
    if let Some(c) = &cfg {
        // Report paths are bare file names; make them relative to the case directory.
        let mut rooted: Vec<FileReport> = reports
            .into_iter()
            .map(|mut r| {
                r.path = case.join(&r.path).to_string_lossy().into_owned();
                r
            })
            .collect();
        let mut usage = vpclint::config::IgnoreUse::default();
        for r in &mut rooted {
            c.suppress(&r.path.clone(), &mut r.diagnostics, &mut usage);
        }
        let unused = c.unused_ignores(&usage);
        let own = (!unused.is_empty()).then(|| {
            let mut own = FileReport::empty(&c.path);
            own.text = c.text.clone();
            own.diagnostics = unused;
            own
        });
        reports = rooted
            .into_iter()
            .map(|mut r| {
                r.path = Path::new(&r.path)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                r
            })
            .collect();
        reports.extend(own);
    }
    reports
}

fn render(reports: &[FileReport], with_path: bool) -> String {
    let mut out = String::new();
    for r in reports {
        let index = LineIndex::new(&r.text);
        for d in &r.diagnostics {
            let p = index.position(&r.text, d.span.start);
            let e = index.position(&r.text, d.span.end);
            let prefix = if with_path {
                format!("{}:", r.path)
            } else {
                String::new()
            };
            let ptr = if d.pointer.is_empty() {
                "\"\""
            } else {
                &d.pointer
            };
            out.push_str(&format!(
                "{prefix}{}:{}-{}:{} {} {} {} | {}\n",
                p.line, p.column, e.line, e.column, d.severity, d.rule.name, ptr, d.message
            ));
        }
    }
    out
}

fn expected_path(case: &Path) -> PathBuf {
    let name = case.file_name().unwrap().to_string_lossy();
    let stem = name
        .strip_suffix(".json")
        .or_else(|| name.strip_suffix(".http"))
        .unwrap_or(&name);
    case.with_file_name(format!("{stem}.expected"))
}

/// All cases: `rules/<rule>/<case>.json`, `rules/<rule>/<case>/` (files linted together)
/// and `examples/*.json`.
fn cases() -> Vec<PathBuf> {
    let sorted = |dir: PathBuf| {
        let mut v: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    };
    let is_case =
        |p: &PathBuf| p.is_dir() || p.extension().is_some_and(|e| e == "json" || e == "http");
    let mut out = Vec::new();
    for rule_dir in sorted(root().join("rules")) {
        out.extend(sorted(rule_dir).into_iter().filter(is_case));
    }
    out.extend(
        sorted(root().join("examples"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json")),
    );
    for op_dir in sorted(root().join("operations")) {
        out.extend(sorted(op_dir).into_iter().filter(is_case));
    }
    out.extend(
        sorted(root().join("http"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "http")),
    );
    out
}

#[test]
fn goldens_match() {
    let bless = std::env::var_os("VPCLINT_BLESS").is_some();
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() > 100, "found only {} cases", cases.len());
    for case in &cases {
        let got = render(&lint_case(case), case.is_dir());
        let exp_path = expected_path(case);
        if bless {
            fs::write(&exp_path, &got).unwrap();
            continue;
        }
        let want = fs::read_to_string(&exp_path)
            .unwrap_or_else(|_| format!("<missing {}>", exp_path.display()));
        if got != want {
            failures.push(format!(
                "{}\n--- expected\n{want}--- got\n{got}",
                case.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden mismatches (VPCLINT_BLESS=1 to update):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn bad_files_trigger_their_rule_and_ok_files_stay_clean() {
    for case in cases() {
        let Some(rule_dir) = case
            .parent()
            .filter(|p| p.parent().is_some_and(|g| g.ends_with("rules")))
        else {
            continue;
        };
        let rule = rule_dir.file_name().unwrap().to_string_lossy().into_owned();
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let reports = lint_case(&case);
        let diags: Vec<_> = reports.iter().flat_map(|r| &r.diagnostics).collect();
        if name.starts_with("bad") {
            assert!(
                diags.iter().any(|d| d.rule.name == rule),
                "{} does not trigger {rule}",
                case.display()
            );
        } else if name.starts_with("ok") {
            let loud: Vec<_> = diags
                .iter()
                .filter(|d| d.severity >= Severity::Warning)
                .map(|d| format!("{} {}", d.rule.name, d.pointer))
                .collect();
            assert!(
                loud.is_empty(),
                "{} is a near miss and must stay clean, got {loud:?}",
                case.display()
            );
        } else {
            panic!("{}: case names start with bad or ok", case.display());
        }
    }
}

#[test]
fn every_rule_has_a_failing_and_a_passing_case() {
    for rule in vpclint::rules::ALL {
        let dir = root().join("rules").join(rule.name);
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("no testdata/rules/{}", rule.name))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".expected"))
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("bad")),
            "{} has no bad case",
            rule.name
        );
        assert!(
            names.iter().any(|n| n.starts_with("ok")),
            "{} has no ok case",
            rule.name
        );
    }
}

#[test]
fn reference_example_is_clean() {
    let reports = lint_case(&root().join("examples/reference-example.json"));
    assert!(
        reports[0].diagnostics.is_empty(),
        "{:?}",
        reports[0].diagnostics
    );
}

/// Every operation has a clean body and a failing one, and each says so; every `.http`
/// case says so too.
#[test]
fn every_operation_has_a_clean_and_a_failing_body() {
    for op in vpclint::operation::all() {
        let dir = root().join("operations").join(op.id.replacen(':', "-", 1));
        let mut saw = (false, false);
        for entry in fs::read_dir(&dir).unwrap_or_else(|_| panic!("no {}", dir.display())) {
            let case = entry.unwrap().path();
            if case.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            let loud: Vec<String> = lint_case(&case)
                .iter()
                .flat_map(|r| &r.diagnostics)
                .filter(|d| d.severity >= Severity::Warning)
                .map(|d| format!("{} {}", d.rule.name, d.pointer))
                .collect();
            if name.starts_with("ok") {
                saw.0 = true;
                assert!(
                    loud.is_empty(),
                    "{} must be clean: {loud:?}",
                    case.display()
                );
            } else {
                saw.1 = true;
                assert!(!loud.is_empty(), "{} must fail", case.display());
            }
        }
        assert_eq!(saw, (true, true), "{}", op.id);
    }
    for entry in fs::read_dir(root().join("http")).unwrap() {
        let case = entry.unwrap().path();
        if case.extension().is_none_or(|e| e != "http") {
            continue;
        }
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let n = lint_case(&case).iter().flat_map(|r| &r.diagnostics).count();
        assert_eq!(
            name.starts_with("ok"),
            n == 0,
            "{}: {n} findings",
            case.display()
        );
    }
}

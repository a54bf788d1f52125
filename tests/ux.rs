//! Everyday use at ruff's level (issue 18): fixes you can see, honest summaries, errors that
//! teach, `.gitignore`, baselines, terminal safety.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpclint-ux-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vpclint"))
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One safe fix (the port), one unsafe (the misspelt key), two warnings.
const BODY: &str = r#"{
  "name": "web",
  "port": "80",
  "type": 2,
  "dict_code": "x",
  "balance_strategy": 1,
  "member_type": "ip",
  "instance_ids": ["eea73cde015940908ae0117d67bf7330"],
  "vpc_health_config": {"protocol": "TCP", "threshold_normal": 2, "threshold_abnormal": 3, "time_intervall": 10, "timeout": 5}
}
"#;

#[test]
fn fixes_are_visible_before_they_are_run() {
    let d = tempdir("visible");
    fs::write(d.join("web.json"), BODY).unwrap();
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "--output-format",
            "concise",
            "web.json",
        ],
    );
    let text = out(&o);
    assert!(text.contains("error[wrong-type] [*] `port`"), "{text}");
    assert!(
        !text.contains("unknown-field] [*]"),
        "an unsafe fix is not marked: {text}"
    );
    assert!(text.contains("fixable with `--fix`"), "{text}");
    assert!(text.contains("hidden fix"), "{text}");
    assert!(
        text.contains("can be enabled with `--unsafe-fixes`"),
        "{text}"
    );
    let full = out(&run(&d, &["check", "--no-config", "web.json"]));
    assert!(full.contains("wrong-type [*]"), "{full}");
    // --diff says what it leaves out, and shows it with --unsafe-fixes.
    let o = run(&d, &["check", "--no-config", "--diff", "web.json"]);
    assert!(
        err(&o).contains("hidden fix can be enabled with `--unsafe-fixes`"),
        "{}",
        err(&o)
    );
    let diff = out(&run(
        &d,
        &[
            "check",
            "--no-config",
            "--diff",
            "--unsafe-fixes",
            "web.json",
        ],
    ));
    assert!(
        diff.contains("+    \"time_interval\"") || diff.contains("\"time_interval\": 10"),
        "{diff}"
    );
    // --show-fixes lists what --fix changed.
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "--fix",
            "--show-fixes",
            "--output-format",
            "concise",
            "web.json",
        ],
    );
    let text = out(&o);
    assert!(text.contains("Fixed 2 problems:"), "{text}");
    assert!(
        text.contains("1 × wrong-type") && text.contains("1 × deprecated-type"),
        "{text}"
    );
}

#[test]
fn rules_and_explain_say_how_a_rule_fixes() {
    let d = tempdir("rules");
    let v: serde_json::Value =
        serde_json::from_slice(&run(&d, &["rules", "--format", "json"]).stdout).unwrap();
    let fix_of = |name: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["fix"]
            .clone()
    };
    assert_eq!(fix_of("wrong-type"), "safe");
    assert_eq!(fix_of("unknown-field"), "unsafe");
    assert_eq!(fix_of("missing-field"), "none");
    assert!(out(&run(&d, &["explain", "unknown-field"])).contains("--unsafe-fixes"));
    assert!(out(&run(&d, &["rules"])).contains("[*]"));
}

#[test]
fn declared_fixability_matches_what_rules_do() {
    // Every fix a rule makes over all testdata is within what the rule declares.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let o = run(
        &root,
        &["check", "--no-config", "--output-format", "json", "."],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut seen_safe = std::collections::HashSet::new();
    for d in v["diagnostics"].as_array().unwrap() {
        let rule = vpclint::rules::find(d["rule"].as_str().unwrap()).unwrap();
        match d["fix"]["applicability"].as_str() {
            Some("safe") => {
                assert_eq!(
                    rule.fix,
                    vpclint::diagnostic::Fixable::Safe,
                    "{}",
                    rule.name
                );
                seen_safe.insert(rule.name);
            }
            Some("unsafe") => {
                assert_ne!(rule.fix, vpclint::diagnostic::Fixable::No, "{}", rule.name)
            }
            _ => {}
        }
    }
    for r in vpclint::rules::ALL {
        if r.fix == vpclint::diagnostic::Fixable::Safe {
            assert!(
                seen_safe.contains(r.name),
                "{} declares a safe fix no testdata shows",
                r.name
            );
        }
    }
}

#[test]
fn a_certain_help_comes_with_a_safe_fix() {
    let d = tempdir("five");
    let body = BODY.replace("\"port\": \"80\"", "\"port\": 80.0");
    fs::write(d.join("web.json"), &body).unwrap();
    let o = run(&d, &["check", "--no-config", "--fix", "web.json"]);
    let _ = o;
    assert!(fs::read_to_string(d.join("web.json"))
        .unwrap()
        .contains("\"port\": 80,"));
}

#[test]
fn a_misspelt_key_gets_its_rename_whatever_is_wrong_inside() {
    let d = tempdir("rename");
    let body = r#"{"name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip", "instance_ids": ["eea73cde015940908ae0117d67bf7330"], "memebers": [{"hots": "10.0.0.1"}]}"#;
    fs::write(d.join("web.json"), body).unwrap();
    let v: serde_json::Value = serde_json::from_slice(
        &run(
            &d,
            &[
                "check",
                "--no-config",
                "--output-format",
                "json",
                "web.json",
            ],
        )
        .stdout,
    )
    .unwrap();
    let d0 = &v["diagnostics"][0];
    assert_eq!(d0["rule"], "unknown-field");
    assert_eq!(d0["help"], "did you mean `members`?");
    assert_eq!(d0["fix"]["applicability"], "unsafe");
}

#[test]
fn summaries_are_honest() {
    let d = tempdir("summaries");
    fs::write(d.join("web.json"), BODY).unwrap();
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "--max-warnings",
            "0",
            "--allow",
            "wrong-type",
            "--allow",
            "unknown-field",
            "--allow",
            "missing-field",
            "web.json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("more than --max-warnings 0"),
        "{}",
        err(&o)
    );
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "-q",
            "--output-format",
            "concise",
            "web.json",
        ],
    );
    let text = out(&o);
    assert!(text.contains("warnings hidden by --quiet"), "{text}");
    assert!(!text.contains("warning["), "{text}");
    // Statistics in JSON; --diff refuses a format it cannot honour.
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "--statistics",
            "--output-format",
            "json",
            "web.json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["rule"] == "wrong-type"));
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "--diff",
            "--output-format",
            "json",
            "web.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    // --color always colours concise output and diffs.
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "--color",
            "always",
            "--output-format",
            "concise",
            "web.json",
        ],
    );
    assert!(out(&o).contains("\u{1b}[31merror"), "{}", out(&o));
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "--color",
            "always",
            "--diff",
            "web.json",
        ],
    );
    assert!(out(&o).contains("\u{1b}[32m+"), "{}", out(&o));
}

#[test]
fn control_characters_from_files_never_reach_the_terminal_raw() {
    let d = tempdir("control");
    let body = "{\"name\": \"web\", \"port\": 80, \"balance_strategy\": 1, \"member_type\": \"ip\", \"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"], \"x\u{1b}[31m\": 1}";
    fs::write(d.join("web.json"), body).unwrap();
    for format in ["concise", "full", "github"] {
        let o = run(
            &d,
            &[
                "check",
                "--no-config",
                "--output-format",
                format,
                "web.json",
            ],
        );
        assert!(!out(&o).contains('\u{1b}'), "{format}: {}", out(&o));
    }
}

#[test]
fn errors_teach() {
    let d = tempdir("teach");
    let e = err(&run(&d, &["check", "--ignore", "x", "."]));
    assert!(e.contains("--allow"), "{e}");
    let e = err(&run(&d, &["check", "--select", "x", "."]));
    assert!(e.contains("--deny"), "{e}");
    let o = run(&d, &["check", "--no-config", "--format", "json", "."]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "--format is accepted: {}",
        err(&o)
    );
    let e = err(&run(&d, &["check", "--deny", "warning", "."]));
    assert!(e.contains("`warnings`"), "{e}");
    let e = err(&run(
        &d,
        &["check", "--operation", "AddingBackendInstancesV2", "."],
    ));
    assert!(
        e.contains("roma:AddingBackendInstancesV2") && e.contains("apig:AddingBackendInstancesV2"),
        "{e}"
    );
    let e = err(&run(&d, &["explain", "timeout"]));
    assert!(e.contains("health-timeout-not-below-interval"), "{e}");
    let e = err(&run(&d, &["chek"]));
    assert!(e.contains("'check'"), "{e}");
    fs::write(d.join("vpclint.toml"), "instance-ids-limit = \"20\"\n").unwrap();
    let e = err(&run(&d, &["check", "."]));
    assert!(
        e.contains("expected an integer") && !e.contains("i64"),
        "{e}"
    );
    fs::remove_file(d.join("vpclint.toml")).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_vpclint"))
        .current_dir(&d)
        .args(["check", "--no-config", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    c.stdin
        .take()
        .unwrap()
        .write_all(b"POST https://x/v2/p/apic/vpc-channels\n\n{}\n")
        .unwrap();
    let o = c.wait_with_output().unwrap();
    assert!(out(&o).contains("--stdin-filename"), "{}", out(&o));
}

#[test]
fn gitignored_directories_are_not_walked_unless_asked() {
    let d = tempdir("gitignore");
    fs::create_dir_all(d.join("build")).unwrap();
    fs::write(d.join(".gitignore"), "build/\n").unwrap();
    fs::write(d.join("build/web.json"), BODY).unwrap();
    fs::write(d.join("web.json"), BODY).unwrap();
    let files = |args: &[&str]| {
        let mut a = vec!["check", "--no-config", "--show-files"];
        a.extend_from_slice(args);
        out(&run(&d, &a))
    };
    assert!(!files(&["."]).contains("build/web.json"));
    assert!(files(&["--no-respect-gitignore", "."]).contains("build/web.json"));
    fs::write(d.join("vpclint.toml"), "respect-gitignore = false\n").unwrap();
    let o = run(&d, &["check", "--show-files", "."]);
    assert!(out(&o).contains("build/web.json"), "{}", err(&o));
    // A named file is linted whatever .gitignore says.
    fs::remove_file(d.join("vpclint.toml")).unwrap();
    assert!(files(&["build/web.json"]).contains("build/web.json"));
}

#[test]
fn baselines_let_a_repository_adopt_vpclint() {
    let d = tempdir("baseline");
    fs::write(d.join("web.json"), BODY).unwrap();
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "--write-baseline",
            "vpclint-baseline.json",
            ".",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "--baseline",
            "vpclint-baseline.json",
            ".",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    // Lines move: still absorbed.
    fs::write(d.join("web.json"), format!("\n\n{BODY}")).unwrap();
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "--baseline",
            "vpclint-baseline.json",
            ".",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // A new finding is reported; a fixed one leaves a stale entry, reported as unused.
    fs::write(
        d.join("web.json"),
        BODY.replace("\"port\": \"80\"", "\"port\": 80")
            .replace("\"name\": \"web\"", "\"name\": \"1st\""),
    )
    .unwrap();
    let o = run(
        &d,
        &[
            "check",
            "--no-config",
            "--baseline",
            "vpclint-baseline.json",
            "--output-format",
            "concise",
            ".",
        ],
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("error[invalid-format]"), "{text}");
    assert!(
        text.contains("vpclint-baseline.json") && text.contains("unused-ignore"),
        "{text}"
    );
    // `baseline` in vpclint.toml does the same.
    fs::write(
        d.join("vpclint.toml"),
        "baseline = \"vpclint-baseline.json\"\n",
    )
    .unwrap();
    let o = run(&d, &["check", "--output-format", "concise", "."]);
    assert!(out(&o).contains("error[invalid-format]"));
    assert!(!out(&o).contains("error[wrong-type]"), "{}", out(&o));
}

#[test]
fn completions_and_man_page() {
    let d = tempdir("completions");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = run(&d, &["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(out(&o).contains("check"), "{shell}");
    }
    let o = run(&d, &["man"]);
    assert!(out(&o).contains(".TH vpclint 1"));
}

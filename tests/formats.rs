//! The CI formats, severity flags and vpclint.toml, end to end through the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin_in(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vpclint"));
    c.current_dir(dir).env_remove("NO_COLOR");
    c
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    bin_in(repo()).args(args).output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpclint-fmt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Realistic multi-file input: several rules, Chinese text before spans, CRLF endings.
const INPUTS: [&str; 3] = [
    "testdata/examples/legacy-migration.json",
    "testdata/examples/chinese-crlf.json",
    "testdata/rules/duplicate-channel-name/bad-same-name",
];

/// Line 8 of chinese-crlf.json up to the `"备集群"` that member-group-not-found points at:
/// CJK text before the span, so byte, char and UTF-16 columns all differ.
fn text_before_missing_group() -> String {
    let text = std::fs::read_to_string(repo().join("testdata/examples/chinese-crlf.json")).unwrap();
    let line8 = text.split("\r\n").nth(7).unwrap();
    line8[..line8.find("\"备集群\"").unwrap()].to_owned()
}

fn sarif(args: &[&str]) -> serde_json::Value {
    let mut a = vec!["check", "--output-format", "sarif"];
    a.extend_from_slice(args);
    serde_json::from_slice(&run(&a).stdout).unwrap()
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("schemas/sarif-2.1.0.json")).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    for input in [
        vec!["testdata"],
        INPUTS.to_vec(),
        vec!["no/such.json", "testdata/examples"],
    ] {
        let doc = sarif(&input);
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{input:?}: {errors:#?}");
    }
}

#[test]
fn sarif_content() {
    let doc = sarif(&INPUTS);
    let run0 = &doc["runs"][0];
    assert_eq!(run0["columnKind"], "utf16CodeUnits");
    let driver = &run0["tool"]["driver"];
    assert_eq!(driver["name"], "vpclint");
    assert_eq!(
        driver["rules"].as_array().unwrap().len(),
        vpclint::rules::ALL.len()
    );
    let rule = &driver["rules"][0];
    for k in [
        "id",
        "shortDescription",
        "fullDescription",
        "help",
        "defaultConfiguration",
    ] {
        assert!(!rule[k].is_null(), "{k}");
    }
    let results = run0["results"].as_array().unwrap();
    // UTF-16 columns: line 8 of chinese-crlf.json has CJK characters before the span.
    let r = results
        .iter()
        .find(|r| {
            r["ruleId"] == "member-group-not-found"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    == "testdata/examples/chinese-crlf.json"
        })
        .unwrap();
    let region = &r["locations"][0]["physicalLocation"]["region"];
    let before = text_before_missing_group();
    let before = before.as_str();
    assert_eq!(region["startLine"], 8);
    assert_eq!(region["startColumn"], before.encode_utf16().count() + 1);
    assert_eq!(
        region["endColumn"],
        before.encode_utf16().count() + 1 + "\"备集群\"".encode_utf16().count()
    );
    // Secondary labels become related locations, in the other file for cross-file rules.
    let dup = results
        .iter()
        .find(|r| r["ruleId"] == "duplicate-channel-name")
        .unwrap();
    assert!(
        dup["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("a-orders.json")
    );
    let overlap = results
        .iter()
        .find(|r| r["ruleId"] == "health-timeout-not-below-interval")
        .unwrap();
    assert_eq!(
        overlap["relatedLocations"][0]["message"]["text"],
        "time_interval is 5"
    );
    assert_eq!(overlap["level"], "error");
}

#[test]
fn sarif_fingerprints_survive_unrelated_line_moves() {
    let d = tempdir("fp");
    let text =
        std::fs::read_to_string(repo().join("testdata/examples/legacy-migration.json")).unwrap();
    std::fs::write(d.join("a.json"), &text).unwrap();
    let fps = |dir: &Path| -> Vec<String> {
        let o = bin_in(dir)
            .args(["check", "--output-format", "sarif", "a.json"])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["vpclint/v1"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let before = fps(&d);
    std::fs::write(d.join("a.json"), format!("\n\n\n{text}")).unwrap();
    let after = fps(&d);
    assert_eq!(before, after);
    let mut unique = before.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), before.len(), "fingerprints are unique");
}

#[test]
fn sarif_reports_unreadable_files_as_notifications() {
    let doc = sarif(&["no/such.json", "testdata/examples/reference-example.json"]);
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert!(inv["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("no/such.json"));
    assert!(doc["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn github_annotations_are_escaped() {
    use vpclint::report::ci::{gh_escape_data, gh_escape_property};
    assert_eq!(gh_escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
    assert_eq!(gh_escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    let d = tempdir("gh");
    std::fs::write(
        d.join("odd, name: 1.json"),
        std::fs::read(
            repo().join("testdata/rules/health-timeout-not-below-interval/bad-equal.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let o = bin_in(&d)
        .args(["check", "--output-format", "github", "odd, name: 1.json"])
        .output()
        .unwrap();
    let text = out(&o);
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("::error file=odd%2C name%3A 1.json,line=14,col=16,endLine=14,endColumn=18,title=health-timeout-not-below-interval (error)::timeout (10 s)"), "{first}");
    assert!(
        first.contains("%0Ahelp: raise time_interval"),
        "newlines escaped: {first}"
    );
    assert_eq!(
        text.lines().last().unwrap(),
        "vpclint: 1 error, 0 warnings in 1 file"
    );
    let o = run(&[
        "check",
        "--output-format",
        "github",
        "testdata/examples/legacy-migration.json",
    ]);
    assert!(out(&o)
        .lines()
        .any(|l| l
            .starts_with("::warning file=testdata/examples/legacy-migration.json,line=6,col=11")));
    // Multi-file input with Chinese text before the span and CRLF line endings.
    let mut args = vec!["check", "--output-format", "github"];
    args.extend_from_slice(&INPUTS);
    let text = out(&run(&args));
    let col = text_before_missing_group().chars().count() + 1;
    let want = format!("::error file=testdata/examples/chinese-crlf.json,line=8,col={col},endLine=8,endColumn={},title=member-group-not-found (error)::member group \"备集群\" does not exist", col + 5);
    assert!(text.lines().any(|l| l.starts_with(&want)), "{want}\n{text}");
    assert!(text.lines().any(|l| l.starts_with("::error file=testdata/rules/duplicate-channel-name/bad-same-name/b-orders-copy.json,line=2")), "{text}");
    assert!(
        text.ends_with("vpclint: 6 errors, 6 warnings in 4 files\n"),
        "{text}"
    );
}

#[test]
fn junit_is_well_formed_xml() {
    let o = run(&[
        "check",
        "--output-format",
        "junit",
        "testdata/examples",
        "no/such.json",
    ]);
    let text = out(&o);
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    let cases: Vec<_> = suites[0]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 6, "5 files and 1 unreadable path");
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(
        suites[0].attribute("failures").unwrap(),
        failures.to_string()
    );
    assert_eq!(
        failures,
        2 + 9,
        "chinese-crlf: 2, legacy-migration: 3 errors + 6 warnings"
    );
    let legacy = cases
        .iter()
        .find(|c| c.attribute("name") == Some("testdata/examples/legacy-migration.json"))
        .unwrap();
    let f = legacy
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(f.attribute("type"), Some("deprecated-type"));
    assert!(
        f.text()
            .unwrap()
            .contains("help: replace it with `\"vpc_channel_type\": \"microservice\"`"),
        "quotes survive escaping"
    );
    assert!(doc.descendants().any(|n| n.has_tag_name("error")));
}

#[test]
fn gitlab_code_quality() {
    let o = run(&["check", "--output-format", "gitlab", "testdata/examples"]);
    let issues: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(issues.len(), 11);
    let mut fps: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), 11);
    let i = issues
        .iter()
        .find(|i| {
            i["check_name"] == "member-group-not-found"
                && i["location"]["path"] == "testdata/examples/chinese-crlf.json"
        })
        .unwrap();
    assert_eq!(i["severity"], "major");
    assert_eq!(i["location"]["lines"]["begin"], 8);
    assert!(i["description"].as_str().unwrap().contains("备集群"));
    assert!(issues.iter().any(|i| i["severity"] == "minor"));
}

#[test]
fn concise_matches_emacs_and_vim() {
    // Emacs compilation-mode's gnu regexp and vim's %f:%l:%c: %m both need FILE:LINE:COL: .
    let o = run(&[
        "check",
        "--output-format",
        "concise",
        "testdata/examples/chinese-crlf.json",
    ]);
    let line = out(&o).lines().next().unwrap().to_owned();
    assert!(
        regex::Regex::new(r"^[^:\s]+:\d+:\d+: (error|warning|info)\[")
            .unwrap()
            .is_match(&line),
        "{line}"
    );
}

fn status(args: &[&str]) -> (i32, String) {
    let o = run(args);
    (o.status.code().unwrap(), out(&o))
}

#[test]
fn severity_flags() {
    let warn_only = "testdata/rules/deprecated-type/bad-type-2.json";
    assert_eq!(status(&["check", warn_only]).0, 0);
    assert_eq!(status(&["check", "--deny", "warnings", warn_only]).0, 1);
    assert_eq!(
        status(&["check", "--deny", "deprecated-type", warn_only]).0,
        1
    );
    // Later wins, across different flags.
    assert_eq!(
        status(&[
            "check",
            "--deny",
            "warnings",
            "--warn",
            "deprecated-type",
            warn_only
        ])
        .0,
        0
    );
    assert_eq!(
        status(&[
            "check",
            "--warn",
            "deprecated-type",
            "--deny",
            "warnings",
            warn_only
        ])
        .0,
        1
    );
    assert_eq!(
        status(&[
            "check",
            "--allow",
            "deprecated-type",
            "--deny",
            "deprecated-type",
            warn_only
        ])
        .0,
        1
    );
    let (code, text) = status(&[
        "check",
        "--deny",
        "deprecated-type",
        "--allow",
        "deprecated-type",
        "--output-format",
        "concise",
        warn_only,
    ]);
    assert_eq!(
        (code, text.as_str()),
        (0, "0 errors, 0 warnings in 1 file\n")
    );
    // Unknown rule: exit 2 with the closest names.
    let o = run(&["check", "--allow", "deprecated-types", warn_only]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("did you mean `deprecated-type`"),
        "{}",
        err(&o)
    );
    // --max-warnings, --exit-zero, --quiet.
    let legacy = "testdata/examples/ecs-web.json";
    assert_eq!(status(&["check", "--max-warnings", "0", warn_only]).0, 1);
    assert_eq!(status(&["check", "--max-warnings", "1", warn_only]).0, 0);
    assert_eq!(status(&["check", "--max-warnings", "0", legacy]).0, 0);
    assert_eq!(
        status(&[
            "check",
            "--exit-zero",
            "testdata/examples/legacy-migration.json"
        ])
        .0,
        0
    );
    assert_eq!(status(&["check", "--exit-zero", "no/such.json"]).0, 2);
    let (code, text) = status(&[
        "check",
        "--quiet",
        "--output-format",
        "concise",
        "testdata/examples/legacy-migration.json",
    ]);
    assert_eq!(code, 1);
    assert!(
        text.lines()
            .filter(|l| l.contains(": "))
            .all(|l| l.contains(": error[")),
        "{text}"
    );
    assert!(text.contains("\n3 errors, 0 warnings in 1 file"), "{text}");
}

#[test]
fn config_is_found_upward_and_applied() {
    let d = tempdir("cfg");
    let sub = d.join("channels/legacy");
    std::fs::create_dir_all(&sub).unwrap();
    let legacy = std::fs::read(repo().join("testdata/examples/legacy-migration.json")).unwrap();
    std::fs::write(sub.join("billing.json"), &legacy).unwrap();
    let eleven =
        std::fs::read(repo().join("testdata/rules/instance-ids-count/bad-eleven.json")).unwrap();
    std::fs::write(d.join("channels/many.json"), &eleven).unwrap();
    std::fs::write(
        d.join("vpclint.toml"),
        "instance-ids-limit = 11\n\n[rules]\ndict-code-unsupported = \"off\"\nhealth-path-format = \"error\"\n\n[[ignore]]\npath = \"channels/legacy/*.json\"\nrules = [\"member-host-format\"]\npointer = \"/members\"\nreason = \"legacy hosts, OPS-1\"\n\n[[ignore]]\npath = \"channels/legacy/*.json\"\nrules = [\"plaintext-secret\"]\nreason = \"stale\"\n",
    )
    .unwrap();
    // Run from a subdirectory: the config is found upward, globs are relative to it.
    let o = bin_in(&d.join("channels"))
        .args(["check", "--output-format", "json", "."])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules: Vec<(&str, &str)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["rule"].as_str().unwrap(), x["severity"].as_str().unwrap()))
        .collect();
    assert!(
        !rules.iter().any(|r| r.0 == "instance-ids-count"),
        "raised quota: {rules:?}"
    );
    assert!(!rules.iter().any(|r| r.0 == "dict-code-unsupported"));
    assert!(
        !rules.iter().any(|r| r.0 == "member-host-format"),
        "ignored under /members"
    );
    assert!(rules.contains(&("health-path-format", "error")));
    let unused = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "unused-ignore")
        .expect("stale ignore reported");
    assert!(unused["path"].as_str().unwrap().ends_with("vpclint.toml"));
    assert_eq!(
        unused["span"]["start"]["line"], 13,
        "the second [[ignore]] header"
    );
    // --config and --no-config.
    let o = bin_in(&d)
        .args([
            "check",
            "--no-config",
            "--output-format",
            "json",
            "channels",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["rule"] == "instance-ids-count"));
}

#[test]
fn bad_config_is_a_located_error() {
    let d = tempdir("badcfg");
    std::fs::write(
        d.join("vpclint.toml"),
        "[rules]\nduplicate-key = \"error\"\nmember-host-fromat = \"off\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("a.json"),
        include_str!("../testdata/examples/reference-example.json"),
    )
    .unwrap();
    let o = bin_in(&d).args(["check", "a.json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = err(&o);
    assert!(e.contains("vpclint.toml:3:1"), "{e}");
    assert!(e.contains("did you mean `member-host-format`"), "{e}");
    std::fs::write(d.join("vpclint.toml"), "instance-ids-limit = \"ten\"\n").unwrap();
    let o = bin_in(&d).args(["check", "a.json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("vpclint.toml:1:22"), "{}", err(&o));
    std::fs::write(
        d.join("vpclint.toml"),
        "[[ignore]]\npath = \"a.json\"\nrules = [\"duplicate-key\"]\n",
    )
    .unwrap();
    let o = bin_in(&d).args(["check", "a.json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no `reason`"));
}

#[test]
fn include_and_exclude() {
    let d = tempdir("globs");
    std::fs::create_dir_all(d.join("a")).unwrap();
    let bad =
        std::fs::read(repo().join("testdata/rules/instance-ids-count/bad-empty.json")).unwrap();
    std::fs::write(d.join("a/one.json"), &bad).unwrap();
    std::fs::write(d.join("a/two.json"), &bad).unwrap();
    std::fs::write(d.join("a/three.vpc"), &bad).unwrap();
    let files = |args: &[&str]| -> u64 {
        let o = bin_in(&d)
            .args(["check", "--no-config", "--output-format", "json"])
            .args(args)
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["summary"]["files"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(files(&["."]), 2);
    assert_eq!(files(&["--exclude", "two.json", "."]), 1);
    assert_eq!(files(&["--include", "a/*.vpc", "."]), 1);
    assert_eq!(files(&["--include", "*", "--exclude", "*.json", "."]), 1);
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let a = out(&run(&[
        "check",
        "--output-format",
        "json",
        "--threads",
        "1",
        "testdata",
    ]));
    let b = out(&run(&[
        "check",
        "--output-format",
        "json",
        "--threads",
        "4",
        "testdata",
    ]));
    assert_eq!(a, b);
}

/// A clean file's report keeps only its text up to its channel name's line: a cross-file
/// finding added after the files were linted still renders with the right position and
/// snippet in every format, wherever the name sits, and in the other file too.
#[test]
fn a_cross_file_finding_on_clean_files_renders_from_the_kept_text() {
    let d = tempdir("shed");
    let body = |lead: &str| {
        format!(
            "{{\n  \"port\": 8080,\n  \"balance_strategy\": 1,\n  \"member_type\": \"ip\",\n  \"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"],\n{lead}  \"name\": \"orders-api\",\n  \"members\": [{{\"host\": \"10.0.0.1\"}}]\n}}\n"
        )
    };
    // The name on line 6 in one file, line 8 (after a health check) in the other.
    std::fs::write(d.join("a.json"), body("")).unwrap();
    std::fs::write(
        d.join("b.json"),
        body("  \"vpc_health_config\": {\"protocol\": \"TCP\", \"threshold_normal\": 2,\n    \"threshold_abnormal\": 3, \"time_interval\": 10, \"timeout\": 5},\n"),
    )
    .unwrap();
    let o = bin_in(&d)
        .args([
            "check",
            "--no-config",
            "--output-format",
            "json",
            "a.json",
            "b.json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Both files are clean but for the cross-file finding.
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 1, "{v}");
    let dup: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "duplicate-channel-name")
        .collect();
    assert_eq!(dup.len(), 1, "{v}");
    let dup = dup[0];
    let (file, other, line, other_line) = if dup["path"] == "b.json" {
        ("b.json", "a.json", 8, 6)
    } else {
        ("a.json", "b.json", 6, 8)
    };
    assert_eq!(dup["path"], file);
    assert_eq!(dup["span"]["start"]["line"], line, "{dup}");
    assert_eq!(dup["span"]["start"]["column"], 11, "{dup}");
    let label = &dup["labels"][0];
    assert_eq!(label["path"], other, "{dup}");
    assert_eq!(label["span"]["start"]["line"], other_line, "{dup}");
    // The full format shows the name's line from the kept text.
    let o = bin_in(&d)
        .args(["check", "--no-config", "a.json", "b.json"])
        .output()
        .unwrap();
    let full = out(&o);
    assert!(full.contains("\"name\": \"orders-api\""), "{full}");
    assert!(full.contains(&format!("{file}:{line}:11")), "{full}");
}

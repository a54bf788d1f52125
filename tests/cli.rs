//! End-to-end tests of the `vpclint` binary: exit statuses, formats, discovery, failures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vpclint"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn json(args: &[&str]) -> (serde_json::Value, i32) {
    let mut a = vec!["check", "--output-format", "json"];
    a.extend_from_slice(args);
    let o = run(&a);
    (
        serde_json::from_slice(&o.stdout).expect("json output parses"),
        o.status.code().unwrap(),
    )
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpclint-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const GOOD: &str = include_str!("../testdata/examples/reference-example.json");

#[test]
fn reference_example_exits_zero() {
    let o = run(&["check", "testdata/examples/reference-example.json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).ends_with("0 errors, 0 warnings in 1 file\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn json_format_has_the_documented_shape() {
    let (doc, code) = json(&["testdata/examples"]);
    assert_eq!(code, 1);
    assert_eq!(doc["version"], 1);
    let diags = doc["diagnostics"].as_array().unwrap();
    let errors = diags.iter().filter(|d| d["severity"] == "error").count();
    assert_eq!(doc["summary"]["errors"], errors);
    assert_eq!(doc["summary"]["files"], 5);
    let keys: Vec<(String, u64)> = diags
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["span"]["start"]["offset"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by path, then offset");
    let d = diags
        .iter()
        .find(|d| d["rule"] == "health-timeout-not-below-interval")
        .unwrap();
    assert_eq!(d["pointer"], "/vpc_health_config/timeout");
    assert_eq!(
        d["message"],
        "timeout (5 s) must be less than time_interval (5 s)"
    );
    assert_eq!(d["labels"][0]["message"], "time_interval is 5");
    for k in ["offset", "line", "column"] {
        assert!(d["span"]["start"][k].is_u64() && d["span"]["end"][k].is_u64());
    }
}

#[test]
fn columns_count_characters_not_bytes() {
    let (doc, _) = json(&["testdata/examples/chinese-crlf.json"]);
    let d = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "member-group-not-found")
        .unwrap();
    let line = GOODLESS_LINE8;
    let byte_col = line.find("\"备集群\"").unwrap() + 1;
    let char_col = line[..byte_col - 1].chars().count() + 1;
    assert_ne!(byte_col, char_col);
    assert_eq!(d["span"]["start"]["line"], 8);
    assert_eq!(d["span"]["start"]["column"], char_col);
}

const GOODLESS_LINE8: &str = r#"  "members": [{ "host": "10.2.0.5", "member_group_name": "主集群" }, { "host": "10.2.0.6", "member_group_name": "备集群" }],"#;

#[test]
fn concise_lines_match_vim_errorformat() {
    let o = run(&[
        "check",
        "--output-format",
        "concise",
        "testdata/examples/legacy-migration.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    let re = regex::Regex::new(
        r"^testdata/examples/legacy-migration\.json:\d+:\d+: (error|warning|info)\[[a-z-]+\] .+$",
    )
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let summary = lines
        .iter()
        .position(|l| *l == "3 errors, 6 warnings in 1 file")
        .expect("the summary line");
    assert!(summary > 5);
    for l in &lines[..summary] {
        assert!(re.is_match(l), "{l}");
    }
    // After the summary, only ruff's hints about fixes.
    for l in &lines[summary + 1..] {
        assert!(l.starts_with("[*] ") || l.starts_with('('), "{l}");
    }
}

#[test]
fn directories_lint_only_requests_and_skip_vendored_dirs() {
    let d = tempdir("discover");
    std::fs::write(
        d.join("package.json"),
        r#"{"name": "x", "version": "1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(d.join("tsconfig.json"), "{ // comment\n}").unwrap();
    std::fs::write(d.join("channel.json"), GOOD).unwrap();
    std::fs::write(d.join("broken.json"), "{\"instance_ids\": [").unwrap();
    for skip in ["node_modules", ".hidden", "target"] {
        std::fs::create_dir_all(d.join(skip)).unwrap();
        std::fs::write(d.join(skip).join("bad.json"), "{\"instance_ids\": []}").unwrap();
    }
    let (doc, code) = json(&[d.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["files"], 2, "{doc}");
    let paths: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.iter().all(|p| p.ends_with("broken.json")),
        "{paths:?}"
    );
    // Named explicitly, any file is linted.
    let (doc, code) = json(&[d.join("package.json").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["rule"] == "missing-field"));
}

#[test]
fn unreadable_paths_exit_2_and_the_rest_is_linted() {
    let (doc, code) = json(&[
        "no/such/file.json",
        "testdata/examples/reference-example.json",
    ]);
    assert_eq!(code, 2);
    assert_eq!(doc["summary"]["files"], 1);
    assert_eq!(doc["failures"][0]["path"], "no/such/file.json");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_not_read() {
    let d = tempdir("fifo");
    let fifo = d.join("pipe.json");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        return; // no mkfifo on this system
    }
    let (doc, code) = json(&[fifo.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(doc["failures"][0]["message"], "not a regular file");
}

#[test]
fn duplicate_channel_names_across_files() {
    let (doc, code) = json(&["testdata/rules/duplicate-channel-name/bad-same-name"]);
    assert_eq!(code, 1);
    let d = &doc["diagnostics"][0];
    assert_eq!(d["rule"], "duplicate-channel-name");
    assert!(d["path"].as_str().unwrap().ends_with("b-orders-copy.json"));
    assert_eq!(d["pointer"], "/name");
    assert!(d["labels"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("a-orders.json"));
}

#[test]
fn stdin_is_reported_under_its_name() {
    let mut child = bin()
        .args([
            "check",
            "--output-format",
            "json",
            "--stdin-filename",
            "channels/web.json",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bad = std::fs::read("testdata/examples/legacy-migration.json").unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &bad).unwrap();
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (direct, _) = json(&["testdata/examples/legacy-migration.json"]);
    let strip = |v: &serde_json::Value| {
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["rule"].clone(), d["pointer"].clone(), d["span"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&doc), strip(&direct));
    assert_eq!(doc["diagnostics"][0]["path"], "channels/web.json");
}

#[test]
fn rules_explain_and_schema() {
    let o = run(&["rules"]);
    let text = stdout(&o);
    for r in vpclint::rules::ALL {
        assert!(
            text.lines()
                .any(|l| l.starts_with(r.name) && l.contains(r.default_severity.as_str())),
            "{}",
            r.name
        );
    }
    let o = run(&["explain", "health-timeout-not-below-interval"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "Use instead:",
        "## Source",
    ] {
        assert!(text.contains(section), "{section}");
    }
    let o = run(&["explain", "duplicate-keys"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean duplicate-key"));
    let o = run(&["schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(schema["properties"]["port"]["maximum"], 65535);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let bad = "testdata/examples/legacy-migration.json";
    let plain = run(&["check", bad]);
    assert!(
        !stdout(&plain).contains('\u{1b}'),
        "piped output has no escapes"
    );
    let forced = run(&["check", "--color", "always", bad]);
    assert!(stdout(&forced).contains('\u{1b}'));
    let o = bin()
        .args(["check", bad])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&o).contains('\u{1b}'));
}

#[test]
fn full_format_shows_source_labels_and_help() {
    let o = run(&[
        "check",
        "testdata/rules/health-timeout-not-below-interval/bad-greater.json",
    ]);
    let text = stdout(&o);
    assert!(text.contains("health-timeout-not-below-interval"));
    assert!(text.contains("timeout is 30"));
    assert!(text.contains("time_interval is 5"));
    assert!(text.contains("help: raise time_interval to 31 or lower timeout to 4"));
    assert!(text.contains("\"timeout\": 30"), "source snippet shown");
}

#[test]
fn readme_rule_table_is_current() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start =
        readme.find("<!-- rules:start -->").expect("marker") + "<!-- rules:start -->\n".len();
    let end = readme.find("<!-- rules:end -->").expect("marker");
    assert_eq!(
        &readme[start..end],
        vpclint::report::rules_markdown_table(),
        "regenerate with `vpclint rules --format markdown`"
    );
}

/// The pipeline (issue 11): named paths are opened by the workers, directories walked by
/// the worker that found them. Whatever the overlap and the thread count, every file is
/// reported once and the output is the same, in path order.
#[test]
fn overlapping_paths_are_linted_once_in_path_order_on_any_thread_count() {
    let d = tempdir("pipeline");
    let sub = d.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    // Enough files that the helpers start in the middle of the walk.
    let bad = GOOD.replacen("\"port\" : 22", "\"port\" : \"22\"", 1);
    for i in 0..40 {
        let dir = if i % 2 == 0 { &d } else { &sub };
        let body = if i % 5 == 0 { &bad } else { GOOD };
        std::fs::write(dir.join(format!("req-{i:02}.json")), body).unwrap();
    }
    let dir = d.to_str().unwrap();
    let sub_dir = sub.to_str().unwrap();
    let named = format!("{dir}/req-00.json");
    let concise = |threads: &str| {
        let o = run(&[
            "check",
            "--no-config",
            "--output-format",
            "concise",
            "--threads",
            threads,
            dir,
            sub_dir,
            &named,
            &named,
        ]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        stdout(&o)
    };
    let one = concise("1");
    assert_eq!(one, concise("2"));
    assert_eq!(one, concise("7"));
    assert!(one.contains("in 40 files\n"), "{one}");
    let lines: Vec<&str> = one.lines().filter(|l| l.contains("wrong-type")).collect();
    assert_eq!(lines.len(), 8, "{one}");
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
}

/// A path that cannot be read among many is a failure of that path; the others are linted.
#[test]
fn a_missing_path_among_many_fails_the_run_and_the_rest_is_linted() {
    let d = tempdir("pipeline-missing");
    let mut args = vec![
        "check".to_owned(),
        "--no-config".into(),
        "--output-format".into(),
        "concise".into(),
    ];
    for i in 0..40 {
        let p = d.join(format!("req-{i:02}.json"));
        std::fs::write(&p, GOOD).unwrap();
        args.push(p.to_str().unwrap().to_owned());
    }
    args.push(d.join("missing.json").to_str().unwrap().to_owned());
    let o = bin().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).ends_with("in 40 files\n"), "{}", stdout(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing.json: cannot read"), "{err}");
}

/// The README's marked blocks: after each `<!-- KIND: ARG -->`, the code block is what
/// `expected(ARG)` gives. With `VPCLINT_BLESS=1` the blocks are written instead of compared.
fn readme_blocks(kind: &str, expected: impl Fn(&str) -> String) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let bless = std::env::var_os("VPCLINT_BLESS").is_some();
    let open = format!("<!-- {kind}: ");
    let mut out = String::new();
    let mut rest = readme.as_str();
    let mut checked = 0;
    while let Some(i) = rest.find(&open) {
        let marker_end = i + rest[i..].find(" -->\n").expect("marker end") + " -->\n".len();
        let arg = rest[i + open.len()..marker_end - " -->\n".len()].trim();
        let after = &rest[marker_end..];
        assert!(after.starts_with("```"), "a code block follows the marker");
        let body_start = after.find('\n').unwrap() + 1;
        let body_end = body_start + after[body_start..].find("```\n").expect("block end");
        let actual = expected(arg);
        if !bless {
            assert_eq!(
                &after[body_start..body_end],
                actual,
                "README block for `{arg}`"
            );
        }
        out.push_str(&rest[..marker_end]);
        out.push_str(&after[..body_start]);
        out.push_str(&actual);
        rest = &after[body_end..];
        checked += 1;
    }
    out.push_str(rest);
    if bless {
        std::fs::write(&path, out).unwrap();
    }
    checked
}

/// Every README block after a `<!-- sample: ARGS -->` marker is what `vpclint ARGS` prints,
/// run from the repository root: the README cannot drift from the binary.
#[test]
fn readme_samples_are_what_the_binary_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let n = readme_blocks("sample", |args| {
        let o = Command::new(env!("CARGO_BIN_EXE_vpclint"))
            .current_dir(root)
            .env("NO_COLOR", "1")
            .args(args.split_whitespace())
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    });
    assert!(n >= 3, "only {n} samples");
}

/// Every README block after a `<!-- file: PATH -->` marker is that file of the repository,
/// so a copy-paste snippet is what the repository holds.
#[test]
fn readme_snippets_are_the_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let n = readme_blocks("file", |file| {
        std::fs::read_to_string(root.join(file)).unwrap()
    });
    assert!(n >= 1);
}

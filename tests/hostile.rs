//! The hostile-input catalogue: every case gets a located diagnostic (or a clear run error)
//! and the documented exit status, within a time limit; never a panic, a hang or a crash.
//! Small cases live in `testdata/hostile/`; huge or special ones are made here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run `vpclint check --output-format json ARGS` with a hard timeout.
fn check(args: &[&Path], limit: Duration) -> (i32, serde_json::Value, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpclint"))
        .current_dir(repo())
        .args(["check", "--output-format", "json"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::BufReader::new(stdout), &mut buf).unwrap();
        buf
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("{args:?}: no answer within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = reader.join().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    let code = status
        .code()
        .unwrap_or_else(|| panic!("{args:?}: killed by a signal (crash): {err}"));
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    let doc = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{args:?}: output is not JSON ({e})"));
    (code, doc, err)
}

fn rules(doc: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_owned())
        .collect();
    v.dedup();
    v
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpclint-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const QUICK: Duration = Duration::from_secs(20);

#[test]
fn checked_in_catalogue() {
    let cases: &[(&str, i32, &[&str])] = &[
        ("empty.json", 1, &["invalid-json"]),
        ("whitespace-only.json", 1, &["invalid-json"]),
        (
            "numbers-extreme.json",
            1,
            &["out-of-range", "non-integer-number", "out-of-range"],
        ),
        ("invalid-utf8.json", 1, &["invalid-encoding"]),
        ("utf16-bom.json", 1, &["invalid-encoding"]),
        ("utf8-bom.json", 0, &["byte-order-mark"]),
        ("nul-bytes.json", 1, &["invalid-json"]),
        ("lone-surrogate.json", 1, &["invalid-json"]),
        ("keys-collide-after-unescape.json", 1, &["duplicate-key"]),
        (
            "crlf.json",
            1,
            &["health-timeout-not-below-interval", "out-of-range"],
        ),
        (
            "cr-only.json",
            1,
            &["health-timeout-not-below-interval", "out-of-range"],
        ),
        (
            "tabs.json",
            1,
            &["health-timeout-not-below-interval", "out-of-range"],
        ),
        ("top-level-array.json", 1, &["wrong-type"]),
        ("top-level-string.json", 1, &["wrong-type"]),
        ("top-level-number.json", 1, &["wrong-type"]),
        ("long-line.json", 1, &["invalid-format"]),
        // Found by the property test: a bad \u escape before multi-byte text.
        ("unicode-escape-before-cjk.json", 1, &["invalid-json"]),
    ];
    let dir = repo().join("testdata/hostile");
    let listed: Vec<&str> = cases.iter().map(|c| c.0).collect();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            listed.contains(&name.as_str()),
            "{name} has no expected outcome here"
        );
    }
    for (name, exit, expected) in cases {
        let (code, doc, _) = check(&[&dir.join(name)], QUICK);
        assert_eq!(code, *exit, "{name}");
        let got = rules(&doc);
        for r in *expected {
            assert!(
                got.iter().any(|g| g == r),
                "{name}: expected {r}, got {got:?}"
            );
        }
        for d in doc["diagnostics"].as_array().unwrap() {
            assert!(
                d["span"]["start"]["line"].as_u64().unwrap() >= 1,
                "{name}: located"
            );
        }
    }
}

#[test]
fn line_endings_and_tabs_give_the_same_lines() {
    let dir = repo().join("testdata/hostile");
    let pos = |name: &str| {
        let (_, doc, _) = check(&[&dir.join(name)], QUICK);
        let d = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["rule"] == "health-timeout-not-below-interval")
            .unwrap()
            .clone();
        (
            d["span"]["start"]["line"].as_u64().unwrap(),
            d["span"]["start"]["column"].as_u64().unwrap(),
        )
    };
    assert_eq!(pos("crlf.json"), (14, 17));
    assert_eq!(pos("cr-only.json"), (14, 17));
    assert_eq!(pos("tabs.json"), (14, 15), "a tab is one column");
}

#[test]
fn deep_nesting() {
    let d = tempdir("deep");
    let f = d.join("deep.json");
    std::fs::write(&f, "[".repeat(100_000)).unwrap();
    let (code, doc, _) = check(&[&f], QUICK);
    assert_eq!(code, 1);
    assert_eq!(rules(&doc), ["invalid-json"]);
    assert!(doc["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("nesting deeper than"));
    std::fs::write(&f, format!("{{\"a\":{}", "{\"a\":".repeat(100_000))).unwrap();
    assert_eq!(check(&[&f], QUICK).0, 1);
}

#[test]
fn huge_valid_request_and_huge_string() {
    let d = tempdir("huge");
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("../testdata/examples/reference-example.json")).unwrap();
    let mut big = reference.clone();
    big["members"] = (0..200_000u32)
        .map(|k| serde_json::json!({"host": format!("10.{}.{}.{}", k >> 16 & 255, k >> 8 & 255, k & 255), "port": 8080, "weight": 5, "member_group_name": "test"}))
        .collect();
    let f = d.join("big.json");
    std::fs::write(&f, serde_json::to_string_pretty(&big).unwrap()).unwrap();
    assert!(std::fs::metadata(&f).unwrap().len() > 19_000_000);
    let (code, doc, _) = check(&[&f], Duration::from_secs(60));
    assert_eq!((code, rules(&doc).len()), (0, 0), "{doc}");
    let mut s = reference.clone();
    s["member_groups"][0]["member_group_remark"] =
        serde_json::Value::String("x".repeat(10_000_000));
    let f = d.join("string.json");
    std::fs::write(&f, serde_json::to_string(&s).unwrap()).unwrap();
    let (code, doc, _) = check(&[&f], Duration::from_secs(60));
    assert_eq!(code, 1);
    assert_eq!(rules(&doc), ["invalid-format"]);
}

#[cfg(unix)]
#[test]
fn symlink_loops_fifos_directories_and_unreadable_files() {
    let d = tempdir("fs");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::os::unix::fs::symlink(&d, d.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink(d.join("nowhere.json"), d.join("dangling.json")).unwrap();
    std::fs::write(
        d.join("sub/ok.json"),
        include_str!("../testdata/examples/reference-example.json"),
    )
    .unwrap();
    // A directory walk with a symlink loop terminates; the loop is not followed.
    let (code, doc, _) = check(&[&d], QUICK);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["summary"]["files"], 1);
    // A dangling link and a directory named like a file.
    let (code, doc, _) = check(&[&d.join("dangling.json"), &d.join("sub/ok.json")], QUICK);
    assert_eq!(code, 2);
    assert_eq!(
        doc["summary"]["files"], 1,
        "the readable file is still linted"
    );
    assert!(doc["failures"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("cannot read"));
    std::fs::create_dir_all(d.join("dir.json")).unwrap();
    assert_eq!(
        check(&[&d.join("dir.json")], QUICK).0,
        0,
        "a directory is walked, not read"
    );
    // A file whose read fails (EIO), and a FIFO, which must not be opened at all.
    if Path::new("/proc/self/mem").exists() {
        let (code, doc, _) = check(&[Path::new("/proc/self/mem")], QUICK);
        assert_eq!(code, 2, "{doc}");
    }
    let fifo = d.join("pipe.json");
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let (code, doc, _) = check(&[&fifo], QUICK);
        assert_eq!(code, 2);
        assert_eq!(doc["failures"][0]["message"], "not a regular file");
    }
}

#[test]
fn stdin_with_garbage() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpclint"))
        .args([
            "check",
            "--output-format",
            "json",
            "--stdin-filename",
            "x.json",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&[0xde, 0xad, 0xbe, 0xef, 0, 0, 0xff])
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rules(&doc), ["invalid-encoding"]);
}

/// Fuzzing (the `http` target) found a request file whose environment's variables use each
/// other over and over: expanding them naively took over 10 s (exponential in the chain).
/// Each variable is now resolved once and no value grows past a bound, so twice the chain
/// costs about twice the time, as two sizes compared show.
#[test]
fn http_variables_that_expand_exponentially_lint_in_linear_time() {
    let lint = |n: usize| {
        let mut env = std::collections::HashMap::new();
        env.insert("v0".to_owned(), "x".to_owned());
        for i in 1..n {
            env.insert(
                format!("v{i}"),
                format!("{{{{v{0}}}}}{{{{v{0}}}}}{{{{v{0}}}}}", i - 1),
            );
        }
        let last = n - 1;
        let text = format!("PUT https://h/v2/p/apic/vpc-channels\nContent-Type: application/json\n\n{{\"name\": \"{{{{v{last}}}}}\", \"port\": 80}}\n");
        let envs = [("dev".to_owned(), env)];
        let started = std::time::Instant::now();
        let r = vpclint::http::lint_in(
            "x.http",
            text.into_bytes(),
            &vpclint::Settings::default(),
            &envs,
        );
        assert!(r.is_some());
        started.elapsed()
    };
    let mut ratios = Vec::new();
    for _ in 0..3 {
        let (small, large) = (
            (0..3).map(|_| lint(40)).min().unwrap(),
            (0..3).map(|_| lint(160)).min().unwrap(),
        );
        let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
        if ratio < 16.0 {
            return;
        }
        ratios.push(format!("{ratio:.1}"));
    }
    panic!("4x the chain took {}x the time", ratios.join(", "));
}

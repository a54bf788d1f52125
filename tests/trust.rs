//! "vpclint never lies" (issue 8): no silent failure, no panic, settings resolved in one
//! place with a documented precedence, and no path whose cost grows faster than its input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use vpclint::config::Config;
use vpclint::diagnostic::Severity;
use vpclint::{lint_bytes, FileReport, Flags, Settings};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vpclint"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpclint-trust-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const REFERENCE: &str = "testdata/examples/reference-example.json";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_report_that_cannot_be_written_fails_the_run() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let o = bin()
        .args(["check", REFERENCE])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot write the report"), "{err}");
}

#[test]
fn a_closed_stderr_is_a_run_error_not_a_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = bin()
        .args(["check", "no-such-file.json"])
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = bin()
        .args(["explain", "no-such-rule"])
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_broken_stdout_pipe_stays_quiet() {
    let mut child = bin()
        .args(["rules"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn a_panicking_worker_is_a_reported_failure() {
    let d = tempdir("panic");
    // More files than the parallel threshold, so the panic happens on a worker thread.
    for i in 0..40 {
        std::fs::copy(REFERENCE, d.join(format!("r{i:02}.json"))).unwrap();
    }
    std::fs::copy(REFERENCE, d.join("vpclint-test-panic.json")).unwrap();
    for threads in ["1", "2"] {
        let o = bin()
            .args(["check", "--threads", threads, "--output-format", "json"])
            .arg(&d)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "threads {threads}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            v["summary"]["files"], 40,
            "the other files are still linted"
        );
        let failures = v["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 1);
        assert!(failures[0]["message"]
            .as_str()
            .unwrap()
            .contains("internal error"));
        assert!(stderr(&o).contains("vpclint-test-panic.json"));
    }
}

#[test]
fn files_over_the_size_limit_are_refused_not_read() {
    let o = bin()
        .args(["check", "--max-file-size", "100", REFERENCE])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("larger than the limit"),
        "{}",
        stderr(&o)
    );
    let mut child = bin()
        .args(["check", "--max-file-size", "100", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(REFERENCE).unwrap());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    // The config can set it too, and a config error is located.
    let d = tempdir("size");
    std::fs::write(d.join("vpclint.toml"), "max-file-size = 100\n").unwrap();
    std::fs::copy(REFERENCE, d.join("r.json")).unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "r.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn a_fifo_named_on_the_command_line_is_refused_without_hanging() {
    let d = tempdir("fifo");
    let fifo = d.join("pipe.json");
    let ok = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(ok.success());
    let mut child = bin()
        .arg("check")
        .arg(&fifo)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(2));
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("vpclint hung on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn gitlab_reports_run_failures() {
    let o = bin()
        .args([
            "check",
            "--output-format",
            "gitlab",
            REFERENCE,
            "no-such-file.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let issues = v.as_array().unwrap();
    assert!(issues.iter().any(|i| i["check_name"] == "run-failure"
        && i["location"]["path"] == "no-such-file.json"
        && i["severity"] == "blocker"));
}

#[test]
fn sarif_char_offsets_count_utf16_units_and_bytes_go_in_byte_offsets() {
    let d = tempdir("sarif");
    let text = "{\n  \"name\": \"订单😀\", \"port\": \"80\",\n  \"balance_strategy\": 1, \"member_type\": \"ip\", \"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"]\n}\n";
    std::fs::write(d.join("r.json"), text).unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "--output-format", "sarif", "r.json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let port = results
        .iter()
        .find(|r| r["ruleId"] == "wrong-type")
        .expect("port is a string");
    let region = &port["locations"][0]["physicalLocation"]["region"];
    let byte = text.find("\"80\"").unwrap();
    let units: usize = text[..byte].chars().map(char::len_utf16).sum();
    assert_eq!(region["byteOffset"], byte);
    assert_eq!(region["byteLength"], 4);
    assert_eq!(region["charOffset"], units);
    assert_eq!(region["charLength"], 4);
    assert_ne!(units, byte, "the test needs text where the two differ");
}

fn config(text: &str) -> Config {
    Config::parse("vpclint.toml", PathBuf::from("/repo"), text.to_owned()).unwrap()
}

fn flags(levels: &[(&str, Severity)]) -> Flags {
    Flags {
        levels: levels.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect(),
        ..Flags::default()
    }
}

#[test]
fn settings_precedence_default_then_config_warnings_then_config_rules_then_flags() {
    let rule = vpclint::rules::find("deprecated-type").unwrap();
    let other = vpclint::rules::find("health-path-format").unwrap();
    // `[rules]` is a table: alphabetical order must not let `warnings` beat a per-rule level.
    let c = config("[rules]\ndeprecated-type = \"warning\"\nwarnings = \"error\"\n");
    let s = Settings::resolve(Some(&c), &Flags::default()).unwrap();
    assert_eq!(s.severity_of(rule), Severity::Warning);
    assert_eq!(s.severity_of(other), Severity::Error);
    // Flags come last, in the order given.
    let s = Settings::resolve(Some(&c), &flags(&[("warnings", Severity::Error)])).unwrap();
    assert_eq!(s.severity_of(rule), Severity::Error);
    let s = Settings::resolve(
        Some(&c),
        &flags(&[
            ("deprecated-type", Severity::Off),
            ("deprecated-type", Severity::Info),
        ]),
    )
    .unwrap();
    assert_eq!(s.severity_of(rule), Severity::Info);
    assert!(
        Settings::resolve(None, &flags(&[("deprecated-typo", Severity::Off)]))
            .unwrap_err()
            .contains("did you mean `deprecated-type`")
    );
}

#[test]
fn an_explicit_instance_ids_limit_beats_the_config_even_at_the_default() {
    let c = config("instance-ids-limit = 20\n");
    let s = Settings::resolve(Some(&c), &Flags::default()).unwrap();
    assert_eq!(s.instance_ids_limit, 20);
    let f = Flags {
        instance_ids_limit: Some(10),
        ..Flags::default()
    };
    assert_eq!(
        Settings::resolve(Some(&c), &f).unwrap().instance_ids_limit,
        10
    );
    // And end to end: 11 IDs are an error with --instance-ids-limit 10 despite the config.
    let d = tempdir("limit");
    std::fs::write(d.join("vpclint.toml"), "instance-ids-limit = 20\n").unwrap();
    let ids: Vec<String> = (0..11)
        .map(|i| format!("\"eea73cde015940908ae0117d67bf73{i:02}\""))
        .collect();
    let body = format!(
        "{{\"name\": \"web\", \"port\": 80, \"balance_strategy\": 1, \"member_type\": \"ip\", \"instance_ids\": [{}]}}",
        ids.join(", ")
    );
    std::fs::write(d.join("r.json"), body).unwrap();
    let run = |extra: &[&str]| {
        bin()
            .current_dir(&d)
            .args(["check", "r.json"])
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(run(&[]), Some(0));
    assert_eq!(run(&["--instance-ids-limit", "10"]), Some(1));
}

/// The best of three timings: what the code costs, with less of the machine's noise.
fn best_of_3(mut f: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

/// Linear work at 4× the size costs about 4×; quadratic about 16×. 8× leaves room for
/// noise and cache effects while still failing any quadratic path. A machine busy with
/// other work can distort one measurement, so a pair is measured up to three times and
/// the best ratio counts: a quadratic path fails all three.
fn assert_linear(name: &str, mut small: impl FnMut(), mut large: impl FnMut()) {
    let mut ratios = Vec::new();
    for _ in 0..3 {
        let (s, l) = (best_of_3(&mut small), best_of_3(&mut large));
        let ratio = l.as_secs_f64() / s.as_secs_f64().max(1e-6);
        if ratio < 8.0 {
            return;
        }
        ratios.push(format!("{ratio:.1}x ({s:?} -> {l:?})"));
    }
    panic!("{name}: 4x the input took {}", ratios.join(", "));
}

fn unknown_keys(n: usize) -> String {
    let mut s = String::from(
        "{\"name\": \"web\", \"port\": 80, \"balance_strategy\": 1, \"member_type\": \"ip\", \"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"]",
    );
    for i in 0..n {
        s.push_str(&format!(", \"k{i}\": {i}"));
    }
    s.push('}');
    s
}

#[test]
fn many_unknown_keys_cost_linear_time_to_lint_and_report() {
    let settings = Settings::default();
    let (small, large) = (unknown_keys(5_000), unknown_keys(20_000));
    let lint = |text: &str| {
        let r = lint_bytes("x.json", text.as_bytes(), &settings);
        let _ = vpclint::report::concise(std::slice::from_ref(&r));
        r.diagnostics.len()
    };
    assert_eq!(lint(&large), 20_000);
    assert_linear(
        "unknown keys",
        || {
            lint(&small);
        },
        || {
            lint(&large);
        },
    );
}

fn with_ignores(n: usize) -> Config {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "[[ignore]]\npath = \"channels/team{i}/*.json\"\nrules = [\"deprecated-type\"]\nreason = \"migration\"\n"
        ));
    }
    config(&text)
}

#[test]
fn ignore_entries_are_matched_through_an_index() {
    let reports = |files: usize| -> Vec<FileReport> {
        let body = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(REFERENCE)).unwrap();
        let r = lint_bytes("x.json", &body, &Settings::default());
        (0..files)
            .map(|i| FileReport {
                path: format!("/repo/channels/other{i}/r.json"),
                ..r.clone()
            })
            .collect()
    };
    let files = reports(2_000);
    let (small, large) = (with_ignores(500), with_ignores(2_000));
    assert_linear(
        "ignore entries",
        || {
            let mut usage = vpclint::config::IgnoreUse::default();
            for mut f in files.clone() {
                small.suppress(&f.path, &mut f.diagnostics, &mut usage);
            }
        },
        || {
            let mut usage = vpclint::config::IgnoreUse::default();
            for mut f in files.clone() {
                large.suppress(&f.path, &mut f.diagnostics, &mut usage);
            }
        },
    );
    let excludes = |n: usize| {
        let globs: Vec<String> = (0..n).map(|i| format!("\"x{i}/**\"")).collect();
        config(&format!("exclude = [{}]\n", globs.join(", ")))
    };
    let (exclude_small, exclude_large) = (excludes(500), excludes(2_000));
    let paths: Vec<String> = (0..2_000)
        .map(|i| format!("/repo/channels/c{i}.json"))
        .collect();
    assert_linear(
        "exclude entries",
        || assert!(paths.iter().all(|p| exclude_small.selects(p))),
        || assert!(paths.iter().all(|p| exclude_large.selects(p))),
    );
}

/// A big document has its schema pass and its rules on two threads (issue 11); what it
/// finds must be exactly what one thread finds, in the same order.
#[test]
fn a_big_document_finds_the_same_on_one_thread_and_on_two() {
    let mut members = String::new();
    for k in 0..20_000 {
        let host = match k % 997 {
            0 => "http://10.0.0.1".to_owned(),
            1 => format!("10.0.{}.{}", k % 250, k % 7),
            _ => format!("10.{}.{}.{}", k >> 16 & 255, k >> 8 & 255, k & 255),
        };
        let port = if k % 1499 == 0 {
            "\"80\"".to_owned()
        } else {
            "8080".to_owned()
        };
        let group = if k % 1777 == 0 { "primray" } else { "primary" };
        members.push_str(&format!(
            "{}{{\"host\": \"{host}\", \"port\": {port}, \"weight\": 5, \"member_group_name\": \"{group}\"}}\n",
            if k == 0 { "" } else { "," }
        ));
    }
    let body = format!(
        r#"{{"name": "big", "port": 8080, "balance_strategy": 1, "member_type": "ip", "vpc_channel_type": "builtin",
  "instance_ids": ["eea73cde015940908ae0117d67bf7330"],
  "vpc_health_config": {{"protocol": "HTTP", "path": "/health", "time_interval": 5, "timeout": 10, "threshold_normal": 2, "threshold_abnormal": 2, "http_code": "200"}},
  "member_groups": [{{"member_group_name": "primary", "member_group_weight": 1}}],
  "members": [{members}]}}"#
    );
    assert!(
        body.len() > 1 << 20,
        "the document must take the two-thread path"
    );
    let one = Settings {
        threads: Some(1),
        ..Settings::default()
    };
    let key = |r: &FileReport| -> Vec<(String, String, usize, String)> {
        r.diagnostics
            .iter()
            .map(|d| {
                (
                    d.rule.name.to_owned(),
                    d.pointer.clone(),
                    d.span.start,
                    d.message.clone(),
                )
            })
            .collect()
    };
    let single = key(&lint_bytes("big.json", body.as_bytes(), &one));
    let double = key(&lint_bytes(
        "big.json",
        body.as_bytes(),
        &Settings::default(),
    ));
    assert_eq!(single, double);
    let rules: std::collections::BTreeSet<&str> = single.iter().map(|d| d.0.as_str()).collect();
    for expected in [
        "member-host-format",
        "wrong-type",
        "member-group-not-found",
        "health-timeout-not-below-interval",
        "duplicate-member",
    ] {
        assert!(
            rules.contains(expected),
            "{expected} not found in {rules:?}"
        );
    }
}

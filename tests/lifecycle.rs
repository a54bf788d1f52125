//! One life for every file (issue 16): what is linted, fixed and written, in which order,
//! under which name and with which config, whatever the entry point; and writes that lose
//! nothing, even when runs are killed or race each other.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vpclint"));
    c.env_remove("NO_COLOR");
    c
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpclint-life-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().unwrap()
}

fn json_in(dir: &Path, args: &[&str]) -> (serde_json::Value, i32) {
    let mut a = vec!["check", "--output-format", "json"];
    a.extend_from_slice(args);
    let o = run_in(dir, &a);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (v, o.status.code().unwrap_or(-1))
}

fn paths_of(v: &serde_json::Value) -> BTreeSet<String> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap().to_owned())
        .collect()
}

fn rules_of(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["rule"].as_str().unwrap().to_owned(),
                d["pointer"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A request with one safe fix (`"port": "80"`).
const FIXABLE: &str = r#"{
  "name": "web",
  "port": "80",
  "balance_strategy": 1,
  "member_type": "ip",
  "instance_ids": ["eea73cde015940908ae0117d67bf7330"]
}
"#;
const FIXED: &str = r#"{
  "name": "web",
  "port": 80,
  "balance_strategy": 1,
  "member_type": "ip",
  "instance_ids": ["eea73cde015940908ae0117d67bf7330"]
}
"#;

#[test]
fn fix_never_writes_a_file_that_is_not_linted() {
    let d = tempdir("not-ours");
    fs::create_dir_all(d.join("cfg")).unwrap();
    fs::write(d.join("web.json"), FIXABLE).unwrap();
    let server = "{\"name\": \"app\", \"port\": \"8080\"}\n";
    let fixture = "{\"type\": 2, \"x\": 1}\n";
    fs::write(d.join("cfg/server.json"), server).unwrap();
    fs::write(d.join("cfg/fixture.json"), fixture).unwrap();
    let o = run_in(&d, &["check", "--fix", "--no-config", "."]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(
        fs::read_to_string(d.join("cfg/server.json")).unwrap(),
        server
    );
    assert_eq!(
        fs::read_to_string(d.join("cfg/fixture.json")).unwrap(),
        fixture
    );
    assert_eq!(fs::read_to_string(d.join("web.json")).unwrap(), FIXED);
    assert!(String::from_utf8_lossy(&o.stdout).contains("in 1 file"));
}

#[test]
fn an_ignored_finding_is_not_fixed_and_its_ignore_is_used() {
    let d = tempdir("ignored");
    fs::write(d.join("web.json"), FIXABLE).unwrap();
    fs::write(
        d.join("vpclint.toml"),
        "[[ignore]]\npath = \"web.json\"\nrules = [\"wrong-type\"]\npointer = \"/port\"\nreason = \"the deploy job unquotes it\"\n",
    )
    .unwrap();
    let o = run_in(&d, &["check", "--fix", "--output-format", "concise", "."]);
    assert_eq!(fs::read_to_string(d.join("web.json")).unwrap(), FIXABLE);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("unused-ignore"), "{out}");
    assert_eq!(o.status.code(), Some(0), "{out}");
}

#[test]
fn a_failed_write_keeps_the_findings_of_the_file_as_it_is() {
    let d = tempdir("failed-write");
    let f = d.join("web.json");
    fs::write(&f, FIXABLE).unwrap();
    fs::set_permissions(&f, fs::Permissions::from_mode(0o444)).unwrap();
    let (plain, _) = json_in(&d, &["--no-config", "web.json"]);
    let (fixing, status) = json_in(&d, &["--no-config", "--fix", "web.json"]);
    assert_eq!(status, 2);
    assert_eq!(plain["diagnostics"], fixing["diagnostics"]);
    assert_eq!(fixing["diagnostics"].as_array().unwrap().len(), 1);
    assert!(fixing["failures"][0]["message"]
        .as_str()
        .unwrap()
        .contains("read-only"));
    assert_eq!(fs::read_to_string(&f).unwrap(), FIXABLE);
    // A symlink out of the tree: the same.
    let inside = d.join("tree");
    fs::create_dir_all(&inside).unwrap();
    let outside = d.join("outside.json");
    fs::write(&outside, FIXABLE).unwrap();
    std::os::unix::fs::symlink(&outside, inside.join("link.json")).unwrap();
    let (fixing, status) = json_in(&inside, &["--no-config", "--fix", "link.json"]);
    assert_eq!(status, 2);
    assert_eq!(fixing["diagnostics"].as_array().unwrap().len(), 1);
    assert_eq!(fs::read_to_string(&outside).unwrap(), FIXABLE);
}

#[test]
fn files_mapped_to_an_operation_are_linted_wherever_they_are_found() {
    let d = tempdir("mapped");
    fs::create_dir_all(d.join("members")).unwrap();
    fs::write(
        d.join("vpclint.toml"),
        "[[operations]]\nfiles = [\"members/*.json\"]\noperation = \"roma:AddingBackendInstancesV2\"\n",
    )
    .unwrap();
    fs::write(
        d.join("members/bad.json"),
        r#"{"members": [{"host": "http://10.0.0.5", "weight": 1}]}"#,
    )
    .unwrap();
    let (v, status) = json_in(&d, &["members"]);
    assert_eq!(status, 1);
    assert_eq!(
        rules_of(&v),
        [(
            "members/bad.json".into(),
            "member-host-format".into(),
            "/members/0/host".into()
        )]
    );
    // The pre-commit hook's way: named, --requests-only.
    let (v, status) = json_in(&d, &["--requests-only", "members/bad.json"]);
    assert_eq!((status, v["summary"]["files"].as_u64()), (1, Some(1)));
    // --operation maps a walk too.
    fs::write(d.join("members/vpclint.toml"), "").unwrap();
    let (v, _) = json_in(
        &d.join("members"),
        &["--operation", "roma:AddingBackendInstancesV2", "."],
    );
    assert_eq!(paths_of(&v), BTreeSet::from(["bad.json".to_owned()]));
}

#[test]
fn show_files_lists_exactly_what_check_lints() {
    let d = tempdir("show-files");
    fs::create_dir_all(d.join("members")).unwrap();
    fs::create_dir_all(d.join("cfg")).unwrap();
    fs::write(
        d.join("vpclint.toml"),
        "[[operations]]\nfiles = [\"members/*.json\"]\noperation = \"roma:AddingBackendInstancesV2\"\n",
    )
    .unwrap();
    fs::write(
        d.join("members/m.json"),
        r#"{"members": [{"host": "1.2.3.4"}]}"#,
    )
    .unwrap();
    fs::write(d.join("web.json"), FIXABLE).unwrap();
    fs::write(d.join("cfg/package.json"), r#"{"name": "x"}"#).unwrap();
    fs::write(d.join("other.http"), "GET https://example.com/\n").unwrap();
    let o = run_in(&d, &["check", "--show-files", "."]);
    let listed: BTreeSet<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    let (v, _) = json_in(&d, &["--exit-zero", "."]);
    assert_eq!(v["summary"]["files"].as_u64(), Some(listed.len() as u64));
    assert!(paths_of(&v).is_subset(&listed));
    assert_eq!(
        listed,
        BTreeSet::from(["members/m.json".to_owned(), "web.json".to_owned()])
    );
}

#[test]
fn a_file_named_twice_is_one_file() {
    let d = tempdir("twice");
    fs::create_dir_all(d.join("sub")).unwrap();
    fs::write(d.join("a.json"), FIXABLE).unwrap();
    std::os::unix::fs::symlink(d.join("a.json"), d.join("sub/link.json")).unwrap();
    for threads in ["1", "2"] {
        let (v, _) = json_in(
            &d,
            &[
                "--no-config",
                "--threads",
                threads,
                "a.json",
                "sub/../a.json",
                "sub/link.json",
            ],
        );
        assert_eq!(v["summary"]["files"].as_u64(), Some(1), "{v}");
        assert_eq!(paths_of(&v), BTreeSet::from(["a.json".to_owned()]));
        assert!(!rules_of(&v).iter().any(|r| r.1 == "duplicate-channel-name"));
    }
    let o = run_in(
        &d,
        &["check", "--no-config", "--fix", "a.json", "sub/../a.json"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(fs::read_to_string(d.join("a.json")).unwrap(), FIXED);
}

#[test]
fn each_file_is_governed_by_the_config_above_it_wherever_vpclint_runs() {
    let d = tempdir("config-per-file");
    let repo = d.join("repo");
    fs::create_dir_all(repo.join("legacy")).unwrap();
    fs::write(repo.join("vpclint.toml"), "[rules]\nwrong-type = \"off\"\n").unwrap();
    fs::write(
        repo.join("legacy/.vpclint.toml"),
        "[rules]\nwrong-type = \"warning\"\n",
    )
    .unwrap();
    fs::write(repo.join("x.json"), FIXABLE).unwrap();
    fs::write(
        repo.join("legacy/y.json"),
        FIXABLE.replace("\"web\"", "\"legacy\""),
    )
    .unwrap();
    let outside = d.join("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    let (v, status) = json_in(&outside, &["../repo/x.json", "../repo/legacy/y.json"]);
    assert_eq!(status, 0, "{v}");
    let sev: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["severity"].as_str().unwrap())
        .collect();
    assert_eq!(
        sev,
        ["warning"],
        "x.json's wrong-type is off, y.json's a warning"
    );
    // --config governs every file; --no-config none.
    let (v, status) = json_in(&outside, &["--no-config", "../repo/x.json"]);
    assert_eq!((status, v["summary"]["errors"].as_u64()), (1, Some(1)));
    let (v, _) = json_in(
        &outside,
        &["--config", "../repo/vpclint.toml", "../repo/legacy/y.json"],
    );
    assert_eq!(v["summary"]["errors"].as_u64(), Some(0));
    // Standard input takes the config of the file it is named as.
    let mut c = bin()
        .current_dir(&outside)
        .args([
            "check",
            "--stdin-filename",
            "../repo/x.json",
            "--output-format",
            "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    c.stdin
        .take()
        .unwrap()
        .write_all(FIXABLE.as_bytes())
        .unwrap();
    let o = c.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["errors"].as_u64(), Some(0), "{v}");
}

#[test]
fn stdin_filename_alone_reads_standard_input() {
    let d = tempdir("stdin-alone");
    // A request in the directory that must not be linted.
    fs::write(d.join("dir.json"), FIXABLE).unwrap();
    let mut c = bin()
        .current_dir(&d)
        .args([
            "check",
            "--no-config",
            "--stdin-filename",
            "x.json",
            "--output-format",
            "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    c.stdin
        .take()
        .unwrap()
        .write_all(br#"{"port": "80"}"#)
        .unwrap();
    let o = c.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(paths_of(&v), BTreeSet::from(["x.json".to_owned()]));
}

#[test]
fn no_file_to_lint_is_said_on_stderr() {
    let d = tempdir("nothing");
    fs::write(d.join("package.json"), r#"{"name": "x"}"#).unwrap();
    let o = run_in(&d, &["check", "--no-config", "."]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no VPC channel request files found"));
}

#[test]
fn file_names_cannot_forge_lines() {
    let d = tempdir("names");
    let name = "x.json\n::warning file=forged.json::forged\u{1b}[31m.json";
    fs::write(d.join(name), r#"{"port": "80"}"#).unwrap();
    for format in ["concise", "full", "github"] {
        let o = run_in(
            &d,
            &["check", "--no-config", "--output-format", format, name],
        );
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(!out.contains('\u{1b}'), "{format}: {out}");
        assert!(
            !out.lines().any(|l| l.starts_with("::warning file=forged")),
            "{format}: {out}"
        );
    }
    // A failure line too.
    let o = run_in(&d, &["check", "--no-config", "missing\nerror: forged.json"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.lines().any(|l| l.starts_with("error: forged")),
        "{err}"
    );
}

#[test]
fn help_and_version_on_a_full_disk_fail_and_threads_are_capped() {
    for args in [&["--help"][..], &["--version"], &["check", "--help"]] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = bin().args(args).stdout(full).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
    let o = bin()
        .args(["check", "--threads", "20000", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--threads"));
}

#[test]
fn hard_links_are_refused_with_a_message_and_not_split() {
    let d = tempdir("hardlink");
    fs::write(d.join("a.json"), FIXABLE).unwrap();
    fs::hard_link(d.join("a.json"), d.join("b.txt")).unwrap();
    let o = run_in(&d, &["check", "--no-config", "--fix", "a.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("hard links"));
    assert_eq!(fs::read_to_string(d.join("b.txt")).unwrap(), FIXABLE);
    assert_eq!(fs::metadata(d.join("a.json")).unwrap().nlink(), 2);
}

#[test]
fn fixing_keeps_mode_and_owner() {
    let d = tempdir("mode");
    let f = d.join("secret.json");
    fs::write(&f, FIXABLE).unwrap();
    fs::set_permissions(&f, fs::Permissions::from_mode(0o600)).unwrap();
    let before = fs::metadata(&f).unwrap();
    let o = run_in(&d, &["check", "--no-config", "--fix", "secret.json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let after = fs::metadata(&f).unwrap();
    assert_eq!(fs::read_to_string(&f).unwrap(), FIXED);
    assert_eq!(after.mode() & 0o7777, 0o600);
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
}

#[test]
fn output_file_writes_through_symlinks_and_fifos() {
    let d = tempdir("output-file");
    fs::write(d.join("web.json"), FIXABLE).unwrap();
    let real = d.join("report.txt");
    fs::write(&real, "").unwrap();
    std::os::unix::fs::symlink(&real, d.join("link.txt")).unwrap();
    let o = run_in(
        &d,
        &[
            "check",
            "--no-config",
            "--output-format",
            "concise",
            "--output-file",
            "link.txt",
            "web.json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(fs::symlink_metadata(d.join("link.txt"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&real).unwrap().contains("wrong-type"));
    // Onto /dev/full: written through (and failing), never replaced.
    let o = run_in(
        &d,
        &[
            "check",
            "--no-config",
            "--output-file",
            "/dev/full",
            "web.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::metadata("/dev/full")
        .unwrap()
        .file_type()
        .is_char_device());
}

fn make_tree(d: &Path, n: usize, text: &str) {
    for i in 0..n {
        let sub = d.join(format!("d{}", i % 20));
        fs::create_dir_all(&sub).unwrap();
        fs::write(
            sub.join(format!("f{i}.json")),
            text.replace("\"web\"", &format!("\"web{i}\"")),
        )
        .unwrap();
    }
}

fn leftovers(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in walk(d) {
        if e.file_name()
            .unwrap()
            .to_string_lossy()
            .contains(".vpclint-")
        {
            out.push(e);
        }
    }
    out
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn killed_fix_runs_leave_no_temporary_file_and_no_half_written_file() {
    let d = tempdir("kill");
    let n = 3000;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut killed = 0;
    for round in 0..10 {
        make_tree(&d, n, FIXABLE);
        let mut child = bin()
            .current_dir(&d)
            .args(["check", "--no-config", "--fix", "--threads", "2", "."])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = (seed >> 33) % 120;
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let sig = if round % 2 == 0 {
            libc::SIGTERM
        } else {
            libc::SIGINT
        };
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        let status = child.wait().unwrap();
        if let Some(code) = status.code() {
            if code == 128 + sig {
                killed += 1;
            } else {
                assert!(code <= 1, "round {round}: exit {code}");
            }
        }
        assert_eq!(leftovers(&d), Vec::<PathBuf>::new(), "round {round}");
        for f in walk(&d) {
            let text = fs::read_to_string(&f).unwrap();
            let i: String = f.file_stem().unwrap().to_string_lossy()[1..].to_owned();
            let named = |t: &str| t.replace("\"web\"", &format!("\"web{i}\""));
            assert!(
                text == named(FIXABLE) || text == named(FIXED),
                "round {round}: {} is half written: {text}",
                f.display()
            );
        }
    }
    assert!(
        killed > 0,
        "no run was interrupted: the test proved nothing"
    );
}

#[test]
fn concurrent_fix_runs_lose_no_write() {
    let d = tempdir("concurrent");
    // One safe fix (the port) and one unsafe (the misspelt key).
    let text = FIXABLE.replace("\"balance_strategy\"", "\"balance_strategi\"");
    let both = FIXED;
    make_tree(&d, 500, &text);
    let spawn = |extra: &[&str]| {
        bin()
            .current_dir(&d)
            .args(["check", "--no-config", "--fix", "--threads", "2"])
            .args(extra)
            .arg(".")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn(&[]);
    let b = spawn(&["--unsafe-fixes"]);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.code().unwrap() <= 1, "{a:?}");
    assert!(b.status.code().unwrap() <= 1, "{b:?}");
    for f in walk(&d) {
        let t = fs::read_to_string(&f).unwrap();
        let i: String = f.file_stem().unwrap().to_string_lossy()[1..].to_owned();
        assert_eq!(
            t,
            both.replace("\"web\"", &format!("\"web{i}\"")),
            "{} lost a write",
            f.display()
        );
    }
    assert_eq!(leftovers(&d), Vec::<PathBuf>::new());
}

/// A file of a random tree: where it goes and what it holds.
#[derive(Clone, Debug)]
enum Kind {
    /// A create body with the given safe-fixable fields.
    Request(Vec<usize>),
    /// JSON that is not a request, with things a fix would change.
    NotRequest,
    /// A members body under `members/` (mapped by `[[operations]]` when the tree says so).
    Members,
    /// A `.http` file with a create request whose body has the given fields.
    Http(Vec<usize>),
    /// A `.http` file of another API.
    OtherHttp,
}

/// Safe-fixable fields of a create body, each with a stable pointer.
const FIELDS: [(&str, &str, &str); 3] = [
    ("\"port\": \"80\"", "wrong-type", "/port"),
    ("\"dict_code\": null", "null-value", "/dict_code"),
    ("\"member_type\": \"IP\"", "invalid-value", "/member_type"),
];

fn body(fields: &[usize]) -> String {
    let mut parts = vec![
        "\"name\": \"web\"".to_owned(),
        "\"balance_strategy\": 1".to_owned(),
        "\"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"]".to_owned(),
    ];
    if !fields.contains(&2) {
        parts.push("\"member_type\": \"ip\"".into());
    }
    for &f in fields {
        parts.push(FIELDS[f].0.to_owned());
    }
    format!("{{\n  {}\n}}\n", parts.join(",\n  "))
}

fn kind() -> impl Strategy<Value = Kind> {
    let fields = proptest::sample::subsequence(vec![0usize, 1, 2], 0..=3);
    prop_oneof![
        fields.clone().prop_map(Kind::Request),
        Just(Kind::NotRequest),
        Just(Kind::Members),
        fields.prop_map(Kind::Http),
        Just(Kind::OtherHttp),
    ]
}

fn write_tree(d: &Path, files: &[(u8, Kind)]) {
    for (i, (dir, k)) in files.iter().enumerate() {
        let sub = d.join(["a", "b", "members"][*dir as usize % 3]);
        fs::create_dir_all(&sub).unwrap();
        let (name, text) = match k {
            Kind::Request(f) => (format!("r{i}.json"), body(f)),
            Kind::NotRequest => (
                format!("n{i}.json"),
                "{\"name\": \"app\", \"port\": \"8080\", \"type\": 2, \"dict_code\": null}\n".into(),
            ),
            Kind::Members => (
                format!("m{i}.json"),
                "{\"members\": [{\"host\": \"10.0.0.1\", \"weight\": \"5\"}]}\n".into(),
            ),
            Kind::Http(f) => (
                format!("h{i}.http"),
                format!(
                    "### create\nPOST https://{{{{host}}}}/v2/{{{{project_id}}}}/apic/vpc-channels\nContent-Type: application/json\n\n{}",
                    body(f)
                ),
            ),
            Kind::OtherHttp => (
                format!("o{i}.http"),
                "POST https://example.com/api\nContent-Type: application/json\n\n{\"port\": \"80\"}\n".into(),
            ),
        };
        fs::write(sub.join(name), text).unwrap();
    }
}

fn snapshot(d: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walk(d)
        .into_iter()
        .filter(|p| !p.ends_with("vpclint.toml"))
        .map(|p| {
            let b = fs::read(&p).unwrap();
            (p, b)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fix_touches_only_linted_files_never_ignored_findings_and_leaves_only_unfixable_ones(
        files in proptest::collection::vec((0u8..3, kind()), 1..8),
        ignores in proptest::collection::vec((0usize..3, 0u8..3), 0..3),
        map_members in any::<bool>(),
    ) {
        let d = tempdir("prop");
        write_tree(&d, &files);
        let mut toml = String::new();
        if map_members {
            toml.push_str("[[operations]]\nfiles = [\"members/*.json\"]\noperation = \"roma:AddingBackendInstancesV2\"\n");
        }
        let with_ignores = |toml: &str| {
            let mut t = toml.to_owned();
            for (f, dir) in &ignores {
                let (_, rule, pointer) = FIELDS[*f];
                t.push_str(&format!(
                    "[[ignore]]\npath = \"{}/*\"\nrules = [\"{rule}\"]\npointer = \"{pointer}\"\nreason = \"test\"\n",
                    ["a", "b", "members"][*dir as usize % 3]
                ));
            }
            t
        };
        fs::write(d.join("vpclint.toml"), with_ignores(&toml)).unwrap();
        let (before, _) = json_in(&d, &["--exit-zero", "."]);
        let linted = paths_of(&before);
        let before_files = snapshot(&d);
        // What the ignores hide: findings present without them, absent with them.
        fs::write(d.join("vpclint.toml"), &toml).unwrap();
        let (unignored, _) = json_in(&d, &["--exit-zero", "."]);
        fs::write(d.join("vpclint.toml"), with_ignores(&toml)).unwrap();
        let shown: BTreeSet<_> = rules_of(&before).into_iter().collect();
        let hidden: BTreeSet<_> = rules_of(&unignored)
            .into_iter()
            .filter(|r| r.1 != "unused-ignore" && !shown.contains(r))
            .collect();

        let o = run_in(&d, &["check", "--fix", "--exit-zero", "."]);
        prop_assert!(o.status.code() == Some(0), "{:?}", o);
        let after_files = snapshot(&d);
        for (p, b) in &before_files {
            let rel = p.strip_prefix(&d).unwrap().to_string_lossy().into_owned();
            if after_files[p] != *b {
                prop_assert!(linted.contains(&rel) || {
                    // A linted file with nothing but fixed findings has no diagnostic left to
                    // list it by: it must at least be a file check lints.
                    let l = run_in(&d, &["check", "--show-files", "."]);
                    String::from_utf8_lossy(&l.stdout).lines().any(|x| x.starts_with(&format!("{rel}\t")))
                }, "{rel} was written but is not linted");
            }
        }
        // Every hidden finding is still there: its fix was never applied.
        fs::write(d.join("vpclint.toml"), &toml).unwrap();
        let (unignored_after, _) = json_in(&d, &["--exit-zero", "."]);
        fs::write(d.join("vpclint.toml"), with_ignores(&toml)).unwrap();
        let still: BTreeSet<_> = rules_of(&unignored_after).into_iter().collect();
        for h in &hidden {
            prop_assert!(still.contains(h), "the ignored {h:?} was fixed");
        }
        // What remains has no safe fix.
        let (after, _) = json_in(&d, &["--exit-zero", "."]);
        for diag in after["diagnostics"].as_array().unwrap() {
            prop_assert!(diag["fix"]["applicability"] != "safe", "{diag}");
        }
        // --show-files lists what check reports on.
        let l = run_in(&d, &["check", "--show-files", "."]);
        let listed: BTreeSet<String> = String::from_utf8_lossy(&l.stdout)
            .lines()
            .map(|x| x.split('\t').next().unwrap().to_owned())
            .collect();
        let reported: BTreeSet<String> = paths_of(&after).into_iter().filter(|p| p != "vpclint.toml").collect();
        prop_assert!(reported.is_subset(&listed), "{reported:?} {listed:?} {after}");
        prop_assert_eq!(after["summary"]["files"].as_u64().unwrap() as usize,
            listed.len() + usize::from(paths_of(&after).contains("vpclint.toml")));
        let _ = fs::remove_dir_all(&d);
    }
}

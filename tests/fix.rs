//! `--fix` (issue 12): every fix in testdata applied and checked byte for byte against a
//! `.fixed` golden, then linted again; fixes on random requests; atomic, careful writes.

use proptest::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use vpclint::diagnostic::Applicability;
use vpclint::fix::{fix, FixMode};
use vpclint::{lint_bytes_as, FileReport, Settings};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json" || x == "http") {
            out.push(p);
        }
    }
}

/// The file's own pipeline: a request file by its request lines, a JSON file as the
/// operation its testdata directory names (or the default).
fn linter(path: &Path) -> impl FnMut(Vec<u8>) -> Option<FileReport> + '_ {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
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
    move |b: Vec<u8>| {
        if vpclint::http::is_request_file(&name) {
            vpclint::http::lint(&name, b, &Settings::default())
        } else {
            Some(lint_bytes_as(&name, &b, &Settings::default(), op))
        }
    }
}

fn safe_fixable(r: &FileReport) -> Vec<String> {
    r.diagnostics
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe)
        })
        .map(|d| format!("{} {}", d.rule.name, d.pointer))
        .collect()
}

#[test]
fn every_fix_in_testdata_matches_its_fixed_golden() {
    let bless = std::env::var_os("VPCLINT_BLESS").is_some();
    let mut all = Vec::new();
    files(&root(), &mut all);
    all.sort();
    let mut wrong = Vec::new();
    let mut fixed_files = 0;
    for path in &all {
        let bytes = fs::read(path).unwrap();
        let Some(result) = fix(
            bytes.clone(),
            FixMode::Apply {
                unsafe_fixes: false,
            },
            linter(path),
        ) else {
            continue;
        };
        let golden = path.with_extension(format!(
            "{}.fixed",
            path.extension().unwrap().to_string_lossy()
        ));
        if result.count == 0 {
            if golden.exists() {
                wrong.push(format!(
                    "{}: no fix applies, but {} exists",
                    path.display(),
                    golden.display()
                ));
            }
            continue;
        }
        fixed_files += 1;
        if bless {
            fs::write(&golden, &result.text).unwrap();
        } else if fs::read(&golden).ok().as_deref() != Some(&result.text[..]) {
            wrong.push(format!(
                "{}: the fixed text differs from {}",
                path.display(),
                golden.display()
            ));
        }
        // Linted again: valid, and nothing safe-fixable left.
        let again = linter(path)(result.text.clone()).unwrap();
        assert!(
            !again
                .diagnostics
                .iter()
                .any(|d| d.rule.name == "invalid-json"),
            "{}",
            path.display()
        );
        let left = safe_fixable(&again);
        if !left.is_empty() {
            wrong.push(format!(
                "{}: still safe-fixable after --fix: {left:?}",
                path.display()
            ));
        }
    }
    assert!(fixed_files >= 5, "only {fixed_files} files have fixes");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

const BASE: &str = r#"{
  "name": "web",
  "port": 8080,
  "balance_strategy": 1,
  "member_type": "ip",
  "vpc_health_config": {"protocol": "HTTP", "path": "/health", "http_code": "200", "threshold_normal": 2, "threshold_abnormal": 3, "time_interval": 10, "timeout": 5},
  "members": [{"host": "10.0.0.5", "is_backup": false}],
  "instance_ids": ["eea73cde015940908ae0117d67bf7330"]
}"#;

/// Slips with a certain fix.
const FIXABLE: &[(&str, &str)] = &[
    ("\"port\": 8080", "\"port\": \"8080\""),
    ("\"balance_strategy\": 1", "\"balance_strategy\": \"1\""),
    ("\"member_type\": \"ip\"", "\"member_type\": \"IP\""),
    ("\"protocol\": \"HTTP\"", "\"protocol\": \"http\""),
    ("\"is_backup\": false", "\"is_backup\": \"false\""),
    ("\"name\": \"web\",", "\"name\": \"web\", \"type\": 2,"),
    ("\"name\": \"web\",", "\"name\": \"web\", \"dict_code\": null,"),
    ("\"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"]", "\"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\", \"eea73cde015940908ae0117d67bf7330\"]"),
    ("\"threshold_normal\": 2", "\"threshold_normal\": 2.0"),
    ("\"members\": [{", "\"members\": null, \"member_groups\": null, \"x\": [{"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn fixing_random_slips_leaves_valid_json_and_nothing_safe_fixable(
        picks in proptest::collection::vec(0..FIXABLE.len(), 1..6),
        crlf in any::<bool>(),
    ) {
        let mut text = BASE.to_owned();
        let mut picks = picks;
        picks.sort_unstable();
        picks.dedup();
        for &i in &picks {
            let (from, to) = FIXABLE[i];
            text = text.replacen(from, to, 1);
        }
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        let path = Path::new("x.json");
        let result = fix(text.clone().into_bytes(), FixMode::Apply { unsafe_fixes: false }, linter(path)).unwrap();
        let again = linter(path)(result.text.clone()).unwrap();
        prop_assert!(!again.diagnostics.iter().any(|d| d.rule.name == "invalid-json"));
        prop_assert!(safe_fixable(&again).is_empty(), "{:?}\n{}", safe_fixable(&again), String::from_utf8_lossy(&result.text));
        // Line endings are the file's own.
        let out = String::from_utf8(result.text).unwrap();
        prop_assert_eq!(out.contains("\r\n"), crlf);
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vpclint"))
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpclint-fix-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

const QUOTED: &str = "{\r\n  \"name\": \"web\",\r\n  \"port\": \"80\",\r\n  \"balance_strategy\": 1,\r\n  \"member_type\": \"ip\",\r\n  \"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"]\r\n}\r\n";
const UNQUOTED: &str = "{\r\n  \"name\": \"web\",\r\n  \"port\": 80,\r\n  \"balance_strategy\": 1,\r\n  \"member_type\": \"ip\",\r\n  \"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"]\r\n}\r\n";

#[test]
fn fix_writes_in_place_keeping_bytes_and_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempdir("inplace");
    let f = d.join("web.json");
    fs::write(&f, QUOTED).unwrap();
    fs::set_permissions(&f, fs::Permissions::from_mode(0o640)).unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "--fix", "--output-format", "json", "web.json"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(fs::read_to_string(&f).unwrap(), UNQUOTED);
    assert_eq!(
        fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["fixed"], 1);
    // No temporary file is left behind.
    assert_eq!(fs::read_dir(&d).unwrap().count(), 1);
    // --exit-non-zero-on-fix makes a fix visible to CI.
    fs::write(&f, QUOTED).unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "--fix", "--exit-non-zero-on-fix", "web.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("(1 fixed)"));
}

#[test]
fn diff_writes_nothing_and_exits_1_on_a_change() {
    let d = tempdir("diff");
    let f = d.join("web.json");
    fs::write(&f, QUOTED).unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "--diff", "web.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&o.stdout);
    assert!(
        diff.contains("--- a/web.json")
            && diff.contains("-  \"port\": \"80\",")
            && diff.contains("+  \"port\": 80,"),
        "{diff}"
    );
    assert_eq!(fs::read_to_string(&f).unwrap(), QUOTED);
    fs::write(&f, UNQUOTED).unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "--diff", "web.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
}

#[test]
fn fix_on_stdin_prints_the_fixed_text() {
    use std::io::Write;
    let mut child = bin()
        .args(["check", "--fix", "--stdin-filename", "web.json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(QUOTED.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), UNQUOTED);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn unsafe_fixes_and_fix_only() {
    let d = tempdir("unsafe");
    let f = d.join("web.json");
    let slip = UNQUOTED.replace("\"name\"", "\"Name\"");
    fs::write(&f, &slip).unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "--fix", "web.json"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "a rename is a guess: not applied by --fix"
    );
    assert_eq!(fs::read_to_string(&f).unwrap(), slip);
    let o = bin()
        .current_dir(&d)
        .args(["check", "--fix-only", "--unsafe-fixes", "web.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(fs::read_to_string(&f).unwrap(), UNQUOTED);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "fixed 1 problem in 1 file\n"
    );
}

#[test]
fn read_only_files_and_symlinks_out_of_the_tree_are_refused_and_the_rest_is_fixed() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempdir("refuse");
    let tree = d.join("tree");
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("a-ok.json"), QUOTED).unwrap();
    fs::write(tree.join("b-readonly.json"), QUOTED).unwrap();
    fs::set_permissions(
        tree.join("b-readonly.json"),
        fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    fs::write(d.join("outside.json"), QUOTED).unwrap();
    std::os::unix::fs::symlink(d.join("outside.json"), tree.join("c-link.json")).unwrap();
    // A link inside the tree is fine.
    fs::write(tree.join("target.json"), QUOTED).unwrap();
    std::os::unix::fs::symlink(tree.join("target.json"), tree.join("d-inner-link.json")).unwrap();
    let o = bin()
        .current_dir(&d)
        .args([
            "check",
            "--fix",
            "tree/a-ok.json",
            "tree/b-readonly.json",
            "tree/c-link.json",
            "tree/d-inner-link.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("b-readonly.json: not fixed: the file is read-only"),
        "{err}"
    );
    assert!(
        err.contains("c-link.json: not fixed: it is a symlink to"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(tree.join("a-ok.json")).unwrap(),
        UNQUOTED
    );
    assert_eq!(
        fs::read_to_string(tree.join("b-readonly.json")).unwrap(),
        QUOTED
    );
    assert_eq!(fs::read_to_string(d.join("outside.json")).unwrap(), QUOTED);
    assert_eq!(
        fs::read_to_string(tree.join("target.json")).unwrap(),
        UNQUOTED
    );
    assert!(fs::symlink_metadata(tree.join("d-inner-link.json"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn statistics_groups_prefixes_and_show_commands() {
    let o = bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--statistics", "testdata/examples"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let counts: Vec<usize> = text
        .lines()
        .filter(|l| l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert!(
        counts.len() > 3 && counts.windows(2).all(|w| w[0] >= w[1]),
        "{text}"
    );
    // A group name in --allow silences all its rules.
    let o = bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "check",
            "--output-format",
            "concise",
            "--allow",
            "health",
            "testdata/examples/legacy-migration.json",
        ])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains("[health-"));
    // A unique prefix explains; an ambiguous one lists the candidates.
    let o = bin().args(["explain", "health-timeout"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("# health-timeout-not-below-interval"));
    let o = bin().args(["explain", "health-http"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("health-http-code-syntax"));
    let o = bin().args(["rules", "registry"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 5);
    let o = bin().args(["check", "--deny", "helth"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean"));
    // --show-files and --show-settings lint nothing and say where things come from.
    let o = bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "check",
            "--show-files",
            "--operation",
            "apig:UpdateHealthCheck",
            "testdata/operations/apig-UpdateHealthCheck",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("ok.json\tapig:UpdateHealthCheck (--operation)"),
        "{text}"
    );
    let o = bin()
        .args([
            "check",
            "--no-config",
            "--show-settings",
            "--instance-ids-limit",
            "12",
            "--deny",
            "warnings",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("instance-ids-limit = 12  # command line"),
        "{text}"
    );
    assert!(
        text.contains("deprecated-type = \"error\"  # command line"),
        "{text}"
    );
    assert!(
        text.contains("invalid-json = \"error\"  # default"),
        "{text}"
    );
}

#[test]
fn output_file_is_written_atomically() {
    let d = tempdir("out");
    let out = d.join("report.json");
    let o = bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--output-format", "json", "--output-file"])
        .arg(&out)
        .arg("testdata/examples/reference-example.json")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(
        fs::read_dir(&d).unwrap().count(),
        1,
        "no temporary file left"
    );
    let o = bin()
        .args([
            "check",
            "--output-file",
            "/nonexistent-dir/report.txt",
            "--no-config",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/examples/reference-example.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

//! End-to-end tests with the real programs users run: Neovim as an LSP client, pre-commit,
//! a third-party JSON Schema validator, and VS Code (code-server in headless Chromium). They
//! need those programs installed, so they are `#[ignore]`d: a plain `cargo test` shows them
//! as ignored, never as passed. `.ci/run` installs the programs (apt-get neovim, pip
//! pre-commit and check-jsonschema; editors/vscode/e2e/run.sh installs and caches its own)
//! and runs them with `--ignored`, where a missing program is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpclint-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(cmd: &mut Command) -> (bool, String) {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

#[test]
#[ignore = "needs nvim (installed by .ci/run, run with --include-ignored)"]
fn neovim_receives_diagnostics_from_vpclint_lsp() {
    let d = tempdir("nvim");
    let file = d.join("channel.json");
    std::fs::copy(
        repo().join("testdata/examples/legacy-migration.json"),
        &file,
    )
    .unwrap();
    let out = d.join("diagnostics.txt");
    let (ok, log) = run(Command::new("nvim")
        .args(["--headless", "--clean", "-c"])
        .arg(format!(
            "luafile {}",
            repo().join("tests/e2e/nvim-client.lua").display()
        ))
        .env("VPCLINT_BIN", env!("CARGO_BIN_EXE_vpclint"))
        .env("VPCLINT_FILE", &file)
        .env("VPCLINT_OUT", &out));
    assert!(ok, "nvim failed: {log}");
    let got = std::fs::read_to_string(&out)
        .unwrap_or_else(|_| panic!("nvim wrote no diagnostics: {log}"));
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines[0], "filetype=json");
    assert_eq!(lines[1], "received=true", "{got}");
    // The same findings `vpclint check` reports, at the same places, through the editor.
    assert!(lines.contains(&"14:16 severity=1 source=vpclint code=health-timeout-not-below-interval timeout (5 s) must be less than time_interval (5 s)"), "{got}");
    assert!(lines.contains(&"6:11 severity=2 source=vpclint code=deprecated-type `type` is deprecated and will be discarded"), "{got}");
    let diagnostics = lines
        .iter()
        .filter(|l| l.contains("source=vpclint"))
        .count();
    assert_eq!(diagnostics, 9, "{got}");
    // Completion through the editor: the enum values with their meanings.
    assert!(
        lines.contains(&"completion 1 WRR (weighted round robin)"),
        "{got}"
    );
    // A config change seen through the client's notification, without reopening the file.
    assert!(lines.contains(&"config-applied=true"), "{got}");
}

#[test]
#[ignore = "needs pre-commit (installed by .ci/run, run with --include-ignored)"]
fn pre_commit_hook_fails_bad_files_and_passes_good_ones() {
    let d = tempdir("precommit");
    let git = |args: &[&str]| run(Command::new("git").args(args).current_dir(&d));
    assert!(git(&["init", "-q"]).0);
    std::fs::copy(
        repo().join("testdata/examples/reference-example.json"),
        d.join("good.json"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("testdata/rules/health-timeout-not-below-interval/bad-equal.json"),
        d.join("bad.json"),
    )
    .unwrap();
    std::fs::write(
        d.join("package.json"),
        "{\"name\": \"web\", \"version\": \"1.0.0\"}\n",
    )
    .unwrap();
    assert!(git(&["add", "."]).0);
    let home = d.join("pre-commit-home");
    let try_repo = |files: &[&str]| {
        run(Command::new("pre-commit")
            .args([
                "try-repo",
                repo().to_str().unwrap(),
                "vpclint",
                "--verbose",
                "--files",
            ])
            .args(files)
            .current_dir(&d)
            .env("PRE_COMMIT_HOME", &home))
    };
    let (ok, out) = try_repo(&["bad.json", "good.json", "package.json"]);
    assert!(!ok, "the hook must fail on bad.json: {out}");
    assert!(out.contains("vpclint") && out.contains("Failed"), "{out}");
    assert!(out.contains("bad.json:14:16: error[health-timeout-not-below-interval] timeout (10 s) must be less than time_interval (10 s)"), "{out}");
    assert!(
        !out.contains("good.json:") && !out.contains("package.json:"),
        "{out}"
    );
    let (ok, out) = try_repo(&["good.json", "package.json"]);
    assert!(ok, "the hook must pass on good files: {out}");
    assert!(out.contains("Passed"), "{out}");
    // The fixing hook rewrites what it is certain about; pre-commit then reports the file
    // as modified (and fails, so the fix can be reviewed and staged).
    let quoted = std::fs::read_to_string(repo().join("testdata/examples/reference-example.json"))
        .unwrap()
        .replace("\"port\" : 22,", "\"port\" : \"22\",");
    std::fs::write(d.join("quoted.json"), &quoted).unwrap();
    assert!(git(&["add", "quoted.json"]).0);
    let (ok, out) = run(Command::new("pre-commit")
        .args([
            "try-repo",
            repo().to_str().unwrap(),
            "vpclint-fix",
            "--verbose",
            "--files",
            "quoted.json",
        ])
        .current_dir(&d)
        .env("PRE_COMMIT_HOME", &home));
    assert!(!ok, "a fixing hook that changed files fails: {out}");
    assert!(out.contains("files were modified by this hook"), "{out}");
    let fixed = std::fs::read_to_string(d.join("quoted.json")).unwrap();
    assert_eq!(
        fixed,
        quoted.replace("\"port\" : \"22\",", "\"port\" : 22,")
    );
}

/// The schema-level verdict of check-jsonschema (a third-party validator) on every testdata
/// file agrees with vpclint's own schema pass.
#[test]
#[ignore = "needs check-jsonschema (installed by .ci/run, run with --include-ignored)"]
fn third_party_validator_agrees_with_the_schema_pass() {
    let d = tempdir("schema");
    let schema = d.join("schema.json");
    let o = Command::new(env!("CARGO_BIN_EXE_vpclint"))
        .arg("schema")
        .output()
        .unwrap();
    std::fs::write(&schema, o.stdout).unwrap();
    // Every strict-JSON testdata file, in one check-jsonschema run (it starts slowly).
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    for entry in walkdir::WalkDir::new(repo().join("testdata")).sort_by_file_name() {
        let entry = entry.unwrap();
        let p = entry.path();
        if !entry.file_type().is_file() || p.extension().is_none_or(|e| e != "json") {
            continue;
        }
        if let Some(diags) = vpclint::schema_pass(&std::fs::read(p).unwrap()) {
            files.push((p.to_path_buf(), diags.is_empty()));
        }
    }
    let o = Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(&schema)
        .args(["-o", "JSON"])
        .args(files.iter().map(|f| &f.0))
        .output()
        .unwrap();
    let verdict: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "check-jsonschema output: {e}: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let failing: Vec<String> = verdict["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["filename"].as_str().unwrap().to_owned())
        .collect();
    // Python cannot read 1e400 as a number: no verdict to compare for that file.
    let unparsed: Vec<String> = verdict["parse_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["filename"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        unparsed
            .iter()
            .all(|f| f.ends_with("hostile/numbers-extreme.json")),
        "{unparsed:?}"
    );
    files.retain(|(p, _)| !unparsed.contains(&p.to_string_lossy().into_owned()));
    let compared = files.len();
    let disagreements: Vec<String> = files
        .iter()
        .filter(|(p, ours_valid)| {
            *ours_valid == failing.contains(&p.to_string_lossy().into_owned())
        })
        .map(|(p, ours_valid)| {
            format!(
                "{}: vpclint schema pass valid={ours_valid}, check-jsonschema disagrees",
                p.display()
            )
        })
        .collect();
    assert!(compared > 100, "compared only {compared} files");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// The GitHub Action, the release workflow and the GitLab template validate against their
/// schemas (check-jsonschema's vendored ones: no network).
#[test]
#[ignore = "needs check-jsonschema (pip); .ci/run installs it and runs this"]
fn ci_integrations_validate_against_their_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (schema, file) in [
        ("vendor.github-actions", "action.yml"),
        ("vendor.github-workflows", ".github/workflows/release.yml"),
        ("vendor.gitlab-ci", "ci/vpclint.gitlab-ci.yml"),
    ] {
        let o = Command::new("check-jsonschema")
            .current_dir(root)
            .args(["--builtin-schema", schema, file])
            .output()
            .expect("check-jsonschema is installed");
        assert!(
            o.status.success(),
            "{file}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// bash completion completes `vpclint ch` to `check`, and `man -l` renders the page.
#[test]
#[ignore = "needs bash and man; .ci/run runs it"]
fn completions_load_in_bash_and_the_man_page_renders() {
    let bin = env!("CARGO_BIN_EXE_vpclint");
    let script = format!(
        "source <('{bin}' completions bash); COMP_WORDS=(vpclint ch); COMP_CWORD=1; COMP_LINE='vpclint ch'; COMP_POINT=10; _vpclint vpclint ch vpclint; echo \"${{COMPREPLY[@]}}\""
    );
    let o = Command::new("bash").args(["-c", &script]).output().unwrap();
    let words = String::from_utf8_lossy(&o.stdout);
    assert!(
        words.split_whitespace().any(|w| w == "check"),
        "{words}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let page = Command::new(bin).arg("man").output().unwrap().stdout;
    let dir = std::env::temp_dir().join(format!("vpclint-man-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("vpclint.1");
    std::fs::write(&file, page).unwrap();
    let o = Command::new("man")
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .arg("-l")
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && text.contains("check"),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The Python wheel (maturin, `bindings = "bin"`) builds without an index, its `vpclint`
/// lints the examples, and the mirror-style pre-commit hook (`language: python`) installs
/// it from a local folder and fails a bad file, as it would from PyPI.
#[test]
#[ignore = "needs pip, maturin and pre-commit; .ci/run installs them and runs this"]
fn the_wheel_builds_and_its_mirror_hook_works() {
    let d = tempdir("wheel");
    let wheels = d.join("wheels");
    let started = std::time::Instant::now();
    let (ok, out) = run(Command::new("python3")
        .args([
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
        ])
        .arg(&wheels)
        .arg(repo()));
    assert!(ok, "pip wheel: {out}");
    eprintln!("wheel built in {:.0?}", started.elapsed());
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .expect("a wheel");
    let venv = d.join("venv");
    assert!(run(Command::new("python3").args(["-m", "venv"]).arg(&venv)).0);
    let (ok, out) = run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--no-index"])
        .arg(&wheel));
    assert!(ok, "pip install: {out}");
    let o = Command::new(venv.join("bin/vpclint"))
        .current_dir(repo())
        .args(["check", "--output-format", "concise", "testdata/examples"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "two examples are broken on purpose"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("legacy-migration.json"));

    // The mirror repository, rendered for this version, as a git repository.
    let version = env!("CARGO_PKG_VERSION");
    let mirror = d.join("mirror");
    let (ok, out) = run(Command::new("python3")
        .arg(repo().join("dist/pre-commit-mirror/render.py"))
        .arg(version)
        .arg(&mirror));
    assert!(ok, "{out}");
    let git = |dir: &Path, args: &[&str]| {
        run(Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir))
    };
    assert!(git(&mirror, &["init", "-q"]).0);
    assert!(git(&mirror, &["add", "."]).0);
    assert!(git(&mirror, &["commit", "-qm", "mirror"]).0);
    // The mirror's build backend, beside the wheel: the install then needs no index.
    let (ok, out) = run(Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps", "-d"])
        .arg(&wheels)
        .arg("setuptools>=61"));
    assert!(ok, "{out}");
    let work = d.join("work");
    std::fs::create_dir_all(&work).unwrap();
    assert!(git(&work, &["init", "-q"]).0);
    std::fs::copy(
        repo().join("testdata/rules/health-timeout-not-below-interval/bad-equal.json"),
        work.join("bad.json"),
    )
    .unwrap();
    assert!(git(&work, &["add", "."]).0);
    let started = std::time::Instant::now();
    let (ok, out) = run(Command::new("pre-commit")
        .args(["try-repo"])
        .arg(&mirror)
        .args(["vpclint", "--verbose", "--files", "bad.json"])
        .current_dir(&work)
        .env("PRE_COMMIT_HOME", d.join("pre-commit-home"))
        .env("PIP_FIND_LINKS", &wheels)
        .env("PIP_NO_INDEX", "1"));
    eprintln!(
        "mirror hook first run (install included): {:.1?}",
        started.elapsed()
    );
    assert!(!ok, "the hook fails bad.json: {out}");
    assert!(
        out.contains("bad.json:14:16: error[health-timeout-not-below-interval]"),
        "{out}"
    );
}

/// The VS Code extension in a real VS Code: code-server with the packaged `.vsix`, driven
/// in headless Chromium (editors/vscode/e2e/test.mjs). Squiggles, Problems rows, the status
/// bar and F8 each count vpclint's findings once; a quick fix and "Fix all" give `check
/// --fix`'s text; diagnostics follow edits; a `.http` body gets its request's completion.
#[test]
#[ignore = "needs Node, npm and apt (code-server, Chromium); .ci/run runs it"]
fn vscode_extension_in_code_server() {
    let (ok, out) = run(Command::new("bash")
        .arg(repo().join("editors/vscode/e2e/run.sh"))
        .arg(env!("CARGO_BIN_EXE_vpclint")));
    println!("{out}");
    assert!(ok, "the VS Code end-to-end test failed:\n{out}");
    assert!(
        out.contains("vscode e2e: all checks passed"),
        "the VS Code end-to-end test did not finish:\n{out}"
    );
}

//! Right on every operation (issue 17, RULES.md revision 3): partial bodies, APIG's own
//! wording, updates, `.http` variables and environments, empty names, fixes that set a key.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use vpclint::{lint_bytes_as, FileReport, Settings};

fn op(id: &str) -> &'static vpclint::operation::Operation {
    vpclint::operation::find(id).unwrap()
}

fn lint(id: &str, body: &str) -> FileReport {
    lint_bytes_as("x.json", body.as_bytes(), &Settings::default(), op(id))
}

fn rules(r: &FileReport) -> Vec<&'static str> {
    r.diagnostics.iter().map(|d| d.rule.name).collect()
}

fn http(text: &str) -> FileReport {
    vpclint::http::lint("x.http", text.as_bytes().to_vec(), &Settings::default()).unwrap()
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpclint-sem-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vpclint"))
}

#[test]
fn whole_set_rules_run_only_on_whole_member_sets() {
    let backup = r#"{"members": [{"host": "10.0.0.1", "weight": 1, "is_backup": true}]}"#;
    // An upsert of some members (the Terraform provider's TestAccChannelMember_basic body).
    for id in [
        "roma:AddingBackendInstancesV2",
        "apig:AddingBackendInstancesV2",
    ] {
        assert!(
            !rules(&lint(id, backup)).contains(&"all-members-backup"),
            "{id}"
        );
    }
    // A replacement of every member: the whole set.
    assert!(rules(&lint("roma:UpdateBackendInstancesV2", backup)).contains(&"all-members-backup"));
    // A replacement of one group's members only.
    let group = r#"{"member_group_name": "blue", "members": [{"host": "10.0.0.1", "is_backup": true, "member_group_name": "blue"}]}"#;
    assert!(!rules(&lint("roma:UpdateBackendInstancesV2", group)).contains(&"all-members-backup"));
    // A blank group name is no group: the whole set again.
    let blank =
        r#"{"member_group_name": " ", "members": [{"host": "10.0.0.1", "is_backup": true}]}"#;
    assert!(rules(&lint("roma:UpdateBackendInstancesV2", blank)).contains(&"all-members-backup"));
}

#[test]
fn duplicate_members_are_found_in_members_only_bodies() {
    let twice = r#"{"members": [{"host": "10.0.0.1"}, {"host": "10.0.0.1"}]}"#;
    let r = lint("roma:AddingBackendInstancesV2", twice);
    assert_eq!(rules(&r), ["duplicate-member"]);
    assert_eq!(r.diagnostics[0].pointer, "/members/1/host");
    // One with a port, one with the channel's unknown port: maybe the same, not certain.
    let maybe = r#"{"members": [{"host": "10.0.0.1", "port": 80}, {"host": "10.0.0.1"}]}"#;
    assert!(rules(&lint("apig:AddingBackendInstancesV2", maybe)).is_empty());
    let ecs =
        r#"{"members": [{"ecs_id": "e1", "ecs_name": "a"}, {"ecs_id": "e1", "ecs_name": "b"}]}"#;
    assert_eq!(
        rules(&lint("roma:UpdateBackendInstancesV2", ecs)),
        ["duplicate-member"]
    );
}

#[test]
fn deprecated_type_speaks_each_products_words() {
    let body =
        r#"{"name": "web", "type": 2, "port": 80, "balance_strategy": 1, "member_type": "ip"}"#;
    let apig = lint("apig:CreateVpcChannelV2", body);
    let d = apig
        .diagnostics
        .iter()
        .find(|d| d.rule.name == "deprecated-type")
        .unwrap();
    assert_eq!(d.severity, vpclint::diagnostic::Severity::Info);
    assert!(d.message.contains("prefer `vpc_channel_type`") && !d.message.contains("discarded"));
    assert!(d.fix.is_some(), "the safe rename is still offered");
    let roma = lint("roma:CreateVpcChannelV2", body);
    let d = roma
        .diagnostics
        .iter()
        .find(|d| d.rule.name == "deprecated-type")
        .unwrap();
    assert_eq!(d.severity, vpclint::diagnostic::Severity::Warning);
    assert!(d.message.contains("discarded"));
    // `--deny deprecated-type` still raises APIG's info.
    let flags = vpclint::Flags {
        levels: vec![(
            "deprecated-type".into(),
            vpclint::diagnostic::Severity::Error,
        )],
        ..Default::default()
    };
    let s = Settings::resolve(None, &flags).unwrap();
    let r = lint_bytes_as("x.json", body.as_bytes(), &s, op("apig:CreateVpcChannelV2"));
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.rule.name == "deprecated-type"
            && d.severity == vpclint::diagnostic::Severity::Error));
    // The rule's docs say so.
    let rule = vpclint::rules::find("deprecated-type").unwrap();
    assert!(rule.what.contains("API Gateway"));
}

#[test]
fn updates_are_not_creates() {
    let d = tempdir("updates");
    let body = r#"{"name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip", "instance_ids": ["eea73cde015940908ae0117d67bf7330"]}"#;
    fs::create_dir_all(d.join("update")).unwrap();
    fs::write(d.join("create.json"), body).unwrap();
    fs::write(d.join("update/web.json"), body).unwrap();
    fs::write(
        d.join("vpclint.toml"),
        "[[operations]]\nfiles = [\"update/*.json\"]\noperation = \"roma:UpdateProjectVpcChannel\"\n",
    )
    .unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "--output-format", "concise", "."])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("duplicate-channel-name"), "{out}");
    assert_eq!(o.status.code(), Some(0), "{out}");
    // A type-dependent finding on an update states what it assumes.
    let weighted = r#"{"name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip", "vpc_channel_type": "microservice", "microservice_info": {"service_type": "CSE", "cse_info": {"engine_id": "e", "service_id": "s"}}, "members": [{"host": "10.0.0.1", "weight": 5}]}"#;
    let up = lint("roma:UpdateVpcChannelV2", weighted);
    let w = up
        .diagnostics
        .iter()
        .find(|d| d.rule.name == "member-weight-ignored")
        .unwrap();
    assert!(
        w.message.contains("an update does not change it"),
        "{}",
        w.message
    );
    let create = lint("roma:CreateVpcChannelV2", weighted);
    let w = create
        .diagnostics
        .iter()
        .find(|d| d.rule.name == "member-weight-ignored")
        .unwrap();
    assert!(!w.message.contains("update"));
}

#[test]
fn member_outside_group_treats_an_empty_name_as_absent() {
    let r = lint(
        "roma:UpdateBackendInstancesV2",
        r#"{"member_group_name": "", "members": [{"host": "10.0.0.5", "member_group_name": "green"}]}"#,
    );
    assert!(
        !rules(&r).contains(&"member-outside-group"),
        "{:?}",
        rules(&r)
    );
    let r = lint(
        "roma:UpdateBackendInstancesV2",
        r#"{"member_group_name": "blue", "members": [{"host": "10.0.0.5", "member_group_name": ""}]}"#,
    );
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.rule.name == "member-outside-group")
        .unwrap();
    assert!(d.message.contains("names no group"), "{}", d.message);
}

#[test]
fn a_fix_that_sets_a_key_replaces_it() {
    let body = r#"{"name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip", "instance_ids": ["eea73cde015940908ae0117d67bf7330"], "members": [{"host": "http://10.0.0.5:8080", "port": "9090"}]}"#;
    let r = lint("roma:CreateProjectVpcChannel", body);
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.rule.name == "member-host-format")
        .unwrap();
    let fixed = d.fix.as_ref().unwrap().apply(body).unwrap();
    let after = lint("roma:CreateProjectVpcChannel", &fixed);
    assert!(!rules(&after).contains(&"duplicate-key"), "{fixed}");
    assert!(fixed.contains("\"port\": 8080"), "{fixed}");
    let v: serde_json::Value = serde_json::from_str(&fixed).unwrap();
    assert_eq!(v["members"][0]["host"], "10.0.0.5");
}

const CREATE_HTTP: &str = "@base = https://example.com/v2/p/apic\n\
### create\n\
POST {{base}}/vpc-channels\n\
Content-Type: application/json\n\
X-Auth-Token: {{token}}\n\
\n\
{\"name\": \"{{channel_name}}\", \"port\": 80, \"balance_strategy\": 1, \"member_type\": \"{{member_type}}\", \"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"], \"members\": [{\"host\": \"{{backend_ip}}\", \"port\": \"{{p}}\"}]}\n";

#[test]
fn http_placeholders_are_unknown_values_and_variables_resolve() {
    let r = http(CREATE_HTTP);
    // `@base` resolves the request line: the body is linted as the create.
    assert_eq!(r.operation.id, "roma:CreateProjectVpcChannel");
    // Placeholders in strings are unknown: no format, enum or host finding; a quoted
    // placeholder in an integer field is still a string.
    let found: Vec<(&str, &str)> = r
        .diagnostics
        .iter()
        .map(|d| (d.rule.name, d.pointer.as_str()))
        .collect();
    assert_eq!(found, [("wrong-type", "/members/0/port")], "{found:?}");
    let span = r.diagnostics[0].span;
    assert_eq!(&CREATE_HTTP[span.start..span.end], "\"{{p}}\"");
    // A variable that resolves is linted as its value, at the placeholder.
    let text = CREATE_HTTP.replace("### create", "@backend_ip = http://10.0.0.5\n### create");
    let r = http(&text);
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.rule.name == "member-host-format")
        .unwrap();
    assert_eq!(&text[d.span.start..d.span.end], "\"{{backend_ip}}\"");
    assert!(
        d.fix.is_none(),
        "a fix would rewrite the placeholder, not the value"
    );
}

#[test]
fn http_placeholders_are_not_judged_by_format_rules_of_the_health_check() {
    let text = "POST https://x/v2/p/apic/vpc-channels\nContent-Type: application/json\n\n{\"name\": \"web\", \"port\": 80, \"balance_strategy\": 1, \"member_type\": \"ip\", \"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"], \"vpc_health_config\": {\"protocol\": \"HTTP\", \"path\": \"{{hp}}\", \"http_code\": \"{{codes}}\", \"threshold_normal\": 2, \"threshold_abnormal\": 3, \"time_interval\": 10, \"timeout\": 5}}\n";
    assert!(
        http(text).diagnostics.is_empty(),
        "{:?}",
        rules(&http(text))
    );
    // Resolved, they are judged as their values.
    let resolved = format!("@hp = health\n@codes = 200,200\n{text}");
    let found = rules(&http(&resolved));
    assert!(
        found.contains(&"health-path-format") && found.contains(&"health-http-code-overlap"),
        "{found:?}"
    );
}

#[test]
fn http_environments_are_read_beside_the_file() {
    let d = tempdir("envs");
    fs::write(
        d.join("create.http"),
        CREATE_HTTP.replace(", \"port\": \"{{p}}\"", ""),
    )
    .unwrap();
    fs::write(
        d.join("http-client.env.json"),
        r#"{"$shared": {"member_type": "ip"}, "dev": {"backend_ip": "10.0.0.5"}, "prod": {"backend_ip": "10.0.0.256"}}"#,
    )
    .unwrap();
    fs::write(
        d.join("http-client.private.env.json"),
        r#"{"dev": {"token": "{{secret}}"}}"#,
    )
    .unwrap();
    let run = |env: &str| {
        let o = bin()
            .current_dir(&d)
            .args([
                "check",
                "--no-config",
                "--output-format",
                "concise",
                "--http-env",
                env,
                "create.http",
            ])
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (status, out, _) = run("dev");
    assert_eq!(status, Some(0), "{out}");
    let (status, out, _) = run("prod");
    assert_eq!(status, Some(1), "{out}");
    assert!(out.contains("member-host-format"), "{out}");
    let (status, out, _) = run("all");
    assert_eq!(status, Some(1));
    assert!(out.contains("(environment prod)"), "{out}");
    let (status, _, err) = run("staging");
    assert_eq!(status, Some(2));
    assert!(
        err.contains("no such environment (there are: dev, prod)"),
        "{err}"
    );
    // `http-env` in vpclint.toml does the same.
    fs::write(d.join("vpclint.toml"), "http-env = \"prod\"\n").unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "--output-format", "concise", "create.http"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
}

fn best_of_3(f: &mut impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn http_files_lint_in_linear_time() {
    let file = |n: usize| -> String {
        (0..n)
            .map(|i| {
                format!(
                    "### r{i}\nPOST https://x/v2/p/apic/vpc-channels\nContent-Type: application/json\n\n{{\"name\": \"web{i}\", \"port\": 80, \"balance_strategy\": 1, \"member_type\": \"ip\", \"instance_ids\": [\"eea73cde015940908ae0117d67bf7330\"], \"members\": [{{\"host\": \"{{{{ip}}}}\"}}]}}\n"
                )
            })
            .collect()
    };
    let (small, large) = (file(500), file(2000));
    let mut ratios = Vec::new();
    for _ in 0..3 {
        let s = best_of_3(&mut || {
            http(&small);
        });
        let l = best_of_3(&mut || {
            http(&large);
        });
        let ratio = l.as_secs_f64() / s.as_secs_f64().max(1e-6);
        if ratio < 8.0 {
            return;
        }
        ratios.push(format!("{ratio:.1}"));
    }
    panic!("4x the requests took {}x the time", ratios.join(", "));
}

#[test]
fn the_reference_example_and_operation_examples_stay_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let text = fs::read_to_string(root.join("examples/reference-example.json")).unwrap();
    assert!(lint("roma:CreateProjectVpcChannel", &text)
        .diagnostics
        .is_empty());
}

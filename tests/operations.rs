//! The API family (issue 10): operations chosen by `--operation`, `[[operations]]` and
//! `.http` request lines, each body checked against its own schema, and every output
//! saying which operation a file was linted as.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vpclint"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpclint-ops-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

const INSTANCE_LEVEL: &str = "testdata/operations/roma-CreateVpcChannelV2/ok.json";

#[test]
fn an_instance_level_body_is_clean_as_its_operation_and_named_by_the_default() {
    let o = bin()
        .args([
            "check",
            "--operation",
            "roma:CreateVpcChannelV2",
            "--output-format",
            "json",
            INSTANCE_LEVEL,
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = bin()
        .args(["check", "--output-format", "json", INSTANCE_LEVEL])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let d = &v["diagnostics"][0];
    assert_eq!(d["rule"], "missing-field");
    assert_eq!(d["operation"], "roma:CreateProjectVpcChannel");
    let help = d["help"].as_str().unwrap();
    assert!(
        help.contains("roma:CreateVpcChannelV2") && help.contains("--operation"),
        "{help}"
    );
    // And the other way round: instance_ids on an instance-level body names the project level.
    let o = bin()
        .args([
            "check",
            "--operation",
            "roma:CreateVpcChannelV2",
            "--output-format",
            "json",
            "testdata/operations/roma-CreateVpcChannelV2/bad.json",
        ])
        .output()
        .unwrap();
    let v = json(&o);
    let unknown = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "unknown-field")
        .unwrap();
    assert_eq!(unknown["pointer"], "/instance_ids");
    let help = unknown["help"].as_str().unwrap();
    assert!(help.contains("roma:CreateProjectVpcChannel"), "{help}");
    assert_eq!(unknown["operation"], "roma:CreateVpcChannelV2");
}

#[test]
fn apig_takes_one_second_health_checks_roma_does_not() {
    let d = tempdir("apig");
    let body = r#"{"name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip",
        "vpc_health_config": {"protocol": "TCP", "threshold_normal": 2, "threshold_abnormal": 3, "time_interval": 2, "timeout": 1}}"#;
    std::fs::write(d.join("web.json"), body).unwrap();
    let run = |op: &str| {
        let o = bin()
            .current_dir(&d)
            .args([
                "check",
                "--output-format",
                "json",
                "--operation",
                op,
                "web.json",
            ])
            .output()
            .unwrap();
        let v = json(&o);
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{} {}",
                    d["rule"].as_str().unwrap(),
                    d["pointer"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    assert!(run("apig:CreateVpcChannelV2").is_empty());
    let roma = run("roma:CreateVpcChannelV2");
    assert!(
        roma.contains(&"out-of-range /vpc_health_config/time_interval".to_owned()),
        "{roma:?}"
    );
    assert!(
        roma.contains(&"out-of-range /vpc_health_config/timeout".to_owned()),
        "{roma:?}"
    );
}

#[test]
fn config_operations_select_by_path_and_errors_are_located() {
    let d = tempdir("cfg");
    std::fs::create_dir_all(d.join("members")).unwrap();
    std::fs::write(
        d.join("members/add.json"),
        r#"{"members": [{"host": "10.0.0.5"}], "member_type": "ip"}"#,
    )
    .unwrap();
    std::fs::write(d.join("vpclint.toml"), "[[operations]]\nfiles = [\"members/*.json\"]\noperation = \"roma:AddingBackendInstancesV2\"\n").unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "--output-format", "json", "members/add.json"])
        .output()
        .unwrap();
    let v = json(&o);
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{v}");
    assert_eq!(diags[0]["rule"], "unknown-field");
    assert_eq!(diags[0]["operation"], "roma:AddingBackendInstancesV2");
    // The config wins over --operation.
    let o = bin()
        .current_dir(&d)
        .args([
            "check",
            "--output-format",
            "json",
            "--operation",
            "roma:UpdateHealthCheck",
            "members/add.json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        json(&o)["diagnostics"][0]["operation"],
        "roma:AddingBackendInstancesV2"
    );
    // An unknown id is a located config error with a did-you-mean.
    std::fs::write(d.join("vpclint.toml"), "[[operations]]\nfiles = [\"members/*.json\"]\noperation = \"roma:AddingBackendInstance\"\n").unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "members/add.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("did you mean `roma:AddingBackendInstancesV2`")
            && err.contains("vpclint.toml:3"),
        "{err}"
    );
    // So is an unknown --operation.
    let o = bin()
        .args(["check", "--operation", "roma:Nope", INSTANCE_LEVEL])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_http_file_with_two_requests_reports_both_bodies_at_their_lines() {
    let f = "testdata/http/bad-two-requests-crlf.http";
    let o = bin()
        .args(["check", "--output-format", "concise", f])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!(
            "{f}:21:16: error[health-timeout-not-below-interval]"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{f}:32:47: error[wrong-type]")),
        "{text}"
    );
    let v = json(
        &bin()
            .args(["check", "--output-format", "json", f])
            .output()
            .unwrap(),
    );
    let ops: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        [
            "roma:CreateProjectVpcChannel",
            "roma:CreateProjectVpcChannel",
            "roma:AddingBackendInstancesV2"
        ]
    );
    let first = &v["diagnostics"][0]["span"]["start"];
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(21), Some(16))
    );
    let sarif = json(
        &bin()
            .args(["check", "--output-format", "sarif", f])
            .output()
            .unwrap(),
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let lines: Vec<u64> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, [21, 23, 32]);
    assert_eq!(
        results[2]["properties"]["operation"],
        "roma:AddingBackendInstancesV2"
    );
}

#[test]
fn directories_lint_request_files_and_pass_over_other_apis() {
    let o = bin()
        .args(["check", "--output-format", "json", "testdata/http"])
        .output()
        .unwrap();
    let v = json(&o);
    let paths: std::collections::BTreeSet<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert!(paths.iter().all(|p| p.contains("bad-")), "{paths:?}");
    // ok-other-api.http targets another API: not counted as a file linted.
    assert_eq!(v["summary"]["files"], 3, "{v}");
}

#[test]
fn operations_and_schemas_are_listed() {
    let o = bin().args(["operations"]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    for op in vpclint::operation::all() {
        assert!(text.contains(op.id) && text.contains(op.path), "{}", op.id);
    }
    let o = bin()
        .args(["schema", "--operation", "apig:UpdateHealthCheck"])
        .output()
        .unwrap();
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["properties"]["time_interval"]["minimum"], 1);
    assert_eq!(s["required"].as_array().unwrap().len(), 5);
    let o = bin().args(["schema"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        vpclint::schema::CREATE_TEXT
    );
    let o = bin()
        .args(["schema", "--operation", "nope"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_channel_created_in_a_request_file_takes_part_in_duplicate_channel_name() {
    let d = tempdir("dupname");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/http/bad-two-requests-crlf.http"),
        d.join("a.http"),
    )
    .unwrap();
    let mut body: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("testdata/examples/reference-example.json"),
        )
        .unwrap(),
    )
    .unwrap();
    body["name"] = Value::String("订单服务".into());
    std::fs::write(d.join("b.json"), body.to_string()).unwrap();
    let o = bin()
        .current_dir(&d)
        .args(["check", "--output-format", "json", "."])
        .output()
        .unwrap();
    let v = json(&o);
    let dup = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "duplicate-channel-name")
        .expect("the .http create and the .json create share a name and an instance");
    assert_eq!(dup["path"], "b.json");
}

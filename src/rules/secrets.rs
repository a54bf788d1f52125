//! G. Secrets, and the one rule that looks across files.

use super::{Ctx, Rule};
use crate::diagnostic::Fixable;
use crate::diagnostic::{Diagnostic, Label, Severity, Span};
use crate::json::Node;
use regex::Regex;
use std::sync::OnceLock;

pub static PLAINTEXT_SECRET: Rule = Rule {
    name: "plaintext-secret",
    default_severity: Severity::Warning,
    group: "secrets",
    summary: "A Nacos password is written in plain text",
    what: "Reports `microservice_info.nacos_info.user_info.password` when it is a literal rather than a placeholder such as `${NACOS_PASSWORD}` or `{{nacos_password}}` that your deployment substitutes. Reported even where the block is otherwise ignored.",
    why: "Request files live in version control; a literal password there is a leaked credential.",
    bad: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS", "nacos_info": { "service_name": "orders", "server_config": [{ "ip_address": "10.0.0.9", "port": 8848 }], "user_info": { "user_name": "nacos", "password": "s3cret!" } } } }"#,
    good: r#"{ "vpc_channel_type": "microservice", "microservice_info": { "service_type": "NACOS", "nacos_info": { "service_name": "orders", "server_config": [{ "ip_address": "10.0.0.9", "port": 8848 }], "user_info": { "user_name": "nacos", "password": "${NACOS_PASSWORD}" } } } }"#,
    source: "password: Nacos password.",    example_operation: None,
    fix: Fixable::No,
};

pub static DUPLICATE_CHANNEL_NAME: Rule = Rule {
    name: "duplicate-channel-name",
    default_severity: Severity::Error,
    group: "channel",
    summary: "Two requests create channels of the same name in the same instance",
    what: "Across all files linted in one run: reports a request whose `name` another request (earlier in path order) already uses for a channel in one of the same `instance_ids`. One finding on the later file, at `/name`, naming the other file.",
    why: "VPC channel names must be unique; the second deployment fails with a conflict.",
    bad: "a.json: { \"name\": \"web\", \"instance_ids\": [\"eea73cde…\"] }\nb.json: { \"name\": \"web\", \"instance_ids\": [\"eea73cde…\"] }",
    good: "a.json: { \"name\": \"web\", \"instance_ids\": [\"eea73cde…\"] }\nb.json: { \"name\": \"web-admin\", \"instance_ids\": [\"eea73cde…\"] }",
    source: "VPC channel names must be unique in the same project.",    example_operation: None,
    fix: Fixable::No,
};

const PASSWORD: &str = "/microservice_info/nacos_info/user_info/password";

/// Values a deployment substitutes, as a whole (revision 2): `${NAME}`, `${{ expr }}`
/// (GitHub Actions), `{{ name }}` / `{{ .Name }}` (Jinja, Go templates, Helm), `$(NAME)`
/// (Azure Pipelines, Kubernetes), `$NAME`, `%NAME%`, `<NAME>`, and a masked `****`.
pub fn is_placeholder(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^(\$\{\{[^{}]+\}\}|\$\{[^{}]+\}|\{\{[^{}]+\}\}|\$\([A-Za-z_][A-Za-z0-9_.]*\)|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%|<[^<>]+>|\*+)$",
        )
        .expect("valid regex")
    })
    .is_match(s.trim())
}

pub fn check(ctx: &mut Ctx<'_>) {
    let Some(password) = ctx
        .body
        .channel
        .as_ref()
        .and_then(|c| c.microservice_info)
        .and_then(|m| m.nacos_password())
    else {
        return;
    };
    let pw = password.value;
    if pw.is_empty() || is_placeholder(pw) {
        return;
    }
    ctx.push(
        Diagnostic::new(&PLAINTEXT_SECRET, PASSWORD, password.value_span(), "the Nacos password is written in plain text")
            .primary("credential in version control")
            .help("use a placeholder your deployment substitutes, e.g. \"${NACOS_PASSWORD}\", and rotate this password"),
    );
}

/// What `duplicate-channel-name` needs to know of one file.
#[derive(Clone, Debug)]
pub struct ChannelFacts {
    pub name: String,
    pub name_span: Span,
    pub instance_ids: Vec<String>,
}

pub fn facts(body: &crate::view::Body<'_>) -> Option<ChannelFacts> {
    let channel = body.channel.as_ref()?;
    let name = channel.name?;
    let ids = channel.instance_ids?;
    Some(ChannelFacts {
        name: name.value.to_owned(),
        name_span: name.value_span(),
        instance_ids: ids
            .value
            .iter()
            .filter_map(Node::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// For files in path order, one diagnostic per later file that reuses a (name, instance).
/// Returns (index of the later file, diagnostic).
pub fn check_across_files(files: &[(&str, Option<&ChannelFacts>)]) -> Vec<(usize, Diagnostic)> {
    // Seeded foldhash, not SipHash: a tenth of a 10 000-file run's serial end was hashing
    // here. Sized once, as the number of (name, instance) pairs is known.
    let pairs = files
        .iter()
        .filter_map(|(_, f)| f.map(|f| f.instance_ids.len()))
        .sum();
    let mut first: hashbrown::HashMap<(&str, &str), usize> =
        hashbrown::HashMap::with_capacity(pairs);
    let mut out = Vec::new();
    for (idx, (_, facts)) in files.iter().enumerate() {
        let Some(f) = facts else { continue };
        let mut reported = false;
        for id in &f.instance_ids {
            match first.get(&(f.name.as_str(), id.as_str())) {
                Some(&j) if j != idx && !reported => {
                    reported = true;
                    let (other_path, other) = files[j];
                    let other = other.expect("indexed files have facts");
                    let mut d = Diagnostic::new(
                        &DUPLICATE_CHANNEL_NAME,
                        "/name",
                        f.name_span,
                        format!("channel name \"{}\" is also created by {other_path} in instance {id}", f.name),
                    )
                    .primary("duplicate channel name")
                    .help(format!("VPC channel names must be unique; rename this channel or the one in {other_path}"));
                    d.labels.push(Label {
                        message: format!("\"{}\" is created here", f.name),
                        span: other.name_span,
                        path: Some(other_path.to_owned()),
                    });
                    out.push((idx, d));
                }
                Some(_) => {}
                None => {
                    first.insert((f.name.as_str(), id.as_str()), idx);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            "${NACOS_PASSWORD}",
            "{{nacos_password}}",
            "{{ .Values.pw }}",
            "{{ .Name }}",
            "${{ secrets.NACOS_PASSWORD }}",
            "$(NACOS_PASSWORD)",
            "$NACOS_PW",
            "%PW%",
            "<password>",
            "******",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for s in [
            "s3cret!",
            "password123",
            "${unclosed",
            "$1abc",
            "pre${PW}",
            "$(rm -rf)",
        ] {
            assert!(!is_placeholder(s), "{s}");
        }
    }
}

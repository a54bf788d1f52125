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

/// What `duplicate-channel-name` needs to know of one file. Every file of a run keeps its
/// facts until the run is reported, so they are packed: the name and the instance IDs in
/// one string, and per ID its end there and its [`pair_key`] (hashed by the worker that
/// lints the file, so that the serial check across 10 000 files reads one number per pair
/// instead of hashing strings it must first fetch from all over the heap).
#[derive(Clone, Debug)]
pub struct ChannelFacts {
    text: Box<str>,
    name_len: u32,
    pub name_span: Span,
    ids: Box<[(u32, u64)]>,
}

impl ChannelFacts {
    /// `None` when the strings add up to 4 GiB or more (no file vpclint reads can).
    pub fn new<'s, I>(name: &str, name_span: Span, ids: I) -> Option<ChannelFacts>
    where
        I: IntoIterator<Item = &'s str>,
        I::IntoIter: Clone,
    {
        ChannelFacts::keyed(name, name_span, ids, pair_key)
    }

    fn keyed<'s, I>(
        name: &str,
        name_span: Span,
        ids: I,
        key: impl Fn(&str, &str) -> u64,
    ) -> Option<ChannelFacts>
    where
        I: IntoIterator<Item = &'s str>,
        I::IntoIter: Clone,
    {
        // Sized by a first pass: boxing a grown string or list would reallocate each, for
        // every file of a run.
        let ids = ids.into_iter();
        let (count, bytes) = ids
            .clone()
            .fold((0, name.len()), |(n, b), id| (n + 1, b + id.len()));
        let mut text = String::with_capacity(bytes);
        text.push_str(name);
        let mut ends = Vec::with_capacity(count);
        for id in ids {
            text.push_str(id);
            ends.push((u32::try_from(text.len()).ok()?, key(name, id)));
        }
        Some(ChannelFacts {
            text: text.into_boxed_str(),
            name_len: u32::try_from(name.len()).ok()?,
            name_span,
            ids: ends.into_boxed_slice(),
        })
    }

    pub fn name(&self) -> &str {
        &self.text[..self.name_len as usize]
    }

    /// The instance IDs (non-blank strings of `instance_ids`), in order.
    pub fn instance_ids(&self) -> impl Iterator<Item = &str> {
        self.pairs().map(|(id, _)| id)
    }

    /// Each instance ID with its [`pair_key`].
    fn pairs(&self) -> impl Iterator<Item = (&str, u64)> {
        let mut start = self.name_len as usize;
        self.ids.iter().map(move |&(end, key)| {
            let id = &self.text[start..end as usize];
            start = end as usize;
            (id, key)
        })
    }
}

/// A (name, instance ID) pair's hash, with a seed drawn once per process: a table keyed by
/// it cannot be aimed at one bucket by crafted names. Equal hashes are checked against the
/// strings before they count (see [`check_across_files`]).
pub fn pair_key(name: &str, id: &str) -> u64 {
    use std::hash::BuildHasher;
    static SEED: OnceLock<foldhash::fast::RandomState> = OnceLock::new();
    SEED.get_or_init(Default::default).hash_one((name, id))
}

pub fn facts(body: &crate::view::Body<'_>) -> Option<ChannelFacts> {
    let channel = body.channel.as_ref()?;
    let name = channel.name?;
    let ids = channel.instance_ids?;
    ChannelFacts::new(
        name.value,
        name.value_span(),
        ids.value
            .iter()
            .filter_map(Node::as_str)
            .filter(|s| !s.trim().is_empty()),
    )
}

/// A [`pair_key`] is already a seeded hash: the table uses it as it is.
#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// For files in path order, one diagnostic per later file that reuses a (name, instance).
/// Returns (index of the later file, diagnostic).
pub fn check_across_files(files: &[(&str, Option<&ChannelFacts>)]) -> Vec<(usize, Diagnostic)> {
    // The pairs' precomputed keys, checked against the strings wherever two meet; two
    // different pairs with one key (which a per-process seed makes a matter of chance, one
    // in 2^64 a pair) send the whole check to the string-keyed table.
    across_by_key(files).unwrap_or_else(|| across_by_strings(files))
}

fn across_by_key(files: &[(&str, Option<&ChannelFacts>)]) -> Option<Vec<(usize, Diagnostic)>> {
    let pairs = files
        .iter()
        .filter_map(|(_, f)| f.map(|f| f.ids.len()))
        .sum();
    let mut first: hashbrown::HashMap<u64, usize, std::hash::BuildHasherDefault<Prehashed>> =
        hashbrown::HashMap::with_capacity_and_hasher(pairs, Default::default());
    let mut out = Vec::new();
    for (idx, (_, facts)) in files.iter().enumerate() {
        let Some(f) = facts else { continue };
        let mut reported = false;
        for (id, key) in f.pairs() {
            match first.entry(key) {
                hashbrown::hash_map::Entry::Vacant(e) => {
                    e.insert(idx);
                }
                hashbrown::hash_map::Entry::Occupied(e) => {
                    let j = *e.get();
                    let other = files[j].1.expect("indexed files have facts");
                    let same =
                        other.name() == f.name() && other.pairs().any(|(o, k)| k == key && o == id);
                    if !same {
                        return None;
                    }
                    if j != idx && !reported {
                        reported = true;
                        out.push((idx, duplicate(f, id, files[j].0, other)));
                    }
                }
            }
        }
    }
    Some(out)
}

/// The check keyed by the strings themselves.
fn across_by_strings(files: &[(&str, Option<&ChannelFacts>)]) -> Vec<(usize, Diagnostic)> {
    let pairs = files
        .iter()
        .filter_map(|(_, f)| f.map(|f| f.ids.len()))
        .sum();
    let mut first: hashbrown::HashMap<(&str, &str), usize> =
        hashbrown::HashMap::with_capacity(pairs);
    let mut out = Vec::new();
    for (idx, (_, facts)) in files.iter().enumerate() {
        let Some(f) = facts else { continue };
        let mut reported = false;
        for id in f.instance_ids() {
            match first.get(&(f.name(), id)) {
                Some(&j) if j != idx && !reported => {
                    reported = true;
                    let (other_path, other) = files[j];
                    let other = other.expect("indexed files have facts");
                    out.push((idx, duplicate(f, id, other_path, other)));
                }
                Some(_) => {}
                None => {
                    first.insert((f.name(), id), idx);
                }
            }
        }
    }
    out
}

/// `f` creates the channel that `other` (at `other_path`, earlier in path order) creates
/// in instance `id`.
fn duplicate(f: &ChannelFacts, id: &str, other_path: &str, other: &ChannelFacts) -> Diagnostic {
    let mut d = Diagnostic::new(
        &DUPLICATE_CHANNEL_NAME,
        "/name",
        f.name_span,
        format!(
            "channel name \"{}\" is also created by {other_path} in instance {id}",
            f.name()
        ),
    )
    .primary("duplicate channel name")
    .help(format!(
        "VPC channel names must be unique; rename this channel or the one in {other_path}"
    ));
    d.labels.push(Label {
        message: format!("\"{}\" is created here", f.name()),
        span: other.name_span,
        path: Some(other_path.to_owned()),
    });
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts_of(name: &str, ids: &[&str], key: Option<u64>) -> ChannelFacts {
        let span = Span::new(0, name.len());
        let ids = ids.iter().copied();
        match key {
            None => ChannelFacts::new(name, span, ids),
            Some(k) => ChannelFacts::keyed(name, span, ids, |_, _| k),
        }
        .unwrap()
    }

    fn shown(found: &[(usize, Diagnostic)]) -> Vec<String> {
        found.iter().map(|(i, d)| format!("{i} {d:?}")).collect()
    }

    proptest! {
        /// Packed facts give back the name and the IDs they were made of.
        #[test]
        fn facts_give_back_what_they_hold(name in "\\PC{0,8}", ids in proptest::collection::vec("\\PC{0,6}", 0..5)) {
            let f = ChannelFacts::new(&name, Span::new(1, 2), ids.iter().map(String::as_str)).unwrap();
            prop_assert_eq!(f.name(), name.as_str());
            prop_assert_eq!(f.instance_ids().collect::<Vec<_>>(), ids.iter().map(String::as_str).collect::<Vec<_>>());
            for (id, key) in f.pairs() {
                prop_assert_eq!(key, pair_key(&name, id));
            }
        }

        /// The keyed check finds what the string-keyed one finds, and so does it when every
        /// pair has one key (all collisions, which must not merge different pairs).
        #[test]
        fn keyed_check_across_files_agrees_with_the_strings(
            files in proptest::collection::vec(
                proptest::option::of(("[ab]{1,2}", proptest::collection::vec("[xy]{1,2}", 0..4))),
                0..30,
            ),
        ) {
            let paths: Vec<String> = (0..files.len()).map(|i| format!("f{i:02}.json")).collect();
            for collide in [None, Some(7)] {
                let facts: Vec<Option<ChannelFacts>> = files
                    .iter()
                    .map(|f| f.as_ref().map(|(n, ids)| {
                        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                        facts_of(n, &ids, collide)
                    }))
                    .collect();
                let view: Vec<(&str, Option<&ChannelFacts>)> =
                    paths.iter().map(String::as_str).zip(facts.iter().map(Option::as_ref)).collect();
                prop_assert_eq!(shown(&check_across_files(&view)), shown(&across_by_strings(&view)));
                if collide.is_none() {
                    prop_assert!(across_by_key(&view).is_some());
                }
            }
        }
    }

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

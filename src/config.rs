//! `vpclint.toml`: rule levels, include/exclude globs, per-file ignores and the instance-ID
//! quota. Every value is read with its span so that a mistake is reported at its place in
//! the file (exit status 2), never silently ignored.
//!
//! ```toml
//! instance-ids-limit = 20          # a raised PROJECT_VPC_OPERATOR_NUM_LIMIT
//! max-file-size = 1048576          # bytes; larger files are refused (default 256 MiB)
//! include = ["channels/**/*.json"] # discovered files must match one of these
//! exclude = ["channels/archive/**"]
//!
//! [rules]
//! deprecated-type = "off"          # error | warning | info | off
//! warnings = "error"               # every warning becomes an error
//!
//! [[ignore]]
//! path = "channels/legacy/*.json"
//! rules = ["deprecated-type"]
//! pointer = "/type"                # optional: this pointer and below
//! reason = "migration tracked in OPS-1234"
//!
//! [[operations]]                   # what JSON files are the bodies of
//! files = ["members/*.json"]
//! operation = "roma:AddingBackendInstancesV2"
//! ```

use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::rules::{self, Rule};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;
use toml::Spanned;

pub const FILE_NAME: &str = "vpclint.toml";
/// The hidden name, as ruff reads `.ruff.toml`; it wins over `vpclint.toml` in one directory.
pub const HIDDEN_FILE_NAME: &str = ".vpclint.toml";

/// The config file of this very directory, if it has one.
pub fn in_dir(dir: &Path) -> Option<PathBuf> {
    [HIDDEN_FILE_NAME, FILE_NAME]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// A severity override: one rule, every rule of a group (`health`), or every warning
/// (`--deny warnings`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LevelTarget {
    Rule(&'static str),
    Group(&'static str),
    Warnings,
}

impl LevelTarget {
    /// Does this override apply to `rule` (whatever its current level)?
    pub fn covers(&self, rule: &Rule) -> bool {
        match self {
            LevelTarget::Rule(n) => *n == rule.name,
            LevelTarget::Group(g) => *g == rule.group,
            LevelTarget::Warnings => rule.default_severity == Severity::Warning,
        }
    }
}

/// A rule or group name as written in a config or a flag (`warnings` is handled by the
/// caller, since only `deny`/`error` may raise it).
pub fn resolve_target(name: &str) -> Result<LevelTarget, String> {
    if let Some(r) = rules::find(name) {
        return Ok(LevelTarget::Rule(r.name));
    }
    if let Some(g) = rules::groups().into_iter().find(|g| *g == name) {
        return Ok(LevelTarget::Group(g));
    }
    resolve_rule(name).map(|r| LevelTarget::Rule(r.name))
}

/// serde's words ("invalid type: string \"20\", expected i64") in the user's: what the
/// key takes, and what it found.
fn in_users_words(message: &str) -> String {
    let Some(rest) = message.strip_prefix("invalid type: ") else {
        return message
            .replace("expected a sequence", "expected a list")
            .replace("expected i64", "expected an integer");
    };
    let Some((found, expected)) = rest.rsplit_once(", expected ") else {
        return message.to_owned();
    };
    let expected = match expected {
        "i64" | "u64" | "usize" | "i32" | "u32" => "an integer",
        "a sequence" => "a list (of glob patterns, rule names or entries)",
        "a boolean" => "true or false",
        "a map" | "struct RawIgnore" | "struct RawOperations" => "a table",
        other => other,
    };
    let found = if let Some(v) = found.strip_prefix("string ") {
        format!("the string {v}")
    } else if let Some(v) = found.strip_prefix("floating point ") {
        format!("the number {}", v.trim_matches('`'))
    } else if let Some(v) = found.strip_prefix("integer ") {
        format!("the integer {}", v.trim_matches('`'))
    } else if let Some(v) = found.strip_prefix("boolean ") {
        v.trim_matches('`').to_owned()
    } else if found == "sequence" {
        "a list".to_owned()
    } else if found == "map" {
        "a table".to_owned()
    } else {
        found.to_owned()
    };
    format!("expected {expected}, found {found}")
}

/// A located problem in the config file (or in a command-line value).
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub path: String,
    pub text: String,
    pub span: Option<Span>,
    pub message: String,
    pub help: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Ignore {
    pub glob: Glob,
    pub rules: Vec<&'static Rule>,
    pub pointer: Option<String>,
    pub reason: String,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Display path of the file, and the directory globs are relative to.
    pub path: String,
    pub root: PathBuf,
    pub text: String,
    pub instance_ids_limit: Option<usize>,
    pub max_file_size: Option<u64>,
    /// `http-env`: the `http-client.env.json` environment request files are linted in
    /// (`all`: every one).
    pub http_env: Option<String>,
    /// `respect-gitignore`: directory walks skip what git ignores (default true).
    pub respect_gitignore: Option<bool>,
    /// `baseline`: findings recorded by `--write-baseline`, relative to the config's
    /// directory; only new findings are reported.
    pub baseline: Option<PathBuf>,
    pub levels: Vec<(LevelTarget, Severity)>,
    pub include: Vec<Glob>,
    pub exclude: Vec<Glob>,
    pub ignores: Vec<Ignore>,
    /// `[[operations]]`: JSON files matching a glob are linted as that operation's body;
    /// the first entry that matches wins.
    pub operations: Vec<(Glob, &'static crate::operation::Operation)>,
    /// The lists above compiled into one matcher each, on first use: a file is matched
    /// against all entries at once, never entry by entry.
    pub(crate) compiled: OnceLock<[GlobIndex; 4]>,
}

/// Many globs matched at once. A glob whose text starts with a literal directory
/// (`channels/team7/*.json`) is filed under that directory and tried only on paths inside
/// it: a path looks up each of its ancestors, so 2 000 such entries cost a file a few
/// lookups, not 2 000 matches (globset runs every glob that shares the file's extension).
/// The other globs go into one `GlobSet`: those with a `/` matched against the relative
/// path, those without against the file name, as in .gitignore.
#[derive(Debug, Clone)]
pub struct GlobIndex {
    full: GlobSet,
    full_ids: Vec<usize>,
    base: GlobSet,
    base_ids: Vec<usize>,
    /// Literal directory prefix (with its trailing `/`) → globs under it, with their ids.
    by_dir: std::collections::HashMap<String, Vec<(usize, globset::GlobMatcher)>>,
}

/// The literal directory a glob's text starts with, through its last `/` before the first
/// character that globset gives a meaning to; empty when there is none.
fn literal_dir(text: &str) -> &str {
    let literal = text
        .find(['*', '?', '[', ']', '{', '}', '\\'])
        .map_or(text, |i| &text[..i]);
    literal.rfind('/').map_or("", |i| &literal[..=i])
}

impl GlobIndex {
    pub fn new<'g>(globs: impl IntoIterator<Item = &'g Glob>) -> GlobIndex {
        let (mut full, mut base) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        let (mut full_ids, mut base_ids) = (Vec::new(), Vec::new());
        let mut by_dir: std::collections::HashMap<String, Vec<_>> = Default::default();
        for (i, g) in globs.into_iter().enumerate() {
            if g.basename {
                base.add(g.glob.clone());
                base_ids.push(i);
                continue;
            }
            let dir = literal_dir(&g.text);
            if dir.is_empty() {
                full.add(g.glob.clone());
                full_ids.push(i);
            } else {
                by_dir
                    .entry(dir.to_owned())
                    .or_default()
                    .push((i, g.glob.compile_matcher()));
            }
        }
        // Each glob compiled on its own already; a set of valid globs always builds.
        let build = |b: GlobSetBuilder| b.build().unwrap_or_else(|_| GlobSet::empty());
        GlobIndex {
            full: build(full),
            full_ids,
            base: build(base),
            base_ids,
            by_dir,
        }
    }

    /// The globs filed under a directory of `rel` that match it.
    fn under_dirs<'s>(&'s self, rel: &'s str) -> impl Iterator<Item = usize> + 's {
        let dirs = rel.match_indices('/').map(move |(i, _)| &rel[..=i]);
        dirs.filter_map(|d| self.by_dir.get(d))
            .flatten()
            .filter(move |(_, m)| m.is_match(rel))
            .map(|(i, _)| *i)
    }

    pub fn is_match(&self, rel: &str) -> bool {
        self.full.is_match(rel)
            || self.base.is_match(basename(rel))
            || (!self.by_dir.is_empty() && self.under_dirs(rel).next().is_some())
    }
    /// Indices (into the list the index was built from) of every glob matching `rel`.
    pub fn matches(&self, rel: &str) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .full
            .matches(rel)
            .into_iter()
            .map(|i| self.full_ids[i])
            .chain(
                self.base
                    .matches(basename(rel))
                    .into_iter()
                    .map(|i| self.base_ids[i]),
            )
            .collect();
        if !self.by_dir.is_empty() {
            out.extend(self.under_dirs(rel));
        }
        out.sort_unstable();
        out
    }
}

fn basename(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

#[derive(Debug, Clone)]
pub struct Glob {
    pub text: String,
    glob: globset::Glob,
    /// Without a `/` the glob matches a file name at any depth, as in .gitignore.
    basename: bool,
}

impl Glob {
    pub fn new(text: &str) -> Result<Glob, String> {
        let glob = GlobBuilder::new(text)
            .literal_separator(true)
            .build()
            .map_err(|e| e.kind().to_string())?;
        Ok(Glob {
            text: text.to_owned(),
            glob,
            basename: !text.contains('/'),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    instance_ids_limit: Option<Spanned<i64>>,
    max_file_size: Option<Spanned<i64>>,
    http_env: Option<Spanned<String>>,
    respect_gitignore: Option<bool>,
    baseline: Option<Spanned<String>>,
    include: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    rules: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    ignore: Option<Vec<Spanned<RawIgnore>>>,
    operations: Option<Vec<RawOperations>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOperations {
    files: Spanned<Vec<Spanned<String>>>,
    operation: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    path: Spanned<String>,
    rules: Spanned<Vec<Spanned<String>>>,
    pointer: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
}

fn span_of<T>(s: &Spanned<T>) -> Span {
    let r = s.span();
    Span::new(r.start, r.end)
}

/// Parse a level name as written in configs and flags.
pub fn parse_level(s: &str) -> Option<Severity> {
    match s {
        "error" | "warning" | "info" | "off" => Severity::parse(s),
        _ => None,
    }
}

/// Resolve a rule name, or explain which names come close.
pub fn resolve_rule(name: &str) -> Result<&'static Rule, String> {
    rules::find(name).ok_or_else(|| {
        let close = rules::closest_names(name);
        if close.is_empty() {
            format!("unknown rule `{name}` (see `vpclint rules`)")
        } else {
            format!(
                "unknown rule `{name}`; did you mean {}?",
                close
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    })
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let display = crate::base::display(path);
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: display.clone(),
            text: String::new(),
            span: None,
            message: format!("cannot read the config file: {e}"),
            help: None,
        })?;
        let root = absolute(path.parent().unwrap_or(Path::new(".")));
        Config::parse(&display, root, text)
    }

    pub fn parse(display: &str, root: PathBuf, text: String) -> Result<Config, ConfigError> {
        let err = |span: Option<Span>, message: String, help: Option<String>| ConfigError {
            path: display.to_owned(),
            text: text.clone(),
            span,
            message,
            help,
        };
        let raw: RawConfig = toml::from_str(&text).map_err(|e| {
            let span = e.span().map(|r| Span::new(r.start, r.end));
            let help = Some("keys: instance-ids-limit, max-file-size, http-env, respect-gitignore, baseline, include, exclude, [rules], [[ignore]] (path, rules, pointer, reason), [[operations]] (files, operation)".to_owned());
            err(span, in_users_words(e.message().trim()), help)
        })?;
        let mut cfg = Config {
            path: display.to_owned(),
            root,
            text: text.clone(),
            ..Config::default()
        };
        if let Some(limit) = &raw.instance_ids_limit {
            let v = *limit.get_ref();
            if !(1..=100_000).contains(&v) {
                return Err(err(
                    Some(span_of(limit)),
                    format!("instance-ids-limit must be a positive quota, found {v}"),
                    Some("the API's default quota is 10".into()),
                ));
            }
            cfg.instance_ids_limit = Some(v as usize);
        }
        if let Some(size) = &raw.max_file_size {
            let v = *size.get_ref();
            if v < 1 {
                return Err(err(
                    Some(span_of(size)),
                    format!("max-file-size must be a positive number of bytes, found {v}"),
                    Some("the default is 268435456 (256 MiB)".into()),
                ));
            }
            cfg.max_file_size = Some(v as u64);
        }
        cfg.respect_gitignore = raw.respect_gitignore;
        if let Some(b) = &raw.baseline {
            let v = b.get_ref().trim();
            if v.is_empty() {
                return Err(err(
                    Some(span_of(b)),
                    "baseline must name a file (written by `vpclint check --write-baseline FILE`)"
                        .into(),
                    None,
                ));
            }
            cfg.baseline = Some(cfg.root.join(v));
        }
        if let Some(env) = &raw.http_env {
            let v = env.get_ref().trim();
            if v.is_empty() {
                return Err(err(
                    Some(span_of(env)),
                    "http-env must name an environment of http-client.env.json, or be \"all\""
                        .into(),
                    None,
                ));
            }
            cfg.http_env = Some(v.to_owned());
        }
        for (list, out) in [
            (&raw.include, &mut cfg.include),
            (&raw.exclude, &mut cfg.exclude),
        ] {
            for g in list.iter().flatten() {
                out.push(Glob::new(g.get_ref()).map_err(|e| {
                    err(
                        Some(span_of(g)),
                        format!("invalid glob `{}`: {e}", g.get_ref()),
                        None,
                    )
                })?);
            }
        }
        for (name, level) in raw.rules.iter().flatten() {
            let sev = parse_level(level.get_ref()).ok_or_else(|| {
                err(
                    Some(span_of(level)),
                    format!("invalid level `{}`", level.get_ref()),
                    Some("use \"error\", \"warning\", \"info\" or \"off\"".into()),
                )
            })?;
            let target = if name.get_ref() == "warnings" {
                if sev != Severity::Error {
                    return Err(err(
                        Some(span_of(level)),
                        "`warnings` can only be raised to \"error\"".into(),
                        None,
                    ));
                }
                LevelTarget::Warnings
            } else {
                resolve_target(name.get_ref()).map_err(|m| err(Some(span_of(name)), m, None))?
            };
            cfg.levels.push((target, sev));
        }
        for entry in raw.ignore.iter().flatten() {
            let ig = entry.get_ref();
            // toml does not give array-of-tables entries a useful span: point at the
            // `[[ignore]]` header that precedes this entry's `path`.
            let path_at = ig.path.span().start;
            let span = match text[..path_at].rfind("[[ignore]]") {
                Some(h) => Span::new(h, h + "[[ignore]]".len()),
                None => span_of(&ig.path),
            };
            let Some(reason) = ig
                .reason
                .as_ref()
                .filter(|r| !r.get_ref().trim().is_empty())
            else {
                return Err(err(
                    Some(span),
                    "this ignore has no `reason`".into(),
                    Some("say why the finding is acceptable: reason = \"…\"".into()),
                ));
            };
            let glob = Glob::new(ig.path.get_ref()).map_err(|e| {
                err(
                    Some(span_of(&ig.path)),
                    format!("invalid glob `{}`: {e}", ig.path.get_ref()),
                    None,
                )
            })?;
            if ig.rules.get_ref().is_empty() {
                return Err(err(
                    Some(span_of(&ig.rules)),
                    "`rules` is empty".into(),
                    Some("name the rules to ignore".into()),
                ));
            }
            let mut rules = Vec::new();
            for r in ig.rules.get_ref() {
                rules.push(resolve_rule(r.get_ref()).map_err(|m| err(Some(span_of(r)), m, None))?);
            }
            let pointer = match &ig.pointer {
                Some(p) if !(p.get_ref().is_empty() || p.get_ref().starts_with('/')) => {
                    return Err(err(
                        Some(span_of(p)),
                        format!("`{}` is not a JSON pointer", p.get_ref()),
                        Some(
                            "a pointer starts with '/', e.g. \"/vpc_health_config/timeout\"".into(),
                        ),
                    ));
                }
                Some(p) => Some(p.get_ref().clone()),
                None => None,
            };
            cfg.ignores.push(Ignore {
                glob,
                rules,
                pointer,
                reason: reason.get_ref().clone(),
                span,
            });
        }
        for entry in raw.operations.iter().flatten() {
            let op = crate::operation::find(entry.operation.get_ref())
                .map_err(|m| err(Some(span_of(&entry.operation)), m, None))?;
            if entry.files.get_ref().is_empty() {
                return Err(err(
                    Some(span_of(&entry.files)),
                    "`files` is empty".into(),
                    Some("name the files this operation applies to, e.g. files = [\"members/*.json\"]".into()),
                ));
            }
            for g in entry.files.get_ref() {
                let glob = Glob::new(g.get_ref()).map_err(|e| {
                    err(
                        Some(span_of(g)),
                        format!("invalid glob `{}`: {e}", g.get_ref()),
                        None,
                    )
                })?;
                cfg.operations.push((glob, op));
            }
        }
        Ok(cfg)
    }

    /// The operation `[[operations]]` assigns to `path`, if any (the first entry wins).
    pub fn operation_for(&self, path: &str) -> Option<&'static crate::operation::Operation> {
        if self.operations.is_empty() {
            return None;
        }
        let first = self.compiled()[3]
            .matches(&self.relative(path))
            .into_iter()
            .min()?;
        Some(self.operations[first].1)
    }

    /// The closest `.vpclint.toml` or `vpclint.toml` from `dir` upward.
    pub fn find_upward(dir: &Path) -> Option<PathBuf> {
        let mut d = absolute(dir);
        loop {
            if let Some(found) = in_dir(&d) {
                return Some(found);
            }
            if !d.pop() {
                return None;
            }
        }
    }

    /// `path` (as displayed, relative to the working directory or absolute) relative to the
    /// config's directory, with `/` separators, for glob matching.
    pub fn relative(&self, path: &str) -> String {
        let abs = absolute(Path::new(path));
        let rel = abs.strip_prefix(&self.root).unwrap_or(&abs);
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The ignores for one file's findings, recording in `usage` which matched the file and
    /// which hid a finding; applied as the file is linted, before any fix is considered, so
    /// that a suppressed finding's fix is never applied.
    pub fn suppress(&self, path: &str, diagnostics: &mut Vec<Diagnostic>, usage: &mut IgnoreUse) {
        if self.ignores.is_empty() {
            return;
        }
        let n = self.ignores.len();
        usage.seen.resize(n, false);
        usage.used.resize(n, false);
        let applicable = self.compiled()[2].matches(&self.relative(path));
        for &i in &applicable {
            usage.seen[i] = true;
        }
        if applicable.is_empty() {
            return;
        }
        diagnostics.retain(|d| {
            let hit = applicable.iter().copied().find(|&i| {
                let ig = &self.ignores[i];
                ig.rules.contains(&d.rule)
                    && ig.pointer.as_ref().is_none_or(|p| {
                        d.pointer == *p
                            || (d.pointer.starts_with(p.as_str())
                                && d.pointer.as_bytes().get(p.len()) == Some(&b'/'))
                    })
            });
            if let Some(i) = hit {
                usage.used[i] = true;
            }
            hit.is_none()
        });
    }

    /// `unused-ignore` findings on the config file, from the merged usage of a whole run.
    pub fn unused_ignores(&self, usage: &IgnoreUse) -> Vec<Diagnostic> {
        if self.ignores.is_empty() {
            return Vec::new();
        }
        let seen = |i: usize| usage.seen.get(i).copied().unwrap_or(false);
        let used = |i: usize| usage.used.get(i).copied().unwrap_or(false);
        let diagnostics: Vec<Diagnostic> = self
            .ignores
            .iter()
            .enumerate()
            .filter(|(i, _)| seen(*i) && !used(*i))
            .map(|(_, ig)| {
                let rules: Vec<&str> = ig.rules.iter().map(|r| r.name).collect();
                Diagnostic::new(&rules::config::UNUSED_IGNORE, "", ig.span, format!("this ignore for `{}` suppressed nothing", ig.glob.text))
                    .primary(format!("no {} finding here", rules.join(", ")))
                    .help("the finding it was written for is gone: remove the ignore (or fix its path, rules or pointer)")
            })
            .collect();
        diagnostics
    }

    /// Discovered (not explicitly named) files: must match an include glob if any is given,
    /// and no exclude glob.
    pub fn selects(&self, path: &str) -> bool {
        if self.include.is_empty() && self.exclude.is_empty() {
            return true;
        }
        let rel = self.relative(path);
        let [include, exclude, _, _] = self.compiled();
        (self.include.is_empty() || include.is_match(&rel)) && !exclude.is_match(&rel)
    }

    fn compiled(&self) -> &[GlobIndex; 4] {
        self.compiled.get_or_init(|| {
            [
                GlobIndex::new(&self.include),
                GlobIndex::new(&self.exclude),
                GlobIndex::new(self.ignores.iter().map(|i| &i.glob)),
                GlobIndex::new(self.operations.iter().map(|(g, _)| g)),
            ]
        })
    }
}

/// Which `[[ignores]]` entries matched some linted file (`seen`) and which hid a finding
/// (`used`), by index; merged across workers.
#[derive(Debug, Default, Clone)]
pub struct IgnoreUse {
    seen: Vec<bool>,
    used: Vec<bool>,
}

impl IgnoreUse {
    pub fn merge(&mut self, other: &IgnoreUse) {
        for (mine, theirs) in [(&mut self.seen, &other.seen), (&mut self.used, &other.used)] {
            if mine.len() < theirs.len() {
                mine.resize(theirs.len(), false);
            }
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m |= *t;
            }
        }
    }
}

/// Make a path absolute and lexically normal without touching the file system (the path
/// may name standard input).
pub fn absolute(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        // The working directory, asked once: vpclint never changes it, and a walk asks for
        // every file it finds.
        static CWD: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
        CWD.get_or_init(|| std::env::current_dir().unwrap_or_default())
            .join(p)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The index finds exactly the globs that match a path one by one, whether they are
        /// filed under a literal directory or left to the set.
        #[test]
        fn glob_index_matches_what_each_glob_matches(
            globs in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(vec![
                    "a", "b", "a/", "b/", "*", "**/", "?", "[ab]", "{a,b}", ".json", "/", "\\*", "\\",
                ]), 1..6).prop_map(|parts| parts.concat()),
                0..12,
            ),
            paths in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(vec!["a", "b", "a/", "b/", "/", ".json", "*"]), 1..7)
                    .prop_map(|parts| parts.concat()),
                1..8,
            ),
        ) {
            let globs: Vec<Glob> = globs.iter().filter_map(|g| Glob::new(g).ok()).collect();
            let index = GlobIndex::new(&globs);
            for rel in &paths {
                let expected: Vec<usize> = globs
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| {
                        let m = g.glob.compile_matcher();
                        if g.basename { m.is_match(basename(rel)) } else { m.is_match(rel.as_str()) }
                    })
                    .map(|(i, _)| i)
                    .collect();
                prop_assert_eq!(index.matches(rel), expected.clone(), "{:?} on {:?}", globs.iter().map(|g| &g.text).collect::<Vec<_>>(), rel);
                prop_assert_eq!(index.is_match(rel), !expected.is_empty());
            }
        }
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse("vpclint.toml", PathBuf::from("/repo"), text.to_owned())
    }

    #[test]
    fn full_config() {
        let c = parse(
            "instance-ids-limit = 20\ninclude = [\"channels/**/*.json\"]\nexclude = [\"*.tmp.json\"]\n[rules]\ndeprecated-type = \"off\"\nwarnings = \"error\"\n[[ignore]]\npath = \"legacy/*.json\"\nrules = [\"plaintext-secret\"]\npointer = \"/microservice_info\"\nreason = \"rotated\"\n",
        )
        .unwrap();
        assert_eq!(c.instance_ids_limit, Some(20));
        assert_eq!(
            c.levels,
            vec![
                (LevelTarget::Rule("deprecated-type"), Severity::Off),
                (LevelTarget::Warnings, Severity::Error)
            ]
        );
        assert!(c.selects("/repo/channels/a/b.json"));
        assert!(!c.selects("/repo/channels/a/b.tmp.json"));
        assert!(!c.selects("/repo/other/b.json"));
        assert_eq!(c.ignores[0].pointer.as_deref(), Some("/microservice_info"));
    }

    #[test]
    fn errors_speak_the_users_words() {
        for (text, want) in [
            (
                "instance-ids-limit = \"20\"\n",
                "expected an integer, found the string \"20\"",
            ),
            ("include = \"x\"\n", "expected a list"),
            (
                "max-file-size = 1.5\n",
                "expected an integer, found the number 1.5",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.message.contains(want), "{text}: {}", e.message);
            assert!(!e.message.contains("i64") && !e.message.contains("sequence"));
        }
    }

    #[test]
    fn errors_are_located() {
        let text = "[rules]\ndeprecated-typo = \"off\"\n";
        let e = parse(text).unwrap_err();
        assert!(
            e.message.contains("did you mean `deprecated-type`"),
            "{}",
            e.message
        );
        assert_eq!(
            &text[e.span.unwrap().start..e.span.unwrap().end],
            "deprecated-typo"
        );
        let text = "colour = true\n";
        let e = parse(text).unwrap_err();
        assert!(e.message.contains("unknown field"), "{}", e.message);
        assert_eq!(&text[e.span.unwrap().start..e.span.unwrap().end], "colour");
        let e = parse("[rules]\nduplicate-key = \"fatal\"\n").unwrap_err();
        assert!(e.message.contains("invalid level"));
        let e = parse("[[ignore]]\npath = \"a.json\"\nrules = [\"duplicate-key\"]\n").unwrap_err();
        assert!(e.message.contains("no `reason`"));
        let e = parse("instance-ids-limit = 0\n").unwrap_err();
        assert!(e.message.contains("positive"));
        let e = parse("[[ignore]]\npath = \"a.json\"\nrules = [\"duplicate-key\"]\npointer = \"name\"\nreason = \"x\"\n").unwrap_err();
        assert!(e.message.contains("not a JSON pointer"));
    }
}

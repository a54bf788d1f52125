//! vpclint: an offline linter for ROMA Connect "Create a VPC channel in a project" request
//! bodies (`POST /v2/{project_id}/apic/vpc-channels`).
//!
//! Data flows one way:
//!
//! ```text
//! bytes ──reading::decode──▶ &str ──json::parse──▶ spanned Node
//!       ──rules::shape (JSON Schema)──▶ ──rules::{channel,backends,health,registry,secrets}──▶
//!       Vec<Diagnostic> (sorted, severities resolved) ──report::*──▶ text / JSON
//! ```
//!
//! Rules never print and reporters never decide: a reporter gets finished [`FileReport`]s.

pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod fix;
pub mod http;
pub mod json;
pub mod json_repr;
pub mod lsp;
pub mod operation;
mod pipeline;
pub mod report;
pub mod rules;
pub mod schema;

use config::LevelTarget;
use diagnostic::{Diagnostic, Severity};
use rules::secrets::ChannelFacts;

/// Everything a run can tune. Built only by [`Settings::resolve`], so that `check`, `lsp`
/// and the tests agree on what a config and a set of flags mean.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Upper bound for `instance_ids` (`PROJECT_VPC_OPERATOR_NUM_LIMIT`, 10 by default).
    pub instance_ids_limit: usize,
    /// Severity overrides, lowest precedence first: the later wins. `Off` drops the rule's
    /// findings.
    pub overrides: Vec<(LevelTarget, Severity)>,
    /// Files (and standard input) larger than this are refused, not read into memory.
    pub max_file_size: u64,
    /// `--operation`: what JSON files are linted as when neither a request line nor the
    /// config's `[[operations]]` says.
    pub operation: Option<&'static operation::Operation>,
    /// `--fix` / `--unsafe-fixes` (and `--diff`, which fixes in memory only).
    pub fix: fix::FixMode,
    /// `--threads N`: at most this many threads (`None`: all cores), for the files of a run
    /// and for the two passes over one big document alike.
    pub threads: Option<usize>,
}

/// 256 MiB: a thousand times the largest real request, far below the machine's memory.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            instance_ids_limit: 10,
            overrides: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            operation: None,
            fix: fix::FixMode::Off,
            threads: None,
        }
    }
}

/// What the command line says about settings. `None` means "not given", which is not the
/// same as the default: an explicit `--instance-ids-limit 10` beats a config's 20.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--deny/--warn/--allow` values in the order given (`warnings` only with `--deny`).
    pub levels: Vec<(String, Severity)>,
    pub instance_ids_limit: Option<usize>,
    pub max_file_size: Option<u64>,
    /// `--operation ID`.
    pub operation: Option<String>,
    /// `--fix` (or `--diff`) and `--unsafe-fixes`.
    pub fix: bool,
    pub unsafe_fixes: bool,
    /// `--threads N`.
    pub threads: Option<usize>,
}

impl Settings {
    /// The one place settings are resolved. Precedence, lowest first: the built-in
    /// defaults; the config's `warnings = "error"`; the config's group levels; the config's
    /// per-rule levels; the command-line flags in the order given. Errors are unknown rule names in flags.
    pub fn resolve(config: Option<&config::Config>, flags: &Flags) -> Result<Settings, String> {
        let mut settings = Settings::default();
        if let Some(c) = config {
            // `[rules]` is a table (its order means nothing): `warnings`, then groups, then
            // single rules, so the more specific entry always wins.
            let rank = |t: &LevelTarget| match t {
                LevelTarget::Warnings => 0,
                LevelTarget::Group(_) => 1,
                LevelTarget::Rule(_) => 2,
            };
            let mut levels = c.levels.clone();
            levels.sort_by_key(|(t, _)| rank(t));
            settings.overrides.extend(levels);
            if let Some(l) = c.instance_ids_limit {
                settings.instance_ids_limit = l;
            }
            if let Some(m) = c.max_file_size {
                settings.max_file_size = m;
            }
        }
        for (name, sev) in &flags.levels {
            let target = if name == "warnings" && *sev == Severity::Error {
                LevelTarget::Warnings
            } else {
                config::resolve_target(name)?
            };
            settings.overrides.push((target, *sev));
        }
        if let Some(l) = flags.instance_ids_limit {
            settings.instance_ids_limit = l;
        }
        if let Some(m) = flags.max_file_size {
            settings.max_file_size = m;
        }
        if let Some(id) = &flags.operation {
            settings.operation = Some(operation::find(id)?);
        }
        if flags.fix {
            settings.fix = fix::FixMode::Apply {
                unsafe_fixes: flags.unsafe_fixes,
            };
        }
        settings.threads = flags.threads.map(|n| n.max(1));
        Ok(settings)
    }

    pub fn severity_of(&self, rule: &rules::Rule) -> Severity {
        self.overrides
            .iter()
            .fold(rule.default_severity, |sev, (target, level)| match target {
                LevelTarget::Rule(name) if *name == rule.name => *level,
                LevelTarget::Group(group) if *group == rule.group => *level,
                LevelTarget::Warnings if sev == Severity::Warning => Severity::Error,
                _ => sev,
            })
    }
}

/// The findings for one file, with the text they point into.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub path: String,
    /// The file as text (lossy only when it is not UTF-8, in which case the sole
    /// diagnostic points before the first replaced byte).
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
    pub facts: Option<ChannelFacts>,
    /// Whether the top level looks like a VPC channel request; `None` when it did not parse.
    pub looks_like_request: Option<bool>,
    /// What the file was linted as (for a `.http` file, its first request's operation).
    pub operation: &'static operation::Operation,
    /// How many fixes `--fix` applied to the file.
    pub fixed: usize,
    /// What `--diff` shows for the file: a unified diff of the fixes, when there are any.
    pub fix_diff: Option<String>,
}

impl FileReport {
    /// The report of a file with nothing to say (a request file with none of the family's
    /// requests, named on the command line).
    pub fn empty(path: &str) -> FileReport {
        FileReport {
            path: path.to_owned(),
            text: String::new(),
            diagnostics: Vec::new(),
            facts: None,
            looks_like_request: Some(false),
            operation: operation::default(),
            fixed: 0,
            fix_diff: None,
        }
    }
}

/// What a JSON file is the body of: the config's `[[operations]]` entry for its path, then
/// `--operation`, then the default. The one place this is decided, for `check`, standard
/// input and the language server. (A request file's lines say it for each of its bodies.)
pub fn operation_for(
    path: &str,
    cfg: Option<&config::Config>,
    settings: &Settings,
) -> &'static operation::Operation {
    cfg.and_then(|c| c.operation_for(path))
        .or(settings.operation)
        .unwrap_or_else(operation::default)
}

/// Lint a file as what it is: a `.http`/`.rest` file request by request (`None` when none
/// of its requests belongs to the family), any other file as its operation's body.
pub fn lint_file(
    path: &str,
    bytes: Vec<u8>,
    settings: &Settings,
    cfg: Option<&config::Config>,
) -> Option<FileReport> {
    if http::is_request_file(path) {
        http::lint(path, bytes, settings)
    } else {
        Some(lint_owned(
            path,
            bytes,
            settings,
            operation_for(path, cfg, settings),
        ))
    }
}

/// Lint one file's bytes. Never panics on any input (see the property tests and the fuzz
/// target).
pub fn lint_bytes(path: &str, bytes: &[u8], settings: &Settings) -> FileReport {
    lint_owned(path, bytes.to_vec(), settings, operation::default())
}

/// [`lint_bytes`] as a given operation's body.
pub fn lint_bytes_as(
    path: &str,
    bytes: &[u8],
    settings: &Settings,
    op: &'static operation::Operation,
) -> FileReport {
    lint_owned(path, bytes.to_vec(), settings, op)
}

/// ```
/// use vpclint::{lint_bytes, Settings};
///
/// let body = br#"{"name": "web", "port": "80", "balance_strategy": 1, "member_type": "ip",
///                 "instance_ids": ["eea73cde015940908ae0117d67bf7330"]}"#;
/// let report = lint_bytes("web.json", body, &Settings::default());
/// let d = &report.diagnostics[0];
/// assert_eq!((d.rule.name, d.pointer.as_str()), ("wrong-type", "/port"));
/// assert_eq!(d.help.as_deref(), Some("write 80 without quotes"));
/// ```
///
/// [`lint_bytes`] for bytes the caller no longer needs: a UTF-8 file becomes the report's
/// text without a copy.
pub fn lint_owned(
    path: &str,
    bytes: Vec<u8>,
    settings: &Settings,
    op: &'static operation::Operation,
) -> FileReport {
    let mut report = lint_inner(path, &bytes, settings, op);
    report.text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    report
}

/// From this size on, a document's schema pass and rules run on two threads.
const PARALLEL_DOCUMENT: usize = 1 << 20;

fn lint_inner(
    path: &str,
    bytes: &[u8],
    settings: &Settings,
    op: &'static operation::Operation,
) -> FileReport {
    let mut diagnostics = Vec::new();
    let mut facts = None;
    let mut looks_like_request = None;
    match rules::reading::decode(bytes) {
        Err(d) => diagnostics.push(*d),
        Ok(decoded) => {
            diagnostics.extend(decoded.bom);
            match json::parse(decoded.text, decoded.base) {
                Err(e) => diagnostics.push(rules::reading::syntax_error(e)),
                Ok(doc) => {
                    // The full file (BOM included, for sub-string spans); without a BOM it
                    // is the decoded text, already known to be UTF-8.
                    let full = if decoded.base == 0 {
                        decoded.text
                    } else {
                        std::str::from_utf8(bytes).unwrap_or(decoded.text)
                    };
                    rules::reading::check_tree(op, &doc, &mut diagnostics);
                    let schema_pass = || {
                        let mut ctx = rules::Ctx::new(&doc, full, settings, op);
                        rules::shape::check(&doc, full, &mut ctx);
                        ctx.out
                    };
                    let rule_pass = || {
                        let mut ctx = rules::Ctx::new(&doc, full, settings, op);
                        rules::run_cross_field(&mut ctx);
                        let facts = op
                            .layout()
                            .channel
                            .then(|| rules::secrets::facts(&doc))
                            .flatten();
                        (ctx.out, facts, discover::is_request(&doc))
                    };
                    // The two passes only read the tree: a big document has them on two
                    // cores (the schema pass and the rules each take about half the time).
                    let two = full.len() >= PARALLEL_DOCUMENT && settings.threads != Some(1);
                    let (schema_out, (rules_out, f, looks)) = if two {
                        std::thread::scope(|s| {
                            match std::thread::Builder::new().spawn_scoped(s, schema_pass) {
                                Ok(schema) => {
                                    let rules = rule_pass();
                                    let schema = schema
                                        .join()
                                        .unwrap_or_else(|p| std::panic::resume_unwind(p));
                                    (schema, rules)
                                }
                                // No thread to be had: one core does both.
                                Err(_) => (schema_pass(), rule_pass()),
                            }
                        })
                    } else {
                        // Rules first: the validator may still be compiling on another
                        // thread (`schema::prepare`).
                        let rules = rule_pass();
                        (schema_pass(), rules)
                    };
                    diagnostics.extend(schema_out);
                    diagnostics.extend(rules_out);
                    facts = f;
                    looks_like_request = Some(looks);
                    if two {
                        // Freeing a tree of millions of nodes takes a while; when a second
                        // thread is allowed, nobody waits for it.
                        let _ = std::thread::Builder::new().spawn(move || drop(doc));
                    }
                }
            }
        }
    }
    finish(&mut diagnostics, settings);
    FileReport {
        path: path.to_owned(),
        text: String::new(),
        diagnostics,
        facts,
        looks_like_request,
        operation: op,
        fixed: 0,
        fix_diff: None,
    }
}

/// The JSON Schema pass alone, as a third-party validator would judge the file: `None` when
/// the bytes are not strict JSON (nothing to validate), else the schema diagnostics before
/// any cross-field rule has folded a cascade into its cause.
pub fn schema_pass(bytes: &[u8]) -> Option<Vec<Diagnostic>> {
    let decoded = rules::reading::decode(bytes).ok()?;
    if decoded.bom.is_some() {
        return None;
    }
    let doc = json::parse(decoded.text, decoded.base).ok()?;
    let settings = Settings::default();
    let mut ctx = rules::Ctx::new(&doc, decoded.text, &settings, operation::default());
    rules::shape::check(&doc, decoded.text, &mut ctx);
    Some(ctx.out)
}

/// Resolve severities, drop what is off, and sort by offset (then rule, for stability).
pub fn finish(diagnostics: &mut Vec<Diagnostic>, settings: &Settings) {
    for d in diagnostics.iter_mut() {
        d.severity = settings.severity_of(d.rule);
    }
    diagnostics.retain(|d| d.severity != Severity::Off);
    diagnostics.sort_by(|a, b| {
        (a.span.start, a.span.end, a.rule.name, &a.pointer).cmp(&(
            b.span.start,
            b.span.end,
            b.rule.name,
            &b.pointer,
        ))
    });
}

/// Run the checks that need every file: call after linting, with reports in path order.
/// Returns the indices of the reports that gained findings.
pub fn check_across_files(reports: &mut [FileReport], settings: &Settings) -> Vec<usize> {
    let found = {
        let view: Vec<(&str, Option<&ChannelFacts>)> = reports
            .iter()
            .map(|r| (r.path.as_str(), r.facts.as_ref()))
            .collect();
        rules::secrets::check_across_files(&view)
    };
    let mut touched = Vec::new();
    for (idx, d) in found {
        reports[idx].diagnostics.push(d);
        touched.push(idx);
    }
    touched.sort_unstable();
    touched.dedup();
    for &idx in &touched {
        finish(&mut reports[idx].diagnostics, settings);
    }
    touched
}

/// Totals for the summary line and the JSON `summary` object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Fixes applied by `--fix`.
    pub fixed: usize,
}

impl Summary {
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut s = Summary {
            files: reports.len(),
            ..Summary::default()
        };
        s.fixed = reports.iter().map(|r| r.fixed).sum();
        for d in reports.iter().flat_map(|r| &r.diagnostics) {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
                Severity::Off => {}
            }
        }
        s
    }
}

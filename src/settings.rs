//! Settings: what a config file and the command line say, resolved in one function
//! ([`Settings::resolve`]) that `check`, standard input and the language server all call.

use crate::config::{self, LevelTarget};
use crate::diagnostic::Severity;
use crate::operation;
use crate::rules;

/// What `--fix` (and `--unsafe-fixes`) may apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FixMode {
    #[default]
    Off,
    /// Apply certain fixes; with `unsafe_fixes`, the likely ones too.
    Apply { unsafe_fixes: bool },
}

impl FixMode {
    /// Does this mode apply a fix of that applicability?
    pub fn allows(self, a: crate::diagnostic::Applicability) -> bool {
        match self {
            FixMode::Off => false,
            FixMode::Apply { unsafe_fixes } => {
                a == crate::diagnostic::Applicability::Safe
                    || (unsafe_fixes && a == crate::diagnostic::Applicability::Unsafe)
            }
        }
    }
}

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
    pub fix: FixMode,
    /// `--http-env NAME` or `http-env`: the environment of `http-client.env.json` that
    /// request files' `{{variables}}` come from (`all`: each in turn).
    pub http_env: Option<String>,
    /// Directory walks skip what `.gitignore` and friends ignore.
    pub respect_gitignore: bool,
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
            fix: FixMode::Off,
            http_env: None,
            respect_gitignore: true,
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
    /// `--http-env NAME`.
    pub http_env: Option<String>,
    /// `--no-respect-gitignore`.
    pub no_respect_gitignore: bool,
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
            settings.http_env.clone_from(&c.http_env);
            if let Some(r) = c.respect_gitignore {
                settings.respect_gitignore = r;
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
            settings.fix = FixMode::Apply {
                unsafe_fixes: flags.unsafe_fixes,
            };
        }
        settings.threads = flags.threads.map(|n| n.max(1));
        if flags.no_respect_gitignore {
            settings.respect_gitignore = false;
        }
        if flags.http_env.is_some() {
            settings.http_env.clone_from(&flags.http_env);
        }
        Ok(settings)
    }

    pub fn severity_of(&self, rule: &rules::Rule) -> Severity {
        self.severity_from(rule, rule.default_severity)
    }

    /// The severity of a finding of `rule` whose own base severity is `base` (usually the
    /// rule's default), after every override.
    pub fn severity_from(&self, rule: &rules::Rule, base: Severity) -> Severity {
        self.overrides
            .iter()
            .fold(base, |sev, (target, level)| match target {
                LevelTarget::Rule(name) if *name == rule.name => *level,
                LevelTarget::Group(group) if *group == rule.group => *level,
                LevelTarget::Warnings if sev == Severity::Warning => Severity::Error,
                _ => sev,
            })
    }
}

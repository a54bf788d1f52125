//! The life of one file, the same for `check`, `--fix`, `--diff`, standard input and every
//! language-server document:
//!
//! 1. **settings**: the [`Resolver`] says which config governs the file;
//! 2. **selection**: a file found by a walk must pass the include/exclude globs;
//! 3. **identity and read**: one `open` + `fstat`; a file already taken under another name
//!    is skipped; a bounded read;
//! 4. **lint** as its operation (a request line, `[[operations]]`, `--operation`, the
//!    default);
//! 5. **is it ours?** named, a request file of the family, mapped to an operation, or a body
//!    that looks like a request: anything else stops here, unlinted and never written;
//! 6. **ignores**: `[[ignore]]` drops its findings, so their fixes are never considered;
//! 7. **fix** from the kept findings, in rounds, each round linted again the same way;
//! 8. **write** (or diff, or hand the text back); a failed write keeps the original's
//!    report and adds the failure; a file changed meanwhile is taken again from step 3.

use super::fs::{self, Identity, WriteError, Written};
use super::resolve::{Broken, Resolved, Resolver};
use crate::base::{display, panic_text, say, Failure};
use crate::config::{Config, IgnoreUse};
use crate::discover;
use crate::http::Environment;
use crate::lint::{self, FileReport};
use crate::settings::FixMode;
use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file's report after its ignores, and which ignores it used.
#[derive(Clone)]
pub struct Linted {
    pub report: FileReport,
    pub usage: Option<(Arc<Config>, IgnoreUse)>,
}

/// The environments a request file is linted in (`--http-env`/`http-env`), read from the
/// `http-client.env.json` files beside it; none for other files or without the setting.
pub fn environments(name: &str, resolved: &Resolved) -> Result<Vec<Environment>, String> {
    let Some(selected) = resolved.settings.http_env.as_deref() else {
        return Ok(Vec::new());
    };
    if !crate::http::is_request_file(name) {
        return Ok(Vec::new());
    }
    let dir = Path::new(name)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let limit = resolved.settings.max_file_size;
    let read = |file: &str| -> Result<Option<String>, String> {
        let p = dir.join(file);
        match fs::open_nonblocking(&p) {
            Err(_) if !p.exists() => Ok(None),
            Err(m) => Err(format!("{}: {m}", display(&p))),
            Ok((f, meta)) => fs::read_open_file(f, &meta, limit)
                .map(|b| Some(String::from_utf8_lossy(&b).into_owned()))
                .map_err(|m| format!("{}: {m}", display(&p))),
        }
    };
    let public = read("http-client.env.json")?;
    let private = read("http-client.private.env.json")?;
    crate::http::environments(public.as_deref(), private.as_deref(), selected)
}

/// Steps 4 to 6 on text already read: `None` when the file is not ours. No file system
/// here (the language server and standard input call it directly); a request file's
/// environments come from [`environments`].
pub fn lint_text(
    name: &str,
    bytes: Vec<u8>,
    resolved: &Resolved,
    explicit: bool,
    envs: &[Environment],
) -> Option<Linted> {
    let cfg = resolved.config.as_deref();
    let settings = &resolved.settings;
    let Some(mut report) = lint::lint_file_in(name, bytes, settings, cfg, envs) else {
        // A request file with none of the family's requests: said once, when named.
        return explicit.then(|| Linted {
            report: FileReport::empty(name),
            usage: None,
        });
    };
    let ours = explicit
        || crate::http::is_request_file(name)
        || settings.operation.is_some()
        || cfg.is_some_and(|c| c.operation_for(name).is_some())
        || report
            .looks_like_request
            .unwrap_or_else(|| discover::may_be_request(report.text.as_bytes()));
    if !ours {
        return None;
    }
    let usage = resolved.config.as_ref().map(|c| {
        let mut usage = IgnoreUse::default();
        c.suppress(name, &mut report.diagnostics, &mut usage);
        (c.clone(), usage)
    });
    Some(Linted { report, usage })
}

/// What `--fix` gives for a file that is ours: its final report and text.
pub struct Fixed {
    pub linted: Linted,
    pub text: Vec<u8>,
    pub count: usize,
    pub rules: Vec<&'static crate::diagnostic::Rule>,
}

/// Step 7: fix in rounds, every round linted (and its ignores applied) as the first was.
/// `first` is the original's lint, reused; nothing is fixed for a suppressed finding.
pub fn fix_text(
    name: &str,
    bytes: &[u8],
    first: Linted,
    resolved: &Resolved,
    mode: FixMode,
    envs: &[Environment],
) -> Fixed {
    let mut usage = first.usage.clone();
    let mut first = Some(first.report);
    let fixed = crate::fix::fix(bytes.to_vec(), mode, |b| {
        if let Some(r) = first.take() {
            return Some(r);
        }
        // Once ours, always ours: a fix never makes a request body something else.
        let l = lint_text(name, b, resolved, true, envs)?;
        usage = l.usage;
        Some(l.report)
    })
    .expect("the first round is the report given");
    Fixed {
        linted: Linted {
            report: fixed.report,
            usage,
        },
        text: fixed.text,
        count: fixed.count,
        rules: fixed.rules,
    }
}

/// Where the fixes go.
#[derive(Clone, Copy)]
pub enum Sink<'a> {
    /// No fixing.
    Report,
    /// `--fix`: in place, atomically, and only inside `roots` (the trees given).
    Write { roots: &'a [PathBuf] },
    /// `--diff`: a unified diff in the report; nothing written.
    Diff,
}

/// One file to take through its life.
pub struct Job<'a> {
    pub path: &'a Path,
    /// Named on the command line (not found by a walk).
    pub named: bool,
    /// Linted whatever it holds (named without `--requests-only`).
    pub explicit: bool,
    /// The file, when the caller already opened it.
    pub opened: Option<(File, Metadata)>,
}

/// What a run needs from the caller for each file.
pub struct Context<'a> {
    pub resolver: &'a Resolver,
    /// `--include`/`--exclude` on the command line: `(selects, has includes)`.
    pub cli_select: &'a (dyn Fn(&str) -> bool + Sync),
    pub cli_includes: bool,
    pub sink: Sink<'a>,
    /// Is this file (by identity, from its `fstat`) still free to take? Claims it when it
    /// is.
    pub claim: &'a (dyn Fn(&Metadata, &str) -> bool + Sync),
    /// A fix is about to put a new file (this identity) at a path this run took.
    pub wrote: &'a (dyn Fn(Identity) + Sync),
}

/// What became of one file.
#[derive(Default)]
pub struct Outcome {
    pub report: Option<FileReport>,
    pub failure: Option<Failure>,
    pub broken: Option<Broken>,
    pub usage: Option<(Arc<Config>, IgnoreUse)>,
    pub identity: Option<Identity>,
}

/// How often a file that another writer changed meanwhile is taken again.
const RETRIES: usize = 5;

/// Steps 1 to 8 for a file on disk. Never panics: a panic inside is this file's failure.
pub fn process(job: Job<'_>, cx: &Context<'_>) -> Outcome {
    let name = display(job.path);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| process_inner(job, cx))) {
        Ok(o) => o,
        Err(payload) => Outcome {
            failure: Some(Failure {
                path: name,
                message: format!("internal error while linting: {}", panic_text(&*payload)),
            }),
            ..Outcome::default()
        },
    }
}

fn process_inner(job: Job<'_>, cx: &Context<'_>) -> Outcome {
    let name = display(job.path);
    // Lets the tests see what a panicking worker does; debug builds only.
    #[cfg(debug_assertions)]
    if name.contains("vpclint-test-panic") {
        panic!("deliberate test panic");
    }
    let fail = |message: String| Outcome {
        failure: Some(Failure {
            path: name.clone(),
            message,
        }),
        ..Outcome::default()
    };
    let resolved = match cx.resolver.for_file(job.path) {
        Ok(r) => r,
        Err(b) => {
            let message = format!("not linted: its config {} is invalid", display(&b.file));
            let mut o = fail(message);
            o.broken = Some(b);
            return o;
        }
    };
    let cfg = resolved.config.as_deref();
    let includes = cx.cli_includes || cfg.is_some_and(|c| !c.include.is_empty());
    let selected = (cx.cli_select)(&name) && cfg.is_none_or(|c| c.selects(&name));
    if !job.explicit && !selected {
        return Outcome::default();
    }
    // Include globs make a selected file one that is linted as if named.
    let explicit = job.explicit || includes;
    let mut opened = job.opened;
    let mut first = true;
    for _ in 0..RETRIES {
        let (file, meta) = match opened.take() {
            Some(x) => x,
            None => match fs::open_nonblocking(job.path) {
                Ok(x) => x,
                Err(m) => return fail(m),
            },
        };
        let identity = Identity::of(&meta);
        if first && !(cx.claim)(&meta, &name) {
            return Outcome::default();
        }
        first = false;
        let bytes = match fs::read_open_file(file, &meta, resolved.settings.max_file_size) {
            Ok(b) => b,
            Err(m) => return fail(m),
        };
        let mut out = Outcome {
            identity: Some(identity),
            ..Outcome::default()
        };
        let envs = match environments(&name, &resolved) {
            Ok(e) => e,
            Err(m) => return fail(m),
        };
        // The bytes become the report's text without a copy; only a file with something to
        // fix (few) takes its bytes back out of the report.
        let Some(linted) = lint_text(&name, bytes, &resolved, explicit, &envs) else {
            return out;
        };
        let mode = resolved.settings.fix;
        let fixing = !matches!(cx.sink, Sink::Report) && mode != FixMode::Off;
        if !fixing || !has_fix(&linted.report, mode) {
            out.usage = linted.usage;
            out.report = Some(linted.report);
            return out;
        }
        // A fix exists only in UTF-8 text, which the report holds byte for byte.
        let bytes = linted.report.text.clone().into_bytes();
        let original = linted.report.clone();
        let original_usage = linted.usage.clone();
        let fixed = fix_text(&name, &bytes, linted, &resolved, mode, &envs);
        if fixed.text == bytes {
            out.usage = fixed.linted.usage;
            out.report = Some(fixed.linted.report);
            return out;
        }
        let mut report = fixed.linted.report;
        report.set_fixes(fixed.count, fixed.rules, None);
        match cx.sink {
            Sink::Report => unreachable!("not fixing"),
            Sink::Diff => {
                let diff = crate::fix::unified_diff(
                    &name,
                    &String::from_utf8_lossy(&bytes),
                    &String::from_utf8_lossy(&fixed.text),
                );
                let fixes = report.fixes.get_or_insert_with(Default::default);
                fixes.diff = Some(diff);
            }
            Sink::Write { roots } => {
                fs::clean_up_on_signals();
                let new_identity = std::cell::Cell::new(None);
                let wrote = |id: Identity| {
                    new_identity.set(Some(id));
                    (cx.wrote)(id);
                };
                match fs::write_fixed(job.path, &fixed.text, &meta, &bytes, roots, &wrote) {
                    // The file is a new one now, under the same name.
                    Ok(Written::Done) => out.identity = new_identity.get(),
                    Ok(Written::Raced) => say(&format!(
                        "warning: {}: another program replaced the file right after it was fixed; its version is kept",
                        crate::base::escape_name(&name)
                    )),
                    // Someone wrote the file meanwhile: take it again as it is now.
                    Err(WriteError::Changed) => continue,
                    Err(WriteError::Failed(m)) => {
                        // The file is as it was: so is its report.
                        out.report = Some(original);
                        out.usage = original_usage;
                        out.failure = Some(Failure { path: name, message: m });
                        return out;
                    }
                }
            }
        }
        out.usage = fixed.linted.usage;
        out.report = Some(report);
        return out;
    }
    say(&format!(
        "warning: {}: it kept changing while it was being fixed; left as it is",
        crate::base::escape_name(&name)
    ));
    // Lint it as it is now, without fixing.
    let cx_report = Context {
        sink: Sink::Report,
        claim: &|_, _| true,
        wrote: &|_| {},
        ..*cx
    };
    process_inner(
        Job {
            path: job.path,
            named: job.named,
            explicit: job.explicit,
            opened: None,
        },
        &cx_report,
    )
}

/// Is there a fix the mode applies? (Most files have none: they skip the copy.)
fn has_fix(report: &FileReport, mode: FixMode) -> bool {
    report
        .diagnostics
        .iter()
        .filter_map(|d| d.fix.as_ref())
        .any(|f| mode.allows(f.applicability))
}

/// Standard input, as the file `name`: always ours (it was given), fixed in memory. Returns
/// the report and, when fixing, the fixed text.
pub fn process_stdin(
    name: &str,
    bytes: Vec<u8>,
    resolved: &Resolved,
) -> Result<(Linted, Option<Vec<u8>>), String> {
    let envs = environments(name, resolved)?;
    let linted =
        lint_text(name, bytes.clone(), resolved, true, &envs).expect("explicit files are ours");
    let mode = resolved.settings.fix;
    if mode == FixMode::Off {
        return Ok((linted, None));
    }
    let fixed = fix_text(name, &bytes, linted, resolved, mode, &envs);
    let mut report = fixed.linted.report;
    let diff = (fixed.text != bytes).then(|| {
        crate::fix::unified_diff(
            name,
            &String::from_utf8_lossy(&bytes),
            &String::from_utf8_lossy(&fixed.text),
        )
    });
    report.set_fixes(fixed.count, fixed.rules, diff);
    Ok((
        Linted {
            report,
            usage: fixed.linted.usage,
        },
        Some(fixed.text),
    ))
}

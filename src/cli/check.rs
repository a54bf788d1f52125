//! `vpclint check`: flags → a [`Resolver`] → the workspace's run → reporters → exit status.

use super::{print, status_of, CheckArgs, ColorWhen, OutputFormat};
use crate::base::{escape_name, say, Failure};
use crate::config::{self, Config, ConfigError};
use crate::diagnostic::Severity;
use crate::lint::{self, FileReport, Summary};
use crate::report;
use crate::rules;
use crate::settings::{FixMode, Flags, Settings};
use crate::workspace::file::{self as wfile, Sink};
use crate::workspace::resolve::{Broken, Choice, Resolver};
use crate::workspace::run::{self as wrun, Plan, Usage};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(super) fn report_config_error(e: &ConfigError) {
    match e.span.filter(|_| !e.text.is_empty()) {
        Some(span) => say(report::full::render_config_error(
            &escape_name(&e.path),
            &e.text,
            span,
            &e.message,
            e.help.as_deref(),
        )
        .trim_end()),
        None => say(&format!("error: {}: {}", escape_name(&e.path), e.message)),
    }
}

/// Everything `check` found, before it is rendered.
struct Found {
    reports: Vec<FileReport>,
    rendered: Vec<Option<String>>,
    failures: Vec<Failure>,
    broken: Vec<Broken>,
    usage: Vec<Usage>,
    /// With `--fix` on standard input: the fixed text, which is the output.
    stdin_fixed: Option<Vec<u8>>,
}

pub(super) fn check(mut args: CheckArgs, order: Vec<(String, Severity)>) -> i32 {
    let flags = Flags {
        levels: order,
        instance_ids_limit: args.instance_ids_limit.map(|n| n as usize),
        max_file_size: args.max_file_size,
        operation: args.operation.clone(),
        fix: args.fix || args.fix_only || args.diff,
        unsafe_fixes: args.unsafe_fixes,
        threads: args.threads.map(usize::from),
        http_env: args.http_env.clone(),
        no_respect_gitignore: args.no_respect_gitignore,
    };
    let choice = if args.no_config {
        Choice::None
    } else if let Some(p) = &args.config {
        Choice::File(p.clone())
    } else {
        Choice::Closest
    };
    let resolver = match Resolver::new(choice, flags.clone()) {
        Ok(r) => r,
        Err(m) => {
            say(&format!("error: {m}"));
            return 2;
        }
    };
    // A config that cannot be used, for the working directory or named by `--config`,
    // stops the run before anything is read (configs deeper in the tree fail their files).
    let here = resolver.for_dir(Path::new("."));
    if let Err(b) = &here {
        report_config_error(&b.error);
        return 2;
    }
    let mut cli_globs = Config {
        root: config::absolute(Path::new(".")),
        ..Config::default()
    };
    for (list, out) in [
        (&args.include, &mut cli_globs.include),
        (&args.exclude, &mut cli_globs.exclude),
    ] {
        for g in list {
            match config::Glob::new(g) {
                Ok(g) => out.push(g),
                Err(e) => {
                    say(&format!("error: invalid glob `{g}`: {e}"));
                    return 2;
                }
            }
        }
    }
    if args.show_settings {
        return match &here {
            Ok(r) => status_of(print(&show_settings(
                &r.settings,
                r.config.as_deref(),
                &flags,
            ))),
            Err(b) => {
                report_config_error(&b.error);
                2
            }
        };
    }
    let color = match args.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    // The schema compile is most of a short run: start it now, so that it overlaps with
    // finding, reading and parsing the files.
    if let Ok(r) = &here {
        crate::schema::prepare(
            r.settings
                .operation
                .unwrap_or_else(crate::operation::default),
        );
    }
    // Flags that would otherwise be ignored without a word.
    if args.diff
        && !matches!(
            args.output_format,
            OutputFormat::Full | OutputFormat::Concise
        )
    {
        say("error: --diff prints a unified diff; it cannot be combined with --output-format other than full or concise");
        return 2;
    }
    if args.statistics
        && !matches!(
            args.output_format,
            OutputFormat::Full | OutputFormat::Concise | OutputFormat::Json
        )
    {
        say("error: --statistics prints text or, with --output-format json, JSON; not another format");
        return 2;
    }
    // `--stdin-filename NAME` alone reads standard input, as ruff does.
    let stdin = (args.paths.len() == 1 && args.paths[0].as_os_str() == "-")
        || (args.paths.is_empty() && args.stdin_filename.is_some());
    // Full and concise output are one part per file, rendered by the worker that linted it
    // (with --quiet, errors only); the other formats need the whole run.
    let per_file = !stdin
        && !args.show_files
        && !args.diff
        && !args.fix_only
        && !args.statistics
        && matches!(
            args.output_format,
            OutputFormat::Full | OutputFormat::Concise
        );
    let quiet = args.quiet;
    let format = args.output_format;
    let render_one = move |r: &FileReport| -> String {
        let shown;
        let r = if quiet && r.diagnostics.iter().any(|d| d.severity != Severity::Error) {
            let mut c = r.clone();
            c.diagnostics.retain(|d| d.severity == Severity::Error);
            shown = c;
            &shown
        } else {
            r
        };
        match format {
            OutputFormat::Full => report::full::render(std::slice::from_ref(r), color),
            _ if color => report::color_concise(&report::concise(std::slice::from_ref(r))),
            _ => report::concise(std::slice::from_ref(r)),
        }
    };
    // Outlives the run: the process exits before 10 000 paths would be freed one by one.
    let mut paths = Vec::new();
    let mut found = if stdin {
        read_stdin(&args, &resolver)
    } else {
        paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            std::mem::take(&mut args.paths)
        };
        let writes = flags.fix && !args.diff && !args.show_files;
        // Fixes are written only inside the trees given (a symlink out of them is refused);
        // only a run that writes needs to know them.
        let roots: Vec<PathBuf> = if writes { roots_of(&paths) } else { Vec::new() };
        if writes {
            // From the start: an interrupted run leaves no temporary file behind.
            crate::workspace::fs::clean_up_on_signals();
        }
        let sink = if args.show_files {
            Sink::Report
        } else if args.diff {
            Sink::Diff
        } else if writes {
            Sink::Write { roots: &roots }
        } else {
            Sink::Report
        };
        let threads = flags
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let cli_select = |p: &str| cli_globs.selects(p);
        let plan = Plan {
            paths: &paths,
            requests_only: args.requests_only,
            resolver: &resolver,
            cli_select: &cli_select,
            cli_includes: !args.include.is_empty(),
            sink,
            threads,
            render: per_file.then_some(&render_one as wrun::Render<'_>),
        };
        let ran = wrun::run(&plan);
        Found {
            reports: ran.reports,
            rendered: ran.rendered,
            failures: ran.failures,
            broken: ran.broken,
            usage: ran.usage,
            stdin_fixed: None,
        }
    };
    for b in &found.broken {
        report_config_error(&b.error);
    }
    if args.show_files {
        for f in &found.failures {
            say(&format!("error: {}: {}", escape_name(&f.path), f.message));
        }
        let written = print(&show_files(&found.reports, &resolver));
        return if written.is_err() || !found.failures.is_empty() {
            2
        } else {
            0
        };
    }
    across_files(&mut found, &resolver, per_file.then_some(&render_one));
    if let Some(file) = &args.write_baseline {
        for f in &found.failures {
            say(&format!("error: {}: {}", escape_name(&f.path), f.message));
        }
        return match crate::workspace::baseline::write(file, &found.reports) {
            Ok(n) => {
                say(&format!(
                    "wrote {n} finding{} to the baseline {}; check with `--baseline {}` to see only new ones",
                    if n == 1 { "" } else { "s" },
                    crate::base::display(file),
                    crate::base::display(file)
                ));
                if found.failures.is_empty() && found.broken.is_empty() {
                    0
                } else {
                    2
                }
            }
            Err(m) => {
                say(&format!("error: {m}"));
                2
            }
        };
    }
    let baseline_file = args.baseline.clone().or_else(|| {
        here.as_ref()
            .ok()
            .and_then(|r| r.config.as_ref())
            .and_then(|c| c.baseline.clone())
    });
    if let Some(file) = baseline_file {
        let limit = here
            .as_ref()
            .map_or(crate::settings::DEFAULT_MAX_FILE_SIZE, |r| {
                r.settings.max_file_size
            });
        match crate::workspace::baseline::Baseline::read(&file, limit) {
            Ok(b) => {
                if let Some(stale) = b.apply(&mut found.reports) {
                    found.rendered.push(None);
                    found.reports.push(stale);
                }
                // What the baseline held is gone from the reports: render them again.
                if per_file {
                    for (r, slot) in found.reports.iter().zip(found.rendered.iter_mut()) {
                        *slot = Some(render_one(r));
                    }
                }
            }
            Err(m) => {
                say(&format!("error: {m}"));
                return 2;
            }
        }
    }
    unused_ignores(&mut found, &flags, per_file.then_some(&render_one));
    let nothing = found.reports.is_empty() && found.failures.is_empty() && !stdin;
    let status = finish(args, found, per_file, color, nothing);
    std::mem::forget(paths);
    status
}

/// Standard input, as the file `--stdin-filename` names, with that file's settings.
fn read_stdin(args: &CheckArgs, resolver: &Resolver) -> Found {
    let name = args.stdin_filename.clone().unwrap_or_else(|| "-".into());
    let mut found = Found {
        reports: Vec::new(),
        rendered: Vec::new(),
        failures: Vec::new(),
        broken: Vec::new(),
        usage: Vec::new(),
        stdin_fixed: None,
    };
    let resolved = match resolver.for_file(Path::new(&name)) {
        Ok(r) => r,
        Err(b) => {
            found.failures.push(Failure {
                path: name,
                message: format!("not linted: its config {} is invalid", b.file.display()),
            });
            found.broken.push(b);
            return found;
        }
    };
    let limit = resolved.settings.max_file_size;
    let mut bytes = Vec::new();
    match std::io::stdin()
        .lock()
        .take(limit + 1)
        .read_to_end(&mut bytes)
    {
        Ok(_) if bytes.len() as u64 > limit => found.failures.push(Failure {
            path: name,
            message: crate::workspace::fs::too_large(bytes.len() as u64, limit),
        }),
        Ok(_) => match wfile::process_stdin(&name, bytes.clone(), &resolved) {
            Ok((mut linted, fixed)) => {
                if args.stdin_filename.is_none() && looks_like_request_file(&bytes) {
                    for d in &mut linted.report.diagnostics {
                        if d.rule.name == "invalid-json" {
                            d.help = Some(
                                "standard input looks like a request file: name it, e.g. `--stdin-filename request.http`"
                                    .into(),
                            );
                        }
                    }
                }
                if let Some((config, usage)) = linted.usage {
                    found.usage.push(Usage { config, usage });
                }
                found.reports.push(linted.report);
                found.rendered.push(None);
                found.stdin_fixed = fixed;
            }
            Err(message) => found.failures.push(Failure {
                path: name,
                message,
            }),
        },
        Err(e) => found.failures.push(Failure {
            path: name,
            message: format!("cannot read standard input: {e}"),
        }),
    }
    found
}

/// Does text start like a `.http` file (`###`, `@var = …`, or a request line)?
fn looks_like_request_file(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    text.lines()
        .map(str::trim)
        .find(|l| {
            !l.is_empty() && !l.starts_with("//") && (!l.starts_with('#') || l.starts_with("###"))
        })
        .is_some_and(|l| {
            l.starts_with("###")
                || l.starts_with('@')
                || [
                    "GET ", "POST ", "PUT ", "PATCH ", "DELETE ", "HEAD ", "OPTIONS ",
                ]
                .iter()
                .any(|m| l.to_ascii_uppercase().starts_with(m))
        })
}

/// The directories fixes may be written in: the trees given, resolved.
fn roots_of(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = paths
        .iter()
        .filter_map(|p| {
            let dir = if p.is_dir() {
                p.as_path()
            } else {
                p.parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
            };
            std::fs::canonicalize(dir).ok()
        })
        .collect();
    roots.sort();
    roots.dedup();
    roots
}

/// `duplicate-channel-name` and any other finding across files: each lands in its file with
/// that file's ignores and severities; those few files are rendered again.
fn across_files(
    found: &mut Found,
    resolver: &Resolver,
    render: Option<&dyn Fn(&FileReport) -> String>,
) {
    for (idx, mut d) in lint::across_files(&found.reports) {
        let r = &mut found.reports[idx];
        let Ok(resolved) = resolver.for_file(Path::new(&r.path)) else {
            continue;
        };
        let mut kept = vec![d.clone()];
        if let Some(c) = &resolved.config {
            let mut usage = config::IgnoreUse::default();
            c.suppress(&r.path, &mut kept, &mut usage);
            merge_usage(&mut found.usage, c, &usage);
        }
        if kept.is_empty() {
            continue;
        }
        d.severity = resolved.settings.severity_from(d.rule, d.base_severity);
        if d.severity == Severity::Off {
            continue;
        }
        r.diagnostics.push(d);
        lint::finish(&mut r.diagnostics, &resolved.settings);
        if let (Some(render), Some(slot)) = (render, found.rendered.get_mut(idx)) {
            *slot = Some(render(r));
        }
    }
}

fn merge_usage(all: &mut Vec<Usage>, c: &Arc<Config>, u: &config::IgnoreUse) {
    match all.iter_mut().find(|x| x.config.path == c.path) {
        Some(x) => x.usage.merge(u),
        None => all.push(Usage {
            config: c.clone(),
            usage: u.clone(),
        }),
    }
}

/// `unused-ignore` on each config whose ignores matched linted files but hid nothing.
fn unused_ignores(
    found: &mut Found,
    flags: &Flags,
    render: Option<&dyn Fn(&FileReport) -> String>,
) {
    for u in &found.usage {
        let mut diagnostics = u.config.unused_ignores(&u.usage);
        if diagnostics.is_empty() {
            continue;
        }
        let settings = Settings::resolve(Some(&u.config), flags).unwrap_or_default();
        lint::finish(&mut diagnostics, &settings);
        if diagnostics.is_empty() {
            continue;
        }
        let mut own = FileReport::empty(&u.config.path);
        own.text = u.config.text.clone();
        own.looks_like_request = None;
        own.diagnostics = diagnostics;
        found.rendered.push(render.map(|r| r(&own)));
        found.reports.push(own);
    }
}

fn finish(args: CheckArgs, found: Found, per_file: bool, color: bool, nothing: bool) -> i32 {
    let Found {
        mut reports,
        rendered,
        failures,
        broken,
        stdin_fixed,
        ..
    } = found;
    if nothing {
        say("warning: no VPC channel request files found under the given paths");
    }
    let summary = Summary::of(&reports);
    if args.quiet {
        for r in &mut reports {
            r.diagnostics.retain(|d| d.severity == Severity::Error);
        }
    }
    let shown = Summary::of(&reports);
    let fixed_any = summary.fixed > 0;
    let block = report::summary_block(&summary, &shown, args.quiet, args.unsafe_fixes);
    let mut out = if per_file {
        let mut s: String = rendered.iter().flatten().map(String::as_str).collect();
        s.push_str(&block);
        s
    } else if args.diff {
        let diff = reports
            .iter()
            .filter_map(|r| r.fix_diff().map(str::to_owned))
            .collect::<String>();
        // What the diff leaves out, said as ruff says it.
        if !args.unsafe_fixes && summary.unsafe_fixable > 0 {
            let n = summary.unsafe_fixable;
            say(&format!(
                "({n} hidden fix{} can be enabled with `--unsafe-fixes`)",
                if n == 1 { "" } else { "es" }
            ));
        }
        if color {
            report::color_diff(&diff)
        } else {
            diff
        }
    } else if let Some(text) = &stdin_fixed {
        // The fixed text is the output; what remains goes to standard error.
        if !args.fix_only {
            let mut remaining = report::concise(&reports);
            remaining.push_str(&block);
            say(remaining.trim_end());
        }
        String::from_utf8_lossy(text).into_owned()
    } else if args.fix_only {
        let files = reports.iter().filter(|r| r.fixed() > 0).count();
        format!(
            "fixed {} problem{} in {} file{}\n",
            summary.fixed,
            if summary.fixed == 1 { "" } else { "s" },
            files,
            if files == 1 { "" } else { "s" },
        )
    } else if args.statistics {
        match args.output_format {
            OutputFormat::Json => report::statistics_json(&reports),
            _ => report::statistics(&reports, &shown),
        }
    } else {
        match args.output_format {
            OutputFormat::Full => {
                let mut s = report::full::render(&reports, color);
                s.push_str(&block);
                s
            }
            OutputFormat::Concise => {
                let mut s = report::concise(&reports);
                if color {
                    s = report::color_concise(&s);
                }
                s.push_str(&block);
                s
            }
            OutputFormat::Json => report::json(&reports, &failures),
            OutputFormat::Sarif => report::sarif::render(&reports, &failures),
            OutputFormat::Github => report::ci::github(&reports, &failures),
            OutputFormat::Junit => report::ci::junit(&reports, &failures),
            OutputFormat::Gitlab => report::ci::gitlab(&reports, &failures),
        }
    };
    if args.show_fixes && (args.fix || args.fix_only) && stdin_fixed.is_none() {
        out.push_str(&report::show_fixes(&reports));
    }
    let written = match &args.output_file {
        Some(p) => crate::workspace::fs::write_report(p, out.as_bytes())
            .map_err(|m| say(&format!("error: {m}"))),
        None => print(&out),
    };
    for f in &failures {
        say(&format!("error: {}: {}", escape_name(&f.path), f.message));
    }
    if written.is_err() {
        return 2;
    }
    // The process exits next: freeing every report one by one would only cost time.
    std::mem::forget(reports);
    let failed = !failures.is_empty() || !broken.is_empty();
    if args.diff {
        // What --diff promises: 1 when --fix would change something.
        return if failed { 2 } else { i32::from(fixed_any) };
    }
    if args.exit_non_zero_on_fix && fixed_any && !failed {
        return 1;
    }
    if args.fix_only {
        return if failed { 2 } else { 0 };
    }
    if let Some(m) = args.max_warnings.filter(|m| summary.warnings > *m) {
        say(&format!(
            "error: {} warning{} found, more than --max-warnings {m} allows",
            summary.warnings,
            if summary.warnings == 1 { "" } else { "s" }
        ));
    }
    exit_status(&summary, failed, args.exit_zero, args.max_warnings)
}

/// 2 when the run failed; else 0 with --exit-zero; else 1 on errors or too many warnings.
pub fn exit_status(
    s: &Summary,
    run_failed: bool,
    exit_zero: bool,
    max_warnings: Option<usize>,
) -> i32 {
    if run_failed {
        2
    } else if exit_zero {
        0
    } else if s.errors > 0 || max_warnings.is_some_and(|m| s.warnings > m) {
        1
    } else {
        0
    }
}

/// `--show-files`: exactly the files `check` lints (the same run decided it), and as what.
fn show_files(reports: &[FileReport], resolver: &Resolver) -> String {
    let mut out = String::new();
    for r in reports {
        let path = &r.path;
        let what = if crate::http::is_request_file(path) {
            "request file: each request's line decides".to_owned()
        } else {
            let resolved = resolver.for_file(Path::new(path)).ok();
            let cfg = resolved.as_ref().and_then(|x| x.config.as_deref());
            let from_cfg = cfg.and_then(|k| k.operation_for(path)).is_some();
            let why = if from_cfg {
                "[[operations]] in vpclint.toml"
            } else if resolved
                .as_ref()
                .is_some_and(|x| x.settings.operation.is_some())
            {
                "--operation"
            } else {
                "default"
            };
            format!("{} ({why})", r.operation.id)
        };
        out.push_str(&format!("{}\t{what}\n", escape_name(path)));
    }
    out
}

/// `--show-settings`: the resolved settings and where each came from.
fn show_settings(settings: &Settings, cfg: Option<&Config>, flags: &Flags) -> String {
    let source = |flag: bool, config: bool| {
        if flag {
            "command line"
        } else if config {
            "vpclint.toml"
        } else {
            "default"
        }
    };
    let mut out = String::new();
    out.push_str(&format!(
        "config: {}\n",
        cfg.map_or("none".to_owned(), |c| c.path.clone())
    ));
    out.push_str(&format!(
        "instance-ids-limit = {}  # {}\n",
        settings.instance_ids_limit,
        source(
            flags.instance_ids_limit.is_some(),
            cfg.is_some_and(|c| c.instance_ids_limit.is_some())
        )
    ));
    out.push_str(&format!(
        "max-file-size = {}  # {}\n",
        settings.max_file_size,
        source(
            flags.max_file_size.is_some(),
            cfg.is_some_and(|c| c.max_file_size.is_some())
        )
    ));
    out.push_str(&format!(
        "operation = {}  # {}\n",
        settings
            .operation
            .unwrap_or_else(crate::operation::default)
            .id,
        source(flags.operation.is_some(), false)
    ));
    out.push_str(&format!(
        "http-env = {}  # {}\n",
        settings.http_env.as_deref().unwrap_or("(none)"),
        source(
            flags.http_env.is_some(),
            cfg.is_some_and(|c| c.http_env.is_some())
        )
    ));
    if let Some(c) = cfg {
        for (g, op) in &c.operations {
            out.push_str(&format!(
                "[[operations]] {} -> {}  # vpclint.toml\n",
                g.text, op.id
            ));
        }
    }
    out.push_str(&format!(
        "fix = {}  # {}\n",
        match settings.fix {
            FixMode::Off => "off",
            FixMode::Apply {
                unsafe_fixes: false,
            } => "safe fixes",
            FixMode::Apply { unsafe_fixes: true } => "safe and unsafe fixes",
        },
        source(flags.fix, false)
    ));
    out.push_str("[rules]  # severity of each rule, after every override\n");
    for r in rules::ALL {
        let sev = settings.severity_of(r);
        let flagged = flags.levels.iter().any(|(n, _)| {
            n == r.name
                || n == r.group
                || (n == "warnings" && r.default_severity == Severity::Warning)
        });
        let why = if flagged {
            "command line"
        } else if cfg.is_some_and(|c| c.levels.iter().any(|(t, _)| t.covers(r))) {
            "vpclint.toml"
        } else {
            "default"
        };
        out.push_str(&format!("{} = \"{}\"  # {why}\n", r.name, sev));
    }
    out
}

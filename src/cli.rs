//! The command line: parse flags, gather files, lint them in parallel, render, exit.

use crate::config::{self, Config, ConfigError};
use crate::diagnostic::Severity;
use crate::discover::{self, Candidate, Failure};
use crate::report;
use crate::rules;
use crate::{check_across_files, FileReport, Flags, Settings, Summary};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Parser, Debug)]
#[command(
    name = "vpclint",
    version,
    about = "Lint ROMA Connect 'Create a VPC channel' request bodies offline"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint files and directories (default: the current directory).
    Check(Box<CheckArgs>),
    /// List every rule with its default severity.
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Explain a rule: what it checks, why, a failing and a passing example.
    Explain { rule: String },
    /// Print a body's JSON Schema (for editors' json.schemas and other tools).
    Schema {
        /// The operation whose body schema to print (default roma:CreateProjectVpcChannel).
        #[arg(long, value_name = "ID")]
        operation: Option<String>,
    },
    /// List the operations of the VPC channel API family: id, method, path.
    Operations {
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Run the Language Server on stdin/stdout (diagnostics, hover, quick fixes).
    Lsp,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum RulesFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Full,
    Concise,
    Json,
    Sarif,
    Github,
    Junit,
    Gitlab,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files or directories; `-` reads standard input.
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Full)]
    pub output_format: OutputFormat,
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// The name under which standard input (`-`) is reported.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// The instance-ID quota (PROJECT_VPC_OPERATOR_NUM_LIMIT) if yours was raised.
    /// (10 by default, or `instance-ids-limit` in vpclint.toml).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub instance_ids_limit: Option<u32>,
    /// Refuse files larger than this many bytes (default 268435456 = 256 MiB, or
    /// `max-file-size` in vpclint.toml).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_file_size: Option<u64>,
    /// Lint JSON files as this operation's body (see `vpclint operations`); a `.http` file's
    /// request line and `[[operations]]` in vpclint.toml take precedence.
    #[arg(long, value_name = "ID")]
    pub operation: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Make RULE an error; `--deny warnings` makes every warning an error. Repeatable;
    /// among --deny/--warn/--allow the later flag wins.
    #[arg(long, value_name = "RULE|warnings")]
    pub deny: Vec<String>,
    /// Make RULE a warning.
    #[arg(long, value_name = "RULE")]
    pub warn: Vec<String>,
    /// Turn RULE off.
    #[arg(long, value_name = "RULE")]
    pub allow: Vec<String>,
    /// Fail (exit 1) when there are more than N warnings.
    #[arg(long, value_name = "N")]
    pub max_warnings: Option<usize>,
    /// Exit 0 even when there are errors (2 still reports a failed run).
    #[arg(long)]
    pub exit_zero: bool,
    /// Report errors only.
    #[arg(long, short)]
    pub quiet: bool,
    /// The config file (default: the closest vpclint.toml upward from the working directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any vpclint.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Lint only discovered files matching GLOB (repeatable); named files are always linted.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip discovered files matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Treat named files like discovered ones: lint them only if they are VPC channel
    /// requests and pass the include/exclude globs. For pre-commit and other tools that
    /// pass every *.json file by name.
    #[arg(long)]
    pub requests_only: bool,
}

/// Parse the process arguments and run; returns the exit status.
pub fn main() -> i32 {
    // A panic is caught where it happens and reported as a failure of that file (exit 2) in
    // one line; the default hook's multi-line message would only add noise.
    std::panic::set_hook(Box::new(|_| {}));
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let order = matches
        .subcommand_matches("check")
        .map(level_flag_order)
        .unwrap_or_default();
    run_with_order(cli, order)
}

/// `--deny/--warn/--allow` values in command-line order, so that the later one wins.
fn level_flag_order(m: &ArgMatches) -> Vec<(String, Severity)> {
    let mut v: Vec<(usize, String, Severity)> = Vec::new();
    for (id, sev) in [
        ("deny", Severity::Error),
        ("warn", Severity::Warning),
        ("allow", Severity::Off),
    ] {
        if let (Some(vals), Some(idx)) = (m.get_many::<String>(id), m.indices_of(id)) {
            v.extend(vals.zip(idx).map(|(val, i)| (i, val.clone(), sev)));
        }
    }
    v.sort_by_key(|x| x.0);
    v.into_iter().map(|(_, n, s)| (n, s)).collect()
}

/// Run with flags in the order written (`deny` first, then `warn`, then `allow` when the
/// order is unknown, as for a `Cli` built in code).
pub fn run(cli: Cli) -> i32 {
    let order = match &cli.command {
        Command::Check(a) => a
            .deny
            .iter()
            .map(|r| (r.clone(), Severity::Error))
            .chain(a.warn.iter().map(|r| (r.clone(), Severity::Warning)))
            .chain(a.allow.iter().map(|r| (r.clone(), Severity::Off)))
            .collect(),
        _ => Vec::new(),
    };
    run_with_order(cli, order)
}

fn operations_list(format: RulesFormat) -> String {
    let ops = crate::operation::all();
    match format {
        RulesFormat::Json => {
            let list: Vec<_> = ops
                .iter()
                .map(|o| serde_json::json!({"id": o.id, "method": o.method, "path": o.path, "product": o.product_name()}))
                .collect();
            serde_json::to_string_pretty(&list).expect("plain data") + "\n"
        }
        RulesFormat::Markdown => {
            let mut s = String::from("| id | method | path |\n|---|---|---|\n");
            for o in ops {
                s.push_str(&format!("| `{}` | {} | `{}` |\n", o.id, o.method, o.path));
            }
            s
        }
        RulesFormat::Text => {
            let width = ops.iter().map(|o| o.id.len()).max().unwrap_or(0);
            ops.iter()
                .map(|o| format!("{:width$}  {:<4}  {}\n", o.id, o.method, o.path))
                .collect()
        }
    }
}

fn status_of(written: Result<(), ()>) -> i32 {
    if written.is_ok() {
        0
    } else {
        2
    }
}

fn run_with_order(cli: Cli, order: Vec<(String, Severity)>) -> i32 {
    let status = run_command(cli, order);
    with_stderr_check(status)
}

fn run_command(cli: Cli, order: Vec<(String, Severity)>) -> i32 {
    match cli.command {
        Command::Rules { format } => {
            let text = match format {
                RulesFormat::Text => report::rules_list(),
                RulesFormat::Markdown => report::rules_markdown_table(),
                RulesFormat::Json => {
                    let list: Vec<_> = rules::ALL
                        .iter()
                        .map(|r| serde_json::json!({"name": r.name, "severity": r.default_severity.as_str(), "group": r.group, "summary": r.summary}))
                        .collect();
                    serde_json::to_string_pretty(&list).expect("plain data") + "\n"
                }
            };
            status_of(print(&text))
        }
        Command::Explain { rule } => match rules::find(&rule) {
            Some(r) => status_of(print(&r.markdown())),
            None => {
                let close = rules::closest_names(&rule);
                let hint = if close.is_empty() {
                    "run `vpclint rules` for the list".to_owned()
                } else {
                    format!("did you mean {}?", close.join(", "))
                };
                say(&format!("error: unknown rule `{rule}`; {hint}"));
                2
            }
        },
        Command::Schema { operation } => {
            let op = match operation.as_deref().map(crate::operation::find) {
                None => crate::operation::default(),
                Some(Ok(op)) => op,
                Some(Err(m)) => {
                    say(&format!("error: {m}"));
                    return 2;
                }
            };
            status_of(print(&crate::schema::text(op)))
        }
        Command::Operations { format } => status_of(print(&operations_list(format))),
        Command::Check(args) => check(*args, order),
        Command::Lsp => crate::lsp::run(),
    }
}

/// Write to standard output. A closed pipe (`vpclint check | head`) is the reader's choice
/// and stays quiet; any other failure (`> /dev/full`) loses the report, so the run fails.
fn print(text: &str) -> Result<(), ()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            say(&format!(
                "error: cannot write the report to standard output: {e}"
            ));
            Err(())
        }
    }
}

/// One line on standard error. Never panics (`eprintln!` does when stderr is closed); a
/// failed write is remembered so that the run exits 2.
pub(crate) fn say(line: &str) {
    let mut err = std::io::stderr().lock();
    if writeln!(err, "{line}").and_then(|()| err.flush()).is_err() {
        STDERR_FAILED.store(true, Ordering::Relaxed);
    }
}

static STDERR_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Exit status 2 when a message could not be written to standard error.
fn with_stderr_check(status: i32) -> i32 {
    if STDERR_FAILED.load(Ordering::Relaxed) {
        2
    } else {
        status
    }
}

fn report_config_error(e: &ConfigError) {
    match e.span.filter(|_| !e.text.is_empty()) {
        Some(span) => say(report::full::render_config_error(
            &e.path,
            &e.text,
            span,
            &e.message,
            e.help.as_deref(),
        )
        .trim_end()),
        None => say(&format!("error: {}: {}", e.path, e.message)),
    }
}

fn check(args: CheckArgs, order: Vec<(String, Severity)>) -> i32 {
    let cfg = if args.no_config {
        None
    } else {
        let path = args
            .config
            .clone()
            .or_else(|| Config::find_upward(Path::new(".")));
        match path.map(|p| Config::load(&p)) {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                report_config_error(&e);
                return 2;
            }
            None => None,
        }
    };
    let flags = Flags {
        levels: order,
        instance_ids_limit: args.instance_ids_limit.map(|n| n as usize),
        max_file_size: args.max_file_size,
        operation: args.operation.clone(),
    };
    let settings = match Settings::resolve(cfg.as_ref(), &flags) {
        Ok(s) => s,
        Err(m) => {
            say(&format!("error: {m}"));
            return 2;
        }
    };
    let mut globs = Config {
        root: config::absolute(Path::new(".")),
        ..Config::default()
    };
    for (list, out) in [
        (&args.include, &mut globs.include),
        (&args.exclude, &mut globs.exclude),
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

    let (mut reports, failures) = if args.paths.len() == 1 && args.paths[0].as_os_str() == "-" {
        let name = args.stdin_filename.clone().unwrap_or_else(|| "-".into());
        let mut bytes = Vec::new();
        let limit = settings.max_file_size;
        match std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
        {
            Ok(_) if bytes.len() as u64 > limit => (
                Vec::new(),
                vec![Failure {
                    path: name,
                    message: too_large(bytes.len() as u64, limit),
                }],
            ),
            Ok(_) => (
                vec![lint_stdin(&name, bytes, &settings, cfg.as_ref())],
                Vec::new(),
            ),
            Err(e) => (
                Vec::new(),
                vec![Failure {
                    path: name,
                    message: format!("cannot read standard input: {e}"),
                }],
            ),
        }
    } else {
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        let includes =
            !args.include.is_empty() || cfg.as_ref().is_some_and(|k| !k.include.is_empty());
        let (mut cands, mut failures) = discover::candidates(&paths, includes);
        if args.requests_only {
            for c in &mut cands {
                c.explicit = false;
            }
        }
        cands.retain(|c| {
            if c.explicit {
                return true;
            }
            let p = discover::display(&c.path);
            cfg.as_ref().is_none_or(|k| k.selects(&p)) && globs.selects(&p)
        });
        // Files chosen by an include glob are linted as if named.
        if includes {
            for c in &mut cands {
                c.explicit = true;
            }
        }
        let threads = args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let (reports, more) = lint_all(&cands, &settings, cfg.as_ref(), threads);
        failures.extend(more);
        (reports, failures)
    };
    check_across_files(&mut reports, &settings);
    if let Some(c) = &cfg {
        if let Some(mut own) = c.apply_ignores(&mut reports) {
            crate::finish(&mut own.diagnostics, &settings);
            if !own.diagnostics.is_empty() {
                reports.push(own);
            }
        }
    }
    let summary = Summary::of(&reports);
    if args.quiet {
        for r in &mut reports {
            r.diagnostics.retain(|d| d.severity == Severity::Error);
        }
    }
    let shown = Summary::of(&reports);
    let color = match args.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let out = match args.output_format {
        OutputFormat::Full => {
            let mut s = report::full::render(&reports, color);
            s.push_str(&report::summary_line(&shown));
            s.push('\n');
            s
        }
        OutputFormat::Concise => {
            let mut s = report::concise(&reports);
            s.push_str(&report::summary_line(&shown));
            s.push('\n');
            s
        }
        OutputFormat::Json => report::json(&reports, &failures),
        OutputFormat::Sarif => report::sarif::render(&reports, &failures),
        OutputFormat::Github => report::ci::github(&reports, &failures),
        OutputFormat::Junit => report::ci::junit(&reports, &failures),
        OutputFormat::Gitlab => report::ci::gitlab(&reports, &failures),
    };
    let written = print(&out);
    for f in &failures {
        say(&format!("error: {}: {}", f.path, f.message));
    }
    if written.is_err() {
        return 2;
    }
    // The process exits next: freeing every report one by one would only cost time.
    std::mem::forget(reports);
    exit_status(
        &summary,
        !failures.is_empty(),
        args.exit_zero,
        args.max_warnings,
    )
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

/// Standard input, linted as the file it is named as (`--stdin-filename`).
fn lint_stdin(name: &str, bytes: Vec<u8>, settings: &Settings, cfg: Option<&Config>) -> FileReport {
    if crate::http::is_request_file(name) {
        if let Some(r) = crate::http::lint(name, bytes.clone(), settings) {
            return r;
        }
    }
    let op = cfg
        .and_then(|k| k.operation_for(name))
        .or(settings.operation)
        .unwrap_or_else(crate::operation::default);
    crate::lint_owned(name, bytes, settings, op)
}

/// Read a file that is a regular file *when opened* and not larger than `limit`. The type
/// is checked with `fstat` on the open handle (a path checked before opening can be swapped
/// for a FIFO); the open itself does not block on a FIFO (`O_NONBLOCK`); the read is
/// bounded, so a file that grows past the limit meanwhile is refused too.
pub(crate) fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NONBLOCK: i32 = 0o4000; // Linux, and the value on every libc this builds for
        options.custom_flags(O_NONBLOCK);
    }
    let file = options
        .open(path)
        .map_err(|e| format!("cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > limit {
        return Err(too_large(meta.len(), limit));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64, limit));
    }
    Ok(bytes)
}

fn too_large(size: u64, limit: u64) -> String {
    format!(
        "the file is larger than the limit ({size} > {limit} bytes); raise it with --max-file-size or `max-file-size` in vpclint.toml"
    )
}

/// Read and lint every candidate on `threads` workers; the result keeps candidate order.
type Outcome = Result<Option<FileReport>, Failure>;

/// Below this many files, linting in parallel costs more than it saves.
const PARALLEL_FROM: usize = 32;

pub fn lint_all(
    cands: &[Candidate],
    settings: &Settings,
    cfg: Option<&Config>,
    threads: usize,
) -> (Vec<FileReport>, Vec<Failure>) {
    // Small runs stay on this thread: waking another core costs milliseconds on a VM, more
    // than linting a pre-commit-sized batch (measured: 1 file 12.8 ms -> 5.3 ms).
    if threads <= 1 || cands.len() < PARALLEL_FROM {
        let mut reports = Vec::with_capacity(cands.len());
        let mut failures = Vec::new();
        for c in cands {
            match lint_candidate(c, settings, cfg) {
                Ok(Some(r)) => reports.push(r),
                Ok(None) => {}
                Err(f) => failures.push(f),
            }
        }
        return (reports, failures);
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<Outcome>> = Vec::new();
    slots.resize_with(cands.len(), || None);
    let threads = threads.clamp(1, cands.len().max(1));
    let results: Vec<Vec<(usize, Outcome)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(c) = cands.get(i) else { break };
                        mine.push((i, lint_candidate(c, settings, cfg)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (i, r) in results.into_iter().flatten() {
        slots[i] = Some(r);
    }
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for (i, slot) in slots.into_iter().enumerate() {
        // A worker that died outside a file's own catch took its results with it: its
        // files are failures, never silently missing.
        let slot = slot.unwrap_or_else(|| {
            Err(Failure {
                path: discover::display(&cands[i].path),
                message: "internal error: the worker linting this file stopped".into(),
            })
        });
        match slot {
            Ok(Some(r)) => reports.push(r),
            Ok(None) => {}
            Err(f) => failures.push(f),
        }
    }
    (reports, failures)
}

/// Lint one candidate; a panic inside becomes a failure of that file, never a lost file.
fn lint_candidate(c: &Candidate, settings: &Settings, cfg: Option<&Config>) -> Outcome {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lint_candidate_inner(c, settings, cfg)
    })) {
        Ok(o) => o,
        Err(payload) => Err(Failure {
            path: discover::display(&c.path),
            message: format!("internal error while linting: {}", panic_text(&*payload)),
        }),
    }
}

pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned())
}

fn lint_candidate_inner(c: &Candidate, settings: &Settings, cfg: Option<&Config>) -> Outcome {
    let path = discover::display(&c.path);
    // Lets the tests see what a panicking worker does; debug builds only.
    #[cfg(debug_assertions)]
    if path.contains("vpclint-test-panic") {
        panic!("deliberate test panic");
    }
    let fail = |message: String| Failure {
        path: path.clone(),
        message,
    };
    let bytes = read_regular_file(&c.path, settings.max_file_size).map_err(fail)?;
    // What the file is: a request file says it on its request lines; otherwise the
    // config's `[[operations]]`, then `--operation`, then the default.
    if crate::http::is_request_file(&path) {
        return Ok(match crate::http::lint(&path, bytes, settings) {
            Some(r) => Some(r),
            None if c.explicit => Some(FileReport {
                path: path.clone(),
                text: String::new(),
                diagnostics: Vec::new(),
                facts: None,
                looks_like_request: Some(false),
                operation: crate::operation::default(),
            }),
            None => None,
        });
    }
    let op = cfg
        .and_then(|k| k.operation_for(&path))
        .or(settings.operation)
        .unwrap_or_else(crate::operation::default);
    let report = crate::lint_owned(&path, bytes, settings, op);
    if c.explicit {
        return Ok(Some(report));
    }
    // A file that did not parse is kept if a marker key appears in it at all.
    let keep = report
        .looks_like_request
        .unwrap_or_else(|| discover::may_be_request(report.text.as_bytes()));
    Ok(keep.then_some(report))
}

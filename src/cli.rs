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
        /// Only the rules of this group, or whose names start with this prefix.
        filter: Option<String>,
    },
    /// Explain a rule (a unique prefix will do): what it checks, why, a failing and a
    /// passing example.
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
    /// Apply every safe fix, writing files in place (atomically).
    #[arg(long)]
    pub fix: bool,
    /// With --fix or --diff, also apply unsafe fixes (likely, not certain).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Fix, and report nothing about what remains.
    #[arg(long)]
    pub fix_only: bool,
    /// Print a unified diff of what --fix would change; write nothing; exit 1 on a change.
    #[arg(long, conflicts_with_all = ["fix", "fix_only"])]
    pub diff: bool,
    /// Exit 1 when anything was fixed, even if nothing remains.
    #[arg(long)]
    pub exit_non_zero_on_fix: bool,
    /// Print a count per rule, most frequent first, instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// Write the report to PATH (atomically) instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
    /// Print which files would be linted, and as which operation; lint nothing.
    #[arg(long)]
    pub show_files: bool,
    /// Print the resolved settings and where each came from; lint nothing.
    #[arg(long)]
    pub show_settings: bool,
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
    // A `check` that names no operation will most likely need the default one's validator:
    // start compiling it before even parsing the flags (a wrong guess costs the other
    // core 1.5 ms, never the run's time).
    {
        let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
        if args.first().is_some_and(|a| a == "check")
            && !args.iter().any(|a| {
                a.to_str()
                    .is_some_and(|a| a.starts_with("--operation") || a.starts_with("--show"))
            })
        {
            crate::schema::prepare(crate::operation::default());
        }
    }
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
        Command::Rules { format, filter } => {
            let selected: Vec<&'static rules::Rule> = match filter.as_deref() {
                None => rules::ALL.to_vec(),
                Some(f) if rules::groups().contains(&f) => rules::ALL
                    .iter()
                    .copied()
                    .filter(|r| r.group == f)
                    .collect(),
                Some(f) => rules::with_prefix(f),
            };
            if selected.is_empty() {
                let close = rules::closest_names(filter.as_deref().unwrap_or_default());
                say(&format!(
                    "error: no rule or group matches `{}`{}",
                    filter.unwrap_or_default(),
                    if close.is_empty() {
                        String::new()
                    } else {
                        format!("; did you mean {}?", close.join(", "))
                    }
                ));
                return 2;
            }
            let text = match format {
                RulesFormat::Text => report::rules_list(&selected),
                RulesFormat::Markdown => report::rules_markdown_table(),
                RulesFormat::Json => {
                    let list: Vec<_> = selected
                        .iter()
                        .map(|r| serde_json::json!({"name": r.name, "severity": r.default_severity.as_str(), "group": r.group, "summary": r.summary}))
                        .collect();
                    serde_json::to_string_pretty(&list).expect("plain data") + "\n"
                }
            };
            status_of(print(&text))
        }
        Command::Explain { rule } => match rules::with_prefix(&rule).as_slice() {
            [r] => status_of(print(&r.markdown())),
            [] => {
                let close = rules::closest_names(&rule);
                let hint = if close.is_empty() {
                    "run `vpclint rules` for the list".to_owned()
                } else {
                    format!("did you mean {}?", close.join(", "))
                };
                say(&format!("error: unknown rule `{rule}`; {hint}"));
                2
            }
            many => {
                let names: Vec<&str> = many.iter().map(|r| r.name).collect();
                say(&format!(
                    "error: `{rule}` is the start of several rules: {}",
                    names.join(", ")
                ));
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
        fix: args.fix || args.fix_only || args.diff,
        unsafe_fixes: args.unsafe_fixes,
        threads: args.threads,
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

    if args.show_settings {
        return status_of(print(&show_settings(&settings, cfg.as_ref(), &flags)));
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
    // finding, reading and parsing the files (the operation JSON files are linted as
    // unless the config says otherwise per path).
    crate::schema::prepare(settings.operation.unwrap_or_else(crate::operation::default));
    let stdin = args.paths.len() == 1 && args.paths[0].as_os_str() == "-";
    // Full and concise output are one part per file, rendered by the worker that linted it
    // (with --quiet, errors only); the other formats need the whole run.
    let per_file = !stdin
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
            _ => report::concise(std::slice::from_ref(r)),
        }
    };
    // With --fix on standard input, the fixed text is the output (as ruff does).
    let mut stdin_fixed: Option<Vec<u8>> = None;
    let mut usage = crate::config::IgnoreUse::default();
    let (mut reports, mut rendered, failures) = if stdin {
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
                Vec::new(),
                vec![Failure {
                    path: name,
                    message: too_large(bytes.len() as u64, limit),
                }],
            ),
            Ok(_) => {
                let (mut report, fixed_text) = lint_stdin(&name, bytes, &settings, cfg.as_ref());
                if let Some(c) = &cfg {
                    c.apply_ignores_to(&mut report, &mut usage);
                }
                stdin_fixed = fixed_text;
                (vec![report], Vec::new(), Vec::new())
            }
            Err(e) => (
                Vec::new(),
                Vec::new(),
                vec![Failure {
                    path: name,
                    message: format!("cannot read standard input: {e}"),
                }],
            ),
        }
    } else {
        let mut paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        let includes =
            !args.include.is_empty() || cfg.as_ref().is_some_and(|k| !k.include.is_empty());
        let writes = settings.fix != crate::fix::FixMode::Off && !args.diff;
        if writes || args.show_files {
            // A file named twice is fixed once.
            let mut seen = std::collections::HashSet::new();
            paths.retain(|p| seen.insert(discover::display(p)));
        }
        let threads = settings
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        // Fixes are written only inside the trees given (a symlink out of them is refused);
        // only a run that writes needs to know them.
        let roots: Vec<PathBuf> = if writes {
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
        } else {
            Vec::new()
        };
        let run = Run {
            cfg: cfg.as_ref(),
            roots: &roots,
            diff: args.diff,
        };
        let select = |p: &str| cfg.as_ref().is_none_or(|k| k.selects(p)) && globs.selects(p);
        if args.show_files {
            let (mut cands, failures) = discover::candidates(&paths, includes);
            cands.retain(|c| {
                let explicit = c.explicit && !args.requests_only;
                explicit || select(&discover::display(&c.path))
            });
            for c in &mut cands {
                c.explicit = (c.explicit && !args.requests_only) || includes;
            }
            for f in &failures {
                say(&format!("error: {}: {}", f.path, f.message));
            }
            return status_of(print(&show_files(&cands, &run, &settings)));
        }
        let plan = crate::pipeline::Plan {
            paths: &paths,
            any_extension: includes,
            requests_only: args.requests_only,
            includes,
            select: &select,
            settings: &settings,
            run: &run,
            threads,
            cfg: cfg.as_ref(),
            render: per_file.then_some(&render_one as crate::pipeline::Render<'_>),
        };
        let mut ran = crate::pipeline::run(&plan);
        // A file named twice (and not fixed) was linted twice: report it once.
        ran.files.dedup_by(|a, b| a.report.path == b.report.path);
        usage = ran.usage;
        let (reports, rendered) = ran
            .files
            .into_iter()
            .map(|l| (l.report, l.rendered))
            .unzip();
        (reports, rendered, ran.failures)
    };
    // Findings across files land in files already rendered: those few are done again.
    for idx in check_across_files(&mut reports, &settings) {
        if let Some(c) = &cfg {
            c.apply_ignores_to(&mut reports[idx], &mut usage);
        }
        if let Some(Some(r)) = rendered.get_mut(idx) {
            *r = render_one(&reports[idx]);
        }
    }
    if let Some(c) = &cfg {
        if let Some(mut own) = c.unused_ignores(&usage) {
            crate::finish(&mut own.diagnostics, &settings);
            if !own.diagnostics.is_empty() {
                if per_file {
                    rendered.push(Some(render_one(&own)));
                }
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
    let fixed_any = summary.fixed > 0;
    let out = if per_file {
        let mut s: String = rendered.iter().flatten().map(String::as_str).collect();
        s.push_str(&report::summary_line(&shown));
        s.push('\n');
        s
    } else if args.diff {
        reports
            .iter()
            .filter_map(|r| r.fix_diff.clone())
            .collect::<String>()
    } else if let Some(text) = &stdin_fixed {
        // The fixed text is the output; what remains goes to standard error.
        if !args.fix_only {
            let mut remaining = report::concise(&reports);
            remaining.push_str(&report::summary_line(&shown));
            say(remaining.trim_end());
        }
        String::from_utf8_lossy(text).into_owned()
    } else if args.fix_only {
        format!(
            "fixed {} problem{} in {} file{}\n",
            summary.fixed,
            if summary.fixed == 1 { "" } else { "s" },
            reports.iter().filter(|r| r.fixed > 0).count(),
            if reports.iter().filter(|r| r.fixed > 0).count() == 1 {
                ""
            } else {
                "s"
            },
        )
    } else if args.statistics {
        report::statistics(&reports, &shown)
    } else {
        match args.output_format {
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
        }
    };
    let written = match &args.output_file {
        Some(p) => write_output_file(p, &out),
        None => print(&out),
    };
    for f in &failures {
        say(&format!("error: {}: {}", f.path, f.message));
    }
    if written.is_err() {
        return 2;
    }
    // The process exits next: freeing every report one by one would only cost time.
    std::mem::forget(reports);
    let failed = !failures.is_empty();
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
    exit_status(&summary, failed, args.exit_zero, args.max_warnings)
}

/// `--output-file`: the report written atomically (a temporary file renamed over it).
fn write_output_file(path: &Path, text: &str) -> Result<(), ()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.vpclint-{}.tmp",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        say(&format!(
            "error: cannot write the report to {}: {e}",
            path.display()
        ));
    })
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

/// Standard input, linted (and with `--fix`, fixed in memory) as the file it is named as
/// (`--stdin-filename`). Returns the report and, when fixing, the fixed text.
fn lint_stdin(
    name: &str,
    bytes: Vec<u8>,
    settings: &Settings,
    cfg: Option<&Config>,
) -> (FileReport, Option<Vec<u8>>) {
    let lint = |b: Vec<u8>| {
        Some(crate::lint_file(name, b, settings, cfg).unwrap_or_else(|| FileReport::empty(name)))
    };
    if settings.fix == crate::fix::FixMode::Off {
        return (lint(bytes).expect("always a report"), None);
    }
    let original = bytes.clone();
    let fixed = crate::fix::fix(bytes, settings.fix, lint).expect("always a report");
    let mut report = fixed.report;
    report.fixed = fixed.count;
    if fixed.text != original {
        report.fix_diff = Some(crate::fix::unified_diff(
            name,
            &String::from_utf8_lossy(&original),
            &String::from_utf8_lossy(&fixed.text),
        ));
    }
    (report, Some(fixed.text))
}

/// `--show-files`: every file the run would lint, and as what.
fn show_files(cands: &[Candidate], run: &Run<'_>, settings: &Settings) -> String {
    let mut out = String::new();
    for c in cands {
        let path = discover::display(&c.path);
        let what = if crate::http::is_request_file(&path) {
            "request file: each request's line decides".to_owned()
        } else {
            let from_cfg = run.cfg.and_then(|k| k.operation_for(&path));
            let op = crate::operation_for(&path, run.cfg, settings);
            let why = if from_cfg.is_some() {
                "[[operations]] in vpclint.toml"
            } else if settings.operation.is_some() {
                "--operation"
            } else {
                "default"
            };
            format!("{} ({why})", op.id)
        };
        let named = if c.explicit {
            ""
        } else {
            ", if it is a request"
        };
        out.push_str(&format!("{path}\t{what}{named}\n"));
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
            crate::fix::FixMode::Off => "off",
            crate::fix::FixMode::Apply {
                unsafe_fixes: false,
            } => "safe fixes",
            crate::fix::FixMode::Apply { unsafe_fixes: true } => "safe and unsafe fixes",
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

/// Read a file that is a regular file *when opened* and not larger than `limit`. The type
/// is checked with `fstat` on the open handle (a path checked before opening can be swapped
/// for a FIFO); the open itself does not block on a FIFO (`O_NONBLOCK`); the read is
/// bounded, so a file that grows past the limit meanwhile is refused too.
pub(crate) fn read_regular_file_with_meta(
    path: &Path,
    limit: u64,
) -> Result<(Vec<u8>, std::fs::Metadata), String> {
    let (file, meta) = open_nonblocking(path)?;
    read_open_file(file, meta, limit)
}

/// Open without blocking (a FIFO named by mistake must not hang the run) and `fstat` the
/// handle, so that what is read is what was checked.
pub(crate) fn open_nonblocking(path: &Path) -> Result<(std::fs::File, std::fs::Metadata), String> {
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
    Ok((file, meta))
}

/// The bytes of an open regular file, at most `limit` of them.
pub(crate) fn read_open_file(
    file: std::fs::File,
    meta: std::fs::Metadata,
    limit: u64,
) -> Result<(Vec<u8>, std::fs::Metadata), String> {
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
    Ok((bytes, meta))
}

fn too_large(size: u64, limit: u64) -> String {
    format!(
        "the file is larger than the limit ({size} > {limit} bytes); raise it with --max-file-size or `max-file-size` in vpclint.toml"
    )
}

/// What linting one file gives: its report (`None`: nothing to report), or why it failed.
pub(crate) type Outcome = Result<Option<FileReport>, Failure>;

/// Below this many files, linting in parallel costs more than it saves.
pub(crate) const PARALLEL_FROM: usize = 32;

/// Lint one candidate (`opened`: the file, when the caller already opened it); a panic
/// inside becomes a failure of that file, never a lost file.
pub(crate) fn lint_candidate(
    c: &Candidate,
    settings: &Settings,
    run: &Run<'_>,
    opened: Option<(std::fs::File, std::fs::Metadata)>,
) -> Outcome {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lint_candidate_inner(c, settings, run, opened)
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

fn lint_candidate_inner(
    c: &Candidate,
    settings: &Settings,
    run: &Run<'_>,
    opened: Option<(std::fs::File, std::fs::Metadata)>,
) -> Outcome {
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
    let (bytes, meta) = match opened {
        Some((file, meta)) => read_open_file(file, meta, settings.max_file_size),
        None => read_regular_file_with_meta(&c.path, settings.max_file_size),
    }
    .map_err(fail)?;
    // What the file is: a request file says it on its request lines; otherwise the
    // config's `[[operations]]`, then `--operation`, then the default.
    let http = crate::http::is_request_file(&path);
    let lint = |b: Vec<u8>| crate::lint_file(&path, b, settings, run.cfg);
    let report = if settings.fix == crate::fix::FixMode::Off {
        lint(bytes)
    } else {
        let original = bytes.clone();
        match crate::fix::fix(bytes, settings.fix, lint) {
            None => None,
            Some(fixed) if fixed.text == original => Some(fixed.report),
            Some(fixed) => {
                let mut report = fixed.report;
                report.fixed = fixed.count;
                if run.diff {
                    report.fix_diff = Some(crate::fix::unified_diff(
                        &path,
                        &String::from_utf8_lossy(&original),
                        &String::from_utf8_lossy(&fixed.text),
                    ));
                } else {
                    match write_fixed(&c.path, &fixed.text, &meta, &original, run.roots) {
                        Ok(()) => {}
                        Err(WriteError::Changed) => {
                            // Someone else wrote the file meanwhile: theirs wins, untouched.
                            say(&format!(
                                "warning: {path} changed while it was being fixed; left untouched"
                            ));
                            report = lint(original).unwrap_or(report);
                            report.fixed = 0;
                        }
                        Err(WriteError::Failed(m)) => return Err(fail(m)),
                    }
                }
                Some(report)
            }
        }
    };
    let Some(report) = report else {
        // A request file with none of the family's requests.
        return Ok(c.explicit.then(|| FileReport::empty(&path)));
    };
    if c.explicit || http {
        return Ok(Some(report));
    }
    // A file that did not parse is kept if a marker key appears in it at all.
    let keep = report
        .looks_like_request
        .unwrap_or_else(|| discover::may_be_request(report.text.as_bytes()));
    Ok(keep.then_some(report))
}

/// What every file of a run shares beyond its settings.
pub struct Run<'a> {
    pub cfg: Option<&'a Config>,
    /// The trees given on the command line: fixes are never written outside them.
    pub roots: &'a [PathBuf],
    /// `--diff`: fix in memory and show it; write nothing.
    pub diff: bool,
}

enum WriteError {
    /// The file is not what was read any more.
    Changed,
    Failed(String),
}

/// Replace `path` with `new` atomically: a temporary file in the same directory, fsync'd,
/// with the original's permissions, renamed over the original only if the original is
/// still what was read (size, modification time and content). A symlink is followed only
/// to a file inside the trees given on the command line.
fn write_fixed(
    path: &Path,
    new: &[u8],
    read_meta: &std::fs::Metadata,
    read_bytes: &[u8],
    roots: &[PathBuf],
) -> Result<(), WriteError> {
    let failed = |what: &str, e: std::io::Error| {
        WriteError::Failed(format!("cannot write the fixes ({what}): {e}"))
    };
    let target = if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        let t = std::fs::canonicalize(path).map_err(|e| failed("resolving the symlink", e))?;
        if !roots.iter().any(|r| t.starts_with(r)) {
            return Err(WriteError::Failed(format!(
                "not fixed: it is a symlink to {}, outside the paths given",
                t.display()
            )));
        }
        t
    } else {
        path.to_path_buf()
    };
    if read_meta.permissions().readonly() {
        return Err(WriteError::Failed(
            "not fixed: the file is read-only".into(),
        ));
    }
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let tmp = dir.join(format!(
        ".{name}.vpclint-{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| failed("creating a temporary file beside it", e))?;
        f.write_all(new).map_err(|e| failed("writing", e))?;
        f.sync_all().map_err(|e| failed("syncing", e))?;
        std::fs::set_permissions(&tmp, read_meta.permissions())
            .map_err(|e| failed("keeping its permissions", e))?;
        let now = std::fs::metadata(&target).map_err(|e| failed("checking it", e))?;
        let unchanged = now.len() == read_meta.len()
            && now.modified().ok() == read_meta.modified().ok()
            && std::fs::read(&target).map_err(|e| failed("checking it", e))? == read_bytes;
        if !unchanged {
            return Err(WriteError::Changed);
        }
        std::fs::rename(&tmp, &target).map_err(|e| failed("replacing it", e))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod write_tests {
    use super::*;

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vpclint-write-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_left_untouched() {
        let d = tempdir("changed");
        let f = d.join("web.json");
        std::fs::write(&f, "{\"port\": \"80\"}").unwrap();
        let (bytes, meta) = read_regular_file_with_meta(&f, 1 << 20).unwrap();
        // Someone saves the file between our read and our write.
        std::fs::write(&f, "{\"port\": \"8080\", \"name\": \"theirs\"}").unwrap();
        let r = write_fixed(
            &f,
            b"{\"port\": 80}",
            &meta,
            &bytes,
            std::slice::from_ref(&d),
        );
        assert!(matches!(r, Err(WriteError::Changed)));
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "{\"port\": \"8080\", \"name\": \"theirs\"}"
        );
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            1,
            "no temporary file left"
        );
        // Unchanged: written.
        let (bytes, meta) = read_regular_file_with_meta(&f, 1 << 20).unwrap();
        assert!(write_fixed(&f, b"{}", &meta, &bytes, std::slice::from_ref(&d)).is_ok());
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "{}");
    }

    #[test]
    fn a_directory_that_cannot_take_the_temporary_file_is_a_failure() {
        let d = tempdir("gone");
        let f = d.join("web.json");
        std::fs::write(&f, "{}").unwrap();
        let (bytes, meta) = read_regular_file_with_meta(&f, 1 << 20).unwrap();
        // The directory is replaced by a file of the same name: nothing can be created in it.
        std::fs::remove_dir_all(&d).unwrap();
        std::fs::write(&d, "").unwrap();
        let r = write_fixed(&f, b"{}", &meta, &bytes, &[]);
        assert!(matches!(r, Err(WriteError::Failed(m)) if m.contains("temporary file")));
        std::fs::remove_file(&d).unwrap();
    }
}

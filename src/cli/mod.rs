//! The command line: flags, dispatch, settings display and the exit status. A file's life
//! is the workspace's ([`crate::workspace`]); `check` only wires flags to it and renders.

mod check;

use crate::base::say;
use crate::diagnostic::Severity;
use crate::report;
use crate::rules;
use crate::workspace::resolve::Choice;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "vpclint",
    version,
    about = "Lint the request bodies of Huawei Cloud's VPC channel APIs (ROMA Connect and API Gateway) offline"
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
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), for `man -l -` or a package's man1 directory.
    Man,
    /// Run the Language Server on stdin/stdout (diagnostics, hover, quick fixes).
    Lsp {
        /// Accepted for clients that say which transport (vscode-languageclient adds it);
        /// stdio is the only one.
        #[arg(long)]
        stdio: bool,
        /// One config file for every document (default: the closest vpclint.toml or
        /// .vpclint.toml above each document, as `check` finds it).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Ignore every config file: default settings.
        #[arg(long, conflicts_with = "config")]
        no_config: bool,
    },
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
    /// How to report (`--format` is accepted too).
    #[arg(long, value_enum, default_value_t = OutputFormat::Full, alias = "format")]
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
    /// With --fix: list what was fixed, per file and rule.
    #[arg(long)]
    pub show_fixes: bool,
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
    /// Lint `.http`/`.rest` files with the variables of this environment of the
    /// `http-client.env.json` (and `http-client.private.env.json`) beside each; `all`: each
    /// environment in turn.
    #[arg(long, value_name = "NAME")]
    pub http_env: Option<String>,
    /// Worker threads (default: all cores), at most 256.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
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
    /// Walk into what `.gitignore`, `.ignore` and git's excludes ignore, too.
    #[arg(long)]
    pub no_respect_gitignore: bool,
    /// Record today's findings in FILE (for adopting vpclint on an existing repository);
    /// later runs with --baseline FILE report only new ones.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Report only findings that FILE (written by --write-baseline) does not hold; its
    /// entries that no longer match are reported as unused.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
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
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "check") {
        crate::base::grow_heap_in_large_steps();
        if !args.iter().any(|a| {
            a.to_str()
                .is_some_and(|a| a.starts_with("--operation") || a.starts_with("--show"))
        }) {
            crate::schema::prepare(crate::operation::default());
        }
    }
    let trailing = trailing_paths(&mut args);
    let mut matches = match Cli::command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => return clap_exit(&e),
    };
    let order = matches
        .subcommand_matches("check")
        .map(level_flag_order)
        .unwrap_or_default();
    // `_mut` takes the values out of the matches; `from_arg_matches` would clone every one
    // first (10 000 paths on a big run).
    let mut cli = match Cli::from_arg_matches_mut(&mut matches) {
        Ok(c) => c,
        Err(e) => return clap_exit(&e),
    };
    if let Command::Check(c) = &mut cli.command {
        c.paths.extend(trailing.into_iter().map(PathBuf::from));
    }
    run_with_order(cli, order)
}

/// Take the paths that end a long `check` command line out of `args`, for the caller to
/// append to what clap parses from the rest. Clap stores every value twice and boxes it (a
/// tenth of a 10 000-file run's time, all of it before the workers start); these need
/// none of that. Only arguments that clap would certainly take as paths are taken: none
/// that starts with `-` or is empty, and never the first of the run, which may be the value
/// of the option before it (no option of `check` takes more than one value: a test holds
/// that) and otherwise lets clap see that paths were given.
fn trailing_paths(args: &mut Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    const WORTH_IT: usize = 64;
    if args.len() < WORTH_IT || args.get(1).is_none_or(|a| a != "check") {
        return Vec::new();
    }
    let plain = |a: &std::ffi::OsString| a.as_encoded_bytes().first().is_some_and(|b| *b != b'-');
    let mut start = args.len();
    while start > 2 && plain(&args[start - 1]) {
        start -= 1;
    }
    let keep = start + 1;
    if keep + WORTH_IT > args.len() {
        return Vec::new();
    }
    args.split_off(keep)
}

/// What clap has to say (help, version, or a usage error) and its exit status; a help or
/// version text that cannot be written (`> /dev/full`) is a failed run, exit 2.
fn clap_exit(e: &clap::Error) -> i32 {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let invalid = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    // ruff's words, and a misspelt subcommand: say what vpclint calls it.
    let teach = match e.kind() {
        ErrorKind::UnknownArgument if invalid.starts_with("--ignore") => Some(
            "vpclint's word for it is `--allow RULE` (repeatable; a group name works too)",
        ),
        ErrorKind::UnknownArgument if invalid.starts_with("--select") => Some(
            "vpclint runs every rule; `--deny RULE` makes one an error, `--allow RULE` turns one off",
        ),
        ErrorKind::UnknownArgument if invalid.starts_with("--extend-select") => {
            Some("`--deny RULE` makes a rule an error")
        }
        _ => None,
    };
    if let Some(tip) = teach {
        say(&format!(
            "error: unexpected argument '{}'\n\n  tip: {tip}\n\nFor more information, try '--help'.",
            invalid.split('=').next().unwrap_or(&invalid)
        ));
        return 2;
    }
    if e.kind() == ErrorKind::InvalidSubcommand {
        if let Some(ContextValue::String(sub)) = e.get(ContextKind::InvalidSubcommand) {
            let names = [
                "check",
                "rules",
                "explain",
                "schema",
                "operations",
                "lsp",
                "completions",
                "man",
            ];
            if let Some(best) = crate::base::did_you_mean(sub, names) {
                say(&format!(
                    "error: unrecognized subcommand '{sub}'\n\n  tip: a similar subcommand exists: '{best}'\n\nUsage: vpclint <COMMAND>\n\nFor more information, try '--help'."
                ));
                return 2;
            }
        }
    }
    let printed = e.print();
    // A closed pipe (`vpclint --help | head -1`) is the reader's choice.
    if printed
        .as_ref()
        .is_err_and(|x| x.kind() != std::io::ErrorKind::BrokenPipe)
        || std::io::stdout()
            .flush()
            .is_err_and(|x| x.kind() != std::io::ErrorKind::BrokenPipe)
    {
        return 2;
    }
    e.exit_code()
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
                        .map(|r| serde_json::json!({"name": r.name, "severity": r.default_severity.as_str(), "group": r.group, "fix": r.fix.as_str(), "summary": r.summary}))
                        .collect();
                    serde_json::to_string_pretty(&list).expect("plain data") + "\n"
                }
            };
            status_of(print(&text))
        }
        Command::Explain { rule } => match rules::with_prefix(&rule).as_slice() {
            [r] => status_of(print(&r.markdown())),
            [] => {
                // A word, not a name: the rules that speak of it.
                let word = rule.to_lowercase();
                let about: Vec<&str> = rules::ALL
                    .iter()
                    .filter(|r| r.name.contains(&word) || r.summary.to_lowercase().contains(&word))
                    .map(|r| r.name)
                    .collect();
                let close = rules::closest_names(&rule);
                let hint = if !about.is_empty() {
                    format!("rules about `{rule}`: {}", about.join(", "))
                } else if close.is_empty() {
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
        Command::Check(args) => check::check(*args, order),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "vpclint", &mut buf);
            status_of(print(&String::from_utf8_lossy(&buf)))
        }
        Command::Man => {
            let mut buf = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut buf) {
                Ok(()) => status_of(print(&String::from_utf8_lossy(&buf))),
                Err(e) => {
                    say(&format!("error: cannot render the manual page: {e}"));
                    2
                }
            }
        }
        Command::Lsp {
            config, no_config, ..
        } => crate::lsp::run(match (config, no_config) {
            (Some(file), _) => Choice::File(crate::config::absolute(&file)),
            (None, true) => Choice::None,
            (None, false) => Choice::Closest,
        }),
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

/// Exit status 2 when a message could not be written to standard error.
fn with_stderr_check(status: i32) -> i32 {
    if crate::base::stderr_failed() {
        2
    } else {
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What clap makes of `args` on its own, and with the trailing paths taken first.
    fn both(args: &[&str]) -> (String, String) {
        let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        let plain = match Cli::command().try_get_matches_from(args.clone()) {
            Ok(mut m) => format!(
                "{:?}",
                Cli::from_arg_matches_mut(&mut m).map_err(|e| e.kind())
            ),
            Err(e) => format!("{:?}", e.kind()),
        };
        let mut rest = args;
        let trailing = trailing_paths(&mut rest);
        let fast = match Cli::command().try_get_matches_from(rest) {
            Ok(mut m) => format!(
                "{:?}",
                Cli::from_arg_matches_mut(&mut m)
                    .map(|mut cli| {
                        if let Command::Check(c) = &mut cli.command {
                            c.paths.extend(trailing.into_iter().map(PathBuf::from));
                        }
                        cli
                    })
                    .map_err(|e| e.kind())
            ),
            Err(e) => format!("{:?}", e.kind()),
        };
        (plain, fast)
    }

    #[test]
    fn trailing_paths_are_taken_only_where_clap_would_take_them_as_paths() {
        let many: Vec<String> = (0..100).map(|i| format!("f{i}.json")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        for head in [
            &["vpclint", "check"][..],
            &["vpclint", "check", "--fix"],
            &["vpclint", "check", "--output-format", "json"],
            &["vpclint", "check", "--output-format=json"],
            &["vpclint", "check", "--format", "json"],
            &["vpclint", "check", "--deny"],
            &["vpclint", "check", "-q"],
            &["vpclint", "check", "--"],
            &["vpclint", "check", "--bogus"],
            &["vpclint", "check", "--fix", "--diff"],
        ] {
            let args: Vec<&str> = head.iter().chain(&many).copied().collect();
            let (plain, fast) = both(&args);
            assert_eq!(plain, fast, "{head:?}");
        }
        let mut args = vec!["vpclint", "check", "--fix"];
        args.extend(&many);
        let mut os: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        // Where the fast path pays, it is taken.
        assert_eq!(trailing_paths(&mut os).len(), many.len() - 1);
    }

    #[test]
    fn no_option_of_check_takes_more_than_one_value_at_a_time() {
        // What `trailing_paths` relies on: after an option, only the next argument can be
        // its value.
        let mut command = Cli::command();
        command.build();
        let check = command.find_subcommand("check").expect("check");
        for a in check.get_arguments().filter(|a| !a.is_positional()) {
            let most = a.get_num_args().map_or(1, |n| n.max_values());
            assert!(most <= 1, "--{:?} takes up to {most} values", a.get_long());
        }
    }

    proptest! {
        #[test]
        fn taking_trailing_paths_changes_nothing_clap_would_say(
            head in proptest::collection::vec(proptest::sample::select(vec![
                "--fix", "--deny", "E", "--allow", "-q", "--", "-", "", "a.json", "--output-format",
                "json", "--color=never", "--threads", "2", "--no-config", "--config", "x.toml",
                "--format", "--unknown", "-x",
            ]), 0..6),
            mid in proptest::collection::vec(proptest::sample::select(vec!["-", "", "--fix", "--deny", "p.json"]), 0..3),
            tail in proptest::collection::vec(proptest::sample::select(vec!["p.json", "q/", "r.http"]), 60..70),
        ) {
            let mut args = vec!["vpclint", "check"];
            args.extend(head);
            args.extend(mid);
            args.extend(tail);
            let (plain, fast) = both(&args);
            prop_assert_eq!(plain, fast);
        }
    }
}

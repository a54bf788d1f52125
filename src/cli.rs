//! The command line: parse flags, gather files, lint them in parallel, render, exit.

use crate::discover::{self, Candidate, Failure};
use crate::report;
use crate::rules;
use crate::{check_across_files, lint_bytes, FileReport, Settings, Summary};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
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
    Check(CheckArgs),
    /// List every rule with its default severity.
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Explain a rule: what it checks, why, a failing and a passing example.
    Explain { rule: String },
    /// Print the embedded JSON Schema (for editors' json.schemas and other tools).
    Schema,
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
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub instance_ids_limit: usize,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Run and return the process exit status.
pub fn run(cli: Cli) -> i32 {
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
            print(&text);
            0
        }
        Command::Explain { rule } => match rules::find(&rule) {
            Some(r) => {
                print(&r.markdown());
                0
            }
            None => {
                let close = rules::closest_names(&rule);
                let hint = if close.is_empty() {
                    "run `vpclint rules` for the list".to_owned()
                } else {
                    format!("did you mean {}?", close.join(", "))
                };
                eprintln!("error: unknown rule `{rule}`; {hint}");
                2
            }
        },
        Command::Schema => {
            print(rules::shape::SCHEMA_TEXT);
            0
        }
        Command::Check(args) => check(args),
    }
}

fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`vpclint rules | head`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn check(args: CheckArgs) -> i32 {
    let settings = Settings {
        instance_ids_limit: args.instance_ids_limit,
        ..Settings::default()
    };
    let (mut reports, failures) = if args.paths.len() == 1 && args.paths[0].as_os_str() == "-" {
        let name = args.stdin_filename.clone().unwrap_or_else(|| "-".into());
        let mut bytes = Vec::new();
        match std::io::stdin().lock().read_to_end(&mut bytes) {
            Ok(_) => (vec![lint_bytes(&name, &bytes, &settings)], Vec::new()),
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
        let (cands, mut failures) = discover::candidates(&paths);
        let threads = args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let (reports, more) = lint_all(&cands, &settings, threads);
        failures.extend(more);
        (reports, failures)
    };
    check_across_files(&mut reports, &settings);
    let summary = Summary::of(&reports);
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
            s.push_str(&report::summary_line(&summary));
            s.push('\n');
            s
        }
        OutputFormat::Concise => {
            let mut s = report::concise(&reports);
            s.push_str(&report::summary_line(&summary));
            s.push('\n');
            s
        }
        OutputFormat::Json => report::json(&reports, &failures),
    };
    print(&out);
    for f in &failures {
        eprintln!("error: {}: {}", f.path, f.message);
    }
    if !failures.is_empty() {
        2
    } else if summary.errors > 0 {
        1
    } else {
        0
    }
}

/// Read and lint every candidate on `threads` workers; the result keeps candidate order.
type Outcome = Result<Option<FileReport>, Failure>;

pub fn lint_all(
    cands: &[Candidate],
    settings: &Settings,
    threads: usize,
) -> (Vec<FileReport>, Vec<Failure>) {
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
                        mine.push((i, lint_candidate(c, settings)));
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
    for slot in slots.into_iter().flatten() {
        match slot {
            Ok(Some(r)) => reports.push(r),
            Ok(None) => {}
            Err(f) => failures.push(f),
        }
    }
    (reports, failures)
}

fn lint_candidate(c: &Candidate, settings: &Settings) -> Outcome {
    let path = discover::display(&c.path);
    // Never open a FIFO or device: reading one could block forever.
    match std::fs::metadata(&c.path) {
        Ok(m) if !m.is_file() => {
            return Err(Failure {
                path,
                message: "not a regular file".into(),
            });
        }
        Err(e) => {
            return Err(Failure {
                path,
                message: format!("cannot read: {e}"),
            })
        }
        Ok(_) => {}
    }
    let bytes = std::fs::read(&c.path).map_err(|e| Failure {
        path: path.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let report = lint_bytes(&path, &bytes, settings);
    if c.explicit {
        return Ok(Some(report));
    }
    let keep = match report.looks_like_request {
        Some(is) => is,
        None => discover::may_be_request(&bytes),
    };
    Ok(keep.then_some(report))
}

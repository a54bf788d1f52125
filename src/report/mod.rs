//! Reporters: turn finished [`FileReport`](crate::lint::FileReport)s into text. They never decide
//! anything about severity or exit status; they only render.

pub mod ci;
pub mod full;
pub mod sarif;

use crate::base::Failure;
use crate::diagnostic::{Applicability, LineIndex, Severity, Span};
use crate::lint::{FileReport, Summary};
use serde::Serialize;
use std::fmt::Write as _;

/// The operation a finding was made for: its own (a `.http` request's) or its file's.
pub(crate) fn operation_of(r: &FileReport, d: &crate::diagnostic::Diagnostic) -> &'static str {
    d.operation.unwrap_or(r.operation.id)
}

/// Report index by path, for labels that point into other files (hash-based: a run over
/// many files must not scan every report per label).
pub(crate) fn path_index(reports: &[FileReport]) -> std::collections::HashMap<&str, usize> {
    reports
        .iter()
        .enumerate()
        .map(|(i, r)| (r.path.as_str(), i))
        .collect()
}

pub fn summary_line(s: &Summary) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = vec![plural(s.errors, "error"), plural(s.warnings, "warning")];
    if s.infos > 0 {
        parts.push(plural(s.infos, "info"));
    }
    let fixed = if s.fixed > 0 {
        format!(" ({} fixed)", s.fixed)
    } else {
        String::new()
    };
    format!("{} in {}{fixed}", parts.join(", "), plural(s.files, "file"))
}

/// What the text formats say after the findings: the summary line; with `--quiet`, how
/// many findings it hid; and, as ruff does, how many `--fix` would fix and how many more
/// `--unsafe-fixes` would.
pub fn summary_block(all: &Summary, shown: &Summary, quiet: bool, unsafe_fixes: bool) -> String {
    let mut out = summary_line(shown);
    let hidden = all.warnings + all.infos - (shown.warnings + shown.infos);
    if quiet && hidden > 0 {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let mut parts = Vec::new();
        if all.warnings > shown.warnings {
            parts.push(plural(all.warnings - shown.warnings, "warning"));
        }
        if all.infos > shown.infos {
            parts.push(plural(all.infos - shown.infos, "info"));
        }
        out.push_str(&format!("; {} hidden by --quiet", parts.join(" and ")));
    }
    out.push('\n');
    let fixable = all.fixable + if unsafe_fixes { all.unsafe_fixable } else { 0 };
    if fixable > 0 {
        out.push_str(&format!(
            "[*] {fixable} fixable with `--fix`{}\n",
            if unsafe_fixes { " --unsafe-fixes" } else { "" }
        ));
    }
    if !unsafe_fixes && all.unsafe_fixable > 0 {
        let n = all.unsafe_fixable;
        out.push_str(&format!(
            "({n} hidden fix{} can be enabled with `--unsafe-fixes`)\n",
            if n == 1 { "" } else { "es" }
        ));
    }
    out
}

/// Whether a finding has a fix that `--fix` applies: ruff's `[*]`.
pub(crate) fn fix_mark(d: &crate::diagnostic::Diagnostic) -> &'static str {
    match d.fix.as_ref().map(|f| f.applicability) {
        Some(Applicability::Safe) => "[*] ",
        _ => "",
    }
}

/// `PATH:LINE:COL: SEVERITY[RULE] MESSAGE`, one line per diagnostic (vim `%f:%l:%c: %m`).
pub fn concise(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for r in reports {
        if r.diagnostics.is_empty() {
            continue;
        }
        let index = LineIndex::new(&r.text);
        for d in &r.diagnostics {
            let p = index.position(&r.text, d.span.start);
            let _ = writeln!(
                out,
                "{}:{}:{}: {}[{}] {}{}",
                crate::base::escape_name(&r.path),
                p.line,
                p.column,
                d.severity,
                d.rule.name,
                fix_mark(d),
                one_line(&d.message)
            );
        }
    }
    out
}

/// One line, with nothing a terminal would act on: line breaks become spaces, other control
/// characters (an escape sequence quoted from a file) visible escapes.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[derive(Serialize)]
struct JsonPos {
    offset: usize,
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct JsonSpan {
    start: JsonPos,
    end: JsonPos,
}

#[derive(Serialize)]
struct JsonLabel {
    message: String,
    span: JsonSpan,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    path: &'a str,
    rule: &'a str,
    severity: &'a str,
    operation: &'a str,
    message: &'a str,
    pointer: &'a str,
    span: JsonSpan,
    labels: Vec<JsonLabel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    applicability: &'static str,
    message: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    span: JsonSpan,
    content: &'a str,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    fixed: usize,
}

#[derive(Serialize)]
struct JsonFailure<'a> {
    path: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: JsonSummary,
    /// Files that could not be read (exit status 2); absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failures: Vec<JsonFailure<'a>>,
}

fn json_span(index: &LineIndex, text: &str, span: Span) -> JsonSpan {
    // Offsets are the file's byte offsets as found; line and column are clamped to the
    // text (which differs from the bytes only for a file that is not UTF-8).
    let pos = |o: usize| {
        let p = index.position(text, o);
        JsonPos {
            offset: o,
            line: p.line,
            column: p.column,
        }
    };
    JsonSpan {
        start: pos(span.start),
        end: pos(span.end),
    }
}

/// The `json` format of INTERFACE.md. Labels in other files are located in those files.
pub fn json(reports: &[FileReport], failures: &[Failure]) -> String {
    let mut diagnostics = Vec::new();
    let indexes: Vec<LineIndex> = reports.iter().map(|r| LineIndex::new(&r.text)).collect();
    let by_path = path_index(reports);
    for (r, index) in reports.iter().zip(&indexes) {
        for d in &r.diagnostics {
            let labels = d
                .labels
                .iter()
                .map(|l| {
                    let span = match &l.path {
                        Some(p) => match by_path.get(p.as_str()) {
                            Some(&j) => json_span(&indexes[j], &reports[j].text, l.span),
                            None => json_span(index, &r.text, Span::at(0)),
                        },
                        None => json_span(index, &r.text, l.span),
                    };
                    JsonLabel {
                        message: l.message.clone(),
                        span,
                        path: l.path.clone(),
                    }
                })
                .collect();
            diagnostics.push(JsonDiagnostic {
                path: &r.path,
                rule: d.rule.name,
                severity: d.severity.as_str(),
                operation: operation_of(r, d),
                message: &d.message,
                pointer: &d.pointer,
                span: json_span(index, &r.text, d.span),
                labels,
                help: d.help.as_deref(),
                // Display-only proposals are in the help; the JSON promises applicable fixes.
                fix: d
                    .fix
                    .as_ref()
                    .filter(|f| f.applicability != Applicability::DisplayOnly)
                    .map(|f| JsonFix {
                        applicability: f.applicability.as_str(),
                        message: &f.title,
                        edits: f
                            .edits
                            .iter()
                            .map(|e| JsonEdit {
                                span: json_span(index, &r.text, e.span),
                                content: &e.replacement,
                            })
                            .collect(),
                    }),
            });
        }
    }
    let s = Summary::of(reports);
    let doc = JsonDoc {
        version: 1,
        diagnostics,
        summary: JsonSummary {
            files: s.files,
            errors: s.errors,
            warnings: s.warnings,
            infos: s.infos,
            fixed: s.fixed,
        },
        failures: failures
            .iter()
            .map(|f| JsonFailure {
                path: &f.path,
                message: &f.message,
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("plain data serialises");
    out.push('\n');
    out
}

/// The README's rule table, generated from the registry.
pub fn rules_markdown_table() -> String {
    let mut out =
        String::from("| rule | default | group | fix | what it reports |\n|---|---|---|---|---|\n");
    for r in crate::rules::ALL {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            r.name,
            r.default_severity,
            r.group,
            r.fix.as_str(),
            r.summary.replace('|', "\\|")
        );
    }
    out
}

/// `vpclint rules`: name, default severity, one-line summary.
pub fn rules_list(rules: &[&crate::rules::Rule]) -> String {
    let width = rules.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in rules {
        // ruff's mark for a rule that `--fix` fixes; `[ ]`-free otherwise.
        let mark = match r.fix {
            crate::diagnostic::Fixable::Safe => "[*]",
            crate::diagnostic::Fixable::Unsafe => "[~]",
            crate::diagnostic::Fixable::No => "   ",
        };
        let _ = writeln!(
            out,
            "{:width$}  {:7}  {mark}  {} [{}]",
            r.name,
            r.default_severity.as_str(),
            r.summary,
            r.group
        );
    }
    out
}

pub fn severity_word(s: Severity) -> &'static str {
    s.as_str()
}

pub use crate::base::fingerprint;

/// Fingerprints for every diagnostic of a run, stable when unrelated lines move: built from
/// the path, rule, pointer and message (never line numbers), plus an occurrence counter for
/// identical findings.
pub fn fingerprints(reports: &[FileReport]) -> Vec<Vec<String>> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    reports
        .iter()
        .map(|r| {
            r.diagnostics
                .iter()
                .map(|d| {
                    let base = fingerprint(&[&r.path, d.rule.name, &d.pointer, &d.message]);
                    let n = seen.entry(base.clone()).or_insert(0);
                    *n += 1;
                    if *n == 1 {
                        base
                    } else {
                        fingerprint(&[&base, &n.to_string()])
                    }
                })
                .collect()
        })
        .collect()
}

/// A reported path relative to the working directory when possible, with `/` separators.
pub fn relative_path(path: &str) -> String {
    let p = std::path::Path::new(path);
    if p.is_absolute() {
        let cwd = std::env::current_dir().unwrap_or_default();
        if let Ok(r) = p.strip_prefix(&cwd) {
            return r.to_string_lossy().replace('\\', "/");
        }
    }
    path.replace('\\', "/")
}

/// A URI reference for a reported path: relative to the working directory when possible
/// (else a `file://` URI), percent-encoded (spaces, non-ASCII).
pub fn relative_uri(path: &str) -> String {
    let rel = relative_path(path);
    if std::path::Path::new(&rel).is_absolute() {
        format!("file://{}", percent_encode(&rel))
    } else {
        percent_encode(&rel)
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A stable fingerprint for a file that could not be linted.
pub(crate) fn failure_fingerprint(f: &Failure) -> String {
    fingerprint(&[&f.path, "run-failure", &f.message])
}

/// Per rule with findings: (rule, count, highest severity, findings with a safe fix), most
/// frequent first, then by name.
fn rule_counts(reports: &[FileReport]) -> Vec<(&'static str, usize, Severity, usize)> {
    let mut counts: std::collections::HashMap<&'static str, (usize, Severity, usize)> =
        std::collections::HashMap::new();
    for d in reports.iter().flat_map(|r| &r.diagnostics) {
        let e = counts.entry(d.rule.name).or_insert((0, d.severity, 0));
        e.0 += 1;
        e.1 = e.1.max(d.severity);
        e.2 += usize::from(!fix_mark(d).is_empty());
    }
    let mut rows: Vec<_> = counts
        .into_iter()
        .map(|(rule, (n, sev, fixable))| (rule, n, sev, fixable))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    rows
}

/// `--statistics`: one line per rule with findings, most frequent first (then by name).
pub fn statistics(reports: &[FileReport], shown: &Summary) -> String {
    let mut out = String::new();
    for (rule, n, sev, fixable) in rule_counts(reports) {
        let fix = if fixable > 0 {
            format!("  [{fixable} fixable]")
        } else {
            String::new()
        };
        let _ = writeln!(out, "{n:>6}  {:<7}  {rule}{fix}", sev.as_str());
    }
    out.push_str(&summary_line(shown));
    out.push('\n');
    out
}

/// `--statistics --output-format json`: one object per rule, most frequent first.
pub fn statistics_json(reports: &[FileReport]) -> String {
    let list: Vec<serde_json::Value> = rule_counts(reports)
        .into_iter()
        .map(|(rule, n, sev, fixable)| {
            serde_json::json!({"rule": rule, "count": n, "severity": sev.as_str(), "fixable": fixable})
        })
        .collect();
    serde_json::to_string_pretty(&list).expect("plain data") + "\n"
}

/// `--show-fixes`: what `--fix` changed, per file and rule.
pub fn show_fixes(reports: &[FileReport]) -> String {
    let total: usize = reports.iter().map(|r| r.fixed_rules().len()).sum();
    if total == 0 {
        return "No fixes applied.\n".to_owned();
    }
    let mut out = format!(
        "Fixed {total} problem{}:\n",
        if total == 1 { "" } else { "s" }
    );
    for r in reports.iter().filter(|r| !r.fixed_rules().is_empty()) {
        let _ = writeln!(out, "- {}:", crate::base::escape_name(&r.path));
        let mut by_rule: Vec<(&str, usize)> = Vec::new();
        for rule in r.fixed_rules() {
            match by_rule.iter_mut().find(|(n, _)| *n == rule.name) {
                Some(e) => e.1 += 1,
                None => by_rule.push((rule.name, 1)),
            }
        }
        for (name, n) in by_rule {
            let _ = writeln!(out, "    {n} × {name}");
        }
    }
    out
}

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const GREEN: &str = "\x1b[32m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// `--color always` on concise lines: the location bold, the severity in its colour.
pub fn color_concise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in text.lines() {
        let sev = [("error[", RED), ("warning[", YELLOW), ("info[", CYAN)]
            .into_iter()
            .find_map(|(w, c)| line.find(&format!(": {w}")).map(|i| (i, w, c)));
        match sev {
            Some((i, w, c)) => {
                let (loc, rest) = line.split_at(i);
                let rest = &rest[2..];
                let word = &w[..w.len() - 1];
                let _ = writeln!(
                    out,
                    "{BOLD}{loc}{RESET}: {c}{word}{RESET}{}",
                    &rest[word.len()..]
                );
            }
            None => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

/// `--color always` on a unified diff: removals red, additions green, hunks cyan.
pub fn color_diff(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + diff.len() / 4);
    for line in diff.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let c = if body.starts_with("+++") || body.starts_with("---") {
            BOLD
        } else if body.starts_with('+') {
            GREEN
        } else if body.starts_with('-') {
            RED
        } else if body.starts_with("@@") {
            CYAN
        } else {
            ""
        };
        if c.is_empty() {
            out.push_str(line);
        } else {
            let _ = write!(out, "{c}{body}{RESET}{nl}");
        }
    }
    out
}

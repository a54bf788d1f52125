//! Formats for CI systems: GitHub Actions workflow commands, JUnit XML and GitLab Code
//! Quality.

use super::{fingerprints, relative_path, summary_line};
use crate::base::Failure;
use crate::diagnostic::{LineIndex, Severity};
use crate::lint::{FileReport, Summary};
use serde_json::json;
use std::fmt::Write as _;

/// Escape message data as actions/toolkit does.
pub fn gh_escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            // Nothing else may reach the log raw: an escape sequence would colour it.
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Escape a property value as actions/toolkit does (data escapes plus `:` and `,`).
pub fn gh_escape_property(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=RULE::MESSAGE`, then a plain
/// summary line (GitHub shows only ten annotations of each type per step).
pub fn github(reports: &[FileReport], failures: &[Failure]) -> String {
    let mut out = String::new();
    for r in reports {
        let index = LineIndex::new(&r.text);
        for d in &r.diagnostics {
            let cmd = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                _ => "notice",
            };
            let s = index.position(&r.text, d.span.start);
            let e = index.position(&r.text, d.span.end);
            let mut msg = d.message.clone();
            if let Some(h) = &d.help {
                msg.push_str("\nhelp: ");
                msg.push_str(h);
            }
            msg.push_str(&format!("\noperation: {}", super::operation_of(r, d)));
            let _ = writeln!(
                out,
                "::{cmd} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                gh_escape_property(&r.path),
                s.line,
                s.column,
                e.line,
                e.column,
                gh_escape_property(&format!("{} ({})", d.rule.name, d.severity)),
                gh_escape_data(&msg)
            );
        }
    }
    for f in failures {
        let _ = writeln!(
            out,
            "::error file={},title=vpclint::{}",
            gh_escape_property(&f.path),
            gh_escape_data(&f.message)
        );
    }
    let _ = writeln!(out, "vpclint: {}", summary_line(&Summary::of(reports)));
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters, even escaped.
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one testsuite, a testcase per file, a failure per error or warning.
pub fn junit(reports: &[FileReport], failures: &[Failure]) -> String {
    let failing = |r: &FileReport| {
        r.diagnostics
            .iter()
            .filter(|d| d.severity >= Severity::Warning)
            .count()
    };
    let total_failures: usize = reports.iter().map(failing).sum();
    let tests = reports.len() + failures.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"vpclint\" tests=\"{tests}\" failures=\"{total_failures}\" errors=\"{}\">", failures.len());
    let _ = writeln!(out, "  <testsuite name=\"vpclint\" tests=\"{tests}\" failures=\"{total_failures}\" errors=\"{}\" skipped=\"0\">", failures.len());
    for r in reports {
        let path = xml_escape(&r.path);
        let _ = write!(
            out,
            "    <testcase name=\"{path}\" classname=\"vpclint\" file=\"{path}\""
        );
        if failing(r) == 0 {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        let index = LineIndex::new(&r.text);
        for d in r
            .diagnostics
            .iter()
            .filter(|d| d.severity >= Severity::Warning)
        {
            let p = index.position(&r.text, d.span.start);
            let mut body = format!(
                "{}:{}:{}: {}[{}] {}\npointer: {}",
                r.path,
                p.line,
                p.column,
                d.severity,
                d.rule.name,
                d.message,
                if d.pointer.is_empty() {
                    "\"\""
                } else {
                    &d.pointer
                }
            );
            if let Some(h) = &d.help {
                body.push_str("\nhelp: ");
                body.push_str(h);
            }
            body.push_str(&format!("\noperation: {}", super::operation_of(r, d)));
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                d.rule.name,
                xml_escape(&format!("{}:{}: {}", p.line, p.column, d.message)),
                xml_escape(&body)
            );
        }
        out.push_str("    </testcase>\n");
    }
    for f in failures {
        let path = xml_escape(&f.path);
        let _ = writeln!(out, "    <testcase name=\"{path}\" classname=\"vpclint\" file=\"{path}\">\n      <error message=\"{}\"/>\n    </testcase>", xml_escape(&f.message));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// GitLab Code Quality report (a JSON array of issues).
pub fn gitlab(reports: &[FileReport], failures: &[Failure]) -> String {
    let fps = fingerprints(reports);
    let mut issues = Vec::new();
    for (fi, r) in reports.iter().enumerate() {
        let index = LineIndex::new(&r.text);
        for (di, d) in r.diagnostics.iter().enumerate() {
            let s = index.position(&r.text, d.span.start);
            let e = index.position(&r.text, d.span.end);
            let severity = match d.severity {
                Severity::Error => "major",
                Severity::Warning => "minor",
                _ => "info",
            };
            issues.push(json!({
                "type": "issue",
                "description": format!("{}: {}", d.rule.name, d.message),
                "check_name": d.rule.name,
                "operation": super::operation_of(r, d),
                "categories": ["Bug Risk"],
                "fingerprint": fps[fi][di],
                "severity": severity,
                "location": {"path": relative_path(&r.path), "lines": {"begin": s.line, "end": e.line}, "positions": {"begin": {"line": s.line, "column": s.column}, "end": {"line": e.line, "column": e.column}}}
            }));
        }
    }
    // A file that could not be read is a blocker: Code Quality has no other way to say it.
    for f in failures {
        issues.push(json!({
            "type": "issue",
            "description": format!("vpclint could not lint this file: {}", f.message),
            "check_name": "run-failure",
            "categories": ["Bug Risk"],
            "fingerprint": crate::report::failure_fingerprint(f),
            "severity": "blocker",
            "location": {"path": relative_path(&f.path), "lines": {"begin": 1, "end": 1}}
        }));
    }
    let mut s = serde_json::to_string_pretty(&issues).expect("plain data");
    s.push('\n');
    s
}

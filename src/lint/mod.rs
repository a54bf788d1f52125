//! The lint layer: text in, [`FileReport`] out. It never opens a file and never reads
//! `vpclint.toml`; the workspace layer (`workspace`) does both and calls in here.

pub mod body;
pub mod http;

pub use body::{finish, lint_bytes, lint_bytes_as, lint_owned, schema_pass, FileReport};

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::secrets::ChannelFacts;
use crate::settings::Settings;
use crate::{config, operation, rules};

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
    lint_file_in(path, bytes, settings, cfg, &[])
}

/// [`lint_file`] with the environments a request file's variables come from.
pub fn lint_file_in(
    path: &str,
    bytes: Vec<u8>,
    settings: &Settings,
    cfg: Option<&config::Config>,
    envs: &[http::Environment],
) -> Option<FileReport> {
    if http::is_request_file(path) {
        http::lint_in(path, bytes, settings, envs)
    } else {
        Some(lint_owned(
            path,
            bytes,
            settings,
            operation_for(path, cfg, settings),
        ))
    }
}

/// The findings that need every file (reports in path order), each with the index of the
/// report it belongs to; the caller applies that file's ignores and severities.
pub fn across_files(reports: &[FileReport]) -> Vec<(usize, Diagnostic)> {
    let view: Vec<(&str, Option<&ChannelFacts>)> = reports
        .iter()
        .map(|r| (r.path.as_str(), r.facts.as_ref()))
        .collect();
    rules::secrets::check_across_files(&view)
}

/// [`across_files`] with one set of settings for every file. Returns the indices of the
/// reports that gained findings.
pub fn check_across_files(reports: &mut [FileReport], settings: &Settings) -> Vec<usize> {
    let found = across_files(reports);
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
    /// Findings that `--fix` would fix (a safe fix), and those only `--unsafe-fixes` would.
    pub fixable: usize,
    pub unsafe_fixable: usize,
}

impl Summary {
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut s = Summary {
            files: reports.len(),
            ..Summary::default()
        };
        s.fixed = reports.iter().map(FileReport::fixed).sum();
        for d in reports.iter().flat_map(|r| &r.diagnostics) {
            match d.fix.as_ref().map(|f| f.applicability) {
                Some(crate::diagnostic::Applicability::Safe) => s.fixable += 1,
                Some(crate::diagnostic::Applicability::Unsafe) => s.unsafe_fixable += 1,
                _ => {}
            }
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

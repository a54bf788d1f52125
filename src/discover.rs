//! Which files to lint. A file named on the command line is always linted; directories are
//! walked (without following symlinks, so a link loop cannot trap the walk), skipping
//! `.git`, `target`, `node_modules` and hidden directories, and among `*.json` files only
//! those that look like VPC channel requests are kept, so `package.json` is never reported.

use std::path::{Path, PathBuf};

/// Top-level keys that mark a VPC channel request (INTERFACE.md).
pub const MARKER_KEYS: [&str; 5] = [
    "instance_ids",
    "member_type",
    "balance_strategy",
    "vpc_channel_type",
    "vpc_health_config",
];

pub use crate::base::{display, Failure};

fn skip_dir(name: &str) -> bool {
    matches!(name, ".git" | "target" | "node_modules")
        || (name.starts_with('.') && name != "." && name != "..")
}

/// Walk a directory: every file to consider (`*.json`, `*.http`, `*.rest`, or any file when
/// `any_extension`), or a failure for what cannot be read; never follows symlinks, skips
/// [`skip_dir`] directories and, with `respect_gitignore`, what `.gitignore`, `.ignore`,
/// `.git/info/exclude` and the global git excludes ignore (as ruff does, inside a git
/// repository or not). Entries come in directory order (callers sort).
pub fn walk(
    root: &Path,
    any_extension: bool,
    respect_gitignore: bool,
    mut found: impl FnMut(Result<PathBuf, Failure>),
) {
    let walker = ignore::WalkBuilder::new(root)
        .follow_links(false)
        // Hidden directories are skipped below; hidden files are not.
        .hidden(false)
        .parents(respect_gitignore)
        .ignore(respect_gitignore)
        .git_ignore(respect_gitignore)
        .git_global(respect_gitignore)
        .git_exclude(respect_gitignore)
        .require_git(false)
        .filter_entry(|e| {
            e.depth() == 0
                || !e.file_type().is_some_and(|t| t.is_dir())
                || !skip_dir(&e.file_name().to_string_lossy())
        })
        .build();
    for entry in walker {
        match entry {
            Ok(e)
                if e.file_type().is_some_and(|t| t.is_file())
                    && (any_extension
                        || e.path().extension().is_some_and(|x| {
                            ["json", "http", "rest"]
                                .iter()
                                .any(|k| x.eq_ignore_ascii_case(k))
                        })) =>
            {
                found(Ok(e.into_path()));
            }
            Ok(_) => {}
            Err(e) => {
                // A pattern git would skip too (a bad line in a .gitignore) is no reason to
                // fail the run; what cannot be read is.
                let Some(io) = e.io_error() else { continue };
                let path = match &e {
                    ignore::Error::WithPath { path, .. } => display(path),
                    ignore::Error::WithDepth { err, .. } => match &**err {
                        ignore::Error::WithPath { path, .. } => display(path),
                        _ => display(root),
                    },
                    _ => display(root),
                };
                found(Err(Failure {
                    path,
                    message: format!("cannot read: {io}"),
                }));
            }
        }
    }
}

/// Cheap pre-filter for discovered files: does a marker key appear at all?
pub fn may_be_request(bytes: &[u8]) -> bool {
    MARKER_KEYS.iter().any(|k| {
        let quoted = format!("\"{k}\"");
        bytes.windows(quoted.len()).any(|w| w == quoted.as_bytes())
    })
}

/// Is the parsed top level an object with a marker key?
pub fn is_request(doc: crate::json::Node<'_>) -> bool {
    doc.as_object()
        .is_some_and(|m| m.iter().any(|m| MARKER_KEYS.contains(&m.key())))
}

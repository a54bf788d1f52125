//! Which files to lint. A file named on the command line is always linted; directories are
//! walked (without following symlinks, so a link loop cannot trap the walk), skipping
//! `.git`, `target`, `node_modules` and hidden directories, and among `*.json` files only
//! those that look like VPC channel requests are kept, so `package.json` is never reported.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

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
/// [`skip_dir`] directories. Entries come in directory order (callers sort).
pub fn walk(root: &Path, any_extension: bool, mut found: impl FnMut(Result<PathBuf, Failure>)) {
    let walker = WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !e.file_type().is_dir() || !skip_dir(&e.file_name().to_string_lossy())
        });
    for entry in walker {
        match entry {
            Ok(e)
                if e.file_type().is_file()
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
            Err(e) => found(Err(Failure {
                path: e.path().map(display).unwrap_or_else(|| display(root)),
                message: format!(
                    "cannot read: {}",
                    e.io_error()
                        .map_or_else(|| e.to_string(), |io| io.to_string())
                ),
            })),
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
pub fn is_request(doc: &crate::json::Node) -> bool {
    doc.as_object()
        .is_some_and(|m| m.iter().any(|m| MARKER_KEYS.contains(&m.key.as_str())))
}

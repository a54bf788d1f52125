//! Baselines, for turning vpclint on in a repository that already has findings: `check
//! --write-baseline FILE` records today's findings, `--baseline FILE` (or `baseline` in
//! `vpclint.toml`) reports only the others.
//!
//! An entry is keyed by the file (relative to the baseline's directory), the rule, the JSON
//! pointer and a hash of the text the finding points at, never by line: moving lines keeps
//! an entry matching, changing the value does not. Entries that match no finding of a file
//! the run linted are reported as `unused-ignore` on the baseline file, so that a baseline
//! shrinks as findings are fixed.

use super::fs;
use crate::base::display;
use crate::config::absolute;
use crate::diagnostic::{Diagnostic, Span};
use crate::lint::FileReport;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The identity of a finding in a baseline.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    path: String,
    rule: String,
    pointer: String,
    hash: String,
}

fn key(dir: &Path, r: &FileReport, d: &Diagnostic) -> Key {
    let abs = absolute(Path::new(&r.path));
    let rel = abs.strip_prefix(dir).unwrap_or(&abs);
    let value = r.text.get(d.span.start..d.span.end).unwrap_or("");
    Key {
        path: rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        rule: d.rule.name.to_owned(),
        pointer: d.pointer.clone(),
        hash: crate::base::fingerprint(&[value]),
    }
}

/// Write the findings of `reports` to `file` (atomically); returns how many.
pub fn write(file: &Path, reports: &[FileReport]) -> Result<usize, String> {
    let dir = absolute(file.parent().unwrap_or(Path::new(".")));
    let mut counts: Vec<(Key, usize)> = Vec::new();
    let mut at: HashMap<Key, usize> = HashMap::new();
    for r in reports {
        for d in &r.diagnostics {
            let k = key(&dir, r, d);
            match at.get(&k) {
                Some(&i) => counts[i].1 += 1,
                None => {
                    at.insert(k.clone(), counts.len());
                    counts.push((k, 1));
                }
            }
        }
    }
    counts.sort_by(|a, b| {
        (&a.0.path, &a.0.rule, &a.0.pointer).cmp(&(&b.0.path, &b.0.rule, &b.0.pointer))
    });
    // One entry a line: a reviewer reads the diff of a shrinking baseline line by line.
    let mut text = String::from("{\n  \"version\": 1,\n  \"entries\": [\n");
    let n = counts.len();
    for (i, (k, count)) in counts.iter().enumerate() {
        let entry = serde_json::json!({
            "path": k.path, "rule": k.rule, "pointer": k.pointer, "hash": k.hash, "count": count
        });
        text.push_str("    ");
        text.push_str(&entry.to_string());
        text.push_str(if i + 1 < n { ",\n" } else { "\n" });
    }
    text.push_str("  ]\n}\n");
    fs::write_report(file, text.as_bytes())?;
    Ok(counts.iter().map(|(_, c)| c).sum())
}

/// A baseline read from its file.
pub struct Baseline {
    /// The file, as shown.
    pub path: String,
    text: String,
    dir: PathBuf,
    /// Key → (how many findings it still absorbs, its entry's span in the file).
    entries: HashMap<Key, (usize, Span)>,
}

impl Baseline {
    pub fn read(file: &Path, limit: u64) -> Result<Baseline, String> {
        let shown = display(file);
        let bytes = fs::open_nonblocking(file)
            .and_then(|(f, meta)| fs::read_open_file(f, &meta, limit))
            .map_err(|m| format!("the baseline {shown}: {m}"))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("the baseline {shown} is not UTF-8"))?;
        let bad =
            |why: &str| format!("the baseline {shown} {why} (write it with --write-baseline)");
        let tree = crate::json::parse(&text, 0).map_err(|_| bad("is not JSON"))?;
        let list = tree
            .root()
            .get("entries")
            .and_then(crate::json::Node::as_array)
            .ok_or_else(|| bad("has no `entries` list"))?;
        let mut entries = HashMap::with_capacity(list.len());
        for e in list {
            let s = |k: &str| {
                e.get(k)
                    .and_then(crate::json::Node::as_str)
                    .map(str::to_owned)
            };
            let (Some(path), Some(rule), Some(pointer), Some(hash)) =
                (s("path"), s("rule"), s("pointer"), s("hash"))
            else {
                return Err(bad("has an entry without path, rule, pointer and hash"));
            };
            let count = e
                .get("count")
                .and_then(crate::json::Node::as_number)
                .and_then(|n| n.as_integral())
                .map_or(1, |n| n.max(1) as usize);
            let k = Key {
                path,
                rule,
                pointer,
                hash,
            };
            let slot = entries.entry(k).or_insert((0, e.span()));
            slot.0 += count;
        }
        drop(tree);
        Ok(Baseline {
            path: shown,
            text,
            dir: absolute(file.parent().unwrap_or(Path::new("."))),
            entries,
        })
    }

    /// Drop the findings the baseline holds; then report, on the baseline file, the entries
    /// of linted files that held nothing (`None` when there are none).
    pub fn apply(mut self, reports: &mut [FileReport]) -> Option<FileReport> {
        let mut linted_paths = std::collections::HashSet::new();
        let mut used: HashMap<Key, usize> = HashMap::new();
        for r in reports.iter_mut() {
            let diagnostics = std::mem::take(&mut r.diagnostics);
            let mut kept = Vec::with_capacity(diagnostics.len());
            for d in diagnostics {
                let k = key(&self.dir, r, &d);
                linted_paths.insert(k.path.clone());
                match self.entries.get_mut(&k) {
                    Some((n, _)) if *n > 0 => {
                        *n -= 1;
                        *used.entry(k).or_insert(0) += 1;
                    }
                    _ => kept.push(d),
                }
            }
            r.diagnostics = kept;
            let abs = absolute(Path::new(&r.path));
            let rel = abs.strip_prefix(&self.dir).unwrap_or(&abs);
            linted_paths.insert(
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
        let mut stale: Vec<(Span, &Key)> = self
            .entries
            .iter()
            .filter(|(k, (left, _))| {
                *left > 0 && !used.contains_key(*k) && linted_paths.contains(&k.path)
            })
            .map(|(k, (_, span))| (*span, k))
            .collect();
        if stale.is_empty() {
            return None;
        }
        stale.sort_by_key(|(s, _)| s.start);
        let diagnostics = stale
            .into_iter()
            .map(|(span, k)| {
                Diagnostic::new(
                    &crate::rules::config::UNUSED_IGNORE,
                    "",
                    span,
                    format!(
                        "this baseline entry for `{}` ({} at {}) matches no finding",
                        k.path,
                        k.rule,
                        if k.pointer.is_empty() { "the document" } else { &k.pointer }
                    ),
                )
                .primary("stale baseline entry")
                .help("the finding is gone (or its value changed): write the baseline again with --write-baseline")
            })
            .collect();
        let mut own = FileReport::empty(&self.path);
        own.text = std::mem::take(&mut self.text);
        own.looks_like_request = None;
        own.diagnostics = diagnostics;
        Some(own)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    #[test]
    fn entries_survive_moved_lines_but_not_changed_values() {
        let d = std::env::temp_dir().join(format!("vpclint-baseline-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let file = d.join("x.json");
        let body = "{\"port\": \"80\"}";
        let lint = |text: &str| {
            vec![crate::lint::lint_bytes(
                file.to_str().unwrap(),
                text.as_bytes(),
                &Settings::default(),
            )]
        };
        let base = d.join("vpclint-baseline.json");
        let n = write(&base, &lint(body)).unwrap();
        assert!(n >= 2);
        // The same findings on other lines: all absorbed.
        let mut moved = lint(&format!("\n\n  {body}"));
        assert!(Baseline::read(&base, 1 << 20)
            .unwrap()
            .apply(&mut moved)
            .is_none());
        assert!(moved[0].diagnostics.is_empty());
        // A changed value is a new finding; the old entry is stale.
        let mut changed = lint("{\"port\": \"81\"}");
        let stale = Baseline::read(&base, 1 << 20).unwrap().apply(&mut changed);
        assert_eq!(changed[0].diagnostics.len(), 1);
        assert_eq!(changed[0].diagnostics[0].pointer, "/port");
        let stale = stale.unwrap();
        assert_eq!(stale.diagnostics.len(), 1);
        assert_eq!(stale.diagnostics[0].rule.name, "unused-ignore");
    }
}

//! One JSON body, linted: bytes → decoded text → spanned tree → the schema pass and the
//! cross-field rules → diagnostics with their severities resolved. Pure: no file system,
//! no config file; the caller says which operation the body is for.

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::secrets::ChannelFacts;
use crate::settings::Settings;
use crate::{discover, json, operation, rules};

/// The findings for one file, with the text they point into.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub path: String,
    /// The file as text (lossy only when it is not UTF-8, in which case the sole
    /// diagnostic points before the first replaced byte).
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
    pub facts: Option<ChannelFacts>,
    /// Whether the top level looks like a VPC channel request; `None` when it did not parse.
    pub looks_like_request: Option<bool>,
    /// What the file was linted as (for a `.http` file, its first request's operation).
    pub operation: &'static operation::Operation,
    /// What `--fix` did to the file; `None` for nothing, as for nearly every file of a big
    /// run, which then keeps eight bytes for it rather than fifty-six.
    pub fixes: Option<Box<Fixes>>,
}

/// What `--fix` (or `--diff`) did to one file.
#[derive(Clone, Debug, Default)]
pub struct Fixes {
    /// How many fixes were applied.
    pub count: usize,
    /// The rule of each fix applied, in order (`--show-fixes`).
    pub rules: Vec<&'static crate::diagnostic::Rule>,
    /// What `--diff` shows for the file: a unified diff of the fixes, when there are any.
    pub diff: Option<String>,
}

impl FileReport {
    /// How many fixes `--fix` applied to the file.
    pub fn fixed(&self) -> usize {
        self.fixes.as_ref().map_or(0, |f| f.count)
    }

    /// The rule of each fix applied, in order.
    pub fn fixed_rules(&self) -> &[&'static crate::diagnostic::Rule] {
        self.fixes.as_ref().map_or(&[], |f| &f.rules)
    }

    /// The unified diff of the fixes, when there are any.
    pub fn fix_diff(&self) -> Option<&str> {
        self.fixes.as_ref().and_then(|f| f.diff.as_deref())
    }

    /// Record what fixing did; nothing at all is kept as `None`.
    pub fn set_fixes(
        &mut self,
        count: usize,
        rules: Vec<&'static crate::diagnostic::Rule>,
        diff: Option<String>,
    ) {
        self.fixes = (count > 0 || !rules.is_empty() || diff.is_some())
            .then(|| Box::new(Fixes { count, rules, diff }));
    }

    /// Let a clean file's report go of its text. Only a cross-file finding can still point
    /// into it, at its channel name (`duplicate-channel-name`), and a reporter reads the
    /// text up to the spans it shows: the text up to the end of that line is kept, nothing
    /// for a file without such facts. 10 000 clean files then hold a line each until the
    /// run is reported, not their whole text.
    pub fn shed_clean_text(&mut self) {
        if !self.diagnostics.is_empty() || self.fix_diff().is_some() {
            return;
        }
        let keep = self.facts.as_ref().map_or(0, |f| {
            let end = f.name_span.end.min(self.text.len());
            self.text[end..]
                .find('\n')
                .map_or(self.text.len(), |i| end + i + 1)
        });
        if keep < self.text.len() {
            self.text.truncate(keep);
            self.text.shrink_to_fit();
        }
    }

    /// The report of a file with nothing to say (a request file with none of the family's
    /// requests, named on the command line).
    pub fn empty(path: &str) -> FileReport {
        FileReport {
            path: path.to_owned(),
            text: String::new(),
            diagnostics: Vec::new(),
            facts: None,
            looks_like_request: Some(false),
            operation: operation::default(),
            fixes: None,
        }
    }
}

/// Lint one file's bytes. Never panics on any input (see the property tests and the fuzz
/// target).
pub fn lint_bytes(path: &str, bytes: &[u8], settings: &Settings) -> FileReport {
    lint_owned(path, bytes.to_vec(), settings, operation::default())
}

/// [`lint_bytes`] as a given operation's body.
pub fn lint_bytes_as(
    path: &str,
    bytes: &[u8],
    settings: &Settings,
    op: &'static operation::Operation,
) -> FileReport {
    lint_owned(path, bytes.to_vec(), settings, op)
}

/// ```
/// use vpclint::{lint_bytes, Settings};
///
/// let body = br#"{"name": "web", "port": "80", "balance_strategy": 1, "member_type": "ip",
///                 "instance_ids": ["eea73cde015940908ae0117d67bf7330"]}"#;
/// let report = lint_bytes("web.json", body, &Settings::default());
/// let d = &report.diagnostics[0];
/// assert_eq!((d.rule.name, d.pointer.as_str()), ("wrong-type", "/port"));
/// assert_eq!(d.help.as_deref(), Some("write 80 without quotes"));
/// ```
///
/// [`lint_bytes`] for bytes the caller no longer needs: a UTF-8 file becomes the report's
/// text without a copy.
pub fn lint_owned(
    path: &str,
    bytes: Vec<u8>,
    settings: &Settings,
    op: &'static operation::Operation,
) -> FileReport {
    let mut report = lint_inner(path, &bytes, settings, op, false);
    report.text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    report
}

/// A request file's body, its resolvable placeholders already substituted: a string that
/// still holds a `{{placeholder}}` is a value unknown here, which no format, enum, length,
/// range or host rule judges.
pub(crate) fn lint_request_body(
    path: &str,
    bytes: Vec<u8>,
    settings: &Settings,
    op: &'static operation::Operation,
) -> FileReport {
    lint_inner(path, &bytes, settings, op, true)
}

/// From this size on, a document's schema pass and rules run on two threads.
const PARALLEL_DOCUMENT: usize = 1 << 20;

fn lint_inner(
    path: &str,
    bytes: &[u8],
    settings: &Settings,
    op: &'static operation::Operation,
    placeholders: bool,
) -> FileReport {
    let mut diagnostics = Vec::new();
    let mut facts = None;
    let mut looks_like_request = None;
    match rules::reading::decode(bytes) {
        Err(d) => diagnostics.push(*d),
        Ok(decoded) => {
            diagnostics.extend(decoded.bom);
            match json::parse(decoded.text, decoded.base) {
                Err(e) => diagnostics.push(rules::reading::syntax_error(e)),
                Ok(tree) => {
                    let doc = tree.root();
                    // The full file (BOM included, for sub-string spans); without a BOM it
                    // is the decoded text, already known to be UTF-8.
                    let full = if decoded.base == 0 {
                        decoded.text
                    } else {
                        std::str::from_utf8(bytes).unwrap_or(decoded.text)
                    };
                    rules::reading::check_tree(op, &tree, &mut diagnostics);
                    let schema_pass = || {
                        let mut ctx = rules::Ctx::new(doc, full, settings.instance_ids_limit, op);
                        ctx.placeholders = placeholders;
                        rules::shape::check(doc, full, &mut ctx);
                        ctx.out
                    };
                    let rule_pass = || {
                        let mut ctx = rules::Ctx::new(doc, full, settings.instance_ids_limit, op);
                        ctx.placeholders = placeholders;
                        rules::run_cross_field(&mut ctx);
                        // Only a create makes a channel whose name another create can clash with.
                        let facts = op
                            .creates_channel()
                            .then(|| rules::secrets::facts(&ctx.body))
                            .flatten();
                        (ctx.out, facts, discover::is_request(doc))
                    };
                    // The two passes only read the tree: a big document has them on two
                    // cores (the schema pass and the rules each take about half the time).
                    let two = full.len() >= PARALLEL_DOCUMENT && settings.threads != Some(1);
                    let (schema_out, (rules_out, f, looks)) = if two {
                        std::thread::scope(|s| {
                            match std::thread::Builder::new().spawn_scoped(s, schema_pass) {
                                Ok(schema) => {
                                    let rules = rule_pass();
                                    let schema = schema
                                        .join()
                                        .unwrap_or_else(|p| std::panic::resume_unwind(p));
                                    (schema, rules)
                                }
                                // No thread to be had: one core does both.
                                Err(_) => (schema_pass(), rule_pass()),
                            }
                        })
                    } else {
                        // Rules first: the validator may still be compiling on another
                        // thread (`schema::prepare`).
                        let rules = rule_pass();
                        (schema_pass(), rules)
                    };
                    diagnostics.extend(schema_out);
                    diagnostics.extend(rules_out);
                    facts = f;
                    looks_like_request = Some(looks);
                }
            }
        }
    }
    finish(&mut diagnostics, settings);
    FileReport {
        path: path.to_owned(),
        text: String::new(),
        diagnostics,
        facts,
        looks_like_request,
        operation: op,
        fixes: None,
    }
}

/// The JSON Schema pass alone, as a third-party validator would judge the file: `None` when
/// the bytes are not strict JSON (nothing to validate), else the schema diagnostics before
/// any cross-field rule has folded a cascade into its cause.
pub fn schema_pass(bytes: &[u8]) -> Option<Vec<Diagnostic>> {
    let decoded = rules::reading::decode(bytes).ok()?;
    if decoded.bom.is_some() {
        return None;
    }
    let tree = json::parse(decoded.text, decoded.base).ok()?;
    let doc = tree.root();
    let settings = Settings::default();
    let mut ctx = rules::Ctx::new(
        doc,
        decoded.text,
        settings.instance_ids_limit,
        operation::default(),
    );
    rules::shape::check(doc, decoded.text, &mut ctx);
    Some(ctx.out)
}

/// Resolve severities, drop what is off, and sort by offset (then rule, for stability).
pub fn finish(diagnostics: &mut Vec<Diagnostic>, settings: &Settings) {
    for d in diagnostics.iter_mut() {
        d.severity = settings.severity_from(d.rule, d.base_severity);
    }
    diagnostics.retain(|d| d.severity != Severity::Off);
    diagnostics.sort_by(|a, b| {
        (a.span.start, a.span.end, a.rule.name, &a.pointer).cmp(&(
            b.span.start,
            b.span.end,
            b.rule.name,
            &b.pointer,
        ))
    });
}

//! The core types every stage trades in: a [`Rule`] (name, severity, docs), a
//! [`Diagnostic`] with its rule, severity, JSON pointer and byte spans, and [`Span`]. Rules
//! produce diagnostics, reporters consume them. This module imports nothing else of the
//! crate, so everything can depend on it and it on nothing.

use std::fmt;

/// A rule's identity and documentation. Diagnostics point at their rule, so every output
/// format can find the docs without a lookup table of its own.
#[derive(Debug)]
pub struct Rule {
    /// Public interface: users write it in configs and suppressions. Never rename.
    pub name: &'static str,
    pub default_severity: Severity,
    pub group: &'static str,
    /// One line, for `vpclint rules` and SARIF `shortDescription`.
    pub summary: &'static str,
    /// What it does: the precise trigger.
    pub what: &'static str,
    /// Why is this bad?
    pub why: &'static str,
    /// A request fragment that triggers the rule.
    pub bad: &'static str,
    /// The same fragment, fixed.
    pub good: &'static str,
    /// The sentence of the API reference (or catalogue) the rule rests on.
    pub source: &'static str,
    /// The operation whose body the examples are (`None`: the default,
    /// `roma:CreateProjectVpcChannel`).
    pub example_operation: Option<&'static str>,
    /// The surest fix the rule can offer (a test holds every fix a rule makes to it).
    pub fix: Fixable,
}

/// Whether a rule can fix what it finds, and how surely: `rules`, `explain` and the JSON
/// list say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fixable {
    /// Never: the fix needs a decision only the user can make.
    No,
    /// A likely fix, applied with `--unsafe-fixes`.
    Unsafe,
    /// A certain fix, applied by `--fix` (in some cases the fix may only be likely).
    Safe,
}

impl Fixable {
    pub fn as_str(self) -> &'static str {
        match self {
            Fixable::No => "none",
            Fixable::Unsafe => "unsafe",
            Fixable::Safe => "safe",
        }
    }
    /// How `explain` and `rules` say it.
    pub fn words(self) -> &'static str {
        match self {
            Fixable::No => "no automatic fix",
            Fixable::Unsafe => "fixable with `--fix --unsafe-fixes` (a likely fix: review it)",
            Fixable::Safe => "fixable with `--fix` (a certain fix)",
        }
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Rule {
    /// The long documentation as Markdown, shared by `explain`, SARIF `help` and the LSP.
    pub fn markdown(&self) -> String {
        let body = match self.example_operation {
            Some(op) => format!("the body of `{op}`"),
            None => "the smallest valid request with these fields added".to_owned(),
        };
        format!(
            "# {name}\n\nDefault severity: **{sev}** · group: {group} · fix: {fix}\n\n## What it does\n{what}\n\n## Why is this bad?\n{why}\n\n## Example\n```json\n{bad}\n```\n\nUse instead:\n```json\n{good}\n```\n\nA fragment stands for {body}; completed so, each example lints as described (a test checks it).\n\n## Source\n> {source}\n",
            name = self.name,
            sev = self.default_severity,
            group = self.group,
            fix = self.fix.words(),
            what = self.what,
            why = self.why,
            bad = self.bad,
            good = self.good,
            source = self.source,
            body = body,
        )
    }
}

/// A half-open byte range `[start, end)` into the file as read from disk (BOM included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub const fn at(offset: usize) -> Self {
        Span {
            start: offset,
            end: offset,
        }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Off,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Off => "off",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "off" | "allow" => Severity::Off,
            "info" => Severity::Info,
            "warning" | "warn" => Severity::Warning,
            "error" | "deny" => Severity::Error,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary location. `path` is set only when the label lives in another file
/// (`duplicate-channel-name`); formats that cannot show other files fall back to the help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub message: String,
    pub span: Span,
    pub path: Option<String>,
}

/// A text replacement in the file the diagnostic belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

/// How sure a rule is of a fix, in the style of ruff's `Applicability`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// Shown with the help, never applied: the rule proposes a value but cannot know it is
    /// the one meant (which of two fields to change, say).
    DisplayOnly,
    /// A guess that is usually right (rename a misspelt key to the closest known one);
    /// applied by `--unsafe-fixes`, offered as a quick fix but never as the preferred one.
    Unsafe,
    /// Certain: the meaning of the request does not change (unquote a number that
    /// round-trips, drop a duplicate instance ID). Applied by `--fix`.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::DisplayOnly => "display-only",
            Applicability::Unsafe => "unsafe",
            Applicability::Safe => "safe",
        }
    }
}

/// A concrete change that a diagnostic proposes. Every fix, whatever its applicability, is a
/// promise: applied to its file it yields valid JSON without the diagnostic and without a
/// new error (tested over all of `testdata/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn new(
        applicability: Applicability,
        title: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Fix {
        Fix {
            title: title.into(),
            applicability,
            edits: vec![Edit {
                span,
                replacement: replacement.into(),
            }],
        }
    }

    /// `text` with the edits applied (edits must not overlap; they are applied back to
    /// front so that earlier spans stay valid).
    pub fn apply(&self, text: &str) -> Option<String> {
        let mut edits: Vec<&Edit> = self.edits.iter().collect();
        edits.sort_by_key(|e| e.span.start);
        let mut out = text.to_owned();
        let mut floor = usize::MAX;
        for e in edits.iter().rev() {
            if e.span.end > floor
                || e.span.end > out.len()
                || !out.is_char_boundary(e.span.start)
                || !out.is_char_boundary(e.span.end)
            {
                return None;
            }
            out.replace_range(e.span.start..e.span.end, &e.replacement);
            floor = e.span.start;
        }
        Some(out)
    }
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub pointer: String,
    pub span: Span,
    /// Text shown under the primary span in the graphical report.
    pub primary_label: Option<String>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
    /// The operation the finding was made for, when it differs within one file (each
    /// request of a `.http` file); otherwise the file's.
    pub operation: Option<&'static str>,
    /// Further concrete proposals shown with the help (display-only alternatives to `fix`,
    /// such as "or lower timeout to 4"); held to the same promise as `fix`.
    pub alternatives: Vec<Fix>,
    /// The severity before the user's levels: the rule's default, unless this finding's
    /// circumstances make it weaker (APIG's `type`, a type-dependent finding on an update).
    pub base_severity: Severity,
}

impl Diagnostic {
    pub fn new(
        rule: &'static Rule,
        pointer: impl Into<String>,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            rule,
            severity: rule.default_severity,
            message: message.into(),
            pointer: pointer.into(),
            span,
            primary_label: None,
            labels: Vec::new(),
            help: None,
            fix: None,
            operation: None,
            alternatives: Vec::new(),
            base_severity: rule.default_severity,
        }
    }
    /// This finding's severity before the user's levels, when it is not the rule's default.
    pub fn base(mut self, severity: Severity) -> Self {
        self.base_severity = severity;
        self.severity = severity;
        self
    }
    /// Attach a certain fix.
    pub fn safe_fix(
        self,
        title: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Self {
        self.with_fix(Fix::new(Applicability::Safe, title, span, replacement))
    }
    /// Attach a likely fix that needs the user's consent.
    pub fn unsafe_fix(
        self,
        title: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Self {
        self.with_fix(Fix::new(Applicability::Unsafe, title, span, replacement))
    }
    /// Attach a fix; a second one becomes an alternative.
    pub fn with_fix(mut self, fix: Fix) -> Self {
        if self.fix.is_none() {
            self.fix = Some(fix);
        } else {
            self.alternatives.push(fix);
        }
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
    pub fn primary(mut self, text: impl Into<String>) -> Self {
        self.primary_label = Some(text.into());
        self
    }
    pub fn label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            message: message.into(),
            span,
            path: None,
        });
        self
    }
}

/// Maps byte offsets to 1-based line and column. Lines end at `\n`, `\r\n` or a lone `\r`
/// (as LSP and most editors count them). Columns count Unicode scalar values; UTF-16 columns
/// are offered for SARIF and LSP.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// Every ~1 KiB of text: (byte offset, chars before it, UTF-16 units before it), built
    /// on first use. Columns are then counted from the nearest checkpoint, not from the line
    /// start: a minified 20 MB request is one line, and counting it whole per diagnostic
    /// made reporting quadratic.
    checkpoints: std::sync::OnceLock<Vec<(usize, usize, usize)>>,
}

const CHECKPOINT_EVERY: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push(i + 1);
                }
                _ => {}
            }
            i += 1;
        }
        LineIndex {
            starts,
            checkpoints: std::sync::OnceLock::new(),
        }
    }

    /// (chars, UTF-16 units) in `text[..offset]`; `offset` must be a char boundary.
    fn counts_before(&self, text: &str, offset: usize) -> (usize, usize) {
        if offset <= CHECKPOINT_EVERY {
            let t = &text[..offset];
            return (t.chars().count(), t.chars().map(char::len_utf16).sum());
        }
        let cps = self.checkpoints.get_or_init(|| {
            let mut out = vec![(0, 0, 0)];
            let (mut chars, mut units, mut next) = (0, 0, CHECKPOINT_EVERY);
            for (i, c) in text.char_indices() {
                if i >= next {
                    out.push((i, chars, units));
                    next = i + CHECKPOINT_EVERY;
                }
                chars += 1;
                units += c.len_utf16();
            }
            out
        });
        let k = match cps.binary_search_by_key(&offset, |c| c.0) {
            Ok(k) => k,
            Err(k) => k - 1,
        };
        let (at, chars, units) = cps[k];
        let t = &text[at..offset];
        (
            chars + t.chars().count(),
            units + t.chars().map(char::len_utf16).sum::<usize>(),
        )
    }

    /// The offset in UTF-16 code units from the start of the text (SARIF `charOffset`).
    pub fn utf16_offset(&self, text: &str, offset: usize) -> usize {
        self.counts_before(text, floor_char_boundary(text, offset))
            .1
    }

    /// The length in bytes of the line holding `offset`.
    pub fn line_len(&self, text: &str, offset: usize) -> usize {
        let (line, start) = self.line_of(offset.min(text.len()));
        self.starts.get(line + 1).copied().unwrap_or(text.len()) - start
    }

    /// 0-based line number and the byte offset at which that line starts.
    pub fn line_of(&self, offset: usize) -> (usize, usize) {
        let line = match self.starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        (line, self.starts[line])
    }

    /// 1-based line and column (in chars). Offsets inside a multi-byte char or past the end
    /// are clamped so that hostile spans can never make a reporter panic.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset);
        let (line, start) = self.line_of(offset);
        let column = if offset - start <= CHECKPOINT_EVERY {
            text[start..offset].chars().count() + 1
        } else {
            self.counts_before(text, offset).0 - self.counts_before(text, start).0 + 1
        };
        Position {
            offset,
            line: line + 1,
            column,
        }
    }

    /// 1-based line and column counted in UTF-16 code units (SARIF `utf16CodeUnits`, LSP).
    pub fn position_utf16(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset);
        let (line, start) = self.line_of(offset);
        let col: usize = if offset - start <= CHECKPOINT_EVERY {
            text[start..offset].chars().map(char::len_utf16).sum()
        } else {
            self.counts_before(text, offset).1 - self.counts_before(text, start).1
        };
        (line + 1, col + 1)
    }
}

pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

/// Escape one reference token of a JSON pointer (RFC 6901).
/// One RFC 6901 reference token, decoded (borrowed unless it holds an escape).
pub fn unescape_token(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.contains('~') {
        std::borrow::Cow::Owned(raw.replace("~1", "/").replace("~0", "~"))
    } else {
        std::borrow::Cow::Borrowed(raw)
    }
}

pub fn escape_token(token: &str) -> String {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1")
    } else {
        token.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_chars_and_all_line_endings() {
        let text = "a\r\nb\rc\n中x";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(text, 3).line, 2);
        assert_eq!(idx.position(text, 5).line, 3);
        let p = idx.position(text, text.len() - 1);
        assert_eq!((p.line, p.column), (4, 2));
        assert_eq!(idx.position_utf16(text, text.len() - 1), (4, 2));
        // Inside a multi-byte char: clamped, never a panic.
        assert_eq!(idx.position(text, text.len() - 2).column, 1);
    }

    #[test]
    fn long_lines_count_from_checkpoints_exactly() {
        let text: String = "ab中😀\r\n".repeat(10) + &"x中😀".repeat(3000);
        let idx = LineIndex::new(&text);
        for (o, _) in text.char_indices().step_by(97) {
            let (line, start) = idx.line_of(o);
            let naive = text[start..o].chars().count() + 1;
            let naive16: usize = text[start..o].chars().map(char::len_utf16).sum::<usize>() + 1;
            assert_eq!(idx.position(&text, o).column, naive, "{o}");
            assert_eq!(idx.position_utf16(&text, o), (line + 1, naive16), "{o}");
            let all16: usize = text[..o].chars().map(char::len_utf16).sum();
            assert_eq!(idx.utf16_offset(&text, o), all16, "{o}");
        }
    }

    #[test]
    fn pointer_tokens_escape() {
        assert_eq!(escape_token("a/b~c"), "a~1b~0c");
    }
}

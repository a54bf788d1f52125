//! Findings about vpclint's own configuration (`vpclint.toml`), not about requests.

use super::Rule;
use crate::diagnostic::Fixable;
use crate::diagnostic::Severity;

pub static UNUSED_IGNORE: Rule = Rule {
    name: "unused-ignore",
    default_severity: Severity::Warning,
    group: "config",
    summary: "An [[ignore]] in vpclint.toml suppressed nothing",
    what: "Reports an `[[ignore]]` entry of vpclint.toml whose path matched linted files but which suppressed no finding. Entries whose path matched no linted file are not judged (a pre-commit run sees only a few files).",
    why: "A stale ignore silently hides the next, real finding of that rule in those files; remove it once the finding it was written for is fixed.",
    bad: "[[ignore]]\npath = \"channels/web.json\"\nrules = [\"deprecated-type\"]   # web.json no longer uses `type`\nreason = \"migration\"",
    good: "# (no ignore: web.json is clean)",
    source: "vpclint's configuration, like ruff's unused-noqa.",    example_operation: None,
    fix: Fixable::No,
};

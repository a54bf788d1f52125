//! Applying fixes: in rounds, until nothing changes (at most [`MAX_ROUNDS`]); within a
//! round, fixes whose edits overlap an earlier fix's are left for the next round, when
//! the file has been linted again. Only the edited spans change: line endings,
//! indentation and everything else stay byte for byte.

use crate::diagnostic::{Edit, Span};
use crate::lint::FileReport;

pub const MAX_ROUNDS: usize = 10;

pub use crate::settings::FixMode;

/// The result of fixing one file.
pub struct Fixed {
    pub text: Vec<u8>,
    /// How many fixes were applied, over all rounds.
    pub count: usize,
    /// The rule of each fix applied, in order.
    pub rules: Vec<&'static crate::diagnostic::Rule>,
    /// The report of the text as it ends.
    pub report: FileReport,
}

/// Fix `bytes` with `lint` (the file's own pipeline: JSON as its operation, or `.http`).
/// `None` from `lint` (a file that is not a request) ends the rounds.
pub fn fix(
    bytes: Vec<u8>,
    mode: FixMode,
    mut lint: impl FnMut(Vec<u8>) -> Option<FileReport>,
) -> Option<Fixed> {
    let mut text = bytes;
    let mut report = lint(text.clone())?;
    let mut count = 0;
    let mut rules = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let Ok(current) = std::str::from_utf8(&text) else {
            break;
        };
        let (edits, applied) = round(&report, mode);
        let n = applied.len();
        if n == 0 {
            break;
        }
        // An edit that cannot be applied ends the fixing: nothing is counted that did not
        // happen.
        let Ok(next) = apply(current, &edits) else {
            break;
        };
        if next.as_bytes() == text.as_slice() {
            break;
        }
        count += n;
        rules.extend(applied);
        text = next.into_bytes();
        match lint(text.clone()) {
            Some(r) => report = r,
            None => break,
        }
    }
    Some(Fixed {
        text,
        count,
        rules,
        report,
    })
}

/// The fixes of one round: every allowed fix whose edits overlap none already taken, and the
/// rule of each.
pub fn round(
    report: &FileReport,
    mode: FixMode,
) -> (Vec<Edit>, Vec<&'static crate::diagnostic::Rule>) {
    let mut fixes: Vec<(&'static crate::diagnostic::Rule, &crate::diagnostic::Fix)> = report
        .diagnostics
        .iter()
        .filter_map(|d| d.fix.as_ref().map(|f| (d.rule, f)))
        .filter(|(_, f)| mode.allows(f.applicability) && !f.edits.is_empty())
        .collect();
    fixes.sort_by_key(|(_, f)| f.edits.iter().map(|e| e.span.start).min());
    let mut taken: Vec<Span> = Vec::new();
    let mut edits = Vec::new();
    let mut applied = Vec::new();
    for (rule, f) in fixes {
        // Touching spans conflict too: two insertions at one place have no order.
        let clash = f.edits.iter().any(|e| {
            taken
                .iter()
                .any(|t| e.span.start <= t.end && t.start <= e.span.end)
        });
        if clash {
            continue;
        }
        taken.extend(f.edits.iter().map(|e| e.span));
        edits.extend(f.edits.iter().cloned());
        applied.push(rule);
    }
    (edits, applied)
}

/// An edit that cannot be applied: out of bounds, inside a character, or overlapping
/// another edit of the same round.
#[derive(Debug, PartialEq, Eq)]
pub struct BadEdit(pub Span);

/// Apply edits that do not overlap, or none at all: the one edit applier, for `--fix` and
/// the language server alike.
pub fn apply(text: &str, edits: &[Edit]) -> Result<String, BadEdit> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in sorted {
        let ok = e.span.start >= at
            && e.span.start <= e.span.end
            && e.span.end <= text.len()
            && text.is_char_boundary(e.span.start)
            && text.is_char_boundary(e.span.end);
        if !ok {
            return Err(BadEdit(e.span));
        }
        out.push_str(&text[at..e.span.start]);
        out.push_str(&e.replacement);
        at = e.span.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// A unified diff of a fix, as `--diff` prints it.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Applicability;
    use crate::lint::lint_bytes;
    use crate::settings::Settings;

    fn run(text: &str, unsafe_fixes: bool) -> Fixed {
        fix(
            text.as_bytes().to_vec(),
            FixMode::Apply { unsafe_fixes },
            |b| Some(lint_bytes("x.json", &b, &Settings::default())),
        )
        .unwrap()
    }

    #[test]
    fn safe_fixes_in_rounds_keep_the_rest_byte_for_byte() {
        let text = "{\r\n\t\"name\": \"web\",\r\n\t\"port\": \"80\",\r\n\t\"balance_strategy\": 1,\r\n\t\"member_type\": \"IP\",\r\n\t\"type\": 2,\r\n\t\"instance_ids\": [\"a1\", \"a1\"]\r\n}";
        let f = run(text, false);
        let out = String::from_utf8(f.text).unwrap();
        assert_eq!(
            out,
            "{\r\n\t\"name\": \"web\",\r\n\t\"port\": 80,\r\n\t\"balance_strategy\": 1,\r\n\t\"member_type\": \"ip\",\r\n\t\"vpc_channel_type\": \"builtin\",\r\n\t\"instance_ids\": [\"a1\"]\r\n}"
        );
        assert_eq!(f.count, 4);
        assert!(f.report.diagnostics.iter().all(|d| d
            .fix
            .as_ref()
            .is_none_or(|x| x.applicability != Applicability::Safe)));
    }

    #[test]
    fn an_edit_that_cannot_be_applied_is_an_error_not_a_silent_skip() {
        let e = |s, t, r: &str| Edit {
            span: Span::new(s, t),
            replacement: r.into(),
        };
        assert_eq!(apply("abc", &[e(1, 2, "X")]).unwrap(), "aXc");
        assert_eq!(apply("abc", &[e(2, 9, "X")]), Err(BadEdit(Span::new(2, 9))));
        assert!(apply("é", &[e(1, 1, "X")]).is_err(), "inside a character");
        assert!(
            apply("abc", &[e(0, 2, "X"), e(1, 3, "Y")]).is_err(),
            "overlap"
        );
        assert_eq!(apply("abc", &[e(1, 1, "X"), e(1, 2, "Y")]).unwrap(), "aXYc");
    }

    #[test]
    fn unsafe_fixes_only_when_asked() {
        let text = r#"{"name": "web", "port": 80, "balance_strategy": 1, "member_type": "ip", "instance_ids": ["a1"], "vpc_health_config": {"protocol": "TCP", "threshold_normal": 2, "threshold_abnormal": 3, "time_intervall": 10, "timeout": 5}}"#;
        assert_eq!(run(text, false).count, 0);
        let f = run(text, true);
        assert_eq!(f.count, 1);
        assert!(String::from_utf8(f.text)
            .unwrap()
            .contains("\"time_interval\": 10"));
        assert!(f.report.diagnostics.is_empty());
    }
}

//! The default `full` format: miette's graphical report with the source snippet, a label on
//! every span involved, the rule name and the help.

use crate::diagnostic::{floor_char_boundary, Diagnostic, Severity};
use crate::lint::FileReport;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use std::fmt;

struct Rendered<'a> {
    d: &'a Diagnostic,
    /// `None` when the span sits on a line too long to show (a minified request): miette
    /// would print the whole line for every finding on it.
    src: Option<&'a NamedSource<String>>,
    text: &'a str,
    operation: &'static str,
}

/// Lines longer than this are not shown as snippets; the finding keeps its message, labels'
/// text in the help and its pointer.
const MAX_SNIPPET_LINE: usize = 2000;

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&visible(&self.d.message))
    }
}

/// Text quoted from a file, made safe for a terminal: control characters other than line
/// breaks and tabs become visible escapes (`\u{1b}`), so that an escape sequence in a
/// request cannot colour, move or clear the reader's terminal.
fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// The file's text for a snippet, with the same bytes and characters where they are
/// printable and a visible stand-in where they are not: `?` for a one-byte control
/// character, `¿` for a two-byte one (C1), so every span stays where it was.
fn snippet_text(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return text.to_owned();
    }
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => c,
            c if c.is_control() && c.len_utf8() == 1 => '?',
            c if c.is_control() => '¿',
            c => c,
        })
        .collect()
}

impl std::error::Error for Rendered<'_> {}

impl Rendered<'_> {
    /// miette wants spans on char boundaries inside the source; clamp defensively.
    fn clamp(&self, start: usize, end: usize) -> (usize, usize) {
        let s = floor_char_boundary(self.text, start);
        let e = floor_char_boundary(self.text, end.max(s));
        (s, e - s)
    }
}

impl miette::Diagnostic for Rendered<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!(
            "{}{}",
            self.d.rule.name,
            match super::fix_mark(self.d) {
                "" => "",
                _ => " [*]",
            }
        )))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            _ => miette::Severity::Advice,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        // A finding on a request line or header of a `.http` file is in no JSON document:
        // no pointer to show.
        let request_level = self.d.rule.group == "http"
            || (self.d.pointer.is_empty() && self.d.rule.name == "plaintext-secret");
        let pointer = if self.d.pointer.is_empty() {
            "(document root)"
        } else {
            &self.d.pointer
        };
        let mut text = match (&self.d.help, request_level) {
            (Some(h), true) => h.clone(),
            (None, true) => String::new(),
            (Some(h), false) => format!("{h}\npointer: {pointer}"),
            (None, false) => format!("pointer: {pointer}"),
        };
        // The default operation goes without saying; any other is named.
        if self.operation != crate::operation::default().id {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&format!("operation: {}", self.operation));
        }
        Some(Box::new(visible(&text).into_owned()))
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.src.map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (s, l) = self.clamp(self.d.span.start, self.d.span.end);
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            self.d
                .primary_label
                .as_deref()
                .map(|m| visible(m).into_owned()),
            (s, l),
        )];
        for lab in self.d.labels.iter().filter(|l| l.path.is_none()) {
            let (s, l) = self.clamp(lab.span.start, lab.span.end);
            labels.push(LabeledSpan::new_with_span(
                Some(visible(&lab.message).into_owned()),
                (s, l),
            ));
        }
        Some(Box::new(labels.into_iter()))
    }
}

pub fn render(reports: &[FileReport], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_context_lines(2);
    let mut out = String::new();
    for r in reports {
        if r.diagnostics.is_empty() {
            continue;
        }
        // A name with a newline or an escape sequence must not forge lines or reach the
        // terminal.
        let name = crate::base::escape_name(&r.path);
        let src = NamedSource::new(name.as_ref(), snippet_text(&r.text)).with_language("json");
        let index = crate::diagnostic::LineIndex::new(&r.text);
        for d in &r.diagnostics {
            let short = [d.span.start, d.span.end]
                .into_iter()
                .chain(
                    d.labels
                        .iter()
                        .filter(|l| l.path.is_none())
                        .map(|l| l.span.start),
                )
                .all(|o| index.line_len(&r.text, o) <= MAX_SNIPPET_LINE);
            if !short {
                let p = index.position(&r.text, d.span.start);
                out.push_str(&format!("{name}:{}:{}: ", p.line, p.column));
            }
            let rendered = Rendered {
                d,
                src: short.then_some(&src),
                text: &r.text,
                operation: super::operation_of(r, d),
            };
            if handler.render_report(&mut out, &rendered).is_err() {
                out.push_str(&format!(
                    "{name}: {}[{}] {}\n",
                    d.severity, d.rule.name, d.message
                ));
            }
            out.push('\n');
        }
    }
    out
}

/// A config error, rendered like a diagnostic but without colour (it goes to stderr) and
/// without a rule code (a broken config is not a lint finding).
pub fn render_config_error(
    path: &str,
    text: &str,
    span: crate::diagnostic::Span,
    message: &str,
    help: Option<&str>,
) -> String {
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_links(false);
    let error = ConfigError {
        message: format!("invalid configuration: {message}"),
        help: help.map(str::to_owned),
        src: NamedSource::new(path, text.to_owned()).with_language("toml"),
        at: {
            let s = floor_char_boundary(text, span.start);
            let e = floor_char_boundary(text, span.end.max(s));
            (s, e - s)
        },
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &error).is_err() {
        out = format!("error: {path}: {message}\n");
    }
    out
}

#[derive(Debug)]
struct ConfigError {
    message: String,
    help: Option<String>,
    src: NamedSource<String>,
    at: (usize, usize),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

impl miette::Diagnostic for ConfigError {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Error)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some("here".into()), self.at),
        )))
    }
}

//! The whole lint entry point: the input chooses a `.json` or `.http` file, one of the
//! family's operations and the settings; every main and label span must lie in the text on
//! character boundaries, and every output format must render (JSON and SARIF must parse).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vpclint::diagnostic::Severity;
use vpclint::{report, FileReport, Flags, Settings};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    http: bool,
    op: u8,
    limit: u8,
    deny_warnings: bool,
    allow_group: Option<u8>,
    text: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let ops = vpclint::operation::all();
    let op = &ops[input.op as usize % ops.len()];
    let mut flags = Flags {
        instance_ids_limit: Some(1 + input.limit as usize % 40),
        operation: Some(op.id.to_owned()),
        ..Flags::default()
    };
    if input.deny_warnings {
        flags.levels.push(("warnings".into(), Severity::Error));
    }
    if let Some(g) = input.allow_group {
        let groups = vpclint::rules::groups();
        flags
            .levels
            .push((groups[g as usize % groups.len()].to_owned(), Severity::Off));
    }
    let settings = Settings::resolve(None, &flags).expect("known names");
    let name = if input.http { "fuzz.http" } else { "fuzz.json" };
    let Some(r) = vpclint::lint_file(name, input.text.to_vec(), &settings, None) else {
        return;
    };
    // A file that is not UTF-8 is reported in a lossy copy: its one finding points at the
    // file's bytes, so only bounds are checked there.
    check_spans(&r, std::str::from_utf8(input.text).is_ok());
    let reports = [r];
    let _ = report::concise(&reports);
    let _ = report::full::render(&reports, false);
    let json = report::json(&reports, &[]);
    serde_json::from_str::<serde_json::Value>(&json).expect("json output parses");
    let sarif = report::sarif::render(&reports, &[]);
    serde_json::from_str::<serde_json::Value>(&sarif).expect("sarif output parses");
    let _ = report::ci::github(&reports, &[]);
    let _ = report::ci::junit(&reports, &[]);
    let _ = report::ci::gitlab(&reports, &[]);
});

fn check_spans(r: &FileReport, utf8: bool) {
    let ok = |s: vpclint::diagnostic::Span| {
        s.start <= s.end
            && s.end <= r.text.len()
            && (!utf8 || (r.text.is_char_boundary(s.start) && r.text.is_char_boundary(s.end)))
    };
    for d in &r.diagnostics {
        assert!(ok(d.span), "{} at {:?} in {} bytes", d.rule.name, d.span, r.text.len());
        for l in d.labels.iter().filter(|l| l.path.is_none()) {
            assert!(ok(l.span), "label of {} at {:?}", d.rule.name, l.span);
        }
    }
}

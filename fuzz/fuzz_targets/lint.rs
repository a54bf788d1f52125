//! The whole lint entry point on arbitrary bytes, plus every renderer. Any panic, overflow
//! or out-of-bounds span is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpclint::{lint_bytes, report, Settings};

fuzz_target!(|data: &[u8]| {
    let r = lint_bytes("fuzz.json", data, &Settings::default());
    let utf8 = std::str::from_utf8(data).is_ok();
    for d in &r.diagnostics {
        assert!(d.span.start <= d.span.end && d.span.end <= data.len());
        assert!(!utf8 || (r.text.is_char_boundary(d.span.start) && r.text.is_char_boundary(d.span.end)));
    }
    let reports = [r];
    let _ = report::concise(&reports);
    // The heavy renderers (SARIF embeds every rule's docs) on a sample of inputs, keyed by
    // content so that a crash reproduces.
    if data.first().is_some_and(|b| b % 8 == 0) {
        heavy(&reports);
    }
});

fn heavy(reports: &[vpclint::FileReport]) {
    let json = report::json(reports, &[]);
    serde_json::from_str::<serde_json::Value>(&json).expect("json output parses");
    let _ = report::full::render(reports, false);
    let _ = report::sarif::render(reports, &[]);
    let _ = report::ci::github(reports, &[]);
    let _ = report::ci::junit(reports, &[]);
    let _ = report::ci::gitlab(reports, &[]);
}

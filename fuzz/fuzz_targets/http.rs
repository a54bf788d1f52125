//! Request files: the splitter, `@variables` and environments, and the spans of every body's
//! findings mapped back into the file (in bounds, on character boundaries).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use vpclint::Settings;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    text: &'a str,
    env: Vec<(&'a str, &'a str)>,
}

fuzz_target!(|input: Input<'_>| {
    let text = input.text;
    for r in vpclint::http::parse(text) {
        for s in [r.method_span, r.url_span].into_iter().chain(r.body) {
            assert!(s.start <= s.end && s.end <= text.len(), "{s:?}");
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        }
    }
    let _ = vpclint::http::variables(text);
    let env: HashMap<String, String> = input
        .env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let envs = [("a".to_owned(), env), ("b".to_owned(), HashMap::new())];
    let settings = Settings::default();
    for envs in [&envs[..0], &envs[..1], &envs[..]] {
        let Some(r) = vpclint::http::lint_in("fuzz.http", text.as_bytes().to_vec(), &settings, envs) else {
            continue;
        };
        for d in &r.diagnostics {
            for s in std::iter::once(d.span).chain(d.labels.iter().filter(|l| l.path.is_none()).map(|l| l.span)) {
                assert!(s.start <= s.end && s.end <= text.len(), "{} {s:?}", d.rule.name);
                assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end), "{} {s:?}", d.rule.name);
            }
            for f in d.fix.iter().chain(&d.alternatives) {
                assert!(f.apply(text).is_some(), "{}: {}", d.rule.name, f.title);
            }
        }
    }
});

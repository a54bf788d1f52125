//! `vpclint.toml` of any text: settings, or an error whose span lies in the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpclint::config::Config;

fuzz_target!(|text: &str| {
    match Config::parse("vpclint.toml", std::path::PathBuf::from("/repo"), text.to_owned()) {
        Ok(c) => {
            let settings = vpclint::Settings::resolve(Some(&c), &vpclint::Flags::default())
                .expect("a parsed config resolves");
            let _ = c.selects("/repo/a/b.json");
            let _ = c.operation_for("/repo/members/x.json");
            let mut diags = Vec::new();
            let mut usage = vpclint::config::IgnoreUse::default();
            c.suppress("/repo/a/b.json", &mut diags, &mut usage);
            let _ = c.unused_ignores(&usage);
            let _ = settings;
        }
        Err(e) => {
            if let Some(s) = e.span {
                assert!(s.start <= s.end && s.end <= text.len(), "{s:?} in {}", text.len());
            }
            assert!(!e.message.is_empty());
        }
    }
});

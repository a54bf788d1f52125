//! The language server's framing on hostile bytes: never a panic, and every frame read
//! consumes input (so the loop ends), whatever the headers claim.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpclint::lsp::transport::{read_message, Incoming};

fuzz_target!(|data: &[u8]| {
    let mut input = std::io::Cursor::new(data);
    for _ in 0..=data.len() + 1 {
        if let Incoming::Closed(_) = read_message(&mut input) {
            return;
        }
    }
    panic!("more messages than bytes");
});

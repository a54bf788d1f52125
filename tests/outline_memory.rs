//! The outline (`textDocument/documentSymbol`) in memory: it lists at most 1 000 items a
//! list and never builds the document's tree, so what it allocates does not grow with the
//! document. Measured with a counting allocator (this test binary only), at two sizes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static A: Counting = Counting;

fn body(n: usize) -> String {
    let members: Vec<String> = (0..n)
        .map(|k| {
            format!(
                "    {{\"host\": \"10.{}.{}.{}\", \"weight\": 5}}",
                k >> 16 & 255,
                k >> 8 & 255,
                k & 255
            )
        })
        .collect();
    format!(
        "{{\n  \"name\": \"big\",\n  \"members\": [\n{}\n  ]\n}}\n",
        members.join(",\n")
    )
}

/// Bytes allocated at the peak of one outline, beyond what was live before it.
fn outline_peak(text: &str) -> usize {
    let before = NOW.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let symbols = vpclint::lsp::symbols(text);
    assert_eq!(symbols[1].children.as_ref().unwrap().len(), 1000);
    drop(symbols);
    PEAK.load(Ordering::Relaxed) - before
}

#[test]
fn the_outline_allocates_the_same_for_10_and_20_mb() {
    let ten = body(250_000);
    let twenty = body(500_000);
    assert!(ten.len() > 10_000_000, "{}", ten.len());
    let (a, b) = (outline_peak(&ten), outline_peak(&twenty));
    // Only the symbols (1 000 items and their names) are allocated: well under the
    // document's size, and not more for a document twice as big.
    assert!(
        a < ten.len() / 20,
        "{a} bytes for a {} byte document",
        ten.len()
    );
    assert!(b <= a + a / 4, "10 MB: {a} bytes, 20 MB: {b} bytes");
}

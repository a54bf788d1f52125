//! Memory of the document and of the outline, measured with a counting allocator (this
//! test binary only; the tests take turns, since the counters are global).
//!
//! - The parsed document (issue 21): one arena of 20-byte entries, keys and strings
//!   borrowed from the text: the tree of a members-heavy body costs less than twice the
//!   body, in a handful of allocations, and grows linearly.
//! - The outline (`textDocument/documentSymbol`, issue 19) lists at most 1 000 items a
//!   list and never builds the tree, so what it allocates does not grow with the document.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);
/// One measuring test at a time.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            CALLS.fetch_add(1, Ordering::Relaxed);
            let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new) };
        if !q.is_null() {
            CALLS.fetch_add(1, Ordering::Relaxed);
            // A growing Vec holds the old and the new block at once, at worst.
            let now = NOW.fetch_add(new, Ordering::Relaxed) + new;
            PEAK.fetch_max(now, Ordering::Relaxed);
            NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        q
    }
}

#[global_allocator]
static A: Counting = Counting;

/// The bench corpus's shape: a channel with `n` members of four fields each.
fn body(n: usize) -> String {
    let members: Vec<String> = (0..n)
        .map(|k| {
            format!(
                "  {{\n   \"host\": \"10.{}.{}.{}\",\n   \"port\": 8080,\n   \"weight\": 5,\n   \"member_group_name\": \"primary\"\n  }}",
                k >> 16 & 255,
                k >> 8 & 255,
                k & 255
            )
        })
        .collect();
    format!(
        "{{\n \"name\": \"svc\",\n \"port\": 8080,\n \"member_type\": \"ip\",\n \"members\": [\n{}\n ]\n}}\n",
        members.join(",\n")
    )
}

/// (bytes in use, peak bytes allocated, allocations) of parsing `text` and holding the
/// tree. The peak counts the arena's whole reserve, which is written only as far as used.
fn parse_cost(text: &str) -> (usize, usize, usize) {
    let before = NOW.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let calls = CALLS.load(Ordering::Relaxed);
    let tree = vpclint::json::parse(text, 0).unwrap();
    let members = tree.root().get("members").unwrap().as_array().unwrap();
    assert_eq!(
        members.get(7).unwrap().get("host").unwrap().as_str(),
        Some("10.0.0.7")
    );
    let cost = (
        tree.footprint(),
        PEAK.load(Ordering::Relaxed) - before,
        CALLS.load(Ordering::Relaxed) - calls,
    );
    drop(tree);
    cost
}

#[test]
fn the_tree_is_compact_few_allocations_and_linear() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let small = body(50_000);
    let large = body(100_000);
    let (a, peak_a, calls_a) = parse_cost(&small);
    let (b, peak_b, calls_b) = parse_cost(&large);
    assert!(
        a < small.len() * 2,
        "{a} bytes for a tree of a {} byte body",
        small.len()
    );
    assert!(
        peak_a < small.len() * 3,
        "{peak_a} bytes allocated at the peak for a {} byte body",
        small.len()
    );
    assert!(
        b <= a * 2 + a / 5,
        "{a} then {b} bytes for twice the members"
    );
    assert!(
        peak_b <= peak_a * 2 + peak_a / 5,
        "{peak_a} then {peak_b} bytes at the peak"
    );
    // Arena, scratch stack and their growth: not one allocation per key or string.
    assert!(
        calls_a < 200 && calls_b < 200,
        "{calls_a}, {calls_b} allocations"
    );
}

#[test]
fn escaped_strings_are_the_only_owned_ones() {
    let text = r#"{"name": "a\u0062c", "members": [{"host": "10.0.0.1"}], "k\u0065y": 1}"#;
    let tree = vpclint::json::parse(text, 0).unwrap();
    let root = tree.root();
    assert_eq!(root.get("name").unwrap().as_str(), Some("abc"));
    assert!(root.get("key").is_some());
    let m = root.get("members").unwrap().as_array().unwrap();
    assert_eq!(
        m.get(0).unwrap().get("host").unwrap().as_str(),
        Some("10.0.0.1")
    );
}

/// Bytes allocated at the peak of one outline, beyond what was live before it.
fn outline_peak(text: &str) -> usize {
    let before = NOW.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let symbols = vpclint::lsp::symbols(text);
    let members = symbols.iter().find(|s| s.name == "members").unwrap();
    assert_eq!(members.children.as_ref().unwrap().len(), 1000);
    drop(symbols);
    PEAK.load(Ordering::Relaxed) - before
}

#[test]
fn the_outline_allocates_the_same_for_10_and_20_mb() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let ten = body(110_000);
    let twenty = body(220_000);
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

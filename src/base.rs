//! What every layer may use and that uses nothing of the crate: closest-name suggestions,
//! one-line messages on standard error, panic payloads, run failures and displayed paths.
//!
//! Architecture invariant: this module imports nothing of the crate, so that any module,
//! from the parser to the CLI, can use it without an import cycle.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// A file (or standard input, or the run itself) that could not be linted: exit status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub path: String,
    pub message: String,
}

/// The path as users wrote it, without a leading `./`.
pub fn display(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_owned()
}

/// A file name as it may be shown in a line of text output: control characters (a newline
/// in a name would forge a line of output, an escape sequence would reach the terminal)
/// become visible escapes, and a backslash is doubled so that the escape is unambiguous.
/// Names without either come back borrowed.
pub fn escape_name(name: &str) -> std::borrow::Cow<'_, str> {
    if !name.chars().any(|c| c.is_control() || c == '\\') {
        return std::borrow::Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The closest candidate to `word`: exact up to case first, then by edit similarity.
pub fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let lower = word.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c.to_lowercase() == lower {
            return Some(c);
        }
        let score = strsim::jaro_winkler(&lower, &c.to_lowercase());
        let lev = strsim::levenshtein(&lower, &c.to_lowercase());
        let ok = score >= 0.85 || (lev <= 2 && c.len() > 3) || (lev == 1);
        if ok && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

static STDERR_FAILED: AtomicBool = AtomicBool::new(false);

/// One line on standard error. Never panics (`eprintln!` does when stderr is closed); a
/// failed write is remembered ([`stderr_failed`]) so that the run exits 2.
pub fn say(line: &str) {
    let mut err = std::io::stderr().lock();
    if writeln!(err, "{line}").and_then(|()| err.flush()).is_err() {
        STDERR_FAILED.store(true, Ordering::Relaxed);
    }
}

/// Whether a message could not be written to standard error.
pub fn stderr_failed() -> bool {
    STDERR_FAILED.load(Ordering::Relaxed)
}

/// A panic's message, for the one line that reports it.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned())
}

/// FNV-1a, 64 bit: a fingerprint that is stable across Rust versions and platforms (the
/// standard hasher promises neither).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Ask the kernel to back a large buffer (the text of a big body, its node arena) with
/// 2 MiB pages where it can (Linux's transparent huge pages, `madvise` mode): such a buffer
/// then faults in one page per 2 MiB instead of one per 4 KiB, and a 20 MB body's system
/// time halves (BENCHMARKS.md, round 6). Only the buffer's 2 MiB-aligned interior is
/// advised; advice changes no byte of memory, and a kernel that declines (huge pages off,
/// another system) changes nothing either. Buffers under 4 MiB are left alone: most of them
/// would have no aligned interior. The buffer is borrowed mutably (its unused capacity, for
/// a vector being filled), so the advised range is always memory the caller owns.
pub fn huge_pages<T>(buffer: &mut [T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = std::mem::size_of_val(buffer);
        if bytes < 2 * HUGE {
            return;
        }
        let start = buffer.as_mut_ptr() as usize;
        let from = start.div_ceil(HUGE) * HUGE;
        let to = (start + bytes) / HUGE * HUGE;
        if to > from {
            // SAFETY: `from..to` lies inside `buffer`, which the caller holds mutably, and
            // MADV_HUGEPAGE only changes how its pages are backed, never their contents.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buffer;
}

/// Let a batch run's heap grow in steps of 8 MiB rather than of what each allocation
/// lacks. glibc grows a worker thread's heap one page at a time, each step an `mprotect`:
/// about 900 of them in a 10 000-file run, whose reports pile up on that heap. The padding
/// is address space, not memory (pages count once written). For `check` only: a long-lived
/// process such as the language server keeps glibc's defaults.
pub fn grow_heap_in_large_steps() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter of glibc's allocator; it is called
    // before any thread of ours is started.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 8 << 20);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_page_advice_changes_no_byte_of_any_buffer() {
        for len in [0, 1, 4 << 20, (9 << 20) + 3] {
            let mut v: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            // Unaligned starts too: only the aligned interior may be advised.
            for skip in [0, 1, 4095].into_iter().filter(|&s| s <= len) {
                huge_pages(&mut v[skip..]);
            }
            v.push(7);
            assert!(v[..len]
                .iter()
                .enumerate()
                .all(|(i, &b)| b == (i % 253) as u8));
        }
    }

    #[test]
    fn names_cannot_forge_lines_or_reach_the_terminal() {
        assert_eq!(escape_name("a.json"), "a.json");
        assert_eq!(
            escape_name("x.json\n::warning file=y::forged\u{1b}[31m"),
            "x.json\\n::warning file=y::forged\\u{1b}[31m"
        );
        assert_eq!(escape_name("a\\b"), "a\\\\b");
    }
}

//! Every read and write of a linted file or a report: bounded reads of what `fstat` says is
//! a regular file, and writes that lose nothing.
//!
//! A fix is written to a temporary file beside the original, created exclusively with an
//! owner-only mode before the first byte, given the original's mode and (where allowed) its
//! owner, fsync'd, and renamed over the original only if the original is still what was
//! read, checked under an advisory lock (`flock`) that every vpclint run takes. Temporary
//! files are registered while they exist: SIGINT and SIGTERM remove them before the process
//! exits (130, 143), and a rename never runs while that clean-up does.

use crate::base::{display, say};
use std::collections::HashSet;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};

/// What a file is, whatever it is called: its device and inode from `fstat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    pub dev: u64,
    pub ino: u64,
}

impl Identity {
    pub fn of(meta: &Metadata) -> Identity {
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// Open without blocking (a FIFO named by mistake must not hang the run) and `fstat` the
/// handle, so that what is read is what was checked.
pub fn open_nonblocking(path: &Path) -> Result<(File, Metadata), String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| format!("cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    Ok((file, meta))
}

/// The bytes of an open regular file, at most `limit` of them (a file that grows past the
/// limit while it is read is refused too).
pub fn read_open_file(file: File, meta: &Metadata, limit: u64) -> Result<Vec<u8>, String> {
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > limit {
        return Err(too_large(meta.len(), limit));
    }
    let bytes = read_sized(file, meta.len(), limit).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64, limit));
    }
    Ok(bytes)
}

/// Read `source` to its end, or to one byte past `limit`, knowing it held `expected` bytes
/// when it was `fstat`ed. The buffer is one byte larger than that, so a read that stops
/// short of it with exactly `expected` bytes in hand has met the end of a regular file: the
/// usual probe for end of file (a last `read` that returns 0) is skipped, one system call
/// of four per file. A file that grew since is read on; one that shrank reads to its end.
/// A size of 0 says nothing (`/proc` and `/sys` files have content), so such a file is read
/// with a page-sized first request: some of them (`/proc/sys/…`) answer only a read that
/// starts at offset 0, and would be cut to one byte by a one-byte buffer.
pub(crate) fn read_sized(
    mut source: impl Read,
    expected: u64,
    limit: u64,
) -> std::io::Result<Vec<u8>> {
    let cap = limit.saturating_add(1);
    let first = if expected == 0 {
        8192
    } else {
        expected.saturating_add(1)
    }
    .min(cap);
    let mut bytes = vec![0u8; usize::try_from(first).unwrap_or(usize::MAX)];
    crate::base::huge_pages(&mut bytes);
    let mut filled = 0usize;
    loop {
        if filled == bytes.len() {
            if bytes.len() as u64 >= cap {
                break;
            }
            let more = (bytes.len() as u64).max(8192).min(cap - bytes.len() as u64);
            bytes.resize(bytes.len() + usize::try_from(more).unwrap_or(usize::MAX), 0);
        }
        match source.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => {
                filled += n;
                if filled as u64 == expected && filled < bytes.len() {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

pub fn too_large(size: u64, limit: u64) -> String {
    format!(
        "the file is larger than the limit ({size} > {limit} bytes); raise it with --max-file-size or `max-file-size` in vpclint.toml"
    )
}

/// Temporary files that exist right now; the signal clean-up removes them.
static TEMPS: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn temps() -> MutexGuard<'static, Option<HashSet<PathBuf>>> {
    TEMPS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// From now on, SIGINT and SIGTERM remove every temporary file and end the process with
/// 130 or 143. Called by runs that write; idempotent.
pub fn clean_up_on_signals() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            say("warning: cannot handle SIGINT/SIGTERM; an interrupted run may leave temporary files");
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("vpclint-signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    // Held until the process is gone: no rename starts after this point,
                    // and none is half done (renames run under this lock).
                    let mut guard = temps();
                    for t in guard.take().unwrap_or_default() {
                        let _ = std::fs::remove_file(t);
                    }
                    std::process::exit(128 + sig);
                }
            });
        if spawned.is_err() {
            say("warning: cannot handle SIGINT/SIGTERM; an interrupted run may leave temporary files");
        }
    });
}

/// A temporary file beside `target`, registered for the signal clean-up, removed on drop
/// unless it was renamed into place.
struct Temp {
    path: PathBuf,
    file: File,
    done: bool,
}

impl Temp {
    /// Created exclusively (`O_EXCL`), owner-only, under a name nobody can predict.
    fn create(target: &Path) -> std::io::Result<Temp> {
        let dir = parent_of(target);
        let name = target
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut last = None;
        for _ in 0..16 {
            let path = dir.join(format!(".{name}.vpclint-{:016x}.tmp", random()));
            // Registered and created under the clean-up's lock: a signal's clean-up runs
            // either before (it then holds the lock until the process is gone, so the file
            // is never made) or after (it finds the file). Registering first and creating
            // after the lock was released let a worker create a file in the moment between
            // the clean-up and the end of the process.
            let mut guard = temps();
            let set = guard.get_or_insert_with(HashSet::new);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => {
                    set.insert(path.clone());
                    return Ok(Temp {
                        path,
                        file,
                        done: false,
                    });
                }
                Err(e) => {
                    if e.kind() != std::io::ErrorKind::AlreadyExists {
                        return Err(e);
                    }
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no temporary name was free")))
    }

    /// The original's mode bits (and, where the system allows, its owner and group), set
    /// before the first byte is written.
    fn take_over(&self, like: &Metadata) -> std::io::Result<()> {
        use std::os::unix::io::AsRawFd;
        let fd = self.file.as_raw_fd();
        // SAFETY: fchown on a descriptor we own; failure is reported through errno only.
        let chown = unsafe { libc::fchown(fd, like.uid(), like.gid()) };
        if chown != 0 {
            // Not allowed for an ordinary user giving a file away: it keeps ours. A group
            // we belong to may still be kept.
            // SAFETY: as above; -1 leaves the owner as it is.
            let _ = unsafe { libc::fchown(fd, u32::MAX, like.gid()) };
        }
        self.file
            .set_permissions(std::fs::Permissions::from_mode(like.mode() & 0o7777))
    }

    /// Rename into place, under the clean-up's lock so that a signal never races it.
    fn rename_to(mut self, target: &Path) -> std::io::Result<()> {
        let mut guard = temps();
        let Some(set) = guard.as_mut() else {
            // The clean-up has begun: the process is about to exit.
            return Err(std::io::Error::other("interrupted"));
        };
        std::fs::rename(&self.path, target)?;
        set.remove(&self.path);
        self.done = true;
        Ok(())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
            unregister(&self.path);
        }
    }
}

fn unregister(p: &Path) {
    if let Some(set) = temps().as_mut() {
        set.remove(p);
    }
}

/// 64 unpredictable bits: the standard library seeds every `RandomState` from the OS.
fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

fn parent_of(p: &Path) -> &Path {
    p.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Why a fix was not written.
#[derive(Debug)]
pub enum WriteError {
    /// The file is not what was read any more: lint it again.
    Changed,
    Failed(String),
}

/// What a successful write noticed.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    Done,
    /// The file was replaced again right after our rename, by a writer that takes no lock.
    Raced,
}

/// Replace `path` (as read: `read_meta`, `read_bytes`) with `new`. A symlink is followed
/// only to a file inside `roots`; a file with several hard links is refused (replacing it
/// would split the links); write access is what `access(2)` says, and a file without any
/// write bit is read-only even for root.
pub fn write_fixed(
    path: &Path,
    new: &[u8],
    read_meta: &Metadata,
    read_bytes: &[u8],
    roots: &[PathBuf],
    before_rename: &dyn Fn(Identity),
) -> Result<Written, WriteError> {
    let failed = |what: &str, e: std::io::Error| {
        WriteError::Failed(format!("cannot write the fixes ({what}): {e}"))
    };
    let target = if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        let t = std::fs::canonicalize(path).map_err(|e| failed("resolving the symlink", e))?;
        if !roots.iter().any(|r| t.starts_with(r)) {
            return Err(WriteError::Failed(format!(
                "not fixed: it is a symlink to {}, outside the paths given",
                t.display()
            )));
        }
        t
    } else {
        path.to_path_buf()
    };
    if read_meta.nlink() > 1 {
        return Err(WriteError::Failed(format!(
            "not fixed: it has {} hard links, and replacing it would split them (see the fixes with --diff)",
            read_meta.nlink()
        )));
    }
    if read_meta.mode() & 0o222 == 0 {
        return Err(WriteError::Failed(
            "not fixed: the file is read-only".into(),
        ));
    }
    if !access_writable(&target) {
        return Err(WriteError::Failed(format!(
            "not fixed: {}",
            std::io::Error::last_os_error()
        )));
    }
    let temp =
        Temp::create(&target).map_err(|e| failed("creating a temporary file beside it", e))?;
    temp.take_over(read_meta)
        .map_err(|e| failed("keeping its permissions", e))?;
    (&temp.file)
        .write_all(new)
        .map_err(|e| failed("writing", e))?;
    temp.file.sync_all().map_err(|e| failed("syncing", e))?;
    let ours = temp
        .file
        .metadata()
        .map(|m| Identity::of(&m))
        .map_err(|e| failed("checking it", e))?;
    // Other vpclint runs take the same lock before their check and rename: between our
    // check and our rename, none of them can replace the file.
    let locked = lock_current(&target).map_err(|e| failed("locking it", e))?;
    let now = locked.metadata().map_err(|e| failed("checking it", e))?;
    let unchanged = Identity::of(&now) == Identity::of(read_meta)
        && now.len() == read_meta.len()
        && now.modified().ok() == read_meta.modified().ok()
        && {
            let mut current = Vec::with_capacity(read_bytes.len());
            (&locked)
                .take(read_bytes.len() as u64 + 1)
                .read_to_end(&mut current)
                .map_err(|e| failed("checking it", e))?;
            current == read_bytes
        };
    if !unchanged {
        return Err(WriteError::Changed);
    }
    before_rename(ours);
    temp.rename_to(&target)
        .map_err(|e| failed("replacing it", e))?;
    if let Ok(d) = File::open(parent_of(&target)) {
        let _ = d.sync_all();
    }
    drop(locked);
    match std::fs::metadata(&target) {
        Ok(m) if Identity::of(&m) == ours => Ok(Written::Done),
        _ => Ok(Written::Raced),
    }
}

/// `access(2)` with the effective user (`faccessat(…, AT_EACCESS)`): ACLs, read-only
/// mounts and other users' files count, not only mode bits.
fn access_writable(p: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path; faccessat only reads it.
    unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::W_OK, libc::AT_EACCESS) == 0 }
}

/// Open `target` and take an exclusive `flock` on the file that is at that path once the
/// lock is held (another run may have renamed a new file there while we waited).
fn lock_current(target: &Path) -> std::io::Result<File> {
    use std::os::unix::io::AsRawFd;
    for _ in 0..100 {
        let f = File::open(target)?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let held = Identity::of(&f.metadata()?);
        if std::fs::metadata(target).is_ok_and(|m| Identity::of(&m) == held) {
            return Ok(f);
        }
    }
    Err(std::io::Error::other("the file kept being replaced"))
}

/// `--output-file`: a regular file (or a new one) is replaced atomically, keeping its mode
/// and owner; a device, a FIFO or a socket is written through, never replaced; a symlink is
/// followed and its target treated the same way.
pub fn write_report(path: &Path, text: &[u8]) -> Result<(), String> {
    let err = |e: std::io::Error| format!("cannot write the report to {}: {e}", display(path));
    let target = match std::fs::canonicalize(path) {
        Ok(t) => t,
        // A dangling symlink: its target is created where it points.
        Err(_) if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            let link = std::fs::read_link(path).map_err(err)?;
            parent_of(path).join(link)
        }
        Err(_) => path.to_path_buf(),
    };
    match std::fs::metadata(&target) {
        Ok(m) if !m.is_file() && !m.is_dir() => {
            let mut f = OpenOptions::new().write(true).open(&target).map_err(err)?;
            f.write_all(text).and_then(|()| f.flush()).map_err(err)
        }
        Ok(m) if m.is_dir() => Err(err(std::io::Error::other("it is a directory"))),
        existing => {
            clean_up_on_signals();
            let temp = Temp::create(&target).map_err(err)?;
            match &existing {
                Ok(m) => temp.take_over(m).map_err(err)?,
                // A new file gets the mode the umask gives any new file.
                Err(_) => {
                    let umask = current_umask();
                    temp.file
                        .set_permissions(std::fs::Permissions::from_mode(0o666 & !umask))
                        .map_err(err)?;
                }
            }
            (&temp.file).write_all(text).map_err(err)?;
            temp.file.sync_all().map_err(err)?;
            temp.rename_to(&target).map_err(err)
        }
    }
}

fn current_umask() -> u32 {
    // SAFETY: umask cannot fail; it is set back at once (the only thread that creates
    // files with default modes at this point is this one).
    unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vpclint-fs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_sized_read_stops_at_the_size_and_reads_on_when_the_file_changed() {
        let text: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        for expected in [0u64, 1, 999, 20_000, 20_001, 40_000] {
            // A file that grew or shrank since its `fstat` is still read whole.
            let got = read_sized(std::io::Cursor::new(&text), expected, 1 << 20).unwrap();
            assert_eq!(got, text, "{expected}");
        }
        // One byte past the limit, never more, however large the file.
        let got = read_sized(std::io::Cursor::new(&text), 20_000, 100).unwrap();
        assert_eq!(got, text[..101]);
        let got = read_sized(std::io::Cursor::new(&text), 5, 100).unwrap();
        assert_eq!(got, text[..101]);
        assert!(read_sized(std::io::Cursor::new(b""), 0, 0)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_file_that_answers_only_a_first_read_is_read_whole() {
        // Size 0, and a read that does not start at offset 0 gets nothing.
        let path = Path::new("/proc/sys/kernel/pid_max");
        let (file, meta) = open_nonblocking(path).unwrap();
        let got = read_open_file(file, &meta, 1 << 20).unwrap();
        assert_eq!(got, std::fs::read(path).unwrap());
        assert!(got.len() > 2, "{got:?}");
        // And the limit still counts all of it.
        let (file, meta) = open_nonblocking(path).unwrap();
        assert!(read_open_file(file, &meta, 1)
            .unwrap_err()
            .contains("larger than the limit"));
    }

    #[test]
    fn a_file_whose_size_says_nothing_is_read_to_its_end() {
        // `/proc` files are regular files of size 0 with content.
        let (file, meta) = open_nonblocking(Path::new("/proc/self/status")).unwrap();
        let got = read_open_file(file, &meta, 1 << 20).unwrap();
        assert_eq!(meta.len(), 0);
        assert!(String::from_utf8(got).unwrap().contains("Name:"));
    }

    fn read(f: &Path) -> (Vec<u8>, Metadata) {
        let (file, meta) = open_nonblocking(f).unwrap();
        (read_open_file(file, &meta, 1 << 20).unwrap(), meta)
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_left_untouched() {
        let d = tempdir("changed");
        let f = d.join("web.json");
        std::fs::write(&f, "{\"port\": \"80\"}").unwrap();
        let (bytes, meta) = read(&f);
        std::fs::write(&f, "{\"port\": \"8080\", \"name\": \"theirs\"}").unwrap();
        let r = write_fixed(
            &f,
            b"{\"port\": 80}",
            &meta,
            &bytes,
            std::slice::from_ref(&d),
            &|_| {},
        );
        assert!(matches!(r, Err(WriteError::Changed)));
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "{\"port\": \"8080\", \"name\": \"theirs\"}"
        );
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            1,
            "no temporary file left"
        );
        let (bytes, meta) = read(&f);
        assert_eq!(
            write_fixed(&f, b"{}", &meta, &bytes, std::slice::from_ref(&d), &|_| {}).unwrap(),
            Written::Done
        );
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "{}");
    }

    #[test]
    fn mode_is_kept_and_the_temporary_file_is_never_wider() {
        let d = tempdir("mode");
        let f = d.join("secret.json");
        std::fs::write(&f, "{}").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        let (bytes, meta) = read(&f);
        // The temporary file as created, before anything is written: owner-only.
        let t = Temp::create(&f).unwrap();
        assert_eq!(t.file.metadata().unwrap().mode() & 0o777, 0o600);
        t.take_over(&meta).unwrap();
        assert_eq!(t.file.metadata().unwrap().mode() & 0o777, 0o600);
        drop(t);
        write_fixed(&f, b"{ }", &meta, &bytes, &[], &|_| {}).unwrap();
        let after = std::fs::metadata(&f).unwrap();
        assert_eq!(after.mode() & 0o777, 0o600);
        assert_eq!((after.uid(), after.gid()), (meta.uid(), meta.gid()));
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
    }

    #[test]
    fn hard_links_are_refused_not_split() {
        let d = tempdir("links");
        let f = d.join("a.json");
        std::fs::write(&f, "{}").unwrap();
        std::fs::hard_link(&f, d.join("b.json")).unwrap();
        let (bytes, meta) = read(&f);
        let r = write_fixed(&f, b"{ }", &meta, &bytes, &[], &|_| {});
        assert!(matches!(r, Err(WriteError::Failed(m)) if m.contains("2 hard links")));
        assert_eq!(std::fs::read_to_string(d.join("b.json")).unwrap(), "{}");
    }

    #[test]
    fn a_directory_that_cannot_take_the_temporary_file_is_a_failure() {
        let d = tempdir("gone");
        let f = d.join("web.json");
        std::fs::write(&f, "{}").unwrap();
        let (bytes, meta) = read(&f);
        std::fs::remove_dir_all(&d).unwrap();
        std::fs::write(&d, "").unwrap();
        let r = write_fixed(&f, b"{}", &meta, &bytes, &[], &|_| {});
        assert!(matches!(r, Err(WriteError::Failed(_))));
        std::fs::remove_file(&d).unwrap();
    }

    #[test]
    fn reports_replace_regular_files_and_write_through_links_and_fifos() {
        let d = tempdir("report");
        let out = d.join("out.txt");
        std::fs::write(&out, "old").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_report(&out, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        assert_eq!(std::fs::metadata(&out).unwrap().mode() & 0o777, 0o640);
        // A symlink stays a symlink; its target gets the report.
        let link = d.join("link.txt");
        std::os::unix::fs::symlink(&out, &link).unwrap();
        write_report(&link, b"via link").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "via link");
        // A FIFO is written through, not replaced.
        let fifo = d.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_report(&fifo, b"through").unwrap();
        assert_eq!(reader.join().unwrap(), "through");
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 3, "no temporary file left: {names:?}");
    }
}

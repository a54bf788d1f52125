//! A run's files on every core: workers take the paths named on the command line straight
//! from the list, walk a directory they open while the others process what the walk
//! queues, and take each file through its life ([`super::file::process`]). Output stays
//! deterministic: results are put in path order once all are in, and a file reached under
//! two names is shown under the one given first.
//!
//! A small run stays on the calling thread (waking a second core costs more than linting a
//! pre-commit-sized batch); helpers start as soon as the named paths or a walk's finds reach
//! [`PARALLEL_FROM`].

use super::file::{self, Context, Job, Outcome, Sink};
use super::fs::{open_nonblocking, Identity};
use super::resolve::{Broken, Resolver};
use crate::base::{display, panic_text, Failure};
use crate::config::{Config, IgnoreUse};
use crate::discover;
use crate::lint::FileReport;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// Below this many files, linting in parallel costs more than it saves.
pub const PARALLEL_FROM: usize = 32;

/// How to turn one file's report into its part of the output, on the worker.
pub type Render<'a> = &'a (dyn Fn(&FileReport) -> String + Sync);

/// Everything a run's workers share.
pub struct Plan<'a> {
    /// The paths named on the command line, in order.
    pub paths: &'a [PathBuf],
    /// `--requests-only`: named files are kept only as discovered ones would be.
    pub requests_only: bool,
    pub resolver: &'a Resolver,
    /// The command line's include/exclude globs.
    pub cli_select: &'a (dyn Fn(&str) -> bool + Sync),
    pub cli_includes: bool,
    pub sink: Sink<'a>,
    pub threads: usize,
    /// Render each report on its worker (`None`: the caller renders the whole run).
    pub render: Option<Render<'a>>,
}

/// Which ignores of one config matched and hid something, over the whole run.
pub struct Usage {
    pub config: Arc<Config>,
    pub usage: IgnoreUse,
}

/// What a run found: reports and failures in path order, configs that could not be used,
/// and ignore usage per config.
pub struct Ran {
    pub reports: Vec<FileReport>,
    /// Beside each report (same index), its output when the plan renders per file.
    pub rendered: Vec<Option<String>>,
    pub failures: Vec<Failure>,
    pub broken: Vec<Broken>,
    pub usage: Vec<Usage>,
}

/// What one worker found. A file's report, output and identity are three lists rather than
/// one list of triples: the run's lists are then one worker's, grown by the others' (no copy
/// of 10 000 reports into a new list), and put in path order in place.
#[derive(Default)]
struct Part {
    reports: Vec<FileReport>,
    rendered: Vec<Option<String>>,
    ids: Vec<Option<Ticket>>,
    failures: Vec<Failure>,
    broken: Vec<Broken>,
    usage: HashMap<String, (Arc<Config>, IgnoreUse)>,
}

impl Part {
    fn append(&mut self, other: &mut Part) {
        self.reports.append(&mut other.reports);
        self.rendered.append(&mut other.rendered);
        self.ids.append(&mut other.ids);
    }
}

/// Inode numbers are handed out by a file system, not chosen by whoever wrote the files, so
/// they need no protection from crafted collisions; hashing each file's with SipHash showed
/// in the profile of a 10 000-file run. One multiply per word (FxHash's).
#[derive(Clone, Copy, Default)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits (which pick the bucket) depending on the low bits
        // of the inode alone; the rotation brings the well-mixed high bits down (as
        // rustc-hash 2 does).
        self.0.rotate_left(26)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type ByIdentity<V> = HashMap<Identity, V, std::hash::BuildHasherDefault<IdentityHasher>>;

/// The order in which names of one file are preferred: named before walked, earlier
/// arguments first, then by path. A named file's name is its argument's (`None`): only
/// walked files keep a copy of theirs, which spares the claim of each named file a string.
type Rank = (usize, bool, Option<Box<str>>);

/// A file taken by the run. An inode number is only a file's identity while the file
/// exists: a fix (ours or another program's) frees the old inode, and a new file may get
/// its number. So a claim also holds the change time it saw, and the inodes this run
/// wrote itself.
struct Claim {
    rank: Rank,
    ctime: (i64, i64),
    ours: bool,
    /// Which claim of this identity it is: a report is matched to its own claim, not to
    /// a later file's that got the same inode number.
    generation: u64,
}

/// A report's claim: the identity its file was taken under, and which claim of it.
type Ticket = (Identity, u64);

/// Every file taken by a run, by identity.
struct Claims {
    by_id: Mutex<ByIdentity<Claim>>,
    /// Whether a file was reached under a second name (only then may a report be renamed).
    contested: AtomicBool,
    next_generation: AtomicU64,
}

impl Claims {
    fn new(capacity: usize) -> Claims {
        Claims {
            by_id: Mutex::new(ByIdentity::with_capacity_and_hasher(
                capacity,
                Default::default(),
            )),
            contested: AtomicBool::new(false),
            next_generation: AtomicU64::new(1),
        }
    }

    /// Take a file by identity: its claim's generation, or `None` when another name of it
    /// was taken already (the better of the two names is remembered, and shown at the
    /// end). `gone`: the file has no name left (unlinked since it was opened).
    fn claim(&self, id: Identity, ctime: (i64, i64), gone: bool, rank: Rank) -> Option<u64> {
        let mut taken = lock(&self.by_id);
        match taken.get_mut(&id) {
            Some(c) if gone || c.ours || c.ctime == ctime => {
                self.contested.store(true, Ordering::Relaxed);
                // The same file under another name (or its old version, replaced by a fix
                // of this run since it was opened).
                if rank < c.rank {
                    c.rank = rank;
                }
                None
            }
            _ => {
                // New, or a new file that got a freed inode number.
                let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
                taken.insert(
                    id,
                    Claim {
                        rank,
                        ctime,
                        ours: false,
                        generation,
                    },
                );
                Some(generation)
            }
        }
    }

    /// A fix of this run is about to put a file with this identity in place of `rank`'s.
    fn wrote(&self, id: Identity, rank: Rank) -> u64 {
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        lock(&self.by_id).insert(
            id,
            Claim {
                rank,
                ctime: (0, 0),
                ours: true,
                generation,
            },
        );
        generation
    }

    /// The name a report is shown under, when a better one than its own was found: the
    /// rank of its own claim, which a later file with the same inode number may have
    /// replaced (then the report keeps its name).
    fn best_rank(taken: &ByIdentity<Claim>, ticket: Ticket) -> Option<&Rank> {
        taken
            .get(&ticket.0)
            .filter(|c| c.generation == ticket.1)
            .map(|c| &c.rank)
    }
}

struct Shared<'a> {
    plan: &'a Plan<'a>,
    next_named: AtomicUsize,
    /// Named paths not finished yet: while one is, a walk may still add files.
    pending_named: AtomicUsize,
    queue: Mutex<VecDeque<(usize, PathBuf)>>,
    more: Condvar,
    /// Every file taken, with the best name it was reached under.
    claims: Claims,
    helpers_started: AtomicBool,
}

enum Work {
    Named(usize),
    Walked(usize, PathBuf),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared<'_> {
    fn next(&self) -> Option<Work> {
        let named = self.plan.paths.len();
        if self.next_named.load(Ordering::Relaxed) < named {
            let i = self.next_named.fetch_add(1, Ordering::Relaxed);
            if i < named {
                return Some(Work::Named(i));
            }
        }
        let mut q = lock(&self.queue);
        loop {
            if let Some((root, p)) = q.pop_front() {
                return Some(Work::Walked(root, p));
            }
            if self.pending_named.load(Ordering::Acquire) == 0 {
                return None;
            }
            q = self.more.wait(q).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn push(&self, batch: &mut Vec<(usize, PathBuf)>) {
        if batch.is_empty() {
            return;
        }
        lock(&self.queue).extend(batch.drain(..));
        self.more.notify_all();
    }
}

/// Marks a named path finished even when its worker unwinds, so that no one waits forever.
struct NamedDone<'a>(&'a Shared<'a>);

impl Drop for NamedDone<'_> {
    fn drop(&mut self) {
        if self.0.pending_named.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _q = lock(&self.0.queue);
            self.0.more.notify_all();
        }
    }
}

/// Discover and process every file of the plan.
pub fn run(plan: &Plan<'_>) -> Ran {
    let shared = Shared {
        plan,
        next_named: AtomicUsize::new(0),
        pending_named: AtomicUsize::new(plan.paths.len()),
        queue: Mutex::new(VecDeque::new()),
        more: Condvar::new(),
        // Sized for the named paths: each is one file, more often than a directory.
        claims: Claims::new(plan.paths.len()),
        helpers_started: AtomicBool::new(plan.threads <= 1),
    };
    let mut parts: Vec<Part> = Vec::new();
    let mut lost = false;
    std::thread::scope(|s| {
        let helpers = Mutex::new(Vec::new());
        let start_helpers = || {
            if shared.helpers_started.swap(true, Ordering::AcqRel) {
                return;
            }
            let mut h = lock(&helpers);
            for _ in 1..plan.threads {
                // Without another thread the calling one does all the work.
                if let Ok(t) = std::thread::Builder::new().spawn_scoped(s, || work(&shared, None)) {
                    h.push(t);
                }
            }
        };
        if plan.paths.len() >= PARALLEL_FROM {
            start_helpers();
        }
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            work(&shared, Some(&start_helpers))
        })) {
            Ok(p) => parts.push(p),
            Err(_) => lost = true,
        }
        for h in std::mem::take(&mut *lock(&helpers)) {
            match h.join() {
                Ok(p) => parts.push(p),
                Err(_) => lost = true,
            }
        }
    });
    let contested = shared.claims.contested.load(Ordering::Relaxed);
    let taken = shared
        .claims
        .by_id
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    // The largest part is the base the others are appended to.
    parts.sort_by_key(|p| std::cmp::Reverse(p.reports.len()));
    let mut all = Part::default();
    let mut ran = Ran {
        reports: Vec::new(),
        rendered: Vec::new(),
        failures: Vec::new(),
        broken: Vec::new(),
        usage: Vec::new(),
    };
    let mut usage: HashMap<String, (Arc<Config>, IgnoreUse)> = HashMap::new();
    for (n, mut p) in parts.into_iter().enumerate() {
        if n == 0 {
            std::mem::swap(&mut all.reports, &mut p.reports);
            std::mem::swap(&mut all.rendered, &mut p.rendered);
            std::mem::swap(&mut all.ids, &mut p.ids);
        } else {
            all.append(&mut p);
        }
        ran.failures.extend(p.failures);
        ran.broken.extend(p.broken);
        for (k, (c, u)) in p.usage {
            usage
                .entry(k)
                .or_insert_with(|| (c, IgnoreUse::default()))
                .1
                .merge(&u);
        }
    }
    if contested {
        // Shown under the name given first, whichever worker reached it first.
        for ((report, rendered), id) in all.reports.iter_mut().zip(&mut all.rendered).zip(&all.ids)
        {
            if let Some((root, _, best)) = id.and_then(|t| Claims::best_rank(&taken, t)) {
                let best = match best {
                    Some(name) => name.to_string(),
                    None => display(&plan.paths[*root]),
                };
                if best != report.path {
                    report.path = best;
                    if let Some(r) = plan.render {
                        *rendered = Some(r(report));
                    }
                }
            }
        }
    }
    if lost {
        // Every file's own panic is caught where it is processed; this is a worker dying
        // outside one. Its files are unaccounted for, so the run fails, loudly.
        ran.failures.push(Failure {
            path: "vpclint".into(),
            message: "internal error: a worker stopped; some files may not have been linted".into(),
        });
    }
    in_path_order(&mut all.reports, &mut all.rendered);
    ran.reports = all.reports;
    ran.rendered = all.rendered;
    ran.failures.sort_by(|a, b| a.path.cmp(&b.path));
    ran.broken.sort_by(|a, b| a.file.cmp(&b.file));
    ran.broken.dedup_by(|a, b| a.file == b.file);
    let mut usage: Vec<Usage> = usage
        .into_values()
        .map(|(config, usage)| Usage { config, usage })
        .collect();
    usage.sort_by(|a, b| a.config.path.cmp(&b.config.path));
    ran.usage = usage;
    ran
}

/// One worker's loop; `start_helpers` is the calling thread's way to wake the others when
/// a walk turns out to be big.
fn work(shared: &Shared<'_>, start_helpers: Option<&dyn Fn()>) -> Part {
    let mut part = Part::default();
    // Room for every named path: the part that becomes the run's list then never moves,
    // and room that is never written costs no memory.
    let room = shared.plan.paths.len();
    part.reports.reserve(room);
    part.rendered.reserve(room);
    part.ids.reserve(room);
    while let Some(job) = shared.next() {
        match job {
            Work::Named(i) => {
                let _done = NamedDone(shared);
                let path = &shared.plan.paths[i];
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    named(shared, i, start_helpers, &mut part)
                }));
                if let Err(payload) = outcome {
                    part.failures.push(Failure {
                        path: display(path),
                        message: format!("internal error while reading: {}", panic_text(&*payload)),
                    });
                }
            }
            Work::Walked(root, path) => {
                let job = Job {
                    path: &path,
                    named: false,
                    explicit: false,
                    opened: None,
                };
                one(shared, root, job, &mut part);
            }
        }
    }
    part
}

/// A path named on the command line: a file is processed as named, a directory walked.
fn named(shared: &Shared<'_>, i: usize, start_helpers: Option<&dyn Fn()>, part: &mut Part) {
    let plan = shared.plan;
    let path = &plan.paths[i];
    let (file, meta) = match open_nonblocking(path) {
        Ok(x) => x,
        Err(message) => {
            part.failures.push(Failure {
                path: display(path),
                message,
            });
            return;
        }
    };
    if !meta.is_dir() {
        let job = Job {
            path,
            named: true,
            explicit: !plan.requests_only,
            opened: Some((file, meta)),
        };
        one(shared, i, job, part);
        return;
    }
    drop(file);
    // Include globs choose among files of any extension; the walk root's config says
    // whether it has some.
    let root = plan.resolver.for_dir(path);
    let any_extension = plan.cli_includes
        || root
            .as_ref()
            .is_ok_and(|r| r.config.as_ref().is_some_and(|c| !c.include.is_empty()));
    let respect_gitignore = root.as_ref().map_or(true, |r| r.settings.respect_gitignore);
    let mut batch = Vec::new();
    let mut found = 0usize;
    discover::walk(path, any_extension, respect_gitignore, |item| match item {
        Ok(p) => {
            batch.push((i, p));
            found += 1;
            if found == PARALLEL_FROM {
                if let Some(start) = start_helpers {
                    start();
                }
            }
            if batch.len() >= 64 {
                shared.push(&mut batch);
            }
        }
        Err(f) => part.failures.push(f),
    });
    shared.push(&mut batch);
}

fn one(shared: &Shared<'_>, root: usize, job: Job<'_>, part: &mut Part) {
    let plan = shared.plan;
    let walked = !job.named;
    // The claims this file's report may belong to: the one it was taken under (its
    // generation; 0 for none) and the last new file a fix of it put in place.
    let claimed = AtomicU64::new(0);
    let written: Mutex<Option<Ticket>> = Mutex::new(None);
    let claim = |meta: &std::fs::Metadata, name: &str| {
        use std::os::unix::fs::MetadataExt;
        let rank = (root, walked, walked.then(|| name.into()));
        let ctime = (meta.ctime(), meta.ctime_nsec());
        match shared
            .claims
            .claim(Identity::of(meta), ctime, meta.nlink() == 0, rank)
        {
            Some(g) => {
                claimed.store(g, Ordering::Relaxed);
                true
            }
            None => false,
        }
    };
    let name = display(job.path);
    let wrote = |id: Identity| {
        let rank = (root, walked, walked.then(|| name.as_str().into()));
        *lock(&written) = Some((id, shared.claims.wrote(id, rank)));
    };
    let cx = Context {
        resolver: plan.resolver,
        cli_select: plan.cli_select,
        cli_includes: plan.cli_includes,
        sink: plan.sink,
        claim: &claim,
        wrote: &wrote,
    };
    let Outcome {
        report,
        failure,
        broken,
        usage,
        identity,
    } = file::process(job, &cx);
    if let Some(b) = broken {
        part.broken.push(b);
    }
    if let Some(f) = failure {
        part.failures.push(f);
    }
    if let Some((c, u)) = usage {
        part.usage
            .entry(c.path.clone())
            .or_insert_with(|| (c, IgnoreUse::default()))
            .1
            .merge(&u);
    }
    if let Some(mut report) = report {
        let rendered = plan.render.map(|r| r(&report));
        report.shed_clean_text();
        part.reports.push(report);
        part.rendered.push(rendered);
        let written = lock(&written).take();
        let claimed = claimed.load(Ordering::Relaxed);
        part.ids.push(identity.and_then(|id| match written {
            Some(t) if t.0 == id => Some(t),
            _ => (claimed != 0).then_some((id, claimed)),
        }));
    }
}

/// Sort the reports by path and their outputs with them, in place: the order is found on
/// indices (a stable sort, which merges the workers' already ordered runs in one pass), then
/// applied by following its cycles with swaps, so no second list of 10 000 reports is built.
fn in_path_order(reports: &mut [FileReport], rendered: &mut [Option<String>]) {
    if reports.windows(2).all(|w| w[0].path <= w[1].path) {
        return;
    }
    let mut order: Vec<usize> = (0..reports.len()).collect();
    order.sort_by(|&a, &b| reports[a].path.cmp(&reports[b].path));
    // `order[i]` is the index of the report that goes to `i`.
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            reports.swap(at, from);
            rendered.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rank(root: usize, name: &str) -> Rank {
        (root, true, Some(name.into()))
    }

    #[test]
    fn a_report_is_renamed_only_by_its_own_files_claim() {
        let claims = Claims::new(0);
        let id = Identity { dev: 1, ino: 7 };
        let a = claims
            .claim(id, (1, 0), false, rank(0, "b/a.json"))
            .unwrap();
        // The same file under a better name: no report of its own, and the first one's
        // claim takes the better name.
        assert_eq!(claims.claim(id, (1, 0), false, rank(0, "a/a.json")), None);
        assert!(claims.contested.load(Ordering::Relaxed));
        let taken = lock(&claims.by_id);
        assert_eq!(
            Claims::best_rank(&taken, (id, a)),
            Some(&rank(0, "a/a.json"))
        );
        drop(taken);
        // The file is deleted and another one gets its inode number: a new claim, and the
        // first file's report keeps its name rather than taking the new file's.
        let b = claims.claim(id, (2, 0), false, rank(0, "z.json")).unwrap();
        assert_ne!(a, b);
        let taken = lock(&claims.by_id);
        assert_eq!(Claims::best_rank(&taken, (id, a)), None);
        assert_eq!(Claims::best_rank(&taken, (id, b)), Some(&rank(0, "z.json")));
    }

    #[test]
    fn a_fixed_file_is_known_by_its_new_identity() {
        let claims = Claims::new(0);
        let old = Identity { dev: 1, ino: 7 };
        let new = Identity { dev: 1, ino: 8 };
        claims.claim(old, (1, 0), false, rank(0, "b.json")).unwrap();
        let w = claims.wrote(new, rank(0, "b.json"));
        // Reached again under another name after the fix: the file this run wrote, whatever
        // its change time says.
        assert_eq!(claims.claim(new, (9, 9), false, rank(0, "a.json")), None);
        let taken = lock(&claims.by_id);
        assert_eq!(
            Claims::best_rank(&taken, (new, w)),
            Some(&rank(0, "a.json"))
        );
    }

    proptest! {
        /// The in-place order is the stable sort's, outputs moved with their reports.
        #[test]
        fn reports_are_put_in_path_order_in_place(names in proptest::collection::vec("[a-d]{0,3}", 0..60)) {
            let mut reports: Vec<FileReport> = names.iter().map(|n| FileReport::empty(n)).collect();
            let mut rendered: Vec<Option<String>> =
                (0..names.len()).map(|i| (i % 3 != 0).then(|| format!("{i}"))).collect();
            let mut expected: Vec<(String, Option<String>)> = names.iter().cloned().zip(rendered.clone()).collect();
            expected.sort_by(|a, b| a.0.cmp(&b.0));
            in_path_order(&mut reports, &mut rendered);
            let got: Vec<(String, Option<String>)> = reports.into_iter().map(|r| r.path).zip(rendered).collect();
            prop_assert_eq!(got, expected);
        }
    }
}

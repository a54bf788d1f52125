//! A run's files end to end on every core: discovery, reading, linting and rendering
//! overlap.
//!
//! The workers take the paths named on the command line straight from the list: each one
//! opens its path (one `open` and one `fstat`, nothing on the main thread beforehand); a
//! directory is walked by the worker that opened it, which feeds the files it finds to a
//! shared queue while the others lint them. Each file is read, linted, filtered by the
//! config's ignores and rendered on the thread that took it. Output stays deterministic:
//! results are put in path order once all are in.
//!
//! A small run stays on the calling thread (waking a second core costs more than linting a
//! pre-commit-sized batch); helpers start as soon as the named paths or a walk's finds reach
//! [`PARALLEL_FROM`].

use crate::cli::{lint_candidate, open_nonblocking, panic_text, Run, PARALLEL_FROM};
use crate::config::{Config, IgnoreUse};
use crate::discover::{self, Candidate, Failure};
use crate::{FileReport, Settings};
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// How to turn one file's report into its part of the output, on the worker.
pub(crate) type Render<'a> = &'a (dyn Fn(&FileReport) -> String + Sync);

/// Everything a run's workers share.
pub(crate) struct Plan<'a> {
    /// The paths named on the command line, in order.
    pub paths: &'a [PathBuf],
    /// Walks keep every file (include globs choose), not only `*.json`/`*.http`/`*.rest`.
    pub any_extension: bool,
    /// `--requests-only`: named files too are kept only if they look like requests.
    pub requests_only: bool,
    /// An include glob is given: the files it selects are linted as if named.
    pub includes: bool,
    /// The config's and the command line's include/exclude globs, for files not named.
    pub select: &'a (dyn Fn(&str) -> bool + Sync),
    pub settings: &'a Settings,
    pub run: &'a Run<'a>,
    pub threads: usize,
    /// Whose `[[ignores]]` apply to each report.
    pub cfg: Option<&'a Config>,
    /// Render each report on its worker (`None`: the caller renders the whole run).
    pub render: Option<Render<'a>>,
}

/// One linted file: its report and, when the plan renders, its rendered output.
pub(crate) struct Linted {
    pub report: FileReport,
    pub rendered: Option<String>,
}

/// What a run found: reports in path order, failures in path order, and which ignores
/// matched and hid something.
pub(crate) struct Ran {
    pub files: Vec<Linted>,
    pub failures: Vec<Failure>,
    pub usage: IgnoreUse,
}

#[derive(Default)]
struct Part {
    files: Vec<Linted>,
    failures: Vec<Failure>,
    usage: IgnoreUse,
}

struct Queue {
    walked: VecDeque<PathBuf>,
}

struct Shared<'a> {
    plan: &'a Plan<'a>,
    /// The next named path to take.
    next_named: AtomicUsize,
    /// Named paths not finished yet: while one is, a walk may still add files.
    pending_named: AtomicUsize,
    queue: Mutex<Queue>,
    more: Condvar,
    /// The named paths as displayed, so that a walk skips a file also named (built on the
    /// first walk: a run of named files never pays for it).
    named_set: OnceLock<HashSet<String>>,
    /// Files found by walks, when more than one path is given and walks could overlap.
    walked_set: Mutex<HashSet<String>>,
    helpers_started: AtomicBool,
}

enum Job {
    Named(usize),
    Walked(PathBuf),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared<'_> {
    fn next(&self) -> Option<Job> {
        let named = self.plan.paths.len();
        if self.next_named.load(Ordering::Relaxed) < named {
            let i = self.next_named.fetch_add(1, Ordering::Relaxed);
            if i < named {
                return Some(Job::Named(i));
            }
        }
        let mut q = lock(&self.queue);
        loop {
            if let Some(p) = q.walked.pop_front() {
                return Some(Job::Walked(p));
            }
            if self.pending_named.load(Ordering::Acquire) == 0 {
                return None;
            }
            q = self.more.wait(q).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn push(&self, batch: &mut Vec<PathBuf>) {
        if batch.is_empty() {
            return;
        }
        lock(&self.queue).walked.extend(batch.drain(..));
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

/// Discover, read, lint and render every file of the plan.
pub(crate) fn run(plan: &Plan<'_>) -> Ran {
    let shared = Shared {
        plan,
        next_named: AtomicUsize::new(0),
        pending_named: AtomicUsize::new(plan.paths.len()),
        queue: Mutex::new(Queue {
            walked: VecDeque::new(),
        }),
        more: Condvar::new(),
        named_set: OnceLock::new(),
        walked_set: Mutex::new(HashSet::new()),
        helpers_started: AtomicBool::new(plan.threads <= 1),
    };
    let mut parts = Vec::new();
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
    let mut ran = Ran {
        files: Vec::new(),
        failures: Vec::new(),
        usage: IgnoreUse::default(),
    };
    for p in parts {
        ran.files.extend(p.files);
        ran.failures.extend(p.failures);
        ran.usage.merge(&p.usage);
    }
    if lost {
        // Every file's own panic is caught where it is linted; this is a worker dying
        // outside one. Its files are unaccounted for, so the run fails, loudly.
        ran.failures.push(Failure {
            path: "vpclint".into(),
            message: "internal error: a worker stopped; some files may not have been linted".into(),
        });
    }
    ran.files.sort_by(|a, b| a.report.path.cmp(&b.report.path));
    ran.failures.sort_by(|a, b| a.path.cmp(&b.path));
    ran
}

/// One worker's loop; `start_helpers` is the calling thread's way to wake the others when
/// a walk turns out to be big.
fn work(shared: &Shared<'_>, start_helpers: Option<&dyn Fn()>) -> Part {
    let mut part = Part::default();
    while let Some(job) = shared.next() {
        match job {
            Job::Named(i) => {
                let _done = NamedDone(shared);
                let path = &shared.plan.paths[i];
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    named(shared, path, start_helpers, &mut part)
                }));
                if let Err(payload) = outcome {
                    part.failures.push(Failure {
                        path: discover::display(path),
                        message: format!("internal error while reading: {}", panic_text(&*payload)),
                    });
                }
            }
            Job::Walked(path) => {
                let c = Candidate {
                    path,
                    explicit: shared.plan.includes,
                    walked: true,
                };
                lint(shared, &c, None, &mut part);
            }
        }
    }
    part
}

/// A path named on the command line: a file is linted as named, a directory walked.
fn named(
    shared: &Shared<'_>,
    path: &std::path::Path,
    start_helpers: Option<&dyn Fn()>,
    part: &mut Part,
) {
    let plan = shared.plan;
    let (file, meta) = match open_nonblocking(path) {
        Ok(x) => x,
        Err(message) => {
            part.failures.push(Failure {
                path: discover::display(path),
                message,
            });
            return;
        }
    };
    if !meta.is_dir() {
        // `--requests-only` makes a named file one that must be selected and look like a
        // request; an include glob makes a selected one named again.
        if plan.requests_only && !(plan.select)(&discover::display(path)) {
            return;
        }
        let c = Candidate {
            path: path.to_path_buf(),
            explicit: !plan.requests_only || plan.includes,
            walked: false,
        };
        lint(shared, &c, Some((file, meta)), part);
        return;
    }
    drop(file);
    let named_set = shared
        .named_set
        .get_or_init(|| plan.paths.iter().map(|p| discover::display(p)).collect());
    let overlap = plan.paths.len() > 1;
    let mut batch = Vec::new();
    let mut found = 0usize;
    discover::walk(path, plan.any_extension, |item| match item {
        Ok(p) => {
            let shown = discover::display(&p);
            if named_set.contains(&shown)
                || !(plan.select)(&shown)
                || (overlap && !lock(&shared.walked_set).insert(shown))
            {
                return;
            }
            batch.push(p);
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

fn lint(
    shared: &Shared<'_>,
    c: &Candidate,
    opened: Option<(std::fs::File, std::fs::Metadata)>,
    part: &mut Part,
) {
    let plan = shared.plan;
    match lint_candidate(c, plan.settings, plan.run, opened) {
        Ok(Some(mut report)) => {
            if let Some(cfg) = plan.cfg {
                cfg.apply_ignores_to(&mut report, &mut part.usage);
            }
            let rendered = plan.render.map(|r| r(&report));
            part.files.push(Linted { report, rendered });
        }
        Ok(None) => {}
        Err(f) => part.failures.push(f),
    }
}

//! Which configuration governs a file: one answer for `check`, standard input and the
//! language server.
//!
//! As ruff does: `--config FILE` governs every file and `--no-config` none (fixed);
//! otherwise each file is governed by the closest `.vpclint.toml` or `vpclint.toml` from its
//! own directory upward (hierarchical), so `vpclint check repo/x.json` run from anywhere
//! reads the repository's config. Lookups and parsed configs are cached per directory.

use crate::config::{self, Config, ConfigError};
use crate::settings::{Flags, Settings};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// A file's settings and the config they came from.
#[derive(Debug)]
pub struct Resolved {
    pub config: Option<Arc<Config>>,
    pub settings: Settings,
}

/// A config that could not be used, with the path of the file it is in.
#[derive(Debug, Clone)]
pub struct Broken {
    pub file: PathBuf,
    pub error: Arc<ConfigError>,
}

type Lookup = Result<Arc<Resolved>, Broken>;

enum Strategy {
    Fixed(Lookup),
    Hierarchical,
}

pub struct Resolver {
    strategy: Strategy,
    flags: Flags,
    /// Directory → the config file that governs it (the closest upward), if any.
    by_dir: Mutex<HashMap<PathBuf, Option<PathBuf>>>,
    /// Config file → its settings.
    parsed: Mutex<HashMap<PathBuf, Lookup>>,
    /// Settings with no config at all.
    bare: Arc<Resolved>,
}

/// Where the configuration comes from.
#[derive(Clone, Debug)]
pub enum Choice {
    /// `--no-config`.
    None,
    /// `--config FILE`.
    File(PathBuf),
    /// The closest config upward from each file.
    Closest,
}

impl Resolver {
    /// Errors are the flags' own (an unknown rule or operation): they stop the run.
    pub fn new(choice: Choice, flags: Flags) -> Result<Resolver, String> {
        let bare = Arc::new(Resolved {
            config: None,
            settings: Settings::resolve(None, &flags)?,
        });
        let strategy = match choice {
            Choice::None => Strategy::Fixed(Ok(bare.clone())),
            Choice::File(p) => Strategy::Fixed(load(&p, &flags)),
            Choice::Closest => Strategy::Hierarchical,
        };
        Ok(Resolver {
            strategy,
            flags,
            by_dir: Mutex::new(HashMap::new()),
            parsed: Mutex::new(HashMap::new()),
            bare,
        })
    }

    /// The settings of the file at `path` (relative to the working directory or absolute;
    /// it need not exist: standard input is named this way).
    pub fn for_file(&self, path: &Path) -> Lookup {
        match &self.strategy {
            // One set of settings for every file: no path to normalise.
            Strategy::Fixed(l) => l.clone(),
            Strategy::Hierarchical => {
                let abs = config::absolute(path);
                self.for_absolute_dir(abs.parent().unwrap_or(Path::new("/")))
            }
        }
    }

    /// The settings of files in directory `dir`.
    pub fn for_dir(&self, dir: &Path) -> Lookup {
        match &self.strategy {
            Strategy::Fixed(l) => l.clone(),
            Strategy::Hierarchical => self.for_absolute_dir(&config::absolute(dir)),
        }
    }

    /// The hierarchical lookup for an absolute directory: its closest config, parsed once.
    fn for_absolute_dir(&self, dir: &Path) -> Lookup {
        match self.config_file_for(dir) {
            None => Ok(self.bare.clone()),
            Some(file) => {
                if let Some(hit) = lock(&self.parsed).get(&file) {
                    return hit.clone();
                }
                let l = load(&file, &self.flags);
                lock(&self.parsed).entry(file).or_insert(l).clone()
            }
        }
    }

    /// The closest config file from `dir` (absolute) upward, filling the cache for every
    /// directory on the way.
    fn config_file_for(&self, dir: &Path) -> Option<PathBuf> {
        if let Some(hit) = lock(&self.by_dir).get(dir) {
            return hit.clone();
        }
        let mut visited = Vec::new();
        let mut d = dir.to_path_buf();
        let found = loop {
            if let Some(hit) = lock(&self.by_dir).get(&d) {
                break hit.clone();
            }
            if let Some(f) = config::in_dir(&d) {
                visited.push(d);
                break Some(f);
            }
            visited.push(d.clone());
            if !d.pop() {
                break None;
            }
        };
        let mut cache = lock(&self.by_dir);
        for v in visited {
            cache.insert(v, found.clone());
        }
        found
    }

    /// Forget every lookup and parsed config (the language server, when a config changed).
    pub fn clear(&self) {
        lock(&self.by_dir).clear();
        lock(&self.parsed).clear();
    }

    /// Whether the configs are found per file (not fixed by `--config`/`--no-config`).
    pub fn hierarchical(&self) -> bool {
        matches!(self.strategy, Strategy::Hierarchical)
    }
}

fn load(file: &Path, flags: &Flags) -> Lookup {
    let broken = |error: ConfigError| Broken {
        file: file.to_path_buf(),
        error: Arc::new(error),
    };
    // Shown relative to the working directory when it is below it, as linted files are.
    let cwd = config::absolute(Path::new("."));
    let shown = file.strip_prefix(&cwd).unwrap_or(file);
    let cfg = Config::load(shown).map_err(broken)?;
    // Flags were checked without a config; with one they cannot fail differently, but a
    // failure is still reported, never unwrapped.
    let settings = Settings::resolve(Some(&cfg), flags).map_err(|m| {
        broken(ConfigError {
            path: cfg.path.clone(),
            text: String::new(),
            span: None,
            message: m,
            help: None,
        })
    })?;
    Ok(Arc::new(Resolved {
        config: Some(Arc::new(cfg)),
        settings,
    }))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_config_upward_governs_and_hidden_wins() {
        let d = std::env::temp_dir().join(format!("vpclint-resolve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("a/b/c")).unwrap();
        std::fs::write(d.join("vpclint.toml"), "instance-ids-limit = 11\n").unwrap();
        std::fs::write(d.join("a/b/vpclint.toml"), "instance-ids-limit = 12\n").unwrap();
        std::fs::write(d.join("a/b/.vpclint.toml"), "instance-ids-limit = 13\n").unwrap();
        let r = Resolver::new(Choice::Closest, Flags::default()).unwrap();
        let limit = |p: &str| r.for_file(&d.join(p)).unwrap().settings.instance_ids_limit;
        assert_eq!(limit("x.json"), 11);
        assert_eq!(limit("a/x.json"), 11);
        assert_eq!(limit("a/b/c/x.json"), 13);
        let fixed = Resolver::new(Choice::File(d.join("vpclint.toml")), Flags::default()).unwrap();
        assert_eq!(
            fixed
                .for_file(&d.join("a/b/c/x.json"))
                .unwrap()
                .settings
                .instance_ids_limit,
            11
        );
        let none = Resolver::new(Choice::None, Flags::default()).unwrap();
        assert!(none.for_file(&d.join("x.json")).unwrap().config.is_none());
    }
}

//! The module graph (ARCHITECTURE.md): read from the sources' `crate::` paths, it has no
//! cycle, and the arrows that must be absent are absent.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Re-exports at the crate root that stand for a module.
const ALIASES: [(&str, &str); 1] = [("http", "lint")];

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Top-level module → the top-level modules its code names (`crate::x…`), tests excluded.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()?
                .as_os_str()
                .to_string_lossy()
                .into_owned();
            Some(first.trim_end_matches(".rs").to_owned())
        })
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let module = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = fs::read_to_string(f).unwrap();
        // Unit tests may reach anywhere; the graph is about the code that ships.
        let code = text.split("#[cfg(test)]").next().unwrap();
        let deps = g.entry(module.clone()).or_default();
        // Doc comments count: an intra-doc link (`[`crate::x`]`) is a path rustdoc resolves,
        // an arrow like any `use`. Plain `//` comments do not.
        for line in code.lines() {
            let line = line.trim_start();
            if line.starts_with("//") && !line.starts_with("///") && !line.starts_with("//!") {
                continue;
            }
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + "crate::".len()..];
                let mut names: Vec<&str> = Vec::new();
                if let Some(group) = rest.strip_prefix('{') {
                    names.extend(
                        group
                            .split('}')
                            .next()
                            .unwrap()
                            .split(',')
                            .map(|s| s.trim().split("::").next().unwrap().trim()),
                    );
                } else {
                    names.push(
                        rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .next()
                            .unwrap(),
                    );
                }
                for n in names.into_iter().filter(|n| !n.is_empty()) {
                    let n = ALIASES.iter().find(|(a, _)| *a == n).map_or(n, |(_, m)| *m);
                    assert!(
                        modules.contains(n),
                        "{}: `crate::{n}` is not a module: name items by their module, not through the crate root",
                        rel.display()
                    );
                    if n != module {
                        deps.insert(n.to_owned());
                    }
                }
            }
        }
    }
    g
}

#[test]
fn the_module_graph_has_no_cycle() {
    let g = graph();
    // Depth-first search with colours; a grey node reached again closes a cycle.
    fn visit<'a>(
        n: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        colour: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) {
        colour.insert(n, 1);
        stack.push(n);
        for d in g.get(n).into_iter().flatten() {
            match colour.get(d.as_str()).copied().unwrap_or(0) {
                0 => visit(d, g, colour, stack),
                1 => {
                    let from = stack.iter().position(|s| *s == d).unwrap();
                    panic!("import cycle: {} -> {d}", stack[from..].join(" -> "));
                }
                _ => {}
            }
        }
        stack.pop();
        colour.insert(n, 2);
    }
    let mut colour = BTreeMap::new();
    for n in g.keys() {
        if colour.get(n.as_str()).copied().unwrap_or(0) == 0 {
            visit(n, &g, &mut colour, &mut Vec::new());
        }
    }
}

#[test]
fn the_arrows_that_must_be_absent_are_absent() {
    let g = graph();
    let imports = |a: &str, b: &str| g.get(a).is_some_and(|d| d.contains(b));
    for m in g.keys() {
        assert!(!imports(m, "cli"), "{m} imports cli: only main may");
    }
    for (a, b, why) in [
        ("lsp", "report", "the server speaks LSP, not report formats"),
        (
            "operation",
            "rules",
            "the API family is data below the rules",
        ),
        (
            "rules",
            "lint",
            "rules know a document, not files or request files",
        ),
        ("rules", "workspace", "rules never touch the file system"),
        (
            "view",
            "rules",
            "the typed view is what rules read: it finds and types fields, it decides nothing",
        ),
        ("view", "schema", "the view reads a body, not its schema"),
        ("lint", "workspace", "lint is text in, report out"),
        ("lint", "lsp", "lint knows no protocol"),
        ("config", "lint", "a config knows findings, not reports"),
        ("report", "workspace", "reporters render, they never decide"),
        ("base", "diagnostic", "base imports nothing of the crate"),
        ("diagnostic", "rules", "core types import nothing but base"),
        (
            "fix",
            "workspace",
            "fixing is in memory; writing is the workspace's",
        ),
    ] {
        assert!(!imports(a, b), "{a} imports {b}: {why}");
    }
    assert!(g["base"].is_empty(), "base imports {:?}", g["base"]);
}

#[test]
fn only_the_workspace_writes_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        if rel.starts_with("workspace") {
            continue;
        }
        let text = fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for needle in [
            "fs::rename",
            "fs::write(",
            "OpenOptions",
            "File::create",
            "remove_file",
        ] {
            assert!(
                !code.contains(needle),
                "{} uses {needle}: writes belong to src/workspace/fs.rs",
                rel.display()
            );
        }
    }
}

/// The cross-field rules read a body's fields through the typed view (`src/view.rs`), never
/// by key from the tree: what counts as absent, empty or blank is decided there, once.
#[test]
fn cross_field_rules_read_the_view() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    for module in [
        "channel",
        "backends",
        "health",
        "registry",
        "secrets",
        "operations",
    ] {
        let text = fs::read_to_string(rules.join(format!("{module}.rs"))).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for needle in [
            ".get(\"",
            ".member(\"",
            ".member_raw(\"",
            ".member_present(\"",
            ".get_present(\"",
            ".get_identifier(\"",
            ".lookup(",
        ] {
            assert!(
                !code.contains(needle),
                "src/rules/{module}.rs reads a field with `{needle}`: add an accessor to src/view.rs"
            );
        }
    }
}

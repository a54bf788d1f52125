//! vpclint is offline by construction: no network crate may enter the dependency graph.

#[test]
fn no_network_crates_in_the_dependency_tree() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--manifest-path",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.contains("jsonschema"), "the tree was read");
    let banned = [
        "reqwest",
        "hyper",
        "rustls",
        "native-tls",
        "openssl",
        "ureq",
        "curl",
        "h2",
        "tokio",
        "aws-lc-rs",
        "ring",
        "isahc",
        "surf",
    ];
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        assert!(!banned.contains(&name), "network crate in the tree: {line}");
    }
}

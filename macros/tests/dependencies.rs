//! The macro crate stands on its own: none of its dependencies, for tests included, is the
//! runtime or axum. The runtime depends on this crate, so a dependency back (as the doctests of
//! the `#[conditional]` reference once were) is a cycle at dev time, and a test that needs the
//! runtime belongs in the `tests/` crate.

/// The names of the dependencies of every table of `manifest` whose header ends in
/// `dependencies`: `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`, and the
/// same under `[target.….…]`.
fn dependencies(manifest: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut in_table = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line.trim_end_matches(']').ends_with("dependencies");
        } else if in_table && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.']).next().unwrap_or_default().trim();
            names.push(name);
        }
    }
    names
}

#[test]
fn no_dependency_is_the_runtime_or_axum() {
    let manifest = include_str!("../Cargo.toml");
    let names = dependencies(manifest);
    assert!(
        names.contains(&"syn"),
        "the checker reads the tables: {names:?}"
    );
    let back: Vec<&&str> = names
        .iter()
        .filter(|name| name.starts_with("axum"))
        .collect();
    assert!(back.is_empty(), "macros/Cargo.toml depends on {back:?}");
}

#[test]
fn the_checker_reads_every_dependency_table() {
    let manifest = "[package]\nname = \"x\"\n[dependencies]\nsyn.workspace = true\n\
                    [dev-dependencies]\n# a comment\naxum-conditional = { path = \"../runtime\" }\n\
                    [target.'cfg(unix)'.dev-dependencies]\ntower = \"0.5\"\n[features]\nutoipa = []\n";
    assert_eq!(dependencies(manifest), ["syn", "axum-conditional", "tower"]);
}

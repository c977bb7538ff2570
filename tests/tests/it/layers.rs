//! The runtime's layers, read off its source: every module imports only from its own layer or
//! the ones below (the RFC core at the bottom, on `http` alone; then the optional parts that
//! need only the core; then the axum integration), the optional parts never from each other,
//! and no two modules import each other, directly or through others.
//!
//! An import is any `crate::…` path in code (comments, where rustdoc links live, are skipped),
//! and the layered code names items by their module path (`crate::rfc::ETag`), never through the
//! facade's re-exports, which would hide the layer an item comes from: that is checked too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The runtime's source folder.
fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/src")
}

/// Every `.rs` file under `dir`, by its module path (`rfc::etag`, `axum`, `observe`).
fn modules(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .expect("a UTF-8 file name")
            .to_owned();
        let joined = |name: &str| {
            if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}::{name}")
            }
        };
        if path.is_dir() {
            modules(&path, &joined(&name), out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let module = match name.as_str() {
                "mod" => prefix.to_owned(),
                "lib" if prefix.is_empty() => String::new(),
                _ => joined(&name),
            };
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            out.insert(module, text);
        }
    }
}

/// The layer of a module: 0 for the RFC core, 1 for the optional parts on it, 2 for the axum
/// integration; `None` for the facade (`lib.rs`), which re-exports every layer.
fn layer(module: &str) -> Option<(u8, &str)> {
    let top = module.split("::").next().unwrap_or_default();
    match top {
        "" => None,
        "rfc" => Some((0, top)),
        "observe" | "compression" | "openapi" => Some((1, top)),
        "axum" => Some((2, top)),
        other => panic!("runtime/src/{other}: a module outside every layer; give it one here"),
    }
}

/// The code of a file, without its comments (doc comments hold rustdoc links, not imports).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `crate::…` paths of a file's code, each as far as it names modules and items:
/// `crate::rfc::etag::ETag`, and for a group, `crate::rfc::{ETag, evaluate::Field}`, one path per
/// member.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let (segments, tail) = leading_segments(rest);
        match tail.strip_prefix('{').map(top_level_members) {
            Some(members) => {
                for member in members {
                    let (more, _) = leading_segments(member.trim());
                    let mut path = segments.clone();
                    path.extend(more.into_iter().filter(|segment| segment != "self"));
                    paths.push(path);
                }
            }
            None => paths.push(segments),
        }
    }
    paths
}

/// The members of a `{…}` group, from just after its `{`, split at its own commas (a nested
/// group stays whole).
fn top_level_members(group: &str) -> Vec<&str> {
    let mut members = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                members.push(&group[start..i]);
                return members;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                members.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    members
}

/// The `a::b::c` segments at the start of `text`, and what follows the last `::`.
fn leading_segments(text: &str) -> (Vec<String>, &str) {
    let mut segments = Vec::new();
    let mut tail = text;
    loop {
        let end = tail
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if end == 0 {
            break;
        }
        segments.push(tail[..end].to_owned());
        tail = &tail[end..];
        match tail.strip_prefix("::") {
            Some(next) => tail = next,
            None => break,
        }
    }
    (segments, tail)
}

/// The module a path names, as deep as a known module goes: `rfc::etag` for
/// `crate::rfc::etag::ETag`; through a module's own re-exports (`pub use etag::{ETag, …};` in
/// `rfc/mod.rs`), `rfc::etag` for `crate::rfc::ETag` too, so that no cycle hides behind one.
fn target(path: &[String], known: &BTreeMap<String, String>) -> Option<String> {
    let module = (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|candidate| known.contains_key(candidate))?;
    let depth = module.split("::").count();
    let Some(name) = path.get(depth) else {
        return Some(module);
    };
    let from = reexports(&known[&module])
        .into_iter()
        .find(|(_, names)| names.contains(name))
        .map(|(sub, _)| format!("{module}::{sub}"))
        .filter(|sub| known.contains_key(sub));
    Some(from.unwrap_or(module))
}

/// A module's `pub use sub::{A, B};` and `pub use sub::A;` lines: the submodule, and the names.
fn reexports(text: &str) -> Vec<(String, Vec<String>)> {
    let code = code(text);
    let mut found = Vec::new();
    for item in code.split(';') {
        let Some(rest) = item.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((sub, names)) = rest.split_once("::") else {
            continue;
        };
        let names = names.trim().trim_start_matches('{').trim_end_matches('}');
        let names = names
            .split(',')
            .map(|name| {
                name.trim()
                    .rsplit("::")
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .filter(|name| !name.is_empty())
            .collect();
        found.push((sub.trim().to_owned(), names));
    }
    found
}

/// Every module from which a path of imports leads back to itself.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = Vec::new();
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&String> = edges[start].iter().collect();
        while let Some(next) = stack.pop() {
            if next == start {
                found.push(format!("{start} imports itself through others"));
                break;
            }
            if seen.insert(next.clone()) {
                stack.extend(edges.get(next).into_iter().flatten());
            }
        }
    }
    found
}

#[test]
fn every_import_runs_down_the_layers_and_none_runs_in_a_cycle() {
    let mut known = BTreeMap::new();
    modules(&source(), "", &mut known);
    assert!(known.contains_key("rfc::evaluate"), "{known:?}");
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &known {
        let Some((own_layer, own_top)) = layer(module) else {
            continue;
        };
        for path in crate_paths(&code(text)) {
            let Some(to) = target(&path, &known) else {
                problems.push(format!(
                    "{module}: `crate::{}` goes through the facade; name the module it comes from",
                    path.join("::")
                ));
                continue;
            };
            let Some((to_layer, to_top)) = layer(&to) else {
                problems.push(format!(
                    "{module}: imports the facade (`crate::{}`)",
                    path.join("::")
                ));
                continue;
            };
            if to_layer > own_layer {
                problems.push(format!(
                    "{module} (layer {own_layer}) imports {to} (layer {to_layer})"
                ));
            } else if to_layer == own_layer && own_layer == 1 && to_top != own_top {
                problems.push(format!(
                    "{module} imports {to}: the optional parts are independent"
                ));
            }
            if to != *module && !module.starts_with(&format!("{to}::")) {
                edges.entry(module.clone()).or_default().insert(to);
            }
        }
    }
    let imports: usize = edges.values().map(BTreeSet::len).sum();
    assert!(imports > 40, "the checker reads the imports: {edges:#?}");
    problems.extend(cycles(&edges));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_sees_an_upward_import_and_a_cycle() {
    let paths = crate_paths("use crate::axum::respond::Evaluation;\nlet x = crate::rfc::ETag::x;");
    assert_eq!(
        paths,
        vec![
            vec![
                "axum".to_owned(),
                "respond".to_owned(),
                "Evaluation".to_owned()
            ],
            vec!["rfc".to_owned(), "ETag".to_owned(), "x".to_owned()],
        ]
    );
    assert_eq!(code("let a = 1; // crate::axum"), "let a = 1; ");
    assert_eq!(
        crate_paths("use crate::rfc::{ETag, evaluate::{Field}, self};"),
        vec![
            vec!["rfc".to_owned(), "ETag".to_owned()],
            vec!["rfc".to_owned(), "evaluate".to_owned()],
            vec!["rfc".to_owned()],
        ]
    );
    let mut known = BTreeMap::new();
    known.insert(
        "rfc".to_owned(),
        "pub mod etag;\npub use etag::{ETag, InvalidETag};".to_owned(),
    );
    known.insert("rfc::etag".to_owned(), String::new());
    assert_eq!(
        target(&paths[1], &known).as_deref(),
        Some("rfc::etag"),
        "a name re-exported by the layer's own module, followed to where it is defined"
    );
    assert_eq!(layer("axum::respond"), Some((2, "axum")));
    assert_eq!(layer("rfc::etag"), Some((0, "rfc")));
    // The cycle this crate once had: respond and observe importing each other.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges
        .entry("axum::respond".into())
        .or_default()
        .insert("observe".into());
    edges
        .entry("observe".into())
        .or_default()
        .insert("axum::respond".into());
    edges
        .entry("rfc::etag".into())
        .or_default()
        .insert("rfc::list".into());
    assert_eq!(cycles(&edges).len(), 2, "{:?}", cycles(&edges));
}

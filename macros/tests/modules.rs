//! The macro's pipeline runs one way, read off its source: parse → model → check → expand. A
//! module imports only modules of an earlier stage (so no two import each other, directly or
//! through others), and in particular checking never calls code generation.
//!
//! An import is any `crate::…` path in code outside the file's `#[cfg(test)]` module (comments,
//! where rustdoc links live, are skipped); a test may use any stage to build its input.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The stage of each module: a module may import only modules of a lower stage. `lib` runs the
/// pipeline and imports everything; nothing imports it.
fn stage(module: &str) -> usize {
    match module {
        // What the tokens say: shared readings, and the error collector.
        "ctxt" | "scan" | "instrument" => 0,
        // Parse: the arguments, and the function.
        "args" | "handler" => 1,
        // Model: what follows from the two together.
        "model" => 2,
        // Check, and expand (with `openapi`, utoipa's part of it): both read the model, and
        // neither calls the other.
        "check" | "expand" | "openapi" => 3,
        "lib" => 4,
        // Tests only: the expansion snapshots, through `lib`'s pipeline.
        "snapshots" => 5,
        other => panic!("macros/src/{other}.rs: a module without a stage; give it one here"),
    }
}

/// Every module of the macro crate and its source.
fn modules() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        assert!(
            path.extension().is_some_and(|ext| ext == "rs"),
            "{}: the checker reads one flat folder of modules; teach it folders",
            path.display()
        );
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .expect("a UTF-8 file name")
            .to_owned();
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        found.insert(name, text);
    }
    found
}

/// The code of a file without its comments and without its unit tests (the `#[cfg(test)]`
/// module, which this crate puts last in a file).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a file's code names: `crate::args::Key` and `use crate::{instrument, scan};`.
fn imports(code: &str, known: &BTreeSet<&str>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let names = match rest.strip_prefix('{') {
            Some(group) => &group[..group.find('}').unwrap_or(group.len())],
            None => rest,
        };
        let first_words = names.split(',').map(|member| {
            let member = member.trim();
            let end = member
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(member.len());
            &member[..end]
        });
        // A path that names no module (a macro or an item of `lib`) is not an import of one.
        found.extend(
            first_words
                .take(if rest.starts_with('{') { usize::MAX } else { 1 })
                .filter(|name| known.contains(name))
                .map(str::to_owned),
        );
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
fn every_import_runs_to_an_earlier_stage_and_none_in_a_cycle() {
    let modules = modules();
    let known: BTreeSet<&str> = modules.keys().map(String::as_str).collect();
    assert!(
        known.contains("check") && known.contains("expand"),
        "{known:?}"
    );
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &modules {
        for to in imports(&code(text), &known) {
            if to == *module {
                continue;
            }
            if stage(&to) >= stage(module) {
                problems.push(format!(
                    "{module} (stage {}) imports {to} (stage {})",
                    stage(module),
                    stage(&to)
                ));
            }
            edges.entry(module.clone()).or_default().insert(to);
        }
    }
    let count: usize = edges.values().map(BTreeSet::len).sum();
    assert!(count > 15, "the checker reads the imports: {edges:#?}");
    problems.extend(cycles(&edges));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_sees_imports_and_the_cycle_this_crate_once_had() {
    let known = BTreeSet::from(["args", "expand", "model", "scan", "instrument"]);
    assert_eq!(
        imports(
            &code(
                "use crate::args::{Args, Key};\nuse crate::{expand, instrument};\n\
                 let x = crate::model::Last::ByType; // crate::scan\nmy_crate::args"
            ),
            &known,
        ),
        BTreeSet::from(["args", "expand", "instrument", "model"].map(String::from)),
    );
    assert_eq!(
        code("use crate::args; // crate::scan\n#[cfg(test)]\nmod tests {\n use crate::expand;\n}"),
        "use crate::args; "
    );
    // `validate` once called `expand` for a check, and `expand` read `validate`'s plan.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges
        .entry("validate".into())
        .or_default()
        .insert("expand".into());
    edges
        .entry("expand".into())
        .or_default()
        .insert("validate".into());
    edges
        .entry("args".into())
        .or_default()
        .insert("scan".into());
    assert_eq!(cycles(&edges).len(), 2, "{:?}", cycles(&edges));
}

//! The code `#[conditional]` generates for representative handlers, pinned: each case's
//! expansion, pretty-printed, must equal its committed file `macros/tests/expand/<case>.rs`, so
//! that any change to the generated code fails here and becomes a diff a reviewer reads.
//!
//! After a deliberate change, rewrite the files and review the diff:
//!
//! ```text
//! UPDATE_EXPANSIONS=1 cargo test -p axum-conditional-macros snapshots
//! git diff macros/tests/expand
//! ```
//!
//! The expansion is taken from the macro's own pipeline (`rewrite`), with the `utoipa` part on
//! for the `utoipa` case only, whatever features this build has, so every case is pinned in
//! every build. Spans are not shown: where an error points is pinned by the UI tests.

use std::path::{Path, PathBuf};

/// One handler as a user writes it: the attribute's arguments, and the item below it.
struct Case {
    name: &'static str,
    args: &'static str,
    item: &'static str,
    utoipa: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "no_argument",
        args: "etag = ETag::from_version(1)",
        item: r#"
            async fn hello() -> &'static str {
                "hello"
            }
        "#,
        utoipa: false,
    },
    Case {
        name: "state_only",
        args: r#"etag = ETag::from_version(v.0.load(SeqCst)), cache_control = "no-cache""#,
        item: r#"
            async fn read(State(v): State<Version>) -> String {
                format!("version {}", v.0.load(SeqCst))
            }
        "#,
        utoipa: false,
    },
    Case {
        name: "auth_last",
        // `User` reads the head only (`FromRequestParts`), so the type system extracts it
        // before the validators: its 401 comes before any precondition.
        args: "etag = store.etag(id).await?, last_modified = store.modified(id).await?",
        item: r#"
            async fn get_doc(State(store): State<Store>, Path(id): Path<u64>, user: User)
                -> Result<Json<Doc>, ApiError>
            {
                Ok(Json(store.load(id, &user).await?))
            }
        "#,
        utoipa: false,
    },
    Case {
        name: "body_last",
        args: "etag = ETag::from_version(store.version(id).await?), require = true",
        item: r#"
            async fn put_doc(
                State(store): State<Store>,
                Path(id): Path<u64>,
                Json(doc): Json<Doc>,
            ) -> Result<(ETag, Json<Doc>), ApiError> {
                let doc = store.save(id, doc).await?;
                Ok((ETag::from_version(doc.version), Json(doc)))
            }
        "#,
        utoipa: false,
    },
    Case {
        name: "bind",
        args: "etag = db.version(id).await?.map(ETag::from_version), require = true, bind = ev",
        item: r#"
            async fn put_doc(State(db): State<Db>, Path(id): Path<u64>, Json(body): Json<String>)
                -> Result<Response, DbError>
            {
                let expected = ev.checked_etag().and_then(ETag::version);
                db.update(id, expected, body).await?;
                Ok("stored".into_response())
            }
        "#,
        utoipa: false,
    },
    Case {
        name: "instrument",
        // After `#[conditional]`: it wraps the rewritten handler, whose `skip` loses the last
        // argument and whose output is split into a `Result` for `err`.
        args: "etag = ETag::from_version(store.version(id).await?), expose_validators = false",
        item: r#"
            #[tracing::instrument(skip(store, doc), err)]
            async fn put_doc(
                State(store): State<Store>,
                Path(id): Path<u64>,
                Json(doc): Json<Doc>,
            ) -> Result<Json<Doc>, ApiError> {
                Ok(Json(store.save(id, doc).await?))
            }
        "#,
        utoipa: false,
    },
    Case {
        name: "utoipa",
        args: "etag = ETag::from_version(store.version(id).await?), \
               last_modified = store.modified(id).await?, vary = \"accept\"",
        item: r#"
            #[utoipa::path(get, path = "/docs/{id}", responses((status = 200, body = Doc)))]
            async fn get_doc(State(store): State<Store>, Path(id): Path<u64>)
                -> Result<Json<Doc>, ApiError>
            {
                Ok(Json(store.load(id).await?))
            }
        "#,
        utoipa: true,
    },
];

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand")
}

/// The case's file: the input as written, in a comment, then its expansion pretty-printed.
fn expansion(case: &Case) -> String {
    let parse = |text: &str| -> proc_macro2::TokenStream {
        text.parse()
            .unwrap_or_else(|e| panic!("{}: not valid tokens: {e}", case.name))
    };
    let output = crate::rewrite(parse(case.args), parse(case.item), case.utoipa);
    let file: syn::File = syn::parse2(output.clone())
        .unwrap_or_else(|e| panic!("{}: the expansion does not parse: {e}\n{output}", case.name));
    assert!(
        !output.to_string().contains("compile_error"),
        "{}: the case has a mistake:\n{output}",
        case.name
    );
    let mut text = String::from(
        "// Generated by macros/src/snapshots.rs (UPDATE_EXPANSIONS=1 rewrites it) from:\n//\n",
    );
    text.push_str(&format!("// #[conditional({})]\n", case.args));
    let indent = case
        .item
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    for line in case.item.trim_matches('\n').lines() {
        let line = line.get(indent..).unwrap_or(line.trim_start());
        text.push_str(format!("// {line}").trim_end());
        text.push('\n');
    }
    if case.utoipa {
        text.push_str("//\n// expanded as with the `utoipa` feature.\n");
    }
    text.push('\n');
    text.push_str(&prettyplease::unparse(&file));
    text
}

#[test]
fn each_expansion_is_its_committed_snapshot() {
    let update = std::env::var_os("UPDATE_EXPANSIONS").is_some_and(|v| !v.is_empty() && v != "0");
    let mut differ = Vec::new();
    for case in CASES {
        let path = folder().join(format!("{}.rs", case.name));
        let actual = expansion(case);
        if update {
            std::fs::create_dir_all(folder()).expect("the snapshot folder can be created");
            std::fs::write(&path, &actual).expect("the snapshot can be written");
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != actual {
            differ.push(format!(
                "{}: the expansion differs from {}{}",
                case.name,
                path.display(),
                first_difference(&expected, &actual)
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{}\n\nIf the change is meant, run `UPDATE_EXPANSIONS=1 cargo test -p \
         axum-conditional-macros snapshots` and review `git diff macros/tests/expand`.",
        differ.join("\n\n")
    );
}

/// Where two texts part, as a line of each; the whole expansion is one `UPDATE_EXPANSIONS=1`
/// and a `git diff` away.
fn first_difference(expected: &str, actual: &str) -> String {
    if expected.is_empty() {
        return " (missing or empty)".to_owned();
    }
    let (mut expected_lines, mut actual_lines) = (expected.lines(), actual.lines());
    for number in 1.. {
        match (expected_lines.next(), actual_lines.next()) {
            (Some(e), Some(a)) if e == a => {}
            (None, None) => break,
            (e, a) => {
                return format!(
                    " at line {number}:\n  committed: {}\n  generated: {}",
                    e.unwrap_or("(end of file)"),
                    a.unwrap_or("(end of file)")
                );
            }
        }
    }
    " (in line endings)".to_owned()
}

#[test]
fn every_snapshot_file_has_its_case() {
    let entries = std::fs::read_dir(folder()).expect("the snapshot folder exists");
    for entry in entries {
        let name = entry.expect("a directory entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            CASES.iter().any(|case| format!("{}.rs", case.name) == name),
            "macros/tests/expand/{name} is no case's snapshot: delete it"
        );
    }
}

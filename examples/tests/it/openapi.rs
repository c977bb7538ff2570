//! The documents API's OpenAPI document: served at `GET /openapi.json`, valid by a real
//! validator, and equal to the snapshot reviewed by hand (`tests/snapshots/openapi.json`).
//!
//! The validator is `openapi-spec-validator` (PyPI), installed by `scripts/test.sh` into a virtual
//! environment; the test finds it through `OPENAPI_SPEC_VALIDATOR` (the program's path) or at
//! `target/openapi-validator/bin/openapi-spec-validator`. Regenerate the snapshot with
//! `OPENAPI_SNAPSHOT=overwrite cargo test -p axum-conditional-examples --test it openapi::`, and
//! review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

use axum_conditional_examples::documents::{app, openapi, store::Store};
use serde_json::Value;

use crate::support;

use crate::support::server::serve;

fn document() -> Value {
    serde_json::to_value(openapi::document()).expect("the document serializes")
}

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the examples crate is in the workspace")
}

fn snapshot_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

#[tokio::test]
async fn the_document_is_served_at_openapi_json() {
    let (addr, _) = serve(app(Store::in_memory().unwrap())).await;
    let response = reqwest::get(format!("http://{addr}/openapi.json"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.unwrap();
    assert_eq!(served, document());
}

#[test]
fn the_document_matches_the_reviewed_snapshot() {
    let text = serde_json::to_string_pretty(&document()).unwrap() + "\n";
    let path = snapshot_path();
    if std::env::var_os("OPENAPI_SNAPSHOT").is_some_and(|v| v == "overwrite") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let reviewed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        reviewed == text,
        "the document differs from {}: regenerate it with OPENAPI_SNAPSHOT=overwrite and review \
         the diff",
        path.display()
    );
}

#[test]
fn the_document_passes_openapi_spec_validator() {
    let configured = std::env::var_os("OPENAPI_SPEC_VALIDATOR").map(PathBuf::from);
    if let Some(validator) = &configured {
        // `scripts/test.sh` sets it after installing the validator: then a missing one fails.
        assert!(
            validator.exists(),
            "OPENAPI_SPEC_VALIDATOR: no {}",
            validator.display()
        );
    }
    let validator = configured
        .unwrap_or_else(|| workspace().join("target/openapi-validator/bin/openapi-spec-validator"));
    if !validator.exists() {
        support::e2e::missing(&format!(
            "no validator at {} (scripts/test.sh installs it; or set OPENAPI_SPEC_VALIDATOR)",
            validator.display()
        ));
        return;
    }
    let file = std::env::temp_dir().join(format!("documents-openapi-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(&document()).unwrap()).unwrap();
    let output = Command::new(&validator).arg(&file).output().unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "openapi-spec-validator refused the document:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The conditional parts the routes get without writing them: spot checks of the snapshot's
/// meaning, so that a reviewed snapshot that lost them fails here too.
#[test]
fn every_route_has_its_conditional_parts() {
    let document = document();
    let operation = |path: &str, method: &str| document["paths"][path][method].clone();
    let headers = |op: &Value| -> Vec<String> {
        op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "header")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let read = operation("/documents/{id}", "get");
    assert_eq!(headers(&read), ["If-None-Match", "If-Modified-Since"]);
    assert!(read["responses"]["304"]["headers"]["ETag"].is_object());
    assert!(read["responses"]["200"]["headers"]["ETag"].is_object());
    let put = operation("/documents/{id}", "put");
    assert_eq!(
        headers(&put),
        ["If-Match", "If-Unmodified-Since", "If-None-Match"]
    );
    // A merge patch never creates, so it is offered no create-only `If-None-Match: *`.
    let patch = operation("/documents/{id}", "patch");
    assert_eq!(headers(&patch), ["If-Match", "If-Unmodified-Since"]);
    for (path, method) in [
        ("/documents/{id}", "put"),
        ("/documents/{id}", "patch"),
        ("/documents/{id}", "delete"),
    ] {
        let op = operation(path, method);
        for status in ["412", "428"] {
            assert!(
                op["responses"][status].is_object(),
                "{method} {path} {status}"
            );
        }
    }
    // POST has no `require`: a 412, no 428.
    let post = operation("/documents", "post");
    assert!(post["responses"]["412"].is_object());
    assert!(post["responses"]["428"].is_null());
    let schemas = &document["components"]["schemas"];
    assert!(schemas["axum_conditional.PreconditionFailed"].is_object());
    assert!(schemas["axum_conditional.PreconditionRequired"].is_object());
}

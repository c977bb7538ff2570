//! `#[conditional]` with utoipa: a route documented before the attribute is added changes only
//! by what the attribute adds, whether the document is derived (`#[derive(OpenApi)]`) or
//! collected by utoipa-axum's `routes!` as it builds the router.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum_conditional::{ETag, conditional};
use serde_json::Value;
use tower::ServiceExt as _;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[utoipa::path(
    put,
    path = "/docs/{id}",
    operation_id = "put_doc",
    params(("id" = u64, Path, description = "The id."), ("X-Tenant" = String, Header)),
    request_body = String,
    responses(
        (status = 200, description = "Stored", body = String,
         headers(("X-Request-Id" = String, description = "Ours."))),
        (status = 404, description = "No such document"),
    ),
    tag = "docs",
)]
#[allow(dead_code)]
async fn plain() -> &'static str {
    "stored"
}

#[conditional(etag = ETag::from_version(1), last_modified = std::time::UNIX_EPOCH, require = true)]
#[utoipa::path(
    put,
    path = "/docs/{id}",
    operation_id = "put_doc",
    params(("id" = u64, Path, description = "The id."), ("X-Tenant" = String, Header)),
    request_body = String,
    responses(
        (status = 200, description = "Stored", body = String,
         headers(("X-Request-Id" = String, description = "Ours."))),
        (status = 404, description = "No such document"),
    ),
    tag = "docs",
)]
#[allow(dead_code)]
async fn conditional() -> &'static str {
    "stored"
}

/// A read, whose 2xx also gains response headers.
#[utoipa::path(
    get,
    path = "/docs/{id}",
    operation_id = "get_doc",
    responses((status = 200, description = "The doc", body = String,
               headers(("X-Request-Id" = String))))
)]
#[allow(dead_code)]
async fn plain_read() -> &'static str {
    "doc"
}

/// A read, whose 2xx also gains response headers.
#[conditional(etag = ETag::from_version(1), cache_control = "no-cache")]
#[utoipa::path(
    get,
    path = "/docs/{id}",
    operation_id = "get_doc",
    responses((status = 200, description = "The doc", body = String,
               headers(("X-Request-Id" = String))))
)]
#[allow(dead_code)]
async fn conditional_read() -> &'static str {
    "doc"
}

#[derive(OpenApi)]
#[openapi(paths(plain, plain_read))]
struct Before;

#[derive(OpenApi)]
#[openapi(paths(conditional, conditional_read))]
struct After;

fn operation<A: OpenApi>(method: &str) -> Value {
    let document = serde_json::to_value(A::openapi()).expect("serializes");
    document["paths"]["/docs/{id}"][method].clone()
}

/// Checks that `after` is `before` plus only what the attribute adds: header parameters
/// appended, the given statuses added, and response headers (the validators) added to the
/// responses `before` has.
fn only_additions(before: &Value, after: &Value, added_statuses: &[&str]) {
    let (Value::Object(before), Value::Object(after)) = (before, after) else {
        panic!("operations are objects");
    };
    // An operation without parameters gains the list.
    let mut before = before.clone();
    before
        .entry("parameters")
        .or_insert_with(|| Value::Array(Vec::new()));
    let keys = |map: &serde_json::Map<String, Value>| map.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&before), keys(after));
    for (key, value) in &before {
        match key.as_str() {
            "parameters" => {
                let (before, after) = (value.as_array().unwrap(), after[key].as_array().unwrap());
                assert_eq!(
                    before[..],
                    after[..before.len()],
                    "the written parameters first"
                );
                for added in &after[before.len()..] {
                    assert_eq!(added["in"], "header");
                    let name = added["name"].as_str().unwrap();
                    assert!(name.starts_with("If-"), "{name} is not a condition");
                }
                assert!(after.len() > before.len(), "the conditions are added");
            }
            "responses" => {
                let (before, after) = (value.as_object().unwrap(), after[key].as_object().unwrap());
                for (status, response) in before {
                    let mut kept = after[status].clone();
                    let added_headers = ["ETag", "Last-Modified"];
                    if let Some(headers) = kept.get_mut("headers").and_then(Value::as_object_mut) {
                        headers.retain(|name, _| !added_headers.contains(&name.as_str()));
                    }
                    assert_eq!(*response, kept, "response {status}");
                }
                let mut added: Vec<&str> = after
                    .keys()
                    .filter(|status| !before.contains_key(*status))
                    .map(String::as_str)
                    .collect();
                added.sort_unstable();
                assert_eq!(added, added_statuses);
            }
            _ => assert_eq!(*value, after[key], "{key}"),
        }
    }
}

#[test]
fn a_documented_write_changes_only_by_the_additions() {
    let (before, after) = (operation::<Before>("put"), operation::<After>("put"));
    only_additions(&before, &after, &["412", "428"]);
    let names: Vec<&str> = after["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "id",
            "X-Tenant",
            "If-Match",
            "If-Unmodified-Since",
            "If-None-Match"
        ]
    );
}

#[test]
fn a_documented_read_changes_only_by_the_additions() {
    let (before, after) = (operation::<Before>("get"), operation::<After>("get"));
    only_additions(&before, &after, &["304"]);
    let headers = after["responses"]["200"]["headers"].as_object().unwrap();
    let names: Vec<&str> = headers.keys().map(String::as_str).collect();
    assert!(
        names.contains(&"ETag") && names.contains(&"X-Request-Id"),
        "{names:?}"
    );
    let not_modified = after["responses"]["304"]["headers"].as_object().unwrap();
    assert!(not_modified.contains_key("ETag") && not_modified.contains_key("Cache-Control"));
}

#[test]
fn the_problem_schemas_are_collected_without_being_named() {
    let document = serde_json::to_value(After::openapi()).expect("serializes");
    let schemas = document["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("axum_conditional.PreconditionFailed"));
    assert!(schemas.contains_key("axum_conditional.PreconditionRequired"));
    let reference = &document["paths"]["/docs/{id}"]["put"]["responses"]["412"]["content"]["application/problem+json"]
        ["schema"]["$ref"];
    assert_eq!(
        reference,
        "#/components/schemas/axum_conditional.PreconditionFailed"
    );
}

/// utoipa-axum's `routes!` reads the same extended `#[utoipa::path]` as `#[derive(OpenApi)]`:
/// the document it collects while it builds the router has every conditional part, the problem
/// schemas included, and the router it builds runs the conditional handlers.
#[tokio::test]
async fn utoipa_axum_routes_collects_the_conditional_parts() {
    let (router, document) = OpenApiRouter::new()
        .routes(routes!(conditional, conditional_read))
        .split_for_parts();
    let collected = serde_json::to_value(document).expect("serializes");
    let derived = serde_json::to_value(After::openapi()).expect("serializes");
    for method in ["put", "get"] {
        let operation = |document: &Value| {
            let mut operation = document["paths"]["/docs/{id}"][method].clone();
            // `#[derive(OpenApi)]` tags an untagged path itself; `routes!` does not.
            operation
                .as_object_mut()
                .expect("an operation")
                .remove("tags");
            operation
        };
        assert_eq!(operation(&collected), operation(&derived), "{method}");
    }
    let put = &collected["paths"]["/docs/{id}"]["put"];
    for status in ["412", "428"] {
        assert!(put["responses"][status].is_object(), "{status}");
    }
    let get = &collected["paths"]["/docs/{id}"]["get"];
    assert!(get["responses"]["304"]["headers"]["ETag"].is_object());
    assert_eq!(collected["components"], derived["components"]);
    let schemas = collected["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("axum_conditional.PreconditionFailed"));
    assert!(schemas.contains_key("axum_conditional.PreconditionRequired"));

    let send = |method: &str, condition: Option<(header::HeaderName, &str)>| {
        let mut request = Request::builder().method(method).uri("/docs/7");
        if let Some((name, value)) = condition {
            request = request.header(name, value);
        }
        router
            .clone()
            .oneshot(request.body(Body::empty()).expect("a request"))
    };
    let unconditional = send("PUT", None).await.expect("infallible");
    assert_eq!(unconditional.status(), StatusCode::PRECONDITION_REQUIRED);
    let revalidated = send("GET", Some((header::IF_NONE_MATCH, "\"1\"")))
        .await
        .expect("infallible");
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
}

//! `exists = …`: a resource that exists without any validator. Without it, "no validator" reads
//! as "no resource", and a create-only `PUT` (`If-None-Match: *`) would overwrite it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::routing::{patch, put};
use axum_conditional::conditional;
use tower::ServiceExt;

/// Names that exist, with no version of any kind.
#[derive(Clone, Default)]
struct Names(Arc<Mutex<HashSet<u64>>>);

impl Names {
    fn contains(&self, id: u64) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&id)
    }

    fn insert(&self, id: u64) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id)
    }
}

#[conditional(exists = names.contains(id), require = true)]
async fn claim(State(names): State<Names>, Path(id): Path<u64>, _body: String) -> StatusCode {
    if names.insert(id) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

async fn send(names: &Names, headers: &[(&str, &str)]) -> StatusCode {
    let mut request = Request::builder().method("PUT").uri("/names/7");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Body::from("x"))
        .unwrap_or_else(|e| panic!("{e}"));
    Router::new()
        .route("/names/{id}", put(claim))
        .with_state(names.clone())
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {})
        .status()
}

#[tokio::test]
async fn a_resource_that_exists_without_a_validator_is_never_overwritten_by_a_create() {
    let names = Names::default();
    // Missing: `If-Match: *` fails, a create-only PUT creates.
    assert_eq!(
        send(&names, &[("if-match", "*")]).await,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        send(&names, &[("if-none-match", "*")]).await,
        StatusCode::CREATED
    );
    // Now it exists, with no validator: a second create is refused, `If-Match: *` passes.
    assert_eq!(
        send(&names, &[("if-none-match", "*")]).await,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(send(&names, &[("if-match", "*")]).await, StatusCode::OK);
    assert_eq!(send(&names, &[]).await, StatusCode::PRECONDITION_REQUIRED);
}

/// A `PATCH` that changes a name that exists, and never creates one: `creates` is unwritten.
#[conditional(exists = names.contains(id), require = true)]
async fn rename(State(names): State<Names>, Path(id): Path<u64>, _body: String) -> StatusCode {
    if names.contains(id) {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

/// A `PATCH` that creates the name when it is missing: `creates = true`.
#[conditional(exists = names.contains(id), require = true, creates = true)]
async fn upsert(State(names): State<Names>, Path(id): Path<u64>, _body: String) -> StatusCode {
    if names.insert(id) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

async fn send_patch(path: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
    let mut request = Request::builder().method("PATCH").uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Body::from("x"))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = Router::new()
        .route("/rename/{id}", patch(rename))
        .route("/upsert/{id}", patch(upsert))
        .with_state(Names::default())
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn a_patch_is_offered_if_none_match_star_only_where_it_creates() {
    // Unwritten, a `PATCH` does not create: the 428 does not offer a create-only request, and
    // `If-None-Match: *` alone does not get past it.
    let (status, body) = send_patch("/rename/7", &[]).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert!(!body.contains("If-None-Match"), "{body}");
    let (status, _) = send_patch("/rename/7", &[("if-none-match", "*")]).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    // `creates = true`: offered first on a missing resource, and it creates.
    let (status, body) = send_patch("/upsert/7", &[]).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert!(
        body.contains(r#""accepted":["If-None-Match","If-Match"]"#),
        "{body}"
    );
    let (status, _) = send_patch("/upsert/7", &[("if-none-match", "*")]).await;
    assert_eq!(status, StatusCode::CREATED);
}

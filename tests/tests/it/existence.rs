//! `exists = …`: a resource that exists without any validator. Without it, "no validator" reads
//! as "no resource", and a create-only `PUT` (`If-None-Match: *`) would overwrite it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::routing::put;
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

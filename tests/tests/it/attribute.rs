//! Behaviour of `#[conditional]` handlers, through `tower::ServiceExt::oneshot` on a real
//! `Router`: the order of the steps, the statuses, and the headers of the responses.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use axum_conditional::problem::PreconditionFailed;
use axum_conditional::{ETag, Failure, LastModified, RangeDecision, Resource, conditional};
use serde::{Deserialize, Serialize};

use crate::support;
use crate::support::http::{Reply, call};

// ---------------------------------------------------------------------------------------------
// The application under test: documents with a version, in memory.

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Doc {
    title: String,
}

#[derive(Clone, Default)]
struct Store {
    docs: Arc<Mutex<HashMap<u64, (u64, Doc)>>>,
    /// How many times a validator read the store.
    validator_reads: Arc<AtomicUsize>,
    /// How many times a handler body ran.
    bodies: Arc<AtomicUsize>,
    /// Simulates another client writing between the precondition check and the write.
    race: Arc<AtomicBool>,
}

/// An error of the store; not a response by itself.
#[derive(Debug)]
struct StoreError;

/// The handlers' error type; `StoreError` converts into it.
#[derive(Debug)]
enum ApiError {
    NotFound,
    Unavailable,
}

impl From<StoreError> for ApiError {
    fn from(_: StoreError) -> Self {
        ApiError::Unavailable
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::NotFound => (StatusCode::NOT_FOUND, "no such document").into_response(),
            ApiError::Unavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "the store is unavailable").into_response()
            }
        }
    }
}

/// The id whose validator fails.
const BROKEN: u64 = 666;

impl Store {
    fn with(docs: &[(u64, u64, &str)]) -> Self {
        let store = Store::default();
        for &(id, version, title) in docs {
            store.lock().insert(
                id,
                (
                    version,
                    Doc {
                        title: title.into(),
                    },
                ),
            );
        }
        store
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (u64, Doc)>> {
        self.docs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn version(&self, id: u64) -> Result<Option<u64>, StoreError> {
        self.validator_reads.fetch_add(1, Ordering::SeqCst);
        if id == BROKEN {
            return Err(StoreError);
        }
        Ok(self.lock().get(&id).map(|(version, _)| *version))
    }

    async fn modified(&self, id: u64) -> Result<Option<SystemTime>, StoreError> {
        Ok(self
            .version(id)
            .await?
            .map(|version| UNIX_EPOCH + Duration::from_secs(1_000_000 * version)))
    }

    async fn load(&self, id: u64) -> Option<Doc> {
        self.bodies.fetch_add(1, Ordering::SeqCst);
        self.lock().get(&id).map(|(_, doc)| doc.clone())
    }

    /// `UPDATE docs SET … , version = version + 1 WHERE id = ? AND version = ?`, or, when
    /// `expected` is `None`, an insert that fails if the row exists. The new version, or `None`
    /// when no row changed: a compare-and-swap for every expectation, never an overwrite.
    async fn write(&self, id: u64, expected: Option<u64>, doc: Doc) -> Option<u64> {
        self.bodies.fetch_add(1, Ordering::SeqCst);
        let mut docs = self.lock();
        if self.race.load(Ordering::SeqCst)
            && let Some((version, _)) = docs.get_mut(&id)
        {
            *version += 1;
        }
        match (docs.get_mut(&id), expected) {
            (Some((version, stored)), Some(expected)) if *version == expected => {
                *version += 1;
                *stored = doc;
                Some(*version)
            }
            (None, None) => {
                docs.insert(id, (1, doc));
                Some(1)
            }
            (Some(_), _) | (None, Some(_)) => None,
        }
    }
}

/// Rejects requests without `Authorization` with 401, before anything else runs.
struct User;

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        match parts.headers.get(header::AUTHORIZATION) {
            Some(_) => Ok(User),
            None => Err(StatusCode::UNAUTHORIZED),
        }
    }
}

#[conditional(
    etag = store.version(id).await?.map(ETag::from_version),
    last_modified = store.modified(id).await?,
    cache_control = "private, max-age=0, must-revalidate",
    vary = "accept",
    bind = ev,
)]
async fn get_doc(
    State(store): State<Store>,
    Path(id): Path<u64>,
) -> Result<(HeaderMap, Json<Doc>), ApiError> {
    let doc = store.load(id).await.ok_or(ApiError::NotFound)?;
    let mut headers = HeaderMap::new();
    if ev.range() == RangeDecision::Honour {
        headers.insert(
            "x-range",
            "honoured".parse().unwrap_or_else(|_| unreachable!()),
        );
    }
    Ok((headers, Json(doc)))
}

#[conditional(etag = store.version(id).await?.map(ETag::from_version), require = true, bind = ev)]
async fn put_doc(
    _user: User,
    State(store): State<Store>,
    Path(id): Path<u64>,
    Json(doc): Json<Doc>,
) -> Result<Response, ApiError> {
    let expected = ev.checked_etag().and_then(ETag::version);
    let created = !ev.resource().exists();
    match store.write(id, expected, doc.clone()).await {
        Some(version) => {
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, ETag::from_version(version), Json(doc)).into_response())
        }
        None => {
            let now = Resource::existing(store.version(id).await?.map(ETag::from_version), None);
            Ok(PreconditionFailed::new(Failure::changed_during_request())
                .with_current(&now)
                .into_response())
        }
    }
}

/// A handler that does not return a `Result`: its validator handles the error itself.
#[conditional(etag = store.version(id).await.ok().flatten().map(ETag::from_version))]
async fn delete_doc(State(store): State<Store>, Path(id): Path<u64>) -> StatusCode {
    store.bodies.fetch_add(1, Ordering::SeqCst);
    match store.lock().remove(&id) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

fn app(store: Store) -> Router {
    Router::new()
        .route("/docs/{id}", get(get_doc).put(put_doc).delete(delete_doc))
        .route("/weak/{id}", axum::routing::put(put_weak))
        .route("/own/{id}", get(own_validators))
        .route("/opaque/{id}", get(opaque))
        .route("/early/{id}", get(early_return))
        .route("/uses-last/{id}", get(uses_last_argument))
        .route("/query", get(by_query))
        .route("/audited/{id}", axum::routing::put(put_audited))
        .route("/found-after-all", get(found_after_all))
        .route("/dates", get(dates))
        .route("/private/{id}", axum::routing::put(put_private))
        .with_state(store)
}

/// A resource whose version is nobody's business: its 412s show no validators.
#[conditional(
    etag = store.version(id).await?.map(ETag::from_version),
    last_modified = LastModified::from_unix_seconds(784_111_777),
    expose_validators = false
)]
async fn put_private(
    State(store): State<Store>,
    Path(id): Path<u64>,
    body: String,
) -> Result<String, ApiError> {
    let _ = store;
    Ok(body)
}

#[conditional(etag = store.version(id).await?.map(ETag::from_version), weak_if_match = true)]
async fn put_weak(
    State(store): State<Store>,
    Path(id): Path<u64>,
    body: String,
) -> Result<String, ApiError> {
    let _ = store;
    Ok(body)
}

/// Sets its own `ETag` and `Cache-Control`, which the macro must leave alone.
#[conditional(etag = store.version(id).await?.map(ETag::from_version), cache_control = "max-age=60")]
async fn own_validators(
    State(store): State<Store>,
    Path(id): Path<u64>,
) -> Result<impl IntoResponse, ApiError> {
    let _ = store;
    Ok((
        ETag::strong(format!("own-{id}")).map_err(|_| ApiError::NotFound)?,
        [(header::CACHE_CONTROL, "no-cache")],
        "own",
    ))
}

#[conditional(etag = ETag::from_version(id))]
async fn opaque(Path(id): Path<u64>) -> impl IntoResponse {
    format!("opaque {id}")
}

#[conditional(etag = store.version(id).await?.map(ETag::from_version))]
async fn early_return(State(store): State<Store>, Path(id): Path<u64>) -> Result<String, ApiError> {
    if id == 2 {
        return Ok("early".into());
    }
    let doc = store.load(id).await.ok_or(ApiError::NotFound)?;
    Ok(doc.title)
}

/// The validator uses the last argument (through an inline format argument), so it is
/// extracted before the validators instead of being deferred.
#[conditional(etag = ETag::strong(format!("v{id}")).map_err(|_| ApiError::NotFound)?)]
async fn uses_last_argument(Path(id): Path<u64>) -> Result<String, ApiError> {
    Ok(format!("doc {id}"))
}

#[derive(Deserialize)]
struct ById {
    id: u64,
}

#[conditional(etag = store.version(query.id).await?.map(ETag::from_version))]
async fn by_query(
    State(store): State<Store>,
    Query(query): Query<ById>,
) -> Result<String, ApiError> {
    let _ = store;
    Ok(format!("query {}", query.id))
}

/// A body extractor that needs the application state: it counts its runs in the store.
struct Audited(String);

impl FromRequest<Store> for Audited {
    type Rejection = Response;

    async fn from_request(req: Request, store: &Store) -> Result<Self, Response> {
        store.bodies.fetch_add(1, Ordering::SeqCst);
        let body = String::from_request(req, store)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Audited(body))
    }
}

#[conditional(etag = store.version(id).await?.map(ETag::from_version), state = Store)]
async fn put_audited(
    State(store): State<Store>,
    Path(id): Path<u64>,
    Audited(body): Audited,
) -> Result<String, ApiError> {
    let _ = store;
    Ok(body)
}

/// A `GET` of a resource the validators call missing, whose handler answers 2xx anyway.
#[conditional(etag = None::<ETag>)]
async fn found_after_all() -> &'static str {
    "found"
}

#[conditional(last_modified = LastModified::from_unix_seconds(784_111_777))]
async fn dates() -> &'static str {
    "dated"
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// The answer of [`app`] on `store` to one request; a body is sent as JSON.
async fn send(
    store: &Store,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let json = [("content-type", "application/json")];
    let fields: Vec<_> = headers
        .iter()
        .chain(if body.is_empty() { &[][..] } else { &json[..] })
        .copied()
        .collect();
    let request = support::http::request(method, uri, &fields, body.to_owned());
    call(app(store.clone()), request).await
}

const AUTH: (&str, &str) = ("authorization", "Bearer t");

fn store() -> Store {
    Store::with(&[(1, 7, "seven")])
}

// ---------------------------------------------------------------------------------------------
// GET and HEAD.

#[tokio::test]
async fn get_2xx_carries_etag_last_modified_and_declared_cache_headers() {
    let reply = send(&store(), "GET", "/docs/1", &[], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("etag"), Some(r#""7""#));
    assert_eq!(
        reply.header("last-modified"),
        Some("Mon, 23 Mar 1970 00:26:40 GMT")
    );
    assert_eq!(
        reply.header("cache-control"),
        Some("private, max-age=0, must-revalidate")
    );
    assert_eq!(reply.header("vary"), Some("accept"));
    assert_eq!(reply.text(), r#"{"title":"seven"}"#);
}

#[tokio::test]
async fn get_if_none_match_current_answers_304_before_the_body_with_cache_headers() {
    let store = store();
    let reply = send(
        &store,
        "GET",
        "/docs/1",
        &[("if-none-match", r#"W/"7""#)],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    assert_eq!(reply.header("etag"), Some(r#""7""#));
    assert_eq!(
        reply.header("cache-control"),
        Some("private, max-age=0, must-revalidate")
    );
    assert_eq!(reply.header("vary"), Some("accept"));
    assert_eq!(reply.text(), "");
    assert_eq!(
        store.bodies.load(Ordering::SeqCst),
        0,
        "the body must not run"
    );
}

#[tokio::test]
async fn get_if_none_match_stale_runs_the_handler() {
    let reply = send(
        &store(),
        "GET",
        "/docs/1",
        &[("if-none-match", r#""6""#)],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("etag"), Some(r#""7""#));
}

#[tokio::test]
async fn get_if_modified_since_not_modified_answers_304() {
    let since = ("if-modified-since", "Mon, 23 Mar 1970 00:26:41 GMT");
    let reply = send(&store(), "GET", "/docs/1", &[since], "").await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    // The second of the last modification itself: the route does not declare its date strong,
    // so it may stand for a version written earlier in that second (RFC 9110 §8.8.2.2).
    let same = ("if-modified-since", "Mon, 23 Mar 1970 00:26:40 GMT");
    let reply = send(&store(), "GET", "/docs/1", &[same], "").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn head_is_get_for_304_and_for_validators() {
    let reply = send(
        &store(),
        "HEAD",
        "/docs/1",
        &[("if-none-match", r#""7""#)],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    let reply = send(&store(), "HEAD", "/docs/1", &[], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("etag"), Some(r#""7""#));
    assert_eq!(
        reply.header("cache-control"),
        Some("private, max-age=0, must-revalidate")
    );
    assert_eq!(reply.text(), "");
}

#[tokio::test]
async fn get_if_match_stale_on_existing_resource_answers_412_with_current_etag() {
    let reply = send(&store(), "GET", "/docs/1", &[("if-match", r#""6""#)], "").await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(reply.header("etag"), Some(r#""7""#));
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn get_missing_resource_with_failed_if_match_keeps_the_handlers_404() {
    let store = store();
    let reply = send(&store, "GET", "/docs/2", &[("if-match", r#""7""#)], "").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.text(), "no such document");
    assert_eq!(
        store.bodies.load(Ordering::SeqCst),
        1,
        "the handler decides"
    );
}

#[tokio::test]
async fn get_missing_resource_with_failed_if_match_replaces_a_2xx_with_412() {
    let reply = send(
        &store(),
        "GET",
        "/found-after-all",
        &[("if-match", "*")],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    let reply = send(&store(), "GET", "/found-after-all", &[], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("etag"), None);
}

#[tokio::test]
async fn non_2xx_get_carries_no_validators_nor_cache_headers() {
    let reply = send(&store(), "GET", "/docs/2", &[], "").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.header("etag"), None);
    assert_eq!(reply.header("cache-control"), None);
}

#[tokio::test]
async fn handler_set_etag_and_cache_control_are_kept() {
    let reply = send(&store(), "GET", "/own/1", &[], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("etag"), Some(r#""own-1""#));
    assert_eq!(reply.header("cache-control"), Some("no-cache"));
}

#[tokio::test]
async fn last_modified_only_route_answers_304_and_sets_the_header() {
    let reply = send(&store(), "GET", "/dates", &[], "").await;
    assert_eq!(
        reply.header("last-modified"),
        Some("Sun, 06 Nov 1994 08:49:37 GMT")
    );
    // A second later: the date itself is weak (RFC 9110 §8.8.2.2) and would get the 200.
    let since = ("if-modified-since", "Sun, 06 Nov 1994 08:49:38 GMT");
    let reply = send(&store(), "GET", "/dates", &[since], "").await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    assert_eq!(
        reply.header("last-modified"),
        Some("Sun, 06 Nov 1994 08:49:37 GMT")
    );
}

#[tokio::test]
async fn bound_evaluation_reports_the_range_decision() {
    let range = ("range", "bytes=0-1");
    let reply = send(
        &store(),
        "GET",
        "/docs/1",
        &[range, ("if-range", r#""7""#)],
        "",
    )
    .await;
    assert_eq!(reply.header("x-range"), Some("honoured"));
    let reply = send(
        &store(),
        "GET",
        "/docs/1",
        &[range, ("if-range", r#""6""#)],
        "",
    )
    .await;
    assert_eq!(reply.header("x-range"), None);
}

// ---------------------------------------------------------------------------------------------
// Order of the steps.

#[tokio::test]
async fn path_rejection_answers_before_the_preconditions() {
    let reply = send(&store(), "GET", "/docs/abc", &[("if-none-match", "*")], "").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn authentication_rejection_answers_before_the_validators_run() {
    let store = store();
    let reply = send(&store, "PUT", "/docs/1", &[("if-match", r#""6""#)], "{}").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(store.validator_reads.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn stale_if_match_gets_412_without_the_body_being_read() {
    let store = store();
    let headers = [AUTH, ("if-match", r#""6""#)];
    let reply = send(&store, "PUT", "/docs/1", &headers, "this is not JSON").await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(reply.header("etag"), Some(r#""7""#));
    assert!(
        reply.text().contains(r#""reason":"mismatch""#),
        "{}",
        reply.text()
    );
    assert_eq!(store.bodies.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn matching_if_match_then_reads_the_body_and_rejects_bad_json() {
    let headers = [AUTH, ("if-match", r#""7""#)];
    let reply = send(&store(), "PUT", "/docs/1", &headers, "this is not JSON").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deferred_extractor_with_state_runs_only_after_the_preconditions() {
    let store = store();
    let stale = send(&store, "PUT", "/audited/1", &[("if-match", r#""6""#)], "x").await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(store.bodies.load(Ordering::SeqCst), 0);
    let fresh = send(&store, "PUT", "/audited/1", &[("if-match", r#""7""#)], "x").await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(fresh.text(), "x");
    assert_eq!(store.bodies.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn validator_using_the_last_argument_extracts_it_first() {
    let reply = send(
        &store(),
        "GET",
        "/uses-last/3",
        &[("if-none-match", r#""v3""#)],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    let reply = send(&store(), "GET", "/uses-last/3", &[], "").await;
    assert_eq!(reply.header("etag"), Some(r#""v3""#));
    assert_eq!(reply.text(), "doc 3");
}

#[tokio::test]
async fn query_extractor_bindings_are_usable_in_validators() {
    let reply = send(
        &store(),
        "GET",
        "/query?id=1",
        &[("if-none-match", r#""7""#)],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    let reply = send(
        &store(),
        "GET",
        "/query?id=x",
        &[("if-none-match", r#""7""#)],
        "",
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

// ---------------------------------------------------------------------------------------------
// `?` in validators, return types.

#[tokio::test]
async fn validator_error_is_answered_through_the_handlers_error_type() {
    let store = store();
    let reply = send(&store, "GET", &format!("/docs/{BROKEN}"), &[], "").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.text(), "the store is unavailable");
    assert_eq!(reply.header("etag"), None);
    assert_eq!(store.bodies.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn impl_into_response_and_early_return_keep_working() {
    let reply = send(&store(), "GET", "/opaque/4", &[], "").await;
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (StatusCode::OK, "opaque 4")
    );
    assert_eq!(reply.header("etag"), Some(r#""4""#));
    let reply = send(&Store::with(&[(2, 1, "x")]), "GET", "/early/2", &[], "").await;
    assert_eq!(reply.text(), "early");
    let reply = send(&store(), "GET", "/early/1", &[], "").await;
    assert_eq!(reply.text(), "seven");
}

// ---------------------------------------------------------------------------------------------
// Unsafe methods.

#[tokio::test]
async fn require_answers_428_to_an_unconditional_put() {
    let store = store();
    let reply = send(&store, "PUT", "/docs/1", &[AUTH], "not JSON").await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(store.bodies.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn require_does_not_apply_to_get() {
    let reply = send(&store(), "GET", "/docs/1", &[], "").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn put_response_carries_the_new_etag_not_the_stale_one() {
    let store = store();
    let headers = [AUTH, ("if-match", r#""7""#)];
    let reply = send(&store, "PUT", "/docs/1", &headers, r#"{"title":"eight"}"#).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("etag"), Some(r#""8""#));
    assert_eq!(reply.headers.get_all("etag").iter().count(), 1);
    assert_eq!(reply.header("last-modified"), None);
    assert_eq!(reply.header("cache-control"), None);
}

#[tokio::test]
async fn concurrent_change_after_the_check_answers_412_changed_during_request() {
    let store = store();
    store.race.store(true, Ordering::SeqCst);
    let headers = [AUTH, ("if-match", r#""7""#)];
    let reply = send(&store, "PUT", "/docs/1", &headers, r#"{"title":"eight"}"#).await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(reply.header("etag"), Some(r#""8""#));
    assert!(
        reply.text().contains("changed-during-request"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn put_if_none_match_star_creates_a_missing_resource_and_refuses_an_existing_one() {
    let store = store();
    let headers = [AUTH, ("if-none-match", "*")];
    let created = send(&store, "PUT", "/docs/2", &headers, r#"{"title":"new"}"#).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.header("etag"), Some(r#""1""#));
    let again = send(&store, "PUT", "/docs/2", &headers, r#"{"title":"new"}"#).await;
    assert_eq!(again.status, StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn put_if_match_on_a_missing_resource_answers_412() {
    let store = store();
    for if_match in ["*", r#""1""#] {
        let headers = [AUTH, ("if-match", if_match)];
        let reply = send(&store, "PUT", "/docs/2", &headers, "not JSON").await;
        assert_eq!(
            reply.status,
            StatusCode::PRECONDITION_FAILED,
            "If-Match: {if_match}"
        );
        assert!(
            reply.text().contains("no-current-representation"),
            "{}",
            reply.text()
        );
    }
}

#[tokio::test]
async fn delete_of_a_missing_resource_with_a_false_if_match_never_runs_the_handler() {
    let store = store();
    let reply = send(&store, "DELETE", "/docs/2", &[("if-match", r#""1""#)], "").await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    assert!(
        reply.text().contains("no-current-representation"),
        "{}",
        reply.text()
    );
    assert_eq!(
        store.bodies.load(Ordering::SeqCst),
        0,
        "the handler body ran"
    );
    // Without a condition, the handler's own 404.
    let reply = send(&store, "DELETE", "/docs/2", &[], "").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(store.bodies.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn delete_with_stale_if_match_answers_412_and_keeps_the_resource() {
    let store = store();
    let reply = send(&store, "DELETE", "/docs/1", &[("if-match", r#""6""#)], "").await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    let reply = send(&store, "DELETE", "/docs/1", &[("if-match", r#""7""#)], "").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.header("etag"), None);
}

#[tokio::test]
async fn weak_if_match_accepts_a_weak_tag_only_when_declared() {
    let reply = send(
        &store(),
        "PUT",
        "/weak/1",
        &[("if-match", r#"W/"7""#)],
        "body",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let strong = send(
        &store(),
        "PUT",
        "/docs/1",
        &[AUTH, ("if-match", r#"W/"7""#)],
        "{}",
    )
    .await;
    assert_eq!(strong.status, StatusCode::PRECONDITION_FAILED);
}

// ---------------------------------------------------------------------------------------------
// Calling a rewritten handler directly, as a unit test would.

/// Its last argument, `State<u64>`, is extracted from the request by the rewritten handler,
/// with the state the `State<u64>` names.
#[conditional(etag = ETag::from_version(version))]
async fn versioned(State(version): State<u64>) -> impl IntoResponse {
    format!("version {version}")
}

#[tokio::test]
async fn rewritten_handler_takes_the_request_last_and_returns_conditional() {
    let request = Request::builder()
        .uri("/versioned")
        .header("if-none-match", r#""9""#)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = versioned((request, 9).into()).await.into_inner();
    let status = answer.err().map(|response| response.status());
    assert_eq!(status, Some(StatusCode::NOT_MODIFIED));

    let request = Request::builder()
        .uri("/versioned")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let output = versioned((request, 9).into()).await;
    assert_eq!(output.into_response().status(), StatusCode::OK);
}

#[tokio::test]
async fn expose_validators_false_keeps_the_current_validators_out_of_a_412() {
    let reply = send(
        &store(),
        "PUT",
        "/private/1",
        &[("if-match", r#""6""#)],
        "x",
    )
    .await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(reply.header("etag"), None);
    assert_eq!(reply.header("last-modified"), None);
    let problem: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(problem["condition"], "If-Match");
    assert!(
        problem.get("etag").is_none() && problem.get("last_modified").is_none(),
        "{problem}"
    );
    // The same request on a route that exposes them shows both.
    let reply = send(&store(), "PUT", "/weak/1", &[("if-match", r#""6""#)], "x").await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(reply.header("etag"), Some(r#""7""#));
}

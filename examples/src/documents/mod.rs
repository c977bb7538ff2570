//! A JSON document API on SQLite: conditional reads, and writes that cannot lose an update.
//!
//! Routes: `GET`/`HEAD`/`PUT`/`PATCH`/`DELETE /documents/{id}`, `GET`/`HEAD`/`POST /documents`,
//! and `GET /metrics`, the outcome counters of the conditional routes.
//!
//! # Compression and strong entity-tags
//!
//! A strong `ETag` vouches for the exact bytes of a representation, and a gzip-encoded
//! response has other bytes than the identity one (RFC 9110 §8.8.3). Compressing a response
//! that carries a strong tag would make `If-Match` and `If-Range` vouch for bytes that were
//! never sent. So this service compresses only the collection listing, whose tag is weak, and
//! sends single documents (small, and the target of conditional writes) uncompressed with
//! strong tags, which `If-Match` compares strongly as RFC 9110 §13.1.1 asks. The collection's
//! routes share the compression layer with the `POST` that answers with a new document's strong
//! tag, so the layer's predicate ([`compression`]) also refuses any response with a strong tag.

pub mod config;
pub mod error;
pub mod merge_patch;
pub mod metrics;
pub mod routes;
pub mod store;

use std::time::Duration;

use axum::Router;
use axum::http::{Extensions, HeaderMap, HeaderName, Method, Request, Response, StatusCode};
use axum::http::{Version, header};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use store::Store;

/// The service: routes, and the layers a real service has (tracing, CORS, compression).
pub fn app(store: Store) -> Router {
    let prometheus = metrics::handle();
    Router::new()
        .route("/documents", get(routes::list).post(routes::create))
        .route_layer(CompressionLayer::new().compress_when(compression()))
        .route(
            "/documents/{id}",
            get(routes::read).put(routes::replace).patch(routes::patch).delete(routes::delete),
        )
        .route("/metrics", get(move || metrics::render(prometheus.clone())))
        .layer(cors())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
                })
                .on_response(|response: &Response<_>, latency: Duration, _span: &Span| {
                    let status = response.status().as_u16();
                    // 304, 412 and 428 are the answers a precondition gives.
                    let precondition = matches!(status, 304 | 412 | 428);
                    tracing::info!(status, precondition, ?latency, "response");
                }),
        )
        .with_state(store)
}

/// When the collection's responses are compressed: as tower-http does by default, but never a
/// response with a strong `ETag`, such as the document a `POST` creates (see the module's
/// documentation).
pub fn compression() -> impl Predicate {
    DefaultPredicate::new().and(without_strong_etag)
}

/// Whether no `ETag` of the response is strong: a weak tag (`W/"…"`) allows other bytes for the
/// same content, a strong one vouches for the bytes themselves (RFC 9110 §8.8.1).
fn without_strong_etag(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    headers
        .get_all(header::ETAG)
        .iter()
        .all(|tag| tag.as_bytes().starts_with(b"W/"))
}

/// How long a browser may reuse a preflight's answer. Without `Access-Control-Max-Age` it
/// caches it for 5 seconds at most (the Fetch standard's default), so nearly every `PUT`,
/// `PATCH` and `DELETE`, which always carry `If-Match`, would cost an extra `OPTIONS` round
/// trip. Ten minutes lets an editing session's writes share a preflight, and still lets a
/// CORS rule changed by a redeploy reach browsers soon (they cap the value themselves, at two
/// hours or more, so a longer one would be partly ignored).
pub const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// Browsers may send the conditional headers and read the validators, on every status.
pub fn cors() -> CorsLayer {
    const REQUEST_HEADERS: [HeaderName; 5] = [
        header::CONTENT_TYPE,
        header::IF_MATCH,
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
        header::IF_UNMODIFIED_SINCE,
    ];
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::POST,
        ])
        .allow_headers(REQUEST_HEADERS)
        .expose_headers([header::ETAG, header::LAST_MODIFIED, header::LOCATION])
        .max_age(PREFLIGHT_MAX_AGE)
}

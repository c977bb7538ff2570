//! A JSON document API on SQLite: conditional reads, and writes that cannot lose an update.
//!
//! Routes: `GET`/`HEAD`/`PUT`/`PATCH`/`DELETE /documents/{id}`, `GET`/`HEAD`/`POST /documents`.
//!
//! # Compression and strong entity-tags
//!
//! A strong `ETag` vouches for the exact bytes of a representation, and a gzip-encoded
//! response has other bytes than the identity one (RFC 9110 §8.8.3). Compressing a response
//! that carries a strong tag would make `If-Match` and `If-Range` vouch for bytes that were
//! never sent. So this service compresses only the collection listing, whose tag is weak, and
//! sends single documents (small, and the target of conditional writes) uncompressed with
//! strong tags, which `If-Match` compares strongly as RFC 9110 §13.1.1 asks.

pub mod config;
pub mod error;
pub mod merge_patch;
pub mod routes;
pub mod store;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Method, Request, Response, header};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use store::Store;

/// The service: routes, and the layers a real service has (tracing, CORS, compression).
pub fn app(store: Store) -> Router {
    Router::new()
        .route("/documents", get(routes::list).post(routes::create))
        .route_layer(CompressionLayer::new())
        .route(
            "/documents/{id}",
            get(routes::read).put(routes::replace).patch(routes::patch).delete(routes::delete),
        )
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
}

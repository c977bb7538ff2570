//! A JSON document API on SQLite: conditional reads, and writes that cannot lose an update.
//!
//! Routes: `GET`/`HEAD`/`PUT`/`PATCH`/`DELETE /documents/{id}`, `GET`/`HEAD`/`POST /documents`,
//! `GET`/`HEAD`/`PUT /documents/{id}/attachment` ([`attachments`]), the OpenAPI document at
//! `GET /openapi.json` (explorable in Swagger UI at `GET /docs`), `GET /metrics`, the outcome
//! counters of the conditional routes, and the [`editor`] at `GET /`.
//!
//! # Compression and strong entity-tags
//!
//! Every response is compressed as the client asks (documents, the collection, the `201` of
//! `POST`), by [`ConditionalCompressionLayer`] on every route but the attachments (served by
//! range, see [`attachments`]). A strong `ETag` vouches for
//! the exact bytes of a representation, and a gzip body has other bytes than the identity one
//! (RFC 9110 §8.8.3.3), so the layer gives each content-coding its own strong tag (`"7~gzip"`
//! beside the identity `"7"`), answers `If-None-Match` per coding with a 304 before any handler
//! runs, and lets `If-Match` with any coding of the current version pass. See
//! [`axum_conditional::compression`].
//!
//! Behind a proxy that compresses itself (nginx `gzip on`) a strong tag comes back weakened
//! (`W/"7"`); the write routes compare `If-Match` weakly for that reason (see
//! [`routes::replace`]), and `examples/deploy/nginx.conf` is a configuration that works.

pub mod attachments;
pub mod config;
pub mod editor;
pub mod error;
pub mod merge_patch;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod serve;
pub mod store;
pub mod target;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Method, Request, Response, header};
use axum::routing::get;
use axum_conditional::compression::ConditionalCompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use store::Store;

/// The service: routes, and the layers a real service has (tracing, CORS, compression).
pub fn app(store: Store) -> Router {
    let prometheus = metrics::handle();
    let (router, document) = router().split_for_parts();
    router
        // The document of the routes above, compressed as they are.
        .route("/openapi.json", openapi::serve(document))
        // Outside the compression layer: a scraper reads it uncompressed.
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

/// The routes of [`app`] but `/openapi.json` and `/metrics`, with the document of the
/// API's routes: each is registered with utoipa-axum's [`routes!`], which reads the path and
/// the methods off its `#[utoipa::path]` (as `#[conditional]` extended it), so the router and
/// the document cannot disagree. The handlers given to one `routes!` share one path.
pub fn router() -> OpenApiRouter<Store> {
    OpenApiRouter::with_openapi(openapi::Api::openapi())
        .routes(routes!(routes::list, routes::create))
        .routes(routes!(
            routes::read,
            routes::replace,
            routes::patch,
            routes::delete
        ))
        .merge(editor::routes().into())
        .merge(openapi::explorer().into())
        // Where tower-http's `CompressionLayer` would go, instead of it: around every route, so
        // that every response, 304 and 412 included, carries `Vary: accept-encoding`.
        .layer(ConditionalCompressionLayer::new())
        // Attachments are added after the compression layer, so it never wraps them: they are
        // served by range, and a resumed download's `If-Range` must name the identity bytes.
        .routes(attachments::routes())
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
    const REQUEST_HEADERS: [HeaderName; 7] = [
        header::CONTENT_TYPE,
        header::IF_MATCH,
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
        header::IF_UNMODIFIED_SINCE,
        header::IF_RANGE,
        header::RANGE,
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
        .expose_headers([
            header::ETAG,
            header::LAST_MODIFIED,
            header::LOCATION,
            header::CONTENT_RANGE,
            header::ACCEPT_RANGES,
            // The collection's pages name the next one in `Link`.
            header::LINK,
        ])
        .max_age(PREFLIGHT_MAX_AGE)
}

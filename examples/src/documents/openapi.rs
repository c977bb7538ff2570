//! The API's OpenAPI document, served at `GET /openapi.json`. Each route carries its own
//! `#[utoipa::path]`; `#[conditional]`, above it, adds the conditional headers and the 304, 412
//! and 428 responses, and the problem schemas come along by reference. The routes are
//! registered with utoipa-axum's `routes!` ([`router`](super::router)), which collects the
//! document as it builds the router. [`explorer`] serves Swagger UI over it at `GET /docs`.

use axum::routing::{MethodRouter, get};
use axum::{Json, Router};
use axum_conditional::compression::ConditionalCompressionLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi};

/// What the document says besides its paths; [`router`](super::router) adds those of every
/// route it registers.
#[derive(OpenApi)]
#[openapi(info(
    title = "documents",
    description = "A JSON document API on SQLite, with conditional reads and writes."
))]
pub struct Api;

/// The document: [`Api`] with every route of [`app`](super::app).
pub fn document() -> utoipa::openapi::OpenApi {
    super::router().into_openapi()
}

/// `GET /openapi.json`: `document`, compressed as the routes it describes are.
pub fn serve<S: Clone + Send + Sync + 'static>(
    document: utoipa::openapi::OpenApi,
) -> MethodRouter<S> {
    get(move || std::future::ready(Json(document.clone())))
        .layer(ConditionalCompressionLayer::new())
}

/// `GET /docs`: Swagger UI, showing [`document`] as `/openapi.json` serves it, with the
/// conditional headers and the 304, 412 and 428 answers of each route. Its files are in the
/// binary (`utoipa-swagger-ui`'s `vendored` feature): nothing is fetched to build or to show it.
pub fn explorer<S: Clone + Send + Sync + 'static>() -> Router<S> {
    // The document's URL, not the document: given the document, the crate would serve it on a
    // route of its own, beside the app's `/openapi.json`.
    let config = Config::from("/openapi.json")
        // Swagger UI would otherwise send the document to swagger.io's online validator.
        .validator_url("none");
    SwaggerUi::new("/docs").config(config).into()
}

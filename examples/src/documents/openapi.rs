//! The API's OpenAPI document, served at `GET /openapi.json`. Each route carries its own
//! `#[utoipa::path]`; `#[conditional]`, above it, adds the conditional headers and the 304, 412
//! and 428 responses, and the problem schemas come along by reference. [`explorer`] serves
//! Swagger UI over it at `GET /docs`.

use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::{attachments, routes};

/// The document: every route of [`app`](super::app).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "documents",
        description = "A JSON document API on SQLite, with conditional reads and writes."
    ),
    paths(
        routes::read,
        routes::replace,
        routes::patch,
        routes::delete,
        routes::list,
        routes::create,
        attachments::download,
        attachments::upload
    )
)]
pub struct Api;

/// `GET /openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(Api::openapi())
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

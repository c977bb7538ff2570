//! The API's OpenAPI document, served at `GET /openapi.json`. Each route carries its own
//! `#[utoipa::path]`; `#[conditional]`, above it, adds the conditional headers and the 304, 412
//! and 428 responses, and the problem schemas come along by reference.

use axum::Json;
use utoipa::OpenApi;

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

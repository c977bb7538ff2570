//! The example at the top of the `#[conditional]` documentation, compiled.

use std::time::SystemTime;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_conditional::{ETag, conditional};
use serde::{Deserialize, Serialize};

#[derive(Clone)]
struct Store;

#[derive(Serialize, Deserialize)]
struct Doc {
    version: u64,
    body: String,
}

struct ApiError;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}

impl Store {
    async fn version(&self, id: u64) -> Result<u64, ApiError> {
        Ok(id)
    }
    async fn etag(&self, id: u64) -> Result<Option<ETag>, ApiError> {
        Ok(Some(ETag::from_version(id)))
    }
    async fn modified(&self, _id: u64) -> Result<Option<SystemTime>, ApiError> {
        Ok(Some(SystemTime::UNIX_EPOCH))
    }
    async fn load(&self, id: u64) -> Result<Doc, ApiError> {
        Ok(Doc {
            version: id,
            body: String::new(),
        })
    }
    async fn save(&self, _id: u64, doc: Doc) -> Result<Doc, ApiError> {
        Ok(doc)
    }
}

#[conditional(etag = ETag::from_version(store.version(id).await?))]
async fn get_doc(State(store): State<Store>, Path(id): Path<u64>) -> Result<Json<Doc>, ApiError> {
    Ok(Json(store.load(id).await?))
}

#[conditional(etag = store.etag(id).await?, last_modified = store.modified(id).await?, require = true)]
async fn put_doc(
    State(store): State<Store>,
    Path(id): Path<u64>,
    Json(doc): Json<Doc>,
) -> Result<(ETag, Json<Doc>), ApiError> {
    let doc = store.save(id, doc).await?;
    Ok((ETag::from_version(doc.version), Json(doc)))
}

fn main() {
    let _: Router = Router::new()
        .route("/docs/{id}", get(get_doc).put(put_doc))
        .with_state(Store);
}

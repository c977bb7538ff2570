//! The atomic-write pattern of the `#[conditional]` documentation, compiled and run: `bind = ev`
//! gives the body the tag `If-Match` matched, for `UPDATE … WHERE version = ?`; zero rows
//! changed answers the same 412 as the early check.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum_conditional::problem::PreconditionFailed;
use axum_conditional::{ETag, Failure, Resource, conditional};

#[derive(Clone, Default)]
struct Db(Arc<Mutex<Option<(u64, String)>>>);

#[derive(Debug)]
struct DbError;

impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    }
}

impl Db {
    async fn version(&self, _id: u64) -> Result<Option<u64>, DbError> {
        let row = self.0.lock().map_err(|_| DbError)?;
        Ok(row.as_ref().map(|(version, _)| *version))
    }

    /// `UPDATE docs SET body = ?, version = version + 1 WHERE id = ? AND version = ?`
    async fn update(&self, _id: u64, version: Option<u64>, body: String) -> Result<u64, DbError> {
        let mut row = self.0.lock().map_err(|_| DbError)?;
        match (row.as_mut(), version) {
            (Some((current, stored)), Some(expected)) if *current == expected => {
                *current += 1;
                *stored = body;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[conditional(etag = db.version(id).await?.map(ETag::from_version), require = true, bind = ev)]
async fn put_doc(
    State(db): State<Db>,
    Path(id): Path<u64>,
    Json(body): Json<String>,
) -> Result<Response, DbError> {
    let expected = ev.checked_etag().and_then(ETag::version);
    if db.update(id, expected, body).await? == 0 {
        let now = Resource::new(db.version(id).await?.map(ETag::from_version), None);
        return Ok(PreconditionFailed::new(Failure::changed_during_request())
            .with_current(&now)
            .into_response());
    }
    let version = db.version(id).await?.unwrap_or_default();
    Ok((ETag::from_version(version), "stored").into_response())
}

fn main() {
    let _: Router = Router::new().route("/{id}", put(put_doc)).with_state(Db::default());
}

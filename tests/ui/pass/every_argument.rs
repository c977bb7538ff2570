//! Every argument form of `#[conditional]`, with `State`, `Path`, `Query`, `HeaderMap` and a
//! deferred `Json`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::Router;
use axum_conditional::{ETag, LastModified, conditional};
use serde::Deserialize;

#[derive(Clone)]
struct Db;

#[derive(Deserialize)]
struct Page {
    page: u32,
}

#[derive(Deserialize)]
struct Doc {
    title: String,
}

impl Db {
    async fn etag(&self, id: u64) -> Result<ETag, StatusCode> {
        Ok(ETag::from_version(id))
    }
    async fn maybe_etag(&self, id: u64) -> Option<ETag> {
        Some(ETag::from_version(id))
    }
    fn modified(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1)
    }
}

// `ETag` and `SystemTime`, with `.await` and `?`.
#[conditional(etag = db.etag(id).await?, last_modified = db.modified())]
async fn etag_and_system_time(
    State(db): State<Db>,
    Path(id): Path<u64>,
    Query(page): Query<Page>,
    headers: HeaderMap,
) -> Result<String, StatusCode> {
    Ok(format!("{id} {} {}", page.page, headers.len()))
}

// `Option<ETag>` and `Option<SystemTime>`, every flag and header.
#[conditional(
    etag = db.maybe_etag(id).await,
    last_modified = Some(db.modified()),
    require = true,
    creates = false,
    weak_if_match = false,
    cache_control = "private, max-age=0, must-revalidate",
    vary = "accept, accept-encoding",
    ranges = true,
    strong_last_modified = true,
    bind = ev,
)]
async fn options_and_flags(State(db): State<Db>, Path(id): Path<u64>, Json(doc): Json<Doc>) -> String {
    let _ = db;
    format!("{id} {} {:?}", doc.title, ev.checked_etag())
}

// `HttpDate` and `Option<HttpDate>`.
#[conditional(last_modified = httpdate::HttpDate::from(UNIX_EPOCH))]
async fn http_date() -> &'static str {
    "dated"
}

#[conditional(last_modified = Some(httpdate::HttpDate::from(UNIX_EPOCH)))]
async fn optional_http_date() -> &'static str {
    "dated"
}

// `LastModified` and `Option<LastModified>`, and `Option<ETag>` that is `None`.
#[conditional(etag = None, last_modified = LastModified::from_unix_seconds(0))]
async fn last_modified() -> &'static str {
    "dated"
}

#[conditional(last_modified = "Sun, 06 Nov 1994 08:49:37 GMT".parse::<LastModified>().ok())]
async fn optional_last_modified() -> &'static str {
    "dated"
}

// A validator may come second, or alone.
#[conditional(last_modified = SystemTime::now(), etag = ETag::from_version(1))]
async fn reversed() {}

fn main() {
    let _: Router = Router::new()
        .route("/a/{id}", get(etag_and_system_time))
        .route("/b/{id}", put(options_and_flags))
        .route("/c", get(http_date))
        .route("/d", get(optional_http_date))
        .route("/e", get(last_modified))
        .route("/f", get(optional_last_modified))
        .route("/g", get(reversed))
        .with_state(Db);
}

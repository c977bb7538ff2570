use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum_conditional::{ETag, conditional};

#[derive(Clone)]
struct AppState;

struct NeedsState;

impl FromRequest<AppState> for NeedsState {
    type Rejection = StatusCode;

    async fn from_request(_: Request, _: &AppState) -> Result<Self, StatusCode> {
        Ok(NeedsState)
    }
}

#[conditional(etag = ETag::from_version(1))]
async fn handler(_body: NeedsState) -> &'static str {
    "needs state"
}

fn main() {}

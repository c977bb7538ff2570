use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum_conditional::{ETag, conditional};

/// A body extractor whose name says nothing: the type system tells.
struct Upload(u64);

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = StatusCode;

    async fn from_request(_: Request, _: &S) -> Result<Self, StatusCode> {
        Ok(Upload(1))
    }
}

#[conditional(etag = ETag::from_version(upload.0))]
async fn handler(upload: Upload) -> String {
    format!("{}", upload.0)
}

fn main() {}

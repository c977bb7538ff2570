use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_conditional::conditional;

type ApiResult<T> = Result<T, StatusCode>;

#[conditional(etag = axum_conditional::ETag::from_version(1))]
#[tracing::instrument(err)]
async fn handler() -> ApiResult<impl IntoResponse> {
    Ok("hidden")
}

fn main() {}

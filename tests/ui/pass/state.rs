//! `state = T`: a deferred body extractor that needs the application state, with `T` a part of
//! the router's state reached through `FromRef`.

use axum::Router;
use axum::extract::{FromRef, FromRequest, Path, Request};
use axum::routing::put;
use axum_conditional::{ETag, conditional};

#[derive(Clone)]
struct AppState {
    limits: Limits,
}

#[derive(Clone)]
struct Limits {
    max: usize,
}

impl FromRef<AppState> for Limits {
    fn from_ref(state: &AppState) -> Self {
        state.limits.clone()
    }
}

/// A body extractor that needs `Limits`.
struct Limited(String);

impl FromRequest<Limits> for Limited {
    type Rejection = axum::http::StatusCode;

    async fn from_request(req: Request, limits: &Limits) -> Result<Self, Self::Rejection> {
        let body = String::from_request(req, limits)
            .await
            .map_err(|_| axum::http::StatusCode::BAD_REQUEST)?;
        if body.len() > limits.max {
            return Err(axum::http::StatusCode::PAYLOAD_TOO_LARGE);
        }
        Ok(Limited(body))
    }
}

#[conditional(etag = ETag::from_version(id), state = Limits)]
async fn update(Path(id): Path<u64>, Limited(body): Limited) -> String {
    format!("{id}: {body}")
}

fn main() {
    let _: Router = Router::new()
        .route("/{id}", put(update))
        .with_state(AppState {
            limits: Limits { max: 10 },
        });
}

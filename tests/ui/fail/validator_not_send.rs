use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Mutex;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use axum_conditional::{ETag, conditional};

async fn version(id: u64) -> u64 {
    id
}

#[conditional(etag = ETag::from_version({ let cache = Rc::new(id); version(*cache).await + *cache }))]
async fn holds_an_rc(Path(id): Path<u64>) -> String {
    format!("{id}")
}

#[derive(Clone, Default)]
struct Clock(std::sync::Arc<Mutex<Option<std::time::SystemTime>>>);

#[conditional(last_modified = { let now = clock.0.lock().unwrap(); version(1).await; *now })]
async fn holds_a_mutex_guard(State(clock): State<Clock>) -> String {
    String::new()
}

#[derive(Debug)]
struct DbError;

impl axum::response::IntoResponse for DbError {
    fn into_response(self) -> axum::response::Response {
        axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response()
    }
}

async fn stored_version(id: u64) -> Result<u64, DbError> {
    Ok(id)
}

/// With `?`, the validator runs in an `async` block of its own: checked all the same.
#[conditional(etag = { let seen = RefCell::new(id); let seen = seen.borrow(); ETag::from_version(stored_version(*seen).await?) })]
async fn holds_a_refcell_borrow(Path(id): Path<u64>) -> Result<String, DbError> {
    Ok(format!("{id}"))
}

fn main() {
    let _: Router = Router::new()
        .route("/{id}", get(holds_an_rc))
        .route("/clock", get(holds_a_mutex_guard))
        .route("/seen/{id}", get(holds_a_refcell_borrow))
        .with_state(Clock::default());
}

//! A validator may bind a name of its own that a body extractor also binds (`doc` here), and
//! may name a field, a method or a module called like it: none of these is a use of the body,
//! so the body is still read only after the preconditions pass.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::put;
use axum_conditional::{ETag, conditional};

#[derive(Clone, Default)]
struct Store {
    doc: u64,
}

impl Store {
    fn doc(&self) -> u64 {
        self.doc
    }
}

mod doc {
    pub fn version() -> u64 {
        1
    }
}

#[conditional(etag = { let doc = id; ETag::from_version(doc) })]
async fn let_binding(Path(id): Path<u64>, Json(doc): Json<u64>) -> String {
    format!("{id} {doc}")
}

#[conditional(etag = { let doc = id; ETag::strong(format!("v{doc}")).ok() })]
async fn let_binding_in_format_string(Path(id): Path<u64>, Json(doc): Json<u64>) -> String {
    format!("{id} {doc}")
}

#[conditional(etag = ETag::strong(format!("v{doc}", doc = id)).ok())]
async fn named_format_argument(Path(id): Path<u64>, Json(doc): Json<u64>) -> String {
    format!("{id} {doc}")
}

#[conditional(etag = Some(id).map(|doc| ETag::from_version(doc)))]
async fn closure_parameter(Path(id): Path<u64>, Json(doc): Json<u64>) -> String {
    format!("{id} {doc}")
}

#[conditional(etag = match Some(id) { Some(doc) => Some(ETag::from_version(doc)), None => None })]
async fn match_arm(Path(id): Path<u64>, Json(doc): Json<u64>) -> String {
    format!("{id} {doc}")
}

#[conditional(etag = if let Some(doc) = Some(id) { Some(ETag::from_version(doc)) } else { None })]
async fn if_let(Path(id): Path<u64>, Json(doc): Json<u64>) -> String {
    format!("{id} {doc}")
}

#[conditional(etag = { let mut n = 0; for doc in [id, 1] { n += doc; } ETag::from_version(n) })]
async fn for_pattern(Path(id): Path<u64>, Json(doc): Json<u64>) -> String {
    format!("{id} {doc}")
}

#[conditional(etag = ETag::from_version(store.doc + store.doc() + doc::version()))]
async fn field_method_and_module(State(store): State<Store>, Json(doc): Json<u64>) -> String {
    format!("{} {doc}", store.doc)
}

fn main() {
    let _: Router = Router::new()
        .route("/a/{id}", put(let_binding))
        .route("/b/{id}", put(let_binding_in_format_string))
        .route("/c/{id}", put(named_format_argument))
        .route("/d/{id}", put(closure_parameter))
        .route("/e/{id}", put(match_arm))
        .route("/f/{id}", put(if_let))
        .route("/g/{id}", put(for_pattern))
        .route("/h", put(field_method_and_module))
        .with_state(Store::default());
}

//! The editor: the mid-air collision of two people saving the same document, as a browser
//! shows it. `GET /` lists the documents and creates one; `GET /edit/{id}` edits one.
//!
//! Plain HTML, CSS and JavaScript, embedded in the binary (no build step, no framework, nothing
//! loaded from elsewhere), talking to the example's own JSON API with `fetch`, exactly as any
//! other client of the API would:
//!
//! - it reads the document with `GET` and keeps its `ETag`; every save is a `PUT` with
//!   `If-Match: <that tag>`, and a delete a `DELETE` with it;
//! - a `412` means someone else saved first: the editor fetches their version (with its tag),
//!   shows it beside the user's own edit, and proposes a three-way line merge from the version
//!   the user started from, conflicting lines marked; the user edits the merge and saves it
//!   with `If-Match: <their tag>`, and a second `412` starts the view again from the newer
//!   version;
//! - every few seconds, and when the window gets the focus, it revalidates with
//!   `If-None-Match`, so that the user learns of a change before saving; an answer carrying a
//!   tag it has moved past (a cache in front of the API may still hold the version before the
//!   editor's own save) is dropped, so it never goes back to an older version.
//!
//! The elements carry `data-testid` attributes (`title`, `text`, `save`, `status`, `conflict`,
//! `theirs`, `mine`, `merged`, `save-merged`) so that tests and other tools can drive it.
//!
//! The pages and scripts are served with their own strong `ETag` (a hash of their bytes) and
//! `Cache-Control: no-cache`, through `#[conditional]` like the API: a browser revalidates
//! them and gets a `304` until the binary changes.

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_conditional::{ETag, conditional};

/// A file of the editor, as the binary holds it.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    content_type: &'static str,
    body: &'static str,
}

/// The list of documents (`GET /`).
const LIST: Asset = html(include_str!("editor/list.html"));
/// The editor of one document (`GET /edit/{id}`): the same page for every id, which the script
/// reads from the address.
const EDIT: Asset = html(include_str!("editor/edit.html"));

/// The files the pages load, under `/editor/`.
const FILES: [(&str, Asset); 4] = [
    (
        "editor.css",
        asset("text/css; charset=utf-8", include_str!("editor/editor.css")),
    ),
    ("list.js", script(include_str!("editor/list.js"))),
    ("edit.js", script(include_str!("editor/edit.js"))),
    ("merge.js", script(include_str!("editor/merge.js"))),
];

const fn asset(content_type: &'static str, body: &'static str) -> Asset {
    Asset { content_type, body }
}

const fn html(body: &'static str) -> Asset {
    asset("text/html; charset=utf-8", body)
}

const fn script(body: &'static str) -> Asset {
    asset("text/javascript; charset=utf-8", body)
}

/// The editor's routes; the app adds them inside its compression layer, so the pages are
/// compressed (and their strong tags made per coding) like the API's responses.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(serve))
        .route("/edit/{id}", get(serve))
        .route("/editor/{file}", get(serve))
}

/// The asset a request's path names; a `404` for a file under `/editor/` that does not exist.
impl<S: Send + Sync> FromRequestParts<S> for Asset {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        let path = parts.uri.path();
        if path == "/" {
            return Ok(LIST);
        }
        if path.starts_with("/edit/") {
            return Ok(EDIT);
        }
        let file = path.strip_prefix("/editor/").unwrap_or_default();
        FILES
            .iter()
            .find(|(name, _)| *name == file)
            .map(|(_, asset)| *asset)
            .ok_or_else(|| StatusCode::NOT_FOUND.into_response())
    }
}

/// `GET`/`HEAD` of a page or file of the editor. `no-cache`: a browser may store it but asks
/// first, so a new binary's editor is never mixed with an old one's scripts.
#[conditional(etag = ETag::from_content(asset.body.as_bytes()), cache_control = "no-cache")]
async fn serve(asset: Asset) -> Response {
    ([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response()
}

//! `PUT`, `GET` and `HEAD /documents/{id}/attachment`: one binary file per document, served
//! with ranges, so that an interrupted download resumes where it stopped.
//!
//! # Validators
//!
//! The attachment is a resource of its own, with its own version (see
//! [`store`](super::store)'s `attachment` module): writing it leaves the document's tag alone.
//! Its `ETag` is strong (the bytes are sent as stored: this route is never compressed), so
//! `If-Range` with the tag a download started from resumes it, and after any change restarts it
//! with a full 200 instead of splicing two versions (RFC 9110 §13.1.5).
//!
//! Its `Last-Modified` is declared strong (`strong_last_modified = true`), and it is declared
//! only when it is: when no other version of the attachment was written in the same second
//! (RFC 9110 §8.8.2.2). Otherwise the route declares no date at all until the next write: an
//! `If-Range` date then never matches (the full 200), and `If-Modified-Since` and
//! `If-Unmodified-Since` are ignored as RFC 9110 §13.1.3–4 ask for a resource without a date,
//! leaving the entity-tag conditions, which the clients that resume downloads send anyway.
//!
//! # Reads
//!
//! The body is an [`AttachmentSource`]: the `ranges = true` route reads only the requested
//! ranges, at their offsets in the SQLite blob, and a 200 streams the blob in chunks. Every
//! read checks that the attachment is still at the version the response's validators name; a
//! write that lands during a download cuts that download short (the client sees a truncated
//! response, and its resume gets the new version whole), never a response mixing two versions.
//!
//! # Writes
//!
//! `PUT` needs `If-Match` with the current tag, or `If-None-Match: *` to create one where
//! there is none (428 without either, 412 when stale, before the body is read). The write is
//! atomic with that version (`… WHERE version = ?` in one transaction), so two writers holding
//! the same tag never both succeed. Attachments up to [`MAX_ATTACHMENT`] bytes are accepted.
//!
//! An upload never sits whole in memory, and nothing is read that will not be stored. Before
//! a byte of the body is read, a `PUT` to a document that does not exist is answered 404, and
//! one whose `Content-Length` is past [`MAX_ATTACHMENT`] 413 (a client that sent
//! `Expect: 100-continue` is told without sending anything). Then the body is spooled, chunk
//! by chunk, to an unlinked temporary file (a body without a length that runs past the maximum
//! is cut off there with 413), and copied from it into the store in one transaction, 64 KiB at
//! a time (see the store's `attachment` module). Holding the database for the copy, not for
//! the upload, keeps a slow client from stalling every other request.
//!
//! # Never a page of this origin
//!
//! An attachment is whatever a client uploaded, with the `Content-Type` it chose, served from
//! the API's own origin: a `text/html` file with a `<script>`, opened in a browser, would run
//! with this origin's rights (a stored cross-site script). Every response of this route
//! therefore says, in three independent ways, that it is not to be rendered (`inert`):
//! `Content-Disposition: attachment` (a download, not a page), `X-Content-Type-Options:
//! nosniff` (no guessing a script or a style from the bytes either), and
//! `Content-Security-Policy: default-src 'none'; sandbox`, so that even a browser that shows
//! it anyway runs no script, loads nothing and treats it as an origin of its own. The stored
//! type is kept: a client downloading its PDF gets `application/pdf` back.

use std::io;
use std::time::SystemTime;

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_conditional::problem::PreconditionFailed;
use axum_conditional::{
    ConditionHeader, ETag, Failure, LastModified, RangeSource, Ranged, Reason, Resource,
    conditional,
};
use http_body_util::BodyExt;
use utoipa_axum::router::{UtoipaMethodRouter, UtoipaMethodRouterExt as _};
use utoipa_axum::routes;

use super::error::ApiError;
use super::store::{AttachmentMeta, AttachmentWrite, Pinned, Store, StoreError, Upload};
use super::target::Target;
use tokio::io::AsyncWriteExt;

/// The largest attachment a `PUT` may store: 128 MiB (axum's default limit is 2 MB).
pub const MAX_ATTACHMENT: usize = 128 * 1024 * 1024;

/// What an attachment is stored as when its `PUT` names no `Content-Type`.
const DEFAULT_TYPE: &str = "application/octet-stream";

/// The routes of `/documents/{id}/attachment`, with their OpenAPI (utoipa-axum's
/// [`routes!`]). (The upload enforces [`MAX_ATTACHMENT`] itself, as it streams.)
pub fn routes() -> UtoipaMethodRouter<Store> {
    routes!(download, upload).layer(axum::middleware::map_response(inert))
}

/// Marks every response of the route as a download no browser renders or runs (see the
/// module's documentation). Outside the conditional handlers, so 206, 304 and 412 carry it too.
async fn inert(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    response
}

impl Target<AttachmentMeta> {
    fn etag(&self) -> Option<ETag> {
        self.meta
            .as_ref()
            .map(|meta| ETag::from_version(meta.version))
    }

    /// The modification date, only when it is strong (see the module's documentation).
    fn date(&self) -> Option<SystemTime> {
        self.meta.as_ref().and_then(date)
    }
}

/// `meta`'s modification date, when it names this version alone.
fn date(meta: &AttachmentMeta) -> Option<SystemTime> {
    meta.strong_date.then_some(meta.updated_at)
}

/// The validators of an attachment: its tag, and its date when that is strong.
fn validators(meta: &AttachmentMeta) -> (ETag, Option<LastModified>) {
    let modified = date(meta).map(LastModified::from_system_time);
    (ETag::from_version(meta.version), modified)
}

/// A response with `status` and no body, carrying `meta`'s validators.
fn stored(status: StatusCode, meta: &AttachmentMeta) -> Response {
    match validators(meta) {
        (etag, Some(modified)) => (status, etag, modified).into_response(),
        (etag, None) => (status, etag).into_response(),
    }
}

/// `GET`/`HEAD /documents/{id}/attachment`, with ranges and `If-Range`.
#[conditional(
    etag = target.etag(),
    last_modified = target.date(),
    strong_last_modified = true,
    ranges = true,
    cache_control = "no-cache"
)]
#[utoipa::path(
    get,
    path = "/documents/{id}/attachment",
    tag = "attachments",
    params(("id" = i64, Path, description = "The document's id.")),
    responses(
        (status = 200, description = "The attachment, whole.", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "No document with this id, or no attachment."),
    ),
)]
pub async fn download(
    State(store): State<Store>,
    target: Target<AttachmentMeta>,
) -> Result<Response, ApiError> {
    let meta = target.meta.ok_or(ApiError::NoAttachment)?;
    let content_type =
        HeaderValue::try_from(meta.content_type).unwrap_or(HeaderValue::from_static(DEFAULT_TYPE));
    let source = AttachmentSource {
        store,
        pinned: Pinned {
            id: target.id,
            version: meta.version,
        },
        length: meta.length,
    };
    Ok(([(header::CONTENT_TYPE, content_type)], Ranged::new(source)).into_response())
}

/// `PUT /documents/{id}/attachment`: create with `If-None-Match: *`, replace with `If-Match`.
#[conditional(
    etag = target.etag(),
    last_modified = target.date(),
    strong_last_modified = true,
    require = true
)]
#[utoipa::path(
    put,
    path = "/documents/{id}/attachment",
    tag = "attachments",
    params(("id" = i64, Path, description = "The document's id.")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Created."),
        (status = 204, description = "Replaced."),
        (status = 404, description = "No document with this id."),
    ),
)]
pub async fn upload(
    State(store): State<Store>,
    target: Target<AttachmentMeta>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // Before the body: a missing document or a declared length past the maximum is answered
    // without reading it (see the module's documentation).
    if store.meta(target.id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_ATTACHMENT as u64) {
        return Err(ApiError::TooLarge);
    }
    let upload = spool(body).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or(DEFAULT_TYPE)
        .to_owned();
    let expected = target.meta.as_ref().map(|meta| meta.version);
    let write = store
        .store_attachment(target.id, expected, content_type, upload)
        .await?;
    match write {
        AttachmentWrite::Applied(meta) => {
            let status = if expected.is_some() {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::CREATED
            };
            Ok(stored(status, &meta))
        }
        AttachmentWrite::NoDocument => Err(ApiError::NotFound),
        AttachmentWrite::Conflict => {
            // Another writer got there first: the 412 the early check would now give.
            let failure = if expected.is_some() {
                Failure::changed_during_request()
            } else {
                Failure::new(ConditionHeader::IfNoneMatch, Reason::Matched)
            };
            Err(refused(&store, target.id, failure).await)
        }
    }
}

/// Writes `body` to an unlinked temporary file as it arrives; the file, at its start, with its
/// length. Past [`MAX_ATTACHMENT`] bytes, [`ApiError::TooLarge`]; a body that fails (the
/// client went away, or sent nothing for the body timeout), [`ApiError::BrokenUpload`].
async fn spool(body: Body) -> Result<Upload, ApiError> {
    let spool_failed = |e: io::Error| ApiError::Store(StoreError::Upload(e.to_string()));
    let (std_file, path) = spool_file().map_err(spool_failed)?;
    // Unlinked at once: the open handle keeps the bytes, and nothing is left behind however
    // the request ends, the process included.
    std::fs::remove_file(&path).map_err(spool_failed)?;
    let mut file = tokio::fs::File::from_std(std_file);
    let mut body = body;
    let mut length = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ApiError::BrokenUpload)?;
        let Ok(chunk) = frame.into_data() else {
            continue; // trailers
        };
        length += chunk.len() as u64;
        if length > MAX_ATTACHMENT as u64 {
            return Err(ApiError::TooLarge);
        }
        file.write_all(&chunk).await.map_err(spool_failed)?;
    }
    file.flush().await.map_err(spool_failed)?;
    let mut file = file.into_std().await;
    io::Seek::rewind(&mut file).map_err(spool_failed)?;
    Ok(Upload {
        source: Box::new(file),
        length,
    })
}

/// A new file of this process's own in the temporary directory, and its path.
fn spool_file() -> io::Result<(std::fs::File, std::path::PathBuf)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "documents-upload-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let path = std::env::temp_dir().join(name);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((file, path))
}

/// The 412 for `failure`, with the attachment's validators as they are now.
async fn refused(store: &Store, id: i64, failure: Failure) -> ApiError {
    let resource = match store.attachment_meta(id).await.ok().flatten() {
        Some(meta) => {
            let (etag, modified) = validators(&meta);
            Resource::existing(Some(etag), modified)
        }
        None => Resource::missing(),
    };
    PreconditionFailed::new(failure)
        .with_current(&resource)
        .into()
}

/// An attachment as a [`RangeSource`]: each read is an offset read of its blob, at the version
/// the response was decided for.
pub struct AttachmentSource {
    store: Store,
    pinned: Pinned,
    length: u64,
}

impl RangeSource for AttachmentSource {
    fn len(&self) -> u64 {
        self.length
    }

    async fn read_at(&mut self, offset: u64, max: usize) -> io::Result<Bytes> {
        let left = usize::try_from(self.length.saturating_sub(offset)).unwrap_or(usize::MAX);
        let read = self
            .store
            .read_attachment_at(self.pinned, offset, max.min(left))
            .await
            .map_err(io::Error::other)?;
        read.map(Bytes::from)
            .ok_or_else(|| io::Error::other("the attachment changed while it was being sent"))
    }
}

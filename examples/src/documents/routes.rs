//! The HTTP API. Every route is `#[conditional]`: reads revalidate with a 304 that costs one
//! indexed lookup, and writes must say which version they change (428 otherwise) and are
//! refused with 412, before their body is parsed, when that version is stale.

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;

use axum::body::Bytes;
use std::time::SystemTime;

use axum::Json;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum_conditional::problem::PreconditionFailed;
use axum_conditional::{
    ConditionHeader, ETag, Failure, LastModified, Reason, Resource, conditional,
};
use serde_json::Value;

use super::error::ApiError;
use super::merge_patch;
use super::store::{
    DEFAULT_PAGE, Document, Listed, MAX_CHOSEN_ID, MAX_PAGE, Meta, PageRequest, Store, Write,
};
use super::target::Target;

impl Target<Meta> {
    fn etag(&self) -> Option<ETag> {
        self.meta.map(|meta| ETag::from_version(meta.version))
    }

    fn last_modified(&self) -> Option<SystemTime> {
        self.meta.map(|meta| meta.updated_at)
    }

    /// Whether the date names this version and no other (RFC 9110 §8.8.2.2, see
    /// [`Meta::strong_date`]): only then does an `If-Unmodified-Since` or `If-Modified-Since`
    /// naming its very second vouch for the current version.
    fn strong_date(&self) -> bool {
        self.meta.is_some_and(|meta| meta.strong_date)
    }

    /// Whether the document is what this very request wrote: a `PUT` already applied, its
    /// response lost and the request resent with the tag it was based on (RFC 9110 §13.1.1).
    /// Asked only after that tag failed, with the content read within the lingering bounds.
    ///
    /// The same request is recognised by its `Idempotency-Key` (which the write stored with
    /// the version) and its content: equal content alone is another client's equivalent write
    /// as often as a retry (two clients that read a counter and both write it plus one), and
    /// telling the second one "done" would lose its update.
    /// Without an `Idempotency-Key` the request cannot be recognised, and its content is not
    /// read at all (`None`).
    #[allow(
        clippy::type_complexity,
        reason = "the closure `already_applied` takes, spelled out"
    )]
    fn holds(
        &self,
        store: &Store,
        headers: &HeaderMap,
    ) -> Option<impl FnOnce(Bytes) -> Pin<Box<dyn Future<Output = bool> + Send>> + use<>> {
        let (store, id, key) = (store.clone(), self.id, idempotency_key(headers)?);
        Some(
            move |sent: Bytes| -> Pin<Box<dyn Future<Output = bool> + Send>> {
                Box::pin(async move {
                    let Ok(sent) = serde_json::from_slice::<Value>(&sent) else {
                        return false;
                    };
                    store.holds(id, sent, key).await.unwrap_or(false)
                })
            },
        )
    }

    /// The 412 for a write whose version check passed but whose atomic write changed nothing:
    /// another writer got there first. It shows the validators as they are now.
    async fn lost_race(&self, store: &Store) -> ApiError {
        self.refused(store, Failure::changed_during_request()).await
    }

    /// The 412 for `failure`, with the validators as they are now, like the early check's.
    async fn refused(&self, store: &Store, failure: Failure) -> ApiError {
        let resource = match store.meta(self.id).await.ok().flatten() {
            Some(meta) => Resource::existing(
                Some(ETag::from_version(meta.version)),
                Some(LastModified::from_system_time(meta.updated_at)),
            ),
            None => Resource::missing(),
        };
        PreconditionFailed::new(failure)
            .with_current(&resource)
            .into()
    }
}

/// The collection's validators as stored now, loaded once for both `etag` and `last_modified`.
pub struct Collection(Meta);

impl<S> FromRequestParts<S> for Collection
where
    Store: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(_parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let meta = Store::from_ref(state).collection_meta().await;
        meta.map(Collection)
            .map_err(|e| ApiError::from(e).into_response())
    }
}

impl Collection {
    /// The 412 for a guarded insert whose check passed but whose atomic insert found the
    /// collection changed: another write got there first. It shows the validators as they are
    /// now.
    async fn lost_race(store: &Store) -> ApiError {
        let resource = match store.collection_meta().await.ok() {
            Some(meta) => Resource::existing(
                Some(collection_etag(meta)),
                Some(LastModified::from_system_time(meta.updated_at)),
            ),
            None => Resource::missing(),
        };
        PreconditionFailed::new(Failure::changed_during_request())
            .with_current(&resource)
            .into()
    }
}

/// The validators of a document as just written or read, as response headers.
fn validators(meta: Meta) -> (ETag, LastModified) {
    (
        ETag::from_version(meta.version),
        LastModified::from_system_time(meta.updated_at),
    )
}

/// `GET`/`HEAD /documents/{id}`.
#[conditional(
    etag = target.etag(),
    last_modified = target.last_modified(),
    strong_last_modified = target.strong_date(),
    cache_control = "no-cache"
)]
#[utoipa::path(
    get,
    path = "/documents/{id}",
    tag = "documents",
    params(("id" = i64, Path, description = "The document's id.")),
    responses((status = 200, description = "The document.", body = Object), (status = 404, description = "No document with this id.")),
)]
pub async fn read(State(store): State<Store>, target: Target<Meta>) -> Result<Response, ApiError> {
    let Document { body, meta, .. } = store.get(target.id).await?.ok_or(ApiError::NotFound)?;
    // The validators of what is actually sent: a write may have landed since the check.
    Ok((validators(meta), Json(body)).into_response())
}

/// `PUT /documents/{id}`: create with `If-None-Match: *`, replace with `If-Match`.
// `weak_if_match = true`, as on every write route: `If-Match` compares the version, not the
// `W/` in front of it. RFC 9110 §13.1.1 asks for strong comparison so that a write applies to
// exactly the bytes the client holds; here the tag is the document's version (a counter that
// grows with every write and never repeats, [`ETag::from_version`]), and the write replaces or
// merges into the stored document, not into bytes of one encoding. A proxy that compresses
// responses itself (nginx `gzip on`) turns the strong `"7"` into `W/"7"` (§8.8.1 allows it, as
// its bytes differ); the client sends that back, and with strong comparison the write would be
// refused every time. Weakly compared, `W/"7"` still names version 7: it passes while 7 is
// current and fails with 412 once anything has changed, which is all that preventing the
// "lost update" of §13.1.1 needs. The coded tags of the compression layer (`"7~gzip"`) name
// version 7 too, weakened or not. A range is never at stake: these routes serve none.
#[conditional(
    etag = target.etag(),
    last_modified = target.last_modified(),
    strong_last_modified = target.strong_date(),
    require = true,
    weak_if_match = true,
    already_applied = target.holds(&store, &headers)
)]
#[utoipa::path(
    put,
    path = "/documents/{id}",
    tag = "documents",
    params(("id" = i64, Path, description = "The document's id.")),
    request_body = Object,
    responses(
        (status = 200, description = "Replaced; the new document.", body = Object),
        (status = 201, description = "Created; the new document.", body = Object),
        (status = 400, description = "A create at an id outside 1 to 2^53 - 1, which a client may not choose."),
    ),
)]
pub async fn replace(
    State(store): State<Store>,
    target: Target<Meta>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let Some(meta) = target.meta else {
        // Preconditions passed on a missing document: this is a create-only request, at an
        // id the client chose, which must leave `POST` ids to allocate.
        if !(1..=MAX_CHOSEN_ID).contains(&target.id) {
            return Err(ApiError::IdNotChoosable);
        }
        return match store.create(target.id, body).await? {
            Write::Applied(doc) => {
                Ok((StatusCode::CREATED, validators(doc.meta), Json(doc.body)).into_response())
            }
            Write::Conflict => {
                // Another create-only write got there first: the same 412 as the early check
                // gives once the document exists, with its validators.
                let failure = Failure::new(ConditionHeader::IfNoneMatch, Reason::Matched);
                Err(target.refused(&store, failure).await)
            }
        };
    };
    let key = idempotency_key(&headers);
    match store
        .replace_keyed(target.id, meta.version, body, key)
        .await?
    {
        Write::Applied(doc) => Ok((validators(doc.meta), Json(doc.body)).into_response()),
        Write::Conflict => Err(target.lost_race(&store).await),
    }
}

/// `PATCH /documents/{id}` with a JSON merge patch (RFC 7396).
// `weak_if_match = true`: see `replace`. `creates` is left unwritten: a `PATCH` does not create
// unless it says so, and this one never does (a merge patch of a missing document is a 404),
// so neither its 428 nor its OpenAPI operation offers `If-None-Match: *`.
#[conditional(
    etag = target.etag(),
    last_modified = target.last_modified(),
    strong_last_modified = target.strong_date(),
    require = true,
    weak_if_match = true
)]
#[utoipa::path(
    patch,
    path = "/documents/{id}",
    tag = "documents",
    params(("id" = i64, Path, description = "The document's id.")),
    request_body(content = Object, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Patched; the new document.", body = Object), (status = 404, description = "No document with this id.")),
)]
pub async fn patch(
    State(store): State<Store>,
    target: Target<Meta>,
    Json(patch): Json<Value>,
) -> Result<Response, ApiError> {
    let meta = target.meta.ok_or(ApiError::NotFound)?;
    let change = move |body: &mut Value| merge_patch::apply(body, &patch);
    match store.update(target.id, meta.version, change).await? {
        Write::Applied(doc) => Ok((validators(doc.meta), Json(doc.body)).into_response()),
        Write::Conflict => Err(target.lost_race(&store).await),
    }
}

/// `DELETE /documents/{id}`.
// `weak_if_match = true`: see `replace`.
#[conditional(
    etag = target.etag(),
    last_modified = target.last_modified(),
    strong_last_modified = target.strong_date(),
    require = true,
    weak_if_match = true
)]
#[utoipa::path(
    delete,
    path = "/documents/{id}",
    tag = "documents",
    params(("id" = i64, Path, description = "The document's id.")),
    responses((status = 204, description = "Deleted."), (status = 404, description = "No document with this id.")),
)]
pub async fn delete(
    State(store): State<Store>,
    target: Target<Meta>,
) -> Result<StatusCode, ApiError> {
    let meta = target.meta.ok_or(ApiError::NotFound)?;
    if store.delete(target.id, meta.version).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(target.lost_race(&store).await)
    }
}

/// The collection's tag is weak: it names the state of the whole store (its version), and the
/// listing is a view of that state whose exact bytes nobody writes back or asks ranges of; a
/// weak tag says just that (RFC 9110 §8.8.1). The compression layer leaves a weak tag as it is,
/// shared by every coding.
fn collection_etag(meta: Meta) -> ETag {
    ETag::from_version(meta.version).into_weak()
}

/// `GET`/`HEAD /documents?after=ID&limit=N`: a page of the documents, by id, at most `limit`
/// (default [`DEFAULT_PAGE`], at most [`MAX_PAGE`]) and at most about
/// [`PAGE_BYTES`](super::store::PAGE_BYTES) of bodies; `Link` names the first page and, when
/// documents follow, the next one (`after` is the last id of this page: a cursor, so a page
/// never repeats or skips a document because another was inserted or deleted before it).
///
/// Every page is a conditional resource with the collection's validators: the store's
/// version, which changes on insert, update and delete. A page revalidates with 304 until the
/// store changes; a write elsewhere costs it one full response, never a wrong 304. A tag of its
/// own per page would spare that, but `POST` with `If-Match` takes the collection's tag as it
/// was listed ("create only if nothing changed"), and every page hands that tag out.
// No `vary` here: the compression layer adds `Vary: accept-encoding` to every response, the
// 304 included (RFC 9110 §15.4.5 wants a 304 to carry the `Vary` the 200 would have).
#[conditional(
    etag = collection_etag(collection.0),
    last_modified = collection.0.updated_at,
    cache_control = "no-cache"
)]
#[utoipa::path(
    get,
    path = "/documents",
    tag = "documents",
    params(
        ("after" = Option<i64>, Query, description = "The cursor: the last id of the page before; this page starts after it."),
        ("limit" = Option<u32>, Query, description = "At most this many documents, from 1 to 1000 (default 100); a page also ends after about 1 MiB of bodies."),
    ),
    responses(
        (
            status = 200,
            description = "A page of the documents, by id, with their versions.",
            body = [Object],
            headers(("Link" = String, description = "The first page (`rel=\"first\"`) and, when documents follow, the next one (`rel=\"next\"`).")),
        ),
        (status = 400, description = "A query other than `after` (an id) and `limit` (1 to 1000)."),
    ),
)]
pub async fn list(
    State(store): State<Store>,
    collection: Collection,
    uri: Uri,
) -> Result<Response, ApiError> {
    let request = page_request(uri.query().unwrap_or_default())?;
    let (meta, page) = store.list(request).await?;
    // The stored bodies are JSON text already: copied in, not parsed and printed again (the
    // keys in the order `serde_json::json!` gives them).
    let mut body = String::from("[");
    for (at, item) in page.items.iter().enumerate() {
        let comma = if at == 0 { "" } else { "," };
        let Listed {
            id,
            version,
            body: text,
        } = item;
        let _ = write!(
            body,
            r#"{comma}{{"body":{text},"id":{id},"version":{version}}}"#
        );
    }
    body.push(']');
    let mut links = vec![format!(
        r#"</documents?limit={}>; rel="first""#,
        request.limit
    )];
    if let Some(after) = page.next {
        let next = format!(
            r#"</documents?after={after}&limit={}>; rel="next""#,
            request.limit
        );
        links.push(next);
    }
    // The validators of what is actually sent: a write may have landed since the check.
    let validators = (
        collection_etag(meta),
        LastModified::from_system_time(meta.updated_at),
    );
    let headers = [
        (header::CONTENT_TYPE, "application/json".to_owned()),
        (header::LINK, links.join(", ")),
    ];
    Ok((validators, headers, body).into_response())
}

/// The page a query string asks for: `after` (an id, the cursor) and `limit` (1 to
/// [`MAX_PAGE`]), each at most once, nothing else.
fn page_request(query: &str) -> Result<PageRequest, ApiError> {
    let mut page = PageRequest {
        after: i64::MIN,
        limit: DEFAULT_PAGE,
    };
    let (mut after, mut limit) = (false, false);
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "after" if !after => {
                after = true;
                page.after = value.parse().map_err(|_| ApiError::BadPage)?;
            }
            "limit" if !limit => {
                limit = true;
                page.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or(ApiError::BadPage)?;
            }
            _ => return Err(ApiError::BadPage),
        }
    }
    Ok(page)
}

/// `POST /documents`: creates a document with a new id; 201 with `Location` and `ETag`. An
/// `If-Match` with the collection's tag makes it "create only if nothing changed since I listed".
// `weak_if_match = true`: the collection's only tag is weak (see `collection_etag`), and
// `If-Match` compares strongly by default (RFC 9110 §13.1.1), so no `If-Match` could ever
// pass. Weak comparison is safe here: strong comparison exists so that a range or a partial
// write applies to exactly the bytes the client holds, and a POST neither reads nor changes
// the listing's bytes; it only asks "is the collection still in the state I listed?". The
// version in the tag answers exactly that, whatever encoding the listing was sent in: it
// grows with every insert, update and delete, and never repeats.
//
// The check runs before the body is read, so another write could land between the check and
// the insert; when the client sent `If-Match` or `If-Unmodified-Since`, the insert is
// therefore guarded by the collection's version as the check loaded it, in the same
// transaction, and a lost race is a 412 like the early check's.
#[conditional(
    etag = collection_etag(collection.0),
    last_modified = collection.0.updated_at,
    weak_if_match = true
)]
#[utoipa::path(
    post,
    path = "/documents",
    tag = "documents",
    request_body = Object,
    responses((
        status = 201,
        description = "Created; the new document.",
        body = Object,
        headers(("Location" = String, description = "The new document's URL.")),
    )),
)]
pub async fn create(
    State(store): State<Store>,
    collection: Collection,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    // If-None-Match needs no guard: the version never comes back to a tag it listed.
    let guarded = [header::IF_MATCH, header::IF_UNMODIFIED_SINCE]
        .iter()
        .any(|name| headers.contains_key(name));
    let expected = guarded.then_some(collection.0.version);
    let doc = match store.insert(body, expected).await? {
        Write::Applied(doc) => doc,
        Write::Conflict => return Err(Collection::lost_race(&store).await),
    };
    let location = format!("/documents/{}", doc.id);
    let headers = [(header::LOCATION, location)];
    Ok((
        StatusCode::CREATED,
        headers,
        validators(doc.meta),
        Json(doc.body),
    )
        .into_response())
}

/// The request's `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header), when it sent
/// one of visible ASCII, at most 255 bytes.
fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("idempotency-key")?.to_str().ok()?;
    (!value.is_empty() && value.len() <= 255).then(|| value.to_owned())
}

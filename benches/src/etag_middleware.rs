//! The baseline of item 2: an `ETag` middleware that hashes the response body, as the common
//! alternative to validators does. Written to be competent, not a straw man:
//!
//! - only `GET`/`HEAD` 200 responses without an `ETag` of their own are buffered and hashed;
//! - the body is collected once (`axum::body::to_bytes`, one chunk for a `Json` response) and
//!   sent on unchanged;
//! - `If-None-Match` is compared weakly, member by member, with `*` honoured
//!   (RFC 9110 §13.1.2), without allocating;
//! - the 304 carries the `ETag` and the `Cache-Control`, `Vary` and `Content-Location` the 200
//!   would have had (RFC 9110 §15.4.5);
//! - the hash is a choice: FNV-1a 64 as `ETag::from_content` computes it (the hash the README
//!   offers to handlers that must hash), or XXH3-64, about as fast as a hash of 64 KiB can be.
//!
//! What it cannot avoid is the point of the comparison: to answer a 304 it runs the handler,
//! serializes the document and hashes all of it.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_conditional::ETag;

/// The largest body the middleware buffers; larger ones are answered with 500.
pub const BUFFER_LIMIT: usize = 16 * 1024 * 1024;

/// How the middleware hashes a body into a strong entity-tag of 16 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentHash {
    /// 64-bit FNV-1a, byte by byte: `ETag::from_content`.
    Fnv1a,
    /// 64-bit XXH3 (`xxhash-rust`), which hashes many bytes per cycle.
    Xxh3,
}

impl ContentHash {
    /// Every variant, in the order the benches report them.
    pub const ALL: [ContentHash; 2] = [ContentHash::Fnv1a, ContentHash::Xxh3];

    /// A short name for reports: `fnv1a` or `xxh3`.
    pub fn name(self) -> &'static str {
        match self {
            ContentHash::Fnv1a => "fnv1a",
            ContentHash::Xxh3 => "xxh3",
        }
    }

    /// The strong entity-tag of `content`, as a header value.
    pub fn tag(self, content: &[u8]) -> HeaderValue {
        match self {
            ContentHash::Fnv1a => ETag::from_content(content).into(),
            ContentHash::Xxh3 => {
                let hash = xxhash_rust::xxh3::xxh3_64(content);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let mut tag = [b'"'; 18];
                for (i, slot) in tag[1..17].iter_mut().enumerate() {
                    *slot = HEX[((hash >> (60 - 4 * i)) & 0xf) as usize];
                }
                // Quotes and hex digits: always a valid header value.
                HeaderValue::from_bytes(&tag).unwrap_or(HeaderValue::from_static("\"\""))
            }
        }
    }
}

/// The middleware: `axum::middleware::from_fn_with_state(hash, etag_by_body_hash)`.
pub async fn etag_by_body_hash(
    State(hash): State<ContentHash>,
    request: Request,
    next: Next,
) -> Response {
    let cacheable = matches!(*request.method(), Method::GET | Method::HEAD);
    // A received `HeaderValue` shares its bytes: this clone is a reference-count increment.
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if !cacheable
        || response.status() != StatusCode::OK
        || response.headers().contains_key(header::ETAG)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, BUFFER_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let tag = hash.tag(&bytes);
    if let Some(if_none_match) = if_none_match
        && none_match_lists(if_none_match.as_bytes(), tag.as_bytes())
    {
        let mut not_modified = Response::new(Body::empty());
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        let headers = not_modified.headers_mut();
        for name in [
            header::CACHE_CONTROL,
            header::VARY,
            header::CONTENT_LOCATION,
        ] {
            if let Some(value) = parts.headers.remove(&name) {
                headers.insert(name, value);
            }
        }
        headers.insert(header::ETAG, tag);
        return not_modified;
    }
    parts.headers.insert(header::ETAG, tag);
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether an `If-None-Match` field value lists `tag` by weak comparison, or is `*`.
fn none_match_lists(field: &[u8], tag: &[u8]) -> bool {
    field.split(|&b| b == b',').any(|member| {
        let member = member.trim_ascii();
        let member = member.strip_prefix(b"W/").unwrap_or(member);
        member == b"*" || member == tag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_is_compared_weakly_member_by_member() {
        let tag = br#""0123456789abcdef""#;
        assert!(none_match_lists(br#""x", W/"0123456789abcdef""#, tag));
        assert!(none_match_lists(b"*", tag));
        assert!(!none_match_lists(br#""0123456789abcde""#, tag));
    }

    #[test]
    fn both_hashes_give_strong_tags_of_sixteen_hex_digits() {
        for hash in ContentHash::ALL {
            let tag = hash.tag(b"hello");
            assert_eq!(tag.len(), 18, "{}", hash.name());
            assert!(tag.as_bytes().starts_with(b"\""));
        }
        assert_eq!(ContentHash::Fnv1a.tag(b"a"), r#""af63dc4c8601ec8c""#);
    }
}

//! A request already applied: the "unless" clause of RFC 9110 §13.1.1 and §13.1.4.
//!
//! A client's `PUT` succeeds, the response is lost (a timeout, a dropped connection), and the
//! client sends the same request again with the same `If-Match`: its own write made that tag
//! stale, so the condition is false. RFC 9110 lets the origin answer 2xx instead of 412 when
//! "the request is a state-changing operation that appears to have already been applied to the
//! selected representation". A route says how to recognise that (`already_applied = …`, for a
//! `PUT`: the current representation equals the one sent); this module reads the request
//! content for it, only after a failed `If-Match` or `If-Unmodified-Since`, and only within the
//! [`Linger`] bounds a refusal would swallow anyway.

use std::future::{Future, poll_fn};
use std::pin::Pin;

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use http::request::Parts;
use http::{StatusCode, header};
use http_body::Body as _;

use crate::axum::linger::{Linger, expects_continue, linger_of};
use crate::axum::respond::EarlyAnswer;
use crate::rfc::answer::Answer;
use crate::rfc::{ConditionHeader, Reason};

/// Whether `answer` is a refusal a request already applied could have earned: a false
/// `If-Match` (the tag the client wrote against, made stale by its own write) or
/// `If-Unmodified-Since` (the date it held, made old by its own write). Not a malformed field,
/// not a missing resource, and never `If-None-Match`, a 304 or a 428.
pub(crate) fn may_be_applied(answer: &EarlyAnswer) -> bool {
    let Answer::PreconditionFailed(refusal) = &answer.answer else {
        return false;
    };
    let failure = refusal.failure();
    matches!(
        failure.condition(),
        ConditionHeader::IfMatch | ConditionHeader::IfUnmodifiedSince
    ) && !matches!(
        failure.reason(),
        Reason::Malformed | Reason::NoCurrentRepresentation
    )
}

/// The request content, read only within the [`Linger`] bounds: `Err` gives back what is left
/// of the body when the content is longer than the byte bound (declared so, or found so while
/// reading), when it does not arrive within the time bound, or when reading fails.
pub(crate) async fn content(parts: &Parts, body: Body) -> Result<Bytes, Remains> {
    let linger = linger_of(parts);
    if !linger.lingers() || expects_continue(parts) {
        // No reading is allowed, or the client waits for a go-ahead: the refusal stands.
        return Err(Remains { body, read: 0 });
    }
    let limit = linger.byte_limit();
    if body.size_hint().lower() > u64::try_from(limit).unwrap_or(u64::MAX) {
        // Declared longer than the bound: never read at all.
        return Err(Remains { body, read: 0 });
    }
    let read = tokio::time::timeout(linger.time_limit(), within(body, limit)).await;
    read.unwrap_or(Err(Remains {
        body: Body::empty(),
        read: limit,
    }))
}

/// What is left of a request body that was not read whole, and how much of it was read.
pub(crate) struct Remains {
    pub(crate) body: Body,
    pub(crate) read: usize,
}

impl Remains {
    /// The [`Linger`] for the refusal that swallows the rest: what is left of the byte bound,
    /// so that the request body is never read past it.
    pub(crate) fn linger(&self, parts: &Parts) -> Linger {
        let linger = linger_of(parts);
        linger.max_bytes(linger.byte_limit().saturating_sub(self.read))
    }
}

async fn within(mut body: Body, limit: usize) -> Result<Bytes, Remains> {
    let mut content = BytesMut::new();
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(frame) = frame else {
            return Err(Remains {
                body: Body::empty(),
                read: content.len(),
            });
        };
        if let Ok(data) = frame.into_data() {
            content.extend_from_slice(&data);
            if content.len() > limit {
                return Err(Remains {
                    body,
                    read: content.len(),
                });
            }
        }
    }
    Ok(content.freeze())
}

/// The 2xx for a request already applied: 204 with the current validators the 412 would have
/// shown (none when the route hides them; RFC 9110 §13.1.1 notes that a 2xx without them
/// nudges the client to re-read).
pub(crate) fn applied(answer: Answer) -> Response {
    let refused = answer.into_response();
    let mut response = StatusCode::NO_CONTENT.into_response();
    for name in [header::ETAG, header::LAST_MODIFIED] {
        if let Some(value) = refused.headers().get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

/// Runs `check` on the content, within the bounds; whether it says the request is applied.
pub(crate) async fn check<F, Fut>(parts: &Parts, body: Body, check: F) -> Result<bool, Remains>
where
    F: FnOnce(Bytes) -> Fut,
    Fut: Future<Output = bool>,
{
    let content = content(parts, body).await?;
    Ok(check(content).await)
}

#[cfg(test)]
mod tests {
    use http::{Method, Request};

    use super::*;
    use crate::axum::respond::Evaluation;
    use crate::axum::route::Route;
    use crate::rfc::{ETag, Resource};

    fn early(method: Method, headers: &[(&str, &str)], resource: Resource) -> EarlyAnswer {
        let mut request = Request::builder().method(method);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (parts, ()) = request.body(()).unwrap().into_parts();
        let route = Route::new(true, false, true, None, None, false, false);
        match Evaluation::decide(&parts, resource, &route) {
            Err(early) => early,
            Ok(_) => panic!("expected an early answer"),
        }
    }

    #[test]
    fn only_a_false_if_match_or_if_unmodified_since_may_have_been_applied() {
        let current = Resource::existing(Some(ETag::from_version(2)), None);
        type Case<'a> = (&'a [(&'a str, &'a str)], Resource, bool);
        let cases: [Case; 5] = [
            (&[("if-match", r#""1""#)], current.clone(), true),
            (&[("if-match", "1")], current.clone(), false),
            (&[("if-match", r#""1""#)], Resource::missing(), false),
            (&[("if-none-match", "*")], current.clone(), false),
            (&[], current, false),
        ];
        for (headers, resource, expected) in cases {
            let answer = early(Method::PUT, headers, resource);
            assert_eq!(may_be_applied(&answer), expected, "{headers:?}");
        }
    }

    #[test]
    fn the_2xx_carries_the_validators_the_412_would_have_shown() {
        let current = Resource::existing(Some(ETag::from_version(2)), None);
        let answer = early(Method::PUT, &[("if-match", r#""1""#)], current);
        let response = applied(answer.answer);
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(response.headers()[header::ETAG], r#""2""#);
    }

    #[tokio::test]
    async fn content_is_read_only_within_the_byte_bound() {
        let (mut parts, ()) = Request::builder()
            .method(Method::PUT)
            .body(())
            .unwrap()
            .into_parts();
        parts.extensions.insert(Linger::new().max_bytes(4));
        let whole = content(&parts, Body::from("abcd")).await.ok();
        assert_eq!(whole, Some(Bytes::from_static(b"abcd")));
        // Declared longer than the bound: not a byte is read, the refusal swallows within it.
        let Err(over) = content(&parts, Body::from("abcde")).await else {
            panic!("five bytes are over a bound of four");
        };
        assert_eq!(over.read, 0);
        assert_eq!(over.linger(&parts), Linger::new().max_bytes(4));
    }
}

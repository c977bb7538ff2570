//! The representation generation on the responses a rewritten handler finishes (see
//! [`Generation`]): every validator sent carries it, the handler's own included.

use std::time::{Duration, UNIX_EPOCH};

use axum_core::response::IntoResponse;
use http::{Method, Request, StatusCode, header};

use crate::axum::respond::{ConditionalResponse, Evaluation};
use crate::axum::route::Route;
use crate::rfc::{ETag, Generation, LastModified, Resource};

fn finished(method: Method, handler: (StatusCode, &'static str)) -> http::HeaderMap {
    let generation = Generation::new("r2", UNIX_EPOCH + Duration::from_secs(2_000)).unwrap();
    let (mut parts, ()) = Request::builder()
        .method(method)
        .body(())
        .unwrap()
        .into_parts();
    parts.extensions.insert(generation);
    let route = Route::new(false, false, true, None, None, false, false);
    let loaded = Resource::existing(
        Some(ETag::from_version(7)),
        Some(LastModified::from_unix_seconds(1_000)),
    );
    let Ok(evaluation) = Evaluation::decide(&parts, loaded, &route) else {
        panic!("no condition: the handler runs");
    };
    assert_eq!(evaluation.checked_etag(), Some(&ETag::from_version(7)));
    let (status, tag) = handler;
    let output = (status, [(header::ETAG, tag)]);
    ConditionalResponse::ran(output, evaluation, route)
        .into_response()
        .headers()
        .clone()
}

#[test]
fn every_validator_sent_carries_the_generation_and_the_handler_keeps_its_own_tag() {
    // A write's fresh tag, a read's loaded one, and the tag of a 412 the handler answers (a
    // write that lost the race after the preconditions passed).
    for (method, status) in [
        (Method::PUT, StatusCode::OK),
        (Method::GET, StatusCode::OK),
        (Method::PUT, StatusCode::PRECONDITION_FAILED),
    ] {
        let tag = if method == Method::GET {
            r#""7""#
        } else {
            r#""8""#
        };
        let headers = finished(method.clone(), (status, tag));
        let expected = if method == Method::GET {
            r#""7.r2""#
        } else {
            r#""8.r2""#
        };
        assert_eq!(headers[header::ETAG], expected, "{method} {status}");
    }
    let headers = finished(Method::GET, (StatusCode::OK, r#""7""#));
    // The date is never earlier than the generation.
    assert_eq!(
        headers[header::LAST_MODIFIED],
        LastModified::from_unix_seconds(2_000).to_string()
    );
}

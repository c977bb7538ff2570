//! The cases of the `evaluator` bench (`benches/evaluator.rs`) and the baseline it is timed
//! against: the same RFC 9110 §13.2.2 evaluation written on the `headers` crate's typed headers.
//!
//! The bench compares the two on "the same evaluation", so that has to be checked, not claimed:
//! [`disagreements`] runs every case through both and through the status the case states, the
//! bench calls it before timing anything (a disagreement fails the bench), and the unit tests
//! below run it under `cargo test`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum_conditional::{ETag, LastModified, Outcome, Policy, Resource, evaluate};
use headers::HeaderMapExt;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};

/// One request of the bench: its conditional fields, and the status RFC 9110 gives it.
#[derive(Debug)]
pub struct Case {
    /// The name criterion reports it under, e.g. `304/one-tag`.
    pub name: &'static str,
    /// The request method.
    pub method: Method,
    /// The whole header block: five ordinary browser fields and the conditional ones.
    pub headers: HeaderMap,
    /// 200 (the handler runs), 304 or 412.
    pub status: u16,
}

/// The resource every case is evaluated against, as each side describes it: version 42,
/// modified at 2023-11-14T22:13:20Z.
#[derive(Debug)]
pub struct Subject {
    /// axum-conditional's view.
    pub ours: Resource,
    /// The `headers` crate's view of the entity-tag.
    pub etag: headers::ETag,
    /// The modification time, which the `headers` baseline compares with `SystemTime`s.
    pub modified: SystemTime,
}

impl Subject {
    /// The bench's resource.
    ///
    /// # Panics
    ///
    /// Never: the tag is a literal the `headers` crate parses.
    pub fn new() -> Self {
        let modified = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        Subject {
            // Declared strong: the bench's one version is the only one with its date, so an
            // `If-Modified-Since` naming it is a 304 here as in the `headers` crate (a weak date
            // would get the full 200, RFC 9110 §8.8.2.2).
            ours: Resource::existing(
                Some(ETag::from_version(42)),
                Some(LastModified::from_system_time(modified)),
            )
            .with_strong_last_modified(),
            etag: "\"42\"".parse().expect("a valid entity-tag"),
            modified,
        }
    }
}

impl Default for Subject {
    fn default() -> Self {
        Subject::new()
    }
}

/// RFC 9110 §13.2.2 on `headers`' typed headers: what a user of that crate would write.
/// Returns the status: 200 proceed, 304 or 412.
pub fn headers_crate(
    method: &Method,
    headers: &HeaderMap,
    etag: &headers::ETag,
    modified: SystemTime,
) -> u16 {
    let get_or_head = method == Method::GET || method == Method::HEAD;
    if let Some(if_match) = headers.typed_get::<headers::IfMatch>() {
        if !if_match.precondition_passes(etag) {
            return 412;
        }
    } else if let Some(since) = headers.typed_get::<headers::IfUnmodifiedSince>()
        && !since.precondition_passes(modified)
    {
        return 412;
    }
    if let Some(if_none_match) = headers.typed_get::<headers::IfNoneMatch>() {
        if !if_none_match.precondition_passes(etag) {
            return if get_or_head { 304 } else { 412 };
        }
    } else if get_or_head
        && let Some(since) = headers.typed_get::<headers::IfModifiedSince>()
        && !since.is_modified(modified)
    {
        return 304;
    }
    200
}

/// `evaluate`'s outcome as the same three statuses.
pub fn status_of(outcome: Outcome) -> u16 {
    match outcome {
        Outcome::NotModified => 304,
        Outcome::PreconditionFailed(_) => 412,
        _ => 200,
    }
}

/// axum-conditional's answer to a case, with the default policy (as the bench times it).
pub fn ours(case: &Case, subject: &Subject) -> u16 {
    status_of(
        evaluate(
            &case.method,
            &case.headers,
            subject.ours.clone(),
            Policy::new(),
        )
        .outcome(),
    )
}

/// The `headers` baseline's answer to a case.
pub fn theirs(case: &Case, subject: &Subject) -> u16 {
    headers_crate(&case.method, &case.headers, &subject.etag, subject.modified)
}

/// One line per case where either side does not give the status the case states (so also
/// wherever the two sides disagree).
pub fn disagreements(cases: &[Case], subject: &Subject) -> Vec<String> {
    cases
        .iter()
        .filter_map(|case| {
            let (ours, theirs) = (ours(case, subject), theirs(case, subject));
            (ours != case.status || theirs != case.status).then(|| {
                format!(
                    "{}: expected {}, axum-conditional answered {ours}, headers {theirs}",
                    case.name, case.status
                )
            })
        })
        .collect()
}

/// A request's headers: what a browser sends anyway, plus the case's conditional fields.
///
/// # Panics
///
/// If a value is not a valid field value.
pub fn headers_of(pairs: &[(HeaderName, String)]) -> HeaderMap {
    let mut extra = vec![(header::CONNECTION, HeaderValue::from_static("keep-alive"))];
    for (name, value) in pairs {
        extra.push((
            name.clone(),
            HeaderValue::from_str(value).expect("bench header"),
        ));
    }
    crate::scenario::browser_headers(&extra)
}

fn case(
    name: &'static str,
    method: Method,
    field: Option<(HeaderName, String)>,
    status: u16,
) -> Case {
    Case {
        name,
        method,
        headers: headers_of(field.as_slice()),
        status,
    }
}

/// The bench's ten cases, against [`Subject::new`]. The 50-tag lists hold 50 tags, the match
/// (if any) last.
pub fn cases(subject: &Subject) -> Vec<Case> {
    let date = LastModified::from_system_time(subject.modified).to_string();
    let list: Vec<String> = (0..50).map(|i| format!("\"{}\"", 1000 + i)).collect();
    let list_hit = format!("{}, \"42\"", list[..49].join(", "));
    let field = |name: HeaderName, value: &str| Some((name, value.to_owned()));
    vec![
        case("proceed/unconditional", Method::GET, None, 200),
        case(
            "proceed/one-tag",
            Method::GET,
            field(header::IF_NONE_MATCH, "\"41\""),
            200,
        ),
        case(
            "304/one-tag",
            Method::GET,
            field(header::IF_NONE_MATCH, "\"42\""),
            304,
        ),
        case(
            "304/50-tags",
            Method::GET,
            field(header::IF_NONE_MATCH, &list_hit),
            304,
        ),
        case(
            "proceed/50-tags",
            Method::GET,
            field(header::IF_NONE_MATCH, &list.join(", ")),
            200,
        ),
        case(
            "304/date",
            Method::GET,
            field(header::IF_MODIFIED_SINCE, &date),
            304,
        ),
        case(
            "412/if-match",
            Method::PUT,
            field(header::IF_MATCH, "\"41\""),
            412,
        ),
        case(
            "proceed/if-match",
            Method::PUT,
            field(header::IF_MATCH, "\"42\""),
            200,
        ),
        case(
            "412/date",
            Method::PUT,
            field(header::IF_UNMODIFIED_SINCE, "Sun, 06 Nov 1994 08:49:37 GMT"),
            412,
        ),
        case(
            "412/malformed-if-match",
            Method::PUT,
            field(header::IF_MATCH, "42, w/\"42"),
            412,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_baseline_reaches_our_decision_on_every_bench_case() {
        let subject = Subject::new();
        let cases = cases(&subject);
        assert_eq!(cases.len(), 10, "the bench's case table");
        let failures = disagreements(&cases, &subject);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn a_wrong_stated_status_is_reported_as_a_disagreement() {
        // The check above would pass vacuously if `disagreements` never reported anything.
        let subject = Subject::new();
        let mut cases = cases(&subject);
        cases.retain(|case| case.name == "304/one-tag");
        cases[0].status = 200;
        assert_eq!(
            disagreements(&cases, &subject),
            ["304/one-tag: expected 200, axum-conditional answered 304, headers 304"]
        );
    }
}

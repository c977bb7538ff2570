//! What a handler rewritten by `#[conditional]` sees and returns: the [`Evaluation`] its body
//! can bind, and the [`ConditionalResponse`] response wrapper.

use std::fmt;

use axum_core::response::{IntoResponse, Response};
#[cfg(test)]
use http::HeaderMap;
use http::header::Entry;
use http::{Method, header};

use crate::axum::ranged::RangeRequest;
pub use crate::axum::route::Route;
use crate::observe::{Asked, Got};
use crate::rfc::answer::Answer;
use crate::rfc::decision::Decision;
use crate::rfc::evaluate::evaluate_fields;
use crate::rfc::problem::PreconditionFailed;
use crate::rfc::{
    ContentCoding, ETag, Failure, Generation, LastModified, Outcome, RangeDecision, Resource,
};

/// The result of the precondition check of a request that goes on to the handler: the
/// resource's validators as they were loaded, and what the evaluator decided.
///
/// `#[conditional(…, bind = ev)]` makes `ev: &Evaluation` available in the handler body. A
/// write handler uses it to make its write atomic with the version the client based its change
/// on, and answers the same 412 as the early check when the row changed in between:
///
/// ```
/// use axum::extract::Path;
/// use axum::response::{IntoResponse, Response};
/// use axum_conditional::problem::PreconditionFailed;
/// use axum_conditional::{ETag, Failure, Resource, conditional};
///
/// # struct Db;
/// # impl Db {
/// #     async fn version(&self, _id: u64) -> Option<u64> { Some(7) }
/// #     async fn update(&self, _id: u64, _version: Option<u64>, _doc: &str) -> u64 { 0 }
/// # }
/// # static DB: Db = Db;
/// #[conditional(etag = DB.version(id).await.map(ETag::from_version), require = true, bind = ev)]
/// async fn put_doc(Path(id): Path<u64>, doc: String) -> Response {
///     // `UPDATE documents SET body = ?, version = version + 1 WHERE id = ? AND version = ?`,
///     // against the version the preconditions were checked against, whichever passed.
///     let expected = ev.checked_etag().and_then(ETag::version);
///     let changed = DB.update(id, expected, &doc).await;
///     if changed == 0 {
///         // Someone else wrote between the check and the write: same answer as the check.
///         let now = Resource::existing(DB.version(id).await.map(ETag::from_version), None);
///         return PreconditionFailed::new(Failure::changed_during_request())
///             .with_current(&now)
///             .into_response();
///     }
///     // Fresh validators describe the new state (RFC 9110 §9.3.4).
///     let version = DB.version(id).await.unwrap_or_default();
///     (ETag::from_version(version), "stored").into_response()
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::put(put_doc);
/// ```
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The evaluator's decision, with the resource it was made against.
    decision: Decision,
    get_or_head: bool,
    /// The `Range` to serve, on a route with `ranges = true` whose preconditions let it be
    /// honoured; `None` otherwise (also when it was sent as several field lines, which
    /// `range::select` would ignore anyway).
    range: Option<RangeRequest>,
    /// Who asked, for the outcome event recorded once the answer is known (when anyone
    /// listens).
    asked: Option<Asked>,
    /// The application's representation generation, when a layer set one: every validator
    /// sent carries it (see [`Generation`]), and `loaded` is the tag as the handler knows it.
    generation: Option<Box<(Generation, Option<ETag>)>>,
}

impl Evaluation {
    /// The resource as the validator expressions loaded it, before the handler ran, with the
    /// coding negotiated for the request ([`Resource::coding`]).
    pub fn resource(&self) -> &Resource {
        self.decision.resource()
    }

    /// What the evaluator decided: [`Outcome::Proceed`], or [`Outcome::Deferred`] for a
    /// `GET`/`HEAD` of a missing resource whose `If-Match` failed (a 2xx response from the
    /// handler is then replaced by the 412).
    pub fn outcome(&self) -> Outcome {
        self.decision.outcome()
    }

    /// Whether a `Range` request may be served partially (RFC 9110 §13.1.5). A route with
    /// `ranges = true` serves the range itself when this is [`RangeDecision::Honour`].
    pub fn range(&self) -> RangeDecision {
        self.decision.range()
    }

    /// The entity-tag the preconditions were checked against: the one the validators loaded,
    /// whichever condition passed (`If-Match` by a tag or by `*`, `If-Unmodified-Since`,
    /// `If-None-Match`) or none was sent. `None` when the resource has no entity-tag, or does
    /// not exist (a create).
    ///
    /// Make the write conditional on exactly this version (`UPDATE … WHERE version = ?`, or an
    /// insert that fails if the row exists when it is `None`): that is what makes the check and
    /// the write one atomic step for every precondition, and for none. `ETag::version` turns a
    /// tag made by `ETag::from_version` back into the number.
    ///
    /// Under a representation [`Generation`] it is the tag as the validator expression gave it,
    /// without the generation the client's tag carried.
    pub fn checked_etag(&self) -> Option<&ETag> {
        match &self.generation {
            Some(generation) => generation.1.as_ref(),
            None => self.decision.resource().etag(),
        }
    }

    /// The 412 a write answers when its atomic write finds that the resource changed after
    /// the preconditions passed ([`Failure::changed_during_request`]), showing `current` (the
    /// state it found) as the evaluator's own 412s do: in the coding negotiated for the
    /// request, unless the route hides its validators.
    pub fn changed_during_request(&self, current: Resource) -> PreconditionFailed {
        let refusal = PreconditionFailed::new(Failure::changed_during_request());
        if !self.decision.policy().exposes_validators() {
            return refusal;
        }
        let current = match &self.generation {
            Some(generation) => generation.0.resource(current),
            None => current,
        };
        refusal.with_current(&current.with_coding(self.decision.resource().coding()))
    }

    /// Evaluates the request against `resource`; `Err` holds the 304, 412 or 428 to answer in
    /// place of the handler.
    #[cfg(test)]
    #[allow(
        clippy::result_large_err,
        reason = "a `Response` is passed by value everywhere in axum; boxing it would allocate"
    )]
    pub(crate) fn new(
        method: &Method,
        headers: &HeaderMap,
        resource: Resource,
        route: &Route,
    ) -> Result<Self, Response> {
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.method = method.clone();
        parts.headers = headers.clone();
        Self::decide(&parts, resource, route).map_err(|early| early.answer.into_response())
    }

    /// For a request, what happens next: the evaluation the handler runs with, or (`Err`) the
    /// 304, 412 or 428 to answer in its place. The one place that decides it, from the one
    /// decision of the evaluator.
    #[allow(
        clippy::result_large_err,
        reason = "both sides move on by value at once; boxing either would allocate per request"
    )]
    pub(crate) fn decide(
        parts: &http::request::Parts,
        resource: Resource,
        route: &Route,
    ) -> Result<Self, EarlyAnswer> {
        let (method, headers) = (&parts.method, &parts.headers);
        let resource = if route.strong_last_modified {
            resource.with_strong_last_modified()
        } else {
            resource
        };
        // RFC 9110 §8.8.3: the same data rendered by another generation is another
        // representation, so every validator compared and sent is this generation's.
        let (resource, generation) = match Generation::of(&parts.extensions) {
            Some(generation) => {
                let loaded = resource.etag().cloned();
                let sent = generation.resource(resource);
                (sent, Some(Box::new((generation.clone(), loaded))))
            }
            None => (resource, None),
        };
        let resource = resource.with_coding(ContentCoding::of(&parts.extensions));
        let decision = evaluate_fields(method, headers, resource, route.policy);
        let asked = Asked::of(parts);
        // The declared cache headers are statics: building them copies four words each.
        let decision = match decision.into_answer(route.cache()) {
            Ok(answer) => {
                return Err(EarlyAnswer {
                    answer,
                    asked,
                    exposes_validators: route.policy.exposes_validators(),
                });
            }
            Err(decision) => decision,
        };
        let range = match decision.range() {
            RangeDecision::Honour if route.ranges => RangeRequest::of(headers),
            _ => None,
        };
        Ok(Self {
            decision,
            get_or_head: matches!(*method, Method::GET | Method::HEAD),
            range,
            asked,
            generation,
        })
    }

    /// Step 5 of the rewritten handler, on the handler's response.
    fn finish(self, mut response: Response, route: &Route) -> Response {
        if response.status() == http::StatusCode::PRECONDITION_FAILED
            && let Some(generation) = &self.generation
        {
            // The handler's own 412 (a write that lost the race to another after the
            // preconditions passed) shows the current validators: this generation's.
            in_generation(response.headers_mut(), &generation.0);
        }
        if !response.status().is_success() {
            // Non-2xx responses are the handler's own (404, 400, …): preconditions do not
            // apply to them (RFC 9110 §13.2.1) and its validators would describe nothing.
            return response;
        }
        if let Some(refusal) = self.decision.settle(response.status()) {
            // A read of a missing resource with a failed If-Match, and the handler answered
            // 2xx after all: the precondition applies (`Outcome::settle` decides).
            return refusal.into_response();
        }
        if let Some(generation) = &self.generation {
            // The handler's own validators (a write's fresh tag, a read's tag of what it
            // read) are sent as this generation's, like the loaded ones.
            in_generation(response.headers_mut(), &generation.0);
        }
        if !self.get_or_head {
            // RFC 9110 §9.3.4: validators loaded before a change must not describe its result;
            // the handler returns fresh ones itself.
            return response;
        }
        let headers = response.headers_mut();
        // Moved, not cloned: the evaluation ends here. The identity tag: a compressing layer
        // codes the tag of a 2xx itself, with the coding it negotiated (`crate::rfc::coding`).
        let (etag, last_modified) = self.decision.into_resource().into_validators();
        if let Some(etag) = etag {
            // One lookup, not a `get` then an `insert`.
            match headers.entry(header::ETAG) {
                Entry::Occupied(own) => check_handler_etag(own.get(), &etag),
                Entry::Vacant(slot) => {
                    slot.insert(etag.into());
                }
            }
        }
        if let Some(date) = last_modified {
            headers
                .entry(header::LAST_MODIFIED)
                .or_insert_with(|| date.into());
        }
        // An empty `CacheHeaders` would be built, walked and dropped for nothing. With the one
        // lookup above: 425 instructions per 200 before, 337 after, over HTTP (BENCHMARKS.md
        // item 6).
        if route.declares_cache_headers() {
            route.cache().fill_missing(headers);
        }
        if route.ranges {
            return crate::axum::ranged::serve(response, self.range.as_ref());
        }
        response
    }
}

/// Rewrites the `ETag` and `Last-Modified` a handler set into `generation`'s (see
/// [`Generation`]). A value that is not a valid tag or date is left as it is.
fn in_generation(headers: &mut http::HeaderMap, generation: &Generation) {
    if let Some(value) = headers.get_mut(header::ETAG)
        && let Ok(tag) = ETag::parse(value.as_bytes())
    {
        *value = generation.etag(&tag).into();
    }
    if let Some(value) = headers.get_mut(header::LAST_MODIFIED)
        && let Some(date) = LastModified::parse(value.as_bytes())
    {
        *value = generation.last_modified(date).into();
    }
}

/// The 304, 412 or 428 the preconditions answer in place of the handler, with who asked.
pub struct EarlyAnswer {
    pub(crate) answer: Answer,
    pub(crate) asked: Option<Asked>,
    pub(crate) exposes_validators: bool,
}

impl EarlyAnswer {
    /// The response.
    pub fn into_response(self) -> Response {
        self.answer.into_response()
    }
}

impl std::fmt::Debug for EarlyAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EarlyAnswer")
            .field("status", &self.answer.status())
            .finish_non_exhaustive()
    }
}

/// Reports a handler's own `ETag` on a 2xx `GET`/`HEAD` response that the validator's tag does
/// not match: clients revalidate with the tag the 200 carried, and `If-None-Match` compares it
/// with the validator's (weakly, RFC 9110 §13.1.2), so a route whose handler formats its tag
/// another way (`"v7"` where the validator says `"7"`) never answers 304.
///
/// A tag that differs only because the resource changed between the validator and the
/// handler's own read is legitimate, and the next request revalidates against the new version.
/// So the event is a `WARN` (target `axum_conditional`), worded for both causes, except when
/// both tags are [`ETag::from_version`] numbers and the handler's is the newer: that is the
/// race, and only a `DEBUG` event.
fn check_handler_etag(own: &http::HeaderValue, loaded: &ETag) {
    let parsed = ETag::try_from(own).ok();
    if parsed.as_ref().is_some_and(|tag| tag.weak_eq(loaded)) {
        return;
    }
    let handler_etag = String::from_utf8_lossy(own.as_bytes());
    let newer = parsed
        .as_ref()
        .and_then(ETag::version)
        .zip(loaded.version())
        .is_some_and(|(sent, read)| sent > read);
    if newer {
        tracing::debug!(
            %handler_etag,
            validator_etag = %loaded,
            "the handler's ETag is a newer version than the validator loaded: the resource \
             changed while the request ran"
        );
    } else {
        tracing::warn!(
            %handler_etag,
            validator_etag = %loaded,
            "the handler's ETag does not match the validator's, so a client revalidating \
             with it gets no 304 from this route; if this repeats, make `etag = …` build the \
             tag the handler sends (a single one is a change between the two reads)"
        );
    }
}

/// The return type of a handler rewritten by `#[conditional]`: either the answer the runtime
/// gave in place of the handler (304, 412, 428, or the rejection of an extractor or validator),
/// or the handler's own output `R`, finished as the attribute documents.
///
/// Its [`IntoResponse`] adds, to a 2xx response to `GET` or `HEAD`, the `ETag` and
/// `Last-Modified` the validators loaded (unless the handler set them) and the declared
/// `cache_control` and `vary` (a `Vary` the handler set is merged with the declared one, each
/// member once). Responses to other methods are left alone (RFC 9110 §9.3.4), and so are
/// non-2xx responses.
///
/// A handler that sets its own `ETag` on such a response should send the validator's tag,
/// weak or strong: clients revalidate with the tag they received, and it is compared with the
/// validator's. When the two do not match (weakly, RFC 9110 §13.1.2), a `tracing` event with
/// target `axum_conditional` names both (`handler_etag`, `validator_etag`): a `WARN`, since on
/// every request it means the route can never answer 304, and once in a while it means the
/// resource changed between the validator's read and the handler's; or a `DEBUG` when both
/// are [`ETag::from_version`] tags and the handler's is the newer version, which is only that
/// race.
///
/// A unit test that calls a rewritten handler directly gets a `ConditionalResponse`; use
/// [`ConditionalResponse::into_inner`] to look at the handler's output.
#[must_use = "a `ConditionalResponse` does nothing until it is turned into a response"]
pub struct ConditionalResponse<R> {
    inner: Inner<R>,
}

enum Inner<R> {
    /// Answered in place of the handler; `early` says who asked and how, when the preconditions
    /// gave the answer (a rejection or a validator's error is not an evaluated request).
    Answered {
        response: Response,
        early: Option<EarlyAnswerRecord>,
    },
    Ran {
        output: R,
        evaluation: Evaluation,
        route: Route,
    },
}

impl<R> ConditionalResponse<R> {
    /// An answer given before the preconditions were evaluated (a rejection, a validator's
    /// error): no outcome to record.
    pub(crate) fn answered(response: Response) -> Self {
        Self {
            inner: Inner::Answered {
                response,
                early: None,
            },
        }
    }

    /// The preconditions' answer in place of the handler.
    pub(crate) fn refused(response: Response, answer: EarlyAnswerRecord) -> Self {
        Self {
            inner: Inner::Answered {
                response,
                early: Some(answer),
            },
        }
    }

    pub(crate) fn ran(output: R, evaluation: Evaluation, route: Route) -> Self {
        Self {
            inner: Inner::Ran {
                output,
                evaluation,
                route,
            },
        }
    }

    /// The handler's output, or (`Err`) the response given in place of the handler when it did
    /// not run: a 304, 412 or 428, or the rejection of an extractor or a validator.
    ///
    /// # Errors
    ///
    /// The response that answered the request before the handler body ran.
    #[allow(
        clippy::result_large_err,
        reason = "a `Response` is passed by value everywhere in axum; boxing it would allocate"
    )]
    pub fn into_inner(self) -> Result<R, Response> {
        match self.inner {
            Inner::Answered { response, .. } => Err(response),
            Inner::Ran { output, .. } => Ok(output),
        }
    }
}

/// What [`ConditionalResponse::refused`] records: who asked, how, and whether the route shows
/// its validators.
pub(crate) type EarlyAnswerRecord = (Option<Asked>, Got, bool);

impl<R: IntoResponse> IntoResponse for ConditionalResponse<R> {
    fn into_response(self) -> Response {
        match self.inner {
            Inner::Answered { response, early } => {
                if let Some((Some(asked), got, exposes)) = early {
                    crate::observe::record(&asked, &response, got, exposes);
                }
                response
            }
            Inner::Ran {
                output,
                mut evaluation,
                route,
            } => {
                let asked = evaluation.asked.take();
                let response = evaluation.finish(output.into_response(), &route);
                if let Some(asked) = asked {
                    crate::observe::record(
                        &asked,
                        &response,
                        Got::Ran,
                        route.policy.exposes_validators(),
                    );
                }
                response
            }
        }
    }
}

impl<R: fmt::Debug> fmt::Debug for ConditionalResponse<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Answered { response, .. } => f
                .debug_tuple("ConditionalResponse::Answered")
                .field(&response.status())
                .finish(),
            Inner::Ran {
                output, evaluation, ..
            } => f
                .debug_struct("ConditionalResponse::Ran")
                .field("output", output)
                .field("evaluation", evaluation)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderValue, StatusCode};

    use super::*;
    use crate::rfc::LastModified;

    const ROUTE: Route = Route::new(
        false,
        false,
        true,
        Some("max-age=60"),
        Some("accept"),
        false,
        false,
    );

    fn request(method: Method, if_match: Option<&'static str>) -> (Method, HeaderMap) {
        let mut headers = HeaderMap::new();
        if let Some(value) = if_match {
            headers.insert(header::IF_MATCH, HeaderValue::from_static(value));
        }
        (method, headers)
    }

    fn v(n: u64) -> Resource {
        Resource::existing(
            Some(ETag::from_version(n)),
            Some(LastModified::from_unix_seconds(0)),
        )
    }

    fn evaluation(
        method: Method,
        if_match: Option<&'static str>,
        resource: Resource,
    ) -> Evaluation {
        let (method, headers) = request(method, if_match);
        match Evaluation::new(&method, &headers, resource, &ROUTE) {
            Ok(evaluation) => evaluation,
            Err(response) => panic!("expected to proceed, got {}", response.status()),
        }
    }

    #[test]
    fn checked_etag_is_the_loaded_tag_whichever_condition_passed() {
        let loaded = Some(&ETag::from_version(7));
        for if_match in [Some(r#""6", "7""#), Some("*"), None] {
            let ev = evaluation(Method::PUT, if_match, v(7));
            assert_eq!(ev.checked_etag(), loaded, "{if_match:?}");
        }
        let (method, mut headers) = request(Method::PUT, None);
        // A second after the last modification: the date of a weak `Last-Modified` itself
        // would be refused (it may stand for two versions, RFC 9110 §8.8.2.2).
        headers.insert(
            header::IF_UNMODIFIED_SINCE,
            HeaderValue::from_static("Thu, 01 Jan 1970 00:00:01 GMT"),
        );
        let ev = Evaluation::new(&method, &headers, v(7), &ROUTE).map_err(|r| r.status());
        assert_eq!(ev.map(|ev| ev.checked_etag().cloned()), Ok(loaded.cloned()));
        let create = evaluation(Method::PUT, None, Resource::missing());
        assert_eq!(create.checked_etag(), None);
    }

    #[test]
    fn failed_if_match_answers_412_before_the_handler() {
        let (method, headers) = request(Method::PUT, Some(r#""6""#));
        let answer = Evaluation::new(&method, &headers, v(7), &ROUTE).map(|_| ());
        let status = answer.err().map(|response| response.status());
        assert_eq!(status, Some(StatusCode::PRECONDITION_FAILED));
    }

    #[test]
    fn get_2xx_gets_validators_and_cache_headers() {
        let ev = evaluation(Method::GET, None, v(7));
        let response = ConditionalResponse::ran("body", ev, ROUTE).into_response();
        assert_eq!(response.headers()["etag"], r#""7""#);
        assert_eq!(
            response.headers()["last-modified"],
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert_eq!(response.headers()["cache-control"], "max-age=60");
        assert_eq!(response.headers()["vary"], "accept");
    }

    #[test]
    fn handler_validators_and_cache_headers_win() {
        let ev = evaluation(Method::GET, None, v(7));
        let output = (
            ETag::from_version(8),
            [(header::CACHE_CONTROL, "no-store")],
            "body",
        );
        let response = ConditionalResponse::ran(output, ev, ROUTE).into_response();
        assert_eq!(response.headers()["etag"], r#""8""#);
        assert_eq!(response.headers()["cache-control"], "no-store");
    }

    #[test]
    fn put_2xx_gets_no_stale_validators_nor_cache_headers() {
        let ev = evaluation(Method::PUT, Some(r#""7""#), v(7));
        let response = ConditionalResponse::ran("stored", ev, ROUTE).into_response();
        assert!(response.headers().get("etag").is_none());
        assert!(response.headers().get("last-modified").is_none());
        assert!(response.headers().get("cache-control").is_none());
    }

    #[test]
    fn non_2xx_get_is_left_alone() {
        let ev = evaluation(Method::GET, None, v(7));
        let response = ConditionalResponse::ran(StatusCode::NOT_FOUND, ev, ROUTE).into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(response.headers().get("etag").is_none());
    }

    #[test]
    fn deferred_failure_keeps_a_404_and_replaces_a_200_with_412() {
        let ev = evaluation(Method::GET, Some(r#""7""#), Resource::missing());
        assert!(matches!(ev.outcome(), Outcome::Deferred(_)));
        let kept =
            ConditionalResponse::ran(StatusCode::NOT_FOUND, ev.clone(), ROUTE).into_response();
        assert_eq!(kept.status(), StatusCode::NOT_FOUND);
        let replaced = ConditionalResponse::ran("found after all", ev, ROUTE).into_response();
        assert_eq!(replaced.status(), StatusCode::PRECONDITION_FAILED);
    }

    #[test]
    fn into_inner_gives_the_output_or_the_early_answer() {
        let ev = evaluation(Method::GET, None, v(1));
        assert_eq!(
            ConditionalResponse::ran(5, ev, ROUTE).into_inner().ok(),
            Some(5)
        );
        let early = ConditionalResponse::<u8>::answered(StatusCode::NOT_MODIFIED.into_response());
        let status = early.into_inner().err().map(|response| response.status());
        assert_eq!(status, Some(StatusCode::NOT_MODIFIED));
    }

    /// The 304 of the macro's path is the hand-written path's (`evaluate`, then
    /// `Decision::into_answer`): same status, same headers, and for `HEAD` a body of no stated
    /// length.
    #[test]
    fn early_304_is_the_answer_not_modified_response() {
        let routes = [
            Route::new(false, false, true, None, None, false, false),
            ROUTE,
            Route::new(
                false,
                false,
                true,
                None,
                Some("accept-encoding"),
                false,
                false,
            ),
        ];
        let date = LastModified::from_unix_seconds(0);
        let resources = [
            Resource::existing(Some(ETag::from_version(7)), Some(date)),
            Resource::existing(Some(ETag::from_version(7)), None),
            Resource::existing(None, Some(date)),
        ];
        for route in &routes {
            for resource in &resources {
                for method in [Method::GET, Method::HEAD] {
                    let mut headers = HeaderMap::new();
                    if resource.etag().is_some() {
                        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(r#""7""#));
                    } else {
                        // Later than the (weak) date: a 304 whatever its strength.
                        headers.insert(
                            header::IF_MODIFIED_SINCE,
                            HeaderValue::from_static("Thu, 01 Jan 1970 00:00:01 GMT"),
                        );
                    }
                    let decision =
                        crate::rfc::evaluate(&method, &headers, resource.clone(), route.policy);
                    assert_eq!(decision, Outcome::NotModified);
                    let Ok(answer) = decision.into_answer(route.cache()) else {
                        panic!("a 304 is an answer");
                    };
                    let expected = answer.into_response();
                    let Err(early) = Evaluation::new(&method, &headers, resource.clone(), route)
                    else {
                        panic!("expected a 304 for {method} {resource:?}");
                    };
                    let case = format!("{method} {resource:?} {route:?}");
                    assert_eq!(early.status(), StatusCode::NOT_MODIFIED, "{case}");
                    assert_eq!(early.headers(), expected.headers(), "{case}");
                    assert_eq!(
                        http_body::Body::size_hint(early.body()).exact(),
                        http_body::Body::size_hint(expected.body()).exact(),
                        "{case}"
                    );
                }
            }
        }
    }
}

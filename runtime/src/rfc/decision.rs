//! The evaluator's one answer: the [`Outcome`] with everything its response needs.

use http::{HeaderValue, StatusCode};

use crate::rfc::answer::{Answer, CacheHeaders, NotModified};
use crate::rfc::problem::{PreconditionFailed, PreconditionRequired};
use crate::rfc::{ETag, Failure, Outcome, Policy, RangeDecision, Resource};

/// What [`evaluate`](crate::rfc::evaluate) decided for one request, with everything the response
/// needs: the [`Outcome`], the resource it was decided against (with the selected
/// representation's tag, in the coding negotiated for the request), the route's [`Policy`], and
/// what the client sent in a condition that failed.
///
/// One value, one way out: [`Decision::into_answer`] builds the 304, 412 or 428 from it, the
/// same way for `#[conditional]` and for a hand-written handler, and nothing evaluates or parses
/// a field again.
///
/// ```
/// use axum_conditional::answer::CacheHeaders;
/// use axum_conditional::{evaluate, ETag, Policy, Resource};
/// use http::{HeaderMap, HeaderValue, Method, header};
///
/// // A client holding version 6 tries to overwrite version 7.
/// let current = Resource::existing(Some(ETag::from_version(7)), None);
/// let mut headers = HeaderMap::new();
/// headers.insert(header::IF_MATCH, HeaderValue::from_static(r#""6""#));
///
/// let decision = evaluate(&Method::PUT, &headers, current, Policy::new());
/// let answer = match decision.into_answer(CacheHeaders::new()) {
///     Ok(answer) => answer,
///     Err(_proceed) => unreachable!("version 6 is stale"),
/// };
/// let response: http::Response<String> = answer.into_http_response();
/// assert_eq!(response.status(), 412);
/// assert_eq!(response.headers()["etag"], r#""7""#);
/// assert!(response.body().contains(r#""sent":"\"6\"""#));
/// ```
#[must_use = "a decision other than `Proceed` must be answered in place of the handler"]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    outcome: Outcome,
    resource: Resource,
    policy: Policy,
    /// The method is `HEAD`: its 304 states no length (see `Answer`'s axum response).
    head: bool,
    sent: SentValues,
}

impl Decision {
    pub(crate) fn new(
        outcome: Outcome,
        resource: Resource,
        policy: Policy,
        head: bool,
        sent: SentValues,
    ) -> Self {
        Self {
            outcome,
            resource,
            policy,
            head,
            sent,
        }
    }

    /// The outcome (RFC 9110 §13.2.2).
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// Whether the handler should run: [`Outcome::Proceed`], or [`Outcome::Deferred`].
    pub fn runs_handler(&self) -> bool {
        self.outcome.runs_handler()
    }

    /// Whether a `Range` may be served partially (RFC 9110 §13.1.5).
    pub fn range(&self) -> RangeDecision {
        match self.outcome {
            Outcome::Proceed { range } => range,
            _ => RangeDecision::NotRequested,
        }
    }

    /// The resource the request was evaluated against, as the validators loaded it.
    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    /// Takes the resource out.
    pub fn into_resource(self) -> Resource {
        self.resource
    }

    /// The route's policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The entity-tag of the representation selected for the request, which a 304 or 412
    /// carries (and the 200 of a `GET` with the same `Accept-Encoding`): see
    /// [`Resource::selected_etag`].
    pub fn etag(&self) -> Option<ETag> {
        self.resource.selected_etag()
    }

    /// The answer in place of the handler: the 304, 412 or 428 of the outcome, or `Err` with
    /// the decision itself when the handler runs ([`Outcome::Proceed`], [`Outcome::Deferred`]).
    ///
    /// - The 304 carries the selected representation's tag, the `Last-Modified` when there is
    ///   no tag, and `cache` (the `Cache-Control`, `Vary`, `Expires` and `Content-Location`
    ///   the 200 carries, RFC 9110 §15.4.5), whichever condition produced it.
    /// - The 412 carries the selected representation's validators (the ones a `GET` with the
    ///   same `Accept-Encoding` gets, so the client can re-read and retry) and, in its body,
    ///   what the client sent in the failed field, unless the policy hides validators
    ///   ([`Policy::expose_validators`]).
    /// - The 428 says what to send.
    ///
    /// # Errors
    ///
    /// The decision itself, when the handler runs.
    #[allow(
        clippy::result_large_err,
        reason = "the decision is handed back whole, to run the handler with; boxing it would \
                  allocate on every request that passes"
    )]
    pub fn into_answer(self, cache: CacheHeaders) -> Result<Answer, Decision> {
        match self.outcome {
            Outcome::NotModified => {
                let (etag, last_modified) = self.resource.into_selected_validators();
                Ok(Answer::NotModified(NotModified::from_parts(
                    etag,
                    last_modified,
                    cache,
                    self.head,
                )))
            }
            Outcome::PreconditionFailed(failure) => Ok(Answer::PreconditionFailed(refusal(
                failure,
                &self.resource,
                self.policy,
                &self.sent,
            ))),
            Outcome::PreconditionRequired(requirement) => Ok(Answer::PreconditionRequired(
                PreconditionRequired::new(requirement),
            )),
            _ => Err(self),
        }
    }

    /// After the handler ran with status `status`: the 412 to answer in its place, for an
    /// [`Outcome::Deferred`] decision and a 2xx status (see [`Outcome::settle`]).
    pub fn settle(&self, status: StatusCode) -> Option<PreconditionFailed> {
        let failure = self.outcome.settle(status)?;
        Some(refusal(failure, &self.resource, self.policy, &self.sent))
    }
}

/// A decision compares equal to its outcome, so that tests and matches read as the RFC does.
impl PartialEq<Outcome> for Decision {
    fn eq(&self, outcome: &Outcome) -> bool {
        self.outcome == *outcome
    }
}

impl PartialEq<Decision> for Outcome {
    fn eq(&self, decision: &Decision) -> bool {
        *self == decision.outcome
    }
}

/// The 412 for `failure`: the one way a refusal is built, for the evaluator's early answer and
/// for a deferred one.
fn refusal(
    failure: Failure,
    resource: &Resource,
    policy: Policy,
    sent: &SentValues,
) -> PreconditionFailed {
    let answer = PreconditionFailed::new(failure);
    if policy.exposes_validators() {
        answer
            .with_current(resource)
            .with_sent_lines(sent.iter(), sent.more)
    } else {
        answer
    }
}

/// The field of the condition that failed, kept for the 412's body: its first two lines (a
/// clone of a value received from the network is a reference count, so keeping them allocates
/// nothing), and whether more followed, which the body marks with `…`. Clients send one line;
/// a list split over lines is rarely split further.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SentValues {
    lines: [Option<HeaderValue>; 2],
    more: bool,
}

impl SentValues {
    pub(crate) fn of<'a>(mut values: impl Iterator<Item = &'a HeaderValue>) -> Self {
        SentValues {
            lines: [values.next().cloned(), values.next().cloned()],
            more: values.next().is_some(),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &HeaderValue> {
        self.lines.iter().flatten()
    }
}

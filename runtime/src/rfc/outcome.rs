//! What the evaluator decides, named after RFC 9110.

use std::fmt;

use http::HeaderName;
use http::header;

/// The evaluator's decision for one request (RFC 9110 §13.2.2).
#[must_use = "an outcome other than `Proceed` must be answered in place of the handler"]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Every precondition passed or was ignored: perform the method.
    Proceed {
        /// Whether a `Range` header may be honoured (RFC 9110 §13.1.5, step 5 of §13.2.2).
        range: RangeDecision,
    },
    /// The resource has no current representation, the method is `GET` or `HEAD`, and a
    /// condition failed.
    ///
    /// RFC 9110 §13.2.1 says preconditions are ignored when the response without them would
    /// not be 2xx, which for a missing resource is normally a 404. So: run the handler, keep a
    /// non-2xx response, and replace a 2xx one with the 412 for this failure (see
    /// [`Outcome::settle`]). A read changes nothing, so running it first is harmless. An
    /// unsafe method is never deferred: its handler could act (an audit row, a cascade, a
    /// resource created in the meantime), and §13.1.1 says the server MUST NOT perform the
    /// method when the condition is false, so it gets [`Outcome::PreconditionFailed`].
    Deferred(Failure),
    /// 304 Not Modified: `If-None-Match` or `If-Modified-Since` found the client's copy current
    /// on a `GET` or `HEAD` (RFC 9110 §13.1.2–3).
    NotModified,
    /// 412 Precondition Failed: do not perform the method (RFC 9110 §13.1.1–2, §13.1.4).
    PreconditionFailed(Failure),
    /// 428 Precondition Required (RFC 6585 §3): the policy demands a condition on unsafe
    /// methods and the request carried none that would be evaluated.
    PreconditionRequired(Requirement),
}

impl Outcome {
    /// Whether the handler should run (`Proceed`, or `Deferred` whose final answer depends on
    /// the handler's status).
    pub fn runs_handler(&self) -> bool {
        matches!(self, Outcome::Proceed { .. } | Outcome::Deferred(_))
    }

    /// After the handler ran, the failure to answer instead of its response: `Some` only for
    /// [`Outcome::Deferred`] when the handler's status is 2xx.
    ///
    /// ```
    /// use axum_conditional::{evaluate, Outcome, Policy, Resource};
    /// use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(header::IF_MATCH, HeaderValue::from_static("*"));
    /// let outcome = evaluate(&Method::GET, &headers, Resource::missing(), Policy::new()).outcome();
    ///
    /// assert!(outcome.runs_handler());
    /// assert_eq!(outcome.settle(StatusCode::NOT_FOUND), None);
    /// assert!(outcome.settle(StatusCode::OK).is_some());
    /// ```
    pub fn settle(&self, status: http::StatusCode) -> Option<Failure> {
        match self {
            Outcome::Deferred(failure) if status.is_success() => Some(*failure),
            _ => None,
        }
    }
}

/// Whether a `Range` request may be served partially (RFC 9110 §13.1.5, §14.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RangeDecision {
    /// No `Range` to consider: none was sent, or the method is neither `GET` (the only method
    /// for which RFC 9110 §14.2 defines range handling) nor `HEAD` (which sends the header
    /// fields `GET` would, §9.3.2).
    NotRequested,
    /// A `Range` was sent and either no `If-Range` came with it or `If-Range` matched: a range
    /// may be served (206) if the handler supports it.
    Honour,
    /// `If-Range` did not match: ignore `Range` and send the whole representation (200).
    Ignore,
}

impl RangeDecision {
    /// Whether the handler may answer with a partial representation.
    pub fn may_send_partial(self) -> bool {
        self == RangeDecision::Honour
    }
}

/// Which condition failed and why: the content of a 412.
///
/// Build one yourself when an atomic write finds that the version changed after the early
/// check passed; see [`PreconditionFailed`](crate::rfc::problem::PreconditionFailed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Failure {
    condition: ConditionHeader,
    reason: Reason,
}

impl Failure {
    /// A failure of `condition` for `reason`.
    pub const fn new(condition: ConditionHeader, reason: Reason) -> Self {
        Self { condition, reason }
    }

    /// The failure an atomic write reports when the stored version changed between the early
    /// check and the write: `If-Match`, [`Reason::ChangedDuringRequest`].
    pub const fn changed_during_request() -> Self {
        Self::new(ConditionHeader::IfMatch, Reason::ChangedDuringRequest)
    }

    /// The condition that was false.
    pub const fn condition(&self) -> ConditionHeader {
        self.condition
    }

    /// Why it was false.
    pub const fn reason(&self) -> Reason {
        self.reason
    }
}

impl fmt::Display for Failure {
    /// A sentence naming the header and the fact, as used in the `detail` of a 412 body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = self.condition.as_str();
        let fact = match (self.condition, self.reason) {
            (ConditionHeader::IfNoneMatch, Reason::Matched) => {
                "matches the current representation, so the request was not applied \
                 (for a create-only request, the resource already exists)"
            }
            (_, Reason::Mismatch) => {
                "lists no entity-tag that matches the resource's current one; read the \
                 resource again and retry with its current validators"
            }
            (_, Reason::WeakTag) => {
                "lists the current entity-tag only as a weak tag (W/\"…\"), and a weak tag never \
                 satisfies If-Match here: it is compared strongly (RFC 9110 §13.1.1); send the \
                 strong tag from the ETag header (a proxy that compresses responses may have \
                 weakened it)"
            }
            (_, Reason::Malformed) => {
                "is malformed: entity-tags are quoted, as in \"v7\" or W/\"v7\", or the value is *"
            }
            (_, Reason::NoCurrentRepresentation) => {
                "requires a current representation, and the resource does not exist"
            }
            (_, Reason::Modified) => "is earlier than the resource's last modification",
            (_, Reason::AmbiguousDate) => {
                "names the second of the resource's last modification, and more than one \
                 version may carry that date (RFC 9110 §8.8.2.2); retry with If-Match and the \
                 current entity-tag"
            }
            (_, Reason::ChangedDuringRequest) => {
                "matched, but the resource changed before the request could be applied; \
                 fetch it again and retry"
            }
            (_, Reason::Matched) => "matched the current representation",
        };
        write!(f, "The {header} precondition failed: the field {fact}.")
    }
}

/// A conditional request header that can fail or be required.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConditionHeader {
    /// `If-Match` (RFC 9110 §13.1.1).
    IfMatch,
    /// `If-None-Match` (RFC 9110 §13.1.2).
    IfNoneMatch,
    /// `If-Unmodified-Since` (RFC 9110 §13.1.4).
    IfUnmodifiedSince,
}

impl ConditionHeader {
    /// The header's name, as registered: `If-Match`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConditionHeader::IfMatch => "If-Match",
            ConditionHeader::IfNoneMatch => "If-None-Match",
            ConditionHeader::IfUnmodifiedSince => "If-Unmodified-Since",
        }
    }

    /// The header's name as a [`HeaderName`].
    pub fn header_name(self) -> HeaderName {
        match self {
            ConditionHeader::IfMatch => header::IF_MATCH,
            ConditionHeader::IfNoneMatch => header::IF_NONE_MATCH,
            ConditionHeader::IfUnmodifiedSince => header::IF_UNMODIFIED_SINCE,
        }
    }
}

impl fmt::Display for ConditionHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a condition was false.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// `If-Match` listed tags, and none matches the current entity-tag (or there is none).
    Mismatch,
    /// `If-Match` held a member that is not an entity-tag (an unquoted tag, a lowercase `w/`,
    /// a `*` inside a list…), and no valid member matched; or it held no member at all (an
    /// empty value, or only commas). RFC 9110 §13.1.1 makes such a field false ("otherwise,
    /// the condition is false"); it is never read as absent. Reported in preference to
    /// [`Reason::Mismatch`] because the malformed member is the likelier mistake to fix, and
    /// an empty field names no version that could be stale: the field itself is what to fix.
    Malformed,
    /// `If-Match` listed the current entity-tag only in its weak form (`W/"7"` for `"7"`), and the
    /// route compares strongly, as RFC 9110 §13.1.1 prescribes, so a weak tag never satisfies it.
    /// Typically a proxy weakened the tag when it compressed the response. Retrying with the same
    /// tag cannot succeed; see [`Policy::weak_if_match`](crate::Policy::weak_if_match).
    WeakTag,
    /// `If-Match` on a resource with no current representation.
    NoCurrentRepresentation,
    /// `If-Unmodified-Since` is earlier than the last modification.
    Modified,
    /// `If-None-Match` matched on a method other than `GET`/`HEAD`: `*` and the resource
    /// exists, or a listed tag weakly matches the current one.
    Matched,
    /// The early check passed but the resource changed before the write; reported by the
    /// handler, not by the evaluator.
    ChangedDuringRequest,
    /// `If-Unmodified-Since` names the second of the last modification, and that
    /// `Last-Modified` is not known to be strong: two versions written within one second
    /// share the date (RFC 9110 §8.8.2.2), so it cannot tell the current version from the one
    /// it replaced, and a write based on the older one would lose an update. Retry with
    /// `If-Match` and the current entity-tag.
    AmbiguousDate,
}

impl Reason {
    /// A stable, machine-readable name: `"mismatch"`, `"malformed"`, `"weak-tag"`,
    /// `"no-current-representation"`, `"modified"`, `"ambiguous-date"`, `"matched"`,
    /// `"changed-during-request"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Mismatch => "mismatch",
            Reason::Malformed => "malformed",
            Reason::WeakTag => "weak-tag",
            Reason::NoCurrentRepresentation => "no-current-representation",
            Reason::Modified => "modified",
            Reason::AmbiguousDate => "ambiguous-date",
            Reason::Matched => "matched",
            Reason::ChangedDuringRequest => "changed-during-request",
        }
    }
}

/// What a 428 asks for, and the one rule of what satisfies `require` (RFC 6585 §3).
///
/// The evaluator answers 428 exactly when the request sends none of the conditions
/// [`Requirement::accepted`] lists, so the body of a 428 never disagrees with the gate. A
/// condition is accepted when it is evaluated and can only let the method through against the
/// state the client has seen:
///
/// - `If-Match` (any value: a false or malformed one is answered 412, never ignored);
/// - `If-Unmodified-Since`, when the resource has a modification date and the field is one valid
///   HTTP-date (otherwise RFC 9110 §13.1.4 ignores it, and an ignored condition protects
///   nothing);
/// - `If-None-Match` holding `*`, on a `PUT` or `PATCH` that can create its target
///   ([`Policy::creates`](crate::Policy::creates): a `PUT` unless the route says otherwise, a
///   `PATCH` only when it says so): there it makes the request create-only (412 when any
///   representation exists). On a route that cannot create, it could only end in a 412 or the
///   handler's 404, so it is not offered.
///
/// An `If-None-Match` that lists only entity-tags is not accepted: it fails only for the listed
/// versions, so it lets an overwrite of any other version through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    exists: bool,
    has_etag: bool,
    has_last_modified: bool,
    can_create: bool,
}

/// The conditions a request sent, as far as [`Requirement`] cares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sent {
    /// `If-Match` is present (whatever its value).
    pub(crate) if_match: bool,
    /// `If-Unmodified-Since` is present and will be evaluated.
    pub(crate) if_unmodified_since: bool,
    /// `If-None-Match` is present and holds `*` (alone or, invalidly, in a list).
    pub(crate) if_none_match_star: bool,
}

impl Requirement {
    pub(crate) const fn new(
        exists: bool,
        has_etag: bool,
        has_last_modified: bool,
        can_create: bool,
    ) -> Self {
        Self {
            exists,
            has_etag,
            has_last_modified,
            can_create,
        }
    }

    /// Whether a request that sent `sent` satisfies the requirement.
    pub(crate) fn is_met_by(&self, sent: Sent) -> bool {
        (sent.if_match && self.accepts(ConditionHeader::IfMatch))
            || (sent.if_unmodified_since && self.accepts(ConditionHeader::IfUnmodifiedSince))
            || (sent.if_none_match_star && self.accepts(ConditionHeader::IfNoneMatch))
    }

    /// A sentence telling the client how to resubmit, as RFC 6585 §3 asks, fitted to the
    /// validators the resource has.
    pub fn advice(&self) -> &'static str {
        match (self.exists, self.has_etag, self.has_last_modified) {
            (false, _, _) if self.can_create => {
                "This request must be conditional: send If-None-Match: * to create the \
                 resource only if it does not exist yet."
            }
            (false, _, _) => {
                "This request must be conditional, and the resource does not exist: read it \
                 again, then send If-Match with the entity-tag from its ETag header."
            }
            (true, true, _) => {
                "This request must be conditional, so that it cannot overwrite a change it \
                 has not seen: send If-Match with the entity-tag from the ETag header of a GET \
                 of this resource."
            }
            (true, false, true) => {
                "This request must be conditional, so that it cannot overwrite a change it \
                 has not seen: send If-Unmodified-Since with the Last-Modified date of a GET \
                 of this resource."
            }
            (true, false, false) => {
                "This request must be conditional: send If-Match: * to change the resource \
                 only if it exists."
            }
        }
    }

    /// Whether sending `condition` satisfies the requirement (see the type's documentation;
    /// for `If-None-Match`, only its `*` form counts).
    pub fn accepts(&self, condition: ConditionHeader) -> bool {
        match condition {
            ConditionHeader::IfMatch => true,
            ConditionHeader::IfUnmodifiedSince => self.has_last_modified,
            ConditionHeader::IfNoneMatch => self.can_create,
        }
    }

    /// The accepted conditions, the one that can succeed on the resource's current state first.
    pub fn accepted(&self) -> impl Iterator<Item = ConditionHeader> + '_ {
        let order = if self.exists {
            [
                ConditionHeader::IfMatch,
                ConditionHeader::IfUnmodifiedSince,
                ConditionHeader::IfNoneMatch,
            ]
        } else {
            [
                ConditionHeader::IfNoneMatch,
                ConditionHeader::IfMatch,
                ConditionHeader::IfUnmodifiedSince,
            ]
        };
        order
            .into_iter()
            .filter(|&condition| self.accepts(condition))
    }
}

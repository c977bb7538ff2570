//! The precondition evaluator: RFC 9110 §13.2.2, step by step.

use http::{HeaderMap, HeaderValue, Method, header};

use crate::rfc::coding;
use crate::rfc::date::parse_http_date;
use crate::rfc::decision::{Decision, SentValues};
use crate::rfc::etag::{Comparison, ETag, parse_entity_tag, tag_eq};
use crate::rfc::list::{Member, Members, trim_ows};
use crate::rfc::outcome::{
    ConditionHeader, Failure, Outcome, RangeDecision, Reason, Requirement, Sent,
};
use crate::rfc::{Policy, Resource};

/// The request fields the evaluator reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    IfMatch,
    IfNoneMatch,
    IfModifiedSince,
    IfUnmodifiedSince,
    IfRange,
    Range,
}

impl Field {
    pub(crate) const ALL: [Field; 6] = [
        Field::IfMatch,
        Field::IfNoneMatch,
        Field::IfModifiedSince,
        Field::IfUnmodifiedSince,
        Field::IfRange,
        Field::Range,
    ];

    /// The field of a condition that can fail.
    pub(crate) fn of(condition: ConditionHeader) -> Field {
        match condition {
            ConditionHeader::IfMatch => Field::IfMatch,
            ConditionHeader::IfNoneMatch => Field::IfNoneMatch,
            ConditionHeader::IfUnmodifiedSince => Field::IfUnmodifiedSince,
        }
    }

    pub(crate) fn header_name(self) -> header::HeaderName {
        match self {
            Field::IfMatch => header::IF_MATCH,
            Field::IfNoneMatch => header::IF_NONE_MATCH,
            Field::IfModifiedSince => header::IF_MODIFIED_SINCE,
            Field::IfUnmodifiedSince => header::IF_UNMODIFIED_SINCE,
            Field::IfRange => header::IF_RANGE,
            Field::Range => header::RANGE,
        }
    }
}

/// Which of the fields a request carries, as a bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Presence(u8);

impl Presence {
    fn with(self, field: Field) -> Self {
        Presence(self.0 | 1 << field as u8)
    }

    fn has(self, field: Field) -> bool {
        self.0 & 1 << field as u8 != 0
    }
}

/// A source of request field lines: a whole `HeaderMap`, or the few lines the
/// [`Preconditions`](crate::Preconditions) extractor kept.
pub(crate) trait FieldLines {
    /// Every field line of `field`, in order (RFC 9110 §5.3: together they form one list).
    fn values(&self, field: Field) -> impl Iterator<Item = &HeaderValue>;

    /// The bytes of every field line of `field`.
    fn lines(&self, field: Field) -> impl Iterator<Item = &[u8]> {
        self.values(field).map(HeaderValue::as_bytes)
    }

    /// Which fields are present.
    fn presence(&self) -> Presence {
        presence_by_lookup(self)
    }
}

fn presence_by_lookup<F: FieldLines + ?Sized>(fields: &F) -> Presence {
    Field::ALL
        .into_iter()
        .fold(Presence::default(), |presence, field| {
            if fields.lines(field).next().is_some() {
                presence.with(field)
            } else {
                presence
            }
        })
}

/// Up to this many distinct header names, one pass over the names is cheaper than six hash
/// lookups that mostly miss: `cargo bench -p axum-conditional-benches` measured an
/// unconditional `GET` with five ordinary headers at 7 ns this way and 29 ns with lookups.
const SCAN_LIMIT: usize = 24;

impl FieldLines for HeaderMap {
    fn values(&self, field: Field) -> impl Iterator<Item = &HeaderValue> {
        self.get_all(field.header_name()).into_iter()
    }

    fn presence(&self) -> Presence {
        if self.keys_len() > SCAN_LIMIT {
            return presence_by_lookup(self);
        }
        self.keys().fold(Presence::default(), |presence, name| {
            match Field::ALL
                .into_iter()
                .find(|field| *name == field.header_name())
            {
                Some(field) => presence.with(field),
                None => presence,
            }
        })
    }
}

/// Evaluates the conditional request headers of a request against the resource's current
/// state, as RFC 9110 §13.2.2 orders them.
///
/// Call it after the request's ordinary checks (routing, authentication, authorization,
/// validation of the target) and before reading the request content or doing anything with a
/// side effect (§13.2.1). It reads `If-Match`, `If-None-Match`, `If-Modified-Since`,
/// `If-Unmodified-Since`, `If-Range` and `Range`, every field line of each, each once; the work
/// is linear in their length, nothing is allocated but what a 412 shows of the field that
/// failed, and it never panics, whatever bytes the headers hold.
///
/// It returns one [`Decision`]: the [`Outcome`], and everything its response needs (the
/// selected representation's validators, what failed and what the client sent). Build the
/// answer from it ([`Decision::into_answer`]); nothing needs to be evaluated or parsed again.
///
/// Every entity-tag comparison also knows the coded tags a compressing service sends
/// (`"T~gzip"` for a gzip body of the representation tagged `"T"`, RFC 9110 §8.8.3.3): the
/// coding negotiated for the request is declared on the resource
/// ([`Resource::with_coding`]); see [`ContentCoding`](crate::ContentCoding) and the reserved
/// suffixes on [`ETag::strong`](crate::ETag::strong). `Accept-Encoding` is never read here.
///
/// The rules, with the choices RFC 9110 leaves open:
///
/// 1. `CONNECT`, `OPTIONS` and `TRACE` ignore every condition (§13.2.1). `HEAD` is `GET`.
/// 2. A resource that does not exist cannot be read: the answer to a `GET` or `HEAD` would
///    be 404, and §13.2.1 ignores preconditions for a response that would not be 2xx. So a
///    failed condition there is [`Outcome::Deferred`]: the handler runs, its non-2xx answer
///    stands, and a 2xx answer is replaced by the 412 (a read changes nothing). Unsafe methods
///    are never deferred, not even a `DELETE` of a missing resource: the handler could act (an
///    audit row, a cascade, a resource created since the validators were loaded), and §13.1.1
///    says the server MUST NOT perform the method when the condition is false, so they get
///    their 412 before the handler runs. Methods that may create the resource are evaluated as
///    usual: `If-Match: *` fails, `If-None-Match: *` passes.
/// 3. With [`Policy::require_precondition`], an unsafe method gets 428 unless it sends a
///    condition [`Requirement`] accepts, one rule for the gate and for the 428's own list:
///    `If-Match` (any value; a false one is a 412), an `If-Unmodified-Since` that is evaluated
///    (rule 5), or, on a `PUT` or `PATCH` that can create the resource
///    ([`Policy::creates`]: a `PUT` unless declared otherwise, a `PATCH` only when declared),
///    an `If-None-Match` holding `*` (create only). An
///    `If-None-Match` of entity-tags only does not count: it would let an overwrite of any
///    other version through. A `DELETE` of a missing resource is exempt: its answer is the
///    handler's 404, and a handler that deletes against the loaded version (`None`) deletes
///    nothing.
/// 4. `If-Match` (§13.1.1): `*` alone is true when the resource exists, even without an
///    entity-tag. A list is true when a member matches the current tag by strong comparison
///    (weak with [`Policy::weak_if_match`]), as it is or as a coded tag of any coding: a
///    write based on any coding of the current representation passes, one based on any coding
///    of an older one fails. Anything else is false, including an empty or
///    malformed field and a `*` inside a list (invalid syntax, so it is skipped and only valid
///    tags can pass). False gives 412, or [`Outcome::Deferred`] under rule 2; the reason is
///    [`Reason::WeakTag`] when the current tag was sent only in its weak form.
/// 5. Without `If-Match`, `If-Unmodified-Since` (§13.1.4) is evaluated when it is one valid
///    HTTP-date and the resource has a modification date; it is false when the resource was
///    modified after it. It is also false when it names the very second of the last
///    modification and that date is not declared strong
///    ([`Resource::with_strong_last_modified`], [`Reason::AmbiguousDate`]): a `Last-Modified`
///    is implicitly weak (§8.8.2.2), two versions written within one second share it, and a
///    client holding the first would otherwise overwrite the second unseen (a safety
///    departure from §13.1.4, whose comparison alone would let it through: a write refused
///    is retried with `If-Match`, an update lost is not recovered).
/// 6. A passing step 4 or 5 does not end evaluation. `If-None-Match` (§13.1.2) is false when
///    the resource exists and the value is `*`, or a member matches the current tag by weak
///    comparison. On `GET`/`HEAD` that is the tag of the representation selected for the
///    request, in the coding negotiated for it ([`Resource::with_coding`]): a 304 confirms
///    exactly the response the client holds, and a client that switched encodings gets the
///    full response. Other methods ask whether the representation exists as this, and match
///    any coding. Invalid members
///    are skipped. A `*` inside a list is invalid too, and each
///    method gets its safe reading: skipped on `GET` and `HEAD` (the full response, never a
///    304 for a copy the client may not hold), read as `*` otherwise (no overwrite). False
///    gives 304 on `GET`/`HEAD`, 412 otherwise.
/// 7. Without `If-None-Match` (even an empty or malformed one), on `GET`/`HEAD`,
///    `If-Modified-Since` (§13.1.3) is evaluated when it is one valid HTTP-date and the
///    resource has a modification date; it is false (304) when the resource was not modified
///    after it, including when the date is in the future. A date naming the very second of the
///    last modification gives a 304 only when that date is declared strong
///    ([`Resource::with_strong_last_modified`]): otherwise it may be the date of a version that
///    second replaced, and the full response is sent (a safety departure from §13.1.3 for the
///    same reason as rule 5: a 304 must never confirm a copy the client does not hold).
/// 8. On `GET` (and `HEAD`, whose header fields are those of `GET`, §9.3.2) with `Range` and
///    `If-Range` (§13.1.5), the range is honoured only if `If-Range` is an entity-tag that
///    strongly matches the current tag exactly (a coded tag never does: a partial response is
///    never encoded, so the full representation is sent), or a date exactly equal to a
///    modification date
///    declared strong ([`Resource::with_strong_last_modified`]).
///
/// Dates must be IMF-fixdate, RFC 850 or asctime, exactly as RFC 9110 §5.6.7 spells them
/// (case, spacing and weekday included); anything else is invalid and ignored.
///
/// ```
/// use axum_conditional::{evaluate, ETag, Outcome, Policy, Resource};
/// use http::{HeaderMap, HeaderValue, Method, header};
///
/// let resource = Resource::existing(Some(ETag::from_version(3)), None);
/// let mut headers = HeaderMap::new();
/// headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(r#"W/"2", "3""#));
///
/// let decision = evaluate(&Method::GET, &headers, resource, Policy::new());
/// assert_eq!(decision.outcome(), Outcome::NotModified);
/// ```
pub fn evaluate(
    method: &Method,
    headers: &HeaderMap,
    resource: Resource,
    policy: Policy,
) -> Decision {
    evaluate_fields(method, headers, resource, policy)
}

/// [`evaluate`] over any source of field lines: the one evaluation.
pub(crate) fn evaluate_fields<F: FieldLines>(
    method: &Method,
    fields: &F,
    resource: Resource,
    policy: Policy,
) -> Decision {
    let outcome = outcome(method, fields, &resource, policy);
    // What a 412 shows of the field that failed: a clone of its values (a reference count, for
    // values received from the network), only for a 412 that shows it at all.
    let sent = match outcome {
        Outcome::PreconditionFailed(failure) if policy.exposes_validators() => {
            SentValues::of(fields.values(Field::of(failure.condition())))
        }
        _ => SentValues::default(),
    };
    Decision::new(outcome, resource, policy, *method == Method::HEAD, sent)
}

/// The outcome: RFC 9110 §13.2.2.
fn outcome<F: FieldLines>(
    method: &Method,
    fields: &F,
    resource: &Resource,
    policy: Policy,
) -> Outcome {
    let proceed = Outcome::Proceed {
        range: RangeDecision::NotRequested,
    };
    if matches!(*method, Method::CONNECT | Method::OPTIONS | Method::TRACE) {
        return proceed;
    }
    let get_or_head = matches!(*method, Method::GET | Method::HEAD);
    // Rule 2: a read of a missing resource would be answered by the handler's 404.
    let read_of_missing = !resource.exists() && get_or_head;
    let last_modified = resource.last_modified().map(|date| date.unix_seconds());
    let presence = fields.presence();
    let has_if_match = presence.has(Field::IfMatch);
    let has_if_none_match = presence.has(Field::IfNoneMatch);
    let if_unmodified_since = match (
        has_if_match,
        presence.has(Field::IfUnmodifiedSince),
        last_modified,
    ) {
        (false, true, Some(_)) => single_date(fields, Field::IfUnmodifiedSince),
        _ => None,
    };

    // Rule 3: one rule, `Requirement::is_met_by`, for the gate and the 428's own list.
    let delete_of_missing = !resource.exists() && *method == Method::DELETE;
    if policy.requires_precondition() && !get_or_head && !delete_of_missing {
        let requirement = Requirement::new(
            resource.exists(),
            resource.etag().is_some(),
            last_modified.is_some(),
            policy.can_create(method),
        );
        let sent = Sent {
            if_match: has_if_match,
            if_unmodified_since: if_unmodified_since.is_some(),
            if_none_match_star: has_if_none_match && has_star(fields, Field::IfNoneMatch),
        };
        if !requirement.is_met_by(sent) {
            return Outcome::PreconditionRequired(requirement);
        }
    }

    // Steps 1 and 2.
    let failure = if has_if_match {
        let comparison = if policy.uses_weak_if_match() {
            Comparison::Weak
        } else {
            Comparison::Strong
        };
        if_match(fields, resource, comparison)
            .err()
            .map(|reason| (ConditionHeader::IfMatch, reason))
    } else {
        match (if_unmodified_since, last_modified) {
            (Some(since), Some(modified)) if modified > since => {
                Some((ConditionHeader::IfUnmodifiedSince, Reason::Modified))
            }
            // Rule 5: the date names the second of the last modification, and nothing says
            // only one representation had it (§8.8.2.2): it may be the date of a version that
            // second replaced, so it cannot vouch for the current one.
            (Some(since), Some(modified))
                if modified == since && !resource.has_strong_last_modified() =>
            {
                Some((ConditionHeader::IfUnmodifiedSince, Reason::AmbiguousDate))
            }
            _ => None,
        }
    };
    if let Some((condition, reason)) = failure {
        let failure = Failure::new(condition, reason);
        return if read_of_missing {
            Outcome::Deferred(failure)
        } else {
            Outcome::PreconditionFailed(failure)
        };
    }

    // Steps 3 and 4.
    if has_if_none_match {
        if if_none_match_matches(fields, resource, get_or_head) {
            return if get_or_head {
                Outcome::NotModified
            } else {
                Outcome::PreconditionFailed(Failure::new(
                    ConditionHeader::IfNoneMatch,
                    Reason::Matched,
                ))
            };
        }
    } else if get_or_head
        && presence.has(Field::IfModifiedSince)
        && let (Some(since), Some(modified)) =
            (single_date(fields, Field::IfModifiedSince), last_modified)
        && (modified < since || (modified == since && resource.has_strong_last_modified()))
    {
        return Outcome::NotModified;
    }

    // Step 5: range handling is defined for GET (§14.2); HEAD sends the header fields GET
    // would (§9.3.2), so it gets the same decision.
    let range = if get_or_head && presence.has(Field::Range) {
        if !presence.has(Field::IfRange) || if_range(fields, resource) {
            RangeDecision::Honour
        } else {
            RangeDecision::Ignore
        }
    } else {
        RangeDecision::NotRequested
    };
    Outcome::Proceed { range }
}

/// The date of a field that must hold exactly one HTTP-date, or `None` when it is absent,
/// invalid, or has several field lines (RFC 9110 §13.1.3–4 say to ignore such a field).
fn single_date<F: FieldLines>(fields: &F, field: Field) -> Option<i64> {
    let mut lines = fields.lines(field);
    let line = lines.next()?;
    if lines.next().is_some() {
        return None;
    }
    parse_http_date(trim_ows(line))
}

/// Whether a list field holds a `*` member, alone or (invalidly) inside a list.
fn has_star<F: FieldLines>(fields: &F, field: Field) -> bool {
    fields
        .lines(field)
        .flat_map(Members::new)
        .any(|member| member == Member::Star)
}

/// `If-Match` (RFC 9110 §13.1.1): `Ok` when true, the reason when false.
///
/// A field with no member at all (an empty value, or only empty list elements, which §5.6.1.2
/// has a recipient ignore) is an empty list of entity-tags: none is listed, so none matches,
/// and the condition is false, like any value that is neither `*` nor a list holding a match.
/// Its reason is [`Reason::Malformed`], not [`Reason::Mismatch`]: it names no version, so it is
/// not a stale one, and re-reading the resource would not fix it; a sender with a tag to send
/// never sends an empty list (typically it set the field from a variable that held nothing).
fn if_match<F: FieldLines>(
    fields: &F,
    resource: &Resource,
    comparison: Comparison,
) -> Result<(), Reason> {
    let mut members = 0usize;
    let mut star = false;
    let mut malformed = false;
    let mut weak_current = false;
    for member in fields.lines(Field::IfMatch).flat_map(Members::new) {
        members = members.saturating_add(1);
        match member {
            Member::Star => star = true,
            Member::Tag { weak, opaque } => {
                let Some(current) = resource.etag() else {
                    continue;
                };
                if is_current(current, weak, opaque, comparison) {
                    return Ok(());
                }
                // The current tag, weakened (by a compressing proxy, typically): say so, as a
                // retry with the same tag can never pass.
                weak_current |= weak && is_current(current, weak, opaque, Comparison::Weak);
            }
            Member::Invalid(_) => malformed = true,
        }
    }
    let star_alone = star && members == 1;
    match (star_alone, resource.exists()) {
        (true, true) => Ok(()),
        (_, false) => Err(Reason::NoCurrentRepresentation),
        (false, true) if weak_current => Err(Reason::WeakTag),
        (false, true) if malformed || star || members == 0 => Err(Reason::Malformed),
        (false, true) => Err(Reason::Mismatch),
    }
}

/// Whether a member names the current representation in any of its codings: the current tag
/// itself, or its coded tag (`"T~gzip"`, see [`crate::rfc::coding`]) by the same comparison. The tag
/// as it is comes first, so that a handler tag that ends in a coding suffix matches itself.
fn is_current(current: &ETag, weak: bool, opaque: &[u8], comparison: Comparison) -> bool {
    tag_eq(current, weak, opaque, comparison)
        || matches!(coding::split(opaque), (base, Some(_)) if tag_eq(current, weak, base, comparison))
}

/// Whether `If-None-Match` (RFC 9110 §13.1.2) matches, that is, whether the condition is
/// false.
///
/// A `*` inside a list is invalid syntax. Each method gets the safe reading of it: for `GET`
/// and `HEAD` it is skipped (a 304 for a copy the client may not have would serve it stale,
/// while a needless 200 costs only bytes); for other methods it is read as `*` (the request
/// fails rather than overwrite).
///
/// On `GET` and `HEAD` a member matches the tag of the selected representation only, in the
/// coding negotiated for the request ([`Resource::with_coding`]; a weak tag is every coding's,
/// §8.8.1): a 304 confirms the stored response the member came from, and carries the tag the
/// 200 would carry (§15.4.5). Other methods ask whether the representation exists as this, and
/// any coding matches.
fn if_none_match_matches<F: FieldLines>(fields: &F, resource: &Resource, read: bool) -> bool {
    let mut star = false;
    let mut members = 0usize;
    for member in fields.lines(Field::IfNoneMatch).flat_map(Members::new) {
        members = members.saturating_add(1);
        match member {
            Member::Star => star = true,
            Member::Tag { weak, opaque } => {
                let Some(current) = resource.etag() else {
                    continue;
                };
                let matches = if !read {
                    is_current(current, weak, opaque, Comparison::Weak)
                } else if current.is_weak() {
                    tag_eq(current, weak, opaque, Comparison::Weak)
                } else {
                    coding::names_selected(current, resource.coding(), opaque)
                };
                if matches {
                    return true;
                }
            }
            Member::Invalid(_) => {}
        }
    }
    let star_counts = star && (members == 1 || !read);
    star_counts && resource.exists()
}

/// `If-Range` (RFC 9110 §13.1.5): whether the range may be honoured.
fn if_range<F: FieldLines>(fields: &F, resource: &Resource) -> bool {
    let mut lines = fields.lines(Field::IfRange);
    let (Some(line), None) = (lines.next(), lines.next()) else {
        return false;
    };
    let value = trim_ows(line);
    // An entity-tag starts with a DQUOTE within its first three bytes; a date never does.
    if value.iter().take(3).any(|&b| b == b'"') {
        // `If-Range` holds one entity-tag, not a list: `"v1",` is not an entity-tag.
        return match (parse_entity_tag(value), resource.etag()) {
            (Ok((weak, opaque)), Some(current)) => {
                tag_eq(current, weak, opaque, Comparison::Strong)
            }
            _ => false,
        };
    }
    match (parse_http_date(value), resource.last_modified()) {
        (Some(date), Some(modified)) => {
            resource.has_strong_last_modified() && date == modified.unix_seconds()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderName, HeaderValue};

    use super::*;

    use crate::rfc::{ETag, LastModified};

    fn headers_of(pairs: &[(&str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::try_from(*name).unwrap(),
                HeaderValue::from_static(value),
            );
        }
        headers
    }

    fn outcome(method: Method, pairs: &[(&str, &'static str)], resource: &Resource) -> Outcome {
        evaluate(
            &method,
            &headers_of(pairs),
            resource.clone(),
            Policy::new().require_precondition(true),
        )
        .outcome()
    }

    /// The five resource states of the `require` table, in its column order.
    fn resource_states() -> [Resource; 5] {
        let date = Some(LastModified::from_unix_seconds(1_000_000));
        let tag = Some(ETag::from_version(1));
        [
            Resource::existing(tag.clone(), date),
            Resource::existing(tag, None),
            Resource::existing(None, date),
            Resource::existing(None, None),
            Resource::missing(),
        ]
    }

    #[test]
    fn require_is_met_exactly_by_the_conditions_the_428_lists() {
        const IUS: &str = "Sun, 01 Jan 2040 00:00:00 GMT";
        // Per method, one character per resource state (etag and date, etag only, date only,
        // no validator, missing): `R` is a 428, `.` gets past the gate (to a 412 or the
        // handler).
        type Row<'a> = (&'a [(&'a str, &'static str)], [&'a str; 4]);
        let table: [Row; 12] = [
            (&[], ["RRRRR", "RRRRR", "RRRRR", "RRRR."]),
            (
                &[("if-match", "\"1\"")],
                [".....", ".....", ".....", "....."],
            ),
            (&[("if-match", "*")], [".....", ".....", ".....", "....."]),
            (
                &[("if-match", "garbage")],
                [".....", ".....", ".....", "....."],
            ),
            // `*` gets a `PUT` past the gate; a `PATCH` only on a route that creates with it
            // (`Policy::creates`; see `whether_if_none_match_star_meets_require_follows_creates`).
            (
                &[("if-none-match", "*")],
                [".....", "RRRRR", "RRRRR", "RRRR."],
            ),
            (
                &[("if-none-match", "\"x\"")],
                ["RRRRR", "RRRRR", "RRRRR", "RRRR."],
            ),
            (
                &[("if-none-match", "\"x\", *")],
                [".....", "RRRRR", "RRRRR", "RRRR."],
            ),
            (
                &[("if-none-match", "garbage")],
                ["RRRRR", "RRRRR", "RRRRR", "RRRR."],
            ),
            (
                &[("if-unmodified-since", IUS)],
                [".R.RR", ".R.RR", ".R.RR", ".R.R."],
            ),
            (
                &[("if-unmodified-since", "yesterday")],
                ["RRRRR", "RRRRR", "RRRRR", "RRRR."],
            ),
            (
                &[("if-modified-since", IUS)],
                ["RRRRR", "RRRRR", "RRRRR", "RRRR."],
            ),
            (
                &[("if-unmodified-since", IUS), ("if-none-match", "\"x\"")],
                [".R.RR", ".R.RR", ".R.RR", ".R.R."],
            ),
        ];
        let methods = [Method::PUT, Method::PATCH, Method::POST, Method::DELETE];
        for (sent, expected) in table {
            for (method, row) in methods.iter().zip(expected) {
                for (resource, want) in resource_states().iter().zip(row.chars()) {
                    let result = outcome(method.clone(), sent, resource);
                    let required = matches!(result, Outcome::PreconditionRequired(_));
                    assert_eq!(
                        required,
                        want == 'R',
                        "{method} {sent:?} on {resource:?}: {result:?}"
                    );
                    // The gate and the 428's list are one rule: a 428 lists nothing that was
                    // sent in a form that is evaluated.
                    if let Outcome::PreconditionRequired(requirement) = result {
                        for condition in requirement.accepted() {
                            let name = condition.as_str().to_ascii_lowercase();
                            assert!(
                                !sent.iter().any(|(field, value)| *field == name
                                    && !["garbage", "yesterday"].contains(value)
                                    && (condition != ConditionHeader::IfNoneMatch
                                        || value.contains('*'))),
                                "{method} {sent:?}: the 428 lists {condition}, which was sent"
                            );
                        }
                    }
                }
            }
        }
    }

    /// `If-None-Match: *` gets past `require` exactly where the route can create
    /// (`Policy::creates`): a `PUT` unless declared otherwise, a `PATCH` only when declared, no
    /// other method; and the 428 offers it exactly there.
    #[test]
    fn whether_if_none_match_star_meets_require_follows_creates() {
        let star = [("if-none-match", "*")];
        let require = Policy::new().require_precondition(true);
        for (policy, put, patch) in [
            (require, true, false),
            (require.creates(true), true, true),
            (require.creates(false), false, false),
        ] {
            for (method, creates) in [
                (Method::PUT, put),
                (Method::PATCH, patch),
                (Method::POST, false),
                (Method::DELETE, false),
            ] {
                assert_eq!(policy.can_create(&method), creates, "{method} {policy:?}");
                for resource in [Resource::missing(), Resource::existing(None, None)] {
                    if method == Method::DELETE && !resource.exists() {
                        continue; // the handler's 404, whatever is sent
                    }
                    let gated = evaluate(&method, &headers_of(&star), resource.clone(), policy);
                    assert_eq!(
                        matches!(gated.outcome(), Outcome::PreconditionRequired(_)),
                        !creates,
                        "{method} {policy:?} {resource:?}"
                    );
                    let bare = evaluate(&method, &HeaderMap::new(), resource.clone(), policy);
                    let Outcome::PreconditionRequired(requirement) = bare.outcome() else {
                        panic!("{method} {policy:?}: a 428 expected");
                    };
                    assert_eq!(
                        requirement.accepts(ConditionHeader::IfNoneMatch),
                        creates,
                        "{method} {policy:?}"
                    );
                    assert_eq!(
                        requirement.advice().contains("If-None-Match"),
                        creates && !resource.exists(),
                        "{method} {policy:?}: {}",
                        requirement.advice()
                    );
                }
            }
        }
        // Not offered is not ignored: sent beside a condition that counts, it is evaluated.
        let exists = Resource::existing(Some(ETag::from_version(1)), None);
        let both = [("if-match", "\"1\""), ("if-none-match", "*")];
        let outcome = evaluate(&Method::PATCH, &headers_of(&both), exists, require).outcome();
        assert_eq!(
            outcome,
            Outcome::PreconditionFailed(Failure::new(
                ConditionHeader::IfNoneMatch,
                Reason::Matched
            ))
        );
    }

    #[test]
    fn a_428_lists_what_gets_past_the_gate() {
        let cases: [(ConditionHeader, &'static str); 3] = [
            (ConditionHeader::IfMatch, "\"7\""),
            (
                ConditionHeader::IfUnmodifiedSince,
                "Sun, 01 Jan 2040 00:00:00 GMT",
            ),
            (ConditionHeader::IfNoneMatch, "*"),
        ];
        for method in [Method::PUT, Method::PATCH, Method::POST, Method::DELETE] {
            for resource in resource_states() {
                let Outcome::PreconditionRequired(requirement) =
                    outcome(method.clone(), &[], &resource)
                else {
                    continue;
                };
                for (condition, value) in cases {
                    let name = condition.as_str().to_ascii_lowercase();
                    let sent = [(name.as_str(), value)];
                    let past = !matches!(
                        outcome(method.clone(), &sent, &resource),
                        Outcome::PreconditionRequired(_)
                    );
                    assert_eq!(
                        past,
                        requirement.accepts(condition),
                        "{method} {condition} on {resource:?}"
                    );
                    assert_eq!(past, requirement.accepted().any(|c| c == condition));
                }
            }
        }
    }

    #[test]
    fn a_false_precondition_of_an_unsafe_method_is_answered_before_the_handler() {
        let missing = Resource::missing();
        for method in [Method::DELETE, Method::PUT, Method::PATCH, Method::POST] {
            let result = outcome(method.clone(), &[("if-match", "\"1\"")], &missing);
            assert!(
                matches!(result, Outcome::PreconditionFailed(_)),
                "{method}: {result:?}"
            );
        }
        // Reads of a missing resource keep the handler's 404.
        for method in [Method::GET, Method::HEAD] {
            let result = outcome(method.clone(), &[("if-match", "\"1\"")], &missing);
            assert!(
                matches!(result, Outcome::Deferred(_)),
                "{method}: {result:?}"
            );
        }
        // A DELETE of a missing resource without a condition is the handler's 404.
        assert!(matches!(
            outcome(Method::DELETE, &[], &missing),
            Outcome::Proceed { .. }
        ));
    }

    #[test]
    fn a_star_inside_if_none_match_gets_the_safe_reading_per_method() {
        let doc = Resource::existing(Some(ETag::from_version(1)), None);
        let in_list = [("if-none-match", "\"x\", *")];
        let read = |method: Method| {
            evaluate(&method, &headers_of(&in_list), doc.clone(), Policy::new()).outcome()
        };
        // A read gets the full response: no 304 for a copy the client may not hold.
        assert!(matches!(read(Method::GET), Outcome::Proceed { .. }));
        assert!(matches!(read(Method::HEAD), Outcome::Proceed { .. }));
        // A write is refused: no overwrite.
        for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
            let result = read(method.clone());
            assert_eq!(
                result,
                Outcome::PreconditionFailed(Failure::new(
                    ConditionHeader::IfNoneMatch,
                    Reason::Matched
                )),
                "{method}"
            );
        }
        // `*` alone is `*` for every method.
        let alone = headers_of(&[("if-none-match", "*")]);
        let get = evaluate(&Method::GET, &alone, doc.clone(), Policy::new());
        assert_eq!(get, Outcome::NotModified);
    }

    #[test]
    fn the_current_tag_sent_weak_to_a_strong_if_match_says_so() {
        let doc = Resource::existing(Some(ETag::from_version(2)), None);
        let reason = |value: &'static str, policy: Policy| match evaluate(
            &Method::PUT,
            &headers_of(&[("if-match", value)]),
            doc.clone(),
            policy,
        )
        .outcome()
        {
            Outcome::PreconditionFailed(failure) => Some(failure.reason()),
            _ => None,
        };
        assert_eq!(reason("W/\"2\"", Policy::new()), Some(Reason::WeakTag));
        assert_eq!(
            reason("\"1\", W/\"2\"", Policy::new()),
            Some(Reason::WeakTag)
        );
        assert_eq!(reason("W/\"1\"", Policy::new()), Some(Reason::Mismatch));
        assert_eq!(reason("\"1\"", Policy::new()), Some(Reason::Mismatch));
        assert_eq!(reason("W/\"2\"", Policy::new().weak_if_match(true)), None);
        let failure = Failure::new(ConditionHeader::IfMatch, Reason::WeakTag).to_string();
        assert!(
            failure.contains("weak tag never satisfies If-Match"),
            "{failure}"
        );
    }

    /// §13.1.1 with the list rule: a field of no member at all (empty, or only empty list
    /// elements, §5.6.1.2) is false, and reported as malformed, as a mistake in the field,
    /// never as a stale version; on a missing resource, the missing resource is the reason.
    #[test]
    fn an_if_match_without_a_member_is_malformed() {
        let doc = Resource::existing(Some(ETag::from_version(2)), None);
        for value in ["", " ", "\t", ",", " , ,", ",,,"] {
            for method in [
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::POST,
                Method::GET,
            ] {
                let headers = headers_of(&[("if-match", value)]);
                let outcome = evaluate(&method, &headers, doc.clone(), Policy::new()).outcome();
                assert_eq!(
                    outcome,
                    Outcome::PreconditionFailed(Failure::new(
                        ConditionHeader::IfMatch,
                        Reason::Malformed
                    )),
                    "{method} If-Match: {value:?}"
                );
                let missing = evaluate(&method, &headers, Resource::missing(), Policy::new());
                if let Outcome::PreconditionFailed(failure) = missing.outcome() {
                    assert_eq!(failure.reason(), Reason::NoCurrentRepresentation);
                }
            }
        }
        // A valid member beside empty elements is read as it is.
        let headers = headers_of(&[("if-match", ", \"2\", ,")]);
        let outcome = evaluate(&Method::PUT, &headers, doc.clone(), Policy::new()).outcome();
        assert!(matches!(outcome, Outcome::Proceed { .. }), "{outcome:?}");
        let headers = headers_of(&[("if-match", ", \"1\", ,")]);
        let outcome = evaluate(&Method::PUT, &headers, doc, Policy::new()).outcome();
        assert_eq!(
            outcome,
            Outcome::PreconditionFailed(Failure::new(ConditionHeader::IfMatch, Reason::Mismatch))
        );
    }

    #[test]
    fn requirement_advice_names_a_validator_the_resource_has() {
        let date = Some(LastModified::from_unix_seconds(0));
        let table = [
            (
                Resource::existing(Some(ETag::from_version(1)), date),
                "If-Match with the entity-tag",
            ),
            (Resource::existing(None, date), "If-Unmodified-Since"),
            (Resource::existing(None, None), "If-Match: *"),
            (Resource::missing(), "If-None-Match: *"),
        ];
        for (resource, expected) in table {
            let Outcome::PreconditionRequired(requirement) = outcome(Method::PUT, &[], &resource)
            else {
                panic!("428 expected for {resource:?}");
            };
            assert!(requirement.advice().contains(expected), "{resource:?}");
        }
        // A `PATCH` that does not create is never told to create.
        let Outcome::PreconditionRequired(requirement) =
            outcome(Method::PATCH, &[], &Resource::missing())
        else {
            panic!("428 expected");
        };
        assert!(
            !requirement.advice().contains("If-None-Match"),
            "{}",
            requirement.advice()
        );
        assert!(
            requirement
                .accepted()
                .all(|condition| condition != ConditionHeader::IfNoneMatch)
        );
    }

    #[test]
    fn presence_is_the_same_by_scan_and_by_lookup_on_small_and_large_maps() {
        for extra in [0, 5, SCAN_LIMIT, SCAN_LIMIT + 10] {
            for field in Field::ALL {
                let mut headers = HeaderMap::new();
                for i in 0..extra {
                    let name = HeaderName::try_from(format!("x-filler-{i}")).unwrap();
                    headers.insert(name, HeaderValue::from_static("1"));
                }
                headers.insert(field.header_name(), HeaderValue::from_static("\"a\""));
                let expected = Presence::default().with(field);
                assert_eq!(
                    headers.presence(),
                    expected,
                    "{field:?} with {extra} other names"
                );
                assert_eq!(presence_by_lookup(&headers), expected);
            }
        }
    }
}

/// Coded entity-tags (`"T~gzip"`, see `crate::rfc::coding`) in every condition, for every coding.
#[cfg(test)]
mod coded_tags {
    use http::{HeaderName, HeaderValue};

    use super::*;
    use crate::rfc::{ContentCoding, ETag};

    fn headers_of(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::try_from(*name).unwrap(),
                HeaderValue::try_from(*value).unwrap(),
            );
        }
        headers
    }

    fn current(coding: Option<ContentCoding>) -> Resource {
        Resource::existing(Some(ETag::from_version(2)), None).with_coding(coding)
    }

    fn run(
        method: Method,
        pairs: &[(&str, &str)],
        coding: Option<ContentCoding>,
        policy: Policy,
    ) -> Outcome {
        evaluate(&method, &headers_of(pairs), current(coding), policy).outcome()
    }

    const FAILED_MISMATCH: Outcome =
        Outcome::PreconditionFailed(Failure::new(ConditionHeader::IfMatch, Reason::Mismatch));
    const PROCEED: Outcome = Outcome::Proceed {
        range: RangeDecision::NotRequested,
    };

    fn negotiated() -> impl Iterator<Item = Option<ContentCoding>> {
        std::iter::once(None).chain(ContentCoding::ALL.map(Some))
    }

    /// §13.1.1: any coding of the current representation is true, any coding of an older one
    /// false, whatever coding the request negotiated; under `weak_if_match` the proxy-weakened
    /// forms too, and a stale one still fails.
    #[test]
    fn if_match_accepts_every_coding_of_the_current_version_only() {
        let strong = Policy::new();
        let weak = Policy::new().weak_if_match(true);
        for coding in ContentCoding::ALL {
            let c = coding.token();
            for (value, policy, expected) in [
                (format!("\"2~{c}\""), strong, PROCEED),
                (format!("\"1~{c}\""), strong, FAILED_MISMATCH),
                (format!("\"1\", \"2~{c}\""), strong, PROCEED),
                (format!("\"2~{c}\""), weak, PROCEED),
                (format!("W/\"2~{c}\""), weak, PROCEED),
                (format!("W/\"1~{c}\""), weak, FAILED_MISMATCH),
                (
                    format!("\"2~{}\"", c.to_ascii_uppercase()),
                    strong,
                    FAILED_MISMATCH,
                ),
                (format!("\"2-{c}\""), strong, FAILED_MISMATCH),
                (
                    format!("W/\"2~{c}\""),
                    strong,
                    Outcome::PreconditionFailed(Failure::new(
                        ConditionHeader::IfMatch,
                        Reason::WeakTag,
                    )),
                ),
            ] {
                for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
                    for negotiated in negotiated() {
                        let outcome =
                            run(method.clone(), &[("if-match", &value)], negotiated, policy);
                        assert_eq!(
                            outcome, expected,
                            "{method} If-Match: {value} {policy:?} {negotiated:?}"
                        );
                    }
                }
            }
        }
    }

    /// §13.1.2: on a read, a member matches the tag of the selected representation only, in the
    /// coding negotiated for the request; `Accept-Encoding` itself is never read.
    #[test]
    fn if_none_match_on_reads_matches_the_selected_representation_only() {
        for negotiated in negotiated() {
            let selected = current(negotiated).selected_etag().unwrap().to_string();
            for member in std::iter::once("\"2\"".to_string())
                .chain(ContentCoding::ALL.map(|c| format!("\"2~{c}\"")))
            {
                for written in [member.clone(), format!("W/{member}")] {
                    let expected = if member == selected {
                        Outcome::NotModified
                    } else {
                        PROCEED
                    };
                    for method in [Method::GET, Method::HEAD] {
                        // An `Accept-Encoding` that would say otherwise changes nothing: the
                        // coding is the one negotiated.
                        for accept in [None, Some("identity;q=0"), Some("gzip, br")] {
                            let mut pairs = vec![("if-none-match", written.as_str())];
                            pairs.extend(accept.map(|accept| ("accept-encoding", accept)));
                            let outcome = run(method.clone(), &pairs, negotiated, Policy::new());
                            assert_eq!(outcome, expected, "{method} {pairs:?} {negotiated:?}");
                        }
                    }
                }
            }
            // A stale coded tag never matches.
            let pairs = [("if-none-match", "\"1~gzip\", \"1\"")];
            assert_eq!(run(Method::GET, &pairs, negotiated, Policy::new()), PROCEED);
            // The selected one anywhere in the list does.
            let list = format!("\"1\", {selected}, \"3\"");
            let pairs = [("if-none-match", list.as_str())];
            assert_eq!(
                run(Method::GET, &pairs, negotiated, Policy::new()),
                Outcome::NotModified
            );
        }
    }

    /// A weak current tag is shared by every coding (§8.8.1): it matches whatever the coding.
    #[test]
    fn a_weak_current_tag_matches_whatever_the_coding() {
        for negotiated in negotiated() {
            let resource =
                Resource::existing(Some(ETag::weak("2").unwrap()), None).with_coding(negotiated);
            assert_eq!(resource.selected_etag(), resource.etag().cloned());
            let headers = headers_of(&[("if-none-match", "W/\"2\"")]);
            let outcome = evaluate(&Method::GET, &headers, resource, Policy::new());
            assert_eq!(outcome, Outcome::NotModified, "{negotiated:?}");
        }
    }

    /// On other methods `If-None-Match` asks whether the representation exists as this: any
    /// coding of the current one matches.
    #[test]
    fn if_none_match_on_writes_matches_any_coding() {
        for coding in ContentCoding::ALL {
            let tag = format!("\"2~{coding}\"");
            for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
                for negotiated in negotiated() {
                    let pairs = [("if-none-match", tag.as_str())];
                    assert_eq!(
                        run(method.clone(), &pairs, negotiated, Policy::new()),
                        Outcome::PreconditionFailed(Failure::new(
                            ConditionHeader::IfNoneMatch,
                            Reason::Matched
                        )),
                        "{method} {tag} {negotiated:?}"
                    );
                }
            }
        }
    }

    /// §13.1.5: `If-Range` is exact with the identity tag; a partial response is never
    /// encoded, so a coded tag never enables one.
    #[test]
    fn if_range_with_a_coded_tag_sends_the_whole_representation() {
        for negotiated in negotiated() {
            for coding in ContentCoding::ALL {
                let tag = format!("\"2~{coding}\"");
                let pairs = [("range", "bytes=0-1"), ("if-range", tag.as_str())];
                assert_eq!(
                    run(Method::GET, &pairs, negotiated, Policy::new()),
                    Outcome::Proceed {
                        range: RangeDecision::Ignore
                    },
                    "{tag}"
                );
            }
            let pairs = [("range", "bytes=0-1"), ("if-range", "\"2\"")];
            assert_eq!(
                run(Method::GET, &pairs, negotiated, Policy::new()),
                Outcome::Proceed {
                    range: RangeDecision::Honour
                }
            );
        }
    }

    /// A handler tag that itself ends in a coding suffix matches itself under identity, and
    /// its own coded form otherwise.
    #[test]
    fn a_reserved_handler_tag_still_matches_itself() {
        let resource = Resource::existing(Some(ETag::strong("x~gzip").unwrap()), None);
        let headers = headers_of(&[("if-none-match", "\"x~gzip\"")]);
        let outcome = evaluate(&Method::GET, &headers, resource.clone(), Policy::new());
        assert_eq!(outcome, Outcome::NotModified);
        let coded = resource.clone().with_coding(Some(ContentCoding::Br));
        let headers = headers_of(&[("if-none-match", "\"x~gzip~br\"")]);
        assert_eq!(
            evaluate(&Method::GET, &headers, coded, Policy::new()),
            Outcome::NotModified
        );
        let headers = headers_of(&[("if-match", "\"x~gzip\"")]);
        let outcome = evaluate(&Method::PUT, &headers, resource, Policy::new());
        assert_eq!(outcome, PROCEED);
    }

    /// The work of one evaluation is linear in the size of the request's fields, whatever they
    /// hold: every byte of every conditional field is handed to the parser at most once, and
    /// `Accept-Encoding` not at all. Counted on a field source that counts what it hands out,
    /// from 1x to 16x, for the members that once re-read `Accept-Encoding` each (the current
    /// version in codings the request does not negotiate).
    #[test]
    fn the_work_is_linear_in_the_request() {
        struct Counting {
            headers: HeaderMap,
            read: std::cell::Cell<usize>,
        }
        impl FieldLines for Counting {
            fn values(&self, field: Field) -> impl Iterator<Item = &HeaderValue> {
                self.headers
                    .get_all(field.header_name())
                    .into_iter()
                    .inspect(|value| self.read.set(self.read.get() + value.len()))
            }
            fn presence(&self) -> Presence {
                self.headers.presence()
            }
        }
        let unit_members = 64;
        let mut per_byte = Vec::new();
        for scale in [1usize, 2, 4, 8, 16] {
            let members = unit_members * scale;
            let if_none_match = (0..members)
                .map(|i| format!("\"2~{}\"", ContentCoding::ALL[i % 3 + 1]))
                .collect::<Vec<_>>()
                .join(", ");
            let accept = vec!["br;q=0, zstd;q=0, deflate;q=0, gzip"; members].join(", ");
            let mut headers = HeaderMap::new();
            headers.insert(
                header::IF_NONE_MATCH,
                HeaderValue::try_from(&if_none_match).unwrap(),
            );
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::try_from(&accept).unwrap(),
            );
            let size = if_none_match.len() + accept.len();
            let fields = Counting {
                headers,
                read: std::cell::Cell::new(0),
            };
            let decision = evaluate_fields(
                &Method::GET,
                &fields,
                current(Some(ContentCoding::Gzip)),
                Policy::new(),
            );
            assert_eq!(decision, PROCEED);
            per_byte.push((scale, fields.read.get() as f64 / size as f64));
        }
        let (_, first) = per_byte[0];
        for (scale, ratio) in &per_byte {
            assert!(
                *ratio <= first * 1.05 && *ratio <= 1.0,
                "bytes read per byte of request at {scale}x: {ratio} (1x: {first})"
            );
        }
    }
}

/// RFC 9110 §8.8.2.2: a date that may stand for two versions never vouches for the current one.
#[cfg(test)]
mod ambiguous_dates {
    use http::{HeaderMap, HeaderValue, Method, header};

    use super::evaluate;
    use crate::rfc::{
        ConditionHeader, ETag, Failure, LastModified, Outcome, Policy, RangeDecision, Reason,
        Resource,
    };

    const SECOND: i64 = 1_700_000_000;

    fn with(name: header::HeaderName, seconds: i64) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let date = LastModified::from_unix_seconds(seconds).to_string();
        headers.insert(name, HeaderValue::from_str(&date).unwrap());
        headers
    }

    fn resource(strong: bool) -> Resource {
        Resource::existing(
            Some(ETag::from_version(2)),
            Some(LastModified::from_unix_seconds(SECOND)),
        )
        .strong_last_modified(strong)
    }

    fn outcome(method: Method, headers: &HeaderMap, strong: bool) -> Outcome {
        evaluate(&method, headers, resource(strong), Policy::new()).outcome()
    }

    const PROCEED: Outcome = Outcome::Proceed {
        range: RangeDecision::NotRequested,
    };

    #[test]
    fn if_unmodified_since_the_second_of_a_weak_date_fails_on_every_write() {
        let headers = with(header::IF_UNMODIFIED_SINCE, SECOND);
        for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
            assert_eq!(
                outcome(method.clone(), &headers, false),
                Outcome::PreconditionFailed(Failure::new(
                    ConditionHeader::IfUnmodifiedSince,
                    Reason::AmbiguousDate
                )),
                "{method}"
            );
            assert_eq!(outcome(method, &headers, true), PROCEED);
        }
    }

    #[test]
    fn if_unmodified_since_other_seconds_compare_as_the_rfc_says_whatever_the_strength() {
        for strong in [false, true] {
            let later = with(header::IF_UNMODIFIED_SINCE, SECOND + 1);
            assert_eq!(outcome(Method::PUT, &later, strong), PROCEED);
            let earlier = with(header::IF_UNMODIFIED_SINCE, SECOND - 1);
            assert_eq!(
                outcome(Method::PUT, &earlier, strong),
                Outcome::PreconditionFailed(Failure::new(
                    ConditionHeader::IfUnmodifiedSince,
                    Reason::Modified
                ))
            );
        }
    }

    #[test]
    fn if_modified_since_the_second_of_a_weak_date_gets_the_full_response() {
        let headers = with(header::IF_MODIFIED_SINCE, SECOND);
        for method in [Method::GET, Method::HEAD] {
            assert_eq!(outcome(method.clone(), &headers, false), PROCEED);
            assert_eq!(outcome(method, &headers, true), Outcome::NotModified);
        }
        for strong in [false, true] {
            let later = with(header::IF_MODIFIED_SINCE, SECOND + 1);
            assert_eq!(outcome(Method::GET, &later, strong), Outcome::NotModified);
            let earlier = with(header::IF_MODIFIED_SINCE, SECOND - 1);
            assert_eq!(outcome(Method::GET, &earlier, strong), PROCEED);
        }
    }
}

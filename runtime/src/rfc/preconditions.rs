//! The conditional fields of one request, kept without the rest of its headers.

use http::{HeaderMap, HeaderValue, Method};

use crate::rfc::evaluate::{Field, FieldLines, evaluate_fields};
use crate::rfc::list::{Member, Members};
use crate::rfc::{ContentCoding, Decision, Policy, Resource};

/// The conditional fields of a request (`If-Match`, `If-None-Match`, `If-Modified-Since`,
/// `If-Unmodified-Since`, `If-Range`, `Range`) and its method, kept apart from the rest of the
/// headers so that they can be evaluated after the request has been taken apart.
///
/// Building one clones only those field values; a `HeaderValue` received from the network
/// shares its bytes, so the clone is a reference-count increment. With the `axum` feature it
/// is an infallible extractor:
///
/// ```
/// use axum_conditional::{Preconditions, ETag, Outcome, Policy, Resource};
///
/// async fn handler(conditions: Preconditions) -> &'static str {
///     let resource = Resource::existing(Some(ETag::from_version(1)), None);
///     match conditions.evaluate(resource, Policy::new()).outcome() {
///         Outcome::NotModified => "your copy is current",
///         _ => "something else",
///     }
/// }
/// # #[cfg(feature = "axum")]
/// # let _: axum::routing::MethodRouter = axum::routing::get(handler);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Preconditions {
    method: Method,
    fields: [Lines; 6],
    /// The coding a compressing layer negotiated for the request (see [`ContentCoding::of`]).
    coding: Option<ContentCoding>,
}

/// The field lines of one field: nearly always zero or one, so the first is kept inline and
/// the rest only allocate when a client really sends several.
#[derive(Clone, Debug, Default)]
struct Lines {
    first: Option<HeaderValue>,
    more: Vec<HeaderValue>,
}

impl Preconditions {
    /// Copies the method and the conditional fields of a request, with `Range`. The axum
    /// extractor also keeps the coding a compressing layer negotiated for the request
    /// ([`Preconditions::with_coding`]).
    pub fn new(method: &Method, headers: &HeaderMap) -> Self {
        let fields = Field::ALL.map(|field| {
            let mut values = headers.get_all(field.header_name()).into_iter();
            let first = values.next().cloned();
            Lines {
                first,
                more: values.cloned().collect(),
            }
        });
        Self {
            method: method.clone(),
            fields,
            coding: None,
        }
    }

    /// Declares the coding negotiated for the request (see [`Resource::with_coding`]), for
    /// every evaluation of these conditions.
    #[must_use]
    pub fn with_coding(mut self, coding: Option<ContentCoding>) -> Self {
        self.coding = coding;
        self
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Evaluates these conditions against the resource's current state, in the coding
    /// negotiated for the request; the same as [`evaluate`](crate::rfc::evaluate) on the original
    /// request.
    pub fn evaluate(&self, resource: Resource, policy: Policy) -> Decision {
        let resource = match self.coding {
            Some(coding) => resource.with_coding(Some(coding)),
            None => resource,
        };
        evaluate_fields(&self.method, self, resource, policy)
    }

    /// Whether the request carries any of `If-Match`, `If-None-Match`, `If-Modified-Since`,
    /// `If-Unmodified-Since`: the preconditions that can stop a request. `If-Range` only
    /// decides whether a `Range` is honoured, so it does not count here.
    pub fn is_conditional(&self) -> bool {
        [
            Field::IfMatch,
            Field::IfNoneMatch,
            Field::IfModifiedSince,
            Field::IfUnmodifiedSince,
        ]
        .into_iter()
        .any(|field| self.lines(field).next().is_some())
    }

    /// The members of `If-Match`, across all its field lines, as the client sent them. A list
    /// may hold several tags; compare each with the current tag to learn which one matched. An
    /// atomic write needs only the tag that was checked: `Evaluation::checked_etag` of
    /// `#[conditional(bind = …)]`.
    pub fn if_match(&self) -> impl Iterator<Item = Member<'_>> {
        self.lines(Field::IfMatch).flat_map(Members::new)
    }

    /// The members of `If-None-Match`, across all its field lines.
    pub fn if_none_match(&self) -> impl Iterator<Item = Member<'_>> {
        self.lines(Field::IfNoneMatch).flat_map(Members::new)
    }
}

impl FieldLines for Preconditions {
    fn values(&self, field: Field) -> impl Iterator<Item = &HeaderValue> {
        let lines = &self.fields[field as usize];
        lines.first.iter().chain(&lines.more)
    }
}

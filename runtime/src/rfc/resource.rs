//! The current state of the target resource, as the evaluator sees it.

use crate::rfc::coding::{self, ContentCoding};
use crate::rfc::{ETag, LastModified};

/// The target resource's current state: whether it has a current representation, and that
/// representation's validators.
///
/// Existence is separate from having validators: `If-Match: *` asks whether a current
/// representation exists, not whether it has an entity-tag (RFC 9110 §13.1.1), and
/// `If-None-Match: *` on a `PUT` means "create, never overwrite" (§13.1.2).
///
/// ```
/// use axum_conditional::{ETag, Resource};
///
/// let doc = Resource::existing(Some(ETag::from_version(3)), None);
/// assert!(doc.exists());
///
/// // Existence is said, never guessed: a resource may exist without any validator.
/// assert!(Resource::existing(None, None).exists());
/// assert!(!Resource::missing().exists());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Resource {
    exists: bool,
    etag: Option<ETag>,
    last_modified: Option<LastModified>,
    strong_last_modified: bool,
    /// The content-coding of the representation selected for the request (identity: `None`).
    coding: Option<ContentCoding>,
}

impl Resource {
    /// A resource with a current representation and the given validators (either may be
    /// absent: a resource can exist without an entity-tag or a date).
    pub fn existing(etag: Option<ETag>, last_modified: Option<LastModified>) -> Self {
        Self {
            exists: true,
            etag,
            last_modified,
            strong_last_modified: false,
            coding: None,
        }
    }

    /// A resource with no current representation: a `GET` would answer 404, a `PUT` would
    /// create it.
    pub fn missing() -> Self {
        Self::default()
    }

    /// Declares that the `Last-Modified` date is a strong validator: the origin knows no other
    /// representation of the resource carried this date, because the representation did not
    /// change twice within its second (RFC 9110 §8.8.2.2).
    ///
    /// A `Last-Modified` is implicitly weak (§8.8.2.2): with one-second resolution, two
    /// versions written within one second share a date, and that date cannot say which of them
    /// a client holds. So, unless the date is declared strong, a date naming the very second of
    /// the last modification never vouches for the current version:
    ///
    /// - `If-Unmodified-Since` equal to it is false, a 412 ([`Reason::AmbiguousDate`]), instead
    ///   of letting a write based on the version that second replaced overwrite the current one
    ///   (§13.1.4 alone would let it through: a lost update);
    /// - `If-Modified-Since` equal to it is true, the full response, instead of a 304 that may
    ///   confirm a copy the client does not hold (§13.1.3);
    /// - an `If-Range` date never enables a partial response (§13.1.5).
    ///
    /// Dates strictly before or after the last modification compare as the RFC says whatever
    /// the strength. Declare a date strong when the store knows it (it remembers when the
    /// version before was written, and that was in an earlier second), as a per-request value
    /// with [`Resource::strong_last_modified`].
    ///
    /// ```
    /// use axum_conditional::{evaluate, LastModified, Outcome, Policy, Resource};
    /// use http::{HeaderMap, HeaderValue, Method, header};
    ///
    /// let date = LastModified::from_unix_seconds(1_700_000_000);
    /// let mut headers = HeaderMap::new();
    /// headers.insert(header::IF_MODIFIED_SINCE, HeaderValue::from_str(&date.to_string()).unwrap());
    ///
    /// // A date that may stand for two versions: the full response.
    /// let weak = Resource::existing(None, Some(date));
    /// let decision = evaluate(&Method::GET, &headers, weak.clone(), Policy::new());
    /// assert!(decision.runs_handler());
    ///
    /// // The store knows this version is the only one with that date: 304.
    /// let decision = evaluate(&Method::GET, &headers, weak.with_strong_last_modified(), Policy::new());
    /// assert_eq!(decision.outcome(), Outcome::NotModified);
    /// ```
    ///
    /// [`Reason::AmbiguousDate`]: crate::Reason::AmbiguousDate
    #[must_use]
    pub fn with_strong_last_modified(self) -> Self {
        self.strong_last_modified(true)
    }

    /// Declares whether the `Last-Modified` date is strong, as the store knows it for this
    /// request (see [`Resource::with_strong_last_modified`]). `false` leaves the date weak, the
    /// default (RFC 9110 §8.8.2.2).
    #[must_use]
    pub fn strong_last_modified(mut self, strong: bool) -> Self {
        self.strong_last_modified = strong;
        self
    }

    /// Declares the content-coding of the representation selected for this request (`None`:
    /// identity), as a compressing layer negotiated it from `Accept-Encoding` (see
    /// [`ContentCoding`] and [`ContentCoding::of`]).
    ///
    /// The selected representation's strong entity-tag is then the coded tag (`"7~gzip"` for
    /// `"7"`, RFC 9110 §8.8.3.3): `If-None-Match` on `GET`/`HEAD` compares with it, and a 304 or
    /// 412 carries it, exactly as the 200 to the same request does. A weak tag is shared by
    /// every coding (§8.8.1) and stays as it is. `If-Match` accepts any coding of the current
    /// version whatever this says.
    #[must_use]
    pub fn with_coding(mut self, coding: Option<ContentCoding>) -> Self {
        self.coding = coding;
        self
    }

    /// The content-coding of the selected representation (`None`: identity).
    pub fn coding(&self) -> Option<ContentCoding> {
        self.coding
    }

    /// The entity-tag of the representation selected for the request: the current tag in the
    /// declared coding ([`Resource::with_coding`]). What a 304, a 412, or the 200 of a `GET`
    /// with the same `Accept-Encoding` carries.
    pub fn selected_etag(&self) -> Option<ETag> {
        let tag = self.etag.as_ref()?;
        Some(match self.coding {
            Some(coding) => coding::coded(tag, coding),
            None => tag.clone(),
        })
    }

    /// Takes the selected representation's tag (see [`Resource::selected_etag`]) and the
    /// modification date out, to put them in a response: the identity tag is moved, not
    /// cloned, and a coded one is built once.
    pub fn into_selected_validators(self) -> (Option<ETag>, Option<LastModified>) {
        let etag = match (self.etag, self.coding) {
            (Some(tag), Some(coding)) => Some(coding::coded(&tag, coding)),
            (etag, _) => etag,
        };
        (etag, self.last_modified)
    }

    /// Whether the resource has a current representation.
    pub fn exists(&self) -> bool {
        self.exists
    }

    /// The current entity-tag, if any.
    pub fn etag(&self) -> Option<&ETag> {
        self.etag.as_ref()
    }

    /// The current modification date, if any.
    pub fn last_modified(&self) -> Option<LastModified> {
        self.last_modified
    }

    /// Takes the validators out, to put them in a response without cloning.
    pub fn into_validators(self) -> (Option<ETag>, Option<LastModified>) {
        (self.etag, self.last_modified)
    }

    /// Whether the modification date was declared strong.
    pub fn has_strong_last_modified(&self) -> bool {
        self.strong_last_modified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existence_is_separate_from_validators_and_validators_move_out_whole() {
        let date = LastModified::from_unix_seconds(0);
        assert!(Resource::existing(None, None).exists());
        assert!(!Resource::missing().exists());
        let resource = Resource::existing(Some(ETag::from_version(3)), Some(date));
        assert!(!resource.has_strong_last_modified());
        assert!(
            resource
                .clone()
                .with_strong_last_modified()
                .has_strong_last_modified()
        );
        assert_eq!(
            resource.into_validators(),
            (Some(ETag::from_version(3)), Some(date))
        );
    }
}

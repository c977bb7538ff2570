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

    /// Declares that the `Last-Modified` date is a strong validator: the origin knows the
    /// representation cannot change twice within one second (RFC 9110 §8.8.2.2).
    ///
    /// Only `If-Range` cares (§13.1.5): a date there is honoured only when it is strong. By
    /// default a `Last-Modified` date is weak, so an `If-Range` date never enables a partial
    /// response and the full representation is sent, which is always safe.
    #[must_use]
    pub fn with_strong_last_modified(mut self) -> Self {
        self.strong_last_modified = true;
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

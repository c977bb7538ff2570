//! The representation generation: what a release renders, as part of every validator it sends.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::rfc::{ETag, LastModified, Resource};

/// The byte between a tag's own opaque part and its generation: `"7.r2"` is version 7 as
/// generation `r2` renders it. (A coded tag's suffix comes after it: `"7.r2~gzip"`.)
const MARKER: u8 = b'.';

/// The longest generation id, in bytes: it is sent in every entity-tag.
const MAX_ID: usize = 64;

/// The representation generation of an application: an id for how it renders its resources
/// (set once, from its build, with an override), and when the generation was first served.
///
/// `ETag::from_version(v)` names the data's version, not the bytes: a release that renders a
/// resource differently (a field added, renamed, a number formatted otherwise) would keep every
/// tag and every date, so every client and cache holding a body of the previous release would
/// get 304s for it, and a client writing its old representation back would drop what the new
/// one carries. With a generation, every validator sent is that of the representation as this
/// generation renders it:
///
/// - an entity-tag carries the id: `"7"` is sent as `"7.ID"` (RFC 9110 §8.8.3: a tag
///   identifies a representation, and the same data rendered otherwise is another one). A tag
///   of another generation then matches nothing: a read based on it gets a 200, a write a 412
///   (its body may lack what the new representation carries, §13.1.1).
/// - a `Last-Modified` is never earlier than `since`, when the generation was first served
///   (§8.8.2: the representation as this generation renders it did not exist before). A date
///   from before the change gets a 200 to `If-Modified-Since` and a 412 to
///   `If-Unmodified-Since`. A date raised to `since` may stand for representations of two
///   generations within its second, so it is never strong (§8.8.2.2).
///
/// Within one generation nothing changes: every instance of a release computes the same tags,
/// so a client may be served by any of them, and two releases side by side during a rolling
/// deploy never confirm each other's bodies. Change the id whenever the representation of an
/// unchanged resource changes; the date should be the same for every instance (record it in
/// the database on first start, as the `documents` example does).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
///
/// use axum_conditional::{ETag, Generation, LastModified, Resource};
///
/// let since = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let generation = Generation::new("r2", since).unwrap();
/// let loaded = Resource::existing(
///     Some(ETag::from_version(7)),
///     Some(LastModified::from_unix_seconds(1_600_000_000)),
/// );
/// let sent = generation.resource(loaded);
/// assert_eq!(sent.etag().unwrap().to_str(), Some(r#""7.r2""#));
/// assert_eq!(sent.last_modified(), Some(LastModified::from_system_time(since)));
/// assert_eq!(generation.strip(sent.etag().unwrap()), Some(ETag::from_version(7)));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Generation {
    id: Arc<str>,
    since: LastModified,
}

impl Generation {
    /// The generation `id` (1 to 64 of `A`–`Z`, `a`–`z`, `0`–`9`, `-` and `_`: it is sent in
    /// every entity-tag), first served at `since`.
    ///
    /// # Errors
    ///
    /// [`InvalidGeneration`] when `id` is empty, too long, or holds another byte.
    pub fn new(id: &str, since: SystemTime) -> Result<Self, InvalidGeneration> {
        let valid = !id.is_empty()
            && id.len() <= MAX_ID
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(InvalidGeneration);
        }
        Ok(Self {
            id: Arc::from(id),
            since: LastModified::from_system_time(since),
        })
    }

    /// The generation a layer put in a request's extensions (`axum::Extension(generation)`),
    /// if any.
    pub fn of(extensions: &http::Extensions) -> Option<&Generation> {
        extensions.get::<Generation>()
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When the generation was first served.
    pub fn since(&self) -> LastModified {
        self.since
    }

    /// `tag` as this generation sends it: its opaque part, then `.` and the id, weak if it was.
    pub fn etag(&self, tag: &ETag) -> ETag {
        let opaque = tag.opaque();
        let mut whole = Vec::with_capacity(opaque.len() + self.id.len() + 5);
        if tag.is_weak() {
            whole.extend_from_slice(b"W/");
        }
        whole.push(b'"');
        whole.extend_from_slice(opaque);
        whole.push(MARKER);
        whole.extend_from_slice(self.id.as_bytes());
        whole.push(b'"');
        ETag::from_valid(whole)
    }

    /// The handler's own tag back from one this generation sent (`None` for a tag of another
    /// generation, or of none).
    pub fn strip(&self, tag: &ETag) -> Option<ETag> {
        let base = tag
            .opaque()
            .strip_suffix(self.id.as_bytes())?
            .strip_suffix(&[MARKER])?;
        let mut whole = Vec::with_capacity(base.len() + 4);
        if tag.is_weak() {
            whole.extend_from_slice(b"W/");
        }
        whole.push(b'"');
        whole.extend_from_slice(base);
        whole.push(b'"');
        Some(ETag::from_valid(whole))
    }

    /// `date` as this generation sends it: never before [`Generation::since`].
    pub fn last_modified(&self, date: LastModified) -> LastModified {
        date.max(self.since)
    }

    /// The resource with the validators this generation sends: its tag carries the id, its
    /// date is never before `since`, and a date raised to `since` (or equal to it) is not
    /// strong, since representations of two generations may share it (RFC 9110 §8.8.2.2).
    pub fn resource(&self, resource: Resource) -> Resource {
        let strong = resource.has_strong_last_modified()
            && resource
                .last_modified()
                .is_some_and(|date| date > self.since);
        let exists = resource.exists();
        let coding = resource.coding();
        let (etag, last_modified) = resource.into_validators();
        let etag = etag.map(|tag| self.etag(&tag));
        let last_modified = last_modified.map(|date| self.last_modified(date));
        let resource = if exists {
            Resource::existing(etag, last_modified)
        } else {
            Resource::missing()
        };
        resource.strong_last_modified(strong).with_coding(coding)
    }
}

impl fmt::Debug for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generation")
            .field("id", &self.id)
            .field("since", &self.since)
            .finish()
    }
}

/// A generation id that cannot be sent in an entity-tag: use 1 to 64 of `A`–`Z`, `a`–`z`,
/// `0`–`9`, `-` and `_`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidGeneration;

impl fmt::Display for InvalidGeneration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a generation id is 1 to 64 of A-Z, a-z, 0-9, - and _ (it is sent in every \
             entity-tag)",
        )
    }
}

impl std::error::Error for InvalidGeneration {}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn ids_are_tokens_that_fit_in_a_tag() {
        assert!(Generation::new("0-1-0_abc", at(0)).is_ok());
        for bad in ["", "a.b", "a b", "a\"b", "é", &"x".repeat(65)] {
            assert_eq!(
                Generation::new(bad, at(0)),
                Err(InvalidGeneration),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_tag_carries_the_generation_and_comes_back_only_from_its_own() {
        let one = Generation::new("one", at(0)).unwrap();
        let two = Generation::new("two", at(0)).unwrap();
        let tag = ETag::from_version(7);
        let sent = one.etag(&tag);
        assert_eq!(sent.to_str(), Some(r#""7.one""#));
        assert_eq!(one.strip(&sent), Some(tag.clone()));
        assert_eq!(two.strip(&sent), None);
        assert_eq!(one.strip(&tag), None);
        let weak = one.etag(&tag.clone().into_weak());
        assert_eq!(weak.to_str(), Some(r#"W/"7.one""#));
        assert_eq!(one.strip(&weak), Some(tag.into_weak()));
    }

    #[test]
    fn a_date_is_never_before_the_generation_and_is_not_strong_at_it() {
        let generation = Generation::new("g", at(1_000)).unwrap();
        let before = Resource::existing(None, Some(LastModified::from_unix_seconds(500)))
            .with_strong_last_modified();
        let sent = generation.resource(before);
        assert_eq!(
            sent.last_modified(),
            Some(LastModified::from_unix_seconds(1_000))
        );
        assert!(!sent.has_strong_last_modified());
        let after = Resource::existing(None, Some(LastModified::from_unix_seconds(2_000)))
            .with_strong_last_modified();
        let sent = generation.resource(after);
        assert_eq!(
            sent.last_modified(),
            Some(LastModified::from_unix_seconds(2_000))
        );
        assert!(sent.has_strong_last_modified());
        assert!(!generation.resource(Resource::missing()).exists());
    }
}

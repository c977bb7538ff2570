//! Per-route choices that RFC 9110 leaves to the origin server.

use http::Method;

/// Per-route choices that the RFCs leave to the origin server.
///
/// The default is plain RFC 9110: conditions are optional, `If-Match` uses strong comparison,
/// and refusals show the current validators.
///
/// ```
/// use axum_conditional::{evaluate, ETag, Outcome, Policy, Resource};
/// use http::{HeaderMap, Method};
///
/// // A write route that refuses writes which do not say which version they change.
/// const WRITES: Policy = Policy::new().require_precondition(true);
///
/// let resource = Resource::existing(Some(ETag::from_version(1)), None);
/// let decision = evaluate(&Method::PUT, &HeaderMap::new(), resource, WRITES);
/// assert!(matches!(decision.outcome(), Outcome::PreconditionRequired(_)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    require_precondition: bool,
    weak_if_match: bool,
    expose_validators: bool,
    /// `None`: each method's default (see [`Policy::creates`]).
    creates: Option<bool>,
}

impl Policy {
    /// Plain RFC 9110: nothing required, strong `If-Match`, validators shown on refusals.
    pub const fn new() -> Self {
        Self {
            require_precondition: false,
            weak_if_match: false,
            expose_validators: true,
            creates: None,
        }
    }

    /// Answer 428 Precondition Required (RFC 6585 §3) to an unsafe method (anything but `GET`,
    /// `HEAD`, `OPTIONS` and `TRACE`) that carries none of the conditions
    /// [`Requirement`](crate::Requirement) accepts: `If-Match`, an `If-Unmodified-Since` that
    /// would be evaluated, or, on a `PUT` or `PATCH` that can create the resource (see
    /// [`Policy::creates`]), an `If-None-Match` holding `*`.
    ///
    /// An `If-None-Match` of entity-tags only does not count (it would let an overwrite of any
    /// other version through), nor does an `If-Modified-Since` (ignored on unsafe methods), an
    /// invalid `If-Unmodified-Since` or one sent for a resource without a modification date.
    /// A condition that is present but false still gets 412, not 428.
    #[must_use = "builders return the new policy"]
    pub const fn require_precondition(mut self, yes: bool) -> Self {
        self.require_precondition = yes;
        self
    }

    /// Compare `If-Match` tags with weak comparison instead of the strong comparison RFC 9110
    /// §13.1.1 prescribes ("MUST use the strong comparison function"): turning this on departs
    /// from the RFC, on purpose.
    ///
    /// For APIs whose clients echo weak version tags (FHIR, OData) and whose versions change on
    /// every semantic change. Leave it off when a weak tag may cover several different byte
    /// sequences that a client could overwrite unknowingly.
    ///
    /// # Behind a proxy that weakens tags
    ///
    /// A proxy that compresses (nginx `gzip on`) turns the strong `"2"` it forwards into `W/"2"`,
    /// and a browser then sends `If-Match: W/"2"`, which strong comparison never accepts: every
    /// write would fail. Under this option it is accepted, and so is the proxy-weakened form of a
    /// coded tag, `W/"2~gzip"` (any coding of the current representation; see
    /// [`ETag::strong`](crate::ETag::strong) on the suffixes). §13.1.1 asks for strong
    /// comparison because a strong tag vouches for bytes: a client's change is based on exactly
    /// the representation it read. A route whose tags identify the resource *state* (a version
    /// that changes on every write, as [`ETag::from_version`](crate::ETag::from_version) makes
    /// them) loses nothing by comparing the state: every byte sequence the proxy may have sent
    /// for version 2 is version 2, and a tag of version 1, weak or strong, in any coding, still
    /// fails, so no update can be lost. On a strict route the 412 says `weak-tag` and tells the
    /// client to send the strong tag.
    #[must_use = "builders return the new policy"]
    pub const fn weak_if_match(mut self, yes: bool) -> Self {
        self.weak_if_match = yes;
        self
    }

    /// Whether 412 responses carry the current `ETag` and `Last-Modified` (headers and body
    /// members) so the client can re-read and re-apply its change. On by default; turn it off
    /// for resources whose existence or version is not for every client to know.
    #[must_use = "builders return the new policy"]
    pub const fn expose_validators(mut self, yes: bool) -> Self {
        self.expose_validators = yes;
        self
    }

    /// Whether a `PUT` or `PATCH` to this route can create the resource when it does not exist.
    ///
    /// On a route that creates, `If-None-Match: *` makes a request create-only (RFC 9110
    /// §13.1.2: false, so 412, when a current representation exists), so it is one way to
    /// satisfy [`Policy::require_precondition`], and the 428 offers it, first when the resource
    /// is missing. On a route that does not create, it is neither offered nor counted: it could
    /// only end in a 412 (the resource exists) or the handler's 404 (it does not), so a client
    /// told to send it would be told to send something that can never succeed. It is still
    /// evaluated as the RFC says when it is sent with a condition that does count.
    ///
    /// Whether a route creates is the handler's business, which the library cannot see; unset,
    /// the default follows the method. A `PUT` creates: RFC 9110 §9.3.4 defines it as "create
    /// or replace", and a `PUT` that only replaces says `creates(false)`. A `PATCH` does not:
    /// RFC 5789 §2 lets a server create a resource with it ("may"), but most `PATCH` routes
    /// modify what exists (a JSON merge patch, RFC 7396, of a stored document), and a `PATCH`
    /// that creates says `creates(true)`. Other methods never create their target this way
    /// (`POST` creates subordinate resources, and `If-None-Match: *` on it asks nothing useful),
    /// whatever this says.
    ///
    /// ```
    /// use axum_conditional::{evaluate, ConditionHeader, Outcome, Policy, Resource};
    /// use http::{HeaderMap, Method};
    ///
    /// let writes = Policy::new().require_precondition(true);
    /// let missing = Resource::missing();
    /// let offered = |method: Method, policy: Policy| match evaluate(
    ///     &method,
    ///     &HeaderMap::new(),
    ///     missing.clone(),
    ///     policy,
    /// )
    /// .outcome()
    /// {
    ///     Outcome::PreconditionRequired(requirement) => {
    ///         requirement.accepts(ConditionHeader::IfNoneMatch)
    ///     }
    ///     other => panic!("{other:?}"),
    /// };
    /// assert!(offered(Method::PUT, writes));
    /// assert!(!offered(Method::PATCH, writes));
    /// assert!(offered(Method::PATCH, writes.creates(true)));
    /// assert!(!offered(Method::PUT, writes.creates(false)));
    /// ```
    #[must_use = "builders return the new policy"]
    pub const fn creates(mut self, yes: bool) -> Self {
        self.creates = Some(yes);
        self
    }

    /// What [`Policy::creates`] declared, or `None` when it was not called (each method then
    /// has its default).
    pub const fn declared_creates(&self) -> Option<bool> {
        self.creates
    }

    /// Whether a `method` request to this route can create its target (see
    /// [`Policy::creates`]): `PUT` unless declared otherwise, `PATCH` only when declared, no
    /// other method.
    pub fn can_create(&self, method: &Method) -> bool {
        match self.creates {
            _ if *method != Method::PUT && *method != Method::PATCH => false,
            Some(yes) => yes,
            None => *method == Method::PUT,
        }
    }

    /// See [`Policy::require_precondition`].
    pub const fn requires_precondition(&self) -> bool {
        self.require_precondition
    }

    /// See [`Policy::weak_if_match`].
    pub const fn uses_weak_if_match(&self) -> bool {
        self.weak_if_match
    }

    /// See [`Policy::expose_validators`].
    pub const fn exposes_validators(&self) -> bool {
        self.expose_validators
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::new()
    }
}

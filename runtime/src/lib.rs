//! RFC 9110 conditional requests for axum: `ETag`s, 304 Not Modified, and lost-update
//! protection with 412 Precondition Failed and 428 Precondition Required.
//!
//! The heart of the crate is [`evaluate`], a pure function of the request method, the request
//! headers and the resource's current state ([`Resource`]) that returns an [`Outcome`] by the
//! rules of RFC 9110 §13.2.2. The [`problem`] module turns outcomes into responses. With the
//! default `axum` feature, [`Conditions`] is an extractor and [`ETag`] and [`LastModified`]
//! are response parts.
//!
//! ```
//! use axum_conditional::problem::{Answer, CacheHeaders};
//! use axum_conditional::{evaluate, ETag, Outcome, Policy, Resource};
//! use http::{HeaderMap, HeaderValue, Method, header};
//!
//! // A client holding version 6 tries to overwrite version 7.
//! let current = Resource::new(Some(ETag::from_version(7)), None);
//! let mut headers = HeaderMap::new();
//! headers.insert(header::IF_MATCH, HeaderValue::from_static(r#""6""#));
//!
//! let outcome = evaluate(&Method::PUT, &headers, &current, Policy::new());
//! assert!(matches!(outcome, Outcome::PreconditionFailed(_)));
//!
//! let answer = Answer::for_outcome(outcome, &current, Policy::new(), &CacheHeaders::new());
//! let response: http::Response<String> = answer.unwrap().into_http_response();
//! assert_eq!(response.status(), 412);
//! assert_eq!(response.headers()["etag"], r#""7""#);
//! ```

#[cfg(feature = "axum")]
mod axum;
mod conditions;
mod date;
mod etag;
mod evaluate;
pub mod list;
mod outcome;
mod policy;
pub mod problem;
mod resource;
#[cfg(feature = "axum")]
mod respond;

#[doc(hidden)]
#[cfg(feature = "axum")]
pub mod __private;

pub use conditions::Conditions;
pub use date::{InvalidHttpDate, LastModified};
pub use etag::{ETag, InvalidETag};
pub use evaluate::evaluate;
pub use outcome::{Condition, Failure, Outcome, RangeDecision, Reason, Requirement};
pub use policy::Policy;
pub use resource::Resource;
#[cfg(feature = "axum")]
pub use respond::{Conditional, Evaluation};

/// Rewrites an async axum handler to answer conditional requests before its body runs; see the
/// [crate documentation](crate).
#[cfg(feature = "axum")]
pub use axum_conditional_macros::conditional;

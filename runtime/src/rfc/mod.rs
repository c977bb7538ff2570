//! The RFC core: conditional requests as RFC 9110 §13 (and RFC 6585 §3) define them, on the
//! `http` and `httpdate` crates alone, usable from any server on `http`.
//!
//! From the bottom: entity-tags ([`etag`]), HTTP-dates ([`date`]), list fields ([`list`]), the
//! content-codings and their tags ([`coding`]); the resource's state ([`resource`]) and a route's
//! choices ([`policy`]); the evaluator ([`evaluate`]) and what it decides ([`outcome`],
//! [`decision`]), over a whole header map or the fields an extractor kept ([`preconditions`]);
//! and the responses the RFCs define for those decisions ([`answer`], [`problem`]), with range
//! parsing ([`range`]). Nothing here knows axum, tokio or the macro.

pub mod answer;
pub(crate) mod coding;
pub(crate) mod date;
pub(crate) mod decision;
pub(crate) mod etag;
pub(crate) mod evaluate;
pub(crate) mod generation;
pub mod list;
pub(crate) mod outcome;
pub(crate) mod policy;
pub(crate) mod preconditions;
pub mod problem;
pub mod range;
pub(crate) mod resource;

pub use coding::{Codings, ContentCoding, negotiate};
pub use date::{InvalidHttpDate, LastModified};
pub use decision::Decision;
pub use etag::{ETag, InvalidETag};
pub use evaluate::evaluate;
pub use generation::{Generation, InvalidGeneration};
pub use list::Member;
pub use outcome::{ConditionHeader, Failure, Outcome, RangeDecision, Reason, Requirement};
pub use policy::Policy;
pub use preconditions::Preconditions;
pub use resource::Resource;

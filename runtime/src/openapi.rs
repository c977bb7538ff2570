//! OpenAPI for `#[conditional]` routes, with [utoipa](https://docs.rs/utoipa) 6 (feature
//! `utoipa`), and with [utoipa-axum](https://docs.rs/utoipa-axum) 0.3's `OpenApiRouter` and
//! `routes!`.
//!
//! # One feature, no line per route
//!
//! ```toml
//! axum-conditional = { version = "0.1", features = ["utoipa"] }
//! ```
//!
//! With the feature on, `#[conditional]` extends the `#[utoipa::path(…)]` written **below** it
//! on the same function with what the rewritten handler does on the wire, before utoipa reads
//! it. Nothing else is written: the problem schemas below are referenced by the responses, and
//! utoipa collects schemas referenced from paths into the document's components by itself
//! (through `#[derive(OpenApi)]`'s `paths(…)` or `utoipa-axum`'s `routes!`).
//!
//! ```
//! use axum::extract::{Path, State};
//! use axum_conditional::{ETag, conditional};
//! # #[derive(Clone)]
//! # struct Store;
//! # impl Store { async fn version(&self, _: u64) -> Option<u64> { Some(1) } }
//!
//! #[conditional(etag = store.version(id).await.map(ETag::from_version), require = true)]
//! #[utoipa::path(put, path = "/docs/{id}", responses((status = 200, description = "Stored")))]
//! async fn put_doc(State(store): State<Store>, Path(id): Path<u64>, body: String) -> String {
//!     body
//! }
//!
//! #[derive(utoipa::OpenApi)]
//! #[openapi(paths(put_doc))]
//! struct Api;
//!
//! # fn main() {
//! use utoipa::OpenApi as _;
//! let document = serde_json::to_value(Api::openapi()).unwrap();
//! let put = &document["paths"]["/docs/{id}"]["put"];
//! assert_eq!(put["parameters"][0]["name"], "If-Match");
//! assert!(put["responses"]["412"].is_object());
//! assert!(put["responses"]["428"].is_object());
//! assert!(document["components"]["schemas"]["axum_conditional.PreconditionFailed"].is_object());
//! # }
//! ```
//!
//! # With utoipa-axum
//!
//! utoipa-axum's `routes!` reads the same `#[utoipa::path]`, as `#[conditional]` extended it,
//! to register a handler and document it in one step; the problem schemas land in the
//! components as with `#[derive(OpenApi)]`. The handlers given to one `routes!` share a path:
//!
//! ```text
//! use utoipa_axum::{router::OpenApiRouter, routes};
//!
//! let (router, document) = OpenApiRouter::new()
//!     .routes(routes!(get_doc, put_doc))
//!     .split_for_parts();
//! ```
//!
//! The `documents` example registers every documented route this way (`documents::router`),
//! and the workspace's tests check that the document `routes!` collects equals the derived one.
//! `routes!` gives an operation no tag of its own (`#[derive(OpenApi)]` tags it with its
//! module's name): write `tag = "…"` in `#[utoipa::path]` to group operations.
//!
//! # The order of the attributes
//!
//! `#[conditional]` must come **above** `#[utoipa::path]`: attributes expand from the top, so
//! only then does `#[conditional]` see `#[utoipa::path]` and extend it. In the other order
//! utoipa has already read its attribute when `#[conditional]` runs, and the document would
//! silently lack every conditional part; instead, compilation fails with "`#[utoipa::path]`
//! must come below `#[conditional]`". (The check sees the `__path_<handler>` struct utoipa
//! generates. With utoipa's `impl_for = …` there is none, so that one case is not caught.)
//!
//! With the feature on, `#[conditional]` goes on a function at module level (not in an
//! `impl` block), as `#[utoipa::path]` does: it emits a hidden module beside the function.
//!
//! # What is added
//!
//! The HTTP method is utoipa's own first argument (`get`, `put`, …, or `method(…)`). Every
//! addition depends on the route's `#[conditional(…)]` arguments as well:
//!
//! | method | request headers | responses |
//! | --- | --- | --- |
//! | `GET`, `HEAD` | `If-None-Match` (with `etag`), `If-Modified-Since` (with `last_modified`) | 304 with `ETag` (or `Last-Modified`), `Cache-Control` and `Vary` as declared; `ETag` and `Last-Modified` on every 2xx the user wrote as a tuple |
//! | `PUT`, `PATCH` | `If-Match` (with `etag`), `If-Unmodified-Since` (with `last_modified`), `If-None-Match` (`*`: create-only) where the route creates: a `PUT` unless `creates = false`, a `PATCH` only with `creates = true` | 412 ([`PreconditionFailedBody`]); 428 ([`PreconditionRequiredBody`]) with `require = true` |
//! | `POST`, `DELETE` | `If-Match` (with `etag`), `If-Unmodified-Since` (with `last_modified`) | as above |
//! | `OPTIONS`, `TRACE` | none | none |
//!
//! - **Nothing written is overwritten.** A response whose status the user wrote, as a number
//!   (`412`) or by name (`PRECONDITION_FAILED`, `StatusCode::PRECONDITION_FAILED`), keeps the
//!   user's; a header parameter the user wrote (names compare case-insensitively) keeps the
//!   user's; a response header the user wrote on a 2xx keeps the user's. What a type given to
//!   `params(…)` (an `IntoParams`) or `responses(…)` (an `IntoResponses`) contains cannot be
//!   seen by the attribute, so a header or status listed there is added a second time: write
//!   those as tuples instead.
//! - **`If-Match` is optional in the document, even with `require = true`,** except where it
//!   is the only way past the 428: routes with `require = true` and no `last_modified` whose
//!   method cannot create (`POST`, `DELETE`, a `PATCH` without `creates = true`, a `PUT` with
//!   `creates = false`). Elsewhere the server also accepts `If-Unmodified-Since` (with
//!   `last_modified`) or, on a `PUT` or `PATCH` that creates, `If-None-Match: *`, exactly the
//!   rule of [`Requirement`](crate::Requirement) (RFC 6585 §3): marking `If-Match` required
//!   there would make generated clients and request validators refuse a create-only `PUT`
//!   that the server accepts. The 428 and the parameter's description say what to send.
//! - **A 412 is documented on writes only.** The evaluator answers 412 to a read whose
//!   `If-Match` or `If-Unmodified-Since` fails, but those headers are not documented on reads,
//!   where they are rare; the 304 is what a read's conditions are for.
//! - **A route whose methods disagree** (`method(get, put)`, which would give one operation's
//!   parameters to both) is a compile error: document the read and the write in two functions.
//!   A `#[utoipa::path]` without a method is left for utoipa to report.
//! - With utoipa's `axum_extras`, utoipa reads the types of path and query parameters off the
//!   function's arguments. The rewritten handler takes the rest of the request in place of
//!   the last argument, so a `Path` or `Query` written last must be named in `params(…)`.

use std::borrow::Cow;

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{RefOr, schema::SchemaType};
use utoipa::{PartialSchema, ToSchema};

use crate::rfc::{ConditionHeader, Reason};

/// The `type` URI of a 412's problem body; see [`problem`](crate::rfc::problem).
const PRECONDITION_FAILED_TYPE: &str = "https://docs.rs/axum-conditional/latest/axum_conditional/problem/index.html#precondition-failed";
/// The `type` URI of a 428's problem body.
const PRECONDITION_REQUIRED_TYPE: &str = "https://docs.rs/axum-conditional/latest/axum_conditional/problem/index.html#precondition-required";

/// Every [`Reason`], in the order of its declaration.
const REASONS: [Reason; 8] = [
    Reason::Mismatch,
    Reason::Malformed,
    Reason::WeakTag,
    Reason::NoCurrentRepresentation,
    Reason::Modified,
    Reason::Matched,
    Reason::ChangedDuringRequest,
    Reason::AmbiguousDate,
];

/// Where `reason` is in [`REASONS`]. A variant added to [`Reason`] does not compile here until
/// it is given a place, and [`LISTED`] checks, at compile time, that the place holds it.
const fn reason_index(reason: Reason) -> usize {
    match reason {
        Reason::Mismatch => 0,
        Reason::Malformed => 1,
        Reason::WeakTag => 2,
        Reason::NoCurrentRepresentation => 3,
        Reason::Modified => 4,
        Reason::Matched => 5,
        Reason::ChangedDuringRequest => 6,
        Reason::AmbiguousDate => 7,
    }
}

/// Every [`ConditionHeader`], the order of a 428's `accepted` when the resource exists.
const CONDITIONS: [ConditionHeader; 3] = [
    ConditionHeader::IfMatch,
    ConditionHeader::IfUnmodifiedSince,
    ConditionHeader::IfNoneMatch,
];

/// Where `condition` is in [`CONDITIONS`]; as [`reason_index`].
const fn condition_index(condition: ConditionHeader) -> usize {
    match condition {
        ConditionHeader::IfMatch => 0,
        ConditionHeader::IfUnmodifiedSince => 1,
        ConditionHeader::IfNoneMatch => 2,
    }
}

/// Every reason and condition is listed once, at its place.
const LISTED: () = {
    let mut i = 0;
    while i < REASONS.len() {
        assert!(reason_index(REASONS[i]) == i, "REASONS is out of order");
        i += 1;
    }
    let mut i = 0;
    while i < CONDITIONS.len() {
        assert!(
            condition_index(CONDITIONS[i]) == i,
            "CONDITIONS is out of order"
        );
        i += 1;
    }
};

/// The OpenAPI schema of the body of a 412 Precondition Failed
/// ([`PreconditionFailed::body`](crate::rfc::problem::PreconditionFailed::body)), named
/// `axum_conditional.PreconditionFailed` in the document's components. A marker type: it only
/// describes the body, as [`ToSchema`].
///
/// Required members: `type`, `title`, `status` (412), `detail`, `condition` (the header whose
/// condition was false) and `reason` (one of [`Reason::as_str`]); optional: `etag`,
/// `last_modified` (the current validators, unless the route hides them) and `sent` (what the
/// client sent, at most [`SENT_LIMIT`](crate::rfc::problem::SENT_LIMIT) bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PreconditionFailedBody;

/// The OpenAPI schema of the body of a 428 Precondition Required
/// ([`PreconditionRequired::body`](crate::rfc::problem::PreconditionRequired::body)), named
/// `axum_conditional.PreconditionRequired` in the document's components. A marker type, as
/// [`PreconditionFailedBody`].
///
/// Required members: `type`, `title`, `status` (428), `detail` (what to send) and `accepted`
/// (the conditions that would be accepted, most useful first).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PreconditionRequiredBody;

impl PartialSchema for PreconditionFailedBody {
    fn schema() -> RefOr<Schema> {
        let () = LISTED;
        let reasons = REASONS.map(Reason::as_str);
        let object = problem_object(
            "An RFC 9457 problem: a precondition of the request was false (RFC 9110 §13), so the \
             method was not applied. Re-read the resource and retry with its current validators.",
            PRECONDITION_FAILED_TYPE,
            412,
        )
        .property(
            "condition",
            text("The header whose condition was false.").enum_values(Some(condition_names())),
        )
        .required("condition")
        .property(
            "reason",
            text("Why it was false; stable, for programs to branch on.").enum_values(Some(reasons)),
        )
        .required("reason")
        .property(
            "etag",
            text("The resource's current entity-tag, as in the ETag header."),
        )
        .property(
            "last_modified",
            text("The resource's current modification date (an HTTP-date), as in Last-Modified."),
        )
        .property(
            "sent",
            text("What the request sent in the failed field, its lines joined by \", \".")
                .max_length(Some(crate::rfc::problem::SENT_LIMIT)),
        );
        Schema::Object(object.build()).into()
    }
}

impl ToSchema for PreconditionFailedBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("axum_conditional.PreconditionFailed")
    }
}

impl PartialSchema for PreconditionRequiredBody {
    fn schema() -> RefOr<Schema> {
        let accepted = ArrayBuilder::new()
            .items(text("A conditional request header.").enum_values(Some(condition_names())))
            .min_items(Some(1))
            .unique_items(true)
            .description(Some(
                "The headers that would make the request acceptable, most useful first.",
            ));
        let object = problem_object(
            "An RFC 9457 problem: this request must be conditional (RFC 6585 §3), so that it \
             cannot overwrite a change it has not seen. `detail` says what to send.",
            PRECONDITION_REQUIRED_TYPE,
            428,
        )
        .property("accepted", accepted)
        .required("accepted");
        Schema::Object(object.build()).into()
    }
}

impl ToSchema for PreconditionRequiredBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("axum_conditional.PreconditionRequired")
    }
}

/// The members every problem body of this crate has (RFC 9457 §3.1).
fn problem_object(description: &str, kind: &str, status: u16) -> ObjectBuilder {
    let title = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or_default();
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .description(Some(description))
        .property(
            "type",
            text("The problem type, a stable URI.")
                .format(Some(SchemaFormat::Custom("uri".to_owned())))
                .enum_values(Some([kind])),
        )
        .required("type")
        .property(
            "title",
            text("The status's reason phrase.").enum_values(Some([title])),
        )
        .required("title")
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::Integer))
                .description(Some("The response's status code."))
                .enum_values(Some([status])),
        )
        .required("status")
        .property(
            "detail",
            text("A sentence for people: what failed and what to do."),
        )
        .required("detail")
}

/// A string member described by `description`.
fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description))
}

fn condition_names() -> [&'static str; 3] {
    CONDITIONS.map(ConditionHeader::as_str)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::rfc::problem::{PreconditionFailed, PreconditionRequired};
    use crate::rfc::{ETag, Failure, LastModified, Requirement, Resource};

    fn schema_json<T: PartialSchema>() -> Value {
        serde_json::to_value(T::schema()).expect("a schema serializes")
    }

    /// Checks `body` against `schema` as far as these schemas go: every member is a declared
    /// property whose `enum`, if any, lists its value, and every required member is there.
    fn conforms(body: &str, schema: &Value) {
        let body: Value = serde_json::from_str(body).expect("the body is JSON");
        let body = body.as_object().expect("the body is an object");
        let properties = schema["properties"].as_object().expect("properties");
        for (name, value) in body {
            let property = properties
                .get(name)
                .unwrap_or_else(|| panic!("`{name}` is in a body but not in the schema"));
            let listed = |property: &Value, value: &Value| {
                property["enum"]
                    .as_array()
                    .is_none_or(|values| values.contains(value))
            };
            match value {
                Value::Array(items) => {
                    for item in items {
                        assert!(listed(&property["items"], item), "{name}: {item}");
                    }
                }
                value => assert!(listed(property, value), "{name}: {value} is not listed"),
            }
        }
        for name in schema["required"].as_array().expect("required") {
            let name = name.as_str().expect("a name");
            assert!(body.contains_key(name), "required `{name}` is missing");
        }
    }

    #[test]
    fn every_412_body_conforms_to_its_schema() {
        let schema = schema_json::<PreconditionFailedBody>();
        let current = Resource::existing(
            Some(ETag::from_version(7)),
            Some(LastModified::from_system_time(std::time::UNIX_EPOCH)),
        );
        let sent = http::HeaderValue::from_static("\"6\"");
        for reason in REASONS {
            for condition in CONDITIONS {
                let failure = Failure::new(condition, reason);
                conforms(&PreconditionFailed::new(failure).body(), &schema);
                let full = PreconditionFailed::new(failure)
                    .with_current(&current)
                    .with_sent([&sent]);
                let body = full.body();
                for member in ["etag", "last_modified", "sent"] {
                    assert!(body.contains(&format!("\"{member}\"")), "{body}");
                }
                conforms(&body, &schema);
            }
        }
    }

    #[test]
    fn every_428_body_conforms_to_its_schema() {
        let schema = schema_json::<PreconditionRequiredBody>();
        for bits in 0..16u8 {
            let [exists, etag, date, create] = [1, 2, 4, 8].map(|bit| bits & bit != 0);
            let requirement = Requirement::new(exists, etag, date, create);
            conforms(&PreconditionRequired::new(requirement).body(), &schema);
        }
    }

    #[test]
    fn the_schemas_have_names_no_user_type_takes() {
        assert_eq!(
            PreconditionFailedBody::name(),
            "axum_conditional.PreconditionFailed"
        );
        assert_eq!(
            PreconditionRequiredBody::name(),
            "axum_conditional.PreconditionRequired"
        );
    }
}

//! What the preconditions decided, for operators: one `tracing` event per request a
//! `#[conditional]` handler evaluates, and (feature `metrics`) counters through the [`metrics`]
//! facade.
//!
//! [`metrics`]: https://docs.rs/metrics/0.24
//!
//! # Events
//!
//! Every request the rewritten handler evaluates gives exactly one event, with target
//! `axum_conditional`, at level `DEBUG`, once its answer is known: the answer the client got,
//! whether the preconditions gave it in place of the handler or the handler did. Its fields:
//!
//! | field | value |
//! | --- | --- |
//! | `method` | the request method |
//! | `route` | the matched route template, axum's [`MatchedPath`] (`/documents/{id}`); absent when the handler is not behind a `Router` |
//! | `outcome` | `304`, `412` or `428` for the refusals the client got (a `412` the handler answered when its atomic write lost to a concurrent one, `Failure::changed_during_request`, included), `pass` for any other answer of the handler |
//! | `condition` | the failed condition of a `412`: `If-Match`, `If-None-Match`, `If-Unmodified-Since` |
//! | `reason` | why it failed: the `reason` of the 412 problem body ([`Reason::as_str`](crate::Reason::as_str)) |
//! | `etag` | the current entity-tag a `304` or `412` sends, only on a route with `expose_validators` (the default) |
//! | `body_unread` | on a `304`, `412` or `428`: whether the request had a body, left unread by the handler |
//! | `body_length` | how much of it the server could have read: its declared length (`Content-Length`), at most the [`Linger`](crate::Linger) byte bound, and nothing when the client waits for `100 Continue` (which a refusal never sends) |
//!
//! The values of the request's own fields are never recorded: `If-Match` and `If-None-Match`
//! may carry anything a client puts there, and nothing else of the request (`Authorization`,
//! cookies, the path's parameters, the query) is read.
//!
//! **Why `DEBUG` for every outcome, `412` and `428` included.** A 304 or a pass is the normal
//! course of a request. A 412 or a 428 is the service doing its job on a client's mistake (a
//! stale copy, a missing `If-Match`): the lost update was prevented, nothing needs an
//! operator's attention for one of them, and at `INFO` or `WARN` a client retrying in a loop
//! would flood the logs of a service filtered at `INFO`, the usual production level. tower-http's
//! `TraceLayer` makes the same choice, classifying 4xx as no failure. A rising rate of 412s is a
//! trend, which the counters below show; to see each one, enable `axum_conditional=debug`.
//!
//! A request that is not evaluated gives no event: a rejection of an extractor, or an error of a
//! validator, is answered before the preconditions. A read of a missing resource whose
//! `If-Match` failed runs the handler ([`Outcome::Deferred`](crate::Outcome::Deferred)): its
//! event says `pass` when the handler's answer stands (a 404), and `412` when a 2xx from the
//! handler is replaced by the 412 (RFC 9110 §13.2.1: the precondition applies only to a
//! response that would be 2xx).
//!
//! When no subscriber is interested in `DEBUG` events of this target, an event costs tracing's
//! check of its global maximum level (then of the callsite's cached interest); nothing is read
//! from the request and nothing is formatted.
//!
//! The route comes from axum's `MatchedPath`, which the router inserts only with axum's
//! `matched-path` feature. It is one of axum's default features; this crate turns it on where
//! an application turned it off, and the router then pays for it on every request (an
//! allocation: 568 instructions per request in `scripts/instructions-304.sh`).
//!
//! # Counters (feature `metrics`)
//!
//! Recorded through the [`metrics`] facade into the recorder the application installs (for
//! Prometheus, `metrics-exporter-prometheus`; the `documents` example serves them at
//! `GET /metrics`). Names and labels follow the Prometheus conventions: snake case, counters end
//! in `_total`, and every label has few values. The `route` label is the matched route template,
//! never the request's path, so a route has one series whatever ids it is called with; it is
//! empty (which Prometheus treats as absent) when the handler is not behind a `Router`.
//!
//! | counter | labels | counts |
//! | --- | --- | --- |
//! | `axum_conditional_requests_total` | `route`, `outcome` (`pass`, `304`, `412`, `428`) | requests evaluated, by outcome, as the events above |
//! | `axum_conditional_precondition_failed_total` | `route`, `condition`, `reason` | the `412`s, by failed condition and reason (their sum is the `outcome="412"` series) |
//! | `axum_conditional_unread_body_bytes_total` | `route` | the request-body bytes a `304`, `412` or `428` left unread, as the events' `body_length` counts them (a body of unknown length, sent chunked, counts in the events' `body_unread` only): bounded per request, so a declared length of 2⁶³ cannot wrap the counter |
//!
//! Each thread registers a route's counters with the recorder in place the first time the
//! route answers on that thread, and registers them again if another recorder is installed
//! later. Without a recorder, a request costs the facade's lookup of the recorder, and nothing
//! else: the facade's no-op recorder is recognised by its size, zero, so a recorder of your
//! own must not be a zero-sized type (one that keeps its state in statics).
//!
//! [`MatchedPath`]: axum::extract::MatchedPath

use axum::extract::MatchedPath;
use axum_core::response::Response;
use http::request::Parts;
use http::{Method, StatusCode, header};

use crate::rfc::Failure;

/// The target of the events: the crate's name, for filters such as `axum_conditional=debug`.
const TARGET: &str = "axum_conditional";

/// Who asked: what an event and a counter name of a request, kept from its head until its
/// answer is known (two reference counts at most: a method and a route template).
#[derive(Clone, Debug)]
pub(crate) struct Asked {
    method: Method,
    route: Option<MatchedPath>,
}

impl Asked {
    /// Who asked, when anyone listens: a subscriber interested in this crate's `DEBUG` events,
    /// or (feature `metrics`) a recorder. Otherwise `None`, and a request costs two checks
    /// instead of a look in its extensions and two clones.
    #[inline]
    pub(crate) fn of(parts: &Parts) -> Option<Self> {
        wanted().then(|| Asked {
            method: parts.method.clone(),
            route: parts.extensions.get::<MatchedPath>().cloned(),
        })
    }

    fn route(&self) -> Option<&str> {
        self.route.as_ref().map(MatchedPath::as_str)
    }
}

/// Whether an outcome would be seen by anyone.
#[inline]
fn wanted() -> bool {
    let events = tracing::enabled!(target: TARGET, tracing::Level::DEBUG);
    #[cfg(feature = "metrics")]
    let events = events || counters::wanted();
    events
}

/// How the answer came about.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Got {
    /// In place of the handler, before the request body was read: whether it had one, and how
    /// many of its bytes the server could have read (declared, and capped by the lingering
    /// bound; 0 when the client waits for `100 Continue` and never sends it).
    Early {
        body_unread: bool,
        unread: Option<u64>,
    },
    /// From the handler (its 412 too, when its atomic write lost: a refusal the client got).
    Ran,
}

/// The outcome label of an answer: `304`, `412` and `428` for the refusals the client got,
/// `pass` for what the handler answered otherwise.
fn outcome_name(got: Got, status: StatusCode, failure: Option<Failure>) -> &'static str {
    match (got, status) {
        (Got::Early { .. }, StatusCode::NOT_MODIFIED) => "304",
        (Got::Early { .. }, StatusCode::PRECONDITION_REQUIRED) => "428",
        (_, StatusCode::PRECONDITION_FAILED) if failure.is_some() => "412",
        _ => "pass",
    }
}

/// Records the answer the client got to a request a `#[conditional]` handler evaluated: the one
/// place outcomes are recorded, once per request, with its final status.
#[inline]
pub(crate) fn record(asked: &Asked, response: &Response, got: Got, exposes_validators: bool) {
    let failure = response.extensions().get::<Failure>().copied();
    let outcome = outcome_name(got, response.status(), failure);
    let (body_unread, body_length) = match got {
        Got::Early {
            body_unread,
            unread,
        } => (Some(body_unread), unread.filter(|n| *n > 0)),
        Got::Ran => (None, None),
    };
    let message = match (got, outcome) {
        (Got::Early { .. }, _) => "precondition answered in place of the handler",
        (Got::Ran, "412") => "the handler answered 412: the precondition failed as it ran",
        (Got::Ran, _) => "preconditions passed: the handler answered",
    };
    // The field expressions are evaluated only when the event is enabled.
    tracing::debug!(
        target: TARGET,
        method = asked.method.as_str(),
        route = asked.route(),
        outcome,
        condition = failure.map(|failure| failure.condition().as_str()),
        reason = failure.map(|failure| failure.reason().as_str()),
        etag = sent_etag(response, outcome, exposes_validators),
        body_unread,
        body_length,
        "{message}"
    );
    #[cfg(feature = "metrics")]
    counters::record(asked.route().unwrap_or(""), outcome, failure, body_length);
}

/// The entity-tag a 304 or 412 sends, for a route that shows its validators (an `ETag` value is
/// visible ASCII: `to_str` fails on nothing this crate builds).
fn sent_etag<'a>(response: &'a Response, outcome: &str, exposes: bool) -> Option<&'a str> {
    if !exposes || outcome == "pass" || outcome == "428" {
        return None;
    }
    response.headers().get(header::ETAG)?.to_str().ok()
}

#[cfg(feature = "metrics")]
mod counters {
    //! The counters of the module's documentation, registered once per thread, route and
    //! recorder.

    use std::cell::RefCell;

    use metrics::{Counter, Key, Label, Metadata, Recorder};

    use crate::rfc::Failure;

    /// Requests evaluated, by route and outcome.
    pub(super) const REQUESTS: &str = "axum_conditional_requests_total";
    /// The 412s, by route, failed condition and reason.
    pub(super) const PRECONDITION_FAILED: &str = "axum_conditional_precondition_failed_total";
    /// Declared request-body bytes left unread by an answer in place of the handler.
    pub(super) const UNREAD_BODY_BYTES: &str = "axum_conditional_unread_body_bytes_total";

    static METADATA: Metadata<'static> =
        Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

    /// The outcomes of the `outcome` label, in the order of [`RouteCounters::outcomes`].
    const OUTCOMES: [&str; 4] = ["pass", "304", "412", "428"];

    thread_local! {
        static CACHE: RefCell<Cache> = const {
            RefCell::new(Cache { recorder: 0, routes: Vec::new() })
        };
    }

    /// This thread's counters, for the recorder they were registered with.
    struct Cache {
        /// The address of the recorder the counters belong to.
        recorder: usize,
        routes: Vec<RouteCounters>,
    }

    /// One route's counters, registered on first use.
    struct RouteCounters {
        /// Where the route's template was last seen: the router keeps one copy of it and every
        /// request's `MatchedPath` shares it, so a route is found by address first (and checked
        /// by content, in case a dropped router's memory was reused).
        address: usize,
        route: Box<str>,
        outcomes: [Option<Counter>; 4],
        failures: Vec<(Failure, Counter)>,
        unread_bytes: Option<Counter>,
    }

    /// Whether a recorder is installed (see [`with_route`] for how the no-op one is told).
    #[inline]
    pub(super) fn wanted() -> bool {
        metrics::with_recorder(|recorder| size_of_val(recorder) != 0)
    }

    #[inline]
    pub(super) fn record(
        route: &str,
        outcome: &str,
        failure: Option<Failure>,
        unread: Option<u64>,
    ) {
        with_route(route, |counters, recorder| {
            let index = OUTCOMES
                .iter()
                .position(|known| *known == outcome)
                .unwrap_or(0);
            counters.outcome(index, recorder).increment(1);
            if let (Some(failure), "412") = (failure, outcome) {
                counters.failure(failure, recorder).increment(1);
            }
            if let Some(unread) = unread {
                counters.unread_bytes(recorder).increment(unread);
            }
        });
    }

    /// Runs `record` with the counters of the request's route, for the recorder in place;
    /// without one, returns at once.
    ///
    /// The facade hands out its no-op recorder when none is installed, and does not say so.
    /// That recorder is zero-sized, and a recorder that records anything holds some state, so
    /// a zero-sized one is taken for "no recorder": the request then costs a thread-local
    /// read and an atomic load (the facade's own lookup), not the route's (measured with
    /// `scripts/instructions-304.sh`).
    #[inline]
    fn with_route(route: &str, record: impl FnOnce(&mut RouteCounters, &dyn Recorder)) {
        metrics::with_recorder(|recorder| {
            if size_of_val(recorder) != 0 {
                record_with(route, recorder, record);
            }
        });
    }

    /// [`with_route`], once a recorder is found: out of line, so that the path without one
    /// stays short.
    #[inline(never)]
    fn record_with(
        route: &str,
        recorder: &dyn Recorder,
        record: impl FnOnce(&mut RouteCounters, &dyn Recorder),
    ) {
        let id = std::ptr::from_ref(recorder).cast::<()>() as usize;
        CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.recorder != id {
                // Counters belong to the recorder that registered them.
                cache.routes.clear();
                cache.recorder = id;
            }
            record(cache.route(route), recorder);
        });
    }

    impl Cache {
        fn route(&mut self, route: &str) -> &mut RouteCounters {
            let address = route.as_ptr() as usize;
            let found = self
                .routes
                .iter()
                .position(|known| known.address == address && *known.route == *route)
                .or_else(|| self.by_content(route, address));
            let index = found.unwrap_or_else(|| {
                self.routes.push(RouteCounters {
                    address,
                    route: route.into(),
                    outcomes: Default::default(),
                    failures: Vec::new(),
                    unread_bytes: None,
                });
                self.routes.len() - 1
            });
            &mut self.routes[index]
        }

        /// The route known by its template at another address: the same template in another
        /// router (one built per test, or a router rebuilt), found by content, so that a route
        /// has one entry however many routers serve it.
        fn by_content(&mut self, route: &str, address: usize) -> Option<usize> {
            let index = self
                .routes
                .iter()
                .position(|known| *known.route == *route)?;
            self.routes[index].address = address;
            Some(index)
        }
    }

    impl RouteCounters {
        fn outcome(&mut self, index: usize, recorder: &dyn Recorder) -> &Counter {
            let route = &self.route;
            self.outcomes[index].get_or_insert_with(|| {
                let outcome = Label::from_static_parts("outcome", OUTCOMES[index]);
                register(recorder, REQUESTS, vec![label(route), outcome])
            })
        }

        fn failure(&mut self, failure: Failure, recorder: &dyn Recorder) -> &Counter {
            let index = match self
                .failures
                .iter()
                .position(|(known, _)| *known == failure)
            {
                Some(index) => index,
                None => {
                    let labels = vec![
                        label(&self.route),
                        Label::from_static_parts("condition", failure.condition().as_str()),
                        Label::from_static_parts("reason", failure.reason().as_str()),
                    ];
                    let counter = register(recorder, PRECONDITION_FAILED, labels);
                    self.failures.push((failure, counter));
                    self.failures.len() - 1
                }
            };
            &self.failures[index].1
        }

        fn unread_bytes(&mut self, recorder: &dyn Recorder) -> &Counter {
            let route = &self.route;
            self.unread_bytes
                .get_or_insert_with(|| register(recorder, UNREAD_BODY_BYTES, vec![label(route)]))
        }
    }

    /// The `route` label: allocated once per counter, when it is registered.
    fn label(route: &str) -> Label {
        Label::new("route", String::from(route))
    }

    fn register(recorder: &dyn Recorder, name: &'static str, labels: Vec<Label>) -> Counter {
        recorder.register_counter(&Key::from_parts(name, labels), &METADATA)
    }
}

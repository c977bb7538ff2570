//! Named, repeatable requests against real `Router`s, sent in process with
//! `tower::ServiceExt::oneshot`: what `benches/handler.rs` and `benches/refused_write.rs` time
//! and `src/bin/instructions.rs` counts instructions of.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use tower::ServiceExt;

use crate::document::{self, DOCUMENT_BYTES, WRITE_BYTES};
use crate::etag_middleware::ContentHash;
use crate::{handler, refused_write};

/// One request against one app, sent again and again.
pub struct Scenario {
    /// `group/name`, as the benches and the driver report it.
    pub name: String,
    app: Router,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    expect: StatusCode,
}

impl Scenario {
    /// The request, built anew (the same way for every scenario, so its cost is common).
    pub fn request(&self) -> Request {
        let mut request = Request::new(Body::from(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }

    /// Sends the request through the router and reads the whole response body, as a server
    /// writing it out would. Returns the body's length.
    ///
    /// # Panics
    ///
    /// If the status is not the one the scenario expects: a bench must not time the wrong path.
    pub async fn run(&self) -> usize {
        let response = match self.app.clone().oneshot(self.request()).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        assert_eq!(response.status(), self.expect, "{}", self.name);
        match axum::body::to_bytes(response.into_body(), usize::MAX).await {
            Ok(bytes) => bytes.len(),
            Err(error) => panic!("{}: body: {error}", self.name),
        }
    }

    /// The status the scenario's requests get.
    pub fn expected_status(&self) -> StatusCode {
        self.expect
    }
}

/// The headers a browser sends on every request, plus `extra`.
pub(crate) fn browser_headers(extra: &[(header::HeaderName, HeaderValue)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(header::HOST, HeaderValue::from_static("api.example"));
    map.insert(
        header::USER_AGENT,
        HeaderValue::from_static("Mozilla/5.0 (X11; Linux x86_64)"),
    );
    map.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    map.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static("gzip, deflate, br"),
    );
    for (name, value) in extra {
        map.append(name, value.clone());
    }
    map
}

fn get(
    name: String,
    app: Router,
    extra: &[(header::HeaderName, HeaderValue)],
    expect: u16,
) -> Scenario {
    Scenario {
        name,
        app,
        method: Method::GET,
        uri: Uri::from_static(handler::DOCUMENT_PATH),
        headers: browser_headers(extra),
        body: Bytes::new(),
        expect: StatusCode::from_u16(expect).unwrap_or(StatusCode::OK),
    }
}

/// The `ETag` an app sends on a 200 for the document: what a client revalidates with.
async fn current_tag(app: &Router) -> HeaderValue {
    let probe = get(String::new(), app.clone(), &[], 200);
    let response = match app.clone().oneshot(probe.request()).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    match response.headers().get(header::ETAG) {
        Some(tag) => tag.clone(),
        None => panic!("the app sent no ETag"),
    }
}

/// Item 2: (a) plain, (b) `#[conditional]`, (c) body-hashing middleware (FNV-1a and XXH3), each
/// on the 200 path (a first visit: no `If-None-Match`) and the 304 path (`If-None-Match` with
/// the tag the app sent). Plain axum has no 304 path: its "304" scenario sends the same
/// `If-None-Match` and gets the 200 it always gives, for reference.
pub async fn handler_scenarios() -> Vec<Scenario> {
    let store = handler::Store::with_document(DOCUMENT_BYTES);
    let mut apps = vec![
        ("plain".to_owned(), handler::plain_app(store.clone())),
        (
            "conditional".to_owned(),
            handler::conditional_app(store.clone()),
        ),
    ];
    for hash in ContentHash::ALL {
        let name = format!("body-hash-{}", hash.name());
        apps.push((name, handler::body_hash_app(store.clone(), hash)));
    }
    let conditional_tag = current_tag(&apps[1].1).await;
    let mut scenarios = Vec::new();
    for (name, app) in &apps {
        scenarios.push(get(format!("200/{name}"), app.clone(), &[], 200));
    }
    for (name, app) in &apps {
        let (tag, expect) = if name == "plain" {
            (conditional_tag.clone(), 200)
        } else {
            (current_tag(app).await, 304)
        };
        let extra = [(header::IF_NONE_MATCH, tag)];
        scenarios.push(get(format!("304/{name}"), app.clone(), &extra, expect));
    }
    scenarios
}

/// Item 3: `PUT` with a stale `If-Match` and a 1 MiB JSON body, refused with 412 by
/// `#[conditional]` before the body is read (`412/deferred`) and by the same check after `Json`
/// parsed it (`412/parsed-first`).
pub fn refused_write_scenarios() -> Vec<Scenario> {
    let body = match serde_json::to_vec(&document::sample(1, WRITE_BYTES)) {
        Ok(json) => Bytes::from(json),
        Err(error) => panic!("the write's body: {error}"),
    };
    let extra = [
        (header::IF_MATCH, HeaderValue::from_static("\"6\"")),
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
    ];
    let apps = [
        (
            "deferred",
            refused_write::deferred_app(refused_write::Store::new()),
        ),
        (
            "parsed-first",
            refused_write::parsed_first_app(refused_write::Store::new()),
        ),
    ];
    apps.into_iter()
        .map(|(name, app)| Scenario {
            name: format!("412/{name}"),
            app,
            method: Method::PUT,
            uri: Uri::from_static(handler::DOCUMENT_PATH),
            headers: browser_headers(&extra),
            body: body.clone(),
            expect: StatusCode::PRECONDITION_FAILED,
        })
        .collect()
}

/// A single-threaded runtime: the benches measure one request at a time, on one core.
pub fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => panic!("tokio runtime: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(scenario: &Scenario, request: Request) -> (StatusCode, HeaderMap, Bytes) {
        let response = match scenario.app.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await;
        (parts.status, parts.headers, bytes.expect("body"))
    }

    #[tokio::test]
    async fn every_scenario_takes_the_path_it_is_named_for() {
        let mut scenarios = handler_scenarios().await;
        scenarios.extend(refused_write_scenarios());
        for scenario in &scenarios {
            // `run` asserts the status.
            let length = scenario.run().await;
            let empty = scenario.expected_status() == StatusCode::NOT_MODIFIED;
            assert_eq!(length == 0, empty, "{}: {length} bytes", scenario.name);
        }
    }

    #[tokio::test]
    async fn the_200s_are_the_same_document_and_the_304s_carry_the_tag() {
        let scenarios = handler_scenarios().await;
        let mut bodies = Vec::new();
        for scenario in scenarios.iter().filter(|s| s.name.starts_with("200/")) {
            let (_, headers, body) = body_of(scenario, scenario.request()).await;
            assert!(body.len() >= DOCUMENT_BYTES, "{}", scenario.name);
            assert_eq!(
                headers.contains_key(header::ETAG),
                scenario.name != "200/plain"
            );
            bodies.push(body);
        }
        assert!(bodies.windows(2).all(|pair| pair[0] == pair[1]));
        for scenario in scenarios.iter().filter(|s| s.expected_status() == 304) {
            let (_, headers, _) = body_of(scenario, scenario.request()).await;
            assert_eq!(
                headers.get(header::ETAG),
                scenario.headers.get(header::IF_NONE_MATCH)
            );
        }
    }

    #[tokio::test]
    async fn both_writes_refuse_with_the_same_412_and_apply_a_current_one() {
        let scenarios = refused_write_scenarios();
        let mut refusals = Vec::new();
        for scenario in &scenarios {
            let (status, headers, body) = body_of(scenario, scenario.request()).await;
            assert_eq!(status, StatusCode::PRECONDITION_FAILED);
            // The attribute also echoes what the client sent; the rest is the same problem.
            let mut problem: serde_json::Value =
                serde_json::from_slice(&body).expect("a problem body is JSON");
            if let Some(members) = problem.as_object_mut() {
                members.remove("sent");
            }
            refusals.push((headers.get(header::ETAG).cloned(), problem));
            let mut current = scenario.request();
            current
                .headers_mut()
                .insert(header::IF_MATCH, HeaderValue::from_static("\"7\""));
            let (status, headers, _) = body_of(scenario, current).await;
            assert_eq!(status, StatusCode::OK, "{}", scenario.name);
            assert_eq!(headers[header::ETAG], "\"8\"", "{}", scenario.name);
        }
        assert_eq!(refusals[0], refusals[1]);
    }
}

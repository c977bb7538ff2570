//! `GET /metrics` after the README walkthrough, over real HTTP: the outcome counters of
//! `axum_conditional`, exactly. The one test of this crate outside the `it` binary: the
//! recorder is the process's global one, to which every test of `it` would add its requests.

use axum_conditional_examples::documents::{app, store::Store};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn metrics_show_the_walkthrough_outcomes_per_route() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let store = Store::in_memory().unwrap();
    tokio::spawn(async move { axum::serve(listener, app(store)).await.unwrap() });
    let client = Client::new();
    let send =
        async |method: Method, path: &str, headers: &[(&str, &str)], body: Option<&Value>| {
            let mut request = client.request(method, format!("http://{addr}{path}"));
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            response.bytes().await.unwrap();
            status
        };

    let alice = json!({"title": "Minutes", "text": "Edited by Alice"});
    let again = json!({"title": "Agenda (again)"});
    let walkthrough = [
        (
            Method::POST,
            "/documents",
            vec![],
            Some(json!({"title": "Minutes", "text": "Draft"})),
            201,
        ),
        (Method::GET, "/documents/1", vec![], None, 200),
        (
            Method::GET,
            "/documents/1",
            vec![("if-none-match", r#""1""#)],
            None,
            304,
        ),
        (
            Method::PUT,
            "/documents/1",
            vec![("if-match", r#""1""#)],
            Some(json!({"title": "Minutes", "text": "Edited by Bob"})),
            200,
        ),
        (
            Method::PUT,
            "/documents/1",
            vec![("if-match", r#""1""#)],
            Some(alice.clone()),
            412,
        ),
        (
            Method::PUT,
            "/documents/1",
            vec![],
            Some(alice.clone()),
            428,
        ),
        (
            Method::PUT,
            "/documents/1",
            vec![("if-match", r#""2""#)],
            Some(json!({"title": "Minutes", "text": "Edited by Bob, then Alice"})),
            200,
        ),
        (
            Method::PUT,
            "/documents/7",
            vec![("if-none-match", "*")],
            Some(json!({"title": "Agenda"})),
            201,
        ),
        (
            Method::PUT,
            "/documents/7",
            vec![("if-none-match", "*")],
            Some(again.clone()),
            412,
        ),
    ];
    for (method, path, headers, body, status) in walkthrough {
        let what = format!("{method} {path} {headers:?}");
        assert_eq!(
            send(method, path, &headers, body.as_ref()).await,
            status,
            "{what}"
        );
    }

    let response = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let mut lines: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("axum_conditional_"))
        .collect();
    lines.sort_unstable();

    // The bodies the 412s and the 428 left unread: Alice's twice, then the second agenda.
    let unread =
        2 * serde_json::to_vec(&alice).unwrap().len() + serde_json::to_vec(&again).unwrap().len();
    let unread = format!(
        r#"axum_conditional_unread_body_bytes_total{{route="/documents/{{id}}"}} {unread}"#
    );
    let mut expected = vec![
        r#"axum_conditional_requests_total{route="/documents",outcome="pass"} 1"#,
        r#"axum_conditional_requests_total{route="/documents/{id}",outcome="pass"} 4"#,
        r#"axum_conditional_requests_total{route="/documents/{id}",outcome="304"} 1"#,
        r#"axum_conditional_requests_total{route="/documents/{id}",outcome="412"} 2"#,
        r#"axum_conditional_requests_total{route="/documents/{id}",outcome="428"} 1"#,
        r#"axum_conditional_precondition_failed_total{route="/documents/{id}",condition="If-Match",reason="mismatch"} 1"#,
        r#"axum_conditional_precondition_failed_total{route="/documents/{id}",condition="If-None-Match",reason="matched"} 1"#,
        &unread,
    ];
    expected.sort_unstable();
    assert_eq!(lines, expected, "{text}");
}

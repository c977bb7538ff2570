//! `GET /metrics`: the outcome counters of `axum_conditional` (its `metrics` feature), in the
//! Prometheus text format.
//!
//! The recorder is `metrics-exporter-prometheus` without its own HTTP listener or push
//! gateway: this route renders it. It is the process's global recorder, installed the first
//! time [`handle`] is called, before the router serves anything: `axum_conditional` registers a
//! route's counters with the recorder in place when the route first answers.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The handle of the global Prometheus recorder, installing it on the first call. A process
/// that already has another global recorder keeps it, and this one then renders nothing.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            if ::metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!(
                    "a global metrics recorder was already installed: /metrics stays empty"
                );
            }
            handle
        })
        .clone()
}

/// The counters, as Prometheus scrapes them (text exposition format 0.0.4).
pub async fn render(handle: PrometheusHandle) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}

//! A `Router` served by `axum::serve` on a free loopback port, for tests over real HTTP.

use std::net::SocketAddr;

use axum::Router;

/// Serves `router` on a free loopback port until the test's runtime ends; returns its address.
pub async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind a loopback port: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local address: {e}"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

//! Serving the API the way a production server is: every connection has a deadline for its
//! request head, every request body a deadline for its next bytes, and the number of open
//! connections is capped below the process's descriptor limit.
//!
//! `axum::serve` sets none of these: a client that sends half a request head and stops holds a
//! connection, a descriptor and a task for ever, and a thousand such clients exhaust the
//! descriptors so that `accept` fails for everyone else. Here each connection is served by
//! hyper's HTTP/1 server directly ([`hyper::server::conn::http1::Builder`]):
//!
//! - **Header timeout** ([`Limits::header_timeout`]): hyper's `header_read_timeout`. Hyper starts
//!   it whenever it waits for a request head, on a new connection and on a kept-alive one after
//!   its last response, and closes the connection when the head is not complete in time. It is
//!   therefore also the idle keep-alive timeout: an idle connection is closed after it.
//! - **Body timeout** ([`Limits::body_timeout`]): tower-http's [`TimeoutBody`] around every
//!   request body: a body that sends nothing for this long fails, the handler's read of it
//!   fails (axum answers 400), and the connection closes. A write whose precondition passed
//!   cannot hold a stalled upload open.
//! - **Connection limit** ([`Limits::max_connections`]): a connection is accepted only with a
//!   free slot. Past the limit new connections wait in the kernel's listen queue, costing this
//!   process no descriptor, until a slot frees (a connection ends, or one of the stalled ones
//!   reaches its header timeout); `accept` never fails for lack of descriptors, so the server
//!   never stops accepting.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

/// How long, how much and how many: the limits a connection is served within.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How long a request head may take, counted from when the server waits for it (also the
    /// idle keep-alive timeout, see the module's documentation).
    pub header_timeout: Duration,
    /// How long a request body may send nothing before it fails.
    pub body_timeout: Duration,
    /// How many connections are served at once; keep it below the descriptor limit (`ulimit
    /// -n`) less what the database and the log use.
    pub max_connections: usize,
}

impl Limits {
    /// 10 s for a head: a real client sends its head in one write, so anything slower is a
    /// stalled or hostile one, and an idle keep-alive connection is not worth more than that
    /// (a browser opens a new one in one round trip). 30 s of silence in a body: an upload
    /// over a slow link still sends something every few seconds. 512 connections: half the
    /// usual descriptor limit of 1024, leaving the rest to the database, files and the log.
    pub const DEFAULT: Limits = Limits {
        header_timeout: Duration::from_secs(10),
        body_timeout: Duration::from_secs(30),
        max_connections: 512,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// How many connections may wait in the kernel's queue before `accept`; the kernel caps it at
/// `net.core.somaxconn` (4096 on current Linux). Generous, so that connections past the limit
/// wait there instead of having their handshake dropped and retried.
const BACKLOG: u32 = 4096;

/// A listener on `addr` with a listen queue of 4096 (see `BACKLOG`).
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes; then stops accepting
/// and lets the connections in flight finish their current exchange (for 30 s at most).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // The slot first: past the limit, connections wait in the listen queue, not here.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.map_err(io::Error::other)?,
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors or memory despite the limit (another part of the
                    // process holds them): wait a little instead of spinning on the error.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let body_timeout = limits.body_timeout;
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let request = request.map(|body| Body::new(TimeoutBody::new(body_timeout, body)));
            app.clone().oneshot(request)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that goes away or times out ends its connection; nothing to report.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open 30 s after shutdown began; closing them");
    }
    Ok(())
}

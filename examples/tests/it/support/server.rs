//! The `documents` service (or any router) on a free loopback port, and the temporary SQLite
//! file it runs on.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use axum::Router;
use tokio::task::JoinHandle;

/// A SQLite file path in the temporary directory, unique in this run, whose file and journal
/// files (`-wal`, `-shm`) are removed on drop.
pub struct TempDb(PathBuf);

impl TempDb {
    /// A fresh path; `what` names the test module, so a leftover file says where it came from.
    pub fn new(what: &str) -> TempDb {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        TempDb(std::env::temp_dir().join(format!(
            "documents-{what}-{}-{}-{}.db",
            std::process::id(),
            NEXT.fetch_add(1, SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        )))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// Serves `router` on a free loopback port, on the test's runtime; its address, and the task to
/// abort to stop it.
pub async fn serve(router: Router) -> (SocketAddr, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind a loopback port: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local address: {e}"));
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .unwrap_or_else(|e| panic!("serve: {e}"));
    });
    (addr, task)
}

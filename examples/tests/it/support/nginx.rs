//! nginx in front of the `documents` example, with `examples/deploy/nginx.conf` itself: started
//! on a free loopback port by the test that needs it and stopped by its process id on drop.
//! Used by examples/tests/it/nginx.rs (driven with curl) and examples/tests/it/editor.rs (driven
//! with a browser).
//!
//! nginx comes from Debian (`scripts/test.sh` installs it). Without it [`Nginx::start`] says so
//! loudly on stderr ("SKIPPED: nginx not installed") and returns `None`, and the test passes, so
//! a machine without nginx can still run the rest of the suite; under `REQUIRE_E2E=1` the test
//! fails instead ([`super::e2e::missing`]).

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use axum_conditional_examples::documents::{app, store::Store};

/// The deployment the README shows; the harness replaces only the addresses and the paths.
const DEPLOYMENT: &str = include_str!("../../../deploy/nginx.conf");

/// A deadline for what nginx does on its own clock (writing a log line, letting a one-second
/// cache entry expire). It bounds a wait, it measures nothing: generous on a busy machine.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Starts the example on a free loopback port, on its own thread and runtime (the tests drive
/// curl and nginx with blocking calls), and returns its address. It lives until the test
/// process exits.
pub fn start_example() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let store = Store::in_memory().unwrap();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app(store)).await.unwrap();
        });
    });
    addr
}

/// The nginx binary: on `PATH`, or where Debian puts it (`/usr/sbin`, often not on a user's
/// `PATH`).
fn nginx_binary() -> Option<PathBuf> {
    let on_path = Command::new("which")
        .arg("nginx")
        .output()
        .ok()
        .filter(|found| found.status.success())
        .map(|found| PathBuf::from(String::from_utf8_lossy(&found.stdout).trim()));
    on_path.or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|path| path.exists()))
}

/// A directory of its own for one nginx (configuration, logs, cache, pid), removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "documents-nginx-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Whether files made here belong to root: then nginx's master runs as root, and its
    /// workers would switch to `nobody`, who may not reach this directory (a `TMPDIR` under
    /// `/root`, say).
    fn made_by_root(&self) -> bool {
        fs::metadata(&self.0).unwrap().uid() == 0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The deployment file with this run's addresses and paths: each placeholder value must be
/// there exactly once, so a change to the file that the harness would silently not follow
/// fails here instead.
fn deployment(listen: SocketAddr, example: SocketAddr, dir: &Path) -> String {
    let replacements = [
        ("listen 127.0.0.1:8080;", format!("listen {listen};")),
        (
            "proxy_pass http://127.0.0.1:3000;",
            format!("proxy_pass http://{example};"),
        ),
        (
            "/var/cache/nginx/documents",
            dir.join("cache").display().to_string(),
        ),
        (
            "/var/log/nginx/documents.access.log",
            dir.join("access.log").display().to_string(),
        ),
    ];
    let mut text = DEPLOYMENT.to_owned();
    for (from, to) in replacements {
        assert_eq!(
            text.matches(from).count(),
            1,
            "examples/deploy/nginx.conf should contain {from:?} exactly once"
        );
        text = text.replace(from, &to);
    }
    text
}

/// The main configuration around the deployment: what a system's /etc/nginx/nginx.conf
/// provides, pointed into the scratch directory so nothing needs root or touches /var.
fn main_config(dir: &Scratch, deployment: &Path) -> String {
    // nginx ignores `user` unless its master runs as root; when it does, the workers stay root
    // too, so that they reach the cache in the scratch directory wherever that is.
    let user = if dir.made_by_root() { "user root;" } else { "" };
    let dir = dir.0.display();
    // The temporary paths are compiled into nginx under /var/lib/nginx; nginx creates them at
    // startup even when unused, which fails for a user who cannot write there.
    format!(
        "{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{}}
http {{
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {deployment};
}}
",
        deployment = deployment.display()
    )
}

/// A free loopback port for nginx: the kernel's pick, released for nginx to bind. Another
/// process could take it in between; [`Nginx::start`] then tries another.
fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A running nginx in front of the example, stopped by its process id on drop (also when an
/// assertion fails). examples/tests/it/nginx.rs adds the curl client its tests use.
pub struct Nginx {
    pub listen: SocketAddr,
    child: Child,
    pub dir: Scratch,
    pub next_request: AtomicU32,
}

impl Nginx {
    /// nginx in front of `example`, or `None` when nginx is not installed.
    pub fn start(example: SocketAddr) -> Option<Nginx> {
        let Some(binary) = nginx_binary() else {
            super::e2e::missing(
                "nginx not installed (neither on PATH nor /usr/sbin/nginx); \
                 `apt-get install nginx` to run this test, as scripts/test.sh does",
            );
            return None;
        };
        // A port taken between free_port and nginx's bind only costs another try.
        for _ in 0..5 {
            let dir = Scratch::new();
            let listen = free_port();
            let deployment_file = dir.0.join("documents.conf");
            fs::write(&deployment_file, deployment(listen, example, &dir.0)).unwrap();
            let config = dir.0.join("nginx.conf");
            fs::write(&config, main_config(&dir, &deployment_file)).unwrap();
            let child = Command::new(&binary)
                .arg("-p")
                .arg(&dir.0)
                .arg("-e")
                .arg(dir.0.join("error.log"))
                .arg("-c")
                .arg(&config)
                .args(["-g", "daemon off;"])
                // Its own process group, so that stopping it reaches the workers too.
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut nginx = Nginx {
                listen,
                child,
                dir,
                next_request: AtomicU32::new(1),
            };
            if nginx.ready() {
                return Some(nginx);
            }
            let errors = fs::read_to_string(nginx.dir.0.join("error.log")).unwrap_or_default();
            assert!(
                errors.contains("Address already in use"),
                "nginx did not start:\n{errors}"
            );
        }
        panic!("nginx found no free port in five tries");
    }

    /// Waits until nginx accepts connections; false when it exited first.
    fn ready(&mut self) -> bool {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if std::net::TcpStream::connect(self.listen).is_ok() {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "nginx did not listen on {} within {PATIENCE:?}",
            self.listen
        );
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM to the group: the master stops its workers and exits. SIGKILL if it has
        // not within the deadline (a killed master would leave its workers running).
        let group = self.child.id();
        for signal in ["TERM", "KILL"] {
            let _ = Command::new("sh")
                .args(["-c", &format!("kill -{signal} -{group}")])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

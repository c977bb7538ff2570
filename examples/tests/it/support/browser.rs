//! Chromium, driven through WebDriver: Debian's `chromedriver` started by the test on a free
//! loopback port and stopped by its process id on drop (also when an assertion fails), with one
//! headless Chromium per session, each on a fresh profile.
//!
//! Chromium and chromedriver come from Debian (`chromium`, `chromium-driver`; `scripts/test.sh`
//! installs them). Without them [`Driver::start`] fails the test when `REQUIRE_E2E=1` (as CI
//! sets it, so a missing browser cannot pass as green) and otherwise says "SKIPPED" on stderr and
//! returns `None` ([`super::e2e::missing`]).

use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// A deadline for what the browser does on its own clock (a page load, a revalidation every
/// few seconds, nginx's one-second cache). It bounds a wait, it measures nothing: generous on
/// a busy machine with three browsers.
pub const PATIENCE: Duration = Duration::from_secs(45);

/// Where Debian installs them.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Flags known to work headless, as root, on a machine with no display and no network:
/// `--no-sandbox` because Chromium's sandbox refuses to run as root, and the rest so that it
/// calls nowhere (updates, sync, field trials) while a test runs.
const FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
];

/// A running chromedriver, and the scratch directory of its browsers' profiles.
pub struct Driver {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
    next_profile: AtomicU32,
}

impl Driver {
    /// chromedriver on a free loopback port, or `None` when Chromium is not installed and
    /// `REQUIRE_E2E` is not `1`.
    pub fn start() -> Option<Driver> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|path| !PathBuf::from(path).exists())
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "{} not installed; `apt-get install chromium chromium-driver` to run this test, \
                 as scripts/test.sh does",
                missing.join(" and ")
            );
            super::e2e::missing(&message);
            return None;
        }
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "documents-browser-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        // A port taken between the kernel's pick and chromedriver's bind only costs another try.
        for _ in 0..5 {
            let addr = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={}", addr.port()))
                .arg(format!(
                    "--log-path={}",
                    dir.join("chromedriver.log").display()
                ))
                // Its own process group, so that stopping it reaches the browsers it started.
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut driver = Driver {
                child,
                addr,
                dir: dir.clone(),
                next_profile: AtomicU32::new(0),
            };
            if driver.ready() {
                return Some(driver);
            }
        }
        panic!("chromedriver found no free port in five tries");
    }

    /// Waits until chromedriver accepts connections; false when it exited first.
    fn ready(&mut self) -> bool {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if TcpStream::connect(self.addr).is_ok() {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "chromedriver did not listen on {} within {PATIENCE:?}",
            self.addr
        );
    }

    /// A new browser, with a profile of its own: one person, with nothing shared with the
    /// others (no cache, no cookies).
    pub async fn session(&self) -> Client {
        let profile = self.dir.join(format!(
            "profile-{}",
            self.next_profile.fetch_add(1, Ordering::Relaxed)
        ));
        let mut args: Vec<String> = FLAGS.iter().map(|flag| (*flag).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://{}", self.addr))
            .await
            .unwrap_or_else(|error| {
                let log = fs::read_to_string(self.dir.join("chromedriver.log")).unwrap_or_default();
                panic!("no browser session: {error}\nchromedriver's log:\n{log}")
            })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM to the group (chromedriver and the browsers it started), SIGKILL to what is
        // left after a deadline.
        let group = self.child.id();
        'signals: for signal in ["TERM", "KILL"] {
            let _ = Command::new("kill")
                .args([format!("-{signal}"), "--".to_owned(), format!("-{group}")])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    break 'signals;
                }
                thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The element with `data-testid="name"`.
pub async fn by_test_id(browser: &Client, name: &str) -> Element {
    browser
        .find(Locator::Css(&format!(r#"[data-testid="{name}"]"#)))
        .await
        .unwrap_or_else(|error| panic!("no element with data-testid={name:?}: {error}"))
}

/// What an input or a textarea holds now.
pub async fn value(browser: &Client, name: &str) -> String {
    by_test_id(browser, name)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Replaces what an input or a textarea holds by typing, as a person would.
pub async fn type_into(browser: &Client, name: &str, text: &str) {
    let field = by_test_id(browser, name).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Waits until `check` returns `Some`, asking every 100 ms; panics with `what` and the last
/// status line after [`PATIENCE`]. A check that panics (an element not there yet, while the
/// page is still loading after a click) counts as "not yet": on a loaded machine the page may
/// take longer than one check to appear.
pub async fn eventually<T, F, Fut>(browser: &Client, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    use futures_util::FutureExt as _;
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(Some(found)) = std::panic::AssertUnwindSafe(check()).catch_unwind().await {
            return found;
        }
        if Instant::now() > deadline {
            let status = match browser
                .find(Locator::Css(r#"[data-testid="status"]"#))
                .await
            {
                Ok(line) => line.text().await.unwrap_or_default(),
                Err(_) => String::from("(no status line)"),
            };
            panic!("{what}: not within {PATIENCE:?}; the status line says {status:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

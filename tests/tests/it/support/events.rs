//! One global `tracing` subscriber for the whole test binary, which hands what it sees to the
//! test that caused it.
//!
//! `tracing` caches, per callsite, whether any subscriber is interested, and recomputes that
//! when a subscriber is created. With a scoped subscriber per test (`set_default`), a test that
//! reaches a callsite for the first time while no subscriber exists (one that counts with
//! `metrics` only, say) can race with another test's subscriber being set up, and leave the
//! callsite cached as "never": that test then misses its events. One global subscriber, as in a
//! service, never goes away, so no callsite is ever cached as "never" once it is installed;
//! it answers "sometimes", and is enabled only on a thread whose test [`observe`]s, so a test
//! that does not (the allocation counts, say) runs as with no subscriber at all.
//!
//! A test is one thread here: `#[tokio::test]` runs its futures on its own thread (the
//! current-thread runtime), so the observer is a thread-local.

use std::cell::RefCell;
use std::sync::{Arc, Once};

use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber, span};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};

/// What a test does with the spans and events of its own thread.
pub trait Observer: Send + Sync {
    /// An event.
    fn event(&self, event: &Event<'_>);

    /// A new span, with the fields it was created with.
    fn new_span(&self, _span: &span::Attributes<'_>) {}

    /// Fields recorded on a span after its creation.
    fn record(&self, _values: &span::Record<'_>) {}
}

thread_local! {
    static OBSERVER: RefCell<Option<Arc<dyn Observer>>> = const { RefCell::new(None) };
}

/// While it lives, what this thread's code traces goes to its observer.
#[must_use = "the observer is removed when this guard is dropped"]
pub struct Observing {
    previous: Option<Arc<dyn Observer>>,
}

impl Drop for Observing {
    fn drop(&mut self) {
        let previous = self.previous.take();
        OBSERVER.with(|observer| *observer.borrow_mut() = previous);
    }
}

/// Sends what this thread traces to `observer` until the guard is dropped, installing the
/// global subscriber the first time.
pub fn observe(observer: Arc<dyn Observer>) -> Observing {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Route))
            .unwrap_or_else(|e| panic!("the test binary has one global subscriber: {e}"));
    });
    // A callsite whose first use raced with the installation above may still be cached as
    // "never"; the subscriber exists now, so recomputing settles every callsite for good.
    tracing_core::callsite::rebuild_interest_cache();
    let previous = OBSERVER.with(|current| current.borrow_mut().replace(observer));
    Observing { previous }
}

/// This thread's observer, if its test has one.
fn current() -> Option<Arc<dyn Observer>> {
    OBSERVER.with(|observer| observer.borrow().clone())
}

/// The global subscriber's one layer: it routes to the current thread's observer.
struct Route;

impl<S: Subscriber> Layer<S> for Route {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // Asked again for each span and event, through `enabled`.
        Interest::sometimes()
    }

    fn enabled(&self, _: &Metadata<'_>, _: Context<'_, S>) -> bool {
        OBSERVER.with(|observer| observer.borrow().is_some())
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, _: &span::Id, _: Context<'_, S>) {
        if let Some(observer) = current() {
            observer.new_span(attrs);
        }
    }

    fn on_record(&self, _: &span::Id, values: &span::Record<'_>, _: Context<'_, S>) {
        if let Some(observer) = current() {
            observer.record(values);
        }
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if let Some(observer) = current() {
            observer.event(event);
        }
    }
}

#[test]
fn only_the_observing_thread_sees_its_events() {
    use std::sync::Mutex;

    #[derive(Default)]
    struct Count(Mutex<Vec<String>>);

    impl Observer for Count {
        fn event(&self, event: &Event<'_>) {
            let mut lock = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            lock.push(event.metadata().target().to_owned());
        }
    }

    let mine = Arc::new(Count::default());
    let guard = observe(mine.clone());
    tracing::info!(target: "mine", "seen");
    std::thread::spawn(|| tracing::info!(target: "theirs", "not seen here"))
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
    drop(guard);
    tracing::info!(target: "after", "not seen after the guard");
    let seen = mine
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert_eq!(seen, ["mine"]);
}

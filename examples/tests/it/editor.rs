//! The editor (`GET /`, `GET /edit/{id}`) in a real browser: Chromium from Debian, driven
//! through WebDriver, against the `documents` example on a loopback port, directly (with the
//! example's own compression) and behind nginx with `examples/deploy/nginx.conf` (gzip on, so
//! tags come back weakened, and a one-second cache).
//!
//! The scenario is the mid-air collision: two people open the same document, both edit, the
//! first saves, the second's save is refused with 412 and shown as a conflict to merge, and
//! a third person's open editor notices each change. A screenshot of the conflict view is kept
//! under `target/tmp/` (`examples/editor-conflict.png` in the repository is one of them).
//!
//! The same browser shows the API in Swagger UI at `/docs`, with the conditional parts of each
//! route.
//!
//! Without Chromium the browser tests fail when `REQUIRE_E2E=1` (as `.ci/run` sets it) and say
//! "SKIPPED" otherwise; see `support::e2e`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::browser::{Driver, by_test_id, eventually, type_into, value};
use crate::support::nginx::{Nginx, start_example};

/// One browser test at a time: each runs up to three Chromiums, on a machine of two cores that
/// the other test binaries share.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The example's JSON API, asked directly (never through nginx's cache), for what is stored.
struct Api {
    example: SocketAddr,
    client: reqwest::Client,
}

impl Api {
    fn new(example: SocketAddr) -> Api {
        Api {
            example,
            client: reqwest::Client::new(),
        }
    }

    /// Creates a document; returns its id.
    async fn create(&self, title: &str, text: &str) -> String {
        let response = self
            .client
            .post(format!("http://{}/documents", self.example))
            .json(&json!({ "title": title, "text": text }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        location.rsplit('/').next().unwrap().to_owned()
    }

    /// The stored document and its `ETag`, or `None` when there is none.
    async fn read(&self, id: &str) -> Option<(Value, String)> {
        let response = self
            .client
            .get(format!("http://{}/documents/{id}", self.example))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::NOT_FOUND {
            return None;
        }
        assert_eq!(response.status(), StatusCode::OK);
        let tag = response.headers()["etag"].to_str().unwrap().to_owned();
        Some((response.json().await.unwrap(), tag))
    }

    /// The stored text of document `id`.
    async fn text(&self, id: &str) -> String {
        let (body, _) = self.read(id).await.expect("the document exists");
        body["text"].as_str().unwrap().to_owned()
    }

    /// Someone else's save of the text, with the current tag, as another client of the API
    /// would.
    async fn save(&self, id: &str, text: &str) {
        let (mut body, _) = self.read(id).await.unwrap();
        body["text"] = json!(text);
        self.replace(id, body).await;
    }

    /// Someone else's delete, with the current tag.
    async fn delete(&self, id: &str) {
        let (_, tag) = self.read(id).await.unwrap();
        let response = self
            .client
            .delete(format!("http://{}/documents/{id}", self.example))
            .header("if-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }

    /// Someone else's save of the whole document, with the current tag.
    async fn replace(&self, id: &str, body: Value) {
        let (_, tag) = self.read(id).await.unwrap();
        let response = self
            .client
            .put(format!("http://{}/documents/{id}", self.example))
            .header("if-match", tag)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}

/// Opens the editor of `id` at `site` and waits until it shows `text`.
async fn open(browser: &Client, site: &str, id: &str, text: &str) {
    browser.goto(&format!("{site}/edit/{id}")).await.unwrap();
    // Loaded once it shows the version it holds: an empty text is there before that.
    eventually(browser, "the editor loads the document", || async {
        let loaded = !text_of(browser, "version").await.is_empty();
        (loaded && value(browser, "text").await == text).then_some(())
    })
    .await;
}

/// Runs a revalidation now, after the one in flight if any, and waits for its end: instead of
/// waiting for the editor's timer (every 3 s), whose next tick is anyone's guess on a busy
/// machine.
async fn revalidate_now(browser: &Client) {
    browser
        .execute("await revalidateNow();", vec![])
        .await
        .unwrap();
}

/// What the status line says now.
async fn status(browser: &Client) -> String {
    by_test_id(browser, "status").await.text().await.unwrap()
}

/// Waits until the status line contains `words` (ignoring case).
async fn status_says(browser: &Client, words: &str) -> String {
    let what = format!("the status line says {words:?}");
    eventually(browser, &what, || async {
        let line = status(browser).await;
        line.to_lowercase()
            .contains(&words.to_lowercase())
            .then_some(line)
    })
    .await
}

async fn text_of(browser: &Client, name: &str) -> String {
    by_test_id(browser, name).await.text().await.unwrap()
}

async fn conflict_shown(browser: &Client) -> bool {
    by_test_id(browser, "conflict")
        .await
        .is_displayed()
        .await
        .unwrap()
}

/// Where the screenshots go: `target/tmp/`, Cargo's scratch directory for integration tests.
fn artifact(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// The texts of the scenario and what the merges of them must be.
struct Script {
    /// What the browsers hold as the document's tag, as `version <tag>` shows it.
    tag_shape: &'static str,
    title: &'static str,
    agenda: &'static str,
    /// Alice's first save: line 1.
    alice: &'static str,
    /// Bob's edit, from the same version as Alice's: line 1 too (a conflict), and line 3.
    bob: &'static str,
    /// The merge proposed to Bob: line 1 marked, his line 3 kept.
    proposed: &'static str,
    /// Alice's second save, while Bob is merging: line 2.
    alice_again: &'static str,
    /// How Bob resolves the conflict on line 1.
    bob_resolved: &'static str,
    /// Every save in: Bob's resolution of line 1, Alice's line 2, Bob's line 3.
    everything: &'static str,
}

/// Texts long enough for the example to compress the documents itself: the browser holds the
/// strong tag of one coding (`"7~br"`), and writes with it.
const COMPRESSED_BY_THE_EXAMPLE: Script = Script {
    tag_shape: "~",
    title: "Minutes of Monday",
    agenda: "1. Welcome\n2. Budget\n3. Any other business",
    alice: "1. Welcome, Alice chairs\n2. Budget\n3. Any other business",
    bob: "1. Welcome, Bob chairs\n2. Budget\n3. Any other business: the party",
    proposed: "<<<<<<< yours\n1. Welcome, Bob chairs\n=======\n1. Welcome, Alice chairs\n\
               >>>>>>> theirs\n2. Budget\n3. Any other business: the party",
    alice_again: "1. Welcome, Alice chairs\n2. Budget: Alice's numbers\n3. Any other business",
    bob_resolved: "1. Welcome, Alice and Bob chair\n2. Budget\n3. Any other business: the party",
    everything: "1. Welcome, Alice and Bob chair\n2. Budget: Alice's numbers\n\
                 3. Any other business: the party",
};

/// Documents under the example's compression threshold (32 bytes) and above nginx's (20):
/// nginx compresses them itself and weakens their tags, so every write of the scenario sends a
/// weak tag (`W/"7"`).
const COMPRESSED_BY_NGINX: Script = Script {
    tag_shape: "W/\"",
    title: "M",
    agenda: "1\n2\n3",
    alice: "A\n2\n3",
    bob: "B\n2\n3b",
    proposed: "<<<<<<< yours\nB\n=======\nA\n>>>>>>> theirs\n2\n3b",
    alice_again: "A\n2a\n3",
    bob_resolved: "AB\n2\n3b",
    everything: "AB\n2a\n3b",
};

/// The mid-air collision, with the browsers at `site` (the example, or nginx in front of it)
/// and `api` reading what is stored. Saves the conflict view's screenshot as `screenshot`.
async fn mid_air_collision(
    driver: &Driver,
    site: &str,
    api: &Api,
    script: &Script,
    screenshot: &str,
) {
    let id = api.create(script.title, script.agenda).await;
    let alice = driver.session().await;
    let bob = driver.session().await;
    let carol = driver.session().await;
    for person in [&alice, &bob, &carol] {
        open(person, site, &id, script.agenda).await;
    }
    let held = text_of(&bob, "version").await;
    assert!(
        held.contains(script.tag_shape),
        "the tag the browser holds: {held:?}"
    );

    // Both edit the same version; Alice saves first.
    type_into(&bob, "text", script.bob).await;
    type_into(&alice, "text", script.alice).await;
    by_test_id(&alice, "save").await.click().await.unwrap();
    status_says(&alice, "saved").await;
    assert_eq!(api.text(&id).await, script.alice);

    // Carol, who edits nothing, sees Alice's version by herself; Bob, who has unsaved edits,
    // is told, and keeps them.
    status_says(&carol, "changed by someone else").await;
    assert_eq!(value(&carol, "text").await, script.alice);
    status_says(&bob, "changed by someone else").await;
    assert_eq!(value(&bob, "text").await, script.bob);
    assert!(!conflict_shown(&bob).await, "no conflict before a save");

    // Bob saves: 412, and the conflict view with Alice's text, his, and a merge that marks
    // line 1 (both changed it) and keeps his line 3.
    by_test_id(&bob, "save").await.click().await.unwrap();
    eventually(&bob, "the conflict view opens", || async {
        conflict_shown(&bob).await.then_some(())
    })
    .await;
    assert_eq!(text_of(&bob, "theirs").await, script.alice);
    assert_eq!(text_of(&bob, "mine").await, script.bob);
    assert_eq!(value(&bob, "merged").await, script.proposed);
    assert_eq!(
        api.text(&id).await,
        script.alice,
        "the 412 overwrote nothing"
    );
    let png = bob.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(artifact(screenshot), png).unwrap();

    // The merge cannot be saved with its markers in.
    by_test_id(&bob, "save-merged").await.click().await.unwrap();
    status_says(&bob, "conflict markers").await;
    assert_eq!(api.text(&id).await, script.alice);

    // Alice saves again while Bob merges; Bob's merge, saved against the version he merged
    // with, is refused again, and the view starts over from Alice's newest version, merged
    // with Bob's resolution without a conflict.
    type_into(&alice, "text", script.alice_again).await;
    by_test_id(&alice, "save").await.click().await.unwrap();
    eventually(&alice, "Alice's second save", || async {
        (api.text(&id).await == script.alice_again).then_some(())
    })
    .await;
    type_into(&bob, "merged", script.bob_resolved).await;
    by_test_id(&bob, "save-merged").await.click().await.unwrap();
    status_says(&bob, "someone saved again").await;
    assert!(conflict_shown(&bob).await);
    assert_eq!(text_of(&bob, "theirs").await, script.alice_again);
    assert_eq!(text_of(&bob, "mine").await, script.bob_resolved);
    assert_eq!(value(&bob, "merged").await, script.everything);

    by_test_id(&bob, "save-merged").await.click().await.unwrap();
    status_says(&bob, "saved: the merge").await;
    assert!(!conflict_shown(&bob).await, "the conflict view closes");
    assert_eq!(value(&bob, "text").await, script.everything);

    // No save was lost: both of Alice's and Bob's are in the stored document.
    assert_eq!(api.text(&id).await, script.everything);
    // Carol's editor shows it; Alice's, where nothing is unsaved, too.
    for person in [&carol, &alice] {
        eventually(
            person,
            "the open editor shows the merged document",
            || async { (value(person, "text").await == script.everything).then_some(()) },
        )
        .await;
    }
    for person in [alice, bob, carol] {
        person.close().await.unwrap();
    }
}

#[test]
fn two_people_save_the_same_document_and_the_second_merges_without_losing_a_save() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(driver) = Driver::start() else {
        return;
    };
    let example = start_example();
    runtime().block_on(mid_air_collision(
        &driver,
        &format!("http://{example}"),
        &Api::new(example),
        &COMPRESSED_BY_THE_EXAMPLE,
        "editor-conflict.png",
    ));
}

#[test]
fn the_mid_air_collision_behind_nginx_with_gzip_weakening_the_tags() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(driver) = Driver::start() else {
        return;
    };
    let example = start_example();
    let Some(nginx) = Nginx::start(example) else {
        return;
    };
    runtime().block_on(async {
        let site = format!("http://{}", nginx.listen);
        let api = Api::new(example);
        let script = &COMPRESSED_BY_NGINX;
        mid_air_collision(&driver, &site, &api, script, "editor-conflict-nginx.png").await;
    });
}

#[test]
fn a_save_that_cannot_reach_the_server_says_so_and_keeps_the_edit() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(driver) = Driver::start() else {
        return;
    };
    let example = start_example();
    // nginx in front, so that the test can take the server away from the browser: stopping
    // nginx is the connection lost.
    let Some(nginx) = Nginx::start(example) else {
        return;
    };
    runtime().block_on(async {
        let api = Api::new(example);
        let id = api.create("Offline", "before").await;
        let browser = driver.session().await;
        open(&browser, &format!("http://{}", nginx.listen), &id, "before").await;
        type_into(&browser, "text", "after, unsaved").await;
        drop(nginx);

        by_test_id(&browser, "save").await.click().await.unwrap();
        status_says(&browser, "not saved: the server could not be reached").await;
        assert_eq!(value(&browser, "text").await, "after, unsaved");
        assert_eq!(api.text(&id).await, "before");
        // The revalidations that fail after it leave that message in place.
        for _ in 0..2 {
            revalidate_now(&browser).await;
            let line = status(&browser).await;
            assert!(line.starts_with("Not saved"), "{line:?}");
        }
        browser.close().await.unwrap();
    });
}

#[test]
fn a_save_keeps_the_documents_other_fields_and_turns_a_non_object_into_one() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(driver) = Driver::start() else {
        return;
    };
    let example = start_example();
    runtime().block_on(async {
        let api = Api::new(example);
        let site = format!("http://{example}");
        let browser = driver.session().await;
        let tagged = api.create("Tagged", "a").await;
        api.replace(
            &tagged,
            json!({ "title": "Tagged", "text": "a", "tags": ["x"] }),
        )
        .await;
        let listed = api.create("", "").await;
        api.replace(&listed, json!(["not", "an", "object"])).await;

        for (id, before, after) in [
            (
                &tagged,
                "a",
                json!({ "title": "Tagged", "text": "b", "tags": ["x"] }),
            ),
            (&listed, "", json!({ "title": "", "text": "b" })),
        ] {
            open(&browser, &site, id, before).await;
            type_into(&browser, "text", "b").await;
            by_test_id(&browser, "save").await.click().await.unwrap();
            status_says(&browser, "saved").await;
            assert_eq!(api.read(id).await.unwrap().0, after);
        }
        browser.close().await.unwrap();
    });
}

/// Saves a conflict with the title as well as the text, and returns what is stored then.
async fn resolve_with_the_proposed_merge(browser: &Client, api: &Api, id: &str) -> Value {
    by_test_id(browser, "save").await.click().await.unwrap();
    eventually(browser, "the conflict view opens", || async {
        conflict_shown(browser).await.then_some(())
    })
    .await;
    let title_note = browser.find(Locator::Id("title-conflict")).await.unwrap();
    let note = if title_note.is_displayed().await.unwrap() {
        title_note.text().await.unwrap()
    } else {
        String::new()
    };
    let title = value(browser, "title").await;
    by_test_id(browser, "save-merged")
        .await
        .click()
        .await
        .unwrap();
    status_says(browser, "saved: the merge").await;
    let (stored, _) = api.read(id).await.unwrap();
    json!({ "title": title, "note": note, "stored": stored })
}

#[test]
fn a_title_changed_on_one_side_is_merged_and_on_both_keeps_yours_and_shows_theirs() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(driver) = Driver::start() else {
        return;
    };
    let example = start_example();
    runtime().block_on(async {
        let api = Api::new(example);
        let id = api.create("Plan", "a").await;
        let browser = driver.session().await;
        open(&browser, &format!("http://{example}"), &id, "a").await;

        // Only they changed the title: the merge takes theirs, with no note.
        type_into(&browser, "text", "a, mine").await;
        api.replace(&id, json!({ "title": "Plan B", "text": "a" }))
            .await;
        let merged = resolve_with_the_proposed_merge(&browser, &api, &id).await;
        assert_eq!(
            merged,
            json!({
                "title": "Plan B",
                "note": "",
                "stored": { "title": "Plan B", "text": "a, mine" },
            })
        );

        // Both changed it: the merge keeps the user's, and shows theirs.
        type_into(&browser, "title", "Plan C").await;
        api.replace(&id, json!({ "title": "Plan D", "text": "a, mine" }))
            .await;
        let merged = resolve_with_the_proposed_merge(&browser, &api, &id).await;
        assert_eq!(merged["title"], "Plan C");
        assert!(
            merged["note"].as_str().unwrap().contains("“Plan D”"),
            "{merged}"
        );
        assert_eq!(
            merged["stored"],
            json!({ "title": "Plan C", "text": "a, mine" })
        );
        browser.close().await.unwrap();
    });
}

#[test]
fn a_delete_with_a_stale_tag_is_refused_and_goes_through_once_the_editor_is_current() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(driver) = Driver::start() else {
        return;
    };
    let example = start_example();
    runtime().block_on(async {
        let api = Api::new(example);
        let id = api.create("Doomed", "first").await;
        let browser = driver.session().await;
        let site = format!("http://{example}");
        open(&browser, &site, &id, "first").await;

        // Someone else saves while the editor has an unsaved edit (so it keeps the tag it
        // holds); a delete with that tag is refused.
        type_into(&browser, "text", "first, edited").await;
        api.save(&id, "second").await;
        by_test_id(&browser, "delete").await.click().await.unwrap();
        status_says(&browser, "not deleted").await;
        assert_eq!(api.text(&id).await, "second");

        // Opened again, the editor holds the current version, and deletes.
        open(&browser, &site, &id, "second").await;
        by_test_id(&browser, "delete").await.click().await.unwrap();
        eventually(&browser, "back to the list", || async {
            let url = browser.current_url().await.unwrap();
            (url.path() == "/").then_some(())
        })
        .await;
        assert!(api.read(&id).await.is_none(), "deleted");
        browser.close().await.unwrap();
    });
}

#[test]
fn the_list_creates_a_document_whose_editor_notices_when_someone_else_deletes_it() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(driver) = Driver::start() else {
        return;
    };
    let example = start_example();
    runtime().block_on(async {
        let api = Api::new(example);
        api.create("Already there", "").await;
        let browser = driver.session().await;
        browser.goto(&format!("http://{example}/")).await.unwrap();
        eventually(&browser, "the list shows the document", || async {
            let list = by_test_id(&browser, "documents")
                .await
                .text()
                .await
                .unwrap();
            list.contains("Already there").then_some(())
        })
        .await;

        type_into(&browser, "new-title", "Fresh").await;
        by_test_id(&browser, "create-submit")
            .await
            .click()
            .await
            .unwrap();
        eventually(&browser, "the editor of the new document", || async {
            (value(&browser, "title").await == "Fresh").then_some(())
        })
        .await;
        let url = browser.current_url().await.unwrap();
        let id = url.path().strip_prefix("/edit/").unwrap().to_owned();
        let (body, _) = api.read(&id).await.unwrap();
        assert_eq!(body, json!({ "title": "Fresh", "text": "" }));

        // Someone else deletes it: the open editor says so, and a save says it was not saved
        // (its If-Match fails, and their version is gone), keeping the text.
        type_into(&browser, "text", "unsaved").await;
        api.delete(&id).await;
        status_says(&browser, "someone else deleted this document").await;
        by_test_id(&browser, "save").await.click().await.unwrap();
        status_says(&browser, "not saved: someone else deleted this document").await;
        assert_eq!(value(&browser, "text").await, "unsaved");
        assert!(api.read(&id).await.is_none(), "nothing created again");
        browser.close().await.unwrap();
    });
}

/// The three-way line merge, in the browser that runs it: one row per rule.
#[test]
fn the_line_merge_keeps_both_sides_changes_and_marks_overlapping_ones() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(driver) = Driver::start() else {
        return;
    };
    let example = start_example();
    #[rustfmt::skip]
    let table: &[(&str, &str, &str, &str, &str, u64)] = &[
        // (rule, base, mine, theirs, merged, conflicts)
        ("only mine changed", "a\nb\nc", "A\nb\nc", "a\nb\nc", "A\nb\nc", 0),
        ("only theirs changed", "a\nb\nc", "a\nb\nc", "a\nb\nC", "a\nb\nC", 0),
        ("different lines", "a\nb\nc", "A\nb\nc", "a\nb\nC", "A\nb\nC", 0),
        ("adjacent lines", "a\nb\nc", "A\nb\nC", "a\nB\nc", "A\nB\nC", 0),
        ("the same change on both", "a\nb", "A\nb", "A\nb", "A\nb", 0),
        ("one line changed two ways", "a\nb\nc", "X\nb\nc", "Y\nb\nc",
         "<<<<<<< yours\nX\n=======\nY\n>>>>>>> theirs\nb\nc", 1),
        ("two insertions at one place", "a\nb", "a\nb\nmine", "a\nb\ntheirs",
         "a\nb\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> theirs", 1),
        ("a deletion beside a change", "a\nb\nc", "a\nc", "a\nB\nc",
         "a\n<<<<<<< yours\n=======\nB\n>>>>>>> theirs\nc", 1),
        ("an insertion and a deletion apart", "a\nb\nc\nd", "a\nnew\nb\nc\nd", "a\nb\nc",
         "a\nnew\nb\nc", 0),
        ("from an empty text", "", "mine", "", "mine", 0),
    ];
    runtime().block_on(async {
        let browser = driver.session().await;
        // Any editor page loads the merge; this one has no document, and says so.
        browser
            .goto(&format!("http://{example}/edit/0"))
            .await
            .unwrap();
        status_says(&browser, "there is no document 0").await;
        for &(rule, base, mine, theirs, merged, conflicts) in table {
            let result = browser
                .execute(
                    "return mergeLines(arguments[0], arguments[1], arguments[2]);",
                    vec![json!(base), json!(mine), json!(theirs)],
                )
                .await
                .unwrap();
            assert_eq!(
                result,
                json!({ "text": merged, "conflicts": conflicts }),
                "{rule}"
            );
        }
        let markers = browser
            .execute(
                "return [hasConflictMarkers(arguments[0]), hasConflictMarkers(arguments[1])];",
                vec![
                    json!("a\n=======\nb"),
                    json!("a ======= b\n<<<<<<< not alone"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            markers,
            json!([true, false]),
            "markers count as whole lines only"
        );
        browser.close().await.unwrap();
    });
}

/// Swagger UI at `/docs` renders the example's document: a write route with `If-Match` and its
/// 412 and 428, a read route with `If-None-Match` and its 304.
#[test]
fn swagger_ui_shows_the_conditional_headers_and_answers_of_the_routes() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(driver) = Driver::start() else {
        return;
    };
    let example = start_example();
    runtime().block_on(async {
        let browser = driver.session().await;
        browser
            .goto(&format!("http://{example}/docs"))
            .await
            .unwrap();
        for (method, expected) in [
            ("put", ["If-Match", "412", "428"]),
            ("get", ["If-None-Match", "304", "200"]),
        ] {
            let operation = format!(
                "//div[contains(@class, 'opblock-{method}')]\
                 [.//*[@data-path='/documents/{{id}}']]"
            );
            let block = eventually(&browser, "Swagger UI lists the operation", || async {
                browser.find(Locator::XPath(&operation)).await.ok()
            })
            .await;
            block
                .find(Locator::Css(".opblock-summary-control"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let what = format!("{method} /documents/{{id}} shows {expected:?}");
            eventually(&browser, &what, || async {
                let shown = block.text().await.unwrap_or_default();
                expected
                    .iter()
                    .all(|part| shown.contains(part))
                    .then_some(())
            })
            .await;
        }
        browser.close().await.unwrap();
    });
}

/// The pages and scripts are served like the API: a strong tag, `no-cache`, and a 304 when
/// the browser's copy is current.
#[tokio::test]
async fn the_editor_files_revalidate_with_304_and_unknown_ones_are_404() {
    let example = start_example();
    let client = reqwest::Client::new();
    for (path, content_type) in [
        ("/", "text/html"),
        ("/edit/1", "text/html"),
        ("/editor/edit.js", "text/javascript"),
        ("/editor/merge.js", "text/javascript"),
        ("/editor/list.js", "text/javascript"),
        ("/editor/editor.css", "text/css"),
    ] {
        let url = format!("http://{example}{path}");
        let first = client.get(&url).send().await.unwrap();
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        let headers = first.headers();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{path}: {headers:?}"
        );
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        let tag = headers["etag"].clone();
        assert!(!tag.to_str().unwrap().starts_with("W/"), "{path}: strong");
        let again = client
            .get(&url)
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    let missing = client
        .get(format!("http://{example}/editor/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

/// Behind nginx, a read through its one-second cache just before the editor's own save leaves
/// the version before the save in the cache; the editor's revalidation right after the save
/// gets that copy (a 200 with the older tag, since the editor asks with the newer one). The
/// editor must not go back to it: it would then save with a tag the server already refused.
#[test]
fn behind_nginx_the_editor_ignores_a_cached_copy_of_the_version_before_its_own_save() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(driver) = Driver::start() else {
        return;
    };
    let example = start_example();
    let Some(nginx) = Nginx::start(example) else {
        return;
    };
    runtime().block_on(async {
        let api = Api::new(example);
        let id = api.create("M", "1\n2\n3").await;
        let browser = driver.session().await;
        open(
            &browser,
            &format!("http://{}", nginx.listen),
            &id,
            "1\n2\n3",
        )
        .await;
        // The read, the save and the revalidation inside the page, so that they fit in the
        // cache's second; the tags the revalidation got say whether it did. A round that took
        // longer on a busy machine proves nothing, and another follows.
        let mut exercised = 0;
        for round in 0..10 {
            if exercised == 2 {
                break;
            }
            let edited = format!("A{round}\n2\n3");
            type_into(&browser, "text", &edited).await;
            let seen = browser
                .execute(
                    r#"
                    const [edited] = arguments;
                    await send("GET");
                    const before = etag;
                    const saved = new Promise((resolve) => {
                      const line = byTestId("status");
                      new MutationObserver(() => {
                        if (line.textContent === "Saved.") resolve();
                      }).observe(line, { childList: true, characterData: true, subtree: true });
                    });
                    form.requestSubmit();
                    await saved;
                    const after = etag;
                    const tags = [];
                    const real = window.fetch;
                    window.fetch = async (...request) => {
                      const response = await real(...request);
                      tags.push(response.status + " " + response.headers.get("ETag"));
                      return response;
                    };
                    try {
                      await revalidateNow();
                    } finally {
                      window.fetch = real;
                    }
                    return { before, after, tags, held: etag, text: text.value, edited };
                    "#,
                    vec![json!(edited)],
                )
                .await
                .unwrap();
            // A 200 with a tag other than the one just saved: a cached copy of an older version.
            let after = seen["after"].as_str().unwrap();
            let stale = seen["tags"].as_array().unwrap().iter().any(|got| {
                let got = got.as_str().unwrap();
                got.starts_with("200 ") && !got.ends_with(&format!(" {after}"))
            });
            if stale {
                exercised += 1;
            }
            assert_eq!(seen["held"], seen["after"], "the editor went back: {seen}");
            assert_eq!(seen["text"], json!(edited), "{seen}");
            assert_eq!(api.text(&id).await, edited);
        }
        assert!(exercised > 0, "no revalidation met the cached copy");
        browser.close().await.unwrap();
    });
}

/// The editor never goes back to a version it has moved past: a revalidation answered with the
/// version before its own save (as a cache in front of the API may, see the test above), by
/// the same tag or by its weak form, is dropped, with or without an unsaved edit. The answers
/// are the page's own `fetch` replaced, so nothing here depends on timing.
#[test]
fn a_revalidation_answered_with_a_version_the_editor_moved_past_is_dropped() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(driver) = Driver::start() else {
        return;
    };
    let example = start_example();
    runtime().block_on(async {
        let api = Api::new(example);
        let id = api.create("Stale", "before").await;
        let (old, _) = api.read(&id).await.unwrap();
        let browser = driver.session().await;
        open(&browser, &format!("http://{example}"), &id, "before").await;
        let old_tag = browser.execute("return etag;", vec![]).await.unwrap();
        type_into(&browser, "text", "after").await;
        by_test_id(&browser, "save").await.click().await.unwrap();
        status_says(&browser, "saved").await;
        let held = browser.execute("return etag;", vec![]).await.unwrap();
        assert_ne!(held, old_tag);

        let feed_stale = r#"
            const [old, tag] = arguments;
            const real = window.fetch;
            const seen = [];
            try {
              for (const answer of [tag, `W/${tag.replace(/^W\//, "")}`]) {
                window.fetch = async () => new Response(JSON.stringify(old), {
                  status: 200,
                  headers: { "Content-Type": "application/json", "ETag": answer },
                });
                await revalidateNow();
                seen.push({ held: etag, text: text.value, status: statusLine.textContent });
              }
            } finally {
              window.fetch = real;
            }
            return seen;
        "#;
        for (edit, shown) in [("after", "Saved."), ("after, unsaved", "Saved.")] {
            if edit != value(&browser, "text").await {
                type_into(&browser, "text", edit).await;
            }
            let seen = browser
                .execute(feed_stale, vec![old.clone(), old_tag.clone()])
                .await
                .unwrap();
            let current = json!({ "held": held, "text": edit, "status": shown });
            assert_eq!(seen, json!([current, current]), "{edit:?}");
        }

        // The editor still holds its own version: its next save goes through.
        by_test_id(&browser, "save").await.click().await.unwrap();
        eventually(&browser, "the next save", || async {
            (api.text(&id).await == "after, unsaved").then_some(())
        })
        .await;
        status_says(&browser, "saved").await;
        browser.close().await.unwrap();
    });
}

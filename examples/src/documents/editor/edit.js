// The editor of one document (`/edit/{id}`), on the JSON API at `/documents/{id}`. It keeps the
// `ETag` of the version the user is editing and sends it with every write (`If-Match`), so a
// write based on an older version is refused with 412 instead of overwriting someone's save.
"use strict";

// How often an open document is revalidated; also on focus. Short enough that a user learns of
// someone else's save before typing much, and a 304 costs the server one indexed lookup.
const REVALIDATE_EVERY_MS = 3000;
// After a 412, how long to ask again for their version while a cache in front of the API (the
// nginx deployment keeps a copy for 1 s) still hands out the version the 412 refused.
const FRESH_RETRY_MS = 250;
const FRESH_TRIES = 20;

const id = decodeURIComponent(location.pathname.split("/").pop());
const url = `/documents/${encodeURIComponent(id)}`;
const byTestId = (name) => document.querySelector(`[data-testid="${name}"]`);
const form = document.getElementById("editor");
const title = byTestId("title");
const text = byTestId("text");
const save = byTestId("save");
const remove = byTestId("delete");
const version = byTestId("version");
const statusLine = byTestId("status");
const conflictView = byTestId("conflict");
const theirsView = byTestId("theirs");
const mineView = byTestId("mine");
const merged = byTestId("merged");
const saveMerged = byTestId("save-merged");
const theirsVersion = document.getElementById("theirs-version");
const mergeSummary = document.getElementById("merge-summary");
const titleConflict = document.getElementById("title-conflict");

// The version the user's edit started from: the whole JSON body (fields other than the title
// and the text are written back as they were), and its ETag.
let base = null;
let etag = null;
// During a conflict: the version someone else saved, which the merge is saved over, and its ETag.
let conflict = null;
// A write of the user's is in flight: the buttons wait for its answer.
let writing = false;
// The revalidation in flight (a promise), or null; it never holds up the user, whose write wins
// over its answer.
let checking = null;
// Counts the versions the editor has held, so that a revalidation's answer about an older one
// (a save landed while it was in flight) is dropped.
let generation = 0;
// The tag of the change the status line already reported, so it is reported once; and whether
// it reported that the document is gone.
let reported = null;
let reportedDeleted = false;
// The tags of the versions the editor has moved past: ones it held before, and ones the server
// refused with 412. A cache in front of the API (nginx keeps a copy for 1 s) can still answer
// with one of them after the editor's own save; that answer is about an older version, never
// a change to show. The example's tags never repeat (a version number), so a tag seen once as
// past stays past.
const past = [];
// Whether the status line tells the outcome of the user's own action that did not go through
// (an error): a revalidation's news does not replace it, the user would miss why.
let userError = false;

function status(message, kind = "") {
  statusLine.textContent = message;
  statusLine.className = kind;
  userError = kind === "error";
}

// A revalidation's message: it does not replace the error of the user's own action.
function notify(message, kind) {
  if (!userError) {
    status(message, kind);
    userError = false;
  }
}

// RFC 9110 §8.8.3.2: weak comparison, the opaque tags alone. A proxy that compresses (nginx
// `gzip on`) hands out `W/"7"` for the example's `"7"`: the same version.
function weakEqual(a, b) {
  const opaque = (tag) => tag.replace(/^W\//, "");
  return a !== null && b !== null && opaque(a) === opaque(b);
}

// Remembers that `tag` is about a version older than the current one.
function pass(tag) {
  if (tag !== null && !isPast(tag)) past.push(tag);
}

function isPast(tag) {
  return past.some((old) => weakEqual(old, tag));
}

// A document's JSON as the object whose other fields a save writes back as they were, with the
// title and the text replaced. The API takes any JSON value; one that is not an object has no
// fields to keep.
function others(body) {
  return body !== null && typeof body === "object" && !Array.isArray(body) ? body : {};
}

function fieldsOf(body) {
  const fields = others(body);
  return {
    title: typeof fields.title === "string" ? fields.title : "",
    text: typeof fields.text === "string" ? fields.text : "",
  };
}

function dirty() {
  const start = fieldsOf(base);
  return title.value !== start.title || text.value !== start.text;
}

// `no-store`: the browser's cache stays out of it, so a 304 reaches this script as a 304 and
// every answer comes from the server (or the deployment's own cache, see FRESH_TRIES).
function send(method, headers = {}, body = undefined) {
  const init = { method, headers: { ...headers }, cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(url, init);
}

function unreachable(what, error) {
  status(`${what}: the server could not be reached (${error.message}). Your edit is still here;`
    + " try again when the connection is back.", "error");
}

function showVersion() {
  version.textContent = etag === null ? "" : `version ${etag}`;
}

function accept(body, tag) {
  generation++;
  if (!weakEqual(etag, tag)) pass(etag);
  base = body;
  etag = tag;
  reported = null;
  showVersion();
}

function fill(body) {
  const fields = fieldsOf(body);
  title.value = fields.title;
  text.value = fields.text;
}

async function load() {
  try {
    const response = await send("GET");
    if (response.status === 404) {
      status(`There is no document ${id}: it was deleted, or never created.`, "error");
      return;
    }
    if (!response.ok) {
      status(`Could not load the document: the server answered ${response.status}.`, "error");
      return;
    }
    const body = await response.json();
    accept(body, response.headers.get("ETag"));
    fill(body);
    status("");
  } catch (error) {
    unreachable("Could not load the document", error);
  }
}

async function saveEdit(event) {
  event.preventDefault();
  if (writing || conflict !== null || base === null) return;
  startWriting();
  const mine = { title: title.value, text: text.value };
  status("Saving…");
  try {
    const response = await send("PUT", { "If-Match": etag }, { ...others(base), ...mine });
    if (response.ok) {
      accept(await response.json(), response.headers.get("ETag"));
      status("Saved.");
    } else if (response.status === 412) {
      await startConflict(base, etag, mine);
    } else {
      refused(response);
    }
  } catch (error) {
    unreachable("Not saved", error);
  } finally {
    stopWriting();
  }
}

function refused(response) {
  if (response.status === 404) {
    status("Not saved: someone else deleted this document. Your text is still here.", "error");
  } else {
    status(`Not saved: the server answered ${response.status}. Your text is still here.`, "error");
  }
}

// The 412: someone else saved after `fromTag`, the version `from` this edit started from.
// Fetches their version as it is now and shows it, the user's edit `mine`, and a merge.
async function startConflict(from, fromTag, mine) {
  pass(fromTag);
  let response;
  for (let tries = 1; ; tries++) {
    response = await send("GET");
    if (!response.ok) {
      refused(response);
      return;
    }
    // The server just said `fromTag` is no longer current: a copy with that tag (or an older
    // one) is a cache's.
    if (!isPast(response.headers.get("ETag")) || tries >= FRESH_TRIES) break;
    await new Promise((resolve) => setTimeout(resolve, FRESH_RETRY_MS));
  }
  const theirs = await response.json();
  conflict = { theirs, etag: response.headers.get("ETag") };
  const start = fieldsOf(from);
  const their = fieldsOf(theirs);
  const proposal = mergeLines(start.text, mine.text, their.text);

  // The title is one line: one side's change wins, and two different changes keep the user's,
  // with theirs shown.
  const titleClash = mine.title !== start.title && their.title !== start.title
    && mine.title !== their.title;
  title.value = mine.title === start.title ? their.title : mine.title;
  titleConflict.hidden = !titleClash;
  titleConflict.textContent = titleClash
    ? `You both changed the title. Theirs: “${their.title}”. The title above is yours; edit it if needed.`
    : "";

  theirsView.textContent = their.text;
  theirsVersion.textContent = `(version ${conflict.etag})`;
  mineView.textContent = mine.text;
  merged.value = proposal.text;
  mergeSummary.textContent = proposal.conflicts === 0
    ? "(no conflicting lines: both edits are in)"
    : `(${proposal.conflicts} conflicting ${proposal.conflicts === 1 ? "stretch" : "stretches"} marked)`;
  // The conflict view takes the text's place: the user's edit is in it, as "yours".
  text.hidden = true;
  conflictView.hidden = false;
  conflictView.scrollIntoView();
  status("Not saved yet: someone else saved this document first. Merge below, then save the merge.",
    "notice");
}

async function saveMerge() {
  if (writing || conflict === null) return;
  if (hasConflictMarkers(merged.value)) {
    status("The merge still has conflict markers (<<<<<<< yours, =======, >>>>>>> theirs):"
      + " keep what you mean, remove the markers, then save.", "error");
    return;
  }
  startWriting();
  const mine = { title: title.value, text: merged.value };
  status("Saving the merge…");
  try {
    const response = await send("PUT", { "If-Match": conflict.etag }, { ...others(conflict.theirs), ...mine });
    if (response.ok) {
      pass(conflict.etag);
      accept(await response.json(), response.headers.get("ETag"));
      text.value = mine.text;
      endConflict();
      status("Saved: the merge of your edit and theirs.");
    } else if (response.status === 412) {
      // Someone saved again while the user merged: merge again, from the version just merged
      // against, with the user's merge as their edit.
      await startConflict(conflict.theirs, conflict.etag, mine);
      status("Not saved yet: someone saved again while you were merging. Here is the newest"
        + " version; merge again.", "notice");
    } else {
      refused(response);
    }
  } catch (error) {
    unreachable("The merge was not saved", error);
  } finally {
    stopWriting();
  }
}

function startWriting() {
  writing = true;
  for (const button of [save, saveMerged, remove]) button.disabled = true;
}

function stopWriting() {
  writing = false;
  saveMerged.disabled = false;
  remove.disabled = false;
  save.disabled = conflict !== null;
}

function endConflict() {
  conflict = null;
  conflictView.hidden = true;
  titleConflict.hidden = true;
  text.hidden = false;
}

// Asks whether the document changed, with `If-None-Match`: a 304 says no, at the cost of one
// indexed lookup on the server. A change is shown at once; an editor with no unsaved edit also
// shows the new version. One at a time: a call while one is in flight gets that one.
function revalidate() {
  if (checking === null) {
    checking = check().finally(() => {
      checking = null;
    });
  }
  return checking;
}

// A revalidation that starts now, after the one in flight if any: what the window's focus
// asks for (the user is back, and wants to know), and what a test calls instead of waiting for
// the timer.
async function revalidateNow() {
  await checking;
  return revalidate();
}

async function check() {
  if (writing || conflict !== null || etag === null) return;
  const asked = generation;
  // Whether the user acted while the answer was on its way: then it is about a version the
  // editor no longer holds, or would overwrite the status of the user's own write.
  const stale = () => writing || conflict !== null || generation !== asked;
  try {
    const response = await send("GET", { "If-None-Match": etag });
    if (response.status === 304 || stale()) return;
    if (response.status === 404) {
      if (!reportedDeleted) {
        reportedDeleted = true;
        notify("Someone else deleted this document.", "error");
      }
      return;
    }
    const tag = response.headers.get("ETag");
    // A cache that answers If-None-Match with the full copy of the same version, or with a
    // copy of a version the editor has moved past (kept from before its own save).
    if (!response.ok || weakEqual(tag, etag) || weakEqual(tag, reported) || isPast(tag)) return;
    const body = await response.json();
    if (stale()) return;
    if (dirty()) {
      reported = tag;
      notify("Changed by someone else since you opened it: when you save, you will see both"
        + " versions and a merge.", "notice");
    } else {
      accept(body, tag);
      fill(body);
      status("Changed by someone else: this is their version.", "notice");
    }
  } catch (error) {
    // An error already shown (a save that did not go through) says more than this one.
    if (!stale()) {
      notify(`Could not check for changes: the server could not be reached (${error.message}).`,
        "error");
    }
  }
}

async function deleteDocument() {
  if (writing || etag === null) return;
  startWriting();
  try {
    const response = await send("DELETE", { "If-Match": etag });
    if (response.ok) {
      location.assign("/");
    } else if (response.status === 412) {
      status("Not deleted: someone else changed this document since you opened it. Look at"
        + " their version first.", "error");
    } else {
      status(`Not deleted: the server answered ${response.status}.`, "error");
    }
  } catch (error) {
    unreachable("Not deleted", error);
  } finally {
    stopWriting();
  }
}

form.addEventListener("submit", saveEdit);
saveMerged.addEventListener("click", saveMerge);
remove.addEventListener("click", deleteDocument);
window.addEventListener("focus", revalidateNow);
setInterval(revalidate, REVALIDATE_EVERY_MS);
load();

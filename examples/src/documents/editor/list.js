// The list of documents (`/`), from `GET /documents`, and the form that creates one with
// `POST /documents`.
"use strict";

const list = document.querySelector('[data-testid="documents"]');
const form = document.getElementById("create");
const statusLine = document.querySelector('[data-testid="status"]');

function status(message, kind = "") {
  statusLine.textContent = message;
  statusLine.className = kind;
}

async function show() {
  try {
    const response = await fetch("/documents", { cache: "no-cache" });
    if (!response.ok) {
      status(`Could not list the documents: the server answered ${response.status}.`, "error");
      return;
    }
    const documents = await response.json();
    list.replaceChildren(...documents.map((doc) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `/edit/${encodeURIComponent(doc.id)}`;
      const title = doc.body && typeof doc.body.title === "string" ? doc.body.title : "";
      link.textContent = title || `(untitled ${doc.id})`;
      item.append(link);
      return item;
    }));
    if (documents.length === 0) status("No documents yet: create one.");
  } catch (error) {
    status(`Could not list the documents: the server could not be reached (${error.message}).`,
      "error");
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const title = new FormData(form).get("title");
  try {
    const response = await fetch("/documents", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ title, text: "" }),
    });
    const created = response.headers.get("Location");
    if (response.status !== 201 || created === null) {
      status(`Not created: the server answered ${response.status}.`, "error");
      return;
    }
    location.assign(`/edit/${created.split("/").pop()}`);
  } catch (error) {
    status(`Not created: the server could not be reached (${error.message}).`, "error");
  }
});

show();

// Drafts of long notes: each textarea of a posting form is kept in sessionStorage, keyed by
// the form's page (its action) and the field, as it is typed. It is put back when the form
// comes back empty (after the session timed out and the worker signed in again) and
// cleared once the form was sent and did not come back (a success redirects elsewhere; a
// refused post renders the same form again, which keeps the draft). sessionStorage, not
// localStorage: a note about a person should not outlive the browser tab on a shared PC.
const PREFIX = "throughcare.draft:";
const PENDING = "throughcare.draft.pending";

function keyOf(field) {
  const form = field.form;
  const action = new URL(form.getAttribute("action") || location.href, location.href).pathname;
  return `${PREFIX}${action}#${field.name}`;
}

function fields() {
  return Array.from(document.querySelectorAll("form textarea[name]")).filter(
    (field) => (field.form.getAttribute("method") || "").toLowerCase() === "post" ||
      field.form.hasAttribute("hx-post"),
  );
}

function store() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage switched off: the form still works, without drafts
  }
}

const timers = new Map();

function save(field) {
  const storage = store();
  if (!storage) return;
  if (field.value.trim()) storage.setItem(keyOf(field), field.value);
  else storage.removeItem(keyOf(field));
}

export function flushDrafts() {
  for (const [field, timer] of timers) {
    clearTimeout(timer);
    save(field);
  }
  timers.clear();
}

function clearPending(storage) {
  // A form was sent from the last page. Sent to sign in, the session had ended: the post
  // did not count, keep the draft. Back with the note in it, the post was refused: keep it.
  // Anything else (another page, or the same form empty again) means it was saved.
  const pending = JSON.parse(storage.getItem(PENDING) || "[]");
  storage.removeItem(PENDING);
  if (location.pathname === "/sign-in") return;
  const kept = new Set(fields().filter((f) => f.value.trim()).map(keyOf));
  for (const key of pending) if (!kept.has(key)) storage.removeItem(key);
}

function restore(storage) {
  for (const field of fields()) {
    const draft = storage.getItem(keyOf(field));
    if (!draft || field.value.trim()) continue;
    field.value = draft;
    const note = document.createElement("p");
    note.className = "govuk-hint app-draft-restored";
    note.textContent = "Your unsaved draft of this note was restored.";
    field.insertAdjacentElement("beforebegin", note);
  }
}

function watch(storage) {
  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!(field instanceof HTMLTextAreaElement) || !fields().includes(field)) return;
    clearTimeout(timers.get(field));
    timers.set(field, setTimeout(() => {
      timers.delete(field);
      save(field);
    }, 300));
  });
  document.addEventListener("submit", (event) => {
    const keys = fields().filter((f) => f.form === event.target).map(keyOf);
    if (!keys.length) return;
    flushDrafts();
    storage.setItem(PENDING, JSON.stringify(keys));
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    // An htmx form stays on the page: a successful answer means it was saved.
    if (!event.detail.successful || !(event.detail.elt instanceof HTMLFormElement)) return;
    for (const field of fields().filter((f) => f.form === event.detail.elt)) {
      storage.removeItem(keyOf(field));
    }
  });
}

function forgetAll(storage) {
  // Signing out on purpose ends the drafts too: the next person at this PC must not see them.
  for (const key of Object.keys(storage)) if (key.startsWith(PREFIX)) storage.removeItem(key);
  storage.removeItem(PENDING);
}

const storage = store();
if (storage && location.pathname === "/signed-out") forgetAll(storage);
else if (storage) {
  clearPending(storage);
  restore(storage);
  watch(storage);
}

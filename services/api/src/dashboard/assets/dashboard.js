// @ts-check
/**
 * The dashboard's browser side. Holds the API key in localStorage, reads books and their
 * photos from the JSON API, and keeps them current by polling: every 2 s while any job is
 * still moving, every 15 s otherwise, never while the tab is hidden. The DOM is updated in
 * place (and only with textContent) so images do not reload and API data is never parsed as HTML.
 */

const keyStorage = "bluemoxon.apiKey";
const fastPollMs = 2000;
const idlePollMs = 15000;
const pageSize = 12;
/** The API's largest page: "Show more" grows the one page the poll reads, up to this. */
const maxBooks = 100;
let bookLimit = pageSize;
/** Job states the pipeline will still change on its own (queue_failed: the retry sweep re-sends). */
const movingStates = new Set(["pending", "queued", "processing", "queue_failed"]);
/** States where asking to process again would be refused (the API answers 409). */
const busyStates = new Set(["pending", "queued", "processing"]);
const statusLabels = {
  pending: "Pending",
  queued: "Queued",
  processing: "Processing",
  completed: "Completed",
  failed: "Failed",
  queue_failed: "Queue failed",
};
const waitingText = {
  pending: "Waiting to be queued…",
  queued: "Waiting in the queue…",
  processing: "Removing the background…",
  queue_failed: "Could not queue; the retry sweep will resend it",
  failed: "Background removal failed",
};

/** @param {string} id */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from the page`);
  return el;
}

const ui = {
  keySection: byId("key-section"),
  keyForm: /** @type {HTMLFormElement} */ (byId("key-form")),
  keyInput: /** @type {HTMLInputElement} */ (byId("api-key")),
  keyError: byId("key-error"),
  app: byId("app"),
  forget: byId("forget-key"),
  importForm: /** @type {HTMLFormElement} */ (byId("import-form")),
  importInput: /** @type {HTMLInputElement} */ (byId("listing-url")),
  importButton: /** @type {HTMLButtonElement} */ (byId("import-button")),
  importError: byId("import-error"),
  importResult: byId("import-result"),
  summary: byId("summary"),
  live: byId("live"),
  liveText: byId("live-text"),
  refresh: /** @type {HTMLButtonElement} */ (byId("refresh")),
  retry: /** @type {HTMLButtonElement} */ (byId("retry-failed")),
  actionMessage: byId("action-message"),
  loadError: byId("load-error"),
  empty: byId("empty"),
  books: byId("books"),
  more: /** @type {HTMLButtonElement} */ (byId("more-books")),
};

class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** localStorage can be unavailable (privacy modes); the key then lasts for this page only. */
const keyStore = {
  /** @type {string | null} */
  memory: null,
  get() {
    try {
      return localStorage.getItem(keyStorage);
    } catch {
      return this.memory;
    }
  },
  /** @param {string | null} key */
  set(key) {
    this.memory = key;
    try {
      if (key === null) localStorage.removeItem(keyStorage);
      else localStorage.setItem(keyStorage, key);
    } catch {
      // memory only
    }
  },
};

let apiKey = keyStore.get();

/**
 * fetch against the API with the key; rejects with the problem+json detail on failure.
 * @param {string} path
 * @param {{ method?: string, body?: unknown }} [init]
 */
async function api(path, init = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json, application/problem+json", "x-api-key": apiKey ?? "" };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "the API cannot be reached");
  }
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: fall back to the status line below
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`.trim();
    if (body && typeof body === "object") {
      message = body.detail || body.title || message;
      if (Array.isArray(body.errors) && body.errors.length > 0) {
        message += ` (${body.errors.map((/** @type {{path: string, message: string}} */ e) => `${e.path}: ${e.message}`).join("; ")})`;
      }
    }
    if (res.status === 401) onKeyRejected(message);
    throw new ApiError(res.status, message);
  }
  return body;
}

// ---------------------------------------------------------------- key handling

function showKeyForm(/** @type {string} */ message = "") {
  stopPolling();
  ui.app.hidden = true;
  ui.forget.hidden = true;
  ui.keySection.hidden = false;
  ui.keyError.textContent = message;
  ui.keyInput.setAttribute("aria-invalid", message ? "true" : "false");
  ui.keyInput.focus();
}

function showApp() {
  ui.keySection.hidden = true;
  ui.app.hidden = false;
  ui.forget.hidden = false;
  ui.keyInput.value = "";
}

/** @param {string} detail */
function onKeyRejected(detail) {
  apiKey = null;
  keyStore.set(null);
  clearBooks();
  showKeyForm(`The API rejected this key: ${detail}. Enter another key.`);
}

ui.keyForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = ui.keyInput.value.trim();
  if (!key) return;
  apiKey = key;
  try {
    await api(`/api/v1/books?limit=1`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // onKeyRejected showed why
    // Anything else (API down, 503) says nothing about the key: keep it and carry on.
  }
  keyStore.set(key);
  showApp();
  void refresh({ full: true });
});

ui.forget.addEventListener("click", () => {
  apiKey = null;
  keyStore.set(null);
  clearBooks();
  ui.actionMessage.textContent = "";
  showKeyForm();
});

// ---------------------------------------------------------------- rendering

/**
 * @typedef {{ jobId: string, status: string, attempts: number, lastError: string | null, updatedAt: string }} Processing
 * @typedef {{ id: string, position: number, sourceUrl: string, copyStatus: string, copyError: string | null, isPrimary: boolean,
 *   originalUrl: string | null, processedUrl: string | null, processing: Processing | null }} Photo
 * @typedef {{ id: string, title: string, sourceItemId: string, itemUrl: string | null, price: { value: string, currency: string } | null,
 *   condition: string | null, seller: string | null, author: string | null, publisher: string | null, publicationYear: string | null,
 *   createdAt: string, photos: Photo[] }} BookDetail
 * @typedef {{ el: HTMLLIElement, badge: HTMLElement, original: HTMLImageElement, originalNote: HTMLElement,
 *   cutout: HTMLImageElement, cutoutNote: HTMLElement, cutoutFrame: HTMLElement, error: HTMLElement, button: HTMLButtonElement,
 *   originalShown: boolean, cutoutVersion: string }} PhotoView
 * @typedef {{ el: HTMLElement, detail: BookDetail, titleLink: HTMLElement, meta: HTMLElement, price: HTMLElement,
 *   photos: HTMLElement, photoViews: Map<string, PhotoView> }} BookView
 */

/** @type {Map<string, BookView>} */
const bookViews = new Map();

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {string} [className] @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** @param {{ value: string, currency: string } | null} price */
function formatPrice(price) {
  if (!price) return "";
  const n = Number(price.value);
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: price.currency }).format(n);
  } catch {
    return `${price.value} ${price.currency}`;
  }
}

/**
 * The item URL comes from the listing (eBay's data, not ours): only http(s) becomes a link,
 * so a `javascript:` URL in a listing cannot run here.
 * @param {string | null} value
 */
function httpUrl(value) {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/** @param {BookDetail} book */
function isMoving(book) {
  return book.photos.some((p) => p.processing && movingStates.has(p.processing.status));
}

function clearBooks() {
  bookLimit = pageSize;
  ui.more.hidden = true;
  bookViews.clear();
  ui.books.replaceChildren();
}

/** @param {BookDetail} book */
function createBookView(book) {
  const el = h("article", "book");
  el.dataset.bookId = book.id;
  const titleId = `book-${book.id}-title`;
  el.setAttribute("aria-labelledby", titleId);
  const head = h("header", "book-head");
  const titles = h("div", "book-titles");
  const title = h("h3", "book-title");
  title.id = titleId;
  const titleLink = h("a");
  titleLink.rel = "noopener noreferrer";
  titleLink.target = "_blank";
  title.append(titleLink);
  const meta = h("p", "book-meta");
  titles.append(title, meta);
  const price = h("p", "book-price");
  head.append(titles, price);
  const photos = h("ul", "photos");
  photos.setAttribute("aria-label", "Photos");
  el.append(head, photos);
  /** @type {BookView} */
  const view = { el, detail: book, titleLink, meta, price, photos, photoViews: new Map() };
  return view;
}

/** @param {BookView} view @param {Photo} photo */
function createPhotoView(view, photo) {
  const el = h("li", "photo");
  el.dataset.photoId = photo.id;
  const head = h("div", "photo-head");
  const label = h("span", "photo-label", `Photo ${photo.position + 1}`);
  if (photo.isPrimary) label.append(" ", h("span", "tag", "primary"));
  const badge = h("span", "badge");
  head.append(label, badge);

  const pair = h("div", "pair");
  const paneFor = (/** @type {string} */ caption, /** @type {boolean} */ checker) => {
    const figure = h("figure", "pane");
    const frame = h("div", checker ? "frame checker" : "frame");
    const img = h("img");
    img.hidden = true;
    const note = h("span", "frame-note");
    frame.append(img, note);
    figure.append(frame, h("figcaption", "", caption));
    pair.append(figure);
    return { img, note, frame };
  };
  const original = paneFor("Original", false);
  const cutout = paneFor("Cut-out", true);
  const error = h("p", "photo-error");
  error.hidden = true;
  const actions = h("div", "photo-actions");
  const button = h("button", "small");
  button.type = "button";
  actions.append(button);
  el.append(head, pair, error, actions);

  /** @type {PhotoView} */
  const pv = {
    el,
    badge,
    original: original.img,
    originalNote: original.note,
    cutout: cutout.img,
    cutoutNote: cutout.note,
    cutoutFrame: cutout.frame,
    error,
    button,
    originalShown: false,
    cutoutVersion: "",
  };
  // A presigned URL that expired (or a bucket hiccup): show the note and try again on the next refresh.
  original.img.addEventListener("error", () => {
    pv.originalShown = false;
    original.img.hidden = true;
    original.note.textContent = "Original not available";
  });
  cutout.img.addEventListener("error", () => {
    pv.cutoutVersion = "";
    cutout.img.hidden = true;
    cutout.note.textContent = "Cut-out not available";
  });
  original.img.addEventListener("load", () => {
    original.img.hidden = false;
    original.note.textContent = "";
  });
  cutout.img.addEventListener("load", () => {
    cutout.img.hidden = false;
    cutout.note.textContent = "";
    pv.el.dataset.cutout = "loaded";
  });
  button.addEventListener("click", () => void reprocess(view, pv, photo.id));
  return pv;
}

/** @param {BookView} view @param {PhotoView} pv @param {Photo} photo */
function updatePhotoView(view, pv, photo) {
  const title = view.detail.title;
  const n = photo.position + 1;
  const job = photo.processing;
  const status = photo.copyStatus !== "copied" ? `copy_${photo.copyStatus}` : (job?.status ?? "none");
  pv.el.dataset.status = status;
  pv.badge.className = `badge badge-${status}`;
  pv.badge.textContent =
    photo.copyStatus === "failed"
      ? "Copy failed"
      : photo.copyStatus === "pending"
        ? "Copying"
        : job
          ? `${statusLabels[/** @type {keyof typeof statusLabels} */ (job.status)] ?? job.status}${job.attempts > 1 ? ` · try ${job.attempts}` : ""}`
          : "Not processed";
  if (job && busyStates.has(job.status)) pv.badge.append(h("span", "spinner"));

  pv.original.alt = `Photo ${n} of “${title}”, as copied from the listing`;
  pv.cutout.alt = `Photo ${n} of “${title}” with the background removed`;

  if (photo.originalUrl && !pv.originalShown) {
    pv.originalShown = true;
    pv.originalNote.textContent = "Loading…";
    pv.original.src = photo.originalUrl;
  } else if (!photo.originalUrl) {
    pv.original.hidden = true;
    pv.originalNote.textContent = photo.copyStatus === "failed" ? "Not copied" : "Copying…";
  }

  // A cut-out is reloaded when a (re)processing run completes, not on every refresh.
  const version = photo.processedUrl ? (job ? `${job.jobId}:${job.status}` : "done") : "";
  const stale = Boolean(job && busyStates.has(job.status) && photo.processedUrl);
  pv.cutoutFrame.classList.toggle("stale", stale);
  if (photo.processedUrl && version !== pv.cutoutVersion && (!job || job.status === "completed" || !pv.cutoutVersion)) {
    pv.cutoutVersion = version;
    pv.cutoutNote.textContent = "Loading…";
    pv.cutout.src = photo.processedUrl;
  } else if (!photo.processedUrl) {
    pv.cutoutVersion = "";
    pv.cutout.hidden = true;
    pv.cutout.removeAttribute("src");
    delete pv.el.dataset.cutout;
    pv.cutoutNote.textContent =
      photo.copyStatus !== "copied"
        ? "Nothing to process"
        : job
          ? (waitingText[/** @type {keyof typeof waitingText} */ (job.status)] ?? "")
          : "Not processed yet";
  }
  if (stale) pv.cutoutNote.textContent = "Reprocessing…";

  const errorText = photo.copyStatus === "failed" ? photo.copyError : job && job.status !== "completed" ? job.lastError : null;
  pv.error.hidden = !errorText;
  pv.error.textContent = errorText ? `Error: ${errorText}` : "";

  const busy = Boolean(job && busyStates.has(job.status));
  pv.button.hidden = photo.copyStatus !== "copied";
  pv.button.disabled = busy || pv.button.getAttribute("aria-busy") === "true";
  pv.button.textContent = job ? "Reprocess" : "Process";
  pv.button.setAttribute("aria-label", `${job ? "Reprocess" : "Process"} photo ${n} of “${title}”`);
}

/** @param {BookDetail} book */
function renderBook(book) {
  let view = bookViews.get(book.id);
  if (!view) {
    view = createBookView(book);
    bookViews.set(book.id, view);
  }
  view.detail = book;
  view.titleLink.textContent = book.title;
  const itemUrl = httpUrl(book.itemUrl);
  if (itemUrl) view.titleLink.setAttribute("href", itemUrl);
  else view.titleLink.removeAttribute("href");
  const meta = [book.author, book.publisher, book.publicationYear, book.condition, book.seller ? `seller ${book.seller}` : null]
    .filter(Boolean)
    .join(" · ");
  view.meta.textContent = `${meta}${meta ? " · " : ""}eBay item ${book.sourceItemId}`;
  view.price.textContent = formatPrice(book.price);

  const seen = new Set();
  book.photos.forEach((photo, i) => {
    seen.add(photo.id);
    let pv = view.photoViews.get(photo.id);
    if (!pv) {
      pv = createPhotoView(view, photo);
      view.photoViews.set(photo.id, pv);
    }
    if (view.photos.children[i] !== pv.el) view.photos.insertBefore(pv.el, view.photos.children[i] ?? null);
    updatePhotoView(view, pv, photo);
  });
  for (const [id, pv] of view.photoViews) {
    if (!seen.has(id)) {
      pv.el.remove();
      view.photoViews.delete(id);
    }
  }
  return view;
}

/** Puts the books in this order at the top, moving only what is out of place (a moved image would not reload, but why risk it). */
function placeBooks(/** @type {string[]} */ ids) {
  ids.forEach((id, i) => {
    const view = bookViews.get(id);
    if (view && ui.books.children[i] !== view.el) ui.books.insertBefore(view.el, ui.books.children[i] ?? null);
  });
}

function renderSummary() {
  const counts = new Map();
  let photos = 0;
  for (const view of bookViews.values()) {
    for (const p of view.detail.photos) {
      photos++;
      if (p.processing) counts.set(p.processing.status, (counts.get(p.processing.status) ?? 0) + 1);
    }
  }
  const parts = [`${bookViews.size} ${bookViews.size === 1 ? "book" : "books"}`, `${photos} photos`];
  for (const status of ["processing", "queued", "pending", "queue_failed", "completed", "failed"]) {
    const n = counts.get(status);
    if (n) parts.push(`${n} ${statusLabels[/** @type {keyof typeof statusLabels} */ (status)].toLowerCase()}`);
  }
  ui.summary.textContent = parts.join(" · ");
  ui.empty.hidden = bookViews.size > 0;
  const moving = anyMoving();
  ui.live.classList.toggle("active", moving);
  ui.liveText.textContent = `${moving ? "Live · every 2 s" : "Idle · every 15 s"} · updated ${new Date().toLocaleTimeString()}`;
}

// ---------------------------------------------------------------- loading and polling

/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
let loading = false;
let again = false;

function stopPolling() {
  clearTimeout(timer);
  timer = undefined;
}

function anyMoving() {
  for (const view of bookViews.values()) if (isMoving(view.detail)) return true;
  return false;
}

function schedule() {
  stopPolling();
  if (!apiKey) return;
  const moving = anyMoving();
  if (document.hidden) return; // visibilitychange restarts it
  // While jobs move, only their books are re-read; an idle check re-reads every book, so
  // changes made elsewhere (another tab, the API, the sweep) show up too.
  timer = setTimeout(() => void refresh({ full: !moving }), moving ? fastPollMs : idlePollMs);
}

/**
 * Reloads the book list, and the details of new books and of books with jobs still moving
 * (all of them when `full`). One refresh at a time; a request during one runs right after.
 * @param {{ full?: boolean }} [options]
 */
async function refresh({ full = false } = {}) {
  if (!apiKey) return;
  if (loading) {
    again = true;
    return;
  }
  loading = true;
  try {
    const page = await api(`/api/v1/books?limit=${bookLimit}`);
    /** @type {{ id: string }[]} */
    const items = page.items;
    const ids = items.map((b) => b.id);
    const wanted = ids.filter((id) => {
      const view = bookViews.get(id);
      return full || !view || isMoving(view.detail);
    });
    const details = await Promise.all(
      wanted.map((id) =>
        api(`/api/v1/books/${id}`).catch((error) => {
          if (error instanceof ApiError && error.status === 404) return null;
          throw error;
        }),
      ),
    );
    for (const detail of details) if (detail) renderBook(detail);
    for (const [id, view] of bookViews) {
      if (!ids.includes(id)) {
        view.el.remove();
        bookViews.delete(id);
      }
    }
    placeBooks(ids);
    ui.more.hidden = !page.nextCursor || bookLimit >= maxBooks;
    renderSummary();
    ui.loadError.hidden = true;
    ui.loadError.textContent = "";
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      ui.loadError.hidden = false;
      ui.loadError.textContent = `Could not load books: ${error instanceof Error ? error.message : String(error)}. Retrying…`;
    }
  } finally {
    loading = false;
    if (again) {
      again = false;
      void refresh({ full: true });
    } else {
      schedule();
    }
  }
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && apiKey) void refresh();
});

// ---------------------------------------------------------------- actions

ui.importForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const url = ui.importInput.value.trim();
  if (!url) return;
  ui.importButton.disabled = true;
  ui.importButton.setAttribute("aria-busy", "true");
  ui.importButton.textContent = "Importing…";
  ui.importError.textContent = "";
  ui.importResult.textContent = "";
  ui.importInput.setAttribute("aria-invalid", "false");
  try {
    /** @type {{ created: boolean, book: BookDetail, job: { status: string } | null }} */
    const result = await api("/api/v1/books/import/ebay", { method: "POST", body: { url } });
    const { book, job } = result;
    const copied = book.photos.filter((p) => p.copyStatus === "copied").length;
    ui.importResult.textContent = result.created
      ? `Imported “${book.title}”: ${copied} of ${book.photos.length} photos copied${job ? `, primary photo ${job.status}` : ", nothing queued"}.`
      : `Already imported: “${book.title}”.`;
    ui.importInput.value = "";
    renderBook(book);
    placeBooks([book.id, ...[...bookViews.keys()].filter((id) => id !== book.id)]);
    renderSummary();
    void refresh();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      ui.importError.textContent = `Import failed: ${error instanceof Error ? error.message : String(error)}`;
      ui.importInput.setAttribute("aria-invalid", "true");
    }
  } finally {
    ui.importButton.disabled = false;
    ui.importButton.removeAttribute("aria-busy");
    ui.importButton.textContent = "Import";
  }
});

/** @param {BookView} view @param {PhotoView} pv @param {string} photoId */
async function reprocess(view, pv, photoId) {
  pv.button.disabled = true;
  pv.button.setAttribute("aria-busy", "true");
  try {
    const job = await api(`/api/v1/books/${view.detail.id}/images/${photoId}/process`, { method: "POST" });
    const n = (view.detail.photos.find((p) => p.id === photoId)?.position ?? 0) + 1;
    ui.actionMessage.textContent =
      job.status === "queue_failed"
        ? `Photo ${n} of “${view.detail.title}” could not be queued yet; the retry sweep will resend it.`
        : `Photo ${n} of “${view.detail.title}” sent for background removal.`;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      pv.error.hidden = false;
      pv.error.textContent = `Could not reprocess: ${error instanceof Error ? error.message : String(error)}`;
    }
  } finally {
    pv.button.removeAttribute("aria-busy");
    pv.button.disabled = false;
  }
  await refreshBook(view.detail.id);
}

/** @param {string} id */
async function refreshBook(id) {
  try {
    renderBook(await api(`/api/v1/books/${id}`));
    renderSummary();
  } catch {
    // the next poll shows the error
  }
  schedule();
}

ui.retry.addEventListener("click", async () => {
  ui.retry.disabled = true;
  ui.retry.setAttribute("aria-busy", "true");
  ui.actionMessage.textContent = "Running the retry sweep…";
  try {
    const r = await api("/api/v1/admin/image-jobs/retry", { method: "POST" });
    ui.actionMessage.textContent = `Retry sweep: ${r.examined} examined, ${r.requeued} re-queued, ${r.stillFailing} still failing, ${r.gaveUp} given up.`;
    await refresh({ full: true });
  } catch (error) {
    ui.actionMessage.textContent = `Retry failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    ui.retry.disabled = false;
    ui.retry.removeAttribute("aria-busy");
  }
});

ui.refresh.addEventListener("click", () => void refresh({ full: true }));

ui.more.addEventListener("click", () => {
  bookLimit = Math.min(bookLimit + pageSize, maxBooks);
  void refresh();
});

// ---------------------------------------------------------------- start

if (apiKey) {
  showApp();
  void refresh({ full: true });
} else {
  showKeyForm();
}

/**
 * The dashboard: asks for the API key (kept in sessionStorage), then shows the newest books with
 * their photos and jobs, kept current by polling the books list — one request per poll, every
 * 2 s while any job is still moving, every 15 s otherwise. API data is only ever rendered as text.
 */
import { useEffect, useMemo, useRef, useState } from "hono/jsx/dom";
import { createApiClient, createKeyStore, errorText, isUnauthorized } from "./api-client.ts";
import type { BookDetail, BookPage, ImageJob, ImportResponse, JobStatus, Photo, SweepResult } from "./api-types.ts";
import { BookCard } from "./book-card.tsx";
import { createPoller } from "./create-poller.ts";
import { statusLabels } from "./photo-card.tsx";

const fastPollMs = 2000;
const idlePollMs = 15000;
const pageSize = 12;
/** The API's largest page: "Show more" grows the one page the poll reads, up to this. */
const maxBooks = 100;
const summaryOrder = Object.keys(statusLabels) as JobStatus[];

/** Whether the pipeline will still change something by itself (the API says, per job and per copy). */
const isMoving = (books: BookDetail[]) => books.some((b) => b.photos.some((p) => p.moving));

function summary(books: BookDetail[]): string {
  const counts = new Map<JobStatus, number>();
  let photos = 0;
  for (const b of books)
    for (const p of b.photos) {
      photos++;
      if (p.processing) counts.set(p.processing.status, (counts.get(p.processing.status) ?? 0) + 1);
    }
  const parts = [`${books.length} ${books.length === 1 ? "book" : "books"}`, `${photos} photos`];
  for (const status of summaryOrder) {
    const n = counts.get(status);
    if (n) parts.push(`${n} ${statusLabels[status].toLowerCase()}`);
  }
  return parts.join(" · ");
}

export function DashboardApp({ icon }: { icon: string }) {
  const keys = useMemo(() => createKeyStore(), []);
  const [apiKey, setApiKey] = useState<string | null>(keys.get());
  const [keyError, setKeyError] = useState("");
  const [books, setBooks] = useState<BookDetail[] | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [updated, setUpdated] = useState<Date | null>(null);
  const [importing, setImporting] = useState(false);
  const [importError, setImportError] = useState("");
  const [importResult, setImportResult] = useState("");
  const [actionMessage, setActionMessage] = useState("");
  const [retrying, setRetrying] = useState(false);
  // Read by the poller and the client between renders.
  const live = useRef({ key: apiKey, limit: pageSize, moving: false });
  live.current.key = apiKey;

  const forget = (message: string) => {
    keys.set(null);
    live.current = { key: null, limit: pageSize, moving: false };
    setApiKey(null);
    setBooks(null);
    setKeyError(message);
  };
  const api = useMemo(
    () =>
      createApiClient({
        key: () => live.current.key,
        onUnauthorized: (detail) => forget(`The API rejected this key: ${detail}. Enter another key.`),
      }),
    [],
  );

  const poller = useMemo(
    () =>
      createPoller({
        delay: () => (live.current.moving ? fastPollMs : idlePollMs),
        load: async () => {
          if (!live.current.key) return;
          try {
            const page = await api.request<BookPage>(`/api/v1/books?limit=${live.current.limit}`);
            if (!live.current.key) return;
            live.current.moving = isMoving(page.items);
            setBooks(page.items);
            setHasMore(Boolean(page.nextCursor) && live.current.limit < maxBooks);
            setUpdated(new Date());
            setLoadError(null);
          } catch (error) {
            if (!isUnauthorized(error)) setLoadError(`Could not load books: ${errorText(error)}. Retrying…`);
          }
        },
      }),
    [],
  );
  useEffect(() => {
    if (apiKey) poller.now();
  }, [apiKey]);
  useEffect(() => () => poller.stop(), []);

  const keyInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (!apiKey) keyInput.current?.focus();
  }, [apiKey, keyError]);

  const saveKey = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const key = (new FormData(form).get("apiKey")?.toString() ?? "").trim();
    if (!key) return;
    live.current.key = key;
    try {
      await api.request(`/api/v1/books?limit=1`);
    } catch (error) {
      if (isUnauthorized(error)) return; // forget() showed why
      // Anything else (API down, 503) says nothing about the key: keep it and carry on.
    }
    keys.set(key);
    setKeyError("");
    setActionMessage("");
    setApiKey(key);
    form.reset();
  };

  const importListing = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const url = (new FormData(form).get("url")?.toString() ?? "").trim();
    if (!url) return;
    setImporting(true);
    setImportError("");
    setImportResult("");
    try {
      const { created, book, job } = await api.request<ImportResponse>("/api/v1/books/import/ebay", { method: "POST", body: { url } });
      const copied = book.photos.filter((p) => p.copyStatus === "copied").length;
      setImportResult(
        created
          ? `Imported “${book.title}”: ${copied} of ${book.photos.length} photos copied${job ? `, primary photo ${job.status}` : ", nothing queued"}.`
          : `Already imported: “${book.title}”.`,
      );
      form.reset();
      setBooks((current) => [book, ...(current ?? []).filter((b) => b.id !== book.id)]);
      live.current.moving = true;
      poller.now();
    } catch (error) {
      if (!isUnauthorized(error)) setImportError(`Import failed: ${errorText(error)}`);
    } finally {
      setImporting(false);
    }
  };

  const process = async (book: BookDetail, photo: Photo): Promise<string | null> => {
    const n = photo.position + 1;
    try {
      const job = await api.request<ImageJob>(`/api/v1/books/${book.id}/images/${photo.id}/process`, { method: "POST" });
      setActionMessage(
        job.status === "queue_failed"
          ? `Photo ${n} of “${book.title}” could not be queued yet; the retry sweep will resend it.`
          : `Photo ${n} of “${book.title}” sent for background removal.`,
      );
      live.current.moving = true;
      poller.now();
      return null;
    } catch (error) {
      poller.now();
      return isUnauthorized(error) ? null : `Could not reprocess: ${errorText(error)}`;
    }
  };

  const retrySweep = async () => {
    setRetrying(true);
    setActionMessage("Running the retry sweep…");
    try {
      const r = await api.request<SweepResult>("/api/v1/admin/image-jobs/retry", { method: "POST" });
      setActionMessage(
        `Retry sweep: ${r.examined} examined, ${r.requeued} re-queued, ${r.stillFailing} still failing, ${r.gaveUp} given up.`,
      );
      poller.now();
    } catch (error) {
      setActionMessage(`Retry failed: ${errorText(error)}`);
    } finally {
      setRetrying(false);
    }
  };

  const moving = books ? isMoving(books) : false;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="top-inner">
          <p class="brand">
            <img src={icon} alt="" width="28" height="28" /> BlueMoxon <span>image pipeline</span>
          </p>
          <nav class="top-links" aria-label="API">
            <a href="/docs">API docs</a>
            {apiKey ? (
              <button type="button" id="forget-key" class="link-button" onClick={() => forget("")}>
                Forget key
              </button>
            ) : null}
          </nav>
        </div>
      </header>
      <main id="main" class="wrap">
        {apiKey ? null : (
          <section id="key-section" class="card key-card" aria-labelledby="key-title">
            <h1 id="key-title">Connect to the API</h1>
            <p>
              Enter an API key (one of the keys in the API key secret). It stays in this browser tab only and is sent as{" "}
              <code>X-API-Key</code>.
            </p>
            <form id="key-form" class="row-form" onSubmit={saveKey}>
              <label for="api-key">API key</label>
              <div class="row">
                <input
                  ref={keyInput}
                  id="api-key"
                  name="apiKey"
                  type="password"
                  autocomplete="off"
                  spellcheck={false}
                  required
                  aria-describedby="key-error"
                  aria-invalid={keyError ? "true" : "false"}
                />
                <button type="submit">Save key</button>
              </div>
              <p id="key-error" class="form-error" role="alert">
                {keyError}
              </p>
            </form>
          </section>
        )}
        <div id="app" hidden={!apiKey}>
          <section class="card controls" aria-labelledby="import-title">
            <h1 id="import-title">Import an eBay listing</h1>
            <form id="import-form" class="row-form" onSubmit={importListing}>
              <label for="listing-url">Listing URL or item id</label>
              <div class="row">
                <input
                  id="listing-url"
                  name="url"
                  type="text"
                  inputmode="url"
                  autocomplete="off"
                  spellcheck={false}
                  required
                  placeholder="https://www.ebay.com/itm/315209876543"
                  aria-describedby="import-error import-result"
                  aria-invalid={importError ? "true" : "false"}
                />
                <button type="submit" id="import-button" disabled={importing} aria-busy={importing ? "true" : undefined}>
                  {importing ? "Importing…" : "Import"}
                </button>
              </div>
              <p id="import-error" class="form-error" role="alert">
                {importError}
              </p>
              <p id="import-result" class="form-result" role="status">
                {importResult}
              </p>
            </form>
          </section>

          <section class="toolbar" aria-label="Pipeline">
            <p id="summary" class="summary">
              {books ? summary(books) : "Loading…"}
            </p>
            {/* Not a live region: it changes every poll, which a screen reader would read out each time. */}
            <p id="live" class={moving ? "live active" : "live"}>
              <span class="dot" aria-hidden="true" />
              <span id="live-text">
                {updated ? `${moving ? "Live · every 2 s" : "Idle · every 15 s"} · updated ${updated.toLocaleTimeString()}` : "Connecting…"}
              </span>
            </p>
            <div class="toolbar-actions">
              <button type="button" id="refresh" class="secondary" onClick={() => poller.now()}>
                Refresh
              </button>
              <button
                type="button"
                id="retry-failed"
                class="secondary"
                disabled={retrying}
                aria-busy={retrying ? "true" : undefined}
                onClick={() => void retrySweep()}
              >
                Retry failed jobs
              </button>
            </div>
          </section>
          <p id="action-message" class="action-message" role="status">
            {actionMessage}
          </p>
          <p id="load-error" class="banner-error" role="alert" hidden={!loadError}>
            {loadError ?? ""}
          </p>

          <section aria-labelledby="books-title">
            <h2 id="books-title" class="section-title">
              Recent books
            </h2>
            <p id="empty" class="empty" hidden={!books || books.length > 0}>
              No books yet. Import a listing above.
            </p>
            <div id="books" class="books">
              {(books ?? []).map((book) => (
                <BookCard key={book.id} book={book} onProcess={process} />
              ))}
            </div>
            <p class="more">
              <button
                type="button"
                id="more-books"
                class="secondary"
                hidden={!hasMore}
                onClick={() => {
                  live.current.limit = Math.min(live.current.limit + pageSize, maxBooks);
                  poller.now();
                }}
              >
                Show more books
              </button>
            </p>
          </section>
        </div>
      </main>
    </>
  );
}

/**
 * An import with the database connection cut while the book and its photos are inserted (a TCP
 * proxy in front of PostgreSQL drops both sockets when that statement is sent). postgres.js
 * 3.4.9 crashed the process when that happened inside `sql.begin` (porsager/postgres#1208); the
 * API runs as its own process here (`services/api/src/server.ts`) so a crash is seen.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CuttingProxy, startCuttingProxy } from "../support/cutting-proxy.ts";
import { type ApiHarness, apiKey, startApiHarness } from "./support/api-harness.ts";
import { nextItemId, writeListing } from "./support/write-listing.ts";

const serverEntry = fileURLToPath(new URL("../../services/api/src/server.ts", import.meta.url));

let h: ApiHarness | undefined;
let skip: string | undefined;
let proxy: CuttingProxy | undefined;
let api: { child: ChildProcess; url: string; stderr: () => string } | undefined;

beforeAll(async () => {
  const started = await startApiHarness();
  if ("skip" in started) {
    skip = started.skip;
    return;
  }
  h = started;
  proxy = await startCuttingProxy(h.db.url);
});

/**
 * The API as its own process, through the proxy. One per test: postgres.js prepares a statement
 * once per connection and then sends only its name, so a statement that must be cut has to be
 * sent for the first time on the connections of the API under test.
 */
async function startApiChild(more: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", serverEntry], {
    env: { ...process.env, ...h!.env, DATABASE_URL: proxy!.url, PORT: "0", ...more },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /api listening (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`the API exited with ${code} before listening: ${stderr}`)));
  });
  api = { child, url, stderr: () => stderr };
}

async function stopApiChild() {
  if (api && api.child.exitCode === null) {
    const exited = new Promise((r) => api!.child.once("exit", r));
    api.child.kill("SIGTERM");
    await exited;
  }
  api = undefined;
}
afterEach(stopApiChild);
afterAll(async () => {
  await proxy?.close();
  await h?.close();
});

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${api!.url}${path}`, { ...init, headers: { "x-api-key": apiKey, "content-type": "application/json" } });

describe("import with the connection cut inside the book+photos insert", () => {
  it("keeps the API alive, answers 5xx, leaves no book behind; the client's retry imports it whole", async (ctx) => {
    if (skip) return ctx.skip(skip);
    await startApiChild();
    const id = nextItemId();
    writeListing(h!.listingsDir, id, ["a.jpg", "b.jpg", "c.jpg"]);
    const body = JSON.stringify({ url: `https://www.ebay.com/itm/${id}` });
    const cut = proxy!.cutOn("INSERT INTO book_images");
    const first = await call("/api/v1/books/import/ebay", { method: "POST", body });
    await cut;
    expect(first.status).toBeGreaterThanOrEqual(500);
    // A crash would come on a later tick of the event loop: ask again after the connection is gone.
    const health = await call("/health").then(
      (res) => res.status,
      (error: Error) => `unreachable (${(error.cause as { code?: string })?.code ?? error.message})`,
    );
    expect({ health, exitCode: api!.child.exitCode, stderr: api!.stderr() }).toEqual({
      health: 200,
      exitCode: null,
      stderr: expect.not.stringMatching(/TypeError/),
    });
    expect(await h!.db.sql`SELECT id FROM books WHERE source_item_id = ${id}`).toEqual([]);

    const again = await call("/api/v1/books/import/ebay", { method: "POST", body });
    expect(again.status).toBe(201);
    const result = await again.json();
    expect(result.book.photos.map((p: { copyStatus: string }) => p.copyStatus)).toEqual(["copied", "copied", "copied"]);
    expect(result.job).toMatchObject({ status: "queued" });
  });
});

describe("import with the connection cut after a photo reached the bucket", () => {
  it("leaves the photo claimed (not failed as an upload), answers 5xx, and the retry takes the claim over, records it copied and queues it", async (ctx) => {
    if (skip) return ctx.skip(skip);
    // The claim of the lost import is taken over once its lease has passed: no lease here, so at once.
    await startApiChild({ COPY_LEASE_SECONDS: "0" });
    const id = nextItemId();
    writeListing(h!.listingsDir, id, ["a.jpg"]);
    const body = JSON.stringify({ url: `https://www.ebay.com/itm/${id}` });
    // The object is in the bucket; the statement that records it is lost with the connection.
    const cut = proxy!.cutOn("UPDATE book_images SET copy_status = $1");
    const first = await call("/api/v1/books/import/ebay", { method: "POST", body });
    await cut;
    expect(first.status).toBeGreaterThanOrEqual(500);
    const photos = await h!.db.sql<{ copy_status: string; copy_error: string | null }[]>`
      SELECT i.copy_status, i.copy_error FROM book_images i JOIN books b ON b.id = i.book_id WHERE b.source_item_id = ${id}`;
    expect(photos).toEqual([{ copy_status: "copying", copy_error: null }]);

    const again = await call("/api/v1/books/import/ebay", { method: "POST", body });
    expect(again.status).toBe(200);
    const result = await again.json();
    expect(result.book.photos.map((p: { copyStatus: string }) => p.copyStatus)).toEqual(["copied"]);
    expect(result.job).toMatchObject({ status: "queued" });
    expect(api!.child.exitCode).toBeNull();
  });
});

/**
 * Every refusal of the guarded photo download ends as a failed photo with a reason while the
 * import itself succeeds; plus the download guard alone (DNS answers checked, connection pinned).
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiServer } from "../../services/api/src/index.ts";
import { fetchGuardedImage } from "../../services/api/src/index.ts";
import { type ApiHarness, apiKey, startApiHarness } from "./support/api-harness.ts";
import { nextItemId, samplePhoto, writeListing } from "./support/write-listing.ts";

const jpeg = readFileSync(samplePhoto);
let hostile: Server;
let hostileUrl: string;
let h: ApiHarness | undefined;
let api: ApiServer;
let skip: string | undefined;

beforeAll(async () => {
  // A server that misbehaves in every way a listing's photo URL could.
  hostile = createServer((req, res) => {
    switch (req.url) {
      case "/ok.jpg":
        res.writeHead(200, { "content-type": "image/jpeg" }).end(jpeg);
        return;
      case "/redirect-ok":
        res.writeHead(302, { location: "/ok.jpg" }).end();
        return;
      case "/redirect-away":
        res.writeHead(302, { location: "http://evil.example.com/x.jpg" }).end();
        return;
      case "/redirect-metadata":
        res.writeHead(301, { location: "http://169.254.169.254/latest/meta-data/" }).end();
        return;
      case "/huge-chunked": {
        // No content-length: the cap must hold while streaming.
        res.writeHead(200, { "content-type": "image/jpeg" });
        res.write(jpeg.subarray(0, 4));
        const chunk = Buffer.alloc(64 * 1024, 1);
        let sent = 0;
        const pump = () => {
          while (sent < 50 && res.write(chunk)) sent++;
          if (sent < 50) res.once("drain", pump);
          else res.end();
        };
        pump();
        res.on("error", () => {});
        return;
      }
      case "/huge-declared":
        res.writeHead(200, { "content-type": "image/jpeg", "content-length": String(50 * 1024 * 1024) });
        res.write(jpeg.subarray(0, 100));
        return;
      case "/page.jpg":
        res.writeHead(200, { "content-type": "image/jpeg" }).end("<!doctype html><html><body>not a photo</body></html>");
        return;
      case "/slow.jpg":
        res.writeHead(200, { "content-type": "image/jpeg" });
        res.write(jpeg.subarray(0, 100));
        // …and never finishes.
        return;
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => hostile.listen(0, "127.0.0.1", r));
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;

  const started = await startApiHarness();
  if ("skip" in started) {
    skip = started.skip;
    return;
  }
  h = started;
  api = await h.startApi({
    EBAY_IMAGE_HOSTS: "localhost,169.254.169.254,i.ebayimg.com",
    PRIVATE_IMAGE_HOSTS_ALLOWED: `${new URL(h.ebay.url).host},${new URL(hostileUrl).host}`,
    IMAGE_MAX_BYTES: "300000",
    // Generous for a loaded CI box; only /slow.jpg should ever reach it.
    IMAGE_FETCH_TIMEOUT_MS: "1500",
  });
});
afterAll(async () => {
  await h?.close();
  hostile.closeAllConnections();
  await new Promise((r) => hostile.close(r));
});

describe("guarded photo download during import", () => {
  it("records each refused photo with its reason, copies the good ones and still answers 201", async (ctx) => {
    if (skip) return ctx.skip(skip);
    const port = new URL(hostileUrl).port;
    const photos: [string, string | null][] = [
      [`http://localhost:${port}/ok.jpg`, "private_address"],
      ["http://169.254.169.254/latest/meta-data/iam/security-credentials/", "private_address"],
      ["https://evil.example.com/book.jpg", "host_not_allowed"],
      ["file:///etc/passwd", "scheme_not_allowed"],
      [`${hostileUrl}/redirect-away`, "host_not_allowed"],
      [`${hostileUrl}/redirect-metadata`, "private_address"],
      [`${hostileUrl}/huge-chunked`, "too_large"],
      [`${hostileUrl}/huge-declared`, "too_large"],
      [`${hostileUrl}/page.jpg`, "not_an_image"],
      [`${hostileUrl}/slow.jpg`, "timeout"],
      [`${hostileUrl}/redirect-ok`, null],
      ["good.jpg", null],
    ];
    const id = nextItemId();
    writeListing(
      h!.listingsDir,
      id,
      photos.map(([url]) => url),
    );
    const started = Date.now();
    const res = await fetch(`${api.url}/api/v1/books/import/ebay`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify({ url: id }),
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    const outcome = body.book.photos.map((p: { copyStatus: string; copyError: string | null }) =>
      p.copyStatus === "copied" ? null : (p.copyError ?? "").split(":")[0],
    );
    expect(outcome).toEqual(photos.map(([, reason]) => reason));
    // The first photo that copied (position 10, after ten refusals) is the one queued.
    expect(body.job.imageId).toBe(body.book.photos[10].id);
    expect(body.book.photos[10].isPrimary).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe("fetchGuardedImage", () => {
  const base = { maxBytes: 1_000_000, timeoutMs: 2_000 };

  it("refuses a host when any DNS answer is private, even if another is public", async () => {
    const err = await fetchGuardedImage("http://cdn.example.test/x.jpg", {
      ...base,
      allowedHosts: ["cdn.example.test"],
      resolve: async () => [
        { address: "93.184.216.34", family: 4 },
        { address: "::ffff:127.0.0.1", family: 6 },
      ],
    }).catch((e) => e);
    expect(err).toMatchObject({ name: "ImageFetchError", reason: "private_address" });
  });

  it("connects to the address it checked, not to a second DNS answer", async () => {
    // cdn.example.test has no public DNS: the download can only succeed through the pinned address.
    const port = new URL(hostileUrl).port;
    const out = await fetchGuardedImage(`http://cdn.example.test:${port}/ok.jpg`, {
      ...base,
      allowedHosts: [],
      privateHostsAllowed: [`cdn.example.test:${port}`],
      resolve: async () => [{ address: "127.0.0.1", family: 4 }],
    });
    expect(out.mime).toBe("image/jpeg");
    expect(out.bytes.equals(jpeg)).toBe(true);
  });

  it("caps redirects", async () => {
    const host = new URL(hostileUrl).host;
    const err = await fetchGuardedImage(`${hostileUrl}/redirect-ok`, {
      ...base,
      allowedHosts: [],
      privateHostsAllowed: [host],
      maxRedirects: 0,
    }).catch((e) => e);
    expect(err).toMatchObject({ reason: "too_many_redirects" });
  });
});

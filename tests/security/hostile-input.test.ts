/**
 * Hostile input against a running stack (started like `npm start`, logs at debug, PostgreSQL
 * over a URL with a password): every route of the OpenAPI document fuzzed through raw HTTP (so
 * `../` and broken percent-escapes reach the server as sent) must answer 4xx problem+json or a
 * normal success — never a 5xx, never a stack trace; photo URLs aimed at our own network are
 * refused without a single request reaching it; listing URLs that are not eBay's are refused;
 * and no secret appears in any log line or response body.
 *
 * `tests/api/` already covers the basic bad-input table, the guard's redirects (to the metadata
 * address, away from the allow-list), DNS pinning and size caps against an in-process API; this
 * file goes through the whole stack and widens the inputs.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOwnDatabase, type OwnDatabase } from "../chaos/support/own-database.ts";
import { type Stack, startStack } from "../support/stack.ts";
import { findLeaks, stackLogs, stackSecrets, type Text } from "./support/find-leaks.ts";

let db: OwnDatabase | undefined;
let stack: Stack | undefined;
let skip: string | undefined;
let fixtureDir: string;
/** Counts every request that reaches "our own network" (a loopback server the photos aim at). */
let inside: Server;
const insideHits: string[] = [];
let insidePort: number;
const bodies: Text[] = [];

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** One request sent exactly as written (no URL normalisation, no body re-encoding). */
function raw(
  method: string,
  path: string,
  { body, headers = {}, key = true }: { body?: string | Buffer; headers?: Record<string, string>; key?: boolean } = {},
): Promise<Answer> {
  const api = new URL(stack!.api);
  if (body !== undefined && Buffer.byteLength(body) > 256 * 1024) {
    // The server answers 413 before reading a huge body and closes; node:http and fetch may then
    // report the reset instead of the answer. curl reads the answer, as a browser would.
    const dir = mkdtempSync(join(tmpdir(), "bmx-body-"));
    try {
      writeFileSync(join(dir, "body"), body);
      const args = [
        "-s",
        "-X",
        method,
        "--data-binary",
        `@${join(dir, "body")}`,
        "-o",
        join(dir, "answer"),
        "-w",
        "%{http_code} %{content_type}",
      ];
      for (const [k, v] of Object.entries({ ...(key ? { "x-api-key": stack!.apiKey } : {}), ...headers })) args.push("-H", `${k}: ${v}`);
      const [status, contentType = ""] = execFileSync("curl", [...args, `${stack!.api}${path}`], { encoding: "utf8" }).split(" ");
      const answer = { status: Number(status), contentType, text: readFileSync(join(dir, "answer"), "utf8") };
      bodies.push({ source: `${method} ${path.slice(0, 80)} → ${answer.status}`, text: answer.text });
      return Promise.resolve(answer);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: api.hostname,
        port: api.port,
        method,
        path,
        headers: {
          ...(key ? { "x-api-key": stack!.apiKey } : {}),
          ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const answer = {
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            text: Buffer.concat(chunks).toString("utf8"),
          };
          bodies.push({ source: `${method} ${path.slice(0, 80)} → ${answer.status}`, text: answer.text });
          resolve(answer);
        });
        res.on("error", reject);
      },
    );
    req.on("error", (error) => reject(new Error(`${method} ${path.slice(0, 120)}: ${error.message}`, { cause: error })));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const stackTrace = /\n\s+at |node_modules|\/work\/|file:\/\/|\.ts:\d+/;

/** The contract for hostile input: a client error with a problem body, or an ordinary answer. */
function expectHandled(answer: Answer, what: string) {
  expect(answer.status, `${what}: ${answer.text.slice(0, 200)}`).toBeLessThan(500);
  expect(answer.text, what).not.toMatch(stackTrace);
  if (answer.status >= 400) {
    expect(answer.contentType, what).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.text), what).toMatchObject({ status: answer.status, title: expect.any(String) });
  }
}

beforeAll(async () => {
  inside = createServer((req, res) => {
    insideHits.push(`${req.method} ${req.headers.host}${req.url}`);
    res.writeHead(200, { "content-type": "image/jpeg" }).end(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]));
  });
  await new Promise<void>((r) => inside.listen(0, "127.0.0.1", r));
  insidePort = (inside.address() as AddressInfo).port;

  const created = await createOwnDatabase();
  if ("skip" in created) {
    skip = created.skip;
    return;
  }
  db = created;
  fixtureDir = mkdtempSync(join(tmpdir(), "bmx-hostile-listings-"));
  stack = await startStack({ env: { DATABASE_URL: db.url, EBAY_FIXTURE_DIR: fixtureDir, LOG_LEVEL: "debug" } });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await db?.drop();
  inside?.closeAllConnections();
  await new Promise((r) => inside?.close(r));
  if (fixtureDir) rmSync(fixtureDir, { recursive: true, force: true });
});

const hostileIds = [
  "..%2f..%2f..%2fetc%2fpasswd",
  "%2e%2e",
  "..",
  "%00",
  "%ff%fe%fd",
  "%c0%af",
  "%E2%80%AE%E2%80%8B",
  encodeURIComponent("😀\u200d📚"),
  "%F0%9F%98%80",
  "'%20OR%201=1--",
  "a".repeat(4000),
  "00000000-0000-0000-0000-000000000000%20",
  "0B6F0000-0000-4000-8000-00000000000G",
  "%7B%7B7*7%7D%7D",
];

const hostileQueries = [
  "limit=1e309",
  "limit=-1",
  "limit=0",
  "limit=99999999999999999999999",
  "limit=NaN",
  "limit=0x10",
  "limit=1&limit=5000",
  "limit[]=1",
  "limit=%00",
  `cursor=${"A".repeat(6000)}`,
  "cursor=%ff%fe",
  `cursor=${Buffer.from('{"t":"2020-01-01","id":"\'; DROP TABLE books;--"}').toString("base64url")}`,
  `cursor=${Buffer.from('{"createdAt":"9999-99-99","id":"x"}').toString("base64url")}`,
  "status=%E2%80%AEdeliance",
  "status=completed&status=failed",
  "status[$ne]=x",
  "max=1e9",
  "max=-5",
];

const hostileBodies: [string, string | Buffer, Record<string, string>?][] = [
  ["empty", ""],
  ["truncated", '{"url": "1234567890'],
  ["array", "[]"],
  ["null", "null"],
  ["number", "123"],
  ["string", '"https://www.ebay.com/itm/123456789012"'],
  ["url null", '{"url": null}'],
  ["url array", '{"url": ["https://www.ebay.com/itm/123456789012"]}'],
  ["url object", '{"url": {"$gt": ""}}'],
  ["prototype pollution", '{"__proto__": {"admin": true}, "url": "123456789012"}'],
  ["constructor pollution", '{"constructor": {"prototype": {"admin": true}}, "url": "123456789012"}'],
  ["deep nesting", `${"[".repeat(20_000)}${"]".repeat(20_000)}`],
  ["huge number", '{"url": 1e999999}'],
  ["lone surrogate", '{"url": "\\ud800123456789012"}'],
  ["NUL bytes", '{"url": "1234\\u000056789012"}'],
  ["full-width digits", JSON.stringify({ url: "https://www.ebay.com/itm/１２３４５６７８９０１２" })],
  ["RTL override", JSON.stringify({ url: "https://www.ebay.com/itm/\u202e210987654321" })],
  ["homoglyph host", JSON.stringify({ url: "https://www.еbay.com/itm/123456789012" })],
  ["invalid UTF-8", Buffer.concat([Buffer.from('{"url": "'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('"}')])],
  [
    "UTF-16 declared",
    Buffer.from(JSON.stringify({ url: "123456789012" }), "utf16le"),
    { "content-type": "application/json; charset=utf-16" },
  ],
  ["text/plain", JSON.stringify({ url: "123456789012" }), { "content-type": "text/plain" }],
  ["form", "url=123456789012", { "content-type": "application/x-www-form-urlencoded" }],
  ["oversized", JSON.stringify({ url: "9".repeat(2_000_000) })],
  ["many keys", JSON.stringify(Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i])))],
];

describe("hostile input through the running stack", () => {
  it("fuzzes every route of the OpenAPI document: ids, queries and bodies → 4xx problem+json or success, never 5xx", async (ctx) => {
    if (skip) return ctx.skip(skip);
    const doc = JSON.parse((await raw("GET", "/openapi.json")).text) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
    );
    expect(routes.length).toBeGreaterThanOrEqual(8);
    let sent = 0;
    for (const { method, path } of routes) {
      const valid = path.replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000000");
      const json = { "content-type": "application/json" };
      // Path traversal and odd bytes in every id.
      if (path.includes("{")) {
        for (const id of hostileIds) {
          const p = path.replace(/\{[^}]+\}/g, id);
          expectHandled(await raw(method, p, method === "POST" ? { body: "{}", headers: json } : {}), `${method} ${p.slice(0, 100)}`);
          sent++;
        }
      }
      for (const q of hostileQueries) {
        const p = `${valid}?${q}`;
        expectHandled(await raw(method, p, method === "POST" ? { body: "{}", headers: json } : {}), `${method} ${p.slice(0, 100)}`);
        sent++;
      }
      if (method === "POST") {
        for (const [name, body, headers] of hostileBodies) {
          expectHandled(await raw(method, valid, { body, headers: headers ?? json }), `${method} ${path} with ${name} body`);
          sent++;
        }
      }
      // Methods the route does not have.
      for (const other of ["PUT", "DELETE", "PATCH"]) {
        expectHandled(await raw(other, valid), `${other} ${path}`);
        sent++;
      }
    }
    // The import body cap answers 413, not a 5xx or a dropped connection.
    const big = await raw("POST", "/api/v1/books/import/ebay", {
      body: JSON.stringify({ url: "9".repeat(2_000_000) }),
      headers: { "content-type": "application/json" },
    });
    expect(big.status).toBe(413);
    console.log(`hostile input: ${sent} requests over ${routes.length} routes, none answered 5xx`);
  }, 240_000);

  it("keeps the dashboard's static files and the public paths inside their folder", async (ctx) => {
    if (skip) return ctx.skip(skip);
    for (const p of [
      "/dashboard/..%2f..%2f..%2fpackage.json",
      "/dashboard/%2e%2e/%2e%2e/%2e%2e/package.json",
      "/dashboard/../../../../etc/passwd",
      "/dashboard/....//....//package.json",
      "/dashboard/%252e%252e%252fpackage.json",
      "/dashboard/dashboard.js%00.png",
      "/docs/..%2f..%2fpackage.json",
      "/health/..%2f..%2fpackage.json",
      "/%2e%2e/%2e%2e/etc/passwd",
    ]) {
      const answer = await raw("GET", p, { key: false });
      expectHandled(answer, p);
      expect(answer.text, p).not.toMatch(/"workspaces"|root:x:0:0|"devDependencies"/);
    }
    // Oversized and odd API keys are a 401, not a crash.
    for (const key of ["x".repeat(16_000), "\u00e9\u00e8", "bmx_ ".repeat(50)]) {
      const answer = await raw("GET", "/api/v1/books", {
        key: false,
        headers: { "x-api-key": Buffer.from(key, "utf8").toString("latin1") },
      });
      expect(answer.status).toBe(401);
      expectHandled(answer, "odd API key");
    }
  });

  it("refuses listing URLs that are not eBay's, whatever they hide behind", async (ctx) => {
    if (skip) return ctx.skip(skip);
    const before = insideHits.length;
    for (const url of [
      `http://127.0.0.1:${insidePort}/itm/123456789012`,
      "http://169.254.169.254/itm/123456789012",
      "http://[::ffff:169.254.169.254]/itm/123456789012",
      "http://[::1]/itm/123456789012",
      `http://localhost:${insidePort}/itm/123456789012`,
      "https://www.ebay.com@127.0.0.1/itm/123456789012",
      "https://www.ebay.com.127.0.0.1.nip.io/itm/123456789012",
      "https://127.0.0.1#.ebay.com/itm/123456789012",
      "https://127.0.0.1\\@www.ebay.com/itm/123456789012",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "gopher://127.0.0.1:6379/_INFO",
    ]) {
      const answer = await raw("POST", "/api/v1/books/import/ebay", {
        body: JSON.stringify({ url }),
        headers: { "content-type": "application/json" },
      });
      expect(answer.status, url).toBe(400);
      expectHandled(answer, url);
    }
    expect(insideHits.slice(before)).toEqual([]);
  });

  it("refuses photo URLs aimed at loopback, private, link-local, metadata and IPv6-mapped addresses; the import still succeeds", async (ctx) => {
    if (skip) return ctx.skip(skip);
    const p = insidePort;
    const hostile = [
      `http://127.0.0.1:${p}/photo.jpg`,
      `http://localhost:${p}/photo.jpg`,
      `http://127.1:${p}/photo.jpg`,
      `http://2130706433:${p}/photo.jpg`,
      `http://0x7f000001:${p}/photo.jpg`,
      `http://0.0.0.0:${p}/photo.jpg`,
      `http://[::1]:${p}/photo.jpg`,
      `http://[::ffff:127.0.0.1]:${p}/photo.jpg`,
      `http://[::ffff:7f00:1]:${p}/photo.jpg`,
      "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
      "http://[fd00:ec2::254]/latest/meta-data/",
      "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
      "http://10.0.0.1/photo.jpg",
      "http://172.16.0.1/photo.jpg",
      "http://192.168.0.1/photo.jpg",
      "http://[fe80::1]/photo.jpg",
      `${stack!.emulator}/bluemoxon-local-images/`,
      // Credentials in a URL (assembled here so the secret scanner has nothing to report).
      `http://${["user", "pw"].join(":")}@127.0.0.1:${p}/photo.jpg`,
      `file:///etc/passwd`,
    ];
    const id = "880000000001";
    const folder = join(fixtureDir, id);
    mkdirSync(folder, { recursive: true });
    const good = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#8a5a2b" } })
      .jpeg()
      .toBuffer();
    writeFileSync(join(folder, "good.jpg"), good);
    const photos = [...hostile, "good.jpg"];
    writeFileSync(
      join(folder, "listing.json"),
      JSON.stringify({
        legacyItemId: id,
        title: "A listing whose photos point inside",
        price: { value: "1.00", currency: "USD" },
        condition: "Used",
        seller: { username: "mallory" },
        image: { imageUrl: photos[0] },
        additionalImages: photos.slice(1).map((imageUrl) => ({ imageUrl })),
      }),
    );
    const answer = await raw("POST", "/api/v1/books/import/ebay", {
      body: JSON.stringify({ url: `https://www.ebay.com/itm/${id}` }),
      headers: { "content-type": "application/json" },
    });
    expect(answer.status, answer.text.slice(0, 300)).toBe(201);
    const body = JSON.parse(answer.text) as {
      book: { photos: { copyStatus: string; copyError: string | null; isPrimary: boolean }[] };
      job: unknown;
    };
    const outcome = body.book.photos.map((photo) => (photo.copyStatus === "copied" ? "copied" : (photo.copyError ?? "").split(":")[0]));
    expect(
      outcome
        .slice(0, hostile.length)
        .every((o) => ["host_not_allowed", "private_address", "scheme_not_allowed", "invalid_url"].includes(o)),
    ).toBe(true);
    expect(outcome.at(-1)).toBe("copied");
    expect(body.book.photos.at(-1)!.isPrimary).toBe(true);
    expect(body.job).not.toBeNull();
    expect(insideHits).toEqual([]);
  });

  it("leaks no secret into any log line (at debug) or response body", async (ctx) => {
    if (skip) return ctx.skip(skip);
    await raw("GET", "/health/deep");
    expect(bodies.length).toBeGreaterThan(100);
    const secrets = stackSecrets(stack!.dataDir, stack!.apiKey, [{ name: "database password", value: db!.password }]);
    const leaks = findLeaks([...stackLogs(stack!.dataDir), ...bodies], secrets);
    expect(leaks).toEqual([]);
  });
});

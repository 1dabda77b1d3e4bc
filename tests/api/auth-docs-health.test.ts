/** Auth, the OpenAPI walk, bad input, deep health and the Lambda entry, against one API world. */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { defaultManifestPath } from "@bluemoxon/core";
import type { Context } from "aws-lambda";
import { describe, expect } from "vitest";
import { buildApiDeps, createApp, createLambdaHandler, isPublicPath, startApiServer } from "../../services/api/src/index.ts";
import { runTs } from "../support/run-ts.ts";
import { apiKey, apiTest as it, previousApiKey, secretValues, testApiKey } from "./support/api-harness.ts";

const someUuid = "0b6f2b8e-3c1d-4f7a-9a51-2f0d8f3c9e11";

describe("auth", () => {
  it("answers 401 problem+json without a key or with a wrong one, 200 with the current or previous key", async ({ h }) => {
    const none = await fetch(`${h.api.url}/api/v1/books`);
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await none.json()).detail).toMatch(/missing/);
    expect((await h.call("/api/v1/books", { headers: { "x-api-key": "nope" } })).status).toBe(401);
    expect((await h.call("/api/v1/books", { headers: { "x-api-key": "" } })).status).toBe(401);
    expect((await h.call("/api/v1/books")).status).toBe(200);
    expect((await h.call("/api/v1/books", { headers: { "x-api-key": previousApiKey } })).status).toBe(200);
  });

  it("accepts a rotated key without a restart and stops accepting the dropped one", async ({ h }) => {
    const SecretId = h.provisioned.secrets["api-key"].name;
    const rotated = testApiKey("rotated-2026");
    await h.aws.clients.secrets.send(new PutSecretValueCommand({ SecretId, SecretString: JSON.stringify({ keys: [rotated] }) }));
    try {
      expect((await h.call("/api/v1/books", { headers: { "x-api-key": rotated } })).status).toBe(200);
      expect((await h.call("/api/v1/books")).status).toBe(401);
    } finally {
      await h.aws.clients.secrets.send(new PutSecretValueCommand({ SecretId, SecretString: secretValues["api-key"] }));
    }
  });

  it("answers 503, not 401, when the key secret cannot be read", async ({ h }) => {
    const api = await h.startApi({ API_KEY_SECRET_ID: "bluemoxon-local/no-such-secret" });
    const res = await fetch(`${api.url}/api/v1/books`, { headers: { "x-api-key": apiKey } });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await res.text()).not.toMatch(/no-such-secret|stack|\n\s+at /);
    // Liveness does not depend on the secret.
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });

  it("refuses to start with an empty API_KEY_SECRET_ID, naming the variable", async ({ h }) => {
    await expect(startApiServer({ env: { ...h.env, API_KEY_SECRET_ID: "  " }, aws: h.aws.clients })).rejects.toThrow(
      /API_KEY_SECRET_ID is required/,
    );
    const { API_KEY_SECRET_ID: _, ...withoutKey } = h.env;
    const cli = spawnSync(process.execPath, ["--import", "tsx", "services/api/src/server.ts"], {
      env: { ...process.env, ...withoutKey, API_KEY_SECRET_ID: "" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/API_KEY_SECRET_ID is required/);
    expect(cli.stdout).not.toMatch(/api listening/);
  });
});

describe("API key length", () => {
  // 31 characters: one short of the minimum. Built at run time (secretlint scans the repo).
  const shortKey = "short-key-".padEnd(31, "z");

  it("refuses to start when the key secret holds a key under 32 characters, naming the secret and not the key", async ({ h }) => {
    const SecretId = h.provisioned.secrets["api-key"].name;
    await h.aws.clients.secrets.send(new PutSecretValueCommand({ SecretId, SecretString: JSON.stringify({ keys: [apiKey, shortKey] }) }));
    try {
      const failure = await startApiServer({ env: h.env, aws: h.aws.clients }).then(
        () => new Error("started"),
        (error: unknown) => error as Error,
      );
      expect(failure.message).toContain(`the API key secret ${SecretId} holds a key shorter than 32 characters (key 2 of 2)`);
      expect(failure.message).not.toContain(shortKey);

      // Not spawnSync: the AWS backend may run in this process and must keep answering the child.
      const { code, stdout, stderr } = await runTs("services/api/src/server.ts", [], h.env);
      expect(code).toBe(1);
      expect(stderr).toContain(`the API key secret ${SecretId} holds a key shorter than 32 characters`);
      expect(stdout + stderr).not.toContain(shortKey);
      expect(stdout).not.toMatch(/api listening/);
    } finally {
      await h.aws.clients.secrets.send(new PutSecretValueCommand({ SecretId, SecretString: secretValues["api-key"] }));
    }
  });

  it("answers 503 (not 200) once a rotation slips a short key into the secret, and accepts a 32-character key", async ({ h }) => {
    const SecretId = h.provisioned.secrets["api-key"].name;
    const exactly32 = "k".repeat(32);
    try {
      await h.aws.clients.secrets.send(new PutSecretValueCommand({ SecretId, SecretString: JSON.stringify({ keys: [shortKey] }) }));
      const res = await h.call("/api/v1/books", { headers: { "x-api-key": shortKey } });
      expect(res.status).toBe(503);
      const body = await res.text();
      expect(body).toMatch(/too short/);
      expect(body).not.toContain(shortKey);
      await h.aws.clients.secrets.send(new PutSecretValueCommand({ SecretId, SecretString: JSON.stringify({ keys: [exactly32] }) }));
      expect((await h.call("/api/v1/books", { headers: { "x-api-key": exactly32 } })).status).toBe(200);
    } finally {
      await h.aws.clients.secrets.send(new PutSecretValueCommand({ SecretId, SecretString: secretValues["api-key"] }));
    }
  });
});

describe("server.ts", () => {
  it("prints its URL, serves, and exits 0 on SIGTERM", async ({ h }) => {
    const child = spawn(process.execPath, ["--import", "tsx", "services/api/src/server.ts"], {
      env: { ...process.env, ...h.env, RETRY_SWEEP_INTERVAL_SECONDS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${stdout}`)), 30_000);
      child.stdout.on("data", (d) => {
        stdout += d;
        const m = /api listening (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${stdout}`)));
    });
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: "ok" });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});

describe("OpenAPI", () => {
  it("documents every registered route, and every non-public route refuses a request without a key", async ({ h }) => {
    const doc = await (await fetch(`${h.api.url}/openapi.json`)).json();
    expect(doc.openapi).toMatch(/^3\.1/);
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { security?: unknown[]; responses: object }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        documented.add(`${method.toUpperCase()} ${path}`);
        expect(Object.keys(op.responses).length, `${method} ${path} responses`).toBeGreaterThan(0);
        if (isPublicPath(path)) continue;
        expect(op.security, `${method} ${path} declares its security`).toEqual([{ ApiKey: [] }]);
        const url = `${h.api.url}${path.replace(/\{[^}]+\}/g, someUuid)}`;
        const res = await fetch(url, {
          method: method.toUpperCase(),
          headers: { "content-type": "application/json" },
          body: method === "get" ? undefined : "{}",
        });
        expect(res.status, `${method} ${path} without a key`).toBe(401);
      }
    }
    // Every route the app registered (not middleware) must be in the document, except the
    // public pages that are not API (the description itself, Swagger UI, the dashboard page).
    const app = createApp(h.api.deps);
    const registered = app.routes
      .filter((r) => r.method !== "ALL" && (r.path === "/health" || !isPublicPath(r.path)))
      .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, "{$1}")}`);
    expect(registered.length).toBeGreaterThanOrEqual(10);
    for (const route of registered) expect(documented, `${route} is undocumented`).toContain(route);
    expect(doc.components.securitySchemes.ApiKey).toMatchObject({ type: "apiKey", in: "header", name: "X-API-Key" });
    const docs = await fetch(`${h.api.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });
});

describe("bad input is a 4xx problem, never a 5xx", () => {
  it.for<[string, string, string, string | undefined, number]>([
    ["malformed JSON", "POST", "/api/v1/books/import/ebay", "{ not json", 400],
    ["wrong type", "POST", "/api/v1/books/import/ebay", JSON.stringify({ url: 42 }), 400],
    ["unknown field", "POST", "/api/v1/books/import/ebay", JSON.stringify({ url: "1234567890", admin: true }), 400],
    ["no body", "POST", "/api/v1/books/import/ebay", undefined, 400],
    ["oversized body", "POST", "/api/v1/books/import/ebay", JSON.stringify({ url: "x".repeat(200_000) }), 413],
    ["bad uuid", "GET", "/api/v1/books/not-a-uuid", undefined, 400],
    ["bad uuid in process", "POST", "/api/v1/books/123/images/456/process", undefined, 400],
    ["unknown status", "GET", "/api/v1/image-jobs?status=exploded", undefined, 400],
    ["limit too high", "GET", "/api/v1/books?limit=100000", undefined, 400],
    ["tampered cursor", "GET", "/api/v1/books?cursor=AAAA", undefined, 400],
    ["unknown book", "GET", `/api/v1/books/${someUuid}`, undefined, 404],
    ["unknown job", "GET", `/api/v1/image-jobs/${someUuid}`, undefined, 404],
    ["unknown route", "GET", "/api/v1/nothing-here", undefined, 404],
  ])("%s → %i", async ([, method, path, body, status], { h }) => {
    const res = await h.call(path, { method, body, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const text = await res.text();
    expect(text).not.toMatch(/\n\s+at |stack/);
    expect(JSON.parse(text)).toMatchObject({ status, title: expect.any(String) });
  });

  it("sets secure headers and a request id", async ({ h }) => {
    const res = await fetch(`${h.api.url}/health`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });
});

describe("health", () => {
  it("/health is public and touches nothing; /health/deep reports every dependency with latency", async ({ h }) => {
    expect(await (await fetch(`${h.api.url}/health`)).json()).toEqual({ status: "ok" });
    expect((await fetch(`${h.api.url}/health/deep`)).status).toBe(401);
    const res = await h.call("/health/deep");
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.checks.map((c: { name: string }) => c.name).sort()).toEqual(
      ["bucket:bluemoxon-local-images", "database", "queue:image-processing", "secretsmanager"].sort(),
    );
    const queue = body.checks.find((c: { name: string }) => c.name === "queue:image-processing");
    expect(queue.details).toMatchObject({ depth: expect.any(Number), inFlight: expect.any(Number), dlqDepth: expect.any(Number) });
    for (const c of body.checks) expect(c.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("/health/deep answers 503 and names a queue of pipeline.json that does not exist", async ({ h }) => {
    const manifest = JSON.parse(readFileSync(defaultManifestPath, "utf8"));
    manifest.queues["ghost-queue"] = { ...manifest.queues["image-processing"] };
    delete manifest.$schema;
    const path = join(mkdtempSync(join(tmpdir(), "bmx-manifest-")), "pipeline.json");
    writeFileSync(path, JSON.stringify(manifest));
    const api = await h.startApi({ PIPELINE_MANIFEST: path });
    const res = await fetch(`${api.url}/health/deep`, { headers: { "x-api-key": apiKey } });
    expect(res.status).toBe(503);
    const body = await res.json();
    const ghost = body.checks.find((c: { name: string }) => c.name === "queue:ghost-queue");
    expect(ghost).toMatchObject({ status: "failed", error: expect.stringMatching(/NonExistentQueue|QueueDoesNotExist|does not exist/i) });
    expect(body.checks.filter((c: { status: string }) => c.status === "ok")).toHaveLength(4);
  });
});

describe("Lambda entry", () => {
  it("answers an API Gateway v2 event, runs the sweep on a schedule event, and migrates on request", async ({ h }) => {
    const handler = createLambdaHandler(() => buildApiDeps({ env: h.env, aws: h.aws.clients }));
    const context = { awsRequestId: "req-1", functionName: "bluemoxon-local-api" } as unknown as Context;
    const event = {
      version: "2.0",
      routeKey: "$default",
      rawPath: "/api/v1/books",
      rawQueryString: "limit=5",
      headers: { "x-api-key": apiKey, host: "api.example.com" },
      queryStringParameters: { limit: "5" },
      requestContext: {
        accountId: "000000000000",
        apiId: "api",
        domainName: "api.example.com",
        domainPrefix: "api",
        http: { method: "GET", path: "/api/v1/books", protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "test" },
        requestId: "r1",
        routeKey: "$default",
        stage: "$default",
        time: "29/Nov/2026:09:00:00 +0000",
        timeEpoch: 1_795_000_000_000,
      },
      isBase64Encoded: false,
    };
    const res = (await handler(event, context)) as { statusCode: number; body: string; headers: Record<string, string> };
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ items: expect.any(Array), nextCursor: null });
    const denied = (await handler({ ...event, headers: { host: "api.example.com" } }, context)) as { statusCode: number };
    expect(denied.statusCode).toBe(401);

    const sweep = (await handler({ source: "aws.events", "detail-type": "Scheduled Event", detail: {} }, context)) as { sweep: object };
    expect(sweep.sweep).toMatchObject({ examined: expect.any(Number), requeued: expect.any(Number) });
    const migrated = (await handler({ action: "migrate" }, context)) as { ok: boolean; applied: string[]; skipped: string[] };
    expect(migrated).toMatchObject({ ok: true, applied: [] });
    expect(migrated.skipped).toContain("0001_init.sql");
  });
});

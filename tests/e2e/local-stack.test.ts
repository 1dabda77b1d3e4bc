/**
 * `npm start` as a developer uses it: the e2e script against the running stack (real background
 * removal), one stack per data folder, and a restart in the middle of the flow that loses nothing.
 */
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.ts";

const run = promisify(execFile);
const zx = resolve(repoRoot, "node_modules/zx/build/cli.js");

// biome-ignore lint/suspicious/noExplicitAny: API responses are checked field by field in the tests.
type Json = Record<string, any>;

async function api(stack: Stack, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.api}${path}`, {
    method,
    headers: { "X-API-Key": stack.apiKey, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

describe("npm start", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("prints ready with the URLs and the key, and writes stack.json", () => {
    const line = stack
      .output()
      .split("\n")
      .find((l) => l.startsWith("ready"))!;
    for (const url of [stack.dashboard, stack.api, stack.docs, stack.emulator, stack.ebayFixture]) expect(line).toContain(url);
    expect(line).toContain(`apiKey=${stack.apiKey}`);
  });

  it("passes the e2e script (import → background removal → cut-out checked)", async () => {
    const { stdout } = await run(
      process.execPath,
      [zx, resolve(repoRoot, "scripts/e2e.mjs"), "--api", stack.api, "--api-key", stack.apiKey],
      {
        cwd: repoRoot,
        timeout: 400_000,
        env: { ...process.env, FORCE_COLOR: "0" },
      },
    );
    console.log(stdout.slice(stdout.indexOf("| listing")));
    expect(stdout).toMatch(/e2e: all \d+ passed/);
    expect(stdout).toMatch(/\| ok \| [\d.]+ s \| \d+ \| \d+×\d+ PNG RGBA/);
  }, 420_000);

  it("refuses a second stack on the same data folder", async () => {
    const second = spawn(process.execPath, [zx, resolve(repoRoot, "scripts/dev.mjs")], {
      cwd: repoRoot,
      env: { ...process.env, DATA_DIR: stack.dataDir, PORT: "0", EMULATOR_PORT: "0", EBAY_FIXTURE_PORT: "0", FORCE_COLOR: "0" },
    });
    let err = "";
    second.stderr.on("data", (d) => {
      err += d;
    });
    const code = await new Promise((r) => second.once("exit", r));
    expect(code).toBe(1);
    expect(err).toContain(`another stack is already running on ${stack.dataDir}`);
    // …and the first one is untouched.
    expect((await fetch(`${stack.api}/health`)).status).toBe(200);
  });

  it("restarts a crashed API on the same URL instead of stopping the stack", async () => {
    const before = JSON.parse(readFileSync(join(stack.dataDir, "stack.json"), "utf8")).pids.api as number;
    process.kill(before, "SIGKILL");
    const deadline = Date.now() + 60_000;
    let after = before;
    while (Date.now() < deadline) {
      after = JSON.parse(readFileSync(join(stack.dataDir, "stack.json"), "utf8")).pids.api;
      const ok =
        after !== before &&
        (await fetch(`${stack.api}/health`).then(
          (r) => r.ok,
          () => false,
        ));
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(after).not.toBe(before);
    expect((await api(stack, "GET", "/api/v1/books")).status).toBe(200);
    expect(stack.output()).toMatch(/api was killed \(SIGKILL\) — restarting it \(1\/5 this minute\)/);
  });
});

describe("a restart in the middle of the flow", () => {
  it("completes the work that was queued when the stack stopped", async () => {
    const first = await startStack();
    const imported = [];
    try {
      for (const id of ["175598765432", "266012345678"]) {
        const res = await api(first, "POST", "/api/v1/books/import/ebay", { url: `https://www.ebay.com/itm/${id}` });
        expect(res.status).toBe(201);
        imported.push(res.body);
      }
    } finally {
      // Stopped right away: the jobs are queued or in the middle of processing.
      expect(await first.stop()).toBe(0);
    }
    const jobIds = imported.map((b) => b.job?.id ?? b.book.photos.find((p: Json) => p.isPrimary).processing.jobId);
    const second = await startStack({ dataDir: first.dataDir });
    try {
      const deadline = Date.now() + 240_000;
      let statuses: string[] = [];
      while (Date.now() < deadline) {
        statuses = await Promise.all(jobIds.map(async (id) => (await api(second, "GET", `/api/v1/image-jobs/${id}`)).body.status));
        if (statuses.every((s) => s === "completed" || s === "failed")) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(statuses).toEqual(["completed", "completed"]);
      const books = await api(second, "GET", "/api/v1/books");
      expect(books.status).toBe(200);
      expect(JSON.stringify(books.body)).toContain(imported[0].book.id);
    } finally {
      await second.stop();
    }
  }, 400_000);
});

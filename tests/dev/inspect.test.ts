/**
 * `npm start -- --inspect=worker`: the worker's handler process has an inspector on a loopback
 * port of its own, its ws:// URL on the ready line and in stack.json. The test attaches over the
 * Chrome DevTools Protocol (Node 22's WebSocket), sets a breakpoint by URL in the worker's
 * process-job.ts, imports a sample listing through the API, sees the debugger pause there (the
 * job not done meanwhile), resumes and sees the job complete; --inspect=api is the API process's
 * inspector. An unknown target is a usage error.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.ts";
import { until } from "../support/until.ts";

// biome-ignore lint/suspicious/noExplicitAny: CDP messages are checked field by field.
type Json = Record<string, any>;

/** A minimal CDP session: commands answered by id, events waited for by method. */
async function cdp(url: string) {
  const ws = new WebSocket(url);
  await new Promise<void>((ok, fail) => {
    ws.addEventListener("open", () => ok(), { once: true });
    ws.addEventListener("error", () => fail(new Error(`cannot connect to ${url}`)), { once: true });
  });
  let nextId = 1;
  const answers = new Map<number, { ok: (r: Json) => void; fail: (e: Error) => void }>();
  const events: Json[] = [];
  const waiters = new Set<{ method: string; match: (p: Json) => boolean; ok: (p: Json) => void }>();
  ws.addEventListener("message", (m) => {
    const msg = JSON.parse(String(m.data)) as Json;
    if (msg.id !== undefined) {
      const answer = answers.get(msg.id);
      answers.delete(msg.id);
      if (msg.error) answer?.fail(new Error(`CDP: ${msg.error.message}`));
      else answer?.ok(msg.result);
      return;
    }
    events.push(msg);
    for (const w of waiters)
      if (w.method === msg.method && w.match(msg.params)) {
        waiters.delete(w);
        w.ok(msg.params);
      }
  });
  return {
    events,
    send(method: string, params: Json = {}): Promise<Json> {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((ok, fail) => answers.set(id, { ok, fail }));
    },
    /** The next event `method` (matching `match`); the bound only guards against a hang. */
    next(method: string, timeoutMs: number, match: (p: Json) => boolean = () => true): Promise<Json> {
      return new Promise((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no ${method} within ${timeoutMs / 1000}s`)), timeoutMs);
        const done = (p: Json) => {
          clearTimeout(timer);
          ok(p);
        };
        waiters.add({ method, match, ok: done });
      });
    },
    close: () => ws.close(),
  };
}

async function api(stack: Stack, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.api}${path}`, {
    method,
    headers: { "X-API-Key": stack.apiKey, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

it("npm start -- --inspect=<unknown> is a usage error (exit 2) naming the allowed targets", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "bmx-inspect-cli-"));
  const r = spawnSync(
    process.execPath,
    [resolve(repoRoot, "node_modules/zx/build/cli.js"), resolve(repoRoot, "scripts/dev.mjs"), "--inspect=db"],
    {
      cwd: repoRoot,
      env: { ...process.env, DATA_DIR: dataDir, FORCE_COLOR: "0" },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('--inspect must be one of worker, api, got "db"');
  expect(readdirSync(dataDir)).toEqual([]);
});

describe("npm start -- --inspect=worker", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ args: ["--no-watch", "--inspect=worker"], timeoutMs: 240_000 });
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("prints the worker's ws:// URL on the ready line and in stack.json", () => {
    expect(stack.inspect?.worker).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/[\w-]+$/);
    const ready = stack
      .output()
      .split("\n")
      .find((l) => l.startsWith("ready"));
    expect(ready).toContain(`inspect(worker)=${stack.inspect?.worker}`);
  });

  it("stops at a breakpoint in the worker's handler during a real import, then completes the job", async () => {
    const session = await cdp(stack.inspect!.worker!);
    try {
      await session.send("Debugger.enable");
      // Debugger.enable reports every script already loaded (the handler module was imported at init).
      const script = session.events.find(
        (e) => e.method === "Debugger.scriptParsed" && /services\/worker\/src\/process-job\.ts/.test(e.params.url),
      );
      expect(script, "process-job.ts is loaded in the worker's handler process").toBeDefined();
      const { scriptSource } = await session.send("Debugger.getScriptSource", { scriptId: script!.params.scriptId });
      // The loader reprints the module (its lines are not the file's): aim at the first statement of
      // processJob's body in the source the process runs, by line and column.
      const source = scriptSource as string;
      const declared = source.indexOf("async function processJob(");
      expect(declared).toBeGreaterThanOrEqual(0);
      const firstStatement = source.indexOf("parseImageJobMessage(", declared);
      expect(firstStatement).toBeGreaterThan(declared);
      const before = source.slice(0, firstStatement).split("\n");
      const bp = await session.send("Debugger.setBreakpointByUrl", {
        urlRegex: "services/worker/src/process-job\\.ts",
        lineNumber: before.length - 1,
        columnNumber: before[before.length - 1].length,
      });
      expect(bp.locations.length).toBeGreaterThan(0);

      const paused = session.next("Debugger.paused", 240_000);
      const id = readdirSync(join(repoRoot, "services/ebay-fixture/fixtures"))[0];
      const imported = await api(stack, "POST", "/api/v1/books/import/ebay", { url: `https://www.ebay.com/itm/${id}` });
      expect(imported.status).toBe(201);
      const jobId = imported.body.job?.id ?? imported.body.book.photos.find((p: Json) => p.isPrimary).processing.jobId;

      const at = await paused;
      expect(at.hitBreakpoints).toContain(bp.breakpointId);
      expect(at.callFrames[0].location.scriptId).toBe(script!.params.scriptId);
      expect(at.callFrames[0].functionName).toBe("processJob");
      // Paused in the handler: the job is not done.
      expect((await api(stack, "GET", `/api/v1/image-jobs/${jobId}`)).body.status).not.toBe("completed");

      await session.send("Debugger.removeBreakpoint", { breakpointId: bp.breakpointId });
      const resumed = session.next("Debugger.resumed", 30_000);
      await session.send("Debugger.resume");
      await resumed;
      const status = await until(
        "the job to finish",
        async () => {
          const s = (await api(stack, "GET", `/api/v1/image-jobs/${jobId}`)).body.status as string;
          return (s === "completed" || s === "failed") && s;
        },
        300_000,
      );
      expect(status).toBe("completed");
    } finally {
      session.close();
    }
  }, 600_000);
});

describe("npm start -- --inspect=api", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ args: ["--no-watch", "--inspect=api"] });
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("the URL on the ready line is the API process's inspector", async () => {
    expect(stack.inspect?.worker).toBeUndefined();
    expect(stack.output()).toContain(`inspect(api)=${stack.inspect?.api}`);
    const session = await cdp(stack.inspect!.api!);
    try {
      const { result } = await session.send("Runtime.evaluate", { expression: "process.pid" });
      expect(result.value).toBe(stack.pids.api);
    } finally {
      session.close();
    }
  }, 60_000);
});

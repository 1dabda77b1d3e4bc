/**
 * The worker's handler processes under `npm start` get the stack's BG_THREADS (auto by default:
 * the machine's idle cores), and none with `--lambda-cpu` (the engine then sizes its threads from
 * the function's memory, as on Lambda). The stack runs a manifest whose worker is a handler that
 * prints its environment; a real import through the API sends it the job's message.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.ts";

const fixtures = join(repoRoot, "services/ebay-fixture/fixtures");

function manifestWithReportingWorker(): string {
  const manifest = JSON.parse(readFileSync(join(repoRoot, "pipeline.json"), "utf8"));
  manifest.$schema = join(repoRoot, "packages/core/pipeline.schema.json");
  manifest.functions["image-worker"].handler = "tests/trigger/handlers/report-env.ts#handler";
  const path = join(mkdtempSync(join(tmpdir(), "bmx-worker-env-")), "pipeline.json");
  writeFileSync(path, JSON.stringify(manifest));
  return path;
}

/** Imports a sample listing (its job goes to the worker) and returns the worker's env report. */
async function workerEnv(stack: Stack): Promise<{ pid: number; BG_THREADS: string | null }> {
  const reported = stack.nextLine(/report-env \{/, 180_000);
  const id = readdirSync(fixtures)[0];
  const res = await fetch(`${stack.api}/api/v1/books/import/ebay`, {
    method: "POST",
    headers: { "X-API-Key": stack.apiKey, "content-type": "application/json" },
    body: JSON.stringify({ url: `https://www.ebay.com/itm/${id}` }),
  });
  expect(res.status, await res.text()).toBe(201);
  const line = await reported;
  return JSON.parse(line.slice(line.indexOf("report-env ") + "report-env ".length));
}

describe("npm start: the worker's BG_THREADS", () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  const start = (args: string[], BG_THREADS: string) =>
    startStack({ args: ["--no-watch", "--verbose", ...args], env: { PIPELINE_MANIFEST: manifestWithReportingWorker(), BG_THREADS } });

  it("the handler process sees BG_THREADS=auto", async () => {
    stack = await start([], "");
    const env = await workerEnv(stack);
    expect(env.pid).not.toBe(stack.pids["local-aws"]);
    expect(env.BG_THREADS).toBe("auto");
  }, 300_000);

  it("with --lambda-cpu it sees no BG_THREADS, even when the shell sets one", async () => {
    stack = await start(["--lambda-cpu"], "3");
    expect((await workerEnv(stack)).BG_THREADS).toBeNull();
  }, 300_000);
});
